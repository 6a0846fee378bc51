"""The `search_formats` table: the format version of each search cache's rows.

A search reads a cache only while its rows are in the format the code reads
(`app.search.caches.CACHES`); an import whose code has another ranks it again in full.
Databases before it hold their caches in format 1.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    table = op.create_table(
        "search_formats",
        sa.Column("cache", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("cache"),
    )
    op.bulk_insert(table, [{"cache": "search_top", "version": 1}, {"cache": "search_postings", "version": 1}])


def downgrade() -> None:
    op.drop_table("search_formats")

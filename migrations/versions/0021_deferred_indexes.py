"""A bulk import builds the indexes loading never reads once, after the load: the table
`deferred_indexes` keeps the statements of those it dropped (see `app/etl/bulk_indexes.py`).

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "deferred_indexes",
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("sql", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )


def downgrade() -> None:
    # Older schemas have no record of them: build them now, or they would be lost.
    conn = op.get_bind()
    for (sql,) in conn.exec_driver_sql("SELECT sql FROM deferred_indexes").fetchall():
        conn.exec_driver_sql(sql)
    op.drop_table("deferred_indexes")

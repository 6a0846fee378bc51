"""Search postings: every paper of each common word with its hits, and every paper's length.

Searches of several common words are ranked from them (`app.postings`) instead of by
FTS5 scoring every match. They are derived data, written with the search lists: the
upgrade empties the lists' record, so the next import ranks lists and postings in full.
Until then searches are ranked by FTS5, as before.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "search_postings",
        sa.Column("term", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("chunk", sa.Integer(), nullable=False),
        sa.Column("offsets", sa.LargeBinary(), nullable=False),
        sa.Column("hits", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("term", "chunk"),
    )
    op.create_table(
        "search_lengths",
        sa.Column("chunk", sa.Integer(), nullable=False),
        sa.Column("tokens", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("chunk"),
    )
    op.execute("DELETE FROM search_top_source")


def downgrade() -> None:
    op.drop_table("search_lengths")
    op.drop_table("search_postings")

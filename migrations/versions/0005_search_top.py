"""Precomputed one-word searches: common words, their best papers, and the index state they belong to.

`app.query.refresh_search_top` fills them at the end of each import; `PaperDB.search`
answers a one-word search from them while `search_top_source` still matches
`paper_search_fts`, and ranks in full otherwise. Empty until the first refresh.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "search_terms",
        sa.Column("term", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("papers", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("term"),
    )
    op.create_table(
        "search_top",
        sa.Column("term", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("paper_id", sa.Integer(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("term", "position"),
    )
    op.create_table(
        "search_top_source",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("fts_structure", sa.LargeBinary(), nullable=False),
        sa.Column("papers", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("search_top_source")
    op.drop_table("search_top")
    op.drop_table("search_terms")

"""Search lists updated in place: what each list entry's score is made of, and a log of changed papers.

Frozen, hand-written SQL for the triggers. The lists are derived data: they are
dropped here and ranked again in full at the next import.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Log a paper's search row the first time it changes after the lists were computed: its
# text then, or that it had none. Only while there are lists to update.
TRIGGERS = {
    "paper_search_changes_ai": "AFTER INSERT ON paper_search WHEN EXISTS (SELECT 1 FROM search_top_source) BEGIN "
    "INSERT INTO search_changes (paper_id, existed) VALUES (new.paper_id, 0) "
    "ON CONFLICT DO NOTHING; END",
    # The same columns as the index's own update trigger (paper_search_au): what the index sees.
    "paper_search_changes_au": "AFTER UPDATE OF title, authors, abstract ON paper_search "
    "WHEN EXISTS (SELECT 1 FROM search_top_source) BEGIN "
    "INSERT INTO search_changes (paper_id, existed, title, authors, abstract) "
    "VALUES (old.paper_id, 1, old.title, old.authors, old.abstract) ON CONFLICT DO NOTHING; END",
    "paper_search_changes_ad": "AFTER DELETE ON paper_search WHEN EXISTS (SELECT 1 FROM search_top_source) BEGIN "
    "INSERT INTO search_changes (paper_id, existed, title, authors, abstract) "
    "VALUES (old.paper_id, 1, old.title, old.authors, old.abstract) ON CONFLICT DO NOTHING; END",
}


def _search_tables() -> None:
    op.create_table(
        "search_terms",
        sa.Column("term", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("word", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("papers", sa.Integer(), nullable=False),
        sa.Column("ceiling", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("term"),
    )
    op.create_table(
        "search_top",
        sa.Column("term", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("paper_id", sa.Integer(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("hits", sa.Float(), nullable=True),
        sa.Column("tokens", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("term", "position"),
    )
    op.create_table(
        "search_top_source",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("fts_structure", sa.LargeBinary(), nullable=False),
        sa.Column("papers", sa.Integer(), nullable=False),
        sa.Column("tokens", sa.Integer(), nullable=False),
        sa.Column("depth", sa.Integer(), nullable=False),
        sa.Column("min_papers", sa.Integer(), nullable=False),
        sa.Column("changed_papers", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def upgrade() -> None:
    for table in ("search_top_source", "search_top", "search_terms"):
        op.drop_table(table)
    _search_tables()
    op.create_table(
        "search_changes",
        sa.Column("paper_id", sa.Integer(), nullable=False),
        sa.Column("existed", sa.Boolean(), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("authors", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("abstract", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.PrimaryKeyConstraint("paper_id"),
    )
    for name, body in TRIGGERS.items():
        op.execute(f"CREATE TRIGGER {name} {body}")


def downgrade() -> None:
    for name in TRIGGERS:
        op.execute(f"DROP TRIGGER {name}")
    op.drop_table("search_changes")
    for table in ("search_top_source", "search_top", "search_terms"):
        op.drop_table(table)
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

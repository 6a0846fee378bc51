"""The `paper_view` view: one row per paper with its authors in order and its abstract.

Frozen, hand-written SQL, for browsing in Datasette (which searches it through
`paper_search_fts`, whose rowid is `paper_view.paper_id`). A batch migration
that rebuilds `papers`, `authorships`, `authors` or `abstracts` must drop this
view first and recreate it afterwards: SQLite refuses to rename a table while a
view refers to a missing one.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # group_concat over an ordered subquery keeps the order (SQLite < 3.44 has no ORDER BY inside it).
    op.execute(
        """
        CREATE VIEW paper_view AS
        SELECT p.id AS paper_id, p.title, p.year, p.venue,
          (SELECT group_concat(name, ', ') FROM (
              SELECT a.name FROM authorships s JOIN authors a ON a.id = s.author_id
              WHERE s.paper_id = p.id ORDER BY s.position)) AS authors,
          (SELECT group_concat(text, char(10) || char(10)) FROM (
              SELECT text FROM abstracts WHERE paper_id = p.id ORDER BY text_key)) AS abstract
        FROM papers p
        """
    )


def downgrade() -> None:
    op.execute("DROP VIEW IF EXISTS paper_view")

"""Indexes for matching records to papers at scale, and none that another index already covers.

Frozen, hand-written SQL.

- Abstract keys are indexed with their paper (`text_key`, `head_key`, `tail_key`, each
  with `paper_id`): a record's abstract is compared with the abstracts sharing its first or
  last words, and at a million generated papers that is 33 of them on average. The paper
  of each now comes from the index, without reading the abstract's row.
- `ix_papers_untitled` holds the papers without a title. A titled record only completes
  such a paper, so its candidates are checked there, a small index, rather than by reading
  each candidate paper's row.
- Four indexes on a column that leads a unique constraint's index went: that index serves
  every lookup they served, and each insert paid for both.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-22
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ABSTRACT_KEYS = ("text_key", "head_key", "tail_key")
# (index, table, column) covered by a unique constraint's index on (column, ...).
COVERED = [
    ("ix_abstracts_paper_id", "abstracts", "paper_id"),  # (paper_id, text_key)
    ("ix_authorships_paper_id", "authorships", "paper_id"),  # (paper_id, position)
    ("ix_author_names_author_id", "author_names", "author_id"),  # (author_id, name)
    ("ix_paper_sources_file_id", "paper_sources", "file_id"),  # (file_id, line)
]


def upgrade() -> None:
    for key in ABSTRACT_KEYS:
        op.execute(f"DROP INDEX ix_abstracts_{key}")
        op.execute(f"CREATE INDEX ix_abstracts_{key} ON abstracts ({key}, paper_id)")
    op.execute("CREATE INDEX ix_papers_untitled ON papers (id) WHERE title IS NULL")
    for index, _, _ in COVERED:
        op.execute(f"DROP INDEX {index}")


def downgrade() -> None:
    for index, table, column in COVERED:
        op.execute(f"CREATE INDEX {index} ON {table} ({column})")
    op.execute("DROP INDEX ix_papers_untitled")
    for key in ABSTRACT_KEYS:
        op.execute(f"DROP INDEX ix_abstracts_{key}")
        op.execute(f"CREATE INDEX ix_abstracts_{key} ON abstracts ({key})")

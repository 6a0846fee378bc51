"""Covering indexes for author resolution, so that reading a batch of blocks reads indexes in order.

Frozen, hand-written SQL.

Resolution reads, for a batch of blocks in key order: their mentions, their authors and
the authors' spellings, and for every paper of those mentions its co-authors and profile
owners. Through the old indexes each of those rows was a read of a table page somewhere
in the file: a batch of 50,000 mentions made tens of thousands of random reads, and on a
database larger than the file cache resolution waited on the disk (at 100,000 papers,
with the cache emptied, about 60 s a batch; 1-2 s from the indexes below).

- `ix_authorships_block` (block key, id, then what resolution reads of a mention) replaces
  `ix_authorships_block_key`: a batch's mentions are one stretch of the index.
- `ix_authorships_paper_block` (paper, block key, given name): a paper's co-author keys.
- `ix_paper_sources_owner` (paper, profile owner) replaces `ix_paper_sources_paper_id`:
  the records themselves, most of the file, are no longer read for their owner.
- `ix_authors_block` (block key, id, then the author's columns) replaces `ix_authors_block_key`.
- `ix_author_names_author` (author, then the spelling's columns).

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-22
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (index, table, columns, the index it replaces and that one's columns, or None)
INDEXES = [
    (
        "ix_authorships_block",
        "authorships",
        "block_key, id, paper_id, name, family_name, given_name, is_organization, author_id",
        ("ix_authorships_block_key", "block_key"),
    ),
    ("ix_authorships_paper_block", "authorships", "paper_id, block_key, given_name", None),
    ("ix_paper_sources_owner", "paper_sources", "paper_id, profile_owner", ("ix_paper_sources_paper_id", "paper_id")),
    (
        "ix_authors_block",
        "authors",
        "block_key, id, name, family_name, given_name, is_organization, paper_count",
        ("ix_authors_block_key", "block_key"),
    ),
    ("ix_author_names_author", "author_names", "author_id, name, family_name, given_name, count", None),
]


def upgrade() -> None:
    for index, table, columns, replaced in INDEXES:
        op.execute(f"CREATE INDEX {index} ON {table} ({columns})")
        if replaced:
            op.execute(f"DROP INDEX {replaced[0]}")


def downgrade() -> None:
    for index, table, _, replaced in reversed(INDEXES):
        if replaced:
            op.execute(f"CREATE INDEX {replaced[0]} ON {table} ({replaced[1]})")
        op.execute(f"DROP INDEX {index}")

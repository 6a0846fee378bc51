"""The combined search index keeps one prefix index, of 3 letters (it kept 2, 3 and 4).

Frozen, hand-written SQL. Every prefix size is another entry per token: at 100,000 papers
the index took 32 s to build with 2-, 3- and 4-letter prefixes, 17.5 s with 3 only and
10.5 s with none. A prefix search is ranked over the papers it matches either way, and
that dominates: `lang*` took 72 ms with the 4-letter index and 80 without, `co*` (in
nearly every paper) 125 ms with the 2-letter index and 191 without. Prefixes of other
lengths are answered from the words themselves, as `verif*` always was.

The index is dropped and filled again from `paper_search` (its triggers name it and stay).
Rows a cut-short bulk load left to be indexed at the end (`fts_deferred`) stay left. The
`search_top` lists go out of date with the index's structure record, and the next import
brings them up to date; searches rank in full until then.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-21
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STEMMED = "porter unicode61 remove_diacritics 2"
COLUMNS = "title, authors, abstract"
# FTS5's pending-postings size for the rebuild, then back to its default (as a bulk load does).
BULK_HASH_BYTES = 64 * 1024 * 1024
DEFAULT_HASH_BYTES = 1024 * 1024


def _rebuild(prefix: str) -> None:
    op.execute("DROP TABLE paper_search_fts")
    op.execute(
        f"CREATE VIRTUAL TABLE [paper_search_fts] USING FTS5 ({COLUMNS}, tokenize='{STEMMED}', "
        f'content="paper_search", content_rowid="paper_id", prefix=\'{prefix}\')'
    )
    op.execute(f"INSERT INTO paper_search_fts (paper_search_fts, rank) VALUES ('hashsize', {BULK_HASH_BYTES})")
    op.execute(
        f"INSERT INTO paper_search_fts (rowid, {COLUMNS}) SELECT paper_id, {COLUMNS} FROM paper_search "
        "WHERE paper_id <= coalesce((SELECT upto FROM fts_deferred WHERE table_name = 'paper_search'), paper_id)"
    )
    op.execute(f"INSERT INTO paper_search_fts (paper_search_fts, rank) VALUES ('hashsize', {DEFAULT_HASH_BYTES})")
    op.execute("INSERT INTO paper_search_fts (paper_search_fts) VALUES ('optimize')")


def upgrade() -> None:
    _rebuild("3")


def downgrade() -> None:
    _rebuild("2 3 4")

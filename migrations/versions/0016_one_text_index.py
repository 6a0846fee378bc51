"""One full-text index for a paper's text: `abstracts_fts` and the 3-letter prefix index go.

Frozen, hand-written SQL. Measured with `scripts/db_size.py` on a generated corpus of
100,000 papers (965 MB): `abstracts_fts` held every abstract's words again (45.6 MB), which
`paper_search_fts` indexes too; only the abstracts table's Datasette search box read it,
and that box now searches `paper_search_fts`. The combined index's 3-letter prefix index
was 58.5 MB of its 135.8: no measured search uses it (searches of plain words), and FTS5
answers a prefix search from the words themselves without it, with the same results.

The abstracts' triggers go with their index. The combined index is dropped and filled again
from `paper_search`, as in 0010 (its triggers name it and stay); rows a cut-short bulk
load left to be indexed at the end (`fts_deferred`) stay left. The search lists go out of
date with the index's structure record, and the next import brings them up to date;
searches rank in full until then. The freed pages are reused as the database grows;
`VACUUM` gives them back to the disk.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STEMMED = "porter unicode61 remove_diacritics 2"
COLUMNS = "title, authors, abstract"
# FTS5's pending-postings size for a rebuild, then back to its default (as a bulk load does).
BULK_HASH_BYTES = 64 * 1024 * 1024
DEFAULT_HASH_BYTES = 1024 * 1024
# The abstracts' index and its triggers as 0002 and 0004 made them, for a downgrade.
ABSTRACTS_DEFERRED = (
    "WHEN {row}.id <= coalesce((SELECT upto FROM fts_deferred WHERE table_name = 'abstracts'), {row}.id) "
)
ABSTRACTS_TRIGGERS = {
    "abstracts_ai": "AFTER INSERT ON [abstracts] "
    + ABSTRACTS_DEFERRED.format(row="new")
    + "BEGIN INSERT INTO [abstracts_fts] (rowid, text) VALUES (new.id, new.text); END",
    "abstracts_ad": "AFTER DELETE ON [abstracts] "
    + ABSTRACTS_DEFERRED.format(row="old")
    + "BEGIN INSERT INTO [abstracts_fts] ([abstracts_fts], rowid, text) VALUES ('delete', old.id, old.text); END",
    "abstracts_au": "AFTER UPDATE OF text ON [abstracts] "
    + ABSTRACTS_DEFERRED.format(row="old")
    + "BEGIN INSERT INTO [abstracts_fts] ([abstracts_fts], rowid, text) VALUES ('delete', old.id, old.text); "
    "INSERT INTO [abstracts_fts] (rowid, text) VALUES (new.id, new.text); END",
}


def _rebuild_search_index(options: str) -> None:
    op.execute("DROP TABLE paper_search_fts")
    op.execute(
        f"CREATE VIRTUAL TABLE [paper_search_fts] USING FTS5 ({COLUMNS}, tokenize='{STEMMED}', "
        f'content="paper_search", content_rowid="paper_id"{options})'
    )
    op.execute(f"INSERT INTO paper_search_fts (paper_search_fts, rank) VALUES ('hashsize', {BULK_HASH_BYTES})")
    op.execute(
        f"INSERT INTO paper_search_fts (rowid, {COLUMNS}) SELECT paper_id, {COLUMNS} FROM paper_search "
        "WHERE paper_id <= coalesce((SELECT upto FROM fts_deferred WHERE table_name = 'paper_search'), paper_id)"
    )
    op.execute(f"INSERT INTO paper_search_fts (paper_search_fts, rank) VALUES ('hashsize', {DEFAULT_HASH_BYTES})")
    op.execute("INSERT INTO paper_search_fts (paper_search_fts) VALUES ('optimize')")


def upgrade() -> None:
    for name in ABSTRACTS_TRIGGERS:
        op.execute(f"DROP TRIGGER [{name}]")
    op.execute("DROP TABLE abstracts_fts")
    op.execute("DELETE FROM fts_deferred WHERE table_name = 'abstracts'")
    _rebuild_search_index("")


def downgrade() -> None:
    _rebuild_search_index(", prefix='3'")
    op.execute(
        f"CREATE VIRTUAL TABLE [abstracts_fts] USING FTS5 (text, tokenize='{STEMMED}', "
        'content="abstracts", content_rowid="id")'
    )
    for name, body in ABSTRACTS_TRIGGERS.items():
        op.execute(f"CREATE TRIGGER [{name}] {body}")
    # Every abstract is indexed now: the older schema indexes abstracts as they come.
    op.execute("INSERT INTO abstracts_fts (abstracts_fts) VALUES ('rebuild')")

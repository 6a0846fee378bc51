"""Secondary indexes a bulk load builds once, after loading, instead of row by row.

Loading reads none of these indexes: author resolution and queries do. Every row loaded
into a table writes each of its indexes, and for most of these at a random place (by block
key, by name), which grows dearer as the database outgrows the page cache. A load into an
empty database drops them first (`defer_bulk_indexes`) and builds each in one sorted pass
before resolution (`build_deferred_indexes`). At 100,000 generated papers the load took
40.5 s with them and 27.9 s without, and building all of them afterwards 1.1 s.

Each dropped index's statement is kept in `deferred_indexes`, in the transaction that
drops it, so an import killed before it built them leaves them for the next import to
build (a downgrade past migration 0021 builds them too). Until then queries are slower,
never wrong.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from app.db import placeholders, write_transaction

# The indexes loading never reads: papers are matched by identifiers, titles and abstracts,
# and provisional authors by `author_names.name` and the unique constraints.
DEFERRABLE = (
    "ix_authorships_block",
    "ix_authorships_paper_block",
    "ix_authorships_author_id",
    "ix_authors_block",
    "ix_authors_name",
    "ix_authors_orcid",
    "ix_author_names_author",
    "ix_author_names_lookup",
    "ix_author_names_later",
)


def defer_bulk_indexes(conn: sqlite3.Connection) -> None:
    """Drop the deferrable indexes, keeping their statements: for a bulk load, into a database
    with no papers yet (those a cut-short one dropped are gone already)."""
    with write_transaction(conn):
        indexes = conn.execute(
            f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND name IN ({placeholders(DEFERRABLE)}) "
            "ORDER BY name",
            DEFERRABLE,
        ).fetchall()
        conn.executemany("INSERT INTO deferred_indexes (name, sql) VALUES (?, ?)", [tuple(r) for r in indexes])
        for name, _ in indexes:
            conn.execute(f"DROP INDEX {name}")


def build_deferred_indexes(conn: sqlite3.Connection, progress: Callable[[int, int], None]) -> None:
    """Build the indexes a bulk load dropped, one per transaction; `progress(built, of)` before
    the first and after each (never, when none is left to build)."""
    deferred = conn.execute("SELECT name, sql FROM deferred_indexes ORDER BY name").fetchall()
    for done, (name, sql) in enumerate(deferred):
        progress(done, len(deferred))
        with write_transaction(conn):
            conn.execute(sql)
            conn.execute("DELETE FROM deferred_indexes WHERE name = ?", (name,))
    if deferred:
        progress(len(deferred), len(deferred))

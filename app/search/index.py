"""Search index upkeep for imports: new rows go into the FTS5 indexes in one batch per table.

The triggers (migration 0004) keep the title and author indexes in sync row by row, which
costs FTS5 several times more than indexing the same rows in one `INSERT … SELECT`; the
search text's triggers take a changed paper out of its index and put it back (migration
0020), with the same deferral.
Inside an import's transaction `batched_fts` records each table's largest key in
`fts_deferred`, so the triggers leave newer rows alone, and indexes those rows
just before the transaction commits; a rollback undoes both together.

A bulk load into an empty database goes further (`defer_indexing`): its marks stay
in `fts_deferred` for the whole run, and `index_deferred` writes the papers' author
labels (`rows.write_labels`) and indexes everything once resolution has settled the
authors. Indexing each file's rows and then re-indexing every paper whose authors
resolution renamed cost more than indexing once; until the run ends its papers are in
the tables but not yet found by full-text search.
A run killed or failed before then leaves the marks of the indexes it had not finished,
and the next import finishes the job.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

from app.db import write_transaction
from app.search.fts import index_totals
from app.search.rows import write_labels

# content table or view -> (key column = FTS rowid, indexed columns, the table whose keys
# those are); each index is `<content>_fts`.
INDEXES = {
    "papers": ("id", ("title",), "papers"),
    "authors": ("id", ("name",), "authors"),
    "paper_search": ("paper_id", ("title", "authors", "abstract"), "papers"),
}
# An import that added at least this share of the papers merges every index into one
# segment: a bulk load leaves dozens, and a search pays for every segment it reads (at 1M
# papers, merging the search index makes multi-word searches about 1.5x faster).
OPTIMIZE_SHARE = 0.25
# FTS5 writes a new segment each time its pending postings reach `hashsize` and merges
# segments as they pile up (`automerge`, or `crisismerge` of them at once). A bulk build
# writes bigger segments and leaves them unmerged: the merge into one segment that follows
# reads each of them once. The search index of 1M papers: 197 s to build and merge with
# FTS5's defaults, 139 s this way (a 256 MB hash: 159 s).
BULK_SETTINGS = {"hashsize": 64 * 1024 * 1024, "automerge": 0, "crisismerge": 200}
DEFAULT_SETTINGS = {"hashsize": 1024 * 1024, "automerge": 4, "crisismerge": 16}  # FTS5's, for trigger upkeep


@contextmanager
def batched_fts(conn: sqlite3.Connection) -> Iterator[None]:
    """Within a write transaction: index the rows added inside this block in one batch per table
    (left to `index_deferred` while a bulk load defers indexing)."""
    if _deferred(conn):
        yield
        return
    marks = _mark(conn)
    yield
    _index_above(conn, marks)


def defer_indexing(conn: sqlite3.Connection) -> None:
    """Defer indexing to the end of the run (`index_deferred`): for a bulk load, into a database
    with no papers yet. A bulk load that did not finish left its deferral, which goes on."""
    with write_transaction(conn):
        if not _deferred(conn):
            _mark(conn)


def index_deferred(conn: sqlite3.Connection) -> int:
    """Index the rows a bulk load deferred and merge each index into one segment; returns the
    papers it added to the search index. One index per transaction: the WAL holds one index's
    pages at a time, and a run killed midway leaves the other indexes deferred."""
    added = 0
    for table in INDEXES:
        with write_transaction(conn):
            mark = _deferred_mark(conn, table)
            if mark is None:
                continue
            if table == "paper_search":
                added = conn.execute("SELECT count(*) FROM papers WHERE id > ?", (mark,)).fetchone()[0]
                write_labels(conn, above=mark)
            _configure(conn, table, BULK_SETTINGS)
            _index_table(conn, table, mark)
            _configure(conn, table, DEFAULT_SETTINGS)
            _merge(conn, table)
            conn.execute("DELETE FROM fts_deferred WHERE table_name = ?", (table,))
    return added


def held_back(conn: sqlite3.Connection) -> int | None:
    """Outside an import's transactions: the paper id above which the search index waits for
    the end of the run (`defer_indexing`), None if it does not wait."""
    return _deferred_mark(conn, "paper_search")


def _deferred_mark(conn: sqlite3.Connection, table: str) -> int | None:
    """The key above which this table's index is deferred, None if it is not."""
    mark = conn.execute("SELECT upto FROM fts_deferred WHERE table_name = ?", (table,)).fetchone()
    return mark[0] if mark else None


def _deferred(conn: sqlite3.Connection) -> bool:
    return conn.execute("SELECT EXISTS (SELECT 1 FROM fts_deferred)").fetchone()[0]


def _mark(conn: sqlite3.Connection) -> dict[str, int]:
    """Record each table's largest key: the triggers leave the rows above it to `_index_above`."""
    marks = {
        table: conn.execute(f"SELECT coalesce(max(id), 0) FROM {keys}").fetchone()[0]
        for table, (_, _, keys) in INDEXES.items()
    }
    conn.executemany("INSERT INTO fts_deferred (table_name, upto) VALUES (?, ?)", marks.items())
    return marks


def _index_above(conn: sqlite3.Connection, marks: dict[str, int]) -> None:
    for table in INDEXES:
        _index_table(conn, table, marks[table])
    conn.execute("DELETE FROM fts_deferred")


def _index_table(conn: sqlite3.Connection, table: str, mark: int) -> None:
    """Index the rows of `table` above `mark` in one batch."""
    key, columns, _ = INDEXES[table]
    names = ", ".join(columns)
    conn.execute(
        f"INSERT INTO {table}_fts (rowid, {names}) SELECT {key}, {names} FROM {table} WHERE {key} > ?", (mark,)
    )


def _configure(conn: sqlite3.Connection, table: str, settings: dict[str, int]) -> None:
    conn.executemany(f"INSERT INTO {table}_fts ({table}_fts, rank) VALUES (?, ?)", settings.items())


def _merge(conn: sqlite3.Connection, table: str) -> None:
    """Merge the index into one segment (nothing to do if it is one already)."""
    conn.execute(f"INSERT INTO {table}_fts ({table}_fts) VALUES ('optimize')")


def optimize_after_bulk_load(conn: sqlite3.Connection, papers_added: int) -> bool:
    """Merge every index into one segment, one per transaction, if the import added
    OPTIMIZE_SHARE of the papers or more."""
    papers, _ = index_totals(conn)
    if not papers or papers_added < OPTIMIZE_SHARE * papers:
        return False
    for table in INDEXES:
        with write_transaction(conn):
            _merge(conn, table)
    return True

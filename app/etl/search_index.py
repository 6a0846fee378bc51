"""Search index upkeep for imports: new rows go into the FTS5 indexes in one batch per table.

The triggers (migration 0004) keep every index in sync row by row, which costs
FTS5 several times more than indexing the same rows in one `INSERT … SELECT`.
Inside an import's transaction `batched_fts` records each table's largest key in
`fts_deferred`, so the triggers leave newer rows alone, and indexes those rows
just before the transaction commits; a rollback undoes both together.

A bulk load into an empty database goes further (`defer_indexing`): its marks stay
in `fts_deferred` for the whole run, and `index_deferred` indexes everything once
resolution has settled the authors. Indexing each file's rows and then re-indexing
every paper whose authors resolution renamed cost more than indexing once; until
the run ends its papers are in the tables but not yet found by full-text search.
A run killed or failed before then leaves its marks, and the next import finishes the job.
"""
from __future__ import annotations

import sqlite3
from contextlib import contextmanager
from typing import Iterator

from app.db import write_transaction
from app.ranking import index_totals

# content table -> (key column = FTS rowid, indexed columns); each index is `<table>_fts`.
INDEXES = {
    "papers": ("id", ("title",)),
    "abstracts": ("id", ("text",)),
    "authors": ("id", ("name",)),
    "paper_search": ("paper_id", ("title", "authors", "abstract")),
}
# An import that added at least this share of the papers merges the search index into one
# segment: a bulk load leaves a dozen or more, and a search pays for every segment it reads
# (at 1M papers, two minutes of merging make multi-word searches about 1.5x faster).
OPTIMIZE_SHARE = 0.25
# FTS5 writes a new segment each time its pending postings reach `hashsize` (1 MB by
# default) and merges them as they pile up; a bulk build with 64 MB writes far fewer.
BULK_HASH_BYTES = 64 * 1024 * 1024
DEFAULT_HASH_BYTES = 1024 * 1024


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
    """Defer indexing to the end of the run (`index_deferred`) if the database has no papers
    yet; a bulk load that did not finish left its deferral, which goes on."""
    with write_transaction(conn):
        if not _deferred(conn) and not conn.execute("SELECT EXISTS (SELECT 1 FROM papers)").fetchone()[0]:
            _mark(conn)


def index_deferred(conn: sqlite3.Connection) -> int:
    """Index the rows a bulk load deferred, one batch per table; returns the papers it added to the search index."""
    with write_transaction(conn):
        marks = dict(conn.execute("SELECT table_name, upto FROM fts_deferred").fetchall())
        if not marks:
            return 0
        for table in INDEXES:
            _set_hash_size(conn, table, BULK_HASH_BYTES)
        _index_above(conn, marks)
        for table in INDEXES:
            _set_hash_size(conn, table, DEFAULT_HASH_BYTES)
        return conn.execute("SELECT count(*) FROM paper_search WHERE paper_id > ?", (marks["paper_search"],)).fetchone()[0]


def _deferred(conn: sqlite3.Connection) -> bool:
    return conn.execute("SELECT EXISTS (SELECT 1 FROM fts_deferred)").fetchone()[0]


def _mark(conn: sqlite3.Connection) -> dict[str, int]:
    """Record each table's largest key: the triggers leave the rows above it to `_index_above`."""
    marks = {table: conn.execute(f"SELECT coalesce(max({key}), 0) FROM {table}").fetchone()[0]
             for table, (key, _) in INDEXES.items()}
    conn.executemany("INSERT INTO fts_deferred (table_name, upto) VALUES (?, ?)", marks.items())
    return marks


def _index_above(conn: sqlite3.Connection, marks: dict[str, int]) -> None:
    for table, (key, columns) in INDEXES.items():
        names = ", ".join(columns)
        conn.execute(f"INSERT INTO {table}_fts (rowid, {names}) SELECT {key}, {names} FROM {table} WHERE {key} > ?",
                     (marks[table],))
    conn.execute("DELETE FROM fts_deferred")


def _set_hash_size(conn: sqlite3.Connection, table: str, size: int) -> None:
    conn.execute(f"INSERT INTO {table}_fts ({table}_fts, rank) VALUES ('hashsize', ?)", (size,))


def optimize_after_bulk_load(conn: sqlite3.Connection, papers_added: int) -> bool:
    """Merge the search index into one segment if the import added OPTIMIZE_SHARE of its papers or more."""
    papers, _ = index_totals(conn)
    if not papers or papers_added < OPTIMIZE_SHARE * papers:
        return False
    with write_transaction(conn):
        conn.execute("INSERT INTO paper_search_fts (paper_search_fts) VALUES ('optimize')")
    return True

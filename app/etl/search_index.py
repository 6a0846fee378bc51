"""Search index upkeep for imports: new rows go into the FTS5 indexes in one batch per table.

The triggers (migration 0004) keep every index in sync row by row, which costs
FTS5 several times more than indexing the same rows in one `INSERT … SELECT`.
Inside an import's transaction `batched_fts` records each table's largest key in
`fts_deferred`, so the triggers leave newer rows alone, and indexes those rows
just before the transaction commits; a rollback undoes both together.
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


@contextmanager
def batched_fts(conn: sqlite3.Connection) -> Iterator[None]:
    """Within a write transaction: index the rows added inside this block in one batch per table."""
    marks = {table: conn.execute(f"SELECT coalesce(max({key}), 0) FROM {table}").fetchone()[0]
             for table, (key, _) in INDEXES.items()}
    conn.executemany("INSERT INTO fts_deferred (table_name, upto) VALUES (?, ?)", marks.items())
    yield
    for table, (key, columns) in INDEXES.items():
        names = ", ".join(columns)
        conn.execute(f"INSERT INTO {table}_fts (rowid, {names}) SELECT {key}, {names} FROM {table} WHERE {key} > ?",
                     (marks[table],))
    conn.execute("DELETE FROM fts_deferred")


def optimize_after_bulk_load(conn: sqlite3.Connection, papers_added: int) -> bool:
    """Merge the search index into one segment if the import added OPTIMIZE_SHARE of its papers or more."""
    papers, _ = index_totals(conn)
    if not papers or papers_added < OPTIMIZE_SHARE * papers:
        return False
    with write_transaction(conn):
        conn.execute("INSERT INTO paper_search_fts (paper_search_fts) VALUES ('optimize')")
    return True

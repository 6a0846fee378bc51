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

# content table -> (key column = FTS rowid, indexed columns); each index is `<table>_fts`.
INDEXES = {
    "papers": ("id", ("title",)),
    "abstracts": ("id", ("text",)),
    "authors": ("id", ("name",)),
    "paper_search": ("paper_id", ("title", "authors", "abstract")),
}


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

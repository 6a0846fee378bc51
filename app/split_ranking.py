"""Ranking a large search on both cores: the lower half of the paper ids here, the upper half in a second thread.

FTS5 scores every paper a search matches, 1-2 µs each: two common words match a tenth of
a million papers or more. SQLite lets go of Python's lock while it steps, so a second
read-only connection in its own thread ranks the upper half of the ids meanwhile, and
the two best-first halves merge into the page (scores are the same on both connections:
bm25 counts its word frequencies over the whole index whatever the rowid range).

The halves must come from the same index. The second connection reads in its own
transaction, and its half is used only when its copy of the index's structure record
(which every write to the index changes) is the caller's; otherwise the caller ranks
that half too.
"""
from __future__ import annotations

import heapq
import os
import sqlite3
from concurrent.futures import Future, ThreadPoolExecutor
from itertools import islice
from operator import itemgetter

from app.db import connect
from app.ranking import index_structure

# `sql` of `SplitRanker.rank` ends its WHERE clause with this placeholder for the id range.
RANGE = "{range}"


class SplitRanker:
    """A second read-only connection, opened on first use in a thread of its own."""

    def __init__(self, path: str | os.PathLike):
        self._path = path
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="paperdb-rank")
        self._conn: sqlite3.Connection | None = None  # used only in that thread

    def rank(self, conn: sqlite3.Connection, sql: str, params: dict) -> list[sqlite3.Row]:
        """Rows (`id`, `score`, …) of `sql`, ordered by score then id, with `params`' `limit` and `offset`.

        `conn` must be in a read transaction (its snapshot is the one answered for).
        `sql` orders by score then id and takes `:limit` rows from `:offset`.
        """
        # (min and max in one SELECT would scan the table; each alone is one seek)
        lo, hi = conn.execute("SELECT (SELECT min(paper_id) FROM paper_search), (SELECT max(paper_id) FROM paper_search)").fetchone()
        if lo is None or params["limit"] < 0:
            return conn.execute(sql.replace(RANGE, ""), params).fetchall()
        halves = {**params, "offset": 0, "limit": params["offset"] + params["limit"], "middle": (lo + hi) // 2}
        upper_sql = sql.replace(RANGE, " AND rowid > :middle")
        upper: Future = self._thread.submit(self._read, upper_sql, halves)
        lower = conn.execute(sql.replace(RANGE, " AND rowid <= :middle"), halves).fetchall()
        try:
            structure, upper_rows = upper.result()
        except sqlite3.Error:
            structure, upper_rows = None, []
        if structure is None or structure != index_structure(conn):  # it failed, or an import wrote in between
            upper_rows = conn.execute(upper_sql, halves).fetchall()
        merged = heapq.merge(lower, upper_rows, key=itemgetter("score", "id"))
        return list(islice(merged, params["offset"], halves["limit"]))

    def _read(self, sql: str, params: dict) -> tuple[bytes | None, list[sqlite3.Row]]:
        """The index's structure record and the rows of `sql`, read in one transaction."""
        if self._conn is None:
            self._conn = connect(self._path, readonly=True)
            self._conn.execute("PRAGMA query_only = ON")
        self._conn.execute("BEGIN")
        try:
            return index_structure(self._conn), self._conn.execute(sql, params).fetchall()
        finally:
            self._conn.execute("COMMIT")

    def close(self) -> None:
        """Close the second connection and end its thread."""
        if self._conn is not None:
            self._thread.submit(self._conn.close).result()
        self._thread.shutdown()

"""Ranking a large search on both cores: the lower half of the paper ids here, the upper half in a second thread.

FTS5 scores every paper a search matches, 1-2 µs each: two common words match a tenth of
a million papers or more. SQLite lets go of Python's lock while it steps, so a second
read-only connection in its own thread ranks the upper half of the ids meanwhile, and
the two best-first halves merge into the page (scores are the same on both connections:
bm25 counts its word frequencies over the whole index whatever the rowid range).

The halves must come from the same index. The second connection reads in its own
transaction, and its half is used only when its copy of the index's structure record
(which every write to the index changes) is the caller's; otherwise the caller ranks
that half too. Only the index is compared, so the ranking SQL must read nothing else:
filters on other tables (an author's papers, years) are not split.
"""

from __future__ import annotations

import heapq
import os
import sqlite3
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from itertools import islice
from operator import itemgetter

from app.db import connect_for_queries
from app.search.fts import index_structure

LOWER, UPPER = " AND rowid <= :middle", " AND rowid > :middle"
MAX_SQL_INT = 2**63 - 1


class SplitRanker:
    """A second read-only connection, opened on first use in a thread of its own."""

    def __init__(self, path: str | os.PathLike):
        self._path = path
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="paperdb-rank")
        self._conn: sqlite3.Connection | None = None  # opened, used and closed in that thread only

    def rank(self, conn: sqlite3.Connection, sql_of: Callable[[str], str], params: dict) -> list[sqlite3.Row]:
        """The rows (`id`, `score`) of the ranking `sql_of` gives for an id range (`""` for all),
        ordered by score then id, `params["limit"]` of them from `params["offset"]`.

        `conn` must be in a read transaction: the page is the one its snapshot gives.
        """
        lo, hi = conn.execute(
            "SELECT (SELECT min(id) FROM paper_search_fts_docsize), (SELECT max(id) FROM paper_search_fts_docsize)"
        ).fetchone()  # one seek each
        if lo is None or params["limit"] <= 0:
            return conn.execute(sql_of(""), params).fetchall()
        wanted = min(params["offset"] + params["limit"], MAX_SQL_INT)
        halves = {**params, "offset": 0, "limit": wanted, "middle": (lo + hi) // 2}
        upper: Future = self._executor.submit(self._read, sql_of(UPPER), halves)
        lower = conn.execute(sql_of(LOWER), halves).fetchall()
        try:
            structure, upper_rows = upper.result()
        except sqlite3.Error:
            structure, upper_rows = None, []
        if structure is None or structure != index_structure(conn):  # it failed, or an import wrote in between
            upper_rows = conn.execute(sql_of(UPPER), halves).fetchall()
        merged = heapq.merge(lower, upper_rows, key=itemgetter("score", "id"))
        return list(islice(merged, params["offset"], wanted))

    def _read(self, sql: str, params: dict) -> tuple[bytes | None, list[sqlite3.Row]]:
        """The index's structure record and the rows of `sql`, read in one transaction."""
        if self._conn is None:
            self._conn = connect_for_queries(self._path)
        self._conn.execute("BEGIN")
        try:
            return index_structure(self._conn), self._conn.execute(sql, params).fetchall()
        finally:
            self._conn.execute("COMMIT")

    def _close_connection(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def close(self) -> None:
        """Close the second connection (in its thread, after any ranking still running) and end the thread."""
        self._executor.submit(self._close_connection).result()
        self._executor.shutdown()

"""A scratch index: an empty in-memory copy of `paper_search_fts`'s shape and tokenizer, for jobs on a few papers."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from itertools import groupby
from operator import itemgetter

from app.search.bm25 import SEARCH_COLUMNS, SEARCH_WEIGHTS


class ScratchIndex:
    """An empty in-memory index shaped and tokenized like `paper_search_fts`, for jobs on a few papers.

    Snippets and match checks for a page of papers are cheaper here than in the large index,
    where each paper looked up by id costs a seek per word and segment (0.1-0.3 ms at a million
    papers); they depend only on the papers' text, so FTS5 gives the same results. It also
    tells which index terms a text becomes (`Parsing` -> `pars`). Every job rolls back.
    """

    def __init__(self, conn: sqlite3.Connection):
        (sql,) = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'paper_search_fts'").fetchone()
        tokenize = re.search(r"tokenize\s*=\s*'((?:[^']|'')*)'", sql).group(1)
        self.conn = sqlite3.connect(":memory:", isolation_level=None)
        self.conn.execute(
            f"CREATE VIRTUAL TABLE paper_search_fts USING fts5({', '.join(SEARCH_COLUMNS)}, tokenize='{tokenize}')"
        )
        self.conn.execute("CREATE VIRTUAL TABLE vocab USING fts5vocab(paper_search_fts, instance)")

    @contextmanager
    def _holding(self, rows: Iterable[Sequence]) -> Iterator[sqlite3.Connection]:
        """The index holding these (rowid, title, authors, abstract) rows until the block ends."""
        self.conn.execute("BEGIN")
        try:
            self.conn.executemany(
                "INSERT INTO paper_search_fts (rowid, title, authors, abstract) VALUES (?, ?, ?, ?)", rows
            )
            yield self.conn
        finally:
            self.conn.execute("ROLLBACK")

    def terms(self, texts: Sequence[str]) -> list[list[str]]:
        """Each text's index terms, in order."""
        out: list[list[str]] = [[] for _ in texts]
        with self._holding((i, text, None, None) for i, text in enumerate(texts)) as conn:
            for term, doc in conn.execute("SELECT term, doc FROM vocab ORDER BY doc, offset"):
                out[doc].append(term)
        return out

    @contextmanager
    def counting(self, rows: Iterable[Sequence], terms: Iterable[str]) -> Iterator[tuple[dict[int, int], Iterator]]:
        """Index (rowid, title, authors, abstract) rows for the block; gives the tokens of each row
        that has any, and for each of `terms` that a row has, in term order:
        (term, [(row, weighted hits as bm25 counts them)])."""
        weight = " ".join(f"WHEN '{c}' THEN {w!r}" for c, w in zip(SEARCH_COLUMNS, SEARCH_WEIGHTS))
        with self._holding(rows) as conn:
            conn.execute("CREATE TEMP TABLE wanted (term TEXT PRIMARY KEY)")  # rolled back with the rows
            conn.executemany("INSERT INTO temp.wanted (term) VALUES (?)", [(t,) for t in terms])
            tokens = dict(conn.execute("SELECT doc, count(*) FROM vocab GROUP BY doc").fetchall())
            found = conn.execute(
                f"SELECT term, doc, sum(CASE col {weight} END) FROM vocab "
                f"WHERE term IN (SELECT term FROM temp.wanted) GROUP BY term, doc ORDER BY term, doc"
            )
            yield (
                tokens,
                ((term, [(doc, hits) for _, doc, hits in group]) for term, group in groupby(found, itemgetter(0))),
            )

    def snippets(self, rows: list, params: Mapping) -> dict[int, str]:
        """The snippet of each paper for the search `params["match"]`, by paper id."""
        with self._holding(rows) as conn:
            return dict(
                conn.execute(
                    "SELECT rowid, snippet(paper_search_fts, -1, :mark_start, :mark_end, '…', :tokens) "
                    "FROM paper_search_fts WHERE paper_search_fts MATCH :match",
                    params,
                ).fetchall()
            )

    def matching(self, rows: list, match: str) -> set[int]:
        """The ids of the papers that `match` matches."""
        with self._holding(rows) as conn:
            return {
                r[0]
                for r in conn.execute("SELECT rowid FROM paper_search_fts WHERE paper_search_fts MATCH ?", (match,))
            }

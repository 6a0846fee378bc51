"""How searches are ranked: FTS5's bm25, its weights, and what the import and the query layer share about it.

FTS5 ranks every paper a search matches: a second for a word in most of a million papers.
So each import keeps the best papers of every common word in `search_top`
(`app.etl.search_lists`), and `app.query.PaperDB.search` reads the list of a search
ranked by one such word. Both sides need FTS5's scoring, which is reproduced here to the
last bit: bm25 of one word in one paper is `idf(papers, containing) * saturation(hits,
tokens, avgdl)`, the arithmetic of SQLite's fts5_aux.c in the same order.
"""
from __future__ import annotations

import json
import math
import re
import sqlite3
from contextlib import contextmanager
from itertools import groupby
from operator import itemgetter
from typing import Iterable, Iterator, Mapping, Sequence

import numpy as np

WORDS = re.compile(r"[^\W_]+")  # what FTS5's unicode61 tokenizer keeps as a word

# bm25 weights for the combined index columns (title, authors, abstract): a title hit
# counts most, then an author name, then the abstract; 10/5/1 keeps that order robustly.
# Whole numbers, so a paper's weighted hits are exact however they are summed.
SEARCH_WEIGHTS = (10.0, 5.0, 1.0)
SEARCH_COLUMNS = ("title", "authors", "abstract")
# FTS5's bm25 constants (fts5_aux.c).
K1, B = 1.2, 0.75
# Words in at least TOP_MIN_PAPERS papers get at least their TOP_DEPTH best papers kept in
# `search_top`: FTS5's bm25 costs about 1.3 µs per matching paper (measured at 100k and 1M
# papers on a 2-core machine), so a rarer word ranks in full in under ~7 ms. A page that
# ends beyond a list's papers is ranked in full.
TOP_MIN_PAPERS = 5000
TOP_DEPTH = 100
# FTS5's structure record (`<index>_data` row 10): every write to the index changes it, so
# `search_top` is used only while it matches the copy taken when the lists were computed.
FTS_STRUCTURE_ROWID = 10
# FTS5's averages record (row 1): the number of rows, then the tokens of each column.
FTS_AVERAGES_ROWID = 1
# An SQL condition: the lists were computed from the search index as it is now.
LISTS_ARE_CURRENT = (f"(SELECT fts_structure FROM search_top_source) = "
                     f"(SELECT block FROM paper_search_fts_data WHERE id = {FTS_STRUCTURE_ROWID})")

# bm25 of every match, best first, ties by paper id: the full ranking and `search_top` agree.
RANK_SQL = """
    SELECT rowid AS id, bm25(paper_search_fts, :w_title, :w_authors, :w_abstract) AS score
    FROM paper_search_fts WHERE paper_search_fts MATCH {match} {filters}
    ORDER BY score, rowid LIMIT :limit OFFSET :offset
"""
WEIGHTS = {"w_title": SEARCH_WEIGHTS[0], "w_authors": SEARCH_WEIGHTS[1], "w_abstract": SEARCH_WEIGHTS[2]}
# Every match with its score, by id: what a word's list and postings are read from.
ALL_SCORES_SQL = ("SELECT rowid, bm25(paper_search_fts, :w_title, :w_authors, :w_abstract) "
                  "FROM paper_search_fts WHERE paper_search_fts MATCH :match ORDER BY rowid")


def idf(papers: int, containing: int) -> float:
    """bm25's weight of a word in `containing` of `papers` papers; FTS5 raises it to 1e-6
    when not positive (a word in half the papers or more)."""
    value = math.log((papers - containing + 0.5) / (containing + 0.5))
    return value if value > 0.0 else 1e-6


def length_norm(tokens, avgdl: float):
    """bm25's length normalisation of a paper of `tokens` tokens (a number, or a numpy array
    of them: the same arithmetic element by element)."""
    return K1 * (1 - B + B * tokens / avgdl)


def saturated(hits, norm):
    """bm25's term-frequency part for `hits` weighted hits in a paper of length norm `norm`."""
    return (hits * (K1 + 1.0)) / (hits + norm)


def saturation(hits, tokens, avgdl: float):
    """bm25's term-frequency part for `hits` weighted hits in a paper of `tokens` tokens."""
    return saturated(hits, length_norm(tokens, avgdl))


def bm25(word_idf: float, hits, tokens, avgdl: float):
    """The score FTS5's bm25 gives a one-word search (lower is better), bit for bit."""
    return -1.0 * (0.0 + word_idf * saturation(hits, tokens, avgdl))


def all_scores(conn: sqlite3.Connection, match: str) -> tuple[np.ndarray, np.ndarray]:
    """The ids (ascending) and FTS5 scores of every paper `match` matches."""
    rows = np.array(conn.execute(ALL_SCORES_SQL, {"match": match, **WEIGHTS}).fetchall(), np.float64).reshape(-1, 2)
    return rows[:, 0].astype(np.int64), rows[:, 1].copy()


def weighted_hits(scores: np.ndarray, word_idf: float, tokens: np.ndarray, avgdl: float) -> tuple[np.ndarray, np.ndarray]:
    """The weighted hits behind one-word bm25 scores, and whether each reproduces its score exactly."""
    g = -scores / word_idf
    hits = np.round(g * length_norm(tokens, avgdl) / (K1 + 1.0 - g))
    return hits, bm25(word_idf, hits, tokens, avgdl) == scores


def varints(blob: bytes) -> list[int]:
    """The SQLite varints FTS5 packs its records with (`_docsize` sizes, the averages record)."""
    out, i = [], 0
    while i < len(blob):
        value = 0
        for k in range(9):
            byte = blob[i]
            i += 1
            if k == 8:
                value = (value << 8) | byte
                break
            value = (value << 7) | (byte & 0x7F)
            if not byte & 0x80:
                break
        out.append(value)
    return out


def _index_record(conn: sqlite3.Connection, rowid: int) -> bytes | None:
    """One of `paper_search_fts`'s own records, as this connection sees it."""
    row = conn.execute("SELECT block FROM paper_search_fts_data WHERE id = ?", (rowid,)).fetchone()
    return row[0] if row else None


def index_totals(conn: sqlite3.Connection) -> tuple[int, int]:
    """(papers, tokens) in `paper_search_fts` as this connection sees it: what bm25's N and avgdl come from."""
    values = varints(_index_record(conn, FTS_AVERAGES_ROWID) or b"")
    if not values:  # an index never written to has an empty record
        return 0, 0
    papers, *columns = values
    return papers, sum(columns)


def index_structure(conn: sqlite3.Connection) -> bytes | None:
    """`paper_search_fts`'s structure record as this connection sees it: every write to the index changes it."""
    return _index_record(conn, FTS_STRUCTURE_ROWID)


def paper_tokens(conn: sqlite3.Connection, paper_ids: Iterable[int]) -> dict[int, int]:
    """Each paper's tokens (all columns) in `paper_search_fts`: bm25's document length."""
    return {pid: sum(varints(sizes)) for pid, sizes in conn.execute(
        "SELECT id, sz FROM paper_search_fts_docsize WHERE id IN (SELECT value FROM json_each(?))",
        (json.dumps(sorted(paper_ids)),))}


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
        self.conn.execute(f"CREATE VIRTUAL TABLE paper_search_fts USING fts5({', '.join(SEARCH_COLUMNS)}, "
                          f"tokenize='{tokenize}')")
        self.conn.execute("CREATE VIRTUAL TABLE vocab USING fts5vocab(paper_search_fts, instance)")

    @contextmanager
    def _holding(self, rows: Iterable[Sequence]) -> Iterator[sqlite3.Connection]:
        """The index holding these (rowid, title, authors, abstract) rows until the block ends."""
        self.conn.execute("BEGIN")
        try:
            self.conn.executemany("INSERT INTO paper_search_fts (rowid, title, authors, abstract) VALUES (?, ?, ?, ?)",
                                  rows)
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
            found = conn.execute(f"SELECT term, doc, sum(CASE col {weight} END) FROM vocab "
                                 f"WHERE term IN (SELECT term FROM temp.wanted) GROUP BY term, doc ORDER BY term, doc")
            yield tokens, ((term, [(doc, hits) for _, doc, hits in group]) for term, group in groupby(found, itemgetter(0)))

    def snippets(self, rows: list, params: Mapping) -> dict[int, str]:
        """The snippet of each paper for the search `params["match"]`, by paper id."""
        with self._holding(rows) as conn:
            return dict(conn.execute(
                "SELECT rowid, snippet(paper_search_fts, -1, :mark_start, :mark_end, '…', :tokens) "
                "FROM paper_search_fts WHERE paper_search_fts MATCH :match", params).fetchall())

    def matching(self, rows: list, match: str) -> set[int]:
        """The ids of the papers that `match` matches."""
        with self._holding(rows) as conn:
            return {r[0] for r in conn.execute("SELECT rowid FROM paper_search_fts WHERE paper_search_fts MATCH ?",
                                               (match,))}


def search_top_is_current(conn: sqlite3.Connection) -> bool:
    """Whether `search_top` was computed from the search index as it is now."""
    return bool(conn.execute(f"SELECT coalesce({LISTS_ARE_CURRENT}, 0)").fetchone()[0])

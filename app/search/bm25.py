"""FTS5's bm25 over the search index: its column weights, the ranking SQL, and its arithmetic to the last bit.

bm25 of one word in one paper is `idf(papers, containing) * saturation(hits, tokens, avgdl)`,
computed here as SQLite's fts5_aux.c computes it, in the same order: the caches
(`app.search.lists`, `app.search.postings`) give the scores FTS5 would give.
"""

from __future__ import annotations

import math
import sqlite3

import numpy as np

# bm25 weights for the combined index columns (title, authors, abstract): a title hit
# counts most, then an author name, then the abstract; 10/5/1 keeps that order robustly.
# Whole numbers, so a paper's weighted hits are exact however they are summed.
SEARCH_WEIGHTS = (10.0, 5.0, 1.0)
SEARCH_COLUMNS = ("title", "authors", "abstract")
# FTS5's bm25 constants (fts5_aux.c).
K1, B = 1.2, 0.75

# bm25 of every match, best first, ties by paper id: the full ranking and `search_top` agree.
RANK_SQL = """
    SELECT rowid AS id, bm25(paper_search_fts, :w_title, :w_authors, :w_abstract) AS score
    FROM paper_search_fts WHERE paper_search_fts MATCH {match} {filters}
    ORDER BY score, rowid LIMIT :limit OFFSET :offset
"""
WEIGHTS = {"w_title": SEARCH_WEIGHTS[0], "w_authors": SEARCH_WEIGHTS[1], "w_abstract": SEARCH_WEIGHTS[2]}
# Every match with its score, by id: what a word's list and postings are read from.
ALL_SCORES_SQL = (
    "SELECT rowid, bm25(paper_search_fts, :w_title, :w_authors, :w_abstract) "
    "FROM paper_search_fts WHERE paper_search_fts MATCH :match ORDER BY rowid"
)


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
    rows = conn.execute(ALL_SCORES_SQL, {"match": match, **WEIGHTS}).fetchall()
    # Column by column with `fromiter`: `np.array` of the row tuples took a quarter of the
    # ranking's time (a word of 90k papers at 100k: 62 ms against 200 ms for the query).
    ids = np.fromiter((row[0] for row in rows), np.int64, len(rows))
    return ids, np.fromiter((row[1] for row in rows), np.float64, len(rows))


def weighted_hits(
    scores: np.ndarray, word_idf: float, tokens: np.ndarray, avgdl: float
) -> tuple[np.ndarray, np.ndarray]:
    """The weighted hits behind one-word bm25 scores, and whether each reproduces its score exactly."""
    g = -scores / word_idf
    hits = np.round(g * length_norm(tokens, avgdl) / (K1 + 1.0 - g))
    return hits, bm25(word_idf, hits, tokens, avgdl) == scores

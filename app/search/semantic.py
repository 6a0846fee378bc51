"""Semantic search, read side: the papers nearest a vector, and the fusion of two rankings.

Nearest neighbours are exact: every stored vector is compared (a matrix product in numpy), which
at 100k papers takes milliseconds once the matrix is read (docs/benchmarks.md compares it with
sqlite-vec). The matrix is read once per connection and again only after a commit to the database.
"""

from __future__ import annotations

import sqlite3

import numpy as np

from app.search import embedding
from app.search.embedding import ENABLE_HINT, SemanticUnavailable

# Reciprocal rank fusion: a paper scores 1 / (RRF_K + rank) in each ranking. 60 is the constant of
# Cormack, Clarke and Büttcher (2009), which damps the difference between the very first ranks.
RRF_K = 60
# A hybrid search fuses at least this many of each ranking's best papers (more for a deeper page).
FUSION_DEPTH = 100
# How the search commands may rank: bm25 over the words, vectors, or both fused.
MODES = ("text", "semantic", "hybrid")


def fuse(rankings: list[list[int]], depth: int) -> list[tuple[int, float]]:
    """Reciprocal rank fusion of rankings of paper ids (best first): (id, score), best first, ties by id."""
    scores: dict[int, float] = {}
    for ranking in rankings:
        for rank, paper_id in enumerate(ranking[:depth], 1):
            scores[paper_id] = scores.get(paper_id, 0.0) + 1.0 / (RRF_K + rank)
    return sorted(scores.items(), key=lambda item: (-item[1], item[0]))


class Vectors:
    """The vectors of `paper_vectors` on one read-only connection, as one matrix."""

    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn
        self._read: tuple[int, np.ndarray, np.ndarray] | None = None  # (data_version, ids, unit rows)

    def _matrix(self) -> tuple[np.ndarray, np.ndarray]:
        """Every paper id with a vector, ascending, and the vectors as unit rows; raises when there are none."""
        version = self.conn.execute("PRAGMA data_version").fetchone()[0]
        if self._read is None or self._read[0] != version:
            try:
                rows = self.conn.execute(
                    "SELECT paper_id, vector, scale FROM paper_vectors ORDER BY paper_id"
                ).fetchall()
            except sqlite3.OperationalError as e:  # a schema from before the vectors (migration 0017)
                if "no such table" not in str(e):
                    raise
                raise SemanticUnavailable("this database has no vectors yet: run `paperdb migrate`") from None
            ids = np.array([r[0] for r in rows], dtype=np.int64)
            self._read = (version, ids, embedding.decode([r[1] for r in rows], [r[2] for r in rows]))
        if not len(self._read[1]):
            raise SemanticUnavailable(f"no paper has a vector yet: {ENABLE_HINT}, then run `paperdb import`")
        return self._read[1], self._read[2]

    def nearest(
        self, vector: np.ndarray, count: int, *, among: set[int] | None = None, leave_out: int | None = None
    ) -> list[tuple[int, float]]:
        """The `count` papers most similar to a unit vector, as (id, cosine similarity), best first, ties by id;
        only papers `among` when given, never `leave_out`."""
        ids, matrix = self._matrix()
        similarity = matrix @ vector
        keep = np.ones(len(ids), dtype=bool)
        if among is not None:
            keep &= np.isin(ids, np.fromiter(among, dtype=np.int64, count=len(among)))
        if leave_out is not None:
            keep &= ids != leave_out
        candidates = np.flatnonzero(keep)
        if count < len(candidates):
            candidates = candidates[np.argpartition(-similarity[candidates], count)[:count]]
        best = sorted(candidates, key=lambda i: (-similarity[i], ids[i]))
        return [(int(ids[i]), float(similarity[i])) for i in best]

    def of(self, paper_id: int) -> np.ndarray | None:
        """A paper's own vector, None when it has none."""
        ids, matrix = self._matrix()
        at = np.searchsorted(ids, paper_id)
        return matrix[at] if at < len(ids) and ids[at] == paper_id else None

"""Semantic search, read side: the papers nearest a vector, and the fusion of two rankings.

Nearest neighbours are exact: every stored vector is compared (a matrix product in numpy), which
at 100k papers takes milliseconds once the matrix is read (docs/benchmarks.md compares it with
sqlite-vec). The matrix is read once per process and database, and again after each import.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

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
# Stored rows turned into floats at a time for a product: the matrix stays int8 in memory
# (256 MB at a million papers; as float32 it took 1 GB, twice while normalised).
CHUNK_ROWS = 65536
# Why a search by meaning cannot run, besides an install without the extra (ENABLE_HINT).
NO_VECTOR_TABLE = "this database has no vectors yet: run `paperdb migrate`"
NO_VECTORS = f"no paper has a vector yet: {ENABLE_HINT}, then run `paperdb import`"


def fuse(rankings: list[list[int]], depth: int) -> list[tuple[int, float]]:
    """Reciprocal rank fusion of rankings of paper ids (best first): (id, score), best first, ties by id."""
    scores: dict[int, float] = {}
    for ranking in rankings:
        for rank, paper_id in enumerate(ranking[:depth], 1):
            scores[paper_id] = scores.get(paper_id, 0.0) + 1.0 / (RRF_K + rank)
    return sorted(scores.items(), key=lambda item: (-item[1], item[0]))


# The matrices read, by database file, with the import they were read after: a process that
# opens a connection per request (Datasette's pages) reads a database's vectors once per import,
# not once per page (1.6 s at a million papers). The last few databases are kept.
_READ: dict[str, tuple] = {}
KEEP_DATABASES = 2


class Vectors:
    """The vectors of `paper_vectors` on one read-only connection, as one int8 matrix."""

    def __init__(self, conn: sqlite3.Connection, path: str | os.PathLike | None = None):
        self.conn = conn
        self.path = str(Path(path).resolve()) if path else None
        # (the import they were read after, paper ids ascending, int8 rows, 1 / each row's length)
        self._read: tuple[tuple, np.ndarray, np.ndarray, np.ndarray] | None = None

    def _matrix(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every paper id with a vector, ascending, its int8 row and the inverse of the row's length;
        read again after an import (begun or finished) since; raises when there are no vectors."""
        # Only an import writes vectors, and each one is a row of `import_runs`, finished when it ends.
        version = tuple(
            self.conn.execute("SELECT id, finished_at FROM import_runs ORDER BY id DESC LIMIT 1").fetchone() or ()
        )
        if self._read is None and self.path in _READ and _READ[self.path][0] == version:
            self._read = _READ[self.path]
        if self._read is None or self._read[0] != version:
            rows = _vector_rows(self.conn, "SELECT paper_id, vector FROM paper_vectors ORDER BY paper_id")
            ids = np.array([r[0] for r in rows], dtype=np.int64)
            matrix = embedding.int8_rows([r[1] for r in rows])
            lengths = np.concatenate(
                [np.linalg.norm(chunk.astype(np.float32), axis=1) for chunk in _chunks(matrix)] or [np.zeros(0)]
            )
            self._read = (version, ids, matrix, 1 / np.where(lengths > 0, lengths, 1).astype(np.float32))
            if self.path:
                _READ.pop(self.path, None)
                while len(_READ) >= KEEP_DATABASES:
                    _READ.pop(next(iter(_READ)))
                _READ[self.path] = self._read
        if not len(self._read[1]):
            raise SemanticUnavailable(NO_VECTORS)
        return self._read[1:]

    def nearest(
        self, vector: np.ndarray, count: int, *, among: set[int] | None = None, leave_out: int | None = None
    ) -> list[tuple[int, float]]:
        """The `count` papers most similar to a unit vector, as (id, cosine similarity), best first, ties by id;
        only papers `among` when given, never `leave_out`."""
        ids, matrix, inverse_lengths = self._matrix()
        similarity = np.concatenate([chunk.astype(np.float32) @ vector for chunk in _chunks(matrix)])
        similarity *= inverse_lengths
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
        """A paper's own vector, of unit length; None when it has none."""
        ids, matrix, inverse_lengths = self._matrix()
        at = np.searchsorted(ids, paper_id)
        if at == len(ids) or ids[at] != paper_id:
            return None
        return matrix[at].astype(np.float32) * inverse_lengths[at]


def unavailable(conn: sqlite3.Connection) -> str | None:
    """Why papers cannot be searched by meaning here, in one line (no extra, no vectors); None when they can.
    Cheap: it reads no vector."""
    if not embedding.available():
        return ENABLE_HINT
    try:
        [(some,)] = _vector_rows(conn, "SELECT EXISTS (SELECT 1 FROM paper_vectors)")
    except SemanticUnavailable as e:
        return str(e)
    return None if some else NO_VECTORS


def _vector_rows(conn: sqlite3.Connection, sql: str) -> list:
    """The rows of a query of `paper_vectors`; SemanticUnavailable on a schema from before the vectors (0018)."""
    try:
        return conn.execute(sql).fetchall()
    except sqlite3.OperationalError as e:
        if "no such table" not in str(e):
            raise
        raise SemanticUnavailable(NO_VECTOR_TABLE) from None


def _chunks(matrix: np.ndarray) -> list[np.ndarray]:
    return [matrix[start : start + CHUNK_ROWS] for start in range(0, len(matrix), CHUNK_ROWS)]

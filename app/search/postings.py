"""Search postings: every paper of each common word with its hits, to rank several common words without FTS5.

FTS5 scores every paper a search matches, about 1.5 µs each, after a pass over each
word's papers to count them: two common words at a million papers match a hundred
thousand papers or more, 100-250 ms. bm25 adds up per word (`app.search.bm25`), so with each
common word's papers, their weighted hits and every paper's length at hand, the same
scores come out of a few array operations: 5-20 ms.

Stored in `search_postings`, one row per word and chunk of 65,536 paper ids: the ids'
low 16 bits (`uint16`) and the hits (`uint8`, or `uint16` when one does not fit), both
ascending by id. `search_lengths` holds every paper's tokens, a chunk per row (`uint32`).
`app.search.lists` writes both with the lists, so they are current exactly when
the lists are (`app.search.caches.LISTS_ARE_CURRENT`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

import numpy as np

from app.search.bm25 import idf, length_norm, saturated, weighted_hits
from app.search.fts import LENGTHS

CHUNK_BITS = 16  # a chunk holds 65,536 paper ids (read at each call: tests use smaller chunks)
OFFSETS = np.dtype("<u2")
HITS = (np.dtype("<u1"), np.dtype("<u2"))  # the narrowest that holds a chunk's hits
MAX_HITS = 0xFFFF  # a word with more weighted hits in one paper gets no postings


def offsets_in_chunk(ids: np.ndarray) -> np.ndarray:
    """Each paper id's place in its chunk."""
    return ids & ((1 << CHUNK_BITS) - 1)


def encode(ids: np.ndarray, hits: np.ndarray) -> Iterable[tuple[int, bytes, bytes]]:
    """(chunk, offsets, hits) rows for ascending paper ids and their whole weighted hits."""
    chunks = ids >> CHUNK_BITS
    bounds = np.flatnonzero(np.diff(chunks)) + 1
    for part_ids, part_hits in zip(np.split(ids, bounds), np.split(hits, bounds)):
        if len(part_ids):
            width = HITS[0] if part_hits.max() <= 0xFF else HITS[1]
            yield (
                int(part_ids[0] >> CHUNK_BITS),
                offsets_in_chunk(part_ids).astype(OFFSETS).tobytes(),
                part_hits.astype(width).tobytes(),
            )


def decode(rows: Iterable[tuple[int, bytes, bytes]]) -> tuple[np.ndarray, np.ndarray]:
    """Paper ids (int64) and their hits (unsigned integers) from a word's rows in chunk order."""
    ids, hits = [], []
    for chunk, offsets, packed in rows:
        low = np.frombuffer(offsets, OFFSETS)
        ids.append(low.astype(np.int64) + (chunk << CHUNK_BITS))
        hits.append(np.frombuffer(packed, HITS[len(packed) // max(len(low), 1) - 1]))
    if not ids:
        return np.zeros(0, np.int64), np.zeros(0, HITS[0])
    return np.concatenate(ids), np.concatenate(hits)


def word_postings(conn: sqlite3.Connection, term: str) -> tuple[np.ndarray, np.ndarray]:
    """A word's paper ids and hits, ascending by id (empty when it has no postings)."""
    return decode(
        conn.execute("SELECT chunk, offsets, hits FROM search_postings WHERE term = ? ORDER BY chunk", (term,))
    )


def read_back(
    ids: np.ndarray, scores: np.ndarray, paper_lengths: np.ndarray, papers: int, tokens: int
) -> tuple[np.ndarray, np.ndarray] | None:
    """A word's postings (ids, hits) read back from FTS5's one-word scores of every paper holding
    it, ascending by id; None unless every score reproduces exactly from its hits."""
    hits, exact = weighted_hits(scores, idf(papers, len(ids)), paper_lengths[ids], float(tokens) / float(papers))
    return (ids, hits) if exact.all() else None


def stored_lengths(conn: sqlite3.Connection) -> np.ndarray:
    """Every paper's tokens as `search_lengths` keeps them with the postings, indexed by paper id
    (0 for ids without a paper): a few blobs, where the index's own lengths are a row per paper."""
    rows = conn.execute("SELECT chunk, tokens FROM search_lengths ORDER BY chunk").fetchall()
    out = np.zeros(((rows[-1][0] + 1) << CHUNK_BITS) if rows else 0, LENGTHS)
    for chunk, tokens in rows:
        out[chunk << CHUNK_BITS : (chunk + 1) << CHUNK_BITS] = np.frombuffer(tokens, LENGTHS)
    return out


def rank(
    words: list[tuple[np.ndarray, np.ndarray]],
    paper_lengths: np.ndarray,
    papers: int,
    tokens: int,
    offset: int,
    limit: int,
) -> list[dict]:
    """The page (`id`, `score`) FTS5's bm25 gives a search for all of these words (each as
    (ids, hits) of all its papers), best first, ties by id; `limit` -1 for all.

    The arithmetic is fts5_aux.c's, in its order (`app.search.bm25.bm25`), so the scores are
    FTS5's to the last bit: a score starts at 0.0 and adds each word's idf * saturation in
    query order (the idf from the word's papers, all of which its postings hold).
    """
    avgdl = float(tokens) / float(papers)
    # The papers holding every word: a mask over the paper ids, narrowed word by word.
    inside = np.zeros(len(paper_lengths), bool)
    first, *others = sorted(words, key=lambda word: len(word[0]))
    inside[first[0]] = True
    for ids, _ in others:
        narrowed = np.zeros_like(inside)
        narrowed[ids[inside[ids]]] = True
        inside = narrowed
    ids = np.flatnonzero(inside)
    norm = length_norm(paper_lengths[ids], avgdl)  # FTS5 computes the same value for each word
    score = 0.0
    for word_ids, hits in words:  # each word's hits of those papers, in the same (id) order
        score = score + idf(papers, len(word_ids)) * saturated(hits[inside[word_ids]].astype(np.float64), norm)
    scores = -1.0 * np.asarray(score, np.float64)
    end = len(ids) if limit < 0 else min(offset + limit, len(ids))
    if end < len(ids):  # keep the best `end` and every paper tied with the last of them
        cut = np.partition(scores, end - 1)[end - 1]
        keep = scores <= cut
        ids, scores = ids[keep], scores[keep]
    order = np.lexsort((ids, scores))[offset:end]
    return [{"id": int(i), "score": float(s)} for i, s in zip(ids[order], scores[order])]

"""Writing search postings (`app.search.postings`): in full from FTS5's scores, or patched from the changed papers.

`app.search.lists` calls these in the transaction that writes the lists, so the
postings always describe the index the lists were computed from:

- A full refresh ranks every common word in full anyway; each paper's weighted hits are
  read back from its score (`app.search.bm25.weighted_hits`), and a word gets postings only
  if every one of its scores is reproduced to the last bit and its hits fit.
- An update knows every changed paper's hits of each common word, old and new (from the
  scratch index), and rewrites only the chunks of the words those papers had or have.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Iterable

import numpy as np

from app.search import postings
from app.search.fts import LENGTHS
from app.search.postings import MAX_HITS, decode, encode


def fits(hits: np.ndarray) -> bool:
    """Whether the postings can hold these weighted hits exactly."""
    return bool(np.all((hits >= 0) & (hits <= MAX_HITS) & (hits == np.round(hits))))


def clear(conn: sqlite3.Connection) -> None:
    """Remove every posting and length (a full refresh writes them all again)."""
    conn.execute("DELETE FROM search_postings")
    conn.execute("DELETE FROM search_lengths")


def write_lengths(conn: sqlite3.Connection, lengths: np.ndarray) -> None:
    """Write these lengths (indexed by paper id) into the emptied `search_lengths`, a row per chunk."""
    size = 1 << postings.CHUNK_BITS
    padded = np.zeros(-(-len(lengths) // size) * size, LENGTHS)
    padded[: len(lengths)] = lengths
    conn.executemany(
        "INSERT INTO search_lengths (chunk, tokens) VALUES (?, ?)",
        [(c, block.tobytes()) for c, block in enumerate(padded.reshape(-1, size)) if block.any()],
    )


def write_word(conn: sqlite3.Connection, term: str, ids: np.ndarray, hits: np.ndarray) -> None:
    """A word's postings (ascending ids) into the emptied table; none if a hit count does not fit."""
    if fits(hits):
        _insert(conn, term, ids.astype(np.int64), hits)


def _insert(conn: sqlite3.Connection, term: str, ids: np.ndarray, hits: np.ndarray) -> None:
    conn.executemany(
        "INSERT INTO search_postings (term, chunk, offsets, hits) VALUES (?, ?, ?, ?)",
        [(term, *row) for row in encode(ids, hits)],
    )


def patch(
    conn: sqlite3.Connection,
    changed: Iterable[int],
    now: dict[str, list[tuple[int, float]]],
    had: dict[str, set[int]],
    keep: set[str],
    lengths_now: dict[int, int],
) -> None:
    """Bring the postings up to date with the changed papers.

    `now` holds each word's changed papers that have it, with their hits; `had` those that
    had it; only words in `keep` keep postings. `lengths_now` gives the changed papers'
    tokens (a paper missing from it has none: it left the index).
    """
    changed_in = _changed_by_chunk(np.array(sorted(set(changed)), np.int64))
    posted = {t for (t,) in conn.execute("SELECT DISTINCT term FROM search_postings")}
    for term in posted - keep:
        conn.execute("DELETE FROM search_postings WHERE term = ?", (term,))
    for term in sorted(posted & keep):
        touched = defaultdict(list)  # chunk -> the papers added to it (a chunk a paper left may get none)
        for pid in had.get(term, ()):
            touched.setdefault(pid >> postings.CHUNK_BITS, [])
        for pid, hits in now.get(term, ()):
            touched[pid >> postings.CHUNK_BITS].append((pid, hits))
        for chunk, added in sorted(touched.items()):
            if not _patch_chunk(conn, term, chunk, changed_in[chunk], added):
                conn.execute("DELETE FROM search_postings WHERE term = ?", (term,))  # FTS5 ranks it from now on
                break
    _patch_lengths(conn, changed_in, lengths_now)


def _changed_by_chunk(changed: np.ndarray) -> dict[int, np.ndarray]:
    """Each chunk's changed papers, as a mask over its offsets: one lookup per posting (testing
    membership in all the changed papers took milliseconds for each word and chunk)."""
    chunks = changed >> postings.CHUNK_BITS
    out = {}
    for chunk in np.unique(chunks).tolist():
        out[chunk] = np.zeros(1 << postings.CHUNK_BITS, bool)
        out[chunk][postings.offsets_in_chunk(changed[chunks == chunk])] = True
    return out


def _patch_chunk(
    conn: sqlite3.Connection, term: str, chunk: int, changed: np.ndarray, added: list[tuple[int, float]]
) -> bool:
    """Rewrite one chunk of a word's postings (`changed` masks its changed papers' offsets);
    False if a hit count does not fit."""
    ids, hits = decode(
        conn.execute("SELECT chunk, offsets, hits FROM search_postings WHERE term = ? AND chunk = ?", (term, chunk))
    )
    kept = ~changed[postings.offsets_in_chunk(ids)]
    new_ids = np.array([pid for pid, _ in added], np.int64)
    new_hits = np.array([h for _, h in added], np.float64)
    if not fits(new_hits):
        return False
    ids, hits = np.concatenate([ids[kept], new_ids]), np.concatenate([hits[kept], new_hits])
    order = np.argsort(ids, kind="stable")
    conn.execute("DELETE FROM search_postings WHERE term = ? AND chunk = ?", (term, chunk))
    _insert(conn, term, ids[order], hits[order])
    return True


def _patch_lengths(conn: sqlite3.Connection, changed_in: dict[int, np.ndarray], lengths_now: dict[int, int]) -> None:
    for chunk, changed in changed_in.items():
        row = conn.execute("SELECT tokens FROM search_lengths WHERE chunk = ?", (chunk,)).fetchone()
        block = np.frombuffer(row[0], LENGTHS).copy() if row else np.zeros(len(changed), LENGTHS)
        for offset in np.flatnonzero(changed).tolist():
            block[offset] = lengths_now.get((chunk << postings.CHUNK_BITS) + offset, 0)
        conn.execute("DELETE FROM search_lengths WHERE chunk = ?", (chunk,))
        if block.any():
            conn.execute("INSERT INTO search_lengths (chunk, tokens) VALUES (?, ?)", (chunk, block.tobytes()))

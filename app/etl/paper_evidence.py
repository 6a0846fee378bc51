"""Each paper's evidence for author resolution: its co-author keys, profile owners and title words.

Resolution reads a batch of blocks at a time, and every mention carries its paper's
evidence, so a paper whose authors sit in four blocks is read and worked out in four
batches. At a million papers that was 40% of the resolution workers' time. When workers
resolve, every paper's evidence is worked out once instead, split over the workers by
paper id, into a scratch file (`write_evidence`) that each batch then reads by id
(`PaperContext.evidence`). The evidence cannot go stale meanwhile: it comes from the
authorships' names, the papers' titles and the sources' profile owners, which only
loading writes.
"""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from sys import intern

from app.db import chunked, placeholders
from app.etl.resolve import NOTHING
from app.etl.title_words import title_words
from app.text.names import coauthor_key_in_block

# Papers whose evidence (co-author keys, profiles) stays cached during a run: measured
# about 3 KB each with their sets (at 100k papers), so the cache stays within the memory budget.
MAX_CACHED_PAPERS = 150_000
# Papers per piece of `write_evidence`'s work: a worker's rows for one are a few MB.
EVIDENCE_PAPERS_PER_PIECE = 20_000
# Joins co-author keys and title words in the scratch file: neither holds control characters.
SEPARATOR = "\x1f"

EvidenceRow = tuple[int, str, str | None, str]  # (paper, co-author keys, profile owners as JSON, title words)


@dataclass
class PaperContext:
    """Per-paper evidence (all co-author keys of the paper, profile owners, title words), fetched once per run."""

    coauthors: dict[int, tuple[str, ...]] = field(default_factory=dict)
    profiles: dict[int, frozenset[str]] = field(default_factory=dict)
    title_words: dict[int, tuple[str, ...]] = field(default_factory=dict)
    # A scratch file written by `write_evidence`, read before the database.
    evidence: sqlite3.Connection | None = None

    def load(self, conn: sqlite3.Connection, paper_ids: set[int]) -> None:
        """Fetch the evidence of papers not cached yet."""
        missing = sorted(paper_ids - self.coauthors.keys())
        if len(self.coauthors) + len(missing) > MAX_CACHED_PAPERS:
            self.coauthors.clear()
            self.profiles.clear()
            self.title_words.clear()
            missing = sorted(paper_ids)
        if self.evidence is not None:
            self._read_evidence(missing)
            missing = [pid for pid in missing if pid not in self.coauthors]
        keys: dict[int, set[str]] = defaultdict(set)
        owners: dict[int, set[str]] = defaultdict(set)
        for chunk in chunked(missing):
            for pid, block, given in conn.execute(
                f"SELECT paper_id, block_key, given_name FROM authorships WHERE paper_id IN ({placeholders(chunk)})",
                chunk,
            ):
                keys[pid].add(intern(coauthor_key_in_block(block, given)))
            for pid, owner in conn.execute(
                f"SELECT DISTINCT paper_id, profile_owner FROM paper_sources "
                f"WHERE profile_owner IS NOT NULL AND paper_id IN ({placeholders(chunk)})",
                chunk,
            ):
                owners[pid].add(intern(owner))
            for pid, title in conn.execute(f"SELECT id, title FROM papers WHERE id IN ({placeholders(chunk)})", chunk):
                self.title_words[pid] = title_words(title)
        for pid in missing:
            self.title_words.setdefault(pid, ())
            self.coauthors[pid] = tuple(keys[pid])
            self.profiles[pid] = frozenset(owners[pid]) if pid in owners else NOTHING

    def _read_evidence(self, paper_ids: list[int]) -> None:
        for chunk in chunked(paper_ids):
            for pid, coauthors, profiles, words in self.evidence.execute(
                f"SELECT paper_id, coauthors, profiles, title_words FROM evidence "
                f"WHERE paper_id IN ({placeholders(chunk)})",
                chunk,
            ):
                self.coauthors[pid] = _split(coauthors)
                self.profiles[pid] = frozenset(map(intern, json.loads(profiles))) if profiles else NOTHING
                self.title_words[pid] = _split(words)


def _split(joined: str) -> tuple[str, ...]:
    return tuple(map(intern, joined.split(SEPARATOR))) if joined else ()


def paper_ranges(conn: sqlite3.Connection) -> list[tuple[int, int]]:
    """[low, high) ranges of paper ids, EVIDENCE_PAPERS_PER_PIECE ids each, covering every paper."""
    low, high = conn.execute("SELECT min(id), max(id) FROM papers").fetchone()
    if low is None:
        return []
    return [(start, start + EVIDENCE_PAPERS_PER_PIECE) for start in range(low, high + 1, EVIDENCE_PAPERS_PER_PIECE)]


def evidence_rows(conn: sqlite3.Connection, low: int, high: int) -> list[EvidenceRow]:
    """The evidence of the papers with ids in [low, high), as `write_evidence` stores it."""
    ids = [r[0] for r in conn.execute("SELECT id FROM papers WHERE id >= ? AND id < ? ORDER BY id", (low, high))]
    context = PaperContext()
    context.load(conn, set(ids))
    return [
        (
            pid,
            SEPARATOR.join(context.coauthors[pid]),
            json.dumps(sorted(context.profiles[pid]), ensure_ascii=False) if context.profiles[pid] else None,
            SEPARATOR.join(context.title_words[pid]),
        )
        for pid in ids
    ]


def write_evidence(
    path: str, pieces: Iterable[list[EvidenceRow]], progress: Callable[[int], None] = lambda done: None
) -> None:
    """A new scratch file at `path` holding these rows, for `PaperContext.evidence`;
    `progress(rows written)` after each piece."""
    scratch = sqlite3.connect(path, isolation_level=None)
    try:
        scratch.execute("PRAGMA journal_mode = OFF")  # a scratch file: nothing to recover
        scratch.execute("PRAGMA synchronous = OFF")
        scratch.execute("BEGIN")
        scratch.execute(
            "CREATE TABLE evidence (paper_id INTEGER PRIMARY KEY, coauthors TEXT NOT NULL, profiles TEXT, "
            "title_words TEXT NOT NULL)"
        )
        done = 0
        for rows in pieces:
            scratch.executemany("INSERT INTO evidence VALUES (?, ?, ?, ?)", rows)
            done += len(rows)
            progress(done)
        scratch.execute("COMMIT")
    finally:
        scratch.close()


def open_evidence(path: str) -> sqlite3.Connection:
    """The scratch file `write_evidence` wrote, for reading."""
    return sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True)

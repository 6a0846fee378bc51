"""What the search index `paper_search_fts` records about itself, read from FTS5's own tables.

bm25 needs the number of papers, their tokens and each paper's length; FTS5 keeps them in
its averages record, its `_docsize` rows and (for change detection) its structure record,
packed as SQLite varints. These are FTS5's private formats: everything that reads them is
here, and the exactness tests fail if a SQLite upgrade changes them.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable

import numpy as np

# FTS5's structure record (`<index>_data` row 10): every write to the index changes it, so
# the caches are used only while it matches the copy taken when they were computed.
FTS_STRUCTURE_ROWID = 10
# FTS5's averages record (row 1): the number of rows, then the tokens of each column.
FTS_AVERAGES_ROWID = 1
LENGTHS = np.dtype("<u4")  # a paper's tokens


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


def paper_lengths(conn: sqlite3.Connection, paper_ids: Iterable[int] | None = None) -> np.ndarray:
    """Each paper's tokens in `paper_search_fts` (all columns: bm25's document length), indexed
    by paper id, 0 for ids without a paper; only these papers' if `paper_ids` is given."""
    if paper_ids is None:
        rows = conn.execute("SELECT id, sz FROM paper_search_fts_docsize").fetchall()
    else:
        rows = conn.execute(
            "SELECT id, sz FROM paper_search_fts_docsize WHERE id IN (SELECT value FROM json_each(?))",
            (json.dumps(sorted(paper_ids)),),
        ).fetchall()
    out = np.zeros(max((pid for pid, _ in rows), default=0) + 1, LENGTHS)
    for pid, sizes in rows:
        out[pid] = sum(varints(sizes))
    return out

"""Whether the search caches may be used: each is read only while it describes the search index as it is.

`search_top` (`app.search.lists`) and `search_postings` (`app.search.postings`) are derived
from `paper_search_fts` at the end of each import; the copy of the index's structure record
they keep says which state of the index that was.
"""
from __future__ import annotations

import sqlite3

from app.search.fts import FTS_STRUCTURE_ROWID

# An SQL condition: the lists were computed from the search index as it is now.
LISTS_ARE_CURRENT = (f"(SELECT fts_structure FROM search_top_source) = "
                     f"(SELECT block FROM paper_search_fts_data WHERE id = {FTS_STRUCTURE_ROWID})")


def search_top_is_current(conn: sqlite3.Connection) -> bool:
    """Whether `search_top` was computed from the search index as it is now."""
    return bool(conn.execute(f"SELECT coalesce({LISTS_ARE_CURRENT}, 0)").fetchone()[0])

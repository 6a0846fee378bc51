"""The search caches, the tables each owns and the format of their rows: what decides whether a cache may be read.

`search_top` (`app.search.lists`) and `search_postings` (`app.search.postings`) are derived
from `paper_search_fts`, written only by the import (`app.search.lists.update_search_top`,
at the end of each run). A reader uses one only while it describes the index as it is (the
copy of the index's structure record the lists keep) and its rows are in the format this
code reads (`search_formats`); otherwise FTS5 ranks the search, with the same results.
"""

from __future__ import annotations

import sqlite3

from app.search.fts import FTS_STRUCTURE_ROWID

# Each cache's tables, and the version of their format: a change to what a cache stores or to
# how it is computed raises its version, so that the next import ranks it again in full and
# until then no search reads it. Migration 0014 recorded version 1 for the caches it found.
CACHES = {
    "search_top": (("search_top", "search_terms", "search_top_source", "search_changes"), 1),
    "search_postings": (("search_postings", "search_lengths"), 1),
}
# An SQL condition: the lists were computed from the search index as it is now.
LISTS_ARE_CURRENT = (
    f"(SELECT fts_structure FROM search_top_source) = "
    f"(SELECT block FROM paper_search_fts_data WHERE id = {FTS_STRUCTURE_ROWID})"
)


def _format_is_current(cache: str) -> str:
    """An SQL condition: the cache's rows are in this code's format."""
    return f"(SELECT version FROM search_formats WHERE cache = '{cache}') = {CACHES[cache][1]}"


def readable(conn: sqlite3.Connection) -> dict[str, str]:
    """For each cache this database has, the SQL condition under which a search may read it.

    A database not yet upgraded to a revision with a cache has none; one without
    `search_formats` (before migration 0014) holds its caches in format 1.
    """
    tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    conditions = {"search_top": [LISTS_ARE_CURRENT], "search_postings": []}
    out = {}
    for cache, (owned, version) in CACHES.items():
        if not set(owned) <= tables:
            continue
        if "search_formats" in tables:
            conditions[cache].append(_format_is_current(cache))
        elif version != 1:
            continue
        out[cache] = " AND ".join(conditions[cache]) or "1"
    return out


def caches_are_current(conn: sqlite3.Connection) -> bool:
    """Whether the caches were computed from the search index as it is now, in this code's formats."""
    checks = [LISTS_ARE_CURRENT, *(_format_is_current(cache) for cache in CACHES)]
    return bool(conn.execute(f"SELECT coalesce({' AND '.join(checks)}, 0)").fetchone()[0])


def formats_are_current(conn: sqlite3.Connection) -> bool:
    """Whether every cache's rows are in this code's format."""
    checks = [_format_is_current(cache) for cache in CACHES]
    return bool(conn.execute(f"SELECT coalesce({' AND '.join(checks)}, 0)").fetchone()[0])


def record_formats(conn: sqlite3.Connection) -> None:
    """Record that every cache's rows are now in this code's format (after a full ranking wrote them all)."""
    conn.executemany(
        "INSERT INTO search_formats (cache, version) VALUES (?, ?) "
        "ON CONFLICT (cache) DO UPDATE SET version = excluded.version",
        [(cache, version) for cache, (_, version) in CACHES.items()],
    )

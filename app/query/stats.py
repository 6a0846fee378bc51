"""Figures about a database: row counts, the most prolific authors, papers per year, the last imports."""

from __future__ import annotations

import sqlite3

from app.query.values import whole_number


def stats(conn: sqlite3.Connection, top: int) -> dict:
    """Row counts per table, the most prolific authors, papers per year where known, the last imports."""
    tables = [
        "papers",
        "authors",
        "authorships",
        "abstracts",
        "paper_ids",
        "source_files",
        "rejects",
        "author_candidates",
    ]
    counts = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}
    counts["papers_without_title"] = conn.execute("SELECT count(*) FROM papers WHERE title IS NULL").fetchone()[0]
    top_authors = [
        dict(r)
        for r in conn.execute(
            "SELECT id, name, paper_count FROM authors ORDER BY paper_count DESC, name LIMIT ?",
            (whole_number(top, "top"),),
        )
    ]
    per_year = [
        dict(r)
        for r in conn.execute(
            "SELECT year, count(*) AS papers FROM papers WHERE year IS NOT NULL GROUP BY year ORDER BY year"
        )
    ]
    runs = [
        dict(r)
        for r in conn.execute(
            "SELECT id, started_at, finished_at, status, files_seen, files_loaded, files_skipped, papers_added, "
            "records_rejected FROM import_runs ORDER BY id DESC LIMIT 5"
        )
    ]
    return {"counts": counts, "top_authors": top_authors, "papers_per_year": per_year, "last_imports": runs}

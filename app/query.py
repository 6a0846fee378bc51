"""The query layer: search, stats (and more) over a read-only connection."""
from __future__ import annotations

import os
import re
import sqlite3
from dataclasses import asdict, dataclass

from app.db import connect, db_path

# bm25 weights for the combined index columns (title, authors, abstract): a title hit
# counts most, then an author name, then the abstract; 10/5/1 keeps that order robustly.
SEARCH_WEIGHTS = (10.0, 5.0, 1.0)
SNIPPET_TOKENS = 16
WORD = re.compile(r"\w", re.UNICODE)


class QueryError(ValueError):
    """A query paperdb cannot run; the message says what to change."""


@dataclass(frozen=True)
class Hit:
    """One search result."""

    paper_id: int
    title: str | None
    year: int | None
    authors: list[str]
    score: float
    snippet: str

    def as_dict(self) -> dict:
        return asdict(self)


def fts_query(text: str) -> str:
    """User text as an FTS5 query of plain words: every token quoted, all must match."""
    tokens = [t for t in text.split() if WORD.search(t)]
    if not tokens:
        raise QueryError("empty query: give at least one word to search for")
    return " ".join('"' + t.replace('"', '""') + '"' for t in tokens)


class PaperDB:
    """A read-only view of a paperdb database for scripts, notebooks and the CLI."""

    def __init__(self, path: str | os.PathLike | None = None):
        self.conn = connect(db_path(path), readonly=True)

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> "PaperDB":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def search(self, text: str, *, limit: int = 20, offset: int = 0, raw: bool = False) -> list[Hit]:
        """Papers matching `text` in titles, author names or abstracts, best first."""
        match = text if raw else fts_query(text)
        w_title, w_authors, w_abstract = SEARCH_WEIGHTS
        try:
            rows = self.conn.execute(
                f"""
                SELECT s.paper_id, p.title, p.year,
                       bm25(paper_search_fts, {w_title}, {w_authors}, {w_abstract}) AS score,
                       snippet(paper_search_fts, -1, '[', ']', '…', {SNIPPET_TOKENS}) AS snippet
                FROM paper_search_fts JOIN paper_search s ON s.paper_id = paper_search_fts.rowid
                JOIN papers p ON p.id = s.paper_id
                WHERE paper_search_fts MATCH ?
                ORDER BY score, s.paper_id LIMIT ? OFFSET ?
                """,
                (match, limit, offset),
            ).fetchall()
        except sqlite3.OperationalError as e:
            raise QueryError(f"cannot search for {text!r}: {e}") from None
        return [Hit(r["paper_id"], r["title"], r["year"], self.authors_of(r["paper_id"]), -r["score"], r["snippet"])
                for r in rows]

    def authors_of(self, paper_id: int) -> list[str]:
        """The display names of a paper's authors, in order."""
        return [r[0] for r in self.conn.execute(
            "SELECT a.name FROM authorships s JOIN authors a ON a.id = s.author_id "
            "WHERE s.paper_id = ? ORDER BY s.position", (paper_id,))]

    def authors(self, *, limit: int = 20) -> list[dict]:
        """The most prolific authors, with their spellings."""
        return [dict(r) for r in self.conn.execute(
            "SELECT a.id, a.name, a.paper_count, a.is_organization, "
            "(SELECT group_concat(name, '; ') FROM author_names WHERE author_id = a.id AND name != a.name) AS variants "
            "FROM authors a ORDER BY a.paper_count DESC, a.name LIMIT ?", (limit,))]

    def candidates(self, *, limit: int = 50) -> list[dict]:
        """Pairs of authors kept apart that may be one person, most alike first."""
        return [dict(r) for r in self.conn.execute(
            "SELECT c.name_a, c.name_b, c.score, c.reason, a.id AS author_a, b.id AS author_b, "
            "a.paper_count AS papers_a, b.paper_count AS papers_b "
            "FROM author_candidates c JOIN authors a ON a.id = c.author_a_id JOIN authors b ON b.id = c.author_b_id "
            "ORDER BY c.score DESC, c.name_a, c.name_b LIMIT ?", (limit,))]

    def stats(self) -> dict:
        """Row counts per table and the last import runs."""
        tables = ["papers", "authors", "authorships", "abstracts", "paper_ids", "source_files", "rejects"]
        counts = {t: self.conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}
        counts["papers_without_title"] = self.conn.execute("SELECT count(*) FROM papers WHERE title IS NULL").fetchone()[0]
        runs = [dict(r) for r in self.conn.execute(
            "SELECT id, started_at, finished_at, status, files_seen, files_loaded, files_skipped, papers_added, "
            "records_rejected FROM import_runs ORDER BY id DESC LIMIT 5")]
        return {"counts": counts, "last_imports": runs}

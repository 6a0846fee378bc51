"""Papers: finding one by id, external id or title, everything known about it, and author lists."""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Sequence

from app.query.records import ListedAuthor, ListedPaper, PaperAuthor, PaperDetail, PaperSource
from app.query.values import is_id
from app.search.text import QueryError, fts_query
from app.text.normalize import ARXIV_PREFIX, ARXIV_VERSION, DOI_PREFIX, canonical_id, text_key

# Identifier schemes of `paper_ids` (see app.text.normalize.normalize_ids).
ID_SCHEMES = ("doi", "arxiv", "pmid", "pmcid", "openalex", "source")
# Ids recognisable without their scheme (a bare PMID is a number, read as a paper id first).
BARE_IDS = (("pmcid", re.compile(r"PMC\d+", re.IGNORECASE)), ("openalex", re.compile(r"W\d+", re.IGNORECASE)))


def paper_id(conn: sqlite3.Connection, text: str) -> int | None:
    """The paper a paper id or an external id names, or None (see `PaperDB.paper_id`)."""
    text = text.strip()
    if is_id(text):
        row = conn.execute("SELECT id FROM papers WHERE id = ?", (int(text),)).fetchone()
        if row:
            return row[0]
    scheme, _, value = text.partition(":")
    wanted = [(scheme.lower(), canonical_id(scheme.lower(), value))] if scheme.lower() in ID_SCHEMES else []
    wanted += [(scheme, text.upper()) for scheme, bare in BARE_IDS if bare.fullmatch(text)]
    wanted += [
        ("doi", DOI_PREFIX.sub("", text).lower()),
        ("arxiv", ARXIV_VERSION.sub("", ARXIV_PREFIX.sub("", text))),
        ("source", text),
    ]
    row = conn.execute(
        "SELECT paper_id FROM paper_ids WHERE (scheme, value) IN "
        "(SELECT value ->> 0, value ->> 1 FROM json_each(:ids)) ORDER BY paper_id LIMIT 1",
        {"ids": json.dumps(wanted)},
    ).fetchone()
    return row[0] if row else None


def find_paper(conn: sqlite3.Connection, text: str) -> int | None:
    """The id of the paper typed text names (an id, an external id, an exact title, else the best
    title match for its words); None if nothing matches."""
    if not text:
        raise QueryError("empty paper: give a paper id, an external id or a title")
    found = paper_id(conn, text)
    if found is not None:
        return found
    row = conn.execute("SELECT id FROM papers WHERE title_key = ? ORDER BY id LIMIT 1", (text_key(text),)).fetchone()
    if row:
        return row[0]
    try:
        match = fts_query(text)
    except QueryError:
        return None
    row = conn.execute(
        "SELECT rowid FROM papers_fts WHERE papers_fts MATCH ? ORDER BY rank, rowid LIMIT 1", (match,)
    ).fetchone()
    return row[0] if row else None


def papers_named(conn: sqlite3.Connection, ids: Sequence[str]) -> set[int]:
    """The papers these ids name (blank lines skipped); QueryError for the first that names none."""
    found = set()
    for n, text in enumerate(ids, 1):
        if text.strip():
            named = paper_id(conn, text)
            if named is None:
                raise QueryError(f"no paper has the id {text.strip()!r} (line {n})")
            found.add(named)
    return found


def paper_authors(conn: sqlite3.Connection, paper_id: int) -> list[PaperAuthor]:
    """A paper's authors in order: each author's id and display name, and the paper's spelling."""
    return [
        PaperAuthor(r["position"], r["author_id"], r["display"], r["name"], r["raw_name"])
        for r in conn.execute(
            "SELECT s.position, s.author_id, a.name AS display, s.name, s.raw_name FROM authorships s "
            "JOIN authors a ON a.id = s.author_id WHERE s.paper_id = ? ORDER BY s.position",
            (paper_id,),
        )
    ]


def paper_detail(conn: sqlite3.Connection, paper_id: int) -> PaperDetail | None:
    """Everything known about a paper; None if there is no paper with this id."""
    p = conn.execute("SELECT id, title, year, venue, url FROM papers WHERE id = ?", (paper_id,)).fetchone()
    if p is None:
        return None
    authors = paper_authors(conn, paper_id)
    abstracts = [r[0] for r in conn.execute("SELECT text FROM abstracts WHERE paper_id = ? ORDER BY id", (paper_id,))]
    ids = [
        dict(r)
        for r in conn.execute(
            "SELECT scheme, value FROM paper_ids WHERE paper_id = ? ORDER BY scheme, value", (paper_id,)
        )
    ]
    sources = [
        PaperSource(r["path"], r["line"], r["format"])
        for r in conn.execute(
            "SELECT f.path, s.line, f.format FROM paper_sources s JOIN source_files f ON f.id = s.file_id "
            "WHERE s.paper_id = ? ORDER BY f.path, s.line",
            (paper_id,),
        )
    ]
    return PaperDetail(p["id"], p["title"], p["year"], p["venue"], p["url"], authors, abstracts, ids, sources)


def author_names(conn: sqlite3.Connection, paper_ids: list[int]) -> dict[int, list[str]]:
    """Display names of the papers' authors, in order, by paper."""
    return {paper: [a.name for a in authors] for paper, authors in listed_authors(conn, paper_ids).items()}


def listed_authors(conn: sqlite3.Connection, paper_ids: list[int]) -> dict[int, list[ListedAuthor]]:
    """The papers' authors (id and display name), in order, by paper."""
    authors: dict[int, list[ListedAuthor]] = {}
    for r in conn.execute(
        "SELECT s.paper_id, a.id, a.name FROM authorships s JOIN authors a ON a.id = s.author_id "
        "WHERE s.paper_id IN (SELECT value FROM json_each(:ids)) ORDER BY s.paper_id, s.position",
        {"ids": json.dumps(paper_ids)},
    ):
        authors.setdefault(r[0], []).append(ListedAuthor(r[1], r[2]))
    return authors


def listed(conn: sqlite3.Connection, paper_ids: list[int]) -> list[ListedPaper]:
    """These papers as a list shows them, in the order given (ids of no paper left out)."""
    authors = listed_authors(conn, paper_ids)
    rows = {
        r["id"]: r
        for r in conn.execute(
            "SELECT id, title, year, venue FROM papers WHERE id IN (SELECT value FROM json_each(:ids))",
            {"ids": json.dumps(paper_ids)},
        )
    }
    return [
        ListedPaper(i, rows[i]["title"], rows[i]["year"], rows[i]["venue"], authors.get(i, []))
        for i in paper_ids
        if i in rows
    ]

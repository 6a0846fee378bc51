"""Search as the query layer offers it: checked arguments, the author and year filters, hits with
their papers' titles, years and authors, and selections of papers; the ranking is `app.search`'s."""

from __future__ import annotations

import json
import os
import sqlite3
from collections import Counter
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from typing import Any

from app.query.authors import Authors
from app.query.papers import author_names, papers_named
from app.query.records import HIGHLIGHT, FacetCount, Hit, RelatedPaper, SearchFacets
from app.query.values import whole_number
from app.search import embedding
from app.search.embedding import ENABLE_HINT, SemanticUnavailable
from app.search.ranker import MARK_END, MARK_START, ORDERS, Ranker
from app.search.semantic import FUSION_DEPTH, MODES, Vectors, fuse
from app.search.text import QueryError, fts_error, fts_query, fts_query_any
from app.text.clean import repair_text


class Searches:
    """Searches on one read-only connection, each ranked in a read transaction `snapshot` gives."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        path: str | os.PathLike,
        authors: Authors,
        snapshot: Callable[[], AbstractContextManager],
    ):
        self.conn = conn
        self.ranker = Ranker(conn, path)
        self.vectors = Vectors(conn, path)
        self.authors = authors
        self.snapshot = snapshot

    def search(
        self,
        text: str,
        limit: int,
        offset: int,
        author: str | None,
        year_from: int | None,
        year_to: int | None,
        venue: str | None,
        raw: bool,
        order: str,
        mode: str = "text",
    ) -> list[Hit]:
        """Papers matching `text`, best first (see `PaperDB.search`)."""
        text, match = self._query(text, raw)
        params: dict[str, Any] = {
            "match": match,
            "limit": whole_number(limit, "limit"),
            "offset": whole_number(offset, "offset"),
        }
        if params["limit"] < 0 or params["offset"] < 0:
            raise QueryError("limit and offset must not be negative")
        if order not in ORDERS:
            raise QueryError(f"unknown order {order!r}: one of {', '.join(ORDERS)}")
        if mode not in MODES:
            raise QueryError(f"unknown mode {mode!r}: one of {', '.join(MODES)}")
        if mode != "text" and (raw or order != "relevance"):
            raise QueryError(f"a {mode} search takes plain words, ranked by relevance (no raw syntax, no sort)")
        with self.snapshot():  # the author too is resolved in the snapshot the page is ranked in
            filters = self.filters(params, author, year_from, year_to, venue)
            if filters is None:
                return []
            if mode == "text":
                ranked, snippets = self.ranker.page(text, raw=raw, filters=filters, params=params, order=order)
                scored = [(r["id"], -r["score"]) for r in ranked]
            else:
                scored = self._by_meaning(text, mode, filters, params)
                # Every word of the search is highlighted where it occurs, though a paper need not have any.
                snippets = self.ranker.snippets([i for i, _ in scored], fts_query_any(text))
            ids = [i for i, _ in scored]
            papers = {
                r["id"]: r
                for r in self.conn.execute(
                    "SELECT id, title, year FROM papers WHERE id IN (SELECT value FROM json_each(:ids))",
                    {"ids": json.dumps(ids)},
                )
            }
            authors = author_names(self.conn, ids)
        start, end = HIGHLIGHT
        return [
            Hit(
                i,
                papers[i]["title"],
                papers[i]["year"],
                authors.get(i, []),
                score,
                snippets[i].replace(MARK_START, start).replace(MARK_END, end),
                snippets[i],
            )
            for i, score in scored
        ]

    def _by_meaning(self, text: str, mode: str, filters: list[str], params: dict) -> list[tuple[int, float]]:
        """A semantic page, (id, cosine similarity), or a hybrid one, (id, fused score): best first."""
        wanted = params["offset"] + params["limit"]
        among = None
        if filters:
            where = " AND ".join(f.format(id="id") for f in filters)
            among = {r[0] for r in self.conn.execute(f"SELECT id FROM papers WHERE {where}", params)}
        (vector,) = embedding.embed([text])
        if mode == "semantic":
            return self.vectors.nearest(vector, wanted, among=among)[params["offset"] :]
        depth = max(wanted, FUSION_DEPTH)
        by_words, _ = self.ranker.page(text, raw=False, filters=filters, params={**params, "limit": depth, "offset": 0})
        by_vector = self.vectors.nearest(vector, depth, among=among)
        return fuse([[r["id"] for r in by_words], [i for i, _ in by_vector]], depth)[params["offset"] : wanted]

    def related(self, paper_id: int, limit: int) -> list[RelatedPaper]:
        """The papers nearest this one in meaning, most similar first (see `PaperDB.related`)."""
        paper_id, limit = whole_number(paper_id, "paper id"), whole_number(limit, "limit")
        with self.snapshot():
            vector = self.vectors.of(paper_id)
            if vector is None:
                exists = self.conn.execute("SELECT 1 FROM papers WHERE id = ?", (paper_id,)).fetchone()
                if not exists:
                    raise QueryError(f"no paper {paper_id}")
                raise SemanticUnavailable(
                    f"paper {paper_id} has no vector yet: {ENABLE_HINT}, then run `paperdb import`"
                )
            near = self.vectors.nearest(vector, max(limit, 0), leave_out=paper_id)
            ids = [i for i, _ in near]
            rows = {
                r["id"]: r
                for r in self.conn.execute(
                    "SELECT id, title, year, venue FROM papers WHERE id IN (SELECT value FROM json_each(?))",
                    (json.dumps(ids),),
                )
            }
            authors = author_names(self.conn, ids)
        return [
            RelatedPaper(i, rows[i]["title"], rows[i]["year"], rows[i]["venue"], authors.get(i, []), round(sim, 4))
            for i, sim in near
        ]

    def facets(
        self,
        text: str,
        *,
        author: str | None = None,
        year_from: int | None = None,
        year_to: int | None = None,
        venue: str | None = None,
        raw: bool = False,
    ) -> SearchFacets:
        """How many papers a search matches, and how many of them per year and per venue (see `PaperDB.search_facets`)."""
        _, match = self._query(text, raw)
        params: dict[str, Any] = {"match": match}
        with self.snapshot():
            filters = self.filters(params, author, year_from, year_to, venue)
            if filters is None:
                return SearchFacets(0, [], [])
            rows = self._matching(text, "p.year, p.venue, count(*)", filters, params, "GROUP BY p.year, p.venue")
        years: Counter = Counter()
        venues: Counter = Counter()
        for year, venue_name, count in rows:
            years[year] += count
            venues[venue_name] += count
        return SearchFacets(
            sum(years.values()),
            # Years newest first, venues most papers first; papers without one are counted as None, last.
            [FacetCount(y, n) for y, n in sorted(years.items(), key=lambda yn: (yn[0] is None, -(yn[0] or 0)))],
            [FacetCount(v, n) for v, n in sorted(venues.items(), key=lambda vn: (vn[0] is None, -vn[1], vn[0] or ""))],
        )

    def _matching(self, text: str, columns: str, filters: list[str], params: dict, tail: str = "") -> list:
        """`columns` of the papers `p` the search's FTS5 query (`params["match"]`) matches and
        `filters` keep: every match, unranked (what counts and selections need)."""
        where = "".join(f" AND {f.format(id='p.id')}" for f in filters)
        try:
            return self.conn.execute(
                f"SELECT {columns} FROM papers p WHERE p.id IN "
                f"(SELECT rowid FROM paper_search_fts WHERE paper_search_fts MATCH :match){where} {tail}",
                params,
            ).fetchall()
        except sqlite3.OperationalError as e:
            raise (fts_error(text, e) or e) from None

    def _query(self, text: str, raw: bool) -> tuple[str, str]:
        """The search text as it is ranked (repaired, unless raw) and its FTS5 query."""
        text = text.replace("\x00", " ")  # FTS5 would read a NUL as the end of the query
        if raw and not text.strip():
            raise QueryError("empty query: give at least one word to search for")
        if raw:
            return text, text
        text = repair_text(text)
        return text, fts_query(text)

    def filters(
        self, params: dict, author: str | None, year_from: int | None, year_to: int | None, venue: str | None = None
    ) -> list[str] | None:
        """Conditions on a paper id, written `{id}`, that keep an author's papers, papers with a
        known year in range and papers of a venue, their values put in `params`; None when no
        author has that name."""
        filters = []
        if author is not None:
            params["author_id"] = self.authors.one_author(author)
            if params["author_id"] is None:
                return None
            filters.append("{id} IN (SELECT paper_id FROM authorships WHERE author_id = :author_id)")
        years = []
        if year_from is not None:
            params["year_from"] = whole_number(year_from, "year_from")
            years.append("AND year >= :year_from")
        if year_to is not None:
            params["year_to"] = whole_number(year_to, "year_to")
            years.append("AND year <= :year_to")
        if years:
            filters.append(f"{{id}} IN (SELECT id FROM papers WHERE year IS NOT NULL {' '.join(years)})")
        if venue is not None:
            params["venue"] = venue
            filters.append("{id} IN (SELECT id FROM papers WHERE venue = :venue)")
        return filters

    def select(
        self,
        *,
        search: str | None,
        author: str | None,
        year_from: int | None,
        year_to: int | None,
        ids: Sequence[str] | None,
    ) -> list[int]:
        """The ids of the papers that meet every condition given, ascending (see `PaperDB.select`)."""
        with self.snapshot():
            wanted = None if ids is None else papers_named(self.conn, ids)
            params: dict[str, Any] = {}
            if search is not None:
                params["match"] = self._query(search, False)[1]
            filters = self.filters(params, author, year_from, year_to)
            if filters is None:
                return []
            if search is not None:  # every match, unranked: no need to rank or snippet them
                found = {r[0] for r in self._matching(search, "p.id", filters, params)}
            else:
                where = " AND ".join(f.format(id="id") for f in filters) or "1"
                found = {r[0] for r in self.conn.execute(f"SELECT id FROM papers WHERE {where}", params)}
        return sorted(found if wanted is None else found & wanted)

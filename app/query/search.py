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
from app.query.records import HIGHLIGHT, FacetCount, Hit, SearchFacets
from app.query.values import whole_number
from app.search.ranker import MARK_END, MARK_START, ORDERS, Ranker
from app.search.text import QueryError, fts_error, fts_query
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
        with self.snapshot():  # the author too is resolved in the snapshot the page is ranked in
            filters = self.filters(params, author, year_from, year_to, venue)
            if filters is None:
                return []
            ranked, snippets = self.ranker.page(text, raw=raw, filters=filters, params=params, order=order)
            ids = [r["id"] for r in ranked]
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
                r["id"],
                papers[r["id"]]["title"],
                papers[r["id"]]["year"],
                authors.get(r["id"], []),
                -r["score"],
                snippets[r["id"]].replace(MARK_START, start).replace(MARK_END, end),
                snippets[r["id"]],
            )
            for r in ranked
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

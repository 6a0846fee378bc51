"""`PaperDB`: a read-only view of a paperdb database, over the query layer's parts.

Search, author lookup, papers, figures and read-only SQL each have a module; this class opens
the connection they share and hands each call to one of them. Every value a caller gives is
bound as an SQL parameter; the connection cannot write (`mode=ro`, `query_only`, an authorizer).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

from app.db import DatabaseError, connect_for_queries, db_path, schema_revision
from app.query import papers, records, stats
from app.query.authors import AUTHOR_LIMIT, Authors
from app.query.records import AuthorLookup, Coauthor, Hit, ListedPaper, PaperDetail, SearchFacets, SqlResult
from app.query.search import Searches
from app.query.sql import ReadOnly
from app.query.values import whole_number
from app.search import semantic


class PaperDB:
    """A read-only view of a paperdb database for scripts, notebooks and the CLI."""

    def __init__(self, path: str | os.PathLike | None = None):
        self.path = db_path(path)
        self.conn = connect_for_queries(self.path)
        if schema_revision(self.conn, self.path) is None:
            self.conn.close()
            raise DatabaseError(f"{self.path} holds no papers yet: run `paperdb import` first")
        self._read_only = ReadOnly(self.conn, self.path)
        self._authors = Authors(self.conn)
        self._searches = Searches(self.conn, self.path, self._authors, self._read_only.snapshot)

    def close(self) -> None:
        """Close the connection (and the one that ranks large searches in halves, if opened)."""
        self._searches.ranker.close()
        self.conn.close()

    def __enter__(self) -> PaperDB:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def search(
        self,
        text: str,
        *,
        limit: int = 20,
        offset: int = 0,
        author: str | None = None,
        year_from: int | None = None,
        year_to: int | None = None,
        venue: str | None = None,
        raw: bool = False,
        order: str = "relevance",
        mode: str = "text",
    ) -> list[Hit]:
        """Papers matching `text` in titles, author names or abstracts, best first.

        Plain words all match, accents and case ignored, dump text repaired (`Mรฉly` -> `Mély`);
        `raw` passes FTS5 syntax through (`verif*`, `"process supervision"`, `NEAR`, `OR`, `NOT`).
        Filters: the papers of the author `author` resolves to, with a known year from `year_from`
        to `year_to`, of `venue`. `order`: `relevance` (bm25), `newest` or `oldest` first. `mode`: `text`
        (bm25), `semantic` (nearest vectors), `hybrid` (both fused); the last two need `paperdb[semantic]`.
        """
        return self._searches.search(text, limit, offset, author, year_from, year_to, venue, raw, order, mode)

    def related(self, paper: str | int, *, limit: int = 10) -> list[records.RelatedPaper] | None:
        """The papers nearest in meaning to a paper (found as `paper()` finds it), most similar first; None if none."""
        found = papers.find_paper(self.conn, str(paper).strip())
        return None if found is None else self._searches.related(found, limit)

    def semantic_unavailable(self) -> str | None:
        """Why `search(mode="semantic")` or `"hybrid"` cannot run here (no `paperdb[semantic]`, or no
        vectors yet), in one line; None when they can. Reads no vector."""
        return semantic.unavailable(self.conn)

    def search_facets(self, text: str, **filters) -> SearchFacets:
        """How many papers `search(text, **filters)` matches (filters: `author`, `year_from`,
        `year_to`, `venue`, `raw`), and how many per year (newest first) and venue (most first)."""
        return self._searches.facets(text, **filters)

    def authors_of(self, paper_id: int) -> list[str]:
        """The display names of a paper's authors, in order."""
        return papers.author_names(self.conn, [whole_number(paper_id, "paper id")]).get(int(paper_id), [])

    def listed(self, paper_ids: Sequence[int]) -> list[ListedPaper]:
        """These papers as a list shows them (title, year, venue, authors with their ids), in the order given."""
        return papers.listed(self.conn, [whole_number(i, "paper id") for i in paper_ids])

    def author(self, name: str | int, *, limit: int | None = AUTHOR_LIMIT) -> AuthorLookup:
        """Resolve a name as a person types it (`schulman`, `Schulman, J.`, `Lukasz Kaiser`, a typo
        like `Shulman`, an author id, or an ORCID) to an author with papers, variants, co-authors
        and ORCID. At most `limit` papers (newest first) and co-authors (most shared papers first);
        `None` lists all. A name that fits several authors equally well (`Zhang`, `J. Chen`) has
        status `ambiguous` and lists the candidates, best first.
        """
        return self._authors.author(name, limit=limit)

    def coauthors(self, name: str | int, *, limit: int | None = None) -> list[Coauthor]:
        """Co-authors of the author a name resolves to, most shared papers first; [] if none; `AmbiguousAuthor` if several fit."""
        return self._authors.coauthors(name, limit=limit)

    def authors(self, *, limit: int = 20) -> list[dict]:
        """The most prolific authors, with their spellings."""
        return self._authors.authors(limit=limit)

    def candidates(self, *, limit: int = 50) -> list[dict]:
        """Pairs of authors kept apart that may be one person, most worth a look first: pairs an
        override can join, then the most alike names, then by the smaller side's papers (what a
        decision moves), then the larger's. Each row counts the co-authors the two share."""
        return self._authors.candidates(limit=limit)

    def candidates_of(self, author_id: int) -> list[dict]:
        """The other side of each of this author's pairs (id, name, papers, the pair's score and reason), highest score first."""
        return self._authors.candidates_of(whole_number(author_id, "author id"))

    def paper(self, id_or_title: str | int) -> PaperDetail | None:
        """A paper by id, external id (`doi:…`, `arxiv:…`, or bare), exact title, else the best title match; or None."""
        paper_id = papers.find_paper(self.conn, str(id_or_title).strip())
        return None if paper_id is None else papers.paper_detail(self.conn, paper_id)

    def paper_by_id(self, paper_id: int) -> PaperDetail | None:
        """The paper with this id (only: no external id or title is tried), None if there is none."""
        return papers.paper_detail(self.conn, whole_number(paper_id, "paper id"))

    def paper_id(self, text: str) -> int | None:
        """The paper a paper id or external id names (`doi:…`, `arxiv:…`, `pmid:…`, a bare DOI, arXiv id, source key)."""
        return papers.paper_id(self.conn, text)

    def select(
        self,
        *,
        search: str | None = None,
        author: str | None = None,
        year_from: int | None = None,
        year_to: int | None = None,
        ids: Sequence[str] | None = None,
    ) -> list[int]:
        """The ids of the papers that meet every condition given, ascending; every paper when none is. `search`
        is plain words as `search()` takes them, `author` a name as `author()` resolves it (`AmbiguousAuthor` if
        ambiguous), the years keep papers with a known year in range, `ids` are paper or external ids as
        `paper_id()` reads them (QueryError for one naming no paper)."""
        return self._searches.select(search=search, author=author, year_from=year_from, year_to=year_to, ids=ids)

    def stats(self, *, top: int = 10) -> dict:
        """Row counts per table, the most prolific authors, papers per year where known, the last imports."""
        return stats.stats(self.conn, top)

    def sql(self, query: str, params: Sequence | Mapping = (), *, limit: int | None = None) -> SqlResult:
        """Run one SQL statement that only reads (a write is refused, not run), parameters bound (`?`, `:name`); `limit` caps rows."""
        return self._read_only.sql(query, params, limit=limit)

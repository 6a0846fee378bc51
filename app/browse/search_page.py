"""The search page: papers ranked as `paperdb search` ranks them, with year and venue facets.

`/{database}/-/search?q=…` takes the words of a plain search, `year` and `venue` to narrow
it, `sort` (`relevance`, `newest`, `oldest`) and `page`. Searching `paper_view` in
Datasette's table page comes here too (`redirect`), unless a sort or other filter is asked for.
"""

from __future__ import annotations

import html
import math
import re
import urllib.parse

from datasette.utils import path_with_removed_args, path_with_replaced_args, tilde_decode
from datasette.utils.asgi import Response

from app.browse.respond import database_name, read, respond
from app.browse.urls import author_url, paper_url, search_url
from app.datasette_metadata import VIEW
from app.query import ORDERS, QueryError
from app.query.values import whole_number
from app.search.ranker import MARK_END, MARK_START

PAGE_SIZE = 20
FACET_SIZE = 10
SORT_LABELS = {"relevance": "best match", "newest": "newest first", "oldest": "oldest first"}
# `paper_view?_search=…` with nothing else (or only these exact filters) is a search to rank.
RANKED_VIEW_ARGS = {"_search", "year", "venue"}
_VIEW_PATH = re.compile(rf"^/(?P<database>[^/]+)/{VIEW}$")


def _whole(request, name: str, default: int | None) -> int | None:
    value = request.args.get(name, "").strip()
    return whole_number(value, name) if value else default


async def search_page(datasette, request) -> Response:
    database = database_name(request)
    q = request.args.get("q", "").strip()
    data = {"q": q, "results": [], "total": 0, "error": None}
    status = 200
    try:
        year = _whole(request, "year", None)
        page = max(_whole(request, "page", 1), 1)
        sort = request.args.get("sort") or "relevance"
        if sort not in ORDERS:
            raise QueryError(f"sort must be one of {', '.join(ORDERS)}, not {sort!r}")
        venue = request.args.get("venue") or None
        if q:
            data.update(await read(datasette, request, lambda pdb: _search(pdb, q, year, venue, sort, page)))
    except QueryError as e:
        data["error"], status = str(e), 400
    else:
        if q:
            data.update(_links(datasette, request, database, data, year, venue, sort, page))
    title = f"Search: {q}" if q else "Search papers"
    return await respond(datasette, request, "paperdb_search.html", data, title=title, status=status)


def _search(pdb, q: str, year: int | None, venue: str | None, sort: str, page: int) -> dict:
    """The page of results and the facets, read in one go."""
    facets = pdb.search_facets(q, year_from=year, year_to=year, venue=venue)
    hits = pdb.search(
        q, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE, year_from=year, year_to=year, venue=venue, order=sort
    )
    listed = {p.id: p for p in pdb.listed([h.paper_id for h in hits])}
    results = [
        {
            "paper_id": h.paper_id,
            "title": h.title,
            "year": h.year,
            "venue": listed[h.paper_id].venue,
            "authors": [a.as_dict() for a in listed[h.paper_id].authors],
            "score": h.score,
            "snippet": h.snippet,
            "snippet_html": html.escape(h.marked).replace(MARK_START, "<mark>").replace(MARK_END, "</mark>"),
        }
        for h in hits
    ]
    return {
        "sort": sort,
        "year": year,
        "venue": venue,
        "page": page,
        "page_size": PAGE_SIZE,
        "pages": math.ceil(facets.total / PAGE_SIZE),
        "total": facets.total,
        "results": results,
        "facets": {"year": [f.as_dict() for f in facets.years], "venue": [f.as_dict() for f in facets.venues]},
    }


def _links(datasette, request, database: str, data: dict, year, venue, sort: str, page: int) -> dict:
    """Every address the page links to: papers, authors, facet values, sorts, pages, the table view."""
    for result in data["results"]:
        result["url"] = paper_url(datasette, database, result["paper_id"])
        for author in result["authors"]:
            author["url"] = author_url(datasette, database, author["id"])
    all_values = request.args.get("_facet_size") == "max"
    for name, selected in (("year", year), ("venue", venue)):
        values = data["facets"][name]
        data["facets"][name] = values if all_values else values[:FACET_SIZE]
        data[f"{name}_facet_truncated"] = len(values) > len(data["facets"][name])
        for value in data["facets"][name]:
            value["selected"] = value["value"] is not None and value["value"] == selected
            if value["selected"]:
                value["url"] = path_with_removed_args(request, {name, "page"})
            elif value["value"] is not None:
                value["url"] = path_with_replaced_args(request, {name: str(value["value"]), "page": None})
    data["all_facet_values_url"] = path_with_replaced_args(request, {"_facet_size": "max"})
    data["sorts"] = [
        {
            "name": name,
            "label": SORT_LABELS[name],
            "selected": name == sort,
            "url": path_with_replaced_args(request, {"sort": None if name == "relevance" else name, "page": None}),
        }
        for name in ORDERS
    ]
    data["previous_url"] = path_with_replaced_args(request, {"page": str(page - 1)}) if page > 1 else None
    data["next_url"] = path_with_replaced_args(request, {"page": str(page + 1)}) if page < data["pages"] else None
    table_args = {
        "_search": data["q"],
        "_sort": "paper_id",
        **{k: v for k, v in (("year", year), ("venue", venue)) if v},
    }
    data["table_url"] = datasette.urls.table(database, VIEW) + "?" + urllib.parse.urlencode(table_args)
    data["search_url"] = search_url(datasette, database)
    return data


def redirect(datasette, path: str, query_string: bytes) -> str | None:
    """Where a request for `paper_view` goes instead: the ranked search, when it only searches."""
    view = _VIEW_PATH.match(path)
    if not view:
        return None
    args = urllib.parse.parse_qsl(query_string.decode("latin-1"), keep_blank_values=True)
    if not args or {k for k, _ in args} - RANKED_VIEW_ARGS or not dict(args).get("_search", "").strip():
        return None
    wanted = [("q" if k == "_search" else k, v) for k, v in args if v]
    return search_url(datasette, tilde_decode(view.group("database"))) + "?" + urllib.parse.urlencode(wanted)

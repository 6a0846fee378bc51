"""The search page: papers ranked as `paperdb search` ranks them, with year and venue facets.

`/{database}/-/search?q=…` takes the words of a plain search, `year` and `venue` to narrow
it, `sort` (`relevance`, `newest`, `oldest`), `mode` (`text`, `semantic`, `hybrid`: offered
when the extra is installed and the papers have vectors) and `page`. Searching `paper_view` in
Datasette's table page comes here too (`redirect`), unless a sort or other filter is asked for.

A search by meaning lists its best MEANING_RESULTS papers, without facets: every paper is
somewhere in a ranking by meaning, so counting "matches" per year would count them all, and a
year or venue chosen narrows the papers ranked (as `--year` does), not the ones listed.
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
from app.query import MODES, ORDERS, QueryError
from app.query.values import whole_number
from app.search.embedding import SemanticUnavailable
from app.search.ranker import MARK_END, MARK_START
from app.search.semantic import FUSION_DEPTH

PAGE_SIZE = 20
FACET_SIZE = 10
SORT_LABELS = {"relevance": "best match", "newest": "newest first", "oldest": "oldest first"}
MODE_LABELS = {"text": "words", "semantic": "meaning", "hybrid": "words and meaning"}
# Papers a search by meaning lists (five pages): a hybrid ranking fuses each ranking's best
# FUSION_DEPTH, so its pages are slices of one list only that deep.
MEANING_RESULTS = FUSION_DEPTH
# `paper_view?_search=…` with nothing else (or only these exact filters) is a search to rank.
RANKED_VIEW_ARGS = {"_search", "year", "venue"}
_VIEW_PATH = re.compile(rf"^/(?P<database>[^/]+)/{VIEW}$")


def _whole(request, name: str, default: int | None) -> int | None:
    value = request.args.get(name, "").strip()
    return whole_number(value, name) if value else default


async def search_page(datasette, request) -> Response:
    database = database_name(request)
    q = request.args.get("q", "").strip()
    mode = request.args.get("mode") or "text"
    data = {"q": q, "mode": mode, "modes": [], "results": [], "total": 0, "error": None}
    try:
        year = _whole(request, "year", None)
        page = max(_whole(request, "page", 1), 1)
        sort = request.args.get("sort") or "relevance"
        if sort not in ORDERS:
            raise QueryError(f"sort must be one of {', '.join(ORDERS)}, not {sort!r}")
        if mode not in MODES:
            raise QueryError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
        venue = request.args.get("venue") or None
        data.update(await read(datasette, request, lambda pdb: _read(pdb, q, mode, year, venue, sort, page)))
    except QueryError as e:
        data["error"] = str(e)
    data["modes"] = _mode_choices(request, data["modes"], mode)
    if q and not data["error"]:
        data.update(_links(datasette, request, database, data, year, venue, sort, page))
    title = f"Search: {q}" if q else "Search papers"
    status = 400 if data["error"] else 200
    return await respond(datasette, request, "paperdb_search.html", data, title=title, status=status)


def _read(pdb, q: str, mode: str, year: int | None, venue: str | None, sort: str, page: int) -> dict:
    """The modes the database offers (all, when it can search by meaning; else none to choose),
    then the page of results; a search the query layer refuses as `error`."""
    unavailable = pdb.semantic_unavailable()
    data: dict = {"modes": list(MODES) if unavailable is None else []}
    try:
        if mode != "text" and unavailable:
            raise SemanticUnavailable(unavailable)
        if q:
            data.update(_search(pdb, q, mode, year, venue, sort, page))
    except QueryError as e:
        data["error"] = str(e)
    return data


def _search(pdb, q: str, mode: str, year: int | None, venue: str | None, sort: str, page: int) -> dict:
    """The page of results and the facets, read in one go; by meaning, the best MEANING_RESULTS and no facets."""
    how = {"year_from": year, "year_to": year, "venue": venue, "order": sort, "mode": mode}
    if mode == "text":
        found = pdb.search_facets(q, year_from=year, year_to=year, venue=venue)
        total = found.total
        hits = pdb.search(q, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE, **how)
        facets = {"year": [f.as_dict() for f in found.years], "venue": [f.as_dict() for f in found.venues]}
    else:
        ranked = pdb.search(q, limit=MEANING_RESULTS, **how)
        total = len(ranked)
        hits = ranked[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
        facets = {}
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
        "pages": math.ceil(total / PAGE_SIZE),
        "total": total,
        "results": results,
        "facets": facets,
    }


def _mode_choices(request, offered: list[str], mode: str) -> list[dict]:
    """The modes to choose from, each with the address of this search in it (a sort is only for `text`)."""
    return [
        {
            "name": name,
            "label": MODE_LABELS[name],
            "selected": name == mode,
            "url": path_with_replaced_args(
                request, {"mode": None if name == "text" else name, "page": None, "sort": None}
            ),
        }
        for name in offered
    ]


def _links(datasette, request, database: str, data: dict, year, venue, sort: str, page: int) -> dict:
    """Every address the page links to: papers, authors, facet values, sorts, pages, the table view."""
    for result in data["results"]:
        result["url"] = paper_url(datasette, database, result["paper_id"])
        for author in result["authors"]:
            author["url"] = author_url(datasette, database, author["id"])
    all_values = request.args.get("_facet_size") == "max"
    chosen = {"year": year, "venue": venue}
    for name, values in data["facets"].items():
        selected = chosen[name]
        data["facets"][name] = values if all_values else values[:FACET_SIZE]
        data[f"{name}_facet_truncated"] = len(values) > len(data["facets"][name])
        for value in data["facets"][name]:
            value["selected"] = value["value"] is not None and value["value"] == selected
            if value["selected"]:
                value["url"] = path_with_removed_args(request, {name, "page"})
            elif value["value"] is not None:
                value["url"] = path_with_replaced_args(request, {name: str(value["value"]), "page": None})
    data["all_facet_values_url"] = path_with_replaced_args(request, {"_facet_size": "max"})
    # Without facets (a search by meaning), each filter chosen is named with a link that drops it.
    data["filters"] = [
        {"name": name, "value": value, "url": path_with_removed_args(request, {name, "page"})}
        for name, value in chosen.items()
        if value is not None
    ]
    data["sorts"] = [
        {
            "name": name,
            "label": SORT_LABELS[name],
            "selected": name == sort,
            "url": path_with_replaced_args(request, {"sort": None if name == "relevance" else name, "page": None}),
        }
        for name in (ORDERS if data["mode"] == "text" else ())
    ]
    data["previous_url"] = path_with_replaced_args(request, {"page": str(page - 1)}) if page > 1 else None
    data["next_url"] = path_with_replaced_args(request, {"page": str(page + 1)}) if page < data["pages"] else None
    table_args = {
        "_search": data["q"],
        "_sort": "paper_id",
        **{k: v for k, v in (("year", year), ("venue", venue)) if v},
    }
    data["table_url"] = (
        datasette.urls.table(database, VIEW) + "?" + urllib.parse.urlencode(table_args)
        if data["mode"] == "text"
        else None
    )
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

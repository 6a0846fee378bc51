"""What every paperdb page in Datasette shares: reading the served database through the query
layer, and answering with the page's HTML or, at the same address plus `.json`, its data."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any
from weakref import WeakKeyDictionary

from datasette.utils import tilde_decode
from datasette.utils.asgi import NotFound, Response

from app.db import DatabaseError
from app.query import PaperDB

# Whether each served database is a paperdb one, by Datasette instance: asked once per database.
_PAPERDB: WeakKeyDictionary = WeakKeyDictionary()


async def is_paperdb(datasette, database: str) -> bool:
    """Whether a served database is paperdb's (other databases keep Datasette's own pages)."""
    known = _PAPERDB.setdefault(datasette, {})
    if database not in known:
        db = datasette.get_database(database)
        known[database] = await db.table_exists("authorships") and await db.table_exists("papers")
    return known[database]


def database_name(request) -> str:
    """The name of the database the address names (Datasette encodes it in addresses)."""
    return tilde_decode(request.url_vars["database"])


def database_path(datasette, request) -> Path:
    """The file of the database the address names; NotFound for an unknown or in-memory one."""
    name = database_name(request)
    try:
        db = datasette.get_database(name)
    except KeyError:
        raise NotFound(f"no database {name!r}") from None
    if not db.path:
        raise NotFound(f"{name!r} is not a paperdb database file")
    return Path(db.path)


async def read(datasette, request, fn: Callable[[PaperDB], Any]) -> Any:
    """`fn(pdb)` on a read-only PaperDB of the served database, in a thread (the query layer blocks)."""
    path = database_path(datasette, request)

    def run():
        with PaperDB(path) as pdb:
            return fn(pdb)

    try:
        return await asyncio.to_thread(run)
    except DatabaseError as e:  # not paperdb's database, or none yet
        raise NotFound(str(e)) from None


def wants_json(request) -> bool:
    return request.url_vars.get("format") == "json"


async def respond(datasette, request, template: str, data: dict, *, title: str, status: int = 200) -> Response:
    """The page: `data` as JSON when the address ends in `.json`, else `template` rendered with it."""
    if wants_json(request):
        return Response.json(data, status=status)
    database = database_name(request)
    context = {
        **data,
        "database": database,
        "database_color": lambda _: "ff0000",  # the colour Datasette 0.65 gives every database in its own pages
        "page_title": title,
        "json_url": json_url(request),
    }
    html = await datasette.render_template(template, context, request=request)
    return Response.html(html, status=status)


def json_url(request) -> str:
    """The address of the page's JSON: `.json` before the query string."""
    query = f"?{request.query_string}" if request.query_string else ""
    return f"{request.path}.json{query}"

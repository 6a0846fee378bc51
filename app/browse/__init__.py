"""paperdb's Datasette plugin: a paper browser over a paperdb database.

Registered through the `datasette` entry point in pyproject.toml, so `paperdb serve` (or any
Datasette with paperdb installed) loads it. Its templates (in `templates/`) are found by
Datasette because this is a package. Each module holds one part:

- `routes`: the addresses of the pages below, under each database (`/{database}/-/...`).
- `front_door`: the database page: a search box, then the tables in the order a person needs them.
- `search_page`: papers ranked as `paperdb search` ranks them, with year and venue facets.
- `author_page`, `paper_page`: an author's and a paper's page, linked to each other.
- `respond`: what the pages share: reading through the query layer, HTML or `.json`.
- `downloads`: the papers on a page as `.bib`, `.ris` and `.csljson` downloads.
- `cells`: links from Datasette's own pages (papers, authors, `paper_view`, the queries) to these pages.
"""

from datasette import hookimpl

from app.browse.cells import render_cell
from app.browse.downloads import register_output_renderer
from app.browse.front_door import front_door
from app.browse.routes import ROUTES
from app.browse.search_page import redirect

__all__ = ["asgi_wrapper", "extra_template_vars", "register_output_renderer", "register_routes", "render_cell"]


@hookimpl
def register_routes():
    return ROUTES


@hookimpl
def extra_template_vars(template, database, view_name, datasette):
    if view_name == "database" and template == "database.html":
        return lambda: front_door(datasette, database)
    return None


@hookimpl
def asgi_wrapper(datasette):
    """Searching `paper_view` in its table page goes to the ranked search (see `search_page.redirect`)."""

    def wrap(app):
        async def ranked_view_search(scope, receive, send):
            target = redirect(datasette, scope["path"], scope["query_string"]) if scope["type"] == "http" else None
            if target is None:
                await app(scope, receive, send)
                return
            await send(
                {"type": "http.response.start", "status": 302, "headers": [(b"location", target.encode("utf-8"))]}
            )
            await send({"type": "http.response.body", "body": b""})

        return ranked_view_search

    return wrap

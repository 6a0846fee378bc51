"""paperdb's Datasette plugin: a paper browser over a paperdb database.

Registered through the `datasette` entry point in pyproject.toml, so `paperdb serve` (or any
Datasette with paperdb installed) loads it. Its templates (in `templates/`) are found by
Datasette because this is a package. Each module holds one part:

- `routes`: the addresses of the pages below, under each database (`/{database}/-/...`).
- `search_page`: papers ranked as `paperdb search` ranks them, with year and venue facets.
- `author_page`, `paper_page`: an author's and a paper's page, linked to each other.
- `respond`: what the pages share: reading through the query layer, HTML or `.json`.
- `downloads`: the papers on a page as `.bib`, `.ris` and `.csljson` downloads.
- `cells`: links from Datasette's own pages (papers, authors, `paper_view`, the queries) to these pages.
"""

from datasette import hookimpl

from app.browse.cells import render_cell
from app.browse.downloads import register_output_renderer
from app.browse.routes import ROUTES

__all__ = ["register_output_renderer", "register_routes", "render_cell"]


@hookimpl
def register_routes():
    return ROUTES

"""paperdb's Datasette plugin: a paper browser over a paperdb database.

Registered through the `datasette` entry point in pyproject.toml, so `paperdb serve` (or any
Datasette with paperdb installed) loads it. Its templates (in `templates/`) are found by
Datasette because this is a package. Each module holds one part:

- `downloads`: the papers on a page as `.bib`, `.ris` and `.csljson` downloads.
"""

from app.browse.downloads import register_output_renderer

__all__ = ["register_output_renderer"]

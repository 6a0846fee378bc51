"""The papers on a page as `.bib`, `.ris` and `.csljson` (CSL-JSON) downloads.

`paperdb serve` (or any Datasette with paperdb installed) offers the links on every table,
query and row page whose rows name papers: a `paper_id` column (`paper_view`, the canned queries, `authorships`) or the
`papers` table's own `id`. The download holds the page's papers, written by `app.export`.
"""

from __future__ import annotations

from datasette import hookimpl
from datasette.utils.asgi import Response

from app.export import export

# URL extension -> (export format, content type, the downloaded file's extension)
RENDERERS = {
    "bib": ("bibtex", "application/x-bibtex", "bib"),
    "ris": ("ris", "application/x-research-info-systems", "ris"),
    "csljson": ("csl-json", "application/vnd.citationstyles.csl+json", "json"),
}


def paper_column(columns: list[str], table: str | None) -> str | None:
    """The column of a page's rows that holds paper ids, if any."""
    if "paper_id" in columns:
        return "paper_id"
    return "id" if table == "papers" and "id" in columns else None


def can_render(columns, table) -> bool:
    return paper_column(columns, table) is not None


def cell_id(value) -> int | None:
    """A cell's id (a paper's, an author's): a foreign key shown with its label (`_labels=on`) is
    `{"value", "label"}`."""
    if isinstance(value, dict):
        value = value.get("value")
    return value if isinstance(value, int) else None


def _renderer(extension: str):
    fmt, content_type, suffix = RENDERERS[extension]

    async def render(datasette, database, table, query_name, columns, rows):
        column = paper_column(columns, table)
        if column is None:
            return Response.text(f"no paper ids on this page: .{extension} needs a paper_id column", status=400)
        at = columns.index(column)
        ids = [paper_id for row in rows if (paper_id := cell_id(row[at])) is not None]
        text = await datasette.get_database(database).execute_fn(lambda conn: export(conn, fmt, ids))
        name = table or query_name or database
        return Response(
            text,
            content_type=f"{content_type}; charset=utf-8",
            headers={"content-disposition": f'attachment; filename="{name}.{suffix}"'},
        )

    return render


@hookimpl
def register_output_renderer(datasette):
    return [
        {"extension": extension, "render": _renderer(extension), "can_render": can_render} for extension in RENDERERS
    ]

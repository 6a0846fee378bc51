"""Links from Datasette's table, row and query pages to the paper and author pages.

A `paper_id` cell, and the `title` beside one (or in the `papers` table), links to the paper's
page; an `author_id` cell, and the `name` beside one (or in the `authors` table), to the author's.
The `authors` cell of `paper_view` (its display names joined by commas, which a name may itself
hold) becomes one link per author, in order, from the paper's authorships: one query per cell.
Only databases with paperdb's tables get links.
"""

from __future__ import annotations

from datasette import hookimpl
from markupsafe import Markup

from app.browse.downloads import cell_id
from app.browse.respond import is_paperdb
from app.browse.urls import author_url, paper_url
from app.datasette_metadata import VIEW
from app.query.papers import paper_authors


def link(url: str, value) -> Markup:
    """A link on the cell's value; a foreign key shown with its label keeps its id beside it, as
    Datasette shows one."""
    if isinstance(value, dict):
        return Markup('<a href="{}">{}</a>&nbsp;<em>{}</em>').format(url, value["label"], value["value"])
    return Markup('<a href="{}">{}</a>').format(url, value)


def _row_value(row, column: str) -> int | None:
    """The id in a row's `column`, None if the row has no such column or it holds no id."""
    return cell_id(row[column]) if column in row.keys() else None


def _linked_id(row, column: str, table: str | None, id_column: str, own_table: str, label: str) -> int | None:
    """The id a cell links to: its own `id_column` value, or for its `label` column the row's
    `id_column` (in a view or query) or `id` (in `own_table`)."""
    if column == id_column:
        return _row_value(row, id_column)
    if column == label:
        return _row_value(row, "id") if table == own_table else _row_value(row, id_column)
    return None


async def _authors_cell(datasette, database: str, paper_id: int) -> Markup:
    authors = await datasette.get_database(database).execute_fn(lambda conn: paper_authors(conn, paper_id))
    return Markup(", ").join(link(author_url(datasette, database, a.author_id), a.name) for a in authors)


@hookimpl
def render_cell(row, value, column, table, database, datasette):
    if value is None or column not in ("paper_id", "title", "author_id", "name", "authors"):
        return None

    async def render():
        if not await is_paperdb(datasette, database):
            return None
        if column == "authors":
            paper_id = _row_value(row, "paper_id") if table == VIEW else None
            return None if paper_id is None else await _authors_cell(datasette, database, paper_id)
        if (paper_id := _linked_id(row, column, table, "paper_id", "papers", "title")) is not None:
            return link(paper_url(datasette, database, paper_id), value)
        if (author_id := _linked_id(row, column, table, "author_id", "authors", "name")) is not None:
            return link(author_url(datasette, database, author_id), value)
        return None

    return render()

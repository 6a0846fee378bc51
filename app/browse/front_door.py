"""The database page of a paperdb database: a search box over papers, then its tables in the
order a person needs them (`SECTIONS`: papers, authors, imports, then the rest), internals hidden."""

from __future__ import annotations

from markupsafe import Markup

from app.browse.respond import is_paperdb
from app.browse.urls import search_url
from app.datasette_metadata import HIDDEN, SECTIONS, VIEW, VIEW_SUMMARY, code_html
from app.docs import tables

# The first paragraph of each table's documentation describes it on the database page.
_SUMMARIES = {name: Markup(code_html(doc.split("\n")[0])) for name, doc, _ in tables()}
_SUMMARIES[VIEW] = Markup(VIEW_SUMMARY)


async def front_door(datasette, database: str) -> dict:
    """Template variables for the database page: `paperdb_sections` (heading, tables) and
    `paperdb_search_url`; nothing for a database that is not paperdb's."""
    if not await is_paperdb(datasette, database):
        return {}
    db = datasette.get_database(database)
    hidden = set(HIDDEN) | set(await db.hidden_table_names())
    shown = [t for t in await db.table_names() if t not in hidden]
    counts = await db.table_counts(limit=10)  # None where counting would be slow, as Datasette's own page
    placed = {name for _, names in SECTIONS for name in names}
    sections = [*SECTIONS, ("Other tables", tuple(sorted(set(shown) - placed)))]
    listed = [
        (
            heading,
            [
                {
                    "name": name,
                    "url": datasette.urls.table(database, name),
                    "summary": _SUMMARIES.get(name, ""),
                    "count": counts.get("papers" if name == VIEW else name),  # the view has a row per paper
                    "is_view": name == VIEW,
                }
                for name in names
                if name == VIEW or name in shown
            ],
        )
        for heading, names in sections
    ]
    return {
        "paperdb_sections": [(heading, items) for heading, items in listed if items],
        "paperdb_search_url": search_url(datasette, database),
    }

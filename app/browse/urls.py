"""The addresses of paperdb's pages as links write them: the database's name encoded as
Datasette encodes it, behind Datasette's `base_url` if one is set."""

from __future__ import annotations


def search_url(datasette, database: str) -> str:
    return f"{datasette.urls.database(database)}/-/search"


def author_url(datasette, database: str, author_id: int) -> str:
    return f"{datasette.urls.database(database)}/-/authors/{author_id}"


def paper_url(datasette, database: str, paper_id: int) -> str:
    return f"{datasette.urls.database(database)}/-/papers/{paper_id}"

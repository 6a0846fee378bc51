"""The addresses of paperdb's pages, under each database: `/{database}/-/...`, each also as `.json`."""

from __future__ import annotations

from app.browse.author_page import author_page
from app.browse.paper_page import paper_page
from app.browse.search_page import search_page

_JSON = r"(\.(?P<format>json))?$"

ROUTES = [
    (rf"^/(?P<database>[^/]+)/-/search{_JSON}", search_page),
    (rf"^/(?P<database>[^/]+)/-/authors/(?P<id>\d+){_JSON}", author_page),
    (rf"^/(?P<database>[^/]+)/-/papers/(?P<id>\d+){_JSON}", paper_page),
]

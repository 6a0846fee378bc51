"""The search page (being written)."""

from __future__ import annotations

from datasette.utils.asgi import NotFound


async def search_page(datasette, request):
    raise NotFound("not yet")

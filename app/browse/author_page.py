"""The author page (being written)."""

from __future__ import annotations

from datasette.utils.asgi import NotFound


async def author_page(datasette, request):
    raise NotFound("not yet")

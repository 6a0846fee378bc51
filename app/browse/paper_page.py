"""The paper page (being written)."""

from __future__ import annotations

from datasette.utils.asgi import NotFound


async def paper_page(datasette, request):
    raise NotFound("not yet")

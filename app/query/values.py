"""Checks on the values a caller gives the query layer."""

from __future__ import annotations

from typing import Any

from app.search.text import QueryError


def is_id(text: str) -> bool:
    """Whether typed text is a row id (digits, as many as SQLite's integers hold)."""
    return text.isascii() and text.isdigit() and len(text) <= 18


def whole_number(value: Any, what: str) -> int:
    """`value` as an int; QueryError naming `what` if it is not a whole number."""
    try:
        return int(value)
    except (TypeError, ValueError):
        raise QueryError(f"{what} must be a whole number, not {value!r}") from None


def row_limit(limit: int | None) -> int:
    """A LIMIT value: None means no limit (-1 to SQLite)."""
    return -1 if limit is None else max(whole_number(limit, "limit"), 0)

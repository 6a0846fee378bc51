"""What the JSON readers share: a line or a document parsed with clear errors, and years and
strings checked."""
from __future__ import annotations

import json
import re
from dataclasses import astuple
from typing import Callable, Iterator

from app.etl.extract.source import Source
from app.etl.extract.text import unreadable
from app.etl.records import Record, Reject

# Four digits. 0, 1e400 or a timestamp there is a mistake, not a year.
YEARS = range(1000, 3000)
# json.loads turns a lone `\ud800` escape into a surrogate, which is not a character and
# cannot be stored as UTF-8.
SURROGATE = re.compile("[\ud800-\udfff]")


def parse(text: str) -> object:
    """The JSON value of `text`; ValueError with the position when it is not JSON."""
    try:
        # strict=False: a raw tab or NUL inside a string is a sloppy export, not a broken
        # record; the clean stage removes it like any control character.
        return json.loads(text, strict=False)
    except json.JSONDecodeError as e:
        raise ValueError(f"invalid JSON: {e.msg} at line {e.lineno} column {e.colno}"
                         if e.lineno > 1 else f"invalid JSON: {e.msg} at column {e.colno}") from None
    except RecursionError:
        raise ValueError("invalid JSON: nested too deeply") from None


def parse_object(text: str) -> dict:
    """`parse`, for a value that must be an object."""
    obj = parse(text)
    if not isinstance(obj, dict):
        raise ValueError("JSON line is not an object")
    return obj


def per_line(source: Source, to_record: Callable[[str, int, str, dict], Record]) -> Iterator[Record | Reject]:
    """JSON Lines: `to_record(path, line, text, object)` of each line; a line that fails is rejected."""
    for n, text, raw in source.lines:
        if text is None:
            yield unreadable(source.path, n, raw)
            continue
        if not text.strip():
            continue
        try:
            yield without_surrogates(text, to_record(source.path, n, text, parse_object(text)))
        except ValueError as e:
            yield Reject(source.path, n, text, str(e))


def without_surrogates(text: str, record: Record) -> Record:
    """The record, unless one of its strings holds a lone surrogate (ValueError)."""
    # The text itself is valid UTF-8 or UTF-16, so only a `\u` escape can make a surrogate.
    if "\\u" in text and any(SURROGATE.search(s) for s in _strings(astuple(record)[3:])):
        raise ValueError("text has a lone UTF-16 surrogate escape (like \\ud800), which is not a character")
    return record


def _strings(value) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, (tuple, list, frozenset)):
        for item in value:
            yield from _strings(item)


def year(value, field: str = "year") -> int | None:
    """A year given as a number or a string of digits; ValueError for anything else."""
    if value is None:
        return None
    try:
        found = None if isinstance(value, bool) else int(value)
    except (TypeError, ValueError, OverflowError):
        found = None
    if found not in YEARS:
        raise ValueError(f"field {field!r} is not a year: {value!r}")
    return found


def string(obj: dict, key: str) -> str | None:
    """A string (or number) field, None when absent; ValueError for lists, objects, booleans."""
    value = obj.get(key)
    if value is not None and (isinstance(value, bool) or not isinstance(value, (str, int))):
        raise ValueError(f"field {key!r} must be a string")
    return None if value is None else str(value)

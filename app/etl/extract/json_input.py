"""What the JSON readers share: a line or a document parsed with clear errors, and years and
strings checked."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import astuple

from app.etl.extract.source import Source
from app.etl.extract.text import LONG_LINE_KEEP, FileRejected, joined, line_of, unreadable
from app.text.records import Record, Reject

# Four digits. 0, 1e400 or a timestamp there is a mistake, not a year.
YEARS = range(1000, 3000)
# json.loads turns a lone `\ud800` escape into a surrogate, which is not a character and
# cannot be stored as UTF-8.
SURROGATE = re.compile("[\ud800-\udfff]")
# Lines looked at for a JSON object that tells which kind of JSON Lines a file is.
HEAD_LINES = 5
# Makes the records of one JSON value: (path, line, text, value) -> records (or the reject of one
# too large); ValueError if it cannot.
ToRecords = Callable[[str, int, str, object], Iterable[Record | Reject]]


def parse(text: str) -> object:
    """The JSON value of `text`; ValueError with the position when it is not JSON."""
    try:
        # strict=False: a raw tab or NUL inside a string is a sloppy export, not a broken
        # record; the clean stage removes it like any control character.
        return json.loads(text, strict=False)
    except json.JSONDecodeError as e:
        raise ValueError(
            f"invalid JSON: {e.msg} at line {e.lineno} column {e.colno}"
            if e.lineno > 1
            else f"invalid JSON: {e.msg} at column {e.colno}"
        ) from None
    except RecursionError:
        raise ValueError("invalid JSON: nested too deeply") from None


def parse_object(text: str) -> dict:
    """`parse`, for a value that must be an object."""
    obj = parse(text)
    if not isinstance(obj, dict):
        raise ValueError("JSON line is not an object")
    return obj


def per_line(source: Source, to_records: ToRecords) -> Iterator[Record | Reject]:
    """JSON Lines: the records `to_records` makes of each line's object; a line that fails is rejected."""
    return records(source.path, _line_objects(source), to_records)


def per_document(source: Source, to_records: ToRecords) -> Iterator[Record | Reject]:
    """The records of JSON Lines, or of a file holding one pretty-printed JSON object."""
    if first_object(source) is not None:
        return per_line(source, to_records)
    return records(source.path, [(1, joined(source.lines), document(source))], to_records)


def _line_objects(source: Source) -> Iterator[tuple[int, str, object] | Reject]:
    for n, text, raw in source.all_lines():
        if text is None:
            yield unreadable(source.path, n, raw)
        elif text.strip():
            try:
                yield n, text, parse_object(text)
            except ValueError as e:
                yield Reject(source.path, n, text, str(e))


def records(path: str, objects: Iterable, to_records: ToRecords) -> Iterator[Record | Reject]:
    """The records of each (line, text, value), or the reject for it; rejects among `objects` pass through."""
    for item in objects:
        if isinstance(item, Reject):
            yield item
            continue
        n, text, obj = item
        try:
            made = [r if isinstance(r, Reject) else without_surrogates(text, r) for r in to_records(path, n, text, obj)]
        except ValueError as e:
            yield Reject(path, n, text, str(e))
            continue
        yield from made


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


def array_items(source: Source) -> Iterator[tuple[int, str, object] | Reject]:
    """The items of a file holding one JSON array, each with its line and text; where the array
    breaks (a truncated file), a reject from there to the end, and the items before it stand."""
    text = joined(source.lines)
    decoder = json.JSONDecoder(strict=False)
    pos = _skip_space(text, text.index("[") + 1)
    while pos < len(text) and text[pos] != "]":
        try:
            value, end = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as e:
            yield Reject(
                source.path,
                line_of(text, pos),
                text[pos : pos + LONG_LINE_KEEP],
                f"invalid JSON: {e.msg} at line {e.lineno} column {e.colno}; the rest of the file is not read",
            )
            return
        except RecursionError:
            yield Reject(
                source.path, line_of(text, pos), text[pos : pos + LONG_LINE_KEEP], "invalid JSON: nested too deeply"
            )
            return
        yield line_of(text, pos), text[pos:end], value
        pos = _skip_space(text, end)
        if text.startswith(",", pos):
            pos = _skip_space(text, pos + 1)
        elif not text.startswith("]", pos):
            yield Reject(
                source.path,
                line_of(text, pos),
                text[pos : pos + LONG_LINE_KEEP],
                "invalid JSON: expected ',' or ']' after an item; the rest of the file is not read",
            )
            return


def _skip_space(text: str, pos: int) -> int:
    while pos < len(text) and text[pos].isspace():
        pos += 1
    return pos


def document(source: Source) -> object:
    """The one JSON value a file holds (a pretty-printed API response); FileRejected if it is not JSON."""
    try:
        return parse(joined(source.lines))
    except ValueError as e:
        raise FileRejected(f"not one JSON document: {e}") from None


def first_object(source: Source) -> dict | None:
    """The first of the first lines that is a JSON object by itself (JSON Lines), if any."""
    for _, text, _ in source.lines[:HEAD_LINES]:
        if text and text.lstrip().startswith("{"):
            try:
                obj = parse(text)
            except ValueError:
                continue
            if isinstance(obj, dict):
                return obj
    return None

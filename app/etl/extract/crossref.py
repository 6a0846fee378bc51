"""Crossref works API JSON: one work (`message`), a page of them (`message.items`), or works one a line.

Its fields are CSL's (`csl_json`); abstracts carry JATS markup, which the clean stage removes.
"""

from __future__ import annotations

from collections.abc import Iterator

from app.etl.extract import json_input
from app.etl.extract.csl_json import item_record
from app.etl.extract.source import Source
from app.text.records import Record, Reject

FORMAT = "crossref"


def recognises(obj: dict) -> bool:
    """An API response (`message-type` work or work-list), or a bare work with a DOI and Crossref's `member`."""
    return str(obj.get("message-type", "")).startswith("work") or ("DOI" in obj and "member" in obj)


def read(source: Source) -> Iterator[Record | Reject]:
    """The works of the file."""
    return json_input.per_document(source, _works)


def _works(path: str, n: int, text: str, obj: dict) -> list[Record]:
    message = obj.get("message", obj)
    if not isinstance(message, dict):
        raise ValueError("Crossref 'message' is not an object")
    works = message.get("items") if "items" in message else [message]
    if not isinstance(works, list):
        raise ValueError("Crossref 'message.items' is not a list")
    return [item_record(path, n, text, work) for work in works]

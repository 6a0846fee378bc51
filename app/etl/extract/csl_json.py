"""CSL-JSON (Zotero, pandoc, Crossref content negotiation): an array of items.

Crossref's works API writes the same fields (`author` with `family`/`given`, `issued`),
so `crossref` reads its works with the functions here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import chain

from app.etl.extract import json_input
from app.etl.extract.source import Source
from app.etl.extract.text import FileRejected, oversized
from app.text.records import Record, Reject

FORMAT = "csl-json"
# The date fields a year is taken from, in order.
DATES = ("issued", "published-print", "published-online", "created")
YEAR = re.compile(r"\b\d{4}\b")


def read(source: Source) -> Iterator[Record | Reject]:
    """The items of the array; an item that is not a paper is rejected with its line."""
    items = json_input.array_items(source)
    first = next(items, None)
    if first is None or (isinstance(first, Reject) and first.line == 1):
        raise FileRejected("not CSL-JSON: " + (first.reason if first else "an empty array"))
    return json_input.records(source.path, chain([first], items), _one_record)


def _one_record(path: str, n: int, text: str, item: object) -> tuple[Record | Reject]:
    return (oversized(path, n, text) or item_record(path, n, text, item),)


def item_record(path: str, n: int, text: str, item: object, ids: tuple[tuple[str, str], ...] = ()) -> Record:
    """One CSL item (or Crossref work) as a record; ValueError when it is not an object."""
    if not isinstance(item, dict):
        raise ValueError("CSL item is not an object")
    pairs, organizations, orcids = people(item.get("author"))
    title, subtitle = first_string(item.get("title")), first_string(item.get("subtitle"))
    return Record(
        file=path,
        line=n,
        raw=text,
        title=f"{title}: {subtitle}" if title and subtitle else title,
        abstract=first_string(item.get("abstract")),
        author_pairs=pairs,
        author_orcids=orcids,
        organizations=organizations,
        year=year(item),
        venue=first_string(item.get("container-title")),
        doi=first_string(item.get("DOI")),
        url=first_string(item.get("URL")),
        ids=ids or _medical_ids(item),
    )


def _medical_ids(item: dict) -> tuple[tuple[str, str], ...]:
    """PMID and PMCID, which Crossref's CSL carries."""
    return tuple(
        (scheme, value)
        for scheme, key in (("pmid", "PMID"), ("pmcid", "PMCID"))
        if (value := first_string(item.get(key)))
    )


def first_string(value) -> str | None:
    """A string, or the first string of a list (Crossref writes titles as lists); else None."""
    if isinstance(value, list):
        value = next((v for v in value if isinstance(v, str) and v.strip()), None)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    return value if isinstance(value, str) and value.strip() else None


def people(value) -> tuple[tuple[tuple[str, str | None], ...], frozenset[str], tuple[str | None, ...]]:
    """CSL names as (family, given) pairs, with particles and suffixes; `literal` and Crossref's
    `name` (given-less) are organisations. With them, each name's `ORCID` (Crossref's field), or None."""
    if value is None:
        return (), frozenset(), ()
    if not isinstance(value, list):
        raise ValueError("field 'author' must be a list")
    pairs, organizations, orcids = [], set(), []
    for person in value:
        if not isinstance(person, dict):
            raise ValueError(f"author {person!r} is not an object")
        family = " ".join(
            filter(
                None,
                (
                    first_string(person.get("non-dropping-particle")),
                    first_string(person.get("family")),
                    first_string(person.get("suffix")),
                ),
            )
        )
        given = " ".join(
            filter(None, (first_string(person.get("given")), first_string(person.get("dropping-particle"))))
        )
        if family:
            pairs.append((family, given or None))
        elif name := first_string(person.get("literal")) or first_string(person.get("name")):
            pairs.append((name, None))
            organizations.add(" ".join(name.split()))
        elif given:
            pairs.append((given, None))  # a mononym in the given-name slot
        else:
            continue
        orcids.append(first_string(person.get("ORCID")))
    return tuple(pairs), frozenset(organizations), tuple(orcids)


def year(item: dict) -> int | None:
    """The year of `issued` (or of another date): date-parts' first number, even written as a string."""
    for key in DATES:
        date = item.get(key)
        if not isinstance(date, dict):
            continue
        parts = date.get("date-parts")
        if isinstance(parts, list) and parts and isinstance(parts[0], list) and parts[0] and parts[0][0] is not None:
            return json_input.year(parts[0][0], key)
        if found := YEAR.search(first_string(date.get("raw")) or first_string(date.get("literal")) or ""):
            return int(found.group())
    return None

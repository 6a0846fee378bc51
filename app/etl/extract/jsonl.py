"""JSON Lines, paperdb's own interchange format: one paper per line (fields in the README)."""

from __future__ import annotations

from collections.abc import Iterator

from app.etl.extract import json_input
from app.etl.extract.source import Source
from app.text.records import Record, Reject

FORMAT = "jsonl"
FIELDS = ("title", "abstract", "venue", "doi", "arxiv_id", "url", "source_id")


def read(source: Source) -> Iterator[Record | Reject]:
    """One paper per line; a line that is not a paper is rejected."""
    return json_input.per_line(source, _record)


def _record(path: str, n: int, text: str, obj: dict) -> tuple[Record]:
    fields = {key: json_input.string(obj, key) for key in FIELDS}
    truncated = obj.get("authors_truncated", False)
    if not isinstance(truncated, bool):
        raise ValueError("field 'authors_truncated' must be true or false")
    return (
        Record(
            file=path,
            line=n,
            raw=text,
            year=json_input.year(obj.get("year")),
            author_pairs=_authors(obj),
            author_orcids=_orcids(obj),
            ids=_ids(obj),
            organizations=_organizations(obj),
            authors_truncated=truncated,
            **fields,
        ),
    )


def _ids(obj: dict) -> tuple[tuple[str, str], ...]:
    """Other identifiers: `"ids": [["pmid", "123"], ["doi", "10.1/second"]]`."""
    ids = obj.get("ids") or []
    if not (
        isinstance(ids, list)
        and all(isinstance(i, list) and len(i) == 2 and all(isinstance(x, str) for x in i) for i in ids)
    ):
        raise ValueError("field 'ids' must be a list of [scheme, value] pairs")
    return tuple((scheme.strip().lower(), value) for scheme, value in ids)


def _organizations(obj: dict) -> frozenset[str]:
    """Authors given as `{"family": "OpenAI", "organization": true}`."""
    authors = obj.get("authors") if isinstance(obj.get("authors"), list) else []
    return frozenset(
        (a.get("family") or "").strip() for a in authors if isinstance(a, dict) and a.get("organization") is True
    )


def _orcids(obj: dict) -> tuple[str | None, ...]:
    """Each author's ORCID: `{"family": "Carberry", "given": "Josiah", "orcid": "0000-0002-1825-0097"}`."""
    authors = obj.get("authors") if isinstance(obj.get("authors"), list) and not obj.get("authors_parsed") else []
    orcids = tuple(a.get("orcid") if isinstance(a, dict) else None for a in authors)
    if not all(isinstance(o, (str, type(None))) for o in orcids):
        raise ValueError("an author's 'orcid' must be a string")
    return orcids if any(orcids) else ()


def _authors(obj: dict) -> tuple[tuple[str, str | None], ...]:
    authors = obj.get("authors_parsed") or obj.get("authors") or []
    if not isinstance(authors, list):
        raise ValueError("field 'authors' must be a list")
    pairs = []
    for a in authors:
        if isinstance(a, str):
            family, _, given = a.partition(",")
            pairs.append((family.strip(), given.strip() or None))
        elif isinstance(a, dict) and all(isinstance(a.get(k), (str, type(None))) for k in ("family", "given")):
            pairs.append(((a.get("family") or "").strip(), (a.get("given") or "").strip() or None))
        elif isinstance(a, list) and 1 <= len(a) <= 2 and all(isinstance(x, str) for x in a):
            pairs.append((a[0].strip(), (a[1].strip() or None) if len(a) > 1 else None))
        else:
            raise ValueError(f"author {a!r} is neither 'Family, Given' nor {{family, given}}")
    return tuple(pairs)

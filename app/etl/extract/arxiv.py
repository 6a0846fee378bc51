"""arXiv's metadata snapshot (Kaggle `arxiv-metadata-oai-snapshot.json`): JSON Lines, one paper each.

Names come from `authors_parsed` ([family, given, suffix, affiliation…]), which is Unicode where
`authors` is LaTeX; titles and abstracts are LaTeX with hard line wraps.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from app.etl.extract import json_input
from app.etl.extract.csl_json import first_string
from app.etl.extract.source import Source
from app.text.latex import to_text
from app.text.records import Record, Reject

FORMAT = "arxiv"
YEAR = re.compile(r"\b\d{4}\b")
ABS_URL = "https://arxiv.org/abs/"


def recognises(obj: dict) -> bool:
    """A snapshot line: an id, `authors_parsed` and `versions`."""
    return "id" in obj and isinstance(obj.get("authors_parsed"), list) and "versions" in obj


def read(source: Source) -> Iterator[Record | Reject]:
    """One paper per line; a line that is not one is rejected."""
    return json_input.per_line(source, _record)


def _record(path: str, n: int, text: str, obj: dict) -> tuple[Record]:
    arxiv_id = json_input.string(obj, "id")
    if not arxiv_id:
        raise ValueError("arXiv record has no 'id'")
    dois = (json_input.string(obj, "doi") or "").split()  # a few records list two, space-separated
    return (
        Record(
            file=path,
            line=n,
            raw=text,
            title=_latex(json_input.string(obj, "title")),
            abstract=_latex(json_input.string(obj, "abstract")),
            author_pairs=_authors(obj["authors_parsed"]),
            year=_year(obj),
            venue=_latex(json_input.string(obj, "journal-ref")),
            doi=dois[0] if dois else None,
            arxiv_id=arxiv_id,
            url=ABS_URL + arxiv_id,
            ids=tuple(("doi", doi) for doi in dois[1:]),
        ),
    )


def _latex(value: str | None) -> str | None:
    return to_text(value) or None if value else None


def _authors(parsed: list) -> tuple[tuple[str, str | None], ...]:
    pairs = []
    for entry in parsed:
        if not (isinstance(entry, list) and entry and all(isinstance(x, str) for x in entry)):
            raise ValueError(f"author {entry!r} is not [family, given, suffix]")
        family, given, suffix = (entry + ["", ""])[:3]  # a 4th slot holds an affiliation
        pairs.append((_latex(f"{family} {suffix}".strip()) or "", _latex(given)))
    return tuple(pairs)


def _year(obj: dict) -> int | None:
    """The year of the first version (`Mon, 2 Apr 2007 19:18:42 GMT`), else of `update_date`."""
    versions = obj.get("versions")
    first = versions[0] if isinstance(versions, list) and versions and isinstance(versions[0], dict) else {}
    found = YEAR.search(first_string(first.get("created")) or first_string(obj.get("update_date")) or "")
    return int(found.group()) if found else None

"""RIS (Zotero, EndNote, Embase, Ovid, Mendeley): records from `TY  -` to `ER  -`, one tag a line.

The file is cut into records here, so each keeps its lines and its raw text; rispy reads
each record's tags. Text between records (Ovid's `1.` and link lines) is no record.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import rispy

from app.etl.extract.source import Source
from app.etl.extract.text import FileRejected, legacy_text, oversized
from app.text.records import Record, Reject

FORMAT = "ris"
TAG = re.compile(r"^([A-Z][A-Z0-9])  -(?: |$)")
START, END = "TY", "ER"
# Ovid numbers its records: `1.` on the line before `TY  -`. Publishers' downloads start with a
# header (`Provider: Elsevier`, `Content: text/plain; charset="UTF-8"`).
RECORD_NUMBER = re.compile(r"^\s*\d+\.\s*$")
HEADER = re.compile(r"^[A-Za-z][A-Za-z -]*: ")
YEAR = re.compile(r"\d{4}")
INITIALS = re.compile(r"^(?:[A-Z]\.-?)+$")
# rispy's names for the tags read, in the order they are preferred.
TITLES = ("title", "primary_title")  # TI, T1
ABSTRACTS = ("abstract", "notes_abstract")  # AB, N2
YEARS = ("year", "publication_year", "date")  # PY, Y1, DA
VENUES = ("alternate_title3", "secondary_title", "journal_name", "alternate_title2")  # JF, T2, JO, JA
AUTHORS = ("authors", "first_authors")  # AU, A1
_PARSER = rispy.RisParser(skip_unknown_tags=True)


def starts_like_ris(texts: list[str]) -> bool:
    """Whether the first line that is no record number or header line opens a RIS record."""
    first = next((t for t in texts if not (RECORD_NUMBER.match(t) or HEADER.match(t))), "")
    return first.lstrip("\ufeff").startswith(f"{START}  -")


def read(source: Source) -> Iterator[Record | Reject]:
    """The file's records; FileRejected when it holds no complete one."""
    chunks = list(_chunks(source))
    if not any(complete for _, _, complete in chunks):
        raise FileRejected(f"no RIS record ends with an `{END}  -` line")
    return _records(source.path, chunks)


def _chunks(source: Source) -> Iterator[tuple[int, list[str], bool]]:
    """Each record's first line number, its lines, and whether it ends with `ER  -`."""
    start, lines = 0, []
    for n, text, _raw in map(lambda line: legacy_text(*line), source.lines):
        text = text.lstrip("\ufeff").rstrip()
        tag = TAG.match(text)
        if tag and tag.group(1) == START:
            if lines:
                yield start, lines, False  # a new record before this one ended
            start, lines = n, [text]
        elif lines:
            lines.append(text)
            if tag and tag.group(1) == END:
                yield start, lines, True
                lines = []
    if lines:
        yield start, lines, False


def _records(path: str, chunks) -> Iterator[Record | Reject]:
    for start, lines, complete in chunks:
        raw = "\n".join(lines)
        if not complete:
            yield Reject(path, start, raw, f"RIS record cut off: no `{END}  -` line before the next record or the end")
            continue
        yield oversized(path, start, raw) or _record(path, start, raw, _PARSER.parse(raw)[0])


def _record(path: str, line: int, raw: str, fields: dict) -> Record:
    authors = [name for key in AUTHORS for name in fields.get(key, [])]
    return Record(
        file=path,
        line=line,
        raw=raw,
        title=_first(fields, TITLES),
        abstract=_first(fields, ABSTRACTS),
        author_pairs=tuple(_name(a) for a in dict.fromkeys(authors) if a.strip()),
        year=_year(fields),
        venue=_first(fields, VENUES),
        doi=fields.get("doi") or None,
        url=next(iter(fields.get("urls", [])), None),
    )


def _first(fields: dict, keys: tuple[str, ...]) -> str | None:
    return next((fields[k] for k in keys if isinstance(fields.get(k), str) and fields[k].strip()), None)


def _year(fields: dict) -> int | None:
    found = YEAR.search(_first(fields, YEARS) or "")
    return int(found.group()) if found else None


def _name(name: str) -> tuple[str, str | None]:
    """`Family, Given[, Suffix]`, or Embase's `Family I.J.`; another name without a comma is all family
    (an organisation, or a name as written)."""
    if "," not in name:
        family, _, initials = name.strip().rpartition(" ")
        return (family, initials) if family and INITIALS.match(initials) else (name.strip(), None)
    family, _, rest = name.partition(",")
    given, _, suffix = rest.partition(",")
    family = f"{family.strip()} {suffix.strip()}".strip()
    return family, given.strip() or None

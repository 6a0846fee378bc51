"""OpenAlex works: snapshot JSON Lines, one work saved from the API, or an API page (`results`).

The abstract is rebuilt from `abstract_inverted_index` (word -> positions); display names
are split into family and given names by BibTeX's rules.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from app.etl.extract import json_input
from app.etl.extract.csl_json import first_string
from app.etl.extract.person import family_and_given
from app.etl.extract.source import Source
from app.text.records import Record, Reject

FORMAT = "openalex"
WORK_ID = re.compile(r"^https://openalex\.org/(W\d+)$")
# `ids` entries kept, as (scheme, URL pattern whose group is the value): PMCIDs are stored as PMC<digits>.
ID_PATTERNS = {
    "openalex": ("openalex", re.compile(r"openalex\.org/(W\d+)$")),
    "pmid": ("pmid", re.compile(r"(\d+)/?$")),
    "pmcid": ("pmcid", re.compile(r"(?:PMC)?(\d+)/?$")),
}

# A person's name: two to four capitalised words or initials (`Nora B. Whyte`), nothing an
# organisation's name would hold (`Johnson and Johnson` has one word a side, so it stays whole).
PERSON = re.compile(r"(?:[A-Z][\w'’-]*\.?\s+){1,3}[A-Z][\w'’-]+")


def recognises(obj: dict) -> bool:
    """A work (`https://openalex.org/W…` id) or a page of works from the API."""
    if isinstance(obj.get("results"), list) and "meta" in obj:
        return True
    return bool(WORK_ID.match(str(obj.get("id", ""))))


def read(source: Source) -> Iterator[Record | Reject]:
    """The works of the file."""
    return json_input.per_document(source, _works)


def _works(path: str, n: int, text: str, obj: dict) -> list[Record]:
    works = obj["results"] if isinstance(obj.get("results"), list) else [obj]
    return [_work(path, n, text, work) for work in works]


def _work(path: str, n: int, text: str, work: object) -> Record:
    if not isinstance(work, dict):
        raise ValueError("OpenAlex work is not an object")
    authorships = work.get("authorships") or []
    if not isinstance(authorships, list):
        raise ValueError("field 'authorships' must be a list")
    named = [named for a in authorships if (name := _author_name(a)) for named in _named(name, _orcid(a))]
    return Record(
        file=path,
        line=n,
        raw=text,
        title=first_string(work.get("title")) or first_string(work.get("display_name")),
        abstract=abstract(work.get("abstract_inverted_index")),
        author_pairs=tuple(family_and_given(name) for name, _ in named),
        author_orcids=tuple(orcid for _, orcid in named),
        year=json_input.year(work.get("publication_year"), "publication_year"),
        venue=_venue(work),
        doi=first_string(work.get("doi")),
        ids=_ids(work.get("ids")),
    )


def _author_name(authorship) -> str | None:
    if not isinstance(authorship, dict):
        raise ValueError(f"authorship {authorship!r} is not an object")
    author = authorship.get("author") if isinstance(authorship.get("author"), dict) else {}
    return first_string(author.get("display_name")) or first_string(authorship.get("raw_author_name"))


def _people(name: str) -> list[str]:
    """One authorship's name, or the two people it names (`Nora B. Whyte and Susan M. Duncan`,
    as OpenAlex's early works have it) when each side reads as a person's name."""
    sides = name.split(" and ")
    if len(sides) == 2 and all(PERSON.fullmatch(side.strip()) for side in sides):
        return [side.strip() for side in sides]
    return [name]


def _named(name: str, orcid: str | None) -> list[tuple[str, str | None]]:
    """(name, ORCID) of each person an authorship names; two people split from one name get none."""
    people = _people(name)
    return [(name, orcid)] if len(people) == 1 else [(person, None) for person in people]


def _orcid(authorship: dict) -> str | None:
    author = authorship.get("author") if isinstance(authorship.get("author"), dict) else {}
    return first_string(author.get("orcid"))


def _venue(work: dict) -> str | None:
    """The source of the primary location (current schema), else `host_venue` (2021 snapshots)."""
    location = work.get("primary_location") if isinstance(work.get("primary_location"), dict) else {}
    source = location.get("source") if isinstance(location.get("source"), dict) else {}
    host = work.get("host_venue") if isinstance(work.get("host_venue"), dict) else {}
    return first_string(source.get("display_name")) or first_string(host.get("display_name"))


def _ids(ids) -> tuple[tuple[str, str], ...]:
    if not isinstance(ids, dict):
        return ()
    found = []
    for key, (scheme, pattern) in ID_PATTERNS.items():
        if (value := first_string(ids.get(key))) and (match := pattern.search(value)):
            found.append((scheme, f"PMC{match.group(1)}" if scheme == "pmcid" else match.group(1)))
    return tuple(found)


def abstract(index) -> str | None:
    """The text of an inverted index: each word put back at its positions. Older snapshots wrap
    the index as `{"IndexLength": n, "InvertedIndex": {...}}`."""
    if isinstance(index, dict) and isinstance(index.get("InvertedIndex"), dict):
        index = index["InvertedIndex"]
    if not isinstance(index, dict) or not index:
        return None
    placed = {}
    for word, positions in index.items():
        if not isinstance(positions, list):
            raise ValueError("abstract_inverted_index positions must be lists")
        for position in positions:
            if not isinstance(position, int) or isinstance(position, bool):
                raise ValueError(f"abstract_inverted_index position {position!r} is not a number")
            placed[position] = word
    return " ".join(placed[p] for p in sorted(placed))

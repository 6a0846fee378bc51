"""Plain values passed between the pipeline stages."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple


def display_name(family: str, given: str | None) -> str:
    """`Given Family`, or just the family name when there is no given name."""
    return f"{given} {family}" if given else family


@dataclass(frozen=True)
class Record:
    """One paper as a source file states it, before cleaning.

    Profile dumps give authors as one flat comma-separated line (`authors_flat`);
    the other formats give them already paired (`author_pairs`, each `(family, given)`), and
    some give each author's ORCID (`author_orcids`, parallel to `author_pairs`, None where absent).
    """

    file: str
    line: int  # 1-based line where the record starts
    raw: str  # the record's text exactly as read, kept for `rejects`
    title: str | None = None
    abstract: str | None = None
    authors_flat: str | None = None
    author_pairs: tuple[tuple[str, str | None], ...] | None = None
    author_orcids: tuple[str | None, ...] = ()  # as the source wrote them; checked by the clean stage
    year: int | None = None
    venue: str | None = None
    doi: str | None = None
    arxiv_id: str | None = None
    url: str | None = None
    source_id: str | None = None
    profile_owner: str | None = None  # `Family, Given` of the dump's owner
    ids: tuple[tuple[str, str], ...] = ()  # other identifiers, (scheme, value): pmid, pmcid, openalex
    organizations: frozenset[str] = frozenset()  # given-less authors the source marks as organisations
    authors_truncated: bool = False  # the source cut the author list short (`and others`)


@dataclass(frozen=True)
class Reject:
    """A record (or whole file) that could not be loaded, and why."""

    file: str
    line: int | None
    raw: str
    reason: str


@dataclass(frozen=True)
class Mention:
    """One author as listed on one paper, after name parsing and repair."""

    family: str
    given: str | None
    raw: str  # as the source wrote it, e.g. "Mรฉly, David"
    is_organization: bool = False
    orcid: str | None = None  # bare and checked: `0000-0002-1825-0097`

    @property
    def display(self) -> str:
        return display_name(self.family, self.given)


class AuthorshipRow(NamedTuple):
    """An `authorships` row to write, before its author is known: a mention at its position on a paper."""

    paper_id: int
    position: int
    raw_name: str
    name: str
    family_name: str
    given_name: str | None
    is_organization: int
    block_key: str
    orcid: str | None = None


@dataclass(frozen=True)
class NameRepair:
    """Something the name parser changed in an author list, recorded for review."""

    kind: str  # 'stray-token', 'joined-split-name', 'duplicate-mention', 'odd-token-count', 'invalid-orcid'
    detail: str


@dataclass(frozen=True)
class ParsedAuthors:
    """The result of parsing one author list."""

    mentions: tuple[Mention, ...]
    repairs: tuple[NameRepair, ...] = field(default=())

"""What the query layer returns: plain frozen dataclasses; `as_dict()` gives JSON-able values."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from app.search.ranker import MARK_END, MARK_START

# How `Hit.snippet` marks the matched words; `Hit.highlight()` takes other markers.
HIGHLIGHT = ("[", "]")


class _Record:
    def as_dict(self) -> dict:
        """The record as plain JSON-able values."""
        return asdict(self)


@dataclass(frozen=True)
class Hit(_Record):
    """One search result: the paper, its authors in order, a score (higher is better), a snippet."""

    paper_id: int
    title: str | None
    year: int | None
    authors: list[str]
    score: float
    snippet: str  # the best-matching passage, matched words in HIGHLIGHT brackets
    marked: str = field(default="", repr=False, compare=False)

    def highlight(self, start: str, end: str) -> str:
        """The snippet with the matched words between `start` and `end` (e.g. terminal colours)."""
        return self.marked.replace(MARK_START, start).replace(MARK_END, end)

    def as_dict(self) -> dict:
        """The hit as plain values (paper_id, title, year, authors, score, snippet)."""
        return {k: v for k, v in asdict(self).items() if k != "marked"}


@dataclass(frozen=True)
class FacetCount(_Record):
    """A value of a facet (a year, a venue; None for papers without one) and how many papers have it."""

    value: str | int | None
    count: int


@dataclass(frozen=True)
class SearchFacets(_Record):
    """How many papers a search matches, and how many per year (newest first) and per venue (most first)."""

    total: int
    years: list[FacetCount]
    venues: list[FacetCount]


@dataclass(frozen=True)
class AuthorRef(_Record):
    """An author a typed name may mean, with the rule that matched it and its strength (0..1)."""

    id: int
    name: str
    paper_count: int
    is_organization: bool
    rule: str
    score: float


@dataclass(frozen=True)
class NameVariant(_Record):
    """A spelling of an author and on how many papers it was seen."""

    name: str
    count: int


@dataclass(frozen=True)
class AuthorPaper(_Record):
    """A paper of an author: where the author is in the list and how the paper wrote the name."""

    paper_id: int
    title: str | None
    year: int | None
    position: int
    listed_as: str


@dataclass(frozen=True)
class Coauthor(_Record):
    """A co-author and the number of papers shared."""

    id: int
    name: str
    papers: int


@dataclass(frozen=True)
class AuthorProfile(_Record):
    """An author with papers (newest first, then by title), name variants and co-authors."""

    id: int
    name: str
    family_name: str
    given_name: str | None
    is_organization: bool
    paper_count: int
    orcid: str | None  # when the author's mentions carry exactly one
    variants: list[NameVariant]
    papers: list[AuthorPaper]
    coauthors: list[Coauthor]


@dataclass(frozen=True)
class LikelySame(_Record):
    """A larger author the found one may be part of: a compatible name (by `rule`) in the same
    family-name block, with its papers and the co-authors the two share."""

    id: int
    name: str
    paper_count: int
    rule: str
    shared_coauthors: list[str]


@dataclass(frozen=True)
class AuthorLookup(_Record):
    """What a typed name resolved to: one author, several candidates, or nothing.

    `status` is `found` (see `author` and `rule`), `ambiguous` (see `candidates`,
    best first) or `not found`. A found author may also be `part_of` a larger author
    resolution kept apart (`Chris Manning` beside `Christopher D. Manning`): most shared
    co-authors first.
    """

    query: str
    status: str
    rule: str | None
    author: AuthorProfile | None
    candidates: list[AuthorRef]
    part_of: list[LikelySame] = field(default_factory=list)


@dataclass(frozen=True)
class PaperAuthor(_Record):
    """An author on a paper: position, resolved author, and the name as the source wrote it."""

    position: int
    author_id: int
    name: str
    listed_as: str
    raw_name: str


@dataclass(frozen=True)
class ListedAuthor(_Record):
    """An author as a list of papers shows one: the author's id and display name."""

    id: int
    name: str


@dataclass(frozen=True)
class ListedPaper(_Record):
    """A paper as a list shows it: title, year, venue and its authors in order."""

    id: int
    title: str | None
    year: int | None
    venue: str | None
    authors: list[ListedAuthor]


@dataclass(frozen=True)
class PaperSource(_Record):
    """A file and line a paper's record came from."""

    path: str
    line: int
    format: str


@dataclass(frozen=True)
class PaperDetail(_Record):
    """A paper with everything known about it."""

    id: int
    title: str | None
    year: int | None
    venue: str | None
    url: str | None
    authors: list[PaperAuthor]
    abstracts: list[str]
    ids: list[dict]
    sources: list[PaperSource]


@dataclass(frozen=True)
class SqlResult(_Record):
    """The columns and rows of a query."""

    columns: list[str]
    rows: list[tuple]

    def as_dicts(self) -> list[dict]:
        """One dict per row, keyed by column name."""
        return [dict(zip(self.columns, row)) for row in self.rows]


@dataclass(frozen=True)
class RelatedPaper(_Record):
    """A paper near another in meaning: its title, year, venue, authors in order, and the cosine similarity
    of the two papers' vectors (1 the same text, near 0 unrelated)."""

    paper_id: int
    title: str | None
    year: int | None
    venue: str | None
    authors: list[str]
    similarity: float

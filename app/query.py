"""The query layer: search, authors, papers, stats and read-only SQL over one read-only connection.

`PaperDB` is what the CLI, scripts and notebooks use. Results are plain frozen
dataclasses (`as_dict()` gives JSON-able dicts). Every value a caller gives is bound
as an SQL parameter, never formatted into SQL, and the connection cannot write: it is
opened `mode=ro`, with `PRAGMA query_only`, and an authorizer that refuses anything
but reads.

FTS5 ranks every paper a search matches: a second for a word in most of a million papers.
So each import ranks every common word once into `search_top` (`app.ranking`), and a
search ranked by one such word reads its list; a search of several words, one of them
such a word, is ranked from postings (`app.postings`; a rarer word's are read back from
its own ranking); words in over half the papers, which bm25 all but ignores, only filter.
Other searches, and any search while the lists are out of date, are ranked in full by FTS5.
"""
from __future__ import annotations

import json
import os
import re
import sqlite3
from contextlib import closing, contextmanager
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from typing import Any, Callable, Iterator, Mapping, Sequence

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import OSA

from app import postings
from app.db import DatabaseError, chunked, connect_for_queries, db_path, refusal, schema_revision
from app.text.clean import repair_text
from app.text.names import PARTICLES, block_key, fold, name_tokens, nickname_table, token_compatibility
from app.text.normalize import ARXIV_PREFIX, ARXIV_VERSION, DOI_PREFIX, text_key
from app.ranking import (LISTS_ARE_CURRENT, RANK_SQL, SEARCH_COLUMNS, WEIGHTS, ScratchIndex, all_scores, index_structure,
                         index_totals)
from app.split_ranking import SplitRanker

SNIPPET_TOKENS = 16
# How `Hit.snippet` marks the matched words; `Hit.highlight()` takes other markers.
HIGHLIGHT = ("[", "]")
# Internal snippet markers: control characters never occur in the repaired text.
_MARK_START, _MARK_END = "\x02", "\x03"
# Something FTS5's unicode61 tokenizer keeps as a token character (letters and digits;
# not `_`, which it treats as a separator).
WORD = re.compile(r"[^\W_]")
NAME_WORD = re.compile(r"[^\W_]+")
# Shortest prefix a plain query may end in `*`: `a*` would merge the postings of every word
# starting with `a` (the index keeps 3-letter prefixes; others merge the words they start).
PREFIX_MIN_LEN = 2
# A search whose filtering words (in half the papers or more) are checked after ranking ranks
# this many times the papers wanted first: with one such word, fewer than a quarter pass
# only when the words go together unusually seldom (with three, an eighth pass by chance,
# and the rest of the ranking is read more often).
CHECKED_FIRST = 4
# A search whose ranking words may match this many papers is ranked in two halves at once
# (`app.split_ranking`): at ~1.5 µs a paper that is 30 ms in one thread, well above the
# cost of handing half to the other.
SPLIT_MIN_MATCHES = 20_000

# Author resolution scores (0..1) for matches that are not a given-name rule of
# `app.text.names.RULE_SCORES`: only the order matters, they rank below every rule.
FAMILY_ONLY_SCORE = 0.5  # a family name typed alone matches everyone in the block
NAME_WORDS_SCORE = 0.5  # the typed words all occur in the display name (authors_fts)
TYPO_FACTOR = 0.6  # a match through a typo in the family or first given name
# Edits (OSA: insert, delete, substitute, swap two letters) allowed in a typed family
# name: none below 4 letters (`Li`/`Lu`/`Xu` are different people), one up to 6, two
# from 7 (`Shulman` -> `Schulman`). Chosen by hand so short names stay exact.
TYPO_MIN_LEN = 4
TYPO_LONG_LEN = 7
MAX_CANDIDATES = 50
PART_OF_SHOWN = 3  # larger compatible authors named beside a found one
# Papers and co-authors listed in an author's profile unless asked for more: the prolific
# authors of a large database have thousands of co-authors.
AUTHOR_LIMIT = 100
# Identifier schemes of `paper_ids` (see app.text.normalize.normalize_ids).
ID_SCHEMES = ("doi", "arxiv", "pmid", "pmcid", "openalex", "source")
# Pragmas `sql()` may run: they only read. The ones in OBJECT_PRAGMAS take a table or
# index name as their argument; the others are refused with an argument (a write).
READ_PRAGMAS = {
    "application_id", "collation_list", "compile_options", "data_version", "database_list",
    "encoding", "foreign_key_check", "foreign_key_list", "freelist_count", "function_list",
    "index_info", "index_list", "index_xinfo", "integrity_check", "journal_mode", "module_list",
    "page_count", "page_size", "pragma_list", "quick_check", "schema_version", "table_info",
    "table_list", "table_xinfo", "user_version",
}
OBJECT_PRAGMAS = {
    "foreign_key_check", "foreign_key_list", "index_info", "index_list", "index_xinfo",
    "integrity_check", "quick_check", "table_info", "table_list", "table_xinfo",
}
# The first word of an SQL statement, after any comments: what `sql()` names when it refuses.
LEADING_WORD = re.compile(r"(?:\s+|--[^\n]*(?:\n|$)|/\*.*?\*/)*(\w+)", re.DOTALL)
_READ_ACTIONS = {sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_FUNCTION, sqlite3.SQLITE_RECURSIVE}
_ACTION_NAMES = {
    getattr(sqlite3, f"SQLITE_{name}"): name.replace("_", " ")
    for name in (
        "INSERT", "UPDATE", "DELETE", "CREATE_INDEX", "CREATE_TABLE", "CREATE_TEMP_INDEX",
        "CREATE_TEMP_TABLE", "CREATE_TEMP_TRIGGER", "CREATE_TEMP_VIEW", "CREATE_TRIGGER",
        "CREATE_VIEW", "CREATE_VTABLE", "DROP_INDEX", "DROP_TABLE", "DROP_TEMP_INDEX",
        "DROP_TEMP_TABLE", "DROP_TEMP_TRIGGER", "DROP_TEMP_VIEW", "DROP_TRIGGER", "DROP_VIEW",
        "DROP_VTABLE", "ALTER_TABLE", "ATTACH", "DETACH", "PRAGMA", "TRANSACTION", "SAVEPOINT",
        "ANALYZE", "REINDEX",
    )
}


class QueryError(ValueError):
    """A query paperdb cannot run; the message says what to change."""


class AmbiguousAuthor(QueryError):
    """A name that matches several authors where one is needed; `.candidates` lists them."""

    def __init__(self, name: str, candidates: list[AuthorRef]):
        shown = ", ".join(f"{c.name} [{c.id}]" for c in candidates[:5])
        more = f" and {len(candidates) - 5} more" if len(candidates) > 5 else ""
        count = f"{len(candidates)}{'+' if len(candidates) >= MAX_CANDIDATES else ''}"
        super().__init__(f"{name!r} matches {count} authors ({shown}{more}): "
                         f"give more of the name, or an author id")
        self.candidates = candidates


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
        return self.marked.replace(_MARK_START, start).replace(_MARK_END, end)

    def as_dict(self) -> dict:
        """The hit as plain values (paper_id, title, year, authors, score, snippet)."""
        return {k: v for k, v in asdict(self).items() if k != "marked"}


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


def _phrases(text: str) -> list[tuple[str, bool]]:
    """The plain words of user text as (word, is a prefix), dropping tokens FTS5 would find no word in.

    A word typed twice counts once: all words must match anyway, and FTS5 would score the
    repeat twice and rank it in full (a common word's list serves one word only).
    """
    phrases: dict[tuple[str, bool], tuple[str, bool]] = {}
    for token in text.replace("\x00", " ").split():
        word = token.rstrip("*")
        if WORD.search(word):
            prefix = word != token and len(word) >= PREFIX_MIN_LEN
            phrases.setdefault((word.lower(), prefix), (word, prefix))  # as FTS5 folds case (`Straße` is not `strasse`)
    return list(phrases.values())


def fts_query_of(phrases: list[tuple[str, bool]]) -> str:
    """(word, is a prefix) pairs as FTS5 phrases, all of which must match."""
    return " ".join('"' + word.replace('"', '""') + '"' + ("*" if prefix else "") for word, prefix in phrases)


def fts_query(text: str) -> str:
    """User text as an FTS5 query of plain words: every token quoted, all must match.

    A trailing `*` keeps its meaning (`verif*` matches words starting with `verif`) after
    at least PREFIX_MIN_LEN characters; every other character is literal.
    """
    phrases = _phrases(text)
    if not phrases:
        raise QueryError(f"empty query {text!r}: give at least one word to search for")
    return fts_query_of(phrases)


def _fts_error(text: str, error: sqlite3.OperationalError) -> QueryError | None:
    """A clear QueryError for an FTS5 error in a raw query; None if it is not one."""
    message = str(error)
    column = re.match(r"no such column: (.+)", message)
    if column:
        return QueryError(f"unknown column {column.group(1)!r} in search {text!r}: "
                          f"the columns are {', '.join(SEARCH_COLUMNS)}")
    if message.startswith(("fts5:", "unknown special query", "unterminated string")):
        return QueryError(f"invalid search syntax in {text!r} ({message}); "
                          f"without raw mode the words are searched as plain words")
    return None


def _is_id(text: str) -> bool:
    return text.isascii() and text.isdigit() and len(text) <= 18


def _int(value: Any, what: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise QueryError(f"{what} must be a whole number, not {value!r}") from None


def _readings(name: str) -> list[tuple[str, str | None]]:
    """Ways to read a typed name as (family, given), most likely first.

    `Schulman, J.` is family first; `John Schulman` is family last (with particles:
    `Ludwig van Beethoven`); `Schulman John` is also tried family first.
    """
    if "," in name:
        family, _, given = name.partition(",")
        return [(family.strip(), given.strip() or None)]
    words = name.split()
    if len(words) == 1:
        return [(words[0], None)]
    start = len(words) - 1
    while start > 1 and fold(words[start - 1]) in PARTICLES:
        start -= 1
    return [(" ".join(words[start:]), " ".join(words[:start])), (words[0], " ".join(words[1:]))]


@lru_cache(maxsize=65536)
def _tokens(family: str, given: str | None) -> tuple[str, ...]:
    return name_tokens(family, given)


@lru_cache(maxsize=4096)
def _initial(given: str) -> str:
    """The folded first letter of a given name (`Łukasz` -> `l`)."""
    return fold(given.lstrip()[:1])[:1]


def _prefilter(typed: tuple[str, ...]):
    """A cheap test on a raw given name that `token_compatibility` with `typed` may pass.

    A match needs the first given names to share an initial or be nicknames, or one
    side to go by a later given name of the other; skipping the rest of a large block
    (thousands of `Wang`s) before folding and tokenising is what keeps lookups fast.
    """
    first = typed[0]
    initials = {first[0], *(n[0] for n in nickname_table().get(first, ())), *(t[0] for t in typed[1:])}

    def worth(given: str | None) -> bool:
        if not given or _initial(given) in initials:
            return True
        if not given.isascii():
            return True  # folding decides; rare
        return first in given.casefold()  # `Joy` for `Yunxin Joy`

    return worth


def _limit(limit: int | None) -> int:
    """A LIMIT value: None means no limit (-1 to SQLite)."""
    return -1 if limit is None else max(_int(limit, "limit"), 0)


def _max_typos(key: str) -> int:
    if len(key) < TYPO_MIN_LEN:
        return 0
    return 1 if len(key) < TYPO_LONG_LEN else 2


@dataclass(frozen=True)
class _Plan:
    """How to rank a plain search: FTS5 queries of the words that rank and of those that only filter."""

    ranking: str
    checks: str  # empty when every word ranks
    listed: str | None  # the index term of the one ranking word, when it has a `search_top` list
    # (index term, FTS5 query) of each ranking word, in query order, when they can be ranked from
    # postings: every one is a plain word, at least one has postings, the others are in few papers.
    posted: list[tuple[str, str]] | None
    matches: int  # how many papers the ranking words may match, by the lists' counts (decides splitting only)


class PaperDB:
    """A read-only view of a paperdb database for scripts, notebooks and the CLI."""

    def __init__(self, path: str | os.PathLike | None = None):
        self.path = db_path(path)
        self.conn = connect_for_queries(self.path)
        if schema_revision(self.conn, self.path) is None:
            self.conn.close()
            raise DatabaseError(f"{self.path} holds no papers yet: run `paperdb import` first")
        self._refused: str | None = None
        self._transacting = False
        self.conn.set_authorizer(self._authorize)
        self._block_keys: dict[int, list[str]] | None = None  # typo fallback: keys by length
        tables = {name for (name,) in self.conn.execute(
            "SELECT name FROM sqlite_master WHERE name IN ('search_top_source', 'search_postings')")}
        self._has_top = "search_top_source" in tables
        self._has_postings = "search_postings" in tables  # not before migration 0012
        self._scratch_index: ScratchIndex | None = None
        self._split_ranker: SplitRanker | None = None
        self._index: tuple[bytes | None, Any] = (None, None)  # (index structure, `_index_state()`) for postings

    def close(self) -> None:
        """Close the connection (and the second one that ranks large searches, if it was opened)."""
        if self._split_ranker is not None:
            self._split_ranker.close()
            self._split_ranker = None
        self.conn.close()

    def __enter__(self) -> "PaperDB":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # --- search -------------------------------------------------------------------------

    def search(self, text: str, *, limit: int = 20, offset: int = 0, author: str | None = None,
               year_from: int | None = None, year_to: int | None = None, raw: bool = False) -> list[Hit]:
        """Papers matching `text` in titles, author names or abstracts, best first.

        Words are plain words (all must match; accents and case ignored; text pasted from
        a dump is repaired first, `Mรฉly` -> `Mély`) unless `raw`,
        which passes FTS5 syntax through (`verif*`, `"process supervision"`, `NEAR`,
        `OR`, `NOT`). `author` keeps the papers of the author that name resolves to;
        `year_from`/`year_to` keep papers with a known year in that range.
        """
        text = text.replace("\x00", " ")  # FTS5 would read a NUL as the end of the query
        if raw and not text.strip():
            raise QueryError("empty query: give at least one word to search for")
        if not raw:
            text = repair_text(text)
        params: dict[str, Any] = {
            "match": text if raw else fts_query(text), **WEIGHTS,
            "mark_start": _MARK_START, "mark_end": _MARK_END, "tokens": SNIPPET_TOKENS,
            "limit": _int(limit, "limit"), "offset": _int(offset, "offset"),
        }
        if params["limit"] < 0 or params["offset"] < 0:
            raise QueryError("limit and offset must not be negative")
        with self._snapshot():  # the author too is resolved in the snapshot the page is ranked in
            filters = self._paper_filters(params, author, year_from, year_to)
            if filters is None:
                return []
            try:
                plan = None if raw else self._plan(text)
                ranked = self._from_lists(plan, filters, params) if plan else None
                if ranked is None:
                    ranked = self._ranked(plan, filters, params)
                ids = [r["id"] for r in ranked]
                snippets = self._scratch().snippets(self._texts(ids), params)  # for the page only
            except sqlite3.OperationalError as e:
                raise (_fts_error(text, e) or e) from None
            papers = {r["id"]: r for r in self.conn.execute(
                "SELECT id, title, year FROM papers WHERE id IN (SELECT value FROM json_each(:ids))",
                {"ids": json.dumps(ids)})}
            authors = self._author_names(ids)
        start, end = HIGHLIGHT
        return [
            Hit(r["id"], papers[r["id"]]["title"], papers[r["id"]]["year"], authors.get(r["id"], []), -r["score"],
                snippets[r["id"]].replace(_MARK_START, start).replace(_MARK_END, end), snippets[r["id"]])
            for r in ranked
        ]

    def _paper_filters(self, params: dict, author: str | None, year_from: int | None,
                       year_to: int | None) -> list[str] | None:
        """Conditions on a paper id, written `{id}`, that keep an author's papers and papers with a
        known year in range, their values put in `params`; None when no author has that name."""
        filters = []
        if author is not None:
            params["author_id"] = self._one_author(author)
            if params["author_id"] is None:
                return None
            filters.append("{id} IN (SELECT paper_id FROM authorships WHERE author_id = :author_id)")
        years = []
        if year_from is not None:
            params["year_from"] = _int(year_from, "year_from")
            years.append("AND year >= :year_from")
        if year_to is not None:
            params["year_to"] = _int(year_to, "year_to")
            years.append("AND year <= :year_to")
        if years:
            filters.append(f"{{id}} IN (SELECT id FROM papers WHERE year IS NOT NULL {' '.join(years)})")
        return filters

    @contextmanager
    def _snapshot(self) -> Iterator[None]:
        """One read transaction for the block: its statements all see the same commit, whatever
        an import commits meanwhile (a page ranked before a paper's removal still finds it)."""
        if self.conn.in_transaction:
            yield
            return
        self._transaction("BEGIN DEFERRED")
        try:
            yield
        finally:
            self._transaction("COMMIT")

    def _transaction(self, statement: str) -> None:
        """Run BEGIN or COMMIT, which the authorizer refuses to `sql()`."""
        self._transacting = True
        try:
            self.conn.execute(statement)
        finally:
            self._transacting = False

    def _plan(self, text: str) -> _Plan | None:
        """Which words of a plain search rank it and which only filter; None while the lists are out of date.

        FTS5's bm25 weighs a word by log((N - n + 0.5) / (n + 0.5)), raised to 1e-6 when
        that is not positive: a word in half the papers or more barely counts. Such words
        only filter, unless every word is one; the order changes only among papers whose
        scores tie but for those millionths.
        """
        if not self._has_top:
            return None
        phrases = _phrases(text)
        terms = [got[0] if len(got) == 1 and not prefix else None
                 for got, (_, prefix) in zip(self._scratch().terms([w for w, _ in phrases]), phrases)]
        rows = self.conn.execute(
            "SELECT s.papers AS total, s.min_papers, t.term, t.papers, "
            + ("EXISTS (SELECT 1 FROM search_postings p WHERE p.term = t.term)" if self._has_postings else "0")
            + " AS posted FROM search_top_source s "
            "LEFT JOIN search_terms t ON t.term IN (SELECT value FROM json_each(:terms)) "
            f"WHERE {LISTS_ARE_CURRENT}",
            {"terms": json.dumps([t for t in terms if t])},
        ).fetchall()
        if not rows:
            return None
        papers = {r["term"]: r["papers"] for r in rows if r["term"] is not None}
        posted = {r["term"] for r in rows if r["posted"]}
        common = [papers.get(t, 0) >= rows[0]["total"] / 2 for t in terms]
        ranking = [i for i, c in enumerate(common) if not c] or list(range(len(phrases)))
        # A word without a list is in too few papers to cost much to rank alone.
        postable = all(terms[i] in posted or terms[i] not in papers for i in ranking)
        return _Plan(
            ranking=fts_query_of([phrases[i] for i in ranking]),
            checks=fts_query_of([p for i, p in enumerate(phrases) if i not in ranking]),
            listed=terms[ranking[0]] if len(ranking) == 1 and terms[ranking[0]] in papers else None,
            posted=([(terms[i], fts_query_of([phrases[i]])) for i in ranking]
                    if all(terms[i] for i in ranking) and postable and any(terms[i] in posted for i in ranking)
                    else None),
            # A word without a list was in fewer than min_papers when the lists were last ranked
            # in full; a prefix or a phrase of several terms could match any number.
            matches=min(papers.get(terms[i], rows[0]["min_papers"] - 1) if terms[i] else rows[0]["total"]
                        for i in ranking),
        )

    def _from_lists(self, plan: _Plan, filters: list[str], params: dict) -> list | None:
        """The page from the ranking word's `search_top` list; None when the list cannot give all of it."""
        wanted = params["offset"] + params["limit"]
        if plan.listed is None:
            return None
        rows = self.conn.execute(
            f"SELECT paper_id AS id, score FROM search_top WHERE term = :term AND {LISTS_ARE_CURRENT}"
            + "".join(" AND " + f.format(id="paper_id") for f in filters) + " ORDER BY position",
            {**params, "term": plan.listed},
        ).fetchall()
        if plan.checks:
            rows = self._containing(rows, plan.checks, wanted)
        return rows[params["offset"]:wanted] if len(rows) >= wanted else None

    def _containing(self, rows: list, match: str, wanted: int) -> list:
        """The first `wanted` rows (at least) whose paper matches `match`, checked a few at a time."""
        found = []
        for chunk in chunked(rows, max(2 * wanted, 1)):
            ok = self._scratch().matching(self._texts([r["id"] for r in chunk]), match)
            found += [r for r in chunk if r["id"] in ok]
            if len(found) >= wanted:
                break
        return found

    def _texts(self, ids: list[int]) -> list[tuple]:
        """(paper id, title, authors, abstract) of these papers, as the search index holds them."""
        return [tuple(r) for r in self.conn.execute(
            "SELECT paper_id, title, authors, abstract FROM paper_search "
            "WHERE paper_id IN (SELECT value FROM json_each(?))", (json.dumps(ids),))]

    def _scratch(self) -> ScratchIndex:
        if self._scratch_index is None:
            self._scratch_index = ScratchIndex(self.conn)
        return self._scratch_index

    def _ranked(self, plan: _Plan | None, filters: list[str], params: dict) -> list:
        """The page ranked in full: every match of the ranking words is scored, from postings
        when the plan allows (`_Plan.posted`), else by FTS5."""
        # `+rowid` keeps the filters out of FTS5's plan: given `rowid IN (…)`, it runs the
        # whole MATCH once per listed paper (minutes for a prolific author).
        def sql_of(id_range: str = "") -> str:
            return RANK_SQL.format(match=":ranking" if plan else ":match",
                                   filters="".join(f" AND {f.format(id='+rowid')}" for f in filters) + id_range)

        words = self._word_postings(plan.posted) if plan and plan.posted and not filters else None
        splits = not filters and self._may_match(plan) >= SPLIT_MIN_MATCHES

        def rank(page: dict) -> list:
            if words is not None:
                return self._from_postings(words, page["offset"], page["limit"])
            return self._rank(splits, sql_of, page)

        if not (plan and plan.checks):
            return rank({**params, "ranking": plan.ranking if plan else None})
        # The filtering words are checked on the best papers of the ranking words: each is in
        # half the papers or more, so most pass. (In the MATCH, bm25 would count each one's
        # papers; a set of their papers holds half the index.)
        if not params["limit"]:
            return []
        offset, wanted = params["offset"], params["offset"] + params["limit"]
        first_limit = CHECKED_FIRST * wanted
        ranked = {**params, "ranking": plan.ranking, "offset": 0}
        first = rank({**ranked, "limit": first_limit})
        found = self._containing(first, plan.checks, wanted)
        if len(found) < wanted and len(first) == first_limit:
            # Too few passed: on down the rest of the ranking (a second and last one).
            for rows in self._rest(words, sql_of, {**ranked, "limit": -1, "offset": first_limit}, first_limit):
                found += self._containing(rows, plan.checks, wanted - len(found))
                if len(found) >= wanted:
                    break
        return found[offset:wanted]

    def _rest(self, words: list | None, sql_of: Callable[[str], str], params: dict, size: int) -> Iterator[list]:
        """The rest of a ranking from `params["offset"]` on, `size` rows at a time."""
        if words is not None:
            yield from chunked(self._from_postings(words, params["offset"], -1), size)
            return
        with closing(self.conn.execute(sql_of(), params)) as rest:
            while rows := rest.fetchmany(size):
                yield rows

    def _word_postings(self, words: list[tuple[str, str]]) -> list[tuple[np.ndarray, np.ndarray]] | None:
        """Each word's papers and weighted hits: its stored postings, or for a word in few papers
        read back from FTS5's ranking of it alone; None when such a score does not give its hits
        exactly (FTS5 then ranks the search)."""
        found = []
        for term, match in words:
            ids, hits = postings.word_postings(self.conn, term)
            if not len(ids):
                read = postings.read_back(*all_scores(self.conn, match), *self._index_state())
                if read is None:
                    return None
                ids, hits = read
            found.append((ids, hits))
        return found

    def _from_postings(self, words: list[tuple[np.ndarray, np.ndarray]], offset: int, limit: int) -> list[dict]:
        """The page FTS5 would rank for these words, from their postings (`app.postings`)."""
        return postings.rank(words, *self._index_state(), offset, limit)

    def _index_state(self) -> tuple[np.ndarray, int, int]:
        """Every paper's tokens by id (`app.postings.lengths`) and the index's (papers, tokens):
        what bm25 needs beside the postings, read again after each write to the index."""
        structure = index_structure(self.conn)
        if self._index[0] != structure:  # every write to the index changes its structure record
            self._index = (structure, (postings.lengths(self.conn), *index_totals(self.conn)))
        return self._index[1]

    def _rank(self, splits: bool, sql_of: Callable[[str], str], params: dict) -> list:
        """The rows of the RANK_SQL `sql_of` gives (for an id range, or for all); in two halves at once if `splits`."""
        if not splits:
            return self.conn.execute(sql_of(""), params).fetchall()
        if self._split_ranker is None:
            self._split_ranker = SplitRanker(self.path)
        return self._split_ranker.rank(self.conn, sql_of, params)

    def _may_match(self, plan: _Plan | None) -> int:
        """How many papers the ranking words may match, by the lists' counts; the whole index for
        raw FTS5 syntax and while the lists are out of date."""
        return plan.matches if plan else index_totals(self.conn)[0]

    def _author_names(self, paper_ids: list[int]) -> dict[int, list[str]]:
        """Display names of the papers' authors, in order, by paper."""
        names: dict[int, list[str]] = {}
        for r in self.conn.execute(
            "SELECT s.paper_id, a.name FROM authorships s JOIN authors a ON a.id = s.author_id "
            "WHERE s.paper_id IN (SELECT value FROM json_each(:ids)) ORDER BY s.paper_id, s.position",
            {"ids": json.dumps(paper_ids)},
        ):
            names.setdefault(r[0], []).append(r[1])
        return names

    def authors_of(self, paper_id: int) -> list[str]:
        """The display names of a paper's authors, in order."""
        return self._author_names([_int(paper_id, "paper id")]).get(int(paper_id), [])

    # --- authors ------------------------------------------------------------------------

    def author(self, name: str | int, *, limit: int | None = AUTHOR_LIMIT) -> AuthorLookup:
        """Resolve a name as a person types it (`schulman`, `Schulman, J.`, `Lukasz Kaiser`,
        a typo like `Shulman`, or an author id) to an author with papers, variants and co-authors.

        The profile lists at most `limit` papers (newest first, then by title) and
        co-authors (most shared papers first); `None` lists all. When the name fits
        several authors equally well (`Zhang`, `J. Chen`), the result has status
        `ambiguous` and lists the candidates, best first.
        """
        query = str(name)
        refs, clear = self._resolve(query)
        if not refs:
            return AuthorLookup(query, "not found", None, None, [])
        if not clear:
            return AuthorLookup(query, "ambiguous", None, None, refs)
        profile = self._profile(refs[0].id, _limit(limit))
        return AuthorLookup(query, "found", refs[0].rule, profile, [], self._part_of(profile))

    def _part_of(self, author: AuthorProfile) -> list[LikelySame]:
        """Authors of the same block with more papers whose spellings are all compatible with
        this author's (`names.token_compatibility`), most shared co-authors first."""
        if author.is_organization:
            return []
        mine = [_tokens(r["family_name"], r["given_name"]) for r in self.conn.execute(
            "SELECT family_name, given_name FROM author_names WHERE author_id = ?", (author.id,))]
        rules: dict[int, list] = {}
        for r in self.conn.execute(
                "SELECT a.id, n.family_name, n.given_name FROM authors a JOIN author_names n ON n.author_id = a.id "
                "WHERE a.block_key = (SELECT block_key FROM authors WHERE id = :id) AND a.id != :id "
                "AND a.paper_count > :papers AND NOT a.is_organization",
                {"id": author.id, "papers": author.paper_count}):
            found = [token_compatibility(t, _tokens(r["family_name"], r["given_name"])) for t in mine]
            rules.setdefault(r["id"], []).extend(found)
        found = []
        for other_id, compat in rules.items():
            if all(compat):
                ref = self._refs({other_id: ("", 0.0)})[0]
                rule = min(compat, key=lambda c: c.score).rule
                found.append(LikelySame(other_id, ref.name, ref.paper_count, rule,
                                        self._shared_coauthors(author.id, other_id)))
        found.sort(key=lambda x: (-len(x.shared_coauthors), -x.paper_count, x.name, x.id))
        return found[:PART_OF_SHOWN]

    def _shared_coauthors(self, a: int, b: int) -> list[str]:
        """Names of the authors who wrote with both a and b, by name."""
        return [r[0] for r in self.conn.execute(
            "SELECT name FROM authors WHERE id IN ("
            "  SELECT o.author_id FROM authorships me JOIN authorships o ON o.paper_id = me.paper_id "
            "  WHERE me.author_id = :a INTERSECT "
            "  SELECT o.author_id FROM authorships me JOIN authorships o ON o.paper_id = me.paper_id "
            "  WHERE me.author_id = :b) AND id NOT IN (:a, :b) ORDER BY name, id", {"a": a, "b": b})]

    def coauthors(self, name: str | int, *, limit: int | None = None) -> list[Coauthor]:
        """Co-authors of the author a name resolves to, most shared papers first; [] if no such author.

        Raises `AmbiguousAuthor` when the name fits several authors.
        """
        author_id = self._one_author(str(name))
        return [] if author_id is None else self._coauthors(author_id, _limit(limit))

    def _one_author(self, name: str) -> int | None:
        """The id of the one author a name means, None if none; AmbiguousAuthor if several."""
        refs, clear = self._resolve(name)
        if refs and not clear:
            raise AmbiguousAuthor(name, refs)
        return refs[0].id if refs else None

    def _resolve(self, name: str) -> tuple[list[AuthorRef], bool]:
        """Authors a typed name may mean, best first, and whether the first is a clear winner.

        Tried in order until one finds someone: an author id; a spelling seen exactly
        (one index lookup, however large the family-name block); the family-name block,
        given names compared by rule (initials, nicknames, middle names); the typed
        words in display names; a family name a typo or two away.
        """
        name = " ".join(repair_text(name).split())  # a name pasted from a dump may be mojibake
        if not name:
            raise QueryError("empty name: give an author's name or id")
        if _is_id(name):
            return self._refs({int(name): ("id", 1.0)}), True
        readings = [(f, g) for f, g in _readings(name) if block_key(f)]
        refs = next((refs for refs in self._matches(name, readings) if refs), [])
        return refs, len(refs) == 1 or (len(refs) > 1 and refs[0].score > refs[1].score)

    def _matches(self, name: str, readings: list[tuple[str, str | None]]) -> Iterator[list[AuthorRef]]:
        """Authors found for a typed name, one way after another, the most specific first."""
        if readings and readings[0][1]:
            yield self._by_spelling(*readings[0])
        for family, given in readings:
            yield self._in_blocks([block_key(family)], family, given, 1.0)
        yield self._by_words(name)
        for family, given in readings:
            yield self._in_blocks(self._near_keys(block_key(family)), family, given, TYPO_FACTOR)

    def _by_spelling(self, family: str, given: str) -> list[AuthorRef]:
        """Authors seen spelled exactly `Given Family` (also in title case)."""
        spelled = f"{given} {family}"
        rows = self.conn.execute(
            "SELECT DISTINCT author_id FROM author_names WHERE name IN (SELECT value FROM json_each(:names))",
            {"names": json.dumps(sorted({spelled, spelled.title()}))},
        ).fetchall()
        return self._refs({r[0]: ("folded-equal", 1.0) for r in rows})

    def _in_blocks(self, keys: list[str], family: str, given: str | None, factor: float) -> list[AuthorRef]:
        """Authors in these family-name blocks whose name (any spelling) fits the typed given name."""
        if not keys:
            return []
        if not given:
            rows = self.conn.execute(
                "SELECT id FROM authors WHERE block_key IN (SELECT value FROM json_each(:keys)) "
                "ORDER BY paper_count DESC, name, id LIMIT :n",
                {"keys": json.dumps(keys), "n": MAX_CANDIDATES},
            ).fetchall()
            rule = "family" if factor == 1.0 else "typo"
            return self._refs({r[0]: (rule, FAMILY_ONLY_SCORE * factor) for r in rows})
        typed = _tokens(family, given)
        if not typed:
            return []
        rows = self.conn.execute(
            "SELECT a.id, n.family_name, n.given_name FROM authors a JOIN author_names n ON n.author_id = a.id "
            "WHERE a.block_key IN (SELECT value FROM json_each(:keys))",
            {"keys": json.dumps(keys)},
        ).fetchall()
        worth = _prefilter(typed)
        best: dict[int, tuple[str, float]] = {}
        for author_id, fam, giv in rows:
            if not worth(giv):
                continue
            compat = token_compatibility(typed, _tokens(fam, giv))
            if compat and compat.score * factor > best.get(author_id, ("", -1.0))[1]:
                best[author_id] = (compat.rule if factor == 1.0 else "typo", compat.score * factor)
        if not best:
            best = self._given_typos(typed, rows, factor)
        return self._refs(best)

    @staticmethod
    def _given_typos(typed: tuple[str, ...], rows, factor: float) -> dict[int, tuple[str, float]]:
        """Authors whose first given name is one typo from the typed one (`Jhon` -> `John`)."""
        if len(typed[0]) < TYPO_MIN_LEN:
            return {}
        found: dict[int, tuple[str, float]] = {}
        for author_id, fam, giv in rows:
            other = _tokens(fam, giv)
            if other and len(other[0]) >= TYPO_MIN_LEN and OSA.distance(typed[0], other[0]) <= 1:
                found[author_id] = ("typo", TYPO_FACTOR * factor)
        return found

    def _by_words(self, name: str) -> list[AuthorRef]:
        """Authors whose display name contains every typed word (`Rapha Gontijo`, a given name alone)."""
        # Not folded: the index folds accents but keeps letters such as `ł` (`Łukasz`).
        words = NAME_WORD.findall(name)
        if not words:
            return []
        rows = self.conn.execute(
            "SELECT a.id FROM authors_fts JOIN authors a ON a.id = authors_fts.rowid "
            "WHERE authors_fts MATCH :match ORDER BY a.paper_count DESC, a.name, a.id LIMIT :n",
            {"match": " ".join(f'"{w}"' for w in words), "n": MAX_CANDIDATES},
        ).fetchall()
        return self._refs({r[0]: ("name-words", NAME_WORDS_SCORE) for r in rows})

    def _near_keys(self, key: str) -> list[str]:
        """Family-name block keys within a typo or two of `key`, the nearest only."""
        limit = _max_typos(key)
        if not limit:
            return []
        if self._block_keys is None:
            self._block_keys = {}
            for (k,) in self.conn.execute("SELECT DISTINCT block_key FROM authors"):
                self._block_keys.setdefault(len(k), []).append(k)
        choices = [k for n in range(len(key) - limit, len(key) + limit + 1) for k in self._block_keys.get(n, ())]
        near = process.extract(key, choices, scorer=OSA.distance, score_cutoff=limit, limit=None)
        nearest = min((d for _, d, _ in near), default=None)
        return sorted(k for k, d, _ in near if d == nearest)

    def _refs(self, matches: dict[int, tuple[str, float]]) -> list[AuthorRef]:
        """AuthorRefs for author ids with (rule, score), best first: score, papers, name."""
        if not matches:
            return []
        rows = self.conn.execute(
            "SELECT id, name, paper_count, is_organization FROM authors "
            "WHERE id IN (SELECT value FROM json_each(:ids))",
            {"ids": json.dumps(list(matches))},
        ).fetchall()
        refs = [AuthorRef(r["id"], r["name"], r["paper_count"], bool(r["is_organization"]), *matches[r["id"]])
                for r in rows]
        return sorted(refs, key=lambda a: (-a.score, -a.paper_count, a.name, a.id))[:MAX_CANDIDATES]

    def _profile(self, author_id: int, limit: int) -> AuthorProfile:
        a = self.conn.execute(
            "SELECT id, name, family_name, given_name, is_organization, paper_count FROM authors WHERE id = ?",
            (author_id,),
        ).fetchone()
        variants = [NameVariant(r["name"], r["count"]) for r in self.conn.execute(
            "SELECT name, count FROM author_names WHERE author_id = ? ORDER BY count DESC, name", (author_id,))]
        papers = [AuthorPaper(r["id"], r["title"], r["year"], r["position"], r["name"]) for r in self.conn.execute(
            "SELECT p.id, p.title, p.year, s.position, s.name FROM authorships s JOIN papers p ON p.id = s.paper_id "
            "WHERE s.author_id = ? ORDER BY p.year IS NULL, p.year DESC, p.title IS NULL, p.title, p.id LIMIT ?",
            (author_id, limit))]
        return AuthorProfile(a["id"], a["name"], a["family_name"], a["given_name"], bool(a["is_organization"]),
                             a["paper_count"], variants, papers, self._coauthors(author_id, limit))

    def _coauthors(self, author_id: int, limit: int) -> list[Coauthor]:
        # Counted and cut per co-author id first, names looked up only for the ones returned:
        # a prolific author has thousands of co-authors. Ties go by id (stable).
        return [Coauthor(r["id"], r["name"], r["papers"]) for r in self.conn.execute(
            "SELECT a.id, a.name, c.papers FROM ("
            "  SELECT o.author_id, count(*) AS papers FROM authorships me "
            "  JOIN authorships o ON o.paper_id = me.paper_id AND o.author_id != me.author_id "
            "  WHERE me.author_id = :id GROUP BY o.author_id ORDER BY papers DESC, o.author_id LIMIT :limit) c "
            "JOIN authors a ON a.id = c.author_id ORDER BY c.papers DESC, a.id",
            {"id": author_id, "limit": limit})]

    def authors(self, *, limit: int = 20) -> list[dict]:
        """The most prolific authors, with their spellings."""
        return [dict(r) for r in self.conn.execute(
            "SELECT a.id, a.name, a.paper_count, a.is_organization, "
            "(SELECT group_concat(name, '; ') FROM author_names WHERE author_id = a.id AND name != a.name) AS variants "
            "FROM authors a ORDER BY a.paper_count DESC, a.name LIMIT ?", (_int(limit, "limit"),))]

    def candidates(self, *, limit: int = 50) -> list[dict]:
        """Pairs of authors kept apart that may be one person, those most worth a look first:
        pairs a merge override can join before pairs on one paper, then the most alike names,
        then the pairs whose smaller side has the most papers (what a decision moves), then the
        larger side's. Each row counts the co-authors the two share."""
        rows = [dict(r) for r in self.conn.execute(
            "SELECT c.name_a, c.name_b, c.score, c.reason, a.id AS author_a, b.id AS author_b, "
            "a.paper_count AS papers_a, b.paper_count AS papers_b "
            "FROM author_candidates c JOIN authors a ON a.id = c.author_a_id JOIN authors b ON b.id = c.author_b_id "
            "ORDER BY c.reason LIKE 'both on one paper%', c.score DESC, min(a.paper_count, b.paper_count) DESC, "
            "max(a.paper_count, b.paper_count) DESC, c.name_a, c.name_b LIMIT ?", (_int(limit, "limit"),))]
        for row in rows:
            row["shared_coauthors"] = len(self._shared_coauthors(row["author_a"], row["author_b"]))
        return rows

    # --- papers -------------------------------------------------------------------------

    def paper(self, id_or_title: str | int) -> PaperDetail | None:
        """A paper by id, external id (`doi:…`, `arxiv:…`, or the bare value), exact title,
        or else the best title match for the words given; None if nothing matches."""
        paper_id = self._find_paper(str(id_or_title).strip())
        return None if paper_id is None else self._paper_detail(paper_id)

    def paper_id(self, text: str) -> int | None:
        """The paper a paper id or an external id names (`doi:…`, `arxiv:…`, `pmid:…`, or a bare DOI,
        arXiv id or source key), or None."""
        text = text.strip()
        if _is_id(text):
            row = self.conn.execute("SELECT id FROM papers WHERE id = ?", (int(text),)).fetchone()
            if row:
                return row[0]
        scheme, _, value = text.partition(":")
        wanted = [(scheme.lower(), value.strip())] if scheme.lower() in ID_SCHEMES else []
        wanted += [("doi", DOI_PREFIX.sub("", text).lower()),
                   ("arxiv", ARXIV_VERSION.sub("", ARXIV_PREFIX.sub("", text))), ("source", text)]
        row = self.conn.execute(
            "SELECT paper_id FROM paper_ids WHERE (scheme, value) IN "
            "(SELECT value ->> 0, value ->> 1 FROM json_each(:ids)) ORDER BY paper_id LIMIT 1",
            {"ids": json.dumps(wanted)},
        ).fetchone()
        return row[0] if row else None

    def _find_paper(self, text: str) -> int | None:
        if not text:
            raise QueryError("empty paper: give a paper id, an external id or a title")
        found = self.paper_id(text)
        if found is not None:
            return found
        row = self.conn.execute("SELECT id FROM papers WHERE title_key = ? ORDER BY id LIMIT 1",
                                (text_key(text),)).fetchone()
        if row:
            return row[0]
        try:
            match = fts_query(text)
        except QueryError:
            return None
        row = self.conn.execute(
            "SELECT rowid FROM papers_fts WHERE papers_fts MATCH ? ORDER BY rank, rowid LIMIT 1", (match,)
        ).fetchone()
        return row[0] if row else None

    def select(self, *, search: str | None = None, author: str | None = None, year_from: int | None = None,
               year_to: int | None = None, ids: Sequence[str] | None = None) -> list[int]:
        """The ids of the papers that meet every condition given, ascending; every paper when none is.

        `search` is a plain-words search as `search()` runs it, `author` a name resolved as by
        `author()` (an ambiguous one raises `AmbiguousAuthor`), the years keep papers with a known
        year in range, and `ids` are paper ids or external ids as `paper_id()` reads them (one
        that names no paper raises QueryError).
        """
        with self._snapshot():
            wanted = None if ids is None else self._papers_named(ids)
            if search is not None:
                everything = self.conn.execute("SELECT count(*) FROM papers").fetchone()[0]
                hits = self.search(search, limit=max(everything, 1), author=author, year_from=year_from,
                                   year_to=year_to)
                found = {hit.paper_id for hit in hits}
            else:
                params: dict[str, Any] = {}
                filters = self._paper_filters(params, author, year_from, year_to)
                if filters is None:
                    return []
                where = " AND ".join(f.format(id="id") for f in filters) or "1"
                found = {r[0] for r in self.conn.execute(f"SELECT id FROM papers WHERE {where}", params)}
        return sorted(found if wanted is None else found & wanted)

    def _papers_named(self, ids: Sequence[str]) -> set[int]:
        """The papers these ids name (blank lines skipped); QueryError for the first that names none."""
        found = set()
        for n, text in enumerate(ids, 1):
            if text.strip():
                paper_id = self.paper_id(text)
                if paper_id is None:
                    raise QueryError(f"no paper has the id {text.strip()!r} (line {n})")
                found.add(paper_id)
        return found

    def _paper_detail(self, paper_id: int) -> PaperDetail:
        p = self.conn.execute("SELECT id, title, year, venue, url FROM papers WHERE id = ?", (paper_id,)).fetchone()
        authors = [PaperAuthor(r["position"], r["author_id"], r["display"], r["name"], r["raw_name"])
                   for r in self.conn.execute(
            "SELECT s.position, s.author_id, a.name AS display, s.name, s.raw_name FROM authorships s "
            "JOIN authors a ON a.id = s.author_id WHERE s.paper_id = ? ORDER BY s.position", (paper_id,))]
        abstracts = [r[0] for r in self.conn.execute(
            "SELECT text FROM abstracts WHERE paper_id = ? ORDER BY id", (paper_id,))]
        ids = [dict(r) for r in self.conn.execute(
            "SELECT scheme, value FROM paper_ids WHERE paper_id = ? ORDER BY scheme, value", (paper_id,))]
        sources = [PaperSource(r["path"], r["line"], r["format"]) for r in self.conn.execute(
            "SELECT f.path, s.line, f.format FROM paper_sources s JOIN source_files f ON f.id = s.file_id "
            "WHERE s.paper_id = ? ORDER BY f.path, s.line", (paper_id,))]
        return PaperDetail(p["id"], p["title"], p["year"], p["venue"], p["url"], authors, abstracts, ids, sources)

    # --- stats and SQL --------------------------------------------------------------------

    def stats(self, *, top: int = 10) -> dict:
        """Row counts per table, the most prolific authors, papers per year where known, the last imports."""
        tables = ["papers", "authors", "authorships", "abstracts", "paper_ids", "source_files", "rejects",
                  "author_candidates"]
        counts = {t: self.conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}
        counts["papers_without_title"] = self.conn.execute("SELECT count(*) FROM papers WHERE title IS NULL").fetchone()[0]
        top_authors = [dict(r) for r in self.conn.execute(
            "SELECT id, name, paper_count FROM authors ORDER BY paper_count DESC, name LIMIT ?", (_int(top, "top"),))]
        per_year = [dict(r) for r in self.conn.execute(
            "SELECT year, count(*) AS papers FROM papers WHERE year IS NOT NULL GROUP BY year ORDER BY year")]
        runs = [dict(r) for r in self.conn.execute(
            "SELECT id, started_at, finished_at, status, files_seen, files_loaded, files_skipped, papers_added, "
            "records_rejected FROM import_runs ORDER BY id DESC LIMIT 5")]
        return {"counts": counts, "top_authors": top_authors, "papers_per_year": per_year, "last_imports": runs}

    def sql(self, query: str, params: Sequence | Mapping = (), *, limit: int | None = None) -> SqlResult:
        """Run one SQL statement that only reads; anything that would write is refused, not run.

        Parameters are bound (`?` or `:name`). `limit` caps the rows fetched.
        """
        if not query.strip():
            raise QueryError("empty SQL: give one statement to run")
        self._refused = None
        try:
            cursor = self.conn.execute(query, params)
            rows = cursor.fetchall() if limit is None else cursor.fetchmany(max(_int(limit, "limit"), 0))
        except (sqlite3.Error, sqlite3.Warning) as e:
            if self._refused or "readonly" in str(e) or "query_only" in str(e):
                verb = LEADING_WORD.match(query)
                raise QueryError(f"refused {verb.group(1).upper() if verb else 'statement'}: paperdb only reads "
                                 f"the database ({self._refused or e})") from None
            if refusal(e, self.path) is not None:
                raise  # the database refused (locked, corrupt, unreadable): not a mistake in the SQL
            raise QueryError(f"SQL error: {e}") from None
        columns = [d[0] for d in cursor.description or ()]
        return SqlResult(columns, [tuple(r) for r in rows])

    def _authorize(self, action: int, arg1: str | None, arg2: str | None, _db: str | None, _trigger: str | None) -> int:
        """sqlite3 authorizer: reads pass, everything else is refused before it runs."""
        if action in _READ_ACTIONS or (action == sqlite3.SQLITE_TRANSACTION and self._transacting):
            return sqlite3.SQLITE_OK
        # FTS5 declares its table when first used on a connection, which SQLite authorizes as
        # an UPDATE of sqlite_master; nothing can write it here (mode=ro, query_only, and
        # writable_schema is a refused pragma).
        if action == sqlite3.SQLITE_UPDATE and arg1 == "sqlite_master":
            return sqlite3.SQLITE_OK
        pragma = (arg1 or "").lower()
        if action == sqlite3.SQLITE_PRAGMA and pragma in READ_PRAGMAS and (arg2 is None or pragma in OBJECT_PRAGMAS):
            return sqlite3.SQLITE_OK
        if arg1 in ("sqlite_master", "sqlite_temp_master"):
            self._refused = "it changes the schema"
        elif action == sqlite3.SQLITE_PRAGMA:
            self._refused = f"PRAGMA {arg1}" + (f" = {arg2}" if arg2 is not None else "")
        else:
            self._refused = " ".join(x for x in (_ACTION_NAMES.get(action, f"action {action}"), arg1) if x)
        return sqlite3.SQLITE_DENY

"""Ranking a search: one entry point (`Ranker.page`) and one plan for every way a page is ranked.

FTS5 ranks every paper a search matches: a second for a word in most of a million papers.
So each import ranks every common word once into `search_top` (`app.search.lists`), and a
search ranked by one such word reads its list; a search of several words, one of them such
a word, is ranked from postings (`app.search.postings`; a rarer word's are read back from
its own ranking); words in over half the papers, which bm25 all but ignores, only filter.
Other searches, and any search while the caches are out of date, are ranked in full by FTS5,
in two halves at once when they match many papers (`app.search.split`). Every way gives the
page FTS5's bm25 with the same weights would give.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass

import numpy as np

from app.db import chunked
from app.search import caches, postings
from app.search.bm25 import RANK_SQL, WEIGHTS, all_scores
from app.search.fts import index_structure, index_totals
from app.search.scratch import ScratchIndex
from app.search.split import SplitRanker
from app.search.text import fts_error, fts_query_of, phrases

SNIPPET_TOKENS = 16
# Snippet markers: control characters never occur in the repaired text.
MARK_START, MARK_END = "\x02", "\x03"
# A search whose filtering words (in half the papers or more) are checked after ranking ranks
# this many times the papers wanted first: with one such word, fewer than a quarter pass
# only when the words go together unusually seldom (with three, an eighth pass by chance,
# and the rest of the ranking is read more often).
CHECKED_FIRST = 4
# A search whose ranking words may match this many papers is ranked in two halves at once
# (`app.search.split`): at ~1.5 µs a paper that is 30 ms in one thread, well above the
# cost of handing half to the other.
SPLIT_MIN_MATCHES = 20_000
# How a page may be ordered: by bm25, or by year (papers without one last), ties best first.
ORDERS = ("relevance", "newest", "oldest")
BY_YEAR_SQL = """
    SELECT paper_search_fts.rowid AS id, bm25(paper_search_fts, :w_title, :w_authors, :w_abstract) AS score
    FROM paper_search_fts JOIN papers ON papers.id = paper_search_fts.rowid
    WHERE paper_search_fts MATCH :match {filters}
    ORDER BY papers.year IS NULL, papers.year {direction}, score, paper_search_fts.rowid LIMIT :limit OFFSET :offset
"""


@dataclass(frozen=True)
class Plan:
    """How to rank a plain search: FTS5 queries of the words that rank and of those that only filter."""

    ranking: str
    checks: str  # empty when every word ranks
    listed: str | None  # the index term of the one ranking word, when it has a `search_top` list
    # (index term, FTS5 query) of each ranking word, in query order, when they can be ranked from
    # postings: every one is a plain word, at least one has postings, the others are in few papers.
    posted: list[tuple[str, str]] | None
    matches: int  # how many papers the ranking words may match, by the lists' counts (decides splitting only)


class Ranker:
    """Ranks searches on one read-only connection (and a second one, opened on first use, for split rankings)."""

    def __init__(self, conn: sqlite3.Connection, path: str | os.PathLike):
        self.conn = conn
        self.path = path
        self._readable = caches.readable(conn)  # cache -> the SQL condition under which it may be read
        self._scratch_index: ScratchIndex | None = None
        self._split_ranker: SplitRanker | None = None
        self._index: tuple[bytes | None, tuple] = (None, ())  # (index structure, `_index_state()`) for postings

    def close(self) -> None:
        """Close the second connection, if it was opened."""
        if self._split_ranker is not None:
            self._split_ranker.close()
            self._split_ranker = None

    def page(
        self, text: str, *, raw: bool, filters: list[str], params: dict, order: str = "relevance"
    ) -> tuple[list, dict[int, str]]:
        """The page (rows of `id`, `score`, best first or in the `order` of ORDERS) of a search,
        and each of its papers' snippets.

        `text` is plain words, or FTS5 syntax if `raw`; `params` holds `match` (its FTS5 query,
        `text.fts_query`), `limit`, `offset` and the parameters of `filters`, SQL conditions on
        the paper id written `{id}`. Run it in a read transaction: every statement must see the
        same commit.
        """
        params = {**params, **WEIGHTS, "mark_start": MARK_START, "mark_end": MARK_END, "tokens": SNIPPET_TOKENS}
        try:
            if order != "relevance":
                ranked = self._by_year(order, filters, params)
            else:
                plan = None if raw else self._plan(text)
                ranked = self._from_lists(plan, filters, params) if plan else None
                if ranked is None:
                    ranked = self._ranked(plan, filters, params)
            return ranked, self._scratch().snippets(self._texts([r["id"] for r in ranked]), params)
        except sqlite3.OperationalError as e:
            raise (fts_error(text, e) or e) from None

    def snippets(self, ids: list[int], match: str) -> dict[int, str]:
        """Each paper's snippet for the FTS5 query `match`; a paper it does not match gets its first words."""
        texts = self._texts(ids)
        params = {"match": match, "mark_start": MARK_START, "mark_end": MARK_END, "tokens": SNIPPET_TOKENS}
        found = self._scratch().snippets(texts, params) if match else {}
        for paper_id, title, _, abstract in texts:
            if paper_id not in found:
                words = (abstract or title or "").split()
                found[paper_id] = " ".join(words[:SNIPPET_TOKENS]) + ("…" if len(words) > SNIPPET_TOKENS else "")
        return found

    def _by_year(self, order: str, filters: list[str], params: dict) -> list:
        """The page newest or oldest first: every match's year is read, none is ranked by the caches."""
        sql = BY_YEAR_SQL.format(
            filters="".join(f" AND {f.format(id='+paper_search_fts.rowid')}" for f in filters),
            direction="DESC" if order == "newest" else "ASC",
        )
        return self.conn.execute(sql, params).fetchall()

    def _plan(self, text: str) -> Plan | None:
        """Which words of a plain search rank it and which only filter; None while the lists are out of date.

        FTS5's bm25 weighs a word by log((N - n + 0.5) / (n + 0.5)), raised to 1e-6 when
        that is not positive: a word in half the papers or more barely counts. Such words
        only filter, unless every word is one; the order changes only among papers whose
        scores tie but for those millionths.
        """
        lists_readable = self._readable.get("search_top")
        if lists_readable is None:
            return None
        postings_readable = self._readable.get("search_postings")
        words = phrases(text)
        terms = [
            got[0] if len(got) == 1 and not prefix else None
            for got, (_, prefix) in zip(self._scratch().terms([w for w, _ in words]), words)
        ]
        rows = self.conn.execute(
            "SELECT s.papers AS total, s.min_papers, t.term, t.papers, "
            + (
                f"({postings_readable} AND EXISTS (SELECT 1 FROM search_postings p WHERE p.term = t.term))"
                if postings_readable
                else "0"
            )
            + " AS posted FROM search_top_source s "
            "LEFT JOIN search_terms t ON t.term IN (SELECT value FROM json_each(:terms)) "
            f"WHERE {lists_readable}",
            {"terms": json.dumps([t for t in terms if t])},
        ).fetchall()
        if not rows:
            return None
        papers = {r["term"]: r["papers"] for r in rows if r["term"] is not None}
        posted = {r["term"] for r in rows if r["posted"]}
        common = [papers.get(t, 0) >= rows[0]["total"] / 2 for t in terms]
        ranking = [i for i, c in enumerate(common) if not c] or list(range(len(words)))
        # A word without a list is in too few papers to cost much to rank alone.
        postable = all(terms[i] in posted or terms[i] not in papers for i in ranking)
        return Plan(
            ranking=fts_query_of([words[i] for i in ranking]),
            checks=fts_query_of([p for i, p in enumerate(words) if i not in ranking]),
            listed=terms[ranking[0]] if len(ranking) == 1 and terms[ranking[0]] in papers else None,
            posted=(
                [(terms[i], fts_query_of([words[i]])) for i in ranking]
                if all(terms[i] for i in ranking) and postable and any(terms[i] in posted for i in ranking)
                else None
            ),
            # A word without a list was in fewer than min_papers when the lists were last ranked
            # in full; a prefix or a phrase of several terms could match any number.
            matches=min(
                papers.get(terms[i], rows[0]["min_papers"] - 1) if terms[i] else rows[0]["total"] for i in ranking
            ),
        )

    def _from_lists(self, plan: Plan, filters: list[str], params: dict) -> list | None:
        """The page from the ranking word's `search_top` list; None when the list cannot give all of it."""
        wanted = params["offset"] + params["limit"]
        if plan.listed is None:
            return None
        rows = self.conn.execute(
            f"SELECT paper_id AS id, score FROM search_top WHERE term = :term AND {self._readable['search_top']}"
            + "".join(" AND " + f.format(id="paper_id") for f in filters)
            + " ORDER BY position",
            {**params, "term": plan.listed},
        ).fetchall()
        if plan.checks:
            rows = self._containing(rows, plan.checks, wanted)
        return rows[params["offset"] : wanted] if len(rows) >= wanted else None

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
        return [
            tuple(r)
            for r in self.conn.execute(
                "SELECT paper_id, title, authors, abstract FROM paper_search "
                "WHERE paper_id IN (SELECT value FROM json_each(?))",
                (json.dumps(ids),),
            )
        ]

    def _scratch(self) -> ScratchIndex:
        if self._scratch_index is None:
            self._scratch_index = ScratchIndex(self.conn)
        return self._scratch_index

    def _ranked(self, plan: Plan | None, filters: list[str], params: dict) -> list:
        """The page ranked in full: every match of the ranking words is scored, from postings
        when the plan allows (`Plan.posted`), else by FTS5."""

        # `+rowid` keeps the filters out of FTS5's plan: given `rowid IN (…)`, it runs the
        # whole MATCH once per listed paper (minutes for a prolific author).
        def sql_of(id_range: str = "") -> str:
            return RANK_SQL.format(
                match=":ranking" if plan else ":match",
                filters="".join(f" AND {f.format(id='+rowid')}" for f in filters) + id_range,
            )

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
        """The page FTS5 would rank for these words, from their postings (`app.search.postings`)."""
        return postings.rank(words, *self._index_state(), offset, limit)

    def _index_state(self) -> tuple[np.ndarray, int, int]:
        """Every paper's tokens by id (`app.search.postings.stored_lengths`) and the index's (papers, tokens):
        what bm25 needs beside the postings, read again after each write to the index."""
        structure = index_structure(self.conn)
        if self._index[0] != structure:  # every write to the index changes its structure record
            self._index = (structure, (postings.stored_lengths(self.conn), *index_totals(self.conn)))
        return self._index[1]

    def _rank(self, splits: bool, sql_of: Callable[[str], str], params: dict) -> list:
        """The rows of the RANK_SQL `sql_of` gives (for an id range, or for all); in two halves at once if `splits`."""
        if not splits:
            return self.conn.execute(sql_of(""), params).fetchall()
        if self._split_ranker is None:
            self._split_ranker = SplitRanker(self.path)
        return self._split_ranker.rank(self.conn, sql_of, params)

    def _may_match(self, plan: Plan | None) -> int:
        """How many papers the ranking words may match, by the lists' counts; the whole index for
        raw FTS5 syntax and while the lists are out of date."""
        return plan.matches if plan else index_totals(self.conn)[0]

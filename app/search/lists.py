"""Search lists (`search_top`): the best papers of every common word, kept exact at the end of each import.

A full refresh ranks every word in `min_papers`+ papers with FTS5: 2.5 minutes at a million
papers, whatever the import added. So after an import that changed few papers, the lists
are updated from what changed instead, with the scores FTS5 would give (`app.search.bm25.bm25`):

- bm25 of a word in a paper is idf(papers, papers containing it) * saturation(its weighted
  hits there, the paper's tokens, the average paper's tokens). A paper whose text did not
  change keeps its hits and tokens; the list keeps them too, so its papers are re-scored
  exactly. Changed papers (logged in `search_changes` by triggers) are scored from their
  text, old and new, which also gives each word's new paper count. The index's paper and
  token totals must come out as the log accounts for them, or the lists are ranked again
  in full: a check that catches a log that lost papers, not one that lost an edit keeping
  every length; the triggers are what make the log whole.
- The full ranking checks that this arithmetic reproduces every score FTS5 gave, to the
  last bit; a list with a score it cannot reproduce is never updated, only ranked again.
- A paper outside a list is bounded: its saturation was at most the word's `ceiling`, and
  a longer average paper raises anyone's saturation by at most that factor. The papers of
  the new list that score above the bound are certainly its best; a list left with fewer
  than `depth` such papers is ranked again by FTS5. Lists keep `spare` papers beyond
  `depth` so that this is rare.

An import that changed more than UPDATE_MAX_SHARE of the papers ranks everything again
(an update's time and memory grow with the changed papers), as does the first import
after changes reach FULL_REFRESH_SHARE since the last full ranking: a word that became
common since gets its list then, and is ranked in full by searches until then.
"""

from __future__ import annotations

import heapq
import json
import math
import re
import sqlite3
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice

import numpy as np

from app import workers
from app.db import connect
from app.search import postings_upkeep
from app.search.bm25 import all_scores, bm25, idf, saturation, weighted_hits
from app.search.caches import formats_are_current, record_formats
from app.search.fts import FTS_STRUCTURE_ROWID, index_totals, paper_lengths
from app.search.postings import read_back
from app.search.scratch import ScratchIndex

# Words in at least TOP_MIN_PAPERS papers get at least their TOP_DEPTH best papers kept in
# `search_top`: FTS5's bm25 costs about 1.3 µs per matching paper (measured at 100k and 1M
# papers on a 2-core machine), so a rarer word ranks in full in under ~7 ms. A page that
# ends beyond a list's papers is ranked in full.
TOP_MIN_PAPERS = 5000
TOP_DEPTH = 100
WORDS = re.compile(r"[^\W_]+")  # what FTS5's unicode61 tokenizer keeps as a word

# Papers kept beyond `depth` in each list, so that updates seldom leave fewer than `depth` certain.
TOP_SPARE = 50
# An import that changed more of the papers than this ranks the lists in full: at 1M
# papers an update costs about 1.5 ms per changed paper (a full ranking 150 s), and holds
# the changed papers' text in memory.
UPDATE_MAX_SHARE = 0.05
# Once the papers changed since the last full ranking reach this share, the next import
# ranks in full: new common words get lists, and the ceilings start afresh.
FULL_REFRESH_SHARE = 0.25
# Relative slack on every bound: far above floating-point rounding (1e-16); it only makes
# a bound more cautious.
SLACK = 1e-9
# With this many words to rank (a few hundred thousand papers and up), a second process
# ranks half of them: 2,615 words at 1M took 232 s in one process, 116 s in two.
PARALLEL_MIN_WORDS = 500
# Words ranked per task: each word's scores are held until its list and postings are written.
RANK_BATCH = 64


@dataclass(frozen=True)
class Refresh:
    """What a refresh did: `full`, `update` or `none`; the words with lists, how many of them FTS5
    ranked, the changed papers an update read, and why the lists were ranked in full."""

    kind: str
    words: int
    ranked: int
    changed_papers: int = 0
    reason: str = ""


class _CannotUpdate(Exception):
    """The lists cannot be updated exactly; the message says why."""


@dataclass(slots=True)
class _Entry:
    """A paper in a word's list: its weighted hits of the word and its tokens give its score."""

    paper_id: int
    hits: float | None  # None: FTS5's score could not be reproduced, so the list cannot be updated
    tokens: int
    score: float = 0.0


def update_search_top(conn: sqlite3.Connection) -> Refresh:
    """Bring `search_top` up to date with the search index, by update when few papers changed.

    Call it in a write transaction after the last change to the search index (the import
    does, at the end of a run).
    """
    source = conn.execute(
        "SELECT papers, tokens, depth, min_papers, changed_papers, "
        "fts_structure = (SELECT block FROM paper_search_fts_data WHERE id = ?) AS current "
        "FROM search_top_source",
        (FTS_STRUCTURE_ROWID,),
    ).fetchone()
    if source is None:
        return refresh_search_top(conn, reason="no lists yet")
    if not formats_are_current(conn):
        return refresh_search_top(
            conn, min_papers=source["min_papers"], depth=source["depth"], reason="the caches' format changed"
        )
    (count,) = conn.execute("SELECT count(*) FROM search_changes").fetchone()
    if source["current"] and not count:
        return Refresh("none", conn.execute("SELECT count(*) FROM search_terms").fetchone()[0], 0)
    depth, min_papers = source["depth"], source["min_papers"]
    papers = max(source["papers"], 1)
    try:
        if count > UPDATE_MAX_SHARE * papers:
            raise _CannotUpdate(f"{count} papers changed, over {UPDATE_MAX_SHARE:.0%}")
        if source["changed_papers"] + count >= FULL_REFRESH_SHARE * papers:
            raise _CannotUpdate(
                f"{source['changed_papers'] + count} papers changed since the last full ranking, "
                f"{FULL_REFRESH_SHARE:.0%} or more"
            )
        changes = conn.execute(
            "SELECT paper_id, existed, title, authors, abstract FROM search_changes ORDER BY paper_id"
        ).fetchall()
        lists, terms, ranked = _updated_lists(conn, source, changes)
    except _CannotUpdate as e:
        return refresh_search_top(conn, min_papers=min_papers, depth=depth, reason=str(e))
    _write(conn, lists, terms, (depth, min_papers, source["changed_papers"] + count), index_totals(conn))
    return Refresh("update", len(lists), ranked, count)


def refresh_search_top(
    conn: sqlite3.Connection, *, min_papers: int = TOP_MIN_PAPERS, depth: int = TOP_DEPTH, reason: str = "asked for"
) -> Refresh:
    """Rank the best `depth` (+ TOP_SPARE) papers of every word in `min_papers`+ papers into `search_top`."""
    conn.execute("CREATE VIRTUAL TABLE temp.search_vocab USING fts5vocab(main, paper_search_fts, row)")
    try:
        # Reading the vocabulary also writes FTS5's pending changes out, so the structure
        # record copied below is the one the commit leaves.
        common = dict(conn.execute("SELECT term, doc FROM temp.search_vocab WHERE doc >= ?", (min_papers,)).fetchall())
    finally:
        conn.execute("DROP TABLE temp.search_vocab")
    papers, tokens = index_totals(conn)
    words = _words_for_terms(conn, list(common))
    terms = {term: (word, common[term]) for term, word in words.items()}
    # Every word is ranked in full here anyway, so its postings are read back from its scores
    # and written with its list (`app.search.postings_upkeep`).
    lengths = paper_lengths(conn)
    postings_upkeep.clear(conn)
    postings_upkeep.write_lengths(conn, lengths)
    lists = {}
    for term, (ids, scores) in _ranked_words(conn, {t: w for t, (w, _) in terms.items()}):
        lists[term] = _list_of(conn, ids, scores, terms[term][1], depth + TOP_SPARE, (papers, tokens), lengths)
        found = read_back(ids, scores, lengths, papers, tokens) if len(ids) == terms[term][1] else None
        if found is not None:  # else FTS5 ranks the word's searches
            postings_upkeep.write_word(conn, term, *found)
    _write(conn, lists, terms, (depth, min_papers, 0), (papers, tokens))
    record_formats(conn)
    return Refresh("full", len(lists), len(lists), reason=reason)


def _updated_lists(conn: sqlite3.Connection, source: sqlite3.Row, changes: list[sqlite3.Row]) -> tuple[dict, dict, int]:
    """The lists re-scored for the papers changed since the last refresh, with the words' new
    paper counts and how many words FTS5 ranked again; _CannotUpdate if that cannot be exact."""
    terms, ceilings = {}, {}
    for term, word, count, ceiling in conn.execute(
        "SELECT term, word, papers, ceiling FROM search_terms ORDER BY term"
    ):
        terms[term], ceilings[term] = (word, count), ceiling
    stored: dict[str, list[_Entry]] = {t: [] for t in terms}
    for term, pid, hits, tokens in conn.execute(
        "SELECT term, paper_id, hits, tokens FROM search_top ORDER BY term, position"
    ):
        if hits is None:
            raise _CannotUpdate(f"a score of {term!r} that paperdb's bm25 does not reproduce")
        stored[term].append(_Entry(pid, hits, tokens))
    changed = {r["paper_id"] for r in changes}
    # Changed papers as they are now (even keys) and as they were at the last refresh (odd).
    now_rows = [
        tuple(r)
        for r in conn.execute(
            "SELECT paper_id * 2, title, authors, abstract FROM paper_search WHERE paper_id IN (SELECT value FROM json_each(?))",
            (json.dumps(sorted(changed)),),
        )
    ]
    old_rows = [(r["paper_id"] * 2 + 1, r["title"], r["authors"], r["abstract"]) for r in changes if r["existed"]]
    with ScratchIndex(conn).counting(now_rows + old_rows, terms) as (tokens, found):
        papers, total = index_totals(conn)
        change = sum(n if key % 2 == 0 else -n for key, n in tokens.items())
        if not (papers and source["papers"] and total):
            raise _CannotUpdate("an empty search index")
        if (papers, total) != (source["papers"] + len(now_rows) - len(old_rows), source["tokens"] + change):
            raise _CannotUpdate("the search index's totals differ from the change log's account")
        avgdl = float(total) / float(papers)
        # Outside a list, saturation is at most the ceiling, times the growth of the average paper.
        growth = max(1.0, avgdl / (float(source["tokens"]) / float(source["papers"]))) * (1 + SLACK)
        lists, again, counts = {}, {}, {}
        now, had = {}, {}  # each word's changed papers with it now (and their hits), and with it before
        for term, docs in _merged(terms, found):
            now[term] = [(key // 2, hits) for key, hits in docs if key % 2 == 0]
            had[term] = {key // 2 for key, _ in docs if key % 2 == 1}
            word, count = terms[term]
            count += sum(1 if key % 2 == 0 else -1 for key, _ in docs)
            counts[term] = (word, count)
            if count < source["min_papers"]:
                continue
            entries = [e for e in stored[term] if e.paper_id not in changed]
            entries += [_Entry(key // 2, hits, tokens[key]) for key, hits in docs if key % 2 == 0]
            updated = _updated_list(
                entries,
                idf(papers, count),
                avgdl,
                ceilings[term] * growth,
                source["depth"],
                min(source["depth"], count),
            )
            if updated is None:
                again[term] = (word, count)
            else:
                lists[term] = updated
    if again:
        ranked = _ranked(conn, again, source["depth"] + TOP_SPARE, papers, total)
        if any(e.hits is None for entries, _ in ranked.values() for e in entries):
            raise _CannotUpdate("FTS5 counted other papers for a word than the change log did")
        lists.update(ranked)
    postings_upkeep.patch(
        conn, changed, now, had, set(lists), {key // 2: n for key, n in tokens.items() if key % 2 == 0}
    )
    return lists, {t: v for t, v in counts.items() if t in lists}, len(again)


def _merged(terms: dict, found: Iterator[tuple[str, list]]) -> Iterator[tuple[str, list]]:
    """Every term, in order, with the changed papers' hits `found` gives for it (both in term order)."""
    pending = next(found, None)
    for term in terms:
        if pending is not None and pending[0] == term:
            yield pending
            pending = next(found, None)
        else:
            yield term, []


def _updated_list(
    entries: list[_Entry], word_idf: float, avgdl: float, bound: float, depth: int, needed: int
) -> tuple[list[_Entry], float] | None:
    """A word's new list from its candidate papers, and the new ceiling; None with fewer than
    `needed` papers certainly among the best (no paper outside scores under the bound)."""
    for e in entries:
        e.score = bm25(word_idf, e.hits, e.tokens, avgdl)
    best = heapq.nsmallest(depth + TOP_SPARE + 1, entries, key=lambda e: (e.score, e.paper_id))
    best_outside = -word_idf * bound * (1 + SLACK)
    certain = next((i for i, e in enumerate(best) if not e.score < best_outside), len(best))
    kept = best[: min(certain, depth + TOP_SPARE)]
    if len(kept) < needed:
        return None
    # Sorted by score, the first paper left out has the highest saturation of those left out
    # (up to rounding, which the slack covers).
    left_out = [saturation(e.hits, e.tokens, avgdl) * (1 + SLACK) for e in best[len(kept) : len(kept) + 1]]
    return kept, max([bound, *left_out])


def _ranked(
    conn: sqlite3.Connection, terms: dict[str, tuple[str, int]], limit: int, papers: int, tokens: int
) -> dict[str, tuple[list[_Entry], float]]:
    """Each term's list of its best `limit` papers ranked by FTS5 (`_list_of`)."""
    return {
        term: _list_of(conn, ids, scores, terms[term][1], limit, (papers, tokens))
        for term, (ids, scores) in _ranked_words(conn, {t: w for t, (w, _) in terms.items()})
    }


def _list_of(
    conn: sqlite3.Connection,
    ids: np.ndarray,
    scores: np.ndarray,
    containing: int,
    limit: int,
    totals: tuple[int, int],
    lengths: np.ndarray | None = None,
) -> tuple[list[_Entry], float]:
    """A word's best `limit` papers from FTS5's scores of every paper holding it, as entries with
    their hits and tokens, and the ceiling of the papers left out. `lengths` holds every paper's
    tokens, if at hand (else the best papers' are read from the index).

    The hits are read back from FTS5's score with the word's paper count `containing`; an entry
    whose score they do not reproduce exactly has none, and its list is not updated later.
    """
    papers, tokens = totals
    avgdl = float(tokens) / float(papers) if papers else 1.0
    best = np.lexsort((ids, scores))[:limit]
    ids, scores = ids[best], scores[best]
    best_tokens = (paper_lengths(conn, ids.tolist()) if lengths is None else lengths)[ids].astype(np.int64)
    hits, exact = weighted_hits(scores, idf(papers, containing), best_tokens, avgdl)
    entries = [
        _Entry(pid, h if ok else None, n, score)
        for pid, h, ok, n, score in zip(
            ids.tolist(), hits.tolist(), exact.tolist(), best_tokens.tolist(), scores.tolist()
        )
    ]
    last = entries[-1] if len(entries) == limit else None  # fewer: the list holds every paper
    if last is None:
        ceiling = 0.0
    else:  # unknown when the last score is not reproduced (such lists are only ranked again)
        ceiling = saturation(last.hits, last.tokens, avgdl) * (1 + SLACK) if last.hits is not None else math.inf
    return entries, ceiling


def _write(
    conn: sqlite3.Connection,
    lists: dict[str, tuple[list[_Entry], float]],
    terms: dict[str, tuple[str, int]],
    settings: tuple[int, int, int],
    totals: tuple[int, int],
) -> None:
    """Replace the lists; `settings` is (depth, min_papers, changed_papers), `totals` the index's (papers, tokens)."""
    for table in ("search_top", "search_terms", "search_top_source", "search_changes"):
        conn.execute(f"DELETE FROM {table}")
    for term, (entries, ceiling) in sorted(lists.items()):
        conn.executemany(
            "INSERT INTO search_top (term, position, paper_id, score, hits, tokens) VALUES (?, ?, ?, ?, ?, ?)",
            [(term, i, e.paper_id, e.score, e.hits, e.tokens) for i, e in enumerate(entries, 1)],
        )
        word, count = terms[term]
        conn.execute(
            "INSERT INTO search_terms (term, word, papers, ceiling) VALUES (?, ?, ?, ?)", (term, word, count, ceiling)
        )
    conn.execute(
        "INSERT INTO search_top_source (id, fts_structure, papers, tokens, depth, min_papers, changed_papers) "
        "SELECT 1, block, ?, ?, ?, ?, ? FROM paper_search_fts_data WHERE id = ?",
        (*totals, *settings, FTS_STRUCTURE_ROWID),
    )


def _ranked_words(
    conn: sqlite3.Connection, words: dict[str, str]
) -> Iterator[tuple[str, tuple[np.ndarray, np.ndarray]]]:
    """(term, (ids, scores)): every paper of each term's word, by id, with FTS5's score; with
    many words, a second process on the other core ranks every other batch of them (threads
    do not help: SQLite's ranking serialises them).

    That process reads the last commit, which is what `conn` sees: its transaction holds
    the write lock and has not written to the search index.
    """
    items = sorted(words.items())
    batches = [items[i : i + RANK_BATCH] for i in range(0, len(items), RANK_BATCH)]
    path = conn.execute("PRAGMA database_list").fetchone()[2]  # '' for an in-memory database
    if not path or len(items) < PARALLEL_MIN_WORDS:
        for batch in batches:
            yield from _rank(conn, batch)
        return
    with workers.pool(1) as ranker:
        # Two of its batches in hand at a time: it never waits, and finished ones do not pile up.
        theirs = iter(batches[1::2])
        pending = deque(ranker.submit(_rank_in, path, batch) for batch in islice(theirs, 2))
        for mine in batches[0::2]:
            yield from _rank(conn, mine)
            if pending:
                done = pending.popleft().result()
                pending.extend(ranker.submit(_rank_in, path, batch) for batch in islice(theirs, 1))
                yield from done


def _rank(conn: sqlite3.Connection, items: list[tuple[str, str]]) -> list[tuple[str, tuple[np.ndarray, np.ndarray]]]:
    return [(term, all_scores(conn, f'"{word}"')) for term, word in items]


def _rank_in(path: str, items: list[tuple[str, str]]) -> list[tuple[str, tuple[np.ndarray, np.ndarray]]]:
    """`_rank` on a read-only connection of its own (in another process)."""
    conn = connect(path, readonly=True)
    try:
        return _rank(conn, items)
    finally:
        conn.close()


def _words_for_terms(conn: sqlite3.Connection, terms: list[str]) -> dict[str, str]:
    """A word that searches for exactly each index term: mostly the term itself, else a title word.

    The porter stemmer does not always keep its own output (`parsing` -> `pars` -> `par`);
    such a term gets a title word that stems to it, or no word (and no list) if none does.
    """
    scratch = ScratchIndex(conn)
    words = {t: t for t, got in zip(terms, scratch.terms(terms)) if got == [t]}
    missing = set(terms) - set(words)
    if missing:
        seen: set[str] = set()
        for (title,) in conn.execute("SELECT title FROM papers WHERE title IS NOT NULL"):
            seen.update(w.casefold() for w in WORDS.findall(title))
        candidates = sorted(seen)
        for word, got in zip(candidates, scratch.terms(candidates)):
            if len(got) == 1 and got[0] in missing:
                words.setdefault(got[0], word)
    return words

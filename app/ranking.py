"""How searches are ranked: bm25 weights, the full ranking, and precomputed lists of common words.

FTS5 ranks every paper a search matches: a second for a word in most of a million papers.
So `refresh_search_top` ranks each common word once per import into `search_top`, and
`app.query.PaperDB.search` reads the list of a search ranked by one such word; the import
(writing) and the query layer (reading) share what is here.
"""
from __future__ import annotations

import multiprocessing
import re
import sqlite3
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from typing import Iterable, Iterator, Mapping, Sequence

from app.db import connect

WORDS = re.compile(r"[^\W_]+")  # what FTS5's unicode61 tokenizer keeps as a word

# bm25 weights for the combined index columns (title, authors, abstract): a title hit
# counts most, then an author name, then the abstract; 10/5/1 keeps that order robustly.
SEARCH_WEIGHTS = (10.0, 5.0, 1.0)
SEARCH_COLUMNS = ("title", "authors", "abstract")
# Words in at least TOP_MIN_PAPERS papers get their TOP_DEPTH best papers precomputed in
# `search_top`: FTS5's bm25 costs about 1.3 µs per matching paper (measured at 100k and 1M
# papers on a 2-core machine), so a rarer word ranks in full in under ~7 ms. A page that
# ends beyond TOP_DEPTH hits is ranked in full.
TOP_MIN_PAPERS = 5000
TOP_DEPTH = 100
# With this many words to rank (a few hundred thousand papers and up), a second process
# ranks half of them: 2,615 words at 1M took 232 s in one process, 116 s in two.
PARALLEL_MIN_WORDS = 500
# FTS5's structure record (`<index>_data` row 10): every write to the index changes it, so
# `search_top` is used only while it matches the copy taken when the lists were computed.
FTS_STRUCTURE_ROWID = 10
# An SQL condition: the lists were computed from the search index as it is now.
LISTS_ARE_CURRENT = (f"(SELECT fts_structure FROM search_top_source) = "
                     f"(SELECT block FROM paper_search_fts_data WHERE id = {FTS_STRUCTURE_ROWID})")

# bm25 of every match, best first, ties by paper id: the full ranking and `search_top` agree.
RANK_SQL = """
    SELECT rowid AS id, bm25(paper_search_fts, :w_title, :w_authors, :w_abstract) AS score
    FROM paper_search_fts WHERE paper_search_fts MATCH {match} {filters}
    ORDER BY score, rowid LIMIT :limit OFFSET :offset
"""
WEIGHTS = {"w_title": SEARCH_WEIGHTS[0], "w_authors": SEARCH_WEIGHTS[1], "w_abstract": SEARCH_WEIGHTS[2]}


class ScratchIndex:
    """An empty in-memory index shaped and tokenized like `paper_search_fts`, for jobs on a few papers.

    Snippets and match checks for a page of papers are cheaper here than in the large index,
    where each paper looked up by id costs a seek per word and segment (0.1-0.3 ms at a million
    papers); they depend only on the papers' text, so FTS5 gives the same results. It also
    tells which index terms a text becomes (`Parsing` -> `pars`). Every job rolls back.
    """

    def __init__(self, conn: sqlite3.Connection):
        (sql,) = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'paper_search_fts'").fetchone()
        tokenize = re.search(r"tokenize\s*=\s*'((?:[^']|'')*)'", sql).group(1)
        self.conn = sqlite3.connect(":memory:", isolation_level=None)
        self.conn.execute(f"CREATE VIRTUAL TABLE paper_search_fts USING fts5({', '.join(SEARCH_COLUMNS)}, "
                          f"tokenize='{tokenize}')")
        self.conn.execute("CREATE VIRTUAL TABLE vocab USING fts5vocab(paper_search_fts, instance)")

    @contextmanager
    def _holding(self, rows: Iterable[Sequence]) -> Iterator[sqlite3.Connection]:
        """The index holding these (rowid, title, authors, abstract) rows until the block ends."""
        self.conn.execute("BEGIN")
        try:
            self.conn.executemany("INSERT INTO paper_search_fts (rowid, title, authors, abstract) VALUES (?, ?, ?, ?)",
                                  rows)
            yield self.conn
        finally:
            self.conn.execute("ROLLBACK")

    def terms(self, texts: Sequence[str]) -> list[list[str]]:
        """Each text's index terms, in order."""
        out: list[list[str]] = [[] for _ in texts]
        with self._holding((i, text, None, None) for i, text in enumerate(texts)) as conn:
            for term, doc in conn.execute("SELECT term, doc FROM vocab ORDER BY doc, offset"):
                out[doc].append(term)
        return out

    def snippets(self, rows: list, params: Mapping) -> dict[int, str]:
        """The snippet of each paper for the search `params["match"]`, by paper id."""
        with self._holding(rows) as conn:
            return dict(conn.execute(
                "SELECT rowid, snippet(paper_search_fts, -1, :mark_start, :mark_end, '…', :tokens) "
                "FROM paper_search_fts WHERE paper_search_fts MATCH :match", params).fetchall())

    def matching(self, rows: list, match: str) -> set[int]:
        """The ids of the papers that `match` matches."""
        with self._holding(rows) as conn:
            return {r[0] for r in conn.execute("SELECT rowid FROM paper_search_fts WHERE paper_search_fts MATCH ?",
                                               (match,))}


def refresh_search_top(conn: sqlite3.Connection, *, min_papers: int = TOP_MIN_PAPERS, depth: int = TOP_DEPTH) -> int:
    """Rank the best papers of every word in at least `min_papers` papers into `search_top`; how many words.

    Call it in a write transaction after the last change to the search index (the import
    does, at the end of a run): `PaperDB.search` ignores the lists once the index changes.
    """
    conn.execute("CREATE VIRTUAL TABLE temp.search_vocab USING fts5vocab(main, paper_search_fts, row)")
    try:
        # Reading the vocabulary also writes FTS5's pending changes out, so the structure
        # record copied below is the one the commit leaves.
        common = dict(conn.execute("SELECT term, doc FROM temp.search_vocab WHERE doc >= ?", (min_papers,)).fetchall())
    finally:
        conn.execute("DROP TABLE temp.search_vocab")
    for table in ("search_top", "search_terms", "search_top_source"):
        conn.execute(f"DELETE FROM {table}")
    words = _words_for_terms(conn, list(common))
    for term, ranked in sorted(_ranked_words(conn, words, depth).items()):
        conn.executemany("INSERT INTO search_top (term, position, paper_id, score) VALUES (?, ?, ?, ?)",
                         [(term, i, r[0], r[1]) for i, r in enumerate(ranked, 1)])
        conn.execute("INSERT INTO search_terms (term, papers) VALUES (?, ?)", (term, common[term]))
    conn.execute("INSERT INTO search_top_source (id, fts_structure, papers) "
                 "SELECT 1, block, (SELECT count(*) FROM paper_search_fts_docsize) FROM paper_search_fts_data "
                 "WHERE id = ?", (FTS_STRUCTURE_ROWID,))
    return len(words)


def _ranked_words(conn: sqlite3.Connection, words: dict[str, str], depth: int) -> dict[str, list]:
    """term -> its word's `depth` best (paper id, score); with many words, half are ranked by a
    second process on the other core (threads do not help: SQLite's ranking serialises them).

    That process reads the last commit, which is what `conn` sees: its transaction holds
    the write lock and has not written to the search index.
    """
    items = sorted(words.items())
    path = conn.execute("PRAGMA database_list").fetchone()[2]  # '' for an in-memory database
    if not path or len(items) < PARALLEL_MIN_WORDS:
        return _rank(conn, items, depth)
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
        theirs = pool.submit(_rank_in, path, items[1::2], depth)
        return {**_rank(conn, items[0::2], depth), **theirs.result()}


def _rank(conn: sqlite3.Connection, items: list[tuple[str, str]], depth: int) -> dict[str, list]:
    return {term: [tuple(r) for r in conn.execute(RANK_SQL.format(match=":match", filters=""),
                                                  {"match": f'"{word}"', "limit": depth, "offset": 0, **WEIGHTS})]
            for term, word in items}


def _rank_in(path: str, items: list[tuple[str, str]], depth: int) -> dict[str, list]:
    """`_rank` on a read-only connection of its own (in another process)."""
    conn = connect(path, readonly=True)
    try:
        return _rank(conn, items, depth)
    finally:
        conn.close()


def search_top_is_current(conn: sqlite3.Connection) -> bool:
    """Whether `search_top` was computed from the search index as it is now."""
    return bool(conn.execute(f"SELECT coalesce({LISTS_ARE_CURRENT}, 0)").fetchone()[0])


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
        for (title,) in conn.execute("SELECT title FROM paper_search WHERE title IS NOT NULL"):
            seen.update(w.casefold() for w in WORDS.findall(title))
        candidates = sorted(seen)
        for word, got in zip(candidates, scratch.terms(candidates)):
            if len(got) == 1 and got[0] in missing:
                words.setdefault(got[0], word)
    return words

"""Search lists updated by an import are the lists a full ranking gives (app.search.lists).

A generated corpus of 1,500 papers gets lists for words in 60+ papers, 10 deep, ranked in
full; then imports add papers, change a file, or lose the change log, and each time the
lists must hold exactly the papers, order and scores that ranking everything again gives.
"""

from __future__ import annotations

import random
import shutil
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from app.db import connect, write_transaction
from app.etl.load import run_import
from app.query import PaperDB, fts_query
from app.search import lists as search_lists
from app.search import postings as postings_module
from app.search.bm25 import bm25, idf
from app.search.fts import index_totals, paper_lengths
from app.search.scratch import ScratchIndex
from tests.conftest import copied, generate_corpus

pytestmark = pytest.mark.slow  # a generated corpus of 1,500 papers, ranked in full

MIN_PAPERS, DEPTH = 60, 10


@pytest.fixture(scope="module", autouse=True)
def small_chunks():
    """Postings in chunks of 64 paper ids, so that 1,500 papers span many and updates cross them."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(postings_module, "CHUNK_BITS", 6)
        yield


@pytest.fixture(scope="module")
def corpora(tmp_path_factory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("lists")
    return (generate_corpus(root / "base", 1500, 300, seed=1), generate_corpus(root / "more", 60, 60, seed=2))


@pytest.fixture(scope="module")
def listed_base(corpora, tmp_path_factory) -> Path:
    """The base corpus imported, with lists ranked in full (kept as a template)."""
    db = tmp_path_factory.mktemp("listed") / "base.db"
    assert run_import(db, [corpora[0]]).status == "ok"
    conn = connect(db)
    with write_transaction(conn):
        assert search_lists.refresh_search_top(conn, min_papers=MIN_PAPERS, depth=DEPTH).words > 100
    conn.close()
    return db


@pytest.fixture
def db(listed_base, tmp_path) -> Path:
    return copied(listed_base, tmp_path / "papers.db")


def rows(db: Path, sql: str, params=()) -> list[tuple]:
    with closing(sqlite3.connect(db)) as conn:
        return conn.execute(sql, params).fetchall()


def lists(db: Path) -> dict[str, list[tuple]]:
    out: dict[str, list[tuple]] = {}
    for term, paper_id, score in rows(db, "SELECT term, paper_id, score FROM search_top ORDER BY term, position"):
        out.setdefault(term, []).append((paper_id, score))
    return out


def source(db: Path) -> dict:
    keys = ("papers", "tokens", "depth", "min_papers", "changed_papers")
    return dict(zip(keys, rows(db, f"SELECT {', '.join(keys)} FROM search_top_source")[0]))


def postings(db: Path) -> tuple[dict[str, list[tuple]], list[tuple]]:
    """Each word's postings rows (chunk, offsets, hits), and the lengths rows."""
    out: dict[str, list[tuple]] = {}
    for term, *row in rows(db, "SELECT term, chunk, offsets, hits FROM search_postings ORDER BY term, chunk"):
        out.setdefault(term, []).append(tuple(row))
    return out, rows(db, "SELECT chunk, tokens FROM search_lengths ORDER BY chunk")


def ranked_again(db: Path, tmp_path: Path) -> tuple[dict[str, list[tuple]], dict[str, int]]:
    """The lists and paper counts a full ranking of the database gives now (on a copy)."""
    copy = copied(db, tmp_path / "again.db")
    conn = connect(copy)
    with write_transaction(conn):
        search_lists.refresh_search_top(conn, min_papers=MIN_PAPERS, depth=DEPTH)
    counts = dict(conn.execute("SELECT term, papers FROM search_terms"))
    conn.close()
    return lists(copy), counts


def assert_postings_exact(db: Path, again: Path) -> None:
    """The updated postings and lengths are, byte for byte, those the full ranking `again` wrote."""
    updated, lengths = postings(db)
    full, full_lengths = postings(again)
    assert lengths == full_lengths and len(lengths) > 20
    assert set(updated) <= set(lists(db)) and len(updated) > 100 and max(len(c) for c in updated.values()) > 20
    assert {t: full[t] for t in updated} == updated


def assert_exact(db: Path, tmp_path: Path, listed_before: set[str]) -> None:
    """Every updated list is the start of the full ranking's list, at least DEPTH long, same scores;
    every word's paper count is the index's; only words common since the last full ranking lack a list;
    the postings are the full ranking's."""
    updated = lists(db)
    full, counts = ranked_again(db, tmp_path)
    assert set(updated) <= set(full) and len(updated) > 100
    lost = {t: counts[t] for t in (set(full) - set(updated)) & listed_before}
    assert not lost
    for term, entries in updated.items():
        assert len(entries) >= DEPTH, term
        assert entries == full[term][: len(entries)], term
    got = dict(rows(db, "SELECT term, papers FROM search_terms"))
    assert got == {t: counts[t] for t in got}
    assert_postings_exact(db, tmp_path / "again.db")


def test_a_full_ranking_keeps_what_each_score_is_made_of(listed_base):
    conn = connect(listed_base)
    papers, tokens = index_totals(conn)
    rows = conn.execute(
        "SELECT t.term, t.papers, s.paper_id, s.score, s.hits, s.tokens FROM search_top s "
        "JOIN search_terms t USING (term)"
    ).fetchall()
    sizes = paper_lengths(conn, {r["paper_id"] for r in rows})
    assert len(rows) > 100 * (DEPTH + search_lists.TOP_SPARE) // 2
    for r in rows:
        assert r["tokens"] == sizes[r["paper_id"]]
        assert bm25(idf(papers, r["papers"]), r["hits"], r["tokens"], tokens / papers) == r["score"]
    assert source(listed_base) == {
        "papers": papers,
        "tokens": tokens,
        "depth": DEPTH,
        "min_papers": MIN_PAPERS,
        "changed_papers": 0,
    }
    conn.close()


def test_an_import_of_new_papers_updates_the_lists_exactly(db, corpora, tmp_path):
    listed_before = set(lists(db))
    before = source(db)
    report = run_import(db, [corpora[1]])
    assert report.status == "ok" and report.papers_added > 50
    assert report.as_dict()["search_lists"]["kind"] == "update" and report.search_lists.ranked == 0
    after = source(db)
    # The changed papers add up: new ones, and those whose author names changed.
    assert after["changed_papers"] >= report.papers_added and after["papers"] == before["papers"] + report.papers_added
    assert rows(db, "SELECT count(*) FROM search_changes") == [(0,)]
    assert_exact(db, tmp_path, listed_before)


def test_a_changed_file_updates_the_lists_exactly(db, corpora, tmp_path):
    listed_before = set(lists(db))
    # Work on a copy of the base corpus, where a JSON Lines file loses its first 40 papers.
    corpus = tmp_path / "corpus"
    shutil.copytree(corpora[0], corpus)
    conn = connect(db)
    with write_transaction(conn):
        conn.execute("UPDATE source_files SET path = replace(path, ?, ?)", (str(corpora[0]), str(corpus)))
    conn.close()
    jsonl = sorted(corpus.glob("papers_*.jsonl"))[0]
    jsonl.write_text("".join(jsonl.read_text(encoding="utf-8").splitlines(keepends=True)[40:]), encoding="utf-8")
    report = run_import(db, [corpus])
    assert report.papers_removed + report.papers_updated >= 30
    assert report.search_lists.kind == "update" and source(db)["changed_papers"] >= 30
    assert_exact(db, tmp_path, listed_before)


def test_a_second_update_builds_on_the_first(db, corpora, tmp_path):
    listed_before = set(lists(db))
    run_import(db, [corpora[1]])
    first = source(db)["changed_papers"]
    more = generate_corpus(tmp_path / "more3", 40, 40, seed=3)
    run_import(db, [more])
    assert source(db)["changed_papers"] > first
    assert_exact(db, tmp_path, listed_before)


def test_a_list_the_update_cannot_vouch_for_is_ranked_again(db, corpora, tmp_path):
    listed_before = set(lists(db))
    # A ceiling above every score: none of the list's papers is certainly among the best.
    conn = connect(db)
    with write_transaction(conn):
        (term,) = conn.execute("SELECT term FROM search_terms ORDER BY papers DESC LIMIT 1").fetchone()
        conn.execute("UPDATE search_terms SET ceiling = 1e9 WHERE term = ?", (term,))
    conn.close()
    report = run_import(db, [corpora[1]])
    assert (report.search_lists.kind, report.search_lists.ranked) == ("update", 1)  # that one word ranked by FTS5
    [(ceiling,)] = rows(db, "SELECT ceiling FROM search_terms WHERE term = ?", (term,))
    assert ceiling < 10
    assert_exact(db, tmp_path, listed_before)


def test_a_lost_change_log_means_ranking_everything_again(db, corpora, tmp_path):
    listed_before = set(lists(db))
    conn = connect(db)
    conn.execute("DROP TRIGGER papers_search_changes_ai")  # new papers go unlogged
    conn.close()
    report = run_import(db, [corpora[1]])
    assert report.search_lists.kind == "full" and "totals differ" in report.search_lists.reason
    assert source(db)["changed_papers"] == 0
    assert_exact(db, tmp_path, listed_before)


@pytest.mark.parametrize(
    "setting, reason",
    [
        ("UPDATE_MAX_SHARE", "papers changed, over 1%"),  # too many for one update
        ("FULL_REFRESH_SHARE", "since the last full ranking, 1% or more"),  # too many since the last full ranking
    ],
)
def test_many_changes_mean_ranking_everything_again(db, corpora, tmp_path, monkeypatch, setting, reason):
    listed_before = set(lists(db))
    monkeypatch.setattr(search_lists, setting, 0.01)
    refresh = run_import(db, [corpora[1]]).search_lists
    assert refresh.kind == "full" and reason in refresh.reason
    assert source(db)["changed_papers"] == 0
    assert_exact(db, tmp_path, listed_before)


def test_a_score_paperdb_cannot_reproduce_means_ranking_everything_again(db, corpora, tmp_path):
    listed_before = set(lists(db))
    conn = connect(db)
    with write_transaction(conn):
        conn.execute(
            "UPDATE search_top SET hits = NULL WHERE term = (SELECT min(term) FROM search_top) AND position = 1"
        )
    conn.close()
    refresh = run_import(db, [corpora[1]]).search_lists
    assert refresh.kind == "full" and "does not reproduce" in refresh.reason
    assert_exact(db, tmp_path, listed_before)


def test_words_ranked_again_by_two_processes(db, corpora, tmp_path, monkeypatch):
    listed_before = set(lists(db))
    conn = connect(db)
    with write_transaction(conn):
        conn.execute(
            "UPDATE search_terms SET ceiling = 1e9 WHERE term IN "
            "(SELECT term FROM search_terms ORDER BY papers DESC LIMIT 6)"
        )
    conn.close()
    monkeypatch.setattr(search_lists, "PARALLEL_MIN_WORDS", 2)
    refresh = run_import(db, [corpora[1]]).search_lists
    assert (refresh.kind, refresh.ranked) == ("update", 6)
    assert_exact(db, tmp_path, listed_before)


def changed_by_hand(db: Path, statements: list[tuple[str, tuple]]) -> search_lists.Refresh:
    """Run these writes on the tables the search text is read from (the index follows by their
    triggers), then update the lists."""
    conn = connect(db)
    with write_transaction(conn):
        for sql, params in statements:
            conn.execute(sql, params)
    with write_transaction(conn):
        refresh = search_lists.update_search_top(conn)
    conn.close()
    return refresh


def abstract_added(paper_id: int, text: str) -> tuple[str, tuple]:
    """A statement giving the paper one more abstract: its search text grows by `text`."""
    return (
        "INSERT INTO abstracts (paper_id, text, text_key, head_key, tail_key) VALUES (?, ?, 'added', 'added', 'added')",
        (paper_id, text),
    )


def listed_papers(db: Path, limit: int) -> list[int]:
    return [
        r[0]
        for r in rows(
            db, "SELECT DISTINCT paper_id FROM search_top WHERE position <= 3 ORDER BY paper_id LIMIT ?", (limit,)
        )
    ]


def test_edited_papers_at_the_top_of_lists(db, tmp_path):
    listed_before = set(lists(db))
    edits = [
        ("UPDATE papers SET title = coalesce(title, '') || ' revisited' WHERE id = ?", (pid,))
        for pid in listed_papers(db, 5)
    ]
    assert changed_by_hand(db, edits).kind == "update"
    assert_exact(db, tmp_path, listed_before)


def test_deleted_and_reinserted_papers(db, tmp_path):
    listed_before = set(lists(db))
    first, second, *gone = listed_papers(db, 6)
    statements = [("DELETE FROM papers WHERE id = ?", (pid,)) for pid in gone]
    # Deleted, then back with other text (and edited again): logged once, as it was at the last refresh.
    statements += [(f"DELETE FROM papers WHERE id = {pid}", ()) for pid in (first, second)]
    for pid in (first, second):
        statements += [
            (f"INSERT INTO papers (id, title, created_at, updated_at) VALUES ({pid}, 'Parsing models', '', '')", ()),
            (f"INSERT INTO search_authors (paper_id, authors) VALUES ({pid}, 'A. Li')", ()),
        ]
    statements += [abstract_added(second, "We study language models.")]
    assert changed_by_hand(db, statements).changed_papers == 6
    assert_exact(db, tmp_path, listed_before)


def test_a_word_that_falls_below_the_threshold_loses_its_list(db, tmp_path):
    listed_before = set(lists(db))
    conn = sqlite3.connect(db)
    term, word, count = conn.execute(
        "SELECT term, word, papers FROM search_terms ORDER BY papers, term LIMIT 1"
    ).fetchone()
    having = [
        r[0]
        for r in conn.execute(
            "SELECT rowid FROM paper_search_fts WHERE paper_search_fts MATCH ? LIMIT ?",
            (f'"{word}"', count - MIN_PAPERS + 1),
        )
    ]
    conn.close()
    assert changed_by_hand(db, [("DELETE FROM papers WHERE id = ?", (pid,)) for pid in having]).kind == "update"
    assert term not in lists(db)
    assert_exact(db, tmp_path, listed_before)


def test_longer_papers_raise_every_bound(db, tmp_path):
    # Long new papers raise the average length, so every paper outside a list may score
    # higher: some lists keep fewer papers, and those left with too few are ranked again.
    listed_before = set(lists(db))
    text = " ".join(["filler"] * 3000)
    last = [r[0] for r in rows(db, "SELECT id FROM papers ORDER BY id DESC LIMIT 60")]
    refresh = changed_by_hand(db, [abstract_added(pid, text) for pid in last])
    assert refresh.kind == "update" and refresh.ranked > 0
    assert_exact(db, tmp_path, listed_before)


def test_a_page_deeper_than_the_depth_comes_from_the_list(db, corpora):
    run_import(db, [corpora[1]])
    with PaperDB(db) as pdb:
        word, length = pdb.conn.execute(
            "SELECT t.word, count(*) FROM search_terms t JOIN search_top s USING (term) "
            "GROUP BY t.term ORDER BY t.papers DESC LIMIT 1"
        ).fetchone()
        assert length > DEPTH + 10
        statements: list[str] = []
        pdb.conn.set_trace_callback(statements.append)
        hits = [(h.paper_id, h.score) for h in pdb.search(word, limit=10, offset=length - 10)]
        pdb.conn.set_trace_callback(None)
        assert not any("bm25(" in sql for sql in statements)
        expected = [
            (r[0], -r[1])
            for r in pdb.conn.execute(
                "SELECT rowid, bm25(paper_search_fts, 10.0, 5.0, 1.0) AS s FROM paper_search_fts "
                "WHERE paper_search_fts MATCH ? ORDER BY s, rowid LIMIT 10 OFFSET ?",
                (f'"{word}"', length - 10),
            )
        ]
    assert hits == expected and len(hits) == 10


def test_searches_read_the_updated_lists(db, corpora, tmp_path):
    run_import(db, [corpora[1]])
    with PaperDB(db) as pdb:
        (word,) = pdb.conn.execute("SELECT word FROM search_terms ORDER BY papers DESC LIMIT 1 OFFSET 30").fetchone()
        statements: list[str] = []
        pdb.conn.set_trace_callback(statements.append)
        hits = [(h.paper_id, h.score) for h in pdb.search(word, limit=DEPTH)]
        pdb.conn.set_trace_callback(None)
        assert not any("bm25(" in sql for sql in statements)
        expected = [
            (r[0], -r[1])
            for r in pdb.conn.execute(
                "SELECT rowid, bm25(paper_search_fts, 10.0, 5.0, 1.0) AS s FROM paper_search_fts "
                "WHERE paper_search_fts MATCH ? ORDER BY s, rowid LIMIT ?",
                (f'"{word}"', DEPTH),
            )
        ]
    assert hits == expected and len(hits) == DEPTH


def rare_words(db: Path, lowest: int) -> list[str]:
    """Words in `lowest` papers or more that have no list, each searching for exactly its index term."""
    with closing(sqlite3.connect(db)) as conn:
        conn.execute("CREATE VIRTUAL TABLE temp.vocab USING fts5vocab(main, paper_search_fts, row)")
        terms = [
            t
            for (t,) in conn.execute(
                "SELECT term FROM temp.vocab WHERE doc >= ? AND term NOT IN (SELECT term FROM search_terms) "
                "AND term GLOB '[a-z]*' ORDER BY term",
                (lowest,),
            )
        ]
        return [t for t, got in zip(terms, ScratchIndex(conn).terms(terms)) if got == [t]]


@pytest.mark.parametrize("update", [None, "new papers", "longer papers"])
@pytest.mark.parametrize("rare", [0, 1, 2])
def test_searches_of_several_words_are_ranked_from_postings_as_fts5_ranks_them(db, corpora, update, rare):
    """Two or three common words, or one or two of them with `rare` words that have no postings
    (read back from their own FTS5 ranking)."""
    if update == "new papers":
        run_import(db, [corpora[1]])
    elif update == "longer papers":
        last = [r[0] for r in rows(db, "SELECT id FROM papers ORDER BY id DESC LIMIT 60")]
        assert changed_by_hand(db, [abstract_added(pid, " filler data" * 500) for pid in last]).kind == "update"
    rng = random.Random(7 + rare)
    others = set(rare_words(db, MIN_PAPERS // 3))
    with PaperDB(db) as pdb:
        scratch = ScratchIndex(pdb.conn)
        common = dict(
            pdb.conn.execute("SELECT term, word FROM search_terms WHERE papers < ?", (index_totals(pdb.conn)[0] // 2,))
        )
        texts = [
            t
            for (t,) in pdb.conn.execute(
                "SELECT coalesce(title, '') || ' ' || coalesce(abstract, '') FROM paper_search ORDER BY paper_id"
            )
        ]
        compared = searched = 0
        while searched < 40:  # words of one paper, so that most searches find some
            held = set(scratch.terms([rng.choice(texts)])[0])
            count = max(rng.choice((2, 3)) - rare, 1)  # FTS5 ranks words that are all rare
            if len(held & set(common)) < count or len(held & others) < rare:
                continue
            words = [common[t] for t in rng.sample(sorted(held & set(common)), count)] + rng.sample(
                sorted(held & others), rare
            )
            rng.shuffle(words)
            text = " ".join(words)
            searched += 1
            limit, offset = rng.choice(((20, 0), (5, 3), (-1, 0)))
            expected = [
                (r[0], -r[1])
                for r in pdb.conn.execute(
                    "SELECT rowid, bm25(paper_search_fts, 10.0, 5.0, 1.0) AS s FROM paper_search_fts "
                    "WHERE paper_search_fts MATCH ? ORDER BY s, rowid LIMIT ? OFFSET ?",
                    (fts_query(text), limit, offset),
                )
            ]
            statements: list[str] = []
            pdb.conn.set_trace_callback(statements.append)
            hits = [(h.paper_id, h.score) for h in pdb.search(text, limit=10**6 if limit < 0 else limit, offset=offset)]
            pdb.conn.set_trace_callback(None)
            # FTS5 ranks only each rare word alone, for its postings.
            ranked = [sql for sql in statements if "bm25(" in sql]
            assert len(ranked) == rare and all("ORDER BY rowid" in sql for sql in ranked), text
            assert hits == expected, text  # the same papers, order and scores, to the last bit
            compared += len(hits)
    assert compared > (300, 100, 30)[rare]  # rarer words leave fewer papers holding every word


def test_a_rare_word_whose_scores_give_no_hits_is_ranked_by_fts5(db, monkeypatch):
    (common,) = rows(db, "SELECT word FROM search_terms ORDER BY papers LIMIT 1")[0]
    with PaperDB(db) as pdb:

        def top(text: str) -> list[tuple]:
            return [(h.paper_id, h.score) for h in pdb.search(text, limit=5)]

        # The first rare word found in a paper beside the common one.
        text, expected = next(
            (t, hits) for t in (f"{common} {w}" for w in rare_words(db, MIN_PAPERS // 3)) if (hits := top(t))
        )
        monkeypatch.setattr(postings_module, "read_back", lambda *args: None)
        statements: list[str] = []
        pdb.conn.set_trace_callback(statements.append)
        hits = top(text)
        pdb.conn.set_trace_callback(None)
    assert hits == expected
    assert [sql for sql in statements if "bm25(" in sql and "ORDER BY score, rowid" in sql]

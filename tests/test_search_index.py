"""Batched FTS upkeep (app/search/index.py): every index stays exact whatever a transaction does."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing

import pytest

from app.db import DatabaseError, connect, ensure_schema, migrate, write_transaction
from app.etl import load
from app.etl.load import run_import
from app.search import index as search_index
from app.search import rows as search_rows
from app.search.index import INDEXES, batched_fts
from tests.conftest import SAMPLES, query

NOW = "2026-11-21T00:00:00+00:00"


def add_paper(conn, title: str) -> int:
    return conn.execute(
        "INSERT INTO papers (title, created_at, updated_at) VALUES (?, ?, ?)", (title, NOW, NOW)
    ).lastrowid


def titles_matching(conn, word: str) -> list[str]:
    return [
        r[0]
        for r in conn.execute(
            "SELECT p.title FROM papers_fts f JOIN papers p ON p.id = f.rowid WHERE papers_fts MATCH ? ORDER BY p.id",
            (word,),
        )
    ]


def assert_indexes_exact(conn) -> None:
    for table in INDEXES:
        conn.execute(f"INSERT INTO {table}_fts ({table}_fts, rank) VALUES ('integrity-check', 1)")  # 1: and its table
    assert conn.execute("SELECT count(*) FROM fts_deferred").fetchone()[0] == 0


@pytest.fixture
def conn(tmp_path):
    db = tmp_path / "papers.db"
    ensure_schema(db)
    conn = connect(db)
    with write_transaction(conn):
        add_paper(conn, "Old verifier paper")  # id 1
        add_paper(conn, "Old gone paper")  # id 2, the largest id: the next insert may reuse it
    yield conn
    conn.close()


def test_rows_added_updated_and_deleted_in_a_batch_are_indexed_exactly(conn):
    with write_transaction(conn), batched_fts(conn):
        conn.execute("UPDATE papers SET title = 'Old verifiers revisited' WHERE id = 1")  # indexed: via trigger
        conn.execute("DELETE FROM papers WHERE id = 2")
        reused = add_paper(conn, "Reused id paper")  # takes id 2 again, at the mark: via trigger
        fresh = add_paper(conn, "Fresh batch paper")
        conn.execute("UPDATE papers SET title = 'Fresh batch verifier' WHERE id = ?", (fresh,))  # above the mark
        dropped = add_paper(conn, "Dropped before commit")
        conn.execute("DELETE FROM papers WHERE id = ?", (dropped,))
        # Inside the block, rows above the mark are not searchable yet.
        assert titles_matching(conn, "fresh") == []
    assert reused == 2
    assert_indexes_exact(conn)
    assert titles_matching(conn, "verifier") == ["Old verifiers revisited", "Fresh batch verifier"]
    assert titles_matching(conn, "reused") == ["Reused id paper"]
    assert titles_matching(conn, "gone OR dropped") == []


def test_a_rolled_back_batch_leaves_no_trace(conn):
    with pytest.raises(RuntimeError), write_transaction(conn), batched_fts(conn):
        add_paper(conn, "Never committed")
        raise RuntimeError("killed mid-file")
    assert_indexes_exact(conn)
    assert titles_matching(conn, "committed") == []


def test_writers_outside_an_import_keep_the_indexes_by_trigger(conn):
    conn.execute("INSERT INTO papers (title, created_at, updated_at) VALUES ('Plain writer paper', ?, ?)", (NOW, NOW))
    assert_indexes_exact(conn)
    assert titles_matching(conn, "writer") == ["Plain writer paper"]


def test_every_index_is_batched(tmp_path):
    # A new FTS index must be listed in INDEXES, or imports would leave its new rows unindexed.
    db = tmp_path / "papers.db"
    ensure_schema(db)
    with sqlite3.connect(db) as plain:
        fts = {
            r[0] for r in plain.execute("SELECT name FROM sqlite_master WHERE sql LIKE 'CREATE VIRTUAL TABLE%fts5%'")
        }
    assert fts == {f"{table}_fts" for table in INDEXES}


def test_an_import_leaves_search_lists_that_match_the_index(samples_db):
    # `search_top` is used only while its recorded structure equals the index's: the import's
    # last step must leave them equal, or no search would ever read a list.
    with sqlite3.connect(samples_db) as plain:
        recorded = plain.execute("SELECT fts_structure, papers FROM search_top_source").fetchall()
        (current,) = plain.execute("SELECT block FROM paper_search_fts_data WHERE id = 10").fetchone()
    assert recorded == [(current, 16)]


def fts_settings(conn, table: str) -> dict:
    """The settings an index keeps in its config table (its version aside)."""
    return dict(conn.execute(f"SELECT k, v FROM {table}_fts_config WHERE k != 'version'").fetchall())


def segments(db, table: str = "paper_search") -> int:
    with sqlite3.connect(db) as plain:
        return plain.execute(f"SELECT count(DISTINCT segid) FROM {table}_fts_idx").fetchone()[0]


def test_a_bulk_load_leaves_every_index_in_one_segment_and_a_small_import_adds_one(tmp_path):
    db = tmp_path / "p.db"
    run_import(db, [SAMPLES])
    assert {table: segments(db, table) for table in INDEXES} == dict.fromkeys(INDEXES, 1)
    extra = tmp_path / "one.jsonl"
    extra.write_text(json.dumps({"title": "Merging Segments Considered", "authors": ["Ada Lovelace"]}) + "\n")
    report = run_import(db, [extra])
    assert report.papers_added == 1 and segments(db) == 2  # 1 of 17 papers: not worth merging everything
    with closing(connect(db)) as conn:
        assert_indexes_exact(conn)
        assert (
            conn.execute("SELECT rowid FROM paper_search_fts WHERE paper_search_fts MATCH 'merging'").fetchone()[0]
            == conn.execute("SELECT id FROM papers WHERE title = 'Merging Segments Considered'").fetchone()[0]
        )
        # An import that added a quarter of the papers merges them all.
        assert not search_index.optimize_after_bulk_load(conn, 4) and segments(db) == 2
        assert search_index.optimize_after_bulk_load(conn, 5) and segments(db) == 1
        assert segments(db, "papers") == 1 and segments(db, "authors") == 1
        assert_indexes_exact(conn)


def search_state(db) -> dict:
    """What full-text search sees mid-run, from another connection."""
    with sqlite3.connect(db) as plain:
        return {
            "deferred": plain.execute("SELECT count(*) FROM fts_deferred").fetchone()[0],
            "papers": plain.execute("SELECT count(*) FROM papers").fetchone()[0],
            "found": [
                r[0]
                for r in plain.execute(
                    "SELECT p.title FROM paper_search_fts f JOIN papers p ON p.id = f.rowid "
                    "WHERE paper_search_fts MATCH 'title: verify' ORDER BY p.id"
                )
            ],
        }


@pytest.fixture
def merges(monkeypatch) -> list[tuple[int, bool]]:
    """The imports' calls to merge the search index: (papers counted as added, merged)."""
    calls = []
    optimize = load.optimize_after_bulk_load

    def recorded(conn, papers_added):
        calls.append((papers_added, optimize(conn, papers_added)))
        return calls[-1][1]

    monkeypatch.setattr(load, "optimize_after_bulk_load", recorded)
    return calls


def test_a_bulk_load_indexes_once_at_the_end_and_a_later_import_indexes_each_file(tmp_path, merges):
    db = tmp_path / "p.db"
    seen = []
    run_import(db, [SAMPLES], progress=lambda result: seen.append(search_state(db)))
    assert merges == [(16, True)]
    # Into an empty database: papers committed file by file, found by search only at the end.
    assert [s["deferred"] for s in seen] == [len(INDEXES)] * len(seen)
    assert seen[-1]["papers"] == 16 and all(s["found"] == [] for s in seen)
    with closing(connect(db)) as conn:
        assert_indexes_exact(conn)
        # The bulk build's settings are FTS5's defaults again, for the triggers' upkeep.
        for table in INDEXES:
            assert fts_settings(conn, table) == {"hashsize": 1024 * 1024, "automerge": 4, "crisismerge": 16}, table
    assert search_state(db)["found"] == ["Let's Verify Step by Step"]
    extra = tmp_path / "one.jsonl"
    extra.write_text(json.dumps({"title": "Verify Twice", "authors": ["Ada Lovelace"]}) + "\n")
    seen.clear()
    run_import(db, [extra], progress=lambda result: seen.append(search_state(db)))
    # Into a loaded database: each file is searchable as soon as it commits.
    assert seen == [{"deferred": 0, "papers": 17, "found": ["Let's Verify Step by Step", "Verify Twice"]}]


def index_terms(db) -> dict[str, list[tuple]]:
    """Each index's terms with their papers and hits, as the index itself holds them."""
    with sqlite3.connect(db) as plain:
        out = {}
        for table in INDEXES:
            plain.execute(f"CREATE VIRTUAL TABLE temp.{table}_terms USING fts5vocab(main, {table}_fts, row)")
            out[table] = plain.execute(f"SELECT term, doc, cnt FROM temp.{table}_terms ORDER BY term").fetchall()
        return out


@pytest.mark.slow
def test_a_killed_bulk_load_is_indexed_by_the_next_import(tmp_path, monkeypatch, merges):
    db, clean = tmp_path / "p.db", tmp_path / "clean.db"

    def killed(*args):
        raise RuntimeError("killed before resolution")

    with monkeypatch.context() as kill:
        kill.setattr(load, "resolve_pending", killed)
        with pytest.raises(RuntimeError):
            run_import(db, [SAMPLES])
    assert search_state(db) == {"deferred": len(INDEXES), "papers": 16, "found": []}
    # An older schema would never index the rows held back: no downgrade until they are.
    with pytest.raises(DatabaseError, match="fts_deferred"):
        migrate(db, "-6")
    report = run_import(db, [SAMPLES])
    assert report.count("skipped") == len(report.files)  # nothing to load again, only to finish
    assert search_state(db) == {"deferred": 0, "papers": 16, "found": ["Let's Verify Step by Step"]}
    assert merges == [(16, True)]  # the whole bulk load counts, though this run added no paper
    run_import(clean, [SAMPLES])
    assert index_terms(db) == index_terms(clean)
    assert ("verifi", 2, 3) in index_terms(db)["paper_search"]
    with closing(connect(db)) as conn:
        assert_indexes_exact(conn)


def test_a_bulk_load_labels_each_paper_once_with_the_labels_an_import_keeps_up(tmp_path, monkeypatch):
    # Resolution moves a paper's authors batch after batch: labelling it each time was wasted
    # while its index waits for the end of the run.
    labelled = []
    label = search_rows._author_label

    def counted(display, mention):
        labelled.append(mention)
        return label(display, mention)

    monkeypatch.setattr(search_rows, "_author_label", counted)
    bulk, kept_up = tmp_path / "bulk.db", tmp_path / "kept_up.db"
    run_import(bulk, [SAMPLES])
    assert sorted(labelled) == sorted(r[0] for r in query(bulk, "SELECT name FROM authorships"))
    # Into a database with a paper already, each file's labels are written as it loads and
    # again as resolution moves authors.
    seed = tmp_path / "seed.jsonl"
    seed.write_text(json.dumps({"title": "A Seed Paper", "authors": ["Zed Quux"]}) + "\n")
    run_import(kept_up, [seed])
    run_import(kept_up, [SAMPLES])
    labels = "SELECT p.title, s.authors FROM search_authors s JOIN papers p ON p.id = s.paper_id ORDER BY p.title"
    assert query(bulk, labels) == [row for row in query(kept_up, labels) if row != ("A Seed Paper", "Zed Quux")]
    assert len(query(bulk, labels)) == 10
    assert ("GPT-4 Technical Report",) in query(
        bulk,
        "SELECT p.title FROM search_authors s JOIN papers p ON p.id = s.paper_id WHERE s.authors LIKE ?",
        ("OpenAI, Joshua Achiam (Josh Achiam), Steven Adler, %",),
    )


def test_a_bulk_build_writes_unmerged_segments_then_merges_each_index(tmp_path, monkeypatch):
    # Merging as segments pile up is wasted work when one merge follows: off during the build.
    seen, steps = {}, []
    index_table, merge = search_index._index_table, search_index._merge

    def built(conn, table, mark):
        seen[table] = fts_settings(conn, table)
        steps.append(("build", table))
        index_table(conn, table, mark)

    def merged(conn, table):
        steps.append(("merge", table))
        merge(conn, table)

    monkeypatch.setattr(search_index, "_index_table", built)
    monkeypatch.setattr(search_index, "_merge", merged)
    run_import(tmp_path / "p.db", [SAMPLES])
    assert seen == dict.fromkeys(INDEXES, {"hashsize": 64 * 1024 * 1024, "automerge": 0, "crisismerge": 200})
    # Each index is merged right after its build, in its transaction.
    assert steps[: 2 * len(INDEXES)] == [(step, table) for table in INDEXES for step in ("build", "merge")]


@pytest.mark.slow
def test_a_run_killed_between_two_indexes_leaves_the_rest_to_the_next_import(tmp_path, monkeypatch):
    db, clean = tmp_path / "p.db", tmp_path / "clean.db"
    merge = search_index._merge

    def killed_at_authors(conn, table):
        if table == "authors":
            raise RuntimeError("killed while merging the authors index")
        merge(conn, table)

    with monkeypatch.context() as kill:
        kill.setattr(search_index, "_merge", killed_at_authors)
        with pytest.raises(RuntimeError):
            run_import(db, [SAMPLES])
    with sqlite3.connect(db) as plain:
        left = {r[0] for r in plain.execute("SELECT table_name FROM fts_deferred")}
        found = plain.execute("SELECT count(*) FROM papers_fts WHERE papers_fts MATCH 'verify'").fetchone()[0]
    assert left == {"authors", "paper_search"} and found == 1  # papers and abstracts were indexed and kept
    assert search_state(db)["found"] == []
    run_import(db, [SAMPLES])
    assert search_state(db) == {"deferred": 0, "papers": 16, "found": ["Let's Verify Step by Step"]}
    run_import(clean, [SAMPLES])
    assert index_terms(db) == index_terms(clean)
    with closing(connect(db)) as conn:
        assert_indexes_exact(conn)


def test_the_search_text_follows_title_abstract_and_author_changes_without_an_import(conn):
    """`paper_search` is a view (migration 0020): triggers on the tables it reads keep its index exact."""
    from app.etl.load_papers import _insert_abstract

    def found(words: str) -> list[int]:
        return [
            r[0] for r in conn.execute("SELECT rowid FROM paper_search_fts WHERE paper_search_fts MATCH ?", (words,))
        ]

    with write_transaction(conn):
        _insert_abstract(conn, 1, "Verifiers check each step.", ("k1", "h1", "t1"))
        conn.execute("INSERT INTO search_authors (paper_id, authors) VALUES (1, 'Jan Leike')")
    assert_indexes_exact(conn)
    assert found("verifiers check leike") == [1]
    with write_transaction(conn):  # the same abstract again: an upsert that changes nothing
        _insert_abstract(conn, 1, "Verifiers check each step.", ("k1", "h1", "t1"))
    assert_indexes_exact(conn)
    assert found("check") == [1]
    with write_transaction(conn):  # the same key with other text, a second abstract, a new title and labels
        _insert_abstract(conn, 1, "Critics check each step.", ("k1", "h1", "t1"))
        _insert_abstract(conn, 1, "Reward models score them.", ("k2", "h2", "t2"))
        conn.execute("UPDATE papers SET title = 'Process supervision' WHERE id = 1")
        conn.execute("UPDATE search_authors SET authors = 'John Schulman' WHERE paper_id = 1")
    assert_indexes_exact(conn)
    assert found("critics reward supervision schulman") == [1]
    assert found("verifiers OR leike OR verifier") == []
    with write_transaction(conn):
        conn.execute("DELETE FROM abstracts WHERE paper_id = 1 AND text_key = 'k1'")
        conn.execute("DELETE FROM search_authors WHERE paper_id = 1")
    assert_indexes_exact(conn)
    assert found("critics OR schulman") == [] and found("reward") == [1]
    with write_transaction(conn):
        conn.execute("DELETE FROM papers WHERE id = 1")
    assert_indexes_exact(conn)
    assert found("reward OR supervision") == []

"""Importing the bundled sample dumps gives the right papers, authors and text."""

from __future__ import annotations

import os
import re
import sqlite3

from app.etl import load
from app.etl.load import run_import
from tests.conftest import (
    ABSTRACTS_DUMP,
    LAST_NIGHT_NS,
    PROFILE_DUMP,
    SAMPLES,
    copy_dump,
    db_content,
    query,
    same_size_edit,
)

THAI = re.compile("[\u0e00-\u0e7f]")
# Columns that keep the source's text on purpose, mojibake included.
RAW_COLUMNS = {("authorships", "raw_name"), ("paper_sources", "record"), ("rejects", "raw"), ("name_repairs", "detail")}

TITLES = {
    "Measuring short-form factuality in large language models",
    "Rule Based Rewards for Language Model Safety",
    "GPT-4o System Card",
    "GPT-4 Technical Report",
    "Let's Verify Step by Step",
    "Scaling laws for single-agent reinforcement learning",
    "Efficient Training of Language Models to Fill in the Middle",
    "WebGPT: Browser-assisted question-answering with human feedback",
    "Batch size-invariance for policy optimization",
    "Unsolved Problems in ML Safety",
}


def test_sixteen_papers_ten_titled_six_abstract_only(samples_db):
    titles = {r[0] for r in query(samples_db, "SELECT title FROM papers WHERE title IS NOT NULL")}
    assert titles == TITLES
    assert query(samples_db, "SELECT count(*) FROM papers WHERE title IS NULL") == [(6,)]


def test_abstracts_in_both_dumps_belong_to_the_titled_papers(samples_db):
    rows = query(
        samples_db,
        "SELECT p.title, count(a.id) FROM papers p JOIN abstracts a ON a.paper_id = p.id "
        "GROUP BY p.id ORDER BY p.title",
    )
    assert len(rows) == 16 and all(n == 1 for _, n in rows)
    sources = dict(
        query(
            samples_db,
            "SELECT p.title, count(DISTINCT s.file_id) FROM papers p "
            "JOIN paper_sources s ON s.paper_id = p.id WHERE p.title IS NOT NULL GROUP BY p.id",
        )
    )
    assert {t for t, n in sources.items() if n == 2} == {
        "Let's Verify Step by Step",
        "WebGPT: Browser-assisted question-answering with human feedback",
        "Batch size-invariance for policy optimization",
    }


def test_john_schulman_is_one_author_on_all_ten_titled_papers(samples_db):
    rows = query(
        samples_db,
        "SELECT a.id, count(DISTINCT s.paper_id) FROM authors a "
        "JOIN authorships s ON s.author_id = a.id WHERE a.name = 'John Schulman' GROUP BY a.id",
    )
    assert len(rows) == 1 and rows[0][1] == 10


def test_a_name_listed_twice_in_one_paper_is_one_authorship(samples_db):
    rows = query(
        samples_db,
        "SELECT s.position FROM authorships s JOIN papers p ON p.id = s.paper_id "
        "JOIN authors a ON a.id = s.author_id "
        "WHERE p.title = 'GPT-4o System Card' AND a.name = 'Ian O''Connell'",
    )
    assert len(rows) == 1


def test_positions_are_contiguous_from_one(samples_db):
    rows = query(
        samples_db, "SELECT paper_id, min(position), max(position), count(*) FROM authorships GROUP BY paper_id"
    )
    assert len(rows) == 10
    assert all(lo == 1 and hi == n for _, lo, hi, n in rows)


def test_no_author_is_named_null_or_a_stray_token(samples_db):
    names = {r[0] for r in query(samples_db, "SELECT name FROM authors UNION SELECT name FROM author_names")}
    assert not {n for n in names if n.lower() in {"null", ":", ""} or "null" in n.lower().split()}
    assert query(samples_db, "SELECT name, is_organization FROM authors WHERE name = 'OpenAI'") == [("OpenAI", 1)]


def test_no_thai_characters_left_anywhere(samples_db):
    conn = sqlite3.connect(samples_db)
    tables = [
        r[0]
        for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' "
            "AND name NOT LIKE '%_fts%' AND name NOT LIKE 'sqlite_%'"
        )
    ]
    found = []
    for table in tables:
        for col in [r[1] for r in conn.execute(f"PRAGMA table_info({table})")]:
            if (table, col) in RAW_COLUMNS:
                continue
            for (value,) in conn.execute(f"SELECT {col} FROM {table}"):
                if isinstance(value, str) and THAI.search(value):
                    found.append((table, col, value[:60]))
    conn.close()
    assert found == []
    names = {r[0] for r in query(samples_db, "SELECT name FROM authors")}
    assert {"David Mély", "Łukasz Kaiser", "Aleksander Mądry"} <= names


def test_fts_finds_titles_and_accent_folded_names(samples_db):
    assert query(
        samples_db, "SELECT p.title FROM papers_fts f JOIN papers p ON p.id = f.rowid WHERE papers_fts MATCH 'verify'"
    ) == [("Let's Verify Step by Step",)]
    assert query(
        samples_db, "SELECT a.name FROM authors_fts f JOIN authors a ON a.id = f.rowid WHERE authors_fts MATCH 'mely'"
    ) == [("David Mély",)]


def test_letters_fts_cannot_fold_are_searchable_plainly(samples_db):
    hits = query(
        samples_db,
        "SELECT p.title FROM paper_search_fts f JOIN papers p ON p.id = f.rowid "
        "WHERE paper_search_fts MATCH 'lukasz kaiser' ORDER BY p.title",
    )
    assert hits == [("GPT-4 Technical Report",), ("GPT-4o System Card",)]


def test_reimport_is_a_no_op(tmp_path):
    db = tmp_path / "p.db"
    run_import(db, [SAMPLES])
    before = db_content(db)
    report = run_import(db, [SAMPLES])
    assert report.nothing_new and report.count("skipped") == 2
    assert db_content(db) == before
    assert query(db, "SELECT count(*) FROM source_files") == [(2,)]


def test_a_file_with_the_same_size_and_time_is_skipped_unread_unless_rehashed(tmp_path):
    db, dump = tmp_path / "p.db", copy_dump(tmp_path)
    run_import(db, [dump])
    assert query(db, "SELECT size, mtime_ns FROM source_files") == [(dump.stat().st_size, LAST_NIGHT_NS)]
    same_size_edit(dump, LAST_NIGHT_NS)
    assert run_import(db, [dump]).count("skipped") == 1  # not read: the edit goes unseen
    assert query(db, "SELECT count(*) FROM papers WHERE title = 'Let''s Verify Step by Stop'") == [(0,)]
    assert run_import(db, [dump], rehash=True).count("changed") == 1
    assert query(db, "SELECT count(*) FROM papers WHERE title = 'Let''s Verify Step by Stop'") == [(1,)]


def test_a_touched_file_is_compared_and_its_new_time_recorded(tmp_path):
    db, dump = tmp_path / "p.db", copy_dump(tmp_path)
    run_import(db, [dump])
    before = db_content(db)
    os.utime(dump, ns=(LAST_NIGHT_NS + 10**9, LAST_NIGHT_NS + 10**9))
    assert run_import(db, [dump]).count("skipped") == 1
    assert query(db, "SELECT mtime_ns FROM source_files") == [(LAST_NIGHT_NS + 10**9,)]
    assert db_content(db) == before


def test_a_file_modified_just_before_reading_is_read_again_next_time(tmp_path, monkeypatch):
    # Within the file system's clock tick, a second write may keep the time of the first.
    # Every time is recent (one file is parsed in this process; a second would go to a worker).
    monkeypatch.setattr(load, "RECENT_SECONDS", 10**10)
    db, dump = tmp_path / "p.db", copy_dump(tmp_path)
    run_import(db, [dump])
    assert query(db, "SELECT mtime_ns FROM source_files") == [(None,)]
    same_size_edit(dump, LAST_NIGHT_NS)
    assert run_import(db, [dump]).count("changed") == 1
    assert query(db, "SELECT count(*) FROM papers WHERE title = 'Let''s Verify Step by Stop'") == [(1,)]


def test_either_file_order_gives_the_same_db_content(tmp_path):
    one, two = tmp_path / "one.db", tmp_path / "two.db"
    run_import(one, [PROFILE_DUMP, ABSTRACTS_DUMP])
    run_import(two, [ABSTRACTS_DUMP, PROFILE_DUMP])
    assert db_content(one) == db_content(two)
    assert len(db_content(one)["papers"]) == 16

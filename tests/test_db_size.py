"""scripts/db_size.py: every table and index of a database with its bytes, FTS5 shadow tables under their index."""

from __future__ import annotations

import sqlite3
import sys
from contextlib import closing

from tests.conftest import ROOT

sys.path.insert(0, str(ROOT / "scripts"))

from db_size import grouped, object_sizes, table  # noqa: E402

PAGE = 4096


def small_db(path):
    with closing(sqlite3.connect(path)) as conn:
        conn.executescript(f"""
            PRAGMA page_size = {PAGE};
            CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);
            CREATE INDEX ix_notes_body ON notes (body);
            CREATE VIRTUAL TABLE notes_fts USING fts5(body, content="notes", content_rowid="id");
            CREATE TABLE scratch (x);
        """)
        conn.executemany("INSERT INTO notes (body) VALUES (?)", [(f"note {i} " + "words " * 200,) for i in range(300)])
        conn.execute("INSERT INTO notes_fts (notes_fts) VALUES ('rebuild')")
        conn.execute("INSERT INTO scratch VALUES (randomblob(40000))")
        conn.commit()
        conn.execute("DELETE FROM scratch")  # its pages become free pages
        conn.commit()
    return path


def test_every_object_and_the_free_pages_add_up_to_the_file(tmp_path):
    db = small_db(tmp_path / "n.db")
    sizes = object_sizes(db)
    assert set(sizes) == {
        "sqlite_schema",
        "notes",
        "ix_notes_body",
        "scratch",
        "notes_fts/notes_fts_data",
        "notes_fts/notes_fts_idx",
        "notes_fts/notes_fts_docsize",
        "notes_fts/notes_fts_config",
        "(free pages)",
    }
    assert sum(sizes.values()) == db.stat().st_size
    assert sizes["(free pages)"] >= 9 * PAGE  # the 40,000-byte blob's overflow pages
    assert all(size % PAGE == 0 for size in sizes.values())


def test_an_fts5_index_is_the_sum_of_its_shadow_tables_listed_under_it(tmp_path):
    sizes = object_sizes(small_db(tmp_path / "n.db"))
    rows = dict(grouped(sizes))
    names = [name for name, _ in grouped(sizes)]
    shadows = [n for n in names if n.startswith("notes_fts/")]
    assert rows["notes_fts"] == sum(rows[n] for n in shadows)
    assert names[names.index("notes_fts") + 1 : names.index("notes_fts") + 5] == shadows
    assert [rows[n] for n in shadows] == sorted((rows[n] for n in shadows), reverse=True)


def test_the_markdown_table_has_a_column_pair_per_database_and_a_total(tmp_path):
    first = small_db(tmp_path / "first.db")
    second = tmp_path / "second.db"
    with closing(sqlite3.connect(second)) as conn:
        conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
    lines = table([first, second], markdown=True).splitlines()
    assert lines[0] == "| object | what | first MB | first % | second MB | second % |"
    by_name = {line.split(" | ")[0].lstrip("| "): line for line in lines[2:]}
    assert by_name["notes_fts"].startswith("| notes_fts | FTS5 index on notes | ")
    assert by_name["&nbsp;&nbsp;notes_fts_data"].endswith("|  |  |")  # only the first database has it
    assert by_name["total"].split(" | ")[-1] == "100.0 |"


def test_objects_under_the_minimum_are_summed_in_one_row(tmp_path):
    db = small_db(tmp_path / "n.db")
    sizes = dict(grouped(object_sizes(db)))
    small = {n: s for n, s in sizes.items() if s < 2 * PAGE and "/" not in n}
    lines = table([db], markdown=True, min_mb=2 * PAGE / 1024**2).splitlines()
    assert not any(line.startswith(f"| {name} |") for name in small for line in lines)
    assert f"| {len(small)} smaller objects | under " in lines[-2]
    assert lines[-2].split(" | ")[2] == f"{sum(small.values()) / 1024**2:.1f}"

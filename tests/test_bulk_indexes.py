"""An import into an empty database builds the indexes loading never reads once, after the
load and before resolution; a cut-short one leaves them for the next import to build."""

from __future__ import annotations

import sqlite3
from contextlib import closing

import pytest

from app.db import connect, ensure_schema, migrate
from app.etl import load
from app.etl.bulk_indexes import DEFERRABLE, defer_bulk_indexes
from app.etl.load import run_import
from app.query import PaperDB
from tests.conftest import FIXTURES, SAMPLES, db_content, query

FORMATS = FIXTURES / "formats"


def indexes(db) -> dict[str, str]:
    return dict(query(db, "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"))


@pytest.fixture
def schema(tmp_path) -> dict[str, str]:
    """The indexes of a database the migrations made."""
    db = tmp_path / "schema.db"
    ensure_schema(db)
    return indexes(db)


def watched(db, paths, monkeypatch) -> dict[str, set[str]]:
    """Import, noting the indexes another connection sees when each phase starts."""
    monkeypatch.setattr(load, "WATCH_RECORDS", 1)  # a step for every record: the samples are few
    seen: dict[str, set[str]] = {}

    def watch(step):
        if step.phase not in seen:
            seen[step.phase] = set(indexes(db))

    report = run_import(db, paths, watch=watch)
    assert report.status == "ok", report.as_dict()
    return seen


def test_an_import_into_an_empty_database_builds_them_after_loading_and_before_resolution(
    tmp_path, schema, monkeypatch
):
    db = tmp_path / "p.db"
    seen = watched(db, [SAMPLES], monkeypatch)
    assert set(DEFERRABLE) <= set(schema)
    assert seen["load"] == set(schema) - set(DEFERRABLE)
    assert seen["resolve"] == set(schema)
    assert indexes(db) == schema  # the same statements as the migrations'
    assert query(db, "SELECT count(*) FROM deferred_indexes") == [(0,)]


def test_an_import_into_a_database_with_papers_keeps_every_index(tmp_path, schema, monkeypatch):
    db = tmp_path / "p.db"
    run_import(db, [SAMPLES])
    seen = watched(db, [FORMATS / "arxiv"], monkeypatch)
    assert seen["load"] == set(schema)


def test_an_import_cut_short_before_building_them_leaves_them_to_the_next(tmp_path, monkeypatch, schema):
    reference = tmp_path / "reference.db"
    run_import(reference, [SAMPLES, FORMATS / "arxiv"])
    db = tmp_path / "p.db"

    def cut_short(conn, progress):
        raise KeyboardInterrupt

    with monkeypatch.context() as patched:
        patched.setattr(load, "build_deferred_indexes", cut_short)
        with pytest.raises(KeyboardInterrupt):
            run_import(db, [SAMPLES])
    assert sorted(r[0] for r in query(db, "SELECT name FROM deferred_indexes")) == sorted(DEFERRABLE)
    assert not set(indexes(db)) & set(DEFERRABLE)
    # Slower without them, never wrong: the provisional authors are found by name.
    with PaperDB(db) as pdb:
        assert pdb.author("Liam Fedus").author.name == "Liam Fedus"
    run_import(db, [SAMPLES, FORMATS / "arxiv"])
    assert indexes(db) == schema
    assert db_content(db) == db_content(reference)


def test_a_downgrade_past_the_table_builds_the_indexes_it_kept(tmp_path, schema):
    db = tmp_path / "p.db"
    ensure_schema(db)
    with closing(connect(db)) as conn:
        defer_bulk_indexes(conn)
    assert query(db, "SELECT count(*) FROM deferred_indexes") == [(len(DEFERRABLE),)]
    migrate(db, "0020")
    assert indexes(db) == schema
    with closing(sqlite3.connect(db)) as conn:
        assert conn.execute("SELECT name FROM sqlite_master WHERE name = 'deferred_indexes'").fetchall() == []

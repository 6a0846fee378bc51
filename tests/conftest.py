"""Shared fixtures: real SQLite files in tmp dirs, built from the bundled sample dumps."""
from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from app.etl.load import run_import

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "data" / "samples"
PROFILE_DUMP = SAMPLES / "003_813f7c278c729ce1.txt"
ABSTRACTS_DUMP = SAMPLES / "000_ab84cb6c7356e036.txt"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def query(db: Path, sql: str, params=()) -> list[tuple]:
    """Rows of a query on a fresh connection, as plain tuples."""
    conn = sqlite3.connect(db)
    try:
        return [tuple(r) for r in conn.execute(sql, params)]
    finally:
        conn.close()


@pytest.fixture(scope="session")
def samples_db(tmp_path_factory) -> Path:
    """The sample dumps imported once into a database; tests must not write to it."""
    db = tmp_path_factory.mktemp("samples") / "papers.db"
    report = run_import(db, [SAMPLES])
    assert report.status == "ok", report.as_dict()
    return db

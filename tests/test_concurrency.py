"""Readers are never blocked by an import, and two importers never load anything twice."""

from __future__ import annotations

import multiprocessing
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app.etl.load import run_import
from app.lock import import_lock
from tests.conftest import SAMPLES, generate_corpus, query

pytestmark = pytest.mark.slow  # several processes at once

PAPERDB = str(Path(sys.executable).parent / "paperdb")
READERS = 4
P99_LIMIT_MS = 200


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return generate_corpus(tmp_path_factory.mktemp("corpus"), papers=1500, per_file=500)


def reader(db: str, stop, results) -> None:
    """Query in a loop (search, author names, SQL aggregates) until told to stop; report errors and latencies."""
    from app.query import PaperDB

    errors, latencies = [], []
    pdb = PaperDB(db)
    work = [
        lambda: pdb.search("language model", limit=10),
        lambda: pdb.conn.execute(
            "SELECT a.name FROM authors_fts f JOIN authors a ON a.id = f.rowid WHERE authors_fts MATCH 'schulman'"
        ).fetchall(),
        lambda: pdb.conn.execute("SELECT year, count(*) FROM papers GROUP BY year").fetchall(),
        lambda: pdb.conn.execute("SELECT count(*), sum(paper_count) FROM authors").fetchall(),
    ]
    i = 0
    while not stop.is_set():
        started = time.perf_counter()
        try:
            work[i % len(work)]()
        except sqlite3.Error as e:
            errors.append(repr(e))
        latencies.append((time.perf_counter() - started) * 1000)
        i += 1
    pdb.close()
    results.put((errors, latencies))


def test_readers_see_no_error_and_stay_fast_during_an_import(tmp_path, corpus):
    db = tmp_path / "p.db"
    run_import(db, [SAMPLES])
    ctx = multiprocessing.get_context("spawn")
    stop, results = ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=reader, args=(str(db), stop, results)) for _ in range(READERS)]
    for p in procs:
        p.start()
    time.sleep(1.0)  # readers are up and querying before the import starts
    done = subprocess.run(
        [PAPERDB, "--db", str(db), "import", str(corpus)], capture_output=True, text=True, timeout=600
    )
    stop.set()
    outcomes = [results.get(timeout=60) for _ in procs]
    for p in procs:
        p.join(timeout=60)
    assert done.returncode == 0, done.stderr
    errors = [e for errs, _ in outcomes for e in errs]
    latencies = [ms for _, lat in outcomes for ms in lat]
    assert errors == []
    assert len(latencies) > 100
    p99 = statistics.quantiles(latencies, n=100)[98]
    assert p99 < P99_LIMIT_MS, f"p99 {p99:.0f} ms over {len(latencies)} queries"


def test_two_importers_at_once_one_runs_the_other_exits_75(tmp_path, corpus):
    db = tmp_path / "p.db"
    run_import(db, [SAMPLES])  # the schema exists, so both start importing at once
    procs = [
        subprocess.Popen(
            [PAPERDB, "--db", str(db), "import", str(corpus)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    outcomes = sorted((p.wait(timeout=600), p.stderr.read()) for p in procs)
    assert [code for code, _ in outcomes] == [0, 75]
    assert "another import is running" in outcomes[1][1]
    files = query(db, "SELECT count(*), count(DISTINCT path) FROM source_files")
    assert files == [(2 + len(list(corpus.glob("*_*.*"))),) * 2]
    assert query(db, "SELECT count(*) FROM papers") == [(16 + 1500,)]


def test_a_second_importer_can_wait_its_turn(tmp_path):
    db = tmp_path / "p.db"
    run_import(db, [SAMPLES / "000_ab84cb6c7356e036.txt"])
    with import_lock(db):
        waiting = subprocess.Popen(
            [PAPERDB, "--db", str(db), "import", "--wait", str(SAMPLES)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        time.sleep(1.5)
        assert waiting.poll() is None  # still waiting for the lock
        assert query(db, "SELECT count(*) FROM source_files") == [(1,)]
    assert waiting.wait(timeout=120) == 0, waiting.stderr.read()
    assert query(db, "SELECT count(*) FROM source_files") == [(2,)]

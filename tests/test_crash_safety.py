"""Killed imports leave a whole, consistent database, and a re-run completes it.

An import of a generated corpus runs as a subprocess and is killed with SIGKILL at
seeded random moments: while parsing, writing papers, syncing FTS, writing the
ledger, or resolving authors at the end of the run.
"""

from __future__ import annotations

import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app.etl.bulk_indexes import DEFERRABLE
from app.search.index import INDEXES
from tests.conftest import ROOT, db_content, generate_corpus, query

pytestmark = pytest.mark.slow  # SIGKILLed subprocess imports

KILLS = 20  # kills that land while the import runs
KILLS_PER_DATABASE = 4  # then the run is completed and compared with an uninterrupted one
MAX_DATABASES = 10


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return generate_corpus(tmp_path_factory.mktemp("corpus"), papers=800, per_file=200)


PAPERDB = str(Path(sys.executable).parent / "paperdb")


def import_cmd(db, corpus):
    return [PAPERDB, "--db", str(db), "import", str(corpus)]


def run_to_end(db, corpus) -> float:
    started = time.monotonic()
    done = subprocess.run(import_cmd(db, corpus), capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert done.returncode in (0, 1), done.stderr
    return time.monotonic() - started


def assert_whole(db) -> None:
    """The state of some set of whole files: nothing half-written, nothing pointing nowhere."""
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if "alembic_version" not in tables:
            assert tables == set(), "a killed migration left part of the schema"
            return
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        # Each index matches its table, but for the rows a killed bulk load left to the next import.
        marks = dict(conn.execute("SELECT table_name, upto FROM fts_deferred")) if "fts_deferred" in tables else {}
        for table, (key, _, _) in INDEXES.items():
            if table in marks:
                conn.execute(f"INSERT INTO {table}_fts({table}_fts) VALUES ('integrity-check')")
                assert (
                    conn.execute(f"SELECT id FROM {table}_fts_docsize ORDER BY id").fetchall()
                    == conn.execute(
                        f"SELECT {key} FROM {table} WHERE {key} <= ? ORDER BY {key}", (marks[table],)
                    ).fetchall()
                )
            else:
                conn.execute(f"INSERT INTO {table}_fts({table}_fts, rank) VALUES ('integrity-check', 1)")
        # Every index is there, but those a killed bulk load left for the next import to build.
        if "deferred_indexes" in tables:
            present = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
            deferred = {r[0] for r in conn.execute("SELECT name FROM deferred_indexes")}
            assert not present & deferred
            assert set(DEFERRABLE) <= present | deferred
        # Every file in the ledger has all its records, and nothing else has any.
        assert (
            conn.execute(
                "SELECT f.path FROM source_files f WHERE f.records != "
                "(SELECT count(*) FROM paper_sources s WHERE s.file_id = f.id)"
            ).fetchall()
            == []
        )
        assert conn.execute(
            "SELECT count(*) FROM papers WHERE id NOT IN (SELECT paper_id FROM paper_sources)"
        ).fetchone() == (0,)
        assert conn.execute("SELECT count(*) FROM authorships WHERE author_id IS NULL").fetchone() == (0,)
        # Every paper with authors has them in its search text, but those of a killed bulk
        # load: their labels are written with its index, by the next import (`rows.write_labels`).
        held_back = marks.get("paper_search")
        assert conn.execute(
            "SELECT count(*) FROM papers p WHERE EXISTS (SELECT 1 FROM authorships s WHERE s.paper_id = p.id) "
            "AND NOT EXISTS (SELECT 1 FROM search_authors l WHERE l.paper_id = p.id) AND (:held IS NULL OR p.id <= :held)",
            {"held": held_back},
        ).fetchone() == (0,)
    finally:
        conn.close()


def indexes(db) -> list[tuple]:
    return query(db, "SELECT name, sql FROM sqlite_master WHERE type = 'index' ORDER BY name")


def children(pid: int) -> list[int]:
    """The processes `pid` started (its parse, resolution and ranking workers), from /proc."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def assert_exit(pids: list[int]) -> None:
    """Workers die with the import that started them, not linger holding the database."""
    deadline = time.monotonic() + 10
    while any(map(alive, pids)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(map(alive, pids)), f"orphaned workers: {[p for p in pids if alive(p)]}"


def test_sigkill_at_random_moments_never_leaves_a_half_file(tmp_path, corpus):
    reference = tmp_path / "reference.db"
    full = run_to_end(reference, corpus)
    expected = db_content(reference)
    rng = random.Random(20261121)
    kills = []  # (seconds after start, whether the import was still running)
    for n in range(MAX_DATABASES):
        if sum(running for _, running in kills) >= KILLS:
            break
        db = tmp_path / f"killed-{n}.db"
        for k in range(KILLS_PER_DATABASE):
            # Each kill leaves less to do, so later kills come sooner to land inside the run.
            delay = rng.uniform(0.2, full / (k + 1))
            proc = subprocess.Popen(
                import_cmd(db, corpus), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT
            )
            time.sleep(delay)
            running = proc.poll() is None
            workers = children(proc.pid)
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            assert_exit(workers)
            kills.append((round(delay, 2), running))
            if db.exists():
                assert_whole(db)
        run_to_end(db, corpus)
        assert_whole(db)
        assert query(db, "SELECT count(*) FROM pending_blocks") == [(0,)]
        assert query(db, "SELECT count(*) FROM fts_deferred") == [(0,)]
        assert query(db, "SELECT count(*) FROM deferred_indexes") == [(0,)]
        assert indexes(db) == indexes(reference)
        assert db_content(db) == expected, f"kills so far: {kills}"
    assert sum(running for _, running in kills) >= KILLS, kills

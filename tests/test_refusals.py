"""Every way the database can refuse us is one line and a documented exit code, never a traceback:
the installed `paperdb` and the nightly job as subprocesses, on real SQLite files."""

from __future__ import annotations

import json
import os
import random
import resource
import shutil
import sqlite3
import subprocess
import sys
from contextlib import closing, contextmanager
from pathlib import Path

import pytest

from app.db import connect, head_revision, migrate, refusal, write_transaction
from app.lock import import_lock
from tests.conftest import ROOT, copied, query
from tests.test_query import snapshot

pytestmark = pytest.mark.slow  # each case drives the installed paperdb and the nightly job as subprocesses

PAPERDB = str(Path(sys.executable).parent / "paperdb")
NIGHTLY = ROOT / "scripts" / "nightly-import"
# Another program's write lock is waited out this long (PAPERDB_BUSY_TIMEOUT_MS), not 30 s.
QUICK = {**os.environ, "PAPERDB_BUSY_TIMEOUT_MS": "200"}
SAMPLE_PAPERS = 16
NEW_PAPERS = 300


@pytest.fixture
def db(samples_db, tmp_path) -> Path:
    """A copy of the samples database in a folder of its own, with the lock file every import leaves beside it."""
    (tmp_path / "data").mkdir()
    path = copied(samples_db, tmp_path / "data" / "p.db")
    Path(f"{path}.lock").touch()
    return path


@pytest.fixture
def new_file(tmp_path) -> Path:
    """A JSON Lines file of NEW_PAPERS papers none of the samples has."""
    path = tmp_path / "new.jsonl"
    path.write_text(
        "".join(
            json.dumps(
                {
                    "title": f"Sparse widget routing, part {i}",
                    "authors": [f"Family{i}, Given"],
                    "abstract": f"Widget {i} routes sparse attention over long contexts.",
                    "year": 2000 + i % 20,
                }
            )
            + "\n"
            for i in range(NEW_PAPERS)
        )
    )
    return path


def paperdb(db, *args, env=QUICK, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [PAPERDB, "--db", str(db), *map(str, args)], capture_output=True, text=True, env=env, timeout=120, **kwargs
    )


def nightly(db, incoming: Path, env=QUICK) -> subprocess.CompletedProcess:
    incoming.mkdir(exist_ok=True)
    return subprocess.run(
        [str(NIGHTLY), "--db", str(db), "--incoming", str(incoming)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def refused(done: subprocess.CompletedProcess, code: int, *words: str) -> str:
    """Assert `paperdb` ended with `code` and one `Error:` line (its last) holding `words`; return the line."""
    lines = done.stderr.splitlines()
    assert done.returncode == code, done.stderr
    assert "Traceback" not in done.stderr and lines and lines[-1].startswith("Error: "), done.stderr
    assert [line for line in lines if line.startswith("Error: ")] == lines[-1:], done.stderr
    assert all(w in lines[-1] for w in words), lines[-1]
    return lines[-1]


def stopped(done: subprocess.CompletedProcess, code: int, *words: str) -> str:
    """Assert the nightly job ended with `code`, logged why (holding `words`) and said so in its summary and report."""
    assert done.returncode == code, done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    summary, report = done.stdout.splitlines()
    assert summary.startswith("stopped: ") and all(w in summary for w in words), summary
    assert json.loads(report) | {"seconds": 0} == {
        "status": "stopped",
        "error": summary.removeprefix("stopped: "),
        "exit_code": code,
        "seconds": 0,
    }
    assert f"ERROR {summary}" in done.stderr.splitlines()[-1]
    return summary


def quick_check(db) -> list[tuple]:
    return query(db, "PRAGMA quick_check")


def dump(db, *, but: str = "") -> list[str]:
    """The whole database as SQL (without the rows of table `but`)."""
    with closing(sqlite3.connect(db)) as conn:
        return [line for line in conn.iterdump() if not (but and line.startswith(f'INSERT INTO "{but}"'))]


@contextmanager
def held_write_lock(db):
    """Another program (the sqlite3 shell, a script) inside `BEGIN IMMEDIATE` on the database."""
    with closing(sqlite3.connect(db, isolation_level=None)) as conn:
        conn.execute("BEGIN IMMEDIATE")
        yield
        conn.execute("ROLLBACK")


@contextmanager
def read_only(path: Path):
    """`path` (a file or a folder) read-only for this process. Root ignores file modes, so as root
    the file is made immutable (`chattr +i`); the test is skipped where that is not possible."""
    if os.geteuid() != 0:
        mode = path.stat().st_mode
        path.chmod(0o555 if path.is_dir() else 0o444)
        restore = ["chmod", oct(mode & 0o7777)[2:], str(path)]
    elif shutil.which("chattr") and subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode == 0:
        restore = ["chattr", "-i", str(path)]
    else:
        pytest.skip("running as root, which writes read-only files, and chattr +i is not available here")
    try:
        yield
    finally:
        subprocess.run(restore, check=True)


# --- 1. another program's write lock --------------------------------------------------


def test_another_programs_write_lock_is_75_and_says_it_is_not_an_import(db, new_file, tmp_path):
    before = snapshot(db)
    with held_write_lock(db):
        line = refused(
            paperdb(db, "import", new_file),
            75,
            "locked by another program's write transaction",
            "not a paperdb import",
            "waited 200 ms",
            "try again later",
        )
        assert refused(paperdb(db, "migrate"), 75) == line
        summary = stopped(nightly(db, tmp_path / "incoming"), 75, "another program's write transaction")
        searched = paperdb(db, "search", "verify step", "--format", "json")  # readers are never blocked
    assert (
        searched.returncode == 0 and json.loads(searched.stdout.splitlines()[0])["title"] == "Let's Verify Step by Step"
    )
    with import_lock(db):
        other_import = stopped(nightly(db, tmp_path / "incoming"), 75, "another import is running")
    assert "another program" not in other_import and "another import" not in summary
    assert snapshot(db) == before and quick_check(db) == [("ok",)]


def test_a_busy_timeout_that_is_not_a_number_is_a_usage_error(db):
    refused(
        paperdb(db, "stats", env={**QUICK, "PAPERDB_BUSY_TIMEOUT_MS": "soon"}),
        2,
        "$PAPERDB_BUSY_TIMEOUT_MS must be a whole number of milliseconds, not 'soon'",
    )


# --- 2. read-only file or folder ------------------------------------------------------


def test_a_read_only_database_file_is_77_for_writers_and_still_read(db, new_file, tmp_path):
    older = copied(db, tmp_path / "data" / "older.db")
    migrate(older, "-1")
    before, older_before = dump(db), snapshot(older)
    with read_only(db), read_only(older):
        refused(paperdb(db, "import", new_file), 77, f"{db} is read-only")
        refused(paperdb(older, "migrate"), 77, f"{older} is read-only")
        stopped(nightly(db, tmp_path / "incoming"), 77, f"{db} is read-only")
        counted = paperdb(db, "sql", "SELECT count(*) AS papers FROM papers", "--format", "json")
    assert counted.returncode == 0 and json.loads(counted.stdout) == {"papers": SAMPLE_PAPERS}
    assert dump(db) == before and snapshot(older) == older_before
    assert quick_check(db) == quick_check(older) == [("ok",)]


def test_a_read_only_folder_is_77_for_every_command(db, new_file, tmp_path):
    before = snapshot(db)
    folder = db.parent
    with read_only(folder):
        why = f"its folder {folder} is read-only, and SQLite needs to create p.db-wal and p.db-shm there"
        for args in (["import", new_file], ["search", "verify"], ["sql", "SELECT 1"], ["migrate"]):
            refused(paperdb(db, *args), 77, why)
        stopped(nightly(db, tmp_path / "incoming"), 77, "read-only")
        refused(paperdb(folder / "q.db", "import", new_file), 77, f"{folder}/q.db.lock", "read-only")
    assert snapshot(db) == before and quick_check(db) == [("ok",)]


# --- 3. --db names a folder -----------------------------------------------------------


def test_a_folder_as_the_database_is_a_usage_error(tmp_path, new_file):
    folder = tmp_path / "papers"
    folder.mkdir()
    for args in (["import", new_file], ["search", "verify"], ["migrate"]):
        refused(paperdb(folder, *args), 2, f"'{folder}' is a directory")
    refused(
        subprocess.run(
            [PAPERDB, "stats"], capture_output=True, text=True, timeout=60, env={**QUICK, "PAPERDB_DB": str(folder)}
        ),
        2,
        "is a directory",
    )
    stopped(nightly(folder, tmp_path / "incoming"), 2, f"{folder} is a directory, not a database file")
    assert list(folder.iterdir()) == []


# --- 4. not a SQLite database ---------------------------------------------------------


@pytest.mark.parametrize(
    "content", [random.Random(4).randbytes(64 * 1024), b"Family, Given\nNot a database\n"], ids=["random bytes", "text"]
)
def test_a_file_that_is_not_a_database_is_65_and_left_alone(tmp_path, new_file, content):
    db = tmp_path / "p.db"
    db.write_bytes(content)
    for args in (["import", new_file], ["search", "verify"], ["sql", "SELECT 1"], ["stats"], ["migrate"]):
        refused(paperdb(db, *args), 65, f"{db} is not a SQLite database")
    stopped(nightly(db, tmp_path / "incoming"), 65, f"{db} is not a SQLite database")
    assert db.read_bytes() == content


def test_another_programs_sqlite_database_is_65_and_left_alone(tmp_path, new_file):
    db = tmp_path / "notes.db"
    with closing(sqlite3.connect(db)) as conn, conn:
        conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
        conn.execute("INSERT INTO notes (body) VALUES ('keep me')")
    before = db.read_bytes()
    for args in (["import", new_file], ["search", "verify"], ["stats"], ["author", "Schulman"], ["migrate"]):
        refused(paperdb(db, *args), 65, f"{db} is a SQLite database but not paperdb's (tables notes;")
    stopped(nightly(db, tmp_path / "incoming"), 65, "not paperdb's")
    assert db.read_bytes() == before and query(db, "SELECT body FROM notes") == [("keep me",)]


def test_an_empty_database_file_asks_for_an_import_first(tmp_path):
    db = tmp_path / "empty.db"
    db.touch()
    for args in (["search", "verify"], ["stats"], ["paper", "1"]):
        refused(paperdb(db, *args), 2, f"{db} holds no papers yet: run `paperdb import` first")
    assert db.read_bytes() == b""


def test_serve_refuses_with_the_same_lines_and_codes(tmp_path):
    folder = tmp_path / "papers"
    folder.mkdir()
    refused(paperdb(folder, "serve"), 2, f"'{folder}' is a directory")
    garbage = tmp_path / "p.db"
    garbage.write_bytes(b"Family, Given\nNot a database\n")
    refused(paperdb(garbage, "serve"), 65, f"{garbage} is not a SQLite database")


# --- 5. a database from a newer paperdb -----------------------------------------------


def test_a_database_from_a_newer_paperdb_is_78_and_nothing_is_written(db, new_file, tmp_path):
    with closing(sqlite3.connect(db)) as conn, conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999'")
    before = snapshot(db)
    why = (
        f"{db} was written by a newer paperdb (schema revision 9999; this one knows revisions up to {head_revision()})"
    )
    for args in (["import", new_file], ["migrate"], ["migrate", "--revision", "-1"]):
        done = paperdb(db, *args)
        refused(done, 78, why, "upgrade paperdb")
        assert len(done.stderr.splitlines()) == 1  # no "upgrading the schema" notice before it
    stopped(nightly(db, tmp_path / "incoming"), 78, why)
    assert snapshot(db) == before and quick_check(db) == [("ok",)]
    assert query(db, "SELECT version_num FROM alembic_version") == [("9999",)]


def test_an_unknown_target_revision_is_a_usage_error(db):
    before = snapshot(db)
    refused(paperdb(db, "migrate", "--revision", "9999"), 2, "Can't locate revision identified by '9999'")
    assert snapshot(db) == before


# --- 6. corruption --------------------------------------------------------------------


def page_of(db: Path, table: str, *, leaf: bool) -> tuple[int, int]:
    """(offset, size) in the file of `table`'s root page, or (leaf) of the last leaf under it."""
    with closing(sqlite3.connect(db)) as conn:
        page = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (table,)).fetchone()[0]
        size = conn.execute("PRAGMA page_size").fetchone()[0]
    with db.open("rb") as f:
        f.seek((page - 1) * size)
        header = f.read(12)
    if leaf:
        assert header[0] == 0x05, "an interior table page: the table spans several pages"
        page = int.from_bytes(header[8:12], "big")  # its right-most child
    assert page > 1
    return (page - 1) * size, size


def overwrite(db: Path, offset: int, data: bytes) -> None:
    with db.open("r+b") as f:
        f.seek(offset)
        f.write(data)


def test_the_nightly_integrity_check_finding_a_corrupt_page_is_65(db, tmp_path):
    offset, _ = page_of(db, "abstracts", leaf=True)
    overwrite(db, offset + 1, b"\x00\x09")  # the page's first free block, pointing into its own header
    (problem,) = [r[0] for r in quick_check(db)]
    assert "free space corruption" in problem
    done = nightly(db, tmp_path / "incoming")
    assert done.returncode == 65 and "Traceback" not in done.stderr, done.stderr
    assert "ERROR integrity check failed: quick_check: *** in database main ***" in done.stderr
    summary, report = done.stdout.splitlines()
    assert summary.startswith("nothing new") and json.loads(report)["integrity"] == [f"quick_check: {problem}"]


def test_a_malformed_database_is_65_for_every_command(db, new_file, tmp_path):
    offset, size = page_of(db, "abstracts", leaf=False)
    overwrite(db, offset, b"\xff" * 16)  # no b-tree page type: SQLite says "malformed"
    counts = "SELECT (SELECT count(*) FROM papers), (SELECT count(*) FROM source_files), (SELECT count(*) FROM rejects)"
    before = query(db, counts)
    why = f"{db} is corrupt (database disk image is malformed): restore it from a backup"
    refused(paperdb(db, "import", new_file), 65, why)
    refused(paperdb(db, "paper", "Let's Verify Step by Step"), 65, why)
    refused(paperdb(db, "sql", "SELECT text FROM abstracts"), 65, why)
    (tmp_path / "incoming").mkdir()
    shutil.copy(new_file, tmp_path / "incoming")
    stopped(nightly(db, tmp_path / "incoming"), 65, why)
    assert query(db, counts) == before == [(SAMPLE_PAPERS, 2, 0)]
    with pytest.raises(sqlite3.DatabaseError, match="malformed"):
        quick_check(db)


# --- 7. the disk or a size limit runs out ---------------------------------------------


def test_a_size_limit_running_out_mid_import_is_74_rolls_back_and_the_next_run_loads(db, new_file):
    before = dump(db, but="import_runs")

    def limited():  # as `ulimit -f 256`: no file may grow past 256 KiB (the WAL included)
        resource.setrlimit(resource.RLIMIT_FSIZE, (256 * 1024, 256 * 1024))

    refused(
        paperdb(db, "import", new_file, preexec_fn=limited),
        74,
        f"{db}: disk I/O error",
        "a file size limit reached",
        "any unfinished write was rolled back",
    )
    assert dump(db, but="import_runs") == before and quick_check(db) == [("ok",)]
    assert query(db, "SELECT status, finished_at FROM import_runs ORDER BY id DESC LIMIT 1") == [("running", None)]
    done = paperdb(db, "import", new_file)
    assert done.returncode == 0 and done.stdout.startswith("1 files (1 new,"), done.stderr
    assert query(db, "SELECT count(*) FROM papers") == [(SAMPLE_PAPERS + NEW_PAPERS,)]


def test_a_full_database_rolls_back_its_transaction_and_is_74(db):
    with closing(connect(db)) as conn:
        conn.execute(f"PRAGMA max_page_count = {conn.execute('PRAGMA page_count').fetchone()[0]}")
        with pytest.raises(sqlite3.OperationalError, match="database or disk is full") as raised:
            with write_transaction(conn):  # SQLite has rolled it back already: no "cannot rollback" instead
                conn.execute(
                    "INSERT INTO rejects (run_id, path, line, raw, reason, created_at) "
                    "VALUES (1, 'x', 1, ?, 'big', 'now')",
                    ("x" * 100_000,),
                )
        assert not conn.in_transaction
    error = refusal(raised.value, db)
    assert (error.exit_code, str(error)) == (
        74,
        f"{db}: database or disk is full (the disk, or a file size limit, "
        "is full); any unfinished write was rolled back",
    )
    assert query(db, "SELECT count(*) FROM rejects") == [(0,)]

"""The nightly job end to end: scripts/nightly-import as a subprocess on real files."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
import threading
import time

import pytest

from app.lock import import_lock
from tests.conftest import ROOT, SAMPLES, query

pytestmark = pytest.mark.slow  # the nightly job end to end, as subprocesses

SCRIPT = ROOT / "scripts" / "nightly-import"


def nightly(tmp_path, *args, timeout=300):
    return subprocess.run(
        [str(SCRIPT), "--incoming", str(tmp_path / "incoming"), "--db", str(tmp_path / "p.db"), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def incoming(tmp_path):
    folder = tmp_path / "incoming"
    folder.mkdir(exist_ok=True)
    return folder


def report_of(done) -> dict:
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_first_run_loads_second_run_says_nothing_new(tmp_path):
    for f in SAMPLES.iterdir():
        shutil.copy(f, incoming(tmp_path))
    first = nightly(tmp_path)
    assert first.returncode == 0, first.stderr
    assert report_of(first)["files"] == {"seen": 2, "new": 2, "changed": 0, "skipped": 0, "rejected": 0, "failed": 0}
    assert report_of(first)["papers"]["added"] == 16 and report_of(first)["integrity"] == "ok"
    assert "INFO resolve: 508 blocks in " in first.stderr  # a line per phase in the log
    second = nightly(tmp_path)
    assert second.returncode == 0
    assert second.stdout.startswith("nothing new: 2 files already loaded")
    assert report_of(second)["files"]["skipped"] == 2
    assert query(tmp_path / "p.db", "SELECT count(*) FROM papers") == [(16,)]


def test_a_changed_file_replaces_its_contribution(tmp_path):
    f = incoming(tmp_path) / "papers.jsonl"
    f.write_text(json.dumps({"title": "Old Title Paper", "authors": ["Smith, Jane"]}) + "\n")
    assert nightly(tmp_path).returncode == 0
    f.write_text(json.dumps({"title": "New Title Paper", "authors": ["Smith, Jane"]}) + "\n")
    done = nightly(tmp_path)
    assert done.returncode == 0
    assert report_of(done)["files"]["changed"] == 1 and report_of(done)["papers"]["removed"] == 1
    assert query(tmp_path / "p.db", "SELECT title FROM papers") == [("New Title Paper",)]


def test_a_second_instance_exits_75_while_the_lock_is_held(tmp_path):
    incoming(tmp_path)
    with import_lock(tmp_path / "p.db"):
        done = nightly(tmp_path)
    assert done.returncode == 75
    assert "another import is running" in done.stderr
    assert not (tmp_path / "p.db").exists()


def test_rejected_records_exit_1_and_the_rest_loads(tmp_path):
    folder = incoming(tmp_path)
    (folder / "a.txt").write_text("Abstract:A fine abstract.\nnot an abstract line\n")
    (folder / "b.bin").write_bytes(bytes(range(256)) * 8)
    done = nightly(tmp_path)
    assert done.returncode == 1, done.stderr
    assert report_of(done)["records"] == {"loaded": 1, "rejected": 2}
    assert "rejected" in done.stderr and "a.txt:2" in done.stderr
    assert query(tmp_path / "p.db", "SELECT line, reason FROM rejects ORDER BY path") == [
        (2, "line does not start with 'Abstract:'"),
        (None, "file is binary, not a text dump"),
    ]


def test_backups_are_valid_databases_and_only_the_newest_are_kept(tmp_path):
    folder = incoming(tmp_path)
    for i in range(4):
        (folder / f"{i}.txt").write_text(f"Abstract:Abstract number {i}.\n")
        assert nightly(tmp_path, "--keep-backups", "2").returncode == 0
    backups = sorted((tmp_path / "backups").glob("*.db"))
    assert len(backups) == 2
    conn = sqlite3.connect(backups[-1])
    assert conn.execute("PRAGMA quick_check").fetchall() == [("ok",)]
    assert conn.execute("SELECT count(*) FROM papers").fetchone() == (3,)  # taken before the 4th file
    conn.close()


def test_readers_see_no_error_during_a_large_import(tmp_path):
    corpus = tmp_path / "incoming"
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "generate_corpus.py"),
            "--papers",
            "3000",
            "--out",
            str(corpus),
            "--papers-per-file",
            "1000",
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    for f in SAMPLES.iterdir():
        shutil.copy(f, corpus)
    seed = subprocess.run(
        [str(SCRIPT), "--incoming", str(SAMPLES), "--db", str(tmp_path / "p.db")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert seed.returncode == 0, seed.stderr
    errors, counts, stop = [], [], threading.Event()

    def read():
        conn = sqlite3.connect(tmp_path / "p.db", timeout=30)
        while not stop.is_set():
            try:
                n = conn.execute("SELECT count(*) FROM papers").fetchone()[0]
                conn.execute(
                    "SELECT rowid FROM paper_search_fts WHERE paper_search_fts MATCH 'model' LIMIT 5"
                ).fetchall()
                counts.append(n)
            except sqlite3.Error as e:
                errors.append(repr(e))
            time.sleep(0.01)
        conn.close()

    reader = threading.Thread(target=read)
    reader.start()
    try:
        done = nightly(tmp_path, timeout=600)
    finally:
        stop.set()
        reader.join()
    assert done.returncode == 0, done.stderr
    assert errors == []
    assert len(counts) > 10 and counts[0] >= 16
    # Readers only ever see whole files: every count they saw is a committed state.
    assert counts == sorted(counts) and counts[-1] == query(tmp_path / "p.db", "SELECT count(*) FROM papers")[0][0]

"""The `paperdb` command, through click's runner and once as the installed program."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from app.cli import main
from app.db import current_revision, head_revision, migrate
from tests.conftest import LAST_NIGHT_NS, SAMPLES, copy_dump, query, same_size_edit


def run(*args, env=None):
    return CliRunner().invoke(main, [str(a) for a in args], env=env)


def test_import_then_stats_and_search(tmp_path):
    db = tmp_path / "p.db"
    result = run("--db", db, "import", SAMPLES)
    assert result.exit_code == 0, result.output
    assert "2 files (2 new, 0 changed, 0 skipped, 0 rejected, 0 failed); 19 records loaded, 0 rejected" in result.output
    stats = json.loads(run("--db", db, "stats", "--json").output)
    assert stats["counts"]["papers"] == 16 and stats["counts"]["papers_without_title"] == 6
    assert stats["last_imports"][0]["files_loaded"] == 2
    hits = [json.loads(line) for line in run("--db", db, "search", "verify", "--json").output.splitlines()]
    assert hits[0]["title"] == "Let's Verify Step by Step"


def test_database_from_the_environment(tmp_path):
    db = tmp_path / "env.db"
    result = run("import", SAMPLES / "000_ab84cb6c7356e036.txt", env={"PAPERDB_DB": str(db)})
    assert result.exit_code == 0, result.output
    assert query(db, "SELECT count(*) FROM papers") == [(9,)]


def test_second_import_says_nothing_new(tmp_path):
    db = tmp_path / "p.db"
    run("--db", db, "import", SAMPLES)
    result = run("--db", db, "import", SAMPLES)
    assert result.exit_code == 0
    assert result.output.strip().splitlines()[-1].startswith("nothing new: 2 files already loaded")


def test_rehash_reads_files_whose_size_and_time_are_unchanged(tmp_path):
    db, dump = tmp_path / "p.db", copy_dump(tmp_path)
    run("--db", db, "import", dump)
    same_size_edit(dump, LAST_NIGHT_NS)
    assert f"skipped  {dump}" in run("--db", db, "import", dump).output
    result = run("--db", db, "import", "--rehash", dump)
    assert result.exit_code == 0 and f"changed  {dump}" in result.output
    assert query(db, "SELECT title FROM papers WHERE title LIKE '%Stop'") == [("Let's Verify Step by Stop",)]


def test_an_import_says_when_it_upgrades_the_schema_first(tmp_path):
    db = tmp_path / "p.db"
    run("--db", db, "import", SAMPLES / "000_ab84cb6c7356e036.txt")
    assert "upgrading the schema" not in run("--db", db, "import", SAMPLES).output  # new databases say nothing
    migrate(db, "-1")
    before = current_revision(db)
    result = run("--db", db, "import", SAMPLES)
    assert result.exit_code == 0, result.output
    assert f"{db}: upgrading the schema from {before} to {head_revision()} first" in result.output
    assert current_revision(db) == head_revision()
    assert "upgrading the schema" not in run("--db", db, "import", SAMPLES).output


def test_errors_are_one_line_not_a_traceback(tmp_path):
    result = run("--db", tmp_path / "missing.db", "search", "x")
    assert result.exit_code == 2
    assert "no database at" in result.output and "Traceback" not in result.output
    result = run("--db", tmp_path / "p.db", "import", tmp_path / "nope.txt")
    assert result.exit_code == 2 and "does not exist" in result.output


def test_empty_search_is_a_clear_error(samples_db):
    result = run("--db", samples_db, "search", "  ")
    assert result.exit_code == 2 and "empty query" in result.output


def test_every_command_has_help_with_an_example():
    for name in main.commands:
        result = run(name, "--help")
        assert result.exit_code == 0 and "Example:" in result.output, name


@pytest.mark.slow
def test_installed_program_runs_as_a_subprocess(tmp_path):
    exe = shutil.which("paperdb", path=str(Path(sys.executable).parent)) or shutil.which("paperdb")
    assert exe, "paperdb is not installed in this environment"
    db = tmp_path / "p.db"
    env = {**os.environ, "PAPERDB_DB": str(db)}
    done = subprocess.run([exe, "import", str(SAMPLES)], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    done = subprocess.run([exe, "search", "mely"], capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0 and "GPT-4" in done.stdout

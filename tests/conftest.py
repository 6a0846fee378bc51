"""Shared fixtures: real SQLite files in tmp dirs, built from the bundled sample dumps."""

from __future__ import annotations

import importlib.util
import json
import os
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import pytest

from app.etl.load import run_import
from app.search import embedding

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "data" / "samples"
PROFILE_DUMP = SAMPLES / "003_813f7c278c729ce1.txt"
ABSTRACTS_DUMP = SAMPLES / "000_ab84cb6c7356e036.txt"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
# Real data beside the checkout (CI has it; a fresh clone does not): the `realdata` tests use it.
REALDATA = ROOT.parent / "shared" / "realdata"


def pytest_collection_modifyitems(config, items):
    """Skip the `realdata` tests, saying why, when the real data is not beside the checkout."""
    if REALDATA.is_dir():
        return
    skip = pytest.mark.skip(reason=f"real data not found at {REALDATA} (only beside a full checkout)")
    for item in items:
        if "realdata" in item.keywords:
            item.add_marker(skip)


# Tests of what only the optional extra's model can do.
needs_model = pytest.mark.skipif(not embedding.available(), reason="needs the extra: pip install 'paperdb[semantic]'")


def without_the_extra(monkeypatch) -> None:
    """Make the embedding model's package look uninstalled, as on an install without `paperdb[semantic]`."""
    find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        embedding.importlib.util,
        "find_spec",
        lambda name, *a: None if name == embedding.MODEL_PACKAGE else find_spec(name, *a),
    )


# A modification time well in the past, as a dump downloaded last night has.
LAST_NIGHT_NS = 1_700_000_000 * 10**9


def copy_dump(tmp_path) -> Path:
    """A copy of the profile dump, last modified LAST_NIGHT_NS."""
    dump = tmp_path / "dump.txt"
    dump.write_bytes(PROFILE_DUMP.read_bytes())
    os.utime(dump, ns=(LAST_NIGHT_NS, LAST_NIGHT_NS))
    return dump


def same_size_edit(dump, mtime_ns: int) -> None:
    """Change one title to another of the same length, then set the modification time."""
    text = dump.read_bytes()
    dump.write_bytes(text.replace(b"Let's Verify Step by Step", b"Let's Verify Step by Stop"))
    assert dump.stat().st_size == len(text)
    os.utime(dump, ns=(mtime_ns, mtime_ns))


def script_module(name: str):
    """A script of scripts/ as a module (scripts/ is not a package)."""
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def query(db: Path, sql: str, params=()) -> list[tuple]:
    """Rows of a query on a fresh connection, as plain tuples."""
    conn = sqlite3.connect(db)
    try:
        return [tuple(r) for r in conn.execute(sql, params)]
    finally:
        conn.close()


def copied(src: Path, dst: Path) -> Path:
    """A copy of a database through SQLite's backup API: a file copy would miss what is still in the WAL."""
    with closing(sqlite3.connect(src)) as a, closing(sqlite3.connect(dst)) as b:
        a.backup(b)
    return dst


def searched(pdb, text: str, **kwargs) -> tuple[list, list[str]]:
    """The hits of a `PaperDB` search (as dicts) and the SQL statements it ran on its connection."""
    statements = []
    pdb.conn.set_trace_callback(statements.append)
    try:
        return [h.as_dict() for h in pdb.search(text, **kwargs)], statements
    finally:
        pdb.conn.set_trace_callback(None)


def db_content(db) -> dict:
    """Everything a user sees, without ids or timestamps."""
    papers = query(
        db,
        """
        SELECT p.title, p.year,
               (SELECT group_concat(text, '|') FROM (SELECT text FROM abstracts WHERE paper_id = p.id ORDER BY text)),
               (SELECT group_concat(a.name, '|') FROM (SELECT a.name FROM authorships s JOIN authors a
                  ON a.id = s.author_id WHERE s.paper_id = p.id ORDER BY s.position) a)
        FROM papers p""",
    )
    authors = query(
        db,
        """
        SELECT a.name, a.is_organization, a.paper_count,
               (SELECT group_concat(name || ':' || count, '|') FROM (SELECT name, count FROM author_names
                  WHERE author_id = a.id ORDER BY name))
        FROM authors a""",
    )
    return {"papers": sorted(papers, key=repr), "authors": sorted(authors, key=repr)}


def generate_corpus(out: Path, papers: int, per_file: int, seed: int = 1) -> Path:
    """A generated corpus of dumps (scripts/generate_corpus.py); its manifest is hidden, so imports skip it."""
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "generate_corpus.py"),
            "--papers",
            str(papers),
            "--out",
            str(out),
            "--papers-per-file",
            str(per_file),
            "--seed",
            str(seed),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return out


def served(*dbs: Path):
    """A Datasette serving these paperdb databases, with their metadata and paperdb's plugin."""
    from datasette.app import Datasette
    from datasette.plugins import pm

    import app.browse
    from app.datasette_metadata import metadata

    # Installed, the entry point registers the plugin; a checkout not reinstalled since it was
    # added registers it here, as the entry point would.
    if pm.get_plugin("paperdb") is None:
        pm.register(app.browse, name="paperdb")
    return Datasette([str(db) for db in dbs], metadata=metadata(dbs[0].stem))


@pytest.fixture(scope="session")
def samples_db(tmp_path_factory) -> Path:
    """The sample dumps imported once into a database; tests must not write to it."""
    db = tmp_path_factory.mktemp("samples") / "papers.db"
    report = run_import(db, [SAMPLES])
    assert report.status == "ok", report.as_dict()
    return db


@pytest.fixture(scope="session")
def formats_db(tmp_path_factory) -> Path:
    """Every real export in tests/fixtures/formats imported into one database (2,364 papers with
    years and venues, from BibTeX, RIS, CSL-JSON, Crossref, OpenAlex, arXiv and PubMed); read-only."""
    db = tmp_path_factory.mktemp("formats") / "formats.db"
    run_import(db, [FIXTURES / "formats"])
    return db


MANNING_PAPERS = [
    {"title": "Parsing One", "year": 2012, "authors": ["Manning, Christopher D.", "Bauer, John", "Socher, Richard"]},
    {"title": "Parsing Two", "year": 2013, "authors": ["Manning, Christopher D.", "Socher, Richard"]},
    {"title": "Parsing Three", "year": 2014, "authors": ["Manning, Christopher D.", "Angeli, Gabor"]},
    {"title": "Tagging", "year": 2015, "authors": ["Manning, Chris", "Bauer, John"]},
    {"title": "Retrieval", "year": 2016, "authors": ["Manning, Sarah", "Doe, Jane"]},
]


@pytest.fixture(scope="module")
def manning_db(tmp_path_factory):
    """Christopher D. Manning on three papers, Chris Manning on one (a co-author shared), another Manning."""
    folder = tmp_path_factory.mktemp("manning")
    papers = folder / "papers.jsonl"
    papers.write_text("".join(json.dumps(p) + "\n" for p in MANNING_PAPERS), encoding="utf-8")
    run_import(folder / "p.db", [papers])
    return folder / "p.db"

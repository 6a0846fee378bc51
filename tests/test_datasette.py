"""Datasette over a paperdb database, through Datasette's own test client: what a browser gets."""

from __future__ import annotations

import asyncio
import json

import pytest
from click.testing import CliRunner
from datasette.app import Datasette

import app.serve
from app.cli import main
from app.datasette_metadata import METADATA_JSON, VIEW, metadata, metadata_json
from app.db import current_revision, head_revision, migrate
from app.etl.load import run_import
from tests.conftest import query

VISIBLE = {
    "papers",
    "paper_ids",
    "authors",
    "author_names",
    "authorships",
    "abstracts",
    "import_runs",
    "source_files",
    "paper_sources",
    "name_repairs",
    "rejects",
    "author_merges",
    "author_candidates",
}


def datasette(db) -> Datasette:
    return Datasette([str(db)], metadata=metadata(db.stem))


def get(ds: Datasette, path: str):
    """The JSON of a GET, asserting it succeeded."""
    response = asyncio.run(ds.client.get(path))
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture(scope="module")
def ds(samples_db) -> Datasette:
    return datasette(samples_db)


def test_the_search_box_on_papers_searches_titles(ds):
    rows = get(ds, "/papers/papers.json?_search=verifier&_shape=array")
    assert [(r["id"], r["title"]) for r in rows] == [(2, "Let's Verify Step by Step")]


def test_papers_abstracts_and_authors_have_search_boxes(ds):
    tables = {t["name"]: t["fts_table"] for t in get(ds, "/papers.json")["tables"] if not t["hidden"]}
    # Datasette detects an index whose content is the table; the abstracts' is named by the metadata.
    assert {t: fts for t, fts in tables.items() if fts} == {"papers": "papers_fts", "authors": "authors_fts"}
    assert ds.table_metadata("papers", "abstracts")["fts_table"] == "paper_search_fts"
    boxes = {t for t in tables if 'name="_search"' in asyncio.run(ds.client.get(f"/papers/{t}")).text}
    assert boxes == {"papers", "abstracts", "authors"}
    assert [r["name"] for r in get(ds, "/papers/authors.json?_search=mely&_shape=array")] == ["David Mély"]
    assert [r["paper_id"] for r in get(ds, "/papers/abstracts.json?_search=web+browsing&_shape=array")] == [3]
    # Abstracts are indexed once, with their paper's title and authors: the box finds the
    # abstracts of the papers those match too (paper 2's title says "Verify").
    assert [r["paper_id"] for r in get(ds, "/papers/abstracts.json?_search=verifier&_shape=array")] == [2, 4]


def test_the_paper_view_shows_one_row_per_paper_with_authors_in_order(ds, samples_db):
    # The stemmed index also finds the abstract-only GSM8K paper, whose abstract says "verifiers".
    rows = get(ds, f"/papers/{VIEW}.json?_search=verifier&_shape=array")
    assert [(r["paper_id"], r["title"]) for r in rows] == [(2, "Let's Verify Step by Step"), (4, None)]
    row = rows[0]
    [(abstract,)] = query(samples_db, "SELECT text FROM abstracts WHERE paper_id = 2")
    assert row == {
        "paper_id": 2,
        "title": "Let's Verify Step by Step",
        "year": None,
        "venue": None,
        "authors": "Hunter Lightman, Vineet Kosaraju, Yura Burda, Harri Edwards, Bowen Baker, Teddy Lee, "
        "Jan Leike, John Schulman, Ilya Sutskever, Karl Cobbe",
        "abstract": abstract,
    }
    assert [r["paper_id"] for r in get(ds, f"/papers/{VIEW}.json?_shape=array&_size=max")] == list(range(1, 17))


def test_the_paper_view_searches_author_names_and_abstracts_too(ds):
    by_author = get(ds, f"/papers/{VIEW}.json?_search=cobbe&_shape=array")
    assert [r["paper_id"] for r in by_author] == [2, 3, 5]
    by_abstract = get(ds, f"/papers/{VIEW}.json?_search=browsing+environment&_shape=array")
    assert [r["title"] for r in by_abstract] == ["WebGPT: Browser-assisted question-answering with human feedback"]


def test_authors_are_faceted_by_organisation(ds):
    facet = get(ds, "/papers/authors.json?_size=0")["facet_results"]["is_organization"]["results"]
    assert [(f["value"], f["count"]) for f in facet] == [(0, 569), (1, 1)]


def canned(ds, query_name, **params) -> list[dict]:
    args = "".join(f"&{k}={v}" for k, v in params.items())
    return get(ds, f"/papers/{query_name}.json?_shape=array{args}")


def test_papers_of_an_author_match_any_spelling_and_ignore_accents(ds):
    achiam = [
        (r["paper_id"], r["position"], r["listed_as"], r["author"])
        for r in canned(ds, "papers_of_author", name="Josh+Achiam")
    ]
    assert achiam == [
        (11, 4, "Joshua Achiam", "Joshua Achiam"),
        (12, 205, "Joshua Achiam", "Joshua Achiam"),
        (13, 2, "Josh Achiam", "Joshua Achiam"),
    ]
    assert canned(ds, "papers_of_author", name="david+mely") == [
        {
            "paper_id": 12,
            "title": "GPT-4o System Card",
            "year": None,
            "position": 106,
            "listed_as": "David Mely",
            "author": "David Mély",
        },
        {
            "paper_id": 13,
            "title": "GPT-4 Technical Report",
            "year": None,
            "position": 168,
            "listed_as": "David Mély",
            "author": "David Mély",
        },
    ]
    assert canned(ds, "papers_of_author", name="") == []


def test_coauthors_of_an_author_with_counts(ds):
    rows = canned(ds, "coauthors", name="Dan+Hendrycks")
    assert [(r["name"], r["papers_together"]) for r in rows] == [
        ("Jacob Steinhardt", 1),
        ("John Schulman", 1),
        ("Nicholas Carlini", 1),
    ]
    top = [(r["name"], r["papers_together"]) for r in canned(ds, "coauthors", name="Jacob+Hilton")[:3]]
    assert top == [("John Schulman", 3), ("Karl Cobbe", 2), ("Benjamin Chess", 1)]


def test_papers_sharing_authors_with_a_paper(ds):
    rows = [(r["paper_id"], r["shared_authors"], r["shared"]) for r in canned(ds, "papers_sharing_authors", paper_id=5)]
    assert rows == [
        (3, 3, "Jacob Hilton, Karl Cobbe, John Schulman"),
        (2, 2, "Karl Cobbe, John Schulman"),
        (14, 2, "Jacob Hilton, John Schulman"),
        *[(p, 1, "John Schulman") for p in (10, 11, 12, 13, 15, 16)],
    ]


def test_last_imports_with_their_counts(ds):
    [run] = canned(ds, "last_imports")
    assert {k: v for k, v in run.items() if not k.endswith("_at")} == {
        "id": 1,
        "status": "ok",
        "files_seen": 2,
        "files_loaded": 2,
        "files_skipped": 0,
        "papers_added": 16,
        "papers_updated": 3,
        "papers_removed": 0,
        "authors_added": 570,
        "records_rejected": 0,
    }


def test_rejected_records(tmp_path):
    dump = tmp_path / "abstracts.txt"
    dump.write_text("Abstract:A first abstract, long enough.\nnot an abstract\n", encoding="utf-8")
    db = tmp_path / "papers.db"
    run_import(db, [dump])
    [reject] = canned(datasette(db), "rejected_records")
    assert {k: v for k, v in reject.items() if k != "created_at"} == {
        "id": 1,
        "run_id": 1,
        "path": str(dump.resolve()),
        "line": 2,
        "reason": "line does not start with 'Abstract:'",
        "raw": "not an abstract",
    }
    assert canned(datasette(db), "last_imports")[0]["status"] == "rejects"


def test_every_table_view_and_column_users_see_is_described(ds, samples_db):
    visible = [t["name"] for t in get(ds, "/papers.json")["tables"] if not t["hidden"]] + [VIEW]
    undescribed = []
    for table in visible:
        meta = ds.table_metadata("papers", table)
        columns = [r[0] for r in query(samples_db, f"SELECT name FROM pragma_table_info('{table}')")]
        undescribed += [table] * (not meta.get("description_html"))
        undescribed += [f"{table}.{c}" for c in columns if not meta.get("columns", {}).get(c)]
    assert undescribed == []


def test_fts_shadow_tables_and_internals_are_hidden(ds):
    tables = get(ds, "/papers.json")["tables"]
    assert {t["name"] for t in tables if not t["hidden"]} == VISIBLE
    hidden = {t["name"] for t in tables if t["hidden"]}
    fts = {f"{t}_fts" for t in ("papers", "authors", "paper_search")}
    shadows = {f"{f}_{s}" for f in fts for s in ("config", "data", "docsize", "idx")}
    assert hidden == fts | shadows | {
        "alembic_version",
        "fts_deferred",
        "deferred_indexes",
        "search_authors",
        "pending_blocks",
        "search_terms",
        "search_top",
        "search_top_source",
        "search_changes",
        "search_postings",
        "search_lengths",
        "search_formats",
        "override_blocks",
        "resolver_rules",
        "paper_vectors",
        "vector_model",
    }


def test_datasette_sees_an_import_made_while_it_serves(tmp_path):
    first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    first.write_text(json.dumps({"title": "First Paper", "authors": ["Roe, Jane"]}) + "\n", encoding="utf-8")
    second.write_text(json.dumps({"title": "Second Paper", "authors": ["Roe, Jane"]}) + "\n", encoding="utf-8")
    db = tmp_path / "papers.db"
    run_import(db, [first])
    ds = datasette(db)
    assert [r["title"] for r in get(ds, f"/papers/{VIEW}.json?_shape=array")] == ["First Paper"]
    run_import(db, [second])
    assert [r["title"] for r in get(ds, f"/papers/{VIEW}.json?_shape=array")] == ["First Paper", "Second Paper"]


def test_the_shipped_metadata_json_is_current():
    assert METADATA_JSON.read_text(encoding="utf-8") == metadata_json(), (
        "run `python -m app.datasette_metadata` to regenerate data/metadata.json"
    )


def test_serve_runs_datasette_on_the_database_mutable_with_the_metadata(tmp_path):
    db, meta = tmp_path / "papers.db", tmp_path / "metadata.json"
    cmd = app.serve.datasette_command(db, meta, "127.0.0.1", 8001, ("--setting", "sql_time_limit_ms", "5000"))
    assert cmd[1:] == [
        "-m",
        "datasette",
        "serve",
        str(db),
        "--metadata",
        str(meta),
        "--host",
        "127.0.0.1",
        "--port",
        "8001",
        "--setting",
        "default_cache_ttl",
        "0",
        "--setting",
        "sql_time_limit_ms",
        "5000",
    ]


def test_pages_name_the_database_served_and_never_call_it_the_sample(samples_db):
    page = asyncio.run(datasette(samples_db).client.get("/")).text
    assert "papers (paperdb)" in page and "source_files table lists each one" in page and "sample" not in page
    titled = Datasette([str(samples_db)], metadata=metadata(samples_db.stem, title="Our lab's papers"))
    assert "<title>Our lab&#39;s papers" in asyncio.run(titled.client.get("/")).text


def test_serve_first_brings_an_older_database_to_the_current_schema_in_wal_mode(tmp_path):
    db = tmp_path / "papers.db"
    migrate(db, "0002")
    app.serve.prepare(db)
    assert current_revision(db) == head_revision()
    assert query(db, "SELECT type FROM sqlite_master WHERE name = ?", (VIEW,)) == [("view",)]
    assert query(db, "PRAGMA journal_mode") == [("wal",)]


def test_serve_without_a_database_says_to_import_first(tmp_path):
    result = CliRunner().invoke(main, ["--db", str(tmp_path / "none.db"), "serve"])
    assert result.exit_code == 2 and "run `paperdb import` first" in result.output


def test_serve_without_datasette_says_how_to_install_it(tmp_path, monkeypatch):
    find_spec = app.serve.importlib.util.find_spec
    monkeypatch.setattr(
        app.serve.importlib.util, "find_spec", lambda name: None if name == "datasette" else find_spec(name)
    )
    result = CliRunner().invoke(main, ["--db", str(tmp_path / "p.db"), "serve"])
    assert result.exit_code == 1 and "pip install '.[datasette]'" in result.output


def test_serve_help_has_an_example():
    assert "Example:" in CliRunner().invoke(main, ["serve", "--help"]).output

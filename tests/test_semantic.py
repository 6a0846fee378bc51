"""Semantic search: vectors kept by the import, `related`, the search modes, and an install without the extra."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import sqlite3
from contextlib import closing

import numpy as np
import pytest
from click.testing import CliRunner

from app.cli import main
from app.db import migrate
from app.etl.load import run_import
from app.query import PaperDB, QueryError
from app.search import embedding
from app.search.semantic import RRF_K, fuse
from tests.conftest import needs_model, query, served, without_the_extra

PAPERS = [
    {
        "doi": "10.1/a",
        "title": "Protein structure prediction",
        "abstract": "We predict how proteins fold.",
        "year": 2020,
    },
    {"doi": "10.1/b", "title": "Parsing with neural networks", "abstract": "A parser for sentences.", "year": 2019},
    {"doi": "10.1/c", "title": "Bird migration routes", "abstract": "Where birds fly in winter.", "venue": "Ecology"},
]


def write(path, papers) -> str:
    path.write_text("".join(json.dumps(p) + "\n" for p in papers), encoding="utf-8")
    return str(path)


def vectors(db) -> dict[str, tuple[int, bytes]]:
    """Each paper's (text hash, vector), by DOI."""
    return {
        doi: (digest, blob)
        for doi, digest, blob in query(
            db,
            "SELECT i.value, v.text_hash, v.vector FROM paper_vectors v "
            "JOIN paper_ids i ON i.paper_id = v.paper_id AND i.scheme = 'doi'",
        )
    }


def test_fusion_adds_the_reciprocal_ranks_and_breaks_ties_by_id():
    assert fuse([[7, 3, 5], [3, 9]], depth=100) == [
        (3, 1 / (RRF_K + 2) + 1 / (RRF_K + 1)),
        (7, 1 / (RRF_K + 1)),
        (9, 1 / (RRF_K + 2)),
        (5, 1 / (RRF_K + 3)),
    ]
    assert fuse([[4], [2]], depth=100) == [(2, 1 / (RRF_K + 1)), (4, 1 / (RRF_K + 1))]
    assert fuse([[1, 2, 3]], depth=2) == [(1, 1 / (RRF_K + 1)), (2, 1 / (RRF_K + 2))]


@needs_model
def test_stored_vectors_give_back_the_models_vectors(tmp_path):
    db = tmp_path / "p.db"
    run_import(db, [write(tmp_path / "a.jsonl", PAPERS)])
    stored = query(
        db, "SELECT s.title, s.abstract, v.vector, v.scale FROM paper_vectors v JOIN paper_search s USING (paper_id)"
    )
    assert len(stored) == 3 and {len(blob) for _, _, blob, _ in stored} == {embedding.DIMENSIONS}
    exact = embedding.embed([embedding.paper_text(title, abstract) for title, abstract, _, _ in stored])
    back = embedding.int8_rows([blob for *_, blob, _ in stored]) * np.array([[scale] for *_, scale in stored])
    assert np.abs(back - exact).max() < 0.003  # half a step of int8 at most
    assert np.all(np.sum(exact * back, axis=1) > 0.999)
    assert query(db, "SELECT model, dimensions, run_id FROM vector_model") == [(embedding.model_id(), 256, 1)]


@needs_model
def test_the_import_embeds_only_new_and_changed_papers_and_deleted_ones_lose_their_vectors(tmp_path):
    db = tmp_path / "p.db"
    first = run_import(db, [write(tmp_path / "a.jsonl", PAPERS)])
    assert (first.vectors.checked, first.vectors.embedded, first.vectors.everything) == (3, 3, True)
    before = vectors(db)

    again = run_import(db, [tmp_path / "a.jsonl"])
    assert (again.vectors.checked, again.vectors.embedded, again.vectors.everything) == (0, 0, False)

    # The file again with a new paper, b's abstract rewritten (its text changes), c's venue (its text does not).
    edited = [
        PAPERS[0],
        {**PAPERS[1], "abstract": "Neural parsing of sentences."},
        {**PAPERS[2], "venue": "Birds"},
        {"doi": "10.1/d", "title": "Galaxy formation", "abstract": "How galaxies form."},
    ]
    report = run_import(db, [write(tmp_path / "a.jsonl", edited)])
    assert (report.vectors.checked, report.vectors.embedded) == (3, 2)
    after = vectors(db)
    assert sorted(after) == ["10.1/a", "10.1/b", "10.1/c", "10.1/d"]
    assert after["10.1/a"] == before["10.1/a"] and after["10.1/c"] == before["10.1/c"]
    assert after["10.1/b"] != before["10.1/b"]

    # Paper a's only source is gone: the paper is deleted, and its vector with it.
    write(tmp_path / "a.jsonl", edited[1:])
    report = run_import(db, [tmp_path / "a.jsonl"])
    assert report.papers_removed == 1 and report.vectors.embedded == 0
    assert sorted(vectors(db)) == ["10.1/b", "10.1/c", "10.1/d"]


@needs_model
def test_another_model_re_embeds_every_paper_once(tmp_path):
    db = tmp_path / "p.db"
    run_import(db, [write(tmp_path / "a.jsonl", PAPERS)])
    with closing(sqlite3.connect(db)) as conn, conn:
        conn.execute("UPDATE vector_model SET model = 'wordllama l2_supercat 256 0.3.0'")
    report = run_import(db, [tmp_path / "a.jsonl"])
    assert (report.vectors.checked, report.vectors.embedded, report.vectors.everything) == (3, 3, True)
    assert query(db, "SELECT model FROM vector_model") == [(embedding.model_id(),)]
    assert run_import(db, [tmp_path / "a.jsonl"]).vectors.embedded == 0


@needs_model
def test_an_import_without_the_extra_writes_no_vectors_and_the_next_one_with_it_catches_up(tmp_path, monkeypatch):
    db = tmp_path / "p.db"
    run_import(db, [write(tmp_path / "a.jsonl", PAPERS)])
    before = vectors(db)
    without_the_extra(monkeypatch)
    edited = [PAPERS[0], {**PAPERS[1], "abstract": "Neural parsing."}, PAPERS[2]]
    report = run_import(db, [write(tmp_path / "a.jsonl", edited)])
    assert report.vectors is None and "vectors" not in report.phases and report.as_dict()["vectors"] is None
    assert vectors(db) == before and query(db, "SELECT run_id FROM vector_model") == [(1,)]
    monkeypatch.undo()
    # A run embedded nothing: every paper's text is checked, and only b's has changed.
    report = run_import(db, [tmp_path / "a.jsonl"])
    assert (report.vectors.checked, report.vectors.embedded, report.vectors.everything) == (3, 1, True)
    assert vectors(db)["10.1/b"] != before["10.1/b"]


def test_an_import_without_the_extra_leaves_the_vector_tables_empty(tmp_path, monkeypatch):
    without_the_extra(monkeypatch)
    db = tmp_path / "p.db"
    report = run_import(db, [write(tmp_path / "a.jsonl", PAPERS)])
    assert report.papers_added == 3 and report.vectors is None and "vectors" not in report.phases
    assert query(db, "SELECT count(*) FROM paper_vectors") == [(0,)]
    assert query(db, "SELECT count(*) FROM vector_model") == [(0,)]


def test_the_commands_say_how_to_enable_semantic_search_without_the_extra(tmp_path, monkeypatch):
    without_the_extra(monkeypatch)
    db = tmp_path / "p.db"
    run_import(db, [write(tmp_path / "a.jsonl", PAPERS)])
    for args in (["search", "proteins", "--mode", "semantic"], ["search", "proteins", "--mode", "hybrid"]):
        result = CliRunner().invoke(main, ["--db", str(db), *args])
        assert (result.exit_code, result.output) == (
            2,
            "Error: semantic search needs the optional extra: pip install 'paperdb[semantic]'\n",
        )
    result = CliRunner().invoke(main, ["--db", str(db), "related", "Protein structure prediction"])
    assert (result.exit_code, result.output) == (
        2,
        "Error: no paper has a vector yet: semantic search needs the optional extra: "
        "pip install 'paperdb[semantic]', then run `paperdb import`\n",
    )
    result = CliRunner().invoke(main, ["--db", str(db), "related", "no such paper at all"])
    assert (result.exit_code, result.output) == (1, "no paper matches 'no such paper at all'\n")
    # Plain text search is as before.
    result = CliRunner().invoke(main, ["--db", str(db), "search", "proteins", "--format", "csv"])
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert (result.exit_code, [r["title"] for r in rows]) == (0, ["Protein structure prediction"])


@needs_model
def test_related_lists_the_nearest_papers_by_similarity(formats_db):
    with PaperDB(formats_db) as pdb:
        related = pdb.related("Opportunities and obstacles for deep learning in biology and medicine", limit=3)
    assert [(r.title, r.year, r.similarity) for r in related] == [
        ("Bodies on Trial: Performances and Politics in Medicine and Biology", 1999, 0.3606),
        ("Dismantling Boundaries in Science and Technology Studies", 2010, 0.329),
        ("Biographies of Scientific Objects", 2000, 0.313),
    ]


@needs_model
def test_semantic_search_finds_papers_sharing_no_word_and_hybrid_fuses_both_rankings(formats_db):
    with PaperDB(formats_db) as pdb:
        assert pdb.search("heart disease risk in older adults") == []
        [found] = pdb.search("heart disease risk in older adults", mode="semantic", limit=1)
        assert found.title.startswith("Sex Disparities in Cardiovascular Risk Factor Assessment")
        text = [h.title for h in pdb.search("citation analysis", limit=100)]
        meaning = [h.title for h in pdb.search("citation analysis", mode="semantic", limit=100)]
        hybrid = pdb.search("citation analysis", mode="hybrid", limit=3)
    assert text[:2] == [
        "The state of OA: a large-scale analysis of the prevalence and impact of Open Access articles",
        "Herd behavior in purchasing books online",
    ]
    assert meaning[0] == "Citing Medicine"
    # In both rankings, second in one: first when fused; then the first of each, tied.
    assert hybrid[0].title == "Herd behavior in purchasing books online"
    assert hybrid[0].score == pytest.approx(1 / (RRF_K + 2) + 1 / (RRF_K + 1 + meaning.index(hybrid[0].title)))
    assert {h.title for h in hybrid[1:]} == {text[0], meaning[0]}
    assert hybrid[1].score == hybrid[2].score == pytest.approx(1 / (RRF_K + 1))


@needs_model
def test_semantic_search_keeps_the_filters_and_refuses_raw_syntax(formats_db):
    with PaperDB(formats_db) as pdb:
        hits = pdb.search("heart disease risk in older adults", mode="semantic", year_from=2015, limit=20)
        years = {r[0]: r[1] for r in pdb.sql("SELECT id, year FROM papers").rows}
        with pytest.raises(QueryError, match="plain words"):
            pdb.search("verif*", mode="semantic", raw=True)
        with pytest.raises(QueryError, match="unknown mode"):
            pdb.search("proteins", mode="vectors")
    assert len(hits) == 20 and all(years[h.paper_id] is not None and years[h.paper_id] >= 2015 for h in hits)


@needs_model
def test_the_paper_page_lists_related_papers(formats_db):
    ds = served(formats_db)
    [(paper_id,)] = query(formats_db, "SELECT id FROM papers WHERE title LIKE 'Opportunities and obstacles%'")
    response = asyncio.run(ds.client.get(f"/formats/-/papers/{paper_id}.json"))
    related = response.json()["related"]
    assert len(related) == 10
    assert [(r["title"], r["similarity"]) for r in related[:2]] == [
        ("Bodies on Trial: Performances and Politics in Medicine and Biology", 0.3606),
        ("Dismantling Boundaries in Science and Technology Studies", 0.329),
    ]
    page = asyncio.run(ds.client.get(f"/formats/-/papers/{paper_id}")).text
    listed = page.split("<h2>Related papers</h2>", 1)[1].split("</ol>", 1)[0]
    assert f'<a href="/formats/-/papers/{related[0]["paper_id"]}">{related[0]["title"]}</a> (1999)' in listed
    assert listed.count("<li>") == 10


def test_related_on_a_database_from_before_the_vectors_says_to_migrate(tmp_path):
    db = tmp_path / "p.db"
    run_import(db, [write(tmp_path / "a.jsonl", PAPERS)])
    migrate(db, "0017")
    result = CliRunner().invoke(main, ["--db", str(db), "related", "Protein structure prediction"])
    assert (result.exit_code, result.output) == (2, "Error: this database has no vectors yet: run `paperdb migrate`\n")


@needs_model
def test_a_process_reads_a_databases_vectors_once_per_import(tmp_path):
    from app.search import semantic

    db = tmp_path / "p.db"
    run_import(db, [write(tmp_path / "a.jsonl", PAPERS)])
    with PaperDB(db) as pdb:
        first = [r.paper_id for r in pdb.related("Protein structure prediction", limit=2)]
    read = semantic._READ[str(db.resolve())]
    with PaperDB(db) as pdb:  # a new connection, as each Datasette page opens one
        assert [r.paper_id for r in pdb.related("Protein structure prediction", limit=2)] == first
    assert semantic._READ[str(db.resolve())] is read
    run_import(db, [write(tmp_path / "b.jsonl", [{"doi": "10.1/d", "title": "Protein folding in cells"}])])
    with PaperDB(db) as pdb:
        assert len(pdb.related("Protein structure prediction", limit=5)) == 3  # the new paper's vector is read
    assert semantic._READ[str(db.resolve())] is not read

"""One paper, one row: records from different files are matched by id, title+authors, abstract."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st
from rapidfuzz import fuzz

from app.etl.load import run_import
from app.etl.load_papers import ABSTRACT_SIMILARITY, _may_be_similar
from tests.conftest import query

ABSTRACT = (
    "We introduce a method for training language models to verify their own reasoning steps, "
    "and show that process supervision outperforms outcome supervision on hard math problems."
)


def jsonl(path, *records):
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def papers(db):
    return query(db, "SELECT id, title FROM papers ORDER BY id")


def test_same_doi_in_two_files_is_one_paper(tmp_path):
    a = jsonl(tmp_path / "a.jsonl", {"title": "A Study", "doi": "10.1/ABC", "authors": ["Smith, Jane"]})
    b = jsonl(tmp_path / "b.jsonl", {"title": "A study (extended)", "doi": "https://doi.org/10.1/abc", "year": 2021})
    run_import(tmp_path / "p.db", [a, b])
    # Equally common titles: the longer one is kept, whichever file came first.
    assert query(tmp_path / "p.db", "SELECT title, year FROM papers") == [("A study (extended)", 2021)]
    assert query(tmp_path / "p.db", "SELECT scheme, value FROM paper_ids") == [("doi", "10.1/abc")]


def test_same_title_and_a_shared_author_is_one_paper(tmp_path):
    a = jsonl(
        tmp_path / "a.jsonl", {"title": "Let's Verify Step by Step!", "authors": ["Lightman, Hunter", "Schulman, John"]}
    )
    b = jsonl(tmp_path / "b.jsonl", {"title": "lets verify step-by-step", "authors": ["Schulman, J."]})
    run_import(tmp_path / "p.db", [a, b])
    assert query(tmp_path / "p.db", "SELECT count(*) FROM papers") == [(1,)]


def test_same_title_with_different_authors_stays_two_papers(tmp_path):
    a = jsonl(tmp_path / "a.jsonl", {"title": "Introduction", "authors": ["Smith, Jane"]})
    b = jsonl(tmp_path / "b.jsonl", {"title": "Introduction", "authors": ["Okafor, Chidi"]})
    run_import(tmp_path / "p.db", [a, b])
    assert query(tmp_path / "p.db", "SELECT count(*) FROM papers") == [(2,)]


def test_abstract_only_first_is_completed_and_keeps_its_id(tmp_path):
    abstracts = tmp_path / "abstracts.txt"
    abstracts.write_text(f"Abstract:{ABSTRACT}\n")
    titled = jsonl(tmp_path / "t.jsonl", {"title": "Verify", "authors": ["Cobbe, Karl"], "abstract": ABSTRACT})
    db = tmp_path / "p.db"
    run_import(db, [abstracts])
    [(pid, title)] = papers(db)
    assert title is None
    run_import(db, [titled])
    assert papers(db) == [(pid, "Verify")]
    assert query(db, "SELECT count(*) FROM abstracts") == [(1,)]


def test_abstract_only_after_the_titled_record_joins_it(tmp_path):
    abstracts = tmp_path / "abstracts.txt"
    abstracts.write_text(f"Abstract:{ABSTRACT}\n")
    titled = jsonl(tmp_path / "t.jsonl", {"title": "Verify", "authors": ["Cobbe, Karl"], "abstract": ABSTRACT})
    db = tmp_path / "p.db"
    run_import(db, [titled, abstracts])
    assert [t for _, t in papers(db)] == ["Verify"]


def test_a_nearly_equal_abstract_joins_in_either_order(tmp_path):
    typo = ABSTRACT.replace("outperforms", "outperfoms").replace("hard math problems.", "hard math problems")
    abstracts = tmp_path / "abstracts.txt"
    abstracts.write_text(f"Abstract:{typo}\n")
    titled = jsonl(tmp_path / "t.jsonl", {"title": "Verify", "authors": ["Cobbe, Karl"], "abstract": ABSTRACT})
    for order, db in (([abstracts, titled], tmp_path / "1.db"), ([titled, abstracts], tmp_path / "2.db")):
        run_import(db, order)
        assert [t for _, t in papers(db)] == ["Verify"]
        assert query(db, "SELECT count(*) FROM abstracts") == [(2,)]  # both distinct texts kept


def test_titled_records_with_one_abstract_stay_apart_and_an_abstract_only_record_joins_the_first(tmp_path):
    """A titled record's abstract only completes an untitled paper; an abstract-only record
    joins a titled paper first, then the lowest id."""
    first = jsonl(tmp_path / "a.jsonl", {"title": "Verify", "authors": ["Cobbe, Karl"], "abstract": ABSTRACT})
    second = jsonl(tmp_path / "b.jsonl", {"title": "Unrelated", "authors": ["Okafor, Chidi"], "abstract": ABSTRACT})
    abstracts = tmp_path / "abstracts.txt"
    abstracts.write_text(f"Abstract:{ABSTRACT}\n")
    db = tmp_path / "p.db"
    run_import(db, [first, second, abstracts])
    assert [t for _, t in papers(db)] == ["Verify", "Unrelated"]
    [(verify,)] = query(db, "SELECT id FROM papers WHERE title = 'Verify'")
    assert query(
        db,
        "SELECT s.paper_id FROM paper_sources s JOIN source_files f ON f.id = s.file_id "
        "WHERE f.path LIKE '%abstracts.txt'",
    ) == [(verify,)]


def test_a_different_abstract_is_a_different_paper(tmp_path):
    abstracts = tmp_path / "abstracts.txt"
    abstracts.write_text(
        "Abstract:"
        + ABSTRACT.replace("process supervision outperforms outcome supervision", "outcome supervision is enough")
        + "\n"
    )
    titled = jsonl(tmp_path / "t.jsonl", {"title": "Verify", "abstract": ABSTRACT})
    run_import(tmp_path / "p.db", [titled, abstracts])
    assert len(papers(tmp_path / "p.db")) == 2


def test_a_changed_file_replaces_only_what_it_alone_supplied(tmp_path):
    shared = {"title": "Shared Paper", "authors": ["Smith, Jane"], "source_id": "s-1"}
    other = jsonl(tmp_path / "other.jsonl", shared)
    f = jsonl(tmp_path / "mine.jsonl", shared, {"title": "Only Mine", "authors": ["Doe, John"]})
    db = tmp_path / "p.db"
    run_import(db, [other, f])
    assert sorted(t for _, t in papers(db)) == ["Only Mine", "Shared Paper"]
    jsonl(f, {"title": "Brand New", "authors": ["Doe, John"]})
    report = run_import(db, [other, f])
    assert (report.count("changed"), report.count("skipped"), report.papers_removed) == (1, 1, 1)
    assert sorted(t for _, t in papers(db)) == ["Brand New", "Shared Paper"]
    sources = query(
        db,
        "SELECT p.title, count(*) FROM paper_sources s JOIN papers p ON p.id = s.paper_id GROUP BY p.id ORDER BY p.title",
    )
    assert sources == [("Brand New", 1), ("Shared Paper", 1)]
    assert {r[0] for r in query(db, "SELECT name FROM authors")} == {"Jane Smith", "John Doe"}


def stored_abstracts(db) -> list[tuple[int, str | None, str | None]]:
    """Each record's line, its abstract as stored in full (or None), and its abstract read
    through the `abstracts` row it names."""
    return query(
        db,
        "SELECT s.line, s.record ->> '$.abstract', coalesce(s.record ->> '$.abstract', a.text) "
        "FROM paper_sources s LEFT JOIN abstracts a "
        "ON a.paper_id = s.paper_id AND a.text_key = s.record ->> '$.abstract_key' ORDER BY s.line",
    )


def test_a_record_names_the_abstract_row_with_its_text_and_gets_its_own_back_when_the_row_changes(tmp_path):
    shouting = ABSTRACT.upper()  # the same abstract to matching (folded), another text
    paper = {"title": "Verifying Steps", "authors": ["Lightman, Hunter"], "doi": "10.1/v"}
    f = jsonl(
        tmp_path / "a.jsonl",
        {**paper, "abstract": ABSTRACT},
        {**paper, "abstract": shouting},
        {**paper, "abstract": shouting},
    )
    db = tmp_path / "p.db"
    run_import(db, [f])
    # The most common text is the paper's; the records with it name its row, the other keeps its own.
    assert query(db, "SELECT text FROM abstracts") == [(shouting,)]
    assert stored_abstracts(db) == [(1, ABSTRACT, ABSTRACT), (2, None, shouting), (3, None, shouting)]
    # Two records leave: the remaining one's text becomes the paper's, and both stay exact.
    jsonl(f, {**paper, "abstract": ABSTRACT}, {**paper, "abstract": shouting})
    run_import(db, [f])
    assert query(db, "SELECT text FROM abstracts") == [(ABSTRACT,)]
    assert stored_abstracts(db) == [(1, None, ABSTRACT), (2, shouting, shouting)]
    fresh = tmp_path / "fresh.db"
    run_import(fresh, [f])
    assert stored_abstracts(fresh) == stored_abstracts(db)


def test_an_abstract_met_before_at_another_length_still_joins_a_nearly_equal_one(tmp_path):
    """The first titled record meets the untitled paper's abstract as a candidate far longer
    than its own (so it is never compared, and its length is kept); the second, nearly equal,
    is compared with it and joins it."""
    longer = ABSTRACT + " " + " ".join(f"and a further finding number {n} on other benchmarks." for n in range(12))
    typo = ABSTRACT.replace("outperforms", "outperfoms")
    abstracts = tmp_path / "abstracts.txt"
    abstracts.write_text(f"Abstract:{ABSTRACT}\n")
    titled = jsonl(
        tmp_path / "t.jsonl",
        {"title": "Longer", "authors": ["Okafor, Chidi"], "abstract": longer},
        {"title": "Verify", "authors": ["Cobbe, Karl"], "abstract": typo},
    )
    db = tmp_path / "p.db"
    run_import(db, [abstracts])
    [(untitled, _)] = papers(db)
    run_import(db, [titled])
    assert papers(db) == [(untitled, "Verify"), (untitled + 1, "Longer")]


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 400), st.integers(0, 400))
def test_the_length_bound_is_exactly_where_rapidfuzz_says_texts_of_one_letter_part(a, b):
    """Texts of one repeated letter are as similar as their lengths allow: the bound that skips
    a candidate without folding it agrees with rapidfuzz on each of them."""
    reached = fuzz.ratio("x" * a, "x" * b, score_cutoff=ABSTRACT_SIMILARITY) > 0
    assert _may_be_similar(a, b) == reached

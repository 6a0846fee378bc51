"""The query commands (`search`, `author`, `coauthors`, `paper`, `stats`, `sql`, `authors`) through click's runner."""

from __future__ import annotations

import csv
import io
import json
import re

import click
import pytest
from click.testing import CliRunner

from app import cli
from app.cli import main
from app.etl.load import run_import
from app.query import PaperDB
from tests.conftest import query
from tests.test_authors_db import write_orcid_papers
from tests.test_query import HOSTILE, SIMPLEQA, snapshot

INJECTIONS = [
    "'; DROP TABLE papers; --",
    "1 OR 1=1",
    '" OR ""="',
    "Robert'); DELETE FROM authors;--",
    "x' UNION SELECT sql FROM sqlite_master --",
    "NEAR(",
    "(",
    '"',
]


def row_counts(db) -> list[tuple]:
    return query(
        db,
        "SELECT (SELECT count(*) FROM papers), (SELECT count(*) FROM authors), "
        "(SELECT count(*) FROM authorships), (SELECT count(*) FROM abstracts)",
    )


def run(db, *args, color=False):
    return CliRunner().invoke(main, ["--db", str(db), *map(str, args)], color=color)


def lines(result) -> list[dict]:
    return [json.loads(line) for line in result.output.splitlines()]


def rows(result) -> list[list[str]]:
    return list(csv.reader(io.StringIO(result.output)))


# --- formats --------------------------------------------------------------------------


def test_search_prints_json_lines_when_not_on_a_terminal(samples_db):
    result = run(samples_db, "search", "process supervision")
    assert result.exit_code == 0, result.output
    hits = lines(result)
    assert [set(h) for h in hits] == [{"paper_id", "title", "year", "authors", "score", "snippet"}] * len(hits)
    assert hits[0]["title"] == "Let's Verify Step by Step" and hits[0]["authors"][-1] == "Karl Cobbe"


def test_search_as_a_table(samples_db):
    result = run(samples_db, "search", "process supervision", "--format", "table")
    assert result.exit_code == 0
    first = result.output.splitlines()[:3]
    assert "Let's Verify Step by Step  [2]" in first[0]
    assert first[1].strip().startswith("Hunter Lightman, Vineet Kosaraju") and "(+4)" in first[1]
    assert "[process] [supervision]" in first[2]
    assert "\x1b[" not in result.output


def test_tables_and_colour_on_a_terminal(samples_db, monkeypatch):
    monkeypatch.setattr(cli, "on_terminal", lambda: True)
    result = run(samples_db, "search", "process supervision", color=True)
    assert result.exit_code == 0
    assert "\x1b[1mLet's Verify Step by Step\x1b[0m" in result.output
    assert click.style("process", fg="yellow", bold=True) in result.output


def test_search_as_csv_has_a_header_and_rows(samples_db):
    result = run(samples_db, "search", "mely", "--format", "csv")
    assert result.exit_code == 0
    table = rows(result)
    assert table[0] == ["paper_id", "title", "year", "authors", "score", "snippet"]
    assert {r[1] for r in table[1:]} == {"GPT-4 Technical Report", "GPT-4o System Card"}
    assert all("David Mély" in r[3].split("; ") for r in table[1:])


def test_json_is_an_alias_of_format_json(samples_db):
    assert (
        run(samples_db, "search", "verify", "--json").output
        == run(samples_db, "search", "verify", "--format", "json").output
    )


def test_limit_and_offset(samples_db):
    every = [h["paper_id"] for h in lines(run(samples_db, "search", "model", "--limit", "100"))]
    assert [h["paper_id"] for h in lines(run(samples_db, "search", "model", "--limit", "2", "--offset", "1"))] == every[
        1:3
    ]


def test_search_filters_by_author(samples_db):
    result = run(samples_db, "search", "factuality", "--author", "Liam Fedus")
    assert SIMPLEQA in [h["title"] for h in lines(result)]


def test_search_by_venue_newest_first(formats_db):
    hits = lines(run(formats_db, "search", "translation", "--venue", "Mémoires du livre", "--sort", "newest"))
    assert len(hits) == 20 and hits[0]["year"] == 2020
    assert [h["year"] for h in hits] == sorted((h["year"] for h in hits), reverse=True)
    with PaperDB(formats_db) as pdb:
        assert {pdb.paper(h["paper_id"]).venue for h in hits} == {"Mémoires du livre"}
    oldest = lines(run(formats_db, "search", "translation", "--sort", "oldest", "--limit", "3"))
    assert [h["year"] for h in oldest] == [1920, 1939, 1964]


# --- exit codes -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["search", "zzyzx"],
        ["search", "process", "--author", "Nobody Atall"],
        ["search", "process", "--year-from", "2030"],
        ["author", "Nobody Atall"],
        ["coauthors", "Nobody Atall"],
        ["paper", "no such paper at all"],
        ["sql", "SELECT * FROM papers WHERE id < 0"],
    ],
)
def test_nothing_found_is_exit_code_1(samples_db, args):
    result = run(samples_db, *args)
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.startswith("no ")


@pytest.mark.parametrize(
    "args, message",
    [
        (["search", ""], "empty query"),
        (["search", "   "], "empty query"),
        (["search", "%"], "empty query"),
        (["search", "NEAR(", "--raw"], "invalid search syntax in 'NEAR('"),
        (["search", "venue:acl", "--raw"], "unknown column 'venue'"),
        (["search", "model", "--author", "Zhang"], "'Zhang' matches 6 authors"),
        (["coauthors", "Chen"], "'Chen' matches 9 authors"),
        (["author", "  "], "empty name"),
        (["sql", "SELEC 1"], "SQL error"),
    ],
)
def test_query_errors_are_exit_code_2_with_one_line(samples_db, args, message):
    result = run(samples_db, *args)
    assert result.exit_code == 2, result.output
    assert result.output.startswith("Error: ") and message in result.output and result.output.count("\n") == 1


@pytest.mark.parametrize(
    "args, message",
    [
        (["search", "model", "--year-from", "1 OR 1=1"], "is not a valid integer"),
        (["search", "model", "--format", "xml"], "'xml' is not one of"),
        (["search", "model", "--limit", "-1"], "-1 is not in the range"),
    ],
)
def test_bad_options_are_exit_code_2(samples_db, args, message):
    result = run(samples_db, *args)
    assert result.exit_code == 2 and message in result.output and "Traceback" not in result.output


# --- hostile input --------------------------------------------------------------------


@pytest.mark.parametrize("text", INJECTIONS + HOSTILE)
@pytest.mark.parametrize(
    "command",
    [
        ["search"],
        ["search", "--raw"],
        ["search", "model", "--author"],
        ["author"],
        ["coauthors"],
        ["paper"],
    ],
)
def test_hostile_input_in_every_argument_is_clean_and_writes_nothing(samples_db, command, text):
    before = snapshot(samples_db)
    result = run(samples_db, *command, text)
    assert result.exit_code in (0, 1, 2), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    assert snapshot(samples_db) == before


@pytest.mark.parametrize(
    "statement",
    [
        "DELETE FROM papers",
        "DROP TABLE papers",
        "INSERT INTO authors (name, family_name, block_key, created_at, updated_at) VALUES ('x', 'x', 'x', 'x', 'x')",
        "UPDATE papers SET title = NULL",
        "ATTACH DATABASE 'other.db' AS other",
        "PRAGMA journal_mode=DELETE",
        "'; DROP TABLE papers; --",
    ],
)
def test_sql_cannot_change_the_database(samples_db, statement):
    before, counts = snapshot(samples_db), row_counts(samples_db)
    result = run(samples_db, "sql", statement)
    assert result.exit_code == 2 and result.output.startswith("Error: "), result.output
    assert (snapshot(samples_db), row_counts(samples_db)) == (before, counts)


def test_sql_refusal_says_why(samples_db):
    result = run(samples_db, "sql", "DELETE FROM papers")
    assert result.output == "Error: refused DELETE: paperdb only reads the database (DELETE papers)\n"


# --- commands -------------------------------------------------------------------------


def test_sql_with_parameters_in_every_format(samples_db):
    args = ["sql", "SELECT id, title FROM papers WHERE title LIKE ? ORDER BY id", "-p", "%GPT-4%"]
    assert lines(run(samples_db, *args)) == [
        {"id": 12, "title": "GPT-4o System Card"},
        {"id": 13, "title": "GPT-4 Technical Report"},
    ]
    assert rows(run(samples_db, *args, "--format", "csv")) == [
        ["id", "title"],
        ["12", "GPT-4o System Card"],
        ["13", "GPT-4 Technical Report"],
    ]
    assert run(samples_db, *args, "--format", "table").output.splitlines() == [
        "id  title",
        "12  GPT-4o System Card",
        "13  GPT-4 Technical Report",
    ]


def test_author_resolves_liam_fedus(samples_db):
    result = run(samples_db, "author", "Liam Fedus")
    assert result.exit_code == 0
    [found] = lines(result)
    assert set(found) == {"query", "status", "rule", "author", "candidates", "part_of"}
    assert found["part_of"] == []
    assert (found["status"], found["author"]["name"]) == ("found", "William Fedus")
    assert SIMPLEQA in [p["title"] for p in found["author"]["papers"]]
    assert {"name": "Liam Fedus", "count": 2} in found["author"]["variants"]


@pytest.mark.parametrize("typed", ["Shulman", "Schulman, J.", "schulman"])
def test_author_as_people_type_it(samples_db, typed):
    assert lines(run(samples_db, "author", typed))[0]["author"]["name"] == "John Schulman"


def test_author_table_shows_variants_papers_and_coauthors(samples_db):
    out = run(samples_db, "author", "Lukasz Kaiser", "--format", "table", "--limit", "3").output.splitlines()
    assert out[0].startswith("Łukasz Kaiser  [") and "2 papers" in out[0]
    assert out[1] == "also written: Lukasz Kaiser (1)"
    assert len([line for line in out if re.match(r" +\d+  \w", line)]) == 3  # co-authors, cut at --limit


def test_author_csv_is_the_papers(samples_db):
    table = rows(run(samples_db, "author", "William Fedus", "--format", "csv"))
    assert table[0] == ["author_id", "author", "paper_id", "year", "title", "position", "listed_as"]
    assert [r[4] for r in table[1:]] == ["GPT-4 Technical Report", "GPT-4o System Card", SIMPLEQA]


def test_an_ambiguous_author_lists_candidates(samples_db):
    result = run(samples_db, "author", "J. Chen")
    assert result.exit_code == 0
    [found] = lines(result)
    assert (found["status"], found["author"]) == ("ambiguous", None)
    assert {c["name"] for c in found["candidates"]} == {"Jason Chen", "Jay Chen"}
    table = run(samples_db, "author", "Zhang", "--format", "table").output.splitlines()
    assert table[0].startswith("'Zhang' fits several authors") and len(table) == 7


def test_coauthors(samples_db):
    result = run(samples_db, "coauthors", "Karl Cobbe", "--limit", "2", "--format", "csv")
    table = rows(result)
    assert table[:2] == [["id", "name", "papers"], [table[1][0], "John Schulman", "3"]] and len(table) == 3


def test_paper_by_title(samples_db):
    [paper] = lines(run(samples_db, "paper", "Let's Verify Step by Step"))
    assert set(paper) == {"id", "title", "year", "venue", "url", "authors", "abstracts", "ids", "sources"}
    assert paper["authors"][0] == {
        "position": 1,
        "author_id": paper["authors"][0]["author_id"],
        "name": "Hunter Lightman",
        "listed_as": "Hunter Lightman",
        "raw_name": "Lightman, Hunter",
    }
    assert [(s["line"], s["format"]) for s in paper["sources"]] == [(2, "abstracts"), (14, "profile")]
    table = run(samples_db, "paper", "2", "--format", "table").output
    assert table.startswith("Let's Verify Step by Step  [2]") and "as written: Lightman, Hunter" in table
    assert rows(run(samples_db, "paper", "2", "--format", "csv"))[0][:3] == ["id", "title", "year"]


def test_stats_in_every_format(samples_db):
    stats = json.loads(run(samples_db, "stats").output)
    assert set(stats) == {"counts", "top_authors", "papers_per_year", "last_imports"}
    assert stats["counts"]["papers"] == 16 and stats["top_authors"][0]["name"] == "John Schulman"
    table = rows(run(samples_db, "stats", "--format", "csv"))
    assert table[0] == ["section", "name", "value"] and ["count", "papers", "16"] in table
    assert "Most papers" in run(samples_db, "stats", "--format", "table").output


def test_authors_formats(samples_db):
    table = rows(run(samples_db, "authors", "--limit", "1", "--format", "csv"))
    assert table == [
        ["id", "name", "paper_count", "is_organization", "variants"],
        [table[1][0], "John Schulman", "10", "0", ""],
    ]
    assert len(lines(run(samples_db, "authors", "--candidates", "--limit", "2"))) == 2


def test_author_names_the_larger_author_it_may_be_part_of(manning_db):
    result = run(manning_db, "author", "Chris Manning", "--format", "table")
    larger = query(manning_db, "SELECT id FROM authors WHERE name = 'Christopher D. Manning'")[0][0]
    assert result.exit_code == 0
    assert result.output.splitlines()[-1] == (
        f"may be the same person as Christopher D. Manning  [{larger}]  3 papers (compound); "
        "shared co-authors (1): John Bauer"
    )
    assert json.loads(run(manning_db, "author", "Chris Manning", "--format", "json").output)["part_of"] == [
        {
            "id": larger,
            "name": "Christopher D. Manning",
            "paper_count": 3,
            "rule": "compound",
            "shared_coauthors": ["John Bauer"],
        }
    ]


def test_candidates_table_shows_papers_and_shared_coauthors(manning_db):
    assert run(manning_db, "authors", "--candidates", "--format", "table").output.splitlines() == [
        "0.78  Chris Manning (1 papers)  ~  Christopher D. Manning (3 papers), 1 shared co-authors: "
        "compound: shared co-authors: bauer john (needs 2)"
    ]


@pytest.fixture(scope="module")
def orcid_db(tmp_path_factory):
    folder = tmp_path_factory.mktemp("orcid")
    db = folder / "papers.db"
    assert run_import(db, write_orcid_papers(folder)).status == "ok"
    return db


def test_author_shows_the_orcid_in_text_json_and_the_python_api(orcid_db):
    [(author_id,)] = query(orcid_db, "SELECT id FROM authors WHERE orcid = '0000-0002-1825-0097'")
    text = run(orcid_db, "author", author_id, "--format", "table")
    assert text.exit_code == 0
    assert text.output.splitlines()[:2] == [
        f"John Smith  [{author_id}]  2 papers  (matched: id)",
        "ORCID: https://orcid.org/0000-0002-1825-0097",
    ]
    found = json.loads(run(orcid_db, "author", author_id, "--format", "json").output)
    assert (found["author"]["name"], found["author"]["orcid"]) == ("John Smith", "0000-0002-1825-0097")
    with PaperDB(orcid_db) as pdb:
        assert pdb.author(author_id).author.orcid == "0000-0002-1825-0097"
        assert pdb.author(query(orcid_db, "SELECT id FROM authors WHERE name = 'Alice Doe'")[0][0]).author.orcid is None


def test_author_finds_an_author_by_orcid_and_no_one_by_an_orcid_nobody_has(orcid_db):
    found = json.loads(run(orcid_db, "author", "https://orcid.org/0000-0001-5109-3700", "--format", "json").output)
    assert (found["status"], found["rule"], found["author"]["orcid"]) == ("found", "orcid", "0000-0001-5109-3700")
    assert sorted(p["title"] for p in found["author"]["papers"]) == ["Cogs Four", "Sprockets Three"]
    missing = run(orcid_db, "author", "0000-0003-1613-5981")
    assert missing.exit_code == 1 and "no author matches" in missing.output

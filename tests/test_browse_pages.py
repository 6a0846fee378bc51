"""paperdb's author and paper pages in Datasette, their `.json`, and the links to them from
Datasette's own table, row and query pages, through Datasette's test client."""

from __future__ import annotations

import asyncio
import json
import re
import sqlite3
from contextlib import closing

import pytest
from markupsafe import escape

from app.datasette_metadata import VIEW
from app.etl.load import run_import
from app.export import export
from app.query import PaperDB
from app.search import embedding
from tests.conftest import query, served

# Parsing One has every kind of id; Christopher D. Manning is spelled two ways and is on three
# papers with years; Chris Manning shares one co-author with him, too few to merge: a candidate.
PAPERS = [
    {
        "title": "Parsing One",
        "year": 2012,
        "venue": "ACL",
        "doi": "https://doi.org/10.18653/V1/P12-1001",
        "arxiv_id": "1201.00001v2",
        "ids": [["pmid", "22000001"]],
        "source_id": "parsing-one",
        "url": "https://example.org/parsing-one",
        "abstract": "We parse sentences.",
        "authors": [
            "Manning, Christopher D.",
            "Bauer, John",
            {"family": "Socher", "given": "Richard", "orcid": "0000-0002-1825-0097"},
        ],
    },
    {"title": "Parsing Two", "year": 2013, "authors": ["Manning, Christopher D.", "Socher, R."]},
    {"title": "Parsing Three", "year": 2014, "authors": ["Manning, Christopher", "Socher, Richard", "Angeli, Gabor"]},
    {"title": "Tagging", "year": 2015, "authors": ["Manning, Chris", "Bauer, John"]},
]
GPT4 = "GPT-4 Technical Report"
LINK = re.compile(r'<a href="([^"]+)">([^<]+)</a>')


@pytest.fixture(scope="module")
def parsing_db(tmp_path_factory):
    folder = tmp_path_factory.mktemp("parsing")
    papers = folder / "papers.jsonl"
    papers.write_text("".join(json.dumps(p) + "\n" for p in PAPERS), encoding="utf-8")
    report = run_import(folder / "parsing.db", [papers])
    assert report.status == "ok", report.as_dict()
    return folder / "parsing.db"


@pytest.fixture(scope="module")
def ds(samples_db):
    return served(samples_db)


@pytest.fixture(scope="module")
def parsing(parsing_db):
    return served(parsing_db)


def get(ds, path: str):
    return asyncio.run(ds.client.get(path))


def html(ds, path: str) -> str:
    response = get(ds, path)
    assert response.status_code == 200, response.text
    return response.text


def section(page: str, heading: str) -> str:
    """The part of a page from an `<h2>` to the next one."""
    return page.split(f"<h2>{heading}</h2>", 1)[1].split("<h2>", 1)[0]


def cells(page: str, column: str) -> list[str]:
    """The inner HTML of a column's cells on a Datasette table or query page, top to bottom."""
    return re.findall(rf'<td class="col-{column}(?: [^"]*)?">(.*?)</td>', page, flags=re.S)


def rows(fragment: str) -> list[list[str]]:
    """A table's body rows as lists of cell text (links as their text), spaces folded."""
    body = fragment.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [
        [" ".join(re.sub(r"<[^>]+>", "", cell).split()) for cell in re.findall(r"<td>(.*?)</td>", row, flags=re.S)]
        for row in re.findall(r"<tr>(.*?)</tr>", body, flags=re.S)
    ]


def ids(db, table: str, *names: str) -> list[int]:
    column = "title" if table == "papers" else "name"
    found = dict(query(db, f"SELECT {column}, id FROM {table}"))
    return [found[name] for name in names]


# --- the author page ----------------------------------------------------------------------


def test_an_author_page_lists_spellings_papers_and_coauthors(ds, samples_db):
    [achiam] = ids(samples_db, "authors", "Joshua Achiam")
    gpt4, gpt4o, rbr = ids(
        samples_db, "papers", GPT4, "GPT-4o System Card", "Rule Based Rewards for Language Model Safety"
    )
    page = html(ds, f"/papers/-/authors/{achiam}")
    assert "<h1>Joshua Achiam</h1>" in page and "<title>papers: Joshua Achiam</title>" in page
    assert rows(section(page, "Spellings")) == [["Joshua Achiam", "2"], ["Josh Achiam", "1"]]
    # The samples give no years: newest first is then by title.
    assert rows(section(page, "Papers")) == [
        ["", GPT4, "2", "Josh Achiam"],
        ["", "GPT-4o System Card", "205", "Joshua Achiam"],
        ["", "Rule Based Rewards for Language Model Safety", "4", "Joshua Achiam"],
    ]
    assert [url for url, _ in LINK.findall(section(page, "Papers"))] == [
        f"/papers/-/papers/{gpt4}",
        f"/papers/-/papers/{gpt4o}",
        f"/papers/-/papers/{rbr}",
    ]
    coauthors = rows(section(page, "Co-authors"))
    assert len(coauthors) == 556
    assert coauthors[:3] == [["John Schulman", "3"], ["Johannes Heidecke", "3"], ["Andrea Vallone", "3"]]
    [schulman] = ids(samples_db, "authors", "John Schulman")
    assert LINK.findall(section(page, "Co-authors"))[0] == (f"/papers/-/authors/{schulman}", "John Schulman")


def test_an_author_page_names_the_candidates_that_may_be_the_same_person(ds, samples_db):
    phil, philippe = ids(samples_db, "authors", "Phil Tillet", "Philippe Tillet")
    assert rows(section(html(ds, f"/papers/-/authors/{phil}"), "May be the same person")) == [
        ["Philippe Tillet", "1", "both on one paper (12)", "0.85", ""]
    ]
    page = html(ds, f"/papers/-/authors/{philippe}")
    # Phil Tillet has more papers and a compatible name, and the two are a candidate pair.
    assert rows(section(page, "May be the same person")) == [
        ["Phil Tillet", "2", "compatible name (nickname), more papers; both on one paper (12)", "0.85", "415"]
    ]
    assert LINK.findall(section(page, "May be the same person")) == [(f"/papers/-/authors/{phil}", "Phil Tillet")]
    [achiam] = ids(samples_db, "authors", "Joshua Achiam")
    assert "<p>None known.</p>" in section(html(ds, f"/papers/-/authors/{achiam}"), "May be the same person")


def test_an_author_page_lists_papers_newest_first_and_links_the_orcid(parsing, parsing_db):
    manning, socher, chris = ids(parsing_db, "authors", "Christopher D. Manning", "Richard Socher", "Chris Manning")
    page = html(parsing, f"/parsing/-/authors/{manning}")
    assert rows(section(page, "Spellings")) == [["Christopher D. Manning", "2"], ["Christopher Manning", "1"]]
    assert rows(section(page, "Papers")) == [
        ["2014", "Parsing Three", "1", "Christopher Manning"],
        ["2013", "Parsing Two", "1", "Christopher D. Manning"],
        ["2012", "Parsing One", "1", "Christopher D. Manning"],
    ]
    assert rows(section(page, "Co-authors")) == [["Richard Socher", "3"], ["John Bauer", "1"], ["Gabor Angeli", "1"]]
    assert LINK.findall(section(page, "May be the same person")) == [(f"/parsing/-/authors/{chris}", "Chris Manning")]
    assert "ORCID" not in page
    orcid = '<a class="orcid" href="https://orcid.org/0000-0002-1825-0097">0000-0002-1825-0097</a>'
    assert orcid in html(parsing, f"/parsing/-/authors/{socher}")


def test_the_author_json_has_the_same_data_with_each_links_url(parsing, parsing_db):
    manning, socher, bauer, angeli, chris = ids(
        parsing_db, "authors", "Christopher D. Manning", "Richard Socher", "John Bauer", "Gabor Angeli", "Chris Manning"
    )
    one, two, three = ids(parsing_db, "papers", "Parsing One", "Parsing Two", "Parsing Three")
    response = get(parsing, f"/parsing/-/authors/{manning}.json")
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    assert response.json() == {
        "id": manning,
        "name": "Christopher D. Manning",
        "is_organization": False,
        "paper_count": 3,
        "orcid": None,
        "orcid_url": None,
        "variants": [{"name": "Christopher D. Manning", "count": 2}, {"name": "Christopher Manning", "count": 1}],
        "papers": [
            {
                "paper_id": paper_id,
                "title": title,
                "year": year,
                "position": 1,
                "listed_as": listed_as,
                "url": f"/parsing/-/papers/{paper_id}",
            }
            for paper_id, title, year, listed_as in [
                (three, "Parsing Three", 2014, "Christopher Manning"),
                (two, "Parsing Two", 2013, "Christopher D. Manning"),
                (one, "Parsing One", 2012, "Christopher D. Manning"),
            ]
        ],
        "coauthors": [
            {"id": author_id, "name": name, "papers": n, "url": f"/parsing/-/authors/{author_id}"}
            for author_id, name, n in sorted(
                [(socher, "Richard Socher", 3), (bauer, "John Bauer", 1), (angeli, "Gabor Angeli", 1)],
                key=lambda c: (-c[2], c[0]),
            )
        ],
        "may_be_same": [
            {
                "id": chris,
                "name": "Chris Manning",
                "paper_count": 1,
                "reason": "compound: shared co-authors: bauer john (needs 2)",
                "score": 0.782,
                "shared_coauthors": None,
                "url": f"/parsing/-/authors/{chris}",
            }
        ],
    }
    assert get(parsing, f"/parsing/-/authors/{socher}.json").json()["orcid_url"] == (
        "https://orcid.org/0000-0002-1825-0097"
    )


# --- the paper page -----------------------------------------------------------------------


def test_a_paper_page_lists_authors_in_order_with_the_spelling_the_source_used(ds, samples_db):
    [gpt4] = ids(samples_db, "papers", GPT4)
    openai, achiam, adler = ids(samples_db, "authors", "OpenAI", "Joshua Achiam", "Steven Adler")
    page = html(ds, f"/papers/-/papers/{gpt4}")
    assert f"<h1>{GPT4}</h1>" in page
    authors = section(page, "Authors")
    assert authors.count("<li ") == 280
    assert LINK.findall(authors)[:3] == [
        (f"/papers/-/authors/{openai}", "OpenAI"),
        (f"/papers/-/authors/{achiam}", "Joshua Achiam"),
        (f"/papers/-/authors/{adler}", "Steven Adler"),
    ]
    listed = re.findall(r'>([^<]+)</a> <span class="listed-as">\(listed as ([^)]+)\)</span>', authors)
    assert listed == [
        ("Joshua Achiam", "Josh Achiam"),
        ("Mohammad Bavarian", "Mo Bavarian"),
        ("Benjamin Chess", "Ben Chess"),
        ("William Fedus", "Liam Fedus"),
        ("Rapha Gontijo Lopes", "Rapha Gontijo-Lopes"),
        ("Christopher Hesse", "Chris Hesse"),
        ("Matthew Knight", "Matt Knight"),
        ("Alex Tachard Passos", "Alex Passos"),
    ]


def test_a_paper_page_shows_its_sources_bibtex_and_related_links(ds, samples_db):
    page = html(ds, "/papers/-/papers/2")
    sources = query(
        samples_db,
        "SELECT f.path, s.line, f.format FROM paper_sources s JOIN source_files f ON f.id = s.file_id "
        "WHERE s.paper_id = 2 ORDER BY f.path",
    )
    assert rows(section(page, "Sources")) == [[path, str(line), fmt] for path, line, fmt in sources]
    assert [(r[0].rsplit("/", 1)[1], r[1], r[2]) for r in rows(section(page, "Sources"))] == [
        ("000_ab84cb6c7356e036.txt", "2", "abstracts"),
        ("003_813f7c278c729ce1.txt", "14", "profile"),
    ]
    bibtex = section(page, "BibTeX")
    assert '<pre class="wrapped-sql bibtex">@misc{lightmanlets,\n  author = {Lightman, Hunter and Kosaraju,' in bibtex
    assert '<a href="/papers/papers/2.bib">bib</a>' in page
    assert '<a href="/papers/papers_sharing_authors?paper_id=2">Papers sharing authors</a>' in page


def test_a_paper_page_links_its_external_ids(parsing, parsing_db):
    [one] = ids(parsing_db, "papers", "Parsing One")
    page = html(parsing, f"/parsing/-/papers/{one}")
    assert "<dt>Year</dt><dd>2012</dd>" in page and "<dt>Venue</dt><dd>ACL</dd>" in page
    assert '<dt>Link</dt><dd><a href="https://example.org/parsing-one">' in page
    assert rows(section(page, "Identifiers")) == [
        ["arxiv", "1201.00001"],
        ["doi", "10.18653/v1/p12-1001"],
        ["pmid", "22000001"],
        ["source", "parsing-one"],
    ]
    assert LINK.findall(section(page, "Identifiers")) == [
        ("https://arxiv.org/abs/1201.00001", "1201.00001"),
        ("https://doi.org/10.18653/v1/p12-1001", "10.18653/v1/p12-1001"),
        ("https://pubmed.ncbi.nlm.nih.gov/22000001/", "22000001"),
    ]
    assert '<p class="abstract">We parse sentences.</p>' in section(page, "Abstract")


def test_the_paper_json_has_the_same_data_with_each_links_url(parsing, parsing_db):
    manning, socher = ids(parsing_db, "authors", "Christopher D. Manning", "Richard Socher")
    [two] = ids(parsing_db, "papers", "Parsing Two")
    with closing(sqlite3.connect(parsing_db)) as conn:
        bibtex = export(conn, "bibtex", [two])
    assert bibtex.startswith("@misc{manning2013parsing,\n  author = {Manning, Christopher D. and Socher, R.},")
    assert get(parsing, f"/parsing/-/papers/{two}.json").json() == {
        "id": two,
        "title": "Parsing Two",
        "year": 2013,
        "venue": None,
        "url": None,
        "authors": [
            {
                "position": 1,
                "author_id": manning,
                "name": "Christopher D. Manning",
                "listed_as": "Christopher D. Manning",
                "raw_name": "Manning, Christopher D.",
                "url": f"/parsing/-/authors/{manning}",
            },
            {
                "position": 2,
                "author_id": socher,
                "name": "Richard Socher",
                "listed_as": "R. Socher",
                "raw_name": "Socher, R.",
                "url": f"/parsing/-/authors/{socher}",
            },
        ],
        "abstracts": [],
        "ids": [],
        "sources": [{"path": str(parsing_db.parent / "papers.jsonl"), "line": 2, "format": "jsonl"}],
        "bibtex": bibtex,
        "bibtex_url": f"/parsing/papers/{two}.bib",
        "sharing_authors_url": f"/parsing/papers_sharing_authors?paper_id={two}",
        # With the extra the papers have vectors: the other three, nearest first (tests/test_semantic.py).
        "related": [
            {**r.as_dict(), "url": f"/parsing/-/papers/{r.paper_id}"} for r in PaperDB(parsing_db).related(two) or []
        ]
        if embedding.available()
        else [],
    }


def test_the_paper_json_links_its_ids(parsing, parsing_db):
    [one] = ids(parsing_db, "papers", "Parsing One")
    assert get(parsing, f"/parsing/-/papers/{one}.json").json()["ids"] == [
        {"scheme": "arxiv", "value": "1201.00001", "url": "https://arxiv.org/abs/1201.00001"},
        {"scheme": "doi", "value": "10.18653/v1/p12-1001", "url": "https://doi.org/10.18653/v1/p12-1001"},
        {"scheme": "pmid", "value": "22000001", "url": "https://pubmed.ncbi.nlm.nih.gov/22000001/"},
        {"scheme": "source", "value": "parsing-one", "url": None},
    ]


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/papers/-/authors/999999", "No author 999999 in papers"),
        ("/papers/-/papers/999999", "No paper 999999 in papers"),
        ("/nosuchdb/-/papers/1", "no database 'nosuchdb'"),
    ],
)
def test_an_unknown_id_is_a_404_saying_so(ds, path, message):
    page = get(ds, path)
    assert page.status_code == 404 and str(escape(message)) in page.text
    data = get(ds, f"{path}.json")
    assert (data.status_code, data.json()) == (404, {"ok": False, "error": message, "status": 404, "title": None})


# --- links from Datasette's own pages -----------------------------------------------------


def test_the_paper_view_links_each_author_in_order(ds, samples_db):
    page = html(ds, f"/papers/{VIEW}?_search=verifier&_sort=paper_id")
    assert cells(page, "paper_id") == ['<a href="/papers/-/papers/2">2</a>', '<a href="/papers/-/papers/4">4</a>']
    assert cells(page, "title")[0] == '<a href="/papers/-/papers/2">Let&#39;s Verify Step by Step</a>'
    authors = query(
        samples_db,
        "SELECT s.author_id, a.name FROM authorships s JOIN authors a ON a.id = s.author_id "
        "WHERE s.paper_id = 2 ORDER BY s.position",
    )
    expected = ", ".join(f'<a href="/papers/-/authors/{author_id}">{name}</a>' for author_id, name in authors)
    assert cells(page, "authors")[0] == expected
    assert [name for _, name in LINK.findall(expected)][:3] == ["Hunter Lightman", "Vineet Kosaraju", "Yura Burda"]
    assert cells(page, "authors")[1] == "&nbsp;"  # the abstract-only paper has no authors


def test_an_author_name_with_a_comma_is_one_link(tmp_path):
    papers = tmp_path / "papers.jsonl"
    record = {"title": "Annual Report", "authors": [{"family": "Acme, Inc.", "organization": True}, "Doe, Jane"]}
    papers.write_text(json.dumps(record) + "\n", encoding="utf-8")
    run_import(tmp_path / "acme.db", [papers])
    acme, doe = ids(tmp_path / "acme.db", "authors", "Acme, Inc.", "Jane Doe")
    [authors] = cells(html(served(tmp_path / "acme.db"), f"/acme/{VIEW}"), "authors")
    assert LINK.findall(authors) == [(f"/acme/-/authors/{acme}", "Acme, Inc."), (f"/acme/-/authors/{doe}", "Jane Doe")]


def test_the_papers_of_an_author_query_links_ids_and_titles(ds, samples_db):
    gpt4, rbr = ids(samples_db, "papers", GPT4, "Rule Based Rewards for Language Model Safety")
    page = html(ds, "/papers/papers_of_author?name=Josh+Achiam")
    assert cells(page, "paper_id")[0] == f'<a href="/papers/-/papers/{rbr}">{rbr}</a>'
    assert cells(page, "title")[-1] == f'<a href="/papers/-/papers/{gpt4}">{GPT4}</a>'


def test_the_papers_and_authors_tables_link_titles_and_names(ds, samples_db):
    [schulman] = ids(samples_db, "authors", "John Schulman")
    assert cells(html(ds, "/papers/authors?_size=1"), "name") == [
        f'<a href="/papers/-/authors/{schulman}">John Schulman</a>'
    ]
    assert '<a href="/papers/-/papers/2">Let&#39;s Verify Step by Step</a>' in html(ds, "/papers/papers/2")
    # A foreign key shown with its label links to the paper page, its id beside it as Datasette shows it.
    assert cells(html(ds, "/papers/authorships?paper_id=5&_size=1"), "paper_id") == [
        '<a href="/papers/-/papers/5">Batch size-invariance for policy optimization</a>&nbsp;<em>5</em>'
    ]


def test_a_database_that_is_not_paperdbs_gets_no_links(samples_db, tmp_path):
    other = tmp_path / "other.db"
    with closing(sqlite3.connect(other)) as conn:
        conn.execute("CREATE TABLE notes (paper_id INTEGER, title TEXT)")
        conn.execute("INSERT INTO notes VALUES (2, 'a note')")
        conn.commit()
    page = html(served(samples_db, other), "/other/notes")
    assert cells(page, "paper_id") == ["2"] and cells(page, "title") == ["a note"]

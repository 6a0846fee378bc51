"""The ranked search page and the front door of paperdb's Datasette plugin, through Datasette's test client.

The database is every real export in tests/fixtures/formats (`formats_db`): `translation` matches
212 papers there, with years and venues to facet on. Imported with the extra, its papers have vectors.
"""

from __future__ import annotations

import asyncio
import re
from urllib.parse import quote, quote_plus

import pytest
from datasette.app import Datasette
from datasette.plugins import pm
from markupsafe import escape

import app.browse
from app.datasette_metadata import metadata
from app.etl.load import run_import
from app.query import PaperDB
from app.search import embedding
from app.search.embedding import ENABLE_HINT
from app.search.semantic import NO_VECTORS
from tests.conftest import needs_model, served, without_the_extra


@pytest.fixture(scope="module")
def ds(formats_db) -> Datasette:
    if pm.get_plugin("paperdb") is None:  # a checkout not reinstalled since the entry point came
        pm.register(app.browse, name="paperdb")
    return Datasette([str(formats_db)], metadata=metadata(formats_db.stem))


def get(ds: Datasette, path: str):
    return asyncio.run(ds.client.get(path))


def ranked(formats_db, text: str, **kwargs) -> list[int]:
    with PaperDB(formats_db) as pdb:
        return [h.paper_id for h in pdb.search(text, **kwargs)]


def test_the_search_page_ranks_as_paperdb_search_does(ds, formats_db):
    page = get(ds, "/formats/-/search.json?q=translation").json()
    assert page["total"] == 212 and page["pages"] == 11
    assert [r["paper_id"] for r in page["results"]] == ranked(formats_db, "translation", limit=20)
    assert [r["title"] for r in page["results"][:2]] == [
        "Translations: Experiments in Landscape Design Education",
        "Michel Serres. Science, Translation and the Logic of the Parasite",
    ]
    first = page["results"][0]
    assert (first["url"], first["snippet_html"]) == (
        "/formats/-/papers/702",
        "<mark>Translations</mark>: Experiments in Landscape Design Education",
    )
    with PaperDB(formats_db) as pdb:
        tietjen = pdb.author("Anne Tietjen").author.id
    assert first["authors"] == [{"id": tietjen, "name": "Anne Tietjen", "url": f"/formats/-/authors/{tietjen}"}]


def test_the_second_page_goes_on_where_the_first_stopped(ds, formats_db):
    page = get(ds, "/formats/-/search.json?q=translation&page=2").json()
    assert [r["paper_id"] for r in page["results"]] == ranked(formats_db, "translation", limit=20, offset=20)
    # The JSON links to the JSON of the pages beside it, as Datasette's own JSON does.
    assert page["previous_url"] == "/formats/-/search.json?q=translation&page=1"
    assert page["next_url"] == "/formats/-/search.json?q=translation&page=3"
    html = get(ds, "/formats/-/search?q=translation&page=2").text
    assert '<a href="/formats/-/search?q=translation&amp;page=3">next →</a>' in html


def test_year_and_venue_facets_count_the_matches_and_narrow_them(ds):
    page = get(ds, "/formats/-/search.json?q=translation").json()
    years = page["facets"]["year"]
    assert [(f["value"], f["count"]) for f in years[:3]] == [(2020, 12), (2019, 9), (2018, 14)]
    assert years[2]["url"] == "/formats/-/search.json?q=translation&year=2018"
    venues = page["facets"]["venue"]
    assert (venues[0]["value"], venues[0]["count"]) == ("Mémoires du livre", 105)
    assert len(venues) == 10 and page["venue_facet_truncated"]

    in_2018 = get(ds, "/formats/-/search.json?q=translation&year=2018").json()
    assert in_2018["total"] == 14 and {r["year"] for r in in_2018["results"]} == {2018}
    assert in_2018["facets"]["year"] == [
        {"value": 2018, "count": 14, "selected": True, "url": "/formats/-/search.json?q=translation"}
    ]
    assert [(f["value"], f["count"]) for f in in_2018["facets"]["venue"][:2]] == [
        ("Mémoires du livre", 5),
        ("Language@Internet", 2),
    ]

    livre = get(ds, f"/formats/-/search.json?q=translation&venue={quote('Mémoires du livre')}").json()
    assert livre["total"] == 105 and {r["venue"] for r in livre["results"]} == {"Mémoires du livre"}


def test_the_sort_can_be_changed_to_newest_or_oldest(ds):
    newest = get(ds, "/formats/-/search.json?q=translation&sort=newest").json()
    years = [r["year"] for r in newest["results"]]
    assert years == sorted(years, reverse=True) and years[0] == 2020 and newest["total"] == 212
    oldest = get(ds, "/formats/-/search.json?q=translation&sort=oldest").json()
    assert [r["year"] for r in oldest["results"][:3]] == [1920, 1939, 1964]
    assert [(s["name"], s["selected"]) for s in oldest["sorts"]] == [
        ("relevance", False),
        ("newest", False),
        ("oldest", True),
    ]
    assert oldest["sorts"][0]["url"] == "/formats/-/search.json?q=translation"
    # Any column, as a table: Datasette's own table page, not sent back here.
    assert oldest["table_url"] == "/formats/paper_view?_search=translation&_sort=paper_id"
    assert get(ds, oldest["table_url"]).status_code == 200


def test_searching_paper_view_goes_to_the_ranked_search(ds):
    response = get(ds, "/formats/paper_view?_search=graph+business&year=2009")
    assert (response.status_code, response.headers["location"]) == (
        302,
        "/formats/-/search?q=graph+business&year=2009",
    )
    for kept in ("?_search=graph&_sort=year", "?_search=graph&_facet=venue", "?year=2009", ".json?_search=graph"):
        assert get(ds, f"/formats/paper_view{kept}").status_code == 200, kept


def test_the_results_page_links_papers_and_authors(ds):
    page = get(ds, "/formats/-/search?q=graph+business+process").text
    titles = re.findall(r'<a class="paperdb-title" href="([^"]+)">([^<]+)</a>', page)
    assert titles[:2] == [
        (
            "/formats/-/papers/1630",
            "The Difference Between Graph-Based and Block-Structured Business Process Modelling Languages",
        ),
        (
            "/formats/-/papers/1640",
            "On the Choice Between Graph-Based and Block-Structured Business Process Modeling Languages",
        ),
    ]
    first = page.split('<li class="paperdb-result">')[1]
    authors = re.findall(r'<a class="paperdb-author" href="/formats/-/authors/\d+">([^<]+)</a>', first)
    assert authors == ["Oliver Kopp", "Daniel Martin", "Daniel Wutke", "Frank Leymann"]
    assert "<mark>Graph</mark>" in first
    assert '<a href="/formats/-/search.json?q=graph+business+process">JSON</a>' in page


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("q=translation&year=twenty", "year must be a whole number, not 'twenty'"),
        ("q=translation&sort=best", "sort must be one of relevance, newest, oldest, not 'best'"),
        ("q=%22%3B", "empty query '\";': give at least one word to search for"),
        ("q=translation&mode=vectors", "mode must be one of text, semantic, hybrid, not 'vectors'"),
    ],
)
def test_a_bad_argument_is_a_clear_error(ds, query, message):
    response = get(ds, f"/formats/-/search.json?{query}")
    assert (response.status_code, response.json()["error"]) == (400, message)
    assert str(escape(message)) in get(ds, f"/formats/-/search?{query}").text


def test_no_words_shows_the_search_box(ds):
    page = get(ds, "/formats/-/search")
    assert page.status_code == 200
    assert '<input type="search" name="q" id="q" value=""' in page.text
    assert get(ds, "/formats/-/search.json").json() == {
        "q": "",
        "mode": "text",
        "modes": [
            {"name": "text", "label": "words", "selected": True, "url": "/formats/-/search.json"},
            {"name": "semantic", "label": "meaning", "selected": False, "url": "/formats/-/search.json?mode=semantic"},
            {
                "name": "hybrid",
                "label": "words and meaning",
                "selected": False,
                "url": "/formats/-/search.json?mode=hybrid",
            },
        ]
        if embedding.available()  # with the extra, formats_db has vectors
        else [],
        "results": [],
        "total": 0,
        "error": None,
    }


HEART = "heart disease risk in older adults"


@needs_model
def test_a_search_by_meaning_lists_its_best_hundred_papers_without_facets(ds, formats_db):
    assert get(ds, f"/formats/-/search.json?q={quote(HEART)}").json()["total"] == 0  # no paper has every word
    page = get(ds, f"/formats/-/search.json?q={quote(HEART)}&mode=semantic").json()
    nearest = ranked(formats_db, HEART, mode="semantic", limit=100)
    assert (page["mode"], page["total"], page["pages"]) == ("semantic", 100, 5)
    assert [r["paper_id"] for r in page["results"]] == nearest[:20]
    assert page["results"][0]["title"].startswith("Sex Disparities in Cardiovascular Risk Factor Assessment")
    assert (page["facets"], page["sorts"], page["table_url"]) == ({}, [], None)
    last = get(ds, f"/formats/-/search.json?q={quote(HEART)}&mode=semantic&page=5").json()
    assert [r["paper_id"] for r in last["results"]] == nearest[80:]
    assert last["next_url"] is None
    assert last["previous_url"] == f"/formats/-/search.json?q={quote_plus(HEART)}&mode=semantic&page=4"


@needs_model
def test_a_hybrid_search_pages_through_one_fused_list(ds, formats_db):
    fused = ranked(formats_db, "citation analysis", mode="hybrid", limit=100)
    pages = [get(ds, f"/formats/-/search.json?q=citation+analysis&mode=hybrid&page={n}").json() for n in (1, 2, 5)]
    assert [[r["paper_id"] for r in p["results"]] for p in pages] == [fused[:20], fused[20:40], fused[80:]]
    assert pages[0]["results"][0]["title"] == "Herd behavior in purchasing books online"
    assert pages[0]["total"] == 100 and pages[0]["facets"] == {}


@needs_model
def test_a_year_narrows_the_papers_ranked_by_meaning_and_can_be_dropped(ds, formats_db):
    page = get(ds, f"/formats/-/search.json?q={quote(HEART)}&mode=semantic&year=2015").json()
    # Only 61 papers are from 2015: all of them are listed, the nearest first.
    assert page["total"] == 61 and {r["year"] for r in page["results"]} == {2015}
    assert [r["paper_id"] for r in page["results"]] == ranked(
        formats_db, HEART, mode="semantic", year_from=2015, year_to=2015, limit=20
    )
    assert page["results"][0]["title"] == "Sleep quality among Iranian hemodialysis patients: a multicenter study."
    dropped = f"/formats/-/search.json?q={quote_plus(HEART)}&mode=semantic"
    assert page["filters"] == [{"name": "year", "value": 2015, "url": dropped}]
    html = get(ds, f"/formats/-/search?q={quote(HEART)}&mode=semantic&year=2015").text
    assert "The <strong>61 papers</strong> nearest in meaning to “heart disease risk in older adults” in 2015" in html
    assert f'<a href="{escape(dropped.replace(".json", ""))}" class="cross">' in html


@needs_model
def test_the_page_offers_the_modes_and_keeps_the_one_chosen(ds):
    html = get(ds, "/formats/-/search?q=translation&sort=newest").text
    assert (
        '<select name="mode" aria-label="Rank by"><option value="text" selected>words</option>'
        '<option value="semantic">meaning</option><option value="hybrid">words and meaning</option></select>'
    ) in html
    # Another mode drops the sort: a search by meaning is ranked by relevance only.
    assert re.search(
        r'Ranked by\s*<strong>words</strong> · <a href="/formats/-/search\?q=translation&amp;mode=semantic">meaning</a>'
        r' · <a href="/formats/-/search\?q=translation&amp;mode=hybrid">words and meaning</a>',
        html,
    )
    hybrid = get(ds, "/formats/-/search?q=translation&mode=hybrid").text
    assert '<option value="hybrid" selected>words and meaning</option>' in hybrid
    assert "best by words and meaning for “translation”" in hybrid and 'id="facet-year"' not in hybrid
    response = get(ds, "/formats/-/search.json?q=translation&mode=semantic&sort=newest")
    assert (response.status_code, response.json()["error"]) == (
        400,
        "a semantic search takes plain words, ranked by relevance (no raw syntax, no sort)",
    )


def test_without_the_extra_a_search_by_meaning_says_how_to_enable_it(ds, monkeypatch):
    without_the_extra(monkeypatch)
    for mode in ("semantic", "hybrid"):
        response = get(ds, f"/formats/-/search.json?q=translation&mode={mode}")
        assert (response.status_code, response.json()["error"], response.json()["modes"]) == (400, ENABLE_HINT, [])
    html = get(ds, "/formats/-/search?mode=semantic").text
    assert str(escape(ENABLE_HINT)) in html and "<select" not in html
    # The words' search is as it was, with no modes offered.
    page = get(ds, "/formats/-/search.json?q=translation").json()
    assert (page["total"], page["modes"]) == (212, [])
    assert "<select" not in get(ds, "/formats/-/search?q=translation").text


@needs_model
def test_a_database_without_vectors_offers_no_modes_and_says_why(tmp_path, monkeypatch):
    without_the_extra(monkeypatch)
    papers = tmp_path / "a.jsonl"
    papers.write_text('{"doi": "10.1/a", "title": "Protein structure prediction"}\n', encoding="utf-8")
    run_import(tmp_path / "plain.db", [papers])
    monkeypatch.undo()  # the extra is back, but the papers were imported without it
    plain = served(tmp_path / "plain.db")
    assert get(plain, "/plain/-/search.json?q=protein").json()["modes"] == []
    response = get(plain, "/plain/-/search.json?q=protein&mode=hybrid")
    assert (response.status_code, response.json()["error"]) == (400, NO_VECTORS)


def test_the_database_page_starts_with_a_search_box_and_the_tables_in_order(ds):
    page = get(ds, "/formats").text
    assert "<h1>formats (paperdb)</h1>" in page
    assert '<form class="paperdb-search-form" action="/formats/-/search" method="get">' in page
    assert re.findall(r'<h2 id="[^"]+">([^<]+)</h2>', page) == ["Papers", "Authors", "Imports", "Queries"]
    tables = re.findall(r'<h3><a href="/formats/([^"]+)">', page)
    assert tables == [
        "paper_view",
        "papers",
        "abstracts",
        "paper_ids",
        "paper_sources",
        "authors",
        "authorships",
        "author_names",
        "author_candidates",
        "author_merges",
        "name_repairs",
        "import_runs",
        "source_files",
        "rejects",
    ]
    assert re.search(
        r"paper_view</a> <em>\(start here\)</em></h3>\s*<p>One row per paper[^<]*<em>2,364 rows</em>", page
    )
    assert "search_top" not in page and "alembic_version" not in page
    assert "sample" not in page.lower()  # the source text describes this database, not the sample dumps
    assert page.index("paperdb-search-form") < page.index('id="Papers"') < page.index("Custom SQL query")


def test_another_database_keeps_datasettes_own_page(tmp_path):
    import sqlite3

    other = tmp_path / "other.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)")
    page = get(Datasette([str(other)]), "/other").text
    assert "paperdb-search-form" not in page and '<a href="/other/notes">notes</a>' in page
    assert get(Datasette([str(other)]), "/other/-/search?q=x").status_code == 404

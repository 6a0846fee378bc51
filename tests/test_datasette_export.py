"""The Datasette plugin shipped with paperdb: `.bib`, `.ris` and CSL-JSON downloads of the papers on
table, query and row pages, through Datasette's own test client."""

from __future__ import annotations

import asyncio
import importlib
import json
import sqlite3
import tomllib
from contextlib import closing

import pytest
from datasette.app import Datasette

from app.datasette_metadata import VIEW
from app.export import export
from tests.conftest import ROOT, served

ENTRY_POINT = ("datasette", "paperdb", "app.browse")


@pytest.fixture(scope="module")
def ds(samples_db) -> Datasette:
    return served(samples_db)


def fetch(ds: Datasette, path: str):
    return asyncio.run(ds.client.get(path))


def keys(bibtex: str) -> list[str]:
    return [line.split("{", 1)[1].rstrip(",") for line in bibtex.splitlines() if line.startswith("@")]


def test_a_paper_row_page_downloads_as_bibtex(ds, samples_db):
    response = fetch(ds, "/papers/papers/2.bib")
    assert (response.status_code, response.headers["content-type"], response.headers["content-disposition"]) == (
        200,
        "application/x-bibtex; charset=utf-8",
        'attachment; filename="papers.bib"',
    )
    with closing(sqlite3.connect(samples_db)) as conn:
        assert response.text == export(conn, "bibtex", [2])
    assert response.text.startswith("@misc{lightmanlets,\n  author = {Lightman, Hunter and Kosaraju, Vineet and ")


def test_a_searched_table_page_downloads_its_papers_as_bibtex_and_ris(ds):
    assert keys(fetch(ds, f"/papers/{VIEW}.bib?_search=cobbe").text) == ["lightmanlets", "nakanowebgpt", "hiltonbatch"]
    ris = fetch(ds, "/papers/papers.ris?_search=verifier").text
    assert ris.startswith("TY  - GEN\nAU  - Lightman, Hunter\nAU  - Kosaraju, Vineet\n")
    assert [line for line in ris.splitlines() if line.startswith("TI  - ")] == ["TI  - Let's Verify Step by Step"]


def test_a_canned_query_downloads_as_csl_json(ds):
    response = fetch(ds, "/papers/papers_of_author.csljson?name=Josh+Achiam")
    assert response.headers["content-type"] == "application/vnd.citationstyles.csl+json; charset=utf-8"
    assert response.headers["content-disposition"] == 'attachment; filename="papers_of_author.json"'
    items = json.loads(response.text)
    assert [(i["id"], i["title"], len(i["author"])) for i in items] == [
        ("murule", "Rule Based Rewards for Language Model Safety", 10),
        ("openaigpt4o", "GPT-4o System Card", 417),
        ("openaigpt4", "GPT-4 Technical Report", 280),
    ]
    assert items[1]["author"][:2] == [{"literal": "OpenAI"}, {"family": "Hurst", "given": "Aaron"}]


def test_an_sql_query_with_a_paper_id_column_downloads_its_papers_once_each(ds):
    sql = "sql=select+paper_id,+position+from+authorships+where+paper_id+in+(3,+5)+order+by+paper_id+desc"
    assert f'href="/papers.bib?{sql}"' in fetch(ds, f"/papers?{sql}").text
    assert keys(fetch(ds, f"/papers.bib?{sql}").text) == ["hiltonbatch", "nakanowebgpt"]


def test_a_table_whose_paper_ids_show_their_titles_downloads_those_papers(ds):
    # Datasette links `authorships.bib?…&_labels=on`: the paper_id cells are then {value, label}.
    page = fetch(ds, "/papers/authorships?paper_id=5").text
    assert 'href="/papers/authorships.bib?paper_id=5&amp;_labels=on"' in page
    assert keys(fetch(ds, "/papers/authorships.bib?paper_id=5&_labels=on").text) == ["hiltonbatch"]


def test_pages_with_papers_link_the_downloads_and_other_pages_do_not(ds):
    page = fetch(ds, f"/papers/{VIEW}?_search=cobbe&_sort=year").text
    for extension in ("bib", "ris", "csljson"):
        assert f'href="/papers/{VIEW}.{extension}?_search=cobbe&amp;_sort=year"' in page
    assert 'href="/papers/papers/2.bib"' in fetch(ds, "/papers/papers/2").text
    assert ".bib" not in fetch(ds, "/papers/authors").text
    assert fetch(ds, "/papers/authors.bib").status_code == 400


def test_the_plugin_is_registered_by_the_datasette_entry_point():
    group, name, module = ENTRY_POINT
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert config["project"]["entry-points"][group] == {name: module}
    assert hasattr(importlib.import_module(module), "register_output_renderer")


def test_datasette_lists_the_plugin_with_its_hooks(ds):
    plugins = {p["name"]: p for p in fetch(ds, "/-/plugins.json").json()}
    assert plugins["paperdb"]["hooks"] == [
        "asgi_wrapper",
        "extra_template_vars",
        "register_output_renderer",
        "register_routes",
        "render_cell",
    ]
    assert plugins["paperdb"]["templates"] is True  # the package's templates/ folder is found

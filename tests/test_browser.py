"""End to end: `paperdb serve` in a subprocess, searched in headless Chromium as a person would."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import copied, needs_model

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
STARTUP_SECONDS = 30
# Where the browser tests leave a screenshot of each page they visit, for a person to look at.
SCREENSHOTS = Path(
    os.environ.get("PAPERDB_SCREENSHOTS", Path(__file__).resolve().parent.parent / "build" / "screenshots")
)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not CHROMIUM.exists() and not os.environ.get("CI"),
        reason="needs Debian's chromium at /usr/bin/chromium (apt-get install chromium); CI installs it",
    ),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(samples_db, tmp_path):
    """`paperdb serve` on a copy of the sample database; yields its base URL."""
    yield from serving(copied(samples_db, tmp_path / "papers.db"), tmp_path)


@pytest.fixture
def formats_server(formats_db, tmp_path):
    """`paperdb serve` on a copy of the database of real exports (`formats_db`); yields its base URL."""
    yield from serving(copied(formats_db, tmp_path / "formats.db"), tmp_path)


def serving(db: Path, tmp_path: Path):
    port = free_port()
    log = (tmp_path / "serve.log").open("w")
    paperdb = Path(sys.executable).parent / "paperdb"
    proc = subprocess.Popen(
        [str(paperdb), "--db", str(db), "serve", "--port", str(port)], stdout=log, stderr=subprocess.STDOUT
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + STARTUP_SECONDS
    while True:
        assert proc.poll() is None, (tmp_path / "serve.log").read_text()
        try:
            urllib.request.urlopen(f"{base}/-/versions.json", timeout=1).close()
            break
        except OSError:
            assert time.monotonic() < deadline, "paperdb serve did not start:\n" + (tmp_path / "serve.log").read_text()
            time.sleep(0.2)
    yield base
    proc.terminate()
    proc.wait(timeout=10)
    log.close()


def test_search_the_papers_table_in_a_browser(server, tmp_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.goto(f"{server}/papers/papers")
            page.fill("input#_search", "verifier")
            page.press("input#_search", "Enter")
            page.wait_for_url("**_search=verifier**")
            titles = page.locator("table.rows-and-columns tbody td.col-title").all_inner_texts()
            page.screenshot(path=str(tmp_path / "papers-search.png"), full_page=True)
        finally:
            browser.close()
    assert titles == ["Let's Verify Step by Step"]


def test_search_then_paper_then_author_then_coauthor_without_typing_a_name(formats_server):
    """The path a person takes: the front door's search box, the best match, its first author,
    one of that author's co-authors; each page is checked and photographed."""
    from playwright.sync_api import sync_playwright

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    seen = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})

            def shot(name: str) -> None:
                page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)

            page.goto(f"{formats_server}/formats")
            seen["tables"] = page.locator("div.db-table h3 a").all_inner_texts()[:3]
            shot("1-database")
            page.fill("input#q", "graph business process")
            page.press("input#q", "Enter")
            page.wait_for_url("**/formats/-/search?q=graph+business+process")
            seen["results"] = page.locator("a.paperdb-title").all_inner_texts()[:2]
            seen["facets"] = page.locator("#facet-year li").all_inner_texts()
            shot("2-search")

            page.locator("a.paperdb-title").first.click()
            page.wait_for_url("**/formats/-/papers/1630")
            seen["paper"] = page.locator("h1").inner_text()
            seen["paper_authors"] = page.locator("a[href*='/-/authors/']").all_inner_texts()[:4]
            shot("3-paper")

            page.get_by_role("link", name="Oliver Kopp", exact=True).first.click()
            page.wait_for_url("**/formats/-/authors/*")
            seen["author"] = page.locator("h1").inner_text()
            seen["author_text"] = page.locator("section.content").inner_text()
            shot("4-author")

            page.get_by_role("link", name="Daniel Wutke", exact=True).first.click()
            page.wait_for_url("**/formats/-/authors/*")
            seen["coauthor"] = page.locator("h1").inner_text()
            seen["coauthor_text"] = page.locator("section.content").inner_text()
            shot("5-coauthor")
        finally:
            browser.close()

    assert seen["tables"] == ["paper_view", "papers", "abstracts"]
    assert seen["results"] == [
        "The Difference Between Graph-Based and Block-Structured Business Process Modelling Languages",
        "On the Choice Between Graph-Based and Block-Structured Business Process Modeling Languages",
    ]
    assert seen["facets"][:2] == ["2009 1", "2008 1"]
    assert "The Difference Between Graph-Based and Block-Structured Business Process" in seen["paper"]
    assert seen["paper_authors"] == ["Oliver Kopp", "Daniel Martin", "Daniel Wutke", "Frank Leymann"]
    assert "Oliver Kopp" in seen["author"]
    assert "Frank Leymann" in seen["author_text"] and "Daniel Wutke" in seen["author_text"]
    assert "Daniel Wutke" in seen["coauthor"] and "Oliver Kopp" in seen["coauthor_text"]
    assert sorted(f.name for f in SCREENSHOTS.glob("[1-5]-*.png")) == [
        "1-database.png",
        "2-search.png",
        "3-paper.png",
        "4-author.png",
        "5-coauthor.png",
    ]


@needs_model
def test_choose_to_rank_by_meaning_in_a_browser(formats_server):
    """The search page's selector: a search that no paper has every word of, ranked by meaning instead."""
    from playwright.sync_api import sync_playwright

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            page.goto(f"{formats_server}/formats/-/search?q=heart+disease+risk+in+older+adults")
            by_words = page.locator("p.paperdb-summary").inner_text()
            page.select_option("select[name=mode]", "semantic")
            page.locator("input[type=submit]").click()
            page.wait_for_url("**/formats/-/search?q=heart+disease+risk+in+older+adults&mode=semantic")
            summary = page.locator("p.paperdb-summary").inner_text()
            titles = page.locator("a.paperdb-title").all_inner_texts()
            facets = page.locator(".paperdb-facets").count()
            chosen = page.locator("select[name=mode]").input_value()
            page.screenshot(path=str(SCREENSHOTS / "6-search-by-meaning.png"), full_page=True)
        finally:
            browser.close()
    assert by_words == "0 papers match “heart disease risk in older adults”."
    assert summary == "The 100 papers nearest in meaning to “heart disease risk in older adults”."
    assert len(titles) == 20 and titles[0].startswith("Sex Disparities in Cardiovascular Risk Factor Assessment")
    assert (facets, chosen) == (0, "semantic")

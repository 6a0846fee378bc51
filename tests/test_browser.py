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

from tests.conftest import copied

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
    db = copied(samples_db, tmp_path / "papers.db")
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

"""The docs cover what users rely on: the schema, the quick start, every command, links that lead somewhere."""

from __future__ import annotations

import re
from pathlib import Path

from app.cli import main
from app.docs import SCHEMA_DOC, tables, with_schema
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
CLI_DOC = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def test_schema_page_is_current():
    page = SCHEMA_DOC.read_text(encoding="utf-8")
    assert with_schema(page) == page, "run `python -m app.docs` to regenerate docs/schema.md"


def test_schema_page_lists_public_tables_before_internal_ones():
    page = SCHEMA_DOC.read_text(encoding="utf-8")
    public, internal = page.split("\n## Internal tables\n", 1)
    assert "### `papers`" in public and "### `papers`" not in internal
    assert "### `rejects`" in public and "### `rejects`" not in internal
    assert "### `pending_blocks`" in internal and "### `pending_blocks`" not in public
    assert "### `resolver_rules`" in internal and "### `resolver_rules`" not in public


def test_every_table_and_column_is_described():
    undocumented = [(t, c) for t, doc, cols in tables() for c, _, d in cols if not d or not doc]
    assert undocumented == []


def test_quick_start_is_the_two_make_commands():
    quick = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    commands = [line.split("#")[0].strip() for line in quick.splitlines() if line.startswith("make ")]
    assert commands == ["make demo", "make test"]


def test_every_command_is_in_the_readme():
    missing = [name for name in main.commands if f"paperdb {name}" not in README]
    assert missing == []


def test_every_command_has_its_section_in_the_cli_page():
    missing = [name for name in main.commands if f"\n## `paperdb {name}" not in CLI_DOC]
    assert missing == []


def without_code(text: str) -> str:
    """Markdown with its fenced code blocks removed: `#` and `](` in code are not headings or links."""
    return re.sub(r"^```.*?^```", "", text, flags=re.M | re.S)


def anchors(text: str) -> set[str]:
    """The anchors GitHub gives a page's headings: lower case, punctuation dropped, spaces to hyphens."""
    headings = re.findall(r"^#+ (.+)$", without_code(text), flags=re.M)
    return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in headings}


def leads_somewhere(page: Path, target: str) -> bool:
    """Whether a relative link from `page` names a file that exists and, in a Markdown page, a heading of it."""
    path, _, anchor = target.partition("#")
    linked = (page.parent / path).resolve() if path else page
    if not linked.exists():
        return False
    return not anchor or linked.suffix != ".md" or anchor in anchors(linked.read_text(encoding="utf-8"))


def test_links_between_the_pages_lead_to_a_file_and_heading():
    broken = [
        f"{page.relative_to(ROOT)}: {target}"
        for page in PAGES
        for target in re.findall(r"\]\(([^)\s]+)\)", without_code(page.read_text(encoding="utf-8")))
        if not re.match(r"[a-z]+:", target) and not leads_somewhere(page, target)  # web addresses aside
    ]
    assert broken == []


def test_anchors_are_githubs():
    page = "# Schema\n\n## `paperdb paper ID_OR_TITLE`\n\n```sh\n# not a heading\n```\n### How well it works\n"
    assert anchors(page) == {"schema", "paperdb-paper-id_or_title", "how-well-it-works"}

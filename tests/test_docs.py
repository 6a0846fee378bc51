"""The README documents what users rely on: the schema, the quick start, every command."""
from __future__ import annotations

from app.cli import main
from app.docs import tables, with_schema
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_schema_section_is_current():
    assert with_schema(README) == README, "run `python -m app.docs` to regenerate the schema section"


def test_every_table_and_column_is_described():
    undocumented = [(t, c) for t, doc, cols in tables() for c, _, d in cols if not d or not doc]
    assert undocumented == []


def test_quick_start_is_the_two_make_commands():
    quick = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    commands = [line.split("#")[0].strip() for line in quick.splitlines() if line.startswith("make ")]
    assert commands == ["make demo", "make test"]


def test_every_command_is_documented():
    missing = [name for name in main.commands if f"paperdb {name}" not in README]
    assert missing == []

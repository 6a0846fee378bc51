"""A small file written and imported into a new database, for tests of what a broken file loads."""

from __future__ import annotations

from pathlib import Path

from app.etl.load import ImportReport, run_import


def imported(tmp_path: Path, name: str, text: str) -> tuple[Path, Path, ImportReport]:
    """(the file, the database, the import's report) of `text` saved as `name` and imported."""
    f = tmp_path / name
    f.write_text(text, encoding="utf-8")
    db = tmp_path / "papers.db"
    return f, db, run_import(db, [f])

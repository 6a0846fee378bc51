"""The schema is built, torn down and rebuilt by the real alembic migrations."""

from __future__ import annotations

import sqlite3

from app.db import current_revision, head_revision, migrate
from tests.conftest import query

TABLES = {
    "papers",
    "paper_ids",
    "authors",
    "author_names",
    "authorships",
    "abstracts",
    "import_runs",
    "source_files",
    "paper_sources",
    "name_repairs",
    "rejects",
    "author_merges",
    "author_candidates",
    "search_authors",
    "pending_blocks",
    "fts_deferred",
    "deferred_indexes",
    "search_terms",
    "search_top",
    "search_top_source",
    "override_blocks",
    "resolver_rules",
    "search_changes",
    "search_postings",
    "search_lengths",
    "search_formats",
    "paper_vectors",
    "vector_model",
    "alembic_version",
}
FTS = {
    "papers_fts": ("papers", "porter unicode61 remove_diacritics 2"),
    "authors_fts": ("authors", "unicode61 remove_diacritics 2"),
    "paper_search_fts": ("paper_search", "porter unicode61 remove_diacritics 2"),
}


def user_tables(db) -> set[str]:
    names = {r[0] for r in query(db, "SELECT name FROM sqlite_master WHERE type = 'table'")}
    return {n for n in names if not any(n.startswith(f) for f in FTS)}


def test_upgrade_creates_every_table_fts_index_and_trigger(tmp_path):
    db = tmp_path / "p.db"
    migrate(db)
    assert current_revision(db) == head_revision()
    assert user_tables(db) == TABLES
    for fts, (content, tokenizer) in FTS.items():
        (sql,) = query(db, "SELECT sql FROM sqlite_master WHERE name = ?", (fts,))[0]
        assert f'content="{content}"' in sql  # the form Datasette detects
        assert f"tokenize='{tokenizer}'" in sql
        triggers = {
            r[0] for r in query(db, "SELECT name FROM sqlite_master WHERE type='trigger' AND tbl_name=?", (content,))
        }
        if content == "paper_search":  # a view: the tables it reads take a changed paper out of the index
            assert query(db, "SELECT type FROM sqlite_master WHERE name = 'paper_search'") == [("view",)]
            assert triggers == set()
            continue
        assert {t for t in triggers if "search" not in t} == {f"{content}_ai", f"{content}_ad", f"{content}_au"}
    search_triggers = {
        r[0] for r in query(db, "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE '%search%'")
    }
    assert search_triggers == {
        f"{name}_{when}{event}"
        for name in ("papers_search", "abstracts_search", "search_authors")
        for when in "ba"
        for event in "iud"
    } - {"papers_search_bi", "papers_search_ad"} | {"papers_search_changes_ai"}


def test_downgrade_to_base_and_upgrade_again(tmp_path):
    db = tmp_path / "p.db"
    migrate(db)
    migrate(db, "base")
    assert current_revision(db) is None
    assert user_tables(db) == {"alembic_version"}
    migrate(db)
    assert user_tables(db) == TABLES


def test_wal_mode_and_no_insert_or_replace_in_the_code(tmp_path):
    from tests.conftest import ROOT

    db = tmp_path / "p.db"
    migrate(db)
    assert query(db, "PRAGMA journal_mode") == [("wal",)]
    offenders = [
        p
        for d in ("app", "migrations", "scripts")
        for p in (ROOT / d).rglob("*.py")
        if "insert or replace" in p.read_text().lower()
    ]
    assert offenders == []


def test_fts_integrity_after_import(samples_db):
    conn = sqlite3.connect(samples_db)
    for fts in FTS:
        conn.execute(f"INSERT INTO {fts}({fts}, rank) VALUES ('integrity-check', 1)")  # raises if out of sync
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    conn.close()


def indexes(db) -> set[tuple[str, str, str]]:
    """(table, index, SQL) of the indexes declared in SQL (a unique constraint's has none)."""
    return set(query(db, "SELECT tbl_name, name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"))


def test_the_migrations_build_the_indexes_the_models_declare(tmp_path):
    from sqlalchemy import create_engine
    from sqlmodel import SQLModel

    import app.models  # noqa: F401  (registers the tables)

    migrated, declared = tmp_path / "migrated.db", tmp_path / "declared.db"
    migrate(migrated)
    engine = create_engine(f"sqlite:///{declared}")
    SQLModel.metadata.create_all(engine)
    engine.dispose()
    assert indexes(migrated) == indexes(declared)
    assert (
        "papers",
        "ix_papers_untitled",
        "CREATE INDEX ix_papers_untitled ON papers (id) WHERE title IS NULL",
    ) in indexes(migrated)
    assert "ix_authorships_paper_id" not in {name for _, name, _ in indexes(migrated)}

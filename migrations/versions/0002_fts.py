"""Full-text search: FTS5 external-content indexes kept in sync by triggers.

Frozen, hand-written SQL. Each index is declared `content="<table>"` (the form
Datasette detects) and named `<table>_fts`, with triggers `<table>_ai`, `_ad`,
`_au`; delete sends FTS5's 'delete' command with the old values. Titles and
abstracts are stemmed (porter); author names are not, because stemming mangles
names. The combined per-paper index has prefix indexes for fast `verif*` queries.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STEMMED = "porter unicode61 remove_diacritics 2"
NAMES = "unicode61 remove_diacritics 2"

# (fts table, content table, rowid column, indexed columns, tokenizer, extra options)
INDEXES = [
    ("papers_fts", "papers", "id", ("title",), STEMMED, ""),
    ("abstracts_fts", "abstracts", "id", ("text",), STEMMED, ""),
    ("authors_fts", "authors", "id", ("name",), NAMES, ""),
    ("paper_search_fts", "paper_search", "paper_id", ("title", "authors", "abstract"), STEMMED, ", prefix='2 3 4'"),
]


def _create(fts, table, rowid, cols, tokenize, extra):
    names = ", ".join(cols)
    new = ", ".join(f"new.{c}" for c in cols)
    old = ", ".join(f"old.{c}" for c in cols)
    op.execute(
        f"CREATE VIRTUAL TABLE [{fts}] USING FTS5 ({names}, "
        f'tokenize=\'{tokenize}\', content="{table}", content_rowid="{rowid}"{extra})'
    )
    op.execute(
        f"CREATE TRIGGER [{table}_ai] AFTER INSERT ON [{table}] BEGIN "
        f"INSERT INTO [{fts}] (rowid, {names}) VALUES (new.{rowid}, {new}); END"
    )
    op.execute(
        f"CREATE TRIGGER [{table}_ad] AFTER DELETE ON [{table}] BEGIN "
        f"INSERT INTO [{fts}] ([{fts}], rowid, {names}) VALUES ('delete', old.{rowid}, {old}); END"
    )
    # Only a change to an indexed column touches the index (timestamps change often).
    op.execute(
        f"CREATE TRIGGER [{table}_au] AFTER UPDATE OF {names} ON [{table}] BEGIN "
        f"INSERT INTO [{fts}] ([{fts}], rowid, {names}) VALUES ('delete', old.{rowid}, {old}); "
        f"INSERT INTO [{fts}] (rowid, {names}) VALUES (new.{rowid}, {new}); END"
    )
    op.execute(f"INSERT INTO [{fts}] ([{fts}]) VALUES ('rebuild')")


def upgrade() -> None:
    for index in INDEXES:
        _create(*index)


def downgrade() -> None:
    for fts, table, *_ in INDEXES:
        for suffix in ("ai", "ad", "au"):
            op.execute(f"DROP TRIGGER IF EXISTS [{table}_{suffix}]")
        op.execute(f"DROP TABLE IF EXISTS [{fts}]")

"""Batched FTS sync for imports: the `fts_deferred` table and triggers that honour it.

Frozen, hand-written SQL. FTS5 indexes a row several times faster in a batched
`INSERT … SELECT` than from a trigger, one call per row. So an import, inside its
own transaction, records each table's largest key in `fts_deferred`; the triggers
then leave rows above that key alone, and the import indexes them in one statement
before it commits. Rows at or below the key (already indexed) stay with the
triggers, as does every writer that never touches `fts_deferred`. The table is
empty outside an import's transaction, so the indexes are always complete.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (fts table, content table, key column, indexed columns), as created in 0002.
INDEXES = [
    ("papers_fts", "papers", "id", ("title",)),
    ("abstracts_fts", "abstracts", "id", ("text",)),
    ("authors_fts", "authors", "id", ("name",)),
    ("paper_search_fts", "paper_search", "paper_id", ("title", "authors", "abstract")),
]


def _triggers(fts, table, key, cols, *, deferrable):
    names = ", ".join(cols)
    new = ", ".join(f"new.{c}" for c in cols)
    old = ", ".join(f"old.{c}" for c in cols)

    def when(row):
        if not deferrable:
            return ""
        return (
            f"WHEN {row}.{key} <= coalesce((SELECT upto FROM fts_deferred WHERE table_name = '{table}'), {row}.{key}) "
        )

    insert = f"INSERT INTO [{fts}] (rowid, {names}) VALUES (new.{key}, {new});"
    delete = f"INSERT INTO [{fts}] ([{fts}], rowid, {names}) VALUES ('delete', old.{key}, {old});"
    for suffix in ("ai", "ad", "au"):
        op.execute(f"DROP TRIGGER [{table}_{suffix}]")
    op.execute(f"CREATE TRIGGER [{table}_ai] AFTER INSERT ON [{table}] {when('new')}BEGIN {insert} END")
    op.execute(f"CREATE TRIGGER [{table}_ad] AFTER DELETE ON [{table}] {when('old')}BEGIN {delete} END")
    # Only a change to an indexed column touches the index (timestamps change often).
    op.execute(
        f"CREATE TRIGGER [{table}_au] AFTER UPDATE OF {names} ON [{table}] {when('old')}BEGIN {delete} {insert} END"
    )


def upgrade() -> None:
    op.create_table(
        "fts_deferred",
        sa.Column("table_name", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("upto", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("table_name"),
    )
    for index in INDEXES:
        _triggers(*index, deferrable=True)


def downgrade() -> None:
    for index in INDEXES:
        _triggers(*index, deferrable=False)
    op.drop_table("fts_deferred")

"""Vectors for semantic search: `paper_vectors` (one per paper) and `vector_model` (which model, how current).

Frozen, hand-written SQL. Both start empty; an import with the optional extra
`paperdb[semantic]` installed fills them, and one without it never writes them.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        "CREATE TABLE paper_vectors ("
        "paper_id INTEGER NOT NULL PRIMARY KEY REFERENCES papers (id) ON DELETE CASCADE, "
        "text_hash INTEGER NOT NULL, vector BLOB NOT NULL, scale FLOAT NOT NULL)"
    )
    op.execute(
        "CREATE TABLE vector_model ("
        "id INTEGER NOT NULL PRIMARY KEY, model VARCHAR NOT NULL, dimensions INTEGER NOT NULL, run_id INTEGER NOT NULL)"
    )


def downgrade() -> None:
    op.drop_table("vector_model")
    op.drop_table("paper_vectors")

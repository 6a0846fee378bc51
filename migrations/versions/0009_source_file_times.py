"""The ledger keeps each file's modification time: a file whose size and time are unchanged is not read again.

Existing rows have none; the next import hashes those files once, as before, and records it.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("source_files", sa.Column("mtime_ns", sa.Integer(), nullable=True))


def downgrade() -> None:
    op.drop_column("source_files", "mtime_ns")

"""A source record's abstract is stored once: the record names its paper's `abstracts` row.

Frozen, hand-written SQL. `paper_sources.record` held every abstract again (at 100,000
generated papers, 161 MB of the table's 218 MB, measured with `scripts/db_size.py`). A
record whose abstract is the text of its paper's `abstracts` row of the same key now has
`"abstract": null` and `"abstract_key"`, the row's `text_key`; the loader keeps that true
(`app.etl.load_papers`). Records with another spelling of the abstract keep it in full.
The rows shrink in place; `VACUUM` gives the freed space back to the disk.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        "UPDATE paper_sources SET record = json_set(record, '$.abstract', NULL, '$.abstract_key', a.text_key) "
        "FROM abstracts a WHERE a.paper_id = paper_sources.paper_id AND a.text = paper_sources.record ->> '$.abstract'"
    )


def downgrade() -> None:
    op.execute(
        "UPDATE paper_sources SET record = json_remove(json_set(record, '$.abstract', a.text), '$.abstract_key') "
        "FROM abstracts a WHERE a.paper_id = paper_sources.paper_id "
        "AND a.text_key = paper_sources.record ->> '$.abstract_key'"
    )

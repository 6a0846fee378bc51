"""Author lookup reads only the spellings a typed name may match: `author_names` gets each
spelling's own block key, first name token and later tokens, with two indexes.

Lookup read every spelling of the author's block: at a million generated papers a block
holds up to 80,000 spellings, and author lookup p95 was 219 ms. It also filtered by
`authors.block_key`, which for a group of linked family names (`block_links`) is the
group's first key, so `Martins, A.` in a group keyed `abrego` was not found under
`martins`. Each spelling's own keys fix both: `ix_author_names_lookup` finds the
spellings of a block by first token (equal, an initial, a nickname, a prefix), and
`ix_author_names_later` the block's spellings with later tokens (`Joy` for `Yunxin Joy`).

Existing rows get their keys from `app.text.names.lookup_keys`, the function the loader
writes them with: the keys are a function of the spelling that only paperdb computes.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 50_000


def upgrade() -> None:
    from app.text.names import lookup_keys

    op.execute("ALTER TABLE author_names ADD COLUMN block_key VARCHAR NOT NULL DEFAULT ''")
    op.execute("ALTER TABLE author_names ADD COLUMN first_token VARCHAR NOT NULL DEFAULT ''")
    op.execute("ALTER TABLE author_names ADD COLUMN later_tokens VARCHAR")
    conn = op.get_bind()
    last = 0
    while rows := conn.exec_driver_sql(
        "SELECT id, family_name, given_name FROM author_names WHERE id > ? ORDER BY id LIMIT ?", (last, BATCH)
    ).fetchall():
        conn.exec_driver_sql(
            "UPDATE author_names SET block_key = ?, first_token = ?, later_tokens = ? WHERE id = ?",
            [(*lookup_keys(family, given), row_id) for row_id, family, given in rows],
        )
        last = rows[-1][0]
    op.execute("CREATE INDEX ix_author_names_lookup ON author_names (block_key, first_token)")
    op.execute("CREATE INDEX ix_author_names_later ON author_names (block_key) WHERE later_tokens IS NOT NULL")


def downgrade() -> None:
    op.execute("DROP INDEX ix_author_names_later")
    op.execute("DROP INDEX ix_author_names_lookup")
    op.execute("ALTER TABLE author_names DROP COLUMN later_tokens")
    op.execute("ALTER TABLE author_names DROP COLUMN first_token")
    op.execute("ALTER TABLE author_names DROP COLUMN block_key")

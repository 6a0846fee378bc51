"""ORCIDs: `authorships.orcid` (the mention's, as its source gave it) and `authors.orcid`.

Frozen, hand-written SQL.

`authors.orcid` is the author's ORCID when the mentions clustered into it carry exactly
one; `ix_authors_orcid` finds an author by it. The covering indexes resolution reads
(`ix_authorships_block`, `ix_authors_block`, from 0013) are made again with the ORCID
as their last column, so that reading a batch of blocks still reads only indexes.
Existing rows get NULL: their sources were read before ORCIDs were kept, and an import
that reads a file again fills them in.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

AUTHORSHIPS_BLOCK = "block_key, id, paper_id, name, family_name, given_name, is_organization, author_id"
AUTHORS_BLOCK = "block_key, id, name, family_name, given_name, is_organization, paper_count"


def upgrade() -> None:
    op.execute("ALTER TABLE authorships ADD COLUMN orcid VARCHAR")
    op.execute("ALTER TABLE authors ADD COLUMN orcid VARCHAR")
    op.execute("CREATE INDEX ix_authors_orcid ON authors (orcid)")
    op.execute("DROP INDEX ix_authorships_block")
    op.execute(f"CREATE INDEX ix_authorships_block ON authorships ({AUTHORSHIPS_BLOCK}, orcid)")
    op.execute("DROP INDEX ix_authors_block")
    op.execute(f"CREATE INDEX ix_authors_block ON authors ({AUTHORS_BLOCK}, orcid)")


def downgrade() -> None:
    op.execute("DROP INDEX ix_authors_block")
    op.execute(f"CREATE INDEX ix_authors_block ON authors ({AUTHORS_BLOCK})")
    op.execute("DROP INDEX ix_authorships_block")
    op.execute(f"CREATE INDEX ix_authorships_block ON authorships ({AUTHORSHIPS_BLOCK})")
    op.execute("DROP INDEX ix_authors_orcid")
    op.execute("ALTER TABLE authors DROP COLUMN orcid")
    op.execute("ALTER TABLE authorships DROP COLUMN orcid")

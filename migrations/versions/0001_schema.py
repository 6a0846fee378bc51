"""Schema: papers, authors, authorships, abstracts, the import ledger and provenance.

Revision ID: 0001
Revises:
Create Date: 2026-11-21 06:22:11.059470
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "authors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("family_name", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("given_name", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("is_organization", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("block_key", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("paper_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("authors", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_authors_block_key"), ["block_key"], unique=False)
        batch_op.create_index(batch_op.f("ix_authors_name"), ["name"], unique=False)

    op.create_table(
        "import_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("started_at", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("finished_at", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("files_seen", sa.Integer(), server_default="0", nullable=False),
        sa.Column("files_loaded", sa.Integer(), server_default="0", nullable=False),
        sa.Column("files_skipped", sa.Integer(), server_default="0", nullable=False),
        sa.Column("papers_added", sa.Integer(), server_default="0", nullable=False),
        sa.Column("papers_updated", sa.Integer(), server_default="0", nullable=False),
        sa.Column("papers_removed", sa.Integer(), server_default="0", nullable=False),
        sa.Column("authors_added", sa.Integer(), server_default="0", nullable=False),
        sa.Column("records_rejected", sa.Integer(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "papers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("year", sa.Integer(), nullable=True),
        sa.Column("venue", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("url", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("title_key", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("papers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_papers_title_key"), ["title_key"], unique=False)
        batch_op.create_index(batch_op.f("ix_papers_year"), ["year"], unique=False)

    op.create_table(
        "pending_blocks",
        sa.Column("block_key", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.PrimaryKeyConstraint("block_key"),
    )
    op.create_table(
        "abstracts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("paper_id", sa.Integer(), nullable=False),
        sa.Column("text", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("text_key", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("head_key", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("tail_key", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.ForeignKeyConstraint(["paper_id"], ["papers.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("paper_id", "text_key"),
    )
    with op.batch_alter_table("abstracts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_abstracts_head_key"), ["head_key"], unique=False)
        batch_op.create_index(batch_op.f("ix_abstracts_paper_id"), ["paper_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_abstracts_tail_key"), ["tail_key"], unique=False)
        batch_op.create_index(batch_op.f("ix_abstracts_text_key"), ["text_key"], unique=False)

    op.create_table(
        "author_candidates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("block_key", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("author_a_id", sa.Integer(), nullable=False),
        sa.Column("author_b_id", sa.Integer(), nullable=False),
        sa.Column("name_a", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("name_b", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.ForeignKeyConstraint(["author_a_id"], ["authors.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["author_b_id"], ["authors.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("author_candidates", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_author_candidates_author_a_id"), ["author_a_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_author_candidates_author_b_id"), ["author_b_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_author_candidates_block_key"), ["block_key"], unique=False)

    op.create_table(
        "author_merges",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("name_a", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("name_b", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("rule", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("evidence", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.ForeignKeyConstraint(["author_id"], ["authors.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("author_merges", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_author_merges_author_id"), ["author_id"], unique=False)

    op.create_table(
        "author_names",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("family_name", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("given_name", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["author_id"], ["authors.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("author_id", "name"),
    )
    with op.batch_alter_table("author_names", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_author_names_author_id"), ["author_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_author_names_name"), ["name"], unique=False)

    op.create_table(
        "authorships",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("paper_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("raw_name", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("family_name", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("given_name", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("is_organization", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("block_key", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.ForeignKeyConstraint(["author_id"], ["authors.id"], ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["paper_id"], ["papers.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("paper_id", "author_id"),
        sa.UniqueConstraint("paper_id", "position"),
    )
    with op.batch_alter_table("authorships", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_authorships_author_id"), ["author_id"], unique=False)
        batch_op.create_index("ix_authorships_block_key", ["block_key"], unique=False)
        batch_op.create_index(batch_op.f("ix_authorships_paper_id"), ["paper_id"], unique=False)

    op.create_table(
        "paper_ids",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("paper_id", sa.Integer(), nullable=False),
        sa.Column("scheme", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("value", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.ForeignKeyConstraint(["paper_id"], ["papers.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("scheme", "value"),
    )
    with op.batch_alter_table("paper_ids", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_paper_ids_paper_id"), ["paper_id"], unique=False)

    op.create_table(
        "paper_search",
        sa.Column("paper_id", sa.Integer(), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("authors", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("abstract", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.ForeignKeyConstraint(["paper_id"], ["papers.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("paper_id"),
    )
    op.create_table(
        "rejects",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("path", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("line", sa.Integer(), nullable=True),
        sa.Column("raw", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["import_runs.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("rejects", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rejects_path"), ["path"], unique=False)
        batch_op.create_index(batch_op.f("ix_rejects_run_id"), ["run_id"], unique=False)

    op.create_table(
        "source_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("path", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("content_hash", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("format", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("records", sa.Integer(), server_default="0", nullable=False),
        sa.Column("rejected", sa.Integer(), server_default="0", nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("loaded_at", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["import_runs.id"], ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("path"),
    )
    with op.batch_alter_table("source_files", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_source_files_content_hash"), ["content_hash"], unique=False)
        batch_op.create_index(batch_op.f("ix_source_files_run_id"), ["run_id"], unique=False)

    op.create_table(
        "paper_sources",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("paper_id", sa.Integer(), nullable=False),
        sa.Column("file_id", sa.Integer(), nullable=False),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("record_hash", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("profile_owner", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("record", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.ForeignKeyConstraint(["file_id"], ["source_files.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["paper_id"], ["papers.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("file_id", "line"),
    )
    with op.batch_alter_table("paper_sources", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_paper_sources_file_id"), ["file_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_paper_sources_paper_id"), ["paper_id"], unique=False)

    op.create_table(
        "name_repairs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("detail", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.ForeignKeyConstraint(["source_id"], ["paper_sources.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("name_repairs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_name_repairs_source_id"), ["source_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("name_repairs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_name_repairs_source_id"))

    op.drop_table("name_repairs")
    with op.batch_alter_table("paper_sources", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_paper_sources_paper_id"))
        batch_op.drop_index(batch_op.f("ix_paper_sources_file_id"))

    op.drop_table("paper_sources")
    with op.batch_alter_table("source_files", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_source_files_run_id"))
        batch_op.drop_index(batch_op.f("ix_source_files_content_hash"))

    op.drop_table("source_files")
    with op.batch_alter_table("rejects", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rejects_run_id"))
        batch_op.drop_index(batch_op.f("ix_rejects_path"))

    op.drop_table("rejects")
    op.drop_table("paper_search")
    with op.batch_alter_table("paper_ids", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_paper_ids_paper_id"))

    op.drop_table("paper_ids")
    with op.batch_alter_table("authorships", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_authorships_paper_id"))
        batch_op.drop_index("ix_authorships_block_key")
        batch_op.drop_index(batch_op.f("ix_authorships_author_id"))

    op.drop_table("authorships")
    with op.batch_alter_table("author_names", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_author_names_name"))
        batch_op.drop_index(batch_op.f("ix_author_names_author_id"))

    op.drop_table("author_names")
    with op.batch_alter_table("author_merges", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_author_merges_author_id"))

    op.drop_table("author_merges")
    with op.batch_alter_table("author_candidates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_author_candidates_block_key"))
        batch_op.drop_index(batch_op.f("ix_author_candidates_author_b_id"))
        batch_op.drop_index(batch_op.f("ix_author_candidates_author_a_id"))

    op.drop_table("author_candidates")
    with op.batch_alter_table("abstracts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_abstracts_text_key"))
        batch_op.drop_index(batch_op.f("ix_abstracts_tail_key"))
        batch_op.drop_index(batch_op.f("ix_abstracts_paper_id"))
        batch_op.drop_index(batch_op.f("ix_abstracts_head_key"))

    op.drop_table("abstracts")
    op.drop_table("pending_blocks")
    with op.batch_alter_table("papers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_papers_year"))
        batch_op.drop_index(batch_op.f("ix_papers_title_key"))

    op.drop_table("papers")
    op.drop_table("import_runs")
    with op.batch_alter_table("authors", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_authors_name"))
        batch_op.drop_index(batch_op.f("ix_authors_block_key"))

    op.drop_table("authors")

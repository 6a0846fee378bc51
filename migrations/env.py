"""Alembic environment: migrations target `SQLModel.metadata` (app/models.py).

paperdb runs migrations itself (`app.db.migrate`), passing an open connection in
`config.attributes["connection"]`; `alembic -x db=PATH upgrade head` also works.
"""

from alembic import context
from sqlalchemy import create_engine
from sqlmodel import SQLModel

import app.models  # noqa: F401  (registers the tables on SQLModel.metadata)
from app.db import is_fts_name

config = context.config


def include_name(name, type_, parent_names):
    """Keep FTS tables, their shadow tables and SQLite internals out of autogenerate."""
    if type_ == "table":
        return not (name.startswith("sqlite_") or is_fts_name(name))
    return True


def run_migrations(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=SQLModel.metadata,
        render_as_batch=True,  # SQLite can only ALTER by copying tables
        compare_type=True,
        include_name=include_name,
        transactional_ddl=True,  # SQLite's DDL is transactional: an upgrade is all or nothing
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    run_migrations(connection)
else:
    db = context.get_x_argument(as_dictionary=True).get("db", "data/papers.db")
    with create_engine(f"sqlite:///{db}").connect() as conn:
        run_migrations(conn)

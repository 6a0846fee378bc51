"""Opening the database: the path, connection pragmas, transactions and migrations."""
from __future__ import annotations

import os
import sqlite3
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

DEFAULT_DB = "data/papers.db"
DB_ENV = "PAPERDB_DB"
# Long enough for a reader to wait out one file's commit, short enough to fail visibly.
BUSY_TIMEOUT_MS = 30_000
FTS_TABLES = ("papers_fts", "abstracts_fts", "authors_fts", "paper_search_fts")
SQL_CHUNK = 500  # values per `IN (...)` list, well under SQLite's host-parameter limit
# Searches read index pages all over a big file; through a memory map each page costs no
# read call and no copy. SQLite maps at most the file's first 2 GB as usually built. At 1M
# papers (second pass, five runs each): search p50 12.9 -> 8.8 ms, author lookup p95
# 15.7 -> 6.7 ms; search p95 unchanged (scoring, not reading, sets it).
QUERY_MMAP_BYTES = 2 * 1024**3


class DatabaseError(Exception):
    """A problem with the database a user can act on (missing file, not paperdb, ...)."""


def db_path(explicit: str | os.PathLike | None = None) -> Path:
    """The database to use: the explicit path, else $PAPERDB_DB, else data/papers.db."""
    return Path(explicit or os.environ.get(DB_ENV) or DEFAULT_DB)


def is_fts_name(name: str) -> bool:
    """True for an FTS5 table or one of its shadow tables (`papers_fts_data`, ...)."""
    return any(name == t or name.startswith(t + "_") for t in FTS_TABLES)


def connect(path: str | os.PathLike, *, readonly: bool = False) -> sqlite3.Connection:
    """Open a connection with paperdb's pragmas; autocommit mode, explicit transactions."""
    path = Path(path)
    if readonly:
        if not path.exists():
            raise DatabaseError(f"no database at {path}: run `paperdb import` first")
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, isolation_level=None,
                               timeout=BUSY_TIMEOUT_MS / 1000)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    # FTS 'delete' commands issued from triggers need this to cascade correctly.
    conn.execute("PRAGMA recursive_triggers = ON")
    if not readonly:
        conn.execute("PRAGMA journal_mode = WAL")
        # In WAL mode NORMAL is still crash-safe: a power cut may lose the commits since the
        # last checkpoint (an import's files roll back with their ledger rows), never corrupt.
        conn.execute("PRAGMA synchronous = NORMAL")
    return conn


def connect_for_queries(path: str | os.PathLike) -> sqlite3.Connection:
    """A read-only connection for the query layer: `query_only`, the file memory-mapped."""
    conn = connect(path, readonly=True)
    conn.execute("PRAGMA query_only = ON")
    conn.execute(f"PRAGMA mmap_size = {QUERY_MMAP_BYTES}")
    return conn


@contextmanager
def write_transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """BEGIN IMMEDIATE … COMMIT, rolling back on any error: all or nothing."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def chunked(items: list, size: int = SQL_CHUNK) -> Iterator[list]:
    """Consecutive slices of `items`, for `IN (...)` lists of bound values."""
    for i in range(0, len(items), size):
        yield items[i:i + size]


def placeholders(items) -> str:
    """`?,?,?` for binding `items` in an `IN (...)` list."""
    return ",".join("?" * len(items))


def _alembic_config():
    from alembic.config import Config

    import migrations

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(migrations.__file__).parent))
    return cfg


def migrate(path: str | os.PathLike, revision: str = "head") -> None:
    """Upgrade (or with a `-N`/`base` revision, downgrade) the schema, keeping the data."""
    from alembic import command
    from sqlalchemy import create_engine, event

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(f"sqlite:///{path}")

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn, _record):
        # Batch migrations copy and drop tables; with foreign keys on, the drop would
        # cascade-delete every child row, so migrations run with them off.
        dbapi_conn.execute("PRAGMA foreign_keys = OFF")
        dbapi_conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        dbapi_conn.execute("PRAGMA journal_mode = WAL")
        # The sqlite3 module would commit before each DDL statement; take over transactions
        # so a whole upgrade is one transaction and a killed migration leaves the old schema.
        dbapi_conn.isolation_level = None

    @event.listens_for(engine, "begin")
    def _begin(conn):
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    cfg = _alembic_config()
    downgrade = revision == "base" or revision.startswith("-") or _before(revision, path)
    if downgrade and _indexing_unfinished(path):
        # Older schemas have no `fts_deferred`: the rows it holds back would never be indexed.
        raise DatabaseError(f"{path}: a bulk import left its full-text indexing unfinished "
                            "(see table fts_deferred); run `paperdb import` to finish it, then downgrade")
    try:
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            (command.downgrade if downgrade else command.upgrade)(cfg, revision)
    finally:
        engine.dispose()


def _before(revision: str, path: Path) -> bool:
    """Whether `revision` is earlier than the database's (reaching it is a downgrade)."""
    from alembic.script import ScriptDirectory

    if revision == "head" or (current := current_revision(path)) in (None, revision):
        return False
    earlier = ScriptDirectory.from_config(_alembic_config()).iterate_revisions(current, "base")
    return revision in {r.revision for r in earlier}


def _indexing_unfinished(path: Path) -> bool:
    conn = sqlite3.connect(path)
    try:
        return _has_table(conn, "fts_deferred") and conn.execute("SELECT count(*) FROM fts_deferred").fetchone()[0] > 0
    finally:
        conn.close()


def current_revision(path: str | os.PathLike) -> str | None:
    """The schema revision the database is at, or None for an empty database."""
    conn = sqlite3.connect(path)
    try:
        row = conn.execute(
            "SELECT version_num FROM alembic_version"
        ).fetchone() if _has_table(conn, "alembic_version") else None
        return row[0] if row else None
    finally:
        conn.close()


def head_revision() -> str:
    """The newest schema revision this version of paperdb knows."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_alembic_config()).get_current_head()


def _has_table(conn: sqlite3.Connection, name: str) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (name,)).fetchone() is not None


def upgrade_notice(path: str | os.PathLike) -> str | None:
    """What to tell a user before an existing database is upgraded (some upgrades rebuild an index); None if none is due."""
    path = Path(path)
    before, head = current_revision(path) if path.exists() else None, head_revision()
    if before is None or before == head:
        return None
    return (f"{path}: upgrading the schema from {before} to {head} first "
            "(an upgrade that rebuilds a full-text index takes minutes per million papers)")


def ensure_schema(path: str | os.PathLike) -> None:
    """Migrate the database to the newest schema if it is not there already."""
    path = Path(path)
    if path.exists() and current_revision(path) == head_revision():
        return
    migrate(path)

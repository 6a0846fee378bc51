"""Opening the database: the path, connection pragmas, transactions, migrations, and the
one line and exit code for each way the database can refuse us."""

from __future__ import annotations

import errno
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

DEFAULT_DB = "data/papers.db"
DB_ENV = "PAPERDB_DB"
# Long enough for a reader to wait out one file's commit, short enough to fail visibly.
BUSY_TIMEOUT_MS = 30_000
BUSY_TIMEOUT_ENV = "PAPERDB_BUSY_TIMEOUT_MS"  # overrides it (tests wait a fraction of a second)
FTS_TABLES = ("papers_fts", "authors_fts", "paper_search_fts")
SQL_CHUNK = 500  # values per `IN (...)` list, well under SQLite's host-parameter limit
# Searches read index pages all over a big file; through a memory map each page costs no
# read call and no copy. SQLite maps at most the file's first 2 GB as usually built. At 1M
# papers (second pass, five runs each): search p50 12.9 -> 8.8 ms, author lookup p95
# 15.7 -> 6.7 ms; search p95 unchanged (scoring, not reading, sets it).
QUERY_MMAP_BYTES = 2 * 1024**3


# Exit codes, one table for every command (README): sysexits.h where one fits.
EXIT_USAGE = 2  # a bad option or argument: no database there, --db names a folder
EXIT_DATAERR = 65  # not a SQLite database, or a corrupt one
EXIT_IOERR = 74  # the disk or a size limit ran out, or a read or write failed
EXIT_TEMPFAIL = 75  # another writer holds the database: try again later
EXIT_NOPERM = 77  # the database or its folder is read-only
EXIT_CONFIG = 78  # the database is from a newer paperdb


class DatabaseError(Exception):
    """A problem with the database a user can act on: one line, and the exit code to end with."""

    def __init__(self, message: str, exit_code: int = EXIT_USAGE):
        super().__init__(message)
        self.exit_code = exit_code


def refusal(error: BaseException, path: str | os.PathLike) -> DatabaseError | None:
    """The one-line DatabaseError for an error by which the database at `path` (or its file) refused
    us: locked, read-only, not a database, corrupt, full, unreadable. None for any other error (a
    bug, or a mistake in a query), which the caller handles as before."""
    if isinstance(error, DatabaseError):
        return error
    path = Path(path)
    if isinstance(error, OSError):
        return _os_refusal(error)
    code = getattr(error, "sqlite_errorcode", None)
    if not isinstance(error, sqlite3.Error) or code is None:
        return None
    code &= 0xFF  # the primary code of an extended one (SQLITE_IOERR_WRITE -> SQLITE_IOERR)
    if code == sqlite3.SQLITE_BUSY:
        return DatabaseError(
            f"{path} is locked by another program's write transaction, not a paperdb import "
            f"(waited {busy_timeout_ms()} ms; ${BUSY_TIMEOUT_ENV} sets how long); "
            "try again later",
            EXIT_TEMPFAIL,
        )
    if code in (sqlite3.SQLITE_READONLY, sqlite3.SQLITE_PERM, sqlite3.SQLITE_CANTOPEN):
        return _unopenable(path, error)
    if code == sqlite3.SQLITE_NOTADB:
        return DatabaseError(f"{path} is not a SQLite database ({error})", EXIT_DATAERR)
    if code == sqlite3.SQLITE_CORRUPT:
        return DatabaseError(f"{path} is corrupt ({error}): restore it from a backup", EXIT_DATAERR)
    if code in (sqlite3.SQLITE_FULL, sqlite3.SQLITE_IOERR):
        why = (
            "the disk, or a file size limit, is full"
            if code == sqlite3.SQLITE_FULL
            else "a read or write failed: the disk may be full or failing, or a file size limit reached"
        )
        return DatabaseError(f"{path}: {error} ({why}); any unfinished write was rolled back", EXIT_IOERR)
    return None


def _unopenable(path: Path, error: sqlite3.Error) -> DatabaseError:
    """Why SQLite could not open or write `path`: a folder, a read-only folder or file, or else."""
    if path.is_dir():
        return DatabaseError(f"{path} is a directory, not a database file", EXIT_USAGE)
    folder = path.parent
    if not os.access(folder, os.W_OK | os.X_OK):
        return DatabaseError(
            f"{path}: its folder {folder} is read-only, and SQLite needs to create "
            f"{path.name}-wal and {path.name}-shm there ({error})",
            EXIT_NOPERM,
        )
    if path.exists() and not os.access(path, os.R_OK | os.W_OK):
        return DatabaseError(f"{path} is read-only ({error})", EXIT_NOPERM)
    if error.sqlite_errorcode & 0xFF == sqlite3.SQLITE_CANTOPEN:
        return DatabaseError(f"cannot open {path} ({error})", EXIT_IOERR)
    return DatabaseError(f"{path} cannot be written ({error})", EXIT_NOPERM)


def _os_refusal(error: OSError) -> DatabaseError:
    """A file operation refused: read-only, no such file or a folder, out of space, or another I/O error."""
    where = f"{error.filename}: " if error.filename else ""
    if isinstance(error, PermissionError) or error.errno == errno.EROFS:
        return DatabaseError(f"{where}{error.strerror} (a read-only file or folder)", EXIT_NOPERM)
    if isinstance(error, (FileNotFoundError, IsADirectoryError, NotADirectoryError)):
        return DatabaseError(f"{where}{error.strerror}", EXIT_USAGE)
    return DatabaseError(f"{where}{error.strerror or error}", EXIT_IOERR)


def busy_timeout_ms() -> int:
    """How long to wait for another writer's lock: ${BUSY_TIMEOUT_ENV}, else BUSY_TIMEOUT_MS."""
    value = os.environ.get(BUSY_TIMEOUT_ENV, "").strip()
    if not value:
        return BUSY_TIMEOUT_MS
    if not value.isdigit():
        raise DatabaseError(f"${BUSY_TIMEOUT_ENV} must be a whole number of milliseconds, not {value!r}")
    return int(value)


def db_path(explicit: str | os.PathLike | None = None) -> Path:
    """The database to use: the explicit path, else $PAPERDB_DB, else data/papers.db."""
    return Path(explicit or os.environ.get(DB_ENV) or DEFAULT_DB)


def is_fts_name(name: str) -> bool:
    """True for an FTS5 table or one of its shadow tables (`papers_fts_data`, ...)."""
    return any(name == t or name.startswith(t + "_") for t in FTS_TABLES)


def connect(path: str | os.PathLike, *, readonly: bool = False) -> sqlite3.Connection:
    """Open a connection with paperdb's pragmas; autocommit mode, explicit transactions."""
    path = Path(path)
    busy_ms = busy_timeout_ms()
    if readonly:
        if not path.exists():
            raise DatabaseError(f"no database at {path}: run `paperdb import` first")
        conn = sqlite3.connect(
            f"{path.resolve().as_uri()}?mode=ro", uri=True, isolation_level=None, timeout=busy_ms / 1000
        )
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path, isolation_level=None, timeout=busy_ms / 1000)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute(f"PRAGMA busy_timeout = {busy_ms}")
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
        if conn.in_transaction:  # SQLite may have rolled back already (a full disk, an I/O error)
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def chunked(items: list, size: int = SQL_CHUNK) -> Iterator[list]:
    """Consecutive slices of `items`, for `IN (...)` lists of bound values."""
    for i in range(0, len(items), size):
        yield items[i : i + size]


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
    from alembic.util import CommandError
    from sqlalchemy import create_engine, event
    from sqlalchemy.exc import DBAPIError

    path = Path(path)
    current = current_revision(path) if path.exists() else None
    _refuse_unknown_schema(path, current)
    path.parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(f"sqlite:///{path}")
    busy_ms = busy_timeout_ms()

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn, _record):
        # Batch migrations copy and drop tables; with foreign keys on, the drop would
        # cascade-delete every child row, so migrations run with them off.
        dbapi_conn.execute("PRAGMA foreign_keys = OFF")
        dbapi_conn.execute(f"PRAGMA busy_timeout = {busy_ms}")
        dbapi_conn.execute("PRAGMA journal_mode = WAL")
        # The sqlite3 module would commit before each DDL statement; take over transactions
        # so a whole upgrade is one transaction and a killed migration leaves the old schema.
        dbapi_conn.isolation_level = None

    @event.listens_for(engine, "begin")
    def _begin(conn):
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    cfg = _alembic_config()
    downgrade = revision == "base" or revision.startswith("-") or _before(revision, current)
    if downgrade and _indexing_unfinished(path):
        # Older schemas have no `fts_deferred`: the rows it holds back would never be indexed.
        raise DatabaseError(
            f"{path}: a bulk import left its full-text indexing unfinished "
            "(see table fts_deferred); run `paperdb import` to finish it, then downgrade"
        )
    try:
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            (command.downgrade if downgrade else command.upgrade)(cfg, revision)
    except CommandError as e:  # a revision that does not exist, or lies beyond the first or last
        raise DatabaseError(f"{path}: {e}") from None
    except DBAPIError as e:
        raise e.orig from e  # the sqlite3 error itself, as everywhere else, for `refusal`
    finally:
        engine.dispose()


def _before(revision: str, current: str | None) -> bool:
    """Whether `revision` is earlier than the database's `current` one (reaching it is a downgrade)."""
    if revision == "head" or current in (None, revision):
        return False
    return revision in {r.revision for r in _scripts().iterate_revisions(current, "base")}


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
        return schema_revision(conn, path)
    finally:
        conn.close()


def schema_revision(conn: sqlite3.Connection, path: str | os.PathLike) -> str | None:
    """The paperdb schema revision on `conn`, None if it holds no table at all; a database holding
    other tables but no revision is another program's, which paperdb must not write into."""
    tables = [
        name
        for (name,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name"
        )
    ]
    if "alembic_version" in tables:
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        return row[0] if row else None
    if tables:
        shown = ", ".join(tables[:5]) + (", …" if len(tables) > 5 else "")
        raise DatabaseError(
            f"{path} is a SQLite database but not paperdb's (tables {shown}; no schema revision): "
            "paperdb leaves it alone; give paperdb's database with --db",
            EXIT_DATAERR,
        )
    return None


def head_revision() -> str:
    """The newest schema revision this version of paperdb knows."""
    return _scripts().get_current_head()


def _refuse_unknown_schema(path: str | os.PathLike, revision: str | None) -> None:
    """Raise DatabaseError if the database's schema `revision` is one this paperdb does not know:
    a newer paperdb wrote it, and migrating or writing it could lose what that version keeps."""
    if revision is not None and revision not in {r.revision for r in _scripts().walk_revisions()}:
        raise DatabaseError(
            f"{path} was written by a newer paperdb (schema revision {revision}; this one knows "
            f"revisions up to {head_revision()}): upgrade paperdb to use it",
            EXIT_CONFIG,
        )


def _scripts():
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_alembic_config())


def _has_table(conn: sqlite3.Connection, name: str) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (name,)).fetchone() is not None


def upgrade_notice(path: str | os.PathLike) -> str | None:
    """What to tell a user before an existing database is upgraded (some upgrades rebuild an index); None if none is due.
    Raises DatabaseError for a database of a newer paperdb, which no upgrade is due to."""
    path = Path(path)
    before, head = current_revision(path) if path.exists() else None, head_revision()
    _refuse_unknown_schema(path, before)
    if before is None or before == head:
        return None
    return (
        f"{path}: upgrading the schema from {before} to {head} first "
        "(an upgrade that rebuilds a full-text index takes minutes per million papers)"
    )


def ensure_schema(path: str | os.PathLike) -> None:
    """Migrate the database to the newest schema if it is not there already."""
    path = Path(path)
    if path.exists() and current_revision(path) == head_revision():
        return
    migrate(path)

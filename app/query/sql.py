"""Read-only SQL: the authorizer that lets a connection only read, the statements `sql()` runs,
and the read transactions the other queries run in."""

from __future__ import annotations

import os
import re
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager

from app.db import refusal
from app.query.records import SqlResult
from app.query.values import whole_number
from app.search.text import QueryError

# Pragmas `sql()` may run: they only read. The ones in OBJECT_PRAGMAS take a table or
# index name as their argument; the others are refused with an argument (a write).
READ_PRAGMAS = {
    "application_id",
    "collation_list",
    "compile_options",
    "data_version",
    "database_list",
    "encoding",
    "foreign_key_check",
    "foreign_key_list",
    "freelist_count",
    "function_list",
    "index_info",
    "index_list",
    "index_xinfo",
    "integrity_check",
    "journal_mode",
    "module_list",
    "page_count",
    "page_size",
    "pragma_list",
    "quick_check",
    "schema_version",
    "table_info",
    "table_list",
    "table_xinfo",
    "user_version",
}
OBJECT_PRAGMAS = {
    "foreign_key_check",
    "foreign_key_list",
    "index_info",
    "index_list",
    "index_xinfo",
    "integrity_check",
    "quick_check",
    "table_info",
    "table_list",
    "table_xinfo",
}
# The first word of an SQL statement, after any comments: what `sql()` names when it refuses.
LEADING_WORD = re.compile(r"(?:\s+|--[^\n]*(?:\n|$)|/\*.*?\*/)*(\w+)", re.DOTALL)
_READ_ACTIONS = {sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_FUNCTION, sqlite3.SQLITE_RECURSIVE}
_ACTION_NAMES = {
    getattr(sqlite3, f"SQLITE_{name}"): name.replace("_", " ")
    for name in (
        "INSERT",
        "UPDATE",
        "DELETE",
        "CREATE_INDEX",
        "CREATE_TABLE",
        "CREATE_TEMP_INDEX",
        "CREATE_TEMP_TABLE",
        "CREATE_TEMP_TRIGGER",
        "CREATE_TEMP_VIEW",
        "CREATE_TRIGGER",
        "CREATE_VIEW",
        "CREATE_VTABLE",
        "DROP_INDEX",
        "DROP_TABLE",
        "DROP_TEMP_INDEX",
        "DROP_TEMP_TABLE",
        "DROP_TEMP_TRIGGER",
        "DROP_TEMP_VIEW",
        "DROP_TRIGGER",
        "DROP_VIEW",
        "DROP_VTABLE",
        "ALTER_TABLE",
        "ATTACH",
        "DETACH",
        "PRAGMA",
        "TRANSACTION",
        "SAVEPOINT",
        "ANALYZE",
        "REINDEX",
    )
}


class ReadOnly:
    """Keeps a connection to reads: anything else is refused before it runs, and named in a QueryError."""

    def __init__(self, conn: sqlite3.Connection, path: str | os.PathLike):
        self.conn = conn
        self.path = path
        self._refused: str | None = None
        self._transacting = False
        conn.set_authorizer(self._authorize)

    def sql(self, query: str, params: Sequence | Mapping = (), *, limit: int | None = None) -> SqlResult:
        """The columns and rows of one statement that only reads (see `PaperDB.sql`)."""
        if not query.strip():
            raise QueryError("empty SQL: give one statement to run")
        self._refused = None
        try:
            cursor = self.conn.execute(query, params)
            rows = cursor.fetchall() if limit is None else cursor.fetchmany(max(whole_number(limit, "limit"), 0))
        except (sqlite3.Error, sqlite3.Warning) as e:
            if self._refused or "readonly" in str(e) or "query_only" in str(e):
                verb = LEADING_WORD.match(query)
                raise QueryError(
                    f"refused {verb.group(1).upper() if verb else 'statement'}: paperdb only reads "
                    f"the database ({self._refused or e})"
                ) from None
            if refusal(e, self.path) is not None:
                raise  # the database refused (locked, corrupt, unreadable): not a mistake in the SQL
            raise QueryError(f"SQL error: {e}") from None
        columns = [d[0] for d in cursor.description or ()]
        return SqlResult(columns, [tuple(r) for r in rows])

    def _authorize(self, action: int, arg1: str | None, arg2: str | None, _db: str | None, _trigger: str | None) -> int:
        """sqlite3 authorizer: reads pass, everything else is refused before it runs."""
        if action in _READ_ACTIONS or (action == sqlite3.SQLITE_TRANSACTION and self._transacting):
            return sqlite3.SQLITE_OK
        # FTS5 declares its table when first used on a connection, which SQLite authorizes as
        # an UPDATE of sqlite_master; nothing can write it here (mode=ro, query_only, and
        # writable_schema is a refused pragma).
        if action == sqlite3.SQLITE_UPDATE and arg1 == "sqlite_master":
            return sqlite3.SQLITE_OK
        pragma = (arg1 or "").lower()
        if action == sqlite3.SQLITE_PRAGMA and pragma in READ_PRAGMAS and (arg2 is None or pragma in OBJECT_PRAGMAS):
            return sqlite3.SQLITE_OK
        if arg1 in ("sqlite_master", "sqlite_temp_master"):
            self._refused = "it changes the schema"
        elif action == sqlite3.SQLITE_PRAGMA:
            self._refused = f"PRAGMA {arg1}" + (f" = {arg2}" if arg2 is not None else "")
        else:
            self._refused = " ".join(x for x in (_ACTION_NAMES.get(action, f"action {action}"), arg1) if x)
        return sqlite3.SQLITE_DENY

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """One read transaction for the block: its statements all see the same commit, whatever
        an import commits meanwhile (a page ranked before a paper's removal still finds it)."""
        if self.conn.in_transaction:
            yield
            return
        self._transaction("BEGIN DEFERRED")
        try:
            yield
        finally:
            self._transaction("COMMIT")

    def _transaction(self, statement: str) -> None:
        """Run BEGIN or COMMIT, which the authorizer refuses to `sql()`."""
        self._transacting = True
        try:
            self.conn.execute(statement)
        finally:
            self._transacting = False

"""`paperdb serve`: Datasette over the database, with paperdb's metadata."""

from __future__ import annotations

import importlib.util
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import click

from app.datasette_metadata import metadata_json
from app.db import DatabaseError, connect, current_revision, ensure_schema, head_revision
from app.lock import import_lock


def prepare(db: Path) -> None:
    """Bring an existing database to the current schema, in WAL mode (imports and Datasette never block each other)."""
    if not db.exists():
        raise DatabaseError(f"no database at {db}: run `paperdb import` first")
    if current_revision(db) != head_revision():
        with import_lock(db, wait=True):  # never migrate under a running import
            ensure_schema(db)
    connect(db).close()  # sets WAL mode if some other tool turned it off


def datasette_command(db: Path, metadata: Path, host: str, port: int, extra: tuple[str, ...]) -> list[str]:
    """The `datasette serve` command line: the database mutable (not -i), so every request sees the latest import."""
    return [
        sys.executable,
        "-m",
        "datasette",
        "serve",
        str(db),
        "--metadata",
        str(metadata),
        "--host",
        host,
        "--port",
        str(port),
        # No HTTP caching: a page reloaded after an import shows the import.
        "--setting",
        "default_cache_ttl",
        "0",
        *extra,
    ]


def serve_datasette(db: Path, host: str, port: int, extra: tuple[str, ...], title: str | None = None) -> int:
    """Serve the database in Datasette until it stops; its exit code."""
    if importlib.util.find_spec("datasette") is None:
        raise click.ClickException("Datasette is not installed: pip install '.[datasette]' (in the paperdb folder)")
    prepare(db)
    with tempfile.TemporaryDirectory(prefix="paperdb-serve-") as tmp:
        metadata = Path(tmp) / "metadata.json"
        # Datasette names the database after the file, and metadata is keyed by that name.
        metadata.write_text(metadata_json(db.stem, title), encoding="utf-8")
        proc = subprocess.Popen(datasette_command(db, metadata, host, port, extra))
        # Ctrl-C reaches Datasette too (same process group); SIGTERM (systemd stop) is passed on.
        signal.signal(signal.SIGTERM, lambda *_: proc.terminate())
        while True:
            try:
                return proc.wait()
            except KeyboardInterrupt:
                continue

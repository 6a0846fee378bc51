"""One writer at a time: an exclusive flock beside the database."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from app.db import EXIT_TEMPFAIL, DatabaseError


class LockHeld(DatabaseError):
    """Another import holds the database's lock: try again later."""

    def __init__(self, message: str):
        super().__init__(message, EXIT_TEMPFAIL)


def lock_path(db: str | os.PathLike) -> Path:
    """The lock file of a database: `papers.db` → `papers.db.lock`."""
    return Path(f"{db}.lock")


@contextmanager
def import_lock(db: str | os.PathLike, *, wait: bool = False) -> Iterator[Path]:
    """Hold the database's import lock; raise LockHeld at once if taken (or wait, if asked)."""
    path = lock_path(db)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "unknown"
            raise LockHeld(f"another import is running on {db} (pid {holder}; lock {path})") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield path
    finally:
        os.close(fd)  # closing the descriptor releases the lock, also when the process dies

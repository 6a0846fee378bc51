"""Load: the one entry point that writes imports, `run_import`, and the ledger around it.

Each file is parsed and cleaned first, then written in one `BEGIN IMMEDIATE`
transaction: its papers, provenance, rejects and ledger row, and the re-resolution
of every author block it touched. A file is loaded wholly or not at all.
"""
from __future__ import annotations

import hashlib
import os
import sqlite3
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterable

from app.db import connect, ensure_schema, write_transaction
from app.etl.extract import FileRejected, extract
from app.etl.load_authors import resolve_blocks
from app.etl.load_papers import PaperChanges, add_record, rebuild_paper, refresh_search, remove_file_sources
from app.etl.normalize import CleanRecord, RecordError, normalize_record
from app.etl.records import Reject
from app.etl.resolve import Overrides, load_overrides

OVERRIDES_NAME = "overrides.txt"  # looked for beside the database
# Whole-file rejects keep this much of the file's start as their raw text.
REJECTED_FILE_KEEP = 64 * 1024
# Hidden and editor files in an import folder are never dumps.
IGNORED_PREFIXES = (".", "~")


@dataclass
class FileResult:
    """What happened to one file."""

    path: str
    status: str  # 'new', 'changed', 'skipped', 'rejected', 'failed'
    format: str | None = None
    records: int = 0
    rejects: list[Reject] = field(default_factory=list)
    error: str | None = None


@dataclass
class ImportReport:
    """What one import run did; `paperdb import` and the nightly job print it."""

    run_id: int
    files: list[FileResult] = field(default_factory=list)
    papers_added: int = 0
    papers_updated: int = 0
    papers_removed: int = 0
    authors_added: int = 0
    authors_updated: int = 0
    seconds: float = 0.0
    phases: dict[str, float] = field(default_factory=dict)  # seconds per pipeline phase

    def timed(self, phase: str, started: float) -> float:
        """Add the time since `started` to a phase; return now, to start the next one."""
        now = time.perf_counter()
        self.phases[phase] = self.phases.get(phase, 0.0) + now - started
        return now

    def count(self, status: str) -> int:
        """Number of files with this status."""
        return sum(f.status == status for f in self.files)

    @property
    def records_loaded(self) -> int:
        return sum(f.records for f in self.files)

    @property
    def records_rejected(self) -> int:
        return sum(len(f.rejects) for f in self.files)

    @property
    def status(self) -> str:
        """`failed` if a file could not be written, `rejects` if records were rejected, else `ok`."""
        if self.count("failed"):
            return "failed"
        return "rejects" if self.records_rejected else "ok"

    @property
    def nothing_new(self) -> bool:
        return all(f.status == "skipped" for f in self.files)

    def summary(self) -> str:
        """One line for logs and terminals."""
        if self.nothing_new:
            return f"nothing new: {len(self.files)} files already loaded ({self.seconds:.1f}s)"
        return (
            f"{len(self.files)} files ({self.count('new')} new, {self.count('changed')} changed, "
            f"{self.count('skipped')} skipped, {self.count('rejected') + self.count('failed')} failed); "
            f"{self.records_loaded} records loaded, {self.records_rejected} rejected; "
            f"papers +{self.papers_added} ~{self.papers_updated} -{self.papers_removed}; "
            f"authors +{self.authors_added} ~{self.authors_updated} ({self.seconds:.1f}s)"
        )

    def as_dict(self) -> dict:
        """The report as JSON-able values."""
        return {
            "run_id": self.run_id,
            "status": self.status,
            "files": {
                "seen": len(self.files), "new": self.count("new"), "changed": self.count("changed"),
                "skipped": self.count("skipped"), "rejected": self.count("rejected"), "failed": self.count("failed"),
            },
            "records": {"loaded": self.records_loaded, "rejected": self.records_rejected},
            "papers": {"added": self.papers_added, "updated": self.papers_updated, "removed": self.papers_removed},
            "authors": {"added": self.authors_added, "updated": self.authors_updated},
            "seconds": round(self.seconds, 3),
            "phases": {k: round(v, 3) for k, v in self.phases.items()},
            "errors": [{"path": f.path, "error": f.error} for f in self.files if f.error],
        }


def now_utc() -> str:
    """The current time as an ISO 8601 UTC string."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def find_files(paths: Iterable[str | os.PathLike]) -> list[Path]:
    """Files to import: the files named, and every file under the folders named, sorted."""
    found = []
    for p in map(Path, paths):
        if p.is_dir():
            found.extend(f for f in sorted(p.rglob("*")) if f.is_file() and not f.name.startswith(IGNORED_PREFIXES))
        elif p.is_file():
            found.append(p)
        else:
            raise FileNotFoundError(f"no such file or folder: {p}")
    return found


def _read_records(path: Path, data: bytes) -> tuple[str, list[CleanRecord], list[Reject]]:
    fmt, items = extract(path, data)
    records, rejects = [], []
    for item in items:
        if isinstance(item, Reject):
            rejects.append(item)
            continue
        try:
            records.append(normalize_record(item))
        except RecordError as e:
            rejects.append(Reject(item.file, item.line, item.raw, str(e)))
    return fmt, records, rejects


def _write_rejects(conn, run_id: int, rejects: list[Reject], now: str) -> None:
    conn.executemany(
        "INSERT INTO rejects (run_id, path, line, raw, reason, created_at) VALUES (?, ?, ?, ?, ?, ?)",
        [(run_id, r.file, r.line, r.raw, r.reason, now) for r in rejects],
    )


def load_file(conn, run_id: int, path: Path, overrides: Overrides, report: ImportReport) -> FileResult:
    """Load one file in one transaction; unchanged files are skipped without parsing."""
    path = path.resolve()
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    known = conn.execute("SELECT id, content_hash FROM source_files WHERE path = ?", (str(path),)).fetchone()
    if known and known["content_hash"] == digest:
        return FileResult(str(path), "skipped")
    now = now_utc()
    clock = time.perf_counter()
    try:
        fmt, records, rejects = _read_records(path, data)
    except FileRejected as e:
        whole = Reject(str(path), None, data[:REJECTED_FILE_KEEP].decode("utf-8", "backslashreplace"), str(e))
        with write_transaction(conn):
            conn.execute("DELETE FROM rejects WHERE path = ?", (str(path),))
            _write_rejects(conn, run_id, [whole], now)
        return FileResult(str(path), "rejected", rejects=[whole], error=str(e))
    result = FileResult(str(path), "changed" if known else "new", fmt, len(records), rejects)
    changes = PaperChanges()
    clock = report.timed("parse", clock)
    with write_transaction(conn):
        if known:
            file_id = known["id"]
            remove_file_sources(conn, file_id, changes)
            conn.execute(
                "UPDATE source_files SET content_hash = ?, format = ?, size = ?, records = ?, rejected = ?, "
                "run_id = ?, loaded_at = ? WHERE id = ?",
                (digest, fmt, len(data), len(records), len(rejects), run_id, now, file_id),
            )
        else:
            file_id = conn.execute(
                "INSERT INTO source_files (path, content_hash, format, size, records, rejected, run_id, loaded_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (str(path), digest, fmt, len(data), len(records), len(rejects), run_id, now),
            ).lastrowid
        # Rejects describe the file's current content only.
        conn.execute("DELETE FROM rejects WHERE path = ?", (str(path),))
        _write_rejects(conn, run_id, rejects, now)
        pending_keys: dict[int, set[str]] = {}
        for rec in records:
            add_record(conn, rec, file_id, now, changes, pending_keys)
        for paper_id in sorted(changes.dirty):
            rebuild_paper(conn, paper_id, now, changes)
        clock = report.timed("load", clock)
        authors = resolve_blocks(conn, changes.touched_blocks, overrides, now)
        clock = report.timed("resolve", clock)
        refresh_search(conn, (changes.added | changes.search_dirty | authors.papers) - changes.removed)
    report.timed("index", clock)
    report.papers_added += len(changes.added)
    report.papers_updated += len(changes.dirty - changes.added - changes.removed)
    report.papers_removed += len(changes.removed)
    report.authors_added += authors.added
    report.authors_updated += authors.updated
    return result


def read_overrides(db: str | os.PathLike, path: str | os.PathLike | None) -> Overrides:
    """The overrides file given, else `overrides.txt` beside the database if there is one."""
    default = Path(db).parent / OVERRIDES_NAME
    if path is None and not default.exists():
        return Overrides()
    return load_overrides(path or default)


def apply_overrides(conn, overrides: Overrides, report: ImportReport) -> None:
    """Re-resolve the blocks the overrides name, so an edited file takes effect on the next import."""
    names = [name for pair in (*overrides.merges, *overrides.splits) for name in pair]
    with write_transaction(conn):
        authors = resolve_blocks(conn, {block for block, _ in names}, overrides, now_utc())
        refresh_search(conn, authors.papers)
    report.authors_added += authors.added
    report.authors_updated += authors.updated


def run_import(
    db: str | os.PathLike,
    paths: Iterable[str | os.PathLike],
    *,
    overrides_path: str | os.PathLike | None = None,
    progress: Callable[[FileResult], None] | None = None,
) -> ImportReport:
    """Import files and folders into the database (migrating it first); return the report."""
    started = time.monotonic()
    files = find_files(paths)
    ensure_schema(db)
    overrides = read_overrides(db, overrides_path)
    conn = connect(db)
    try:
        with write_transaction(conn):
            run_id = conn.execute(
                "INSERT INTO import_runs (started_at, status) VALUES (?, 'running')", (now_utc(),)
            ).lastrowid
        report = ImportReport(run_id)
        for path in files:
            try:
                result = load_file(conn, run_id, path, overrides, report)
            except OSError as e:
                result = FileResult(str(path), "failed", error=f"cannot read file: {e.strerror or e}")
            except sqlite3.DatabaseError as e:
                # The file's transaction was rolled back; the other files still load.
                result = FileResult(str(path), "failed", error=f"database error, file not loaded: {e}")
            report.files.append(result)
            if progress:
                progress(result)
        if overrides.merges or overrides.splits:
            apply_overrides(conn, overrides, report)
        report.seconds = time.monotonic() - started
        with write_transaction(conn):
            conn.execute(
                "UPDATE import_runs SET finished_at = ?, status = ?, files_seen = ?, files_loaded = ?, "
                "files_skipped = ?, papers_added = ?, papers_updated = ?, papers_removed = ?, authors_added = ?, "
                "records_rejected = ? WHERE id = ?",
                (now_utc(), report.status, len(report.files), report.count("new") + report.count("changed"),
                 report.count("skipped"), report.papers_added, report.papers_updated, report.papers_removed,
                 report.authors_added, report.records_rejected, run_id),
            )
        return report
    finally:
        conn.close()

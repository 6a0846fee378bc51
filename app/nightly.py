"""The nightly import job: lock, back up, migrate, import, check, report.

Run it as `scripts/nightly-import` from cron or a systemd timer; `--help` lists its exit codes.
"""

from __future__ import annotations

import argparse
import json
import logging
import sqlite3
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from app.db import (
    EXIT_DATAERR,
    FTS_TABLES,
    DatabaseError,
    connect,
    current_revision,
    db_path,
    ensure_schema,
    head_revision,
    refusal,
)
from app.etl.load import FileResult, run_import
from app.lock import import_lock
from app.progress import PhaseLog

EXIT_OK, EXIT_REJECTS, EXIT_FAILURE = 0, 1, 2
DEFAULT_INCOMING = "data/incoming"
DEFAULT_KEEP_BACKUPS = 7  # a week of nightly backups

log = logging.getLogger("paperdb.nightly")


def backup(db: Path, folder: Path, keep: int) -> Path | None:
    """A consistent copy of the database through SQLite's backup API; keep the newest `keep`."""
    if not db.exists():
        return None
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    target = folder / f"{db.stem}-{stamp}.db"
    src, dst = sqlite3.connect(db), sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()
    for old in sorted(folder.glob(f"{db.stem}-*.db"))[:-keep] if keep > 0 else []:
        old.unlink()
    return target


def check(db: Path) -> list[str]:
    """Integrity problems found by quick_check, foreign_key_check and the FTS checks; [] if none."""
    conn = connect(db)
    problems = []
    try:
        result = [r[0] for r in conn.execute("PRAGMA quick_check")]
        if result != ["ok"]:
            problems.append("quick_check: " + "; ".join(result[:5]))
        fks = conn.execute("PRAGMA foreign_key_check").fetchall()
        if fks:
            problems.append(f"foreign_key_check: {len(fks)} rows point nowhere (first in {fks[0][0]})")
        for fts in FTS_TABLES:
            try:
                conn.execute(f"INSERT INTO {fts}({fts}) VALUES ('integrity-check')")
            except sqlite3.DatabaseError as e:
                problems.append(f"{fts}: {e}")
    finally:
        conn.close()
    return problems


def _log_file(result: FileResult) -> None:
    level = logging.WARNING if result.rejects or result.error else logging.INFO
    log.log(
        level,
        "%s %s (%d records, %d rejected)%s",
        result.status,
        result.path,
        result.records,
        len(result.rejects),
        f": {result.error}" if result.error else "",
    )
    for r in result.rejects[:20]:
        log.warning("rejected %s:%s: %s", r.file, r.line or "-", r.reason)


def run_nightly(
    incoming: Path, db: Path, *, backups: Path, keep: int, report_path: Path | None, wait: bool = False
) -> int:
    """Run the whole job once; return the exit code."""
    started = time.monotonic()
    try:
        with import_lock(db, wait=wait):
            if not incoming.is_dir():
                log.error("incoming folder %s does not exist", incoming)
                return EXIT_FAILURE
            saved = backup(db, backups, keep)
            if saved:
                log.info("backup %s", saved)
            before = current_revision(db) if db.exists() else None
            ensure_schema(db)
            if before != head_revision():
                log.info("schema migrated from %s to %s", before or "empty", head_revision())
            phases = PhaseLog(log.info)  # a line per phase: where the time went, in the log
            report = run_import(db, [incoming], progress=_log_file, watch=phases)
            phases.close()
            problems = check(db)
    except (DatabaseError, sqlite3.Error, OSError) as e:
        refused = refusal(e, db)
        if refused is None:
            log.error("import failed: %s", e)
            return EXIT_FAILURE
        # Another import's lock or the database refused: stop, and say which in the log, summary and report.
        log.error("stopped: %s", refused)
        stopped = {
            "status": "stopped",
            "error": str(refused),
            "exit_code": refused.exit_code,
            "seconds": round(time.monotonic() - started, 3),
        }
        return _finish(f"stopped: {refused}", stopped, report_path, refused.exit_code)
    for p in problems:
        log.error("integrity check failed: %s", p)
    result = report.as_dict() | {
        "integrity": problems or "ok",
        "seconds": round(time.monotonic() - started, 3),
        "backup": str(saved) if saved else None,
    }
    code = (
        EXIT_DATAERR
        if problems
        else EXIT_FAILURE
        if report.status == "failed"
        else EXIT_REJECTS
        if report.status == "rejects"
        else EXIT_OK
    )
    return _finish(report.summary(), result, report_path, code)


def _finish(summary: str, result: dict, report_path: Path | None, code: int) -> int:
    """The summary line and the JSON report on stdout (and in `report_path`); returns `code`."""
    if report_path:
        report_path.parent.mkdir(parents=True, exist_ok=True)
        report_path.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(summary)
    print(json.dumps(result))
    return code


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="nightly-import",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Load every dump in the incoming folder into the paperdb database: lock, back up, "
        "migrate, import, check, and report. Safe to re-run; readers are never blocked.",
        epilog=(
            "exit codes:\n"
            "  0   loaded, or nothing new (the summary says so)\n"
            "  1   some records rejected; the rest loaded (see the rejects table)\n"
            "  2   failure (nothing of the failing file was committed), or a usage error\n"
            "  65  the database is not a SQLite database, or corrupt (an integrity check failed)\n"
            "  74  the disk or a size limit ran out, or a read or write failed; the file was rolled back\n"
            "  75  another import, or another program's write, holds the database: try again later\n"
            "  77  the database or its folder is read-only\n"
            "  78  the database is from a newer paperdb: upgrade paperdb\n\n"
            "example crontab line (every night at 02:15):\n"
            "  15 2 * * * /srv/paperdb/scripts/nightly-import --log-file data/logs/nightly.log"
        ),
    )
    p.add_argument(
        "--incoming",
        type=Path,
        default=Path(DEFAULT_INCOMING),
        help=f"folder of dump files to load (default: {DEFAULT_INCOMING}); files already loaded are skipped",
    )
    p.add_argument(
        "--db",
        type=Path,
        default=None,
        help="database file (default: $PAPERDB_DB, else data/papers.db, as for paperdb)",
    )
    p.add_argument(
        "--backup-dir", type=Path, default=None, help="where backups go (default: backups/ beside the database)"
    )
    p.add_argument(
        "--keep-backups",
        type=int,
        default=DEFAULT_KEEP_BACKUPS,
        help=f"how many backups to keep, newest first (default: {DEFAULT_KEEP_BACKUPS}; 0 keeps all)",
    )
    p.add_argument("--report", type=Path, default=None, help="also write the JSON report to this file")
    p.add_argument("--log-file", type=Path, default=None, help="also append the log to this file")
    p.add_argument("--wait", action="store_true", help="wait for a running import to finish instead of exiting 75")
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if args.log_file:
        args.log_file.parent.mkdir(parents=True, exist_ok=True)
        handlers.append(logging.FileHandler(args.log_file, encoding="utf-8"))
    logging.basicConfig(
        level=logging.INFO,
        handlers=handlers,
        force=True,
        format="%(asctime)s %(levelname)s %(message)s",
        datefmt="%Y-%m-%dT%H:%M:%S%z",
    )
    logging.getLogger("alembic").setLevel(logging.WARNING)
    db = db_path(args.db)
    return run_nightly(
        args.incoming,
        db,
        backups=args.backup_dir or db.parent / "backups",
        keep=args.keep_backups,
        report_path=args.report,
        wait=args.wait,
    )


if __name__ == "__main__":
    sys.exit(main())

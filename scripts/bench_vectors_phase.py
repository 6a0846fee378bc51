"""The import's `vectors` phase alone, on an existing database: its wall and CPU seconds, the peak
memory of all its processes, the disk `paper_vectors` takes, and the second call's (nothing to do).

Example:

    .venv/bin/python scripts/bench_vectors_phase.py papers.db
    .venv/bin/python scripts/bench_vectors_phase.py papers.db --runs 2    # twice, to see the noise

Each run is a fresh Python process (bench.py's `measured` samples the summed resident memory of
it and its children every 0.2 s) that forgets the vectors (deletes `paper_vectors` and
`vector_model` before the clock starts), then calls `update_vectors` as the import's last phase
does, for the database's last run: every paper is embedded, the model loaded included. Then the
same call again, which finds nothing to do. A digest of every stored row (paper id, text hash,
vector, scale) shows whether runs (or versions of the code) wrote the same bytes.

The database must be paperdb's at migration 0018 or later (`paperdb import` makes one, with the
extra or without); it is written to. The file's size is taken before the first run and after the
last (each run ends by copying its WAL into the file), and `paper_vectors`'s own bytes from
SQLite's `dbstat` (that table's pages only: at a million papers, all of `scripts/db_size.py`'s
would read the whole file).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sqlite3
import sys
import time
from contextlib import closing
from pathlib import Path

from bench import measured

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from app import workers  # noqa: E402
from app.db import connect, write_transaction  # noqa: E402
from app.etl.load import IMPORT_CACHE_KIB, IMPORT_CHECKPOINT_PAGES  # noqa: E402
from app.search.vectors import update_vectors  # noqa: E402

MB = 1024 * 1024


def step(db: str) -> dict:
    """One run, in this process: forget the vectors, then time `update_vectors` twice."""
    with closing(connect(db)) as conn:
        # The import's connection settings (app/etl/load.py).
        conn.execute(f"PRAGMA cache_size = -{IMPORT_CACHE_KIB}")
        conn.execute(f"PRAGMA wal_autocheckpoint = {IMPORT_CHECKPOINT_PAGES}")
        with write_transaction(conn):
            conn.execute("DELETE FROM paper_vectors")
            conn.execute("DELETE FROM vector_model")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        (run_id,) = conn.execute("SELECT max(id) FROM import_runs").fetchone()
        started, cpu = time.monotonic(), workers.cpu_seconds()
        refresh = update_vectors(conn, [], run_id)
        seconds, cpu_seconds = time.monotonic() - started, workers.cpu_seconds() - cpu
        started = time.monotonic()
        again = update_vectors(conn, [], run_id)
        noop_seconds = time.monotonic() - started
        digest = hashlib.sha256()
        for row in conn.execute("SELECT paper_id, text_hash, vector, scale FROM paper_vectors ORDER BY paper_id"):
            digest.update(repr(row[:2]).encode() + row[2] + repr(row[3]).encode())
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return {
        "papers": refresh.checked,
        "embedded": refresh.embedded,
        "phase_seconds": round(seconds, 1),
        "cpu_seconds": round(cpu_seconds, 1),
        "papers_per_second": round(refresh.embedded / seconds),
        "noop_seconds": round(noop_seconds, 2),
        "noop_embedded": again.embedded,
        "digest": digest.hexdigest()[:16],
    }


def file_mb(db: Path) -> float:
    return sum(p.stat().st_size for p in (db, Path(f"{db}-wal")) if p.exists()) / MB


def table_mb(db: Path, table: str) -> float:
    """The bytes of a table's pages (whole pages, as on disk), from `dbstat`."""
    with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
        (size,) = conn.execute("SELECT sum(pgsize) FROM dbstat WHERE name = ? AND aggregate = 1", (table,)).fetchone()
    return (size or 0) / MB


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("db", type=Path, help="a paperdb database (written to)")
    parser.add_argument("--runs", type=int, default=1, help="how many times (default 1)")
    parser.add_argument("--step", action="store_true", help=argparse.SUPPRESS)  # a run, in its own process
    args = parser.parse_args()
    if args.step:
        print(json.dumps(step(str(args.db))))
        return
    before = file_mb(args.db)
    runs = []
    for _ in range(args.runs):
        load = os.getloadavg()[0]
        run = measured([sys.executable, __file__, str(args.db), "--step"])
        run = {**run, "load_before": round(load, 2), "peak_total_mb": round(run["peak_total_mb"])}
        print(json.dumps(run), flush=True)
        runs.append(run)
    vectors_mb = table_mb(args.db, "paper_vectors")
    print(f"\nfile: {before:,.1f} MB before, {file_mb(args.db):,.1f} MB after; paper_vectors: {vectors_mb:,.1f} MB")
    print("\n| papers | phase wall s | CPU s | papers/s | peak MB, all processes | no-op s | load before | digest |")
    print("|---|---|---|---|---|---|---|---|")
    for r in runs:
        print(
            f"| {r['papers']:,} | {r['phase_seconds']} | {r['cpu_seconds']} | {r['papers_per_second']:,} | "
            f"{r['peak_total_mb']:,} | {r['noop_seconds']} | {r['load_before']} | `{r['digest']}` |"
        )


if __name__ == "__main__":
    main()

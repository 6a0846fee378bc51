"""Whether the search caches pay for themselves: the same queries with the caches read and with
them switched off, on one database, beside what the caches cost on disk and in the import.

The caches (`search_top` with its tables, `search_postings` with `search_lengths`; see
`app/search/caches.py`) are switched off by marking their rows in a format no code reads, so
every search is ranked by FTS5 in full, with the same results; they are switched back on after.
Each pass runs `scripts/bench.py`'s query step in a new process: 200 searches and 200 author
lookups just after it starts (first pass), then 200 more of each (second pass).

Example (on the database and corpus of a bench run):
    python scripts/cache_payoff.py /tmp/paperdb-bench/run-1000000/paperdb.db /tmp/paperdb-bench/corpus-1000000-s1 \\
        --bench-json docs/benchmarks.json
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
from contextlib import closing
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from bench import PASSES, in_child  # noqa: E402
from db_size import kinds, object_sizes  # noqa: E402

from app.search.caches import CACHES  # noqa: E402

OFF = 1000  # added to each cache's format version: no code reads that format


def switch(db: Path, on: bool) -> None:
    with closing(sqlite3.connect(db)) as conn, conn:
        conn.execute("UPDATE search_formats SET version = version + ?", (-OFF if on else OFF,))


def cache_mb(db: Path) -> float:
    """Megabytes of the caches' tables and their indexes."""
    owned = {table for tables, _ in CACHES.values() for table in tables}
    what = kinds(db)  # `table`, or `index on <table>`
    return (
        sum(b for name, b in object_sizes(db).items() if name in owned or what.get(name, "").split(" ")[-1] in owned)
        / 2**20
    )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("db", type=Path)
    p.add_argument("corpus", type=Path)
    p.add_argument("--bench-json", type=Path, help="the bench run's JSON: the import's search-lists phase time")
    a = p.parse_args()
    with_caches = in_child("queries", str(a.db), str(a.corpus))
    switch(a.db, on=False)
    try:
        without = in_child("queries", str(a.db), str(a.corpus))
    finally:
        switch(a.db, on=True)
    lines = [
        "| query | pass | with caches p50 / p95 ms | without p50 / p95 ms |",
        "|---|---|---|---|",
    ]
    for kind in ("search", "author"):
        for label in PASSES:
            w, wo = with_caches[label][kind], without[label][kind]
            lines.append(f"| {kind} | {label} | {w['p50']} / {w['p95']} | {wo['p50']} / {wo['p95']} |")
    lines += ["", f"Disk: the caches take {cache_mb(a.db):,.1f} MB of {a.db.stat().st_size / 2**20:,.1f} MB."]
    if a.bench_json:
        rows = json.loads(a.bench_json.read_text(encoding="utf-8"))
        for row in rows:
            phases = row["import"].get("phases", {})
            lines.append(
                f"Import ({row['papers']:,} papers): the search lists phase took {phases.get('search lists', 0):.0f} s "
                f"of {row['import']['seconds']:.0f} s."
            )
    print("\n".join(lines))


if __name__ == "__main__":
    main()

"""Time exact nearest-neighbour search over stored paper vectors: numpy (what paperdb does) and sqlite-vec.

Example:

    .venv/bin/python scripts/bench_vectors.py --papers 100000 1000000
    .venv/bin/python scripts/bench_vectors.py --papers 100000 --sqlite-vec path/to/vec0.so

For each size, a database holding that many random unit vectors as `paper_vectors` rows (int8 and
a scale, as the import writes them) is made in a temporary folder, and the script prints: the
table's size on disk; the seconds to read the whole matrix (`Vectors._matrix`, once per
connection and commit); the milliseconds of one search over it once read (`Vectors.nearest`, 10
nearest, median of 20). With `--sqlite-vec` (the `vec0` loadable extension of the `sqlite-vec`
package) it also times the same search in SQL through the `sqlite3` shell, `ORDER BY
vec_distance_cosine(vec_int8(vector), vec_int8(?)) LIMIT 10`, a full scan per search: Python's
`sqlite3` module here cannot load extensions (built without `enable_load_extension`).
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from app.search.embedding import DIMENSIONS, encode  # noqa: E402
from app.search.semantic import Vectors  # noqa: E402

SEARCHES = 20
WRITE_BATCH = 50_000


def make(db: Path, papers: int) -> np.ndarray:
    """A database of `papers` random unit vectors; returns one more, to search with."""
    rng = np.random.default_rng(1)
    conn = sqlite3.connect(db)
    conn.execute(
        "CREATE TABLE paper_vectors (paper_id INTEGER PRIMARY KEY, text_hash INTEGER, vector BLOB, scale FLOAT)"
    )
    for start in range(0, papers, WRITE_BATCH):
        rows = rng.standard_normal((min(WRITE_BATCH, papers - start), DIMENSIONS)).astype(np.float32)
        rows /= np.linalg.norm(rows, axis=1, keepdims=True)
        conn.executemany(
            "INSERT INTO paper_vectors VALUES (?, 0, ?, ?)",
            [(start + i + 1, blob, scale) for i, (blob, scale) in enumerate(encode(rows))],
        )
    conn.commit()
    conn.execute("VACUUM")
    conn.close()
    query = rng.standard_normal(DIMENSIONS).astype(np.float32)
    return query / np.linalg.norm(query)


def numpy_times(db: Path, query: np.ndarray) -> dict:
    conn = sqlite3.connect(db)
    vectors = Vectors(conn)
    started = time.perf_counter()
    vectors._matrix()
    read = time.perf_counter() - started
    times = []
    for _ in range(SEARCHES):
        started = time.perf_counter()
        vectors.nearest(query, 10)
        times.append(time.perf_counter() - started)
    conn.close()
    return {"read matrix s": round(read, 2), "search ms": round(1000 * float(np.median(times)), 1)}


def sqlite_vec_ms(db: Path, query: np.ndarray, extension: Path) -> float:
    """Median milliseconds of the search in SQL, timed by the `sqlite3` shell (`.timer`)."""
    literal = json.dumps([int(v) for v in np.rint(query * 127 / np.abs(query).max())])
    search = (
        f"SELECT paper_id FROM paper_vectors ORDER BY "
        f"vec_distance_cosine(vec_int8(vector), vec_int8('{literal}')) LIMIT 10;\n"
    )
    script = f".load {extension.with_suffix('')}\n.timer on\n" + search * 5
    out = subprocess.run(["sqlite3", str(db)], input=script, capture_output=True, text=True, check=True).stdout
    real = [float(line.split()[3]) for line in out.splitlines() if line.startswith("Run Time:")]
    return round(1000 * float(np.median(real)), 1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--papers", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--sqlite-vec", type=Path, help="sqlite-vec's loadable extension (vec0.so)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for papers in args.papers:
            db = Path(tmp) / f"v{papers}.db"
            query = make(db, papers)
            result = {"papers": papers, "MB on disk": round(db.stat().st_size / 1e6, 1), **numpy_times(db, query)}
            if args.sqlite_vec:
                result["sqlite-vec search ms"] = sqlite_vec_ms(db, query, args.sqlite_vec)
            print(json.dumps(result), flush=True)
            db.unlink()
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""How many bytes each table and index of a SQLite database takes, from SQLite's `dbstat`.

Every table and index with its bytes (whole pages, as on disk) and its share of the file,
largest first; an FTS5 index is one row, the sum of its shadow tables, each listed under
it. Free pages are a row of their own, so the rows add up to the file. Several databases
give a column pair each (named by the file's name without `.db`), one row per object.

Example:
    python scripts/db_size.py papers.db
    python scripts/db_size.py floor.db before.db after.db --markdown --min-mb 1
    python scripts/db_size.py floor.db --build-floor corpus/   # the raw floor of bench.py, then its sizes
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
from pathlib import Path

from bench import step_floor

FTS5_SHADOWS = ("data", "idx", "content", "docsize", "config")
FREE = "(free pages)"
MB = 1024 * 1024


def _is_fts5(sql: str | None) -> bool:
    return bool(sql) and sql.upper().startswith("CREATE VIRTUAL TABLE") and "USING FTS5" in sql.upper()


def object_sizes(path: Path) -> dict[str, int]:
    """Bytes of every table and index (FTS5 shadow tables under `<index>/<shadow>`) and of the free pages."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        conn.execute("SELECT * FROM dbstat LIMIT 1")
    except sqlite3.OperationalError:
        sys.exit("this SQLite has no dbstat table (built without SQLITE_ENABLE_DBSTAT_VTAB)")
    fts = {
        name for name, sql in conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table'") if _is_fts5(sql)
    }
    shadow_of = {f"{index}_{shadow}": index for index in fts for shadow in FTS5_SHADOWS}
    sizes = {}
    for name, pgsize in conn.execute("SELECT name, pgsize FROM dbstat WHERE aggregate = 1"):
        sizes[f"{shadow_of[name]}/{name}" if name in shadow_of else name] = pgsize
    (page_size,) = conn.execute("PRAGMA page_size").fetchone()
    (free,) = conn.execute("PRAGMA freelist_count").fetchone()
    conn.close()
    sizes[FREE] = free * page_size
    return sizes


def grouped(sizes: dict[str, int]) -> list[tuple[str, int]]:
    """Rows largest first, each FTS5 index as the sum of its shadow tables followed by them
    (named `<index>/<shadow>`)."""
    top: dict[str, int] = {}
    under: dict[str, list[tuple[str, int]]] = {}
    for name, size in sizes.items():
        index, _, shadow = name.partition("/")
        top[index] = top.get(index, 0) + size
        if shadow:
            under.setdefault(index, []).append((shadow, size))
    rows = []
    for name in sorted(top, key=lambda n: (-top[n], n)):
        rows.append((name, top[name]))
        rows += [(f"{name}/{shadow}", size) for shadow, size in sorted(under.get(name, []), key=lambda r: -r[1])]
    return rows


def kinds(path: Path) -> dict[str, str]:
    """What each object is: `table`, `index on <table>`, `FTS5 index on <content>`."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    out = {}
    for kind, name, table, sql in conn.execute("SELECT type, name, tbl_name, sql FROM sqlite_master"):
        if kind == "index":
            out[name] = f"index on {table}"
        elif kind == "table" and _is_fts5(sql):
            content = sql.split('content="')[1].split('"')[0] if 'content="' in sql else ""
            out[name] = f"FTS5 index on {content}" if content else "FTS5 index"
        elif kind == "table":
            out[name] = "table"
    conn.close()
    return out


def table(paths: list[Path], *, markdown: bool, min_mb: float = 0.0) -> str:
    """The sizes of these databases side by side, ordered by the last one; objects under
    `min_mb` in every database are summed in one row."""
    sizes = [object_sizes(p) for p in paths]
    described: dict[str, str] = {}
    for p in paths:
        described.update(kinds(p))
    totals = [sum(s.values()) for s in sizes]
    order = [name for name, _ in grouped(sizes[-1])]
    for s in reversed(sizes[:-1]):  # objects only the earlier databases have, at the end
        order += [name for name, _ in grouped(s) if name not in order]
    by_db = [dict(grouped(s)) for s in sizes]
    header = ["object", "what"] + [f"{p.stem} {unit}" for p in paths for unit in ("MB", "%")]
    body = []
    small = [name for name in order if all(rows.get(name, 0) < min_mb * MB for rows in by_db)]
    for name in [n for n in order if n not in small]:
        _, _, shadow = name.partition("/")
        what = "FTS5 shadow table" if shadow else described.get(name, "")
        cells = [f"  {shadow}" if shadow else name, what]
        for rows, total in zip(by_db, totals):
            size = rows.get(name)
            cells += ["", ""] if size is None else [f"{size / MB:.1f}", f"{100 * size / total:.1f}"]
        body.append(cells)
    small_tops = [name for name in small if "/" not in name]  # a shadow's bytes are in its index's
    if small_tops:
        sums = [sum(rows.get(n, 0) for n in small_tops) for rows in by_db]
        body.append(
            [f"{len(small_tops)} smaller objects", f"under {min_mb} MB each"]
            + [cell for size, total in zip(sums, totals) for cell in (f"{size / MB:.1f}", f"{100 * size / total:.1f}")]
        )
    body.append(["total", "the file"] + [cell for total in totals for cell in (f"{total / MB:.1f}", "100.0")])
    if markdown:
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        for cells in body:
            if cells[0].startswith("  "):  # a shadow table, indented under its index
                cells[0] = f"&nbsp;&nbsp;{cells[0].strip()}"
            lines.append("| " + " | ".join(cells) + " |")
        return "\n".join(lines)
    widths = [max(len(r[i]) for r in [header, *body]) for i in range(len(header))]
    return "\n".join(
        "  ".join(c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths)))
        for r in [header, *body]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("databases", nargs="+", type=Path, help="SQLite database files")
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    parser.add_argument("--min-mb", type=float, default=0.0, help="sum objects under this size in one row")
    parser.add_argument(
        "--build-floor",
        metavar="CORPUS",
        help="first build the raw floor of CORPUS (scripts/bench.py) into the first database",
    )
    args = parser.parse_args()
    if args.build_floor:
        if args.databases[0].exists():
            sys.exit(f"{args.databases[0]} exists: the floor is built into a new file")
        step_floor(args.build_floor, str(args.databases[0]))
    for path in args.databases:
        if not path.is_file():
            sys.exit(f"no database at {path}")
    print(table(args.databases, markdown=args.markdown, min_mb=args.min_mb))


if __name__ == "__main__":
    main()

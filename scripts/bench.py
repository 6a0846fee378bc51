"""Benchmark paperdb against the raw floor and sqlite-utils on generated corpora.

For each size: generate (or reuse) a corpus with scripts/generate_corpus.py, then in
one run time and measure the peak memory of

  a. `paperdb import` of the whole corpus into an empty database, per phase;
  b. the raw floor: stdlib sqlite3, parse and executemany of the same papers with
     exact-string authors, one transaction, one FTS5 'rebuild';
  c. the same load through sqlite-utils (insert_all, lookup, enable_fts + triggers);
  d. a no-op re-run of the import;
  e. an incremental import of 1% new papers into the full database;
  f. 200 searches drawn from the corpus vocabulary and 200 author lookups, just after
     the import, then 200 more of each (the second pass: a process in use).

Each measured step runs in its own process; peak memory is given for the largest
single process and for all of the step's processes together (sampled). Figures are
printed and written to docs/benchmarks.md (between its bench markers) with the machine
facts, the command, phase times per 1,000 papers (linear growth shows as flat rows)
and the targets at the biggest size.

Example:
    python scripts/bench.py --sizes 10000,100000
    python scripts/bench.py --sizes 10000,100000,1000000 --sqlite-utils-up-to 100000
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
from importlib.util import find_spec
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GENERATOR = ROOT / "scripts" / "generate_corpus.py"
DUMP = re.compile(r"^(papers_\d+\.jsonl|profile_\d+\.txt|abstracts_\d+\.txt)$")
QUERIES = 200
SEED = 1
INCREMENT_SEED = 2  # a different seed gives different papers for the 1% increment
PASSES = ("first", "second")  # queries are timed in two passes of their own: just after the import, then again


# --- running a step in its own process -------------------------------------------------


def measured(argv: list[str], *, env: dict | None = None) -> dict:
    """Run a command; return its wall time, peak RSS (MB) and the JSON it printed last, if any."""
    # The previous step's writes go to disk first: left in the OS's cache, they would be
    # flushed during this step and its first fsync would wait for them.
    os.sync()
    started = time.perf_counter()
    proc = subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, **(env or {})}
    )
    total = {"peak": 0.0}
    sampler = threading.Thread(target=_sample_total, args=(proc, total), daemon=True)
    sampler.start()
    out, err = proc.communicate()
    seconds = time.perf_counter() - started
    sampler.join()
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(argv)} failed ({proc.returncode}):\n{err[-3000:]}")
    result = {"seconds": seconds, "peak_total_mb": total["peak"]}
    for line in reversed(out.strip().splitlines()):
        if line.startswith("{"):
            result.update(json.loads(line))
            break
    return result


def _sample_total(proc: subprocess.Popen, total: dict) -> None:
    """Keep in `total["peak"]` the largest summed resident memory (MB) of `proc` and every
    process under it (parse, resolution and ranking workers), sampled from /proc."""
    while proc.poll() is None:
        total["peak"] = max(total["peak"], sum(map(rss_mb, process_tree(proc.pid))))
        time.sleep(0.2)


def process_tree(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(parent, []).append(int(stat.parent.name))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo += children.get(pid, [])
    return tree


def rss_mb(pid: int) -> float:
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, IndexError, ValueError):
        return 0.0


def in_child(step: str, *args: str) -> dict:
    """Run one of this script's steps in a fresh Python process and measure it."""
    return measured([sys.executable, __file__, "--step", step, *args])


def peak_mb() -> float:
    """Peak resident memory in MB of this process or its biggest child (the parse worker)."""
    import resource

    rss = max(resource.getrusage(who).ru_maxrss for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    return rss / 1024  # Linux reports KiB


# --- the steps (each run in a child process) ------------------------------------------


def dump_files(corpus: Path) -> list[Path]:
    return sorted(p for p in corpus.iterdir() if DUMP.match(p.name))


def parse_plain(path: Path):
    """The least parsing any loader must do: (title, [exact author strings], abstract) per record."""
    with path.open(encoding="utf-8") as f:
        if path.suffix == ".jsonl":
            for line in f:
                obj = json.loads(line)
                authors = [
                    a if isinstance(a, str) else f"{a.get('family')}, {a.get('given')}"
                    for a in obj.get("authors") or []
                ]
                yield obj.get("title"), authors, obj.get("abstract")
        elif path.name.startswith("abstracts_"):
            for line in f:
                yield None, [], line.rstrip("\n")[len("Abstract:") :]
        else:
            lines = f.read().split("\n")[1:]
            for i in range(0, len(lines) - 2, 3):
                tokens = [t.strip() for t in lines[i + 1].split(",")]
                yield lines[i], [f"{tokens[j]}, {tokens[j + 1]}" for j in range(0, len(tokens) - 1, 2)], lines[i + 2]


FLOOR_SCHEMA = """
CREATE TABLE papers (id INTEGER PRIMARY KEY, title TEXT);
CREATE TABLE authors (id INTEGER PRIMARY KEY, name TEXT UNIQUE);
CREATE TABLE authorships (paper_id INTEGER, author_id INTEGER, position INTEGER);
CREATE TABLE abstracts (id INTEGER PRIMARY KEY, paper_id INTEGER, text TEXT);
CREATE VIRTUAL TABLE papers_fts USING fts5(title, content="papers", content_rowid="id");
CREATE VIRTUAL TABLE abstracts_fts USING fts5(text, content="abstracts", content_rowid="id");
"""


def step_floor(corpus: str, db: str) -> dict:
    """Raw floor: stdlib sqlite3, executemany, exact-string authors, one transaction, FTS rebuild."""
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.executescript(FLOOR_SCHEMA)
    conn.execute("BEGIN")
    author_ids: dict[str, int] = {}
    paper_id = 0
    papers, authorships, abstracts = [], [], []
    for path in dump_files(Path(corpus)):
        for title, authors, abstract in parse_plain(path):
            paper_id += 1
            papers.append((paper_id, title))
            for pos, name in enumerate(authors, 1):
                authorships.append((paper_id, author_ids.setdefault(name, len(author_ids) + 1), pos))
            if abstract:
                abstracts.append((paper_id, abstract))
    conn.executemany("INSERT INTO papers VALUES (?, ?)", papers)
    conn.executemany("INSERT INTO authors VALUES (?, ?)", ((i, n) for n, i in author_ids.items()))
    conn.executemany("INSERT INTO authorships VALUES (?, ?, ?)", authorships)
    conn.executemany("INSERT INTO abstracts (paper_id, text) VALUES (?, ?)", abstracts)
    conn.execute("INSERT INTO papers_fts(papers_fts) VALUES ('rebuild')")
    conn.execute("INSERT INTO abstracts_fts(abstracts_fts) VALUES ('rebuild')")
    conn.execute("COMMIT")
    conn.close()
    return {"records": paper_id, "peak_mb": peak_mb()}


def step_sqlite_utils(corpus: str, db: str) -> dict:
    """What a user would write instead: sqlite-utils insert_all, lookup, enable_fts with triggers."""
    import sqlite_utils

    sdb = sqlite_utils.Database(db)
    sdb["papers"].create({"id": int, "title": str}, pk="id")
    sdb["abstracts"].create({"id": int, "paper_id": int, "text": str}, pk="id")
    sdb["authors"].create({"id": int, "name": str}, pk="id")
    sdb["authors"].create_index(["name"], unique=True)
    sdb["papers"].enable_fts(["title"], create_triggers=True)
    sdb["abstracts"].enable_fts(["text"], create_triggers=True)
    records = 0
    with sdb.conn:
        for path in dump_files(Path(corpus)):
            papers, authorships, abstracts = [], [], []
            for title, authors, abstract in parse_plain(path):
                records += 1
                papers.append({"id": records, "title": title})
                for pos, name in enumerate(authors, 1):
                    authorships.append(
                        {"paper_id": records, "author_id": sdb["authors"].lookup({"name": name}), "position": pos}
                    )
                if abstract:
                    abstracts.append({"paper_id": records, "text": abstract})
            sdb["papers"].insert_all(papers, batch_size=1000)
            sdb["authorships"].insert_all(authorships, batch_size=1000)
            sdb["abstracts"].insert_all(abstracts, batch_size=1000)
    return {"records": records, "peak_mb": peak_mb()}


def step_import(db: str, *paths: str) -> dict:
    """paperdb's own import, with its phase times."""
    sys.path.insert(0, str(ROOT))
    from app.etl.load import run_import

    files = [str(p) for path in paths for p in (dump_files(Path(path)) if Path(path).is_dir() else [Path(path)])]
    report = run_import(db, files)
    return {**report.as_dict(), "peak_mb": peak_mb()}


def step_queries(db: str, corpus: str) -> dict:
    """200 searches of 1-3 words drawn from the corpus vocabulary, and 200 author lookups."""
    sys.path.insert(0, str(ROOT))
    from app.query import PaperDB

    rng = random.Random(SEED)
    words, names = vocabulary(Path(corpus))
    pdb = PaperDB(db)
    out: dict = {}
    # The first pass runs just after the import, in a new process; the second, other
    # queries drawn the same way, is what a person searching a database in use sees.
    for label in PASSES:
        queries = [" ".join(rng.sample(words, rng.choice((1, 1, 2, 2, 3)))) for _ in range(QUERIES)]
        lookups = rng.sample(names, min(QUERIES, len(names)))
        out[label] = {
            "search": percentiles(timed(lambda q: pdb.search(q, limit=20), queries)),
            "author": percentiles(timed(pdb.author, lookups)),
        }
    return {**out, "peak_mb": peak_mb()}


def vocabulary(corpus: Path) -> tuple[list[str], list[str]]:
    """Words as frequent in queries as in titles (from the first JSONL file), and author names."""
    words, names = [], []
    jsonl = next(p for p in dump_files(corpus) if p.suffix == ".jsonl")
    with jsonl.open(encoding="utf-8") as f:
        for i, line in enumerate(f):
            if i >= 5000:
                break
            obj = json.loads(line)
            words.extend(w for w in re.findall(r"[A-Za-z]{4,}", obj.get("title") or ""))
            for a in obj.get("authors") or []:
                if isinstance(a, str) and "," in a:
                    family, given = (x.strip() for x in a.split(",", 1))
                    names.append(f"{given} {family}")
    return words, names


def timed(func, items) -> list[float]:
    out = []
    for item in items:
        t = time.perf_counter()
        func(item)
        out.append((time.perf_counter() - t) * 1000)
    return out


def percentiles(ms: list[float]) -> dict:
    if not ms:
        return {}
    q = statistics.quantiles(ms, n=100, method="inclusive")
    return {"n": len(ms), "p50": round(q[49], 2), "p95": round(q[94], 2), "p99": round(q[98], 2)}


STEPS = {"floor": step_floor, "sqlite-utils": step_sqlite_utils, "import": step_import, "queries": step_queries}


# --- orchestration ---------------------------------------------------------------------


def corpus_for(workdir: Path, papers: int, seed: int) -> Path:
    """A generated corpus, reused when its manifest says it has these parameters."""
    out = workdir / f"corpus-{papers}-s{seed}"
    manifest = out / ".manifest.json"
    if not manifest.exists():
        subprocess.run(
            [sys.executable, str(GENERATOR), "--papers", str(papers), "--out", str(out), "--seed", str(seed)],
            check=True,
        )
    return out


def bench_size(workdir: Path, papers: int, with_sqlite_utils: bool) -> dict:
    corpus = corpus_for(workdir, papers, SEED)
    increment = corpus_for(workdir, max(papers // 100, 1), INCREMENT_SEED)
    run = workdir / f"run-{papers}"
    shutil.rmtree(run, ignore_errors=True)
    run.mkdir(parents=True)
    row = {"papers": papers, "bytes": sum(p.stat().st_size for p in dump_files(corpus))}
    row["floor"] = sized(in_child("floor", str(corpus), str(run / "floor.db")), run / "floor.db")
    if with_sqlite_utils:
        row["sqlite_utils"] = sized(in_child("sqlite-utils", str(corpus), str(run / "su.db")), run / "su.db")
    db = run / "paperdb.db"
    row["import"] = sized(in_child("import", str(db), str(corpus)), db)
    row["noop"] = sized(in_child("import", str(db), str(corpus)), db)
    row["increment"] = sized(in_child("import", str(db), str(increment)), db)
    row["queries"] = in_child("queries", str(db), str(corpus))
    return row


def sized(step: dict, db: Path) -> dict:
    """The step's figures with the database's and its WAL's size (MB) as the step left them."""
    wal = db.with_name(db.name + "-wal")
    return {**step, "db_mb": db.stat().st_size / 2**20, "wal_mb": wal.stat().st_size / 2**20 if wal.exists() else 0.0}


def commit() -> str:
    """The commit the run measured, `+ changes` when the checkout differs from it."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, capture_output=True)
    except OSError:
        return "unknown"
    return head.stdout.strip() + (" + changes" if dirty.stdout.strip() else "") if head.returncode == 0 else "unknown"


def machine() -> dict:
    mem = next((line.split()[1] for line in open("/proc/meminfo") if line.startswith("MemTotal")), "?")
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "?")
    return {
        "commit": commit(),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(int(mem) / 2**20, 1) if mem != "?" else mem,
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "load_average_at_end": tuple(round(x, 2) for x in os.getloadavg()),
    }


def ratio(a: float | None, b: float | None) -> str:
    return f"{a / b:.2f}x" if a and b else "-"


LOAD_STEPS = (
    ("raw floor", "floor"),
    ("sqlite-utils", "sqlite_utils"),
    ("paperdb import", "import"),
    ("no-op re-run", "noop"),
    ("+1% incremental", "increment"),
)
PHASES = ("parse", "load", "index", "resolve", "search lists")


def targets(r: dict) -> list[tuple[str, str, bool]]:
    """(target, measured, met) at one size, as the performance and query issues state them."""
    full, floor = r["import"]["seconds"], r["floor"]["seconds"]
    first = _queries(r, "first")
    second = _queries(r, "second") or first  # a report from before the passes has only the first
    search, author = second.get("search") or {}, second.get("author") or {}
    first_search, first_author = first.get("search") or {}, first.get("author") or {}
    # All processes together: the import's workers run beside it.
    peak = max(r[step].get("peak_total_mb", r[step]["peak_mb"]) for step in ("import", "increment", "noop"))
    increment, noop = r["increment"]["seconds"], r["noop"]["seconds"]
    floor_mb, db_mb = r["floor"].get("db_mb"), r["import"].get("db_mb")
    return [
        ("full import <= 5x the raw floor", f"{full / floor:.1f}x ({full:.0f} s vs {floor:.0f} s)", full <= 5 * floor),
        (
            "database <= 2.5x the raw floor's",
            f"{db_mb / floor_mb:.1f}x ({db_mb:.0f} MB vs {floor_mb:.0f} MB)" if db_mb and floor_mb else "not measured",
            bool(db_mb and floor_mb) and db_mb <= 2.5 * floor_mb,
        ),
        ("peak memory <= 1 GB, all processes", f"{peak:.0f} MB", peak <= 1024),
        ("no-op re-run <= 2 s", f"{noop:.1f} s", noop <= 2),
        (
            "+1% incremental <= 10% of the full import",
            f"{100 * increment / full:.1f}% ({increment:.0f} s)",
            increment <= 0.10 * full,
        ),
        (
            "search p95 <= 300 ms (first pass)",
            f"{first_search.get('p95')} ms",
            bool(first_search) and first_search["p95"] <= 300,
        ),
        (
            "search p95 <= 50 ms (second pass)",
            f"{search.get('p95')} ms",
            bool(search) and search["p95"] <= 50,
        ),
        (
            "author lookup p95 <= 20 ms (second pass)",
            f"{author.get('p95')} ms (first pass {first_author.get('p95')})",
            bool(author) and author["p95"] <= 20,
        ),
    ]


def _queries(r: dict, label: str) -> dict:
    """One pass's query figures (a report from before the passes has a single, first one)."""
    q = r["queries"]
    return q.get(label) or (q if label == PASSES[0] and "search" in q else {})


def markdown(rows: list[dict], command: str, facts: dict) -> str:
    lines = [
        f"Command: `{command}`",
        "",
        "Machine: " + ", ".join(f"{k} {v}" for k, v in facts.items()),
        "",
        "Every figure below comes from this one run; ratios compare with the raw floor measured",
        "in the same run (these machines are shared and noisy, so absolute times drift between runs).",
        "A phase's CPU seconds are of every process of the import while it ran (parse: of the parse",
        "worker); well under its wall time means it waited, on the disk most often.",
        "",
        "### Loading",
        "",
        "| papers | step | wall s | vs floor | peak MB (largest process / all) | db / WAL MB | phases: wall s (CPU s) |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        floor = r["floor"]["seconds"]
        for name, key in LOAD_STEPS:
            m = r.get(key)
            if not m:
                lines.append(f"| {r['papers']:,} | {name} | not run | | | | |")
                continue
            cpu = m.get("cpu") or {}
            phases = ", ".join(
                f"{k} {v:.1f}" + (f" ({cpu[k]:.1f})" if k in cpu else "") for k, v in (m.get("phases") or {}).items()
            )
            size = f"{m['db_mb']:.0f} / {m['wal_mb']:.0f}" if "db_mb" in m else ""
            lines.append(
                f"| {r['papers']:,} | {name} | {m['seconds']:.1f} | {ratio(m['seconds'], floor)} | "
                f"{m.get('peak_mb', 0):.0f} / {m.get('peak_total_mb', 0):.0f} | {size} | {phases} |"
            )
    lines += [
        "",
        "### Growth: seconds per 1,000 papers of the full import",
        "",
        "Flat rows mean linear growth. parse runs in a second process, overlapping the others.",
        "",
        "| papers | wall | " + " | ".join(PHASES) + " |",
        "|---|---|" + "---|" * len(PHASES),
    ]
    for r in rows:
        per = 1000 / r["papers"]
        phases = r["import"].get("phases") or {}
        lines.append(
            f"| {r['papers']:,} | {r['import']['seconds'] * per:.3f} | "
            + " | ".join(f"{phases.get(k, 0) * per:.3f}" for k in PHASES)
            + " |"
        )
    lines += [
        "",
        "### Queries (ms)",
        "",
        "Two passes in one process: the first just after the import, the second with other queries drawn the same way.",
        "",
        "| papers | query | pass | n | p50 | p95 | p99 |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        for kind in ("search", "author"):
            for label in PASSES:
                q = _queries(r, label).get(kind) or {}
                if q:
                    lines.append(
                        f"| {r['papers']:,} | {kind} | {label} | {q['n']} | {q['p50']} | {q['p95']} | {q['p99']} |"
                    )
    biggest = max(rows, key=lambda r: r["papers"])
    lines += ["", f"### Targets at {biggest['papers']:,} papers", "", "| target | measured | met |", "|---|---|---|"]
    lines += [f"| {t} | {m} | {'yes' if ok else '**no**'} |" for t, m, ok in targets(biggest)]
    return "\n".join(lines) + "\n"


BEGIN, END = "<!-- bench:begin (written by scripts/bench.py) -->", "<!-- bench:end -->"


def write_report(out: Path, block: str) -> None:
    """Put the figures between the markers, keeping the notes around them; a new file gets a heading."""
    text = out.read_text(encoding="utf-8") if out.exists() else f"# Benchmarks\n\n{BEGIN}\n{END}\n"
    if BEGIN not in text:
        text = f"{text.rstrip()}\n\n{BEGIN}\n{END}\n"
    head, rest = text.split(BEGIN, 1)
    tail = rest.split(END, 1)[1] if END in rest else ""
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(f"{head}{BEGIN}\n{block}{END}{tail}", encoding="utf-8")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", default="10000,100000", help="comma-separated corpus sizes in papers")
    p.add_argument("--workdir", type=Path, default=Path("/tmp/paperdb-bench"), help="corpora and databases go here")
    p.add_argument(
        "--out",
        type=Path,
        default=ROOT / "docs" / "benchmarks.md",
        help="the report: figures go between its bench markers, notes around them stay",
    )
    p.add_argument(
        "--sqlite-utils-up-to",
        type=int,
        default=None,
        metavar="PAPERS",
        help="run the (slow) sqlite-utils load only for sizes up to this (default: every size)",
    )
    p.add_argument("--step", choices=sorted(STEPS), help=argparse.SUPPRESS)
    p.add_argument("args", nargs="*", help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.step:
        print(json.dumps(STEPS[a.step](*a.args)))
        return
    sizes = [int(s) for s in a.sizes.split(",")]
    with_sqlite_utils = {n: a.sqlite_utils_up_to is None or n <= a.sqlite_utils_up_to for n in sizes}
    if any(with_sqlite_utils.values()) and not find_spec("sqlite_utils"):
        p.exit(
            2,
            "bench.py: the sqlite-utils step needs sqlite-utils (pip install 'sqlite-utils>=3.36'), "
            "or --sqlite-utils-up-to 0 to leave it out\n",
        )
    rows = []
    for size in sizes:
        rows.append(bench_size(a.workdir, size, with_sqlite_utils[size]))
        print(json.dumps(rows[-1]), flush=True)
        (a.out.with_suffix(".json")).write_text(
            json.dumps(rows, indent=1), encoding="utf-8"
        )  # kept if a later size fails
    command = "python scripts/bench.py " + " ".join(sys.argv[1:])
    block = markdown(rows, command, machine())
    write_report(a.out, block)
    print(block)


if __name__ == "__main__":
    main()

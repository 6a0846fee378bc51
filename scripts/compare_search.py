"""Record what a fixed set of searches and author lookups return, or compare it with a recording.

The searches are drawn as `scripts/bench.py` draws them (1-3 title words of the corpus, the
same seed), each asked for a first and a second page, plus the same words filtered by years
and by an author; the lookups are names of the corpus's authors. Every hit is kept with its
paper id, score and snippet, every lookup whole, so two recordings are equal only when search
and author lookup behave the same.

Example:
    python scripts/compare_search.py papers.db corpus/ --out before.json
    python scripts/compare_search.py papers.db corpus/ --against before.json
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from bench import SEED, vocabulary  # noqa: E402

from app.query import PaperDB, QueryError  # noqa: E402

SEARCHES = 200
LOOKUPS = 100
FILTERED = 20  # searches also run with a year range and with an author


def recorded(db: str, corpus: str) -> dict:
    """Every search's pages and every lookup's result, as plain values."""
    rng = random.Random(SEED)
    words, names = vocabulary(Path(corpus))
    queries = [" ".join(rng.sample(words, rng.choice((1, 1, 2, 2, 3)))) for _ in range(SEARCHES)]
    lookups = rng.sample(names, min(LOOKUPS, len(names)))
    out: dict = {"search": [], "filtered": [], "author": []}
    with PaperDB(db) as pdb:
        for q in queries:
            out["search"].append(
                [q, [[h.as_dict() for h in pdb.search(q, limit=20, offset=offset)] for offset in (0, 20)]]
            )
        for q, name in zip(queries[:FILTERED], lookups):
            out["filtered"].append(
                [
                    q,
                    name,
                    [h.as_dict() for h in pdb.search(q, year_from=2015, year_to=2020)],
                    _or_error(lambda q=q, name=name: [h.as_dict() for h in pdb.search(q, author=name)]),
                ]
            )
        for name in lookups:
            out["author"].append([name, pdb.author(name).as_dict()])
    return out


def _or_error(run):
    try:
        return run()
    except QueryError as e:
        return {"error": str(e)}


def differences(now: dict, before: dict) -> dict[str, int]:
    """How many recorded items of each kind differ (JSON round trip: tuples become lists)."""
    now = json.loads(json.dumps(now))
    return {
        kind: sum(a != b for a, b in zip(now[kind], before[kind])) + abs(len(now[kind]) - len(before[kind]))
        for kind in before
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("db")
    parser.add_argument("corpus")
    parser.add_argument("--out", type=Path, help="write the recording here")
    parser.add_argument("--against", type=Path, help="compare with this recording; exit 1 if anything differs")
    args = parser.parse_args()
    now = recorded(args.db, args.corpus)
    hits = sum(len(page) for _, pages in now["search"] for page in pages)
    found = sum(r["status"] == "found" for _, r in now["author"])
    print(
        f"{len(now['search'])} searches ({hits} hits), {len(now['filtered'])} filtered, "
        f"{len(now['author'])} lookups ({found} found)"
    )
    if args.out:
        args.out.write_text(json.dumps(now, indent=1, sort_keys=True))
    if args.against:
        diff = differences(now, json.loads(args.against.read_text()))
        print("differences:", diff)
        sys.exit(1 if any(diff.values()) else 0)


if __name__ == "__main__":
    main()

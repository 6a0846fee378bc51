"""Measure semantic search and related papers against bm25 on real papers.

Example (with no path it measures the ACL sample in `../shared/realdata` next to the repo):

    .venv/bin/python scripts/evaluate_semantic.py
    .venv/bin/python scripts/evaluate_semantic.py ../shared/realdata/acl_dev_papers.jsonl --related-sample 2000

Needs the optional extra (`pip install 'paperdb[semantic]'`). Both parts import with the real
loader, `app.etl.load.run_import`, into temporary SQLite files, and query through `PaperDB`.

(a) Title -> own abstract: every paper with a title and an abstract; its abstract alone is
imported (a JSON Lines record without title, keyed by `source_id`), then its title is the query.
MRR@10 and recall@10 of finding the paper's own abstract among all of them, for each way of
ranking: `text` (`paperdb search`: every word must match), `text, any word` (bm25 over papers
with any of the words: raw FTS5 `OR`), `semantic`, `hybrid` (`--mode hybrid`: the every-word
ranking fused with the vectors), `hybrid, any word` (the any-word ranking fused with the vectors).

(b) Related papers: the whole file is imported (titles, authors, abstracts, venues, years);
for each paper (or a seeded sample of `--related-sample`), the share of its 10 nearest papers
(fewer when there are fewer)
(`PaperDB.related`) that share a resolved author or the same venue and year with it, against 10
papers drawn at random and the 10 best bm25 matches of its title (any word, itself left out).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from app.etl.load import run_import  # noqa: E402
from app.query import PaperDB  # noqa: E402
from app.search import embedding  # noqa: E402
from app.search.semantic import FUSION_DEPTH, fuse  # noqa: E402
from app.search.text import fts_query_any  # noqa: E402

DATA = REPO / ".." / "shared" / "realdata" / "acl_public_papers.jsonl"
NEAREST = 10
SEED = 17


def read_papers(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.open(encoding="utf-8") if line.strip()]


def source_ids(pdb: PaperDB) -> dict[int, set[str]]:
    """Each paper's source ids (a paper may have been merged from several records)."""
    found: dict[int, set[str]] = {}
    for row in pdb.sql("SELECT paper_id, value FROM paper_ids WHERE scheme = 'source'").rows:
        found.setdefault(row[0], set()).add(row[1])
    return found


def imported(papers: list[dict], folder: Path, name: str) -> tuple[Path, dict]:
    """The papers imported into a new database in `folder`; its path and the import's figures."""
    data = folder / f"{name}.jsonl"
    data.write_text("".join(json.dumps(p) + "\n" for p in papers), encoding="utf-8")
    db = folder / f"{name}.db"
    report = run_import(db, [data])
    return db, {
        "papers": report.papers_added,
        "seconds": round(report.seconds, 1),
        "vector_seconds": round(report.phases.get("vectors", 0.0), 1),
        "embedded": report.vectors.embedded if report.vectors else 0,
    }


def title_to_abstract(papers: list[dict], folder: Path) -> dict:
    """(a): MRR@10 and recall@10 of each ranking, finding each title's own abstract."""
    pairs = [(p["source_id"], p["title"], p["abstract"]) for p in papers if p.get("title") and p.get("abstract")]
    db, figures = imported([{"source_id": s, "abstract": a} for s, _, a in pairs], folder, "abstracts")
    rankings = {"text": [], "text, any word": [], "semantic": [], "hybrid": [], "hybrid, any word": []}
    with PaperDB(db) as pdb:
        ids = source_ids(pdb)
        for source, title, _ in pairs:
            words = pdb.search(title, limit=FUSION_DEPTH)
            anyw = pdb.search(fts_query_any(title), limit=FUSION_DEPTH, raw=True)
            vectors = pdb.search(title, limit=FUSION_DEPTH, mode="semantic")
            hybrid = pdb.search(title, limit=NEAREST, mode="hybrid")
            fused = fuse([[h.paper_id for h in anyw], [h.paper_id for h in vectors]], FUSION_DEPTH)
            got = {
                "text": [h.paper_id for h in words],
                "text, any word": [h.paper_id for h in anyw],
                "semantic": [h.paper_id for h in vectors],
                "hybrid": [h.paper_id for h in hybrid],
                "hybrid, any word": [i for i, _ in fused],
            }
            for mode, ranked in got.items():
                rank = next((r for r, pid in enumerate(ranked[:NEAREST], 1) if source in ids.get(pid, ())), None)
                rankings[mode].append(rank)
    n = len(pairs)
    return {
        "queries": n,
        "import": figures,
        "modes": {
            mode: {
                "mrr@10": round(sum(1 / r for r in ranks if r) / n, 3),
                "recall@10": round(sum(r is not None for r in ranks) / n, 3),
            }
            for mode, ranks in rankings.items()
        },
    }


def related_papers(papers: list[dict], folder: Path, sample: int | None) -> dict:
    """(b): the share of the 10 nearest papers sharing an author or a venue-year, against random and bm25."""
    db, figures = imported(papers, folder, "papers")
    rng = random.Random(SEED)
    with PaperDB(db) as pdb:
        authors: dict[int, set[int]] = {}
        for pid, aid in pdb.sql("SELECT paper_id, author_id FROM authorships").rows:
            authors.setdefault(pid, set()).add(aid)
        meta = {r[0]: (r[1], r[2], r[3]) for r in pdb.sql("SELECT id, title, venue, year FROM papers").rows}
        everyone = sorted(meta)
        chosen = everyone if sample is None or sample >= len(everyone) else sorted(rng.sample(everyone, sample))

        def shared(pid: int, other: int) -> bool:
            _, venue, year = meta[pid]
            same_venue_year = venue is not None and year is not None and meta[other][1:] == (venue, year)
            return bool(authors.get(pid, set()) & authors.get(other, set())) or same_venue_year

        shares = {"related (vectors)": [0, 0], "random": [0, 0], "bm25 on the title": [0, 0]}  # shared, listed
        started = time.perf_counter()
        for pid in chosen:
            near = [r.paper_id for r in pdb.related(pid, limit=NEAREST)]
            drawn = rng.sample([p for p in everyone if p != pid], min(NEAREST, len(everyone) - 1))
            title = meta[pid][0]
            bm25 = [h.paper_id for h in pdb.search(fts_query_any(title), limit=NEAREST + 1, raw=True)] if title else []
            bm25 = [p for p in bm25 if p != pid][:NEAREST]
            for name, others in (("related (vectors)", near), ("random", drawn), ("bm25 on the title", bm25)):
                shares[name][0] += sum(shared(pid, o) for o in others)
                shares[name][1] += len(others)
        seconds = time.perf_counter() - started
    return {
        "papers": len(everyone),
        "measured": len(chosen),
        "import": figures,
        "share sharing an author or venue-year": {k: round(n / max(listed, 1), 3) for k, (n, listed) in shares.items()},
        "seconds for all three per paper": round(seconds / len(chosen), 4),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("papers", nargs="?", type=Path, default=DATA, help="ACL-style JSON Lines of papers")
    parser.add_argument("--related-sample", type=int, help="measure (b) on this many papers drawn at random")
    args = parser.parse_args(argv)
    if not embedding.available():
        print(f"Error: {embedding.ENABLE_HINT}", file=sys.stderr)
        return 2
    if not args.papers.exists():
        print(f"Error: no papers file at {args.papers}", file=sys.stderr)
        return 2
    papers = read_papers(args.papers)
    with tempfile.TemporaryDirectory() as tmp:
        result = {
            "papers file": args.papers.name,
            "model": embedding.model_id(),
            "title -> own abstract": title_to_abstract(papers, Path(tmp)),
            "related": related_papers(papers, Path(tmp), args.related_sample),
        }
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Derive the word and name statistics the corpus generator draws from, out of real papers.

    python scripts/derive_corpus_stats.py [PAPERS.jsonl] [--out data/generator/acl_sample_stats.txt.gz]

The input is JSON Lines with `title`, `abstract` and `authors_parsed` ([[family, given], ...]),
as the ACL Anthology sample is (default: `../shared/realdata/acl_public_papers.jsonl` beside
the checkout). The output keeps no paper whole: only which word follows which (with counts)
in titles and in abstracts, and how often each family and given name is used. The committed
file was made with the default input; `data/generator/README.md` says where it comes from
and under which license.

File format (UTF-8, gzip; one section after another, each opened by a `[name LINES]` line):
  [words]      the words, one a line; word k (from 1) is line k, 0 is a title's or
               abstract's edge (its start before the first word, its end after the last)
  [titles]     line k (from 0): the words that follow word k in titles, as increasing
  [abstracts]  word numbers written as differences from the previous one, each with
               `*N` when it follows N times (no `*` is once); the same for abstracts
  [families]   `name<TAB>mentions`, for authors with both a family and a given name
  [givens]     `name<TAB>mentions`
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
from collections import Counter, defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_PAPERS = REPO.parent / "shared" / "realdata" / "acl_public_papers.jsonl"
DEFAULT_OUT = REPO / "data" / "generator" / "acl_sample_stats.txt.gz"
SECTIONS = ("words", "titles", "abstracts", "families", "givens")


def count_papers(lines) -> dict:
    """Word-pair, word and name counts of the papers (JSON Lines text lines)."""
    titles, abstracts, words = Counter(), Counter(), Counter()
    families, givens = Counter(), Counter()
    for line in lines:
        if not line.strip():
            continue
        paper = json.loads(line)
        for text, pairs in ((paper.get("title"), titles), (paper.get("abstract"), abstracts)):
            split = (text or "").split()
            if split:
                words.update(split)
                pairs.update(zip(["", *split], [*split, ""]))
        for family, given in paper.get("authors_parsed") or []:
            if family and given and "," not in family + given:
                families[family] += 1
                givens[given] += 1
    return {"words": words, "titles": titles, "abstracts": abstracts, "families": families, "givens": givens}


def successor_lines(pairs: Counter, number: dict[str, int]) -> list[str]:
    """One line per word number: its successors as differences, with `*count` above one."""
    following = defaultdict(list)
    for (a, b), n in pairs.items():
        following[number[a]].append((number[b], n))
    lines = []
    for k in range(len(number)):
        previous, parts = 0, []
        for b, n in sorted(following.get(k, [])):
            parts.append(f"{b - previous}*{n}" if n > 1 else str(b - previous))
            previous = b
        lines.append(" ".join(parts))
    return lines


def render(counts: dict) -> str:
    """The statistics file's text."""
    # The most used words get the smallest numbers, so the differences stay short.
    ordered = [w for w, _ in sorted(counts["words"].items(), key=lambda kv: (-kv[1], kv[0]))]
    number = {"": 0, **{w: k for k, w in enumerate(ordered, 1)}}
    sections = {
        "words": ordered,
        "titles": successor_lines(counts["titles"], number),
        "abstracts": successor_lines(counts["abstracts"], number),
        **{name: [f"{k}\t{n}" for k, n in sorted(counts[name].items())] for name in ("families", "givens")},
    }
    out = []
    for name in SECTIONS:
        out += [f"[{name} {len(sections[name])}]", *sections[name]]
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "papers", nargs="?", type=Path, default=DEFAULT_PAPERS, help="real papers as JSON Lines (default %(default)s)"
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where to write (default %(default)s)")
    args = parser.parse_args(argv)
    try:
        counts = count_papers(args.papers.read_text(encoding="utf-8").splitlines())
    except (OSError, ValueError) as exc:
        print(f"derive_corpus_stats: error: {args.papers}: {exc}", file=sys.stderr)
        return 2
    args.out.parent.mkdir(parents=True, exist_ok=True)
    # mtime=0: the same input gives the same bytes.
    args.out.write_bytes(gzip.compress(render(counts).encode("utf-8"), compresslevel=9, mtime=0))
    print(
        f"derive_corpus_stats: {len(counts['words'])} words, {len(counts['families'])} family and "
        f"{len(counts['givens'])} given names -> {args.out} ({args.out.stat().st_size} bytes)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

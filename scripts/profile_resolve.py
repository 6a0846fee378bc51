"""Time author resolution block by block, and check a change to it gives identical results.

Mentions are built as the loader hands them to `resolve_block`: the input files are read
with `extract` and `normalize_record`, a paper is one folded title (or abstract), its
authors and title words come from its first record, its co-authors are the coauthor keys
of all its authors, and its profiles the owners of the profile dumps listing it; linked
blocks (`block_links`) are timed as the one block the loader resolves. Times are CPU
seconds spent in `resolve_block` alone, with Python's cycle collector off, as in the import
and its resolution workers (on, it rescans every live object and the time per mention
grows with the corpus: 47 µs at 100k papers, 79 µs at 1M).

Example:

    .venv/bin/python scripts/generate_corpus.py --papers 20000 --out /tmp/corp20k
    .venv/bin/python scripts/profile_resolve.py /tmp/corp20k --top 5

    # before changing app/etl/resolve.py, keep a copy; afterwards compare every block:
    cp app/etl/resolve.py /tmp/resolve_before.py
    .venv/bin/python scripts/profile_resolve.py /tmp/corp20k --against /tmp/resolve_before.py
"""

from __future__ import annotations

import argparse
import cProfile
import dataclasses
import gc
import importlib.util
import pstats
import sys
import time
from collections import defaultdict
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from app.etl.extract import extract  # noqa: E402
from app.etl.resolve import Mention, Overrides, spellings_of, with_links  # noqa: E402
from app.etl.title_words import title_words  # noqa: E402
from app.text import records  # noqa: E402
from app.text.names import block_key, coauthor_key  # noqa: E402
from app.text.normalize import RecordError, normalize_record  # noqa: E402
from app.text.records import Reject  # noqa: E402


def input_files(paths: list[Path]) -> list[Path]:
    """The files named, and the files of the directories named (hidden ones skipped)."""
    found = []
    for path in paths:
        found += (
            sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith(".")) if path.is_dir() else [path]
        )
    return found


def mentions_of(paths: list[Path]) -> list[Mention]:
    """The mentions of every paper in the files, as the loader passes them."""
    authors: dict[str, tuple[records.Mention, ...]] = {}
    owners: dict[str, set[str]] = defaultdict(set)
    titles: dict[str, frozenset[str]] = {}
    for path in input_files(paths):
        for record in extract(path)[1]:
            if isinstance(record, Reject):
                continue
            try:
                clean = normalize_record(record)
            except RecordError:
                continue
            paper = clean.title_key or (clean.abstract_keys or ("",))[0]
            authors.setdefault(paper, clean.mentions)
            titles.setdefault(paper, title_words(clean.title))
            if clean.profile_owner:
                owners[paper].add(clean.profile_owner)
    found = []
    for paper, mentions in authors.items():
        keys = frozenset(coauthor_key(m.family, m.given) for m in mentions)
        profiles = frozenset(owners[paper])
        found += [
            Mention.of(
                (paper, i),
                paper,
                m.family,
                m.given,
                is_organization=m.is_organization,
                orcid=m.orcid,
                coauthors=keys,
                profiles=profiles,
                title_words=titles[paper],
            )
            for i, m in enumerate(mentions)
        ]
    return found


def blocks_of(mentions: list[Mention]) -> dict[str, list[Mention]]:
    """Mentions by block key, linked blocks together as the loader groups them (no overrides), in key order."""
    linked = with_links(Overrides(), spellings_of(mentions))
    blocks: dict[str, list[Mention]] = defaultdict(list)
    for m in mentions:
        blocks[linked.block_alias(block_key(m.family, m.given))].append(m)
    return dict(sorted(blocks.items()))


def load_module(path: Path) -> ModuleType:
    """Import a copy of resolve.py from any path."""
    spec = importlib.util.spec_from_file_location("resolve_against", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while it loads
    spec.loader.exec_module(module)
    return module


def timed(resolve_block, block: list[Mention]):
    """The block's result and the CPU seconds it took."""
    started = time.process_time()
    result = resolve_block(block)
    return result, time.process_time() - started


def main(argv: list[str] | None = None) -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", type=Path, nargs="+", help="dump files, or directories of them")
    parser.add_argument(
        "--against", type=Path, help="a copy of resolve.py: fail on the first block it resolves differently"
    )
    parser.add_argument("--top", type=int, default=3, help="how many of the slowest blocks to list")
    parser.add_argument("--profile", action="store_true", help="print the functions taking the most time")
    args = parser.parse_args(argv)
    gc.disable()  # building the mentions and resolving them, as the import and its workers run
    try:
        return profile(args)
    finally:
        gc.enable()


def profile(args: argparse.Namespace) -> int:
    """Resolve every block of the files, timed; compare with `--against` if given."""
    from app.etl.resolve import resolve_block

    blocks = blocks_of(mentions_of(args.paths))
    other = load_module(args.against) if args.against else None
    profiler = cProfile.Profile() if args.profile else None
    seconds: dict[str, float] = {}
    other_seconds = 0.0
    for key, block in blocks.items():
        if profiler:
            profiler.enable()
        result, seconds[key] = timed(resolve_block, block)
        if profiler:
            profiler.disable()
        if other:
            expected, spent = timed(other.resolve_block, block)
            other_seconds += spent
            if dataclasses.astuple(expected) != dataclasses.astuple(result):
                print(f"block {key!r} ({len(block)} mentions) differs from {args.against}", file=sys.stderr)
                return 1
    mentions = sum(map(len, blocks.values()))
    total = sum(seconds.values())
    biggest = max(blocks, key=lambda k: len(blocks[k]))
    print(f"{mentions} mentions in {len(blocks)} blocks: {total:.2f} s, {total / mentions * 1e6:.1f} µs per mention")
    print(f"biggest block {biggest!r}: {len(blocks[biggest])} mentions, {seconds[biggest]:.3f} s")
    for key in sorted(seconds, key=seconds.get, reverse=True)[: args.top]:
        spellings = len({(m.family, m.given) for m in blocks[key]})
        print(f"  {key!r}: {len(blocks[key])} mentions, {spellings} spellings, {seconds[key]:.3f} s")
    if other:
        print(
            f"identical results to {args.against} in every block "
            f"({other_seconds:.2f} s, {other_seconds / mentions * 1e6:.1f} µs per mention)"
        )
    if profiler:
        pstats.Stats(profiler).sort_stats("tottime").print_stats(15)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Peak memory of an import, phase by phase: the import's own process, its helpers, all together.

`scripts/bench.py` gives an import's peak memory whole; this says which phase reaches it.
The import runs in this process (`run_import`, as `paperdb import` runs it), its progress
steps say which phase is under way, and a thread reads the resident memory of this process
and of every process under it (the parse worker, the resolution workers, the ranking
helper) from /proc every `--every` seconds.

Example:
    python scripts/memory_by_phase.py /tmp/m/papers.db /tmp/corpus-1000000-s1
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from bench import dump_files, process_tree, rss_mb  # noqa: E402

from app.etl.load import run_import  # noqa: E402
from app.progress import Step  # noqa: E402


class Peaks:
    """The largest resident memory (MB) seen in each phase: this process, its largest helper, all."""

    def __init__(self, files: int) -> None:
        self.phase, self.files_left = "load", files
        self.by_phase: dict[str, list[float]] = {}

    def heard(self, step: Step) -> None:
        self.phase = step.phase

    def file_done(self, _result: object) -> None:
        # Resolution reports its first step when its first batch is written: from the end
        # of the last file on, the time is its own.
        self.files_left -= 1
        if not self.files_left:
            self.phase = "resolve"

    def sample(self) -> None:
        own, *helpers = (rss_mb(pid) for pid in process_tree(os.getpid()))
        peak = self.by_phase.setdefault(self.phase, [0.0, 0.0, 0.0])
        peak[:] = max(peak[0], own), max([peak[1], *helpers]), max(peak[2], own + sum(helpers))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("db", help="the database to import into (made if missing)")
    parser.add_argument(
        "paths", nargs="+", help="dump files, or folders of a generated corpus (as `bench.py` reads them)"
    )
    parser.add_argument("--every", type=float, default=0.5, help="seconds between samples (default 0.5)")
    args = parser.parse_args()
    files = [str(p) for path in map(Path, args.paths) for p in (dump_files(path) if path.is_dir() else [path])]
    peaks, done = Peaks(len(files)), threading.Event()

    def sample() -> None:
        while not done.wait(args.every):
            peaks.sample()

    sampler = threading.Thread(target=sample, daemon=True)
    started = time.perf_counter()
    sampler.start()
    report = run_import(args.db, files, progress=peaks.file_done, watch=peaks.heard)
    done.set()
    sampler.join()
    print(f"import: {time.perf_counter() - started:.1f} s, {report.papers_added:,} papers added")
    print("| phase | the import's process MB | its largest helper MB | all MB |")
    print("|---|---|---|---|")
    for phase, (own, helper, total) in peaks.by_phase.items():
        print(f"| {phase} | {own:.0f} | {helper:.0f} | {total:.0f} |")


if __name__ == "__main__":
    main()

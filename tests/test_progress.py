"""Progress a person can watch: the import's steps, the terminal line and the nightly log's phase lines."""

from __future__ import annotations

import io
import json

import pytest
from click.testing import CliRunner

from app.cli import main
from app.etl import load_authors, paper_evidence
from app.etl.load import WATCH_RECORDS, run_import
from app.progress import PhaseLog, Step, TerminalLine, describe, duration
from app.search import embedding


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_step_reads_as_what_is_done_the_share_the_rate_and_the_time_left():
    step = Step("load", 12_000, "records", 0.25, "/data/arxiv.jsonl.gz", file=2, files=19)
    assert describe(step, 60.0) == (
        "load arxiv.jsonl.gz (file 2 of 19): 12,000 records, 25%, 200 records/s, about 3 min 00 s left"
    )
    assert describe(Step("resolve", 3_686, "blocks", 1.0), 3.4) == "resolve: 3,686 blocks, 100%, 1,084 blocks/s, 3 s"
    assert describe(Step("index"), 75.0) == "index: 1 min 15 s"
    assert [duration(s) for s in (0.4, 59, 61, 3 * 3600 + 125)] == ["0 s", "59 s", "1 min 01 s", "3 h 02 min"]


def test_the_terminal_line_is_redrawn_in_place_a_few_times_a_second_and_cleared():
    out, clock = io.StringIO(), Clock()
    line = TerminalLine(out, clock)
    line(Step("resolve", 10, "blocks", 0.1))
    clock.now = 0.05
    line(Step("resolve", 20, "blocks", 0.2))  # too soon after the last: not drawn
    clock.now = 2.0
    line(Step("resolve", 40, "blocks", 0.4))
    line(Step("index"))  # a new phase is drawn at once
    line.clear()
    assert out.getvalue().split("\r") == [
        "",
        "resolve: 10 blocks, 10%, 0 s\x1b[K",
        "resolve: 40 blocks, 40%, 20 blocks/s, about 3 s left\x1b[K",
        "index: 0 s\x1b[K",
        "\x1b[K",
    ]


def test_the_log_gets_one_line_per_phase():
    lines, clock = [], Clock()
    log = PhaseLog(lines.append, clock)
    log(Step("load", 500, "records", 0.5, "a.jsonl"))
    clock.now = 30.0
    log(Step("load", 200, "records", 1.0, "b.jsonl"))
    log(Step("resolve", 5, "blocks", 0.5))
    clock.now = 42.0
    log(Step("resolve", 10, "blocks", 1.0))
    log.close()
    assert lines == ["load: 30 s", "resolve: 10 blocks in 12 s"]


def test_the_import_reports_records_into_each_file_then_blocks_resolved(tmp_path):
    papers = tmp_path / "papers.jsonl"
    rows = [{"title": f"Paper {i}", "authors": [f"Author{i % 300}, Ann"]} for i in range(1, 1201)]
    papers.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    steps: list[Step] = []
    run_import(tmp_path / "p.db", [papers], watch=steps.append)
    loads = [s for s in steps if s.phase == "load"]
    assert [(s.done, s.fraction, s.file, s.files) for s in loads] == [
        (WATCH_RECORDS, WATCH_RECORDS / 1200, 1, 1),  # the file is one chunk of 1,200 records
        (2 * WATCH_RECORDS, 2 * WATCH_RECORDS / 1200, 1, 1),
    ]
    resolved = [s for s in steps if s.phase == "resolve"]
    assert resolved and resolved[-1].fraction == 1.0 and resolved[-1].done == 300  # one block per family name
    phases = [s.phase for s in steps]
    vectors = [p for p in phases if p == "vectors"]
    # With the extra (`paperdb[semantic]`), and only then, the vectors' phase comes last.
    assert bool(vectors) == embedding.available() and phases[len(phases) - len(vectors) :] == vectors
    assert [p for p in phases if p != "vectors"][-2:] in (["resolve", "index"], ["index", "search lists"])


def test_resolution_workers_report_the_papers_whose_evidence_they_worked_out(tmp_path, monkeypatch):
    monkeypatch.setattr(load_authors, "PARALLEL_MIN_MENTIONS", 0)  # workers, as for a big import
    monkeypatch.setattr(load_authors, "MENTIONS_PER_TRANSACTION", 100)
    monkeypatch.setattr(paper_evidence, "EVIDENCE_PAPERS_PER_PIECE", 500)
    papers = tmp_path / "papers.jsonl"
    # Short family names, none a slip of another: 300 blocks, not one group of linked blocks.
    families = [f"Qo{a}{b}{c}" for a in "bcdfghjklmnpqrstvwxz" for b in "aeiou" for c in "bdgklmnprst"][:300]
    rows = [{"title": f"Paper {i}", "authors": [f"{families[i % 300]}, Ann"]} for i in range(1, 1201)]
    papers.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    steps: list[Step] = []
    run_import(tmp_path / "p.db", [papers], watch=steps.append)
    evidence = [(s.done, s.unit, s.fraction) for s in steps if s.phase == "author evidence"]
    assert evidence == [(500, "papers", 500 / 1200), (1000, "papers", 1000 / 1200), (1200, "papers", 1.0)]
    phases = [s.phase for s in steps]
    assert phases.index("author evidence") < phases.index("resolve")


def test_import_prints_no_file_lines_with_quiet(tmp_path):
    result = CliRunner().invoke(main, ["--db", str(tmp_path / "q.db"), "import", "--quiet", "data/samples"])
    assert result.exit_code == 0
    assert result.output.count("\n") == 1 and result.output.startswith("2 files (2 new")


@pytest.mark.slow
def test_cpu_seconds_count_a_live_child_process():
    import subprocess
    import sys
    import time

    from app.workers import cpu_seconds

    before = cpu_seconds()
    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import time\nend = time.process_time() + 1.0\nwhile time.process_time() < end: pass\ninput()",
        ],
        stdin=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        while cpu_seconds() - before < 1.0 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert cpu_seconds() - before >= 1.0  # the child's second of CPU, while it is still running
    finally:
        child.communicate(b"\n", timeout=30)


def test_the_import_report_gives_each_phase_its_cpu_time(tmp_path):
    papers = tmp_path / "papers.jsonl"
    papers.write_text(json.dumps({"title": "One", "authors": ["Doe, Jane"]}) + "\n", encoding="utf-8")
    report = run_import(tmp_path / "p.db", [papers]).as_dict()
    assert set(report["cpu"]) == set(report["phases"]) >= {"parse", "load", "index", "resolve"}
    assert all(cpu >= 0 for cpu in report["cpu"].values())

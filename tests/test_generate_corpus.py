"""Tests for scripts/generate_corpus.py: determinism, formats, dirt and linear size."""
from __future__ import annotations

import functools
import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "generate_corpus.py"
VOCAB = ROOT.parent / "shared" / "realdata" / "acl_public_papers.jsonl"  # beside the checkout, as in CI
THAI = re.compile("[\u0e00-\u0e7f]")
ORG_PREFIX = re.compile(r"^[^,]+, null, :, null(, |$)")
N = 2000


@functools.cache
def load_module():
    """Import the script once as a module (scripts/ is not a package)."""
    spec = importlib.util.spec_from_file_location("generate_corpus", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules["generate_corpus"] = module
    spec.loader.exec_module(module)
    return module


def run_cli(out: Path, *extra: str) -> str:
    """Run the CLI in a fresh interpreter (another PYTHONHASHSEED) and return stdout."""
    env = dict(os.environ, PYTHONHASHSEED="12345")
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--papers", str(N), "--out", str(out),
         "--seed", "7", "--papers-per-file", "500", *extra],
        capture_output=True, text=True, env=env, check=True, timeout=60)
    return result.stdout


def data_files(directory: Path) -> dict[str, bytes]:
    """Every file in a directory, by name."""
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir()) if p.is_file()}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    """A small corpus generated in-process, shared by the format tests."""
    out = tmp_path_factory.mktemp("corpus")
    load_module().generate(N, out, seed=7, per_file=500)
    return out


def test_cli_run_is_byte_identical(corpus, tmp_path):
    """The CLI in another interpreter (hash seed, two jobs) writes exactly the same bytes."""
    stdout = run_cli(tmp_path, "--jobs", "2")
    assert re.search(rf"files, {N} papers, \d+ records, \d+ bytes, [\d.]+ s", stdout)
    assert data_files(tmp_path) == data_files(corpus)


def test_all_three_formats_and_manifest(corpus):
    """JSONL, profile and abstracts files exist and .manifest.json accounts for them."""
    names = sorted(p.name for p in corpus.iterdir())
    assert any(re.fullmatch(r"papers_\d{5}\.jsonl", n) for n in names)
    assert any(re.fullmatch(r"profile_\d{5}\.txt", n) for n in names)
    assert any(re.fullmatch(r"abstracts_\d{5}\.txt", n) for n in names)
    manifest = json.loads((corpus / ".manifest.json").read_text(encoding="utf-8"))
    assert manifest["parameters"]["papers"] == N
    assert manifest["parameters"]["seed"] == 7
    listed = {e["file"]: e for e in manifest["files"]}
    assert sorted(listed) == [n for n in names if n != ".manifest.json"]
    for name, entry in listed.items():
        assert entry["bytes"] == (corpus / name).stat().st_size
    assert manifest["totals"]["records"] > N  # repeats and abstract-of-titled records


def test_profile_files_are_owner_plus_triplets(corpus):
    """Owner line, then title/authors/abstract; author lists have an even token count."""
    profiles = sorted(corpus.glob("profile_*.txt"))
    assert len(profiles) >= 2
    for path in profiles:
        lines = path.read_text(encoding="utf-8").split("\n")
        assert lines[-1] == ""
        lines = lines[:-1]
        owner = lines[0]
        assert re.fullmatch(r"[^,]+, [^,]+", owner)
        assert (len(lines) - 1) % 3 == 0 and len(lines) > 1
        owner_family = owner.split(", ")[0]
        with_owner = 0
        for k in range(1, len(lines), 3):
            title, authors, abstract = lines[k:k + 3]
            assert title and abstract and not abstract.startswith("Abstract:")
            tokens = ORG_PREFIX.sub("", authors).split(", ")
            assert len(tokens) % 2 == 0, authors
            with_owner += owner_family in authors
        # the owner is on every paper; variants or mojibake may hide the exact family
        assert with_owner >= 0.9 * (len(lines) - 1) / 3


def test_jsonl_lines_are_valid_papers(corpus):
    """Every JSONL line parses and carries the documented keys."""
    keys = {"title", "authors", "abstract", "year", "venue", "doi", "arxiv_id", "url",
            "source_id"}
    count = 0
    for path in corpus.glob("papers_*.jsonl"):
        for line in path.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            assert set(record) == keys
            assert record["title"] and record["abstract"] and record["authors"]
            for author in record["authors"]:
                assert isinstance(author, str) or set(author) == {"family", "given"}
            count += 1
    assert count > 0.55 * N


def test_abstract_dumps_and_dirt_present(corpus):
    """Abstract lines start `Abstract:`; mojibake, nulls, LaTeX and org tokens occur."""
    abstracts = [line for p in corpus.glob("abstracts_*.txt")
                 for line in p.read_text(encoding="utf-8").splitlines()]
    assert abstracts and all(line.startswith("Abstract:") for line in abstracts)
    assert 0.05 * N < len(abstracts) < 0.15 * N
    text = "".join(p.read_text(encoding="utf-8") for p in corpus.glob("p*_*.*"))
    assert THAI.search(text)  # cp874 mojibake, e.g. `Mรฉly`
    assert ", null" in text and "\\%" in text


def test_size_grows_linearly(tmp_path):
    """Four times the papers gives three to five times the bytes."""
    gen = load_module()
    small = gen.generate(1000, tmp_path / "small", seed=7, per_file=400)
    large = gen.generate(4000, tmp_path / "large", seed=7, per_file=400)
    ratio = large["totals"]["bytes"] / small["totals"]["bytes"]
    assert 3 < ratio < 5


def test_mojibake_matches_the_seed_dump():
    """The cp874 transform reproduces the real examples from DESIGN.md and the seeds."""
    gen = load_module()
    assert gen.mojibake("Mély") == "Mรฉly"
    assert gen.mojibake("Łukasz") == "ลukasz"
    assert gen.mojibake("Mądry") == "Mฤ dry"


def test_rejects_bad_sizes(tmp_path):
    """Non-positive sizes are refused before anything is written."""
    gen = load_module()
    with pytest.raises(ValueError):
        gen.generate(0, tmp_path / "x")
    assert not (tmp_path / "x").exists()

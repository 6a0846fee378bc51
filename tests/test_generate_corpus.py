"""Tests for scripts/generate_corpus.py: determinism, formats, dirt and linear size."""

from __future__ import annotations

import functools
import gzip
import importlib.util
import json
import os
import random
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "generate_corpus.py"
DERIVE = ROOT / "scripts" / "derive_corpus_stats.py"
STATS = ROOT / "data" / "generator" / "acl_sample_stats.txt.gz"
THAI = re.compile("[\u0e00-\u0e7f]")
ORG_PREFIX = re.compile(r"^[^,]+, null, :, null(, |$)")
N = 2000


@functools.cache
def load_script(path: Path):
    """Import a script once as a module (scripts/ is not a package)."""
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module
    spec.loader.exec_module(module)
    return module


def load_module():
    return load_script(SCRIPT)


def run_cli(out: Path, *extra: str) -> str:
    """Run the CLI in a fresh interpreter (another PYTHONHASHSEED) and return stdout."""
    env = dict(os.environ, PYTHONHASHSEED="12345")
    result = subprocess.run(
        [
            sys.executable,
            str(SCRIPT),
            "--papers",
            str(N),
            "--out",
            str(out),
            "--seed",
            "7",
            "--papers-per-file",
            "500",
            *extra,
        ],
        capture_output=True,
        text=True,
        env=env,
        check=True,
        timeout=60,
    )
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


@pytest.mark.slow
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
            title, authors, abstract = lines[k : k + 3]
            assert title and abstract and not abstract.startswith("Abstract:")
            tokens = ORG_PREFIX.sub("", authors).split(", ")
            assert len(tokens) % 2 == 0, authors
            with_owner += owner_family in authors
        # the owner is on every paper; variants or mojibake may hide the exact family
        assert with_owner >= 0.9 * (len(lines) - 1) / 3


def test_jsonl_lines_are_valid_papers(corpus):
    """Every JSONL line parses and carries the documented keys."""
    keys = {"title", "authors", "abstract", "year", "venue", "doi", "arxiv_id", "url", "source_id"}
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
    abstracts = [line for p in corpus.glob("abstracts_*.txt") for line in p.read_text(encoding="utf-8").splitlines()]
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


def test_statistics_keep_word_order_and_name_counts(tmp_path):
    """Derived statistics, read back by the generator, hold each word's successors as often
    as they follow it in the papers, and each name as often as it is used."""
    papers = tmp_path / "papers.jsonl"
    rows = [
        {
            "title": "Neural Parsing",
            "abstract": "We parse. We win.",
            "authors_parsed": [["Och", "Franz"], ["Ney", "Hermann"]],
        },
        {
            "title": "Neural Tagging",
            "abstract": "We tag.",
            "authors_parsed": [["Och", "Franz"], ["Nyberg, 3rd", "Eric"], ["Solo", ""]],
        },
    ]
    papers.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    stats = tmp_path / "stats.txt.gz"
    assert load_script(DERIVE).main([str(papers), "--out", str(stats)]) == 0
    gen = load_module()
    sections = gen.read_stats(gzip.decompress(stats.read_bytes()).decode("utf-8"))
    words = ["", *sections["words"]]
    titles, abstracts = gen.successors(sections["titles"]), gen.successors(sections["abstracts"])

    def follow(table, word):
        return sorted(words[k] for k in table[words.index(word)])

    assert follow(titles, "") == ["Neural", "Neural"]  # both titles start with it
    assert follow(titles, "Neural") == ["Parsing", "Tagging"]
    assert follow(titles, "Parsing") == [""]  # ends a title
    assert follow(abstracts, "We") == ["parse.", "tag.", "win."]
    assert follow(abstracts, "parse.") == ["We"]
    # A comma inside a name part or an empty given name keeps the name out of the pools.
    assert gen.expand_counts(sections["families"]) == ["Ney", "Och", "Och"]
    assert gen.expand_counts(sections["givens"]) == ["Franz", "Franz", "Hermann"]
    vocab = gen.Vocab(stats, seed=3)
    assert vocab.title(random.Random(1)).split()[0] == "Neural"


@pytest.mark.realdata
def test_committed_statistics_are_derived_from_the_public_sample(tmp_path):
    """data/generator's statistics file is what the derive script makes of the public ACL sample."""
    out = tmp_path / "stats.txt.gz"
    assert load_script(DERIVE).main(["--out", str(out)]) == 0
    assert gzip.decompress(out.read_bytes()) == gzip.decompress(STATS.read_bytes())

"""Files stream from the parsing process to the writer in chunks: no file is held whole,
and a chunked file loads exactly as a whole one would, or not at all."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import sqlite3
import threading
import time

import pytest

from app import workers
from app.etl import load
from app.etl.extract import SNIFF_BYTES
from app.etl.load import Chunk, ParsedFile, parse_file, run_import
from tests.conftest import query


def _jsonl(path, titles: list[str]) -> None:
    """A JSON Lines dump of these titles, each by an author its title's length picks (equal titles, one author)."""
    lines = [
        json.dumps({"title": t, "authors": [f"Family{len(t) % 7}, Given{len(t) % 3}"], "abstract": f"About {t}."})
        for t in titles
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _count_to(n: int):
    yield from range(n)


def _fail_after(n: int):
    yield from range(n)
    raise ValueError(f"stopped after {n}")


def _die_after(n: int):
    yield from range(n)
    time.sleep(0.5)  # the queue's thread sends what was put
    os._exit(3)


class _Unpicklable(Exception):
    def __init__(self, message):
        super().__init__(message)
        self.callback = lambda: None


def _fail_unpicklably():
    yield 1
    raise _Unpicklable("cannot cross processes")


def _forever():
    i = 0
    while True:
        yield i
        i += 1


def test_a_stream_gives_the_makers_items_in_order():
    assert list(workers.stream(_count_to, (1000,), 4)) == list(range(1000))


def test_a_makers_error_is_raised_to_the_reader_after_its_items():
    got = []
    with pytest.raises(ValueError, match="stopped after 5"):
        for item in workers.stream(_fail_after, (5,), 2):
            got.append(item)
    assert got == [0, 1, 2, 3, 4]


@pytest.mark.slow
def test_a_maker_that_dies_is_an_error_not_a_hang():
    got = []
    with pytest.raises(workers.WorkerDied, match="exit code 3"):
        for item in workers.stream(_die_after, (3,), 10):
            got.append(item)
    assert got == [0, 1, 2]


def test_an_error_that_cannot_cross_processes_arrives_as_its_traceback():
    stream = workers.stream(_fail_unpicklably, (), 2)
    assert next(stream) == 1
    with pytest.raises(RuntimeError, match="_Unpicklable: cannot cross processes"):
        next(stream)


def test_closing_a_stream_early_stops_its_maker():
    stream = workers.stream(_forever, (), 2)
    assert [next(stream) for _ in range(3)] == [0, 1, 2]
    children = set(workers.multiprocessing.active_children())
    assert children
    stream.close()
    deadline = time.monotonic() + 10
    while any(c.is_alive() for c in children) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(c.is_alive() for c in children)


def test_a_file_is_parsed_in_chunks_of_records(tmp_path, monkeypatch):
    monkeypatch.setattr(load, "CHUNK_RECORDS", 4)
    dump = tmp_path / "papers.jsonl"
    _jsonl(dump, [f"Paper number {i}" for i in range(10)])
    with dump.open("a", encoding="utf-8") as f:
        f.write("{not json\n")
    head, *chunks, end = list(parse_file(dump))
    assert isinstance(head, ParsedFile) and head.format == "jsonl" and head.size == dump.stat().st_size
    assert end is None
    assert all(isinstance(c, Chunk) for c in chunks)
    assert [len(c.records) for c in chunks] == [4, 4, 2]
    assert [r.line for r in chunks[-1].rejects] == [11]
    assert [r.title for c in chunks for r in c.records] == [f"Paper number {i}" for i in range(10)]


def test_a_file_loaded_in_chunks_is_whole_with_its_counts_and_rejects(tmp_path, monkeypatch):
    monkeypatch.setattr(load, "CHUNK_RECORDS", 3)  # one file: parsed in this process
    dump = tmp_path / "papers.jsonl"
    titles = [f"Paper number {i}" for i in range(10)]
    _jsonl(dump, titles[:5] + ["Paper number 0"] + titles[5:])  # a repeat in a later chunk
    with dump.open("a", encoding="utf-8") as f:
        f.write('{"title": ""}\n')
    db = tmp_path / "p.db"
    report = run_import(db, [dump])
    assert (report.records_loaded, report.records_rejected, report.papers_added) == (11, 1, 10)
    assert sorted(r[0] for r in query(db, "SELECT title FROM papers")) == sorted(titles)
    assert query(db, "SELECT records, rejected FROM source_files") == [(11, 1)]
    assert query(db, "SELECT line, reason FROM rejects") == [(12, "record has neither a title nor an abstract")]
    assert query(db, "SELECT count(*) FROM paper_sources") == [(11,)]


def test_a_file_that_fails_mid_stream_is_not_loaded_and_the_next_file_is(tmp_path):
    """The failing file's chunks still waiting behind the failure are read past, not taken
    for the next file's: more records than a chunk, parsed in the worker process."""
    folder = tmp_path / "dumps"
    folder.mkdir()
    big = [f"Long file paper {i}" for i in range(load.CHUNK_RECORDS * 2 + 500)]
    big[10] = "Refused by the database"
    _jsonl(folder / "a.jsonl", big)
    _jsonl(folder / "b.jsonl", ["A paper of the second file", "Another paper of the second file"])
    db = tmp_path / "p.db"
    run_import(db, [])  # the schema, to add a trigger that refuses one title
    with sqlite3.connect(db) as conn:
        conn.execute(
            "CREATE TRIGGER refuse BEFORE INSERT ON papers WHEN NEW.title = 'Refused by the database' "
            "BEGIN SELECT RAISE(ABORT, 'this title is refused'); END"
        )
    report = run_import(db, [folder])
    assert [(os.path.basename(f.path), f.status) for f in report.files] == [("a.jsonl", "failed"), ("b.jsonl", "new")]
    assert "this title is refused" in report.files[0].error
    assert report.summary().startswith("2 files (1 new, 0 changed, 0 skipped, 0 rejected, 1 failed)")
    assert sorted(r[0] for r in query(db, "SELECT title FROM papers")) == [
        "A paper of the second file",
        "Another paper of the second file",
    ]
    assert query(db, "SELECT path FROM source_files") == [(str((folder / "b.jsonl").resolve()),)]


def test_a_rejected_file_then_a_good_one_both_parsed_alongside(tmp_path):
    folder = tmp_path / "dumps"
    folder.mkdir()
    (folder / "a.bin").write_bytes(bytes(range(256)) * 64)
    _jsonl(folder / "b.jsonl", ["A paper after the binary file"])
    db = tmp_path / "p.db"
    report = run_import(db, [folder])
    assert [(os.path.basename(f.path), f.status) for f in report.files] == [("a.bin", "rejected"), ("b.jsonl", "new")]
    assert query(db, "SELECT title FROM papers") == [("A paper after the binary file",)]


@pytest.mark.slow
def test_one_big_file_is_parsed_alongside_and_loads_whole(tmp_path, monkeypatch):
    monkeypatch.setattr(load, "PARALLEL_PARSE_BYTES", 0)  # as if the file were big
    streamed = []
    real_stream = workers.stream
    monkeypatch.setattr(workers, "stream", lambda *a: streamed.append(a[0].__name__) or real_stream(*a))
    dump = tmp_path / "papers.jsonl"
    titles = [f"Paper number {i}" for i in range(load.CHUNK_RECORDS * 2 + 10)]
    _jsonl(dump, titles)
    db = tmp_path / "p.db"
    report = run_import(db, [dump])
    assert streamed == ["parse_files"]
    assert (report.records_loaded, report.papers_added) == (len(titles), len(titles))
    assert query(db, "SELECT records, rejected FROM source_files") == [(len(titles), 0)]


# JSON Lines and PubMed XML are read as they are used: a file of any size takes the memory of a few chunks.

JSONL_LINE = json.dumps({"title": "A paper sent down a pipe", "authors": ["Pipe, Ada"], "abstract": "x" * 60}) + "\n"
PUBMED_ARTICLE = (
    "<PubmedArticle>\n<MedlineCitation>\n<PMID>{}</PMID>\n<Article>\n"
    "<ArticleTitle>A paper sent down a pipe</ArticleTitle>\n"
    "<AuthorList><Author><LastName>Pipe</LastName><ForeName>Ada</ForeName></Author></AuthorList>\n"
    "</Article>\n</MedlineCitation>\n</PubmedArticle>\n"
)


def _pubmed(first: range, rest: range) -> tuple[bytes, bytes]:
    head = '<?xml version="1.0" encoding="UTF-8"?>\n<PubmedArticleSet>\n'
    return (
        (head + "".join(PUBMED_ARTICLE.format(n) for n in first)).encode(),
        ("".join(PUBMED_ARTICLE.format(n) for n in rest) + "</PubmedArticleSet>\n").encode(),
    )


@pytest.mark.parametrize(
    "name, fmt, first, rest",
    [
        # the first part is more than the sniffed head
        ("papers.jsonl", "jsonl", JSONL_LINE.encode() * 200, JSONL_LINE.encode() * 50),
        ("pubmed.xml", "pubmed", *_pubmed(range(1, 201), range(201, 251))),
    ],
)
def test_a_file_gives_records_before_it_is_read_to_its_end(tmp_path, monkeypatch, name, fmt, first, rest):
    """Through a pipe, whose writer sends the rest only once the first records have arrived:
    a reader that took the whole file first would wait for the end, and the writer give up."""
    monkeypatch.setattr(load, "CHUNK_RECORDS", 4)
    pipe = tmp_path / name
    os.mkfifo(pipe)
    records_arrived = threading.Event()
    sent_rest_after_records = []

    def write():
        with pipe.open("wb") as f:
            f.write(first)
            f.flush()
            sent_rest_after_records.append(records_arrived.wait(timeout=20))
            f.write(rest)

    writer = threading.Thread(target=write)
    writer.start()
    items = parse_file(pipe)
    head, chunk = next(items), next(items)
    assert (head.format, [r.title for r in chunk.records]) == (fmt, ["A paper sent down a pipe"] * 4)
    records_arrived.set()
    *chunks, end = items
    writer.join()
    assert sent_rest_after_records == [True]
    assert end is None and sum(len(c.records) for c in [chunk, *chunks]) == 250
    assert (chunks[-1].digest, chunks[-1].size) == (hashlib.sha256(first + rest).hexdigest(), len(first + rest))


def test_a_pubmed_file_broken_past_its_head_keeps_the_articles_before_and_rejects_the_broken_one(tmp_path):
    first, _ = _pubmed(range(1, 301), range(0))
    broken = PUBMED_ARTICLE.format(301).replace("</ArticleTitle>", "</Title>")
    dump = tmp_path / "pubmed.xml"
    dump.write_bytes(first + broken.encode() + b"</PubmedArticleSet>\n")
    db = tmp_path / "p.db"
    report = run_import(db, [dump])
    assert (report.records_loaded, report.records_rejected) == (300, 1)
    [(line, raw, reason)] = query(db, "SELECT line, raw, reason FROM rejects")
    assert line == 2 + 300 * PUBMED_ARTICLE.count("\n") + 1  # the broken article's first line
    assert raw == "\n".join(broken.splitlines()[:5])  # from there to the line that breaks
    assert reason.startswith("XML cannot be parsed: Opening and ending tag mismatch: ArticleTitle")


def _head_then_latin1(path, good: int, bad: int) -> None:
    """JSON Lines whose first `good` lines are UTF-8 and the `bad` after them Windows-1252."""
    lines = [json.dumps({"title": f"Good paper {i}"}) for i in range(good)]
    latin = [json.dumps({"title": f"Caf\u00e9 paper {i}"}, ensure_ascii=False) for i in range(bad)]
    path.write_bytes("\n".join(lines).encode() + b"\n" + "\n".join(latin).encode("cp1252") + b"\n")


def test_a_json_lines_file_found_mostly_undecodable_past_its_head_is_rejected_whole(tmp_path, monkeypatch):
    monkeypatch.setattr(load, "CHUNK_RECORDS", 10)  # chunks are written before the end is reached
    dump = tmp_path / "papers.jsonl"
    _jsonl(dump, ["An earlier version of the file"])
    db = tmp_path / "p.db"
    run_import(db, [dump])
    _head_then_latin1(dump, 700, 800)
    dump.read_bytes()[: 2 * SNIFF_BYTES].decode("utf-8")  # the head is UTF-8: the file is read as it goes
    report = run_import(db, [dump])
    assert [(f.status, f.error) for f in report.files] == [
        ("rejected", "not UTF-8 or UTF-16 text (800 of 1500 lines undecodable)")
    ]
    assert query(db, "SELECT title FROM papers") == [("An earlier version of the file",)]
    [(line, raw, reason)] = query(db, "SELECT line, raw, reason FROM rejects")
    assert (line, reason) == (None, "not UTF-8 or UTF-16 text (800 of 1500 lines undecodable)")
    assert raw == dump.read_bytes().decode("utf-8", "backslashreplace")  # all of it: under REJECTED_FILE_KEEP
    assert query(db, "SELECT records FROM source_files") == [(1,)]


def test_a_json_lines_file_with_a_few_undecodable_lines_past_its_head_loads_the_rest(tmp_path):
    dump = tmp_path / "papers.jsonl"
    _head_then_latin1(dump, 300, 3)
    db = tmp_path / "p.db"
    report = run_import(db, [dump])
    assert (report.records_loaded, report.records_rejected) == (300, 3)
    assert query(db, "SELECT line, reason FROM rejects") == [(n, "line is not valid UTF-8") for n in (301, 302, 303)]


def test_a_gzip_json_lines_file_cut_short_is_rejected_whole_after_its_first_chunks(tmp_path, monkeypatch):
    monkeypatch.setattr(load, "CHUNK_RECORDS", 10)
    lines = [json.dumps({"title": f"Compressed paper {i}", "abstract": f"Number {i} of many."}) for i in range(3000)]
    data = gzip.compress(("\n".join(lines) + "\n").encode())
    dump = tmp_path / "papers.jsonl.gz"
    dump.write_bytes(data[: len(data) * 3 // 5])
    db = tmp_path / "p.db"
    report = run_import(db, [dump])
    [result] = report.files
    assert result.status == "rejected"
    assert result.error.startswith("gzip file cannot be decompressed (") and "truncated or damaged" in result.error
    assert query(db, "SELECT count(*) FROM papers") == [(0,)]
    assert query(db, "SELECT count(*), min(line) IS NULL FROM rejects") == [(1, 1)]

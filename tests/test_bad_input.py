"""Nothing lost: bad records land in `rejects` with file, line and raw text; the rest loads."""

from __future__ import annotations

import codecs
import json

from app.etl.load import run_import
from tests.conftest import query

GOOD = [
    ("Paper One", "Smith, Jane, Doe, John", "We study the first thing in depth."),
    ("Paper Two", "Smith, Jane", "We study the second thing in depth."),
    ("Paper Three", "Doe, John, Roe, Richard", "We study the third thing in depth."),
]


def profile(*triplets, owner="Smith, Jane") -> str:
    return "\n".join([owner, *(line for t in triplets for line in t)]) + "\n"


def rejects(db) -> list[tuple]:
    return query(db, "SELECT line, raw, reason FROM rejects ORDER BY line")


def titles(db) -> list[str]:
    return sorted(r[0] for r in query(db, "SELECT title FROM papers WHERE title IS NOT NULL"))


def test_a_triplet_missing_its_abstract_is_rejected_and_the_rest_loads(tmp_path):
    f = tmp_path / "profile.txt"
    f.write_text(profile(GOOD[0], ("Broken Paper", "Roe, Richard, Doe, John"), GOOD[1], GOOD[2]))
    report = run_import(tmp_path / "p.db", [f])
    assert report.status == "rejects"
    assert rejects(tmp_path / "p.db") == [
        (5, "Broken Paper\nRoe, Richard, Doe, John", "profile record has no abstract line")
    ]
    assert titles(tmp_path / "p.db") == ["Paper One", "Paper Three", "Paper Two"]


def test_a_triplet_cut_off_at_the_end_of_the_file(tmp_path):
    f = tmp_path / "profile.txt"
    f.write_text(profile(GOOD[0], GOOD[1]) + "Last Paper\nSmith, Jane\n")
    run_import(tmp_path / "p.db", [f])
    assert rejects(tmp_path / "p.db") == [
        (8, "Last Paper\nSmith, Jane", "profile record cut off: 2 of 3 lines (title, authors, abstract)")
    ]
    assert titles(tmp_path / "p.db") == ["Paper One", "Paper Two"]


def test_an_author_list_with_an_odd_token_count_is_rejected(tmp_path):
    f = tmp_path / "profile.txt"
    f.write_text(profile(GOOD[0], ("Odd Paper", "Smith, Jane, Doe", "An abstract of some length."), GOOD[1]))
    run_import(tmp_path / "p.db", [f])
    [(line, raw, reason)] = rejects(tmp_path / "p.db")
    assert (line, raw.splitlines()[1]) == (5, "Smith, Jane, Doe")
    assert reason.startswith("author list cannot be parsed")
    assert titles(tmp_path / "p.db") == ["Paper One", "Paper Two"]


def test_an_undecodable_line_is_rejected_and_the_rest_loads(tmp_path):
    f = tmp_path / "abstracts.txt"
    f.write_bytes(b"Abstract:First abstract here.\nAbstract:Broken \xff\xfe bytes.\nAbstract:Third abstract.\n")
    report = run_import(tmp_path / "p.db", [f])
    assert report.status == "rejects"
    assert rejects(tmp_path / "p.db") == [(2, "Abstract:Broken \\xff\\xfe bytes.", "line is not valid UTF-8")]
    assert query(tmp_path / "p.db", "SELECT count(*) FROM papers") == [(2,)]


def test_a_binary_file_is_rejected_whole(tmp_path):
    f = tmp_path / "image.png"
    f.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 20)
    good = tmp_path / "good.txt"
    good.write_text("Abstract:A good abstract.\n")
    report = run_import(tmp_path / "p.db", [f, good])
    assert report.status == "rejects" and report.count("rejected") == 1
    [(line, _, reason)] = rejects(tmp_path / "p.db")
    assert (line, reason) == (None, "file is binary, not a text dump")
    assert query(tmp_path / "p.db", "SELECT count(*) FROM papers") == [(1,)]


def test_an_empty_file_is_reported(tmp_path):
    f = tmp_path / "empty.txt"
    f.write_text("")
    report = run_import(tmp_path / "p.db", [f])
    assert report.files[0].status == "rejected" and report.files[0].error == "file is empty"


def test_utf16_utf8_bom_and_crlf_are_read(tmp_path):
    text = profile(("Ünïcode Paper", "Mély, David, Kaiser, Łukasz", "Un résumé."), GOOD[1])
    (tmp_path / "a.txt").write_bytes(codecs.BOM_UTF16_LE + text.replace("\n", "\r\n").encode("utf-16-le"))
    (tmp_path / "b.txt").write_bytes(codecs.BOM_UTF8 + text.replace("Ünïcode", "Other").replace("\n", "\r\n").encode())
    report = run_import(tmp_path / "p.db", [tmp_path])
    assert report.status == "ok"
    assert titles(tmp_path / "p.db") == ["Other Paper", "Paper Two", "Ünïcode Paper"]
    names = {r[0] for r in query(tmp_path / "p.db", "SELECT name FROM authors")}
    assert {"David Mély", "Łukasz Kaiser", "Jane Smith"} <= names


def test_invalid_json_lines_are_rejected_with_their_line(tmp_path):
    f = tmp_path / "papers.jsonl"
    f.write_text(
        "\n".join(
            [
                json.dumps({"title": "Good JSON Paper", "authors": ["Smith, Jane"], "abstract": "Fine."}),
                '{"title": "Broken", "authors": [',
                json.dumps({"title": "Bad Year", "year": "soon"}),
                json.dumps({"authors": ["Smith, Jane"]}),
            ]
        )
        + "\n"
    )
    run_import(tmp_path / "p.db", [f])
    assert [(line, reason) for line, _, reason in rejects(tmp_path / "p.db")] == [
        (2, "invalid JSON: Expecting value at column 33"),
        (3, "field 'year' is not a year: 'soon'"),
        (4, "record has neither a title nor an abstract"),
    ]
    assert titles(tmp_path / "p.db") == ["Good JSON Paper"]


def test_rejects_of_a_file_are_replaced_when_the_file_is_fixed(tmp_path):
    f = tmp_path / "abstracts.txt"
    f.write_text("Abstract:One.\nno prefix here\n")
    run_import(tmp_path / "p.db", [f])
    assert [r[2] for r in rejects(tmp_path / "p.db")] == ["line does not start with 'Abstract:'"]
    f.write_text("Abstract:One.\nAbstract:Two.\n")
    report = run_import(tmp_path / "p.db", [f])
    assert report.status == "ok" and rejects(tmp_path / "p.db") == []
    assert query(tmp_path / "p.db", "SELECT count(*) FROM papers") == [(2,)]

"""ORCIDs: the bare form they are stored in, the check digit that keeps typos out, and JSON Lines."""

from __future__ import annotations

import json

import pytest

from app.etl.extract import extract
from app.text.normalize import canonical_orcid, normalize_record
from app.text.records import Record


@pytest.mark.parametrize(
    ("given", "bare"),
    [
        ("0000-0002-1825-0097", "0000-0002-1825-0097"),
        ("https://orcid.org/0000-0002-1825-0097", "0000-0002-1825-0097"),
        ("http://orcid.org/0000-0002-1825-0097/", "0000-0002-1825-0097"),
        (" orcid.org/0000-0002-1694-233x ", "0000-0002-1694-233X"),
        ("0000000218250097", "0000-0002-1825-0097"),
        ("0000-0002-1825-0098", None),  # check digit wrong
        ("0000-0002-1825", None),
        ("", None),
        (None, None),
    ],
)
def test_an_orcid_is_stored_bare_and_only_with_a_valid_check_digit(given, bare):
    assert canonical_orcid(given) == bare


def test_an_invalid_orcid_is_dropped_with_a_repair_note():
    record = Record(
        "f",
        1,
        "raw",
        title="T",
        author_pairs=(("Carberry", "Josiah"), ("Smith", "Jo")),
        author_orcids=("0000-0002-1825-0098", "https://orcid.org/0000-0002-1694-233X"),
    )
    clean = normalize_record(record)
    assert [m.orcid for m in clean.mentions] == [None, "0000-0002-1694-233X"]
    assert [(r.kind, r.detail) for r in clean.repairs] == [
        ("invalid-orcid", "dropped ORCID '0000-0002-1825-0098': not a valid ORCID")
    ]


def test_json_lines_authors_carry_their_orcid(tmp_path):
    path = tmp_path / "papers.jsonl"
    line = {
        "title": "Interest in ORCIDs",
        "authors": [{"family": "Carberry", "given": "Josiah", "orcid": "0000-0002-1825-0097"}, {"family": "Smith"}],
    }
    path.write_text(json.dumps(line) + "\n")
    fmt, [record] = extract(path)[0], list(extract(path)[1])
    assert fmt == "jsonl" and record.author_orcids == ("0000-0002-1825-0097", None)
    assert [m.orcid for m in normalize_record(record).mentions] == ["0000-0002-1825-0097", None]


def test_json_lines_reject_an_orcid_that_is_not_a_string(tmp_path):
    path = tmp_path / "papers.jsonl"
    path.write_text(json.dumps({"title": "T", "authors": [{"family": "Carberry", "orcid": 17}]}) + "\n")
    [reject] = list(extract(path)[1])
    assert reject.reason == "an author's 'orcid' must be a string"

"""Detection: a file is read as the format its content fits as a whole, whatever its name; a file
that fits none is rejected whole, its start kept, nothing of it written."""

from __future__ import annotations

import gzip

import pytest

from app.etl.extract import FileRejected, extract
from app.etl.load import run_import
from tests.conftest import FIXTURES, query

FORMATS = FIXTURES / "formats"
# A profile dump's owner line, then the fields of a Better BibTeX export without their `@type{key,`
# lines: some triplets happen to parse (23), most do not (56).
NOT_A_PROFILE = "Smith, Jane\n" + "".join(
    line
    for line in (FORMATS / "bibtex" / "bbt-biblatex-bulk-export.bib").read_text().splitlines(True)[:200]
    if not line.startswith("@")
)


def test_a_file_that_only_starts_like_a_profile_dump_is_rejected_whole(tmp_path):
    f = tmp_path / "export.txt"
    f.write_text(NOT_A_PROFILE)
    db = tmp_path / "papers.db"
    report = run_import(db, [f])
    [result] = report.files
    assert (result.status, result.records) == ("rejected", 0)
    assert "most of its title/authors/abstract triplets do not parse" in result.error
    assert query(db, "SELECT line, raw FROM rejects") == [(None, NOT_A_PROFILE)]
    assert query(db, "SELECT count(*) FROM papers") == [(0,)]
    assert query(db, "SELECT count(*) FROM authors") == [(0,)]


@pytest.mark.parametrize(
    "source, name, fmt",
    [
        ("bibtex/google-scholar-export.bib", "scholar.txt", "bibtex"),
        ("ris/embase-export.ris", "embase.bib", "ris"),
        ("csl-json/zotero-csl-export.json", "items.data", "csl-json"),
        ("openalex/openalex-snapshot-works-2021.jsonl", "works.json", "openalex"),
        ("pubmed/pubmed-efetch-5.xml", "efetch", "pubmed"),
    ],
)
def test_the_content_decides_the_format_not_the_name(tmp_path, source, name, fmt):
    f = tmp_path / name
    f.write_bytes((FORMATS / source).read_bytes())
    assert extract(f)[0] == fmt


def test_a_name_that_promises_a_format_the_content_lacks_is_said_in_the_reason():
    with pytest.raises(FileRejected, match=r"the name ends in \.bib but the content is not BibTeX"):
        extract("library.bib.gz", gzip.compress(b"just some notes\nnothing bibliographic here\n"))


def test_any_format_is_read_through_gzip(tmp_path):
    f = tmp_path / "zotero.ris.gz"
    f.write_bytes(gzip.compress((FORMATS / "ris" / "zotero-export-baseline.ris").read_bytes()))
    db = tmp_path / "papers.db"
    report = run_import(db, [f])
    assert ([r.format for r in report.files], report.records_loaded) == (["ris"], 100)

"""RIS: real exports (Zotero with CRLF, Embase with a BOM, Ovid with numbered records) read with
the values they hold, and broken or legacy-encoded files read up to what is broken."""

from __future__ import annotations

import pytest

from app.etl.extract import FileRejected, extract
from app.etl.load import run_import
from app.text.normalize import normalize_record
from app.text.records import Record, Reject
from tests.conftest import FIXTURES, query
from tests.imported import imported

RIS = FIXTURES / "formats" / "ris"


def read(name: str) -> list[Record | Reject]:
    fmt, items = extract(RIS / name)
    assert fmt == "ris"
    return list(items)


def test_a_zotero_export_with_crlf_gives_its_100_records_with_authors_in_order():
    assert (RIS / "zotero-export-baseline.ris").read_bytes().startswith(b"TY  - JOUR\r\n")
    items = read("zotero-export-baseline.ris")
    assert len(items) == 100 and all(isinstance(r, Record) for r in items)
    first = items[0]
    assert (first.line, first.title, first.year, first.venue, first.doi, first.url) == (
        1,
        "An open source machine learning framework for efficient and transparent systematic reviews",
        2021,
        "Nature Machine Intelligence",
        "10.1038/s42256-020-00287-7",
        "https://lens.org/106-059-195-106-980",
    )
    assert first.author_pairs[:3] == (("van de Schoot", "Rens"), ("de Bruin", "Jonathan"), ("Schram", "Raoul"))
    assert len(first.author_pairs) == 17 and first.author_pairs[-1] == ("Oberski", "Daniel")
    assert first.abstract.startswith("To help researchers conduct a systematic review or meta-analysis")
    assert next(r for r in items if r.line == 173).author_pairs[0] == ("Sundström", "Christopher")
    assert sum(bool(r.doi) for r in items) == 100


def test_an_embase_export_with_a_bom_reads_a1_t1_y1_jf_and_family_initials_names():
    items = read("embase-export.ris")
    assert len(items) == 6
    first = items[0]
    assert (first.title, first.author_pairs, first.year, first.venue, first.doi) == (
        "Duplication cysts: Diagnosis, management, and the role of endoscopic ultrasound",
        (("Liu", "R."), ("Adler", "D.G.")),
        2014,
        "Endoscopic Ultrasound",
        "10.4103/2303-9027.138783",
    )
    assert first.abstract.startswith("Gastrointestinal tract duplication cysts are rare")


def test_an_ovid_export_skips_its_record_numbers_and_normalises_doi_urls():
    items = read("ovid-psycinfo-export.ris")
    assert [r.line for r in items] == [2, 31, 109, 196, 223, 298]
    first = items[0]
    assert (first.line, first.title, first.year, first.venue) == (
        2,
        "The influence of self-criticism on depression symptoms among ambulatory patients with inflammatory "
        "bowel disease.",
        2019,
        "Clinical Psychology & Psychotherapy",
    )
    assert first.author_pairs[:2] == (("Trindade", "Ines A"), ("Irons", "Chris"))
    assert normalize_record(first).ids == (("doi", "10.1002/cpp.2398"),)  # from http://dx.doi.org/…


GOOD = "TY  - JOUR\nTI  - Good One\nAU  - Müller, Hans\nPY  - 2020\nDO  - 10.1000/good\nER  - \n\n"


def test_a_truncated_file_loads_its_whole_records_and_rejects_the_cut_one(tmp_path):
    f, db, report = imported(tmp_path, "cut.ris", GOOD + "TY  - JOUR\nTI  - Cut Off\nAU  - Doe, J")
    assert report.records_loaded == 1
    assert query(db, "SELECT path, line, raw, reason FROM rejects") == [
        (
            str(f.resolve()),
            8,
            "TY  - JOUR\nTI  - Cut Off\nAU  - Doe, J",
            "RIS record cut off: no `ER  -` line before the next record or the end",
        )
    ]
    assert query(db, "SELECT title FROM papers") == [("Good One",)]


def test_a_record_without_its_end_line_is_rejected_and_the_next_one_loads():
    _, items = extract("x.ris", ("TY  - JOUR\nTI  - No End\n" + GOOD).encode())
    [reject, record] = list(items)
    assert (reject.line, reject.reason) == (1, "RIS record cut off: no `ER  -` line before the next record or the end")
    assert (record.line, record.title, record.author_pairs) == (3, "Good One", (("Müller", "Hans"),))


def test_an_endnote_latin1_export_is_read_as_windows_1252():
    text = "TY  - JOUR\r\nT1  - Caf\xe9 Society\r\nA1  - Mu\xf1oz, Jos\xe9\r\nY1  - 1999/01/01/\r\nER  - \r\n"
    _, items = extract("endnote.ris", text.encode("latin-1"))
    [record] = list(items)
    assert (record.title, record.author_pairs, record.year) == ("Café Society", (("Muñoz", "José"),), 1999)


def test_a_file_of_records_that_never_end_is_not_ris():
    with pytest.raises(FileRejected, match="no RIS record ends"):
        extract("x.ris", b"TY  - JOUR\nTI  - One\nTY  - JOUR\nTI  - Two\n")


def test_the_same_doi_in_ris_and_bibtex_is_one_paper(tmp_path):
    bib = tmp_path / "a.bib"
    bib.write_text(
        "@article{x,\n  title = {An open source machine learning framework for efficient and transparent "
        "systematic reviews},\n  author = {van de Schoot, Rens},\n  doi = {10.1038/S42256-020-00287-7}\n}\n"
    )
    db = tmp_path / "papers.db"
    run_import(db, [bib])
    run_import(db, [RIS / "zotero-export-baseline.ris"])
    # 99, not 100: the export lists one review twice, with its title, authors and two DOIs
    assert query(db, "SELECT count(*) FROM papers") == [(99,)]
    assert query(
        db,
        "SELECT count(*) FROM paper_sources s JOIN paper_ids i ON i.paper_id = s.paper_id "
        "WHERE i.value = '10.1038/s42256-020-00287-7'",
    ) == [(2,)]


def test_a_publisher_download_with_a_header_before_its_records_is_ris():
    text = 'Provider: Elsevier\nDatabase: SciVerse ScienceDirect\nContent: text/plain; charset="UTF-8"\n\n' + GOOD
    fmt, items = extract("download.txt", text.encode())
    [record] = list(items)
    assert (fmt, record.line, record.title, record.doi) == ("ris", 5, "Good One", "10.1000/good")

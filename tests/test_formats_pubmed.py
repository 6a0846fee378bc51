"""PubMed XML: real EFetch and update files read with the values they hold, streamed; a truncated
file keeps the articles before the break; deletions are reported, not applied."""

from __future__ import annotations

import pytest

from app.etl.extract import FileRejected, extract
from app.etl.load import run_import
from app.text.normalize import normalize_record
from app.text.records import Record, Reject
from tests.conftest import FIXTURES, query

PUBMED = FIXTURES / "formats" / "pubmed"


def read(path) -> list[Record | Reject]:
    fmt, items = extract(path)
    assert fmt == "pubmed"
    return list(items)


def test_an_efetch_file_gives_five_articles_with_labelled_abstracts_and_ids():
    items = read(PUBMED / "pubmed-efetch-5.xml")
    assert [r.line for r in items] == [4, 279, 444, 652, 2624] and all(isinstance(r, Record) for r in items)
    first = items[0]
    assert (first.title, first.year, first.venue) == (
        "SENP2 suppresses browning of white adipose tissues by de-conjugating SUMO from C/EBPβ.",
        2022,
        "Cell reports",
    )
    assert first.author_pairs[:3] == (("Lee", "Ji Seon"), ("Chae", "Sehyun"), ("Nan", "Jinyan"))
    assert len(first.author_pairs) == 12
    assert normalize_record(first).ids == (("doi", "10.1016/j.celrep.2022.110408"), ("pmid", "35196497"))
    assert items[2].abstract.startswith("INTRODUCTION: Although clinical use of dexmedetomidine (DEX)")
    assert " OBJECTIVES: The primary objective of this study" in items[2].abstract


def test_a_collective_name_is_an_organisation():
    record = read(PUBMED / "pubmed-efetch-5.xml")[3]
    assert record.author_pairs[-1] == ("GEFOS/GENOMOS consortium and the 23andMe research team", None)
    mentions = normalize_record(record).mentions
    assert [m.is_organization for m in mentions] == [False] * 9 + [True]
    assert normalize_record(record).ids == (("doi", "10.1136/bmj.k3225"), ("pmid", "30158200"), ("pmcid", "PMC6113773"))


def test_inline_markup_in_an_abstract_keeps_its_words():
    [record] = read(PUBMED / "pubmed-efetch-orcid.xml")
    assert (
        record.title
        == "Functional loss of a noncanonical BCOR-PRC1.1 complex accelerates SHH-driven medulloblastoma formation."
    )
    assert "Somatic loss-of-function mutations of the transcriptional corepressor BCOR are recurrent" in record.abstract
    assert len(record.author_pairs) == 27 and record.author_pairs[0] == ("Kutscher", "Lena M")


def test_an_update_file_loads_its_articles_and_reports_its_deletions(tmp_path):
    db = tmp_path / "papers.db"
    report = run_import(db, [PUBMED / "pubmed22n1313-update-slice.xml"])
    assert report.records_loaded == 4
    assert query(db, "SELECT line, reason FROM rejects") == [
        (1179, "PubMed DeleteCitation of 559 PMIDs is not applied: deleting papers is not supported")
    ]
    assert query(db, "SELECT count(*) FROM paper_ids WHERE scheme = 'pmid'") == [(4,)]


def test_a_truncated_file_keeps_the_articles_before_the_break(tmp_path):
    data = (PUBMED / "pubmed-efetch-5.xml").read_bytes()
    third = data.index(b"<PubmedArticle>", data.index(b"<PubmedArticle>", 200) + 10)
    f = tmp_path / "cut.xml"
    f.write_bytes(data[: third + 500])
    items = read(f)
    assert [type(i).__name__ for i in items] == ["Record", "Record", "Reject"]
    reject = items[2]
    assert (reject.file, reject.line) == (str(f), 444)
    assert reject.raw.startswith("\t<PubmedArticle>\n\t\t<MedlineCitation")
    assert reject.reason.startswith("XML cannot be parsed: Premature end of data")


def test_a_latin1_file_is_read_in_its_declared_encoding():
    xml = (
        '<?xml version="1.0" encoding="ISO-8859-1"?>\n<PubmedArticleSet><PubmedArticle><MedlineCitation>'
        "<PMID>1</PMID><Article><ArticleTitle>Caf\xe9 society</ArticleTitle><AuthorList><Author><LastName>"
        "M\xfcller</LastName><ForeName>J\xfcrgen</ForeName></Author></AuthorList></Article></MedlineCitation>"
        "</PubmedArticle></PubmedArticleSet>\n"
    )
    [record] = read_bytes(xml.encode("latin-1"))
    assert (record.title, record.author_pairs, record.ids) == (
        "Café society",
        (("Müller", "Jürgen"),),
        (("pmid", "1"),),
    )


def read_bytes(data: bytes) -> list[Record | Reject]:
    fmt, items = extract("x.xml", data)
    assert fmt == "pubmed"
    return list(items)


def test_entities_are_not_expanded_and_the_dtd_is_not_fetched():
    xml = (
        '<?xml version="1.0"?>\n<!DOCTYPE PubmedArticleSet [<!ENTITY boom "BOOM">]>\n<PubmedArticleSet>'
        "<PubmedArticle><MedlineCitation><PMID>2</PMID><Article><ArticleTitle>A &boom; title</ArticleTitle>"
        "</Article></MedlineCitation></PubmedArticle></PubmedArticleSet>\n"
    )
    [record] = read_bytes(xml.encode())
    assert record.title == "A &boom; title"  # the reference stays as written


def test_xml_that_is_not_pubmed_is_rejected_whole():
    with pytest.raises(FileRejected, match="XML, but not PubMed's PubmedArticleSet"):
        extract("dblp.xml", b'<?xml version="1.0"?>\n<dblp><article><title>T</title></article></dblp>\n')


def test_an_author_identifier_from_orcid_is_kept_on_its_mention():
    [record] = read(PUBMED / "pubmed-efetch-orcid.xml")
    mentions = normalize_record(record).mentions
    assert len(mentions) == 27
    assert [(m.family, m.orcid) for m in mentions if m.orcid] == [
        ("Kutscher", "0000-0002-1130-4582"),
        ("Kool", "0000-0002-6557-5468"),
        ("Kawauchi", "0000-0002-1254-9725"),
    ]

"""CSL-JSON, Crossref works, OpenAlex works and arXiv's snapshot: real files read with the values
they hold, broken ones read up to what is broken, and one paper however many formats name it."""

from __future__ import annotations

import json

import pytest

from app.etl.extract import FileRejected, extract, openalex
from app.etl.load import run_import
from app.query import PaperDB
from app.text.normalize import normalize_record
from app.text.records import Record, Reject
from tests.conftest import FIXTURES, query

FORMATS = FIXTURES / "formats"


def read(path) -> tuple[str, list[Record | Reject]]:
    fmt, items = extract(path)
    return fmt, list(items)


def test_a_zotero_csl_export_gives_17_items_with_string_years():
    fmt, items = read(FORMATS / "csl-json" / "zotero-csl-export.json")
    assert fmt == "csl-json" and len(items) == 17 and all(isinstance(r, Record) for r in items)
    first = items[0]
    assert (first.line, first.year, first.venue, first.doi) == (2, 2015, "PLOS ONE", "10.1371/journal.pone.0134826")
    assert first.title.startswith("Changes in Data Sharing and Data Reuse Practices and Perceptions")
    assert first.author_pairs[:2] == (("Tenopir", "Carol"), ("Dalton", "Elizabeth D."))
    assert first.abstract.startswith("The incorporation of data sharing into the research lifecycle")
    assert sum(bool(r.doi) for r in items) == 14 and sum(bool(r.abstract) for r in items) == 12
    accented = next(r for r in items if r.line == 371)
    assert accented.author_pairs == (("Sanz-Montero", "M. E."), ("Cabestrero", "Ó."), ("Rodríguez-Aranda", "J. P."))


def test_crossref_csl_by_content_negotiation_gives_36_authors_and_pubmed_ids():
    fmt, [item] = read(FORMATS / "csl-json" / "crossref-content-negotiation-csl.json")
    assert fmt == "csl-json"
    assert (item.title, item.year, item.venue) == (
        "Opportunities and obstacles for deep learning in biology and medicine",
        2018,
        "Journal of The Royal Society Interface",
    )
    assert len(item.author_pairs) == 36
    assert (item.author_pairs[0], item.author_pairs[-1]) == (("Ching", "Travers"), ("Greene", "Casey S."))
    assert normalize_record(item).ids == (
        ("doi", "10.1098/rsif.2017.0387"),
        ("pmid", "29618526"),
        ("pmcid", "PMC5938574"),
    )


def test_a_crossref_work_keeps_unicode_names():
    fmt, [work] = read(FORMATS / "crossref" / "crossref-work-nrmp-unicode.json")
    assert fmt == "crossref"
    assert (work.title, work.year, work.venue, work.doi) == (
        "Parallel nuclear magnetic resonance spectroscopy",
        2021,
        "Nature Reviews Methods Primers",
        "10.1038/s43586-021-00024-3",
    )
    assert work.author_pairs[:3] == (("Kupče", "Ēriks"), ("Frydman", "Lucio"), ("Webb", "Andrew G."))


def test_a_crossref_book_without_authors_is_a_paper_without_authors():
    _, [work] = read(FORMATS / "crossref" / "crossref-work-book-no-authors.json")
    assert (work.title, work.author_pairs, work.year, work.doi) == (
        "Long-lived Nuclear Spin Order: Theory and Applications",
        (),
        2020,
        "10.1039/9781788019972",
    )


def test_a_crossref_page_of_works_and_jats_abstracts(tmp_path):
    page = {
        "status": "ok",
        "message-type": "work-list",
        "message": {
            "items": [
                {
                    "DOI": "10.1/a",
                    "title": ["First"],
                    "author": [{"name": "The Consortium"}],
                    "abstract": "<jats:p>An <jats:italic>abstract</jats:italic>.</jats:p>",
                },
                {"DOI": "10.1/b", "title": ["Second"], "author": [{"family": "Doe", "given": "Jane"}]},
            ]
        },
    }
    f = tmp_path / "page.json"
    f.write_text(json.dumps(page, indent=2))
    fmt, [first, second] = read(f)
    assert fmt == "crossref"
    clean = normalize_record(first)
    assert (clean.title, clean.abstract, [(m.family, m.is_organization) for m in clean.mentions]) == (
        "First",
        "An abstract.",
        [("The Consortium", True)],
    )
    assert (second.line, second.doi, second.author_pairs) == (1, "10.1/b", (("Doe", "Jane"),))


def test_an_openalex_work_rebuilds_its_abstract_and_keeps_its_ids():
    fmt, [work] = read(FORMATS / "openalex" / "openalex-work-W2741809807.json")
    assert fmt == "openalex"
    assert work.title == "The state of OA: a large-scale analysis of the prevalence and impact of Open Access articles"
    assert work.author_pairs[:4] == (
        ("Piwowar", "Heather"),
        ("Priem", "Jason"),
        ("Larivière", "Vincent"),
        ("Alperín", "Juan Pablo"),
    )
    assert len(work.author_pairs) == 9 and (work.year, work.venue) == (2018, "PeerJ")
    assert work.abstract.startswith(
        "Despite growing interest in Open Access (OA) to scholarly literature, there is "
        "an unmet need for large-scale, up-to-date, and reproducible studies"
    )
    assert normalize_record(work).ids == (
        ("doi", "10.7717/peerj.4375"),
        ("openalex", "W2741809807"),
        ("pmid", "29456894"),
        ("pmcid", "PMC5815332"),
    )


def test_an_openalex_2021_snapshot_gives_50_works_19_with_abstracts():
    fmt, items = read(FORMATS / "openalex" / "openalex-snapshot-works-2021.jsonl")
    assert fmt == "openalex" and len(items) == 50 and all(isinstance(r, Record) for r in items)
    assert sum(bool(r.abstract) for r in items) == 19 and sum(bool(r.doi) for r in items) == 50
    assert sum(len(r.author_pairs) for r in items) == 104  # two authorships name two people each
    first = items[0]
    assert first.author_pairs == (("Leonard", "Kevin J."), ("Casselman", "Mark"), ("Wiljer", "David"))
    assert first.abstract.startswith("3C have a constant need to manage their own personal healthcare.")


def test_the_arxiv_snapshot_gives_120_papers_with_unicode_names_and_unwrapped_text():
    fmt, items = read(FORMATS / "arxiv" / "arxiv-snapshot-0704-0001-0120.jsonl")
    assert fmt == "arxiv" and len(items) == 120 and all(isinstance(r, Record) for r in items)
    first = items[0]
    assert (first.title, first.arxiv_id, first.year, first.doi, first.venue) == (
        "Calculation of prompt diphoton production cross sections at Tevatron and LHC energies",
        "0704.0001",
        2007,
        "10.1103/PhysRevD.76.013009",
        "Phys.Rev.D76:013009,2007",
    )
    assert first.author_pairs == (("Balázs", "C."), ("Berger", "E. L."), ("Nadolsky", "P. M."), ("Yuan", "C. -P."))
    assert "\n" not in first.abstract and first.abstract.startswith("A fully differential calculation in perturbative")
    assert items[1].abstract.startswith("We describe a new algorithm, the (k,ℓ)-pebble game with colors")  # $(k,\ell)$
    assert ("Evans II", "Neal J.") in items[8].author_pairs  # the suffix in the third slot
    assert sum(bool(r.doi) for r in items) == 61


def test_a_record_listing_two_dois_keeps_both():
    _, items = read(FORMATS / "arxiv" / "arxiv-snapshot-0704-0001-0120.jsonl")
    record = items[32]
    assert record.arxiv_id == "0704.0033"
    assert [v for s, v in normalize_record(record).ids if s == "doi"] == [
        "10.1364/josaa.23.002578",
        "10.1364/josaa.32.002407",
    ]


def test_an_old_style_arxiv_id_loses_only_its_version(tmp_path):
    line = {
        "id": "math/0406594",
        "title": "Old Style",
        "abstract": "An abstract.",
        "versions": [{"version": "v2", "created": "Wed, 30 Jun 2004 10:00:00 GMT"}],
        "authors_parsed": [["Doe", "J.", ""]],
    }
    f = tmp_path / "a.jsonl"
    f.write_text(json.dumps(line) + "\n")
    _, [record] = read(f)
    assert (record.year, normalize_record(record).ids) == (2004, (("arxiv", "math/0406594"),))


def test_an_invalid_json_line_is_rejected_with_its_line_and_the_others_load(tmp_path):
    lines = (FORMATS / "arxiv" / "arxiv-snapshot-0704-0001-0120.jsonl").read_text().splitlines()
    f = tmp_path / "snapshot.jsonl"
    f.write_text("\n".join([lines[0], lines[1][:200], lines[2]]) + "\n")
    db = tmp_path / "papers.db"
    report = run_import(db, [f])
    assert report.records_loaded == 2
    [(path, line, raw, reason)] = query(db, "SELECT path, line, raw, reason FROM rejects")
    assert (path, line, raw) == (str(f.resolve()), 2, lines[1][:200])
    assert reason.startswith("invalid JSON: Unterminated string")


def test_a_truncated_csl_array_loads_the_items_before_the_break(tmp_path):
    text = (FORMATS / "csl-json" / "zotero-csl-export.json").read_text()
    f = tmp_path / "cut.json"
    f.write_text(text[: text.index('"Citing Medicine"') + 40])
    fmt, items = read(f)
    assert fmt == "csl-json"
    assert [type(i).__name__ for i in items] == ["Record", "Reject"]
    assert (items[1].file, items[1].line) == (str(f), 69)  # where the cut item opens
    assert items[1].reason.startswith("invalid JSON: ") and items[1].reason.endswith("the rest of the file is not read")


def test_a_json_array_that_is_not_csl_is_rejected_whole():
    with pytest.raises(FileRejected, match="not CSL-JSON"):
        extract("x.json", b"[}")


def test_a_pretty_printed_json_document_of_another_kind_is_rejected_whole():
    with pytest.raises(FileRejected, match="a JSON document that is no Crossref or OpenAlex work"):
        extract("x.json", b'{\n  "hello": "world"\n}\n')


def test_the_same_paper_from_crossref_csl_openalex_and_bibtex_is_one_paper(tmp_path):
    openalex = tmp_path / "w.json"
    openalex.write_bytes((FORMATS / "openalex" / "openalex-work-W2741809807.json").read_bytes())
    bib = tmp_path / "a.bib"
    bib.write_text(
        "@article{piwowar2018,\n  title = {The State of {OA}},\n  author = {Piwowar, Heather},\n"
        "  doi = {10.7717/PEERJ.4375}\n}\n"
    )
    db = tmp_path / "papers.db"
    for f in (bib, openalex):
        run_import(db, [f])
    assert query(db, "SELECT count(*) FROM papers") == [(1,)]
    assert query(db, "SELECT scheme, value FROM paper_ids ORDER BY scheme") == [
        ("doi", "10.7717/peerj.4375"),
        ("openalex", "W2741809807"),
        ("pmcid", "PMC5815332"),
        ("pmid", "29456894"),
    ]
    with PaperDB(db) as pdb:
        assert {pdb.paper(i).id for i in ("pmid:29456894", "pmcid:PMC5815332", "openalex:W2741809807")} == {
            pdb.paper("doi:10.7717/peerj.4375").id
        }


def test_a_latin1_line_in_json_lines_is_rejected_and_the_others_load():
    lines = (FORMATS / "openalex" / "openalex-snapshot-works-2021.jsonl").read_bytes().splitlines()
    bad = lines[1].replace(b'"title": "', b'"title": "Caf\xe9 ', 1)
    fmt, items = extract("works.jsonl", b"\n".join([lines[0], bad, lines[2]]) + b"\n")
    items = list(items)
    assert fmt == "openalex"
    assert [(type(i).__name__, i.line) for i in items] == [("Record", 1), ("Reject", 2), ("Record", 3)]
    assert items[1].reason == "line is not valid UTF-8" and "Caf\\xe9 " in items[1].raw


def test_a_50_mb_csl_item_is_rejected_and_the_next_item_loads():
    text = json.dumps([{"title": "Huge", "abstract": "word " * (10 * 1024 * 1024)}, {"title": "Next"}], indent=1)
    items = list(extract("huge.json", text.encode())[1])
    assert [(type(i).__name__, i.line) for i in items] == [("Reject", 2), ("Record", 6)]
    assert items[0].reason.startswith("record is 52,428,8") and "over the 1,048,576-byte limit" in items[0].reason
    assert items[1].title == "Next"


def test_a_latin1_csl_file_is_read_as_windows_1252():
    text = '[\n {\n  "title": "Caf\xe9 society",\n  "author": [{"family": "Mu\xf1oz", "given": "Jos\xe9"}]\n }\n]\n'
    fmt, items = extract("latin.json", text.encode("latin-1"))
    [item] = list(items)
    assert (fmt, item.title, item.author_pairs) == ("csl-json", "Café society", (("Muñoz", "José"),))


def test_two_people_in_one_openalex_authorship_become_two_authors():
    _, items = read(FORMATS / "openalex" / "openalex-snapshot-works-2021.jsonl")
    assert items[9].author_pairs == (("Whyte", "Nora B."), ("Duncan", "Susan M."))
    assert items[10].author_pairs == (("Shellian", "Barb"), ("Levinson", "Wendy"))
    assert items[9].author_orcids == (None, None)


@pytest.mark.parametrize("name", ["Johnson and Johnson", "Ministry of Health and Welfare", "Jane Doe"])
def test_an_openalex_name_that_is_not_two_people_stays_whole(name):
    assert openalex._people(name) == [name]


def test_openalex_orcids_are_read_bare_from_their_urls():
    _, [work] = read(FORMATS / "openalex" / "openalex-work-W2741809807.json")
    assert work.author_orcids[0] == "https://orcid.org/0000-0003-1613-5981"
    mentions = normalize_record(work).mentions
    assert [(m.family, m.orcid) for m in mentions[:4]] == [
        ("Piwowar", "0000-0003-1613-5981"),
        ("Priem", "0000-0001-6187-6610"),
        ("Larivière", "0000-0002-2733-0689"),
        ("Alperín", "0000-0002-9344-7439"),
    ]


def test_crossref_and_its_csl_give_each_author_their_orcid_or_none():
    _, [work] = read(FORMATS / "crossref" / "crossref-work-nrmp-unicode.json")
    assert [(m.family, m.orcid) for m in normalize_record(work).mentions if m.orcid] == [
        ("Kupče", "0000-0002-2366-0269"),
        ("Claridge", "0000-0001-5583-6460"),
    ]
    _, [item] = read(FORMATS / "csl-json" / "crossref-content-negotiation-csl.json")
    mentions = normalize_record(item).mentions
    assert (mentions[0].family, mentions[0].orcid) == ("Ching", "0000-0002-5577-3516")
    assert len(mentions) == 36 == len(item.author_orcids)

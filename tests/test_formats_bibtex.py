"""BibTeX and BibLaTeX: real exports (Better BibTeX, JabRef/DBLP, Mendeley, Google Scholar, biber's
examples) read with the values they hold, and broken files read up to what is broken."""

from __future__ import annotations

import gzip
import json

import pytest

from app.etl.extract import FileRejected, extract
from app.etl.load import run_import
from app.text.normalize import normalize_record
from app.text.records import Record, Reject
from tests.conftest import FIXTURES, query
from tests.imported import imported

BIB = FIXTURES / "formats" / "bibtex"


def read(name: str) -> tuple[str, list[Record | Reject]]:
    fmt, items = extract(BIB / name)
    return fmt, list(items)


def at(items, line: int) -> Record:
    return next(r for r in items if r.line == line)


def test_the_better_bibtex_export_is_bibtex_not_a_profile_dump(tmp_path):
    db = tmp_path / "papers.db"
    report = run_import(db, [BIB / "bbt-biblatex-bulk-export.bib"])
    [result] = report.files
    assert (result.format, result.records, result.rejects) == ("bibtex", 1241, [])
    assert query(db, "SELECT count(*) FROM papers") == [(1238,)]  # 3 entries repeat a title and its authors
    assert query(db, "SELECT count(*) FROM papers WHERE title LIKE '%date-modified%' OR title LIKE '%= {%'") == [(0,)]
    assert query(db, "SELECT count(*) FROM paper_ids WHERE scheme = 'doi'") == [(88,)]


def test_a_biblatex_entry_gives_title_author_date_journaltitle_doi_and_url():
    fmt, items = read("bbt-biblatex-bulk-export.bib")
    record = at(items, 2)
    assert fmt == "bibtex"
    assert (record.title, record.author_pairs, record.year, record.venue, record.doi, record.url) == (
        "Between the City and the Rural: Negotiating Place and Identity in a Danish Suburban Housing Area",
        (("Oldrup", "Helene"),),
        2009,
        "Housing, Theory and Society",
        "10.1080/14036090802476622",
        "http://dx.doi.org/10.1080/14036090802476622",
    )
    assert record.raw.startswith("@article{Oldrup2009CityRural,\n  author = {Oldrup, Helene},")


def test_corporate_authors_in_braces_are_organisations(tmp_path):
    _, items = read("bbt-biblatex-bulk-export.bib")
    record = at(items, 70)
    assert record.title == "USSERØD Å – KONSEKVENSVURDERING AF UDDYBNING"
    assert record.author_pairs == (("Fredensborg Kommune", None), ("NIRAS A/S", None))
    assert [(m.family, m.is_organization) for m in normalize_record(record).mentions] == [
        ("Fredensborg Kommune", True),
        ("NIRAS A/S", True),
    ]


def test_latex_accents_and_dblp_math_become_unicode():
    _, items = read("jabref-dblp-library.bib")
    assert len(items) == 212 and all(isinstance(r, Record) for r in items)
    assert at(items, 18).author_pairs == (("Gustafsson", "Oscar"), ("Johansson", "Håkan"))  # H{\aa}kan
    assert at(items, 3).title == "CORDIC II: A New Improved CORDIC Algorithm"  # {CORDIC} {II:} protected
    assert at(items, 232).title == "Pipelined Radix-2^k Feedforward FFT Architectures"  # 2\({}^{\mbox{k}}\)
    assert at(items, 232).author_pairs[1:3] == (("Grajal", "Jesús"), ("Marcos", "Miguel A. Sánchez"))


def test_and_others_is_a_truncated_list_never_an_author_named_others(tmp_path):
    _, items = read("jabref-dblp-library.bib")
    record = at(items, 2850)
    assert record.authors_truncated
    assert record.author_pairs[-2:] == (("Slagstad", "Dag"), ("Reitan", "KIR"))
    db = tmp_path / "papers.db"
    run_import(db, [BIB / "jabref-dblp-library.bib"])
    assert query(db, "SELECT count(*) FROM authors WHERE name LIKE '%others%'") == [(0,)]
    [(stored,)] = query(
        db,
        "SELECT s.record FROM paper_sources s JOIN papers p ON p.id = s.paper_id "
        "WHERE p.title LIKE 'Modelling the cultivation and bioremediation potential%'",
    )
    assert json.loads(stored)["authors_truncated"] is True
    assert len(json.loads(stored)["authors"]) == 10


def test_string_macros_and_crossref_are_resolved():
    _, items = read("biber-examples-strings.bib")
    assert at(items, 140).venue == "J. Chem. Phys."  # journaltitle = jchph, an @STRING
    child = at(items, 11)  # westfahl:space, crossref = westfahl:frontier
    assert (child.title, child.author_pairs, child.venue, child.year) == (
        "The True Frontier: Confronting and Avoiding the Realities of Space in American Science Fiction Films",
        (("Westfahl", "Gary"),),
        "Space and Beyond",
        2000,
    )


def test_eprint_with_eprinttype_arxiv_is_an_arxiv_id_without_version():
    _, items = read("biber-examples-strings.bib")
    record = at(items, 94)
    assert (record.title, record.arxiv_id) == ("Higher-Dimensional Algebra V: 2-Groups", "math/0307200v3")
    assert ("arxiv", "math/0307200") in normalize_record(record).ids


@pytest.mark.parametrize(
    "journal, arxiv_id",
    [
        ("arXiv:1501.04916 [physics]", "1501.04916"),
        ("arXiv preprint arXiv:hep-th/9901001v2", "hep-th/9901001"),
        ("Journal of Physics", None),
    ],
)
def test_an_arxiv_id_in_the_journal_field_is_read_whole(tmp_path, journal, arxiv_id):
    f = tmp_path / "one.bib"
    f.write_text(f"@article{{k,\n  title = {{A Title}},\n  author = {{Doe, Jane}},\n  journal = {{{journal}}}\n}}\n")
    _, [record] = extract(f)
    assert record.arxiv_id == arxiv_id


def test_google_scholar_names_keep_their_suffix_and_order():
    _, items = read("google-scholar-export.bib")
    assert len(items) == 13
    assert at(items, 1).author_pairs == (
        ("Cooper", "Chris"),
        ("Booth", "Andrew"),
        ("Varley-Campbell", "Jo"),
        ("Britten", "Nicky"),
        ("Garside", "Ruth"),
    )
    assert at(items, 12).author_pairs[0] == ("Faggion Jr", "Clovis Mariano")
    assert at(items, 1).venue == "BMC medical research methodology"


def test_mendeley_entries_with_repeated_or_empty_keys_are_read_too():
    _, items = read("mendeley-export.bib")
    assert len(items) == 512 and all(isinstance(r, Record) for r in items)
    record = at(items, 525)  # `@article{,` — the second entry without a key
    assert (record.title, record.author_pairs) == (
        "The blog effect: The distressed anticipation response",
        (("Bareket-Bojmel", "Liad"),),
    )
    assert at(items, 560).author_pairs == (("Solórzano", "Daniel G"), ("Yosso", "Tara J"))


GOOD = '@article{good,\n  title = {Good One},\n  author = {M{\\"u}ller, Hans and {{OpenAI}}},\n  year = 2021\n}\n\n'


def test_a_truncated_file_loads_its_whole_entries_and_rejects_the_cut_one(tmp_path):
    f, db, report = imported(tmp_path, "cut.bib", GOOD + "@article{cut,\n  title = {Cut Off Here")
    assert report.records_loaded == 1
    assert query(db, "SELECT path, line, reason FROM rejects") == [
        (str(f.resolve()), 7, "BibTeX entry cannot be parsed: Unexpectedly reached end of file")
    ]
    assert query(db, "SELECT title FROM papers") == [("Good One",)]
    assert query(
        db,
        "SELECT a.name, a.is_organization FROM authors a JOIN authorships s ON s.author_id = a.id ORDER BY s.position",
    ) == [("Hans Müller", 0), ("OpenAI", 1)]


def test_unbalanced_braces_reject_their_entry_and_the_next_ones_load():
    text = "@article{broken,\n  title = {Unbalanced {brace},\n  author = {Doe, Jane}\n}\n\n" + GOOD
    fmt, items = extract("broken.bib", text.encode())
    assert fmt == "bibtex"
    [reject, record] = list(items)
    assert (reject.file, reject.line, reject.raw.splitlines()[0]) == ("broken.bib", 1, "@article{broken,")
    assert reject.reason.startswith("BibTeX entry cannot be parsed: Unexpected block start: `@article`")
    assert (record.line, record.title) == (6, "Good One")


def test_a_latin1_bib_file_is_read_as_windows_1252():
    text = "@article{x,\n  title = {Caf\xe9 Society},\n  author = {Mu\xf1oz, Jos\xe9}\n}\n"
    _, items = extract("legacy.bib", text.encode("latin-1"))
    [record] = list(items)
    assert (record.title, record.author_pairs) == ("Café Society", (("Muñoz", "José"),))


def test_a_gzipped_bib_file_is_read_like_the_plain_one(tmp_path):
    f = tmp_path / "scholar.bib.gz"
    f.write_bytes(gzip.compress((BIB / "google-scholar-export.bib").read_bytes()))
    fmt, items = extract(f)
    assert fmt == "bibtex"
    assert [r.title for r in items] == [r.title for r in read("google-scholar-export.bib")[1]]


def test_a_damaged_gzip_file_is_rejected_whole(tmp_path):
    data = gzip.compress((BIB / "google-scholar-export.bib").read_bytes())
    with pytest.raises(FileRejected, match="gzip file cannot be decompressed"):
        extract("cut.bib.gz", data[: len(data) // 2])


def test_a_file_whose_entries_mostly_fail_is_not_bibtex():
    text = "@article{a,\n title = {One}\n}\n" + "@article{b,\n title = {Two\n" * 3
    with pytest.raises(FileRejected, match="not BibTeX as a whole"):
        extract("x.bib", text.encode())


def test_the_same_doi_in_a_bib_file_and_in_json_lines_is_one_paper(tmp_path):
    bib = tmp_path / "a.bib"
    bib.write_text(
        "@article{x,\n  title = {Between the City and the Rural},\n  author = {Oldrup, Helene},\n"
        "  doi = {https://doi.org/10.1080/14036090802476622}\n}\n"
    )
    jsonl = tmp_path / "b.jsonl"
    jsonl.write_text(
        json.dumps(
            {
                "title": "Between the city and the rural: negotiating place",
                "doi": "10.1080/14036090802476622",
                "authors": ["Oldrup, H."],
            }
        )
        + "\n"
    )
    db = tmp_path / "papers.db"
    run_import(db, [bib])
    run_import(db, [jsonl])
    assert query(db, "SELECT count(*) FROM papers") == [(1,)]
    assert query(db, "SELECT scheme, value FROM paper_ids") == [("doi", "10.1080/14036090802476622")]


def test_a_file_of_one_broken_entry_is_rejected_whole_saying_where():
    with pytest.raises(FileRejected, match=r"^no BibTeX entry parses \(line 1: Unexpectedly reached end of file\)$"):
        extract("x.bib", b"@article{a,\n title = {Cut")


def test_an_entry_over_the_record_limit_is_rejected_cut_and_the_next_loads():
    abstract = 'w{\\"o}rd and more\n' * (2 * 1024 * 1024 // 18)  # 2 MB of LaTeX: minutes to convert
    text = "@article{huge,\n  title = {Huge},\n  abstract = {" + abstract + "}\n}\n" + GOOD
    items = list(extract("huge.bib", text.encode())[1])
    assert [(type(i).__name__, i.line) for i in items] == [("Reject", 1), ("Record", abstract.count("\n") + 5)]
    assert items[0].reason == (
        "record is 2,097,194 bytes, over the 1,048,576-byte limit for one record "
        "(raw text cut to its first 65,536 characters)"
    )
    assert len(items[0].raw) == 65536 and items[0].raw.startswith("@article{huge,")


def test_text_before_the_first_entry_is_a_comment():
    text = "This file was created with JabRef 2.10.\nEncoding: UTF8\n\n" + GOOD
    fmt, items = extract("old-jabref.bib", text.encode())
    [record] = list(items)
    assert (fmt, record.line, record.title) == ("bibtex", 4, "Good One")

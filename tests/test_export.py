"""Export: each format's text for known papers, citation keys, and the round trip — an exported
file imported into an empty database gives the same papers, authors in order and ids."""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from click.testing import CliRunner

from app.cli import main
from app.etl.extract import extract
from app.etl.load import run_import
from app.export import FORMATS, ExportPaper, Person, base_key, citation_keys, export, latex_text, read_papers, write
from app.text.latex import to_text
from tests.conftest import FIXTURES

FORMATS_DIR = FIXTURES / "formats"
EXTENSIONS = {"bibtex": "bib", "biblatex": "bib", "csl-json": "json", "ris": "ris", "jsonl": "jsonl"}
# Real exports with accents (`H{\aa}kan`), `and others`, PubMed's collective names and arXiv ids.
ROUND_TRIP_FILES = [
    FORMATS_DIR / "bibtex" / "jabref-dblp-library.bib",
    FORMATS_DIR / "pubmed" / "pubmed-efetch-5.xml",
    FORMATS_DIR / "pubmed" / "pubmed-efetch-orcid.xml",
    FORMATS_DIR / "arxiv" / "arxiv-snapshot-0704-0001-0120.jsonl",
]
# What each format carries back through paperdb's readers: identifier schemes (one value each),
# and whether it marks a list cut short (`and others`).
CARRIED_IDS = {
    "bibtex": {"doi", "arxiv", "pmid", "pmcid", "openalex"},
    "biblatex": {"doi", "arxiv", "pmid", "pmcid", "openalex"},
    "csl-json": {"doi", "pmid", "pmcid"},
    "ris": {"doi"},
}
CARRIES_TRUNCATION = {"bibtex", "biblatex", "jsonl"}
# Formats with a place for an author's ORCID.
CARRIES_ORCID = {"csl-json", "jsonl"}


def all_papers(db: Path) -> list[ExportPaper]:
    with closing(sqlite3.connect(db)) as conn:
        return read_papers(conn, [r[0] for r in conn.execute("SELECT id FROM papers ORDER BY id")])


def exported(db: Path, fmt: str, paper_ids=None) -> str:
    with closing(sqlite3.connect(db)) as conn:
        ids = paper_ids or [r[0] for r in conn.execute("SELECT id FROM papers ORDER BY id")]
        return export(conn, fmt, ids)


def round_trip(db: Path, fmt: str, tmp_path: Path) -> Path:
    """The database `db` exported in `fmt` and imported into an empty one."""
    out = tmp_path / f"export.{EXTENSIONS[fmt]}"
    out.write_text(exported(db, fmt), encoding="utf-8")
    again = tmp_path / f"{fmt}.db"
    report = run_import(again, [out])
    assert report.status == "ok", report.as_dict()
    return again


def by_title(papers: list[ExportPaper]) -> dict[str, ExportPaper]:
    """Papers keyed by title (by abstract when untitled), without their database ids."""
    return {p.title or p.abstract: dataclasses.replace(p, id=0) for p in papers}


def as_carried(paper: ExportPaper, fmt: str) -> ExportPaper:
    """The paper as far as `fmt` carries it: the first id of each scheme it has a field for."""
    if fmt == "jsonl":  # paperdb's own format carries every identifier
        return dataclasses.replace(paper, authors_truncated=paper.authors_truncated)
    firsts = dict(reversed([i for i in paper.ids if i[0] in CARRIED_IDS[fmt]]))
    return dataclasses.replace(
        paper,
        ids=tuple(sorted(firsts.items())),
        authors_truncated=paper.authors_truncated and fmt in CARRIES_TRUNCATION,
        authors=paper.authors
        if fmt in CARRIES_ORCID
        else tuple(dataclasses.replace(p, orcid=None) for p in paper.authors),
    )


# --- each format's text -------------------------------------------------------------------

PAPER = ExportPaper(
    id=7,
    title="Łukasz's GPT-4 study of 50% of $x^2$ -- a_b",
    year=2023,
    venue="Proceedings of the ACL Workshop",
    url="https://example.org/p?a=1&b=2",
    abstract="We test Mély's idea.",
    authors=(
        Person("Mély", "David", False, "0000-0002-1825-0097"),
        Person("OpenAI", None, True),
        Person("van der Berg", "Jan", False),
    ),
    authors_truncated=True,
    ids=(("arxiv", "2305.20050"), ("doi", "10.1/x_y"), ("pmid", "123")),
)


def test_a_paper_as_bibtex_escapes_latex_and_writes_organisations_in_braces_and_and_others():
    assert "".join(write("bibtex", [PAPER])) == (
        "@inproceedings{mely2023lukaszs,\n"
        "  author = {M{\\'e}ly, David and {OpenAI} and van der Berg, Jan and others},\n"
        "  title = {{\\L}ukasz's {GPT-4} study of 50\\% of \\$x^2\\$ -{}- a\\_b},\n"
        "  booktitle = {Proceedings of the ACL Workshop},\n"
        "  year = {2023},\n"
        "  doi = {10.1/x_y},\n"
        "  eprint = {2305.20050},\n"
        "  archivePrefix = {arXiv},\n"
        "  url = {https://example.org/p?a=1&b=2},\n"
        "  pmid = {123},\n"
        "  abstract = {We test M{\\'e}ly's idea.},\n"
        "}\n"
    )


def test_a_paper_as_biblatex_keeps_utf8_and_writes_eprinttype_and_date():
    assert "".join(write("biblatex", [PAPER])) == (
        "@inproceedings{mely2023lukaszs,\n"
        "  author = {Mély, David and {OpenAI} and van der Berg, Jan and others},\n"
        "  title = {Łukasz's {GPT-4} study of 50\\% of \\$x^2\\$ -{}- a\\_b},\n"
        "  booktitle = {Proceedings of the ACL Workshop},\n"
        "  date = {2023},\n"
        "  doi = {10.1/x_y},\n"
        "  eprint = {2305.20050},\n"
        "  eprinttype = {arxiv},\n"
        "  url = {https://example.org/p?a=1&b=2},\n"
        "  pmid = {123},\n"
        "  abstract = {We test Mély's idea.},\n"
        "}\n"
    )


def test_a_paper_as_csl_json_has_literal_organisations_and_date_parts():
    assert json.loads("".join(write("csl-json", [PAPER]))) == [
        {
            "id": "mely2023lukaszs",
            "type": "paper-conference",
            "title": PAPER.title,
            "author": [
                {"family": "Mély", "given": "David", "ORCID": "https://orcid.org/0000-0002-1825-0097"},
                {"literal": "OpenAI"},
                {"family": "van der Berg", "given": "Jan"},
            ],
            "issued": {"date-parts": [[2023]]},
            "container-title": "Proceedings of the ACL Workshop",
            "DOI": "10.1/x_y",
            "number": "arXiv:2305.20050",
            "URL": "https://example.org/p?a=1&b=2",
            "PMID": "123",
            "abstract": "We test Mély's idea.",
        }
    ]


def test_a_paper_as_ris_and_as_json_lines():
    assert "".join(write("ris", [PAPER])) == (
        "TY  - CONF\nAU  - Mély, David\nAU  - OpenAI\nAU  - van der Berg, Jan\nTI  - " + PAPER.title + "\n"
        "T2  - Proceedings of the ACL Workshop\nPY  - 2023\nDO  - 10.1/x_y\nUR  - https://example.org/p?a=1&b=2\n"
        "AB  - We test Mély's idea.\nER  - \n"
    )
    assert [json.loads(line) for line in write("jsonl", [PAPER])] == [
        {
            "title": PAPER.title,
            "authors": [
                {"family": "Mély", "given": "David", "orcid": "0000-0002-1825-0097"},
                {"family": "OpenAI", "given": None, "organization": True},
                {"family": "van der Berg", "given": "Jan"},
            ],
            "authors_truncated": True,
            "abstract": "We test Mély's idea.",
            "year": 2023,
            "venue": "Proceedings of the ACL Workshop",
            "doi": "10.1/x_y",
            "arxiv_id": "2305.20050",
            "url": "https://example.org/p?a=1&b=2",
            "ids": [["pmid", "123"]],
        }
    ]


def test_a_sample_paper_as_bibtex(samples_db):
    [(paper_id,)] = (
        sqlite3.connect(samples_db)
        .execute("SELECT id FROM papers WHERE title = 'Batch size-invariance for policy optimization'")
        .fetchall()
    )
    text = exported(samples_db, "bibtex", [paper_id])
    assert text.startswith(
        "@misc{hiltonbatch,\n"
        "  author = {Hilton, Jacob and Cobbe, Karl and Schulman, John},\n"
        "  title = {Batch size-invariance for policy optimization},\n"
        "  abstract = {We say an algorithm is batch size-invariant if changes to the batch size can largely be "
        "compensated for by changes to other hyperparameters."
    )
    assert text.endswith("make more efficient use of stale data.},\n}\n")


def test_braces_in_a_url_are_percent_encoded_so_the_entry_still_parses():
    odd = dataclasses.replace(PAPER, url="https://example.org/{a}b")
    assert "  url = {https://example.org/%7Ba%7Db},\n" in "".join(write("bibtex", [odd]))


def test_latex_escapes_read_back_as_the_same_text():
    tricky = [
        "João Mély Łukasz Håkan ø ß",
        "50% & $x^2$ a_b #1 {x} \\ ~ ^",
        "A ''Recipe'' -- x --- ``q''",
        "(√(5)) α-contexts LAR‐ 中文 ไทย",
        "Jo\u0303ao",
    ]
    assert [to_text(latex_text(t, ascii_only=True)) for t in tricky] == [*tricky[:4], "Jõao"]
    assert latex_text("João Mély Łukasz", ascii_only=True) == "Jo{\\~a}o M{\\'e}ly {\\L}ukasz"
    assert latex_text("João 50%", ascii_only=False) == "João 50\\%"


def test_untitled_papers_are_left_out_of_the_citation_formats_and_kept_in_json_lines(samples_db):
    assert exported(samples_db, "bibtex").count("\n@") + 1 == 10
    assert len(exported(samples_db, "jsonl").splitlines()) == 16


# --- citation keys ------------------------------------------------------------------------


def paper(pid: int, title: str | None, family: str | None = "Smith", year: int | None = 2020) -> ExportPaper:
    authors = (Person(family, "Ann", False),) if family else ()
    return ExportPaper(pid, title, year, None, None, None, authors, False, ())


def test_keys_are_family_year_and_first_significant_title_word_in_ascii():
    assert base_key(paper(1, "The Łódź Treebank", "Ó Séaghdha")) == "oseaghdha2020lodz"
    assert base_key(paper(1, "A Survey of Tools", "Gontijo-Lopes", None)) == "gontijolopessurvey"
    assert base_key(paper(1, "Let's Verify Step by Step", None)) == "anon2020lets"
    assert base_key(paper(1, "Of the", "Ng")) == "ng2020of"


def test_repeated_keys_get_a_b_in_title_order_whatever_the_order_given():
    papers = [paper(3, "Zebra Models"), paper(1, "Zebra Data"), paper(2, "Zebra Data"), paper(4, "Other")]
    expected = {1: "smith2020zebra", 2: "smith2020zebraa", 3: "smith2020zebrab", 4: "smith2020other"}
    assert citation_keys(papers) == expected
    assert citation_keys(reversed(papers)) == expected
    many = citation_keys([paper(i, "Zebra") for i in range(1, 30)])
    assert [many[i] for i in (1, 2, 27, 28, 29)] == [
        "smith2020zebra",
        "smith2020zebraa",
        "smith2020zebraz",
        "smith2020zebraaa",
        "smith2020zebraab",
    ]


# --- round trip ---------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_sample_database_round_trips(samples_db, tmp_path, fmt):
    before = by_title(all_papers(samples_db))
    after = by_title(all_papers(round_trip(samples_db, fmt, tmp_path)))
    if fmt != "jsonl":  # the six papers known only from an abstract are no reference to cite
        before = {k: p for k, p in before.items() if p.title}
    assert after == before
    card = after["GPT-4o System Card"]
    assert (len(card.authors), card.authors[0], card.authors[105]) == (
        417,
        Person("OpenAI", None, True),
        Person("Mely", "David", False),
    )


@pytest.fixture(scope="module")
def round_trip_db(tmp_path_factory) -> Path:
    """The real exports the round trips read (not conftest's `formats_db`, which has every fixture)."""
    db = tmp_path_factory.mktemp("round-trip") / "papers.db"
    assert run_import(db, ROUND_TRIP_FILES).status == "ok"
    return db


# Papers with two DOIs (a format has one DOI field, so the second does not come back); two are
# arXiv records whose `doi` field lists both, space-separated.
TWO_DOIS = {
    "Arithmetic",
    "Maintaining Data Dependencies across BPEL Process Fragments",
    "The discrete dipole approximation: an overview and recent developments",
    "Convergence of the discrete dipole approximation. I. Theoretical analysis",
}


@pytest.mark.parametrize("fmt", FORMATS)
def test_real_exports_round_trip_with_accents_organisations_and_truncated_lists(round_trip_db, tmp_path, fmt):
    before = by_title(all_papers(round_trip_db))
    after = by_title(all_papers(round_trip(round_trip_db, fmt, tmp_path)))
    assert len(before) == len(after) == 336
    differ = {title for title, p in before.items() if as_carried(p, fmt) != after[title]}
    assert differ == set()
    assert {t for t, p in before.items() if [s for s, _ in p.ids].count("doi") > 1} == TWO_DOIS
    kelp = after[
        "Modelling the cultivation and bioremediation potential of the kelp Saccharina latissima in close "
        "proximity to an exposed salmon farm in Norway"
    ]
    assert (kelp.authors[6], kelp.authors_truncated) == (
        Person("Handå", "Aleksander", False),
        fmt in CARRIES_TRUNCATION,
    )
    fracture = after[
        "Assessment of the genetic and clinical determinants of fracture risk: genome wide association "
        "and mendelian randomisation study."
    ]
    assert fracture.authors[-1] == Person("GEFOS/GENOMOS consortium and the 23andMe research team", None, True)
    medulloblastoma = after[
        "Functional loss of a noncanonical BCOR-PRC1.1 complex accelerates SHH-driven medulloblastoma formation."
    ]
    orcids = [(p.family, p.orcid) for p in medulloblastoma.authors if p.orcid]
    assert orcids == (
        [("Kutscher", "0000-0002-1130-4582"), ("Kool", "0000-0002-6557-5468"), ("Kawauchi", "0000-0002-1254-9725")]
        if fmt in CARRIES_ORCID
        else []
    )


def test_real_bibtex_entries_with_accents_and_and_others(round_trip_db):
    text = exported(round_trip_db, "bibtex")
    assert (
        "@article{broch2013modelling,\n  author = {Broch, Ole Jacob and Ellingsen, Ingrid Helene and Forbord, "
        "Silje and Wang, Xinxin and Volent, Zsolt and Alver, Morten Omholt and Hand{\\r{a}}, Aleksander and "
        "Andresen, Kjersti and Slagstad, Dag and Reitan, KIR and others},\n"
    ) in text
    assert (
        "@article{thebabarcollaboration2007measurement,\n"
        "  author = {{The BABAR Collaboration} and Aubert, B.},\n"
        "  title = {Measurement of the Hadronic Form Factor in D0 -{}-> K- e+ nue Decays},\n"
        "  journal = {Phys.Rev.D76:052005,2007},\n"
        "  year = {2007},\n"
        "  doi = {10.1103/physrevd.76.052005},\n"
        "  eprint = {0704.0020},\n"
        "  archivePrefix = {arXiv},\n"
        "  url = {https://arxiv.org/abs/0704.0020},\n"
    ) in text


def test_braced_organisations_round_trip_in_bibtex_csl_json_and_json_lines_but_not_in_ris(tmp_path):
    # Better BibTeX's `{Fredensborg Kommune} and {NIRAS A/S}`: only the braces say they are organisations.
    _, items = extract(FORMATS_DIR / "bibtex" / "bbt-biblatex-bulk-export.bib")
    entry = next(r for r in items if r.line == 70)
    source = tmp_path / "one.bib"
    source.write_text(entry.raw, encoding="utf-8")
    db = tmp_path / "one.db"
    run_import(db, [source])
    assert "author = {{Fredensborg Kommune} and {NIRAS A/S}}" in exported(db, "bibtex")
    organisations = (Person("Fredensborg Kommune", None, True), Person("NIRAS A/S", None, True))
    for fmt in FORMATS:
        (tmp_path / fmt).mkdir()
        [again] = all_papers(round_trip(db, fmt, tmp_path / fmt))
        expected = (
            organisations
            if fmt in ("bibtex", "biblatex", "csl-json", "jsonl")
            else tuple(dataclasses.replace(p, is_organization=False) for p in organisations)
        )
        assert (fmt, again.authors) == (fmt, expected)


# --- the command --------------------------------------------------------------------------


def run(db: Path, *args: str):
    return CliRunner().invoke(main, ["--db", str(db), "export", *args])


def keys_of(bibtex: str) -> list[str]:
    return [line.split("{", 1)[1].rstrip(",") for line in bibtex.splitlines() if line.startswith("@")]


def test_export_selects_by_author_search_and_years(samples_db, round_trip_db):
    assert keys_of(run(samples_db, "--author", "Karl Cobbe").output) == ["lightmanlets", "nakanowebgpt", "hiltonbatch"]
    assert keys_of(run(samples_db, "--search", "verify").output) == ["lightmanlets"]
    result = run(round_trip_db, "--search", "dipole", "--year-from", "2007", "--year-to", "2007")
    assert keys_of(result.output) == [
        "yurkin2007convergence",
        "yurkin2007convergencea",
        "yurkin2007discrete",
        "yurkin2007discretea",
        "yanzhang2007coincidence",
    ]
    assert keys_of(run(round_trip_db, "--year-to", "1990").output) == [
        "kirk1989upwelling",
        "alexandru1978histochemical",
    ]


def test_export_selects_by_ids_in_a_file_and_writes_to_a_file(round_trip_db, tmp_path):
    ids = tmp_path / "ids.txt"
    ids.write_text("doi:10.1103/physrevd.76.052005\n\narxiv:0704.0038v2\npmid:30158200\n", encoding="utf-8")
    out = tmp_path / "out.ris"
    result = run(round_trip_db, "--ids", str(ids), "--format", "ris", "-o", str(out))
    assert (result.exit_code, result.output) == (0, f"{out}: 3 papers\n")
    titles = [line[6:] for line in out.read_text(encoding="utf-8").splitlines() if line.startswith("TI  - ")]
    assert titles == [
        "Assessment of the genetic and clinical determinants of fracture risk: genome wide association "
        "and mendelian randomisation study.",  # in the order of the papers' ids
        "Measurement of the Hadronic Form Factor in D0 --> K- e+ nue Decays",
        "The discrete dipole approximation: an overview and recent developments",
    ]
    assert not (tmp_path / "out.ris.partial").exists()


def test_export_exits_1_when_nothing_is_selected_and_2_for_an_unknown_id(samples_db, tmp_path):
    nothing = run(samples_db, "--search", "verify", "--year-from", "2030")
    assert (nothing.exit_code, nothing.output) == (1, "no papers selected\n")
    ids = tmp_path / "ids.txt"
    ids.write_text("2\ndoi:10.9/none\n", encoding="utf-8")
    unknown = run(samples_db, "--ids", str(ids))
    assert (unknown.exit_code, unknown.output) == (2, "Error: no paper has the id 'doi:10.9/none' (line 2)\n")
    ids.write_text("4\n", encoding="utf-8")  # a paper known only from an abstract
    untitled = run(samples_db, "--ids", str(ids))
    assert (untitled.exit_code, untitled.output) == (1, "no papers selected (with a title)\n")
    assert run(samples_db, "--ids", str(ids), "--format", "jsonl").exit_code == 0
    missing = CliRunner().invoke(main, ["--db", str(tmp_path / "none.db"), "export"])
    assert missing.exit_code == 2 and missing.output.startswith("Error: ") and len(missing.output.splitlines()) == 1


def test_export_to_a_file_in_a_missing_folder_is_one_line_and_leaves_nothing(samples_db, tmp_path):
    out = tmp_path / "missing" / "out.bib"
    result = run(samples_db, "-o", str(out))
    assert (result.exit_code, result.output) == (2, f"Error: [Errno 2] No such file or directory: '{out}'\n")
    assert list(tmp_path.iterdir()) == []


def test_export_help_has_an_example():
    assert "Example:" in CliRunner().invoke(main, ["export", "--help"]).output

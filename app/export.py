"""Writers: papers as BibTeX, BibLaTeX, CSL-JSON, RIS and JSON Lines.

What a writer puts out, paperdb's own readers (`app.etl.extract`) read back: an exported
file imported into an empty database gives the same papers, authors in order and ids, as
far as the format carries them (README, Export). Papers are read from the database with
`read_papers` and written by plain functions over `ExportPaper` values.
"""

from __future__ import annotations

import json
import re
import sqlite3
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

from pylatexenc.latexencode import UnicodeToLatexEncoder
from rispy import RisWriter

from app.text.latex import to_text
from app.text.names import SPECIAL_LETTERS

# Papers read at a time: a whole database is written without holding it in memory.
BATCH = 1000
# Words a citation key skips in a title (as Better BibTeX does): `A Survey of…` is `survey`.
STOP_WORDS = frozenset(
    {
        "a",
        "an",
        "the",
        "some",
        "from",
        "on",
        "in",
        "to",
        "of",
        "do",
        "with",
        "and",
        "for",
        "at",
        "by",
        "der",
        "die",
        "das",
        "ein",
        "eine",
        "un",
        "une",
        "la",
        "le",
        "les",
        "el",
        "las",
        "los",
        "de",
        "des",
        "del",
    }
)
# A venue that names a conference is a `booktitle` (BibTeX), `paper-conference` (CSL), `CONF` (RIS).
PROCEEDINGS = re.compile(r"\b(?:proceedings|proc\.|conference|workshop|symposium|congress)\b", re.IGNORECASE)
# ASCII characters LaTeX reads as commands, escaped so that they print (and read back) as themselves.
LATEX_SPECIALS = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "$": r"\$",
    "&": r"\&",
    "%": r"\%",
    "#": r"\#",
    "_": r"\_",
    "~": r"\textasciitilde{}",
}
# Ligatures LaTeX would print as other characters (`--` an en dash, `''` a closing quote).
LIGATURES = ("--", "''", "``")
_TO_LATEX = UnicodeToLatexEncoder(
    non_ascii_only=True,
    replacement_latex_protection="braces-all",
    unknown_char_policy="keep",
    unknown_char_warning=False,
)
# Identifiers written as fields of their own in BibTeX and CSL-JSON, beside DOI and arXiv.
OTHER_IDS = ("pmid", "pmcid", "openalex")


@dataclass(frozen=True)
class Person:
    """An author as the paper lists them (the mention, repaired)."""

    family: str
    given: str | None
    is_organization: bool
    orcid: str | None = None  # the mention's, bare


@dataclass(frozen=True)
class ExportPaper:
    """One paper with everything a writer needs."""

    id: int
    title: str | None
    year: int | None
    venue: str | None
    url: str | None
    abstract: str | None  # the first of the paper's abstracts
    authors: tuple[Person, ...]
    authors_truncated: bool  # the source listed only the first authors (`and others`)
    ids: tuple[tuple[str, str], ...]  # (scheme, value), sorted

    def first_id(self, scheme: str) -> str | None:
        """The paper's first identifier of a scheme (`doi`, `arxiv`, …), if it has one."""
        return next((value for s, value in self.ids if s == scheme), None)

    @property
    def is_proceedings(self) -> bool:
        return bool(self.venue and PROCEEDINGS.search(self.venue))


# --- reading ------------------------------------------------------------------------------


def read_papers(conn: sqlite3.Connection, paper_ids: Iterable[int]) -> list[ExportPaper]:
    """The papers with these ids, in the order given (repeats and unknown ids left out)."""
    wanted = list(dict.fromkeys(int(i) for i in paper_ids))
    ids = json.dumps(wanted)
    each = "(SELECT value FROM json_each(:ids))"
    papers = {
        r[0]: r[1:]
        for r in conn.execute(f"SELECT id, title, year, venue, url FROM papers WHERE id IN {each}", {"ids": ids})
    }
    authors: dict[int, list[Person]] = {}
    for pid, family, given, org, orcid in conn.execute(
        f"SELECT paper_id, family_name, given_name, is_organization, orcid FROM authorships "
        f"WHERE paper_id IN {each} ORDER BY paper_id, position",
        {"ids": ids},
    ):
        authors.setdefault(pid, []).append(Person(family, given, bool(org), orcid))
    abstracts = dict(
        conn.execute(
            f"SELECT paper_id, text FROM abstracts WHERE id IN "
            f"(SELECT min(id) FROM abstracts WHERE paper_id IN {each} GROUP BY paper_id)",
            {"ids": ids},
        ).fetchall()
    )
    external: dict[int, list[tuple[str, str]]] = {}
    for pid, scheme, value in conn.execute(
        f"SELECT paper_id, scheme, value FROM paper_ids WHERE paper_id IN {each} ORDER BY paper_id, scheme, value",
        {"ids": ids},
    ):
        external.setdefault(pid, []).append((scheme, value))
    # The author list is the source's with the most authors, ties to the greatest record hash
    # (`app.etl.load_papers`): that source says whether the list was cut short.
    truncated = {
        r[0]
        for r in conn.execute(
            f"SELECT paper_id FROM (SELECT paper_id, record ->> '$.authors_truncated' AS cut, row_number() OVER "
            f"(PARTITION BY paper_id ORDER BY json_array_length(record, '$.authors') DESC, record_hash DESC) AS n "
            f"FROM paper_sources WHERE paper_id IN {each}) WHERE n = 1 AND cut",
            {"ids": ids},
        )
    }
    return [
        ExportPaper(
            pid,
            *papers[pid][:4],
            abstracts.get(pid),
            tuple(authors.get(pid, ())),
            pid in truncated,
            tuple(external.get(pid, ())),
        )
        for pid in wanted
        if pid in papers
    ]


def read_in_batches(conn: sqlite3.Connection, paper_ids: Sequence[int], size: int = BATCH) -> Iterator[ExportPaper]:
    """`read_papers`, `size` papers at a time."""
    for start in range(0, len(paper_ids), size):
        yield from read_papers(conn, paper_ids[start : start + size])


# --- citation keys ------------------------------------------------------------------------


def ascii_word(text: str) -> str:
    """Letters and digits folded to lower-case ASCII: `Łukasz-Mély` → `lukaszmely`."""
    text = unicodedata.normalize("NFKD", text.translate(SPECIAL_LETTERS))
    return "".join(c for c in text.casefold() if c.isascii() and c.isalnum())


def base_key(paper: ExportPaper) -> str:
    """`familyYEARfirstword`: the first author's family name, the year, the first significant title word."""
    family = ascii_word(paper.authors[0].family) if paper.authors else ""
    word = first = ""
    for word in filter(None, map(ascii_word, (paper.title or "").split())):  # folded only up to the one taken
        first = first or word
        if word not in STOP_WORDS:
            break
    else:
        word = first
    return f"{family or 'anon'}{paper.year or ''}{word}"


def citation_keys(papers: Iterable[ExportPaper]) -> dict[int, str]:
    """A key per paper id, unique among these papers: a key two papers share gets `a`, `b`, … on the
    second and later, ordered by title and then id, so the same papers always get the same keys."""
    by_key: dict[str, list[tuple[str, int]]] = {}
    for paper in papers:  # only what orders them is kept: `papers` may be a whole database read in batches
        by_key.setdefault(base_key(paper), []).append((paper.title or "", paper.id))
    keys = {}
    for key, group in by_key.items():
        for n, (_, paper_id) in enumerate(sorted(group)):
            keys[paper_id] = key + _suffix(n)
    return keys


def _suffix(n: int) -> str:
    """'' for the first, then a … z, aa, ab, …"""
    letters = ""
    while n > 0:
        n, rest = divmod(n - 1, 26)
        letters = chr(ord("a") + rest) + letters
    return letters


# --- BibTeX and BibLaTeX ------------------------------------------------------------------


def latex_text(text: str, *, ascii_only: bool) -> str:
    """Text as a BibTeX field value: LaTeX's special characters escaped and ligatures broken, and
    with `ascii_only` (BibTeX) non-ASCII letters as accent commands; BibLaTeX reads UTF-8."""
    text = " ".join(text.split())
    if ascii_only:
        text = unicodedata.normalize("NFC", text)  # `a` and a combining tilde as one `ã`, `{\\~a}`
    text = text.translate(_BIBTEX_CHARS if ascii_only else _BIBLATEX_CHARS)
    for pair in LIGATURES:
        while pair in text:  # twice for `---`: `-{}-{}-`
            text = text.replace(pair, f"{pair[0]}{{}}{pair[1]}")
    return text


class _LatexChars(dict):
    """A `str.translate` table of each character's LaTeX, filled in as characters are met: LaTeX's
    special characters escaped; with `ascii_only`, `{\\'e}` for `é` where paperdb's reader reads
    that back as `é`, and a character without such a form (CJK, Thai, math symbols) as it is."""

    def __init__(self, ascii_only: bool):
        super().__init__()
        self.ascii_only = ascii_only

    def __missing__(self, code: int) -> str:
        char = chr(code)
        latex = LATEX_SPECIALS.get(char, char)
        if self.ascii_only and not char.isascii():
            encoded = _TO_LATEX.unicode_to_latex(char)
            latex = encoded if to_text(encoded) == char else char
        self[code] = latex
        return latex


_BIBTEX_CHARS, _BIBLATEX_CHARS = _LatexChars(ascii_only=True), _LatexChars(ascii_only=False)


def protect_case(value: str) -> str:
    """Braces around words with a capital after their first letter (`{WebGPT}`, `{GPT-4o}`), which
    a bibliography style must not lower-case."""
    return " ".join(
        f"{{{w}}}" if any(c.isupper() for c in w[1:]) and not w.startswith("{") else w for w in value.split(" ")
    )


def bibtex_name(person: Person, *, ascii_only: bool) -> str:
    """`Family, Given`; an organisation in braces (`{OpenAI}`) so that BibTeX never splits it."""
    family = latex_text(person.family, ascii_only=ascii_only)
    if person.is_organization:
        return f"{{{family}}}"
    if not person.given:
        # `{Ng Andrew},`: a family name of several words and an empty given name, not an organisation.
        return f"{{{family}}}," if " " in family else family
    return f"{family}, {latex_text(person.given, ascii_only=ascii_only)}"


def bibtex_entry(paper: ExportPaper, key: str, *, biblatex: bool = False) -> str:
    """One `@type{key, …}` entry."""
    text = lambda value: latex_text(value, ascii_only=not biblatex)  # noqa: E731
    names = [bibtex_name(p, ascii_only=not biblatex) for p in paper.authors]
    if paper.authors_truncated:
        names.append("others")
    venue_field = "booktitle" if paper.is_proceedings else ("journaltitle" if biblatex else "journal")
    entry_type = "inproceedings" if paper.is_proceedings else ("article" if paper.venue else "misc")
    arxiv = paper.first_id("arxiv")
    fields = [
        ("author", " and ".join(names) or None),
        ("title", protect_case(text(paper.title)) if paper.title else None),
        (venue_field, text(paper.venue) if paper.venue else None),
        ("date" if biblatex else "year", str(paper.year) if paper.year else None),
        ("doi", paper.first_id("doi")),
        ("eprint", arxiv),
        ("eprinttype" if biblatex else "archivePrefix", ("arxiv" if biblatex else "arXiv") if arxiv else None),
        # Braces would end the field early; percent-encoded they are the same address.
        ("url", paper.url.replace("{", "%7B").replace("}", "%7D") if paper.url else None),
        *((scheme, paper.first_id(scheme)) for scheme in OTHER_IDS),
        ("abstract", text(paper.abstract) if paper.abstract else None),
    ]
    body = "".join(f"  {name} = {{{value}}},\n" for name, value in fields if value)
    return f"@{entry_type}{{{key},\n{body}}}\n"


# --- CSL-JSON -----------------------------------------------------------------------------


def csl_item(paper: ExportPaper, key: str) -> dict:
    """One CSL-JSON item (pandoc, Zotero): organisations as `literal` names."""
    arxiv = paper.first_id("arxiv")
    item = {
        "id": key,
        "type": "paper-conference" if paper.is_proceedings else ("article-journal" if paper.venue else "article"),
        "title": paper.title,
        "author": [
            {"literal": p.family}
            if p.is_organization
            # ORCID as Crossref's CSL writes it: the URL.
            else {
                k: v
                for k, v in (
                    ("family", p.family),
                    ("given", p.given),
                    ("ORCID", p.orcid and f"https://orcid.org/{p.orcid}"),
                )
                if v
            }
            for p in paper.authors
        ],
        "issued": {"date-parts": [[paper.year]]} if paper.year else None,
        "container-title": paper.venue,
        "DOI": paper.first_id("doi"),
        # Zotero's form for an arXiv preprint; CSL has no field for the id itself.
        "number": f"arXiv:{arxiv}" if arxiv else None,
        "URL": paper.url,
        "PMID": paper.first_id("pmid"),
        "PMCID": paper.first_id("pmcid"),
        "abstract": paper.abstract,
    }
    return {k: v for k, v in item.items() if v not in (None, [])}


# --- RIS ----------------------------------------------------------------------------------


class _RisWriter(RisWriter):
    """rispy's writer without the `1.` line it puts before each record."""

    def set_header(self, count: int) -> str:
        return ""


_RIS = _RisWriter()


def ris_record(paper: ExportPaper) -> str:
    """One record, `TY  -` to `ER  -` (EndNote, Zotero); names `Family, Given`, organisations whole."""
    one_line = lambda value: " ".join(value.split())  # noqa: E731  a tag's value ends at the line's end
    fields = {
        "type_of_reference": "CONF" if paper.is_proceedings else ("JOUR" if paper.venue else "GEN"),
        "authors": [one_line(f"{p.family}, {p.given}" if p.given else p.family) for p in paper.authors],
        "title": one_line(paper.title or ""),
        "secondary_title": one_line(paper.venue or ""),
        "year": str(paper.year or ""),
        "doi": paper.first_id("doi") or "",
        "urls": [paper.url] if paper.url else [],
        "abstract": one_line(paper.abstract or ""),
    }
    return _RIS.formats([{k: v for k, v in fields.items() if v}])


# --- JSON Lines ---------------------------------------------------------------------------


def jsonl_record(paper: ExportPaper) -> dict:
    """paperdb's own JSON Lines record (README, What goes in): the fields its reader takes."""
    firsts = {"doi": paper.first_id("doi"), "arxiv_id": paper.first_id("arxiv"), "source_id": paper.first_id("source")}
    written = {("doi", firsts["doi"]), ("arxiv", firsts["arxiv_id"]), ("source", firsts["source_id"])}
    record = {
        "title": paper.title,
        "authors": [
            {
                "family": p.family,
                "given": p.given,
                **({"organization": True} if p.is_organization else {}),
                **({"orcid": p.orcid} if p.orcid else {}),
            }
            for p in paper.authors
        ],
        "authors_truncated": paper.authors_truncated or None,
        "abstract": paper.abstract,
        "year": paper.year,
        "venue": paper.venue,
        **firsts,
        "url": paper.url,
        # Every other identifier, so that paperdb's own format loses nothing.
        "ids": [list(i) for i in paper.ids if i not in written],
    }
    return {k: v for k, v in record.items() if v not in (None, [])}


# --- whole files --------------------------------------------------------------------------


def _bib(biblatex: bool) -> Callable[[list[ExportPaper], dict[int, str]], Iterator[str]]:
    def write(papers, keys):
        for n, paper in enumerate(papers):
            yield ("\n" if n else "") + bibtex_entry(paper, keys[paper.id], biblatex=biblatex)

    return write


def _csl(papers, keys) -> Iterator[str]:
    yield "["
    for n, paper in enumerate(papers):
        item = json.dumps(csl_item(paper, keys[paper.id]), ensure_ascii=False, indent=2)
        yield ("," if n else "") + "\n" + "\n".join("  " + line for line in item.splitlines())
    yield "\n]\n"


def _ris(papers, keys) -> Iterator[str]:
    for n, paper in enumerate(papers):
        yield ("\n" if n else "") + ris_record(paper)


def _jsonl(papers, keys) -> Iterator[str]:
    for paper in papers:
        yield json.dumps(jsonl_record(paper), ensure_ascii=False) + "\n"


WRITERS = {"bibtex": _bib(False), "biblatex": _bib(True), "csl-json": _csl, "ris": _ris, "jsonl": _jsonl}
FORMATS = tuple(WRITERS)


def included(fmt: str, paper: ExportPaper) -> bool:
    """Whether a format writes a paper: the citation formats leave out papers without a title (known
    only from an abstract, nothing to cite); JSON Lines, paperdb's own format, keeps them."""
    if fmt not in WRITERS:
        raise ValueError(f"unknown export format {fmt!r}: use one of {', '.join(FORMATS)}")
    return fmt == "jsonl" or paper.title is not None


def write(fmt: str, papers: Iterable[ExportPaper], keys: dict[int, str] | None = None) -> Iterator[str]:
    """The text of a file of these papers (those `included`) in a format of FORMATS, a piece at a time.

    `keys` are the papers' `citation_keys`; given, they also say which papers to write, and the
    papers are not held (`export_pieces` reads them twice instead).
    """
    if keys is None:
        papers = [p for p in papers if included(fmt, p)]
        keys = citation_keys(papers)
    return WRITERS[fmt]((p for p in papers if p.id in keys), keys)


def export_pieces(conn: sqlite3.Connection, fmt: str, paper_ids: Sequence[int]) -> tuple[int, Iterator[str]]:
    """How many of these papers of the database `fmt` writes, and the file's text a piece at a time:
    the papers are read BATCH at a time, once for their keys and once to write them."""
    keys = citation_keys(p for p in read_in_batches(conn, paper_ids) if included(fmt, p))
    return len(keys), write(fmt, read_in_batches(conn, paper_ids), keys)


def export(conn: sqlite3.Connection, fmt: str, paper_ids: Sequence[int]) -> str:
    """These papers of the database as one file's text in `fmt`."""
    return "".join(export_pieces(conn, fmt, paper_ids)[1])

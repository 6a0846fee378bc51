"""BibTeX and BibLaTeX (Zotero, Better BibTeX, JabRef, Mendeley, Google Scholar, ACL/DBLP exports).

bibtexparser splits the file into entries and resolves `@string` macros and `#`; names are
split on the LaTeX source (braces decide what is one name), then LaTeX becomes Unicode.
A citation key names an entry in one library only, so it is no identifier of the paper.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator

import bibtexparser
from bibtexparser.library import Library
from bibtexparser.middlewares.names import parse_single_name_into_parts, split_multiple_persons_names
from bibtexparser.model import Block, DuplicateBlockKeyBlock, Entry

from app.etl.extract.source import Source
from app.etl.extract.text import FileRejected, joined, oversized
from app.text.latex import to_text
from app.text.records import Record, Reject

FORMAT = "bibtex"
# bibtexparser logs each entry it cannot parse; the reject says it, with the file and line.
logging.getLogger("bibtexparser").addHandler(logging.NullHandler())
logging.getLogger("bibtexparser").propagate = False
# Entry types that group or feed other entries and are no paper of their own.
NOT_PAPERS = frozenset({"set", "xdata"})
# Fields a `crossref` child never takes from its parent: they identify the parent.
NOT_INHERITED = frozenset({"doi", "eprint", "eprinttype", "archiveprefix", "url", "ids", "key", "crossref"})
# Where the venue is, in order: BibLaTeX, then BibTeX fields.
VENUE_FIELDS = ("journaltitle", "journal", "booktitle")
YEAR = re.compile(r"\d{4}")
# `arXiv:1501.04916 [physics]`, `arXiv:hep-th/9901001v2`: new-style and old-style ids.
ARXIV_IN_TEXT = re.compile(r"arXiv:\s*(\d{4}\.\d{4,5}|[a-z][a-z\-]*(?:\.[a-z]{2})?/\d{7})(?:v\d+)?", re.IGNORECASE)
TRUNCATION = "others"


def read(source: Source) -> Iterator[Record | Reject]:
    """The entries of a .bib file; FileRejected when most of its entries do not parse."""
    library = bibtexparser.parse_string(joined(source.lines))
    entries = [(entry.start_line, entry) for entry in library.entries]
    failed = []
    for block in library.failed_blocks:
        if isinstance(block, DuplicateBlockKeyBlock) and isinstance(block.ignore_error_block, Entry):
            # A repeated or empty key (Mendeley writes `@article{,`) makes the entry no less a paper.
            entries.append((block.start_line, _parsed_alone(block.raw, library)))
        else:
            failed.append((block.start_line, block))
    if not entries:
        first = min(failed, key=lambda item: item[0], default=None)
        raise FileRejected(
            "no BibTeX entry parses" + (f" (line {first[0] + 1}: {_why(first[1].error)})" if first else "")
        )
    if len(failed) > len(entries):
        raise FileRejected(
            f"not BibTeX as a whole: {len(failed)} of its {len(failed) + len(entries)} entries do not parse"
        )
    return _records(source.path, entries + failed)


def _parsed_alone(raw: str, library: Library) -> Entry:
    """An entry bibtexparser set aside for its repeated key, parsed again with the file's `@string`s."""
    return bibtexparser.parse_string(raw, library=Library(library.strings)).entries[0]


def _records(path: str, blocks: list[tuple[int, Block]]) -> Iterator[Record | Reject]:
    by_key: dict[str, Entry] = {}
    for _, block in blocks:
        if isinstance(block, Entry):
            by_key.setdefault(block.key.casefold(), block)  # a repeated key: the first entry is the parent
    for start, block in sorted(blocks, key=lambda item: item[0]):
        line = start + 1  # bibtexparser counts lines from 0
        if not isinstance(block, Entry):
            yield Reject(path, line, block.raw, f"BibTeX entry cannot be parsed: {_why(block.error)}")
        elif block.entry_type.lower() not in NOT_PAPERS:
            try:
                yield oversized(path, line, block.raw or "") or _record(path, line, block, by_key)
            except ValueError as e:
                yield Reject(path, line, block.raw, str(e))


def _why(error: Exception) -> str:
    """What bibtexparser says went wrong, in one line."""
    reason = (
        getattr(error, "abort_reason", None) or getattr(error, "message", None) or str(error) or type(error).__name__
    )
    return " ".join(str(reason).split()).rstrip(".")


def _fields(entry: Entry, by_key: dict[str, Entry]) -> dict[str, str]:
    """The entry's fields by lower-case name, with what it inherits through `crossref`."""
    fields = {f.key.lower(): f.value for f in entry.fields if isinstance(f.value, str)}
    parent = by_key.get(fields.get("crossref", "").strip().casefold())
    if parent is not None and parent is not entry:
        inherited = {f.key.lower(): f.value for f in parent.fields if isinstance(f.value, str)}
        if "title" in inherited:
            # The parent's title names the book or proceedings the child appears in.
            fields.setdefault("booktitle", inherited.pop("title"))
        for key, value in inherited.items():
            if key not in NOT_INHERITED:
                fields.setdefault(key, value)
    return fields


def _record(path: str, line: int, entry: Entry, by_key: dict[str, Entry]) -> Record:
    fields = _fields(entry, by_key)
    title = _text(fields.get("title"))
    if title and (subtitle := _text(fields.get("subtitle"))):
        title = f"{title}: {subtitle}"
    authors, organizations, truncated = _authors(fields.get("author", ""))
    return Record(
        file=path,
        line=line,
        raw=entry.raw or "",
        title=title,
        abstract=_text(fields.get("abstract")),
        author_pairs=authors,
        organizations=organizations,
        authors_truncated=truncated,
        year=_year(fields),
        venue=next((v for key in VENUE_FIELDS if (v := _text(fields.get(key)))), None),
        doi=_plain(fields.get("doi")),
        arxiv_id=_arxiv(fields),
        url=_plain(fields.get("url")),
        ids=tuple((scheme, value) for scheme in OTHER_IDS if (value := _plain(fields.get(scheme)))),
    )


# Identifier fields some exports add (paperdb's own, PubMed-aware managers): `pmid = {123}`.
OTHER_IDS = ("pmid", "pmcid", "openalex")


def _text(value: str | None) -> str | None:
    return (to_text(value) or None) if value else None


def _plain(value: str | None) -> str | None:
    """A value that is not prose (DOI, URL): braces and whitespace dropped, no LaTeX read."""
    return "".join(value.replace("{", "").replace("}", "").split()) or None if value else None


def _year(fields: dict[str, str]) -> int | None:
    """`year`, else BibLaTeX's `date` (`2009-04-21`, `2009/2010`): its first four digits."""
    for key in ("year", "date"):
        if found := YEAR.search(fields.get(key, "")):
            return int(found.group())
    return None


def _arxiv(fields: dict[str, str]) -> str | None:
    """`eprint` with `eprinttype`/`archiveprefix` arXiv, `arxivid`, or `arXiv:…` as the journal (Google Scholar)."""
    if "arxiv" in (fields.get("eprinttype", "") + fields.get("archiveprefix", "")).lower():
        return _plain(fields.get("eprint"))
    if arxiv_id := _plain(fields.get("arxivid")):  # Mendeley
        return arxiv_id
    found = ARXIV_IN_TEXT.search(fields.get("journal", ""))
    return found.group(1) if found else None


def _authors(value: str) -> tuple[tuple[tuple[str, str | None], ...], frozenset[str], bool]:
    """(family, given) pairs, the names that are organisations, and whether `and others` cut the list."""
    pairs, organizations, truncated = [], set(), False
    for name in split_multiple_persons_names(value):
        name = name.strip()
        if name == TRUNCATION:
            truncated = True
        elif _braced_whole(name):
            # `{OpenAI}` or `{Fredensborg Kommune}`: braces keep BibTeX from splitting an organisation.
            organization = to_text(name)
            pairs.append((organization, None))
            organizations.add(organization)
        elif name:
            parts = parse_single_name_into_parts(name, strict=False)
            family = to_text(" ".join(parts.von + parts.last + parts.jr))
            pairs.append((family, to_text(" ".join(parts.first)) or None))
    return tuple(pairs), frozenset(organizations), truncated


def _braced_whole(name: str) -> bool:
    """Whether one pair of braces encloses the whole name (`{NIRAS A/S}`, not `{El-Sawah}, Sondoss`)."""
    if not (name.startswith("{") and name.endswith("}")):
        return False
    depth = 0
    for i, char in enumerate(name):
        depth += {"{": 1, "}": -1}.get(char, 0)
        if depth == 0:
            return i == len(name) - 1
    return False

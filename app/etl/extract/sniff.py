"""Detection: which format a file is, from its content; the file name's extension is only a hint.

A file is read as a format only if it fits that format as a whole. One that fits none is
rejected whole (`FileRejected`), and nothing of it is written.
"""

from __future__ import annotations

import re

from app.etl.extract import (
    abstracts,
    arxiv,
    bibtex,
    crossref,
    csl_json,
    json_input,
    jsonl,
    openalex,
    profile,
    pubmed,
    ris,
)
from app.etl.extract.source import Source
from app.etl.extract.text import FileRejected, legacy_text

# Lines looked at to tell the formats apart by their start.
HEAD_LINES = 5
BIBTEX_ENTRY = re.compile(r"\s*@\s*[A-Za-z]+\s*[{(]")
# Extensions that name a format, for the reason given when a file does not fit it.
SUFFIX_FORMATS = {".bib": "BibTeX", ".bibtex": "BibTeX", ".ris": "RIS", ".jsonl": "JSON Lines", ".xml": "XML"}
KNOWN = (
    "a profile dump, an abstracts dump, JSON Lines, BibTeX, RIS, CSL-JSON, an arXiv snapshot, "
    "OpenAlex or Crossref works, or PubMed XML"
)
# Kinds of JSON object told apart by their keys; any other object is paperdb's JSON Lines.
JSON_KINDS = (crossref, openalex, arxiv)


def sniff(source: Source) -> str:
    """The format of a file that fits one as a whole; FileRejected, saying why, for any other."""
    # Lines that are not UTF-8 count as Windows-1252: a Latin-1 export is still recognised by its start.
    texts = [text for _, text, _ in map(lambda line: legacy_text(*line), source.lines) if text.strip()]
    if not texts:
        raise FileRejected("file has no text lines")
    first = texts[0].lstrip("\ufeff \t")
    if first.startswith("["):
        return csl_json.FORMAT
    if first.startswith("{"):
        return _json_kind(source, first)
    if first.startswith("<"):
        if pubmed.starts_like_pubmed(source):
            return pubmed.FORMAT
        raise FileRejected(_unknown(source, "XML, but not PubMed's PubmedArticleSet"))
    if any(BIBTEX_ENTRY.match(t) for t in _without_comments(texts)[:HEAD_LINES]):
        return bibtex.FORMAT
    if ris.starts_like_ris(texts[:HEAD_LINES]):
        return ris.FORMAT
    if abstracts.fits(texts):
        return abstracts.FORMAT
    if profile.has_owner_line(texts[:HEAD_LINES]):
        if profile.fits(source):
            return profile.FORMAT
        raise FileRejected(
            _unknown(
                source,
                "its first line reads as a profile dump's owner, but most of its "
                "title/authors/abstract triplets do not parse",
            )
        )
    raise FileRejected(_unknown(source))


def _json_kind(source: Source, first: str) -> str:
    """Which JSON: known JSON Lines by the keys of their first object, or one pretty-printed document."""
    obj = json_input.first_object(source)
    if obj is None and first.rstrip() == "{":
        obj = json_input.document(source)
        if not isinstance(obj, dict) or not any(kind.recognises(obj) for kind in JSON_KINDS):
            raise FileRejected(_unknown(source, "a JSON document that is no Crossref or OpenAlex work"))
    return next((kind.FORMAT for kind in JSON_KINDS if obj is not None and kind.recognises(obj)), jsonl.FORMAT)


def _without_comments(texts: list[str]) -> list[str]:
    """The first lines that are not `%` comments; BibTeX reads any text before the first entry
    as a comment too (JabRef once wrote `This file was created with JabRef 2.10.` there)."""
    return [t for t in texts[: 4 * HEAD_LINES] if not t.lstrip().startswith("%")]


def _unknown(source: Source, why: str | None = None) -> str:
    named = SUFFIX_FORMATS.get(source.suffix)
    hint = f"; the name ends in {source.suffix} but the content is not {named}" if named else ""
    return f"unrecognised format: expected {KNOWN}" + (f" ({why})" if why else "") + hint

"""PubMed/MEDLINE XML (`PubmedArticleSet`: EFetch output, baseline and daily update files), streamed.

The file's lines go to lxml's pull parser as they are read, and it hands over one
`PubmedArticle` at a time, which is cleared once read, so a baseline file of any size
takes the memory of one article. The DTD is never fetched and entities are not expanded.
`CollectiveName` authors are organisations; labelled abstract sections are joined with
their labels.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import islice

from lxml import etree

from app.etl.extract.source import Source
from app.etl.extract.text import LONG_LINE_KEEP, Line
from app.text.records import Record, Reject

FORMAT = "pubmed"
ROOT = re.compile(r"<(?:!DOCTYPE\s+)?PubmedArticleSet\b")
# The head of a file searched for the root element (past the XML declaration and DOCTYPE).
HEAD_BYTES = 4096
ARTICLE, DELETION = "PubmedArticle", "DeleteCitation"
YEAR = re.compile(r"\b\d{4}\b")
IDS = {"pubmed": "pmid", "pmc": "pmcid", "doi": "doi"}
# Lines kept for a reject's raw text: those since the last article read, up to this many
# (an article runs to a few hundred lines; a file that breaks inside a longer one keeps its end).
RECENT_LINES = 20_000
# Lines given to the parser at a time: a call per line costs more than the parsing.
FEED_LINES = 1000


def starts_like_pubmed(source: Source) -> bool:
    """Whether the file's head names the PubmedArticleSet root."""
    return ROOT.search(source.data[:HEAD_BYTES].decode("utf-8", "replace")) is not None


def read(source: Source) -> Iterator[Record | Reject]:
    """The articles of the file, as its lines are read; where the XML breaks, a reject, and the
    articles before it stand."""
    path = source.path
    parser = etree.XMLPullParser(
        events=("end",), tag=(ARTICLE, DELETION), resolve_entities=False, load_dtd=False, no_network=True
    )
    # The lines since the last article read opened: a reject's raw text is the article it breaks.
    recent: list[Line] = []
    try:
        lines = source.all_lines()
        while block := list(islice(lines, FEED_LINES)):
            recent += block
            del recent[: max(0, len(recent) - RECENT_LINES)]
            error = _fed(parser, block)
            yield from _read_events(path, parser, recent)  # the articles before a break included
            if error:
                raise error
        parser.close()  # a file cut short breaks here, and its open article is not read
    except etree.XMLSyntaxError as e:
        broken = e.lineno or (e.position[0] if e.position else 1)
        start = _opening_line(recent, broken)
        yield Reject(
            path,
            start,
            _lines(recent, start, broken),
            f"XML cannot be parsed: {e.msg}; the rest of the file is not read",
        )


def _fed(parser: etree.XMLPullParser, block: list[Line]) -> etree.XMLSyntaxError | None:
    """Give the parser these lines; the error where they break the XML, if they do."""
    try:
        parser.feed(b"\n".join([raw for _, _, raw in block]) + b"\n")
    except etree.XMLSyntaxError as e:
        return e
    return None


def _read_events(path: str, parser: etree.XMLPullParser, recent: list[Line]) -> Iterator[Record | Reject]:
    read = None
    for _, element in parser.read_events():
        yield _deletion(path, element) if element.tag == DELETION else _article(path, element)
        element.clear(keep_tail=True)
        while element.getprevious() is not None:  # what the parser keeps of read articles
            del element.getparent()[0]
        read = element.sourceline
    if read is not None:  # the lines before the last article read (numbered one after another)
        del recent[: max(0, read - recent[0][0])]


def _opening_line(recent: list[Line], broken: int) -> int:
    """The line where the article that holds line `broken` opens (or `broken`, outside any)."""
    for n, text, _ in reversed(recent):
        if n > broken:
            continue
        if text and (f"<{ARTICLE}>" in text or f"<{ARTICLE} " in text):
            return n
        if text and f"</{ARTICLE}>" in text:
            break
    return broken


def _lines(recent: list[Line], first: int, last: int) -> str:
    """The text of the recent lines from line `first` to line `last`, for a reject's raw text."""
    return "\n".join(text or "" for n, text, _ in recent if first <= n <= last)[:LONG_LINE_KEEP]


def _raw(element) -> str:
    return etree.tostring(element, encoding="unicode")[:LONG_LINE_KEEP]


def _deletion(path: str, element) -> Reject:
    pmids = [p.text for p in element.iter("PMID")]
    return Reject(
        path,
        element.sourceline,
        _raw(element),
        f"PubMed DeleteCitation of {len(pmids)} PMIDs is not applied: deleting papers is not supported",
    )


def _article(path: str, element) -> Record | Reject:
    article = element.find("MedlineCitation/Article")
    if article is None:
        return Reject(path, element.sourceline, _raw(element), "PubmedArticle has no MedlineCitation/Article")
    pairs, organizations, orcids = _authors(article)
    ids = {
        IDS[a.get("IdType")]: _text(a)
        for a in element.iterfind("PubmedData/ArticleIdList/ArticleId")
        if a.get("IdType") in IDS and _text(a)
    }
    ids.setdefault("pmid", _text(element.find("MedlineCitation/PMID")))
    doi = ids.pop("doi", None) or next(
        (_text(e) for e in article.iterfind("ELocationID") if e.get("EIdType") == "doi"), None
    )
    return Record(
        file=path,
        line=element.sourceline,
        raw=_raw(element),
        title=_text(article.find("ArticleTitle")),
        abstract=_abstract(article),
        author_pairs=pairs,
        author_orcids=orcids,
        organizations=organizations,
        year=_year(article),
        venue=_text(article.find("Journal/Title")),
        doi=doi,
        ids=tuple((scheme, value) for scheme, value in ids.items() if value),
    )


def _text(element) -> str | None:
    """All the text of an element, inline markup (`<i>`, `<sup>`) included, or None."""
    if element is None:
        return None
    text = " ".join("".join(element.itertext()).split())
    return text or None


def _abstract(article) -> str | None:
    sections = []
    for part in article.iterfind("Abstract/AbstractText"):
        text, label = _text(part), part.get("Label")
        if text:
            sections.append(f"{label}: {text}" if label and label.upper() != "UNLABELLED" else text)
    return " ".join(sections) or None


def _authors(article) -> tuple[tuple[tuple[str, str | None], ...], frozenset[str], tuple[str | None, ...]]:
    """(family, given) pairs, the collective names among them, and each author's ORCID or None."""
    pairs, organizations, orcids = [], set(), []
    for author in article.iterfind("AuthorList/Author"):
        if collective := _text(author.find("CollectiveName")):
            pairs.append((collective, None))
            organizations.add(collective)
        else:
            family = " ".join(filter(None, (_text(author.find("LastName")), _text(author.find("Suffix")))))
            if not family:
                continue
            pairs.append((family, _text(author.find("ForeName")) or _text(author.find("Initials"))))
        orcids.append(next((_text(i) for i in author.iterfind("Identifier") if i.get("Source") == "ORCID"), None))
    return tuple(pairs), frozenset(organizations), tuple(orcids)


def _year(article) -> int | None:
    date = article.find("Journal/JournalIssue/PubDate")
    found = YEAR.search(_text(date) or "") or YEAR.search(_text(article.find("ArticleDate")) or "")
    return int(found.group()) if found else None

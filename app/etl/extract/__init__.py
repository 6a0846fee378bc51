"""Extract: read a dump file, detect its format, and yield raw records or rejects.

Nothing here repairs text; a record's fields are as the file states them. A record that
cannot be read becomes a `Reject` with its file, line and raw text, and the rest of the
file still loads. Detection is in `sniff`, one module per format reads it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from app.etl.extract import abstracts, arxiv, bibtex, crossref, csl_json, jsonl, openalex, profile, pubmed, ris
from app.etl.extract.sniff import sniff
from app.etl.extract.source import Source
from app.etl.extract.text import LONG_LINE_KEEP, SNIFF_BYTES, FileRejected, decode, gunzip
from app.text.records import Record, Reject

__all__ = ["FileRejected", "LONG_LINE_KEEP", "SNIFF_BYTES", "extract", "extract_lines"]

FORMATS = (abstracts, arxiv, bibtex, crossref, csl_json, jsonl, openalex, profile, pubmed, ris)
READERS = {module.FORMAT: module.read for module in FORMATS}


def extract(path: str | Path, data: bytes | None = None) -> tuple[str, Iterator[Record | Reject]]:
    """Return the file's format and an iterator of its records and rejects (gzip is read through)."""
    fmt, items, _ = extract_lines(path, data)
    return fmt, items


def extract_lines(path: str | Path, data: bytes | None = None) -> tuple[str, Iterator[Record | Reject], int]:
    """`extract`, and how many lines the file has: a record's `line` over it is how far the reading is."""
    path = str(path)
    data = gunzip(Path(path).read_bytes() if data is None else data)
    source = Source(path, data, decode(data))
    fmt = sniff(source)
    return fmt, READERS[fmt](source), len(source.lines)

"""Extract: read a dump file, detect its format, and yield raw records or rejects.

Nothing here repairs text; a record's fields are as the file states them. A record that
cannot be read becomes a `Reject` with its file, line and raw text, and the rest of the
file still loads. Detection is in `sniff`, one module per format reads it.
"""

from __future__ import annotations

import codecs
import io
from collections.abc import Iterator
from itertools import islice
from pathlib import Path
from typing import BinaryIO

from app.etl.extract import abstracts, arxiv, bibtex, crossref, csl_json, jsonl, openalex, profile, pubmed, ris
from app.etl.extract.json_input import HEAD_LINES, first_object
from app.etl.extract.sniff import sniff
from app.etl.extract.source import Source
from app.etl.extract.text import (
    LONG_LINE_KEEP,
    SNIFF_BYTES,
    FileRejected,
    decode,
    decompressing,
    opened,
    utf8_lines,
    utf16_codec,
)
from app.text.records import Record, Reject

__all__ = ["FileRejected", "LONG_LINE_KEEP", "SNIFF_BYTES", "extract", "extract_lines"]

FORMATS = (abstracts, arxiv, bibtex, crossref, csl_json, jsonl, openalex, profile, pubmed, ris)
READERS = {module.FORMAT: module.read for module in FORMATS}
# One record per line: read as they are used, so a file of any size takes the memory of a few lines.
LINE_FORMATS = {arxiv.FORMAT, crossref.FORMAT, jsonl.FORMAT, openalex.FORMAT}
# Read as they are used too: PubMed's XML, one article at a time (`pubmed`).
STREAMED_FORMATS = LINE_FORMATS | {pubmed.FORMAT}
# A file read as it is used is read this much at a time and split into lines at once: a
# call per line would cost more than the line's parsing.
READ_BLOCK_BYTES = 1024 * 1024


def extract(path: str | Path, data: bytes | None = None) -> tuple[str, Iterator[Record | Reject]]:
    """Return the file's format and an iterator of its records and rejects (gzip is read through)."""
    fmt, items, _ = extract_lines(path, io.BytesIO(Path(path).read_bytes() if data is None else data))
    return fmt, items


def extract_lines(path: str | Path, f: BinaryIO) -> tuple[str, Iterator[Record | Reject], int | None]:
    """`extract` of the file open as `f`, and how many lines it has: a record's `line` over it is
    how far the reading is. A JSON Lines or PubMed file is read as its records are, from `f`
    left open till then, and its count is None; any other file is read whole here."""
    path = str(path)
    content = opened(f)
    with decompressing(content):
        head = _head(content)
        start = b"".join(head)
        fmt = _streamed_format(path, start)
        if fmt is None:
            data = start + content.read()
            source = Source(path, data, decode(data))
            fmt = sniff(source)
            return fmt, READERS[fmt](source), len(source.lines)
    lines = utf8_lines(_raw_lines(content, head))
    return fmt, READERS[fmt](Source(path, start, list(islice(lines, HEAD_LINES)), lines)), None


def _head(content: BinaryIO) -> list[bytes]:
    """The first whole lines of the content, at least HEAD_LINES and SNIFF_BYTES of them where it has them."""
    head, size = [], 0
    while (len(head) < HEAD_LINES or size < SNIFF_BYTES) and (line := content.readline()):
        head.append(line)
        size += len(line)
    return head


def _streamed_format(path: str, head: bytes) -> str | None:
    """The format of a file read as it is used (STREAMED_FORMATS) in UTF-8 with LF line ends,
    judged by its first lines: one record per line, or PubMed's XML; None for any other, which
    is read whole."""
    if b"\n" not in head or utf16_codec(head):
        return None
    try:
        source = Source(path, head, decode(head))
        fmt = sniff(source)
    except FileRejected:  # said again, or not, of the whole file
        return None
    if fmt in LINE_FORMATS and first_object(source) is None:  # a JSON record that spans lines
        return None
    return fmt if fmt in STREAMED_FORMATS else None


def _raw_lines(content: BinaryIO, head: list[bytes]) -> Iterator[bytes]:
    """The content's raw lines, without their LF or a UTF-8 BOM: the head's, then the rest as they are read."""
    if head:
        head = [head[0].removeprefix(codecs.BOM_UTF8), *head[1:]]
    yield from (line.removesuffix(b"\n") for line in head)
    pending: list[bytes] = []  # the start of a line that goes on in the next block
    with decompressing(content):
        while block := content.read1(READ_BLOCK_BYTES):  # what has come, up to a block: a pipe may wait
            lines = block.split(b"\n")
            if len(lines) > 1:
                lines[0] = b"".join([*pending, lines[0]])
                pending = []
                yield from lines[:-1]
            pending.append(lines[-1])
    if last := b"".join(pending):
        yield last

"""Bytes to lines: gzip, encodings, binary files, and the reject for a line that cannot be read."""

from __future__ import annotations

import codecs
import gzip
import io
import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import BinaryIO

from app.text.records import Reject

# Each line is (1-based number, text or None when undecodable or too long, raw bytes).
Line = tuple[int, "str | None", bytes]
# How much of a file's start is read to tell text from binary and guess an encoding.
SNIFF_BYTES = 8192
# A file whose first SNIFF_BYTES have more control bytes (NUL, other C0 but tab/CR/LF/FF) than
# this share, in most of its lines, is binary, not text. A text dump with one damaged line
# (stray NULs, a zero-filled block left by a crash) stays text: binary has them all through.
BINARY_CONTROL_SHARE = 0.05
CONTROL_BYTES = bytes(b for b in range(32) if b not in (9, 10, 12, 13)) + b"\x7f"
# UTF-16 without a BOM: at least this share of characters with a NUL high byte (Latin
# text), and at most this share with a NUL low byte (U+0100, U+4E00, a surrogate's DE00).
UTF16_HIGH_NULS = 0.5
UTF16_LOW_NULS = 0.05
# A line longer than this is not one paper (abstracts run to a few KiB) but a file whose
# newlines were lost, or a full text: it is rejected unread, so it cannot eat memory or time.
MAX_LINE_BYTES = 1024 * 1024
# An over-long line's reject keeps this much of it as its raw text (as whole-file rejects do).
LONG_LINE_KEEP = 64 * 1024
# A record spanning lines (BibTeX, RIS, a CSL item) may not be longer than one line may.
MAX_RECORD_BYTES = MAX_LINE_BYTES
GZIP_MAGIC = b"\x1f\x8b"
# Legacy exports (EndNote RIS, old BibTeX) are Windows-1252 or Latin-1, not UTF-8.
LEGACY_ENCODING = "cp1252"


class FileRejected(Exception):
    """The whole file cannot be read (binary, undecodable, unknown format, empty)."""


def decode(data: bytes) -> list[Line]:
    """Split bytes into (line number, text or None if undecodable or too long, raw bytes) per line.

    Lines end in LF or CRLF, or in CR alone when the file has no LF at all (old Mac tools).
    """
    if not data.strip():
        raise FileRejected("file is empty")
    codec = utf16_codec(data)
    if codec:
        return _utf16_lines(data, codec)
    if _is_binary(data[:SNIFF_BYTES]):
        raise FileRejected("file is binary, not a text dump")
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    return list(utf8_lines(data.split(_line_end(data, b"\n", b"\r"))))


def utf8_lines(raws: Iterable[bytes]) -> Iterator[Line]:
    """`decode`'s lines of UTF-8 text split into its raw lines, made as they are used;
    FileRejected after the last when most of them are not UTF-8 (a file in another encoding)."""
    undecodable = text_lines = 0
    for n, raw in enumerate(raws, 1):
        raw = raw.rstrip(b"\r")
        text_lines += bool(raw.strip())  # blank lines say nothing of the encoding
        text = None
        if len(raw) <= MAX_LINE_BYTES:
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                undecodable += 1
        yield n, text, raw
    if undecodable and undecodable > text_lines // 2:
        raise FileRejected(f"not UTF-8 or UTF-16 text ({undecodable} of {text_lines} lines undecodable)")


def utf16_codec(data: bytes) -> str | None:
    """The UTF-16 codec of data that starts like UTF-16 text, with a BOM or without; else None."""
    return "utf-16" if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) else _utf16_without_bom(data)


def _utf16_lines(data: bytes, codec: str) -> list[Line]:
    """The lines of a UTF-16 file; its raw bytes are kept as UTF-8, like every other line's."""
    try:
        text = data.decode(codec)
    except UnicodeDecodeError as e:
        raise FileRejected(f"UTF-16 file cannot be decoded: {e.reason} at byte {e.start}") from None
    lines = [line.rstrip("\r") for line in text.split(_line_end(text, "\n", "\r"))]
    encoded = [(line, line.encode("utf-8")) for line in lines]
    return [(n, None if len(raw) > MAX_LINE_BYTES else line, raw) for n, (line, raw) in enumerate(encoded, 1)]


def _line_end(text: str | bytes, lf: str | bytes, cr: str | bytes) -> str | bytes:
    """LF, or CR when the text has CRs and no LF at all."""
    return cr if cr in text and lf not in text else lf


def _utf16_without_bom(data: bytes) -> str | None:
    """`utf-16-le` or `utf-16-be` for UTF-16 text saved without a BOM, else None.

    Text that is mostly Latin script has a NUL as the high byte of most characters, on
    one side of each byte pair; binary data has NULs on both sides, or none. (Text mostly
    in other scripts is not recognised without a BOM.) The decoded start must read as
    text, not control characters, and keep its line ends: in UTF-16 a line feed is a byte
    pair of its own, so a UTF-8 file whose one stray NUL tips the count (`{\\0` then `{`)
    would decode its LF bytes into other characters and lose its lines.
    """
    head = data[:SNIFF_BYTES]
    for codec, high, low in (("utf-16-le", head[1::2], head[0::2]), ("utf-16-be", head[0::2], head[1::2])):
        if (
            len(high) >= 2
            and high.count(0) >= UTF16_HIGH_NULS * len(high)
            and low.count(0) <= UTF16_LOW_NULS * len(low)
        ):
            # Incremental: the sniffed bytes may end inside a character.
            text = codecs.getincrementaldecoder(codec)(errors="replace").decode(head, final=False)
            keeps_lines = 2 * text.count("\n") >= head.count(b"\n")
            return codec if keeps_lines and not _is_binary(text.encode("utf-8")) else None
    return None


def _is_binary(head: bytes) -> bool:
    """Whether a file's first bytes hold too many control bytes, spread over most lines."""
    if len(head) - len(head.translate(None, CONTROL_BYTES)) <= BINARY_CONTROL_SHARE * len(head):
        return False
    lines = [line for line in head.split(_line_end(head, b"\n", b"\r")) if line.strip()]
    return 2 * sum(len(line.translate(None, CONTROL_BYTES)) < len(line) for line in lines) > len(lines)


def unreadable(path: str, n: int, raw: bytes) -> Reject:
    """The reject for a line `decode` gave no text for: too long, or not UTF-8."""
    if len(raw) > MAX_LINE_BYTES:
        return Reject(
            path,
            n,
            raw[:LONG_LINE_KEEP].decode("utf-8", "backslashreplace"),
            f"line is {len(raw):,} bytes, over the {MAX_LINE_BYTES:,}-byte limit for one record "
            f"(raw text cut to its first {LONG_LINE_KEEP:,} bytes)",
        )
    return Reject(path, n, raw.decode("utf-8", "backslashreplace"), "line is not valid UTF-8")


def opened(f: BinaryIO) -> BinaryIO:
    """The content of an open binary file, decompressed as it is read when it is gzip."""
    buffered = f if hasattr(f, "peek") else io.BufferedReader(f)
    return gzip.GzipFile(fileobj=buffered) if buffered.peek(len(GZIP_MAGIC)).startswith(GZIP_MAGIC) else buffered


@contextmanager
def decompressing(content: BinaryIO) -> Iterator[None]:
    """Reading gzip `content` within: the error of a truncated or damaged file is FileRejected."""
    try:
        yield
    except (OSError, EOFError, zlib.error) as e:
        if not isinstance(content, gzip.GzipFile):
            raise
        raise FileRejected(f"gzip file cannot be decompressed ({e}): it is truncated or damaged") from None


def legacy_text(n: int, text: str | None, raw: bytes) -> Line:
    """A line of a tool's export, whose records span lines: a line that is not UTF-8 is read as
    Windows-1252 (Latin-1); an over-long one is read too, and its record is refused by its size
    (`oversized`)."""
    if text is not None:
        return n, text, raw
    for encoding in ("utf-8", LEGACY_ENCODING):
        try:
            return n, raw.decode(encoding), raw
        except UnicodeDecodeError:
            continue
    return n, raw.decode("latin-1"), raw  # defines every byte that cp1252 leaves undefined


def oversized(path: str, line: int, raw: str) -> Reject | None:
    """The reject for a record over MAX_RECORD_BYTES (no paper is that long, and reading it
    would take minutes), its raw text cut to LONG_LINE_KEEP; None for any other record."""
    if len(raw) <= MAX_RECORD_BYTES // 4 or (size := len(raw.encode("utf-8"))) <= MAX_RECORD_BYTES:
        return None
    return Reject(
        path,
        line,
        raw[:LONG_LINE_KEEP],
        f"record is {size:,} bytes, over the {MAX_RECORD_BYTES:,}-byte limit for one record "
        f"(raw text cut to its first {LONG_LINE_KEEP:,} characters)",
    )


def joined(lines: list[Line]) -> str:
    """The lines as one text, for formats whose records span lines: each line as `legacy_text` reads it."""
    return "\n".join(legacy_text(*line)[1] for line in lines)


def line_of(text: str, offset: int) -> int:
    """The 1-based line of a character offset in `joined` text."""
    return text.count("\n", 0, offset) + 1

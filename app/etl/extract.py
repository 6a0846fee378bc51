"""Extract: read a dump file, detect its format, and yield raw records or rejects.

Nothing here repairs text; a record's fields are as the file states them. A
record that cannot be read becomes a `Reject` with its file, line and raw text,
and the rest of the file still loads.
"""
from __future__ import annotations

import codecs
import json
import re
from pathlib import Path
from typing import Iterator

from app.etl.records import Record, Reject

PROFILE, ABSTRACTS, JSONL = "profile", "abstracts", "jsonl"
ABSTRACT_PREFIX = re.compile(r"^\s*abstract\s*:\s?", re.IGNORECASE)
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
# Longest owner line we accept as `Family, Given` on line 1 of a profile dump.
MAX_OWNER_LENGTH = 120
# Author-list lines: a comma every few words. Titles rarely have commas; prose has sentences.
AUTHOR_LINE_MAX_WORDS_PER_TOKEN = 5
# A line this short with no sentence break can be a title; abstracts are longer prose.
MAX_TITLE_LENGTH = 300
# A line longer than this is not one paper (abstracts run to a few KiB) but a file whose
# newlines were lost, or a full text: it is rejected unread, so it cannot eat memory or time.
MAX_LINE_BYTES = 1024 * 1024
# An over-long line's reject keeps this much of it as its raw text (as whole-file rejects do).
LONG_LINE_KEEP = 64 * 1024
# JSON Lines `year`: four digits. 0, 1e400 or a timestamp there is a mistake, not a year.
YEARS = range(1000, 3000)
# json.loads turns a lone `\ud800` escape into a surrogate, which is not a character and
# cannot be stored as UTF-8.
SURROGATE = re.compile("[\ud800-\udfff]")


class FileRejected(Exception):
    """The whole file cannot be read (binary, undecodable, unknown format, empty)."""


def decode(data: bytes) -> list[tuple[int, str | None, bytes]]:
    """Split bytes into (line number, text or None if undecodable or too long, raw bytes) per line.

    Lines end in LF or CRLF, or in CR alone when the file has no LF at all (old Mac tools).
    """
    if not data.strip():
        raise FileRejected("file is empty")
    codec = "utf-16" if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) else _utf16_without_bom(data)
    if codec:
        return _utf16_lines(data, codec)
    if _is_binary(data[:SNIFF_BYTES]):
        raise FileRejected("file is binary, not a text dump")
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    lines = []
    undecodable = 0
    for n, raw in enumerate(data.split(_line_end(data, b"\n", b"\r")), 1):
        raw = raw.rstrip(b"\r")
        if len(raw) > MAX_LINE_BYTES:
            lines.append((n, None, raw))
            continue
        try:
            lines.append((n, raw.decode("utf-8"), raw))
        except UnicodeDecodeError:
            undecodable += 1
            lines.append((n, None, raw))
    text_lines = sum(1 for _, _, raw in lines if raw.strip())  # blank lines say nothing of the encoding
    if undecodable and undecodable > text_lines // 2:
        raise FileRejected(f"not UTF-8 or UTF-16 text ({undecodable} of {text_lines} lines undecodable)")
    return lines


def _utf16_lines(data: bytes, codec: str) -> list[tuple[int, str | None, bytes]]:
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
    text, not control characters.
    """
    head = data[:SNIFF_BYTES]
    for codec, high, low in (("utf-16-le", head[1::2], head[0::2]), ("utf-16-be", head[0::2], head[1::2])):
        if len(high) >= 2 and high.count(0) >= UTF16_HIGH_NULS * len(high) and low.count(0) <= UTF16_LOW_NULS * len(low):
            # Incremental: the sniffed bytes may end inside a character.
            text = codecs.getincrementaldecoder(codec)(errors="replace").decode(head, final=False)
            return codec if not _is_binary(text.encode("utf-8")) else None
    return None


def _is_binary(head: bytes) -> bool:
    """Whether a file's first bytes hold too many control bytes, spread over most lines."""
    if len(head) - len(head.translate(None, CONTROL_BYTES)) <= BINARY_CONTROL_SHARE * len(head):
        return False
    lines = [line for line in head.split(_line_end(head, b"\n", b"\r")) if line.strip()]
    return 2 * sum(len(line.translate(None, CONTROL_BYTES)) < len(line) for line in lines) > len(lines)


def sniff(lines: list[tuple[int, str | None, bytes]]) -> str:
    """Detect the format from the first lines: JSON Lines, abstracts dump or profile dump."""
    first = [text for _, text, _ in lines if text is not None and text.strip()][:5]
    if not first:
        raise FileRejected("file has no text lines")
    if first[0].lstrip().startswith("{"):
        return JSONL
    if 2 * sum(bool(ABSTRACT_PREFIX.match(t)) for t in first) >= len(first):
        return ABSTRACTS
    owner = first[0].strip()
    if owner.count(",") == 1 and len(owner) <= MAX_OWNER_LENGTH and len(first) >= 2:
        return PROFILE
    raise FileRejected("unrecognised format: expected a profile dump, an abstracts dump or JSON Lines")


def extract(path: str | Path, data: bytes | None = None) -> tuple[str, Iterator[Record | Reject]]:
    """Return the file's format and an iterator of its records and rejects."""
    path = str(path)
    lines = decode(Path(path).read_bytes() if data is None else data)
    fmt = sniff(lines)
    parser = {PROFILE: _profile, ABSTRACTS: _abstracts, JSONL: _jsonl}[fmt]
    return fmt, parser(path, lines)


def _unreadable(path: str, n: int, raw: bytes) -> Reject:
    """The reject for a line `decode` gave no text for: too long, or not UTF-8."""
    if len(raw) > MAX_LINE_BYTES:
        return Reject(path, n, raw[:LONG_LINE_KEEP].decode("utf-8", "backslashreplace"),
                      f"line is {len(raw):,} bytes, over the {MAX_LINE_BYTES:,}-byte limit for one record "
                      f"(raw text cut to its first {LONG_LINE_KEEP:,} bytes)")
    return Reject(path, n, raw.decode("utf-8", "backslashreplace"), "line is not valid UTF-8")


def _abstracts(path: str, lines) -> Iterator[Record | Reject]:
    for n, text, raw in lines:
        if text is None:
            yield _unreadable(path, n, raw)
        elif not text.strip():
            continue
        elif not (m := ABSTRACT_PREFIX.match(text)):
            yield Reject(path, n, text, "line does not start with 'Abstract:'")
        elif not text[m.end():].strip():
            yield Reject(path, n, text, "abstract is empty")
        else:
            yield Record(file=path, line=n, raw=text, abstract=text[m.end():])


def looks_like_author_list(text: str) -> bool:
    """True for a flat `Family, Given, Family, Given` line; False for titles and prose."""
    tokens = [t.strip() for t in text.split(",")]
    if len(tokens) < 2:
        return False
    short = sum(len(t.split()) <= AUTHOR_LINE_MAX_WORDS_PER_TOKEN for t in tokens)
    return short == len(tokens) and len(text) < 40 * len(tokens)


def _profile(path: str, lines) -> Iterator[Record | Reject]:
    # Drop blank lines at the end only: inside the file a blank line is an empty field.
    while lines and lines[-1][1] is not None and not lines[-1][1].strip():
        lines = lines[:-1]
    if lines[0][1] is None:
        yield _unreadable(path, lines[0][0], lines[0][2])
    owner = (lines[0][1] or "").strip()
    body = lines[1:]
    i = 0
    while i < len(body):
        chunk = body[i:i + 3]
        bad = next((n for n, text, _ in chunk if text is None), None)
        if bad is not None:
            # Records are positional: an unreadable line spoils its whole triplet, and
            # skipping the triplet keeps the next record in step.
            for n, text, raw in chunk:
                yield _unreadable(path, n, raw) if text is None else Reject(
                    path, n, text, f"record broken by line {bad}, which cannot be read")
            i += len(chunk)
            continue
        raw = "\n".join(text for _, text, _ in chunk)
        start = chunk[0][0]
        if len(chunk) < 3:
            yield Reject(path, start, raw, f"profile record cut off: {len(chunk)} of 3 lines (title, authors, abstract)")
            break
        (_, title, _), (_, authors, _), (_, abstract, _) = chunk
        nxt = body[i + 3][1] if i + 3 < len(body) else None
        problem = _misplaced_line(title, authors, abstract, nxt)
        if problem:
            # Reject the two lines we can vouch for and resynchronise on the third.
            yield Reject(path, start, "\n".join([title, authors]), f"profile record has {problem}")
            i += 2
            continue
        yield Record(file=path, line=start, raw=raw, title=title, authors_flat=authors,
                     abstract=abstract, profile_owner=owner)
        i += 3


def _misplaced_line(title: str, authors: str, abstract: str, nxt: str | None) -> str | None:
    """Say which line a title/authors/abstract triplet lacks, if its lines are out of step."""
    if not looks_like_author_list(authors):
        return "no title line" if looks_like_author_list(title) else "no author line"
    if nxt is not None and looks_like_author_list(nxt) and len(abstract) <= MAX_TITLE_LENGTH and ". " not in abstract:
        # The next title sits where the abstract belongs, and its authors follow.
        return "no abstract line"
    return None


JSONL_FIELDS = ("title", "abstract", "venue", "doi", "arxiv_id", "url", "source_id")


def _jsonl(path: str, lines) -> Iterator[Record | Reject]:
    for n, text, raw in lines:
        if text is None:
            yield _unreadable(path, n, raw)
            continue
        if not text.strip():
            continue
        try:
            yield _jsonl_record(path, n, text)
        except ValueError as e:
            yield Reject(path, n, text, str(e))


def _jsonl_record(path: str, n: int, text: str) -> Record:
    try:
        # strict=False: a raw tab or NUL inside a string is a sloppy export, not a broken
        # record; the clean stage removes it like any control character.
        obj = json.loads(text, strict=False)
    except json.JSONDecodeError as e:
        raise ValueError(f"invalid JSON: {e.msg} at column {e.colno}") from None
    except RecursionError:
        raise ValueError("invalid JSON: nested too deeply") from None
    if not isinstance(obj, dict):
        raise ValueError("JSON line is not an object")
    fields = {}
    for key in JSONL_FIELDS:
        value = obj.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, (str, int))):
            raise ValueError(f"field {key!r} must be a string")
        fields[key] = None if value is None else str(value)
    authors = _jsonl_authors(obj)
    strings = [*fields.values(), *(part for pair in authors for part in pair)]
    # The line itself is valid UTF-8 or UTF-16, so only a `\u` escape can make a surrogate.
    if "\\u" in text and any(s and SURROGATE.search(s) for s in strings):
        raise ValueError("text has a lone UTF-16 surrogate escape (like \\ud800), which is not a character")
    return Record(file=path, line=n, raw=text, year=_jsonl_year(obj.get("year")), author_pairs=authors, **fields)


def _jsonl_year(value) -> int | None:
    if value is None:
        return None
    try:
        year = None if isinstance(value, bool) else int(value)
    except (TypeError, ValueError, OverflowError):
        year = None
    if year not in YEARS:
        raise ValueError(f"field 'year' is not a year: {value!r}")
    return year


def _jsonl_authors(obj: dict) -> tuple[tuple[str, str | None], ...]:
    authors = obj.get("authors_parsed") or obj.get("authors") or []
    if not isinstance(authors, list):
        raise ValueError("field 'authors' must be a list")
    pairs = []
    for a in authors:
        if isinstance(a, str):
            family, _, given = a.partition(",")
            pairs.append((family.strip(), given.strip() or None))
        elif isinstance(a, dict) and all(isinstance(a.get(k), (str, type(None))) for k in ("family", "given")):
            pairs.append(((a.get("family") or "").strip(), (a.get("given") or "").strip() or None))
        elif isinstance(a, list) and 1 <= len(a) <= 2 and all(isinstance(x, str) for x in a):
            pairs.append((a[0].strip(), (a[1].strip() or None) if len(a) > 1 else None))
        else:
            raise ValueError(f"author {a!r} is neither 'Family, Given' nor {{family, given}}")
    return tuple(pairs)

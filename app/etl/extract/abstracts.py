"""Abstracts dump: one paper per line, `Abstract:` then the text."""

from __future__ import annotations

import re
from collections.abc import Iterator

from app.etl.extract.source import Source
from app.etl.extract.text import unreadable
from app.text.records import Record, Reject

FORMAT = "abstracts"
ABSTRACT_PREFIX = re.compile(r"^\s*abstract\s*:\s?", re.IGNORECASE)


def fits(texts: list[str]) -> bool:
    """Whether at least half of these non-blank lines start with `Abstract:`."""
    return 2 * sum(bool(ABSTRACT_PREFIX.match(t)) for t in texts) >= len(texts)


def read(source: Source) -> Iterator[Record | Reject]:
    """One abstract-only record per line."""
    path = source.path
    for n, text, raw in source.lines:
        if text is None:
            yield unreadable(path, n, raw)
        elif not text.strip():
            continue
        elif not (m := ABSTRACT_PREFIX.match(text)):
            yield Reject(path, n, text, "line does not start with 'Abstract:'")
        elif not text[m.end() :].strip():
            yield Reject(path, n, text, "abstract is empty")
        else:
            yield Record(file=path, line=n, raw=text, abstract=text[m.end() :])

"""The query-text rules: what a typed search means to FTS5, and the errors a search can cause."""

from __future__ import annotations

import re
import sqlite3

from app.search.bm25 import SEARCH_COLUMNS

# Something FTS5's unicode61 tokenizer keeps as a token character (letters and digits;
# not `_`, which it treats as a separator).
WORD = re.compile(r"[^\W_]")
# Shortest prefix a plain query may end in `*`: `a*` would merge the postings of every word
# starting with `a` (FTS5 merges the postings of the words a prefix starts).
PREFIX_MIN_LEN = 2


class QueryError(ValueError):
    """A query paperdb cannot run; the message says what to change."""


def phrases(text: str) -> list[tuple[str, bool]]:
    """The plain words of user text as (word, is a prefix), dropping tokens FTS5 would find no word in.

    A word typed twice counts once: all words must match anyway, and FTS5 would score the
    repeat twice and rank it in full (a common word's list serves one word only).
    """
    found: dict[tuple[str, bool], tuple[str, bool]] = {}
    for token in text.replace("\x00", " ").split():
        word = token.rstrip("*")
        if WORD.search(word):
            prefix = word != token and len(word) >= PREFIX_MIN_LEN
            found.setdefault((word.lower(), prefix), (word, prefix))  # as FTS5 folds case (`Straße` is not `strasse`)
    return list(found.values())


def fts_query_of(words: list[tuple[str, bool]]) -> str:
    """(word, is a prefix) pairs as FTS5 phrases, all of which must match."""
    return " ".join('"' + word.replace('"', '""') + '"' + ("*" if prefix else "") for word, prefix in words)


def fts_query_any(text: str) -> str:
    """User text as an FTS5 query of its plain words, any of which may match ("" if none)."""
    return " OR ".join(fts_query_of([word]) for word in phrases(text))


def fts_query(text: str) -> str:
    """User text as an FTS5 query of plain words: every token quoted, all must match.

    A trailing `*` keeps its meaning (`verif*` matches words starting with `verif`) after
    at least PREFIX_MIN_LEN characters; every other character is literal.
    """
    words = phrases(text)
    if not words:
        raise QueryError(f"empty query {text!r}: give at least one word to search for")
    return fts_query_of(words)


def fts_error(text: str, error: sqlite3.OperationalError) -> QueryError | None:
    """A clear QueryError for an FTS5 error in a raw query; None if it is not one."""
    # SQLite quotes what follows a bad token, control characters and all: escape them to keep one line.
    message = re.sub(r"[\x00-\x1f\x7f]", lambda m: repr(m.group())[1:-1], str(error))
    column = re.match(r"no such column: (.+)", message)
    if column:
        return QueryError(
            f"unknown column {column.group(1)!r} in search {text!r}: the columns are {', '.join(SEARCH_COLUMNS)}"
        )
    if message.startswith(("fts5:", "unknown special query", "unterminated string")):
        return QueryError(
            f"invalid search syntax in {text!r} ({message}); without raw mode the words are searched as plain words"
        )
    return None

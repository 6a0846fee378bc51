"""The search text: one row per paper in the view `paper_search` (title, author labels,
abstracts), which `paper_search_fts` indexes. The labels are stored in `search_authors`,
written here by the import."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from itertools import groupby
from operator import itemgetter

from app.db import chunked, placeholders
from app.text.names import SPECIAL_LETTERS


def _author_label(display: str, mention: str) -> str:
    """An author as the search index holds it: every form a reader may type.

    The display name, the paper's own spelling when it differs (`William Fedus (Liam
    Fedus)`), and letters FTS5 cannot fold spelled plainly (`Łukasz` also as `Lukasz`:
    remove_diacritics only strips combining accents, and Ł has none).
    """
    if display.isascii() and mention.isascii():  # most names: nothing to spell plainly
        return display if display == mention else f"{display} ({mention})"
    forms = dict.fromkeys([display, mention, display.translate(SPECIAL_LETTERS), mention.translate(SPECIAL_LETTERS)])
    first, *others = forms
    return f"{first} ({'; '.join(others)})" if others else first


def refresh_search(conn: sqlite3.Connection, paper_ids: set[int], held_back: int | None = None) -> None:
    """Store these papers' author labels where they changed. The rest of their search text is
    read from `papers` and `abstracts`, and the triggers of migration 0020 keep the index in
    step with all three.

    Papers above `held_back` are skipped: a bulk load's, whose index waits for the end of
    the run (`index.held_back`); `write_labels` writes theirs once, when it is built.
    """
    if held_back is not None:
        paper_ids = {p for p in paper_ids if p <= held_back}
    for chunk in chunked(sorted(paper_ids)):
        marks = placeholders(chunk)
        # Every paper still there: one whose authors are all gone keeps no labels.
        wanted = dict.fromkeys((r[0] for r in conn.execute(f"SELECT id FROM papers WHERE id IN ({marks})", chunk)), "")
        wanted.update(_labels(conn, f"s.paper_id IN ({marks})", chunk))
        stored = dict(conn.execute(f"SELECT paper_id, authors FROM search_authors WHERE paper_id IN ({marks})", chunk))
        conn.executemany(
            "DELETE FROM search_authors WHERE paper_id = ?", [(pid,) for pid in stored if not wanted.get(pid)]
        )
        conn.executemany(
            "UPDATE search_authors SET authors = ? WHERE paper_id = ?",
            [(text, pid) for pid, text in wanted.items() if text and pid in stored and stored[pid] != text],
        )
        conn.executemany(
            "INSERT INTO search_authors (paper_id, authors) VALUES (?, ?)",
            [(pid, text) for pid, text in wanted.items() if text and pid not in stored],
        )


def write_labels(conn: sqlite3.Connection, above: int) -> None:
    """Store the author labels of every paper above this id, in one pass in paper order: a bulk
    load's, once resolution has settled its authors, rather than once per file and again per
    resolution batch that moves one of its authors (about three times a paper at 1M papers)."""
    conn.execute("DELETE FROM search_authors WHERE paper_id > ?", (above,))
    conn.executemany(
        "INSERT INTO search_authors (paper_id, authors) VALUES (?, ?)", _labels(conn, "s.paper_id > ?", (above,))
    )


def _labels(conn: sqlite3.Connection, where: str, params: Sequence) -> Iterator[tuple[int, str]]:
    """(paper id, its authors' labels in order) for the papers with authors that `where`
    (on `authorships s`) picks, in paper order."""
    rows = conn.execute(
        f"SELECT s.paper_id, a.name, s.name FROM authorships s JOIN authors a ON a.id = s.author_id "
        f"WHERE {where} ORDER BY s.paper_id, s.position",
        params,
    )
    for paper_id, authors in groupby(rows, key=itemgetter(0)):
        yield paper_id, ", ".join(_author_label(display, mention) for _, display, mention in authors)

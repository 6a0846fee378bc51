"""The search rows: one row per paper in `paper_search` (title, authors, abstracts), which
`paper_search_fts` indexes. The import rewrites a paper's row whenever any of them changes."""

from __future__ import annotations

import sqlite3

from app.db import chunked, placeholders
from app.text.names import SPECIAL_LETTERS


def _author_label(display: str, mention: str) -> str:
    """An author as the search index holds it: every form a reader may type.

    The display name, the paper's own spelling when it differs (`William Fedus (Liam
    Fedus)`), and letters FTS5 cannot fold spelled plainly (`Łukasz` also as `Lukasz`:
    remove_diacritics only strips combining accents, and Ł has none).
    """
    forms = dict.fromkeys([display, mention, display.translate(SPECIAL_LETTERS), mention.translate(SPECIAL_LETTERS)])
    first, *others = forms
    return f"{first} ({'; '.join(others)})" if others else first


def refresh_search(conn: sqlite3.Connection, paper_ids: set[int]) -> None:
    """Rewrite the combined search rows of these papers (title, authors in order, abstracts)."""
    for chunk in chunked(sorted(paper_ids)):
        marks = placeholders(chunk)
        titles = dict(conn.execute(f"SELECT id, title FROM papers WHERE id IN ({marks})", chunk).fetchall())
        authors: dict[int, list[str]] = {pid: [] for pid in titles}
        for pid, display, mention in conn.execute(
            f"SELECT s.paper_id, a.name, s.name FROM authorships s JOIN authors a ON a.id = s.author_id "
            f"WHERE s.paper_id IN ({marks}) ORDER BY s.paper_id, s.position",
            chunk,
        ):
            authors[pid].append(_author_label(display, mention))
        abstracts: dict[int, list[str]] = {pid: [] for pid in titles}
        for pid, text in conn.execute(
            f"SELECT paper_id, text FROM abstracts WHERE paper_id IN ({marks}) ORDER BY paper_id, text_key", chunk
        ):
            abstracts[pid].append(text)
        conn.executemany(
            "INSERT INTO paper_search (paper_id, title, authors, abstract) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (paper_id) DO UPDATE SET title = excluded.title, authors = excluded.authors, "
            "abstract = excluded.abstract WHERE paper_search.title IS NOT excluded.title "
            "OR paper_search.authors IS NOT excluded.authors OR paper_search.abstract IS NOT excluded.abstract",
            [(pid, titles[pid], ", ".join(authors[pid]), "\n\n".join(abstracts[pid]) or None) for pid in titles],
        )

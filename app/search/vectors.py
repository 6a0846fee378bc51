"""Keeping `paper_vectors` current: the import embeds the papers whose title or abstracts changed.

Runs at the end of an import, only when the embedding model is installed (`embedding.available()`).
A paper is embedded again only when the hash of its text differs from the one its vector was made
from. Which papers to check: those this run changed and those without a vector; every paper when
the model differs from the one recorded (all are embedded again), or when a run since the last one
embedded none (killed, or run without the extra). Deleted papers lose their vectors by cascade.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from app.db import chunked, placeholders, write_transaction
from app.search import embedding

# Papers embedded and written per transaction: a killed import keeps what it wrote.
VECTOR_BATCH = 2048


@dataclass
class VectorRefresh:
    """What bringing the vectors up to date did."""

    checked: int = 0  # papers whose text hash was compared
    embedded: int = 0  # papers given a new vector
    everything: bool = False  # every paper was checked (a new model, or a run missed)


def update_vectors(
    conn: sqlite3.Connection,
    changed: Iterable[int],
    run_id: int,
    step: Callable[[int, int], None] = lambda done, total: None,
) -> VectorRefresh:
    """Embed the papers whose text changed (`changed` by this run, or without a vector, or every
    paper when needed: see the module); record the model and the run. `step(done, total)` hears progress."""
    model = embedding.model_id()
    state = conn.execute("SELECT model, run_id FROM vector_model WHERE id = 1").fetchone()
    refresh = VectorRefresh()
    with write_transaction(conn):
        if state is None or state["model"] != model:
            conn.execute("DELETE FROM paper_vectors")
            refresh.everything = True
        else:
            missed = conn.execute(
                "SELECT count(*) FROM import_runs WHERE id > ? AND id < ?", (state["run_id"], run_id)
            ).fetchone()[0]
            refresh.everything = missed > 0
        # The run is recorded once its papers are embedded; until then a new model is recorded
        # with the run before, so an import cut short checks every paper next time.
        conn.execute(
            "INSERT INTO vector_model (id, model, dimensions, run_id) VALUES (1, ?, ?, ?) "
            "ON CONFLICT (id) DO UPDATE SET model = excluded.model, dimensions = excluded.dimensions",
            (model, embedding.DIMENSIONS, 0 if state is None else state["run_id"]),
        )
    if refresh.everything:
        todo = [r[0] for r in conn.execute("SELECT id FROM papers ORDER BY id")]
    else:
        missing = conn.execute("SELECT id FROM papers WHERE id NOT IN (SELECT paper_id FROM paper_vectors)").fetchall()
        todo = sorted(set(changed) | {r[0] for r in missing})
    for chunk in chunked(todo, VECTOR_BATCH):
        stale = _stale_texts(conn, chunk)
        refresh.checked += len(chunk)
        refresh.embedded += len(stale)
        if stale:
            vectors = embedding.encode(embedding.embed([text for _, _, text in stale]))
            with write_transaction(conn):
                conn.executemany(
                    "INSERT INTO paper_vectors (paper_id, text_hash, vector, scale) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT (paper_id) DO UPDATE SET text_hash = excluded.text_hash, "
                    "vector = excluded.vector, scale = excluded.scale",
                    [(pid, digest, blob, scale) for (pid, digest, _), (blob, scale) in zip(stale, vectors)],
                )
        step(refresh.checked, len(todo))
    with write_transaction(conn):
        conn.execute("UPDATE vector_model SET run_id = ? WHERE id = 1", (run_id,))
    return refresh


def _stale_texts(conn: sqlite3.Connection, paper_ids: list[int]) -> list[tuple[int, int, str]]:
    """(paper id, text hash, text) of those of these papers whose vector is missing or from another text."""
    stale = []
    for pid, title, abstract, stored in conn.execute(
        "SELECT s.paper_id, s.title, s.abstract, v.text_hash FROM paper_search s "
        f"LEFT JOIN paper_vectors v ON v.paper_id = s.paper_id WHERE s.paper_id IN ({placeholders(paper_ids)})",
        paper_ids,
    ):
        text = embedding.paper_text(title, abstract)
        digest = embedding.text_hash(text)
        if digest != stored:
            stale.append((pid, digest, text))
    return stale

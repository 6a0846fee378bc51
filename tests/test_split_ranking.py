"""A large search is ranked in two halves of the paper ids at once; the page is the one a single ranking gives."""

from __future__ import annotations

import sys
import threading
from pathlib import Path

import pytest

from app.db import connect, write_transaction
from app.query import PaperDB
from app.search import ranker
from tests.conftest import copied, query, searched


@pytest.fixture
def split(monkeypatch):
    """Every search of the sample is large enough to split."""
    monkeypatch.setattr(ranker, "SPLIT_MIN_MATCHES", 0)


def ranked(pdb: PaperDB, text: str, **kwargs) -> tuple[list, list[str]]:
    """(paper id, score) of each hit, and the ranking statements run on the caller's connection."""
    hits, statements = searched(pdb, text, **kwargs)
    return [(h["paper_id"], h["score"]) for h in hits], [sql for sql in statements if "bm25(" in sql]


def middle(db) -> int:
    [(lo, hi)] = query(db, "SELECT min(id), max(id) FROM paper_search_fts_docsize")
    return (lo + hi) // 2


@pytest.mark.parametrize(
    "text, kwargs",
    [
        ("model", {}),
        ("model", {"limit": 3, "offset": 2}),
        ("model", {"limit": 4, "offset": 11}),  # the last page, past the end of one half
        ("language models", {"limit": 5}),
        ("verif* OR language OR reinforcement", {"raw": True}),
        ("model", {"limit": 2**63 - 1, "offset": 2}),  # offset + limit is beyond SQLite's integers
    ],
)
def test_the_halves_merge_into_the_page_of_one_ranking(samples_db, monkeypatch, text, kwargs):
    with PaperDB(samples_db) as pdb:
        expected, statements = ranked(pdb, text, **kwargs)
        assert expected and not any("rowid <=" in sql for sql in statements)
        monkeypatch.setattr(ranker, "SPLIT_MIN_MATCHES", 0)
        hits, statements = ranked(pdb, text, **kwargs)
    assert hits == expected
    assert [sql for sql in statements if "rowid <=" in sql] and not [sql for sql in statements if "rowid >" in sql]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"author": "John Schulman"},
        {"year_from": 1990},
        {"limit": 0, "offset": 3},
    ],
)
def test_a_search_filtered_by_other_tables_or_empty_is_not_split(samples_db, split, kwargs):
    # The second connection's snapshot is checked against the index only: authorships and
    # papers (years) can change without the index changing.
    with PaperDB(samples_db) as pdb:
        hits, statements = ranked(pdb, "model", **kwargs)
    assert statements and not [sql for sql in statements if "rowid <=" in sql]
    assert len(hits) == {"author": 9, "year_from": 0, "limit": 0}[next(iter(kwargs))]


def test_both_halves_hold_papers_of_the_page(samples_db, split):
    # `model` is in 12 of the 16 papers: its first page takes from either side of the middle.
    with PaperDB(samples_db) as pdb:
        hits, _ = ranked(pdb, "model", limit=10)
    ids = [paper_id for paper_id, _ in hits]
    assert len(ids) == 10 and min(ids) <= middle(samples_db) < max(ids)
    assert [score for _, score in hits] == sorted((score for _, score in hits), reverse=True)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads the process's memory maps from /proc")
def test_both_connections_read_the_database_through_a_memory_map(samples_db, split):
    def maps() -> int:
        suffix = " " + str(Path(samples_db).resolve())
        return sum(line.endswith(suffix) for line in Path("/proc/self/maps").read_text().splitlines())

    before = maps()  # other tests' connections may still be open
    with PaperDB(samples_db) as pdb:
        ranked(pdb, "model")  # a split search: the caller's connection and the second one read
        assert maps() == before + 2
    assert maps() == before


def test_a_commit_between_the_two_reads_leaves_the_caller_to_rank_both_halves(samples_db, tmp_path, split):
    # The second connection starts its read after an import committed a change to the index:
    # its half is of another index, so the caller ranks that half too, in its own snapshot.
    db = copied(samples_db, tmp_path / "papers.db")
    writer = connect(db)
    [(last,)] = query(db, "SELECT max(paper_id) FROM paper_search")

    def commit_before_the_split(sql: str) -> None:
        if "min(id) FROM paper_search_fts_docsize" in sql and not writer.in_transaction:
            with write_transaction(writer):
                writer.execute(
                    "UPDATE papers SET title = 'Process supervision for process supervision' WHERE id = ?",
                    (last,),
                )

    with PaperDB(db) as pdb:
        before, _ = ranked(pdb, "process supervision", limit=3)
        statements = []
        pdb.conn.set_trace_callback(lambda sql: (commit_before_the_split(sql), statements.append(sql)))
        during = [(h.paper_id, h.score) for h in pdb.search("process supervision", limit=3)]
        pdb.conn.set_trace_callback(None)
        after = pdb.search("process supervision", limit=3)
    writer.close()
    assert during == before and last not in [paper_id for paper_id, _ in before]
    assert [sql for sql in statements if "bm25(" in sql and "rowid >" in sql]  # the upper half, ranked here
    assert after[0].paper_id == last


def test_closing_ends_the_second_connections_thread(samples_db, split):
    def rank_threads() -> list:
        return [t for t in threading.enumerate() if t.name.startswith("paperdb-rank")]

    assert not rank_threads()
    pdb = PaperDB(samples_db)
    pdb.search("model")
    assert len(rank_threads()) == 1
    pdb.close()
    assert not rank_threads()
    pdb.close()  # closing again does nothing

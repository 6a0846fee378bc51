"""Upgrades keep the data: a database built at every earlier revision migrates to head intact."""

from __future__ import annotations

import json
import sqlite3
import subprocess
from contextlib import closing
from functools import partial

import pytest
from alembic.script import ScriptDirectory

from app.db import _alembic_config, connect, current_revision, head_revision, migrate, write_transaction
from app.etl import load_authors
from app.etl.load import run_import
from app.etl.resolve import RULES_VERSION, Overrides
from app.query import PaperDB
from app.search import lists as search_lists
from app.search.index import index_deferred
from tests.conftest import ABSTRACTS_DUMP, ROOT, SAMPLES, copied, query, searched

EARLIER = [r.revision for r in ScriptDirectory.from_config(_alembic_config()).walk_revisions()][1:]
NOW = "2026-01-01T00:00:00+00:00"


def fill(db) -> None:
    """Rows in the base tables of the first revision, written with plain SQL as an old paperdb would."""
    conn = sqlite3.connect(db)
    conn.executescript(f"""
        INSERT INTO import_runs (id, started_at, status) VALUES (1, '{NOW}', 'ok');
        INSERT INTO source_files (id, path, content_hash, format, size, run_id, loaded_at)
            VALUES (1, '/dumps/a.txt', 'abc', 'profile', 10, 1, '{NOW}');
        INSERT INTO papers (id, title, title_key, year, created_at, updated_at)
            VALUES (1, 'Process Supervision Verified', 'process supervision verified', 2023, '{NOW}', '{NOW}');
        INSERT INTO authors (id, name, family_name, given_name, block_key, paper_count, created_at, updated_at)
            VALUES (1, 'Łukasz Kaiser', 'Kaiser', 'Łukasz', 'kaiser', 1, '{NOW}', '{NOW}');
        INSERT INTO author_names (author_id, name, family_name, given_name, count) VALUES (1, 'Łukasz Kaiser', 'Kaiser', 'Łukasz', 1);
        INSERT INTO authorships (paper_id, author_id, position, raw_name, name, family_name, given_name, block_key)
            VALUES (1, 1, 1, 'Kaiser, ลukasz', 'Łukasz Kaiser', 'Kaiser', 'Łukasz', 'kaiser');
        INSERT INTO abstracts (paper_id, text, text_key, head_key, tail_key)
            VALUES (1, 'We verify every reasoning step.', 'k1', 'h1', 't1');
        INSERT INTO paper_search (paper_id, title, authors, abstract)
            VALUES (1, 'Process Supervision Verified', 'Łukasz Kaiser', 'We verify every reasoning step.');
        INSERT INTO paper_sources (paper_id, file_id, line, record_hash, record) VALUES (1, 1, 2, 'h', '{{}}');
    """)
    conn.close()


def columns(db, table: str) -> list[str]:
    return [name for _, name, *_ in query(db, f"PRAGMA table_info({table})")]


# A source record in full, its abstract read from the `abstracts` row it names (0017) if it does.
FULL_RECORD = (
    "json_remove(json_set(record, '$.abstract', coalesce(record ->> '$.abstract', (SELECT text FROM abstracts a "
    "WHERE a.paper_id = paper_sources.paper_id AND a.text_key = record ->> '$.abstract_key'))), '$.abstract_key')"
)


def rows(db, table: str, names: list[str]) -> list[tuple]:
    """The table's rows in the columns `names` (those it had before an upgrade added any),
    source records in full."""
    columns = [FULL_RECORD if (table, name) == ("paper_sources", "record") else name for name in names]
    return query(db, f"SELECT {', '.join(columns)} FROM {table} ORDER BY 1")


@pytest.mark.parametrize("revision", EARLIER)
def test_a_database_at_an_earlier_revision_upgrades_with_its_data(tmp_path, revision):
    db = tmp_path / "old.db"
    migrate(db, "0001")
    fill(db)
    migrate(db, revision)
    names = {t: columns(db, t) for t in ("papers", "authors", "authorships", "abstracts")}
    before = {t: rows(db, t, names[t]) for t in names}
    migrate(db)
    assert current_revision(db) == head_revision()
    assert {t: rows(db, t, names[t]) for t in before} == before
    # Columns added since come with their default: the ORCIDs of 0015 are not known.
    assert query(db, "SELECT orcid FROM authors UNION ALL SELECT orcid FROM authorships") == [(None,), (None,)]
    # Spellings get the keys author lookup reads them by (0019), from the spelling itself.
    assert query(db, "SELECT block_key, first_token, later_tokens FROM author_names") == [("kaiser", "lukasz", None)]
    with PaperDB(db) as pdb:
        assert pdb.author("L. Kaiser").author.name == "Łukasz Kaiser"
    assert query(db, "SELECT rowid FROM papers_fts WHERE papers_fts MATCH 'supervision'") == [(1,)]
    assert query(db, "SELECT rowid FROM authors_fts WHERE authors_fts MATCH 'kaiser'") == [(1,)]
    assert query(db, "SELECT rowid FROM paper_search_fts WHERE paper_search_fts MATCH 'kaiser'") == [(1,)]
    assert query(db, "SELECT rowid FROM paper_search_fts WHERE paper_search_fts MATCH 'abstract: verified'") == [(1,)]
    conn = sqlite3.connect(db)
    for fts in ("papers_fts", "authors_fts", "paper_search_fts"):
        conn.execute(f"INSERT INTO {fts}({fts}, rank) VALUES ('integrity-check', 1)")
    conn.close()


@pytest.mark.slow
def test_the_nightly_job_backs_up_before_migrating(tmp_path):
    db = tmp_path / "p.db"
    migrate(db, "0001")
    fill(db)
    (tmp_path / "incoming").mkdir()
    done = subprocess.run(
        [str(ROOT / "scripts" / "nightly-import"), "--incoming", str(tmp_path / "incoming"), "--db", str(db)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    [backup] = (tmp_path / "backups").glob("*.db")
    assert current_revision(backup) == "0001"
    assert query(backup, "SELECT title FROM papers") == [("Process Supervision Verified",)]
    assert current_revision(db) == head_revision()
    assert "schema migrated from 0001" in done.stderr


def test_the_search_index_rebuilt_without_prefix_indexes_finds_what_it_found(samples_db, tmp_path):
    db = copied(samples_db, tmp_path / "papers.db")
    searches = ["process supervision", "verif*", "lan*", "la*", "reinf* learn*", "Schulman"]
    migrate(db, "0009")
    assert current_revision(db) == "0009" and "prefix='2 3 4'" in index_sql(db)
    with PaperDB(db) as pdb:
        before = {text: [h.as_dict() for h in pdb.search(text)] for text in searches}
    assert all(before.values())
    # A bulk load cut short left its last paper to be indexed by the next import.
    [(last,)] = query(db, "SELECT max(paper_id) FROM paper_search")
    with closing(connect(db)) as conn, write_transaction(conn):
        for table, key in (("papers", "id"), ("abstracts", "id"), ("authors", "id"), ("paper_search", "paper_id")):
            conn.execute(
                f"INSERT INTO fts_deferred (table_name, upto) SELECT ?, max({key}) - (? = 'paper_search') FROM {table}",
                (table, table),
            )
    migrate(db)
    assert current_revision(db) == head_revision() and "prefix" not in index_sql(db)
    assert query(db, "SELECT count(*) FROM paper_search_fts_docsize WHERE id = ?", (last,)) == [(0,)]
    with closing(connect(db)) as conn:
        assert index_deferred(conn) == 1
        conn.execute("INSERT INTO paper_search_fts (paper_search_fts, rank) VALUES ('integrity-check', 1)")
    with PaperDB(db) as pdb:
        assert {text: [h.as_dict() for h in pdb.search(text)] for text in searches} == before


def index_sql(db) -> str:
    [(sql,)] = query(db, "SELECT sql FROM sqlite_master WHERE name = 'paper_search_fts'")
    return sql


INDEX_SQL = "SELECT name, sql FROM sqlite_master WHERE type = 'index' ORDER BY name"


def upgraded_from(db, revision: str, tables: tuple[str, ...], tmp_path, old_indexes) -> dict:
    """Downgrade `db` to `revision` (its indexes must be a new database's at that revision, and
    pass `old_indexes(names)`), then upgrade it; returns the tables' rows, checked unchanged,
    with the indexes checked to be a new database's at head."""
    migrate(db, revision)
    at_revision = tmp_path / f"at_{revision}.db"
    migrate(at_revision, revision)
    assert query(db, INDEX_SQL) == query(at_revision, INDEX_SQL)  # the downgrade restores the revision's indexes
    assert old_indexes({name for name, _ in query(db, INDEX_SQL)})
    names = {t: columns(db, t) for t in tables}
    before = {t: rows(db, t, names[t]) for t in tables}
    migrate(db)
    fresh = tmp_path / "fresh.db"
    migrate(fresh)
    assert query(db, INDEX_SQL) == query(fresh, INDEX_SQL)
    assert {t: rows(db, t, names[t]) for t in tables} == before
    return before


def test_the_matching_indexes_upgrade_keeps_the_data_and_matches_as_a_new_database(samples_db, tmp_path):
    db = copied(samples_db, tmp_path / "papers.db")
    tables = ("papers", "abstracts", "authorships", "author_names", "paper_sources")
    before = upgraded_from(
        db,
        "0010",
        tables,
        tmp_path,
        lambda names: "ix_abstracts_paper_id" in names and "ix_papers_untitled" not in names,
    )
    # The abstracts dump under another name: its abstract-only records find their papers through the new indexes.
    dump = tmp_path / "abstracts-again.txt"
    dump.write_bytes(ABSTRACTS_DUMP.read_bytes())
    report = run_import(db, [dump])
    assert (report.records_loaded, report.papers_added, report.papers_updated) == (9, 0, 9)  # each joins its paper
    assert query(db, "SELECT count(*) FROM papers") == [(len(before["papers"]),)]
    assert query(db, "SELECT count(*) FROM paper_sources") == [(len(before["paper_sources"]) + 9,)]


def test_the_postings_upgrade_keeps_searching_and_the_next_import_writes_them(samples_db, tmp_path, monkeypatch):
    db = copied(samples_db, tmp_path / "papers.db")
    searches = ["process supervision", "language models", "reinforcement learning human", "Schulman"]
    migrate(db, "0011")
    assert query(db, "SELECT count(*) FROM search_top_source") == [(1,)]  # no word is in 5,000 papers: no lists
    with PaperDB(db) as pdb:
        before = {text: [h.as_dict() for h in pdb.search(text)] for text in searches}
    assert all(before.values())
    migrate(db)
    # The lists' record is emptied: until the next import, FTS5 ranks every search.
    assert query(db, "SELECT count(*) FROM search_top_source") == [(0,)]
    assert query(db, "SELECT count(*) FROM search_postings") == [(0,)]
    with PaperDB(db) as pdb:
        assert {text: [h.as_dict() for h in pdb.search(text)] for text in searches} == before
    # The next import ranks lists and postings in full (words in 4+ of the 16 papers here).
    monkeypatch.setattr(
        search_lists, "refresh_search_top", partial(search_lists.refresh_search_top, min_papers=4, depth=5)
    )
    report = run_import(db, [])
    assert report.search_lists.kind == "full"
    (words,) = query(db, "SELECT count(*) FROM search_terms")[0]
    assert query(db, "SELECT count(DISTINCT term) FROM search_postings") == [(words,)] and words > 20
    with PaperDB(db) as pdb:
        after = {text: searched(pdb, text) for text in searches}
    # Words in over half of these 16 papers now only filter: scores move by millionths, the order not at all.
    assert {text: ranking(hits) for text, (hits, _) in after.items()} == {
        text: ranking(hits) for text, hits in before.items()
    }
    _, statements = after["reinforcement learning human"]
    # `learning` only filters; `reinforcement` and `human` rank, from their postings.
    assert sum("FROM search_postings WHERE term" in sql for sql in statements) == 2 and not any(
        "bm25(" in sql for sql in statements
    )


def ranking(hits: list[dict]) -> list[tuple]:
    return [(h["paper_id"], round(h["score"], 4)) for h in hits]


RESOLUTION_TABLES = ("authorships", "authors", "author_names", "paper_sources")


def test_the_resolution_indexes_upgrade_keeps_the_authors_and_resolution_reads_only_indexes(samples_db, tmp_path):
    db = copied(samples_db, tmp_path / "papers.db")
    tables = ("papers", "authors", "authorships", "author_names", "paper_sources", "author_candidates")
    before = upgraded_from(
        db,
        "0012",
        tables,
        tmp_path,
        lambda names: "ix_authorships_block_key" in names and "ix_authorships_block" not in names,
    )

    # Reading every block for resolution touches no table row of these tables: each statement's
    # plan reads them from a covering index.
    with closing(connect(db)) as conn:
        keys = [k for (k,) in conn.execute("SELECT DISTINCT block_key FROM authorships")]
        statements: list[str] = []
        conn.set_trace_callback(statements.append)
        batch = load_authors.read_batch(conn, keys, Overrides(), load_authors.PaperContext())
        conn.set_trace_callback(None)
        plans = {
            sql: [row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + sql)]
            for sql in statements
            if sql.lstrip().upper().startswith(("SELECT", "WITH"))
        }
    assert sum(len(rows) for _, rows, _ in batch.blocks) == len(before["authorships"])
    reads = [
        step
        for steps in plans.values()
        for step in steps
        if any(f" {table} " in f" {step} " for table in RESOLUTION_TABLES)
    ]
    assert {t for step in reads for t in RESOLUTION_TABLES if f" {t} " in f" {step} "} == set(RESOLUTION_TABLES)
    assert [step for step in reads if "COVERING INDEX" not in step] == []

    # Resolving every block again through the new indexes gives the same authors.
    with closing(connect(db)) as conn, write_transaction(conn):
        conn.execute("UPDATE resolver_rules SET version = version - 1")
    report = run_import(db, [])
    assert report.status == "ok" and query(db, "SELECT version FROM resolver_rules") == [(RULES_VERSION,)]
    at_0012 = tmp_path / "at_0012.db"
    assert {t: rows(db, t, columns(at_0012, t)) for t in ("authors", "authorships", "author_names")} == {
        t: before[t] for t in ("authors", "authorships", "author_names")
    }


def test_the_orcid_upgrade_keeps_the_authors_and_the_next_import_fills_them_in(samples_db, tmp_path):
    db = copied(samples_db, tmp_path / "papers.db")
    tables = ("authors", "authorships", "author_names", "author_merges")
    before = upgraded_from(
        db, "0014", tables, tmp_path, lambda names: "ix_authors_orcid" not in names and "ix_authors_block" in names
    )
    assert query(db, "SELECT count(*) FROM authors WHERE orcid IS NOT NULL") == [(0,)]
    # The next import resolves every block again (new rules) and keeps the authors as they were.
    assert run_import(db, []).status == "ok"
    at_0014 = tmp_path / "at_0014.db"
    assert {t: rows(db, t, columns(at_0014, t)) for t in ("authors", "authorships")} == {
        t: before[t] for t in ("authors", "authorships")
    }
    # A file naming an ORCID stores it on the mention and on its author.
    papers = tmp_path / "orcid.jsonl"
    author = {"family": "Schulman", "given": "John", "orcid": "https://orcid.org/0000-0002-1825-0097"}
    papers.write_text(json.dumps({"title": "Proximal Policy Optimization Revisited", "authors": [author]}) + "\n")
    assert run_import(db, [papers]).status == "ok"
    assert query(db, "SELECT name, orcid FROM authorships WHERE orcid IS NOT NULL") == [
        ("John Schulman", "0000-0002-1825-0097")
    ]
    [(papers_count,)] = query(db, "SELECT paper_count FROM authors WHERE orcid = '0000-0002-1825-0097'")
    assert papers_count > 1  # the samples' John Schulman, whose mentions carry no ORCID, joined it


def fts_tables(db) -> set[str]:
    return {name for (name,) in query(db, "SELECT name FROM sqlite_master WHERE sql LIKE 'CREATE VIRTUAL TABLE%fts5%'")}


def test_the_one_text_index_upgrade_drops_the_abstracts_index_and_searches_find_what_they_found(samples_db, tmp_path):
    db = copied(samples_db, tmp_path / "papers.db")
    searches = ["process supervision", "verif*", "lan*", "la*", "web browsing", "mely", "abstract: verifiers"]
    migrate(db, "0015")
    assert fts_tables(db) == {"papers_fts", "abstracts_fts", "authors_fts", "paper_search_fts"}
    assert "prefix='3'" in index_sql(db)
    with PaperDB(db) as pdb:
        before = {text: [h.as_dict() for h in pdb.search(text, raw=":" in text)] for text in searches}
    assert all(before.values())
    abstracts = query(db, "SELECT id, paper_id, text FROM abstracts ORDER BY id")
    migrate(db)
    assert fts_tables(db) == {"papers_fts", "authors_fts", "paper_search_fts"}
    assert "prefix" not in index_sql(db)
    assert query(db, "SELECT name FROM sqlite_master WHERE type = 'trigger' AND sql LIKE '%abstracts_fts%'") == []
    assert query(db, "SELECT id, paper_id, text FROM abstracts ORDER BY id") == abstracts
    with closing(connect(db)) as conn:
        conn.execute("INSERT INTO paper_search_fts (paper_search_fts, rank) VALUES ('integrity-check', 1)")
    with PaperDB(db) as pdb:
        assert {text: [h.as_dict() for h in pdb.search(text, raw=":" in text)] for text in searches} == before
    # A new abstract after the upgrade is found through the combined index.
    assert_a_new_abstract_is_found(db, tmp_path)


def assert_a_new_abstract_is_found(db, tmp_path) -> None:
    """Import a paper with an abstract: the combined index, checked whole, finds it."""
    dump = tmp_path / "more.jsonl"
    dump.write_text(json.dumps({"title": "Sparse Transformers", "abstract": "Attention with hypernetworks."}) + "\n")
    assert run_import(db, [dump]).status == "ok"
    with closing(connect(db)) as conn:
        conn.execute("INSERT INTO paper_search_fts (paper_search_fts, rank) VALUES ('integrity-check', 1)")
    with PaperDB(db) as pdb:
        assert [h.title for h in pdb.search("hypernetworks")] == ["Sparse Transformers"]


def test_the_records_upgrade_names_the_abstract_rows_and_keeps_every_record_whole(samples_db, tmp_path):
    db = copied(samples_db, tmp_path / "papers.db")
    named = "SELECT count(*) FROM paper_sources WHERE record ->> '$.abstract_key' IS NOT NULL"
    [(with_abstracts,)] = query(db, named)
    assert with_abstracts > 0  # the samples' records name their rows, as the loader writes them
    migrate(db, "0016")
    assert query(db, named) == [(0,)]
    [(in_full,)] = query(
        db,
        "SELECT count(*) FROM paper_sources s JOIN abstracts a ON a.paper_id = s.paper_id "
        "AND a.text = s.record ->> '$.abstract'",
    )
    assert in_full == with_abstracts
    upgraded_from(db, "0016", ("paper_sources", "abstracts"), tmp_path, lambda names: True)
    assert query(db, named) == [(with_abstracts,)]
    assert query(db, "SELECT count(*) FROM paper_sources WHERE record ->> '$.abstract' IS NOT NULL") == [(0,)]
    # The next import of the samples again, under other names, rebuilds the papers as before.
    before = {t: rows(db, t, columns(db, t)) for t in ("papers", "abstracts")}
    again = tmp_path / "again"
    again.mkdir()
    for f in SAMPLES.iterdir():
        (again / f"again-{f.name}").write_bytes(f.read_bytes())
    assert run_import(db, [again]).status == "ok"
    assert {t: rows(db, t, columns(db, t)) for t in before} == before


SEARCH_ROWS = "SELECT paper_id, title, authors, abstract FROM paper_search ORDER BY paper_id"


def test_the_search_text_view_upgrade_keeps_every_row_and_search_and_downgrades_to_the_table(samples_db, tmp_path):
    db = copied(samples_db, tmp_path / "papers.db")
    searches = ["process supervision", "verif*", "lan*", "Kaiser", "abstract: verifiers", "authors: lukasz"]
    migrate(db, "0019")
    assert query(db, "SELECT type FROM sqlite_master WHERE name = 'paper_search'") == [("table",)]
    rows = query(db, SEARCH_ROWS)
    assert len(rows) == 16 and sum(1 for r in rows if r[3]) > 10
    with PaperDB(db) as pdb:
        before = {text: [h.as_dict() for h in pdb.search(text, raw=":" in text)] for text in searches}
    assert all(before.values())
    migrate(db)
    assert query(db, "SELECT type FROM sqlite_master WHERE name = 'paper_search'") == [("view",)]
    assert query(db, SEARCH_ROWS) == rows
    assert query(db, "SELECT paper_id, authors FROM search_authors ORDER BY paper_id") == [
        (pid, authors) for pid, _, authors, _ in rows if authors
    ]
    assert len(query(db, "SELECT 1 FROM search_authors")) == 10  # six papers are known from abstracts alone
    with closing(connect(db)) as conn:
        conn.execute("INSERT INTO paper_search_fts (paper_search_fts, rank) VALUES ('integrity-check', 1)")
    with PaperDB(db) as pdb:
        assert {text: [h.as_dict() for h in pdb.search(text, raw=":" in text)] for text in searches} == before
    # An import after the upgrade keeps the index in step with the view.
    assert_a_new_abstract_is_found(db, tmp_path)
    rows = query(db, SEARCH_ROWS)
    migrate(db, "0019")
    assert query(db, "SELECT type FROM sqlite_master WHERE name = 'paper_search'") == [("table",)]
    assert query(db, SEARCH_ROWS) == rows
    with closing(connect(db)) as conn:
        conn.execute("INSERT INTO paper_search_fts (paper_search_fts, rank) VALUES ('integrity-check', 1)")

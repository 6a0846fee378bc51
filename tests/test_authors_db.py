"""Author resolution as stored: one person one author, spellings, explanations, overrides."""

from __future__ import annotations

import json
import pickle
from collections import Counter
from contextlib import closing

import pytest
from click.testing import CliRunner

from app.cli import main
from app.db import connect
from app.etl import load_authors, resolve
from app.etl.load import run_import
from app.etl.paper_evidence import paper_ranges, write_evidence
from app.search.caches import caches_are_current
from app.text.names import coauthor_key
from tests.conftest import ABSTRACTS_DUMP, PROFILE_DUMP, SAMPLES, copied, db_content, query

SAME_PERSON = [
    ("Joshua Achiam", {"Josh Achiam", "Joshua Achiam"}),
    ("William Fedus", {"Liam Fedus", "William Fedus"}),
    ("Amelia Glaese", {"Mia Glaese", "Amelia Glaese"}),
    ("Mohammad Bavarian", {"Mo Bavarian", "Mohammad Bavarian"}),
    ("Nikolas Tezak", {"Nik Tezak", "Nikolas Tezak"}),
    ("Nitish Shirish Keskar", {"Nitish Keskar", "Nitish Shirish Keskar"}),
    ("Yunxin Joy Jiao", {"Joy Jiao", "Yunxin Joy Jiao"}),
    ("Rapha Gontijo Lopes", {"Rapha Gontijo-Lopes", "Rapha Gontijo Lopes"}),
    ("Łukasz Kaiser", {"Lukasz Kaiser", "Łukasz Kaiser"}),
    ("David Mély", {"David Mely", "David Mély"}),
]
DIFFERENT_PEOPLE = [
    ("Daniel Levin", "Daniel Levy"),
    ("Ruby Chen", "Roy Chen"),
    ("Yu Zhang", "Yuchen Zhang"),
    ("Jiahui Yu", "Jieqi Yu"),
    ("Amin Tootoochian", "Amin Tootoonchian"),
    ("Alex Kirillov", "Alexander Kirillov"),
]


def spellings(db, name) -> set[str]:
    return {
        r[0]
        for r in query(
            db, "SELECT n.name FROM author_names n JOIN authors a ON a.id = n.author_id WHERE a.name = ?", (name,)
        )
    }


@pytest.mark.parametrize("display, names", SAME_PERSON)
def test_spellings_of_one_person_are_one_author(samples_db, display, names):
    assert query(samples_db, "SELECT count(*) FROM authors WHERE name = ?", (display,)) == [(1,)]
    assert spellings(samples_db, display) == names
    assert (
        query(
            samples_db,
            "SELECT count(*) FROM author_merges m JOIN authors a ON a.id = m.author_id WHERE a.name = ?",
            (display,),
        )[0][0]
        >= 1
    )


@pytest.mark.parametrize("a, b", DIFFERENT_PEOPLE)
def test_different_people_stay_apart(samples_db, a, b):
    rows = query(samples_db, "SELECT name FROM authors WHERE name IN (?, ?) ORDER BY name", (a, b))
    assert rows == sorted([(a,), (b,)])


def test_split_names_are_joined_and_organisations_flagged(samples_db):
    assert query(
        samples_db,
        "SELECT name, given_name, family_name, is_organization FROM authors "
        "WHERE name IN ('Shuaiqi Xia', 'Michael Pokorny', 'OpenAI') ORDER BY name",
    ) == [
        ("Michael Pokorny", "Michael", "Pokorny", 0),
        ("OpenAI", None, "OpenAI", 1),
        ("Shuaiqi Xia", "Shuaiqi", "Xia", 0),
    ]
    kinds = {r[0] for r in query(samples_db, "SELECT kind FROM name_repairs")}
    assert {"stray-token", "joined-split-name", "duplicate-mention"} <= kinds


def test_spellings_are_counted(samples_db):
    assert query(
        samples_db,
        "SELECT n.name, n.count FROM author_names n JOIN authors a ON a.id = n.author_id "
        "WHERE a.name = 'John Schulman'",
    ) == [("John Schulman", 10)]
    assert query(
        samples_db,
        "SELECT n.name, n.count FROM author_names n JOIN authors a ON a.id = n.author_id "
        "WHERE a.name = 'Joshua Achiam' ORDER BY n.name",
    ) == [("Josh Achiam", 1), ("Joshua Achiam", 2)]


def test_candidates_list_pairs_on_one_paper(samples_db):
    result = CliRunner().invoke(main, ["--db", str(samples_db), "authors", "--candidates", "--json"])
    pairs = {(r["name_a"], r["name_b"]) for r in map(json.loads, result.output.splitlines())}
    assert ("Alex Kirillov", "Alexander Kirillov") in pairs and ("Phil Tillet", "Philippe Tillet") in pairs


def test_author_ids_are_stable_when_more_files_arrive(tmp_path):
    db = tmp_path / "p.db"
    run_import(db, [PROFILE_DUMP])
    before = dict(query(db, "SELECT name, id FROM authors"))
    run_import(db, [ABSTRACTS_DUMP])
    after = dict(query(db, "SELECT name, id FROM authors"))
    assert after == before


def jsonl(path, *records):
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


def test_overrides_beside_the_database_are_applied_on_every_import(tmp_path):
    f = jsonl(
        tmp_path / "papers.jsonl",
        {"title": "First", "authors": ["Okafor, Chidi", "Smith, Jane"]},
        {"title": "Second", "authors": ["Okafor, C. N.", "Park, Min"]},
    )
    db = tmp_path / "p.db"
    run_import(db, [f])
    assert query(db, "SELECT name FROM authors WHERE family_name = 'Okafor' ORDER BY name") == [
        ("C. N. Okafor",),
        ("Chidi Okafor",),
    ]
    (tmp_path / "overrides.txt").write_text("merge: Okafor, Chidi = Okafor, C. N.\n")
    run_import(db, [f])  # no file changed: the overrides alone take effect
    assert query(db, "SELECT name, paper_count FROM authors WHERE family_name = 'Okafor'") == [("Chidi Okafor", 2)]
    assert query(
        db, "SELECT rule FROM author_merges m JOIN authors a ON a.id = m.author_id WHERE a.family_name = 'Okafor'"
    ) == [("override",)]
    (tmp_path / "overrides.txt").write_text("split: Okafor, Chidi != Okafor, C. N.\n")
    run_import(db, [f])
    assert query(db, "SELECT count(*) FROM authors WHERE family_name = 'Okafor'") == [(2,)]
    (tmp_path / "overrides.txt").write_text("merge: Okafor, Chidi = Okafor, C. N.\n")
    run_import(db, [f])
    assert query(db, "SELECT count(*) FROM authors WHERE family_name = 'Okafor'") == [(1,)]
    (tmp_path / "overrides.txt").write_text("# the merge line removed\n")
    run_import(db, [f])  # a removed line is undone too
    assert query(db, "SELECT name FROM authors WHERE family_name = 'Okafor' ORDER BY name") == [
        ("C. N. Okafor",),
        ("Chidi Okafor",),
    ]


def test_a_malformed_overrides_file_is_a_clear_error(tmp_path):
    (tmp_path / "overrides.txt").write_text("merge Okafor = Okafor, C.\n")
    result = CliRunner().invoke(main, ["--db", str(tmp_path / "p.db"), "import", str(PROFILE_DUMP)])
    assert result.exit_code == 2 and "overrides line 1" in result.output


def test_a_profile_that_only_adds_evidence_counts_in_any_order(tmp_path):
    # Run 3 brings a known paper again, with the same authors, from John Smith's profile: that
    # profile is the evidence that `J. Smith` on it is the John Smith of his other profile paper.
    files = {
        "profile_c.txt": "Smith, John\nPaper Zero About Widgets\nSmith, John, Doe, Alice\nWe study widgets.\n",
        "papers_a.jsonl": json.dumps(
            {"title": "Paper One About Gadgets", "authors": ["Smith, J.", "Roe, Bob"], "abstract": "We study gadgets."}
        )
        + "\n",
        "profile_b.txt": "Smith, John\nPaper One About Gadgets\nSmith, J., Roe, Bob\nWe study gadgets.\n",
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    one_run, three_runs = tmp_path / "one.db", tmp_path / "three.db"
    run_import(one_run, [tmp_path / name for name in files])
    for name in files:
        run_import(three_runs, [tmp_path / name])
    expected = [("Alice Doe", 1), ("Bob Roe", 1), ("John Smith", 2)]
    assert query(one_run, "SELECT name, paper_count FROM authors ORDER BY name") == expected
    assert query(three_runs, "SELECT name, paper_count FROM authors ORDER BY name") == expected


def test_small_resolution_batches_give_the_same_authors(tmp_path, monkeypatch, samples_db):
    # Batches are cut by mentions to bound memory; where they are cut must not matter.
    monkeypatch.setattr(load_authors, "MENTIONS_PER_TRANSACTION", 5)
    db = tmp_path / "p.db"
    run_import(db, [SAMPLES])
    assert db_content(db) == db_content(samples_db)


@pytest.fixture
def in_workers(monkeypatch) -> Counter:
    """Resolution in worker processes, a block or two per batch; counts the batches workers
    read ahead and those read again here because an earlier batch changed an author they saw."""
    monkeypatch.setattr(load_authors, "MENTIONS_PER_TRANSACTION", 5)
    monkeypatch.setattr(load_authors, "PARALLEL_MIN_MENTIONS", 0)
    counts: Counter = Counter()
    read_ahead, as_read = load_authors._read_ahead, load_authors._as_read

    def counted_read_ahead(*args):
        for keys, batch in read_ahead(*args):
            counts["read ahead"] += batch is not None
            yield keys, batch

    def counted_as_read(*args):
        unchanged = as_read(*args)
        counts["read again"] += not unchanged
        return unchanged

    monkeypatch.setattr(load_authors, "_read_ahead", counted_read_ahead)
    monkeypatch.setattr(load_authors, "_as_read", counted_as_read)
    return counts


@pytest.mark.slow
def test_resolution_in_worker_processes_gives_the_same_authors(tmp_path, in_workers, samples_db):
    db = tmp_path / "p.db"
    run_import(db, [SAMPLES])
    assert in_workers["read ahead"] > 20 and in_workers["read again"] == 0
    assert db_content(db) == db_content(samples_db)


def test_a_worker_ends_its_read_before_it_clusters(tmp_path, monkeypatch, samples_db):
    # While a reader holds a snapshot, the importing writer's log cannot start over.
    in_transaction = []
    clustered = load_authors._clustered

    def watched(read, overrides):
        in_transaction.append(load_authors._reader.in_transaction)
        return clustered(read, overrides)

    monkeypatch.setattr(load_authors, "_clustered", watched)
    monkeypatch.setattr(load_authors, "_reader", None)
    monkeypatch.setattr(load_authors, "_evidence", {})
    load_authors._open_reader(str(samples_db))
    evidence = str(tmp_path / "evidence.db")
    with closing(load_authors._reader):
        pieces = [load_authors._evidence_in_worker(low, high) for low, high in paper_ranges(load_authors._reader)]
        write_evidence(evidence, pieces)
        batch = load_authors._read_in_worker(["fedus"], resolve.Overrides(), evidence)
    load_authors._evidence[evidence].close()
    assert in_transaction == [False]
    assert [(alias, [c.name for c in result.clusters]) for alias, _, result in batch.blocks] == [
        ("fedus", ["William Fedus"])
    ]


def test_new_resolution_rules_re_resolve_every_block_on_the_next_import(tmp_path, monkeypatch, samples_db):
    # Authors resolved by "older rules" that merged nothing but identical spellings.
    db = tmp_path / "p.db"
    with monkeypatch.context() as old_rules:
        old_rules.setattr(resolve, "MIN_EVIDENCE", {})
        run_import(db, [SAMPLES])
    fedus = "SELECT name FROM authors WHERE family_name = 'Fedus' ORDER BY name"
    assert query(db, fedus) == [("Liam Fedus",), ("William Fedus",)]
    report = run_import(db, [SAMPLES])  # same rules version: nothing is re-resolved
    assert report.nothing_new and query(db, fedus) == [("Liam Fedus",), ("William Fedus",)]
    monkeypatch.setattr(load_authors, "RULES_VERSION", load_authors.RULES_VERSION + 1)
    report = run_import(db, [SAMPLES])  # no file changed: the new rules alone take effect
    assert report.nothing_new and query(db, fedus) == [("William Fedus",)]
    assert db_content(db) == db_content(samples_db)
    assert query(db, "SELECT version FROM resolver_rules") == [(load_authors.RULES_VERSION,)]
    # Authors changed in the search index, so the search lists were ranked again.
    assert "search lists" in report.phases
    with closing(connect(db)) as conn:
        assert caches_are_current(conn)


TYPO_PAPERS = [
    {"title": "Congestion Control at Scale", "authors": ["Tootoonchian, Amin", "Doe, Jane", "Roe, Richard"]},
    {"title": "Software Defined Networks", "authors": ["Tootoochian, Amin", "Doe, Jane", "Roe, Richard"]},
]


def amins(db) -> list[tuple]:
    """(spelling, author) of every Amin mention."""
    return query(
        db,
        "SELECT s.name, a.name FROM authorships s JOIN authors a ON a.id = s.author_id "
        "WHERE s.given_name LIKE 'Amin%' ORDER BY s.name, a.name",
    )


def test_family_name_slips_with_a_shared_coauthor_merge_in_any_order_and_part_when_it_goes(tmp_path):
    first, second = jsonl(tmp_path / "a.jsonl", TYPO_PAPERS[0]), jsonl(tmp_path / "b.jsonl", TYPO_PAPERS[1])
    for name, runs in (("one.db", [[first, second]]), ("two.db", [[second], [first]])):
        for files in runs:
            run_import(tmp_path / name, files)
        assert amins(tmp_path / name) == [
            ("Amin Tootoochian", "Amin Tootoonchian"),
            ("Amin Tootoonchian", "Amin Tootoonchian"),
        ]
        assert query(tmp_path / name, "SELECT name_a, name_b, rule, evidence FROM author_merges") == [
            ("Amin Tootoochian", "Amin Tootoonchian", "family-slip", "shared co-authors: doe jane; roe richard")
        ]
    assert db_content(tmp_path / "one.db") == db_content(tmp_path / "two.db")
    # The second paper loses its co-authors: the two are apart again, as in a fresh import.
    jsonl(tmp_path / "b.jsonl", {**TYPO_PAPERS[1], "authors": ["Tootoochian, Amin", "Poe, Edgar"]})
    run_import(tmp_path / "two.db", [first, second])
    run_import(tmp_path / "fresh.db", [first, second])
    assert amins(tmp_path / "two.db") == [
        ("Amin Tootoochian", "Amin Tootoochian"),
        ("Amin Tootoonchian", "Amin Tootoonchian"),
    ]
    assert db_content(tmp_path / "two.db") == db_content(tmp_path / "fresh.db")


def test_a_new_block_that_links_two_resolved_ones_resolves_them_again(tmp_path):
    # Block `gojenola` is resolved alone until a paper brings block `galletebeitia`, whose
    # compound family name links the two.
    papers = [
        {"title": "Parsing Basque", "authors": ["Gojenola, Koldo", "Doe, Jane"]},
        {"title": "Basque Morphology", "authors": ["Gojenola, Koldo", "Roe, Richard"]},
        {"title": "Basque Treebank", "authors": ["Gojenola Galletebeitia, Koldo", "Doe, Jane"]},
    ]
    files = [jsonl(tmp_path / f"{i}.jsonl", paper) for i, paper in enumerate(papers)]
    run_import(tmp_path / "steps.db", files[:2])
    run_import(tmp_path / "steps.db", files)
    run_import(tmp_path / "fresh.db", list(reversed(files)))
    assert query(
        tmp_path / "steps.db", "SELECT name, paper_count, block_key FROM authors WHERE given_name = 'Koldo'"
    ) == [("Koldo Gojenola Galletebeitia", 3, "galletebeitia")]
    assert query(tmp_path / "steps.db", "SELECT rule, evidence FROM author_merges") == [
        ("family-part", "shared co-authors: doe jane")
    ]
    assert db_content(tmp_path / "steps.db") == db_content(tmp_path / "fresh.db")


def test_family_name_slips_on_one_paper_are_never_merged(tmp_path):
    both = {"title": "Both Spellings", "authors": ["Tootoonchian, Amin", "Tootoochian, Amin", "Doe, Jane"]}
    # Another slip, on separate papers with the same co-authors, in the same import.
    apart = [
        {"title": f"Fitz Paper {i}", "authors": [family, "Doe, Jane", "Roe, Richard"]}
        for i, family in enumerate(["Fitzgerald, Ella", "Fitzgerrald, Ella"])
    ]
    run_import(tmp_path / "p.db", [jsonl(tmp_path / "a.jsonl", *TYPO_PAPERS, both, *apart)])
    assert amins(tmp_path / "p.db") == [
        ("Amin Tootoochian", "Amin Tootoochian"),
        ("Amin Tootoochian", "Amin Tootoochian"),
        ("Amin Tootoonchian", "Amin Tootoonchian"),
        ("Amin Tootoonchian", "Amin Tootoonchian"),
    ]
    assert query(tmp_path / "p.db", "SELECT name_a, name_b, score, reason FROM author_candidates") == [
        ("Amin Tootoochian", "Amin Tootoonchian", 0.6, "both on one paper (3)")
    ]
    assert query(
        tmp_path / "p.db",
        "SELECT DISTINCT a.name FROM authorships s JOIN authors a ON a.id = s.author_id WHERE s.given_name = 'Ella'",
    ) == [("Ella Fitzgerrald",)]


# Two Amins whose family names are a slip apart, with no co-author in common: two people.
AMINS_APART = [TYPO_PAPERS[0], {"title": "Software Defined Networks", "authors": ["Tootoochian, Amin", "Moe, Mary"]}]


def test_an_override_into_a_linked_block_gives_the_authors_of_a_fresh_import(tmp_path):
    smith = {"title": "Packet Scheduling", "authors": ["Smith, Amin", "Poe, Edgar"]}
    files = [jsonl(tmp_path / "papers.jsonl", *AMINS_APART, smith)]
    run_import(tmp_path / "before" / "p.db", files)
    assert len(query(tmp_path / "before" / "p.db", "SELECT id FROM authors WHERE given_name = 'Amin'")) == 3
    for name in ("before", "fresh"):
        (tmp_path / name).mkdir(exist_ok=True)
        (tmp_path / name / "overrides.txt").write_text("merge: Tootoochian, Amin = Smith, Amin\n")
        run_import(tmp_path / name / "p.db", files)
    assert amins(tmp_path / "before" / "p.db") == [
        ("Amin Smith", "Amin Tootoochian"),
        ("Amin Tootoochian", "Amin Tootoochian"),
        ("Amin Tootoonchian", "Amin Tootoonchian"),
    ]
    assert db_content(tmp_path / "before" / "p.db") == db_content(tmp_path / "fresh" / "p.db")


def test_removing_a_merge_across_blocks_parts_the_two_people_again(tmp_path):
    smith = {"title": "Packet Scheduling", "authors": ["Smith, Amin", "Poe, Edgar"]}
    files = [jsonl(tmp_path / "papers.jsonl", *AMINS_APART, smith)]
    for name in ("merged", "fresh"):
        (tmp_path / name).mkdir()
    (tmp_path / "merged" / "overrides.txt").write_text("merge: Tootoochian, Amin = Smith, Amin\n")
    run_import(tmp_path / "merged" / "p.db", files)
    amins = "SELECT s.name, a.name FROM authorships s JOIN authors a ON a.id = s.author_id WHERE s.given_name = 'Amin' ORDER BY s.name"
    assert query(tmp_path / "merged" / "p.db", amins) == [
        ("Amin Smith", "Amin Tootoochian"),
        ("Amin Tootoochian", "Amin Tootoochian"),
        ("Amin Tootoonchian", "Amin Tootoonchian"),
    ]
    (tmp_path / "merged" / "overrides.txt").unlink()
    run_import(tmp_path / "merged" / "p.db", files)
    # Each block claimed the merged author for its own person; one of them must get a new one.
    assert query(tmp_path / "merged" / "p.db", amins) == [
        ("Amin Smith", "Amin Smith"),
        ("Amin Tootoochian", "Amin Tootoochian"),
        ("Amin Tootoonchian", "Amin Tootoonchian"),
    ]
    run_import(tmp_path / "fresh" / "p.db", files)
    assert db_content(tmp_path / "merged" / "p.db") == db_content(tmp_path / "fresh" / "p.db")


SMYTH_PAPERS = [
    {"title": "Smith Paper", "authors": ["Smith, John", "Doe, Jane"]},
    {"title": "Smyth Paper", "authors": ["Smyth, John", "Doe, Jane"]},
    {"title": "Jane Smyth Paper", "authors": ["Smyth, Jane", "Roe, Richard"]},
    {"title": "Anna Smith Paper", "authors": ["Smith, Anna", "Poe, Edgar"]},
]


@pytest.mark.parametrize("workers", [False, True])
def test_author_ids_do_not_depend_on_where_resolution_batches_are_cut(tmp_path, monkeypatch, workers):
    stages = [None, "merge: Smyth, John = Smith, John\n", "# the merge removed\n"]
    by_batching = []
    for per_batch in (load_authors.MENTIONS_PER_TRANSACTION, 1):
        monkeypatch.setattr(load_authors, "MENTIONS_PER_TRANSACTION", per_batch)
        monkeypatch.setattr(load_authors, "PARALLEL_MIN_MENTIONS", 0 if workers else 10**9)
        folder = tmp_path / str(per_batch)
        folder.mkdir()
        files = [jsonl(folder / "papers.jsonl", *SMYTH_PAPERS)]
        seen = []
        for overrides in stages:
            if overrides:
                (folder / "overrides.txt").write_text(overrides)
            run_import(folder / "p.db", files)
            assert not list(folder.glob(".p.db-evidence-*"))  # the workers' scratch file is gone
            seen.append(
                query(
                    folder / "p.db",
                    "SELECT s.name, a.id, a.name FROM authorships s JOIN authors a ON a.id = s.author_id ORDER BY s.id",
                )
            )
            assert query(
                folder / "p.db", "SELECT count(*) FROM authors WHERE id NOT IN (SELECT author_id FROM authorships)"
            ) == [(0,)]
        by_batching.append(seen)
    assert by_batching[0] == by_batching[1]
    merged, removed = by_batching[0][1:]
    assert {(m, a) for m, _, a in merged if "John" in m} == {("John Smith", "John Smith"), ("John Smyth", "John Smith")}
    assert {(m, a) for m, _, a in removed if "John" in m} == {
        ("John Smith", "John Smith"),
        ("John Smyth", "John Smyth"),
    }
    # Jane Smyth, filed under `smith` while the merge held the blocks together, keeps her id.
    assert len({aid for stage in by_batching[0] for m, aid, _ in stage if m == "Jane Smyth"}) == 1


def test_a_batch_read_ahead_is_read_again_when_an_author_it_saw_changed(tmp_path, samples_db):
    db = copied(samples_db, tmp_path / "p.db")
    with closing(connect(db)) as conn:
        batch = load_authors.read_batch(conn, ["fedus"], resolve.Overrides(), load_authors.PaperContext())
        assert list(batch.state.authors.values()) == [("William Fedus", "Fedus", "William", 0, "fedus", 3, None)]
        assert load_authors._as_read(conn, batch.state)
        conn.execute("UPDATE authors SET block_key = 'elsewhere' WHERE name = 'William Fedus'")
        assert not load_authors._as_read(conn, batch.state)


def test_a_worker_sends_a_batch_back_without_its_mentions_evidence(samples_db):
    with closing(connect(samples_db)) as conn:
        batch = load_authors.read_batch(conn, ["fedus"], resolve.Overrides(), load_authors.PaperContext())
    [(alias, mentions, result)] = batch.blocks
    assert [(m.name, len(m.coauthors), m.profiles) for m in mentions] == [
        ("William Fedus", 8, {"Schulman, John"}),
        ("Liam Fedus", 416, {"Schulman, John"}),
        ("Liam Fedus", 280, {"Schulman, John"}),
    ]
    sent = pickle.loads(pickle.dumps(load_authors._without_evidence(batch)))
    assert sent.blocks == [(alias, [m.without_evidence() for m in mentions], result)]
    assert sent.state.mentions == {alias: sent.blocks[0][1]}
    assert {(m.coauthors, m.profiles, m.title_words) for m in sent.blocks[0][1]} == {((), frozenset(), ())}
    assert (sent.state.authors, sent.keys) == (batch.state.authors, batch.keys)


def test_an_author_filed_under_another_block_is_resolved_with_it_and_kept(tmp_path, samples_db):
    # As if an override or a link had filed Fedus's author under another block and its history were lost:
    # both blocks are resolved together, so the author keeps its id, filed under its own block again.
    db = copied(samples_db, tmp_path / "p.db")
    with closing(connect(db)) as conn:
        (old,) = conn.execute("SELECT id FROM authors WHERE name = 'William Fedus'").fetchone()
        conn.execute("UPDATE authors SET block_key = 'elsewhere' WHERE id = ?", (old,))
        conn.execute("INSERT INTO pending_blocks (block_key) VALUES ('fedus')")
    run_import(db, [])
    assert query(
        db,
        "SELECT DISTINCT a.id != ?, a.name, a.block_key FROM authorships s JOIN authors a ON a.id = s.author_id "
        "WHERE s.family_name = 'Fedus'",
        (old,),
    ) == [(0, "William Fedus", "fedus")]
    assert db_content(db) == db_content(samples_db)


def test_a_family_name_slip_needs_a_coauthor_besides_its_own_names(tmp_path):
    papers = [
        {"title": "First Paper", "authors": ["Tootoonchian, Amin", "Doe, Jane"]},
        # `Amin K. Tootoonchian` is a co-author here, keyed `tootoonchian amin` like the first author.
        {"title": "Second Paper", "authors": ["Tootoochian, Amin", "Roe, Richard", "Tootoonchian, Amin K."]},
        # A rival reading of `Amin` keeps `Amin` and `Amin K.` apart.
        {"title": "Third Paper", "authors": ["Tootoonchian, Amin R.", "Poe, Edgar"]},
    ]
    run_import(tmp_path / "p.db", [jsonl(tmp_path / "a.jsonl", *papers)])
    assert query(tmp_path / "p.db", "SELECT count(*) FROM authors WHERE given_name LIKE 'Amin%'") == [(4,)]


def test_paper_evidence_keys_are_the_coauthor_keys_of_its_mentions(samples_db):
    # The evidence loader builds the keys from each mention's stored block key.
    conn = connect(samples_db)
    try:
        mentions = conn.execute("SELECT paper_id, family_name, given_name FROM authorships").fetchall()
        context = load_authors.PaperContext()
        context.load(conn, {m["paper_id"] for m in mentions})
    finally:
        conn.close()
    expected: dict[int, set[str]] = {}
    for m in mentions:
        expected.setdefault(m["paper_id"], set()).add(coauthor_key(m["family_name"], m["given_name"]))
    assert {paper: set(keys) for paper, keys in context.coauthors.items()} == expected
    assert {"achiam joshua", "lopes rapha", "kaiser lukasz"} <= set().union(*context.coauthors.values())


def test_title_words_read_by_the_loader_are_evidence_and_named(tmp_path):
    papers = [
        {"title": "Tutorial Dialogue Agents for Physics", "authors": ["Rosé, Carolyn", "Doe, Jane"]},
        {"title": "Tutorial Dialogue in the Classroom", "authors": ["Rosé, Carolyn Penstein", "Roe, Richard"]},
    ]
    run_import(tmp_path / "p.db", [jsonl(tmp_path / "a.jsonl", *papers)])
    assert query(tmp_path / "p.db", "SELECT name, paper_count FROM authors WHERE family_name = 'Rosé'") == [
        ("Carolyn Penstein Rosé", 2)
    ]
    assert query(tmp_path / "p.db", "SELECT rule, evidence FROM author_merges") == [
        ("middle-name", "shared title words: dialogue; tutorial")
    ]


ORCID_A, ORCID_B = "0000-0002-1825-0097", "0000-0001-5109-3700"
ORCID_PAPERS = {
    "a.jsonl": ("Widgets One", [("Smith", "J.", f"https://orcid.org/{ORCID_A}"), ("Doe", "Alice", None)]),
    "b.jsonl": ("Gadgets Two", [("Smith", "John", ORCID_A), ("Roe", "Bob", None)]),
    # One spelling and both co-authors of the papers above, but another ORCID: another person.
    "c.jsonl": (
        "Sprockets Three",
        [("Smith", "John", ORCID_B), ("Doe", "Alice", None), ("Roe", "Bob", None), ("Poe", "Carl", None)],
    ),
    # No ORCID: joins, by the usual rules, the John Smith it shares a co-author with.
    "d.jsonl": ("Cogs Four", [("Smith", "John", None), ("Poe", "Carl", None)]),
}


def run_import_all(db, paths):
    assert run_import(db, paths).status == "ok"
    return db


def write_orcid_papers(folder) -> list:
    paths = []
    for name, (title, authors) in ORCID_PAPERS.items():
        people = [{"family": f, "given": g, **({"orcid": o} if o else {})} for f, g, o in authors]
        (folder / name).write_text(json.dumps({"title": title, "authors": people}) + "\n", encoding="utf-8")
        paths.append(folder / name)
    return paths


def smiths(db) -> list[tuple]:
    """(ORCID, the titles of their papers) of each author named Smith."""
    papers: dict[int, tuple] = {}
    for author, orcid, title in query(
        db,
        "SELECT a.id, a.orcid, p.title FROM authors a JOIN authorships s ON s.author_id = a.id "
        "JOIN papers p ON p.id = s.paper_id WHERE a.family_name = 'Smith'",
    ):
        papers[author] = (orcid, tuple(sorted((*papers.get(author, (None, ()))[1], title))))
    return sorted(papers.values())


def test_orcids_make_and_keep_people_apart_in_any_import_order(tmp_path):
    paths = write_orcid_papers(tmp_path)
    expected = [(ORCID_B, ("Cogs Four", "Sprockets Three")), (ORCID_A, ("Gadgets Two", "Widgets One"))]
    for n, order in enumerate([paths, paths[::-1], [paths[2], paths[0], paths[3], paths[1]]]):
        db = tmp_path / f"{n}.db"
        for path in order:
            assert run_import(db, [path]).status == "ok"
        assert smiths(db) == expected
        # Two John Smiths: each merge is filed with the author it made, not with a namesake.
        assert query(
            db,
            "SELECT a.orcid, m.name_a, m.name_b, m.rule FROM author_merges m JOIN authors a ON a.id = m.author_id "
            "WHERE a.family_name = 'Smith' ORDER BY m.rule",
        ) == [(ORCID_B, "John Smith", "John Smith", "folded-equal"), (ORCID_A, "J. Smith", "John Smith", "orcid")]
    assert smiths(tmp_path / "0.db") == smiths(run_import_all(tmp_path / "all.db", paths))
    db = tmp_path / "0.db"
    assert query(db, "SELECT rule, evidence FROM author_merges WHERE rule = 'orcid'") == [
        ("orcid", f"same ORCID {ORCID_A}")
    ]
    assert query(db, "SELECT name FROM authors WHERE orcid = ?", (ORCID_A,)) == [("John Smith",)]
    assert sorted(query(db, "SELECT orcid FROM authorships WHERE family_name = 'Smith'"), key=str) == sorted(
        [(ORCID_A,), (ORCID_A,), (ORCID_B,), (None,)], key=str
    )


def test_an_orcid_from_another_source_of_the_paper_joins_the_author_list_in_use(tmp_path):
    # The fuller list (no ORCIDs, like BibTeX) gives the authors; the shorter one's ORCID joins its spelling.
    doe = {"family": "Doe", "given": "Alice"}
    full = {"title": "Widgets Again", "doi": "10.1/w", "authors": [{"family": "Smith", "given": "John"}, doe]}
    short = {
        "title": "Widgets Again",
        "doi": "10.1/w",
        "authors": [{"family": "Smith", "given": "John", "orcid": ORCID_A}],
    }
    (tmp_path / "full.jsonl").write_text(json.dumps(full) + "\n", encoding="utf-8")
    (tmp_path / "short.jsonl").write_text(json.dumps(short) + "\n", encoding="utf-8")
    for n, order in enumerate((["full", "short"], ["short", "full"])):
        db = tmp_path / f"{n}.db"
        for name in order:
            assert run_import(db, [tmp_path / f"{name}.jsonl"]).status == "ok"
        assert query(db, "SELECT position, name, orcid FROM authorships ORDER BY position") == [
            (1, "John Smith", ORCID_A),
            (2, "Alice Doe", None),
        ]
        assert query(db, "SELECT name, orcid FROM authors ORDER BY name") == [
            ("Alice Doe", None),
            ("John Smith", ORCID_A),
        ]

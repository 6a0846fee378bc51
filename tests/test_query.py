"""The Python query API (`app.query.PaperDB`) on the sample database: search, authors, papers, stats, SQL."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest

from app import workers
from app.db import chunked, connect, write_transaction
from app.query import AmbiguousAuthor, LikelySame, NameVariant, PaperDB, PaperSource, QueryError, fts_query
from app.search import lists as search_lists
from app.search import ranker
from app.search.bm25 import RANK_SQL, WEIGHTS
from app.search.scratch import ScratchIndex
from app.text.clean import repair_text
from tests.conftest import ABSTRACTS_DUMP, MANNING_PAPERS, PROFILE_DUMP, copied, query, searched

SIMPLEQA = "Measuring short-form factuality in large language models"
HOSTILE = [
    '"process supervision',
    "process (supervision",
    "NEAR(",
    "process AND",
    "OR",
    "title:verify",
    "'; DROP TABLE papers; --",
    "1 OR 1=1",
    '" OR 1=1 --',
    "x' UNION SELECT sql FROM sqlite_master --",
    "*",
    "^process",
    "process -supervision",
    "GPT-4o",
    "don't",
    "C++",
    "50 %",
    "a\x00b",
    "é" * 300,
]


@pytest.fixture(scope="module")
def db(samples_db):
    with PaperDB(samples_db) as pdb:
        yield pdb


def snapshot(path: Path) -> str:
    """A hash of the database file and its WAL: equal before and after means nothing was written."""
    wal = path.with_name(path.name + "-wal")
    return hashlib.sha256(path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")).hexdigest()


def quoted_words(text: str) -> str:
    """What a plain search of `text` must match: its repaired words, each quoted for FTS5."""
    return fts_query(repair_text(text.replace("\x00", " ")))


def titles(hits) -> list:
    return [h.title for h in hits]


# --- search ---------------------------------------------------------------------------


def test_process_supervision_ranks_lets_verify_first(db):
    hits = db.search("process supervision")
    assert hits[0].title == "Let's Verify Step by Step"
    assert hits[0].authors[:2] == ["Hunter Lightman", "Vineet Kosaraju"] and hits[0].authors[-1] == "Karl Cobbe"
    assert "[process] [supervision]" in hits[0].snippet
    assert hits[0].highlight("<b>", "</b>").count("<b>process</b>") >= 1


def test_scores_are_best_first(db):
    scores = [h.score for h in db.search("language models")]
    assert len(scores) > 2 and scores == sorted(scores, reverse=True)


def test_verifiers_finds_the_abstract_only_gsm8k_paper(db, samples_db):
    [(gsm8k,)] = query(samples_db, "SELECT paper_id FROM abstracts WHERE text LIKE '%introduce GSM8K%'")
    hits = db.search("verifiers")
    assert gsm8k in [h.paper_id for h in hits]
    assert [h.title for h in hits if h.paper_id == gsm8k] == [None]


def test_accents_never_matter(db):
    assert set(titles(db.search("Mely"))) == {"GPT-4 Technical Report", "GPT-4o System Card"}
    assert titles(db.search("mély")) == titles(db.search("MELY"))
    assert set(titles(db.search("Lukasz Kaiser"))) == {"GPT-4 Technical Report", "GPT-4o System Card"}


def test_hyphens_and_quotes_are_plain_words(db):
    assert titles(db.search("GPT-4o")) == ["GPT-4o System Card"]
    assert titles(db.search('"Let\'s verify"'))[0] == "Let's Verify Step by Step"


def test_trailing_star_is_a_prefix_in_plain_words(db):
    assert "Let's Verify Step by Step" in titles(db.search("verif*"))
    assert fts_query("verif* v* GPT-4*") == '"verif"* "v" "GPT-4"*'


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_is_plain_words_and_writes_nothing(db, samples_db, text):
    before = snapshot(samples_db)
    try:
        hits = db.search(text)
    except QueryError as e:
        assert "empty query" in str(e)
    else:  # the same papers as the repaired words quoted one by one: no operator got through
        quoted = quoted_words(text)
        assert [h.paper_id for h in hits] == [h.paper_id for h in db.search(quoted, raw=True)]
        if {"process", "supervision"} <= set(re.findall(r"\w+", text)):
            assert hits[0].title == "Let's Verify Step by Step"
    assert snapshot(samples_db) == before


@pytest.mark.parametrize("text", ["", "   ", "\t\n", "%", "()", '""'])
def test_empty_queries_are_a_clear_error(db, text):
    with pytest.raises(QueryError, match="empty query"):
        db.search(text)


def test_raw_passes_fts5_syntax_through(db):
    assert titles(db.search("verif*", raw=True)) == ["Let's Verify Step by Step", None]  # None: GSM8K
    assert titles(db.search('"process supervision"', raw=True)) == ["Let's Verify Step by Step"]
    assert titles(db.search("process NEAR(supervision, 3)", raw=True)) == ["Let's Verify Step by Step"]
    assert set(titles(db.search("webgpt OR supervision", raw=True))) >= {
        "WebGPT: Browser-assisted question-answering with human feedback",
        "Let's Verify Step by Step",
    }
    assert "WebGPT: Browser-assisted question-answering with human feedback" not in titles(
        db.search("gpt NOT webgpt", raw=True)
    )
    assert titles(db.search("title:verify", raw=True)) == ["Let's Verify Step by Step"]


@pytest.mark.parametrize("text", ["NEAR(", "(process", '"process', "process AND", "OR", "*"])
def test_raw_syntax_errors_name_the_problem(db, text):
    with pytest.raises(QueryError, match="invalid search syntax in "):
        db.search(text, raw=True)


def test_raw_unknown_column_lists_the_columns(db):
    with pytest.raises(QueryError, match="unknown column 'venue'.*title, authors, abstract"):
        db.search("venue:acl", raw=True)


def test_limit_and_offset_page_through_results(db):
    every = [h.paper_id for h in db.search("model", limit=100)]
    assert len(every) > 4
    assert [h.paper_id for h in db.search("model", limit=2)] + [
        h.paper_id for h in db.search("model", limit=2, offset=2)
    ] == every[:4]


def test_author_filter_keeps_that_authors_papers(db):
    everyone = titles(db.search("model", limit=100))
    his = {p.title for p in db.author("John Schulman").author.papers}
    assert titles(db.search("model", author="Schulman, J.", limit=100)) == [t for t in everyone if t in his]
    assert SIMPLEQA in titles(db.search("factuality", author="Liam Fedus"))
    assert db.search("process supervision", author="Liam Fedus") == []
    assert db.search("factuality", author="Nobody Atall") == []


def test_an_ambiguous_author_filter_is_an_error_listing_the_candidates(db):
    with pytest.raises(AmbiguousAuthor, match="'Zhang' matches 6 authors") as e:
        db.search("model", author="Zhang")
    assert {c.name for c in e.value.candidates} == {
        "Chong Zhang",
        "Francis Zhang",
        "Lu Zhang",
        "Marvin Zhang",
        "Yu Zhang",
        "Yuchen Zhang",
    }


def test_filters_do_not_drive_the_full_text_scan(db):
    # Given `rowid IN (...)`, FTS5 reruns the MATCH once per listed paper: minutes for a
    # prolific author on a large database. The filters must only check the matches.
    statements = []
    db.conn.set_trace_callback(statements.append)
    try:
        db.search("model", author="John Schulman", year_from=1990, year_to=2030)
    finally:
        db.conn.set_trace_callback(None)
    [ranked] = [sql for sql in statements if "bm25(" in sql]
    plan = [row[3] for row in db.conn.execute("EXPLAIN QUERY PLAN " + ranked)]
    [fts] = [step for step in plan if "paper_search_fts VIRTUAL TABLE" in step]
    assert ":=" not in fts, plan  # `INDEX 0:=M3` would mean the rowid list drives the MATCH


# --- precomputed one-word searches (search_top) ------------------------------------------
# The sample has 16 papers: with lists for words in 4 or more, `model` (12 papers) is in over
# half of them and only filters, `reinforcement` (7) and `language` (6) rank.


@pytest.fixture
def listed_db(samples_db, tmp_path, monkeypatch) -> Path:
    """A copy of the sample database with `search_top` lists 5 deep for words in 4 or more papers."""
    monkeypatch.setattr(search_lists, "TOP_SPARE", 0)
    db = copied(samples_db, tmp_path / "listed.db")
    conn = connect(db)
    with write_transaction(conn):
        assert search_lists.refresh_search_top(conn, min_papers=4, depth=5).words > 0
    conn.close()
    return db


@pytest.fixture
def unposted_db(listed_db) -> Path:
    """The listed database without postings: searches of several words are ranked by FTS5."""
    conn = connect(listed_db)
    with write_transaction(conn):
        conn.execute("DELETE FROM search_postings")
    conn.close()
    return listed_db


def ranked_in_full(statements: list[str]) -> bool:
    """Whether FTS5 ranked every match."""
    return any("bm25(" in sql for sql in statements)


def postings_read(statements: list[str]) -> int:
    """How many words' postings the search read."""
    return sum("FROM search_postings WHERE term" in sql for sql in statements)


def test_the_scratch_index_gives_the_index_terms(db):
    assert ScratchIndex(db.conn).terms(["Parsing models", "Mély", "GPT-4o", "%"]) == [
        ["pars", "model"],
        ["meli"],
        ["gpt", "4o"],
        [],
    ]


@pytest.mark.parametrize(
    "text, kwargs",
    [
        ("language", {"limit": 5}),
        ("Language", {"limit": 3, "offset": 2}),
        ("model", {"limit": 5}),
        ("language", {"author": "John Schulman", "limit": 3}),
    ],
)
def test_a_common_word_comes_from_its_list_with_the_hits_of_the_full_ranking(samples_db, listed_db, text, kwargs):
    with PaperDB(samples_db) as full, PaperDB(listed_db) as listed:
        expected, statements = searched(full, text, **kwargs)
        assert ranked_in_full(statements)
        hits, statements = searched(listed, text, **kwargs)
    assert len(hits) == kwargs["limit"] and hits == expected
    assert not ranked_in_full(statements)


@pytest.mark.parametrize(
    "kwargs, found, from_postings",
    [
        ({"limit": 2, "offset": 4}, 2, True),  # the list holds 5 of the 6 papers
        ({"limit": 20}, 6, True),
        ({"author": "Jacob Menick", "limit": 2}, 1, False),  # one of his papers is in the list; FTS5 filters by author
    ],
)
def test_a_page_the_list_cannot_give_is_ranked_in_full(samples_db, listed_db, kwargs, found, from_postings):
    with PaperDB(samples_db) as full, PaperDB(listed_db) as listed:
        expected, _ = searched(full, "language", **kwargs)
        hits, statements = searched(listed, "language", **kwargs)
    assert hits == expected and len(hits) == found
    assert (postings_read(statements), ranked_in_full(statements)) == ((1, False) if from_postings else (0, True))


def test_a_word_in_over_half_the_papers_only_filters(samples_db, unposted_db):
    with PaperDB(samples_db) as full, PaperDB(unposted_db) as listed:
        expected, _ = searched(full, "reinforcement models", limit=2)
        hits, statements = searched(listed, "reinforcement models", limit=2)
        assert not ranked_in_full(statements)
        # Two words rank: ranked in full, with `models` as a filter.
        expected_two, _ = searched(full, "reinforcement models human")
        two, statements = searched(listed, "reinforcement models human")
        [ranked] = [sql for sql in statements if "bm25(" in sql]
        assert 'MATCH \'"reinforcement" "human"\'' in ranked
    assert len(hits) == 2 and len(two) == 1
    # FTS5 gives `model` a weight of 1e-6: the scores differ by millionths, the order not at all.
    for got, want in ((hits, expected), (two, expected_two)):
        assert [{**h, "score": round(h["score"], 4)} for h in got] == [
            {**h, "score": round(h["score"], 4)} for h in want
        ]


@pytest.mark.parametrize(
    "text, ranking",
    [
        # The best paper of `Jacob optimization` and of `how Jacob` lacks `model`.
        ("Jacob optimization model", "Jacob optimization"),
        ("how models Jacob", "how Jacob"),
    ],
)
def test_filtering_words_are_checked_on_the_best_ranked_papers_then_on_the_rest(
    unposted_db, monkeypatch, text, ranking
):
    listed_db = unposted_db  # `jacob` has no list: FTS5 ranks
    # Ranking only as many papers as wanted first, so that some pages need the rest.
    monkeypatch.setattr(ranker, "CHECKED_FIRST", 1)
    expected = query(
        listed_db,
        RANK_SQL.format(
            match=":ranking",
            filters=" AND +rowid IN (SELECT rowid FROM paper_search_fts WHERE paper_search_fts MATCH 'model')",
        ),
        {"ranking": fts_query(ranking), "limit": -1, "offset": 0, **WEIGHTS},
    )
    assert len(expected) == 3
    rounds = []
    with PaperDB(listed_db) as pdb:
        for offset in range(len(expected) + 1):
            for limit in (1, 2, len(expected)):
                hits, statements = searched(pdb, text, limit=limit, offset=offset)
                assert [(h["paper_id"], -h["score"]) for h in hits] == expected[offset : offset + limit]
                rounds.append(sum("bm25(" in sql for sql in statements))
    assert max(rounds) == 2  # never more than two rankings
    with PaperDB(listed_db) as pdb:
        hits, statements = searched(pdb, text, limit=0)
    assert hits == [] and not ranked_in_full(statements)


def test_a_search_reads_one_commit_while_an_import_commits_another(listed_db):
    # The page is ranked, then its papers are read: a commit in between must not show.
    writer = connect(listed_db)

    def commit_a_new_title(sql: str) -> None:
        if "bm25(" in sql and not writer.in_transaction:
            with write_transaction(writer):
                writer.execute("UPDATE papers SET title = 'Retitled' WHERE title = 'Let''s Verify Step by Step'")

    with PaperDB(listed_db) as pdb:
        pdb.conn.set_trace_callback(commit_a_new_title)
        hits = pdb.search("process supervision", limit=1)
        pdb.conn.set_trace_callback(None)
        again = pdb.search("process supervision", limit=1)
    writer.close()
    assert [h.title for h in hits] == ["Let's Verify Step by Step"]
    assert [h.title for h in again] == ["Retitled"]


def test_a_word_typed_twice_counts_once_and_comes_from_its_list(samples_db, listed_db):
    assert fts_query("Language language LANGUAGE verif* verif") == '"Language" "verif"* "verif"'
    assert fts_query("Straße strasse") == '"Straße" "strasse"'  # two words to FTS5, so both must match
    with PaperDB(samples_db) as full, PaperDB(listed_db) as listed:
        expected, _ = searched(full, "language", limit=5)
        hits, statements = searched(listed, "language Language", limit=5)
    assert hits == expected and not ranked_in_full(statements)


def test_the_lists_are_ignored_once_the_index_changes(listed_db):
    with PaperDB(listed_db) as pdb:
        before, statements = searched(pdb, "language", limit=5)
        assert not ranked_in_full(statements)
    conn = connect(listed_db)
    with write_transaction(conn):
        (paper_id,) = conn.execute("SELECT max(id) FROM papers WHERE title IS NOT NULL").fetchone()
        conn.execute("UPDATE papers SET title = title || ' language language language' WHERE id = ?", (paper_id,))
    conn.close()
    with PaperDB(listed_db) as pdb:
        hits, statements = searched(pdb, "language", limit=5)
    assert paper_id not in [h["paper_id"] for h in before]
    assert hits[0]["paper_id"] == paper_id and ranked_in_full(statements)


def set_format(db: Path, cache: str, version: int) -> None:
    conn = connect(db)
    with write_transaction(conn):
        conn.execute("UPDATE search_formats SET version = ? WHERE cache = ?", (version, cache))
    conn.close()


def test_a_cache_in_another_format_is_not_read(samples_db, listed_db):
    with PaperDB(samples_db) as full:
        expected = {limit: searched(full, "language", limit=limit)[0] for limit in (5, 20)}
    set_format(listed_db, "search_top", 0)  # rows another version of paperdb wrote
    with PaperDB(listed_db) as pdb:
        hits, statements = searched(pdb, "language", limit=5)
    assert hits == expected[5] and ranked_in_full(statements) and postings_read(statements) == 0
    set_format(listed_db, "search_top", 1)
    set_format(listed_db, "search_postings", 0)
    with PaperDB(listed_db) as pdb:
        hits, statements = searched(pdb, "language", limit=5)
        assert hits == expected[5] and not ranked_in_full(statements)  # the list is still read
        hits, statements = searched(pdb, "language", limit=20)
    assert hits == expected[20] and ranked_in_full(statements) and postings_read(statements) == 0


def test_an_import_ranks_a_cache_in_another_format_again_in_full(listed_db):
    set_format(listed_db, "search_postings", 0)
    conn = connect(listed_db)
    with write_transaction(conn):
        refresh = search_lists.update_search_top(conn)
    conn.close()
    assert (refresh.kind, refresh.reason) == ("full", "the caches' format changed")
    assert query(listed_db, "SELECT cache, version FROM search_formats ORDER BY cache") == [
        ("search_postings", 1),
        ("search_top", 1),
    ]
    assert query(listed_db, "SELECT depth, min_papers FROM search_top_source") == [(5, 4)]


def test_year_filters_use_papers_year(db):
    # The samples give no years: a year filter keeps nothing.
    assert db.search("model", year_from=1900) == [] and db.search("model", year_to=2100) == []


@pytest.mark.parametrize(
    "kwargs",
    [
        {"year_from": "1 OR 1=1"},
        {"year_to": "2020; DROP TABLE papers"},
        {"limit": "1 OR 1=1"},
        {"offset": -1},
        {"limit": -5},
    ],
)
def test_bad_numbers_are_a_clear_error(db, samples_db, kwargs):
    before = snapshot(samples_db)
    with pytest.raises(QueryError):
        db.search("model", **kwargs)
    assert snapshot(samples_db) == before


# --- authors --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    [
        "schulman",
        "SCHULMAN",
        "John Schulman",
        "Schulman, J.",
        "Schulman, John",
        "J. Schulman",
        "Schulman John",
        "Shulman",
        "Jhon Schulman",
    ],
)
def test_a_name_as_people_type_it_resolves_to_john_schulman(db, typed):
    found = db.author(typed)
    assert (found.status, found.author.name, found.author.paper_count) == ("found", "John Schulman", 10)


def test_an_author_id_is_that_author(db):
    schulman = db.author("John Schulman").author
    assert db.author(schulman.id).author == db.author(str(schulman.id)).author == schulman
    assert db.author(schulman.id).rule == "id"


def test_typo_is_marked_as_such(db):
    assert db.author("Shulman").rule == "typo"
    assert db.author("Schulman, J.").rule == "initial"


def test_liam_fedus_is_william_fedus_with_his_simpleqa_paper(db):
    found = db.author("Liam Fedus")
    assert found.author.name == "William Fedus"
    assert found.author.variants == [NameVariant("Liam Fedus", 2), NameVariant("William Fedus", 1)]
    assert [(p.title, p.listed_as) for p in found.author.papers] == [
        ("GPT-4 Technical Report", "Liam Fedus"),
        ("GPT-4o System Card", "Liam Fedus"),
        (SIMPLEQA, "William Fedus"),
    ]
    assert {(c.name, c.papers) for c in found.author.coauthors[:3]} == {
        ("Hyung Won Chung", 3),
        ("Jason Wei", 3),
        ("John Schulman", 3),
    }
    assert found.author.coauthors[3].papers == 2


def test_accents_and_special_letters_in_names_do_not_matter(db):
    assert db.author("Lukasz Kaiser").author.name == "Łukasz Kaiser"
    assert db.author("david mely").author.name == "David Mély"


def test_a_name_pasted_from_a_dump_is_repaired_first(db):
    assert db.author("Mรฉly, David").author.name == "David Mély"
    assert db.author("ลukasz Kaiser").author.name == "Łukasz Kaiser"
    assert set(titles(db.search("Mรฉly"))) == {"GPT-4 Technical Report", "GPT-4o System Card"}


def test_other_ways_to_find_an_author(db):
    assert db.author("Gontijo-Lopes").author.name == "Rapha Gontijo Lopes"
    assert db.author("Rapha Gontijo").author.name == "Rapha Gontijo Lopes"
    assert db.author("Joy Jiao").author.name == "Yunxin Joy Jiao"
    assert db.author("OpenAI").author.is_organization is True


def test_the_profile_lists_at_most_limit_papers_and_coauthors(db):
    full = db.author("John Schulman", limit=None).author
    short = db.author("John Schulman", limit=3).author
    assert (short.papers, short.coauthors) == (full.papers[:3], full.coauthors[:3])
    assert short.paper_count == len(full.papers) == 10


def test_papers_are_newest_first_then_by_title(db):
    papers = db.author("John Schulman").author.papers
    # No sample paper has a year, so the order is by title.
    assert [p.title for p in papers] == sorted(p.title for p in papers)
    assert papers[0].paper_id == 5 and papers[0].position == 3


@pytest.mark.parametrize(
    "typed, names",
    [
        ("Zhang", {"Chong Zhang", "Francis Zhang", "Lu Zhang", "Marvin Zhang", "Yu Zhang", "Yuchen Zhang"}),
        ("J. Chen", {"Jason Chen", "Jay Chen"}),
        ("Kirillov", {"Alex Kirillov", "Alexander Kirillov"}),
    ],
)
def test_an_ambiguous_name_lists_the_candidates(db, typed, names):
    found = db.author(typed)
    assert (found.status, found.author) == ("ambiguous", None)
    assert {c.name for c in found.candidates} == names


def test_chen_alone_is_ambiguous_but_mark_chen_is_not(db):
    assert db.author("Chen").status == "ambiguous" and len(db.author("Chen").candidates) == 9
    assert db.author("Mark Chen").author.name == "Mark Chen"


@pytest.mark.parametrize(
    "typed",
    [
        "Nobody Atall",
        "'; DROP TABLE authors; --",
        "1 OR 1=1",
        "999999",
        "99999999999999999999999",
        "Li, Zz",
        "%",
        "Robert'); DELETE FROM authors;--",
    ],
)
def test_unknown_or_hostile_names_find_nothing_and_write_nothing(db, samples_db, typed):
    before = snapshot(samples_db)
    assert db.author(typed).status == "not found"
    assert db.coauthors(typed) == []
    assert snapshot(samples_db) == before


@pytest.mark.parametrize("typed", ["", "   "])
def test_an_empty_name_is_an_error(db, typed):
    with pytest.raises(QueryError, match="empty name"):
        db.author(typed)


def test_coauthors_with_counts(db):
    top = db.coauthors("Karl Cobbe")
    # Most shared papers first; ties by author id.
    assert [(c.name, c.papers) for c in top[:1]] == [("John Schulman", 3)]
    assert {(c.name, c.papers) for c in top[1:3]} == {("Jacob Hilton", 2), ("Vineet Kosaraju", 2)}
    assert [c.papers for c in top[3:]] == [1] * (len(top) - 3)
    assert [c.id for c in top[1:3]] == sorted(c.id for c in top[1:3])
    assert db.coauthors("Karl Cobbe", limit=2) == top[:2]
    assert all(c.name != "Karl Cobbe" for c in top)
    with pytest.raises(AmbiguousAuthor):
        db.coauthors("Zhang")


# --- papers ---------------------------------------------------------------------------


def test_paper_by_title_has_authors_abstract_and_sources(db):
    p = db.paper("Let's Verify Step by Step")
    assert (p.id, p.title, p.year, p.ids) == (2, "Let's Verify Step by Step", None, [])
    assert [(a.position, a.name, a.raw_name) for a in p.authors[:2]] == [
        (1, "Hunter Lightman", "Lightman, Hunter"),
        (2, "Vineet Kosaraju", "Kosaraju, Vineet"),
    ]
    assert [a.position for a in p.authors] == list(range(1, 11))
    assert p.abstracts[0].startswith("In recent years, large language models")
    assert p.sources == [
        PaperSource(str(ABSTRACTS_DUMP), 2, "abstracts"),
        PaperSource(str(PROFILE_DUMP), 14, "profile"),
    ]


def test_paper_by_id_folded_title_or_title_words(db):
    assert db.paper(2) == db.paper("2") == db.paper("LETS VERIFY STEP BY STEP") == db.paper("verify step")


def test_paper_keeps_the_raw_author_names(db):
    authors = db.paper("GPT-4 Technical Report").authors
    assert [(a.name, a.listed_as, a.raw_name) for a in authors[:2]] == [
        ("OpenAI", "OpenAI", "OpenAI, null"),
        ("Joshua Achiam", "Josh Achiam", "Achiam, Josh"),
    ]


def test_unknown_paper_is_none(db):
    assert db.paper("no such paper at all") is None and db.paper(99999) is None
    assert db.paper("'; DROP TABLE papers; --") is None and db.paper("a\x00b") is None


def test_paper_by_id_takes_only_an_id(db):
    assert db.paper_by_id(2) == db.paper("Let's Verify Step by Step")
    # Where `paper` goes on to external ids and title words, `paper_by_id` stops.
    assert db.paper_by_id(99999) is None
    with pytest.raises(QueryError, match="paper id must be a whole number, not 'x'"):
        db.paper_by_id("x")


# --- stats and SQL --------------------------------------------------------------------


def test_stats(db):
    stats = db.stats()
    assert set(stats) == {"counts", "top_authors", "papers_per_year", "last_imports"}
    assert (stats["counts"]["papers"], stats["counts"]["papers_without_title"], stats["counts"]["source_files"]) == (
        16,
        6,
        2,
    )
    assert stats["top_authors"][0] == {"id": stats["top_authors"][0]["id"], "name": "John Schulman", "paper_count": 10}
    assert stats["papers_per_year"] == []
    assert stats["last_imports"][0]["status"] == "ok"


def test_sql_reads_with_bound_parameters(db):
    result = db.sql("SELECT id, title FROM papers WHERE title LIKE ? ORDER BY id", ("%GPT-4%",))
    assert result.columns == ["id", "title"]
    assert result.as_dicts() == [
        {"id": 12, "title": "GPT-4o System Card"},
        {"id": 13, "title": "GPT-4 Technical Report"},
    ]
    assert db.sql("SELECT :n + 1 AS m", {"n": 1}).rows == [(2,)]
    assert db.sql("SELECT rowid FROM papers_fts WHERE papers_fts MATCH 'verify'").rows == [(2,)]
    assert db.sql("PRAGMA table_info(papers)").rows[0][1] == "id"
    assert len(db.sql("SELECT id FROM papers", limit=3).rows) == 3


@pytest.mark.parametrize(
    "statement",
    [
        "DELETE FROM papers",
        "DROP TABLE papers",
        "INSERT INTO papers (title, created_at, updated_at) VALUES ('x', 'x', 'x')",
        "UPDATE authors SET name = 'x'",
        "ATTACH DATABASE ':memory:' AS other",
        "PRAGMA journal_mode=DELETE",
        "PRAGMA query_only = OFF",
        "PRAGMA writable_schema = ON",
        "CREATE TABLE t (x)",
        "CREATE TEMP VIEW v AS SELECT 1",
        "INSERT INTO papers_fts (papers_fts) VALUES ('delete-all')",
        "VACUUM",
        "VACUUM INTO '/tmp/paperdb-should-not-exist.db'",
        "BEGIN IMMEDIATE",
        "REINDEX",
        "-- a comment first\nDELETE FROM authorships",
        "SELECT 1; DELETE FROM papers",
    ],
)
def test_sql_refuses_writes_and_runs_nothing(db, samples_db, statement):
    before = snapshot(samples_db)
    with pytest.raises(QueryError):
        db.sql(statement)
    assert snapshot(samples_db) == before
    assert db.sql("SELECT count(*) FROM papers").rows == [(16,)]


def test_a_refusal_names_the_statement(db):
    with pytest.raises(QueryError, match=r"refused DELETE: paperdb only reads the database \(DELETE papers\)"):
        db.sql("DELETE FROM papers")
    with pytest.raises(QueryError, match=r"refused PRAGMA: .*\(PRAGMA journal_mode = DELETE\)"):
        db.sql("PRAGMA journal_mode=DELETE")


def test_sql_errors_are_query_errors(db):
    with pytest.raises(QueryError, match='SQL error: near "SELEC": syntax error'):
        db.sql("SELEC 1")
    with pytest.raises(QueryError, match="empty SQL"):
        db.sql("  ")


def test_lists_ranked_by_two_processes_are_the_lists_ranked_by_one(listed_db, monkeypatch):
    def lists(conn) -> list[tuple]:
        return [
            tuple(r)
            for r in conn.execute("SELECT term, position, paper_id, score FROM search_top ORDER BY term, position")
        ]

    def recording_pool(*args, **kwargs):
        pool = make_pool(*args, **kwargs)
        submit = pool.submit

        def recorded(fn, *fn_args):
            ranked_apart.append(len(fn_args[1]))  # the words the other process ranks
            return submit(fn, *fn_args)

        pool.submit = recorded
        return pool

    def postings(conn) -> list[tuple]:
        return [tuple(r) for r in conn.execute("SELECT * FROM search_postings ORDER BY term, chunk")]

    ranked_apart: list[int] = []
    conn = connect(listed_db)
    one, posted = lists(conn), postings(conn)
    make_pool = workers.pool
    monkeypatch.setattr(search_lists, "PARALLEL_MIN_WORDS", 2)
    monkeypatch.setattr(search_lists, "RANK_BATCH", 3)
    monkeypatch.setattr(workers, "pool", recording_pool)
    with write_transaction(conn):
        words = search_lists.refresh_search_top(conn, min_papers=4, depth=5).words
        assert lists(conn) == one and postings(conn) == posted
    conn.close()
    # Every other batch of 3 words is ranked by the other process.
    assert (
        ranked_apart == [len(b) for b in list(chunked(range(words), 3))[1::2]]
        and len({row[0] for row in posted}) == words
    )


# --- an author kept apart from a larger compatible one ---------------------------------


# `Chris Manning` and `Christopher D. Manning` share one co-author: a nickname with an added
# middle initial needs two, so resolution keeps them apart and records a candidate.
def test_a_found_author_names_the_larger_author_it_may_be_part_of(manning_db):
    with PaperDB(manning_db) as pdb:
        found = pdb.author("Chris Manning")
        larger = query(manning_db, "SELECT id FROM authors WHERE name = 'Christopher D. Manning'")[0][0]
    assert (found.status, found.author.name, found.author.paper_count) == ("found", "Chris Manning", 1)
    assert found.part_of == [LikelySame(larger, "Christopher D. Manning", 3, "compound", ["John Bauer"])]


def test_the_larger_author_itself_names_no_larger_one(manning_db):
    with PaperDB(manning_db) as pdb:
        assert pdb.author("Christopher D. Manning").part_of == []


# A compound family name links its blocks (`Abrego Torres` to `Abrego`, `Torres Pinto` to
# `Torres`): every author of the group is filed under its first key, `abrego`.
LINKED_GROUP = [
    {"title": "Basque Morphology", "authors": ["Abrego, Maria", "Doe, Jane"]},
    {"title": "Basque Syntax", "authors": ["Abrego Torres, Luis", "Roe, Rick"]},
    {"title": "Galician Treebank", "authors": ["Torres, Pedro", "Poe, Ann"]},
    {"title": "Galician Tagging", "authors": ["Torres, Pedro", "Moe, Max"]},
    {"title": "Galician Lexicon", "authors": ["Torres, P.", "Noe, Nia"]},
    {"title": "Portuguese Parsing", "authors": ["Torres Pinto, Rui", "Loe, Lea"]},
    {"title": "Portuguese Tagging", "authors": ["Pinto, Paula", "Koe, Kit"]},
    {"title": "Portuguese Lexicon", "authors": ["Pinto, Paula", "Joe, Jo"]},
    {"title": "Portuguese Speech", "authors": ["Pinto, Paula", "Hoe, Hal"]},
]


@pytest.fixture(scope="module")
def linked_db(tmp_path_factory):
    folder = tmp_path_factory.mktemp("linked")
    (folder / "papers.jsonl").write_text("".join(json.dumps(r) + "\n" for r in LINKED_GROUP))
    from app.etl.load import run_import

    run_import(folder / "p.db", [folder / "papers.jsonl"])
    return folder / "p.db"


def test_authors_of_a_linked_group_are_found_under_their_own_family_name(linked_db):
    assert {
        r[0]
        for r in query(
            linked_db, "SELECT DISTINCT block_key FROM authors WHERE name LIKE '%Torres%' OR name LIKE '%Pinto%'"
        )
    } == {"abrego"}
    with PaperDB(linked_db) as pdb:
        found = {
            typed: pdb.author(typed) for typed in ("P. Pinto", "Paula Pinto", "Pedro Torres", "L. Torres", "Abrego, M.")
        }
    assert {typed: (f.status, f.rule, f.author.name) for typed, f in found.items()} == {
        "P. Pinto": ("found", "initial", "Paula Pinto"),
        "Paula Pinto": ("found", "folded-equal", "Paula Pinto"),
        "Pedro Torres": ("found", "folded-equal", "Pedro Torres"),
        "L. Torres": ("found", "compound", "Luis Abrego Torres"),
        "Abrego, M.": ("found", "initial", "Maria Abrego"),
    }


def test_the_larger_author_is_one_of_the_same_family_name_not_of_its_group(linked_db):
    # `P. Torres` fits `Paula Pinto` (3 papers) by given name too, but `Pinto` is not `Torres`.
    with PaperDB(linked_db) as pdb:
        found = pdb.author("P. Torres")
    pedro = query(linked_db, "SELECT id FROM authors WHERE name = 'Pedro Torres'")[0][0]
    assert (found.status, found.author.name) == ("found", "P. Torres")
    assert found.part_of == [LikelySame(pedro, "Pedro Torres", 2, "initial", [])]


def test_candidates_count_the_shared_coauthors(manning_db):
    with PaperDB(manning_db) as pdb:
        rows = pdb.candidates()
    assert [(r["name_a"], r["name_b"], r["papers_a"], r["papers_b"], r["shared_coauthors"]) for r in rows] == [
        ("Chris Manning", "Christopher D. Manning", 1, 3, 1)
    ]
    assert rows[0]["reason"] == "compound: shared co-authors: bauer john (needs 2)"


def test_candidates_of_an_author_name_the_other_side_of_each_pair(manning_db):
    [(chris, _), (christopher, _)] = query(
        manning_db, "SELECT id, name FROM authors WHERE name LIKE 'Chris%Manning' ORDER BY name"
    )
    with PaperDB(manning_db) as pdb:
        assert pdb.candidates_of(chris) == [
            {
                "id": christopher,
                "name": "Christopher D. Manning",
                "paper_count": 3,
                "score": 0.782,
                "reason": "compound: shared co-authors: bauer john (needs 2)",
            }
        ]
        assert [r["name"] for r in pdb.candidates_of(christopher)] == ["Chris Manning"]
        assert pdb.candidates_of(0) == []


def test_candidates_a_merge_can_settle_come_before_pairs_on_one_paper(tmp_path):
    from app.etl.load import run_import

    papers = tmp_path / "papers.jsonl"
    twice = {"title": "Listed Twice", "year": 2017, "authors": ["Smith, John", "Smith, John A."]}
    papers.write_text("".join(json.dumps(p) + "\n" for p in [*MANNING_PAPERS, twice]), encoding="utf-8")
    run_import(tmp_path / "p.db", [papers])
    with PaperDB(tmp_path / "p.db") as pdb:
        rows = pdb.candidates()
    assert [(r["name_a"], r["name_b"], r["score"]) for r in rows] == [
        ("Chris Manning", "Christopher D. Manning", 0.782),
        ("John Smith", "John A. Smith", 0.92),
    ]
    assert rows[1]["reason"].startswith("both on one paper")


def test_search_facets_count_what_the_search_finds(formats_db):
    with PaperDB(formats_db) as pdb:
        facets = pdb.search_facets("translation")
        assert facets.total == len(pdb.select(search="translation")) == 212
        assert sum(f.count for f in facets.years) == sum(f.count for f in facets.venues) == 212
        assert facets.venues[-1].value is None  # papers without a venue, counted last
        in_2018 = pdb.search("translation", year_from=2018, year_to=2018, venue="Mémoires du livre", limit=50)
        assert (
            len(in_2018)
            == pdb.search_facets("translation", year_from=2018, year_to=2018, venue="Mémoires du livre").total
            == 5
        )
        assert {pdb.paper(h.paper_id).venue for h in in_2018} == {"Mémoires du livre"}


def test_search_by_year_orders_newest_or_oldest_first_and_ties_by_score(formats_db):
    with PaperDB(formats_db) as pdb:
        everything = pdb.search("translation", limit=500)
        newest = pdb.search("translation", order="newest", limit=500)
        assert sorted(h.paper_id for h in newest) == sorted(h.paper_id for h in everything)
        keys = [(h.year is None, -(h.year or 0), -h.score) for h in newest]
        assert keys == sorted(keys)
        oldest = pdb.search("translation", order="oldest", limit=3)
        assert [h.year for h in oldest] == [1920, 1939, 1964]
        with pytest.raises(QueryError, match="unknown order 'best': one of relevance, newest, oldest"):
            pdb.search("translation", order="best")


def test_listed_papers_keep_the_order_given_with_author_ids(formats_db):
    with PaperDB(formats_db) as pdb:
        listed = pdb.listed([1640, 999_999, 1630])
        assert [p.id for p in listed] == [1640, 1630]
        assert [a.name for a in listed[1].authors] == ["Oliver Kopp", "Daniel Martin", "Daniel Wutke", "Frank Leymann"]
        assert listed[1].authors[0].id == pdb.author("Oliver Kopp").author.id
        assert (listed[1].year, listed[1].venue) == (2009, pdb.paper(1630).venue)


def test_a_bare_pmcid_or_openalex_id_and_a_schemed_doi_in_any_form_name_their_paper(formats_db):
    with PaperDB(formats_db) as pdb:
        oa = pdb.paper_id("doi:10.7717/peerj.4375")
        assert oa is not None
        assert pdb.paper_id("PMC5815332") == pdb.paper_id("pmc5815332") == pdb.paper_id("pmcid:PMC5815332") == oa
        assert pdb.paper_id("doi:HTTPS://doi.org/10.7717/PEERJ.4375") == oa  # the scheme's value read as stored
        w = query(formats_db, "SELECT paper_id, value FROM paper_ids WHERE scheme = 'openalex' ORDER BY value LIMIT 1")[
            0
        ]
        assert pdb.paper_id(w[1].lower()) == w[0]
        assert pdb.paper_id("PMC0000000") is None

"""Random FTS syntax and hostile values thrown at the query layer give results or clean errors."""

from __future__ import annotations

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from app.query import PaperDB, QueryError
from app.text.clean import repair_text
from tests.test_query import quoted_words, snapshot

FTS_PIECES = [
    '"',
    "(",
    ")",
    "*",
    "^",
    ":",
    "-",
    "+",
    "NEAR",
    "NEAR(",
    "AND",
    "OR",
    "NOT",
    "title:",
    "{",
    "}",
    ",",
    "verify",
    "process",
    "supervision",
    "mély",
    "'",
    ";",
    "--",
    "DROP TABLE papers",
    "\x00",
    "%",
]
fts_text = st.lists(st.one_of(st.sampled_from(FTS_PIECES), st.text(max_size=6)), max_size=8).map(" ".join)
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
# The only errors a raw FTS5 query may give, each naming what was typed; plain words can only be empty.
RAW_ERRORS = ("empty query", "invalid search syntax in ", "unknown column ")


@SETTINGS
@given(text=fts_text, raw=st.booleans())
@example(text="* \n", raw=True)  # SQLite's message quotes the newline after the bad token
def test_random_fts_syntax_gives_results_or_a_clean_error(samples_db, text, raw):
    before = snapshot(samples_db)
    with PaperDB(samples_db) as pdb:
        try:
            hits = pdb.search(text, raw=raw)
        except QueryError as e:
            message = str(e)
            assert "\n" not in message and message.startswith(RAW_ERRORS if raw else "empty query"), message
        else:
            ids = [h.paper_id for h in hits]
            assert len(ids) == len(set(ids))
            assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
            if not raw:  # every character is literal: the same as the repaired words quoted one by one
                quoted = quoted_words(text)
                assert ids == [h.paper_id for h in pdb.search(quoted, raw=True)]
    assert snapshot(samples_db) == before


@SETTINGS
@given(name=fts_text)
def test_random_names_give_a_lookup_or_a_clean_error(samples_db, name):
    with PaperDB(samples_db) as pdb:
        try:
            found = pdb.author(name)
        except QueryError as e:
            assert str(e) == "empty name: give an author's name or id"
            assert not repair_text(name).split()  # only a name with nothing left once repaired
        else:
            assert found.status in ("found", "ambiguous", "not found")
            assert (found.author is not None) == (found.status == "found")
            assert (len(found.candidates) > 1) == (found.status == "ambiguous")

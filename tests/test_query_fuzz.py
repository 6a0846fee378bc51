"""Random FTS syntax and hostile values thrown at the query layer give results or clean errors."""
from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.query import PaperDB, QueryError

FTS_PIECES = ['"', "(", ")", "*", "^", ":", "-", "+", "NEAR", "NEAR(", "AND", "OR", "NOT", "title:", "{", "}",
              ",", "verify", "process", "supervision", "mély", "'", ";", "--", "DROP TABLE papers", "\x00", "%"]
fts_text = st.lists(st.one_of(st.sampled_from(FTS_PIECES), st.text(max_size=6)), max_size=8).map(" ".join)
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def counts(pdb: PaperDB) -> tuple:
    return pdb.conn.execute("SELECT (SELECT count(*) FROM papers), (SELECT count(*) FROM authors)").fetchone()


@SETTINGS
@given(text=fts_text, raw=st.booleans())
def test_random_fts_syntax_gives_results_or_a_clean_error(samples_db, text, raw):
    with PaperDB(samples_db) as pdb:
        before = counts(pdb)
        try:
            hits = pdb.search(text, raw=raw)
        except QueryError as e:
            assert str(e)  # a message a person can read, never a bare sqlite3 error
        else:
            assert all(isinstance(h.paper_id, int) for h in hits)
        assert counts(pdb) == before


@SETTINGS
@given(name=fts_text)
def test_random_names_give_a_lookup_or_a_clean_error(samples_db, name):
    with PaperDB(samples_db) as pdb:
        try:
            pdb.author(name)
        except QueryError as e:
            assert str(e)

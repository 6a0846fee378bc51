"""Each paper's evidence for resolution, worked out once into a scratch file, reads back as the database gives it."""

from __future__ import annotations

from contextlib import closing

from app.db import connect
from app.etl import paper_evidence
from app.etl.paper_evidence import PaperContext, evidence_rows, open_evidence, paper_ranges, write_evidence


def evidence_by_paper(context: PaperContext, ids: list[int]) -> dict[int, tuple]:
    return {pid: (set(context.coauthors[pid]), context.profiles[pid], context.title_words[pid]) for pid in ids}


def test_the_scratch_file_gives_every_paper_the_evidence_the_database_gives(tmp_path, samples_db, monkeypatch):
    monkeypatch.setattr(paper_evidence, "EVIDENCE_PAPERS_PER_PIECE", 3)  # several pieces, as at scale
    path = str(tmp_path / "evidence.db")
    with closing(connect(samples_db, readonly=True)) as conn:
        ids = [r[0] for r in conn.execute("SELECT id FROM papers ORDER BY id")]
        write_evidence(path, (evidence_rows(conn, low, high) for low, high in paper_ranges(conn)))
        from_database = PaperContext()
        from_database.load(conn, set(ids))
        with closing(open_evidence(path)) as evidence:
            from_file = PaperContext(evidence=evidence)
            from_file.load(conn, set(ids))
            assert evidence.execute("SELECT count(*) FROM evidence").fetchone()[0] == len(ids) == 16
    assert evidence_by_paper(from_file, ids) == evidence_by_paper(from_database, ids)
    # The samples hold papers with profile owners, with several co-authors and with title words.
    assert any(profiles for _, profiles, _ in evidence_by_paper(from_file, ids).values())
    assert max(len(coauthors) for coauthors, _, _ in evidence_by_paper(from_file, ids).values()) > 3
    assert sum(bool(words) for _, _, words in evidence_by_paper(from_file, ids).values()) == 10  # every titled one


def test_a_paper_missing_from_the_scratch_file_is_read_from_the_database(tmp_path, samples_db):
    path = str(tmp_path / "evidence.db")
    with closing(connect(samples_db, readonly=True)) as conn:
        ids = [r[0] for r in conn.execute("SELECT id FROM papers ORDER BY id")]
        write_evidence(path, [evidence_rows(conn, ids[0], ids[0] + 1)])  # the first paper only
        from_database = PaperContext()
        from_database.load(conn, set(ids))
        with closing(open_evidence(path)) as evidence:
            from_file = PaperContext(evidence=evidence)
            from_file.load(conn, set(ids))
    assert evidence_by_paper(from_file, ids) == evidence_by_paper(from_database, ids)

"""Load, papers side: match records to papers, record provenance, rebuild papers from sources.

A paper is derived from its source records (`paper_sources`): its title, ids,
abstracts and author list are recomputed from all of them, in an order fixed by
their content, so the same files in any order give the same papers.

A record's abstract is stored once: where the paper's `abstracts` row of its key holds
the same text, the record names that row (`abstract_key`) instead of holding the text
again. Before a row takes another text, the records naming it get their own text back
(`_write_out_abstracts`), so every record's abstract is always what its source gave; a
rebuild names the rows again wherever the texts agree (`_name_abstracts`).
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from dataclasses import dataclass, field

from rapidfuzz import fuzz

from app.text.names import block_key
from app.text.normalize import CleanRecord, abstract_keys, fold_text, text_key
from app.text.records import AuthorshipRow, Mention

# Abstracts at least this similar (rapidfuzz ratio, 0-100, on folded text) are one paper's:
# a fixed typo or a lost sentence end stays above it; two different abstracts sit far below.
ABSTRACT_SIMILARITY = 95


@dataclass
class PaperChanges:
    """What loading one file did to papers; feeds the author step and the run report."""

    added: set[int] = field(default_factory=set)
    dirty: set[int] = field(default_factory=set)  # papers to rebuild from their sources
    removed: set[int] = field(default_factory=set)
    touched_blocks: set[str] = field(default_factory=set)  # author blocks to re-resolve
    search_dirty: set[int] = field(default_factory=set)  # papers whose search row is stale
    # Papers' new author lists, in the order they were set: written at the end of the file
    # together with their authors (`assign_provisional`), so no row is written twice.
    authorships: dict[int, list[AuthorshipRow]] = field(default_factory=dict)

    def block_keys(self, conn: sqlite3.Connection, paper_id: int) -> set[str]:
        """The blocks of a paper's authors: its new list if it has one, else the database's."""
        if paper_id in self.authorships:
            return {row.block_key for row in self.authorships[paper_id]}
        return _block_keys_of(conn, paper_id)

    def new_authorships(self) -> list[AuthorshipRow]:
        """Every new author list's rows, in the order the lists were set."""
        return [row for rows in self.authorships.values() for row in rows]


def _block_keys_of(conn: sqlite3.Connection, paper_id: int) -> set[str]:
    return {r[0] for r in conn.execute("SELECT block_key FROM authorships WHERE paper_id = ?", (paper_id,))}


def match_paper(conn: sqlite3.Connection, rec: CleanRecord, pending_keys: dict[int, set[str]]) -> int | None:
    """The existing paper this record describes, or None: by id, then title+authors, then abstract."""
    for scheme, value in rec.ids:
        row = conn.execute("SELECT paper_id FROM paper_ids WHERE scheme = ? AND value = ?", (scheme, value)).fetchone()
        if row:
            return row[0]
    if rec.title:
        mine = {block_key(m.family, m.given) for m in rec.mentions}
        for (pid,) in conn.execute(
            "SELECT id FROM papers WHERE title_key = ? ORDER BY id", (rec.title_key,)
        ).fetchall():
            theirs = pending_keys.get(pid) or _block_keys_of(conn, pid)
            if not mine or not theirs or mine & theirs:
                return pid
    if rec.abstract:
        return _match_abstract(conn, rec)
    return None


def _match_abstract(conn: sqlite3.Connection, rec: CleanRecord) -> int | None:
    """The paper whose abstract is this record's, or nearly (ABSTRACT_SIMILARITY): titled papers
    first, then the lowest id. A titled record only completes a paper without a title.

    One statement per key: its index (`ix_abstracts_*`) gives each abstract's paper, the small
    partial index `ix_papers_untitled` whether that paper is untitled, and only the abstracts a
    record may join are read. Where many abstracts start or end alike (a million generated
    papers: 34 per titled record), a titled record reads the one or two untitled among them.
    """
    key, head, tail = rec.abstract_keys
    titled = bool(rec.title)
    exact = dict(conn.execute(_JOINABLE[titled, "text_key"], (key,)))
    if exact:
        return min(exact, key=lambda pid: (exact[pid], pid))
    rows = {
        row
        for column, value in (("head_key", head), ("tail_key", tail))
        for row in conn.execute(_JOINABLE[titled, column], (value,))
    }
    if not rows:
        return None
    mine = fold_text(rec.abstract)
    similar = []
    for pid, untitled, text, their_key in rows:
        theirs = None
        length = _folded_lengths.get(their_key)
        if length is None:
            theirs = fold_text(text)
            length = _remember_length(their_key, len(theirs))
        if not _may_be_similar(len(mine), length):
            continue
        score = fuzz.ratio(mine, fold_text(text) if theirs is None else theirs, score_cutoff=ABSTRACT_SIMILARITY)
        if score:
            similar.append((-score, untitled, pid))
    return min(similar)[2] if similar else None


# The folded length of abstracts met as candidates, by text key: the key hashes the folded
# text, so it fixes the length. The same abstracts are candidates again and again (those of
# untitled papers, for every titled record starting or ending like them); their lengths are
# kept so that most of them, too long or too short to be similar, are never folded again.
_folded_lengths: dict[str, int] = {}
FOLDED_LENGTHS_KEPT = 100_000  # about 20 MB


def _remember_length(text_key: str, length: int) -> int:
    if len(_folded_lengths) >= FOLDED_LENGTHS_KEPT:
        _folded_lengths.clear()
    _folded_lengths[text_key] = length
    return length


def _may_be_similar(a: int, b: int) -> bool:
    """Whether texts of these lengths can reach ABSTRACT_SIMILARITY: rapidfuzz's ratio is
    100 * (1 - distance / (a + b)), and the distance is at least the difference of the lengths."""
    return 100 * (a + b - abs(a - b)) >= ABSTRACT_SIMILARITY * (a + b)


def _joinable_sql(titled: bool, column: str) -> str:
    """The abstracts whose `column` key is a record's that it may join: for a titled record,
    those of untitled papers only. Each as (paper, untitled); matched by the ends of the text,
    with the text and its key to compare (an equal text needs neither)."""
    read = "" if column == "text_key" else ", a.text, a.text_key"
    join = "JOIN" if titled else "LEFT JOIN"
    return (
        f"SELECT a.paper_id, u.id IS NOT NULL{read} FROM abstracts a "
        f"{join} papers u INDEXED BY ix_papers_untitled ON u.id = a.paper_id AND u.title IS NULL "
        f"WHERE a.{column} = ?"
    )


_JOINABLE = {
    (titled, column): _joinable_sql(titled, column)
    for titled in (False, True)
    for column in ("text_key", "head_key", "tail_key")
}


def add_record(
    conn: sqlite3.Connection,
    rec: CleanRecord,
    file_id: int,
    now: str,
    changes: PaperChanges,
    pending_keys: dict[int, set[str]],
) -> int:
    """Attach a record to its paper (creating one if new); write its identity keys at once."""
    paper_id = match_paper(conn, rec, pending_keys)
    new = paper_id is None
    if new:
        # A new paper with one source is already what a rebuild would make of it: write it whole.
        paper_id = conn.execute(
            "INSERT INTO papers (title, title_key, year, venue, url, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (rec.title, rec.title_key, rec.year, rec.venue, rec.url, now, now),
        ).lastrowid
        changes.added.add(paper_id)
        _replace_authorships(conn, paper_id, list(rec.mentions), changes)
    else:
        if rec.title:
            # Let later records of this file match on the title even before the rebuild.
            conn.execute(
                "UPDATE papers SET title_key = ? WHERE id = ? AND title_key IS NULL", (rec.title_key, paper_id)
            )
        changes.dirty.add(paper_id)
        if rec.profile_owner:
            # A profile is evidence about the paper's authors even when their list is unchanged.
            changes.touched_blocks.update(changes.block_keys(conn, paper_id))
    pending_keys.setdefault(paper_id, set()).update(block_key(m.family, m.given) for m in rec.mentions)
    if rec.abstract:
        # First: the paper's row of this key then holds the record's text, which the record names.
        # No record names the rows of a paper made just now.
        _insert_abstract(conn, paper_id, rec.abstract, rec.abstract_keys, named=not new)
    source_id = conn.execute(
        "INSERT INTO paper_sources (paper_id, file_id, line, record_hash, profile_owner, record) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (paper_id, file_id, rec.line, rec.record_hash, rec.profile_owner, rec.stored),
    ).lastrowid
    conn.executemany(
        "INSERT INTO name_repairs (source_id, kind, detail) VALUES (?, ?, ?)",
        [(source_id, r.kind, r.detail) for r in rec.repairs],
    )
    conn.executemany(
        "INSERT INTO paper_ids (paper_id, scheme, value) VALUES (?, ?, ?) ON CONFLICT (scheme, value) DO NOTHING",
        [(paper_id, s, v) for s, v in rec.ids],
    )
    return paper_id


def _source_content(record: str, abstracts: dict[str, str]) -> dict:
    """A stored record's content as its source gave it, its abstract read from the paper's
    `abstracts` (text key -> text) where the record names it."""
    content = json.loads(record)
    key = content.pop("abstract_key", None)
    if key is not None:
        content["abstract"] = abstracts[key]
    return content


def remove_file_sources(conn: sqlite3.Connection, file_id: int, changes: PaperChanges) -> None:
    """Forget what a file contributed; its papers are rebuilt from their other sources."""
    changes.dirty.update(
        r[0] for r in conn.execute("SELECT DISTINCT paper_id FROM paper_sources WHERE file_id = ?", (file_id,))
    )
    # The authors of a paper that loses a profile source lose that evidence.
    changes.touched_blocks.update(
        r[0]
        for r in conn.execute(
            "SELECT DISTINCT block_key FROM authorships WHERE paper_id IN "
            "(SELECT paper_id FROM paper_sources WHERE file_id = ? AND profile_owner IS NOT NULL)",
            (file_id,),
        )
    )
    conn.execute("DELETE FROM paper_sources WHERE file_id = ?", (file_id,))


def _most_common(values, key=lambda v: (len(v), v)):
    """The most frequent non-empty value; ties broken by `key` so the choice never depends on order."""
    counts = Counter(v for v in values if v not in (None, ""))
    if not counts:
        return None
    return max(counts, key=lambda v: (counts[v], key(v)))


def _author_list(sources: list[dict]) -> list[Mention]:
    # The fullest author list wins; equal lengths fall back to content order via record_hash.
    best = max(sources, key=lambda s: (len(s["authors"]), s["_hash"]), default=None)
    if not best:
        return []
    orcids = _orcids_by_spelling(sources)
    return [
        Mention(family=f, given=g, raw=raw, is_organization=bool(org), orcid=orcid[0] if orcid else orcids.get((f, g)))
        for f, g, raw, org, *orcid in best["authors"]
    ]


def _orcids_by_spelling(sources: list[dict]) -> dict[tuple[str, str | None], str]:
    """The ORCID of each (family, given) in any of the paper's sources, where they agree on one:
    a source without ORCIDs (BibTeX) may give the author list, another (OpenAlex) the ORCIDs."""
    found: dict[tuple[str, str | None], set[str]] = {}
    for s in sources:
        for f, g, _, _, *orcid in s["authors"]:
            if orcid:
                found.setdefault((f, g), set()).add(orcid[0])
    return {spelling: min(orcids) for spelling, orcids in found.items() if len(orcids) == 1}


def rebuild_paper(conn: sqlite3.Connection, paper_id: int, now: str, changes: PaperChanges) -> None:
    """Recompute a paper from all its sources; delete it if no source is left."""
    rows = conn.execute("SELECT record_hash, record FROM paper_sources WHERE paper_id = ?", (paper_id,)).fetchall()
    if not rows:
        changes.touched_blocks.update(_block_keys_of(conn, paper_id))
        conn.execute("DELETE FROM authorships WHERE paper_id = ?", (paper_id,))
        conn.execute("DELETE FROM papers WHERE id = ?", (paper_id,))
        changes.removed.add(paper_id)
        changes.added.discard(paper_id)
        return
    abstracts = dict(conn.execute("SELECT text_key, text FROM abstracts WHERE paper_id = ?", (paper_id,)).fetchall())
    sources = sorted((dict(_source_content(rec, abstracts), _hash=h) for h, rec in rows), key=lambda s: s["_hash"])
    title = _most_common(s["title"] for s in sources)
    fields = {
        "title": title,
        "title_key": text_key(title) if title else None,
        "year": _most_common((s["year"] for s in sources), key=lambda v: -v),
        "venue": _most_common(s["venue"] for s in sources),
        "url": _most_common(s["url"] for s in sources),
    }
    old = conn.execute("SELECT title, title_key, year, venue, url FROM papers WHERE id = ?", (paper_id,)).fetchone()
    if dict(old) != fields:
        conn.execute(
            "UPDATE papers SET title = :title, title_key = :title_key, year = :year, venue = :venue, url = :url, "
            "updated_at = :now WHERE id = :id",
            {**fields, "now": now, "id": paper_id},
        )
        changes.search_dirty.add(paper_id)
    _replace_ids(conn, paper_id, sources)
    if _replace_abstracts(conn, paper_id, sources):
        changes.search_dirty.add(paper_id)
    _name_abstracts(conn, paper_id)
    _replace_authorships(conn, paper_id, _author_list(sources), changes)


def _replace_ids(conn: sqlite3.Connection, paper_id: int, sources: list[dict]) -> None:
    wanted = {tuple(i) for s in sources for i in s["ids"]}
    have = {(r[0], r[1]) for r in conn.execute("SELECT scheme, value FROM paper_ids WHERE paper_id = ?", (paper_id,))}
    conn.executemany(
        "DELETE FROM paper_ids WHERE paper_id = ? AND scheme = ? AND value = ?",
        [(paper_id, s, v) for s, v in have - wanted],
    )
    conn.executemany(
        "INSERT INTO paper_ids (paper_id, scheme, value) VALUES (?, ?, ?) ON CONFLICT (scheme, value) DO NOTHING",
        [(paper_id, s, v) for s, v in sorted(wanted - have)],
    )


def _insert_abstract(
    conn: sqlite3.Connection, paper_id: int, text: str, keys: tuple[str, str, str], named: bool = True
) -> None:
    if named:
        _write_out_abstracts(conn, paper_id, keys[0], text)
    conn.execute(
        "INSERT INTO abstracts (paper_id, text, text_key, head_key, tail_key) VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT (paper_id, text_key) DO UPDATE SET text = excluded.text WHERE text IS NOT excluded.text",
        (paper_id, text, *keys),
    )


def _write_out_abstracts(conn: sqlite3.Connection, paper_id: int, key: str, text: str) -> None:
    """Before the paper's abstract row of this key takes `text`, the records naming it for
    another text get that text back, in full."""
    conn.execute(
        "UPDATE paper_sources SET record = json_remove(json_set(record, '$.abstract', a.text), '$.abstract_key') "
        "FROM abstracts a WHERE a.paper_id = :paper AND a.text_key = :key AND a.text IS NOT :text "
        "AND paper_sources.paper_id = :paper AND paper_sources.record ->> '$.abstract_key' = :key",
        {"paper": paper_id, "key": key, "text": text},
    )


def _name_abstracts(conn: sqlite3.Connection, paper_id: int) -> None:
    """The paper's records holding the text of one of its abstract rows name that row instead."""
    conn.execute(
        "UPDATE paper_sources SET record = json_set(record, '$.abstract', NULL, '$.abstract_key', a.text_key) "
        "FROM abstracts a WHERE a.paper_id = :paper AND paper_sources.paper_id = :paper "
        "AND a.text = paper_sources.record ->> '$.abstract'",
        {"paper": paper_id},
    )


def _replace_abstracts(conn: sqlite3.Connection, paper_id: int, sources: list[dict]) -> bool:
    """Keep one abstract row per distinct (folded) text; return True if anything changed."""
    by_key: dict[tuple[str, str, str], list[str]] = {}
    for s in sources:
        if s["abstract"]:
            by_key.setdefault(abstract_keys(s["abstract"]), []).append(s["abstract"])
    wanted = {keys[0]: (_most_common(texts), keys) for keys, texts in by_key.items()}
    have = {r[0]: r[1] for r in conn.execute("SELECT text_key, text FROM abstracts WHERE paper_id = ?", (paper_id,))}
    if have == {k: text for k, (text, _) in wanted.items()}:
        return False
    for k in have.keys() - wanted.keys():
        conn.execute("DELETE FROM abstracts WHERE paper_id = ? AND text_key = ?", (paper_id, k))
    for _, (text, keys) in sorted(wanted.items()):
        _insert_abstract(conn, paper_id, text, keys)
    return True


def _replace_authorships(
    conn: sqlite3.Connection, paper_id: int, mentions: list[Mention], changes: PaperChanges
) -> None:
    """Set a paper's author list, if it changed: the old rows go now, the new ones with their authors."""
    rows = [
        AuthorshipRow(
            paper_id,
            pos,
            m.raw,
            m.display,
            m.family,
            m.given,
            int(m.is_organization),
            block_key(m.family, m.given),
            m.orcid,
        )
        for pos, m in enumerate(mentions, 1)
    ]
    have, in_database = _current_authorships(conn, paper_id, changes)
    if have == rows:
        return
    changes.touched_blocks.update(r.block_key for r in have)
    changes.touched_blocks.update(r.block_key for r in rows)
    changes.search_dirty.add(paper_id)
    if have and in_database:
        conn.execute("DELETE FROM authorships WHERE paper_id = ?", (paper_id,))
    changes.authorships.pop(paper_id, None)  # a list set again goes last, as a rewrite of its rows would
    changes.authorships[paper_id] = rows


def _current_authorships(
    conn: sqlite3.Connection, paper_id: int, changes: PaperChanges
) -> tuple[list[AuthorshipRow], bool]:
    """A paper's author list as it stands, and whether that is the database's: a list set
    earlier in this file waits in `changes` (a paper added in it has none before)."""
    if paper_id in changes.authorships or paper_id in changes.added:
        return changes.authorships.get(paper_id, []), False
    return [
        AuthorshipRow(*r)
        for r in conn.execute(
            "SELECT paper_id, position, raw_name, name, family_name, given_name, is_organization, block_key, orcid "
            "FROM authorships WHERE paper_id = ? ORDER BY position",
            (paper_id,),
        )
    ], True

"""Load, authors side: provisional authors per file, then whole-block re-resolution.

Within a file's transaction every new mention gets an author at once (an existing
author of its block with that exact spelling, or a new one), so a committed file is
always complete. The blocks it touched are queued in `pending_blocks`; at the end of
the run each queued block is re-resolved whole, from every mention in the database,
so the result never depends on the order files came in, and a block touched by many
files is resolved once. A killed run leaves its queue for the next run. Each new
cluster keeps the author id most of its mentions already had, if its block owns that
author (`_owners`). Linked blocks (`block_links`) are resolved as one group, computed
from the database at each run; a queued block brings its group, and the blocks it was
resolved with before, into the queue (`queue_linked`).
"""

from __future__ import annotations

import json
import sqlite3
import tempfile
from collections import Counter, defaultdict, deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, replace
from pathlib import Path
from sys import intern
from typing import NamedTuple

from app import workers
from app.db import chunked, connect, placeholders, write_transaction
from app.etl import block_links, paper_evidence, resolve
from app.etl.paper_evidence import PaperContext
from app.etl.resolve import (
    RULES_VERSION,
    BlockResult,
    Cluster,
    Mention,
    Overrides,
    resolve_block,
    with_links,
)
from app.search.index import batched_fts
from app.text.names import lookup_keys
from app.text.records import AuthorshipRow

# Blocks resolved per transaction at the end of a run: big enough to batch the queries,
# small enough that readers and a kill lose little. A batch's memory grows with its
# mentions (their rows and their papers' evidence), so big blocks make smaller batches.
# Re-resolving all of a 1M-paper database: 100k mentions a batch, 341 s and 1,489 MB for
# the import and its two workers; 50k, 345 s and 1,066 MB.
BLOCKS_PER_TRANSACTION = 2000
MENTIONS_PER_TRANSACTION = 50_000
# With this many mentions queued, worker processes read and cluster batches ahead while
# this process writes: below it, starting them costs more than they save.
PARALLEL_MIN_MENTIONS = 200_000
RESOLVE_WORKERS = 2  # both cores read and cluster; writing takes the least time of the three
READER_CACHE_KIB = 32 * 1024  # each worker's SQLite page cache
# A worker that holds more than this after a batch hands the memory back before the next:
# the biggest linked groups take a gigabyte, most batches a few hundred MB (`workers.give_back_memory`).
GIVE_BACK_ABOVE_MB = 512


def queue_blocks(conn: sqlite3.Connection, keys: set[str]) -> None:
    """Queue blocks for re-resolution at the end of the run."""
    conn.executemany(
        "INSERT INTO pending_blocks (block_key) VALUES (?) ON CONFLICT DO NOTHING", [(k,) for k in sorted(keys)]
    )


def queue_if_rules_changed(conn: sqlite3.Connection) -> None:
    """Queue every block when the authors were resolved with other rules than this code's."""
    with write_transaction(conn):
        # The outer SELECT gives one row even when the table is empty (a database made without migrations).
        (version,) = conn.execute("SELECT (SELECT version FROM resolver_rules WHERE id = 1)").fetchone()
        if version != RULES_VERSION:
            queue_blocks(conn, {r[0] for r in conn.execute("SELECT DISTINCT block_key FROM authorships")})
            conn.execute(
                "INSERT INTO resolver_rules (id, version) VALUES (1, ?) "
                "ON CONFLICT (id) DO UPDATE SET version = excluded.version",
                (RULES_VERSION,),
            )


# An `author_names` row: the spelling, how often, and what author lookup finds it by.
NAME_COLUMNS = "(author_id, name, family_name, given_name, count, block_key, first_token, later_tokens)"


def _name_row(author_id: int, name: str, family: str, given: str | None, count: int) -> tuple:
    return (author_id, name, family, given, count, *lookup_keys(family, given))


def assign_provisional(conn: sqlite3.Connection, overrides: Overrides, rows: list[AuthorshipRow], now: str) -> None:
    """Write new authorships, each with an author: its block's author of that spelling, or a new one.

    Each row is written once, author and all: an UPDATE after the insert would rewrite
    every row and its indexes again.
    """
    taken: dict[int, set[int]] = defaultdict(set)  # paper -> authors it already has
    spelling_of = [(overrides.block_alias(r.block_key), r.name) for r in rows]
    known = _authors_by_spelling(conn, set(spelling_of))
    # Ids are handed out here, so new authors go in with one executemany (the write lock is held).
    next_id = conn.execute("SELECT coalesce(max(id), 0) + 1 FROM authors").fetchone()[0]
    new_authors: dict[int, tuple] = {}
    assigned, papers, spellings = [], Counter(), Counter()
    for r, spelling in zip(rows, spelling_of):
        author_id = known.get(spelling)
        if author_id is None or author_id in taken[r.paper_id]:
            author_id, next_id = next_id, next_id + 1
            new_authors[author_id] = (r.name, r.family_name, r.given_name, r.is_organization, spelling[0])
            known.setdefault(spelling, author_id)
        taken[r.paper_id].add(author_id)
        assigned.append((*r, author_id))
        papers[author_id] += 1
        spellings[(author_id, r.name, r.family_name, r.given_name)] += 1
    conn.executemany(
        "INSERT INTO authors (id, name, family_name, given_name, is_organization, block_key, paper_count, "
        "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(aid, *author, papers[aid], now, now) for aid, author in new_authors.items()],
    )
    conn.executemany(
        "INSERT INTO authorships (paper_id, position, raw_name, name, family_name, given_name, is_organization, "
        "block_key, orcid, author_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        assigned,
    )
    conn.executemany(
        "UPDATE authors SET paper_count = paper_count + ? WHERE id = ?",
        [(n, aid) for aid, n in papers.items() if aid not in new_authors],
    )
    conn.executemany(
        f"INSERT INTO author_names {NAME_COLUMNS} VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (author_id, name) DO UPDATE SET count = count + excluded.count",
        [_name_row(*key, n) for key, n in spellings.items()],
    )


def _authors_by_spelling(conn: sqlite3.Connection, spellings: set[tuple[str, str]]) -> dict[tuple[str, str], int]:
    """(block, spelling) -> the existing author of that block who has it most often."""
    found: dict[tuple[str, str], int] = {}
    for block, name, author_id in conn.execute(
        "WITH wanted AS (SELECT value ->> 0 AS block_key, value ->> 1 AS name FROM json_each(?)) "
        "SELECT w.block_key, w.name, n.author_id FROM wanted w "
        "JOIN author_names n ON n.name = w.name JOIN authors a ON a.id = n.author_id AND a.block_key = w.block_key "
        "ORDER BY n.count DESC, n.author_id",
        (json.dumps(sorted(spellings)),),
    ):
        found.setdefault((block, name), author_id)
    return found


def resolve_pending(
    conn: sqlite3.Connection,
    overrides: Overrides,
    now: str,
    after_each: Callable[[sqlite3.Connection, set[int]], None],
    progress: Callable[[int, int], None] | None = None,
    evidence_progress: Callable[[int, int], None] | None = None,
) -> None:
    """Re-resolve every queued block, a batch per transaction.

    `after_each(conn, papers)` runs inside each transaction with the papers whose
    authors changed (their search rows need rewriting); `progress(blocks done, blocks)`
    after it. With many mentions queued, worker processes read and cluster the next
    batches while this one writes (`_read_ahead`), once they have worked out every
    paper's evidence (`evidence_progress(papers done, papers)` as they go).
    """
    if not conn.execute("SELECT 1 FROM pending_blocks LIMIT 1").fetchone():
        return
    overrides = with_links(
        overrides,
        conn.execute(
            "SELECT block_key, family_name, given_name, count(*) FROM authorships WHERE given_name IS NOT NULL "
            "GROUP BY block_key, family_name, given_name"
        ),
    )
    with write_transaction(conn):
        together = queue_linked(conn, overrides)
    batches = _plan_batches(conn, overrides, together)
    context = PaperContext()
    blocks, done = sum(len(b.keys) for b in batches), 0
    for keys, batch in _read_ahead(conn, batches, overrides, evidence_progress or (lambda done, total: None)):
        with write_transaction(conn), batched_fts(conn):
            if batch is None or not _as_read(conn, batch.state):
                batch = read_batch(conn, keys, overrides, context)
            papers = write_batch(conn, batch, now)
            conn.executemany("DELETE FROM pending_blocks WHERE block_key = ?", [(k,) for k in keys])
            after_each(conn, papers)
        if sum(len(mentions) for _, mentions, _ in batch.blocks) > MENTIONS_PER_TRANSACTION:
            # A linked group too big to share a batch, written: its memory goes back now, not
            # while a worker clusters the next big one (1M papers: the import 510 -> 388 MB).
            batch = None
            workers.give_back_memory()
        done += len(keys)
        if progress:
            progress(done, blocks)


def queue_linked(conn: sqlite3.Connection, overrides: Overrides) -> dict[str, str]:
    """Queue the blocks resolved with a queued one: its group of linked blocks now
    (`overrides`, see `block_links`) and the blocks it was resolved with before (those whose
    authors are filed under the same block), until no more are added. Returns the key each
    queued block must share a batch with: blocks resolved together before or now do
    (`_owners` decides between them who keeps an author)."""
    groups = block_links.groups(overrides.aliases)
    queued = {r[0] for r in conn.execute("SELECT block_key FROM pending_blocks")}
    before: set[tuple[str, str]] = set()
    todo = set(queued)
    while todo:
        grown = {key for k in todo for key in groups.get(overrides.block_alias(k), ())}
        filed = _filed_elsewhere(conn, todo)
        before |= filed
        grown |= _keys_filed_under(conn, {alias for _, alias in filed}) | {alias for _, alias in filed}
        todo = grown - queued
        queued |= todo
    queue_blocks(conn, queued)
    return block_links.aliases(before, overrides.aliases)


def _filed_elsewhere(conn: sqlite3.Connection, keys: set[str]) -> set[tuple[str, str]]:
    """(block key, author's block) for the mentions of these blocks whose author is filed under another block."""
    found: set[tuple[str, str]] = set()
    for chunk in chunked(sorted(keys)):
        found.update(
            conn.execute(
                f"SELECT DISTINCT s.block_key, a.block_key FROM authorships s JOIN authors a ON a.id = s.author_id "
                f"WHERE s.block_key IN ({placeholders(chunk)}) AND a.block_key != s.block_key",
                chunk,
            )
        )
    return found


def _keys_filed_under(conn: sqlite3.Connection, blocks: set[str]) -> set[str]:
    """The block keys of the mentions of the authors filed under these blocks."""
    found: set[str] = set()
    for chunk in chunked(sorted(blocks)):
        found.update(
            r[0]
            for r in conn.execute(
                f"SELECT DISTINCT s.block_key FROM authors a JOIN authorships s ON s.author_id = a.id "
                f"WHERE a.block_key IN ({placeholders(chunk)})",
                chunk,
            )
        )
    return found


def _plan_batches(conn: sqlite3.Connection, overrides: Overrides, together: dict[str, str]) -> list[_Planned]:
    """The queued blocks in batches, in key order: up to BLOCKS_PER_TRANSACTION blocks or
    MENTIONS_PER_TRANSACTION mentions (always at least one group, however big). The blocks
    the overrides name now or named before (`override_blocks`) go in one batch: an author
    merged across blocks has mentions in several of them (`_owners`); so do blocks linked
    now or before (`together`, from `queue_linked`)."""
    named = {r[0] for r in conn.execute("SELECT block_key FROM override_blocks")}
    groups: dict[str, list[tuple[str, int]]] = {}
    for key, count in conn.execute(
        "SELECT p.block_key, (SELECT count(*) FROM authorships a WHERE a.block_key = p.block_key) "
        "FROM pending_blocks p ORDER BY p.block_key"
    ):
        group = "" if key in named else together.get(key, key)  # "": every block an override names
        groups.setdefault(group, []).append((key, count))
    batches: list[_Planned] = []
    for group in groups.values():
        count = sum(n for _, n in group)
        last = batches[-1] if batches else None
        if (
            last is None
            or last.mentions + count > MENTIONS_PER_TRANSACTION
            or len(last.keys) + len(group) > BLOCKS_PER_TRANSACTION
        ):
            batches.append(last := _Planned([], 0))
        last.keys += [key for key, _ in group]
        last.mentions += count
    return batches


@dataclass
class _Planned:
    """A batch to resolve: its queued block keys and their mentions."""

    keys: list[str]
    mentions: int


def _read_ahead(
    conn: sqlite3.Connection,
    batches: list[_Planned],
    overrides: Overrides,
    evidence_progress: Callable[[int, int], None],
) -> Iterator[tuple[list[str], ResolvedBatch | None]]:
    """Each batch's keys with the batch read and clustered by a worker process, in order; None
    (read it here) when too few mentions are queued for workers to pay off, or a worker died.

    The workers first work out every paper's evidence, once, into a scratch file that their
    batches read (`paper_evidence`). Workers read committed data while this process writes
    earlier batches. Batches hold different blocks, and the blocks overrides name share one,
    so those writes do not change what a later batch reads; `_as_read` checks anyway, for
    authors filed under another batch's block that `override_blocks` did not account for.
    """
    if len(batches) < 2 or sum(b.mentions for b in batches) < PARALLEL_MIN_MENTIONS:
        yield from ((b.keys, None) for b in batches)
        return
    db = conn.execute("PRAGMA database_list").fetchone()["file"]
    resolve.clear_caches()  # the workers cluster; this process needs the loading's names no more
    workers.give_back_memory()
    readers = workers.pool(RESOLVE_WORKERS, _open_reader, (db,))
    # Beside the database, on its disk: a temporary folder may be memory (tmpfs), and the file
    # is 132 MB at a million papers.
    scratch = tempfile.TemporaryDirectory(prefix=f".{Path(db).name}-evidence-", dir=Path(db).parent)
    todo = deque(b.keys for b in batches)
    ahead: deque = deque()
    try:
        # Every paper's evidence first, once, by both workers (`paper_evidence`).
        evidence = str(Path(scratch.name) / "evidence.db")
        ranges = paper_evidence.paper_ranges(conn)
        pieces = readers.map(_evidence_in_worker, [low for low, _ in ranges], [high for _, high in ranges])
        (papers,) = conn.execute("SELECT count(*) FROM papers").fetchone()
        paper_evidence.write_evidence(evidence, pieces, lambda done: evidence_progress(done, papers))
        while todo or ahead:
            while todo and len(ahead) <= RESOLVE_WORKERS:  # one more than the workers: none waits on this process
                keys = todo.popleft()
                ahead.append((keys, readers.submit(_read_in_worker, keys, overrides, evidence)))
            keys = ahead[0][0]
            ahead[0][1].result()  # raises here if a worker died, while the batch is still in `ahead`
            # Not held by this frame or a future: once written, the batch can go.
            yield keys, ahead.popleft()[1].result()
    except BrokenProcessPool:  # a worker was killed (out of memory?): read the rest here
        yield from ((k, None) for k in (*(k for k, _ in ahead), *todo))
    finally:
        readers.shutdown(cancel_futures=True)
        scratch.cleanup()


_reader: sqlite3.Connection | None = None  # a worker process's connection
_evidence: dict[str, sqlite3.Connection] = {}  # a worker process's scratch file of evidence, by path


def _open_reader(db: str) -> None:
    global _reader
    _reader = connect(db, readonly=True)
    _reader.execute(f"PRAGMA cache_size = -{READER_CACHE_KIB}")


def _evidence_in_worker(low: int, high: int) -> list[paper_evidence.EvidenceRow]:
    return paper_evidence.evidence_rows(_reader, low, high)


def _read_in_worker(keys: list[str], overrides: Overrides, evidence: str) -> ResolvedBatch:
    """`read_batch` in a worker, from one snapshot of the database and the scratch file of
    evidence, without the mentions' evidence."""
    workers.give_back_memory(GIVE_BACK_ABOVE_MB)  # the last batch's, sent back by now
    if evidence not in _evidence:
        _evidence[evidence] = paper_evidence.open_evidence(evidence)
    _reader.execute("BEGIN")
    try:
        read = _read_blocks(_reader, keys, overrides, PaperContext(evidence=_evidence[evidence]))
    finally:
        # Before clustering: while a reader holds a snapshot, the writer's log cannot start
        # over, and it grew to gigabytes at a million papers.
        _reader.execute("COMMIT")
    try:
        return _without_evidence(_clustered(read, overrides))
    finally:
        resolve.clear_caches()  # the next batch holds other blocks: keep the worker small


def _without_evidence(batch: ResolvedBatch) -> ResolvedBatch:
    """The batch with mentions that carry no evidence: writing needs none, and a worker would
    send it back for every mention."""
    bare = {alias: [m.without_evidence() for m in mentions] for alias, mentions in batch.state.mentions.items()}
    blocks = [(alias, bare.get(alias, []), result) for alias, _, result in batch.blocks]
    return ResolvedBatch(blocks, replace(batch.state, mentions=bare), batch.keys)


def _as_read(conn: sqlite3.Connection, state: _BlockState) -> bool:
    """Whether the authors a worker read for a batch are still as it saw them."""
    seen = {**state.authors, **state.outside}
    return _author_rows(conn, seen) == seen


def _author_rows(conn: sqlite3.Connection, ids: Iterable[int]) -> dict[int, tuple | None]:
    """id -> (name, family, given, is_org, block, paper_count, orcid) for these authors; None for one that is gone."""
    rows: dict[int, tuple | None] = dict.fromkeys(sorted(ids))
    for chunk in chunked(list(rows)):
        for r in conn.execute(f"SELECT {AUTHOR_COLUMNS} FROM authors WHERE id IN ({placeholders(chunk)})", chunk):
            rows[r[0]] = tuple(r)[1:]
    return rows


@dataclass
class ResolvedBatch:
    """A batch of blocks read and clustered, ready to write: each block's mentions and result."""

    blocks: list[tuple[str, list[Mention], BlockResult | None]]  # (alias, mentions, result)
    state: _BlockState
    keys: list[str]  # every block key read, aliases included


def read_batch(
    conn: sqlite3.Connection, block_keys: Iterable[str], overrides: Overrides, context: PaperContext
) -> ResolvedBatch:
    """Read these blocks (after override aliasing) with all their mentions, and cluster them."""
    return _clustered(_read_blocks(conn, block_keys, overrides, context), overrides)


class _Read(NamedTuple):
    """Blocks read, not clustered yet (`_clustered`)."""

    aliases: list[str]
    keys: list[str]  # every block key read, aliases included
    state: _BlockState


def _read_blocks(
    conn: sqlite3.Connection, block_keys: Iterable[str], overrides: Overrides, context: PaperContext
) -> _Read:
    """Read these blocks (after override aliasing) with all their mentions."""
    groups: dict[str, set[str]] = defaultdict(set)
    for key in block_keys:
        groups[overrides.block_alias(key)].add(key)
    for alias in groups:
        groups[alias] |= {alias} | {k for k, v in overrides.aliases.items() if v == alias}
    alias_of = {k: alias for alias, keys in groups.items() for k in keys}
    return _Read(sorted(groups), sorted(alias_of), _BlockState.fetch(conn, sorted(alias_of), alias_of, context))


def _clustered(read: _Read, overrides: Overrides) -> ResolvedBatch:
    """Each block read clustered."""
    blocks = []
    for alias in read.aliases:
        mentions = read.state.mentions.get(alias, [])
        blocks.append((alias, mentions, resolve_block(mentions, overrides) if mentions else None))
    return ResolvedBatch(blocks, read.state, read.keys)


def write_batch(conn: sqlite3.Connection, batch: ResolvedBatch, now: str) -> set[int]:
    """Write the differences between a resolved batch and the database; returns the papers whose authors changed."""
    writer = _Writer(conn, now)
    owned: dict[str, set[int]] = defaultdict(set)
    for author_id, alias in _owners(batch.blocks).items():
        if author_id in batch.state.authors:  # filed under one of this batch's blocks
            owned[alias].add(author_id)
    for alias, mentions, result in batch.blocks:
        writer.block(alias, mentions, result, batch.state, owned[alias])
    writer.flush(batch.state, batch.keys)
    return writer.papers


def _owners(blocks: list[tuple[str, list[Mention], BlockResult | None]]) -> dict[int, str]:
    """Each current author's block: the one holding most of its mentions (ties: the first).

    Only one block may keep an author: after an override that merged two blocks is
    removed, its person's mentions point at one author from both. The blocks the overrides
    name now or named before are resolved in one batch, so this does not depend on where
    the batches are cut.
    """
    counts = Counter((m.author_id, alias) for alias, mentions, _ in blocks for m in mentions if m.author_id is not None)
    owners: dict[int, str] = {}
    for (author_id, alias), _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0][1])):
        owners.setdefault(author_id, alias)
    return owners


# The `authorships` columns a `Mention` is made of, in the order `_BlockState.fetch` reads them.
MENTION_COLUMNS = "id, paper_id, name, family_name, given_name, block_key, is_organization, orcid, author_id"
AUTHOR_COLUMNS = "id, name, family_name, given_name, is_organization, block_key, paper_count, orcid"


@dataclass
class _BlockState:
    """What the database holds now for a set of blocks: mentions, authors, their spellings."""

    mentions: dict[str, list[Mention]]  # by alias
    authors: dict[int, tuple]  # id -> (name, family, given, is_org, block, paper_count, orcid)
    names: dict[int, dict[str, tuple]]  # author id -> name -> (family, given, count)
    # Authors of these mentions filed under another block (an override moved them), as read.
    outside: dict[int, tuple | None]

    @classmethod
    def fetch(
        cls, conn: sqlite3.Connection, keys: list[str], alias_of: dict[str, str], context: PaperContext
    ) -> _BlockState:
        """Read these blocks (keys with their aliases); each mention is made once, with its paper's evidence."""
        rows: list[sqlite3.Row] = []
        for chunk in chunked(keys):
            rows += conn.execute(
                f"SELECT {MENTION_COLUMNS} FROM authorships WHERE block_key IN ({placeholders(chunk)}) ORDER BY id",
                chunk,
            )
        context.load(conn, {r[1] for r in rows})
        mentions: dict[str, list[Mention]] = defaultdict(list)
        for mid, paper, name, family, given, block, is_org, orcid, author_id in rows:
            mentions[alias_of[block]].append(
                Mention(
                    id=mid,
                    paper_id=paper,
                    name=intern(name),
                    family=intern(family),
                    given=given and intern(given),
                    block_key=intern(block),
                    is_organization=bool(is_org),
                    orcid=orcid,
                    author_id=author_id,
                    coauthors=context.coauthors[paper],
                    profiles=context.profiles[paper],
                    title_words=context.title_words[paper],
                )
            )
        authors, names = {}, defaultdict(dict)
        # Authors live under their alias, but an author from before an override aliased its
        # block keeps the old key: look under every key of the group.
        for chunk in chunked(keys):
            for r in conn.execute(
                f"SELECT {AUTHOR_COLUMNS} FROM authors WHERE block_key IN ({placeholders(chunk)})", chunk
            ):
                authors[r[0]] = tuple(r)[1:]
        referenced = {m.author_id for block in mentions.values() for m in block}
        outside = _author_rows(conn, referenced - authors.keys() - {None})
        ids = sorted(authors)
        for chunk in chunked(ids):
            for aid, name, family, given, count in conn.execute(
                f"SELECT author_id, name, family_name, given_name, count FROM author_names "
                f"WHERE author_id IN ({placeholders(chunk)})",
                chunk,
            ):
                names[aid][name] = (family, given, count)
        return cls(dict(mentions), authors, dict(names), outside)


def _assign_ids(clusters: list[Cluster], old_author: dict[int, int | None], claimable: set[int]) -> list[int | None]:
    """Give each cluster the old author id most of its members had, if it is still claimable;
    bigger clusters choose first."""
    order = sorted(range(len(clusters)), key=lambda i: (-len(clusters[i].members), clusters[i].members[0]))
    taken: set[int] = set()
    ids: list[int | None] = [None] * len(clusters)
    for i in order:
        members = clusters[i].members
        # One mention (most clusters): one vote, without a Counter. A None vote claims nothing.
        votes = (
            Counter(old_author[m] for m in members if old_author[m] is not None)
            if len(members) > 1
            else {old_author[members[0]]: 1}
        )
        for author_id, _ in sorted(votes.items(), key=lambda kv: (-kv[1], kv[0])):
            if author_id in claimable and author_id not in taken:
                ids[i] = author_id
                taken.add(author_id)
                break
    return ids


def _spellings(members: list[Mention]) -> dict[str, tuple]:
    """name -> (family, given, papers); a name split two ways keeps its commoner split."""
    if len(members) == 1:  # one mention: most authors
        return {members[0].name: (members[0].family, members[0].given, 1)}
    splits = Counter((m.name, m.family, m.given) for m in members)
    counts = Counter(m.name for m in members)
    out: dict[str, tuple] = {}
    for (name, family, given), _ in sorted(splits.items(), key=lambda kv: (-kv[1], kv[0][0], kv[0][1], kv[0][2] or "")):
        out.setdefault(name, (family, given, counts[name]))
    return out


class _Writer:
    """Collects the differences between resolved blocks and the database, and writes them."""

    def __init__(self, conn: sqlite3.Connection, now: str):
        self.conn, self.now = conn, now
        # New authors get their ids here, as an INSERT would (the write lock is held), so
        # each kind of write goes in one executemany at `flush`.
        self.next_id = conn.execute("SELECT coalesce(max(id), 0) + 1 FROM authors").fetchone()[0]
        self.added: list[tuple] = []  # new authors' rows
        self.changed: list[tuple] = []  # changed authors' rows, id last
        self.respelled: list[int] = []  # authors whose spellings are written again
        self.spellings: list[tuple] = []  # their author_names rows
        self.moved: list[tuple[int, int]] = []  # (authorship id, author id)
        self.merges: list[tuple] = []
        self.candidates: list[tuple] = []
        self.kept: set[int] = set()
        self.papers: set[int] = set()  # papers whose authors changed

    def block(
        self, alias: str, mentions: list[Mention], result: BlockResult | None, state: _BlockState, claimable: set[int]
    ) -> None:
        clusters = result.clusters if result else []
        by_id = {m.id: m for m in mentions}
        ids = _assign_ids(clusters, {m.id: m.author_id for m in mentions}, claimable)
        author_of: dict[int, int] = {}  # mention id -> its author
        for cluster, author_id in zip(clusters, ids):
            members = [by_id[m] for m in cluster.members]
            author_id = self._author(alias, cluster, author_id, members, state)
            self.kept.add(author_id)
            for m in members:
                author_of[m.id] = author_id
                if m.author_id != author_id:
                    self.moved.append((m.id, author_id))
                    self.papers.add(m.paper_id)
        if result:
            self.merges += [
                (author_of[m.member], m.a_name, m.b_name, m.rule, m.score, m.evidence) for m in result.merges
            ]
            self.candidates += [
                (alias, author_of[c.a_member], author_of[c.b_member], c.a_name, c.b_name, c.score, c.reason)
                for c in result.candidates
                if author_of[c.a_member] != author_of[c.b_member]
            ]

    def _author(self, alias, cluster: Cluster, author_id, members: list[Mention], state: _BlockState) -> int:
        papers = len({m.paper_id for m in members})
        orcid = cluster.orcids[0] if len(cluster.orcids) == 1 else None  # two, joined by an override: neither
        row = (cluster.name, cluster.family, cluster.given, int(cluster.is_organization), alias, papers, orcid)
        if author_id is None:
            author_id, self.next_id = self.next_id, self.next_id + 1
            self.added.append((author_id, *row, self.now, self.now))
        elif state.authors.get(author_id) != row:
            self.changed.append((*row, self.now, author_id))
            if (state.authors.get(author_id) or ("",))[0] != cluster.name:
                self.papers.update(m.paper_id for m in members)
        spellings = _spellings(members)
        if state.names.get(author_id, {}) != spellings:
            self.respelled.append(author_id)
            self.spellings += [_name_row(author_id, n, f, g, c) for n, (f, g, c) in sorted(spellings.items())]
        return author_id

    def flush(self, state: _BlockState, keys: list[str]) -> None:
        conn = self.conn
        conn.executemany(
            "INSERT INTO authors (id, name, family_name, given_name, is_organization, block_key, paper_count, "
            "orcid, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            self.added,
        )
        conn.executemany(
            "UPDATE authors SET name = ?, family_name = ?, given_name = ?, is_organization = ?, block_key = ?, "
            "paper_count = ?, orcid = ?, updated_at = ? WHERE id = ?",
            self.changed,
        )
        conn.executemany("DELETE FROM author_names WHERE author_id = ?", [(aid,) for aid in self.respelled])
        conn.executemany(f"INSERT INTO author_names {NAME_COLUMNS} VALUES (?, ?, ?, ?, ?, ?, ?, ?)", self.spellings)
        # Two steps, so no (paper, author) pair is ever held twice mid-update.
        conn.executemany("UPDATE authorships SET author_id = NULL WHERE id = ?", [(mid,) for mid, _ in self.moved])
        conn.executemany("UPDATE authorships SET author_id = ? WHERE id = ?", [(aid, mid) for mid, aid in self.moved])
        # Authors no cluster kept, once nothing points at them: one an override filed under
        # another block may still hold mentions of a block resolved later, which moves them.
        gone = [aid for aid in sorted(state.authors.keys() | state.outside.keys()) if aid not in self.kept]
        conn.executemany(
            "DELETE FROM authors WHERE id = ? AND NOT EXISTS (SELECT 1 FROM authorships WHERE author_id = ?)",
            [(aid, aid) for aid in gone],
        )
        for chunk in chunked(sorted(self.kept)):
            conn.execute(f"DELETE FROM author_merges WHERE author_id IN ({placeholders(chunk)})", chunk)
        conn.executemany(
            "INSERT INTO author_merges (author_id, name_a, name_b, rule, score, evidence) VALUES (?, ?, ?, ?, ?, ?)",
            self.merges,
        )
        for chunk in chunked(keys):
            conn.execute(f"DELETE FROM author_candidates WHERE block_key IN ({placeholders(chunk)})", chunk)
        conn.executemany(
            "INSERT INTO author_candidates (block_key, author_a_id, author_b_id, name_a, name_b, score, "
            "reason) VALUES (?, ?, ?, ?, ?, ?, ?)",
            self.candidates,
        )

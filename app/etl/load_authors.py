"""Load, authors side: re-resolve touched name blocks and write authors with stable ids.

A block (one normalised family-name key) is always resolved whole, from every
mention in the database, so the result never depends on the order files came
in. Each new cluster keeps the author id most of its mentions already had.
"""
from __future__ import annotations

import sqlite3
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from app.etl.names import coauthor_key
from app.etl.resolve import MentionRef, Overrides, resolve_block


@dataclass
class AuthorChanges:
    """What re-resolving blocks did: counts for the report, papers whose search text may change."""

    added: int = 0
    updated: int = 0
    papers: set[int] = field(default_factory=set)


@dataclass
class PaperContext:
    """Per-paper evidence (co-author keys, profile owners), fetched once per import step."""

    coauthors: dict[int, list[tuple[int, str]]] = field(default_factory=dict)
    profiles: dict[int, frozenset[str]] = field(default_factory=dict)

    def load(self, conn: sqlite3.Connection, paper_ids: set[int]) -> None:
        """Fetch the evidence of papers not seen yet."""
        missing = sorted(paper_ids - self.coauthors.keys())
        for chunk in (missing[i:i + 500] for i in range(0, len(missing), 500)):
            marks = ",".join("?" * len(chunk))
            profiles: dict[int, set[str]] = defaultdict(set)
            for pid in chunk:
                self.coauthors[pid] = []
            for r in conn.execute(f"SELECT id, paper_id, family_name, given_name FROM authorships "
                                  f"WHERE paper_id IN ({marks})", chunk):
                self.coauthors[r["paper_id"]].append((r["id"], coauthor_key(r["family_name"], r["given_name"])))
            for r in conn.execute(f"SELECT DISTINCT paper_id, profile_owner FROM paper_sources "
                                  f"WHERE profile_owner IS NOT NULL AND paper_id IN ({marks})", chunk):
                profiles[r["paper_id"]].add(r["profile_owner"])
            self.profiles.update((pid, frozenset(profiles[pid])) for pid in chunk)


def _mentions(conn: sqlite3.Connection, keys: list[str], context: PaperContext) -> tuple[list[sqlite3.Row], list[MentionRef]]:
    marks = ",".join("?" * len(keys))
    rows = conn.execute(
        f"SELECT id, paper_id, name, family_name, given_name, is_organization, author_id "
        f"FROM authorships WHERE block_key IN ({marks}) ORDER BY id", keys).fetchall()
    context.load(conn, {r["paper_id"] for r in rows})
    refs = [
        MentionRef(
            key=r["id"], paper=r["paper_id"], family=r["family_name"], given=r["given_name"],
            is_organization=bool(r["is_organization"]),
            coauthors=frozenset(k for mid, k in context.coauthors[r["paper_id"]] if mid != r["id"]),
            profiles=context.profiles[r["paper_id"]],
        )
        for r in rows
    ]
    return rows, refs


def _assign_ids(clusters, old_author: dict[int, int | None]) -> list[int | None]:
    """Give each cluster the old author id most of its members had; bigger clusters choose first."""
    order = sorted(range(len(clusters)), key=lambda i: (-len(clusters[i].members), min(clusters[i].members)))
    taken: set[int] = set()
    ids: list[int | None] = [None] * len(clusters)
    for i in order:
        votes = Counter(old_author[m] for m in clusters[i].members if old_author[m] is not None)
        for author_id, _ in sorted(votes.items(), key=lambda kv: (-kv[1], kv[0])):
            if author_id not in taken:
                ids[i] = author_id
                taken.add(author_id)
                break
    return ids


def resolve_blocks(conn: sqlite3.Connection, block_keys: set[str], overrides: Overrides, now: str) -> AuthorChanges:
    """Re-resolve every touched block (after override aliasing) and write the authors."""
    changes = AuthorChanges()
    groups: dict[str, set[str]] = defaultdict(set)
    for key in block_keys:
        groups[overrides.block_alias(key)].add(key)
    context = PaperContext()
    for alias in sorted(groups):
        keys = sorted(groups[alias] | {k for k, v in overrides.aliases.items() if v == alias})
        _resolve_one(conn, alias, keys, overrides, now, changes, context)
    return changes


def _resolve_one(conn, alias: str, keys: list[str], overrides: Overrides, now: str, changes: AuthorChanges,
                 context: PaperContext) -> None:
    rows, refs = _mentions(conn, keys, context)
    old_authors = {r["author_id"] for r in rows if r["author_id"] is not None}
    old_authors |= {r[0] for r in conn.execute(
        f"SELECT id FROM authors WHERE block_key IN ({','.join('?' * len(keys))})", keys)}
    result = resolve_block(refs, overrides) if refs else None
    clusters = result.clusters if result else []
    by_id = {r["id"]: r for r in rows}
    new_ids = _assign_ids(clusters, {r["id"]: r["author_id"] for r in rows})
    conn.execute("DELETE FROM author_candidates WHERE block_key = ?", (alias,))
    assignment: dict[int, int] = {}
    name_to_author: dict[str, int] = {}
    for cluster, author_id in zip(clusters, new_ids):
        members = [by_id[m] for m in cluster.members]
        values = {
            "name": cluster.name, "family": cluster.family, "given": cluster.given,
            "org": int(cluster.is_organization), "block": alias, "count": len({m["paper_id"] for m in members}),
            "now": now,
        }
        if author_id is None:
            author_id = conn.execute(
                "INSERT INTO authors (name, family_name, given_name, is_organization, block_key, paper_count, "
                "created_at, updated_at) VALUES (:name, :family, :given, :org, :block, :count, :now, :now)",
                values).lastrowid
            changes.added += 1
        else:
            renamed = conn.execute(
                "UPDATE authors SET name = :name, family_name = :family, given_name = :given, "
                "is_organization = :org, block_key = :block, paper_count = :count, updated_at = :now "
                "WHERE id = :id AND (name, family_name, coalesce(given_name, ''), is_organization, block_key, "
                "paper_count) IS NOT (:name, :family, coalesce(:given, ''), :org, :block, :count)",
                {**values, "id": author_id}).rowcount
            changes.updated += renamed
            if renamed:
                changes.papers.update(m["paper_id"] for m in members)
        for m in members:
            assignment[m["id"]] = author_id
            name_to_author[m["name"]] = author_id
        _write_names(conn, author_id, members)
        conn.execute("DELETE FROM author_merges WHERE author_id = ?", (author_id,))
    moved = [(mid, aid) for mid, aid in assignment.items() if by_id[mid]["author_id"] != aid]
    # Two steps, so no (paper, author) pair is ever held twice mid-update.
    conn.executemany("UPDATE authorships SET author_id = NULL WHERE id = ?", [(mid,) for mid, _ in moved])
    conn.executemany("UPDATE authorships SET author_id = ? WHERE id = ?", [(aid, mid) for mid, aid in moved])
    changes.papers.update(by_id[mid]["paper_id"] for mid, _ in moved)
    for gone in old_authors - set(assignment.values()):
        conn.execute("DELETE FROM authors WHERE id = ?", (gone,))
    if result:
        _write_explanations(conn, alias, result, name_to_author)


def _write_names(conn, author_id: int, members) -> None:
    # One row per spelling; `Rapha Gontijo Lopes` may come split two ways, keep the commoner split.
    splits = Counter((m["name"], m["family_name"], m["given_name"] or "") for m in members)
    best: dict[str, tuple[str, str]] = {}
    for (name, family, given), n in sorted(splits.items(), key=lambda kv: (-kv[1], kv[0])):
        best.setdefault(name, (family, given))
    counts = Counter(m["name"] for m in members)
    conn.execute("DELETE FROM author_names WHERE author_id = ?", (author_id,))
    conn.executemany(
        "INSERT INTO author_names (author_id, name, family_name, given_name, count) VALUES (?, ?, ?, ?, ?)",
        [(author_id, name, best[name][0], best[name][1] or None, n) for name, n in sorted(counts.items())],
    )


def _write_explanations(conn, alias: str, result, name_to_author: dict[str, int]) -> None:
    conn.executemany(
        "INSERT INTO author_merges (author_id, name_a, name_b, rule, score, evidence) VALUES (?, ?, ?, ?, ?, ?)",
        [(name_to_author[m.a_name], m.a_name, m.b_name, m.rule, m.score, m.evidence)
         for m in result.merges if m.a_name in name_to_author],
    )
    conn.executemany(
        "INSERT INTO author_candidates (block_key, author_a_id, author_b_id, name_a, name_b, score, reason) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        [(alias, name_to_author[c.a_name], name_to_author[c.b_name], c.a_name, c.b_name, c.score, c.reason)
         for c in result.candidates
         if c.a_name in name_to_author and c.b_name in name_to_author
         and name_to_author[c.a_name] != name_to_author[c.b_name]],
    )

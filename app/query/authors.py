"""Author lookup: a name as a person types it resolved to an author, with profile, co-authors and
the larger authors it may be part of; the most prolific authors, and pairs worth a merge."""

from __future__ import annotations

import json
import re
import sqlite3
from collections import defaultdict
from collections.abc import Iterator
from functools import lru_cache

from rapidfuzz import process
from rapidfuzz.distance import OSA

from app.query.records import AuthorLookup, AuthorPaper, AuthorProfile, AuthorRef, Coauthor, LikelySame, NameVariant
from app.query.values import is_id, row_limit, whole_number
from app.search.text import QueryError
from app.text.clean import repair_text
from app.text.names import (
    PARTICLES,
    block_key,
    compound_parts,
    fold,
    name_tokens,
    nickname_table,
    token_compatibility,
)
from app.text.normalize import canonical_orcid

NAME_WORD = re.compile(r"[^\W_]+")
# Author resolution scores (0..1) for matches that are not a given-name rule of
# `app.text.names.RULE_SCORES`: only the order matters, they rank below every rule.
FAMILY_ONLY_SCORE = 0.5  # a family name typed alone matches everyone in the block
NAME_WORDS_SCORE = 0.5  # the typed words all occur in the display name (authors_fts)
TYPO_FACTOR = 0.6  # a match through a typo in the family or first given name
# Edits (OSA: insert, delete, substitute, swap two letters) allowed in a typed family
# name: none below 4 letters (`Li`/`Lu`/`Xu` are different people), one up to 6, two
# from 7 (`Shulman` -> `Schulman`). Chosen by hand so short names stay exact.
TYPO_MIN_LEN = 4
TYPO_LONG_LEN = 7
MAX_CANDIDATES = 50
PART_OF_SHOWN = 3  # larger compatible authors named beside a found one
# Papers and co-authors listed in an author's profile unless asked for more: the prolific
# authors of a large database have thousands of co-authors.
AUTHOR_LIMIT = 100


class AmbiguousAuthor(QueryError):
    """A name that matches several authors where one is needed; `.candidates` lists them."""

    def __init__(self, name: str, candidates: list[AuthorRef]):
        shown = ", ".join(f"{c.name} [{c.id}]" for c in candidates[:5])
        more = f" and {len(candidates) - 5} more" if len(candidates) > 5 else ""
        count = f"{len(candidates)}{'+' if len(candidates) >= MAX_CANDIDATES else ''}"
        super().__init__(f"{name!r} matches {count} authors ({shown}{more}): give more of the name, or an author id")
        self.candidates = candidates


def _readings(name: str) -> list[tuple[str, str | None]]:
    """Ways to read a typed name as (family, given), most likely first.

    `Schulman, J.` is family first; `John Schulman` is family last (with particles:
    `Ludwig van Beethoven`); `Schulman John` is also tried family first.
    """
    if "," in name:
        family, _, given = name.partition(",")
        return [(family.strip(), given.strip() or None)]
    words = name.split()
    if len(words) == 1:
        return [(words[0], None)]
    start = len(words) - 1
    while start > 1 and fold(words[start - 1]) in PARTICLES:
        start -= 1
    return [(" ".join(words[start:]), " ".join(words[:start])), (words[0], " ".join(words[1:]))]


@lru_cache(maxsize=65536)
def _tokens(family: str, given: str | None) -> tuple[str, ...]:
    return name_tokens(family, given)


def _first_tokens(typed: tuple[str, ...]) -> list[str]:
    """The first tokens of the spellings `names.token_compatibility` may find compatible with
    `typed`, but for those that extend `typed[0]` (`_spellings_matching` reads them as a range):
    `typed[0]` itself, every start of the typed letters (an initial, a shorter form, a
    hyphen-space reading), its nicknames, and its later tokens (a spelling going by one)."""
    if not typed:
        return [""]
    joined = "".join(typed)
    return sorted({*(joined[:k] for k in range(1, len(joined) + 1)), *nickname_table().get(typed[0], ()), *typed[1:]})


def _max_typos(key: str) -> int:
    if len(key) < TYPO_MIN_LEN:
        return 0
    return 1 if len(key) < TYPO_LONG_LEN else 2


class Authors:
    """Author lookups on one read-only connection."""

    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn
        self._block_keys: dict[int, list[str]] | None = None  # typo fallback: keys by length

    def author(self, name: str | int, *, limit: int | None = AUTHOR_LIMIT) -> AuthorLookup:
        """The lookup of a typed name or author id (see `PaperDB.author`)."""
        query = str(name)
        refs, clear = self._resolve(query)
        if not refs:
            return AuthorLookup(query, "not found", None, None, [])
        if not clear:
            return AuthorLookup(query, "ambiguous", None, None, refs)
        profile = self._profile(refs[0].id, row_limit(limit))
        return AuthorLookup(query, "found", refs[0].rule, profile, [], self._part_of(profile))

    def _part_of(self, author: AuthorProfile) -> list[LikelySame]:
        """Authors with more papers under one of this author's family names or a part of a compound
        one, all of whose spellings are compatible with all of this author's
        (`names.token_compatibility`), most shared co-authors first."""
        if author.is_organization:
            return []
        spellings = self.conn.execute(
            "SELECT block_key, family_name, given_name FROM author_names WHERE author_id = ? ORDER BY count DESC, id",
            (author.id,),
        ).fetchall()
        if not spellings:
            return []
        mine = [_tokens(family, given) for _, family, given in spellings]
        # Its family names, and each part of a compound one (`Torres` of `Torres Martins`).
        keys = {key for key, _, _ in spellings} | {
            part for _, family, _ in spellings for part in compound_parts(family)
        }
        fitting = {author_id for author_id, *_ in self._spellings_matching(sorted(keys), mine[0])}
        fitting.discard(author.id)
        larger = [
            r[0]
            for r in self.conn.execute(
                "SELECT id FROM authors WHERE id IN (SELECT value FROM json_each(:ids)) "
                "AND paper_count > :papers AND NOT is_organization",
                {"ids": json.dumps(sorted(fitting)), "papers": author.paper_count},
            )
        ]
        rules: dict[int, list] = defaultdict(list)
        for other_id, family, given in self.conn.execute(
            "SELECT author_id, family_name, given_name FROM author_names WHERE author_id IN "
            "(SELECT value FROM json_each(:ids))",
            {"ids": json.dumps(larger)},
        ):
            theirs = _tokens(family, given)
            rules[other_id].extend(token_compatibility(t, theirs) for t in mine)
        found = []
        for other_id, compat in rules.items():
            if all(compat):
                ref = self._refs({other_id: ("", 0.0)})[0]
                rule = min(compat, key=lambda c: c.score).rule
                found.append(
                    LikelySame(other_id, ref.name, ref.paper_count, rule, self._shared_coauthors(author.id, other_id))
                )
        found.sort(key=lambda x: (-len(x.shared_coauthors), -x.paper_count, x.name, x.id))
        return found[:PART_OF_SHOWN]

    def _shared_coauthors(self, a: int, b: int) -> list[str]:
        """Names of the authors who wrote with both a and b, by name."""
        return [
            r[0]
            for r in self.conn.execute(
                "SELECT name FROM authors WHERE id IN ("
                "  SELECT o.author_id FROM authorships me JOIN authorships o ON o.paper_id = me.paper_id "
                "  WHERE me.author_id = :a INTERSECT "
                "  SELECT o.author_id FROM authorships me JOIN authorships o ON o.paper_id = me.paper_id "
                "  WHERE me.author_id = :b) AND id NOT IN (:a, :b) ORDER BY name, id",
                {"a": a, "b": b},
            )
        ]

    def coauthors(self, name: str | int, *, limit: int | None = None) -> list[Coauthor]:
        """Co-authors of the author a name resolves to (see `PaperDB.coauthors`)."""
        author_id = self.one_author(str(name))
        return [] if author_id is None else self._coauthors(author_id, row_limit(limit))

    def one_author(self, name: str) -> int | None:
        """The id of the one author a name means, None if none; AmbiguousAuthor if several."""
        refs, clear = self._resolve(name)
        if refs and not clear:
            raise AmbiguousAuthor(name, refs)
        return refs[0].id if refs else None

    def _resolve(self, name: str) -> tuple[list[AuthorRef], bool]:
        """Authors a typed name may mean, best first, and whether the first is a clear winner.

        Tried in order until one finds someone: an author id; an ORCID (only that: an
        ORCID no author carries finds no one); a spelling seen exactly
        (one index lookup, however large the family-name block); the family-name block,
        given names compared by rule (initials, nicknames, middle names); the typed
        words in display names; a family name a typo or two away.
        """
        name = " ".join(repair_text(name).split())  # a name pasted from a dump may be mojibake
        if not name:
            raise QueryError("empty name: give an author's name or id")
        if is_id(name):
            return self._refs({int(name): ("id", 1.0)}), True
        if orcid := canonical_orcid(name):
            ids = [r[0] for r in self.conn.execute("SELECT id FROM authors WHERE orcid = ? ORDER BY id", (orcid,))]
            refs = self._refs(dict.fromkeys(ids, ("orcid", 1.0)))
            return refs, len(refs) == 1
        readings = [(f, g) for f, g in _readings(name) if block_key(f)]
        refs = next((refs for refs in self._matches(name, readings) if refs), [])
        return refs, len(refs) == 1 or (len(refs) > 1 and refs[0].score > refs[1].score)

    def _matches(self, name: str, readings: list[tuple[str, str | None]]) -> Iterator[list[AuthorRef]]:
        """Authors found for a typed name, one way after another, the most specific first."""
        if readings and readings[0][1]:
            yield self._by_spelling(*readings[0])
        for family, given in readings:
            yield self._in_blocks([block_key(family)], family, given, 1.0)
        yield self._by_words(name)
        for family, given in readings:
            yield self._in_blocks(self._near_keys(block_key(family)), family, given, TYPO_FACTOR)

    def _by_spelling(self, family: str, given: str) -> list[AuthorRef]:
        """Authors seen spelled exactly `Given Family` (also in title case)."""
        spelled = f"{given} {family}"
        rows = self.conn.execute(
            "SELECT DISTINCT author_id FROM author_names WHERE name IN (SELECT value FROM json_each(:names))",
            {"names": json.dumps(sorted({spelled, spelled.title()}))},
        ).fetchall()
        return self._refs({r[0]: ("folded-equal", 1.0) for r in rows})

    def _in_blocks(self, keys: list[str], family: str, given: str | None, factor: float) -> list[AuthorRef]:
        """Authors with a spelling in these family-name blocks whose name fits the typed given name."""
        if not keys:
            return []
        if not given:
            rows = self.conn.execute(
                "SELECT id FROM authors WHERE id IN (SELECT author_id FROM author_names "
                "WHERE block_key IN (SELECT value FROM json_each(:keys))) "
                "ORDER BY paper_count DESC, name, id LIMIT :n",
                {"keys": json.dumps(keys), "n": MAX_CANDIDATES},
            ).fetchall()
            rule = "family" if factor == 1.0 else "typo"
            return self._refs({r[0]: (rule, FAMILY_ONLY_SCORE * factor) for r in rows})
        typed = _tokens(family, given)
        if not typed:
            return []
        best: dict[int, tuple[str, float]] = {}
        for author_id, fam, giv in self._spellings_matching(keys, typed):
            compat = token_compatibility(typed, _tokens(fam, giv))
            if compat and compat.score * factor > best.get(author_id, ("", -1.0))[1]:
                best[author_id] = (compat.rule if factor == 1.0 else "typo", compat.score * factor)
        if not best:
            best = self._given_typos(keys, typed, factor)
        return self._refs(best)

    def _spellings_matching(self, keys: list[str], typed: tuple[str, ...]) -> list[tuple[int, str, str | None]]:
        """(author id, family, given) of the spellings of these blocks that `token_compatibility` may
        find compatible with `typed` (a superset: the caller compares), read through the lookup
        indexes of `author_names` rather than the whole block (80,000 spellings at a million papers)."""
        ways = [("first_token IN (SELECT value FROM json_each(:tokens))", json.dumps(_first_tokens(typed)))]
        if typed:
            ways.append(("first_token > :tokens AND first_token < :tokens || char(1114111)", typed[0]))  # longer forms
        if len(typed) == 1 and len(typed[0]) > 1:  # a spelling going by the typed name as a later one
            ways.append(("later_tokens IS NOT NULL AND instr(' ' || later_tokens || ' ', :tokens)", f" {typed[0]} "))
        found: dict[int, tuple[int, str, str | None]] = {}
        for where, tokens in ways:
            for row_id, *row in self.conn.execute(
                "SELECT id, author_id, family_name, given_name FROM author_names "
                f"WHERE block_key IN (SELECT value FROM json_each(:keys)) AND {where}",
                {"keys": json.dumps(keys), "tokens": tokens},
            ):
                found[row_id] = tuple(row)
        return [found[k] for k in sorted(found)]

    def _given_typos(self, keys: list[str], typed: tuple[str, ...], factor: float) -> dict[int, tuple[str, float]]:
        """Authors of these blocks whose first given name is one typo from the typed one (`Jhon` -> `John`)."""
        if len(typed[0]) < TYPO_MIN_LEN:
            return {}
        near = [
            token
            for (token,) in self.conn.execute(
                "SELECT DISTINCT first_token FROM author_names WHERE block_key IN (SELECT value FROM json_each(:keys))",
                {"keys": json.dumps(keys)},
            )
            if len(token) >= TYPO_MIN_LEN and OSA.distance(typed[0], token) <= 1
        ]
        rows = self.conn.execute(
            "SELECT author_id FROM author_names WHERE block_key IN (SELECT value FROM json_each(:keys)) "
            "AND first_token IN (SELECT value FROM json_each(:near))",
            {"keys": json.dumps(keys), "near": json.dumps(near)},
        )
        return {author_id: ("typo", TYPO_FACTOR * factor) for (author_id,) in rows}

    def _by_words(self, name: str) -> list[AuthorRef]:
        """Authors whose display name contains every typed word (`Rapha Gontijo`, a given name alone)."""
        # Not folded: the index folds accents but keeps letters such as `ł` (`Łukasz`).
        words = NAME_WORD.findall(name)
        if not words:
            return []
        rows = self.conn.execute(
            "SELECT a.id FROM authors_fts JOIN authors a ON a.id = authors_fts.rowid "
            "WHERE authors_fts MATCH :match ORDER BY a.paper_count DESC, a.name, a.id LIMIT :n",
            {"match": " ".join(f'"{w}"' for w in words), "n": MAX_CANDIDATES},
        ).fetchall()
        return self._refs({r[0]: ("name-words", NAME_WORDS_SCORE) for r in rows})

    def _near_keys(self, key: str) -> list[str]:
        """Family-name block keys within a typo or two of `key`, the nearest only."""
        limit = _max_typos(key)
        if not limit:
            return []
        if self._block_keys is None:
            self._block_keys = {}
            for (k,) in self.conn.execute("SELECT DISTINCT block_key FROM author_names"):
                self._block_keys.setdefault(len(k), []).append(k)
        choices = [k for n in range(len(key) - limit, len(key) + limit + 1) for k in self._block_keys.get(n, ())]
        near = process.extract(key, choices, scorer=OSA.distance, score_cutoff=limit, limit=None)
        nearest = min((d for _, d, _ in near), default=None)
        return sorted(k for k, d, _ in near if d == nearest)

    def _refs(self, matches: dict[int, tuple[str, float]]) -> list[AuthorRef]:
        """AuthorRefs for author ids with (rule, score), best first: score, papers, name."""
        if not matches:
            return []
        rows = self.conn.execute(
            "SELECT id, name, paper_count, is_organization FROM authors "
            "WHERE id IN (SELECT value FROM json_each(:ids))",
            {"ids": json.dumps(list(matches))},
        ).fetchall()
        refs = [
            AuthorRef(r["id"], r["name"], r["paper_count"], bool(r["is_organization"]), *matches[r["id"]]) for r in rows
        ]
        return sorted(refs, key=lambda a: (-a.score, -a.paper_count, a.name, a.id))[:MAX_CANDIDATES]

    def _profile(self, author_id: int, limit: int) -> AuthorProfile:
        a = self.conn.execute(
            "SELECT id, name, family_name, given_name, is_organization, paper_count, orcid FROM authors WHERE id = ?",
            (author_id,),
        ).fetchone()
        variants = [
            NameVariant(r["name"], r["count"])
            for r in self.conn.execute(
                "SELECT name, count FROM author_names WHERE author_id = ? ORDER BY count DESC, name", (author_id,)
            )
        ]
        papers = [
            AuthorPaper(r["id"], r["title"], r["year"], r["position"], r["name"])
            for r in self.conn.execute(
                "SELECT p.id, p.title, p.year, s.position, s.name FROM authorships s JOIN papers p ON p.id = s.paper_id "
                "WHERE s.author_id = ? ORDER BY p.year IS NULL, p.year DESC, p.title IS NULL, p.title, p.id LIMIT ?",
                (author_id, limit),
            )
        ]
        return AuthorProfile(
            a["id"],
            a["name"],
            a["family_name"],
            a["given_name"],
            bool(a["is_organization"]),
            a["paper_count"],
            a["orcid"],
            variants,
            papers,
            self._coauthors(author_id, limit),
        )

    def _coauthors(self, author_id: int, limit: int) -> list[Coauthor]:
        # Counted and cut per co-author id first, names looked up only for the ones returned:
        # a prolific author has thousands of co-authors. Ties go by id (stable).
        return [
            Coauthor(r["id"], r["name"], r["papers"])
            for r in self.conn.execute(
                "SELECT a.id, a.name, c.papers FROM ("
                "  SELECT o.author_id, count(*) AS papers FROM authorships me "
                "  JOIN authorships o ON o.paper_id = me.paper_id AND o.author_id != me.author_id "
                "  WHERE me.author_id = :id GROUP BY o.author_id ORDER BY papers DESC, o.author_id LIMIT :limit) c "
                "JOIN authors a ON a.id = c.author_id ORDER BY c.papers DESC, a.id",
                {"id": author_id, "limit": limit},
            )
        ]

    def authors(self, *, limit: int = 20) -> list[dict]:
        """The most prolific authors (see `PaperDB.authors`)."""
        return [
            dict(r)
            for r in self.conn.execute(
                "SELECT a.id, a.name, a.paper_count, a.is_organization, "
                "(SELECT group_concat(name, '; ') FROM author_names WHERE author_id = a.id AND name != a.name) AS variants "
                "FROM authors a ORDER BY a.paper_count DESC, a.name LIMIT ?",
                (whole_number(limit, "limit"),),
            )
        ]

    def candidates_of(self, author_id: int) -> list[dict]:
        """The other sides of an author's candidate pairs (see `PaperDB.candidates_of`)."""
        return [
            dict(r)
            for r in self.conn.execute(
                # One indexed lookup per side of the pair, not a scan of every pair.
                "SELECT o.id, o.name, o.paper_count, c.score, c.reason FROM ("
                "  SELECT author_b_id AS other, score, reason FROM author_candidates WHERE author_a_id = :id "
                "  UNION ALL SELECT author_a_id, score, reason FROM author_candidates WHERE author_b_id = :id) c "
                "JOIN authors o ON o.id = c.other ORDER BY c.score DESC, o.name, o.id",
                {"id": author_id},
            )
        ]

    def candidates(self, *, limit: int = 50) -> list[dict]:
        """Pairs of authors kept apart that may be one person (see `PaperDB.candidates`)."""
        rows = [
            dict(r)
            for r in self.conn.execute(
                "SELECT c.name_a, c.name_b, c.score, c.reason, a.id AS author_a, b.id AS author_b, "
                "a.paper_count AS papers_a, b.paper_count AS papers_b "
                "FROM author_candidates c JOIN authors a ON a.id = c.author_a_id JOIN authors b ON b.id = c.author_b_id "
                "ORDER BY c.reason LIKE 'both on one paper%', c.score DESC, min(a.paper_count, b.paper_count) DESC, "
                "max(a.paper_count, b.paper_count) DESC, c.name_a, c.name_b LIMIT ?",
                (whole_number(limit, "limit"),),
            )
        ]
        for row in rows:
            row["shared_coauthors"] = len(self._shared_coauthors(row["author_a"], row["author_b"]))
        return rows

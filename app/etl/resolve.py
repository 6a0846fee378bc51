"""Author resolution: cluster the mentions of one family-name block into people.

Pure: mentions in, clusters out, no database. The loader streams the mentions of one
block (all mentions with the same `block_key`, after `Overrides.block_alias`) to
`resolve_block`; `resolve_all` does the same for an in-memory list.

How a block is clustered:
1. Mentions with the same spelling (family, given) start as one cluster.
2. Merge overrides join the clusters holding the named spellings.
3. Clusters are merged greedily, strongest pair first (rule score, then evidence, then
   names, so the input order never matters). A pair merges only if every name in one is
   compatible with every name in the other (`names.token_compatibility`), no paper holds
   both, no split override separates them, and the evidence suffices (`_evidence_needed`):
   spellings equal after folding merge outright; any other rule needs `MIN_EVIDENCE`
   shared co-authors or profiles (a co-author written as an initial meets the full
   first names with that initial), `SHARED_FAMILY_EXTRA` more when another name of the
   block is a rival reading (`_rival`); an added middle initial needs none when the two
   are the only names in the block. Given names one letter apart (`spelling`) are
   compatible too, under evidence. Requiring every cross pair to be compatible keeps `J.`
   from gluing `Josh` and `Jim` together.
4. Compatible pairs left apart, and given names one letter apart, become candidates.

Only pairs that an index can relate are ever compared, so the work grows with the number
of compatible pairs rather than with the square of the block's spellings: names are paired
by `names.compatible_candidates` (equal letters, matching first tokens, a later given
name), and one-letter differences by a deletion index (`_one_edit_pairs`).

Overrides file format (`load_overrides`), one directive per line, `#` starts a comment:

    # Josh Achiam is Joshua Achiam
    merge: Achiam, Josh = Achiam, Joshua
    merge: Gontijo-Lopes, Rapha = Lopes, Rapha Gontijo
    split: Levin, Daniel != Levy, Daniel

A name is `Family, Given` or just `Family`; it matches every spelling equal to it after
folding (case, accents, hyphens). `merge` joins the two people even across family-name
blocks (the blocks are aliased: see `Overrides.block_alias`); `split` forbids any cluster
holding both names. Two mentions of one paper are never merged, not even by `merge`.
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Hashable, Iterable, Sequence, Set
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import combinations, product
from pathlib import Path
from typing import NamedTuple

from rapidfuzz.distance import Levenshtein

from app.text import names
from app.text.names import (
    RULE_SCORES,
    Compatibility,
    block_key,
    coauthor_key,
    compatible_candidates,
    fold,
    given_tokens,
    initial_key,
    name_tokens,
    token_compatibility,
)

# The version of the rules below. Bump it with any change to what resolution writes
# (clusters, merges, candidates): the next import then re-resolves every block
# (`resolver_rules`). 2: candidates for family names one letter apart. 3: co-authors
# matched by initial, rival readings instead of any namesake, compound and spelling merges.
RULES_VERSION = 3

# Shared co-authors or profiles needed before two compatible but differently spelled
# names merge, per rule, when nobody else in the block carries the family name. One is
# enough for most rules; a bare prefix (`Avi`/`Avirup`) also fits different Chinese
# names (`Jun`/`Junjie`), so it needs two. A part moved between family and given name
# (`re-split`) is the same letters but not the same spelling, so it needs one too.
# A `compound` match (`Bill`/`William B.`: two loose readings at once) and a spelling slip
# (`Philippe`/`Phillippe`) need two: either alone fits many pairs of different people.
MIN_EVIDENCE = {
    "hyphen-space": 1,
    "re-split": 1,
    "middle-initial": 1,
    "middle-name": 1,
    "nickname": 1,
    "initial": 1,
    "second-name": 1,
    "prefix": 2,
    "compound": 2,
    "spelling": 2,
    "override": 0,
    "folded-equal": 0,
}
# Extra shared co-authors a rule that changes the letters of a name needs when the block
# holds a rival: a name that reads as one side but not the other (`Eider` beside `E.` and
# `Eneko`), i.e. a second person the looser spelling may belong to. A common family name
# has rivals for most of its loose spellings (`Wang, Y.`), a rare one none, so this is
# what makes the bar follow the name's frequency; bearers of the family name who are no
# reading of either spelling (`Eric` beside `Samuel`/`Samuel R.`) do not raise it.
# Chosen on the ACL development slice (variant F1 of the whole slice with +1, +2, +3:
# 0.833, 0.850, 0.849); a block-size term on top (+1 from 20, 50 or 150 names) changed
# it by under 0.005 and was left out.
SHARED_FAMILY_EXTRA = 2
# Rules that only regroup the same letters; the family name's commonness does not matter.
SAME_LETTER_RULES = {"folded-equal", "hyphen-space", "re-split"}
# Rules that may merge on the names alone when the two clusters hold every name of the
# block. An added middle initial (`Samuel`/`Samuel R. Bowman`) rarely separates two
# people; on the ACL sample this recovers 15 true variant pairs for 2 wrong ones. A
# nickname or a full middle name without evidence (`Sam`/`Samuel`, `Tu`/`Tu Dinh`)
# stays a candidate.
NAME_ONLY_RULES = {"middle-initial"}
# Evidence a weak pair needs to be worth a reviewer's time as a candidate: without a
# shared co-author, bare prefixes, compound matches and one-letter differences are
# mostly different people (`Jun`/`Junjie`, `J. Edward`/`Jennifer`, `Fang`/`Gang` Chen).
CANDIDATE_MIN_EVIDENCE = {"prefix": 1, "compound": 1, "spelling": 1, "one-edit": 1}
# Candidate score for names one edit apart (`Jon`/`Jan`, family-name typos): below every
# rule score, as these are guesses until someone confirms them.
ONE_EDIT_SCORE = 0.5
# Given names shorter than this are too short for a one-edit candidate to mean anything.
ONE_EDIT_MIN_LEN = 4
# Given names shorter than this are not merged as spelling slips, only made candidates:
# four-letter given names one letter apart are mostly different people (`Fang`/`Gang`).
SPELLING_MIN_LEN = 5
# Family-name keys at least this long are checked for one-edit typos across blocks
# (`Tootoonchian`/`Tootoochian`); shorter ones (`Levin`/`Levy`) are too often different.
TYPO_MIN_KEY_LEN = 8
# Shared co-authors a cross-block typo candidate needs; typos are only ever candidates.
TYPO_MIN_COAUTHORS = 2

# Shared co-authors named in an evidence text; a 300-author paper would name them all.
EVIDENCE_SHOWN = 5

NameKey = tuple[str, tuple[str, ...]]  # (block key, name tokens): a spelling up to folding


class _Name(NamedTuple):
    """A spelling as clustering compares it."""

    key: NameKey
    is_org: bool
    given_len: int  # given-name tokens: tells `Ratn Shah, Rajiv` from `Shah, Rajiv Ratn`


@dataclass(frozen=True)
class MentionRef:
    """One author mention as resolution sees it."""

    key: Hashable  # e.g. (paper_id, position)
    paper: Hashable
    family: str
    given: str | None
    is_organization: bool = False
    coauthors: frozenset[str] = frozenset()  # coauthor_key of the paper's other authors
    profiles: frozenset[str] = frozenset()  # owners of the profile dumps listing the paper


@dataclass(frozen=True)
class Merge:
    """Two clusters joined, and why."""

    a_name: str
    b_name: str
    rule: str
    score: float
    evidence: str


@dataclass(frozen=True)
class Candidate:
    """Two clusters that may be one person but were kept apart, and why."""

    a_name: str
    b_name: str
    score: float
    reason: str


@dataclass(frozen=True)
class Cluster:
    """One resolved person or organisation."""

    members: tuple[Hashable, ...]  # MentionRef keys, sorted
    family: str  # display spelling
    given: str | None
    name: str  # `Given Family`, the most informative spelling
    is_organization: bool
    spellings: tuple[tuple[str, int], ...]  # (`Given Family`, mentions), most frequent first
    papers: frozenset[Hashable]
    coauthors: frozenset[str]  # coauthor keys on its papers, other than its own names


@dataclass(frozen=True)
class BlockResult:
    """The clusters of one block and the decisions that made them."""

    key: str
    clusters: list[Cluster]
    merges: list[Merge]
    candidates: list[Candidate]


@dataclass(frozen=True)
class Overrides:
    """Manual merge and split decisions (see the module docstring for the file format)."""

    merges: tuple[tuple[NameKey, NameKey], ...] = ()
    splits: frozenset[frozenset[NameKey]] = frozenset()
    aliases: dict[str, str] = field(default_factory=dict)  # block key -> canonical block key

    def block_alias(self, key: str) -> str:
        """The block a family-name key is resolved in (merges across blocks alias them)."""
        return self.aliases.get(key, key)


def _parse_name(text: str, line_no: int) -> NameKey:
    family, _, given = (part.strip() for part in text.partition(","))
    if not family:
        raise ValueError(f"overrides line {line_no}: empty name in {text!r}")
    return block_key(family, given or None), name_tokens(family, given or None)


def parse_overrides(text: str) -> Overrides:
    """Parse the overrides text; a malformed line raises ValueError naming its line number."""
    merges, splits = [], set()
    for line_no, line in enumerate(text.splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        verb, sep, rest = line.partition(":")
        verb = verb.strip().lower()
        operator = {"merge": "=", "split": "!="}.get(verb)
        if not sep or operator is None or rest.count(operator) != 1 or (verb == "merge" and "!=" in rest):
            raise ValueError(
                f"overrides line {line_no}: expected 'merge: Family, Given = Family, Given' "
                f"or 'split: Family, Given != Family, Given', got {line!r}"
            )
        a, b = (_parse_name(part, line_no) for part in rest.split(operator))
        if a == b:
            raise ValueError(f"overrides line {line_no}: both sides name the same spelling")
        (merges.append((a, b)) if verb == "merge" else splits.add(frozenset((a, b))))
    conflicts = {frozenset(pair) for pair in merges} & splits
    if conflicts:
        raise ValueError(f"overrides: the same names are both merged and split: {sorted(map(sorted, conflicts))}")
    return Overrides(merges=tuple(merges), splits=frozenset(splits), aliases=_block_aliases(merges))


def _block_aliases(merges: list[tuple[NameKey, NameKey]]) -> dict[str, str]:
    """Union the blocks joined by merges; each block maps to the smallest key of its group."""
    parent: dict[str, str] = {}

    def root(key: str) -> str:
        while parent.get(key, key) != key:
            key = parent[key]
        return key

    for (a, _), (b, _) in merges:
        ra, rb = sorted((root(a), root(b)))
        if ra != rb:
            parent[rb] = ra
    return {key: root(key) for key in parent if root(key) != key}


def load_overrides(path: str | Path) -> Overrides:
    """Read and parse an overrides file."""
    return parse_overrides(Path(path).read_text(encoding="utf-8"))


@dataclass(slots=True)
class _Group:
    """A cluster under construction."""

    mentions: list[MentionRef]
    names: set[_Name]
    papers: set[Hashable]
    # Co-authors and profiles start as the mention's own frozenset when there is one (most
    # spellings appear once) and become a set of their own on the first merge (`_grown`).
    coauthors: frozenset[str] | set[str]
    profiles: frozenset[str] | set[str]
    own_keys: set[str]  # coauthor keys of its own names, not evidence for itself
    spellings: dict[tuple[str, str | None], int]  # (family, given) -> mentions
    best: tuple[str, str | None]  # its most informative spelling (`_informativeness`)
    is_org: bool  # its first mention's flag: a merge override may join a person and an organisation
    order: tuple  # content sort key
    # Its co-author keys as initials (`rigau g`), and those written as an initial only, for
    # `_evidence`; made when first needed and dropped when the group grows.
    initials: tuple[set[str], set[str]] | None = None

    @classmethod
    def of(cls, mentions: list[MentionRef]) -> _Group:
        m = mentions[0]
        name = _name_of(m)
        spelling = (m.family, m.given)
        return cls(
            mentions=mentions,
            names={name},
            papers={x.paper for x in mentions},
            coauthors=_frozen_union([x.coauthors for x in mentions]),
            profiles=_frozen_union([x.profiles for x in mentions]),
            own_keys={coauthor_key(m.family, m.given)},
            spellings={spelling: len(mentions)},
            best=spelling,
            is_org=m.is_organization,
            order=(name, m.family, m.given or ""),
        )

    @property
    def label(self) -> str:
        """Its best spelling, for messages."""
        return _display(*self.best)

    def absorb(self, other: _Group) -> None:
        # Only the two best spellings and those both hold (their counts grow) can be the new best.
        contenders = {self.best, other.best} | (self.spellings.keys() & other.spellings.keys())
        small, big = sorted((self.mentions, other.mentions), key=len)
        big.extend(small)  # each group's own list, from `resolve_block`
        self.mentions = big
        self.names |= other.names
        self.papers = _grown(self.papers, other.papers)
        self.coauthors = _grown(self.coauthors, other.coauthors)
        self.profiles = _grown(self.profiles, other.profiles)
        self.own_keys |= other.own_keys
        small, big = sorted((self.spellings, other.spellings), key=len)
        for spelling, n in small.items():
            big[spelling] = big.get(spelling, 0) + n
        self.spellings = big
        self.best = min(contenders, key=lambda s: _informativeness(s, self.spellings[s]))
        self.order = min(self.order, other.order)
        if self.initials is not None or other.initials is not None:
            # Grown from both halves' (the smaller one made if need be): a group absorbing
            # many small ones must not recount its own papers each time.
            (mine, mine_only), (theirs, theirs_only) = self.coauthor_initials(), other.coauthor_initials()
            self.initials = _grown(mine, theirs), _grown(mine_only, theirs_only)

    def coauthor_initials(self) -> tuple[set[str], set[str]]:
        """Its co-author keys as initials, and those that are initials already."""
        if self.initials is None:
            papers = {id(m.coauthors): m.coauthors for m in self.mentions}.values()
            as_initials: set[str] = set()
            only: set[str] = set()
            for keys in papers:
                all_, initial_only = _initial_keys(keys)
                as_initials |= all_
                only |= initial_only
            self.initials = as_initials, only
        return self.initials


@lru_cache(maxsize=1 << 16)
def _initial_keys(keys: frozenset[str]) -> tuple[frozenset[str], frozenset[str]]:
    """A paper's co-author keys as initials, and those that are initials already: computed once
    per paper, as every mention of a paper holds the same set."""
    as_initials = frozenset(map(initial_key, keys))
    return as_initials, as_initials & keys


def _frozen_union(sets: list[frozenset[str]]) -> frozenset[str]:
    """The union; the only set itself when there is one (`frozenset` of a frozenset is no copy)."""
    return frozenset(sets[0]) if len(sets) == 1 else frozenset().union(*sets)


def _grown(a: set | frozenset, b: set | frozenset) -> set:
    """a | b, made by growing the larger in place (copied first if frozen): a group absorbing
    many small ones costs their size, not its own."""
    small, big = (a, b) if len(a) < len(b) else (b, a)
    big = set(big) if isinstance(big, frozenset) else big
    big.update(small)
    return big


def _name_of(m: MentionRef) -> _Name:
    key = (block_key(m.family, m.given), name_tokens(m.family, m.given))
    return _Name(key, m.is_organization, len(given_tokens(m.given)))


def _display(family: str, given: str | None) -> str:
    return f"{given} {family}" if given else family


@lru_cache(maxsize=1 << 16)
def _names_compatibility(a: _Name, b: _Name) -> Compatibility | None:
    if a.is_org != b.is_org:
        return None
    if a.is_org:  # organisations merge only when spelled alike
        return token_compatibility(a.key[1], b.key[1]) if a.key == b.key else None
    if a.key == b.key and a.given_len != b.given_len:
        return Compatibility("re-split", RULE_SCORES["re-split"])
    found = token_compatibility(a.key[1], b.key[1])
    if found is None and _spelling_slip(a.key[1], b.key[1]):
        return Compatibility("spelling", RULE_SCORES["spelling"])
    return found


def _spelling_slip(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """Whether two names differ in one letter of one name long enough for that to be a slip
    (`Phillippe`), not in an initial (`Michael R.`/`Michael T.`)."""
    differing = [(s, t) for s, t in zip(a, b) if s != t]
    if len(a) != len(b) or len(differing) != 1:
        return False
    s, t = differing[0]
    return min(len(s), len(t)) >= SPELLING_MIN_LEN and Levenshtein.distance(s, t) == 1


def clear_caches() -> None:
    """Empty the name caches here and in `names` (see `names.clear_caches`)."""
    _names_compatibility.cache_clear()
    _initial_keys.cache_clear()
    names.clear_caches()


def _groups_compatibility(x: _Group, y: _Group) -> Compatibility | None:
    """The weakest compatibility over every name of x against every name of y."""
    weakest: Compatibility | None = None
    for a in x.names:
        for b in y.names:
            c = _names_compatibility(a, b)
            if c is None:
                return None
            if weakest is None or c.score < weakest.score:
                weakest = c
    return weakest


def _evidence(x: _Group, y: _Group) -> tuple[Set[str], Set[str]]:
    """The co-authors (other than their own names) and the profiles x and y share.

    A co-author written as an initial on one side (`rigau g`) is shared with one whose
    first name has that initial on the other (`rigau german`): older papers give initials
    only, so exact keys alone would find no evidence for them.
    """
    shared = (x.coauthors & y.coauthors) - x.own_keys - y.own_keys
    (x_all, x_only), (y_all, y_only) = x.coauthor_initials(), y.coauthor_initials()
    by_initial = (x_only & y_all) | (y_only & x_all)
    if by_initial:  # not again for a co-author already shared, nor for their own names
        by_initial -= {initial_key(k) for k in (*shared, *x.own_keys, *y.own_keys)}
    return (shared | by_initial if by_initial else shared), x.profiles & y.profiles


def _evidence_text(coauthors: Set[str], profiles: Set[str]) -> str:
    """A short text naming the shared co-authors and profiles (only needed when a pair is kept)."""
    parts = []
    for label, items in (("co-authors", sorted(coauthors)), ("profiles", sorted(profiles))):
        if items:
            more = f" (+{len(items) - EVIDENCE_SHOWN} more)" if len(items) > EVIDENCE_SHOWN else ""
            parts.append(f"shared {label}: {'; '.join(items[:EVIDENCE_SHOWN])}{more}")
    return "; ".join(parts) or "no shared co-author or profile"


def _blocked(x: _Group, y: _Group, splits: frozenset[frozenset[NameKey]]) -> str | None:
    """Why x and y may never merge, or None."""
    shared = x.papers & y.papers
    if shared:
        return f"both on one paper ({min(map(str, shared))})"
    if splits and any(frozenset((a.key, b.key)) in splits for a in x.names for b in y.names):
        return "split override"
    return None


def _forced_merges(
    groups: list[_Group], overrides: Overrides, merges: list[Merge], candidates: list[Candidate]
) -> list[_Group]:
    """Join the groups named by merge overrides (unless one paper holds both, or a split forbids it)."""
    present = {name.key for g in groups for name in g.names}  # merging keeps every name
    for a, b in sorted(overrides.merges):
        if a not in present or b not in present:
            continue
        holding = [g for g in groups if any(name.key in (a, b) for name in g.names)]
        if len({name.key for g in holding for name in g.names} & {a, b}) < 2:
            continue
        first, *rest = holding
        for other in rest:
            reason = _blocked(first, other, overrides.splits)
            if reason:
                candidates.append(Candidate(first.label, other.label, 1.0, f"merge override not applied: {reason}"))
                continue
            merges.append(Merge(first.label, other.label, "override", 1.0, "merge override"))
            first.absorb(other)
            groups.remove(other)
    return groups


@dataclass(frozen=True)
class _Block:
    """Every name of the block, and the names each is compatible with."""

    names: frozenset[_Name]
    partners: dict[_Name, set[_Name]]
    one_edit: set[tuple[str, str]]  # people's joined name tokens one edit apart (`_edit_texts`)

    @classmethod
    def of(cls, groups: list[_Group]) -> _Block:
        names = {name for g in groups for name in g.names}
        one_edit = _one_edit_pairs({text for name in names if (text := _edit_text(name))})
        partners: dict[_Name, set[_Name]] = {name: set() for name in names}
        for a, b in _name_pairs(names, one_edit):  # compatibility is symmetric: a pair's order does not matter
            if _names_compatibility(a, b) is not None:
                partners[a].add(b)
                partners[b].add(a)
        return cls(frozenset(names), partners, one_edit)


def _edit_text(name: _Name) -> str | None:
    """A person's joined name tokens, if long enough to be compared one edit apart."""
    text = "".join(name.key[1])
    return text if not name.is_org and len(text) >= ONE_EDIT_MIN_LEN else None


def _name_pairs(names: Iterable[_Name], one_edit: set[tuple[str, str]]) -> list[tuple[_Name, _Name]]:
    """Pairs of names that may be compatible, a superset of those `_names_compatibility`
    accepts: organisations match only their own key; people match by their tokens alone, so
    only token tuples paired by `compatible_candidates`, equal ones (`re-split`), or ones
    whose joined tokens are one edit apart (`one_edit`: spelling slips) can."""
    orgs: dict[NameKey, list[_Name]] = defaultdict(list)
    people: dict[tuple[str, ...], list[_Name]] = defaultdict(list)
    for name in names:
        if name.is_org:
            orgs[name.key].append(name)
        else:
            people[name.key[1]].append(name)
    pairs = [pair for same in (*orgs.values(), *people.values()) for pair in combinations(same, 2)]
    for a, b in compatible_candidates(people):
        pairs += product(people[a], people[b])
    by_text: dict[str, list[tuple[str, ...]]] = defaultdict(list)
    for tokens in people:
        by_text["".join(tokens)].append(tokens)
    for a_text, b_text in one_edit:
        if min(len(a_text), len(b_text)) >= SPELLING_MIN_LEN:
            for a, b in product(by_text[a_text], by_text[b_text]):
                pairs += product(people[a], people[b])
    return pairs


def _links(groups: Sequence[_Group], block: _Block) -> list[set[int]]:
    """For each group, the indexes of the groups it may be compatible with: those holding one
    of its names or a partner of one (every cross pair must be compatible, so one must be)."""
    holders: dict[_Name, list[int]] = defaultdict(list)
    for i, g in enumerate(groups):
        for name in g.names:
            holders[name].append(i)
    links: list[set[int]] = [set() for _ in groups]
    for i, g in enumerate(groups):
        for name in g.names:
            for other in (name, *block.partners[name]):
                links[i].update(holders[other])
        links[i].discard(i)
    return links


def _evidence_needed(rule: str, names: set[_Name], block: _Block) -> int | None:
    """Shared co-authors or profiles two clusters holding `names` need to merge by `rule` (None: never)."""
    if rule not in MIN_EVIDENCE:
        return None
    if rule in SAME_LETTER_RULES:
        return MIN_EVIDENCE[rule]
    if rule in NAME_ONLY_RULES and names == block.names:
        return 0
    return MIN_EVIDENCE[rule] + (SHARED_FAMILY_EXTRA if _has_rival(names, block) else 0)


def _needed_note(rule: str, names: set[_Name], block: _Block) -> str:
    """Why `_evidence_needed` asks what it asks, when the block changed it ("" if it did not)."""
    if rule not in MIN_EVIDENCE:
        return "never merged without an override"
    if rule in SAME_LETTER_RULES:
        return ""
    if rule in NAME_ONLY_RULES and names == block.names:
        return "the only names in the block"
    if _has_rival(names, block):
        return f"needs {_evidence_needed(rule, names, block)}: {_display_key(min(_rivals(names, block)))} is another reading"
    return ""


def _has_rival(names: set[_Name], block: _Block) -> bool:
    """Whether a name of the block reads as one of `names` but not as all of them: another
    person they may belong to (`Eider` beside `E.` and `Eneko`)."""
    sizes = [len(block.partners[n]) for n in names]
    # A partner set larger than any name's partners in common, by more than `names` can
    # account for, holds a name the others lack.
    if max(sizes) - (len(names) - 1) > min(sizes):
        return True
    return bool(_rivals(names, block))


def _rivals(names: set[_Name], block: _Block) -> set[_Name]:
    """The names of the block compatible with some of `names` but not with all."""
    partners = [block.partners[n] for n in names]
    return set().union(*partners) - set.intersection(*partners) - names


def _display_key(name: _Name) -> str:
    block, tokens = name.key
    return " ".join((*tokens, block))


def _agglomerate(
    groups: list[_Group], block: _Block, overrides: Overrides, merges: list[Merge]
) -> tuple[dict[int, _Group], dict[int, set[int]]]:
    """Greedy merging, strongest admissible pair first, re-scoring merged groups; returns the
    groups left, by id, and their links.

    Only linked groups (`_links`) are ever scored. A merged group is linked to the groups
    both halves were linked to: only those can be compatible with every name of both. Links
    to merged-away ids are left in place and skipped.
    """
    alive = dict(enumerate(groups))
    links = dict(enumerate(_links(groups, block)))
    heap: list[tuple] = []

    def push(i: int, j: int) -> None:
        x, y = alive[i], alive[j]
        compat = _groups_compatibility(x, y)
        if compat is None or _blocked(x, y, overrides.splits):
            return
        names = x.names | y.names
        needed = _evidence_needed(compat.rule, names, block)
        if needed is None:
            return
        coauthors, profiles = _evidence(x, y)
        count = len(coauthors) + len(profiles)
        if count >= needed:
            text = _evidence_text(coauthors, profiles)
            note = _needed_note(compat.rule, names, block)
            text = f"{text}; {note}" if note else text
            orders = (x.order, y.order) if x.order < y.order else (y.order, x.order)
            heapq.heappush(heap, (-compat.score, -count, *orders, i, j, compat, text))

    # Always push(lower id, higher id): `_groups_compatibility` reports the first of equally
    # weak pairs it meets, so the orientation must not depend on the links.
    for i, linked in links.items():
        for j in linked:
            if i < j:
                push(i, j)
    next_id = len(alive)
    while heap:
        *_, i, j, compat, text = heapq.heappop(heap)
        if i not in alive or j not in alive:
            continue
        x, y = alive.pop(i), alive.pop(j)
        first, second = sorted((x, y), key=lambda g: g.order)
        merges.append(Merge(first.label, second.label, compat.rule, compat.score, text))
        first.absorb(second)
        alive[next_id] = first
        links[next_id] = {k for k in links.pop(i) & links.pop(j) if k in alive}
        for k in links[next_id]:
            links[k].add(next_id)
            push(k, next_id)
        next_id += 1
    return alive, links


def _candidates(
    groups: dict[int, _Group], links: dict[int, set[int]], block: _Block, overrides: Overrides
) -> list[Candidate]:
    """Pairs left apart that may still be one person: compatible names (only linked groups can
    be), or one edit apart."""
    ids = sorted(groups, key=lambda k: groups[k].order)
    rank = {k: r for r, k in enumerate(ids)}
    edits = _one_edit_links(groups, block)
    found = []
    pairs = ((rank[i], rank.get(j, -1)) for i in ids for j in links[i] | edits[i])  # -1: merged away
    for r, q in sorted((r, q) for r, q in pairs if r < q):  # by order, as over all pairs
        x, y = groups[ids[r]], groups[ids[q]]
        compat = _groups_compatibility(x, y)
        if compat is None and not (ids[q] in edits[ids[r]] and _one_edit_apart(x, y)):
            continue
        rule = compat.rule if compat else "one-edit"
        coauthors, profiles = _evidence(x, y)
        if len(coauthors) + len(profiles) < CANDIDATE_MIN_EVIDENCE.get(rule, 0):
            continue
        text = _evidence_text(coauthors, profiles)
        blocked = _blocked(x, y, overrides.splits)
        if compat:
            names = x.names | y.names
            needed, note = _evidence_needed(rule, names, block), _needed_note(rule, names, block)
            reason = blocked or f"{rule}: {text} ({note or f'needs {needed}'})"
            found.append(Candidate(x.label, y.label, compat.score, reason))
        else:
            reason = blocked or f"given names one letter apart; {text}"
            found.append(Candidate(x.label, y.label, ONE_EDIT_SCORE, reason))
    return found


def _one_edit_links(groups: dict[int, _Group], block: _Block) -> dict[int, set[int]]:
    """For each group id, the ids of the groups `_one_edit_apart` from it."""
    holders: dict[str, set[int]] = defaultdict(set)
    for i, g in groups.items():
        for name in g.names:
            if text := _edit_text(name):
                holders[text].add(i)
    links: dict[int, set[int]] = defaultdict(set)
    for a, b in block.one_edit:
        for i in holders[a]:
            links[i] |= holders[b] - {i}
        for j in holders[b]:
            links[j] |= holders[a] - {j}
    return links


def _one_edit_pairs(texts: Iterable[str]) -> set[tuple[str, str]]:
    """Pairs (a < b) of the texts one edit apart, by a deletion index: two strings at distance
    one share a string among themselves and their one-letter deletions."""
    by_variant: dict[str, set[str]] = defaultdict(set)
    for text in texts:
        by_variant[text].add(text)
        for i in range(len(text)):
            by_variant[text[:i] + text[i + 1 :]].add(text)
    near = {pair for same in by_variant.values() if len(same) > 1 for pair in combinations(sorted(same), 2)}
    return {(a, b) for a, b in near if Levenshtein.distance(a, b) == 1}


def _one_edit_apart(x: _Group, y: _Group) -> bool:
    for a in x.names:
        for b in y.names:
            a_text, b_text = "".join(a.key[1]), "".join(b.key[1])
            if (
                not a.is_org
                and not b.is_org
                and min(len(a_text), len(b_text)) >= ONE_EDIT_MIN_LEN
                and Levenshtein.distance(a_text, b_text) == 1
            ):
                return True
    return False


def _informativeness(spelling: tuple[str, str | None], count: int) -> tuple:
    """Sort key, best first: more letters, more full given names, more diacritics, more uses, then text."""
    family, given = spelling
    text = f"{given or ''}{family}"
    letters = sum(c.isalnum() for c in text)
    full_given = sum(len(t.strip(".")) > 1 for t in (given or "").replace("-", " ").split())
    diacritics = sum(c.isalpha() and not c.isascii() for c in text)
    return -letters, -full_given, -diacritics, -count, family, given or ""


def _sorted_keys(keys: Iterable[Hashable]) -> tuple[Hashable, ...]:
    keys = list(keys)
    try:
        return tuple(sorted(keys))
    except TypeError:
        return tuple(sorted(keys, key=repr))


def _cluster(group: _Group) -> Cluster:
    counts: dict[str, int] = {}
    for spelling, n in group.spellings.items():
        display = _display(*spelling)
        counts[display] = counts.get(display, 0) + n
    return Cluster(
        members=_sorted_keys(m.key for m in group.mentions),
        family=group.best[0],
        given=group.best[1],
        name=group.label,
        is_organization=group.is_org,
        spellings=tuple(sorted(counts.items(), key=lambda item: (-item[1], item[0]))),
        papers=frozenset(group.papers),
        coauthors=frozenset(group.coauthors - group.own_keys),
    )


def resolve_block(mentions: Sequence[MentionRef], overrides: Overrides | None = None) -> BlockResult:
    """Cluster the mentions of one block into people, recording merges and candidates."""
    overrides = overrides or Overrides()
    by_spelling: dict[tuple, list[MentionRef]] = defaultdict(list)
    for m in mentions:
        by_spelling[(m.family, m.given, m.is_organization)].append(m)
    groups = sorted((_Group.of(ms) for ms in by_spelling.values()), key=lambda g: g.order)
    merges: list[Merge] = []
    candidates: list[Candidate] = []
    groups = _forced_merges(groups, overrides, merges, candidates)
    block = _Block.of(groups)
    alive, links = _agglomerate(groups, block, overrides, merges)
    candidates += _candidates(alive, links, block, overrides)
    clusters = sorted(map(_cluster, alive.values()), key=lambda c: (fold(c.name), c.name, repr(c.members[0])))
    keys = sorted({overrides.block_alias(block_key(family, given)) for family, given, _ in by_spelling})
    return BlockResult(key=keys[0] if keys else "", clusters=clusters, merges=merges, candidates=candidates)


def resolve_all(mentions: Iterable[MentionRef], overrides: Overrides | None = None) -> list[BlockResult]:
    """Resolve every block of an in-memory set of mentions, in block-key order."""
    overrides = overrides or Overrides()
    blocks: dict[str, list[MentionRef]] = defaultdict(list)
    for m in mentions:
        blocks[overrides.block_alias(block_key(m.family, m.given))].append(m)
    return [resolve_block(blocks[key], overrides) for key in sorted(blocks)]


def typo_candidates(results: Sequence[BlockResult]) -> list[Candidate]:
    """Clusters in different blocks whose long family keys are one edit apart, with the same
    given name and strong co-author evidence: candidates for a merge override, never merged."""
    by_key = {r.key: r for r in results}
    return [
        found
        for a_key, b_key in sorted(typo_key_pairs(by_key))
        for x in by_key[a_key].clusters
        for y in by_key[b_key].clusters
        if (found := typo_candidate(x, y))
    ]


def typo_key_pairs(keys: Iterable[str]) -> set[tuple[str, str]]:
    """Pairs (a < b) of family-name block keys that may hold one person under a typo."""
    return _one_edit_pairs(key for key in keys if len(key) >= TYPO_MIN_KEY_LEN)


def typo_candidate(x: Cluster, y: Cluster) -> Candidate | None:
    """x and y (from blocks `typo_key_pairs` paired) as a candidate, if the same given name,
    no shared paper and enough shared co-authors make it worth a look."""
    shared = x.coauthors & y.coauthors
    if fold(x.given or "") != fold(y.given or "") or x.papers & y.papers or len(shared) < TYPO_MIN_COAUTHORS:
        return None
    reason = f"family names one letter apart; shared co-authors: {', '.join(sorted(shared))}"
    return Candidate(x.name, y.name, ONE_EDIT_SCORE, reason)

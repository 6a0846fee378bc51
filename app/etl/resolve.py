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
   shared co-authors or profiles, `SHARED_FAMILY_EXTRA` more when other people in the
   block carry the family name; an added middle initial needs none when the two are the
   only names in the block; a `compound` match is only ever a candidate. Requiring every
   cross pair to be compatible keeps `J.` from gluing `Josh` and `Jim` together.
4. Compatible pairs left apart, and given names one letter apart, become candidates.

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
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import combinations
from pathlib import Path
from typing import Hashable, Iterable, NamedTuple, Sequence

from rapidfuzz.distance import Levenshtein

from app.etl.names import (
    RULE_SCORES,
    Compatibility,
    block_key,
    coauthor_key,
    fold,
    given_tokens,
    name_tokens,
    token_compatibility,
)

# Shared co-authors or profiles needed before two compatible but differently spelled
# names merge, per rule, when nobody else in the block carries the family name. One is
# enough for most rules; a bare prefix (`Avi`/`Avirup`) also fits different Chinese
# names (`Jun`/`Junjie`), so it needs two. A part moved between family and given name
# (`re-split`) is the same letters but not the same spelling, so it needs one too.
# `compound` matches are absent: they are never merged, only recorded as candidates.
MIN_EVIDENCE = {
    "hyphen-space": 1,
    "re-split": 1,
    "middle-initial": 1,
    "middle-name": 1,
    "nickname": 1,
    "initial": 1,
    "second-name": 1,
    "prefix": 2,
    "override": 0,
    "folded-equal": 0,
}
# Extra shared co-authors a rule that changes the letters of a name needs when other
# people in the block carry the family name: the commoner the family name, the likelier
# two compatible spellings belong to two of its bearers. Chosen on the ACL sample, where
# variant pairs merged right of all merged (as the Anthology resolves them) go
# +0: 110/135, +1: 110/123, +2: 108/118, +3: 105/115; two is the smallest extra under
# which one or two shared co-authors in a shared-name block (`Michael`/`Michael R. Lyu`
# next to Boer and Yajuan Lyu) leave a candidate rather than a merge.
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
CANDIDATE_MIN_EVIDENCE = {"prefix": 1, "compound": 1, "one-edit": 1}
# Candidate score for names one edit apart (`Jon`/`Jan`, family-name typos): below every
# rule score, as these are guesses until someone confirms them.
ONE_EDIT_SCORE = 0.5
# Given names shorter than this are too short for a one-edit candidate to mean anything.
ONE_EDIT_MIN_LEN = 4
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
    coauthors: frozenset[str]


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


@dataclass
class _Group:
    """A cluster under construction."""

    mentions: list[MentionRef]
    names: set[_Name]
    papers: set[Hashable]
    coauthors: set[str]
    profiles: set[str]
    own_keys: set[str]  # coauthor keys of its own names, not evidence for itself
    label: str  # its best spelling, for messages
    order: tuple  # content sort key

    @classmethod
    def of(cls, mentions: list[MentionRef]) -> _Group:
        m = mentions[0]
        return cls(
            mentions=mentions,
            names={_name_of(m)},
            papers={x.paper for x in mentions},
            coauthors=set().union(*(x.coauthors for x in mentions)),
            profiles=set().union(*(x.profiles for x in mentions)),
            own_keys={coauthor_key(m.family, m.given)},
            label=_display(m.family, m.given),
            order=(_name_of(m), m.family, m.given or ""),
        )

    def absorb(self, other: _Group) -> None:
        self.mentions += other.mentions
        self.names |= other.names
        self.papers |= other.papers
        self.coauthors |= other.coauthors
        self.profiles |= other.profiles
        self.own_keys |= other.own_keys
        self.label = _best_spelling(self.mentions)[1]
        self.order = min(self.order, other.order)


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
    return token_compatibility(a.key[1], b.key[1])


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


def _evidence(x: _Group, y: _Group) -> tuple[int, str]:
    """How many co-authors and profiles x and y share, and a short text naming them."""
    coauthors = sorted((x.coauthors & y.coauthors) - x.own_keys - y.own_keys)
    profiles = sorted(x.profiles & y.profiles)
    parts = []
    for label, items in (("co-authors", coauthors), ("profiles", profiles)):
        if items:
            more = f" (+{len(items) - EVIDENCE_SHOWN} more)" if len(items) > EVIDENCE_SHOWN else ""
            parts.append(f"shared {label}: {'; '.join(items[:EVIDENCE_SHOWN])}{more}")
    return len(coauthors) + len(profiles), "; ".join(parts) or "no shared co-author or profile"


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
    for a, b in sorted(overrides.merges):
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
    partners: dict[_Name, frozenset[_Name]]

    @classmethod
    def of(cls, groups: list[_Group]) -> _Block:
        names = sorted({name for g in groups for name in g.names})
        partners: dict[_Name, set[_Name]] = {name: set() for name in names}
        for a, b in combinations(names, 2):
            if _names_compatibility(a, b) is not None:
                partners[a].add(b)
                partners[b].add(a)
        return cls(frozenset(names), {name: frozenset(p) for name, p in partners.items()})


def _evidence_needed(rule: str, names: set[_Name], block: _Block) -> tuple[int | None, str]:
    """Shared co-authors or profiles two clusters holding `names` need to merge by `rule`
    (None: never), and a note saying why when the block changed it."""
    if rule not in MIN_EVIDENCE:
        return None, "never merged without an override"
    needed = MIN_EVIDENCE[rule]
    if rule in SAME_LETTER_RULES:
        return needed, ""
    if rule in NAME_ONLY_RULES and names == block.names:
        return 0, "the only names in the block"
    near = names.union(*(block.partners[n] for n in names))
    if block.names - near:
        needed += SHARED_FAMILY_EXTRA
        return needed, f"needs {needed}: others in the block share the family name"
    return needed, ""


def _agglomerate(groups: list[_Group], block: _Block, overrides: Overrides, merges: list[Merge]) -> list[_Group]:
    """Greedy merging, strongest admissible pair first, re-scoring merged groups."""
    alive = dict(enumerate(groups))
    heap: list[tuple] = []

    def push(i: int, j: int) -> None:
        x, y = alive[i], alive[j]
        if _blocked(x, y, overrides.splits):
            return
        compat = _groups_compatibility(x, y)
        if compat is None:
            return
        needed, note = _evidence_needed(compat.rule, x.names | y.names, block)
        if needed is None:
            return
        count, text = _evidence(x, y)
        if count >= needed:
            text = f"{text}; {note}" if note else text
            first, second = sorted((x, y), key=lambda g: g.order)
            heapq.heappush(heap, (-compat.score, -count, first.order, second.order, i, j, compat, text))

    for i, j in combinations(sorted(alive, key=lambda k: alive[k].order), 2):
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
        for k in sorted(alive, key=lambda k: alive[k].order):
            if k != next_id:
                push(*sorted((k, next_id)))
        next_id += 1
    return list(alive.values())


def _candidates(groups: list[_Group], block: _Block, overrides: Overrides) -> list[Candidate]:
    """Pairs left apart that may still be one person: compatible names, or one edit apart."""
    found = []
    for x, y in combinations(sorted(groups, key=lambda g: g.order), 2):
        compat = _groups_compatibility(x, y)
        if compat is None and not _one_edit_apart(x, y):
            continue
        rule = compat.rule if compat else "one-edit"
        count, text = _evidence(x, y)
        if count < CANDIDATE_MIN_EVIDENCE.get(rule, 0):
            continue
        blocked = _blocked(x, y, overrides.splits)
        if compat:
            needed, note = _evidence_needed(rule, x.names | y.names, block)
            reason = blocked or f"{rule}: {text} ({note or f'needs {needed}'})"
            found.append(Candidate(x.label, y.label, compat.score, reason))
        else:
            reason = blocked or f"given names one letter apart; {text}"
            found.append(Candidate(x.label, y.label, ONE_EDIT_SCORE, reason))
    return found


def _one_edit_apart(x: _Group, y: _Group) -> bool:
    for a in x.names:
        for b in y.names:
            a_text, b_text = "".join(a.key[1]), "".join(b.key[1])
            if (not a.is_org and not b.is_org and min(len(a_text), len(b_text)) >= ONE_EDIT_MIN_LEN
                    and Levenshtein.distance(a_text, b_text) == 1):
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


def _best_spelling(mentions: list[MentionRef]) -> tuple[tuple[str, str | None], str]:
    counts = Counter((m.family, m.given) for m in mentions)
    best = min(counts, key=lambda s: _informativeness(s, counts[s]))
    return best, _display(*best)


def _sorted_keys(keys: Iterable[Hashable]) -> tuple[Hashable, ...]:
    keys = list(keys)
    try:
        return tuple(sorted(keys))
    except TypeError:
        return tuple(sorted(keys, key=repr))


def _cluster(group: _Group) -> Cluster:
    (family, given), name = _best_spelling(group.mentions)
    counts = Counter(_display(m.family, m.given) for m in group.mentions)
    return Cluster(
        members=_sorted_keys(m.key for m in group.mentions),
        family=family,
        given=given,
        name=name,
        is_organization=group.mentions[0].is_organization,
        spellings=tuple(sorted(counts.items(), key=lambda item: (-item[1], item[0]))),
        papers=frozenset(group.papers),
        coauthors=frozenset(group.coauthors),
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
    groups = _agglomerate(groups, block, overrides, merges)
    candidates += _candidates(groups, block, overrides)
    clusters = sorted(map(_cluster, groups), key=lambda c: (fold(c.name), c.name, repr(c.members[0])))
    keys = sorted({overrides.block_alias(block_key(m.family, m.given)) for m in mentions})
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
    neighbours: dict[str, set[str]] = defaultdict(set)
    for key in by_key:
        if len(key) >= TYPO_MIN_KEY_LEN:
            for variant in {key} | {key[:i] + key[i + 1:] for i in range(len(key))}:
                neighbours[variant].add(key)
    pairs = {tuple(sorted(p)) for keys in neighbours.values() for p in combinations(sorted(keys), 2)}
    found = []
    for a_key, b_key in sorted(pairs):
        if Levenshtein.distance(a_key, b_key) != 1:
            continue
        for x in by_key[a_key].clusters:
            for y in by_key[b_key].clusters:
                shared = x.coauthors & y.coauthors
                if (fold(x.given or "") == fold(y.given or "") and not x.papers & y.papers
                        and len(shared) >= TYPO_MIN_COAUTHORS):
                    reason = f"family names one letter apart; shared co-authors: {', '.join(sorted(shared))}"
                    found.append(Candidate(x.name, y.name, ONE_EDIT_SCORE, reason))
    return found

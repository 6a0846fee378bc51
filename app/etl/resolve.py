"""Author resolution: cluster the mentions of one family-name block into people.

Pure: mentions in, clusters out, no database. The loader streams the mentions of one
block (all mentions with the same `block_key`, after `Overrides.block_alias`) to
`resolve_block`; `resolve_all` does the same for an in-memory list.

How a block is clustered:
1. Mentions with the same spelling (family, given) and ORCID (or none) start as one cluster.
2. Merge overrides join the clusters holding the named spellings. Then clusters holding one
   ORCID are joined whatever their names (rule `orcid`), unless one paper holds both or a
   split override separates them (a candidate says so).
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
4. When the block is a group of linked blocks (`block_links`: family names one slip apart,
   a compound's parts, written-out umlauts), names of different family-name keys are
   never compatible in step 3, so each block is clustered as if alone; then
   `_cross_merges` joins clusters of different keys whose family names are one name
   written two ways, under evidence, when each is the other's only such match.
5. Compatible pairs left apart, and given names one letter apart, become candidates.

ORCID is identity: two clusters with different ORCIDs are never merged by steps 3-4, nor
made candidates, whatever their names and evidence; a cluster without one merges by the
rules above with one that has one. Overrides win: a merge override joins two people with
different ORCIDs (the author then has no single ORCID), and a split override keeps apart
two mentions with one ORCID. ORCIDs join mentions only within the block or group of
linked blocks they are resolved in: one ORCID under unrelated family names stays apart.

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
from collections import Counter, defaultdict
from collections.abc import Collection, Hashable, Iterable, Sequence, Set
from dataclasses import dataclass, field, replace
from functools import cached_property, lru_cache
from itertools import chain, combinations, product
from pathlib import Path
from sys import intern
from typing import NamedTuple

from rapidfuzz.distance import Levenshtein

from app.etl import block_links
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
    umlaut_free,
)
from app.text.records import display_name

# The version of the rules below. Bump it with any change to what resolution writes
# (clusters, merges, candidates): the next import then re-resolves every block
# (`resolver_rules`). 2: candidates for family names one letter apart. 3: co-authors
# matched by initial, rival readings instead of any namesake, compound and spelling merges.
# 4: linked blocks (family-name slips, compound parts, written-out umlauts) resolved together.
# 5: distinctive title words as evidence. 6: ORCIDs join and separate people.
# 7: a compound's part links blocks only if it is a family name of its own (`block_links.family_like`).
RULES_VERSION = 7
# What a merge by ORCID scores: it outranks every name rule.
ORCID_SCORE = 1.0

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
# From this many mentions (the biggest groups of linked blocks), a block answers which
# co-authors written as an initial another cluster has in full from one index of its
# co-author keys (`_Block.by_initial`), not from each cluster's co-authors as initials: those
# sets take as much memory as the co-authors themselves. Clustering the biggest group of a
# million papers (260,993 mentions) peaked at 976 MB instead of 1,183, and took about a
# third more CPU (the index is asked once per initial). Smaller blocks, bounded by the
# batches, keep the sets: the index would be built for each block.
INITIAL_INDEX_MIN_MENTIONS = 50_000
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
# Candidate score for given names one edit apart (`Jon`/`Jan`): below every
# rule score, as these are guesses until someone confirms them.
ONE_EDIT_SCORE = 0.5
# Given names shorter than this are too short for a one-edit candidate to mean anything.
ONE_EDIT_MIN_LEN = 4
# Given names shorter than this are not merged as spelling slips, only made candidates:
# four-letter given names one letter apart are mostly different people (`Fang`/`Gang`).
SPELLING_MIN_LEN = 5

# Family names written two ways across linked blocks (`block_links`, `_cross_merges`): a
# compound's part dropped or kept, or a slip in a long family name. Scores rank them below
# the rules inside a block. Evidence needed: CROSS_MIN_EVIDENCE shared co-authors or
# profiles, CROSS_GIVEN_EXTRA more when the given names differ as well (`Bandopadhyay, S.`).
CROSS_SCORES = {"family-umlaut": 0.9, "family-part": 0.7, "family-slip": 0.6}
CROSS_MIN_EVIDENCE = 1
CROSS_GIVEN_EXTRA = 1

# Title words as evidence (`title_words`): TITLE_WORDS_MIN words in the titles of both
# clusters' papers that at most TITLE_WORD_MAX_PAPERS of the block's papers (or
# TITLE_WORD_MAX_SHARE of them in a big block) use count as one shared co-author, for the
# rules below and only as the last one a pair needs. On the ACL development slice, pairs
# left apart with two words used by at most 2 papers were one person for 182 of 183
# (middle initial), 128 of 153 (middle name), 77 of 83 (first initial) mention pairs; for
# spelling slips, bare prefixes and second names it was the other way round, so they are
# left out. Variant F1 there by limits (papers, share): (2, 2%) 0.885, (3, 3%) 0.890,
# (4, 5%) 0.892, (3, 10%) 0.886; three words instead of two 0.884.
TITLE_WORDS_MIN = 2
TITLE_WORD_MAX_PAPERS = 4
TITLE_WORD_MAX_SHARE = 0.05
TITLE_EVIDENCE_RULES = {"hyphen-space", "re-split", "middle-initial", "middle-name", "nickname", "initial", "compound"}

# Shared co-authors named in an evidence text; a 300-author paper would name them all.
EVIDENCE_SHOWN = 5
# Shared by every group without an ORCID and every paper without profiles or title words
# (most of them): an empty set of its own is 216 bytes.
NOTHING: frozenset[str] = frozenset()

NameKey = tuple[str, tuple[str, ...]]  # (block key, name tokens): a spelling up to folding


class _Name(NamedTuple):
    """A spelling as clustering compares it."""

    key: NameKey
    is_org: bool
    given_len: int  # given-name tokens: tells `Ratn Shah, Rajiv` from `Shah, Rajiv Ratn`


@dataclass(frozen=True, slots=True)
class Mention:
    """One author mention on one paper, as resolution clusters it and the loader writes it back:
    what its `authorships` row holds, and its paper's evidence (the same tuples and set for
    every mention of the paper). Slots: resolution holds every mention of a batch."""

    id: Hashable  # the `authorships` row id; in memory anything unique, e.g. (paper, position)
    paper_id: Hashable
    name: str  # `Given Family`, as the row spells it
    family: str
    given: str | None
    block_key: str  # `names.block_key` of the name, before override aliasing
    is_organization: bool
    orcid: str | None  # bare, checked (`normalize.canonical_orcid`)
    author_id: int | None  # its author when read from the database; None in memory
    coauthors: tuple[str, ...] = ()  # coauthor_key of the paper's other authors
    profiles: frozenset[str] = frozenset()  # owners of the profile dumps listing the paper
    title_words: tuple[str, ...] = ()  # `title_words.title_words` of the paper's title

    def without_evidence(self) -> Mention:
        """The mention without its paper's evidence: all that writing it needs."""
        return Mention(*self._row())

    def _row(self) -> tuple:
        """Its fields but the evidence, in order: what its `authorships` row holds."""
        return (
            self.id,
            self.paper_id,
            self.name,
            self.family,
            self.given,
            self.block_key,
            self.is_organization,
            self.orcid,
            self.author_id,
        )

    def __reduce__(self) -> tuple:
        # Its fields as one tuple, the evidence only if it has some: resolution workers send
        # mentions back without (`without_evidence`), and the dataclass default (a list of
        # every field, each set in turn) is bigger and slower to send.
        evidence = (self.coauthors, self.profiles, self.title_words)
        return Mention, (self._row() + evidence if any(evidence) else self._row())

    @classmethod
    def of(
        cls,
        id: Hashable,
        paper_id: Hashable,
        family: str,
        given: str | None,
        *,
        is_organization: bool = False,
        orcid: str | None = None,
        coauthors: tuple[str, ...] = (),
        profiles: frozenset[str] = frozenset(),
        title_words: tuple[str, ...] = (),
    ) -> Mention:
        """A mention resolved in memory, not read from the database: no author yet, its
        display name and block key made from its name as the loader makes them."""
        return cls(
            id=id,
            paper_id=paper_id,
            name=display_name(family, given),
            family=family,
            given=given,
            block_key=block_key(family, given),
            is_organization=is_organization,
            orcid=orcid,
            author_id=None,
            coauthors=coauthors,
            profiles=profiles,
            title_words=title_words,
        )


@dataclass(frozen=True)
class Merge:
    """Two clusters joined, and why."""

    a_name: str
    b_name: str
    rule: str
    score: float
    evidence: str
    # A mention of the joined cluster, for the writer to find its author: two people of the
    # block may share a spelling. Whichever mention: the cluster is the same, so not compared.
    member: Hashable = field(default=None, compare=False)


@dataclass(frozen=True)
class Candidate:
    """Two clusters that may be one person but were kept apart, and why."""

    a_name: str
    b_name: str
    score: float
    reason: str
    # A mention of each of the two clusters (see `Merge.member`).
    a_member: Hashable = field(default=None, compare=False)
    b_member: Hashable = field(default=None, compare=False)


def _merge(x: _Group, y: _Group, rule: str, score: float, evidence: str) -> Merge:
    return Merge(x.label, y.label, rule, score, evidence, x.mentions[0].id)


def _candidate(x: _Group, y: _Group, score: float, reason: str) -> Candidate:
    return Candidate(x.label, y.label, score, reason, x.mentions[0].id, y.mentions[0].id)


@dataclass(frozen=True)
class Cluster:
    """One resolved person or organisation."""

    members: tuple[Hashable, ...]  # Mention ids, sorted
    family: str  # display spelling
    given: str | None
    name: str  # `Given Family`, the most informative spelling
    is_organization: bool
    spellings: tuple[tuple[str, int], ...]  # (`Given Family`, mentions), most frequent first
    orcids: tuple[str, ...] = ()  # the ORCIDs its mentions carry, sorted: one, or more only by a merge override


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

    mentions: list[Mention]
    names: set[_Name]
    papers: set[Hashable]
    # Co-authors and profiles start as the mention's own frozenset when there is one (most
    # spellings appear once) and become a set of their own on the first merge (`_grown`).
    coauthors: frozenset[str] | set[str]
    profiles: frozenset[str] | set[str]
    own_keys: set[str]  # coauthor keys of its own names, not evidence for itself
    orcids: frozenset[str]  # the ORCIDs of its mentions: at most one, unless a merge override joined two
    spellings: dict[tuple[str, str | None], int]  # (family, given) -> mentions
    best: tuple[str, str | None]  # its most informative spelling (`_informativeness`)
    is_org: bool  # its first mention's flag: a merge override may join a person and an organisation
    order: tuple  # content sort key
    # Its co-author keys as initials (`rigau g`), and those written as an initial only, for
    # `_evidence`: made when first needed, then grown with the group. In a block with
    # `_Block.by_initial`, only the second (`written`) is kept.
    initials: tuple[Set[str], Set[str]] | None = None
    written: Set[str] | None = None
    # The title words of its papers, for `_shared_title_words`: made when first needed (few
    # pairs ever need them), then grown with the group.
    titles: frozenset[str] | set[str] | None = None

    @classmethod
    def of(cls, mentions: list[Mention]) -> _Group:
        m = mentions[0]
        name = _name_of(m)
        spelling = (m.family, m.given)
        return cls(
            mentions=mentions,
            names={name},
            papers={x.paper_id for x in mentions},
            coauthors=_frozen_union([x.coauthors for x in mentions]),
            profiles=_frozen_union([x.profiles for x in mentions]),
            own_keys={coauthor_key(m.family, m.given)},
            orcids=frozenset(x.orcid for x in mentions if x.orcid) or NOTHING,
            spellings={spelling: len(mentions)},
            best=spelling,
            is_org=m.is_organization,
            order=(name, m.family, m.given or "", m.orcid or ""),
        )

    @property
    def label(self) -> str:
        """Its best spelling, for messages."""
        return display_name(*self.best)

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
        if self.titles is not None or other.titles is not None:  # grown like `initials`
            self.titles = _grown(self.title_words(), other.title_words())
        self.own_keys |= other.own_keys
        self.orcids |= other.orcids
        small, big = sorted((self.spellings, other.spellings), key=len)
        for spelling, n in small.items():
            big[spelling] = big.get(spelling, 0) + n
        self.spellings = big
        self.best = min(contenders, key=lambda s: _informativeness(s, self.spellings[s]))
        self.order = min(self.order, other.order)
        # Grown from both halves': a group absorbing many small ones must not recount its own
        # papers each time. Clusters merge after their evidence was compared, so both halves
        # have them; if not, they are made again when needed.
        if self.initials is not None and other.initials is not None:
            (mine, mine_only), (theirs, theirs_only) = self.initials, other.initials
            self.initials = _grown(mine, theirs), _grown(mine_only, theirs_only)
        else:
            self.initials = None
        self.written = None if self.written is None or other.written is None else _grown(self.written, other.written)

    def title_words(self) -> frozenset[str] | set[str]:
        """The title words of its papers."""
        if self.titles is None:
            self.titles = _frozen_union([m.title_words for m in self.mentions])
        return self.titles

    def coauthor_initials(self) -> tuple[Set[str], Set[str]]:
        """Its co-author keys as initials, and those that are initials already."""
        if self.initials is None:
            as_initials, only = zip(*map(_initial_keys, _paper_keys(self.mentions)))
            self.initials = _frozen_union(as_initials), _frozen_union(only)
        return self.initials

    def written_as_initials(self) -> Set[str]:
        """Its co-author keys that are initials already, without the others as initials."""
        if self.written is None:
            self.written = _frozen_union([_written_as_initials(keys) for keys in _paper_keys(self.mentions)])
        return self.written


def _paper_keys(mentions: Iterable[Mention]) -> Iterable[tuple[str, ...]]:
    """The co-author keys of the mentions' papers, each paper's once (its mentions share the tuple)."""
    return {id(m.coauthors): m.coauthors for m in mentions}.values()


@lru_cache(maxsize=1 << 16)
def _initial_keys(keys: tuple[str, ...]) -> tuple[frozenset[str], frozenset[str]]:
    """A paper's co-author keys as initials, and those that are initials already: computed once
    per paper, as every mention of a paper holds the same tuple."""
    as_initials = frozenset(intern(initial_key(key)) for key in keys)  # shared by every paper naming them
    return as_initials, as_initials.intersection(keys)


@lru_cache(maxsize=1 << 16)
def _written_as_initials(keys: tuple[str, ...]) -> frozenset[str]:
    """The second of `_initial_keys(keys)` without the first: the keys that are their own `initial_key`."""
    return frozenset(key for key in keys if initial_key(key) == key) or NOTHING


def _frozen_union(sets: Sequence[Collection[str]]) -> frozenset[str]:
    """The union; the only one itself when there is one and it is a frozenset (`frozenset` of
    a frozenset is no copy)."""
    return frozenset(sets[0]) if len(sets) == 1 else frozenset().union(*sets)


def _grown(a: set | frozenset, b: set | frozenset) -> set:
    """a | b, made by growing the larger in place (copied first if frozen): a group absorbing
    many small ones costs their size, not its own."""
    small, big = (a, b) if len(a) < len(b) else (b, a)
    big = set(big) if isinstance(big, frozenset) else big
    big.update(small)
    return big


def _name_of(m: Mention) -> _Name:
    key = (block_key(m.family, m.given), name_tokens(m.family, m.given))
    return _Name(key, m.is_organization, len(given_tokens(m.given)))


@lru_cache(maxsize=1 << 16)
def _names_compatibility(a: _Name, b: _Name) -> Compatibility | None:
    if a.is_org != b.is_org or a.key[0] != b.key[0]:  # other family names: `_cross_compatibility`
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
    _cross_names.cache_clear()
    _initial_keys.cache_clear()
    _written_as_initials.cache_clear()
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


def _evidence(x: _Group, y: _Group, block: _Block) -> tuple[Set[str], Set[str]]:
    """The co-authors (other than their own names) and the profiles x and y share.

    A co-author written as an initial on one side (`rigau g`) is shared with one whose
    first name has that initial on the other (`rigau german`): older papers give initials
    only, so exact keys alone would find no evidence for them.
    """
    shared = (x.coauthors & y.coauthors) - x.own_keys - y.own_keys
    if block.by_initial is None:
        (x_all, x_only), (y_all, y_only) = x.coauthor_initials(), y.coauthor_initials()
        by_initial = (x_only & y_all) | (y_only & x_all)
    else:
        by_initial = block.initials_met(x.written_as_initials(), y) | block.initials_met(y.written_as_initials(), x)
    if by_initial:  # not again for a co-author already shared, nor for their own names
        by_initial -= {initial_key(k) for k in (*shared, *x.own_keys, *y.own_keys)}
    return (shared | by_initial if by_initial else shared), x.profiles & y.profiles


def _shared_title_words(x: _Group, y: _Group, block: _Block) -> Set[str]:
    """The title words of both clusters' papers that few of the block's papers use."""
    shared = x.title_words() & y.title_words()
    return shared - block.common_words if shared else shared


def _evidence_text(coauthors: Set[str], profiles: Set[str], words: Set[str] = frozenset()) -> str:
    """A short text naming the shared co-authors and profiles, and title words when they
    counted (only needed when a pair is kept)."""
    parts = []
    titled = sorted(words) if len(words) >= TITLE_WORDS_MIN else []
    for label, items in (("co-authors", sorted(coauthors)), ("profiles", sorted(profiles)), ("title words", titled)):
        if items:
            more = f" (+{len(items) - EVIDENCE_SHOWN} more)" if len(items) > EVIDENCE_SHOWN else ""
            parts.append(f"shared {label}: {'; '.join(items[:EVIDENCE_SHOWN])}{more}")
    return "; ".join(parts) or "no shared co-author or profile"


def _other_orcids(x: _Group, y: _Group) -> bool:
    """Whether x and y carry different ORCIDs: two people, whatever their names say."""
    return bool(x.orcids) and bool(y.orcids) and x.orcids != y.orcids


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
                candidates.append(_candidate(first, other, 1.0, f"merge override not applied: {reason}"))
                continue
            merges.append(_merge(first, other, "override", 1.0, "merge override"))
            first.absorb(other)
            groups.remove(other)
    return groups


def _orcid_merges(
    groups: list[_Group], overrides: Overrides, merges: list[Merge], candidates: list[Candidate]
) -> list[_Group]:
    """Join the groups that carry one ORCID, in order, unless one paper holds both or a split forbids it."""
    holders: dict[str, list[_Group]] = defaultdict(list)
    for g in groups:
        for orcid in g.orcids:
            holders[orcid].append(g)
    absorbed_by: dict[int, _Group] = {}  # id of a group merged away -> the group that took it

    def current(g: _Group) -> _Group:
        while id(g) in absorbed_by:
            g = absorbed_by[id(g)]
        return g

    for orcid in sorted(holders):
        if len(holders[orcid]) < 2:
            continue
        first, *rest = sorted({id(h): h for h in map(current, holders[orcid])}.values(), key=lambda g: g.order)
        for other in rest:
            reason = _blocked(first, other, overrides.splits)
            if reason:
                candidates.append(_candidate(first, other, ORCID_SCORE, f"same ORCID {orcid}: {reason}"))
                continue
            merges.append(_merge(first, other, "orcid", ORCID_SCORE, f"same ORCID {orcid}"))
            first.absorb(other)
            absorbed_by[id(other)] = first
    return [g for g in groups if id(g) not in absorbed_by]


@dataclass(frozen=True)
class _Block:
    """Every name of the block, and the names each is compatible with."""

    names: frozenset[_Name]
    by_key: dict[str, frozenset[_Name]]  # the names of each family-name key (linked blocks hold several)
    partners: dict[_Name, set[_Name]]
    one_edit: set[tuple[EditText, EditText]]  # people's joined name tokens one edit apart, within a key
    mentions: tuple[list[Mention], ...]  # the block's mentions, in lists (groups share them as they merge)

    @cached_property
    def common_words(self) -> frozenset[str]:
        """The title words more of the block's papers use than TITLE_WORD_MAX_PAPERS (or
        TITLE_WORD_MAX_SHARE of them) allows: too common to be evidence. Counted when first needed."""
        titles = {m.paper_id: m.title_words for mentions in self.mentions for m in mentions}
        limit = max(TITLE_WORD_MAX_PAPERS, TITLE_WORD_MAX_SHARE * len(titles))
        uses = Counter(w for title in titles.values() for w in title)
        return frozenset(w for w, n in uses.items() if n > limit)

    @cached_property
    def by_initial(self) -> dict[str, set[str]] | None:
        """In a block of INITIAL_INDEX_MIN_MENTIONS mentions or more: each `initial_key` of the
        co-author keys of its papers, and the keys it is the initial of (itself among them
        when a paper has it). None in a smaller block, whose clusters keep their co-authors as
        initials (`_Group.coauthor_initials`)."""
        if sum(map(len, self.mentions)) < INITIAL_INDEX_MIN_MENTIONS:
            return None
        index: dict[str, set[str]] = defaultdict(set)
        for key in set().union(*_paper_keys(chain.from_iterable(self.mentions))):
            index[initial_key(key)].add(key)
        return index

    def initials_met(self, initials: Set[str], group: _Group) -> set[str]:
        """The co-author keys written as an initial (`initials`, another cluster's) that one of
        the group's co-authors is, by `by_initial`: `rigau g` of `rigau german`, or itself."""
        return {k for k in initials if not self.by_initial[k].isdisjoint(group.coauthors)}

    @classmethod
    def of(cls, groups: list[_Group]) -> _Block:
        names = {name for g in groups for name in g.names}
        by_key: dict[str, set[_Name]] = defaultdict(set)
        texts: dict[str, set[str]] = defaultdict(set)
        for name in names:
            by_key[name.key[0]].add(name)
            if found := _edit_text(name):
                texts[found[0]].add(found[1])
        one_edit = {key: {((key, a), (key, b)) for a, b in _one_edit_pairs(same)} for key, same in texts.items()}
        partners: dict[_Name, set[_Name]] = {name: set() for name in names}
        for key, same in by_key.items():  # names of different keys are never compatible here
            for a, b in _name_pairs(same, one_edit.get(key, ())):  # symmetric: a pair's order does not matter
                if _names_compatibility(a, b) is not None:
                    partners[a].add(b)
                    partners[b].add(a)
        return cls(
            frozenset(names),
            {key: frozenset(v) for key, v in by_key.items()},
            partners,
            set().union(*one_edit.values()),
            tuple(g.mentions for g in groups),
        )


EditText = tuple[str, str]  # (block key, joined name tokens)


def _edit_text(name: _Name) -> EditText | None:
    """A person's key and joined name tokens, if long enough to be compared one edit apart."""
    text = "".join(name.key[1])
    return (name.key[0], text) if not name.is_org and len(text) >= ONE_EDIT_MIN_LEN else None


def _name_pairs(names: Iterable[_Name], one_edit: set[tuple[EditText, EditText]]) -> list[tuple[_Name, _Name]]:
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
    by_text: dict[EditText, list[_Name]] = defaultdict(list)
    for tokens, same in people.items():
        for name in same:
            by_text[name.key[0], "".join(tokens)].append(name)
    for a_text, b_text in one_edit:
        if min(len(a_text[1]), len(b_text[1])) >= SPELLING_MIN_LEN:
            pairs += product(by_text[a_text], by_text[b_text])
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
    if rule in NAME_ONLY_RULES and _all_names_of_key(names, block):
        return 0
    return MIN_EVIDENCE[rule] + (SHARED_FAMILY_EXTRA if _has_rival(names, block) else 0)


def _needed_note(rule: str, names: set[_Name], block: _Block) -> str:
    """Why `_evidence_needed` asks what it asks, when the block changed it ("" if it did not)."""
    if rule not in MIN_EVIDENCE:
        return "never merged without an override"
    if rule in SAME_LETTER_RULES:
        return ""
    if rule in NAME_ONLY_RULES and _all_names_of_key(names, block):
        return "the only names in the block"
    if _has_rival(names, block):
        return f"needs {_evidence_needed(rule, names, block)}: {_display_key(min(_rivals(names, block)))} is another reading"
    return ""


def _all_names_of_key(names: set[_Name], block: _Block) -> bool:
    """Whether `names` are every name of their family-name key in the block."""
    return names == block.by_key.get(next(iter(names)).key[0])


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
        if compat is None or _other_orcids(x, y) or _blocked(x, y, overrides.splits):
            return
        names = x.names | y.names
        needed = _evidence_needed(compat.rule, names, block)
        if needed is None:
            return
        coauthors, profiles = _evidence(x, y, block)
        count = len(coauthors) + len(profiles)
        words: Set[str] = frozenset()
        if count + 1 == needed and compat.rule in TITLE_EVIDENCE_RULES:
            words = _shared_title_words(x, y, block)
            count += len(words) >= TITLE_WORDS_MIN
        if count >= needed:
            text = _evidence_text(coauthors, profiles, words)
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
        merges.append(_merge(first, second, compat.rule, compat.score, text))
        first.absorb(second)
        alive[next_id] = first
        links[next_id] = {k for k in links.pop(i) & links.pop(j) if k in alive}
        for k in links[next_id]:
            links[k].add(next_id)
            push(k, next_id)
        next_id += 1
    return alive, links


def _cross_merges(
    alive: dict[int, _Group], block: _Block, overrides: Overrides, merges: list[Merge], candidates: list[Candidate]
) -> None:
    """Join clusters of linked blocks (`block_links`) whose family names differ by a slip or a
    compound's part, when the evidence suffices and each is the other's only such match.

    Runs once, after every block of the group is clustered on its own: a pair is judged on
    clusters that do not depend on the order of anything, and a mutual only match leaves no
    choice to make, so the result does not either. Pairs left apart with some evidence
    become candidates.
    """
    ids = sorted(alive, key=lambda k: alive[k].order)
    admissible: dict[int, list[tuple[int, Compatibility, str]]] = defaultdict(list)
    for i, j in _cross_pairs(ids, alive):
        x, y = alive[i], alive[j]
        compat = None if _other_orcids(x, y) else _cross_compatibility(x, y)
        if compat is None:
            continue
        coauthors, profiles = _evidence(x, y, block)
        count = len(coauthors) + len(profiles)
        if count == 0:
            continue
        text = _evidence_text(coauthors, profiles)
        blocked = _blocked(x, y, overrides.splits)
        if blocked or count < _cross_needed(compat):
            reason = blocked or f"{compat.rule}: {text} (needs {_cross_needed(compat)})"
            candidates.append(_candidate(x, y, compat.score, reason))
            continue
        admissible[i].append((j, compat, text))
        admissible[j].append((i, compat, text))
    for i in ids:
        if len(admissible[i]) != 1:
            for j, compat, text in admissible[i]:
                if i < j or len(admissible[j]) == 1:  # each pair once
                    candidates.append(
                        _candidate(
                            alive[i],
                            alive[j],
                            compat.score,
                            f"{compat.rule}: {text} (another cluster matches as well)",
                        )
                    )
            continue
        j, compat, text = admissible[i][0]
        if i < j and len(admissible[j]) == 1:
            x, y = sorted((alive[i], alive[j]), key=lambda g: g.order)
            merges.append(_merge(x, y, compat.rule, compat.score, text))
            x.absorb(y)
            del alive[j if x is alive[i] else i]


def _cross_pairs(ids: list[int], alive: dict[int, _Group]) -> list[tuple[int, int]]:
    """Pairs (in `ids` order) of clusters holding names of different keys that may be one
    family name written two ways (`_family_relation`): a name whose key is another name's
    other part (`Gojenola` and `Gojenola Galletebeitia`), the same letters or the same
    letters with umlauts read, or long keys one edit apart;
    and the same first given name, or an initial and a first name it begins. Looser given
    names (nicknames, prefixes) are not looked for across blocks: compound family names
    make big groups of blocks (`García López`), and pairing every first name with every
    other of its initial there would grow with the square of the group."""
    rank = {k: r for r, k in enumerate(ids)}
    keys = {name.key[0] for i in ids for name in alive[i].names}
    slips: dict[str, list[tuple[str, str]]] = defaultdict(list)  # key -> a bucket per key one edit away
    for a, b in _one_edit_pairs(k for k in keys if len(k) >= block_links.SLIP_MIN_KEY_LEN):
        slips[a].append(("slip", f"{a} {b}"))
        slips[b].append(("slip", f"{a} {b}"))
    # bucket -> role -> key -> cluster ids; a role is (family side, given side), see `_PAIRED_ROLES`
    buckets: dict[tuple, dict[tuple[str, str], dict[str, set[int]]]] = defaultdict(
        lambda: defaultdict(lambda: defaultdict(set))
    )
    for i in ids:
        for name in alive[i].names:
            if name.is_org or not name.given_len:
                continue
            key, family, first = name.key[0], _family_of(name), name.key[1][0]
            sides = [(("part", key), "probe")] + [(("part", part), "holder") for part in family[:-1]]
            sides.append((("joined", umlaut_free("".join(family))), "any"))
            sides += [(bucket, "any") for bucket in slips.get(key, ())]
            givens = [(("first", first), "same"), (("initial", first[0]), "initial" if len(first) == 1 else "full")]
            for (family_bucket, family_side), (given_bucket, given_side) in product(sides, givens):
                buckets[family_bucket + given_bucket][family_side, given_side][key].add(i)
    pairs: set[tuple[int, int]] = set()
    for roles in buckets.values():
        for a_role, b_role in _PAIRED_ROLES:
            left, right = roles.get(a_role), roles.get(b_role)
            for a, b in product(left or (), right or ()):
                if a != b:
                    pairs.update((i, j) if rank[i] < rank[j] else (j, i) for i in left[a] for j in right[b] if i != j)
    return sorted(pairs, key=lambda p: (rank[p[0]], rank[p[1]]))


# The roles of two names `_cross_pairs` pairs in a bucket: a key with a compound holding it
# as another part, or any two; the same first name, or an initial with a first name.
_PAIRED_ROLES = [
    ((f1, g1), (f2, g2))
    for f1, f2 in (("probe", "holder"), ("any", "any"))
    for g1, g2 in (("same", "same"), ("initial", "full"))
]


def _family_of(name: _Name) -> tuple[str, ...]:
    """A name's family-name parts (without particles), its key last."""
    return (*name.key[1][name.given_len :], name.key[0])


def _cross_compatibility(x: _Group, y: _Group) -> Compatibility | None:
    """Like `_groups_compatibility`, where names of different keys must be one family name
    written two ways (`_family_relation`) with compatible given names."""
    weakest: Compatibility | None = None
    crossed = False
    for a in x.names:
        for b in y.names:
            if a.key[0] == b.key[0]:
                c = _names_compatibility(a, b)
            else:
                c, crossed = _cross_names(a, b), True
            if c is None:
                return None
            if weakest is None or c.score < weakest.score:
                weakest = c
    return weakest if crossed else None


@lru_cache(maxsize=1 << 16)
def _cross_names(a: _Name, b: _Name) -> Compatibility | None:
    """Two names of different keys as one person's: the family names related by
    `_family_relation`, the given names by `token_compatibility`."""
    if a.is_org or b.is_org or not a.given_len or not b.given_len:
        return None
    rule = _family_relation(_family_of(a), _family_of(b))
    given = rule and token_compatibility(a.key[1][: a.given_len], b.key[1][: b.given_len])
    if not given:
        return None
    if given.rule == "folded-equal":
        return Compatibility(rule, CROSS_SCORES[rule])
    return Compatibility(f"{rule}+{given.rule}", round(CROSS_SCORES[rule] * given.score, 4))


def _family_relation(a: tuple[str, ...], b: tuple[str, ...]) -> str | None:
    """`family-part` when one family name holds every part of the other and more
    (`Gojenola`/`Gojenola Galletebeitia`) or the same letters (`Juan Císcar`/`Juanciscar`);
    `family-slip` when one long part differs by one letter (`Bandyopadhyay`/`Bandopadhyay`)."""
    if set(a) < set(b) or set(b) < set(a) or "".join(a) == "".join(b):
        return "family-part"
    if len(a) == len(b) and all(map(lambda s, t: umlaut_free(s) == umlaut_free(t), a, b)):
        return "family-umlaut"
    differing = [(s, t) for s, t in zip(a, b) if s != t]
    if len(a) == len(b) and len(differing) == 1:
        s, t = differing[0]
        if min(len(s), len(t)) >= block_links.SLIP_MIN_KEY_LEN and Levenshtein.distance(s, t) == 1:
            return "family-slip"
    return None


def _cross_needed(compat: Compatibility) -> int:
    """Shared co-authors or profiles a cross-block pair needs: more when the given names differ too."""
    return CROSS_MIN_EVIDENCE + (0 if "+" not in compat.rule else CROSS_GIVEN_EXTRA)


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
        if _other_orcids(x, y):
            continue
        compat = _groups_compatibility(x, y)
        if compat is None and not (ids[q] in edits[ids[r]] and _one_edit_apart(x, y)):
            continue
        rule = compat.rule if compat else "one-edit"
        coauthors, profiles = _evidence(x, y, block)
        if len(coauthors) + len(profiles) < CANDIDATE_MIN_EVIDENCE.get(rule, 0):
            continue
        text = _evidence_text(coauthors, profiles)
        blocked = _blocked(x, y, overrides.splits)
        if compat:
            names = x.names | y.names
            needed, note = _evidence_needed(rule, names, block), _needed_note(rule, names, block)
            reason = blocked or f"{rule}: {text} ({note or f'needs {needed}'})"
            found.append(_candidate(x, y, compat.score, reason))
        else:
            reason = blocked or f"given names one letter apart; {text}"
            found.append(_candidate(x, y, ONE_EDIT_SCORE, reason))
    return found


def _one_edit_links(groups: dict[int, _Group], block: _Block) -> dict[int, set[int]]:
    """For each group id, the ids of the groups `_one_edit_apart` from it."""
    holders: dict[EditText, set[int]] = defaultdict(set)
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
                and a.key[0] == b.key[0]
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
        display = display_name(*spelling)
        counts[display] = counts.get(display, 0) + n
    return Cluster(
        members=_sorted_keys(m.id for m in group.mentions),
        family=group.best[0],
        given=group.best[1],
        name=group.label,
        is_organization=group.is_org,
        spellings=tuple(sorted(counts.items(), key=lambda item: (-item[1], item[0]))),
        orcids=tuple(sorted(group.orcids)),
    )


def resolve_block(mentions: Sequence[Mention], overrides: Overrides | None = None) -> BlockResult:
    """Cluster the mentions of one block into people, recording merges and candidates."""
    overrides = overrides or Overrides()
    by_spelling: dict[tuple, list[Mention]] = defaultdict(list)
    for m in mentions:
        by_spelling[(m.family, m.given, m.is_organization, m.orcid)].append(m)
    groups = sorted((_Group.of(ms) for ms in by_spelling.values()), key=lambda g: g.order)
    merges: list[Merge] = []
    candidates: list[Candidate] = []
    groups = _forced_merges(groups, overrides, merges, candidates)
    groups = _orcid_merges(groups, overrides, merges, candidates)
    block = _Block.of(groups)
    alive, links = _agglomerate(groups, block, overrides, merges)
    if len(block.by_key) > 1:
        _cross_merges(alive, block, overrides, merges, candidates)
    candidates += _candidates(alive, links, block, overrides)
    clusters = sorted(map(_cluster, alive.values()), key=lambda c: (fold(c.name), c.name, repr(c.members[0])))
    keys = sorted({overrides.block_alias(block_key(family, given)) for family, given, *_ in by_spelling})
    return BlockResult(key=keys[0] if keys else "", clusters=clusters, merges=merges, candidates=candidates)


def resolve_all(mentions: Iterable[Mention], overrides: Overrides | None = None) -> list[BlockResult]:
    """Resolve every block of an in-memory set of mentions, in block-key order."""
    mentions = list(mentions)
    overrides = with_links(overrides or Overrides(), spellings_of(mentions))
    blocks: dict[str, list[Mention]] = defaultdict(list)
    for m in mentions:
        blocks[overrides.block_alias(block_key(m.family, m.given))].append(m)
    return [resolve_block(blocks[key], overrides) for key in sorted(blocks)]


def with_links(overrides: Overrides, spellings: Iterable[block_links.Spelling]) -> Overrides:
    """The overrides with the blocks `block_links` links, for the spellings (block key,
    family name, given name, mentions) of the mentions with a given name, aliased as well:
    each group of linked blocks is resolved as one."""
    pairs = block_links.links(spellings, _one_edit_pairs)
    return replace(overrides, aliases=block_links.aliases(pairs, overrides.aliases))


def spellings_of(mentions: Iterable[Mention]) -> list[block_links.Spelling]:
    """(block key, family name, given name, mentions) of these mentions with a given name."""
    counts = Counter((block_key(m.family, m.given), m.family, m.given) for m in mentions if m.given)
    return [(*spelling, n) for spelling, n in counts.items()]

"""Linked blocks: family names that one block key cannot bring together.

Mentions are blocked by the last part of the folded family name, so a slip in a long
family name (`Bandyopadhyay`/`Bandopadhyay`) or a compound family name written whole or
in part (`Gojenola Galletebeitia`/`Gojenola`) lands in another block than its other
spellings. Such blocks are linked, and a group of linked blocks is resolved together:
each block is clustered on its own first, and only then are clusters of different blocks
compared (`resolve`'s cross-block pass), so a block's own clusters never depend on the
blocks linked to it.

Links are a function of the (block key, family name) pairs present, never of the order
they came in, so resolving every group again gives the same authors in any import order.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable

from app.text.names import COMPOUND_PART_MIN_LEN, compound_parts, given_tokens, umlaut_free

Spelling = tuple[str, str, str, int]  # (block key, family name, given name, mentions)
# Block keys -> the pairs of them one edit apart.
SlipPairs = Callable[[Iterable[str]], Iterable[tuple[str, str]]]

# Family-name keys at least this long are linked to keys one edit away (`Tootoonchian`/
# `Tootoochian`, `Srikaya`/`Sarikaya`); shorter ones (`Levin`/`Levy`) are too often different names.
SLIP_MIN_KEY_LEN = 7
# A compound's part links blocks unless it is far more often a first given name than a block
# key (`family_like`). 40: on the ACL development slice only given names written in the
# family field fall beyond it (`James Webster`: 290 against 2), while `Ben Hamadou`
# (76 against 2) and `Martín-Valdivia` (205 against 62) keep their links; at a million
# generated papers the biggest linked group then holds 263,930 mentions instead of 621,456
# (1 instead of 40: 254,315, and 16 true variant pairs lost on the ACL slice; with 40 it
# finds one more than without the rule).
FAMILY_PART_MAX_GIVEN_RATIO = 40


def links(spellings: Iterable[Spelling], slip_pairs: SlipPairs) -> set[tuple[str, str]]:
    """Pairs (a < b) of block keys to resolve together, from the spellings of the mentions
    with a given name: a compound family's other parts (`names.compound_parts`) that are
    family names of their own (`family_like`), keys equal once umlauts written out are read
    as umlauts (`mueller`/`muller`), and the pairs `slip_pairs` finds among the keys of at
    least SLIP_MIN_KEY_LEN letters (one edit apart). The spellings are read once, as they
    come: at a million papers they are a million rows."""
    families: set[tuple[str, str]] = set()
    family_uses, by_given = Counter(), Counter()
    for key, family, given, n in spellings:
        families.add((key, family))
        family_uses[key] += n
        by_given[given] += n
    keys = {key for key, _ in families}
    given_uses = Counter()
    for given, n in by_given.items():  # each given name tokenised once
        if first := given_tokens(given)[:1]:
            given_uses[first[0]] += n
    found = {tuple(sorted(pair)) for pair in slip_pairs(k for k in keys if len(k) >= SLIP_MIN_KEY_LEN)}
    by_umlaut: dict[str, list[str]] = defaultdict(list)
    for key in sorted(keys):
        by_umlaut[umlaut_free(key)].append(key)
    found |= {(same[0], other) for same in by_umlaut.values() for other in same[1:]}
    for key, family in families:
        if len(key) < COMPOUND_PART_MIN_LEN:  # an initial after the name (`Molly A`), not a compound
            continue
        for part in compound_parts(family):
            if part != key and part in keys and family_like(part, family_uses, given_uses):
                found.add((min(part, key), max(part, key)))
    return found


def family_like(part: str, family_uses: Counter, given_uses: Counter) -> bool:
    """Whether a compound's part may be a family name of its own: it is the first given name
    of at most FAMILY_PART_MAX_GIVEN_RATIO times as many mentions as carry it as their block
    key. A given name written in the family field (`Pedro Luis`, `Huu Cong`) would otherwise
    link `luis` to `pedro`, and through such names most blocks to one another: at a million
    generated papers one group of 585 blocks held 15.7% of all mentions (docs/benchmarks.md)."""
    return given_uses[part] <= FAMILY_PART_MAX_GIVEN_RATIO * family_uses[part]


def aliases(pairs: Iterable[tuple[str, str]], aliased: dict[str, str] | None = None) -> dict[str, str]:
    """Block key -> the smallest key of its group, for keys linked by `pairs` or by an
    existing alias map (`Overrides.aliases`); keys in no group are left out."""
    parent: dict[str, str] = {}

    def root(key: str) -> str:
        while parent.get(key, key) != key:
            parent[key] = parent.get(parent[key], parent[key])
            key = parent[key]
        return key

    for a, b in (*pairs, *(aliased or {}).items()):
        ra, rb = sorted((root(a), root(b)))
        if ra != rb:
            parent[rb] = ra
    return {key: root(key) for key in parent if root(key) != key}


def groups(alias_map: dict[str, str]) -> dict[str, set[str]]:
    """Alias -> every key of its group, the alias included."""
    found: dict[str, set[str]] = defaultdict(set)
    for key, alias in alias_map.items():
        found[alias] |= {key, alias}
    return dict(found)

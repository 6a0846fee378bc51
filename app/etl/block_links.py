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

from collections import defaultdict
from collections.abc import Iterable

from app.text.names import compound_parts, umlaut_free

# Family-name keys at least this long are linked to keys one edit away (`Tootoonchian`/
# `Tootoochian`, `Srikaya`/`Sarikaya`); shorter ones (`Levin`/`Levy`) are too often different names.
SLIP_MIN_KEY_LEN = 7


def links(families: Iterable[tuple[str, str]], slip_pairs: Iterable[tuple[str, str]]) -> set[tuple[str, str]]:
    """Pairs (a < b) of block keys to resolve together: from the (block key, family name)
    pairs of mentions with a given name, a compound family's other parts (`names.compound_parts`)
    that are block keys of their own, keys equal once
    umlauts written out are read as umlauts (`mueller`/`muller`), and `slip_pairs` (keys of
    at least SLIP_MIN_KEY_LEN letters one edit apart)."""
    families = set(families)
    keys = {key for key, _ in families}
    found = {tuple(sorted(pair)) for pair in slip_pairs}
    by_umlaut: dict[str, list[str]] = defaultdict(list)
    for key in sorted(keys):
        by_umlaut[umlaut_free(key)].append(key)
    found |= {(same[0], other) for same in by_umlaut.values() for other in same[1:]}
    for key, family in families:
        for part in compound_parts(family):
            if part != key and part in keys:
                found.add((min(part, key), max(part, key)))
    return found


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

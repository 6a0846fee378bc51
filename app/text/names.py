"""Author names: parse author lists, fold spellings, and compare given names.

Pure functions over plain values. Text arrives already repaired by `app.text.clean`.

Folding (`fold`) removes case, accents and punctuation differences so that `Łukasz`,
`Lukasz` and `LUKASZ` compare equal. Given names are compared as token tuples
(`given_tokens`): `Xin-Yu` and `Xinyu` are both `("xinyu",)`, `J. R.` is `("j", "r")`.
A person is compared by `name_tokens`: the given tokens followed by the family-name
parts before the block key (`Lopes, Rapha Gontijo` and `Gontijo-Lopes, Rapha` are both
`("rapha", "gontijo")` in block `lopes`).
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from functools import cache, lru_cache
from importlib import resources
from itertools import combinations, product

from nicknames import NickNamer

from app.text.records import Mention, NameRepair, ParsedAuthors


class NameParseError(ValueError):
    """An author list that cannot be split into (family, given) pairs."""


@dataclass(frozen=True)
class Compatibility:
    """Why two given names may belong to one person, and how strongly (0..1)."""

    rule: str
    score: float


# Rule scores order the merges (strongest first) and rank candidates. Chosen by hand
# to rank how rarely each rule joins two different people in the ACL sample: exact
# spellings first, the same letters regrouped next (`Xin Yu`/`Xinyu`; a part moved
# between family and given name, `Ratn Shah, Rajiv`/`Shah, Rajiv Ratn`), then an added
# or spelled-out middle initial (`Samuel`/`Samuel R.`), an added middle name
# (`Xiang`/`Xiang Lisa`), a nickname, a first initial, a person going by a later given
# name, a bare prefix last. A `compound` match scores the product of its two rules.
# `spelling` (given names one letter apart: `Philippe`/`Phillippe`, `Guenter`/`Günter`)
# is decided in `app.etl.resolve`, which finds such pairs by a deletion index.
RULE_SCORES = {
    "folded-equal": 1.0,
    "hyphen-space": 0.95,
    "re-split": 0.95,
    "middle-initial": 0.92,
    "middle-name": 0.9,
    "nickname": 0.85,
    "initial": 0.8,
    "second-name": 0.75,
    "prefix": 0.7,
    "spelling": 0.6,
}
# Shortest given name accepted as a truncated form (`Avi`/`Avirup`, `Nik`/`Nikolas`):
# two letters would let `Yu` match `Yuchen`.
PREFIX_MIN_LEN = 3

NULL_TOKENS = {"null", "none"}
STRAY_PHRASES = {"et al", "others", "and others"}
# Generational suffixes are not part of the family-name key (`Nyberg 3rd` is `nyberg`).
FAMILY_SUFFIXES = {"jr", "sr", "ii", "iii", "iv", "2nd", "3rd", "4th"}
# Family-name particles carry no identity: `Castro` and `de Castro` compare equal.
PARTICLES = {
    "al",
    "bin",
    "da",
    "das",
    "de",
    "del",
    "della",
    "der",
    "di",
    "do",
    "dos",
    "du",
    "el",
    "ibn",
    "la",
    "le",
    "st",
    "ten",
    "ter",
    "van",
    "von",
    "zu",
}
KNOWN_ORGS = {
    "ai2",
    "alibaba",
    "allen institute for ai",
    "amazon",
    "anthropic",
    "apple",
    "baidu",
    "bigscience",
    "cohere",
    "deepmind",
    "deepseek ai",
    "eleutherai",
    "facebook ai research",
    "google",
    "google brain",
    "google deepmind",
    "google research",
    "hugging face",
    "huggingface",
    "ibm",
    "laion",
    "meta",
    "meta ai",
    "microsoft",
    "microsoft research",
    "mistral ai",
    "nvidia",
    "openai",
    "stability ai",
    "tencent",
    "xai",
}
ORG_WORDS = {
    "academy",
    "ai",
    "association",
    "center",
    "centre",
    "collaboration",
    "college",
    "committee",
    "company",
    "consortium",
    "corp",
    "corporation",
    "council",
    "department",
    "foundation",
    "group",
    "inc",
    "initiative",
    "institute",
    "lab",
    "laboratories",
    "laboratory",
    "labs",
    "llc",
    "ltd",
    "network",
    "organisation",
    "organization",
    "project",
    "research",
    "school",
    "society",
    "team",
    "university",
    "workshop",
}
# Brand-style names such as `OpenAI`, `EleutherAI`, `StabilityAI`.
BRAND_AI = re.compile(r"^[A-Za-z]*[a-z]AI$")
ACRONYM = re.compile(r"^[A-Z]{3,}$")
# A given-less entry that could be half of a split person name: one word of letters.
NAME_WORD = re.compile(r"^[^\W\d_][^\W\d_'’-]*(?:[-'’][^\W\d_]+)*$")

# Names repeat a lot (a few authors write most papers): remember recent foldings.
NAME_CACHE = 1 << 18
SPECIAL_LETTERS = str.maketrans(
    {
        "ł": "l",
        "Ł": "L",
        "ø": "o",
        "Ø": "O",
        "ß": "ss",
        "đ": "d",
        "Đ": "D",
        "æ": "ae",
        "Æ": "AE",
        "œ": "oe",
        "Œ": "OE",
        "ı": "i",
        "þ": "th",
        "Þ": "Th",
        "ð": "d",
        "Ð": "D",
        "ħ": "h",
        "Ħ": "H",
    }
)
APOSTROPHES = re.compile(r"['’‘`´ʼʻ]")
HYPHENS = re.compile(r"\s*[-‐‑‒–—]\s*")
NOT_NAME_CHAR = re.compile(r"[^\w\s-]")


def folded_letters(text: str) -> str:
    """Case and accents folded, apostrophes dropped; hyphens, dots and other marks kept.

    Remembers nothing, for text that seldom repeats such as a title: the caches would fill
    with text never asked for again (about 0.9 KB a title, and a resolution worker folds the
    titles of every paper of its batch).
    """
    if text.isascii():  # most text: it decomposes to itself and has no accents to drop
        return APOSTROPHES.sub("", text.lower())
    # Fold case after NFKD too: `𝐒` decomposes to `S`, which only then has a case.
    text = unicodedata.normalize("NFKD", text.casefold()).casefold().translate(SPECIAL_LETTERS)
    return APOSTROPHES.sub("", "".join(c for c in text if not unicodedata.combining(c)))


_fold_letters = lru_cache(maxsize=NAME_CACHE)(folded_letters)


@lru_cache(maxsize=NAME_CACHE)
def fold(text: str) -> str:
    """Fold case, accents and punctuation: `Gontijo-Lopes` -> `gontijo lopes`, `O'Connell` -> `oconnell`."""
    return _words_of(_fold_letters(text))


def _words_of(letters: str) -> str:
    return " ".join(NOT_NAME_CHAR.sub(" ", HYPHENS.sub(" ", letters)).replace("_", " ").split())


@lru_cache(maxsize=NAME_CACHE)
def given_tokens(given: str | None) -> tuple[str, ...]:
    """Folded given-name tokens; hyphenated parts are joined unless they are initials (`J.-P.`)."""
    if not given:
        return ()
    text = HYPHENS.sub("-", _fold_letters(given).replace(".", " "))
    tokens: list[str] = []
    for word in NOT_NAME_CHAR.sub(" ", text).replace("_", " ").split():
        parts = [p for p in word.split("-") if p]
        if all(len(p) == 1 for p in parts):
            tokens.extend(parts)
        else:
            tokens.append("".join(parts))
    return tuple(tokens)


def _family_tokens(family: str) -> list[str]:
    tokens = fold(family).split()
    while len(tokens) > 1 and tokens[-1] in FAMILY_SUFFIXES:
        tokens.pop()
    return tokens


@lru_cache(maxsize=NAME_CACHE)
def block_key(family: str, given: str | None = None) -> str:
    """The blocking key: the last part of the folded family name (`Gontijo-Lopes` -> `lopes`)."""
    tokens = _family_tokens(family) or list(given_tokens(given))
    return tokens[-1] if tokens else ""


# Shorter parts of a family name are mostly a given name written in the family-name field
# (`Ji Hoon`, `Yu`): no part of a compound that short is a family name of its own.
COMPOUND_PART_MIN_LEN = 3


def compound_parts(family: str) -> tuple[str, ...]:
    """The parts of a compound family name that may be a family name of their own, the block key
    left out (`Gojenola Galletebeitia` -> `("gojenola",)`)."""
    return tuple(part for part in family_parts(family)[:-1] if len(part) >= COMPOUND_PART_MIN_LEN)


@lru_cache(maxsize=NAME_CACHE)
def family_parts(family: str) -> tuple[str, ...]:
    """Folded family-name parts without particles, the block key last (`Gojenola Galletebeitia`
    -> `("gojenola", "galletebeitia")`)."""
    tokens = _family_tokens(family)
    return tuple(t for t in tokens[:-1] if t not in PARTICLES) + tuple(tokens[-1:])


# German umlauts are written out as two letters (`Müller`/`Mueller`, `Schütze`/`Schuetze`),
# which folding (to `muller`) cannot see: `umlaut_free` folds the written-out forms too.
UMLAUT_DIGRAPHS = re.compile(r"([aou])e")


def umlaut_free(folded: str) -> str:
    """A folded family-name part with `ae`, `oe` and `ue` read as `a`, `o` and `u`."""
    return UMLAUT_DIGRAPHS.sub(r"\1", folded)


@lru_cache(maxsize=NAME_CACHE)
def name_tokens(family: str, given: str | None) -> tuple[str, ...]:
    """Tokens compared inside a block: given tokens, then family parts before the key (no particles)."""
    prefix = [t for t in _family_tokens(family)[:-1] if t not in PARTICLES]
    return given_tokens(given) + tuple(prefix)


def lookup_keys(family: str, given: str | None) -> tuple[str, str, str | None]:
    """What author lookup finds a spelling by (`author_names`): its own block key, its first
    name token ("" if none) and its later tokens joined by spaces (None if none)."""
    tokens = name_tokens(family, given)
    return block_key(family, given), tokens[0] if tokens else "", " ".join(tokens[1:]) or None


@lru_cache(maxsize=NAME_CACHE)
def coauthor_key(family: str, given: str | None) -> str:
    """A key for co-author overlap: block key plus the first given name (`achiam joshua`).

    The whole first name rather than its initial: `wang y` is shared by too many people
    to count as evidence that two mentions share a co-author.
    """
    return coauthor_key_in_block(block_key(family, given), given)


def coauthor_key_in_block(block: str, given: str | None) -> str:
    """`coauthor_key` from the block key a mention already has: a million papers hold more
    distinct names than the caches keep, but far fewer distinct given names."""
    tokens = given_tokens(given)
    return f"{block} {tokens[0]}" if tokens else block


def initial_key(key: str) -> str:
    """A coauthor key with its first name cut to the initial (`rigau german` -> `rigau g`)."""
    block, space, given = key.partition(" ")
    return f"{block} {given[0]}" if space else key


def clear_caches() -> None:
    """Empty the name caches. Blocks share few names: a worker resolving one batch of blocks
    after another would otherwise fill them with every block's (hundreds of MB at 1M papers)."""
    for cached in (
        _fold_letters,
        fold,
        given_tokens,
        block_key,
        family_parts,
        name_tokens,
        coauthor_key,
        token_compatibility,
    ):
        cached.cache_clear()


@cache
def nickname_table() -> dict[str, frozenset[str]]:
    """Name -> names it may stand for or be short for: the `nicknames` package plus `nicknames.csv`."""
    pairs = [(nick, name) for name, nicks in NickNamer().nickname_lookup.items() for nick in nicks]
    text = resources.files("app.text").joinpath("nicknames.csv").read_text(encoding="utf-8")
    rows = csv.DictReader(line for line in text.splitlines() if not line.startswith("#"))
    pairs += [(row["nickname"], row["canonical"]) for row in rows]
    table: dict[str, set[str]] = {}
    for a, b in pairs:
        a, b = fold(a), fold(b)
        if a and b and a != b:
            table.setdefault(a, set()).add(b)
            table.setdefault(b, set()).add(a)
    return {name: frozenset(related) for name, related in table.items()}


def _token_match(a: str, b: str) -> str | None:
    """How one given-name token matches another: equal, initial, nickname, prefix, or None."""
    if a == b:
        return "equal"
    short, long_ = sorted((a, b), key=len)
    if len(short) == 1:
        return "initial" if len(long_) > 1 and long_.startswith(short) else None
    if b in nickname_table().get(a, ()):
        return "nickname"
    if len(short) >= PREFIX_MIN_LEN and long_.startswith(short):
        return "prefix"
    return None


# What a token pair says about the whole name: in first position it decides the rule;
# later it is a middle name, whose initial may stand for the full name.
FIRST_TOKEN_RULE = {"equal": "folded-equal", "initial": "initial", "nickname": "nickname", "prefix": "prefix"}
LATER_TOKEN_RULE = {"equal": "folded-equal", "initial": "middle-initial", "nickname": "nickname", "prefix": "prefix"}


def _skipped(token: str) -> str:
    """The rule for a middle name present on one side only."""
    return "middle-initial" if len(token) == 1 else "middle-name"


def _align(short: tuple[str, ...], long_: tuple[str, ...]) -> list[str] | None:
    """Rules of an in-order match of every `short` token onto `long_`, first tokens paired; None if none."""
    first = _token_match(short[0], long_[0])
    rest = None if first is None else _align_later(short[1:], long_[1:])
    return None if rest is None else [FIRST_TOKEN_RULE[first], *rest]


def _align_later(short: tuple[str, ...], long_: tuple[str, ...]) -> list[str] | None:
    """Like `_align` for middle tokens: tokens of `long_` may be skipped (as extra middle names)."""
    if not short:
        return [_skipped(t) for t in long_]
    best: list[str] | None = None
    for j in range(len(long_) - len(short) + 1):
        match = _token_match(short[0], long_[j])
        rest = None if match is None else _align_later(short[1:], long_[j + 1 :])
        if rest is not None:
            found = [*map(_skipped, long_[:j]), LATER_TOKEN_RULE[match], *rest]
            if best is None or _weakest(found) > _weakest(best):
                best = found
    return best


def _weakest(rules: list[str]) -> float:
    return min((RULE_SCORES[r] for r in rules), default=1.0)


@lru_cache(maxsize=NAME_CACHE)
def token_compatibility(a: tuple[str, ...], b: tuple[str, ...]) -> Compatibility | None:
    """Compare two folded token tuples (see `given_compatibility`)."""
    if a == b:
        return Compatibility("folded-equal", RULE_SCORES["folded-equal"])
    if not a or not b:
        return None
    if "".join(a) == "".join(b) and min(map(len, a + b)) > 1:
        return Compatibility("hyphen-space", RULE_SCORES["hyphen-space"])
    short, long_ = sorted((a, b), key=len)
    rules = _align(short, long_)
    if rules is not None:
        first, rest = rules[0], min(rules[1:], key=RULE_SCORES.__getitem__, default="folded-equal")
        if first != "folded-equal" and len(short) < len(long_):
            # A different first name and a name the other lacks (`Amir`/`AmirAli Bagher`):
            # two loose readings at once, each fitting many people.
            return Compatibility("compound", round(RULE_SCORES[first] * RULE_SCORES[rest], 4))
        rule = min(rules, key=RULE_SCORES.__getitem__)
        return Compatibility(rule, RULE_SCORES[rule])
    # Going by a later given name: `Joy` for `Yunxin Joy`, `Tasnim` for `Muhammad Tasnim`.
    if len(short) == 1 and len(short[0]) > 1 and short[0] in long_[1:]:
        return Compatibility("second-name", RULE_SCORES["second-name"])
    return None


TokenPair = tuple[tuple[str, ...], tuple[str, ...]]


def compatible_candidates(names: Iterable[tuple[str, ...]]) -> set[TokenPair]:
    """Pairs (a < b) of distinct token tuples that `token_compatibility` may find compatible.

    Found by lookup, not by comparing all pairs, and a superset of the compatible pairs:
    every rule needs equal joined letters (`folded-equal`, `hyphen-space`), first tokens
    that `_token_match` pairs (`_align` always pairs the first tokens), or a one-token
    name equal to a later token of the other (`second-name`).
    """
    names = sorted(set(names))
    by_joined: dict[str, list[tuple[str, ...]]] = defaultdict(list)
    by_first: dict[str, list[tuple[str, ...]]] = defaultdict(list)
    by_later: dict[str, list[tuple[str, ...]]] = defaultdict(list)
    for name in names:
        by_joined["".join(name)].append(name)
        if name:
            by_first[name[0]].append(name)
        for token in set(name[1:]):
            by_later[token].append(name)
    # Buckets are sorted and first tokens t < u, so every pair comes out as (a < b).
    pairs = {pair for same in by_joined.values() for pair in combinations(same, 2)}
    for t, u in set(_token_match_candidates(by_first)):
        pairs.update(combinations(by_first[t], 2) if t == u else product(by_first[t], by_first[u]))
    for name in names:
        if len(name) == 1 and len(name[0]) > 1:
            pairs.update((name, other) if name < other else (other, name) for other in by_later.get(name[0], ()))
    return pairs


def _token_match_candidates(tokens: Collection[str]) -> Iterator[tuple[str, str]]:
    """Every pair (t <= u) of `tokens` that `_token_match` may match, equal ones included, by lookup."""
    by_letter: dict[str, list[str]] = defaultdict(list)
    for token in tokens:
        if len(token) > 1:
            by_letter[token[0]].append(token)
    nicknames = nickname_table()
    for token in tokens:
        yield token, token
        if len(token) == 1:  # only an initial can match a one-letter token
            yield from ((token, longer) for longer in by_letter.get(token, ()))
            continue
        # The table is symmetric: each nickname pair is found from both ends, kept from one.
        yield from ((token, other) for other in nicknames.get(token, ()) if token < other and other in tokens)
        yield from ((token[:k], token) for k in range(PREFIX_MIN_LEN, len(token)) if token[:k] in tokens)


def given_compatibility(g1: str | None, g2: str | None) -> Compatibility | None:
    """Whether two given names can name one person, by which rule (see `RULE_SCORES`); None if not."""
    return token_compatibility(given_tokens(g1), given_tokens(g2))


def _is_null(token: str) -> bool:
    return not token or token.casefold() in NULL_TOKENS


@lru_cache(maxsize=NAME_CACHE)
def _is_stray(token: str) -> bool:
    """Punctuation-only tokens (`:`), empty tokens and `et al.` are not authors."""
    return not any(c.isalnum() for c in token) or fold(token) in STRAY_PHRASES


@lru_cache(maxsize=NAME_CACHE)
def is_organization(family: str, given: str | None) -> bool:
    """Whether a given-less author is an organisation (`OpenAI`, `Gemini Team`)."""
    if given:
        return False
    folded = fold(family)
    return (
        folded in KNOWN_ORGS
        or bool(ORG_WORDS & set(folded.split()))
        or bool(BRAND_AI.match(family) or ACRONYM.match(family))
    )


def _clean(token: str) -> str:
    return " ".join(token.split())


def _mention(family: str, given: str | None, raw: str) -> Mention:
    return Mention(family=family, given=given, raw=raw, is_organization=is_organization(family, given))


def _could_be_half_name(m: Mention) -> bool:
    return m.given is None and not m.is_organization and bool(NAME_WORD.match(m.family))


def _join_split_names(mentions: list[Mention], repairs: list[NameRepair]) -> list[Mention]:
    """Join two consecutive given-less one-word entries into one person (`Shuaiqi`, `Xia`)."""
    joined: list[Mention] = []
    i = 0
    while i < len(mentions):
        m = mentions[i]
        if i + 1 < len(mentions) and _could_be_half_name(m) and _could_be_half_name(mentions[i + 1]):
            family = mentions[i + 1].family
            raw = f"{m.raw}, {mentions[i + 1].raw}"
            joined.append(Mention(family=family, given=m.family, raw=raw))
            repairs.append(NameRepair("joined-split-name", f"{raw!r} read as {m.family} {family}"))
            i += 2
        else:
            joined.append(m)
            i += 1
    return joined


def _drop_duplicates(mentions: list[Mention], repairs: list[NameRepair]) -> tuple[Mention, ...]:
    """Keep the first of identical (family, given) entries; different spellings stay."""
    seen: set[tuple[str, str | None]] = set()
    kept = []
    for m in mentions:
        if (m.family, m.given) in seen:
            repairs.append(NameRepair("duplicate-mention", f"dropped repeated {m.raw!r}"))
            continue
        seen.add((m.family, m.given))
        kept.append(m)
    return tuple(kept)


def _pair_mention(family: str, given: str | None, raw: str, repairs: list[NameRepair]) -> Mention | None:
    """One (family, given) pair as a Mention, or None (recorded) when it names nobody."""
    family, given = _clean(family or ""), _clean(given or "")
    if given and (_is_null(given) or _is_stray(given)):
        if not _is_null(given):
            repairs.append(NameRepair("stray-token", f"dropped given name {given!r} of {raw!r}"))
        given = ""
    if _is_null(family) or _is_stray(family):
        if not given:
            repairs.append(NameRepair("stray-token", f"dropped {raw!r}"))
            return None
        family, given = given, ""  # a mononym written in the given-name slot
    return _mention(family, given or None, raw)


def parse_flat_authors(line: str) -> ParsedAuthors:
    """Parse a profile dump's flat `Family1, Given1, Family2, Given2, ...` author list."""
    tokens = [_clean(t) for t in line.split(",")]
    if tokens == [""]:
        return ParsedAuthors(mentions=())
    repairs: list[NameRepair] = []
    mentions: list[Mention] = []
    i = 0
    while i < len(tokens):
        family = tokens[i]
        if _is_stray(family) and not (i + 1 < len(tokens) and _is_null(tokens[i + 1])):
            # A stray token not followed by its `null` partner stands alone: drop just it.
            repairs.append(NameRepair("stray-token", f"dropped {family!r} at token {i + 1}"))
            i += 1
            continue
        if i + 1 >= len(tokens):
            raise NameParseError(
                f"odd number of name parts: {family!r} (token {i + 1} of {len(tokens)}) has no given-name partner"
            )
        given = tokens[i + 1]
        mention = _pair_mention(family, given, f"{family}, {given}", repairs)
        if mention is not None:
            mentions.append(mention)
        i += 2
    mentions = _join_split_names(mentions, repairs)
    return ParsedAuthors(mentions=_drop_duplicates(mentions, repairs), repairs=tuple(repairs))


def parse_author_pairs(pairs: Iterable[tuple[str, str | None]], orcids: Sequence[str | None] = ()) -> ParsedAuthors:
    """Parse already-paired `(family, given)` authors; given may be None, "" or "null".
    `orcids`, parallel to `pairs`, are checked ORCIDs carried onto their mentions."""
    repairs: list[NameRepair] = []
    mentions: list[Mention] = []
    for i, pair in enumerate(pairs):
        family, given = pair
        raw = f"{family}, {given}" if given else family
        mention = _pair_mention(family, given, raw, repairs)
        if mention is not None:
            orcid = orcids[i] if i < len(orcids) else None
            mentions.append(replace(mention, orcid=orcid) if orcid else mention)
    return ParsedAuthors(mentions=_drop_duplicates(mentions, repairs), repairs=tuple(repairs))

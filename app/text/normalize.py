"""Clean and parse one raw record: repaired text, parsed authors, matching keys.

This is the clean → names step applied to a whole record. It is pure: a raw
`Record` in, a `CleanRecord` out, or `RecordError` when the record cannot be
loaded (the loader then keeps it in `rejects`).
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass, replace
from functools import lru_cache

from app.text.clean import repair_text, strip_markup
from app.text.names import (
    NAME_CACHE,
    NameParseError,
    parse_author_pairs,
    parse_flat_authors,
)
from app.text.records import Mention, NameRepair, Record

DOI_PREFIX = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*)", re.IGNORECASE)
ARXIV_PREFIX = re.compile(r"^(?:https?://arxiv\.org/abs/|arxiv:\s*)", re.IGNORECASE)
ARXIV_VERSION = re.compile(r"v\d+$")
# An ORCID, bare or as its URL: four groups of four, the last character a digit or X.
ORCID = re.compile(
    r"^(?:(?:https?://)?(?:www\.)?orcid\.org/)?(\d{4})-?(\d{4})-?(\d{4})-?(\d{3}[\dX])/?$", re.IGNORECASE
)
NOT_WORD = re.compile(r"[\W_]+")
ALNUM = re.compile(r"[^\W_]")  # the characters `str.isalnum` accepts
APOSTROPHES = re.compile("['\u2019\u02bc]")  # `Let's` and `Lets` are one spelling
# Words hashed at each end of an abstract for near-duplicate blocking: long enough to be
# specific to one abstract, short enough that a late typo or a cut-off end spares one end.
BLOCK_WORDS = 12


class RecordError(ValueError):
    """The record cannot be loaded; the message says why."""


@dataclass(frozen=True, slots=True)
class CleanRecord:
    """A record ready to load: repaired text, parsed mentions, identity keys."""

    file: str
    line: int  # the raw text stays in the dump: only rejects keep theirs
    title: str | None
    abstract: str | None
    mentions: tuple[Mention, ...]
    repairs: tuple[NameRepair, ...]
    year: int | None
    venue: str | None
    url: str | None
    ids: tuple[tuple[str, str], ...]  # (scheme, value), e.g. ("doi", "10.1/x")
    profile_owner: str | None
    authors_truncated: bool = False  # the source listed only the first authors (`and others`)
    # Derived once here (in the parse worker), not at every use in the loader:
    title_key: str | None = None  # the folded title, to match papers across files
    abstract_keys: tuple[str, str, str] | None = None  # see `abstract_keys`
    # The record's JSON as `paper_sources` keeps it (`stored_record`), made here rather than
    # in the loader, whose process is the busier one.
    stored: str = ""
    record_hash: str = ""  # equal records from different files hash equal

    def content(self) -> dict:
        """The record's content as plain JSON-able values (no file or line)."""
        return {
            "title": self.title,
            "abstract": self.abstract,
            # An ORCID only when known, so records without one keep their hashes.
            "authors": [
                [m.family, m.given, m.raw, m.is_organization, *([m.orcid] if m.orcid else [])] for m in self.mentions
            ],
            "year": self.year,
            "venue": self.venue,
            "url": self.url,
            "ids": [list(i) for i in self.ids],
            "profile_owner": self.profile_owner,
            # Only when set, so records of sources that never truncate keep their hashes.
            **({"authors_truncated": True} if self.authors_truncated else {}),
        }

    def with_keys(self) -> CleanRecord:
        """The record with its derived keys, JSON and hash filled in."""
        content = self.content()
        text = json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        keys = abstract_keys(self.abstract) if self.abstract else None
        return replace(
            self,
            title_key=text_key(self.title) if self.title else None,
            abstract_keys=keys,
            stored=stored_record(content, keys[0]) if keys else text,
            record_hash=hashlib.sha1(text.encode("utf-8")).hexdigest(),
        )


class _FoldChars(dict):
    """A `str.translate` table that folds a character of decomposed, case-folded text.

    Combining marks and apostrophes go, other non-word characters and `_` become spaces
    (`NOT_WORD`), the rest stay; filled in as characters are met.
    """

    def __missing__(self, code: int) -> int | str | None:
        char = chr(code)
        if unicodedata.combining(char) or APOSTROPHES.match(char):
            self[code] = None
        else:
            self[code] = " " if NOT_WORD.match(char) else code
        return self[code]


FOLD_CHARS = _FoldChars()
NON_ASCII = re.compile("[^\x00-\x7f]+")
SPACES = re.compile("  +")


def fold_text(text: str) -> str:
    """Case, accents, punctuation and whitespace folded: `Let's Verify!` → `lets verify`."""
    text = text.casefold()
    if not text.isascii():  # most text is ASCII: skip the accent strip
        # ASCII characters decompose to themselves and stop reordering of combining marks,
        # so the runs between them decompose alone; they repeat (`é`, `’`), so are cached.
        text = NON_ASCII.sub(_fold_run, text)
    # FOLD_CHARS turns every space into " ": collapse the runs, as `" ".join(split())` would.
    return SPACES.sub(" ", text.translate(FOLD_CHARS)).strip()


@lru_cache(maxsize=4096)
def _fold_accents(run: str) -> str:
    # Fold case again once decomposed: `𝐀` decomposes to `A`, which has a case only then
    # (without this a folded title would fold to something else a second time).
    return unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", run).casefold()).translate(FOLD_CHARS)


def _fold_run(match: re.Match) -> str:
    return _fold_accents(match.group())


def text_key(text: str) -> str:
    """The folded form of a title, used for equality matching."""
    return fold_text(text)


def _short_hash(text: str) -> str:
    # 80 bits: collisions are negligible at a million abstracts and the index stays small.
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:20]


def abstract_keys(text: str) -> tuple[str, str, str]:
    """Hashes of the folded abstract, of its first words and of its last words.

    The first is for equality matching. Two versions of one abstract that differ by a
    typo or a cut-off end still share the second or the third, so fuzzy comparison only
    looks at a handful of candidates.
    """
    folded = fold_text(text)  # words joined by single spaces: split off just the ends
    head = " ".join(folded.split(" ", BLOCK_WORDS)[:BLOCK_WORDS])
    tail = " ".join(folded.rsplit(" ", BLOCK_WORDS)[-BLOCK_WORDS:])
    return _short_hash(folded), _short_hash(head), _short_hash(tail)


def stored_record(content: dict, abstract_key: str) -> str:
    """The JSON `paper_sources` keeps of a record with an abstract: the abstract named by its
    key (its paper's `abstracts` row holds the text), not written again."""
    # The key last, where SQLite's json_set puts it (`load_papers._name_abstracts`, migration 0017).
    named = {**dict(sorted(content.items())), "abstract": None, "abstract_key": abstract_key}
    return json.dumps(named, ensure_ascii=False, separators=(",", ":"))


def normalize_ids(record: Record) -> tuple[tuple[str, str], ...]:
    """External identifiers in canonical form: DOIs lower-cased, arXiv ids unversioned."""
    stated = [("doi", record.doi), ("arxiv", record.arxiv_id), ("source", record.source_id), *record.ids]
    return tuple((scheme, canonical_id(scheme, value)) for scheme, value in stated if value and value.strip())


def canonical_id(scheme: str, value: str) -> str:
    """An identifier as stored: a DOI lower-cased without its resolver, an arXiv id without its version."""
    value = value.strip()
    if scheme == "doi":
        return DOI_PREFIX.sub("", value).lower()
    if scheme == "arxiv":
        return ARXIV_VERSION.sub("", ARXIV_PREFIX.sub("", value))
    return value


def canonical_orcid(value: str | None) -> str | None:
    """An ORCID in its bare form (`0000-0002-1825-0097`: no `https://orcid.org/`, upper-case X), or
    None when `value` is not one: wrong shape or a check digit that fails ISO 7064 MOD 11-2."""
    found = ORCID.match(value.strip()) if value else None
    if not found:
        return None
    digits = "".join(found.groups()).upper()
    total = 0
    for d in digits[:-1]:
        total = (total + int(d)) * 2
    check = (12 - total % 11) % 11
    if digits[-1] != ("X" if check == 10 else str(check)):
        return None
    return "-".join(digits[i : i + 4] for i in range(0, 16, 4))


def _orcids(record: Record, repairs: list[NameRepair]) -> list[str | None]:
    """The record's ORCIDs, bare; one that is not a valid ORCID is dropped and noted."""
    orcids = []
    for value in record.author_orcids:
        orcid = canonical_orcid(value)
        if value and value.strip() and orcid is None:
            repairs.append(NameRepair("invalid-orcid", f"dropped ORCID {value.strip()!r}: not a valid ORCID"))
        orcids.append(orcid)
    return orcids


def _blank(repaired: str) -> bool:
    """`is_blank` for text already repaired, which need not be repaired again."""
    return ALNUM.search(repaired) is None


def _repair_field(text: str | None) -> str | None:
    if text is None:
        return None
    text = repair_text(text)
    return None if _blank(text) else text


def _repair_prose(text: str | None) -> str | None:
    """A title, abstract or venue: markup stripped (see `strip_markup`), then repaired."""
    return None if text is None else _repair_field(strip_markup(text))


def _repair_mention(m: Mention) -> Mention:
    family, given = _repair_name(m.family, m.given)
    if family == m.family and given == m.given:
        return m  # most names need no repair
    return replace(m, family=family, given=given)


@lru_cache(maxsize=NAME_CACHE)  # authors recur across papers
def _repair_name(family: str, given: str | None) -> tuple[str, str | None]:
    # Repair family and given together: a part made only of damaged letters
    # (`ลฤ`) is recognisable as mojibake only next to the rest of the name.
    if not given:
        return repair_text(family), None
    repaired, sep, repaired_given = repair_text(f"{family}, {given}").partition(", ")
    if not sep:
        repaired, repaired_given = repair_text(family), repair_text(given)
    return repaired, repaired_given or None


def _mentions(record: Record) -> tuple[tuple[Mention, ...], tuple[NameRepair, ...]]:
    orcid_repairs: list[NameRepair] = []
    try:
        if record.authors_flat is not None:
            parsed = parse_flat_authors(record.authors_flat)
        elif record.author_pairs:
            parsed = parse_author_pairs(record.author_pairs, _orcids(record, orcid_repairs))
        else:
            return (), ()
    except NameParseError as e:
        raise RecordError(f"author list cannot be parsed: {e}") from None
    repaired, seen, repairs = [], set(), [*orcid_repairs, *parsed.repairs]
    for m in map(_repair_mention, _mark_organizations(parsed.mentions, record.organizations)):
        if _blank(m.family):
            repairs.append(NameRepair("stray-token", f"dropped {m.raw!r}: nothing left after repair"))
            continue
        key = (m.family, m.given)
        if key in seen:
            # Two raw spellings that repair to one string are one mention listed twice.
            repairs.append(NameRepair("duplicate-mention", f"dropped {m.raw!r}: same as an earlier mention"))
            continue
        seen.add(key)
        repaired.append(m)
    return tuple(repaired), tuple(repairs)


def _mark_organizations(mentions: tuple[Mention, ...], organizations: frozenset[str]) -> tuple[Mention, ...]:
    """Mentions the source itself marks as organisations (`{{OpenAI}}`, PubMed's CollectiveName)
    are organisations whatever their name."""
    if not organizations:
        return mentions
    return tuple(
        replace(m, is_organization=True) if m.given is None and m.family in organizations else m for m in mentions
    )


def normalize_record(record: Record) -> CleanRecord:
    """Repair and parse a raw record; raise RecordError if it cannot be loaded."""
    title = _repair_prose(record.title)
    abstract = _repair_prose(record.abstract)
    mentions, repairs = _mentions(record)
    if title is None and record.title is not None and (mentions or record.authors_flat is not None):
        raise RecordError("title is empty")
    if title is None and abstract is None:
        raise RecordError("record has neither a title nor an abstract")
    if title is None and mentions:
        raise RecordError("record has authors but no title")
    return CleanRecord(
        file=record.file,
        line=record.line,
        title=title,
        abstract=abstract,
        mentions=mentions,
        repairs=repairs,
        year=record.year,
        venue=_repair_prose(record.venue),
        url=record.url.strip() if record.url and record.url.strip() else None,
        ids=normalize_ids(record),
        profile_owner=_repair_field(record.profile_owner),
        authors_truncated=record.authors_truncated,
    ).with_keys()

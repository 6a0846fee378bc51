"""Properties of the parsers, text repair and name folding, on input hypothesis generates.

The parsers fail only in their own way (`FileRejected`, `NameParseError`, `RecordError`)
and lose nothing; repair and folding never raise and are stable when applied twice; a
profile dump written from records parses back to them, and one unreadable line in it
costs only its own record; clean text in any script comes out of repair as it went in.
"""

from __future__ import annotations

import codecs
import json
import unicodedata

from hypothesis import example, given, settings
from hypothesis import strategies as st

from app.etl.extract import FileRejected, extract
from app.text.clean import repair_text, strip_markup
from app.text.names import NULL_TOKENS, STRAY_PHRASES, NameParseError, block_key, fold, parse_flat_authors
from app.text.normalize import RecordError, fold_text, normalize_record
from app.text.records import Record, Reject

PROPERTY = settings(max_examples=200, deadline=None)

# Pieces the parsers react to, to reach their rare branches with few examples.
TRIGGERS = [
    "Abstract:", "abstract :", "{", "}", "[", "]", '"title": ', '"authors": ', '"year": ', ":", ",", ", ",
    "null", "None", " ", "\t", "\r", "\x00", "\x1b", "\\", "\\u0000", "\\ud800", "1e400", "true", '"', "é",
    "Ã©", "ร", "ฉ", "ล", "王", "\u200b", "\ufeff", "\u202e", "<i>", "&amp;", "Smith", "Jane", "\\'e", "\\%",
]  # fmt: skip
DIRTY_LINE = st.lists(st.sampled_from(TRIGGERS) | st.text(max_size=4), max_size=10).map("".join)
DIRTY_TEXT = st.lists(DIRTY_LINE, min_size=1, max_size=12).map("\n".join)


def encode(text: str, encoding: str) -> bytes:
    """Text as a dump file in one of the encodings people send (or a wrong one)."""
    if encoding == "crlf":
        return text.replace("\n", "\r\n").encode("utf-8")
    if encoding == "utf-16-be":
        return codecs.BOM_UTF16_BE + text.encode("utf-16-be")
    return text.encode(encoding, "replace")


ENCODINGS = st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-16-be", "crlf", "latin-1"])


def items_of(data: bytes) -> tuple[str, list] | None:
    """The format and every item `extract` yields, or None when it rejects the whole file."""
    try:
        fmt, items = extract("dump.txt", data)
        return fmt, list(items)
    except FileRejected:
        return None


# Parsers fail only in their own way.


@PROPERTY
@given(st.binary(max_size=2000))
def test_extract_on_any_bytes_only_rejects(data):
    items_of(data)


@PROPERTY
@given(DIRTY_TEXT, ENCODINGS)
def test_extract_on_dirty_text_only_rejects(text, encoding):
    items_of(encode(text, encoding))


JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=12)
    | st.sampled_from(["\ud800", "x\udc00y", "Smith, Jane", "null"])
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=8,
)
JSON_AUTHOR = (
    JSON_SCALARS
    | st.lists(JSON_SCALARS, max_size=3)
    | st.fixed_dictionaries({}, optional={"family": JSON_SCALARS, "given": JSON_SCALARS})
)
JSON_YEAR = JSON_VALUES | st.sampled_from([2021, "2020", " 1999 ", 1e400, -1e400, float("nan"), 10**30, 0, True, "x"])
JSON_RECORDS = st.fixed_dictionaries(
    {},
    optional={
        **{key: JSON_SCALARS for key in ["title", "abstract", "venue", "doi", "arxiv_id", "url", "source_id"]},
        "year": JSON_YEAR,
        "authors": st.lists(JSON_AUTHOR, max_size=4) | JSON_VALUES,
        "authors_parsed": st.lists(JSON_AUTHOR, max_size=4),
        "other": JSON_VALUES,
    },
)
JSON_LINE = JSON_RECORDS.map(json.dumps) | DIRTY_LINE.map(lambda line: "{" + line)


@PROPERTY
@given(st.lists(JSON_LINE, min_size=1, max_size=8))
@example(["{\x00", "{"])  # one NUL in four bytes once read the file as UTF-16, its LF inside a character
def test_json_lines_lose_nothing_and_clean_only_with_record_errors(lines):
    # Every line starts with `{`: unless it is binary, the file is read as JSON Lines.
    data = "\n".join(lines).encode("utf-8")
    result = items_of(data)
    if result is None:
        return  # rejected whole (binary): the loader keeps the file's start in `rejects`
    fmt, items = result
    assert fmt == "jsonl"
    assert sorted(item.line for item in items) == text_line_numbers(data)
    for item in items:
        if isinstance(item, Record):
            clean_or_record_error(item)


def text_line_numbers(data: bytes) -> list[int]:
    """Numbers of the lines that are not blank: each must come out once, as a record or a reject.

    Lines end at LF, or at CR in a file without any LF (old Mac line ends).
    """
    text = data.decode("utf-8")
    end = "\r" if "\r" in text and "\n" not in text else "\n"
    return [n for n, line in enumerate(text.split(end), 1) if line.strip()]


def clean_or_record_error(record: Record) -> None:
    """Clean a record; it may be refused only with RecordError, and what it gives must be storable."""
    try:
        clean = normalize_record(record)
    except RecordError:
        return
    for text in (clean.stored, clean.abstract or ""):  # a lone surrogate would fail when written to SQLite
        text.encode("utf-8")
    keys = (clean.record_hash, clean.title_key, *(clean.abstract_keys or ()))
    assert all(key is None or isinstance(key, str) for key in keys)


@PROPERTY
@given(st.lists(DIRTY_LINE, min_size=1, max_size=10))
def test_abstracts_dumps_lose_nothing(lines):
    # Three good lines first: unless it is binary, the file is read as an abstracts dump.
    data = "\n".join(["Abstract:One.", "Abstract:Two.", "Abstract:Three.", *lines]).encode("utf-8")
    result = items_of(data)
    if result is None:
        return  # rejected whole (binary): the loader keeps the file's start in `rejects`
    fmt, items = result
    assert fmt == "abstracts"
    assert sorted(item.line for item in items) == text_line_numbers(data)


@PROPERTY
@given(st.lists(DIRTY_LINE, min_size=2, max_size=13), ENCODINGS)
def test_profile_records_clean_only_with_record_errors(lines, encoding):
    result = items_of(encode("\n".join(["Smith, Jane", *lines]), encoding))
    for item in result[1] if result else []:
        assert isinstance(item, (Record, Reject))
        if isinstance(item, Record):
            clean_or_record_error(item)


AUTHOR_LINE = (
    st.lists(
        st.sampled_from(["null", "Smith", "Jane", ":", " ", "et al", "", "O'Brien", "王"]) | st.text(max_size=6),
        max_size=12,
    ).map(", ".join)
    | st.text()
)


@PROPERTY
@given(AUTHOR_LINE)
def test_parse_flat_authors_fails_only_with_name_parse_error(line):
    try:
        parsed = parse_flat_authors(line)
    except NameParseError:
        return
    assert all(m.family for m in parsed.mentions)


OPTIONAL_TEXT = st.none() | st.text() | DIRTY_LINE
RECORDS = st.builds(
    Record,
    file=st.just("dump.txt"),
    line=st.integers(1, 10**6),
    raw=st.text(max_size=20),
    title=OPTIONAL_TEXT,
    abstract=OPTIONAL_TEXT,
    authors_flat=st.none() | AUTHOR_LINE,
    author_pairs=st.none() | st.lists(st.tuples(st.text(), st.none() | st.text()), max_size=5).map(tuple),
    year=st.none() | st.integers(1000, 2999),
    venue=OPTIONAL_TEXT,
    doi=OPTIONAL_TEXT,
    arxiv_id=OPTIONAL_TEXT,
    url=OPTIONAL_TEXT,
    source_id=OPTIONAL_TEXT,
    profile_owner=OPTIONAL_TEXT,
)


@PROPERTY
@given(RECORDS)
def test_normalize_record_fails_only_with_record_error(record):
    clean_or_record_error(record)


# Repair and folding: never raise, stable when applied twice.

ANY_TEXT = st.text() | DIRTY_LINE


@PROPERTY
@given(ANY_TEXT)
def test_repair_text_is_idempotent(text):
    once = repair_text(text)
    assert repair_text(once) == once


@PROPERTY
@given(ANY_TEXT)
@example("𝐀ttention 𝐈s 𝐀ll")  # mathematical letters decompose to capitals: fold case after decomposing
@example("ℌilbert ㎁")
def test_fold_text_is_idempotent(text):
    once = fold_text(text)
    assert fold_text(once) == once


@PROPERTY
@given(ANY_TEXT)
@example("Ꭰ")  # Unicode case folding keeps Cherokee in capitals (`ꭰ` folds to `Ꭰ`)
def test_name_folding_never_raises_and_keys_are_one_word(text):
    folded = fold(text)  # case folded, no hyphens, single spaces, and folding it again changes nothing
    assert fold(folded) == folded and folded == " ".join(folded.split())
    assert "-" not in folded and folded.casefold() == folded
    key = block_key(text, text)
    assert key == "" or len(key.split()) == 1


@PROPERTY
@given(ANY_TEXT)
@example("𝐒𝐦𝐢𝐭𝐡")
def test_fold_and_block_key_are_idempotent(text):
    assert fold(fold(text)) == fold(text)
    assert block_key(block_key(text)) == block_key(text)


@PROPERTY
@given(st.text())
def test_strip_markup_never_raises_and_leaves_plain_text_alone(text):
    stripped = strip_markup(text)
    if not any(c in text for c in "<&\\"):
        assert stripped == text


WORD = st.text(st.characters(categories=["L", "Nd"]), min_size=1, max_size=8)
TAGS = st.sampled_from(
    [
        "<i>{}</i>",
        "<sup>{}</sup>",
        "<jats:italic>{}</jats:italic>",
        '<span class="x">{}</span>',
        "\\emph{{{}}}",
        "\\textbf{{{}}}",
        "<mml:mi>{}</mml:mi>",
        "{}",
    ]
)


@PROPERTY
@given(st.lists(st.tuples(WORD, TAGS), min_size=1, max_size=8))
def test_strip_markup_keeps_every_word(tagged):
    text = " ".join(tag.format(word) for word, tag in tagged)
    assert strip_markup(text) == " ".join(word for word, _ in tagged)


# A profile dump written from records parses back to them.

SCRIPTS = {
    "latin": st.characters(min_codepoint=ord("a"), max_codepoint=ord("z")),
    "polish": st.sampled_from("aąbcćdeęfghijklłmnńoóprsśtuwyzźżĄĆĘŁŃÓŚŹŻ"),
    "vietnamese": st.sampled_from(
        "aăâbdđeêghiklmnoôơpqrstuưvxyàảãáạằẳẵắặầẩẫấậèẻẽéẹềểễếệìỉĩíịòỏõóọồổỗốộờởỡớợùủũúụừửữứựỳỷỹýỵĐƯƠ"
    ),
    "thai": st.characters(min_codepoint=0x0E01, max_codepoint=0x0E3A),
    "han": st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF),
    "kana": st.characters(min_codepoint=0x3041, max_codepoint=0x30FA),
    "hangul": st.characters(min_codepoint=0xAC00, max_codepoint=0xD7A3),
    "arabic": st.characters(min_codepoint=0x0621, max_codepoint=0x064A),
    "hebrew": st.characters(min_codepoint=0x05D0, max_codepoint=0x05EA),
    "cyrillic": st.characters(min_codepoint=0x0410, max_codepoint=0x044F),
}
SCRIPT_WORD = st.one_of([st.text(alphabet, min_size=1, max_size=6) for alphabet in SCRIPTS.values()])
NAME_PART = (
    st.lists(SCRIPT_WORD, min_size=1, max_size=2)
    .map(" ".join)
    .filter(
        lambda name: (
            any(c.isalnum() for c in name)  # Thai vowel marks alone are not a name
            and name.casefold() not in NULL_TOKENS
            and fold(name) not in STRAY_PHRASES
        )
    )
)
AUTHOR = st.tuples(NAME_PART, st.none() | NAME_PART)
PROSE = st.lists(SCRIPT_WORD | st.sampled_from(["-", "?", "(1)", "2024", "!"]), min_size=1, max_size=6).map(" ".join)


def no_adjacent_given_less(authors: list[tuple[str, str | None]]) -> bool:
    # Two given-less names in a row are read as one split name (`Shuaiqi, null, Xia, null`).
    return not any(a[1] is None and b[1] is None for a, b in zip(authors, authors[1:]))


PAPERS = st.lists(
    st.tuples(
        PROSE,
        st.lists(AUTHOR, min_size=1, max_size=4, unique=True).filter(no_adjacent_given_less),
        PROSE,
    ),
    min_size=1,
    max_size=3,
)


def write_profile(owner: tuple[str, str], papers) -> str:
    """A profile dump: owner line, then title / `Family, Given, ...` (`null` for no given) / abstract."""
    lines = [f"{owner[0]}, {owner[1]}"]
    for title, authors, abstract in papers:
        lines += [title, ", ".join(f"{family}, {given or 'null'}" for family, given in authors), abstract]
    return "\n".join(lines) + "\n"


@PROPERTY
@given(st.tuples(NAME_PART, NAME_PART), PAPERS, st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-16-be", "crlf"]))
def test_a_written_profile_dump_parses_back(owner, papers, encoding):
    fmt, items = items_of(encode(write_profile(owner, papers), encoding))
    assert fmt == "profile"
    assert all(isinstance(item, Record) for item in items), items
    assert [
        (r.title, [(m.family, m.given) for m in parse_flat_authors(r.authors_flat).mentions], r.abstract) for r in items
    ] == [(title, list(authors), abstract) for title, authors, abstract in papers]
    assert {r.profile_owner for r in items} == {f"{owner[0]}, {owner[1]}"}


@PROPERTY
@given(st.tuples(NAME_PART, NAME_PART), PAPERS, st.data())
def test_an_unreadable_line_in_a_profile_dump_costs_only_its_record(owner, papers, data):
    lines = write_profile(owner, papers).encode("utf-8").split(b"\n")
    bad = data.draw(st.integers(1, len(lines) - 2), label="bad line index")  # in a record
    lines[bad] = b"Caf\xe9 " + lines[bad]  # Latin-1 bytes: not UTF-8
    fmt, items = items_of(b"\n".join(lines))
    paper = (bad - 1) // 3
    assert [r.title for r in items if isinstance(r, Record)] == [p[0] for i, p in enumerate(papers) if i != paper]
    assert sorted(r.line for r in items if isinstance(r, Reject)) == [2 + 3 * paper, 3 + 3 * paper, 4 + 3 * paper]


# Repair leaves clean text alone, in any script.

# Real Thai names and words: strings of random Thai letters can spell cp874 mojibake
# (`รฉ` is how `é` arrives), so Thai is drawn from words people write.
THAI_WORDS = [
    "สมชาย", "ใจดี", "สมศักดิ์", "ประเสริฐ", "วิไลวรรณ", "ศรีสุข", "กิตติศักดิ์", "รัตนา", "สุนทร", "ชัยวัฒน์",
    "พงษ์พันธ์", "อนันต์", "บุญมี", "ทองดี", "แสงอรุณ", "จันทร์เพ็ญ", "ณัฐพล", "ธนากร", "ปิยะ", "วัฒนา",
    "สุวรรณ", "เกษม", "อรุณี", "นภา", "ศิริพร", "ไพโรจน์", "ชนิดา", "ธีรวัฒน์", "มณี", "รส", "รก", "ลม",
]  # fmt: skip
CLEAN_WORD = (
    # Words as people write them, `Łódź` or `łódź` (random case inside a word can spell
    # mojibake, and ftfy reads a lone `Â` as a broken no-break space), composed (NFC).
    st.one_of([st.text(alphabet, min_size=2, max_size=8) for script, alphabet in SCRIPTS.items() if script != "thai"])
    .flatmap(lambda word: st.sampled_from([word.lower(), word.lower().capitalize()]))
    .map(lambda word: unicodedata.normalize("NFC", word))
    | st.sampled_from(THAI_WORDS)
    | st.sampled_from(["Łukasz", "Mądry", "Nguyễn", "Thị", "Dvořák", "Müller", "O’Brien", "Jürgen", "Søren"])
)
CLEAN_TEXT = st.lists(st.tuples(CLEAN_WORD, st.sampled_from([" ", ", ", " - "])), min_size=1, max_size=8).map(
    lambda parts: "".join(word + sep for word, sep in parts)[: -len(parts[-1][1])]
)


@PROPERTY
@given(CLEAN_TEXT)
@example("รส Łukasz")  # `รส` (taste) read as two Latin letters that each lost a byte
@example("รส a")  # ... or as one that lost the space before `a`
def test_repair_leaves_clean_text_unchanged(text):
    assert repair_text(text) == text

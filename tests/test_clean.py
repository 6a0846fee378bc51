"""The clean stage: text repair of titles, abstracts, author lines and names."""

import re
import unicodedata
from pathlib import Path

import ftfy
import pytest
from ftfy.badness import BADNESS_RE, is_bad
from hypothesis import given, settings
from hypothesis import strategies as st

from app.text.clean import (
    BADNESS_REACH,
    FTFY_CONFIG,
    _fix_text,
    _looks_like_mojibake,
    is_blank,
    repair_text,
)

SEED = (
    Path(__file__).resolve().parents[1] / "data" / "samples" / "003_813f7c278c729ce1.txt"
)  # the seed, copied unchanged
THAI_BLOCK = re.compile("[\u0e00-\u0e7f]")


def cp874_mangle(text: str) -> str:
    """Damage text the way the dumps were made: UTF-8 read as cp874, lost bytes dropped."""
    out = []
    for byte in text.encode("utf-8"):
        if byte in (0x85, 0xA0):
            out.append(" ")  # NEL and no-break space came out as a plain space
            continue
        try:
            out.append(bytes([byte]).decode("cp874"))
        except UnicodeDecodeError:
            continue  # undefined in cp874: dropped
    return "".join(out)


def fold(text: str) -> str:
    """Accents stripped and case folded, for comparing guesses at lost bytes."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


@pytest.mark.parametrize(
    ("dirty", "clean"),
    [
        ("Mรฉly", "Mély"),
        ("Simรณn", "Simón"),
        ("Cerรณn", "Cerón"),
        ("ลukasz", "Łukasz"),  # 0x81 of Ł was dropped
        ("Mฤ dry", "Mądry"),  # 0x85 of ą became a space
        ("Fishman, Simรณn Posada", "Fishman, Simón Posada"),
        ("Uribe, Juan Felipe Cerรณn", "Uribe, Juan Felipe Cerón"),
        ("Kaiser, ลukasz, Kamali, Ali", "Kaiser, Łukasz, Kamali, Ali"),
        ("“ลukasz”", "“Łukasz”"),
    ],
)
def test_cp874_mojibake_is_repaired(dirty, clean):
    assert repair_text(dirty) == clean


@pytest.mark.parametrize(
    "name",
    ["Dvořák", "Gaćeša", "Łódź", "Żółć", "Müller", "José", "Søren", "Çağrı", "Ševčík", "Nguyễn"],
)
def test_constructed_mojibake_in_an_author_line(name):
    dirty = cp874_mangle(name)
    assert dirty != name
    repaired = repair_text(f"Smith, John, {dirty}, Anna")
    expected = f"Smith, John, {name}, Anna"
    if name.encode("utf-8").decode("cp874", errors="ignore") == dirty:
        assert repaired == expected  # no byte was lost: exact
    else:
        assert fold(repaired) == fold(expected)


@pytest.mark.parametrize("name", ["Dvořák", "Gaćeša", "Müller", "José", "Søren", "Ševčík", "Nguyễn"])
def test_constructed_mojibake_alone(name):
    assert fold(repair_text(cp874_mangle(name))) == fold(name)


def test_lone_run_without_latin_context_is_left_as_is():
    # `Żółć` mangled has no Latin letter near it: indistinguishable from Thai, so kept.
    assert repair_text(cp874_mangle("Żółć")) == "ลปรณลฤ"


def test_seed_author_lines_are_repaired():
    lines = [repair_text(line) for line in SEED.read_text(encoding="utf-8").splitlines()]
    assert not any(THAI_BLOCK.search(line) for line in lines)
    text = "\n".join(lines)
    for name in ["Mądry, Aleksander", "Kaiser, Łukasz", "Kondraciuk, Łukasz", "Mély, David"]:
        assert name in text
    assert "Fishman, Simón Posada" in text
    assert "Uribe, Juan Felipe Cerón" in text
    assert "\\%" not in text


@pytest.mark.parametrize(
    "text",
    [
        "สมชาย ใจดี",
        "การประมวลผลภาษาธรรมชาติสำหรับภาษาไทย",
        "Somchai สมชาย Jaidee",
        "Deep Learning สำหรับการรู้จำเสียงพูดภาษาไทย",
        "Jaidee, สมชาย, Smith, John",
        "แปล",
    ],
)
def test_real_thai_is_left_alone(text):
    assert repair_text(text) == text


@pytest.mark.parametrize(
    "text",
    [
        "Łukasz Kaiser",
        "Mądry",
        "Nguyễn Thị Minh Khai",
        "王小明",
        "山田太郎",
        "ＡＢＣ全角",
        "محمد عبد الله",
        "דוד בן־גוריון",
        "Jürgen Müller-Lüdenscheidt, Straße",
        "“like this” and ‘this’",
        "Dvořák, Ševčík, Çağrı",
    ],
)
def test_clean_text_is_unchanged(text):
    assert repair_text(text) == text


@pytest.mark.parametrize(
    ("dirty", "clean"),
    [
        ("50\\% of cases", "50% of cases"),
        ("Q\\&A", "Q&A"),
        ("snake\\_case \\#1 costs \\$5", "snake_case #1 costs $5"),
        ("Ren\\'e and Ren\\'{e}", "René and René"),
        ('Schr\\"odinger', "Schrödinger"),
        ("Espa\\~na, \\`a la, h\\^otel", "España, à la, hôtel"),
        ("Gar\\c{c}on, \\v{S}koda", "Garçon, Škoda"),
        ("Erd{\\H{o}}s", "Erdős"),
        ("\\L ukasz, Micha\\l{}, S\\o ren, Stra\\ss e", "Łukasz, Michał, Søren, Straße"),
        ("Pe\\~{n}a and {\\'e}t\\'e", "Peña and été"),
    ],
)
def test_latex_escapes_are_expanded(dirty, clean):
    assert repair_text(dirty) == clean


@pytest.mark.parametrize("text", ["the \\emph{best} model", "\\label and \\omega", "a \\\\ b"])
def test_unknown_latex_commands_are_kept(text):
    assert repair_text(text) == text


@pytest.mark.parametrize(
    ("dirty", "clean"),
    [
        ("  Attention is   all you need \n", "Attention is all you need"),
        ("tab\tand\r\nnewline", "tab and newline"),
        ("zero\u200bwidth\ufeff joiner\u200d", "zerowidth joiner"),
        ("bell\x07 and\x0bform\x0cfeed\x1f", "bell and form feed"),
        ("no\u00a0break", "no break"),
    ],
)
def test_whitespace_and_invisible_characters(dirty, clean):
    assert repair_text(dirty) == clean


def test_c1_controls_are_read_as_windows_1252():
    # ftfy's reading: stray C1 bytes are almost always cp1252 punctuation.
    assert repair_text("\x93quoted\x94 and\x85") == "“quoted” and…"


def test_ascii_hot_path_only_strips():
    assert repair_text("  Tom &amp; Jerry: A Study ") == "Tom &amp; Jerry: A Study"


def test_ftfy_repairs_latin1_mojibake():
    assert repair_text("CafÃ© crÃ¨me") == "Café crème"


@pytest.mark.parametrize("text", [None, "", "   ", " , ; : ", "—…", "\u200b\t"])
def test_is_blank(text):
    assert is_blank(text)


@pytest.mark.parametrize("text", ["a", "null", "王", "0", "สมชาย", " ลukasz "])
def test_is_not_blank(text):
    assert not is_blank(text)


@settings(max_examples=500)
@given(st.text())
def test_repair_never_raises_and_is_idempotent(text):
    once = repair_text(text)
    assert repair_text(once) == once


# Text made of the characters the repair reacts to, to reach its rare branches.
DIRTY_ALPHABET = st.sampled_from(list("ลรฤแปโ€ฉณกฑบ ขสมชาย") + list("aeMukzDR  ,\\'\"{}%&~lcv\t\u200b€…‘’“”•–—\u00a0"))


@settings(max_examples=1000)
@given(st.text(DIRTY_ALPHABET, max_size=40))
def test_repair_is_idempotent_on_dirty_text(text):
    once = repair_text(text)
    assert repair_text(once) == once


# `_fix_text` skips ftfy where ftfy would change nothing; hold it to ftfy's own answers.
MOJIBAKE_CHARS = sorted({ch for ch in BADNESS_RE.pattern if not ch.isascii()})
FTFY_TEXT = st.lists(
    st.sampled_from([*MOJIBAKE_CHARS, "\r", "\n", "\x85", "\x1b[1m", "ﬁ", "e\u0301", "\ufffc"])
    | st.text("ab XY.,'", max_size=8)
).map("".join)


@settings(max_examples=1000)
@given(FTFY_TEXT)
def test_ftfy_is_skipped_only_where_it_changes_nothing(text):
    assert _looks_like_mojibake(text) == is_bad(text)
    assert _fix_text(text) == ftfy.fix_text(text, FTFY_CONFIG)


def test_mojibake_search_reaches_ftfys_longest_sequence():
    from re import _parser  # private, but the only way to measure a compiled pattern

    longest = _parser.parse(BADNESS_RE.pattern, BADNESS_RE.flags).getwidth()[1]
    assert longest - 1 <= BADNESS_REACH

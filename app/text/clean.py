"""Clean stage: repair the text of one field (mojibake, LaTeX escapes, stray characters).

The dumps were written as UTF-8, read back as Thai code page 874 and saved again, so
`Mély` arrives as `Mรฉly`, and bytes cp874 has no character for were dropped (`ลukasz`)
or became a space (`Mฤ dry`). ftfy does not know cp874, so that is undone here first;
then ftfy fixes other mojibake, LaTeX escapes are expanded and invisible characters go.
"""

from __future__ import annotations

import html
import re
import unicodedata
from functools import lru_cache

import ftfy
from ftfy.badness import BADNESS_RE
from ftfy.chardata import CONTROL_CHARS, LIGATURES

# Keep curly quotes and full-width CJK as written; compose accents (NFC).
FTFY_CONFIG = ftfy.TextFixerConfig(
    uncurl_quotes=False,
    fix_character_width=False,
    unescape_html=False,  # ASCII text skips ftfy; `strip_markup` decodes entities in prose
    normalization="NFC",
    explain=False,
)

# Most fields need nothing from ftfy, yet its mojibake search (`ftfy.badness.is_bad`) scans
# the whole text and cost more than the rest of the clean stage, so `_fix_text` skips ftfy
# where it cannot change the text. Besides mojibake and NFC, FTFY_CONFIG has ftfy act only
# on these: C1 controls, Latin ligatures, line breaks (`\n` also splits the text into
# segments), surrogates, terminal escapes and the control characters it deletes.
_FTFY_TARGETS = re.compile(
    "[\x80-\x9f\r\n\u2028\u2029\x1b\ud800-\udfff" + re.escape("".join(map(chr, [*LIGATURES, *CONTROL_CHARS]))) + "]"
)
# Every sequence `is_bad` looks for holds a non-ASCII character and is at most 7 characters
# long (`ГўВЂВ.x`, ftfy 6.3), so searching around the non-ASCII characters finds them all;
# tests/test_clean.py checks this against the installed ftfy.
BADNESS_REACH = 6
_NON_ASCII = re.compile("[^\x00-\x7f]+")

# A repair can expose work for an earlier step (LaTeX `\~A` next to `©` reads as mojibake),
# so passes repeat until the text is stable; real lines settle after one.
MAX_PASSES = 4


def _cp874_table() -> dict[str, int]:
    table = {}
    for byte in range(0x80, 0x100):
        try:
            table[bytes([byte]).decode("cp874")] = byte
        except UnicodeDecodeError:
            continue  # undefined in cp874: the dumps dropped these bytes
    return table


CP874_BYTES = _cp874_table()
# UTF-8 continuation bytes the dumps lost: undefined in cp874 (dropped), or 0x85 / 0xA0
# (NEL, no-break space), which ended up as a plain space.
DROPPED_BYTES = tuple(b for b in range(0x80, 0xC0) if b not in CP874_BYTES.values())
SPACED_BYTES = (0x85, 0xA0)
_CP874_RUN = re.compile("[" + re.escape("".join(CP874_BYTES)) + "]+")
_THAI = re.compile("[\u0e01-\u0e5b]")
_ASCII_LETTER = re.compile("[A-Za-z]")

# Besides letters, a repaired run may only yield these (O’Brien, en dashes in titles).
ACCEPTED_PUNCTUATION = "‘’‚“”„–—…•·°"

# Lost-byte tie-break: diacritic letters ordered by how often we expect them in author
# names (Polish, Czech, Serbo-Croatian and Turkish names dominate the lossy cases, then
# Western European accents, then the apostrophe of O’Brien). Hand-ordered; earlier wins.
NAME_LETTER_PRIOR = "łćśńřčšžğşąęźżőűșțéáíúçüäøåæßñěňďťāēīōū’“”"

# A lost byte prefers letters that share an alphabet with the accents that survived in
# the same word (`Dvoลรกk`: á points to Czech ř rather than Polish ł).
ALPHABETS = (
    "ąćęłńóśźż",  # Polish
    "áčďéěíňóřšťúůýž",  # Czech
    "áäčďéíĺľňóôŕšťúýž",  # Slovak
    "čćđšž",  # Serbo-Croatian, Slovene
    "çğıöşü",  # Turkish
    "áéíóöőúüű",  # Hungarian
    "ăâîșşțţ",  # Romanian
    "äöüß",  # German
    "àâæçéèêëîïôœùûüÿ",  # French
    "áéíñóúü",  # Spanish
    "áâãàçéêíóôõú",  # Portuguese
    "åæøäöéó",  # Nordic
    "āčēģīķļņšūž",  # Latvian
    "ąčęėįšųūž",  # Lithuanian
)

# LaTeX accent commands and the combining mark each one adds.
LATEX_ACCENTS = {
    "'": "\u0301", '"': "\u0308", "`": "\u0300", "^": "\u0302", "~": "\u0303",
    "=": "\u0304", ".": "\u0307", "c": "\u0327", "v": "\u030c", "u": "\u0306",
    "H": "\u030b", "k": "\u0328", "r": "\u030a",
}  # fmt: skip
LATEX_LETTERS = {
    "l": "ł", "L": "Ł", "o": "ø", "O": "Ø", "ss": "ß", "ae": "æ", "AE": "Æ",
    "oe": "œ", "OE": "Œ", "aa": "å", "AA": "Å", "i": "ı",
}  # fmt: skip
_ACCENT = (
    r"\\['\"`^~=.](?:\{(?:\\i|[A-Za-z])\}|\\i(?![A-Za-z])|[A-Za-z])"
    r"|\\[cvuHkr]\{(?:\\i|[A-Za-z])\}"
)
_LETTER = r"\\(?:ss|ae|AE|oe|OE|aa|AA|[lLoOi])(?![A-Za-z])(?:\{\}| )?"
# `\\` is matched first so the backslash it escapes never starts another command.
_LATEX = re.compile(rf"\\\\|\\[%&_#$]|\{{(?:{_ACCENT}|{_LETTER})\}}|{_ACCENT}|{_LETTER}")

_C0_AND_ZERO_WIDTH = re.compile("[\x00-\x1f\x7f\u200b-\u200d\u2060\ufeff]")
# Invisible format characters: soft hyphen, bidi marks, embeddings, overrides and isolates,
# invisible math operators. They show nothing, yet split a word in two for full-text search.
# They go after ftfy, like C1 controls (which it reads as Windows-1252 punctuation): a soft
# hyphen is the second half of mojibake such as `Ã\u00ad` for `í`.
INVISIBLE_FORMAT = "\u00ad\u061c\u180e\u200e\u200f\u202a-\u202e\u2061-\u2064\u2066-\u2069"
_INVISIBLE = re.compile(f"[\x00-\x1f\x7f-\x9f\u200b-\u200d\u2060\ufeff{INVISIBLE_FORMAT}]")

# Markup that sources put in titles and abstracts (HTML, Crossref JATS, MathML, LaTeX text
# styles): inline tags go without a trace, block tags leave a space, and the words they wrap
# stay, so `On <i>E. coli</i>` and `On E. coli` are one title. An unknown tag (`<fast>`),
# `x < y`, math (`$x^2$`) and other LaTeX commands (`\alpha`) are text and stay as written.
INLINE_TAGS = frozenset({
    "a", "b", "big", "bold", "code", "em", "font", "i", "italic", "mark", "monospace",
    "s", "sc", "small", "span", "strike", "strong", "sub", "sup", "tt", "u", "underline",
})  # fmt: skip
BLOCK_TAGS = frozenset({
    "abstract", "blockquote", "br", "div", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "li",
    "list", "list-item", "ol", "p", "sec", "table", "td", "th", "title", "tr", "ul",
})  # fmt: skip
_TAG = re.compile(
    r"</?(?:(jats|mml):)?([a-z][a-z0-9-]*)(?:\s+[\w:.-]+\s*=\s*(?:\"[^\"<>]*\"|'[^'<>]*'))*\s*/?>",
    re.IGNORECASE,
)
# One level of HTML escaping is undone (`Q&amp;A`), complete entities only (with their `;`),
# so `AT&T` and `R&D` stay as written.
_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
LATEX_STYLES = ("emph", "textbf", "textit", "textrm", "textsc", "textsf", "textsl", "texttt", "textup", "underline")
_LATEX_STYLE = re.compile(rf"\\(?:{'|'.join(LATEX_STYLES)})\{{([^{{}}]*)\}}")


def repair_text(text: str) -> str:
    """Repair one field: cp874 and other mojibake, LaTeX escapes, invisible characters."""
    if text.isascii() and text.isprintable() and "\\" not in text and "  " not in text:
        return text.strip()  # the hot path: nothing here can need repair
    for _ in range(MAX_PASSES):
        repaired = _repair_once(text)
        if repaired == text:
            break
        text = repaired
    return text


def is_blank(text: str | None) -> bool:
    """True for None, empty, whitespace- or punctuation-only text (nothing alphanumeric)."""
    return text is None or not any(ch.isalnum() for ch in repair_text(text))


def strip_markup(text: str) -> str:
    """Remove HTML, JATS and MathML tags and LaTeX text styles from prose, keeping its words."""
    if "<" in text:
        text = _TAG.sub(_drop_tag, text)
    if "&" in text:
        text = _ENTITY.sub(lambda m: html.unescape(m.group()), text)
    while "\\" in text:
        text, styled = _LATEX_STYLE.subn(r"\1", text)  # inner styles first: `\textbf{\emph{x}}`
        if not styled:
            break
    return text


def _drop_tag(match: re.Match) -> str:
    prefix, name = match.group(1), match.group(2).lower()
    if name in BLOCK_TAGS:
        return " "
    # JATS and MathML tags are markup whatever their name; bare ones only if known.
    return "" if prefix or name in INLINE_TAGS else match.group()


def _repair_once(text: str) -> str:
    text = _repair_cp874(_C0_AND_ZERO_WIDTH.sub(_blank_out, text))  # ftfy drops \v unspaced
    text = _fix_text(text)
    text = _LATEX.sub(_expand_latex, text)
    return " ".join(_INVISIBLE.sub(_blank_out, text).split())


def _fix_text(text: str) -> str:
    """`ftfy.fix_text` with FTFY_CONFIG, skipped where it would return the text unchanged."""
    if (
        len(text) <= FTFY_CONFIG.max_decode_length  # longer text is fixed in segments
        and not _FTFY_TARGETS.search(text)
        and unicodedata.is_normalized("NFC", text)
        and not _looks_like_mojibake(text)
    ):
        return text
    return ftfy.fix_text(text, FTFY_CONFIG)


def _looks_like_mojibake(text: str) -> bool:
    """`ftfy.badness.is_bad`, searching only the windows around non-ASCII characters."""
    start = end = 0
    for match in _NON_ASCII.finditer(text):
        if match.start() - BADNESS_REACH > end:  # a gap: search the window so far
            if end and BADNESS_RE.search(text, start, end):
                return True
            start = match.start() - BADNESS_REACH
        end = match.end() + BADNESS_REACH
    # With a start past 0 `^` cannot match there, just as in the whole text.
    return end > 0 and BADNESS_RE.search(text, start, end) is not None


def _blank_out(match: re.Match) -> str:
    # Tabs, newlines and other spacing controls become spaces; everything else goes.
    return " " if match.group().isspace() else ""


def _repair_cp874(text: str) -> str:
    if not _THAI.search(text):
        return text
    runs, all_decoded = [], True
    for match in _CP874_RUN.finditer(text):
        if _THAI.search(match.group()):
            decoded = _decode_run(text, match.start(), match.end())
            all_decoded &= decoded is not None
            if decoded is not None:
                runs.append((match.start(), match.end(), *decoded))
    # A run that stands alone (`Smith, ลปรณลฤ`) is repaired only when no Thai in the
    # line resists decoding and the line has Latin letters: then it is not Thai text.
    standalone_ok = all_decoded and _ASCII_LETTER.search(text) is not None
    out: list[str | tuple[str, ...]] = []
    pos = 0
    for start, end, items, consumed in runs:
        # A short Thai word (`รส`) also reads as Latin letters that each lost a byte: guesses
        # alone prove nothing, so a run must decode one character whole unless it touches a
        # Latin letter, or is one letter before the space it lost (`ล imon` for `Šimon`).
        whole = any(isinstance(item, str) for item in items)
        after = _is_latin_letter(text[end + consumed : end + consumed + 1])
        before = start > 0 and _is_latin_letter(text[start - 1])
        adjacent = before or (after and (not consumed or whole or len(items) == 1))
        letters = all(ch.isalpha() for item in items for ch in item)  # candidates too
        if adjacent or (standalone_ok and letters and whole and len(items) >= 2):
            out.extend(text[pos:start])
            out.extend(items)
            pos = end + consumed
    out.extend(text[pos:])
    return "".join(_choose(out, i) if isinstance(x, tuple) else x for i, x in enumerate(out))


def _decode_run(text: str, start: int, end: int) -> tuple[list, int] | None:
    """Decode a run of cp874 characters as UTF-8 bytes; None unless it all turns Latin.

    Items are characters, or a tuple of candidates where a byte was lost; the int says
    whether the space after the run stood for a lost byte (and is consumed).
    """
    items: list[str | tuple[str, ...]] = []
    i = start
    while i < end:
        lead = CP874_BYTES[text[i]]
        size = 2 if 0xC2 <= lead <= 0xDF else 3 if 0xE0 <= lead <= 0xEF else 0
        if not size:
            if _THAI.match(text[i]):
                return None  # a Thai letter that cannot start a character: real Thai
            items.append(text[i])  # stray quote or dash: keep
            i += 1
            continue
        seq = (lead,)
        i += 1
        while len(seq) < size and i < end and 0x80 <= CP874_BYTES[text[i]] < 0xC0:
            seq += (CP874_BYTES[text[i]],)
            i += 1
        if len(seq) == size:
            char = _decode(seq)
            if char is None:
                return None
            items.append(char)
            continue
        if len(seq) < size - 1:
            return None  # Latin characters only ever lose their last byte
        prev = items[-1] if items else text[start - 1 : start]
        starts_word = not _letterish(prev)
        after = text[i + 1 : i + 2]
        if i == end and text[i : i + 1] == " " and after.islower() and _is_latin_letter(after):
            spaced = _candidates(seq, SPACED_BYTES)
            if any(ch.isupper() == starts_word for ch in spaced):
                items.append(spaced)
                return items, 1
        dropped = _candidates(seq, DROPPED_BYTES)
        if not dropped:
            return None
        items.append(dropped)
    return items, 0


@lru_cache(maxsize=4096)
def _decode(seq: tuple[int, ...]) -> str | None:
    try:
        char = bytes(seq).decode("utf-8")
    except UnicodeDecodeError:
        return None
    return char if _is_latin_letter(char) or char in ACCEPTED_PUNCTUATION else None


@lru_cache(maxsize=1024)
def _candidates(seq: tuple[int, ...], last_bytes: tuple[int, ...]) -> tuple[str, ...]:
    return tuple(ch for b in last_bytes if (ch := _decode((*seq, b))) is not None)


def _choose(out: list, i: int) -> str:
    """Pick the likeliest candidate for a lost byte from case, the word's accents and the prior."""
    prev = out[i - 1] if i else ""
    nxt = out[i + 1] if i + 1 < len(out) else ""
    starts_word = not _letterish(prev)
    next_lower = isinstance(nxt, tuple) or nxt.islower()
    upper = (isinstance(nxt, str) and nxt.isupper()) or (starts_word and next_lower)
    return _best(out[i], upper, frozenset(_word_accents(out, i)))


@lru_cache(maxsize=4096)
def _best(candidates: tuple[str, ...], upper: bool, evidence: frozenset[str]) -> str:
    def rank(ch: str) -> tuple:
        lower = ch.lower()
        cased = lower != ch.upper()
        hinted = not evidence or any(lower in a and evidence <= set(a) for a in ALPHABETS)
        prior = NAME_LETTER_PRIOR.find(lower)
        return (cased and ch.isupper() != upper, not hinted, prior if prior >= 0 else 99, ch)

    return min(candidates, key=rank)


def _word_accents(out: list, i: int) -> set[str]:
    """Non-ASCII letters that survived intact in the word around position i."""
    lo, hi = i, i
    while lo > 0 and _letterish(out[lo - 1]):
        lo -= 1
    while hi + 1 < len(out) and _letterish(out[hi + 1]):
        hi += 1
    return {x.lower() for x in out[lo : hi + 1] if isinstance(x, str) and not x.isascii()}


def _expand_latex(match: re.Match) -> str:
    token = match.group()
    if token == "\\\\":
        return token
    if token.startswith("{"):
        token = token[1:-1]
    if token[1] in "%&_#$":
        return token[1]
    if token[1] in LATEX_ACCENTS:
        base = token[2:].strip("{}").replace("\\i", "i")
        return unicodedata.normalize("NFC", base + LATEX_ACCENTS[token[1]])
    return LATEX_LETTERS[token[1:].rstrip("{} ")]


def _letterish(item: str | tuple[str, ...]) -> bool:
    return isinstance(item, tuple) or item.isalpha()


def _is_latin_letter(char: str) -> bool:
    return char.isalpha() and (char.isascii() or "LATIN" in unicodedata.name(char, ""))

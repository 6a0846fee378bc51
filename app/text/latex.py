"""LaTeX to Unicode for BibTeX and arXiv fields: accents, `{\\L}`, case-protecting braces, `50\\%`."""

from __future__ import annotations

import re
from functools import lru_cache

from pylatexenc import macrospec
from pylatexenc.latex2text import LatexNodes2Text, MacroTextSpec
from pylatexenc.latex2text import get_default_latex_context_db as text_macros
from pylatexenc.latexwalker import LatexWalker
from pylatexenc.latexwalker import get_default_latex_context_db as parse_macros

# Characters without which a value holds no LaTeX to convert (the common case, skipped).
LATEX_MARKS = frozenset("\\{}$~")
# A `%` in a field value is a percent sign, never the comment LaTeX would read it as.
BARE_PERCENT = re.compile(r"(?<!\\)%")
# Boxes print their argument; pylatexenc drops it (DBLP writes `2\({}^{\mbox{k}}\)`).
BOXES = ("mbox", "hbox", "text", "textnormal")


def _converter() -> tuple:
    parsing, printing = parse_macros(), text_macros()
    parsing.add_context_category("boxes", prepend=True, macros=[macrospec.std_macro(box, False, 1) for box in BOXES])
    printing.add_context_category("boxes", prepend=True, macros=[MacroTextSpec(box, "%(1)s") for box in BOXES])
    return parsing, LatexNodes2Text(latex_context=printing)


_PARSING, _PRINTING = _converter()


@lru_cache(maxsize=65536)  # names and venues recur
def to_text(value: str) -> str:
    """The text a LaTeX value prints, with its whitespace (line wraps, `~`) made single spaces."""
    if LATEX_MARKS.isdisjoint(value):
        return " ".join(value.split())
    try:
        nodes = LatexWalker(
            BARE_PERCENT.sub(r"\\%", value), latex_context=_PARSING, tolerant_parsing=True
        ).get_latex_nodes()[0]
        text = _PRINTING.nodelist_to_text(nodes)
    except Exception:  # pylatexenc gives up on some broken markup: keep the value as written
        text = value
    return " ".join(text.split())

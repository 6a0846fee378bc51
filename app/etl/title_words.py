"""Title words: the distinctive words of a paper's title, weak evidence that two authors are one.

Two spellings of one person (`Carolyn Rosé`/`Carolyn Penstein Rosé`) often share no
co-author on the papers at hand but write about the same things. Words of four letters
or more, folded, without function words, are what resolution compares; which of them
are distinctive enough is decided per block (`resolve`), from how many of the block's
papers use them, so the evidence depends on nothing outside the block.
"""

from __future__ import annotations

import re
from sys import intern

from app.text.names import folded_letters

MIN_LEN = 4
# English function words of MIN_LEN letters or more: they say nothing about a paper's subject.
STOPWORDS = frozenset(
    """
    about above across after against along among around based because before behind below beneath
    beside besides between beyond both during each either else enough every from further have having
    here however inside into itself less many more most much near neither next none other others over
    per rather same several since some such than that their them then there these they this those
    though through throughout thus toward towards under unless unlike until upon using very versus
    what when where whether which while whom whose will with within without would your
""".split()
)
WORD = re.compile(rf"[^\W\d_]{{{MIN_LEN},}}")  # a run of fewer letters matches at none of its places


def title_words(title: str | None) -> tuple[str, ...]:
    """The folded words of a title that may say what it is about, each once, sorted."""
    # Interned, and in a tuple: resolution holds every paper's words, a tuple is a third of a
    # set's size (`resolve` makes sets of them only for the pairs that need them), and a
    # block's papers share their words.
    return tuple(sorted(map(intern, set(WORD.findall(folded_letters(title or ""))) - STOPWORDS)))

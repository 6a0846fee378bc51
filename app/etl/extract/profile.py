"""Profile dump: line 1 the owner, `Family, Given`; then title, flat author list, abstract per paper."""

from __future__ import annotations

from collections.abc import Iterator

from app.etl.extract.source import Source
from app.etl.extract.text import unreadable
from app.text.records import Record, Reject

FORMAT = "profile"
# Longest owner line we accept as `Family, Given` on line 1 of a profile dump.
MAX_OWNER_LENGTH = 120
# Author-list lines: a comma every few words. Titles rarely have commas; prose has sentences.
AUTHOR_LINE_MAX_WORDS_PER_TOKEN = 5
# A line this short with no sentence break can be a title; abstracts are longer prose.
MAX_TITLE_LENGTH = 300
# The reason of a reject for a triplet whose lines are not title, authors, abstract.
OUT_OF_STEP = "profile record has"


def has_owner_line(first: list[str]) -> bool:
    """Whether the first text lines start like a profile dump: an owner `Family, Given`, then more."""
    owner = first[0].strip()
    return owner.count(",") == 1 and len(owner) <= MAX_OWNER_LENGTH and len(first) >= 2


def fits(source: Source) -> bool:
    """Whether the file reads as a profile dump as a whole: more of its triplets make records than
    are out of step. A file of another kind whose first line happens to hold one comma (a BibTeX
    export) would otherwise be read as triplets of garbage."""
    records = out_of_step = 0
    for item in read(source):
        if isinstance(item, Record):
            records += 1
        elif item.reason.startswith(OUT_OF_STEP):
            out_of_step += 1
    return records >= out_of_step


def looks_like_author_list(text: str) -> bool:
    """True for a flat `Family, Given, Family, Given` line; False for titles and prose."""
    tokens = [t.strip() for t in text.split(",")]
    if len(tokens) < 2:
        return False
    short = sum(len(t.split()) <= AUTHOR_LINE_MAX_WORDS_PER_TOKEN for t in tokens)
    return short == len(tokens) and len(text) < 40 * len(tokens)


def read(source: Source) -> Iterator[Record | Reject]:
    """The papers of a profile dump; a triplet out of step is rejected and the reader resynchronises."""
    path, lines = source.path, source.lines
    # Drop blank lines at the end only: inside the file a blank line is an empty field.
    while lines and lines[-1][1] is not None and not lines[-1][1].strip():
        lines = lines[:-1]
    if lines[0][1] is None:
        yield unreadable(path, lines[0][0], lines[0][2])
    owner = (lines[0][1] or "").strip()
    body = lines[1:]
    i = 0
    while i < len(body):
        chunk = body[i : i + 3]
        bad = next((n for n, text, _ in chunk if text is None), None)
        if bad is not None:
            # Records are positional: an unreadable line spoils its whole triplet, and
            # skipping the triplet keeps the next record in step.
            for n, text, raw in chunk:
                yield (
                    unreadable(path, n, raw)
                    if text is None
                    else Reject(path, n, text, f"record broken by line {bad}, which cannot be read")
                )
            i += len(chunk)
            continue
        raw = "\n".join(text for _, text, _ in chunk)
        start = chunk[0][0]
        if len(chunk) < 3:
            yield Reject(
                path, start, raw, f"profile record cut off: {len(chunk)} of 3 lines (title, authors, abstract)"
            )
            break
        (_, title, _), (_, authors, _), (_, abstract, _) = chunk
        nxt = body[i + 3][1] if i + 3 < len(body) else None
        problem = _misplaced_line(title, authors, abstract, nxt)
        if problem:
            # Reject the two lines we can vouch for and resynchronise on the third.
            yield Reject(path, start, "\n".join([title, authors]), f"{OUT_OF_STEP} {problem}")
            i += 2
            continue
        yield Record(
            file=path, line=start, raw=raw, title=title, authors_flat=authors, abstract=abstract, profile_owner=owner
        )
        i += 3


def _misplaced_line(title: str, authors: str, abstract: str, nxt: str | None) -> str | None:
    """Say which line a title/authors/abstract triplet lacks, if its lines are out of step."""
    if not looks_like_author_list(authors):
        return "no title line" if looks_like_author_list(title) else "no author line"
    if nxt is not None and looks_like_author_list(nxt) and len(abstract) <= MAX_TITLE_LENGTH and ". " not in abstract:
        # The next title sits where the abstract belongs, and its authors follow.
        return "no abstract line"
    return None

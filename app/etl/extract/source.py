"""A file as the readers see it: its name, its bytes and its lines."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import PurePath

from app.etl.extract.text import Line


@dataclass
class Source:
    """A file to read: `data` is its decompressed content, `lines` that content decoded (`text.decode`).

    A JSON Lines file is read as it is used instead: `data` and `lines` hold only its first
    lines, `rest` makes the others one at a time, and its reader reads `all_lines()`.
    """

    path: str
    data: bytes
    lines: list[Line] = field(repr=False)
    rest: Iterator[Line] = field(default_factory=lambda: iter(()), repr=False)

    def all_lines(self) -> Iterator[Line]:
        """Every line of the file, once: `lines`, then `rest`."""
        yield from self.lines
        yield from self.rest

    @property
    def suffix(self) -> str:
        """The file name's extension without `.gz`, lower case (`.bib` for `x.bib.gz`): a hint only."""
        name = PurePath(self.path)
        if name.suffix.lower() == ".gz":
            name = name.with_suffix("")
        return name.suffix.lower()

"""A file as the readers see it: its name, its bytes and its lines."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import PurePath

from app.etl.extract.text import Line


@dataclass
class Source:
    """A file to read: `data` is its decompressed content, `lines` that content decoded (`text.decode`)."""

    path: str
    data: bytes
    lines: list[Line] = field(repr=False)

    @property
    def suffix(self) -> str:
        """The file name's extension without `.gz`, lower case (`.bib` for `x.bib.gz`): a hint only."""
        name = PurePath(self.path)
        if name.suffix.lower() == ".gz":
            name = name.with_suffix("")
        return name.suffix.lower()

"""Progress of a long import, for a person to watch: where it is within a file and within each phase.

The import reports `Step`s (`app.etl.load.run_import(watch=…)`); a `TerminalLine` shows them
as one line that updates in place (records or blocks done, share done, rate, time left), and
a `PhaseLog` writes one line per phase for a log file instead.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TextIO

REDRAW_SECONDS = 0.2  # a terminal line redrawn more often only flickers


@dataclass(frozen=True)
class Step:
    """Where a phase is: `done` units (records of a file, blocks) and, when known, the share done."""

    # "load" (a file's records), "author evidence" (papers), "resolve" (author blocks), "index", "search lists"
    phase: str
    done: int = 0
    unit: str = ""
    fraction: float | None = None  # of the file, or of the phase's work; None when not known
    path: str | None = None  # the file being loaded
    file: int = 0  # its number among the `files` of the import
    files: int = 0


def duration(seconds: float) -> str:
    """`42 s`, `3 min 05 s`, `1 h 02 min`."""
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"


def describe(step: Step, elapsed: float) -> str:
    """One line: the phase (and file), what is done, the share, the rate and the time left."""
    where = f"{step.phase} {step.path.rsplit('/', 1)[-1]}" if step.path else step.phase
    if step.files > 1:
        where += f" (file {step.file:,} of {step.files:,})"
    parts = [f"{step.done:,} {step.unit}"] if step.unit else []
    if step.fraction is not None:
        parts.append(f"{min(step.fraction, 1.0):.0%}")
    if step.unit and elapsed >= 1 and step.done:
        parts.append(f"{step.done / elapsed:,.0f} {step.unit}/s")
    left = elapsed * (1 - step.fraction) / step.fraction if step.fraction and step.fraction < 1 else 0
    parts.append(f"about {duration(left)} left" if elapsed >= 1 and left >= 1 else duration(elapsed))
    return f"{where}: {', '.join(parts)}"


class TerminalLine:
    """Steps as one line on a terminal, redrawn in place; `clear()` before printing anything else."""

    def __init__(self, stream: TextIO, clock: Callable[[], float] = time.monotonic):
        self.stream = stream
        self.clock = clock
        self.current: tuple[str, str | None] | None = None  # the phase and file under way
        self.started = 0.0
        self.drawn_at = float("-inf")
        self.shown = False

    def __call__(self, step: Step) -> None:
        now = self.clock()
        new = (step.phase, step.path) != self.current
        if new:
            self.current, self.started = (step.phase, step.path), now
        if new or now - self.drawn_at >= REDRAW_SECONDS:
            width = shutil.get_terminal_size((100, 20)).columns - 1
            self.stream.write("\r" + describe(step, now - self.started)[:width] + "\x1b[K")
            self.stream.flush()
            self.drawn_at, self.shown = now, True

    def clear(self) -> None:
        if self.shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self.shown = False


class PhaseLog:
    """Steps as one line per phase, written when the phase ends (the next begins, or `close()`)."""

    def __init__(self, write: Callable[[str], None], clock: Callable[[], float] = time.monotonic):
        self.write = write
        self.clock = clock
        self.last: Step | None = None  # the phase under way, as last heard
        self.started = 0.0

    def __call__(self, step: Step) -> None:
        if self.last is None or step.phase != self.last.phase:
            self.close()
            self.started = self.clock()
        self.last = step

    def close(self) -> None:
        """Write the line of the phase under way, if any."""
        last = self.last
        if last is not None:
            what = f"{last.done:,} {last.unit} in " if last.unit and last.phase != "load" else ""
            self.write(f"{last.phase}: {what}{duration(self.clock() - self.started)}")
        self.last = None

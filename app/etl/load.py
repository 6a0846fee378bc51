"""Load: the one entry point that writes imports, `run_import`, and the ledger around it.

Each file is written in one `BEGIN IMMEDIATE` transaction: its papers, provenance,
rejects and ledger row, and the provisional authors of its mentions; the blocks it
touched are re-resolved at the end of the run. A file is loaded wholly or not at all.
A second process parses and cleans the files while this one writes (all but a single
small file), handing records over a chunk at a time (`workers.stream`).
"""

from __future__ import annotations

import gc
import hashlib
import io
import os
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import BinaryIO

from app import workers
from app.db import connect, ensure_schema, refusal, write_transaction
from app.etl.bulk_indexes import build_deferred_indexes, defer_bulk_indexes
from app.etl.extract import FileRejected, extract_lines
from app.etl.load_authors import assign_provisional, queue_blocks, queue_if_rules_changed, resolve_pending
from app.etl.load_papers import PaperChanges, add_record, rebuild_paper, remove_file_sources
from app.etl.resolve import Overrides, load_overrides
from app.progress import Step
from app.search import embedding
from app.search.caches import caches_are_current
from app.search.index import batched_fts, defer_indexing, held_back, index_deferred, optimize_after_bulk_load
from app.search.lists import Refresh, update_search_top
from app.search.rows import refresh_search
from app.search.vectors import VectorRefresh, update_vectors
from app.text.normalize import CleanRecord, RecordError, normalize_record
from app.text.records import Record, Reject

OVERRIDES_NAME = "overrides.txt"  # looked for beside the database
# Whole-file rejects keep this much of the file's start as their raw text.
REJECTED_FILE_KEEP = 64 * 1024
# SQLite page cache of an import, in KiB (the default is 2 MiB).
IMPORT_CACHE_KIB = 64 * 1024
# WAL pages (of 4 KiB: 256 MB) after which an import's commit copies the WAL into the
# database (SQLite's default is 1,000). Each file's transaction rewrites pages all over
# the indexes; copying them after every file wrote the same pages again and again (100k
# import: 146-148 s with the default, 138-139 s with 64k pages, two runs each).
IMPORT_CHECKPOINT_PAGES = 65536
# Records handed from the parsing process to the writing one at a time, and how many such
# chunks may wait: the writer never holds a whole file (at a million papers, handing over
# whole files one ahead took the writer to 850 MB and the parser to 600 MB).
CHUNK_RECORDS = 2000
# `watch` hears how far a file's loading is every this many records (a few times a second).
WATCH_RECORDS = 500
Watch = Callable[[Step], None]
CHUNKS_AHEAD = 4
# Files are parsed in a second process, overlapping the writing, unless there is only one
# this small: starting the process would cost more than it saves.
PARALLEL_PARSE_BYTES = 4 * 1024 * 1024
# Hidden and editor files in an import folder are never dumps.
IGNORED_PREFIXES = (".", "~")
# A file modified this recently when it is read may be written again within the same tick
# of the file system's clock, keeping its time: its time is not recorded, so the next
# import reads it. Above FAT's 2-second tick, the coarsest in common use.
RECENT_SECONDS = 3


@dataclass
class FileResult:
    """What happened to one file."""

    path: str
    status: str  # 'new', 'changed', 'skipped', 'rejected', 'failed'
    format: str | None = None
    records: int = 0
    rejects: list[Reject] = field(default_factory=list)
    error: str | None = None


@dataclass
class ImportReport:
    """What one import run did; `paperdb import` and the nightly job print it."""

    run_id: int
    files: list[FileResult] = field(default_factory=list)
    papers_added: int = 0
    papers_updated: int = 0
    papers_removed: int = 0
    authors_added: int = 0
    authors_updated: int = 0
    seconds: float = 0.0
    # Seconds per pipeline phase. Parsing runs in a second process alongside the others,
    # except for one small file, whose parse time "load" includes too.
    phases: dict[str, float] = field(default_factory=dict)
    # CPU seconds of each phase: of the parse worker for "parse"; for the others, of every process
    # of the import while the phase ran (the parse worker's beside "load"). Well under the wall
    # time means the phase waited, on the disk most often.
    cpu: dict[str, float] = field(default_factory=dict)
    search_lists: Refresh | None = None  # how the search lists were brought up to date, if they were
    vectors: VectorRefresh | None = None  # how the vectors were, when the embedding model is installed
    # Papers whose search row this run rewrote, collected only while the vectors are kept.
    text_changed: set[int] | None = field(default=None, repr=False)

    def clock(self) -> tuple[float, float]:
        """Now, in wall seconds and in CPU seconds of this process and its workers: what `timed` takes."""
        return time.perf_counter(), workers.cpu_seconds()

    def timed(self, phase: str, started: tuple[float, float]) -> tuple[float, float]:
        """Add the wall and CPU time since `started` (a `clock()`) to a phase; return now, to start the next one."""
        now = self.clock()
        self.add(phase, now[0] - started[0], now[1] - started[1])
        return now

    def add(self, phase: str, seconds: float, cpu: float) -> None:
        self.phases[phase] = self.phases.get(phase, 0.0) + seconds
        self.cpu[phase] = self.cpu.get(phase, 0.0) + cpu

    def count(self, status: str) -> int:
        """Number of files with this status."""
        return sum(f.status == status for f in self.files)

    @property
    def records_loaded(self) -> int:
        return sum(f.records for f in self.files)

    @property
    def records_rejected(self) -> int:
        return sum(len(f.rejects) for f in self.files)

    @property
    def status(self) -> str:
        """`failed` if a file could not be written, `rejects` if records were rejected, else `ok`."""
        if self.count("failed"):
            return "failed"
        return "rejects" if self.records_rejected else "ok"

    @property
    def nothing_new(self) -> bool:
        return all(f.status == "skipped" for f in self.files)

    def summary(self) -> str:
        """One line for logs and terminals."""
        if self.nothing_new:
            return f"nothing new: {len(self.files)} files already loaded ({self.seconds:.1f}s)"
        return (
            f"{len(self.files)} files ({self.count('new')} new, {self.count('changed')} changed, "
            f"{self.count('skipped')} skipped, {self.count('rejected')} rejected, {self.count('failed')} failed); "
            f"{self.records_loaded} records loaded, {self.records_rejected} rejected; "
            f"papers +{self.papers_added} ~{self.papers_updated} -{self.papers_removed}; "
            f"authors +{self.authors_added} ~{self.authors_updated} ({self.seconds:.1f}s)"
        )

    def as_dict(self) -> dict:
        """The report as JSON-able values."""
        return {
            "run_id": self.run_id,
            "status": self.status,
            "files": {
                "seen": len(self.files),
                "new": self.count("new"),
                "changed": self.count("changed"),
                "skipped": self.count("skipped"),
                "rejected": self.count("rejected"),
                "failed": self.count("failed"),
            },
            "records": {"loaded": self.records_loaded, "rejected": self.records_rejected},
            "papers": {"added": self.papers_added, "updated": self.papers_updated, "removed": self.papers_removed},
            "authors": {"added": self.authors_added, "updated": self.authors_updated},
            "seconds": round(self.seconds, 3),
            "phases": {k: round(v, 3) for k, v in self.phases.items()},
            "cpu": {k: round(v, 3) for k, v in self.cpu.items()},
            "search_lists": asdict(self.search_lists) if self.search_lists else None,
            "vectors": asdict(self.vectors) if self.vectors else None,
            "errors": [{"path": f.path, "error": f.error} for f in self.files if f.error],
        }


def now_utc() -> str:
    """The current time as an ISO 8601 UTC string."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def find_files(paths: Iterable[str | os.PathLike]) -> list[Path]:
    """Files to import: the files named, and every file under the folders named, sorted."""
    found = []
    for p in map(Path, paths):
        if p.is_dir():
            found.extend(f for f in sorted(p.rglob("*")) if f.is_file() and not f.name.startswith(IGNORED_PREFIXES))
        elif p.is_file():
            found.append(p)
        else:
            raise FileNotFoundError(f"no such file or folder: {p}")
    return found


@dataclass
class Chunk:
    """The next records of a file, parsed and cleaned, with the rejects among them."""

    records: list[CleanRecord]
    rejects: list[Reject]
    seconds: float = 0.0  # spent parsing them
    cpu: float = 0.0  # CPU seconds of it
    fraction: float | None = None  # of the file read by its last record
    # On a file's last chunk: the SHA-256 and size of its bytes, read through by then, and
    # the reason the whole file is rejected when that shows only at its end (most lines
    # undecodable, gzip cut short); its one reject is then in `rejects`.
    digest: str | None = None
    size: int | None = None
    rejected: str | None = None


@dataclass
class ParsedFile:
    """A file being read, and its records as they are parsed and cleaned (`records()`); its digest
    and size are final once they are read through."""

    path: Path
    digest: str = ""
    size: int = 0
    mtime_ns: int | None = None  # when the file was modified, if old enough to trust
    format: str | None = None
    status: str | None = None  # 'rejected' (whole file) or 'failed' (unreadable); None when parsed
    error: str | None = None
    rejects: list[Reject] = field(default_factory=list)  # all of them once `records()` is read through
    seconds: float = 0.0  # spent parsing, likewise
    cpu: float = 0.0  # CPU seconds of it
    loaded: int = 0  # records given by `records()`
    fraction: float | None = None  # of the file read by the records given so far
    chunks: Iterator[Chunk] = field(default_factory=lambda: iter(()), repr=False, compare=False)

    def records(self) -> Iterator[CleanRecord]:
        """The file's records, read once, chunk by chunk; counts its rejects and time as it goes.
        FileRejected, after the last, for a file rejected whole at its end."""
        for chunk in self.chunks:
            self.seconds += chunk.seconds
            self.cpu += chunk.cpu
            if chunk.rejected:
                self.status, self.error, self.rejects = "rejected", chunk.rejected, chunk.rejects
                raise FileRejected(chunk.rejected)
            self.rejects += chunk.rejects
            self.loaded += len(chunk.records)
            if chunk.digest:
                self.digest, self.size = chunk.digest, chunk.size
            before = self.fraction or 0.0
            for n, record in enumerate(chunk.records, 1):
                if chunk.fraction is not None:  # as if the chunk's records were alike in size
                    self.fraction = before + (chunk.fraction - before) * n / len(chunk.records)
                yield record

    def drain(self) -> None:
        """Read what is left of the file's chunks (a stream holds the next file's behind them)."""
        for _ in self.chunks:
            pass


def _stat_and_mtime(f: BinaryIO) -> tuple[os.stat_result, int | None]:
    """An open file's stat, taken before reading it (a write after it changes the time), and
    the modification time to record for it: none when the file changed within RECENT_SECONDS
    of the stat, as a second write within the same tick of the file system's clock would keep it."""
    now = time.time_ns()
    stat = os.fstat(f.fileno())
    return stat, stat.st_mtime_ns if now - stat.st_mtime_ns >= RECENT_SECONDS * 10**9 else None


def parse_file(path: Path) -> Iterator[ParsedFile | Chunk | None]:
    """Read, hash, parse and clean one file, as it goes for JSON Lines: its ParsedFile, its chunks,
    and None after its last chunk. Pure, so it can run in a worker process."""
    started, cpu_started = time.perf_counter(), time.process_time()
    try:
        f = path.open("rb", buffering=0)
    except OSError as e:
        yield ParsedFile(path, status="failed", error=_unreadable(e))
        yield None
        return
    with f:
        stat, mtime_ns = _stat_and_mtime(f)
        parsed = ParsedFile(path, size=stat.st_size, mtime_ns=mtime_ns)
        hashed = _Hashed(f)
        try:
            parsed.format, items, lines = extract_lines(path, io.BufferedReader(hashed))
        except FileRejected as e:
            parsed.status, parsed.error, parsed.rejects = "rejected", str(e), [_file_reject(path, hashed, e)]
        except OSError as e:
            parsed.status, parsed.error = "failed", _unreadable(e)
        parsed.seconds, parsed.cpu = time.perf_counter() - started, time.process_time() - cpu_started
        yield parsed
        if not parsed.status:
            yield from _chunks(path, items, hashed, lines, parsed.size)
        yield None


def _chunks(
    path: Path, items: Iterator[Record | Reject], hashed: _Hashed, lines: int | None, size: int
) -> Iterator[Chunk]:
    """The file's records cleaned, and its rejects, CHUNK_RECORDS at a time; the last chunk has
    the file's digest and size, or the reason it is rejected whole after all."""
    started, cpu_started = time.perf_counter(), time.process_time()
    chunk = Chunk([], [])
    try:
        for item in items:
            if isinstance(item, Reject):
                chunk.rejects.append(item)
            else:
                try:
                    chunk.records.append(normalize_record(item))
                except RecordError as e:
                    chunk.rejects.append(Reject(item.file, item.line, item.raw, str(e)))
            if len(chunk.records) + len(chunk.rejects) >= CHUNK_RECORDS:
                chunk.fraction = _fraction(item.line, lines, hashed.count, size)
                chunk.seconds, chunk.cpu = time.perf_counter() - started, time.process_time() - cpu_started
                yield chunk
                # Not counting the wait for the writer.
                chunk, started, cpu_started = Chunk([], []), time.perf_counter(), time.process_time()
        hashed.read_to_end()
        chunk.digest, chunk.size, chunk.fraction = hashed.sha256.hexdigest(), hashed.count, 1.0
    except FileRejected as e:  # of a JSON Lines file, seen only at its end
        chunk.rejected, chunk.rejects = str(e), [_file_reject(path, hashed, e)]
    except OSError as e:
        chunk.rejected, chunk.rejects = _unreadable(e), [_file_reject(path, hashed, e)]
    chunk.seconds, chunk.cpu = time.perf_counter() - started, time.process_time() - cpu_started
    yield chunk


def _fraction(line: int | None, lines: int | None, read: int, size: int) -> float | None:
    """How far into a file the reading is: by lines in a file read whole, else by bytes."""
    if lines:
        return (line or 0) / lines
    return min(read / size, 1.0) if size else None


def _unreadable(error: OSError) -> str:
    return f"cannot read file: {error.strerror or error}"


class _Hashed(io.RawIOBase):
    """A binary file read through this: the SHA-256 and count of the bytes read so far, and
    the first REJECTED_FILE_KEEP of them, for the reject of a whole file."""

    def __init__(self, f: BinaryIO):
        self.f, self.sha256, self.count, self.start = f, hashlib.sha256(), 0, b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = self.f.readinto(buffer)
        read = memoryview(buffer)[:n]
        self.sha256.update(read)
        if self.count < REJECTED_FILE_KEEP:
            self.start += bytes(read[: REJECTED_FILE_KEEP - self.count])
        self.count += n
        return n

    def read_to_end(self) -> None:
        while self.read(io.DEFAULT_BUFFER_SIZE):
            pass


def _file_reject(path: Path, f: _Hashed, error: Exception) -> Reject:
    """The reject of a whole file, keeping the start of its bytes."""
    try:
        if f.count < REJECTED_FILE_KEEP:
            f.read(REJECTED_FILE_KEEP - f.count)
    except OSError:
        pass  # what was read is kept
    return Reject(str(path), None, f.start.decode("utf-8", "backslashreplace"), str(error))


def parse_files(paths: list[Path]) -> Iterator[ParsedFile | Chunk | None]:
    """`parse_file` of each file in turn."""
    for path in paths:
        yield from parse_file(path)


def _as_loaded(known: sqlite3.Row, path: Path, rehash: bool) -> tuple[bool, int | None]:
    """Whether the file is as its ledger row `known` holds it, and the modification time to record.

    The same size and modification time as when it was loaded mean the same file without
    reading it (as rsync and make assume; `rehash` reads it anyway). Otherwise its content
    is compared: the same bytes under a new time (a copy, a touch) are still the same file.
    """
    try:
        with path.open("rb") as f:
            stat, mtime_ns = _stat_and_mtime(f)
            if not rehash and (known["size"], known["mtime_ns"]) == (stat.st_size, stat.st_mtime_ns):
                return True, mtime_ns
            return known["content_hash"] == hashlib.file_digest(f, "sha256").hexdigest(), mtime_ns
    except OSError:
        return False, None  # parse_file reports it


def parsed_files(conn, files: list[Path], *, rehash: bool = False) -> Iterator[ParsedFile | FileResult]:
    """Files to load in order, parsed in a second process while the caller writes; unchanged ones come
    back skipped. What the caller leaves unread of a file's records is read past for the next file."""
    ledger = {r["path"]: r for r in conn.execute("SELECT path, content_hash, size, mtime_ns FROM source_files")}
    todo: list[Path | FileResult] = []
    retimed: list[tuple[int | None, str]] = []  # unchanged files whose time the ledger lacks
    for path in (f.resolve() for f in files):
        known = ledger.get(str(path))
        same, mtime_ns = _as_loaded(known, path, rehash) if known else (False, None)
        if same and mtime_ns != known["mtime_ns"]:
            retimed.append((mtime_ns, str(path)))
        todo.append(FileResult(str(path), "skipped") if same else path)
    if retimed:
        with write_transaction(conn):
            conn.executemany("UPDATE source_files SET mtime_ns = ? WHERE path = ?", retimed)
    to_parse = [p for p in todo if isinstance(p, Path)]
    # Both cores: one parses while this process writes what it parsed before.
    parallel = len(to_parse) > 1 or sum(_size(p) for p in to_parse) > PARALLEL_PARSE_BYTES
    stream = workers.stream(parse_files, (to_parse,), CHUNKS_AHEAD) if parallel else parse_files(to_parse)
    parsed = None
    try:
        for item in todo:
            if isinstance(item, FileResult):
                yield item
                continue
            if parsed:
                parsed.drain()  # what the caller left unread of the file before (rejected, or its write failed)
            parsed = next(stream)
            parsed.chunks = iter(stream.__next__, None)  # up to the None that ends the file
            yield parsed
    finally:
        stream.close()


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0  # parse_file reports it


def _write_rejects(conn, run_id: int, rejects: list[Reject], now: str) -> None:
    conn.executemany(
        "INSERT INTO rejects (run_id, path, line, raw, reason, created_at) VALUES (?, ?, ?, ?, ?, ?)",
        [(run_id, r.file, r.line, r.raw, r.reason, now) for r in rejects],
    )


def load_file(
    conn,
    run_id: int,
    parsed: ParsedFile,
    overrides: Overrides,
    report: ImportReport,
    watch: Watch | None = None,
    at: Step | None = None,
    labels_held_back: int | None = None,
) -> FileResult:
    """Write one parsed file in one transaction: its papers, provenance, rejects and ledger row;
    `watch` is told how far into the file the records are, every few hundred of them, as `at`
    (the file's `Step`) with its count and share done. Papers above `labels_held_back` get
    their search labels when their index is built (`rows.write_labels`)."""
    now = now_utc()
    if parsed.status:
        return _not_loaded(conn, run_id, parsed, report, now)
    try:
        return _load_parsed(conn, run_id, parsed, overrides, report, now, watch, at, labels_held_back)
    except FileRejected:  # a JSON Lines file, at its end: the transaction is undone
        return _not_loaded(conn, run_id, parsed, report, now)


def _not_loaded(conn, run_id: int, parsed: ParsedFile, report: ImportReport, now: str) -> FileResult:
    """The result of a file rejected whole or unreadable; a rejected one's reject is written."""
    path = str(parsed.path)
    report.add("parse", parsed.seconds, parsed.cpu)
    if parsed.status == "rejected":
        with write_transaction(conn):
            conn.execute("DELETE FROM rejects WHERE path = ?", (path,))
            _write_rejects(conn, run_id, parsed.rejects, now)
    return FileResult(path, parsed.status, rejects=parsed.rejects, error=parsed.error)


def _load_parsed(
    conn,
    run_id: int,
    parsed: ParsedFile,
    overrides: Overrides,
    report: ImportReport,
    now: str,
    watch: Watch | None,
    at: Step | None,
    labels_held_back: int | None,
) -> FileResult:
    path = str(parsed.path)
    clock = report.clock()
    changes = PaperChanges()
    # The file's hash and size are known once its records are read: written at the end.
    row = (parsed.digest, parsed.format, parsed.size, parsed.mtime_ns, run_id, now, path)
    with write_transaction(conn), batched_fts(conn):
        known = conn.execute("SELECT id FROM source_files WHERE path = ?", (path,)).fetchone()
        if known:
            file_id = known["id"]
            remove_file_sources(conn, file_id, changes)
            conn.execute(
                "UPDATE source_files SET content_hash = ?, format = ?, size = ?, mtime_ns = ?, "
                "run_id = ?, loaded_at = ? WHERE path = ?",
                row,
            )
        else:
            file_id = conn.execute(
                "INSERT INTO source_files (content_hash, format, size, mtime_ns, run_id, loaded_at, records, rejected, "
                "path) VALUES (?, ?, ?, ?, ?, ?, 0, 0, ?)",
                row,
            ).lastrowid
        pending_keys: dict[int, set[str]] = {}
        at = at or Step("load", unit="records", path=path)
        for n, rec in enumerate(parsed.records(), 1):
            add_record(conn, rec, file_id, now, changes, pending_keys)
            if watch and n % WATCH_RECORDS == 0:
                watch(replace(at, done=n, fraction=parsed.fraction))
        # Rejects describe the file's current content only.
        conn.execute("DELETE FROM rejects WHERE path = ?", (path,))
        _write_rejects(conn, run_id, parsed.rejects, now)
        conn.execute(
            "UPDATE source_files SET content_hash = ?, size = ?, records = ?, rejected = ? WHERE id = ?",
            (parsed.digest, parsed.size, parsed.loaded, len(parsed.rejects), file_id),
        )
        for paper_id in sorted(changes.dirty):
            rebuild_paper(conn, paper_id, now, changes)
        assign_provisional(conn, overrides, changes.new_authorships(), now)
        queue_blocks(conn, changes.touched_blocks)
        clock = report.timed("load", clock)
        searched = (changes.added | changes.search_dirty) - changes.removed
        refresh_search(conn, searched, labels_held_back)
        if report.text_changed is not None:
            report.text_changed |= searched
    report.timed("index", clock)
    report.add("parse", parsed.seconds, parsed.cpu)  # complete once the records are read
    report.papers_added += len(changes.added)
    report.papers_updated += len(changes.dirty - changes.added - changes.removed)
    report.papers_removed += len(changes.removed)
    return FileResult(path, "changed" if known else "new", parsed.format, parsed.loaded, parsed.rejects)


def read_overrides(db: str | os.PathLike, path: str | os.PathLike | None) -> Overrides:
    """The overrides file given, else `overrides.txt` beside the database if there is one."""
    default = Path(db).parent / OVERRIDES_NAME
    if path is None and not default.exists():
        return Overrides()
    return load_overrides(path or default)


def queue_override_blocks(conn, overrides: Overrides) -> None:
    """Queue the blocks the overrides name now or named at the last import: an edited line,
    a new one and a removed one all take effect on the next import. Until they are resolved
    (`settle_override_blocks`), `override_blocks` keeps both, which resolution batches together."""
    with write_transaction(conn):
        before = {r[0] for r in conn.execute("SELECT block_key FROM override_blocks")}
        named = _named_blocks(overrides)
        _set_override_blocks(conn, named | before)
        queue_blocks(conn, named | before)


def settle_override_blocks(conn, overrides: Overrides) -> None:
    """Once the queued blocks are resolved, `override_blocks` holds the blocks the overrides name now."""
    with write_transaction(conn):
        _set_override_blocks(conn, _named_blocks(overrides))


def _named_blocks(overrides: Overrides) -> set[str]:
    return {block for pair in (*overrides.merges, *overrides.splits) for block, _ in pair}


def _set_override_blocks(conn, blocks: set[str]) -> None:
    if {r[0] for r in conn.execute("SELECT block_key FROM override_blocks")} != blocks:
        conn.execute("DELETE FROM override_blocks")
        conn.executemany("INSERT INTO override_blocks (block_key) VALUES (?)", [(k,) for k in sorted(blocks)])


def run_import(
    db: str | os.PathLike,
    paths: Iterable[str | os.PathLike],
    *,
    overrides_path: str | os.PathLike | None = None,
    progress: Callable[[FileResult], None] | None = None,
    watch: Watch | None = None,
    rehash: bool = False,
) -> ImportReport:
    """Import files and folders into the database (migrating it first); return the report.

    A file loaded before is skipped when its size and modification time are unchanged;
    `rehash` compares the content of every such file instead. `progress` gets each file's
    result; `watch` each `app.progress.Step` of the way (records into a file, blocks resolved).
    """
    started = time.monotonic()
    watch = watch or (lambda step: None)
    files = find_files(paths)
    ensure_schema(db)
    overrides = read_overrides(db, overrides_path)
    conn = connect(db)
    # Matching and resolution look up indexes all over a big database: keep more of it in memory.
    conn.execute(f"PRAGMA cache_size = -{IMPORT_CACHE_KIB}")
    conn.execute(f"PRAGMA wal_autocheckpoint = {IMPORT_CHECKPOINT_PAGES}")
    try:
        # The run keeps millions of small objects alive and makes no reference cycles worth
        # collecting mid-run; Python's cycle collector would rescan them all, again and again.
        gc.disable()
        started_at = now_utc()
        with write_transaction(conn):
            run_id = conn.execute(
                "INSERT INTO import_runs (started_at, status) VALUES (?, 'running')", (started_at,)
            ).lastrowid
            last_author = conn.execute("SELECT coalesce(max(id), 0) FROM authors").fetchone()[0]
        report = ImportReport(run_id, text_changed=set() if embedding.available() else None)
        queue_override_blocks(conn, overrides)
        queue_if_rules_changed(conn)
        if not conn.execute("SELECT EXISTS (SELECT 1 FROM papers)").fetchone()[0]:  # a bulk load
            defer_indexing(conn)
            defer_bulk_indexes(conn)
        labels_held_back = held_back(conn)
        for number, item in enumerate(parsed_files(conn, files, rehash=rehash), 1):
            try:
                at = Step("load", unit="records", path=str(item.path), file=number, files=len(files))
                result = (
                    item
                    if isinstance(item, FileResult)
                    else load_file(conn, run_id, item, overrides, report, watch, at, labels_held_back)
                )
            except sqlite3.DatabaseError as e:
                # The file's transaction was rolled back. The other files still load, unless the
                # database itself refused (locked, read-only, full, corrupt): then none would.
                if refusal(e, db) is not None:
                    raise
                result = FileResult(str(item.path), "failed", error=f"database error, file not loaded: {e}")
            report.files.append(result)
            if progress:
                progress(result)
        clock = report.clock()
        build_deferred_indexes(conn, lambda done, total: watch(Step("index", done, "indexes", done / total)))
        clock = report.timed("index", clock)
        resolve_pending(
            conn,
            overrides,
            now_utc(),
            partial(refresh_search, held_back=labels_held_back),
            lambda done, total: watch(Step("resolve", done, "blocks", done / total)),
            lambda done, total: watch(Step("author evidence", done, "papers", done / total)),
        )
        settle_override_blocks(conn, overrides)
        clock = report.timed("resolve", clock)
        # A bulk load finished by this run counts whole, however few papers this run added.
        watch(Step("index"))
        optimize_after_bulk_load(conn, max(report.papers_added, index_deferred(conn)))
        clock = report.timed("index", clock)
        # After the last write to the search index (files, or authors re-resolved alone).
        if not caches_are_current(conn):
            watch(Step("search lists"))
            with write_transaction(conn):
                report.search_lists = update_search_top(conn)
            clock = report.timed("search lists", clock)
        if report.text_changed is not None:  # only with the optional extra: an import without it writes no vectors
            watch(Step("vectors"))
            report.vectors = update_vectors(
                conn,
                report.text_changed,
                run_id,
                lambda done, total: watch(Step("vectors", done, "papers", done / total)),
            )
            report.timed("vectors", clock)
        # Net effect on authors: provisional authors merged away within the run do not count.
        report.authors_added, report.authors_updated = conn.execute(
            "SELECT count(*) FILTER (WHERE id > ?), count(*) FILTER (WHERE id <= ? AND updated_at >= ?) FROM authors",
            (last_author, last_author, started_at),
        ).fetchone()
        report.seconds = time.monotonic() - started
        with write_transaction(conn):
            conn.execute(
                "UPDATE import_runs SET finished_at = ?, status = ?, files_seen = ?, files_loaded = ?, "
                "files_skipped = ?, papers_added = ?, papers_updated = ?, papers_removed = ?, authors_added = ?, "
                "records_rejected = ? WHERE id = ?",
                (
                    now_utc(),
                    report.status,
                    len(report.files),
                    report.count("new") + report.count("changed"),
                    report.count("skipped"),
                    report.papers_added,
                    report.papers_updated,
                    report.papers_removed,
                    report.authors_added,
                    report.records_rejected,
                    run_id,
                ),
            )
        return report
    finally:
        conn.close()
        gc.enable()

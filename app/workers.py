"""Worker processes for imports, which never outlive the import that started them: a pool,
and a stream of items made in another process."""

from __future__ import annotations

import ctypes
import gc
import multiprocessing
import os
import pickle
import queue
import signal
import sys
import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

PR_SET_PDEATHSIG = 1  # linux/prctl.h
CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
PAGE_BYTES = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
# How often a reader waiting on a stream checks that its maker is still alive, in seconds.
ALIVE_CHECK_SECONDS = 1.0


def cpu_seconds() -> float:
    """CPU seconds used so far by this process and every process under it, live or ended (on
    Linux; elsewhere this process and its ended children only)."""
    ended = os.times()
    return time.process_time() + ended.children_user + ended.children_system + _live_descendants_cpu(os.getpid())


def _live_descendants_cpu(pid: int) -> float:
    """CPU seconds of the live processes under `pid`, from /proc (children by /proc's `children` file)."""
    total = 0.0
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return 0.0
    for child in children:
        try:
            fields = Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        # utime and stime: fields 14 and 15 of stat, counted from the state (field 3) here.
        total += (int(fields[11]) + int(fields[12])) / CLOCK_TICKS + _live_descendants_cpu(int(child))
    return total


def give_back_memory(above_mb: float = 0) -> None:
    """Return the memory that finished work freed to the system, not just to this process,
    if it holds more than `above_mb` resident.

    Imports turn the cycle collector off, and a process keeps what it frees: a resolution
    worker that clustered the biggest linked group of a million papers held 984 MB once
    that batch was gone. A full collection empties the interpreter's free lists, whose few
    objects keep whole arenas of freed memory (537 MB left), and glibc's `malloc_trim`
    hands back free pages amid the heap (141 MB left). Not after every small batch: memory
    handed back must be asked for again, and giving back before every batch made the
    resolution of 100k papers about a fifth slower (two A/B pairs).
    """
    if _resident_mb() <= above_mb:
        return
    gc.collect()
    if _malloc_trim is not None:
        _malloc_trim(0)


def _resident_mb() -> float:
    try:
        with open("/proc/self/statm", "rb") as f:
            return int(f.read().split()[1]) * PAGE_BYTES / 2**20
    except (OSError, ValueError, IndexError):
        return float("inf")  # not known here: always give back


def _libc_malloc_trim() -> Callable[[int], int] | None:
    try:
        return ctypes.CDLL(None).malloc_trim  # glibc only
    except (AttributeError, OSError, TypeError):
        return None


_malloc_trim = _libc_malloc_trim()


class WorkerDied(RuntimeError):
    """A worker process ended without finishing its work (killed, or out of memory)."""


def pool(workers: int, initializer: Callable[..., None] | None = None, initargs: tuple = ()) -> ProcessPoolExecutor:
    """A pool of `workers` spawned processes, each set up by `_start` and then `initializer`.

    spawn, not fork: a forked worker would inherit the import lock and hold it past a kill.
    """
    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_start,
        initargs=(initializer, initargs),
    )


def stream(make: Callable[..., Iterable], args: tuple, ahead: int) -> Iterator:
    """The items `make(*args)` yields, made in a spawned process while the caller uses earlier
    ones, at most `ahead` items ahead: memory holds a few items, never all of them.

    The maker's exception is raised here; a maker that dies raises WorkerDied. Closing the
    iterator early stops the maker.
    """
    context = multiprocessing.get_context("spawn")
    items = context.Queue(maxsize=ahead)
    maker = context.Process(target=_make_into, args=(items, make, args), daemon=True)
    maker.start()
    try:
        while True:
            kind, item = _next_message(items, maker, make.__name__)
            if kind == "done":
                return
            if kind == "error":
                raise item
            yield item
    finally:
        if maker.is_alive():
            maker.kill()
        maker.join()
        items.close()


def _next_message(items, maker, making: str) -> tuple[str, object]:
    """The maker's next (kind, item), checking every ALIVE_CHECK_SECONDS that it still runs."""
    while True:
        alive = maker.is_alive()
        try:
            # Once it has ended, what it sent just before is still in the pipe: one last look.
            return items.get(timeout=ALIVE_CHECK_SECONDS)
        except queue.Empty:
            if not alive:
                raise WorkerDied(f"the worker making {making} ended with exit code {maker.exitcode}") from None


def _make_into(items, make: Callable[..., Iterable], args: tuple) -> None:
    _start(None, ())
    try:
        for item in make(*args):
            items.put(("item", item))
    except Exception as e:  # the reader re-raises it
        items.put(("error", _picklable(e)))
    else:
        items.put(("done", None))


def _picklable(error: Exception) -> Exception:
    """The error itself if it can cross to the reader, else its traceback as a RuntimeError
    (the queue would drop an error it cannot pickle, and the reader would see only an exit)."""
    try:
        pickle.dumps(error)
        return error
    except Exception:
        return RuntimeError("".join(traceback.format_exception(error)))


def _start(initializer: Callable[..., None] | None, initargs: tuple) -> None:
    # Imports keep millions of small objects alive and make no cycles worth collecting.
    gc.disable()
    _die_with_parent()
    if initializer:
        initializer(*initargs)


def _die_with_parent() -> None:
    """Exit when the importing process dies, even by SIGKILL: an orphaned worker would wait on
    its pipe forever, holding the database and the import's output open."""
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        except (AttributeError, OSError):
            pass
    parent = multiprocessing.parent_process()
    if parent is not None and os.getppid() != parent.pid:  # it died before the request took hold
        os._exit(1)

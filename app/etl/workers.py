"""Worker processes for imports: a pool whose workers never outlive the import that started them."""
from __future__ import annotations

import ctypes
import gc
import multiprocessing
import os
import signal
import sys
from concurrent.futures import ProcessPoolExecutor
from typing import Callable

PR_SET_PDEATHSIG = 1  # linux/prctl.h


def pool(workers: int, initializer: Callable[..., None] | None = None, initargs: tuple = ()) -> ProcessPoolExecutor:
    """A pool of `workers` spawned processes, each set up by `_start` and then `initializer`.

    spawn, not fork: a forked worker would inherit the import lock and hold it past a kill.
    """
    return ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                               initializer=_start, initargs=(initializer, initargs))


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

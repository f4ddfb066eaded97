"""Two cores for one run: the second part of some work in a forked child, the first part here.

A forked child starts with everything the parent has built (the loaded files, the compiled
schema validators, the repository model) at no copying cost, so it can take half of a
CPU-bound, per-item stage and send back only its small result. The result must be the same as
when the parent does both parts itself: whenever forking is unsafe (no second core, another
thread running in the process) or the child fails in any way, the parent does the second part
too, so the only difference a fork makes is the time it takes.
"""

from __future__ import annotations

import gc
import os
import pickle
import signal
import tempfile
import threading
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")
U = TypeVar("U")


def _same(value: Any) -> Any:
    return value


def can_fork() -> bool:
    """Whether a child forked now can safely run Python code on a second core: fork exists, there
    is a second core, and this process runs one thread only (a lock held by another thread at the
    fork stays held forever in the child; the Helm engine's Go runtime runs threads that Python's
    ``threading`` does not see, so the count is the kernel's when it can tell)."""
    if not hasattr(os, "fork") or (os.cpu_count() or 1) < 2 or threading.active_count() > 1:
        return False
    try:
        return len(os.listdir("/proc/self/task")) == 1
    except OSError:
        return True


def in_two(here: Callable[[], T], there: Callable[[], U], pack: Callable[[U], Any] = _same,
           unpack: Callable[[Any], U] = _same) -> tuple[T, U]:
    """``(here(), there())``, with ``there`` run in a forked child at the same time when that is
    possible. ``there``'s result travels back pickled, through ``pack`` in the child and ``unpack``
    here (for what pickling would copy that must stay the parent's own: objects by index, say);
    its side effects stay in the child, so it must be a pure function of what the process holds now
    (caches it fills are simply lost)."""
    if not can_fork():
        return here(), there()
    try:
        buffer = tempfile.TemporaryFile()
    except OSError:  # no writable temporary folder: one process does both
        return here(), there()
    # Objects alive now are never garbage; frozen, the collector of either process does not walk
    # them (a walk writes to every object's header and so copies every page the two share).
    # Left frozen if they were already (validate.pipeline freezes what it has read).
    thawed = gc.get_freeze_count() == 0
    gc.freeze()
    # The child's result goes to an unnamed file, not a pipe: a pipe passes 64 KiB at a time, and on
    # a busy machine every one of those hand-overs waits for the child to be scheduled again.
    with buffer:
        try:
            pid = os.fork()
            if pid == 0:  # the child: compute, send, never return into the caller
                code = 1
                try:
                    payload = pickle.dumps(pack(there()), protocol=pickle.HIGHEST_PROTOCOL)
                    with open(buffer.fileno(), "wb", closefd=False) as out:
                        out.write(payload)
                    code = 0
                except BaseException:  # noqa: BLE001 - any failure means: the parent computes it
                    pass
                finally:
                    os._exit(code)
            try:
                mine = here()
            except BaseException:
                os.kill(pid, signal.SIGKILL)  # our own failure (or an interrupt): the child's work is moot
                raise
            finally:
                _, status = os.waitpid(pid, 0)
        finally:
            if thawed:
                gc.unfreeze()
        buffer.seek(0)
        payload = buffer.read() if status == 0 else b""
    if status != 0 or not payload:
        return mine, there()
    try:
        theirs = unpack(pickle.loads(payload))
    except Exception:  # noqa: BLE001 - a truncated payload: compute it here
        return mine, there()
    return mine, theirs

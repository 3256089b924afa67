"""Steps run one after another in a forked child process, their results read back here in order.

The cockpit starts this way (`start_in_child`): the child opens the history file, puts the demo's
hour in and reads the first views from it on the other core while this process imports and mounts
the UI (a thread would share the GIL with those imports), then closes the file for this process to
open.
"""

from __future__ import annotations

import math
import mmap
import os
import pickle
import signal
import struct
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from aiops_tui.errors import UserError, first_line

if TYPE_CHECKING:
    from aiops_tui.store.history import History


class ForkedSteps:
    """Fork at once and run `steps` in the child; `next()` returns their results here, one per call.

    Fork before this process opens DuckDB or starts a thread: the child inherits neither safely.
    Results travel pickled through a pipe (our own child's objects only).
    """

    def __init__(self, steps: Sequence[Callable[[], object]], *, what: str) -> None:
        self.what = what
        read_fd, write_fd = os.pipe()
        parent = os.getpid()
        pid = os.fork()
        if pid == 0:
            os.close(read_fd)
            _die_with(parent)
            _run_and_exit(write_fd, steps)
        os.close(write_fd)
        self._pid: int | None = pid
        self._pipe = os.fdopen(read_fd, "rb")
        self._lock = threading.Lock()
        self._left = len(steps)
        self._failure: UserError | None = None

    def next(self) -> object:
        """Wait for the next step's result. A step's failure is raised here: a UserError as it was
        raised there, anything else (or the child's death) as one line; later calls raise it again."""
        with self._lock:
            if self._failure is not None:
                raise self._failure
            if self._left <= 0:
                raise RuntimeError("every step's result has been read")
            self._left -= 1
            try:
                status, value = pickle.load(self._pipe)
            except (EOFError, OSError, pickle.UnpicklingError, ValueError, TypeError, AttributeError):
                status, value = "error", "the process died"
            if status == "raise":
                self._failure = value
            elif status != "ok":
                self._failure = UserError(f"{self.what} failed: {value}")
            last = self._left == 0 or self._failure is not None
        if last:
            self.close()
        if self._failure is not None:
            raise self._failure
        return value

    def close(self) -> None:
        """Stop the child if it is still at work (the cockpit quit first) and reap it."""
        with self._lock:
            pid, self._pid = self._pid, None
            self._left = 0
        if pid is None:
            return
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:
            pass
        self._pipe.close()


def start_in_child(path: Path, views_of: Callable[[History], object], *, what: str,
                   put: Callable[[History], object] | None = None, after: Callable[[History], object] | None = None,
                   then: Callable[[], object] | None = None,
                   check: Callable[[History], object] | None = None) -> ForkedSteps:
    """The cockpit's start in a forked child. Its three results, in order: None once it has opened (or
    created) the history file at `path` and `check` has passed it; the first views (`views_of`), once
    `put` has written into it (the demo's hour); `then()`'s result (the demo's model), once `after` has
    written what can wait for the views (the hour's rollups) and the file is closed. A failure to open
    the file, or `check`'s UserError, is raised here as its own one line, before any screen."""
    held: list[History] = []

    def open_file() -> None:
        from aiops_tui.store.history import History

        held.append(History.open(path))
        if check is not None:
            check(held[0])

    def first_views() -> object:
        if put is not None:
            put(held[0])
        return views_of(held[0])

    def close() -> object:
        with held.pop() as history:
            if after is not None:
                after(history)
        return then() if then is not None else None

    return ForkedSteps([open_file, first_views, close], what=what)


class SharedFigure:
    """One float the forked child writes and this process reads while it waits (how far the demo's
    backfill has got): a page of memory made before the fork, shared with the child; NaN until set."""

    _FORMAT = "d"

    def __init__(self) -> None:
        self._page = mmap.mmap(-1, struct.calcsize(self._FORMAT))  # anonymous and shared: the child writes here
        self.set(math.nan)

    def set(self, value: float) -> None:
        struct.pack_into(self._FORMAT, self._page, 0, value)  # no lock: a torn read would misstate one tick's progress

    def get(self) -> float | None:
        value = struct.unpack_from(self._FORMAT, self._page, 0)[0]
        return None if math.isnan(value) else value


PR_SET_PDEATHSIG = 1
"""Linux's prctl option: the signal the kernel sends this process when the thread that forked it ends."""


def _die_with(parent: int) -> None:
    """In the child: killed by the kernel once the cockpit's process is gone (SIGKILLed, or its SSH session
    dropped), instead of simulating a week's backfill for nobody while it holds the history file's lock.
    Without prctl (not Linux) the child ends at its next result instead, when the pipe is found closed."""
    import ctypes

    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # it was gone before prctl
        os._exit(1)


def _run_and_exit(write_fd: int, steps: Sequence[Callable[[], object]]) -> None:
    """The child's whole life: each step's result down the pipe as it comes, or one line on why it failed."""
    code = 0
    try:
        with os.fdopen(write_fd, "wb") as pipe:
            for step in steps:
                try:
                    message = ("ok", step())
                except UserError as exc:  # already one line for the user: raised as it is by the parent
                    message, code = ("raise", exc), 2
                except BaseException as exc:  # said in one line by the parent
                    message, code = ("error", first_line(exc) or type(exc).__name__), 2
                pickle.dump(message, pipe)
                pipe.flush()
                if code:
                    break
    finally:
        os._exit(code)  # never the parent's atexit handlers or buffered output

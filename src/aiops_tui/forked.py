"""Steps run one after another in a forked child process, their results read back here in order.

The demo starts this way: the child creates the history file, puts the hour in and builds the first
views from it on the other core while this process imports and mounts the UI (a thread would share
the GIL with those imports), then closes the file for this process to open.
"""

from __future__ import annotations

import os
import pickle
import signal
import threading
from collections.abc import Callable, Sequence

from aiops_tui.errors import UserError, first_line


class ForkedSteps:
    """Fork at once and run `steps` in the child; `next()` returns their results here, one per call.

    Fork before this process opens DuckDB or starts a thread: the child inherits neither safely.
    Results travel pickled through a pipe (our own child's objects only).
    """

    def __init__(self, steps: Sequence[Callable[[], object]], *, what: str) -> None:
        self.what = what
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(read_fd)
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

"""The cockpit's history as the panes reach it: open, still being opened, or absent.

At start the cockpit opens its history only once the first views are drawn, so a pane built meanwhile
may read or write before it is there. Worker threads wait for it (`history_when_open`); the UI's thread
only asks whether one is coming (`has_history`).
"""

from __future__ import annotations

from typing import Any

from textual.worker import get_current_worker

from aiops_tui.errors import HistoryError

WAIT_STEP_S = 0.1
"""How often a worker waiting for the history looks whether it was cancelled (the app quitting)."""


def has_history(cockpit: Any) -> bool:
    """The cockpit has a history open, or is opening it: what a pane keeps (a ticked step, a note, an
    assessment) goes there."""
    return getattr(cockpit, "history", None) is not None or bool(getattr(cockpit, "opening_history", False))


def read_only_history(cockpit: Any) -> bool:
    """The cockpit's history is open read-only (a review of a file): what a pane keeps cannot be written."""
    return bool(getattr(getattr(cockpit, "history", None), "read_only", False))


NO_HISTORY = "no history file: ticks, notes and incidents are not kept"
READ_ONLY = "this history is open read-only (a review): ticks, notes and incidents are not kept"


def not_kept(cockpit: Any) -> str | None:
    """Why ticks, notes and incidents cannot be kept (no history, or one open read-only); None when they can."""
    if not has_history(cockpit):
        return NO_HISTORY
    return READ_ONLY if read_only_history(cockpit) else None


def history_when_open(cockpit: Any) -> Any:
    """In a worker thread: the cockpit's history, waiting while the cockpit is still opening it, unless the
    worker is cancelled meanwhile. None without one."""
    worker = get_current_worker()
    while getattr(cockpit, "opening_history", False) and not worker.is_cancelled:
        cockpit.wait_history(WAIT_STEP_S)
    return getattr(cockpit, "history", None)


def history_to_write(cockpit: Any) -> Any:
    """`history_when_open`, for a write: raises when there is none to write to (its opening failed)."""
    history = history_when_open(cockpit)
    if history is None:
        raise HistoryError("the history could not be opened")
    return history

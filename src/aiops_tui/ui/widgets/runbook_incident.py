"""The incident line above the runbooks: the open incident (or how to start one), and starting, noting
and closing it through a prompt. Reads and writes go to the history from worker threads."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from rich.text import Text
from textual import work
from textual.widgets import Static

from aiops_tui.errors import first_line
from aiops_tui.signals import incidents
from aiops_tui.ui import fmt
from aiops_tui.ui.history import NO_HISTORY, READ_ONLY, history_to_write, history_when_open, not_kept
from aiops_tui.ui.safe import clean, plain
from aiops_tui.ui.screens.prompt import ConfirmScreen, PromptScreen
from aiops_tui.ui.widgets.runbook_state import IncidentStatus, incident_status


class IncidentLine(Static):
    DEFAULT_CSS = """
    IncidentLine { height: 1; padding: 0 1; background: $boost; text-wrap: nowrap; text-overflow: ellipsis; }
    IncidentLine.open { background: $error 25%; }
    """

    def __init__(self, cockpit: Callable[[], Any], clock: Callable[[], float], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._cockpit, self._clock = cockpit, clock
        self.status: IncidentStatus | None = None
        self.loaded_at = 0.0
        """time.monotonic() of the last read, so the pane can read again now and then."""

    def on_mount(self) -> None:
        self._draw()

    def _draw(self) -> None:
        status = self.status
        self.set_class(status is not None, "open")
        reason = not_kept(self._cockpit())
        if reason == NO_HISTORY:
            self.update(Text(NO_HISTORY, style="dim"))
        elif status is None and reason == READ_ONLY:
            self.update(Text.assemble("No incident open", (f" · {READ_ONLY}", "dim")))
        elif status is None:
            self.update(Text.assemble("No incident open", (" · i starts one: ticked steps and notes go on its timeline", "dim")))
        else:
            opened = f"open since {fmt.utc_time(status.opened_ts)} UTC" if status.opened_ts else "open"
            titled = status.title and status.title != status.id  # started without a title: it is its id
            keys = " · read-only (a review)" if reason == READ_ONLY else " · o adds a note · I closes it"
            self.update(Text.assemble(
                ("● INCIDENT ", "bold"), plain(status.id, style="bold"), f" {opened}",
                *((" · ", plain(status.title)) if titled else ()), *((" · ", plain(status.severity)) if status.severity else ()),
                (keys, "dim"),
            ))

    def _set(self, status: IncidentStatus | None) -> None:
        self.status = status
        self._draw()

    @work(thread=True, exclusive=True, group="runbook-incident", exit_on_error=False)
    def load(self) -> None:
        """Read the open incident (another process may have opened or closed one)."""
        self.loaded_at = time.monotonic()
        history = history_when_open(self._cockpit())
        if history is None:
            return
        try:
            status = incident_status(history)
        except Exception as exc:
            self.app.call_from_thread(self.notify, f"incident not read: {first_line(exc)}", severity="warning", markup=False)
            return
        self.app.call_from_thread(self._set, status)

    # -- asking and writing ------------------------------------------------------------------

    def _refused(self) -> bool:
        """Say why nothing can be kept, before asking for anything to keep."""
        reason = not_kept(self._cockpit())
        if reason is not None:
            self.notify(reason, severity="warning", markup=False)
        return reason is not None

    def start(self, suggested_title: str = "", severity: str = "") -> None:
        """Ask for a title (the alert's name suggested) and open an incident with the alert's `severity`."""
        if self._refused():
            return
        if self.status is not None:
            self.notify(f"incident {self.status.id} is open: o adds a note, I closes it", markup=False)
        else:
            self.app.push_screen(
                PromptScreen("Start an incident", "Its title on the timeline and in the post-mortem report.",
                             "what is happening", clean(suggested_title)),
                lambda title: self._write("start", title, severity) if title is not None else None,
            )

    def add_note(self) -> None:
        if self._refused():
            return
        if self.status is None:
            self.notify("no incident open: i starts one", markup=False)
            return
        self.app.push_screen(
            PromptScreen(f"Note on {self.status.id}", "A line for the incident's timeline.", "what you saw or did"),
            lambda text: self._write("note", text) if text else None,
        )

    def close(self) -> None:
        if self._refused():
            return
        if self.status is None:
            self.notify("no incident open", markup=False)
            return
        incident_id = self.status.id
        self.app.push_screen(
            ConfirmScreen("Close the incident", f"Close {incident_id} ({self.status.title})?"),
            lambda yes: self._write("close", incident_id) if yes else None,
        )

    @work(thread=True, group="runbook-write", exit_on_error=False)
    def _write(self, what: str, text: str, severity: str = "") -> None:
        now = self._clock()
        try:
            history = history_to_write(self._cockpit())
            if what == "start":
                incident_id = incidents.start_incident(history, text, now, severity)
                message = f"incident {incident_id} started"
            elif what == "note":
                incident_id = self.status.id if self.status else ""
                incidents.add_note(history, incident_id, text, now)
                message = f"note added to {incident_id}"
            else:
                incidents.close_incident(history, text, now)
                message = f"incident {text} closed"
            status = incident_status(history)
        except Exception as exc:  # an incident already open elsewhere, a read-only file: one line, keep going
            self.app.call_from_thread(self.notify, first_line(exc), severity="error", markup=False)
            return
        self.app.call_from_thread(self._set, status)
        self.app.call_from_thread(self.notify, message, markup=False, timeout=4)

"""Runbooks pane: the firing alerts and the runbooks on the left; on the right the open runbook (its front
matter, its body rendered chunk by chunk, its steps to tick with live PromQL values), and the incident above.

Every tick, note and incident goes to the history from a worker thread, so it is on the timeline and
survives a restart. Links are never opened: web links are shown and copied, `.md` links and anchors navigate.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, Markdown, OptionList
from textual.worker import Worker, WorkerState

from aiops_tui.cockpit import Views
from aiops_tui.errors import first_line
from aiops_tui.model import Alert, Labels
from aiops_tui.signals import incidents
from aiops_tui.signals.runbooks import Runbook, classify_link, load_runbook, load_runbooks, match_alert
from aiops_tui.ui import actions
from aiops_tui.ui.history import history_to_write, history_when_open, not_kept
from aiops_tui.ui.panes.base import Pane, alerts_as_of
from aiops_tui.ui.safe import clean
from aiops_tui.ui.widgets.runbook_body import task_line, title_heading
from aiops_tui.ui.widgets.runbook_header import RunbookHeader
from aiops_tui.ui.widgets.runbook_lists import AlertList, ContentsList, RunbookList, alert_key
from aiops_tui.ui.widgets.runbook_incident import IncidentLine
from aiops_tui.ui.widgets.runbook_state import IncidentStatus, Prepared, prepare, promql_results, runbook_dirs, utc_date
from aiops_tui.ui.widgets.runbook_steps import RunbookSteps, shell_labels
from aiops_tui.ui.widgets.runbook_viewer import RunbookViewer

VALUES_EVERY_S = 30.0
INCIDENT_EVERY_S = 15.0


@dataclass(frozen=True, slots=True)
class Location:
    """A place to go back to: a runbook, the alert that opened it (its labels fill `$VARIABLES`), a line."""

    runbook: Runbook
    alert: Alert | None = None
    rule: str = ""
    line: int | None = None

    def same_document(self, other: Location | None) -> bool:
        return other is not None and other.runbook is self.runbook and (
            (self.alert is None and other.alert is None)
            or (self.alert is not None and other.alert is not None and alert_key(self.alert) == alert_key(other.alert))
        )


class RunbooksPane(Pane):
    PANE_ID = "runbooks"
    TITLE = "Runbooks"
    HELP = (
        "Left: the firing alerts, most urgent first (by severity, then the newest; enter opens the runbook that "
        "answers one, its $VARIABLES filled from the alert's labels), the runbooks (/ filters) and the open "
        "runbook's contents. Right: its front matter, its body, and its steps: space or x ticks the selected "
        "one (kept in the history, on the incident's timeline), ▶ is a ```promql block's value now (several "
        "series named by the labels that tell them apart, one by its own), c copies a shell block (prompts and output left out; "
        "nothing is run). Links are never opened: web links are shown and copied, .md links and #anchors "
        "navigate; b and f go back and forward. i starts an incident, o adds a note to it, I closes it. The "
        "most urgent alert's runbook opens by itself; shown again after a more urgent one fired, the pane opens "
        "that one's instead, unless you have picked, moved through or ticked the one open."
    )
    BINDINGS = actions.pane_bindings("runbooks")
    DEFAULT_CSS = """
    RunbooksPane #runbooks-left { width: 38; }
    RunbooksPane #runbooks-right { width: 1fr; }
    RunbooksPane #runbooks-filter { height: 1; border: none; padding: 0 1; margin: 0 0 0 0; }
    RunbooksPane OptionList, RunbooksPane RunbookViewer { border: round $panel; }
    RunbooksPane OptionList { text-wrap: nowrap; text-overflow: ellipsis; }
    RunbooksPane OptionList:focus, RunbooksPane RunbookViewer:focus { border: round $primary; }
    RunbooksPane #runbook-steps { height: 12; }
    RunbooksPane #runbooks-list { height: auto; max-height: 14; }
    RunbooksPane #runbooks-contents { height: 1fr; max-height: 100%; }
    RunbooksPane.-narrow #runbooks-left { width: 26; }
    RunbooksPane.-short #runbook-steps { height: 7; }
    RunbooksPane.-short #runbooks-list { max-height: 7; }
    RunbooksPane.-short #runbooks-alerts { max-height: 5; }
    """

    def __init__(self, dirs: Sequence[Path | str] | None = None, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._dirs = list(dirs) if dirs is not None else None
        self.runbooks: list[Runbook] = []
        self.loaded = False
        self.location: Location | None = None
        self.prepared: Prepared | None = None
        self._back: list[Location] = []
        self._forward: list[Location] = []
        self._memory_ticks: dict[str, dict[int, bool]] = {}
        self._told_no_history = False
        self._values_at = 0.0
        self._focus_steps_when_open = False
        self._following: Labels | None = None
        """The firing alert the pane opened by itself, while the engineer has not moved from its runbook: when
        the pane is shown again and another alert has become the most urgent, it opens that one (b: back)."""
        self._left = False
        """Hidden (another pane shown) since it last showed views."""

    def compose(self) -> ComposeResult:
        yield IncidentLine(lambda: self.cockpit, self.now, id="runbooks-incident")
        with Horizontal():
            with Vertical(id="runbooks-left"):
                yield AlertList(id="runbooks-alerts")
                yield Input(placeholder="/ filter runbooks", id="runbooks-filter")
                yield RunbookList(id="runbooks-list")
                yield ContentsList(id="runbooks-contents")
            with Vertical(id="runbooks-right"):
                yield RunbookHeader(id="runbook-header")
                yield RunbookViewer(id="runbook-viewer")
                yield RunbookSteps(id="runbook-steps")

    # -- the cockpit -------------------------------------------------------------------------

    @property
    def cockpit(self) -> Any:
        return getattr(self.app, "cockpit", None)

    def now(self) -> float:
        clock = getattr(self.cockpit, "clock", None)
        return clock() if callable(clock) else time.time()

    # -- loading -----------------------------------------------------------------------------

    def on_mount(self) -> None:
        if self.app_leaving:  # quit as it mounted: Textual closed it before its children came
            return
        self.query_one("#runbook-steps", RunbookSteps).border_title = "Steps"
        self.query_one(RunbookList).border_title = "Runbooks"
        self.query_one(AlertList).border_title = "No alerts firing"
        self._show_document_parts(False)
        self._load_runbooks(runbook_dirs(self._dirs, getattr(self.cockpit, "runbook_dirs", None)))
        self.query_one(IncidentLine).load()

    @work(thread=True, group="runbooks-load", exit_on_error=False)
    def _load_runbooks(self, dirs: list[Path]) -> None:
        runbooks, errors = load_runbooks(dirs)
        self.app.call_from_thread(self._runbooks_loaded, runbooks, [first_line(e) for e in errors])

    def _runbooks_loaded(self, runbooks: list[Runbook], errors: list[str]) -> None:
        self.runbooks, self.loaded = runbooks, True
        self.query_one(RunbookList).show_runbooks(runbooks)
        if errors:
            more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
            self.notify(f"runbook not loaded: {clean(errors[0])}{more}", severity="warning", markup=False)
        self._open_first_alert()

    def show(self, views: Views) -> None:
        self.query_one(AlertList).show_alerts(views.alerts, alerts_as_of(views))
        if self._left and self._following is not None and self.loaded:
            self._open_most_urgent()
        self._left = False
        self._open_first_alert()
        clock = time.monotonic()
        if self.location is not None and clock - self._values_at > VALUES_EVERY_S:
            self._refresh_values()
        if clock - self.query_one(IncidentLine).loaded_at > INCIDENT_EVERY_S:
            self.query_one(IncidentLine).load()

    def on_hide(self) -> None:
        self._left = True

    def _most_urgent(self) -> Alert | None:
        return next((a for a in self.query_one(AlertList).alerts if a.state == "firing"), None)  # listed most urgent first

    def _open_most_urgent(self) -> bool:
        """Open the most urgent firing alert's runbook as the pane's own choice, followed until the engineer
        moves (unless it is the one open already); False when none fires."""
        first = self._most_urgent()
        if first is None:
            return False
        if first.identity != self._following:
            self.open_alert(first)
            self._following, self._focus_steps_when_open = first.identity, True
        return True

    def _open_first_alert(self) -> None:
        if self.location is not None or not self.loaded:
            return
        if self._open_most_urgent():
            return
        if self.query_one(RunbookViewer).mounted_chunks == 0 and not self.query("#runbook-empty"):
            self.run_worker(self.query_one(RunbookViewer).show_message(
                "No alert is firing. Pick a runbook on the left (enter), / filters the list."
            ), group="runbook-open", exit_on_error=False)

    def on_resize(self) -> None:
        self.set_class(self.app.size.width < 100, "-narrow")
        self.set_class(self.app.size.height < 32, "-short")

    def take_focus(self) -> None:
        focused = self.app.focused
        if focused is None or self not in focused.ancestors:
            steps = self.query_one(RunbookSteps)
            self.focus_now(steps if steps.display else self.query_one(RunbookList))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        # Workers run with exit_on_error=False: a file or a history we do not control must not end the cockpit.
        if event.state == WorkerState.ERROR and event.worker.error is not None:
            error = event.worker.error
            self.notify(f"runbooks: {first_line(error) or type(error).__name__}", severity="error", markup=False)

    # -- opening and navigating ----------------------------------------------------------------

    def open_alert(self, alert: Alert) -> None:
        found = match_alert(alert.name, alert.labels, alert.annotations, self.runbooks)
        self.navigate(Location(found.runbook, alert, found.rule))

    def open_runbook(self, runbook: Runbook, line: int | None = None) -> None:
        self.navigate(Location(runbook, line=line))

    def navigate(self, location: Location, *, push: bool = True) -> None:
        if push and self.location is not None:
            self._back.append(self.location)
            self._forward.clear()
        self._go(location)

    def _go(self, location: Location) -> None:
        self._following = None  # the engineer's choice from here on (the pane's own opening sets it again)
        previous, self.location = self.location, location
        self.query_one(RunbookList).mark_open(location.runbook)
        if location.same_document(previous) and self.prepared is not None:
            if location.line is not None:
                self._goto(location.line)
            return
        self._open(location)

    @work(exclusive=True, group="runbook-open", exit_on_error=False)
    async def _open(self, location: Location) -> None:
        runbook = location.runbook
        labels = dict(location.alert.labels) if location.alert else {}
        memory = self._memory_ticks.get(incidents.runbook_key(runbook), {})
        try:
            # Its ticks are read from the history, waited for while the cockpit is still opening it.
            prepared = await asyncio.to_thread(lambda: prepare(runbook, labels, history_when_open(self.cockpit), memory))
        except Exception as exc:  # a broken history read must not leave the pane blank
            self.notify(f"runbook ticks not read: {first_line(exc)}", severity="warning", markup=False)
            prepared = await asyncio.to_thread(prepare, runbook, labels, None, memory)
        if self.location is not location:
            return
        self.prepared = prepared
        self._show_document_parts(True)
        self.query_one(RunbookHeader).show_runbook(runbook, utc_date(self.now()), location.alert, location.rule)
        self.query_one(ContentsList).show_headings(runbook.headings, title_heading(runbook))
        steps = self.query_one(RunbookSteps)
        steps.show_items(prepared.items, prepared.ticked, {})
        self._title_steps()
        if self._focus_steps_when_open:  # opened for the first firing alert: its steps are what to do next
            self._focus_steps_when_open = False
            steps.focus()
        viewer = self.query_one(RunbookViewer)
        viewer.border_title = clean(runbook.path.name) if runbook.path else "no runbook file: the alert's own text"
        await viewer.show_chunks(prepared.chunks)
        if location.line is not None:
            await viewer.goto_line(location.line)
        self._refresh_values()

    def _show_document_parts(self, shown: bool) -> None:
        """The header, contents and steps have nothing to say until a runbook is open."""
        for selector in ("#runbook-header", "#runbooks-contents", "#runbook-steps"):
            self.query_one(selector).display = shown

    def _title_steps(self) -> None:
        steps = self.query_one(RunbookSteps)
        prepared = self.prepared
        total = len(prepared.runbook.steps) if prepared else 0
        done = sum(1 for s in prepared.runbook.steps if steps.is_ticked(s.index, s.done)) if prepared else 0
        steps.border_title = f"Steps {done}/{total} ticked" if total else "Steps: none in this runbook"
        steps.border_subtitle = "x tick · c copy · enter shows it above" if total or steps.option_count else ""

    def _goto(self, line: int) -> None:
        self.run_worker(self.query_one(RunbookViewer).goto_line(line), group="runbook-goto", exit_on_error=False)

    def action_go_back(self) -> None:
        if not self._back:
            self.notify("nothing to go back to", timeout=2)
            return
        if self.location is not None:
            self._forward.append(self.location)
        self._go(self._back.pop())

    def action_go_forward(self) -> None:
        if not self._forward:
            self.notify("nothing to go forward to", timeout=2)
            return
        if self.location is not None:
            self._back.append(self.location)
        self._go(self._forward.pop())

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        source = event.option_list
        if isinstance(source, AlertList) and (alert := source.selected()) is not None:
            self.open_alert(alert)
        elif isinstance(source, RunbookList) and (runbook := source.selected()) is not None:
            self.open_runbook(runbook)
        elif isinstance(source, ContentsList) and (heading := source.selected()) is not None:
            self._goto(heading.line)
        elif isinstance(source, RunbookSteps) and (item := source.selected()) is not None:
            self._goto(item.line)

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.query_one(RunbookList).filter(event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.query_one(RunbookList).focus()

    def action_focus_filter(self) -> None:
        self.query_one("#runbooks-filter", Input).focus()

    def _move(self, down: bool) -> None:
        self._following = None  # at work on this runbook: it stays
        focused = self.app.focused
        target = focused if isinstance(focused, OptionList) and self in focused.ancestors else self.query_one(RunbookSteps)
        target.action_cursor_down() if down else target.action_cursor_up()

    def action_next_item(self) -> None:
        self._move(down=True)

    def action_previous_item(self) -> None:
        self._move(down=False)

    # -- the incident (the line above the pane keeps and writes it) ------------------------------

    @property
    def incident(self) -> IncidentStatus | None:
        return self.query_one(IncidentLine).status

    def action_start_incident(self) -> None:
        self._following = None  # at work on this runbook: it stays
        alert = self.location.alert if self.location else None
        self.query_one(IncidentLine).start(alert.name if alert else "", alert.labels.get("severity", "") if alert else "")

    def action_add_note(self) -> None:
        self.query_one(IncidentLine).add_note()

    def action_close_incident(self) -> None:
        self.query_one(IncidentLine).close()

    # -- links ---------------------------------------------------------------------------------

    async def on_markdown_link_clicked(self, event: Markdown.LinkClicked) -> None:
        event.stop()
        try:
            await self.follow_link(event.href)
        except Exception as exc:  # a link in a file we do not control must never take the cockpit down
            self.notify(f"link not followed: {first_line(exc) or type(exc).__name__}", severity="warning", markup=False)

    async def follow_link(self, href: str) -> None:
        location = self.location
        current = location.runbook if location else None
        target = classify_link(href, current.path if current else None)
        shown = clean(target.target)
        if target.kind == "external":
            self.app.copy_to_clipboard(target.target)
            self.notify(f"{shown}\n(not opened; copied to the clipboard)", title="Web link", markup=False, timeout=10)
        elif target.kind == "anchor" and current is not None:
            line = current.anchor_line(target.anchor)
            if line is None:
                self.notify(f"no heading #{clean(target.anchor)} in this runbook", severity="warning", markup=False)
            else:
                self.navigate(replace(location, line=line))
        elif target.kind == "runbook":
            runbook = await self._runbook_at(Path(target.target))
            if runbook is None:
                self.notify(f"no runbook at {shown}", severity="warning", markup=False)
                return
            line = runbook.anchor_line(target.anchor) if target.anchor else None
            alert, rule = (location.alert, location.rule) if location else (None, "")
            self.navigate(Location(runbook, alert, rule if alert else "", line))
        else:
            what = "a file" if target.kind == "file" else "not a link the cockpit follows"
            self.notify(f"{shown}\n({what}; shown, not opened)", title="Link", markup=False, timeout=8)

    async def _runbook_at(self, path: Path) -> Runbook | None:
        wanted = path.resolve()
        for runbook in self.runbooks:
            if runbook.path is not None and runbook.path.resolve() == wanted:
                return runbook
        if not wanted.is_file():
            return None
        try:
            runbook = await asyncio.to_thread(load_runbook, wanted)
        except Exception as exc:
            self.notify(first_line(exc), severity="warning", markup=False)
            return None
        self.runbooks.append(runbook)
        return runbook

    # -- steps, blocks and values ------------------------------------------------------------

    async def action_tick_step(self) -> None:
        self._following = None  # at work on this runbook: it stays
        prepared, item = self.prepared, self.query_one(RunbookSteps).selected()
        if prepared is None or item is None:
            self.notify("no step selected", timeout=2)
            return
        if item.step_index is None:
            self.notify("this block is not inside a step: nothing to tick", timeout=3)
            return
        step = prepared.runbook.steps[item.step_index]
        done = not self.query_one(RunbookSteps).is_ticked(step.index, step.done)
        await self._show_tick(step.index, done)
        reason = not_kept(self.cockpit)
        if reason is not None:  # walked through all the same, kept in memory
            self._memory_ticks.setdefault(incidents.runbook_key(prepared.runbook), {})[step.index] = done
            if not self._told_no_history:
                self._told_no_history = True
                self.notify(reason, severity="warning", markup=False)
            return
        self._write_tick(prepared.runbook, step.index, done)

    async def _show_tick(self, step_index: int, done: bool) -> None:
        prepared = self.prepared
        if prepared is None:
            return
        self.query_one(RunbookSteps).set_ticked({step_index: done})
        self._title_steps()
        line = prepared.runbook.steps[step_index].line
        index = line - prepared.runbook.body_line
        if 0 <= index < len(prepared.lines):
            prepared.lines[index] = task_line(prepared.lines[index], done)
            await self.query_one(RunbookViewer).replace_lines({line: prepared.lines[index]})

    @work(thread=True, group="runbook-write", exit_on_error=False)
    def _write_tick(self, runbook: Runbook, step_index: int, done: bool) -> None:
        try:
            history = history_to_write(self.cockpit)
            incident = incidents.current_incident(history)
            incidents.tick_step(history, runbook, step_index, done, self.now(), incident=incident)
        except Exception as exc:  # a read-only review file, a full disk: undo the tick on screen and say so
            self.app.call_from_thread(self._tick_failed, runbook, step_index, done, first_line(exc))

    async def _tick_failed(self, runbook: Runbook, step_index: int, done: bool, error: str) -> None:
        if self.prepared is not None and self.prepared.runbook is runbook:
            await self._show_tick(step_index, not done)
        self.notify(f"step not recorded: {clean(error)}", severity="error", markup=False)

    def action_copy_block(self) -> None:
        self._following = None  # at work on this runbook: it stays
        prepared, item = self.prepared, self.query_one(RunbookSteps).selected()
        if prepared is None or item is None:
            self.notify("select a shell block ($ …) in the steps list first", timeout=3)
            return
        if item.kind != "shell":
            step_index = item.step_index
            items = self.query_one(RunbookSteps).items
            item = next((i for i in items if i.kind == "shell" and step_index is not None and i.step_index == step_index), None)
            if item is None:
                self.notify("no shell block here: select a $ line in the steps list", timeout=3)
                return
        text = item.text.rstrip("\n")
        if not text.strip():
            self.notify("this block has no command to copy (only sample output)", timeout=3)
            return
        self.app.copy_to_clipboard(text + "\n")
        labels = self.location.alert.labels if self.location and self.location.alert else {}
        _, unsafe = shell_labels(prepared.runbook, labels)
        left = f"\n${', $'.join(unsafe)} left as written: the alert's value has shell characters" if unsafe else ""
        self.notify(
            f"{clean_block(text)}\n\nIf your terminal blocks OSC 52, select this text.{left}",
            title="Copied to the clipboard (not run)", markup=False, timeout=15,
        )

    def _refresh_values(self) -> None:
        if self.location is not None and self.location.runbook.promql_blocks:
            self._values_at = time.monotonic()
            self._fetch_values(self.location)

    @work(exclusive=True, group="runbook-values", exit_on_error=False)
    async def _fetch_values(self, location: Location) -> None:
        labels = dict(location.alert.labels) if location.alert else {}
        values = await promql_results(location.runbook, labels, self.cockpit)
        if self.location is not None and self.location.runbook is location.runbook:
            self.query_one(RunbookViewer).set_values(values)
            self.query_one(RunbookSteps).set_values(values)


def clean_block(text: str) -> str:
    """A copied command for a notification: control characters gone, line breaks kept."""
    return "\n".join(clean(line) for line in text.split("\n"))

"""Runbooks pane (placeholder): the runbook for each firing alert, with steps to tick. Being built separately; replace this class."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Static

from aiops_tui.cockpit import Views
from aiops_tui.ui.panes.base import Pane


class RunbooksPane(Pane):
    PANE_ID = "runbooks"
    TITLE = "Runbooks"
    HELP = "The runbook for each firing alert, its steps to tick (kept as the incident timeline) and live PromQL values."
    DEFAULT_CSS = """
    RunbooksPane { padding: 1 2; }
    RunbooksPane #runbooks-placeholder { color: $text-muted; }
    """

    def compose(self) -> ComposeResult:
        yield Static("Runbooks will be here: the runbook for each firing alert, with steps to tick.", id="runbooks-placeholder")

    def show(self, views: Views) -> None:
        firing = sum(1 for a in views.alerts if a.state == "firing")
        self.query_one("#runbooks-placeholder", Static).update(
            f"Runbooks will be here: the runbook for each firing alert, with steps to tick. ({firing} alerts firing now)"
        )

"""The runbook's front matter as a compact header: title; severity, owner, last review (flagged when
overdue); and, when an alert opened it, which alert and how it matched. The viewer's border names the file."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from rich.text import Text
from textual.widgets import Static

from aiops_tui.model import Alert
from aiops_tui.signals.runbooks import Runbook
from aiops_tui.ui.safe import plain
from aiops_tui.ui.widgets.runbook_lists import telling_labels

REVIEW_MAX_AGE_DAYS = 180
SEVERITY_STYLES = {"critical": "bold red", "page": "bold red", "warning": "bold yellow", "info": "bold cyan"}
MATCH_WORDS = {
    "alerts": "via its alerts: list",
    "filename": "via its file name",
    "runbook_url": "via the alert's runbook_url",
    "synthetic": "no runbook file: the alert's own text",
}
MAX_LABELS_SHOWN = 4


def header_text(runbook: Runbook, today: date, alert: Alert | None = None, rule: str = "") -> Text:
    lines = [plain(runbook.title, style="bold")]
    facts: list[Text] = []
    if runbook.severity:
        facts.append(plain(runbook.severity, style=SEVERITY_STYLES.get(runbook.severity.lower(), "bold")))
    if runbook.owner:
        facts.append(Text.assemble(("owner ", "dim"), plain(runbook.owner)))
    if runbook.last_reviewed is not None:
        reviewed = Text.assemble(("reviewed ", "dim"), runbook.last_reviewed.isoformat())
        if runbook.review_overdue(today, REVIEW_MAX_AGE_DAYS):
            age_days = (today - runbook.last_reviewed).days
            reviewed.append(f" ⚠ review overdue ({age_days} days)", style="bold yellow")
        facts.append(reviewed)
    elif not runbook.synthetic:
        facts.append(Text("never reviewed", style="dim"))
    if facts:
        lines.append(Text(" · ", style="dim").join(facts))
    if alert is not None:
        lines.append(alert_line(alert, rule, runbook.variables))
    return Text("\n", no_wrap=True, overflow="ellipsis").join(lines)


def alert_line(alert: Alert, rule: str, variables: Mapping[str, str]) -> Text:
    """`for LLMCircuitBreakerOpen (firing) · upstream=openai/gpt-4o · named in its alerts:`."""
    line = Text.assemble(("for ", "dim"), plain(alert.name, style="bold"), (f" ({alert.state})", "dim"))
    for key, value in telling_labels(alert, set(variables.values()))[:MAX_LABELS_SHOWN]:
        line.append(" · ", style="dim")
        line.append_text(plain(f"{key}={value}"))
    if rule:
        line.append(" · ", style="dim")
        line.append(MATCH_WORDS.get(rule, rule), style="dim")
    return line


class RunbookHeader(Static):
    DEFAULT_CSS = """
    RunbookHeader { height: auto; max-height: 3; padding: 0 1; text-wrap: nowrap; text-overflow: ellipsis; }
    """

    def show_runbook(self, runbook: Runbook, today: date, alert: Alert | None = None, rule: str = "") -> None:
        self.update(header_text(runbook, today, alert, rule))

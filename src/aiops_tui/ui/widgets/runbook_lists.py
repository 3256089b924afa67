"""The runbook pane's left column: the firing alerts, the runbooks (filtered by what is typed) and the
open runbook's table of contents. Names come from files and alert labels, so each is drawn literally."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence

from rich.text import Text
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from aiops_tui.model import Alert
from aiops_tui.signals.runbooks import Heading, Runbook
from aiops_tui.ui.safe import plain

MAX_ALERT_LABELS = 2


NOISY_LABELS = ("job", "instance")
"""Labels every alert carries: shown after the ones that tell alerts apart (upstream, model), in this
order (a gateway's name before its host and port)."""


def alert_key(alert: Alert) -> tuple:
    return (alert.name, tuple(sorted(alert.labels.items())))


FIRST_LABELS = ("upstream", "model", "source")
"""The labels that say what an alert is about: shown first."""


def telling_labels(
    alert: Alert, first: Collection[str] = FIRST_LABELS, among: Iterable[Alert] = (),
) -> list[tuple[str, str]]:
    """The alert's labels to show, in order: those in `first`, then those whose values tell it from the other
    alerts of its name in `among` (two gateways' breakers on one upstream differ by `job`), then the rest,
    `job` and `instance` last."""
    siblings = [other for other in among if other.name == alert.name and other.identity != alert.identity]
    telling = {k for k, v in alert.labels.items() if any(other.labels.get(k) != v for other in siblings)}
    shown = [(k, v) for k, v in alert.labels.items() if k not in ("alertname", "severity")]
    last = {name: rank for rank, name in enumerate(NOISY_LABELS, 1)}
    return sorted(shown, key=lambda kv: (kv[0] not in first, kv[0] not in telling, last.get(kv[0], 0), kv[0]))


def _urgent_first(alert: Alert) -> tuple:
    """Firing before pending; then by severity (critical first), the newest first, and by name: the pane opens
    the first firing alert's runbook, and an alert just told in a toast is near the top."""
    return (alert.state != "firing", alert.severity_rank, -(alert.active_since or 0.0), alert.name,
            sorted(alert.labels.items()))


def _keep_highlight(option_list: OptionList, index: int | None) -> None:
    if option_list.option_count:
        option_list.highlighted = min(index or 0, option_list.option_count - 1)


class AlertList(OptionList):
    """Firing alerts first, then pending; one line for the name, one for its distinguishing labels."""

    DEFAULT_CSS = """
    AlertList { height: auto; max-height: 9; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.alerts: list[Alert] = []

    def show_alerts(self, alerts: Sequence[Alert], as_of: str = "") -> None:
        """`as_of`: under the list when the alerts' source is down ("as of 18:29:50 · prometheus down")."""
        ordered = sorted(alerts, key=_urgent_first)
        firing = sum(1 for a in ordered if a.state == "firing")
        pending = len(ordered) - firing
        words = [f"{firing} firing"] if firing else []
        words += [f"{pending} pending"] if pending else []
        self.border_title = f"Alerts: {', '.join(words)}" if words else "No alerts firing"
        self.border_subtitle = as_of
        if [alert_key(a) + (a.state,) for a in ordered] == [alert_key(a) + (a.state,) for a in self.alerts]:
            return
        highlighted = self.highlighted
        self.alerts = ordered
        self.set_options(Option(self._prompt(alert, ordered)) for alert in ordered)
        _keep_highlight(self, highlighted)

    def selected(self) -> Alert | None:
        index = self.highlighted
        return self.alerts[index] if index is not None and 0 <= index < len(self.alerts) else None

    @staticmethod
    def _prompt(alert: Alert, shown: Sequence[Alert]) -> Text:
        mark = ("● ", "bold red") if alert.state == "firing" else ("◐ ", "bold yellow")
        head = Text.assemble(mark, plain(alert.name, style="bold"), no_wrap=True, overflow="ellipsis")
        labels = [f"{k}={v}" for k, v in telling_labels(alert, among=shown)]
        if not labels:
            return head
        detail = plain("  " + " ".join(labels[:MAX_ALERT_LABELS]), style="dim")
        return Text("\n", no_wrap=True, overflow="ellipsis").join([head, detail])


class RunbookList(OptionList):
    """Every loaded runbook by title; `filter` keeps those whose title, file name or alerts contain it."""

    DEFAULT_CSS = """
    RunbookList { height: 1fr; min-height: 4; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.runbooks: list[Runbook] = []
        self.shown: list[Runbook] = []
        self.query_text = ""

    def show_runbooks(self, runbooks: Sequence[Runbook]) -> None:
        self.runbooks = list(runbooks)
        self.filter(self.query_text)

    def filter(self, text: str) -> None:
        self.query_text = text.strip()
        needle = self.query_text.casefold()
        self.shown = [r for r in self.runbooks if not needle or needle in _haystack(r)]
        self.set_options(Option(plain(r.title)) for r in self.shown)
        _keep_highlight(self, 0)
        total = len(self.runbooks)
        self.border_title = f"Runbooks {len(self.shown)}/{total}" if needle else f"Runbooks {total}"

    def selected(self) -> Runbook | None:
        index = self.highlighted
        return self.shown[index] if index is not None and 0 <= index < len(self.shown) else None

    def mark_open(self, runbook: Runbook | None) -> None:
        """Highlight the runbook on screen when it is in the filtered list."""
        for index, shown in enumerate(self.shown):
            if shown is runbook:
                self.highlighted = index
                return


def _haystack(runbook: Runbook) -> str:
    name = runbook.path.name if runbook.path else ""
    return " ".join([runbook.title, name, *runbook.alerts]).casefold()


class ContentsList(OptionList):
    """The open runbook's headings (levels 1-3), indented by level; selecting one scrolls the viewer there."""

    DEFAULT_CSS = """
    ContentsList { height: auto; max-height: 12; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.headings: list[Heading] = []

    def show_headings(self, headings: Sequence[Heading], skip: Heading | None = None) -> None:
        self.headings = [h for h in headings if h.level <= 3 and h is not skip]
        top = min((h.level for h in self.headings), default=1)
        self.set_options(Option(plain("  " * (h.level - top) + h.title)) for h in self.headings)
        self.border_title = "Contents"

    def selected(self) -> Heading | None:
        index = self.highlighted
        return self.headings[index] if index is not None and 0 <= index < len(self.headings) else None

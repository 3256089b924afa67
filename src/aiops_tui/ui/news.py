"""What changed between two reads of the live views that an engineer should hear of on any pane: an alert
that started firing or resolved, a breaker that opened or closed again, a source lost or back, the history's
gap filled from a source at the start. The app shows each as a toast.

The app tells each live read against the live read before it, once a poll cycle has landed: before that the
sources have not said what fires, and what fired already is on the status line. A review and a look back in
time tell nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from aiops_tui.cockpit import Views
from aiops_tui.model import Alert
from aiops_tui.ui import fmt
from aiops_tui.ui.safe import clean
from aiops_tui.ui.widgets.runbook_lists import MAX_ALERT_LABELS, telling_labels

MOST = 4
"""Toasts from one read at the most; past it, the last one counts the rest."""
ALARM_S = 15.0
"""How long a toast that asks for action stays (an alert firing, a breaker open); others go sooner."""
ALL_CLEAR_S = 6.0
REPEAT_S = 60.0
"""The same change of the same thing (`News.key`) is not told again sooner: what flaps at every poll is told
once a minute."""
_DEGRADED = frozenset({"open", "half_open"})
_STATE_SHOWN = {"open": "OPEN", "half_open": "HALF-OPEN"}
_LOST = frozenset({"stale", "down"})


@dataclass(frozen=True, slots=True)
class News:
    key: tuple
    """What changed, and how: ("alert", its identity, "firing"). Two alerts may read alike in a title."""
    title: str
    message: str
    severity: str
    """Textual's toast severity: information, warning or error."""
    timeout_s: float


def news(before: Views | None, after: Views) -> list[News]:
    """The changes from `before` to `after` worth a toast, the ones that ask for action first. With no read
    before (`after` is the first since a cycle landed), only the history's gap filled: what fires already is
    on the status line."""
    if before is None:
        return _fill_news(None, after)
    alarms, all_clear = _source_news(before, after)
    all_clear += _fill_news(before, after)
    opened, closed = _breaker_news(before, after)
    alarms += opened
    all_clear += closed
    was_firing, firing = _firing(before), _firing(after)
    alarms += [_fired(alert, after.at, after.alerts)
               for identity, alert in firing.items() if identity not in was_firing]
    all_clear += [
        News(("alert", identity, "resolved"), f"{_alert_title(alert, before.alerts)} resolved", "no longer firing",
             "information",
             ALL_CLEAR_S)
        for identity, alert in was_firing.items() if identity not in firing
    ]
    found = alarms + all_clear
    if len(found) > MOST:
        rest = len(found) - MOST + 1
        more = News(("more",), f"{rest} more changes", "3 shows the breakers, 4 the alerts and their runbooks",
                    "warning" if len(alarms) >= MOST else "information", ALARM_S)
        found = found[:MOST - 1] + [more]
    return found


class Teller:
    """`news` between successive reads, less what was told in the last REPEAT_S."""

    def __init__(self) -> None:
        self._told: dict[tuple, float] = {}

    def tell(self, before: Views | None, after: Views) -> list[News]:
        self._told = {key: at for key, at in self._told.items() if after.at - at < REPEAT_S}
        fresh = [item for item in news(before, after) if item.key not in self._told]
        self._told.update((item.key, after.at) for item in fresh)
        return fresh


def _firing(views: Views) -> dict:
    return {alert.identity: alert for alert in views.alerts if alert.state == "firing"}


def _fired(alert: Alert, at: float, among: Sequence[Alert]) -> News:
    severity = alert.labels.get("severity", "")
    summary = clean(alert.annotations.get("summary", "")).strip()
    since = f"since {fmt.utc_time_near(alert.active_since, at)} · " if alert.active_since is not None else ""
    title = f"{_alert_title(alert, among)} firing" + (f" · {clean(severity)}" if severity else "")
    return News(("alert", alert.identity, "firing"), title,
                (f"{summary}\n" if summary else "") + f"{since}4 lists it with its runbook",
                "error" if alert.severity_rank == 0 else "warning", ALARM_S)


def _alert_title(alert: Alert, among: Sequence[Alert]) -> str:
    """Its name and the values of the labels the alerts list shows under it ("LLMCircuitBreakerOpen
    (openai/gpt-4o, tier_1)"; "(openai/gpt-4o, gw-2)" where gw-2's breaker is one of several alike)."""
    told = [clean(value) for _, value in telling_labels(alert, among=among)[:MAX_ALERT_LABELS]]
    return clean(alert.name) + (f" ({', '.join(told)})" if told else "")


def _breaker_news(before: Views, after: Views) -> tuple[list[News], list[News]]:
    """A breaker that left closed, and one back to closed. Open and half-open alternate while an upstream
    stays down (a trial call every few seconds): that is one outage, told once when it starts and once when
    it ends."""
    was = {row.upstream: row.state for row in before.breakers.rows}
    opened, closed = [], []
    for row in after.breakers.rows:
        name, degraded_before = clean(row.upstream), was.get(row.upstream) in _DEGRADED
        if row.state in _DEGRADED and not degraded_before:
            fallback = f"its calls go to {clean(row.fallback)}" if row.fallback else "no fallback configured"
            opened.append(News(("breaker", row.upstream, "left closed"), f"breaker {_STATE_SHOWN[row.state]}: {name}",
                               f"{fallback}\n3 shows the breakers", "error", ALARM_S))
        elif row.state == "closed" and degraded_before:
            closed.append(News(("breaker", row.upstream, "closed"), f"breaker closed: {name}",
                               "calls to it go through again", "information", ALL_CLEAR_S))
    return opened, closed


def _fill_news(before: Views | None, after: Views) -> list[News]:
    """The history's gap before the start, filled from a source's own history, or why it was not."""
    was = {source.name: (source.filled, source.fill_error) for source in (before.sources if before else ())}
    told = []
    for source in after.sources:
        if (source.filled, source.fill_error) == was.get(source.name, (None, None)):
            continue
        name = clean(source.name)
        if source.filled:
            told.append(News(("source", source.name, "filled"), f"history filled from {name}",
                             f"{clean(source.filled)}: the charts start before the cockpit did", "information",
                             ALL_CLEAR_S))
        elif source.fill_error:
            told.append(News(("source", source.name, "not filled"), f"history not filled from {name}",
                             f"{clean(source.fill_error)}\nthe charts start with the first poll", "warning",
                             ALL_CLEAR_S))
    return told


def _source_news(before: Views, after: Views) -> tuple[list[News], list[News]]:
    """A source that was ok and is now stale or down (the panes it feeds keep their last values), and one
    that is ok again. Stale then down is one loss, told once; a source still waiting on its first poll
    tells nothing."""
    was = {source.name: source.state for source in before.sources}
    lost, back = [], []
    for source in after.sources:
        name = clean(source.name)
        if source.state in _LOST and was.get(source.name) == "ok":
            why = f"{clean(source.error)}\n" if source.error else ""
            lost.append(News(("source", source.name, "lost"), f"{name} {source.state}",
                             f"{why}the panes it feeds keep its last values",
                             "error" if source.state == "down" else "warning", ALARM_S))
        elif source.state == "ok" and was.get(source.name) in _LOST:
            back.append(News(("source", source.name, "back"), f"{name} ok again", "its values are current",
                             "information", ALL_CLEAR_S))
    return lost, back

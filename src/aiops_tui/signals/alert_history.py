"""The alerts that were firing at a past instant, from the `alert` events the poller records as each
one starts firing and resolves: what the status line, the runbooks pane and its alert list show when
looking back, or reviewing a file with no poller at all.

A poller that starts afresh knows nothing firing, so an alert that resolved while no cockpit was
polling has no `resolved` event: the `source` event of its source's first answer to a new poller
(from no state) ends what that source had said was firing. Alerts recorded without their source
(before it was recorded) are not ended that way. Pending alerts are not recorded at all.
"""

from __future__ import annotations

from collections.abc import Iterable

from aiops_tui.model import Alert, Event, make_labels


def firing_at(events: Iterable[Event]) -> list[Alert]:
    """The alerts whose last event (oldest first, up to the instant; `alert` and `source` events) says
    firing, in the order they fired."""
    return [
        Alert(e.subject, "firing", dict(e.detail.get("labels") or {}), dict(e.detail.get("annotations") or {}),
              active_since=e.ts)
        for e in firing_events_at(events)
    ]


def firing_events_at(events: Iterable[Event]) -> list[Event]:
    """The `alert` events that started the alerts still firing after `events` (oldest first, up to the
    instant), in the order they fired."""
    firing: dict = {}  # identity -> the event that started it
    for event in events:
        if event.kind == "source" and event.from_state is None:  # a new poller: it knows nothing before
            firing = {identity: e for identity, e in firing.items() if e.detail.get("source") != event.subject}
            continue
        if event.kind != "alert":
            continue
        identity = make_labels(event.detail.get("labels") or {}, alertname=event.subject)
        firing.pop(identity, None)  # a re-fire moves it to the end, with its new start
        if event.to_state == "firing":
            firing[identity] = event
    return list(firing.values())

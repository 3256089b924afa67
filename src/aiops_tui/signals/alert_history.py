"""The alerts that were firing at a past instant, from the `alert` events the poller records as each
one starts firing and resolves: what the status line, the runbooks pane and its alert list show when
looking back, or reviewing a file with no poller at all.

A poller that starts afresh knows nothing firing, so an alert that resolved while no cockpit was
polling has no `resolved` event: the `source` event of its source's first answer to a new poller
(from no state) ends what that source had said was firing. Alerts recorded without their source
(before it was recorded) are not ended that way. Pending alerts are not recorded at all.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable

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
    last = last_events(events, "alert", lambda e: make_labels(e.detail.get("labels") or {}, alertname=e.subject))
    return [e for e in last if e.to_state == "firing"]


def last_events(events: Iterable[Event], kind: str, key: Callable[[Event], Hashable]) -> list[Event]:
    """The last `kind` event of each `key` after `events` (oldest first), in the order they came (a later
    one moves its key to the end). A source's first answer to a new poller (a `source` event from no
    state) ends what that source had said: the new poller knows nothing from before it."""
    last: dict = {}
    for event in events:
        if event.kind == "source" and event.from_state is None:
            last = {k: e for k, e in last.items() if e.detail.get("source") != event.subject}
        elif event.kind == kind:
            last.pop(k := key(event), None)
            last[k] = event
    return list(last.values())

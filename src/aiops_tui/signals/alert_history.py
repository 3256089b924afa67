"""The alerts that were firing at a past instant, from the `alert` events the poller records as each
one starts firing and resolves: what the status line, the runbooks pane and its alert list show when
looking back, or reviewing a file with no poller at all.

Pending alerts are not recorded, so none are known for the past. An alert that resolved while no
cockpit was polling has no `resolved` event and reads as firing until it fires and resolves again.
"""

from __future__ import annotations

from collections.abc import Iterable

from aiops_tui.model import Alert, Event, make_labels


def firing_at(events: Iterable[Event]) -> list[Alert]:
    """The alerts whose last event (oldest first, up to the instant) says firing, in the order they fired."""
    firing: dict = {}
    for event in events:
        if event.kind != "alert":
            continue
        labels = event.detail.get("labels") or {}
        identity = make_labels(labels, alertname=event.subject)
        firing.pop(identity, None)  # a re-fire moves it to the end, with its new start
        if event.to_state == "firing":
            annotations = event.detail.get("annotations") or {}
            firing[identity] = Alert(event.subject, "firing", dict(labels), dict(annotations), active_since=event.ts)
    return list(firing.values())

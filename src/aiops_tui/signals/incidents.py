"""The incident timeline, kept as events in the history: incidents opened and closed, free-text notes
and runbook steps ticked, read back together with the alerts and breaker transitions of the span."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable

from aiops_tui.errors import UserError
from aiops_tui.model import Event
from aiops_tui.signals.alert_history import firing_events_at, last_events
from aiops_tui.signals.runbook_doc import Runbook, Step, sanitize_text

if TYPE_CHECKING:
    from aiops_tui.store.history import History

INCIDENT, NOTE, STEP = "incident", "note", "runbook_step"
TIMELINE_KINDS = (INCIDENT, NOTE, STEP, "alert", "breaker", "source")
"""What an incident's timeline shows; `source` events say when a gateway or Prometheus went down."""
MAX_TEXT_CHARS = 4000


class IncidentError(UserError):
    """An incident action that cannot be done (none open, unknown id), said in one line."""


@dataclass(frozen=True, slots=True)
class Incident:
    id: str
    title: str
    opened_ts: float
    closed_ts: float | None
    """None while it is open."""
    severity: str = ""
    """The severity of the alert it was started from ("critical", "warning"); empty when none was."""

    @property
    def is_open(self) -> bool:
        return self.closed_ts is None


# --- writing ------------------------------------------------------------------------------------


def start_incident(history: "History", title: str, now: float, severity: str = "") -> str:
    """Open an incident and return its id (`INC-20261125-0412`: UTC date and time it opened), with the
    severity of the alert it was started from, if any (the post-mortem report's severity).

    One incident is open at a time, so ticks and notes are never ambiguous: close it first.
    """
    already = current_incident(history)
    if already is not None:
        raise IncidentError(f"incident {already} is still open; close it before starting another")
    stamp = datetime.fromtimestamp(now, tz=timezone.utc).strftime("INC-%Y%m%d-%H%M")
    taken = {incident.id for incident in incidents(history)}
    incident_id, n = stamp, 2
    while incident_id in taken:
        incident_id, n = f"{stamp}-{n}", n + 1
    detail = {"title": _clean(title) or incident_id}
    if severity := _clean(severity):
        detail["severity"] = severity
    history.write_events([Event(now, INCIDENT, incident_id, None, "open", detail)])
    return incident_id


def close_incident(history: "History", incident_id: str, now: float) -> None:
    incident = _require(history, incident_id)
    if not incident.is_open:
        raise IncidentError(f"incident {incident_id} is already closed")
    history.write_events([Event(now, INCIDENT, incident_id, "open", "closed", {"title": incident.title})])


def add_note(history: "History", incident_id: str, text: str, now: float) -> Event:
    """Put a free-text note on an incident's timeline (open or closed: post-mortem notes count)."""
    _require(history, incident_id)
    cleaned = _clean(text)
    if not cleaned:
        raise IncidentError("an empty note was not added")
    event = Event(now, NOTE, incident_id, None, None, {"incident": incident_id, "text": cleaned})
    history.write_events([event])
    return event


def tick_step(
    history: "History", runbook: Runbook | str | Path, step: Step | int, done: bool, now: float,
    incident: str | None = None,
) -> Event:
    """Record a runbook step ticked (`done`) or unticked, with `incident` (pass `current_incident()`
    to attach it; None records it with no incident). Subject: `<runbook file name>#<step index>`."""
    name = runbook_key(runbook)
    index = step.index if isinstance(step, Step) else int(step)
    if isinstance(step, Step):
        text = step.text
    elif isinstance(runbook, Runbook) and 0 <= index < len(runbook.steps):
        text = runbook.steps[index].text
    else:
        text = ""
    event = Event(
        now, STEP, f"{name}#{index}", None, "done" if done else "undone",
        {"incident": incident, "runbook": name, "step": index, "text": _clean(text)},
    )
    history.write_events([event])
    return event


def runbook_key(runbook: Runbook | str | Path) -> str:
    """The name step events carry for a runbook: its file name (a synthetic one: its title)."""
    if isinstance(runbook, Runbook):
        return runbook.path.name if runbook.path is not None else _clean(runbook.title)
    return Path(runbook).name


def _clean(text: str) -> str:
    return sanitize_text(str(text)).strip()[:MAX_TEXT_CHARS]


# --- reading ------------------------------------------------------------------------------------


def incidents(history: "History") -> list[Incident]:
    """Every incident in the history, oldest first."""
    found: dict[str, Incident] = {}
    for event in _events(history, "kind = $kind", {"kind": INCIDENT}):
        title = str(event.detail.get("title", "")) or event.subject
        seen = found.get(event.subject)
        if event.to_state == "open":
            opened = seen.opened_ts if seen else event.ts
            severity = seen.severity if seen else str(event.detail.get("severity", ""))
            found[event.subject] = Incident(event.subject, seen.title if seen else title, opened, None, severity)
        elif event.to_state == "closed" and seen is not None:
            found[event.subject] = Incident(seen.id, seen.title, seen.opened_ts, event.ts, seen.severity)
    return sorted(found.values(), key=lambda i: (i.opened_ts, i.id))


def find_incident(history: "History", incident_id: str) -> Incident | None:
    return next((i for i in incidents(history) if i.id == incident_id), None)


def current_incident(history: "History") -> str | None:
    """The id of the incident open now (the latest opened, should several be), or None."""
    open_ones = [i for i in incidents(history) if i.is_open]
    return open_ones[-1].id if open_ones else None


def ticked_steps(history: "History", runbook: Runbook | str | Path) -> dict[int, bool]:
    """step index -> ticked, for the steps of this runbook ever ticked or unticked (latest event wins)."""
    name = runbook_key(runbook)
    states: dict[int, bool] = {}
    for event in _events(history, "kind = $kind AND starts_with(subject, $prefix)", {"kind": STEP, "prefix": f"{name}#"}):
        step = event.detail.get("step")
        if isinstance(step, int) and event.detail.get("runbook") == name:
            states[step] = event.to_state == "done"
    return states


def lead_up(before: Iterable[Event]) -> list[Event]:
    """What stood when an incident opened, from the events before it (oldest first): the `alert` event
    that started each alert still firing, and the last transition of each breaker not closed then. A
    source's first answer to a new poller (a `source` event from no state) ends what it had said, as
    for the alerts (`alert_history.last_events`)."""
    events = list(before)
    breakers = last_events(events, "breaker", lambda e: (e.subject, e.detail.get("source")))
    standing = [e for e in breakers if e.to_state != "closed"]
    return sorted([*firing_events_at(events), *standing], key=lambda e: e.ts)


def timeline(history: "History", incident_id: str, *, kinds: Iterable[str] = TIMELINE_KINDS) -> list[Event]:
    """Everything on an incident's timeline, oldest first: what stood when it opened (`lead_up`), its own
    open/close, its notes and the steps ticked for it, and the alerts, breaker transitions, source changes
    and unattached ticks of its span."""
    incident = _require(history, incident_id)
    until = incident.closed_ts if incident.closed_ts is not None else math.inf
    wanted = set(kinds)
    every = _events(history, "list_contains($kinds, kind)", {"kinds": sorted(wanted | {"source"})})
    out = [e for e in lead_up(e for e in every if e.ts < incident.opened_ts) if e.kind in wanted]
    for event in every:
        if event.kind not in wanted:
            continue
        in_span = incident.opened_ts <= event.ts <= until
        if event.kind == INCIDENT:
            keep = event.subject == incident_id
        elif event.kind == NOTE:
            keep = event.detail.get("incident") == incident_id
        elif event.kind == STEP:
            attached = event.detail.get("incident")
            keep = attached == incident_id or (attached is None and in_span)
        else:
            keep = in_span
        if keep:
            out.append(event)
    return out


def _require(history: "History", incident_id: str) -> Incident:
    incident = find_incident(history, incident_id)
    if incident is None:
        known = ", ".join(i.id for i in incidents(history)[-5:]) or "none yet"
        raise IncidentError(f"no incident {incident_id!r} in {history.path} (latest: {known})")
    return incident


def _events(history: "History", where: str, params: dict[str, Any]) -> list[Event]:
    with history.reading() as cursor:
        rows = cursor.execute(
            f"""SELECT epoch_us(ts) / 1e6, kind, subject, from_state, to_state, CAST(detail AS VARCHAR)
                FROM events WHERE {where} ORDER BY ts, rowid""",
            params,
        ).fetchall()
    return [
        Event(ts=ts, kind=kind, subject=subject, from_state=from_state, to_state=to_state, detail=json.loads(detail))
        for ts, kind, subject, from_state, to_state, detail in rows
    ]

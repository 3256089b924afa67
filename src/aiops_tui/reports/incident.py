"""`aiops-tui report incident ID`: the post-mortem timeline of one incident, from the history's events.

The incident UI (`signals/incidents.py`) writes, and this report reads, these events (`events`
table; `ts` is when it happened, `detail` a JSON object):

- kind `incident`: subject = the incident id (e.g. "INC-20260114-1402"); opened with from_state
  NULL and to_state "open", closed with from_state "open" and to_state "closed"; detail
  {"title": str, "severity": str when started from an alert (its severity label)}. A later "open"
  reopens it.
- kind `note`: subject = the incident id; from_state and to_state NULL; detail
  {"incident": id, "text": str}.
- kind `runbook_step`: subject = "<runbook file name>#<step index>"; from_state NULL; to_state
  "done" when ticked, "undone" when unticked; detail {"incident": id or null, "runbook": the
  runbook's file name, "step": the step's index (from 0), "text": the step's text}.

The timeline holds, in time order, what stood when the incident opened (the events that started the
alerts still firing and put the breakers not closed in their state, at negative offsets), the
incident's own open/close events and notes, the steps ticked for it, and every alert, breaker
transition, source change and unattached step tick between its opening and its closing (or the end
of the history while it is still open): the same rules as `signals.incidents.timeline`.
Without an ID the report lists the incidents in the file.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiops_tui.errors import UserError
from aiops_tui.model import Event
from aiops_tui.reports.render import Column, Report, Section
from aiops_tui.signals.incidents import lead_up

if TYPE_CHECKING:
    from aiops_tui.store.history import History

CONTEXT_KINDS = ("alert", "breaker", "source")
OWN_KINDS = ("incident", "note", "runbook_step")

TIMELINE_COLUMNS = (
    Column("time", "time"), Column("offset"), Column("kind"), Column("subject"), Column("change"), Column("detail"),
)
LIST_COLUMNS = (Column("incident"), Column("opened", "time"), Column("closed", "time"), Column("title"),
                Column("severity"))


def incident_events(history: "History") -> list[Event]:
    cur = history.cursor()
    rows = cur.execute("SELECT min(epoch_us(ts)) / 1e6, max(epoch_us(ts)) / 1e6 FROM events WHERE kind = 'incident'").fetchone()
    if rows[0] is None:
        return []
    return history.events(rows[0], rows[1], kinds=["incident"])


def incident_span(events: list[Event], incident_id: str) -> tuple[float, float | None, dict[str, Any]]:
    """(opened, closed or None while open, detail) of the first time `incident_id` was opened."""
    opened = closed = None
    detail: dict[str, Any] = {}
    for event in events:
        if event.subject != incident_id:
            continue
        if event.to_state == "open" and opened is None:
            opened, detail = event.ts, dict(event.detail)
        elif event.to_state == "open" and closed is not None:
            closed = None  # reopened: the timeline runs on
        elif event.to_state == "closed" and opened is not None:
            closed = event.ts
    if opened is None:
        known = sorted({e.subject for e in events})
        hint = f"; incidents in this file: {', '.join(known[:10])}" if known else "; this file records no incident"
        raise UserError(f"no incident {incident_id!r} in the history{hint}")
    return opened, closed, detail


def _offset(seconds: float) -> str:
    sign = "-" if seconds < 0 else "+"
    whole = int(round(abs(seconds)))
    return f"{sign}{whole // 3600:02d}:{whole // 60 % 60:02d}:{whole % 60:02d}"


def describe(event: Event) -> str:
    """The one-line detail the timeline shows for an event."""
    d = event.detail or {}
    if event.kind == "incident":
        return str(d.get("title", ""))
    if event.kind == "note":
        return str(d.get("text", ""))
    if event.kind == "runbook_step":
        return str(d.get("text", ""))  # the subject names the runbook and the step
    if event.kind == "alert":
        annotations = d.get("annotations") or {}
        labels = d.get("labels") or {}
        return str(annotations.get("summary") or ", ".join(f"{k}={v}" for k, v in sorted(labels.items())))
    if event.kind == "breaker":
        return f"source {d['source']}" if d.get("source") else ""
    if event.kind == "source":
        return str(d.get("error", ""))
    return ""


def belongs(event: Event, incident_id: str, opened: float, closed: float | None) -> bool:
    in_span = opened <= event.ts and (closed is None or event.ts <= closed)
    if event.kind == "incident":
        return event.subject == incident_id
    if event.kind == "note":
        return (event.detail or {}).get("incident") == incident_id
    if event.kind == "runbook_step":
        attached = (event.detail or {}).get("incident")
        return attached == incident_id or (attached is None and in_span)
    return event.kind in CONTEXT_KINDS and in_span


def build(history: "History", incident_id: str | None, *, newest: float) -> Report:
    events = incident_events(history)
    if not incident_id:
        return _listing(events)
    opened, closed, detail = incident_span(events, incident_id)
    first, last = history.cursor().execute("SELECT min(epoch_us(ts)) / 1e6, max(epoch_us(ts)) / 1e6 FROM events").fetchone()
    every = history.events(first, last, kinds=[*OWN_KINDS, *CONTEXT_KINDS])
    shown = [*lead_up(e for e in every if e.ts < opened), *(e for e in every if belongs(e, incident_id, opened, closed))]
    rows = []
    for event in shown:
        change = f"{event.from_state or '—'} → {event.to_state}" if event.to_state else ""
        rows.append((event.ts, _offset(event.ts - opened), event.kind, event.subject, change, describe(event)))
    title = str(detail.get("title") or incident_id)
    facts = [
        ("incident", incident_id), ("title", title), ("severity", detail.get("severity")),
        ("opened_utc", opened), ("closed_utc", closed),
        ("duration_s", closed - opened if closed is not None else None),
        ("state", "closed" if closed is not None else f"open (history ends {_offset(newest - opened)} after it opened)"),
    ]
    heading = f"Incident {incident_id}" if title == incident_id else f"Incident {incident_id}: {title}"  # untitled: once
    return Report("incident", heading, facts, [Section("timeline", TIMELINE_COLUMNS, rows)])


def _listing(events: list[Event]) -> Report:
    ids = list(dict.fromkeys(e.subject for e in events))
    rows = []
    for incident_id in ids:
        opened, closed, detail = incident_span(events, incident_id)
        rows.append((incident_id, opened, closed, detail.get("title", ""), detail.get("severity", "")))
    return Report("incident", "Incidents", [("incidents", len(rows))], [Section("incidents", LIST_COLUMNS, rows)])

"""What the runbook pane reads and writes off the UI thread: the runbook prepared for the viewer with its
ticks, promql values, and the incident kept in the history. Plain functions; the pane runs them in workers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from aiops_tui.errors import first_line
from aiops_tui.resources import shipped_dir
from aiops_tui.signals import incidents
from aiops_tui.signals.runbooks import Runbook
from aiops_tui.sources import promql_values
from aiops_tui.ui.widgets.runbook_body import Chunk, render_lines, split_chunks
from aiops_tui.ui.widgets.runbook_steps import StepItem, step_items


@dataclass(frozen=True, slots=True)
class Prepared:
    """A runbook ready to draw for one alert's labels: its lines, chunks, steps list and ticks."""

    runbook: Runbook
    labels: Mapping[str, str]
    lines: list[str]
    chunks: list[Chunk]
    items: list[StepItem]
    ticked: dict[int, bool]


@dataclass(frozen=True, slots=True)
class IncidentStatus:
    id: str
    title: str
    opened_ts: float
    severity: str = ""


def runbook_dirs(explicit: Sequence[Path | str] | None, configured: Sequence[Path | str] | None) -> list[Path]:
    """`explicit` dirs as given; otherwise the configured dirs that exist, then the shipped runbooks."""
    if explicit is not None:
        return [Path(d) for d in explicit]
    dirs = [Path(d) for d in configured or () if Path(d).exists()]
    return dirs + [shipped_dir("runbooks")]


def prepare(runbook: Runbook, labels: Mapping[str, str], history: Any, memory_ticks: Mapping[int, bool]) -> Prepared:
    """Everything the viewer and the steps list need, ticks read from the history (or memory without one)."""
    ticked = {s.index: s.done for s in runbook.steps}
    if history is not None and runbook.steps:
        ticked.update(incidents.ticked_steps(history, runbook))
    ticked.update(memory_ticks)
    lines = render_lines(runbook, labels, ticked)
    return Prepared(runbook, dict(labels), lines, split_chunks(runbook, lines), step_items(runbook, labels), ticked)


async def promql_results(runbook: Runbook, labels: Mapping[str, str], cockpit: Any) -> dict[int, str]:
    """Each promql block's value line by the file line of its fence: from the configured Prometheus, else
    (the demo) from the history for bare `aiops_*` names, else "needs Prometheus"."""
    import asyncio

    blocks = runbook.promql_blocks
    if not blocks:
        return {}
    queries = promql_values.filled_queries(blocks, runbook, labels)
    prometheus = getattr(cockpit, "prometheus", None)
    history = getattr(cockpit, "history", None)
    try:
        if prometheus is not None:
            results = await promql_values.instant_values(prometheus, queries, prometheus.timeout_s)
        elif history is not None:
            results = await asyncio.to_thread(promql_values.local_values, history, queries, at=cockpit.clock())
        else:
            return {b.line: promql_values.NEEDS_PROMETHEUS for b in blocks}
    except Exception as exc:  # a value line is a nicety: say why in it, never fail the pane
        return {b.line: f"error: {first_line(exc) or type(exc).__name__}" for b in blocks}
    return {b.line: r.text for b, r in zip(blocks, results)}


def incident_status(history: Any) -> IncidentStatus | None:
    incident_id = incidents.current_incident(history)
    if incident_id is None:
        return None
    found = incidents.find_incident(history, incident_id)
    if found is None:
        return IncidentStatus(incident_id, incident_id, 0.0)
    return IncidentStatus(incident_id, found.title, found.opened_ts, found.severity)


def utc_date(ts: float):
    return datetime.fromtimestamp(ts, tz=timezone.utc).date()

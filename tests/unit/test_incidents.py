"""The incident timeline in the history: incidents, notes and ticked steps survive a restart, and the
timeline lists them in order with the alerts and breaker transitions of the incident's span."""

from __future__ import annotations

from pathlib import Path

import pytest

from aiops_tui.model import Batch, Event
from aiops_tui.signals.incidents import (
    IncidentError,
    add_note,
    close_incident,
    current_incident,
    find_incident,
    start_incident,
    tick_step,
    ticked_steps,
    timeline,
)
from aiops_tui.signals.runbooks import load_runbook
from aiops_tui.store.history import History
from history_builders import T0

RUNBOOK = Path(__file__).resolve().parents[2] / "runbooks" / "llm-circuit-breaker-open.md"
BREAKER_LABELS = {"labels": {"upstream": "openai/gpt-4o"}, "annotations": {}}


def poller_events(*events: Event) -> list[Batch]:
    return [Batch("derived", T0, [], list(events))]


def test_ticks_notes_and_the_incident_survive_closing_and_reopening_the_file(tmp_path):
    path = tmp_path / "h.duckdb"
    runbook = load_runbook(RUNBOOK)
    with History.open(path) as history:
        incident = start_incident(history, "gpt-4o breaker open", T0 + 60)
        tick_step(history, runbook, runbook.steps[0], True, T0 + 70, incident=incident)
        tick_step(history, runbook, 2, True, T0 + 80, incident=incident)
        tick_step(history, runbook, 2, False, T0 + 90, incident=incident)  # unticked: the latest wins
        add_note(history, incident, "provider status page confirms the outage", T0 + 95)
    with History.open(path) as history:
        assert incident == "INC-20260101-0001"  # opened 2026-01-01 00:01 UTC
        assert current_incident(history) == incident
        assert ticked_steps(history, runbook) == {0: True, 2: False}
        assert ticked_steps(history, "elsewhere/llm-circuit-breaker-open.md") == {0: True, 2: False}  # keyed by file name
        assert ticked_steps(history, "llm-error-ratio-high.md") == {}
        close_incident(history, incident, T0 + 600)
    with History.open(path, read_only=True) as history:
        assert current_incident(history) is None
        found = find_incident(history, incident)
        assert (found.title, found.opened_ts, found.closed_ts) == ("gpt-4o breaker open", T0 + 60, T0 + 600)
        assert ticked_steps(history, runbook) == {0: True, 2: False}
        notes = [e for e in timeline(history, incident) if e.kind == "note"]
        assert [n.detail for n in notes] == [{"incident": incident, "text": "provider status page confirms the outage"}]


def test_the_timeline_lists_the_span_in_order_with_the_exact_event_shapes(tmp_path):
    runbook = load_runbook(RUNBOOK)
    with History.open(tmp_path / "h.duckdb") as history:
        history.write_cycle(poller_events(Event(T0, "alert", "LLMCacheHitRateLow", "inactive", "firing", {})))  # before, still firing
        history.write_cycle(poller_events(Event(T0 + 10, "alert", "LLMFallbackRateSpike", "inactive", "firing", {})))
        history.write_cycle(poller_events(Event(T0 + 20, "alert", "LLMFallbackRateSpike", "firing", "resolved", {})))  # gone
        history.write_cycle(poller_events(Event(T0 + 50, "breaker", "openai/gpt-4o", "closed", "open", {"source": "gw"})))
        history.write_cycle(poller_events(Event(T0 + 55, "alert", "LLMCircuitBreakerOpen", "inactive", "firing", BREAKER_LABELS)))
        incident = start_incident(history, "gpt-4o breaker open", T0 + 60)
        tick_step(history, runbook, 0, True, T0 + 70, incident=incident)
        tick_step(history, runbook, 1, True, T0 + 75)  # no incident given, but inside the span
        history.write_cycle(poller_events(Event(T0 + 80, "breaker", "openai/gpt-4o", "open", "half_open", {"source": "gw"})))
        add_note(history, incident, "waiting for the breaker to probe", T0 + 85)
        history.write_cycle(poller_events(Event(T0 + 120, "alert", "LLMCircuitBreakerOpen", "firing", "resolved", BREAKER_LABELS)))
        close_incident(history, incident, T0 + 200)
        history.write_cycle(poller_events(Event(T0 + 300, "breaker", "openai/gpt-4o", "half_open", "closed", {"source": "gw"})))
        add_note(history, incident, "post-mortem: raise the provider quota", T0 + 400)  # after closing, still its note

        events = timeline(history, incident)
    # First what stood at the opening: the alerts still firing and the breaker still open, as they began.
    assert [(e.ts - T0, e.kind, e.subject, e.to_state) for e in events] == [
        (0, "alert", "LLMCacheHitRateLow", "firing"),
        (50, "breaker", "openai/gpt-4o", "open"),
        (55, "alert", "LLMCircuitBreakerOpen", "firing"),
        (60, "incident", incident, "open"),
        (70, "runbook_step", "llm-circuit-breaker-open.md#0", "done"),
        (75, "runbook_step", "llm-circuit-breaker-open.md#1", "done"),
        (80, "breaker", "openai/gpt-4o", "half_open"),
        (85, "note", incident, None),
        (120, "alert", "LLMCircuitBreakerOpen", "resolved"),
        (200, "incident", incident, "closed"),
        (400, "note", incident, None),
    ]
    assert events[3].detail == {"title": "gpt-4o breaker open"}
    assert events[4].detail == {
        "incident": incident, "runbook": "llm-circuit-breaker-open.md", "step": 0, "text": runbook.steps[0].text,
    }
    assert events[5].detail["incident"] is None
    assert events[7].detail == {"incident": incident, "text": "waiting for the breaker to probe"}


def test_one_incident_at_a_time_with_unique_ids_and_one_line_errors(tmp_path):
    with History.open(tmp_path / "h.duckdb") as history:
        first = start_incident(history, "first", T0 + 60)
        with pytest.raises(IncidentError, match=f"incident {first} is still open"):
            start_incident(history, "second", T0 + 70)
        close_incident(history, first, T0 + 80)
        second = start_incident(history, "second", T0 + 90)  # the same minute: a suffix keeps ids unique
        assert (first, second) == ("INC-20260101-0001", "INC-20260101-0001-2")
        with pytest.raises(IncidentError, match="already closed"):
            close_incident(history, first, T0 + 100)
        with pytest.raises(IncidentError, match="no incident 'INC-nope'"):
            timeline(history, "INC-nope")
        with pytest.raises(IncidentError, match="empty note"):
            add_note(history, second, " \x1b[31m ", T0 + 100)
        add_note(history, second, "colour \x1b[31mred\x1b[0m stripped", T0 + 110)
        assert timeline(history, second)[-1].detail["text"] == "colour red stripped"

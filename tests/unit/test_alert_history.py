"""The alerts firing at a past instant, rebuilt from the alert events a real poller wrote to a real
history: what a review of the file and a look back in the live cockpit show."""

from __future__ import annotations

import asyncio
from pathlib import Path

from aiops_tui.cockpit import Cockpit
from aiops_tui.model import Alert, Event
from aiops_tui.recorder import Recorder
from aiops_tui.signals.alert_history import firing_at
from aiops_tui.store.history import History
from clocks import HandClock
from test_poller import ScriptedSource

T0 = 1_796_000_000.0
BREAKER = Alert("LLMCircuitBreakerOpen", "firing", {"upstream": "openai/gpt-4o", "severity": "page"}, {"summary": "open"})
OTHER = Alert("LLMCircuitBreakerOpen", "firing", {"upstream": "anthropic/claude", "severity": "page"}, {"summary": "open"})
LATENCY = Alert("LLMLatencyP95High", "firing", {"severity": "page"}, {"summary": "p95 4.2 s"})


def names(alerts) -> list[tuple[str, str]]:
    return [(a.name, a.labels.get("upstream", "")) for a in alerts]


def test_the_last_event_of_each_alert_decides_and_a_refire_starts_again() -> None:
    fired = lambda ts, alert: Event(ts, "alert", alert.name, "inactive", "firing", {"labels": dict(alert.labels)})  # noqa: E731
    resolved = lambda ts, alert: Event(ts, "alert", alert.name, "firing", "resolved", {"labels": dict(alert.labels)})  # noqa: E731
    events = [fired(1, BREAKER), fired(2, OTHER), resolved(3, BREAKER), fired(4, LATENCY), fired(5, BREAKER)]
    alerts = firing_at(events)
    assert names(alerts) == [("LLMCircuitBreakerOpen", "anthropic/claude"), ("LLMLatencyP95High", ""),
                             ("LLMCircuitBreakerOpen", "openai/gpt-4o")]
    assert [a.active_since for a in alerts] == [2, 4, 5]  # the re-fire's own start
    assert firing_at(events[:3]) == [Alert(OTHER.name, "firing", dict(OTHER.labels), {}, 2)]


def test_review_and_looking_back_show_the_alerts_firing_then(tmp_path: Path) -> None:
    clock = HandClock(T0)
    # Polls at T0, +60, +120, +180: the breaker fires at T0 and resolves at +120; latency fires at +60.
    script = [([], [BREAKER]), ([], [BREAKER, LATENCY]), ([], [LATENCY]), ([], [LATENCY])]
    source = ScriptedSource("prometheus", clock, script, interval_s=60.0)
    with History.open(tmp_path / "h.duckdb") as history:
        recorder = Recorder(history, [source], clock=clock)
        for _ in script:
            asyncio.run(recorder.poller.run_cycle())
            clock.now += 60
        clock.now = T0 + 200
        live = Cockpit(history, poller=recorder.poller, clock=clock)
        assert names(live.views().alerts) == [("LLMLatencyP95High", "")]  # now: the poller's own
        assert names(live.views(at=T0 + 30).alerts) == [("LLMCircuitBreakerOpen", "openai/gpt-4o")]
        then = live.views(at=T0 + 90).alerts
        assert names(then) == [("LLMCircuitBreakerOpen", "openai/gpt-4o"), ("LLMLatencyP95High", "")]
        assert then[0].annotations == {"summary": "open"} and then[1].active_since == T0 + 60
        assert live.views(at=T0 - 1).alerts == []  # before anything fired
    with History.open(tmp_path / "h.duckdb", read_only=True) as history:
        review = Cockpit(history, clock=lambda: T0 + 180)  # no poller: a file under review
        assert names(review.views().alerts) == [("LLMLatencyP95High", "")]
        assert names(review.views(at=T0 + 60).alerts) == [("LLMCircuitBreakerOpen", "openai/gpt-4o"), ("LLMLatencyP95High", "")]


def test_a_new_pollers_first_answer_ends_what_its_source_had_said_was_firing(tmp_path: Path) -> None:
    clock = HandClock(T0)
    with History.open(tmp_path / "h.duckdb") as history:
        first = Recorder(history, [ScriptedSource("prometheus", clock, [([], [BREAKER, LATENCY])])], clock=clock)
        asyncio.run(first.poller.run_cycle())  # both fire at T0; then this cockpit stops
        clock.now = T0 + 600  # another starts: only the breaker is still firing, latency resolved meanwhile
        second = Recorder(history, [ScriptedSource("prometheus", clock, [([], [BREAKER])])], clock=clock)
        asyncio.run(second.poller.run_cycle())
        review = Cockpit(history, clock=lambda: T0 + 700)
        assert names(review.views(at=T0 + 300).alerts) == [("LLMCircuitBreakerOpen", "openai/gpt-4o"), ("LLMLatencyP95High", "")]
        assert names(review.views(at=T0 + 700).alerts) == [("LLMCircuitBreakerOpen", "openai/gpt-4o")]
        assert review.views(at=T0 + 700).alerts[0].active_since == T0 + 600  # fired again for the new poller


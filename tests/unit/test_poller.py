"""The poller: intervals, backoff, staleness, source up/down, breaker and alert transitions."""

from __future__ import annotations

import asyncio
import random

from aiops_tui.model import Alert, Batch, Sample, SeriesKey, make_labels
from aiops_tui.sources.poller import Poller
from clocks import HandClock


class ScriptedSource:
    """Answers each poll with the next scripted outcome: a list of samples, or an error string."""

    def __init__(self, name: str, clock: HandClock, script: list, interval_s: float = 5.0) -> None:
        self.name, self.clock, self.script = name, clock, list(script)
        self.interval_s, self.timeout_s = interval_s, 1.0
        self.polls = 0

    async def poll(self) -> Batch:
        self.polls += 1
        outcome = self.script.pop(0) if self.script else []
        batch = Batch(self.name, self.clock())
        if isinstance(outcome, str):
            batch.error = outcome
        elif isinstance(outcome, tuple):
            batch.samples, batch.alerts = list(outcome[0]), list(outcome[1])
        else:
            batch.samples = [Sample(k, self.clock(), v) for k, v in outcome]
        return batch


def run(poller: Poller):
    return asyncio.run(poller.run_cycle())


def events_of(kind: str, source: ScriptedSource) -> tuple[Poller, list]:
    """One cycle per scripted outcome, the clock 5 s on after each: the poller and the events of `kind` it wrote."""
    written = []
    poller = Poller([source], written.append, clock=source.clock)
    for _ in range(len(source.script)):
        run(poller)
        source.clock.now += 5
    return poller, [e for bs in written for b in bs for e in b.events if e.kind == kind]


def test_sources_poll_on_their_own_interval():
    clock = HandClock(1_000.0)
    fast = ScriptedSource("fast", clock, [], interval_s=5)
    slow = ScriptedSource("slow", clock, [], interval_s=15)
    poller = Poller([fast, slow], lambda b: None, clock=clock)
    for _ in range(6):  # t = 1000, 1005, ..., 1025
        run(poller)
        clock.now += 5
    assert (fast.polls, slow.polls) == (6, 2)  # slow at 1000 and 1015


def test_failures_back_off_exponentially_with_jitter_and_go_down_after_stale_after():
    clock = HandClock(1_000.0)
    src = ScriptedSource("gw", clock, ["cannot connect"] * 5)
    written = []
    poller = Poller([src], written.append, stale_after=3, clock=clock, rng=random.Random(1))
    due_gaps = []
    for _ in range(4):
        run(poller)
        due_gaps.append(poller.status["gw"].next_due - clock.now)
        clock.now = poller.status["gw"].next_due
    # interval 5 s times 1, 2, 4, 8, each times a jitter in [0.8, 1.2]
    for gap, factor in zip(due_gaps, (1, 2, 4, 8)):
        assert 5 * factor * 0.8 <= gap <= 5 * factor * 1.2
    assert poller.status["gw"].state(clock.now) == "down"
    events = [e for batches in written for b in batches for e in b.events]
    assert [(e.kind, e.subject, e.from_state, e.to_state) for e in events] == [("source", "gw", None, "down")]
    assert events[0].detail == {"error": "cannot connect"}


def test_up_down_up_is_recorded_and_stale_in_between():
    clock = HandClock(1_000.0)
    key = SeriesKey("gw", "up", ())
    src = ScriptedSource("gw", clock, [[(key, 1)], "timed out", "timed out", "timed out", [(key, 1)]])
    written = []
    poller = Poller([src], written.append, stale_after=3, clock=clock, rng=random.Random(0))
    states = []
    for _ in range(5):
        run(poller)
        states.append(poller.status["gw"].state(clock.now))
        clock.now = poller.status["gw"].next_due
    assert states == ["ok", "stale", "stale", "down", "ok"]
    events = [(e.from_state, e.to_state) for batches in written for b in batches for e in b.events if e.kind == "source"]
    assert events == [(None, "up"), ("up", "down"), ("down", "up")]


def test_pause_stops_polling_and_refresh_now_polls_at_once():
    clock = HandClock(1_000.0)
    src = ScriptedSource("gw", clock, [])
    poller = Poller([src], lambda b: None, clock=clock)

    async def scenario():
        stop = asyncio.Event()
        poller.pause()
        task = asyncio.create_task(poller.run(stop))
        await asyncio.sleep(0.2)
        paused_polls = src.polls
        poller.resume()
        await asyncio.sleep(0.1)
        resumed_polls = src.polls
        poller.refresh_now()
        await asyncio.sleep(0.1)
        stop.set()
        poller.refresh_now()
        await task
        return paused_polls, resumed_polls, src.polls

    paused, resumed, refreshed = asyncio.run(scenario())
    assert paused == 0
    assert resumed == 1
    assert refreshed == 2  # the clock never moved, so only refresh_now made it due again


def test_breaker_transitions_become_events_once():
    clock = HandClock(1_000.0)
    key = SeriesKey("gw", "signal:breaker_state", make_labels(upstream="openai/gpt-4o"))
    _, events = events_of("breaker", ScriptedSource("gw", clock, [[(key, 0)], [(key, 2)], [(key, 2)], [(key, 1)], [(key, 0)]]))
    transitions = [(e.from_state, e.to_state) for e in events]
    assert transitions == [("closed", "open"), ("open", "half_open"), ("half_open", "closed")]


def test_a_breaker_transition_is_timed_by_its_sources_since_when_that_falls_between_two_readings():
    clock = HandClock(1_000.0)
    labels = make_labels(upstream="openai/gpt-4o")
    state, since = SeriesKey("gw", "signal:breaker_state", labels), SeriesKey("gw", "signal:breaker_since_ts", labels)
    script = [
        [(state, 0), (since, 900.0)],
        [(state, 2), (since, 1_003.0)],  # read at 1005: opened at 1003, by the gateway's clock
        [(state, 1), (since, 1_020.0)],  # read at 1010: a `since` after the reading (a clock ahead) is not believed
        [(state, 0), (since, 990.0)],  # read at 1015: nor one before the reading before (a clock behind)
        [(state, 2)],  # read at 1020: no `since` at all
    ]
    _, events = events_of("breaker", ScriptedSource("gw", clock, script))
    assert [(e.ts, e.from_state, e.to_state) for e in events] == [
        (1_003.0, "closed", "open"), (1_010.0, "open", "half_open"), (1_015.0, "half_open", "closed"),
        (1_020.0, "closed", "open"),
    ]


def test_alerts_firing_and_resolved():
    clock = HandClock(1_000.0)
    a = Alert("LLMCircuitBreakerOpen", "firing", {"upstream": "openai/gpt-4o"}, {"summary": "open"})
    poller, alert_events = events_of("alert", ScriptedSource("prometheus", clock, [([], [a]), ([], [a]), ([], [])]))
    events = [(e.subject, e.to_state, e.ts) for e in alert_events]
    assert events == [("LLMCircuitBreakerOpen", "firing", 1000.0), ("LLMCircuitBreakerOpen", "resolved", 1010.0)]
    assert poller.alerts == []


def test_alerts_fire_and_resolve_in_the_order_the_source_reports_them():
    clock = HandClock(1_000.0)
    alerts = [Alert(f"Alert{n}", "firing", {"n": str(n)}, {}) for n in (5, 2, 8, 1, 9, 3, 7, 4)]
    _, alert_events = events_of("alert", ScriptedSource("prometheus", clock, [([], alerts), ([], [])]))
    events = [(e.to_state, e.subject) for e in alert_events]
    names = [a.name for a in alerts]  # a set's order would shuffle eight of them nearly every run
    assert events == [("firing", n) for n in names] + [("resolved", n) for n in names]


def test_direct_signals_are_derived_from_consecutive_scrapes_and_a_clock_step_back_restarts_the_window():
    clock = HandClock(1_000.0)
    key = SeriesKey("gw", "requests_total", ())
    src = ScriptedSource("gw", clock, [[(key, 100)], [(key, 160)], [(key, 10)], [(key, 70)]], interval_s=30)
    seen = []

    def derive(prev, cur, profile):
        seen.append((prev[0].value, cur[0].value))
        return {"requests_per_s": {"*": (cur[0].value - prev[0].value) / (cur[0].ts - prev[0].ts)}}

    written = []
    poller = Poller([src], written.append, clock=clock, derive=derive)
    for step in (30, -100, 30, 0):
        run(poller)
        clock.now += step
    # 100 -> 160 over 30 s; then the clock stepped back 100 s: 10 starts a new window; 10 -> 70 over 30 s
    assert seen == [(100, 160), (10, 70)]
    derived = [s for bs in written for b in bs if b.source == "derived" for s in b.samples]
    assert [(s.key.name, s.key.source, s.value) for s in derived] == [
        ("signal:requests_per_s", "gw", 2.0),
        ("signal:requests_per_s", "gw", 2.0),
    ]


def test_a_counter_that_appears_between_scrapes_is_stored_as_zero_at_the_previous_scrape():
    clock = HandClock(1_000.0)
    old = SeriesKey("gw", "spend_total", make_labels(model="a"))
    new = SeriesKey("gw", "spend_total", make_labels(model="b"))
    gauge = SeriesKey("gw", "in_flight", ())
    src = ScriptedSource("gw", clock, [[(old, 5.0)], [(old, 6.0), (new, 2.5), (gauge, 3.0)]])
    written = []
    poller = Poller([src], written.append, clock=clock)
    run(poller)
    clock.now += 5
    run(poller)
    second = next(b for b in written[1] if b.source == "gw")
    assert sorted((s.key.name, dict(s.key.labels).get("model"), s.ts, s.value) for s in second.samples) == [
        ("in_flight", None, 1005.0, 3.0),  # a gauge is never back-filled
        ("spend_total", "a", 1005.0, 6.0),
        ("spend_total", "b", 1000.0, 0.0),  # born between the scrapes: it was 0 at the previous one
        ("spend_total", "b", 1005.0, 2.5),
    ]

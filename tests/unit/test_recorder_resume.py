"""A cockpit restarted beside a running gateway rates its first scrape against the history's last one, and takes
its breakers' transitions on from the states last read there."""

from __future__ import annotations

import asyncio
from pathlib import Path

from aiops_tui.demo import ModelSource
from aiops_tui.model import Batch, Sample, SeriesKey
from aiops_tui.recorder import BREAKER_RESUME_WITHIN_S, RESUME_WITHIN_S, Recorder
from aiops_tui.sim.model import GatewayModel
from aiops_tui.store.history import History
from clocks import HandClock

T0 = 1_795_600_800.0  # 2026-11-25 10:00 UTC
STEP_S = 60.0


def derived(batches: list[Batch]) -> dict[SeriesKey, float]:
    return {s.key: s.value for b in batches if b.source == "derived" for s in b.samples}


def breaker_events(path: Path) -> list[tuple[float, str, str | None, str]]:
    with History.open(path, read_only=True) as history:
        return [(e.ts - T0, e.subject, e.from_state, e.to_state) for e in history.events(0.0, T0 + 86400, kinds=["breaker"])]


def poll_cycles(path: Path, model: GatewayModel, clock: HandClock, times: list[float], *, resume: bool) -> list[dict[SeriesKey, float]]:
    """One recorder's run: each cycle's derived signals."""
    out = []
    clock.now = times[0]  # the restart is now: the first cycle follows at once
    with History.open(path) as history:
        recorder = Recorder(history, [ModelSource(model, clock, interval_s=STEP_S)], clock=clock)
        if resume:
            recorder.resume_from_history()
        for ts in times:
            clock.now = ts
            out.append(derived(asyncio.run(recorder.poller.run_cycle())))
    return out


def test_the_first_cycle_after_a_restart_has_the_rates_an_unbroken_run_would(tmp_path: Path) -> None:
    times = [T0, T0 + STEP_S, T0 + 2 * STEP_S]
    unbroken = poll_cycles(tmp_path / "a.duckdb", GatewayModel(7, T0), HandClock(T0), times, resume=False)

    gateway, clock = GatewayModel(7, T0), HandClock(T0)  # the gateway runs on; the cockpit stops after two cycles
    poll_cycles(tmp_path / "b.duckdb", gateway, clock, times[:2], resume=False)
    restarted = poll_cycles(tmp_path / "b.duckdb", gateway, clock, times[2:], resume=True)[0]
    requests = SeriesKey("demo-gateway", "signal:requests_per_s", ())
    assert unbroken[0] == {} and restarted[requests] > 0
    assert restarted == unbroken[2]

    not_resumed = poll_cycles(tmp_path / "b.duckdb", gateway, HandClock(T0), [T0 + 3 * STEP_S], resume=False)[0]
    assert requests not in not_resumed  # without the history's scrape the first cycle has nothing to rate against


def test_a_last_scrape_too_old_to_rate_against_is_not_used(tmp_path: Path) -> None:
    gateway, clock = GatewayModel(7, T0), HandClock(T0)
    poll_cycles(tmp_path / "h.duckdb", gateway, clock, [T0], resume=False)
    late = T0 + RESUME_WITHIN_S + STEP_S
    first = poll_cycles(tmp_path / "h.duckdb", gateway, clock, [late], resume=True)[0]
    assert SeriesKey("demo-gateway", "signal:requests_per_s", ()) not in first


def test_last_scrape_is_the_newest_raw_samples_of_one_source(tmp_path: Path) -> None:
    raw = SeriesKey("gw", "requests_total", (("model", "m"),))
    other = SeriesKey("gw2", "requests_total", ())
    signal = SeriesKey("gw", "signal:requests_per_s", ())
    with History.open(tmp_path / "h.duckdb") as history:
        history.write_cycle([Batch("gw", T0, [Sample(raw, T0, 1.0), Sample(signal, T0, 0.5)])])
        history.write_cycle([Batch("gw", T0 + 5, [Sample(raw, T0 + 5, 3.0), Sample(signal, T0 + 5, 0.4)]),
                             Batch("gw2", T0 + 9, [Sample(other, T0 + 9, 8.0)])])
        assert history.last_scrape("gw", since=T0 - 60) == (T0 + 5, [Sample(raw, T0 + 5, 3.0)])
        assert history.last_scrape("gw", since=T0 + 5) is None
        assert history.last_scrape("nobody", since=0.0) is None


def test_a_restart_goes_on_from_each_breakers_last_state(tmp_path: Path) -> None:
    gateway, clock = GatewayModel(7, T0), HandClock(T0)
    poll_cycles(tmp_path / "h.duckdb", gateway, clock, [T0, T0 + STEP_S], resume=True)  # all closed: nothing recorded
    gateway.inject("upstream_outage", "openai/gpt-4o", duration_s=30 * STEP_S)
    # Restarted after the outage began: gpt-4o was last read closed, so it is recorded opening, from closed,
    # when the gateway says it did, while the cockpit was down.
    poll_cycles(tmp_path / "h.duckdb", gateway, clock, [T0 + 2 * STEP_S, T0 + 3 * STEP_S], resume=True)
    gpt = next(b for b in gateway.breakers if b.name == "openai/gpt-4o")
    opened = max(ts for ts, _, new in gpt.transitions if new == "open" and ts <= T0 + 2 * STEP_S) - T0
    assert STEP_S < opened < 2 * STEP_S
    assert breaker_events(tmp_path / "h.duckdb") == [(opened, "openai/gpt-4o", "closed", "open")]
    # Restarted while it is still open: no second opening.
    poll_cycles(tmp_path / "h.duckdb", gateway, clock, [T0 + 4 * STEP_S, T0 + 5 * STEP_S], resume=True)
    assert breaker_events(tmp_path / "h.duckdb") == [(opened, "openai/gpt-4o", "closed", "open")]
    # Without going on from the history, the same restart records it opening again, from nowhere.
    poll_cycles(tmp_path / "h.duckdb", gateway, clock, [T0 + 6 * STEP_S], resume=False)
    assert breaker_events(tmp_path / "h.duckdb")[-1] == (6 * STEP_S, "openai/gpt-4o", None, "open")


def test_a_breaker_state_older_than_the_resume_window_is_not_gone_on_from(tmp_path: Path) -> None:
    gateway, clock = GatewayModel(7, T0), HandClock(T0)
    gateway.inject("upstream_outage", "openai/gpt-4o", duration_s=3 * 3600.0)
    poll_cycles(tmp_path / "h.duckdb", gateway, clock, [T0, T0 + STEP_S], resume=True)
    late = T0 + STEP_S + BREAKER_RESUME_WITHIN_S + STEP_S
    poll_cycles(tmp_path / "h.duckdb", gateway, clock, [late], resume=True)
    # Opened in the first run (its first reading was closed), since when the gateway says it has been open (it
    # flapped between the two readings: the last time it opened); read again past the window: from nothing known,
    # at that reading.
    events = [(ts, old) for ts, _, old, _ in breaker_events(tmp_path / "h.duckdb")]
    gpt = next(b for b in gateway.breakers if b.name == "openai/gpt-4o")
    last_opened = max(ts for ts, _, new in gpt.transitions if new == "open" and ts <= T0 + STEP_S)
    assert events == [(last_opened - T0, "closed"), (late - T0, None)]
    assert 0 < events[0][0] < STEP_S

"""A validation drop in the demo gateway reaches the quality row within two polls: the real sim on
loopback HTTP, the real GatewaySource, Poller and Recorder, a real history file, one asyncio loop
and one hand-moved clock (no Prometheus needed)."""

from __future__ import annotations

import asyncio

import httpx

from aiops_tui.config import GatewayConfig
from aiops_tui.recorder import Recorder
from aiops_tui.signals.quality import QualityRow, QualityTargets, quality_readings
from aiops_tui.sim.server import SimServer
from aiops_tui.sources.gateway import GatewaySource
from aiops_tui.store import timeseries
from aiops_tui.store.history import History
from clocks import HandClock

T0 = 1_790_000_000.0  # 2026-09-21 14:13:20 UTC: afternoon traffic, about 12 requests/s
INTERVAL_S = 15.0
LOOKBACK_S = 120.0


def test_validation_drop_shows_the_pass_rate_below_target_within_two_polls(tmp_path):
    clock = HandClock(T0)
    history = History.open(tmp_path / "h.duckdb")

    def quality_row() -> tuple[QualityRow, dict]:
        """What the golden pane's quality row would show now, read back from the history."""
        latest = timeseries.latest_signals(history.cursor(), "gw", clock.now, LOOKBACK_S)
        return quality_readings(latest, QualityTargets()), latest

    async def scenario() -> list[tuple[QualityRow, dict]]:
        with SimServer(port=0, seed=42, clock=clock) as sim:
            cfg = GatewayConfig("gw", f"{sim.url}/metrics", f"{sim.url}/status", "health_json", None, INTERVAL_S, 2.0)
            async with httpx.AsyncClient(follow_redirects=True, timeout=5.0) as client:
                recorder = Recorder(history, [GatewaySource(cfg, client, clock=clock)], clock=clock)
                poller = recorder.poller

                async def poll() -> None:
                    clock.now += INTERVAL_S
                    poller.refresh_now()
                    assert await poller.run_cycle(), "the gateway was not polled"

                for _ in range(5):  # a minute of healthy history: the direct-mode window
                    await poll()
                rows = [quality_row()]
                posted = await client.post(f"{sim.url}/faults", json={"fault": "validation_drop"})
                assert posted.status_code == 201
                for _ in range(2):
                    await poll()
                    rows.append(quality_row())
                assert poller.status["gw"].state(clock.now) == "ok"
                return rows

    try:
        (before, latest_before), first, (after, latest_after) = asyncio.run(scenario())
    finally:
        history.close()

    assert before.validation_pass_ratio.status == "ok" and before.validation_pass_ratio.value >= 0.98
    assert before.audit_coverage_ratio.value == 1.0
    # The default drop fails 11.6 % of responses. The first poll after it rates 60 s of scrapes of
    # which 15 s are faulty (~0.75 x 0.997 + 0.25 x 0.884 = 0.969); the second, 30 s (~0.94).
    pass_ratio = after.validation_pass_ratio
    assert pass_ratio.value < 0.98 and pass_ratio.status in ("warn", "bad")
    assert first[0].validation_pass_ratio.value < before.validation_pass_ratio.value
    assert after.audit_coverage_ratio.value == 1.0  # every processed item is still audited
    # Failed items pile up: ~7 a poll interval, against one review a minute.
    assert after.review_queue_depth.value > before.review_queue_depth.value + 5
    assert after.review_capacity_per_h.value == 60.0
    # Stored as `signal:*` series labelled by model, like every other direct-mode signal.
    by_model = {model for (signal, model) in latest_after if signal == "validation_pass_ratio" and model}
    assert by_model == {"gpt-4o", "claude-3-5-haiku", "gpt-4o-mini", "llama-3-8b-local"}
    assert set(after.pass_ratio_by_model) == by_model
    assert ("review_oldest_age_s", "") in latest_before

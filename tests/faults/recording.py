"""The real write path for fault tests: a Recorder over a history file, polling loopback gateways
over HTTP, driven by a hand-held clock so no test waits on wall-clock time."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from pathlib import Path

import httpx

from aiops_tui.config import GatewayConfig
from aiops_tui.recorder import Recorder
from aiops_tui.sources.gateway import GatewaySource
from aiops_tui.store.history import History
from clocks import HandClock

T0 = 1_767_225_600.0
"""2026-01-01T00:00:00Z: whole minutes and hours keep bucket arithmetic readable."""


def gateway_source(
    name: str, metrics_url: str, clock: HandClock, *, status_url: str | None = None,
    token_env: str | None = None, env: dict[str, str] | None = None, interval_s: float = 1.0, timeout_s: float = 2.0,
) -> GatewaySource:
    cfg = GatewayConfig(name, metrics_url, status_url, "health_json", token_env, interval_s, timeout_s)
    client = httpx.AsyncClient(follow_redirects=True, timeout=timeout_s)
    return GatewaySource(cfg, client, clock=clock, env=env)


def recorder_for(path: Path, sources: list[GatewaySource], clock: HandClock) -> Recorder:
    return Recorder(History.open(path), sources, clock=clock)


async def run_cycles(recorder: Recorder, steps_s: Iterable[float]) -> None:
    """One poll cycle, then move the clock by each step in turn and poll again (one event loop)."""
    clock = recorder.clock
    assert isinstance(clock, HandClock)
    try:
        await recorder.poller.run_cycle()
        for step_s in steps_s:
            clock.now += step_s
            await recorder.poller.run_cycle()
    finally:
        for source in recorder.poller.sources:
            client = getattr(source, "client", None)  # gateways hold an async client; Prometheus a sync one
            if client is not None:
                # A client belongs to the event loop it ran in: close it, leave a fresh one for the next run.
                await client.aclose()
                source.client = httpx.AsyncClient(follow_redirects=True, timeout=source.timeout_s)  # type: ignore[attr-defined]


def record(recorder: Recorder, steps_s: Iterable[float]) -> None:
    """`run_cycles` on a new event loop; can be called again to carry on recording."""
    asyncio.run(run_cycles(recorder, list(steps_s)))

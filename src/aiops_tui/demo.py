"""The demo: the simulated gateway in-process, an hour of backfilled history, then live polling of it.

Backfill drives the same poller (derived signals, breaker events) with a fast-forwarded clock and
writes the whole hour in one transaction; live polling then scrapes the sim over real HTTP.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from aiops_tui.model import Batch, Sample, SeriesKey, make_labels
from aiops_tui.resources import shipped_dir
from aiops_tui.sources.conventions import detect_profiles
from aiops_tui.sources.gateway import parse_health_json

DEMO_SOURCE = "demo-gateway"
BACKFILL_STEP_S = 30.0
DEMO_BACKFILL_STEP_S = 60.0
"""`aiops-tui demo`'s hour: a point a minute on the 1 h charts, in half the time of 30 s steps, before the first frame with data."""


class ModelSource:
    """Polls a GatewayModel directly, without HTTP: what a scrape of it would give at `clock()`."""

    def __init__(self, model, clock: Callable[[], float], *, name: str = DEMO_SOURCE, interval_s: float = BACKFILL_STEP_S):
        self.model = model
        self.clock = clock
        self.name = name
        self.interval_s = interval_s
        self.timeout_s = 1.0
        self.profiles: list[str] = []
        # One SeriesKey per series for the whole run: no label sort per sample, and the store's
        # id lookups hit on identity.
        self._keys: dict[tuple[str, tuple[tuple[str, str], ...]], SeriesKey] = {}

    async def poll(self) -> Batch:
        ts = self.clock()
        self.model.advance(ts)
        samples = self._samples(ts)
        samples.extend(parse_health_json(self.model.status(), source=self.name, ts=ts))
        if not self.profiles:
            self.profiles = detect_profiles({s.key.name for s in samples})
        return Batch(self.name, ts, samples)

    def _samples(self, ts: float) -> list[Sample]:
        """What `sim.exposition.to_samples` gives for the model's families, with the keys reused."""
        keys = self._keys
        out = []
        for family in self.model.families():
            for sample_name, labels, value in family.samples:
                ident = (sample_name, tuple(labels.items()))
                key = keys.get(ident)
                if key is None:
                    key = keys[ident] = SeriesKey(self.name, sample_name, make_labels(labels))
                out.append(Sample(key, ts, float(value)))
        return out


class _FastClock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def backfill(history, model, start_ts: float, end_ts: float, *, step_s: float = BACKFILL_STEP_S) -> int:
    """Simulate [start_ts, end_ts) into the history in one transaction; returns the cycles run."""
    from aiops_tui.sources.poller import Poller
    from aiops_tui.recorder import ROLLUP_LAG_S, derive_signals

    clock = _FastClock(start_ts)
    collected: list[Batch] = []
    poller = Poller([ModelSource(model, clock, interval_s=step_s)], collected.extend, clock=clock, derive=derive_signals)

    async def run() -> None:
        while clock.now < end_ts:
            await poller.run_cycle()
            clock.now += step_s

    asyncio.run(run())
    history.write_cycle(collected)
    history.rollup(end_ts - ROLLUP_LAG_S)
    return poller.cycles


def demo_config_path() -> Path:
    """The settings the demo runs with (targets and budget that fit the simulated gateway)."""
    return shipped_dir("demo_data") / "demo.yaml"

"""The demo: the simulated gateway in-process, an hour of backfilled history, then live polling of it.

Backfill drives the same poller (derived signals, breaker events) with a fast-forwarded clock and
writes the whole hour in one transaction; live polling then scrapes the sim over real HTTP.

The default demo's hour is shipped recorded (`demo_data/demo-hour/`, made by `make demo-recording`):
it is copied in, moved to end now, and the model that live polling serves from is moved through the
same hour. The model's calendar is offset by as much, so the hour it simulates is the recorded one to
the last bit and the live traffic goes on from where the recording ends. Either way the hour is put
in by a forked child (`forked.start_in_child`) while the cockpit's process starts the UI.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import math
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path

from aiops_tui.model import Batch, Sample, SeriesKey, make_labels
from aiops_tui.resources import shipped_dir
from aiops_tui.sources.conventions import detect_profiles
from aiops_tui.sources.gateway import TIME_VALUED_SIGNALS, parse_health_json

DEMO_SOURCE = "demo-gateway"
BACKFILL_STEP_S = 30.0
DEMO_BACKFILL_STEP_S = 60.0
"""`aiops-tui demo`'s hour: a point a minute on the 1 h charts, in half the time of 30 s steps, before the first frame with data."""
MAX_BACKFILL_S = 7 * 86400.0
"""The most `aiops-tui demo --backfill` simulates: a week is 13M samples and some minutes of waiting; the
history generator makes months in seconds."""
BACKFILL_WRITE_EVERY_S = 3600.0
"""A backfill writes what it simulated once per simulated hour: 74k samples of the demo's model at 60 s steps."""
RECORDING_DIR = "demo-hour"
RECORDED_START_TS = 1_767_362_400
"""2026-01-02 14:00 UTC: the recorded hour climbs to the daily traffic peak."""
RECORDING_FORMAT = 1


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
        # The previous scrape's keys by (sample name, id of its label dict); each entry holds its
        # dict, so no other dict can take that id while the entry lives.
        self._keys_by_labels_id: dict[tuple[str, int], tuple[Mapping[str, str], SeriesKey]] = {}

    async def poll(self) -> Batch:
        ts = self.clock()
        self.model.advance(ts)
        samples = self._samples(ts)
        samples.extend(parse_health_json(self.model.status(), source=self.name, ts=ts))
        if not self.profiles:
            self.profiles = detect_profiles({s.key.name for s in samples})
        return Batch(self.name, ts, samples)

    def _samples(self, ts: float) -> list[Sample]:
        """What `sim.exposition.to_samples` gives for the model's families, with the keys reused.

        The families hand out the same label dict for most series at every scrape, so a key is
        found first by that dict's identity, and by the labels' content only when it is new."""
        previous, current = self._keys_by_labels_id, {}
        out = []
        for family in self.model.families():
            for sample_name, labels, value in family.samples:
                ident = (sample_name, id(labels))
                known = previous.get(ident)
                if known is None or known[0] is not labels:
                    known = (labels, self._key(sample_name, labels))
                current[ident] = known
                out.append(Sample(known[1], ts, float(value)))
        self._keys_by_labels_id = current
        return out

    def _key(self, sample_name: str, labels: Mapping[str, str]) -> SeriesKey:
        ident = (sample_name, tuple(labels.items()))
        key = self._keys.get(ident)
        if key is None:
            key = self._keys[ident] = SeriesKey(self.name, sample_name, make_labels(labels))
        return key


def scrape_times(start_ts: float, end_ts: float, step_s: float) -> list[float]:
    """When the backfill scrapes the model: from `start_ts` every `step_s`, before `end_ts`."""
    times, ts = [], start_ts
    while ts < end_ts:
        times.append(ts)
        ts += step_s
    return times


def advance_through(model, start_ts: float, end_ts: float, step_s: float = DEMO_BACKFILL_STEP_S):
    """The model as `backfill` over the same span leaves it (at its last scrape), without the history."""
    model.advance(scrape_times(start_ts, end_ts, step_s)[-1])
    return model


class _FastClock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def backfill(history, model, start_ts: float, end_ts: float, *, step_s: float = BACKFILL_STEP_S, rollup: bool = True,
             written: Callable[[float], object] | None = None) -> int:
    """Simulate [start_ts, end_ts) into the history, a transaction for each simulated hour, then roll it up
    (unless `rollup` is False: the file is to be absorbed into another, or the caller rolls up later); returns
    the cycles run. An hour at a time keeps a long backfill's samples out of memory: 30 h of them (2.3M) took
    the process to 590 MB at once, 148 MB this way. `written(ts)` is told each time the history holds the
    simulation up to `ts`."""
    from aiops_tui.sources.poller import Poller
    from aiops_tui.recorder import derive_signals

    clock = _FastClock(start_ts)
    collected: list[Batch] = []
    poller = Poller([ModelSource(model, clock, interval_s=step_s)], collected.extend, clock=clock, derive=derive_signals)

    async def run() -> None:
        written_until = start_ts
        for clock.now in scrape_times(start_ts, end_ts, step_s):
            await poller.run_cycle()
            if clock.now - written_until >= BACKFILL_WRITE_EVERY_S:
                history.write_cycle(collected)
                collected.clear()
                written_until = clock.now
                if written is not None:
                    written(written_until)

    asyncio.run(run())
    history.write_cycle(collected)
    if written is not None:
        written(end_ts)
    if rollup:
        roll_up_hour(history, end_ts)
    return poller.cycles


def backfill_progress(span: str, start_ts: float, end_ts: float, written_until: float | None) -> str:
    """What the cockpit's start waits for while a backfill of `span` (as typed: "7d") runs, for the status
    line: how far the history holds it (`written_until`, None before its first hour), then its rollups."""
    if written_until is not None and written_until >= end_ts:  # then the first views are read and it is rolled up
        return f"rolling up the demo's {span}; polling starts after"
    said = f"simulating the demo's {span} before now"  # about half a minute a day
    return said if written_until is None else f"{said} · {100 * (written_until - start_ts) / (end_ts - start_ts):.0f} %"


def roll_up_hour(history, end_ts: float) -> None:
    """Roll up an hour put in up to `end_ts`, as the recorder would have, a minute behind its last scrape."""
    from aiops_tui.recorder import ROLLUP_LAG_S

    history.rollup(end_ts - ROLLUP_LAG_S)


class DemoRecording:
    """The default demo's hour as recorded by `record_hour`: a directory of Parquet files and its manifest.

    It is only used where it is what the simulation would give: the same seed, length, step, budget and
    price file; `tests/unit/test_demo_recording.py` holds it to what the current code simulates."""

    def __init__(self, directory: Path, manifest: Mapping) -> None:
        self.directory = directory
        self.start_ts = int(manifest["start_ts"])
        self.duration_s = int(manifest["duration_s"])
        self.time_valued = tuple(manifest["time_valued"])

    @classmethod
    def matching(cls, *, seed: int, duration_s: float, budget_monthly_usd: float,
                 directory: Path | None = None) -> "DemoRecording | None":
        """The shipped recording if it is the hour these settings would simulate, else None."""
        directory = directory or shipped_dir("demo_data") / RECORDING_DIR
        try:
            manifest = json.loads((directory / "recording.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        expected = _recording_inputs(seed, duration_s, budget_monthly_usd)
        if any(manifest.get(name) != value for name, value in expected.items()):
            return None
        return cls(directory, manifest)

    def start_for(self, now: float) -> int:
        """Where the hour starts when it is to end at `now` (whole seconds keep the model's arithmetic exact)."""
        return math.floor(now) - self.duration_s

    def model_for(self, start_ts: int, **settings):
        """A fresh model starting at `start_ts` whose calendar is the recording's: its hour is the recorded one."""
        from aiops_tui.sim.model import GatewayModel

        return GatewayModel(start_ts=start_ts, calendar_offset_s=self.start_ts - start_ts, **settings)

    def absorb_into(self, history, start_ts: int, *, rollup: bool = True) -> int:
        """Copy the hour into the history, moved to start at `start_ts`, and roll it up (unless the caller
        does that later with `roll_up_hour`: the views read the raw samples the rollups do not cover yet)."""
        copied = history.absorb(self.directory, shift_s=start_ts - self.start_ts, time_valued=self.time_valued)
        if rollup:
            roll_up_hour(history, start_ts + self.duration_s)
        return copied


def _recording_inputs(seed: int, duration_s: float, budget_monthly_usd: float) -> dict:
    from aiops_tui.sim.pricing import default_pricing_path

    return {
        "format": RECORDING_FORMAT, "seed": seed, "duration_s": duration_s, "step_s": DEMO_BACKFILL_STEP_S,
        "budget_monthly_usd": budget_monthly_usd,
        "pricing_sha256": hashlib.sha256(default_pricing_path().read_bytes()).hexdigest(),
    }


def record_hour(directory: Path, *, seed: int = 42, duration_s: int = 3600, budget_monthly_usd: float | None = None) -> Path:
    """Simulate the demo's hour from `RECORDED_START_TS` and write it to `directory` as Parquet files
    (`series`, `samples`, `events`) beside `recording.json`, which says what it was simulated with."""
    from aiops_tui.config import load_config
    from aiops_tui.sim.model import GatewayModel
    from aiops_tui.store.history import History

    if budget_monthly_usd is None:
        budget_monthly_usd = load_config(demo_config_path()).budget.monthly_usd
    directory.mkdir(parents=True, exist_ok=True)
    model = GatewayModel(seed, RECORDED_START_TS, budget_monthly_usd=budget_monthly_usd)
    with tempfile.TemporaryDirectory(prefix="aiops-tui-record-") as scratch:
        with History.open(Path(scratch) / "hour.duckdb") as history:
            backfill(history, model, RECORDED_START_TS, RECORDED_START_TS + duration_s,
                     step_s=DEMO_BACKFILL_STEP_S, rollup=False)
            queries = {
                "series": "SELECT series_id, source, name, labels, unit FROM series ORDER BY series_id",
                "samples": "SELECT ts, series_id, value FROM samples ORDER BY series_id, ts",
                "events": "SELECT * FROM events ORDER BY ts, kind, subject",
            }
            with history.reading() as con:
                for name, query in queries.items():
                    target = str(directory / f"{name}.parquet").replace("'", "''")
                    con.execute(f"COPY ({query}) TO '{target}' (FORMAT parquet, COMPRESSION zstd)")
    manifest = {**_recording_inputs(seed, duration_s, budget_monthly_usd), "start_ts": RECORDED_START_TS,
                "time_valued": list(TIME_VALUED_SIGNALS)}
    (directory / "recording.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return directory


def demo_config_path() -> Path:
    """The settings the demo runs with (targets and budget that fit the simulated gateway)."""
    return shipped_dir("demo_data") / "demo.yaml"


if __name__ == "__main__":  # `make demo-recording`
    import sys

    print(record_hour(Path(sys.argv[1]) if len(sys.argv) > 1 else shipped_dir("demo_data") / RECORDING_DIR))

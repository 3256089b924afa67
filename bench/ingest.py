"""Ingest through the real writer: a 5,000-sample poll cycle (History.write_cycle, and Recorder.write_now
with its rollups on a 15 s clock), bulk backfill, and for contrast the appender floor and executemany.

    .venv/bin/python bench/ingest.py

Targets (issue 8): a 5,000-sample cycle committed in <= 20 ms; bulk backfill >= 1,000,000 samples/s.
"""

from __future__ import annotations

import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import median, print_header  # noqa: E402

from aiops_tui.model import Batch, Sample, SeriesKey, make_labels  # noqa: E402
from aiops_tui.store.history import History  # noqa: E402

SERIES_PER_CYCLE = 5_000
CYCLES_TIMED = 40
CYCLE_S = 15.0
BACKFILL_SAMPLES = 2_000_000
BACKFILL_RUNS = 5
EXECUTEMANY_ROWS = 5_000
APPENDER_ROWS = 2_000_000
DATETIME_APPENDER_ROWS = 500_000
START_TS = 1_767_225_600.0  # 2026-01-01T00:00:00Z


def build_keys(count: int) -> list[SeriesKey]:
    return [
        SeriesKey("bench", f"metric_{index % 50}_total", make_labels(model=f"model-{index // 50}", team="core"))
        for index in range(count)
    ]


def cycle_batch(keys: list[SeriesKey], ts: float) -> Batch:
    return Batch("bench", ts, [Sample(key, ts, ts + index) for index, key in enumerate(keys)])


def bench_cycle(history: History, keys: list[SeriesKey], start_ts: float) -> list[float]:
    """History.write_cycle alone: one transaction per 5,000-sample cycle; ms per cycle."""
    history.write_cycle([cycle_batch(keys, start_ts - CYCLE_S)])  # registers the series, untimed
    times_ms = []
    for cycle in range(CYCLES_TIMED):
        batch = cycle_batch(keys, start_ts + cycle * CYCLE_S)
        started = time.perf_counter()
        history.write_cycle([batch])
        times_ms.append((time.perf_counter() - started) * 1000)
    return times_ms


def bench_recorder(history: History, keys: list[SeriesKey], start_ts: float) -> list[float]:
    """Recorder.write_now, as the live app writes: the cycle plus the rollup it runs once a (clock) minute."""
    from aiops_tui.recorder import Recorder

    clock_now = [start_ts - CYCLE_S]
    recorder = Recorder(history, [], clock=lambda: clock_now[0])
    recorder.write_now([cycle_batch(keys, clock_now[0])])  # registers the series and the first rollup, untimed
    times_ms = []
    for cycle in range(CYCLES_TIMED):
        clock_now[0] = start_ts + cycle * CYCLE_S
        batch = cycle_batch(keys, clock_now[0])
        started = time.perf_counter()
        recorder.write_now([batch])
        times_ms.append((time.perf_counter() - started) * 1000)
    return times_ms


def bench_backfill(scratch: Path, keys: list[SeriesKey], base: float) -> tuple[list[float], float]:
    """(samples/s of write_cycle on a prebuilt batch, each run into a new file; samples/s of the first run
    including building the Sample objects)."""
    steps = BACKFILL_SAMPLES // len(keys)
    built = time.perf_counter()
    batch = Batch("bench", base, [Sample(key, base + step * CYCLE_S, float(step)) for step in range(steps) for key in keys])
    build_s = time.perf_counter() - built
    rates = []
    for run in range(BACKFILL_RUNS):
        with History.open(scratch / f"bulk-{run}.duckdb") as history:
            started = time.perf_counter()
            written = history.write_cycle([batch])
            rates.append(written / (time.perf_counter() - started))
    return rates, written / (build_s + written / rates[0])


def bench_appender_floor(history: History) -> float:
    """The floor under write_cycle: prebuilt (ts, id, value) tuples appended to a plain table, one commit."""
    con = history.con
    con.execute("CREATE TEMP TABLE floor_rows (ts DOUBLE, series_id INTEGER, value DOUBLE)")
    rows = [(START_TS + index * 0.001, index % 5_000, float(index)) for index in range(APPENDER_ROWS)]
    started = time.perf_counter()
    con.begin()
    with con.appender("floor_rows") as appender:
        appender.append_rows(rows)
    con.commit()
    return len(rows) / (time.perf_counter() - started)


def bench_datetime_appender(history: History) -> float:
    """The alternative to write_cycle's float staging: build datetimes in Python, append them."""
    con = history.con
    con.execute("CREATE TEMP TABLE contrast_tz (ts TIMESTAMPTZ, series_id INTEGER, value DOUBLE)")
    raw = [(START_TS + index * 0.001, index % 5_000, float(index)) for index in range(DATETIME_APPENDER_ROWS)]
    started = time.perf_counter()
    rows = [(dt.datetime.fromtimestamp(ts, dt.timezone.utc), sid, value) for ts, sid, value in raw]
    con.begin()
    with con.appender("contrast_tz") as appender:
        appender.append_rows(rows)
    con.commit()
    return len(rows) / (time.perf_counter() - started)


def bench_executemany(history: History) -> float:
    rows = [(START_TS + index * 0.001, 1, float(index)) for index in range(EXECUTEMANY_ROWS)]
    con = history.con
    con.execute("CREATE TEMP TABLE contrast (ts DOUBLE, series_id INTEGER, value DOUBLE)")
    started = time.perf_counter()
    con.begin()
    con.executemany("INSERT INTO contrast VALUES (?, ?, ?)", rows)
    con.commit()
    return len(rows) / (time.perf_counter() - started)


def _spread(times_ms: list[float]) -> str:
    ordered = sorted(times_ms)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"median {median(times_ms):5.1f} ms · p95 {p95:5.1f} ms · max {max(times_ms):5.1f} ms"


def main() -> int:
    print_header("ingest: the history writer")
    keys = build_keys(SERIES_PER_CYCLE)
    with tempfile.TemporaryDirectory() as scratch:
        with History.open(Path(scratch) / "cycles.duckdb") as history:
            cycle_ms = bench_cycle(history, keys, START_TS)
        with History.open(Path(scratch) / "recorder.duckdb") as history:
            recorder_ms = bench_recorder(history, keys, START_TS)
        backfill_rates, built_per_s = bench_backfill(Path(scratch), keys, START_TS)
        backfill_per_s = median(backfill_rates)
        with History.open(Path(scratch) / "bulk-contrasts.duckdb") as history:
            floor_per_s = bench_appender_floor(history)
            datetime_per_s = bench_datetime_appender(history)
            executemany_per_s = bench_executemany(history)
    print(f"5,000-sample cycle, History.write_cycle ({CYCLES_TIMED} cycles): {_spread(cycle_ms)}  (target <= 20 ms)")
    print(f"5,000-sample cycle, Recorder.write_now with rollups every 60 s of a 15 s clock: {_spread(recorder_ms)}")
    print(f"bulk backfill, write_cycle on a prebuilt batch into a new file: median {backfill_per_s:,.0f} samples/s "
          f"({BACKFILL_SAMPLES:,} samples, {BACKFILL_RUNS} runs: "
          f"{' '.join(f'{rate / 1e6:.2f}M' for rate in backfill_rates)}; target >= 1,000,000)")
    print(f"bulk backfill, building the Sample objects too (first run): {built_per_s:,.0f} samples/s")
    print(f"floor: appender of prebuilt tuples into a plain table: {floor_per_s:,.0f} rows/s "
          f"-> write_cycle runs at {backfill_per_s / floor_per_s:.2f}x the floor")
    print(f"contrast: appender fed datetime objects: {datetime_per_s:,.0f} rows/s ({DATETIME_APPENDER_ROWS:,} rows)")
    print(f"contrast: executemany: {executemany_per_s:,.0f} rows/s ({EXECUTEMANY_ROWS:,} rows) "
          f"-> {backfill_per_s / executemany_per_s:,.0f}x slower than write_cycle")
    return 0


if __name__ == "__main__":
    sys.exit(main())

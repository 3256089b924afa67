"""Measure history ingest: one 5,000-sample poll cycle, bulk backfill through write_cycle, and for
contrast the appender fed datetime objects straight into a TIMESTAMPTZ table, and executemany.
Prints numbers; asserts nothing. (pyarrow and numpy are not dependencies, so no column batches.)"""

from __future__ import annotations

import datetime as dt
import statistics
import sys
import tempfile
import time
from pathlib import Path

from aiops_tui.model import Batch, Sample, SeriesKey, make_labels
from aiops_tui.store.history import History

SERIES_PER_CYCLE = 5_000
CYCLES_TIMED = 20
BACKFILL_SAMPLES = 2_000_000
EXECUTEMANY_ROWS = 5_000
DATETIME_APPENDER_ROWS = 500_000
START_TS = 1_767_225_600.0  # 2026-01-01T00:00:00Z


def build_keys(count: int) -> list[SeriesKey]:
    return [
        SeriesKey("bench", f"metric_{index % 50}_total", make_labels(model=f"model-{index // 50}", team="core"))
        for index in range(count)
    ]


def cycle_batch(keys: list[SeriesKey], ts: float) -> Batch:
    return Batch("bench", ts, [Sample(key, ts, float(index)) for index, key in enumerate(keys)])


def bench_cycle(history: History, keys: list[SeriesKey]) -> float:
    history.write_cycle([cycle_batch(keys, START_TS - 15.0)])  # registers the series, untimed
    times_ms = []
    for cycle in range(CYCLES_TIMED):
        batch = cycle_batch(keys, START_TS + cycle * 15.0)
        started = time.perf_counter()
        history.write_cycle([batch])
        times_ms.append((time.perf_counter() - started) * 1000)
    return statistics.median(times_ms)


def bench_backfill(history: History, keys: list[SeriesKey]) -> float:
    steps = BACKFILL_SAMPLES // len(keys)
    base = START_TS + 86_400.0
    batch = Batch(
        "bench",
        base,
        [Sample(key, base + step * 15.0, float(step)) for step in range(steps) for key in keys],
    )
    started = time.perf_counter()
    written = history.write_cycle([batch])
    return written / (time.perf_counter() - started)


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


def main() -> int:
    keys = build_keys(SERIES_PER_CYCLE)
    with tempfile.TemporaryDirectory() as scratch:
        with History.open(Path(scratch) / "bench.duckdb") as history:
            cycle_ms = bench_cycle(history, keys)
            backfill_per_s = bench_backfill(history, keys)
            datetime_per_s = bench_datetime_appender(history)
            executemany_per_s = bench_executemany(history)
    print(f"5,000-sample cycle commit: {cycle_ms:.1f} ms (median of {CYCLES_TIMED})")
    print(f"bulk backfill via write_cycle: {backfill_per_s:,.0f} samples/s ({BACKFILL_SAMPLES:,} samples)")
    print(f"appender with datetime objects, for contrast: {datetime_per_s:,.0f} rows/s ({DATETIME_APPENDER_ROWS:,} rows)")
    print(f"executemany for contrast: {executemany_per_s:,.0f} rows/s ({EXECUTEMANY_ROWS:,} rows)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

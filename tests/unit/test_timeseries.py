"""The store reads that take a shortcut through the rollups give what the plain scans give."""

from __future__ import annotations

import pytest

from aiops_tui.model import Batch, Sample, SeriesKey, make_labels
from aiops_tui.store import timeseries as ts_sql
from aiops_tui.store.history import History

T0 = 1_767_225_600.0  # 2026-01-01T00:00:00Z, a UTC midnight
MINUTE = 60.0
HOUR = 3600.0
DAY = 86400.0
SPEND = SeriesKey("gw", "litellm_spend_metric_total", make_labels(model="m"))


@pytest.fixture
def history(tmp_path):
    with History.open(tmp_path / "h.duckdb") as opened:
        yield opened


def write(history: History, key: SeriesKey, points: list[tuple[float, float]]) -> int:
    history.write_cycle([Batch(key.source, points[-1][0], [Sample(key, ts, value) for ts, value in points])])
    return history.series_id(key)


def test_first_sample_found_through_the_hour_hint(history):
    # One sample a minute at T0+10+60k for 5 hours; the first at or after T0+3630 is k=61: 10+3660 = T0+3670.
    sid = write(history, SPEND, [(T0 + 10 + MINUTE * k, float(k)) for k in range(300)])
    history.rollup(T0 + 5 * HOUR)
    con = history.cursor()
    assert ts_sql.first_sample_ts(con, [sid], T0 + 3630, T0 + 5 * HOUR) == T0 + 3670


def test_first_sample_after_a_gap_longer_than_the_hint(history):
    # Samples in hour 0 (k=0..59, the last at T0+3550) and again from T0+4h+10: after T0+3560 the next is T0+4h+10.
    points = [(T0 + 10 + MINUTE * k, float(k)) for k in range(60)]
    points += [(T0 + 4 * HOUR + 10 + MINUTE * k, float(60 + k)) for k in range(60)]
    sid = write(history, SPEND, points)
    history.rollup(T0 + 5 * HOUR)
    con = history.cursor()
    assert ts_sql.first_sample_ts(con, [sid], T0 + 3560, T0 + 5 * HOUR) == T0 + 4 * HOUR + 10


def test_first_sample_before_any_rollup_and_of_nothing(history):
    sid = write(history, SPEND, [(T0 + 10 + MINUTE * k, float(k)) for k in range(10)])
    con = history.cursor()
    # No rollup yet: the raw scan answers; T0+100 -> k=2 at T0+130.
    assert ts_sql.first_sample_ts(con, [sid], T0 + 100, T0 + HOUR) == T0 + 130
    assert ts_sql.first_sample_ts(con, [], T0, T0 + HOUR) is None
    assert ts_sql.first_sample_ts(con, [sid], T0 + HOUR, T0 + 2 * HOUR) is None


def test_first_sample_once_its_raw_samples_are_purged_is_its_hour(history):
    # One sample a minute from T0+10 for 5 hours, raw samples purged before T0+3h: the 1 h rollup still
    # holds hour 0, so the first sample is in it (to the hour), not at the raw samples' edge.
    sid = write(history, SPEND, [(T0 + 10 + MINUTE * k, float(k)) for k in range(300)])
    history.rollup(T0 + 5 * HOUR)
    history.purge(T0 + 5 * HOUR, raw_s=2 * HOUR, m1_s=90 * DAY, h1_s=730 * DAY)
    con = history.cursor()
    assert con.execute("SELECT epoch_us(min(ts)) / 1e6 FROM samples").fetchone()[0] == T0 + 3 * HOUR + 10
    assert ts_sql.first_sample_ts(con, [sid], T0, T0 + 5 * HOUR) == T0
    assert ts_sql.first_sample_ts(con, [sid], T0 + 1800, T0 + 5 * HOUR) == T0 + HOUR  # hour 0 began before the span
    assert ts_sql.first_sample_ts(con, [sid], T0 + 3 * HOUR, T0 + 5 * HOUR) == T0 + 3 * HOUR + 10  # raw again


def test_first_sample_past_the_rollups_watermark(history):
    # Rolled up to T0+2h; the series only starts after that: found among the samples not rolled up yet.
    other = write(history, SeriesKey("gw", "litellm_spend_metric_total", make_labels(model="n")),
                  [(T0 + 10 + MINUTE * k, float(k)) for k in range(180)])
    sid = write(history, SPEND, [(T0 + 2 * HOUR + 70 + MINUTE * k, float(k)) for k in range(30)])
    history.rollup(T0 + 2 * HOUR)
    con = history.cursor()
    assert ts_sql.first_sample_ts(con, [sid], T0, T0 + 3 * HOUR) == T0 + 2 * HOUR + 70
    assert ts_sql.first_sample_ts(con, [sid, other], T0 + 600, T0 + 3 * HOUR) == T0 + 610


def test_daily_increase_from_rolled_up_days_and_today(history):
    # Counter = minutes since T0, one sample a minute for 2.5 days (k = 0..3600), rolled up to 2 days 6 hours.
    sid = write(history, SPEND, [(T0 + MINUTE * k, float(k)) for k in range(3601)])
    history.rollup(T0 + 2 * DAY + 6 * HOUR)
    con = history.cursor()
    days = ts_sql.daily_increase(con, [sid], T0, T0 + 2.5 * DAY)
    # Day 0: samples k=0..1439, the first ever adds 0 -> 1439. Day 1: k=1440..2879, each +1 -> 1440.
    # Day 2 (not rolled up whole): steps counted at samples before T0+2.5 d, k=2880..3599 -> 720.
    assert days == [(T0, 1439.0), (T0 + DAY, 1440.0), (T0 + 2 * DAY, 720.0)]
    assert days == [(d, sum(ts_sql.counter_increase(con, [sid], d, min(d + DAY, T0 + 2.5 * DAY)).values()))
                    for d in (T0, T0 + DAY, T0 + 2 * DAY)]
    assert ts_sql.daily_increase(con, [], T0, T0 + 1.5 * DAY) == [(T0, 0.0), (T0 + DAY, 0.0)]


def test_signal_series_by_label_in_one_query(history):
    def breaker(upstream: str) -> SeriesKey:
        return SeriesKey("gw", "signal:breaker_failure_rate", make_labels(upstream=upstream))

    write(history, breaker("a"), [(T0 + 10, 0.1), (T0 + 40, 0.3), (T0 + 70, 0.5)])
    write(history, breaker("b"), [(T0 + 10, 1.0)])
    con = history.cursor()
    got = ts_sql.signal_series_by(con, "gw", "breaker_failure_rate", T0, T0 + 120, label="upstream",
                                  values=["a", "b", "c"], points=2)
    # 60 s buckets: a has (0.1 + 0.3) / 2 = 0.2 in [T0, T0+60) and 0.5 in [T0+60, T0+120); c has no series.
    assert got["a"] == [(T0, pytest.approx(0.2)), (T0 + 60, 0.5)]
    assert got == {"a": got["a"], "b": [(T0, 1.0)], "c": []}

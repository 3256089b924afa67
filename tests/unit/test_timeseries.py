"""The store reads that take a shortcut through the rollups give what the plain scans give."""

from __future__ import annotations

import random

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


@pytest.mark.parametrize(("offset", "late"), [(10.0, None), (1790.0, None), (5410.0, 5410.0)])
def test_late_start_is_where_samples_begin_past_the_spans_first_hour(history, offset, late):
    sid = write(history, SPEND, [(T0 + offset + MINUTE * k, float(k)) for k in range(300)])
    history.rollup(T0 + 6 * HOUR)
    con = history.cursor()
    expected = None if late is None else T0 + late
    assert ts_sql.late_start(con, [sid], T0, T0 + 6 * HOUR) == expected  # the span's first hour is rolled up
    # From half an hour before (not on the hour: found through the raw samples), late by half an hour more.
    assert ts_sql.late_start(con, [sid], T0 - 1800, T0 + 6 * HOUR) == (T0 + offset if offset + 1800 > HOUR else None)
    assert ts_sql.late_start(con, [], T0, T0 + 6 * HOUR) is None


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


def test_daily_increase_of_a_history_begun_late_in_the_month_reads_and_returns_only_its_days(history):
    # Samples from day 3 at 22:00 to day 4 at 02:00 (a counter rising 1 a minute), nothing rolled up yet.
    start = T0 + 3 * DAY + 22 * HOUR
    sid = write(history, SPEND, [(start + MINUTE * k, float(k)) for k in range(241)])
    con = history.cursor()
    until = start + 4 * HOUR
    starts_at = ts_sql.late_start(con, [sid], T0, until)
    assert starts_at == start
    every_day, reads = _reads_of(lambda c: ts_sql.daily_increase(c, [sid], T0, until), con)
    days, reads_from_start = _reads_of(lambda c: ts_sql.daily_increase(c, [sid], T0, until, starts_at=starts_at), con)
    assert every_day == [(T0, 0.0), (T0 + DAY, 0.0), (T0 + 2 * DAY, 0.0), (T0 + 3 * DAY, 119.0), (T0 + 4 * DAY, 120.0)]
    assert days == every_day[3:]  # the days before it are not drawn as nothing spent
    assert min(reads) == T0 and min(reads_from_start) == T0 + 3 * DAY  # nor read


def _reads_of(read, con) -> tuple[object, list[float]]:
    """What `read(con)` returns, and where each query it made begins (its `lo` parameter)."""

    class Recording:
        def execute(self, sql, params=None):
            if params and "lo" in params:
                starts.append(params["lo"] / 1e6)
            return con.execute(sql, params)

    starts: list[float] = []
    return read(Recording()), starts


def test_signal_series_by_label_in_one_query(history):
    def breaker(upstream: str) -> SeriesKey:
        return SeriesKey("gw", "signal:breaker_failure_rate", make_labels(upstream=upstream))

    write(history, breaker("a"), [(T0 + 10, 0.1), (T0 + 40, 0.3), (T0 + 70, 0.5)])
    write(history, breaker("b"), [(T0 + 10, 1.0)])
    con = history.cursor()
    write(history, SeriesKey("gw", "signal:breaker_state", make_labels(upstream="b")), [(T0 + 70, 2.0)])
    con = history.cursor()
    both = ts_sql.signal_series_by(con, ["gw"], ("breaker_failure_rate", "breaker_state"), T0, T0 + 120,
                                   label="upstream", values=["a", "b", "c"], points=2)
    got = both["breaker_failure_rate"]
    # 60 s buckets: a has (0.1 + 0.3) / 2 = 0.2 in [T0, T0+60) and 0.5 in [T0+60, T0+120); c has no series.
    assert got["a"] == [(T0, pytest.approx(0.2)), (T0 + 60, 0.5)]
    assert got == {"a": got["a"], "b": [(T0, 1.0)], "c": []}
    assert both["breaker_state"] == {"a": [], "b": [(T0 + 60, 2.0)], "c": []}


@pytest.mark.parametrize("seed", range(12))
def test_raw_increase_from_the_rollups_carry_is_the_two_hour_lookbacks(tmp_path, seed):
    """Past the 1 m watermark the step into a raw stretch starts from the rollup's carry (or a sample
    between the watermark and the stretch); it must be the step the two-hour lookback finds."""
    rng = random.Random(seed)
    batches, ids_keys = [], []
    for n in range(6):
        key = SeriesKey("gw", "litellm_spend_metric_total", make_labels(model=f"m{n}"))
        ids_keys.append(key)
        step = rng.choice([15.0, 30.0, 60.0, 240.0])
        start = T0 + rng.uniform(0, 3 * HOUR)  # some start after the watermark, some long before
        gap = (start + rng.uniform(0, HOUR), rng.uniform(0, 3 * HOUR)) if rng.random() < 0.5 else (0.0, 0.0)
        value, ts, points = rng.uniform(0, 50), start, []
        while ts < T0 + 4 * HOUR:
            if not gap[0] <= ts < gap[0] + gap[1]:
                value = rng.uniform(0, 5) if rng.random() < 0.05 else value + rng.uniform(0, 2)  # resets now and then
                points.append(Sample(key, ts, value))
            ts += step
        batches.extend(points)
    batches.sort(key=lambda s: s.ts)
    with History.open(tmp_path / "h.duckdb") as history:
        history.write_cycle([Batch("gw", T0 + 4 * HOUR, batches)])
        history.rollup(T0 + rng.uniform(1.5 * HOUR, 3.5 * HOUR))
        con = history.cursor()
        ids = [history.series_id(key) for key in ids_keys]
        watermark = ts_sql.watermark_s(con, "1m")
        for lo in (watermark, watermark + rng.uniform(0, 600), watermark - 90.0):
            hi = lo + rng.uniform(60, 1800)
            plain = {sid: inc for sid, inc, _ in con.execute(ts_sql._WITHOUT_CARRY, {
                "ids": ids, "lo": ts_sql._us(lo), "hi": ts_sql._us(hi), "back": ts_sql._us(lo - ts_sql.LOOKBACK_S)}).fetchall()}
            assert ts_sql._raw_increase(con, ids, lo, hi) == pytest.approx(plain, rel=1e-12), (seed, lo - watermark)


def test_raw_increase_when_a_rollup_passes_the_stretch_after_its_watermark_was_read(history):
    # The views read each watermark once; the recorder may roll up past the stretch meanwhile. Its carry
    # then lies inside the stretch and says nothing of the sample before it: the lookback answers.
    sid = write(history, SPEND, [(T0 + 10 + 30 * k, float(k)) for k in range(4 * 120)])
    history.rollup(T0 + 2 * HOUR)
    con = history.cursor()
    with ts_sql.watermarks_read_once():
        lo = ts_sql.watermark_s(con, "1m")
        history.rollup(T0 + 3 * HOUR)
        assert ts_sql.watermark_s(con, "1m") == lo == T0 + 2 * HOUR
        # Samples at T0+2h+10, +40, ... : 20 steps of 1 in [lo, lo+600), the first from the sample at T0+2h-20.
        assert ts_sql._raw_increase(con, [sid], lo, lo + 600) == {sid: 20.0}

"""Chart series over more than a day read the rollups and give what the raw samples give, past raw retention too."""

from __future__ import annotations

import math

import pytest

from aiops_tui.model import Batch, Sample, SeriesKey
from aiops_tui.store import timeseries as ts_sql
from aiops_tui.store.history import History

T0 = 1_767_225_600.0  # 2026-01-01T00:00:00Z
HOUR = 3600.0
DAY = 86400.0
TRAFFIC = SeriesKey("gw", "signal:requests_per_s")
TOKENS = SeriesKey("gw", "signal:tokens_per_s")
TRAFFIC_OF_A_MODEL = SeriesKey("gw", "signal:requests_per_s", (("model", "x"),))  # a per-model series: never in the total
SINCE = T0 + 20 * HOUR + 90  # not on a bucket edge: the raw samples answer the part-hour at each end
UNTIL = SINCE + 30 * HOUR  # 30 h in 30 points: one-hour chart buckets


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    """A sample every 30 s valued j (its index) for 51 h, a NaN among them, rolled up to T0 + 48 h."""
    path = tmp_path_factory.mktemp("rollup") / "h.duckdb"
    with History.open(path) as opened:
        samples = [Sample(TRAFFIC, T0 + 30 * j, float(j)) for j in range(51 * 120)]
        samples += [Sample(TOKENS, T0 + 30 * j, 2.0 * j) for j in range(51 * 120)]
        samples += [Sample(TRAFFIC_OF_A_MODEL, T0 + 30 * j, 1e6) for j in range(51 * 120)]
        samples.append(Sample(TRAFFIC, T0 + 30.5 * HOUR + 1, math.nan))  # skipped by both paths
        samples.sort(key=lambda s: s.ts)
        opened.write_cycle([Batch("gw", T0 + 51 * HOUR, samples)])
        opened.rollup(T0 + 48 * HOUR)
        yield opened


def expected() -> list[tuple[float, float]]:
    # Hour h holds j = 120h .. 120h + 119: mean 120h + 59.5. The first hour starts at SINCE = 20 h + 90 s,
    # so j = 2403 .. 2519: mean (2403 + 2519) / 2 = 2461. The last ends at 50 h + 90 s: j = 6000 .. 6003, mean 6001.5.
    middle = [(T0 + h * HOUR, 120 * h + 59.5) for h in range(21, 50)]
    return [(T0 + 20 * HOUR, 2461.0), *middle, (T0 + 50 * HOUR, 6001.5)]


def test_resolution_follows_the_span_and_the_bucket_width():
    assert ts_sql.chart_resolution(DAY, 240) == "raw"
    assert ts_sql.chart_resolution(7 * DAY, 240) == "1m"  # 42-minute buckets
    assert ts_sql.chart_resolution(30 * DAY, 240) == "1h"  # 3-hour buckets
    assert ts_sql.chart_resolution(90 * DAY, 240) == "1h"  # 9-hour buckets
    assert ts_sql.chart_resolution(7 * DAY, 168) == "1h"


@pytest.mark.parametrize("resolution", ["raw", "1m", "1h", "auto"])
def test_every_resolution_gives_the_raw_answer(history, resolution):
    got = ts_sql.signal_series(history.cursor(), "gw", "requests_per_s", SINCE, UNTIL, points=30, resolution=resolution)
    assert got == pytest.approx(expected())


@pytest.mark.parametrize("resolution", ["raw", "1m", "1h"])
def test_a_span_from_a_bucket_edge_to_one_gives_the_raw_answer(history, resolution):
    # Nothing before the first rolled bucket, and the span's end (in the span) the one sample of the last bucket.
    got = ts_sql.signal_series(history.cursor(), "gw", "requests_per_s", T0 + 20 * HOUR, T0 + 50 * HOUR, points=30,
                               resolution=resolution)
    assert got == pytest.approx([(T0 + h * HOUR, 120 * h + 59.5) for h in range(20, 50)] + [(T0 + 50 * HOUR, 6000.0)])


@pytest.mark.parametrize("resolution", ["raw", "1m", "1h", "auto"])
def test_several_signals_in_one_query_give_what_each_gives_alone(history, resolution):
    con = history.cursor()
    got = ts_sql.signal_series_many(con, "gw", ["requests_per_s", "tokens_per_s", "error_ratio"], SINCE, UNTIL,
                                    points=30, resolution=resolution)
    assert got["requests_per_s"] == pytest.approx(expected())
    assert got["tokens_per_s"] == pytest.approx([(ts, 2 * value) for ts, value in expected()])
    assert got["error_ratio"] == []  # asked for, never recorded
    for signal in ("requests_per_s", "tokens_per_s"):
        assert got[signal] == ts_sql.signal_series(con, "gw", signal, SINCE, UNTIL, points=30, resolution=resolution)


def test_several_spans_in_one_query_each_in_its_own_buckets(history):
    spans = [(SINCE, UNTIL, 30, "1h"), (UNTIL - HOUR, UNTIL, 60, "raw"), (SINCE, UNTIL, 30, "raw")]
    hourly, last_hour, raw = ts_sql.signal_series_spans(history.cursor(), "gw", ["requests_per_s"], spans)
    assert hourly["requests_per_s"] == pytest.approx(expected())
    assert raw["requests_per_s"] == pytest.approx(expected())
    # The last hour, 49 h + 90 s to 50 h + 90 s, by the minute: minute m holds j = 2m and 2m + 1 (mean 2m + 0.5),
    # but its first minute (m = 2941) only j = 5883, the first sample from 49 h + 90 s on.
    minutes = [(T0 + 2941 * 60, 5883.0)] + [(T0 + m * 60, 2 * m + 0.5) for m in range(2942, 3002)]
    assert last_hour["requests_per_s"] == pytest.approx(minutes)


@pytest.mark.parametrize("resolution", ["1m", "1h", "auto"])
def test_a_signal_by_label_through_the_rollups_gives_the_raw_answer(tmp_path, resolution):
    def breaker(upstream: str) -> SeriesKey:
        return SeriesKey("gw", "signal:breaker_state", (("tier", "t"), ("upstream", upstream)))

    with History.open(tmp_path / "h.duckdb") as history:
        samples = [Sample(breaker("a"), T0 + 30 * j, float(j % 3)) for j in range(51 * 120)]
        samples += [Sample(breaker("b"), T0 + 30 * j, 2.0 * (j // 120 % 2)) for j in range(51 * 120)]
        samples += [Sample(breaker("c"), T0 + 30 * j, 1.0) for j in range(51 * 120)]  # not asked for
        samples.sort(key=lambda s: s.ts)
        history.write_cycle([Batch("gw", T0 + 51 * HOUR, samples)])
        history.rollup(T0 + 48 * HOUR)
        con = history.cursor()

        def by(res: str):
            return ts_sql.signal_series_by(con, ["gw"], ["breaker_state"], SINCE, UNTIL, label="upstream",
                                           values=["a", "b"], points=30, resolution=res)["breaker_state"]

        raw = by("raw")
        assert set(raw) == {"a", "b"} and len(raw["a"]) == 31
        assert raw["b"][1:4] == [(T0 + 21 * HOUR, 2.0), (T0 + 22 * HOUR, 0.0), (T0 + 23 * HOUR, 2.0)]  # open every other hour
        rolled = by(resolution)
        # Raw samples kept from 47 h on only: the rollups still give every whole hour from 21 h.
        history.purge(T0 + 51 * HOUR, raw_s=4 * HOUR, m1_s=90 * DAY, h1_s=730 * DAY)
        purged = by(resolution)
        for upstream in ("a", "b"):
            assert rolled[upstream] == pytest.approx(raw[upstream])
            assert purged[upstream][-30:] == pytest.approx(raw[upstream][1:])  # the hour begun at 20 h is partly raw


def test_past_raw_retention_the_rollups_still_chart_the_span(tmp_path):
    with History.open(tmp_path / "h.duckdb") as history:
        history.write_cycle([Batch("gw", T0 + 51 * HOUR, [Sample(TRAFFIC, T0 + 30 * j, float(j)) for j in range(51 * 120)])])
        history.rollup(T0 + 48 * HOUR)
        history.purge(T0 + 51 * HOUR, raw_s=4 * HOUR, m1_s=90 * DAY, h1_s=730 * DAY)  # raw kept from 47 h on
        con = history.cursor()
        raw = ts_sql.signal_series(con, "gw", "requests_per_s", SINCE, UNTIL, points=30, resolution="raw")
        assert [ts for ts, _ in raw] == [T0 + h * HOUR for h in (47, 48, 49, 50)]
        # Every whole hour comes from samples_1h; the part-hour at the start from samples_1m (j = 2404 .. 2519 from
        # 20 h + 2 min), but for its part-minute (j = 2403), only ever raw and gone.
        charted = ts_sql.signal_series(con, "gw", "requests_per_s", SINCE, UNTIL, points=30)
        assert charted == pytest.approx([(T0 + 20 * HOUR, 2461.5), *expected()[1:]])


def test_a_block_of_reads_keeps_the_watermark_it_read_first_and_answers_the_same(tmp_path):
    with History.open(tmp_path / "h.duckdb") as history:
        history.write_cycle([Batch("gw", T0 + 51 * HOUR, [Sample(TRAFFIC, T0 + 30 * j, float(j)) for j in range(51 * 120)])])
        history.rollup(T0 + 24 * HOUR)
        con = history.cursor()
        with ts_sql.watermarks_read_once():
            before = ts_sql.signal_series(con, "gw", "requests_per_s", SINCE, UNTIL, points=30, resolution="1h")
            history.rollup(T0 + 48 * HOUR)  # the recorder's rollup, between two reads of one views build
            assert ts_sql.watermark_s(con, "1h") == T0 + 24 * HOUR  # read once: every read of the block agrees
            kept = ts_sql.signal_series(con, "gw", "requests_per_s", SINCE, UNTIL, points=30, resolution="1h")
        assert ts_sql.watermark_s(con, "1h") == T0 + 48 * HOUR
        after = ts_sql.signal_series(con, "gw", "requests_per_s", SINCE, UNTIL, points=30, resolution="1h")
        assert before == kept == pytest.approx(expected())
        assert after == pytest.approx(expected())

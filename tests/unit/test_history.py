"""The history store on real files: round trips, rollups against an independent oracle, retention,
file modes and the views people query with the duckdb CLI."""

from __future__ import annotations

import datetime as dt
import math
import os
import random
import stat
import time
from pathlib import Path

import pytest

from aiops_tui.model import Batch, Event, Sample, SeriesKey
from aiops_tui.store import rollup as rollups
from aiops_tui.store.history import History, HistoryError
from history_builders import T0, batch, key, samples_of

UTC = dt.timezone.utc


def at(offset_s: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(T0 + offset_s, UTC)


@pytest.fixture
def history(tmp_path: Path):
    with History.open(tmp_path / "history.duckdb") as opened:
        yield opened


# -- round trip ---------------------------------------------------------------------------


def test_samples_and_events_read_back_exactly(tmp_path: Path) -> None:
    spend = key("litellm_spend_metric_total", model="gpt-4", team="None")
    odd = key("latency_seconds", source="prometheus", route='/v1/"chat"', region="são-paulo")
    written = [
        Sample(spend, T0 + 0.123456, 0.0105),
        Sample(spend, T0 + 15.000001, 1e300),
        Sample(odd, T0 + 7.5, -3.25),
        Sample(odd, T0 + 8.0, math.nan),
    ]
    events = [
        Event(T0 + 1.000002, "breaker", "openai/gpt-4", "closed", "open", {"failure_rate": 0.625, "calls": [1, 2]}),
        Event(T0 + 2.0, "note", "incident", None, None, {"text": "rolled back — ünïcode", "nested": {"k": None}}),
    ]
    path = tmp_path / "history.duckdb"
    with History.open(path) as history:
        assert history.write_cycle([Batch("gw", T0, written[:2], events[:1]), Batch("prometheus", T0, written[2:])]) == 5
        history.write_events(events[1:])

    with History.open(path, read_only=True) as history:
        assert history.read_only and history.path == path
        assert history.samples("litellm_spend_metric_total", T0, T0 + 60) == [
            (spend, round(T0 + 0.123456, 6), 0.0105),
            (spend, round(T0 + 15.000001, 6), 1e300),
        ]
        got = history.samples("latency_seconds", T0, T0 + 60, source="prometheus")
        assert [(k, ts) for k, ts, _ in got] == [(odd, T0 + 7.5), (odd, T0 + 8.0)]
        assert got[0][2] == -3.25 and math.isnan(got[1][2])
        assert got[0][0].label("region") == "são-paulo" and got[0][0].label("route") == '/v1/"chat"'
        assert history.samples("latency_seconds", T0, T0 + 60, source="gw") == []
        assert history.events(T0, T0 + 60) == [
            Event(round(T0 + 1.000002, 6), "breaker", "openai/gpt-4", "closed", "open",
                  {"failure_rate": 0.625, "calls": [1, 2]}),
            events[1],
        ]
        assert [e.kind for e in history.events(T0, T0 + 60, kinds=["note"])] == ["note"]
        assert history.time_range() == (round(T0 + 0.123456, 6), round(T0 + 15.000001, 6))


def test_samples_are_stored_in_time_order_within_a_cycle(history: History) -> None:
    series = key("queue_depth")
    history.write_cycle([batch(samples_of(series, [(30, 3.0), (10, 1.0), (20, 2.0)]))])
    rows = history.con.execute("SELECT value FROM samples ORDER BY rowid").fetchall()
    assert rows == [(1.0,), (2.0,), (3.0,)]


def test_samples_window_includes_both_ends(history: History) -> None:
    series = key("queue_depth")
    history.write_cycle([batch(samples_of(series, [(0, 1.0), (10, 2.0), (20, 3.0)]))])
    assert [v for _, _, v in history.samples("queue_depth", T0 + 0, T0 + 10)] == [1.0, 2.0]


def test_latest_takes_the_newest_sample_within_the_lookback(history: History) -> None:
    a, b = key("in_flight", model="a"), key("in_flight", model="b")
    history.write_cycle([batch(samples_of(a, [(0, 1.0), (100, 2.0)]), samples_of(b, [(0, 5.0)]))])
    # at T0+150 with a 120 s look-back: a's sample at +100 qualifies, b's at +0 is 150 s old.
    assert history.latest("in_flight", at=T0 + 150, lookback_s=120) == [(a, T0 + 100, 2.0)]
    # at T0+50: a newer sample (+100) lies in the future and is ignored.
    assert history.latest("in_flight", at=T0 + 50, lookback_s=120) == [(a, T0, 1.0), (b, T0, 5.0)]


def test_series_ids_survive_reopen_and_are_not_duplicated(tmp_path: Path) -> None:
    path = tmp_path / "history.duckdb"
    series = key("requests_total", model="gpt-4")
    with History.open(path) as history:
        history.write_cycle([batch(samples_of(series, [(0, 1.0)]))])
        first_id = history.series_id(series)
    with History.open(path) as history:
        assert history.series_id(series) == first_id
        history.write_cycle([batch(samples_of(key("requests_total", model="gpt-4"), [(10, 2.0)]))])
        assert history.con.execute("SELECT count(*) FROM series").fetchone() == (1,)
        assert history.con.execute("SELECT labels FROM series").fetchone() == ('{"model":"gpt-4"}',)


def test_unsorted_labels_key_the_same_series(history: History) -> None:
    tidy = key("requests_total", model="gpt-4", team="core")
    untidy = SeriesKey("gw", "requests_total", (("team", "core"), ("model", "gpt-4")))
    history.write_cycle([batch(samples_of(tidy, [(0, 1.0)]), samples_of(untidy, [(10, 2.0)]))])
    assert history.series_id(untidy) == history.series_id(tidy)
    assert history.samples("requests_total", T0, T0 + 60) == [(tidy, T0, 1.0), (tidy, T0 + 10, 2.0)]


def test_series_met_in_a_failed_write_are_registered_again_by_the_next(history: History) -> None:
    known = key("requests_total", model="gpt-4")
    history.write_cycle([batch(samples_of(known, [(0, 1.0)]))])
    untidy = SeriesKey("gw", "tokens_total", (("team", "core"), ("model", "gpt-4")))
    fresh = key("errors_total", model="gpt-4")
    garbled = Sample(fresh, T0 + 20, "not a number")  # type: ignore[arg-type]
    with pytest.raises(HistoryError, match="cannot write the history file"):
        history.write_cycle([batch([Sample(untidy, T0 + 10, 2.0), garbled])])
    assert history.con.execute("SELECT name FROM series ORDER BY series_id").fetchall() == [("requests_total",)]

    history.write_cycle([batch([Sample(untidy, T0 + 10, 2.0), Sample(fresh, T0 + 20, 3.0), Sample(known, T0 + 30, 4.0)])])
    assert history.con.execute("SELECT series_id, name, labels FROM series ORDER BY series_id").fetchall() == [
        (1, "requests_total", '{"model":"gpt-4"}'),
        (2, "tokens_total", '{"model":"gpt-4","team":"core"}'),
        (3, "errors_total", '{"model":"gpt-4"}'),
    ]
    assert history.samples("tokens_total", T0, T0 + 60) == [(key("tokens_total", model="gpt-4", team="core"), T0 + 10, 2.0)]
    assert history.series_id(untidy) == 2


def test_reader_refuses_to_write_and_unknown_series(tmp_path: Path) -> None:
    path = tmp_path / "history.duckdb"
    History.open(path).close()
    with History.open(path, read_only=True) as history:
        with pytest.raises(HistoryError, match="opened read-only"):
            history.write_cycle([batch(samples_of(key("x"), [(0, 1.0)]))])
        with pytest.raises(KeyError):
            history.series_id(key("never_written"))


# -- rollups ------------------------------------------------------------------------------


def oracle(points: list[tuple[float, float]], width_s: float) -> dict[float, tuple]:
    """Bucket start -> (min, max, avg, last, count, increase), straight from sorted raw points."""
    buckets: dict[float, list] = {}
    previous = None
    for ts, value in points:
        if not math.isfinite(value):
            continue
        start = math.floor(ts / width_s) * width_s
        step = 0.0 if previous is None else (value - previous if value >= previous else value)
        entry = buckets.setdefault(start, [[], 0.0])
        entry[0].append(value)
        entry[1] += step
        previous = value
    return {
        start: (min(vals), max(vals), sum(vals) / len(vals), vals[-1], len(vals), increase)
        for start, (vals, increase) in buckets.items()
    }


def stored(history: History, table: str, series_id: int) -> dict[float, tuple]:
    rows = history.con.execute(
        f"SELECT epoch_us(bucket) / 1e6, min, max, avg, last, count, increase FROM {table} "
        "WHERE series_id = ? ORDER BY bucket",
        [series_id],
    ).fetchall()
    return {row[0]: tuple(row[1:]) for row in rows}


def assert_buckets_equal(got: dict[float, tuple], want: dict[float, tuple]) -> None:
    assert list(got) == list(want)
    for start in want:
        g, w = got[start], want[start]
        assert g[0] == w[0] and g[1] == w[1] and g[3] == w[3] and g[4] == w[4], start
        assert g[2] == pytest.approx(w[2], rel=1e-12) and g[5] == pytest.approx(w[5], rel=1e-12, abs=1e-9), start


def test_rollup_by_hand_with_resets_inside_and_across_buckets(history: History) -> None:
    counter = key("litellm_requests_metric_total")
    gauge = key("litellm_in_flight_requests")
    history.write_cycle([batch(
        # minute 0: 10, 15, 3 (reset mid-bucket); minute 1: 5, 9, 12; minute 2: 2 (reset across
        # the boundary from 12), 4.
        samples_of(counter, [(0, 10), (20, 15), (40, 3), (70, 5), (100, 9), (119, 12), (130, 2), (150, 4)]),
        samples_of(gauge, [(5, 2.0), (6, math.nan), (65, 4.0)]),
    )])
    history.rollup(T0 + 180)
    assert stored(history, "samples_1m", history.series_id(counter)) == {
        # increase: first sample ever 0, +5 (15-10), +3 (reset: 3 counts whole) = 8
        T0: (3.0, 15.0, 28 / 3, 3.0, 3, 8.0),
        # increase: +2 (5-3 from the minute before), +4, +3 = 9
        T0 + 60: (5.0, 12.0, 26 / 3, 12.0, 3, 9.0),
        # increase: +2 (reset from 12 to 2 counts 2), +2 = 4
        T0 + 120: (2.0, 4.0, 3.0, 4.0, 2, 4.0),
    }
    # The NaN sample is skipped: minute 0 holds one gauge sample, not two.
    assert stored(history, "samples_1m", history.series_id(gauge)) == {
        T0: (2.0, 2.0, 2.0, 2.0, 1, 0.0),
        T0 + 60: (4.0, 4.0, 4.0, 4.0, 1, 2.0),
    }
    # Raw reset-aware increase: 5 + 3 + 2 + 4 + 3 + 2 + 2 = 21 = 8 + 9 + 4.
    total = history.con.execute(
        "SELECT sum(increase) FROM samples_1m WHERE series_id = ?", [history.series_id(counter)]
    ).fetchone()
    assert total == (21.0,)


def test_rollup_leaves_an_incomplete_minute_for_later(history: History) -> None:
    counter = key("requests_total")
    history.write_cycle([batch(samples_of(counter, [(10, 1.0), (70, 2.0), (130, 4.0)]))])
    history.rollup(T0 + 150)  # minute [120, 180) is still open
    assert list(stored(history, "samples_1m", history.series_id(counter))) == [T0, T0 + 60]
    history.write_cycle([batch(samples_of(counter, [(170, 7.0)]))])
    history.rollup(T0 + 180)
    # minute 2: +2 (4 - 2) and +3 (7 - 4), both samples counted.
    assert stored(history, "samples_1m", history.series_id(counter))[T0 + 120] == (4.0, 7.0, 5.5, 7.0, 2, 5.0)


def random_counters() -> dict[SeriesKey, list[tuple[float, float]]]:
    """Three counters over 3 h from T0, a sample every 7-23 s, with resets, one with a 15-minute gap."""
    rng = random.Random(20260101)
    series = [key("requests_total", model=m) for m in ("a", "b", "c")]
    points: dict = {s: [] for s in series}
    for s in series:
        offset, value = rng.uniform(0, 5), 0.0
        while offset < 3 * 3600 - 1:
            if s.label("model") == "c" and 4000 < offset < 4900:
                offset += 30  # a 15-minute gap: the next bucket's increase starts from the carry
                continue
            value = rng.uniform(0, 3) if rng.random() < 0.02 else value + rng.randint(0, 5)
            points[s].append((T0 + round(offset, 3), value))
            offset += rng.uniform(7, 23)
    return points


def assert_rolled_up(history: History, points: dict[SeriesKey, list[tuple[float, float]]]) -> None:
    for s, series_points in points.items():
        sid = history.series_id(s)
        assert_buckets_equal(stored(history, "samples_1m", sid), oracle(series_points, 60))
        assert_buckets_equal(stored(history, "samples_1h", sid), oracle(series_points, 3600))
        raw_increase = sum(b[5] for b in oracle(series_points, 1e9).values())
        hourly_increase = sum(b[5] for b in stored(history, "samples_1h", sid).values())
        assert hourly_increase == pytest.approx(raw_increase, rel=1e-12)


def test_incremental_rollups_equal_an_independent_computation(history: History) -> None:
    points = random_counters()
    series = list(points)
    all_samples = sorted(
        (Sample(s, ts, v) for s in series for ts, v in points[s]), key=lambda sample: sample.ts
    )
    # Written in 10-minute cycles, rolled up after each, as the recorder does.
    for chunk_end in range(600, 3 * 3600 + 1, 600):
        chunk = [x for x in all_samples if chunk_end - 600 <= x.ts - T0 < chunk_end]
        history.write_cycle([Batch("gw", T0 + chunk_end, chunk)])
        history.rollup(T0 + chunk_end - 45)
    history.rollup(T0 + 3 * 3600 + 60)
    assert_rolled_up(history, points)


def test_hours_rolled_up_at_once_go_in_pieces_with_the_same_buckets(history: History, monkeypatch) -> None:
    points = random_counters()
    history.write_cycle([Batch("gw", T0, [Sample(s, ts, v) for s, series_points in points.items() for ts, v in series_points])])
    pieces = []
    real_rollup_minutes = rollups._rollup_minutes
    monkeypatch.setattr(rollups, "_piece_rows", lambda con: 500)
    monkeypatch.setattr(rollups, "_rollup_minutes", lambda con, hi_us: pieces.append(hi_us) or real_rollup_minutes(con, hi_us))
    history.rollup(T0 + 3 * 3600 + 60)
    assert len(pieces) == 5  # 2,106 samples in 3 h: in five pieces of 37 minutes, about 420 samples each
    assert pieces == sorted(pieces) and all(hi % rollups.MINUTE_US == 0 for hi in pieces)
    assert_rolled_up(history, points)


@pytest.mark.parametrize("limit, rows", [("48MB", 91_400), ("1GB", 1_907_200), ("100KB", 191), ("-1", round(2_000 * 2**30 * 16383.9))])
def test_a_rollup_piece_is_sized_by_the_connections_memory_limit(limit: str, rows: float) -> None:
    import duckdb

    con = duckdb.connect()
    con.execute(f"SET memory_limit = '{limit}'")  # shown back as '45.7 MiB', '953.6 MiB', '97.6 KiB', '16383.9 PiB'
    assert rollups._piece_rows(con) == rows  # 2,000 raw samples a MiB
    con.close()


def test_a_day_of_samples_rolls_up_at_once_within_the_history_memory_limit(tmp_path: Path) -> None:
    # The demo's model at 60 s steps writes 1,237 series: a day of it is 1.8M samples. Rolled up in one piece
    # that needed more than the 48 MB the cockpit gives DuckDB, and `aiops-tui demo --backfill 1d` stopped there.
    series = [key("requests_total", model=f"m{i}") for i in range(1_250)]
    hours = 26
    with History.open(tmp_path / "day.duckdb") as history:
        for hour in range(hours):
            minutes = range(hour * 60, hour * 60 + 60)
            history.write_cycle([Batch("gw", T0, [Sample(s, T0 + 60 * m + 1, float(m + i)) for m in minutes
                                                  for i, s in enumerate(series)])])
        history.rollup(T0 + hours * 3600)
        rolled = history.con.execute("SELECT count(*), sum(count), sum(increase) FROM samples_1m").fetchone()
        hourly = history.con.execute("SELECT count(*), sum(increase) FROM samples_1h").fetchone()
    minutes_per_series = hours * 60
    increase = len(series) * (minutes_per_series - 1)  # +1 a minute after each series' first sample
    assert rolled == (len(series) * minutes_per_series, len(series) * minutes_per_series, increase)
    assert hourly == (len(series) * hours, increase)


def test_rollups_query_returns_buckets_by_series(history: History) -> None:
    counter = key("requests_total", model="a")
    history.write_cycle([batch(samples_of(counter, [(0, 1.0), (3600, 4.0), (3700, 6.0)]))])
    history.rollup(T0 + 7200)
    rows = history.rollups("requests_total", T0, T0 + 7200, resolution="1h")
    # hour 0: one sample, increase 0; hour 1: +3 (from 1) and +2.
    assert [(r.key, r.ts, r.count, r.increase, r.last) for r in rows] == [
        (counter, T0, 1, 0.0, 1.0),
        (counter, T0 + 3600, 2, 5.0, 6.0),
    ]


# -- retention ----------------------------------------------------------------------------


def test_purge_removes_only_what_is_older_than_each_horizon(history: History) -> None:
    gauge = key("queue_depth")
    # One sample every 10 minutes for two days: 288 samples, 288 minute buckets, 48 hours.
    history.write_cycle([batch(samples_of(gauge, [(k * 600, float(k)) for k in range(288)]))])
    now = T0 + 2 * 86400
    history.rollup(now)
    deleted = history.purge(now, raw_s=2 * 3600, m1_s=6 * 3600, h1_s=86400)

    def remaining(table: str, column: str) -> tuple:
        return history.con.execute(f"SELECT count(*), min(epoch_us({column})) / 1e6 FROM {table}").fetchone()

    # raw kept from now - 2 h = T0 + 165,600 (sample k = 276, exactly on the horizon): k = 276..287
    assert remaining("samples", "ts") == (12, T0 + 165_600)
    # 1 m kept from now - 6 h = T0 + 151,200: k = 252..287
    assert remaining("samples_1m", "bucket") == (36, T0 + 151_200)
    # 1 h kept from now - 1 d = T0 + 86,400: hours 24..47
    assert remaining("samples_1h", "bucket") == (24, T0 + 86_400)
    assert deleted == (288 - 12) + (288 - 36) + (48 - 24)


def test_purge_keeps_raw_samples_not_yet_rolled_up(history: History) -> None:
    gauge = key("queue_depth")
    history.write_cycle([batch(samples_of(gauge, [(0, 1.0), (600, 2.0), (1200, 3.0)]))])
    history.rollup(T0 + 660)  # minutes up to +660 done: the sample at +1200 is raw only
    assert history.purge(T0 + 10 * 86400, raw_s=60, m1_s=1e9, h1_s=1e9) == 2
    assert history.samples("queue_depth", T0, T0 + 2000) == [(gauge, T0 + 1200, 3.0)]


# -- files --------------------------------------------------------------------------------


def test_new_files_and_their_wal_are_private(tmp_path: Path) -> None:
    path = tmp_path / "data" / "history.duckdb"
    with History.open(path) as history:
        history.write_cycle([batch(samples_of(key("x"), [(0, 1.0)]))])
        wal = Path(f"{path}.wal")
        assert wal.exists()
        assert stat.S_IMODE(os.stat(wal).st_mode) == 0o600
        snapshot = history.snapshot(tmp_path / "snap.duckdb")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(snapshot).st_mode) == 0o600


def test_snapshot_is_readable_while_the_writer_keeps_the_original(tmp_path: Path) -> None:
    series = key("requests_total")
    with History.open(tmp_path / "live.duckdb") as live:
        live.write_cycle([batch(samples_of(series, [(0, 1.0), (60, 2.0)]))])
        live.write_events([Event(T0 + 5, "breaker", "openai/gpt-4", "closed", "open")])
        snapshot = live.snapshot(tmp_path / "review" / "snap.duckdb")
        with History.open(snapshot, read_only=True) as review:
            assert review.samples("requests_total", T0, T0 + 60) == [(series, T0, 1.0), (series, T0 + 60, 2.0)]
            assert [e.subject for e in review.events(T0, T0 + 60)] == ["openai/gpt-4"]
        with pytest.raises(HistoryError, match="already exists"):
            live.snapshot(snapshot)
    with History.open(tmp_path / "live.duckdb", read_only=True) as reader:
        again = reader.snapshot(tmp_path / "again.duckdb")
    with History.open(again, read_only=True) as review:
        assert review.samples("requests_total", T0, T0 + 60) == [(series, T0, 1.0), (series, T0 + 60, 2.0)]


# -- views --------------------------------------------------------------------------------


def test_views_give_the_numbers_a_person_would_compute(history: History) -> None:
    gpt4 = key("litellm_spend_metric_total", model="gpt-4", team="None")
    health = key("litellm_spend_metric_total", model="gpt-4", team="litellm-internal-health-check")
    claude = key("litellm_spend_metric_total", model="claude", team="None")
    sim_twin = key("aiops_cost_usd_total", model="claude")  # same source exposes LiteLLM's: ignored
    otel = key("gen_ai_usage_cost_USD_sum", source="otel", gen_ai_request_model="gpt-4")
    not_cost = key("litellm_requests_metric_total", model="gpt-4")
    latency = key("latency_seconds", model="gpt-4")
    history.write_cycle([
        batch(
            samples_of(gpt4, [(0, 1.0), (1800, 3.0), (3600, 4.5), (5400, 0.5), (6300, 2.0)]),
            samples_of(health, [(0, 0.0), (1800, 100.0)]),
            samples_of(claude, [(600, 5.0), (1200, 7.0)]),
            samples_of(sim_twin, [(600, 5.0), (1200, 9.0)]),
            samples_of(not_cost, [(0, 0.0), (1800, 50.0)]),
            # 5-minute buckets: [0, 300) holds 1, 11, 2, 3, 4, 5; [300, 600) holds 6..10.
            samples_of(latency, [(0, 1.0), (30, 11.0)] + [(k * 60, float(k + 1)) for k in range(1, 10)]),
        ),
        batch(samples_of(otel, [(60, 0.0), (3660, 0.25)]), source="otel"),
    ])
    history.write_events([
        Event(T0 + 10, "breaker", "openai/gpt-4", "closed", "open", {"failure_rate": 0.6}),
        Event(T0 + 20, "alert", "LLMCircuitBreakerOpen", None, "firing"),
        Event(T0 + 40, "breaker", "openai/gpt-4", "open", "half_open"),
    ])
    history.rollup(T0 + 7200)
    con = history.con

    assert sorted(con.execute("SELECT hour, source, model, usd FROM cost_hourly").fetchall()) == sorted([
        (at(0), "gw", "gpt-4", 2.0),        # 0 (first sample) + (3 - 1)
        (at(3600), "gw", "gpt-4", 3.5),     # (4.5 - 3) + 0.5 (reset) + (2 - 0.5)
        (at(0), "gw", "claude", 2.0),       # 7 - 5; the aiops twin (+4) is not added
        (at(0), "otel", "gpt-4", 0.0),
        (at(3600), "otel", "gpt-4", 0.25),  # 0.25 - 0 across the hour boundary
    ])
    assert sorted(con.execute("SELECT day, model, usd FROM cost_daily_by_model").fetchall()) == [
        (dt.date(2026, 1, 1), "claude", 2.0),
        (dt.date(2026, 1, 1), "gpt-4", 5.75),  # 2 + 3.5 + 0 + 0.25
    ]
    assert con.execute(
        "SELECT ts, upstream, from_state, to_state, detail FROM breaker_transitions ORDER BY ts"
    ).fetchall() == [
        (at(10), "openai/gpt-4", "closed", "open", '{"failure_rate":0.6}'),
        (at(40), "openai/gpt-4", "open", "half_open", "{}"),
    ]
    golden = con.execute(
        "SELECT bucket, avg, max, last FROM golden_5m WHERE name = 'latency_seconds' ORDER BY bucket"
    ).fetchall()
    # avg weights each minute by its samples: (1 + 11 + 2 + 3 + 4 + 5) / 6 = 26 / 6, not the
    # mean of minute averages (6 + 2 + 3 + 4 + 5) / 5 = 4.
    assert golden[0][0] == at(0) and golden[0][1] == pytest.approx(26 / 6) and golden[0][2:] == (11.0, 5.0)
    assert golden[1] == (at(300), 8.0, 10.0, 10.0)  # 6..10: mean 8


def test_close_interrupts_a_reader_still_querying_on_another_thread(tmp_path: Path) -> None:
    """The app quitting while a views worker is mid-query: the file closes, the reader gets an error, nobody hangs."""
    import threading

    history = History.open(tmp_path / "h.duckdb")
    history.write_cycle([batch(samples_of(key("latency_seconds"), [(0.0, 1.0)]))])
    started, failed = threading.Event(), []

    def slow_read() -> None:
        cursor = history.cursor()
        started.set()
        try:
            cursor.execute("SELECT count(*) FROM range(20000000000) t(i) WHERE i % 7 = 3").fetchall()
        except Exception as exc:  # what a thread worker would report
            failed.append(type(exc).__name__)

    reader = threading.Thread(target=slow_read)
    reader.start()
    started.wait(5)
    time.sleep(0.2)  # the query is running
    history.close()
    reader.join(5)
    assert not reader.is_alive()
    assert failed and "Interrupt" in failed[0]
    with History.open(tmp_path / "h.duckdb", read_only=True) as again:
        assert again.time_range() == (T0, T0)


def test_absorb_copies_another_file_with_its_series_given_this_files_ids(tmp_path: Path) -> None:
    latency, errors = key("latency_seconds", model="gpt-4o"), key("errors_total", model="gpt-4o")
    with History.open(tmp_path / "other.duckdb") as other:
        # Registered in the other order there, so its ids differ from ours.
        other.write_cycle([batch(samples_of(errors, [(60.0, 3.0), (120.0, 5.0)]), samples_of(latency, [(60.0, 0.7)]),
                                 events=[Event(T0 + 90, "breaker", "openai/gpt-4o", "closed", "open")])])
    with History.open(tmp_path / "h.duckdb") as history:
        history.write_cycle([batch(samples_of(latency, [(0.0, 0.5)]))])
        copied = history.absorb(tmp_path / "other.duckdb")
        assert copied == 4  # three samples and an event
        assert [(k, ts - T0, v) for k, ts, v in history.samples("latency_seconds", T0, T0 + 200)] == [
            (latency, 0.0, 0.5), (latency, 60.0, 0.7)]
        assert [(ts - T0, v) for _, ts, v in history.samples("errors_total", T0, T0 + 200)] == [(60.0, 3.0), (120.0, 5.0)]
        assert [(e.ts - T0, e.kind, e.to_state) for e in history.events(T0, T0 + 200)] == [(90.0, "breaker", "open")]
        assert history.con.execute("SELECT count(*) FROM series").fetchone()[0] == 2
        history.write_cycle([batch(samples_of(errors, [(180.0, 6.0)]))])  # the absorbed series is ours now
        assert history.con.execute("SELECT count(*) FROM series").fetchone()[0] == 2


def test_a_file_without_series_absorbs_theirs_as_they_are_and_forgets_them_if_it_fails(tmp_path: Path) -> None:
    latency, errors, fresh = key("latency_seconds", model="gpt-4o"), key("errors_total", model="gpt-4o"), key("up")
    recording = tmp_path / "recording"
    recording.mkdir()
    with History.open(tmp_path / "other.duckdb") as other:
        other.write_cycle([batch(samples_of(errors, [(60.0, 3.0)]), samples_of(latency, [(60.0, 0.7)]))])
        for table in ("series", "samples", "events"):
            other.con.execute(f"COPY {table} TO '{recording / table}.parquet' (FORMAT parquet)")
        theirs = other.con.execute("SELECT * FROM series ORDER BY series_id").fetchall()
    with History.open(tmp_path / "h.duckdb") as history:
        (recording / "samples.parquet").rename(tmp_path / "samples.parquet")
        with pytest.raises(HistoryError):
            history.absorb(recording)
        history.write_cycle([batch(samples_of(latency, [(0.0, 0.5)]))])  # registered anew: nothing was kept
        assert history.con.execute("SELECT series_id, name FROM series").fetchall() == [(1, "latency_seconds")]

    with History.open(tmp_path / "h2.duckdb") as history:
        (tmp_path / "samples.parquet").rename(recording / "samples.parquet")
        assert history.absorb(recording, shift_s=60) == 2
        assert history.con.execute("SELECT * FROM series ORDER BY series_id").fetchall() == theirs
        history.write_cycle([batch(samples_of(errors, [(180.0, 6.0)]), samples_of(fresh, [(180.0, 1.0)]))])
        assert history.con.execute("SELECT series_id, name FROM series ORDER BY series_id").fetchall() == [
            (1, "errors_total"), (2, "latency_seconds"), (3, "up")]
        assert [(ts - T0, v) for _, ts, v in history.samples("errors_total", T0, T0 + 200)] == [(120.0, 3.0), (180.0, 6.0)]

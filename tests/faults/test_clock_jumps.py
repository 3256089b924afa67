"""An NTP step back of an hour under a running recorder: rates stay non-negative, rollups stay equal
to the raw samples, and month spend neither spikes nor goes negative."""

from __future__ import annotations

import math
from collections import defaultdict

import pytest

from aiops_tui.store import timeseries
from loopback import Answer, ScriptedServer
from recording import T0, HandClock, gateway_source, record, recorder_for

STEP_S = 60.0
BEFORE_JUMP = 70  # cycles: 70 minutes of history, so complete hours and minutes are rolled up
AFTER_JUMP = 80  # cycles: the stepped-back clock passes the newest pre-jump sample by 20 minutes
JUMP_S = -3600.0


def oracle_buckets(points: list[tuple[float, float]], width_s: float) -> dict[float, tuple[float, float, int, float]]:
    """(min, max, count, increase) per bucket from time-ordered raw points; a drop is a reset."""
    out: dict[float, list] = {}
    prev = None
    for ts, value in points:
        start = math.floor(ts / width_s) * width_s
        step = 0.0 if prev is None else value - prev if value >= prev else value
        b = out.setdefault(start, [value, value, 0, 0.0])
        b[0], b[1], b[2], b[3] = min(b[0], value), max(b[1], value), b[2] + 1, b[3] + step
        prev = value
    return {k: tuple(v) for k, v in out.items()}


def scrape_at(minute: int) -> bytes:
    """The gateway after `minute` minutes of its own time: 12 requests and $0.25 a minute per model."""
    lines = ["# TYPE litellm_proxy_total_requests_metric_total counter", "# TYPE litellm_spend_metric_total counter"]
    for model, share in (("gpt-4o", 1.0), ("local", 0.5)):
        lines.append(f'litellm_proxy_total_requests_metric_total{{requested_model="{model}"}} {12 * minute * share}')
        lines.append(f'litellm_spend_metric_total{{model="{model}"}} {0.25 * minute * share}')
    return ("\n".join(lines) + "\n").encode()


@pytest.fixture(scope="module")
def stepped_back(tmp_path_factory) -> dict:
    """Record for 70 min, step the recorder's clock back 1 h, record 80 min more."""
    path = tmp_path_factory.mktemp("clock") / "history.duckdb"
    clock = HandClock(T0)
    with ScriptedServer() as server:
        recorder = recorder_for(path, [gateway_source("gw", server.url + "/metrics", clock, interval_s=STEP_S)], clock)
        steps = [STEP_S] * (BEFORE_JUMP - 1) + [JUMP_S + STEP_S] + [STEP_S] * (AFTER_JUMP - 1)
        original_run_cycle = recorder.poller.run_cycle
        notes: list[str | None] = []

        async def run_cycle_on_gateway_time():
            # The gateway's counters move one minute per cycle, whatever our clock says.
            server.answers["/metrics"] = Answer(200, scrape_at(recorder.poller.cycles))
            batches = await original_run_cycle()
            notes.append(recorder.last_error)
            return batches

        recorder.poller.run_cycle = run_cycle_on_gateway_time  # type: ignore[method-assign]
        record(recorder, steps)
    end_ts = clock.now
    history = recorder.history
    history.rollup(end_ts + 3600)  # close every bucket the run touched
    yield {"history": history, "end_ts": end_ts, "recorder": recorder, "notes": notes}
    history.close()


def test_direct_rates_are_never_negative(stepped_back):
    con = stepped_back["history"].con
    rows = con.execute(
        """SELECT s.name, min(v.value) FROM samples v JOIN series s USING (series_id)
           WHERE s.name LIKE 'signal:%' AND isfinite(v.value) GROUP BY 1"""
    ).fetchall()
    assert rows, "no direct-mode signals were derived"
    negative = {name: low for name, low in rows if low < 0}
    assert negative == {}


def test_rollups_equal_the_raw_samples_after_the_jump(stepped_back):
    con = stepped_back["history"].con
    raw = defaultdict(list)
    for sid, ts, value in con.execute(
        "SELECT series_id, epoch_us(ts) / 1e6, value FROM samples WHERE isfinite(value) ORDER BY series_id, ts, rowid"
    ).fetchall():
        raw[sid].append((ts, value))
    stored = defaultdict(dict)
    for sid, bucket, low, high, count, increase in con.execute(
        "SELECT series_id, epoch_us(bucket) / 1e6, min, max, count, increase FROM samples_1m"
    ).fetchall():
        stored[sid][bucket] = (low, high, count, increase)
    assert raw and stored
    mismatched = []
    for sid, points in raw.items():
        want = oracle_buckets(points, 60.0)
        got = stored[sid]
        for bucket in want.keys() | got.keys():
            w, g = want.get(bucket), got.get(bucket)
            if w is None or g is None or w[:3] != g[:3] or not math.isclose(w[3], g[3], rel_tol=1e-9, abs_tol=1e-9):
                mismatched.append((sid, bucket, w, g))
    assert mismatched == []
    assert con.execute("SELECT count(*) FROM samples_1m WHERE increase < 0").fetchone() == (0,)


def test_spend_over_the_run_equals_what_the_gateway_counted(stepped_back):
    history, end_ts = stepped_back["history"], stepped_back["end_ts"]
    con = history.con
    ids = timeseries.cost_series(con, "gw")
    assert ids, "the sim exposes no spend counter"
    increase = timeseries.counter_increase(con, ids, T0 - 1, max(end_ts, T0 + BEFORE_JUMP * STEP_S) + 1)
    # What the gateway counted: its spend counters never reset in this run, so for each series
    # the increase is its last value minus its first value, in the order the scrapes arrived.
    truth = {}
    for sid in ids:
        values = [v for (v,) in con.execute("SELECT value FROM samples WHERE series_id = ? ORDER BY rowid", [sid]).fetchall()]
        truth[sid] = values[-1] - values[0]
    assert sum(truth.values()) > 0
    for sid in ids:
        assert increase[sid] >= 0
        assert increase[sid] == pytest.approx(truth[sid], rel=1e-9, abs=1e-9), sid


def test_the_user_is_told_in_one_line_and_nothing_is_written_out_of_order(stepped_back):
    notes = stepped_back["notes"]
    # Cycle 69 ran at T0 + 69 min; cycle 70 at T0 + 10 min: 59 min = 3,540 s behind the newest sample.
    assert notes[:BEFORE_JUMP] == [None] * BEFORE_JUMP
    assert notes[BEFORE_JUMP] == (
        "clock stepped back: 3,540 s behind the newest stored sample; samples are not recorded until it "
        "passes 2026-01-01 01:09:00 UTC again (the history stays in time order)"
    )
    # Cycles 70..129 run at T0 + 10..69 min, none of them after the newest sample; cycle 130 (T0 + 70 min) is.
    assert all(note and note.startswith("clock stepped back: ") for note in notes[BEFORE_JUMP:130])
    assert notes[130:] == [None] * (BEFORE_JUMP + AFTER_JUMP - 130)
    con = stepped_back["history"].con
    per_series_in_order = con.execute(
        """SELECT count(*) FROM (SELECT ts, lag(ts) OVER (PARTITION BY series_id ORDER BY rowid) AS prev_ts FROM samples)
           WHERE prev_ts IS NOT NULL AND ts <= prev_ts"""
    ).fetchone()
    assert per_series_in_order == (0,)
    assert stepped_back["recorder"].poller.status["gw"].state(stepped_back["end_ts"]) == "ok"

"""The recorder's clock stepped an hour back or forward under a running recorder: rates stay
non-negative and are never inflated, rollups stay equal to the raw samples, and spend over the run
is what the gateway counted."""

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


def own_minute(recorder, clock) -> int:
    """Only our clock moved (an NTP step): the gateway counted one more minute, as on every cycle."""
    return recorder.poller.cycles


def minute_by_our_clock(recorder, clock) -> int:
    """The hour really passed (a host that slept, a poll held up): the gateway counted all of it."""
    return round((clock.now - T0) / 60)


def record_through_a_step(path, steps: list[float], gateway_minute) -> dict:
    """Record one cycle, then one after each clock step; the gateway's counters stand at
    `gateway_minute(recorder, clock)` minutes of traffic when it is scraped."""
    clock = HandClock(T0)
    with ScriptedServer() as server:
        recorder = recorder_for(path, [gateway_source("gw", server.url + "/metrics", clock, interval_s=STEP_S)], clock)
        original_run_cycle = recorder.poller.run_cycle
        notes: list[str | None] = []
        states_before: list[str] = []

        async def run_cycle_on_gateway_time():
            server.answers["/metrics"] = Answer(200, scrape_at(gateway_minute(recorder, clock)))
            states_before.append(recorder.poller.status["gw"].state(clock.now))
            batches = await original_run_cycle()
            notes.append(recorder.last_error)
            return batches

        recorder.poller.run_cycle = run_cycle_on_gateway_time  # type: ignore[method-assign]
        record(recorder, steps)
    end_ts = clock.now
    history = recorder.history
    history.rollup(end_ts + 3600)  # close every bucket the run touched
    return {"history": history, "end_ts": end_ts, "recorder": recorder, "notes": notes, "states_before": states_before}


@pytest.fixture(scope="module")
def stepped_back(tmp_path_factory) -> dict:
    """Record for 70 min, step the recorder's clock back 1 h, record 80 min more."""
    steps = [STEP_S] * (BEFORE_JUMP - 1) + [JUMP_S + STEP_S] + [STEP_S] * (AFTER_JUMP - 1)
    # The gateway's counters move one minute per cycle, whatever our clock says.
    run = record_through_a_step(tmp_path_factory.mktemp("clock") / "history.duckdb", steps, own_minute)
    yield run
    run["history"].close()


def test_direct_rates_are_never_negative(stepped_back):
    con = stepped_back["history"].con
    rows = con.execute(
        """SELECT s.name, min(v.value) FROM samples v JOIN series s USING (series_id)
           WHERE s.name LIKE 'signal:%' AND isfinite(v.value) GROUP BY 1"""
    ).fetchall()
    assert rows, "no direct-mode signals were derived"
    negative = {name: low for name, low in rows if low < 0}
    assert negative == {}


def raw_points(con) -> dict[int, list[tuple[float, float]]]:
    raw = defaultdict(list)
    for sid, ts, value in con.execute(
        "SELECT series_id, epoch_us(ts) / 1e6, value FROM samples WHERE isfinite(value) ORDER BY series_id, ts, rowid"
    ).fetchall():
        raw[sid].append((ts, value))
    return raw


def minute_rollup_mismatches(con) -> list:
    """(series, bucket, from the raw samples, stored) for every 1 m bucket that differs."""
    raw = raw_points(con)
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
    return mismatched


def test_rollups_equal_the_raw_samples_after_the_jump(stepped_back):
    con = stepped_back["history"].con
    assert minute_rollup_mismatches(con) == []
    assert con.execute("SELECT count(*) FROM samples_1m WHERE increase < 0").fetchone() == (0,)


def spend_against_the_gateway(history, since: float, until: float) -> dict[int, tuple[float, float]]:
    """Per spend series: (the history's reset-aware increase, what the gateway counted)."""
    con = history.con
    ids = timeseries.cost_series(con, "gw")
    assert ids, "the gateway exposes no spend counter"
    increase = timeseries.counter_increase(con, ids, since, until)
    # What the gateway counted: its spend counters never reset in these runs, so for each series
    # the increase is its last value minus its first value, in the order the scrapes arrived.
    out = {}
    for sid in ids:
        values = [v for (v,) in con.execute("SELECT value FROM samples WHERE series_id = ? ORDER BY rowid", [sid]).fetchall()]
        out[sid] = (increase[sid], values[-1] - values[0])
    assert sum(truth for _, truth in out.values()) > 0
    return out


def test_spend_over_the_run_equals_what_the_gateway_counted(stepped_back):
    end_ts = stepped_back["end_ts"]
    spend = spend_against_the_gateway(stepped_back["history"], T0 - 1, max(end_ts, T0 + BEFORE_JUMP * STEP_S) + 1)
    for sid, (increase, truth) in spend.items():
        assert increase >= 0
        assert increase == pytest.approx(truth, rel=1e-9, abs=1e-9), sid


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


# --- the clock steps forward ----------------------------------------------------------------------

FORWARD_S = 3600.0
AFTER_FORWARD = 20  # cycles after the step
REQUESTS_PER_S = 12 * 1.5 / 60  # what the gateway serves: 12 a minute for gpt-4o, 6 for local
SPEND_USD_PER_H = 0.25 * 1.5 * 60


@pytest.fixture(scope="module", params=[own_minute, minute_by_our_clock], ids=["ntp_step", "hour_passed"])
def stepped_forward(request, tmp_path_factory) -> dict:
    """Record for 70 min, step the recorder's clock forward 1 h, record 20 cycles more."""
    steps = [STEP_S] * (BEFORE_JUMP - 1) + [FORWARD_S + STEP_S] + [STEP_S] * (AFTER_FORWARD - 1)
    run = record_through_a_step(tmp_path_factory.mktemp("forward") / "history.duckdb", steps, request.param)
    run["cycle_ts"] = [T0 + STEP_S * i for i in range(BEFORE_JUMP)] + [
        T0 + STEP_S * i + FORWARD_S for i in range(BEFORE_JUMP, BEFORE_JUMP + AFTER_FORWARD)
    ]
    run["gateway"] = request.param
    yield run
    run["history"].close()


def total_signal(con, name: str) -> dict[float, float]:
    """The gateway's direct-mode `signal:<name>` over all models, by time."""
    return dict(
        con.execute(
            """SELECT epoch_us(v.ts) / 1e6, v.value FROM samples v JOIN series s USING (series_id)
               WHERE s.source = 'gw' AND s.name = ? AND s.labels = '{}' ORDER BY v.ts""",
            [f"signal:{name}"],
        ).fetchall()
    )


def test_after_a_forward_step_every_cycle_is_written_and_nothing_is_said(stepped_forward):
    con = stepped_forward["history"].con
    written = [ts for (ts,) in con.execute(
        """SELECT DISTINCT epoch_us(v.ts) / 1e6 FROM samples v JOIN series s USING (series_id)
           WHERE s.name = 'litellm_spend_metric_total' ORDER BY 1"""
    ).fetchall()]
    assert written == stepped_forward["cycle_ts"]
    assert stepped_forward["notes"] == [None] * (BEFORE_JUMP + AFTER_FORWARD)


def test_direct_rates_across_a_forward_step_are_never_inflated(stepped_forward):
    con = stepped_forward["history"].con
    cycle_ts = stepped_forward["cycle_ts"]
    step_ts = cycle_ts[BEFORE_JUMP]
    for signal, real in (("requests_per_s", REQUESTS_PER_S), ("spend_usd_per_h", SPEND_USD_PER_H)):
        by_ts = total_signal(con, signal)
        assert list(by_ts) == cycle_ts[1:], signal  # one value a cycle from the second on
        across = by_ts.pop(step_ts)
        # Every other cycle is one minute of the gateway's traffic over one minute: the real rate.
        assert by_ts == pytest.approx(dict.fromkeys(by_ts, real), rel=1e-9), signal
        if stepped_forward["gateway"] is own_minute:
            # The gateway's one minute spread over the 61 the clock says passed: lower, for one cycle.
            assert across == pytest.approx(real * STEP_S / (FORWARD_S + STEP_S), rel=1e-9), signal
        else:
            assert across == pytest.approx(real, rel=1e-9), signal  # 61 minutes of traffic over 61 minutes


def test_rollups_equal_the_raw_samples_across_a_forward_step(stepped_forward):
    con = stepped_forward["history"].con
    assert minute_rollup_mismatches(con) == []
    # The hour buckets hold their minutes: nothing is counted twice or lost across the empty hour.
    hours = con.execute(
        """SELECT h.series_id, epoch_us(h.bucket) / 1e6, h.count, h.increase, sum(m.count), sum(m.increase)
           FROM samples_1h h JOIN samples_1m m
             ON m.series_id = h.series_id AND m.bucket >= h.bucket AND m.bucket < h.bucket + INTERVAL 1 HOUR
           GROUP BY ALL"""
    ).fetchall()
    assert hours
    differing = [
        row for row in hours if row[2] != row[4] or not math.isclose(row[3], row[5], rel_tol=1e-9, abs_tol=1e-9)
    ]
    assert differing == []
    before_step_ts, after_step_ts = stepped_forward["cycle_ts"][BEFORE_JUMP - 1 : BEFORE_JUMP + 1]
    # The skipped hour holds no bucket: the minutes the clock jumped over are not filled in.
    assert con.execute(
        "SELECT count(*) FROM samples_1m WHERE bucket > make_timestamptz(?) AND bucket < make_timestamptz(?)",
        [round(before_step_ts * 1e6), round(after_step_ts * 1e6)],
    ).fetchone() == (0,)


def test_spend_across_a_forward_step_equals_what_the_gateway_counted(stepped_forward):
    spend = spend_against_the_gateway(stepped_forward["history"], T0 - 1, stepped_forward["end_ts"] + 1)
    # One minute of traffic a cycle after the first; the hour the clock skipped only if it really passed.
    minutes = BEFORE_JUMP + AFTER_FORWARD - 1 + (0 if stepped_forward["gateway"] is own_minute else 60)
    assert sum(truth for _, truth in spend.values()) == pytest.approx(SPEND_USD_PER_H / 60 * minutes, rel=1e-9)
    for sid, (increase, truth) in spend.items():
        assert increase == pytest.approx(truth, rel=1e-9, abs=1e-9), sid


def test_the_source_reads_stale_only_until_the_cycle_after_the_step(stepped_forward):
    states = stepped_forward["states_before"]  # each cycle's status, just before it polls
    # By the stepped clock the last good scrape is an hour old: stale (three intervals without one),
    # until the cycle the poller runs at once, since every source is overdue.
    assert states == ["waiting"] + ["ok"] * (BEFORE_JUMP - 1) + ["stale"] + ["ok"] * (AFTER_FORWARD - 1)
    assert stepped_forward["recorder"].poller.status["gw"].state(stepped_forward["end_ts"]) == "ok"
    events = stepped_forward["history"].events(T0 - 1, stepped_forward["end_ts"] + 1, kinds=["source"])
    assert [(e.subject, e.from_state, e.to_state) for e in events] == [("gw", None, "up")]

"""The long-history generator: what it writes round-trips through the store, the panes read the
numbers plain SQL finds in the samples, its episodes are where it says, and a seed fixes it all."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from aiops_tui.cockpit import Cockpit
from aiops_tui.errors import UserError
from aiops_tui.model import BREAKER_STATES
from aiops_tui.sim import history_gen
from aiops_tui.store.history import History

END_TS = 1_767_355_200.0
"""2026-01-02T12:00:00Z: two days back reaches into December, so month-to-date starts inside the file."""
STEP_S = 60.0
DAYS = 2


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    path = tmp_path_factory.mktemp("gen") / "history.duckdb"
    return history_gen.generate(path, days=DAYS, step_s=STEP_S, seed=11, end_ts=END_TS)


@pytest.fixture
def history(generated):
    with History.open(generated.path, read_only=True) as opened:
        yield opened


def q(history: History, sql: str, params=None):
    return history.cursor().execute(sql, params or {}).fetchall()


def test_every_series_has_one_sample_per_step_outside_the_restart_gap(generated, history):
    steps = DAYS * 86400 / STEP_S  # 2 * 86400 / 60 = 2880
    gap_steps = (generated.restart_span[1] - generated.restart_span[0]) / STEP_S  # 180 s down = 3 steps
    assert gap_steps == 3
    per_series = q(history, "SELECT series_id, count(*) FROM samples GROUP BY 1")
    assert len(per_series) == generated.series
    assert {n for _, n in per_series} == {steps - gap_steps}
    assert generated.samples == generated.series * (steps - gap_steps)
    lo, hi = q(history, "SELECT min(epoch(ts)), max(epoch(ts)) FROM samples")[0]
    assert (lo, hi) == (generated.start_ts, END_TS - STEP_S)
    inside_gap = q(history, "SELECT count(*) FROM samples WHERE epoch(ts) >= $lo AND epoch(ts) < $hi",
                   {"lo": generated.restart_span[0], "hi": generated.restart_span[1]})[0][0]
    assert inside_gap == 0


def test_series_names_are_the_ones_the_live_demo_writes(history):
    names = {name for (name,) in q(history, "SELECT DISTINCT name FROM series WHERE source = 'demo-gateway'")}
    assert {"litellm_spend_metric_total", "aiops_cost_usd_total", "signal:requests_per_s", "signal:error_ratio",
            "signal:latency_p95_s", "signal:spend_usd_per_h", "signal:breaker_state"} <= names
    breaker_labels = q(history, "SELECT labels FROM series WHERE name = 'signal:breaker_state' ORDER BY 1")
    assert '{"fallback":"local/llama-3-8b-local","tier":"tier_1","upstream":"openai/gpt-4o"}' in {r[0] for r in breaker_labels}
    spend_totals = q(history, "SELECT count(*) FROM series WHERE name = 'signal:spend_usd_per_h' AND labels = '{}'")
    assert spend_totals == [(1,)]


def test_rollups_are_complete_up_to_the_end(history):
    watermarks = dict(q(history, "SELECT resolution, epoch(watermark) FROM rollup_watermark"))
    assert watermarks == {"1m": END_TS, "1h": END_TS}
    # Every raw sample is in exactly one 1 m bucket: the counts add up.
    assert q(history, "SELECT sum(count) FROM samples_1m") == q(history, "SELECT count(*) FROM samples WHERE isfinite(value)")


def test_the_gateway_restart_resets_counters_to_near_zero(generated, history):
    after = generated.restart_span[1]
    rows = q(history, """
        SELECT epoch(v.ts), v.value FROM samples v JOIN series s USING (series_id)
        WHERE s.name = 'aiops_cost_usd_total' AND s.labels ->> 'model' = 'gpt-4o'
          AND epoch(v.ts) IN ($before, $after) ORDER BY 1""", {"before": generated.restart_span[0] - STEP_S, "after": after})
    (_, before_usd), (_, after_usd) = rows
    # The first sample after the restart holds one step's spend only: far below the running total.
    assert after_usd < before_usd / 100


def test_counter_increase_matches_the_spend_rate(history):
    # Each step's counter increment is the rate times the step: sum(rate) * 60 / 3600 per model,
    # except the first sample ever (counted as 0) and the one after the restart (counted whole).
    rows = q(history, """
        WITH counter AS (
            SELECT s.labels ->> 'model' AS model, v.ts, v.value,
                   lag(v.value) OVER (PARTITION BY v.series_id ORDER BY v.ts) AS prev
            FROM samples v JOIN series s USING (series_id) WHERE s.name = 'aiops_cost_usd_total'),
        increase AS (
            SELECT model, sum(CASE WHEN prev IS NULL THEN 0 WHEN value >= prev THEN value - prev ELSE value END) AS usd
            FROM counter GROUP BY 1),
        first_step AS (
            SELECT s.labels ->> 'model' AS model, v.value * 60 / 3600 AS usd FROM samples v JOIN series s USING (series_id)
            WHERE s.name = 'signal:spend_usd_per_h' AND s.labels ->> 'model' IS NOT NULL
              AND v.ts = (SELECT min(ts) FROM samples)),
        rate AS (
            SELECT s.labels ->> 'model' AS model, sum(v.value) * 60 / 3600 AS usd FROM samples v JOIN series s USING (series_id)
            WHERE s.name = 'signal:spend_usd_per_h' AND s.labels ->> 'model' IS NOT NULL GROUP BY 1)
        SELECT i.model, i.usd, r.usd - f.usd FROM increase i JOIN rate r USING (model) JOIN first_step f USING (model)
        ORDER BY 1""")
    assert len(rows) == 4
    for model, from_counter, from_rate in rows:
        # Samples are rounded to 6 decimals: 2,877 steps cannot drift more than a few thousandths.
        assert from_counter == pytest.approx(from_rate, abs=0.01), model


def test_breaker_events_agree_with_the_breaker_state_series(history):
    events = q(history, "SELECT epoch(ts), subject, from_state, to_state FROM events WHERE kind = 'breaker' ORDER BY ts")
    assert len(events) >= 7  # the incident's open/half-open cycles alone are 7 transitions
    for ts, upstream, from_state, to_state in events:
        states = dict(q(history, """
            SELECT epoch(v.ts), v.value FROM samples v JOIN series s USING (series_id)
            WHERE s.name = 'signal:breaker_state' AND s.labels ->> 'upstream' = $u AND epoch(v.ts) IN ($a, $b)""",
                        {"u": upstream, "a": ts - STEP_S, "b": ts}))
        assert BREAKER_STATES[int(states[ts])] == to_state
        assert BREAKER_STATES[int(states[ts - STEP_S])] == from_state


def test_incident_is_recorded_as_the_incident_pane_records_one(generated, history):
    opened, closed = generated.incident_span
    rows = q(history, "SELECT epoch(ts), from_state, to_state FROM events WHERE kind = 'incident' AND subject = $id ORDER BY ts",
             {"id": generated.incident_id})
    assert rows == [(opened, None, "open"), (closed, "open", "closed")]
    assert generated.incident_id == "INC-20260101-1402"  # 70 % into two days: day 1, 14:00 + 2 min failing
    steps = q(history, "SELECT subject, to_state, detail ->> 'incident', CAST(detail ->> 'step' AS INTEGER) FROM events "
                       "WHERE kind = 'runbook_step' ORDER BY ts")
    assert steps == [(f"llm-circuit-breaker-open.md#{n}", "done", generated.incident_id, n) for n in range(3)]


def test_the_panes_show_what_the_samples_hold(generated, history):
    at = END_TS - 30.0  # 30 s after the last sample at END_TS - 60
    views = Cockpit(history, monthly_budget_usd=15_000.0, clock=lambda: at).views(at)
    latest = dict(q(history, """
        SELECT s.name, arg_max(v.value, v.ts) FROM samples v JOIN series s USING (series_id)
        WHERE s.labels = '{}' AND s.name LIKE 'signal:%' GROUP BY 1"""))
    assert views.golden.source == "demo-gateway"
    assert views.cost.spend_usd_per_h == latest["signal:spend_usd_per_h"]
    # Month to date: the reset-aware increase of LiteLLM's spend counter since 2026-01-01T00:00Z,
    # each step counted at its later sample (as the rollups count it).
    mtd = q(history, """
        WITH counter AS (
            SELECT v.ts, v.value, lag(v.value) OVER (PARTITION BY v.series_id ORDER BY v.ts) AS prev
            FROM samples v JOIN series s USING (series_id) WHERE s.name = 'litellm_spend_metric_total')
        SELECT sum(CASE WHEN prev IS NULL THEN 0 WHEN value >= prev THEN value - prev ELSE value END)
        FROM counter WHERE epoch(ts) >= 1767225600 AND epoch(ts) < $at""", {"at": at})[0][0]
    assert views.cost.mtd_usd == pytest.approx(mtd, rel=1e-9)
    states = dict(q(history, """
        SELECT s.labels ->> 'upstream', arg_max(v.value, v.ts) FROM samples v JOIN series s USING (series_id)
        WHERE s.name = 'signal:breaker_state' GROUP BY 1"""))
    assert {row.upstream: row.state for row in views.breakers.rows} == {u: BREAKER_STATES[int(v)] for u, v in states.items()}


def test_stepping_into_the_incident_shows_the_breaker_open(generated, history):
    opened, _ = generated.incident_span
    at = opened + 3 * STEP_S + 1  # inside the first 5-minute open stretch
    views = Cockpit(history, clock=lambda: at).views(at)
    rows = {row.upstream: row for row in views.breakers.rows}
    assert rows[generated.incident_upstream].state == "open"
    assert rows["openai/gpt-4o-mini"].state == "closed"
    # No traffic reaches the open upstream's model: its latency is "no traffic", not a number.
    no_traffic = q(history, """
        SELECT v.value FROM samples v JOIN series s USING (series_id)
        WHERE s.name = 'signal:latency_p95_s' AND s.labels ->> 'model' = 'claude-3-5-haiku' AND epoch(v.ts) = $t""",
                   {"t": opened + 3 * STEP_S})
    assert math.isnan(no_traffic[0][0])


def test_cost_spike_day_spends_more_than_the_day_before(generated, history):
    lo, hi = generated.spike_span
    assert generated.spike_model == "gpt-4o"
    rates = dict(q(history, """
        SELECT epoch(v.ts) >= $lo AND epoch(v.ts) < $hi, avg(v.value) FROM samples v JOIN series s USING (series_id)
        WHERE s.name = 'signal:spend_usd_per_h' AND s.labels ->> 'model' = 'gpt-4o' AND epoch(v.ts) >= $lo - 86400
          AND epoch(v.ts) < $hi GROUP BY 1""", {"lo": lo, "hi": hi}))
    assert rates[True] > 4 * rates[False]  # a x6 cost factor over the same hours


def test_same_seed_same_history_other_seed_other_history(tmp_path: Path):
    def digest(path: Path) -> tuple:
        with History.open(path, read_only=True) as h:
            return h.cursor().execute("""
                SELECT count(*), sum(hash(epoch_us(v.ts), s.name, CAST(s.labels AS VARCHAR), v.value))
                FROM samples v JOIN series s USING (series_id)""").fetchone() + h.cursor().execute(
                "SELECT string_agg(kind || subject || epoch(ts), ',' ORDER BY ts, kind, subject) FROM events").fetchone()

    kwargs = {"days": 1, "step_s": 300.0, "end_ts": END_TS, "models": ("gpt-4o", "llama-3-8b-local")}
    history_gen.generate(tmp_path / "a.duckdb", seed=3, **kwargs)
    history_gen.generate(tmp_path / "b.duckdb", seed=3, **kwargs)
    history_gen.generate(tmp_path / "c.duckdb", seed=4, **kwargs)
    assert digest(tmp_path / "a.duckdb") == digest(tmp_path / "b.duckdb")
    assert digest(tmp_path / "a.duckdb")[1] != digest(tmp_path / "c.duckdb")[1]


def test_refuses_a_file_that_already_holds_a_history(generated, tmp_path: Path):
    with pytest.raises(UserError, match="already holds a history"):
        history_gen.generate(generated.path, days=1, end_ts=END_TS)


def test_main_prints_samples_per_second(tmp_path: Path, capsys):
    code = history_gen.main([str(tmp_path / "m.duckdb"), "--days", "0.5", "--step", "600", "--end", str(END_TS),
                             "--models", "gpt-4o,claude-3-5-haiku", "--series-per-model", "3"])
    out = capsys.readouterr().out
    assert code == 0
    # 0.5 day at 600 s = 72 steps, minus the 1-step restart gap (180 s rounds to one 600 s step).
    # Series: 14 totals + per model (10 signals + 4 breaker + 3 teams * 3 counters + 4 counters) = 14 + 2 * 27 = 68.
    assert out.startswith(f"{71 * 68} samples, 68 series")
    assert "samples/s" in out

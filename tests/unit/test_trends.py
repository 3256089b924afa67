"""Spend trends from the rollups: periods and dimensions, months against budget and mid-month projection,
and the same answers once the raw samples are purged."""

from __future__ import annotations

import pytest

from aiops_tui.model import Batch, Sample, SeriesKey, make_labels
from aiops_tui.store import trends
from aiops_tui.store.history import History

T0 = 1_767_225_600.0  # 2026-01-01T00:00:00Z, a Thursday
HOUR = 3600.0
DAY = 86400.0
STEP = 600.0
FIRST = T0 + 5 * HOUR  # the history starts at 05:00 on January 1st
END = T0 + 40 * DAY  # 2026-02-10T00:00:00Z, the newest sample
FEB = T0 + 31 * DAY
SPEND_A = SeriesKey("gw", "litellm_spend_metric_total", make_labels(model="a", team="t1"))
SPEND_B = SeriesKey("gw", "litellm_spend_metric_total", make_labels(model="b", team="t2"))
TIER_A = SeriesKey("gw", "aiops_cost_usd_total", make_labels(model="a", tier="tier_1"))
RATE = SeriesKey("gw", "signal:spend_usd_per_h")
BUDGET = SeriesKey("gw", "signal:budget_monthly_usd")


def write_history(path) -> History:
    """Every 10 minutes from FIRST to END: a's counter rises $0.01, b's $0.02 (together $0.18/h, the rate
    signal), the gateway reports a $100 budget; rolled up to END."""
    history = History.open(path)
    steps = int((END - FIRST) // STEP)  # 5730
    batch = []
    for k in range(steps + 1):
        ts = FIRST + k * STEP
        batch += [Sample(SPEND_A, ts, 0.01 * k), Sample(SPEND_B, ts, 0.02 * k), Sample(TIER_A, ts, 0.01 * k),
                  Sample(RATE, ts, 0.18), Sample(BUDGET, ts, 100.0)]
        if len(batch) > 20_000 or k == steps:
            history.write_cycle([Batch("gw", ts, batch)])
            batch = []
    history.rollup(END)
    return history


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    with write_history(tmp_path_factory.mktemp("trends") / "h.duckdb") as opened:
        yield opened


def build(history: History, **kwargs) -> trends.Trends:
    return trends.build_trends(history.cursor(), "gw", T0, END + 0.001, tiers={"b": "tier_2"}, **kwargs)


def test_spend_by_day_week_and_month_by_model_tier_and_team(history):
    spend = build(history).spend
    jan2, monday = T0 + DAY, T0 + 4 * DAY  # 2026-01-05 is a Monday
    # A whole day is 144 steps: a 144 x 0.01 = 1.44, b 144 x 0.02 = 2.88, together 4.32.
    assert spend[("day", jan2, "total", "all")] == pytest.approx(4.32)
    assert spend[("day", jan2, "model", "a")] == pytest.approx(1.44)
    assert spend[("day", jan2, "tier", "tier_1")] == pytest.approx(1.44)  # a's tier from its aiops series' label
    assert spend[("day", jan2, "tier", "tier_2")] == pytest.approx(2.88)  # b's from the pricing table
    assert spend[("day", jan2, "team", "t2")] == pytest.approx(2.88)
    assert spend[("week", monday, "total", "all")] == pytest.approx(7 * 4.32)
    # January: samples from 05:00 on the 1st to 23:50 on the 31st, (31 x 24 - 5) x 6 = 4434 of them;
    # the first one ever adds nothing, so 4433 steps x 0.03 = 132.99.
    assert spend[("month", T0, "total", "all")] == pytest.approx(132.99)
    # February to the newest sample (10th, 00:00): 9 x 144 + 1 = 1297 steps x 0.03 = 38.91.
    assert spend[("month", FEB, "model", "b")] == pytest.approx(1297 * 0.02)
    assert spend[("month", FEB, "total", "all")] == pytest.approx(38.91)


def test_table_orders_periods_oldest_first_and_names_by_spend(history):
    starts, names, usd = build(history).table("month", "model")
    assert starts == [T0, FEB]
    assert names == ["b", "a"]
    assert usd["b"] == pytest.approx([4433 * 0.02, 1297 * 0.02])
    assert usd["a"] == pytest.approx([4433 * 0.01, 1297 * 0.01])


def test_months_against_the_budget_and_the_projection_shown_mid_month(history):
    jan, feb = build(history).months
    assert (jan.month, jan.complete, jan.budget_usd) == ("2026-01", True, 100.0)
    assert jan.spent_usd == pytest.approx(132.99)
    assert jan.covers_from == FIRST  # the history starts 5 h into the month
    # Mid-January is the 16th at 12:00; spent before it: 15 d 7 h of steps = 2202 samples, 2201 steps x 0.03 = 66.03;
    # 372 h left at $0.18/h = 66.96 -> 132.99, by both rates.
    assert jan.projected_at == T0 + 15.5 * DAY
    assert jan.projected_24h_usd == pytest.approx(132.99)
    assert jan.projected_7d_usd == pytest.approx(132.99)
    assert jan.over_budget is True  # spent 132.99 > 100
    # February is in progress: 38.91 so far, plus 456 h left (to March 1st) at $0.18/h = 82.08 -> 120.99 > 100.
    assert (feb.complete, feb.covers_from, feb.projected_at) == (False, None, END + 0.001)
    assert feb.spent_usd == pytest.approx(38.91)
    assert feb.projected_24h_usd == pytest.approx(120.99, abs=1e-6)
    assert feb.over_budget is True


def test_days_and_months_before_the_history_starts_are_left_out_not_zero(history):
    dec = T0 - 31 * DAY
    built = trends.build_trends(history.cursor(), "gw", dec + 10.5 * DAY, END + 0.001)  # asks from December 11th, noon
    assert built.since == FIRST  # the first hour the rollup holds
    first = {period: min(start for p, start, _, _ in built.spend if p == period) for period in ("day", "week", "month")}
    assert first == {"day": T0, "week": T0 - 3 * DAY, "month": T0}  # no December day at $0.00; the week of Monday the 29th
    assert [m.month for m in built.months] == ["2026-01", "2026-02"]


def test_budget_from_the_config_else_the_gateway_else_not_set(history):
    assert (build(history, budget_usd=50.0).budget_usd, build(history, budget_usd=50.0).budget_from) == (50.0, "config")
    assert (build(history).budget_usd, build(history).budget_from) == (100.0, "history")
    assert trends.resolve_budget(history.cursor(), "nobody", END, 0.0) == (0.0, "not set")
    assert build(history).counter == "litellm_spend_metric_total"


def test_past_months_read_the_same_from_the_rollups_once_raw_samples_are_purged(tmp_path):
    with write_history(tmp_path / "h.duckdb") as history:
        before = build(history)
        history.purge(END, raw_s=14 * DAY, m1_s=90 * DAY, h1_s=730 * DAY)
        con = history.cursor()
        assert con.execute("SELECT min(epoch(ts)) FROM samples").fetchone()[0] == END - 14 * DAY
        after = build(history)
        assert after.months[0].month == "2026-01"
        for field in ("spent_usd", "covers_from", "projected_24h_usd", "projected_7d_usd"):
            assert getattr(after.months[0], field) == pytest.approx(getattr(before.months[0], field)), field
        assert after.spend[("month", T0, "total", "all")] == pytest.approx(132.99)
        assert after.budget_usd == 100.0

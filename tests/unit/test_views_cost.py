"""The cost view: over a history that covers the month from its start, after the raw samples of that start
are purged (two weeks into the month, by default), as its 1 h rollup still holds them; its burn windows."""

from __future__ import annotations

from pathlib import Path

import pytest

from aiops_tui.cockpit import Cockpit
from aiops_tui.demo import backfill
from aiops_tui.model import Batch, Sample, SeriesKey
from aiops_tui.sim.model import GatewayModel
from aiops_tui.store.history import History

MONTH_START = 1_793_491_200.0  # 2026-11-01T00:00:00Z
END = MONTH_START + 3 * 3600.0
BUDGET_USD = 15_000.0


def cost_view(history: History):
    return Cockpit(history, clock=lambda: END, monthly_budget_usd=BUDGET_USD).views().cost


def test_month_to_date_covers_the_month_after_its_first_raw_samples_are_purged(tmp_path: Path) -> None:
    with History.open(tmp_path / "h.duckdb") as history:
        backfill(history, GatewayModel(5, MONTH_START, budget_monthly_usd=BUDGET_USD), MONTH_START, END, step_s=60.0)
        before = cost_view(history)
        history.purge(END, raw_s=5400.0, m1_s=90 * 86400.0, h1_s=730 * 86400.0)
        first_raw = history.con.execute("SELECT epoch_us(min(ts)) / 1e6 FROM samples").fetchone()[0]
        after = cost_view(history)
    assert first_raw >= MONTH_START + 5400.0 - 60.0  # the first hour and a half is in the rollups only
    assert before.mtd_covers_from is None and before.mtd_usd > 0
    # The pane would say "since <date> (history starts there)" if this were not None.
    assert after.mtd_covers_from is None
    assert after.mtd_usd == before.mtd_usd


def test_a_history_begun_mid_month_has_its_daily_spend_from_its_first_day_only(tmp_path: Path) -> None:
    begun = MONTH_START + 4 * 86400.0 + 22 * 3600.0  # 2026-11-05 22:00 UTC
    end = begun + 4 * 3600.0  # into the 6th
    with History.open(tmp_path / "h.duckdb") as history:
        backfill(history, GatewayModel(5, begun, budget_monthly_usd=BUDGET_USD), begun, end, step_s=60.0)
        history.rollup(end)
        cost = Cockpit(history, clock=lambda: end, monthly_budget_usd=BUDGET_USD).views().cost
    assert cost.mtd_covers_from is not None and begun <= cost.mtd_covers_from < begun + 120.0
    # The month chart plots these: the four days before the history are not drawn as nothing spent.
    assert [day for day, _ in cost.daily_usd] == [MONTH_START + d * 86400.0 for d in (4, 5)]
    assert all(usd > 0 for _, usd in cost.daily_usd)
    assert sum(usd for _, usd in cost.daily_usd) == pytest.approx(cost.mtd_usd, rel=1e-9)


def test_the_burn_over_hours_is_the_mean_of_hourly_means_from_the_minute_after_its_start(tmp_path: Path) -> None:
    spend, traffic = SeriesKey("gw", "signal:spend_usd_per_h"), SeriesKey("gw", "signal:requests_per_s")
    step, until = 15.0, MONTH_START + 8 * 3600.0
    at = until - 1_000.0  # 6 h before is 20 s past a minute: the window starts 40 s later, on the minute
    samples = [Sample(key, MONTH_START + step * j, float(j)) for j in range(int(8 * 3600 / step)) for key in (spend, traffic)]
    with History.open(tmp_path / "h.duckdb") as history:
        history.write_cycle([Batch("gw", until, samples)])
        history.rollup(until)
        burn = {w.label: w.rate_usd_per_h for w in Cockpit(history, clock=lambda: at).views(at).cost.burn}
    since = at - 6 * 3600.0 + 40.0
    by_hour: dict[int, list[float]] = {}
    for j in range(int(8 * 3600 / step)):
        ts = MONTH_START + step * j
        if since <= ts <= at:
            by_hour.setdefault(int(ts // 3600), []).append(float(j))
    means = [sum(values) / len(values) for values in by_hour.values()]
    assert len(means) == 7  # a part-hour at each end
    assert burn["6h"] == pytest.approx(sum(means) / len(means), rel=1e-12)

"""`aiops-tui report cost`: spend per day, week and month by model, tier and team, and each month's
budget and projection beside what was spent, computed the way the Cost pane computes them (store/trends.py);
and the savings levers priced at the report's end as the Cost pane prices them (signals/savings.py)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from aiops_tui.reports.render import Column, Report, Section
from aiops_tui.reports.span import Span, latest_signals_at_end
from aiops_tui.signals.cost import hours_in_month
from aiops_tui.signals.golden import Targets
from aiops_tui.signals.savings import Price, inputs_from_signals, monthly_run_rate_usd, savings_levers
from aiops_tui.store.trends import DIMENSIONS, PERIODS, build_trends, period_label

if TYPE_CHECKING:
    import duckdb

SPEND_COLUMNS = (Column("period"), Column("start"), Column("by"), Column("name"), Column("usd", "usd"))
MONTH_COLUMNS = (
    Column("month"), Column("budget_usd", "usd"), Column("spent_usd", "usd"), Column("complete"),
    Column("covers_from", "time"), Column("projected_at", "time"), Column("projected_24h_usd", "usd"),
    Column("projected_7d_usd", "usd"), Column("over_budget"),
)
LEVER_COLUMNS = (
    Column("lever"), Column("run_rate_monthly_usd", "usd"), Column("after_monthly_usd", "usd"),
    Column("saved_monthly_usd", "usd"), Column("cannot_price"),
)
ASSUMPTION_COLUMNS = (Column("lever"), Column("assumption"))
LEVERS_OVERLAP = "each lever is a separate what-if on the same run rate: their savings do not add up"
DEFAULT_CACHE_HIT_TARGET_RATIO = Targets().cache_hit_ratio


def build(con: "duckdb.DuckDBPyConnection", span: Span, *, budget_usd: float = 0.0,
          tiers: Mapping[str, str] | None = None, prices: Mapping[str, Price] | None = None,
          cache_hit_target_ratio: float | None = DEFAULT_CACHE_HIT_TARGET_RATIO) -> Report:
    """`budget_usd` from the config; 0 means "not set", and the budget the source reports is used.
    A model's tier: its series' `tier` label, else `tiers` (pricing.yaml, as the Cost pane reads
    it), else any series of the source that names both. `prices` (pricing.yaml) and the cache
    hit target price the levers, as the Cost pane's."""
    trends = build_trends(con, span.source, span.since, span.until, budget_usd=budget_usd, tiers=tiers)
    order = {p: i for i, p in enumerate(PERIODS)}, {d: i for i, d in enumerate(DIMENSIONS)}
    spend_rows = [
        (period, period_label(period, start), by, name, usd)
        for (period, start, by, name), usd in sorted(trends.spend.items(), key=lambda kv: (
            order[0][kv[0][0]], kv[0][1], order[1][kv[0][2]], kv[0][3]))
    ]
    month_rows = [
        (m.month, m.budget_usd, m.spent_usd, m.complete, m.covers_from, m.projected_at, m.projected_24h_usd,
         m.projected_7d_usd, m.over_budget)
        for m in trends.months
    ]
    savings = inputs_from_signals(
        latest_signals_at_end(con, span), prices or {}, hours_in_month(span.until),
        cache_hit_target_ratio=cache_hit_target_ratio,
    )
    levers = savings_levers(savings)
    lever_rows = [
        (lever.name, lever.monthly_run_rate_usd, lever.after_usd, lever.saved_usd, lever.unavailable_reason)
        for lever in levers
    ]
    # One row per assumption: a lever's reasoning stays readable in a terminal-wide table.
    assumption_rows = [(lever.name, line) for lever in levers for line in lever.assumptions]
    facts = [
        ("source", span.source or "none"), ("cost_counter", trends.counter or "none"), ("since_utc", trends.since),
        ("until_utc", span.newest), ("budget_monthly_usd", trends.budget_usd or None), ("budget_from", trends.budget_from),
        ("levers_at_utc", span.newest), ("run_rate_monthly_usd", monthly_run_rate_usd(savings)),
        ("levers_overlap", LEVERS_OVERLAP),
    ]
    return Report(
        "cost", f"LLM spend by day, week and month ({span.source or 'no source'})", facts,
        [Section("spend", SPEND_COLUMNS, spend_rows), Section("months", MONTH_COLUMNS, month_rows),
         Section("levers", LEVER_COLUMNS, lever_rows),
         Section("lever_assumptions", ASSUMPTION_COLUMNS, assumption_rows)],
    )

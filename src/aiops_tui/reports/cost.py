"""`aiops-tui report cost`: spend per day, week and month by model, tier and team, and each month's
budget and projection beside what was spent, computed the way the Cost pane computes them (store/trends.py)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from aiops_tui.reports.render import Column, Report, Section
from aiops_tui.reports.span import Span
from aiops_tui.store.trends import DIMENSIONS, PERIODS, build_trends, period_label

if TYPE_CHECKING:
    import duckdb

SPEND_COLUMNS = (Column("period"), Column("start"), Column("by"), Column("name"), Column("usd", "usd"))
MONTH_COLUMNS = (
    Column("month"), Column("budget_usd", "usd"), Column("spent_usd", "usd"), Column("complete"),
    Column("covers_from", "time"), Column("projected_at", "time"), Column("projected_24h_usd", "usd"),
    Column("projected_7d_usd", "usd"), Column("over_budget"),
)


def build(con: "duckdb.DuckDBPyConnection", span: Span, *, budget_usd: float = 0.0,
          tiers: Mapping[str, str] | None = None) -> Report:
    """`budget_usd` from the config; 0 means "not set", and the budget the source reports is used.
    A model's tier: its series' `tier` label, else `tiers` (pricing.yaml, as the Cost pane reads
    it), else any series of the source that names both."""
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
    facts = [
        ("source", span.source or "none"), ("cost_counter", trends.counter or "none"), ("since_utc", span.since),
        ("until_utc", span.newest), ("budget_monthly_usd", trends.budget_usd or None), ("budget_from", trends.budget_from),
    ]
    return Report(
        "cost", f"LLM spend by day, week and month ({span.source or 'no source'})", facts,
        [Section("spend", SPEND_COLUMNS, spend_rows), Section("months", MONTH_COLUMNS, month_rows)],
    )


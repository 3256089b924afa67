"""`aiops-tui report cost`: spend per day, week and month by model, tier and team, and each month's
budget and projection beside what was spent, computed the way the Cost pane computes them."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

from aiops_tui.reports.render import Column, Report, Section
from aiops_tui.reports.span import Span
from aiops_tui.signals import cost as cst
from aiops_tui.store import timeseries as ts_sql

if TYPE_CHECKING:
    import duckdb

DAY_S = 86400.0
PERIODS = ("day", "week", "month")
DIMENSIONS = ("total", "model", "tier", "team")

SPEND_COLUMNS = (Column("period"), Column("start"), Column("by"), Column("name"), Column("usd", "usd"))
MONTH_COLUMNS = (
    Column("month"), Column("budget_usd", "usd"), Column("spent_usd", "usd"), Column("complete"),
    Column("covers_from", "time"), Column("projected_at", "time"), Column("projected_24h_usd", "usd"),
    Column("projected_7d_usd", "usd"), Column("over_budget"),
)


def _utc(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, tz=timezone.utc)


def period_start(period: str, ts: float) -> float:
    """Start of the UTC day, ISO week (Monday) or calendar month holding `ts`."""
    day = _utc(ts).replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "week":
        day -= timedelta(days=day.weekday())
    elif period == "month":
        day = day.replace(day=1)
    return day.timestamp()


def period_label(period: str, start: float) -> str:
    return _utc(start).strftime("%Y-%m" if period == "month" else "%Y-%m-%d")


def tier_of_models(con: "duckdb.DuckDBPyConnection", source: str) -> dict[str, str]:
    """model -> tier from any series of `source` that carries both labels (LiteLLM's spend has no tier)."""
    rows = con.execute(
        """SELECT labels ->> 'model', min(labels ->> 'tier') FROM series
           WHERE source = $source AND labels ->> 'model' IS NOT NULL AND labels ->> 'tier' IS NOT NULL
           GROUP BY 1""",
        {"source": source},
    ).fetchall()
    return dict(rows)


def _watermark_s(con, resolution: str) -> float:
    row = con.execute("SELECT epoch_us(watermark) / 1e6 FROM rollup_watermark WHERE resolution = ?", [resolution]).fetchone()
    return row[0] if row else -math.inf


def daily_spend(con, counters: dict[int, dict[str, str]], since: float, until: float) -> list[tuple[float, dict[int, float]]]:
    """(day start, series -> USD over that day within [since, until]) for each UTC day, oldest first.

    Days inside the period that the 1 h rollup covers whole come from one grouped query (the
    buckets `counter_increase` would sum); the partial first and last days from `counter_increase`.
    """
    ids = list(counters)
    days = []
    day = period_start("day", since)
    while day < until:
        days.append(day)
        day += DAY_S
    rolled_until = min(_watermark_s(con, "1h"), until) if ids else -math.inf
    whole = [d for d in days if d >= since and d + DAY_S <= rolled_until]
    by_day: dict[float, dict[int, float]] = {d: {} for d in whole}
    if whole:
        rows = con.execute(
            """SELECT epoch_us(bucket) // 86400000000 * 86400, series_id, sum(increase) FROM samples_1h
               WHERE list_contains($ids, series_id)
                 AND bucket >= make_timestamptz($lo) AND bucket < make_timestamptz($hi)
               GROUP BY 1, 2""",
            {"ids": ids, "lo": round(whole[0] * 1e6), "hi": round((whole[-1] + DAY_S) * 1e6)},
        ).fetchall()
        for day_s, series_id, usd in rows:
            by_day[float(day_s)][series_id] = usd
    return [
        (d, by_day[d] if d in by_day else ts_sql.counter_increase(con, ids, max(d, since), min(d + DAY_S, until)))
        for d in days
    ]


def _average_rate(series: list[tuple[float, float]]) -> float | None:
    values = [v for _, v in series if not math.isnan(v)]
    return sum(values) / len(values) if values else None


def month_row(con, source: str, counters, month_start: float, until: float, budget_usd: float | None) -> tuple:
    """One month: spent so far (or in all), and the projection the Cost pane showed at mid-month
    (for a month that is over) or shows now (for the month in progress)."""
    _, month_end = cst.month_bounds(month_start)
    complete = until >= month_end
    end = min(month_end, until)
    spent = sum(ts_sql.counter_increase(con, counters, month_start, end).values())
    first = con.execute(
        "SELECT min(epoch_us(ts)) / 1e6 FROM samples WHERE list_contains($ids, series_id) "
        "AND ts >= make_timestamptz($lo) AND ts <= make_timestamptz($hi)",
        {"ids": list(counters), "lo": round(month_start * 1e6), "hi": round(end * 1e6)},
    ).fetchone()[0]
    covers_from = first if first is not None and first > month_start + 3600 else None
    at = month_start + (month_end - month_start) / 2 if complete else until
    mtd = sum(ts_sql.counter_increase(con, counters, month_start, at).values())
    rate_24h = _average_rate(ts_sql.signal_series(con, source, "spend_usd_per_h", at - DAY_S, at, points=96))
    rate_7d = _average_rate(ts_sql.signal_series(con, source, "spend_usd_per_h", at - 7 * DAY_S, at, points=168))
    projected_24h = cst.project_month_end(mtd, rate_24h, at)
    projected_7d = cst.project_month_end(mtd, rate_7d, at)
    over = None
    if budget_usd:
        judged = spent if complete else projected_24h
        over = None if judged is None else judged > budget_usd
    return (period_label("month", month_start), budget_usd, spent, complete, covers_from, at,
            projected_24h, projected_7d, over)


def budget_from_history(con, source: str, at: float) -> float | None:
    """The monthly budget a source reports about itself (the demo gateway does), if any."""
    row = con.execute(
        """SELECT arg_max(v.value, v.ts) FROM samples v JOIN series s USING (series_id)
           WHERE s.source = $source AND s.name = 'signal:budget_monthly_usd' AND isfinite(v.value)
             AND v.ts <= make_timestamptz($at)""",
        {"source": source, "at": round(at * 1e6)},
    ).fetchone()
    return row[0] if row and row[0] else None


def build(con: "duckdb.DuckDBPyConnection", span: Span, *, budget_usd: float = 0.0,
          tiers: Mapping[str, str] | None = None) -> Report:
    """`budget_usd` from the config; 0 means "not set", and the budget the source reports is used.
    A model's tier: its series' `tier` label, else `tiers` (pricing.yaml, as the Cost pane reads
    it), else any series of the source that names both."""
    counters = ts_sql.cost_series(con, span.source)
    tiers = {**tier_of_models(con, span.source), **(tiers or {})}
    budget_origin = "config"
    if budget_usd <= 0:
        budget_usd = budget_from_history(con, span.source, span.until) or 0.0
        budget_origin = "history" if budget_usd else "not set"
    sums: dict[tuple[str, float, str, str], float] = defaultdict(float)
    for day, by_series in daily_spend(con, counters, span.since, span.until):
        for series_id, usd in by_series.items():
            labels = counters[series_id]
            model = labels["model"]
            groups = {"total": "all", "model": model, "tier": labels.get("tier") or tiers.get(model, "unknown"),
                      "team": labels.get("team", "unknown")}
            for period in PERIODS:
                start = period_start(period, day)
                for by, name in groups.items():
                    sums[(period, start, by, name)] += usd
    order = {p: i for i, p in enumerate(PERIODS)}, {d: i for i, d in enumerate(DIMENSIONS)}
    spend_rows = [
        (period, period_label(period, start), by, name, usd)
        for (period, start, by, name), usd in sorted(sums.items(), key=lambda kv: (
            order[0][kv[0][0]], kv[0][1], order[1][kv[0][2]], kv[0][3]))
    ]
    month_rows = []
    month = period_start("month", span.since)
    while month < span.until:
        month_rows.append(month_row(con, span.source, counters, month, span.until, budget_usd or None))
        month = cst.month_bounds(month)[1]
    counter_name = _counter_name(con, counters)
    facts = [
        ("source", span.source or "none"), ("cost_counter", counter_name), ("since_utc", span.since),
        ("until_utc", span.newest), ("budget_monthly_usd", budget_usd or None), ("budget_from", budget_origin),
    ]
    return Report(
        "cost", f"LLM spend by day, week and month ({span.source or 'no source'})", facts,
        [Section("spend", SPEND_COLUMNS, spend_rows), Section("months", MONTH_COLUMNS, month_rows)],
    )


def _counter_name(con, counters: dict[int, dict[str, str]]) -> str:
    if not counters:
        return "none"
    row = con.execute("SELECT name FROM series WHERE series_id = ?", [next(iter(counters))]).fetchone()
    return row[0] if row else "none"

"""Spend over long periods from the rollups: per UTC day, ISO week and calendar month by model, tier and
team (and by gateway, for the gateways read together), and each month's budget and mid-month projection
beside what was spent (the cost report and the cost trends screen both read it)."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

from aiops_tui.model import FLEET_SOURCE
from aiops_tui.signals import cost as cst
from aiops_tui.store import timeseries as ts_sql

if TYPE_CHECKING:
    import duckdb

DAY_S = 86400.0
HOUR_S = 3600.0
PERIODS = ("day", "week", "month")
DIMENSIONS = ("total", "gateway", "model", "tier", "team")
"""Spend's breakdowns; "gateway" only for the fleet (`FLEET_SOURCE`): one gateway's spend is its total."""

SpendKey = tuple[str, float, str, str]
"""(period, period start, dimension, name), e.g. ("month", <2026-11-01>, "model", "gpt-4o")."""


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
    """model -> tier from any series of `source` (for the fleet, of any gateway) that carries both labels
    (LiteLLM's spend has no tier)."""
    rows = con.execute(
        """SELECT labels ->> 'model', min(labels ->> 'tier') FROM series
           WHERE list_contains($sources, source) AND labels ->> 'model' IS NOT NULL AND labels ->> 'tier' IS NOT NULL
           GROUP BY 1""",
        {"sources": ts_sql.member_sources(con, source)},
    ).fetchall()
    return dict(rows)


def budget_from_history(con: "duckdb.DuckDBPyConnection", source: str, at: float) -> float | None:
    """The monthly budget a source reports about itself (the demo gateway does), if any."""
    row = con.execute(
        """SELECT arg_max(v.value, v.ts) FROM samples v JOIN series s USING (series_id)
           WHERE s.source = $source AND s.name = 'signal:budget_monthly_usd' AND isfinite(v.value)
             AND v.ts <= make_timestamptz($at) AND v.ts > make_timestamptz($at) - INTERVAL 1 DAY""",
        {"source": source, "at": round(at * 1e6)},
    ).fetchone()
    if row and row[0]:
        return row[0]
    # Raw samples are purged after two weeks: the last hour the 1 h rollup holds says the same.
    row = con.execute(
        """SELECT arg_max(h.last, h.bucket) FROM samples_1h h JOIN series s USING (series_id)
           WHERE s.source = $source AND s.name = 'signal:budget_monthly_usd' AND isfinite(h.last)
             AND h.bucket <= make_timestamptz($at)""",
        {"source": source, "at": round(at * 1e6)},
    ).fetchone()
    return row[0] if row and row[0] else None


def resolve_budget(con: "duckdb.DuckDBPyConnection", source: str, at: float, configured_usd: float) -> tuple[float, str]:
    """`cost.resolve_budget`, with the budget the source reported last before `at` (read only when needed)."""
    return cst.resolve_budget(configured_usd, budget_from_history(con, source, at) if configured_usd <= 0 else None)


def cost_source(con: "duckdb.DuckDBPyConnection") -> str:
    """The source with the most cost-counter series ("" when none has one): whose spend a trend shows
    when no pane has picked a source yet."""
    row = con.execute(
        "SELECT source FROM series WHERE list_contains($names, name) GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1",
        {"names": [name for name, _ in ts_sql.COST_COUNTERS]},
    ).fetchone()
    return row[0] if row else ""


def history_start(con: "duckdb.DuckDBPyConnection") -> float | None:
    """The oldest instant the history still holds (the 1 h rollup keeps the longest), or None when empty."""
    row = con.execute("SELECT epoch_us(min(bucket)) / 1e6 FROM samples_1h").fetchone()
    if row[0] is not None:
        return row[0]
    row = con.execute("SELECT epoch_us(min(ts)) / 1e6 FROM samples").fetchone()
    return row[0]


def daily_spend(
    con: "duckdb.DuckDBPyConnection", counters: Mapping[int, Mapping[str, str]], since: float, until: float,
) -> list[tuple[float, dict[int, float]]]:
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
    rolled_until = min(ts_sql.watermark_s(con, "1h"), until) if ids else -math.inf
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


def spend_by_period(
    counters: Mapping[int, Mapping[str, str]], days: Sequence[tuple[float, Mapping[int, float]]],
    tiers: Mapping[str, str], gateways: Mapping[int, str] | None = None,
) -> dict[SpendKey, float]:
    """Each day's spend summed into its day, week and month, in total and by model, tier and team, and by
    gateway when `gateways` (series -> its gateway) is given.

    A model's tier: its series' `tier` label, else `tiers`; a series without a team counts as "unknown".
    """
    sums: dict[SpendKey, float] = defaultdict(float)
    for day, by_series in days:
        starts = {period: period_start(period, day) for period in PERIODS}
        for series_id, usd in by_series.items():
            labels = counters[series_id]
            model = labels["model"]
            groups = {"total": "all", "model": model, "tier": labels.get("tier") or tiers.get(model, "unknown"),
                      "team": labels.get("team", "unknown")}
            if gateways is not None:
                groups["gateway"] = gateways[series_id]
            for period, start in starts.items():
                for by, name in groups.items():
                    sums[(period, start, by, name)] += usd
    return dict(sums)


@dataclass(frozen=True, slots=True)
class MonthSpend:
    """One month's spend beside its budget and the projection the Cost pane showed for it."""

    month: str
    start: float
    budget_usd: float | None
    spent_usd: float
    complete: bool
    covers_from: float | None
    """When the history starts, if that is after the month's first hour (the spend is partial)."""
    projected_at: float
    """Mid-month for a month that is over; `until` for the month in progress."""
    projected_24h_usd: float | None
    projected_7d_usd: float | None
    over_budget: bool | None
    """Spent over budget (a month that is over) or projected over it at the 24 h rate (this month)."""


def _average_rate(series: list[tuple[float, float]]) -> float | None:
    values = [v for _, v in series if not math.isnan(v)]
    return sum(values) / len(values) if values else None


def spend_rates(
    con: "duckdb.DuckDBPyConnection", source: str, at: float, windows_s: Sequence[float],
) -> list[float | None]:
    """The average spend rate over each window, in one read: from raw samples up to an hour, else from
    the hourly rollups, the 1 m ones before the first whole hour and raw samples after the last. Read after
    every poll, a 3-day window from raw samples and 1 m buckets filled DuckDB's buffer pool with every series'
    rows (bench/HISTORY.md, section 5).

    A window over an hour starts on the minute (under a minute shorter): its part-minute, read from raw
    samples, brought a whole row group of every series' samples into the pool for a few of them. Its buckets
    stay an hour wide, the rollup's hours. The cost pane's burn and projections, and the cost report's month
    in progress."""
    spans = []
    for w in windows_s:
        if w <= HOUR_S:
            spans.append((at - w, at, 60, "raw"))
        else:
            since = math.ceil((at - w) / ts_sql.MINUTE_S) * ts_sql.MINUTE_S
            spans.append((since, at, (at - since) / HOUR_S, "1h"))
    return [_average_rate(series["spend_usd_per_h"])
            for series in ts_sql.signal_series_spans(con, source, ["spend_usd_per_h"], spans)]


def _past_rate(
    con: "duckdb.DuckDBPyConnection", source: str, at: float, span_s: float, points: int, complete: bool,
) -> float | None:
    """The mean spend rate over the `span_s` before `at`, bucketed as the Cost pane buckets it.

    A month that is over reads the rollups, never raw samples (purged after two weeks): hour-wide
    buckets from the 1 h rollup (the same answer), narrower ones from the 1 m rollup while it lasts
    (90 days), then from the 1 h rollup (the mean of hourly means)."""
    if not complete:
        return spend_rates(con, source, at, [span_s])[0]  # as the Cost pane reads it now
    resolutions = ("1h",) if (span_s / points) % HOUR_S == 0 else ("1m", "1h")
    for resolution in resolutions:
        series = ts_sql.signal_series(con, source, "spend_usd_per_h", at - span_s, at, points=points, resolution=resolution)
        if series:
            return _average_rate(series)
    return None


def month_spend(
    con: "duckdb.DuckDBPyConnection", source: str, counters: Mapping[int, Mapping[str, str]],
    month_start: float, until: float, budget_usd: float | None,
) -> MonthSpend:
    """One month: spent so far (or in all), and the projection the Cost pane showed at mid-month
    (for a month that is over) or shows now (for the month in progress)."""
    ids = list(counters)
    _, month_end = cst.month_bounds(month_start)
    complete = until >= month_end
    end = min(month_end, until)
    spent = sum(ts_sql.counter_increase(con, ids, month_start, end).values())
    covers_from = ts_sql.late_start(con, ids, month_start, end)
    at = month_start + (month_end - month_start) / 2 if complete else until
    mtd = sum(ts_sql.counter_increase(con, ids, month_start, at).values())
    rate_24h = _past_rate(con, source, at, DAY_S, 96, complete)
    rate_7d = _past_rate(con, source, at, 7 * DAY_S, 168, complete)
    projected_24h = cst.project_month_end(mtd, rate_24h, at)
    projected_7d = cst.project_month_end(mtd, rate_7d, at)
    over = None
    if budget_usd:
        judged = spent if complete else projected_24h
        over = None if judged is None else judged > budget_usd
    return MonthSpend(period_label("month", month_start), month_start, budget_usd, spent, complete, covers_from, at,
                      projected_24h, projected_7d, over)


@dataclass(frozen=True, slots=True)
class Trends:
    """Spend of one source over [since, until] by period and dimension, and its months against the budget."""

    source: str
    since: float
    until: float
    budget_usd: float
    """0 when no budget is set anywhere."""
    budget_from: str
    """config | history | not set"""
    spend: Mapping[SpendKey, float]
    months: Sequence[MonthSpend]
    counter: str = ""
    """The cost counters the spend is read from, e.g. litellm_spend_metric_total ("" when there is none; for
    gateways of several conventions, each one's, comma-separated)."""

    @property
    def breakdowns(self) -> tuple[str, ...]:
        """What the spend can be broken down by: by gateway only when the gateways are read together."""
        return tuple(by for by in DIMENSIONS[1:] if by != "gateway" or self.source == FLEET_SOURCE)

    def table(self, period: str, by: str) -> tuple[list[float], list[str], dict[str, list[float]]]:
        """(period starts oldest first, names by total spend, name -> USD per start) for one chart or table."""
        starts = sorted({start for (p, start, _, _) in self.spend if p == period})
        index = {start: n for n, start in enumerate(starts)}
        usd: dict[str, list[float]] = {}
        for (p, start, dimension, name), value in self.spend.items():
            if p == period and dimension == by:
                usd.setdefault(name, [0.0] * len(starts))[index[start]] += value
        names = sorted(usd, key=lambda n: (-sum(usd[n]), n))
        return starts, names, usd


def build_trends(
    con: "duckdb.DuckDBPyConnection", source: str, since: float, until: float, *,
    budget_usd: float = 0.0, tiers: Mapping[str, str] | None = None, with_months: bool = True,
) -> Trends:
    """Over [since, until], from the history's first sample on. `budget_usd` from the config (0: not
    set, use the one the source reports); `tiers` model -> tier
    from pricing.yaml, over any tier the series of the source name. Without `with_months` the months
    are left for `month_rows` (the spend is one query; each month costs several)."""
    # Days and months before the history holds anything are not "$0.00 spent": they are left out (an
    # empty history spans nothing).
    start = history_start(con)
    since = until if start is None else min(max(since, start), until)
    by_source = ts_sql.cost_series_by_source(con, ts_sql.member_sources(con, source)) if source else {}
    counters = ts_sql.together(by_source)
    gateways = {sid: gateway for gateway, own in by_source.items() for sid in own} if source == FLEET_SOURCE else None
    tiers = {**tier_of_models(con, source), **(tiers or {})}
    budget, origin = resolve_budget(con, source, until, budget_usd)
    spend = spend_by_period(counters, daily_spend(con, counters, since, until), tiers, gateways)
    trends = Trends(source, since, until, budget, origin, spend, (), _counter_name(con, counters))
    return replace(trends, months=month_rows(con, trends)) if with_months else trends


def month_rows(con: "duckdb.DuckDBPyConnection", trends: Trends) -> list[MonthSpend]:
    """Each calendar month `trends` touches, oldest first, against its budget."""
    counters = ts_sql.cost_series(con, trends.source) if trends.source else {}
    months = []
    month = period_start("month", trends.since)
    while month < trends.until:
        months.append(month_spend(con, trends.source, counters, month, trends.until, trends.budget_usd or None))
        month = cst.month_bounds(month)[1]
    return months


def _counter_name(con: "duckdb.DuckDBPyConnection", counters: Mapping[int, Mapping[str, str]]) -> str:
    """The cost counters the spend is read from, by name: one per convention the gateways speak."""
    if not counters:
        return ""
    rows = con.execute(
        "SELECT DISTINCT name FROM series WHERE list_contains($ids, series_id) ORDER BY 1", {"ids": list(counters)},
    ).fetchall()
    return ", ".join(name for (name,) in rows)

"""LLM cost burn: spend rate, month-to-date, month-end projection and SRE-workbook burn-rate multiples.

All times are UTC; a month is a calendar month. Pure functions over numbers the store provides.
"""

from __future__ import annotations

import calendar
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from aiops_tui.signals.savings import Lever

PROJECTION_WINDOWS_S = (86400.0, 7 * 86400.0)
"""The month-end projections run at the spend rates over the last 24 h and the last 7 days."""
WINDOW_HELD = 0.95
"""A window whose history holds this share of it reads as the whole window."""
BURN_WINDOWS = (("5m", 300.0, 14.4), ("1h", 3600.0, 14.4), ("6h", 21600.0, 6.0), ("3d", 259200.0, None))
"""(label, seconds, page threshold): 14.4x over 1 h and 5 m, 6x over 6 h (and 30 m), as the SRE workbook pairs them."""


def month_bounds(ts: float) -> tuple[float, float]:
    """Start and end (exclusive) of the UTC calendar month holding `ts`, as Unix seconds."""
    moment = datetime.fromtimestamp(ts, tz=timezone.utc)
    start = moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    days = calendar.monthrange(start.year, start.month)[1]
    return start.timestamp(), start.timestamp() + days * 86400.0


def hours_in_month(ts: float) -> float:
    start, end = month_bounds(ts)
    return (end - start) / 3600.0


def hours_left_in_month(ts: float) -> float:
    return max(0.0, (month_bounds(ts)[1] - ts) / 3600.0)


def project_month_end(mtd_usd: float, rate_usd_per_h: float | None, ts: float) -> float | None:
    """Month-to-date plus the recent rate over the hours left; None without a rate."""
    if rate_usd_per_h is None or math.isnan(rate_usd_per_h):
        return None
    return mtd_usd + max(0.0, rate_usd_per_h) * hours_left_in_month(ts)


def resolve_budget(configured_usd: float, reported_usd: float | None) -> tuple[float, str]:
    """(monthly budget, where it came from): the config's; if it sets none (0), the one the source
    reports, as the history holds it ("history"); else (0, "not set")."""
    if configured_usd > 0:
        return configured_usd, "config"
    if reported_usd is not None and math.isfinite(reported_usd) and reported_usd > 0:
        return reported_usd, "history"
    return 0.0, "not set"


def burn_multiple(rate_usd_per_h: float | None, monthly_budget_usd: float, ts: float) -> float | None:
    """Spend rate over a window divided by the rate that would spend exactly the budget this month.

    None when there is no budget (0 means "not set") or no rate: infinity would page forever.
    """
    if rate_usd_per_h is None or math.isnan(rate_usd_per_h) or monthly_budget_usd <= 0:
        return None
    # rate / (budget / hours), multiplied out: a tiny budget's hourly share would underflow to 0.
    return max(0.0, rate_usd_per_h) * hours_in_month(ts) / monthly_budget_usd


def reset_aware_increase(points: Sequence[tuple[float, float]]) -> float:
    """Increase of a counter over time-ordered points; a drop is a restart, counted from zero
    (a restart below zero, from a broken exporter, adds nothing)."""
    total = 0.0
    for (_, prev), (_, cur) in zip(points, points[1:]):
        total += cur - prev if cur >= prev else max(cur, 0.0)
    return total


@dataclass(frozen=True, slots=True)
class BurnWindow:
    label: str
    window_s: float
    rate_usd_per_h: float | None
    multiple: float | None
    page_at: float | None

    @property
    def paging(self) -> bool:
        return self.multiple is not None and self.page_at is not None and self.multiple >= self.page_at


@dataclass(frozen=True, slots=True)
class SpendRow:
    name: str
    """A model, a tier or a gateway."""
    usd_per_h: float
    mtd_usd: float


@dataclass(frozen=True, slots=True)
class CostView:
    at: float
    source: str
    spend_usd_per_h: float | None
    mtd_usd: float
    mtd_covers_from: float | None
    """The earliest time the month-to-date sum covers (None: the whole month is in the history)."""
    projected_24h_usd: float | None
    projected_7d_usd: float | None
    budget_usd: float
    burn: Sequence[BurnWindow]
    by_model: Sequence[SpendRow]
    by_tier: Sequence[SpendRow]
    cache_savings_usd_per_h: float | None
    daily_usd: Sequence[tuple[float, float]] = field(default_factory=list)
    """(day start, spend that day) for this month so far."""
    priced_from_tokens: bool = False
    basis: str = ""
    """Which metric the spend comes from, e.g. "cost from litellm_spend_metric_total"."""
    run_rate_monthly_usd: float | None = None
    """The current spend rate over a whole month: what each savings lever is measured against."""
    levers: Sequence["Lever"] = ()
    budget_from: str = "config"
    """Where `budget_usd` comes from (`resolve_budget`): "config", "history" or "not set"."""
    by_gateway: Sequence[SpendRow] = ()
    """With the gateways read together (the fleet): each one's own spend rate and month to date."""

    @property
    def budget_used_ratio(self) -> float | None:
        return self.mtd_usd / self.budget_usd if self.budget_usd > 0 else None

    def history_short_of(self, window_s: float) -> float | None:
        """How much history a rate over `window_s` rests on, when the history began inside the window
        (as a new history file does): that rate is then the rate over the history, not over the window."""
        if self.mtd_covers_from is None:
            return None
        held_s = self.at - self.mtd_covers_from
        return held_s if held_s < window_s * WINDOW_HELD else None

    @property
    def projected_over_budget(self) -> bool:
        projected = self.projected_24h_usd
        return self.budget_usd > 0 and projected is not None and projected > self.budget_usd

    def budget_line(self) -> list[tuple[float, float]]:
        """Cumulative budget by day: where spend would be if it burned exactly the budget."""
        if self.budget_usd <= 0:
            return []
        start, end = month_bounds(self.at)
        per_day = self.budget_usd / ((end - start) / 86400.0)
        return [(start + i * 86400.0, per_day * (i + 1)) for i in range(int((end - start) // 86400))]


def burn_windows(rates_usd_per_h: Mapping[str, float | None], monthly_budget_usd: float, ts: float) -> list[BurnWindow]:
    out = []
    for label, window_s, page_at in BURN_WINDOWS:
        rate = rates_usd_per_h.get(label)
        out.append(BurnWindow(label, window_s, rate, burn_multiple(rate, monthly_budget_usd, ts), page_at))
    return out

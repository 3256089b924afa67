"""Hand-built, deterministic `Views` for the UI tests, and a FakeCockpit with the Cockpit's interface.

Everything is relative to AT (a frozen clock), so snapshots never see real time. The data is chosen to
exercise each pane: several models, a breaker open after flapping, a month of daily spend, a tile with
"no traffic" and one with "no data", an AI-quality row below target, savings levers of which one cannot
be priced, and names carrying Rich markup and a terminal escape.
"""

from __future__ import annotations

import asyncio
import math
from datetime import datetime, timezone
from functools import lru_cache

from aiops_tui.cockpit import SourceView, Views
from aiops_tui.model import FLEET_SOURCE, Alert
from aiops_tui.signals.breakers import BreakerRow, BreakersView, Transition
from aiops_tui.signals.cost import CostView, SpendRow, burn_windows, project_month_end
from aiops_tui.signals.golden import CHART_SIGNALS, CHART_WINDOWS_S, GoldenView, ModelRow, Targets
from aiops_tui.signals.quality import QualityRow, quality_readings
from aiops_tui.signals.readings import NO_DATA, NO_TRAFFIC, Reading
from aiops_tui.signals.savings import Lever

AT = datetime(2026, 10, 28, 12, 0, 0, tzinfo=timezone.utc).timestamp()
"""2026-10-28 12:00:00 UTC: late in a 31-day month, so the spend chart has 28 days in it."""
DAY_S = 86400.0
MONTH_START = datetime(2026, 10, 1, tzinfo=timezone.utc).timestamp()

MARKUP_MODEL = "[red]x[/]"
LINK_MODEL = "[link=https://evil]y[/link]"
ESCAPE_MODEL = "\x1b[2Jllama-local"
ESCAPE_MODEL_SHOWN = "llama-local"
"""What the screen must show for ESCAPE_MODEL: the whole ESC [ 2 J sequence removed."""
BUDGET_USD = 7000.0
"""Under the month-to-date (6,085) but under the 24 h-rate projection (7,093): "projected OVER budget"."""


def _wave(at: float, window_s: float, base: float, amplitude: float, n: int = 60) -> list[tuple[float, float]]:
    """n points over the window ending at `at`: base + amplitude * sin, a shape easy to see in a chart."""
    step_s = window_s / n
    return [(at - window_s + (i + 1) * step_s, base + amplitude * math.sin(i / 6.0)) for i in range(n)]


QUALITY_LATEST = {
    ("validation_pass_ratio", ""): 0.953,  # under 96 % (98 % less its 2 % failure share): bad
    ("validation_pass_ratio", "gpt-4o"): 0.962,  # under 98 % but not 96 %: warn
    ("validation_pass_ratio", MARKUP_MODEL): 0.871,  # the worst model, named in markup
    ("validation_pass_ratio", "claude-sonnet"): 0.991,
    ("review_queue_depth", ""): 42.0,
    ("review_oldest_age_s", ""): 4_320.0,  # 1h12m, over the hour a failed item may wait: bad
    ("reviewed_per_h", ""): 48.0,
    ("review_capacity_per_h", ""): 60.0,
    ("audit_coverage_ratio", ""): 0.995,  # under 100 % but not 99 %: warn
}


def quality_row() -> QualityRow:
    return quality_readings(QUALITY_LATEST)


HOURS_IN_OCTOBER = 31 * 24.0
RUN_RATE_USD = 148.20 * HOURS_IN_OCTOBER
"""The spend rate now over the whole month: 148.20 $/h x 744 h = $110,260.80."""
NO_CACHE_METRIC = "no cache hit metric from this source"


def levers() -> list[Lever]:
    """One lever without a price (no cache metric) and three priced by hand, $/h saved x 744 h."""
    month = lambda usd_per_h: usd_per_h * HOURS_IN_OCTOBER  # noqa: E731 - a saving per hour over the month
    return [
        Lever("Cache hit rate to target", RUN_RATE_USD, None, None, (), NO_CACHE_METRIC),
        # 12 $/h x 744 h = $8,928 saved, 8.1 % of the run rate; after: 110,260.80 - 8,928 = $101,332.80.
        Lever("Move tier_1 traffic to tier_2", RUN_RATE_USD, RUN_RATE_USD - month(12.0), month(12.0), (
            "25.0 % of tier_1 tokens answered by claude-sonnet ($3.00/$15.00 per 1M in/out) instead",
            "gpt-4o ($5.00/$20.00 per 1M in/out): 1,600 in + 700 out tokens/s = $12.00/h",
            "assumes tier_2 answers those requests well enough (quality not priced)",
            "744 h in the month",
        )),
        # 3.60 $/h x 744 h = $2,678.40 saved (2.4 %); after $107,582.40.
        Lever("Fill batches", RUN_RATE_USD, RUN_RATE_USD - month(3.6), month(3.6), (
            "200 shared prompt tokens per call, sent once per batch",
            f"{MARKUP_MODEL}: 2.00 calls/s at $2.50/1M input = $3.24/h",
            f"{ESCAPE_MODEL}: 0.40 calls/s at $2.50/1M input = $0.36/h",
            "744 h in the month",
        )),
        # 10 % of tier_2's 4.24 $/h = 0.424 $/h x 744 h = $315.46 saved (0.3 %); after $109,945.34.
        Lever("Local model for tier_2 traffic", RUN_RATE_USD, RUN_RATE_USD - month(0.424), month(0.424), (
            f"10.0 % of tier_2 requests answered by {ESCAPE_MODEL} at $0 instead", "744 h in the month",
        )),
    ]


FLEET = ("gw-eu-1", "gw-eu-2")
"""The gateways of `build_views(fleet=True)`: scraped directly, no Prometheus."""


def golden_view(at: float, window: str, quality: bool = True, chart_model: str = "", fleet: bool = False) -> GoldenView:
    tiles = {
        "latency_p50_s": Reading(0.042),
        "latency_p95_s": Reading(0.183, "bad"),
        "latency_p99_s": Reading(0.412),
        "requests_per_s": Reading(12.4),
        "error_ratio": Reading(0.0087, "warn"),
        "in_flight": Reading(17.0),
        "queue_depth": NO_DATA,
        "cache_hit_ratio": Reading(0.54, "warn"),
        "fallback_ratio": NO_TRAFFIC,
        "tokens_per_s": Reading(1834.5),
    }
    models = [
        ModelRow("gpt-4o", Reading(7.1), Reading(0.012, "bad"), Reading(0.21, "bad"), Reading(1100.0)),
        ModelRow("claude-sonnet", Reading(4.2), Reading(0.004, "ok"), Reading(0.14, "warn"), Reading(650.0)),
        ModelRow(MARKUP_MODEL, Reading(0.8), Reading(0.0, "ok"), Reading(0.09, "ok"), Reading(60.0)),
        ModelRow(LINK_MODEL, Reading(0.3), Reading(0.0, "ok"), Reading(0.08, "ok"), Reading(24.5)),
        ModelRow(ESCAPE_MODEL, Reading(0.0), NO_TRAFFIC, NO_TRAFFIC, Reading(0.0)),
    ]
    window_s = CHART_WINDOWS_S[window]
    shapes = {"latency_p95_s": (0.15, 0.04), "requests_per_s": (12.0, 3.0), "error_ratio": (0.008, 0.004), "tokens_per_s": (1800.0, 300.0)}
    share = 0.25 if chart_model else 1.0  # one model's charts: a quarter of the whole, as a test can tell
    charts = {signal: _wave(at, window_s, shapes[signal][0] * share, shapes[signal][1] * share) for signal in CHART_SIGNALS}
    # The fleet: gw-eu-2's gpt-4o upstream is failing, the one gateway past the error target.
    gateways = [
        ModelRow(FLEET[0], Reading(6.5), Reading(0.001, "ok"), Reading(0.17, "bad"), Reading(960.0)),
        ModelRow(FLEET[1], Reading(5.9), Reading(0.017, "bad"), Reading(0.19, "bad"), Reading(874.5)),
    ] if fleet else []
    return GoldenView(at, FLEET_SOURCE if fleet else "prometheus", tiles, models, charts, window,
                      quality=quality_row() if quality else None, chart_model=chart_model, gateways=gateways)


def cost_view(at: float, budget_usd: float = BUDGET_USD, mtd_covers_from: float | None = None) -> CostView:
    # Day d (1-based) spent 150 + 5*d dollars; today (the 28th) is half over, so it counts half.
    daily = [(MONTH_START + (d - 1) * DAY_S, 150.0 + 5.0 * d) for d in range(1, 28)]
    daily.append((MONTH_START + 27 * DAY_S, (150.0 + 5.0 * 28) / 2))
    mtd_usd = sum(usd for _, usd in daily)  # sum(150+5d, d=1..27) + 145 = 4050 + 1890 + 145 = 6085
    # A cost spike in the last minutes. Even pace = 7000 / 744 h = 9.41 $/h, so 5m 150 -> 15.9x (PAGE at 14.4),
    # 1h 50 -> 5.3x (no page), 6h 60 -> 6.4x (PAGE at 6), 3d 9 -> 0.96x.
    rates = {"5m": 150.0, "1h": 50.0, "6h": 60.0, "3d": 9.0}
    # Projection at the 24 h rate: 6085 + 12 $/h * 84 h left (Oct 28 12:00 -> Nov 1) = 7093.
    return CostView(
        at=at, source="prometheus", spend_usd_per_h=148.20, mtd_usd=mtd_usd, mtd_covers_from=mtd_covers_from,
        projected_24h_usd=project_month_end(mtd_usd, 12.0, at), projected_7d_usd=project_month_end(mtd_usd, 7.5, at),
        budget_usd=budget_usd, burn=burn_windows(rates, budget_usd, at),
        by_model=[SpendRow("gpt-4o", 8.10, 4100.0), SpendRow("claude-sonnet", 3.90, 1800.0),
                  SpendRow(MARKUP_MODEL, 0.34, 185.0), SpendRow(ESCAPE_MODEL, 0.0, 0.0)],
        by_tier=[SpendRow("tier_1", 8.10, 4100.0), SpendRow("tier_2", 4.24, 1985.0), SpendRow("tier_3", 0.0, 0.0)],
        cache_savings_usd_per_h=1.85, daily_usd=daily,
        run_rate_monthly_usd=RUN_RATE_USD, levers=levers(),
    )


def breakers_view(at: float, watched_from: float | None = None) -> BreakersView:
    minutes = lambda m: at - m * 60.0  # noqa: E731 - reads as "m minutes before AT"
    flaps = [
        Transition(minutes(52), "closed", "open"), Transition(minutes(51), "open", "half_open"),
        Transition(minutes(50), "half_open", "closed"), Transition(minutes(31), "closed", "open"),
        Transition(minutes(30), "open", "half_open"), Transition(minutes(29), "half_open", "open"),
        Transition(minutes(20), "open", "half_open"), Transition(minutes(19), "half_open", "closed"),
        Transition(minutes(14), "closed", "open"),
    ]
    recovering = [Transition(minutes(9), "closed", "open"), Transition(minutes(3), "open", "half_open")]
    errors = [(ts, min(1.0, max(0.0, v))) for ts, v in _wave(at, 3600.0, 0.35, 0.3)]
    read = [(ts, 0.0) for ts, _ in errors]  # the state was read each minute of the hour
    recent = lambda points: [(ts, v) for ts, v in points if ts >= minutes(20)]  # noqa: E731 - first seen 20 minutes ago
    rows = [
        BreakerRow("openai/gpt-4o", "open", minutes(14), 0.62, 148.0, "tier_1", "legacy-path", errors, flaps, read),
        BreakerRow("anthropic/claude-sonnet", "half_open", minutes(3), 0.18, 12.0, "tier_2", "openai/gpt-4o",
                   _wave(at, 3600.0, 0.1, 0.08), recovering, read),
        BreakerRow(LINK_MODEL, "closed", None, 0.01, 0.0, "tier_2", MARKUP_MODEL, recent(_wave(at, 3600.0, 0.01, 0.01)), [],
                   recent(read)),
        BreakerRow("local/llama", "closed", None, -1.0, None, "tier_3", "", [], [], read),
    ]
    return BreakersView(at, "gw-main", rows, 3600.0, watched_from)


SOURCES = (
    SourceView("prometheus", "prometheus", "ok", 3.0, ("litellm",)),
    SourceView("gw-main", "gateway", "stale", 47.0, ("litellm", "resilience4j")),
    SourceView("gw-edge", "gateway", "down", 312.0, (), "connection refused"),
)


@lru_cache(maxsize=64)
def build_views(
    at: float = AT, window: str = "1h", *, live: bool = True, paused: bool = False, budget_usd: float = BUDGET_USD,
    mtd_covers_from: float | None = None, environment: str = "prod-eu-1", quality: bool = True, chart_model: str = "",
    breakers_watched_from: float | None = None, fleet: bool = False,
) -> Views:
    """The same arguments give the same (cached) object, as a real cockpit's unchanged history would give equal views."""
    alert = Alert("LLMCircuitBreakerOpen", "firing", {"upstream": "openai/gpt-4o"}, {"summary": "breaker open"}, at - 840)
    return Views(
        at=at, environment=environment, live=live, paused=paused,
        golden=golden_view(at, window, quality, chart_model, fleet), cost=cost_view(at, budget_usd, mtd_covers_from),
        breakers=breakers_view(at, breakers_watched_from),
        sources=SOURCES, alerts=(alert,), direct=False, notes=("cost from litellm_spend_metric_total",),
        gateways=FLEET if fleet else (),
    )


class FakeCockpit:
    """The Cockpit interface over `build_views`, with a frozen clock, counting what the app asks of it."""

    def __init__(
        self, *, now: float = AT, live: bool = True, environment: str = "prod-eu-1", fail: str | None = None, **view_args,
    ) -> None:
        self.environment = environment
        self.targets = Targets(latency_p95_s=0.150)  # the views above are shaped around it
        self.now = now
        self._live = live
        self.fail = fail
        self.view_args = view_args
        self.pause_calls = self.resume_calls = self.refresh_calls = 0
        self.intervals: list[float] = []
        self.views_calls: list[tuple[float | None, str]] = []
        self.chart_models: list[str] = []
        self.polling_started = False
        self._paused = False

    def clock(self) -> float:
        return self.now

    @property
    def live(self) -> bool:
        return self._live

    @property
    def paused(self) -> bool:
        return self._paused

    def views(self, at: float | None = None, window: str = "1h", model: str = "", gateway: str = "") -> Views:
        self.views_calls.append((at, window))
        self.chart_models.append(model)
        if self.fail:
            raise RuntimeError(self.fail)
        return build_views(self.now if at is None else at, window, live=self._live and at is None, paused=self._paused,
                           environment=self.environment, chart_model=model, **self.view_args)

    async def run_polling(self, stop: asyncio.Event) -> None:
        if not self._live:  # as Cockpit's: nothing to poll in a review
            return
        self.polling_started = True
        await stop.wait()

    def pause(self) -> None:
        self.pause_calls += 1
        self._paused = True

    def resume(self) -> None:
        self.resume_calls += 1
        self._paused = False

    def refresh_now(self) -> None:
        self.refresh_calls += 1

    def set_interval(self, interval_s: float) -> None:
        self.intervals.append(interval_s)

    @property
    def interval_s(self) -> float:
        return self.intervals[-1] if self.intervals else 15.0

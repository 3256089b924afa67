"""Golden signals (latency, traffic, errors, saturation) and the AI signals, as the golden pane shows them.

Reads the `signal:*` series the sources store: Prometheus answers when it is fresh, otherwise the
signals each gateway's own scrapes produced ("direct"). A quantile is only ever read, never averaged.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from aiops_tui.signals.quality import QualityRow
from aiops_tui.signals.readings import NO_DATA, NO_TRAFFIC, Reading, judge

TILE_SIGNALS = (
    "latency_p50_s", "latency_p95_s", "latency_p99_s", "requests_per_s", "error_ratio",
    "in_flight", "queue_depth", "cache_hit_ratio", "fallback_ratio", "tokens_per_s",
)
JUDGED_PER_MODEL = ("latency_p95_s", "error_ratio")
"""The signals the models table judges against their targets, one reading per model."""
CHART_SIGNALS = ("latency_p95_s", "requests_per_s", "error_ratio", "tokens_per_s")
RATIO_OF_TRAFFIC = {"error_ratio", "cache_hit_ratio", "fallback_ratio", "latency_p50_s", "latency_p95_s", "latency_p99_s"}
"""Signals that are undefined (not zero) when there is no traffic."""
CHART_WINDOWS_S = {
    "15m": 900.0, "1h": 3600.0, "6h": 21600.0, "24h": 86400.0, "7d": 7 * 86400.0, "30d": 30 * 86400.0, "90d": 90 * 86400.0,
}
"""The chart windows `w` cycles through; over a day the charts read the rollups (store/timeseries.py)."""


@dataclass(frozen=True, slots=True)
class Targets:
    """What the golden pane judges against. The latency default is the shipped LLMLatencyP95High rule's
    5 s (rules/aiops-alerts.yml, and its runbook): an LLM call takes seconds, so a web service's
    150 ms would mark every model OVER on a file reviewed without a config."""

    latency_p95_s: float = 5.0
    error_ratio: float = 0.01
    cache_hit_ratio: float = 0.60
    fallback_ratio: float = 0.05

    @classmethod
    def from_config(cls, targets) -> "Targets":
        return cls(targets.latency_p95_ms / 1000.0, targets.error_ratio, targets.cache_hit_ratio, targets.fallback_ratio)


@dataclass(frozen=True, slots=True)
class ModelRow:
    model: str
    requests_per_s: Reading
    error_ratio: Reading
    latency_p95_s: Reading
    tokens_per_s: Reading


@dataclass(frozen=True, slots=True)
class GoldenView:
    at: float
    source: str
    """Where the numbers come from: "prometheus", a gateway name (direct), or "" when nothing does."""
    tiles: Mapping[str, Reading]
    models: Sequence[ModelRow]
    charts: Mapping[str, Sequence[tuple[float, float]]] = field(default_factory=dict)
    window: str = "1h"
    basis: str = ""
    """Which metrics feed the pane, e.g. "latency from litellm_request_total_latency_metric_bucket"."""
    quality: "QualityRow | None" = None
    """The AI-quality row (validation, human review, audit); None when no source reports it."""
    chart_model: str = ""
    """The model the charts are of; "" for all models together, as the tiles always are."""
    gateways: Sequence[ModelRow] = ()
    """With more than one gateway scraped directly: each one's own totals, a row each (its name in `model`),
    rated over its last minute of scrapes; which gateway of the fleet is off target."""
    chart_gateway: str = ""
    """The gateway the charts are of (its own signals, all its models); "" for the source's. Not with `chart_model`."""

    @property
    def direct(self) -> bool:
        return self.source not in ("", "prometheus")


def judge_tile(signal: str, value: float | None, targets: Targets, *, traffic: float | None) -> Reading:
    """One tile's reading: "no data" without a series, "no traffic" for a ratio of nothing."""
    if value is None:
        return NO_DATA
    if signal in RATIO_OF_TRAFFIC and (math.isnan(value) or traffic == 0):
        return NO_TRAFFIC
    if math.isnan(value):
        return NO_DATA
    if signal == "latency_p95_s":
        return judge(value, targets.latency_p95_s)
    if signal == "error_ratio":
        return judge(value, targets.error_ratio)
    if signal == "cache_hit_ratio":
        return judge(value, targets.cache_hit_ratio, higher_is_better=True)
    if signal == "fallback_ratio":
        return judge(value, targets.fallback_ratio)
    return Reading(value)


def worst_model(models: Sequence[ModelRow], signal: str) -> tuple[str, Reading] | None:
    """The model furthest off `signal`'s target (past it before near it), when one is off and there is more
    than one model: the tile over all models can read near target while one of them is past it."""
    readings = [(row.model, getattr(row, signal)) for row in models if not getattr(row, signal).missing]
    rank = {"bad": 2, "warn": 1}
    if len(readings) < 2:
        return None
    model, reading = max(readings, key=lambda item: (rank.get(item[1].status, 0), item[1].value))
    return (model, reading) if reading.status in rank else None


def build_view(
    at: float,
    source: str,
    latest: Mapping[tuple[str, str], float],
    targets: Targets,
    charts: Mapping[str, Sequence[tuple[float, float]]] | None = None,
    window: str = "1h",
    basis: str = "",
    quality: QualityRow | None = None,
    chart_model: str = "",
    gateways: Mapping[str, Mapping[str, float]] | None = None,
    chart_gateway: str = "",
) -> GoldenView:
    """`latest` maps (signal, model) -> value, model "" for the total across models; `gateways` maps each
    gateway scraped directly to its own totals (signal -> value)."""
    traffic = latest.get(("requests_per_s", ""))
    tiles = {s: judge_tile(s, latest.get((s, "")), targets, traffic=traffic) for s in TILE_SIGNALS}
    models = sorted({m for (_, m) in latest if m})
    rows = [_row(model, lambda signal, model=model: latest.get((signal, model)), targets) for model in models]
    rows.sort(key=lambda r: -(r.requests_per_s.value or 0.0))
    by_gateway = [_row(name, totals.get, targets) for name, totals in sorted((gateways or {}).items())]
    return GoldenView(at, source, tiles, rows, dict(charts or {}), window, basis, quality, chart_model, by_gateway,
                      chart_gateway)


def _row(name: str, value: Callable[[str], float | None], targets: Targets) -> ModelRow:
    """One row of the table: a model's (or a gateway's) traffic, errors, p95 and tokens, judged by the targets."""
    traffic = value("requests_per_s")
    return ModelRow(
        name,
        judge_tile("requests_per_s", traffic, targets, traffic=traffic),
        judge_tile("error_ratio", value("error_ratio"), targets, traffic=traffic),
        judge_tile("latency_p95_s", value("latency_p95_s"), targets, traffic=traffic),
        judge_tile("tokens_per_s", value("tokens_per_s"), targets, traffic=traffic),
    )

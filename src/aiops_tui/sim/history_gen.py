"""Generate months of demo-gateway history straight into a history file, for review, reports and benchmarks.

Python plans what happened from the seed (breaker flaps, one incident, a cost-spike day, a
gateway restart) and writes its events; DuckDB expands the plan into every step's samples of the
series the live demo stores (diurnal and weekly traffic, reset-aware counters), in time order.
"""

from __future__ import annotations

import argparse
import math
import random
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from aiops_tui.errors import UserError
from aiops_tui.model import BREAKER_STATES, Batch, Event, SeriesKey, make_labels

if TYPE_CHECKING:
    from aiops_tui.store.history import History

SOURCE = "demo-gateway"
DEFAULT_MODELS = ("gpt-4o", "claude-3-5-haiku", "gpt-4o-mini", "llama-3-8b-local")
DEFAULT_SEED = 7
DEFAULT_BUDGET_USD = 15_000.0
BASE_RATE_PER_S = 8.0
GROWTH_RATIO = 0.25
"""Traffic grows by this much over the whole period, so month after month spends more."""
WEEKEND_FACTOR = 0.6
LOCAL_CAPACITY_PER_S = 2.0
CHUNK_STEPS = 20_160
"""Steps per write transaction (two weeks at one minute)."""
GENERATE_MEMORY_LIMIT = "1GB"
"""DuckDB's memory for a generation (the truth table, each chunk and its rollup). With DuckDB's own
default (80 % of RAM) 100M samples peak at 7.1 GB of RSS; with this, at 1.1 GB."""
ALERT_RUNBOOK = "https://runbooks.example.com/llm-circuit-breaker-open.md"
INCIDENT_RUNBOOK = "llm-circuit-breaker-open.md"
INCIDENT_STEPS = (
    "Confirm the breaker state and how long it has been open",
    "Check the provider's status page",
    "Confirm traffic is served by the fallback",
)

# Per-model signals (labels {model}) and the same names for the total (labels {}): truth column each.
MODEL_SIGNALS = {
    "signal:requests_per_s": "requests_per_s",
    "signal:error_ratio": "error_ratio",
    "signal:latency_p50_s": "latency_p50_s",
    "signal:latency_p95_s": "latency_p95_s",
    "signal:latency_p99_s": "latency_p99_s",
    "signal:tokens_per_s": "tokens_per_s",
    "signal:spend_usd_per_h": "spend_usd_per_h",
    "signal:saved_usd_per_h": "saved_usd_per_h",
    "signal:cache_hit_ratio": "cache_hit_ratio",
    "signal:fallback_ratio": "fallback_ratio",
}
TOTAL_ONLY_SIGNALS = {
    "signal:in_flight": "in_flight",
    "signal:queue_depth": "queue_depth",
    "signal:budget_monthly_usd": "budget_monthly_usd",
    "signal:health_status": "health_status",
}
BREAKER_SIGNALS = {
    "signal:breaker_state": "breaker_state",
    "signal:breaker_failure_rate": "breaker_failure_rate",
    "signal:breaker_not_permitted_total": "cum_not_permitted",
    "signal:breaker_since_ts": "breaker_since_ts",
}
# Raw counters, one series per team (share of the model's traffic) or one per model.
TEAM_COUNTERS = {
    "litellm_spend_metric_total": "cum_spend_usd",
    "litellm_total_tokens_metric_total": "cum_tokens",
    "litellm_proxy_total_requests_metric_total": "cum_requests",
}
MODEL_COUNTERS = {
    "litellm_proxy_failed_requests_metric_total": "cum_errors",
    "aiops_cost_usd_total": "cum_spend_usd",
    "aiops_cost_saved_usd_total": "cum_saved_usd",
    "aiops_requests_total": "cum_requests",
}


@dataclass(frozen=True, slots=True)
class ModelParams:
    index: int
    name: str
    provider: str
    tier: str
    model_id: str
    share: float
    cache_hit_ratio: float
    latency_median_s: float
    tokens_per_request: float
    usd_per_request: float
    base_error_ratio: float
    is_fallback: bool

    @property
    def upstream(self) -> str:
        return f"{self.provider}/{self.name}"


@dataclass(frozen=True, slots=True)
class Segment:
    """Steps [lo, hi) of one model's breaker in one state; `served_ratio` of its traffic reaches it."""

    model: int
    lo: int
    hi: int
    state: str
    served_ratio: float = 1.0
    error_ratio: float | None = None
    """None: the model's usual error ratio."""


@dataclass(frozen=True, slots=True)
class Generated:
    """What `generate` wrote, and where the planned episodes are (tests and demos look for them)."""

    path: Path
    start_ts: float
    end_ts: float
    step_s: float
    series: int
    samples: int
    events: int
    seconds: float
    incident_id: str
    incident_span: tuple[float, float]
    incident_upstream: str
    spike_model: str
    spike_span: tuple[float, float]
    restart_span: tuple[float, float]

    @property
    def samples_per_s(self) -> float:
        return self.samples / self.seconds if self.seconds > 0 else math.inf


@dataclass
class _Plan:
    start_ts: float
    step_s: float
    steps: int
    models: list[ModelParams]
    segments: list[Segment] = field(default_factory=list)
    spikes: list[tuple[int, int, int, float, float]] = field(default_factory=list)
    """(model, lo step, hi step, cost factor, latency factor)"""
    gap: tuple[int, int] = (0, 0)
    events: list[Event] = field(default_factory=list)
    incident_id: str = ""
    incident_span: tuple[float, float] = (0.0, 0.0)
    incident_upstream: str = ""
    spike_model: str = ""

    def ts(self, step: int) -> float:
        return self.start_ts + step * self.step_s

    def steps_of(self, seconds: float) -> int:
        return max(1, round(seconds / self.step_s))


def model_params(names: Sequence[str]) -> list[ModelParams]:
    """The demo's upstream parameters for known names; a plain tier_2 model for any other name."""
    from aiops_tui.sim.pricing import load_pricing
    from aiops_tui.sim.spec import DEFAULT_UPSTREAMS, FALLBACK_TIER

    if not names or len(set(names)) != len(names):
        raise UserError("--models: give one or more distinct model names")
    known = {u.model: u for u in DEFAULT_UPSTREAMS}
    prices = load_pricing()
    raw = []
    for name in names:
        u = known.get(name)
        price = prices.get(name)
        in_tokens, out_tokens = (u.input_tokens_mean, u.output_tokens_mean) if u else (400, 150)
        usd = price.cost_usd(in_tokens, out_tokens) if price else (in_tokens * 1.0 + out_tokens * 4.0) / 1e6
        raw.append((name, u.provider if u else "custom", u.tier if u else "tier_2", u.model_id if u else name,
                    u.traffic_share if u else 0.2, u.cache_hit_ratio if u else 0.6,
                    u.latency_median_s if u else 1.0, float(in_tokens + out_tokens), usd,
                    u.base_error_ratio if u else 0.002, bool(u and u.tier == FALLBACK_TIER)))
    total_share = sum(r[4] for r in raw)
    return [ModelParams(i, r[0], r[1], r[2], r[3], r[4] / total_share, *r[5:]) for i, r in enumerate(raw)]


def _teams(count: int) -> list[tuple[dict[str, str], float]]:
    """Label sets and traffic shares of `count` client teams (the demo's two first)."""
    from aiops_tui.sim.spec import TEAMS

    teams = [({"team": t.team, "team_alias": t.team_alias, "api_key_alias": t.api_key_alias,
               "hashed_api_key": t.hashed_api_key}, t.traffic_share) for t in TEAMS[:count]]
    for n in range(len(teams), count):
        teams.append(({"team": f"team-{n + 1}", "team_alias": f"team-{n + 1}", "api_key_alias": f"key-{n + 1}",
                       "hashed_api_key": f"hashed-{n + 1}"}, 0.3))
    total = sum(share for _, share in teams)
    return [(labels, share / total) for labels, share in teams]


def _series(models: list[ModelParams], teams_per_model: int) -> list[tuple[SeriesKey, int, str, float]]:
    """(key, model index or -1 for totals, truth column, share of it) for every series written."""
    out: list[tuple[SeriesKey, int, str, float]] = []
    for name, column in {**MODEL_SIGNALS, **TOTAL_ONLY_SIGNALS}.items():
        out.append((SeriesKey(SOURCE, name), -1, column, 1.0))
    teams = _teams(teams_per_model)
    fallback = next((m for m in models if m.is_fallback), None)
    for m in models:
        for name, column in MODEL_SIGNALS.items():
            out.append((SeriesKey(SOURCE, name, make_labels(model=m.name)), m.index, column, 1.0))
        breaker = {"upstream": m.upstream, "tier": m.tier}
        if fallback is not None and not m.is_fallback:
            breaker["fallback"] = fallback.upstream
        for name, column in BREAKER_SIGNALS.items():
            out.append((SeriesKey(SOURCE, name, make_labels(breaker)), m.index, column, 1.0))
        litellm = {"model": m.name, "model_id": m.model_id, "api_provider": m.provider, "requested_model": m.name,
                   "end_user": "None", "user": "default_user_id"}
        for team_labels, share in teams:
            for name, column in TEAM_COUNTERS.items():
                labels = {**litellm, **team_labels}
                if name == "litellm_proxy_total_requests_metric_total":
                    labels = {"requested_model": m.name, "status_code": "200", **team_labels}
                out.append((SeriesKey(SOURCE, name, make_labels(labels)), m.index, column, share))
        for name, column in MODEL_COUNTERS.items():
            if name == "litellm_proxy_failed_requests_metric_total":
                labels = {"requested_model": m.name, "exception_status": "500"}
            else:
                labels = {"model": m.name, "tier": m.tier}
                if name == "aiops_requests_total":
                    labels["status"] = "200"
            out.append((SeriesKey(SOURCE, name, make_labels(labels)), m.index, column, 1.0))
    return out


# -- the plan --------------------------------------------------------------------------------------

def _plan(models: list[ModelParams], start_ts: float, step_s: float, steps: int, seed: int) -> _Plan:
    rng = random.Random(seed)
    plan = _Plan(start_ts, step_s, steps, models)
    days = steps * step_s / 86400.0
    end_ts = start_ts + steps * step_s

    def at_day(day_fraction: float, hour: float) -> int:
        """The step at `hour` UTC of the day `day_fraction` of the way through the period."""
        ts = math.floor((start_ts + day_fraction * (end_ts - start_ts)) / 86400) * 86400 + hour * 3600
        while ts < start_ts:
            ts += 86400
        while ts > end_ts - 7200 and ts - 86400 >= start_ts:
            ts -= 86400
        return min(steps - 1, int((ts - start_ts) // step_s))

    plan.events.append(Event(plan.ts(0), "source", SOURCE, None, "up", {}))
    restart = at_day(0.55, 3.3)
    plan.gap = (restart, min(steps, restart + plan.steps_of(180)))
    plan.events.append(Event(plan.ts(plan.gap[0]), "source", SOURCE, "up", "down", {"error": "connection refused"}))
    if plan.gap[1] < steps:
        plan.events.append(Event(plan.ts(plan.gap[1]), "source", SOURCE, "down", "up", {}))

    fallback = next((m for m in models if m.is_fallback), None)
    callers = [m for m in models if not m.is_fallback] or models
    spike = next((m for m in callers if m.tier == "tier_1"), callers[0])
    spike_lo = at_day(0.4, 9.0)
    spike_hi = min(steps, spike_lo + plan.steps_of(12 * 3600))
    plan.spikes.append((spike.index, spike_lo, spike_hi, 6.0, 1.0))
    plan.spike_model = spike.name
    burn = {"labels": {"severity": "page", "window": "1h"},
            "annotations": {"summary": "LLM spend is burning the monthly budget too fast",
                            "runbook_url": "https://runbooks.example.com/llm-cost-burn-rate-high.md"}}
    plan.events.append(Event(plan.ts(spike_lo + plan.steps_of(600)), "alert", "LLMCostBurnRateHigh", "inactive", "firing", burn))
    plan.events.append(Event(plan.ts(spike_hi), "alert", "LLMCostBurnRateHigh", "firing", "resolved", burn))

    victim = next((m for m in callers if m.name == "claude-3-5-haiku"), callers[-1])
    incident_lo = at_day(0.7, 14.0)
    failing = plan.steps_of(120)
    opened = plan.steps_of(300)
    episode = [("closed", failing, 0.45), ("open", opened, None), ("half_open", 1, 1.0), ("open", opened, None),
               ("half_open", 1, 1.0), ("open", 2 * opened, None), ("half_open", 1, 0.0)]
    busy: dict[int, list[tuple[int, int]]] = {m.index: [] for m in models}
    incident_hi = _add_episode(plan, victim, incident_lo, episode, fallback, busy)
    _incident_events(plan, victim, incident_lo + failing, incident_hi)
    busy_all = [(incident_lo - plan.steps_of(7200), incident_hi + plan.steps_of(7200)),
                (plan.gap[0] - plan.steps_of(3600), plan.gap[1] + plan.steps_of(3600))]

    flap = [("closed", 1, 0.5), ("open", plan.steps_of(120), None), ("half_open", 1, 0.0)]
    for m in callers:
        if m.is_fallback:
            continue
        for _ in range(max(1, round(days / 10))):
            lo = rng.randrange(0, max(1, steps - 10))
            length = sum(n for _, n, _ in flap) + 1
            if lo + length >= steps or any(a <= lo + length and lo <= b for a, b in busy_all + busy[m.index]):
                continue
            _add_episode(plan, m, lo, flap, fallback, busy)
    _fill_closed(plan, busy)
    plan.events.sort(key=lambda e: e.ts)
    return plan


def _add_episode(plan: _Plan, m: ModelParams, lo: int, episode, fallback, busy) -> int:
    """Lay `episode` [(state, steps, error ratio)] on model `m` from step `lo`; its events too."""
    step = lo
    previous = "closed"
    alert = {"labels": {"upstream": m.upstream, "severity": "critical"},
             "annotations": {"summary": f"Circuit breaker for upstream {m.upstream} is open", "runbook_url": ALERT_RUNBOOK}}
    for state, length, error in episode:
        hi = min(plan.steps, step + length)
        if step >= hi:
            break
        served = 1.0 if state == "closed" else 0.05 if state == "half_open" else 0.0
        if fallback is None and state != "closed":
            served, error = 1.0, 1.0  # no fallback path: refused calls fail fast
        plan.segments.append(Segment(m.index, step, hi, state, served, error))
        if state != previous:
            plan.events.append(Event(plan.ts(step), "breaker", m.upstream, previous, state, {"source": SOURCE}))
            if previous == "closed":
                plan.events.append(Event(plan.ts(step), "alert", "LLMCircuitBreakerOpen", "inactive", "firing", alert))
        previous = state
        step = hi
    if previous != "closed" and step < plan.steps:
        plan.events.append(Event(plan.ts(step), "breaker", m.upstream, previous, "closed", {"source": SOURCE}))
        plan.events.append(Event(plan.ts(step), "alert", "LLMCircuitBreakerOpen", "firing", "resolved", alert))
    busy[m.index].append((lo, step))
    return step


def _fill_closed(plan: _Plan, busy: dict[int, list[tuple[int, int]]]) -> None:
    """Closed segments around the episodes, so every step of every model has exactly one segment."""
    for m in plan.models:
        cursor = 0
        for lo, hi in sorted(busy[m.index]):
            if lo > cursor:
                plan.segments.append(Segment(m.index, cursor, lo, "closed"))
            cursor = max(cursor, hi)
        if cursor < plan.steps:
            plan.segments.append(Segment(m.index, cursor, plan.steps, "closed"))


def _incident_events(plan: _Plan, m: ModelParams, opened_step: int, closed_step: int) -> None:
    """The incident as the incident pane records one (shapes in `reports/incident.py`)."""
    # Opened from the page itself, so the breaker opening and the alert are on its timeline.
    opened = plan.ts(opened_step)
    closed = plan.ts(closed_step) + 600.0
    incident = datetime.fromtimestamp(opened, tz=timezone.utc).strftime("INC-%Y%m%d-%H%M")
    plan.incident_id, plan.incident_span, plan.incident_upstream = incident, (opened, closed), m.upstream
    detail = {"title": f"{m.upstream} circuit breaker open", "severity": "critical"}
    plan.events.append(Event(opened, "incident", incident, None, "open", detail))
    plan.events.append(Event(opened + 30.0, "note", incident, None, None,
                             {"incident": incident, "text": f"Paged by LLMCircuitBreakerOpen for {m.upstream}"}))
    for n, step_text in enumerate(INCIDENT_STEPS):
        plan.events.append(Event(opened + 90.0 + 120.0 * n, "runbook_step", f"{INCIDENT_RUNBOOK}#{n}", None, "done",
                                 {"incident": incident, "runbook": INCIDENT_RUNBOOK, "step": n, "text": step_text}))
    plan.events.append(Event(closed - 60.0, "note", incident, None, None,
                             {"incident": incident, "text": "Provider recovered; breaker closed, fallback traffic back to normal"}))
    plan.events.append(Event(closed, "incident", incident, "open", "closed", {"title": detail["title"]}))


# -- the SQL that expands the plan -----------------------------------------------------------------

def _noise(k: int) -> str:
    """A uniform number in [0, 1) per (seed, step, model, k): deterministic, no Python per sample."""
    return f"((hash($seed, h.s, m.model_idx, {k}) % 1000003) / 1000003.0)"


_TRUTH_SQL = f"""
CREATE OR REPLACE TEMP TABLE gen_truth AS
WITH steps AS (
    SELECT s, $t0_us + s * $step_us AS ts_us, CASE WHEN s >= $gap_hi THEN 1 ELSE 0 END AS epoch
    FROM range($steps) AS r(s)
    WHERE s < $gap_lo OR s >= $gap_hi
),
shaped AS (
    -- peak at 14:00 UTC, trough at 02:00; weekends quieter; slow growth over the period
    SELECT s, ts_us, epoch,
           $base_rate * (1 + 0.5 * sin(2 * pi() * ((ts_us / 3600000000.0) % 24 - 8) / 24))
             * CASE WHEN (ts_us // 86400000000 + 3) % 7 >= 5 THEN $weekend ELSE 1 END
             * (1 + $growth * s / $steps) AS base_rate
    FROM steps
),
per_model AS (
    SELECT h.s, h.ts_us, h.epoch, m.*,
           h.base_rate * m.share * (0.92 + 0.16 * {_noise(1)}) AS requested,
           g.state_idx, g.served_ratio, g.error_ratio AS forced_error, g.since_us,
           coalesce(p.cost_factor, 1.0) AS cost_factor, coalesce(p.latency_factor, 1.0) AS latency_factor,
           {_noise(2)} AS u_err, {_noise(3)} AS u_lat, {_noise(4)} AS u_hit, {_noise(5)} AS u_tail
    FROM shaped AS h CROSS JOIN gen_models AS m
    JOIN gen_segments AS g ON g.model_idx = m.model_idx AND h.s >= g.lo AND h.s < g.hi
    LEFT JOIN gen_spikes AS p ON p.model_idx = m.model_idx AND h.s >= p.lo AND h.s < p.hi
),
routed AS (
    SELECT *,
           requested * served_ratio
             + CASE WHEN is_fallback THEN sum(requested * (1 - served_ratio)) OVER (PARTITION BY s) ELSE 0 END AS served,
           CASE WHEN is_fallback THEN sum(requested * (1 - served_ratio)) OVER (PARTITION BY s) ELSE 0 END AS fallback_in
    FROM per_model
),
rated AS (
    SELECT *,
           CASE WHEN served > 0 THEN coalesce(forced_error, base_error * (0.5 + u_err)) END AS error_ratio,
           CASE WHEN served > 0 THEN least(0.95, cache_hit * (0.93 + 0.14 * u_hit)) END AS cache_hit_ratio,
           CASE WHEN served > 0 THEN p50_s * latency_factor * (0.9 + 0.2 * u_lat) * (1 + fallback_in / $local_capacity) END
             AS latency_p50_s
    FROM routed
),
model_rows AS (
    SELECT s, ts_us, epoch, model_idx,
           served AS requests_per_s,
           error_ratio, cache_hit_ratio, latency_p50_s,
           latency_p50_s * 2.1 * (0.95 + 0.1 * u_tail) AS latency_p95_s,
           latency_p50_s * 2.1 * (0.95 + 0.1 * u_tail) * 1.4 AS latency_p99_s,
           served * (1 - coalesce(cache_hit_ratio, 0)) * tokens_per_request AS tokens_per_s,
           served * (1 - coalesce(cache_hit_ratio, 0)) * usd_per_request * cost_factor * 3600 AS spend_usd_per_h,
           served * coalesce(cache_hit_ratio, 0) * usd_per_request * 3600 AS saved_usd_per_h,
           CASE WHEN requested > 0 THEN 1 - served_ratio END AS fallback_ratio,
           requested * (1 - served_ratio) AS refused_per_s,
           requested,
           state_idx AS breaker_state,
           CASE WHEN state_idx = 2 THEN 1.0 WHEN served > 0 THEN error_ratio ELSE -1.0 END AS breaker_failure_rate,
           since_us / 1e6 AS breaker_since_ts
    FROM rated
),
totals AS (
    SELECT s, any_value(ts_us) AS ts_us, any_value(epoch) AS epoch, -1 AS model_idx,
           sum(requests_per_s) AS requests_per_s,
           sum(requests_per_s * error_ratio) / nullif(sum(requests_per_s) FILTER (WHERE error_ratio IS NOT NULL), 0) AS error_ratio,
           sum(requests_per_s * cache_hit_ratio) / nullif(sum(requests_per_s) FILTER (WHERE cache_hit_ratio IS NOT NULL), 0)
             AS cache_hit_ratio,
           -- traffic-weighted: close to the quantile of the merged traffic at these spreads
           sum(requests_per_s * latency_p50_s) / nullif(sum(requests_per_s) FILTER (WHERE latency_p50_s IS NOT NULL), 0)
             AS latency_p50_s,
           sum(requests_per_s * latency_p95_s) / nullif(sum(requests_per_s) FILTER (WHERE latency_p95_s IS NOT NULL), 0)
             AS latency_p95_s,
           sum(requests_per_s * latency_p99_s) / nullif(sum(requests_per_s) FILTER (WHERE latency_p99_s IS NOT NULL), 0)
             AS latency_p99_s,
           sum(tokens_per_s) AS tokens_per_s,
           sum(spend_usd_per_h) AS spend_usd_per_h,
           sum(saved_usd_per_h) AS saved_usd_per_h,
           sum(refused_per_s) / nullif(sum(requested), 0) AS fallback_ratio,
           sum(requests_per_s * coalesce(latency_p50_s, 0)) AS in_flight,
           CASE WHEN max(breaker_state) > 0 THEN 1.0 ELSE 0.0 END AS health_status
    FROM model_rows GROUP BY s
),
windowed AS (
    SELECT *,
           sum(spend_usd_per_h * $step_s / 3600) OVER w AS cum_spend_usd,
           sum(saved_usd_per_h * $step_s / 3600) OVER w AS cum_saved_usd,
           round(sum(requests_per_s * $step_s) OVER w) AS cum_requests,
           round(sum(requests_per_s * coalesce(error_ratio, 0) * $step_s) OVER w) AS cum_errors,
           round(sum(tokens_per_s * $step_s) OVER w) AS cum_tokens,
           round(sum(refused_per_s * $step_s) OVER w) AS cum_not_permitted
    FROM model_rows
    -- a restarted gateway counts from zero again
    WINDOW w AS (PARTITION BY model_idx, epoch ORDER BY s ROWS UNBOUNDED PRECEDING)
)
SELECT s, ts_us, model_idx, requests_per_s, error_ratio, cache_hit_ratio, latency_p50_s, latency_p95_s,
       latency_p99_s, tokens_per_s, spend_usd_per_h, saved_usd_per_h, fallback_ratio,
       NULL::DOUBLE AS in_flight, NULL::DOUBLE AS queue_depth, NULL::DOUBLE AS budget_monthly_usd,
       NULL::DOUBLE AS health_status, breaker_state::DOUBLE AS breaker_state, breaker_failure_rate, breaker_since_ts,
       cum_spend_usd, cum_saved_usd, cum_requests, cum_errors, cum_tokens, cum_not_permitted
FROM windowed
UNION ALL
SELECT s, ts_us, model_idx, requests_per_s, error_ratio, cache_hit_ratio, latency_p50_s, latency_p95_s,
       latency_p99_s, tokens_per_s, spend_usd_per_h, saved_usd_per_h, fallback_ratio,
       in_flight, floor((hash($seed, s, 99) % 1000003) / 1000003.0 * 4), $budget, health_status,
       NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
FROM totals
"""

_TRUTH_COLUMNS = (
    "requests_per_s", "error_ratio", "cache_hit_ratio", "latency_p50_s", "latency_p95_s", "latency_p99_s",
    "tokens_per_s", "spend_usd_per_h", "saved_usd_per_h", "fallback_ratio", "in_flight", "queue_depth",
    "budget_monthly_usd", "health_status", "breaker_state", "breaker_failure_rate", "breaker_since_ts",
    "cum_spend_usd", "cum_saved_usd", "cum_requests", "cum_errors", "cum_tokens", "cum_not_permitted",
)


def _expand_sql() -> str:
    pick = " ".join(f"WHEN {i} THEN t.{c}" for i, c in enumerate(_TRUTH_COLUMNS))
    # An undefined signal (a quantile with no traffic) is stored as NaN, as the live poller stores it.
    return f"""
    INSERT INTO samples
    SELECT make_timestamptz(t.ts_us), g.series_id,
           coalesce(round((CASE g.column_idx {pick} END) * g.share, 6), 'NaN'::DOUBLE)
    FROM gen_truth AS t JOIN gen_series AS g USING (model_idx)
    WHERE t.s >= $lo AND t.s < $hi
    ORDER BY t.ts_us, g.series_id
    """


# -- writing ---------------------------------------------------------------------------------------

def generate(
    history_path: str | Path,
    *,
    days: float = 90,
    models: Sequence[str] = DEFAULT_MODELS,
    step_s: float = 60.0,
    seed: int = DEFAULT_SEED,
    end_ts: float | None = None,
    series_per_model: int = 2,
    budget_monthly_usd: float = DEFAULT_BUDGET_USD,
) -> Generated:
    """Write `days` of demo-gateway history ending at `end_ts` (default: this hour) into a new file.

    `series_per_model` is how many client teams split each raw LiteLLM counter of a model (the
    label fan-out that scales the sample count). Rollups are complete up to `end_ts`.
    """
    from aiops_tui.store.history import History
    from aiops_tui.store.opening import set_memory_limit

    if days <= 0 or step_s <= 0 or series_per_model < 1:
        raise UserError("days, step and series per model must be above zero")
    if end_ts is None:
        end_ts = math.floor(time.time() / 3600) * 3600
    step_us = round(step_s * 1e6)
    steps = int(days * 86400 // step_s)
    start_ts = end_ts - steps * step_s
    params = model_params(list(models))
    plan = _plan(params, start_ts, step_s, steps, seed)
    series = _series(params, series_per_model)

    started = time.perf_counter()
    history = History.open(history_path)
    try:
        # The cockpit's limit is sized for a poll cycle and the panes' reads, not for writing months at once.
        set_memory_limit(history.con, GENERATE_MEMORY_LIMIT)
        if history.con.execute("SELECT count(*) FROM series").fetchone()[0]:
            raise UserError(f"{history_path}: already holds a history; generate into a new file")
        ids = [history.series_id(key) for key, _, _, _ in series]
        _stage(history.con, plan, series, ids)
        values = {"t0_us": round(start_ts * 1e6), "step_us": step_us, "step_s": step_s, "steps": steps,
                  "gap_lo": plan.gap[0], "gap_hi": plan.gap[1], "seed": seed, "base_rate": BASE_RATE_PER_S,
                  "weekend": WEEKEND_FACTOR, "growth": GROWTH_RATIO, "local_capacity": LOCAL_CAPACITY_PER_S,
                  "budget": budget_monthly_usd}
        history.con.execute(_TRUTH_SQL, values)
        written = 0
        insert = _expand_sql()
        for lo in range(0, steps, CHUNK_STEPS):
            hi = min(steps, lo + CHUNK_STEPS)
            written += _in_transaction(history, lambda: history.con.execute(insert, {"lo": lo, "hi": hi}).fetchone()[0])
            history.rollup(plan.ts(hi))
        history.write_cycle([Batch(SOURCE, end_ts, [], plan.events)])
        history.rollup(end_ts)
        for table in ("gen_truth", "gen_series", "gen_models", "gen_segments", "gen_spikes"):
            history.con.execute(f"DROP TABLE IF EXISTS {table}")
    finally:
        history.close()
    elapsed = time.perf_counter() - started
    spike = plan.spikes[0]
    return Generated(
        path=Path(history_path), start_ts=start_ts, end_ts=end_ts, step_s=step_s, series=len(series),
        samples=written, events=len(plan.events), seconds=elapsed, incident_id=plan.incident_id,
        incident_span=plan.incident_span, incident_upstream=plan.incident_upstream, spike_model=plan.spike_model,
        spike_span=(plan.ts(spike[1]), plan.ts(spike[2])), restart_span=(plan.ts(plan.gap[0]), plan.ts(plan.gap[1])),
    )


def _in_transaction(history: "History", work):
    from aiops_tui.store.opening import ensure_private_wal

    ensure_private_wal(history.path)
    history.con.begin()
    try:
        result = work()
        history.con.commit()
    except BaseException:
        history.con.rollback()
        raise
    return result


def _stage(con, plan: _Plan, series, ids: list[int]) -> None:
    """The plan as small temp tables the expansion joins against."""
    con.execute("""CREATE OR REPLACE TEMP TABLE gen_models (model_idx INTEGER, share DOUBLE, cache_hit DOUBLE,
                   p50_s DOUBLE, tokens_per_request DOUBLE, usd_per_request DOUBLE, base_error DOUBLE, is_fallback BOOLEAN)""")
    con.execute("""CREATE OR REPLACE TEMP TABLE gen_segments (model_idx INTEGER, lo BIGINT, hi BIGINT, state_idx INTEGER,
                   served_ratio DOUBLE, error_ratio DOUBLE, since_us BIGINT)""")
    con.execute("CREATE OR REPLACE TEMP TABLE gen_spikes (model_idx INTEGER, lo BIGINT, hi BIGINT, cost_factor DOUBLE, latency_factor DOUBLE)")
    con.execute("CREATE OR REPLACE TEMP TABLE gen_series (series_id INTEGER, model_idx INTEGER, column_idx INTEGER, share DOUBLE)")
    with con.appender("gen_models") as app:
        app.append_rows([(m.index, m.share, m.cache_hit_ratio, m.latency_median_s, m.tokens_per_request,
                          m.usd_per_request, m.base_error_ratio, m.is_fallback) for m in plan.models])
    rows = []
    state_of: dict[int, str] = {}
    since_ts: dict[int, float] = {}
    for seg in sorted(plan.segments, key=lambda g: (g.model, g.lo)):
        # A breaker's "since" is when it entered its state; the first closed one counts from the start.
        if state_of.get(seg.model) != seg.state:
            state_of[seg.model], since_ts[seg.model] = seg.state, plan.ts(seg.lo)
        rows.append((seg.model, seg.lo, seg.hi, BREAKER_STATES.index(seg.state), seg.served_ratio, seg.error_ratio,
                     round(since_ts[seg.model] * 1e6)))
    with con.appender("gen_segments") as app:
        app.append_rows(rows)
    with con.appender("gen_spikes") as app:
        app.append_rows(plan.spikes)
    with con.appender("gen_series") as app:
        app.append_rows([(sid, model, _TRUTH_COLUMNS.index(column), share)
                         for sid, (_, model, column, share) in zip(ids, series)])


# -- command line ----------------------------------------------------------------------------------

def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m aiops_tui.sim.history_gen",
                                     description="Generate a long demo-gateway history file.")
    parser.add_argument("out", help="new history file to write")
    parser.add_argument("--days", type=float, default=90.0)
    parser.add_argument("--step", type=float, default=60.0, help="seconds between samples (default 60)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--end", type=float, help="end as Unix seconds (default: the start of this hour)")
    parser.add_argument("--models", help="comma-separated model names (default: the demo's four)")
    parser.add_argument("--series-per-model", type=int, default=2, help="client teams per raw counter (default 2)")
    args = parser.parse_args(argv)
    try:
        models = tuple(m.strip() for m in args.models.split(",") if m.strip()) if args.models else DEFAULT_MODELS
        result = generate(args.out, days=args.days, models=models, step_s=args.step, seed=args.seed, end_ts=args.end,
                          series_per_model=args.series_per_model)
    except UserError as exc:
        print(f"history_gen: {exc}", file=sys.stderr)
        return exc.exit_code
    print(f"{result.samples} samples, {result.series} series, {result.events} events in {result.seconds:.2f} s "
          f"({result.samples_per_s:,.0f} samples/s, rollups included) -> {result.path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

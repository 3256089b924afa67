"""The demo LLM gateway as a deterministic model that time moves only through `advance()`.

Each 1 s tick draws the second's requests from a diurnal rate; a response cache answers part of
them, the router sends the rest by complexity to three tiers through a batcher, a breaker per
upstream sends refused calls to the local tier, and tokens are priced from pricing.yaml. Each
generated response then passes the quality stage (validation, human review, audit log). The
same seed and the same clock give the same numbers; the model never reads the wall clock.
"""

from __future__ import annotations

import calendar
import math
import random
from bisect import bisect_left, bisect_right
from collections import defaultdict, deque
from dataclasses import dataclass
from datetime import datetime, timezone
from itertools import accumulate
from statistics import NormalDist
from typing import Any, Iterator, Mapping, Sequence

from aiops_tui.sim import families as families_module
from aiops_tui.sim import status as status_module
from aiops_tui.sim.breaker import BreakerConfig, CircuitBreaker
from aiops_tui.sim.exposition import Family
from aiops_tui.sim.pricing import ModelPrice, load_pricing
from aiops_tui.sim.quality import (
    DEFAULT_VALIDATION_DROP_FACTOR, REVIEW_CAPACITY_PER_H, QualityStage, factor_for_pass_ratio,
)
from aiops_tui.sim.spec import (
    BATCH_SIZE_BUCKETS, DEFAULT_UPSTREAMS, FALLBACK_TIER, HEALTH_CHECK_TEAM_INDEX,
    LITELLM_LATENCY_BUCKETS_S, OTEL_COST_BUCKETS_USD, OTEL_DURATION_BUCKETS_S, OTEL_TOKEN_BUCKETS,
    OTEL_TTFT_BUCKETS_S, TEAMS, Upstream,
)

CONVENTIONS = ("litellm", "otel")
FAULT_KINDS = ("upstream_outage", "latency_spike", "cost_spike", "cache_flush", "validation_drop")
# A x25 cost spike at average traffic burns the budget at ~15x: past the 14.4x paging line.
DEFAULT_FAULT_FACTOR = {"latency_spike": 5.0, "cost_spike": 25.0,
                        "validation_drop": DEFAULT_VALIDATION_DROP_FACTOR}

TICK_S = 1.0
TRUTH_WINDOW_S = 60
SPEND_WINDOW_MINUTES = 24 * 60
MAX_BATCH = 10
MAX_BATCH_WAIT_S = 0.5
GATEWAY_OVERHEAD_S = 0.004
CACHE_LATENCY_MIN_S, CACHE_LATENCY_SPAN_S = 0.003, 0.012
FAIL_FAST_MIN_S, FAIL_FAST_SPAN_S = 0.05, 0.10
LATENCY_SIGMA = 0.45  # lognormal spread: p95 is about 2.1x the median
# exp(sigma * z) at 1,024 evenly spaced normal quantiles: one uniform draw per latency.
_LOGNORMAL_FACTORS = [math.exp(LATENCY_SIGMA * NormalDist().inv_cdf((i + 0.5) / 1024))
                      for i in range(1024)]
LOCAL_CAPACITY_PER_S = 2.0  # the local model slows down as fallback traffic lands on it
HEALTH_CHECK_INTERVAL_S = 300
HEALTH_CHECK_TOKENS = (12, 6)


class Histogram:
    """Per-bucket (not cumulative) counts for the given upper bounds, plus one for +Inf."""

    __slots__ = ("bounds", "counts", "sum")

    def __init__(self, bounds: Sequence[float]) -> None:
        self.bounds = bounds
        self.counts = [0] * (len(bounds) + 1)
        self.sum = 0.0

    def observe(self, value: float, times: int = 1) -> None:
        self.counts[bisect_left(self.bounds, value)] += times
        self.sum += value * times


@dataclass(frozen=True, slots=True)
class Fault:
    kind: str
    target: str | None  # upstream name; None means every upstream
    factor: float | None
    start_ts: float
    end_ts: float | None  # None: until cleared
    pass_ratio: float | None = None  # validation_drop asked as a pass ratio (factor derived)

    def active(self, ts: float) -> bool:
        return self.start_ts <= ts and (self.end_ts is None or ts < self.end_ts)

    def to_dict(self) -> dict[str, Any]:
        return {"fault": self.kind, "target": self.target, "factor": self.factor,
                "pass_ratio": self.pass_ratio, "start_ts": self.start_ts, "end_ts": self.end_ts}


class _TickStats:
    """What one second of traffic did, kept for the last minute to answer `truth()`."""

    __slots__ = ("requests", "errors", "hits", "fallbacks", "spend_usd", "latency_sum_s",
                 "latencies_s", "calls", "failures", "validated", "validation_failed")

    def __init__(self, upstream_count: int) -> None:
        self.requests = self.errors = self.hits = self.fallbacks = 0
        self.validated = self.validation_failed = 0
        self.spend_usd = self.latency_sum_s = 0.0
        self.latencies_s: list[float] = []  # end-to-end latency of successful requests
        self.calls = [0] * upstream_count
        self.failures = [0] * upstream_count


def _hist(table: dict, key: tuple, bounds: Sequence[float]) -> Histogram:
    hist = table.get(key)
    if hist is None:
        hist = table[key] = Histogram(bounds)
    return hist


class GatewayModel:
    """The gateway's state; counters only grow. Read-only attributes feed `families.py`."""

    def __init__(
        self,
        seed: int = 42,
        start_ts: float = 0.0,
        *,
        convention: str = "litellm",
        upstreams: Sequence[Upstream] = DEFAULT_UPSTREAMS,
        pricing: Mapping[str, ModelPrice] | None = None,
        budget_monthly_usd: float = 20_000.0,
        breaker_config: BreakerConfig | None = None,
        cache_ttl_s: float = 300.0,
        cache_hit_target_ratio: float = 0.60,
        rate_mean_per_s: float = 8.0,
        rate_amplitude_per_s: float = 4.0,
        review_capacity_per_h: float = REVIEW_CAPACITY_PER_H,
        calendar_offset_s: float = 0.0,
    ) -> None:
        if convention not in CONVENTIONS:
            raise ValueError(f"unknown convention {convention!r}; expected one of {CONVENTIONS}")
        self.seed = seed
        self.start_ts = float(start_ts)
        self.now_ts = float(start_ts)
        self.convention = convention
        self.upstreams = tuple(upstreams)
        prices = pricing if pricing is not None else load_pricing()
        missing = [u.model for u in self.upstreams if u.model not in prices]
        if missing:
            raise ValueError(f"no price for model(s) {', '.join(missing)}")
        self.prices = [prices[u.model] for u in self.upstreams]
        self.budget_monthly_usd = budget_monthly_usd
        self.cache_ttl_s = cache_ttl_s
        self.cache_hit_target_ratio = cache_hit_target_ratio
        self.rate_mean_per_s = rate_mean_per_s
        self.rate_amplitude_per_s = rate_amplitude_per_s
        self.calendar_offset_s = float(calendar_offset_s)
        """How far the model's calendar (time of day for the traffic wave, the month for the run rate)
        runs from its clock: the demo replays its recorded hour at any time of day with the wave it
        was recorded with. Whole seconds keep every tick's arithmetic exact."""
        self.fallback_index = next(i for i, u in enumerate(self.upstreams) if u.tier == FALLBACK_TIER)
        self.breakers = [CircuitBreaker(u.name, self.now_ts, breaker_config) for u in self.upstreams]
        self.quality = QualityStage(len(self.upstreams), seed,
                                    review_capacity_per_h=review_capacity_per_h)
        self._index_by_name = {u.name: i for i, u in enumerate(self.upstreams)}
        self._rng = random.Random(seed)
        self._ticks = 0
        self._faults: list[Fault] = []
        self._cache_flushed_ts: float | None = None
        self._local_calls_last_tick = 0
        self._mean_call_cost_usd = [
            price.cost_usd(u.input_tokens_mean, u.output_tokens_mean)
            for u, price in zip(self.upstreams, self.prices)
        ]
        self._full_cache_cells: list[float] = []
        # What each cell of `_cells_cumulative` stands for, in its order: (routed, team, is a miss).
        self._cell_routes = [(routed, team, is_miss) for routed in range(len(self.upstreams))
                             for team in range(len(TEAMS)) for is_miss in (False, True)]
        otel = convention == "otel"
        self._track_otel = otel
        self.latency_bounds = OTEL_DURATION_BUCKETS_S if otel else LITELLM_LATENCY_BUCKETS_S
        self.ttft_bounds = OTEL_TTFT_BUCKETS_S if otel else LITELLM_LATENCY_BUCKETS_S

        # Counters, keyed by (served upstream, requested upstream, team[, status]) indexes.
        # Successful requests (status 200) include cache hits; upstream calls = successes - hits.
        self.successes: defaultdict[tuple, int] = defaultdict(int)
        self.proxy_failures: defaultdict[tuple, int] = defaultdict(int)  # + status code
        self.cache_hits: defaultdict[tuple, int] = defaultdict(int)
        self.cache_misses: defaultdict[tuple, int] = defaultdict(int)
        self.input_tokens: defaultdict[tuple, int] = defaultdict(int)
        self.output_tokens: defaultdict[tuple, int] = defaultdict(int)
        self.spend_usd: defaultdict[tuple, float] = defaultdict(float)
        self.deploy_failures: defaultdict[tuple, int] = defaultdict(int)  # + status code
        self.fallbacks_ok: defaultdict[tuple, int] = defaultdict(int)  # (requested, team)
        self.fallbacks_failed: defaultdict[tuple, int] = defaultdict(int)  # (requested, team)
        self.cooled_down: defaultdict[tuple, int] = defaultdict(int)  # (upstream, status)
        self.cost_saved_usd: defaultdict[int, float] = defaultdict(float)  # by routed upstream
        # Histograms: latency keyed (served, requested, team, error status or "").
        self.total_latency: dict[tuple, Histogram] = {}
        self.api_latency: dict[tuple, Histogram] = {}
        self.ttft: dict[tuple, Histogram] = {}
        self._success_hists: dict[tuple, tuple[Histogram, Histogram, Histogram]] = {}
        self.token_usage: dict[tuple, Histogram] = {}  # (served, requested, "input"|"output")
        self.call_cost: dict[tuple, Histogram] = {}  # (served, requested)
        self.batch_size = Histogram(BATCH_SIZE_BUCKETS)
        # Gauges.
        self.queue_depth = 0
        self.in_flight = 0
        self.last_call_failed = [False] * len(self.upstreams)
        self._last_failure_status = ["503"] * len(self.upstreams)
        self._recent: deque[_TickStats] = deque(maxlen=TRUTH_WINDOW_S)
        self._spend_by_minute: deque[float] = deque(maxlen=SPEND_WINDOW_MINUTES)
        self._initialize_series()

    # -- public API -------------------------------------------------------------------------

    def advance(self, to_ts: float) -> None:
        """Simulate whole 1 s ticks up to `to_ts`; a remainder waits for the next call."""
        while self.now_ts + TICK_S <= to_ts:
            self._ticks += 1
            tick_ts = self.start_ts + self._ticks * TICK_S
            self._tick(tick_ts)
            self.now_ts = tick_ts

    def scrapes(self, end: float, every_s: float) -> Iterator[tuple[float, list[Family]]]:
        """(ts, families) as scraped every `every_s` from the model's clock to `end`, the model moving on as
        they are read: a Prometheus's past, for `exposition.write_openmetrics`."""
        ts = self.now_ts
        while ts <= end:
            self.advance(ts)
            yield ts, self.families()
            ts += every_s

    def requests_by_status(self) -> dict[tuple, int]:
        """Client requests keyed (served, requested, team, status code)."""
        counts = {key + ("200",): value for key, value in self.successes.items()}
        counts.update(self.proxy_failures)
        return counts

    def upstream_successes(self) -> dict[tuple, int]:
        """Successful upstream calls keyed (served, requested, team): successes less cache hits."""
        return {key: value - self.cache_hits.get(key, 0) for key, value in self.successes.items()}

    def families(self) -> list[Family]:
        return families_module.build_families(self)

    def status(self) -> dict[str, Any]:
        """The `application/health+json` document served at /status."""
        return status_module.build_status(self)

    def upstream_index(self, name: str) -> int:
        try:
            return self._index_by_name[name]
        except KeyError:
            known = ", ".join(self._index_by_name)
            raise ValueError(f"unknown upstream {name!r}; known: {known}") from None

    def traffic_rate_per_s(self, ts: float) -> float:
        """Client requests per second: a daily wave peaking at 15:00 UTC (on the model's calendar) plus a 20-minute ripple."""
        ts += self.calendar_offset_s
        day_fraction = (ts % 86400.0) / 86400.0
        rate = self.rate_mean_per_s + self.rate_amplitude_per_s * math.sin(
            2 * math.pi * (day_fraction - 0.375))
        rate += 0.05 * self.rate_mean_per_s * math.sin(2 * math.pi * ts / 1200.0)
        return max(0.5, rate)

    def inject(self, fault: str, target: str | None = None, duration_s: float | None = None,
               factor: float | None = None, pass_ratio: float | None = None) -> Fault | None:
        """Start a fault now (sim time), or `clear` faults (all, or those on `target`).

        `validation_drop` takes either `factor` (each rule fails that many times as often) or
        `pass_ratio` (the share of items that should pass every rule, 0..1)."""
        if fault == "clear":
            self._faults = [f for f in self._faults if target is not None and f.target != target]
            return None
        if fault not in FAULT_KINDS:
            raise ValueError(f"unknown fault {fault!r}; expected one of "
                             f"{', '.join(FAULT_KINDS + ('clear',))}")
        if duration_s is not None and not (math.isfinite(duration_s) and duration_s > 0):
            raise ValueError("duration_s must be a positive number of seconds")
        if pass_ratio is not None:
            if fault != "validation_drop":
                raise ValueError("pass_ratio applies to validation_drop only")
            if factor is not None:
                raise ValueError("give validation_drop a factor or a pass_ratio, not both")
            factor = factor_for_pass_ratio(pass_ratio)
        if fault == "cache_flush":
            target, factor = None, None
            self._cache_flushed_ts = self.now_ts
            duration_s = self.cache_ttl_s  # listed as active while the cache refills
        elif target is not None:
            self.upstream_index(target)
        elif fault == "upstream_outage":
            target = self.upstreams[0].name
        if fault not in DEFAULT_FAULT_FACTOR:
            factor = None
        elif pass_ratio is None:  # a factor derived from a pass ratio may be 0: all items pass
            factor = DEFAULT_FAULT_FACTOR[fault] if factor is None else float(factor)
            if not (math.isfinite(factor) and factor > 0):
                raise ValueError("factor must be a positive number")
        end_ts = None if duration_s is None else self.now_ts + duration_s
        record = Fault(fault, target, factor, self.now_ts, end_ts, pass_ratio)
        self._faults.append(record)
        return record

    def active_faults(self) -> list[Fault]:
        return [f for f in self._faults if f.active(self.now_ts)]

    def breaker_transitions(self) -> list[tuple[float, str, str, str]]:
        """(ts, upstream, from_state, to_state), oldest first."""
        rows = [(ts, b.name, old, new) for b in self.breakers for ts, old, new in b.transitions]
        return sorted(rows, key=lambda row: row[0])

    def window_totals(self) -> dict[str, Any]:
        """Sums over the last minute of ticks (at most 60): the basis of truth() and /status."""
        ticks = list(self._recent)
        n = len(self.upstreams)
        return {
            "window_s": len(ticks) * TICK_S,
            "requests": sum(s.requests for s in ticks),
            "errors": sum(s.errors for s in ticks),
            "hits": sum(s.hits for s in ticks),
            "fallbacks": sum(s.fallbacks for s in ticks),
            "spend_usd": sum(s.spend_usd for s in ticks),
            "calls": [sum(s.calls[i] for s in ticks) for i in range(n)],
            "failures": [sum(s.failures[i] for s in ticks) for i in range(n)],
            "validated": sum(s.validated for s in ticks),
            "validation_failed": sum(s.validation_failed for s in ticks),
        }

    def spend_rate_usd_per_hour(self) -> float:
        """Spend per hour over the last 24 h (or since start): the rate a month projects from."""
        if not self._ticks:
            return 0.0
        window_s = min(self._ticks * TICK_S, SPEND_WINDOW_MINUTES * 60.0)
        return sum(self._spend_by_minute) / window_s * 3600.0

    def hours_in_month(self) -> float:
        now = datetime.fromtimestamp(self.now_ts + self.calendar_offset_s, tz=timezone.utc)
        return calendar.monthrange(now.year, now.month)[1] * 24.0

    def truth(self) -> dict[str, Any]:
        """The true current values, for tests to compare what the cockpit derives."""
        w = self.window_totals()
        requests, window_s = w["requests"], w["window_s"]
        latencies = sorted(v for s in self._recent for v in s.latencies_s)

        def ratio(part: float) -> float | None:
            return part / requests if requests else None

        p95 = latencies[math.ceil(0.95 * len(latencies)) - 1] if latencies else None
        validated = w["validated"]
        quality = self.quality
        return {
            "ts": self.now_ts,
            "window_s": window_s,
            "requests_per_s": requests / window_s if window_s else 0.0,
            "error_ratio": ratio(w["errors"]),
            "p95_latency_s": p95,
            "spend_usd_per_hour": w["spend_usd"] / window_s * 3600.0 if window_s else 0.0,
            "cache_hit_ratio": ratio(w["hits"]),
            "fallback_ratio": ratio(w["fallbacks"]),
            "breakers": {b.name: b.state for b in self.breakers},
            "validation_pass_ratio": (validated - w["validation_failed"]) / validated
                                     if validated else None,
            "review_queue_depth": quality.queue_depth,
            "review_oldest_age_s": quality.oldest_age_s(self.now_ts),
            "totals": {
                "requests": sum(self.successes.values()) + sum(self.proxy_failures.values()),
                "errors": sum(self.proxy_failures.values()),
                "spend_usd": sum(v for k, v in self.spend_usd.items()
                                 if k[2] != HEALTH_CHECK_TEAM_INDEX),
                "cache_hits": sum(self.cache_hits.values()),
                "fallbacks": sum(self.fallbacks_ok.values()),
                "processed": sum(quality.processed),
                "audited": sum(quality.audited),
                "validation_failed": sum(v for (_, result), v in quality.items.items()
                                         if result == "fail"),
                "reviewed": sum(quality.reviewed),
            },
        }

    def _initialize_series(self) -> None:
        """Create at zero every series normal and fallback traffic will use, as Prometheus'
        instrumentation guide advises: rates are right from the first scrape. Error series
        (per status code) appear on first use, as LiteLLM's do."""
        fallback = self.fallback_index
        for requested in range(len(self.upstreams)):
            routes = [requested] if requested == fallback else [requested, fallback]
            for team in range(len(TEAMS)):
                for served in routes:
                    key = (served, requested, team)
                    for table in (self.successes, self.input_tokens, self.output_tokens,
                                  self.spend_usd):
                        table[key] += 0
                    self._new_success_hists(key)
                self.cache_hits[(requested, requested, team)] += 0
                self.cache_misses[(requested, requested, team)] += 0
                if requested != fallback:
                    self.fallbacks_ok[(requested, team)] += 0
            if self._track_otel:
                for served in routes:
                    for token_type in ("input", "output"):
                        _hist(self.token_usage, (served, requested, token_type), OTEL_TOKEN_BUCKETS)
                    _hist(self.call_cost, (served, requested), OTEL_COST_BUCKETS_USD)
            self.cost_saved_usd[requested] += 0.0
            if self.prices[requested].cost_usd(*HEALTH_CHECK_TOKENS) > 0:
                key = (requested, requested, HEALTH_CHECK_TEAM_INDEX)
                for table in (self.input_tokens, self.output_tokens, self.spend_usd):
                    table[key] += 0

    # -- one tick ---------------------------------------------------------------------------

    def _tick(self, t: float) -> None:
        rng = self._rng
        n_up = len(self.upstreams)
        outage, latency_factor, cost_factor, validation_factor = self._fault_effects(t)
        for breaker in self.breakers:
            if breaker.state == "open":
                breaker.tick(t)
        local_ratio = self._local_calls_last_tick / LOCAL_CAPACITY_PER_S
        latency_factor[self.fallback_index] *= 1.0 + local_ratio * local_ratio
        effects = (outage, latency_factor, cost_factor)

        # One uniform draw per request picks its (routed upstream, team, cache hit or miss) cell.
        stats = _TickStats(n_up)
        cum = self._cells_cumulative(self._cache_fill_ratio(t))
        cell_counts = [0] * len(cum)
        draw = rng.random
        for _ in range(self._poisson(self.traffic_rate_per_s(t))):
            cell_counts[bisect_right(cum, draw())] += 1

        misses_by_cell: list[tuple[int, int, int]] = []
        misses_per_upstream = [0] * n_up
        for (routed, team, is_miss), count in zip(self._cell_routes, cell_counts):
            if not count:
                continue
            if is_miss:
                misses_by_cell.append((routed, team, count))
                misses_per_upstream[routed] += count
            else:
                self._serve_hits(routed, team, count, cost_factor[routed], stats)

        wait_window_s = self._run_batcher(misses_per_upstream)
        for routed, team, misses in misses_by_cell:
            self.cache_misses[(routed, routed, team)] += misses
            window_s = wait_window_s[routed]
            for _ in range(misses):
                self._handle_miss(t, routed, team, rng.random() * window_s, effects, stats)

        if self._ticks % HEALTH_CHECK_INTERVAL_S == 0:
            self._health_check_calls(outage)
        for served in range(n_up):
            generated = stats.calls[served] - stats.failures[served]
            if generated:
                stats.validated += generated
                stats.validation_failed += self.quality.validate(
                    t, served, generated, validation_factor[served])
        self.quality.review(TICK_S)
        self.in_flight = round(stats.latency_sum_s)  # Little's law over one second
        self._local_calls_last_tick = stats.calls[self.fallback_index]
        self._recent.append(stats)
        if (self._ticks - 1) % 60 == 0:
            self._spend_by_minute.append(0.0)
        self._spend_by_minute[-1] += stats.spend_usd

    def _fault_effects(self, t: float) -> tuple[list[bool], list[float], list[float], list[float]]:
        """Per upstream: in outage?, latency multiplier, token (so cost) multiplier, validation
        failure multiplier (of the responses it generates)."""
        n_up = len(self.upstreams)
        outage, latency_factor, cost_factor = [False] * n_up, [1.0] * n_up, [1.0] * n_up
        validation_factor = [1.0] * n_up
        if not self._faults:
            return outage, latency_factor, cost_factor, validation_factor
        self._faults = [f for f in self._faults if f.end_ts is None or t < f.end_ts]
        for fault in self._faults:
            if not fault.active(t) or fault.kind == "cache_flush":
                continue
            targets = range(n_up) if fault.target is None else [self._index_by_name[fault.target]]
            for i in targets:
                if fault.kind == "upstream_outage":
                    outage[i] = True
                elif fault.kind == "latency_spike":
                    latency_factor[i] *= fault.factor or 1.0
                elif fault.kind == "validation_drop":
                    validation_factor[i] *= fault.factor if fault.factor is not None else 1.0
                else:
                    cost_factor[i] *= fault.factor or 1.0
        return outage, latency_factor, cost_factor, validation_factor

    def _poisson(self, mean: float) -> int:
        rng = self._rng
        if mean > 60:
            return max(0, round(rng.gauss(mean, math.sqrt(mean))))
        limit, count, product = math.exp(-mean), 0, rng.random()
        while product > limit:
            count += 1
            product *= rng.random()
        return count

    def _cells_cumulative(self, fill_ratio: float) -> list[float]:
        if fill_ratio == 1.0 and self._full_cache_cells:
            return self._full_cache_cells
        weights = []
        for upstream in self.upstreams:
            hit = upstream.cache_hit_ratio * fill_ratio
            for team in TEAMS:
                share = upstream.traffic_share * team.traffic_share
                weights += [share * hit, share * (1.0 - hit)]
        total = sum(weights)
        cum = [w / total for w in accumulate(weights)]
        cum[-1] = 1.0
        if fill_ratio == 1.0:
            self._full_cache_cells = cum
        return cum

    def _cache_fill_ratio(self, t: float) -> float:
        # After a flush the cache holds only entries written since; it is full again after a TTL.
        if self._cache_flushed_ts is None:
            return 1.0
        return min(1.0, (t - self._cache_flushed_ts) / self.cache_ttl_s)

    def _run_batcher(self, misses_per_upstream: list[int]) -> list[float]:
        """Group each upstream's calls into batches (max 10, max wait 500 ms); returns the wait
        window per upstream and sets the queue-depth gauge by Little's law."""
        windows: list[float] = []
        queued = 0.0
        for calls in misses_per_upstream:
            if not calls:
                windows.append(0.0)
                continue
            window_s = min(MAX_BATCH_WAIT_S, MAX_BATCH / calls)
            batches = max(math.ceil(calls / MAX_BATCH), min(calls, round(1.0 / MAX_BATCH_WAIT_S)))
            size, larger = divmod(calls, batches)  # `larger` batches get one more call
            self.batch_size.observe(size, batches - larger)
            if larger:
                self.batch_size.observe(size + 1, larger)
            windows.append(window_s)
            queued += calls * window_s / 2
        self.queue_depth = round(queued)
        return windows

    def _serve_hits(self, routed: int, team: int, hits: int, cost_factor: float,
                    stats: _TickStats) -> None:
        rng = self._rng
        key = (routed, routed, team)
        self.successes[key] += hits
        self.cache_hits[key] += hits
        self.cost_saved_usd[routed] += hits * self._mean_call_cost_usd[routed] * cost_factor
        # Hits of one cell in one second share a latency: cheap, and they never set the p95.
        latency_s = CACHE_LATENCY_MIN_S + CACHE_LATENCY_SPAN_S * rng.random()
        _hist(self.total_latency, key + ("",), self.latency_bounds).observe(latency_s, hits)
        stats.latencies_s.extend([latency_s] * hits)
        stats.latency_sum_s += latency_s * hits
        stats.requests += hits
        stats.hits += hits

    def _handle_miss(self, t: float, routed: int, team: int, wait_s: float,
                     effects: tuple[list, list, list], stats: _TickStats) -> None:
        stats.requests += 1
        if self.breakers[routed].try_acquire(t):
            self._call(t, routed, routed, team, wait_s, effects, stats)
            return
        fallback = self.fallback_index
        if routed != fallback and self.breakers[fallback].try_acquire(t):
            if self._call(t, fallback, routed, team, wait_s, effects, stats):
                self.fallbacks_ok[(routed, team)] += 1
                stats.fallbacks += 1
            else:
                self.fallbacks_failed[(routed, team)] += 1
            return
        if routed != fallback:
            self.fallbacks_failed[(routed, team)] += 1
        # Nowhere left to send it: the gateway answers 503 itself.
        self._fail(routed, routed, team, "503", wait_s + GATEWAY_OVERHEAD_S, stats)

    def _call(self, t: float, served: int, requested: int, team: int, wait_s: float,
              effects: tuple[list, list, list], stats: _TickStats) -> bool:
        rng = self._rng
        outage, latency_factor, cost_factor = effects
        upstream = self.upstreams[served]
        stats.calls[served] += 1
        status = None
        if outage[served]:
            status = "503"
        elif rng.random() < upstream.base_error_ratio:
            status = "429" if rng.random() < 0.7 else "500"
        breaker = self.breakers[served]
        times_opened = breaker.times_opened
        breaker.record(t, status is not None)
        if status is not None:
            self._last_failure_status[served] = status
        if breaker.times_opened > times_opened:
            self.cooled_down[(served, self._last_failure_status[served])] += 1
        self.last_call_failed[served] = status is not None
        if status is not None:
            stats.failures[served] += 1
            self.deploy_failures[(served, requested, team, status)] += 1
            api_s = FAIL_FAST_MIN_S + FAIL_FAST_SPAN_S * rng.random()
            self._fail(served, requested, team, status, wait_s + GATEWAY_OVERHEAD_S + api_s, stats)
            return False

        spread = _LOGNORMAL_FACTORS[int(rng.random() * len(_LOGNORMAL_FACTORS))]
        api_s = upstream.latency_median_s * latency_factor[served] * spread
        ttft_s = api_s * (0.15 + 0.2 * rng.random())
        total_s = wait_s + GATEWAY_OVERHEAD_S + api_s
        profile = self.upstreams[requested]  # the prompt is the caller's, whoever serves it
        input_tokens = int(profile.input_tokens_mean * cost_factor[served] * (0.5 + rng.random()))
        output_tokens = int(profile.output_tokens_mean * cost_factor[served] * (0.5 + rng.random()))
        price = self.prices[served]
        cost_usd = (input_tokens * price.input_usd_per_1m
                    + output_tokens * price.output_usd_per_1m) / 1e6

        key = (served, requested, team)
        self.successes[key] += 1
        self.input_tokens[key] += input_tokens
        self.output_tokens[key] += output_tokens
        self.spend_usd[key] += cost_usd
        total_h, api_h, ttft_h = self._success_hists.get(key) or self._new_success_hists(key)
        total_h.counts[bisect_left(total_h.bounds, total_s)] += 1
        total_h.sum += total_s
        api_h.counts[bisect_left(api_h.bounds, api_s)] += 1
        api_h.sum += api_s
        ttft_h.counts[bisect_left(ttft_h.bounds, ttft_s)] += 1
        ttft_h.sum += ttft_s
        if self._track_otel:
            pair = (served, requested)
            _hist(self.token_usage, pair + ("input",), OTEL_TOKEN_BUCKETS).observe(input_tokens)
            _hist(self.token_usage, pair + ("output",), OTEL_TOKEN_BUCKETS).observe(output_tokens)
            _hist(self.call_cost, pair, OTEL_COST_BUCKETS_USD).observe(cost_usd)
        stats.latencies_s.append(total_s)
        stats.latency_sum_s += total_s
        stats.spend_usd += cost_usd
        return True

    def _new_success_hists(self, key: tuple) -> tuple[Histogram, Histogram, Histogram]:
        hist_key = key + ("",)
        hists = (_hist(self.total_latency, hist_key, self.latency_bounds),
                 _hist(self.api_latency, hist_key, self.latency_bounds),
                 _hist(self.ttft, hist_key, self.ttft_bounds))
        self._success_hists[key] = hists
        return hists

    def _fail(self, served: int, requested: int, team: int, status: str, total_s: float,
              stats: _TickStats) -> None:
        key = (served, requested, team, status)
        self.proxy_failures[key] += 1
        _hist(self.total_latency, key, self.latency_bounds).observe(total_s)
        stats.errors += 1
        stats.latency_sum_s += total_s

    def _health_check_calls(self, outage: list[bool]) -> None:
        """LiteLLM-style background health checks: tiny billed calls under their own team."""
        input_tokens, output_tokens = HEALTH_CHECK_TOKENS
        for i, price in enumerate(self.prices):
            if outage[i] or price.cost_usd(input_tokens, output_tokens) == 0:
                continue
            key = (i, i, HEALTH_CHECK_TEAM_INDEX)
            self.input_tokens[key] += input_tokens
            self.output_tokens[key] += output_tokens
            self.spend_usd[key] += price.cost_usd(input_tokens, output_tokens)


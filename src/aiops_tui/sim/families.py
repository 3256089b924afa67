"""Metric families from the gateway model's counters: LiteLLM 1.108.7 or OTel GenAI names, plus
resilience4j-style breaker gauges and the sim's own `aiops_*` series (always present), among
them the quality stage's validation, review-queue and audit-log series."""

from __future__ import annotations

from collections import defaultdict
from functools import cache
from itertools import accumulate, repeat
from typing import TYPE_CHECKING, Iterable, Mapping, Sequence

from aiops_tui.sim.breaker import STATES
from aiops_tui.sim.exposition import Family, SampleTuple, format_value
from aiops_tui.sim.quality import RULES
from aiops_tui.sim.spec import ALL_TEAMS, HEALTH_CHECK_TEAM_INDEX, Upstream

if TYPE_CHECKING:
    from aiops_tui.sim.model import GatewayModel

# Label names per LiteLLM family, as in tests/fixtures/litellm-1.108.7-metrics.txt.
_KEY = ("api_key_alias", "end_user", "hashed_api_key", "org_alias", "org_id", "team",
        "team_alias", "user")
PROXY_LABELS = _KEY + ("api_provider", "client_ip", "model_id", "requested_model", "route",
                       "user_agent", "user_email")
LATENCY_LABELS = _KEY + ("api_provider", "model", "model_group", "model_id", "requested_model",
                         "service_tier")
SPEND_LABELS = _KEY + ("api_provider", "client_ip", "model", "model_id", "requested_model",
                       "service_tier", "user_agent", "user_email")
TOKEN_LABELS = _KEY + ("api_provider", "model", "model_id", "requested_model", "user_email")
REQUESTS_LABELS = _KEY + ("api_provider", "client_ip", "model", "model_id", "requested_model",
                          "user_agent", "user_email")
CACHE_LABELS = ("api_key_alias", "api_provider", "end_user", "hashed_api_key", "model",
                "model_id", "team", "team_alias", "user")
DEPLOYMENT_STATE_LABELS = ("api_base", "api_provider", "litellm_model_name", "model_id")
DEPLOYMENT_CALL_LABELS = ("api_base", "api_key_alias", "api_provider", "client_ip",
                          "hashed_api_key", "litellm_model_name", "model_group", "model_id",
                          "requested_model", "team", "team_alias", "user_agent")
REMAINING_LABELS = ("api_base", "api_key_alias", "api_provider", "hashed_api_key",
                    "litellm_model_name", "model_group")
ERROR_CLASS = {"429": "RateLimitError", "500": "InternalServerError",
               "503": "ServiceUnavailableError"}
BREAKER_OPEN_CLASS = "CircuitBreakerOpenError"


def build_families(model: GatewayModel) -> list[Family]:
    if model.convention == "otel":
        families = _otel_families(model)
    else:
        families = _litellm_families(model, _label_maker(model.upstreams))
    return (families + _resilience4j_families(model) + _aiops_families(model)
            + _quality_families(model))


class _LabelMaker:
    """LiteLLM label sets per (served, requested, team); families pick the names they use.

    Each picked set is built once and the same dict handed out at every scrape after, as
    `SampleTuple` allows: a scrape then costs no label dicts, and a reader may key on identity."""

    def __init__(self, upstreams: Sequence[Upstream]) -> None:
        self._upstreams = upstreams
        self._full: dict[tuple[int, int, int], dict[str, str]] = {}
        self._picked: dict[tuple, dict[str, str]] = {}

    def pick(self, names: Sequence[str], key: tuple, **extra: str) -> dict[str, str]:
        picked_key = (names, key[:3], tuple(extra.items()))
        picked = self._picked.get(picked_key)
        if picked is None:
            full = self._full.get(key[:3])
            if full is None:
                full = self._full[key[:3]] = self._full_labels(*key[:3])
            picked = self._picked[picked_key] = {name: full[name] for name in names}
            picked.update(extra)
        return picked

    def _full_labels(self, served: int, requested: int, team: int) -> dict[str, str]:
        upstream = self._upstreams[served]
        asked = self._upstreams[requested]
        who = ALL_TEAMS[team]
        return {
            "api_base": upstream.api_base, "api_key_alias": who.api_key_alias,
            "api_provider": upstream.provider, "client_ip": "10.20.0.14", "end_user": "None",
            "hashed_api_key": who.hashed_api_key, "litellm_model_name": upstream.model,
            "model": upstream.model, "model_group": asked.model, "model_id": upstream.model_id,
            "org_alias": "None", "org_id": "None", "requested_model": asked.model,
            "route": "/chat/completions", "service_tier": "None", "team": who.team,
            "team_alias": who.team_alias, "user": "default_user_id",
            "user_agent": "OpenAI/Python 1.99.9", "user_email": "None",
        }


@cache
def _label_maker(upstreams: tuple[Upstream, ...]) -> _LabelMaker:
    """One label maker per gateway shape, kept across scrapes (and models of the same shape)."""
    return _LabelMaker(upstreams)


def _exception_class(provider: str, status: str) -> str:
    return f"{provider.capitalize()}.{ERROR_CLASS.get(status, 'APIError')}"


def _counter(name: str, help_text: str, rows: Iterable[tuple[Mapping[str, str], float]]) -> Family:
    return Family(name, "counter", help_text,
                  [(name + "_total", labels, float(value)) for labels, value in rows])


def _gauge(name: str, help_text: str, rows: Iterable[tuple[Mapping[str, str], float]]) -> Family:
    return Family(name, "gauge", help_text, [(name, labels, float(value)) for labels, value in rows])


def _histogram(name: str, help_text: str,
               rows: Iterable[tuple[Mapping[str, str], Sequence[float], Sequence[int], float]]
               ) -> Family:
    samples: list[SampleTuple] = []
    bucket_name = name + "_bucket"
    for labels, bounds, counts, total in rows:
        by_bucket = _bucket_labels(tuple(labels.items()), tuple(bounds))
        cumulative = list(accumulate(counts))
        samples.extend(zip(repeat(bucket_name), by_bucket, map(float, cumulative)))
        samples.append((name + "_count", labels, float(cumulative[-1])))
        samples.append((name + "_sum", labels, float(total)))
    return Family(name, "histogram", help_text, samples)


@cache
def _bucket_labels(label_items: tuple[tuple[str, str], ...], bounds: tuple[float, ...]
                   ) -> tuple[dict[str, str], ...]:
    """A histogram series' labels with each bucket's `le`, +Inf last: built once per series."""
    return tuple({**dict(label_items), "le": le}
                 for le in [*map(format_value, bounds), "+Inf"])


def _sum_by(table: Mapping[tuple, float], key_of) -> dict[tuple, float]:
    totals: defaultdict[tuple, float] = defaultdict(float)
    for key, value in table.items():
        new_key = key_of(key)
        if new_key is not None:
            totals[new_key] += value
    return dict(sorted(totals.items()))


# -- LiteLLM ----------------------------------------------------------------------------------

def _litellm_families(model: GatewayModel, labels: _LabelMaker) -> list[Family]:
    ups = model.upstreams

    def hist_rows(table: Mapping[tuple, object]):
        for key in sorted(k for k in table if k[3] == ""):  # LiteLLM observes successes only
            hist = table[key]
            yield labels.pick(LATENCY_LABELS, key), hist.bounds, hist.counts, hist.sum

    def simple(table: Mapping[tuple, float], names: Sequence[str]):
        return [(labels.pick(names, key), value) for key, value in sorted(table.items())]

    tokens_total = {key: model.input_tokens[key] + model.output_tokens.get(key, 0)
                    for key in model.input_tokens}
    window = model.window_totals()
    states: list[tuple[dict[str, str], float]] = []
    for i, (upstream, breaker) in enumerate(zip(ups, model.breakers)):
        state_labels = labels.pick(DEPLOYMENT_STATE_LABELS, (i, i, 0))
        # Success and failure callbacks write the series with an empty api_base...
        partial = model.last_call_failed[i] or breaker.state == "half_open"
        states.append(({**state_labels, "api_base": ""}, 1.0 if partial else 0.0))
        # ...the cooldown callback writes the real api_base: take `max by (model_id)`.
        if breaker.times_opened:
            level = {"open": 2.0, "half_open": 1.0}.get(breaker.state, 0.0)
            states.append((state_labels, level))
    remaining = [
        (labels.pick(REMAINING_LABELS, (i, i, 0)), float(u.rpm_limit - window["calls"][i]))
        for i, u in enumerate(ups) if u.rpm_limit is not None and window["window_s"]
    ]
    fallback_model = ups[model.fallback_index].model

    def fallback_rows(table: Mapping[tuple, int]):
        for (requested, team), value in sorted(table.items()):
            who = ALL_TEAMS[team]
            yield {"api_key_alias": who.api_key_alias, "exception_class": BREAKER_OPEN_CLASS,
                   "exception_status": "503", "fallback_model": fallback_model,
                   "hashed_api_key": who.hashed_api_key, "requested_model": ups[requested].model,
                   "team": who.team, "team_alias": who.team_alias}, value

    return [
        _counter("litellm_proxy_total_requests_metric",
                 "Total number of requests made to the proxy server - track number of client "
                 "side requests",
                 [(labels.pick(PROXY_LABELS, k, status_code=k[3]), v)
                  for k, v in sorted(model.requests_by_status().items())]),
        _counter("litellm_proxy_failed_requests_metric",
                 "Total number of failed responses from proxy - the client did not get a "
                 "success response from litellm proxy",
                 [(labels.pick(PROXY_LABELS, k, exception_status=k[3],
                               exception_class=_exception_class(ups[k[0]].provider, k[3])), v)
                  for k, v in sorted(model.proxy_failures.items())]),
        _histogram("litellm_request_total_latency_metric",
                   "End-to-end latency (seconds) for a request to LiteLLM Proxy Server",
                   hist_rows(model.total_latency)),
        _histogram("litellm_llm_api_latency_metric",
                   "Total latency (seconds) for a models LLM API call", hist_rows(model.api_latency)),
        _histogram("litellm_llm_api_time_to_first_token_metric",
                   "Time to first token for a models LLM API call", hist_rows(model.ttft)),
        _counter("litellm_spend_metric", "Total spend on LLM requests",
                 simple(model.spend_usd, SPEND_LABELS)),
        _counter("litellm_total_tokens_metric",
                 "Total number of input + output tokens from LLM requests",
                 simple(tokens_total, TOKEN_LABELS)),
        _counter("litellm_input_tokens_metric", "Total number of input tokens from LLM requests",
                 simple(model.input_tokens, TOKEN_LABELS)),
        _counter("litellm_output_tokens_metric",
                 "Total number of output tokens from LLM requests",
                 simple(model.output_tokens, TOKEN_LABELS)),
        _gauge("litellm_remaining_requests_metric",
               "LLM Deployment Analytics - remaining requests for model, returned from LLM API "
               "Provider", remaining),
        _gauge("litellm_deployment_state",
               "LLM Deployment Analytics - The state of the deployment: 0 = healthy, "
               "1 = partial outage, 2 = complete outage", states),
        _counter("litellm_deployment_cooled_down",
                 "LLM Deployment Analytics - Number of times a deployment has been cooled down "
                 "by LiteLLM load balancing logic",
                 [(labels.pick(DEPLOYMENT_STATE_LABELS, (i, i, 0), exception_status=status), v)
                  for (i, status), v in sorted(model.cooled_down.items())]),
        _counter("litellm_deployment_success_responses",
                 "LLM Deployment Analytics - Total number of successful LLM API calls via litellm",
                 simple(model.upstream_successes(), DEPLOYMENT_CALL_LABELS)),
        _counter("litellm_deployment_failure_responses",
                 "LLM Deployment Analytics - Total number of failed LLM API calls for a specific "
                 "LLM deploymeny",
                 [(labels.pick(DEPLOYMENT_CALL_LABELS, k, exception_status=k[3],
                               exception_class=_exception_class(ups[k[0]].provider, k[3])), v)
                  for k, v in sorted(model.deploy_failures.items())]),
        _counter("litellm_deployment_total_requests",
                 "LLM Deployment Analytics - Total number of LLM API calls via litellm - "
                 "success + failure",
                 simple(_deployment_totals(model), DEPLOYMENT_CALL_LABELS)),
        _counter("litellm_deployment_successful_fallbacks",
                 "LLM Deployment Analytics - Number of successful fallback requests from primary "
                 "model -> fallback model", fallback_rows(model.fallbacks_ok)),
        _counter("litellm_deployment_failed_fallbacks",
                 "LLM Deployment Analytics - Number of failed fallback requests from primary "
                 "model -> fallback model", fallback_rows(model.fallbacks_failed)),
        _counter("litellm_requests_metric",
                 "deprecated - use litellm_proxy_total_requests_metric. Total number of LLM calls "
                 "to litellm - track total per API Key, team, user",
                 simple(model.successes, REQUESTS_LABELS)),
        _counter("litellm_cache_hits_metric", "Total number of LiteLLM cache hits",
                 simple(model.cache_hits, CACHE_LABELS)),
        _counter("litellm_cache_misses_metric", "Total number of LiteLLM cache misses",
                 simple(model.cache_misses, CACHE_LABELS)),
        _gauge("litellm_in_flight_requests",
               "Number of HTTP requests currently in-flight on this uvicorn worker",
               [({}, model.in_flight)]),
    ]


def _deployment_totals(model: GatewayModel) -> dict[tuple, float]:
    totals: defaultdict[tuple, float] = defaultdict(float)
    for key, value in model.upstream_successes().items():
        totals[key] += value
    for key, value in model.deploy_failures.items():
        totals[key[:3]] += value
    return dict(sorted(totals.items()))


# -- OTel GenAI -------------------------------------------------------------------------------

def _otel_families(model: GatewayModel) -> list[Family]:
    ups = model.upstreams

    def base(served: int) -> dict[str, str]:
        upstream = ups[served]
        return {"gen_ai_operation_name": "chat", "gen_ai_provider_name": upstream.provider,
                "gen_ai_request_model": upstream.model,
                "gen_ai_response_model": upstream.response_model,
                "otel_scope_name": "aiops_tui.sim", "otel_scope_schema_url": "",
                "otel_scope_version": "", "server_address": upstream.server_address,
                "server_port": upstream.server_port}

    def merged(table: Mapping[tuple, object], key_of):
        """Histograms summed over the keys that share `key_of(key)` (e.g. over teams)."""
        out: dict[tuple, list] = {}
        for key in sorted(table):
            hist = table[key]
            new_key = key_of(key)
            if new_key not in out:
                out[new_key] = [hist.bounds, [0] * len(hist.counts), 0.0]
            entry = out[new_key]
            entry[1] = [a + b for a, b in zip(entry[1], hist.counts)]
            entry[2] += hist.sum
        return sorted(out.items())

    durations = [({**base(served), "error_type": error}, bounds, counts, total)
                 for (served, error), (bounds, counts, total)
                 in merged(model.total_latency, lambda k: (k[0], k[3]))]
    tokens = [({**base(served), "gen_ai_token_type": kind}, bounds, counts, total)
              for (served, kind), (bounds, counts, total)
              in merged(model.token_usage, lambda k: (k[0], k[2]))]
    costs = [(base(served), bounds, counts, total)
             for (served,), (bounds, counts, total) in merged(model.call_cost, lambda k: (k[0],))]
    ttfts = [(base(served), bounds, counts, total)
             for (served,), (bounds, counts, total) in merged(model.ttft, lambda k: (k[0],))]
    requests = _sum_by(model.requests_by_status(), lambda k: (k[0],))
    return [
        _gauge("target_info", "Target metadata",
               [({"service_instance_id": f"aiops-sim-{model.seed}", "service_name": "llm-gateway",
                  "telemetry_sdk_language": "python", "telemetry_sdk_name": "opentelemetry",
                  "telemetry_sdk_version": "1.38.0"}, 1.0)]),
        _histogram("gen_ai_client_operation_duration_seconds", "GenAI operation duration",
                   durations),
        _histogram("gen_ai_client_token_usage", "Measures number of input and output tokens used",
                   tokens),
        _histogram("gen_ai_usage_cost_USD", "Cost of GenAI operations in USD", costs),
        _histogram("gen_ai_server_time_to_first_token_seconds",
                   "Time to generate first token for successful responses", ttfts),
        _counter("gen_ai_requests", "GenAI requests",
                 [(base(served), v) for (served,), v in requests.items()]),
    ]


# -- resilience4j and the sim's own series ----------------------------------------------------

def _resilience4j_families(model: GatewayModel) -> list[Family]:
    now = model.now_ts
    return [
        _gauge("resilience4j_circuitbreaker_state", "The states of the circuit breaker",
               [({"name": b.name, "state": state}, 1.0 if b.state == state else 0.0)
                for b in model.breakers for state in STATES]),
        _gauge("resilience4j_circuitbreaker_failure_rate",
               "The failure rate of the circuit breaker (percent; -1 when too few calls)",
               [({"name": b.name}, b.failure_rate_pct()) for b in model.breakers]),
        _counter("resilience4j_circuitbreaker_not_permitted_calls",
                 "Total number of not permitted calls",
                 [({"kind": "not_permitted", "name": b.name}, b.not_permitted_calls)
                  for b in model.breakers]),
    ]


def _aiops_families(model: GatewayModel) -> list[Family]:
    ups = model.upstreams
    fallback = ups[model.fallback_index]

    def model_tier(i: int) -> dict[str, str]:
        return {"model": ups[i].model, "tier": ups[i].tier}

    requests = _sum_by(model.requests_by_status(), lambda k: (k[0], k[3]))
    def user_traffic(key: tuple) -> tuple | None:
        return None if key[2] == HEALTH_CHECK_TEAM_INDEX else (key[0],)

    cost = _sum_by(model.spend_usd, user_traffic)
    tokens = [({**model_tier(i), "type": kind}, v)
              for kind, table in (("input", model.input_tokens), ("output", model.output_tokens))
              for (i,), v in _sum_by(table, user_traffic).items()]
    fallbacks = _sum_by(model.fallbacks_ok, lambda k: (k[0],))
    hits = _sum_by(model.cache_hits, lambda k: (k[0],))
    misses = _sum_by(model.cache_misses, lambda k: (k[0],))
    lookups = {k: hits.get(k, 0) + misses.get(k, 0) for k in sorted(hits.keys() | misses.keys())}
    batch = model.batch_size

    def cache_rows(table: Mapping[tuple, float]):
        return [({"cache": "response", **model_tier(i)}, v) for (i,), v in table.items()]
    return [
        _gauge("aiops_queue_depth", "Requests waiting in the batcher",
               [({"batcher": "default"}, model.queue_depth)]),
        _histogram("aiops_batch_size", "Upstream calls per batch (max 10, max wait 500 ms)",
                   [({"batcher": "default"}, batch.bounds, batch.counts, batch.sum)]),
        _counter("aiops_cache_hits", "Response-cache hits by the model the router chose",
                 cache_rows(hits)),
        _counter("aiops_cache_requests", "Response-cache lookups by the model the router chose",
                 cache_rows(lookups)),
        _gauge("aiops_cache_hit_target_ratio", "Response-cache hit ratio target",
               [({"cache": "response"}, model.cache_hit_target_ratio)]),
        _counter("aiops_fallback", "Requests served by the fallback tier after a breaker refused",
                 [({"from": ups[i].name, "to": fallback.name}, v) for (i,), v in fallbacks.items()]),
        _counter("aiops_requests", "Client requests by the model that answered and HTTP status",
                 [({**model_tier(i), "status": status}, v) for (i, status), v in requests.items()]),
        _counter("aiops_cost_usd", "Spend on client traffic in USD",
                 [(model_tier(i), v) for (i,), v in cost.items()]),
        _counter("aiops_tokens", "Tokens of client traffic by the model that answered and type",
                 tokens),
        _counter("aiops_cost_saved_usd", "Spend avoided by response-cache hits in USD",
                 [(model_tier(i), v) for i, v in sorted(model.cost_saved_usd.items())]),
        _gauge("aiops_budget_monthly_usd", "Monthly LLM budget in USD",
               [({}, model.budget_monthly_usd)]),
    ]



def _quality_families(model: GatewayModel) -> list[Family]:
    ups = model.upstreams
    quality = model.quality

    def model_tier(i: int) -> dict[str, str]:
        return {"model": ups[i].model, "tier": ups[i].tier}

    def by_model(counts: Sequence[int]) -> list[tuple[dict[str, str], float]]:
        return [(model_tier(i), value) for i, value in enumerate(counts)]

    return [
        _counter("aiops_validation",
                 "Validation checks of generated responses, by the model that generated them, "
                 "rule and result", [({**model_tier(i), "rule": RULES[rule], "result": result}, v)
                                     for (i, rule, result), v in sorted(quality.checks.items())]),
        _counter("aiops_validation_items",
                 "Generated responses by validation outcome (fail: at least one rule failed)",
                 [({**model_tier(i), "result": result}, v)
                  for (i, result), v in sorted(quality.items.items())]),
        _gauge("aiops_review_queue_depth", "Failed responses waiting for human review",
               [({}, quality.queue_depth)]),
        _gauge("aiops_review_oldest_age_seconds",
               "How long the oldest item in the review queue has waited (0 when empty)",
               [({}, quality.oldest_age_s(model.now_ts))]),
        _gauge("aiops_review_capacity_items_per_hour", "Items the reviewers can review per hour",
               [({}, quality.review_capacity_per_h)]),
        _counter("aiops_reviewed", "Items reviewed by a human, by the model that generated them",
                 by_model(quality.reviewed)),
        _counter("aiops_processed", "Generated responses through the quality stage",
                 by_model(quality.processed)),
        _counter("aiops_audit_log", "Audit-log entries written for processed items",
                 by_model(quality.audited)),
    ]

"""Metric-name conventions (LiteLLM, OTel GenAI, resilience4j, Envoy, the aiops sim) as data.

Each profile says which metric names prove it is present and, per signal, one `Recipe`: the series,
filters and grouping label. The same recipe renders the PromQL sent to Prometheus and drives the
local computation over direct scrapes (`signals.prommath`), so the two cannot drift apart.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import NamedTuple

SIGNALS = (
    "requests_per_s", "error_ratio", "latency_p50_s", "latency_p95_s", "latency_p99_s",
    "in_flight", "queue_depth", "tokens_per_s", "spend_usd_per_h", "cache_hit_ratio",
    "fallback_ratio", "breaker_state", "breaker_failure_rate",
)
"""The named signals every pane understands, in display order (profiles may add a few more)."""

WINDOW_PLACEHOLDER = "{window}"
_DURATION_RE = re.compile(r"^(?:\d+(?:ms|s|m|h|d|w|y))+$")
TARGET_LABELS = ("instance", "job")
"""What Prometheus adds to every series it scrapes: a counter summed per target resets with its target."""
HEALTH_CHECK_TEAM = "litellm-internal-health-check"
"""LiteLLM bills its own `/health` model calls to this service account: not user spend."""


@dataclass(frozen=True, slots=True)
class Matcher:
    """One PromQL label matcher; a missing label matches as the empty string, as in Prometheus."""

    label: str
    op: str  # "=", "!=", "=~", "!~"
    value: str

    def promql(self) -> str:
        escaped = self.value.replace("\\", "\\\\").replace('"', '\\"')
        return f'{self.label}{self.op}"{escaped}"'

    def matches(self, labels: Mapping[str, str]) -> bool:
        actual = labels.get(self.label, "")
        if self.op == "=":
            return actual == self.value
        if self.op == "!=":
            return actual != self.value
        hit = re.fullmatch(self.value, actual) is not None  # PromQL regexes are fully anchored
        return hit if self.op == "=~" else not hit


@dataclass(frozen=True, slots=True)
class Selector:
    """A metric (the sample name as stored: `x_total`, `x_bucket`) and its matchers.

    `group_labels` overrides the recipe's grouping labels for this selector alone (the aiops sim
    counts fallbacks by `from` but requests by `model`).
    """

    metric: str
    matchers: tuple[Matcher, ...] = ()
    group_labels: tuple[str, ...] | None = None

    def matches(self, name: str, labels: Mapping[str, str]) -> bool:
        return name == self.metric and all(m.matches(labels) for m in self.matchers)


@dataclass(frozen=True, slots=True)
class Recipe:
    """How one signal is computed from one convention.

    kind: "rate" (sum of per-second rates), "ratio" (rate of `series` / rate of `denominator`),
    "quantile" (histogram_quantile over `sum by (le, group)`), "gauge" (`agg` of current values),
    "state" (a one-hot `{state=...}` gauge mapped through `states` to 0 ok / 1 partial / 2 open),
    "counter" (a counter's current values summed per group and per scrape target, never totalled: the
    store takes its reset-aware increase series by series, so one gateway's restart reads as that
    gateway's reset; read from Prometheus only, as a direct scrape stores the counter itself).
    `group_labels` name the group (first label present wins: aliases for renamed labels); the
    result is keyed "model" or "upstream" (`key`).
    """

    kind: str
    series: Selector
    denominator: Selector | None = None
    group_labels: tuple[str, ...] = ()
    key: str = "model"
    quantile: float = 0.0
    scale: float = 1.0
    agg: str = "sum"
    min_value: float | None = None
    clamp_max: float | None = None
    states: tuple[tuple[str, float], ...] = ()
    state_label: str = "state"
    fill_zero: bool = True
    """Ratios: a group with denominator traffic but no numerator series reads 0 (no errors yet)."""

    def metrics(self) -> tuple[str, ...]:
        return (self.series.metric,) + ((self.denominator.metric,) if self.denominator else ())

    def labels_for(self, selector: Selector) -> tuple[str, ...]:
        return self.group_labels if selector.group_labels is None else selector.group_labels


@dataclass(frozen=True, slots=True)
class Profile:
    name: str
    title: str
    evidence: tuple[str, ...]
    """Sample names that prove the convention is in use (any one is enough)."""
    recipes: Mapping[str, Recipe]
    missing_values: frozenset[str] = frozenset({""})
    """Label values that mean "not set" (LiteLLM writes the string "None")."""
    label_aliases: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Logical label -> the label names that carry it, newest name first."""

    def group_value(self, labels: Mapping[str, str], group_labels: Iterable[str]) -> str | None:
        """The first non-missing value among `group_labels`, or None when the series has none."""
        for name in group_labels:
            value = labels.get(name, "")
            if value not in self.missing_values:
                return value
        return None


# --- the profiles -------------------------------------------------------------------------------

def _rate(metric: str, *matchers: Matcher, scale: float = 1.0, by: tuple[str, ...]) -> Recipe:
    return Recipe("rate", Selector(metric, matchers), group_labels=by, scale=scale)


def _counter(metric: str, *matchers: Matcher, by: tuple[str, ...]) -> Recipe:
    return Recipe("counter", Selector(metric, matchers), group_labels=by)


def _ratio(num: Selector, den: Selector, *, by: tuple[str, ...], key: str = "model", fill_zero: bool = True) -> Recipe:
    return Recipe("ratio", num, den, group_labels=by, key=key, fill_zero=fill_zero)


def _latency(bucket_metric: str, *, by: tuple[str, ...], scale: float = 1.0) -> dict[str, Recipe]:
    return {
        f"latency_p{int(q * 100)}_s": Recipe("quantile", Selector(bucket_metric), group_labels=by, quantile=q, scale=scale)
        for q in (0.5, 0.95, 0.99)
    }


_LITELLM_MODEL = ("requested_model",)
_LITELLM_NOT_HEALTH_CHECK = tuple(
    Matcher(label, "!=", HEALTH_CHECK_TEAM) for label in ("team", "team_alias", "api_key_alias", "user")
)
_LITELLM_REQUESTS = Selector("litellm_proxy_total_requests_metric_total")

LITELLM = Profile(
    name="litellm",
    title="LiteLLM proxy",
    evidence=(
        "litellm_proxy_total_requests_metric_total", "litellm_proxy_failed_requests_metric_total",
        "litellm_request_total_latency_metric_bucket", "litellm_spend_metric_total",
        "litellm_deployment_state", "litellm_requests_metric_total", "litellm_in_flight_requests",
    ),
    missing_values=frozenset({"", "None"}),
    label_aliases={"model": _LITELLM_MODEL, "upstream": ("model_id",), "provider": ("api_provider",), "team": ("team_alias", "team")},
    recipes={
        "requests_per_s": _rate("litellm_proxy_total_requests_metric_total", by=_LITELLM_MODEL),
        "error_ratio": _ratio(Selector("litellm_proxy_failed_requests_metric_total"), _LITELLM_REQUESTS, by=_LITELLM_MODEL),
        **_latency("litellm_request_total_latency_metric_bucket", by=_LITELLM_MODEL),
        # One unlabelled gauge for the whole proxy: a total, never a per-model figure.
        "in_flight": Recipe("gauge", Selector("litellm_in_flight_requests"), group_labels=()),
        "tokens_per_s": _rate("litellm_total_tokens_metric_total", by=_LITELLM_MODEL),
        # The split prices a move between tiers (input and output tokens cost differently).
        "input_tokens_per_s": _rate("litellm_input_tokens_metric_total", by=_LITELLM_MODEL),
        "output_tokens_per_s": _rate("litellm_output_tokens_metric_total", by=_LITELLM_MODEL),
        "spend_usd_per_h": _rate("litellm_spend_metric_total", *_LITELLM_NOT_HEALTH_CHECK, scale=3600.0, by=_LITELLM_MODEL),
        "cost_usd_total": _counter("litellm_spend_metric_total", *_LITELLM_NOT_HEALTH_CHECK, by=_LITELLM_MODEL),
        # Cache counters carry the deployment's `model`, not `requested_model`.
        "cache_hit_ratio": _ratio(
            Selector("litellm_cache_hits_metric_total"), Selector("litellm_requests_metric_total"),
            by=("model",), fill_zero=False,
        ),
        "fallback_ratio": _ratio(Selector("litellm_deployment_successful_fallbacks_total"), _LITELLM_REQUESTS, by=_LITELLM_MODEL),
        # Repeats per api_base and stays at 2 until the next request: take the worst per deployment.
        "breaker_state": Recipe("gauge", Selector("litellm_deployment_state"), group_labels=("model_id",), key="upstream", agg="max"),
        "breaker_failure_rate": _ratio(
            Selector("litellm_deployment_failure_responses_total"), Selector("litellm_deployment_total_requests_total"),
            by=("model_id",), key="upstream",
        ),
    },
)

_OTEL_MODEL = ("gen_ai_request_model",)
_OTEL_CALLS = "gen_ai_client_operation_duration_seconds_count"

OTEL_GENAI = Profile(
    name="otel_genai",
    title="OpenTelemetry GenAI semantic conventions",
    evidence=(
        "gen_ai_client_operation_duration_seconds_bucket", "gen_ai_client_operation_duration_seconds_count",
        "gen_ai_client_token_usage_bucket", "gen_ai_client_token_usage_sum",
        "gen_ai_server_time_to_first_token_seconds_bucket", "gen_ai_server_request_duration_seconds_bucket",
    ),
    # OTel renamed `gen_ai.system` to `gen_ai.provider.name`: exporters in the wild carry either.
    label_aliases={"model": _OTEL_MODEL, "provider": ("gen_ai_provider_name", "gen_ai_system")},
    recipes={
        "requests_per_s": _rate(_OTEL_CALLS, by=_OTEL_MODEL),
        "error_ratio": _ratio(Selector(_OTEL_CALLS, (Matcher("error_type", "!=", ""),)), Selector(_OTEL_CALLS), by=_OTEL_MODEL),
        **_latency("gen_ai_client_operation_duration_seconds_bucket", by=_OTEL_MODEL),
        "tokens_per_s": _rate("gen_ai_client_token_usage_sum", by=_OTEL_MODEL),
        "spend_usd_per_h": _rate("gen_ai_usage_cost_USD_sum", scale=3600.0, by=_OTEL_MODEL),
        "cost_usd_total": _counter("gen_ai_usage_cost_USD_sum", by=_OTEL_MODEL),
    },
)

_R4J_STATES = (
    ("closed", 0.0), ("disabled", 0.0), ("metrics_only", 0.0), ("half_open", 1.0), ("open", 2.0), ("forced_open", 2.0),
)

RESILIENCE4J = Profile(
    name="resilience4j",
    title="resilience4j circuit breakers (Micrometer)",
    evidence=("resilience4j_circuitbreaker_state", "resilience4j_circuitbreaker_failure_rate"),
    label_aliases={"upstream": ("name",)},
    recipes={
        "breaker_state": Recipe(
            "state", Selector("resilience4j_circuitbreaker_state"), group_labels=("name",), key="upstream",
            agg="max", states=_R4J_STATES,
        ),
        # Percent, and -1 until the sliding window holds enough calls: drop -1, report a ratio.
        "breaker_failure_rate": Recipe(
            "gauge", Selector("resilience4j_circuitbreaker_failure_rate"), group_labels=("name",), key="upstream",
            agg="max", min_value=0.0, scale=0.01,
        ),
    },
)

_ENVOY_CLUSTER = ("envoy_cluster_name",)

ENVOY = Profile(
    name="envoy",
    title="Envoy proxy clusters",
    evidence=("envoy_cluster_outlier_detection_ejections_active", "envoy_cluster_upstream_rq_total"),
    label_aliases={"upstream": _ENVOY_CLUSTER},
    recipes={
        # Ejections are per host: any ejected host is a partial outage (1); Envoy never says "all".
        "breaker_state": Recipe(
            "gauge", Selector("envoy_cluster_outlier_detection_ejections_active"), group_labels=_ENVOY_CLUSTER,
            key="upstream", agg="sum", clamp_max=1.0,
        ),
        # Envoy writes counters without `_total`; the 5xx share of upstream requests.
        "breaker_failure_rate": _ratio(
            Selector("envoy_cluster_upstream_rq_xx", (Matcher("envoy_response_code_class", "=", "5"),)),
            Selector("envoy_cluster_upstream_rq_xx"), by=_ENVOY_CLUSTER, key="upstream",
        ),
    },
)

# The sim's own series; it also exposes LiteLLM (or OTel) families for latency and tokens, and
# resilience4j gauges for its breakers, which those profiles read.
_SIM_MODEL = ("model",)
_SIM_REQUESTS = Selector("aiops_requests_total")

AIOPS_SIM = Profile(
    name="aiops_sim",
    title="aiops-tui demo gateway",
    evidence=(
        "aiops_requests_total", "aiops_cost_usd_total", "aiops_cache_requests_total", "aiops_fallback_total",
        "aiops_queue_depth", "aiops_budget_monthly_usd",
    ),
    label_aliases={"model": _SIM_MODEL, "tier": ("tier",)},
    recipes={
        "requests_per_s": _rate("aiops_requests_total", by=_SIM_MODEL),
        # `status` is "ok" / "error" (HTTP codes are accepted too).
        "error_ratio": _ratio(
            Selector("aiops_requests_total", (Matcher("status", "=~", "error|5..|429"),)), _SIM_REQUESTS, by=_SIM_MODEL,
        ),
        "queue_depth": Recipe("gauge", Selector("aiops_queue_depth"), group_labels=()),
        "spend_usd_per_h": _rate("aiops_cost_usd_total", scale=3600.0, by=_SIM_MODEL),
        "cost_usd_total": _counter("aiops_cost_usd_total", by=_SIM_MODEL),
        "cache_hit_ratio": _ratio(
            Selector("aiops_cache_hits_total"), Selector("aiops_cache_requests_total"), by=_SIM_MODEL, fill_zero=False,
        ),
        "fallback_ratio": _ratio(Selector("aiops_fallback_total", group_labels=("from",)), _SIM_REQUESTS, by=_SIM_MODEL),
        "saved_usd_per_h": _rate("aiops_cost_saved_usd_total", scale=3600.0, by=_SIM_MODEL),
        "budget_monthly_usd": Recipe("gauge", Selector("aiops_budget_monthly_usd"), group_labels=(), agg="max"),
        # Calls per batch, for the batching savings lever.
        "batch_size_avg": Recipe(
            "ratio", Selector("aiops_batch_size_sum"), Selector("aiops_batch_size_count"), group_labels=(), fill_zero=False,
        ),
        "input_tokens_per_s": _rate("aiops_tokens_total", Matcher("type", "=", "input"), by=_SIM_MODEL),
        "output_tokens_per_s": _rate("aiops_tokens_total", Matcher("type", "=", "output"), by=_SIM_MODEL),
        # AI output quality: validation after generation, the human-review queue, the audit log.
        "validation_pass_ratio": _ratio(
            Selector("aiops_validation_items_total", (Matcher("result", "=", "pass"),)),
            Selector("aiops_validation_items_total"), by=_SIM_MODEL,
        ),
        "review_queue_depth": Recipe("gauge", Selector("aiops_review_queue_depth"), group_labels=()),
        "review_oldest_age_s": Recipe("gauge", Selector("aiops_review_oldest_age_seconds"), group_labels=(), agg="max"),
        "reviewed_per_h": _rate("aiops_reviewed_total", scale=3600.0, by=_SIM_MODEL),
        "review_capacity_per_h": Recipe(
            "gauge", Selector("aiops_review_capacity_items_per_hour"), group_labels=(), agg="max",
        ),
        "audit_coverage_ratio": _ratio(Selector("aiops_audit_log_total"), Selector("aiops_processed_total"), by=_SIM_MODEL),
    },
)

PROFILES: Mapping[str, Profile] = MappingProxyType(
    {p.name: p for p in (LITELLM, OTEL_GENAI, AIOPS_SIM, RESILIENCE4J, ENVOY)}
)
"""In priority order: when two profiles both provide a signal, a scrape target (or a direct scrape) with
series of both is read through the earlier one, and the targets are then added up (`signal_queries`)."""

_SIGNAL_NOUNS = {
    "requests_per_s": "traffic", "error_ratio": "errors", "latency_p50_s": "latency p50",
    "latency_p95_s": "latency p95", "latency_p99_s": "latency p99", "in_flight": "in-flight requests",
    "queue_depth": "queue depth", "tokens_per_s": "tokens", "spend_usd_per_h": "cost", "cost_usd_total": "cost to date",
    "cache_hit_ratio": "cache hits", "fallback_ratio": "fallbacks", "breaker_state": "breaker state",
    "breaker_failure_rate": "breaker failures", "saved_usd_per_h": "cache savings",
    "budget_monthly_usd": "budget", "input_tokens_per_s": "input tokens", "output_tokens_per_s": "output tokens",
    "validation_pass_ratio": "validation pass rate", "review_queue_depth": "review queue",
    "review_oldest_age_s": "oldest review item", "reviewed_per_h": "reviews", "review_capacity_per_h": "review capacity",
    "audit_coverage_ratio": "audit coverage", "batch_size_avg": "batch size",
}
_SAMPLE_SUFFIXES = ("", "_total", "_count", "_sum", "_bucket")


# --- detection and lookup -----------------------------------------------------------------------

def detect_profiles(metric_names: Iterable[str]) -> list[str]:
    """Profiles in use, in priority order, from sample names (a scrape, or `/api/v1/label/__name__/values`).

    Family names (`x` for `x_total` or `x_bucket`) are accepted too.
    """
    names = {n + suffix for n in metric_names for suffix in _SAMPLE_SUFFIXES}
    return [p.name for p in PROFILES.values() if not names.isdisjoint(p.evidence)]


def recipe_for(signal: str, profiles: Iterable[str]) -> tuple[Profile, Recipe] | None:
    """The first of `profiles` (unknown names skipped) that provides `signal`, with its recipe."""
    return next(iter(recipes_for(signal, profiles)), None)


def recipes_for(signal: str, profiles: Iterable[str]) -> list[tuple[Profile, Recipe]]:
    """Every one of `profiles` (unknown names skipped) that provides `signal`, with its recipe, in order."""
    return [(PROFILES[name], PROFILES[name].recipes[signal]) for name in profiles
            if name in PROFILES and signal in PROFILES[name].recipes]


def signals_of(profiles: Iterable[str]) -> list[str]:
    """Every signal the profiles provide: the standard ones in display order, then the extras."""
    profiles = list(profiles)
    extras = [s for n in profiles if n in PROFILES for s in PROFILES[n].recipes if s not in SIGNALS]
    return [s for s in (*SIGNALS, *dict.fromkeys(extras)) if recipe_for(s, profiles)]


def group_label(signal: str, profile: str | None = None) -> str:
    """The label a per-group result carries: "upstream" for breaker signals, else "model"."""
    found = recipe_for(signal, [profile] if profile else PROFILES)
    return found[1].key if found else "model"


def describe_source(signal: str, profiles: Iterable[str]) -> str:
    """One line for the UI, e.g. "cost from litellm_spend_metric_total"; where several profiles provide the
    signal, each scrape target is read through the first it speaks: "traffic from a, else b"."""
    noun = _SIGNAL_NOUNS.get(signal, signal)
    found = recipes_for(signal, profiles)
    if not found:
        return f"{noun}: no source"
    return f"{noun} from " + ", else ".join(" / ".join(dict.fromkeys(recipe.metrics())) for _, recipe in found)


# --- PromQL -------------------------------------------------------------------------------------

def promql(
    signal: str, profile: str, window: str = "5m", overrides: Mapping[str, str] | None = None,
    *, by: str | None = "group",
) -> str | None:
    """The PromQL for `signal` under `profile`, or None when the profile does not provide it.

    `by="group"` (default) groups by the recipe's own group and names the result label after it,
    `model` (or `upstream` for breakers) whatever the convention calls it; another logical label
    ("provider", "tier": the profile's aliases, else a raw label name) groups by that into a label
    of that name; None gives the total. An override (from config) wins and may use `{window}`.
    """
    _check_window(window)
    if overrides and overrides.get(signal):
        return overrides[signal].replace(WINDOW_PLACEHOLDER, window)
    template = promql_template(signal, profile, by=by)
    return None if template is None else template.replace(WINDOW_PLACEHOLDER, window)


def promql_template(signal: str, profile: str, *, by: str | None = "group") -> str | None:
    """Like `promql` but with the literal `{window}` left in place of the range."""
    found = recipe_for(signal, [profile])
    if found is None:
        return None
    prof, recipe = found
    if by is None:
        return _render(recipe, prof, None, None)
    if by in ("group", recipe.key):
        return _render(recipe, prof, recipe.key, None)
    return _render(recipe, prof, by, prof.label_aliases.get(by, (by,)))


def signal_queries(
    profiles: Iterable[str], overrides: Mapping[str, str] | None = None, *, window: str = "5m",
) -> dict[str, str]:
    """signal -> PromQL for everything the profiles provide, plus every override; a quantile that more than
    one profile provides is left to `bucket_queries`.

    Each query returns one series per group (label `model`, or `upstream` for breakers) and, for
    model signals, the total across groups as the series with no labels: `per_group or total`.
    A quantile's total comes from the summed buckets, never from averaging quantiles. Where more than
    one profile provides a signal, each scrape target is read through the first of them it has series
    of, and the targets are then added up: a LiteLLM gateway and an OTel one behind one Prometheus are
    both counted, and a gateway with two conventions of one traffic is counted once.
    """
    _check_window(window)
    profiles = list(profiles)
    out: dict[str, str] = {}
    for signal in signals_of(profiles):
        found = recipes_for(signal, profiles)
        prof, recipe = found[0]
        if len(found) == 1:
            per_group, total = _render(recipe, prof, recipe.key, None), _render(recipe, prof, None, None)
        elif recipe.kind == "quantile":
            continue
        else:
            per_group, total = _render_per_target(found, recipe.key), _render_per_target(found, None)
        alone = recipe.key == "upstream" or recipe.kind == "counter" or per_group == total
        query = per_group if alone else f"{per_group} or {total}"
        out[signal] = query.replace(WINDOW_PLACEHOLDER, window)
    for signal, text in (overrides or {}).items():
        if text:
            out[signal] = text.replace(WINDOW_PLACEHOLDER, window)
    return out


class BucketQueries(NamedTuple):
    """A quantile that more than one profile provides: their bucket bounds differ (and may be in other
    units), so Prometheus cannot sum their buckets. Each part's PromQL gives one profile's buckets by `le`
    (per group and in total) over the scrape targets read through it, with the scale of its bounds; the
    caller reads each part at every bound of the others and takes the quantile of the sum."""

    quantile: float
    key: str
    parts: tuple[tuple[str, float], ...]


def bucket_queries(
    profiles: Iterable[str], overrides: Mapping[str, str] | None = None, *, window: str = "5m",
) -> dict[str, BucketQueries]:
    """signal -> the bucket queries of every quantile that more than one of `profiles` provides (none overridden)."""
    _check_window(window)
    profiles = list(profiles)
    out = {}
    for signal in signals_of(profiles):
        found = recipes_for(signal, profiles)
        recipe = found[0][1]
        if len(found) < 2 or recipe.kind != "quantile" or (overrides and overrides.get(signal)):
            continue
        grouped, totals = _first_per_target(found, recipe.key), _first_per_target(found, None)
        parts = tuple(
            (f"sum by (le, {recipe.key}) ({by_group['value']}) or sum by (le) ({total['value']})"
             .replace(WINDOW_PLACEHOLDER, window), part_recipe.scale)
            for (_, part_recipe), by_group, total in zip(found, grouped, totals)
        )
        out[signal] = BucketQueries(recipe.quantile, recipe.key, parts)
    return out


def _first_per_target(found: list[tuple[Profile, Recipe]], out_label: str | None) -> list[dict[str, str]]:
    """Each profile's vectors per scrape target (`_parts` by `TARGET_LABELS` too), less the targets that have
    series of an earlier one (`_presence`)."""
    out, seen = [], []
    for prof, recipe in found:
        parts = _parts(recipe, prof, out_label, None, TARGET_LABELS)
        if recipe.scale != 1.0 and recipe.kind != "quantile":
            key = "num" if recipe.kind == "ratio" else "value"
            parts[key] = f"{parts[key]} * {_num(recipe.scale)}"
        out.append({key: _unless_seen(text, seen) for key, text in parts.items()})
        seen.append(_presence(recipe))
    return out


def _presence(recipe: Recipe) -> str:
    """The series whose presence on a scrape target says it speaks the recipe's convention: a ratio's
    denominator (its traffic: the errors may have no series yet), else its own series."""
    selector = recipe.denominator if recipe.kind == "ratio" and recipe.denominator else recipe.series
    return selector.metric + ("{" + ",".join(m.promql() for m in selector.matchers) + "}" if selector.matchers else "")


def _unless_seen(text: str, seen: list[str]) -> str:
    return f"({text} unless on ({', '.join(TARGET_LABELS)}) ({' or '.join(seen)}))" if seen else text


def _render_per_target(found: list[tuple[Profile, Recipe]], out_label: str | None) -> str:
    """PromQL for a signal more than one profile provides (not a quantile): per scrape target through the
    first profile it has series of (`_first_per_target`), then aggregated over the targets as the first
    profile's recipe aggregates; a counter stays per target. Recipes of different kinds (a breaker's state
    as a gauge in one convention and one-hot in another) each finish per target, and the worst one wins."""
    recipe = found[0][1]
    clause = f" by ({out_label}) " if out_label is not None and any(r.group_labels for _, r in found) else ""
    if len({(r.kind, r.agg, r.fill_zero) for _, r in found}) > 1:
        union, seen = [], []
        for prof, part_recipe in found:
            parts = _parts(part_recipe, prof, out_label, None, TARGET_LABELS)
            value = parts["num"] if part_recipe.kind == "ratio" else parts["value"]
            value = _outer(part_recipe, value, parts.get("den"))
            union.append(_unless_seen(value, seen))
            seen.append(_presence(part_recipe))
        return f"max{clause}({' or '.join(union)})"
    parts = _first_per_target(found, out_label)
    agg = "sum" if recipe.kind in ("rate", "ratio") else recipe.agg

    def joined(key: str) -> str:
        union = " or ".join(part[key] for part in parts)
        return union if recipe.kind == "counter" else f"{agg}{clause}({union})"

    if recipe.kind == "ratio":
        return _outer(recipe, joined("num"), joined("den"), scaled=False)
    return _outer(recipe, joined("value"), scaled=False)


def _check_window(window: str) -> None:
    if not _DURATION_RE.match(window):
        raise ValueError(f"not a PromQL duration: {window[:40]!r} (expected e.g. 30s, 5m, 1h)")


def _render(recipe: Recipe, profile: Profile, out_label: str | None, aliases: tuple[str, ...] | None) -> str:
    """PromQL for the recipe, grouped into `out_label` (None: the total across all series)."""
    parts = _parts(recipe, profile, out_label, aliases, ())
    return _outer(recipe, parts["num"] if recipe.kind == "ratio" else parts["value"], parts.get("den"))


def _parts(
    recipe: Recipe, profile: Profile, out_label: str | None, aliases: tuple[str, ...] | None, extra: tuple[str, ...],
) -> dict[str, str]:
    """The recipe's aggregated vectors, grouped into `out_label` and `extra`: "value" (a quantile's buckets by
    `le`), or a ratio's "num" and "den"."""

    def vector(selector: Selector) -> str:
        labels = aliases if aliases is not None else recipe.labels_for(selector)
        grouped = out_label is not None and bool(labels)
        matchers = list(selector.matchers)
        if grouped and len(labels) == 1:
            # Series without the group label belong to the total only, as in the local computation.
            matchers.append(_missing_matcher(labels[0], profile.missing_values))
        text = selector.metric + ("{" + ",".join(m.promql() for m in matchers) + "}" if matchers else "")
        if recipe.kind in ("rate", "ratio", "quantile"):
            text = f"rate({text}[{WINDOW_PLACEHOLDER}])"
        elif recipe.kind == "state":
            text = " or ".join(_state_term(text, recipe, level) for level in _levels(recipe))
        elif recipe.min_value is not None:
            text = f"{text} >= {_num(recipe.min_value)}"
        if grouped:
            # Copy the convention's label into the one every pane reads; the first alias wins.
            for source in reversed(labels):
                if source != out_label:
                    text = f'label_replace({text}, "{out_label}", "$1", "{source}", "(.+)")'
        return text

    def aggregate(selector: Selector, agg: str, more: tuple[str, ...] = ()) -> str:
        labels = aliases if aliases is not None else recipe.labels_for(selector)
        by_labels = list(dict.fromkeys((*more, *extra)))
        if out_label is not None and labels:
            by_labels.append(out_label)
        clause = f" by ({', '.join(by_labels)}) " if by_labels else ""
        return f"{agg}{clause}({vector(selector)})"

    if recipe.kind == "quantile":
        return {"value": aggregate(recipe.series, "sum", ("le",))}
    if recipe.kind == "ratio":
        assert recipe.denominator is not None
        return {"num": aggregate(recipe.series, "sum"), "den": aggregate(recipe.denominator, "sum")}
    if recipe.kind == "counter":
        return {"value": aggregate(recipe.series, "sum", TARGET_LABELS)}
    return {"value": aggregate(recipe.series, recipe.agg if recipe.kind != "rate" else "sum")}


def _outer(recipe: Recipe, value: str, den: str | None = None, *, scaled: bool = True) -> str:
    """The signal from the recipe's aggregated vectors (`_parts`): the quantile read, the ratio divided, the
    clamp applied, and the scale unless the vectors are `scaled` already."""
    if recipe.kind == "quantile":
        text = f"histogram_quantile({_num(recipe.quantile)}, {value})"
    elif recipe.kind == "ratio":
        # `or 0 * den`: a group with traffic and no error series yet reads 0, not "absent".
        text = f"({value} or 0 * {den}) / {den}" if recipe.fill_zero else f"{value} / {den}"
    else:
        text = value
    if recipe.clamp_max is not None:
        text = f"clamp_max({text}, {_num(recipe.clamp_max)})"
    if recipe.scale != 1.0 and scaled:
        text = f"{text} * {_num(recipe.scale)}"
    return text


def _levels(recipe: Recipe) -> list[float]:
    return sorted({level for _, level in recipe.states}, reverse=True)


def _state_term(selector_text: str, recipe: Recipe, level: float) -> str:
    states = "|".join(re.escape(s) for s, lv in recipe.states if lv == level)
    matcher = Matcher(recipe.state_label, "=~", states).promql()
    if selector_text.endswith("}"):
        text = selector_text[:-1] + "," + matcher + "}"
    else:
        text = selector_text + "{" + matcher + "}"
    return f"{_num(level)} * ({text} == 1)"


def _missing_matcher(label: str, missing: frozenset[str]) -> Matcher:
    if missing == frozenset({""}):
        return Matcher(label, "!=", "")
    return Matcher(label, "!~", "|".join(sorted(re.escape(v) for v in missing)))


def _num(value: float) -> str:
    return f"{value:g}"

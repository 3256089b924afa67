"""Convention profiles: detection from metric names, the PromQL they render, and a check that
Prometheus (through promtool) and the local computation give the same hand-computed numbers."""

from __future__ import annotations

import math
import subprocess
from pathlib import Path

import pytest

from aiops_tui.model import Sample, SeriesKey, make_labels
from aiops_tui.signals.prommath import signals_from_scrapes
from aiops_tui.sources import conventions
from aiops_tui.sources.conventions import (
    PROFILES,
    SIGNALS,
    describe_source,
    detect_profiles,
    promql,
    promql_template,
    signal_queries,
)
from aiops_tui.sources.exposition import parse_exposition

FIXTURES = Path(__file__).parent.parent / "fixtures"


def names_in(fixture: str) -> set[str]:
    return {s.key.name for s in parse_exposition((FIXTURES / fixture).read_text(), source="s", ts=0.0)}


# --- detection ----------------------------------------------------------------------------------

def test_litellm_scrape_is_detected_as_litellm_only():
    assert detect_profiles(names_in("litellm-1.108.7-metrics.txt")) == ["litellm"]


def test_otel_scrape_is_detected_as_otel_and_not_litellm():
    assert detect_profiles(names_in("otel-genai-metrics.txt")) == ["otel_genai"]


def test_detection_accepts_family_names_and_lists_in_priority_order():
    # family names, as text_string_to_metric_families reports them, work as well as sample names
    assert detect_profiles(["gen_ai_client_operation_duration_seconds"]) == ["otel_genai"]
    names = ["resilience4j_circuitbreaker_state", "aiops_requests_total", "up", "envoy_cluster_upstream_rq_total"]
    assert detect_profiles(names) == ["aiops_sim", "resilience4j", "envoy"]
    assert detect_profiles(["up", "process_cpu_seconds_total"]) == []


def test_every_profile_is_data_with_evidence_and_known_signals():
    assert list(PROFILES) == ["litellm", "otel_genai", "aiops_sim", "resilience4j", "envoy"]
    for profile in PROFILES.values():
        assert profile.evidence and profile.recipes
        assert detect_profiles(profile.evidence[:1]) == [profile.name]


# --- PromQL text --------------------------------------------------------------------------------

def test_litellm_spend_excludes_the_health_check_and_is_per_hour():
    query = promql("spend_usd_per_h", "litellm")
    assert 'team!="litellm-internal-health-check"' in query and 'team_alias!="litellm-internal-health-check"' in query
    assert query.startswith("sum by (model) (") and query.endswith(" * 3600")
    assert "rate(litellm_spend_metric_total{" in query and "[5m])" in query


def test_cost_to_date_is_the_counter_summed_per_model_and_target_never_totalled():
    query = signal_queries(["litellm"])["cost_usd_total"]
    assert query.startswith("sum by (instance, job, model) (label_replace(litellm_spend_metric_total{")
    assert 'team!="litellm-internal-health-check"' in query and "rate(" not in query and " or " not in query
    assert {name: promql("cost_usd_total", name) is not None for name in PROFILES} == {
        "litellm": True, "otel_genai": True, "aiops_sim": True, "resilience4j": False, "envoy": False,
    }
    # A direct scrape stores the counter itself: the local computation leaves this signal to Prometheus.
    assert "cost_usd_total" not in signals_from_scrapes(scrape(LITELLM_SERIES, 9), scrape(LITELLM_SERIES, 10), "*")


@pytest.mark.prometheus
def test_prometheus_sums_the_cost_counter_per_model_and_target(tmp_path):
    from prom_required import require_binary

    promtool = require_binary("promtool")
    series = [  # at 10m each counter reads 10x its per-minute rise
        counter("litellm_spend_metric_total", 2.0, instance="gw-1:4000", requested_model="gpt-4o", team="a"),
        counter("litellm_spend_metric_total", 1.0, instance="gw-1:4000", requested_model="gpt-4o", team="b"),
        counter("litellm_spend_metric_total", 0.5, instance="gw-2:4000", requested_model="gpt-4o", team="a"),
        counter("litellm_spend_metric_total", 0.25, instance="gw-1:4000", requested_model="claude", team="a"),
        counter("litellm_spend_metric_total", 9.0, instance="gw-1:4000", requested_model="gpt-4o",
                team="litellm-internal-health-check"),
    ]
    expected = {'{instance="gw-1:4000", model="gpt-4o"}': 30.0, '{instance="gw-2:4000", model="gpt-4o"}': 5.0,
                '{instance="gw-1:4000", model="claude"}': 2.5}
    spec = tmp_path / "cost.yml"
    spec.write_text(promtool_spec(series, [(signal_queries(["litellm"])["cost_usd_total"], expected)]))
    result = subprocess.run([promtool, "test", "rules", str(spec)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]


def test_latency_is_a_quantile_of_summed_buckets_never_an_average():
    query = promql("latency_p95_s", "otel_genai", window="1m")
    assert query.startswith("histogram_quantile(0.95, sum by (le, model) (")
    assert "rate(gen_ai_client_operation_duration_seconds_bucket{" in query and "[1m]" in query
    assert "avg" not in query
    assert promql("latency_p99_s", "litellm", by=None) == (
        "histogram_quantile(0.99, sum by (le) (rate(litellm_request_total_latency_metric_bucket[5m])))"
    )


def test_otel_errors_are_calls_with_an_error_type():
    assert 'error_type!=""' in promql("error_ratio", "otel_genai")


def test_breakers_group_by_upstream():
    assert promql("breaker_state", "litellm") == (
        'max by (upstream) (label_replace(litellm_deployment_state{model_id!~"|None"}, "upstream", "$1", "model_id", "(.+)"))'
    )
    assert conventions.group_label("breaker_state") == "upstream"
    assert conventions.group_label("requests_per_s") == "model"


def test_plain_labels_give_plain_queries():
    assert promql("requests_per_s", "aiops_sim") == 'sum by (model) (rate(aiops_requests_total{model!=""}[5m]))'
    assert promql("requests_per_s", "aiops_sim", by=None) == "sum(rate(aiops_requests_total[5m]))"
    assert promql("spend_usd_per_h", "aiops_sim", by="tier") == 'sum by (tier) (rate(aiops_cost_usd_total{tier!=""}[5m])) * 3600'


def test_otel_provider_accepts_the_old_and_the_new_label_name():
    query = promql("tokens_per_s", "otel_genai", by="provider")
    assert '"gen_ai_provider_name"' in query and '"gen_ai_system"' in query


def test_window_placeholder_overrides_and_bad_windows():
    assert "[{window}]" in promql_template("requests_per_s", "litellm")
    assert "[1h30m]" in promql("requests_per_s", "litellm", window="1h30m")
    overrides = {"requests_per_s": "sum(rate(my_requests_total[{window}]))"}
    assert promql("requests_per_s", "litellm", "2m", overrides) == "sum(rate(my_requests_total[2m]))"
    with pytest.raises(ValueError, match="not a PromQL duration"):
        promql("requests_per_s", "litellm", window="5m]) or vector(1")
    assert promql("queue_depth", "litellm") is None
    assert promql("requests_per_s", "no_such_profile") is None


def test_describe_source_names_the_metrics():
    assert describe_source("spend_usd_per_h", ["litellm"]) == "cost from litellm_spend_metric_total"
    assert describe_source("breaker_state", ["aiops_sim", "resilience4j"]) == "breaker state from resilience4j_circuitbreaker_state"
    assert describe_source("error_ratio", ["litellm"]) == (
        "errors from litellm_proxy_failed_requests_metric_total / litellm_proxy_total_requests_metric_total"
    )
    assert describe_source("queue_depth", ["litellm"]) == "queue depth: no source"
    # Each scrape target through the first convention it speaks.
    assert describe_source("requests_per_s", ["litellm", "otel_genai"]) == (
        "traffic from litellm_proxy_total_requests_metric_total, else gen_ai_client_operation_duration_seconds_count"
    )


def test_signal_queries_take_each_signal_from_the_first_profile_that_has_it():
    queries = signal_queries(["aiops_sim", "resilience4j"], overrides={"my_signal": "sum(up)"})
    assert queries["breaker_state"].startswith("max by (upstream) (label_replace(2 * (resilience4j_circuitbreaker_state{")
    assert queries["requests_per_s"] == (
        'sum by (model) (rate(aiops_requests_total{model!=""}[5m])) or sum(rate(aiops_requests_total[5m]))'
    )
    assert queries["queue_depth"] == "sum(aiops_queue_depth)"
    assert queries["my_signal"] == "sum(up)"
    # latency and tokens come from the LiteLLM or OTel families the sim exposes beside its own
    assert set(SIGNALS) - set(queries) == {"in_flight", "latency_p50_s", "latency_p95_s", "latency_p99_s", "tokens_per_s"}


def all_queries() -> list[str]:
    # Every profile at once: the signals several provide are read per scrape target.
    out = [*signal_queries(list(PROFILES)).values(),
           *(text for spec in conventions.bucket_queries(list(PROFILES)).values() for text, _ in spec.parts)]
    for name in PROFILES:
        out += signal_queries([name]).values()
        for signal in conventions.signals_of([name]):
            out += [q for by in ("group", None, "provider", "tier") if (q := promql(signal, name, by=by))]
    return out


@pytest.mark.prometheus
def test_every_query_is_valid_promql(tmp_path):
    from prom_required import require_binary

    promtool = require_binary("promtool")
    queries = all_queries()
    rules = "".join(f"      - record: aiops:check{i}\n        expr: '{q}'\n" for i, q in enumerate(queries))
    assert "'" not in "".join(queries)
    path = tmp_path / "rules.yml"
    path.write_text("groups:\n  - name: conventions\n    rules:\n" + rules)
    result = subprocess.run([promtool, "check", "rules", str(path)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(queries)} rules found" in result.stdout


# --- Prometheus and the local computation agree -------------------------------------------------
# Each synthetic series is a counter growing `per_min` every minute (or a constant gauge), sampled
# every minute for 10 minutes. Prometheus evaluates the queries at 10m over [5m]; the local
# computation sees the scrapes at 9m and 10m. For a straight line both are exactly per_min / 60.

INF = math.inf


def counter(metric: str, per_min: float, **labels: str):
    return metric, labels, "counter", per_min


def gauge(metric: str, value: float, **labels: str):
    return metric, labels, "gauge", value


def quantile(q: float, buckets: list[tuple[float, float]]) -> float:
    """Prometheus's interpolation written out: start + (end - start) * (rank - below) / (count - below)."""
    total = buckets[-1][1]
    rank = q * total
    for i, (le, count) in enumerate(buckets):
        if count >= rank:
            start, below = (buckets[i - 1] if i else (0.0, 0.0))
            return start + (le - start) * ((rank - below) / (count - below))
    raise AssertionError


LITELLM_SERIES = [
    counter("litellm_proxy_total_requests_metric_total", 120, requested_model="gpt-4", status_code="200"),  # 2/s
    counter("litellm_proxy_total_requests_metric_total", 60, requested_model="gpt-4", status_code="429"),  # 1/s
    counter("litellm_proxy_total_requests_metric_total", 60, requested_model="local-llm", status_code="200"),  # 1/s
    counter("litellm_proxy_total_requests_metric_total", 30, requested_model="None", status_code="None"),  # 0.5/s
    counter("litellm_proxy_failed_requests_metric_total", 60, requested_model="gpt-4", exception_status="429"),
    counter("litellm_proxy_failed_requests_metric_total", 30, requested_model="None", exception_status="None"),
    counter("litellm_spend_metric_total", 3, requested_model="gpt-4", team="None"),  # 0.05 USD/s
    counter("litellm_spend_metric_total", 600, requested_model="gpt-4", team="litellm-internal-health-check"),
    counter("litellm_spend_metric_total", 0, requested_model="local-llm", team="None"),
    counter("litellm_total_tokens_metric_total", 600, requested_model="gpt-4"),  # 10/s
    counter("litellm_total_tokens_metric_total", 120, requested_model="local-llm"),  # 2/s
    counter("litellm_requests_metric_total", 120, model="gpt-4"),  # 2/s
    counter("litellm_requests_metric_total", 60, model="llama3"),  # 1/s
    counter("litellm_cache_hits_metric_total", 30, model="llama3"),  # 0.5/s
    counter("litellm_deployment_successful_fallbacks_total", 30, requested_model="gpt-4", fallback_model="local-llm"),
    gauge("litellm_in_flight_requests", 3),
    gauge("litellm_deployment_state", 2, model_id="a", api_base="http://a"),
    gauge("litellm_deployment_state", 1, model_id="a", api_base=""),
    gauge("litellm_deployment_state", 0, model_id="b", api_base=""),
    counter("litellm_deployment_failure_responses_total", 60, model_id="a"),  # 1/s
    counter("litellm_deployment_failure_responses_total", 30, model_id=""),  # no deployment: total only
    counter("litellm_deployment_total_requests_total", 60, model_id="a"),  # 1/s
    counter("litellm_deployment_total_requests_total", 120, model_id="b"),  # 2/s
    # gpt-4 latency: 10/s under 0.5 s, 20/s under 1 s, 20/s in all
    counter("litellm_request_total_latency_metric_bucket", 600, requested_model="gpt-4", le="0.5"),
    counter("litellm_request_total_latency_metric_bucket", 1200, requested_model="gpt-4", le="1"),
    counter("litellm_request_total_latency_metric_bucket", 1200, requested_model="gpt-4", le="+Inf"),
]
GPT4_BUCKETS = [(0.5, 10.0), (1.0, 20.0), (INF, 20.0)]
LITELLM_EXPECTED = {
    # gpt-4 2 + 1 = 3/s, local-llm 1/s, total 3 + 1 + 0.5 ("None") = 4.5/s
    "requests_per_s": {"gpt-4": 3.0, "local-llm": 1.0, "*": 4.5},
    # gpt-4 1 of 3, local-llm 0 of 1, total (1 + 0.5) of 4.5
    "error_ratio": {"gpt-4": 1 / 3, "local-llm": 0.0, "*": 1.5 / 4.5},
    # 0.05 USD/s = 180 USD/h; the health check's 10 USD/s is not spend
    "spend_usd_per_h": {"gpt-4": 3 / 60 * 3600, "local-llm": 0.0, "*": 3 / 60 * 3600},
    "tokens_per_s": {"gpt-4": 10.0, "local-llm": 2.0, "*": 12.0},
    # hits by deployment model: llama3 0.5 of 1; gpt-4 has no hits series, so no ratio; total 0.5 of 3
    "cache_hit_ratio": {"llama3": 0.5, "*": 0.5 / 3},
    "fallback_ratio": {"gpt-4": 0.5 / 3, "local-llm": 0.0, "*": 0.5 / 4.5},
    "in_flight": {"*": 3.0},
    "breaker_state": {"a": 2.0, "b": 0.0},  # worst across api_base
    "breaker_failure_rate": {"a": 1.0, "b": 0.0},
    # p50: rank 10 -> 0 + 0.5 * 10 / 10 = 0.5; p95: rank 19 -> 0.5 + 0.5 * (19 - 10) / (20 - 10) = 0.95
    "latency_p50_s": {"gpt-4": quantile(0.5, GPT4_BUCKETS), "*": quantile(0.5, GPT4_BUCKETS)},
    "latency_p95_s": {"gpt-4": quantile(0.95, GPT4_BUCKETS), "*": quantile(0.95, GPT4_BUCKETS)},
    "latency_p99_s": {"gpt-4": quantile(0.99, GPT4_BUCKETS), "*": quantile(0.99, GPT4_BUCKETS)},
}

OTEL_CALLS = "gen_ai_client_operation_duration_seconds_count"
OTEL_SERIES = [
    counter(OTEL_CALLS, 540, gen_ai_request_model="gpt-4", error_type="", gen_ai_provider_name="openai"),  # 9/s
    counter(OTEL_CALLS, 60, gen_ai_request_model="gpt-4", error_type="429", gen_ai_provider_name="openai"),  # 1/s
    counter(OTEL_CALLS, 120, gen_ai_request_model="claude", error_type="", gen_ai_system="anthropic"),  # 2/s
    counter("gen_ai_client_token_usage_sum", 1200, gen_ai_request_model="gpt-4", gen_ai_token_type="input", gen_ai_provider_name="openai"),
    counter("gen_ai_client_token_usage_sum", 600, gen_ai_request_model="claude", gen_ai_token_type="output", gen_ai_system="anthropic"),
    counter("gen_ai_usage_cost_USD_sum", 6, gen_ai_request_model="gpt-4"),  # 0.1 USD/s
]
OTEL_EXPECTED = {
    "requests_per_s": {"gpt-4": 10.0, "claude": 2.0, "*": 12.0},
    "error_ratio": {"gpt-4": 1 / 10, "claude": 0.0, "*": 1 / 12},
    "tokens_per_s": {"gpt-4": 20.0, "claude": 10.0, "*": 30.0},
    "spend_usd_per_h": {"gpt-4": 6 / 60 * 3600, "*": 6 / 60 * 3600},
}

SIM_SERIES = [
    counter("aiops_requests_total", 180, model="gpt-4", tier="tier_1", status="ok"),  # 3/s
    counter("aiops_requests_total", 60, model="gpt-4", tier="tier_1", status="error"),  # 1/s
    counter("aiops_requests_total", 120, model="llama", tier="tier_3", status="ok"),  # 2/s
    counter("aiops_fallback_total", 30, **{"from": "gpt-4", "to": "llama"}),  # 0.5/s
    counter("aiops_cache_hits_total", 120, model="gpt-4"),
    counter("aiops_cache_requests_total", 240, model="gpt-4"),
    gauge("aiops_queue_depth", 4),
    gauge("resilience4j_circuitbreaker_state", 0, name="gpt-4", state="closed"),
    gauge("resilience4j_circuitbreaker_state", 0, name="gpt-4", state="open"),
    gauge("resilience4j_circuitbreaker_state", 1, name="gpt-4", state="half_open"),
    gauge("resilience4j_circuitbreaker_state", 0, name="llama", state="closed"),
    gauge("resilience4j_circuitbreaker_state", 1, name="llama", state="forced_open"),
    gauge("resilience4j_circuitbreaker_failure_rate", 25, name="gpt-4"),
    gauge("resilience4j_circuitbreaker_failure_rate", -1, name="llama"),
]
SIM_EXPECTED = {
    "requests_per_s": {"gpt-4": 4.0, "llama": 2.0, "*": 6.0},
    "error_ratio": {"gpt-4": 0.25, "llama": 0.0, "*": 1 / 6},
    "fallback_ratio": {"gpt-4": 0.5 / 4, "llama": 0.0, "*": 0.5 / 6},  # counted by `from`
    "cache_hit_ratio": {"gpt-4": 0.5, "*": 0.5},
    "queue_depth": {"*": 4.0},
    "breaker_state": {"gpt-4": 1.0, "llama": 2.0},  # half open, forced open
    "breaker_failure_rate": {"gpt-4": 0.25},  # 25 % as a ratio; -1 means "not enough calls"
}

ENVOY_SERIES = [
    gauge("envoy_cluster_outlier_detection_ejections_active", 3, envoy_cluster_name="openai"),
    gauge("envoy_cluster_outlier_detection_ejections_active", 0, envoy_cluster_name="local"),
    counter("envoy_cluster_upstream_rq_xx", 60, envoy_cluster_name="openai", envoy_response_code_class="5"),
    counter("envoy_cluster_upstream_rq_xx", 180, envoy_cluster_name="openai", envoy_response_code_class="2"),
    counter("envoy_cluster_upstream_rq_xx", 60, envoy_cluster_name="local", envoy_response_code_class="2"),
]
ENVOY_EXPECTED = {
    "breaker_state": {"openai": 1.0, "local": 0.0},  # ejections clamp to 1: partial
    "breaker_failure_rate": {"openai": 0.25, "local": 0.0},
}

CASES = {
    "litellm": (["litellm"], LITELLM_SERIES, LITELLM_EXPECTED),
    "otel_genai": (["otel_genai"], OTEL_SERIES, OTEL_EXPECTED),
    "aiops_sim": (["aiops_sim", "resilience4j"], SIM_SERIES, SIM_EXPECTED),
    "envoy": (["envoy"], ENVOY_SERIES, ENVOY_EXPECTED),
}


def scrape(series, minute: int) -> list[Sample]:
    return [
        Sample(SeriesKey("gw", metric, make_labels(labels)), minute * 60.0, per_min * minute if kind == "counter" else per_min)
        for metric, labels, kind, per_min in series
    ]


@pytest.mark.parametrize("case", sorted(CASES))
def test_local_computation_gives_the_hand_computed_signals(case):
    profiles, series, expected = CASES[case]
    signals = signals_from_scrapes(scrape(series, 9), scrape(series, 10), "*")
    assert detect_profiles({s[0] for s in series}) == profiles
    assert set(signals) == set(expected)
    for signal, values in expected.items():
        assert signals[signal] == pytest.approx(values, rel=1e-12), signal


def promtool_spec(series, exprs: list[tuple[str, dict[str, float]]]) -> str:
    lines = ["rule_files: []", "evaluation_interval: 1m", "tests:", "  - interval: 1m", "    input_series:"]
    for metric, labels, kind, value in series:
        selector = metric + "{" + ",".join(f'{k}="{v}"' for k, v in labels.items()) + "}"
        values = f"0+{value:g}x10" if kind == "counter" else f"{value:g}x10"
        lines += [f"      - series: '{selector}'", f"        values: '{values}'"]
    lines.append("    promql_expr_test:")
    for expr, samples in exprs:
        lines += [f"      - expr: '{expr}'", "        eval_time: 10m", "        exp_samples:"]
        for labels, value in samples.items():
            lines += [f"          - labels: '{labels}'", f"            value: {value!r}"]
    return "\n".join(lines) + "\n"


@pytest.mark.prometheus
@pytest.mark.parametrize("case", sorted(CASES))
def test_prometheus_gives_the_same_numbers_for_the_signal_queries(case, tmp_path):
    from prom_required import require_binary

    promtool = require_binary("promtool")
    profiles, series, expected = CASES[case]
    queries = signal_queries(profiles)
    assert set(expected) <= set(queries)
    exprs = []
    for signal, values in expected.items():
        label = conventions.group_label(signal)
        exprs.append((queries[signal], {("{}" if g == "*" else f'{{{label}="{g}"}}'): v for g, v in values.items()}))
    if case == "otel_genai":
        # Old exporters say gen_ai_system, new ones gen_ai_provider_name: both group as "provider".
        exprs.append((promql("requests_per_s", "otel_genai", by="provider"), {'{provider="openai"}': 10.0, '{provider="anthropic"}': 2.0}))
    spec = tmp_path / f"{case}.yml"
    spec.write_text(promtool_spec(series, exprs))
    result = subprocess.run([promtool, "test", "rules", str(spec)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]

"""Local PromQL math: counters with resets, histogram_quantile exactly as Prometheus, and the signals
computed from two scrapes (the second built from the first by adding known increments)."""

from __future__ import annotations

import math
import subprocess
from pathlib import Path

import pytest

from aiops_tui.model import Sample, SeriesKey, make_labels
from aiops_tui.signals.prommath import (
    histogram_quantile,
    increase,
    increases,
    points_by_series,
    quantile_by,
    rate,
    rates_by,
    signals_from_scrapes,
)
from aiops_tui.sources.exposition import parse_exposition

FIXTURES = Path(__file__).parent.parent / "fixtures"
INF = math.inf


# --- increase and rate --------------------------------------------------------------------------

def test_increase_without_reset():
    assert increase([(0, 1.0), (10, 5.0), (20, 9.0)]) == 8.0  # 9 - 1


def test_increase_counts_from_zero_after_a_reset():
    # 10 -> 15 (+5), restart: 15 -> 3 counts as +3, then 3 -> 7 (+4): 5 + 3 + 4 = 12
    assert increase([(0, 10.0), (10, 15.0), (20, 3.0), (30, 7.0)]) == 12.0


def test_increase_skips_nan_and_needs_two_points():
    assert increase([(0, 1.0), (5, math.nan), (10, 4.0)]) == 3.0
    assert increase([(0, 5.0)]) == 0.0
    assert increase([]) == 0.0


def test_rate_uses_the_points_inside_the_left_open_window():
    points = [(0.0, 0.0), (15.0, 30.0), (30.0, 60.0), (45.0, 75.0), (60.0, 90.0)]
    # window (30, 60]: points at 45 and 60 -> (90 - 75) / (60 - 45) = 1.0 per second
    assert rate(points, 30.0) == 1.0
    # window (0, 60]: 15..60 -> (90 - 30) / 45
    assert rate(points, 60.0) == pytest.approx(60.0 / 45.0, rel=1e-12)
    # an explicit end: (15, 45] -> 30 and 45 -> (75 - 60) / 15 = 1.0
    assert rate(points, 30.0, end_ts=45.0) == 1.0


def test_rate_is_nan_without_two_points_or_time():
    assert math.isnan(rate([(0.0, 1.0)], 60.0))
    assert math.isnan(rate([], 60.0))
    assert math.isnan(rate([(5.0, 1.0), (5.0, 2.0)], 60.0))


def test_rate_survives_a_reset():
    # 100 -> 130 (+30), restart -> 6 (+6), -> 18 (+12): 48 over 30 s
    assert rate([(0.0, 100.0), (10.0, 130.0), (20.0, 6.0), (30.0, 18.0)], 60.0) == pytest.approx(1.6, rel=1e-12)


def test_a_reset_below_zero_adds_nothing():
    # a broken exporter: 10 -> 15 (+5), restart at -3 (+0, not -3), -3 -> 2 (+5): 10; Prometheus says 7
    assert increase([(0, 10.0), (10, 15.0), (20, -3.0), (30, 2.0)]) == 10.0
    # a series born negative between two scrapes starts from 0 at the previous scrape: 0 -> -4 is +0
    assert increase([(0, 0.0), (10, -4.0)]) == 0.0
    # over 20 s the rate is 0, not -0.2 per second
    assert rate([(0.0, 0.0), (10.0, 0.0), (20.0, -4.0)], 60.0) == 0.0


def test_spend_per_hour_of_a_counter_restarting_below_zero_is_zero_not_negative():
    spend = key("aiops_cost_usd_total", model="gpt-4", tier="tier_1")
    prev = [Sample(spend, T0, 2.0)]
    cur = [Sample(spend, T1, -5.0)]
    # Prometheus's arithmetic would give -5 USD in 10 s = -1,800 USD/h
    assert signals_from_scrapes(prev, cur, "aiops_sim")["spend_usd_per_h"] == {"*": 0.0, "gpt-4": 0.0}


# --- histogram_quantile -------------------------------------------------------------------------

# (name, q, [(le as written, cumulative count)], expected worked out by hand)
QUANTILE_CASES = [
    # rank 0.5 * 10 = 5 -> bucket le=0.5 (6), below it 0.1 (2): 0.1 + 0.4 * (5 - 2) / (6 - 2) = 0.4
    ("interpolates", 0.5, [("0.1", 2), ("0.5", 6), ("1", 8), ("+Inf", 10)], 0.4),
    # rank 9 falls in +Inf: the second-highest bound, 1
    ("inf_bucket", 0.9, [("0.1", 2), ("0.5", 6), ("1", 8), ("+Inf", 10)], 1.0),
    # lowest bucket with le > 0 interpolates from 0: rank 1 of 4 -> 0 + 2 * 1 / 4 = 0.5
    ("from_zero", 0.25, [("2", 4), ("+Inf", 4)], 0.5),
    # lowest bucket with le <= 0 returns its bound
    ("le_zero", 0.5, [("0", 3), ("1", 4), ("+Inf", 4)], 0.0),
    ("le_negative", 0.5, [("-1", 3), ("1", 4), ("+Inf", 4)], -1.0),
    # buckets out of order and "1" / "1.0" merged: (0.5, 2), (1, 5), (+Inf, 10);
    # rank 3 -> 0.5 + 0.5 * (3 - 2) / (5 - 2) = 0.5 + 1/6
    ("unsorted_and_merged", 0.3, [("+Inf", 10), ("1", 3), ("0.5", 2), ("1.0", 2)], 0.5 + 0.5 / 3),
    # counts forced monotonic: (1, 5), (2, 5), (+Inf, 6); rank 3 -> 0 + 1 * 3 / 5 = 0.6
    ("non_monotonic", 0.5, [("1", 5), ("2", 3), ("+Inf", 6)], 0.6),
    # q = 1: rank 4 -> le=2 (4), below it 1 (2): 1 + 1 * (4 - 2) / (4 - 2) = 2
    ("q_one", 1.0, [("1", 2), ("2", 4), ("+Inf", 4)], 2.0),
    ("q_zero", 0.0, [("1", 2), ("2", 4), ("+Inf", 4)], 0.0),
    ("q_below_zero", -0.5, [("1", 2), ("+Inf", 4)], -INF),
    ("q_above_one", 1.5, [("1", 2), ("+Inf", 4)], INF),
    ("no_observations", 0.5, [("1", 0), ("+Inf", 0)], math.nan),
    ("no_inf_bucket", 0.5, [("1", 2), ("2", 4)], math.nan),
    ("only_inf_bucket", 0.5, [("+Inf", 4)], math.nan),
    # q = 0 with an empty lowest bucket: rank 0 lands there and Prometheus divides 0 by 0
    ("q_zero_empty_lowest", 0.0, [("1", 0), ("2", 4), ("+Inf", 4)], math.nan),
]


@pytest.mark.parametrize("name,q,buckets,expected", QUANTILE_CASES, ids=[c[0] for c in QUANTILE_CASES])
def test_histogram_quantile_edge_cases(name, q, buckets, expected):
    got = histogram_quantile(q, [(float(le), float(count)) for le, count in buckets])
    if math.isnan(expected):
        assert math.isnan(got)
    else:
        assert got == pytest.approx(expected, rel=1e-12)


def test_histogram_quantile_nan_q():
    assert math.isnan(histogram_quantile(math.nan, [(1.0, 1.0), (INF, 1.0)]))


@pytest.mark.prometheus
def test_histogram_quantile_matches_prometheus_bit_for_bit(tmp_path):
    """Every case above through Debian's promtool: Prometheus must compute the very same float."""
    from prom_required import require_binary

    promtool = require_binary("promtool")
    series, tests = [], []
    for name, q, buckets, _ in QUANTILE_CASES:
        for le, count in buckets:
            series.append(f"      - series: 'h_bucket{{case=\"{name}\",le=\"{le}\"}}'\n        values: '{count}x2'\n")
        mine = histogram_quantile(q, [(float(le), float(c)) for le, c in buckets])
        expr = f'histogram_quantile({q!r}, h_bucket{{case="{name}"}})'
        if math.isnan(mine):
            # NaN never equals NaN, so ask Prometheus whether its answer differs from itself.
            expr, value = f"{expr} != bool {expr}", "1"
        else:
            value = {INF: ".inf", -INF: "-.inf"}.get(mine, repr(mine))
        tests.append(
            f"      - expr: '{expr}'\n        eval_time: 1m\n        exp_samples:\n"
            f"          - labels: '{{case=\"{name}\"}}'\n            value: {value}\n"
        )
    spec = tmp_path / "quantiles.yml"
    spec.write_text(
        "rule_files: []\nevaluation_interval: 1m\ntests:\n  - interval: 1m\n    input_series:\n"
        + "".join(series) + "    promql_expr_test:\n" + "".join(tests)
    )
    result = subprocess.run([promtool, "test", "rules", str(spec)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


# --- many series --------------------------------------------------------------------------------

def key(name: str, **labels: str) -> SeriesKey:
    return SeriesKey("gw", name, make_labels(labels))


def test_points_by_series_starts_new_series_at_zero_from_the_previous_scrape():
    a, b = key("req_total", model="a"), key("req_total", model="b")
    scrapes = [[Sample(a, 100.0, 5.0)], [Sample(a, 110.0, 7.0), Sample(b, 110.0, 3.0)]]
    assert points_by_series(scrapes) == {a: [(100.0, 5.0), (110.0, 7.0)], b: [(100.0, 0.0), (110.0, 3.0)]}
    assert points_by_series(scrapes, new_series_from_zero=False)[b] == [(110.0, 3.0)]


def test_rates_by_sums_per_label_and_keeps_unlabelled_series_in_the_total():
    points = {
        key("req_total", model="a", code="200"): [(0.0, 0.0), (10.0, 20.0)],  # 2/s
        key("req_total", model="a", code="500"): [(0.0, 5.0), (10.0, 15.0)],  # 1/s
        key("req_total", model="b"): [(0.0, 50.0), (10.0, 5.0)],  # reset: +5 -> 0.5/s
        key("req_total"): [(0.0, 0.0), (10.0, 10.0)],  # 1/s, no model
    }
    # a: 2 + 1 = 3; b: 0.5; total 3 + 0.5 + 1 = 4.5
    assert rates_by(points, "model") == {"*": 4.5, "a": 3.0, "b": 0.5}


def test_quantile_by_sums_buckets_per_label_before_the_quantile():
    incs = {}
    # two instances of model a: never average their quantiles, add their buckets
    for instance, (c1, c2) in {"i1": (8, 10), "i2": (0, 10)}.items():
        incs[key("lat_bucket", model="a", instance=instance, le="1")] = c1
        incs[key("lat_bucket", model="a", instance=instance, le="2")] = c2
        incs[key("lat_bucket", model="a", instance=instance, le="+Inf")] = c2
    for le in ("1", "2", "+Inf"):
        incs[key("lat_bucket", model="b", le=le)] = 0.0
    got = quantile_by(0.5, incs, "model")
    # a: (1, 8), (2, 20), (+Inf, 20); rank 10 -> 1 + 1 * (10 - 8) / (20 - 8) = 1 + 1/6
    assert got["a"] == pytest.approx(1 + 1 / 6, rel=1e-12)
    assert got["*"] == pytest.approx(1 + 1 / 6, rel=1e-12)
    assert math.isnan(got["b"])  # no traffic: NaN, not 0
    # (averaging the per-instance medians would have said (0.625 + 1.5) / 2 = 1.0625)
    assert increases({key("x"): [(0.0, 1.0), (1.0, 3.0)]}) == {key("x"): 2.0}


# --- signals from two scrapes -------------------------------------------------------------------

T0, T1 = 1_000.0, 1_010.0  # ten seconds apart


def bump(samples: list[Sample], ts: float, changes: list[tuple[str, dict[str, str], float]], *, extra=()) -> list[Sample]:
    """The next scrape: every sample at `ts`, `changes` added to the series whose labels include the given ones."""
    out = []
    used = [0] * len(changes)
    for s in samples:
        value = s.value
        for i, (name, where, delta) in enumerate(changes):
            if s.key.name == name and all(s.key.label(k) == v for k, v in where.items()):
                value += delta
                used[i] += 1
        out.append(Sample(s.key, ts, value))
    assert all(used), f"a change matched no series: {[c for c, n in zip(changes, used) if not n]}"
    return out + [Sample(SeriesKey(samples[0].key.source, n, make_labels(l)), ts, v) for n, l, v in extra]


@pytest.fixture(scope="module")
def litellm_prev() -> list[Sample]:
    return parse_exposition((FIXTURES / "litellm-1.108.7-metrics.txt").read_text(), source="gw", ts=T0)


LATENCY = "litellm_request_total_latency_metric_bucket"
# 40 new gpt-4 requests, cumulative per bucket bound
GPT4_LATENCY_INCREMENTS = {"0.025": 10, "0.05": 20, "0.1": 30, "0.25": 40, "0.5": 40, "1.0": 40, "2.0": 40, "5.0": 40,
                           "10.0": 40, "30.0": 40, "60.0": 40, "120.0": 40, "300.0": 40, "420.0": 40, "600.0": 40, "+Inf": 40}


def test_the_scrapes_of_two_gateways_taken_apart_in_time_are_each_rated_over_their_own_interval():
    spend_a = key("aiops_cost_usd_total", model="gpt-4", tier="tier_1")
    spend_b = SeriesKey("gw-b", "aiops_cost_usd_total", spend_a.labels)
    new_in_a = key("aiops_cost_usd_total", model="claude", tier="tier_2")
    # gw-b's scrapes are 6 s later than gw-a's; claude's counter is born between gw-a's two scrapes
    prev = [Sample(spend_a, T0, 1.0), Sample(spend_b, T0 + 6, 1.0)]
    cur = [Sample(spend_a, T1, 2.0), Sample(new_in_a, T1, 1.0), Sample(spend_b, T1 + 6, 3.0)]
    per_h = 3600 / (T1 - T0)
    # gpt-4: 1 USD on gw-a and 2 on gw-b, each over 10 s; claude from 0 at gw-a's own previous scrape
    assert signals_from_scrapes(prev, cur, "aiops_sim")["spend_usd_per_h"] == pytest.approx(
        {"*": 4 * per_h, "gpt-4": 3 * per_h, "claude": per_h}, rel=1e-12,
    )


def test_histograms_of_two_conventions_with_other_bounds_are_merged_bound_by_bound():
    # gw-a (LiteLLM): 10 requests under 1 s and 10 more under 2 s; gw-b (OTel GenAI): 10 under 1.5 s.
    litellm = {"1.0": 10.0, "2.0": 20.0, "+Inf": 20.0}
    otel = {"1.5": 10.0, "+Inf": 10.0}
    prev = [Sample(SeriesKey("gw-a", LATENCY, make_labels({"requested_model": "m", "le": le})), T0, 0.0) for le in litellm]
    prev += [Sample(SeriesKey("gw-b", "gen_ai_client_operation_duration_seconds_bucket",
                              make_labels({"gen_ai_request_model": "m", "le": le})), T0 + 3, 0.0) for le in otel]
    cur = [Sample(s.key, s.ts + 10, (litellm if s.key.source == "gw-a" else otel)[s.key.label("le")]) for s in prev]
    p50 = signals_from_scrapes(prev, cur, "*")["latency_p50_s"]
    # Read at every bound: gw-a at 1.5 s is 15 (halfway up its bucket), gw-b at 1 s is 6.67 and at 2 s all 10.
    # Together: 16.67 at 1 s, 25 at 1.5 s, 30 at 2 s. Rank 15 of 30 is under 1 s: 15 / 16.67 of it, 0.9 s.
    # Summed as they are (10, 10, 20, 30) the bounds would put it at 1.75 s.
    assert p50 == pytest.approx({"*": 0.9, "m": 0.9}, rel=1e-9)


@pytest.fixture(scope="module")
def litellm_signals(litellm_prev):
    changes = [
        ("litellm_proxy_total_requests_metric_total", {"model_id": "gpt4-primary"}, 30.0),
        ("litellm_proxy_total_requests_metric_total", {"model_id": "gpt4-secondary-429"}, 5.0),
        ("litellm_proxy_total_requests_metric_total", {"status_code": "None"}, 5.0),
        ("litellm_proxy_total_requests_metric_total", {"model_id": "local-llama"}, 10.0),
        ("litellm_proxy_failed_requests_metric_total", {"exception_status": "429"}, 5.0),
        ("litellm_proxy_failed_requests_metric_total", {"exception_class": "ValueError"}, 5.0),
        ("litellm_spend_metric_total", {"model": "gpt-4"}, 0.25),
        ("litellm_total_tokens_metric_total", {"model": "gpt-4"}, 1000.0),
        # local-llama restarted its counter: 14 -> 6
        ("litellm_total_tokens_metric_total", {"model": "llama3"}, -8.0),
        ("litellm_requests_metric_total", {"model": "gpt-4"}, 30.0),
        ("litellm_requests_metric_total", {"model": "llama3"}, 10.0),
        ("litellm_in_flight_requests", {}, 2.0),
        ("litellm_deployment_failure_responses_total", {"model_id": "gpt4-secondary-429"}, 5.0),
        ("litellm_deployment_total_requests_total", {"model_id": "gpt4-primary"}, 30.0),
        ("litellm_deployment_total_requests_total", {"model_id": "gpt4-secondary-429"}, 5.0),
        ("litellm_deployment_total_requests_total", {"model_id": "local-llama"}, 10.0),
        *[(LATENCY, {"requested_model": "gpt-4", "le": le}, float(n)) for le, n in GPT4_LATENCY_INCREMENTS.items()],
    ]
    new_series = [
        # created between the scrapes: counted from 0
        ("litellm_proxy_total_requests_metric_total", {"requested_model": "claude", "status_code": "200"}, 3.0),
        ("litellm_spend_metric_total", {"requested_model": "gpt-4", "team": "litellm-internal-health-check"}, 5.0),
        ("litellm_deployment_successful_fallbacks_total", {"requested_model": "gpt-4", "fallback_model": "local-llm"}, 2.0),
        ("litellm_cache_hits_metric_total", {"model": "llama3"}, 4.0),
    ]
    cur = bump(litellm_prev, T1, changes, extra=new_series)
    return signals_from_scrapes(litellm_prev, cur, "litellm")


def test_litellm_traffic_and_errors_from_two_scrapes(litellm_signals):
    # gpt-4: (30 + 5 + 5) / 10 s = 4; local-llm 10 / 10 = 1; claude (new) 3 / 10 = 0.3; total 5.3
    assert litellm_signals["requests_per_s"] == pytest.approx({"*": 5.3, "gpt-4": 4.0, "local-llm": 1.0, "claude": 0.3}, rel=1e-12)
    # gpt-4 failed (5 + 5) / 10 = 1 per s of 4 -> 0.25; local-llm and claude no failures -> 0; total 1 / 5.3
    assert litellm_signals["error_ratio"] == pytest.approx(
        {"*": 1.0 / 5.3, "gpt-4": 0.25, "local-llm": 0.0, "claude": 0.0}, rel=1e-12,
    )
    # fallbacks: 2 new / 10 s = 0.2 per s of gpt-4's 4 -> 0.05
    assert litellm_signals["fallback_ratio"] == pytest.approx(
        {"*": 0.2 / 5.3, "gpt-4": 0.05, "local-llm": 0.0, "claude": 0.0}, rel=1e-12,
    )


def test_litellm_latency_quantiles_from_bucket_increases(litellm_signals):
    # gpt-4's 40 new requests, cumulative: 0.025 -> 10, 0.05 -> 20, 0.1 -> 30, 0.25 -> 40
    # p50: rank 20 -> le 0.05 (20), below 0.025 (10): 0.025 + 0.025 * 10 / 10 = 0.05
    # p95: rank 38 -> le 0.25 (40), below 0.1 (30): 0.1 + 0.15 * 8 / 10 = 0.22
    # p99: rank 39.6 -> 0.1 + 0.15 * 9.6 / 10 = 0.244
    for signal, expected in (("latency_p50_s", 0.05), ("latency_p95_s", 0.22), ("latency_p99_s", 0.244)):
        got = litellm_signals[signal]
        assert got["gpt-4"] == pytest.approx(expected, rel=1e-12)
        assert got["*"] == pytest.approx(expected, rel=1e-12)  # local-llm had no traffic to add
        assert math.isnan(got["local-llm"])  # "no traffic", not 0


def test_litellm_spend_tokens_cache_and_saturation(litellm_signals):
    # 0.25 USD in 10 s = 0.025 USD/s = 90 USD/h; the health check's 5 USD is not user spend
    assert litellm_signals["spend_usd_per_h"] == pytest.approx({"*": 90.0, "gpt-4": 90.0, "local-llm": 0.0}, rel=1e-12)
    # gpt-4 +1000 -> 100/s; llama3 reset 14 -> 6 counts +6 -> 0.6/s
    assert litellm_signals["tokens_per_s"] == pytest.approx({"*": 100.6, "gpt-4": 100.0, "local-llm": 0.6}, rel=1e-12)
    # cache hits by deployment model: llama3 4 hits of 10 requests; gpt-4 has no hits series (absent)
    assert litellm_signals["cache_hit_ratio"] == pytest.approx({"*": 4.0 / 40.0, "llama3": 0.4}, rel=1e-12)
    assert litellm_signals["in_flight"] == {"*": 3.0}  # 1 + 2
    assert "queue_depth" not in litellm_signals  # LiteLLM has no queue gauge


def test_litellm_breakers_per_deployment(litellm_signals):
    # worst state per model_id; no "*" for breakers
    assert litellm_signals["breaker_state"] == {"gpt4-primary": 0.0, "gpt4-secondary-429": 2.0, "local-llama": 0.0}
    # secondary: 5 failures of 5 requests; primary 0 of 30; local 0 of 10 (the ValueError row has no model_id)
    assert litellm_signals["breaker_failure_rate"] == {"gpt4-primary": 0.0, "gpt4-secondary-429": 1.0, "local-llama": 0.0}


def test_first_scrape_alone_gives_only_gauges(litellm_prev):
    assert signals_from_scrapes([], litellm_prev, "litellm") == {
        "in_flight": {"*": 1.0},
        "breaker_state": {"gpt4-primary": 0.0, "gpt4-secondary-429": 2.0, "local-llama": 0.0},
    }


def test_otel_signals_and_profile_detection():
    prev = parse_exposition((FIXTURES / "otel-genai-metrics.txt").read_text(), source="gw", ts=T0)
    count = "gen_ai_client_operation_duration_seconds_count"
    cur = bump(prev, T1, [
        (count, {"error_type": ""}, 18.0),
        (count, {"error_type": "429"}, 2.0),
        ("gen_ai_client_token_usage_sum", {"gen_ai_token_type": "input"}, 300.0),
        ("gen_ai_client_token_usage_sum", {"gen_ai_token_type": "output"}, 700.0),
        ("gen_ai_usage_cost_USD_sum", {}, 0.5),
    ])
    signals = signals_from_scrapes(prev, cur, "*")  # "*": detect from the names
    assert signals["requests_per_s"] == pytest.approx({"*": 2.0, "gpt-4": 2.0}, rel=1e-12)  # 20 / 10 s
    assert signals["error_ratio"] == pytest.approx({"*": 0.1, "gpt-4": 0.1}, rel=1e-12)  # 2 of 20
    assert signals["tokens_per_s"] == pytest.approx({"*": 100.0, "gpt-4": 100.0}, rel=1e-12)  # 1000 / 10 s
    assert signals["spend_usd_per_h"] == pytest.approx({"*": 180.0, "gpt-4": 180.0}, rel=1e-12)  # 0.05/s * 3600
    # no bucket moved: latency is "no traffic"
    assert math.isnan(signals["latency_p95_s"]["gpt-4"])
    assert "breaker_state" not in signals


def sim_scrape(ts: float, values: dict[tuple[str, tuple[tuple[str, str], ...]], float]) -> list[Sample]:
    return [Sample(SeriesKey("sim", name, labels), ts, v) for (name, labels), v in values.items()]


def test_sim_with_resilience4j_breakers():
    def series(metric, /, **labels):
        return (metric, make_labels(labels))

    base = {
        series("aiops_requests_total", model="gpt-4", tier="tier_1", status="ok"): 100.0,
        series("aiops_requests_total", model="gpt-4", tier="tier_1", status="error"): 10.0,
        series("aiops_requests_total", model="llama", tier="tier_3", status="ok"): 50.0,
        series("aiops_fallback_total", **{"from": "gpt-4", "to": "llama"}): 4.0,
        series("aiops_cost_usd_total", model="gpt-4", tier="tier_1"): 2.0,
        series("aiops_queue_depth"): 7.0,
        series("resilience4j_circuitbreaker_state", name="gpt-4", state="closed"): 0.0,
        series("resilience4j_circuitbreaker_state", name="gpt-4", state="open"): 1.0,
        series("resilience4j_circuitbreaker_state", name="gpt-4", state="half_open"): 0.0,
        series("resilience4j_circuitbreaker_state", name="llama", state="closed"): 1.0,
        series("resilience4j_circuitbreaker_state", name="llama", state="open"): 0.0,
        series("resilience4j_circuitbreaker_failure_rate", name="gpt-4"): 62.5,
        series("resilience4j_circuitbreaker_failure_rate", name="llama"): -1.0,
    }
    later = dict(base)
    later[series("aiops_requests_total", model="gpt-4", tier="tier_1", status="ok")] += 30.0
    later[series("aiops_requests_total", model="gpt-4", tier="tier_1", status="error")] += 10.0
    later[series("aiops_requests_total", model="llama", tier="tier_3", status="ok")] += 20.0
    later[series("aiops_fallback_total", **{"from": "gpt-4", "to": "llama"})] += 8.0
    later[series("aiops_cost_usd_total", model="gpt-4", tier="tier_1")] += 0.1
    signals = signals_from_scrapes(sim_scrape(T0, base), sim_scrape(T1, later), "*")
    # gpt-4 40 / 10 s = 4/s, llama 2/s; errors 10 of gpt-4's 40 -> 0.25; total 10 of 60
    assert signals["requests_per_s"] == pytest.approx({"*": 6.0, "gpt-4": 4.0, "llama": 2.0}, rel=1e-12)
    assert signals["error_ratio"] == pytest.approx({"*": 1 / 6, "gpt-4": 0.25, "llama": 0.0}, rel=1e-12)
    # fallbacks counted by `from`: 8 of gpt-4's 40 -> 0.2
    assert signals["fallback_ratio"] == pytest.approx({"*": 8 / 60, "gpt-4": 0.2, "llama": 0.0}, rel=1e-12)
    assert signals["spend_usd_per_h"] == pytest.approx({"*": 36.0, "gpt-4": 36.0}, rel=1e-12)  # 0.01/s * 3600
    assert signals["queue_depth"] == {"*": 7.0}
    # open -> 2, closed -> 0; failure rate 62.5 % -> 0.625, and -1 ("not enough calls") dropped
    assert signals["breaker_state"] == {"gpt-4": 2.0, "llama": 0.0}
    assert signals["breaker_failure_rate"] == {"gpt-4": 0.625}

"""One real Prometheus scraping two real gateways of different conventions: the demo gateway as LiteLLM
and as an OTel GenAI exporter. The fleet's signals are both gateways', each read through its own
convention; a gateway that speaks two conventions of one traffic (LiteLLM and the sim's own) is
counted once.

Skipped with a one-line reason where Debian's prometheus is missing; CI requires it.
"""

from __future__ import annotations

import asyncio
import math
import time

import httpx
import pytest

from aiops_tui.config import PrometheusConfig
from aiops_tui.sim.server import SimServer
from aiops_tui.sources import conventions
from aiops_tui.sources.prometheus import PrometheusSource, merged_quantile_samples
from prom_harness import PromServer

pytestmark = pytest.mark.prometheus

WINDOW = "20s"
PROFILES = ["litellm", "otel_genai", "aiops_sim", "resilience4j"]


def value_at(prom: PromServer, promql: str, at: float) -> dict[tuple[tuple[str, str], ...], float]:
    """An instant query at one moment: labels -> value."""
    answer = httpx.get(f"{prom.url}/api/v1/query", params={"query": promql, "time": f"{at:.3f}"}, timeout=10).json()
    assert answer["status"] == "success", answer
    return {tuple(sorted(item["metric"].items())): float(item["value"][1]) for item in answer["data"]["result"]}


def total(prom: PromServer, promql: str, at: float) -> float:
    return value_at(prom, promql, at)[()]


def own(signal: str, profile: str, window: str = WINDOW) -> str:
    """The signal's total through one convention alone."""
    return conventions.promql(signal, profile, window, by=None)


@pytest.fixture(scope="module")
def mixed(tmp_path_factory):
    with SimServer(seed=7) as litellm, SimServer(seed=8, convention="otel") as otel:
        httpx.post(f"{otel.url}/faults", json={"fault": "upstream_outage", "target": "openai/gpt-4o", "duration_s": 300},
                   timeout=5).raise_for_status()
        targets = [f"127.0.0.1:{litellm.port}", f"127.0.0.1:{otel.port}"]
        with PromServer(tmp_path_factory.mktemp("prom"), targets) as prom:
            for metric in ("litellm_proxy_total_requests_metric_total", "gen_ai_client_operation_duration_seconds_count"):
                prom.wait_for(f"count(count_over_time({metric}[1m]) >= 22)", bool, 40)
            yield prom


def test_the_fleets_traffic_cost_and_tokens_are_both_gateways_each_through_its_own_convention(mixed):
    prom = mixed
    at = time.time() - 1.0
    queries = conventions.signal_queries(PROFILES, window=WINDOW)
    for signal in ("requests_per_s", "spend_usd_per_h", "tokens_per_s"):
        litellm, otel = total(prom, own(signal, "litellm"), at), total(prom, own(signal, "otel_genai"), at)
        assert litellm > 0 and otel > 0, signal
        # The LiteLLM gateway also counts its traffic as the sim's own (`aiops_*`): read once, through LiteLLM.
        assert total(prom, queries[signal], at) == pytest.approx(litellm + otel, rel=1e-9), signal


def test_the_fleets_error_ratio_weighs_each_gateways_errors_by_its_traffic(mixed):
    prom = mixed
    # A new error series counts from its second scrape: wait for the breaker's probes to fail again.
    prom.wait_for('sum(rate(gen_ai_client_operation_duration_seconds_count{error_type!=""}[1m])) > 0', bool, 90)
    time.sleep(1.5)
    at = time.time() - 1.0  # every scrape up to then is in: each query reads the same samples
    fleet = total(prom, conventions.signal_queries(PROFILES, window="1m")["error_ratio"], at)
    traffic = {p: total(prom, own("requests_per_s", p, "1m"), at) for p in ("litellm", "otel_genai")}
    errors = {p: total(prom, own("error_ratio", p, "1m"), at) * traffic[p] for p in traffic}
    assert errors["otel_genai"] > 0  # its upstream is down
    assert fleet == pytest.approx(sum(errors.values()) / sum(traffic.values()), rel=1e-9)


def test_the_fleets_quantiles_come_from_both_gateways_histograms_and_its_breakers_from_both(mixed):
    prom = mixed
    source = PrometheusSource(PrometheusConfig(prom.url, {}, None, True, 1.0, 5.0, "auto", {}), window=WINDOW)
    batch = asyncio.run(source.poll())
    assert batch.ok, batch.error
    assert source.profiles == PROFILES
    got = {(s.key.name.removeprefix("signal:"), s.key.labels): s.value for s in batch.samples}
    at = time.time()
    for signal in ("latency_p50_s", "latency_p95_s", "latency_p99_s"):
        each = sorted(total(prom, own(signal, p), at) for p in ("litellm", "otel_genai"))
        # Two gateways' latencies mixed: the fleet's quantile lies between theirs (their buckets differ, so
        # each histogram is read at the other's bounds: a little slack at the ends).
        assert each[0] * 0.95 <= got[(signal, ())] <= each[1] * 1.05, (signal, each, got[(signal, ())])
    for model in ("gpt-4o-mini", "claude-3-5-haiku"):  # both gateways serve them
        assert got[("latency_p95_s", (("model", model),))] > 0
    requests = got[("requests_per_s", ())]
    both = sum(total(prom, own("requests_per_s", p), at) for p in ("litellm", "otel_genai"))
    assert requests == pytest.approx(both, rel=0.2)  # read a moment apart: a scrape may land between
    states = {dict(labels)["upstream"]: value for (signal, labels), value in got.items() if signal == "breaker_state"}
    # The OTel gateway's breaker is open or probing: resilience4j names it by its upstream. The LiteLLM
    # gateway's are read through LiteLLM alone (named by deployment id), though it exposes resilience4j's too.
    assert states["openai/gpt-4o"] >= 1.0 and states["tier1-gpt-4o"] == 0.0


def test_a_gap_filled_from_prometheus_merges_each_steps_buckets_as_a_poll_then_would(mixed):
    prom = mixed
    source = PrometheusSource(PrometheusConfig(prom.url, {}, None, True, 1.0, 5.0, "auto", {}), window=WINDOW)
    end = float(math.floor(time.time()) - 1)
    batches, unread = asyncio.run(source.past([(end - 5, end, 1.0)]))
    assert unread is None
    assert [batch.ts for batch in batches] == [end - 5 + n for n in range(6)]
    merged = conventions.bucket_queries(source.profiles, {}, window=WINDOW)
    assert sorted(merged) == ["latency_p50_s", "latency_p95_s", "latency_p99_s"]
    for batch in (batches[0], batches[-1]):
        got = {(s.key.name, s.key.labels): s.value for s in batch.samples}
        # Each convention's buckets as an instant query at that step returns them, merged as a poll merges them.
        answers = {text: [{"metric": dict(labels), "value": [batch.ts, repr(value)]}
                          for labels, value in value_at(prom, text, batch.ts).items()]
                   for spec in merged.values() for text, _ in spec.parts}
        expected = merged_quantile_samples(merged, answers, ts=batch.ts)
        assert {s.key.labels for s in expected} >= {(), (("model", "gpt-4o-mini"),)}
        assert {s.key.name for s in expected} == {f"signal:{signal}" for signal in merged}
        for sample in expected:
            assert got[(sample.key.name, sample.key.labels)] == pytest.approx(sample.value, rel=1e-9, nan_ok=True)

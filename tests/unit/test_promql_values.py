"""Values beside a runbook's promql blocks: filled queries go to the configured Prometheus only, and
every answer (data, none, errors, silence) comes back as one short line."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

from aiops_tui.config import PrometheusConfig
from aiops_tui.model import Batch, Sample
from aiops_tui.signals.runbooks import load_runbook
from aiops_tui.sources.promql_values import NEEDS_PROMETHEUS, filled_queries, format_value, instant_values, local_values
from aiops_tui.store.history import History
from history_builders import T0, key
from loopback import Answer, ScriptedServer, SilentServer, closed_port

RUNBOOK = Path(__file__).resolve().parents[2] / "runbooks" / "llm-circuit-breaker-open.md"


def prom_cfg(url: str, *, token_env: str | None = None) -> PrometheusConfig:
    return PrometheusConfig(url, {"X-Scope-OrgID": "tenant-1"}, token_env, True, 15.0, 2.0, "auto", {})


def vector(*values: str, result_type: str = "vector") -> Answer:
    result = [{"metric": {"name": f"s{i}"}, "value": [T0, v]} for i, v in enumerate(values)]
    body = {"status": "success", "data": {"resultType": result_type, "result": result}}
    return Answer(200, json.dumps(body).encode(), "application/json")


def answer_for(query: str, answer: Answer) -> tuple[str, Answer]:
    return f"/api/v1/query?{urlencode({'query': query})}", answer


def sent_queries(server: ScriptedServer) -> list[str]:
    out = []
    for path, _ in server.requests:
        parts = urlsplit(path)
        assert parts.path == "/api/v1/query"
        out.append(parse_qs(parts.query)["query"][0])
    return out


async def test_the_filled_query_goes_to_the_configured_prometheus_with_its_headers():
    runbook = load_runbook(RUNBOOK)
    (query,) = filled_queries(runbook.promql_blocks[:1], runbook, {"upstream": "openai/gpt-4o"})
    assert query == 'resilience4j_circuitbreaker_state{name="openai/gpt-4o"} == 1'
    with ScriptedServer() as server:
        server.answers["/api/v1/query"] = vector("0.17", "0.42", "0.05")
        (result,) = await instant_values(prom_cfg(server.url, token_env="PROM_TOKEN"), [query], 2.0, env={"PROM_TOKEN": "s3cret"})
    assert (result.text, result.ok, result.values) == ("3 series by name: 0.42 (s1), 0.17 (s0), 0.05 (s2)", True,
                                                       (0.42, 0.17, 0.05))
    assert sent_queries(server) == [query]
    headers = server.requests[0][1]
    assert headers["Authorization"] == "Bearer s3cret" and headers["X-Scope-OrgID"] == "tenant-1"


async def test_a_label_value_cannot_break_out_of_its_promql_string():
    runbook = load_runbook(RUNBOOK)
    (query,) = filled_queries(runbook.promql_blocks[:1], runbook, {"upstream": 'x"} or vector(1) #'})
    assert query == 'resilience4j_circuitbreaker_state{name="x\\"} or vector(1) #"} == 1'
    with ScriptedServer() as server:
        server.answers["/api/v1/query"] = vector()
        (result,) = await instant_values(prom_cfg(server.url), [query], 2.0)
    assert result.text == "no data"
    assert sent_queries(server) == [query]


async def test_each_answer_is_one_short_line_and_unfilled_queries_are_not_sent():
    many, scalar, bad, html = "up", "scalar(up)", "sum(", "rate(up[5m])"
    parse_error = {"status": "error", "errorType": "bad_data", "error": "1:5: parse error:\n unexpected end of input"}
    with ScriptedServer() as server:
        server.answers.update([
            answer_for(many, vector(*[str(n) for n in range(1, 13)])),
            answer_for(scalar, Answer(200, b'{"status":"success","data":{"resultType":"scalar","result":[1,"0.5"]}}')),
            answer_for(bad, Answer(400, json.dumps(parse_error).encode(), "application/json")),
            answer_for(html, Answer(502, b"<html>Bad Gateway</html>", "text/html")),
        ])
        results = await instant_values(prom_cfg(server.url), [many, scalar, bad, html, 'x{name="$UPSTREAM"}', ""], 2.0)
    assert [(r.text, r.ok) for r in results] == [
        ("12 series by name: 12 (s11), 11 (s10), 10 (s9), …", True),
        ("scalar: 0.5", True),
        ("bad_data: 1:5: parse error: unexpected end of input", False),
        ("error: HTTP 502, not a Prometheus API answer", False),
        ("needs $UPSTREAM (open the runbook from an alert)", False),
        ("empty query", False),
    ]
    assert sorted(sent_queries(server)) == sorted([many, scalar, bad, html])  # sent concurrently


async def test_an_unreachable_or_silent_prometheus_reads_as_an_error_not_a_crash():
    (refused,) = await instant_values(prom_cfg(f"http://127.0.0.1:{closed_port()}"), ["up"], 1.0)
    assert (refused.text, refused.ok) == ("error: cannot connect to Prometheus", False)
    with SilentServer() as silent:
        (stalled,) = await instant_values(prom_cfg(silent.url), ["up"], 0.3)
    assert (stalled.text, stalled.ok) == ("error: timed out", False)


def test_without_prometheus_a_bare_aiops_series_or_its_plain_aggregate_has_a_value(tmp_path):
    with History.open(tmp_path / "h.duckdb") as history:
        history.write_cycle([Batch("gw", T0, [
            Sample(key("aiops_queue_depth", batcher="a"), T0, 3.0),
            Sample(key("aiops_queue_depth", batcher="b"), T0, 7.0),
            Sample(key("aiops_queue_depth", batcher="c"), T0, float("nan")),
        ])])
        queries = ["aiops_queue_depth", "aiops_budget_monthly_usd", "max(aiops_queue_depth)", "min( aiops_queue_depth )",
                   "count(aiops_queue_depth)", "sum(aiops_queue_depth)", "max(aiops_budget_monthly_usd)",
                   "max by (batcher) (aiops_queue_depth)", "sum(rate(aiops_queue_depth[5m]))"]
        results = local_values(history, queries, at=T0 + 10)
    assert [(r.text, r.ok) for r in results] == [
        ("3 series by batcher: 7 (b), 3 (a), NaN (c)", True),
        ("no data", True),
        ("1 series: 7", True),  # max and min pass over NaN, as PromQL's do
        ("1 series: 3", True),
        ("1 series: 3", True),
        ("1 series: NaN", True),  # sum takes it in
        ("no data", True),
        (NEEDS_PROMETHEUS, False),
        (NEEDS_PROMETHEUS, False),
    ]


async def values_of(bodies: dict[str, list[dict]]) -> list:
    """`instant_values` of each query in `bodies`, Prometheus answering each with its vector."""
    with ScriptedServer() as server:
        for query, result in bodies.items():
            body = {"status": "success", "data": {"resultType": "vector", "result": result}}
            server.answers.update([answer_for(query, Answer(200, json.dumps(body).encode(), "application/json"))])
        return await instant_values(prom_cfg(server.url), list(bodies), 2.0)


async def test_several_series_are_named_by_the_labels_that_tell_them_apart():
    """The breaker runbook's first step: `== 1` gives each gateway's current state, so the values alone
    (1, 1) say nothing; the labels that differ do, the scrape's own (instance) after the series' (state)."""
    def series(value: str, **labels: str) -> dict:
        metric = {"__name__": "resilience4j_circuitbreaker_state", "job": "gateways", **labels}
        return {"metric": metric, "value": [T0, value]}

    states = [series("1", name="openai/gpt-4o", state="closed", instance="10.0.0.2:4000"),
              series("1", name="openai/gpt-4o", state="open", instance="10.0.0.1:4000")]
    rates = [series("0.2", model="gpt-4o"), series("0.5", model="x" * 40), series("0.1"), series("0.3", model="a"),
             series("0.4", model="b", status="500")]
    same = [series("2", name="a"), series("2", name="a")]  # told apart by nothing left once the name goes
    bodies = {"states": states, "rates": rates, "same": same}
    results = await values_of(bodies)
    assert [r.text for r in results] == [
        "2 series by state, instance: 1 (closed, 10.0.0.2:4000), 1 (open, 10.0.0.1:4000)",
        f"5 series by model, status: 0.5 ({'x' * 31}…, -), 0.4 (b, 500), 0.3 (a, -), …",
        "2 series: 2, 2",
    ]


async def test_one_series_is_named_by_its_own_labels_but_its_metrics_name():
    """`sum by (from, to)` asks where the traffic goes and `up == 0` which target is down: the one series'
    labels are the answer ("1 series: 0.8103" said nothing of it); an aggregate over all has none."""
    fallback = [{"metric": {"from": "openai/gpt-4o", "to": "local/llama-3-8b-local"}, "value": [T0, "0.81034"]}]
    down = [{"metric": {"__name__": "up", "instance": "10.0.0.3:9090", "job": "prometheus"}, "value": [T0, "0"]}]
    budget = [{"metric": {}, "value": [T0, "15000"]}]
    bodies = {"fallback": fallback, "down": down, "budget": budget}
    results = await values_of(bodies)
    assert [r.text for r in results] == [
        "1 series by from, to: 0.8103 (openai/gpt-4o, local/llama-3-8b-local)",
        "1 series by instance, job: 0 (10.0.0.3:9090, prometheus)",
        "1 series: 15,000",
    ]


def test_without_prometheus_series_of_several_gateways_are_named_by_their_gateway(tmp_path):
    with History.open(tmp_path / "h.duckdb") as history:
        history.write_cycle([Batch("gw-a", T0, [Sample(key("aiops_queue_depth", source="gw-a"), T0, 3.0)]),
                             Batch("gw-b", T0, [Sample(key("aiops_queue_depth", source="gw-b"), T0, 5.0)])])
        (result,) = local_values(history, ["aiops_queue_depth"], at=T0 + 10)
    assert result.text == "2 series by source: 5 (gw-b), 3 (gw-a)"


def test_values_read_with_four_digits_and_large_ones_whole():
    assert [format_value(v) for v in (0.4217, 3.0, 1234.5, 15_000.0, 1_234_567.8, 2e15, 1.5e-7, -20_000.0)] == [
        "0.4217", "3", "1234", "15,000", "1,234,568", "2e+15", "1.5e-07", "-20,000",
    ]


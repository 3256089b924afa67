"""A misbehaving Prometheus gives one line of error, never a crash; odd values are kept as values."""

from __future__ import annotations

import asyncio
import json
import math
from urllib.parse import urlencode

import pytest

from aiops_tui.config import PrometheusConfig
from aiops_tui.model import SeriesKey
from aiops_tui.sources.prometheus import PrometheusSource
from loopback import Answer, ScriptedServer, SilentServer, closed_port


def source(url: str, *, timeout_s: float = 1.0, queries=None, profile="none", headers=None) -> PrometheusSource:
    # Profile "none" has no default queries: each test runs exactly the queries it names.
    cfg = PrometheusConfig(url, headers or {}, None, True, 15.0, timeout_s, profile, queries or {})
    return PrometheusSource(cfg, clock=lambda: 2_000.0)


def vector(*items) -> bytes:
    return json.dumps({"status": "success", "data": {"resultType": "vector", "result": list(items)}}).encode()


ALERTS_OK = json.dumps({"status": "success", "data": {"alerts": []}}).encode()
ONE_QUERY = {"requests_per_s": "sum(rate(aiops_requests_total[1m]))"}


def serve(server: ScriptedServer, query_answer: Answer, alerts_answer: Answer | None = None) -> None:
    server.answers["/api/v1/query"] = query_answer
    server.answers["/api/v1/alerts"] = alerts_answer or Answer(200, ALERTS_OK, "application/json")


CASES = {
    "http500": (Answer(500, b"oops"), "HTTP Status Code 500"),
    "http503": (Answer(503, b"unavailable"), "HTTP Status Code 503"),
    "html": (Answer(200, b"<html><body>login</body></html>", "text/html"), "answer is not JSON (an HTML error page or a proxy in the way?)"),
    "status_error": (
        Answer(422, json.dumps({"status": "error", "errorType": "execution", "error": "boom"}).encode(), "application/json"),
        "HTTP Status Code 422",
    ),
    "wrong_type": (
        Answer(200, json.dumps({"status": "success", "data": {"resultType": "scalar", "result": [1, "2"]}}).encode()),
        "query for requests_per_s: result is not an instant vector",
    ),
    "wrong_shape": (Answer(200, b'{"status": "success"}', "application/json"), "answer is JSON of the wrong shape"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_answers_are_one_line(case):
    answer, expected = CASES[case]
    with ScriptedServer() as server:
        serve(server, answer)
        batch = asyncio.run(source(server.url, queries=ONE_QUERY).poll())
    assert batch.error == expected
    assert batch.samples == [] and batch.alerts is None


def test_refused_and_stalled():
    refused = asyncio.run(source(f"http://127.0.0.1:{closed_port()}", queries=ONE_QUERY).poll())
    assert refused.error == "cannot connect (connection refused or host unreachable)"
    with SilentServer() as silent:
        stalled = asyncio.run(source(silent.url, timeout_s=0.3, queries=ONE_QUERY).poll())
    assert stalled.error in ("timed out", "no answer within 0.6 s")


def test_nan_inf_and_huge_values_are_kept_as_values():
    answer = Answer(
        200,
        vector(
            {"metric": {"model": "a"}, "value": [2000, "NaN"]},
            {"metric": {"model": "b"}, "value": [2000, "+Inf"]},
            {"metric": {"model": "c"}, "value": [2000, "1e308"]},
        ),
        "application/json",
    )
    with ScriptedServer() as server:
        serve(server, answer)
        batch = asyncio.run(source(server.url, queries=ONE_QUERY).poll())
    assert batch.ok
    values = {dict(s.key.labels)["model"]: s.value for s in batch.samples}
    assert math.isnan(values["a"]) and values["b"] == math.inf and values["c"] == 1e308


def test_fifty_thousand_series_in_one_answer():
    items = [{"metric": {"model": f"m{i}"}, "value": [2000, str(i)]} for i in range(50_000)]
    with ScriptedServer() as server:
        serve(server, Answer(200, vector(*items), "application/json"))
        batch = asyncio.run(source(server.url, timeout_s=10, queries=ONE_QUERY).poll())
    assert batch.ok and len(batch.samples) == 50_000
    assert sum(s.value for s in batch.samples) == sum(range(50_000))


def test_alerts_are_parsed_and_tenant_headers_sent():
    alerts = {
        "status": "success",
        "data": {"alerts": [{
            "labels": {"alertname": "LLMCircuitBreakerOpen", "upstream": "openai/gpt-4o", "severity": "critical"},
            "annotations": {"summary": "breaker open", "runbook_url": "https://r.example/llm-circuit-breaker-open.md"},
            "state": "firing", "activeAt": "2026-11-25T10:00:00.5Z", "value": "2e+00",
        }]},
    }
    with ScriptedServer() as server:
        serve(server, Answer(200, vector(), "application/json"), Answer(200, json.dumps(alerts).encode(), "application/json"))
        src = source(server.url, queries=ONE_QUERY, headers={"X-Scope-OrgID": "team-a"})
        batch = asyncio.run(src.poll())
    assert batch.ok
    [alert] = batch.alerts
    assert (alert.name, alert.state, alert.labels["upstream"]) == ("LLMCircuitBreakerOpen", "firing", "openai/gpt-4o")
    assert alert.annotations["runbook_url"].endswith("llm-circuit-breaker-open.md")
    assert alert.active_since == 1795600800.5  # 2026-11-25T10:00:00.5Z
    assert all(headers.get("X-Scope-OrgID") == "team-a" for _, headers in server.requests)


def test_alerts_with_a_status_error_body():
    body = json.dumps({"status": "error", "error": "rule manager down"}).encode()
    with ScriptedServer() as server:
        serve(server, Answer(200, vector(), "application/json"), Answer(200, body, "application/json"))
        batch = asyncio.run(source(server.url, queries=ONE_QUERY).poll())
    assert batch.error == "alerts: status error: rule manager down"


def test_a_bucket_with_a_bad_bound_in_a_merged_quantile_is_one_line():
    # LiteLLM and OTel gateways behind one Prometheus: their latency buckets are fetched and merged here.
    answer = Answer(200, vector({"metric": {"le": "soon"}, "value": [2000, "1"]}), "application/json")
    with ScriptedServer() as server:
        serve(server, answer)
        prom = source(server.url, profile="litellm")
        prom.profiles = ["litellm", "otel_genai"]
        batch = asyncio.run(prom.poll())
    assert batch.error == "query for latency_p50_s: a bucket without a numeric `le` label"
    assert batch.samples == []


def test_a_merged_quantile_reads_each_conventions_buckets_at_the_others_bounds():
    # One gateway's buckets in seconds, the other's in milliseconds (scaled by its recipe): 10 requests each.
    from aiops_tui.sources import conventions
    from aiops_tui.sources.prometheus import merged_quantile_samples

    spec = conventions.BucketQueries(0.5, "model", (("seconds", 1.0), ("milliseconds", 0.001)))
    seconds = [{"metric": {"le": le}, "value": [2000, n]} for le, n in (("1", "0"), ("2", "10"), ("+Inf", "10"))]
    millis = [{"metric": {"le": le}, "value": [2000, n]} for le, n in (("3000", "0"), ("4000", "10"), ("+Inf", "10"))]
    p99 = spec._replace(quantile=0.99)
    median, tail = merged_quantile_samples({"latency_p50_s": spec, "latency_p99_s": p99},
                                           {"seconds": seconds, "milliseconds": millis}, ts=2000.0)
    # Half of the 20 are under 2 s (the first gateway's all): the median is its bucket's top, 2 s.
    assert median.key == SeriesKey("prometheus", "signal:latency_p50_s", ()) and median.value == pytest.approx(2.0)
    # The 99th of the 20 lies in the other's bucket from 3 to 4 s, read linearly: 3 + (19.8 - 10) / 10 s.
    assert tail.key.name == "signal:latency_p99_s" and tail.value == pytest.approx(3.98)


def matrix(*items) -> bytes:
    return json.dumps({"status": "success", "data": {"resultType": "matrix", "result": list(items)}}).encode()


NOW = 1_796_000_400.0  # on the hour: the steps fall on it
RANGE_CASES = {
    "http500": (Answer(500, b"oops"), "HTTP Status Code 500"),
    "html": (Answer(200, b"<html>login</html>", "text/html"),
             "answer is not JSON (an HTML error page or a proxy in the way?)"),
    "vector": (Answer(200, vector({"metric": {}, "value": [NOW, "1"]}), "application/json"),
               "range query for requests_per_s: result is not a range vector"),
    "bad_point": (Answer(200, matrix({"metric": {}, "values": [["soon", "1"]]}), "application/json"),
                  "range query for requests_per_s: a point is not [time, value]"),
    "bad_value": (Answer(200, matrix({"metric": {}, "values": [[NOW - 60, "many"]]}), "application/json"),
                  "query for requests_per_s: value 'many' is not a number"),
}


@pytest.mark.parametrize("case", sorted(RANGE_CASES))
def test_a_gap_that_cannot_be_filled_says_why_in_one_line_and_polling_goes_on(case):
    from aiops_tui.sources.poller import Poller

    answer, expected = RANGE_CASES[case]
    written = []
    with ScriptedServer() as server:
        serve(server, Answer(200, vector({"metric": {}, "value": [NOW, "4"]}), "application/json"))
        server.answers["/api/v1/query_range"] = answer
        cfg = PrometheusConfig(server.url, {}, None, True, 5.0, 1.0, "none", ONE_QUERY)
        poller = Poller([PrometheusSource(cfg, clock=lambda: NOW)], written.append, clock=lambda: NOW)
        poller.fill_from = NOW - 3600

        async def start():
            await poller.fill_gaps()
            return await poller.run_cycle()

        batch, *_ = asyncio.run(start())
    status = poller.status["prometheus"]
    assert (status.fill_error, status.filled) == (expected, None)
    assert len(written) == 1 and batch.ok and [s.value for s in batch.samples] == [4.0]  # the first poll, as ever
    assert status.state(NOW) == "ok"


def range_path(promql: str, start: float, end: float, step: str) -> str:
    """The path a range query is asked at: how the scripted server tells two of them apart."""
    from urllib.parse import urlencode

    return "/api/v1/query_range?" + urlencode({"query": promql, "start": round(start), "end": round(end), "step": step})


def test_a_gap_is_filled_step_by_step_as_each_poll_then_would_have_read_it():
    from aiops_tui.sources.poller import Poller
    from aiops_tui.sources.prometheus import firing_promql

    written = []
    points = [[NOW - 600 + 15 * n, str(n)] for n in range(40)]
    start = NOW - 3600 + 15  # an hour at 15 s steps, on the step, from the first one after the gap's start
    firing = {"__name__": "ALERTS", "alertname": "LLMErrorRatioHigh", "alertstate": "firing", "severity": "critical"}
    with ScriptedServer() as server:
        server.answers["/api/v1/query_range"] = Answer(200, matrix({"metric": {"model": "a"}, "values": points}),
                                                       "application/json")
        server.answers[range_path(firing_promql(15), start, NOW, "15s")] = Answer(
            200, matrix({"metric": firing, "values": [[NOW - 300, "1"], [NOW - 285, "1"]]}), "application/json")
        cfg = PrometheusConfig(server.url, {}, None, True, 5.0, 1.0, "none", ONE_QUERY)
        poller = Poller([PrometheusSource(cfg, clock=lambda: NOW)], written.append, clock=lambda: NOW)
        poller.fill_from = NOW - 3600
        asyncio.run(poller.fill_gaps())
        paths = sorted(path for path, _ in server.requests)
    assert paths == sorted([range_path(ONE_QUERY["requests_per_s"], start, NOW, "15s"),
                            range_path(firing_promql(15), start, NOW, "15s")])
    [batches] = written
    *steps, derived = batches
    assert [(b.ts, [(dict(s.key.labels), s.value) for s in b.samples]) for b in steps] == [
        (ts, [({"model": "a"}, float(value))]) for ts, value in points]
    assert {s.key.name for b in steps for s in b.samples} == {"signal:requests_per_s"}
    assert poller.status["prometheus"].filled == "the 10 min before the start (40 steps of 15 s)"
    assert poller.cycles == 1
    # The alert fired for two steps of the gap: firing at the first, resolved at the step after the second.
    assert derived.source == "derived"
    assert [(e.ts, e.kind, e.subject, e.from_state, e.to_state, e.detail["labels"]) for e in derived.events] == [
        (NOW - 300, "alert", "LLMErrorRatioHigh", "inactive", "firing", {"severity": "critical"}),
        (NOW - 270, "alert", "LLMErrorRatioHigh", "firing", "resolved", {"severity": "critical"}),
    ]
    assert poller.alerts == []  # none fires at the gap's end: the first poll says what fires now


def test_an_alert_firing_through_the_fill_is_the_same_alert_to_the_first_poll_whatever_labels_thanos_adds():
    """Thanos Query adds its stores' external labels to the ALERTS series, not to /api/v1/alerts."""
    from aiops_tui.sources.poller import Poller

    def alert(upstream: str) -> dict:
        return {"labels": {"alertname": "LLMCircuitBreakerOpen", "upstream": upstream, "severity": "critical"},
                "annotations": {}, "state": "firing", "activeAt": "2026-11-25T10:00:00Z", "value": "2"}

    def series(upstream: str) -> dict:
        labels = {"__name__": "ALERTS", "alertname": "LLMCircuitBreakerOpen", "alertstate": "firing",
                  "upstream": upstream, "severity": "critical", "cluster": "eu1"}
        return {"metric": labels, "values": [[NOW - 30, "1"], [NOW - 15, "1"], [NOW, "1"]]}

    written = []
    with ScriptedServer() as server:
        still_firing = {"status": "success", "data": {"alerts": [alert("openai/gpt-4o"), alert("anthropic/claude")]}}
        serve(server, Answer(200, vector({"metric": {}, "value": [NOW, "4"]}), "application/json"),
              Answer(200, json.dumps(still_firing).encode(), "application/json"))
        server.answers["/api/v1/query_range"] = Answer(
            200, matrix(series("openai/gpt-4o"), series("local/llama")), "application/json")
        cfg = PrometheusConfig(server.url, {}, None, True, 15.0, 1.0, "none", ONE_QUERY)
        poller = Poller([PrometheusSource(cfg, clock=lambda: NOW)], written.append, clock=lambda: NOW)
        poller.fill_from = NOW - 40

        async def start():
            await poller.fill_gaps()
            await poller.run_cycle()

        asyncio.run(start())
    told = [(e.ts, e.to_state, e.detail["labels"]["upstream"]) for batches in written for b in batches for e in b.events
            if e.kind == "alert"]
    # gpt-4o's goes on firing (one alert to both); llama's resolved at the poll; claude's is new there.
    assert told == [(NOW - 30, "firing", "openai/gpt-4o"), (NOW - 30, "firing", "local/llama"),
                    (NOW, "firing", "anthropic/claude"), (NOW, "resolved", "local/llama")]


# A day's gap: the last hour at 15 s, the rest of the last 6 h at 120 s, the rest of the day at 600 s.
TIERS = [(NOW - 85800, NOW - 21600, 600), (NOW - 21480, NOW - 3600, 120), (NOW - 3585, NOW, 15)]


def fill_a_day(oldest: Answer | None = None, timeout_s: float = 1.0):
    """A day's gap filled from a scripted Prometheus whose every step's value is its tier's step, so that where
    each sample came from shows; `oldest` answers the oldest tier's query instead. (poller, its one write or
    None, the paths asked)."""
    from aiops_tui.sources.poller import Poller
    from aiops_tui.sources.prometheus import firing_promql

    written = []
    with ScriptedServer() as server:
        for start, end, step in TIERS:
            points = [[ts, str(step)] for ts in range(int(start), int(end) + 1, step)]
            answer = Answer(200, matrix({"metric": {}, "values": points}), "application/json")
            server.answers[range_path(ONE_QUERY["requests_per_s"], start, end, f"{step}s")] = (
                oldest if oldest is not None and step == 600 else answer)
            server.answers[range_path(firing_promql(step), start, end, f"{step}s")] = Answer(
                200, matrix(), "application/json")
        cfg = PrometheusConfig(server.url, {}, None, True, 5.0, timeout_s, "none", ONE_QUERY)
        poller = Poller([PrometheusSource(cfg, clock=lambda: NOW)], written.append, clock=lambda: NOW)
        poller.fill_from = NOW - 86400
        asyncio.run(poller.fill_gaps())
        paths = sorted(path for path, _ in server.requests)
    return poller, written[0] if written else None, paths


def test_a_day_long_gap_is_read_in_tiers_coarser_with_age_and_written_oldest_first():
    from aiops_tui.sources.prometheus import firing_promql

    poller, batches, paths = fill_a_day()
    assert paths == sorted(range_path(promql, start, end, f"{step}s") for start, end, step in TIERS
                           for promql in (ONE_QUERY["requests_per_s"], firing_promql(step)))
    *steps, derived = batches
    stamps = [batch.ts for batch in steps]
    assert stamps == sorted(set(stamps)) and (stamps[0], stamps[-1]) == (NOW - 85800, NOW)
    by_tier = [[s.value for b in steps if start <= b.ts <= end for s in b.samples] for start, end, _ in TIERS]
    assert by_tier == [[600.0] * 108, [120.0] * 150, [15.0] * 240]
    status = poller.status["prometheus"]
    assert (status.filled, status.fill_error) == ("the 24 h before the start (108 steps of 600 s, 150 of 120 s, "
                                                  "240 of 15 s)", None)
    assert poller.cycles == 1 and derived.source == "derived"


@pytest.mark.parametrize(("oldest", "why"), [
    (Answer(500, b"oops"), "HTTP Status Code 500"),
    (Answer(200, matrix({"metric": {}, "values": [[NOW - 85800, "1"]]}), "application/json", drip_s=0.1),
     "no answer within 0.6 s"),
])
def test_a_prometheus_that_cannot_answer_for_the_whole_day_still_fills_the_hours_it_answers_for(oldest, why):
    poller, batches, _ = fill_a_day(oldest, timeout_s=0.3)
    *steps, _ = batches
    # The last 6 h, without a hole back from now; the day's older hours are left out, and said to be.
    assert [s.value for b in steps for s in b.samples] == [120.0] * 150 + [15.0] * 240
    status = poller.status["prometheus"]
    assert (status.filled, status.fill_error) == (
        f"the 6 h before the start (150 steps of 120 s, 240 of 15 s; older not read: {why})", None)


def test_a_gap_read_but_not_written_says_why_and_is_not_called_filled():
    from aiops_tui.sources.poller import Poller

    points = [[NOW - 30 + 15 * n, "1"] for n in range(3)]

    def fill(written: list, error: str | None = None) -> Poller:
        def write(batches) -> None:  # as the recorder's: what failed goes on the poller
            written.append(batches)
            poller.write_error = error

        with ScriptedServer() as server:
            server.answers["/api/v1/query_range"] = Answer(200, matrix({"metric": {}, "values": points}),
                                                           "application/json")
            cfg = PrometheusConfig(server.url, {}, None, True, 15.0, 1.0, "none", ONE_QUERY)
            poller = Poller([PrometheusSource(cfg, clock=lambda: NOW)], write, clock=lambda: NOW)
            poller.fill_from = NOW - 40
            asyncio.run(poller.fill_gaps())
        return poller

    full = fill([], "cannot write the history: No space left on device").status["prometheus"]
    assert (full.filled, full.fill_error) == (None, "cannot write the history: No space left on device")
    written = []
    status = fill(written).status["prometheus"]
    assert (status.filled, status.fill_error) == ("the 40 s before the start (3 steps of 15 s)", None)
    assert len(written) == 1


def test_a_prometheus_that_trickles_holds_the_first_polls_no_longer_than_a_poll_of_it_would():
    from aiops_tui.sources.poller import Poller

    # Each byte well within the read timeout, the whole answer never: only the fill's own bound ends it.
    trickle = Answer(200, matrix({"metric": {}, "values": [[NOW, "1"]]}), "application/json", drip_s=0.1)
    with ScriptedServer() as server:
        server.answers["/api/v1/query_range"] = trickle
        cfg = PrometheusConfig(server.url, {}, None, True, 5.0, 0.3, "none", ONE_QUERY)
        poller = Poller([PrometheusSource(cfg, clock=lambda: NOW)], lambda batches: None, clock=lambda: NOW)
        poller.fill_from = NOW - 3600
        asyncio.run(poller.fill_gaps())
    status = poller.status["prometheus"]
    assert (status.fill_error, status.filled) == ("no answer within 0.6 s", None)  # as a poll's: twice the timeout


@pytest.mark.parametrize("held, reads_low", [
    (Answer(200, vector({"metric": {}, "value": [2_000.0, "30.4"]}), "application/json"), "rates read low: holds 30s of 5m"),
    (Answer(200, vector({"metric": {}, "value": [2_000.0, "290"]}), "application/json"), None),  # the window, near enough
    (Answer(200, vector(), "application/json"), None),  # no traffic counter yet: nothing to read low
    (Answer(400, json.dumps({"status": "error", "errorType": "bad_data", "error": "subqueries unsupported"}).encode(),
            "application/json"), None),  # a backend without subqueries: the poll stands
])
def test_how_much_of_the_rate_window_prometheus_holds_is_asked_beside_the_poll_and_never_fails_it(held, reads_low):
    prometheus = source("http://unused", profile="aiops_sim")
    held_promql = prometheus._held_promql()
    assert held_promql == 'time() - min(min_over_time(timestamp({__name__=~"aiops_requests_total"})[5m:15s]))'
    with ScriptedServer() as server:
        serve(server, Answer(200, vector({"metric": {}, "value": [2_000.0, "1"]}), "application/json"))
        server.answers[f"/api/v1/query?{urlencode({'query': held_promql})}"] = held
        prometheus = source(server.url, profile="aiops_sim")
        batch = asyncio.run(prometheus.poll())
    assert batch.ok and batch.samples
    assert prometheus.reads_low == reads_low

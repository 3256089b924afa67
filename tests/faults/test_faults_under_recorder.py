"""Each source fault under the real recorder: a cycle where all is well, then a cycle where one
source misbehaves. The user sees one line for that source; the rows already committed stay, the
healthy gateway keeps being written, and nothing half of the bad answer reaches the history."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aiops_tui.config import PrometheusConfig
from aiops_tui.recorder import Recorder
from aiops_tui.sources.prometheus import PrometheusSource
from aiops_tui.store.history import History
from loopback import Answer, ScriptedServer
from recording import T0, HandClock, gateway_source, record

FIXTURES = Path(__file__).parent.parent / "fixtures"
LITELLM = (FIXTURES / "litellm-1.108.7-metrics.txt").read_bytes()
GOOD_GAUGES = b'aiops_queue_depth{queue="a"} 1\naiops_queue_depth{queue="b"} 2\n'


def vector(*values: float) -> bytes:
    result = [{"metric": {"model": f"m{i}"}, "value": [T0, str(v)]} for i, v in enumerate(values)]
    return json.dumps({"status": "success", "data": {"resultType": "vector", "result": result}}).encode()


ALERTS_OK = json.dumps({"status": "success", "data": {"alerts": []}}).encode()

# fault -> (answer for the faulty path, or None for the server gone; the status line's start)
PROMETHEUS_FAULTS = {
    "http500": (Answer(500, b"oops"), "HTTP Status Code 500"),
    "http503": (Answer(503, b"unavailable"), "HTTP Status Code 503"),
    "html": (Answer(200, b"<html>login</html>", "text/html"), "answer is not JSON (an HTML error page or a proxy in the way?)"),
    "status_error": (
        Answer(200, json.dumps({"status": "error", "errorType": "execution", "error": "boom"}).encode(), "application/json"),
        "answer is JSON of the wrong shape",
    ),
    "wrong_type": (
        Answer(200, json.dumps({"status": "success", "data": {"resultType": "matrix", "result": [{"metric": {}, "values": [[1, "2"]]}]}}).encode(), "application/json"),
        "query for requests_per_s: result is not an instant vector",
    ),
    # Headers, one byte, then nothing for a second (past the 0.5 s read timeout): a stalled answer.
    # (The timeout was 0.2 s; "html" failed once in a full local run and not in any rerun: 0.5 s gives the
    # good answers more room, and the stall still times out.)
    "stall": (Answer(200, vector(1.0), "application/json", drip_s=1.0), "timed out"),
    "refused": (None, "cannot connect (connection refused or host unreachable)"),
}
GATEWAY_FAULTS = {
    "garbage": (Answer(200, b"<!DOCTYPE html><h1>502</h1>", "text/html"), "not Prometheus text exposition: looks like HTML (line 1)"),
    "truncated": (Answer(200, LITELLM[: len(LITELLM) // 2 + 17]), "not Prometheus text exposition: "),
    "ten_mb": (Answer(200, b"# " + b"x" * (10 * 1024 * 1024) + b"\n"), "body of 10,485,763 bytes from "),
    "slow_loris": (Answer(200, GOOD_GAUGES * 20, drip_s=0.02), "no complete answer within 0.4 s"),
    "http401": (Answer(401, b"no"), "HTTP 401 from "),
    "refused": (None, "cannot connect ("),
}


def written(path: Path) -> dict[str, dict[float, int]]:
    """source -> {cycle time: samples} in the history, read from a fresh read-only open."""
    with History.open(path, read_only=True) as history:
        rows = history.con.execute(
            "SELECT s.source, epoch(v.ts), count(*) FROM samples v JOIN series s USING (series_id) "
            "WHERE s.name NOT LIKE 'signal:%' OR s.source = 'prometheus' GROUP BY 1, 2"
        ).fetchall()
    out: dict[str, dict[float, int]] = {}
    for source, ts, count in rows:
        out.setdefault(source, {})[ts] = count
    return out


def run_two_cycles(tmp_path: Path, faulty_server: ScriptedServer, faulty_source, fault_path: str, fault: Answer | None) -> Recorder:
    clock = faulty_source.clock
    with ScriptedServer() as healthy:
        healthy.answers["/metrics"] = Answer(200, GOOD_GAUGES)
        sources = [gateway_source("healthy", healthy.url + "/metrics", clock, interval_s=15), faulty_source]
        recorder = Recorder(History.open(tmp_path / "history.duckdb"), sources, clock=clock, stale_after=1)
        record(recorder, [])  # cycle 1 at T0: everyone answers well
        if fault is None:  # the faulty server goes away: connection refused
            faulty_server.httpd.shutdown()
            faulty_server.httpd.server_close()
        else:
            faulty_server.answers[fault_path] = fault
        record(recorder, [15.0])  # cycle 2 at T0 + 15: the fault
        recorder.history.close()
    return recorder


@pytest.mark.parametrize("case", sorted(PROMETHEUS_FAULTS))
def test_prometheus_fault(tmp_path: Path, case: str):
    fault, expected = PROMETHEUS_FAULTS[case]
    clock = HandClock(T0)
    with ScriptedServer() as prom:
        prom.answers["/api/v1/query"] = Answer(200, vector(1.0, 2.0), "application/json")
        prom.answers["/api/v1/alerts"] = Answer(200, ALERTS_OK, "application/json")
        cfg = PrometheusConfig(prom.url, {}, None, True, 15.0, 0.5, "none", {"requests_per_s": "sum(rate(x[1m]))"})
        recorder = run_two_cycles(tmp_path, prom, PrometheusSource(cfg, clock=clock), "/api/v1/query", fault)
    status = recorder.poller.status["prometheus"]
    assert status.last_error.startswith(expected) and "\n" not in status.last_error and len(status.last_error) < 300
    assert status.state(clock.now) == "down" and recorder.last_error is None
    kept = written(tmp_path / "history.duckdb")
    assert kept["prometheus"] == {T0: 2}  # the good answer stays; nothing of the bad one
    assert kept["healthy"] == {T0: 2, T0 + 15: 2}  # the other source kept being written


@pytest.mark.parametrize("case", sorted(GATEWAY_FAULTS))
def test_gateway_fault(tmp_path: Path, case: str):
    fault, expected = GATEWAY_FAULTS[case]
    clock = HandClock(T0)
    with ScriptedServer() as gw:
        gw.answers["/metrics"] = Answer(200, LITELLM)
        source = gateway_source("gw", gw.url + "/metrics", clock, interval_s=15, timeout_s=0.4)
        recorder = run_two_cycles(tmp_path, gw, source, "/metrics", fault)
    status = recorder.poller.status["gw"]
    assert status.last_error.startswith(expected) and "\n" not in status.last_error and len(status.last_error) < 300
    assert status.state(clock.now) == "down" and recorder.last_error is None
    kept = written(tmp_path / "history.duckdb")
    # The first scrape, whole (every sample of the fixture); nothing at T0 + 15.
    assert list(kept["gw"]) == [T0] and kept["gw"][T0] > 100
    assert kept["healthy"] == {T0: 2, T0 + 15: 2}
    with History.open(tmp_path / "history.duckdb", read_only=True) as history:
        [down] = [e for e in history.events(T0, T0 + 15, kinds=["source"]) if e.to_state == "down"]
    assert (down.subject, down.detail["error"]) == ("gw", status.last_error)  # the timeline says why


def test_odd_values_and_fifty_thousand_series_are_stored_as_values(tmp_path: Path):
    import math

    odd = [{"metric": {"model": name}, "value": [T0, text]} for name, text in (("nan", "NaN"), ("inf", "+Inf"), ("huge", "1e308"))]
    many = [{"metric": {"model": f"m{i}"}, "value": [T0, str(i)]} for i in range(50_000)]
    body = json.dumps({"status": "success", "data": {"resultType": "vector", "result": odd + many}}).encode()
    clock = HandClock(T0)
    with ScriptedServer() as prom:
        prom.answers["/api/v1/query"] = Answer(200, body, "application/json")
        prom.answers["/api/v1/alerts"] = Answer(200, ALERTS_OK, "application/json")
        cfg = PrometheusConfig(prom.url, {}, None, True, 15.0, 10.0, "none", {"requests_per_s": "sum(rate(x[1m]))"})
        recorder = Recorder(History.open(tmp_path / "history.duckdb"), [PrometheusSource(cfg, clock=clock)], clock=clock)
        record(recorder, [])
        recorder.history.rollup(T0 + 120)
        recorder.history.close()
    assert recorder.last_error is None and recorder.poller.status["prometheus"].last_error is None
    with History.open(tmp_path / "history.duckdb", read_only=True) as history:
        values = {key.label("model"): value for key, _, value in history.samples("signal:requests_per_s", T0, T0)}
        rolled = history.rollups("signal:requests_per_s", T0, T0, resolution="1m")
    assert len(values) == 50_003
    assert math.isnan(values["nan"]) and values["inf"] == math.inf and values["huge"] == 1e308
    assert sum(v for k, v in values.items() if k.startswith("m")) == sum(range(50_000))
    # Rollups skip what is not finite: 50,001 buckets (the 50,000 and "huge"), none for NaN or +Inf.
    assert len(rolled) == 50_001 and {r.key.label("model") for r in rolled}.isdisjoint({"nan", "inf"})

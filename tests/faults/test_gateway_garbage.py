"""Garbage from a gateway gives one line of error for that source; the other sources keep going."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx
import pytest

from aiops_tui.config import GatewayConfig
from aiops_tui.sources.gateway import GatewaySource
from aiops_tui.sources.poller import Poller
from loopback import Answer, ScriptedServer, SilentServer, closed_port

FIXTURES = Path(__file__).parent.parent / "fixtures"
LITELLM = (FIXTURES / "litellm-1.108.7-metrics.txt").read_bytes()
GOOD = b"# TYPE up gauge\nup 1\n"


def gateway(name: str, url: str, *, status_url: str | None = None, kind: str = "health_json", timeout_s: float = 1.0):
    cfg = GatewayConfig(name, url, status_url, kind, None, 5.0, timeout_s)
    return GatewaySource(cfg, httpx.AsyncClient(follow_redirects=True, timeout=timeout_s))


async def poll_once(source: GatewaySource):
    try:
        return await source.poll()
    finally:
        await source.client.aclose()


GARBAGE = {
    "html": Answer(200, b"<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1></body></html>", "text/html"),
    "truncated": Answer(200, LITELLM[: len(LITELLM) // 2 + 17]),
    "json": Answer(200, b'{"metrics": [1, 2, 3]}', "application/json"),
    "http500": Answer(500, b"internal error"),
    "binary": Answer(200, bytes(range(256)) * 4, "application/octet-stream"),
    "ten_mb": Answer(200, b"# " + b"x" * (10 * 1024 * 1024) + b"\n"),
    "ten_mb_chunked": Answer(200, b"# " + b"x" * (10 * 1024 * 1024) + b"\n", declare_length=False),
}


@pytest.mark.parametrize("case", sorted(GARBAGE))
def test_garbage_is_one_line_error(case):
    with ScriptedServer() as server:
        server.answers["/metrics"] = GARBAGE[case]
        batch = asyncio.run(poll_once(gateway("gw", server.url + "/metrics")))
    assert batch.error and not batch.error.startswith("gw")  # the lines that show it name the source
    assert "\n" not in batch.error and len(batch.error) < 300
    assert batch.samples == []


def test_expected_error_texts():
    with ScriptedServer() as server:
        server.answers["/metrics"] = GARBAGE["ten_mb"]
        big = asyncio.run(poll_once(gateway("gw", server.url + "/metrics"))).error
        server.answers["/metrics"] = GARBAGE["http500"]
        status = asyncio.run(poll_once(gateway("gw", server.url + "/metrics"))).error
    assert "over the 8,388,608-byte limit" in big
    assert "HTTP 500" in status


def test_refused_connection_and_hanging_socket():
    refused = asyncio.run(poll_once(gateway("gw", f"http://127.0.0.1:{closed_port()}/metrics"))).error
    assert refused.startswith("cannot connect")
    with SilentServer() as silent:
        hung = asyncio.run(poll_once(gateway("gw", silent.url + "/metrics", timeout_s=0.3))).error
    assert hung in ("timed out", "no complete answer within 0.3 s")


def test_slow_loris_body_is_cut_at_the_timeout():
    with ScriptedServer() as server:
        server.answers["/metrics"] = Answer(200, GOOD * 50, drip_s=0.02)
        batch = asyncio.run(poll_once(gateway("gw", server.url + "/metrics", timeout_s=0.3)))
    assert batch.error == "no complete answer within 0.3 s"


def test_status_json_of_the_wrong_shape():
    with ScriptedServer() as server:
        server.answers["/metrics"] = Answer(200, GOOD)
        server.answers["/status"] = Answer(200, json.dumps({"checks": []}).encode(), "application/health+json")
        batch = asyncio.run(poll_once(gateway("gw", server.url + "/metrics", status_url=server.url + "/status")))
    assert batch.error == "status JSON has no top-level `status`: not application/health+json"


def test_one_bad_source_does_not_stop_the_others():
    written = []
    with ScriptedServer() as good, ScriptedServer() as bad:
        good.answers["/metrics"] = Answer(200, GOOD)
        bad.answers["/metrics"] = GARBAGE["html"]

        async def cycle():
            sources = [gateway("good", good.url + "/metrics"), gateway("bad", bad.url + "/metrics")]
            poller = Poller(sources, written.append, clock=lambda: 1000.0)
            await poller.run_cycle()
            for s in sources:
                await s.client.aclose()
            return poller

        poller = asyncio.run(cycle())
    batches = {b.source: b for b in written[0]}
    assert batches["good"].ok and [s.value for s in batches["good"].samples] == [1.0]
    assert not batches["bad"].ok
    assert poller.status["good"].state(1000.0) == "ok"
    assert poller.status["bad"].last_error.startswith("not Prometheus text exposition")


def test_a_failing_health_endpoint_is_news_not_an_outage():
    body = {"status": "fail", "checks": {"upstream:openai/gpt-4o": [{"status": "fail", "breaker": {"state": "open"}}]}}
    with ScriptedServer() as server:
        server.answers["/metrics"] = Answer(200, GOOD)
        server.answers["/status"] = Answer(503, json.dumps(body).encode(), "application/health+json")
        batch = asyncio.run(poll_once(gateway("gw", server.url + "/metrics", status_url=server.url + "/status")))
    assert batch.ok
    states = {s.key.name: s.value for s in batch.samples if s.key.name.startswith("signal:")}
    assert states == {"signal:health_status": 2.0, "signal:breaker_state": 2.0}

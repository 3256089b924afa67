"""Odd but valid scrapes travel the whole write path (loopback HTTP -> parser -> recorder -> DuckDB)
and come back out of the history as data: duplicates, 10 KB label values, hostile label text.
Transport faults (TLS to a plain port, a wrong token) are one line for that source."""

from __future__ import annotations

import asyncio
from pathlib import Path

from aiops_tui.config import PrometheusConfig
from aiops_tui.sim.server import SimServer
from aiops_tui.sources.gateway import describe_tls_failure
from aiops_tui.sources.prometheus import PrometheusSource
from aiops_tui.store.history import History
from loopback import Answer, ScriptedServer
from recording import T0, HandClock, gateway_source, record, recorder_for

HOSTILE_VALUES = (
    "[bold]red[/bold]",
    "[link=https://evil.example/steal]click me[/link]",
    "copy\x1b]52;c;cm0gLXJmIC8K\x07this",  # OSC 52: write `rm -rf /` to the clipboard
    "\x1b[2Jcleared",  # CSI 2 J: clear the screen
)


def exposition_label(value: str) -> str:
    """A label value as exposition text: only backslash, quote and newline are escaped."""
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def record_scrapes(tmp_path: Path, bodies: list[bytes]) -> History:
    """Serve each body in turn to a recorder (one cycle each, 15 s apart); return the history, reopened."""
    path = tmp_path / "history.duckdb"
    clock = HandClock(T0)
    with ScriptedServer() as server:
        recorder = recorder_for(path, [gateway_source("gw", server.url + "/metrics", clock, interval_s=15)], clock)
        original = recorder.poller.run_cycle

        async def next_body():
            server.answers["/metrics"] = Answer(200, bodies[recorder.poller.cycles])
            return await original()

        recorder.poller.run_cycle = next_body  # type: ignore[method-assign]
        record(recorder, [15.0] * (len(bodies) - 1))
        assert recorder.last_error is None
        assert recorder.poller.status["gw"].last_error is None
        recorder.history.close()
    return History.open(path, read_only=True)


def test_duplicate_series_are_one_series_holding_the_last_value(tmp_path: Path):
    # The same series twice, once with its labels in the other order: one series, the last value wins.
    body = (
        b"# TYPE litellm_in_flight_requests gauge\n"
        b'litellm_in_flight_requests{model="a",team="x"} 3\n'
        b'litellm_in_flight_requests{team="x",model="a"} 5\n'
        b'litellm_in_flight_requests{model="b",team="x"} 1\n'
        b'litellm_in_flight_requests{model="a",team="x"} 7\n'
    )
    with record_scrapes(tmp_path, [body, body]) as history:
        rows = history.samples("litellm_in_flight_requests", T0, T0 + 15)
        assert [(key.label("model"), ts - T0, value) for key, ts, value in rows] == [
            ("a", 0.0, 7.0), ("a", 15.0, 7.0), ("b", 0.0, 1.0), ("b", 15.0, 1.0),
        ]
        assert history.con.execute("SELECT count(*) FROM series WHERE name = 'litellm_in_flight_requests'").fetchone() == (2,)


def test_ten_kb_label_values_are_capped_kept_apart_and_stored(tmp_path: Path):
    # Two 10,241-character values sharing their first 10,240 characters, and a short one.
    long_a, long_b = "p" * 10_240 + "a", "p" * 10_240 + "b"
    body = (
        f'aiops_requests_total{{path="{long_a}"}} 1\n'
        f'aiops_requests_total{{path="{long_b}"}} 2\n'
        f'aiops_requests_total{{path="short"}} 3\n'
    ).encode()
    with record_scrapes(tmp_path, [body]) as history:
        rows = history.samples("aiops_requests_total", T0, T0)
        paths = {value: key.label("path") for key, _, value in rows}
    assert sorted(paths) == [1.0, 2.0, 3.0] and paths[3.0] == "short"
    for value in (1.0, 2.0):
        # 10,241 - 1,024 = 9,217 characters cut; a digest of the whole value keeps the two apart.
        assert paths[value].startswith("p" * 1024 + "...[truncated 9217 chars, sha1 ")
        assert len(paths[value]) < 1100
    assert paths[1.0] != paths[2.0]


def test_hostile_label_text_is_stored_byte_exact(tmp_path: Path):
    # Markup and terminal escapes in label values are data: kept exactly, interpreted by nobody here.
    body = "".join(
        f'aiops_requests_total{{model="{exposition_label(value)}"}} {i}\n' for i, value in enumerate(HOSTILE_VALUES)
    ).encode()
    with record_scrapes(tmp_path, [body]) as history:
        rows = history.samples("aiops_requests_total", T0, T0)
        stored = {int(value): key.label("model") for key, _, value in rows}
        raw_json = [labels for (labels,) in history.con.execute("SELECT labels FROM series WHERE name = 'aiops_requests_total'").fetchall()]
    assert stored == dict(enumerate(HOSTILE_VALUES))
    assert len(raw_json) == len(HOSTILE_VALUES)


def test_hostile_label_text_deep_in_a_real_scrape(tmp_path: Path):
    fixture = (Path(__file__).parent.parent / "fixtures" / "litellm-1.108.7-metrics.txt").read_bytes()
    hostile = "".join(
        f'aiops_hostile{{v="{exposition_label(value)}"}} {i}\n' for i, value in enumerate(HOSTILE_VALUES)
    ).encode()
    with record_scrapes(tmp_path, [fixture + hostile]) as history:
        stored = {int(value): key.label("v") for key, _, value in history.samples("aiops_hostile", T0, T0)}
    assert stored == dict(enumerate(HOSTILE_VALUES))


def test_tls_to_a_plain_http_port_is_one_line_for_the_gateway():
    clock = HandClock(T0)
    with ScriptedServer() as server:
        server.answers["/metrics"] = Answer(200, b"up 1\n")
        source = gateway_source("gw", server.url.replace("http://", "https://") + "/metrics", clock)

        async def poll():
            try:
                return await source.poll()
            finally:
                await source.client.aclose()

        batch = asyncio.run(poll())
    assert batch.error == "TLS handshake failed (WRONG_VERSION_NUMBER): is it plain HTTP? use an http:// URL"
    assert batch.samples == []


def test_tls_to_a_plain_http_port_is_one_line_for_prometheus():
    with ScriptedServer() as server:
        url = server.url.replace("http://", "https://")
        cfg = PrometheusConfig(url, {}, None, True, 15.0, 1.0, "none", {"requests_per_s": "sum(rate(x[1m]))"})
        batch = asyncio.run(PrometheusSource(cfg, clock=lambda: T0).poll())
    assert batch.error == "TLS handshake failed (WRONG_VERSION_NUMBER): is it plain HTTP? use an http:// URL"


def test_a_wrong_token_is_a_401_and_the_token_is_not_echoed(tmp_path: Path):
    good, wrong = "sk-good-0123456789abcdef", "sk-wrong-fedcba9876543210"
    server = SimServer(token=good).start()
    try:
        clock = HandClock(T0)
        source = gateway_source(
            "gw", server.url + "/metrics", clock, status_url=server.url + "/status",
            token_env="GW_TOKEN", env={"GW_TOKEN": wrong},
        )
        recorder = recorder_for(tmp_path / "history.duckdb", [source], clock)
        record(recorder, [])
    finally:
        server.stop()
    error = recorder.poller.status["gw"].last_error
    # /metrics answers 307 to /metrics/, which answers 401.
    assert error == f"HTTP 401 from {server.url}/metrics"
    assert good not in error and wrong not in error
    events = recorder.history.con.execute("SELECT CAST(detail AS VARCHAR) FROM events").fetchall()
    recorder.history.close()
    assert events and all(good not in detail and wrong not in detail for (detail,) in events)


def test_other_tls_failures_keep_openssl_s_reason_and_an_untrusted_one_names_ca_file():
    text = "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: self-signed certificate (_ssl.c:1006)"
    assert describe_tls_failure(text) == (
        "TLS handshake failed (CERTIFICATE_VERIFY_FAILED: self-signed certificate): name its CA in ca_file"
    )
    text = "[SSL: TLSV1_ALERT_PROTOCOL_VERSION] tlsv1 alert protocol version (_ssl.c:1006)"
    assert describe_tls_failure(text) == (
        "TLS handshake failed (TLSV1_ALERT_PROTOCOL_VERSION: tlsv1 alert protocol version)")
    assert describe_tls_failure("connection refused") is None


def test_a_spend_counter_restarting_below_zero_never_makes_spend_negative(tmp_path: Path):
    from aiops_tui.store import timeseries

    # A broken exporter: 10 -> 15 (+5), restarts at -3 (+0: nothing is spent below zero), -3 -> 2 (+5).
    values = [10, 15, -3, 2]
    bodies = [f'litellm_spend_metric_total{{model="m"}} {v}\n'.encode() for v in values]
    with record_scrapes(tmp_path, bodies) as history:
        ids = timeseries.cost_series(history.con, "gw")
        raw = timeseries.counter_increase(history.con, ids, T0 - 1, T0 + 60)
    [series_id] = ids
    assert raw[series_id] == 10.0
    path = tmp_path / "history.duckdb"
    with History.open(path) as history:
        history.rollup(T0 + 120)  # close the minute the four scrapes (T0 .. T0 + 45) fall in
        [bucket] = history.rollups("litellm_spend_metric_total", T0, T0 + 60, resolution="1m")
        rolled = timeseries.counter_increase(history.con, ids, T0, T0 + 60)
    assert (bucket.min, bucket.max, bucket.increase) == (-3.0, 15.0, 10.0)
    assert rolled[series_id] == 10.0

"""The gateway source against real loopback servers, and the headless recorder end to end."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import httpx

from aiops_tui.config import GatewayConfig
from aiops_tui.sim.server import SimServer
from aiops_tui.sources.gateway import GatewaySource
from aiops_tui.store.history import History
from loopback import Answer, ScriptedServer

LITELLM = (Path(__file__).parent.parent / "fixtures" / "litellm-1.108.7-metrics.txt").read_bytes()


def poll(cfg: GatewayConfig, env: dict[str, str] | None = None):
    async def run():
        async with httpx.AsyncClient(follow_redirects=True, timeout=cfg.timeout_s) as client:
            source = GatewaySource(cfg, client, env=env or {})
            return source, await source.poll()

    return asyncio.run(run())


def test_litellm_behind_a_redirect_with_its_readiness_endpoint():
    with ScriptedServer() as server:
        server.answers["/metrics"] = Answer(307, b"", headers={"Location": "/metrics/"})
        server.answers["/metrics/"] = Answer(200, LITELLM)
        server.answers["/health/readiness"] = Answer(200, json.dumps({"status": "healthy", "db": "connected"}).encode(), "application/json")
        cfg = GatewayConfig("litellm", f"{server.url}/metrics", f"{server.url}/health/readiness", "litellm", "LITELLM_KEY", 5.0, 3.0)
        source, batch = poll(cfg, {"LITELLM_KEY": "sk-test-123"})
    assert batch.ok, batch.error
    assert [path for path, _ in server.requests] == ["/metrics", "/metrics/", "/health/readiness"]
    assert all(headers.get("Authorization") == "Bearer sk-test-123" for _, headers in server.requests)
    names = {s.key.name for s in batch.samples}
    assert "litellm_spend_metric_total" in names and not any(n.endswith("_created") for n in names)
    assert source.profiles[0] == "litellm"
    health = [s.value for s in batch.samples if s.key.name == "signal:health_status"]
    assert health == [0.0]


def test_bearer_token_from_the_environment_against_the_sim():
    with SimServer(token="s3cret") as sim:
        cfg = GatewayConfig("gw", f"{sim.url}/metrics", f"{sim.url}/status", "health_json", "GW_TOKEN", 5.0, 3.0)
        _, good = poll(cfg, {"GW_TOKEN": "s3cret"})
        _, bad = poll(cfg, {"GW_TOKEN": "wrong"})
        _, missing = poll(cfg, {})
    assert good.ok and any(s.key.name == "signal:breaker_state" for s in good.samples)
    assert bad.error == f"HTTP 401 from {sim.url}/metrics"  # the URL as configured
    assert missing.error == bad.error
    assert "wrong" not in bad.error


def test_a_gateways_series_keys_are_one_object_each_across_its_scrapes():
    """A minute of scrapes is kept for the rates: each series' key (some 40 objects for a LiteLLM
    series) is held once, not once a scrape."""
    with SimServer() as sim:
        cfg = GatewayConfig("gw", f"{sim.url}/metrics", None, "litellm", None, 5.0, 3.0)

        async def run():
            async with httpx.AsyncClient(follow_redirects=True, timeout=cfg.timeout_s) as client:
                source = GatewaySource(cfg, client, env={})
                return await source.poll(), await source.poll()

        first, second = asyncio.run(run())
    assert first.ok and second.ok
    before = {s.key: s.key for s in first.samples}
    shared = [s.key for s in second.samples if s.key in before]
    assert len(shared) > 1000 and all(key is before[key] for key in shared)


def test_record_polls_headless_into_the_history(tmp_path):
    with SimServer(seed=3) as sim:
        history = tmp_path / "h.duckdb"
        config = tmp_path / "aiops.yaml"
        config.write_text(
            f"history: {history}\ninterval: 1s\n"
            f"gateways:\n  - name: gw\n    metrics_url: {sim.url}/metrics\n    status_url: {sim.url}/status\n    kind: health_json\n"
        )
        probe = (
            "import sys; from aiops_tui.cli import main; "
            f"code = main(['record', '--config', {str(config)!r}, '--duration', '3s']); "
            "print('textual' in sys.modules, code)"
        )
        env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path)}
        result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, env=env, cwd=tmp_path)
    assert result.stdout.strip() == "False 0", result.stderr
    assert "recording 1 source(s)" in result.stderr
    with History.open(history, read_only=True) as h:
        rates = h.samples("signal:requests_per_s", 0, 4e9, source="gw")
        states = h.samples("signal:breaker_state", 0, 4e9, source="gw")
        events = h.events(0, 4e9, kinds=["source"])
    assert rates and all(v >= 0 for _, _, v in rates)
    assert {key.label("upstream") for key, _, _ in states} >= {"openai/gpt-4o", "local/llama-3-8b-local"}
    assert [(e.subject, e.to_state) for e in events if e.subject == "gw"] == [("gw", "up")]

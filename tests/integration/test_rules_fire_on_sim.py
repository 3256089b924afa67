"""The shipped alert rules against the real demo gateway with an injected upstream outage: a real
Prometheus fires the breaker alert, and so do the same rules evaluated locally over a direct scrape;
either alert resolves to the breaker runbook with `$UPSTREAM` filled, and its promql has data."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from aiops_tui.config import GatewayConfig, PrometheusConfig
from aiops_tui.model import Alert
from aiops_tui.recorder import Recorder
from aiops_tui.resources import shipped_dir
from aiops_tui.signals.alert_rules import load_alert_rules, render_template
from aiops_tui.signals.runbooks import load_runbooks, match_alert
from aiops_tui.sim.model import GatewayModel
from aiops_tui.sim.server import SimServer
from aiops_tui.sources.gateway import GatewaySource
from aiops_tui.sources.local_alerts import LocalAlertSource
from aiops_tui.sources.prometheus import PrometheusSource
from aiops_tui.sources.promql_values import filled_queries, instant_values
from aiops_tui.store.history import History
from prom_harness import PromServer

RULES = shipped_dir("rules") / "aiops-alerts.yml"
UPSTREAM = "openai/gpt-4o"
STATE_QUERY = f'resilience4j_circuitbreaker_state{{name="{UPSTREAM}"}} == 1'


def busy_sim() -> SimServer:
    """The demo gateway at 40 requests/s: enough calls to the failing upstream to trip its breaker
    within a couple of seconds (at the default 8/s it takes some ten)."""
    return SimServer(model=GatewayModel(7, time.time(), rate_mean_per_s=40.0))


def inject_outage(sim: SimServer) -> None:
    answer = httpx.post(f"{sim.url}/faults", json={"fault": "upstream_outage", "target": UPSTREAM, "duration_s": 300}, timeout=5)
    answer.raise_for_status()


def breaker_alerts(alerts: list[Alert] | None) -> list[Alert]:
    return [a for a in alerts or [] if a.name == "LLMCircuitBreakerOpen" and a.state == "firing"]


def assert_opens_the_breaker_runbook(alert: Alert) -> list[str]:
    """The pane's data path: match the alert to its runbook and fill the runbook's promql."""
    runbooks, errors = load_runbooks([shipped_dir("runbooks")])
    assert errors == []
    match = match_alert(alert.name, alert.labels, alert.annotations, runbooks)
    assert (match.runbook.path.name, match.rule) == ("llm-circuit-breaker-open.md", "alerts")
    queries = filled_queries(match.runbook.promql_blocks, match.runbook, alert.labels)
    assert queries[0] == STATE_QUERY
    assert not any("$UPSTREAM" in q for q in queries)
    return queries


@pytest.mark.prometheus
def test_prometheus_fires_the_breaker_alert_and_its_runbook_queries_have_data(tmp_path):
    with busy_sim() as sim, PromServer(tmp_path / "prom", [f"127.0.0.1:{sim.port}"], rule_files=[RULES]) as prom:
        prom.wait_for("count(resilience4j_circuitbreaker_state)", bool)
        inject_outage(sim)
        cfg = PrometheusConfig(prom.url, {}, None, True, 1.0, 3.0, "auto", {})
        source = PrometheusSource(cfg)
        deadline = time.monotonic() + 60
        firing: list[Alert] = []
        while not firing and time.monotonic() < deadline:
            batch = asyncio.run(source.poll())
            assert batch.ok, batch.error
            firing = breaker_alerts(batch.alerts)
            if not firing:
                time.sleep(0.25)
        assert firing, f"LLMCircuitBreakerOpen never fired; alerts: {batch.alerts}"
        (alert,) = [a for a in firing if a.labels.get("upstream") == UPSTREAM]
        assert alert.labels["instance"] == f"127.0.0.1:{sim.port}" and alert.labels["severity"] == "critical"

        # The local renderer expands the rule's templates exactly as Prometheus did.
        (rule,) = [r for r in load_alert_rules(RULES) if r.name == alert.name]
        series_labels = {k: v for k, v in alert.labels.items() if k not in rule.labels}
        for name in ("summary", "description", "runbook_url"):
            assert render_template(rule.annotations[name], series_labels, 1.0) == alert.annotations[name]

        queries = assert_opens_the_breaker_runbook(alert)
        results = asyncio.run(instant_values(cfg, queries, 3.0))
        # The breaker's current state (open or half-open) reads 1, named by its own labels.
        assert results[0].text in (f"1 series by name, state: 1 ({UPSTREAM}, {state})" for state in ("open", "half_open"))
        assert all(r.ok for r in results), [(r.query, r.text) for r in results]


def test_the_same_rules_evaluated_locally_fire_the_breaker_alert_from_a_direct_scrape(tmp_path):
    with History.open(tmp_path / "h.duckdb") as history, busy_sim() as sim:
        gateway_cfg = GatewayConfig("gw", f"{sim.url}/metrics", f"{sim.url}/status", "health_json", None, 0.5, 2.0)
        gateway = GatewaySource(gateway_cfg, httpx.AsyncClient(follow_redirects=True, timeout=2.0))
        local = LocalAlertSource(history, source="gw", interval_s=0.5, instances={"gw": f"127.0.0.1:{sim.port}"})
        recorder = Recorder(history, [gateway, local])

        async def poll_until(done, timeout_s: float) -> None:
            deadline = time.monotonic() + timeout_s
            while not done() and time.monotonic() < deadline:
                await recorder.poller.run_cycle()
                await asyncio.sleep(0.1)

        asyncio.run(poll_until(lambda: recorder.poller.status["alerts"].last_ok_ts is not None, 10.0))
        assert recorder.poller.status["alerts"].last_ok_ts is not None, recorder.poller.status["alerts"].last_error
        assert breaker_alerts(recorder.poller.alerts) == []  # healthy before the outage
        inject_outage(sim)
        asyncio.run(poll_until(lambda: bool(breaker_alerts(recorder.poller.alerts)), 60.0))
        (alert,) = [a for a in breaker_alerts(recorder.poller.alerts) if a.labels["upstream"] == UPSTREAM]
        assert alert.labels["instance"] == f"127.0.0.1:{sim.port}"
        assert alert.annotations["summary"] == f"Circuit breaker for upstream {UPSTREAM} is open"
        fired = [e for e in history.events(0, time.time() + 1, kinds=["alert"]) if e.to_state == "firing"]
        assert [(e.subject, e.detail["labels"]["upstream"]) for e in fired] == [("LLMCircuitBreakerOpen", UPSTREAM)]
        assert_opens_the_breaker_runbook(alert)

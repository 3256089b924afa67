"""The shipped alert rules pass `promtool check rules`, fire as designed under `promtool test rules`
(hand-computed series), and every alert in them has a shipped runbook whose PromQL parses."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from aiops_tui.reports.runbooks_lint import lint_report
from prom_required import require_binary

pytestmark = pytest.mark.prometheus

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "rules" / "aiops-alerts.yml"
RUNBOOKS = ROOT / "runbooks"
URL = "https://runbooks.example.com/"


def test_promtool_check_rules_passes() -> None:
    promtool = require_binary("promtool")
    completed = subprocess.run([promtool, "check", "rules", str(RULES)], capture_output=True, text=True, timeout=60)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "SUCCESS" in completed.stdout


def test_lint_of_shipped_runbooks_and_rules_is_clean() -> None:
    promtool = require_binary("promtool")
    result = lint_report([RUNBOOKS], [RULES], promtool=promtool)
    assert result.problems == []
    assert result.notes == []


def promtool_test(tmp_path: Path, tests: list[dict]) -> subprocess.CompletedProcess[str]:
    promtool = require_binary("promtool")
    spec = tmp_path / "rules_test.yml"
    spec.write_text(yaml.safe_dump({"rule_files": [str(RULES)], "evaluation_interval": "1m", "tests": tests}))
    return subprocess.run([promtool, "test", "rules", str(spec)], capture_output=True, text=True, timeout=60)


def test_breaker_alert_fires_at_once_with_the_upstream_label(tmp_path: Path) -> None:
    breaker = 'resilience4j_circuitbreaker_state{{name="openai",state="{}",instance="gw:9000",job="gateway"}}'
    tests = [{
        "interval": "1m",
        "input_series": [
            {"series": breaker.format("closed"), "values": "1 1 0 0 0 1"},
            {"series": breaker.format("open"), "values": "0 0 1 0 0 0"},
            {"series": breaker.format("half_open"), "values": "0 0 0 1 0 0"},
            {"series": breaker.format("forced_open"), "values": "0 0 0 0 0 0"},
        ],
        "alert_rule_test": [
            {"eval_time": "1m", "alertname": "LLMCircuitBreakerOpen", "exp_alerts": []},
            # for: 0s, so it fires on the first evaluation that sees the breaker open
            {"eval_time": "2m", "alertname": "LLMCircuitBreakerOpen", "exp_alerts": [{
                "exp_labels": {"severity": "critical", "upstream": "openai", "instance": "gw:9000", "job": "gateway"},
                "exp_annotations": {
                    "summary": "Circuit breaker for upstream openai is open",
                    "description": "The gateway gw:9000 stopped sending requests to openai and is serving them "
                                   "from the fallback path (or failing them fast).",
                    "runbook_url": URL + "llm-circuit-breaker-open.md",
                },
            }]},
            # half-open still counts (no flapping while the upstream stays down); closed resolves
            {"eval_time": "3m", "alertname": "LLMCircuitBreakerOpen",
             "exp_alerts": [{"exp_labels": {"severity": "critical", "upstream": "openai", "instance": "gw:9000",
                                            "job": "gateway"},
                             "exp_annotations": {
                                 "summary": "Circuit breaker for upstream openai is open",
                                 "description": "The gateway gw:9000 stopped sending requests to openai and is "
                                                "serving them from the fallback path (or failing them fast).",
                                 "runbook_url": URL + "llm-circuit-breaker-open.md"}}]},
            {"eval_time": "5m", "alertname": "LLMCircuitBreakerOpen", "exp_alerts": []},
        ],
    }]
    completed = promtool_test(tmp_path, tests)
    assert completed.returncode == 0, completed.stdout + completed.stderr


def test_error_ratio_counts_error_statuses_only(tmp_path: Path) -> None:
    requests = 'aiops_requests_total{{model="gpt-4o",tier="tier_1",status="{}"}}'
    tests = [{
        "interval": "1m",
        "input_series": [
            # per minute: 9 ok, 0.5 error, 0.5 "503" -> 1 of 10 requests fails: ratio 0.1 > 0.05
            {"series": requests.format("ok"), "values": "0+9x20"},
            {"series": requests.format("error"), "values": "0+0.5x20"},
            {"series": requests.format("503"), "values": "0+0.5x20"},
        ],
        "alert_rule_test": [
            # true from the first rate at 1m; `for: 5m` means pending until 6m
            {"eval_time": "5m", "alertname": "LLMErrorRatioHigh", "exp_alerts": []},
            {"eval_time": "10m", "alertname": "LLMErrorRatioHigh", "exp_alerts": [{
                "exp_labels": {"severity": "critical", "model": "gpt-4o"},
                "exp_annotations": {
                    "summary": "10% of requests to gpt-4o fail",
                    "description": "More than 5 % of LLM requests to model gpt-4o have failed over the last "
                                   "5 minutes, for 5 minutes.",
                    "runbook_url": URL + "llm-error-ratio-high.md",
                },
            }]},
        ],
    }]
    completed = promtool_test(tmp_path, tests)
    assert completed.returncode == 0, completed.stdout + completed.stderr


def test_cost_burn_multiples_and_the_burn_alerts(tmp_path: Path) -> None:
    # promtool evaluates from 1970-01-01: January, 31 days. Budget 3100 USD -> 3100 / 744 h
    # = 4.1667 USD/h. Spend 1.2 USD a minute, from 0 (no extrapolation before the first sample).
    # At 90m: 1h window 72 USD/h -> 72 * 744 / 3100 = 17.28x (> 14.4, the 5m window agrees);
    # the 6h window holds 108 USD: 18 USD/h -> 4.32x (< 6, so no 6h alert).
    multiple_x100 = "round(aiops:cost_burn_multiple:{} * 100)"  # promtool compares floats exactly
    tests = [{
        "interval": "1m",
        "input_series": [
            {"series": 'aiops_cost_usd_total{model="gpt-4o",tier="tier_1"}', "values": "0+1.2x120"},
            {"series": 'aiops_budget_monthly_usd{instance="gw:9000",job="gateway"}', "values": "3100x120"},
        ],
        "promql_expr_test": [
            {"expr": multiple_x100.format("rate1h"), "eval_time": "90m",
             "exp_samples": [{"labels": "{}", "value": 1728}]},
            {"expr": multiple_x100.format("rate6h"), "eval_time": "90m",
             "exp_samples": [{"labels": "{}", "value": 432}]},
        ],
        "alert_rule_test": [
            {"eval_time": "90m", "alertname": "LLMCostBurnRateHigh", "exp_alerts": [{
                "exp_labels": {"severity": "critical", "burn_window": "1h"},
                "exp_annotations": {
                    "summary": "LLM spend burns the monthly budget 17.3x too fast (1 h window)",
                    "description": "Over the last hour spend ran at 17.3x the budget's pace and the last 5 "
                                   "minutes agree: at 14.4x, 2 % of the month's budget goes every hour and all of "
                                   "it in about 2 days (720 h / 14.4 = 50 h).",
                    "runbook_url": URL + "llm-cost-burn-rate-high.md",
                },
            }]},
            # Budget at risk: the 1d multiple passes 1 when 1.2 t / 24 h > 4.1667 USD/h, t > 83.3m,
            # so it is pending from 84m and fires at 84m + 30m = 114m.
            {"eval_time": "90m", "alertname": "LLMBudgetAtRisk", "exp_alerts": []},
            # At 120m: 144 USD / 24 h = 6 USD/h -> 6 / 4.1667 = 1.44x the budget.
            {"eval_time": "120m", "alertname": "LLMBudgetAtRisk", "exp_alerts": [{
                "exp_labels": {"severity": "warning"},
                "exp_annotations": {
                    "summary": "At the last day's pace, LLM spend ends the month at 1.44x the budget",
                    "description": "Spend over the last 24 hours (and the last 6) runs faster than the monthly "
                                   "budget allows. The cost pane shows month-to-date spend and the projected "
                                   "month end.",
                    "runbook_url": URL + "llm-budget-at-risk.md",
                },
            }]},
        ],
    }]
    completed = promtool_test(tmp_path, tests)
    assert completed.returncode == 0, completed.stdout + completed.stderr


def test_gateway_down_and_other_targets_down_are_separate_alerts(tmp_path: Path) -> None:
    tests = [{
        "interval": "1m",
        "input_series": [
            {"series": 'up{job="gateway",instance="127.0.0.1:9000"}', "values": "0x10"},
            {"series": 'up{job="node",instance="n1:9100"}', "values": "0x10"},
        ],
        "alert_rule_test": [
            {"eval_time": "8m", "alertname": "LLMGatewayDown", "exp_alerts": [{
                "exp_labels": {"severity": "critical", "job": "gateway", "instance": "127.0.0.1:9000"},
                "exp_annotations": {
                    "summary": "LLM gateway 127.0.0.1:9000 is unreachable",
                    "description": "Prometheus has failed to scrape 127.0.0.1:9000 (job gateway) for a minute: "
                                   "the gateway is down, or the network or its /metrics endpoint is broken.",
                    "runbook_url": URL + "llm-gateway-down.md",
                },
            }]},
            {"eval_time": "8m", "alertname": "PrometheusTargetDown", "exp_alerts": [{
                "exp_labels": {"severity": "warning", "job": "node", "instance": "n1:9100"},
                "exp_annotations": {
                    "summary": "Scrape target n1:9100 (job node) is down",
                    "description": "Prometheus has failed to scrape n1:9100 for 5 minutes; the signals it feeds "
                                   "are going stale.",
                    "runbook_url": URL + "llm-gateway-down.md#prometheus-target-down",
                },
            }]},
        ],
    }]
    completed = promtool_test(tmp_path, tests)
    assert completed.returncode == 0, completed.stdout + completed.stderr


def test_fallback_cache_and_latency_alerts(tmp_path: Path) -> None:
    bucket = 'litellm_request_total_latency_metric_bucket{{model="gpt-4o",le="{}"}}'
    tests = [{
        "interval": "1m",
        "input_series": [
            # 2 fallbacks a minute out of 10 requests: 0.2 > 0.1
            {"series": 'aiops_fallback_total{from="openai",to="local"}', "values": "0+2x30"},
            {"series": 'aiops_requests_total{model="gpt-4o",tier="tier_1",status="ok"}', "values": "0+10x30"},
            # 4 hits a minute out of 10 lookups: 0.4 < 0.5
            {"series": "aiops_cache_hits_total", "values": "0+4x30"},
            {"series": "aiops_cache_requests_total", "values": "0+10x30"},
            # 10 requests a minute, all between 5 s and 10 s: p95 = 5 + (10 - 5) * 9.5 / 10 = 9.75 s
            {"series": bucket.format("1"), "values": "0x30"},
            {"series": bucket.format("5"), "values": "0x30"},
            {"series": bucket.format("10"), "values": "0+10x30"},
            {"series": bucket.format("+Inf"), "values": "0+10x30"},
        ],
        "alert_rule_test": [
            {"eval_time": "20m", "alertname": "LLMFallbackRateSpike", "exp_alerts": [{
                "exp_labels": {"severity": "warning", "from": "openai", "to": "local"},
                "exp_annotations": {
                    "summary": "20% of requests fall back from openai to local",
                    "description": "More than 10 % of requests have taken the fallback path from openai to local "
                                   "for 5 minutes: answers are slower or of lower quality.",
                    "runbook_url": URL + "llm-fallback-rate-spike.md",
                },
            }]},
            {"eval_time": "20m", "alertname": "LLMCacheHitRateLow", "exp_alerts": [{
                "exp_labels": {"severity": "warning"},
                "exp_annotations": {
                    "summary": "Response cache hit rate is 40% (target 60 %)",
                    "description": "The LLM response cache has answered fewer than half of lookups for 15 "
                                   "minutes; every miss is a paid upstream call.",
                    "runbook_url": URL + "llm-cache-hit-rate-low.md",
                },
            }]},
            {"eval_time": "20m", "alertname": "LLMLatencyP95High", "exp_alerts": [{
                "exp_labels": {"severity": "warning", "model": "gpt-4o"},
                "exp_annotations": {
                    "summary": "p95 latency of gpt-4o is 9.75s",
                    "description": "The 95th percentile of total request latency for model gpt-4o has been above "
                                   "the 5 s target for 10 minutes.",
                    "runbook_url": URL + "llm-latency-p95-high.md",
                },
            }]},
        ],
    }]
    completed = promtool_test(tmp_path, tests)
    assert completed.returncode == 0, completed.stdout + completed.stderr

"""The shipped alert rules evaluated locally over a hand-built history: each condition fires, honours
its rule's `for:`, resolves, and renders its annotations as Prometheus would."""

from __future__ import annotations

import asyncio

import pytest

from aiops_tui.model import Batch, Event, Sample
from aiops_tui.signals.alert_rules import (
    BreakerOpen,
    BurnRate,
    FallbackShare,
    SourceDown,
    Threshold,
    go_float,
    humanize,
    humanize_duration,
    load_alert_rules,
    local_rules,
    parse_alert_rules,
    render_template,
    unsupported_rules,
)
from aiops_tui.sources.local_alerts import LocalAlertSource
from aiops_tui.sources.poller import Poller
from aiops_tui.store.history import History
from history_builders import T0, key
from clocks import HandClock

GPT4O = {"upstream": "openai/gpt-4o", "tier": "tier_1", "fallback": "local/llama-3-8b-local"}


@pytest.fixture
def history(tmp_path):
    with History.open(tmp_path / "h.duckdb") as opened:
        yield opened


def write_signal(history: History, signal: str, points: list[tuple[float, float]], source: str = "gw", **labels: str) -> None:
    """`signal:<signal>` samples at T0 + offset."""
    series = key(f"signal:{signal}", source, **labels)
    history.write_cycle([Batch(source, T0, [Sample(series, T0 + offset, value) for offset, value in points])])


def every(step_s: int, start: int, stop: int, value: float) -> list[tuple[float, float]]:
    """(offset, value) from `start` to `stop` inclusive."""
    return [(float(t), value) for t in range(start, stop + 1, step_s)]


def alerts_at(history: History, offset: float, name: str | None = None, **options) -> list:
    source = LocalAlertSource(history, source="gw", instances={"gw": "gw:9000"}, **options)
    found = source.evaluate(T0 + offset)
    return [a for a in found if name is None or a.name == name]


# --- the rules file ---------------------------------------------------------------------------


def test_thresholds_and_durations_come_from_the_shipped_rules_file():
    rules = load_alert_rules()
    supported, unsupported = local_rules(rules)
    by_name = {(r.rule.name, r.rule.labels.get("burn_window")): (r.rule.for_s, r.condition) for r in supported}
    assert by_name[("LLMCircuitBreakerOpen", None)] == (0.0, BreakerOpen(1.0))  # half_open (1) counts
    assert by_name[("LLMErrorRatioHigh", None)] == (300.0, Threshold("error_ratio", "model", ">", 0.05))
    assert by_name[("LLMLatencyP95High", None)] == (600.0, Threshold("latency_p95_s", "model", ">", 5.0))
    assert by_name[("LLMCacheHitRateLow", None)] == (900.0, Threshold("cache_hit_ratio", None, "<", 0.5))
    assert by_name[("LLMFallbackRateSpike", None)] == (300.0, FallbackShare(">", 0.1))
    assert by_name[("LLMCostBurnRateHigh", "1h")] == (120.0, BurnRate(((3600.0, ">", 14.4), (300.0, ">", 14.4))))
    assert by_name[("LLMCostBurnRateHigh", "6h")] == (120.0, BurnRate(((21600.0, ">", 6.0), (1800.0, ">", 6.0))))
    assert by_name[("LLMBudgetAtRisk", None)] == (1800.0, BurnRate(((86400.0, ">", 1.0), (21600.0, ">", 1.0))))
    assert by_name[("LLMGatewayDown", None)] == (60.0, SourceDown())
    assert set(unsupported) == {"PrometheusTargetDown"}
    assert unsupported_rules() == unsupported


def test_an_edited_rule_moves_its_threshold_and_a_reshaped_one_is_listed_unsupported():
    text = """
groups:
  - name: g
    rules:
      - alert: LLMErrorRatioHigh
        expr: sum(rate(x[5m])) / sum(rate(y[5m])) > 0.2
        for: 1m30s
      - alert: LLMLatencyP95High
        expr: histogram_quantile(0.95, sum by (le) (rate(z[5m])))
      - record: not_an_alert
        expr: vector(1)
      - alert: SomethingElse
        expr: vector(1)
"""
    supported, unsupported = local_rules(parse_alert_rules(text))
    assert [(r.rule.name, r.rule.for_s, r.condition) for r in supported] == [
        ("LLMErrorRatioHigh", 90.0, Threshold("error_ratio", "model", ">", 0.2)),
    ]
    assert unsupported["LLMLatencyP95High"].startswith("its rule changed shape")
    assert unsupported["SomethingElse"] == "no local condition: only Prometheus evaluates it"


# --- templates --------------------------------------------------------------------------------


def test_annotation_templates_render_like_prometheus():
    labels = {"model": "gpt-4o"}
    assert render_template("{{ $value | humanizePercentage }} of {{ $labels.model }}", labels, 0.0734) == "7.34% of gpt-4o"
    assert render_template('{{ $value | printf "%.1f" }}x', labels, 17.68) == "17.7x"
    assert render_template("{{ $value | humanizeDuration }}", labels, 6.5) == "6.5s"
    assert render_template("{{ $labels.instance }} / {{ .Labels.model }}", labels, 1) == "<no value> / gpt-4o"
    assert render_template("{{ $value }} {{ unknownFunction }}", labels, 0.25) == "0.25 {{ unknownFunction }}"
    # Go prints float64 with its shortest digits and switches to the exponent form at 1e6.
    assert [go_float(v) for v in (100.0, 123456.0, 1e6, 1234567.0, 0.0001, 0.00001)] == [
        "100", "123456", "1e+06", "1.234567e+06", "0.0001", "1e-05",
    ]
    # 93784 s = 1 d (86400) + 2 h (7200) + 3 m (180) + 4 s.
    assert [humanize_duration(v) for v in (93784, 125, 0.25)] == ["1d 2h 3m 4s", "2m 5s", "250ms"]
    assert [humanize(v) for v in (2500.0, 0.012)] == ["2.5k", "12m"]


# --- each condition over a history --------------------------------------------------------------


def test_breaker_open_or_half_open_fires_at_once_and_resolves_when_closed(history):
    write_signal(history, "breaker_state", every(30, 0, 60, 0.0) + [(90, 2.0), (120, 2.0), (150, 1.0), (180, 0.0)], **GPT4O)
    assert alerts_at(history, 60) == []
    (opened,) = alerts_at(history, 90)
    assert (opened.name, opened.state, opened.active_since) == ("LLMCircuitBreakerOpen", "firing", T0 + 90)
    assert dict(opened.labels) == {
        "upstream": "openai/gpt-4o", "tier": "tier_1", "instance": "gw:9000", "job": "gw", "severity": "critical",
    }
    assert opened.annotations["summary"] == "Circuit breaker for upstream openai/gpt-4o is open"
    assert opened.annotations["runbook_url"].endswith("/llm-circuit-breaker-open.md")
    (half_open,) = alerts_at(history, 150)
    assert half_open.active_since == T0 + 90  # open -> half-open does not restart it
    assert alerts_at(history, 180) == []


def test_error_ratio_per_model_is_pending_until_it_has_held_for_five_minutes(history):
    write_signal(history, "error_ratio", every(30, 0, 60, 0.01) + every(30, 90, 420, 0.10) + [(450, 0.0)], model="gpt-4o")
    write_signal(history, "error_ratio", every(30, 0, 450, 0.5))  # the all-models total: the rule is `by (model)`
    (pending,) = alerts_at(history, 360)
    assert pending.state == "pending"  # 360 - 90 = 270 s < 300 s
    (firing,) = alerts_at(history, 390)
    assert (firing.state, dict(firing.labels)) == ("firing", {"model": "gpt-4o", "severity": "critical"})
    assert firing.annotations["summary"] == "10% of requests to gpt-4o fail"
    assert alerts_at(history, 450) == []


def test_a_gap_in_the_samples_restarts_the_for_duration(history):
    write_signal(history, "error_ratio", every(30, 0, 120, 0.10) + every(30, 300, 600, 0.10), model="gpt-4o")
    assert alerts_at(history, 250) == []  # the last sample (120) is 130 s old: stale
    (after_gap,) = alerts_at(history, 590)
    assert (after_gap.state, after_gap.active_since) == ("pending", T0 + 300)  # 180 s gap broke the run
    assert alerts_at(history, 600)[0].state == "firing"  # 600 - 300 = 300 s


def test_latency_p95_fires_only_for_the_slow_model(history):
    write_signal(history, "latency_p95_s", every(30, 0, 600, 6.5), model="gpt-4o")
    write_signal(history, "latency_p95_s", every(30, 0, 600, 1.0), model="gpt-4o-mini")
    assert alerts_at(history, 570)[0].state == "pending"
    (slow,) = alerts_at(history, 600)
    assert (slow.state, slow.labels["model"]) == ("firing", "gpt-4o")
    assert slow.annotations["summary"] == "p95 latency of gpt-4o is 6.5s"


def test_cache_hit_rate_low_reads_the_total_not_each_model(history):
    write_signal(history, "cache_hit_ratio", every(30, 0, 900, 0.4))
    write_signal(history, "cache_hit_ratio", every(30, 0, 900, 0.1), model="gpt-4o")
    assert alerts_at(history, 870)[0].state == "pending"
    (low,) = alerts_at(history, 900)
    assert (low.state, dict(low.labels)) == ("firing", {"severity": "warning"})
    assert low.annotations["summary"] == "Response cache hit rate is 40% (target 60 %)"


def test_fallback_share_is_of_all_requests_and_names_the_route(history):
    write_signal(history, "breaker_state", every(30, 0, 300, 2.0), **GPT4O)
    for model, ratio, requests in (("gpt-4o", 0.5, 2.0), ("gpt-4o-mini", 0.1, 3.0)):
        write_signal(history, "fallback_ratio", every(30, 0, 300, ratio), model=model)
        write_signal(history, "requests_per_s", every(30, 0, 300, requests), model=model)
    write_signal(history, "requests_per_s", every(30, 0, 300, 5.0))
    # gpt-4o: 0.5 x 2 / 5 = 0.2 of all requests (> 0.1); mini: 0.1 x 3 / 5 = 0.06 (not).
    (spike,) = alerts_at(history, 300, "LLMFallbackRateSpike")
    assert spike.state == "firing"
    assert dict(spike.labels) == {"from": "openai/gpt-4o", "to": "local/llama-3-8b-local", "severity": "warning"}
    assert spike.annotations["summary"] == "20% of requests fall back from openai/gpt-4o to local/llama-3-8b-local"


# Budget 744 USD in January 2026 (31 d = 744 h): the budget's pace is exactly 1 USD/h, so a spend
# rate in USD/h is its burn multiple.
BUDGET_USD = 744.0


def test_cost_burn_pages_when_the_long_and_the_short_window_agree(history):
    write_signal(history, "budget_monthly_usd", every(60, 0, 3600, BUDGET_USD))
    write_signal(history, "spend_usd_per_h", every(60, 0, 3600, 20.0))
    burn = {a.labels["burn_window"]: a for a in alerts_at(history, 3600, "LLMCostBurnRateHigh")}
    assert {w: a.state for w, a in burn.items()} == {"1h": "firing", "6h": "firing"}  # 20x > 14.4x and > 6x
    assert burn["1h"].annotations["summary"] == "LLM spend burns the monthly budget 20.0x too fast (1 h window)"
    (at_risk,) = alerts_at(history, 3600, "LLMBudgetAtRisk")
    assert at_risk.state == "firing"  # above 1x since T0: 3600 s >= 30 m


def test_a_short_spike_alone_does_not_page_the_one_hour_window(history):
    write_signal(history, "budget_monthly_usd", every(60, 0, 3600, BUDGET_USD))
    write_signal(history, "spend_usd_per_h", every(60, 0, 3300, 1.0) + every(60, 3360, 3600, 100.0))
    # At 3600: 1 h window (0, 3600] = 55 points of 1 and 5 of 100: 555 / 60 = 9.25x < 14.4x, though
    # the 5 m window reads 100x. 6 h window: all 61 points, 556 / 61 = 9.1x > 6x, and 30 m: 25 ones
    # and 5 x 100 = 525 / 30 = 17.5x > 6x. It first held at 3480 (356 / 59 = 6.03x; 3420: 4.4x).
    (burn,) = alerts_at(history, 3600, "LLMCostBurnRateHigh")
    assert (burn.labels["burn_window"], burn.state, burn.active_since) == ("6h", "firing", T0 + 3480)
    assert burn.annotations["summary"] == "LLM spend burns the monthly budget 9.1x too fast (6 h window)"
    assert alerts_at(history, 3590, "LLMCostBurnRateHigh")[0].state == "pending"  # 110 s < 2 m


def test_the_budget_the_gateway_reports_wins_over_the_configured_one(history):
    write_signal(history, "spend_usd_per_h", every(60, 0, 3600, 20.0))
    assert alerts_at(history, 3600, "LLMCostBurnRateHigh") == []  # no budget anywhere: no multiple
    assert len(alerts_at(history, 3600, "LLMCostBurnRateHigh", monthly_budget_usd=BUDGET_USD)) == 2
    write_signal(history, "budget_monthly_usd", every(60, 0, 3600, 4 * BUDGET_USD))  # 20 / 4 = 5x
    assert alerts_at(history, 3600, "LLMCostBurnRateHigh", monthly_budget_usd=BUDGET_USD) == []


def test_gateway_down_comes_from_source_events_and_honours_for(history):
    history.write_events([
        Event(T0, "source", "gw", None, "up"),
        Event(T0 + 100, "source", "gw", "up", "down"),
        Event(T0 + 100, "source", "prometheus", "up", "down"),  # not a gateway
    ])
    assert alerts_at(history, 159, "LLMGatewayDown")[0].state == "pending"
    (down,) = alerts_at(history, 160, "LLMGatewayDown")
    assert (down.state, dict(down.labels)) == ("firing", {"instance": "gw:9000", "job": "gw", "severity": "critical"})
    assert down.annotations["summary"] == "LLM gateway gw:9000 is unreachable"
    history.write_events([Event(T0 + 300, "source", "gw", "down", "up")])
    assert alerts_at(history, 300, "LLMGatewayDown") == []


# --- as a source of the poller ---------------------------------------------------------------


def test_the_poller_writes_firing_and_resolved_events_from_local_alerts(history):
    write_signal(history, "breaker_state", [(0, 0.0), (30, 2.0), (60, 2.0), (90, 0.0)], **GPT4O)
    clock = HandClock(T0)
    source = LocalAlertSource(history, source="gw", clock=clock, interval_s=30.0)
    poller = Poller([source], history.write_cycle, clock=clock)
    for offset in (0, 30, 60, 90):
        clock.now = T0 + offset
        asyncio.run(poller.run_cycle())
    alerts = history.events(T0, T0 + 90, kinds=["alert"])
    assert [(e.ts - T0, e.subject, e.from_state, e.to_state) for e in alerts] == [
        (30, "LLMCircuitBreakerOpen", "inactive", "firing"),
        (90, "LLMCircuitBreakerOpen", "firing", "resolved"),
    ]
    assert alerts[0].detail["labels"]["upstream"] == "openai/gpt-4o"
    assert alerts[0].detail["annotations"]["summary"] == "Circuit breaker for upstream openai/gpt-4o is open"


def test_a_poll_over_an_unreadable_history_is_a_one_line_error(tmp_path):
    history = History.open(tmp_path / "h.duckdb")
    source = LocalAlertSource(history, source="gw")
    history.close()
    batch = asyncio.run(source.poll())
    assert batch.alerts is None and batch.error and "closed" in batch.error and "\n" not in batch.error

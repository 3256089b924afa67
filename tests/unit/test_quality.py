"""AI output quality: the quality row's judgements, and the aiops_sim signals behind it computed
locally and by Prometheus (through promtool) from the same hand-made series."""

from __future__ import annotations

import math
import subprocess

import pytest

from aiops_tui.config import load_config
from aiops_tui.model import Sample, SeriesKey, make_labels
from aiops_tui.signals.prommath import signals_from_scrapes
from aiops_tui.signals.quality import QualityTargets, bad_below, judge_ratio, quality_readings
from aiops_tui.signals.readings import NO_DATA, NO_TRAFFIC, Reading
from aiops_tui.sim.exposition import to_samples
from aiops_tui.sim.model import GatewayModel
from aiops_tui.sources import conventions

T0 = 1_790_000_000.0  # 2026-09-21 14:13:20 UTC, afternoon traffic


# --- judging ------------------------------------------------------------------------------------

def test_a_ratio_turns_bad_once_the_shortfall_passes_the_allowed_failure_share():
    assert bad_below(0.98) == pytest.approx(0.96)  # 98 % allows 2 % failures: bad past 2 more
    assert bad_below(1.0) == pytest.approx(0.99)  # 100 % allows none: bad past one point
    assert [judge_ratio(v, 0.98).status for v in (0.99, 0.98, 0.97, 0.96, 0.9599)] == ["ok", "ok", "warn", "warn", "bad"]
    assert [judge_ratio(v, 1.0).status for v in (1.0, 0.995, 0.99, 0.98)] == ["ok", "warn", "warn", "bad"]
    assert judge_ratio(0.5, 0.0) == Reading(0.5)  # a target of 0 means "no target"


def test_quality_row_judges_each_reading_against_its_target():
    latest = {
        ("validation_pass_ratio", ""): 0.97,
        ("validation_pass_ratio", "gpt-4o"): 0.88,
        ("validation_pass_ratio", "claude-3-5-haiku"): 0.995,
        ("validation_pass_ratio", "llama-3-8b-local"): math.nan,  # nothing generated
        ("review_queue_depth", ""): 37.0,
        ("review_oldest_age_s", ""): 3000.0,
        ("reviewed_per_h", ""): 58.0,
        ("reviewed_per_h", "gpt-4o"): 58.0,
        ("review_capacity_per_h", ""): 60.0,
        ("audit_coverage_ratio", ""): 1.0,
        ("requests_per_s", ""): 12.0,  # other signals are ignored
    }
    row = quality_readings(latest, QualityTargets())
    assert row.validation_pass_ratio == Reading(0.97, "warn")  # under 98 %, above 96 %
    assert row.review_queue_depth == Reading(37.0)  # no target: depth alone says little
    assert row.review_oldest_age_s == Reading(3000.0, "warn")  # past 80 % of the hour (2,880 s)
    assert row.reviewed_per_h == Reading(58.0) and row.review_capacity_per_h == Reading(60.0)
    assert row.audit_coverage_ratio == Reading(1.0, "ok")
    assert list(row.pass_ratio_by_model.items()) == [
        ("gpt-4o", Reading(0.88, "bad")), ("claude-3-5-haiku", Reading(0.995, "ok")), ("llama-3-8b-local", NO_TRAFFIC)]
    assert row.status == "warn" and row.present


def test_quality_row_targets_come_from_config(tmp_path):
    path = tmp_path / "aiops.yaml"
    path.write_text("targets:\n  validation_pass_ratio: 0.9\n  audit_coverage_ratio: 0.99\n")
    targets = QualityTargets.from_config(load_config(path).targets)
    assert targets == QualityTargets(0.9, 0.99, 3600.0)
    row = quality_readings({("validation_pass_ratio", ""): 0.95, ("audit_coverage_ratio", ""): 0.985}, targets)
    assert row.validation_pass_ratio.status == "ok"  # 95 % against 90 %
    assert row.audit_coverage_ratio.status == "warn"  # 98.5 % against 99 %: bad below 98 %
    plain = tmp_path / "plain.yaml"
    plain.write_text("environment: staging\n")
    assert QualityTargets.from_config(load_config(plain).targets) == QualityTargets()  # 98 %, 100 %


def test_quality_row_without_a_source_or_without_traffic():
    empty = quality_readings({})
    assert not empty.present and empty.status == "none"
    assert empty.validation_pass_ratio == NO_DATA and empty.pass_ratio_by_model == {}
    quiet = quality_readings({("validation_pass_ratio", ""): math.nan, ("audit_coverage_ratio", ""): math.nan,
                              ("review_queue_depth", ""): 0.0, ("review_oldest_age_s", ""): 0.0})
    assert quiet.present
    assert quiet.validation_pass_ratio == NO_TRAFFIC and quiet.audit_coverage_ratio == NO_TRAFFIC
    assert quiet.review_oldest_age_s == Reading(0.0, "ok") and quiet.status == "ok"


def test_oldest_age_can_be_shown_unjudged():
    row = quality_readings({("review_oldest_age_s", ""): 9000.0}, QualityTargets(review_oldest_age_s=None))
    assert row.review_oldest_age_s == Reading(9000.0)


# --- the aiops_sim signals, computed locally and by Prometheus ------------------------------------
# Counters grow `per_min` every minute from 0 (gauges hold still), sampled each minute for 10
# minutes. Both computations see a straight line, so each rate is exactly per_min / 60.

SERIES = [  # (metric, labels, "counter" | "gauge", per minute or value)
    ("aiops_validation_items_total", {"model": "gpt-4o", "result": "pass"}, "counter", 570),  # 9.5/s
    ("aiops_validation_items_total", {"model": "gpt-4o", "result": "fail"}, "counter", 30),  # 0.5/s
    ("aiops_validation_items_total", {"model": "haiku", "result": "pass"}, "counter", 600),  # 10/s
    ("aiops_processed_total", {"model": "gpt-4o"}, "counter", 600),
    ("aiops_processed_total", {"model": "haiku"}, "counter", 600),
    ("aiops_audit_log_total", {"model": "gpt-4o"}, "counter", 540),  # 60 a minute never logged
    ("aiops_audit_log_total", {"model": "haiku"}, "counter", 600),
    ("aiops_reviewed_total", {"model": "gpt-4o"}, "counter", 1),
    ("aiops_review_queue_depth", {}, "gauge", 12),
    ("aiops_review_oldest_age_seconds", {}, "gauge", 900),
    ("aiops_review_capacity_items_per_hour", {}, "gauge", 60),
    ("aiops_tokens_total", {"model": "gpt-4o", "type": "input"}, "counter", 6000),
    ("aiops_tokens_total", {"model": "gpt-4o", "type": "output"}, "counter", 1200),
]
EXPECTED = {
    # gpt-4o 9.5 of 10, haiku 10 of 10 (no fail series: all passed), total 19.5 of 20
    "validation_pass_ratio": {"gpt-4o": 0.95, "haiku": 1.0, "*": 0.975},
    # gpt-4o 540 of 600 a minute, haiku 600 of 600, total 1140 of 1200
    "audit_coverage_ratio": {"gpt-4o": 0.9, "haiku": 1.0, "*": 0.95},
    "review_queue_depth": {"*": 12.0},
    "review_oldest_age_s": {"*": 900.0},
    "review_capacity_per_h": {"*": 60.0},
    "reviewed_per_h": {"gpt-4o": 60.0, "*": 60.0},  # 1 a minute = 1/60 per s x 3600
    "input_tokens_per_s": {"gpt-4o": 100.0, "*": 100.0},  # 6000 / 60
    "output_tokens_per_s": {"gpt-4o": 20.0, "*": 20.0},  # 1200 / 60
}


def scrape_at(minute: int) -> list[Sample]:
    return [
        Sample(SeriesKey("gw", metric, make_labels(labels)), minute * 60.0, per_min * minute if kind == "counter" else per_min)
        for metric, labels, kind, per_min in SERIES
    ]


def test_local_computation_gives_the_hand_computed_quality_signals():
    signals = signals_from_scrapes(scrape_at(9), scrape_at(10), "aiops_sim")
    assert set(signals) == set(EXPECTED)
    for signal, values in EXPECTED.items():
        assert signals[signal] == pytest.approx(values, rel=1e-12), signal
        assert conventions.group_label(signal) == "model"


def test_quality_signals_have_plain_queries_and_names():
    queries = conventions.signal_queries(["aiops_sim"])
    assert queries["review_queue_depth"] == "sum(aiops_review_queue_depth)"
    assert queries["review_oldest_age_s"] == "max(aiops_review_oldest_age_seconds)"
    assert queries["validation_pass_ratio"].startswith(
        '(sum by (model) (rate(aiops_validation_items_total{result="pass",model!=""}[5m])) or 0 * ')
    assert conventions.describe_source("audit_coverage_ratio", ["aiops_sim"]) == (
        "audit coverage from aiops_audit_log_total / aiops_processed_total")
    assert conventions.promql("validation_pass_ratio", "litellm") is None  # LiteLLM has no such stage


@pytest.mark.prometheus
def test_prometheus_gives_the_same_quality_numbers(tmp_path):
    from prom_required import require_binary

    promtool = require_binary("promtool")
    queries = conventions.signal_queries(["aiops_sim"])
    lines = ["rule_files: []", "evaluation_interval: 1m", "tests:", "  - interval: 1m", "    input_series:"]
    for metric, labels, kind, value in SERIES:
        selector = metric + "{" + ",".join(f'{k}="{v}"' for k, v in labels.items()) + "}"
        lines += [f"      - series: '{selector}'", f"        values: '{f'0+{value}x10' if kind == 'counter' else f'{value}x10'}'"]
    lines.append("    promql_expr_test:")
    for signal, values in EXPECTED.items():
        lines += [f"      - expr: '{queries[signal]}'", "        eval_time: 10m", "        exp_samples:"]
        for group, expected in values.items():
            labels = "{}" if group == "*" else f'{{model="{group}"}}'
            lines += [f"          - labels: '{labels}'", f"            value: {expected!r}"]
    spec = tmp_path / "quality.yml"
    spec.write_text("\n".join(lines) + "\n")
    result = subprocess.run([promtool, "test", "rules", str(spec)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]


def test_the_sims_own_scrapes_give_the_quality_row():
    model = GatewayModel(42, T0)
    model.advance(T0 + 300)
    before = to_samples(model.families(), source="sim", ts=model.now_ts)
    model.inject("validation_drop")  # every rule fails 40x as often: 88.4 % pass
    model.advance(T0 + 360)
    after = to_samples(model.families(), source="sim", ts=model.now_ts)
    signals = signals_from_scrapes(before, after, "*")

    def grown(name: str, **match: str) -> float:
        def total(samples):
            return sum(s.value for s in samples if s.key.name == name and all(s.key.label(k) == v for k, v in match.items()))
        return total(after) - total(before)

    passed, failed = grown("aiops_validation_items_total", result="pass"), grown("aiops_validation_items_total", result="fail")
    assert signals["validation_pass_ratio"]["*"] == pytest.approx(passed / (passed + failed), rel=1e-12)
    assert signals["validation_pass_ratio"]["*"] < 0.95
    assert signals["audit_coverage_ratio"]["*"] == 1.0  # every processed item is logged
    assert signals["review_queue_depth"]["*"] == model.truth()["review_queue_depth"] > 0
    assert signals["review_capacity_per_h"]["*"] == 60.0
    # LiteLLM's split (by requested model) wins over the sim's own (by the model that answered).
    assert signals["input_tokens_per_s"]["*"] > signals["output_tokens_per_s"]["*"] > 0
    row = quality_readings({(s, "" if g == "*" else g): v for s, by in signals.items() for g, v in by.items()})
    assert row.validation_pass_ratio.status == "bad" and row.audit_coverage_ratio.status == "ok"

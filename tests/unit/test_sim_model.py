"""The demo gateway model: determinism, breaker transitions, faults, and metric families that
parse back from their rendered text exactly and look like LiteLLM's / OTel's real ones."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from aiops_tui.errors import UserError
from aiops_tui.sim.breaker import CircuitBreaker
from aiops_tui.sim.exposition import Family, render
from aiops_tui.sim.model import GatewayModel
from aiops_tui.sim.pricing import load_pricing
from aiops_tui.sim.quality import QualityStage, factor_for_pass_ratio, pass_ratio_for
from aiops_tui.sim.server import parse_fault_spec

T0 = 1_790_000_000.0  # 2026-09-21 14:13:20 UTC: afternoon traffic, about 12 requests/s
FIXTURES = Path(__file__).parents[1] / "fixtures"
PRICES = load_pricing()
GPT4O = "openai/gpt-4o"


def new_model(seed: int = 42, **options) -> GatewayModel:
    return GatewayModel(seed, T0, pricing=PRICES, **options)


def total(families: list[Family], sample_name: str, **match: str) -> float:
    """Sum of the samples called `sample_name` whose labels include `match`."""
    return sum(value for family in families for name, labels, value in family.samples
               if name == sample_name and all(labels.get(k) == v for k, v in match.items()))


def as_tuples(families) -> list[tuple]:
    return [(f.name, f.type, f.help, [(n, dict(labels), v) for n, labels, v in f.samples])
            for f in families]


# -- determinism -------------------------------------------------------------------------------

def test_same_seed_and_clock_give_the_same_metrics_however_time_is_stepped():
    in_one_go = new_model()
    in_one_go.advance(T0 + 600)
    in_steps = new_model()
    for offset in [0.4, 5, 7.5, 7.9, *range(10, 601, 5)]:
        in_steps.advance(T0 + offset)
    assert render(in_steps.families()) == render(in_one_go.families())
    assert in_steps.truth() == in_one_go.truth()
    other_seed = new_model(seed=43)
    other_seed.advance(T0 + 600)
    assert render(other_seed.families()) != render(in_one_go.families())


def test_the_model_never_reads_the_wall_clock(monkeypatch):
    def no_wall_clock() -> float:
        raise AssertionError("the model read the wall clock")

    monkeypatch.setattr(time, "time", no_wall_clock)
    monkeypatch.setattr(time, "monotonic", no_wall_clock)
    model = new_model()
    model.inject("latency_spike", factor=2.0)
    model.advance(T0 + 120)
    model.families(), model.status(), model.truth()
    assert model.now_ts == T0 + 120


def test_advance_moves_in_whole_seconds_and_never_backwards():
    model = new_model()
    model.advance(T0 + 10.9)
    assert model.now_ts == T0 + 10  # the 0.9 s remainder waits for the next call
    model.advance(T0 + 3)
    assert model.now_ts == T0 + 10


def test_series_that_normal_and_fallback_traffic_use_exist_at_zero_from_the_start():
    families = {f.name: f for f in new_model().families()}  # no time has passed yet
    spend = families["litellm_spend_metric"].samples
    # 4 upstreams x 2 teams served directly, 3 routes x 2 teams served by the local fallback,
    # and 3 priced models' health checks: 8 + 6 + 3 = 17 series, all at zero.
    assert len(spend) == 17 and {value for _, _, value in spend} == {0.0}
    fallbacks = families["litellm_deployment_successful_fallbacks"].samples
    assert len(fallbacks) == 6 and {value for _, _, value in fallbacks} == {0.0}
    assert families["litellm_proxy_failed_requests_metric"].samples == []  # errors come on first use


# -- exposition --------------------------------------------------------------------------------

@pytest.mark.parametrize("convention", ["litellm", "otel"])
def test_rendered_text_parses_back_into_the_same_families(convention):
    model = new_model(convention=convention)
    model.advance(T0 + 120)
    model.inject("upstream_outage", GPT4O, duration_s=60)  # failures, fallbacks, breaker series
    model.inject("latency_spike", factor=3.0)
    model.advance(T0 + 200)
    families = model.families()
    parsed = list(text_string_to_metric_families(render(families)))
    got = [(f.name, f.type, f.documentation, [(s.name, s.labels, s.value) for s in f.samples])
           for f in parsed]
    assert got == as_tuples(families)
    assert sum(len(f.samples) for f in families) > 300


@pytest.mark.parametrize("convention", ["litellm", "otel"])
def test_counters_and_histograms_are_shaped_as_the_parser_shapes_them(convention):
    model = new_model(convention=convention)
    model.advance(T0 + 60)
    for family in model.families():
        names = {name for name, _, _ in family.samples}
        if family.type == "counter":
            assert not family.name.endswith("_total") and names <= {family.name + "_total"}
        if family.type == "histogram":
            assert names <= {family.name + s for s in ("_bucket", "_count", "_sum")}
            for name, labels, value in family.samples:
                if name.endswith("_count"):
                    assert total([family], family.name + "_bucket", le="+Inf", **labels) == value


@pytest.mark.parametrize("convention, fixture", [
    ("litellm", "litellm-1.108.7-metrics.txt"), ("otel", "otel-genai-metrics.txt")])
def test_families_use_the_real_names_types_and_labels(convention, fixture):
    real = {f.name: f for f in text_string_to_metric_families((FIXTURES / fixture).read_text())}
    model = new_model(convention=convention)
    model.advance(T0 + 120)
    model.inject("upstream_outage", GPT4O)
    model.advance(T0 + 150)
    compared = 0
    for family in model.families():
        if family.name.startswith(("aiops_", "resilience4j_")):
            continue
        assert family.name in real, f"{family.name} is not in {fixture}"
        assert family.type == real[family.name].type
        real_label_sets = {frozenset(s.labels) - {"le"} for s in real[family.name].samples}
        if real_label_sets:
            ours = {frozenset(labels) - {"le"} for _, labels, _ in family.samples}
            assert ours <= real_label_sets, family.name
            compared += 1
    assert compared >= (15 if convention == "litellm" else 5)


# -- the breaker -------------------------------------------------------------------------------

def test_breaker_opens_on_half_of_four_calls_probes_after_30_s_and_closes_on_good_probes():
    breaker = CircuitBreaker("x", 0.0)  # window 4 calls (minimum 4), 50 %, open 30 s, 3 probes
    for ts in (1, 2, 3):
        breaker.record(ts, failed=False)
    assert breaker.failure_rate_pct() == -1.0  # 3 calls < minimum 4
    breaker.record(4, failed=True)
    assert (breaker.state, breaker.failure_rate_pct()) == ("closed", 25.0)  # 1 of 4
    breaker.record(5, failed=True)  # window S S F F: 2 of 4 = 50 % >= 50 %
    assert (breaker.state, breaker.since_ts, breaker.failure_rate_pct()) == ("open", 5, 50.0)
    assert breaker.try_acquire(20) is False and breaker.not_permitted_calls == 1
    breaker.tick(34.9)
    assert breaker.state == "open"  # 29.9 s < 30 s
    assert [breaker.try_acquire(35) for _ in range(4)] == [True, True, True, False]
    assert breaker.state == "half_open" and breaker.not_permitted_calls == 2
    for failed in (False, True, True):  # 2 of 3 probes fail: 66.7 % -> open again
        breaker.record(35, failed)
    assert breaker.state == "open"
    breaker.tick(65)
    for _ in range(3):
        breaker.try_acquire(65)
        breaker.record(65, failed=False)
    assert (breaker.state, breaker.failure_rate_pct()) == ("closed", -1.0)  # window starts afresh
    assert list(breaker.transitions) == [
        (5, "closed", "open"), (35, "open", "half_open"), (35, "half_open", "open"),
        (65, "open", "half_open"), (65, "half_open", "closed")]


def test_outage_opens_the_breaker_within_seconds_falls_back_and_recovers_after_it_ends():
    model = new_model()
    model.advance(T0 + 300)
    start = model.now_ts
    model.inject("upstream_outage", GPT4O, duration_s=90)
    model.advance(start + 3)
    families = model.families()
    assert total(families, "resilience4j_circuitbreaker_state", name=GPT4O, state="open") == 1
    states = [v for n, labels, v in next(f for f in families if f.name == "litellm_deployment_state").samples
              if labels["model_id"] == "tier1-gpt-4o"]
    assert max(states) == 2  # `max by (model_id)` sees the cooled-down series
    assert total(families, "litellm_proxy_failed_requests_metric_total", exception_status="503",
                 exception_class="Openai.ServiceUnavailableError") > 0
    assert total(families, "litellm_deployment_cooled_down_total", model_id="tier1-gpt-4o") == 1

    model.advance(start + 60)
    families = model.families()
    fallbacks = total(families, "litellm_deployment_successful_fallbacks_total",
                      requested_model="gpt-4o", fallback_model="llama-3-8b-local")
    assert fallbacks > 20
    assert total(families, "aiops_fallback_total", **{"from": GPT4O}) == fallbacks
    assert total(families, "resilience4j_circuitbreaker_not_permitted_calls_total", name=GPT4O) > 0
    truth = model.truth()
    assert truth["fallback_ratio"] > 0.05 and truth["breakers"][GPT4O] in ("open", "half_open")

    model.advance(start + 90 + 30 + 10)  # outage over, then at most one 30 s open period
    assert model.breakers[0].state == "closed"
    transitions = [(ts, old, new) for ts, name, old, new in model.breaker_transitions()
                   if name == GPT4O]
    assert transitions[0][1:] == ("closed", "open") and transitions[0][0] <= start + 3
    assert ("open", "half_open") in [t[1:] for t in transitions]
    assert transitions[-1][1:] == ("half_open", "closed") and transitions[-1][0] >= start + 90
    assert model.active_faults() == []


# -- faults ------------------------------------------------------------------------------------

def test_cache_flush_drops_the_hit_ratio_to_near_zero_and_it_recovers_within_the_ttl():
    model = new_model()
    model.advance(T0 + 300)
    assert 0.55 < model.truth()["cache_hit_ratio"] < 0.75  # steady state aims at 0.6525
    model.inject("cache_flush")
    model.advance(model.now_ts + 60)
    # The cache refills linearly over its 300 s TTL: over the first minute it is on average
    # (1 + ... + 60) / 60 / 300 = 10 % full, so about 0.65 * 0.10 = 0.07 of requests hit.
    assert model.truth()["cache_hit_ratio"] < 0.15
    model.advance(model.now_ts + 300)  # the last minute now lies entirely after the refill
    assert model.truth()["cache_hit_ratio"] > 0.55


def test_cost_spike_multiplies_spend_and_leaves_traffic_alone():
    base, spiked = new_model(), new_model()
    base.advance(T0 + 120)
    spiked.advance(T0 + 120)
    assert spiked.inject("cost_spike", factor=4.0).factor == 4.0
    before_base, before_spiked = base.truth()["totals"], spiked.truth()["totals"]
    base.advance(T0 + 420)
    spiked.advance(T0 + 420)
    after_base, after_spiked = base.truth()["totals"], spiked.truth()["totals"]
    ratio = ((after_spiked["spend_usd"] - before_spiked["spend_usd"])
             / (after_base["spend_usd"] - before_base["spend_usd"]))
    assert 3.9 < ratio < 4.1  # 4x the tokens, less int() truncation of each call's count
    assert after_spiked["requests"] == after_base["requests"]
    assert new_model().inject("cost_spike").factor == 25.0  # default: past the 14.4x paging line


def test_latency_spike_multiplies_the_target_upstreams_latency_only():
    base, spiked = new_model(), new_model()
    base.advance(T0 + 120)
    spiked.advance(T0 + 120)
    spiked.inject("latency_spike", GPT4O, factor=5.0)

    def api_latency_sum(model: GatewayModel, name: str) -> float:
        return total(model.families(), "litellm_llm_api_latency_metric_sum", model=name)

    before = {m: (api_latency_sum(base, m), api_latency_sum(spiked, m))
              for m in ("gpt-4o", "claude-3-5-haiku")}
    base.advance(T0 + 300)
    spiked.advance(T0 + 300)
    gpt_base = api_latency_sum(base, "gpt-4o") - before["gpt-4o"][0]
    gpt_spiked = api_latency_sum(spiked, "gpt-4o") - before["gpt-4o"][1]
    assert gpt_spiked == pytest.approx(5 * gpt_base, rel=1e-9)  # same draws, each times 5
    assert api_latency_sum(spiked, "claude-3-5-haiku") == api_latency_sum(base, "claude-3-5-haiku")
    assert spiked.truth()["p95_latency_s"] > 2 * base.truth()["p95_latency_s"]


def test_inject_validates_and_faults_end_or_clear():
    model = new_model()
    for bad in [dict(fault="meteor"), dict(fault="upstream_outage", target="acme/gpt-9"),
                dict(fault="latency_spike", factor=0.0), dict(fault="cost_spike", duration_s=-5)]:
        with pytest.raises(ValueError):
            model.inject(**bad)
    outage = model.inject("upstream_outage", duration_s=10)
    assert outage.target == GPT4O  # the default target is the tier_1 upstream
    model.inject("latency_spike", "anthropic/claude-3-5-haiku")
    model.advance(T0 + 10)
    assert [f.kind for f in model.active_faults()] == ["latency_spike"]
    model.inject("clear", target="openai/gpt-4o-mini")  # nothing there
    assert len(model.active_faults()) == 1
    model.inject("clear")
    assert model.active_faults() == []


def test_counters_and_histograms_never_decrease_through_faults():
    model = new_model()
    schedule = {120: ("upstream_outage", GPT4O, 60.0, None), 300: ("latency_spike", None, None, 4.0),
                400: ("cost_spike", None, 60.0, None), 500: ("cache_flush", None, None, None),
                700: ("clear", None, None, None)}
    previous: dict[tuple, float] = {}
    for offset in range(15, 901, 15):
        model.advance(T0 + offset)
        if offset in schedule:
            model.inject(*schedule[offset])
        current = {(name, frozenset(labels.items())): value
                   for family in model.families() if family.type in ("counter", "histogram")
                   for name, labels, value in family.samples}
        for key, value in previous.items():
            assert key in current, f"series vanished: {key[0]}"
            assert current[key] >= value, f"{key[0]} went down"
        previous = current
    assert len(previous) > 300


# -- status, truth and cost views agree --------------------------------------------------------

def test_totals_agree_across_the_litellm_aiops_and_truth_views():
    model = new_model()
    model.inject("upstream_outage", GPT4O, duration_s=60)
    model.advance(T0 + 600)  # two LiteLLM health checks (every 300 s) have been billed
    families, totals = model.families(), model.truth()["totals"]
    assert total(families, "litellm_proxy_total_requests_metric_total") == totals["requests"]
    assert total(families, "aiops_requests_total") == totals["requests"]
    assert total(families, "litellm_proxy_failed_requests_metric_total") == totals["errors"] > 0
    health = total(families, "litellm_spend_metric_total", team="litellm-internal-health-check")
    # Health checks: 12 input + 6 output tokens on each of the three priced models, twice:
    # gpt-4o (12*2.50 + 6*10.00) + haiku (12*0.80 + 6*4.00) + mini (12*0.15 + 6*0.60) per 1e6
    # = (90 + 33.6 + 5.4) / 1e6 = 1.29e-4 USD per round, 2.58e-4 for two.
    assert health == pytest.approx(2.58e-4)
    all_spend = total(families, "litellm_spend_metric_total")
    assert all_spend - health == pytest.approx(total(families, "aiops_cost_usd_total"))
    assert totals["spend_usd"] == pytest.approx(all_spend - health)
    assert total(families, "litellm_cache_hits_metric_total") == totals["cache_hits"]
    assert total(families, "aiops_cache_hits_total") == totals["cache_hits"]
    assert total(families, "aiops_cache_requests_total") == totals["requests"]  # all look it up


def test_status_document_follows_the_breakers():
    model = new_model()
    model.advance(T0 + 300)
    document = model.status()
    assert document["status"] == "pass"
    assert set(document["checks"]) == {
        "upstream:openai/gpt-4o", "upstream:anthropic/claude-3-5-haiku",
        "upstream:openai/gpt-4o-mini", "upstream:local/llama-3-8b-local",
        "cache:response", "batcher:default", "budget:monthly", "validation:output",
        "review:human"}
    (cache,) = document["checks"]["cache:response"]
    assert cache["target"] == 0.6 and cache["observedValue"] > 0.6
    assert document["checks"]["budget:monthly"][0]["target"] == 20_000.0

    model.inject("upstream_outage", GPT4O)
    model.advance(T0 + 310)
    document = model.status()
    (gpt,) = document["checks"]["upstream:openai/gpt-4o"]
    assert (gpt["status"], gpt["tier"], gpt["fallback"]) == ("fail", "tier_1", "local/llama-3-8b-local")
    assert gpt["breaker"]["state"] == "open" and gpt["breaker"]["since"].startswith("2026-09-21T")
    assert gpt["breaker"]["failure_rate"] == 0.5  # it trips on 2 failed of the last 4 calls
    assert document["status"] == "warn"  # degraded: the local tier takes its traffic
    model.inject("upstream_outage", "local/llama-3-8b-local")
    model.advance(T0 + 320)
    assert model.status()["status"] == "fail"  # no fallback left


def test_otel_convention_marks_failures_with_error_type():
    model = new_model(convention="otel")
    model.inject("upstream_outage", GPT4O)
    model.advance(T0 + 60)
    families = model.families()
    name = "gen_ai_client_operation_duration_seconds_count"
    assert total(families, name, gen_ai_request_model="gpt-4o", error_type="503") > 0
    assert total(families, name, error_type="") > 0
    assert total(families, "gen_ai_usage_cost_USD_sum") == pytest.approx(model.truth()["totals"]["spend_usd"])
    assert total(families, "gen_ai_client_token_usage_count", gen_ai_token_type="input") > 0


# -- the quality stage -------------------------------------------------------------------------

ALWAYS_FAIL = 2000.0  # x2000 makes even the rarest rule (0.05 %) fail every item: no luck involved


def test_review_queue_is_worked_oldest_first_at_the_reviewers_capacity():
    stage = QualityStage(2, seed=1, review_capacity_per_h=60.0)  # one item a minute
    assert stage.validate(100.0, 0, 3, ALWAYS_FAIL) == 3
    assert stage.validate(110.0, 1, 2, ALWAYS_FAIL) == 2
    assert stage.validate(120.0, 1, 4, 0.0) == 0  # x0: no rule ever fails
    assert stage.processed == stage.audited == [3, 6]
    assert stage.items == {(0, "pass"): 0, (0, "fail"): 3, (1, "pass"): 4, (1, "fail"): 2}
    # Every rule is checked on every item: 3 rules x 3 items failed for model 0.
    assert [stage.checks[(0, rule, "fail")] for rule in range(3)] == [3, 3, 3]
    assert [stage.checks[(1, rule, "pass")] for rule in range(3)] == [4, 4, 4]
    assert stage.queue_depth == 5 and stage.oldest_age_s(130.0) == 30.0  # queued at 100
    stage.review(30.0)  # half a minute: half an item
    assert stage.reviewed == [0, 0]
    stage.review(30.0)
    assert stage.reviewed == [1, 0] and stage.queue_depth == 4
    stage.review(120.0)  # two more, still model 0's (queued first)
    assert stage.reviewed == [3, 0] and stage.oldest_age_s(300.0) == 190.0  # queued at 110
    stage.review(3600.0)  # an hour: the last two, then idle
    assert stage.reviewed == [3, 2] and stage.queue_depth == 0 and stage.oldest_age_s(9e9) == 0.0
    # The idle hour is not banked: of three new failures only one is reviewed at once.
    stage.validate(5000.0, 0, 3, ALWAYS_FAIL)
    stage.review(1.0)
    assert stage.reviewed == [4, 2] and stage.queue_depth == 2


def test_pass_ratio_and_the_factor_that_gives_it():
    # (1 - .0005)(1 - .001)(1 - .0015) = .9995 * .999 * .9985 = 0.99700274925
    assert pass_ratio_for(1.0) == pytest.approx(0.99700274925, rel=1e-12)
    # x40: (1 - .02)(1 - .04)(1 - .06) = .98 * .96 * .94 = 0.884352
    assert pass_ratio_for(40.0) == pytest.approx(0.884352, rel=1e-12)
    assert factor_for_pass_ratio(0.884352) == pytest.approx(40.0, rel=1e-9)
    assert factor_for_pass_ratio(1.0) == pytest.approx(0.0, abs=1e-9)
    assert pass_ratio_for(factor_for_pass_ratio(0.0)) == pytest.approx(0.0, abs=1e-9)
    with pytest.raises(ValueError, match="between 0 and 1"):
        factor_for_pass_ratio(1.5)


def quality_counts(model: GatewayModel) -> dict[str, float]:
    families = model.families()
    return {
        "processed": total(families, "aiops_processed_total"),
        "audited": total(families, "aiops_audit_log_total"),
        "passed": total(families, "aiops_validation_items_total", result="pass"),
        "failed": total(families, "aiops_validation_items_total", result="fail"),
        "reviewed": total(families, "aiops_reviewed_total"),
        "queued": total(families, "aiops_review_queue_depth"),
        **{rule: total(families, "aiops_validation_total", rule=rule)
           for rule in ("security", "compliance", "accuracy")},
    }


def test_every_generated_response_is_validated_audited_and_failures_go_to_review():
    model = new_model()
    model.inject("upstream_outage", GPT4O, duration_s=60)  # fallback answers are checked too
    model.advance(T0 + 900)
    counts = quality_counts(model)
    generated = sum(model.upstream_successes().values())  # successful upstream calls
    assert counts["processed"] == counts["audited"] == generated > 3000
    assert counts["security"] == counts["compliance"] == counts["accuracy"] == generated
    assert counts["passed"] + counts["failed"] == generated
    assert counts["reviewed"] + counts["queued"] == counts["failed"] > 0
    assert 0.99 < counts["passed"] / generated < 1.0  # 99.7 % expected
    truth = model.truth()
    assert truth["totals"]["processed"] == generated
    assert truth["totals"]["validation_failed"] == counts["failed"]
    assert truth["review_queue_depth"] == counts["queued"]
    assert truth["validation_pass_ratio"] > 0.98
    checks = model.status()["checks"]
    assert checks["validation:output"][0]["status"] == "pass"
    assert checks["review:human"][0]["capacity_per_h"] == 60.0


def test_validation_drop_lowers_the_pass_ratio_fills_the_queue_and_leaves_traffic_alone():
    base, dropped = new_model(), new_model()
    base.advance(T0 + 300)
    dropped.advance(T0 + 300)
    fault = dropped.inject("validation_drop")
    assert (fault.target, fault.factor) == (None, 40.0)  # every model, 88.4 % pass
    base.advance(T0 + 360)
    dropped.advance(T0 + 360)
    assert base.truth()["validation_pass_ratio"] > 0.98
    assert dropped.truth()["validation_pass_ratio"] < 0.95  # the last minute was all under it
    base.advance(T0 + 900)
    dropped.advance(T0 + 900)
    before, after = base.truth(), dropped.truth()
    # About 11.6 % of some 4 responses/s fail for 600 s (~280) while reviewers take 1 a minute.
    assert after["review_queue_depth"] > 150 and after["review_oldest_age_s"] > 500
    assert before["review_queue_depth"] < 10
    assert after["totals"]["requests"] == before["totals"]["requests"]
    assert after["totals"]["spend_usd"] == before["totals"]["spend_usd"]
    (check,) = dropped.status()["checks"]["validation:output"]
    assert check["status"] == "warn" and check["observedValue"] < 0.98 and check["target"] == 0.98
    assert dropped.status()["status"] == "warn"  # degraded, still serving


def test_validation_drop_to_a_pass_ratio_on_one_model():
    model = new_model()
    model.advance(T0 + 300)
    fault = model.inject("validation_drop", GPT4O, pass_ratio=0.5)
    assert fault.pass_ratio == 0.5 and fault.factor == pytest.approx(factor_for_pass_ratio(0.5))
    assert fault.to_dict()["pass_ratio"] == 0.5
    before = model.families()
    model.advance(T0 + 900)
    after = model.families()

    def pass_ratio(name: str) -> float:
        passed, failed = (total(after, "aiops_validation_items_total", model=name, result=r)
                          - total(before, "aiops_validation_items_total", model=name, result=r)
                          for r in ("pass", "fail"))
        return passed / (passed + failed)

    assert 0.45 < pass_ratio("gpt-4o") < 0.55  # ~1,000 responses: one sigma is sqrt(.25/1000) = .016
    assert pass_ratio("claude-3-5-haiku") > 0.98 and pass_ratio("gpt-4o-mini") > 0.98
    for bad in [dict(fault="latency_spike", pass_ratio=0.5),
                dict(fault="validation_drop", factor=2.0, pass_ratio=0.5),
                dict(fault="validation_drop", pass_ratio=1.5),
                dict(fault="validation_drop", factor=-1.0)]:
        with pytest.raises(ValueError):
            model.inject(**bad)


def test_fault_specs_take_a_pass_ratio_in_percent():
    assert parse_fault_spec("validation_drop::90%") == {
        "fault": "validation_drop", "target": None, "factor": None, "pass_ratio": 0.9}
    assert parse_fault_spec("validation_drop:openai/gpt-4o:x10") == {
        "fault": "validation_drop", "target": GPT4O, "factor": 10.0}
    with pytest.raises(UserError, match="not a number"):
        parse_fault_spec("validation_drop::lots%")


# -- pricing -----------------------------------------------------------------------------------

def test_pricing_file_prices_tokens_per_million(tmp_path):
    assert PRICES["gpt-4o"].cost_usd(1000, 500) == pytest.approx(0.0075)  # 1000*2.5e-6 + 500*1e-5
    assert PRICES["llama-3-8b-local"].cost_usd(10_000, 10_000) == 0
    broken = tmp_path / "pricing.yaml"
    broken.write_text("models:\n  gpt-4o: {input_usd_per_1m: cheap}\n")
    with pytest.raises(UserError, match="pricing.yaml: model 'gpt-4o'"):
        load_pricing(broken)
    with pytest.raises(UserError, match="cannot read"):
        load_pricing(tmp_path / "missing.yaml")


def test_pricing_file_places_models_in_tiers(tmp_path):
    from aiops_tui.sim.pricing import load_tiers

    tiers = load_tiers()
    assert {tiers[m] for m in ("gpt-4o", "claude-3-5-haiku", "gpt-4o-mini", "llama-3-8b-local")} == {
        "tier_1", "tier_2", "tier_3"}
    assert tiers["gpt-4o"] == "tier_1" and tiers["llama-3-8b-local"] == "tier_3"
    own = tmp_path / "pricing.yaml"
    own.write_text("models:\n  a: {input_usd_per_1m: 1, output_usd_per_1m: 2, tier: tier_2}\n"
                   "  b: {input_usd_per_1m: 0, output_usd_per_1m: 0}\n")
    assert load_tiers(own) == {"a": "tier_2"}  # b names no tier
    assert load_pricing(own)["b"].tier == ""
    own.write_text("models:\n  a: {input_usd_per_1m: 1, output_usd_per_1m: 2, tier: [1]}\n")
    with pytest.raises(UserError, match="tier"):
        load_tiers(own)

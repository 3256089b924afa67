"""Savings levers priced from fixed rates, against hand-computed values; levers that cannot be
priced say why; and the levers priced from the demo gateway's own scrapes in both conventions."""

from __future__ import annotations

import math

import pytest

from aiops_tui.signals.prommath import signals_from_scrapes
from aiops_tui.signals.savings import (
    BATCHING, CACHE, LOCAL, TIER_MOVE, SavingsInputs, inputs_from_signals, monthly_run_rate_usd, savings_levers,
)
from aiops_tui.sim.exposition import to_samples
from aiops_tui.sim.model import GatewayModel
from aiops_tui.sim.pricing import ModelPrice, load_pricing

PRICES = {  # USD per 1M input / output tokens, as in demo_data/pricing.yaml
    "gpt-4o": ModelPrice("gpt-4o", "openai", 2.50, 10.00, "tier_1"),
    "claude-3-5-haiku": ModelPrice("claude-3-5-haiku", "anthropic", 0.80, 4.00, "tier_2"),
    "gpt-4o-mini": ModelPrice("gpt-4o-mini", "openai", 0.15, 0.60, "tier_2"),
    "llama-3-8b-local": ModelPrice("llama-3-8b-local", "local", 0.0, 0.0, "tier_3"),
}
TIERS = {m: p.tier for m, p in PRICES.items()}
INPUT_TPS = {"gpt-4o": 400.0, "claude-3-5-haiku": 500.0, "gpt-4o-mini": 400.0, "llama-3-8b-local": 300.0}
OUTPUT_TPS = {"gpt-4o": 100.0, "claude-3-5-haiku": 125.0, "gpt-4o-mini": 100.0, "llama-3-8b-local": 100.0}
# Spend is what those tokens cost, per hour:
#   gpt-4o (400 x 2.50 + 100 x 10.00) / 1e6 = 0.002 $/s     = 7.2   $/h
#   haiku  (500 x 0.80 + 125 x 4.00)  / 1e6 = 0.0009 $/s    = 3.24  $/h
#   mini   (400 x 0.15 + 100 x 0.60)  / 1e6 = 0.00012 $/s   = 0.432 $/h
#   local  0                                    total 10.872 $/h
SPEND = {"gpt-4o": 7.2, "claude-3-5-haiku": 3.24, "gpt-4o-mini": 0.432, "llama-3-8b-local": 0.0}
REQUESTS = {"gpt-4o": 2.0, "claude-3-5-haiku": 3.0, "gpt-4o-mini": 2.0, "llama-3-8b-local": 1.0}
HITS = {"gpt-4o": 0.45, "claude-3-5-haiku": 0.72, "gpt-4o-mini": 0.72, "llama-3-8b-local": 0.72}
HOURS = 720.0  # a 30-day month
RUN_RATE = 10.872 * 720  # = 7,827.84 USD a month


def fixed(**changes) -> SavingsInputs:
    values = dict(
        spend_usd_per_h=SPEND, hours_in_month=HOURS, requests_per_s=REQUESTS, cache_hit_ratio=HITS,
        cache_hit_target_ratio=0.60, input_tokens_per_s=INPUT_TPS, output_tokens_per_s=OUTPUT_TPS,
        tiers=TIERS, prices=PRICES, batch_size=10.0, current_batch_size=2.0, shared_prompt_tokens=200.0,
        tier_move_share=0.25, local_share=0.10,
    )
    values.update(changes)
    return SavingsInputs(**values)


def by_name(inputs: SavingsInputs) -> dict:
    return {lever.name: lever for lever in savings_levers(inputs)}


def test_run_rate_is_spend_per_hour_times_hours_in_the_month():
    assert monthly_run_rate_usd(fixed()) == pytest.approx(7827.84)
    # A total under "" wins over the per-model sum (it may include unlabelled spend).
    assert monthly_run_rate_usd(fixed(spend_usd_per_h={**SPEND, "": 11.0})) == pytest.approx(11.0 * 720)
    assert [lever.name for lever in savings_levers(fixed())] == [CACHE, TIER_MOVE, BATCHING, LOCAL]


def test_cache_lever_prices_extra_hits_at_the_average_cost_of_a_miss():
    lever = by_name(fixed())[CACHE]
    # Only gpt-4o is under the 60 % target. 2 req/s at 45 % hits: 1.1 misses/s cost 7.2 $/h,
    # 0.002 $/s / 1.1 = $0.0018182 a miss; 60 % means 2 x 0.15 = 0.3 more hits/s:
    # 0.3 x 0.0018182 x 3600 = 1.963636 $/h (= 7.2 x 0.15 / 0.55), x 720 h = 1,413.818 $.
    assert lever.saved_usd == pytest.approx(15552 / 11)
    assert lever.monthly_run_rate_usd == pytest.approx(RUN_RATE)
    assert lever.after_usd == pytest.approx(RUN_RATE - 15552 / 11)
    assert "gpt-4o: hits 45.0 % -> 60.0 %: 0.30 more hits/s at $0.001818 a miss = $1.96/h" in lever.assumptions
    assert lever.available and lever.unavailable_reason is None


def test_cache_lever_with_only_the_total_hit_ratio():
    lever = by_name(fixed(cache_hit_ratio={"": 0.5}))[CACHE]
    # 10.872 $/h x (0.6 - 0.5) / (1 - 0.5) = 2.1744 $/h, x 720 = 1,565.568 $
    assert lever.saved_usd == pytest.approx(1565.568)


def test_cache_lever_at_target_saves_a_real_zero():
    lever = by_name(fixed(cache_hit_ratio={m: 0.7 for m in HITS}))[CACHE]
    assert lever.saved_usd == 0.0 and lever.after_usd == pytest.approx(RUN_RATE)
    assert "every model with spend is at or above the target" in lever.assumptions


def test_cache_lever_leaves_out_a_free_model_below_the_target():
    lever = by_name(fixed(cache_hit_ratio={**HITS, "llama-3-8b-local": 0.3}))[CACHE]
    assert lever.saved_usd == pytest.approx(15552 / 11)  # gpt-4o's alone, as above
    assert not any(line.startswith("llama-3-8b-local") for line in lever.assumptions), lever.assumptions


def test_tier_move_lever_prices_the_token_difference():
    lever = by_name(fixed())[TIER_MOVE]
    # To haiku, the busiest tier_2 model (625 tokens/s against mini's 500). A quarter of gpt-4o's
    # tokens: 0.25 x (400 x (2.50 - 0.80) + 100 x (10.00 - 4.00)) / 1e6 = 0.25 x 1,280e-6
    # = 3.2e-4 $/s = 1.152 $/h, x 720 = 829.44 $.
    assert lever.saved_usd == pytest.approx(829.44)
    assert lever.after_usd == pytest.approx(7827.84 - 829.44)
    assert lever.assumptions[0] == (
        "25.0 % of tier_1 tokens answered by claude-3-5-haiku ($0.80/$4.00 per 1M in/out) instead")


def test_batching_lever_saves_the_shared_prompt_repeats():
    lever = by_name(fixed())[BATCHING]
    # Calls = requests x misses: gpt-4o 2 x .55 = 1.1, haiku 3 x .28 = .84, mini 2 x .28 = .56,
    # local 1 x .28 = .28 (price 0). From 2 to 10 calls a batch the 200 shared tokens go out
    # 1/2 - 1/10 = 0.4 times less per call: 0.4 x 200 / 1e6 x (1.1 x 2.50 + .84 x 0.80 + .56 x 0.15)
    # = 8e-5 x 3.506 = 2.8048e-4 $/s = 1.009728 $/h, x 720 = 727.00416 $.
    assert lever.saved_usd == pytest.approx(727.00416)
    assert "batches of 2.0 -> 10 calls: the shared prompt goes out 50 -> 10 times per 100 calls" in lever.assumptions
    unknown = by_name(fixed(current_batch_size=None))[BATCHING]
    # Unbatched now: 1 - 1/10 = 0.9 -> 0.9 x 200 / 1e6 x 3.506 x 3600 x 720 = 1,635.75936 $
    assert unknown.saved_usd == pytest.approx(1635.75936)
    assert "current batching unknown: taken as unbatched (1 call per batch)" in unknown.assumptions
    full = by_name(fixed(current_batch_size=12.0))[BATCHING]
    assert full.saved_usd == 0.0 and full.available


def test_local_lever_moves_a_share_of_tier_2_spend_to_the_free_model():
    lever = by_name(fixed())[LOCAL]
    # 10 % of tier_2 spend (3.24 + 0.432 = 3.672 $/h) = 0.3672 $/h, x 720 = 264.384 $
    assert lever.saved_usd == pytest.approx(264.384)
    assert lever.after_usd == pytest.approx(7827.84 - 264.384)
    # 1 req/s on the local model now; 10 % of tier_2's 3 + 2 req/s adds 0.5.
    assert "llama-3-8b-local answers 1.00 requests/s now; this adds 0.50" in lever.assumptions


def test_levers_that_cannot_be_priced_say_why_instead_of_zero():
    no_cache = by_name(fixed(cache_hit_ratio={}))[CACHE]
    assert (no_cache.saved_usd, no_cache.after_usd) == (None, None)
    assert no_cache.unavailable_reason == "no cache hit metric from this source"
    assert no_cache.monthly_run_rate_usd == pytest.approx(RUN_RATE)  # still shown beside it
    assert by_name(fixed(cache_hit_ratio={m: math.nan for m in HITS}))[CACHE].unavailable_reason == (
        "no cache hit metric from this source")  # no traffic yet: a NaN ratio is no number
    assert by_name(fixed(cache_hit_target_ratio=None))[CACHE].unavailable_reason == "no cache hit-rate target is set"

    assert by_name(fixed(input_tokens_per_s={}, output_tokens_per_s={}))[TIER_MOVE].unavailable_reason == (
        "needs input and output tokens by model; this source gives no split")
    assert by_name(fixed(tiers={}))[TIER_MOVE].unavailable_reason == "no model tiers (add `tier:` to pricing.yaml)"
    no_gpt_price = {m: p for m, p in PRICES.items() if m != "gpt-4o"}
    assert by_name(fixed(prices=no_gpt_price))[TIER_MOVE].unavailable_reason == "no price for gpt-4o in pricing.yaml"

    assert by_name(fixed(requests_per_s={}))[BATCHING].unavailable_reason == "no request rate by model from this source"
    paid_local = {**PRICES, "llama-3-8b-local": ModelPrice("llama-3-8b-local", "local", 0.1, 0.1, "tier_3")}
    assert by_name(fixed(prices=paid_local))[LOCAL].unavailable_reason == (
        "no local model (tier_3 at price 0) in pricing.yaml")

    nothing = savings_levers(fixed(spend_usd_per_h={}))
    assert {lever.unavailable_reason for lever in nothing} == {"no spend rate from this source"}
    assert {lever.monthly_run_rate_usd for lever in nothing} == {None}


def test_batching_without_a_price_to_put_on_the_saved_tokens_says_why_instead_of_zero():
    lever = by_name(fixed(prices={}))[BATCHING]
    assert (lever.saved_usd, lever.after_usd) == (None, None)
    assert lever.unavailable_reason == (
        "no price for claude-3-5-haiku, gpt-4o, gpt-4o-mini, llama-3-8b-local in pricing.yaml")
    assert lever.monthly_run_rate_usd == pytest.approx(RUN_RATE)
    # Only the free local model priced: its $0 says nothing of the others' savings.
    local_only = by_name(fixed(prices={"llama-3-8b-local": PRICES["llama-3-8b-local"]}))[BATCHING]
    assert local_only.saved_usd is None
    assert local_only.unavailable_reason == "no price for claude-3-5-haiku, gpt-4o, gpt-4o-mini in pricing.yaml"
    # One paid model priced: 0.4 x 200 / 1e6 x 1.1 calls/s x 2.50 x 3600 x 720 = 570.24, the rest named.
    gpt_only = by_name(fixed(prices={"gpt-4o": PRICES["gpt-4o"]}))[BATCHING]
    assert gpt_only.saved_usd == pytest.approx(570.24)
    assert "no price for claude-3-5-haiku, gpt-4o-mini, llama-3-8b-local" in gpt_only.assumptions
    # Batches already full save nothing more whatever the prices: that $0 is a real answer.
    full = by_name(fixed(prices={}, current_batch_size=12.0))[BATCHING]
    assert full.saved_usd == 0.0 and full.available


def test_inputs_from_signals_reads_the_latest_values_and_pricing_tiers():
    latest = {("spend_usd_per_h", m): v for m, v in SPEND.items()}
    latest |= {("spend_usd_per_h", ""): 10.872, ("requests_per_s", "gpt-4o"): 2.0, ("cache_hit_ratio", "gpt-4o"): 0.45,
               ("cache_hit_ratio", "gpt-4o-mini"): math.nan, ("input_tokens_per_s", "gpt-4o"): 400.0,
               ("output_tokens_per_s", "gpt-4o"): 100.0, ("batch_size_avg", ""): 1.5, ("error_ratio", ""): 0.01}
    inputs = inputs_from_signals(latest, PRICES, HOURS, cache_hit_target_ratio=0.6, local_share=0.2)
    assert inputs.spend_usd_per_h == {**SPEND, "": 10.872}
    assert inputs.cache_hit_ratio == {"gpt-4o": 0.45}  # NaN dropped
    assert inputs.requests_per_s == {"gpt-4o": 2.0} and inputs.input_tokens_per_s == {"gpt-4o": 400.0}
    assert inputs.tiers == TIERS and inputs.current_batch_size == 1.5 and inputs.local_share == 0.2
    assert inputs_from_signals({}, PRICES, HOURS, cache_hit_target_ratio=None).current_batch_size is None


@pytest.mark.parametrize("convention", ["litellm", "otel"])
def test_every_lever_is_priced_from_the_demo_gateways_scrapes(convention):
    model = GatewayModel(42, 1_790_000_000.0, convention=convention)
    model.advance(model.now_ts + 300)
    before = to_samples(model.families(), source="sim", ts=model.now_ts)
    model.advance(model.now_ts + 300)
    after = to_samples(model.families(), source="sim", ts=model.now_ts)
    signals = signals_from_scrapes(before, after, "*")
    latest = {(signal, "" if group == "*" else group): v for signal, by in signals.items() for group, v in by.items()}
    levers = savings_levers(inputs_from_signals(latest, load_pricing(), HOURS, cache_hit_target_ratio=0.6))
    run_rate = latest[("spend_usd_per_h", "")] * HOURS
    for lever in levers:
        assert lever.available, (lever.name, lever.unavailable_reason)
        assert lever.monthly_run_rate_usd == pytest.approx(run_rate)
        assert 0 < lever.saved_usd < run_rate and lever.after_usd == pytest.approx(run_rate - lever.saved_usd)

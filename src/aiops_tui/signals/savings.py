"""Savings levers for the cost pane: the monthly run rate after raising the cache hit rate to its
target, moving a share of tier_1 traffic to tier_2, filling batches, and answering a share of
tier_2 traffic with the local model; each priced from live rates, with its assumptions spelled out,
or with the reason it cannot be priced. The levers are separate what-ifs against the same current
run rate: they overlap, so their savings do not add up.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

TOKENS_PER_PRICE_UNIT = 1e6
SECONDS_PER_H = 3600.0


class Price(Protocol):
    """What a lever needs of a price (`sim.pricing.ModelPrice` is one)."""

    @property
    def input_usd_per_1m(self) -> float: ...

    @property
    def output_usd_per_1m(self) -> float: ...


@dataclass(frozen=True, slots=True)
class SavingsInputs:
    """Current rates by model (keys are model names; "" may hold a total) and the assumptions.

    `inputs_from_signals` fills it from the latest `signal:*` values and pricing.yaml.
    """

    spend_usd_per_h: Mapping[str, float]
    hours_in_month: float
    requests_per_s: Mapping[str, float] = field(default_factory=dict)
    cache_hit_ratio: Mapping[str, float] = field(default_factory=dict)
    cache_hit_target_ratio: float | None = None
    input_tokens_per_s: Mapping[str, float] = field(default_factory=dict)
    output_tokens_per_s: Mapping[str, float] = field(default_factory=dict)
    tiers: Mapping[str, str] = field(default_factory=dict)
    """model -> tier_1 | tier_2 | tier_3 (pricing.yaml `tier:`)."""
    prices: Mapping[str, Price] = field(default_factory=dict)
    batch_size: float = 10.0
    """The batch size the batching lever fills batches to (the sim's batcher allows 10)."""
    current_batch_size: float | None = None
    """Average calls per batch now; None: unknown, taken as 1 (unbatched)."""
    shared_prompt_tokens: float = 200.0
    """Input tokens every call repeats (system prompt, instructions) that a batch sends once."""
    tier_move_share: float = 0.25
    local_share: float = 0.10

    def total_spend_usd_per_h(self) -> float | None:
        if "" in self.spend_usd_per_h and _number(self.spend_usd_per_h[""]):
            return self.spend_usd_per_h[""]
        per_model = [v for m, v in self.spend_usd_per_h.items() if m and _number(v)]
        return sum(per_model) if per_model else None


@dataclass(frozen=True, slots=True)
class Lever:
    name: str
    monthly_run_rate_usd: float | None
    """The current run rate (spend per hour x hours in the month), the same for every lever."""
    after_usd: float | None
    saved_usd: float | None
    """Per month; None with `unavailable_reason` when the lever cannot be priced (never a fake 0)."""
    assumptions: Sequence[str] = ()
    unavailable_reason: str | None = None

    @property
    def available(self) -> bool:
        return self.unavailable_reason is None


def savings_levers(inputs: SavingsInputs) -> list[Lever]:
    """The four levers, in the order the pane lists them."""
    return [cache_lever(inputs), tier_move_lever(inputs), batching_lever(inputs), local_fallback_lever(inputs)]


def monthly_run_rate_usd(inputs: SavingsInputs) -> float | None:
    spend = inputs.total_spend_usd_per_h()
    return None if spend is None else spend * inputs.hours_in_month


# --- the levers ----------------------------------------------------------------------------------

CACHE = "Cache hit rate to target"
TIER_MOVE = "Move tier_1 traffic to tier_2"
BATCHING = "Fill batches"
LOCAL = "Local model for tier_2 traffic"


def cache_lever(inputs: SavingsInputs) -> Lever:
    """saved = extra hits x average cost of a miss, per model below the target: with spend S, hit
    ratio h and target T that is S x (T - h) / (1 - h), since misses cost S / (1 - h) per unit."""
    target = inputs.cache_hit_target_ratio
    if target is None:
        return _unavailable(CACHE, inputs, "no cache hit-rate target is set")
    ratios = {m: h for m, h in inputs.cache_hit_ratio.items() if _number(h)}
    if not ratios:
        return _unavailable(CACHE, inputs, "no cache hit metric from this source")
    per_model = {m: h for m, h in ratios.items() if m}
    if not per_model:  # only the total: one average cost of a miss across models
        per_model = {"": ratios[""]}
        spend = {"": inputs.total_spend_usd_per_h() or 0.0}
    else:
        spend = {m: v for m, v in inputs.spend_usd_per_h.items() if m and _number(v)}
    notes = [f"hit target {_pct(target)}; a hit costs nothing, a miss the model's average (spend / misses)"]
    saved_per_h = 0.0
    for model in sorted(per_model):
        hit = per_model[model]
        model_spend = spend.get(model)
        if model_spend is None or model_spend <= 0 or hit >= target or hit >= 1.0:  # a free model's misses cost nothing
            continue
        saved = model_spend * (target - hit) / (1.0 - hit)
        saved_per_h += saved
        line = f"{model or 'all models'}: hits {_pct(hit)} -> {_pct(target)}"
        requests = inputs.requests_per_s.get(model)
        if _number(requests) and requests > 0:
            miss_usd = model_spend / SECONDS_PER_H / (requests * (1.0 - hit))
            line += f": {requests * (target - hit):.2f} more hits/s at {_usd(miss_usd)} a miss"
        notes.append(line + f" = {_usd(saved)}/h")
    if saved_per_h == 0.0:
        notes.append("every model with spend is at or above the target")
    unpriced = sorted(m for m in spend if m and m not in per_model and spend[m] > 0)
    if unpriced:
        notes.append("no cache data for " + ", ".join(unpriced))
    return _priced(CACHE, inputs, saved_per_h, notes)


def tier_move_lever(inputs: SavingsInputs) -> Lever:
    """saved = share x tier_1 tokens x (tier_1 price - tier_2 price), input and output apart; the
    tier_2 model is the busiest one (most tokens) now."""
    if not inputs.tiers:
        return _unavailable(TIER_MOVE, inputs, "no model tiers (add `tier:` to pricing.yaml)")
    if not inputs.input_tokens_per_s and not inputs.output_tokens_per_s:
        return _unavailable(TIER_MOVE, inputs, "needs input and output tokens by model; this source gives no split")
    tokens = _tokens_by_model(inputs)
    tier1 = sorted(m for m in tokens if inputs.tiers.get(m) == "tier_1")
    tier2 = [m for m in tokens if inputs.tiers.get(m) == "tier_2" and sum(tokens[m]) > 0]
    if not tier2:
        return _unavailable(TIER_MOVE, inputs, "no tier_2 model is serving traffic to move to")
    to_model = max(tier2, key=lambda m: (sum(tokens[m]), m))
    missing = [m for m in [*tier1, to_model] if m not in inputs.prices]
    if missing:
        return _unavailable(TIER_MOVE, inputs, f"no price for {', '.join(missing)} in pricing.yaml")
    share = inputs.tier_move_share
    to_price = inputs.prices[to_model]
    notes = [f"{_pct(share)} of tier_1 tokens answered by {to_model} "
             f"({_per_1m(to_price)}) instead"]
    saved_per_s = 0.0
    for model in tier1:
        input_tps, output_tps = tokens[model]
        price = inputs.prices[model]
        saved = share * (input_tps * (price.input_usd_per_1m - to_price.input_usd_per_1m)
                         + output_tps * (price.output_usd_per_1m - to_price.output_usd_per_1m)) / TOKENS_PER_PRICE_UNIT
        saved_per_s += saved
        notes.append(f"{model} ({_per_1m(price)}): {input_tps:,.0f} in + {output_tps:,.0f} out tokens/s "
                     f"= {_usd(saved * SECONDS_PER_H)}/h")
    if not tier1:
        notes.append("no tier_1 traffic now")
    notes.append("assumes tier_2 answers those requests well enough (quality not priced)")
    return _priced(TIER_MOVE, inputs, saved_per_s * SECONDS_PER_H, notes)


def batching_lever(inputs: SavingsInputs) -> Lever:
    """Each upstream call repeats `shared_prompt_tokens`; a batch of b sends them once, so going
    from b_now to b calls per batch saves calls x (1/b_now - 1/b) x shared tokens x input price.
    Calls are requests less cache hits (all requests when the hit ratio is unknown)."""
    requests = {m: r for m, r in inputs.requests_per_s.items() if m and _number(r)}
    if not requests:
        return _unavailable(BATCHING, inputs, "no request rate by model from this source")
    now = inputs.current_batch_size if _number(inputs.current_batch_size) and inputs.current_batch_size >= 1 else 1.0
    target = inputs.batch_size
    notes = [f"{inputs.shared_prompt_tokens:,.0f} shared prompt tokens per call, sent once per batch"]
    if inputs.current_batch_size is None:
        notes.append("current batching unknown: taken as unbatched (1 call per batch)")
    if now >= target:  # full batches save nothing more, whatever the prices: a real $0
        notes.append(f"batches already average {now:.1f} calls (target {target:g})")
        return _priced(BATCHING, inputs, 0.0, notes)
    # Per 100 calls the shared prompt goes out 100/b_now times now, 100/b after.
    notes.append(f"batches of {now:.1f} -> {target:g} calls: the shared prompt goes out "
                 f"{100 / now:.0f} -> {100 / target:.0f} times per 100 calls")
    fraction = 1.0 / now - 1.0 / target
    saved_per_s = 0.0
    for model in sorted(requests):
        price = inputs.prices.get(model)
        if price is None:
            continue
        hit = inputs.cache_hit_ratio.get(model)
        calls = requests[model] * (1.0 - hit) if _number(hit) else requests[model]
        saved = calls * fraction * inputs.shared_prompt_tokens * price.input_usd_per_1m / TOKENS_PER_PRICE_UNIT
        saved_per_s += saved
        if saved > 0:
            notes.append(f"{model}: {calls:.2f} calls/s at {_usd(price.input_usd_per_1m)}/1M input = "
                         f"{_usd(saved * SECONDS_PER_H)}/h")
    unpriced = sorted(m for m in requests if m not in inputs.prices)
    if unpriced and saved_per_s == 0.0:  # the models that could save have no price: unknown, not $0
        return _unavailable(BATCHING, inputs, f"no price for {', '.join(unpriced)} in pricing.yaml")
    if unpriced:
        notes.append("no price for " + ", ".join(unpriced))
    notes.append("assumes enough traffic to fill batches within the batcher's wait")
    return _priced(BATCHING, inputs, saved_per_s * SECONDS_PER_H, notes)


def local_fallback_lever(inputs: SavingsInputs) -> Lever:
    """saved = share x tier_2 spend: the local model (tier_3, price 0) answers that share instead."""
    if not inputs.tiers:
        return _unavailable(LOCAL, inputs, "no model tiers (add `tier:` to pricing.yaml)")
    local = sorted(m for m, tier in inputs.tiers.items()
                   if tier == "tier_3" and m in inputs.prices and _free(inputs.prices[m]))
    if not local:
        return _unavailable(LOCAL, inputs, "no local model (tier_3 at price 0) in pricing.yaml")
    share = inputs.local_share
    spend = {m: v for m, v in inputs.spend_usd_per_h.items() if m and _number(v) and inputs.tiers.get(m) == "tier_2"}
    in_use = [m for m in local if _number(inputs.requests_per_s.get(m))]
    local_model = in_use[0] if in_use else local[0]
    notes = [f"{_pct(share)} of tier_2 requests answered by {local_model} at $0 instead"]
    saved_per_h = share * sum(spend.values())
    for model in sorted(spend):
        notes.append(f"{model}: {_usd(spend[model])}/h x {_pct(share)} = {_usd(share * spend[model])}/h")
    if not spend:
        notes.append("no tier_2 spend now")
    local_rps = inputs.requests_per_s.get(local_model)
    tier2_rps = sum(r for m, r in inputs.requests_per_s.items() if m in spend and _number(r))
    if _number(local_rps) and tier2_rps:
        notes.append(f"{local_model} answers {local_rps:.2f} requests/s now; this adds {share * tier2_rps:.2f}")
    notes.append("assumes the local model has the capacity and the quality for them")
    return _priced(LOCAL, inputs, saved_per_h, notes)


# --- filling the inputs ------------------------------------------------------------------------

def inputs_from_signals(
    latest: Mapping[tuple[str, str], float],
    prices: Mapping[str, Price],
    hours_in_month: float,
    *,
    cache_hit_target_ratio: float | None,
    tiers: Mapping[str, str] | None = None,
    **assumptions: float,
) -> SavingsInputs:
    """From (signal, model) -> latest value (model "" = the total), as `golden.build_view` takes.

    `tiers` defaults to the prices' own `tier` (pricing.yaml); `assumptions` override the
    SavingsInputs defaults (batch_size, shared_prompt_tokens, tier_move_share, local_share).
    """

    def by_model(signal: str) -> dict[str, float]:
        return {m: v for (s, m), v in latest.items() if s == signal and _number(v)}

    if tiers is None:
        tiers = {m: t for m, p in prices.items() if (t := getattr(p, "tier", ""))}
    batch = latest.get(("batch_size_avg", ""))
    return SavingsInputs(
        spend_usd_per_h=by_model("spend_usd_per_h"),
        hours_in_month=hours_in_month,
        requests_per_s=by_model("requests_per_s"),
        cache_hit_ratio=by_model("cache_hit_ratio"),
        cache_hit_target_ratio=cache_hit_target_ratio,
        input_tokens_per_s=by_model("input_tokens_per_s"),
        output_tokens_per_s=by_model("output_tokens_per_s"),
        tiers=dict(tiers),
        prices=dict(prices),
        current_batch_size=batch if _number(batch) else None,
        **assumptions,
    )


# --- helpers -----------------------------------------------------------------------------------

def _priced(name: str, inputs: SavingsInputs, saved_per_h: float, notes: list[str]) -> Lever:
    current = monthly_run_rate_usd(inputs)
    if current is None:
        return _unavailable(name, inputs, "no spend rate from this source")
    saved = saved_per_h * inputs.hours_in_month
    notes = [*notes, f"{inputs.hours_in_month:g} h in the month"]
    return Lever(name, current, current - saved, saved, notes)


def _unavailable(name: str, inputs: SavingsInputs, reason: str) -> Lever:
    current = monthly_run_rate_usd(inputs)
    return Lever(name, current, None, None, (), reason if current is not None else "no spend rate from this source")


def _tokens_by_model(inputs: SavingsInputs) -> dict[str, tuple[float, float]]:
    models = {m for m in (*inputs.input_tokens_per_s, *inputs.output_tokens_per_s) if m}
    return {m: (_or_zero(inputs.input_tokens_per_s.get(m)), _or_zero(inputs.output_tokens_per_s.get(m))) for m in models}


def _free(price: Price) -> bool:
    return price.input_usd_per_1m == 0 and price.output_usd_per_1m == 0


def _number(value: float | None) -> bool:
    return value is not None and not math.isnan(value)


def _or_zero(value: float | None) -> float:
    return value if _number(value) else 0.0


def _pct(ratio: float) -> str:
    return f"{ratio * 100:.1f} %"


def _usd(amount: float) -> str:
    if amount == 0:
        return "$0"
    if abs(amount) >= 100:
        return f"${amount:,.0f}"
    if abs(amount) >= 0.01:
        return f"${amount:,.2f}"
    return f"${amount:.6f}".rstrip("0")


def _per_1m(price: Price) -> str:
    return f"{_usd(price.input_usd_per_1m)}/{_usd(price.output_usd_per_1m)} per 1M in/out"

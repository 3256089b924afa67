"""The gateway's /status document in `application/health+json` (draft-inadarei-api-health-check)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from aiops_tui.sim.quality import REVIEW_OLDEST_AGE_TARGET_S, RULES, VALIDATION_PASS_TARGET_RATIO

if TYPE_CHECKING:
    from aiops_tui.sim.model import GatewayModel

CONTENT_TYPE = "application/health+json"
BREAKER_STATUS = {"closed": "pass", "half_open": "warn", "open": "fail"}
_RANK = {"pass": 0, "warn": 1, "fail": 2}


def iso_utc(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=timezone.utc).isoformat(timespec="seconds").replace(
        "+00:00", "Z")


def build_status(model: GatewayModel) -> dict[str, Any]:
    now = model.now_ts
    time = iso_utc(now)
    window = model.window_totals()
    fallback_name = model.upstreams[model.fallback_index].name
    checks: dict[str, list[dict[str, Any]]] = {}

    for i, (upstream, breaker) in enumerate(zip(model.upstreams, model.breakers)):
        calls, failures = window["calls"][i], window["failures"][i]
        rate_pct = breaker.failure_rate_pct()
        check: dict[str, Any] = {
            "componentId": upstream.model_id,
            "componentType": "component",
            "status": BREAKER_STATUS[breaker.state],
            "time": time,
            "tier": upstream.tier,
            "observedValue": failures / calls if calls else 0.0,
            "observedUnit": "failure_ratio",
            "breaker": {
                "state": breaker.state,
                "since": iso_utc(breaker.since_ts),
                # A ratio here (the gauge is resilience4j's percent); -1 = too few calls.
                "failure_rate": rate_pct / 100.0 if rate_pct >= 0 else -1.0,
                "not_permitted_calls": breaker.not_permitted_calls,
            },
        }
        if i != model.fallback_index:
            check["fallback"] = fallback_name
            if breaker.state != "closed":
                check["output"] = f"breaker {breaker.state}; refused calls go to {fallback_name}"
        checks[f"upstream:{upstream.name}"] = [check]

    requests = window["requests"]
    hit_ratio = window["hits"] / requests if requests else None
    target = model.cache_hit_target_ratio
    if hit_ratio is None or hit_ratio >= target:
        cache_status = "pass"
    else:
        cache_status = "warn" if hit_ratio >= target / 2 else "fail"
    checks["cache:response"] = [{
        "componentType": "datastore", "status": cache_status, "time": time,
        "observedValue": hit_ratio, "observedUnit": "hit_ratio", "target": target,
        "ttl_s": model.cache_ttl_s,
    }]

    checks["batcher:default"] = [{
        "componentType": "component", "status": "pass", "time": time,
        "observedValue": model.queue_depth, "observedUnit": "queued_requests",
        "max_batch_size": 10, "max_wait_ms": 500,
    }]

    # Quality problems degrade the service ("warn"); they never make it unavailable ("fail").
    validated = window["validated"]
    pass_ratio = (validated - window["validation_failed"]) / validated if validated else None
    pass_target = VALIDATION_PASS_TARGET_RATIO
    checks["validation:output"] = [{
        "componentType": "component", "time": time,
        "status": "pass" if pass_ratio is None or pass_ratio >= pass_target else "warn",
        "observedValue": pass_ratio, "observedUnit": "pass_ratio", "target": pass_target,
        "rules": list(RULES),
    }]
    quality = model.quality
    oldest_age_s = quality.oldest_age_s(now)
    checks["review:human"] = [{
        "componentType": "component", "time": time,
        "status": "pass" if oldest_age_s <= REVIEW_OLDEST_AGE_TARGET_S else "warn",
        "observedValue": quality.queue_depth, "observedUnit": "queued_items",
        "oldest_age_s": oldest_age_s, "capacity_per_h": quality.review_capacity_per_h,
    }]

    budget = model.budget_monthly_usd
    run_rate_usd = model.spend_rate_usd_per_hour() * model.hours_in_month()
    budget_status = "pass" if run_rate_usd <= budget else (
        "warn" if run_rate_usd <= 1.5 * budget else "fail")
    checks["budget:monthly"] = [{
        "componentType": "system", "status": budget_status, "time": time,
        "observedValue": round(run_rate_usd, 2), "observedUnit": "USD_per_month_at_24h_rate",
        "target": budget,
    }]

    return {
        "status": _overall(checks, fallback_name),
        "version": "1",
        "serviceId": "aiops-sim",
        "description": "aiops-tui demo LLM gateway",
        "checks": checks,
    }


def _overall(checks: dict[str, list[dict[str, Any]]], fallback_name: str) -> str:
    """Worst check, except that an upstream down counts as degraded while its fallback passes."""
    fallback_ok = checks[f"upstream:{fallback_name}"][0]["status"] == "pass"
    worst = "pass"
    for name, (check, *_) in checks.items():
        status = check["status"]
        if status == "fail" and name.startswith("upstream:") and fallback_ok:
            status = "warn"
        if _RANK[status] > _RANK[worst]:
            worst = status
    return worst

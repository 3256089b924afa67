"""Assembles what every pane shows at one instant from the history (and the poller, when live)."""

from __future__ import annotations

import math
from dataclasses import replace
from typing import TYPE_CHECKING

from aiops_tui.model import FLEET_SOURCE, MEMBER_SEP, NOT_GATEWAYS
from aiops_tui.signals import breakers as brk
from aiops_tui.signals import cost as cst
from aiops_tui.signals.alert_history import firing_at
from aiops_tui.signals.golden import CHART_SIGNALS, CHART_WINDOWS_S, build_view
from aiops_tui.signals.quality import quality_readings
from aiops_tui.signals.savings import inputs_from_signals, monthly_run_rate_usd, savings_levers
from aiops_tui.sources.conventions import describe_source, detect_profiles
from aiops_tui.store import timeseries as ts_sql
from aiops_tui.store import trends as tr
from aiops_tui.store.timeseries import HOUR_S

if TYPE_CHECKING:
    from aiops_tui.cockpit import Cockpit, SourceView, Views

LOOKBACK_S = 120.0
"""A signal older than this at the view's instant is not shown as current."""
GATEWAY_ROW_SIGNALS = ("requests_per_s", "error_ratio", "latency_p95_s", "tokens_per_s")
"""What the golden pane's table shows of each gateway (`v`): as of each model."""
OWN_TOTAL_SIGNALS = (*GATEWAY_ROW_SIGNALS, "spend_usd_per_h")
"""Each gateway's own totals read for the panes: the golden table's by gateway and the cost pane's spend."""
BREAKER_FIELDS = {
    "signal:breaker_state": "state",
    "signal:breaker_failure_rate": "failure_ratio",
    "signal:breaker_not_permitted_total": "not_permitted",
    "signal:breaker_since_ts": "since",
}


def breaker_source(source: str, fresh: dict[str, float]) -> str:
    """Whose breakers the breakers pane shows: the gateways' own where they report breakers, beside
    Prometheus too. Their status names each breaker as the gateway does, with since when, its tier and
    its fallback, polled directly; Prometheus's breaker gauges say less, a scrape later."""
    gateways = [name for name in fresh if name not in NOT_GATEWAYS]
    if source != "prometheus" or not gateways:
        return source
    return FLEET_SOURCE if len(gateways) > 1 else gateways[0]


def build_views(cockpit: "Cockpit", at: float | None, window: str, model: str = "", gateway: str = "", *,
                cost: bool = True) -> "Views":
    """`model`: the golden charts of that model alone ("" for all models together); `gateway`: of that gateway's
    own signals instead (its models together). Without `cost`, the cost pane's reads are left out (`Views.cost`
    None), as for the start's first views."""
    from aiops_tui.cockpit import Views

    live = at is None
    now = cockpit.clock()
    at = now if at is None else at
    poller = cockpit.poller
    direct = bool(poller and poller.direct)
    reads_low = bool(poller and poller.prometheus_reads_low)
    with cockpit.history.reading() as con, ts_sql.watermarks_read_once():
        fresh = ts_sql.signal_sources_of(con, ["requests_per_s", "breaker_state"], at, LOOKBACK_S)
        source = ts_sql.pick_source(fresh["requests_per_s"], prefer_prometheus=not (direct or reads_low))
        direct = direct or (reads_low and source not in ("prometheus", ""))
        breakers_from = breaker_source(source, fresh["breaker_state"])
        # The gateways that the fleet's signals stand for, read once for every pane that reads them.
        gateways = ts_sql.member_sources(con, FLEET_SOURCE) if FLEET_SOURCE in (source, breakers_from) else []

        def members(of: str) -> list[str]:
            return list(gateways) if of == FLEET_SOURCE else [of] if of else []

        profiles = _profiles(con, cockpit, members(source))
        latest = ts_sql.latest_signals(con, source, at, LOOKBACK_S) if source else {}
        current = [name for name in fresh["requests_per_s"] if name not in NOT_GATEWAYS]
        # Each gateway's own totals, in one read: the golden table by gateway, the cost pane's spend by gateway.
        own = _own_totals(con, current, at) if len(current) > 1 or source == FLEET_SOURCE else {}
        golden = _golden(con, source, at, window, cockpit, profiles, latest, model, own, gateway)
        spend = _cost(con, source, members(source), at, cockpit, profiles, latest, own) if cost else None
        # Looking back (or reviewing a file), the alerts firing then come from the events too: one read.
        polling_now = poller is not None and live
        window_s = CHART_WINDOWS_S.get(window, 3600.0)
        # Back as far as the breakers' transitions go, which is as far as an alert's last event is looked for.
        events = cockpit.history.events(at - brk.transitions_span_s(window_s), at,
                                        kinds=["breaker"] if polling_now else ["breaker", "alert", "source"])
        # Now, the breakers are those of the sources polled: a gateway the config no longer names would stand
        # there as "? UNKNOWN" for as long as its last flaps are counted (30 days). Looking back, all of them.
        breakers_of = members(breakers_from)
        if polling_now:
            breakers_of = [member for member in breakers_of if member in poller.status]
        breakers = _breakers(con, breakers_from, breakers_of, at, events, window_s)
    notes = [n for n in (golden.basis, spend.basis if spend else "") if n]
    return Views(
        at=at,
        environment=cockpit.environment,
        live=live and cockpit.live,
        paused=cockpit.paused,
        golden=golden,
        cost=spend,
        breakers=breakers,
        sources=_sources(cockpit, now),
        alerts=list(poller.alerts) if polling_now else firing_at(events),
        direct=direct,
        notes=tuple(notes),
        write_error=poller.write_error if poller else None,
        gateways=tuple(gateways),
    )


def _sources(cockpit: "Cockpit", now: float) -> list["SourceView"]:
    from aiops_tui.cockpit import SourceView

    if cockpit.poller is None:
        return [SourceView("history", "file", "offline", None)]
    return [
        SourceView(s.name, s.kind, s.state(now), s.age_s(now), tuple(s.profiles), s.last_error, s.filled, s.fill_error,
                   s.reads_low)
        for s in cockpit.poller.status.values()
    ]


def _profiles(con, cockpit: "Cockpit", members: list[str]) -> list[str]:
    """The convention profiles behind a source (`members`: the sources of its own series): as the poller
    detected them, else from their series names."""
    if not members:
        return []
    statuses = [cockpit.poller.status.get(member) for member in members] if cockpit.poller else []
    found = [profile for status in statuses if status is not None for profile in status.profiles]
    if found:
        return list(dict.fromkeys(found))
    names = [row[0] for row in con.execute(
        "SELECT DISTINCT name FROM series WHERE list_contains($sources, source)", {"sources": members},
    ).fetchall()]
    return detect_profiles(names)


def _basis(signals: tuple[str, ...], profiles: list[str]) -> str:
    notes = [describe_source(s, profiles) for s in signals]
    return " · ".join(n for n in notes if not n.endswith("no source"))


def _golden(
    con, source: str, at: float, window: str, cockpit: "Cockpit", profiles: list[str], latest, model: str,
    own: dict[str, dict[str, float]], gateway: str = "",
):
    """`own`: each gateway's own totals (`_own_totals`), a row each of the table by gateway when there is more
    than one. `gateway`: the charts of its own signals."""
    span = CHART_WINDOWS_S.get(window, 3600.0)
    model = "" if gateway else model
    by_model = {"label": "model", "value": model} if model else {}
    charted = gateway or source
    charts = ts_sql.signal_series_many(con, charted, CHART_SIGNALS, at - span, at, **by_model) if charted else {}
    basis = _basis(("latency_p95_s", "requests_per_s", "error_ratio"), profiles)
    quality = quality_readings(latest, cockpit.quality_targets)
    by_gateway = own if len(own) > 1 else {}
    return build_view(at, source, latest, cockpit.targets, charts, window, basis, quality if quality.present else None,
                      chart_model=model, gateways=by_gateway, chart_gateway=gateway)


def _own_totals(con, gateways: list[str], at: float) -> dict[str, dict[str, float]]:
    """gateway -> signal -> its own latest total over its models (of `OWN_TOTAL_SIGNALS`), in one read."""
    out: dict[str, dict[str, float]] = {}
    names = [f"signal:{signal}" for signal in OWN_TOTAL_SIGNALS]
    for member, name, labels, value in ts_sql.latest_labelled(con, gateways, names, at, LOOKBACK_S):
        if not labels:  # the gateway's total over its models
            out.setdefault(member, {})[name.removeprefix("signal:")] = value
    return out


def _cost(
    con, source: str, members: list[str], at: float, cockpit: "Cockpit", profiles: list[str], latest,
    own: dict[str, dict[str, float]],
) -> cst.CostView:
    budget_usd, budget_from = cst.resolve_budget(cockpit.monthly_budget_usd, latest.get(("budget_monthly_usd", "")))
    month_start, _ = cst.month_bounds(at)
    rate = latest.get(("spend_usd_per_h", ""))
    windows_s = [window_s for _, window_s, _ in cst.BURN_WINDOWS] + list(cst.PROJECTION_WINDOWS_S)
    measured = tr.spend_rates(con, source, at, windows_s) if source else [None] * len(windows_s)
    rates = {label: average for (label, _, _), average in zip(cst.BURN_WINDOWS, measured)} if source else {}
    rate_24h, rate_7d = measured[len(cst.BURN_WINDOWS):]

    own_counters = ts_sql.cost_series_by_source(con, members)
    counters = ts_sql.together(own_counters)
    mtd = ts_sql.counter_increase(con, counters, month_start, at)
    by_model_mtd: dict[str, float] = {}
    by_tier_mtd: dict[str, float] = {}
    for series_id, usd in mtd.items():
        labels = counters[series_id]
        by_model_mtd[labels["model"]] = by_model_mtd.get(labels["model"], 0.0) + usd
        tier = labels.get("tier") or getattr(cockpit.prices.get(labels["model"]), "tier", "")
        if tier:
            by_tier_mtd[tier] = by_tier_mtd.get(tier, 0.0) + usd
    mtd_usd = sum(mtd.values())
    covers_from = ts_sql.late_start(con, counters, month_start, at)

    by_model = sorted(
        (cst.SpendRow(model, latest.get(("spend_usd_per_h", model), 0.0) or 0.0, usd) for model, usd in by_model_mtd.items()),
        key=lambda r: -r.usd_per_h,
    )
    tier_rates: dict[str, float] = {}
    for (signal, model), value in latest.items():
        tier = getattr(cockpit.prices.get(model), "tier", "") if model else ""
        if signal == "spend_usd_per_h" and tier and not math.isnan(value):
            tier_rates[tier] = tier_rates.get(tier, 0.0) + value
    by_tier = sorted(
        (cst.SpendRow(tier, tier_rates.get(tier, 0.0), by_tier_mtd.get(tier, 0.0)) for tier in set(by_tier_mtd) | set(tier_rates)),
        key=lambda r: r.name,
    )
    by_gateway = _spend_by_gateway(members, own, own_counters, mtd) if source == FLEET_SOURCE else []
    daily = ts_sql.daily_increase(con, counters, month_start, at, starts_at=covers_from)
    savings_rate = latest.get(("saved_usd_per_h", ""))
    savings = inputs_from_signals(
        latest, cockpit.prices, cst.hours_in_month(at), cache_hit_target_ratio=cockpit.targets.cache_hit_ratio,
    )
    return cst.CostView(
        at=at,
        source=source,
        spend_usd_per_h=rate,
        mtd_usd=mtd_usd,
        mtd_covers_from=covers_from,
        projected_24h_usd=cst.project_month_end(mtd_usd, rate_24h, at),
        projected_7d_usd=cst.project_month_end(mtd_usd, rate_7d, at),
        budget_usd=budget_usd,
        burn=cst.burn_windows(rates, budget_usd, at),
        by_model=by_model,
        by_tier=by_tier,
        cache_savings_usd_per_h=savings_rate,
        daily_usd=daily,
        basis=_basis(("spend_usd_per_h",), profiles),
        run_rate_monthly_usd=monthly_run_rate_usd(savings),
        levers=savings_levers(savings),
        budget_from=budget_from,
        by_gateway=by_gateway,
    )


def _spend_by_gateway(
    members: list[str], own: dict[str, dict[str, float]], own_counters: dict[str, dict[int, dict]],
    mtd: dict[int, float],
) -> list[cst.SpendRow]:
    """Each gateway of the fleet: its own spend rate (its latest, `_own_totals`) and month to date (its own
    cost counters)."""
    rates = {member: totals["spend_usd_per_h"] for member, totals in own.items() if "spend_usd_per_h" in totals}
    rows = []
    for member in members:
        if member not in rates and not own_counters.get(member):
            continue  # a source that reports no spend
        own_mtd = sum(mtd.get(series_id, 0.0) for series_id in own_counters.get(member, {}))
        rows.append(cst.SpendRow(member, rates.get(member, 0.0), own_mtd))
    return sorted(rows, key=lambda r: -r.usd_per_h)


def _breakers(con, source: str, members: list[str], at: float, events: list, window_s: float) -> brk.BreakersView:
    """Over the chart window (`w`): past a day the error ratio and the state read come from the rollups.
    For the fleet, each gateway's breakers, named "gateway · upstream": every gateway keeps its own."""
    fleet = source == FLEET_SOURCE

    def named(member: str, upstream: str) -> str:
        return f"{member}{MEMBER_SEP}{upstream}" if fleet else upstream

    states: dict[str, dict] = {}
    for member, name, labels, value in ts_sql.latest_labelled(con, members, BREAKER_FIELDS, at, LOOKBACK_S):
        entry = states.setdefault(named(member, labels.get("upstream", "")), {})
        entry.update(tier=labels.get("tier", ""), fallback=labels.get("fallback", ""))
        entry[BREAKER_FIELDS[name]] = value
    # Prometheus and a gateway may both report one breaker: keep the transitions of the source shown.
    transitions = brk.transitions_by_upstream(
        replace(e, subject=named(e.detail.get("source", source), e.subject))
        for e in events if e.kind == "breaker" and e.detail.get("source", source) in members
    )
    series = ts_sql.signal_series_by(
        con, members, ("breaker_failure_rate", "breaker_state"), at - window_s, at, label="upstream",
        values=states, points=60, by_source=fleet,
    ) if members else {}
    rows = brk.build_rows(states, transitions, series.get("breaker_failure_rate"), series.get("breaker_state"))
    # A history younger than the span the flaps are counted over says so (a gap inside it does not).
    ids = ts_sql.series_ids(con, members, ["signal:breaker_state"]) if rows else []
    first_read = ts_sql.first_sample_ts(con, ids, 0.0, at) if rows else None
    young = first_read is not None and first_read > at - brk.transitions_span_s(window_s) + HOUR_S
    return brk.BreakersView(at, source, rows, window_s, first_read if young else None)

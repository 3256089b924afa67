"""`aiops-tui report breakers`: every circuit-breaker transition in the period, and per upstream its
flaps (entries into open), time spent open and half-open, and the state it ended in."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from aiops_tui.model import FLEET_SOURCE, Event
from aiops_tui.reports.render import Column, Report, Section
from aiops_tui.reports.span import Span

if TYPE_CHECKING:
    from aiops_tui.store.history import History

SUMMARY_COLUMNS = (
    Column("upstream"), Column("tier"), Column("flaps", "int"), Column("transitions", "int"),
    Column("open_s", "seconds"), Column("half_open_s", "seconds"), Column("state_at_start"), Column("state_at_end"),
)
TRANSITION_COLUMNS = (Column("time", "time"), Column("upstream"), Column("from_state"), Column("to_state"))


def _of_source(detail, source: str) -> bool:
    # The Breakers pane keeps one source's transitions: Prometheus and a gateway may report one breaker.
    return (detail or {}).get("source", source) == source


def states_before(history: "History", source: str, before: float) -> dict[str, str]:
    """upstream -> the state its last transition before `before` left it in."""
    rows = history.cursor().execute(
        """SELECT subject, arg_max(to_state, ts) FROM events
           WHERE kind = 'breaker' AND ts < make_timestamptz($before) AND to_state IS NOT NULL
             AND coalesce(detail ->> 'source', $source) = $source
           GROUP BY 1""",
        {"before": round(before * 1e6), "source": source},
    ).fetchall()
    return dict(rows)


def tiers(history: "History", source: str) -> dict[str, str]:
    rows = history.cursor().execute(
        """SELECT labels ->> 'upstream', min(coalesce(labels ->> 'tier', '')) FROM series
           WHERE source = $source AND name = 'signal:breaker_state' AND labels ->> 'upstream' IS NOT NULL
           GROUP BY 1""",
        {"source": source},
    ).fetchall()
    return dict(rows)


def build(history: "History", span: Span) -> Report:
    """The breakers the pane would show over the span: a gateway's own beside Prometheus, each gateway's
    named "gateway · upstream" when there are several."""
    from aiops_tui.store import timeseries as ts_sql
    from aiops_tui.views import breaker_source

    con = history.cursor()
    fresh = ts_sql.signal_sources_of(con, ["breaker_state"], span.until, span.until - span.since)["breaker_state"]
    source = breaker_source(span.source, fresh)
    every = history.events(span.since, span.until, kinds=["breaker"])
    events: list[Event] = []
    before: dict[str, str] = {}
    tier_of: dict[str, str] = {}
    for member in ts_sql.member_sources(con, source) if source else [source]:
        prefix = f"{member} · " if source == FLEET_SOURCE else ""
        events += [replace(e, subject=prefix + e.subject) for e in every if _of_source(e.detail, member)]
        before.update((prefix + upstream, state)
                      for upstream, state in states_before(history, member, span.since).items())
        tier_of.update((prefix + upstream, tier) for upstream, tier in tiers(history, member).items())
    events.sort(key=lambda e: e.ts)
    upstreams = sorted(set(tier_of) | {e.subject for e in events} | set(before))
    summary = []
    for upstream in upstreams:
        mine = [e for e in events if e.subject == upstream and e.to_state]
        state = start_state = before.get(upstream, "closed")
        since = span.since
        spent = {"open": 0.0, "half_open": 0.0}
        for event in mine:
            if state in spent:
                spent[state] += event.ts - since
            state, since = event.to_state, event.ts
        if state in spent:
            spent[state] += span.until - since
        flaps = sum(1 for e in mine if e.to_state == "open")
        summary.append((upstream, tier_of.get(upstream, ""), flaps, len(mine), spent["open"], spent["half_open"],
                        start_state, state))
    transitions = [(e.ts, e.subject, e.from_state, e.to_state) for e in events if e.to_state]
    return Report(
        "breakers", f"Circuit breakers ({source or 'no source'})",
        [("source", source or "none"), ("since_utc", span.since), ("until_utc", span.newest),
         ("flaps", sum(row[2] for row in summary))],
        [Section("summary", SUMMARY_COLUMNS, summary), Section("transitions", TRANSITION_COLUMNS, transitions)],
    )


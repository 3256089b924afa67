"""Circuit breakers per upstream: current state, failure ratio, since when, and the history of flaps."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from aiops_tui.model import BREAKER_STATES, Event


@dataclass(frozen=True, slots=True)
class Transition:
    ts: float
    from_state: str | None
    to_state: str


@dataclass(frozen=True, slots=True)
class BreakerRow:
    upstream: str
    state: str
    """closed | half_open | open | unknown"""
    since: float | None
    failure_ratio: float | None
    not_permitted_total: float | None
    tier: str
    fallback: str
    error_ratio_series: Sequence[tuple[float, float]] = field(default_factory=list)
    transitions: Sequence[Transition] = field(default_factory=list)
    state_series: Sequence[tuple[float, float]] = field(default_factory=list)
    """The state read over the window, averaged per bucket: only where it has points did anyone read it (a
    breaker first seen closed records no transition, and a cockpit that was not running reads nothing)."""
    held_before_since: bool = False
    """`since` is when the cockpit first read the state, which the breaker was in already (no source said
    when it entered it): it has held at least since then."""

    @property
    def flaps(self) -> int:
        return sum(1 for t in self.transitions if t.to_state == "open")


TRANSITIONS_KEPT_S = 30 * 86400.0
"""How far back a breaker's transitions are read: its flaps are counted over that, or the window if longer."""


def transitions_span_s(window_s: float) -> float:
    return max(TRANSITIONS_KEPT_S, window_s)


@dataclass(frozen=True, slots=True)
class BreakersView:
    at: float
    source: str
    rows: Sequence[BreakerRow]
    window_s: float = 3600.0
    watched_from: float | None = None
    """When the history first read a breaker's state, if that is after `transitions_s` began (a history
    younger than 30 days): flaps are counted over what it holds, not 30 days nobody watched."""

    @property
    def transitions_s(self) -> float:
        """How far back the rows' transitions (and so their flaps) were read."""
        return transitions_span_s(self.window_s)

    @property
    def open_count(self) -> int:
        return sum(1 for r in self.rows if r.state == "open")


def state_name(value: float | None) -> str:
    if value is None or not 0 <= value < len(BREAKER_STATES):
        return "unknown"
    return BREAKER_STATES[int(value)]


def transitions_by_upstream(events: Iterable[Event]) -> dict[str, list[Transition]]:
    out: dict[str, list[Transition]] = {}
    for event in events:
        if event.kind == "breaker" and event.to_state:
            out.setdefault(event.subject, []).append(Transition(event.ts, event.from_state, event.to_state))
    for items in out.values():
        items.sort(key=lambda t: t.ts)
    return out


def _last_into(state: str, transitions: Sequence[Transition]) -> Transition | None:
    """The last transition into `state`: when the breaker entered the state it is in."""
    for t in reversed(transitions):
        if t.to_state == state:
            return t
    return None


def state_before(transitions: Sequence[Transition], current_state: str) -> str:
    """The state before the first of `transitions`: where it came from, or "unknown" when it came from
    nothing seen (the first state a source reported: before it nobody watched); with no transitions, the
    state held now."""
    if not transitions:
        return current_state
    return min(transitions, key=lambda t: t.ts).from_state or "unknown"


def timeline(transitions: Sequence[Transition], start: float, end: float, width: int, initial: str = "closed",
             watched: Sequence[bool] | None = None) -> str:
    """The breaker's state over [start, end) as `width` cells: '▁' closed, '▄' half-open, '█' open.

    Each cell shows the worst state the breaker was in during that cell, so a short flap is never lost. A cell
    that `watched` says nobody read the state in is blank, unless a transition falls in it.
    """
    if width <= 0 or end <= start:
        return ""
    glyph = {"closed": "▁", "half_open": "▄", "open": "█", "unknown": " "}
    rank = {"unknown": -1, "closed": 0, "half_open": 1, "open": 2}
    cell_s = (end - start) / width
    state = initial
    ordered = sorted(transitions, key=lambda t: t.ts)
    i = 0
    while i < len(ordered) and ordered[i].ts < start:
        state = ordered[i].to_state
        i += 1
    cells = []
    for c in range(width):
        cell_end = start + (c + 1) * cell_s
        worst, moved = state, False
        while i < len(ordered) and ordered[i].ts < cell_end:
            state = ordered[i].to_state
            worst = max(worst, state, key=lambda s: rank.get(s, -1))
            i, moved = i + 1, True
        unwatched = watched is not None and c < len(watched) and not watched[c] and not moved
        cells.append(" " if unwatched else glyph.get(worst, " "))
    return "".join(cells)


def build_rows(
    states: Mapping[str, Mapping[str, float | str | None]],
    transitions: Mapping[str, Sequence[Transition]],
    error_series: Mapping[str, Sequence[tuple[float, float]]] | None = None,
    state_series: Mapping[str, Sequence[tuple[float, float]]] | None = None,
) -> list[BreakerRow]:
    """`states`: upstream -> {"state": index, "failure_ratio", "not_permitted", "since", "tier", "fallback"}.

    "since" from the source wins; without it, the last recorded transition into the state.
    """
    rows = []
    for upstream in sorted(set(states) | set(transitions)):
        info = states.get(upstream, {})
        state = state_name(info.get("state"))  # type: ignore[arg-type]
        history = transitions.get(upstream, [])
        entered = _last_into(state, history)
        told = info.get("since")
        rows.append(
            BreakerRow(
                upstream=upstream,
                state=state,
                since=told or (entered.ts if entered is not None else None),  # type: ignore[arg-type]
                failure_ratio=info.get("failure_ratio"),  # type: ignore[arg-type]
                not_permitted_total=info.get("not_permitted"),  # type: ignore[arg-type]
                tier=str(info.get("tier") or ""),
                fallback=str(info.get("fallback") or ""),
                error_ratio_series=list((error_series or {}).get(upstream, [])),
                transitions=list(history),
                state_series=list((state_series or {}).get(upstream, [])),
                # First read in this state: from nothing seen (a breaker already open when the cockpit started).
                held_before_since=not told and entered is not None and entered.from_state is None,
            )
        )
    order = {"open": 0, "half_open": 1, "unknown": 2, "closed": 3}
    rows.sort(key=lambda r: (order.get(r.state, 9), r.upstream))
    return rows

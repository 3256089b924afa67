"""A breaker's state strip: the worst state per cell, and nothing claimed before the first state seen."""

from __future__ import annotations

from aiops_tui.signals.breakers import Transition, build_rows, state_before, timeline


def test_each_cell_shows_the_worst_state_in_it_so_a_short_flap_is_never_lost() -> None:
    # 10 cells of 10 s over [0, 100): open for one second at 31-32 s, half-open from 70 s.
    flaps = [Transition(31.0, "closed", "open"), Transition(32.0, "open", "closed"), Transition(70.0, "closed", "half_open")]
    assert timeline(flaps, 0.0, 100.0, 10, initial=state_before(flaps, "half_open")) == "▁▁▁█▁▁▁▄▄▄"


def test_before_the_first_state_a_source_reported_the_strip_is_blank() -> None:
    # The cockpit first saw the breaker closed at 40 s (a transition from nothing), then open at 80 s.
    seen = [Transition(40.0, None, "closed"), Transition(80.0, "closed", "open")]
    assert state_before(seen, "open") == "unknown"
    assert timeline(seen, 0.0, 100.0, 10, initial=state_before(seen, "open")) == "    ▁▁▁▁██"
    # Whatever order they come in; with no transitions at all, the state held now holds throughout.
    assert state_before(seen[::-1], "open") == "unknown" and state_before([], "closed") == "closed"
    assert timeline([], 0.0, 100.0, 4, initial=state_before([], "half_open")) == "▄▄▄▄"


def test_a_cell_nobody_read_the_state_in_is_blank_unless_a_transition_falls_in_it() -> None:
    # Seen closed from 20 s (no transition: the first state read was closed), not read over [50, 70).
    # Open at 55 s, in the unread stretch: that cell is drawn all the same; closed again at 85 s.
    watched = [False, False, True, True, True, False, False, True, True, True]
    assert timeline([], 0.0, 100.0, 10, initial="closed", watched=watched) == "  ▁▁▁  ▁▁▁"
    flaps = [Transition(55.0, "closed", "open"), Transition(85.0, "open", "closed")]
    assert timeline(flaps, 0.0, 100.0, 10, initial="closed", watched=watched) == "  ▁▁▁█ ██▁"
    assert timeline(flaps, 0.0, 100.0, 10, initial="closed") == "▁▁▁▁▁████▁"  # read everywhere


def test_a_breaker_first_read_open_has_held_at_least_since_then_unless_a_source_says_since_when() -> None:
    # Prometheus says a breaker is open, not since when: the cockpit only knows when it first read it so.
    states = {"first-read-open": {"state": 2.0}, "seen-opening": {"state": 2.0}, "told": {"state": 2.0, "since": 50.0}}
    transitions = {
        "first-read-open": [Transition(100.0, None, "open")],
        "seen-opening": [Transition(100.0, None, "closed"), Transition(160.0, "closed", "open")],
        "told": [Transition(100.0, None, "open")],
    }
    rows = {row.upstream: row for row in build_rows(states, transitions)}
    assert (rows["first-read-open"].since, rows["first-read-open"].held_before_since) == (100.0, True)
    assert (rows["seen-opening"].since, rows["seen-opening"].held_before_since) == (160.0, False)
    assert (rows["told"].since, rows["told"].held_before_since) == (50.0, False)  # the gateway's status says

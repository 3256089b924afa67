"""The breakers view over a real history: each breaker's state series says when its state was read, so the
state strip can leave blank what nobody watched (before the breaker was first seen, and a stretch not polled)."""

from __future__ import annotations

from pathlib import Path

from aiops_tui.cockpit import Cockpit
from aiops_tui.demo import backfill
from aiops_tui.sim.model import GatewayModel
from aiops_tui.store.history import History

END = 1_796_000_400.0
MINUTE = 60.0


def test_the_state_series_holds_the_times_the_state_was_read_and_nothing_between(tmp_path: Path) -> None:
    model = GatewayModel(3, END - 50 * MINUTE)
    with History.open(tmp_path / "h.duckdb") as history:
        # First polled 50 minutes ago (the window is an hour), then not polled from 35 to 20 minutes ago.
        backfill(history, model, END - 50 * MINUTE, END - 35 * MINUTE, step_s=15.0)
        backfill(history, model, END - 20 * MINUTE, END, step_s=15.0)
        rows = Cockpit(history, clock=lambda: END).views().breakers.rows
    assert rows and all(row.state == "closed" and not row.transitions for row in rows)  # no event to go by
    for row in rows:
        times = [ts for ts, _ in row.state_series]
        assert END - 50 * MINUTE - MINUTE <= times[0] <= END - 49 * MINUTE
        assert not [ts for ts in times if END - 34 * MINUTE < ts < END - 21 * MINUTE], row.upstream
        assert times[-1] >= END - 2 * MINUTE
        assert all(value == 0.0 for _, value in row.state_series)  # closed throughout

"""The breakers view over a real history: each breaker's state series says when its state was read, so the
state strip can leave blank what nobody watched (before the breaker was first seen, and a stretch not polled)."""

from __future__ import annotations

from pathlib import Path

from aiops_tui.cockpit import Cockpit
from aiops_tui.demo import backfill
from aiops_tui.model import Batch, Sample, SeriesKey, make_labels
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


def test_the_breakers_follow_the_chart_window_through_the_rollups(tmp_path: Path) -> None:
    model = GatewayModel(3, END - 30 * 3600.0)
    with History.open(tmp_path / "h.duckdb") as history:
        backfill(history, model, END - 30 * 3600.0, END - 29 * 3600.0, step_s=60.0)  # a day and more ago
        model.inject("upstream_outage", "openai/gpt-4o", duration_s=600.0)
        backfill(history, model, END - 29 * 3600.0, END - 28 * 3600.0, step_s=60.0)
        backfill(history, model, END - 3600.0, END, step_s=60.0)  # and the last hour
        history.rollup(END)
        cockpit = Cockpit(history, clock=lambda: END)
        hour, week = cockpit.views(window="1h").breakers, cockpit.views(window="7d").breakers
        quarter = cockpit.views(window="90d").breakers
    assert (hour.window_s, week.window_s) == (3600.0, 7 * 86400.0)
    # Transitions (and so the flaps counted) go back 30 days, or over the window when it is longer.
    assert (hour.transitions_s, week.transitions_s, quarter.transitions_s) == (30 * 86400.0,) * 2 + (90 * 86400.0,)
    assert [row.flaps for row in quarter.rows] == [row.flaps for row in week.rows]
    gpt = {view.window_s: next(row for row in view.rows if row.upstream == "openai/gpt-4o") for view in (hour, week)}
    # The outage 29 hours ago: a flap, an error ratio and an open state read in the week's window only.
    assert [t.to_state for t in gpt[week.window_s].transitions][:1] == ["open"]
    assert max(value for _, value in gpt[week.window_s].error_ratio_series) > 0.05  # 10 minutes of a 2.8-hour bucket
    assert max(value for _, value in gpt[week.window_s].state_series) > 0.0
    assert min(ts for ts, _ in gpt[week.window_s].state_series) < END - 28 * 3600.0
    assert min(ts for ts, _ in gpt[3600.0].state_series) >= END - 3600.0 - 60.0
    assert max(value for _, value in gpt[3600.0].state_series) == 0.0


def _state_samples(upstream: str, times: list[float]) -> Batch:
    key = SeriesKey("gw", "signal:breaker_state", make_labels(upstream=upstream))
    requests = SeriesKey("gw", "signal:requests_per_s")  # the views pick the source by its traffic
    return Batch("gw", times[-1], [Sample(k, ts, 0.0) for ts in times for k in (key, requests)])


def test_flaps_are_counted_over_the_history_when_it_holds_less_than_the_30_days(tmp_path: Path) -> None:
    model = GatewayModel(3, END - 50 * MINUTE)
    with History.open(tmp_path / "young.duckdb") as history:
        backfill(history, model, END - 50 * MINUTE, END, step_s=15.0)
        young = Cockpit(history, clock=lambda: END).views().breakers
    assert young.rows
    assert END - 50 * MINUTE <= young.watched_from <= END - 49 * MINUTE  # its first reading, not 30 days ago
    with History.open(tmp_path / "old.duckdb") as history:
        history.write_cycle([_state_samples("openai/gpt-4o", [END - 40 * 86400.0, END - 10 * MINUTE, END])])
        history.rollup(END)
        old = Cockpit(history, clock=lambda: END).views().breakers
    assert [row.upstream for row in old.rows] == ["openai/gpt-4o"]
    assert old.watched_from is None  # read 40 days ago: the last 30 days are all watched


def test_the_gateways_own_breakers_are_shown_beside_prometheus_where_they_report_any() -> None:
    from aiops_tui.views import breaker_source

    assert breaker_source("prometheus", {"prometheus": END}) == "prometheus"  # no gateway reports breakers
    assert breaker_source("prometheus", {"prometheus": END, "gw-a": END}) == "gw-a"
    assert breaker_source("prometheus", {"gw-a": END, "gw-b": END - 5}) == "gateways"  # each gateway's, by name
    assert breaker_source("gw-a", {"gw-a": END, "gw-b": END}) == "gw-a"  # the source the panes read otherwise

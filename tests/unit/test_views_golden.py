"""The golden view over a real history: the charts of one model alone, the tiles and table unchanged."""

from __future__ import annotations

from pathlib import Path

from aiops_tui.cockpit import Cockpit
from aiops_tui.demo import backfill
from aiops_tui.signals.golden import CHART_SIGNALS
from aiops_tui.sim.model import GatewayModel
from aiops_tui.store.history import History

END = 1_796_000_400.0
HOUR = 3600.0


def test_the_charts_of_one_model_are_its_own_series_and_the_rest_stays_over_all_models(tmp_path: Path) -> None:
    model = GatewayModel(3, END - HOUR)
    with History.open(tmp_path / "h.duckdb") as history:
        backfill(history, model, END - HOUR, END - HOUR / 2, step_s=15.0)
        model.inject("upstream_outage", "openai/gpt-4o", duration_s=600.0)  # its errors (less what falls back)
        backfill(history, model, END - HOUR / 2, END, step_s=15.0)
        cockpit = Cockpit(history, clock=lambda: END)
        every, gpt = cockpit.views().golden, cockpit.views(model="gpt-4o").golden
        mini = cockpit.views(model="gpt-4o-mini").golden
        unknown = cockpit.views(model="no-such-model").golden
    assert (every.chart_model, gpt.chart_model) == ("", "gpt-4o")
    assert (gpt.tiles, gpt.models) == (every.tiles, every.models)
    assert set(gpt.charts) == set(CHART_SIGNALS) and all(gpt.charts[signal] for signal in CHART_SIGNALS)
    peak = {name: max(v for _, v in view.charts["error_ratio"]) for name, view in
            (("all", every), ("gpt-4o", gpt), ("mini", mini))}
    assert peak["gpt-4o"] > 3 * peak["all"] and peak["all"] > peak["mini"], peak  # the outage is gpt-4o's
    # Each model's traffic is a share of the whole, point by point.
    traffic = {name: dict(view.charts["requests_per_s"]) for name, view in (("all", every), ("gpt-4o", gpt), ("mini", mini))}
    shared = set(traffic["all"]) & set(traffic["gpt-4o"]) & set(traffic["mini"])
    assert len(shared) > 100
    assert all(traffic["gpt-4o"][ts] + traffic["mini"][ts] < traffic["all"][ts] for ts in shared)
    assert all(not unknown.charts[signal] for signal in CHART_SIGNALS)

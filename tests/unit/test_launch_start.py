"""How `demo` and `review` start, without a terminal: the UI's run is replaced by what the app does with
the cockpit (wait before the app, the first views, then polling once they are drawn). The first views come
from the forked child, without the cost pane's; this process opens the history only when polling starts, and
reads it from then on."""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
from pathlib import Path

import pytest

from aiops_tui import launch
from aiops_tui.config import load_config
from aiops_tui.demo import DEMO_SOURCE, backfill
from aiops_tui.sim.model import GatewayModel
from aiops_tui.store.history import History

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="the start forks only where the OS can")

END = 1_795_600_800.0  # 2026-11-25 10:00 UTC


def what_the_app_does(seen: dict):
    """Stands in for `_run_app`: the app's calls on the cockpit, in the app's order."""

    def run(cockpit, args, cfg, *, before_app=None) -> int:
        if before_app is not None:
            before_app()
        cockpit.start()
        seen["first"] = cockpit.views()
        seen["collector on before the first views are drawn"] = gc.isenabled()
        seen["history before polling"] = cockpit.history
        stop = asyncio.Event()
        stop.set()  # open the history, serve the demo, and stop before the first poll
        asyncio.run(cockpit.run_polling(stop))
        seen["history"] = cockpit.history
        seen["next"] = cockpit.views()  # what the app asks for once the first are drawn: the cost pane's too
        if cockpit.poller is not None:
            seen["first poll"] = asyncio.run(cockpit.poller.run_cycle())
        seen["earlier"] = cockpit.views(at=seen["first"].at - 300, window="1h")
        seen["cockpit"] = cockpit
        return 0

    return run


def test_review_reads_the_first_views_in_a_child_and_opens_the_file_after(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "h.duckdb"
    with History.open(path) as history:
        backfill(history, GatewayModel(7, END - 1800.0), END - 1800.0, END, step_s=60.0)
    config = tmp_path / "aiops.yaml"
    config.write_text(f"history: {tmp_path / 'unused.duckdb'}\n")
    with History.open(path, read_only=True) as history:
        end = history.time_range()[1]
        expected = launch._cockpit_for(load_config(str(config)), history, clock=lambda: end).views()
    seen: dict = {}
    monkeypatch.setattr(launch, "_run_app", what_the_app_does(seen))

    assert launch.run_review(argparse.Namespace(file=str(path), config=str(config), theme=None, lang=None)) == 0
    assert seen["collector on before the first views are drawn"] is False and gc.isenabled()
    first = seen["first"]
    assert first.at == end and (first.golden, first.breakers) == (expected.golden, expected.breakers)
    assert first.cost is None and seen["next"] == expected
    assert seen["history before polling"] is None
    assert seen["history"].read_only and seen["history"].path == path
    assert seen["earlier"].at == end - 300 and seen["earlier"].golden.tiles


def test_demo_puts_its_hour_in_from_a_child_then_serves_and_polls_from_this_process(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "demo.duckdb"
    seen: dict = {}
    monkeypatch.setattr(launch, "_run_app", what_the_app_does(seen))

    args = argparse.Namespace(history=str(path), seed=42, backfill="1h", theme=None, lang=None)
    assert launch.run_demo(args) == 0
    assert seen["collector on before the first views are drawn"] is False and gc.isenabled()
    first = seen["first"]
    assert first.live and first.golden.source == DEMO_SOURCE and first.golden.tiles["requests_per_s"].value > 0
    assert first.cost is None and seen["next"].cost.mtd_usd > 0 and seen["next"].cost.by_model
    assert seen["history before polling"] is None
    assert seen["history"].path == path and not seen["history"].read_only
    assert seen["earlier"].golden.tiles["requests_per_s"].value > 0  # read here, from the file the child wrote
    assert sorted(seen["cockpit"].poller.status) == ["alerts", DEMO_SOURCE]  # served and polled from here
    # The first live scrape already has rates: it is rated against the recorded hour's last scrape.
    derived = {s.key.name: s.value for b in seen["first poll"] if b.source == "derived" for s in b.samples if not s.key.labels}
    assert derived["signal:requests_per_s"] > 0 and derived["signal:latency_p95_s"] > 0
    with History.open(path, read_only=True) as history:  # closed again on the way out
        first_ts, last_ts = history.time_range()
    assert last_ts - first_ts >= 3600 - 120


def test_live_reads_the_first_views_in_a_child_then_polls_from_this_process(tmp_path: Path, monkeypatch) -> None:
    import time

    path = tmp_path / "live.duckdb"
    now = time.time()
    with History.open(path) as history:  # what an earlier session recorded, up to now
        backfill(history, GatewayModel(7, now - 1800.0), now - 1800.0, now, step_s=60.0)
    config = tmp_path / "aiops.yaml"
    config.write_text(f"history: {path}\ngateways:\n  - name: gw\n    metrics_url: http://127.0.0.1:9/metrics\n")
    seen: dict = {}
    monkeypatch.setattr(launch, "_run_app", what_the_app_does(seen))

    assert launch.run_live(argparse.Namespace(config=str(config), theme=None, lang=None)) == 0
    assert seen["collector on before the first views are drawn"] is False and gc.isenabled()
    first = seen["first"]
    assert first.live and first.golden.source == DEMO_SOURCE and first.golden.tiles["requests_per_s"].value > 0
    assert [s.name for s in first.sources] == ["gw"]
    assert seen["history before polling"] is None
    assert seen["history"].path == path and not seen["history"].read_only
    # Opened here: the shipped alert rules are evaluated over it (no Prometheus), beside the gateway.
    assert sorted(seen["cockpit"].poller.status) == ["alerts", "gw"]


def test_the_app_turns_the_collector_back_on_once_its_first_views_are_drawn(monkeypatch) -> None:
    import aiops_tui.ui.app as ui_app

    class App:
        def __init__(self, cockpit, *, theme, lang, after_first_views) -> None:
            self.after_first_views, self.return_code = after_first_views, 0

        def run(self) -> None:
            seen.append((gc.isenabled(), gc.get_freeze_count() > 0))
            self.after_first_views()  # as the app does once the first views are on screen
            seen.append((gc.isenabled(), gc.get_freeze_count() > 0))

    class Started:
        def start(self) -> None:
            pass

    seen: list[bool] = []
    monkeypatch.setattr(ui_app, "app_for", App)
    cfg = argparse.Namespace(theme="default", lang="en")
    paused_run = launch._collector_paused(lambda args: launch._run_app(Started(), args, cfg))
    assert paused_run(argparse.Namespace()) == 0
    # Off through the start; then on, with what the start made frozen out of its walks; as it was at the end.
    assert seen == [(False, False), (True, True)]
    assert gc.isenabled() and gc.get_freeze_count() == 0


def test_without_prometheus_the_alert_rules_name_each_gateway_by_its_host_and_port(tmp_path: Path) -> None:
    from aiops_tui.config import load_config
    from aiops_tui.recorder import Recorder, sources_from_config

    config = tmp_path / "aiops.yaml"
    config.write_text(
        f"history: {tmp_path / 'h.duckdb'}\ngateways:\n"
        "  - name: gw-a\n    metrics_url: http://user:secret@127.0.0.1:4000/metrics\n"
        "  - name: gw-b\n    metrics_url: https://gw.example/metrics\n"
    )
    cfg = load_config(config, env={})
    recorder = Recorder(None, sources_from_config(cfg))
    with History.open(cfg.history_path) as history:
        launch._attach_history(cfg, history, recorder)
    rules = next(source for source in recorder.poller.sources if source.name == "alerts")
    assert rules.instances == {"gw-a": "127.0.0.1:4000", "gw-b": "gw.example:443"}  # as Prometheus labels them

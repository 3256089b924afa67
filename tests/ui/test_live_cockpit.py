"""The real cockpit: real history from the seeded sim (snapshots, frozen clock) and live polling of a
real sim over loopback (pause, an outage turning a breaker row red)."""

from __future__ import annotations

import asyncio
import re
import time

import httpx
import pytest
from rich.style import Style
from textual.widgets import DataTable

from aiops_tui.cockpit import Cockpit
from aiops_tui.config import GatewayConfig
from aiops_tui.demo import backfill
from aiops_tui.recorder import Recorder
from aiops_tui.signals.golden import Targets
from aiops_tui.sim.model import GatewayModel
from aiops_tui.sim.server import SimServer
from aiops_tui.sources.gateway import GatewaySource
from aiops_tui.store.history import History
from loopback import closed_port
from ui.pilot_helpers import cockpit_app, press, settle, wait_for

NOW = 1_795_600_800.0  # 2026-11-25 10:00 UTC, frozen
OUTAGE_AT = NOW - 1_500.0  # 25 minutes before now: the breaker opened, then recovered


@pytest.fixture(scope="module")
def seeded_history(tmp_path_factory):
    """An hour of the seed-11 sim, with a two-minute gpt-4o outage in the middle, in a real file."""
    path = tmp_path_factory.mktemp("seeded") / "history.duckdb"
    model = GatewayModel(11, NOW - 3_600.0, budget_monthly_usd=15_000.0)
    with History.open(path) as history:
        backfill(history, model, NOW - 3_600.0, OUTAGE_AT)
        model.inject("upstream_outage", "openai/gpt-4o", duration_s=120.0)
        backfill(history, model, OUTAGE_AT, NOW)
    return path


def review_app(path):
    history = History.open(path, read_only=True)
    cockpit = Cockpit(history, environment="staging", targets=Targets(latency_p95_s=4.0), monthly_budget_usd=15_000.0, clock=lambda: NOW)
    return cockpit_app(cockpit)


def on_pane(key: str):
    async def run_before(pilot) -> None:
        await settle(pilot)
        await press(pilot, key)
    return run_before


@pytest.mark.parametrize("key", ["1", "2", "3"])
def test_pane_from_seeded_history_120x40(snap_compare, seeded_history, key):
    assert snap_compare(review_app(seeded_history), terminal_size=(120, 40), run_before=on_pane(key))


def test_golden_pane_from_seeded_history_80x24(snap_compare, seeded_history):
    assert snap_compare(review_app(seeded_history), terminal_size=(80, 24), run_before=on_pane("1"))


def test_the_outage_in_the_history_shows_as_flaps_of_that_upstream(seeded_history):
    with History.open(seeded_history, read_only=True) as history:
        views = Cockpit(history, clock=lambda: NOW).views()
    row = next(r for r in views.breakers.rows if r.upstream == "openai/gpt-4o")
    assert row.state == "closed" and row.flaps >= 1
    assert [t.to_state for t in row.transitions][:1] == ["open"]
    assert OUTAGE_AT <= row.transitions[0].ts <= OUTAGE_AT + 120


async def test_charts_of_a_reviewed_history_end_at_its_time_not_at_now(seeded_history):
    with History.open(seeded_history, read_only=True) as history:
        end = Cockpit(history, clock=lambda: NOW).views().golden.at
    clock = time.strftime("%H:%M", time.gmtime(end))
    app = review_app(seeded_history)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        for signal in ("latency_p95_s", "requests_per_s", "error_ratio", "tokens_per_s"):
            lines = str(app.query_one(f"#chart-{signal}").render()).splitlines()
            assert f"1h to {clock}" in lines[0] and "last" not in lines[0]
            assert lines[-1].split()[-2:] == ["-15m", clock]  # the axis's right end
        await press(pilot, "3")
        await settle(pilot)
        assert str(app.query_one("#breaker-axis").render()).split()[-1] == clock
        title = str(app.query_one("#breaker-title").render())
        assert f"over the 1h to {clock}" in title and f"at {clock} " in title and "now" not in title


async def test_without_a_configured_budget_the_cost_pane_takes_the_one_the_gateway_reports(seeded_history):
    history = History.open(seeded_history, read_only=True)
    app = cockpit_app(Cockpit(history, environment="staging", clock=lambda: NOW))  # no monthly budget in the config
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "2")
        figures = str(app.query_one("#cost-figures").render())
        assert "budget         $15,000 / month  from the source, not config" in figures  # the sim's gauge
        assert " of $15,000 (" in str(app.query_one("#budget-bar").render())
        burn = str(app.query_one("#burn-1h").render())
        assert re.match(r"1h\s+\$[\d.,]+/h\s+\d+\.\d×\s", burn), burn  # a multiple of that budget's pace, not a dash


async def test_a_gateway_gone_marks_the_panes_that_still_show_its_last_values(tmp_path):
    with SimServer(seed=5, speed=4.0) as sim:
        history = History.open(tmp_path / "h.duckdb")
        cfg = GatewayConfig("gw", f"{sim.url}/metrics", f"{sim.url}/status", "health_json", None, 0.5, 2.0)
        recorder = Recorder(history, [GatewaySource(cfg, httpx.AsyncClient(follow_redirects=True, timeout=2.0))])
        app = cockpit_app(Cockpit(history, poller=recorder.poller))

        def golden_line() -> str:
            return str(app.query_one("#golden-source").render())

        async with app.run_test(size=(120, 40)) as pilot:
            await wait_for(lambda: recorder.poller.cycles >= 2 and golden_line().startswith("from gw"), pilot)
            assert "values as of" not in golden_line()
            sim.stop()  # the gateway is gone: the panes keep its last values, and say how old they are
            await wait_for(lambda: golden_line().startswith("✖ gw down: values as of"), pilot)
            assert re.match(r"✖ gw down: values as of \d\d:\d\d:\d\d UTC · from gw \(direct scrape", golden_line())
            as_of = golden_line().split(" UTC")[0]
            await press(pilot, "2")
            assert str(app.query_one("#cost-figures").render()).splitlines()[-1] == f"from gw · {as_of} UTC"
            await press(pilot, "3")
            assert str(app.query_one("#breakers-summary").render()).endswith(f"from gw · {as_of} UTC")
        history.close()


async def test_two_gateways_are_shown_together_and_one_gone_is_named_as_left_out(tmp_path):
    with SimServer(seed=5, speed=4.0) as one, SimServer(seed=6, speed=4.0) as other:
        history = History.open(tmp_path / "h.duckdb")
        sources = [
            GatewaySource(GatewayConfig(name, f"{sim.url}/metrics", f"{sim.url}/status", "health_json", None, 0.5, 2.0),
                          httpx.AsyncClient(follow_redirects=True, timeout=2.0))
            for name, sim in (("gw-a", one), ("gw-b", other))
        ]
        recorder = Recorder(history, sources)
        app = cockpit_app(Cockpit(history, poller=recorder.poller))

        def golden_line() -> str:
            return str(app.query_one("#golden-source").render())

        async with app.run_test(size=(120, 40)) as pilot:
            await wait_for(lambda: golden_line().startswith("from 2 gateways (direct scrapes, summed) · 4 models"),
                           pilot)
            one.stop()
            await wait_for(lambda: golden_line().startswith("✖ gw-a down: left out · from 2 gateways"), pilot)
            await press(pilot, "2")
            cost_line = str(app.query_one("#cost-figures").render()).splitlines()[-1]
            assert cost_line == "from 2 gateways · ✖ gw-a down: left out"
            await press(pilot, "3")
            summary = str(app.query_one("#breakers-summary").render())
            assert summary.endswith("from 2 gateways · ✖ gw-a down: left out")
            assert str(app.query_one("#breakers-table", DataTable).get_row_at(0)[1]).startswith("gw-")
        history.close()


async def test_a_gateway_down_from_the_start_is_why_each_pane_is_empty(tmp_path):
    history = History.open(tmp_path / "h.duckdb")
    url = f"http://127.0.0.1:{closed_port()}"
    cfg = GatewayConfig("gw", f"{url}/metrics", f"{url}/status", "health_json", None, 0.2, 1.0)
    recorder = Recorder(history, [GatewaySource(cfg, httpx.AsyncClient(timeout=1.0))], stale_after=1)
    app = cockpit_app(Cockpit(history, poller=recorder.poller))

    def golden_line() -> str:
        return str(app.query_one("#golden-source").render())

    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(lambda: golden_line().startswith("no golden signals yet: ✖ gw down: "), pilot)
        reason = golden_line().removeprefix("no golden signals yet: ✖ gw down: ")
        # The poller's one-line error, as the status line has it, without the name the line already gives.
        assert reason.startswith("cannot connect") and "\n" not in reason
        assert str(app.query_one("#status").render()).endswith(f"✖ gw down: {reason}")  # no age: never answered
        await press(pilot, "2")
        assert str(app.query_one("#cost-figures").render()).splitlines()[-1] == f"from no source yet · ✖ gw down: {reason}"
        await press(pilot, "3")
        assert str(app.query_one("#breakers-summary").render()) == f"no circuit breakers reported yet · ✖ gw down: {reason}"
    history.close()


async def test_pause_stops_polling_and_an_outage_turns_the_breaker_row_red(tmp_path):
    # Sim time runs 4x: its breaker needs a few failed calls, and night-time traffic is thin.
    with SimServer(seed=5, speed=4.0) as sim:
        history = History.open(tmp_path / "h.duckdb")
        cfg = GatewayConfig("gw", f"{sim.url}/metrics", f"{sim.url}/status", "health_json", None, 0.5, 2.0)
        recorder = Recorder(history, [GatewaySource(cfg, httpx.AsyncClient(follow_redirects=True, timeout=2.0))])
        poller = recorder.poller
        app = cockpit_app(Cockpit(history, poller=poller))

        def stored() -> int:
            return history.cursor().execute("SELECT count(*) FROM samples").fetchone()[0]

        async with app.run_test(size=(120, 40)) as pilot:
            await wait_for(lambda: poller.cycles >= 3, pilot)
            chart = app.query_one("#chart-requests_per_s")
            await wait_for(lambda: chart.plotted is not None and chart.plotted.points, pilot)  # a rate needs two scrapes
            lines = str(chart.render()).splitlines()
            assert "last 1h" in lines[0] and lines[-1].split()[-1] == "now"  # live: the charts end at now
            await pilot.press("p")
            await pilot.pause(0.3)  # a cycle already in flight may still land
            cycles, rows = poller.cycles, stored()
            await pilot.pause(1.5)  # three intervals
            assert (poller.cycles, stored()) == (cycles, rows)
            assert "PAUSED" in str(app.status_bar.render())

            await pilot.press("p")
            await wait_for(lambda: poller.cycles > cycles, pilot)
            assert stored() > rows

            sim.inject("upstream_outage", "openai/gpt-4o", duration_s=120.0)
            await press(pilot, "3")
            table = app.query_one("#breakers-table", DataTable)

            def state_cell():
                try:
                    return table.get_row("openai/gpt-4o")[0]  # the state column
                except Exception:
                    return None

            await wait_for(lambda: state_cell() is not None and state_cell().plain == "● OPEN", pilot, timeout_s=40)
            cell = state_cell()
            assert cell.plain == "● OPEN"
            colours = {Style.parse(str(span.style)).color for span in cell.spans if span.style}
            assert {c.name if c.name.startswith("#") else c.triplet.hex for c in colours if c} == {
                app.theme_variables["error"].lower()
            }
        history.close()

"""Two gateways scraped directly, no Prometheus: the panes show them together, each breaker per gateway."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx
import pytest
from textual.widgets import DataTable

from aiops_tui.cockpit import Cockpit
from aiops_tui.config import GatewayConfig
from aiops_tui.model import FLEET_SOURCE, Batch, Sample, SeriesKey
from aiops_tui.recorder import Recorder
from aiops_tui.reports.cli import render_report
from aiops_tui.sim.server import SimServer
from aiops_tui.sources.gateway import GatewaySource
from aiops_tui.sources.local_alerts import LocalAlertSource, pick_signal_source
from aiops_tui.store import timeseries as ts_sql
from aiops_tui.store.history import History
from aiops_tui.ui import fmt
from aiops_tui.ui.screens.cost_trends import CostTrendsScreen
from aiops_tui.views import LOOKBACK_S
from clocks import HandClock
from ui.pilot_helpers import cockpit_app, press, screen_lines, settle, wait_for

START = 1_796_000_000.0
HOUR_S = 3600.0
STEP_S = 5.0


def record(history: History, sims: dict[str, SimServer], clock: HandClock, cycles: int) -> None:
    """`cycles` polls of every gateway, `STEP_S` apart on the shared clock, written as the cockpit writes them."""

    async def run() -> None:
        async with httpx.AsyncClient(follow_redirects=True, timeout=3.0) as client:
            sources = [
                GatewaySource(GatewayConfig(name, f"{sim.url}/metrics", f"{sim.url}/status", "health_json", None,
                                            STEP_S, 3.0), client, clock=clock)
                for name, sim in sims.items()
            ]
            recorder = Recorder(history, sources, clock=clock)
            for _ in range(cycles):
                await recorder.poller.run_cycle()
                clock.now += STEP_S

    asyncio.run(run())


def own_spend(history: History) -> dict[str, float]:
    """gateway -> what its own cost counters rose by over the recording (all of it on one day)."""
    until = history.time_range()[1] + 1.0
    with history.reading() as con:
        return {gw: sum(ts_sql.counter_increase(con, ts_sql.cost_series(con, gw), START, until).values())
                for gw in ("gw-a", "gw-b")}


def latest(history: History, source: str, at: float) -> dict[tuple[str, str], float]:
    with history.reading() as con:
        return ts_sql.latest_signals(con, source, at, LOOKBACK_S)


@pytest.fixture
def fleet(tmp_path: Path):
    clock = HandClock(START)
    with SimServer(seed=3, clock=clock) as a, SimServer(seed=9, clock=clock) as b, \
            History.open(tmp_path / "h.duckdb") as history:
        b.model.inject("upstream_outage", "openai/gpt-4o", duration_s=600.0)
        clock.now += 60  # a minute of traffic before the first scrape
        record(history, {"gw-a": a, "gw-b": b}, clock, cycles=8)
        yield history, clock, a, b


def test_the_golden_and_cost_panes_add_the_gateways_up(fleet):
    history, clock, _, _ = fleet
    at = clock.now
    views = Cockpit(history, clock=lambda: at).views()
    one, other = latest(history, "gw-a", at), latest(history, "gw-b", at)
    assert views.golden.source == views.cost.source == FLEET_SOURCE
    tiles = {name: reading.value for name, reading in views.golden.tiles.items()}
    assert tiles["requests_per_s"] == pytest.approx(one[("requests_per_s", "")] + other[("requests_per_s", "")])
    assert tiles["tokens_per_s"] == pytest.approx(one[("tokens_per_s", "")] + other[("tokens_per_s", "")])
    # Ratios and quantiles of the two together lie between each gateway's own.
    for signal in ("error_ratio", "latency_p95_s", "cache_hit_ratio"):
        low, high = sorted((one[(signal, "")], other[(signal, "")]))
        assert low <= tiles[signal] <= high, signal
    assert other[("error_ratio", "")] > 0.01 > one[("error_ratio", "")]  # gw-b's gpt-4o is down
    assert views.cost.spend_usd_per_h == pytest.approx(one[("spend_usd_per_h", "")] + other[("spend_usd_per_h", "")])
    with history.reading() as con:
        each = [sum(ts_sql.counter_increase(con, ts_sql.cost_series(con, gw), START - 60, at).values())
                for gw in ("gw-a", "gw-b")]
        assert pick_signal_source(con, at) == FLEET_SOURCE  # the alert rules read what the panes show
    assert all(usd > 0 for usd in each)
    assert views.cost.mtd_usd == pytest.approx(sum(each))
    assert sum(row.mtd_usd for row in views.cost.by_model) == pytest.approx(sum(each))
    # And each gateway's own: its spend rate and month to date, beside the models' and tiers'.
    by_gateway = {row.name: (row.usd_per_h, row.mtd_usd) for row in views.cost.by_gateway}
    assert by_gateway == {"gw-a": (one[("spend_usd_per_h", "")], pytest.approx(each[0])),
                          "gw-b": (other[("spend_usd_per_h", "")], pytest.approx(each[1]))}


async def test_a_review_of_the_history_names_the_gateways_it_holds(fleet):
    history, clock, _, _ = fleet
    at = clock.now
    app = cockpit_app(Cockpit(history, clock=lambda: at))  # no poller: as `aiops-tui review` reads a file
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert str(app.query_one("#golden-source").render()).startswith("from 2 gateways (direct scrapes, summed)")
        assert app.cockpit.views().gateways == ("gw-a", "gw-b")
        await pilot.press("2")
        await settle(pilot)
        table = app.query_one("#by-gateway")
        assert table.display and str(table.ordered_columns[0].label) == "gateway"
        assert sorted(table.get_row_at(i)[0].plain for i in range(table.row_count)) == ["gw-a", "gw-b"]


def test_the_golden_table_turns_to_each_gateways_own_totals_with_v(fleet):
    history, clock, _, _ = fleet
    at = clock.now
    rows = Cockpit(history, clock=lambda: at).views().golden.gateways
    assert [row.model for row in rows] == ["gw-a", "gw-b"]
    for row in rows:
        own = latest(history, row.model, at)
        assert row.requests_per_s.value == own[("requests_per_s", "")]
        assert row.error_ratio.value == own[("error_ratio", "")]
        assert row.latency_p95_s.value == own[("latency_p95_s", "")]
    gw_a, gw_b = rows
    assert gw_b.error_ratio.status == "bad" and gw_a.error_ratio.status != "bad"  # gw-b's gpt-4o is down


def test_the_golden_report_of_the_fleet_sums_up_each_gateway_too(fleet):
    history, _, _, _ = fleet
    report = json.loads(render_report(history, "golden", since_s=HOUR_S, fmt="json"))
    assert report["facts"]["source"] == FLEET_SOURCE
    rows = {(row["gateway"], row["signal"]): row for row in report["sections"]["gateways"]}
    assert {gateway for gateway, _ in rows} == {"gw-a", "gw-b"}
    with history.reading() as con:  # each gateway's own stored signals, averaged over the period
        for (gateway, signal), row in rows.items():
            mean, count = con.execute(
                "SELECT avg(v.value), count(*) FROM samples v JOIN series s USING (series_id) WHERE s.source = $g "
                "AND s.name = $n AND s.labels = '{}'::JSON AND isfinite(v.value)",
                {"g": gateway, "n": f"signal:{signal}"},
            ).fetchone()
            assert (row["avg"], row["samples"]) == (pytest.approx(mean), count), (gateway, signal)
    assert rows[("gw-b", "error_ratio")]["max"] > 0.01 > rows[("gw-a", "error_ratio")]["max"]  # gw-b's upstream is down


async def test_v_shows_the_gateway_off_target_and_v_again_the_models(fleet):
    history, clock, _, _ = fleet
    at = clock.now
    app = cockpit_app(Cockpit(history, clock=lambda: at))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        table = app.query_one("#models")

        def shown() -> list[list[str]]:
            return [[cell.plain for cell in table.get_row_at(i)] for i in range(table.row_count)]

        models = shown()
        assert str(table.columns[table.ordered_columns[0].key].label) == "model" and len(models) > 2
        assert "4 models (v: gateways)" in str(app.query_one("#golden-source").render())
        await pilot.press("v")
        await settle(pilot)
        assert str(table.ordered_columns[0].label) == "gateway"
        (a_name, *_), (b_name, _, b_errors, *_) = shown()
        assert (a_name, b_name) == ("gw-a", "gw-b") and b_errors.endswith("!")  # past the error target
        assert "by gateway, each its last minute (v: models)" in str(app.query_one("#golden-source").render())
        await pilot.press("down", "enter")  # gw-b's own charts
        await settle(pilot)
        assert "charts of gw-b alone (⏎ all gateways)" in str(app.query_one("#golden-source").render())
        assert any("errors, % · gw-b · 1h to " in line for line in screen_lines(app))  # a review: to its end
        await pilot.press("enter")  # and the fleet's again
        await settle(pilot)
        assert "alone" not in str(app.query_one("#golden-source").render())
        await pilot.press("enter", "v")  # gw-b's again, then back to the models: their charts too
        await settle(pilot)
        assert str(table.ordered_columns[0].label) == "model" and shown() == models
        assert "alone" not in str(app.query_one("#golden-source").render())


def test_a_gateways_charts_are_its_own_signals(fleet):
    history, clock, _, _ = fleet
    at = clock.now
    golden = Cockpit(history, clock=lambda: at).views(at, "1h", gateway="gw-b").golden
    with history.reading() as con:
        own = ts_sql.signal_series_many(con, "gw-b", list(golden.charts), at - HOUR_S, at)
    assert golden.chart_gateway == "gw-b" and golden.source == FLEET_SOURCE  # the tiles stay the fleet's
    assert golden.charts == own and any(value > 0.01 for _, value in own["error_ratio"])


def test_each_gateway_keeps_its_own_breakers(fleet):
    history, clock, _, _ = fleet
    at = clock.now
    rows = Cockpit(history, clock=lambda: at).views().breakers.rows
    states = {row.upstream: row.state for row in rows}
    assert states["gw-b · openai/gpt-4o"] == "open" and states["gw-a · openai/gpt-4o"] == "closed"
    assert rows[0].upstream == "gw-b · openai/gpt-4o"  # open first
    assert len(rows) == 8 and {name.split(" · ")[0] for name in states} == {"gw-a", "gw-b"}
    opened = next(row for row in rows if row.upstream == "gw-b · openai/gpt-4o")
    assert [t.to_state for t in opened.transitions][:1] == ["open"]


def test_a_gateway_no_longer_polled_leaves_the_live_breakers_and_stays_in_a_review(fleet):
    history, clock, a, b = fleet
    with SimServer(seed=5, clock=clock) as c:
        c.model.inject("upstream_outage", "openai/gpt-4o", duration_s=600.0)
        record(history, {"gw-a": a, "gw-b": b, "gw-c": c}, clock, cycles=4)  # its breaker opens: an event
    record(history, {"gw-a": a, "gw-b": b}, clock, cycles=30)  # then the config names gw-a and gw-b only
    at = clock.now
    sources = [GatewaySource(GatewayConfig(name, "http://127.0.0.1:9/metrics", None, "health_json", None, STEP_S, 3.0),
                             httpx.AsyncClient(), clock=clock) for name in ("gw-a", "gw-b")]
    live = Cockpit(history, poller=Recorder(history, sources, clock=clock).poller, clock=lambda: at).views()
    # Live, the breakers are those of the gateways polled: gw-c's, unread for 150 s, would read "? UNKNOWN".
    assert {row.upstream.split(" · ")[0] for row in live.breakers.rows} == {"gw-a", "gw-b"}
    assert len(live.breakers.rows) == 8
    reviewed = {row.upstream: row for row in Cockpit(history, clock=lambda: at).views(at).breakers.rows}
    assert reviewed["gw-c · openai/gpt-4o"].state == "unknown"
    assert [t.to_state for t in reviewed["gw-c · openai/gpt-4o"].transitions][:1] == ["open"]


def test_the_breakers_report_reads_each_gateways_breakers_as_the_pane_does(fleet):
    history, _, _, _ = fleet
    report = json.loads(render_report(history, "breakers", since_s=HOUR_S, fmt="json"))["sections"]
    rows = {row["upstream"]: row for row in report["summary"]}
    assert rows["gw-b · openai/gpt-4o"]["flaps"] == 1 and rows["gw-b · openai/gpt-4o"]["state_at_end"] == "open"
    assert rows["gw-a · openai/gpt-4o"]["flaps"] == 0 and rows["gw-a · openai/gpt-4o"]["tier"] == "tier_1"
    assert len(rows) == 8
    assert [(t["upstream"], t["to_state"]) for t in report["transitions"]] == [("gw-b · openai/gpt-4o", "open")]


def test_the_alert_rules_without_prometheus_read_each_gateways_breakers(fleet):
    history, clock, a, b = fleet
    instances = {"gw-a": f"127.0.0.1:{a.port}", "gw-b": f"127.0.0.1:{b.port}"}
    alerts = LocalAlertSource(history, instances=instances, clock=clock).evaluate(clock.now)
    opened = [alert for alert in alerts if alert.name == "LLMCircuitBreakerOpen"]
    assert [(a.labels["upstream"], a.labels["job"], a.labels["instance"]) for a in opened] == [
        ("openai/gpt-4o", "gw-b", instances["gw-b"]),
    ]
    assert "__gateway__" not in opened[0].labels


def test_a_gateway_that_stops_answering_is_left_out_of_the_sums(fleet):
    history, clock, a, b = fleet
    a.stop()
    record(history, {"gw-a": a, "gw-b": b}, clock, cycles=2)
    at = clock.now
    views = Cockpit(history, clock=lambda: at).views()
    assert views.golden.source == FLEET_SOURCE
    rate = views.golden.tiles["requests_per_s"].value
    assert rate == pytest.approx(latest(history, "gw-b", at)[("requests_per_s", "")])


def test_gateways_of_different_conventions_add_up_each_read_in_its_own(tmp_path: Path):
    clock = HandClock(START)
    with SimServer(seed=3, clock=clock) as litellm, SimServer(seed=9, clock=clock, convention="otel") as otel, \
            History.open(tmp_path / "h.duckdb") as history:
        clock.now += 60
        record(history, {"gw-litellm": litellm, "gw-otel": otel}, clock, cycles=4)
        at = clock.now
        views = Cockpit(history, clock=lambda: at).views()
        one, other = latest(history, "gw-litellm", at), latest(history, "gw-otel", at)
        report = json.loads(render_report(history, "cost", since_s=HOUR_S, fmt="json"))
    # The cost report names each convention's counter, and each gateway's spend is there.
    assert report["facts"]["cost_counter"] == "gen_ai_usage_cost_USD_sum, litellm_spend_metric_total"
    spent = {row["name"]: row["usd"] for row in report["sections"]["spend"] if row["by"] == "gateway"}
    assert set(spent) == {"gw-litellm", "gw-otel"} and all(usd > 0 for usd in spent.values())
    tiles = {name: reading.value for name, reading in views.golden.tiles.items()}
    for signal in ("requests_per_s", "tokens_per_s"):
        assert one[(signal, "")] > 0 and other[(signal, "")] > 0
        assert tiles[signal] == pytest.approx(one[(signal, "")] + other[(signal, "")]), signal
    low, high = sorted((one[("latency_p95_s", "")], other[("latency_p95_s", "")]))
    assert low <= tiles["latency_p95_s"] <= high
    by_model = {row.model: row.requests_per_s.value for row in views.golden.models}
    assert sum(by_model.values()) == pytest.approx(tiles["requests_per_s"])


def test_one_gateway_alone_is_shown_under_its_own_name(tmp_path: Path):
    clock = HandClock(START)
    with SimServer(seed=3, clock=clock) as a, History.open(tmp_path / "h.duckdb") as history:
        clock.now += 60
        record(history, {"gw-a": a}, clock, cycles=3)
        views = Cockpit(history, clock=lambda: clock.now).views()
        with history.reading() as con:
            sources = set(ts_sql.signal_sources(con, clock.now, LOOKBACK_S))
    assert views.golden.source == "gw-a" and sources == {"gw-a"}
    assert views.golden.gateways == [] and views.cost.by_gateway == []  # one gateway: its totals are the tiles
    assert [row.upstream for row in views.breakers.rows if row.upstream == "openai/gpt-4o"] == ["openai/gpt-4o"]


def test_a_source_of_the_history_that_reports_no_spend_has_no_row_of_spend(fleet):
    history, clock, _, _ = fleet
    # Another source's series in the file (one that is neither Prometheus nor the fleet): no spend of its own.
    history.write_cycle([Batch("other", clock.now, [Sample(SeriesKey("other", "up", ()), clock.now, 1.0)])])
    views = Cockpit(history, clock=lambda: clock.now).views()
    assert sorted(row.name for row in views.cost.by_gateway) == ["gw-a", "gw-b"]


def test_the_cost_report_of_the_fleet_breaks_each_days_spend_down_by_gateway(fleet):
    history, _, _, _ = fleet
    report = json.loads(render_report(history, "cost", since_s=HOUR_S, fmt="json"))
    assert report["facts"]["source"] == FLEET_SOURCE
    rows = [row for row in report["sections"]["spend"] if row["period"] == "day"]
    by_gateway = {row["name"]: row["usd"] for row in rows if row["by"] == "gateway"}
    [total] = [row["usd"] for row in rows if row["by"] == "total"]
    own = own_spend(history)
    assert all(usd > 0 for usd in own.values())
    assert by_gateway == {gw: pytest.approx(usd) for gw, usd in own.items()}
    assert total == pytest.approx(sum(own.values()))


def test_one_gateways_cost_report_has_no_breakdown_by_gateway(tmp_path: Path):
    clock = HandClock(START)
    with SimServer(seed=3, clock=clock) as a, History.open(tmp_path / "h.duckdb") as history:
        clock.now += 60
        record(history, {"gw-a": a}, clock, cycles=3)
        report = json.loads(render_report(history, "cost", since_s=HOUR_S, fmt="json"))
    assert report["facts"]["source"] == "gw-a"
    assert {row["by"] for row in report["sections"]["spend"]} == {"total", "model", "tier", "team"}


async def test_the_cost_trends_of_the_fleet_turn_to_each_gateways_spend_with_b(fleet):
    history, clock, _, _ = fleet
    at = clock.now
    app = cockpit_app(Cockpit(history, clock=lambda: at))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "T")
        assert isinstance(app.screen, CostTrendsScreen)
        await wait_for(lambda: app.screen.months_ready, pilot)
        keys = str(app.screen.query_one("#trends-keys").render())
        assert "b: by gateway, model, tier, team" in keys
        spend = app.screen.query_one("#trends-spend", DataTable)
        await press(pilot, "d", "b", "b", "b")  # per day; model -> tier -> team -> gateway
        assert " · per day by gateway · " in str(app.screen.query_one("#trends-title").render())
        own = own_spend(history)
        by_spend = sorted(own, key=lambda gw: -own[gw])  # the greater spend first, as for models
        assert [str(column.label) for column in spend.columns.values()] == ["day", "total", *by_spend]
        assert spend.row_count == 1  # the recording is minutes of one day
        assert [cell.plain for cell in spend.get_row_at(0)][1:] == [
            fmt.usd(sum(own.values())), *(fmt.usd(own[gw]) for gw in by_spend)]
        await press(pilot, "b")
        assert " · per day by model · " in str(app.screen.query_one("#trends-title").render())

"""Reviewing 90 generated days (three models, breaker flaps, an incident, a cost spike): the shared time cursor
moves every pane to the values stored at that time, windows reach 90 days, the cost trends screen matches SQL
over the rollups, and the palette's export writes a file that opens."""

from __future__ import annotations

import asyncio
import re
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest
from textual.widgets import DataTable, Input, Static

from aiops_tui.cockpit import Cockpit
from aiops_tui.model import BREAKER_STATES, Batch, Sample, SeriesKey
from aiops_tui.sim.history_gen import SOURCE, generate
from aiops_tui.sources.poller import Poller
from aiops_tui.store.export import BESIDE_SPAN
from aiops_tui.store.history import History
from aiops_tui.ui import actions, fmt
from aiops_tui.ui.screens.cost_trends import CostTrendsScreen
from aiops_tui.ui.screens.goto import GotoScreen, parse_when
from aiops_tui.ui.widgets.status_bar import StatusBar
from ui.pilot_helpers import cockpit_app, press, settle, wait_for

END_TS = 1_795_600_800.0  # 2026-11-25 10:00 UTC: the generator's samples are on a 300 s grid ending 5 minutes before
STEP_S = 300.0
SIZE = (120, 40)
STATE_WORDS = {"open": "● OPEN", "half_open": "◐ HALF-OPEN", "closed": "○ CLOSED"}  # as the breakers pane says them


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    # Five-minute steps and one team per counter keep it to 2M samples (about 1.5 s); a fallback model for the incident.
    path = tmp_path_factory.mktemp("review") / "h90.duckdb"
    return generate(path, days=90, models=("gpt-4o", "claude-3-5-haiku", "llama-3-8b-local"), step_s=STEP_S,
                    series_per_model=1, end_ts=END_TS)


@pytest.fixture
def history(generated):
    with History.open(generated.path, read_only=True) as opened:
        yield opened


def review_app(history: History):
    end = history.time_range()[1]
    return cockpit_app(Cockpit(history, monthly_budget_usd=0.0, clock=lambda: end)), end


def stored(history: History, name: str, at: float, labels: str = "{}") -> float:
    """The latest value of `name` (with exactly `labels`) at or before `at`, straight from the samples."""
    return history.cursor().execute(
        """SELECT arg_max(v.value, v.ts) FROM samples v JOIN series s USING (series_id)
           WHERE s.source = $source AND s.name = $name AND s.labels = $labels::JSON
             AND v.ts <= make_timestamptz($at) AND v.ts > make_timestamptz($at) - INTERVAL 1 HOUR""",
        {"source": SOURCE, "name": name, "labels": labels, "at": round(at * 1e6)},
    ).fetchone()[0]


def status(app) -> str:
    return app.query_one(StatusBar).render().plain


def requests_tile(app) -> str:
    return app.query_one("#tile-requests_per_s").value_text


def cost_line(app, label: str) -> str:
    """The value on the Cost pane's line `label` (e.g. "spend rate")."""
    figures = str(app.query_one("#cost-figures").render())
    line = next(line for line in figures.splitlines() if line.startswith(label))
    return line[len(label):].strip().split("  ")[0]


def minute(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=timezone.utc).strftime("%Y-%m-%d %H:%M")


async def go_to(pilot, text: str, *, typed: bool = False) -> None:
    """`g`, the time, enter: typed key by key, or (a key costs ~60 ms in a pilot) put in the box at once."""
    await press(pilot, "g")
    assert isinstance(pilot.app.screen, GotoScreen)
    if typed:
        await press(pilot, *text)
    else:
        pilot.app.screen.query_one(Input).value = text
    await press(pilot, "enter")


def test_typed_times_are_utc_or_back_from_now():
    now = END_TS
    assert parse_when("2026-11-20 14:00", now) == 1_795_183_200.0  # 2026-11-20T14:00Z
    assert parse_when("2026-11-20T14:00:00+02:00", now) == 1_795_183_200.0 - 7200
    assert parse_when("2026-11-20", now) == 1_795_132_800.0
    assert parse_when("-3h", now) == now - 3 * 3600
    assert parse_when("-2d", now) == now - 2 * 86400
    assert parse_when("-90m", now) == now - 5400
    assert parse_when("now", now) == now
    for bad, says in (("yesterday 09:00", "not a time: 'yesterday 09:00'"), ("2026-12-01", "is after the newest time"),
                      ("", "type a time")):
        with pytest.raises(ValueError, match=says):
            parse_when(bad, now)


async def test_the_cursor_moves_every_pane_to_the_values_stored_then(history, generated):
    app, end = review_app(history)
    assert end == END_TS - STEP_S
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert requests_tile(app) == fmt.rate(stored(history, "signal:requests_per_s", end), "req/s")
        await press(pilot, "left_square_bracket")  # window 1h: one step is 3600 / 6 = 600 s back
        assert status(app).startswith(f"REVIEW @ {fmt.utc_stamp(end - 600)}")
        assert requests_tile(app) == fmt.rate(stored(history, "signal:requests_per_s", end - 600), "req/s")

        # Three hours into the cost spike (gpt-4o at 6x its price), on the hour.
        spike_at = generated.spike_span[0] + 3 * 3600
        await go_to(pilot, minute(spike_at))
        assert status(app).startswith(f"REVIEW @ {fmt.utc_stamp(spike_at)}")
        assert requests_tile(app) == fmt.rate(stored(history, "signal:requests_per_s", spike_at), "req/s")
        await press(pilot, "2")
        spike_rate = stored(history, "signal:spend_usd_per_h", spike_at)
        assert cost_line(app, "spend rate") == fmt.usd_per_h(spike_rate)
        # Month to date: the spend counter's rolled-up hours from the 1st to the cursor, as the cost_hourly view sums them.
        month_start = datetime.fromtimestamp(spike_at, tz=timezone.utc).replace(day=1, hour=0).timestamp()
        mtd = history.cursor().execute(
            "SELECT sum(usd) FROM cost_hourly WHERE source = $source AND hour >= make_timestamptz($lo) AND hour < make_timestamptz($hi)",
            {"source": SOURCE, "lo": round(month_start * 1e6), "hi": round(spike_at * 1e6)},
        ).fetchone()[0]
        assert cost_line(app, "month to date") == fmt.usd(mtd)

        # A minute into the incident the victim's breaker row says the state stored then.
        incident_at = generated.incident_span[0] + STEP_S
        await go_to(pilot, minute(incident_at))
        await press(pilot, "3")
        labels = history.cursor().execute(
            "SELECT labels::VARCHAR FROM series WHERE name = 'signal:breaker_state' AND labels ->> 'upstream' = ?",
            [generated.incident_upstream],
        ).fetchone()[0]
        state = BREAKER_STATES[int(stored(history, "signal:breaker_state", incident_at, labels))]
        assert state != "closed"
        assert app.query_one("#breakers-table", DataTable).get_row(generated.incident_upstream)[0].plain == STATE_WORDS[state]

        # Relative to the file's end; a bad entry is said in one line and nothing moves.
        await press(pilot, "1")
        await go_to(pilot, "-2d", typed=True)
        assert status(app).startswith(f"REVIEW @ {fmt.utc_stamp(end - 2 * 86400)}")
        assert requests_tile(app) == fmt.rate(stored(history, "signal:requests_per_s", end - 2 * 86400), "req/s")
        await go_to(pilot, "last tuesday")
        assert isinstance(app.screen, GotoScreen)
        assert str(app.screen.query_one("#goto-error").render()).startswith("not a time: 'last tuesday'")
        await press(pilot, "escape")
        assert app._at == end - 2 * 86400

        await press(pilot, "0")
        assert app._at is None
        assert status(app).startswith(f"REVIEW @ {fmt.utc_stamp(end)}")
        assert requests_tile(app) == fmt.rate(stored(history, "signal:requests_per_s", end), "req/s")


async def test_w_reaches_90_days_read_from_the_rollups(history, generated):
    app, end = review_app(history)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        for window in ("6h", "24h", "7d", "30d", "90d"):
            await press(pilot, "w")
            assert f"window {window}" in status(app)
            assert f"chart window {window}" in str(app.query_one("#golden-source").render())
        assert "⚠" not in status(app)
        chart = app._views.golden.charts["requests_per_s"]
        # 90 days in 240 buckets of 9 h: the first bucket holds the history's start, the last the file's end.
        assert 238 <= len(chart) <= 241
        assert chart[0][0] <= generated.start_ts < chart[0][0] + 9 * 3600
        assert chart[-1][0] <= end < chart[-1][0] + 9 * 3600


async def test_cost_trends_show_each_months_spend_as_sql_over_the_rollups(history):
    app, end = review_app(history)
    cursor = END_TS - 86400  # 2026-11-24 10:00, on the hour: the trends end at the cursor
    expected = dict(history.cursor().execute(
        """SELECT strftime(timezone('UTC', hour), '%Y-%m'), sum(usd) FROM cost_hourly
           WHERE source = $source AND hour < make_timestamptz($until) GROUP BY 1""",
        {"source": SOURCE, "until": round(cursor * 1e6)},
    ).fetchall())
    assert sorted(expected) == ["2026-08", "2026-09", "2026-10", "2026-11"]
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await go_to(pilot, minute(cursor))
        await press(pilot, "T")
        assert isinstance(app.screen, CostTrendsScreen)
        months = app.screen.query_one("#trends-months", DataTable)
        shown = {key.value: months.get_row(key) for key in months.rows}
        assert sorted(shown) == sorted(expected)
        for month, usd in expected.items():
            assert shown[month][2].plain.rstrip(" !") == fmt.usd(usd), month
            assert shown[month][1].plain == "$15,000"  # the budget the gateway reports (none in the config)
            # The figure over budget is marked, so a note cut at 80 columns loses nothing: the spend of a
            # month that is over, the 24 h projection of the month in progress.
            over = shown[month][5].plain.endswith("OVER budget")
            flagged = [column for column, cell in enumerate(shown[month]) if cell.plain.endswith(" !")]
            assert flagged == ([2] if over and month < "2026-11" else [3] if over else []), (month, flagged)
        assert any(row[5].plain.endswith("OVER budget") for row in shown.values())
        spend = app.screen.query_one("#trends-spend", DataTable)
        assert spend.row_count == 4  # per month is the first view
        chart = str(app.screen.query_one("#trends-chart").render()).splitlines()
        # the value axis at round steps, the budget's line (├ where it meets the axis) on a labelled row
        labels = {line.split("├" if "├" in line else "┤")[0].strip(): "├" in line for line in chart if "┤" in line or "├" in line}
        assert labels.get("15,000") is True and all(float(label.replace(",", "")) % 500 == 0 for label in labels), labels
        await press(pilot, "d")
        # Days 2026-08-27 (the history starts at 10:00) to 2026-11-24 (the cursor): 5 + 30 + 31 + 24 = 90.
        assert spend.row_count == 90
        await press(pilot, "b")
        assert [str(c.label) for c in spend.columns.values()][:2] == ["day", "total"]
        assert {str(c.label) for c in spend.columns.values()} >= {"tier_1", "tier_2"}
        await press(pilot, "escape")
        assert not isinstance(app.screen, CostTrendsScreen)


async def test_cost_trends_open_per_day_or_week_when_the_history_holds_too_few_months_to_compare(history, generated):
    app, end = review_app(history)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        for days, period, periods in ((10, "day", 11), (30, "week", 5)):  # 10 days from 10:00 touch 11 dates
            await go_to(pilot, minute(generated.start_ts + days * 86400))
            await press(pilot, "T")
            await wait_for(lambda: app.screen.months_ready, pilot)
            spend = app.screen.query_one("#trends-spend", DataTable)
            assert f" · per {period} by model · " in str(app.screen.query_one("#trends-title").render())
            assert str(next(iter(spend.columns.values())).label) == period and spend.row_count == periods
            await press(pilot, "m")  # the user's choice from then on
            assert " · per month by model · " in str(app.screen.query_one("#trends-title").render())
            assert spend.row_count == 2  # August and September
            # Two bars, each as wide as one of eight would be (they filled the chart's width between them).
            chart = app.screen.query_one("#trends-chart")
            bars = [run for line in str(chart.render()).splitlines() for run in re.findall("█+", line)]
            assert bars and max(map(len, bars)) <= chart.size.width // 8, bars
            await press(pilot, "escape")


async def test_at_80x24_the_trends_legend_is_a_line_of_its_own_and_the_budgets_line_runs_clear(history):
    app, end = review_app(history)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "T")
        await wait_for(lambda: app.screen.months_ready, pilot)
        legend = app.screen.query_one("#trends-legend", Static).content
        names = ["gpt-4o", "claude-3-5-haiku", "llama-3-8b-local"]
        assert legend.plain == "  ".join(f"██ {name}" for name in names)
        swatches = {span.style.color.triplet for span in legend.spans}
        assert len(swatches) == len(names)  # each model its own colour
        chart = str(app.screen.query_one("#trends-chart").render()).splitlines()
        assert not any(name in line for line in chart for name in names)  # no legend over the plot
        [budget] = [line for line in chart if "├" in line]
        assert budget.split("├")[0].strip() == "15,000"
        assert set(budget.split("├")[1].rstrip().rstrip("┤")) <= {"─", "█"}, chart  # a name over it no more


async def test_export_from_the_palette_writes_a_file_that_opens(history):
    app, end = review_app(history)
    before = set(Path(history.path).parent.glob("export-*.duckdb"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "ctrl+p", *"export")
        options = app.screen.query_one("CommandList")
        assert str(options.get_option_at_index(0).prompt).startswith("Export snapshot")
        # The palette's words for the span are those of every message about this export.
        assert BESIDE_SPAN in next(a.description for a in actions.ACTIONS if a.action == "export_snapshot")
        await press(pilot, "enter")
        await settle(pilot)
        [written] = set(Path(history.path).parent.glob("export-*.duckdb")) - before
        assert [n.message for n in app._notifications] == [f"exported the last 7 days to {written}"]
    week_ago_us = round((end - 7 * 86400) * 1e6)
    with History.open(written, read_only=True) as snapshot:
        assert snapshot.time_range()[1] == end
        count = "SELECT count(*) FROM samples WHERE ts >= make_timestamptz($lo)"
        # 7 days of 300 s steps (2016, plus the one exactly a week back) x 77 series, in both files.
        assert snapshot.cursor().execute(count, {"lo": week_ago_us}).fetchone()[0] == 2017 * 77
        assert history.cursor().execute(count, {"lo": week_ago_us}).fetchone()[0] == 2017 * 77


# -- the live app --------------------------------------------------------------------------------------

LIVE_REQUESTS = SeriesKey("gw", "signal:requests_per_s")


class SteadySource:
    """A gateway stand-in that reports 42 req/s at every poll, ten times a second."""

    name, interval_s, timeout_s = "gw", 0.1, 1.0

    async def poll(self) -> Batch:
        now = time.time()
        return Batch("gw", now, [Sample(LIVE_REQUESTS, now, 42.0)])


async def test_the_live_app_scrubs_back_while_polling_goes_on(tmp_path):
    now = time.time()
    history = History.open(tmp_path / "live.duckdb")
    # The two hours before: 7 req/s, one sample a minute.
    history.write_cycle([Batch("gw", now, [Sample(LIVE_REQUESTS, now - 7200 + 60 * k, 7.0) for k in range(120)])])
    poller = Poller([SteadySource()], lambda batches: asyncio.to_thread(history.write_cycle, batches))
    app = cockpit_app(Cockpit(history, poller=poller))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(lambda: poller.cycles >= 2 and requests_tile(app) == "42.0 req/s", pilot)
        await press(pilot, "left_square_bracket")  # 600 s back: the stored 7 req/s
        assert status(app).startswith("REVIEW @") and requests_tile(app) == "7.00 req/s"
        cycles = poller.cycles
        await wait_for(lambda: poller.cycles >= cycles + 3, pilot)  # polling went on meanwhile
        app._tick()  # what the 1 s timer does: a moment in the past is not fetched again
        await settle(pilot)
        assert not poller.paused and "PAUSED" not in status(app)
        assert status(app).startswith("REVIEW @") and requests_tile(app) == "7.00 req/s"
        await press(pilot, "0")
        assert requests_tile(app) == "42.0 req/s" and "REVIEW" not in status(app)
    history.close()

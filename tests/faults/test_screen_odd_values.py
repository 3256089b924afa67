"""NaN, +Inf and 1e308 from Prometheus on the real screen: a history file holding them, opened by the
real Cockpit and CockpitApp. A ratio of nothing reads "no traffic", another NaN "no data", +Inf "∞"
and 1e308 "1e308", each on one line of its tile; charts leave off what they cannot draw and say how
many points; the cost and breakers panes read the same way, and the app runs on with no error line."""

from __future__ import annotations

import math
import re

import pytest
from textual.widgets import DataTable, Static

from aiops_tui.cockpit import Cockpit
from aiops_tui.model import Batch, Sample
from aiops_tui.signals.golden import CHART_SIGNALS, Targets
from aiops_tui.store.history import History
from aiops_tui.ui.widgets.budget_bar import BudgetBar
from aiops_tui.ui.widgets.chart import PLOTTABLE_MAX, TimeChart
from aiops_tui.ui.widgets.tile import Tile
from history_builders import key
from ui.pilot_helpers import cockpit_app, press, screen_lines, settle

NOW = 1_795_600_800.0  # 2026-11-25 10:00 UTC, frozen
NAN, INF, HUGE = math.nan, math.inf, 1e308
STEP_S = 60.0
CYCLES = 60  # an hour of cycles up to NOW
ODD_CYCLES = 10  # the last ten minutes hold the odd values; before them every signal reads 1


def signal(name: str, **labels: str):
    return key(f"signal:{name}", "prometheus", **labels)


ODD = {
    signal("requests_per_s"): HUGE,
    signal("requests_per_s", model="gpt-4o"): 0.0,
    signal("requests_per_s", model="llama"): NAN,
    signal("requests_per_s", model="claude"): INF,
    signal("error_ratio"): NAN,
    signal("error_ratio", model="gpt-4o"): NAN,  # no traffic: 0 requests
    signal("error_ratio", model="claude"): HUGE,
    signal("latency_p50_s"): HUGE,
    signal("latency_p95_s"): INF,
    signal("latency_p95_s", model="claude"): INF,
    signal("latency_p99_s"): NAN,
    signal("in_flight"): NAN,
    signal("queue_depth"): INF,
    signal("cache_hit_ratio"): HUGE,
    signal("fallback_ratio"): INF,
    signal("tokens_per_s"): HUGE,
    signal("tokens_per_s", model="llama"): NAN,
    signal("spend_usd_per_h"): HUGE,
    signal("spend_usd_per_h", model="claude"): INF,
    signal("spend_usd_per_h", model="llama"): NAN,
    signal("saved_usd_per_h"): INF,
    signal("breaker_state", upstream="openai/gpt-4o"): NAN,
    signal("breaker_state", upstream="anthropic/claude"): INF,
    signal("breaker_state", upstream="local/llama"): HUGE,
    signal("breaker_failure_rate", upstream="openai/gpt-4o"): NAN,
    signal("breaker_failure_rate", upstream="anthropic/claude"): INF,
    signal("breaker_failure_rate", upstream="local/llama"): HUGE,
    signal("breaker_since_ts", upstream="openai/gpt-4o"): NAN,
    signal("breaker_since_ts", upstream="anthropic/claude"): INF,
    signal("breaker_since_ts", upstream="local/llama"): HUGE,
    signal("breaker_not_permitted_total", upstream="anthropic/claude"): INF,
    signal("breaker_not_permitted_total", upstream="local/llama"): HUGE,
}
CLAUDE_SPEND, LLAMA_SPEND = signal("cost_usd_total", model="claude"), signal("cost_usd_total", model="llama")

# What an engineer reads. Tiles: the value line.
TILES = {
    "latency_p50_s": "1e308 s",
    "latency_p95_s": "∞ s",
    "latency_p99_s": "no traffic",  # a quantile of nothing
    "requests_per_s": "1e308 req/s",
    "error_ratio": "no traffic",  # a ratio of nothing
    "in_flight": "no data",
    "queue_depth": "∞",
    "cache_hit_ratio": "1e310 %",  # 1e308 as a percentage, worked out without overflowing to ∞
    "fallback_ratio": "∞ %",
    "tokens_per_s": "1e308 tok/s",
}
MODEL_ROWS = [  # a value past its target ends in " !", the others in as many spaces (the column stays aligned)
    ["claude", "∞ req/s  ", "1e310 % !", "∞ s !", "no data  "],
    ["gpt-4o", "0.00 req/s  ", "no traffic  ", "no data  ", "no data  "],
    ["llama", "no data  ", "no data  ", "no data  ", "no data  "],
]
# claude's spend counter jumped to 1e308; llama's jumped, restarted and jumped again: 2e308 is ∞.
SPEND_ROWS = [["claude", "$∞/h", "$1e308"], ["llama", "—", "$∞"]]
BREAKER_ROWS = [  # by column: below 118 columns the table shows fewer
    {"state": "? UNKNOWN", "upstream": "anthropic/claude", "failures": "∞ %", "since · for": "—", "for": "—",
     "not permitted": "∞", "tier": "—", "fallback": "—", "opens": "0"},
    {"state": "? UNKNOWN", "upstream": "local/llama", "failures": "1e310 %", "since · for": "—", "for": "—",
     "not permitted": "1e308", "tier": "—", "fallback": "—", "opens": "0"},
    {"state": "? UNKNOWN", "upstream": "openai/gpt-4o", "failures": "—", "since · for": "—", "for": "—",
     "not permitted": "—", "tier": "—", "fallback": "—", "opens": "0"},
]


@pytest.fixture(scope="module")
def odd_history(tmp_path_factory):
    """An hour of Prometheus answers in a real history file: ordinary values, then ten minutes of odd ones."""
    path = tmp_path_factory.mktemp("odd") / "history.duckdb"
    with History.open(path) as history:
        for cycle in range(CYCLES):
            ts = NOW - (CYCLES - 1 - cycle) * STEP_S
            odd = cycle >= CYCLES - ODD_CYCLES
            samples = [Sample(series, ts, value if odd else 1.0) for series, value in ODD.items()]
            spent_usd = HUGE if odd else float(cycle)
            samples.append(Sample(CLAUDE_SPEND, ts, spent_usd))
            samples.append(Sample(LLAMA_SPEND, ts, 0.0 if cycle == CYCLES - ODD_CYCLES + 1 else spent_usd))
            history.write_cycle([Batch("prometheus", ts, samples)])
    return path


def rows(table: DataTable) -> list[list[str]]:
    return [[str(cell) for cell in table.get_row_at(index)] for index in range(table.row_count)]


def assert_reads_cleanly(app) -> str:
    """No Python spelling of a float, no number too long to read, no error line; the app still runs."""
    text = "\n".join(screen_lines(app))
    assert not re.search(r"\b(inf|nan|infinity)\b", text, re.IGNORECASE), text
    assert not re.search(r"\d{16,}", text), text
    status = str(app.status_bar.render())
    assert "⚠" not in status, status
    assert app.is_running
    return text


@pytest.mark.parametrize("size", [(120, 40), (80, 24)], ids=["120x40", "80x24"])
async def test_nan_inf_and_huge_values_read_cleanly_on_every_pane(odd_history, size, monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))  # no personal theme in the way
    history = History.open(odd_history, read_only=True)
    cockpit = Cockpit(history, environment="prod", targets=Targets(latency_p95_s=4.0), monthly_budget_usd=15_000.0,
                      clock=lambda: NOW)
    app = cockpit_app(cockpit)
    try:
        async with app.run_test(size=size) as pilot:
            await settle(pilot)

            # Golden signals: each tile's value, on the first line inside its border.
            lines = screen_lines(app)
            for name, shown in TILES.items():
                tile = app.query_one(f"#tile-{name}", Tile)
                assert tile.value_text == shown, name
                region = tile.content_region
                assert lines[region.y][region.x:region.right].rstrip() == shown, name
            assert rows(app.query_one("#models", DataTable)) == MODEL_ROWS
            charts = list(app.query(TimeChart))
            assert len(charts) == len(CHART_SIGNALS)
            if size[1] >= 30:  # 80x24 hides them, and says so
                titles = {chart.id: str(chart.render()).splitlines()[0].strip() for chart in charts}  # as drawn
                # 1e308 requests and tokens: left off and counted; +Inf and NaN are not in the series at all.
                # Errors at 100 %: the 1 % target has no row of its own on an axis to 100, so it is named only.
                assert titles == {
                    "chart-latency_p95_s": "p95 latency, s · 1h to 10:00",
                    "chart-requests_per_s": f"requests/s · 1h to 10:00 · {ODD_CYCLES} off scale",
                    "chart-error_ratio": "errors, % · 1h to 10:00 · target ≤1.0 %",
                    "chart-tokens_per_s": f"tokens/s · 1h to 10:00 · {ODD_CYCLES} off scale",
                }
                assert all(abs(value) <= PLOTTABLE_MAX for chart in charts for _, value in chart.plotted.points)
                assert all(len(chart.plotted.points) == CYCLES - ODD_CYCLES for chart in charts)
            else:  # 80x24: a sparkline row each instead, from 0 to the finite peak
                sparks = [line.rstrip() for line in lines if line[:12].strip() in ("p95 latency", "requests", "errors", "tokens")]
                # The last ten minutes (8 of 50 cells): +Inf and NaN are a gap, blank but for the cell that may
                # hold the last point before it; 1e308 dwarfs the 1 before it (the lowest bar).
                patterns = [r"p95 latency  █+ {8,9}max 1\.00 s", r"requests     ▁+█{8} max 1e308 req/s",
                            r"errors       █+ {8,9}max 100\.00 %", r"tokens       ▁+█{8} max 1e308 tok/s"]
                assert len(sparks) == 4 and all(re.fullmatch(p, line) for p, line in zip(patterns, sparks)), sparks
            assert_reads_cleanly(app)

            # Cost: the spend rate, month to date and projections; the budget bar says OVER; burn pages.
            await press(pilot, "2")
            figures = str(app.query_one("#cost-figures", Static).render())
            assert "spend rate     $1e308/h" in figures
            assert "month to date  $∞" in figures
            assert "projected      $∞ at the rate so far (59m of history)" in figures  # the history is 59 minutes long
            assert "cache savings  $∞/h" in figures
            bar = str(app.query_one(BudgetBar).render())
            assert "$∞ of $15,000 (∞ %) · ┃ even pace" in bar and bar.endswith("· OVER budget")
            # The windows average 1e308 per hour: the sum overflows, so they read ∞, and page.
            for window, held in (("5m", ""), ("1h", ""), ("6h", "  over 59m")):
                burn = str(app.query_one(f"#burn-{window}", Static).render())
                assert re.fullmatch(rf"{window}\s+\$∞/h\s+∞×\s+≥[\d.]+×\s+PAGE{held}", burn), burn
            assert rows(app.query_one("#by-model", DataTable)) == SPEND_ROWS
            text = assert_reads_cleanly(app)
            assert "$1e308/h" in text

            # Breakers: a state that is no state reads UNKNOWN; a "since" no calendar holds reads "—".
            await press(pilot, "3")
            table = app.query_one("#breakers-table", DataTable)
            columns = [str(column.label) for column in table.columns.values()]
            assert rows(table) == [[cells[column] for column in columns] for cells in BREAKER_ROWS]
            # The review ends at 10:00; at 80 columns the title takes its short form.
            title = "error ratio over the 1h to 10:00 · peak" if size[0] >= 100 else "errors 1h: peak"
            assert f"anthropic/claude · {title}" in assert_reads_cleanly(app)

            # Still answering keys: back on the golden pane, another chart window.
            await press(pilot, "1", "w")
            assert "window 6h" in str(app.status_bar.render())
            assert app.query_one("#tile-requests_per_s", Tile).value_text == "1e308 req/s"
            assert_reads_cleanly(app)
    finally:
        history.close()

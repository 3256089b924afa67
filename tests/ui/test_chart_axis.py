"""The charts' axes: time in a unit that reads at every window, values at round steps, each tick on a row."""

from __future__ import annotations

import math

import pytest
from textual.app import App

from aiops_tui.signals.golden import CHART_WINDOWS_S
from aiops_tui.ui.widgets.chart import TimeChart, x_ticks, x_unit, y_axis, y_range


@pytest.mark.parametrize("window, labels", [
    ("15m", ["-15m", "-10m", "-5m", "now"]),
    ("1h", ["-60m", "-45m", "-30m", "-15m", "now"]),
    ("6h", ["-6h", "-4h", "-2h", "now"]),
    ("24h", ["-24h", "-18h", "-12h", "-6h", "now"]),
    ("7d", ["-6d", "-4d", "-2d", "now"]),
    ("30d", ["-30d", "-20d", "-10d", "now"]),
    ("90d", ["-90d", "-60d", "-30d", "now"]),
])
def test_every_window_has_round_ticks_in_a_readable_unit(window, labels):
    unit_s, suffix = x_unit(CHART_WINDOWS_S[window])
    ticks = x_ticks(CHART_WINDOWS_S[window] / unit_s)
    assert [f"{t:g}{suffix}" if t else "now" for t in ticks] == labels


RANGES = [(2386.9, 3962.6), (10.57, 13.58), (0.0, 0.306), (0.0, 1.0), (-5.0, 5.0), (1945.7, 3139.9), (0.0, 1.1e12)]


@pytest.mark.parametrize("low, high", RANGES)
def test_value_ticks_are_round_evenly_spaced_and_each_on_a_row_of_its_own(low, high):
    for rows in range(3, 40):
        bottom, top, ticks, _ = y_axis(low, high, rows)
        assert bottom <= low and top >= high and bottom == ticks[0]
        assert 2 <= len(ticks) <= 8
        step = ticks[1] - ticks[0]
        mantissa = step / 10 ** math.floor(math.log10(step))
        assert any(math.isclose(mantissa, m) for m in (1.0, 2.0, 2.5, 5.0)), (rows, step)
        assert all(math.isclose(b - a, step) for a, b in zip(ticks, ticks[1:]))
        positions = [(tick - bottom) / (top - bottom) * (rows - 1) for tick in ticks]
        assert all(math.isclose(p, round(p), abs_tol=1e-9) for p in positions), (rows, positions)
        assert len({round(p) for p in positions}) == len(ticks)
        assert (high - low) / (top - bottom) >= 0.4  # the line keeps 40 % of the chart or more


def test_a_chart_too_short_for_three_rows_keeps_plotexts_axis():
    assert y_axis(0.0, 1.0, 2) is None


class ChartApp(App[None]):
    def __init__(self, height: int, values: list[float]) -> None:
        super().__init__()
        self.chart_height, self.values = height, values

    def compose(self):
        chart = TimeChart(id="chart")
        chart.styles.height = self.chart_height
        yield chart

    def on_mount(self) -> None:
        at = 1_796_000_000.0
        points = [(at - 3600 + 60 * i, v) for i, v in enumerate(self.values)]
        self.query_one(TimeChart).plot_series("p95 latency, ms · last 1h", points, at=at, window_s=3600.0)


@pytest.mark.parametrize("height", [9, 12, 15, 24])
async def test_the_drawn_value_axis_reads_round_steps_one_label_per_row(height):
    values = [2500.0 + 1400.0 * ((i * 7) % 61) / 60 for i in range(61)]  # 2,500 to 3,900 ms
    app = ChartApp(height, values)
    async with app.run_test(size=(70, 30)) as pilot:
        await pilot.pause()
        lines = str(app.query_one(TimeChart).render()).splitlines()
    assert len(lines) == height
    labelled = [(row, float(line.split("┤")[0].replace(",", ""))) for row, line in enumerate(lines) if "┤" in line]
    bottom, top, ticks, _ = y_axis(*y_range(values), height - 4)
    assert [value for _, value in labelled] == ticks[::-1]  # every tick drawn, top first
    gaps = {b[0] - a[0] for a, b in zip(labelled, labelled[1:])}
    assert len(gaps) == 1  # labels evenly spaced in rows, as in value
    assert labelled[-1][1] <= min(values) and labelled[0][1] >= max(values)  # the labels span the line

"""The charts' axes: time in a unit that reads at every window, values at round steps, each tick on a row."""

from __future__ import annotations

import math

import pytest
from textual.app import App

from aiops_tui.signals.golden import CHART_WINDOWS_S
from aiops_tui.ui.widgets.chart import TimeChart, limit_shown, x_ticks, x_unit, y_axis, y_range
from aiops_tui.ui.widgets.spend_chart import SpendChart


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


@pytest.mark.parametrize("low, high, rows, ticks", [
    (0.0, 15750.0, 11, [0.0, 5000.0, 10000.0, 15000.0]),  # a label every 3 rows, the top row unlabelled: to 16,667
    (0.0, 15750.0, 8, [0.0, 2500.0, 5000.0, 7500.0, 10000.0, 12500.0, 15000.0, 17500.0]),
    (2.0, 4.6, 5, [2.0, 3.0, 4.0, 5.0, 6.0]),
])
def test_of_the_label_spacings_the_axis_takes_the_one_that_wastes_least(low, high, rows, ticks):
    bottom, top, drawn, _ = y_axis(low, high, rows)
    assert drawn == ticks
    steps = [m * 10 ** e for m in (1.0, 2.0, 2.5, 5.0) for e in range(-1, 5)]
    tops = [bottom + step * (rows - 1) / every for every in (1, 2, 3, 4, 5) for step in steps
            if 3 <= (rows - 1) // every + 1 <= 8 and bottom + step * (rows - 1) / every >= high]
    assert math.isclose(top, min(tops))  # from this bottom, no round step at any spacing of 3-8 labels ends lower


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


@pytest.mark.parametrize("low, high, limit", [(2.1, 4.6, 4.0), (0.12, 0.21, 0.15), (0.0, 1.3, 1.0), (6.0, 11.0, 4.0),
                                              (250.0, 900.0, 500.0)])
def test_a_limit_inside_the_range_is_labelled_on_a_row_of_its_own_or_left_off_the_axis(low, high, limit):
    on_a_row = []
    for rows in range(3, 40):
        low_, high_ = min(low, limit), max(high, limit)
        bottom, top, ticks, decimals = y_axis(low_, high_, rows, on_tick=limit)
        if not any(math.isclose(tick, limit) for tick in ticks):
            assert (bottom, top, ticks, decimals) == y_axis(low_, high_, rows)  # the round axis, the limit not drawn
            continue
        on_a_row.append(rows)
        assert bottom <= low_ and top >= high_
        row = (limit - bottom) / (top - bottom) * (rows - 1)
        assert math.isclose(row, round(row), abs_tol=1e-9), rows
        labels = {f"{tick:.{decimals}f}" for tick in ticks}
        assert f"{limit:.{decimals}f}" in labels and len(labels) == len(ticks)  # its label reads its value, each label its own
        # the round ticks evenly spaced, the limit among them or added
        assert evenly_spaced(ticks) or evenly_spaced([t for t in ticks if not math.isclose(t, limit)]), (rows, ticks)
    assert set(range(5, 10)) <= set(on_a_row)  # the heights of the golden pane's charts at 40 to 50 terminal rows


def evenly_spaced(ticks: list[float]) -> bool:
    return len(ticks) >= 2 and all(math.isclose(b - a, ticks[1] - ticks[0]) for a, b in zip(ticks, ticks[1:]))


def test_a_limit_no_round_step_reaches_leaves_the_round_ticks():
    assert y_axis(0.0, 1.0, 9, on_tick=0.137) == y_axis(0.0, 1.0, 9)


def test_a_limit_is_drawn_once_the_line_reaches_half_of_it():
    assert limit_shown([1.0, 2.0], 4.0) and limit_shown([5.0], 4.0)
    assert not limit_shown([1.0, 1.99], 4.0) and not limit_shown([0.0], 1.0) and not limit_shown([], 1.0)


class LimitApp(App[None]):
    def __init__(self, values: list[float], limit: tuple[float, str]) -> None:
        super().__init__()
        self.values, self.limit = values, limit

    def compose(self):
        yield TimeChart(id="chart")

    def on_mount(self) -> None:
        at = 1_796_000_000.0
        points = [(at - 3600 + 60 * i, v) for i, v in enumerate(self.values)]
        self.query_one(TimeChart).plot_series("p95 latency, s · last 1h", points, at=at, window_s=3600.0, limit=self.limit)


async def chart_lines(app: App, size=(70, 12)) -> list[str]:
    """The lines of the app's one chart, as drawn at `size`."""
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        return str(app.query_one("#chart, #spend, #bars").render()).splitlines()


async def test_a_near_limit_is_dashed_across_on_its_own_labelled_row_and_named_in_the_title():
    values = [2.1 + 2.3 * ((i * 7) % 61) / 60 for i in range(61)]  # 2.1 to 4.4 s, past a 4 s target at times
    lines = await chart_lines(LimitApp(values, (4.0, "≤4.00 s")))
    assert lines[0].strip() == "p95 latency, s · last 1h · ┈ ≤4.00 s"
    dashed = [line for line in lines if line.count("┈") > 30]
    assert len(dashed) == 1 and float(dashed[0].split("┤")[0]) == 4.0
    assert "┈" not in "".join(line for line in lines if line is not dashed[0])[len(lines[0]):]


async def test_a_far_limit_is_neither_drawn_nor_named():
    lines = await chart_lines(LimitApp([0.2 + 0.01 * (i % 7) for i in range(61)], (4.0, "≤4.00 s")))
    assert lines[0].strip() == "p95 latency, s · last 1h"
    assert not any("┈" in line for line in lines)
    top_label = next(float(line.split("┤")[0]) for line in lines if "┤" in line)
    assert top_label < 1.0  # the axis fits the line, not the target


async def test_a_limit_the_axis_has_no_row_for_is_named_in_the_title_not_drawn_on_another_row():
    values = [6.0 + 5.0 * ((i * 7) % 61) / 60 for i in range(61)]  # 6 to 11 s, all past a 4.1 s target
    assert y_axis(*y_range([*values, 4.1]), 10, on_tick=4.1) == y_axis(*y_range([*values, 4.1]), 10)  # no row for 4.1
    lines = await chart_lines(LimitApp(values, (4.1, "≤4.10 s")), size=(70, 14))
    assert lines[0].strip() == "p95 latency, s · last 1h · target ≤4.10 s"
    assert not any("┈" in line for line in lines)
    assert float(lines[-3].split("┤")[0]) <= 4.1  # the axis still reaches down to the target


class SpendApp(App[None]):
    def compose(self):
        yield SpendChart(id="spend")

    def on_mount(self) -> None:
        start = 1_790_812_800.0  # 2026-10-01 00:00 UTC
        days = [start + 86400 * d for d in range(31)]
        daily = [(ts, 150.0 + 10 * (i % 5)) for i, ts in enumerate(days[:20])]
        budget = [(ts, 7000.0 * (i + 1) / 31) for i, ts in enumerate(days)]
        self.query_one(SpendChart).plot_month(daily, budget, at=days[19] + 3600)


async def test_the_spend_chart_reads_round_thousands_and_labels_the_months_budget():
    lines = await chart_lines(SpendApp(), size=(60, 16))
    labels = [line.split("┤")[0].strip() for line in lines if "┤" in line]
    assert "7,000" in labels  # the month's budget, on a row of its own
    values = [float(label.replace(",", "")) for label in labels]
    assert values == sorted(values, reverse=True) and values[-1] == 0.0
    assert all(value % 1000 == 0 for value in values)


class GapApp(App[None]):
    def __init__(self, points: list[tuple[float, float]], at: float) -> None:
        super().__init__()
        self.points, self.at = points, at

    def compose(self):
        yield TimeChart(id="chart")

    def on_mount(self) -> None:
        self.query_one(TimeChart).plot_series("requests/s · last 1h", self.points, at=self.at, window_s=3600.0)


def columns_drawn(lines: list[str]) -> list[bool]:
    """For each column inside the chart's frame, whether the line has a dot in it."""
    rows = [line[len(line) - len(line.lstrip(" 0123456789.,")) + 1:line.rfind("│")]  # past the label and ┤ or │
            for line in lines if line.rstrip().endswith("│")]
    width = min(map(len, rows))
    assert width > 40, rows
    return [any("\u2801" <= row[col] <= "\u28ff" for row in rows) for col in range(width)]


async def test_a_stretch_with_no_samples_breaks_the_line_instead_of_joining_across_it():
    at = 1_796_000_000.0
    steady = [(at - 3600 + 60 * i, 10.0 + (i % 3)) for i in range(61)]  # a sample a minute, the whole hour
    gap = [(ts, v) for ts, v in steady if not at - 2400 < ts < at - 1200]  # none from -40m to -20m
    drawn = {}
    for name, points in (("steady", steady), ("gap", gap)):
        app = GapApp(points, at)
        async with app.run_test(size=(62, 14)) as pilot:
            await pilot.pause()
            drawn[name] = columns_drawn(str(app.query_one(TimeChart).render()).splitlines())
    assert all(drawn["steady"])
    width = len(drawn["gap"])
    third = width // 3
    # The middle third (less a column either side for where the gap's edges fall) has no dot; the rest do.
    assert not any(drawn["gap"][third + 1:2 * third - 1])
    assert all(drawn["gap"][:third - 1]) and all(drawn["gap"][2 * third + 1:])

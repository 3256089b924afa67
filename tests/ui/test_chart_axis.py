"""The charts' axes: a time unit that reads at every window, and round ticks on both axes."""

from __future__ import annotations

import pytest

from aiops_tui.signals.golden import CHART_WINDOWS_S
from aiops_tui.ui.widgets.chart import x_ticks, x_unit, y_range, y_ticks


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


@pytest.mark.parametrize("values, labels", [
    ([2_254.0, 3_706.0], ["2,500", "3,000", "3,500"]),  # p95 latency in ms, as the demo shows it
    ([10.9, 13.3], ["11", "12", "13"]),  # requests/s
    ([0.0, 0.166], ["0.00", "0.05", "0.10", "0.15"]),  # errors, %
    ([0.0, 0.0], ["0.0", "0.5", "1.0"]),  # flat zero: the 0..1 axis
    ([100.0, 110.0], ["100", "105", "110"]),
    ([-4.0, 4.0], ["-4", "-2", "0", "2", "4"]),
])
def test_the_value_axis_has_round_ticks_inside_the_plotted_range(values, labels):
    low, high = y_range(values)
    ticks, shown = y_ticks(low, high)
    assert shown == labels
    assert all(low <= t <= high for t in ticks)

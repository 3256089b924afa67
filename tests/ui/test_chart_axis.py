"""The charts' time axis: a unit that reads at every window, ticks at round steps."""

from __future__ import annotations

import pytest

from aiops_tui.signals.golden import CHART_WINDOWS_S
from aiops_tui.ui.widgets.chart import x_ticks, x_unit


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

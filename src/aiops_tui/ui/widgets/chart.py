"""A line chart of one series over the chart window, x in minutes (or hours) before the view's time."""

from __future__ import annotations

import math
from collections.abc import Sequence

from textual_plotext import PlotextPlot


def y_range(values: Sequence[float]) -> tuple[float, float]:
    """Fit the data with a margin so its shape shows; start at 0 when the low end is near 0 anyway."""
    low, high = min(values), max(values)
    margin = (high - low) * 0.1 or abs(high) * 0.1 or 1.0
    low = 0.0 if 0 <= low <= (high - low) * 0.5 else low - margin
    return low, high + margin


class TimeChart(PlotextPlot):
    DEFAULT_CSS = """
    TimeChart {
        min-height: 6;
        min-width: 20;
    }
    """

    def plot_series(
        self, title: str, points: Sequence[tuple[float, float]], *, at: float, window_s: float, scale: float = 1.0
    ) -> None:
        """Plot (ts, value) points in [at - window_s, at]; values multiplied by `scale` (e.g. 1000 for ms)."""
        in_hours = window_s > 3 * 3600
        unit_s = 3600.0 if in_hours else 60.0
        shown = [(ts, value) for ts, value in points if at - window_s <= ts <= at and math.isfinite(value)]
        xs = [(ts - at) / unit_s for ts, _ in shown]
        ys = [value * scale for _, value in shown]
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        plt.title(title if xs else f"{title}: no data")
        span = window_s / unit_s
        ticks = [-span * i / 4 for i in range(4, -1, -1)]
        suffix = "h" if in_hours else "m"
        plt.xticks(ticks, [f"{t:g}{suffix}" if t else "now" for t in ticks])
        plt.xlim(-span, 0)
        if xs:
            plt.plot(xs, ys, marker="braille")
            plt.ylim(*y_range(ys))
        else:
            plt.ylim(0, 1)
        self.refresh()

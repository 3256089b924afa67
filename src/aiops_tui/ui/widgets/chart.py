"""A line chart of one series over the chart window, x in minutes (or hours) before the view's time.

The chart replots when what it shows changes: new data, another window or title. Like a Grafana panel,
whose range moves on each refresh rather than each second, the x axis follows the view's time only then,
or once the axis would move by a whole column; points the window merely slid past wait for either.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from textual_plotext import PlotextPlot


def y_range(values: Sequence[float]) -> tuple[float, float]:
    """Fit the data with a margin so its shape shows; start at 0 when the low end is near 0 anyway."""
    low, high = min(values), max(values)
    margin = (high - low) * 0.1 or abs(high) * 0.1 or 1.0
    low = 0.0 if 0 <= low <= (high - low) * 0.5 else low - margin
    return low, high + margin


def x_unit(window_s: float) -> tuple[float, str]:
    """The x axis's unit: minutes up to 3 h, hours up to 2 days, days beyond (-42h reads, -168h does not)."""
    if window_s <= 3 * 3600:
        return 60.0, "m"
    if window_s <= 2 * 86400:
        return 3600.0, "h"
    return 86400.0, "d"


def x_ticks(span: float) -> list[float]:
    """Four or five ticks from -span to now at a round step: -15m -10m -5m now, not -11.25m."""
    step = next((n for n in NICE_STEPS if n >= span / 4), span / 4)
    count = int(span / step + 1e-9)
    return [-step * i for i in range(count, -1, -1)]


NICE_STEPS = (1, 2, 3, 5, 6, 10, 15, 20, 30, 60)
PLOTTABLE_MAX = 1e12
"""Beyond this (+Inf, 1e308 from a broken source) plotext's axis labels outgrow the chart, and near
1e308 its arithmetic overflows: such points are counted in the title, not drawn."""


@dataclass(frozen=True, slots=True)
class Plotted:
    """What the chart last plotted: its framing, its points and the view's time the axis ends at."""

    framing: tuple[str, float, float]
    """(title, window_s, scale)"""
    points: tuple[tuple[float, float], ...]
    at: float


def needs_replot(last: Plotted | None, new: Plotted, column_s: float) -> bool:
    """Whether `new` would draw differently from `last`: not when it only lost points off the left edge
    while the axis has moved less than a column (`column_s` of the window)."""
    if last is None or last.framing != new.framing or new.at < last.at:
        return True
    if (new.points or last.points) and new.at - last.at >= column_s:  # an empty chart has no axis to move
        return True
    dropped = len(last.points) - len(new.points)
    return dropped < 0 or last.points[dropped:] != new.points


class TimeChart(PlotextPlot):
    DEFAULT_CSS = """
    TimeChart {
        min-height: 6;
        min-width: 20;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.plotted: Plotted | None = None

    def plot_series(
        self, title: str, points: Sequence[tuple[float, float]], *, at: float, window_s: float, scale: float = 1.0
    ) -> None:
        """Plot (ts, value) points in [at - window_s, at]; values multiplied by `scale` (e.g. 1000 for ms)."""
        inside = [(ts, value) for ts, value in points if at - window_s <= ts <= at and not math.isnan(value)]
        shown = tuple((ts, value) for ts, value in inside if abs(value * scale) <= PLOTTABLE_MAX)
        if off_scale := len(inside) - len(shown):
            title = f"{title} · {off_scale} off scale"
        new = Plotted((title, window_s, scale), shown, at)
        if not needs_replot(self.plotted, new, window_s / max(1, self.size.width)):
            return
        self.plotted = new
        unit_s, suffix = x_unit(window_s)
        xs = [(ts - at) / unit_s for ts, _ in shown]
        ys = [value * scale for _, value in shown]
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        plt.title(title if xs else f"{title}: no data")
        span = window_s / unit_s
        ticks = x_ticks(span)
        plt.xticks(ticks, [f"{t:g}{suffix}" if t else "now" for t in ticks])
        plt.xlim(-span, 0)
        if xs:
            plt.plot(xs, ys, marker="braille")
            plt.ylim(*y_range(ys))
        else:
            plt.ylim(0, 1)
        self.refresh()

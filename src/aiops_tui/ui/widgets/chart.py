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


PLOT_ROWS_TAKEN = 4
"""A chart's rows that plotext does not plot on: its title, the frame's top and bottom, the time labels."""
Y_STEP_MANTISSAS = (1.0, 2.0, 2.5, 5.0)
MAX_Y_LABELS = 8


def y_axis(low: float, high: float, rows: int) -> tuple[float, float, list[float], int] | None:
    """A value axis over at least [low, high] for `rows` plot rows: (bottom, top, ticks, decimals), or
    None under three rows (plotext's own axis then).

    The ticks are round (1, 2, 2.5 or 5 times a power of ten), evenly spaced, and each sits exactly
    on a row of its own: the axis is stretched to put them there. (Plotext's own ticks, fifths of
    the range, land between rows; two on one row show one of them, so the labels read 3962.6 3699.9
    3174.7 at uneven steps.)"""
    intervals = rows - 1
    if intervals < 2:
        return None
    # One label a row; on a tall chart, every few rows, at a spacing that divides the rows if one does.
    every = next((d for d in range(1, intervals // 2 + 1) if intervals % d == 0 and intervals // d < MAX_Y_LABELS),
                 math.ceil(intervals / (MAX_Y_LABELS - 1)))
    step = _round_step_at_least((high - low) * every / intervals)
    while True:
        # Ticks start on a multiple of the step, or of half of it (1,500 2,500 3,500): less of the
        # chart is left empty below the line.
        fits = [(bottom, unit) for unit in (step, _half(step))
                if (bottom := math.floor(low / unit) * unit) + step * intervals / every >= high]
        if fits:
            bottom, unit = fits[0]
            break
        step = _round_step_at_least(step * 1.001)  # two or more steps span the axis, so this ends
    ticks = [bottom + step * i for i in range(intervals // every + 1)]
    decimals = max(_decimals(step), _decimals(unit))
    return bottom, bottom + step * intervals / every, ticks, decimals


def _half(step: float) -> float:
    """Half of a 1, 2 or 5 step (0.5, 1, 2.5); a 2.5 step keeps its own multiples (0.30 0.55 0.80 reads badly)."""
    mantissa = step / 10.0 ** math.floor(math.log10(step))
    return step if math.isclose(mantissa, 2.5) else step / 2


def _decimals(value: float) -> int:
    return next((d for d in range(16) if abs(round(value, d) - value) <= value * 1e-9), 15)


def _round_step_at_least(need: float) -> float:
    exponent = math.floor(math.log10(need))
    return min(m * 10.0 ** e for e in (exponent, exponent + 1) for m in Y_STEP_MANTISSAS if m * 10.0 ** e >= need)


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
        self._y_span = (0.0, 1.0)

    def render(self):
        """Plotext draws at the widget's size: the value axis is fitted to the plot rows that leaves.
        Before the first views, an empty area: plotext would take 10-20 ms to draw a chart of nothing."""
        if self.plotted is None:
            return ""
        axis = y_axis(*self._y_span, self.size.height - PLOT_ROWS_TAKEN)
        if axis is not None:
            bottom, top, ticks, decimals = axis
            self.plt.ylim(bottom, top)
            self.plt.yticks(ticks, [f"{tick + 0.0:,.{decimals}f}" for tick in ticks])
        return super().render()

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
        self._y_span = y_range(ys) if ys else (0.0, 1.0)
        plt.ylim(*self._y_span)  # until render fits the axis to the rows
        self.refresh()

"""A line chart of one series over the chart window, x in minutes (or hours) before the view's time,
with the series' limit (a target's upper bound) dashed across it when the line comes near it.

The chart replots when what it shows changes: new data, another window or title. Like a Grafana panel,
whose range moves on each refresh rather than each second, the x axis follows the view's time only then,
or once the axis would move by a whole column; points the window merely slid past wait for either.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

from textual_plotext import PlotextPlot

from aiops_tui.ui.series import break_at_gaps, bridge_for


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


def y_axis(low: float, high: float, rows: int, *, on_tick: float | None = None) -> tuple[float, float, list[float], int] | None:
    """A value axis over at least [low, high] for `rows` plot rows: (bottom, top, ticks, decimals), or
    None under three rows (plotext's own axis then).

    The ticks are round (1, 2, 2.5 or 5 times a power of ten), evenly spaced, and each sits exactly
    on a row of its own: the axis is stretched to put them there. (Plotext's own ticks, fifths of
    the range, land between rows; two on one row show one of them, so the labels read 3962.6 3699.9
    3174.7 at uneven steps.)

    `on_tick`, a value inside [low, high] such as a limit drawn across the chart, is put on a row of
    its own and labelled there, when a step up to ten times coarser allows it: its line then reads
    its own value rather than the next row's."""
    intervals = rows - 1
    if intervals < 2:
        return None
    # A label every `every` rows (at most MAX_Y_LABELS): of the spacings, the one whose round step
    # leaves least of the chart empty above the line; on a tie, the top row labelled, then more labels.
    fits = []
    for every in range(1, max(2, intervals // 2 + 1)):
        if intervals // every >= MAX_Y_LABELS:
            continue
        steps = intervals / every
        step = _round_step_at_least((high - low) * every / intervals)
        placed = None
        if on_tick is not None:
            placed = next(_fits(low, high, steps, step, row_of=(on_tick, every), until=step * 10), None)
        bottom, unit, step = placed or next(_fits(low, high, steps, step))
        fits.append(_Fit(bottom, unit, step, every, bottom + step * intervals / every, placed is not None))
    # The limit on a row of its own if any spacing allows it; then the lowest top, a spacing that divides
    # the rows, and fewer rows a label.
    placed = max(fit.placed for fit in fits)
    best = min((fit for fit in fits if fit.placed == placed), key=lambda f: (f.top, intervals % f.every != 0, f.every))
    ticks = [best.bottom + best.step * i for i in range(intervals // best.every + 1)]
    decimals = max(_decimals(best.step), _decimals(best.unit))
    if placed and not any(math.isclose(tick, on_tick) for tick in ticks):
        ticks = sorted([*ticks, on_tick])
        decimals = max(decimals, _decimals(on_tick))
    return best.bottom, best.top, ticks, decimals


class _Fit(NamedTuple):
    """One label spacing's axis: from `bottom` to `top` in steps of `step`, a label every `every` rows."""

    bottom: float
    unit: float
    step: float
    every: int
    top: float
    placed: bool
    """Whether the limit (`on_tick`) falls on a row of its own."""


def set_y_axis(plt, low: float, high: float, rows: int, *, on_tick: float | None = None):
    """Give a plotext plot `y_axis`'s axis (or [low, high] on plotext's own, under three rows); returns the axis."""
    axis = y_axis(low, high, rows, on_tick=on_tick)
    if axis is None:
        plt.ylim(low, high)
    else:
        bottom, top, ticks, decimals = axis
        plt.ylim(bottom, top)
        plt.yticks(ticks, [f"{tick + 0.0:,.{decimals}f}" for tick in ticks])
    return axis


def _fits(low: float, high: float, steps: float, step: float, *, row_of: tuple[float, int] | None = None,
          until: float = math.inf):
    """(bottom, unit, step) for each step from `step` up to `until` at which `steps` steps span
    [low, high], finest first; with `row_of` (value, rows a step), only those that put the value on a row."""
    while step <= until:
        # Ticks start on a multiple of the step, or of half of it (1,500 2,500 3,500): less of the
        # chart is left empty below the line.
        for unit in (step, _half(step)):
            bottom = math.floor(low / unit) * unit
            if bottom + step * steps >= high and (row_of is None or _is_multiple(row_of[0] - bottom, step / row_of[1])):
                yield bottom, unit, step
                break
        step = _round_step_at_least(step * 1.001)  # two or more steps span the axis, so this ends


def _is_multiple(value: float, step: float) -> bool:
    return math.isclose(value / step, round(value / step), abs_tol=1e-9)


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


def limit_shown(values: Sequence[float], limit: float) -> bool:
    """Whether an upper limit is drawn: once the line reaches half of it (or passes it). Farther off, the
    axis stretched to it would flatten the line's shape at the foot of the chart, and the tile above
    already says the value is on target."""
    return bool(values) and max(values) * LIMIT_SHOWN_FROM >= limit


LIMIT_SHOWN_FROM = 2.0
LIMIT_MARKER = "┈"
"""Dashed, as a threshold line in Grafana, so it is not taken for the data or the frame."""
LIMIT_COLOR = "red"
"""The terminal's own red, the colour of a value past its target."""
NICE_STEPS = (1, 2, 3, 5, 6, 10, 15, 20, 30, 60)
PLOTTABLE_MAX = 1e12
"""Beyond this (+Inf, 1e308 from a broken source) plotext's axis labels outgrow the chart, and near
1e308 its arithmetic overflows: such points are counted in the title, not drawn."""


class RoundAxisPlot(PlotextPlot):
    """A plotext plot whose value axis is fitted, as it is drawn, to its rows at round steps (`y_axis`)."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._y_axis_for: tuple[float, float, float | None] | None = None

    def set_value_span(self, low: float, high: float, *, labelled: float | None = None) -> None:
        """The values the axis spans; `labelled`, such as a budget, gets a row and label of its own if it can."""
        self._y_axis_for = (low, high, labelled)

    def render(self):
        if self._y_axis_for is not None:
            low, high, labelled = self._y_axis_for
            set_y_axis(self.plt, low, high, self.size.height - PLOT_ROWS_TAKEN, on_tick=labelled)
        return super().render()


@dataclass(frozen=True, slots=True)
class Plotted:
    """What the chart last plotted: its framing, its points and the view's time the axis ends at."""

    framing: tuple[str, float, float, tuple[float, str] | None, str]
    """(title, window_s, scale, limit, end_label)"""
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
        self._drawing: _Drawing | None = None

    def render(self):
        """Plotext draws at the widget's size: the value axis is fitted to the plot rows that leaves, and
        a limit is drawn only where that axis gives it a row of its own (on the next row it would read
        that row's value). Before the first views, an empty area: plotext would take 10-20 ms to draw a
        chart of nothing."""
        drawing = self._drawing
        if drawing is None:
            return ""
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        ticks = x_ticks(drawing.span)
        plt.xticks(ticks, [f"{t:g}{drawing.suffix}" if t else drawing.end_label for t in ticks])
        plt.xlim(-drawing.span, 0)
        title, limit = drawing.title, drawing.limit
        axis = set_y_axis(plt, *drawing.y_span, self.size.height - PLOT_ROWS_TAKEN, on_tick=limit and limit[0])
        if limit is not None:
            if axis is not None and any(math.isclose(tick, limit[0]) for tick in axis[2]):
                title = f"{title} · {LIMIT_MARKER} {limit[1]}"
                plt.plot([-drawing.span, 0.0], [limit[0]] * 2, marker=LIMIT_MARKER, color=LIMIT_COLOR)  # under the line
            else:
                title = f"{title} · target {limit[1]}"
        plt.title(title + drawing.title_end)
        if drawing.line_xs:
            plt.plot(drawing.line_xs, drawing.line_ys, marker="braille")
        return super().render()

    def plot_series(
        self, title: str, points: Sequence[tuple[float, float]], *, at: float, window_s: float, scale: float = 1.0,
        limit: tuple[float, str] | None = None, end_label: str = "now",
    ) -> None:
        """Plot (ts, value) points in [at - window_s, at]; values multiplied by `scale` (e.g. 1000 for ms).
        `end_label` names the axis's right end (`fmt.axis_end`).
        `limit` is (value, label), an upper bound in the points' unit: dashed across the chart, and its
        label added to the title, when the line nears it (`limit_shown`)."""
        inside = [(ts, value) for ts, value in points if at - window_s <= ts <= at and not math.isnan(value)]
        shown = tuple((ts, value) for ts, value in inside if abs(value * scale) <= PLOTTABLE_MAX)
        new = Plotted((title, window_s, scale, limit, end_label), shown, at)
        if not needs_replot(self.plotted, new, window_s / max(1, self.size.width)):
            return
        self.plotted = new
        unit_s, suffix = x_unit(window_s)
        ys = [value * scale for _, value in shown]
        scaled = (limit[0] * scale, limit[1]) if limit is not None and limit_shown(ys, limit[0] * scale) else None
        title_end = f" · {off_scale} off scale" if (off_scale := len(inside) - len(shown)) else ""
        if not shown:
            title_end += ": no data"
        spanned = ys if scaled is None else [*ys, scaled[0]]
        line = break_at_gaps(shown, bridge_for(inside))  # off-scale points break it too: they cannot be drawn
        self._drawing = _Drawing(title, title_end, window_s / unit_s, suffix,
                                 [(ts - at) / unit_s for ts, _ in line], [value * scale for _, value in line],
                                 y_range(spanned) if ys else (0.0, 1.0), scaled, end_label)
        self.refresh()


@dataclass(frozen=True, slots=True)
class _Drawing:
    """What `render` draws, in plotted units: x in the axis's unit before its end, y scaled."""

    title: str
    title_end: str
    span: float
    suffix: str
    line_xs: list[float]
    line_ys: list[float]
    """The points as drawn: with a NaN at each gap, which ends the line there (`y_span` fits the points)."""
    y_span: tuple[float, float]
    limit: tuple[float, str] | None
    end_label: str

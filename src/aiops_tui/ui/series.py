"""Series for drawing: resampled onto a fixed number of cells, so a sparkline lines up with a timeline under
it, and broken where they have a gap (GAP_STEPS), so that a stretch with no data does not read as a flat line."""

from __future__ import annotations

import math
from collections.abc import Sequence

BARS = "▁▂▃▄▅▆▇█"
GAP_STEPS = 3.0
"""A series without a point for more than this many of its own steps has a gap there (two polls missed);
a shorter stretch is bridged, so that one late or lost scrape does not break a line."""


def max_per_cell(
    points: Sequence[tuple[float, float]], start: float, end: float, cells: int, *, bridge_s: float = 0.0,
) -> list[float | None]:
    """The largest finite value per cell of [start, end); None for a cell without one. A cell without a point
    of its own holds the cell before it when the points on either side of it are at most `bridge_s` apart
    (past the last point: when the window's end is): sampled more sparsely than the cells, a series shows no
    gap; stopped for longer, it does."""
    if cells <= 0 or end <= start:
        return []
    cell_s = (end - start) / cells
    out: list[float | None] = [None] * cells
    first: list[float] = [math.inf] * cells
    last: list[float] = [-math.inf] * cells
    for ts, value in points:
        if start <= ts < end and math.isfinite(value):
            i = min(cells - 1, int((ts - start) / cell_s))
            out[i] = value if out[i] is None else max(out[i], value)  # type: ignore[type-var]
            first[i], last[i] = min(first[i], ts), max(last[i], ts)
    next_ts = [end] * cells  # the first point after each cell (the window's end past the last one)
    for i in range(cells - 2, -1, -1):
        next_ts[i] = first[i + 1] if out[i + 1] is not None else next_ts[i + 1]
    prev_ts: float | None = None
    for i in range(cells):
        if out[i] is not None:
            prev_ts = last[i]
        elif prev_ts is not None and next_ts[i] - prev_ts <= bridge_s:
            out[i] = out[i - 1]
    return out


def fixed_grid(at: float, window_s: float, cells: int) -> tuple[float, float]:
    """The window's [start, end) on a grid of `cells` whose last cell holds `at`: while the clock moves within
    a cell, every cell stays as drawn (a window ending at `at` itself would shift each point a little every
    second)."""
    cell_s = window_s / cells
    end = math.ceil(at / cell_s) * cell_s
    return end - window_s, end


def cells_of(points: Sequence[tuple[float, float]], start: float, end: float, cells: int) -> list[float | None]:
    """`points` on the cells of [start, end), blank (None) in their gaps: `max_per_cell`, bridging what the
    points' own step bridges (`bridge_for`), as a chart's line does."""
    return max_per_cell(points, start, end, cells, bridge_s=bridge_for(points))


def break_at_gaps(points: Sequence[tuple[float, float]], bridge_s: float) -> list[tuple[float, float]]:
    """`points` with a NaN put between two more than `bridge_s` apart: plotext ends a line there."""
    out: list[tuple[float, float]] = []
    for point in points:
        if out and point[0] - out[-1][0] > bridge_s:
            out.append(((out[-1][0] + point[0]) / 2, math.nan))
        out.append(point)
    return out


def typical_step_s(points: Sequence[tuple[float, float]]) -> float:
    """The median time between consecutive points (0 with fewer than two)."""
    steps = sorted(b[0] - a[0] for a, b in zip(points, points[1:]) if b[0] > a[0])
    return steps[len(steps) // 2] if steps else 0.0


def bridge_for(points: Sequence[tuple[float, float]]) -> float:
    """The longest stretch without a point that `points` bridge: GAP_STEPS of their typical step."""
    return GAP_STEPS * typical_step_s(points)


def bar_rows(cells: Sequence[float | None], rows: int = 1) -> tuple[list[str], float | None]:
    """Bars for non-negative values, `rows` lines tall (top line first), scaled from 0 to the largest value
    (so 10 and 14 req/s look alike: in so few cells of height a scale fitted to the data, as the charts'
    is, would draw noise as swings), and that largest value. A value is
    at least the lowest bar (0 is a value); a cell without one is blank: a gap in the data reads as one,
    where Textual's Sparkline would spread the samples evenly over the row."""
    present = [value for value in cells if value is not None]
    top = max(present) if present else None
    steps = len(BARS) * rows
    # Each value gets the nearest number of eighths of the whole height, at least one.
    eighths = [0 if value is None else max(1, round(value / top * steps)) if top else 1 for value in cells]
    lines = []
    for row in range(rows - 1, -1, -1):
        fills = (min(len(BARS), max(0, n - len(BARS) * row)) for n in eighths)
        lines.append("".join(BARS[fill - 1] if fill else " " for fill in fills))
    return lines, top

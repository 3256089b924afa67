"""Resample a (ts, value) series onto a fixed number of cells, so a sparkline lines up with a timeline under it."""

from __future__ import annotations

import math
from collections.abc import Sequence

BARS = "▁▂▃▄▅▆▇█"


def max_per_cell(
    points: Sequence[tuple[float, float]], start: float, end: float, cells: int, *, hold_s: float = 0.0,
) -> list[float | None]:
    """The largest finite value per cell of [start, end); None for a cell without one. A cell without a point
    of its own holds the cell before it when the last point is at most `hold_s` older than the cell's end (the
    next point was not due inside it): sampled more sparsely than the cells, a series has no gap in between."""
    if cells <= 0 or end <= start:
        return []
    cell_s = (end - start) / cells
    out: list[float | None] = [None] * cells
    newest: list[float | None] = [None] * cells
    for ts, value in points:
        if start <= ts < end and math.isfinite(value):
            i = min(cells - 1, int((ts - start) / cell_s))
            out[i] = value if out[i] is None else max(out[i], value)  # type: ignore[type-var]
            newest[i] = ts if newest[i] is None else max(newest[i], ts)  # type: ignore[type-var]
    last_ts: float | None = None
    for i in range(cells):
        if newest[i] is not None:
            last_ts = newest[i]
        elif i and last_ts is not None and start + (i + 1) * cell_s - last_ts <= hold_s:
            out[i] = out[i - 1]
    return out


def typical_step_s(points: Sequence[tuple[float, float]]) -> float:
    """The median time between consecutive points (0 with fewer than two)."""
    steps = sorted(b[0] - a[0] for a, b in zip(points, points[1:]) if b[0] > a[0])
    return steps[len(steps) // 2] if steps else 0.0


def resample_max(points: Sequence[tuple[float, float]], start: float, end: float, cells: int) -> list[float]:
    """The largest value per cell of [start, end); an empty cell repeats the cell before it (0 before any point)."""
    filled: list[float] = []
    last = 0.0
    for value in max_per_cell(points, start, end, cells):
        last = value if value is not None else last
        filled.append(last)
    return filled


def bars_from_zero(cells: Sequence[float | None]) -> tuple[str, float | None]:
    """One row of bars for non-negative values, scaled from 0 to the largest (so 10 and 14 req/s look alike,
    as on a chart whose axis starts at 0), and that largest value. A cell without a value is blank: a gap in
    polling reads as one, where Textual's Sparkline would spread the samples evenly over the row."""
    present = [value for value in cells if value is not None]
    if not present:
        return " " * len(cells), None
    top = max(present)
    if top <= 0:
        return "".join(" " if value is None else BARS[0] for value in cells), top
    # Bar k stands k + 1 eighths tall: each value gets the nearest (0 still the lowest, a value not a gap).
    return "".join(
        " " if value is None else BARS[max(0, min(len(BARS) - 1, round(value / top * len(BARS)) - 1))] for value in cells
    ), top

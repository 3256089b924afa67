"""Resample a (ts, value) series onto a fixed number of cells, so a sparkline lines up with a timeline under it."""

from __future__ import annotations

import math
from collections.abc import Sequence


def resample_max(points: Sequence[tuple[float, float]], start: float, end: float, cells: int) -> list[float]:
    """The largest value per cell of [start, end); an empty cell repeats the cell before it (0 before any point)."""
    if cells <= 0 or end <= start:
        return []
    cell_s = (end - start) / cells
    out: list[float | None] = [None] * cells
    for ts, value in points:
        if start <= ts < end and math.isfinite(value):
            i = min(cells - 1, int((ts - start) / cell_s))
            out[i] = value if out[i] is None else max(out[i], value)  # type: ignore[type-var]
    filled: list[float] = []
    last = 0.0
    for value in out:
        last = value if value is not None else last
        filled.append(last)
    return filled

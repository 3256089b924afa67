"""The golden charts' signals as a sparkline each, for a terminal too short for the charts: label, bars over
the chart window from 0 to the peak (the last cell holding its end), and that peak; then the time axis under
them. Each sparkline is one row tall, or up to three where the height leaves room for every one of them;
the peak is named on its top row, the label on its base.

Drawn at its own width and height each time it renders, so a resize never leaves rows drawn for another
size; the rows past its height are cut, p95 latency first to stay, the axis first to go.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from rich.text import Text
from textual.widget import Widget

from aiops_tui.signals.golden import CHART_WINDOWS_S, GoldenView
from aiops_tui.signals.readings import Reading
from aiops_tui.ui import fmt
from aiops_tui.ui.colors import styled
from aiops_tui.ui.series import bar_rows, cells_of, fixed_grid

LABEL_WIDTH = 12
PEAK_WIDTH = 16
""""max 3,520 tok/s": the widest a peak is drawn."""
MIN_CELLS = 10
MAX_ROWS_EACH = 3


class SparkRows(Widget):
    DEFAULT_CSS = "SparkRows { height: auto; }"

    def __init__(self, rows: Sequence[tuple[str, str, Callable[[float], str]]], *, id: str | None = None) -> None:
        """`rows`: (signal, label, how its values are written), in the order drawn."""
        super().__init__(id=id)
        self._rows = tuple(rows)
        self._golden: GoldenView | None = None
        self._live = True

    def set_golden(self, golden: GoldenView, live: bool) -> None:
        if golden is not self._golden or live != self._live:
            self._golden, self._live = golden, live
            self.refresh()

    def render(self) -> Text:
        golden = self._golden
        if golden is None:
            return Text()
        cells = max(MIN_CELLS, self.size.width - LABEL_WIDTH - PEAK_WIDTH - 2)
        window_s = CHART_WINDOWS_S.get(golden.window, 3600.0)
        start, end = fixed_grid(golden.at, window_s, cells)
        each = max(1, min(MAX_ROWS_EACH, (self.size.height - 1) // len(self._rows)))  # the axis takes one
        lines = []
        for signal, label, formatter in self._rows:
            points = golden.charts.get(signal, ())
            # Blank where the series has a gap (as its chart's line breaks), not between its points.
            rows, peak = bar_rows(cells_of(points, start, end, cells), each)
            judged = _judged(golden, signal)
            status = judged.status if judged is not None and judged.status in ("warn", "bad") else "none"
            for n, bars in enumerate(rows):
                lines.append(Text.assemble(
                    (label if n == len(rows) - 1 else "").ljust(LABEL_WIDTH), " ", styled(bars, self.app, status), " ",
                    ("no data" if peak is None else f"max {formatter(peak)}") if n == 0 else "",
                ))
                lines[-1].stylize("dim", 0, LABEL_WIDTH)
        axis = fmt.time_axis(window_s, cells, fmt.axis_end(golden.at, window_s, self._live))
        lines.append(Text(" " * (LABEL_WIDTH + 1) + axis, style="dim"))
        return Text("\n", no_wrap=True, overflow="ellipsis").join(lines)


def _judged(golden: GoldenView, signal: str) -> Reading | None:
    """What a row is coloured by: its tile, or the charted model's (or gateway's) row when the charts are of one."""
    if not (golden.chart_model or golden.chart_gateway):
        return golden.tiles.get(signal)
    if golden.chart_gateway:
        rows, name = golden.gateways, golden.chart_gateway
    else:
        rows, name = golden.models, golden.chart_model
    row = next((row for row in rows if row.model == name), None)
    return getattr(row, signal, None)

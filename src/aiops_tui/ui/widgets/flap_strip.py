"""A breaker's state over the window as one line of cells (worst state per cell), coloured and aligned with the
error strip above it; blank where nobody read the state (before the cockpit first saw it, or while it was not
running), as the error strip is."""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget

from aiops_tui.signals.breakers import BreakerRow, state_before, timeline
from aiops_tui.ui.series import cells_of

GLYPH_STATE = {"▁": "closed", "▄": "half-open", "█": "open"}


def state_cells(row: BreakerRow, start: float, end: float, width: int) -> str:
    """`row`'s state over [start, end) as `width` cells (`timeline`), blank where its state series holds no
    reading and no transition falls, and before the first state seen."""
    watched = [cell is not None for cell in cells_of(row.state_series, start, end, width)]
    return timeline(row.transitions, start, end, width, initial=state_before(row.transitions, row.state), watched=watched)


def coloured_cells(cells: str, widget: Widget) -> Text:
    """`timeline`'s cells, each in its state's colour from `widget`'s `flap-strip--<state>` component classes."""
    out = Text(no_wrap=True)
    for glyph in cells:
        state = GLYPH_STATE.get(glyph)
        out.append(glyph, widget.get_component_rich_style(f"flap-strip--{state}") if state else "")
    return out


class FlapStrip(Widget):
    DEFAULT_CSS = """
    FlapStrip { height: 1; }
    FlapStrip > .flap-strip--closed { color: $success; }
    FlapStrip > .flap-strip--half-open { color: $warning; }
    FlapStrip > .flap-strip--open { color: $error; }
    """
    COMPONENT_CLASSES = {"flap-strip--closed", "flap-strip--half-open", "flap-strip--open"}

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._row: BreakerRow | None = None
        self._start = self._end = 0.0
        self._drawn: str | None = None
        """The cells as last rendered."""

    def set_row(self, row: BreakerRow, start: float, end: float) -> None:
        self._row, self._start, self._end = row, start, end
        # The window slides every second and a cell spans a minute or so: redraw when a cell changes.
        if self._cells(self.size.width) != self._drawn:
            self.refresh()

    def _cells(self, width: int) -> str:
        return state_cells(self._row, self._start, self._end, width) if self._row is not None else ""

    def render(self) -> Text:
        self._drawn = self._cells(self.size.width)
        return coloured_cells(self._drawn, self)

"""A breaker's state over the window as one line of cells (worst state per cell), coloured and aligned with the
error strip above it; blank where nobody read the state (before the cockpit first saw it, or while it was not
running), as the error strip is."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.widget import Widget

from aiops_tui.signals.breakers import Transition, state_before, timeline

GLYPH_STATE = {"▁": "closed", "▄": "half-open", "█": "open"}


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
        self._transitions: Sequence[Transition] = ()
        self._start = self._end = 0.0
        self._initial = "closed"
        self._watched: Sequence[bool] | None = None
        self._drawn: str | None = None
        """The cells as last rendered."""

    def set_history(self, transitions: Sequence[Transition], start: float, end: float, current_state: str,
                    watched: Sequence[bool] | None = None) -> None:
        """`watched`: per cell, whether the state was read in it (None: everywhere)."""
        self._transitions, self._watched = transitions, watched
        self._start, self._end = start, end
        self._initial = state_before(transitions, current_state)  # blank before the first state seen
        # The window slides every second and a cell spans a minute or so: redraw when a cell changes.
        if self._cells(self.size.width) != self._drawn:
            self.refresh()

    def _cells(self, width: int) -> str:
        watched = self._watched if self._watched is not None and len(self._watched) == width else None
        return timeline(self._transitions, self._start, self._end, width, initial=self._initial, watched=watched)

    def render(self) -> Text:
        self._drawn = self._cells(self.size.width)
        return coloured_cells(self._drawn, self)

"""A breaker's state over the window as one line of cells (worst state per cell), coloured and aligned with the
error strip above it; blank before the first state the cockpit saw."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.widget import Widget

from aiops_tui.signals.breakers import Transition, state_before, timeline

GLYPH_STATE = {"▁": "closed", "▄": "half-open", "█": "open"}


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
        self._drawn: str | None = None
        """The cells as last rendered."""

    def set_history(self, transitions: Sequence[Transition], start: float, end: float, current_state: str) -> None:
        self._transitions = transitions
        self._start, self._end = start, end
        self._initial = state_before(transitions, current_state)  # blank before the first state seen
        # The window slides every second and a cell spans a minute or so: redraw when a cell changes.
        if self._cells(self.size.width) != self._drawn:
            self.refresh()

    def _cells(self, width: int) -> str:
        return timeline(self._transitions, self._start, self._end, width, initial=self._initial)

    def render(self) -> Text:
        cells = self._cells(self.size.width)
        self._drawn = cells
        out = Text(no_wrap=True)
        for glyph in cells:
            state = GLYPH_STATE.get(glyph)
            out.append(glyph, self.get_component_rich_style(f"flap-strip--{state}") if state else "")
        return out

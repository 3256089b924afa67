"""A breaker's state over the window as one line of cells (worst state per cell), coloured and aligned with the sparkline above it."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.widget import Widget

from aiops_tui.signals.breakers import Transition, timeline

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

    def set_history(self, transitions: Sequence[Transition], start: float, end: float, current_state: str) -> None:
        self._transitions = transitions
        self._start, self._end = start, end
        # The state before the first recorded transition is where that transition came from.
        first = transitions[0] if transitions else None
        self._initial = (first.from_state or "closed") if first else current_state
        self.refresh()

    def render(self) -> Text:
        cells = timeline(self._transitions, self._start, self._end, self.size.width, initial=self._initial)
        out = Text(no_wrap=True)
        for glyph in cells:
            state = GLYPH_STATE.get(glyph)
            out.append(glyph, self.get_component_rich_style(f"flap-strip--{state}") if state else "")
        return out

"""Values on a fixed grid of cells as bars from 0 to their peak, as tall as the widget; a cell without a
value is blank. Zero in the success colour, anything above it in the error colour: for error ratios."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.widget import Widget

from aiops_tui.ui.series import bar_rows


class BarStrip(Widget):
    DEFAULT_CSS = """
    BarStrip { height: 3; }
    BarStrip > .bar-strip--zero { color: $success; }
    BarStrip > .bar-strip--above { color: $error; }
    """
    COMPONENT_CLASSES = {"bar-strip--zero", "bar-strip--above"}

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._cells: list[float | None] = []

    def set_cells(self, cells: Sequence[float | None]) -> None:
        """Redrawn only when a cell changes: the window slides every second, a cell spans a minute or so."""
        if list(cells) != self._cells:
            self._cells = list(cells)
            self.refresh()

    def render(self) -> Text:
        lines, _ = bar_rows(self._cells, max(1, self.size.height))
        zero = self.get_component_rich_style("bar-strip--zero")
        above = self.get_component_rich_style("bar-strip--above")
        styles = [zero if value == 0 else above for value in self._cells]
        out = Text(no_wrap=True)
        for n, line in enumerate(lines):
            if n:
                out.append("\n")
            for glyph, style in zip(line, styles):
                out.append(glyph, style if glyph != " " else "")
        return out

"""Every upstream's breaker state over the window, one line each on a time axis of their own: whether the
breakers flapped together (a provider or the network) or one alone. The selected upstream is marked."""

from __future__ import annotations

from collections.abc import Sequence

from rich.cells import cell_len
from rich.text import Text
from textual.widget import Widget

from aiops_tui.model import MEMBER_SEP
from aiops_tui.signals.breakers import BreakerRow
from aiops_tui.ui import fmt
from aiops_tui.ui.safe import plain
from aiops_tui.ui.series import fixed_grid
from aiops_tui.ui.widgets.flap_strip import coloured_cells, state_cells

MIN_CELLS = 10
"""Fewer cells than this would say nothing about when: the overview draws nothing."""
SELECTED_MARK = "▸"


def _keep_end(text: str, width: int) -> str:
    """`text` in at most `width` cells: cut at its start, where the cut is marked."""
    if cell_len(text) <= width:
        return text
    while text and cell_len(text) > width - 1:
        text = text[1:]
    return "…" + text


def cut(name: str, width: int) -> str:
    """`name` in at most `width` cells, padded to them: its end tells two models of a provider apart, so a cut
    keeps the end. A fleet's "gateway · upstream" keeps the end of each, so that two gateways' breakers of
    one upstream stay apart."""
    gateway, sep, upstream = name.rpartition(MEMBER_SEP)
    room = width - cell_len(sep)
    if sep and cell_len(name) > width and room >= 4:
        # The gateway whole when it is short, else at most half the room, and never more than the upstream leaves.
        gateway_w = max(2, min(cell_len(gateway), max(room // 2, room - cell_len(upstream))))
        name = _keep_end(gateway, gateway_w) + sep + _keep_end(upstream, room - gateway_w)
    name = _keep_end(name, width)
    return name + " " * (width - cell_len(name))


class FlapOverview(Widget):
    DEFAULT_CSS = """
    FlapOverview { height: auto; margin: 1 0 0 0; }
    FlapOverview > .flap-strip--closed { color: $success; }
    FlapOverview > .flap-strip--half-open { color: $warning; }
    FlapOverview > .flap-strip--open { color: $error; }
    FlapOverview > .flap-overview--muted { color: $text-muted; }
    """
    COMPONENT_CLASSES = {"flap-strip--closed", "flap-strip--half-open", "flap-strip--open", "flap-overview--muted"}

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._rows: Sequence[BreakerRow] = ()
        self._selected: str | None = None
        self._at = self._window_s = 0.0
        self._live = True
        self._drawn: Text | None = None
        self._built: tuple[int, Text] | None = None
        """What `set_rows` built to compare with what is drawn, and at which width: a render at that width draws it."""

    def set_rows(self, rows: Sequence[BreakerRow], selected: str | None, at: float, window_s: float, live: bool) -> None:
        resized = len(rows) != len(self._rows)
        self._rows, self._selected, self._at, self._window_s, self._live = rows, selected, at, window_s, live
        # The window slides every second and a cell spans a minute or so: redraw when what it shows changes.
        width = self.size.width
        self._built = (width, self._lines(width))  # the newest rows' lines, whichever call a render follows
        if resized or self._drawn is None or self._built[1].plain != self._drawn.plain:
            self.refresh(layout=resized)

    @property
    def rows_needed(self) -> int:
        """Its height once shown: a title, a line per upstream and the axis, under a blank line."""
        return len(self._rows) + 3 if self._rows else 0

    def _lines(self, width: int) -> Text:
        if not self._rows:
            return Text()
        label_w = min(max(cell_len(row.upstream) for row in self._rows) + 3, max(10, width // 3))  # mark, name, gap
        cells = width - label_w
        if cells < MIN_CELLS:
            return Text()
        muted = self.get_component_rich_style("flap-overview--muted")
        start, end = fixed_grid(self._at, self._window_s, cells)
        end_label = fmt.axis_end(self._at, self._window_s, self._live)
        span = fmt.window_span(fmt.window_label(self._window_s), end_label)
        lines = [Text(f"every upstream's state over the {span}", style=muted)]
        for row in self._rows:
            strip = state_cells(row, start, end, cells)
            mark = SELECTED_MARK if row.upstream == self._selected else " "
            name = plain(cut(row.upstream, label_w - 3) + " ")
            lines.append(Text.assemble(mark, " ", name, coloured_cells(strip, self), no_wrap=True))
        lines.append(Text(" " * label_w + fmt.time_axis(self._window_s, cells, end_label), style=muted))
        return Text("\n", no_wrap=True).join(lines)

    def render(self) -> Text:
        width, built = self._built or (None, None)
        self._built = None
        self._drawn = built if width == self.size.width else self._lines(self.size.width)
        return self._drawn

"""The top line: product, environment and the cockpit's clock (so a frozen clock in tests draws a frozen header).

Reviewing a file there is no now: the clock is where the history ends, and the header says so, so that it is
never read as the moment shown (the status line gives that: REVIEW @ ...), and names the file, cut to fit
before the time is."""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget

from aiops_tui.ui import fmt
from aiops_tui.ui.safe import plain


class CockpitHeader(Widget):
    DEFAULT_CSS = """
    CockpitHeader {
        height: 1;
        background: $panel;
        color: $foreground;
        padding: 0 1;
    }
    """

    def __init__(self, environment: str, *, live: bool = True, reviewing: str = "", id: str | None = None) -> None:
        super().__init__(id=id)
        self._environment = environment
        self._live = live
        self._reviewing = reviewing
        self._now: float | None = None

    def set_clock(self, now: float) -> None:
        if now != self._now:
            self._now = now
            self.refresh()

    def render(self) -> Text:
        left = Text.assemble(("aiops-tui", "bold"), " · ", plain(self._environment, style="bold"))
        right = Text(fmt.utc_stamp(self._now) if self._live else f"history to {fmt.utc_stamp(self._now)}")
        room = self.size.width - left.cell_len - right.cell_len - 5  # " · " after the file, a gap of 2
        if self._reviewing and not self._live and room >= 8:
            name = plain(self._reviewing, style="bold")
            name.truncate(room, overflow="ellipsis")
            right = Text.assemble(name, " · ", right)
        gap = max(1, self.size.width - left.cell_len - right.cell_len)
        return Text.assemble(left, " " * gap, right, no_wrap=True, overflow="ellipsis")

"""The cost pane's savings levers: each lever's monthly run rate now, after and saved, or why it cannot be
priced (never a 0 that looks like a price); ↑/↓ or a click picks the lever whose assumptions are shown.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget

from aiops_tui.signals.savings import Lever
from aiops_tui.ui import fmt
from aiops_tui.ui.safe import clean

NUMBER_W = 9
SAVED_W = 15
GAP = "  "
NUMBERS_W = len(GAP) * 3 + NUMBER_W * 2 + SAVED_W
MARKER = ("▸ ", "  ")
NO_LEVERS = "no savings levers: no spend rate from this source yet"


def saved_text(lever: Lever) -> str:
    """Saved per month and its share of the run rate: "$2,474 · 18 %"."""
    if not lever.saved_usd or not lever.monthly_run_rate_usd:  # nothing to save: no "0.0 %" beside the $0
        return fmt.usd_whole(lever.saved_usd)
    share_pct = lever.saved_usd / lever.monthly_run_rate_usd * 100
    return f"{fmt.usd_whole(lever.saved_usd)} · {share_pct:.{0 if share_pct >= 10 else 1}f} %"


def assumption_lines(lever: Lever) -> RenderableType:
    """What the selected lever's price rests on, one bullet each, wrapped under itself (model names inside
    are untrusted: cleaned of markup and escapes like every label)."""
    if not lever.available:
        return Text.assemble((clean(lever.name), "bold"), " cannot be priced: ", (clean(lever.unavailable_reason), "italic"))
    grid = Table.grid(padding=(0, 1))
    grid.add_column(width=1, style="dim")
    grid.add_column(ratio=1)
    for line in lever.assumptions:
        grid.add_row("·", Text(clean(line)))
    return Group(Text.assemble((clean(lever.name), "bold"), (" rests on", "dim")), grid)


class LeversTable(Widget, can_focus=True):
    """One row per lever; the selected one is marked ▸ and reported with `LeversTable.Selected`."""

    DEFAULT_CSS = """
    LeversTable { height: auto; }
    LeversTable:focus { background: $boost; }
    """
    BINDINGS = [
        Binding("up", "move(-1)", "previous lever", show=False),
        Binding("down", "move(1)", "next lever", show=False),
    ]
    selected: reactive[int] = reactive(0, init=False)  # its watcher reports a pick by a key or a click only

    class Selected(Message):
        def __init__(self, lever: Lever | None, *, by_user: bool = False) -> None:
            super().__init__()
            self.lever = lever
            self.by_user = by_user
            """Picked with a key or a click, not kept across new levers."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.levers: list[Lever] = []
        self._row_of_line: list[int | None] = []

    def set_levers(self, levers: Sequence[Lever]) -> None:
        """Show `levers`; the same lever (by name) stays selected across refreshes."""
        if list(levers) == self.levers:  # the same levers every second between polls: nothing to redraw or report
            return
        current = self.levers[self.selected].name if self.selected < len(self.levers) else None
        self.levers = list(levers)
        names = [lever.name for lever in self.levers]
        self.set_reactive(LeversTable.selected, names.index(current) if current in names else 0)
        self.refresh(layout=True)
        self.post_message(self.Selected(self.selected_lever))

    @property
    def selected_lever(self) -> Lever | None:
        return self.levers[self.selected] if self.selected < len(self.levers) else None

    def watch_selected(self) -> None:  # only a key or a click sets it: new levers keep it with set_reactive
        self.refresh()
        self.post_message(self.Selected(self.selected_lever, by_user=True))

    def action_move(self, step: int) -> None:
        if self.levers:
            self.selected = (self.selected + step) % len(self.levers)

    def on_click(self, event: events.Click) -> None:
        if 0 <= event.y < len(self._row_of_line) and (row := self._row_of_line[event.y]) is not None:
            self.selected = row

    @property
    def wanted_width(self) -> int:
        """The width that shows every lever's whole name beside its numbers."""
        if not self.levers:
            return len(NO_LEVERS)
        return len(MARKER[0]) + max(len(clean(lever.name)) for lever in self.levers) + NUMBERS_W

    def get_content_height(self, container, viewport, width: int) -> int:
        return len(self._lines(width))

    def render(self) -> Text:
        return Text("\n").join(self._lines(self.size.width))

    def _lines(self, width: int) -> list[Text]:
        if not self.levers:
            self._row_of_line = [None]
            return [Text(NO_LEVERS, style="dim italic")]
        names = [clean(lever.name) for lever in self.levers]
        name_w = max(len(name) for name in names)
        # The name column gives way first, so the numbers always show.
        name_w = max(12, min(name_w, width - len(MARKER[0]) - NUMBERS_W))
        header = Text.assemble(
            " " * len(MARKER[0]), f"{'lever':<{name_w}}", GAP, f"{'now $/mo':>{NUMBER_W}}", GAP,
            f"{'after':>{NUMBER_W}}", GAP, f"{'saved':>{SAVED_W}}", style="bold",
        )
        lines, rows = [header], [None]
        reason_at = len(MARKER[0]) + name_w + len(GAP) + NUMBER_W - len("now $/mo")  # under the "now" heading
        for index, lever in enumerate(self.levers):
            chosen = index == self.selected
            line = Text.assemble(MARKER[0] if chosen else MARKER[1],
                                 (names[index][:name_w].ljust(name_w), "bold" if chosen else ""), GAP)
            if lever.available:
                now, after = fmt.usd_whole(lever.monthly_run_rate_usd), fmt.usd_whole(lever.after_usd)
                line.append(f"{now:>{NUMBER_W}}{GAP}{after:>{NUMBER_W}}{GAP}")
                line.append(f"{saved_text(lever):>{SAVED_W}}", style="bold")
                lines.append(line)
                rows.append(index)
                continue
            # In place of the numbers (the run rate now is in the title too), wrapped under them: why there is no price.
            line.append(" " * (reason_at - line.cell_len))
            wrapped = textwrap.wrap(clean(lever.unavailable_reason), max(12, width - reason_at)) or [""]
            line.append(wrapped[0], style="italic")
            lines.append(line)
            rows.append(index)
            for more in wrapped[1:]:
                lines.append(Text.assemble(" " * reason_at, (more, "italic")))
                rows.append(index)
        self._row_of_line = rows
        if self.has_focus:  # the cursor, as a DataTable draws it
            for line, row in zip(lines, rows):
                if row == self.selected:
                    line.stylize("reverse")
        return lines

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()

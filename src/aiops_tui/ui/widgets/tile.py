"""A golden-signal tile: a label, a big value (or why there is none) and how it stands against its target.

The label comes long and short, the line under the value in up to three lengths, and what the bottom border
points to (the model furthest off target) in as many: the tile shows the longest that fits (at 80 columns,
the shortest).
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from aiops_tui.ui.fmt import PAST_LIMIT_MARK
from aiops_tui.ui.widgets.redraw import LastDrawn, content_key

STATUS_CLASSES = ("-ok", "-warn", "-bad", "-none")


def cut_keeping_mark(text: Text, room: int) -> Text:
    """`text` cut to `room` cells with "…", keeping its past-target mark: the "!" says more than a name's end."""
    mark_len = len(PAST_LIMIT_MARK) if text.plain.endswith(PAST_LIMIT_MARK) else 0
    head, mark = text[: len(text) - mark_len], text[len(text) - mark_len:]
    head.truncate(max(1, room - mark_len), overflow="ellipsis")
    return head + mark


class Tile(Static):
    DEFAULT_CSS = """
    Tile {
        height: 4;
        border: round $panel-lighten-2;
        border-title-color: $foreground;
        padding: 0 1;
    }
    Tile.-ok { border: round $success; color: $success; }
    Tile.-warn { border: round $warning; color: $warning; }
    Tile.-bad { border: round $error; color: $error; border-title-style: bold; }
    Tile.-none { color: $text-muted; }
    """

    def __init__(self, label: str, short_label: str, *, id: str | None = None) -> None:
        super().__init__("", id=id)
        self.labels = (label, short_label)
        self.value_text, self.details, self.missing = "", ("",), False
        self.pointers: tuple[Text, ...] = ()
        self.border_title = label
        self.drawn = LastDrawn()

    def set_reading(self, value_text: str, details: tuple[str, ...], status: str, *, missing: bool,
                    pointers: tuple[Text, ...] = ()) -> None:
        """`details` is the line under the value, longest first; `status` a Reading status (ok/warn/bad/none);
        `missing` shows the value as a note ("no traffic"), not a number; `pointers` is what the bottom border
        names, longest first (none: a plain border)."""
        status_class = f"-{status}" if f"-{status}" in STATUS_CLASSES else "-none"
        # At once: a status for another restyles the tile once, not once for each class; the same one, not at all.
        self.update_classes({cls: cls == status_class for cls in STATUS_CLASSES})
        self.value_text, self.details, self.missing, self.pointers = value_text, details, missing, pointers
        self._draw()

    def on_resize(self) -> None:
        self._draw()

    def _draw(self) -> None:
        # The border title needs its text plus 6 cells ("╭─ " and " ─╮"); the body is the content width.
        title_room = self.outer_size.width - 6 if self.outer_size.width else 99
        body_room = self.size.width or 99
        title = self.labels[0] if len(self.labels[0]) <= title_room else self.labels[1]
        detail = next((d for d in self.details if len(d) <= body_room), self.details[-1])
        pointer = next((p for p in self.pointers if p.cell_len <= title_room), None)
        if pointer is None and self.pointers:
            pointer = cut_keeping_mark(self.pointers[-1], title_room)
        value = Text(self.value_text, style="italic" if self.missing else "bold")
        body = Text.assemble(value, "\n", Text(detail, style="dim"))
        # Setting a border title repaints even when it is the same.
        if self.drawn.changed((title, content_key(pointer), content_key(body))):
            self.border_title = title
            self.border_subtitle = pointer
            self.update(body)

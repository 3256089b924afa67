"""A widget drawn as a list of lines, exactly as tall as the lines it has (cut, never wrapped)."""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget


class LinesWidget(Widget):
    """Subclasses return their lines from `_build()`; height and rendering follow from them."""

    def _build(self) -> list[Text]:
        raise NotImplementedError

    def get_content_height(self, container, viewport, width: int) -> int:
        return len(self._build())

    def render(self) -> Text:
        text = Text("\n").join(self._build())
        text.no_wrap, text.overflow = True, "ellipsis"
        return text

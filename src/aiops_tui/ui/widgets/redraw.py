"""Redraw a widget only when what it draws changed: every refresh sends the widget's whole region to the
terminal (the SSH link carries it), and the views arrive every second while their data changes once a poll.

Widgets that are cheap to draw compare what they would draw (`update_static`, `same_content`); charts and
tables compare their input (`LastDrawn`) so that an unchanged one costs neither the drawing nor the bytes.
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

_NOTHING = object()


class LastDrawn:
    """The input a widget last drew from."""

    __slots__ = ("key",)

    def __init__(self) -> None:
        self.key: object = _NOTHING

    def changed(self, key: object) -> bool:
        """Whether `key` differs from the input last drawn; remembers it when it does."""
        if self.key is not _NOTHING and self.key == key:
            return False
        self.key = key
        return True

    def forget(self) -> None:
        """The next input is drawn whatever it is (e.g. after the widget drew something else)."""
        self.key = _NOTHING


def content_key(content: object) -> object:
    """What decides how `content` looks: for a Text its own style, justify and overflow too, which `Text.__eq__`
    leaves out (it compares the characters and the spans only). Other renderables stand for themselves."""
    if isinstance(content, Text):
        return (Text, content.plain, tuple(content.spans), content.style, content.justify, content.overflow,
                content.no_wrap, content.end)
    return content


def same_content(a: object, b: object) -> bool:
    return content_key(a) == content_key(b)


def update_static(static: Static, content: Text | str) -> None:
    """`static.update(content)` unless it shows exactly that already."""
    if not same_content(static.content, content):
        static.update(content)

"""The key footer: Textual's, rebuilt only when the keys it shows change, and when the terminal is
narrow without the command palette's key and the keys the help lists for a wider one."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer
from textual.widgets._footer import FooterKey, FooterLabel, KeyGroup  # the footer's parts: not exported

from aiops_tui.ui.actions import WIDE_ONLY


PALETTE_KEY_MIN_WIDTH = 100


class KeysFooter(Footer):
    """Textual's footer rebuilds its keys (about 25 widgets here) whenever the screen's bindings may have
    changed, which is at every focus change: three times between mount and the first frame with data,
    each as costly as building them. This one rebuilds only when what it would show is different."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._shown: tuple | None = None

    def bindings_changed(self, screen: Screen) -> None:
        if screen.app.app_focus and self.is_attached and screen is self.screen:
            shown = shown_keys(screen)
            if shown == self._shown:
                return
            self._shown = shown
        super().bindings_changed(screen)

    def compose(self) -> ComposeResult:
        for widget in super().compose():
            if isinstance(widget, FooterKey):
                # Born as its `compact` watcher would make it, which restyled each key as it mounted, twice for
                # most: 20-55 ms of the start. Textual binds a key's `compact` to the footer's, but the palette's
                # key keeps its own, compact by default (read here, it would run the watcher at once).
                compact = True if widget.has_class("-command-palette") else self.compact
                widget.set_reactive(FooterKey.compact, compact)
                widget.set_class(compact, "-compact", update=False)
            yield widget

    async def recompose(self) -> None:
        await super().recompose()
        if not self.show_command_palette:  # narrow: the keys `WIDE_ONLY` leave room for help and quit
            for key in self.query(FooterKey):
                key.display = key.action not in WIDE_ONLY
            for group in self.query(KeyGroup):
                if not any(key.display for key in group.query(FooterKey)):
                    group.display = False
                    word = self.children[self.children.index(group) + 1]  # the group's word follows it
                    if isinstance(word, FooterLabel):
                        word.display = False

    def on_resize(self) -> None:
        # At 80 columns the keys need the whole footer (a pane's own keys come first, and help and quit
        # last must stay on screen); the palette stays one ctrl+p away (and in `?`).
        wide = self.size.width >= PALETTE_KEY_MIN_WIDTH
        if wide != self.show_command_palette:
            self.show_command_palette = wide
            # Textual's footer draws this setting only when it rebuilds for a change of bindings.
            self.call_after_refresh(self.recompose)


def shown_keys(screen: Screen) -> tuple:
    """Everything of the screen's active bindings the footer draws (or offers as a tooltip)."""
    return tuple(
        (binding.key, binding.key_display, binding.action, binding.description, binding.group, enabled, tooltip)
        for _node, binding, enabled, tooltip in screen.active_bindings.values()
        if binding.show or binding.action == "command_palette"
    )

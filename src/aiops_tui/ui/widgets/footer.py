"""The key footer: Textual's, rebuilt only when the keys it shows change, and without the command
palette's key when the terminal is narrow."""

from __future__ import annotations

from textual.screen import Screen
from textual.widgets import Footer


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

    def on_resize(self) -> None:
        # At 80 columns the keys need the whole footer; the palette stays one ctrl+p away (and in `?`).
        shown = self.size.width >= PALETTE_KEY_MIN_WIDTH
        if shown != self.show_command_palette:
            self.show_command_palette = shown
            # Textual's footer draws this setting only when it rebuilds for a change of bindings.
            self.call_after_refresh(self.recompose)


def shown_keys(screen: Screen) -> tuple:
    """Everything of the screen's active bindings the footer draws (or offers as a tooltip)."""
    return tuple(
        (binding.key, binding.key_display, binding.action, binding.description, binding.group, enabled, tooltip)
        for _node, binding, enabled, tooltip in screen.active_bindings.values()
        if binding.show or binding.action == "command_palette"
    )

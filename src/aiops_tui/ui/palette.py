"""The command palette's list of cockpit actions (the same table the keys come from)."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.markup import escape

from aiops_tui.ui.actions import palette_entries


class CockpitCommands(Provider):
    """The cockpit's actions, and those of the pane in view (run on that pane, as its keys are)."""

    def _entries(self):
        pane = self.app.active_pane() if hasattr(self.app, "active_pane") else None
        for title, action in palette_entries(pane_id=pane.PANE_ID if pane is not None else None):
            target = pane if action.on_pane else self.app
            if not target.check_action(action.action, ()):  # e.g. no pause in a review: nothing polls
                continue
            yield title, partial(target.run_action, action.action), escape(f"key: {action.display}")

    async def discover(self) -> Hits:
        for title, run, help_text in self._entries():
            yield DiscoveryHit(title, run, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, run, help_text in self._entries():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), run, help=help_text)

"""The command palette's list of cockpit actions (the same table the keys come from)."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.markup import escape

from aiops_tui.ui.actions import palette_entries


class CockpitCommands(Provider):
    async def discover(self) -> Hits:
        for title, action in palette_entries():
            yield DiscoveryHit(title, partial(self.app.run_action, action.action), help=escape(f"key: {action.display}"))

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, action in palette_entries():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), partial(self.app.run_action, action.action), help=escape(f"key: {action.display}"))

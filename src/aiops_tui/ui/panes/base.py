"""What every pane is to the app: a widget with an id, a title, a help text, and `show(views)`.

The app calls `update_views` on the UI thread with the latest `Views`; a pane only renders them.
Panes another engineer builds (runbooks, maturity) subclass `Pane` and are mounted the same way.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import App
from textual.widget import Widget

from aiops_tui.cockpit import SourceView, Views
from aiops_tui.errors import first_line
from aiops_tui.model import FLEET_SOURCE
from aiops_tui.ui import fmt
from aiops_tui.ui.colors import status_style
from aiops_tui.ui.safe import plain

UNHEALTHY = ("stale", "down")
"""The source states a pane warns of: its values are old, or it has none."""


class Pane(Widget):
    PANE_ID: ClassVar[str] = ""
    TITLE: ClassVar[str] = ""
    HELP: ClassVar[str] = ""
    """One short paragraph for the `?` screen: what the pane shows and how to read it."""

    DEFAULT_CSS = """
    Pane { height: 1fr; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id or f"{self.PANE_ID}-pane")
        self.views: Views | None = None
        self._drawn = False

    def update_views(self, views: Views, *, force: bool = False) -> None:
        """Render `views` unless they are the ones already on screen (`force` redraws, e.g. after a theme change)."""
        if not force and self._drawn and views == self.views:
            return
        self.views, self._drawn = views, False
        self.show(views)
        self._drawn = True  # only now: a pane whose show() raised tries again with the next views

    @property
    def app_leaving(self) -> bool:
        """The app is quitting: Textual may close this pane before its children mount, and work the pane
        deferred (a mount, a query of its children) must not start."""
        return getattr(self.app, "leaving", False)

    def on_show(self) -> None:
        self.take_focus()

    def take_focus(self) -> None:
        """Put the focus where the pane's keys act (its table, its list), if it has such a place. The app
        calls it as the pane's key is handled, so a key typed right after reaches the pane; `on_show`
        calls it too, for a pane shown by a click on its tab."""

    def focus_now(self, widget: Widget) -> None:
        """Focus `widget` before the next event is handled (`Widget.focus` waits its turn behind keys
        already queued, such as the ↓ typed together with the pane's key). The pane is not scrolled to it:
        a pane comes up at its top (at 80x24 the cost pane's levers are below the fold)."""
        self.screen.set_focus(widget, scroll_visible=False)

    def redraw(self) -> None:
        if self.views is not None:
            self.show(self.views)

    def show(self, views: Views) -> None:
        """Render `views`; called on the UI thread. Subclasses override."""


def source_label(views: Views, source: str) -> str:
    """Where a pane's numbers come from, in words: the fleet's signals as "3 gateways" (those polled, or
    in a review those the history holds)."""
    if source != FLEET_SOURCE:
        return source
    count = sum(1 for s in views.sources if s.kind == "gateway") or len(views.gateways)
    return f"{count} gateways" if count > 1 else "every gateway"


def source_health(app: App, views: Views, source: str) -> Text:
    """Nothing while the source a pane reads is polled fine; when it is down or stale, "✖ gw down:
    values as of 22:52:55 UTC", so that the last values a pane still shows are not read as current.
    For the fleet, each gateway down or stale: "✖ gw-2 down: left out", as the sums leave it out."""
    if source == FLEET_SOURCE:
        return Text(" · ").join(
            Text.assemble(_named_state(app, found), ": left out")
            for found in views.sources if found.kind == "gateway" and found.state in UNHEALTHY
        )
    found = next((s for s in views.sources if s.name == source and s.state in UNHEALTHY), None)
    if found is None:
        return Text()
    as_of = fmt.utc_time(views.at - found.age_s) if found.age_s is not None else fmt.DASH
    return Text.assemble(_named_state(app, found), f": values as of {as_of} UTC")


def alerts_as_of(views: Views) -> str:
    """When the source of the alerts (Prometheus, or the rules evaluated here) is down or stale, as of when
    the alerts listed were read (UTC, as the header's clock): "as of 18:29:50 · prometheus down"; else ""."""
    found = next((s for s in views.sources if s.kind in ("prometheus", "rules")), None)
    if found is None or found.state not in UNHEALTHY or found.age_s is None or not views.live:
        return ""
    return f"as of {fmt.utc_time(views.at - found.age_s)} · {found.name} {found.state}"


def sources_in_trouble(app: App, views: Views) -> Text:
    """Every source down or stale, with why: "✖ prometheus down: connection refused". A pane with nothing
    to show leads with it, so that an empty pane is not read as a quiet system."""
    return Text(" · ").join(
        Text.assemble(_named_state(app, found), plain(f": {first_line(found.error)}" if found.error else ""))
        for found in views.sources if found.state in UNHEALTHY
    )


def _named_state(app: App, found: SourceView) -> Text:
    """"✖ gw down", in the state's colour."""
    style = status_style(app, found.state, bold=True)
    return Text.assemble((f"{fmt.SOURCE_MARK[found.state]} ", style), plain(found.name, style=style), (f" {found.state}", style))

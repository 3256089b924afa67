"""The floor for startup: a minimal Textual app with five tabs that draws "req/s" in its first one.

`python bench/minimal_app.py` as is; `--plotext` also imports textual_plotext (as the cockpit does).
"""

from __future__ import annotations

import sys

from textual.app import App, ComposeResult
from textual.widgets import Footer, Header, Static, TabbedContent, TabPane

if "--plotext" in sys.argv:
    import textual_plotext  # noqa: F401

TABS = ("Golden signals", "Cost", "Breakers", "Runbooks", "Maturity")


class MinimalApp(App[None]):
    BINDINGS = [("q", "quit", "quit")]

    def compose(self) -> ComposeResult:
        yield Header()
        with TabbedContent():
            for n, title in enumerate(TABS, start=1):
                with TabPane(f"{n} {title}"):
                    yield Static("requests 4.28 req/s" if n == 1 else title)
        yield Footer()


if __name__ == "__main__":
    MinimalApp().run()

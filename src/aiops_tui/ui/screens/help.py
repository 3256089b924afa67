"""The `?` screen: the current pane's keys and what the pane shows first, then the keys that work everywhere."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from aiops_tui.ui.actions import CockpitAction
from aiops_tui.ui.safe import plain


def keys_text(title: str, actions: Sequence[CockpitAction]) -> Text:
    lines = [Text(title, style="bold")]
    lines += [Text.assemble((f"  {a.display:>6}  ", "bold"), a.description) for a in actions]
    return Text("\n").join(lines)


class HelpScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 84;
        max-width: 100%;
        height: auto;
        max-height: 90%;
        border: round $primary;
        border-title-color: $primary;
        background: $surface;
        padding: 0 1;
    }
    HelpScreen Static { margin: 0 0 1 0; }
    """
    BINDINGS = [
        Binding("escape", "dismiss", "close", show=False),
        Binding("question_mark", "dismiss", "close", show=False, key_display="?"),
        Binding("q", "dismiss", "close", show=False),
    ]

    def __init__(
        self, pane_title: str, pane_help: str, own: Sequence[CockpitAction], everywhere: Sequence[CockpitAction],
        notes: Sequence[str] = (), status: Sequence[Text] = (), status_first: bool = False,
    ) -> None:
        """`status` is the status line in full, one part per line (`StatusBar.details`): shown first when
        something in it is wrong (`status_first`), else after the keys."""
        super().__init__()
        self.pane_title, self.pane_help = pane_title, pane_help
        self.own, self.everywhere = own, everywhere
        self.notes = notes
        self.status, self.status_first = status, status_first

    def compose(self) -> ComposeResult:
        with VerticalScroll() as body:
            body.border_title = f"Help · {self.pane_title}"
            body.border_subtitle = "esc or ? to close"
            if self.status and self.status_first:
                yield self._status()
            if self.pane_help:
                yield Static(Text(self.pane_help), id="help-pane-text")
            if self.own:
                yield Static(keys_text(f"Keys on {self.pane_title}", self.own), id="help-pane-keys")
            yield Static(keys_text("Keys everywhere", self.everywhere), id="help-keys")
            if self.status and not self.status_first:
                yield self._status()
            if self.notes:
                lines = [Text("Where the numbers come from", style="bold")] + [Text("  ") + plain(n) for n in self.notes]
                yield Static(Text("\n").join(lines), id="help-notes")

    def _status(self) -> Static:
        lines = [Text("Status, in full", style="bold")] + [Text("  ") + part for part in self.status]
        return Static(Text("\n").join(lines), id="help-status")

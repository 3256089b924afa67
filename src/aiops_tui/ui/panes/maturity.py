"""Maturity pane (placeholder): the operations maturity checklist with scores and a roadmap. Being built separately; replace this class."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Static

from aiops_tui.ui.panes.base import Pane


class MaturityPane(Pane):
    PANE_ID = "maturity"
    TITLE = "Maturity"
    HELP = "The operations maturity checklist: answer each question, see the score per dimension and the roadmap phase for each gap."
    DEFAULT_CSS = """
    MaturityPane { padding: 1 2; }
    MaturityPane #maturity-placeholder { color: $text-muted; }
    """

    def __init__(self, lang: str = "en", *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.lang = lang

    def compose(self) -> ComposeResult:
        yield Static(
            "Maturity will be here: the operations checklist (4 dimensions), scores, and the roadmap phase for each gap.",
            id="maturity-placeholder",
        )

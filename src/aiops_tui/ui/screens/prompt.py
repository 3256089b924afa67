"""Small modal questions: one line of text (an incident title, a note), or yes/no to confirm."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from aiops_tui.ui.safe import plain

MAX_INPUT_CHARS = 4000


class PromptScreen(ModalScreen[str | None]):
    """Asks for one line; enter gives the text (stripped), escape gives None."""

    DEFAULT_CSS = """
    PromptScreen { align: center middle; }
    PromptScreen > Vertical {
        width: 80; max-width: 100%; height: auto;
        border: round $primary; border-title-color: $primary; background: $surface; padding: 0 1;
    }
    PromptScreen .prompt-help { color: $text-muted; margin: 0 0 1 0; }
    """
    BINDINGS = [Binding("escape", "cancel", "cancel", show=False)]

    def __init__(self, title: str, help_text: str = "", placeholder: str = "", value: str = "") -> None:
        super().__init__()
        self.title_text, self.help_text, self.placeholder, self.value = title, help_text, placeholder, value

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = self.title_text
            box.border_subtitle = "enter: save · esc: cancel"
            if self.help_text:
                yield Static(plain(self.help_text), classes="prompt-help")
            yield Input(self.value, placeholder=self.placeholder, max_length=MAX_INPUT_CHARS, id="prompt-input")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(event.value.strip())

    def action_cancel(self) -> None:
        self.dismiss(None)


class ConfirmScreen(ModalScreen[bool]):
    """Asks yes or no: enter or y confirms, escape or n declines."""

    DEFAULT_CSS = """
    ConfirmScreen { align: center middle; }
    ConfirmScreen > Static {
        width: 70; max-width: 100%; height: auto;
        border: round $warning; border-title-color: $warning; background: $surface; padding: 1 2;
    }
    """
    BINDINGS = [
        Binding("enter,y", "answer(True)", "yes", show=False),
        Binding("escape,n", "answer(False)", "no", show=False),
    ]

    def __init__(self, title: str, question: str) -> None:
        super().__init__()
        self.title_text, self.question = title, question

    def compose(self) -> ComposeResult:
        body = Static(Text.assemble(plain(self.question), ("\n\nenter / y: yes · esc / n: no", "dim")))
        body.border_title = self.title_text
        yield body

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)

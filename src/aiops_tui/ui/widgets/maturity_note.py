"""A small modal to write the evidence note of one maturity question; dismisses with the note, or None on escape."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from aiops_tui.ui.safe import clean

MAX_NOTE_CHARS = 500


class EvidenceNoteScreen(ModalScreen[str | None]):
    DEFAULT_CSS = """
    EvidenceNoteScreen { align: center middle; }
    EvidenceNoteScreen > Vertical {
        width: 80;
        max-width: 100%;
        height: auto;
        border: round $primary;
        border-title-color: $primary;
        background: $surface;
        padding: 0 1;
    }
    EvidenceNoteScreen #note-question { margin: 0 0 1 0; }
    EvidenceNoteScreen #note-hint { color: $text-muted; }
    """
    BINDINGS = [Binding("escape", "cancel", "cancel", show=False)]

    def __init__(self, title: str, question: str, note: str, placeholder: str, hint: str) -> None:
        super().__init__()
        self.title_text, self.question, self.note = title, question, note
        self.placeholder, self.hint = placeholder, hint

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = self.title_text
            yield Static(Text(self.question, style="bold"), id="note-question")
            yield Input(
                value=clean(self.note), placeholder=self.placeholder, max_length=MAX_NOTE_CHARS, select_on_focus=False, id="note-input",
            )
            yield Static(Text(self.hint), id="note-hint")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(clean(event.value).strip())

    def action_cancel(self) -> None:
        self.dismiss(None)

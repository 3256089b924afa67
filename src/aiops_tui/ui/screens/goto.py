"""The `g` question: move the shared time cursor to a typed UTC date-time or a time back from now (-3h, -2d)."""

from __future__ import annotations

import re
from datetime import datetime, timezone

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from aiops_tui.ui import fmt

RELATIVE = re.compile(r"^-\s*(\d+(?:\.\d+)?)\s*(s|m|min|h|d|w)$")
UNIT_S = {"s": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0}
EXAMPLES = "2026-11-20 14:00 (UTC) or -3h, -2d, -90m"


def parse_when(text: str, now: float) -> float:
    """The instant `text` names: an ISO date or date-time (UTC unless it carries an offset), an amount
    of time before `now`, or "now". Raises ValueError with a one-line reason."""
    entry = text.strip()
    if not entry:
        raise ValueError("type a time, e.g. 2026-11-20 14:00 or -3h")
    if entry.lower() in ("now", "end", "live"):
        return now
    relative = RELATIVE.match(entry.lower())
    if relative:
        return now - float(relative.group(1)) * UNIT_S[relative.group(2)]
    iso = entry.removesuffix("UTC").removesuffix("utc").strip()
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        raise ValueError(f"not a time: {entry[:24]!r} (try 2026-11-20 14:00 or -3h)") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    at = moment.timestamp()
    if at > now:
        raise ValueError(f"{_minute(at)} is after the newest time there is, {_minute(now)} UTC")
    return at


def _minute(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=timezone.utc).strftime("%Y-%m-%d %H:%M")


class GotoScreen(ModalScreen[float | None]):
    """Asks for a time; enter gives the instant (a bad entry is said in one line and the question stays), escape None."""

    DEFAULT_CSS = """
    GotoScreen { align: center middle; }
    GotoScreen > Vertical {
        width: 72; max-width: 100%; height: auto;
        border: round $primary; border-title-color: $primary; background: $surface; padding: 0 1;
    }
    GotoScreen #goto-help { color: $text-muted; }
    GotoScreen #goto-error { color: $error; height: 1; }
    """
    BINDINGS = [Binding("escape", "cancel", "cancel", show=False)]

    def __init__(self, now: float, at: float | None) -> None:
        super().__init__()
        self.now, self.at = now, at

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = "Go to time"
            box.border_subtitle = "enter: go · esc: cancel · now: back to now"
            shown = "now" if self.at is None else fmt.utc_stamp(self.at)
            yield Static(f"showing {shown}; now is {fmt.utc_stamp(self.now)}", id="goto-help")
            yield Input(placeholder=EXAMPLES, id="goto-input", max_length=64)
            yield Static("", id="goto-error", markup=False)

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        try:
            at = parse_when(event.value, self.now)
        except ValueError as exc:
            self.query_one("#goto-error", Static).update(str(exc))
            return
        self.dismiss(at)

    def action_cancel(self) -> None:
        self.dismiss(None)

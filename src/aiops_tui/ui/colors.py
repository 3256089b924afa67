"""Status words mapped to the theme's $success / $warning / $error, for text built in code (table cells, bars).

Widgets styled by CSS classes use the same variables in their DEFAULT_CSS; this is for Rich text,
which needs a concrete colour, so whoever builds it redraws when the theme changes.
"""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.app import App

STATUS_VARIABLE = {
    "ok": "success", "warn": "warning", "bad": "error",
    "closed": "success", "half_open": "warning", "open": "error",
    "stale": "warning", "down": "error",
}


def status_style(app: App, status: str, *, bold: bool = False) -> Style:
    """The theme colour for a status (ok/warn/bad, a breaker or a source state); plain for a reading
    without a target, dim for anything unknown (a breaker or source in no known state)."""
    if status == "none":  # a reading with no target: plain text, not dimmed
        return Style(bold=bold)
    variable = STATUS_VARIABLE.get(status)
    color = app.theme_variables.get(variable) if variable else None
    if color is None:
        return Style(dim=True, bold=bold)
    return Style(color=color, bold=bold)


def styled(text: Text | str, app: App, status: str, *, bold: bool = False) -> Text:
    """A copy of `text` (a literal, never markup) in the status colour."""
    out = text.copy() if isinstance(text, Text) else Text(text)
    out.stylize(status_style(app, status, bold=bold))
    return out

"""Untrusted text (model, upstream and source names, labels, error messages) made safe to draw.

Everything here becomes a literal `rich.text.Text`: never parsed as markup, with terminal escape
sequences and other control characters removed so a label cannot clear the screen or forge a link.
"""

from __future__ import annotations

import re

from rich.style import Style
from rich.text import Text

# CSI (ESC [ ... final, or the C1 form \x9b), OSC (ESC ] ... BEL or ST), DCS/SOS/PM/APC strings,
# then any other two-character ESC sequence. Whole sequences go, so no "[2J" residue is left behind.
_ESCAPES = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]"
    r"|(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"
    r"|\x1b[ -/]*[0-~]?"
)
_SPACING = re.compile(r"[\t\n\r\v\f]+")
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def clean(value: object) -> str:
    """`value` as a string without escape sequences or C0/C1 control characters (line breaks become a space)."""
    text = _ESCAPES.sub("", str(value))
    text = _SPACING.sub(" ", text)
    return _CONTROLS.sub("", text)


def plain(value: object, style: str | Style = "") -> Text:
    """A literal Text of `value` (cleaned); square brackets stay brackets."""
    return Text(clean(value), style=style, no_wrap=True, overflow="ellipsis")

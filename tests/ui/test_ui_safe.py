"""Untrusted names reach the screen as literal text: markup stays text, escape sequences and control characters go."""

from __future__ import annotations

import pytest

from aiops_tui.ui.safe import clean, plain


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("[red]x[/]", "[red]x[/]"),
        ("[link=https://evil]y[/link]", "[link=https://evil]y[/link]"),
        ("\x1b[2Jllama-local", "llama-local"),  # the whole CSI sequence, not just the ESC
        ("a\x1b]8;;https://evil\x07b\x1b]8;;\x07c", "abc"),  # an OSC 8 hyperlink, BEL-terminated
        ("a\x1b]0;title\x1b\\b", "ab"),  # OSC set-title, ST-terminated
        ("bell\x07 nul\x00 del\x7f", "bell nul del"),
        ("c1\x85next", "c1next"),
        ("a\x9b31mb\x9b2Jc", "abc"),  # the C1 CSI, parameters and final byte too
        ("a\x9d52;c;ZXZpbA==\x07b", "ab"),  # a C1 OSC 52, BEL-terminated
        ("a\x9d8;;https://evil\x9cb", "ab"),  # a C1 OSC 8, ended by the C1 ST
        ("a\x90+q544e\x9cb", "ab"),  # a C1 DCS, ended by the C1 ST
        ("a\x1b]0;title\x9cb\x9cc", "abc"),  # a 7-bit OSC ended by the C1 ST; a lone ST
        ("two\nlines\ttab", "two lines tab"),
        ("ümlaut 模型 ✓", "ümlaut 模型 ✓"),
    ],
)
def test_clean_keeps_text_and_drops_controls(raw: str, shown: str) -> None:
    assert clean(raw) == shown
    assert plain(raw).plain == shown


def test_plain_text_has_no_markup_spans() -> None:
    text = plain("[bold red]alarm[/bold red]")
    assert text.plain == "[bold red]alarm[/bold red]"
    assert text.spans == []

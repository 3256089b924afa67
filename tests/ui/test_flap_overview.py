"""The breakers overview's name column: every name in the same number of cells, cut at its start."""

from __future__ import annotations

import pytest
from rich.cells import cell_len

from aiops_tui.ui.widgets.flap_overview import cut


@pytest.mark.parametrize(("name", "shown"), [
    ("openai/gpt-4o", "openai/gpt-4o       "),
    ("anthropic/claude-3-5-haiku", "…ic/claude-3-5-haiku"),  # the model, which tells a provider's two apart
    ("模型/大型语言模型-版本二", "…大型语言模型-版本二"),  # two cells a character: cut by cells, not characters
    ("大型语言模型语言模型-x", "…语言模型语言模型-x "),  # a wide character that would not fit leaves a cell to pad
])
def test_a_name_takes_its_cells_cut_at_the_start(name: str, shown: str) -> None:
    assert cut(name, 20) == shown and cell_len(shown) == 20

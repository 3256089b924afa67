"""The breakers overview's name column: every name in the same number of cells, cut at its start (a fleet's
name at the start of its gateway and of its upstream)."""

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


@pytest.mark.parametrize(("name", "width", "shown"), [
    # A fleet's name keeps its gateway and its upstream's end: the same upstream of two gateways stays apart.
    ("gw-lite · anthropic/claude-3-5-haiku", 26, "gw-lite · …laude-3-5-haiku"),
    ("gw-otel · anthropic/claude-3-5-haiku", 26, "gw-otel · …laude-3-5-haiku"),
    ("gw-a · openai/gpt-4o", 26, "gw-a · openai/gpt-4o      "),  # one that fits is whole
    # A long gateway name takes at most half the cells; each part keeps its end.
    ("prod-eu-west-gateway-1 · openai/gpt-4o-mini", 26, "…-gateway-1 · …gpt-4o-mini"),
    ("prod-eu-west-gateway-1 · local/x", 26, "…-west-gateway-1 · local/x"),  # a short upstream leaves it more
    ("gw-lite · anthropic/claude-3-5-haiku", 6, "…haiku"),  # no room for both: the end alone
])
def test_a_fleet_name_keeps_its_gateway_and_its_upstreams_end(name: str, width: int, shown: str) -> None:
    assert cut(name, width) == shown and cell_len(shown) == width

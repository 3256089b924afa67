"""The cockpit's tables show each value whole, even when a frame drew its row before the table measured it."""

from __future__ import annotations

from textual.app import App
from textual.widgets import DataTable

from aiops_tui.ui.widgets.table import Table, fill_rows


class OneTable(App[None]):
    CSS = "DataTable { height: 6; width: 60; }"  # a fixed size: measuring the rows does not resize the table

    def __init__(self, table: DataTable) -> None:
        super().__init__()
        self.table = table

    def compose(self):
        yield self.table


async def row_drawn_between_refill_and_measuring(table: DataTable) -> tuple[str, str]:
    """(the row drawn before the table measured it, the same row once it has) after a refill with longer values."""
    app = OneTable(table)
    async with app.run_test(size=(80, 10)) as pilot:
        table.add_columns("state", "upstream")
        fill_rows(table, [("a", ["○ CLOSED", "a/b"])])
        await pilot.pause()
        fill_rows(table, [("a", ["HALF-OPEN", "openai/gpt-4o"])])
        before = table.render_line(1).text  # a frame in between, as a resize or a busy loop brings
        await pilot.pause()
        await pilot.pause()
        return before, table.render_line(1).text


async def test_a_row_drawn_before_it_was_measured_is_drawn_again_whole() -> None:
    before, after = await row_drawn_between_refill_and_measuring(Table())
    assert "HALF-OPEN" not in before  # the frame in between: the old widths
    assert after.split() == ["HALF-OPEN", "openai/gpt-4o"]


async def test_the_stock_datatable_keeps_that_drawing() -> None:
    """Why Table exists: if this starts to fail, DataTable has been fixed upstream and Table can go."""
    before, after = await row_drawn_between_refill_and_measuring(DataTable())
    assert after == before and "HALF-OPEN" not in after

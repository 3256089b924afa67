"""Refill a DataTable without losing the row the engineer had selected."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import RenderableType
from textual.widgets import DataTable


def fill_rows(table: DataTable, rows: Sequence[tuple[str, Sequence[RenderableType]]]) -> None:
    """Replace all rows; `rows` are (key, cells). The cursor stays on the same key when it is still there."""
    selected: str | None = None
    if table.row_count and table.cursor_row < table.row_count:
        selected = table.coordinate_to_cell_key((table.cursor_row, 0)).row_key.value
    table.clear()
    seen: set[str] = set()
    for key, cells in rows:
        unique = key
        while unique in seen:  # two names that clean to the same text must still be two rows
            unique += "\u200b"
        seen.add(unique)
        table.add_row(*cells, key=unique)
    if selected in seen:
        table.move_cursor(row=table.get_row_index(selected), animate=False)

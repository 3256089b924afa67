"""The cockpit's tables: a DataTable that never keeps a row drawn before it was measured, refilled
without losing the row the engineer had selected, and not at all when it shows those rows already."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import RenderableType
from textual.widgets import DataTable

from aiops_tui.ui.widgets.redraw import same_content


class Table(DataTable):
    """DataTable measures new rows when idle, and caches each row's drawing under a key the measuring
    leaves as it was. A row drawn in between (by a frame of a resize, or of a refill whose values grew
    longer) kept the widths its columns had before: "HALF-OPE" for "HALF-OPEN", "openai/g" for
    "openai/gpt-4o", until the table happened to change size. Measuring now renews that key."""

    def _update_dimensions(self, new_rows) -> None:
        super()._update_dimensions(new_rows)
        self._update_count += 1  # as DataTable's own updates do: every cached drawing is stale


def _unique_keys(rows: Sequence[tuple[str, Sequence[RenderableType]]]) -> list[str]:
    seen: set[str] = set()
    keys = []
    for key, _ in rows:
        unique = key
        while unique in seen:  # two names that clean to the same text must still be two rows
            unique += "\u200b"
        seen.add(unique)
        keys.append(unique)
    return keys


def _shows(table: DataTable, keys: list[str], rows: Sequence[tuple[str, Sequence[RenderableType]]]) -> bool:
    """Whether `table` holds exactly these rows, in this order, each cell alike."""
    if [row.key.value for row in table.ordered_rows] != keys:
        return False
    return all(
        len(shown := table.get_row(key)) == len(cells) and all(map(same_content, shown, cells))
        for key, (_, cells) in zip(keys, rows)
    )


def fill_rows(table: DataTable, rows: Sequence[tuple[str, Sequence[RenderableType]]]) -> None:
    """Replace all rows; `rows` are (key, cells). The cursor stays on the same key when it is still there.
    Rows the table shows already are left alone: a refill repaints the whole table and scrolls it to the top."""
    keys = _unique_keys(rows)
    if _shows(table, keys, rows):
        return
    selected: str | None = None
    if table.row_count and table.cursor_row < table.row_count:
        selected = table.coordinate_to_cell_key((table.cursor_row, 0)).row_key.value
    table.clear()
    for key, (_, cells) in zip(keys, rows):
        table.add_row(*cells, key=key)
    if selected in keys:
        table.move_cursor(row=table.get_row_index(selected), animate=False)

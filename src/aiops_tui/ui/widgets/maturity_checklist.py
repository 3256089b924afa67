"""The maturity questions as a table: a heading row per dimension with its score, then a row per question
with its weight and answer; a suggestion from live signals is marked as such, an evidence note too."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import DataTable

from aiops_tui.signals.maturity import Assessment, Questionnaire, Score
from aiops_tui.ui.widgets.maturity_text import score_text
from aiops_tui.ui.widgets.table import fill_rows

SUGGESTED_MARK = "≈"
NOTE_MARK = "✎"
_HEADING = "dimension:"
"""Row keys of the dimension headings; question rows are keyed by question id."""


class MaturityChecklist(DataTable):
    DEFAULT_CSS = """
    MaturityChecklist { height: auto; max-height: 100%; }
    MaturityChecklist > .maturity-checklist--yes { color: $success; }
    MaturityChecklist > .maturity-checklist--no { color: $error; }
    MaturityChecklist > .maturity-checklist--unknown { color: $text-muted; }
    MaturityChecklist > .maturity-checklist--heading { text-style: bold; color: $accent; }
    """
    COMPONENT_CLASSES = DataTable.COMPONENT_CLASSES | {
        "maturity-checklist--yes", "maturity-checklist--no", "maturity-checklist--unknown", "maturity-checklist--heading",
    }

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=False)
        self._columns_shown: tuple[str, ...] = ()

    def on_resize(self) -> None:
        # Filled while its pane was hidden (no height), the table scrolled its cursor into a view of nothing
        # and hid the first heading. Sized now: from the top whenever the cursor shows from there.
        if self.scroll_y and self.cursor_row < self.size.height - self.header_height:
            self.scroll_to(y=0, animate=False)

    def set_assessment(
        self, questionnaire: Questionnaire, assessment: Assessment, result: Score, words: dict[str, str]
    ) -> None:
        """Fill the rows; the cursor stays on the selected question (and starts on the first one)."""
        header = (words["question"], words["weight"], words["answer"], "")
        if header != self._columns_shown:
            self.clear(columns=True)
            self.add_columns(*header)
            self._columns_shown = header
        heading_style = self.get_component_rich_style("maturity-checklist--heading")
        rows = []
        for dimension in questionnaire.dimensions:
            title = Text(f"{dimension.name} · {score_text(result.dimensions[dimension.id])}", style=heading_style)
            rows.append((f"{_HEADING}{dimension.id}", [title, Text(""), Text(""), Text("")]))
            for question in dimension.questions:
                record = assessment.record(question.id)
                weight = Text(f"{float(question.weight) * 100:g}%", justify="right")
                answer = Text(words[record.answer], style=self.get_component_rich_style(f"maturity-checklist--{record.answer}"))
                if record.suggested:
                    answer = Text.assemble(f"{SUGGESTED_MARK} ", answer)
                    answer.stylize("italic")
                note = NOTE_MARK if record.evidence and not record.suggested else ""
                rows.append((question.id, [Text(f"  {question.text}"), weight, answer, Text(note)]))
        first_fill = not self.row_count
        fill_rows(self, rows)
        if first_fill and self._on_heading():
            self.move_cursor(row=1, animate=False)

    def selected_question_id(self) -> str | None:
        """The question under the cursor; None on a dimension heading or an empty table."""
        key = self._cursor_key()
        return None if key is None or key.startswith(_HEADING) else key

    def _cursor_key(self) -> str | None:
        if not self.row_count:
            return None
        return self.coordinate_to_cell_key((self.cursor_row, 0)).row_key.value

    def _on_heading(self) -> bool:
        key = self._cursor_key()
        return key is not None and key.startswith(_HEADING)

    # Arrow keys step over the headings, so every stop is a question that y/n/u can answer.
    def action_cursor_down(self) -> None:
        super().action_cursor_down()
        if self._on_heading() and self.cursor_row < self.row_count - 1:
            super().action_cursor_down()

    def action_cursor_up(self) -> None:
        super().action_cursor_up()
        if self._on_heading():
            if self.cursor_row == 0:
                super().action_cursor_down()
            else:
                super().action_cursor_up()

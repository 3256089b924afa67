"""The capability matrix (Deployment, Monitoring, AI, Incidents, Scalability by 4 levels) with the
organisation's column highlighted and marked in words, so the colour is never the only cue. A level
without a column of its own (Initial sits in Ad-hoc's) is named beside the column it sits in."""

from __future__ import annotations

from collections.abc import Mapping

from rich import box
from rich.table import Table
from textual.widget import Widget

from aiops_tui.signals.maturity import Questionnaire, Score, capability_placement


class CapabilityMatrix(Widget):
    DEFAULT_CSS = """
    CapabilityMatrix { height: auto; }
    CapabilityMatrix > .capability-matrix--current { background: $accent 30%; text-style: bold; }
    CapabilityMatrix > .capability-matrix--other { color: $text-muted; }
    """
    COMPONENT_CLASSES = {"capability-matrix--current", "capability-matrix--other"}

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._state: tuple[Questionnaire, Score, Mapping[str, str]] | None = None

    def set_score(self, questionnaire: Questionnaire, score: Score, words: Mapping[str, str]) -> None:
        """`words` holds the "you_are_here" ({column}) and "you_are_here_in" ({level}, {column}) formats."""
        self._state = (questionnaire, score, words)
        self.refresh(layout=True)

    def render(self) -> Table | str:
        if self._state is None:
            return ""
        questionnaire, score, words = self._state
        placements = capability_placement(score, questionnaire)
        current = placements[0].column if placements else 0
        here = self.get_component_rich_style("capability-matrix--current")
        other = self.get_component_rich_style("capability-matrix--other")
        column = questionnaire.matrix_columns[current - 1] if current else ""
        level = score.level
        owner = next(lv for lv in questionnaire.levels if lv.matrix_column == level.matrix_column)
        here_text = words["you_are_here" if level is owner else "you_are_here_in"].format(level=level.name, column=column)
        table = Table(
            title=f"{questionnaire.matrix_title} · ▶ {here_text}", title_justify="left", title_style="bold",
            box=box.SIMPLE_HEAD, pad_edge=False, expand=True, show_edge=False, padding=(0, 1, 0, 0),
        )
        table.add_column(questionnaire.matrix_header, style="bold", no_wrap=True)
        for n, name in enumerate(questionnaire.matrix_columns, start=1):
            if n == current:
                table.add_column(f"▶ {name}", style=here, header_style=here)
            else:
                table.add_column(name, style=other)
        for capability in questionnaire.capabilities:
            table.add_row(capability.name, *capability.values)
        return table

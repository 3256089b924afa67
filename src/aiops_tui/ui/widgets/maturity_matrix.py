"""The capability matrix (Deployment, Monitoring, AI, Incidents, Scalability by 4 levels) with the
organisation's column highlighted and marked in words, so the colour is never the only cue."""

from __future__ import annotations

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
        self._state: tuple[Questionnaire, Score, str] | None = None

    def set_score(self, questionnaire: Questionnaire, score: Score, you_are_here: str) -> None:
        self._state = (questionnaire, score, you_are_here)
        self.refresh(layout=True)

    def render(self) -> Table | str:
        if self._state is None:
            return ""
        questionnaire, score, you_are_here = self._state
        placements = capability_placement(score, questionnaire)
        current = placements[0].column if placements else 0
        here = self.get_component_rich_style("capability-matrix--current")
        other = self.get_component_rich_style("capability-matrix--other")
        where = questionnaire.matrix_columns[current - 1] if current else ""
        table = Table(
            title=f"{questionnaire.matrix_title} · ▶ {you_are_here}: {where}", title_justify="left", title_style="bold",
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

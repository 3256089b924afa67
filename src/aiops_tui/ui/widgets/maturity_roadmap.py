"""Recommendations: each question not answered yes, weakest dimension first, with the roadmap phase
(and its objective) that closes the gap."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text

from aiops_tui.signals.maturity import Recommendation
from aiops_tui.ui.widgets.lines import LinesWidget


def phase_text(rec: Recommendation, words: dict[str, str]) -> str:
    if rec.objective:
        return words["phase_line"].format(phase=rec.phase_name, months=rec.duration_months, objective=rec.objective)
    return words["phase_line_short"].format(phase=rec.phase_name, months=rec.duration_months)


class MaturityRoadmap(LinesWidget):
    DEFAULT_CSS = """
    MaturityRoadmap { height: auto; text-wrap: nowrap; text-overflow: ellipsis; }
    MaturityRoadmap > .maturity-roadmap--phase { color: $text-muted; }
    MaturityRoadmap > .maturity-roadmap--no { color: $error; }
    """
    COMPONENT_CLASSES = {"maturity-roadmap--phase", "maturity-roadmap--no"}

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._state: tuple[Sequence[Recommendation], dict[str, str]] | None = None

    def set_recommendations(self, recs: Sequence[Recommendation], words: dict[str, str]) -> None:
        self._state = (recs, words)
        self.refresh(layout=True)

    def _build(self) -> list[Text]:
        if self._state is None:
            return []
        recs, words = self._state
        lines = [Text(words["recommendations"], style="bold")]
        if not recs:
            lines.append(Text(words["all_yes"]))
        phase_style = self.get_component_rich_style("maturity-roadmap--phase")
        for rec in recs:
            mark = ("✗ ", self.get_component_rich_style("maturity-roadmap--no")) if rec.answer == "no" else ("? ", phase_style)
            lines.append(Text.assemble(mark, rec.question))
            lines.append(Text(f"  → {phase_text(rec, words)}", style=phase_style))
        for line in lines:
            line.no_wrap, line.overflow = True, "ellipsis"
        return lines

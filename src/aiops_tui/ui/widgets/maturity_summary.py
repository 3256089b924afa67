"""The assessment at a glance: overall score and level, the weakest dimension beside the mean, and a
bar per dimension on a fixed 0-1 scale."""

from __future__ import annotations

from fractions import Fraction

from rich.style import Style
from rich.text import Text
from textual.widget import Widget

from aiops_tui.signals.maturity import Questionnaire, Score
from aiops_tui.ui.widgets.maturity_text import score_text

BAR_CELLS = 12
BOLD = Style(bold=True)


def band_status(value: Fraction, questionnaire: Questionnaire) -> str:
    """bad in the two lowest levels, warn in the middle one, ok from Managed up."""
    index = questionnaire.levels.index(questionnaire.level_for(value))
    return "bad" if index < 2 else "warn" if index == 2 else "ok"


class MaturitySummary(Widget):
    DEFAULT_CSS = """
    MaturitySummary { height: auto; text-wrap: nowrap; text-overflow: ellipsis; }
    MaturitySummary > .maturity-summary--ok { color: $success; }
    MaturitySummary > .maturity-summary--warn { color: $warning; }
    MaturitySummary > .maturity-summary--bad { color: $error; }
    MaturitySummary > .maturity-summary--rest { color: $panel-lighten-2; }
    MaturitySummary > .maturity-summary--muted { color: $text-muted; }
    """
    COMPONENT_CLASSES = {
        "maturity-summary--ok", "maturity-summary--warn", "maturity-summary--bad", "maturity-summary--rest",
        "maturity-summary--muted",
    }

    def __init__(self, *, headline: bool = False, id: str | None = None) -> None:
        """`headline`: only one line (score, level and the weakest dimension), for short or narrow terminals."""
        super().__init__(id=id)
        self.headline = headline
        self._state: tuple[Questionnaire, Score, int, dict[str, str]] | None = None

    def set_score(self, questionnaire: Questionnaire, score: Score, suggested_count: int, words: dict[str, str]) -> None:
        self._state = (questionnaire, score, suggested_count, words)
        self.refresh(layout=True)

    def get_content_height(self, container, viewport, width: int) -> int:
        if self._state is None:
            return 0
        return 1 if self.headline else len(self._state[0].dimensions) + 3

    def render(self) -> Text:
        if self._state is None:
            return Text("")
        questionnaire, score, suggested_count, words = self._state
        style = lambda status: self.get_component_rich_style(f"maturity-summary--{status}")  # noqa: E731
        muted = style("muted")
        overall_status = band_status(score.overall, questionnaire)
        weakest = questionnaire.dimension(score.weakest)
        lines = [
            Text.assemble(
                (f"{words['score']} ", "bold"), (score_text(score.overall), style(overall_status) + BOLD),
                " · ", (score.level.name, style(overall_status) + BOLD),
            ),
            Text.assemble(
                f"{words['weakest']} ", (weakest.name, "bold"), f" {score_text(score.dimensions[weakest.id])}",
                (f" · {words['mean']} {score_text(score.overall)}", muted),
            ),
        ]
        if self.headline:
            text = Text.assemble(lines[0], " · ", lines[1])
            text.no_wrap, text.overflow = True, "ellipsis"
            return text
        name_width = max(len(d.name) for d in questionnaire.dimensions) + 2
        for dimension in questionnaire.dimensions:
            value = score.dimensions[dimension.id]
            filled = round(float(value) * BAR_CELLS)
            marker = "◀" if dimension.id == weakest.id else " "
            status = band_status(value, questionnaire)
            lines.append(Text.assemble(
                f"{dimension.name:<{name_width}}",
                ("█" * filled, style(status)), ("░" * (BAR_CELLS - filled), style("rest")),
                f" {score_text(value)} ", (marker, "bold"),
            ))
        notes = [words["unknown_count"].format(n=score.unknown_count)] if score.unknown_count else []
        if suggested_count:
            notes.append(words["suggested_count"].format(n=suggested_count))
        lines.append(Text(" · ".join(notes), style=muted))
        text = Text("\n").join(lines)
        text.no_wrap, text.overflow = True, "ellipsis"
        return text

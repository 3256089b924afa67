"""Saved assessments over time: the overall score of each as a sparkline on a fixed 0-1 scale, and what
changed since the last save (or, when nothing has, between the last two saves)."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text

from aiops_tui.signals.maturity import Assessment, Questionnaire, diff, score
from aiops_tui.ui import fmt
from aiops_tui.ui.safe import plain
from aiops_tui.ui.widgets.maturity_text import delta_text, score_text
from aiops_tui.ui.widgets.lines import LinesWidget

SPARK_CHARS = "▁▂▃▄▅▆▇█"
MAX_CHANGES = 4


def spark(values: Sequence[float]) -> str:
    """One character per value on a fixed 0-1 scale, so the same score always draws the same height."""
    top = len(SPARK_CHARS) - 1
    return "".join(SPARK_CHARS[min(top, max(0, round(v * top)))] for v in values)


def when(ts: float) -> str:
    return fmt.utc_stamp(ts).removesuffix(" UTC")[:16]


class MaturityHistory(LinesWidget):
    DEFAULT_CSS = """
    MaturityHistory { height: auto; text-wrap: nowrap; text-overflow: ellipsis; }
    MaturityHistory > .maturity-history--spark { color: $accent; }
    MaturityHistory > .maturity-history--muted { color: $text-muted; }
    MaturityHistory > .maturity-history--up { color: $success; }
    MaturityHistory > .maturity-history--down { color: $error; }
    """
    COMPONENT_CLASSES = {"maturity-history--spark", "maturity-history--muted", "maturity-history--up", "maturity-history--down"}

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._lines: list[Text] = []
        self._state: tuple[Questionnaire, Sequence[Assessment], Assessment, bool, dict[str, str]] | None = None

    def set_history(
        self, questionnaire: Questionnaire, saved: Sequence[Assessment], current: Assessment, unsaved: bool,
        words: dict[str, str],
    ) -> None:
        """`saved` oldest first; `unsaved` says `current` differs from the last saved one."""
        self._state = (questionnaire, saved, current, unsaved, words)
        self.refresh(layout=True)

    def _build(self) -> list[Text]:
        if self._state is None:
            return []
        questionnaire, saved, current, unsaved, words = self._state
        muted = self.get_component_rich_style("maturity-history--muted")
        lines = [Text(words["history"], style="bold")]
        if not saved:
            lines.append(Text(words["never_saved"], style=muted))
            return self._fit(lines)
        overall = [score(a, questionnaire).overall for a in saved]
        width = max(8, (self.size.width or 40) - 14)
        lines.append(Text.assemble(
            (spark([float(v) for v in overall[-width:]]), self.get_component_rich_style("maturity-history--spark")),
            f"  {score_text(overall[0])} → {score_text(overall[-1])}" if len(overall) > 1 else f"  {score_text(overall[-1])}",
        ))
        lines.append(Text(
            words["saved_times"].format(n=len(saved), first=fmt.utc_date(saved[0].ts), last=fmt.utc_date(saved[-1].ts)),
            style=muted,
        ))
        if unsaved:
            before, after = saved[-1], current
            lines.append(Text(words["unsaved_since"].format(when=when(before.ts))))
        elif len(saved) > 1:
            before, after = saved[-2], saved[-1]
            lines.append(Text(words["saved_vs"].format(when=when(after.ts), before=when(before.ts))))
        else:
            lines.append(Text(words["same_as_saved"].format(when=when(saved[-1].ts)), style=muted))
            return self._fit(lines)
        lines += self._changes(questionnaire, before, after, words)
        return self._fit(lines)

    def _changes(self, questionnaire: Questionnaire, before: Assessment, after: Assessment, words: dict[str, str]) -> list[Text]:
        change = diff(before, after, questionnaire)
        muted = self.get_component_rich_style("maturity-history--muted")
        if not change.changes:
            return [Text(f"  {words['no_change']}", style=muted)]
        shown = change.changes[:MAX_CHANGES]
        old_width = max(len(words[c.old]) for c in shown)
        new_width = max(len(words[c.new]) for c in shown)
        # The answers first: when the line is cut to fit, it is the question's end that goes.
        lines = [
            Text.assemble(f"  {words[c.old]:>{old_width}} → ", (f"{words[c.new]:<{new_width}}", "bold"), "  ",
                          plain(questionnaire.question(c.question_id).text))
            for c in shown
        ]
        if len(change.changes) > MAX_CHANGES:
            lines.append(Text(f"  {words['more_changes'].format(n=len(change.changes) - MAX_CHANGES)}", style=muted))
        moved = "up" if change.overall_delta > 0 else "down" if change.overall_delta < 0 else "muted"
        delta = delta_text(score(before, questionnaire).overall, score(after, questionnaire).overall)
        before_level, after_level = change.level_before.name, change.level_after.name
        levels = after_level if before_level == after_level else f"{before_level} → {after_level}"
        lines.append(Text.assemble("  ", (words["score_moved"].format(delta=delta, levels=levels),
                                          self.get_component_rich_style(f"maturity-history--{moved}"))))
        return lines

    @staticmethod
    def _fit(lines: list[Text]) -> list[Text]:
        for line in lines:
            line.no_wrap, line.overflow = True, "ellipsis"
        return lines

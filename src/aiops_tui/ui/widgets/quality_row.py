"""The golden pane's AI-quality row: validation pass rate, the human-review queue and audit coverage on one line,
each part in its status colour and with its target in words; boxed like the tiles, or bare where rows are scarce.
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from aiops_tui.signals.quality import QualityRow, QualityTargets
from aiops_tui.signals.readings import Reading
from aiops_tui.ui import fmt
from aiops_tui.ui.colors import styled
from aiops_tui.ui.safe import plain
from aiops_tui.ui.widgets.redraw import LastDrawn, content_key, update_static

ABSENT = "no AI-quality signals from this source"
SEPARATOR = " │ "
STATUS_CLASSES = ("-ok", "-warn", "-bad", "-none")
LEVELS = 5
"""Wordings from the longest (every target in words) to the shortest, which leaves out the reviews per hour;
the widget shows the longest that fits."""


def _judged(value: str, reading: Reading, goal: str, level: int) -> list[tuple[str, str]]:
    """A higher-is-better ratio, then how it stands against `goal` in words (colour is never the only cue);
    level 1 drops the words while it is on target, level 2 the word "target" too."""
    if reading.missing:
        return [(reading.note, "missing")]
    if reading.status == "none":  # no target to judge by
        return [(value, "none")]
    bound = goal if goal == "100 %" else f"≥{goal}"  # nothing exceeds 100 %
    if reading.status == "bad":
        words = f" UNDER target {goal}" if level <= 1 else f" UNDER {goal}"
    elif reading.status == "warn":
        words = f" near target {bound}" if level <= 1 else f" near {bound}"
    else:
        words = f" target {bound}" if level == 0 else ""
    status = reading.status if reading.status != "ok" else "dim"
    return [(value, reading.status), (words, status)]


def _value(reading: Reading, formatter) -> tuple[str, str]:
    """The formatted value and its status, or why there is none ("no data", "no traffic")."""
    return (reading.note, "missing") if reading.missing else (formatter(reading.value), reading.status)


class QualityStrip(Static):
    """Shows a `QualityRow` (or says there is none); `compact` drops the box for a one-line label."""

    DEFAULT_CSS = """
    QualityStrip {
        height: 3;
        border: round $panel-lighten-2;
        border-title-color: $foreground;
        padding: 0 1;
    }
    QualityStrip.-ok { border: round $success; }
    QualityStrip.-warn { border: round $warning; }
    QualityStrip.-bad { border: round $error; border-title-style: bold; }
    QualityStrip.-compact, QualityStrip.-absent { height: 1; border: none; padding: 0; }
    QualityStrip.-absent { color: $text-muted; }
    """

    def __init__(self, targets: QualityTargets | None = None, *, id: str | None = None) -> None:
        super().__init__("", id=id)
        self.targets = targets or QualityTargets()
        self.row: QualityRow | None = None
        self.border_title = "AI quality"
        self.subtitle_drawn = LastDrawn()

    def set_row(self, row: QualityRow | None) -> None:
        self.row = row
        status = row.status if row is not None else "none"
        classes = {cls: cls == f"-{status}" for cls in STATUS_CLASSES}
        self.update_classes({**classes, "-absent": row is None})  # one restyle, not one per class
        subtitle = self._worst_model(row) if row is not None else None
        if self.subtitle_drawn.changed(content_key(subtitle)):  # setting it repaints even when it is the same
            self.border_subtitle = subtitle
        self._draw()

    def on_resize(self) -> None:
        self._draw()

    def _draw(self) -> None:
        if self.row is None:
            update_static(self, Text(ABSENT, style="italic"))
            return
        compact = self.has_class("-compact")
        room = self.size.width or 999
        for level in range(LEVELS):
            text = self.render_row(self.row, level)
            if compact:
                text = Text.assemble(("AI quality " if level < 3 else "AI ", "bold"), text)
            if text.cell_len <= room:
                break
        text.no_wrap, text.overflow = True, "ellipsis"
        update_static(self, text)

    def render_row(self, row: QualityRow, level: int) -> Text:
        """The row's text at wording `level` (0 longest), each value styled by its reading's status."""
        with_reviews, level = level < 4, min(level, 3)
        validation = [(("validation ", "validation ", "validation ", "valid ")[level], "dim"),
                       *_judged(fmt.pct(row.validation_pass_ratio.value), row.validation_pass_ratio,
                                fmt.pct(self.targets.validation_pass_ratio, 0), level)]

        oldest = row.review_oldest_age_s
        queue = [(("review queue ", "review queue ", "queue ", "queue ")[level], "dim"),
                 _value(row.review_queue_depth, fmt.count)]
        if row.review_queue_depth.value == 0:
            queue.append((" (empty)", "dim"))  # its oldest item's age would read as a fresh one
        else:
            queue += [((", oldest ", ", oldest ", " · oldest ", " · ")[level], "dim"), _value(oldest, fmt.age)]
        if self.targets.review_oldest_age_s and oldest.status == "bad" and row.review_queue_depth.value != 0:
            queue.append((f" OVER {fmt.age(self.targets.review_oldest_age_s)}", "bad"))

        per_h = lambda v: f"{fmt.count(v)}/h"  # noqa: E731 - reviews per hour
        reviews = [(("reviewed ", "reviewed ", "reviewed ", "rev ")[level], "dim"),
                   _value(row.reviewed_per_h, per_h if level < 3 else fmt.count)]
        if not row.review_capacity_per_h.missing:
            reviews.append((" of " + per_h(row.review_capacity_per_h.value), "dim"))

        audit = [(("audited ", "audited ", "audit ", "audit ")[level], "dim"),
                 *_judged(fmt.pct(row.audit_coverage_ratio.value), row.audit_coverage_ratio,
                          fmt.pct(self.targets.audit_coverage_ratio, 0), level)]

        out = Text()
        for n, group in enumerate((validation, queue, reviews, audit) if with_reviews else (validation, queue, audit)):
            if n:
                out.append(SEPARATOR, style="dim")
            for part, status in group:
                out.append_text(self._styled(part, status))
        return out

    def _worst_model(self, row: QualityRow) -> Text | None:
        """The model with the lowest pass rate, when it is off target: a drop confined to one model shows which."""
        model, reading = next(iter(row.pass_ratio_by_model.items()), ("", None))
        if reading is None or reading.status not in ("warn", "bad"):
            return None
        return Text.assemble(" worst model ", plain(model), " ", fmt.pct(reading.value), " ")

    def _styled(self, part: str, status: str) -> Text:
        if status in ("dim", "missing"):
            return Text(part, style="dim" if status == "dim" else "dim italic")
        if status in ("ok", "warn", "bad"):
            return styled(part, self.app, status, bold=status == "bad")
        return Text(part)

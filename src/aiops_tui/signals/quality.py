"""AI output quality as the golden pane's quality row: validation pass rate, the human-review queue
(depth, oldest item, reviews per hour) and audit coverage, each judged against its target.

Reads the same `latest` mapping as `golden.build_view`: (signal, model) -> value, model "" for
the total across models.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from aiops_tui.signals.readings import NO_DATA, Reading, judge

QUALITY_SIGNALS = (
    "validation_pass_ratio", "review_queue_depth", "review_oldest_age_s", "reviewed_per_h",
    "review_capacity_per_h", "audit_coverage_ratio",
)
"""The `signal:*` names the row reads (the aiops_sim profile provides them)."""


@dataclass(frozen=True, slots=True)
class QualityTargets:
    validation_pass_ratio: float = 0.98
    audit_coverage_ratio: float = 1.0
    review_oldest_age_s: float | None = 3600.0
    """A failed item should reach a reviewer within the hour; None shows the age unjudged."""

    @classmethod
    def from_config(cls, targets) -> "QualityTargets":
        """From config's `TargetsConfig` (`targets.validation_pass_ratio`, `.audit_coverage_ratio`)."""
        return cls(targets.validation_pass_ratio, targets.audit_coverage_ratio)


@dataclass(frozen=True, slots=True)
class QualityRow:
    validation_pass_ratio: Reading
    review_queue_depth: Reading
    """Shown without a target: how deep is too deep depends on the reviewers' capacity."""
    review_oldest_age_s: Reading
    reviewed_per_h: Reading
    review_capacity_per_h: Reading
    audit_coverage_ratio: Reading
    pass_ratio_by_model: Mapping[str, Reading]
    """Per model, worst first: a drop confined to one model shows which."""

    @property
    def present(self) -> bool:
        """False when the source reports no quality signals at all (hide the row, or say so)."""
        return any(r != NO_DATA for r in (
            self.validation_pass_ratio, self.review_queue_depth, self.review_oldest_age_s,
            self.reviewed_per_h, self.audit_coverage_ratio))

    @property
    def status(self) -> str:
        """The worst judged reading: bad | warn | ok | none."""
        statuses = {r.status for r in (self.validation_pass_ratio, self.review_oldest_age_s,
                                       self.audit_coverage_ratio)}
        return next((s for s in ("bad", "warn", "ok") if s in statuses), "none")


def bad_below(target_ratio: float) -> float:
    """Where a below-target ratio turns from warn to bad: once the shortfall exceeds the allowed
    failure share (1 - target) or one point, whichever is larger. 98 % -> 96 %; 100 % -> 99 %."""
    return target_ratio - max(1.0 - target_ratio, 0.01)


def judge_ratio(value: float | None, target_ratio: float) -> Reading:
    """Higher is better; warn just under the target, bad past `bad_below` (not judge()'s default
    80 %, which would call an 88 % validation pass rate merely a warning)."""
    if target_ratio <= 0:
        return judge(value, None)
    return judge(value, target_ratio, higher_is_better=True,
                 warn_margin=max(0.0, bad_below(target_ratio)) / target_ratio)


def quality_readings(latest: Mapping[tuple[str, str], float], targets: QualityTargets | None = None) -> QualityRow:
    """The quality row from the latest `signal:*` values. A pass or coverage ratio with nothing
    processed is NaN upstream and reads "no traffic"; a source without the series, "no data"."""
    targets = targets or QualityTargets()
    models = sorted({m for (signal, m) in latest if m and signal == "validation_pass_ratio"})
    by_model = {m: judge_ratio(latest.get(("validation_pass_ratio", m)), targets.validation_pass_ratio) for m in models}
    order = {"bad": 0, "warn": 1, "ok": 2, "none": 3}
    worst_first = dict(sorted(by_model.items(), key=lambda item: (order[item[1].status], item[1].value or 0.0, item[0])))
    return QualityRow(
        validation_pass_ratio=judge_ratio(latest.get(("validation_pass_ratio", "")), targets.validation_pass_ratio),
        review_queue_depth=judge(latest.get(("review_queue_depth", "")), None),
        review_oldest_age_s=judge(latest.get(("review_oldest_age_s", "")), targets.review_oldest_age_s),
        reviewed_per_h=judge(latest.get(("reviewed_per_h", "")), None),
        review_capacity_per_h=judge(latest.get(("review_capacity_per_h", "")), None),
        audit_coverage_ratio=judge_ratio(latest.get(("audit_coverage_ratio", "")), targets.audit_coverage_ratio),
        pass_ratio_by_model=worst_first,
    )

"""The demo gateway's output-quality stage: every generated response is checked by rule (security,
compliance, accuracy); one that fails any rule waits in a human-review queue worked oldest first at
a fixed reviewer capacity; every processed item is written to the audit log.

Its own random stream (seeded from the gateway's seed) keeps the traffic draws unchanged by it.
"""

from __future__ import annotations

import math
import random
from bisect import bisect_right
from collections import deque

RULES = ("security", "compliance", "accuracy")
# Per generated response, independent: all three pass (1-.0005)(1-.001)(1-.0015) = 99.70 % of
# the time, so even a quiet night minute (~80 items) rarely dips under a 98 % target.
RULE_FAILURE_RATIOS = (0.0005, 0.001, 0.0015)
# A x40 drop fails the rules 2 %, 4 % and 6 % of the time: .98 * .96 * .94 = 88.4 % pass.
DEFAULT_VALIDATION_DROP_FACTOR = 40.0
# Two reviewers at 30 items an hour: twice the ~30 failed items an hour of average traffic.
REVIEW_CAPACITY_PER_H = 60.0
VALIDATION_PASS_TARGET_RATIO = 0.98  # what /status judges against (the cockpit has its own)
REVIEW_OLDEST_AGE_TARGET_S = 3600.0  # a failed item should reach a reviewer within the hour
_SECONDS_PER_H = 3600.0


def pass_ratio_for(factor: float, failure_ratios: tuple[float, ...] = RULE_FAILURE_RATIOS) -> float:
    """The share of items that pass every rule when each rule fails `factor` times as often."""
    return math.prod(1.0 - min(1.0, factor * p) for p in failure_ratios)


def factor_for_pass_ratio(target_ratio: float,
                          failure_ratios: tuple[float, ...] = RULE_FAILURE_RATIOS) -> float:
    """The failure multiplier that makes `pass_ratio_for` equal `target_ratio` (0..1)."""
    if not (math.isfinite(target_ratio) and 0.0 <= target_ratio <= 1.0):
        raise ValueError("pass_ratio must be between 0 and 1")
    low, high = 0.0, 1.0 / max(failure_ratios)  # at `high` the likeliest rule always fails: 0 %
    for _ in range(60):  # bisection: pass_ratio_for falls as the factor grows
        middle = (low + high) / 2
        if pass_ratio_for(middle, failure_ratios) > target_ratio:
            low = middle
        else:
            high = middle
    return (low + high) / 2


class QualityStage:
    """Counters by model index; the queue holds [enqueued_ts, model, count] groups, oldest first."""

    def __init__(self, model_count: int, seed: int, *,
                 review_capacity_per_h: float = REVIEW_CAPACITY_PER_H) -> None:
        self.review_capacity_per_h = review_capacity_per_h
        self._rng = random.Random(f"{seed}:quality")  # str seeds hash with SHA-512: reproducible
        # (model, rule index, "pass" | "fail") -> rule checks; (model, result) -> items.
        self.checks = {(m, r, result): 0 for m in range(model_count) for r in range(len(RULES))
                       for result in ("pass", "fail")}
        self.items = {(m, result): 0 for m in range(model_count) for result in ("pass", "fail")}
        # Per model and outcome (bit r set: rule r failed), the `checks` keys that outcome counts in.
        self._check_keys = [[tuple((m, r, "fail" if mask >> r & 1 else "pass")
                                   for r in range(len(RULES)))
                             for mask in range(1 << len(RULES))] for m in range(model_count)]
        self.processed = [0] * model_count
        self.audited = [0] * model_count
        self.reviewed = [0] * model_count
        self.queue_depth = 0
        self._queue: deque[list] = deque()
        self._review_credit = 0.0  # in item-seconds of reviewer time, so the sums stay exact
        self._cells: dict[float, list[float]] = {}

    def validate(self, ts: float, model: int, items: int, failure_factor: float = 1.0) -> int:
        """Check `items` generated responses of one model; returns how many failed a rule."""
        cum = self._cells.get(failure_factor) or self._outcome_cells(failure_factor)
        outcomes = [0] * len(cum)  # index = bit mask of the rules that failed
        draw = self._rng.random
        for _ in range(items):
            outcomes[bisect_right(cum, draw())] += 1
        checks = self.checks
        for keys, count in zip(self._check_keys[model], outcomes):
            if count:
                for key in keys:
                    checks[key] += count
        failed = items - outcomes[0]
        self.items[(model, "pass")] += outcomes[0]
        self.items[(model, "fail")] += failed
        self.processed[model] += items
        self.audited[model] += items  # the audit log writes an entry for every processed item
        if failed:
            self._queue.append([ts, model, failed])
            self.queue_depth += failed
        return failed

    def review(self, elapsed_s: float) -> None:
        """Reviewers work the queue oldest first; idle time is not banked for later."""
        cost = _SECONDS_PER_H
        self._review_credit += self.review_capacity_per_h * elapsed_s
        while self._queue and self._review_credit >= cost:
            group = self._queue[0]
            taken = min(group[2], int(self._review_credit // cost))
            group[2] -= taken
            self.reviewed[group[1]] += taken
            self.queue_depth -= taken
            self._review_credit -= taken * cost
            if not group[2]:
                self._queue.popleft()
        if not self._queue:
            self._review_credit = min(self._review_credit, cost)

    def oldest_age_s(self, now_ts: float) -> float:
        """How long the oldest item in the queue has waited (0 when the queue is empty)."""
        return now_ts - self._queue[0][0] if self._queue else 0.0

    def _outcome_cells(self, failure_factor: float) -> list[float]:
        fail = [min(1.0, failure_factor * p) for p in RULE_FAILURE_RATIOS]
        weights = [math.prod(fail[r] if mask >> r & 1 else 1.0 - fail[r] for r in range(len(RULES)))
                   for mask in range(1 << len(RULES))]
        total = sum(weights)
        cum, running = [], 0.0
        for weight in weights:
            running += weight
            cum.append(running / total)
        cum[-1] = 1.0
        self._cells[failure_factor] = cum
        return cum

"""A number on a tile: its value, why it may be missing, and how it stands against its target."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Reading:
    value: float | None
    """None when there is nothing to show; `note` then says why."""
    status: str = "none"
    """ok | warn | bad | none (no target, or nothing to judge)."""
    note: str = ""
    """"no data" (the source has no such series) or "no traffic" (a ratio or quantile of nothing)."""

    @property
    def missing(self) -> bool:
        return self.value is None


NO_DATA = Reading(None, "none", "no data")
NO_TRAFFIC = Reading(None, "none", "no traffic")


def judge(value: float | None, target: float | None, *, higher_is_better: bool = False, warn_margin: float = 0.8) -> Reading:
    """Compare with a target: bad past it, warn within `warn_margin` of it, else ok.

    For lower-is-better signals (latency, error ratio) warn starts at 80 % of the target; for
    higher-is-better ones (cache hit rate) warn starts below the target and bad below 80 % of it.
    """
    if value is None:
        return NO_DATA
    if math.isnan(value):
        return NO_TRAFFIC
    if target is None:
        return Reading(value)
    if higher_is_better:
        status = "ok" if value >= target else "warn" if value >= target * warn_margin else "bad"
    else:
        status = "bad" if value > target else "warn" if value > target * warn_margin else "ok"
    return Reading(value, status)

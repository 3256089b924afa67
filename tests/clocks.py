"""The clock the tests hand to whatever reads the time."""

from __future__ import annotations


class HandClock:
    """A clock that moves only when the test moves it (forward, or back like an NTP step)."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

"""A resilience4j-style circuit breaker (count-based sliding window) driven by sim time."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

CLOSED, OPEN, HALF_OPEN = "closed", "open", "half_open"
STATES = (CLOSED, OPEN, HALF_OPEN)


@dataclass(frozen=True, slots=True)
class BreakerConfig:
    # A short window trips on two failed calls out of four: at the demo's ~1 call/s per upstream
    # an outage opens the breaker in about 2 s of sim time (1.3 s at peak, 3 s at night).
    failure_rate_threshold_pct: float = 50.0
    window_calls: int = 4
    minimum_calls: int = 4
    open_timeout_s: float = 30.0
    half_open_calls: int = 3


class CircuitBreaker:
    """closed -> open when the failure rate over the window crosses the threshold; open ->
    half_open after the timeout; half_open -> closed or open on the outcome of a few probe calls."""

    def __init__(self, name: str, now_ts: float, config: BreakerConfig | None = None) -> None:
        self.name = name
        self.config = config or BreakerConfig()
        self.state = CLOSED
        self.since_ts = now_ts
        self.not_permitted_calls = 0
        self.times_opened = 0
        self.transitions: deque[tuple[float, str, str]] = deque(maxlen=256)
        self._window: deque[bool] = deque(maxlen=self.config.window_calls)  # True = failed
        self._window_failures = 0
        self._probes_left = 0
        self._probe_calls = 0
        self._probe_failures = 0
        self._tripped_rate_pct = -1.0

    # -- state machine ------------------------------------------------------------------------

    def tick(self, now_ts: float) -> None:
        """Time-driven transitions (resilience4j's automatic open -> half_open)."""
        if self.state == OPEN and now_ts - self.since_ts >= self.config.open_timeout_s:
            self._transition(HALF_OPEN, now_ts)

    def try_acquire(self, now_ts: float) -> bool:
        if self.state == CLOSED:
            return True
        self.tick(now_ts)
        if self.state == HALF_OPEN and self._probes_left > 0:
            self._probes_left -= 1
            return True
        self.not_permitted_calls += 1
        return False

    def record(self, now_ts: float, failed: bool) -> None:
        if self.state == CLOSED:
            window = self._window
            if len(window) == window.maxlen:
                self._window_failures -= window[0]
            window.append(failed)
            self._window_failures += failed
            if not self._window_failures:
                return  # the hot path: nothing in the window can trip the breaker
            rate = self.failure_rate_pct()
            if rate >= self.config.failure_rate_threshold_pct:
                self._tripped_rate_pct = rate
                self._transition(OPEN, now_ts)
        elif self.state == HALF_OPEN:
            self._probe_calls += 1
            self._probe_failures += failed
            if self._probe_calls >= self.config.half_open_calls:
                rate = 100.0 * self._probe_failures / self._probe_calls
                if rate >= self.config.failure_rate_threshold_pct:
                    self._tripped_rate_pct = rate
                    self._transition(OPEN, now_ts)
                else:
                    self._transition(CLOSED, now_ts)

    def failure_rate_pct(self) -> float:
        """Failure rate in percent over the current window; -1 when there are too few calls."""
        if self.state == OPEN:
            return self._tripped_rate_pct  # resilience4j keeps the rate that tripped it
        if self.state == HALF_OPEN:
            if self._probe_calls < self.config.half_open_calls:
                return -1.0
            return 100.0 * self._probe_failures / self._probe_calls
        if len(self._window) < self.config.minimum_calls:
            return -1.0
        return 100.0 * self._window_failures / len(self._window)

    # -- internals ----------------------------------------------------------------------------

    def _transition(self, to_state: str, now_ts: float) -> None:
        self.transitions.append((now_ts, self.state, to_state))
        self.state = to_state
        self.since_ts = now_ts
        self._window.clear()
        self._window_failures = 0
        self._probe_calls = self._probe_failures = 0
        self._probes_left = self.config.half_open_calls if to_state == HALF_OPEN else 0
        if to_state == OPEN:
            self.times_opened += 1

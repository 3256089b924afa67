"""Numbers and times as the cockpit prints them: units always shown, times in UTC, None never shown as 0."""

from __future__ import annotations

import math
from datetime import datetime, timezone

DASH = "—"


def _missing(value: float | None) -> bool:
    return value is None or math.isnan(value)


def ms(seconds: float | None) -> str:
    """A latency given in seconds: in ms below one second, in seconds above (LLM calls take seconds)."""
    if _missing(seconds):
        return DASH
    millis = seconds * 1000.0
    if millis >= 999.5:
        return f"{seconds:.2f} s" if seconds < 100 else f"{seconds:,.0f} s"
    return f"{millis:.1f} ms" if millis < 10 else f"{millis:.0f} ms"


def pct(ratio: float | None, digits: int = 1) -> str:
    if _missing(ratio):
        return DASH
    return f"{ratio * 100:.{digits}f} %"


def rate(value: float | None, unit: str) -> str:
    """A per-second rate: more digits when it is small, thousands separators when it is large."""
    if _missing(value):
        return DASH
    if abs(value) >= 100:
        return f"{value:,.0f} {unit}"
    return f"{value:.1f} {unit}" if abs(value) >= 10 else f"{value:.2f} {unit}"


def count(value: float | None) -> str:
    return DASH if _missing(value) else f"{value:,.0f}"


def usd(value: float | None) -> str:
    if _missing(value):
        return DASH
    return f"${value:,.0f}" if abs(value) >= 10_000 else f"${value:,.2f}"


def usd_whole(value: float | None) -> str:
    return DASH if _missing(value) else f"${value:,.0f}"


def usd_per_h(value: float | None) -> str:
    return DASH if _missing(value) else f"{usd(value)}/h"


def multiple(value: float | None) -> str:
    return DASH if _missing(value) else f"{value:.1f}×"


def utc_time(ts: float | None) -> str:
    if ts is None:
        return DASH
    return datetime.fromtimestamp(ts, tz=timezone.utc).strftime("%H:%M:%S")


def utc_stamp(ts: float | None) -> str:
    """Date and time, for the header and anything that may be another day."""
    if ts is None:
        return DASH
    return datetime.fromtimestamp(ts, tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def utc_date(ts: float | None) -> str:
    if ts is None:
        return DASH
    return datetime.fromtimestamp(ts, tz=timezone.utc).strftime("%Y-%m-%d")


def age(seconds: float | None) -> str:
    """How long ago, in the largest unit that keeps it short: 42s, 7m, 3h12m, 2d."""
    if _missing(seconds):
        return DASH
    s = max(0, int(seconds))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m"
    if s < 86400:
        h, m = divmod(s // 60, 60)
        return f"{h}h{m:02d}m" if m else f"{h}h"
    return f"{s // 86400}d"

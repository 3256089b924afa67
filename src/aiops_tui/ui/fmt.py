"""Numbers and times as the cockpit prints them: units always shown, times in UTC, None never shown as 0.

A value no real system reaches (Prometheus answers +Inf, or 1e308) stays short enough for a tile:
"∞", or two significant digits and the power of ten ("1e308", "2.5e9") from HUGE on.
"""

from __future__ import annotations

import math
from datetime import datetime, timezone

DASH = "—"
INFINITY = "∞"
PAST_LIMIT_MARK = " !"
"""After a table's value that is past its target or budget: the colour is never the only cue."""
PAST_LIMIT_BLANK = "  "
"""After the column's other values, so the column stays aligned."""
SOURCE_MARK = {"ok": "●", "stale": "◐", "down": "✖", "filling": "○", "waiting": "○", "offline": "■"}
"""Before a source's name, by its state: the shape says it where colour is not seen."""
HUGE = 1e9
"""From here on a number is shown as 1e9: its digits would not fit a tile, and no real rate,
latency, count or spend reaches it."""


def _missing(value: float | None) -> bool:
    return value is None or math.isnan(value)


def _huge(value: float, shift: int = 0) -> str | None:
    """"∞", "-∞" or "1.2e308" for a value shown ×10**shift that is too large to print in full; None
    for an ordinary one. Adds `shift` to the exponent itself, so a ratio of 1e308 as % does not overflow."""
    if math.isinf(value):
        return "-" + INFINITY if value < 0 else INFINITY
    if abs(value) * 10**shift < HUGE:
        return None
    mantissa, exponent = f"{value:.2g}".split("e")
    return f"{mantissa}e{int(exponent) + shift}"


def ms(seconds: float | None) -> str:
    """A latency given in seconds: in ms below one second, in seconds above (LLM calls take seconds)."""
    if _missing(seconds):
        return DASH
    if huge := _huge(seconds):
        return f"{huge} s"
    millis = seconds * 1000.0
    if millis >= 999.5:
        return f"{seconds:.2f} s" if seconds < 100 else f"{seconds:,.0f} s"
    return f"{millis:.1f} ms" if millis < 10 else f"{millis:.0f} ms"


def pct(ratio: float | None, digits: int = 1) -> str:
    if _missing(ratio):
        return DASH
    if huge := _huge(ratio, shift=2):
        return f"{huge} %"
    return f"{ratio * 100:.{digits}f} %"


def rate(value: float | None, unit: str) -> str:
    """A per-second rate: more digits when it is small, thousands separators when it is large."""
    if _missing(value):
        return DASH
    if huge := _huge(value):
        return f"{huge} {unit}"
    if abs(value) >= 100:
        return f"{value:,.0f} {unit}"
    return f"{value:.1f} {unit}" if abs(value) >= 10 else f"{value:.2f} {unit}"


def count(value: float | None) -> str:
    if _missing(value):
        return DASH
    return _huge(value) or f"{value:,.0f}"


def usd(value: float | None) -> str:
    if _missing(value):
        return DASH
    if huge := _huge(value):
        return f"${huge}"
    return f"${value:,.0f}" if abs(value) >= 10_000 else f"${value:,.2f}"


def usd_whole(value: float | None) -> str:
    if _missing(value):
        return DASH
    return f"${_huge(value) or f'{value:,.0f}'}"


def usd_per_h(value: float | None) -> str:
    return DASH if _missing(value) else f"{usd(value)}/h"


def multiple(value: float | None) -> str:
    if _missing(value):
        return DASH
    return f"{_huge(value) or f'{value:.1f}'}×"


def _utc(ts: float | None) -> datetime | None:
    """The instant, or None for one no calendar holds (NaN, ±Inf, 1e308 from a broken source)."""
    if ts is None or not math.isfinite(ts):
        return None
    try:
        return datetime.fromtimestamp(ts, tz=timezone.utc)
    except (OverflowError, ValueError, OSError):
        return None


def utc_time(ts: float | None) -> str:
    moment = _utc(ts)
    return DASH if moment is None else moment.strftime("%H:%M:%S")


def utc_time_near(ts: float | None, at: float, *, dated: bool | None = None, day_only: bool = False) -> str:
    """The time of day when `ts` falls on `at`'s (UTC) day; before it, the date too ("12-03 02:32"), and
    the year once it is another year's: an event days back never reads as one of today. `dated` forces
    either form, so that a list keeps one; `day_only` gives the date alone ("12-03"), as short as the
    time, for a table cell beside an age."""
    moment, day = _utc(ts), _utc(at)
    if moment is None:
        return DASH
    if dated is None:
        dated = day is None or moment.date() != day.date()
    if not dated:
        return moment.strftime("%H:%M:%S")
    date = "%m-%d" if day is not None and moment.year == day.year else "%Y-%m-%d"
    return moment.strftime(date if day_only else f"{date} %H:%M")


def utc_stamp(ts: float | None) -> str:
    """Date and time, for the header and anything that may be another day."""
    moment = _utc(ts)
    return DASH if moment is None else moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def axis_end(ts: float | None, window_s: float, live: bool) -> str:
    """What a chart's right end is called: "now" when live; looking back, its clock time (UTC), or its
    date on windows longer than two days, so a chart of the past never reads as the present."""
    if live:
        return "now"
    moment = _utc(ts)
    return DASH if moment is None else moment.strftime("%H:%M" if window_s <= 2 * 86400 else "%m-%d")


def window_label(window_s: float) -> str:
    """A stretch of time as a window is named: "30m", "1h", "24h", "7d"."""
    if window_s >= 2 * 86400:
        return f"{window_s / 86400:g}d"
    return f"{window_s / 3600:g}h" if window_s >= 3600 else f"{window_s / 60:g}m"


def time_axis(window_s: float, width: int, end_label: str) -> str:
    """One line of `width` cells under a row of them spanning the window: its start, middle and end."""
    left, middle = f"-{window_label(window_s)}", f"-{window_label(window_s / 2)}"
    line = [" "] * width
    for pos, label in ((0, left), ((width - len(middle)) // 2, middle), (width - len(end_label), end_label)):
        line[pos:pos + len(label)] = label
    return "".join(line[:width])


def window_span(window: str, end_label: str) -> str:
    """A chart's stretch in its title: "last 1h" while it ends now, "1h to 21:58" looking back."""
    return f"last {window}" if end_label == "now" else f"{window} to {end_label}"


def utc_date(ts: float | None) -> str:
    moment = _utc(ts)
    return DASH if moment is None else moment.strftime("%Y-%m-%d")


def age(seconds: float | None) -> str:
    """How long ago, in the largest unit that keeps it short: 42s, 7m, 3h12m, 2d."""
    if _missing(seconds):
        return DASH
    if seconds == math.inf:
        return INFINITY
    s = int(seconds) if seconds > 0 else 0
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m"
    if s < 86400:
        h, m = divmod(s // 60, 60)
        return f"{h}h{m:02d}m" if m else f"{h}h"
    return f"{_huge(seconds / 86400) or s // 86400}d"

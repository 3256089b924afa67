"""Property tests for the cost math: for finite numbers on any calendar day from 1970 to 2200, no
exception, spend and direct-mode rates never negative, and month boundaries (Feb 29, Dec 31
23:59:59) land where a calendar says."""

from __future__ import annotations

import calendar
import math
from datetime import datetime, timezone

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from aiops_tui.signals.cost import (
    burn_multiple,
    burn_windows,
    hours_in_month,
    hours_left_in_month,
    month_bounds,
    project_month_end,
    reset_aware_increase,
)
from aiops_tui.signals.prommath import rate, rates

FUZZ = settings(max_examples=200, deadline=None)
FIRST_TS = datetime(1970, 1, 1, tzinfo=timezone.utc).timestamp()
LAST_TS = datetime(2200, 12, 31, 23, 59, 59, tzinfo=timezone.utc).timestamp()

timestamps = st.floats(min_value=FIRST_TS, max_value=LAST_TS, allow_nan=False)
finite = st.floats(allow_nan=False, allow_infinity=False)
amounts = st.floats(min_value=0, max_value=1e12, allow_nan=False)


def utc(*parts: int) -> float:
    return datetime(*parts, tzinfo=timezone.utc).timestamp()


@FUZZ
@given(timestamps)
@example(utc(2028, 2, 29, 12))
@example(utc(2026, 12, 31, 23, 59, 59))
@example(utc(2027, 1, 1))
def test_month_bounds_hold_the_instant_and_span_a_calendar_month(ts: float):
    start, end = month_bounds(ts)
    assert start <= ts < end
    moment = datetime.fromtimestamp(ts, tz=timezone.utc)
    assert hours_in_month(ts) == calendar.monthrange(moment.year, moment.month)[1] * 24
    assert 0 < hours_left_in_month(ts) <= hours_in_month(ts)


@pytest.mark.parametrize(
    ("moment", "hours", "left_h"),
    [
        # 2028 is a leap year: February has 29 days = 696 h; from Feb 29 12:00 to Mar 1 00:00 is 12 h.
        ((2028, 2, 29, 12), 696, 12.0),
        ((2027, 2, 28, 12), 672, 12.0),  # not a leap year: 28 days = 672 h
        # One second before the year ends: 744 h in December, 1 s = 1/3600 h left.
        ((2026, 12, 31, 23, 59, 59), 744, 1 / 3600),
        ((2027, 1, 1), 744, 744.0),  # the first instant of a month has all of it left
    ],
)
def test_month_edges_by_hand(moment, hours, left_h):
    ts = utc(*moment)
    assert hours_in_month(ts) == hours
    assert hours_left_in_month(ts) == pytest.approx(left_h, abs=1e-9)


@FUZZ
@given(amounts, finite | st.none(), timestamps)
@example(0.0, -5.0, utc(2026, 12, 31, 23, 59, 59))
@example(10.0, 1e308, utc(2028, 2, 1))
def test_projection_never_below_month_to_date(mtd_usd: float, rate_usd_per_h: float | None, ts: float):
    projected = project_month_end(mtd_usd, rate_usd_per_h, ts)
    if rate_usd_per_h is None:
        assert projected is None
    else:
        assert projected >= mtd_usd >= 0


def test_projection_by_hand():
    # $100 so far, $2/h, Feb 29 2028 12:00: 12 h left -> 100 + 2 * 12 = 124.
    assert project_month_end(100.0, 2.0, utc(2028, 2, 29, 12)) == pytest.approx(124.0)
    assert project_month_end(100.0, math.nan, utc(2028, 2, 29, 12)) is None


@FUZZ
@given(finite | st.none(), finite, timestamps)
@example(-3.0, 1000.0, utc(2026, 1, 1))
@example(1.0, 5e-324, utc(2026, 1, 1))
def test_burn_multiple_never_negative(rate_usd_per_h: float | None, budget_usd: float, ts: float):
    multiple = burn_multiple(rate_usd_per_h, budget_usd, ts)
    if rate_usd_per_h is None or budget_usd <= 0:
        assert multiple is None
    else:
        assert multiple >= 0
    windows = burn_windows({"5m": rate_usd_per_h, "1h": rate_usd_per_h}, budget_usd, ts)
    assert all(w.multiple is None or w.multiple >= 0 for w in windows)


def test_burn_multiple_by_hand():
    # Budget $744 in a 744 h month is $1/h; spending $14.4/h burns 14.4x and pages on the 1 h window.
    assert burn_multiple(14.4, 744.0, utc(2026, 1, 15)) == pytest.approx(14.4)
    [_, one_hour, *_] = burn_windows({"1h": 14.4}, 744.0, utc(2026, 1, 15))
    assert one_hour.paging


@FUZZ
@given(st.lists(st.tuples(timestamps, finite), max_size=30))
@example([(0.0, 10.0), (1.0, -3.0)])
@example([(0.0, -1e308), (1.0, 1e308)])
def test_reset_aware_increase_never_negative(points):
    assert reset_aware_increase(sorted(points)) >= 0


def test_reset_aware_increase_by_hand():
    # 10 -> 15 (+5), restart to 3 (+3, counted from zero), 3 -> 7 (+4): 12.
    assert reset_aware_increase([(0, 10.0), (1, 15.0), (2, 3.0), (3, 7.0)]) == 12.0
    # A counter that restarts below zero (a broken exporter) adds nothing for that step: 10 -> 15 (+5), -3 (+0).
    assert reset_aware_increase([(0, 10.0), (1, 15.0), (2, -3.0)]) == 5.0


@FUZZ
@given(st.lists(st.tuples(timestamps, finite), max_size=30), st.floats(min_value=1e-3, max_value=1e10))
@example([(0.0, 10.0), (1.0, -3.0)], 60.0)
@example([(0.0, 2.0), (10.0, -5.0), (20.0, -1.0)], 60.0)
@example([(0.0, -1e308), (1.0, 1e308)], 60.0)
def test_direct_mode_rates_never_negative(points, window_s: float):
    ordered = sorted(points)
    assert all(per_s >= 0 for per_s in rates({"spend": ordered}).values())
    one = rate(ordered, window_s)
    assert math.isnan(one) or one >= 0  # NaN: fewer than two points or no time inside the window

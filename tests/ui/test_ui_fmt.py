"""How numbers read on screen: units always, latency in ms or s, a missing value never shown as 0."""

from __future__ import annotations

import pytest

from aiops_tui.ui import fmt


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [(0.0042, "4.2 ms"), (0.183, "183 ms"), (0.9994, "999 ms"), (0.9996, "1.00 s"), (3.35, "3.35 s"), (250.0, "250 s"),
     (None, "—"), (float("nan"), "—")],
)
def test_latency(seconds, shown) -> None:
    assert fmt.ms(seconds) == shown


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [(0, "0s"), (59.9, "59s"), (60, "1m"), (3599, "59m"), (3600, "1h"), (3600 + 12 * 60, "1h12m"), (86400 * 2 + 5, "2d"),
     (-3, "0s"), (None, "—")],
)
def test_age(seconds, shown) -> None:
    assert fmt.age(seconds) == shown


def test_money_and_ratios() -> None:
    assert fmt.usd(6085.0) == "$6,085.00" and fmt.usd(12_345.6) == "$12,346" and fmt.usd_whole(6085.4) == "$6,085"
    assert fmt.usd_per_h(148.2) == "$148.20/h" and fmt.usd_per_h(None) == "—"
    assert fmt.pct(0.0087, 2) == "0.87 %" and fmt.pct(None) == "—"
    assert fmt.rate(1834.5, "tok/s") == "1,834 tok/s" and fmt.rate(12.4, "req/s") == "12.4 req/s"
    assert fmt.rate(0.3, "req/s") == "0.30 req/s"
    assert fmt.multiple(15.94) == "15.9×"
    assert fmt.utc_stamp(1_793_188_800.0) == "2026-10-28 12:00:00 UTC"


INF, NAN = float("inf"), float("nan")


@pytest.mark.parametrize(
    ("shown", "expected"),
    [
        # +Inf and -Inf from Prometheus: the sign and ∞, with the unit
        (fmt.ms(INF), "∞ s"), (fmt.rate(INF, "req/s"), "∞ req/s"), (fmt.rate(-INF, "req/s"), "-∞ req/s"),
        (fmt.pct(INF), "∞ %"), (fmt.count(INF), "∞"), (fmt.usd(INF), "$∞"), (fmt.usd_whole(INF), "$∞"),
        (fmt.usd_per_h(INF), "$∞/h"), (fmt.multiple(INF), "∞×"), (fmt.age(INF), "∞"), (fmt.age(-INF), "0s"),
        # 1e308: two significant digits and the power of ten, never 309 digits
        (fmt.ms(1e308), "1e308 s"), (fmt.rate(1e308, "tok/s"), "1e308 tok/s"),
        (fmt.count(1.7976931348623157e308), "1.8e308"),
        (fmt.usd(1e308), "$1e308"), (fmt.usd_whole(-1e308), "$-1e308"), (fmt.usd_per_h(2.5e12), "$2.5e12/h"),
        (fmt.multiple(4.8e306), "4.8e306×"), (fmt.age(1e308), "1.2e303d"),
        # a ratio of 1e308 is 1e310 %: the exponent is shifted, the value is not multiplied into ∞
        (fmt.pct(1e308), "1e310 %"), (fmt.pct(2.5e7, 2), "2.5e9 %"),
        # from HUGE (1e9) on; below it, digits as before
        (fmt.rate(1e9, "req/s"), "1e9 req/s"), (fmt.rate(999_999_999.4, "req/s"), "999,999,999 req/s"),
        (fmt.usd(999_999_999.0), "$999,999,999"), (fmt.ms(86_400.0), "86,400 s"),
        # NaN stays "no value"
        (fmt.ms(NAN), "—"), (fmt.count(NAN), "—"), (fmt.usd_whole(NAN), "—"), (fmt.multiple(NAN), "—"),
    ],
)
def test_infinite_and_huge_values_stay_short(shown, expected) -> None:
    assert shown == expected


@pytest.mark.parametrize("ts", [NAN, INF, -INF, 1e308, -1e308])
def test_a_time_no_calendar_holds_is_a_dash(ts) -> None:
    assert fmt.utc_time(ts) == fmt.utc_stamp(ts) == fmt.utc_date(ts) == "—"


def test_a_charts_end_is_now_when_live_and_its_time_or_date_looking_back() -> None:
    at = 1_793_188_800.0  # 2026-10-28 12:00 UTC
    assert fmt.axis_end(at, 3600.0, live=True) == "now"
    assert fmt.axis_end(at, 3600.0, live=False) == fmt.axis_end(at, 2 * 86400.0, live=False) == "12:00"
    assert fmt.axis_end(at, 7 * 86400.0, live=False) == "10-28"
    assert fmt.axis_end(float("nan"), 3600.0, live=False) == "—"


def test_a_time_on_another_day_than_the_views_carries_its_date() -> None:
    at = 1_793_188_800.0  # 2026-10-28 12:00 UTC
    assert fmt.utc_time_near(at - 3600, at) == "11:00:00" and fmt.utc_time_near(at - 3600, at, day_only=True) == "11:00:00"
    assert fmt.utc_time_near(at - 13 * 3600, at) == "10-27 23:00" and fmt.utc_time_near(at - 13 * 3600, at, day_only=True) == "10-27"
    assert fmt.utc_time_near(at - 3600, at, dated=True) == "10-28 11:00"
    assert fmt.utc_time_near(at - 400 * 86400, at) == "2025-09-23 12:00" and fmt.utc_time_near(at - 400 * 86400, at, day_only=True) == "2025-09-23"
    assert fmt.utc_time_near(float("nan"), at) == fmt.utc_time_near(None, at, day_only=True) == "—"


def test_chart_y_range_starts_at_zero_unless_the_data_sits_far_above_it() -> None:
    from aiops_tui.ui.widgets.chart import y_range

    assert y_range([0.0, 0.0]) == (0.0, 1.0)  # flat zero: a visible 0..1 axis, not -1..1
    assert y_range([2.0, 10.0]) == (0.0, 10.8)  # 2 <= (10-2)/2: from 0; margin (10-2)*0.1 = 0.8
    low, high = y_range([100.0, 110.0])  # far above 0: zoom in, margin 1 on each side
    assert (round(low, 6), round(high, 6)) == (99.0, 111.0)


@pytest.mark.parametrize(("window_s", "label", "half"), [
    (900.0, "15m", "7.5m"), (3600.0, "1h", "30m"), (86400.0, "24h", "12h"), (7 * 86400.0, "7d", "3.5d"),
])
def test_a_time_axis_names_the_windows_start_middle_and_end(window_s, label, half) -> None:
    assert fmt.window_label(window_s) == label
    axis = fmt.time_axis(window_s, 40, "now")
    assert len(axis) == 40 and axis.split() == [f"-{label}", f"-{half}", "now"]
    assert axis.startswith(f"-{label}") and axis.endswith("now") and axis.index(f"-{half}") == (40 - len(half) - 1) // 2

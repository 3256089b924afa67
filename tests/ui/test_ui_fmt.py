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


def test_chart_y_range_starts_at_zero_unless_the_data_sits_far_above_it() -> None:
    from aiops_tui.ui.widgets.chart import y_range

    assert y_range([0.0, 0.0]) == (0.0, 1.0)  # flat zero: a visible 0..1 axis, not -1..1
    assert y_range([2.0, 10.0]) == (0.0, 10.8)  # 2 <= (10-2)/2: from 0; margin (10-2)*0.1 = 0.8
    low, high = y_range([100.0, 110.0])  # far above 0: zoom in, margin 1 on each side
    assert (round(low, 6), round(high, 6)) == (99.0, 111.0)

"""Series on a fixed grid of cells: the breakers' sparkline (gaps filled) and the golden pane's short-terminal rows
(gaps left blank, bars from zero)."""

from __future__ import annotations

from aiops_tui.ui.series import bars_from_zero, max_per_cell, resample_max, typical_step_s


def test_resample_max_keeps_the_peak_per_cell_and_fills_gaps() -> None:
    # [0, 100) in 4 cells of 25 s: points at 5 and 10 share cell 0 (max 0.5); cell 1 empty repeats 0.5;
    # 60 -> cell 2 (0.2); 99 -> cell 3 (0.9); 100 is outside the half-open range; NaN is dropped.
    points = [(5.0, 0.1), (10.0, 0.5), (60.0, 0.2), (70.0, float("nan")), (99.0, 0.9), (100.0, 5.0)]
    assert resample_max(points, 0.0, 100.0, 4) == [0.5, 0.5, 0.2, 0.9]
    assert resample_max([], 0.0, 100.0, 3) == [0.0, 0.0, 0.0]
    assert resample_max(points, 0.0, 100.0, 0) == []


def test_max_per_cell_leaves_a_gap_blank_but_not_the_space_between_sparse_points() -> None:
    # 10 cells of 10 s over [0, 100); a point every 15 s up to 45, then none until 90 (a gap of 45 s).
    points = [(0.0, 1.0), (15.0, 2.0), (30.0, 3.0), (45.0, 4.0), (90.0, 5.0)]
    assert typical_step_s(points) == 15.0
    # Cells 2 and 5 have no point of their own; the next point was not due inside them (their ends are 20 and 50,
    # at most 22.5 s after the points at 15 and 45 before them), so they hold. Cells 6-8 end 60, 70, 80: due: blank.
    assert max_per_cell(points, 0.0, 100.0, 10, hold_s=22.5) == [1.0, 2.0, 2.0, 3.0, 4.0, 4.0, None, None, None, 5.0]
    assert max_per_cell(points, 0.0, 100.0, 10) == [1.0, 2.0, None, 3.0, 4.0, None, None, None, None, 5.0]
    assert max_per_cell([(5.0, float("inf")), (15.0, float("nan"))], 0.0, 20.0, 2, hold_s=100.0) == [None, None]
    assert typical_step_s([(1.0, 0.0)]) == 0.0 and max_per_cell(points, 0.0, 100.0, 0) == []


def test_bars_from_zero_scale_to_the_peak_and_keep_gaps() -> None:
    # Bar k is k + 1 eighths tall; of the peak 8: 0 and 1 -> the lowest bar (a value), 2 -> two eighths,
    # 4 -> half, 7.9 and 8 -> full; None -> blank.
    assert bars_from_zero([0.0, 1.0, 2.0, 4.0, None, 7.9, 8.0]) == ("▁▁▂▄ ██", 8.0)
    # 10 and 14 req/s look alike, as on a chart from zero (10/14 is nearest six eighths); nothing at all is
    # blank, with no peak.
    assert bars_from_zero([10.0, 14.0]) == ("▆█", 14.0)
    assert bars_from_zero([None, None]) == ("  ", None)
    assert bars_from_zero([0.0, None, 0.0]) == ("▁ ▁", 0.0)

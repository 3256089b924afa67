"""Series for drawing: on a fixed grid of cells, bridged between sparse points and blank in a gap; bars from
zero; lines broken at gaps."""

from __future__ import annotations

import math

from aiops_tui.ui.series import bar_rows, break_at_gaps, bridge_for, cells_of, fixed_grid, max_per_cell, typical_step_s


def test_max_per_cell_leaves_a_gap_blank_but_not_the_space_between_sparse_points() -> None:
    # 10 cells of 10 s over [0, 100); a point every 15 s up to 45, then none until 90.
    points = [(0.0, 1.0), (15.0, 2.0), (30.0, 3.0), (45.0, 4.0), (90.0, 5.0)]
    assert typical_step_s(points) == 15.0 and bridge_for(points) == 45.0
    # Cell 2 [20, 30) lies between points 15 s apart: it holds 2.0. Cells 5-8 lie between 45 and 90, 45 s
    # apart: bridged by three steps, blank when the bridge is shorter; with none, every empty cell is blank.
    assert max_per_cell(points, 0.0, 100.0, 10, bridge_s=45.0) == [1.0, 2.0, 2.0, 3.0, 4.0, 4.0, 4.0, 4.0, 4.0, 5.0]
    assert max_per_cell(points, 0.0, 100.0, 10, bridge_s=44.0) == [1.0, 2.0, 2.0, 3.0, 4.0, None, None, None, None, 5.0]
    assert max_per_cell(points, 0.0, 100.0, 10) == [1.0, 2.0, None, 3.0, 4.0, None, None, None, None, 5.0]
    # Past the last point, the window's end stands for the next: a series that stopped is blank there.
    recent = [(0.0, 1.0), (10.0, 2.0), (20.0, 3.0)]
    assert max_per_cell(recent, 0.0, 50.0, 5, bridge_s=30.0) == [1.0, 2.0, 3.0, 3.0, 3.0]
    assert max_per_cell(recent, 0.0, 50.0, 5, bridge_s=29.0) == [1.0, 2.0, 3.0, None, None]
    assert max_per_cell([(5.0, float("inf")), (15.0, float("nan"))], 0.0, 20.0, 2, bridge_s=100.0) == [None, None]
    assert typical_step_s([(1.0, 0.0)]) == 0.0 and max_per_cell(points, 0.0, 100.0, 0) == []
    # cells_of bridges what the points' own step does: three of their 15 s steps.
    assert cells_of(points, 0.0, 100.0, 10) == max_per_cell(points, 0.0, 100.0, 10, bridge_s=45.0)


def test_the_fixed_grid_holds_still_while_the_clock_moves_within_its_last_cell() -> None:
    # 60 cells over an hour: a minute each; the window ends at the end of the minute holding `at`.
    assert fixed_grid(3_600.0 * 10 + 61.0, 3_600.0, 60) == (3_600.0 * 9 + 120.0, 3_600.0 * 10 + 120.0)
    assert fixed_grid(3_600.0 * 10 + 119.0, 3_600.0, 60) == fixed_grid(3_600.0 * 10 + 61.0, 3_600.0, 60)
    assert fixed_grid(3_600.0 * 10 + 121.0, 3_600.0, 60)[1] == 3_600.0 * 10 + 180.0  # the next minute: one cell on


def test_break_at_gaps_puts_a_nan_between_points_further_apart_than_the_bridge() -> None:
    broken = break_at_gaps([(0.0, 1.0), (10.0, 2.0), (50.0, 3.0), (60.0, 4.0)], 30.0)
    assert [ts for ts, _ in broken] == [0.0, 10.0, 30.0, 50.0, 60.0]
    assert [v for _, v in broken][:2] == [1.0, 2.0] and math.isnan(broken[2][1]) and [v for _, v in broken][3:] == [3.0, 4.0]
    assert break_at_gaps([(0.0, 1.0), (30.0, 2.0)], 30.0) == [(0.0, 1.0), (30.0, 2.0)]


def test_bar_rows_scale_from_zero_to_the_peak_and_keep_gaps() -> None:
    # One row, bar k is k + 1 eighths tall; of the peak 8: 0 and 1 -> the lowest bar (a value), 2 -> two
    # eighths, 4 -> half, 7.9 and 8 -> full; None -> blank.
    assert bar_rows([0.0, 1.0, 2.0, 4.0, None, 7.9, 8.0]) == (["▁▁▂▄ ██"], 8.0)
    # 10 and 14 req/s look alike, as on a chart from zero (10/14 is nearest six eighths); nothing at all is
    # blank, with no peak; all zero is the lowest bar.
    assert bar_rows([10.0, 14.0]) == (["▆█"], 14.0)
    assert bar_rows([None, None]) == (["  "], None)
    assert bar_rows([0.0, None, 0.0]) == (["▁ ▁"], 0.0)
    # Three rows: 24 eighths to the peak. 12 -> the bottom row full and half the middle; 0 -> one eighth.
    assert bar_rows([24.0, 12.0, 0.0, None], rows=3) == (["█   ", "█▄  ", "██▁ "], 24.0)

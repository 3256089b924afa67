"""SVG snapshots of the panes on hand-built views and a frozen clock: what an on-call engineer sees, pinned.

Regenerate with `pytest tests/ui/test_ui_snapshots.py --snapshot-update`, then look at the app itself
(`python -m tests.ui.run_fake` in a terminal) before committing the new SVGs.
"""

from __future__ import annotations

from textual.pilot import Pilot

from ui.pilot_helpers import cockpit_app, press, settle
from ui.view_builders import FakeCockpit


def on_pane(key: str):
    async def run_before(pilot: Pilot) -> None:
        await settle(pilot)
        await press(pilot, key)
    return run_before


def test_golden_pane_120x40(snap_compare) -> None:
    assert snap_compare(cockpit_app(), terminal_size=(120, 40), run_before=on_pane("1"))


def test_golden_pane_80x24_has_sparkline_rows_and_shortens_tiles(snap_compare) -> None:
    assert snap_compare(cockpit_app(), terminal_size=(80, 24), run_before=on_pane("1"))


def test_golden_pane_100x28_sparkline_rows_over_a_time_axis(snap_compare) -> None:
    assert snap_compare(cockpit_app(), terminal_size=(100, 28), run_before=on_pane("1"))


def test_golden_pane_140x32_sparklines_two_rows_tall_where_charts_would_be_slivers(snap_compare) -> None:
    assert snap_compare(cockpit_app(), terminal_size=(140, 32), run_before=on_pane("1"))


def test_cost_pane_106x40_levers_stacked_under_the_spend_tables(snap_compare) -> None:
    assert snap_compare(cockpit_app(), terminal_size=(106, 40), run_before=on_pane("2"))


def test_cost_pane_80x24_spend_by_model_before_the_levers(snap_compare) -> None:
    assert snap_compare(cockpit_app(), terminal_size=(80, 24), run_before=on_pane("2"))


def test_golden_pane_120x40_by_gateway_the_failing_one_marked(snap_compare) -> None:
    async def run_before(pilot: Pilot) -> None:
        await on_pane("1")(pilot)
        await press(pilot, "v")

    assert snap_compare(cockpit_app(FakeCockpit(fleet=True)), terminal_size=(120, 40), run_before=run_before)


def test_cost_pane_120x40_projected_over_budget_two_windows_paging(snap_compare) -> None:
    assert snap_compare(cockpit_app(), terminal_size=(120, 40), run_before=on_pane("2"))


def test_cost_pane_120x40_without_budget(snap_compare) -> None:
    # The history starts 2026-10-03 00:00 UTC (1_790_985_600), so month to date says "since 2026-10-03".
    app = cockpit_app(FakeCockpit(budget_usd=0.0, mtd_covers_from=1_790_985_600.0))
    assert snap_compare(app, terminal_size=(120, 40), run_before=on_pane("2"))


def test_breakers_pane_120x40_open_after_flapping(snap_compare) -> None:
    assert snap_compare(cockpit_app(), terminal_size=(120, 40), run_before=on_pane("3"))


def test_golden_pane_in_light_theme_paused(snap_compare) -> None:
    async def run_before(pilot: Pilot) -> None:
        await settle(pilot)
        await press(pilot, "p")
    assert snap_compare(cockpit_app(theme="light"), terminal_size=(120, 40), run_before=run_before)

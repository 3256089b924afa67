"""Between two polls the views come every second with only the time and the sources' ages moved: no chart,
table or tile is drawn again for them (each repaint goes down the SSH link), and data that lands is."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

import pytest
from textual._compositor import Compositor
from textual.widget import Widget

from aiops_tui.cockpit import Views
from aiops_tui.signals.readings import NO_DATA, Reading
from ui.pilot_helpers import cockpit_app, press, settle
from ui.view_builders import AT, FakeCockpit, build_views

SIZE = (120, 40)
GOLDEN_WIDGETS = (
    "chart-latency_p95_s", "chart-requests_per_s", "chart-error_ratio", "chart-tokens_per_s", "models", "quality",
    "golden-source", "tile-latency_p50_s", "tile-requests_per_s", "tile-queue_depth",
)
COST_WIDGETS = ("cost-chart", "budget-bar", "cost-figures", "burn-5m", "levers-table", "by-model", "by-tier")
BREAKER_WIDGETS = ("breakers-table", "breaker-spark", "breaker-flaps", "breaker-title", "breaker-transitions")


def later(views: Views, at: float) -> Views:
    """`views` as a tick between two polls gives them: the same data, only the time and the ages moved on."""
    moved_s = at - views.at
    return replace(
        views, at=at, golden=replace(views.golden, at=at), cost=replace(views.cost, at=at),
        breakers=replace(views.breakers, at=at),
        sources=tuple(replace(s, age_s=None if s.age_s is None else s.age_s + moved_s) for s in views.sources),
    )


class Served(FakeCockpit):
    """A cockpit that answers with whatever views the test serves, as the store would between polls."""

    def __init__(self, views: Views) -> None:
        super().__init__()
        self.served = views

    def views(self, at: float | None = None, window: str = "1h", model: str = "", gateway: str = "") -> Views:
        self.views_calls.append((at, window))
        return self.served


@pytest.fixture
def repaints(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """How many times each widget on screen, by id, was repainted: what the terminal is sent again."""
    counts: Counter[str] = Counter()
    update_widgets = Compositor.update_widgets

    def counting(self: Compositor, widgets: set[Widget]) -> None:
        counts.update(w.id or type(w).__name__ for w in widgets if w in self.visible_widgets)
        update_widgets(self, widgets)

    monkeypatch.setattr(Compositor, "update_widgets", counting)
    return counts


async def serve(pilot, cockpit: Served, views: Views) -> None:
    cockpit.served = views
    await press(pilot, "r")  # fetch now rather than on the next 1 s tick
    await pilot.pause()


@pytest.mark.parametrize(("key", "widgets"), [("1", GOLDEN_WIDGETS), ("2", COST_WIDGETS), ("3", BREAKER_WIDGETS)])
async def test_views_with_only_the_time_moved_redraw_nothing_in_the_pane(repaints, key, widgets) -> None:
    polled = build_views()
    cockpit = Served(polled)
    app = cockpit_app(cockpit)
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, key)
        await pilot.pause()
        assert all(app.query_one(f"#{w}").region for w in widgets), "every widget is on screen"
        # From AT + 1 s: AT starts a breaker cell (of 1 h / width), so the second after it begins the next one.
        await serve(pilot, cockpit, later(polled, AT + 1.0))
        repaints.clear()
        for seconds in (2.0, 3.0, 4.0):
            await serve(pilot, cockpit, later(polled, AT + seconds))
        assert cockpit.views_calls[-1] == (None, "1h")
        assert {w: repaints[w] for w in widgets if repaints[w]} == {}
        assert repaints["status"], "the status bar shows the sources' ages, which did move"


async def test_data_that_lands_redraws_what_changed_and_only_that(repaints) -> None:
    polled = build_views()
    cockpit = Served(polled)
    app = cockpit_app(cockpit)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.pause()
        repaints.clear()
        golden = polled.golden
        requests = [*golden.charts["requests_per_s"], (AT + 5.0, 14.0)]
        first, *others = golden.models
        landed = later(polled, AT + 5.0)
        landed = replace(landed, golden=replace(
            landed.golden,
            tiles={**golden.tiles, "requests_per_s": Reading(14.0)},
            models=[replace(first, requests_per_s=Reading(9.3)), *others],
            charts={**golden.charts, "requests_per_s": requests},
        ))
        await serve(pilot, cockpit, landed)
        drawn = {w for w in GOLDEN_WIDGETS if repaints[w]}
        assert drawn == {"tile-requests_per_s", "models", "chart-requests_per_s"}


async def test_a_chart_whose_data_stopped_moves_its_axis_a_column_at_a_time(repaints) -> None:
    polled = build_views()
    cockpit = Served(polled)
    app = cockpit_app(cockpit)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.pause()
        chart = app.query_one("#chart-requests_per_s")
        column_s = 3600.0 / chart.size.width
        repaints.clear()
        await serve(pilot, cockpit, later(polled, AT + column_s * 0.9))
        assert not repaints["chart-requests_per_s"]
        await serve(pilot, cockpit, later(polled, AT + column_s * 1.1))
        assert repaints["chart-requests_per_s"], "the source went quiet: the gap at the right grows, a column at a time"
        assert chart.plotted is not None and chart.plotted.at == AT + column_s * 1.1


async def test_a_theme_change_redraws_text_coloured_in_code() -> None:
    cockpit = Served(build_views())
    app = cockpit_app(cockpit)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        before = app.query_one("#models").get_row_at(0)[2]
        await press(pilot, "t")
        after = app.query_one("#models").get_row_at(0)[2]
        assert before.plain == after.plain and before.spans != after.spans


@pytest.mark.parametrize("widget_class", ["Tile", "QualityStrip"])
async def test_a_status_that_changes_restyles_its_widget_once_and_one_that_stays_not_at_all(
    widget_class, monkeypatch
) -> None:
    """Restyling a widget re-matches the whole stylesheet against it: a tile going from ok to bad swaps two classes."""
    from textual.app import App

    from aiops_tui.signals.quality import QualityRow
    from aiops_tui.ui.widgets.quality_row import QualityStrip
    from aiops_tui.ui.widgets.tile import Tile

    widget = Tile("p95 latency", "p95") if widget_class == "Tile" else QualityStrip()
    restyles = []
    monkeypatch.setattr(type(widget), "update_node_styles", lambda w, *a, **kw: restyles.append(sorted(w.classes)))

    def set_status(status: str) -> None:
        if isinstance(widget, Tile):
            widget.set_reading("1.00 s", ("",), status, missing=False)
        else:
            widget.set_row(QualityRow(Reading(0.99, status), NO_DATA, NO_DATA, NO_DATA, NO_DATA, NO_DATA, {}))

    class Host(App[None]):
        def compose(self):
            yield widget

    async with Host().run_test() as pilot:
        await pilot.pause()
        for status, more in (("ok", 1), ("ok", 0), ("bad", 1), ("warn", 1), ("warn", 0)):
            before = len(restyles)
            set_status(status)
            assert len(restyles) - before == more, status
            assert f"-{status}" in widget.classes and not {"-ok", "-warn", "-bad"} - {f"-{status}"} & widget.classes

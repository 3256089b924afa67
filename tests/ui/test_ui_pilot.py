"""The cockpit driven by keys on a FakeCockpit: panes, pause, refresh, interval, window, history, help, palette, errors."""

from __future__ import annotations

import asyncio
import dataclasses
import re
import threading

import pytest
from textual.app import App, ComposeResult
from textual.command import CommandPalette
from textual.widgets import DataTable, TabbedContent

from aiops_tui.signals.readings import Reading
from aiops_tui.ui import fmt
from aiops_tui.ui.app import CockpitApp
from aiops_tui.ui.panes.breakers import COLUMNS, NARROW_COLUMNS, NARROWEST_COLUMNS, BreakersPane, column_names
from aiops_tui.ui.panes.golden import GoldenPane
from aiops_tui.ui.panes.cost import CostPane
from aiops_tui.ui.panes.maturity import MaturityPane
from aiops_tui.ui.panes.runbooks import RunbooksPane
from aiops_tui.ui.screens.help import HelpScreen
from aiops_tui.ui.widgets.header import CockpitHeader
from aiops_tui.ui.widgets.status_bar import StatusBar
from ui.pilot_helpers import cockpit_app, press, screen_lines, settle, until
from ui.view_builders import AT, ESCAPE_MODEL_SHOWN, LINK_MODEL, MARKUP_MODEL, FakeCockpit, build_views

SIZE = (120, 40)


def status_text(app: CockpitApp) -> str:
    return app.query_one(StatusBar).render().plain


def rendered(app: CockpitApp, selector: str) -> str:
    return str(app.query_one(selector).render())


async def test_number_keys_switch_panes() -> None:
    app = cockpit_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        tabs = app.query_one(TabbedContent)
        assert tabs.active == "golden"
        for key, pane in zip("32514", ["breakers", "cost", "maturity", "golden", "runbooks"]):
            await press(pilot, key)
            assert tabs.active == pane
            assert app.active_pane().PANE_ID == pane


async def test_header_shows_environment_and_the_cockpit_clock() -> None:
    app = cockpit_app(FakeCockpit(environment="prod-eu-1"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        header = app.query_one(CockpitHeader).render().plain
        assert header.startswith("aiops-tui · prod-eu-1")
        assert header.endswith("2026-10-28 12:00:00 UTC")


async def test_reviewing_a_file_the_header_says_where_the_history_ends_not_a_now() -> None:
    app = cockpit_app(FakeCockpit(live=False))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        header = app.query_one(CockpitHeader).render().plain
        assert header.endswith("history to 2026-10-28 12:00:00 UTC"), header
        await press(pilot, "[")  # a step back: the status line names the moment shown, the header stays
        await settle(pilot)
        assert "REVIEW @ 2026-10-28 11:" in status_text(app)
        assert app.query_one(CockpitHeader).render().plain == header


async def test_reviewing_a_file_the_header_names_it_cut_before_the_time_is() -> None:
    long_name = "export-20261028T120000Z-from-prod-eu-1-before-the-incident.duckdb"
    for size, name, shown in [
        ((120, 40), "h.duckdb", "h.duckdb · history to 2026-10-28 12:00:00 UTC"),
        ((80, 24), long_name, "export-20261028T1… · history to 2026-10-28 12:00:00 UTC"),  # 18 columns left for it
    ]:
        cockpit = FakeCockpit(live=False)
        cockpit.reviewing = name  # as `aiops-tui review FILE` sets it
        app = cockpit_app(cockpit)
        async with app.run_test(size=size) as pilot:
            await settle(pilot)
            header = app.query_one(CockpitHeader).render().plain
            assert header.startswith("aiops-tui · prod-eu-1  ") and header.endswith(shown), header
            assert len(header) == size[0] - 2  # its padding: one column each side


async def test_p_pauses_and_resumes_and_shows_paused() -> None:
    cockpit = FakeCockpit()
    app = cockpit_app(cockpit)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "PAUSED" not in status_text(app)
        await press(pilot, "p")
        assert (cockpit.pause_calls, cockpit.resume_calls) == (1, 0)
        assert status_text(app).startswith("PAUSED")
        calls = len(cockpit.views_calls)
        app._tick()  # what the 1 s timer does: a paused display does not fetch
        await settle(pilot)
        assert len(cockpit.views_calls) == calls
        await press(pilot, "p")
        assert (cockpit.pause_calls, cockpit.resume_calls) == (1, 1)
        assert "PAUSED" not in status_text(app)


async def test_r_refreshes_the_cockpit_and_the_views() -> None:
    cockpit = FakeCockpit()
    app = cockpit_app(cockpit)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        calls = len(cockpit.views_calls)
        await press(pilot, "r")
        assert cockpit.refresh_calls == 1
        assert len(cockpit.views_calls) > calls


async def test_plus_and_minus_step_the_poll_interval_by_5s_within_bounds() -> None:
    cockpit = FakeCockpit()
    app = CockpitApp(cockpit)  # the fake has no poller: the app starts from 15 s
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "poll 15s" in status_text(app)
        await press(pilot, "plus")
        await press(pilot, "minus", "minus", "minus", "minus")
        # 15 + 5 = 20, then 15, 10, 5, and 5 again: never below 5 s
        assert cockpit.intervals == [20.0, 15.0, 10.0, 5.0, 5.0]
        assert "poll 5s" in status_text(app)


async def test_the_first_views_draw_tiles_first_and_the_charts_next_from_the_newest_views() -> None:
    class OnePane(App):
        def compose(self) -> ComposeResult:
            yield GoldenPane(id="golden")

    app = OnePane()
    async with app.run_test(size=SIZE) as pilot:
        pane = app.query_one(GoldenPane)
        pane.update_views(build_views(AT, "1h"))
        pane.update_views(build_views(AT + 60, "6h"))  # newer views before the next frame
        assert "req/s" in str(app.query_one("#tile-requests_per_s").render())
        assert not app.query("TimeChart")  # mounted with their first plot, a frame later
        await pilot.pause()
        charts = list(app.query("TimeChart"))
        titles = [chart.plotted.framing[0] for chart in charts]
        assert titles == ["p95 latency, s · last 6h", "requests/s · last 6h", "errors, % · last 6h", "tokens/s · last 6h"]
        assert all(chart.plotted.at == AT + 60 and chart.plotted.points for chart in charts)


async def test_the_charts_are_drawn_before_the_hidden_panes_are_built() -> None:
    laid_out: list[tuple[int, int]] = []  # (charts, other panes built) at each layout of the screen
    app = cockpit_app()

    def seen(_screen) -> None:
        others = [pane for pane_id, pane in app.panes.items() if pane_id != "golden" and pane.is_mounted]
        laid_out.append((len(app.query("TimeChart")), len(others)))

    async with app.run_test(size=SIZE) as pilot:
        app.screen.screen_layout_refresh_signal.subscribe(app, seen)
        await settle(pilot)
        assert laid_out[-1] == (4, 4)
    # A screen with the four charts and none of the other panes yet: building those does not hold them back.
    assert (4, 0) in laid_out, laid_out


async def test_the_starts_deferred_work_runs_once_with_the_first_data_on_screen() -> None:
    on_screen: list[bool] = []  # whether the requests tile showed a value at each call
    app = cockpit_app(after_first_views=lambda: on_screen.append(any("req/s" in line for line in screen_lines(app))))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "r")  # later views do not call it again
        assert on_screen == [True]


async def test_the_spend_left_out_of_the_first_views_is_asked_for_once_they_are_drawn(monkeypatch) -> None:
    """The start's first views leave the cost pane's reads out (`Views.cost` None): the app asks for the rest
    as soon as they are drawn, not at its next tick (made an hour here), and the cost pane says it is reading
    the spend until they come."""
    import aiops_tui.ui.app as app_module

    monkeypatch.setattr(app_module, "TICK_S", 3600.0)
    release = threading.Event()

    class StartingCockpit(FakeCockpit):
        def views(self, at=None, window="1h", model="", gateway=""):
            views = super().views(at, window, model, gateway)
            if len(self.views_calls) == 1:
                return dataclasses.replace(views, cost=None)
            assert release.wait(5), "the test never released the views"
            return views

    cockpit = StartingCockpit()
    app = cockpit_app(cockpit)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: len(cockpit.views_calls) == 2 and "cost" in app.panes)
        await pilot.press("2")
        await until(pilot, lambda: any("reading the spend…" in line for line in screen_lines(app)))
        await pilot.press("5")  # the maturity pane's suggestions wait for the spend too
        await until(pilot, lambda: app.tabs.active == "maturity" and app.panes["maturity"].views is not None)
        assert "pane:" not in status_text(app)
        release.set()
        await press(pilot, "2")
        text = "\n".join(screen_lines(app))
        assert "reading the spend…" not in text and "month to date" in text and "$6,085" in text, text
        assert len(cockpit.views_calls) == 2


async def test_after_failed_first_views_the_starts_deferred_work_still_runs_once() -> None:
    calls: list[str] = []  # the status line at each call
    cockpit = FakeCockpit(fail="IO Error: could not read history.duckdb")
    app = cockpit_app(cockpit, after_first_views=lambda: calls.append(status_text(app)))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "r")
        assert len(calls) == 1 and "⚠ IO Error: could not read history.duckdb" in calls[0]


async def test_a_pane_asked_for_twice_is_mounted_once_and_both_callers_wait_for_it() -> None:
    """The panes' worker and a tab shown meanwhile ask for the same pane: the tab's handler draws the
    pane once it returns, so it must not return while the worker's mount is still under way."""
    release = threading.Event()

    class HeldCockpit(FakeCockpit):
        def views(self, at=None, window="1h", model="", gateway=""):
            release.wait(5)  # no first views, so no panes' worker: this test asks for the pane itself
            return super().views(at, window, model)

    app = cockpit_app(HeldCockpit())
    async with app.run_test(size=SIZE):
        seen = []

        async def ask() -> None:
            await app._mount_pane("maturity")
            seen.append(app.panes["maturity"].is_mounted)

        await asyncio.gather(ask(), ask())
        release.set()
        assert seen == [True, True]
        assert len(app.query(MaturityPane)) == 1


async def test_w_cycles_the_chart_window_and_asks_for_it() -> None:
    cockpit = FakeCockpit()
    app = cockpit_app(cockpit)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "w")
        assert cockpit.views_calls[-1] == (None, "6h")
        assert "chart window 6h" in rendered(app, "#golden-source")
        await press(pilot, "w", "w", "w", "w", "w", "w")
        assert cockpit.views_calls[-1] == (None, "1h")  # 6h -> 24h -> 7d -> 30d -> 90d -> 15m -> 1h


async def test_brackets_step_through_history_and_back_to_live() -> None:
    cockpit = FakeCockpit()
    app = cockpit_app(cockpit)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "left_square_bracket")
        # window 1h, step = 3600 / 6 = 600 s: 12:00:00 -> 11:50:00
        assert cockpit.views_calls[-1] == (AT - 600, "1h")
        assert status_text(app).startswith("REVIEW @ 2026-10-28 11:50:00 UTC")
        await press(pilot, "right_square_bracket")
        assert cockpit.views_calls[-1] == (None, "1h")
        assert "REVIEW" not in status_text(app)


async def test_review_of_a_file_does_not_poll_and_says_review() -> None:
    cockpit = FakeCockpit(live=False)
    app = cockpit_app(cockpit)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert not cockpit.polling_started
        assert status_text(app).startswith("REVIEW @ 2026-10-28 12:00:00 UTC")
        assert "poll" not in status_text(app)
        calls = len(cockpit.views_calls)
        app._tick()  # a reviewed file does not change by itself: the timer does not query it again
        await settle(pilot)
        assert len(cockpit.views_calls) == calls
        await press(pilot, "r")
        assert len(cockpit.views_calls) == calls + 1


async def test_live_cockpit_is_queried_on_every_tick() -> None:
    cockpit = FakeCockpit()
    app = cockpit_app(cockpit)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        calls = len(cockpit.views_calls)
        app._tick()
        await settle(pilot)
        assert len(cockpit.views_calls) >= calls + 1  # the 1 s timer may tick too on a loaded machine


async def test_views_are_read_again_only_when_a_poll_cycle_has_landed() -> None:
    cockpit = FakeCockpit()
    cockpit.data_version = 7
    app = cockpit_app(cockpit)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        calls = len(cockpit.views_calls)
        for _ in range(3):
            app._tick()
            await settle(pilot)
        assert len(cockpit.views_calls) == calls  # nothing new was written: the views on screen stand
        cockpit.data_version = 8
        app._tick()
        await settle(pilot)
        assert len(cockpit.views_calls) == calls + 1
        cockpit.now += 11  # no cycle for longer than REFETCH_S: read again anyway (ages, stale states)
        app._tick()
        await settle(pilot)
        assert len(cockpit.views_calls) == calls + 2


async def test_source_ages_grow_with_the_clock_between_reads_of_the_views() -> None:
    cockpit = FakeCockpit()
    cockpit.data_version = 1
    app = cockpit_app(cockpit)
    async with app.run_test(size=(220, 40)) as pilot:
        await settle(pilot)
        assert "prometheus ok 3s" in status_text(app)
        cockpit.now += 4
        app._tick()
        await settle(pilot)
        assert "prometheus ok 7s" in status_text(app) and "gw-main stale 51s" in status_text(app)


async def test_live_cockpit_polls_until_the_app_exits() -> None:
    cockpit = FakeCockpit()
    app = cockpit_app(cockpit)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert cockpit.polling_started
    assert app._stop_polling.is_set()


async def test_status_bar_lists_sources_worst_first() -> None:
    app = cockpit_app()
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        text = status_text(app)
        assert text.startswith("1 FIRING (press 4)")
        assert text.index("gw-edge down 5m: connection refused") < text.index("gw-main stale 47s") < text.index("prometheus ok 3s")
        assert text.endswith("gw-main stale 47s (litellm, resilience4j) · ● prometheus ok 3s (litellm)")


async def test_a_prometheus_whose_rates_read_low_says_why_and_the_panes_say_they_read_direct() -> None:
    class YoungPrometheus(FakeCockpit):
        def views(self, *args, **kwargs):
            views = super().views(*args, **kwargs)
            young = [dataclasses.replace(s, reads_low="rates read low: holds 40s of 5m") if s.name == "prometheus" else s
                     for s in views.sources]
            return dataclasses.replace(views, sources=tuple(young), direct=True)

    app = cockpit_app(YoungPrometheus())
    async with app.run_test(size=(200, 40)) as pilot:
        await settle(pilot)
        text = status_text(app)
    assert "window 1h · direct · ✖ gw-edge" in text
    assert text.endswith("● prometheus ok 3s: rates read low: holds 40s of 5m")


async def test_the_status_bar_says_what_the_start_waits_for_and_how_far_it_has_got_until_polling_starts() -> None:
    release = threading.Event()
    said = ["simulating the demo's 12h before now · 8 %"]  # as `aiops-tui demo --backfill 12h` says it

    class Simulating(FakeCockpit):
        @property
        def starting(self) -> str:  # as the demo's: read at each tick
            return said[0]

        def views(self, *args, **kwargs):
            assert release.wait(30), "the test never released the first views"
            return super().views(*args, **kwargs)

    app = cockpit_app(Simulating())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert status_text(app).endswith("window 1h · loading… simulating the demo's 12h before now · 8 %")
        said[0] = "simulating the demo's 12h before now · 67 %"
        await until(pilot, lambda: status_text(app).endswith("loading… simulating the demo's 12h before now · 67 %"))
        said[0] = "rolling up the demo's 12h; polling starts after"
        release.set()
        await settle(pilot)
        # The first views are on screen; the start still has the rollups to write before polling.
        assert "loading" not in status_text(app) and "simulating" not in status_text(app)
        assert "window 1h · rolling up the demo's 12h; polling starts after · ✖ gw-edge down" in status_text(app)
        said[0] = ""  # polling has started
        await until(pilot, lambda: "rolling up" not in status_text(app))
        assert "window 1h · ✖ gw-edge down" in status_text(app)


async def test_a_narrow_status_bar_drops_the_sources_profiles_before_any_source() -> None:
    app = cockpit_app()
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        assert "prometheus ok 3s (litellm)" in screen_lines(app)[-2]
        await pilot.resize_terminal(140, 40)
        await settle(pilot)
        line = screen_lines(app)[-2]
        assert "litellm" not in line and "…" not in line
        assert line.rstrip().endswith("gw-edge down 5m: connection refused · ◐ gw-main stale 47s · ● prometheus ok 3s")
        await pilot.resize_terminal(80, 24)
        await settle(pilot)
        line = screen_lines(app)[-2]
        assert "poll 15s · window 1h · ✖ gw-edge down 5m: connection" in line and line.rstrip().endswith("…")


async def test_a_failing_views_call_is_one_line_in_the_status_bar_and_the_app_goes_on() -> None:
    cockpit = FakeCockpit(fail="IO Error: could not read history.duckdb\nTraceback (most recent call last): ...")
    app = cockpit_app(cockpit)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        text = status_text(app)
        assert "⚠ IO Error: could not read history.duckdb" in text and "Traceback" not in text
        cockpit.fail = None
        await press(pilot, "r")
        assert "⚠" not in status_text(app)
        assert app.query_one("#models", DataTable).row_count == 5


async def test_help_lists_this_panes_keys_first_then_the_rest() -> None:
    app = cockpit_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "question_mark")
        assert isinstance(app.screen, HelpScreen)
        own = str(app.screen.query_one("#help-pane-keys").render())
        everywhere = str(app.screen.query_one("#help-keys").render())
        assert own.startswith("Keys on Golden signals") and "w  chart window 15m / 1h / 6h / 24h" in own
        for line in ("p  pause / resume polling", "r  refresh now", "+  poll less often", "?  help for this pane", "q  quit"):
            assert line in everywhere
        assert "cost from litellm_spend_metric_total" in str(app.screen.query_one("#help-notes").render())
        # A source is down: the status line in full comes first, every source with its profiles and error.
        sections = [child.id for child in app.screen.query_one("VerticalScroll").children]
        assert sections[0] == "help-status" and sections.index("help-pane-text") == 1
        status = str(app.screen.query_one("#help-status").render()).splitlines()
        assert status[:3] == ["Status, in full", "  1 FIRING (press 4)", "  poll 15s · window 1h"]
        assert status[-3:] == [
            "  ✖ gw-edge down 5m: connection refused",
            "  ◐ gw-main stale 47s (litellm, resilience4j)",
            "  ● prometheus ok 3s (litellm)",
        ]
        await press(pilot, "escape")
        await press(pilot, "3", "question_mark")
        assert "HALF-OPEN" in str(app.screen.query_one("#help-pane-text").render())
        own = str(app.screen.query_one("#help-pane-keys").render())  # the chart window acts on the breakers too
        assert own.startswith("Keys on Breakers") and "w  chart window 15m / 1h / 6h / 24h" in own


async def test_command_palette_lists_and_runs_a_cockpit_action() -> None:
    cockpit = FakeCockpit()
    app = cockpit_app(cockpit)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "ctrl+p")
        assert isinstance(app.screen, CommandPalette)
        await press(pilot, *"pause")
        options = app.screen.query_one("CommandList")
        prompts = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        assert any("Pause / resume polling" in p for p in prompts)
        await press(pilot, "enter")
        assert cockpit.pause_calls == 1
        await press(pilot, "ctrl+p", *"step back")  # "[" in the help text must not be read as markup
        options = app.screen.query_one("CommandList")
        assert "Step back through history" in str(options.get_option_at_index(0).prompt)


async def test_the_palette_lists_each_command_once_with_the_cockpits_key() -> None:
    app = cockpit_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "ctrl+p")
        options = app.screen.query_one("CommandList")
        titles = [str(options.get_option_at_index(i).prompt).splitlines()[0] for i in range(options.option_count)]
        assert len(titles) == len(set(titles)), titles
        assert titles.count("Quit") == 1 and "Keys" not in titles  # `?` is the cockpit's help
        assert {"Theme", "Screenshot", "Help for this pane", "Show Cost"} <= set(titles)


async def test_the_palette_offers_and_runs_the_keys_of_the_pane_in_view() -> None:
    app = cockpit_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)

        async def prompts(query: str) -> list[str]:
            await press(pilot, "ctrl+p", *query)
            options = app.screen.query_one("CommandList")
            found = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
            return found

        assert not any("Answer no" in p for p in await prompts("answer no"))  # the golden pane is in view
        await press(pilot, "escape", "5")
        assert any("Answer no" in p for p in await prompts("answer no"))
        table = app.query_one("MaturityChecklist")
        question = table.selected_question_id()
        assert table.get_row(question)[2].plain != "no"
        await press(pilot, "enter")  # runs on the pane, as its key n does
        assert table.get_row(question)[2].plain == "no"


async def test_t_cycles_through_every_shipped_theme_and_back() -> None:
    app = cockpit_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        seen = [app.theme]
        for _ in range(4):
            await press(pilot, "t", "3")  # the breakers pane colours its cells in code: it must follow the theme
            seen.append(app.theme)
        assert seen == ["dark", "light", "high-contrast", "ansi-256", "dark"]
        state = app.query_one("#breakers-table", DataTable).get_row_at(0)[0]
        assert state.spans[0].style.color.name.lower() == app.theme_variables["error"].lower()
        assert "⚠" not in status_text(app)


async def test_resize_to_80x24_and_back_keeps_the_cockpit_working() -> None:
    app = cockpit_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.query_one("#charts").display
        await pilot.resize_terminal(80, 24)
        await settle(pilot)
        golden = app.query_one("GoldenPane")
        assert golden.has_class("-small") and not app.query_one("#charts").display
        # Each chart a sparkline row instead: the fixture's waves peak at base + amplitude (sin ≈ 1 at i = 47);
        # 80 columns less the labels and peaks.
        assert spark_rows(app) == {"p95 latency": (50, "max 190 ms"), "requests": (50, "max 15.0 req/s"),
                                   "errors": (50, "max 1.20 %"), "tokens": (50, "max 2,100 tok/s")}
        # Five models leave two rows for them: p95 and requests are on screen, and the pane does not scroll
        # (a scrollbar would narrow the tiles).
        assert [line[:12].strip() for line in screen_lines(app)[-4:-2]] == ["p95 latency", "requests"]
        assert golden.virtual_size.height == golden.size.height
        await pilot.resize_terminal(100, 26)  # still too short for charts: the rows take the new width
        await settle(pilot)
        width = app.query_one("#sparks").size.width  # less a scrollbar when the pane scrolls
        assert width > 80 and {label: cells for label, (cells, _) in spark_rows(app).items()} == dict.fromkeys(
            ("p95 latency", "requests", "errors", "tokens"), width - 12 - 16 - 2)  # less the labels and peaks
        for key in "23451":
            await press(pilot, key)
        await pilot.resize_terminal(120, 40)
        await settle(pilot)
        assert not golden.has_class("-small") and app.query_one("#charts").display
        assert "⚠" not in status_text(app)


async def test_charts_only_where_each_has_three_rows_to_plot_in_as_the_models_leave_them() -> None:
    def shown() -> str:
        golden = app.query_one(GoldenPane)
        charts = app.query_one("#charts")
        if golden.has_class("-small"):
            assert not charts.display and app.query_one("#sparks").display
            return "sparklines"
        assert charts.display and charts.size.height >= 14  # 7 rows a chart: 3 to plot in
        return "charts"

    class OneModel(FakeCockpit):
        def views(self, at=None, window="1h", model="", gateway=""):
            views = super().views(at, window, model)
            return dataclasses.replace(views, golden=dataclasses.replace(views.golden, models=views.golden.models[:1]))

    app = cockpit_app()
    async with app.run_test(size=(120, 34)) as pilot:
        await settle(pilot)
        # Five models: the charts would have 11 rows, slivers of one plotted row each.
        assert shown() == "sparklines"
        await pilot.resize_terminal(120, 38)
        await settle(pilot)
        assert shown() == "charts"
        await pilot.resize_terminal(120, 34)
        await settle(pilot)
        assert shown() == "sparklines"
    app = cockpit_app(OneModel())
    async with app.run_test(size=(120, 34)) as pilot:
        await settle(pilot)
        assert shown() == "charts"  # one model leaves four rows more


async def test_a_short_wide_terminal_draws_each_sparkline_as_tall_as_the_room_left_allows() -> None:
    app = cockpit_app()
    async with app.run_test(size=(140, 30)) as pilot:
        await settle(pilot)
        sparks = app.query_one("#sparks")
        assert app.query_one("GoldenPane").has_class("-small") and sparks.size.height >= 9
        *lines, axis = str(sparks.render()).splitlines()
        assert len(lines) == 8 and axis.strip().startswith("-1h")  # two rows each, the axis under them
        for n, label in enumerate(("p95 latency", "requests", "errors", "tokens")):
            top, base = lines[2 * n], lines[2 * n + 1]
            # The peak named on the top row, the label on the base, as on the breakers' strip.
            assert top[:12].strip() == "" and re.search(r" max \S", top) and base[:12].strip() == label, (top, base)
            assert "max" not in base
            # One bar in two rows: wherever the top row has a bar, the base under it is full.
            for upper, lower in zip(top[13:], base[13:]):
                assert upper == " " or lower == "█" or upper not in "▁▂▃▄▅▆▇█", (top, base)
        await pilot.resize_terminal(80, 24)
        await settle(pilot)
        assert len(str(sparks.render()).splitlines()) == 5  # one row each where the room is short


def spark_rows(app: App) -> dict[str, tuple[int, str]]:
    """The golden pane's sparkline rows, as many as its height shows or not: label -> (cells, the peak's words). Only cells before the series' first point may be blank: its points are 60 s apart, so a
    cell narrower than that holds the point before it instead of reading as a gap."""
    rows = {}
    sparks = app.query_one("#sparks")
    assert sparks.display and sparks.size.width
    *lines, axis = str(sparks.render()).splitlines()
    assert re.fullmatch(r" {13}-1h +-30m +now", axis), axis  # the time axis under the bars, cut first
    for line in lines:
        label, bars, peak = re.fullmatch(r"(.{12}) (.+) (max .+?) *", line).groups()
        assert set(bars.lstrip()) <= set("▁▂▃▄▅▆▇█"), line
        rows[label.strip()] = (len(bars), peak)
    return rows


async def test_markup_and_escapes_in_names_render_as_literal_text() -> None:
    app = cockpit_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        models = app.query_one("#models", DataTable)
        names = [models.get_row_at(i)[0].plain for i in range(models.row_count)]
        assert names == ["gpt-4o", "claude-sonnet", MARKUP_MODEL, LINK_MODEL, ESCAPE_MODEL_SHOWN]
        svg = app.export_screenshot()
        assert "[red]x[/]" in svg and "[link=https://evil]y[/link]" in svg and "\x1b" not in svg
        await press(pilot, "3")
        breakers = app.query_one("#breakers-table", DataTable)
        upstreams = [breakers.get_row_at(i)[1].plain for i in range(breakers.row_count)]
        fallbacks = [breakers.get_row_at(i)[6].plain for i in range(breakers.row_count)]
        assert LINK_MODEL in upstreams and MARKUP_MODEL in fallbacks


async def test_a_model_value_past_its_target_is_marked_not_only_coloured() -> None:
    app = cockpit_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        models = app.query_one("#models", DataTable)
        rows = {models.get_row_at(i)[0].plain: [cell.plain for cell in models.get_row_at(i)[1:]] for i in range(models.row_count)}
        # gpt-4o: errors and p95 past target; claude-sonnet: p95 near it (amber, no mark); requests have no target
        assert rows["gpt-4o"] == ["7.10 req/s  ", "1.20 % !", "210 ms !", "1,100 tok/s  "]
        assert rows["claude-sonnet"] == ["4.20 req/s  ", "0.40 %  ", "140 ms  ", "650 tok/s  "]
        assert rows[ESCAPE_MODEL_SHOWN][1:3] == ["no traffic  ", "no traffic  "]
        assert "210&#160;ms&#160;!" in app.export_screenshot()  # on screen, as drawn


async def test_golden_tiles_say_why_a_number_is_missing() -> None:
    app = cockpit_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        fallback, queue, p95 = (app.query_one(f"#tile-{s}") for s in ("fallback_ratio", "queue_depth", "latency_p95_s"))
        assert str(fallback.render()).startswith("no traffic") and fallback.has_class("-none")
        assert str(queue.render()).startswith("no data") and queue.has_class("-none")
        assert str(p95.render()) == "183 ms\nOVER target 150 ms" and p95.has_class("-bad")
        assert str(app.query_one("#tile-cache_hit_ratio").render()) == "54.0 %\nnear target ≥60 %"


async def test_the_p50_tile_says_how_many_answers_came_from_the_cache_once_most_did() -> None:
    class HitRatio(FakeCockpit):
        ratio = 0.54

        def views(self, at=None, window="1h", model="", gateway=""):
            views = super().views(at, window, model)
            tiles = dict(views.golden.tiles, cache_hit_ratio=Reading(self.ratio, "warn"))
            return dataclasses.replace(views, golden=dataclasses.replace(views.golden, tiles=tiles))

    cockpit = HitRatio()
    app = cockpit_app(cockpit)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert str(app.query_one("#tile-latency_p50_s").render()) == "42 ms\n54 % from cache"
        cockpit.ratio = 0.5  # half: the median is no more a hit than a miss
        await press(pilot, "r")
        assert str(app.query_one("#tile-latency_p50_s").render()) == "42 ms\n"
    cockpit.ratio = 0.91
    app = cockpit_app(cockpit)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert str(app.query_one("#tile-latency_p50_s").render()) == "42 ms\n91 % cached"


async def test_the_p95_and_errors_tiles_name_the_model_furthest_off_target_under_them() -> None:
    def bottoms() -> list[str]:
        return [line for line in screen_lines(app) if line.startswith("╰")][:1]

    class WorstIsMarkup(FakeCockpit):
        """The markup-named model is the slowest: its name is drawn as it is, in the tile's border."""

        def views(self, at=None, window="1h", model="", gateway=""):
            views = super().views(at, window, model)
            models = [dataclasses.replace(row, latency_p95_s=Reading(0.9, "bad")) if row.model == MARKUP_MODEL else row
                      for row in views.golden.models]
            return dataclasses.replace(views, golden=dataclasses.replace(views.golden, models=models))

    app = cockpit_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        # The first row of tiles: p50, p95 (gpt-4o past 150 ms), p99, requests, errors (gpt-4o past 1 %).
        pointers = re.findall(r"─ (\S[^─]*?) ─╯", bottoms()[0])
        assert pointers == ["gpt-4o 210 ms !", "gpt-4o 1.20 % !"], bottoms()
        await pilot.resize_terminal(80, 24)
        await settle(pilot)
        assert re.findall(r"─ (\S[^─]*?) ─╯", bottoms()[0]) == ["gpt-4o !", "gpt-4o !"], bottoms()

    app = cockpit_app(WorstIsMarkup())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert re.findall(r"─ (\S[^─]*?) ─╯", bottoms()[0])[0] == f"{MARKUP_MODEL} !", bottoms()
        await pilot.resize_terminal(80, 24)
        await settle(pilot)
        assert re.findall(r"─ (\S[^─]*?) ─╯", bottoms()[0])[0] == "[red]x… !", bottoms()  # cut, the mark kept


async def test_at_80_columns_each_tile_says_its_target_whole() -> None:
    signals = ("latency_p95_s", "error_ratio", "cache_hit_ratio", "fallback_ratio")
    readings = {"latency_p95_s": Reading(0.12, "ok"), "error_ratio": Reading(0.02, "bad"),
                "cache_hit_ratio": Reading(0.58, "warn"), "fallback_ratio": Reading(0.01, "ok")}

    class TilesCockpit(FakeCockpit):
        """Every views it gives carries these readings, so a refetch on the app's tick draws the same tiles."""

        def views(self, at=None, window="1h", model="", gateway=""):
            views = super().views(at, window, model)
            return dataclasses.replace(views, golden=dataclasses.replace(views.golden, tiles={**views.golden.tiles, **readings}))

    def lines_under_the_values() -> dict[str, str]:
        return {s: str(app.query_one(f"#tile-{s}").render()).split("\n")[1] for s in signals}

    app = cockpit_app(TilesCockpit())
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        lines = lines_under_the_values()
        # On, past and near target, in tiles 11-12 cells wide: each line whole, the bound kept.
        assert lines == {"latency_p95_s": "≤150 ms", "error_ratio": "OVER 1.0 %", "cache_hit_ratio": "near ≥60 %",
                         "fallback_ratio": "≤5.0 %"}
        for signal, line in lines.items():
            assert len(line) <= app.query_one(f"#tile-{signal}").size.width
        # Each title whole too: the short one where the long one would be cut ("p95 late…").
        tops = [line for line in screen_lines(app) if line.startswith("╭─ ")]
        assert len(tops) == 2 and not any("…" in line for line in tops), tops
        assert [title for line in tops for title in re.findall(r"╭─ (.+?) ─", line)] == [
            "p50", "p95", "p99", "requests", "errors", "in flight", "queue", "cache", "fallbacks", "tokens"]
        await pilot.resize_terminal(120, 40)
        await settle(pilot)
        assert lines_under_the_values() == {
            "latency_p95_s": "target ≤150 ms", "error_ratio": "OVER target 1.0 %", "cache_hit_ratio": "near target ≥60 %",
            "fallback_ratio": "target ≤5.0 %",
        }


async def test_at_80_columns_the_breakers_table_keeps_what_an_incident_needs() -> None:
    app = cockpit_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "3")
        pane, table = app.query_one(BreakersPane), app.query_one("#breakers-table", DataTable)
        table.move_cursor(row=1)
        await settle(pilot)
        chosen = pane.selected().upstream
        for size, columns in (((80, 24), NARROWEST_COLUMNS), ((120, 40), COLUMNS), ((100, 30), NARROW_COLUMNS),
                              ((80, 24), NARROWEST_COLUMNS)):
            await pilot.resize_terminal(*size)
            await settle(pilot)
            assert [str(c.label) for c in table.columns.values()] == list(columns)
            assert pane.selected().upstream == chosen  # still under the cursor
            header, *rows = [table.render_line(y).text for y in range(table.row_count + 1)]
            assert [header.index(name) for name in columns] == sorted(header.index(name) for name in columns)
            assert "opens" in header and header.index("opens") + len("opens") <= size[0]  # on screen, no scrolling
            assert max(len(line.rstrip()) for line in [header, *rows]) <= size[0] - 1  # every cell whole
            # Cells measured with the new columns, not cut to their labels' widths.
            assert any("openai/gpt-4o" in row and "HALF-OPEN" in rows[1] for row in rows)
            # The chosen breaker's line says its error ratio now, whole, at every width.
            title = rendered(app, "#breaker-title")
            assert title.startswith(chosen) and re.search(r"· now [\d.]+ %$", title), title
            assert len(title) <= app.query_one("#breaker-title").size.width, title


async def test_the_breakers_table_takes_all_its_columns_only_when_the_names_let_them_fit() -> None:
    long_name = "bedrock/anthropic.claude-3-5-sonnet-20241022-v2:0"

    class RenamingCockpit(FakeCockpit):
        upstream = "openai/gpt-4o"

        def views(self, at=None, window="1h", model="", gateway=""):
            views = super().views(at, window, model)
            rows = [dataclasses.replace(views.breakers.rows[0], upstream=self.upstream), *views.breakers.rows[1:]]
            return dataclasses.replace(views, breakers=dataclasses.replace(views.breakers, rows=rows))

    cockpit = RenamingCockpit()
    app = cockpit_app(cockpit)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "3")
        table = app.query_one("#breakers-table", DataTable)
        for upstream, columns in ((long_name, NARROW_COLUMNS), ("openai/gpt-4o", COLUMNS)):
            cockpit.upstream = upstream
            await press(pilot, "r")
            assert column_names(table) == list(columns), upstream
            header, *rows = [table.render_line(y).text for y in range(table.row_count + 1)]
            assert header.rstrip().endswith(columns[-1]) and len(header.rstrip()) <= 120  # the last column on screen
            assert upstream in rows[0]


async def test_arrows_typed_together_with_a_panes_key_move_that_panes_cursor() -> None:
    """As over SSH, where "3" and two ↓ can arrive in one read: all three are queued before the first is handled."""
    from textual import events

    from aiops_tui.ui.widgets.levers_table import LeversTable

    def cursor(pane_key: str) -> tuple[object, int, int]:
        """(the widget the arrows move, its cursor, its rows) on the pane of this key."""
        if pane_key == "3":
            table = app.query_one("#breakers-table", DataTable)
            return table, table.cursor_row, table.row_count
        levers = app.query_one(LeversTable)
        return levers, levers.selected, len(levers.levers)

    app = cockpit_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        for pane_key in ("3", "2", "3", "2"):
            before = cursor(pane_key)[1] if app.query("#breakers-table, #levers-table") else 0
            for key, character in ((pane_key, pane_key), ("down", None), ("down", None)):
                app.post_message(events.Key(key, character))
            await settle(pilot)
            widget, row, rows = cursor(pane_key)
            assert app.focused is widget, pane_key
            # the breakers' table stops at its last row; the levers wrap round
            assert row == (min(before + 2, rows - 1) if pane_key == "3" else (before + 2) % rows), pane_key


async def test_cost_without_a_budget_says_so_instead_of_dividing_by_zero() -> None:
    app = cockpit_app(FakeCockpit(budget_usd=0.0, mtd_covers_from=AT - 25 * 86400))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "2")
        figures = rendered(app, "#cost-figures")
        assert "no budget set" in figures
        assert "since 2026-10-03" in figures  # AT - 25 days = 2026-10-03 12:00 UTC
        assert str(app.query_one("#budget-bar").render()).startswith("no budget set · $6,085 spent")
        assert "—" in rendered(app, "#burn-5m") and "PAGE" not in rendered(app, "#burn-5m")


async def test_cost_rates_over_windows_longer_than_the_history_say_what_they_rest_on() -> None:
    for held_s, burn_notes, projected in [
        (2 * 3600 + 300, {"5m": "", "1h": "", "6h": "over 2h05m", "3d": "over 2h05m"},
         "projected      $7,093.00 at the rate so far (2h05m of history)"),
        (3 * 86400, dict.fromkeys(("5m", "1h", "6h", "3d"), ""),
         "projected      $7,093.00 at 24 h rate · $6,715.00 at the rate so far (3d of history)"),
        (25 * 86400, dict.fromkeys(("5m", "1h", "6h", "3d"), ""),
         "projected      $7,093.00 at 24 h rate · $6,715.00 at 7 d rate"),
    ]:
        app = cockpit_app(FakeCockpit(mtd_covers_from=AT - held_s))
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await press(pilot, "2")
            for label, note in burn_notes.items():
                line = rendered(app, f"#burn-{label}")
                assert line.endswith(f"  {note}") if note else "over" not in line, (held_s, line)
                # On screen whole, beside the month's chart: not cut at the column's edge.
                assert len(line) <= app.query_one(f"#burn-{label}").content_size.width, (held_s, line)
            assert projected in rendered(app, "#cost-figures").splitlines(), held_s


async def test_cost_burn_lines_mark_the_windows_that_page() -> None:
    app = cockpit_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "2")
        paging = {label: app.query_one(f"#burn-{label}").has_class("-paging") for label in ("5m", "1h", "6h", "3d")}
        assert paging == {"5m": True, "1h": False, "6h": True, "3d": False}  # 15.9x >= 14.4, 5.3x < 14.4, 6.4x >= 6
        assert rendered(app, "#burn-5m").endswith("15.9×  ≥14.4×      PAGE")
        bar = str(app.query_one("#budget-bar").render())
        assert "$6,085 of $7,000 (87 %)" in bar and "projected OVER" in bar


async def test_breakers_state_in_words_and_detail_follows_the_cursor() -> None:
    app = cockpit_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "3")
        assert str(app.query_one(TabbedContent).get_tab("breakers").label) == "3 Breakers · 1 OPEN"
        table = app.query_one("#breakers-table", DataTable)
        states = [table.get_row_at(i)[0].plain for i in range(table.row_count)]
        assert states == ["● OPEN", "◐ HALF-OPEN", "○ CLOSED", "○ CLOSED"]
        assert rendered(app, "#breaker-title").startswith("openai/gpt-4o · error ratio over the last 1h")
        strip = str(app.query_one("#breaker-flaps").render())
        # Read each minute of the hour: drawn from its first reading, a cell or two into the strip.
        assert strip.endswith("█") and "▄" in strip and strip.lstrip().startswith("▁") and len(strip) - len(strip.lstrip()) <= 2
        # Its flaps are counted over the transitions the views read back: 30 days by default.
        assert rendered(app, "#breaker-legend").endswith("· opened 4 times in the last 30d")
        await press(pilot, "down")  # the table has the cursor once the pane is shown
        pane = app.query_one(BreakersPane)
        assert pane.selected().upstream == "anthropic/claude-sonnet"
        assert rendered(app, "#breaker-title").startswith("anthropic/claude-sonnet")
        assert str(app.query_one("#breaker-flaps").render()).endswith("▄")  # half-open for the last 3 minutes
        assert rendered(app, "#breaker-legend").endswith("· opened once in the last 30d")
        await press(pilot, "down")
        assert rendered(app, "#breaker-legend").endswith("· never opened in the last 30d")


async def test_where_there_is_room_every_upstreams_state_is_drawn_on_one_axis_under_the_selected_one() -> None:
    def overview() -> list[str]:
        lines = screen_lines(app)
        first = next(i for i, line in enumerate(lines) if "every upstream's state" in line)
        return lines[first:first + 6]

    app = cockpit_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "3")
        title, *upstreams, axis = overview()
        assert title.strip() == "every upstream's state over the last 1h"
        names = [line[:30].strip() for line in upstreams]
        # Worst first, as the table; the column fits the longest name; the selected one is marked.
        assert names == ["▸ openai/gpt-4o", "anthropic/claude-sonnet", "[link=https://evil]y[/link]", "local/llama"]
        gpt, sonnet, markup, llama = (line[30:].rstrip() for line in upstreams)
        assert gpt.endswith("█") and "▄" in gpt  # open now, after flapping
        assert sonnet.endswith("▄") and "█" in sonnet  # half-open after opening
        assert set(markup.strip()) == {"▁"} and len(markup) - len(markup.lstrip()) > 40  # first read 20 min ago
        assert set(llama.strip()) == {"▁"}
        assert axis.strip().startswith("-1h") and axis.rstrip().endswith("now")
        await press(pilot, "down")
        assert [line[:30].strip() for line in overview()[1:5]][:2] == ["openai/gpt-4o", "▸ anthropic/claude-sonnet"]
    app = cockpit_app()
    async with app.run_test(size=(80, 24)) as pilot:  # the selected upstream's detail fills the pane
        await settle(pilot)
        await press(pilot, "3")
        assert not any("every upstream's state" in line for line in screen_lines(app))


async def test_a_fleets_breakers_of_one_upstream_are_told_apart_in_the_overview() -> None:
    class Fleet(FakeCockpit):
        """Two gateways, each with a breaker of one long-named upstream."""

        def views(self, *args, **kwargs):
            views = super().views(*args, **kwargs)
            first, second, *_ = views.breakers.rows
            rows = tuple(dataclasses.replace(row, upstream=f"{gateway} · anthropic/claude-3-5-haiku-20241022")
                         for gateway, row in (("gw-otel", first), ("gw-lite", second)))
            return dataclasses.replace(views, breakers=dataclasses.replace(views.breakers, rows=rows))

    app = cockpit_app(Fleet())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "3")
        lines = screen_lines(app)
        first = next(i for i, line in enumerate(lines) if "every upstream's state" in line)
        names = [re.split(r"\s{2,}", line.strip())[0] for line in lines[first + 1:first + 3]]
        assert names == ["▸ gw-otel · …claude-3-5-haiku-20241022", "gw-lite · …claude-3-5-haiku-20241022"]


async def test_a_breaker_already_open_when_first_read_says_at_least_since_then() -> None:
    class FirstReadOpen(FakeCockpit):
        """Prometheus says the breaker is open, not since when: the cockpit first read it open 20 s ago."""

        def views(self, *args, **kwargs):
            views = super().views(*args, **kwargs)
            first, *rest = views.breakers.rows
            rows = (dataclasses.replace(first, since=views.at - 20.0, held_before_since=True), *rest)
            return dataclasses.replace(views, breakers=dataclasses.replace(views.breakers, rows=rows))

    app = cockpit_app(FirstReadOpen())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "3")
        table = app.query_one("#breakers-table", DataTable)
        cells = dict(zip(column_names(table), (cell.plain for cell in table.get_row_at(0))))
        first_read = fmt.utc_time_near(AT - 20.0, AT, day_only=True)
        assert (cells["upstream"], cells["since · for"]) == ("openai/gpt-4o", f"≤{first_read} · ≥20s")


async def test_breaker_flaps_are_counted_over_the_history_when_it_holds_less_than_30_days() -> None:
    app = cockpit_app(FakeCockpit(breakers_watched_from=AT - 50 * 60.0))  # first read 50 minutes ago
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "3")
        assert rendered(app, "#breaker-legend").endswith("· opened 4 times in 50m of history")


async def test_the_breakers_error_strip_is_blank_where_no_ratio_was_read() -> None:
    app = cockpit_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "3")
        strip = app.query_one("#breaker-spark")
        # openai/gpt-4o, selected first: a ratio a minute over the hour, in cells of about half a minute. The
        # cells between its points are bridged: from its first point on, each has a bar on the bottom row.
        assert str(app.query_one("#breaker-title").render()).startswith("openai/gpt-4o · ")
        lines = str(strip.render()).splitlines()
        assert len(lines) == 3 and len(lines[-1]) == strip.size.width
        assert len(lines[-1]) - len(lines[-1].lstrip()) <= 2 and " " not in lines[-1].lstrip()
        # local/llama has no error ratio at all: nothing drawn, not a row of 0 %.
        while not str(app.query_one("#breaker-title").render()).startswith("local/llama"):
            await press(pilot, "down")
        assert "no error-ratio data" in str(app.query_one("#breaker-title").render())
        assert str(strip.render()).strip() == ""


async def test_the_breakers_state_strip_is_blank_before_the_breaker_was_first_seen_as_the_error_strip_is() -> None:
    app = cockpit_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "3")
        for _ in range(3):  # the third row
            if str(app.query_one("#breaker-title").render()).startswith(LINK_MODEL):
                break
            await press(pilot, "down")
        assert str(app.query_one("#breaker-title").render()).startswith(LINK_MODEL)
        # First seen closed 20 minutes ago, with no transition since: a third of the hour drawn, in both strips.
        states = str(app.query_one("#breaker-flaps").render())
        errors = str(app.query_one("#breaker-spark").render()).splitlines()[-1]
        blank = len(states) - len(states.lstrip())
        assert set(states.lstrip()) == {"▁"} and abs(blank - len(states) * 2 / 3) <= 2, states
        assert abs((len(errors) - len(errors.lstrip())) - blank) <= 1, (states, errors)


async def test_breaker_times_from_another_day_carry_their_date() -> None:
    app = cockpit_app(FakeCockpit(now=AT - 11.5 * 3600))  # 2026-10-28 00:30 UTC: the older flaps were the day before
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "3")
        table = app.query_one("#breakers-table", DataTable)
        assert table.get_row("openai/gpt-4o")[COLUMNS.index("since · for")].plain == "00:16:00 · 14m"  # today's
        lines = rendered(app, "#breaker-transitions").splitlines()
        assert lines[:3] == ["recent transitions (UTC):", "  10-28 00:16  closed → open", "  10-28 00:11  half-open → closed"]
        assert lines[-1] == "  10-27 23:59  closed → open"  # 31 minutes back: yesterday


async def test_polling_that_dies_is_said_in_the_status_bar_and_stays_said() -> None:
    class BrokenPoller(FakeCockpit):
        async def run_polling(self, stop) -> None:
            raise OSError("address already in use\nmore detail")

    app = cockpit_app(BrokenPoller())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app._tick()  # fresh views arrive: they must not wipe the polling error
        await settle(pilot)
        assert status_text(app).startswith("⚠ polling stopped: address already in use  ")


async def test_polling_starts_once_the_first_views_are_drawn_or_have_failed() -> None:
    import threading

    class SlowViews(FakeCockpit):
        def __init__(self, **kwargs) -> None:
            super().__init__(**kwargs)
            self.release = threading.Event()

        def views(self, at=None, window="1h", model="", gateway=""):
            self.release.wait(5)
            return super().views(at, window, model)

    cockpit = SlowViews()
    app = cockpit_app(cockpit)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.3)
        assert not cockpit.polling_started  # the first frame with data comes first
        cockpit.release.set()
        await settle(pilot)
        assert cockpit.polling_started
        assert "req/s" in rendered(app, "#tile-requests_per_s")

    failing = FakeCockpit(fail="history unreadable")
    app = cockpit_app(failing)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert failing.polling_started and "history unreadable" in status_text(app)


async def test_stepping_back_then_forward_returns_to_live_even_as_the_clock_moves() -> None:
    cockpit = FakeCockpit()
    app = cockpit_app(cockpit)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "left_square_bracket", "left_square_bracket")
        assert cockpit.views_calls[-1] == (AT - 1200, "1h")  # two steps of 3600 / 6 = 600 s
        cockpit.now = AT + 90  # 90 s pass while the engineer looks back
        await press(pilot, "right_square_bracket")
        assert cockpit.views_calls[-1] == (AT - 600, "1h")
        await press(pilot, "right_square_bracket")  # lands on AT, within half a step (300 s) of AT + 90: live
        assert cockpit.views_calls[-1] == (None, "1h")


async def test_quitting_as_the_first_views_are_drawn_ends_without_an_error() -> None:
    """`q` as the first views land: the golden charts are due on the next refresh, and the other panes not
    yet built. Textual closes the screen under them; the cockpit must end cleanly, not in a traceback."""
    apps: list[CockpitApp] = []
    app = cockpit_app(after_first_views=lambda: apps[0].exit())
    apps.append(app)
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(10):
            await pilot.pause()
    assert app._exception is None
    assert app.return_code == 0


def quitting_while_composed(pane_class: type) -> type:
    """`pane_class` as `q` arrives while the panes' worker mounts it: Textual closes it unfilled."""

    class QuitWhileComposed(pane_class):
        def compose(self) -> ComposeResult:
            self.app.exit()
            yield from super().compose()

    return QuitWhileComposed


@pytest.mark.parametrize("pane_id, pane_class", [
    ("cost", CostPane), ("breakers", BreakersPane), ("runbooks", RunbooksPane), ("maturity", MaturityPane),
])
async def test_quitting_while_the_other_panes_are_built_ends_without_an_error(pane_id: str, pane_class: type) -> None:
    app = cockpit_app()
    app.panes[pane_id] = quitting_while_composed(pane_class)()
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(20):
            await pilot.pause()
    assert app._exception is None
    assert app.return_code == 0

"""The golden pane's AI-quality row and the cost pane's savings levers: on hand-built views (the words, the
colours, a lever without a price, the assumptions of the selected lever) and live, a validation drop in a real
sim reaching the row within two polls."""

from __future__ import annotations

import asyncio
import io

import httpx
from rich.console import Console
from rich.style import Style
from rich.text import Text
from textual.pilot import Pilot

from aiops_tui.cockpit import Cockpit
from aiops_tui.config import GatewayConfig
from aiops_tui.recorder import Recorder
from aiops_tui.signals.savings import Lever
from aiops_tui.sim.server import SimServer
from aiops_tui.sources.gateway import GatewaySource
from aiops_tui.store.history import History
from aiops_tui.ui.widgets.levers_table import LeversTable
from aiops_tui.ui.widgets.quality_row import ABSENT, QualityStrip
from clocks import HandClock
from ui.pilot_helpers import cockpit_app, press, screen_lines, settle, wait_for
from ui.view_builders import ESCAPE_MODEL_SHOWN, MARKUP_MODEL, NO_CACHE_METRIC, FakeCockpit

SIZE = (120, 40)


def colour_of(app, text: Text, part: str) -> str | None:
    """The theme variable ("error", "warning", "success") whose colour the first span covering `part` has."""
    start = text.plain.index(part)
    for span in text.spans:
        if span.start <= start and span.end >= start + len(part) and span.style:
            colour = (span.style if isinstance(span.style, Style) else Style.parse(span.style)).color
            if colour is not None:
                hex_colour = colour.name if colour.name.startswith("#") else colour.triplet.hex
                names = [v for v in ("error", "warning", "success") if app.theme_variables[v].lower() == hex_colour]
                return names[0] if names else hex_colour
    return None


def as_text(renderable, width: int = 200) -> str:
    console = Console(width=width, file=io.StringIO(), color_system=None, record=True)
    console.print(renderable)
    return console.export_text()


def levers_lines(app) -> list[str]:
    return str(app.query_one(LeversTable).render()).splitlines()


# --- the golden pane's AI-quality row ------------------------------------------------------------

async def test_quality_row_below_target_is_in_the_error_colour_and_says_under() -> None:
    app = cockpit_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        strip = app.query_one(QualityStrip)
        text = strip.content
        # 0.953 -> 95.3 %, under 96 % (98 % less its 2 % failure share): bad; 4,320 s = 1h12m, over the
        # hour: bad; 0.995 under 100 % but not under 99 %: warn. The widest wording that fits 114 cells.
        assert text.plain == ("validation 95.3 % UNDER 98 % │ queue 42 · oldest 1h12m OVER 1h │ "
                              "reviewed 48/h of 60/h │ audit 99.5 % near 100 %")
        assert colour_of(app, text, "95.3 %") == colour_of(app, text, "UNDER 98 %") == "error"
        assert colour_of(app, text, "1h12m") == "error"
        assert colour_of(app, text, "99.5 %") == "warning"
        assert colour_of(app, text, "48/h") is None  # no target for reviews per hour: plain
        assert strip.has_class("-bad") and strip.region.height == 3
        # The worst model, in the bottom border, as literal text (the getter gives it back as escaped markup).
        assert Text.from_markup(strip.border_subtitle or "").plain.strip() == f"worst model {MARKUP_MODEL} 87.1 %"


async def test_without_quality_signals_the_row_is_one_dim_line_saying_so() -> None:
    app = cockpit_app(FakeCockpit(quality=False))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        strip = app.query_one(QualityStrip)
        assert str(strip.content) == ABSENT == "no AI-quality signals from this source"
        assert strip.has_class("-absent") and strip.region.height == 1


async def test_quality_row_at_80x24_is_one_line_that_keeps_validation_queue_and_audit() -> None:
    app = cockpit_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        strip = app.query_one(QualityStrip)
        assert strip.has_class("-compact") and strip.region.height == 1 and strip.region.width == 80
        text = strip.content
        # The reviews per hour give way first; what is left fits the 80 columns whole.
        assert text.plain == "AI valid 95.3 % UNDER 98 % │ queue 42 · 1h12m OVER 1h │ audit 99.5 % near 100 %"
        assert text.cell_len <= 80
        assert colour_of(app, text, "95.3 %") == "error"
        # Back to 120x40: boxed again, with the reviews.
        await pilot.resize_terminal(120, 40)
        await settle(pilot)
        assert not strip.has_class("-compact") and "reviewed 48/h of 60/h" in strip.content.plain


# --- the cost pane's savings levers --------------------------------------------------------------

async def test_levers_show_run_rate_after_and_saved_and_the_unpriced_one_says_why() -> None:
    app = cockpit_app()
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "2")
        # 148.20 $/h x 744 h (October) = $110,260.80.
        assert "run rate now $110,261/month" in str(app.query_one("#levers-title").content)
        lines = levers_lines(app)
        assert lines[0].split() == ["lever", "now", "$/mo", "after", "saved"]
        # No cache metric: the reason stands in place of the numbers; never a $0.
        assert lines[1].split("  ")[0] == "▸ Cache hit rate to target"
        assert " ".join(lines[1].split()[6:]) == NO_CACHE_METRIC and "$" not in lines[1]
        # 12 $/h x 744 = $8,928 saved (8.1 % of $110,260.80); after 110,260.80 - 8,928 = $101,333.
        assert lines[2].split()[5:] == ["$110,261", "$101,333", "$8,928", "·", "8.1", "%"]
        assert lines[2].startswith("  Move tier_1 traffic to tier_2 ")
        # 3.60 $/h x 744 = $2,678.40 (2.4 %); after $107,582.40.
        assert lines[3].split() == ["Fill", "batches", "$110,261", "$107,582", "$2,678", "·", "2.4", "%"]
        # 0.424 $/h x 744 = $315.46 (0.3 %); after $109,945.34.
        assert lines[4].split()[-6:] == ["$110,261", "$109,945", "$315", "·", "0.3", "%"]
        assert len(lines) == 5
        # The first lever is selected: it cannot be priced, and the notes say so.
        notes = as_text(app.query_one("#lever-notes").content)
        assert notes.strip() == f"Cache hit rate to target cannot be priced: {NO_CACHE_METRIC}"


async def test_arrows_and_clicks_pick_the_lever_whose_assumptions_show_names_as_plain_text() -> None:
    app = cockpit_app()
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "2")
        table = app.query_one(LeversTable)
        await press(pilot, "down", "down")  # the levers have the cursor once the pane is shown
        assert table.selected_lever.name == "Fill batches"
        assert levers_lines(app)[3].startswith("▸ Fill batches")
        notes = as_text(app.query_one("#lever-notes").content)
        assert notes.splitlines()[0] == "Fill batches rests on"
        assert f"· {MARKUP_MODEL}: 2.00 calls/s at $2.50/1M input = $3.24/h" in notes
        assert f"· {ESCAPE_MODEL_SHOWN}: 0.40 calls/s" in notes and "\x1b" not in notes
        svg = app.export_screenshot()
        assert MARKUP_MODEL in svg and "\x1b" not in svg
        # Lines: 0 the header, 1 the cache lever, 2 tier move, 3 batches, 4 local model.
        await pilot.click(LeversTable, offset=(4, 4))
        await settle(pilot)
        assert table.selected_lever.name == "Local model for tier_2 traffic"
        assert "Local model for tier_2 traffic rests on" in as_text(app.query_one("#lever-notes").content)
        # Wraps around from the last lever to the first; a refresh keeps the selection by name.
        await press(pilot, "down")
        assert table.selected_lever.name == "Cache hit rate to target"
        await press(pilot, "up", "r")
        assert table.selected_lever.name == "Local model for tier_2 traffic"


async def test_a_long_reason_wraps_under_the_numbers_and_a_click_on_its_second_line_selects_it() -> None:
    app = cockpit_app()
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "2")
        table = app.query_one(LeversTable)
        reason = "needs input and output tokens by model; this source gives no split"
        table.set_levers([
            Lever("Fill batches", 1_000.0, 900.0, 100.0, ("one assumption",)),
            Lever("Move tier_1 traffic to tier_2", 1_000.0, None, None, (), reason),
        ])
        await settle(pilot)
        # 120 columns less the spend tables (44) and the padding (2): 74. The reason starts under the "now"
        # heading: marker 2 + name 29 + gap 2 + (9 - 8) = column 34, so 40 columns are left for it.
        assert table.size.width == 74
        lines = levers_lines(app)
        # The selected lever (the cache lever) is gone: the first is selected.
        assert lines[1].split() == ["▸", "Fill", "batches", "$1,000", "$900", "$100", "·", "10", "%"]
        assert lines[2] == "  Move tier_1 traffic to tier_2   needs input and output tokens by model;"
        assert lines[3] == " " * 34 + "this source gives no split"
        await pilot.click(LeversTable, offset=(40, 3))
        await settle(pilot)
        assert table.selected_lever.name == "Move tier_1 traffic to tier_2"
        notes = as_text(app.query_one("#lever-notes").content).strip()
        assert notes == f"Move tier_1 traffic to tier_2 cannot be priced: {reason}"


def test_cost_pane_with_a_priced_lever_selected_120x40(snap_compare) -> None:
    async def run_before(pilot: Pilot) -> None:
        await settle(pilot)
        await press(pilot, "2", "down", "down")
    assert snap_compare(cockpit_app(), terminal_size=SIZE, run_before=run_before)


# --- live: a validation drop in a real sim -------------------------------------------------------

T0 = 1_790_000_000.0  # 2026-09-21 14:13:20 UTC: afternoon traffic, about 12 requests/s
INTERVAL_S = 15.0


async def test_a_validation_drop_in_the_sim_shows_under_target_within_two_polls(tmp_path) -> None:
    clock = HandClock(T0)
    with SimServer(seed=42, clock=clock) as sim:
        history = History.open(tmp_path / "h.duckdb")
        cfg = GatewayConfig("gw", f"{sim.url}/metrics", f"{sim.url}/status", "health_json", None, INTERVAL_S, 2.0)
        client = httpx.AsyncClient(follow_redirects=True, timeout=5.0)
        recorder = Recorder(history, [GatewaySource(cfg, client, clock=clock)], clock=clock)
        poller = recorder.poller
        app = cockpit_app(Cockpit(history, poller=poller, clock=clock))

        async def poll(pilot: Pilot) -> None:
            """One poll interval later: the app's own polling loop scrapes the sim once and stores the cycle."""
            cycles = poller.cycles
            clock.now += INTERVAL_S
            poller.refresh_now()
            await wait_for(lambda: poller.cycles == cycles + 1, pilot)

        def shown():
            """The row on screen, once the pane shows the views of this instant."""
            pane = app.query_one("GoldenPane")
            strip = app.query_one(QualityStrip)
            return strip.row if pane.views is not None and pane.views.at == clock.now else None

        async with app.run_test(size=SIZE) as pilot:
            await wait_for(lambda: poller.cycles >= 1, pilot)
            for _ in range(4):  # a minute of healthy scrapes: the direct-mode rate window
                await poll(pilot)
            await wait_for(lambda: shown() is not None and not shown().validation_pass_ratio.missing, pilot)
            assert shown().validation_pass_ratio.value >= 0.98 and shown().validation_pass_ratio.status == "ok"

            sim.inject("validation_drop", pass_ratio=0.9)
            injected_at = poller.cycles
            await poll(pilot)
            await poll(pilot)
            # About half the 60 s window is faulty now: ~0.5 x 0.997 + 0.5 x 0.90 = 0.95, under 96 %: bad.
            await wait_for(lambda: shown() is not None and (shown().validation_pass_ratio.value or 1.0) < 0.98, pilot)
            assert poller.cycles == injected_at + 2  # the clock has not moved on: no third poll happened
            row = shown()
            assert row.validation_pass_ratio.status in ("warn", "bad")
            text = app.query_one(QualityStrip).content
            shown_pct = f"{row.validation_pass_ratio.value * 100:.1f} %"
            assert f"validation {shown_pct} UNDER" in text.plain or f"validation {shown_pct} near" in text.plain
            expected_colour = {"bad": "error", "warn": "warning"}[row.validation_pass_ratio.status]
            assert colour_of(app, text, shown_pct) == expected_colour
            assert app.query_one(QualityStrip).has_class(f"-{row.status}")
        await client.aclose()
        history.close()


async def test_at_80x24_the_cost_pane_stacks_spend_by_model_first_and_arrows_bring_the_levers_up() -> None:
    app = cockpit_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await press(pilot, "2")
        lines = [line[:78].rstrip() for line in screen_lines(app)]  # left of the pane's scrollbar
        # Under the burn lines, the spend by model (what fits on screen), not the levers below it.
        after_burn = lines[lines.index(next(line for line in lines if line.startswith(" 3d"))) + 2:]
        assert after_burn[:3] == [" model          $/h      month to date", " gpt-4o         $8.10/h      $4,100.00",
                                  " claude-sonnet  $3.90/h      $1,800.00"]
        assert not any("savings levers" in line or "rests on" in line for line in lines)
        # The levers have the cursor: ↓ picks the next and scrolls the levers and what it rests on into view.
        await press(pilot, "down")
        lines = [line[:78].rstrip() for line in screen_lines(app)]
        assert any(line.startswith(" savings levers  run rate now") for line in lines)
        assert " ▸ Move tier_1 traffic to tier_2" in "\n".join(lines)
        assert " Move tier_1 traffic to tier_2 rests on" in lines
        # Wide again: the levers on the left, the spend tables to their right, on one screen.
        await pilot.resize_terminal(120, 40)
        await settle(pilot)
        levers, tables = app.query_one("#levers"), app.query_one("#cost-tables")
        assert levers.region.y == tables.region.y and levers.region.right <= tables.region.x


async def test_the_levers_sit_beside_the_spend_tables_only_where_their_rows_fit_whole() -> None:
    app = cockpit_app()
    async with app.run_test(size=(106, 40)) as pilot:
        await press(pilot, "2")
        await settle(pilot)
        levers, tables, chart = app.query_one("#levers"), app.query_one("#cost-tables"), app.query_one("#cost-chart")
        # Wide enough for the chart, not for the levers' names and numbers beside the tables: stacked under them.
        assert chart.display and chart.region.width > 0
        assert tables.region.bottom <= levers.region.y
        table = app.query_one(LeversTable)
        names = [lever.name for lever in table.levers]

        def rows_whole() -> bool:
            """Each lever's whole name on its row, and the header's last column on the header's line."""
            lines = table.render().plain.splitlines()
            return lines[0].rstrip().endswith("saved") and all(any(f" {name}  " in line for line in lines) for name in names)

        assert rows_whole(), table.render().plain
        await pilot.resize_terminal(130, 40)
        await settle(pilot)
        assert levers.region.y == tables.region.y and levers.region.right <= tables.region.x
        assert rows_whole(), table.render().plain

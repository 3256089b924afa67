"""Enter on a model's row in the golden pane charts that model alone; enter on it again, all models."""

from __future__ import annotations

from aiops_tui.ui.colors import status_style
from aiops_tui.ui.panes.golden import GoldenPane
from ui.pilot_helpers import cockpit_app, press, screen_lines, settle
from ui.view_builders import ESCAPE_MODEL, ESCAPE_MODEL_SHOWN, MARKUP_MODEL, FakeCockpit

SIZE = (120, 40)


def screen(app) -> str:
    return "\n".join(screen_lines(app))


def p95_peak(app) -> float:
    return max(value for _, value in app.query_one(GoldenPane).views.golden.charts["latency_p95_s"])


async def test_enter_charts_the_selected_model_alone_and_again_all_models() -> None:
    cockpit = FakeCockpit()
    app = cockpit_app(cockpit)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "p95 latency, s · last 1h" in screen(app)
        every = p95_peak(app)
        await press(pilot, "down", "enter")  # the second row: claude-sonnet
        assert cockpit.chart_models[-1] == "claude-sonnet"
        shown = screen(app)
        assert "p95 latency, s · claude-sonnet · last 1h" in shown
        assert "requests/s · claude-sonnet · last 1h" in shown
        assert "charts of claude-sonnet alone (⏎ all models)" in shown
        assert p95_peak(app) < every / 2  # its own series (a quarter of the whole here), not the total
        assert "12.4 req/s" in shown  # the tiles stay over all models
        await press(pilot, "w")  # another window keeps the model
        assert (cockpit.views_calls[-1][1], cockpit.chart_models[-1]) == ("6h", "claude-sonnet")
        assert "p95 latency, s · claude-sonnet · last 6h" in screen(app)
        await press(pilot, "enter")  # the same row again: all models
        assert cockpit.chart_models[-1] == ""
        shown = screen(app)
        assert "p95 latency, s · last 6h" in shown and "claude-sonnet alone" not in shown


async def test_another_models_row_moves_the_charts_to_it_and_its_name_is_drawn_literally() -> None:
    cockpit = FakeCockpit()
    app = cockpit_app(cockpit)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "enter")
        assert cockpit.chart_models[-1] == "gpt-4o"
        await press(pilot, "down", "down", "enter")
        assert cockpit.chart_models[-1] == MARKUP_MODEL
        assert f"p95 latency, s · {MARKUP_MODEL} · last 1h" in screen(app)
        await press(pilot, "down", "down", "enter")
        assert cockpit.chart_models[-1] == ESCAPE_MODEL
        assert f"p95 latency, s · {ESCAPE_MODEL_SHOWN} · last 1h" in screen(app)
        assert f"charts of {ESCAPE_MODEL_SHOWN} alone" in screen(app)


def bars_colour(app, label: str):
    """The colour of a sparkline's bars, as the terminal is sent them."""
    for strip in app.screen._compositor.render_strips():
        if "".join(segment.text for segment in strip).startswith(label):
            bars = next(s for s in strip if s.text.strip() and set(s.text.strip()) <= set("▁▂▃▄▅▆▇█"))
            return bars.style.color
    raise AssertionError(f"no sparkline {label!r} on screen")


async def test_the_sparklines_follow_the_charted_model_at_80x24() -> None:
    cockpit = FakeCockpit()
    app = cockpit_app(cockpit)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.query_one(GoldenPane).has_class("-small")
        assert any(line.startswith("p95 latency") and "max 190 ms" in line for line in screen_lines(app))
        await press(pilot, "down", "enter")
        assert cockpit.chart_models[-1] == "claude-sonnet"
        assert any("charts of claude-sonnet" in line for line in screen_lines(app))
        assert any(line.startswith("p95 latency") and "max 47 ms" in line for line in screen_lines(app))
        # Coloured by the charted model's own reading: the p95 tile is OVER, claude-sonnet's p95 only near.
        assert bars_colour(app, "p95 latency") == status_style(app, "warn").color
        await press(pilot, "enter", "up", "enter")  # all models, then gpt-4o: OVER
        assert cockpit.chart_models[-1] == "gpt-4o"
        assert bars_colour(app, "p95 latency") == status_style(app, "bad").color


async def test_enter_twice_in_a_row_charts_all_models_again_before_the_first_views_come() -> None:
    cockpit = FakeCockpit()
    app = cockpit_app(cockpit)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "enter", "enter")
        assert cockpit.chart_models[-1] == ""
        shown = screen(app)
        assert "p95 latency, s · last 1h" in shown and "5 models · chart window 1h (w) · ⏎ charts the selected model" in shown

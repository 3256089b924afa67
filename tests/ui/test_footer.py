"""The key footer is rebuilt only when the keys it shows change: not at every focus change (Textual's own
rebuilds its keys each time), always when a pane's own keys come or go."""

from __future__ import annotations

from textual.widgets._footer import FooterKey

from ui.pilot_helpers import cockpit_app, press, screen_lines, settle


APP_KEYS = ["1", "2", "3", "4", "5", "p", "r", "plus", "minus", "w", "t", "question_mark", "q", "ctrl+p"]
OFF_GOLDEN = [key for key in APP_KEYS if key != "w"]  # the chart window is the golden pane's


async def test_moving_the_focus_keeps_the_footer_and_a_panes_own_keys_change_it() -> None:
    app = cockpit_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        shown = list(app.footer.query(FooterKey))
        assert [key.key for key in shown] == APP_KEYS
        before = app.focused
        app.screen.focus_next()
        await settle(pilot)
        assert app.focused is not before
        assert list(app.footer.query(FooterKey)) == shown  # the same widgets: nothing was rebuilt

        await press(pilot, "5")  # the maturity checklist takes the focus, with its answer keys
        assert [key.key for key in app.footer.query(FooterKey)] == ["y", "n", "u", "s", *OFF_GOLDEN]
        await press(pilot, "1")
        assert [key.key for key in app.footer.query(FooterKey)] == APP_KEYS


async def test_the_keys_are_styled_once_as_they_mount_not_restyled_by_their_compact_setting(monkeypatch) -> None:
    restyled = []
    restyle = FooterKey.update_node_styles

    def counted(key: FooterKey, *args, **kwargs) -> None:
        restyled.append(key.key)
        restyle(key, *args, **kwargs)

    monkeypatch.setattr(FooterKey, "update_node_styles", counted)
    app = cockpit_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        keys = {key.key: key for key in app.footer.query(FooterKey)}
        assert list(keys) == APP_KEYS and restyled == []
        # As Textual draws them: the keys spaced out as the footer is, the palette's key compact.
        assert [key for key, widget in keys.items() if widget.compact] == ["ctrl+p"]
        assert "  p pause  r refresh  " in screen_lines(app)[-1] and "▏^p command palette" in screen_lines(app)[-1]


async def test_at_80_columns_the_footer_keeps_help_and_quit_on_screen_on_every_pane() -> None:
    app = cockpit_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert [key.key for key in app.footer.query(FooterKey)] == APP_KEYS
        await pilot.resize_terminal(80, 24)
        await settle(pilot)
        # No palette key, and not refresh, the interval or the theme: they are in ? and the palette.
        narrow = ["1", "2", "3", "4", "5", "p", "w", "question_mark", "q"]
        for pane_key, own in (("1", []), ("4", ["x", "c"]), ("5", ["y", "n", "u", "s"]), ("1", [])):
            await press(pilot, pane_key)
            expected = own + [key for key in narrow if pane_key == "1" or key != "w"]
            assert [key.key for key in app.footer.query(FooterKey) if key.display] == expected
            assert screen_lines(app)[-1].rstrip().endswith("? help  q quit"), pane_key
        await pilot.resize_terminal(120, 40)
        await settle(pilot)
        assert [key.key for key in app.footer.query(FooterKey) if key.display] == APP_KEYS


async def test_a_review_shows_the_keys_that_move_through_time_and_none_that_pace_polling() -> None:
    from aiops_tui.ui.screens.help import HelpScreen
    from ui.view_builders import FakeCockpit

    cockpit = FakeCockpit(live=False)
    app = cockpit_app(cockpit)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert [key.key for key in app.footer.query(FooterKey)] == [
            "1", "2", "3", "4", "5", "r", "left_square_bracket", "right_square_bracket", "g", "w", "t", "question_mark", "q",
        ]
        assert screen_lines(app)[-1].split() == ["12345", "panes", "[", "]", "step", "g", "go", "to", "w", "window",
                                                 "?", "help", "q", "quit"]
        before = app._views
        await press(pilot, "p", "plus", "minus")  # nothing to pause or pace: the keys do nothing
        assert (cockpit.pause_calls, cockpit.intervals, app._views is before) == (0, [], True)
        await press(pilot, "left_square_bracket")
        assert app._views.at < before.at  # a step back through the file
        assert "  g go to  0 end  w window  " in screen_lines(app)[-1]  # and the way back to its end, while away
        await press(pilot, "ctrl+p", *"poll")
        options = app.screen.query_one("CommandList")
        offered = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        assert not any("Pause" in p or "Poll" in p for p in offered), offered
        await press(pilot, "escape", "question_mark")
        assert isinstance(app.screen, HelpScreen)
        help_keys = str(app.screen.query_one("#help-keys").render())
        assert "step back" in help_keys and "pause" not in help_keys and "poll" not in help_keys


async def test_a_live_cockpit_keeps_pause_and_the_interval_in_the_footer() -> None:
    app = cockpit_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        descriptions = {key.key: key.description for key in app.footer.query(FooterKey)}
        assert descriptions["p"] == "pause" and "plus" in descriptions and "left_square_bracket" not in descriptions


async def test_looking_back_from_now_puts_the_way_back_in_the_footer_until_it_is_taken() -> None:
    from aiops_tui.ui.screens.help import HelpScreen

    app = cockpit_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert "0" not in screen_lines(app)[-1].split()  # at now: nowhere to go back to
        await press(pilot, "question_mark")
        assert "back to now" in str(app.screen.query_one("#help-keys").render())  # but help says how, always
        await press(pilot, "escape", "left_square_bracket")
        assert "REVIEW @" in screen_lines(app)[-2]
        assert screen_lines(app)[-1].split() == ["12345", "panes", "p", "pause", "0", "now", "w", "window",
                                                 "?", "help", "q", "quit"]
        await press(pilot, "0")
        assert "REVIEW @" not in screen_lines(app)[-2] and "0" not in screen_lines(app)[-1].split()
        await press(pilot, "left_square_bracket", "right_square_bracket")  # a step back and one forward is now again
        assert "0" not in screen_lines(app)[-1].split()


async def test_the_chart_window_key_is_the_golden_panes_only() -> None:
    """`w` sets the golden charts' window: elsewhere it is not in the footer or the palette, and does nothing."""
    app = cockpit_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)

        async def offered(query: str) -> list[str]:
            await press(pilot, "ctrl+p", *query)
            options = app.screen.query_one("CommandList")
            found = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
            await press(pilot, "escape")
            return found

        await press(pilot, "2")
        assert "w" not in [key.key for key in app.footer.query(FooterKey)]
        assert "window" not in screen_lines(app)[-1]
        assert not any("Chart window" in p for p in await offered("chart window"))
        await press(pilot, "w")
        assert "window 1h" in screen_lines(app)[-2]
        await press(pilot, "1")
        assert "w window" in screen_lines(app)[-1]
        assert any("Chart window" in p for p in await offered("chart window"))
        await press(pilot, "w")
        assert "window 6h" in screen_lines(app)[-2]

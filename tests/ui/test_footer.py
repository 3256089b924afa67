"""The key footer is rebuilt only when the keys it shows change: not at every focus change (Textual's own
rebuilds its keys each time), always when a pane's own keys come or go."""

from __future__ import annotations

from textual.widgets._footer import FooterKey

from ui.pilot_helpers import cockpit_app, press, settle

APP_KEYS = ["1", "2", "3", "4", "5", "p", "r", "plus", "minus", "w", "t", "question_mark", "q", "ctrl+p"]


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
        assert [key.key for key in app.footer.query(FooterKey)] == ["y", "n", "u", "s", *APP_KEYS]
        await press(pilot, "1")
        assert [key.key for key in app.footer.query(FooterKey)] == APP_KEYS


async def test_the_command_palette_key_leaves_the_footer_at_80_columns_and_comes_back_at_120() -> None:
    app = cockpit_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert [key.key for key in app.footer.query(FooterKey)] == APP_KEYS
        await pilot.resize_terminal(80, 24)
        await settle(pilot)
        assert [key.key for key in app.footer.query(FooterKey)] == APP_KEYS[:-1]  # room for the app's own keys
        await pilot.resize_terminal(120, 40)
        await settle(pilot)
        assert [key.key for key in app.footer.query(FooterKey)] == APP_KEYS

"""Helpers shared by the pilot and snapshot tests: wait until the views the app asked for are on screen."""

from __future__ import annotations

import time

from textual.pilot import Pilot


async def settle(pilot: Pilot) -> None:
    """Let every worker finish (views, the other panes, the palette's search) and its messages be handled; polling runs on, so it is not awaited.

    Three pauses: a pane built on its first showing is laid out on the next refresh, told it is shown on
    the one after, and moves the focus to itself on the third."""
    for _ in range(3):
        await pilot.pause()
    quiet = 0  # a worker may start another once drawn (the first views start the one that builds the other panes)
    while quiet < 2:
        running = [w for w in pilot.app.workers if w.group != "polling" and not w.is_finished]
        if running:
            await pilot.app.workers.wait_for_complete(running)
        quiet = 0 if running else quiet + 1
        await pilot.pause()


def screen_lines(app) -> list[str]:
    """The text of each line of the app's screen, as the terminal is sent it."""
    return ["".join(segment.text for segment in strip) for strip in app.screen._compositor.render_strips()]


async def press(pilot: Pilot, *keys: str) -> None:
    await pilot.press(*keys)
    await settle(pilot)


async def wait_for(predicate, pilot: Pilot, timeout_s: float = 20.0) -> None:
    """Pause until `predicate()` holds (polling, which `settle` does not wait for, gets there in its time)."""
    deadline = time.monotonic() + timeout_s
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        await pilot.pause(0.05)


def cockpit_app(cockpit=None, **kwargs):
    """The app on a FakeCockpit with animations off: tab underlines sliding cost 0.3 s a key and prove nothing."""
    from aiops_tui.ui.app import app_for
    from ui.view_builders import FakeCockpit

    app = app_for(cockpit if cockpit is not None else FakeCockpit(), **kwargs)
    app.animation_level = "none"
    return app


async def until(pilot: Pilot, predicate, timeout_s: float = 10.0) -> None:
    """Pause until `predicate()` holds, where `settle` cannot be used: while a worker waits on purpose."""
    import time

    deadline = time.monotonic() + timeout_s
    while not predicate():
        assert time.monotonic() < deadline, "timed out waiting on the app"
        await pilot.pause(0.02)


def cockpit_opening_history(path, *, views_wait: bool = False, **kwargs):
    """A real Cockpit that opens the history at `path` only once the returned event is set, as the demo and
    live cockpits open theirs only after the first views (which come from elsewhere, here the fake ones;
    with `views_wait` they too wait for the event, so polling has not started meanwhile).
    Returns (cockpit, release, opened): `opened` holds the history once open, for the test to close."""
    import threading

    from aiops_tui.cockpit import Cockpit
    from aiops_tui.store.history import History
    from ui.view_builders import AT, build_views

    release, opened = threading.Event(), []

    def open_history():
        assert release.wait(30), "the test never released the history"
        opened.append(History.open(path))
        return opened[0]

    kwargs.setdefault("clock", lambda: AT)
    def first_views():
        if views_wait:
            assert release.wait(30), "the test never released the first views"
        return build_views(AT)

    cockpit = Cockpit(None, first_views=first_views, open_history=open_history, **kwargs)
    cockpit.start()
    return cockpit, release, opened

"""The live cockpit says when its recorder cannot write the history: the recorder's one line stands in
the status bar while the cause lasts and goes once a cycle is written again; polling goes on."""

from __future__ import annotations

import time
from pathlib import Path

from aiops_tui.cockpit import Cockpit
from aiops_tui.recorder import Recorder
from aiops_tui.store.history import History
from loopback import Answer, ScriptedServer
from recording import gateway_source
from test_store_faults import gauges_body, immutable
from ui.pilot_helpers import cockpit_app, press, settle, wait_for

SIZE = (120, 40)


def status_line(app) -> str:
    return str(app.status_bar.render())


async def test_a_directory_gone_read_only_under_the_live_cockpit_is_shown_in_the_status_bar(tmp_path: Path):
    directory = tmp_path / "data"
    directory.mkdir()
    path = directory / "history.duckdb"
    History.open(path).close()  # checkpointed and closed: the next write must create the write-ahead log
    expected = f"⚠ {path}: cannot write it (permission denied); check the file and its directory"
    with ScriptedServer() as server:
        server.answers["/metrics"] = Answer(200, gauges_body(10))
        source = gateway_source("gw", server.url + "/metrics", time.time, interval_s=0.3)
        recorder = Recorder(History.open(path), [source])
        app = cockpit_app(Cockpit(recorder.history, poller=recorder.poller))
        try:
            async with app.run_test(size=SIZE) as pilot:
                with immutable(directory):
                    await wait_for(lambda: recorder.last_error is not None, pilot)
                    await wait_for(lambda: status_line(app).startswith(expected[:80]), pilot)
                    await settle(pilot)
                    # One line, the recorder's first: a long history path is cut at the edge, never wrapped.
                    shown = app.status_bar.render_line(0).text.removesuffix("…")
                    assert app.status_bar.size.height == 1 and len(shown) > 80 and expected.startswith(shown)
                    assert recorder.rows_written == 0
                    # The help shows the line in full, first: the error unabridged, and the source it cut off.
                    await press(pilot, "question_mark")
                    status = str(app.screen.query_one("#help-status").render())
                    assert expected in status and "● gw ok" in status
                    assert app.screen.query_one("VerticalScroll").children[0].id == "help-status"
                    await press(pilot, "escape")
                    await pilot.resize_terminal(400, 40)  # the whole line
                    await settle(pilot)
                    # The source is fine, polling goes on: "ok" beside the error (polled every 0.3 s, it reads
                    # stale for a moment when a loaded machine stalls the loop for 0.9 s).
                    await wait_for(lambda: expected in status_line(app) and "gw ok" in status_line(app), pilot)
                    await pilot.resize_terminal(*SIZE)
                # Writable again: the next cycle is written and the line goes.
                await wait_for(lambda: recorder.rows_written > 0, pilot)
                await wait_for(lambda: "⚠" not in status_line(app), pilot)
                assert app.is_running
        finally:
            await source.client.aclose()
            recorder.history.close()

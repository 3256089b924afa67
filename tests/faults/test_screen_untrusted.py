"""Hostile text on the real screen: alert labels and annotations from Prometheus, and a source's error
line, reach the running cockpit as literal text. Markup brackets are drawn as brackets, no escape
sequence reaches the terminal, and the app keeps running."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

from rich.console import Console

from aiops_tui.cockpit import Cockpit
from aiops_tui.config import PrometheusConfig
from aiops_tui.recorder import Recorder
from aiops_tui.sources.prometheus import PrometheusSource
from aiops_tui.store.history import History
from aiops_tui.ui.widgets.runbook_lists import AlertList
from loopback import Answer, ScriptedServer
from ui.pilot_helpers import cockpit_app, press, settle, wait_for

SIZE = (120, 40)
BOLD, LINK = "[bold]x[/]", "[link=https://evil]y[/link]"
OSC52, CLEAR = "\x1b]52;c;ZXZpbA==\x07", "\x1b[2J"
ALERTS = {"status": "success", "data": {"alerts": [{
    "labels": {"alertname": "HostileText", "severity": "critical", "model": f"m{OSC52}1", "upstream": BOLD},
    "annotations": {"summary": f"sum {LINK} {CLEAR}end", "description": f"desc {BOLD} {OSC52}tail"},
    "state": "firing", "activeAt": "2026-01-01T00:00:00Z",
}]}}
ERROR = {"status": "error", "errorType": "internal", "error": f"{BOLD} {LINK} {OSC52}{CLEAR}!"}
EMPTY = {"status": "success", "data": {"resultType": "vector", "result": []}}


def json_answer(doc: dict) -> Answer:
    return Answer(200, json.dumps(doc).encode(), "application/json")


def screen(app) -> tuple[str, str, set[str]]:
    """What the terminal would be sent for the whole screen: its text, the bytes written (styles
    included) and every link a segment carries."""
    strips = app.screen._compositor.render_strips()
    text = "\n".join("".join(segment.text for segment in strip) for strip in strips)
    links = {segment.style.link for strip in strips for segment in strip if segment.style and segment.style.link}
    out = io.StringIO()
    width, height = app.size
    console = Console(width=width, height=height, file=out, force_terminal=True, color_system="truecolor", legacy_windows=False)
    console.print(app.screen._compositor.render_update(full=True))
    return text, out.getvalue(), links


def assert_no_escape_reaches_the_terminal(app) -> str:
    text, sent, links = screen(app)
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", text), repr(text)
    # The bytes sent hold the cockpit's own colour and cursor sequences, never the hostile ones.
    assert "\x1b]52" not in sent and "\x1b[2J" not in sent and "\x07" not in sent
    assert "evil" not in "".join(links) and "\x1b]8;" not in sent
    return text


async def test_hostile_alert_text_and_error_lines_are_drawn_literally(tmp_path: Path):
    with ScriptedServer() as server:
        server.answers["/api/v1/query"] = json_answer(EMPTY)
        server.answers["/api/v1/alerts"] = json_answer(ALERTS)
        cfg = PrometheusConfig(server.url, {}, None, True, 0.3, 2.0, "none", {"requests_per_s": "up"})
        history = History.open(tmp_path / "history.duckdb")
        recorder = Recorder(history, [PrometheusSource(cfg)])
        app = cockpit_app(Cockpit(history, poller=recorder.poller, environment="prod"))
        try:
            async with app.run_test(size=SIZE) as pilot:
                # The alert, its labels and the runbook made from its annotations.
                await wait_for(lambda: "1 FIRING" in str(app.status_bar.render()), pilot)
                await press(pilot, "4")
                await wait_for(lambda: app.query_one(AlertList).alerts, pilot)
                await settle(pilot)
                text = assert_no_escape_reaches_the_terminal(app)
                assert f"upstream={BOLD}" in text and "model=m1" in text
                assert f"sum {LINK} end" in text and f"desc {BOLD} tail" in text

                # The same text in Prometheus's error line, shown in the status bar.
                server.answers["/api/v1/alerts"] = json_answer(ERROR)
                await wait_for(lambda: "status error" in str(app.status_bar.render()), pilot)
                await settle(pilot)
                text = assert_no_escape_reaches_the_terminal(app)
                assert re.search(r"prometheus (stale|down)[ 0-9a-z]*: alerts: status error:", text)  # named once
                # At 120 columns the status bar ends there; wider, the whole line is on the screen.
                await pilot.resize_terminal(220, 40)
                await settle(pilot)
                text = assert_no_escape_reaches_the_terminal(app)
                assert f": alerts: status error: {BOLD} {LINK} !" in text

                await press(pilot, "p")  # still running: keys still act
                assert app.is_running and "PAUSED" in str(app.status_bar.render())
        finally:
            history.close()

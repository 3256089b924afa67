"""A bearer token lives only in the environment: `aiops-tui record` against a gateway that demands it
never prints it, never stores it, `check-config` names the variable, never its value, and neither
`aiops-tui report` (every kind and format) nor a screenshot of the live cockpit shows it."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import duckdb
import pytest

from aiops_tui.cockpit import Cockpit
from aiops_tui.recorder import Recorder
from aiops_tui.reports.cli import REPORT_KINDS
from aiops_tui.reports.render import FORMATS
from aiops_tui.sim.server import SimServer
from aiops_tui.store.history import History
from recording import gateway_source
from ui.pilot_helpers import cockpit_app, press, settle

AIOPS_TUI = str(Path(sys.executable).parent / "aiops-tui")
TOKEN = "sk-aiops-test-7f3a9c2e51d84b06"
WRONG = "sk-aiops-wrong-0b1c2d3e4f5a6b7c"
TOKEN_ENV = "AIOPS_TEST_GW_TOKEN"


def config_text(history: Path, url: str) -> str:
    return (
        f"history: {history}\n"
        "interval: 200ms\n"
        "timeout: 2s\n"
        "stale_after: 1\n"
        "gateways:\n"
        "  - name: gw\n"
        f"    metrics_url: {url}/metrics\n"
        f"    status_url: {url}/status\n"
        "    kind: health_json\n"
        f"    bearer_token_env: {TOKEN_ENV}\n"
    )


def texts_in_database(path: Path) -> list[str]:
    """Every text value in every table of the history (labels, events, meta), read back through SQL."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        out = []
        columns = con.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE data_type IN ('VARCHAR', 'JSON') AND table_schema = 'main'"
        ).fetchall()
        for table, column in columns:
            out += [str(v) for (v,) in con.execute(f'SELECT CAST("{column}" AS VARCHAR) FROM "{table}"').fetchall()]
        return out
    finally:
        con.close()


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict:
    """Two `aiops-tui record --duration 3s` children at once: one with the token, one with a wrong one."""
    root = tmp_path_factory.mktemp("secrets")
    server = SimServer(token=TOKEN).start()
    try:
        children = {}
        for name, token in (("right", TOKEN), ("wrong", WRONG)):
            (root / name).mkdir()
            config = root / name / "aiops.yaml"
            config.write_text(config_text(root / name / "history.duckdb", server.url))
            env = {**os.environ, TOKEN_ENV: token}
            children[name] = (config, env, subprocess.Popen(
                [AIOPS_TUI, "record", "-c", str(config), "--duration", "3s"],
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
            ))
        done = {}
        for name, (config, env, child) in children.items():
            out, err = child.communicate(timeout=60)
            check = subprocess.run([AIOPS_TUI, "check-config", "-c", str(config)], capture_output=True, text=True, env=env)
            done[name] = {"code": child.returncode, "stdout": out, "stderr": err, "check": check, "dir": config.parent}
        done["url"] = server.url
        done["reports"] = reports_of(children)
        return done
    finally:
        server.stop()


def reports_of(children: dict) -> dict[tuple[str, str, str], subprocess.CompletedProcess[str]]:
    """`aiops-tui report KIND --format FORMAT` over each recorded history, the token still set."""
    commands = {
        (name, kind, fmt): ([AIOPS_TUI, "report", kind, "--format", fmt, "-c", str(config)], env)
        for name, (config, env, _) in children.items() for kind in REPORT_KINDS for fmt in FORMATS
    }
    with ThreadPoolExecutor(4) as pool:  # each is a fresh interpreter: a few at a time on a small machine
        futures = {key: pool.submit(subprocess.run, argv, capture_output=True, text=True, env=env, timeout=120)
                   for key, (argv, env) in commands.items()}
        return {key: future.result() for key, future in futures.items()}


def test_recording_with_the_token_works(runs):
    right = runs["right"]
    assert right["code"] == 0 and right["stdout"] == ""
    last = right["stderr"].strip().splitlines()[-1]
    assert last.startswith("aiops-tui: ") and last.endswith(" rows written")
    with duckdb.connect(str(right["dir"] / "history.duckdb"), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM samples").fetchone()[0] > 100


@pytest.mark.parametrize("run", ["right", "wrong"])
def test_no_output_and_no_file_holds_a_token(runs, run):
    result = runs[run]
    outputs = [result["stdout"], result["stderr"], result["check"].stdout, result["check"].stderr]
    files = [p for p in result["dir"].iterdir() if p.is_file()]
    assert any(p.name == "history.duckdb" for p in files)
    for secret in (TOKEN, WRONG):
        assert all(secret not in text for text in outputs)
        # Raw bytes (what `strings` or a backup would see) and every text value read back through SQL.
        assert all(secret.encode() not in p.read_bytes() for p in files)
        assert all(secret not in text for text in texts_in_database(result["dir"] / "history.duckdb"))


def test_check_config_names_the_variable_and_says_it_is_set(runs):
    check = runs["right"]["check"]
    assert check.returncode == 0
    [line] = [line for line in check.stdout.splitlines() if "bearer_token_env" in line]
    assert line.strip().startswith(f"bearer_token_env: {TOKEN_ENV}  # from ")
    assert line.endswith("(set in the environment)")


def test_a_wrong_token_is_reported_as_401_in_one_line(runs):
    wrong = runs["wrong"]
    assert wrong["code"] == 0  # a source that refuses us is news, not a crash
    lines = wrong["stderr"].splitlines()
    assert f"aiops-tui: gw down: HTTP 401 from {runs['url']}/metrics" in lines  # the source named once
    assert "Traceback" not in wrong["stderr"]


def test_no_report_of_any_kind_or_format_holds_a_token(runs):
    reports = runs["reports"]
    assert len(reports) == 2 * len(REPORT_KINDS) * len(FORMATS)
    for (name, kind, fmt), result in reports.items():
        for secret in (TOKEN, WRONG):
            assert secret not in result.stdout + result.stderr, (name, kind, fmt)
        # A report, or one line saying why there is none (no samples behind the wrong token, no assessment).
        refused = (result.returncode, result.stdout) == (2, "") and result.stderr.count("\n") == 1
        assert refused or (result.returncode == 0 and result.stdout), (name, kind, fmt, result.stderr)
        if name == "right" and kind != "maturity":  # nobody filled in an assessment while recording
            assert result.returncode == 0, (kind, fmt, result.stderr)
    assert "source: gw" in reports[("right", "cost", "table")].stdout


async def test_no_screenshot_of_the_live_cockpit_holds_a_token(tmp_path: Path):
    # Both tokens in play: one gateway is let in, the other refused with 401 (its line on the status bar).
    env = {TOKEN_ENV: TOKEN, "AIOPS_TEST_WRONG_TOKEN": WRONG}
    with SimServer(token=TOKEN) as server:
        sources = [
            gateway_source("gw", f"{server.url}/metrics", time.time, status_url=f"{server.url}/status",
                           token_env=TOKEN_ENV, env=env, interval_s=0.3),
            gateway_source("gw-wrong", f"{server.url}/metrics", time.time, token_env="AIOPS_TEST_WRONG_TOKEN",
                           env=env, interval_s=0.3),
        ]
        recorder = Recorder(History.open(tmp_path / "history.duckdb"), sources)
        app = cockpit_app(Cockpit(recorder.history, poller=recorder.poller))
        shots: dict[str, str] = {}
        try:
            async with app.run_test(size=(120, 40)) as pilot:
                deadline = time.monotonic() + 20
                while recorder.poller.cycles < 3 or "401" not in str(app.status_bar.render()):
                    assert time.monotonic() < deadline, "timed out"
                    await pilot.pause(0.1)
                for key in "12345":
                    await press(pilot, key)
                    await settle(pilot)
                    shots[key] = app.export_screenshot()
                saved = Path(app.save_screenshot(path=str(tmp_path)))
        finally:
            for source in sources:
                await source.client.aclose()
            recorder.history.close()
    assert "HTTP&#160;401" in shots["5"] and recorder.rows_written > 0  # the SVG writes spaces as &#160;
    for svg in (*shots.values(), saved.read_text(encoding="utf-8")):
        assert TOKEN not in svg and WRONG not in svg

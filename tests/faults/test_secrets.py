"""A bearer token lives only in the environment: `aiops-tui record` against a gateway that demands it
never prints it, never stores it, and `check-config` names the variable, never its value."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from aiops_tui.sim.server import SimServer

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
        return done
    finally:
        server.stop()


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
    assert f"aiops-tui: gw down: gw: HTTP 401 from {runs['url']}/metrics" in lines
    assert "Traceback" not in wrong["stderr"]

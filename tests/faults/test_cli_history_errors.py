"""The real command line on history files it cannot use: one line on stderr, exit status 2."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from aiops_tui.store.history import SCHEMA_VERSION, History
from history_builders import T0, batch, hold_open, key, release, samples_of


def cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "xdg"), "XDG_DATA_HOME": str(tmp_path / "xdg")}
    env.pop("AIOPS_TUI_CONFIG", None)
    return subprocess.run(
        [sys.executable, "-m", "aiops_tui.cli", *args], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60,
    )


def assert_one_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, result
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    return lines[0]


def test_review_of_a_file_that_is_not_duckdb(tmp_path):
    path = tmp_path / "notes.duckdb"
    path.write_text("these are my notes, not a database\n")
    assert assert_one_line(cli(tmp_path, "review", str(path))) == f"aiops-tui: {path}: not a DuckDB file"


def test_review_of_a_file_from_a_newer_build(tmp_path):
    path = tmp_path / "history.duckdb"
    History.open(path).close()
    con = duckdb.connect(str(path))
    con.execute("UPDATE meta SET schema_version = 9")
    con.close()
    line = assert_one_line(cli(tmp_path, "review", str(path)))
    assert line == (
        f"aiops-tui: {path}: written by a newer aiops-tui (schema 9, this build reads up to {SCHEMA_VERSION}); "
        "upgrade aiops-tui or open a copy with it"
    )


def test_review_of_a_file_a_writer_holds(tmp_path):
    path = tmp_path / "history.duckdb"
    writer = hold_open(path)
    try:
        line = assert_one_line(cli(tmp_path, "review", str(path)))
    finally:
        release(writer)
    # It says which process, and what to do instead.
    assert line.startswith(f"aiops-tui: {path}: being written by another aiops-tui process (PID {writer.pid}); ")
    assert "snapshot" in line


def test_record_into_a_file_a_writer_holds(tmp_path):
    path = tmp_path / "history.duckdb"
    config = tmp_path / "aiops.yaml"
    config.write_text(f"history: {path}\ngateways:\n  - name: gw\n    metrics_url: http://127.0.0.1:9/metrics\n")
    writer = hold_open(path)
    try:
        line = assert_one_line(cli(tmp_path, "record", "--config", str(config), "--duration", "1s"))
    finally:
        release(writer)
    assert f"(PID {writer.pid})" in line


def test_review_of_a_history_with_no_samples(tmp_path):
    path = tmp_path / "history.duckdb"
    History.open(path).close()
    assert assert_one_line(cli(tmp_path, "review", str(path))) == f"aiops-tui: {path}: the history holds no samples yet"


def test_review_with_a_bad_config_line(tmp_path):
    """The review forks its reader before it reads the config: a bad line is still one line, said once."""
    path = tmp_path / "history.duckdb"
    History.open(path).close()
    config = tmp_path / "aiops.yaml"
    config.write_text("targets:\n  p95_latency_s: [\n")
    line = assert_one_line(cli(tmp_path, "review", str(path), "--config", str(config)))
    assert line.startswith(f"aiops-tui: {config}:3:") and "YAML syntax error" in line


@pytest.mark.parametrize("command", ["demo", "live"])
def test_a_cockpit_into_a_file_a_writer_holds(tmp_path, command):
    """The cockpit's forked child opens the file: its refusal is still the one line, before any screen."""
    path = tmp_path / "history.duckdb"
    config = tmp_path / "aiops.yaml"
    config.write_text(f"history: {path}\ngateways:\n  - name: gw\n    metrics_url: http://127.0.0.1:9/metrics\n")
    args = ["--history", str(path)] if command == "demo" else ["--config", str(config)]
    writer = hold_open(path)
    try:
        line = assert_one_line(cli(tmp_path, command, *args))
    finally:
        release(writer)
    assert line.startswith(f"aiops-tui: {path}: in use by another aiops-tui process (PID {writer.pid}); ")


def test_a_demo_into_a_file_that_holds_a_history_already(tmp_path):
    """The demo puts its hour before now: over another run's, the counters would interleave and every rate
    across them would be wrong. It refuses in one line, before any screen, and leaves the file as it was."""
    path = tmp_path / "history.duckdb"
    with History.open(path) as history:
        history.write_cycle([batch(samples_of(key("llm_requests_total"), [(0.0, 10.0), (5.0, 12.0)]))])
    line = assert_one_line(cli(tmp_path, "demo", "--history", str(path)))
    assert line == (f"aiops-tui: {path}: holds a history already; the demo starts a new one: pass another "
                    f"--history file, or look at this one with `aiops-tui review {path}`")
    with History.open(path, read_only=True) as history:
        assert history.time_range() == (T0, T0 + 5.0)

"""A headless `aiops-tui record` holds its history, so nothing else can read it: on SIGUSR1 it writes the
last week beside it, which `report` and `review` then read, and a reader refused the file says so.
Real processes: the sim gateway, the recorder and the readers, each started as a user would."""

from __future__ import annotations

import selectors
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from prom_harness import free_port

AIOPS_TUI = str(Path(sys.executable).parent / "aiops-tui")

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGUSR1"), reason="SIGUSR1 is POSIX")


def cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([AIOPS_TUI, *args], cwd=tmp_path, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)


def wait_for_line(process: subprocess.Popen, prefix: str, timeout_s: float = 30.0) -> str:
    """The first line on the process's stderr that starts with `prefix`."""
    deadline = time.monotonic() + timeout_s
    with selectors.DefaultSelector() as selector:
        selector.register(process.stderr, selectors.EVENT_READ)
        while time.monotonic() < deadline:
            if selector.select(timeout=0.5):
                line = process.stderr.readline()
                assert line, f"the recorder ended before saying {prefix!r}"
                if line.startswith(prefix):
                    return line.rstrip("\n")
    raise AssertionError(f"no line starting {prefix!r} within {timeout_s} s")


def test_sigusr1_has_a_running_recorder_write_a_snapshot_that_reports_read(tmp_path: Path) -> None:
    port = free_port()
    sim = subprocess.Popen([AIOPS_TUI, "sim", "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    history = tmp_path / "data" / "history.duckdb"
    config = tmp_path / "aiops.yaml"
    config.write_text(f"history: {history}\ninterval: 1s\ngateways:\n  - name: gw\n"
                      f"    metrics_url: http://127.0.0.1:{port}/metrics\n    status_url: http://127.0.0.1:{port}/status\n")
    recorder = subprocess.Popen([AIOPS_TUI, "record", "--config", str(config)], cwd=tmp_path,
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        wait_for_line(recorder, "aiops-tui: gw ok")
        time.sleep(2.5)  # a few cycles written
        refused = cli(tmp_path, "report", "cost", "--file", str(history))
        assert refused.returncode == 2
        assert f"export from that process: `kill -USR1 {recorder.pid}` has that recorder write the last 7 days" in refused.stderr
        review = cli(tmp_path, "review", str(history))
        assert f"review a snapshot instead (`kill -USR1 {recorder.pid}` has that recorder" in review.stderr

        recorder.send_signal(signal.SIGUSR1)
        line = wait_for_line(recorder, "aiops-tui: export")
        assert line.startswith(f"aiops-tui: exported the last 7 days to {history.parent}/export-"), line
        snapshot = Path(line.split(" to ", 1)[1].split(" (", 1)[0])
        samples = int(line.rsplit("(", 1)[1].split()[0])
        assert samples > 0 and oct(snapshot.stat().st_mode & 0o777) == "0o600"

        report = cli(tmp_path, "report", "cost", "--file", str(snapshot), "--format", "csv")
        assert report.returncode == 0, report.stderr
        day_total = next(row.split(",") for row in report.stdout.splitlines() if row.startswith("spend,day,"))
        assert day_total[3:5] == ["total", "all"] and float(day_total[5]) > 0  # the sim's spend, as recorded
        assert recorder.poll() is None  # recording went on
    finally:
        recorder.send_signal(signal.SIGTERM)
        recorder.wait(30)
        recorder.stderr.close()
        sim.terminate()
        sim.wait(10)
    assert recorder.returncode == 0

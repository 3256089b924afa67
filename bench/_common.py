"""What every benchmark shares: the machine line printed first, medians, RSS, a private tmux, history files.

Benchmarks print figures and never assert speed (issue 8). Cached history files live in
`bench/.data/` (gitignored) because the large ones take minutes to generate.
"""

from __future__ import annotations

import itertools
import os
import platform
import shlex
import statistics
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent
DATA_DIR = BENCH_DIR / ".data"
PYTHON = sys.executable
AIOPS_TUI = str(Path(PYTHON).with_name("aiops-tui"))


def machine_line() -> str:
    """Date, CPU, cores, memory, Python and the load average: a figure means little without them."""
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1e9
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return (f"{stamp} · {cpu} · {os.cpu_count()} cores · {mem_gb:.0f} GB · Python {platform.python_version()}"
            f" · load average {load}")


def print_header(title: str) -> None:
    print(f"# {title}")
    print(f"# {machine_line()}")


def median(values: list[float]) -> float:
    return statistics.median(values)


def rss_mb(pid: int) -> float | None:
    """VmRSS of a process in MB (10^6 bytes), or None once it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024 / 1e6
    except OSError:
        return None
    return None


def own_rss_mb() -> float:
    return rss_mb(os.getpid()) or 0.0


_TMUX_SERVERS = itertools.count()


class Tmux:
    """A private tmux server (its own socket) with one 120x40 pane that commands are respawned into."""

    def __init__(self, width: int = 120, height: int = 40) -> None:
        self.socket = f"aiops-bench-{os.getpid()}-{next(_TMUX_SERVERS)}"
        self.target = "bench"
        self._tmux("new-session", "-d", "-s", self.target, "-x", str(width), "-y", str(height), "sleep 86400")
        self._tmux("set-option", "-t", self.target, "remain-on-exit", "on")

    def _tmux(self, *args: str) -> str:
        return subprocess.run(["tmux", "-L", self.socket, *args], check=True, capture_output=True, text=True).stdout

    def start(self, argv: list[str], env: dict[str, str] | None = None) -> float:
        """Replace whatever runs in the pane with `argv`; returns perf_counter() just before the launch."""
        prefix = " ".join(f"{k}={shlex.quote(v)}" for k, v in (env or {}).items())
        command = f"cd {shlex.quote(str(REPO_DIR))} && exec env {prefix} {shlex.join(argv)}"
        started = time.perf_counter()
        self._tmux("respawn-pane", "-k", "-t", self.target, command)
        return started

    def capture(self) -> str:
        return self._tmux("capture-pane", "-p", "-t", self.target)

    def pane_pid(self) -> int:
        return int(self._tmux("display-message", "-p", "-t", self.target, "#{pane_pid}").strip())

    def wait_for(self, marker: str, started: float, timeout_s: float = 60.0, poll_s: float = 0.010) -> float:
        """Seconds from `started` until `marker` is on screen (polled every 10 ms); raises on timeout."""
        while True:
            if marker in self.capture():
                return time.perf_counter() - started
            if time.perf_counter() - started > timeout_s:
                raise TimeoutError(f"{marker!r} not on screen after {timeout_s:.0f} s:\n{self.capture()}")
            time.sleep(poll_s)

    def stop_pane(self) -> None:
        self._tmux("respawn-pane", "-k", "-t", self.target, "sleep 86400")

    def close(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True)


def history_file(name: str, *, days: float, step_s: float, models: tuple[str, ...] | None = None,
                 series_per_model: int = 2) -> Path:
    """A generated demo-gateway history in bench/.data/, generated once and reused (prints how long it took)."""
    DATA_DIR.mkdir(exist_ok=True)
    path = DATA_DIR / name
    if path.exists():
        return path
    from aiops_tui.sim.history_gen import DEFAULT_MODELS, generate

    partial = path.with_name(path.name + ".partial")
    for leftover in (partial, Path(f"{partial}.wal")):
        leftover.unlink(missing_ok=True)
    print(f"generating {path.name} ({days:g} days, step {step_s:g} s; cached for the next run) ...", flush=True)
    result = generate(partial, days=days, step_s=step_s, models=models or DEFAULT_MODELS,
                      series_per_model=series_per_model)
    partial.rename(path)
    print(f"  {result.samples:,} samples, {result.series:,} series in {result.seconds:.0f} s "
          f"({result.samples_per_s:,.0f} samples/s with rollups)", flush=True)
    return path


REVIEW_10M = dict(days=16, step_s=15.0)
"""The demo's own series (4 models, 2 teams: 110 series) polled every 15 s for 16 days: 10.1M samples."""
HISTORY_100M_MODELS = ("gpt-4o", "claude-3-5-haiku", "gpt-4o-mini", "llama-3-8b-local", "mistral-large",
                       "gemini-1.5-pro", "command-r", "qwen-2-72b", "phi-3-mini", "deepseek-v2")
HISTORY_100M = dict(days=90, step_s=78.0, models=HISTORY_100M_MODELS, series_per_model=27)
"""1,004 series (10 models, 27 teams per raw counter) every 78 s for 90 days: 99.7M samples."""
HISTORY_100M_FILE = "history-100m-v2.duckdb"
"""Named for its schema (2: cost_1h): a cached file of schema 1, read-only, would answer through its old views."""

"""Bytes written to the terminal per second while idle on a pane at 120x40 (what an SSH link carries),
with the app's CPU over the same seconds; `aiops-tui demo` (live, polling) on the golden, cost and
breakers panes and `aiops-tui review` (a file, nothing changes), against the minimal five-tab app as
the floor.

    .venv/bin/python bench/terminal_bytes.py [--seconds 10] [--panes golden,cost,breakers]

Each app runs on a pseudo-terminal of 120x40 (TERM=xterm-256color); the pane's key is typed once the
first screen with data ("req/s") is up, and counting starts 2 s later and lasts --seconds.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import select
import struct
import subprocess
import sys
import shutil
import tempfile
import termios
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import AIOPS_TUI, BENCH_DIR, PYTHON, REVIEW_10M, history_file, print_header  # noqa: E402

MARKER = b"req/s"
SETTLE_S = 2.0
PANE_KEYS = {"golden": b"1", "cost": b"2", "breakers": b"3"}


def cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(argv: list[str], seconds: float, keys: bytes = b"") -> dict:
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "120", "LINES": "40"}
    env.pop("NO_COLOR", None)
    proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env, cwd=BENCH_DIR.parent,
                            start_new_session=True)
    os.close(slave)
    received = bytearray()
    counted, per_second = 0, [0] * int(seconds + 1)
    started = time.perf_counter()
    first_data = window_start = cpu_start = None
    try:
        while True:
            now = time.perf_counter()
            if first_data is None and now - started > 60:
                raise TimeoutError(f"{argv[1:]}: no {MARKER!r} after 60 s")
            if first_data is not None and window_start is None and now - first_data >= SETTLE_S:
                window_start, cpu_start = now, cpu_s(proc.pid)
            if window_start is not None and now - window_start >= seconds:
                break
            ready, _, _ = select.select([master], [], [], 0.02)
            if not ready:
                continue
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            if first_data is None:
                received += chunk
                if MARKER in received:
                    first_data = time.perf_counter()
                    os.write(master, keys)
            elif window_start is not None:
                counted += len(chunk)
                per_second[min(len(per_second) - 1, int(time.perf_counter() - window_start))] += len(chunk)
        cpu_used = cpu_s(proc.pid) - cpu_start
        elapsed = time.perf_counter() - window_start
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        os.close(master)
    return {"bytes_per_s": counted / elapsed, "cpu_ratio": cpu_used / elapsed,
            "per_second": per_second[: int(seconds)], "first_data_s": first_data - started}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--panes", default="golden,cost,breakers", help="the demo's panes to measure, by name")
    args = parser.parse_args()
    panes = [p for p in args.panes.split(",") if p]
    if unknown := [p for p in panes if p not in PANE_KEYS]:
        parser.error(f"unknown pane {unknown[0]!r}; one of {', '.join(PANE_KEYS)}")
    print_header(f"terminal bytes while idle on a pane, 120x40, {args.seconds:g} s after a {SETTLE_S:g} s settle")
    review_file = history_file("review-10m.duckdb", **REVIEW_10M)
    scratch = Path(tempfile.mkdtemp(prefix="aiops-bench-"))
    apps: dict[str, tuple[list[str], bytes]] = {
        "minimal five-tab app (floor)": ([PYTHON, str(BENCH_DIR / "minimal_app.py"), "--plotext"], b""),
    }
    for pane in panes:  # a history of its own each, so every pane starts from the same demo
        demo = [AIOPS_TUI, "demo", "--history", str(scratch / f"demo-{pane}.duckdb")]
        apps[f"aiops-tui demo, {pane} pane (polls every 5 s)"] = (demo, PANE_KEYS[pane])
    apps[f"aiops-tui review {review_file.name}, golden pane"] = ([AIOPS_TUI, "review", str(review_file)], b"")
    print(f"\n{'':52s} {'bytes/s':>9} {'CPU':>6}   bytes in each second")
    for name, (argv, keys) in apps.items():
        result = measure(argv, args.seconds, keys)
        seconds = " ".join(f"{b:,}" for b in result["per_second"][: int(args.seconds)])
        print(f"  {name:50s} {result['bytes_per_s']:9,.0f} {result['cpu_ratio']:6.1%}   {seconds}", flush=True)
    shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

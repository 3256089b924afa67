"""The cockpit's memory with its UI: `aiops-tui live` polling the demo gateway (`aiops-tui sim`, a
process of its own) every 5 s in real time, and `aiops-tui demo` beside it, each in tmux at 120x40
with every pane shown once; RSS (anonymous and file-backed) sampled every 10 s for --minutes, printed
each minute, and the peak.

    .venv/bin/python bench/cockpit_memory.py [--minutes 10]

`bench/memory.py` runs the same recorder and views headless on a compressed clock for 24 h; this
adds what the UI holds (Textual, the five panes, their charts and runbooks) over real minutes.
"""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import AIOPS_TUI, REPO_DIR, Tmux, print_header  # noqa: E402

MARKER = "req/s"
PANE_KEYS = "23451"
SAMPLE_EVERY_S = 10.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_split_mb(pid: int) -> tuple[float, float] | None:
    """(anonymous, file-backed) resident MB of a process, or None once it is gone."""
    try:
        fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines())
    except OSError:
        return None
    return tuple(int(fields[name].split()[0]) * 1024 / 1e6 for name in ("RssAnon", "RssFile"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    args = parser.parse_args()
    print_header(f"cockpit memory: `aiops-tui live` on the sim and `aiops-tui demo`, 5 s polls, {args.minutes:g} min, tmux 120x40")
    with tempfile.TemporaryDirectory() as scratch:
        port = free_port()
        sim = subprocess.Popen([AIOPS_TUI, "sim", "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        config = Path(scratch) / "config.yaml"
        config.write_text(
            f"environment: bench\nhistory: {scratch}/live.duckdb\ninterval: 5s\n"
            f"gateways:\n  - name: gw\n    metrics_url: http://127.0.0.1:{port}/metrics/\n"
            f"    status_url: http://127.0.0.1:{port}/status\n"
            f"runbooks:\n  dirs: [{REPO_DIR / 'runbooks'}]\n"
        )
        apps = {"live": [AIOPS_TUI, "live", "-c", str(config)], "demo": [AIOPS_TUI, "demo", "--history", f"{scratch}/demo.duckdb"]}
        panes = {name: Tmux() for name in apps}
        try:
            time.sleep(1.0)  # the sim's port
            pids = {}
            for name, argv in apps.items():
                started = panes[name].start(argv)
                panes[name].wait_for(MARKER, started, timeout_s=60)
                pids[name] = panes[name].pane_pid()
            for key in PANE_KEYS:
                for pane in panes.values():
                    pane._tmux("send-keys", "-t", pane.target, key)
                time.sleep(1.5)
            print(f"\n{'minute':>6}" + "".join(f" {name + ' RSS':>10} {'anon':>6} {'file':>6}" for name in apps))
            peaks = dict.fromkeys(apps, 0.0)
            started, printed = time.monotonic(), -1
            while (elapsed := time.monotonic() - started) <= args.minutes * 60:
                row = f"{elapsed / 60:>6.1f}"
                for name, pid in pids.items():
                    split = rss_split_mb(pid)
                    if split is None:
                        raise RuntimeError(f"{name} exited:\n{panes[name].capture()}")
                    peaks[name] = max(peaks[name], sum(split))
                    row += f" {sum(split):>8.0f}MB {split[0]:>4.0f}MB {split[1]:>4.0f}MB"
                if int(elapsed // 60) > printed:  # a row a minute; the peak from every sample
                    printed = int(elapsed // 60)
                    print(row, flush=True)
                time.sleep(SAMPLE_EVERY_S)
            print("\npeak RSS: " + ", ".join(f"{name} {peak:.0f} MB" for name, peak in peaks.items()))
        finally:
            for pane in panes.values():
                pane.close()
            sim.terminate()
            sim.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())

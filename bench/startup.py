"""Startup: process start to the first screen WITH DATA of `aiops-tui demo` (its recorded hour, and with
another seed its simulated one) and `aiops-tui review FILE` (a 10M-sample history), in a private tmux at
120x40, against a minimal five-tab Textual app launched in the same rounds (one launch of each app per round); resident memory at that moment; the
demo's hour (recorded and simulated) and the first views() on their own.

    .venv/bin/python bench/startup.py [--runs 5]

"First screen with data" is the first `tmux capture-pane` (polled every 10 ms) that shows "req/s":
the golden pane's requests tile and model table only say it once a value is drawn.

The Textual peers are measured in the same run when their venvs exist (each in its own: their pins
conflict), to their first recognisable screen:

    for p in toolong harlequin dolphie; do python3 -m venv bench/.data/peer-$p && bench/.data/peer-$p/bin/pip install $p; done

(posting 2.x is left out: it crashes with a segmentation fault at start on this kind of machine.)
"""

from __future__ import annotations

import argparse
import compileall
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    AIOPS_TUI, BENCH_DIR, DATA_DIR, PYTHON, REPO_DIR, REVIEW_10M, Tmux, history_file, median, print_header, rss_mb,
)

MARKER = "req/s"
FIRST_FRAME = "Golden signals"
"""The first tab's label: on screen once the app has drawn its first frame, with or without data."""
IMPORTS = ("textual.app", "textual_plotext", "duckdb", "httpx", "aiops_tui.ui.app")
PEERS = {
    # name: (command in its venv's bin, arguments, text on its first recognisable screen)
    "toolong": ("tl", ["{log}"], "request served"),
    "harlequin": ("harlequin", [], "Data Catalog"),
    "dolphie (no MySQL: its connecting screen)": ("dolphie", [], "Dolphie"),
}


def peer_apps(scratch: Path) -> dict[str, tuple[list[str], str]]:
    """The peers whose venv exists under bench/.data/peer-<name>: argv and the marker to wait for."""
    log = scratch / "app.log"
    log.write_text("".join(f"2026-12-03 10:00:{i % 60:02d} INFO request served id={i}\n" for i in range(2000)))
    found = {}
    for name, (command, args, marker) in PEERS.items():
        binary = DATA_DIR / f"peer-{name.split()[0]}" / "bin" / command
        if binary.exists():
            found[name] = ([str(binary), *(a.format(log=log) for a in args)], marker)
    return found

def time_imports(runs: int) -> dict[str, float]:
    """Median seconds to import each module in a fresh interpreter (the interpreter's own start excluded)."""
    out = {}
    for module in ("",) + IMPORTS:
        code = (f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
                if module else "print(0.0)")
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            result = subprocess.run([PYTHON, "-c", code], capture_output=True, text=True, check=True)
            wall = time.perf_counter() - started
            times.append(wall if not module else float(result.stdout))
        out[module or "python -c pass (whole process)"] = median(times)
    return out


def time_backfill(runs: int) -> tuple[float, int, int]:
    """The demo's hour of backfill on its own, as `aiops-tui demo` runs it, in this process: (median s, cycles, samples)."""
    from aiops_tui.demo import DEMO_BACKFILL_STEP_S, backfill
    from aiops_tui.sim.model import GatewayModel
    from aiops_tui.store.history import History

    times, cycles, samples = [], 0, 0
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as scratch:
            now = time.time()
            model = GatewayModel(42, now - 3600, budget_monthly_usd=15_000.0)
            with History.open(Path(scratch) / "b.duckdb") as history:
                started = time.perf_counter()
                cycles = backfill(history, model, now - 3600, now, step_s=DEMO_BACKFILL_STEP_S)
                times.append(time.perf_counter() - started)
                samples = history.con.execute("SELECT count(*) FROM samples").fetchone()[0]
    return median(times), cycles, samples


def time_recording(runs: int) -> tuple[float, float]:
    """The default demo's hour from its recording, in this process: (median s to copy it into a new history and
    roll it up, median s to move the model through it, which the demo's forked child does meanwhile)."""
    from aiops_tui.demo import DemoRecording, advance_through
    from aiops_tui.store.history import History

    recording = DemoRecording.matching(seed=42, duration_s=3600.0, budget_monthly_usd=15_000.0)
    if recording is None:
        raise SystemExit("demo_data/demo-hour does not match the sim: run `make demo-recording`")
    copies, advances = [], []
    for _ in range(runs):
        start = recording.start_for(time.time())
        with tempfile.TemporaryDirectory() as scratch, History.open(Path(scratch) / "r.duckdb") as history:
            started = time.perf_counter()
            recording.absorb_into(history, start)
            copies.append(time.perf_counter() - started)
        model = recording.model_for(start, seed=42, budget_monthly_usd=15_000.0)
        started = time.perf_counter()
        advance_through(model, start, start + recording.duration_s)
        advances.append(time.perf_counter() - started)
    return median(copies), median(advances)


def time_first_views(path: Path, runs: int) -> tuple[float, float]:
    """(median s to open the file read-only and find its time range, median s of the first Cockpit.views())."""
    from aiops_tui.cockpit import Cockpit
    from aiops_tui.store.history import History

    opens, views = [], []
    for _ in range(runs):
        started = time.perf_counter()
        with History.open(path, read_only=True) as history:
            end = history.time_range()[1]
            opened = time.perf_counter()
            Cockpit(history, clock=lambda: end).views()
            views.append(time.perf_counter() - opened)
            opens.append(opened - started)
    return median(opens), median(views)


def measure(tmux: Tmux, apps: dict[str, tuple], runs: int, scratch: Path) -> dict[str, tuple[list[float], list[float], list[float]]]:
    """(seconds to the first frame, seconds to the marker, RSS MB at that moment) of `runs` fresh launches of
    each app, in rounds of one launch per app: a phase of a noisy host lands on every app alike, and the
    ratio to the minimal app is taken within each round."""
    out: dict[str, tuple[list[float], list[float], list[float]]] = {name: ([], [], []) for name in apps}
    for run in range(runs):
        for name, (argv, per_run, first_frame, marker) in apps.items():
            frames, seconds, rss = out[name]
            started = tmux.start(per_run(run, scratch) if per_run else argv)
            frames.append(tmux.wait_for(first_frame, started))
            seconds.append(tmux.wait_for(marker, started))
            rss.append(rss_mb(tmux.pane_pid()) or float("nan"))
            tmux.stop_pane()
            time.sleep(0.3)  # let the killed process go before the next one starts
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    print_header("startup: process start to first screen with data, tmux 120x40")
    review_file = history_file("review-10m.duckdb", **REVIEW_10M)
    # As on a user's machine after the first run: the package's modules load from bytecode (this machine
    # may set PYTHONDONTWRITEBYTECODE, which would leave them compiled from source at every start).
    compileall.compile_dir(REPO_DIR / "src", quiet=1)

    imports = time_imports(args.runs)
    print(f"\nimports alone (median of {args.runs}, fresh interpreter each):")
    for module, seconds in imports.items():
        print(f"  {module:34s} {seconds:6.3f} s")

    # A new file for each launch: the demo refuses a file that holds a history already.
    demo_argv = lambda tag: lambda run, scratch: [AIOPS_TUI, "demo", "--history", str(scratch / f"demo-{tag}-{run}.duckdb")]  # noqa: E731
    apps = {
        "minimal five-tab app": ([PYTHON, str(BENCH_DIR / "minimal_app.py")], None),
        "minimal five-tab app + textual_plotext": ([PYTHON, str(BENCH_DIR / "minimal_app.py"), "--plotext"], None),
        "aiops-tui demo": ([], demo_argv("recorded")),
        "aiops-tui demo --seed 7 (its hour simulated)": ([], lambda run, scratch: demo_argv("seed7")(run, scratch) + ["--seed", "7"]),
        f"aiops-tui review ({review_file.name})": ([AIOPS_TUI, "review", str(review_file)], None),
    }
    tmux = Tmux()
    try:
        with tempfile.TemporaryDirectory() as scratch:
            everything = {name: (argv, per_run, FIRST_FRAME, MARKER) for name, (argv, per_run) in apps.items()}
            peers = peer_apps(Path(scratch))
            everything |= {f"peer: {name}": (argv, None, marker, marker) for name, (argv, marker) in peers.items()}
            measured = measure(tmux, everything, args.runs, Path(scratch))
    finally:
        tmux.close()
    for name, (_, seconds, _) in measured.items():
        print(f"  measured {name}: {' '.join(f'{s:.2f}' for s in seconds)} s")
    if not peers:
        print("  (no peer venvs under bench/.data: see this script's docstring to measure them too)")

    floor = measured["minimal five-tab app"][1]
    print(f"\nmedian of {args.runs} rounds: first frame · first frame with data · its ratio to the minimal app (median of"
          f" the rounds' ratios) · RSS then (target <= 1.0 s and <= 1.3x)")
    for name, (frames, seconds, rss) in measured.items():
        ratio = median([s / f for s, f in zip(seconds, floor)])
        print(f"  {name:44s} {median(frames):6.2f} s  {median(seconds):6.2f} s  {ratio:5.2f}x  {median(rss):5.0f} MB")

    copy_s, advance_s = time_recording(3)
    print(f"\ndemo's recorded hour (median of 3): copied in and rolled up {copy_s:.2f} s; the model moved through it"
          f" {advance_s:.2f} s (in the forked child)")
    backfill_s, cycles, samples = time_backfill(3)
    print(f"demo backfill of 1 h alone, as for another --seed (median of 3): {backfill_s:.2f} s, {cycles} cycles,"
          f" {samples:,} samples")
    open_s, views_s = time_first_views(review_file, 3)
    print(f"review: History.open + time_range {open_s * 1000:.0f} ms; the first Cockpit.views() {views_s * 1000:.0f} ms "
          f"(median of 3, in this process, file in the page cache)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

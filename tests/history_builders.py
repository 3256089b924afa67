"""Small builders for history tests: series keys, batches from (offset, value) lists, and the
scripts that child processes run to hold or write a history file."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from aiops_tui.model import Batch, Event, Sample, SeriesKey, make_labels

T0 = 1_767_225_600.0
"""2026-01-01T00:00:00Z: a whole hour (and day), so bucket arithmetic in the tests stays readable."""


def key(name: str, source: str = "gw", **labels: str) -> SeriesKey:
    return SeriesKey(source, name, make_labels(labels))


def samples_of(series: SeriesKey, points: list[tuple[float, float]]) -> list[Sample]:
    """Samples of one series from (seconds after T0, value) pairs."""
    return [Sample(series, T0 + offset_s, value) for offset_s, value in points]


def batch(*sample_lists: list[Sample], events: list[Event] | None = None, source: str = "gw") -> Batch:
    merged = [sample for samples in sample_lists for sample in samples]
    return Batch(source, T0, merged, list(events or []))


# Writes cycle after cycle (SAMPLES_PER_CYCLE samples at ts = T0 + cycle, one event each) and
# prints the cycle number only after write_cycle has committed it.
WRITER_SCRIPT = """
import sys
from aiops_tui.model import Batch, Event, Sample, SeriesKey
from aiops_tui.store.history import History

path, per_cycle, t0 = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
keys = [SeriesKey("gw", "crash_test_total", (("n", str(i)),)) for i in range(per_cycle)]
with History.open(path) as history:
    cycle = 0
    while True:
        ts = t0 + cycle
        samples = [Sample(k, ts, float(cycle)) for k in keys]
        history.write_cycle([Batch("gw", ts, samples, [Event(ts, "cycle", str(cycle))])])
        print(cycle, flush=True)
        cycle += 1
"""

# Opens the history for writing, says "ready", and holds it until stdin closes.
HOLDER_SCRIPT = """
import sys
from aiops_tui.store.history import History

with History.open(sys.argv[1]) as history:
    print("ready", flush=True)
    sys.stdin.read()
"""

# What a CLI entry point does with a UserError: one line on stderr, its exit code.
OPEN_LIKE_CLI_SCRIPT = """
import sys
from aiops_tui.errors import UserError
from aiops_tui.store.history import History

try:
    History.open(sys.argv[1], read_only=sys.argv[2] == "ro").close()
except UserError as exc:
    print(exc, file=sys.stderr)
    sys.exit(exc.exit_code)
"""


def spawn(script: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", script, *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def hold_open(path: Path) -> subprocess.Popen[str]:
    """A real other process holding `path` open for writing; close its stdin to let it go."""
    holder = spawn(HOLDER_SCRIPT, str(path))
    assert holder.stdout is not None
    line = holder.stdout.readline()
    if line.strip() != "ready":
        holder.kill()
        raise AssertionError(f"holder did not start: {line!r} {holder.stderr.read() if holder.stderr else ''}")
    return holder


def release(holder: subprocess.Popen[str]) -> None:
    holder.communicate(timeout=30)

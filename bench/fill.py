"""Filling the history's gap at the start from a real Prometheus: the last hour (or `--span`) read as range
queries by the real PrometheusSource and written by the real Recorder into a new history file, as `live` and
`record` do before their first poll. Wall time, the cockpit's CPU, steps and rows; median of `--runs`.

    .venv/bin/python bench/fill.py --url http://127.0.0.1:9090 [--span 1h] [--interval 5s] [--runs 5]

The Prometheus must have scraped gateways for the whole span (its range queries cost what its data holds):
for example `aiops-tui sim` on two ports scraped every 5 s for an hour.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import median, print_header  # noqa: E402

from aiops_tui.config import PrometheusConfig, parse_duration  # noqa: E402
from aiops_tui.recorder import Recorder  # noqa: E402
from aiops_tui.sources.prometheus import PrometheusSource  # noqa: E402
from aiops_tui.store.history import History  # noqa: E402


def one_fill(url: str, span_s: float, interval_s: float, scratch: Path) -> tuple[float, float, str, int]:
    """(wall s, CPU s, what was filled, rows written) for one fill into a new history."""
    source = PrometheusSource(PrometheusConfig(url, {}, None, True, interval_s, 10.0, "auto", {}))
    with History.open(scratch / f"fill-{time.monotonic_ns()}.duckdb") as history:
        recorder = Recorder(history, [source])
        recorder.poller.fill_from = time.time() - span_s
        wall, cpu = time.perf_counter(), time.process_time()
        asyncio.run(recorder.poller.fill_gaps())
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        status = recorder.poller.status[source.name]
        if status.fill_error:
            raise SystemExit(f"bench/fill.py: not filled: {status.fill_error}")
        return wall, cpu, status.filled or "nothing", recorder.rows_written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="the Prometheus to read")
    parser.add_argument("--span", default="1h", help="how far back to fill (default 1h)")
    parser.add_argument("--interval", default="5s", help="the poll interval: no step is finer (default 5s)")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    span_s, interval_s = parse_duration(args.span, flag="--span"), parse_duration(args.interval, flag="--interval")
    print_header(f"Fill the last {args.span} from {args.url} (interval {args.interval}), median of {args.runs}")
    with tempfile.TemporaryDirectory() as scratch:
        runs = [one_fill(args.url, span_s, interval_s, Path(scratch)) for _ in range(args.runs)]
    walls, cpus = [r[0] for r in runs], [r[1] for r in runs]
    print(f"filled: {runs[-1][2]}, {runs[-1][3]:,} rows written")
    print(f"wall: median {median(walls):.3f} s (min {min(walls):.3f}, max {max(walls):.3f})")
    print(f"cockpit CPU: median {median(cpus):.3f} s")


if __name__ == "__main__":
    main()

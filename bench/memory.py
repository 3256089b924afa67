"""Memory over a long session: the real Recorder and Poller polling the in-process demo gateway
(demo.ModelSource) every 15 s on a compressed clock for 24 h, the cockpit's views read once a
minute as the app would, RSS and the size of every buffer printed along the way.

    .venv/bin/python bench/memory.py [--hours 24] [--interval 15]

Target (issue 8): RSS <= 120 MB after 1 h and after 24 h, and flat (every buffer bounded).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import own_rss_mb, print_header  # noqa: E402

START_TS = 1_793_491_200.0  # 2026-11-01T00:00:00Z
CHECKPOINTS_H = (0.25, 1, 2, 4, 8, 12, 16, 20, 24, 36, 48)
VIEWS_EVERY_S = 60.0


class CompressedClock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def duckdb_mb(history) -> float:
    rows = history.con.execute("SELECT sum(memory_usage_bytes) FROM duckdb_memory()").fetchone()
    return (rows[0] or 0) / 1e6


async def run(hours: float, interval_s: float, scratch: Path, memory_limit: str | None) -> None:
    from aiops_tui.cockpit import Cockpit
    from aiops_tui.demo import ModelSource
    from aiops_tui.recorder import Recorder
    from aiops_tui.sim.model import GatewayModel
    from aiops_tui.store.history import History

    clock = CompressedClock(START_TS)
    path = scratch / "memory.duckdb"
    print(f"RSS before opening anything: {own_rss_mb():.0f} MB")
    with History.open(path) as history:
        if memory_limit:
            history.con.execute(f"SET memory_limit = '{memory_limit}'")
        model = GatewayModel(42, START_TS, budget_monthly_usd=15_000.0)
        source = ModelSource(model, clock, interval_s=interval_s)
        recorder = Recorder(history, [source], retention=(14 * 86400.0, 90 * 86400.0, 730 * 86400.0), clock=clock)
        cockpit = Cockpit(history, poller=recorder.poller, clock=clock)
        poller = recorder.poller
        print(f"RSS with the history open and the sim built: {own_rss_mb():.0f} MB")
        print(f"\n{'sim time':>8} {'RSS':>7} {'DuckDB':>7} {'py blocks':>10} {'file':>7} {'samples':>10} "
              f"{'series':>6} {'scrape window':>13} {'keys cached':>11} {'wall':>6}")
        checkpoints = [h for h in CHECKPOINTS_H if h <= hours] or [hours]
        next_views = START_TS
        started = time.perf_counter()
        first_rss = None
        for hour in checkpoints:
            until = START_TS + hour * 3600
            while clock.now < until:
                await poller.run_cycle()
                if clock.now >= next_views:
                    cockpit.views()
                    next_views = clock.now + VIEWS_EVERY_S
                clock.now += interval_s
            gc.collect()
            rss = own_rss_mb()
            first_rss = first_rss if first_rss is not None else rss
            samples = history.con.execute("SELECT count(*) FROM samples").fetchone()[0]
            window = sum(len(w) for w in poller._scrapes.values())
            print(f"{hour:>7g}h {rss:>5.0f}MB {duckdb_mb(history):>5.0f}MB {sys.getallocatedblocks():>10,} "
                  f"{path.stat().st_size / 1e6:>5.0f}MB {samples:>10,} {len(history._ids):>6,} {window:>13} "
                  f"{len(source._keys):>11,} {time.perf_counter() - started:>5.0f}s", flush=True)
        cycles = poller.cycles
    print(f"\n{cycles:,} cycles of {interval_s:g} s; views read every {VIEWS_EVERY_S:g} s of sim time. "
          f"RSS growth after the first checkpoint: {rss - first_rss:+.0f} MB")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=float, default=24.0)
    parser.add_argument("--interval", type=float, default=15.0, help="poll interval in sim seconds (default 15)")
    parser.add_argument("--memory-limit", help="DuckDB memory_limit to set first, e.g. 64MB (default: DuckDB's, 80%% of RAM)")
    args = parser.parse_args()
    limit = f", DuckDB memory_limit {args.memory_limit}" if args.memory_limit else ""
    print_header(f"memory: {args.hours:g} h of polling the demo gateway every {args.interval:g} s, compressed clock{limit}")
    with tempfile.TemporaryDirectory() as scratch:
        asyncio.run(run(args.hours, args.interval, Path(scratch), args.memory_limit))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Memory over a long session: the real Recorder and Poller polling the demo gateway every 15 s on a
compressed clock for 24 h, the cockpit's views read once a sim-minute, RSS and the size of every
buffer printed along the way. The gateway is served over loopback HTTP (`SimServer`) and scraped and
parsed by the real `GatewaySource`, as `aiops-tui live` does, from a forked process that shares the
compressed clock (a live cockpit's gateway runs in a process of its own). `--in-process` polls the
model directly (`demo.ModelSource`: no HTTP, no exposition to parse, the sim in the measured process),
as this benchmark did before 2026-12-04.

    .venv/bin/python bench/memory.py [--hours 24] [--interval 15] [--views-every 60] [--memory-limit 48MB] [--in-process]

Besides RSS (anonymous + file-backed, the latter mostly DuckDB's library) it prints DuckDB's buffer
pool (`duckdb_memory()`), glibc's heap in use (where DuckDB's own bookkeeping lives, outside the
pool), the nodes in DuckDB's eviction queues (`duckdb_eviction_queues()`) and how many times the
recorder has reopened the history to free them.

Target (issue 8): RSS <= 120 MB after 1 h and after 24 h, and flat (every buffer bounded).
"""

from __future__ import annotations

import argparse
import asyncio
import ctypes
import gc
import multiprocessing
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import own_rss_mb, print_header  # noqa: E402

START_TS = 1_793_491_200.0  # 2026-11-01T00:00:00Z
CHECKPOINTS_H = (0.25, 1, 2, 4, 8, 12, 16, 20, 24, 36, 48)


class CompressedClock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class SharedClock:
    """A compressed clock that a forked process reads too: the sim serving from there keeps the same time."""

    def __init__(self, now: float) -> None:
        self._now = multiprocessing.get_context("fork").Value("d", now, lock=False)

    @property
    def now(self) -> float:
        return self._now.value

    @now.setter
    def now(self, value: float) -> None:
        self._now.value = value

    def __call__(self) -> float:
        return self._now.value


def serve_sim_in_child(clock: SharedClock) -> tuple[str, multiprocessing.Process]:
    """The demo gateway on loopback HTTP in a forked process (as a live cockpit's gateway runs in its own):
    its model, server threads and expositions stay out of the measured process. Returns (url, process)."""
    ctx = multiprocessing.get_context("fork")
    port, ready = ctx.Value("i", 0, lock=False), ctx.Event()

    def serve() -> None:
        from aiops_tui.sim.model import GatewayModel
        from aiops_tui.sim.server import SimServer

        sim = SimServer(model=GatewayModel(42, START_TS, budget_monthly_usd=15_000.0), clock=clock).start()
        port.value = sim.port
        ready.set()
        while True:
            time.sleep(3600)

    process = ctx.Process(target=serve, daemon=True)
    process.start()
    if not ready.wait(30):
        raise RuntimeError("the sim did not start")
    return f"http://127.0.0.1:{port.value}", process


def duckdb_mb(history) -> float:
    rows = history.con.execute("SELECT sum(memory_usage_bytes) FROM duckdb_memory()").fetchone()
    return (rows[0] or 0) / 1e6


class _MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in
                ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")]


def glibc_heap_in_use_mb() -> float | None:
    """Bytes glibc's malloc has handed out and not had back (Python's large objects, DuckDB's C++ objects)."""
    try:
        mallinfo2 = ctypes.CDLL("libc.so.6").mallinfo2
    except (OSError, AttributeError):
        return None
    mallinfo2.restype = _MallInfo2
    info = mallinfo2()
    return (info.uordblks + info.hblkhd) / 1e6


def rss_split_mb() -> tuple[float, float]:
    """(anonymous, file-backed) resident MB of this process."""
    fields = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(("RssAnon:", "RssFile:")):
            name, value = line.split(":")
            fields[name] = int(value.split()[0]) * 1024 / 1e6
    return fields.get("RssAnon", 0.0), fields.get("RssFile", 0.0)


async def run(hours: float, interval_s: float, views_every_s: float, scratch: Path, memory_limit: str | None,
              in_process: bool) -> None:
    import httpx

    from aiops_tui.cockpit import Cockpit
    from aiops_tui.config import GatewayConfig
    from aiops_tui.demo import ModelSource
    from aiops_tui.recorder import Recorder
    from aiops_tui.sim.model import GatewayModel
    from aiops_tui.sources.gateway import GatewaySource
    from aiops_tui.store.history import History
    from aiops_tui.store.opening import set_memory_limit

    if in_process:
        clock = CompressedClock(START_TS)
    else:
        clock = SharedClock(START_TS)
        sim_url, sim = serve_sim_in_child(clock)  # forked before DuckDB is opened here
    path = scratch / "memory.duckdb"
    print(f"RSS before opening anything: {own_rss_mb():.0f} MB")
    with History.open(path) as history:
        if memory_limit:
            set_memory_limit(history.con, memory_limit)
        limit = history.con.execute("SELECT current_setting('memory_limit')").fetchone()[0]
        if in_process:
            source = ModelSource(GatewayModel(42, START_TS, budget_monthly_usd=15_000.0), clock, interval_s=interval_s)
        else:
            client = httpx.AsyncClient(follow_redirects=True, timeout=5.0)
            gateway = GatewayConfig("demo-gateway", f"{sim_url}/metrics", f"{sim_url}/status", "health_json", None,
                                    interval_s, 5.0)
            source = GatewaySource(gateway, client, clock=clock)
        recorder = Recorder(history, [source], retention=(14 * 86400.0, 90 * 86400.0, 730 * 86400.0), clock=clock)
        cockpit = Cockpit(history, poller=recorder.poller, clock=clock)
        poller = recorder.poller
        anon, mapped = rss_split_mb()
        print(f"RSS with the history open and the sim built: {own_rss_mb():.0f} MB "
              f"({anon:.0f} anonymous, {mapped:.0f} file-backed); DuckDB memory_limit {limit}")
        print(f"\n{'sim time':>8} {'RSS':>7} {'peak':>7} {'anon':>6} {'file':>6} {'DuckDB':>7} {'heap':>6} {'evict q':>8} "
              f"{'py blocks':>10} {'db file':>7} {'samples':>10} {'series':>6} {'scrapes':>7} {'keys':>6} {'reopens':>7} {'wall':>6}")
        checkpoints = [h for h in CHECKPOINTS_H if h <= hours] or [hours]
        next_views = START_TS
        started = time.perf_counter()
        first_rss = None
        peak_after_first = 0.0
        for hour in checkpoints:
            until = START_TS + hour * 3600
            peak = 0.0  # RSS sawtooths with the recorder's reopens: a checkpoint alone may catch a low or a high
            while clock.now < until:
                await poller.run_cycle()
                if clock.now >= next_views:
                    cockpit.views()
                    next_views = clock.now + views_every_s
                clock.now += interval_s
                peak = max(peak, own_rss_mb())
            gc.collect()
            rss = own_rss_mb()
            if first_rss is None:
                first_rss = rss
            else:
                peak_after_first = max(peak_after_first, peak)
            samples = history.con.execute("SELECT count(*) FROM samples").fetchone()[0]
            window = sum(len(w) for w in poller._scrapes.values())
            anon, mapped = rss_split_mb()
            heap = glibc_heap_in_use_mb()
            heap_text = f"{heap:>4.0f}MB" if heap is not None else f"{'?':>6}"
            print(f"{hour:>7g}h {rss:>5.0f}MB {peak:>5.0f}MB {anon:>4.0f}MB {mapped:>4.0f}MB {duckdb_mb(history):>5.0f}MB {heap_text} "
                  f"{history.buffer_use().queue_nodes:>8,} {sys.getallocatedblocks():>10,} {path.stat().st_size / 1e6:>5.0f}MB "
                  f"{samples:>10,} {len(history._ids):>6,} {window:>7} {len(source._keys):>6,} {recorder.reopens:>7} "
                  f"{time.perf_counter() - started:>5.0f}s", flush=True)
        cycles = poller.cycles
        if not in_process:
            await client.aclose()
            sim.terminate()
    print(f"\n{cycles:,} cycles of {interval_s:g} s; views read every {views_every_s:g} s of sim time. "
          f"RSS growth after the first checkpoint: {rss - first_rss:+.0f} MB; peak RSS after it: {peak_after_first:.0f} MB")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=float, default=24.0)
    parser.add_argument("--interval", type=float, default=15.0, help="poll interval in sim seconds (default 15)")
    parser.add_argument("--views-every", type=float, default=60.0,
                        help="sim seconds between Cockpit.views() calls (default 60; the live app reads them after each poll)")
    parser.add_argument("--memory-limit", help="DuckDB memory_limit to set after opening, e.g. 64MB (default: the history's "
                        "own; a reopen by the recorder restores the default)")
    parser.add_argument("--in-process", action="store_true",
                        help="poll the sim's model directly instead of scraping it over loopback HTTP")
    args = parser.parse_args()
    limit = f", DuckDB memory_limit {args.memory_limit}" if args.memory_limit else ""
    how = "in process" if args.in_process else "over loopback HTTP"
    print_header(f"memory: {args.hours:g} h of polling the demo gateway ({how}) every {args.interval:g} s, views every "
                 f"{args.views_every:g} s, compressed clock{limit}")
    with tempfile.TemporaryDirectory() as scratch:
        asyncio.run(run(args.hours, args.interval, args.views_every, Path(scratch), args.memory_limit, args.in_process))
    return 0


if __name__ == "__main__":
    sys.exit(main())

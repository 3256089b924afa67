"""Polling fan-out: 50 loopback gateways serving a real LiteLLM exposition (100 KB) plus a fake
Prometheus answering 20 instant queries, polled by the real GatewaySource / PrometheusSource / Poller
and written by the real Recorder; one cycle's wall time, CPU and worst event-loop stall, per client set-up.

    .venv/bin/python bench/polling.py [--cycles 8] [--gateways 50] [--shipped-only] [--switch-interval-ms 5]

The servers run in a child process (this script with --serve), so the CPU measured is the cockpit's
alone. Targets (issue 8): one cycle <= 1 s wall and <= 25 % of one core at a 5 s interval.
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import PYTHON, REPO_DIR, median, print_header  # noqa: E402

FIXTURE = REPO_DIR / "tests" / "fixtures" / "litellm-1.108.7-metrics.txt"
INTERVAL_S = 5.0
QUERIES = 20
VECTOR = {"status": "success", "data": {"resultType": "vector", "result": [
    {"metric": {"model": m}, "value": [0, str(0.25 * (i + 1))]} for i, m in enumerate(("gpt-4o", "gpt-4o-mini", "claude"))
] + [{"metric": {}, "value": [0, "1.5"]}]}}


# -- the servers (child process) -------------------------------------------------------------------

def _response(status: str, content_type: str, body: bytes) -> bytes:
    head = f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n\r\n"
    return head.encode() + body


async def _serve(gateways: int) -> None:
    """One asyncio process, one port per gateway plus one for Prometheus; keep-alive HTTP/1.1."""
    metrics = _response("200 OK", "text/plain; version=0.0.4; charset=utf-8", FIXTURE.read_bytes())
    ready = _response("200 OK", "application/json", b'{"status": "healthy", "db": "connected"}')
    vector = _response("200 OK", "application/json", json.dumps(VECTOR).encode())
    alerts = _response("200 OK", "application/json", b'{"status": "success", "data": {"alerts": []}}')
    missing = _response("404 Not Found", "text/plain", b"not found")

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                path = head.split(b" ", 2)[1]
                if path.startswith(b"/metrics"):
                    writer.write(metrics)
                elif path.startswith(b"/health/readiness"):
                    writer.write(ready)
                elif path.startswith(b"/api/v1/query"):
                    writer.write(vector)
                elif path.startswith(b"/api/v1/alerts"):
                    writer.write(alerts)
                else:
                    writer.write(missing)
                await writer.drain()
        except (asyncio.IncompleteReadError, asyncio.CancelledError, ConnectionError, IndexError):
            pass  # the client hung up, or this process is stopping
        finally:
            writer.close()

    servers = [await asyncio.start_server(handle, "127.0.0.1", 0) for _ in range(gateways + 1)]
    ports = [s.sockets[0].getsockname()[1] for s in servers]
    print(json.dumps(ports), flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)  # until the parent closes stdin


# -- the set-ups -------------------------------------------------------------------------------------

def gateway_configs(ports: list[int]):
    from aiops_tui.config import GatewayConfig

    return [
        GatewayConfig(f"gw-{n:02d}", f"http://127.0.0.1:{port}/metrics", f"http://127.0.0.1:{port}/health/readiness",
                      "litellm", None, INTERVAL_S, 3.0)
        for n, port in enumerate(ports)
    ]


def prometheus_source(port: int):
    from aiops_tui.config import PrometheusConfig
    from aiops_tui.sources.conventions import signal_queries
    from aiops_tui.sources.prometheus import PrometheusSource

    base = signal_queries(["litellm"])
    extra = {f"extra_{n}": f"sum(rate(extra_metric_{n}_total[5m]))" for n in range(QUERIES - len(base))}
    cfg = PrometheusConfig(f"http://127.0.0.1:{port}", {}, None, True, INTERVAL_S, 3.0, "litellm", extra)
    source = PrometheusSource(cfg)
    assert len(source.queries()) == QUERIES, len(source.queries())
    return source


class Bounded:
    """A source whose polls wait for one of `limit` slots (bounded concurrency across sources)."""

    def __init__(self, inner, limit: asyncio.Semaphore) -> None:
        self.inner, self.limit = inner, limit
        self.name, self.interval_s, self.timeout_s = inner.name, inner.interval_s, inner.timeout_s

    @property
    def profiles(self):
        return self.inner.profiles

    async def poll(self):
        async with self.limit:
            return await self.inner.poll()


class ThreadedGatewaySource:
    """The same scrape with a sync httpx.Client in a thread pool; parsing happens in the thread too."""

    def __init__(self, cfg, client, pool: concurrent.futures.ThreadPoolExecutor) -> None:
        self.cfg, self.client, self.pool = cfg, client, pool
        self.name, self.interval_s, self.timeout_s = cfg.name, cfg.interval_s, cfg.timeout_s
        self.profiles: list[str] = []

    async def poll(self):
        from aiops_tui.model import Batch

        batch = Batch(self.name, time.time())
        try:
            future = asyncio.get_running_loop().run_in_executor(self.pool, self._fetch, batch.ts)
            batch.samples.extend(await asyncio.wait_for(future, timeout=self.timeout_s))
        except Exception as exc:  # noqa: BLE001
            batch.error = f"{self.name}: {type(exc).__name__}: {exc}"
        return batch

    def _fetch(self, ts: float):
        from aiops_tui.sources.conventions import detect_profiles
        from aiops_tui.sources.exposition import parse_exposition
        from aiops_tui.sources.gateway import parse_readiness_json

        resp = self.client.get(self.cfg.metrics_url)
        resp.raise_for_status()
        samples = parse_exposition(resp.text, source=self.name, ts=ts)
        if not self.profiles:
            self.profiles = detect_profiles({s.key.name for s in samples})
        status = self.client.get(self.cfg.status_url)
        samples.extend(parse_readiness_json(status.json(), source=self.name, ts=ts))
        return samples


def setups(ports: list[int]):
    """name -> a function building (sources, closers) for one set-up."""
    import httpx

    from aiops_tui.sources.gateway import GatewaySource

    configs = gateway_configs(ports[:-1])

    def shared():
        client = httpx.AsyncClient(follow_redirects=True, timeout=3.0)
        return [GatewaySource(c, client) for c in configs], [client.aclose]

    def per_host():
        clients = [httpx.AsyncClient(follow_redirects=True, timeout=3.0, limits=httpx.Limits(max_connections=2))
                   for _ in configs]
        return [GatewaySource(c, k) for c, k in zip(configs, clients)], [k.aclose for k in clients]

    def bounded(limit: int):
        def build():
            client = httpx.AsyncClient(follow_redirects=True, timeout=3.0)
            slots = asyncio.Semaphore(limit)
            return [Bounded(GatewaySource(c, client), slots) for c in configs], [client.aclose]
        return build

    def threads(workers: int):
        def build():
            client = httpx.Client(follow_redirects=True, timeout=3.0, limits=httpx.Limits(max_connections=workers))
            pool = concurrent.futures.ThreadPoolExecutor(max_workers=workers, thread_name_prefix="scrape")

            async def close() -> None:
                pool.shutdown(wait=True)
                client.close()
            return [ThreadedGatewaySource(c, client, pool) for c in configs], [close]
        return build

    return {
        "one shared AsyncClient": shared,
        "one AsyncClient per host, max 2 connections (as shipped)": per_host,
        "shared AsyncClient, at most 4 polls at once": bounded(4),
        "shared AsyncClient, at most 8 polls at once": bounded(8),
        "sync httpx.Client in 4 threads": threads(4),
        "sync httpx.Client in 8 threads": threads(8),
    }


async def loop_stall_watch(stop: asyncio.Event, worst: list[float]) -> None:
    """Record the longest the event loop was late for a 10 ms sleep (what a keypress would wait)."""
    while not stop.is_set():
        started = time.perf_counter()
        await asyncio.sleep(0.010)
        worst[0] = max(worst[0], time.perf_counter() - started - 0.010)


async def run_setup(build, prom_port: int, cycles: int, scratch: Path, with_prometheus: bool = True) -> dict:
    from aiops_tui.recorder import Recorder
    from aiops_tui.store.history import History

    sources, closers = build()
    if with_prometheus:
        sources.append(prometheus_source(prom_port))
    with History.open(scratch / f"poll-{time.monotonic_ns()}.duckdb") as history:
        recorder = Recorder(history, sources)
        poller = recorder.poller
        for _ in range(2):  # the first cycles register every series: not steady state
            poller.refresh_now()
            await poller.run_cycle()
        walls, cpus, stalls, errors = [], [], [], 0
        for _ in range(cycles):
            poller.refresh_now()
            stop, worst = asyncio.Event(), [0.0]
            watcher = asyncio.create_task(loop_stall_watch(stop, worst))
            await asyncio.sleep(0.02)
            cpu, wall = time.process_time(), time.perf_counter()
            batches = await poller.run_cycle()
            walls.append(time.perf_counter() - wall)
            cpus.append(time.process_time() - cpu)
            stop.set()
            await watcher
            stalls.append(worst[0])
            errors += sum(1 for b in batches if b.error)
            await asyncio.sleep(0.2)
        samples = sum(len(b.samples) for b in batches)
    for close in closers:
        await close()
    return {"wall": median(walls), "cpu": median(cpus), "stall": median(stalls), "errors": errors, "samples": samples}


def parse_floor(gateways: int) -> float:
    """CPU seconds to parse `gateways` copies of the fixture in this process: no HTTP, no store."""
    from aiops_tui.sources.exposition import parse_exposition

    text = FIXTURE.read_text()
    parse_exposition(text, source="warm", ts=0.0)
    started = time.process_time()
    for n in range(gateways):
        parse_exposition(text, source=f"gw-{n}", ts=1.0)
    return time.process_time() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=8)
    parser.add_argument("--gateways", type=int, default=50)
    parser.add_argument("--shipped-only", action="store_true", help="measure only the set-up the cockpit ships")
    parser.add_argument("--switch-interval-ms", type=float, help="set Python's switch interval first (default 5)")
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        asyncio.run(_serve(args.serve))
        return 0
    if args.switch_interval_ms is not None:
        sys.setswitchinterval(args.switch_interval_ms / 1000)

    print_header(f"polling: {args.gateways} gateways x {FIXTURE.stat().st_size / 1000:.0f} KB + {QUERIES} PromQL queries, "
                 f"every {INTERVAL_S:g} s")
    print(f"Python's switch interval: {sys.getswitchinterval() * 1000:g} ms")
    server = subprocess.Popen([PYTHON, __file__, "--serve", str(args.gateways)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        ports = json.loads(server.stdout.readline())
        floor_s = parse_floor(args.gateways)
        print(f"floor: parse_exposition of {args.gateways} fixture copies, no HTTP: {floor_s * 1000:.0f} ms CPU "
              f"= {floor_s / INTERVAL_S:.0%} of one core every {INTERVAL_S:g} s")
        results = {}
        with tempfile.TemporaryDirectory() as scratch:
            prom_only = asyncio.run(run_setup(lambda: ([], []), ports[-1], args.cycles, Path(scratch)))
            print(f"Prometheus alone ({QUERIES} queries + alerts, 3 at once in threads): wall {prom_only['wall'] * 1000:.0f} ms, "
                  f"CPU {prom_only['cpu'] * 1000:.0f} ms")
            print(f"\nper cycle (median of {args.cycles}): wall · CPU · CPU as share of one core at {INTERVAL_S:g} s · "
                  f"worst event-loop stall · CPU / parse floor")
            for name, build in setups(ports).items():
                if args.shipped_only and "as shipped" not in name:
                    continue
                result = asyncio.run(run_setup(build, ports[-1], args.cycles, Path(scratch)))
                results[name] = result
                errors = f" · {result['errors']} failed polls" if result["errors"] else ""
                print(f"  {name:58s} {result['wall'] * 1000:6.0f} ms · {result['cpu'] * 1000:6.0f} ms · "
                      f"{result['cpu'] / INTERVAL_S:5.1%} · {result['stall'] * 1000:5.0f} ms · "
                      f"{result['cpu'] / floor_s:4.2f}x{errors}", flush=True)
        print(f"  ({next(iter(results.values()))['samples']:,} samples written per cycle)")
        best = min(results, key=lambda n: (results[n]["errors"] > 0, results[n]["cpu"] + results[n]["wall"] / 4))
        print(f"\nlowest CPU with no failed polls (wall weighted 1/4): {best}")
    finally:
        server.stdin.close()
        server.wait(timeout=10)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""A Prometheus (or a proxy before it) that sends its headers and then a byte now and then, each
within the read timeout: the poll gives up in one line, and it never starves the history writes
of the other sources of threads."""

from __future__ import annotations

import asyncio
import socket
import threading
from pathlib import Path

from aiops_tui.config import PrometheusConfig
from aiops_tui.recorder import Recorder
from aiops_tui.sources.prometheus import PrometheusSource
from aiops_tui.store.history import History
from loopback import Answer, ScriptedServer
from recording import T0, HandClock, gateway_source

CYCLES = 12


class TricklingServer:
    """Answers every request with headers promising a big body, then one byte every 50 ms until stopped."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.stop = threading.Event()
        self.connections = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._trickle, args=(conn,), daemon=True).start()

    def _trickle(self, conn: socket.socket) -> None:
        with conn:
            try:
                conn.recv(65536)
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n{")
                while not self.stop.wait(0.05):
                    conn.sendall(b" ")
            except OSError:
                pass

    def close(self) -> None:
        self.stop.set()
        self.sock.close()


def test_a_trickling_prometheus_never_stops_the_other_sources_being_written(tmp_path: Path):
    clock = HandClock(T0)
    prom = TricklingServer()
    try:
        with ScriptedServer() as healthy:
            healthy.answers["/metrics"] = Answer(200, b'aiops_queue_depth{queue="a"} 1\n')
            # A 0.2 s read timeout: every byte comes sooner, so only the poll's own deadline can stop it.
            cfg = PrometheusConfig(prom.url, {}, None, True, 1.0, 0.2, "none", {"requests_per_s": "up"})
            sources = [gateway_source("healthy", healthy.url + "/metrics", clock), PrometheusSource(cfg, clock=clock)]
            recorder = Recorder(History.open(tmp_path / "history.duckdb"), sources, clock=clock)

            async def cycles() -> list[float]:
                loop = asyncio.get_running_loop()
                spent = []
                try:
                    for _ in range(CYCLES):
                        started = loop.time()
                        await asyncio.wait_for(recorder.poller.run_cycle(), timeout=5.0)
                        spent.append(loop.time() - started)
                        clock.now += 1.0
                finally:
                    prom.close()  # let stuck readers go before the event loop waits for its threads
                    await sources[0].client.aclose()
                return spent

            spent = asyncio.run(cycles())
            recorder.history.close()
    finally:
        prom.close()
    # Each cycle waits at most for the Prometheus poll's deadline (2 x 0.2 s), plus the write.
    assert max(spent) < 2.0
    status = recorder.poller.status["prometheus"]
    assert status.last_error in ("no answer within 0.4 s", "timed out")
    assert prom.connections >= 2  # it was polled again, and again gave up
    with History.open(tmp_path / "history.duckdb", read_only=True) as history:
        cycles_written = history.con.execute(
            "SELECT count(DISTINCT ts) FROM samples JOIN series USING (series_id) WHERE source = 'healthy' AND name = 'aiops_queue_depth'"
        ).fetchone()[0]
    assert cycles_written == CYCLES

"""The demo gateway on loopback HTTP: `/metrics/`, `/status`, `/health/readiness`, `/faults` and
`/truth`. Every request first advances the model to the (scaled) clock, so no ticker is needed."""

from __future__ import annotations

import argparse
import hmac
import json
import os
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Iterable
from urllib.parse import urlsplit

from aiops_tui.errors import UserError
from aiops_tui.sim import exposition, status
from aiops_tui.sim.exposition import Family
from aiops_tui.sim.model import CONVENTIONS, FAULT_KINDS, Fault, GatewayModel

LITELLM_VERSION = "1.108.7"  # the version whose /metrics the litellm convention mirrors
JSON = "application/json"


class SimServer:
    """A `GatewayModel` served over HTTP from a background thread; `port=0` picks a free port.

    Pass `model` to serve one already built (then `seed` and `convention` are not used)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, seed: int = 42,
                 convention: str = "litellm", token: str | None = None, speed: float = 1.0,
                 clock: Callable[[], float] = time.time, model: GatewayModel | None = None) -> None:
        self.host, self.port = host, port
        self.token = token or None
        self.speed = speed
        self._clock = clock
        self._clock_origin = clock()
        # Sim time starts at the clock's time: a model handed in behind it (the demo's backfill)
        # catches up on the first request.
        self.model = model or GatewayModel(seed, self._clock_origin, convention=convention)
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def sim_now(self) -> float:
        """The clock's time at start plus its progress since then, times `speed`."""
        return self._clock_origin + (self._clock() - self._clock_origin) * self.speed

    def start(self) -> SimServer:
        httpd = _QuietHTTPServer((self.host, self.port), _Handler)
        httpd.sim = self  # type: ignore[attr-defined]
        self._httpd = httpd
        self.port = httpd.server_address[1]
        # A short poll interval makes stop() return promptly (shutdown waits for one poll).
        self._thread = threading.Thread(target=httpd.serve_forever, args=(0.05,),
                                        name="aiops-sim", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.drop_connections()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def wait(self) -> None:
        """Block until the server stops; Ctrl-C raises KeyboardInterrupt here."""
        while self._thread is not None and self._thread.is_alive():
            self._thread.join(0.5)

    def __enter__(self) -> SimServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # In-process access for the demo (same lock as the HTTP handlers).
    def locked(self, read: Callable[[GatewayModel], Any]) -> Any:
        with self._lock:
            self.model.advance(self.sim_now())
            return read(self.model)

    def families(self) -> list[Family]:
        return self.locked(lambda model: model.families())

    def inject(self, fault: str, target: str | None = None, duration_s: float | None = None,
               factor: float | None = None, pass_ratio: float | None = None) -> Fault | None:
        return self.locked(lambda model: model.inject(fault, target, duration_s, factor,
                                                      pass_ratio))


class _QuietHTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client hanging up mid-request is routine; stderr belongs to the TUI

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def drop_connections(self) -> None:
        """Hang up on every client, as a gateway whose process ends does: a kept-alive connection would
        otherwise go on reaching this stopped sim, and a client would never see it restart."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass  # the client hung up first


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "aiops-sim/" + LITELLM_VERSION

    def log_message(self, format: str, *args: Any) -> None:
        pass  # stderr belongs to the TUI when the demo runs the sim in-process

    def do_GET(self) -> None:
        self._route()

    def do_POST(self) -> None:
        self._route()

    def _route(self) -> None:
        sim: SimServer = self.server.sim  # type: ignore[attr-defined]
        path = urlsplit(self.path).path
        body = self._read_body()
        if path == "/metrics" and self.command == "GET":
            # LiteLLM mounts its metrics app at /metrics/ and redirects the bare path.
            return self._send(307, b"", "text/plain", [("Location", "/metrics/")])
        if path == "/health/readiness" and self.command == "GET":
            return self._json(200, {"status": "healthy", "db": "Not connected", "cache": None,
                                    "litellm_version": LITELLM_VERSION,
                                    "success_callbacks": ["prometheus"]})
        if path in ("/health/liveliness", "/health/liveness") and self.command == "GET":
            return self._json(200, "I'm alive!")
        routes = {("GET", "/metrics/"), ("GET", "/status"), ("GET", "/truth"),
                  ("GET", "/faults"), ("POST", "/faults")}
        if (self.command, path) not in routes:
            return self._json(404, {"error": f"no route {self.command} {path}"})
        if sim.token is not None and not self._authorized(sim.token):
            return self._json(401, {"error": "missing or wrong bearer token"},
                              [("WWW-Authenticate", "Bearer")])
        with sim._lock:
            sim.model.advance(sim.sim_now())
            if path == "/metrics/":
                text = exposition.render(sim.model.families())
                return self._send(200, text.encode(), exposition.CONTENT_TYPE)
            if path == "/status":
                document = sim.model.status()
                code = 503 if document["status"] == "fail" else 200  # as the health+json draft says
                return self._json(code, document, content_type=status.CONTENT_TYPE)
            if path == "/truth":
                return self._json(200, sim.model.truth())
            if self.command == "GET":
                return self._json(200, _faults_document(sim.model))
            return self._post_fault(sim.model, body)

    def _post_fault(self, model: GatewayModel, body: bytes) -> None:
        try:
            request = json.loads(body or b"{}")
            if (not isinstance(request, dict) or not isinstance(request.get("fault"), str)
                    or not isinstance(request.get("target", ""), (str, type(None)))):
                raise ValueError('send a JSON object like {"fault": "upstream_outage", '
                                 '"target": "openai/gpt-4o", "duration_s": 120}')
            record = model.inject(request["fault"], request.get("target"),
                                  _optional_float(request, "duration_s"),
                                  _optional_float(request, "factor"),
                                  _optional_float(request, "pass_ratio"))
        except ValueError as exc:  # json.JSONDecodeError is a ValueError too
            return self._json(400, {"error": str(exc)})
        document = _faults_document(model)
        document["injected"] = record.to_dict() if record else None
        return self._json(201 if record else 200, document)

    def _authorized(self, token: str) -> bool:
        scheme, _, credentials = (self.headers.get("Authorization") or "").partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(credentials.strip().encode(),
                                                                   token.encode())

    def _read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _json(self, code: int, payload: Any, headers: Iterable[tuple[str, str]] = (),
              content_type: str = JSON) -> None:
        self._send(code, json.dumps(payload).encode(), content_type, headers)

    def _send(self, code: int, body: bytes, content_type: str,
              headers: Iterable[tuple[str, str]] = ()) -> None:
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)


def _optional_float(request: dict[str, Any], key: str) -> float | None:
    value = request.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{key} must be a number")
    return float(value)


def _faults_document(model: GatewayModel) -> dict[str, Any]:
    return {"active": [f.to_dict() for f in model.active_faults()],
            "kinds": list(FAULT_KINDS) + ["clear"],
            "targets": [u.name for u in model.upstreams]}


def parse_fault_spec(spec: str) -> dict[str, Any]:
    """`KIND[:TARGET[:FACTOR]]`, e.g. `upstream_outage:openai/gpt-4o`, `latency_spike::5`
    (empty or `*` target = every upstream), `cache_flush`; a FACTOR ending in `%` is a pass
    ratio: `validation_drop::90%` makes 90 % of responses pass validation."""
    kind, _, rest = spec.partition(":")
    target, _, factor_text = rest.partition(":")
    factor: float | None = None
    pass_ratio: float | None = None
    if factor_text:
        try:
            if factor_text.endswith("%"):
                pass_ratio = float(factor_text[:-1]) / 100.0
            else:
                factor = float(factor_text.lstrip("xX"))
        except ValueError:
            raise UserError(f"--fault {spec}: factor {factor_text!r} is not a number") from None
    parsed = {"fault": kind, "target": None if target in ("", "*") else target, "factor": factor}
    if pass_ratio is not None:
        parsed["pass_ratio"] = pass_ratio
    return parsed


def serve(host: str = "127.0.0.1", port: int = 4000, *, seed: int = 42,
          convention: str = "litellm", token: str | None = None, speed: float = 1.0,
          clock: Callable[[], float] = time.time, faults: Iterable[dict[str, Any]] = (),
          announce: Callable[[str], None] = print) -> None:
    """Run the sim in the foreground until Ctrl-C. Bad faults or a busy port are UserErrors."""
    server = SimServer(host, port, seed=seed, convention=convention, token=token, speed=speed,
                       clock=clock)
    for fault in faults:
        try:
            server.model.inject(fault["fault"], fault.get("target"), fault.get("duration_s"),
                                fault.get("factor"), fault.get("pass_ratio"))
        except ValueError as exc:
            raise UserError(f"--fault: {exc}") from exc
    try:
        server.start()
    except OSError as exc:
        raise UserError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc
    announce(f"aiops-tui sim: {convention} gateway on {server.url}  (metrics {server.url}/metrics/"
             f", status {server.url}/status; Ctrl-C to stop)")
    try:
        server.wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


def _port(text: str) -> int:
    """A TCP port for argparse: a number in 0..65535 (a larger one reached the socket as an OverflowError)."""
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port (0 to 65535; 0 picks a free one)")
    return port


def main_sim(argv: list[str]) -> int:
    """`aiops-tui sim`: serve the demo gateway until Ctrl-C."""
    parser = argparse.ArgumentParser(
        prog="aiops-tui sim",
        description="Run the demo LLM gateway: LiteLLM- or OTel-style /metrics, /status "
                    "(health+json), /faults to inject trouble, /truth for the true values.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=_port, default=4000, help="0 picks a free port")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--convention", choices=CONVENTIONS, default="litellm")
    parser.add_argument("--fault", action="append", default=[], metavar="KIND[:TARGET[:FACTOR]]",
                        help=f"start with a fault: one of {', '.join(FAULT_KINDS)}; "
                             "e.g. upstream_outage:openai/gpt-4o, latency_spike::5 or "
                             "validation_drop::90%% (90 %% of responses pass validation)")
    parser.add_argument("--token-env", metavar="NAME",
                        help="require `Authorization: Bearer $NAME` on /metrics/ and /status")
    parser.add_argument("--speed", type=float, default=1.0,
                        help="sim seconds per wall-clock second (default 1)")
    args = parser.parse_args(argv)
    token = None
    if args.token_env:
        token = os.environ.get(args.token_env)
        if not token:
            raise UserError(f"--token-env {args.token_env}: that environment variable is not set")
    if not args.speed > 0:
        raise UserError("--speed must be a positive number")
    faults = [parse_fault_spec(spec) for spec in args.fault]
    serve(args.host, args.port, seed=args.seed, convention=args.convention, token=token,
          speed=args.speed, faults=faults, announce=lambda line: print(line, flush=True))
    return 0

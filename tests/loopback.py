"""A real HTTP server on a loopback port whose answers a test scripts: bodies, statuses, stalls."""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Answer:
    status: int = 200
    body: bytes = b""
    content_type: str = "text/plain; version=0.0.4"
    declare_length: bool = True
    drip_s: float = 0.0
    """Send the body one byte per `drip_s` seconds (a slow-loris answer)."""
    headers: dict[str, str] = field(default_factory=dict)


class ScriptedServer:
    """Serves `answers[path]` (the full path, else the path without its query); remembers requests."""

    def __init__(self) -> None:
        self.answers: dict[str, Answer] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:
                server.requests.append((self.path, dict(self.headers)))
                path_only = self.path.split("?", 1)[0]
                answer = server.answers.get(self.path) or server.answers.get(path_only) or Answer(404, b"not found")
                try:
                    self.send_response(answer.status)
                    self.send_header("Content-Type", answer.content_type)
                    for k, v in answer.headers.items():
                        self.send_header(k, v)
                    if answer.declare_length:
                        self.send_header("Content-Length", str(len(answer.body)))
                    self.end_headers()
                    if answer.drip_s:
                        for i in range(len(answer.body)):
                            self.wfile.write(answer.body[i : i + 1])
                            self.wfile.flush()
                            time.sleep(answer.drip_s)
                    else:
                        self.wfile.write(answer.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self) -> "ScriptedServer":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class SilentServer:
    """Accepts connections and never answers (a hanging socket)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> "SilentServer":
        return self

    def __exit__(self, *exc) -> None:
        self.sock.close()


def closed_port() -> int:
    """A loopback port with nothing listening (connection refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]

"""A real Prometheus (Debian's package) started by a test on a free loopback port."""

from __future__ import annotations

import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

from prom_required import require_binary


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PromServer:
    """Prometheus scraping `targets` (host:port) every `scrape_interval`, with optional rule files."""

    def __init__(
        self,
        workdir: Path,
        targets: list[str],
        *,
        metrics_path: str = "/metrics",
        rule_files: list[Path] = (),
        scrape_interval: str = "1s",
        basic_auth: tuple[str, str, str] | None = None,
        tls: tuple[Path, Path, Path] | None = None,
    ) -> None:
        """`basic_auth`: (user, bcrypt hash of the password, the password) for `--web.config.file`; this
        harness logs in with them for its own requests. `tls`: (the CA's certificate, the server's
        certificate and key): it answers HTTPS only, and this harness trusts that CA."""
        self.binary = require_binary("prometheus")
        self.workdir = workdir
        self.port = free_port()
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None
        rules = "".join(f"  - {Path(r).resolve()}\n" for r in rule_files)
        config = (
            "global:\n"
            f"  scrape_interval: {scrape_interval}\n"
            f"  evaluation_interval: {scrape_interval}\n"
            + (f"rule_files:\n{rules}" if rules else "")
            + "scrape_configs:\n"
            "  - job_name: gateway\n"
            f"    metrics_path: {metrics_path}\n"
            "    static_configs:\n"
            f"      - targets: [{', '.join(repr(t) for t in targets)}]\n"
        )
        workdir.mkdir(parents=True, exist_ok=True)
        self.config_path = workdir / "prometheus.yml"
        self.config_path.write_text(config)
        self.web_config_path: Path | None = None
        self._headers: dict[str, str] = {}
        self._tls_context = None
        web = ""
        if basic_auth is not None:
            import base64

            user, hashed, password = basic_auth
            web += f"basic_auth_users:\n  {user}: {hashed}\n"
            pair = base64.b64encode(f"{user}:{password}".encode()).decode()
            self._headers["Authorization"] = f"Basic {pair}"
        if tls is not None:
            import ssl

            ca_cert, cert, key = tls
            web += f"tls_server_config:\n  cert_file: {cert}\n  key_file: {key}\n"
            self._tls_context = ssl.create_default_context(cafile=str(ca_cert))
        if web:
            self.web_config_path = workdir / "web.yml"
            self.web_config_path.write_text(web)

    def _get(self, path: str, timeout_s: float):
        request = urllib.request.Request(self.url + path, headers=self._headers)
        return urllib.request.urlopen(request, timeout=timeout_s, context=self._tls_context)

    def __enter__(self) -> "PromServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self, timeout_s: float = 15.0) -> "PromServer":
        self.proc = subprocess.Popen(
            [
                self.binary,
                f"--config.file={self.config_path}",
                f"--storage.tsdb.path={self.workdir / 'data'}",
                f"--web.listen-address=127.0.0.1:{self.port}",
                "--log.level=warn",
                *([f"--web.config.file={self.web_config_path}"] if self.web_config_path else []),
            ],
            stdout=subprocess.DEVNULL,
            stderr=open(self.workdir / "prometheus.log", "ab"),
        )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"prometheus exited: {(self.workdir / 'prometheus.log').read_text()[-2000:]}")
            try:
                with self._get("/-/ready", 1) as resp:
                    if resp.status == 200:
                        return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("prometheus did not become ready")

    def restart(self) -> "PromServer":
        """Start again on the same port with the same data (after `kill` or `stop`)."""
        return self.start()

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()

    def wait_for(self, promql: str, predicate, timeout_s: float = 20.0):
        """Poll an instant query until `predicate(result_list)` holds; return the result list."""
        import json
        import urllib.parse

        deadline = time.monotonic() + timeout_s
        result = None
        while time.monotonic() < deadline:
            query = urllib.parse.urlencode({"query": promql})
            with self._get(f"/api/v1/query?{query}", 5) as resp:
                result = json.load(resp)["data"]["result"]
            if predicate(result):
                return result
            time.sleep(0.25)
        raise AssertionError(f"timed out waiting on {promql!r}; last result {result!r}")


def cockpit_config(directory: Path, url: str, prometheus_extra: str = "", rest: str = "") -> Path:
    """An aiops.yaml whose Prometheus at `url` answers the requests tile with `vector(4.5)` (no scrape needed),
    with `prometheus_extra` (indented lines) under it and `rest` (top-level keys) after it."""
    path = directory / "aiops.yaml"
    path.write_text(
        f"history: {directory / 'h.duckdb'}\n"
        "prometheus:\n"
        f"  url: {url}\n"
        "  profile: aiops_sim\n"
        "  queries: {requests_per_s: 'vector(4.5)'}\n"
        + prometheus_extra + rest
    )
    return path

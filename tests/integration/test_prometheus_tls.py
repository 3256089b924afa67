"""A Prometheus and a gateway behind an internal CA: with `ca_file` naming the CA's certificate, the poller,
the runbook steps and the gateway's scrape trust them; without it, each is one line on its source that
says what to set. The Prometheus is Debian's, answering HTTPS only (its `--web.config.file`), and its own
`/metrics` stands in for the gateway's.

Skipped with a one-line reason where Debian's prometheus or openssl is missing; CI requires Prometheus.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from pathlib import Path

import pytest

from aiops_tui.config import load_config
from aiops_tui.recorder import sources_from_config
from aiops_tui.sources.promql_values import instant_values
from prom_harness import PromServer, cockpit_config

pytestmark = pytest.mark.prometheus

NOT_TRUSTED = ("TLS handshake failed (CERTIFICATE_VERIFY_FAILED: unable to get local issuer certificate): "
               "name its CA in ca_file")


def make_ca_and_server_cert(directory: Path) -> tuple[Path, Path, Path]:
    """A CA of its own and a certificate for 127.0.0.1 it signed: (CA certificate, server certificate, key)."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl not installed (it makes the test's CA)")
    directory.mkdir(parents=True, exist_ok=True)
    ca_key, ca_cert = directory / "ca.key", directory / "ca.pem"
    key, csr, cert = directory / "server.key", directory / "server.csr", directory / "server.pem"
    ext = directory / "ext"
    ext.write_text("subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n"
                   "extendedKeyUsage=serverAuth\nauthorityKeyIdentifier=keyid\n")
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    for args in (
        ["req", "-x509", *ec, "-keyout", ca_key, "-out", ca_cert, "-days", "2", "-subj", "/CN=aiops-tui test CA",
         "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"],
        ["req", *ec, "-keyout", key, "-out", csr, "-subj", "/CN=127.0.0.1"],
        ["x509", "-req", "-in", csr, "-CA", ca_cert, "-CAkey", ca_key, "-CAcreateserial", "-out", cert, "-days", "2",
         "-extfile", ext],
    ):
        subprocess.run([openssl, *map(str, args)], check=True, capture_output=True)
    return ca_cert, cert, key


@pytest.fixture
def tls_prom(tmp_path: Path):
    ca_cert, cert, key = make_ca_and_server_cert(tmp_path / "pki")
    with PromServer(tmp_path / "prom", [], tls=(ca_cert, cert, key)) as server:
        yield server, ca_cert


def config_for(tmp_path: Path, url: str, ca_file: Path | None) -> Path:
    trust = f"ca_file: {ca_file}\n" if ca_file else ""
    gateway = f"gateways:\n  - name: gw\n    metrics_url: {url}/metrics\n" + (f"    {trust}" if trust else "")
    return cockpit_config(tmp_path, url, f"  {trust}" if trust else "", gateway)


def test_with_ca_file_the_poller_the_steps_and_the_gateway_trust_the_internal_ca(tmp_path, tls_prom):
    prom, ca_cert = tls_prom
    assert prom.url.startswith("https://")
    cfg = load_config(config_for(tmp_path, prom.url, ca_cert))
    prometheus, gateway = sources_from_config(cfg)
    polled = asyncio.run(prometheus.poll())
    assert polled.error is None
    assert {s.key.name: s.value for s in polled.samples}["signal:requests_per_s"] == 4.5
    [step] = asyncio.run(instant_values(cfg.prometheus, ["vector(2)"], 3.0))
    assert (step.ok, step.text) == (True, "1 series: 2")
    scraped = asyncio.run(gateway.poll())
    assert scraped.error is None and any(s.key.name == "prometheus_build_info" for s in scraped.samples)


def test_without_ca_file_each_source_says_what_to_set(tmp_path, tls_prom):
    prom, _ = tls_prom
    cfg = load_config(config_for(tmp_path, prom.url, None))
    prometheus, gateway = sources_from_config(cfg)
    assert asyncio.run(prometheus.poll()).error == NOT_TRUSTED
    assert asyncio.run(gateway.poll()).error == NOT_TRUSTED
    [step] = asyncio.run(instant_values(cfg.prometheus, ["vector(2)"], 3.0))
    assert (step.ok, step.text) == (False, f"error: {NOT_TRUSTED}")

"""A Prometheus behind basic auth (its own `--web.config.file`, as Grafana Cloud and a Mimir or Thanos behind
a proxy ask): the config's user and password variable log the poller and the runbook steps in; a wrong
password is one line on the source, never the password itself.

Skipped with a one-line reason where Debian's prometheus is missing; CI requires it.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from aiops_tui.config import load_config
from aiops_tui.recorder import sources_from_config
from aiops_tui.sources.prometheus import NOT_LET_IN
from aiops_tui.sources.promql_values import instant_values
from prom_harness import PromServer, cockpit_config

pytestmark = pytest.mark.prometheus

USER, PASSWORD = "oncall", "correct horse battery"
HASHED = "$2b$04$PCfZywIUF84gdwKn3GEj4O.VnJtJnnuZp6NlzVzQmmFyoTIkoAfTO"
"""bcrypt of PASSWORD (cost 4): Prometheus keeps only the hash."""


def config_for(tmp_path: Path, url: str) -> Path:
    return cockpit_config(tmp_path, url, f"  basic_auth:\n    username: {USER}\n    password_env: PROM_PASSWORD\n")


@pytest.fixture
def prom(tmp_path: Path):
    with PromServer(tmp_path / "prom", [], basic_auth=(USER, HASHED, PASSWORD)) as server:
        yield server


def test_the_configured_user_and_password_log_the_poller_and_the_runbook_steps_in(tmp_path, prom, monkeypatch):
    monkeypatch.setenv("PROM_PASSWORD", PASSWORD)
    cfg = load_config(config_for(tmp_path, prom.url))
    [source] = sources_from_config(cfg)
    batch = asyncio.run(source.poll())
    assert batch.error is None
    assert {s.key.name: s.value for s in batch.samples}["signal:requests_per_s"] == 4.5
    [step] = asyncio.run(instant_values(cfg.prometheus, ["vector(2)"], 3.0))
    assert (step.ok, step.text) == (True, "1 series: 2")


@pytest.mark.parametrize("password", ["wrong", None])
def test_a_wrong_or_missing_password_is_one_line_on_the_source(tmp_path, prom, monkeypatch, password):
    if password is None:
        monkeypatch.delenv("PROM_PASSWORD", raising=False)
    else:
        monkeypatch.setenv("PROM_PASSWORD", password)
    cfg = load_config(config_for(tmp_path, prom.url))
    [source] = sources_from_config(cfg)
    batch = asyncio.run(source.poll())
    assert batch.error == "HTTP 401: login refused; check bearer_token_env or basic_auth" == f"HTTP 401: {NOT_LET_IN}"
    assert batch.samples == []
    [step] = asyncio.run(instant_values(cfg.prometheus, ["vector(2)"], 3.0))
    assert (step.ok, step.text) == (False, f"error: HTTP 401: {NOT_LET_IN}")

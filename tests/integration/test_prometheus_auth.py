"""A Prometheus behind basic auth (its own `--web.config.file`, as Grafana Cloud and a Mimir or Thanos behind
a proxy ask): the config's user and password variable log the poller and the runbook steps in; a refused
login is one line on the source that names the variable to check, never the password itself.

Skipped with a one-line reason where Debian's prometheus is missing; CI requires it.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from aiops_tui.config import load_config
from aiops_tui.recorder import sources_from_config
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


@pytest.mark.parametrize(("login", "password", "said"), [
    ("basic_auth", "wrong", "is PROM_PASSWORD right?"),
    ("basic_auth", None, "PROM_PASSWORD is not set"),
    ("none", None, "set bearer_token_env or basic_auth"),
])
def test_a_refused_login_is_one_line_that_says_what_to_check(tmp_path, prom, monkeypatch, login, password, said):
    if password is None:
        monkeypatch.delenv("PROM_PASSWORD", raising=False)
    else:
        monkeypatch.setenv("PROM_PASSWORD", password)
    path = config_for(tmp_path, prom.url) if login == "basic_auth" else cockpit_config(tmp_path, prom.url)
    cfg = load_config(path)
    [source] = sources_from_config(cfg)
    batch = asyncio.run(source.poll())
    assert batch.error == f"HTTP 401: login refused; {said}" and batch.samples == []
    [step] = asyncio.run(instant_values(cfg.prometheus, ["vector(2)"], 3.0))
    assert (step.ok, step.text) == (False, f"error: HTTP 401: login refused; {said}")

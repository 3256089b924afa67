"""Property tests for the config loader: whatever the file holds, the result is a Config or one
ConfigError line `file:line:column: message` (exit status 2), never another exception."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from aiops_tui.config import Config, ConfigError, load_config

FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
DIR = Path(tempfile.gettempdir()) / f"aiops-fuzz-config-{os.getpid()}"
"""One directory for every example: hypothesis runs each many times, beyond a function-scoped tmp_path.
Made by the module's fixture, not on import: a run that deselects these tests leaves nothing behind."""
PATH = DIR / "aiops.yaml"
GOOD = """\
environment: prod
interval: 5s
timeout: 3s
stale_after: 3
prometheus:
  url: http://127.0.0.1:9090
  headers: {X-Scope-OrgID: team-a}
  bearer_token_env: PROM_TOKEN
  profile: litellm
  queries: {requests_per_s: "sum(rate(x[1m]))"}
gateways:
  - name: gw
    metrics_url: http://127.0.0.1:4000/metrics
    status_url: http://127.0.0.1:4000/status
    kind: health_json
    interval: 10s
targets: {latency_p95_ms: 150, error_ratio: 0.01}
budget: {monthly_usd: 500, per_model: {gpt-4o: 300}, per_team: {ml: 100}, exclude_teams: [x]}
retention: {raw: 14d, 1m: 90d, 1h: 2y}
runbooks: {dirs: [runbooks]}
theme: dark
lang: en
"""
KEYS = ["environment", "history", "interval", "timeout", "stale_after", "prometheus", "gateways", "targets",
        "budget", "pricing", "retention", "runbooks", "theme", "lang", "url", "headers", "bearer_token_env",
        "verify_tls", "profile", "queries", "name", "metrics_url", "status_url", "kind", "monthly_usd",
        "per_model", "raw", "1m", "dirs", "error_ratio", "latency_p95_ms"]
POSITION = re.compile(rf"^{re.escape(str(PATH))}:\d+:\d+: \S")


@pytest.fixture(autouse=True, scope="module")
def _made_and_removed_dir():
    DIR.mkdir(exist_ok=True)
    yield
    shutil.rmtree(DIR, ignore_errors=True)


def load(text: str) -> None:
    PATH.write_text(text, encoding="utf-8")
    try:
        cfg = load_config(PATH, env={"HOME": str(DIR), "PROM_TOKEN": "t"}, cwd=DIR)
    except ConfigError as exc:
        message = str(exc)
        assert exc.exit_code == 2 and "\n" not in message
        assert POSITION.match(message), message
        return
    assert isinstance(cfg, Config)


text = st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=400)
scalars = (
    st.none() | st.booleans() | st.integers() | st.integers(min_value=10**300, max_value=10**400)
    | st.floats() | st.text(max_size=30) | st.sampled_from(["5s", "0", "-1m", "1.5", "http://h:1", "ftp://x", "auto", "nan"])
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=10), inner, max_size=4),
    max_leaves=15,
)


@FUZZ
@given(text)
@example("environment: a\x07b\n")
@example("interval: " + "9" * 400 + "\n")
@example("\ufeffenvironment: x\n")
@example("a: 1\n\x85b: 2\n")
def test_random_text(document: str):
    load(document)


@FUZZ
@given(st.dictionaries(st.sampled_from(KEYS), values, max_size=6))
def test_random_mappings_of_known_keys(mapping):
    load(yaml.safe_dump(mapping, allow_unicode=True))


@FUZZ
@given(st.integers(min_value=0, max_value=len(GOOD)), st.integers(min_value=0, max_value=40), text.map(lambda t: t[:6]))
def test_a_good_config_cut_and_spliced(at: int, cut: int, insert: str):
    load(GOOD[:at] + insert + GOOD[at + cut :])


def test_the_good_config_loads():
    PATH.write_text(GOOD, encoding="utf-8")
    cfg = load_config(PATH, env={"HOME": str(DIR)}, cwd=DIR)
    assert cfg.gateways[0].interval_s == 10.0 and cfg.budget.per_model_usd == {"gpt-4o": 300.0}

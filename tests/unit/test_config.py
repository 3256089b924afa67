"""Config loading: lookup order, defaults, durations, origins, describe_config, secrets."""

from __future__ import annotations

import base64
import dataclasses
from pathlib import Path

import pytest

from aiops_tui.config import (
    Config,
    default_history_path,
    describe_config,
    load_config,
    locate_paths,
    main_check_config,
    main_locate,
)
from aiops_tui.signals.golden import Targets

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def home(tmp_path: Path) -> Path:
    (tmp_path / "home").mkdir()
    return tmp_path / "home"


@pytest.fixture
def work(tmp_path: Path) -> Path:
    (tmp_path / "work").mkdir()
    return tmp_path / "work"


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_no_file_anywhere_gives_defaults(home: Path, work: Path):
    cfg = load_config(env={"HOME": str(home)}, cwd=work)
    assert cfg.source_path is None and cfg.source == "defaults"
    assert (cfg.environment, cfg.interval_s, cfg.timeout_s, cfg.stale_after) == ("local", 5.0, 3.0, 3)
    assert cfg.history_path == home / ".local/share/aiops-tui/history.duckdb"
    assert cfg.prometheus is None and cfg.gateways == ()
    assert cfg.targets.latency_p95_ms == 5000 and cfg.targets.cache_hit_ratio == 0.60
    assert Targets.from_config(cfg.targets) == Targets()  # no config judges as the cockpit's own defaults
    assert cfg.budget.monthly_usd == 0 and cfg.budget.exclude_teams == ("litellm-internal-health-check",)
    assert cfg.retention.raw_s == 14 * 86400  # 1,209,600 s
    assert cfg.retention.rollup_1h_s == 2 * 365 * 86400  # y = 365 d
    assert cfg.runbooks.dirs == (work / "runbooks",)
    assert cfg.pricing_path is None and (cfg.theme, cfg.lang) == ("dark", "en")
    assert set(cfg.origins.values()) == {"defaults"}


def test_empty_and_comment_only_files_are_valid_empty_configs(tmp_path: Path, home: Path):
    for text in ("", "# nothing here yet\n", "---\n"):
        cfg = load_config(write(tmp_path / "c.yaml", text), env={"HOME": str(home)}, cwd=tmp_path)
        assert cfg.source_path == tmp_path / "c.yaml"
        assert cfg.interval_s == 5.0 and cfg.origins["interval"] == "defaults"


def test_lookup_order_explicit_then_env_var_then_cwd_then_xdg(tmp_path: Path, home: Path, work: Path):
    xdg = tmp_path / "xdg"
    write(xdg / "aiops-tui/config.yaml", "environment: from-xdg\n")
    env = {"HOME": str(home), "XDG_CONFIG_HOME": str(xdg)}
    assert load_config(env=env, cwd=work).environment == "from-xdg"

    write(work / "aiops.yaml", "environment: from-cwd\n")
    assert load_config(env=env, cwd=work).environment == "from-cwd"

    named = write(tmp_path / "named.yaml", "environment: from-env-var\n")
    env["AIOPS_TUI_CONFIG"] = str(named)
    assert load_config(env=env, cwd=work).environment == "from-env-var"

    explicit = write(tmp_path / "explicit.yaml", "environment: explicit\n")
    cfg = load_config(explicit, env=env, cwd=work)
    assert cfg.environment == "explicit" and cfg.source_path == explicit


def test_xdg_default_is_dot_config_under_home(home: Path, work: Path):
    write(home / ".config/aiops-tui/config.yaml", "theme: light\n")
    cfg = load_config(env={"HOME": str(home)}, cwd=work)
    assert cfg.theme == "light" and cfg.source_path == home / ".config/aiops-tui/config.yaml"


def test_relative_explicit_path_resolves_against_cwd(home: Path, work: Path):
    write(work / "conf/my.yaml", "lang: pt\n")
    assert load_config("conf/my.yaml", env={"HOME": str(home)}, cwd=work).lang == "pt"


def test_default_history_path_follows_xdg_data_home(tmp_path: Path, home: Path):
    data = tmp_path / "data"
    assert default_history_path({"HOME": str(home), "XDG_DATA_HOME": str(data)}) == data / "aiops-tui/history.duckdb"
    # A relative XDG_DATA_HOME is invalid per the XDG spec and falls back to ~/.local/share.
    relative = {"HOME": str(home), "XDG_DATA_HOME": "rel"}
    assert default_history_path(relative) == home / ".local/share/aiops-tui/history.duckdb"


@pytest.mark.parametrize(
    ("written", "seconds"),
    [
        ("500ms", 0.5),
        ("15s", 15),
        ("5m", 300),  # 5 * 60
        ("1h30m", 5400),  # 3600 + 30 * 60
        ("2d", 172_800),  # 2 * 86,400
        ("1w", 604_800),  # 7 * 86,400
        ("1y", 31_536_000),  # 365 * 86,400
        ("1.5m", 90),
        ("7", 7),  # a bare number is seconds
        ("2.5", 2.5),
    ],
)
def test_durations_become_float_seconds(tmp_path: Path, home: Path, written: str, seconds: float):
    cfg = load_config(write(tmp_path / "c.yaml", f"interval: {written}\n"), env={"HOME": str(home)}, cwd=tmp_path)
    assert cfg.interval_s == pytest.approx(seconds)


FULL = """\
environment: prod
interval: 10s
prometheus:
  url: http://127.0.0.1:9090
  headers: {X-Scope-OrgID: team-a}
  timeout: 500ms
gateways:
  - name: gw-1
    metrics_url: http://127.0.0.1:4000/metrics
  - name: gw-2
    metrics_url: http://127.0.0.1:4001/metrics
    kind: health_json
    interval: 2s
targets:
  latency_p95_ms: 200
budget: {monthly_usd: 500, per_model: {gpt-4o: 120.5}}
history: $DATA_ROOT/h.duckdb
pricing: prices/pricing.yaml
runbooks:
  dirs: [rb, /abs/rb]
"""


def load_full(tmp_path: Path, home: Path, extra_env: dict[str, str] | None = None) -> Config:
    env = {"HOME": str(home), "DATA_ROOT": str(tmp_path / "data"), **(extra_env or {})}
    return load_config(write(tmp_path / "etc/aiops.yaml", FULL), env=env, cwd=tmp_path)


def test_values_inherit_and_override(tmp_path: Path, home: Path):
    cfg = load_full(tmp_path, home)
    assert cfg.prometheus is not None
    assert cfg.prometheus.interval_s == 10.0 and cfg.prometheus.timeout_s == 0.5
    assert dict(cfg.prometheus.headers) == {"X-Scope-OrgID": "team-a"}
    gw1, gw2 = cfg.gateways
    assert (gw1.name, gw1.kind, gw1.interval_s, gw1.timeout_s) == ("gw-1", "litellm", 10.0, 3.0)
    assert (gw2.name, gw2.kind, gw2.interval_s) == ("gw-2", "health_json", 2.0)
    assert cfg.targets.latency_p95_ms == 200 and cfg.targets.error_ratio == 0.01
    assert cfg.budget.monthly_usd == 500 and dict(cfg.budget.per_model_usd) == {"gpt-4o": 120.5}


def test_paths_expand_env_vars_and_resolve_against_the_config_dir(tmp_path: Path, home: Path):
    cfg = load_full(tmp_path, home)
    assert cfg.history_path == tmp_path / "data/h.duckdb"
    assert cfg.pricing_path == tmp_path / "etc/prices/pricing.yaml"
    assert cfg.runbooks.dirs == (tmp_path / "etc/rb", Path("/abs/rb"))


def test_origins_name_the_line_of_each_key(tmp_path: Path, home: Path):
    cfg = load_full(tmp_path, home)
    file = str(tmp_path / "etc/aiops.yaml")
    assert cfg.origins["environment"] == f"{file}:1"
    assert cfg.origins["prometheus.url"] == f"{file}:4"
    assert cfg.origins["prometheus.timeout"] == f"{file}:6"
    # prometheus.interval is not written: it inherits the top-level interval on line 2.
    assert cfg.origins["prometheus.interval"] == f"{file}:2"
    assert cfg.origins["gateways[1].interval"] == f"{file}:13"
    assert cfg.origins["gateways[0].interval"] == f"{file}:2"
    assert cfg.origins["targets.latency_p95_ms"] == f"{file}:15"
    assert cfg.origins["budget.per_model"] == f"{file}:16"
    assert cfg.origins["targets.error_ratio"] == "defaults"
    assert cfg.origins["timeout"] == "defaults"


def test_describe_config_marks_defaults_and_file_lines(tmp_path: Path, home: Path):
    cfg = load_full(tmp_path, home)
    text = describe_config(cfg, env={})
    file = str(tmp_path / "etc/aiops.yaml")
    lines = text.splitlines()
    assert lines[0] == f"# config: {file}"
    assert f"interval: 10s  # from {file}:2" in lines
    assert "timeout: 3s  # default" in lines
    assert f"  timeout: 500ms  # from {file}:6" in lines
    assert f"  - name: gw-1  # from {file}:8" in lines
    assert f"    interval: 2s  # from {file}:13" in lines
    assert "  error_ratio: 0.01  # default" in lines
    assert "  exclude_teams: [litellm-internal-health-check]  # default" in lines


def test_describe_config_output_loads_back_to_the_same_config(tmp_path: Path, home: Path):
    cfg = load_full(tmp_path, home)
    again = load_config(write(tmp_path / "again.yaml", describe_config(cfg, env={})), env={"HOME": str(home)})
    assert dataclasses.replace(again, source_path=None) == dataclasses.replace(cfg, source_path=None)


def test_bearer_token_is_read_from_env_and_never_shown(tmp_path: Path, home: Path):
    token = "s3cr3t-token-value"
    text = (
        "prometheus:\n  url: http://127.0.0.1:9090\n  bearer_token_env: PROM_TOKEN\n"
        "gateways:\n  - {name: gw, metrics_url: 'http://127.0.0.1:4000/metrics', bearer_token_env: GW_KEY}\n"
    )
    env = {"HOME": str(home), "PROM_TOKEN": token, "GW_KEY": token}
    cfg = load_config(write(tmp_path / "c.yaml", text), env=env, cwd=tmp_path)
    assert cfg.prometheus is not None
    assert cfg.prometheus.bearer_token(env) == token and cfg.gateways[0].bearer_token(env) == token
    assert cfg.gateways[0].bearer_token({}) is None
    described = describe_config(cfg, env=env)
    assert "bearer_token_env: PROM_TOKEN" in described and "(set in the environment)" in described
    for shown in (described, repr(cfg), str(cfg), repr(cfg.prometheus), repr(cfg.gateways[0])):
        assert token not in shown


def test_bearer_token_defaults_to_process_environment(tmp_path: Path, home: Path, monkeypatch):
    monkeypatch.setenv("AIOPS_TEST_PROM_TOKEN", "abc")
    text = "prometheus: {url: 'http://h:9090', bearer_token_env: AIOPS_TEST_PROM_TOKEN}\n"
    cfg = load_config(write(tmp_path / "c.yaml", text), env={"HOME": str(home)}, cwd=tmp_path)
    assert cfg.prometheus is not None and cfg.prometheus.bearer_token() == "abc"


def test_basic_auth_password_is_read_from_env_and_never_shown(tmp_path: Path, home: Path):
    text = ("prometheus:\n  url: http://127.0.0.1:9090\n"
            "  basic_auth:\n    username: '123456'\n    password_env: GRAFANA_CLOUD_TOKEN\n")
    env = {"HOME": str(home), "GRAFANA_CLOUD_TOKEN": "glc_s3cret"}
    cfg = load_config(write(tmp_path / "c.yaml", text), env=env, cwd=tmp_path)
    assert cfg.prometheus is not None
    expected = "Basic " + base64.b64encode(b"123456:glc_s3cret").decode()
    assert cfg.prometheus.request_headers(env) == {"Authorization": expected}
    assert cfg.prometheus.request_headers({}) == {}  # the variable unset: no header, and Prometheus says 401
    described = describe_config(cfg, env=env)
    assert f"password_env: GRAFANA_CLOUD_TOKEN  # from {tmp_path / 'c.yaml'}:5 (set in the environment)" in described
    again = load_config(write(tmp_path / "again.yaml", described), env=env, cwd=tmp_path)
    assert again.prometheus == cfg.prometheus
    for shown in (described, repr(cfg), repr(cfg.prometheus)):
        assert "glc_s3cret" not in shown


def test_a_refused_login_names_the_tokens_variable_to_check(tmp_path: Path, home: Path):
    text = "prometheus:\n  url: http://127.0.0.1:9090\n  bearer_token_env: PROM_TOKEN\n"
    cfg = load_config(write(tmp_path / "c.yaml", text), env={"HOME": str(home)}, cwd=tmp_path)
    assert cfg.prometheus is not None
    assert cfg.prometheus.login_hint({}) == "PROM_TOKEN is not set"
    assert cfg.prometheus.login_hint({"PROM_TOKEN": "t0ken"}) == "is PROM_TOKEN right?"


def test_example_config_is_valid_and_documents_every_key(tmp_path: Path, home: Path):
    cfg = load_config(REPO / "aiops.example.yaml", env={"HOME": str(home)}, cwd=tmp_path)
    assert cfg.prometheus is not None and cfg.prometheus.interval_s == 15
    assert [gw.name for gw in cfg.gateways] == ["litellm-1", "sim"]
    # Every key outside the gateway items is written in the example, so none falls back to defaults.
    from_defaults = [key for key, origin in cfg.origins.items() if origin == "defaults" and "[" not in key]
    assert from_defaults == []


def test_locate_paths(tmp_path: Path, home: Path, work: Path):
    env = {"HOME": str(home), "XDG_CONFIG_HOME": str(tmp_path / "xdg")}
    cfg = load_config(env=env, cwd=work)
    paths = locate_paths(cfg, env)
    # With no config file, "config" is where a user config belongs.
    assert paths == {
        "config": tmp_path / "xdg/aiops-tui/config.yaml",
        "data": home / ".local/share/aiops-tui/history.duckdb",
        "themes": tmp_path / "xdg/aiops-tui/themes",
        "runbooks": work / "runbooks",
    }
    used = write(work / "aiops.yaml", "history: h.duckdb\n")
    cfg = load_config(env=env, cwd=work)
    assert locate_paths(cfg, env)["config"] == used and locate_paths(cfg, env)["data"] == work / "h.duckdb"


def test_main_functions_print_to_stdout_and_return_zero(tmp_path: Path, home: Path, monkeypatch, capsys):
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    monkeypatch.delenv("AIOPS_TUI_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "aiops.yaml", "environment: ci\n")

    assert main_check_config(None) == 0
    out = capsys.readouterr().out
    assert "environment: ci  # from " in out and "aiops.yaml:1" in out

    assert main_locate(None) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"config: {tmp_path / 'aiops.yaml'}"
    assert out[1] == f"data: {home / '.local/share/aiops-tui/history.duckdb'}  (does not exist yet)"

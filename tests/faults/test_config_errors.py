"""A broken config is named to the line and column, in one line, with what to write instead."""

from __future__ import annotations

from pathlib import Path

import pytest

from aiops_tui.config import ConfigError, load_config
from aiops_tui.errors import UserError


def error_for(tmp_path: Path, text: str | bytes, env: dict[str, str] | None = None) -> str:
    path = tmp_path / "aiops.yaml"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path, env={"HOME": str(tmp_path), **(env or {})}, cwd=tmp_path)
    message = str(caught.value)
    assert "\n" not in message and isinstance(caught.value, UserError) and caught.value.exit_code == 2
    prefix = f"{path}:"
    assert message.startswith(prefix)
    return message.removeprefix(prefix)


def test_typo_key_suggests_the_closest_known_key(tmp_path: Path):
    # Line 2, column 1: the key starts the line.
    assert error_for(tmp_path, "environment: prod\nintervall: 5s\n") == (
        "2:1: unknown key 'intervall' (did you mean 'interval'?)"
    )


def test_unknown_key_with_nothing_close_lists_the_known_keys(tmp_path: Path):
    message = error_for(tmp_path, "prometheus:\n  url: http://h:9090\n  zzz: 1\n")
    assert message.startswith("3:3: unknown key 'zzz' (known keys: url, headers, bearer_token_env,")


def test_string_where_a_number_goes(tmp_path: Path):
    # "  latency_p95_ms: " is 18 characters, so the value starts in column 19.
    assert error_for(tmp_path, "targets:\n  latency_p95_ms: fast\n") == "2:19: expected a number, got string 'fast'"


def test_bad_duration_says_how_to_write_one(tmp_path: Path):
    # "interval: " is 10 characters: the value starts in column 11.
    assert error_for(tmp_path, "interval: 5 parsecs\n") == (
        "1:11: bad duration '5 parsecs': use a number with s, m, h, d, w or y, like 15s or 5m"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("interval: 0\n", "1:11: expected a duration above zero, got 0"),
        ("timeout: -3s\n", "1:10: expected a duration above zero, got -3s"),
        ("interval: [5s]\n", "1:11: expected a duration like 15s or 5m, got list"),
        ("stale_after: 0\n", "1:14: expected a whole number of at least 1, got number 0"),
        ("stale_after: 2.5\n", "1:14: expected a whole number of at least 1, got number 2.5"),
        ("targets: {error_ratio: 1.5}\n", "1:24: expected a ratio between 0 and 1, got 1.5"),
        ("budget: {monthly_usd: -10}\n", "1:23: expected an amount in USD of 0 or more, got -10"),
        ("budget: {per_team: {ml: lots}}\n", "1:25: expected a number, got string 'lots'"),
        ("lang: de\n", "1:7: expected one of en, pt, got 'de'"),
        ("theme: [dark]\n", "1:8: expected a string, got list"),
        ("targets: 5\n", "1:10: mapping expected, got number 5"),
        ("- interval: 5s\n", "1:1: mapping expected, got list"),
        ("interval: 5s\ninterval: 6s\n", "2:1: duplicate key 'interval' (first at line 1)"),
    ],
)
def test_wrong_values_are_named_at_their_position(tmp_path: Path, text: str, expected: str):
    assert error_for(tmp_path, text) == expected


def test_bad_url(tmp_path: Path):
    assert error_for(tmp_path, "prometheus:\n  url: localhost:9090\n") == (
        "2:8: bad URL 'localhost:9090': use http:// or https:// and a host, like http://127.0.0.1:9090"
    )


def test_profile_typo_suggests_the_right_one(tmp_path: Path):
    text = "prometheus:\n  url: http://h:9090\n  profile: litelm\n"
    assert error_for(tmp_path, text) == (
        "3:12: expected one of auto, litellm, otel_genai, aiops_sim, got 'litelm' (did you mean 'litellm'?)"
    )


def test_prometheus_section_without_url(tmp_path: Path):
    assert error_for(tmp_path, "prometheus:\n  verify_tls: false\n") == "2:3: prometheus: missing required key 'url'"
    assert error_for(tmp_path, "prometheus:\n") == "1:1: prometheus: missing required key 'url'"
    # Written out as null (as check-config shows a section left out), it is left out.
    (tmp_path / "n.yaml").write_text("prometheus: null\n")
    assert load_config(tmp_path / "n.yaml", env={"HOME": str(tmp_path)}, cwd=tmp_path).prometheus is None


def test_yaml_syntax_error_names_the_line(tmp_path: Path):
    # The second line is indented under a scalar: PyYAML stops at the ":" after "  timeout" (column 10).
    assert error_for(tmp_path, "interval: 5s\n  timeout: 3s\n") == (
        "2:10: YAML syntax error: mapping values are not allowed here"
    )


def test_unclosed_quote_names_where_it_opened(tmp_path: Path):
    message = error_for(tmp_path, 'environment: "prod\ninterval: 5s\n')
    assert message.startswith("3:1: YAML syntax error: found unexpected end of stream")
    assert message.endswith("(while scanning a quoted scalar at line 1)")


GATEWAYS = """\
gateways:
  - name: gw-1
    metrics_url: http://127.0.0.1:4000/metrics
  - name: gw-2
    metrics_url: http://127.0.0.1:4001/metrics
{extra}"""


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ("    intervall: 5s\n", "6:5: unknown key 'intervall' (did you mean 'interval'?)"),
        ("    timeout: soon\n", "6:14: bad duration 'soon': use a number with s, m, h, d, w or y, like 15s or 5m"),
        ("    status_url: ftp://x\n", "6:17: bad URL 'ftp://x': use http:// or https:// and a host, like http://127.0.0.1:9090"),
        ("    kind: json\n", "6:11: expected one of litellm, health_json, got 'json'"),
        ("  - name: gw-1\n    metrics_url: http://h/metrics\n", "6:11: duplicate gateway name 'gw-1' (first at line 2)"),
        ("  - metrics_url: http://h/metrics\n", "6:5: gateways[2]: missing required key 'name'"),
        ("  - just-a-name\n", "6:5: mapping expected, got string 'just-a-name'"),
        # The history and the status line tell sources apart by name.
        ("  - name: gateways\n    metrics_url: http://h/metrics\n",
         "6:11: 'gateways' names another source; give the gateway another name"),
        ("  - name: prometheus\n    metrics_url: http://h/metrics\n",
         "6:11: 'prometheus' names another source; give the gateway another name"),
    ],
)
def test_errors_inside_a_gateway_item(tmp_path: Path, extra: str, expected: str):
    assert error_for(tmp_path, GATEWAYS.format(extra=extra)) == expected


def test_gateways_must_be_a_list(tmp_path: Path):
    assert error_for(tmp_path, "gateways:\n  name: gw\n") == "2:3: expected a list of gateways, got mapping"


def test_a_pasted_token_is_refused_without_echoing_it(tmp_path: Path):
    text = "prometheus:\n  url: http://h:9090\n  bearer_token_env: glpat-SECRETSECRET\n"
    message = error_for(tmp_path, text)
    assert message == "3:21: expected the name of an environment variable (like PROM_TOKEN), not the token itself"
    assert "SECRET" not in message


def test_an_authorization_header_is_refused(tmp_path: Path):
    text = "prometheus:\n  url: http://h:9090\n  headers:\n    Authorization: Bearer abc\n"
    assert error_for(tmp_path, text) == (
        "4:5: header 'Authorization' would keep a secret in the file: "
        "name an environment variable with bearer_token_env (or basic_auth's password_env) instead"
    )


def test_basic_auth_wants_a_user_and_the_name_of_the_passwords_variable(tmp_path: Path):
    given = "prometheus:\n  url: http://h:9090\n  basic_auth:\n    username: \"123456\"\n"
    assert error_for(tmp_path, given) == "4:5: prometheus.basic_auth: missing required key 'password_env'"
    given = "prometheus:\n  url: http://h:9090\n  basic_auth:\n    username: u\n    password_env: s3cret!\n"
    assert error_for(tmp_path, given) == (
        "5:19: expected the name of an environment variable (like PROM_TOKEN), not the token itself")


def test_a_token_and_basic_auth_together_are_refused_at_the_second(tmp_path: Path):
    text = ("prometheus:\n  url: http://h:9090\n  bearer_token_env: PROM_TOKEN\n"
            "  basic_auth: {username: u, password_env: PROM_PASSWORD}\n")
    assert error_for(tmp_path, text) == "4:3: bearer_token_env and basic_auth both say how to log in: keep one"


def test_python_tags_are_refused_not_constructed(tmp_path: Path):
    message = error_for(tmp_path, "environment: !!python/object/apply:os.system [echo hi]\n")
    assert message == "1:14: expected a string, got list"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # "environment: caf" is 16 characters: the Latin-1 é is column 17
        (b"environment: caf\xe9\n", "1:17: not UTF-8 text (bad byte 0xE9)"),
        # columns count characters: "é" and "模" before the bad byte are one column each
        (b"theme: dark\r\nenvironment: \xc3\xa9\xe6\xa8\xa1\xff\n", "2:16: not UTF-8 text (bad byte 0xFF)"),
        (b"theme: dark\n\xa0\n", "2:1: not UTF-8 text (bad byte 0xA0)"),
        # a UTF-8 sequence cut short: the byte that starts it is named
        (b"environment: x\xe6\xa8\n", "1:15: not UTF-8 text (bad byte 0xE6)"),
        # past the 8 KB a text-mode read decodes at once
        (b"# " + b"x" * 9000 + b"\nenvironment: \x80\n", "2:14: not UTF-8 text (bad byte 0x80)"),
    ],
)
def test_non_utf8_file_names_the_line_column_and_byte(tmp_path: Path, raw: bytes, expected: str):
    assert error_for(tmp_path, raw) == expected


def test_line_ends_are_read_as_in_text_mode(tmp_path: Path):
    path = tmp_path / "aiops.yaml"
    path.write_bytes(b"environment: a\r\ntheme: dark\rinterval: 5s\r\n")
    cfg = load_config(path, env={"HOME": str(tmp_path)}, cwd=tmp_path)
    assert (cfg.environment, cfg.theme, cfg.interval_s) == ("a", "dark", 5.0)
    assert cfg.origins["interval"] == f"{path}:3"


@pytest.mark.parametrize("given", ["missing.yaml", "sub/missing.yaml"])
def test_missing_explicit_file(tmp_path: Path, given: str):
    with pytest.raises(ConfigError) as caught:
        load_config(given, env={"HOME": str(tmp_path)}, cwd=tmp_path)
    assert str(caught.value) == f"{given}: no such config file"


def test_missing_file_named_by_env_var(tmp_path: Path):
    env = {"HOME": str(tmp_path), "AIOPS_TUI_CONFIG": "/nowhere/aiops.yaml"}
    with pytest.raises(ConfigError) as caught:
        load_config(env=env, cwd=tmp_path)
    assert str(caught.value) == "/nowhere/aiops.yaml: no such config file (named by $AIOPS_TUI_CONFIG)"


def test_a_directory_is_not_a_config_file(tmp_path: Path):
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path, env={"HOME": str(tmp_path)}, cwd=tmp_path)
    assert str(caught.value) == f"{tmp_path}: not a file"


def test_a_ca_file_that_is_missing_or_not_pem_is_refused_at_its_line(tmp_path: Path):
    (tmp_path / "notes.txt").write_text("not a certificate\n")
    text = "prometheus:\n  url: https://h:9090\n  ca_file: {}\n"
    assert error_for(tmp_path, text.format("missing.pem")) == (
        f"3:12: ca_file {tmp_path / 'missing.pem'}: No such file or directory")
    assert error_for(tmp_path, text.format("notes.txt")) == (
        f"3:12: ca_file {tmp_path / 'notes.txt'}: no PEM certificate in it (NO_CERTIFICATE_OR_CRL_FOUND)")
    gateway = "gateways:\n  - name: gw\n    metrics_url: https://h:4000/metrics\n    ca_file: missing.pem\n"
    assert error_for(tmp_path, gateway) == f"4:14: ca_file {tmp_path / 'missing.pem'}: No such file or directory"


def test_ca_file_with_verify_tls_off_is_refused(tmp_path: Path):
    import certifi  # a bundle of real CA certificates, as requests ships it

    text = f"prometheus:\n  url: https://h:9090\n  verify_tls: false\n  ca_file: {certifi.where()}\n"
    assert error_for(tmp_path, text) == (
        "4:3: verify_tls: false checks no certificate, so ca_file would go unused: keep one")

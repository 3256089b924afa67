"""Every malformed config and runbook front matter, through the real `aiops-tui` command in a child
process: one line naming `file:line:column`, exit status 2, no traceback."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

AIOPS_TUI = str(Path(sys.executable).parent / "aiops-tui")

# (file content, what follows "aiops-tui: bad.yaml:" on stderr). Columns are 1-based.
BAD_CONFIGS = {
    "yaml_syntax": ("interval: 5s\n  timeout: 3s\n", "2:10: YAML syntax error: mapping values are not allowed here"),
    "unclosed_quote": (
        'environment: "prod\ninterval: 5s\n',
        "3:1: YAML syntax error: found unexpected end of stream (while scanning a quoted scalar at line 1)",
    ),
    "tab_indent": ("prometheus:\n\turl: http://h:9090\n", "2:1: YAML syntax error: found character '\\t' that cannot start any token"),
    "two_documents": (
        "interval: 5s\n---\ntimeout: 3s\n",
        "2:1: YAML syntax error: but found another document (expected a single document in the stream at line 1)",
    ),
    "undefined_alias": ("environment: *prod\n", "1:14: YAML syntax error: found undefined alias 'prod'"),
    # "environment: a" is 14 characters: the BEL is character 15.
    "control_character": ("environment: a\x07b\n", "1:15: YAML syntax error: control character U+0007 is not allowed"),
    "scalar_document": ("hello\n", "1:1: mapping expected, got string 'hello'"),
    "list_document": ("- interval: 5s\n", "1:1: mapping expected, got list"),
    "unknown_key": ("intervall: 5s\n", "1:1: unknown key 'intervall' (did you mean 'interval'?)"),
    "duplicate_key": ("interval: 5s\ninterval: 6s\n", "2:1: duplicate key 'interval' (first at line 1)"),
    "non_string_key": ("[a, b]: 1\n", "1:1: expected a string, got list"),
    "wrong_type": ("stale_after: many\n", "1:14: expected a whole number of at least 1, got string 'many'"),
    "bad_duration": ("interval: 5 parsecs\n", "1:11: bad duration '5 parsecs': use a number with s, m, h, d, w or y, like 15s or 5m"),
    "zero_duration": ("timeout: 0s\n", "1:10: expected a duration above zero, got 0s"),
    "infinite_duration": ("interval: " + "9" * 400 + "s\n", "1:11: expected a finite duration, got '" + "9" * 37 + "...'"),
    "integer_too_big": ("budget: {monthly_usd: " + "9" * 400 + "}\n", "1:23: expected a finite number, got " + "9" * 37 + "..."),
    "nan_amount": ("budget: {monthly_usd: .nan}\n", "1:23: expected a finite number, got .nan"),
    "ratio_out_of_range": ("targets: {error_ratio: 1.5}\n", "1:24: expected a ratio between 0 and 1, got 1.5"),
    "bad_url": (
        "prometheus:\n  url: localhost:9090\n",
        "2:8: bad URL 'localhost:9090': use http:// or https:// and a host, like http://127.0.0.1:9090",
    ),
    "bad_port": (
        "prometheus:\n  url: http://h:port\n",
        "2:8: bad URL 'http://h:port': use http:// or https:// and a host, like http://127.0.0.1:9090",
    ),
    "missing_url": ("prometheus:\n  verify_tls: false\n", "2:3: prometheus: missing required key 'url'"),
    "not_a_bool": ("prometheus:\n  url: http://h:9090\n  verify_tls: maybe\n", "3:15: expected true or false, got string 'maybe'"),
    "gateway_missing_name": ("gateways:\n  - metrics_url: http://h/metrics\n", "2:5: gateways[0]: missing required key 'name'"),
    "gateways_not_a_list": ("gateways:\n  name: gw\n", "2:3: expected a list of gateways, got mapping"),
    "duplicate_gateway": (
        "gateways:\n  - name: gw\n    metrics_url: http://h/metrics\n  - name: gw\n    metrics_url: http://i/metrics\n",
        "4:11: duplicate gateway name 'gw' (first at line 2)",
    ),
    "kind_typo": (
        "gateways:\n  - name: gw\n    metrics_url: http://h/metrics\n    kind: healthjson\n",
        "4:11: expected one of litellm, health_json, got 'healthjson' (did you mean 'health_json'?)",
    ),
    "pasted_token": (
        "prometheus:\n  url: http://h:9090\n  bearer_token_env: glpat-SECRETSECRET\n",
        "3:21: expected the name of an environment variable (like PROM_TOKEN), not the token itself",
    ),
    "authorization_header": (
        "prometheus:\n  url: http://h:9090\n  headers:\n    Authorization: Bearer abc\n",
        "4:5: header 'Authorization' would keep a secret in the file: name an environment variable with bearer_token_env "
        "(or basic_auth's password_env) instead",
    ),
    "python_tag": ("environment: !!python/object/apply:os.system [echo hi]\n", "1:14: expected a string, got list"),
    "binary_tag": ("environment: !!binary aGk=\n", "1:14: expected a string, got tag:yaml.org,2002:binary 'aGk='"),
    "lang_typo": ("lang: de\n", "1:7: expected one of en, pt, got 'de'"),
    "empty_string": ("theme: ''\n", "1:8: expected a non-empty string"),
    "not_utf8": (b"theme: dark\nenvironment: caf\xe9\n", "2:17: not UTF-8 text (bad byte 0xE9)"),
}


def run_all(commands: dict[str, list[str]]) -> dict[str, subprocess.CompletedProcess[str]]:
    """Run every command at once (each is a fresh interpreter) and collect what each printed."""
    children = {name: subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for name, argv in commands.items()}
    done = {}
    for name, child in children.items():
        out, err = child.communicate(timeout=60)
        done[name] = subprocess.CompletedProcess(child.args, child.returncode, out, err)
    return done


@pytest.fixture(scope="module")
def config_runs(tmp_path_factory) -> dict[str, tuple[Path, subprocess.CompletedProcess[str]]]:
    root = tmp_path_factory.mktemp("configs")
    commands, paths = {}, {}
    for case, (text, _) in BAD_CONFIGS.items():
        (root / case).mkdir()
        path = root / case / "bad.yaml"
        path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
        paths[case] = path
        commands[case] = [AIOPS_TUI, "check-config", "-c", str(path)]
    return {case: (paths[case], result) for case, result in run_all(commands).items()}


@pytest.mark.parametrize("case", sorted(BAD_CONFIGS))
def test_check_config_names_file_line_column_and_exits_2(config_runs, case):
    path, result = config_runs[case]
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == f"aiops-tui: {path}:{BAD_CONFIGS[case][1]}\n"


def test_every_case_names_a_line_and_column(config_runs):
    for case, (path, result) in config_runs.items():
        line, column = result.stderr.removeprefix(f"aiops-tui: {path}:").split(":")[:2]
        assert line.isdigit() and column.isdigit(), case


def test_nesting_deeper_than_the_parser_can_follow(tmp_path: Path):
    # PyYAML recurses once per level: 5,000 levels run out of stack. Where the reader stops depends
    # on the interpreter's stack, so only the line is pinned here.
    path = tmp_path / "bad.yaml"
    path.write_text("targets: " + "[" * 5000 + "]" * 5000 + "\n")
    result = subprocess.run([AIOPS_TUI, "check-config", "-c", str(path)], capture_output=True, text=True, timeout=60)
    assert (result.returncode, result.stdout) == (2, "")
    assert re.fullmatch(rf"aiops-tui: {re.escape(str(path))}:1:\d+: YAML syntax error: nested too deeply\n", result.stderr)


def test_a_pasted_token_never_reaches_the_output(config_runs):
    _, result = config_runs["pasted_token"]
    assert "SECRET" not in result.stdout + result.stderr


# --- runbook front matter ------------------------------------------------------------------------

# (runbook text, what follows "<file>:" on stdout). Line 1 is the opening `---`.
BAD_RUNBOOKS = {
    "yaml_syntax": ("---\ntitle: [unclosed\n---\n# X\n", "2:17: bad front matter: while parsing a flow sequence expected ',' or ']', but got '<stream end>'"),
    "never_closed": ("---\ntitle: x\n# X\n", "1:1: front matter opened with '---' is never closed"),
    "list_not_mapping": ("---\n- a\n- b\n---\n# X\n", "2:1: front matter must be a mapping of keys to values"),
    "alerts_not_a_list": ("---\nalerts: 5\n---\n# X\n", "2:9: front matter alerts: expected a list of alert names, got 5"),
    "bad_date": ("---\nlast_reviewed: yesterday\n---\n# X\n", "2:16: front matter last_reviewed: expected a date YYYY-MM-DD, got 'yesterday'"),
    "bad_variable": ("---\nvariables: {A: [1]}\n---\n# X\n", "2:16: front matter variables: A: expected a label name, got [1]"),
    "toml_syntax": ("+++\ntitle = \n+++\n# X\n", "2:1: bad front matter: Invalid value (at end of document)"),
    "duplicate_key": ("---\ntitle: a\nalerts: [A]\ntitle: b\n---\n# X\n", "4:1: duplicate key 'title' (first at line 2)"),
    "duplicate_nested_key": (
        "---\nvariables:\n  UP: upstream\n  UP: model\n---\n# X\n",
        "4:3: duplicate key 'UP' (first at line 3)",
    ),
    # tomllib refuses it too, but names no position for it
    "toml_duplicate_key": ('+++\ntitle = "a"\ntitle = "b"\n+++\n# X\n', "2:1: bad front matter: Cannot overwrite a value (at end of document)"),
    "alias_holding_itself": ("---\na: &x [*x]\n---\n# X\n", "2:1: bad front matter: a value holds itself (an alias inside its own anchor)"),
}


@pytest.fixture(scope="module")
def runbook_runs(tmp_path_factory) -> dict[str, tuple[Path, subprocess.CompletedProcess[str]]]:
    root = tmp_path_factory.mktemp("runbooks")
    rules = root / "rules.yml"
    rules.write_text("groups: []\n")  # no alerts: only the runbook itself is judged
    commands, paths = {}, {}
    for case, (text, _) in BAD_RUNBOOKS.items():
        path = root / f"{case}.md"
        path.write_text(text, encoding="utf-8")
        paths[case] = path
        commands[case] = [AIOPS_TUI, "runbooks", "lint", "--runbooks", str(path), "--rules", str(rules), "--no-promtool"]
    return {case: (paths[case], result) for case, result in run_all(commands).items()}


@pytest.mark.parametrize("case", sorted(BAD_RUNBOOKS))
def test_runbooks_lint_names_file_line_column_and_exits_2(runbook_runs, case):
    path, result = runbook_runs[case]
    assert result.returncode == 2
    assert result.stdout == f"{path}:{BAD_RUNBOOKS[case][1]}\n"
    assert "Traceback" not in result.stderr


def test_deeply_nested_front_matter_is_one_line(tmp_path: Path):
    path = tmp_path / "deep.md"
    path.write_text("---\ntitle: " + "[" * 5000 + "]" * 5000 + "\n---\n# X\n")
    rules = tmp_path / "rules.yml"
    rules.write_text("groups: []\n")
    result = subprocess.run(
        [AIOPS_TUI, "runbooks", "lint", "--runbooks", str(path), "--rules", str(rules), "--no-promtool"],
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stdout.startswith(f"{path}:2:")


def test_a_demo_backfill_past_a_week_is_one_line_before_any_screen(tmp_path: Path):
    # A week of the demo's model is some minutes of simulation here; months are the history generator's job.
    run = subprocess.run([AIOPS_TUI, "demo", "--backfill", "8d", "--history", str(tmp_path / "h.duckdb")],
                         stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)
    assert (run.returncode, run.stdout) == (2, "")
    assert run.stderr.startswith("aiops-tui: --backfill 8d: the demo simulates at most 7d before it opens")
    assert "python -m aiops_tui.sim.history_gen FILE --days 90" in run.stderr and run.stderr.count("\n") == 1
    assert list(tmp_path.iterdir()) == []  # no history file begun


@pytest.mark.parametrize("command", ["live", "record"])
def test_no_config_anywhere_is_one_line_saying_where_one_is_looked_for(tmp_path: Path, command: str):
    import os

    env = {**os.environ, "HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "cfg")}
    env.pop("AIOPS_TUI_CONFIG", None)
    run = subprocess.run([AIOPS_TUI, command], cwd=tmp_path, env=env, stdin=subprocess.DEVNULL,
                         capture_output=True, text=True, timeout=60)
    assert (run.returncode, run.stdout) == (2, "")
    assert run.stderr == (f"aiops-tui: no config file (--config FILE, $AIOPS_TUI_CONFIG, ./aiops.yaml or "
                          f"{tmp_path / 'cfg' / 'aiops-tui' / 'config.yaml'}) and so no sources: write one with "
                          f"`prometheus:` or `gateways:`{'; try `aiops-tui demo`' if command == 'live' else ''}\n")
    (tmp_path / "aiops.yaml").write_text("environment: staging\n")  # found, but polls nothing
    run = subprocess.run([AIOPS_TUI, command], cwd=tmp_path, env=env, stdin=subprocess.DEVNULL,
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 2 and run.stderr.startswith(f"aiops-tui: {tmp_path / 'aiops.yaml'}: no sources configured")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["aiops.yaml"]  # no history begun


@pytest.mark.parametrize("since, message", [
    ("0s", "--since: '0s' is not a duration over 0"),
    ("-5m", "--since: '-5m' is not a duration over 0"),
    ("0", "--since: '0' is not a duration over 0"),
    ("soon", "--since: bad duration 'soon': use a number with s, m, h, d, w or y, like 15s or 30d"),
])
def test_a_report_period_that_is_no_time_or_no_duration_says_which(tmp_path: Path, since: str, message: str):
    run = subprocess.run([AIOPS_TUI, "report", "cost", f"--since={since}", "--file", str(tmp_path / "h.duckdb")],
                         stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)
    assert (run.returncode, run.stdout, run.stderr) == (2, "", f"aiops-tui: {message}\n")

"""Metric labels, alert annotations and runbooks are untrusted. At the core: hostile text is kept as
data byte for byte (rendering it safely is the UI's job), runbook text loses its terminal escapes,
nothing a runbook holds is ever run, and its promql blocks reach only the configured Prometheus."""

from __future__ import annotations

import ast
import asyncio
import json
from pathlib import Path

import pytest

from aiops_tui.config import PrometheusConfig
from aiops_tui.signals.runbooks import fill_variables, parse_runbook, sanitize_text, shell_copy_text, synthetic_runbook
from aiops_tui.sources.poller import Poller
from aiops_tui.sources.prometheus import PrometheusSource
from aiops_tui.store.history import History
from loopback import Answer, ScriptedServer
from recording import T0

SRC = Path(__file__).parent.parent.parent / "src" / "aiops_tui"
MARKUP = ("[bold]red[/bold]", "[link=https://evil.example/steal]click me[/link]")
ESCAPES = (
    "\x1b]52;c;cm0gLXJmIC8K\x07",  # OSC 52: put `rm -rf /` on the clipboard
    "\x1b[2J",  # CSI 2 J: clear the screen
    "\x1b]8;;https://evil.example\x1b\\",  # OSC 8 hyperlink, ended by ST
    "\x9b31m",  # a C1 CSI: the one-byte form of ESC [
    "\x9d52;c;cm0gLXJmIC8K\x07",  # a C1 OSC 52, ended by BEL
    "\x9d8;;https://evil.example\x9c",  # a C1 OSC 8 hyperlink, ended by the C1 ST
    "\x90+q544e\x9c",  # a C1 DCS (a terminfo query), ended by the C1 ST
    "\x1b]0;title\x9c",  # a 7-bit OSC ended by the C1 ST
)
HOSTILE = MARKUP + tuple(f"a{e}b" for e in ESCAPES)


# --- alert annotations: data, kept exactly ---------------------------------------------------------


def test_alert_labels_and_annotations_are_kept_byte_exact_from_prometheus_to_the_history(tmp_path: Path):
    alerts = {"status": "success", "data": {"alerts": [{
        "labels": {"alertname": "LLMCircuitBreakerOpen", "upstream": HOSTILE[i], "n": str(i)},
        "annotations": {"summary": HOSTILE[-1 - i], "description": "".join(HOSTILE)},
        "state": "firing", "activeAt": "2026-01-01T00:00:00Z",
    } for i in range(len(HOSTILE))]}}
    empty = {"status": "success", "data": {"resultType": "vector", "result": []}}
    with ScriptedServer() as server:
        server.answers["/api/v1/alerts"] = Answer(200, json.dumps(alerts).encode(), "application/json")
        server.answers["/api/v1/query"] = Answer(200, json.dumps(empty).encode(), "application/json")
        cfg = PrometheusConfig(server.url, {}, None, True, 15.0, 2.0, "none", {"requests_per_s": "up"})
        with History.open(tmp_path / "history.duckdb") as history:
            poller = Poller([PrometheusSource(cfg, clock=lambda: T0)], history.write_cycle, clock=lambda: T0)
            asyncio.run(poller.run_cycle())
            events = history.events(T0, T0, kinds=["alert"])
    assert len(events) == len(HOSTILE)
    by_n = {e.detail["labels"]["n"]: e.detail for e in events}
    for i, hostile in enumerate(HOSTILE):
        assert by_n[str(i)]["labels"]["upstream"] == hostile
        assert by_n[str(i)]["annotations"] == {"summary": HOSTILE[-1 - i], "description": "".join(HOSTILE)}


# --- runbooks: escapes stripped everywhere, markup kept as literal text ----------------------------


def hostile_runbook() -> str:
    esc = "".join(ESCAPES)
    return (
        "---\n"
        f'title: "[bold]Evil[/bold] {esc}"\n'
        f"owner: \"ops{esc}\"\n"
        "alerts: [LLMCircuitBreakerOpen]\n"
        "variables: {UPSTREAM: upstream}\n"
        "---\n"
        f"# Heading {esc}[link=https://evil.example]x[/link]\n\n"
        f"Intro {esc} text.\n\n"
        f"- [ ] Step one {esc}\n\n"
        "  ```sh\n"
        f"  $ kubectl get pods -l app=$UPSTREAM {esc}\n"
        "  ```\n\n"
        "```promql\n"
        f'rate(x{{upstream="$UPSTREAM"}}[5m]) {esc}\n'
        "```\n"
    )


def every_text_of(runbook) -> list[str]:
    texts = [runbook.title, runbook.owner, runbook.severity, runbook.body, *runbook.alerts, *runbook.variables.values()]
    texts += [s.title + s.text for s in runbook.sections] + [h.title for h in runbook.headings]
    texts += [s.text for s in runbook.steps]
    texts += [b.code + b.info for b in (*runbook.shell_blocks, *runbook.promql_blocks)]
    return texts


def test_runbook_text_loses_every_escape_sequence_and_keeps_markup_as_text():
    runbook = parse_runbook(hostile_runbook(), Path("evil.md"))
    texts = every_text_of(runbook)
    assert len(runbook.steps) == 1 and len(runbook.shell_blocks) == 1 and len(runbook.promql_blocks) == 1
    for text in texts:
        assert not any(ch in text for ch in "\x1b\x07\x90\x9b\x9c\x9d"), repr(text)
        assert not any(tail in text for tail in ("31m", "52;c", "8;;", "544e", "0;title")), repr(text)
    # Markup is not interpreted here: it stays literal text for the UI to escape.
    assert runbook.title == "[bold]Evil[/bold]"
    assert runbook.headings[0].title.endswith("[link=https://evil.example]x[/link]")


def test_alert_labels_filled_into_copied_commands_lose_their_escapes():
    runbook = parse_runbook(hostile_runbook(), Path("evil.md"))
    labels = {"upstream": "api\x1b]52;c;cm0gLXJmIC8K\x07\x1b[2J"}
    copied = fill_variables(shell_copy_text(runbook.shell_blocks[0]), runbook, labels)
    assert copied == "kubectl get pods -l app=api \n"  # the space before the escapes in the block stays


def test_a_synthetic_runbook_from_hostile_annotations_holds_no_escape():
    runbook = synthetic_runbook("Alert\x1b[2J", {"upstream": "a\x1b]52;c;eA==\x07"}, {"summary": "s\x1b[31m", "description": "[bold]d[/bold]"})
    shown = [runbook.title, runbook.severity, runbook.body] + [s.title + s.text for s in runbook.sections]
    for text in shown:
        assert "\x1b" not in text and "\x07" not in text
    assert "[bold]d[/bold]" in runbook.body
    assert runbook.alerts == ("Alert\x1b[2J",)  # the alert's identity, kept as given for matching


@pytest.mark.parametrize("escape", ESCAPES)
def test_sanitize_text_strips_each_sequence(escape):
    # The whole sequence goes, 8-bit forms too: no "31m" or "8;;https://…" tail is left as text.
    assert sanitize_text(f"before{escape}after") == "beforeafter"


# --- nothing in a runbook runs ---------------------------------------------------------------------

FORBIDDEN_MODULES = {"subprocess", "pty", "webbrowser", "shlex", "multiprocessing"}
FORBIDDEN_CALLS = {"eval", "exec", "compile", "__import__"}
FORBIDDEN_OS = {"system", "popen", "spawnl", "spawnlp", "spawnv", "spawnvp", "execv", "execve", "execvp", "execl", "execlp", "startfile", "fork", "posix_spawn"}


def runbook_and_ui_modules() -> list[Path]:
    files = sorted(SRC.glob("signals/runbook*.py")) + sorted((SRC / "ui").rglob("*.py"))
    files += [p for p in [SRC / "sources" / "promql_values.py"] if p.exists()]
    return files


def execution_points(path: Path) -> list[str]:
    """Every import or call in a module that could start a process or evaluate text as code."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found += [f"import {a.name}" for a in node.names if a.name.split(".")[0] in FORBIDDEN_MODULES]
        elif isinstance(node, ast.ImportFrom):
            if (node.module or "").split(".")[0] in FORBIDDEN_MODULES:
                found.append(f"from {node.module} import ...")
            if node.module == "os":
                found += [f"from os import {a.name}" for a in node.names if a.name in FORBIDDEN_OS]
        elif isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name) and func.id in FORBIDDEN_CALLS:
                found.append(f"{func.id}()")
            if isinstance(func, ast.Attribute) and func.attr in FORBIDDEN_OS and isinstance(func.value, ast.Name) and func.value.id == "os":
                found.append(f"os.{func.attr}()")
    return [f"{path.name}: {what}" for what in found]


def test_the_scan_finds_what_it_looks_for(tmp_path: Path):
    sample = tmp_path / "sample.py"
    sample.write_text("import subprocess\nimport os\nos.system('x')\nfrom os import popen\neval('1')\nos.path.join('a')\n")
    assert sorted(execution_points(sample)) == [
        "sample.py: eval()", "sample.py: from os import popen", "sample.py: import subprocess", "sample.py: os.system()",
    ]


def test_no_runbook_or_ui_module_can_run_a_command():
    files = runbook_and_ui_modules()
    assert len(files) > 10
    assert [point for path in files for point in execution_points(path)] == []


# --- promql blocks go only to the configured Prometheus -------------------------------------------


def test_url_like_promql_blocks_are_sent_as_queries_to_the_configured_prometheus_only():
    promql_values = pytest.importorskip("aiops_tui.sources.promql_values", reason="the PromQL-value helper is not in this tree yet")
    answer = json.dumps({"status": "success", "data": {"resultType": "vector", "result": []}}).encode()
    with ScriptedServer() as configured, ScriptedServer() as elsewhere:
        configured.answers["/api/v1/query"] = Answer(200, answer, "application/json")
        # A configured Prometheus that redirects is not followed to the other host either.
        configured.answers["/api/v1/query?query=redirect_me"] = Answer(302, b"", headers={"Location": elsewhere.url + "/api/v1/query"})
        elsewhere.answers["/api/v1/query"] = Answer(200, answer, "application/json")
        host = elsewhere.url.removeprefix("http://")
        blocks = [
            f"{elsewhere.url}/api/v1/query?query=up",
            f"//{host}/api/v1/query",
            f"@{host}",
            f"up @ {host}",
            "redirect_me",
        ]
        text = "# R\n\n" + "".join(f"```promql\n{b}\n```\n\n" for b in blocks)
        runbook = parse_runbook(text, Path("r.md"))
        queries = promql_values.filled_queries(runbook.promql_blocks, runbook, {})
        cfg = PrometheusConfig(configured.url, {}, None, True, 15.0, 2.0, "auto", {})
        results = asyncio.run(promql_values.instant_values(cfg, queries, 2.0))
    assert len(results) == len(blocks)
    assert elsewhere.requests == []
    from urllib.parse import parse_qs, urlsplit

    sent = [parse_qs(urlsplit(path).query)["query"][0] for path, _ in configured.requests]
    assert sorted(sent) == sorted(blocks)
    assert all(urlsplit(path).path == "/api/v1/query" for path, _ in configured.requests)

"""`aiops-tui runbooks lint`: every alert in the rules has a runbook, every runbook loads, every
```promql block parses (with promtool when installed), and relative links land somewhere."""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

import yaml

from aiops_tui.signals.runbooks import (
    CodeBlock,
    LinkTarget,
    Runbook,
    classify_link,
    load_runbooks,
    match_alert,
    preprocess_for_render,
)

PROMTOOL_TIMEOUT_S = 60
_BLOCK_RECORD = "runbook_block_{}"


@dataclass
class LintResult:
    problems: list[str] = field(default_factory=list)
    """`file:line:column: message`, one per problem."""
    notes: list[str] = field(default_factory=list)
    """Things the user should know that are not problems (promtool missing)."""
    runbooks: int = 0
    alerts: int = 0
    """How many runbooks were read, and how many alert names the rules files hold: what was checked."""


@dataclass(frozen=True, slots=True)
class RuleAlert:
    name: str
    file: str
    line: int
    column: int
    labels: dict[str, str]
    annotations: dict[str, str]


def lint(runbook_dirs: Sequence[Path | str], rules_files: Sequence[Path | str]) -> list[str]:
    """Problems found, as `file:line:column: message`; empty when all is well."""
    return lint_report(runbook_dirs, rules_files).problems


def lint_report(
    runbook_dirs: Sequence[Path | str],
    rules_files: Sequence[Path | str],
    *,
    promtool: str | None | bool = True,
) -> LintResult:
    """Like `lint`, with notes. `promtool`: True finds it on PATH, a path uses that, None/False
    skips it (the basic bracket and quote check runs instead)."""
    result = LintResult()
    promtool_path = shutil.which("promtool") if promtool is True else (promtool or None)
    if promtool is True and promtool_path is None:
        result.notes.append("promtool was not found: PromQL blocks got only a bracket and quote check")

    runbooks, errors = load_runbooks(list(runbook_dirs))
    result.problems += [str(error) for error in errors]
    result.runbooks = len(runbooks)

    alerts: list[RuleAlert] = []
    for rules_file in rules_files:
        found, problems = read_rule_alerts(Path(rules_file))
        alerts += found
        result.problems += problems
        if promtool_path and not problems:
            result.problems += _promtool_check_file(promtool_path, Path(rules_file))

    seen: set[str] = set()
    result.alerts = len({alert.name for alert in alerts})
    for alert in alerts:
        if alert.name in seen:
            continue  # one alert name in several rules (burn-rate windows) needs one runbook
        seen.add(alert.name)
        if match_alert(alert.name, alert.labels, alert.annotations, runbooks).rule == "synthetic":
            url = alert.annotations.get("runbook_url", "")
            hint = f", runbook_url {url} names no runbook file" if url else ", no runbook_url"
            result.problems.append(
                f"{alert.file}:{alert.line}:{alert.column}: alert {alert.name} has no runbook "
                f"(no runbook lists it in alerts:, none is named after it{hint})"
            )

    blocks = [(runbook, block) for runbook in runbooks for block in runbook.promql_blocks]
    if promtool_path:
        result.problems += _promtool_check_blocks(promtool_path, blocks)
    else:
        for runbook, block in blocks:
            for line, column, message in basic_promql_problems(block.code):
                result.problems.append(_block_problem(runbook, block, line, column, message))

    result.problems += _link_problems(runbooks)
    return result


# --- rules files ----------------------------------------------------------------------------------


def read_rule_alerts(path: Path) -> tuple[list[RuleAlert], list[str]]:
    """Alerting rules in a Prometheus rules file, each with the position of its `alert:` name."""
    try:
        root = yaml.compose(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    except OSError as exc:
        return [], [f"{path}:1:1: cannot read rules file: {exc.strerror or exc}"]
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        return [], [f"{path}:{line}:{column}: bad YAML: {exc.problem or exc}"]
    groups = _get(root, "groups")
    if not isinstance(groups, yaml.SequenceNode):
        return [], [f"{path}:1:1: rules file has no `groups:` list"]
    alerts: list[RuleAlert] = []
    for group in groups.value:
        rules = _get(group, "rules")
        for rule in rules.value if isinstance(rules, yaml.SequenceNode) else []:
            name = _get(rule, "alert")
            if isinstance(name, yaml.ScalarNode):
                mark = name.start_mark
                alerts.append(RuleAlert(str(name.value), str(path), mark.line + 1, mark.column + 1,
                                        _scalars(_get(rule, "labels")), _scalars(_get(rule, "annotations"))))
    return alerts, []


def _get(node: yaml.Node | None, key: str) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.value == key:
                return value_node
    return None


def _scalars(node: yaml.Node | None) -> dict[str, str]:
    if not isinstance(node, yaml.MappingNode):
        return {}
    return {
        str(k.value): str(v.value)
        for k, v in node.value
        if isinstance(k, yaml.ScalarNode) and isinstance(v, yaml.ScalarNode)
    }


_PROMTOOL_POSITION = re.compile(r"^(?P<file>.+?): ?(?P<line>\d+):(?P<column>\d+): (?P<message>.*)$")


def _promtool_check_file(promtool: str, path: Path) -> list[str]:
    completed = _run_promtool(promtool, path)
    if completed is None:
        return [f"{path}:1:1: promtool did not finish checking the rules in {PROMTOOL_TIMEOUT_S} s"]
    if completed.returncode == 0:
        return []
    problems = []
    for line in _failure_lines(completed):
        found = _PROMTOOL_POSITION.match(line)
        if found:
            problems.append(f"{path}:{found['line']}:{found['column']}: {found['message']}")
        else:
            problems.append(f"{path}:1:1: {line.removeprefix(f'{path}: ')}")
    return problems


def _run_promtool(promtool: str, path: Path) -> subprocess.CompletedProcess[str] | None:
    try:
        return subprocess.run(
            [promtool, "check", "rules", str(path)],
            capture_output=True, text=True, timeout=PROMTOOL_TIMEOUT_S, check=False,
        )
    except subprocess.TimeoutExpired:
        return None


def _failure_lines(completed: subprocess.CompletedProcess[str]) -> Iterable[str]:
    for line in (completed.stderr + "\n" + completed.stdout).splitlines():
        line = line.strip()
        if line and not line.startswith(("Checking ", "SUCCESS", "FAILED")):
            yield line


# --- promql blocks --------------------------------------------------------------------------------

_BLOCK_FAILURE = re.compile(r'"runbook_block_(\d+)": (?:could not parse expression: )?(?:(\d+):(\d+): )?(.*)$')


def _promtool_check_blocks(promtool: str, blocks: list[tuple[Runbook, CodeBlock]]) -> list[str]:
    """One recording rule per block in a scratch rules file, checked by promtool, failures mapped
    back to the runbook file, line and column."""
    if not blocks:
        return []
    problems: list[str] = []
    rules = []
    for number, (runbook, block) in enumerate(blocks):
        if not block.code.strip():
            problems.append(_block_problem(runbook, block, 1, 1, "empty promql block"))
            continue
        # Trailing newline dropped: an unclosed bracket is then reported on the last code line.
        rules.append({"record": _BLOCK_RECORD.format(number), "expr": block.code.rstrip()})
    if not rules:
        return problems
    with tempfile.TemporaryDirectory(prefix="aiops-lint-") as scratch:
        path = Path(scratch) / "runbook-blocks.yml"
        # JSON is YAML: every expression is one exact string, newlines and all.
        path.write_text(json.dumps({"groups": [{"name": "runbook_promql_blocks", "rules": rules}]}, indent=1))
        completed = _run_promtool(promtool, path)
    if completed is None:
        return problems + [f"promtool did not finish checking promql blocks in {PROMTOOL_TIMEOUT_S} s"]
    if completed.returncode == 0:
        return problems
    for line in _failure_lines(completed):
        found = _BLOCK_FAILURE.search(line)
        if not found:
            problems.append(f"promtool: {line}")
            continue
        runbook, block = blocks[int(found[1])]
        expr_line, expr_column = (int(found[2]), int(found[3])) if found[2] else (1, 1)
        problems.append(_block_problem(runbook, block, expr_line, expr_column, found[4].strip() or line))
    return problems


def _block_problem(runbook: Runbook, block: CodeBlock, expr_line: int, expr_column: int, message: str) -> str:
    """Map a position inside a block's code to the runbook file (fence line + n, fence indent + col)."""
    lines = runbook.body.split("\n")
    fence_text = lines[block.line - runbook.body_line] if 0 <= block.line - runbook.body_line < len(lines) else ""
    indent = len(fence_text) - len(fence_text.lstrip(" "))
    return f"{runbook.path}:{block.line + expr_line}:{indent + expr_column}: promql: {message}"


_PAIRS = {"(": ")", "[": "]", "{": "}"}


def basic_promql_problems(expr: str) -> list[tuple[int, int, str]]:
    """Unbalanced brackets and unclosed quotes, for when promtool is not installed: (line, column,
    message) inside the expression, 1-based."""
    stack: list[tuple[str, int, int]] = []
    line, column = 1, 0
    quote: tuple[str, int, int] | None = None
    escaped = comment = False
    for char in expr:
        if char == "\n":
            line, column, comment = line + 1, 0, False
            if quote and quote[0] != "`":
                return [(quote[1], quote[2], f"unclosed {quote[0]} quote")]
            continue
        column += 1
        if comment:
            continue
        if quote:
            if escaped:
                escaped = False
            elif char == "\\" and quote[0] != "`":
                escaped = True
            elif char == quote[0]:
                quote = None
            continue
        if char == "#":
            comment = True
        elif char in "\"'`":
            quote = (char, line, column)
        elif char in _PAIRS:
            stack.append((char, line, column))
        elif char in _PAIRS.values():
            if not stack or _PAIRS[stack[-1][0]] != char:
                return [(line, column, f"unexpected {char!r}")]
            stack.pop()
    if quote:
        return [(quote[1], quote[2], f"unclosed {quote[0]} quote")]
    if stack:
        char, open_line, open_column = stack[-1]
        return [(open_line, open_column, f"unclosed {char!r}")]
    if not expr.strip():
        return [(1, 1, "empty promql block")]
    return []


# --- links ----------------------------------------------------------------------------------------


def _link_problems(runbooks: list[Runbook]) -> list[str]:
    """Relative links to runbooks that do not exist, and anchors no heading carries."""
    from markdown_it import MarkdownIt

    parser = MarkdownIt("commonmark").enable("table")
    by_path = {runbook.path.resolve(): runbook for runbook in runbooks if runbook.path}
    problems: list[str] = []
    for runbook in runbooks:
        if runbook.path is None:
            continue
        body = preprocess_for_render(runbook.body)
        lines = body.split("\n")
        for token in parser.parse(body):
            if token.type != "inline" or not token.map:
                continue
            for child in token.children or []:
                href = str(child.attrGet("href") or "") if child.type == "link_open" else ""
                if not href:
                    continue
                message = _link_problem(classify_link(href, runbook.path), runbook, by_path)
                if message:
                    line = token.map[0]
                    while line < token.map[1] - 1 and href not in lines[line]:
                        line += 1
                    column = lines[line].find(href) + 1 if href in lines[line] else 1
                    problems.append(f"{runbook.path}:{line + runbook.body_line}:{max(column, 1)}: {message}")
    return problems


def _link_problem(target: LinkTarget, runbook: Runbook, by_path: dict[Path, Runbook]) -> str:
    if target.kind == "anchor" and runbook.anchor_line(target.anchor) is None:
        return f"link to #{target.anchor}: no heading here has that anchor"
    if target.kind == "runbook":
        path = Path(target.target)
        if not path.is_file():
            return f"link to {path.name}: no such runbook ({path})"
        linked = by_path.get(path.resolve())
        if target.anchor and linked is not None and linked.anchor_line(target.anchor) is None:
            return f"link to {path.name}#{target.anchor}: no heading there has that anchor"
    return ""


# --- command line ---------------------------------------------------------------------------------


def _default_paths() -> tuple[list[Path], list[Path]]:
    """./runbooks and ./rules/*.yml when the working directory has them, else the shipped ones."""
    from aiops_tui.resources import shipped_dir

    if (Path.cwd() / "runbooks").is_dir():
        return [Path.cwd() / "runbooks"], sorted((Path.cwd() / "rules").glob("*.y*ml"))
    return [shipped_dir("runbooks")], sorted(shipped_dir("rules").glob("*.y*ml"))


def main_lint(argv: Sequence[str] | None = None) -> int:
    """`aiops-tui runbooks lint [--runbooks DIR]... [--rules FILE]...`: 0 when clean, else 2 with
    one problem per line on stdout."""
    parser = argparse.ArgumentParser(prog="aiops-tui runbooks lint", description=main_lint.__doc__)
    parser.add_argument("--runbooks", action="append", type=Path, metavar="DIR",
                        help="runbook directory or file (repeatable; default ./runbooks, else the shipped ones)")
    parser.add_argument("--rules", action="append", type=Path, metavar="FILE",
                        help="Prometheus rules file (repeatable; default ./rules/*.yml beside ./runbooks, else the shipped ones)")
    parser.add_argument("--no-promtool", action="store_true", help="skip promtool, check brackets only")
    args = parser.parse_args(list(argv) if argv is not None else None)
    default_dirs, default_rules = _default_paths()
    result = lint_report(
        args.runbooks or default_dirs,
        args.rules if args.rules is not None else default_rules,
        promtool=not args.no_promtool,
    )
    for note in result.notes:
        print(f"note: {note}", file=sys.stderr)
    for problem in result.problems:
        print(problem)
    # What was checked, on stderr: from a directory without ./runbooks the shipped ones are (and pass).
    dirs = ", ".join(str(d) for d in (args.runbooks or default_dirs))
    verdict = f"{len(result.problems)} problem{'s' * (len(result.problems) != 1)}" if result.problems else "clean"
    print(f"aiops-tui: {result.runbooks} runbooks in {dirs} against {result.alerts} alerts: {verdict}", file=sys.stderr)
    return 2 if result.problems else 0

"""`runbooks lint`: alerts without runbooks, bad front matter, bad PromQL blocks and broken links,
each reported as file:line:column, on real files (and real promtool where installed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from aiops_tui.reports.runbooks_lint import basic_promql_problems, lint, lint_report, main_lint
from prom_required import require_binary

RULES = """\
groups:
  - name: llm
    rules:
      - alert: Covered
        expr: up == 0
        annotations:
          runbook_url: https://wiki.example.com/runbooks/covered-by-url.md
      - alert: Orphan
        expr: up == 0
      - alert: Orphan
        expr: up == 1
      - alert: ListedAlert
        expr: up == 0
      - record: not_an_alert
        expr: up
"""

LISTED = """\
---
title: Listed
alerts: [ListedAlert]
---
# Listed

## Diagnosis

- [ ] Look:
  ```promql
  sum by (job) (up{job="$JOB"})
  ```
- [ ] Look again:
  ```promql
  sum(rate(aiops_requests_total[5m])
  ```
"""


def make_tree(tmp_path: Path) -> tuple[Path, Path]:
    runbooks = tmp_path / "runbooks"
    runbooks.mkdir()
    (runbooks / "covered-by-url.md").write_text("# Covered\n\nSee [listed](listed.md#diagnosis).\n")
    (runbooks / "listed.md").write_text(LISTED)
    rules = tmp_path / "alerts.yml"
    rules.write_text(RULES)
    return runbooks, rules


def test_missing_runbook_is_reported_once_at_the_alert_name(tmp_path: Path) -> None:
    runbooks, rules = make_tree(tmp_path)
    problems = lint_report([runbooks], [rules], promtool=None).problems
    # `      - alert: Orphan` is line 8; the name starts after 15 characters: column 16
    orphan = [p for p in problems if "Orphan" in p]
    assert orphan == [
        f"{rules}:8:16: alert Orphan has no runbook (no runbook lists it in alerts:, none is named "
        "after it, no runbook_url)"
    ]
    assert not any("Covered" in p or "ListedAlert" in p for p in problems)


def test_bad_promql_block_found_without_promtool(tmp_path: Path) -> None:
    runbooks, rules = make_tree(tmp_path)
    problems = lint_report([runbooks], [rules], promtool=None).problems
    # the second block's `(` after `sum` never closes: fence on line 14, code line 15, indent 2,
    # `sum(` puts it at column 4 of the code, so column 6 of the file
    assert [p for p in problems if ": promql:" in p] == [f"{runbooks / 'listed.md'}:15:6: promql: unclosed '('"]


def test_bad_promql_block_found_by_promtool(tmp_path: Path) -> None:
    promtool = require_binary("promtool")
    runbooks, rules = make_tree(tmp_path)
    problems = lint_report([runbooks], [rules], promtool=promtool).problems
    # promtool notices at the end of `sum(rate(aiops_requests_total[5m])` (34 characters): column
    # 35 of the code, 37 of the file with the 2-space indent
    assert [p for p in problems if ": promql:" in p] == [
        f"{runbooks / 'listed.md'}:15:37: promql: parse error: unclosed left parenthesis"
    ]


def test_promtool_failures_in_the_rules_file_are_reported(tmp_path: Path) -> None:
    promtool = require_binary("promtool")
    rules = tmp_path / "broken.yml"
    rules.write_text("groups:\n  - name: g\n    rules:\n      - alert: Broken\n        expr: rate(up[5m]\n")
    problems = lint_report([], [rules], promtool=promtool).problems
    assert problems[0].startswith(f"{rules}:5:15: ") and "unclosed left parenthesis" in problems[0]
    assert "alert Broken has no runbook" in problems[1]


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ('sum by (job) (rate(up{job="a"}[5m]))', []),
        ("sum(rate(x[5m])", [(1, 4, "unclosed '('")]),
        ("rate(x[5m)]", [(1, 10, "unexpected ')'")]),
        ('up{job="a}', [(1, 8, 'unclosed " quote')]),
        ('up{job="a\\"b"}  # a comment with ( and "', []),
        ("sum(\n  rate(x[5m])\n", [(1, 4, "unclosed '('")]),
        ("  \n", [(1, 1, "empty promql block")]),
    ],
)
def test_basic_promql_check(expr: str, expected: list[tuple[int, int, str]]) -> None:
    assert basic_promql_problems(expr) == expected


def test_bad_front_matter_and_broken_links_are_problems(tmp_path: Path) -> None:
    runbooks, rules = make_tree(tmp_path)
    (runbooks / "bad.md").write_text("---\nalerts: 5\n---\n")
    (runbooks / "links.md").write_text(
        "# Links\n\n[ok](listed.md#diagnosis) [gone](gone.md) [here](#links) [nowhere](#nope)\n"
        "[bad anchor](listed.md#meaning) [web](https://example.com/x.md)\n"
    )
    problems = lint_report([runbooks], [], promtool=None).problems
    links = runbooks / "links.md"
    assert f"{runbooks / 'bad.md'}:2:9: front matter alerts: expected a list of alert names, got 5" in problems
    # "[ok](listed.md#diagnosis) [gone](" is 33 characters; "[nowhere](" starts at 58 and is 10 long
    assert [p for p in problems if p.startswith(str(links))] == [
        f"{links}:3:34: link to gone.md: no such runbook ({runbooks / 'gone.md'})",
        f"{links}:3:68: link to #nope: no heading here has that anchor",
        f"{links}:4:14: link to listed.md#meaning: no heading there has that anchor",
    ]


def test_rules_file_yaml_error_has_a_position(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yml"
    rules.write_text("groups:\n  - name: g\n    rules: [\n")
    problems = lint([], [rules])
    assert len(problems) == 1 and problems[0].startswith(f"{rules}:4:1: bad YAML")


def test_main_lint_exit_codes_and_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    runbooks, rules = make_tree(tmp_path)
    assert main_lint(["--runbooks", str(runbooks), "--rules", str(rules), "--no-promtool"]) == 2
    printed = capsys.readouterr()
    out = printed.out.splitlines()
    assert len(out) == 2 and "alert Orphan has no runbook" in out[0] and "promql" in out[1]
    assert printed.err.splitlines()[-1] == f"aiops-tui: 2 runbooks in {runbooks} against 3 alerts: 2 problems"

    clean = tmp_path / "clean"
    clean.mkdir()
    (clean / "orphan.md").write_text("# Orphan\n")
    (clean / "listed.md").write_text(LISTED.split("- [ ] Look again")[0])
    (clean / "covered-by-url.md").write_text("# Covered\n")
    assert main_lint(["--runbooks", str(clean), "--rules", str(rules), "--no-promtool"]) == 0
    printed = capsys.readouterr()
    assert printed.out == "" and printed.err.splitlines()[-1] == f"aiops-tui: 3 runbooks in {clean} against 3 alerts: clean"


def test_require_binary_skips_or_fails_under_the_ci_flag(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AIOPS_REQUIRE_PROMETHEUS", raising=False)
    with pytest.raises(pytest.skip.Exception, match="no-such-promtool not installed"):
        require_binary("no-such-promtool")
    monkeypatch.setenv("AIOPS_REQUIRE_PROMETHEUS", "1")
    with pytest.raises(pytest.fail.Exception, match="AIOPS_REQUIRE_PROMETHEUS=1 requires it"):
        require_binary("no-such-promtool")

"""Runbooks: front matter, sections, steps, code blocks, shell copy text, links, alert matching,
variables and the stripping of terminal escape sequences, on real files."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from aiops_tui.signals.runbooks import (
    CodeBlock,
    LinkTarget,
    RunbookError,
    classify_link,
    fill_variables,
    github_slug,
    load_runbook,
    load_runbooks,
    match_alert,
    parse_runbook,
    preprocess_for_render,
    promql_string_escape,
    sanitize_text,
    shell_copy_text,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "runbooks"
SHIPPED = Path(__file__).resolve().parents[2] / "runbooks"

BREAKER = """\
---
title: LLM upstream circuit breaker open
alerts: [LLMCircuitBreakerOpen]      # alert names this runbook answers
severity: critical
owner: platform-oncall
variables: {UPSTREAM: upstream}      # $UPSTREAM filled from the alert's label `upstream`
last_reviewed: 2026-10-01
---

# Breaker open

## Meaning

The breaker for `$UPSTREAM` is open.

## Diagnosis

- [ ] Check the state:
  ```promql
  resilience4j_circuitbreaker_state{name="$UPSTREAM"} == 1
  ```
- [x] Ask the gateway:
  ```sh
  $ curl -fsS "http://${UPSTREAM}/status"
  {"ok": false}
  ```
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


# --- front matter ---------------------------------------------------------------------------------


def test_front_matter_is_parsed_and_stripped_from_the_body(tmp_path: Path) -> None:
    runbook = load_runbook(write(tmp_path, "breaker.md", BREAKER))
    assert runbook.title == "LLM upstream circuit breaker open"
    assert runbook.alerts == ("LLMCircuitBreakerOpen",)
    assert (runbook.severity, runbook.owner) == ("critical", "platform-oncall")
    assert runbook.variables == {"UPSTREAM": "upstream"}
    assert runbook.last_reviewed == date(2026, 10, 1)
    assert runbook.body.startswith("\n# Breaker open")
    assert "alerts:" not in runbook.body and "---" not in runbook.body
    # front matter is file lines 1-8, so the body starts on line 9
    assert runbook.body_line == 9
    assert runbook.headings[0].line == 10


def test_review_is_overdue_after_180_days() -> None:
    runbook = parse_runbook("---\nlast_reviewed: 2026-11-01\n---\n# T\n", Path("t.md"))
    # Nov 30 + Dec 31 + Jan 31 + Feb 28 + Mar 31 = 151 days to 1 April 2027; 30 April is day 180
    assert not runbook.review_overdue(date(2027, 4, 30))
    assert runbook.review_overdue(date(2027, 5, 1))
    assert runbook.review_overdue(date(2027, 1, 1), max_age_days=30)
    assert not parse_runbook("# Never reviewed\n", Path("n.md")).review_overdue(date(2030, 1, 1))


def test_file_without_front_matter_takes_title_from_heading_or_file_name(tmp_path: Path) -> None:
    runbook = load_runbook(FIXTURES / "ci-runner-queue-too-long.md")
    assert runbook.title == "CI runner queue too long"
    assert runbook.alerts == () and runbook.variables == {} and runbook.last_reviewed is None
    assert runbook.body_line == 1
    plain = load_runbook(write(tmp_path, "disk-full.md", "Just text, no heading.\n"))
    assert plain.title == "disk-full"
    assert [s.level for s in plain.sections] == [0]


def test_hugo_front_matter_without_our_keys_and_toml_front_matter_load() -> None:
    hugo = load_runbook(FIXTURES / "kubepodcrashlooping.md")
    assert hugo.title == "Kube Pod Crash Looping"
    assert hugo.body_line == 5
    toml = load_runbook(FIXTURES / "hugo-toml-front-matter.md")
    assert toml.title == "Disk filling up"
    assert toml.alerts == ("NodeFilesystemSpaceFillingUp",)
    assert toml.variables == {"MOUNT": "mountpoint"}
    assert toml.last_reviewed == date(2025, 1, 15)


# --- structure ------------------------------------------------------------------------------------


def test_sections_split_on_headings_but_not_inside_code_fences() -> None:
    runbook = load_runbook(FIXTURES / "ci-runner-queue-too-long.md")
    got = [(s.title, s.anchor, s.level, s.line, s.end_line) for s in runbook.sections]
    assert got == [
        ("CI runner queue too long", "ci-runner-queue-too-long", 1, 1, 6),
        ("Symptoms", "symptoms", 2, 7, 13),
        ("Troubleshooting", "troubleshooting", 2, 14, 45),
        ("Resolution", "resolution", 2, 46, 57),  # holds the "## Not a heading" code line
        ("Resolution", "resolution-1", 2, 58, 61),
    ]
    assert "## Not a heading" in runbook.sections[3].text
    assert runbook.sections[2].text.startswith("## Troubleshooting\n")


def test_text_before_the_first_heading_is_its_own_section() -> None:
    runbook = load_runbook(FIXTURES / "hugo-toml-front-matter.md")
    assert [(s.level, s.anchor, s.line) for s in runbook.sections] == [(0, "", 9), (2, "diagnosis", 12)]


def test_steps_are_found_with_lines_state_and_section() -> None:
    runbook = load_runbook(FIXTURES / "ci-runner-queue-too-long.md")
    assert [(s.index, s.text, s.line, s.anchor, s.done) for s in runbook.steps] == [
        (0, "Check the queue on the runner manager:", 16, "troubleshooting", False),
        (1, "List stuck jobs (long command):", 26, "troubleshooting", True),
        (2, "Write the drain marker:", 36, "troubleshooting", False),
    ]
    breaker = parse_runbook(BREAKER, Path("b.md"))
    assert [(s.text, s.line, s.anchor, s.done) for s in breaker.steps] == [
        ("Check the state:", 18, "diagnosis", False),
        ("Ask the gateway:", 22, "diagnosis", True),
    ]


def test_promql_and_shell_blocks_are_found_with_lines_and_steps() -> None:
    breaker = parse_runbook(BREAKER, Path("b.md"))
    (promql,) = breaker.promql_blocks
    assert (promql.line, promql.step_index, promql.anchor) == (19, 0, "diagnosis")
    assert promql.code == 'resilience4j_circuitbreaker_state{name="$UPSTREAM"} == 1\n'
    (shell,) = breaker.shell_blocks
    assert (shell.lang, shell.line, shell.step_index) == ("sh", 23, 1)

    runbook = load_runbook(FIXTURES / "ci-runner-queue-too-long.md")
    assert [(b.lang, b.line, b.step_index) for b in runbook.shell_blocks] == [
        ("console", 18, 0), ("bash", 28, 1), ("sh", 38, 2), ("sh", 48, None),
    ]
    # the untagged "## Not a heading" block is neither promql nor shell
    assert runbook.promql_blocks == ()


def test_fence_with_attributes_keeps_its_language_and_info() -> None:
    runbook = load_runbook(FIXTURES / "ci-runner-queue-too-long.md")
    drain = runbook.shell_blocks[2]
    assert drain.lang == "sh"
    assert drain.info == 'sh {"name":"drain","interactive":"false"}'
    for info, lang in [("{.bash}", "bash"), ("Shell title=x", "shell"), ("console,linenos", "console")]:
        text = f"```{info}\n$ ls\n```\n"
        assert parse_runbook(text, Path("x.md")).shell_blocks[0].lang == lang


def test_github_slugs() -> None:
    assert github_slug("Meaning `x` & y!") == "meaning-x--y"
    assert github_slug("Step 2: restart (carefully)") == "step-2-restart-carefully"
    assert github_slug("Über Größe_v2") == "über-größe_v2"
    runbook = parse_runbook("# A\n## Meaning `x` & y!\n## Meaning x & y\n### Deep\n", Path("s.md"))
    assert [h.anchor for h in runbook.headings] == ["a", "meaning-x--y", "meaning-x--y-1", "deep"]
    assert runbook.anchor_line("deep") == 4 and runbook.anchor_line("#DEEP") == 4
    assert runbook.anchor_line("nowhere") is None
    assert runbook.section_index(4) == 2  # a ### stays inside its ## section


def test_a_200_kb_runbook_loads_with_all_sections(tmp_path: Path) -> None:
    chunk = (
        "## Section {n}\n\nSome text with `code` and a [link](other.md).\n\n"
        "- [ ] step {n}\n  ```promql\n  sum(rate(aiops_requests_total[5m]))\n  ```\n\n"
        "```sh\n$ curl -fsS http://gw/status\n{{\"ok\": true}}\n```\n\n" + "filler " * 40 + "\n\n"
    )
    parts = ["---\ntitle: Big\n---\n# Big\n\n"]
    count = 0
    while sum(map(len, parts)) < 200_000:
        parts.append(chunk.format(n=count))
        count += 1
    runbook = load_runbook(write(tmp_path, "big.md", "".join(parts)))
    assert len(runbook.sections) == count + 1
    assert runbook.sections[1].title == "Section 0"
    assert runbook.sections[1].text.startswith("## Section 0\n")
    assert len(runbook.steps) == len(runbook.promql_blocks) == len(runbook.shell_blocks) == count
    assert runbook.steps[-1].anchor == f"section-{count - 1}"


# --- shell copy text ------------------------------------------------------------------------------


def block(code: str, lang: str = "sh") -> CodeBlock:
    return CodeBlock(lang, lang, code, 1, "")


def test_prompts_stripped_and_sample_output_dropped() -> None:
    assert shell_copy_text(block("$ kubectl get pods\nNAME   READY\napi-1  1/1\n$ kubectl top pods\n")) == (
        "kubectl get pods\nkubectl top pods\n"
    )


def test_root_prompt_only_in_console_blocks() -> None:
    code = "$ id -u\n1000\n# systemctl restart gw\n"
    assert shell_copy_text(block(code, "console")) == "id -u\nsystemctl restart gw\n"
    # in a sh block `# ` is a comment (here: among prompts, so treated as output)
    assert shell_copy_text(block(code, "sh")) == "id -u\n"


def test_continuation_and_here_document_lines_are_kept() -> None:
    runbook = load_runbook(FIXTURES / "ci-runner-queue-too-long.md")
    console, curl, drain, plain = runbook.shell_blocks
    assert shell_copy_text(console) == "sudo gitlab-runner status\nsystemctl status gitlab-runner --no-pager\n"
    assert shell_copy_text(curl) == (
        'curl --silent --header "PRIVATE-TOKEN: $TOKEN" \\\n'
        '    "https://gitlab.example.com/api/v4/runners/$RUNNER/jobs?status=running" \\\n'
        "  | jq '.[].id'\n"
    )
    assert shell_copy_text(drain) == "cat <<EOF > /etc/gitlab-runner/drain\nreason=queue\nEOF\nls /etc/gitlab-runner\n"
    assert shell_copy_text(plain) == plain.code  # no prompts: copied as written, comment included


# --- rendering ------------------------------------------------------------------------------------


def test_details_become_a_bold_line_and_line_count_is_kept() -> None:
    body = load_runbook(FIXTURES / "kubepodcrashlooping.md").body
    rendered = preprocess_for_render(body)
    assert rendered.count("\n") == body.count("\n")
    assert "<details>" not in rendered and "</details>" not in rendered and "<summary>" not in rendered
    assert "**Debugging tips**  " in rendered.split("\n")
    inline = preprocess_for_render('<details open><summary><b>More</b></summary>\ntext\n</details>')
    assert inline == "**More**  \ntext\n"


def test_hugo_shortcodes_become_links_or_text_but_not_inside_code() -> None:
    rendered = preprocess_for_render(load_runbook(FIXTURES / "kubepodcrashlooping.md").body)
    assert "[not ready](kubepodnotready.md)" in rendered
    assert "[kubepodnotready.md#diagnosis](kubepodnotready.md#diagnosis)" in rendered
    assert "{{" not in rendered and "hint" not in rendered
    assert "Check the application's own logs before restarting anything." in rendered
    fenced = "```\n{{< ref \"x.md\" >}}\n```\n"
    assert preprocess_for_render(fenced) == fenced
    assert preprocess_for_render('{{% relref "a b.md" %}}') == "[a b.md](a%20b.md)"


# --- links ----------------------------------------------------------------------------------------


def test_links_of_every_kind_are_classified(tmp_path: Path) -> None:
    here = tmp_path / "team" / "ci.md"
    assert classify_link("https://dashboards.example.com/d/ci", here) == LinkTarget(
        "external", "https://dashboards.example.com/d/ci"
    )
    assert classify_link("mailto:ci@example.com", here).kind == "external"
    assert classify_link("//cdn.example.com/x", here).kind == "external"
    assert classify_link("../legacy/runners.md#history", here) == LinkTarget(
        "runbook", str(tmp_path / "legacy" / "runners.md"), "history"
    )
    assert classify_link("other%20one.md", here) == LinkTarget("runbook", str(tmp_path / "team" / "other one.md"))
    assert classify_link("#ci-runner-queue-too-long", here) == LinkTarget(
        "anchor", "ci-runner-queue-too-long", "ci-runner-queue-too-long"
    )
    assert classify_link("img/queue.png", here) == LinkTarget("file", str(tmp_path / "team" / "img" / "queue.png"))
    for href in ("javascript:alert(1)", "java\tscript:alert(1)", "JAVASCRIPT:x", "data:text/html,x", "file:///etc/passwd"):
        assert classify_link(href, here).kind == "unsupported", href
    assert classify_link("", here).kind == "unsupported"


def test_hugo_ref_links_resolve_to_runbooks_when_the_file_exists() -> None:
    here = FIXTURES / "kubepodcrashlooping.md"
    assert classify_link('{{< ref "kubepodnotready.md#diagnosis" >}}', here) == LinkTarget(
        "runbook", str(FIXTURES / "kubepodnotready.md"), "diagnosis"
    )
    assert classify_link("{{< relref kubepodnotready >}}", here).kind == "runbook"
    assert classify_link('{{< ref "missing.md" >}}', here) == LinkTarget("unsupported", "missing.md")


# --- matching -------------------------------------------------------------------------------------


def test_alert_matching_in_each_of_the_four_orders(tmp_path: Path) -> None:
    write(tmp_path, "llm-circuit-breaker-open.md", "# Breaker by file name\n")
    write(tmp_path, "answers-by-list.md", "---\nalerts: [LLMCircuitBreakerOpen, Other]\n---\n# By list\n")
    write(tmp_path, "cache_hit_rate_low.md", "# Cache by file name\n")
    write(tmp_path, "team/budget-page.md", "# Budget, by runbook_url\n")
    runbooks, errors = load_runbooks([tmp_path])
    assert errors == []

    found = match_alert("LLMCircuitBreakerOpen", {}, {}, runbooks)  # the list wins over the file name
    assert (found.rule, found.runbook.title) == ("alerts", "By list")
    found = match_alert("CacheHitRateLow", {}, {}, runbooks)  # camel case == snake case file name
    assert (found.rule, found.runbook.title) == ("filename", "Cache by file name")
    url = "https://wiki.example.com/runbooks/Budget-Page.md#mitigation"
    found = match_alert("LLMBudgetAtRisk", {}, {"runbook_url": url}, runbooks)
    assert (found.rule, found.runbook.title) == ("runbook_url", "Budget, by runbook_url")

    found = match_alert(
        "LLMQueueDeep",
        {"severity": "warning", "instance": "gw:9000"},
        {"summary": "Queue is deep", "description": "More than 50 requests wait.", "runbook_url": "https://x/y.md"},
        runbooks,
    )
    assert found.rule == "synthetic" and found.runbook.synthetic and found.runbook.path is None
    assert (found.runbook.title, found.runbook.severity) == ("Queue is deep", "warning")
    assert "More than 50 requests wait." in found.runbook.body and "https://x/y.md" in found.runbook.body
    assert [s.title for s in found.runbook.sections] == ["LLMQueueDeep", "Labels"]


def test_real_world_runbooks_match_by_file_name_and_extensionless_url() -> None:
    runbooks, _ = load_runbooks([FIXTURES])
    found = match_alert("KubePodCrashLooping", {}, {}, runbooks)
    assert (found.rule, found.runbook.path.name) == ("filename", "kubepodcrashlooping.md")
    url = "https://runbooks.prometheus-operator.dev/runbooks/kubernetes/kubepodnotready"
    found = match_alert("PodStuck", {}, {"runbook_url": url}, runbooks)
    assert (found.rule, found.runbook.path.name) == ("runbook_url", "kubepodnotready.md")


def test_shipped_runbooks_match_by_file_name_even_without_their_lists() -> None:
    runbooks, errors = load_runbooks([SHIPPED])
    assert errors == []
    stripped = [parse_runbook(r.body, r.path) for r in runbooks]  # same files, no front matter
    found = match_alert("LLMCircuitBreakerOpen", {}, {}, stripped)
    assert found.rule == "filename" and found.runbook.path.name == "llm-circuit-breaker-open.md"


# --- variables and untrusted text ------------------------------------------------------------------


def test_variables_are_filled_from_alert_labels() -> None:
    runbook = parse_runbook(BREAKER, Path("b.md"))
    labels = {"upstream": "openai", "instance": "gw:9000"}
    text = 'name="$UPSTREAM" ${UPSTREAM}/x $UPSTREAM_X $MISSING ${INSTANCE}'
    assert fill_variables(text, runbook, labels) == 'name="openai" openai/x $UPSTREAM_X $MISSING ${INSTANCE}'
    assert fill_variables("$UPSTREAM", runbook, {}) == "$UPSTREAM"  # the alert lacks the label
    hostile = {"upstream": 'a"b\x1b[2J'}
    assert fill_variables('name="$UPSTREAM"', runbook, hostile, escape=promql_string_escape) == 'name="a\\"b"'


def test_sanitize_strips_terminal_escape_sequences() -> None:
    assert sanitize_text("copy\x1b]52;c;cm0gLXJmIC8=\x07me") == "copyme"
    assert sanitize_text("a\x1b]52;c;eA==\x1b\\b") == "ab"
    assert sanitize_text("clear\x1b[2Jscreen\x1b[31mred\x1b[0m") == "clearscreenred"
    assert sanitize_text("bell\x07 c1\x9b31m del\x7f cr\r\nline\ttab") == "bell c1 del cr\nline\ttab"
    # 8-bit forms: C1 OSC ended by BEL or the C1 ST, C1 DCS, 7-bit OSC ended by the C1 ST; a lone ST.
    assert sanitize_text("a\x9d52;c;eA==\x07b\x9d8;;https://evil\x9cc\x90+q544e\x9cd\x1b]0;t\x9ce\x9cf") == "abcdef"
    assert sanitize_text("unterminated \x1b]0;title\nnext line") == "unterminated \nnext line"


def test_loaded_runbooks_are_sanitized(tmp_path: Path) -> None:
    path = write(tmp_path, "evil.md", "---\ntitle: \"Evil\\e[2J\"\nowner: \"\\x9b\\x07ops\"\n---\n# X\x1b]52;c;aGk=\x07\n\n```sh\n$ ls\x1b[2J\n```\n")
    runbook = load_runbook(path)
    assert "\x1b" not in runbook.title + runbook.body + runbook.shell_blocks[0].code
    # YAML's "\e" escape makes an ESC after the file was sanitized: the values are sanitized again
    assert (runbook.title, runbook.owner) == ("Evil", "ops")
    assert runbook.headings[0].title == "X"


# --- errors ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("front_matter", "expected"),
    [
        # line 1 is `---`; `severity: critical: high` is line 3 and its second colon column 19
        ("title: ok\nseverity: critical: high", "3:19: bad front matter: mapping values are not allowed here"),
        ("title: ok\nalerts: 5", "3:9: front matter alerts: expected a list of alert names, got 5"),
        ("title: ok\nalerts: [A, 5]", "3:13: front matter alerts: expected alert names, item 2 is 5"),
        ("last_reviewed: soon", "2:16: front matter last_reviewed: expected a date YYYY-MM-DD, got 'soon'"),
        ("variables: {UP: 3}", "2:17: front matter variables: UP: expected a label name, got 3"),
        ("- a\n- b", "2:1: front matter must be a mapping of keys to values"),
        ("title: a\nowner: o\ntitle: b", "4:1: duplicate key 'title' (first at line 2)"),
        ("variables:\n  UP: upstream\n  UP: model", "4:3: duplicate key 'UP' (first at line 3)"),
        ("a: &x [*x]", "2:1: bad front matter: a value holds itself (an alias inside its own anchor)"),
    ],
)
def test_bad_front_matter_names_file_line_and_column(tmp_path: Path, front_matter: str, expected: str) -> None:
    path = write(tmp_path, "bad.md", f"---\n{front_matter}\n---\n# T\n")
    with pytest.raises(RunbookError) as caught:
        load_runbook(path)
    assert str(caught.value) == f"{path}:{expected}"
    assert caught.value.exit_code == 2


def test_unclosed_front_matter_and_bad_toml(tmp_path: Path) -> None:
    with pytest.raises(RunbookError, match=r":1:1: front matter opened with '---' is never closed"):
        load_runbook(write(tmp_path, "open.md", "---\ntitle: x\n# T\n"))
    # TOML line 2 of the front matter is file line 3
    with pytest.raises(RunbookError, match=r"toml.md:3:\d+: bad front matter"):
        load_runbook(write(tmp_path, "toml.md", '+++\ntitle = "x"\nalerts = ]\n+++\n'))


def test_load_runbooks_collects_errors_and_keeps_the_good_ones(tmp_path: Path) -> None:
    write(tmp_path, "b-good.md", "# Zulu\n")
    write(tmp_path, "a-good.md", "---\ntitle: Alpha\n---\n")
    write(tmp_path, "sub/c-bad.md", "---\nalerts: 5\n---\n")
    write(tmp_path, "notes.txt", "# not a runbook\n")
    write(tmp_path, ".hidden/d.md", "# hidden\n")
    runbooks, errors = load_runbooks([tmp_path, tmp_path / "missing"])
    assert [r.title for r in runbooks] == ["Alpha", "Zulu"]
    assert [str(e) for e in errors] == [
        f"{tmp_path / 'sub' / 'c-bad.md'}:2:9: front matter alerts: expected a list of alert names, got 5",
        f"{tmp_path / 'missing'}:1:1: no such runbook directory",
    ]


def test_unreadable_runbook_is_an_error_not_a_crash(tmp_path: Path) -> None:
    (tmp_path / "a-directory.md").mkdir()
    with pytest.raises(RunbookError, match=r"a-directory.md:1:1: cannot read runbook: Is a directory"):
        load_runbook(tmp_path / "a-directory.md")

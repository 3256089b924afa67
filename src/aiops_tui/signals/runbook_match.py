"""Which runbook answers an alert (by `alerts:` list, file name, `runbook_url`, else a synthetic one
from the alert's own text), and filling `$VARIABLES` from the alert's labels."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Callable, Literal, Mapping, Sequence
from urllib.parse import unquote, urlsplit

from aiops_tui.signals.runbook_doc import Runbook, parse_runbook, sanitize_text

MatchRule = Literal["alerts", "filename", "runbook_url", "synthetic"]


@dataclass(frozen=True, slots=True)
class Match:
    runbook: Runbook
    rule: MatchRule
    """Which rule found it: the runbook's `alerts:` list, its file name, the alert's `runbook_url`
    basename, or "synthetic" (no file: a runbook made from the alert's summary and description)."""


def name_key(name: str) -> str:
    """Compare names ignoring case, dashes, underscores and dots: `LLMCircuitBreakerOpen` ==
    `llm-circuit-breaker-open` == `llm_circuit_breaker_open`."""
    return re.sub(r"[^0-9a-z]", "", name.casefold())


def url_basename(url: str) -> str:
    """Last path segment of a runbook URL without its extension (`.../runbooks/x.md#y` -> `x`)."""
    segments = [segment for segment in unquote(urlsplit(url.strip()).path).split("/") if segment]
    if not segments:
        return ""
    last = segments[-1]
    return PurePosixPath(last).stem if last.lower().endswith((".md", ".html", ".htm")) else last


def match_alert(
    alert_name: str,
    labels: Mapping[str, str],
    annotations: Mapping[str, str],
    runbooks: Sequence[Runbook],
) -> Match:
    """Resolve an alert to a runbook; the first rule that finds one wins (runbooks in given order)."""
    for runbook in runbooks:
        if alert_name in runbook.alerts:
            return Match(runbook, "alerts")
    wanted = name_key(alert_name)
    for runbook in runbooks:
        if runbook.path is not None and wanted and name_key(runbook.path.stem) == wanted:
            return Match(runbook, "filename")
    url_key = name_key(url_basename(annotations.get("runbook_url", "")))
    for runbook in runbooks:
        if runbook.path is not None and url_key and name_key(runbook.path.stem) == url_key:
            return Match(runbook, "runbook_url")
    return Match(synthetic_runbook(alert_name, labels, annotations), "synthetic")


def synthetic_runbook(alert_name: str, labels: Mapping[str, str], annotations: Mapping[str, str]) -> Runbook:
    """A one-section runbook built from the alert itself, so the pane always has something to show."""

    def clean(value: str) -> str:
        return sanitize_text(str(value)).strip()

    summary = clean(annotations.get("summary", "") or annotations.get("message", ""))
    description = clean(annotations.get("description", ""))
    lines = [f"# {clean(alert_name)}", ""]
    if summary:
        lines += [summary, ""]
    if description:
        lines += [description, ""]
    if not summary and not description:
        lines += ["No runbook matches this alert and it carries no summary or description.", ""]
    url = clean(annotations.get("runbook_url", ""))
    if url:
        lines += [f"Runbook URL (not found locally): <{url}>", ""]
    if labels:
        lines += ["## Labels", ""]
        lines += [f"- `{clean(k)}`: `{clean(v)}`" for k, v in sorted(labels.items())]
        lines.append("")
    runbook = parse_runbook("\n".join(lines), None, name_for_errors=f"<alert {alert_name}>", synthetic=True)
    return Runbook(
        path=None,
        title=summary or clean(alert_name),
        alerts=(alert_name,),
        severity=clean(labels.get("severity", "")),
        body=runbook.body,
        sections=runbook.sections,
        headings=runbook.headings,
        synthetic=True,
    )


_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)")


def fill_variables(
    text: str,
    runbook: Runbook,
    alert_labels: Mapping[str, str],
    *,
    escape: Callable[[str], str] | None = None,
) -> str:
    """Replace `$VAR` / `${VAR}` with the alert label the runbook's `variables` maps VAR to; a
    variable with no mapping or no such label stays as written. `escape` quotes each value (for
    example a PromQL string escaper); values are always stripped of control characters."""

    def replace(found: re.Match[str]) -> str:
        name = found[1] or found[2]
        label = runbook.variables.get(name)
        if label is None or label not in alert_labels:
            return found[0]
        value = sanitize_text(str(alert_labels[label])).replace("\n", " ")
        return escape(value) if escape else value

    return _VARIABLE.sub(replace, text)


def promql_string_escape(value: str) -> str:
    """Escape a value for use inside a double-quoted PromQL string (`name="$UPSTREAM"`)."""
    return value.replace("\\", "\\\\").replace('"', '\\"')

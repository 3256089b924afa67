"""Runbooks, the public face: load markdown runbooks, match alerts to them, and prepare their text
for the viewer. The work lives in runbook_doc (parsing), runbook_match and runbook_text."""

from __future__ import annotations

from aiops_tui.signals.runbook_doc import (
    CodeBlock,
    Heading,
    Runbook,
    RunbookError,
    Section,
    Step,
    github_slug,
    load_runbook,
    load_runbooks,
    parse_runbook,
    sanitize_text,
)
from aiops_tui.signals.runbook_match import (
    Match,
    fill_variables,
    match_alert,
    name_key,
    promql_string_escape,
    synthetic_runbook,
)
from aiops_tui.signals.runbook_text import LinkTarget, classify_link, preprocess_for_render, shell_copy_text

__all__ = [
    "CodeBlock",
    "Heading",
    "LinkTarget",
    "Match",
    "Runbook",
    "RunbookError",
    "Section",
    "Step",
    "classify_link",
    "fill_variables",
    "github_slug",
    "load_runbook",
    "load_runbooks",
    "match_alert",
    "name_key",
    "parse_runbook",
    "preprocess_for_render",
    "promql_string_escape",
    "sanitize_text",
    "shell_copy_text",
    "synthetic_runbook",
]

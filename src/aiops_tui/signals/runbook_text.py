"""Turning runbook markdown into what the viewer needs: copyable shell commands, classified links,
and a body with Hugo shortcodes and `<details>` tags made readable."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import unquote, urlsplit

from aiops_tui.signals.runbook_doc import CONSOLE_LANGS, CodeBlock, sanitize_text

# --- shell blocks -------------------------------------------------------------------------------

_HEREDOC = re.compile(r"<<-?\s*(['\"]?)([A-Za-z_][A-Za-z0-9_]*)\1")


def _prompt_command(line: str, console: bool) -> str | None:
    """The command after a `$ ` (or, in console blocks, a root `# `) prompt; None if no prompt."""
    stripped = line.lstrip()
    if stripped == "$" or (console and stripped == "#"):
        return ""
    if stripped.startswith("$ ") or (console and stripped.startswith("# ")):
        return stripped[2:]
    return None


def shell_copy_text(block: CodeBlock) -> str:
    """The commands to copy from a shell block: prompts stripped, sample output dropped, continuation
    and here-document lines kept. A block without prompts is copied as written."""
    console = block.lang in CONSOLE_LANGS
    lines = block.code.rstrip("\n").split("\n")
    if not any(_prompt_command(line, console) is not None for line in lines):
        return block.code
    kept: list[str] = []
    continuing = False
    heredoc_end: str | None = None
    for line in lines:
        if heredoc_end is not None:
            kept.append(line)
            if line.strip() == heredoc_end:
                heredoc_end = None
            continuing = False
            continue
        if continuing:
            kept.append(line)
        else:
            command = _prompt_command(line, console)
            if command is None:
                continue  # sample output
            if not command.strip():
                continue
            line = command
            kept.append(line)
        continuing = line.rstrip().endswith("\\")
        heredoc = _HEREDOC.search(line)
        if heredoc and not continuing:
            heredoc_end = heredoc[2]
    return "\n".join(kept) + "\n" if kept else ""


# --- links --------------------------------------------------------------------------------------

LinkKind = Literal["external", "runbook", "anchor", "file", "unsupported"]


@dataclass(frozen=True, slots=True)
class LinkTarget:
    """What a link points at. `target`: the URL (external), a resolved path (runbook, file), the
    anchor (anchor), or the link text as written (unsupported); `anchor` for `x.md#anchor`."""

    kind: LinkKind
    target: str
    anchor: str = ""


_SHORTCODE = re.compile(r"\{\{([<%])\s*(/?)\s*([A-Za-z0-9_.-]+)((?:[^}]|\}(?!\}))*?)\s*[>%]\}\}")
_FIRST_ARG = re.compile(r"\s*(?:\"([^\"]*)\"|'([^']*)'|`([^`]*)`|(\S+))")
_EXTERNAL_SCHEMES = frozenset({"http", "https", "mailto"})
_REF_SHORTCODES = frozenset({"ref", "relref"})


def _shortcode_ref(href: str) -> str | None:
    """The path inside `{{< ref "x.md" >}}` / `{{% relref "x.md#a" %}}`, or None."""
    found = _SHORTCODE.fullmatch(href.strip())
    if not found or found[3] not in _REF_SHORTCODES:
        return None
    arg = _FIRST_ARG.match(found[4])
    return next((group for group in arg.groups() if group), None) if arg else None


def _resolve_ref(ref: str, current_path: Path) -> Path | None:
    """Hugo resolves refs against the content tree; near enough: beside the current runbook, then
    by file name beside it."""
    path_part = ref.split("#", 1)[0]
    if not path_part:
        return None
    if not path_part.lower().endswith(".md"):
        path_part += ".md"
    here = current_path.parent
    for candidate in (here / path_part.lstrip("/"), here / Path(path_part).name):
        if candidate.is_file():
            return Path(os.path.normpath(candidate))
    return None


def classify_link(href: str, current_path: Path | str | None) -> LinkTarget:
    """Say what a link in a runbook points at; nothing here opens or fetches anything."""
    raw = sanitize_text(href).strip()
    current = Path(current_path) if current_path else Path("runbook.md")
    shortcode = _shortcode_ref(unquote(raw))
    if shortcode is not None:
        resolved = _resolve_ref(shortcode, current)
        anchor = shortcode.split("#", 1)[1] if "#" in shortcode else ""
        if resolved is None:
            return LinkTarget("unsupported", shortcode, anchor)
        return LinkTarget("runbook", str(resolved), anchor)
    if not raw:
        return LinkTarget("unsupported", raw)
    compact = re.sub(r"[\s\x00-\x1f]", "", raw)  # browsers ignore these inside "java script:"
    parts = urlsplit(compact)
    if parts.scheme:
        scheme = parts.scheme.lower()
        if scheme in _EXTERNAL_SCHEMES:
            return LinkTarget("external", raw)
        if len(scheme) == 1 and re.match(r"[A-Za-z]:[\\/]", compact):  # C:\ path, not a scheme
            return LinkTarget("file", raw)
        return LinkTarget("unsupported", raw)
    if parts.netloc:  # //host/path
        return LinkTarget("external", raw)
    path_text, _, anchor = raw.partition("#")
    anchor = unquote(anchor)
    if not path_text:
        return LinkTarget("anchor", anchor, anchor)
    path_text = unquote(path_text.split("?", 1)[0])
    resolved = Path(os.path.normpath(current.parent / path_text))
    kind: LinkKind = "runbook" if resolved.suffix.lower() == ".md" else "file"
    return LinkTarget(kind, str(resolved), anchor)


# --- rendering ----------------------------------------------------------------------------------

_FENCE = re.compile(r"^\s*(`{3,}|~{3,})(.*)$")
_DETAILS_TAG = re.compile(r"</?details(?:\s[^>]*)?>", re.IGNORECASE)
_SUMMARY = re.compile(r"<summary(?:\s[^>]*)?>(.*?)</summary>", re.IGNORECASE)
_SUMMARY_TAG = re.compile(r"</?summary(?:\s[^>]*)?>", re.IGNORECASE)
_ANY_TAG = re.compile(r"<[^>]*>")


def _render_shortcode(found: re.Match[str], line: str) -> str:
    if found[3] not in _REF_SHORTCODES or found[2]:
        return ""  # other shortcodes ({{< hint >}} ... {{< /hint >}}): keep only what they wrap
    arg = _FIRST_ARG.match(found[4])
    ref = next((group for group in arg.groups() if group), "") if arg else ""
    if not ref:
        return ""
    destination = ref.replace(" ", "%20")
    if line[max(0, found.start() - 2) : found.start()] == "](":
        return destination  # already inside a link: [text]({{< ref "x.md" >}})
    return f"[{ref}]({destination})"


def _render_line(line: str) -> str:
    line = _SHORTCODE.sub(lambda found: _render_shortcode(found, line), line)
    had_details = bool(_DETAILS_TAG.search(line))
    line = _DETAILS_TAG.sub("", line)
    summary = _SUMMARY.search(line)
    if summary:
        title = _ANY_TAG.sub("", summary[1]).strip()
        line = line[: summary.start()] + (f"**{title}**" if title else "") + line[summary.end() :]
        if title and line.rstrip().endswith("**"):
            # Two trailing spaces make a hard break: the text under the summary starts a new line.
            line = line.rstrip() + "  "
    else:
        line = _SUMMARY_TAG.sub("", line)
    return "" if had_details and not line.strip() else line


def preprocess_for_render(body: str) -> str:
    """Make a runbook body renderable as plain GitHub markdown, line for line (line numbers keep):
    Hugo shortcodes become text or links, `<details>` tags go and `<summary>` becomes a bold line.
    Fenced code is left alone. The result is markdown, not Rich markup: escape before any markup."""
    out: list[str] = []
    fence: str | None = None
    for line in body.split("\n"):
        found = _FENCE.match(line)
        if fence is None and found:
            fence = found[1]
        elif fence is not None:
            closes = found and found[1][0] == fence[0] and len(found[1]) >= len(fence) and not found[2].strip()
            if closes:
                fence = None
        else:
            line = _render_line(line)
        out.append(line)
    return "\n".join(out)

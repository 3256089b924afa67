"""A runbook body made ready for the viewer, line for line: shortcodes and `<details>` made readable,
`$VARIABLES` filled, task markers drawn as ☐/☑, then cut into chunks of whole blocks to render one by one."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from markdown_it import MarkdownIt

from aiops_tui.signals.runbooks import Heading, Runbook, fill_variables, preprocess_for_render

CHUNK_CHARS = 4000
"""About a screen of markdown: the first chunk shows at once, the others are rendered when needed."""
TICKED, UNTICKED = "☑", "☐"

_ATX_H1 = re.compile(r"^ {0,3}#(?:\s|$)")
_TASK_MARKER = re.compile(r"^(\s*(?:[-*+]|\d{1,9}[.)])\s+)(?:\[[ xX]\]|[☐☑])(?=\s|$)")
_BLOCKS = MarkdownIt("commonmark").enable("table").disable(["inline", "text_join"])


@dataclass(frozen=True, slots=True)
class Chunk:
    """Whole top-level blocks of the body: `first_line` is the file line of its first line."""

    first_line: int
    lines: tuple[str, ...]

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    @property
    def last_line(self) -> int:
        return self.first_line + len(self.lines) - 1

    def holds(self, line: int) -> bool:
        return self.first_line <= line <= self.last_line


def render_lines(runbook: Runbook, labels: Mapping[str, str], ticked: Mapping[int, bool]) -> list[str]:
    """The body as the viewer shows it, one entry per body line (so file line = body_line + index)."""
    lines = fill_variables(preprocess_for_render(runbook.body), runbook, labels).split("\n")
    title = title_heading(runbook)
    if title is not None:
        lines[title.line - runbook.body_line] = ""  # the header above the viewer already says it
    for step in runbook.steps:
        index = step.line - runbook.body_line
        if 0 <= index < len(lines):
            lines[index] = task_line(lines[index], ticked.get(step.index, step.done))
    return lines


def title_heading(runbook: Runbook) -> Heading | None:
    """The `# Title` line that opens the body and repeats the runbook's title, if there is one."""
    if not runbook.headings:
        return None
    first = runbook.headings[0]
    index = first.line - runbook.body_line
    lines = runbook.body.split("\n", index + 1)
    if first.level != 1 or first.title != runbook.title or index >= len(lines) or not _ATX_H1.match(lines[index]):
        return None
    if any(line.strip() for line in lines[:index]):
        return None
    return first


def task_line(line: str, done: bool) -> str:
    """A task item's line with its `[ ]` (or a box drawn before) drawn as a box: Textual's Markdown has no task lists."""
    return _TASK_MARKER.sub(lambda m: m[1] + (TICKED if done else UNTICKED), line, count=1)


def split_chunks(runbook: Runbook, lines: list[str], chunk_chars: int = CHUNK_CHARS) -> list[Chunk]:
    """Cut the body at section starts, and long sections at top-level block starts, then join the
    pieces back into chunks of about `chunk_chars` (never splitting a list, fence or table)."""
    base = runbook.body_line
    starts = sorted({0, *(s.line - base for s in runbook.sections if 0 < s.line - base < len(lines))})
    pieces: list[tuple[int, int]] = []
    for start, end in zip(starts, [*starts[1:], len(lines)]):
        pieces.extend(_block_pieces(lines, start, end, chunk_chars))
    chunks: list[Chunk] = []
    group_start, size = None, 0
    for start, end in pieces:
        piece_chars = sum(len(line) + 1 for line in lines[start:end])
        if group_start is not None and size + piece_chars > chunk_chars:
            chunks.append(Chunk(base + group_start, tuple(lines[group_start:start])))
            group_start, size = None, 0
        if group_start is None:
            group_start = start
        size += piece_chars
    if group_start is not None:
        chunks.append(Chunk(base + group_start, tuple(lines[group_start:])))
    return [c for c in chunks if any(line.strip() for line in c.lines)] or [Chunk(base, tuple(lines))]


def _block_pieces(lines: list[str], start: int, end: int, chunk_chars: int) -> Iterable[tuple[int, int]]:
    if sum(len(line) + 1 for line in lines[start:end]) <= chunk_chars:
        yield start, end
        return
    tokens = _BLOCKS.parse("\n".join(lines[start:end]))
    cuts = sorted({0, *(t.map[0] for t in tokens if t.level == 0 and t.nesting >= 0 and t.map)})
    for a, b in zip(cuts, [*cuts[1:], end - start]):
        if b > a:
            yield start + a, start + b


def chunk_index(chunks: list[Chunk], line: int) -> int:
    """The chunk holding a file line (the last one starting at or before it)."""
    found = 0
    for index, chunk in enumerate(chunks):
        if chunk.first_line <= line:
            found = index
    return found

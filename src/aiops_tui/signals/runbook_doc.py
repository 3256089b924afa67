"""A runbook as a parsed document: front matter, sections, task steps and code blocks, with every
line number counted in the file, and loading from disk with errors as `file:line:column: message`."""

from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Mapping

import yaml
from markdown_it import MarkdownIt

from aiops_tui.errors import UserError
from aiops_tui.yaml_keys import DuplicateKeyError, refuse_duplicate_keys

MAX_RUNBOOK_BYTES = 5_000_000
SHELL_LANGS = frozenset({"sh", "bash", "shell", "console", "zsh", "shell-session", "shellsession"})
CONSOLE_LANGS = frozenset({"console", "shell-session", "shellsession"})
PROMQL_LANGS = frozenset({"promql"})


class RunbookError(UserError):
    """A runbook that cannot be loaded; the message starts with `file:line:column:`."""

    def __init__(self, path: Path | str, line: int, column: int, message: str) -> None:
        self.path = str(path)
        self.line = line
        self.column = column
        self.message = message
        super().__init__(f"{path}:{line}:{column}: {message}")


# --- untrusted text -------------------------------------------------------------------------

# Each sequence in its 7-bit (ESC x) and 8-bit (one C1 byte) form, so no "31m" tail is left behind.
_ESCAPE_SEQUENCE = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?"  # CSI: cursor moves, screen clears, colours
    # OSC/DCS/SOS/PM/APC up to BEL or ST (OSC 52 = clipboard), or to the end of the line
    r"|(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c\n]*(?:\x07|\x1b\\|\x9c)?"
    r"|\x1b[ -/]*[0-~]?"  # any other escape, or a lone ESC
)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def sanitize_text(text: str) -> str:
    """Drop terminal control sequences and characters (keeping tab and newline) from untrusted text."""
    text = text.replace("\r\n", "\n")
    return _CONTROL.sub("", _ESCAPE_SEQUENCE.sub("", text))


# --- records ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Heading:
    level: int
    title: str
    anchor: str
    line: int


@dataclass(frozen=True, slots=True)
class Section:
    """A level 1-2 heading and everything up to the next one (`level` 0: text before any heading)."""

    title: str
    anchor: str
    level: int
    line: int
    end_line: int
    text: str


@dataclass(frozen=True, slots=True)
class Step:
    """A task item (`- [ ]`); `index` counts steps through the whole runbook from 0."""

    index: int
    text: str
    line: int
    anchor: str
    done: bool = False


@dataclass(frozen=True, slots=True)
class CodeBlock:
    """A fenced block; `line` is the opening fence, `step_index` the task item it is nested in."""

    lang: str
    info: str
    code: str
    line: int
    anchor: str
    step_index: int | None = None


@dataclass(frozen=True)
class Runbook:
    path: Path | None
    title: str
    alerts: tuple[str, ...] = ()
    severity: str = ""
    owner: str = ""
    variables: Mapping[str, str] = field(default_factory=dict)
    last_reviewed: date | None = None
    body: str = ""
    body_line: int = 1
    """File line of the body's first line (after the front matter)."""
    sections: tuple[Section, ...] = ()
    headings: tuple[Heading, ...] = ()
    steps: tuple[Step, ...] = ()
    promql_blocks: tuple[CodeBlock, ...] = ()
    shell_blocks: tuple[CodeBlock, ...] = ()
    synthetic: bool = False
    """Built from an alert's annotations because no runbook file matched."""

    def review_overdue(self, today: date, max_age_days: int = 180) -> bool:
        """True when the last review is older than `max_age_days` (False when never dated)."""
        return self.last_reviewed is not None and (today - self.last_reviewed).days > max_age_days

    def anchor_line(self, anchor: str) -> int | None:
        """File line of the heading with this anchor (exact, then case-insensitive), or None."""
        anchor = anchor.lstrip("#")
        for wanted in (lambda h: h.anchor == anchor, lambda h: h.anchor.casefold() == anchor.casefold()):
            for heading in self.headings:
                if wanted(heading):
                    return heading.line
        return None

    def section_index(self, line: int) -> int:
        """Index of the section holding a file line (0 when the line precedes every section)."""
        found = 0
        for index, section in enumerate(self.sections):
            if section.line <= line:
                found = index
        return found


# --- front matter -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FrontMatter:
    data: dict[str, Any]
    nodes: dict[str, Any]
    """Key -> YAML value node (for positions); empty for TOML."""
    first_line: int
    """File line of the front matter's first content line."""
    body: str
    body_line: int


def split_front_matter(text: str, path: Path | str) -> FrontMatter:
    """Strip a leading `---` YAML (or `+++` TOML) block; a file without one is all body."""
    lines = text.split("\n")
    opener = lines[0].rstrip() if lines else ""
    if opener not in ("---", "+++"):
        return FrontMatter({}, {}, 1, text, 1)
    closers = ("---", "...") if opener == "---" else ("+++",)
    for index in range(1, len(lines)):
        if lines[index].rstrip() in closers:
            break
    else:
        raise RunbookError(path, 1, 1, f"front matter opened with {opener!r} is never closed")
    source = "\n".join(lines[1:index])
    body = "\n".join(lines[index + 1 :])
    if opener == "+++":
        return FrontMatter(_sanitize_values(_parse_toml(source, path)), {}, 2, body, index + 2)
    data, nodes = _parse_yaml(source, path)
    try:
        data = _sanitize_values(data)
    except RecursionError:  # `a: &x [*x]` builds a list holding itself
        message = "bad front matter: a value holds itself (an alias inside its own anchor)"
        raise RunbookError(path, 2, 1, message) from None
    return FrontMatter(data, nodes, 2, body, index + 2)


def _sanitize_values(value: Any) -> Any:
    """YAML and TOML escapes (`"\\e"`, `"\\u001b"`) bring back what sanitizing the file removed."""
    if isinstance(value, str):
        return sanitize_text(value)
    if isinstance(value, dict):
        return {_sanitize_values(k): _sanitize_values(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_sanitize_values(v) for v in value]
    return value


def _compose_and_construct(source: str) -> tuple[yaml.Node | None, Any]:
    loader = yaml.SafeLoader(source)
    try:
        node = loader.get_single_node()
        refuse_duplicate_keys(node)  # safe_load would keep the last value without a word
        return node, (loader.construct_document(node) if node is not None else None)
    finally:
        loader.dispose()


def _parse_yaml(source: str, path: Path | str) -> tuple[dict[str, Any], dict[str, Any]]:
    try:
        node, data = _compose_and_construct(source)
    except DuplicateKeyError as exc:
        mark = exc.node.start_mark
        raise RunbookError(path, mark.line + 2, mark.column + 1, exc.message(line_offset=2)) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 2, mark.column + 1) if mark else (2, 1)
        problem = " ".join(part for part in (exc.context, exc.problem) if part)
        raise RunbookError(path, line, column, f"bad front matter: {problem}") from None
    except yaml.YAMLError as exc:
        raise RunbookError(path, 2, 1, f"bad front matter: {exc}") from None
    except RecursionError:
        raise RunbookError(path, 2, 1, "bad front matter: nested too deeply") from None
    if data is None:
        return {}, {}
    if not isinstance(data, dict) or not isinstance(node, yaml.MappingNode):
        raise RunbookError(path, 2, 1, "front matter must be a mapping of keys to values")
    nodes = {key.value: value for key, value in node.value if isinstance(key, yaml.ScalarNode)}
    return {str(k): v for k, v in data.items()}, nodes


def _parse_toml(source: str, path: Path | str) -> dict[str, Any]:
    try:
        return tomllib.loads(source)
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
        line, column = (int(found[1]) + 1, int(found[2])) if found else (2, 1)
        message = re.sub(r"\s*\(at line.*\)$", "", str(exc))
        raise RunbookError(path, line, column, f"bad front matter: {message}") from None


@dataclass(frozen=True, slots=True)
class _Meta:
    title: str = ""
    alerts: tuple[str, ...] = ()
    severity: str = ""
    owner: str = ""
    variables: Mapping[str, str] = field(default_factory=dict)
    last_reviewed: date | None = None


def _validate(front: FrontMatter, path: Path | str) -> _Meta:
    def fail(key: str, message: str, inner: int | str | None = None) -> RunbookError:
        """An error at the value of `key` (or at its list item / mapping value `inner`)."""
        node = front.nodes.get(key)
        if isinstance(node, yaml.SequenceNode) and isinstance(inner, int) and inner < len(node.value):
            node = node.value[inner]
        elif isinstance(node, yaml.MappingNode) and isinstance(inner, str):
            node = next((v for k, v in node.value if getattr(k, "value", None) == inner), node)
        if node is None:
            return RunbookError(path, front.first_line, 1, f"front matter {key}: {message}")
        mark = node.start_mark
        return RunbookError(path, mark.line + front.first_line, mark.column + 1, f"front matter {key}: {message}")

    data = front.data

    def text(key: str) -> str:
        value = data.get(key)
        if value is None:
            return ""
        if isinstance(value, (dict, list)):
            raise fail(key, f"expected text, got {type(value).__name__}")
        return str(value).strip()

    alerts_raw = data.get("alerts")
    if alerts_raw is None:
        alerts: tuple[str, ...] = ()
    elif isinstance(alerts_raw, str):
        alerts = (alerts_raw.strip(),)
    elif isinstance(alerts_raw, list):
        for item, value in enumerate(alerts_raw):
            if not isinstance(value, str) or not value.strip():
                raise fail("alerts", f"expected alert names, item {item + 1} is {value!r}", item)
        alerts = tuple(value.strip() for value in alerts_raw)
    else:
        raise fail("alerts", f"expected a list of alert names, got {alerts_raw!r}")

    variables_raw = data.get("variables") or {}
    if not isinstance(variables_raw, dict):
        raise fail("variables", f"expected a mapping VAR: label, got {variables_raw!r}")
    variables: dict[str, str] = {}
    for name, label in variables_raw.items():
        if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            raise fail("variables", f"{name!r} is not a variable name", str(name))
        if not isinstance(label, str) or not label:
            raise fail("variables", f"{name}: expected a label name, got {label!r}", name)
        variables[name] = label

    reviewed_raw = data.get("last_reviewed")
    if isinstance(reviewed_raw, datetime):
        last_reviewed: date | None = reviewed_raw.date()
    elif reviewed_raw is None or isinstance(reviewed_raw, date):
        last_reviewed = reviewed_raw
    else:
        try:
            last_reviewed = date.fromisoformat(str(reviewed_raw).strip())
        except ValueError:
            raise fail("last_reviewed", f"expected a date YYYY-MM-DD, got {reviewed_raw!r}") from None

    return _Meta(text("title"), alerts, text("severity"), text("owner"), variables, last_reviewed)


# --- markdown structure -----------------------------------------------------------------------

_TASK = re.compile(r"\[([ xX])\]\s")
_BLOCK_PARSER = MarkdownIt("commonmark").enable("table").disable(["inline", "text_join"])
_INLINE_PARSER = MarkdownIt("commonmark")


def github_slug(text: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, each space a dash."""
    kept = (
        ch
        for ch in text.lower()
        if ch in " -_" or unicodedata.category(ch)[0] in "LNM" or unicodedata.category(ch) == "Pc"
    )
    return "".join(kept).replace(" ", "-")


def heading_text(source: str) -> str:
    """Plain text of a heading's inline markdown (code spans and link text kept, markup dropped)."""
    parts: list[str] = []
    for token in _INLINE_PARSER.parseInline(source):
        for child in token.children or []:
            if child.type in ("text", "code_inline"):
                parts.append(child.content)
            elif child.type in ("softbreak", "hardbreak"):
                parts.append(" ")
    return "".join(parts).strip()


def fence_lang(info: str) -> str:
    """Language of a fence's info string: ```sh {"name":"x"}, ```{.bash}, ```Shell title=x."""
    info = info.strip()
    if info.startswith("{"):
        info = info[1:].lstrip(".")
    word = re.split(r"[\s{},]", info, maxsplit=1)[0] if info else ""
    return word.lower()


def parse_runbook(
    text: str, path: Path | None, *, name_for_errors: str | None = None, synthetic: bool = False
) -> Runbook:
    """Build a runbook from markdown text (already sanitized or not: it is sanitized here)."""
    where = name_for_errors or (str(path) if path else "<runbook>")
    text = sanitize_text(text).removeprefix("\ufeff")
    front = split_front_matter(text, where)
    meta = _validate(front, where)
    structure = _Structure(front.body, front.body_line)
    title = meta.title or structure.first_h1 or (path.stem if path else "untitled")
    return Runbook(
        path=path,
        title=title,
        alerts=meta.alerts,
        severity=meta.severity,
        owner=meta.owner,
        variables=meta.variables,
        last_reviewed=meta.last_reviewed,
        body=front.body,
        body_line=front.body_line,
        sections=tuple(structure.sections),
        headings=tuple(structure.headings),
        steps=tuple(structure.steps),
        promql_blocks=tuple(b for b in structure.blocks if b.lang in PROMQL_LANGS),
        shell_blocks=tuple(b for b in structure.blocks if b.lang in SHELL_LANGS),
        synthetic=synthetic,
    )


class _Structure:
    """One walk over the block tokens collecting headings, sections, steps and fences."""

    def __init__(self, body: str, body_line: int) -> None:
        self.headings: list[Heading] = []
        self.sections: list[Section] = []
        self.steps: list[Step] = []
        self.blocks: list[CodeBlock] = []
        self.first_h1 = ""
        lines = body.split("\n")
        tokens = _BLOCK_PARSER.parse(body)
        slug_counts: dict[str, int] = {}
        section_starts: list[tuple[int, Heading | None]] = []
        section_anchor = ""
        open_items: list[int | None] = []  # the step index of each open list item, innermost last

        for position, token in enumerate(tokens):
            if token.type == "heading_open" and token.map:
                title = heading_text(tokens[position + 1].content)
                heading = Heading(int(token.tag[1]), title, _unique(github_slug(title), slug_counts),
                                  token.map[0] + body_line)
                self.headings.append(heading)
                if heading.level == 1 and not self.first_h1:
                    self.first_h1 = title
                if heading.level <= 2 and token.level == 0:
                    section_starts.append((token.map[0], heading))
                    section_anchor = heading.anchor
            elif token.type == "list_item_open":
                open_items.append(None)
            elif token.type == "list_item_close":
                open_items.pop()
            elif token.type == "inline" and open_items and position >= 2 and token.map:
                if tokens[position - 1].type == "paragraph_open" and tokens[position - 2].type == "list_item_open":
                    task = _TASK.match(token.content)
                    if task:
                        step = Step(len(self.steps), " ".join(token.content[task.end():].split()),
                                    tokens[position - 2].map[0] + body_line, section_anchor, task[1] != " ")
                        self.steps.append(step)
                        open_items[-1] = step.index
            elif token.type == "fence" and token.map:
                step_index = next((item for item in reversed(open_items) if item is not None), None)
                self.blocks.append(CodeBlock(fence_lang(token.info), token.info.strip(), token.content,
                                             token.map[0] + body_line, section_anchor, step_index))

        self._split_sections(lines, section_starts, body_line)

    def _split_sections(self, lines: list[str], starts: list[tuple[int, Heading | None]], body_line: int) -> None:
        if not starts or starts[0][0] > 0:
            first = starts[0][0] if starts else len(lines)
            if any(line.strip() for line in lines[:first]):
                starts.insert(0, (0, None))
        for number, (start, heading) in enumerate(starts):
            end = starts[number + 1][0] if number + 1 < len(starts) else len(lines)
            text = "\n".join(lines[start:end])
            if heading is None:
                self.sections.append(Section("", "", 0, start + body_line, end - 1 + body_line, text))
            else:
                self.sections.append(Section(heading.title, heading.anchor, heading.level,
                                             start + body_line, end - 1 + body_line, text))


def _unique(slug: str, counts: dict[str, int]) -> str:
    # github-slugger: the second "Diagnosis" becomes "diagnosis-1", skipping slugs already taken.
    result = slug
    while result in counts:
        counts[slug] += 1
        result = f"{slug}-{counts[slug]}"
    counts[result] = 0
    return result


# --- loading ----------------------------------------------------------------------------------


def load_runbook(path: Path | str) -> Runbook:
    """Read and parse one runbook file; raises RunbookError (`file:line:column: message`)."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_RUNBOOK_BYTES:
            raise RunbookError(path, 1, 1, f"runbook is {size} bytes, more than the {MAX_RUNBOOK_BYTES} read")
        raw = path.read_bytes()
    except OSError as exc:
        raise RunbookError(path, 1, 1, f"cannot read runbook: {exc.strerror or exc}") from None
    return parse_runbook(raw.decode("utf-8", errors="replace"), path)


def load_runbooks(dirs: list[Path | str] | tuple[Path | str, ...]) -> tuple[list[Runbook], list[RunbookError]]:
    """Load every `.md` under the given directories (or files), sorted by title; bad files become
    errors beside the good runbooks instead of stopping the load."""
    runbooks: list[Runbook] = []
    errors: list[RunbookError] = []
    seen: set[Path] = set()
    for entry in dirs:
        root = Path(entry)
        if root.is_file():
            files = [root]
        elif root.is_dir():
            files = sorted(
                p for p in root.rglob("*")
                if p.suffix.lower() == ".md" and p.is_file()
                and not any(part.startswith(".") for part in p.relative_to(root).parts)
            )
        else:
            errors.append(RunbookError(root, 1, 1, "no such runbook directory"))
            continue
        for file in files:
            if file.resolve() in seen:
                continue
            seen.add(file.resolve())
            try:
                runbooks.append(load_runbook(file))
            except RunbookError as exc:
                errors.append(exc)
    runbooks.sort(key=lambda r: (r.title.casefold(), str(r.path)))
    return runbooks, errors

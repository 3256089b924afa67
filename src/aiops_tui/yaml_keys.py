"""YAML shared by the loaders: duplicate keys in mappings, refused at the second key (the config loader and
runbook front matter both say `duplicate key 'x' (first at line N)` at the same place), and a fast safe load."""

from __future__ import annotations

from typing import Any, Callable

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

_FAST_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def safe_load(text: str) -> Any:
    """`yaml.safe_load` through libyaml when PyYAML has it: the themes and prices read at start, ~10x faster."""
    return yaml.load(text, Loader=_FAST_LOADER)  # noqa: S506 - a safe loader


def quote(text: str) -> str:
    """A value shown in a message: quoted, cut to 40 characters."""
    return repr(text if len(text) <= 40 else text[:37] + "...")


class DuplicateKeyError(ValueError):
    """A key written twice in one mapping; `node` is the second key, `first` the first one."""

    def __init__(self, key: str, node: Node, first: Node) -> None:
        self.key, self.node, self.first = key, node, first
        super().__init__(self.message())

    def message(self, line_offset: int = 1) -> str:
        """The one-line reason; `line_offset` turns the 0-based mark line into the file's line."""
        return f"duplicate key {quote(self.key)} (first at line {self.first.start_mark.line + line_offset})"


def _scalar_text(node: Node) -> str | None:
    return node.value if isinstance(node, ScalarNode) else None


def unique_entries(
    node: MappingNode, key_text: Callable[[Node], str | None] = _scalar_text
) -> dict[str, tuple[Node, Node]]:
    """A mapping node's entries by key text (keys whose text is None are skipped); raises
    DuplicateKeyError at the first key seen twice."""
    entries: dict[str, tuple[Node, Node]] = {}
    for key_node, value_node in node.value:
        key = key_text(key_node)
        if key is None:
            continue
        if key in entries:
            raise DuplicateKeyError(key, key_node, entries[key][0])
        entries[key] = (key_node, value_node)
    return entries


def refuse_duplicate_keys(root: Node | None) -> None:
    """Check every mapping under a composed document (aliases visited once); raises the
    DuplicateKeyError that comes first in the text."""
    found: list[DuplicateKeyError] = []
    pending, seen = [root], set()
    while pending:  # a loop, not recursion: a document nested as deep as the composer allows fits
        node = pending.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, MappingNode):
            try:
                unique_entries(node)
            except DuplicateKeyError as exc:
                found.append(exc)
            pending.extend(part for pair in node.value for part in pair)
        elif isinstance(node, SequenceNode):
            pending.extend(node.value)
    if found:
        raise min(found, key=lambda exc: (exc.node.start_mark.line, exc.node.start_mark.column))

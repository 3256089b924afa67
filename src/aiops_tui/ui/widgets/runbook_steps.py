"""The runbook's steps list: each `- [ ]` task with its tick, and under it the blocks it holds, in file
order: ```promql blocks with their current value, shell blocks with the command `c` copies."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from rich.text import Text
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from aiops_tui.signals.runbook_doc import heading_text
from aiops_tui.signals.runbooks import CodeBlock, Runbook, fill_variables, shell_copy_text
from aiops_tui.sources.promql_values import filled_queries
from aiops_tui.ui.safe import plain
from aiops_tui.ui.widgets.runbook_body import TICKED, UNTICKED

ItemKind = Literal["step", "promql", "shell"]
_SHELL_SAFE = re.compile(r"[A-Za-z0-9_./:@%+=,-]+")


@dataclass(frozen=True, slots=True)
class StepItem:
    kind: ItemKind
    line: int
    """File line of the task item or the block's opening fence."""
    step_index: int | None
    """The step this is, or the step the block sits in (None: a block outside any step)."""
    text: str
    """The step's text, the filled query, or the commands to copy."""
    block: CodeBlock | None = None


def shell_labels(runbook: Runbook, labels: Mapping[str, str]) -> tuple[dict[str, str], list[str]]:
    """The labels safe to paste into a shell unquoted, and the variables left as written because theirs were not."""
    unsafe = [name for name, label in runbook.variables.items() if label in labels and not _SHELL_SAFE.fullmatch(str(labels[label]))]
    unsafe_labels = {runbook.variables[name] for name in unsafe}
    return {k: v for k, v in labels.items() if k not in unsafe_labels}, unsafe


def step_items(runbook: Runbook, labels: Mapping[str, str]) -> list[StepItem]:
    """Steps and their promql and shell blocks, in file order, with `$VARIABLES` filled from `labels`."""
    # A step's text is inline markdown; the list shows its words (code spans and link texts kept).
    items = [StepItem("step", s.line, s.index, heading_text(fill_variables(s.text, runbook, labels))) for s in runbook.steps]
    queries = filled_queries(runbook.promql_blocks, runbook, labels)
    items += [StepItem("promql", b.line, b.step_index, q, b) for b, q in zip(runbook.promql_blocks, queries)]
    safe, _ = shell_labels(runbook, labels)
    items += [
        StepItem("shell", b.line, b.step_index, fill_variables(shell_copy_text(b), runbook, safe), b)
        for b in runbook.shell_blocks
    ]
    return sorted(items, key=lambda item: (item.line, item.kind != "step"))


class RunbookSteps(OptionList):
    DEFAULT_CSS = """
    RunbookSteps { height: 1fr; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.items: list[StepItem] = []
        self.ticked: dict[int, bool] = {}
        self.values: dict[int, str] = {}

    def show_items(self, items: list[StepItem], ticked: Mapping[int, bool], values: Mapping[int, str]) -> None:
        self.items, self.ticked, self.values = list(items), dict(ticked), dict(values)
        self.set_options(Option(self._prompt(item)) for item in self.items)
        if self.items:
            self.highlighted = 0

    def selected(self) -> StepItem | None:
        index = self.highlighted
        return self.items[index] if index is not None and 0 <= index < len(self.items) else None

    def is_ticked(self, step_index: int, default: bool = False) -> bool:
        return self.ticked.get(step_index, default)

    def set_ticked(self, ticked: Mapping[int, bool]) -> None:
        self.ticked.update(ticked)
        self._redraw(lambda item: item.kind == "step" and item.step_index in ticked)

    def set_values(self, values: Mapping[int, str]) -> None:
        self.values.update(values)
        self._redraw(lambda item: item.kind == "promql" and item.line in values)

    def _redraw(self, wanted) -> None:
        for index, item in enumerate(self.items):
            if wanted(item):
                self.replace_option_prompt_at_index(index, self._prompt(item))

    def _prompt(self, item: StepItem) -> Text:
        if item.kind == "step":
            done = self.ticked.get(item.step_index or 0, False)
            box = Text(f"{TICKED if done else UNTICKED} ", style="bold green" if done else "bold")
            number = Text(f"{(item.step_index or 0) + 1:>2}. ", style="dim")
            return Text.assemble(box, number, plain(item.text, style="dim" if done else ""), no_wrap=True, overflow="ellipsis")
        indent = "     " if item.step_index is not None else " "
        if item.kind == "promql":
            value = self.values.get(item.line, "…")
            return Text.assemble(indent, ("▶ ", "bold"), plain(value, style="bold"), "  ", plain(item.text, style="dim"),
                                 no_wrap=True, overflow="ellipsis")
        lines = item.text.strip("\n").split("\n") if item.text.strip() else ["(nothing to copy)"]
        more = f"  (+{len(lines) - 1} lines)" if len(lines) > 1 else ""
        return Text.assemble(indent, ("$ ", "bold"), plain(lines[0]), (more, "dim"), ("  c copies", "dim italic"),
                             no_wrap=True, overflow="ellipsis")

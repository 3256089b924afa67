"""The runbook viewer: Textual's `Markdown`, one widget per chunk of the body, so a 200 KB runbook shows
its first screen at once and renders the rest as the reader scrolls (or jumps) towards it.

Links are not followed here: `open_links=False`, and `Markdown.LinkClicked` bubbles up to the pane.
Each ```promql fence carries a line under its code for the query's current value.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from rich.text import Text
from textual.containers import VerticalScroll
from textual.widget import Widget
from textual.widgets import Markdown, Static
from textual.widgets.markdown import MarkdownBlock, MarkdownFence

from aiops_tui.signals.runbook_doc import PROMQL_LANGS, fence_lang
from aiops_tui.ui.safe import plain
from aiops_tui.ui.widgets.runbook_body import Chunk, chunk_index

PENDING_VALUE = "…"


class RunbookFence(MarkdownFence):
    """A fenced block highlighted by its language word (```sh {"name":"x"} is sh); promql shows its value."""

    DEFAULT_CSS = """
    RunbookFence.promql > Label { padding: 1 2 0 2; }
    RunbookFence > .promql-value { padding: 0 2 1 2; color: $text-accent; width: auto; }
    """

    @classmethod
    def highlight(cls, code: str, language: str, ansi: bool = False, dark: bool = False):  # type: ignore[override]
        return super().highlight(code, fence_lang(language or ""), ansi, dark)

    @property
    def file_line(self) -> int:
        return self._markdown.first_line + self.source_range[0]  # type: ignore[attr-defined]

    @property
    def is_promql(self) -> bool:
        return fence_lang(self.lexer or "") in PROMQL_LANGS

    def compose(self):
        yield from super().compose()
        if self.is_promql:
            self.add_class("promql")
            yield Static(self.value_text(), classes="promql-value")

    def value_text(self) -> Text:
        values: Mapping[int, str] = getattr(self._markdown, "values", {})
        return Text.assemble(("▶ now: ", "bold"), plain(values.get(self.file_line, PENDING_VALUE)))

    def show_value(self) -> None:
        for static in self.query(".promql-value").results(Static):
            static.update(self.value_text())


class RunbookMarkdown(Markdown):
    """One chunk of a runbook; knows the file line it starts at and shares the viewer's promql values."""

    BLOCKS = {**Markdown.BLOCKS, "fence": RunbookFence, "code_block": RunbookFence}

    def __init__(self, chunk: Chunk, values: Mapping[int, str]) -> None:
        super().__init__(chunk.text, open_links=False, classes="runbook-chunk")
        self.chunk = chunk
        self.first_line = chunk.first_line
        self.values = values

    def block_at(self, line: int) -> Widget | None:
        """The innermost block whose source holds the file line (a heading, a list item, a fence)."""
        wanted = line - self.first_line
        found: Widget | None = None
        for block in self.query(MarkdownBlock):
            if block._token.map is None:  # table cells carry no lines of their own
                continue
            start, end = block.source_range
            if start <= wanted < max(end, start + 1):
                found = block  # depth first: a later hit sits inside the earlier ones
        return found


class ChunkPlaceholder(Static):
    """A chunk not rendered yet: about as tall as it will be, so the scrollbar tells the document's length."""

    DEFAULT_CSS = """
    ChunkPlaceholder { color: $text-muted; padding: 0 2; }
    """

    def __init__(self, chunk: Chunk) -> None:
        super().__init__(Text("…", style="dim"))
        self.styles.height = estimated_height(chunk)


def estimated_height(chunk: Chunk) -> int:
    """Rendered lines of a chunk, roughly: its lines, plus the margins of headings and the padding of fences."""
    headings = sum(1 for line in chunk.lines if line.lstrip().startswith("#"))
    fences = sum(1 for line in chunk.lines if line.lstrip().startswith(("```", "~~~"))) // 2
    return max(1, len(chunk.lines) + 2 * headings + 4 * fences)


class RunbookViewer(VerticalScroll, can_focus=True):
    """One slot per chunk, rendered when it comes within a screen of the visible part (or is jumped to)."""

    DEFAULT_CSS = """
    RunbookViewer { height: 1fr; }
    RunbookViewer > RunbookMarkdown { padding: 0 1; }
    RunbookViewer > RunbookMarkdown.first > MarkdownBlock:first-child { margin-top: 0; }
    RunbookViewer > #runbook-empty { color: $text-muted; padding: 1 2; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.chunks: list[Chunk] = []
        self.slots: list[Widget] = []
        self.values: dict[int, str] = {}
        self._generation = 0
        self._rendering = False

    # -- what is shown -------------------------------------------------------------------------

    async def show_chunks(self, chunks: Sequence[Chunk], values: Mapping[int, str] | None = None) -> None:
        """Replace the document: the first chunk rendered now, the others as placeholders until needed."""
        self._generation += 1
        self.chunks = list(chunks)
        self.values = dict(values or {})
        self.slots = [ChunkPlaceholder(chunk) for chunk in self.chunks]
        if self.slots:
            self.slots[0] = self._document(0)
        with self.app.batch_update():
            await self.remove_children()
            self.scroll_home(animate=False, immediate=True)
            await self.mount_all(self.slots)
        self.call_after_refresh(self._render_near)

    async def show_message(self, text: str) -> None:
        self._generation += 1
        self.chunks, self.slots = [], []
        await self.remove_children()
        await self.mount(Static(Text(text), id="runbook-empty"))

    @property
    def documents(self) -> list[RunbookMarkdown]:
        return [slot for slot in self.slots if isinstance(slot, RunbookMarkdown)]

    @property
    def mounted_chunks(self) -> int:
        return len(self.documents)

    def is_rendered(self, index: int) -> bool:
        return 0 <= index < len(self.slots) and isinstance(self.slots[index], RunbookMarkdown)

    def set_values(self, values: Mapping[int, str]) -> None:
        """PromQL values by the file line of their fence; shown in the fences already rendered and to come."""
        self.values.update(values)
        for document in self.documents:
            document.values = self.values
            for fence in document.query(RunbookFence):
                if fence.is_promql:
                    fence.show_value()

    async def replace_lines(self, lines: Mapping[int, str]) -> None:
        """New text for some file lines (a step ticked); only rendered chunks holding them are drawn again."""
        for index, chunk in enumerate(self.chunks):
            changed = {line: text for line, text in lines.items() if chunk.holds(line)}
            if not changed:
                continue
            body = list(chunk.lines)
            for line, text in changed.items():
                body[line - chunk.first_line] = text
            self.chunks[index] = Chunk(chunk.first_line, tuple(body))
            slot = self.slots[index] if index < len(self.slots) else None
            if isinstance(slot, RunbookMarkdown):
                slot.chunk = self.chunks[index]
                await slot.update(self.chunks[index].text)

    # -- moving around -------------------------------------------------------------------------

    async def goto_line(self, line: int) -> bool:
        """Render the chunk holding the file line and scroll that line to the top."""
        if not self.chunks:
            return False
        document = await self._render_chunk(chunk_index(self.chunks, line), self._generation)
        if document is None:
            return False
        target = document.block_at(line) or document

        def scroll() -> None:
            self.scroll_to_widget(target, animate=False, top=True, immediate=True)
            self.call_after_refresh(self._render_near)

        self.call_after_refresh(scroll)
        return True

    def _document(self, index: int) -> RunbookMarkdown:
        document = RunbookMarkdown(self.chunks[index], self.values)
        document.set_class(index == 0, "first")
        return document

    async def _render_chunk(self, index: int, generation: int) -> RunbookMarkdown | None:
        if generation != self._generation or not 0 <= index < len(self.slots):
            return None
        placeholder = self.slots[index]
        if isinstance(placeholder, RunbookMarkdown):
            return placeholder
        region = placeholder.virtual_region
        above = region.height > 0 and region.bottom <= self.scroll_y
        document = self._document(index)
        self.slots[index] = document
        with self.app.batch_update():
            await self.mount(document, after=placeholder)
            await placeholder.remove()
        if above:  # keep what the reader is looking at still while a chunk above it grows or shrinks
            self.call_after_refresh(lambda: self.scroll_to(
                y=self.scroll_y + document.outer_size.height - region.height, animate=False, immediate=True,
            ))
        return document

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        self._render_near()

    def on_resize(self) -> None:
        self._render_near()

    def _render_near(self) -> None:
        """Render the placeholders within a screen of the visible part, one chunk at a time."""
        if self._rendering or self.size.height == 0:
            return
        top, bottom = self.scroll_y - self.size.height, self.scroll_y + 2 * self.size.height
        for index, slot in enumerate(self.slots):
            if isinstance(slot, ChunkPlaceholder):
                region = slot.virtual_region
                if region.height and region.y < bottom and region.bottom > top:
                    self._rendering = True
                    self.run_worker(self._render_then_look_again(index, self._generation), group="runbook-render", exit_on_error=False)
                    return

    async def _render_then_look_again(self, index: int, generation: int) -> None:
        try:
            await self._render_chunk(index, generation)
        finally:
            self._rendering = False
        self.call_after_refresh(self._render_near)

"""The month's budget as a bar: spent so far, and a mark where an even burn would be today."""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget

from aiops_tui.ui import fmt
from aiops_tui.ui.widgets.redraw import content_key


class BudgetBar(Widget):
    DEFAULT_CSS = """
    BudgetBar { height: 2; }
    BudgetBar > .budget-bar--ok { color: $success; }
    BudgetBar > .budget-bar--warn { color: $warning; }
    BudgetBar > .budget-bar--bad { color: $error; }
    BudgetBar > .budget-bar--rest { color: $panel-lighten-2; }
    BudgetBar > .budget-bar--mark { color: $foreground; text-style: bold; }
    """
    COMPONENT_CLASSES = {"budget-bar--ok", "budget-bar--warn", "budget-bar--bad", "budget-bar--rest", "budget-bar--mark"}

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._mtd_usd = 0.0
        self._budget_usd = 0.0
        self._elapsed_ratio = 0.0
        self._projected_over = False
        self._drawn: object = None
        """The bar as last rendered (its `content_key`)."""

    def set_budget(self, mtd_usd: float, budget_usd: float, elapsed_ratio: float, projected_over: bool) -> None:
        """`elapsed_ratio`: how much of the month has passed (0-1), where an even burn would have spent to."""
        self._mtd_usd, self._budget_usd = mtd_usd, budget_usd
        self._elapsed_ratio, self._projected_over = min(1.0, max(0.0, elapsed_ratio)), projected_over
        # The even-pace mark moves every second, by a cell every ~12 h: redraw when the bar would look different.
        if content_key(self._bar(self.size.width)) != self._drawn:
            self.refresh()

    def _status(self) -> str:
        if self._mtd_usd > self._budget_usd:
            return "bad"
        return "warn" if self._projected_over else "ok"

    def render(self) -> Text:
        bar = self._bar(self.size.width)
        self._drawn = content_key(bar)
        return bar

    def _bar(self, width: int) -> Text:
        if self._budget_usd <= 0:
            return Text(f"no budget set · {fmt.usd_whole(self._mtd_usd)} spent this month", style="italic")
        width = max(10, width)
        used_ratio = self._mtd_usd / self._budget_usd
        filled = round(min(1.0, used_ratio) * width)  # min first: a month to date of +Inf fills the bar
        mark = min(width - 1, int(self._elapsed_ratio * width))
        style = self.get_component_rich_style(f"budget-bar--{self._status()}")
        rest = self.get_component_rich_style("budget-bar--rest")
        bar = Text()
        for cell in range(width):
            if cell == mark:
                bar.append("┃", self.get_component_rich_style("budget-bar--mark"))
            else:
                bar.append("█" if cell < filled else "░", style if cell < filled else rest)
        words = {"ok": "", "warn": " · projected OVER", "bad": " · OVER budget"}[self._status()]
        label = Text(
            f"{fmt.usd_whole(self._mtd_usd)} of {fmt.usd_whole(self._budget_usd)} ({fmt.pct(used_ratio, 0)}) · "
            f"┃ even pace {self._elapsed_ratio * 100:.0f} %{words}",
            no_wrap=True, overflow="ellipsis",
        )
        return Text("\n").join([bar, label])

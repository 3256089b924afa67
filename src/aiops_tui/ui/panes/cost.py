"""Cost pane: spend rate, month to date, month-end projections, the budget bar, burn multiples with page marks, and where the money goes."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Static

from aiops_tui.cockpit import Views
from aiops_tui.signals.cost import BurnWindow, CostView, SpendRow, month_bounds
from aiops_tui.ui import fmt
from aiops_tui.ui.colors import styled
from aiops_tui.ui.panes.base import Pane
from aiops_tui.ui.safe import plain
from aiops_tui.ui.widgets.budget_bar import BudgetBar
from aiops_tui.ui.widgets.spend_chart import SpendChart
from aiops_tui.ui.widgets.table import fill_rows

LABEL_WIDTH = 15
BURN_ROW = "{:<6}{:>12}  {:>7}  {:<10}"


class BurnLine(Static):
    """One burn-rate window: its spend rate, the multiple of the budget's even pace, and whether it pages."""

    DEFAULT_CSS = """
    BurnLine { height: 1; }
    BurnLine.-over { color: $warning; }
    BurnLine.-paging { color: $error; text-style: bold; }
    """

    def set_window(self, burn: BurnWindow) -> None:
        self.set_class(burn.paging, "-paging")
        self.set_class(not burn.paging and (burn.multiple or 0) > 1, "-over")
        mark = f"≥{burn.page_at:g}×" if burn.page_at is not None else "trend only"
        self.update(BURN_ROW.format(burn.label, fmt.usd_per_h(burn.rate_usd_per_h), fmt.multiple(burn.multiple), mark)
                    + ("  PAGE" if burn.paging else ""))


def _line(label: str, *values: Text | str) -> Text:
    return Text.assemble((f"{label:<{LABEL_WIDTH}}", "dim"), *values)


class CostPane(Pane):
    PANE_ID = "cost"
    TITLE = "Cost"
    HELP = (
        "Spend rate, month to date and where the month will end at the last 24 h and 7 d rates. "
        "Burn multiples compare a window's spend rate with the rate that would spend exactly the budget this "
        "month (SRE workbook): 14.4× over 5 m or 1 h, or 6× over 6 h, is worth a page. "
        "The chart is this month's cumulative spend against the budget's even pace."
    )
    DEFAULT_CSS = """
    CostPane { overflow-y: auto; }
    CostPane #cost-top { height: 1fr; min-height: 16; }
    CostPane #cost-summary { width: 64; padding: 0 1; }
    CostPane #cost-figures { height: auto; }
    CostPane BudgetBar { margin: 1 0 0 0; }
    CostPane #burn-title { margin: 1 0 0 0; color: $text-muted; }
    CostPane #cost-chart { width: 1fr; }
    CostPane #cost-tables { height: auto; max-height: 14; margin: 1 0 0 0; }
    CostPane #cost-tables DataTable { width: 1fr; height: auto; max-height: 14; }
    CostPane.-short BudgetBar, CostPane.-short #burn-title { margin: 0; }
    CostPane.-narrow #cost-chart { display: none; }
    CostPane.-narrow #cost-summary { width: 1fr; height: auto; }
    CostPane.-narrow #cost-top { height: auto; min-height: 0; }
    """

    def compose(self) -> ComposeResult:
        with Horizontal(id="cost-top"):
            with Vertical(id="cost-summary"):
                yield Static(id="cost-figures")
                yield BudgetBar(id="budget-bar")
                yield Static(BURN_ROW.format("burn", "$/h", "× pace", "pages at"), id="burn-title")
                for label in ("5m", "1h", "6h", "3d"):
                    yield BurnLine(id=f"burn-{label}")
            yield SpendChart(id="cost-chart")
        with Horizontal(id="cost-tables"):
            for table_id, first in (("by-model", "model"), ("by-tier", "tier")):
                table: DataTable = DataTable(id=table_id, cursor_type="row", zebra_stripes=True)
                table.add_columns(first, "$/h", "month to date")
                yield table

    def on_resize(self) -> None:
        self.set_class(self.size.width < 100, "-narrow")
        self.set_class(self.size.height < 30, "-short")

    def show(self, views: Views) -> None:
        cost = views.cost
        self.query_one("#cost-figures", Static).update(self._figures(cost))
        start, end = month_bounds(cost.at)
        self.query_one(BudgetBar).set_budget(cost.mtd_usd, cost.budget_usd, (cost.at - start) / (end - start), cost.projected_over_budget)
        by_label = {burn.label: burn for burn in cost.burn}
        for line in self.query(BurnLine):
            label = (line.id or "").removeprefix("burn-")
            line.display = label in by_label
            if label in by_label:
                line.set_window(by_label[label])
        self.query_one(SpendChart).plot_month(cost.daily_usd, cost.budget_line(), cost.at)
        fill_rows(self.query_one("#by-model", DataTable), [(r.name, self._spend_cells(r)) for r in cost.by_model])
        fill_rows(self.query_one("#by-tier", DataTable), [(r.name, self._spend_cells(r)) for r in cost.by_tier])

    def _figures(self, cost: CostView) -> Text:
        since = f"  since {fmt.utc_date(cost.mtd_covers_from)} (history starts there)" if cost.mtd_covers_from else ""
        lines = [
            _line("spend rate", Text(fmt.usd_per_h(cost.spend_usd_per_h), style="bold")),
            _line("month to date", Text(fmt.usd(cost.mtd_usd), style="bold"), Text(since, style="dim")),
            _line("projected", self._projection(cost.projected_24h_usd, cost), " at 24 h rate · ",
                  self._projection(cost.projected_7d_usd, cost), " at 7 d rate"),
            _line("budget", f"{fmt.usd(cost.budget_usd)} / month" if cost.budget_usd > 0 else Text("no budget set", style="italic")),
            _line("cache savings", f"{fmt.usd_per_h(cost.cache_savings_usd_per_h)} · {fmt.usd(cost.cache_savings_mtd_usd)} this month"),
        ]
        source = Text.assemble(("from ", "dim"), plain(cost.source or "no source yet", style="dim"))
        if cost.priced_from_tokens:
            source.append(" · priced from tokens × pricing table (no cost counter)", style="italic")
        lines.append(source)
        return Text("\n").join(lines)

    def _projection(self, projected_usd: float | None, cost: CostView) -> Text:
        over = cost.budget_usd > 0 and projected_usd is not None and projected_usd > cost.budget_usd
        text = Text(fmt.usd(projected_usd), style="bold")
        return styled(text, self.app, "bad", bold=True) if over else text

    def _spend_cells(self, row: SpendRow) -> list[Text]:
        return [plain(row.name), Text(fmt.usd_per_h(row.usd_per_h), justify="right"), Text(fmt.usd(row.mtd_usd), justify="right")]

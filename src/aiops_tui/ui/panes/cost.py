"""Cost pane: spend rate, month to date, month-end projections, the budget bar, burn multiples with page marks,
the savings levers against the monthly run rate, and where the money goes."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Static

from aiops_tui.cockpit import Views
from aiops_tui.signals.cost import PROJECTION_WINDOWS_S, BurnWindow, CostView, SpendRow, month_bounds
from aiops_tui.ui import fmt
from aiops_tui.ui.colors import styled
from aiops_tui.ui.panes.base import Pane, source_health, source_label, sources_in_trouble
from aiops_tui.ui.safe import plain
from aiops_tui.ui.widgets.budget_bar import BudgetBar
from aiops_tui.ui.widgets.levers_table import LeversTable, assumption_lines
from aiops_tui.ui.widgets.redraw import LastDrawn, update_static
from aiops_tui.ui.widgets.spend_chart import SpendChart
from aiops_tui.ui.widgets.table import Table, fill_rows

LABEL_WIDTH = 15
BURN_ROW = "{:<6}{:>12}  {:>7}  {:<10}"
NARROW_BELOW = 100
"""Under this many columns the chart is left out and the figures take the width."""
TABLES_WIDTH = 44
"""The spend tables' width beside the levers (#cost-tables)."""
READING = "reading the spend…"
"""Shown for the moment between the first frame and the views with the spend (`Views.cost`)."""


class BurnLine(Static):
    """One burn-rate window: its spend rate, the multiple of the budget's even pace, and whether it pages."""

    DEFAULT_CSS = """
    BurnLine { height: 1; }
    BurnLine.-over { color: $warning; }
    BurnLine.-paging { color: $error; text-style: bold; }
    """

    def set_window(self, burn: BurnWindow, history_s: float | None = None) -> None:
        """`history_s`: the history the window's rate rests on, when it holds less than the window."""
        self.set_class(burn.paging, "-paging")
        self.set_class(not burn.paging and (burn.multiple or 0) > 1, "-over")
        mark = f"≥{burn.page_at:g}×" if burn.page_at is not None else "trend only"
        row = BURN_ROW.format(burn.label, fmt.usd_per_h(burn.rate_usd_per_h), fmt.multiple(burn.multiple), mark)
        held = f"  over {fmt.age(history_s)}" if history_s is not None else ""  # beside the chart: kept short
        update_static(self, row + ("  PAGE" if burn.paging else "") + held)


def _line(label: str, *values: Text | str) -> Text:
    return Text.assemble((f"{label:<{LABEL_WIDTH}}", "dim"), *values)


class CostPane(Pane):
    PANE_ID = "cost"
    TITLE = "Cost"
    HELP = (
        "Spend rate, month to date and where the month will end at the last 24 h and 7 d rates. "
        "The budget is the config's (budget.monthly_usd); when it sets none, the one the source reports "
        "(aiops_budget_monthly_usd), as the cost trends (T) take it. "
        "Burn multiples compare a window's spend rate with the rate that would spend exactly the budget this "
        "month (SRE workbook): 14.4× over 5 m or 1 h, or 6× over 6 h, is worth a page. "
        "A window longer than the history says what it rests on ('over 1h05m' of history). "
        "The chart is this month's cumulative spend against the budget's even pace. "
        "Spend by model and by tier; with several gateways read together, by gateway too (each one's own). "
        "Savings levers price what-ifs from the live rates against the run rate now (spend rate over a whole "
        "month): each lever alone; they overlap, so their savings do not add up. A lever without the data "
        "to price it says why. ↑/↓ on the levers (or a click) shows what a lever's price rests on."
    )
    DEFAULT_CSS = """
    CostPane { overflow-y: auto; }
    CostPane #cost-top { height: auto; }
    CostPane #cost-summary { width: 64; height: auto; padding: 0 1; }
    CostPane #cost-figures { height: auto; }
    CostPane BudgetBar { margin: 1 0 0 0; }
    CostPane #burn-title { margin: 1 0 0 0; color: $text-muted; }
    CostPane #cost-chart { width: 1fr; height: 16; }
    CostPane #cost-lower { height: 1fr; min-height: 12; margin: 1 0 0 0; }
    CostPane #levers { width: 1fr; padding: 0 1; }
    CostPane #levers-title, CostPane #levers-caveat { height: 1; }
    CostPane #levers-caveat { color: $text-muted; }
    CostPane #lever-notes { margin: 1 0 0 0; height: auto; }
    CostPane #cost-tables { width: 44; height: auto; }  /* TABLES_WIDTH */
    CostPane #cost-tables DataTable { height: auto; max-height: 9; }
    CostPane #by-tier, CostPane #by-gateway { margin: 1 0 0 0; }
    CostPane.-short #cost-chart { height: 13; }
    CostPane.-short BudgetBar, CostPane.-short #burn-title { margin: 0; }
    CostPane.-narrow #cost-chart { display: none; }
    CostPane.-narrow #cost-summary { width: 1fr; }
    CostPane.-stacked #cost-lower { layout: vertical; height: auto; min-height: 0; }
    CostPane.-stacked #cost-tables { width: 1fr; }
    CostPane.-stacked #levers { height: auto; margin: 1 0 0 0; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.notes_drawn = LastDrawn()

    def compose(self) -> ComposeResult:
        with Horizontal(id="cost-top"):
            with Vertical(id="cost-summary"):
                yield Static(id="cost-figures")
                yield BudgetBar(id="budget-bar")
                yield Static(BURN_ROW.format("burn", "$/h", "× pace", "pages at"), id="burn-title")
                for label in ("5m", "1h", "6h", "3d"):
                    yield BurnLine(id=f"burn-{label}")
            yield SpendChart(id="cost-chart")
        with Horizontal(id="cost-lower"):
            with Vertical(id="levers"):
                yield Static(id="levers-title")
                yield LeversTable(id="levers-table")
                yield Static("each lever alone: they overlap, so their savings do not add up", id="levers-caveat")
                yield Static(id="lever-notes")
            with Vertical(id="cost-tables"):
                for table_id, first in (("by-model", "model"), ("by-tier", "tier"), ("by-gateway", "gateway")):
                    table = Table(id=table_id, cursor_type="row", zebra_stripes=True)
                    table.add_columns(first, "$/h", "month to date")
                    table.display = table_id != "by-gateway"  # shown with a fleet's gateways
                    yield table

    def take_focus(self) -> None:
        # ↑/↓ pick a lever as soon as the pane is up, as the help says.
        self.focus_now(self.query_one(LeversTable))

    def on_resize(self) -> None:
        self.set_class(self.size.width < NARROW_BELOW, "-narrow")
        self._arrange_lower()
        self.set_class(self.size.height < 30, "-short")

    def _arrange_lower(self) -> None:
        """The levers beside the spend tables when their whole rows fit there (each lever's whole name), else
        stacked under them: stacked, the spend by model and tier comes first, as at 80x24 it is what fits."""
        if not self.size.width:  # not laid out yet: `on_resize` arranges it
            return
        levers_width = self.query_one(LeversTable).wanted_width + 2  # its padding
        room = self.scrollable_content_region.width - TABLES_WIDTH
        stacked = self.has_class("-narrow") or room < levers_width
        if stacked != self.has_class("-stacked"):
            self.set_class(stacked, "-stacked")
            lower, tables, levers = self.query_one("#cost-lower"), self.query_one("#cost-tables"), self.query_one("#levers")
            if stacked:
                lower.move_child(tables, before=levers)
            else:
                lower.move_child(tables, after=levers)

    def show(self, views: Views) -> None:
        cost = views.cost
        if cost is None:  # the start's first views: the spend comes with the next ones, a moment later
            update_static(self.query_one("#cost-figures", Static), Text(READING, style="dim"))
            return
        # Without a source yet, why: every source that is down or stale.
        health = source_health(self.app, views, cost.source) if cost.source else sources_in_trouble(self.app, views)
        figures = self._figures(cost, health, source_label(views, cost.source))
        update_static(self.query_one("#cost-figures", Static), figures)
        start, end = month_bounds(cost.at)
        self.query_one(BudgetBar).set_budget(cost.mtd_usd, cost.budget_usd, (cost.at - start) / (end - start), cost.projected_over_budget)
        by_label = {burn.label: burn for burn in cost.burn}
        for line in self.query(BurnLine):
            label = (line.id or "").removeprefix("burn-")
            line.display = label in by_label
            if label in by_label:
                line.set_window(by_label[label], cost.history_short_of(by_label[label].window_s))
        self.query_one(SpendChart).plot_month(cost.daily_usd, cost.budget_line(), cost.at)
        fill_rows(self.query_one("#by-model", DataTable), [(r.name, self._spend_cells(r)) for r in cost.by_model])
        fill_rows(self.query_one("#by-tier", DataTable), [(r.name, self._spend_cells(r)) for r in cost.by_tier])
        by_gateway = self.query_one("#by-gateway", DataTable)
        by_gateway.display = bool(cost.by_gateway)  # the fleet's gateways, read together
        fill_rows(by_gateway, [(r.name, self._spend_cells(r)) for r in cost.by_gateway])
        run_rate = f"{fmt.usd_whole(cost.run_rate_monthly_usd)}/month"
        title = Text.assemble(("savings levers", "bold"), ("  run rate now ", "dim"), (run_rate, "bold"))
        update_static(self.query_one("#levers-title", Static), title)
        self.query_one(LeversTable).set_levers(cost.levers)
        self._arrange_lower()  # longer lever names may no longer fit beside the tables

    def on_levers_table_selected(self, message: LeversTable.Selected) -> None:
        if message.by_user:  # stacked at 80x24, the levers are below the fold: ↓ brings them and the notes up
            self.query_one("#levers").scroll_visible(top=True, animate=False)
        if not self.notes_drawn.changed(message.lever):  # another lever's price moved: this one's notes stand
            return
        notes = assumption_lines(message.lever) if message.lever is not None else Text("")
        self.query_one("#lever-notes", Static).update(notes)

    def _figures(self, cost: CostView, health: Text, source: str) -> Text:
        since = f"  since {fmt.utc_date(cost.mtd_covers_from)} (history starts there)" if cost.mtd_covers_from else ""
        lines = [
            _line("spend rate", Text(fmt.usd_per_h(cost.spend_usd_per_h), style="bold")),
            _line("month to date", Text(fmt.usd(cost.mtd_usd), style="bold"), Text(since, style="dim")),
            _line("projected", *self._projections(cost)),
            _line("budget", *self._budget(cost)),
            _line("cache savings", fmt.usd_per_h(cost.cache_savings_usd_per_h)),
        ]
        line = Text.assemble(("from ", "dim"), plain(source or "no source yet", style="dim"))
        if cost.priced_from_tokens:
            line.append(" · priced from tokens × pricing table (no cost counter)", style="italic")
        lines.append(line.append_text(Text(" · ").append_text(health) if health else health))
        return Text("\n").join(lines)

    @staticmethod
    def _budget(cost: CostView) -> list[Text | str]:
        if cost.budget_usd <= 0:
            return [Text("no budget set", style="italic")]
        if cost.budget_from == "history":  # the config sets none
            return [f"{fmt.usd(cost.budget_usd)} / month", Text("  from the source, not config", style="dim")]
        return [f"{fmt.usd(cost.budget_usd)} / month"]

    def _projections(self, cost: CostView) -> list[Text | str]:
        """At the 24 h and 7 d rates; on a history shorter than a day both are the rate so far, said once."""
        day_s, week_s = PROJECTION_WINDOWS_S
        if (held_s := cost.history_short_of(day_s)) is not None:
            return [self._projection(cost.projected_24h_usd, cost), f" at the rate so far ({fmt.age(held_s)} of history)"]
        week = " at 7 d rate"
        if (held_s := cost.history_short_of(week_s)) is not None:
            week = f" at the rate so far ({fmt.age(held_s)} of history)"
        return [self._projection(cost.projected_24h_usd, cost), " at 24 h rate · ", self._projection(cost.projected_7d_usd, cost), week]

    def _projection(self, projected_usd: float | None, cost: CostView) -> Text:
        over = cost.budget_usd > 0 and projected_usd is not None and projected_usd > cost.budget_usd
        text = Text(fmt.usd(projected_usd), style="bold")
        return styled(text, self.app, "bad", bold=True) if over else text

    def _spend_cells(self, row: SpendRow) -> list[Text]:
        return [plain(row.name), Text(fmt.usd_per_h(row.usd_per_h), justify="right"), Text(fmt.usd(row.mtd_usd), justify="right")]

"""Cost trends: spend per day, week or month by model, tier, team (or gateway) over up to two years, and
each month's spend beside its budget and the projection the Cost pane showed mid-month. Read from the
rollups in a worker."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from rich.color import Color
from rich.style import Style
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Static
from textual.worker import get_current_worker

from aiops_tui.errors import first_line
from aiops_tui.store import trends as tr
from aiops_tui.ui import fmt
from aiops_tui.ui.colors import styled
from aiops_tui.ui.safe import plain
from aiops_tui.ui.widgets.chart import RoundAxisPlot
from aiops_tui.ui.widgets.table import Table, fill_rows

TREND_SPAN_S = 730 * tr.DAY_S
"""Two years back from the cursor at most (the 1 h rollup's default retention)."""
MAX_BARS = 40
"""More periods than this draw as lines: bars narrower than a cell say nothing."""
MIN_BAR_SLOTS = 8
"""The x axis spans at least this many bar slots (the bars, and half a slot either side), the bars centred:
alone, a day's bar filled the chart's whole width."""
SERIES_COLORS = ((0, 130, 200), (60, 180, 75), (230, 25, 75), (255, 225, 25),
                 (245, 130, 48), (145, 30, 180), (70, 240, 240), (240, 50, 230))
"""The breakdown's colours (plotext's own first eight), named on a legend line above the chart: plotext
draws its legend over the plot's top rows, where at 80x24 it hid the budget's line and the top of the
bars beneath it. Past eight names the colours repeat (the spend table names every one)."""
MONTH_COLUMNS = ("month", "budget", "spent", "projected · 24 h rate", "projected · 7 d rate", "")
FIRST_PERIODS = (("month", 60 * tr.DAY_S), ("week", 21 * tr.DAY_S))
"""The first view's period, by the span the trends cover: months once there are two of them (three bars, or
more), weeks past three weeks, else days. A fortnight's file first showed as one or two bars of a month."""


def first_period(span_s: float) -> str:
    return next((period for period, least_s in FIRST_PERIODS if span_s >= least_s), "day")


class CostTrendsScreen(Screen[None]):
    DEFAULT_CSS = """
    CostTrendsScreen { layout: vertical; }
    CostTrendsScreen #trends-title { height: 1; background: $panel; padding: 0 1; text-style: bold; }
    CostTrendsScreen #trends-legend { height: auto; padding: 0 1; }
    CostTrendsScreen #trends-chart { height: 1fr; min-height: 10; }
    CostTrendsScreen #trends-spend { height: auto; max-height: 12; }
    CostTrendsScreen #trends-months { height: auto; max-height: 10; }
    CostTrendsScreen #trends-keys { height: 1; color: $text-muted; padding: 0 1; }
    """
    BINDINGS = [
        Binding("d", "period('day')", "day", show=False),
        Binding("w", "period('week')", "week", show=False),
        Binding("m", "period('month')", "month", show=False),
        Binding("b", "next_breakdown", "by", show=False),
        Binding("escape,q,T", "close", "close", show=False),
    ]

    def __init__(self, history, source: str, until: float, *, budget_usd: float = 0.0,
                 tiers: Mapping[str, str] | None = None) -> None:
        super().__init__()
        self.history, self.source, self.until = history, source, until
        self.budget_usd, self.tiers = budget_usd, dict(tiers or {})
        self.period, self.breakdown = "month", "model"
        self.period_chosen = False
        """Once `d`, `w` or `m` is pressed the period is the user's; until then it follows the span read."""
        self.trends: tr.Trends | None = None
        self.months_ready = False

    def compose(self) -> ComposeResult:
        yield Static("Cost trends · loading…", id="trends-title")
        yield Static(id="trends-legend")
        yield RoundAxisPlot(id="trends-chart")
        spend = Table(id="trends-spend", zebra_stripes=True, cursor_type="row")
        yield spend
        months = Table(id="trends-months", zebra_stripes=True, cursor_type="row")
        months.add_columns(*MONTH_COLUMNS)
        yield months
        yield Static(self._keys(("model", "tier", "team")), id="trends-keys")

    def on_mount(self) -> None:
        self._load()

    @work(thread=True, exclusive=True, group="trends")
    def _load(self) -> None:
        worker = get_current_worker()

        def post(*args) -> None:
            if not worker.is_cancelled:  # closed meanwhile: nothing left to draw on
                self.app.call_from_thread(*args)

        try:
            with self.history.reading() as con:
                source = self.source or tr.cost_source(con)
                # From two years back, or the history's start (`build_trends` holds it to that).
                trends = tr.build_trends(con, source, self.until - TREND_SPAN_S, self.until,
                                         budget_usd=self.budget_usd, tiers=self.tiers, with_months=False)
                # The chart first (one grouped query over two years), then the months (several queries each).
                post(self._loaded, trends, False)
                trends = replace(trends, months=tr.month_rows(con, trends))
        except Exception as exc:  # a broken file says so on the screen instead of taking the cockpit down
            post(self._failed, first_line(exc) or exc.__class__.__name__)
            return
        post(self._loaded, trends, True)

    def _failed(self, error: str) -> None:
        if self.is_attached:
            self.query_one("#trends-title", Static).update(Text(f"Cost trends · cannot read the history: {error}"))

    def _loaded(self, trends: tr.Trends, months_ready: bool) -> None:
        self.trends, self.months_ready = trends, months_ready
        if not self.period_chosen:
            self.period = first_period(trends.until - trends.since)
        if self.is_attached:
            self._draw()

    # -- keys ------------------------------------------------------------------------------------

    def action_period(self, period: str) -> None:
        self.period, self.period_chosen = period, True
        self._draw()

    def action_next_breakdown(self) -> None:
        if self.trends is None:
            return
        breakdowns = self.trends.breakdowns
        self.breakdown = breakdowns[(breakdowns.index(self.breakdown) + 1) % len(breakdowns)]
        self._draw()

    def action_close(self) -> None:
        self.dismiss(None)

    # -- drawing ---------------------------------------------------------------------------------

    def _draw(self) -> None:
        trends = self.trends
        if trends is None:
            return
        starts, names, usd = trends.table(self.period, self.breakdown)
        self.query_one("#trends-title", Static).update(self._title(trends))
        self.query_one("#trends-keys", Static).update(self._keys(trends.breakdowns))
        self._chart(trends, starts, names, usd)
        self._spend_table(starts, names, usd)
        months = [(m.month, self._month_cells(m)) for m in reversed(trends.months)]
        if not self.months_ready:
            months = [("loading", [Text("…"), Text(""), Text(""), Text(""), Text(""), Text("reading the months…", style="dim")])]
        fill_rows(self.query_one("#trends-months", DataTable), months)

    @staticmethod
    def _keys(breakdowns: tuple[str, ...]) -> str:
        return f"d / w / m: day, week, month · b: by {', '.join(breakdowns)} · esc: back"

    def _title(self, trends: tr.Trends) -> Text:
        budget = f"budget {fmt.usd(trends.budget_usd)}/month ({trends.budget_from})" if trends.budget_usd else "no budget set"
        return Text.assemble(
            "Cost trends · ", plain(trends.source or "no source"),
            f" · {fmt.utc_date(trends.since)} .. {fmt.utc_date(trends.until)} · per {self.period} by {self.breakdown} · {budget}",
        )

    def _chart(self, trends: tr.Trends, starts: list[float], names: list[str], usd: dict[str, list[float]]) -> None:
        plot = self.query_one("#trends-chart", RoundAxisPlot)
        plt = plot.plt
        plt.clear_data()
        plt.clear_figure()
        plt.title(f"spend per {self.period}, $, by {self.breakdown}" + ("" if starts else ": no spend recorded"))
        labels = [tr.period_label(self.period, start) for start in starts]
        xs = list(range(1, len(starts) + 1))
        plot.set_value_span(0.0, 1.0)  # until there is spend to span
        colors = [SERIES_COLORS[n % len(SERIES_COLORS)] for n in range(len(names))]
        self.query_one("#trends-legend", Static).update(Text("  ").join(
            Text.assemble(("██", Style(color=Color.from_rgb(*color))), " ", plain(name)) for name, color in zip(names, colors)
        ))
        if starts and names:
            stacked = len(starts) <= MAX_BARS
            if stacked:
                plt.stacked_bar(xs, [usd[name] for name in names], color=colors)
                if len(xs) + 1 < MIN_BAR_SLOTS:
                    middle = (len(xs) + 1) / 2
                    plt.xlim(middle - MIN_BAR_SLOTS / 2, middle + MIN_BAR_SLOTS / 2)
            else:
                for name, color in zip(names, colors):
                    plt.plot(xs, usd[name], color=color, marker="braille")
            every = max(1, len(xs) // 6)
            plt.xticks(xs[::every], labels[::every])
            budget = trends.budget_usd if self.period == "month" and trends.budget_usd else None
            if budget:
                plt.hline(budget)
            top = max((sum if stacked else max)(period) for period in zip(*(usd[name] for name in names)))
            plot.set_value_span(0.0, max(top, budget or 0.0) * 1.05 or 1.0, labelled=budget)
        plot.refresh()

    def _spend_table(self, starts: list[float], names: list[str], usd: dict[str, list[float]]) -> None:
        table = self.query_one("#trends-spend", DataTable)
        columns = [self.period, "total", *names]
        if [str(c.label) for c in table.columns.values()] != columns:
            table.clear(columns=True)
            table.add_columns(*columns)
        rows = []
        for n in range(len(starts) - 1, -1, -1):  # newest first
            cells = [usd[name][n] for name in names]
            rows.append((str(starts[n]), [Text(tr.period_label(self.period, starts[n])), _money(sum(cells)), *map(_money, cells)]))
        fill_rows(table, rows)

    def _month_cells(self, month: tr.MonthSpend) -> list[Text]:
        if month.complete:
            note = "partial: history from " + fmt.utc_date(month.covers_from) if month.covers_from else "projected mid-month"
        else:
            note = "in progress, projected now"
        over = styled(" OVER budget", self.app, "bad", bold=True) if month.over_budget else Text("")
        # The figure that is over is marked too: at 80 columns the note is cut, the figures are not.
        return [
            Text(month.month), _money(month.budget_usd),
            self._money_against_budget(month.spent_usd, bool(month.over_budget and month.complete)),
            self._money_against_budget(month.projected_24h_usd, bool(month.over_budget and not month.complete)),
            _money(month.projected_7d_usd), Text(note, style="dim") + over,
        ]

    def _money_against_budget(self, value: float | None, over: bool) -> Text:
        if not over:
            return _money(value, fmt.PAST_LIMIT_BLANK)
        text = styled(fmt.usd(value) + fmt.PAST_LIMIT_MARK, self.app, "bad", bold=True)
        text.justify = "right"
        return text


def _money(value: float | None, blank: str = "") -> Text:
    return Text(fmt.usd(value) + blank, justify="right")

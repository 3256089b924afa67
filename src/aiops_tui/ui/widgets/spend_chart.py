"""This month's spend, cumulative by day, against the line an even burn of the budget would draw."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timezone
from itertools import accumulate

from aiops_tui.signals.cost import month_bounds
from aiops_tui.ui.widgets.chart import PLOTTABLE_MAX, RoundAxisPlot
from aiops_tui.ui.widgets.redraw import LastDrawn


def _day_of_month(ts: float) -> int:
    return datetime.fromtimestamp(ts, tz=timezone.utc).day


class SpendChart(RoundAxisPlot):
    DEFAULT_CSS = """
    SpendChart { min-height: 8; min-width: 30; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.drawn = LastDrawn()

    def plot_month(self, daily_usd: Sequence[tuple[float, float]], budget_line: Sequence[tuple[float, float]], at: float) -> None:
        """`daily_usd`: (day start, spend that day); `budget_line`: (day start, cumulative budget by that day's end)."""
        start, end = month_bounds(at)
        if not self.drawn.changed((tuple(daily_usd), tuple(budget_line), start)):  # the view's time only picks the month
            return
        days_in_month = round((end - start) / 86400)
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        month = datetime.fromtimestamp(at, tz=timezone.utc).strftime("%B %Y")
        plt.title(f"spend this month, cumulative $ · {month}")
        plt.xlim(1, days_in_month)
        plt.xticks([1, 8, 15, 22, days_in_month])
        tops = [0.0]
        if budget_line:
            plt.plot([_day_of_month(ts) for ts, _ in budget_line], [usd for _, usd in budget_line], label="budget at even pace", marker="dot")
            tops.append(budget_line[-1][1])
        if daily_usd:
            ordered = sorted(daily_usd)
            days = [(_day_of_month(ts), usd) for (ts, _), usd in zip(ordered, accumulate(usd for _, usd in ordered))]
            shown = [(day, usd) for day, usd in days if abs(usd) <= PLOTTABLE_MAX]
            if off_scale := len(days) - len(shown):
                days_off = f"{off_scale} day{'s' * (off_scale > 1)}"
                plt.title(f"spend this month, cumulative $ · {month} · {days_off} off scale")
            if shown:
                plt.plot([day for day, _ in shown], [usd for _, usd in shown], label="spend", marker="braille")
                tops.append(max(usd for _, usd in shown))
        budget = budget_line[-1][1] if budget_line and budget_line[-1][1] > 0 else None
        self.set_value_span(0.0, max(tops) * 1.05 or 1.0, labelled=budget)  # the month's budget labelled on its row
        self.refresh()

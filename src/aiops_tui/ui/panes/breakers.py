"""Breakers pane: one row per upstream (state in colour and in words), and for the selected one its error ratio and flap history."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Static

from aiops_tui.cockpit import Views
from aiops_tui.signals.breakers import BreakerRow, BreakersView
from aiops_tui.ui import fmt
from aiops_tui.ui.colors import styled
from aiops_tui.ui.panes.base import Pane, source_health, source_label, sources_in_trouble
from aiops_tui.ui.safe import plain
from aiops_tui.ui.series import cells_of, fixed_grid
from aiops_tui.ui.widgets.bar_strip import BarStrip
from aiops_tui.ui.widgets.flap_overview import FlapOverview
from aiops_tui.ui.widgets.flap_strip import FlapStrip
from aiops_tui.ui.widgets.redraw import update_static
from aiops_tui.ui.widgets.table import Table, fill_rows

STATE_WORDS = {"open": "● OPEN", "half_open": "◐ HALF-OPEN", "closed": "○ CLOSED"}
RECENT_TRANSITIONS = 6


COLUMNS = ("state", "upstream", "failures", "since · for", "not permitted", "tier", "fallback", "opens")
NARROW_COLUMNS = ("state", "upstream", "failures", "for", "opens", "fallback")
"""When all the columns would not fit: what an incident needs first, so that 80 columns show it without scrolling."""
NARROWEST_COLUMNS = ("state", "upstream", "failures", "opens", "fallback")
"""When even those would not fit: how long the state has held is in the transitions under the table."""
COLUMN_SETS = (COLUMNS, NARROW_COLUMNS, NARROWEST_COLUMNS)
CELL_PADDING = 1


def column_names(table: DataTable) -> list[str]:
    return [str(column.label) for column in table.columns.values()]


def table_width(columns: tuple[str, ...], rows: list[dict[str, Text]]) -> int:
    """The cells a table of these columns takes, each as wide as its label or its widest cell."""
    return sum(max([len(name), *(row[name].cell_len for row in rows)]) + 2 * CELL_PADDING for name in columns)


def opened(flaps: int) -> str:
    return "never opened" if flaps == 0 else "opened once" if flaps == 1 else f"opened {flaps:,} times"


class BreakersPane(Pane):
    PANE_ID = "breakers"
    TITLE = "Breakers"
    HELP = (
        "One row per upstream, worst first: OPEN means calls are refused and go to the fallback, HALF-OPEN "
        "means a few trial calls are let through. Move the cursor (↑/↓) to see that upstream's error ratio "
        "(bars from 0 to its peak, blank where none was read) and, under it on the same time axis, each flap: "
        "█ open, ▄ half-open, ▁ closed, blank where nobody read the state (before the cockpit first saw the "
        "breaker, or while it was not running). Where the pane has room, every upstream's state follows on an "
        "axis of its own (▸ the selected one): breakers that opened together point at a provider or the "
        "network, one alone at its model. w changes the window, as on the golden pane (15m to 90d; past a "
        "day from the rollups, transitions kept 30 days or the window). Flaps are counted over 30 days, or over "
        "the history when it holds less. '≤16:21 · ≥20s': the breaker was in that state already when the "
        "cockpit first read it, and no source said since when."
    )
    DEFAULT_CSS = """
    BreakersPane #breakers-summary { height: 1; padding: 0 1; }
    BreakersPane #breakers-table { height: auto; max-height: 14; }
    BreakersPane #breaker-detail { height: 1fr; padding: 1 1 0 1; }
    BreakersPane #breaker-title { height: 1; text-style: bold; }
    BreakersPane #breaker-spark-row { height: 3; margin: 1 0 0 0; }
    BreakersPane #breaker-flaps-row, BreakersPane #breaker-axis-row { height: 1; }
    BreakersPane .row-label { width: 8; color: $text-muted; }
    BreakersPane #breaker-spark-row .row-label { height: 3; content-align-vertical: bottom; }  /* by the bars' base */
    BreakersPane #breaker-spark { height: 3; width: 1fr; }
    BreakersPane #breaker-flaps { width: 1fr; }
    BreakersPane #breaker-axis { width: 1fr; color: $text-muted; }
    BreakersPane #breaker-legend { height: 1; color: $text-muted; }
    BreakersPane #breaker-transitions { height: auto; margin: 1 0 0 0; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._widths: tuple[int, ...] = (0,) * len(COLUMN_SETS)
        """The width each of COLUMN_SETS takes with the rows shown."""
        self._fitted_widths: tuple[int, ...] = ()
        """The widths the columns were last chosen for."""

    def compose(self) -> ComposeResult:
        yield Static(id="breakers-summary")
        table = Table(id="breakers-table", cursor_type="row", zebra_stripes=True, cell_padding=CELL_PADDING)
        table.add_columns(*COLUMNS)
        yield table
        with Vertical(id="breaker-detail"):
            yield Static(id="breaker-title")
            # Both rows share the label column, so the error ratio and the flaps line up in time.
            with Horizontal(id="breaker-spark-row"):
                yield Static("errors", classes="row-label")
                yield BarStrip(id="breaker-spark")
            with Horizontal(id="breaker-flaps-row"):
                yield Static("state", classes="row-label")
                yield FlapStrip(id="breaker-flaps")
            with Horizontal(id="breaker-axis-row"):
                yield Static("", classes="row-label")
                yield Static(id="breaker-axis")
            yield Static(id="breaker-legend")
            yield Static(id="breaker-transitions")
            yield FlapOverview(id="breakers-overview")

    def show(self, views: Views) -> None:
        breakers = views.breakers
        # Without a source yet, why: every source that is down or stale.
        health = source_health(self.app, views, breakers.source) if breakers.source else sources_in_trouble(self.app, views)
        summary = self._summary(breakers, source_label(views, breakers.source))
        update_static(self.query_one("#breakers-summary", Static), summary.append(" · ").append_text(health) if health else summary)
        table = self.query_one("#breakers-table", DataTable)
        shown = column_names(table)
        cells = [self._cells(row, breakers.at) for row in breakers.rows]
        fill_rows(table, [(row.upstream, [row_cells[name] for name in shown]) for row, row_cells in zip(breakers.rows, cells)])
        self._widths = tuple(table_width(columns, cells) for columns in COLUMN_SETS)
        self._show_detail()
        if self._widths != self._fitted_widths:  # longer or shorter names may change what fits
            self.call_after_refresh(self._fit_columns)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        self._show_detail()

    def take_focus(self) -> None:
        # ↑/↓ pick an upstream as soon as the pane is up, as the help says.
        self.focus_now(self.query_one("#breakers-table", DataTable))

    def on_resize(self) -> None:
        # After the resize's frame, when the table has its new width.
        self.call_after_refresh(self._fit_columns)
        self._show_detail()

    def _fit_columns(self) -> None:
        """The widest of COLUMN_SETS that fits the pane's width with the rows on screen."""
        table = self.query_one("#breakers-table", DataTable)
        self._fitted_widths = self._widths
        room = table.scrollable_content_region.width  # less a vertical scrollbar, when many rows bring one
        columns = next((c for c, width in zip(COLUMN_SETS, self._widths) if width <= room), COLUMN_SETS[-1])
        if column_names(table) != list(columns):
            selected = self.selected()
            table.clear(columns=True)
            table.add_columns(*columns)
            if self.views is not None:
                self.show(self.views)
            if selected is not None:  # the same upstream stays under the cursor
                table.move_cursor(row=self.views.breakers.rows.index(selected), animate=False)

    def selected(self) -> BreakerRow | None:
        if self.views is None or not self.views.breakers.rows:
            return None
        table = self.query_one("#breakers-table", DataTable)
        rows = self.views.breakers.rows
        return rows[min(max(0, table.cursor_row), len(rows) - 1)]

    def _summary(self, breakers: BreakersView, source: str) -> Text:
        if not breakers.rows:
            return Text("no circuit breakers reported yet", style="dim")
        counts = {state: sum(1 for r in breakers.rows if r.state == state) for state in ("open", "half_open", "closed")}
        out = Text()
        for state, n in counts.items():
            if n:
                out.append_text(styled(f"{n} {STATE_WORDS[state][2:].lower()}", self.app, state, bold=state != "closed"))
                out.append("   ")
        out.append_text(Text.assemble(("from ", "dim"), plain(source or "no source", style="dim")))
        return out

    def _cells(self, row: BreakerRow, at: float) -> dict[str, Text]:
        """The row's cell under each column name, wide and narrow."""
        state = styled(STATE_WORDS.get(row.state, "? UNKNOWN"), self.app, row.state, bold=row.state != "closed")
        failures = "too few calls" if row.failure_ratio is not None and row.failure_ratio < 0 else fmt.pct(row.failure_ratio)
        when = fmt.utc_time_near(row.since, at, day_only=True)  # a dash also for a "since" no calendar holds (NaN, +Inf from the source)
        known = row.since is not None and when != fmt.DASH
        held = fmt.age(at - row.since) if known else fmt.DASH
        if known and row.held_before_since:  # already so when first read: at least that long
            when, held = f"≤{when}", f"≥{held}"
        return {
            "state": state, "upstream": plain(row.upstream), "failures": Text(failures, justify="right"),
            "since · for": Text(f"{when} · {held}" if known else fmt.DASH),
            "for": Text(held, justify="right"),
            "not permitted": Text(fmt.count(row.not_permitted_total), justify="right"), "tier": plain(row.tier or fmt.DASH),
            "fallback": plain(row.fallback or fmt.DASH), "opens": Text(str(row.flaps), justify="right"),
        }

    def _show_detail(self) -> None:
        row = self.selected()
        if row is None or self.views is None:
            self.query_one("#breaker-detail").display = False
            return
        self.query_one("#breaker-detail").display = True
        at, window_s = self.views.breakers.at, self.views.breakers.window_s
        width = max(10, self.query_one("#breaker-flaps", FlapStrip).size.width or self.size.width - 10)
        start, end = fixed_grid(at, window_s, width)  # the error strip and the flaps stay put between cells
        values = [v for ts, v in row.error_ratio_series if start <= ts <= at]
        live = self.views.live
        end_label = fmt.axis_end(at, window_s, live)  # looking back, the chart's end is a time, not "now"
        last = "now" if live else f"at {end_label}"
        peak = f"peak {fmt.pct(max(values))} · {last} {fmt.pct(values[-1])}" if values else "no error-ratio data"
        title_widget = self.query_one("#breaker-title", Static)
        span = fmt.window_span(fmt.window_label(window_s), end_label)
        title = Text.assemble(plain(row.upstream), f" · error ratio over the {span} · {peak}")
        if title.cell_len > (title_widget.size.width or self.size.width):  # at 80 columns: "now" stays on screen
            title = Text.assemble(plain(row.upstream), f" · errors {fmt.window_label(window_s)}: {peak}")
        update_static(title_widget, title)
        # Blank where the error ratio has a gap (nothing polled then), not a 0 % it never read.
        self.query_one("#breaker-spark", BarStrip).set_cells(cells_of(row.error_ratio_series, start, end, width))
        self.query_one("#breaker-flaps", FlapStrip).set_row(row, start, end)
        update_static(self.query_one("#breaker-axis", Static), fmt.time_axis(window_s, width, end_label))
        legend = f"state: ▁ closed  ▄ half-open  █ open   · {opened(row.flaps)} {self._flaps_span()}"
        update_static(self.query_one("#breaker-legend", Static), legend)
        update_static(self.query_one("#breaker-transitions", Static), self._transitions(row))
        self.query_one(FlapOverview).set_rows(self.views.breakers.rows, row.upstream, at, window_s, live)
        self.call_after_refresh(self._fit_overview)

    def _flaps_span(self) -> str:
        """Over what the flaps were counted: the last 30 days, or the history when it holds less."""
        view = self.views.breakers
        if view.watched_from is not None:
            return f"in {fmt.age(view.at - view.watched_from)} of history"
        return f"in the last {fmt.window_label(view.transitions_s)}"

    def _fit_overview(self) -> None:
        """Every upstream's state under the selected one's, where the rows left under its transitions hold it
        whole; else none of it (at 80x24 the selected upstream's detail fills the pane)."""
        detail = self.query_one("#breaker-detail")
        overview = self.query_one(FlapOverview)
        used = sum(child.outer_size.height for child in detail.children if child.display and child is not overview)
        fits = 1 < len(self.views.breakers.rows) and overview.rows_needed <= detail.content_region.height - used
        overview.display = fits

    def _transitions(self, row: BreakerRow) -> Text:
        if not row.transitions:
            return Text("no transitions recorded", style="dim")
        lines = [Text("recent transitions (UTC):", style="dim")]
        recent = list(reversed(row.transitions))[:RECENT_TRANSITIONS]
        at = self.views.breakers.at
        dated = any(fmt.utc_date(t.ts) != fmt.utc_date(at) for t in recent)  # one form for the whole list
        for t in recent:
            before = (t.from_state or "?").replace("_", "-")
            lines.append(Text.assemble(
                f"  {fmt.utc_time_near(t.ts, at, dated=dated)}  {before} → ",
                styled(t.to_state.replace("_", "-"), self.app, t.to_state, bold=True),
            ))
        return Text("\n").join(lines)

"""Golden signals pane: one tile per signal against its target, a per-model table, and charts over the window."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Grid
from textual.message import Message
from textual.widget import AwaitMount
from textual.widgets import DataTable, Static

from aiops_tui.cockpit import Views
from aiops_tui.model import FLEET_SOURCE
from aiops_tui.signals.golden import (
    CHART_SIGNALS, CHART_WINDOWS_S, JUDGED_PER_MODEL, GoldenView, ModelRow, Targets, worst_model,
)
from aiops_tui.signals.quality import QualityTargets
from aiops_tui.signals.readings import Reading
from aiops_tui.ui import actions, fmt
from aiops_tui.ui.colors import styled
from aiops_tui.ui.panes.base import Pane, source_health, source_label, sources_in_trouble
from aiops_tui.ui.safe import clean, plain
from aiops_tui.ui.widgets.quality_row import QualityStrip
from aiops_tui.ui.widgets.redraw import update_static
from aiops_tui.ui.widgets.spark_rows import SparkRows
from aiops_tui.ui.widgets.table import Table, fill_rows
from aiops_tui.ui.widgets.tile import Tile

Formatter = Callable[[float | None], str]

TILES: tuple[tuple[str, str, str, Formatter], ...] = (
    ("latency_p50_s", "p50 latency", "p50", fmt.ms),
    ("latency_p95_s", "p95 latency", "p95", fmt.ms),
    ("latency_p99_s", "p99 latency", "p99", fmt.ms),
    ("requests_per_s", "requests", "requests", lambda v: fmt.rate(v, "req/s")),
    ("error_ratio", "errors", "errors", lambda v: fmt.pct(v, 2)),
    ("in_flight", "in flight", "in flight", fmt.count),
    ("queue_depth", "queue", "queue", fmt.count),
    ("cache_hit_ratio", "cache hits", "cache", fmt.pct),
    ("fallback_ratio", "fallbacks", "fallback", fmt.pct),
    ("tokens_per_s", "tokens", "tokens", lambda v: fmt.rate(v, "tok/s")),
)
CHARTS: dict[str, tuple[str, float]] = {
    "latency_p95_s": ("p95 latency, s", 1.0),
    "requests_per_s": ("requests/s", 1.0),
    "error_ratio": ("errors, %", 100.0),
    "tokens_per_s": ("tokens/s", 1.0),
}
MIN_HEIGHT_FOR_CHARTS = 26
"""The first guess, before the layout is known: below this many rows for the pane, sparklines."""
CHARTS_MIN_ROWS = 14
"""The rows the four charts (two rows of two) need: 7 each, 3 of them to plot in (a title, the frame and the
time labels take 4). With fewer, each chart would be a sliver of one or two rows: a sparkline each stands in."""
QUALITY_BOX_ROWS = 2
"""What the AI-quality row's box adds beside the charts (bare beside the sparklines)."""


def target_line(signal: str, reading: Reading, targets: Targets | None) -> tuple[str, ...]:
    """The tile's second line, longest first: the target in words, so the colour is never the only cue.
    The tile shows the first that fits (the shortest fits an 80-column tile)."""
    if targets is None or reading.missing:
        word = {"ok": "on target", "warn": "near target", "bad": "OFF target"}.get(reading.status, "")
        return (word,)
    goals = _goals(targets)
    if signal not in goals:
        return ("",)
    goal, higher_is_better = goals[signal]
    if reading.status == "bad":
        word = "UNDER" if higher_is_better else "OVER"
        return f"{word} target {goal}", f"{word} {goal}"
    bound = ("≥" if higher_is_better else "≤") + goal
    if reading.status == "warn":
        return f"near target {bound}", f"near {bound}", f"near {goal}"
    return f"target {bound}", bound


MOSTLY_CACHED = 0.5
"""Past this cache hit ratio most answers are cache hits, and the median likely one: the p50 tile says so."""


def second_line(signal: str, reading: Reading, golden: GoldenView, targets: Targets | None) -> tuple[str, ...]:
    """The tile's second line, longest first: its target (`target_line`); on the p50 tile, which has none,
    the share of answers from the cache once it is most of them. A p50 of milliseconds beside a p95 of
    seconds is then likely the cache's, not a fault."""
    if signal != "latency_p50_s" or reading.missing:
        return target_line(signal, reading, targets)
    hits = golden.tiles.get("cache_hit_ratio")
    if hits is None or hits.missing or hits.value is None or hits.value <= MOSTLY_CACHED:
        return ("",)
    share = fmt.pct(hits.value, 0)
    return f"{share} from cache", f"{share} cached"


def worst_model_pointers(golden: GoldenView, signal: str, formatter: Formatter, app) -> tuple[Text, ...]:
    """The bottom border of a tile judged per model: the model furthest off target, longest wording first.
    The tile over all models can read near target while one model is past it (marked "!" as in the table)."""
    worst = worst_model(golden.models, signal) if signal in JUDGED_PER_MODEL else None
    if worst is None:
        return ()
    model, reading = worst
    mark = fmt.PAST_LIMIT_MARK if reading.status == "bad" else ""
    name, value = plain(model), formatter(reading.value)
    wordings = (("worst model ", name, " ", value, mark), (name, " ", value, mark), (name, mark))
    return tuple(styled(Text.assemble(*words), app, reading.status, bold=reading.status == "bad") for words in wordings)


def chart_limit(signal: str, targets: Targets | None) -> tuple[float, str] | None:
    """A chart's limit: its signal's target, for the signals whose target is an upper bound."""
    goal = _goals(targets).get(signal) if targets is not None else None
    if goal is None or goal[1]:  # no charted signal has a lower bound (the cache's is in its tile)
        return None
    return getattr(targets, signal), f"≤{goal[0]}"


def _goals(targets: Targets) -> dict[str, tuple[str, bool]]:
    """Each targeted signal's target as shown, and whether higher is better."""
    return {
        "latency_p95_s": (fmt.ms(targets.latency_p95_s), False),
        "error_ratio": (fmt.pct(targets.error_ratio), False),
        "cache_hit_ratio": (fmt.pct(targets.cache_hit_ratio, 0), True),
        "fallback_ratio": (fmt.pct(targets.fallback_ratio), False),
    }


class GoldenPane(Pane):
    PANE_ID = "golden"
    TITLE = "Golden signals"
    HELP = (
        "Latency, traffic, errors and saturation across all models, plus cache, fallback and token rates. "
        "Tiles are green on target, amber near it, red past it; in the models table a value past its "
        "target is red and marked '!'; the p95 and errors tiles name under them the model furthest off its "
        "target; the p50 tile says how many answers came from the cache once that is most of them (the "
        "median is then likely a cache hit). 'no traffic' means a ratio of nothing (not zero), 'no data' "
        "means the source has no such series. Quantiles are read, never averaged. "
        "The p95 and errors charts dash their target across (┈) once the line comes within half of it; a "
        "line breaks where the data has a gap (nothing for three of its polls). "
        "The AI-quality row: the share of answers passing validation (and the worst model when one is "
        "off target), the human-review queue with its oldest item and reviews per hour against capacity, "
        "and the share of processed items written to the audit log. "
        "Enter on a model's row charts that model alone (its p95, requests, errors and tokens; the tiles stay "
        "over all models); enter on it again charts all models. "
        "With more than one gateway scraped directly, v turns the table to one row per gateway (its own "
        "traffic, errors, p95 and tokens over its last minute of scrapes), which tells the gateway off target "
        "apart; enter on a gateway's row charts its own signals (again: all gateways'); v again turns the "
        "table back to the models. "
        "Where the rows left under the models would give each chart under three rows to plot in (at 80x24, "
        "or 120x34 with four models), the four charts become a sparkline each (one row, or up to three where "
        "the room allows), over the same window, drawn from 0 to the peak named at its top row's end; a "
        "blank stretch is a gap in the data."
    )
    BINDINGS = actions.pane_bindings("golden")
    DEFAULT_CSS = """
    GoldenPane { overflow-y: auto; }
    GoldenPane #tiles {
        grid-size: 5;
        grid-gutter: 0 1;
        grid-rows: 4;
        height: auto;
    }
    GoldenPane #golden-source { height: 1; color: $text-muted; }
    GoldenPane #models { height: auto; max-height: 9; }
    GoldenPane #charts {
        grid-size: 2 2;
        grid-gutter: 0 1;
        height: 1fr;
    }
    GoldenPane #sparks { height: 1fr; display: none; }  /* the rows left: as many as fit, p95 first */
    GoldenPane.-small #charts { display: none; }
    GoldenPane.-small #sparks { display: block; }
    """

    class ModelChosen(Message):
        """Enter on this model's row: the app charts it alone, or all models again when it was charting it
        (the app holds which: the views on screen may not show the last choice yet)."""

        def __init__(self, model: str) -> None:
            super().__init__()
            self.model = model

    class GatewayChosen(Message):
        """Enter on a gateway's row (`v`): the app charts that gateway's own signals, or the source's again."""

        def __init__(self, gateway: str) -> None:
            super().__init__()
            self.gateway = gateway

    def __init__(self, targets: Targets | None = None, quality_targets: QualityTargets | None = None, *,
                 id: str | None = None) -> None:
        super().__init__(id=id)
        self.targets = targets
        self.quality_targets = quality_targets
        self._charts_state = "none"
        """"none" until the first views, "due" until the frame after them, then "drawn"."""
        self.charts_mounted: AwaitMount | None = None
        """The charts' mount, once they are due: the app builds the other panes after it."""
        self.by_gateway = False
        """The table shows each gateway's totals (`v`) rather than each model's."""

    def compose(self) -> ComposeResult:
        with Grid(id="tiles"):
            for signal, label, short_label, _ in TILES:
                yield Tile(label, short_label, id=f"tile-{signal}")
        yield QualityStrip(self.quality_targets, id="quality")
        yield Static(id="golden-source")
        table = Table(id="models", cursor_type="row", zebra_stripes=True)
        self._name_column, *_ = table.add_columns("model", "requests", "errors", "p95 latency", "tokens")
        yield table
        yield Grid(id="charts")  # its charts are mounted with the first plot: see `show`
        labels = {signal: (label, formatter) for signal, label, _, formatter in TILES}
        yield SparkRows([(signal, *labels[signal]) for signal in CHART_SIGNALS], id="sparks")

    def take_focus(self) -> None:
        # ↑/↓ pick a model and enter charts it, as the help says.
        self.focus_now(self.query_one("#models", DataTable))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_chart_model()

    def action_toggle_table(self) -> None:
        if self.views is None or not (self.by_gateway or self.views.golden.gateways):
            return
        self.by_gateway = not self.by_gateway
        if not self.by_gateway and self.views.golden.chart_gateway:
            self.post_message(self.GatewayChosen(self.views.golden.chart_gateway))  # back to the models' charts
        self.show(self.views)

    def _showing_gateways(self, golden: GoldenView) -> bool:
        """The table is by gateway: asked for (`v`), and there are gateways to show."""
        return self.by_gateway and bool(golden.gateways)

    def _table_rows(self, golden: GoldenView) -> Sequence[ModelRow]:
        return golden.gateways if self._showing_gateways(golden) else golden.models

    def action_chart_model(self) -> None:
        table = self.query_one("#models", DataTable)
        if self.views is None:
            return
        golden = self.views.golden
        rows = self._table_rows(golden)
        if 0 <= table.cursor_row < len(rows):
            name = rows[table.cursor_row].model
            self.post_message(self.GatewayChosen(name) if self._showing_gateways(golden) else self.ModelChosen(name))

    def on_mount(self) -> None:
        if self.quality_targets is None:  # the app passes only the golden targets: the cockpit holds the rest
            targets = getattr(getattr(self.app, "cockpit", None), "quality_targets", None)
            self.query_one(QualityStrip).targets = targets if isinstance(targets, QualityTargets) else QualityTargets()

    def on_resize(self) -> None:
        self._set_small(self.size.height < MIN_HEIGHT_FOR_CHARTS)
        self.query_one("#tiles", Grid).styles.grid_size_columns = 10 if self.size.width >= 180 else 5 if self.size.width >= 60 else 2
        self.call_after_refresh(self._fit_charts)

    def _fit_charts(self) -> None:
        """Charts where the rows left under the tiles and the models give each chart room to plot in, else
        sparklines: measured after the layout, as the models table's height comes with the models."""
        if not self.size.height:
            return
        if self.has_class("-small"):
            room = self.query_one(SparkRows).size.height - QUALITY_BOX_ROWS  # the quality row boxed again
        else:
            room = self.query_one("#charts", Grid).size.height
        self._set_small(room < CHARTS_MIN_ROWS)

    def _set_small(self, small: bool) -> None:
        self.set_class(small, "-small")
        self.query_one(QualityStrip).set_class(small, "-compact")

    def show(self, views: Views) -> None:
        golden = views.golden
        for signal, _, _, formatter in TILES:
            reading = golden.tiles.get(signal, Reading(None, "none", "no data"))
            text = reading.note if reading.missing else formatter(reading.value)
            self.query_one(f"#tile-{signal}", Tile).set_reading(
                text, second_line(signal, reading, golden, self.targets), reading.status, missing=reading.missing,
                pointers=worst_model_pointers(golden, signal, formatter, self.app),
            )
        self.query_one(QualityStrip).set_row(golden.quality)
        update_static(self.query_one("#golden-source", Static), self._source_line(views))
        table = self.query_one("#models", DataTable)
        name = "gateway" if self._showing_gateways(golden) else "model"
        if str(table.columns[self._name_column].label) != name:
            table.columns[self._name_column].label = Text(name)
            table.clear()  # the rows of the other kind go; their keys may match
        fill_rows(table, [(row.model, self._model_cells(row)) for row in self._table_rows(golden)])
        self.query_one(SparkRows).set_golden(golden, views.live)
        self.call_after_refresh(self._fit_charts)  # a model more or less moves the room the charts have
        if self._charts_state == "drawn":
            self._plot_charts(golden, views.live)
        elif self._charts_state == "none":
            # The first frame with data goes out without the charts (importing plotext and drawing four
            # takes tens of ms): they are mounted and plotted in the next, from the views on screen by then.
            self._charts_state = "due"
            self.call_after_refresh(self._plot_due_charts)

    def _plot_due_charts(self) -> None:
        from aiops_tui.ui.widgets.chart import TimeChart

        if self.app_leaving:  # quit before they were due
            return
        self._charts_state = "drawn"
        charts = (TimeChart(id=f"chart-{signal}") for signal in CHART_SIGNALS)
        self.charts_mounted = self.query_one("#charts", Grid).mount_all(charts)
        if self.views is not None:
            self._plot_charts(self.views.golden, self.views.live)

    def _plot_charts(self, golden: GoldenView, live: bool) -> None:
        from aiops_tui.ui.widgets.chart import TimeChart

        window_s = CHART_WINDOWS_S.get(golden.window, 3600.0)
        end = fmt.axis_end(golden.at, window_s, live)
        span = fmt.window_span(golden.window, end)
        chart_of = golden.chart_model or golden.chart_gateway
        of = f"{clean(chart_of)} · " if chart_of else ""
        for signal in CHART_SIGNALS:
            title, scale = CHARTS[signal]
            self.query_one(f"#chart-{signal}", TimeChart).plot_series(
                f"{title} · {of}{span}", golden.charts.get(signal, ()), at=golden.at, window_s=window_s,
                scale=scale, limit=chart_limit(signal, self.targets), end_label=end,
            )

    def _source_line(self, views: Views) -> Text:
        golden = views.golden
        if not golden.source:
            trouble = sources_in_trouble(self.app, views)
            return Text.assemble("no golden signals yet: ", trouble) if trouble else Text("no source is reporting golden signals yet")
        how = (" (direct scrapes, summed)" if golden.source == FLEET_SOURCE
               else " (direct scrape of the gateway)" if golden.direct else "")
        # The charted model before the window, where 80 columns keep it; the hint for choosing one last.
        chart_of = golden.chart_model or golden.chart_gateway
        back = "(⏎ all models)" if golden.chart_model else "(⏎ all gateways)"
        charted = Text.assemble(" · charts of ", plain(chart_of, style="bold"), f" alone {back}") if chart_of else ""
        hint = " · ⏎ charts the selected model" if golden.models and not chart_of else ""
        models = f" · {len(golden.models)} models"
        if golden.gateways:
            if self.by_gateway:
                models = " · by gateway, each its last minute (v: models)"
                hint = " · ⏎ charts the selected gateway" if not chart_of else ""
            else:
                models += " (v: gateways)"
        line = Text.assemble("from ", plain(source_label(views, golden.source)), how, models, charted,
                             f" · chart window {golden.window} (w)", hint)
        health = source_health(self.app, views, golden.source)
        return Text.assemble(health, " · ", line) if health else line  # first: at 80 columns the line's end is cut

    def _model_cells(self, row: ModelRow) -> list[Text]:
        return [
            plain(row.model),
            self._cell(row.requests_per_s, lambda v: fmt.rate(v, "req/s")),
            self._cell(row.error_ratio, lambda v: fmt.pct(v, 2)),
            self._cell(row.latency_p95_s, fmt.ms),
            self._cell(row.tokens_per_s, lambda v: fmt.rate(v, "tok/s")),
        ]

    def _cell(self, reading: Reading, formatter: Formatter) -> Text:
        """A value in its status colour; one past its target is also marked "!" (the colour is never the
        only cue), and the others keep the mark's width so the column stays aligned."""
        if reading.missing:
            return Text((reading.note or fmt.DASH) + fmt.PAST_LIMIT_BLANK, style="dim italic", justify="right")
        mark = fmt.PAST_LIMIT_MARK if reading.status == "bad" else fmt.PAST_LIMIT_BLANK
        text = styled(formatter(reading.value) + mark, self.app, reading.status)
        text.justify = "right"
        return text

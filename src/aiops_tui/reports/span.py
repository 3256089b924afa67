"""What every history report starts from: the period it covers and the source whose numbers it shows
(the one the panes would show, so a report and a pane agree)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from aiops_tui.errors import UserError

if TYPE_CHECKING:
    import duckdb

    from aiops_tui.store.history import History

INCLUDE_NEWEST_S = 0.001
"""`until` sits just after the newest sample, so increases over (since, until] include it."""


@dataclass(frozen=True, slots=True)
class Span:
    since: float
    until: float
    newest: float
    """The newest sample in the file: reports are relative to it, not to the wall clock."""
    source: str


def report_span(history: "History", since_s: float, *, label: str = "") -> Span:
    """The last `since_s` seconds of the history and the source the panes would read over them."""
    from aiops_tui.store import timeseries as ts_sql

    newest = history.cursor().execute("SELECT max(epoch_us(ts)) / 1e6 FROM samples").fetchone()[0]
    if newest is None:
        held = history.time_range()
        if held is None:
            raise UserError(f"{label or history.path}: the history holds no samples yet")
        newest = held[1]
    until = newest + INCLUDE_NEWEST_S
    since = until - since_s
    # As the panes pick at the end (a source that went quiet before it is not theirs), else over the whole span.
    from aiops_tui.views import LOOKBACK_S

    source = (ts_sql.pick_source(ts_sql.signal_sources(history.cursor(), until, min(LOOKBACK_S, since_s)))
              or ts_sql.pick_source(ts_sql.signal_sources(history.cursor(), until, since_s)))
    if not source:
        row = history.cursor().execute(
            "SELECT source FROM series WHERE NOT starts_with(name, 'signal:') GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1"
        ).fetchone()
        source = row[0] if row else ""
    return Span(since, until, newest, source)


def latest_signals_at_end(con: "duckdb.DuckDBPyConnection", span: Span) -> dict[tuple[str, str], float]:
    """(signal, model or "") -> the value the panes would show at the report's end, read as they read it."""
    from aiops_tui.store import timeseries as ts_sql
    from aiops_tui.views import LOOKBACK_S

    return ts_sql.latest_signals(con, span.source, span.until, LOOKBACK_S) if span.source else {}

"""Alerts without Prometheus: the shipped alert rules evaluated locally over the history, as a source.

Its polls carry only `alerts`, so the poller turns them into `alert` firing/resolved events exactly
as it does for Prometheus's `/api/v1/alerts`. Run one alert source at a time (this or Prometheus).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

from aiops_tui.errors import first_line
from aiops_tui.model import FLEET_SOURCE, RULES_SOURCE, Alert, Batch, Labels, make_labels
from aiops_tui.signals.alert_rules import (
    GATEWAY_LABEL,
    STALE_S,
    AlertRule,
    Inputs,
    Need,
    Point,
    evaluate,
    load_alert_rules,
    local_rules,
    needs_of,
)

if TYPE_CHECKING:
    import duckdb

    from aiops_tui.store.history import History

SOURCE_NAME = RULES_SOURCE
PER_GATEWAY = ("breaker_state",)
"""Signals every gateway keeps its own of, read from each gateway when the rules read the fleet's."""
NOT_READ = ("prometheus",)
"""Sources whose signals the rules do not read (Prometheus evaluates its own) and whose `source` events
are not a gateway going down."""


def _us(ts: float) -> int:
    return int(round(ts * 1_000_000))


def pick_signal_source(con: "duckdb.DuckDBPyConnection", at: float, *, exclude: Iterable[str] = NOT_READ) -> str:
    """Every gateway together when the fleet's signals are fresh, else the gateway with the freshest
    `signal:*` series at `at` ("" when none is fresh): what the panes show without Prometheus."""
    from aiops_tui.store.timeseries import pick_source, signal_sources

    fresh = {s: ts for s, ts in signal_sources(con, at, STALE_S).items() if s not in set(exclude)}
    return pick_source(fresh, prefer_prometheus=False)


def read_signals(
    con: "duckdb.DuckDBPyConnection", source: str, needs: Sequence[Need], at: float,
) -> dict[str, dict[Labels, list[Point]]]:
    """signal -> label set -> points in (at - span, at], oldest first, for each need. For the fleet, the
    breakers are each gateway's own (the fleet has none): read from every gateway, each series labelled
    with its gateway (`GATEWAY_LABEL`)."""
    from aiops_tui.store.timeseries import member_sources

    members = member_sources(con, source) if source == FLEET_SOURCE else []
    out: dict[str, dict[Labels, list[Point]]] = {}
    parsed: dict[tuple[str, str], Labels] = {}
    for need in needs:
        total_only = "AND s.labels = '{}'::JSON" if need.total_only else ""
        per_gateway = bool(members) and need.signal in PER_GATEWAY
        rows = con.execute(
            f"""
            SELECT s.source, CAST(s.labels AS VARCHAR), epoch_us(v.ts) / 1e6, v.value
            FROM samples v JOIN series s USING (series_id)
            WHERE list_contains($sources, s.source) AND s.name = $name {total_only}
              AND v.ts > make_timestamptz($lo) AND v.ts <= make_timestamptz($hi)
            ORDER BY s.series_id, v.ts
            """,
            {"sources": members if per_gateway else [source], "name": f"signal:{need.signal}",
             "lo": _us(at - need.span_s), "hi": _us(at)},
        ).fetchall()
        by_labels: dict[Labels, list[Point]] = {}
        for gateway, labels_json, ts, value in rows:
            key = (gateway if per_gateway else "", labels_json)
            labels = parsed.get(key)
            if labels is None:
                found = {str(k): str(v) for k, v in json.loads(labels_json).items()}
                if per_gateway:
                    found[GATEWAY_LABEL] = gateway
                labels = parsed[key] = make_labels(found)
            by_labels.setdefault(labels, []).append((ts, value))
        out[need.signal] = by_labels
    return out


def read_down_since(con: "duckdb.DuckDBPyConnection", at: float, *, exclude: Iterable[str]) -> dict[str, float]:
    """source -> when it was reported down, for the sources whose latest `source` event at `at` says down."""
    rows = con.execute(
        """
        SELECT subject, to_state, epoch_us(ts) / 1e6 FROM (
            SELECT subject, to_state, ts,
                   row_number() OVER (PARTITION BY subject ORDER BY ts DESC, rowid DESC) AS newest
            FROM events WHERE kind = 'source' AND ts <= make_timestamptz($at)
        ) WHERE newest = 1
        """,
        {"at": _us(at)},
    ).fetchall()
    excluded = set(exclude)
    return {subject: ts for subject, state, ts in rows if state == "down" and subject not in excluded}


class LocalAlertSource:
    """The alert rules evaluated over the history every `interval_s`; `poll()` reads it in a thread."""

    kind = "rules"

    def __init__(
        self,
        history: "History",
        *,
        rules: Sequence[AlertRule] | None = None,
        source: str | None = None,
        monthly_budget_usd: float | None = None,
        instances: Mapping[str, str] | None = None,
        interval_s: float = 15.0,
        timeout_s: float = 10.0,
        clock: Callable[[], float] = time.time,
        name: str = SOURCE_NAME,
    ) -> None:
        """`source`: whose signals to read (None: the freshest gateway's at each poll);
        `monthly_budget_usd`: when the source reports no budget; `instances`: source -> host:port."""
        self.history = history
        self.rules, self.unsupported = local_rules(load_alert_rules() if rules is None else rules)
        self.source = source
        self.monthly_budget_usd = monthly_budget_usd
        self.instances = dict(instances or {})
        self.interval_s = interval_s
        self.timeout_s = timeout_s
        self.clock = clock
        self.name = name
        self._needs = needs_of(self.rules)

    async def poll(self) -> Batch:
        ts = self.clock()
        batch = Batch(self.name, ts)
        try:
            batch.alerts = await asyncio.wait_for(asyncio.to_thread(self.evaluate, ts), timeout=self.timeout_s)
        except asyncio.TimeoutError:
            batch.error = f"reading the history took over {self.timeout_s:g} s"
        except Exception as exc:  # noqa: BLE001 — a locked or broken history file: one line, keep polling
            batch.error = first_line(exc) or type(exc).__name__
        return batch

    def evaluate(self, at: float) -> list[Alert]:
        """The alerts active at `at` (firing and pending); reads the history on the calling thread."""
        return evaluate(self.rules, self.inputs(at), at)

    def inputs(self, at: float) -> Inputs:
        exclude = (*NOT_READ, self.name)
        with self.history.reading() as con:
            source = self.source if self.source is not None else pick_signal_source(con, at, exclude=exclude)
            signals = read_signals(con, source, self._needs, at) if source else {}
            down_since = read_down_since(con, at, exclude=exclude)
        return Inputs(
            source=source,
            signals=signals,
            down_since=down_since,
            monthly_budget_usd=self.monthly_budget_usd,
            instances=self.instances,
        )

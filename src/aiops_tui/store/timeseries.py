"""Reads the panes need from the history: latest signals, chart series, counter increases.

Counter increases are reset-aware and take the cheapest resolution that covers each stretch:
complete hours from `samples_1h`, complete minutes from `samples_1m`, the rest from raw samples.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import duckdb

US = 1_000_000
MINUTE_S = 60.0
HOUR_S = 3600.0

COST_COUNTERS = (
    ("litellm_spend_metric_total", "model"),
    ("gen_ai_usage_cost_USD_sum", "gen_ai_request_model"),
    ("aiops_cost_usd_total", "model"),
    ("signal:cost_usd_total", "model"),
)
"""Cost counters by preference: one source exposing two of them is counted once, by the first."""
EXCLUDED_TEAMS = ("litellm-internal-health-check",)


def _us(ts: float) -> int:
    return int(round(ts * US))


def signal_sources(con: "duckdb.DuckDBPyConnection", at: float, lookback_s: float) -> dict[str, float]:
    """source -> time of its latest `signal:requests_per_s` sample in (at - lookback, at]."""
    rows = con.execute(
        """
        SELECT s.source, max(epoch_us(v.ts))
        FROM samples v JOIN series s USING (series_id)
        WHERE s.name = 'signal:requests_per_s'
          AND v.ts > make_timestamptz($lo) AND v.ts <= make_timestamptz($hi)
        GROUP BY 1
        """,
        {"lo": _us(at - lookback_s), "hi": _us(at)},
    ).fetchall()
    return {source: ts_us / US for source, ts_us in rows}


def latest_signals(
    con: "duckdb.DuckDBPyConnection", source: str, at: float, lookback_s: float, *, by: str = "model",
) -> dict[tuple[str, str], float]:
    """(signal, value of label `by` or "") -> the latest value in (at - lookback, at]."""
    rows = con.execute(
        """
        SELECT substr(s.name, 8), coalesce(s.labels ->> $by, ''), arg_max(v.value, v.ts)
        FROM samples v JOIN series s USING (series_id)
        WHERE s.source = $source AND s.name LIKE 'signal:%'
          AND v.ts > make_timestamptz($lo) AND v.ts <= make_timestamptz($hi)
        GROUP BY 1, 2
        """,
        {"source": source, "by": by, "lo": _us(at - lookback_s), "hi": _us(at)},
    ).fetchall()
    return {(name, group): value for name, group, value in rows}


def latest_labelled(
    con: "duckdb.DuckDBPyConnection", source: str, names: Iterable[str], at: float, lookback_s: float,
) -> list[tuple[str, dict[str, str], float]]:
    """(name, labels, latest value) for each series of `names` from `source` in the look-back."""
    import json

    rows = con.execute(
        """
        SELECT s.name, s.labels, arg_max(v.value, v.ts)
        FROM samples v JOIN series s USING (series_id)
        WHERE s.source = $source AND list_contains($names, s.name)
          AND v.ts > make_timestamptz($lo) AND v.ts <= make_timestamptz($hi)
        GROUP BY 1, 2
        """,
        {"source": source, "names": list(names), "lo": _us(at - lookback_s), "hi": _us(at)},
    ).fetchall()
    return [(name, json.loads(labels) if isinstance(labels, str) else dict(labels), value) for name, labels, value in rows]


def signal_series(
    con: "duckdb.DuckDBPyConnection", source: str, signal: str, since: float, until: float, *,
    label: str | None = None, value: str = "", points: int = 240,
) -> list[tuple[float, float]]:
    """The signal over [since, until] averaged into at most `points` time buckets (NaN skipped)."""
    step_us = max(US, _us((until - since) / points))
    where_label = "AND coalesce(s.labels ->> $label, '') = $value" if label else "AND s.labels = '{}'::JSON"
    params = {"source": source, "name": f"signal:{signal}", "lo": _us(since), "hi": _us(until), "step": step_us}
    if label:
        params.update(label=label, value=value)
    rows = con.execute(
        f"""
        SELECT epoch_us(v.ts) // $step * $step AS b, avg(v.value)
        FROM samples v JOIN series s USING (series_id)
        WHERE s.source = $source AND s.name = $name {where_label}
          AND v.ts >= make_timestamptz($lo) AND v.ts <= make_timestamptz($hi) AND isfinite(v.value)
        GROUP BY 1 ORDER BY 1
        """,
        params,
    ).fetchall()
    return [(b / US, val) for b, val in rows]


def cost_series(con: "duckdb.DuckDBPyConnection", source: str) -> dict[int, dict[str, str]]:
    """series_id -> its labels, for the one cost counter `source` exposes (first in COST_COUNTERS)."""
    import json

    present = dict(
        con.execute(
            "SELECT name, count(*) FROM series WHERE source = $source AND list_contains($names, name) GROUP BY 1",
            {"source": source, "names": [n for n, _ in COST_COUNTERS]},
        ).fetchall()
    )
    for name, model_label in COST_COUNTERS:
        if name in present:
            rows = con.execute(
                "SELECT series_id, labels FROM series WHERE source = $source AND name = $name",
                {"source": source, "name": name},
            ).fetchall()
            out = {}
            for series_id, labels in rows:
                labels = json.loads(labels) if isinstance(labels, str) else dict(labels)
                if labels.get("team") in EXCLUDED_TEAMS or labels.get("team_alias") in EXCLUDED_TEAMS:
                    continue
                labels["model"] = labels.get(model_label, "unknown")
                out[series_id] = labels
            return out
    return {}


def _watermark(con: "duckdb.DuckDBPyConnection", resolution: str) -> float:
    row = con.execute("SELECT epoch_us(watermark) FROM rollup_watermark WHERE resolution = ?", [resolution]).fetchone()
    return row[0] / US if row else -math.inf


def counter_increase(
    con: "duckdb.DuckDBPyConnection", series_ids: Iterable[int], since: float, until: float,
) -> dict[int, float]:
    """Reset-aware increase of each counter over (since, until], from the cheapest resolution."""
    ids = list(series_ids)
    if not ids or until <= since:
        return {}
    totals: dict[int, float] = dict.fromkeys(ids, 0.0)
    wm_hour, wm_minute = _watermark(con, "1h"), _watermark(con, "1m")
    hour_lo = math.ceil(since / HOUR_S) * HOUR_S
    hour_hi = min(math.floor(until / HOUR_S) * HOUR_S, wm_hour)
    if hour_hi > hour_lo:
        _add(totals, _bucket_increase(con, "samples_1h", ids, hour_lo, hour_hi))
        stretches = [(since, hour_lo), (hour_hi, until)]
    else:
        stretches = [(since, until)]
    for lo, hi in stretches:
        if hi <= lo:
            continue
        minute_lo = math.ceil(lo / MINUTE_S) * MINUTE_S
        minute_hi = min(math.floor(hi / MINUTE_S) * MINUTE_S, wm_minute)
        if minute_hi > minute_lo:
            _add(totals, _bucket_increase(con, "samples_1m", ids, minute_lo, minute_hi))
            _add(totals, _raw_increase(con, ids, lo, minute_lo))
            _add(totals, _raw_increase(con, ids, minute_hi, hi))
        else:
            _add(totals, _raw_increase(con, ids, lo, hi))
    return totals


def _add(totals: dict[int, float], part: Mapping[int, float]) -> None:
    for key, value in part.items():
        totals[key] = totals.get(key, 0.0) + value


def _bucket_increase(con, table: str, ids: list[int], lo: float, hi: float) -> dict[int, float]:
    rows = con.execute(
        f"""
        SELECT series_id, sum(increase) FROM {table}
        WHERE list_contains($ids, series_id)
          AND bucket >= make_timestamptz($lo) AND bucket < make_timestamptz($hi)
        GROUP BY 1
        """,
        {"ids": ids, "lo": _us(lo), "hi": _us(hi)},
    ).fetchall()
    return dict(rows)


def _raw_increase(con, ids: list[int], lo: float, hi: float) -> dict[int, float]:
    """Increase over samples in [lo, hi), each step counted at its later sample (as the rollups do)."""
    if hi <= lo:
        return {}
    rows = con.execute(
        """
        WITH window_rows AS (
            SELECT series_id, ts, value FROM samples
            WHERE list_contains($ids, series_id) AND isfinite(value)
              AND ts >= make_timestamptz($lo) AND ts < make_timestamptz($hi)
        ),
        before AS (
            SELECT series_id, max(ts) AS ts, arg_max(value, ts) AS value FROM samples
            WHERE list_contains($ids, series_id) AND isfinite(value)
              AND ts < make_timestamptz($lo) AND ts >= make_timestamptz($lo) - INTERVAL 2 HOUR
            GROUP BY 1
        ),
        stepped AS (
            SELECT series_id, ts, value, lag(value) OVER (PARTITION BY series_id ORDER BY ts) AS prev, in_window
            FROM (SELECT *, true AS in_window FROM window_rows UNION ALL SELECT *, false FROM before)
        )
        SELECT series_id, sum(CASE WHEN prev IS NULL THEN 0 WHEN value >= prev THEN value - prev ELSE value END)
        FROM stepped WHERE in_window GROUP BY 1
        """,
        {"ids": ids, "lo": _us(lo), "hi": _us(hi)},
    ).fetchall()
    return dict(rows)

"""`aiops-tui report golden`: p95 latency, traffic and error ratio over the period, per 5 minutes
(a day or less) or per hour, as min/avg/max of the stored `signal:*` series; and the golden pane's
AI-quality row at the report's end (signals/quality.py), each reading against its target.

Reads the coarsest data that is exact for each stretch: complete hours from samples_1h, complete
minutes from samples_1m, raw samples after the 1 m watermark. NaN (no traffic) is skipped, as
the rollups skip it; an average of a quantile is over time for one series, never across series.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from aiops_tui.reports.render import Column, Report, Section
from aiops_tui.reports.span import Span, latest_signals_at_end
from aiops_tui.signals.quality import QualityRow, QualityTargets, quality_readings
from aiops_tui.signals.readings import Reading
from aiops_tui.store.rollup import watermark_us

if TYPE_CHECKING:
    import duckdb

SIGNALS = ("requests_per_s", "error_ratio", "latency_p95_s")
SHORT = {"requests_per_s": "rps", "error_ratio": "err", "latency_p95_s": "p95"}
KINDS = {"requests_per_s": "rate", "error_ratio": "ratio", "latency_p95_s": "seconds"}
FIVE_MINUTES_UP_TO_S = 86400.0
"""Periods up to a day get 5-minute buckets; longer ones hourly."""
TOTAL = "all"
STAT_COLUMNS = (Column("signal"), Column("min", "number"), Column("avg", "number"), Column("max", "number"),
                Column("samples", "int"))
QUALITY_COLUMNS = (Column("reading"), Column("model"), Column("value", "number"), Column("target", "number"),
                   Column("status"))

_STATS_SQL = """
WITH picked AS (
    SELECT series_id, substr(name, 8) AS signal, coalesce(labels ->> 'model', $total) AS model
    FROM series
    WHERE source = $source AND list_contains($names, name)
      AND (labels = '{}'::JSON OR json_keys(labels) = ['model'])
),
parts AS (
    SELECT series_id, epoch_us(bucket) AS t_us, min, max, avg, count FROM samples_1h
    WHERE $hourly AND bucket >= make_timestamptz($lo) AND bucket < make_timestamptz(least($hi, $wm_h))
      AND series_id IN (SELECT series_id FROM picked)
    UNION ALL
    SELECT series_id, epoch_us(bucket), min, max, avg, count FROM samples_1m
    WHERE bucket >= make_timestamptz(CASE WHEN $hourly THEN greatest($lo, $wm_h) ELSE $lo END)
      AND bucket < make_timestamptz(least($hi, $wm_m))
      AND series_id IN (SELECT series_id FROM picked)
    UNION ALL
    SELECT series_id, epoch_us(ts), value, value, value, 1 FROM samples
    WHERE ts >= make_timestamptz(greatest($lo, $wm_m)) AND ts < make_timestamptz($hi) AND isfinite(value)
      AND series_id IN (SELECT series_id FROM picked)
)
SELECT p.signal, p.model, r.t_us // $step_us * $step_us AS bucket_us,
       min(r.min), sum(r.avg * r.count) / sum(r.count), max(r.max), sum(r.count)
FROM parts AS r JOIN picked AS p USING (series_id)
WHERE r.count > 0
GROUP BY ALL
ORDER BY 1, 2, 3
"""


def _watermark_us(con, resolution: str, floor_us: int) -> int:
    at_us = watermark_us(con, resolution)
    return floor_us if at_us is None else at_us


def bucket_stats(con: "duckdb.DuckDBPyConnection", source: str, since: float, until: float, step_s: float):
    """(signal, model or "all", bucket start s) -> (min, avg, max, count) over buckets of `step_s`
    starting at `since` floored to the step, up to `until`."""
    step_us = round(step_s * 1e6)
    lo_us = round(since * 1e6) // step_us * step_us
    hi_us = round(until * 1e6)
    wm_m = _watermark_us(con, "1m", lo_us)
    wm_h = min(_watermark_us(con, "1h", lo_us), wm_m)
    rows = con.execute(_STATS_SQL, {
        "source": source, "names": [f"signal:{s}" for s in SIGNALS], "total": TOTAL, "hourly": step_s >= 3600,
        "lo": lo_us, "hi": hi_us, "wm_m": wm_m, "wm_h": wm_h, "step_us": step_us,
    }).fetchall()
    return {(signal, model, b_us / 1e6): (mn, avg, mx, n) for signal, model, b_us, mn, avg, mx, n in rows}


def _status(reading: Reading) -> str:
    """ok | warn | bad against the target; "no target", or why there is no value ("no data", "no traffic")."""
    if reading.missing:
        return reading.note
    return "no target" if reading.status == "none" else reading.status


def quality_rows(row: QualityRow, targets: QualityTargets) -> list[tuple]:
    """The pane's quality row in its order, then the pass rate of each model, worst first."""
    readings = [
        ("validation_pass_ratio", row.validation_pass_ratio, targets.validation_pass_ratio),
        ("review_queue_depth", row.review_queue_depth, None),
        ("review_oldest_age_s", row.review_oldest_age_s, targets.review_oldest_age_s),
        ("reviewed_per_h", row.reviewed_per_h, None),
        ("review_capacity_per_h", row.review_capacity_per_h, None),
        ("audit_coverage_ratio", row.audit_coverage_ratio, targets.audit_coverage_ratio),
    ]
    rows = [(name, TOTAL, reading.value, target, _status(reading)) for name, reading, target in readings]
    rows += [("validation_pass_ratio", model, reading.value, targets.validation_pass_ratio, _status(reading))
             for model, reading in row.pass_ratio_by_model.items()]
    return rows


def _summary_rows(stats) -> list[tuple]:
    """(model, signal, min, avg, max, samples) over the whole period, from `bucket_stats`; all models first."""
    summary: dict[tuple[str, str], list[float]] = {}
    for (signal, model, _), (mn, avg, mx, n) in stats.items():
        acc = summary.setdefault((model, signal), [math.inf, 0.0, -math.inf, 0])
        acc[0], acc[1], acc[2], acc[3] = min(acc[0], mn), acc[1] + avg * n, max(acc[2], mx), acc[3] + n
    models = sorted({m for m, _ in summary}, key=lambda m: (m != TOTAL, m))
    return [
        (model, signal, acc[0], acc[1] / acc[3], acc[2], acc[3])
        for model in models for signal in SIGNALS if (acc := summary.get((model, signal)))
    ]


def build(con: "duckdb.DuckDBPyConnection", span: Span, *, quality_targets: QualityTargets | None = None) -> Report:
    """`quality_targets` from the config, as the golden pane judges its quality row. Of the gateways read
    together (the fleet), each gateway's own summary too: which one was off target."""
    from aiops_tui.model import FLEET_SOURCE
    from aiops_tui.store.timeseries import member_sources

    step_s = 300.0 if span.until - span.since <= FIVE_MINUTES_UP_TO_S else 3600.0
    stats = bucket_stats(con, span.source, span.since, span.until, step_s)
    summary_rows = _summary_rows(stats)
    gateway_rows = [
        (member, *row[1:])
        for member in (member_sources(con, FLEET_SOURCE) if span.source == FLEET_SOURCE else [])
        for row in _summary_rows(bucket_stats(con, member, span.since, span.until, step_s)) if row[0] == TOTAL
    ]
    starts = sorted({b for (_, model, b) in stats if model == TOTAL})
    bucket_rows = []
    for start in starts:
        row: list = [start]
        for signal in SIGNALS:
            mn, avg, mx, _ = stats.get((signal, TOTAL, start), (None, None, None, 0))
            row += [mn, avg, mx]
        bucket_rows.append(tuple(row))
    bucket_columns = [Column("start", "time")] + [
        Column(f"{SHORT[s]}_{stat}{'_s' if s == 'latency_p95_s' else ''}", KINDS[s])
        for s in SIGNALS for stat in ("min", "avg", "max")
    ]
    label = "5m" if step_s == 300 else "1h"
    targets = quality_targets or QualityTargets()
    quality = quality_readings(latest_signals_at_end(con, span), targets)
    return Report(
        "golden", f"Golden signals per {label} ({span.source or 'no source'})",
        [("source", span.source or "none"), ("since_utc", span.since), ("until_utc", span.newest), ("bucket", label),
         ("quality_at_utc", span.newest)],
        [
            Section("summary", (Column("model"), *STAT_COLUMNS), summary_rows),
            *([Section("gateways", (Column("gateway"), *STAT_COLUMNS), gateway_rows)] if gateway_rows else []),
            Section("buckets", bucket_columns, bucket_rows),
            Section("quality", QUALITY_COLUMNS, quality_rows(quality, targets)),
        ],
    )

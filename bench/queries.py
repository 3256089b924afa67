"""Queries on a 100M-sample history (1,004 series every 78 s for 90 days): 30-day hourly cost by model,
p95 latency per 5-minute bucket over the last 6 h, latest value per series (through the rollups, with
raw-sample contrasts), Cockpit.views() on the file, and the file's size per million samples.

    .venv/bin/python bench/queries.py [--runs 9] [--small]

The file is generated once into bench/.data/ (about 3 minutes, 5 GB) and reused. `--small` runs the
same queries on the 10M-sample review file instead (bench/startup.py's).
Target (issue 8): each query <= 20 ms median through the rollups.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    HISTORY_100M, HISTORY_100M_FILE, REVIEW_10M, history_file, median, own_rss_mb, print_header,
)

HOUR_S = 3600.0
DAY_S = 86400.0
CONTRAST_MEMORY_LIMIT = "2GB"

COST_HOURLY_VIEW = """
SELECT hour, model, sum(usd) FROM cost_hourly
WHERE hour >= make_timestamptz($lo) AND hour < make_timestamptz($hi)
GROUP BY ALL ORDER BY 1, 2
"""

# The same with the hour as epoch seconds, as the store's own readers take times: the Python client
# builds no time-zone-aware datetime per row.
COST_HOURLY_VIEW_EPOCH = COST_HOURLY_VIEW.replace("SELECT hour,", "SELECT epoch(hour) AS hour,", 1)

# Schema 1's cost_hourly view (before cost_1h): the counter preference and the health-check exclusion
# computed at query time over samples_1h. Kept to measure against.
COST_HOURLY_SCHEMA_1 = """
WITH cost_counters (name, model_label, preference) AS (
    VALUES ('litellm_spend_metric_total', 'model', 1),
           ('gen_ai_usage_cost_USD_sum', 'gen_ai_request_model', 2),
           ('aiops_cost_usd_total', 'model', 3)
),
cost_series AS (
    SELECT s.series_id, s.source, coalesce(s.labels ->> c.model_label, 'unknown') AS model, c.preference,
           min(c.preference) OVER (PARTITION BY s.source) AS preferred
    FROM series AS s JOIN cost_counters AS c USING (name)
    WHERE coalesce(s.labels ->> 'team', '') <> 'litellm-internal-health-check'
      AND coalesce(s.labels ->> 'team_alias', '') <> 'litellm-internal-health-check'
),
cost_hourly_1 AS (
    SELECT h.bucket AS hour, c.source, c.model, sum(h.increase) AS usd
    FROM samples_1h AS h JOIN cost_series AS c USING (series_id)
    WHERE c.preference = c.preferred
    GROUP BY ALL
)
SELECT hour, model, sum(usd) FROM cost_hourly_1
WHERE hour >= make_timestamptz($lo) AND hour < make_timestamptz($hi)
GROUP BY ALL ORDER BY 1, 2
"""

# The same answer from raw samples, reset-aware (the way the rollups compute `increase`), for contrast.
COST_HOURLY_RAW = """
WITH cost AS (
    SELECT series_id, coalesce(labels ->> 'model', 'unknown') AS model FROM series
    WHERE name = 'litellm_spend_metric_total'
      AND coalesce(labels ->> 'team', '') <> 'litellm-internal-health-check'
),
stepped AS (
    SELECT v.ts, c.model, v.value, lag(v.value) OVER (PARTITION BY v.series_id ORDER BY v.ts) AS prev
    FROM samples AS v JOIN cost AS c USING (series_id)
    WHERE v.ts >= make_timestamptz($lo) AND v.ts < make_timestamptz($hi)
)
SELECT time_bucket(INTERVAL 1 HOUR, ts) AS hour, model,
       sum(CASE WHEN prev IS NULL THEN 0 WHEN value >= prev THEN value - prev ELSE value END)
FROM stepped GROUP BY ALL ORDER BY 1, 2
"""

P95_5M_ROLLUP = """
SELECT m.bucket // 300000000 * 300000000 AS bucket, coalesce(s.labels ->> 'model', '*') AS model,
       sum(m.avg * m.count) / sum(m.count) AS p95_avg_s, max(m.max) AS p95_max_s
FROM (SELECT series_id, epoch_us(bucket) AS bucket, avg, max, count FROM samples_1m
      WHERE bucket >= make_timestamptz($lo) AND bucket < make_timestamptz($hi)) AS m
JOIN series AS s USING (series_id)
WHERE s.name = 'signal:latency_p95_s'
GROUP BY ALL ORDER BY 1, 2
"""

P95_5M_VIEW = """
SELECT bucket, labels, avg, max FROM golden_5m
WHERE name = 'signal:latency_p95_s' AND bucket >= make_timestamptz($lo) AND bucket < make_timestamptz($hi)
ORDER BY 1, 2
"""

LATEST_ROLLUP = """
SELECT series_id, max(bucket), arg_max(last, bucket) FROM samples_1m
WHERE bucket >= make_timestamptz($lo) GROUP BY 1
"""

LATEST_RAW_LOOKBACK = """
SELECT series_id, max(ts), arg_max(value, ts) FROM samples
WHERE ts > make_timestamptz($lo) AND ts <= make_timestamptz($hi) GROUP BY 1
"""

LATEST_RAW_FULL = "SELECT series_id, max(ts), arg_max(value, ts) FROM samples GROUP BY 1"


def timed(fn, runs: int) -> tuple[float, float, int]:
    """(first call ms, median ms of the next `runs`, rows of the answer)."""
    started = time.perf_counter()
    rows = fn()
    first_ms = (time.perf_counter() - started) * 1000
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return first_ms, median(times), len(rows)


def storage(con) -> dict[str, tuple[int, float]]:
    """table -> (rows, MB of blocks it occupies)."""
    block_size = con.execute("SELECT block_size FROM pragma_database_size()").fetchone()[0]
    out = {}
    tables = {row[0] for row in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    for table in ("samples", "samples_1m", "samples_1h", "cost_1h", "series", "events"):
        if table not in tables:
            continue  # cost_1h: a file of schema 1
        rows = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        blocks = con.execute(
            f"SELECT count(DISTINCT block_id) FROM pragma_storage_info('{table}') WHERE block_id >= 0"
        ).fetchone()[0]
        out[table] = (rows, blocks * block_size / 1e6)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--small", action="store_true", help="use the 10M-sample review file")
    args = parser.parse_args()
    print_header("queries on a long history, read-only")
    path = history_file("review-10m.duckdb", **REVIEW_10M) if args.small else history_file(HISTORY_100M_FILE, **HISTORY_100M)

    from aiops_tui.cockpit import Cockpit
    from aiops_tui.store import timeseries as ts_sql
    from aiops_tui.store.history import History
    from aiops_tui.store.opening import MEMORY_LIMIT, set_memory_limit

    opened = time.perf_counter()
    with History.open(path, read_only=True) as history:
        open_ms = (time.perf_counter() - opened) * 1000
        con = history.cursor()
        lo_s, end_s = history.time_range()
        span = {"lo": round((end_s - 30 * DAY_S) * 1e6), "hi": round(end_s * 1e6)}
        last_6h = {"lo": round((end_s - 6 * HOUR_S) * 1e6), "hi": round(end_s * 1e6)}
        recent = {"lo": round((end_s - 300) * 1e6), "hi": round(end_s * 1e6)}
        minute_wm = con.execute("SELECT epoch_us(watermark) FROM rollup_watermark WHERE resolution = '1m'").fetchone()[0]
        sizes = storage(con)
        samples = sizes["samples"][0]
        file_mb = path.stat().st_size / 1e6
        schema = con.execute("SELECT max(schema_version) FROM meta").fetchone()[0]
        print(f"file {path.name} (schema {schema}): {samples:,} samples, {sizes['series'][0]:,} series, "
              f"{(end_s - lo_s) / DAY_S:.0f} days; opened in {open_ms:.0f} ms")

        def query(sql: str, params: dict):
            return lambda: con.execute(sql, params).fetchall()

        cases = [
            (f"30-day hourly cost by model, cost_hourly view ({'cost_1h' if schema >= 2 else 'samples_1h'})",
             query(COST_HOURLY_VIEW, span), True),
            ("30-day hourly cost by model, cost_hourly view, hours as epoch seconds", query(COST_HOURLY_VIEW_EPOCH, span), True),
            ("  before: schema 1's cost_hourly view, over samples_1h", query(COST_HOURLY_SCHEMA_1, span), False),
            ("30-day hourly cost by model, History.rollups('1h') + Python sum by model",
             lambda: _cost_by_model_api(history, end_s), True),
            ("  contrast: same from raw samples, reset-aware", query(COST_HOURLY_RAW, span), False),
            ("p95 latency per 5 min over 6 h, samples_1m", query(P95_5M_ROLLUP, last_6h), True),
            ("p95 latency per 5 min over 6 h, golden_5m view", query(P95_5M_VIEW, last_6h), True),
            ("  contrast: timeseries.signal_series (raw, 72 points)",
             lambda: ts_sql.signal_series(con, "demo-gateway", "latency_p95_s", end_s - 6 * HOUR_S, end_s, points=72), False),
            ("latest value per series, samples_1m last bucket (5 min back)",
             query(LATEST_ROLLUP, {"lo": minute_wm - 300_000_000}), True),
            ("latest value per series, raw with a 5-min look-back", query(LATEST_RAW_LOOKBACK, recent), True),
            ("  contrast: latest value per series, raw, no look-back", query(LATEST_RAW_FULL, {}), False),
        ]
        print(f"\nquery (first call, then median of {args.runs}; target <= 20 ms through the rollups):")
        for name, fn, _target in cases:
            contrast = name.startswith("  contrast")
            runs = args.runs if not contrast else max(1, args.runs // 3)
            # The contrasts are no pane's path: they read raw samples over 30 days, past the cockpit's memory limit.
            set_memory_limit(con, CONTRAST_MEMORY_LIMIT if contrast else MEMORY_LIMIT)
            first_ms, median_ms, rows = timed(fn, runs)
            set_memory_limit(con, MEMORY_LIMIT)
            print(f"  {name:74s} first {first_ms:8.1f} ms · median {median_ms:8.1f} ms · {rows:,} rows", flush=True)

        print(f"  {'30-day hourly cost by model, cost_hourly view, DuckDB alone (EXPLAIN)':74s} {'':19s}"
              f"median {_duckdb_ms(con, COST_HOURLY_VIEW, span, args.runs):8.1f} ms "
              f"(schema 1's view {_duckdb_ms(con, COST_HOURLY_SCHEMA_1, span, args.runs):.1f} ms)")

        cockpit = Cockpit(history, clock=lambda: end_s)
        first_ms, median_ms, _ = timed(lambda: [cockpit.views()], max(1, args.runs // 2))
        print(f"  {'Cockpit.views() at the end of the file (golden, cost, breakers)':74s} "
              f"first {first_ms:8.1f} ms · median {median_ms:8.1f} ms")
        _views_breakdown(con, history, end_s)

    print(f"\nfile size: {file_mb:,.0f} MB for {samples / 1e6:,.1f}M samples = {file_mb / (samples / 1e6):.1f} MB per million samples")
    for table, (rows, mb) in sizes.items():
        per = f" = {mb / (rows / 1e6):.1f} MB per million rows" if rows >= 1e6 else ""
        print(f"  {table:11s} {rows:>13,} rows {mb:9,.0f} MB{per}")
    print(f"RSS of this process after the queries: {own_rss_mb():.0f} MB")
    return 0


def _duckdb_ms(con, sql: str, params: dict, runs: int) -> float:
    """Median of DuckDB's own total time for `sql`: no Python objects built for the answer."""
    times = []
    for _ in range(runs):
        plan = con.execute("EXPLAIN ANALYZE " + sql, params).fetchall()[0][1]
        total_s = next(line.split("Total Time:", 1)[1].split("s", 1)[0] for line in plan.splitlines() if "Total Time:" in line)
        times.append(float(total_s) * 1000)
    return median(times)


def _cost_by_model_api(history, end_s: float) -> list:
    out: dict[tuple[float, str], float] = {}
    for row in history.rollups("litellm_spend_metric_total", end_s - 30 * DAY_S, end_s - HOUR_S, resolution="1h"):
        key = (row.ts, row.key.label("model", "unknown"))
        out[key] = out.get(key, 0.0) + row.increase
    return list(out.items())


def _views_breakdown(con, history, end_s: float) -> None:
    """The store reads build_views makes, each timed once: where Cockpit.views() spends its time."""
    from aiops_tui.store import timeseries as ts_sql

    source = "demo-gateway"
    steps = {
        "signal_sources": lambda: ts_sql.signal_sources(con, end_s, 120),
        "latest_signals": lambda: ts_sql.latest_signals(con, source, end_s, 120),
        "signal_series x4 (1 h charts)": lambda: [ts_sql.signal_series(con, source, s, end_s - 3600, end_s)
                                                   for s in ("latency_p95_s", "requests_per_s", "error_ratio", "tokens_per_s")],
        "signal_series spend 7 d (168 points)": lambda: ts_sql.signal_series(con, source, "spend_usd_per_h", end_s - 7 * DAY_S, end_s, points=168),
        "cost_series + counter_increase month to date": lambda: ts_sql.counter_increase(
            con, ts_sql.cost_series(con, source), end_s - 24 * DAY_S, end_s),
        "events 30 d (breaker)": lambda: history.events(end_s - 30 * DAY_S, end_s, kinds=["breaker"]),
    }
    parts = []
    for name, fn in steps.items():
        started = time.perf_counter()
        fn()
        parts.append(f"{name} {(time.perf_counter() - started) * 1000:.0f} ms")
    print("    of which, once each: " + " · ".join(parts))


if __name__ == "__main__":
    sys.exit(main())

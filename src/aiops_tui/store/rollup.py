"""Incremental 1-minute and 1-hour rollups with reset-aware counter increase, the hourly cost rollup
behind the cost_hourly view, and retention purge.

Each function runs inside the caller's transaction on the writer's connection.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import duckdb

MINUTE_US = 60_000_000
HOUR_US = 3_600_000_000
PIECE_ROWS_PER_MIB = 2_000
"""At the cockpit's 48 MB, the demo's 222,000 raw samples rolled up at once and 445,000 failed: 91,000 a piece
leaves more than twice the room they need."""
_MIB_PER_UNIT = {"bytes": 1 / 2**20, "KiB": 1 / 2**10, "MiB": 1.0, "GiB": 2.0**10, "TiB": 2.0**20, "PiB": 2.0**30}

# Raw samples of [lo, hi) plus the carried last sample before lo, stepped pairwise per series:
# a rise adds its delta, a drop (counter reset) adds the new value (never below 0), the first
# sample ever adds 0.
_ROLLUP_1M_SQL = """
INSERT INTO samples_1m
WITH fresh AS (
    SELECT series_id, epoch_us(ts) AS ts_us, value, false AS is_carry
    FROM samples
    WHERE ts >= make_timestamptz($lo) AND ts < make_timestamptz($hi) AND isfinite(value)
),
with_carry AS (
    SELECT * FROM fresh
    UNION ALL
    SELECT series_id, epoch_us(ts), value, true FROM rollup_carry
),
stepped AS (
    SELECT series_id, ts_us, value, is_carry,
           lag(value) OVER (PARTITION BY series_id ORDER BY ts_us) AS prev_value
    FROM with_carry
)
SELECT make_timestamptz(ts_us // 60000000 * 60000000) AS bucket,
       series_id,
       min(value), max(value), avg(value), arg_max(value, ts_us), count(*),
       coalesce(sum(CASE WHEN prev_value IS NULL THEN 0
                         WHEN value >= prev_value THEN value - prev_value
                         ELSE greatest(value, 0) END), 0)
FROM stepped
WHERE NOT is_carry
GROUP BY 1, 2
ORDER BY 1, 2
"""

_CARRY_SQL = """
INSERT OR REPLACE INTO rollup_carry
SELECT series_id, max(ts), arg_max(value, ts)
FROM samples
WHERE ts >= make_timestamptz($lo) AND ts < make_timestamptz($hi) AND isfinite(value)
GROUP BY series_id
"""

_ROLLUP_1H_SQL = """
INSERT INTO samples_1h
SELECT make_timestamptz(epoch_us(bucket) // 3600000000 * 3600000000) AS hour,
       series_id,
       min(min), max(max), sum(avg * count) / sum(count), arg_max(last, bucket), sum(count),
       sum(increase)
FROM samples_1m
WHERE bucket >= make_timestamptz($lo) AND bucket < make_timestamptz($hi)
GROUP BY 1, 2
ORDER BY 1, 2
"""


# Hours of samples_1h in [lo, hi) summed per source and model over each source's preferred cost
# counter (LiteLLM's, else OTel GenAI's, else the aiops sim's, else the one Prometheus sums per model
# and target, among those the source has exposed by the time the hour is rolled up); LiteLLM's own
# health checks are not user traffic.
_ROLLUP_COST_1H_SQL = """
INSERT INTO cost_1h
WITH cost_counters (name, model_label, preference) AS (
    VALUES ('litellm_spend_metric_total', 'model', 1),
           ('gen_ai_usage_cost_USD_sum', 'gen_ai_request_model', 2),
           ('aiops_cost_usd_total', 'model', 3),
           ('signal:cost_usd_total', 'model', 4)
),
cost_series AS (
    SELECT s.series_id,
           s.source,
           coalesce(s.labels ->> c.model_label, 'unknown') AS model,
           c.preference,
           min(c.preference) OVER (PARTITION BY s.source) AS preferred
    FROM series AS s
    JOIN cost_counters AS c USING (name)
    WHERE coalesce(s.labels ->> 'team', '') <> 'litellm-internal-health-check'
      AND coalesce(s.labels ->> 'team_alias', '') <> 'litellm-internal-health-check'
)
SELECT h.bucket, c.source, c.model, sum(h.increase)
FROM samples_1h AS h
JOIN cost_series AS c USING (series_id)
WHERE c.preference = c.preferred
  AND h.bucket >= make_timestamptz($lo) AND h.bucket < make_timestamptz($hi)
GROUP BY ALL
ORDER BY 1, 2, 3
"""


def watermark_us(con: duckdb.DuckDBPyConnection, resolution: str) -> int | None:
    """Every `resolution` bucket starting before this instant (µs since the epoch) is complete."""
    row = con.execute(
        "SELECT epoch_us(watermark) FROM rollup_watermark WHERE resolution = ?", [resolution]
    ).fetchone()
    return row[0] if row else None


def rollup(con: duckdb.DuckDBPyConnection, until_s: float) -> None:
    """Complete every 1 m and 1 h bucket that ends at or before `until_s`.

    Samples written later with a time before the 1 m watermark are kept raw but never rolled up,
    so callers pass an `until_s` a little behind the newest samples.
    """
    until_us = round(until_s * 1_000_000)
    for hi_us in _pieces(con, until_us // MINUTE_US * MINUTE_US):
        _rollup_minutes(con, hi_us)
        minutes_done_us = watermark_us(con, "1m")
        if minutes_done_us is not None:
            _rollup_hours(con, min(until_us, minutes_done_us) // HOUR_US * HOUR_US)


def _pieces(con: duckdb.DuckDBPyConnection, hi_us: int) -> list[int]:
    """Where each piece of the rollup up to `hi_us` ends: one piece for the recorder's minute, and pieces of
    `_piece_rows` raw samples (split by time, on minutes) for a long span, which rolled up at once needs
    more than the history's memory limit (a day of the demo's 1,237 series: 1.8M samples)."""
    lo_us = _minutes_from(con)
    if lo_us is None or hi_us - lo_us <= HOUR_US:
        return [hi_us]
    rows = con.execute(
        "SELECT count(*) FROM samples WHERE ts >= make_timestamptz($lo) AND ts < make_timestamptz($hi)",
        {"lo": lo_us, "hi": hi_us},
    ).fetchone()[0]
    count = max(1, -(-rows // _piece_rows(con)))  # none at all after a gap in the recording: one piece
    width_us = -(-(hi_us - lo_us) // count // MINUTE_US) * MINUTE_US
    return [*range(lo_us + width_us, hi_us, width_us), hi_us]


def _piece_rows(con: duckdb.DuckDBPyConnection) -> int:
    """Raw samples one piece may roll up: PIECE_ROWS_PER_MIB for each MiB of the database's memory limit
    (91,000 at the cockpit's 48 MB; a bulk job that raised its limit rolls up in fewer pieces)."""
    limit = con.execute("SELECT current_setting('memory_limit')").fetchone()[0]  # e.g. "45.7 MiB"
    number, _, unit = limit.partition(" ")
    try:
        mib = float(number) * _MIB_PER_UNIT.get(unit, 0.0)
    except ValueError:  # a form this code does not know: as at the cockpit's limit
        mib = 0.0
    return max(1, round(PIECE_ROWS_PER_MIB * mib)) if mib > 0 else PIECE_ROWS_PER_MIB * 48


def _minutes_from(con: duckdb.DuckDBPyConnection) -> int | None:
    """Where the next 1 m rollup begins: its watermark, else the first sample's minute; None without samples."""
    lo_us = watermark_us(con, "1m")
    if lo_us is None:
        first = con.execute("SELECT epoch_us(min(ts)) FROM samples").fetchone()
        if first is None or first[0] is None:
            return None
        lo_us = first[0] // MINUTE_US * MINUTE_US
    return lo_us


def _rollup_minutes(con: duckdb.DuckDBPyConnection, hi_us: int) -> None:
    lo_us = _minutes_from(con)
    if lo_us is None or hi_us <= lo_us:
        return
    bounds = {"lo": lo_us, "hi": hi_us}
    con.execute(_ROLLUP_1M_SQL, bounds)
    con.execute(_CARRY_SQL, bounds)
    _set_watermark(con, "1m", hi_us)


def _rollup_hours(con: duckdb.DuckDBPyConnection, hi_us: int) -> None:
    lo_us = watermark_us(con, "1h")
    if lo_us is None:
        first = con.execute("SELECT epoch_us(min(bucket)) FROM samples_1m").fetchone()
        if first is None or first[0] is None:
            return
        lo_us = first[0] // HOUR_US * HOUR_US
    if hi_us <= lo_us:
        return
    bounds = {"lo": lo_us, "hi": hi_us}
    con.execute(_ROLLUP_1H_SQL, bounds)
    con.execute(_ROLLUP_COST_1H_SQL, bounds)
    _set_watermark(con, "1h", hi_us)


def fill_cost_1h(con: duckdb.DuckDBPyConnection) -> None:
    """Write cost_1h for every hour samples_1h holds (a history file from before cost_1h existed)."""
    lo_us, hi_us = con.execute("SELECT epoch_us(min(bucket)), epoch_us(max(bucket)) FROM samples_1h").fetchone()
    if lo_us is not None:
        con.execute(_ROLLUP_COST_1H_SQL, {"lo": lo_us, "hi": hi_us + HOUR_US})


def _set_watermark(con: duckdb.DuckDBPyConnection, resolution: str, at_us: int) -> None:
    con.execute(
        "INSERT OR REPLACE INTO rollup_watermark VALUES (?, make_timestamptz(?))", [resolution, at_us]
    )


def purge(con: duckdb.DuckDBPyConnection, now_s: float, *, raw_s: float, m1_s: float, h1_s: float) -> int:
    """Delete what is older than each resolution's horizon (cost_1h's is samples_1h's); return the
    number of rows deleted.

    Raw samples not yet folded into samples_1m (and 1 m buckets not yet in samples_1h) are kept
    whatever their age, so a purge never loses data that exists at no coarser resolution.
    Events are the incident timeline and are never purged.
    """
    now_us = round(now_s * 1_000_000)
    minutes_done_us = watermark_us(con, "1m")
    hours_done_us = watermark_us(con, "1h")
    deleted = 0
    if minutes_done_us is not None:
        cutoff_us = min(now_us - round(raw_s * 1_000_000), minutes_done_us)
        deleted += _delete_before(con, "samples", "ts", cutoff_us)
    if hours_done_us is not None:
        cutoff_us = min(now_us - round(m1_s * 1_000_000), hours_done_us)
        deleted += _delete_before(con, "samples_1m", "bucket", cutoff_us)
    hours_cutoff_us = now_us - round(h1_s * 1_000_000)
    deleted += _delete_before(con, "samples_1h", "bucket", hours_cutoff_us)
    deleted += _delete_before(con, "cost_1h", "bucket", hours_cutoff_us)
    return deleted


def _delete_before(con: duckdb.DuckDBPyConnection, table: str, column: str, cutoff_us: int) -> int:
    row = con.execute(f"DELETE FROM {table} WHERE {column} < make_timestamptz(?)", [cutoff_us]).fetchone()
    return int(row[0]) if row else 0

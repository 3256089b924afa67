"""Reads the panes need from the history: latest signals, chart series, counter increases.

Counter increases are reset-aware and take the cheapest resolution that covers each stretch:
complete hours from `samples_1h`, complete minutes from `samples_1m`, the rest from raw samples.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING

from aiops_tui.model import FLEET_SOURCE, MEMBER_SEP, NOT_GATEWAYS
from aiops_tui.store.rollup import watermark_us

if TYPE_CHECKING:
    import duckdb

US = 1_000_000
MINUTE_S = 60.0
HOUR_S = 3600.0
DAY_S = 86400.0

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
    return signal_sources_of(con, ["requests_per_s"], at, lookback_s)["requests_per_s"]


def pick_source(freshness: dict[str, float], *, prefer_prometheus: bool = True) -> str:
    """Prometheus when it has current signals, else every gateway together (with more than one), else
    the gateway with the freshest ones."""
    if not freshness:
        return ""
    if prefer_prometheus and "prometheus" in freshness:
        return "prometheus"
    if FLEET_SOURCE in freshness:
        return FLEET_SOURCE
    return max(freshness, key=lambda s: (freshness[s], s))


def signal_sources_of(
    con: "duckdb.DuckDBPyConnection", signals: Sequence[str], at: float, lookback_s: float,
) -> dict[str, dict[str, float]]:
    """signal -> source -> time of its latest sample in (at - lookback, at], for each of `signals`, in one read."""
    rows = con.execute(
        """
        SELECT s.name, s.source, epoch_us(max(v.ts))
        FROM samples v JOIN series s USING (series_id)
        WHERE list_contains($names, s.name)
          AND v.ts > make_timestamptz($lo) AND v.ts <= make_timestamptz($hi)
        GROUP BY 1, 2
        """,
        {"names": [f"signal:{signal}" for signal in signals], "lo": _us(at - lookback_s), "hi": _us(at)},
    ).fetchall()
    out: dict[str, dict[str, float]] = {signal: {} for signal in signals}
    for name, source, ts_us in rows:
        out[name.removeprefix("signal:")][source] = ts_us / US
    return out


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
    con: "duckdb.DuckDBPyConnection", sources: Sequence[str], names: Iterable[str], at: float, lookback_s: float,
) -> list[tuple[str, str, dict[str, str], float]]:
    """(source, name, labels, latest value) for each series of `names` from `sources` in the look-back."""
    import json

    rows = con.execute(
        """
        SELECT s.source, s.name, s.labels, arg_max(v.value, v.ts)
        FROM samples v JOIN series s USING (series_id)
        WHERE list_contains($sources, s.source) AND list_contains($names, s.name)
          AND v.ts > make_timestamptz($lo) AND v.ts <= make_timestamptz($hi)
        GROUP BY 1, 2, 3
        """,
        {"sources": list(sources), "names": list(names), "lo": _us(at - lookback_s), "hi": _us(at)},
    ).fetchall()
    return [(source, name, json.loads(labels) if isinstance(labels, str) else dict(labels), value)
            for source, name, labels, value in rows]


ROLLUP_AFTER_S = DAY_S
"""Charts over a longer span read the rollups: the four golden charts of 90 days took 436 ms from raw
samples and 48 ms from samples_1h (a 14M-sample file, median of 11); raw is purged after 14 days anyway."""
ROLLUP_S = {"1m": MINUTE_S, "1h": HOUR_S}


def chart_resolution(span_s: float, points: int) -> str:
    """raw up to a day; beyond, 1 h rollups when a chart bucket is whole hours (the answer is then
    exactly the raw one), else 1 m rollups (a rolled minute lands in the bucket holding its start)."""
    if span_s <= ROLLUP_AFTER_S:
        return "raw"
    step_us = max(US, _us(span_s / points))
    return "1h" if step_us % _us(HOUR_S) == 0 else "1m"


def signal_series(
    con: "duckdb.DuckDBPyConnection", source: str, signal: str, since: float, until: float, *,
    label: str | None = None, value: str = "", points: int = 240, resolution: str = "auto",
) -> list[tuple[float, float]]:
    """The signal over [since, until] averaged into at most `points` time buckets (NaN skipped).

    `resolution` "auto" picks by span (`chart_resolution`); with "1m" or "1h" the rolled-up buckets
    wholly inside the span give their count-weighted averages, and raw samples fill the partial edges
    and whatever is not rolled up yet, so the answer is the raw one read through fewer rows.
    """
    return signal_series_many(con, source, [signal], since, until, label=label, value=value, points=points,
                              resolution=resolution)[signal]


def signal_series_many(
    con: "duckdb.DuckDBPyConnection", source: str, signals: Iterable[str], since: float, until: float, *,
    label: str | None = None, value: str = "", points: int = 240, resolution: str = "auto",
) -> dict[str, list[tuple[float, float]]]:
    """`signal_series` of each of `signals`, over the same span and buckets, in one query: on a short
    history DuckDB's cost per query (a few ms) is most of a chart's."""
    return signal_series_spans(con, source, signals, [(since, until, points, resolution)], label=label, value=value)[0]


def signal_series_spans(
    con: "duckdb.DuckDBPyConnection", source: str, signals: Iterable[str],
    spans: Sequence[tuple[float, float, float, str]], *, label: str | None = None, value: str = "",
) -> list[dict[str, list[tuple[float, float]]]]:
    """`signal_series_many` over each of `spans`, (since, until, points, resolution) each, in one query (its
    buckets (until - since) / points wide: `points` is fractional for a span that is not whole buckets):
    the cost pane's six spend rates over six windows were six queries, 36 ms of the demo's first views."""
    wanted = list(signals)
    out: list[dict[str, list[tuple[float, float]]]] = [{signal: [] for signal in wanted} for _ in spans]
    if not wanted or not spans:
        return out
    if label:
        where, params = "AND coalesce(s.labels ->> $label, '') = $value", {"label": label, "value": value}
    else:
        where, params = "AND s.labels = '{}'::JSON", {}
    for span, name, _, b, val in _bucketed(con, [source], wanted, spans, where, "''", params):
        out[span][name.removeprefix("signal:")].append((b / US, val))
    return out


def signal_series_by(
    con: "duckdb.DuckDBPyConnection", sources: Sequence[str], signals: Sequence[str], since: float, until: float, *,
    label: str, values: Iterable[str], points: int = 240, resolution: str = "auto", by_source: bool = False,
) -> dict[str, dict[str, list[tuple[float, float]]]]:
    """signal -> value of `label` -> its average per bucket (`points` of them over the span), for each of
    `signals` and `values`, in one query (one per value cost 10x more); past a day through the rollups, as
    `signal_series`. `by_source`: the values are "source · value", one per source of `sources`."""
    wanted = list(values)
    out: dict[str, dict[str, list[tuple[float, float]]]] = {signal: {value: [] for value in wanted} for signal in signals}
    if not wanted or not signals:
        return out
    group = "coalesce(s.labels ->> $label, '')"
    if by_source:
        group = f"s.source || '{MEMBER_SEP}' || {group}"
    rows = _bucketed(con, sources, list(signals), [(since, until, points, resolution)],
                     f"AND list_contains($values, {group})", group, {"label": label, "values": wanted})
    for _, name, g, b, val in rows:
        out[name.removeprefix("signal:")][g].append((b / US, val))
    return out


_FINER = {"1h": "1m", "1m": "raw"}


def _bucketed(
    con: "duckdb.DuckDBPyConnection", sources: Sequence[str], signals: list[str],
    spans: Sequence[tuple[float, float, float, str]], where: str, group: str, params: dict[str, object],
) -> list[tuple[int, str, str, int, float]]:
    """(span, name, group, bucket start in µs, average) of the `signal:` series of `signals` from `sources` that
    `where` keeps, per `group` (a SQL expression over the series `s`) and bucket of each span.

    With resolution "1m" or "1h" ("auto": `chart_resolution`) the rolled-up buckets wholly inside the span
    give their count-weighted averages, and raw samples the rest, so the answer is the raw one read through
    fewer rows: after the last rolled bucket raw samples, before the first one the next finer rollup's
    buckets (1 m before 1 h) and raw samples for the part-minute. Read from raw samples alone, the part-hour
    at the start of a long span was lost from a chart past raw retention (14 days), and brought up to an hour
    of every series' samples into DuckDB's pool (a span starting on the minute reads none of them)."""
    params = {**params, "sources": list(sources), "names": [f"signal:{signal}" for signal in signals]}
    parts: list[str] = []

    def param(ts_us: int) -> str:
        name = f"t{len(params)}"
        params[name] = ts_us
        return f"make_timestamptz(${name})"

    for i, (since, until, points, resolution) in enumerate(spans):
        params[f"step{i}"] = max(US, _us((until - since) / points))
        if resolution == "auto":
            resolution = chart_resolution(until - since, points)
        raw = f"""
        SELECT {i} AS span, s.name, {group} AS g, epoch_us(v.ts) // $step{i} * $step{i} AS b, v.value AS total, 1 AS n
        FROM samples v JOIN series s USING (series_id)
        WHERE list_contains($sources, s.source) AND list_contains($names, s.name) {where}
          AND v.ts >= @LO@ AND v.ts < @HI@ AND isfinite(v.value)
        """
        rolled = f"""
        SELECT {i} AS span, s.name, {group} AS g, epoch_us(r.bucket) // $step{i} * $step{i} AS b,
          r.avg * r.count AS total, r.count AS n
        FROM samples_@RES@ r JOIN series s USING (series_id)
        WHERE list_contains($sources, s.source) AND list_contains($names, s.name) {where}
          AND r.bucket >= @LO@ AND r.bucket < @HI@ AND r.count > 0
        """

        def cover(lo_us: int, hi_us: int, res: str) -> list[str]:
            """The parts that read [lo_us, hi_us) once, through the rollup `res` where it can."""
            if hi_us <= lo_us:
                return []
            if res == "raw":
                return [raw.replace("@LO@", param(lo_us)).replace("@HI@", param(hi_us))]
            bucket_us, watermark = _us(ROLLUP_S[res]), watermark_s(con, res)
            rolled_lo = -(-lo_us // bucket_us) * bucket_us
            rolled_hi = min(hi_us // bucket_us * bucket_us, _us(watermark)) if watermark > -math.inf else rolled_lo
            if rolled_hi <= rolled_lo:
                return cover(lo_us, hi_us, _FINER[res])
            return [
                *cover(lo_us, rolled_lo, _FINER[res]),
                rolled.replace("@RES@", res).replace("@LO@", param(rolled_lo)).replace("@HI@", param(rolled_hi)),
                *cover(rolled_hi, hi_us, "raw"),  # the newest: read from raw samples for the charts of the hour too
            ]

        parts += cover(_us(since), _us(until) + 1, resolution)  # `until` is in the span
    if not parts:  # every span ends before it starts
        return []
    return con.execute(
        f"SELECT span, name, g, b, sum(total) / sum(n) FROM ({' UNION ALL '.join(parts)})"
        " GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4",
        params,
    ).fetchall()


def member_sources(con: "duckdb.DuckDBPyConnection", source: str) -> list[str]:
    """The sources whose own series `source` stands for: for the fleet's signals (`FLEET_SOURCE`) every
    gateway the history holds series of, else `source` itself."""
    if source != FLEET_SOURCE:
        return [source]
    rows = con.execute(
        "SELECT DISTINCT source FROM series WHERE NOT list_contains($not, source) ORDER BY 1",
        {"not": list(NOT_GATEWAYS)},
    ).fetchall()
    return [name for (name,) in rows]


def cost_series(con: "duckdb.DuckDBPyConnection", source: str) -> dict[int, dict[str, str]]:
    """series_id -> its labels, for the one cost counter `source` exposes (first in COST_COUNTERS); for
    the fleet, each gateway's own."""
    return cost_series_of(con, member_sources(con, source))


def cost_series_of(con: "duckdb.DuckDBPyConnection", sources: Sequence[str]) -> dict[int, dict[str, str]]:
    """`cost_series` of each of `sources`, together."""
    return together(cost_series_by_source(con, sources))


def together(by_source: Mapping[str, Mapping[int, dict[str, str]]]) -> dict[int, dict[str, str]]:
    """`cost_series_by_source`'s series of every source in one mapping, as `cost_series_of` gives them."""
    return {sid: labels for own in by_source.values() for sid, labels in own.items()}


def cost_series_by_source(
    con: "duckdb.DuckDBPyConnection", sources: Sequence[str],
) -> dict[str, dict[int, dict[str, str]]]:
    """source -> its `cost_series`, for each of `sources`."""
    return {source: _own_cost_series(con, source) for source in sources}


def _own_cost_series(con: "duckdb.DuckDBPyConnection", source: str) -> dict[int, dict[str, str]]:
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


def series_ids(con: "duckdb.DuckDBPyConnection", sources: Sequence[str], names: Iterable[str]) -> list[int]:
    """The ids of every series of `names` from `sources`."""
    rows = con.execute(
        "SELECT series_id FROM series WHERE list_contains($sources, source) AND list_contains($names, name)",
        {"sources": list(sources), "names": list(names)},
    ).fetchall()
    return [series_id for (series_id,) in rows]


def first_sample_ts(
    con: "duckdb.DuckDBPyConnection", series_ids: Iterable[int], since: float, until: float,
) -> float | None:
    """The time of the first sample of any of `series_ids` in [since, until], or None: to the second
    from raw samples, to the hour where they are purged (two weeks) and only the 1 h rollup holds it.

    The 1 h rollup says which hour the first sample is in, so the raw scan covers an hour or two
    instead of the whole span (on a month of 1,000 series that is 3 ms instead of 225 ms); past the
    rollup's watermark, raw samples are all there is.
    """
    ids = list(series_ids)
    if not ids or until < since:
        return None
    return _first_sample_from(con, ids, since, until, _first_hour(con, ids, math.floor(since / HOUR_S) * HOUR_S, until))


def _first_sample_from(
    con: "duckdb.DuckDBPyConnection", ids: list[int], since: float, until: float, hour: float | None,
) -> float | None:
    """`first_sample_ts` given `hour`, the first rolled-up hour with samples from the hour `since` is in."""
    raw = (
        "SELECT epoch_us(min(ts)) FROM samples WHERE list_contains($ids, series_id) "
        "AND ts >= make_timestamptz($lo) AND ts <= make_timestamptz($hi)"
    )

    def first_raw(lo: float, hi: float) -> float | None:
        row = con.execute(raw, {"ids": ids, "lo": _us(lo), "hi": _us(hi)}).fetchone()
        return None if row[0] is None else row[0] / US

    if hour is not None and hour < since:
        # The hour `since` is in may hold only samples before it: then the next hour with any holds the answer.
        first = first_raw(since, min(until, hour + HOUR_S - 1 / US))
        if first is not None:
            return first
        hour = _first_hour(con, ids, hour + HOUR_S, until)
    if hour is not None:
        first = first_raw(hour, min(until, hour + HOUR_S - 1 / US))
        return hour if first is None else first  # no raw samples left in that hour: the rollup's precision is the hour
    # None rolled up in the span: only samples the rollup has not reached yet can be in it.
    return first_raw(max(since, watermark_s(con, "1h")), until)


def _first_hour(con: "duckdb.DuckDBPyConnection", ids: list[int], since: float, until: float) -> float | None:
    """The first hour of the 1 h rollup holding samples of `ids`, from `since` (an hour's start) to `until`."""
    row = con.execute(
        "SELECT epoch_us(min(bucket)) FROM samples_1h WHERE list_contains($ids, series_id) "
        "AND bucket >= make_timestamptz($lo) AND bucket <= make_timestamptz($hi)",
        {"ids": ids, "lo": _us(since), "hi": _us(until)},
    ).fetchone()
    return None if row[0] is None else row[0] / US


def late_start(
    con: "duckdb.DuckDBPyConnection", series_ids: Iterable[int], since: float, until: float,
) -> float | None:
    """Where the samples of `series_ids` in [since, until] begin, if that is more than an hour after
    `since` (a month to date that covers only part of the month says from when); else None.

    A span starting on the hour whose first hour is rolled up with samples in it starts in time: no raw
    samples are read (in a month-long history, the month's first hour on every views).
    """
    ids = list(series_ids)
    if not ids or until < since:
        return None
    hour = _first_hour(con, ids, math.floor(since / HOUR_S) * HOUR_S, until)
    if hour == since:
        return None
    first = _first_sample_from(con, ids, since, until, hour)  # the hour read once, for both
    return first if first is not None and first > since + HOUR_S else None


_KEPT_WATERMARKS: ContextVar[dict[str, float] | None] = ContextVar("kept_watermarks", default=None)


@contextmanager
def watermarks_read_once() -> Iterator[None]:
    """A block of reads (one `Cockpit.views()`) that reads each rollup watermark once and keeps it: it was
    read 15 times per views. One read earlier than the rollup that moved it is still right, as past a
    watermark the raw samples answer, and all the block's reads then agree on it."""
    token = _KEPT_WATERMARKS.set({})
    try:
        yield
    finally:
        _KEPT_WATERMARKS.reset(token)


def watermark_s(con: "duckdb.DuckDBPyConnection", resolution: str) -> float:
    """Seconds since the epoch before which every `resolution` bucket is rolled up (-inf: none is)."""
    kept = _KEPT_WATERMARKS.get()
    if kept is not None and resolution in kept:
        return kept[resolution]
    at_us = watermark_us(con, resolution)
    at = -math.inf if at_us is None else at_us / US
    if kept is not None:
        kept[resolution] = at
    return at


def counter_increase(
    con: "duckdb.DuckDBPyConnection", series_ids: Iterable[int], since: float, until: float,
) -> dict[int, float]:
    """Reset-aware increase of each counter over (since, until], from the cheapest resolution."""
    ids = list(series_ids)
    if not ids or until <= since:
        return {}
    totals: dict[int, float] = dict.fromkeys(ids, 0.0)
    wm_hour, wm_minute = watermark_s(con, "1h"), watermark_s(con, "1m")
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


def daily_increase(
    con: "duckdb.DuckDBPyConnection", series_ids: Iterable[int], since: float, until: float, *,
    starts_at: float | None = None,
) -> list[tuple[float, float]]:
    """(day start, increase of all the counters together) for each day from `since` (a UTC midnight) to `until`.

    Days the 1 h rollup covers completely come from one grouped query; the rest (today) from
    `counter_increase`. On a month of 1,000 series that is 5 ms instead of 24 calls and 90 ms.
    Days that end before `starts_at`, where the counters' samples begin (`late_start`), are left out:
    the history holds nothing of them, and a chart of the month must not draw them as $0 spent. Read,
    before the rollups of a new history (the demo's first views), each was 5 ms a day of the month.
    """
    ids = list(series_ids)
    days = []
    day = since
    while day < until:
        if starts_at is None or day + DAY_S > starts_at:
            days.append(day)
        day += DAY_S
    if not ids:
        return [(d, 0.0) for d in days]
    rolled_until = min(watermark_s(con, "1h"), until)
    complete = [d for d in days if d + DAY_S <= rolled_until]
    totals: dict[float, float] = {}
    if complete:
        rows = con.execute(
            """
            SELECT (epoch_us(bucket) - $lo) // $day_us, sum(increase) FROM samples_1h
            WHERE list_contains($ids, series_id)
              AND bucket >= make_timestamptz($lo) AND bucket < make_timestamptz($hi)
            GROUP BY 1
            """,
            {"ids": ids, "lo": _us(complete[0]), "hi": _us(complete[-1] + DAY_S), "day_us": _us(DAY_S)},
        ).fetchall()
        totals = {complete[0] + index * DAY_S: usd for index, usd in rows}
    out = []
    for d in days:
        if d + DAY_S <= rolled_until:
            out.append((d, totals.get(d, 0.0)))
        else:
            out.append((d, sum(counter_increase(con, ids, d, min(d + DAY_S, until)).values())))
    return out


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


LOOKBACK_S = 2 * HOUR_S
"""How far before a raw stretch a counter's previous sample may be and still count the step into it."""

_RAW_INCREASE_SQL = """
WITH window_rows AS (
    SELECT series_id, ts, value FROM samples
    WHERE list_contains($ids, series_id) AND isfinite(value)
      AND ts >= make_timestamptz($lo) AND ts < make_timestamptz($hi)
),
before AS (
    SELECT series_id, max(ts) AS ts, arg_max(value, ts) AS value FROM (
        SELECT series_id, ts, value FROM samples
        WHERE list_contains($ids, series_id) AND isfinite(value)
          AND ts < make_timestamptz($lo) AND ts >= make_timestamptz($back)
        CARRIED
    )
    GROUP BY 1
),
stepped AS (
    SELECT series_id, ts, value, lag(value) OVER (PARTITION BY series_id ORDER BY ts) AS prev, in_window
    FROM (SELECT *, true AS in_window FROM window_rows UNION ALL SELECT *, false FROM before)
)
SELECT series_id, sum(CASE WHEN prev IS NULL THEN 0 WHEN value >= prev THEN value - prev ELSE greatest(value, 0) END),
       WATERMARK
FROM stepped WHERE in_window GROUP BY 1
"""
# The rollup's carry: each series' last sample before the 1 m watermark; read in the same query as the
# samples, with the watermark it goes with.
_CARRIED_SQL = """
        UNION ALL
        SELECT series_id, ts, value FROM rollup_carry
        WHERE list_contains($ids, series_id) AND ts < make_timestamptz($lo) AND ts >= make_timestamptz($lo - $lookback)
"""
_WITH_CARRY = _RAW_INCREASE_SQL.replace("CARRIED", _CARRIED_SQL).replace(
    "WATERMARK", "(SELECT epoch_us(watermark) FROM rollup_watermark WHERE resolution = '1m')")
_WITHOUT_CARRY = _RAW_INCREASE_SQL.replace("CARRIED", "").replace("WATERMARK", "NULL")


def _raw_increase(con, ids: list[int], lo: float, hi: float) -> dict[int, float]:
    """Increase over samples in [lo, hi), each step counted at its later sample (as the rollups do), the
    first from the counter's last sample before lo if that is at most LOOKBACK_S older.

    That last sample is found in two hours of every series' raw samples, unless the window starts at or
    past the 1 m rollup's watermark (the views' stretch after it): then it is the rollup's carry or a
    sample between the watermark and lo, a few minutes to read instead of two hours (on a day of the
    demo's history, one call alone: 10 ms and 2.7 MB of DuckDB's pool instead of 15-18 ms and 4.5 MB).
    """
    if hi <= lo:
        return {}
    params = {"ids": ids, "lo": _us(lo), "hi": _us(hi)}
    watermark = watermark_s(con, "1m")
    if watermark <= lo:
        rows = con.execute(_WITH_CARRY, params | {"back": _us(max(lo - LOOKBACK_S, watermark)),
                                                  "lookback": _us(LOOKBACK_S)}).fetchall()
        # A rollup past lo since the watermark was read: its carry may lie in the stretch, and no longer
        # says what came before it.
        if all(row[2] is None or row[2] <= _us(lo) for row in rows):
            return {series_id: increase for series_id, increase, _ in rows}
    rows = con.execute(_WITHOUT_CARRY, params | {"back": _us(lo - LOOKBACK_S)}).fetchall()
    return {series_id: increase for series_id, increase, _ in rows}

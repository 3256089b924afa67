"""cost_1h, the hourly cost rollup behind cost_hourly: it gives what schema 1's view computed over
samples_1h, a schema-1 file is upgraded when opened for writing and still read as it is read-only,
and it is purged and exported with samples_1h."""

from __future__ import annotations

import json
import math
import random
from pathlib import Path

import duckdb
import pytest

from aiops_tui.model import Batch, Sample
from aiops_tui.reports.cli import render_report
from aiops_tui.store.export import export_snapshot
from aiops_tui.store.history import SCHEMA_VERSION, History, HistoryError
from history_builders import T0, key

HOUR = 3600.0
STEP_S = 40.0
HOURS = 5
ROLLUP_LAG_S = 90.0
SCHEMA_1_DDL = (Path(__file__).parents[1] / "fixtures" / "history-schema-1.sql").read_text(encoding="utf-8")
# Schema 1's cost_hourly: the preference and the health-check exclusion computed at query time over samples_1h.
SCHEMA_1_COST_HOURLY = SCHEMA_1_DDL.split("CREATE VIEW cost_hourly AS", 1)[1].split(";", 1)[0]

HEALTH = "litellm-internal-health-check"
COST_SERIES = [
    # LiteLLM's counter is preferred on "gw": its aiops twin is ignored, its health checks are left out.
    key("litellm_spend_metric_total", model="gpt-4o", team="a"),
    key("litellm_spend_metric_total", model="gpt-4o", team="b"),
    key("litellm_spend_metric_total", model="claude", team="a"),
    key("litellm_spend_metric_total", team="a"),  # no model label: "unknown"
    key("litellm_spend_metric_total", model="gpt-4o", team=HEALTH),
    key("litellm_spend_metric_total", model="claude", team_alias=HEALTH),
    key("aiops_cost_usd_total", model="gpt-4o"),
    # OTel GenAI's on "otel", over its aiops twin.
    key("gen_ai_usage_cost_USD_sum", source="otel", gen_ai_request_model="gpt-4o"),
    key("gen_ai_usage_cost_USD_sum", source="otel", gen_ai_request_model="llama"),
    key("aiops_cost_usd_total", source="otel", model="llama"),
    # Only the sim's on "sim".
    key("aiops_cost_usd_total", source="sim", model="gpt-4o-mini"),
    key("aiops_cost_usd_total", source="sim", model="claude"),
]
NOT_COST = key("litellm_requests_metric_total", model="gpt-4o", team="a")
EXPECTED_MODELS = {
    "gw": {"gpt-4o", "claude", "unknown"},
    "otel": {"gpt-4o", "llama"},
    "sim": {"gpt-4o-mini", "claude"},
}


def write_cost_history(history: History, *, start_s: float = 0.0, hours: int = HOURS, seed: int = 7) -> float:
    """Counters rising by random amounts every STEP_S, with resets (a gateway restart) and a NaN now
    and then, written in cycles of ten steps with a rollup after each like the recorder's: every hour
    is rolled up in several steps. Returns the instant of the last sample."""
    rng = random.Random(seed)
    values = {series: rng.uniform(0, 5) for series in [*COST_SERIES, NOT_COST]}
    steps = int(hours * HOUR / STEP_S)
    cycle: list[Sample] = []
    ts = T0
    for step in range(steps):
        ts = T0 + start_s + step * STEP_S
        for series in values:
            if rng.random() < 0.01:
                values[series] = rng.uniform(0, 0.5)  # reset
            else:
                values[series] += rng.expovariate(20)
            value = math.nan if rng.random() < 0.005 else values[series]
            cycle.append(Sample(series, ts, value))
        if step % 10 == 9 or step == steps - 1:
            history.write_cycle([Batch(source, ts, [s for s in cycle if s.key.source == source])
                                 for source in ("gw", "otel", "sim")])
            cycle = []
            history.rollup(ts - ROLLUP_LAG_S)
    return ts


def cost_hourly(con, sql: str = "SELECT hour, source, model, usd FROM cost_hourly") -> dict[tuple, float]:
    rows = con.execute(sql).fetchall()
    by_key = {(hour, source, model): usd for hour, source, model, usd in rows}
    assert len(by_key) == len(rows), "one row per hour, source and model"
    return by_key


def schema_1_cost_hourly(con) -> dict[tuple, float]:
    return cost_hourly(con, f"SELECT hour, source, model, usd FROM ({SCHEMA_1_COST_HOURLY})")


def assert_same_cost(got: dict[tuple, float], expected: dict[tuple, float]) -> None:
    assert got.keys() == expected.keys()
    for k, usd in expected.items():
        assert got[k] == pytest.approx(usd, rel=1e-12, abs=1e-12), k


def make_schema_1_file(path: Path, like: Path) -> None:
    """A history file as schema 1 wrote it, holding the rows of `like` (whose rollups are the same)."""
    con = duckdb.connect(str(path))
    try:
        con.execute(SCHEMA_1_DDL)
        con.execute("INSERT INTO meta VALUES (1, now(), '0.schema-1')")
        con.execute("ATTACH ? AS newer (READ_ONLY)", [str(like)])
        for table in ("series", "samples", "events", "samples_1m", "samples_1h", "rollup_watermark", "rollup_carry"):
            con.execute(f"INSERT INTO main.{table} SELECT * FROM newer.main.{table}")
        con.execute("DETACH newer")
    finally:
        con.close()


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("cost") / "history.duckdb"
    with History.open(path) as history:
        write_cost_history(history)
    return path


def test_cost_hourly_equals_schema_1s_view_over_samples_1h(written):
    with History.open(written, read_only=True) as history:
        con = history.cursor()
        got = cost_hourly(con)
        assert_same_cost(got, schema_1_cost_hourly(con))
        assert {source: {m for _, s, m in got if s == source} for source in EXPECTED_MODELS} == EXPECTED_MODELS
        # Every completed hour and no other: the last is still open.
        assert sorted({hour.timestamp() for hour, _, _ in got}) == [T0 + h * HOUR for h in range(HOURS - 1)]
        assert con.execute("SELECT count(*) FROM cost_1h WHERE usd < 0").fetchone()[0] == 0


def test_an_hour_is_written_once_when_it_completes(tmp_path):
    gpt4o = COST_SERIES[0]
    with History.open(tmp_path / "h.duckdb") as history:
        history.write_cycle([Batch("gw", T0, [Sample(gpt4o, T0 + 60 * m, float(m)) for m in range(30)])])
        history.rollup(T0 + 1800)  # the first half of hour 0: minutes rolled up, the hour not yet
        assert history.con.execute("SELECT count(*) FROM cost_1h").fetchone()[0] == 0
        history.write_cycle([Batch("gw", T0, [Sample(gpt4o, T0 + 60 * m, float(m)) for m in range(30, 61)])])
        history.rollup(T0 + 3660)
        history.rollup(T0 + 3700)  # nothing new completes
        rows = history.con.execute("SELECT epoch(hour), source, model, usd FROM cost_hourly ORDER BY 1").fetchall()
    assert rows == [(T0, "gw", "gpt-4o", 59.0)]  # 0 at the first sample, then +1 a minute up to 59


def test_the_cost_prometheus_sums_per_model_and_target_is_rolled_up_by_model(tmp_path):
    # A Prometheus-fed history has no gateway counter: its cost is `signal:cost_usd_total`, one series per
    # model and scrape target. A target that restarts resets its own series only.
    gw1 = key("signal:cost_usd_total", source="prometheus", model="gpt-4o", instance="gw-1:4000", job="litellm")
    gw2 = key("signal:cost_usd_total", source="prometheus", model="gpt-4o", instance="gw-2:4000", job="litellm")
    claude = key("signal:cost_usd_total", source="prometheus", model="claude", instance="gw-1:4000", job="litellm")
    with History.open(tmp_path / "h.duckdb") as history:
        samples = []
        for minute in range(121):  # two whole hours, one sample a minute
            restarted = minute >= 90  # gw-2 restarts: its counter begins again at 0.5 at minute 90
            samples += [Sample(gw1, T0 + 60 * minute, 100.0 + 1.0 * minute),
                        Sample(gw2, T0 + 60 * minute, 0.5 * (minute - 89) if restarted else 50.0 + 0.5 * minute),
                        Sample(claude, T0 + 60 * minute, 0.25 * minute)]
        history.write_cycle([Batch("prometheus", T0, samples)])
        history.rollup(T0 + 2 * HOUR + 60)
        hourly = cost_hourly(history.con, "SELECT epoch(hour), source, model, usd FROM cost_hourly")
    # Each minute adds 1 + 0.5 for gpt-4o and 0.25 for claude; the first sample adds nothing, and the reset adds
    # the restarted target's new 0.5, as a rise would have.
    assert hourly == {
        (T0, "prometheus", "gpt-4o"): pytest.approx(59 * 1.5), (T0, "prometheus", "claude"): pytest.approx(59 * 0.25),
        (T0 + HOUR, "prometheus", "gpt-4o"): pytest.approx(60 * 1.5),
        (T0 + HOUR, "prometheus", "claude"): pytest.approx(60 * 0.25),
    }


def test_the_daily_cost_counts_a_gateway_scraped_directly_and_by_prometheus_once(tmp_path):
    # The gateway "gw" spends 1 USD a minute for three hours; Prometheus scrapes it too, but is down in the third.
    own = key("litellm_spend_metric_total", model="gpt-4o")
    summed = key("signal:cost_usd_total", source="prometheus", model="gpt-4o", instance="gw:4000", job="litellm")
    with History.open(tmp_path / "h.duckdb") as history:
        samples = [Sample(own, T0 + 60 * minute, float(minute)) for minute in range(181)]
        samples += [Sample(summed, T0 + 60 * minute, float(minute)) for minute in range(120)]
        history.write_cycle([Batch("gw", T0, samples)])
        history.rollup(T0 + 3 * HOUR + 60)
        daily = history.con.execute("SELECT model, usd FROM cost_daily_by_model").fetchall()
        by_source = dict(history.con.execute("SELECT source, sum(usd) FROM cost_hourly GROUP BY 1").fetchall())
    assert by_source == {"gw": pytest.approx(179.0), "prometheus": pytest.approx(119.0)}  # the first sample adds 0
    # The first two hours from Prometheus (59 + 60), the third from the gateway's own counter (60): not 298.
    assert daily == [("gpt-4o", pytest.approx(179.0))]


def test_a_schema_2_file_is_upgraded_to_count_each_hour_once(tmp_path):
    own = key("litellm_spend_metric_total", model="gpt-4o")
    summed = key("signal:cost_usd_total", source="prometheus", model="gpt-4o", instance="gw:4000", job="litellm")
    path = tmp_path / "h.duckdb"
    with History.open(path) as history:
        samples = [Sample(series, T0 + 60 * minute, float(minute)) for minute in range(61) for series in (own, summed)]
        history.write_cycle([Batch("gw", T0, samples)])
        history.rollup(T0 + HOUR + 60)
    con = duckdb.connect(str(path))  # as schema 2 left it: every source added up
    con.execute(SCHEMA_1_DDL.split("-- cost_daily_by_model", 1)[1].split("\n", 1)[1].split(";", 1)[0]
                .replace("CREATE VIEW", "CREATE OR REPLACE VIEW"))
    con.execute("UPDATE meta SET schema_version = 2")
    assert con.execute("SELECT sum(usd) FROM cost_daily_by_model").fetchone()[0] == pytest.approx(118.0)
    con.close()
    with History.open(path) as upgraded:
        assert upgraded.con.execute("SELECT sum(usd) FROM cost_daily_by_model").fetchone()[0] == pytest.approx(59.0)
        assert upgraded.con.execute("SELECT max(schema_version) FROM meta").fetchone()[0] == SCHEMA_VERSION


def test_purge_drops_cost_hours_at_the_1h_horizon(tmp_path):
    with History.open(tmp_path / "h.duckdb") as history:
        end = write_cost_history(history, hours=4)
        history.purge(end, raw_s=HOUR, m1_s=HOUR, h1_s=2 * HOUR)
        con = history.con
        kept = con.execute("SELECT min(epoch(bucket)) FROM samples_1h").fetchone()[0]
        assert con.execute("SELECT min(epoch(bucket)) FROM cost_1h").fetchone()[0] == kept
        assert_same_cost(cost_hourly(con), schema_1_cost_hourly(con))


def test_schema_1_file_is_read_as_it_is_when_read_only(tmp_path, written):
    path = tmp_path / "schema-1.duckdb"
    make_schema_1_file(path, like=written)
    with History.open(written, read_only=True) as current:
        expected = cost_hourly(current.cursor())
        report = render_report(current, "cost", since_s=2 * HOUR, fmt="json")
    with History.open(path, read_only=True) as old:
        assert_same_cost(cost_hourly(old.cursor()), expected)  # through schema 1's own view
        assert render_report(old, "cost", since_s=2 * HOUR, fmt="json") == report
        assert json.loads(report)["sections"]["spend"], "the report has spend to show"
        tables = {row[0] for row in old.cursor().execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    assert "cost_1h" not in tables  # not upgraded


def test_schema_1_file_is_upgraded_when_opened_for_writing(tmp_path, written):
    path = tmp_path / "schema-1.duckdb"
    make_schema_1_file(path, like=written)
    with History.open(path, read_only=True) as old:
        before = cost_hourly(old.cursor())
        daily_before = old.cursor().execute("SELECT day, model, usd FROM cost_daily_by_model ORDER BY 1, 2").fetchall()
    with History.open(path) as upgraded:
        con = upgraded.con
        versions = [row[0] for row in con.execute("SELECT schema_version FROM meta ORDER BY 1").fetchall()]
        assert versions == [1, SCHEMA_VERSION]
        assert con.execute("SELECT count(*) FROM cost_1h").fetchone()[0] == len(before)
        assert_same_cost(cost_hourly(con), before)
        daily_after = con.execute("SELECT day, model, usd FROM cost_daily_by_model ORDER BY 1, 2").fetchall()
        assert [row[:2] for row in daily_after] == [row[:2] for row in daily_before]
        assert [row[2] for row in daily_after] == pytest.approx([row[2] for row in daily_before], rel=1e-12)
        # And it goes on: later hours land in cost_1h as they complete, none twice.
        write_cost_history(upgraded, start_s=HOURS * HOUR, hours=2, seed=8)
        after = cost_hourly(con)
        assert len(after) > len(before)
        assert_same_cost(after, schema_1_cost_hourly(con))
    with History.open(path, read_only=True) as reopened:  # once upgraded, read as the current version
        assert reopened.cursor().execute("SELECT max(schema_version) FROM meta").fetchone()[0] == SCHEMA_VERSION


def shape(con) -> list[tuple]:
    """Every table's and view's columns with their types, and every view's name: what schema.sql makes."""
    return con.execute(
        """SELECT table_name, column_index, column_name, data_type, is_nullable FROM duckdb_columns()
           WHERE database_name = current_database() AND schema_name = 'main' ORDER BY ALL"""
    ).fetchall() + con.execute(
        "SELECT 'view', view_name FROM duckdb_views() WHERE database_name = current_database() AND NOT internal ORDER BY 2"
    ).fetchall()


def test_an_upgraded_file_has_the_shape_of_a_new_one(tmp_path, written):
    # The upgrade writes cost_1h and cost_hourly again (opening._COST_1H_DDL): held to schema.sql here.
    path = tmp_path / "schema-1.duckdb"
    make_schema_1_file(path, like=written)
    with History.open(path) as upgraded, History.open(tmp_path / "new.duckdb") as new:
        assert shape(upgraded.con) == shape(new.con)
        assert ("cost_1h", 4, "usd", "DOUBLE", False) in [row[:5] for row in shape(new.con)]


def test_upgrade_that_fails_leaves_the_file_at_schema_1(tmp_path, written):
    path = tmp_path / "schema-1.duckdb"
    make_schema_1_file(path, like=written)
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE cost_1h (squatter INTEGER)")  # the upgrade's CREATE TABLE fails on it
    con.close()
    with pytest.raises(HistoryError) as caught:
        History.open(path)
    assert str(caught.value).startswith(f"{path}: cannot upgrade the history file (")
    assert "\n" not in str(caught.value)
    con = duckdb.connect(str(path), read_only=True)
    assert con.execute("SELECT schema_version FROM meta").fetchall() == [(1,)]
    con.close()


def test_export_of_a_schema_1_file_carries_its_cost(tmp_path, written):
    path = tmp_path / "schema-1.duckdb"
    make_schema_1_file(path, like=written)
    with History.open(path, read_only=True) as old:
        expected = cost_hourly(old.cursor())
        export_snapshot(old, tmp_path / "export.duckdb", 365 * 86400.0)
        export_snapshot(old, tmp_path / "export-parquet", 365 * 86400.0, parquet=True)
    with History.open(tmp_path / "export.duckdb", read_only=True) as exported:
        assert exported.cursor().execute("SELECT max(schema_version) FROM meta").fetchone()[0] == SCHEMA_VERSION
        assert_same_cost(cost_hourly(exported.cursor()), expected)
    parquet = duckdb.connect()
    rows = parquet.execute(
        f"SELECT bucket, source, model, usd FROM read_parquet('{tmp_path / 'export-parquet' / 'cost_1h.parquet'}')"
    ).fetchall()
    assert_same_cost({(b, s, m): usd for b, s, m, usd in rows}, expected)

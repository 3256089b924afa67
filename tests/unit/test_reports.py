"""`aiops-tui report`: every report in every format carries the numbers plain SQL finds in the raw
samples and events (queries written here, independent of the report code), and the cost report
agrees with the Cost pane at the same instant; the savings levers and the AI-quality row at the
report's end carry hand-computed values from fixed signals, and agree with the panes."""

from __future__ import annotations

import csv
import io
import json
import re
from argparse import Namespace
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from aiops_tui.cockpit import Cockpit
from aiops_tui.errors import UserError
from aiops_tui.model import Batch, Event, Sample, SeriesKey, make_labels
from aiops_tui.reports import render as rnd
from aiops_tui.reports.cli import render_report, run_report
from aiops_tui.signals.quality import QualityTargets
from aiops_tui.sim import history_gen
from aiops_tui.sim.pricing import ModelPrice, load_pricing
from aiops_tui.store.history import History
from history_builders import T0, batch, key, samples_of

END_TS = 1_767_355_200.0
"""2026-01-02T12:00:00Z; two days of history start 2025-12-31T12:00Z, so December and January both appear."""
STEP_S = 60.0
TWO_DAYS_S = 2 * 86400.0
FORMATS = rnd.FORMATS
# The demo's routing tiers (sim/spec.py), written out by hand as the oracle for "by tier".
TIERS = {"gpt-4o": "tier_1", "claude-3-5-haiku": "tier_2", "gpt-4o-mini": "tier_2", "llama-3-8b-local": "tier_3"}


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    path = tmp_path_factory.mktemp("reports") / "history.duckdb"
    return history_gen.generate(path, days=2, step_s=STEP_S, seed=5, end_ts=END_TS)


@pytest.fixture(scope="module")
def history(generated):
    with History.open(generated.path, read_only=True) as opened:
        yield opened


def q(history: History, sql: str, params=None):
    return history.cursor().execute(sql, params or {}).fetchall()


# -- reading the four formats back -------------------------------------------------------------------

def parse(text: str, fmt: str) -> dict[str, list[dict]]:
    """section -> rows as dicts: strings for table/markdown/csv, JSON values for json."""
    if fmt == "json":
        return json.loads(text)["sections"]
    if fmt == "csv":
        out: dict[str, list[dict]] = {}
        for row in csv.DictReader(io.StringIO(text)):
            out.setdefault(row.pop("section"), []).append(row)
        return out
    if fmt == "markdown":
        return _parse_markdown(text)
    return _parse_table(text)


def _parse_table(text: str) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if i + 2 < len(lines) and re.fullmatch(r"[-  ]+", lines[i + 2] or "x") and line.endswith(":"):
            dashes = [(m.start(), m.end()) for m in re.finditer(r"-+", lines[i + 2])]
            header = lines[i + 1]
            names = [header[a:b + 1].strip() for a, b in dashes]
            rows = []
            for row in lines[i + 3:]:
                if not row.strip():
                    break
                # The last column may be wider than its header underline only if it is left-aligned text.
                cells = [row[a:(dashes[n + 1][0] if n + 1 < len(dashes) else None)].strip() for n, (a, _) in enumerate(dashes)]
                rows.append(dict(zip(names, cells)))
            out[line[:-1]] = rows
    return out


def _parse_markdown(text: str) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    section = None
    names: list[str] = []
    for line in text.splitlines():
        if line.startswith("## "):
            section = re.sub(r"\\(.)", r"\1", line[3:])
            out[section], names = [], []
        elif line.startswith("|") and section is not None:
            cells = [re.sub(r"\\(.)", r"\1", c.strip()) for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]]
            if not names:
                names = cells
            elif not set("".join(cells)) <= set("-:"):
                out[section].append(dict(zip(names, cells)))
    return out


def assert_value(fmt: str, cell, expected, kind: str) -> None:
    """`cell` as the format carries `expected` (a number, time or text computed by the test)."""
    if kind == "bool":
        assert cell == {"json": expected, "csv": str(expected)}.get(fmt, rnd.shown(expected, "text"))
    elif fmt in ("table", "markdown"):
        assert cell == rnd.shown(expected, kind)
    elif expected is None:
        assert cell in (None, "")
    elif kind == "time":
        assert cell == rnd.iso_utc(expected)
    elif kind in ("usd", "ratio", "seconds", "rate", "number"):
        assert float(cell) == pytest.approx(expected, rel=1e-9, abs=1e-9)
    elif kind == "int":
        assert int(cell) == expected
    else:
        assert cell == expected


def report(history: History, kind: str, fmt: str, *, since_s: float = TWO_DAYS_S, **kwargs) -> dict[str, list[dict]]:
    return parse(render_report(history, kind, since_s=since_s, fmt=fmt, **kwargs), fmt)


def newest(history: History) -> float:
    return q(history, "SELECT max(epoch(ts)) FROM samples")[0][0]


# -- cost ----------------------------------------------------------------------------------------------

def spend_by_day(history: History, since: float, until: float) -> list[tuple[date, str, str, float]]:
    """(UTC day, model, team, USD): the reset-aware increase of LiteLLM's spend counter, each step
    counted at its later sample, for samples in [since, until)."""
    return q(history, """
        WITH counter AS (
            SELECT s.labels ->> 'model' AS model, s.labels ->> 'team' AS team, v.ts, v.value,
                   lag(v.value) OVER (PARTITION BY v.series_id ORDER BY v.ts) AS prev
            FROM samples v JOIN series s USING (series_id) WHERE s.name = 'litellm_spend_metric_total')
        SELECT CAST(timezone('UTC', ts) AS DATE), model, team,
               sum(CASE WHEN prev IS NULL THEN 0 WHEN value >= prev THEN value - prev ELSE value END)
        FROM counter WHERE epoch(ts) >= $since AND epoch(ts) < $until GROUP BY ALL""", {"since": since, "until": until})


def expected_spend(history: History, since: float, until: float) -> dict[tuple[str, str, str, str], float]:
    out: dict[tuple[str, str, str, str], float] = {}
    for day, model, team, usd in spend_by_day(history, since, until):
        starts = {"day": day.isoformat(), "week": (day - timedelta(days=day.weekday())).isoformat(),
                  "month": day.strftime("%Y-%m")}
        for period, start in starts.items():
            for by, name in (("total", "all"), ("model", model), ("tier", TIERS[model]), ("team", team)):
                out[(period, start, by, name)] = out.get((period, start, by, name), 0.0) + usd
    return out


@pytest.mark.parametrize("fmt", FORMATS)
def test_cost_spend_rows_equal_sql_over_the_samples(history, fmt):
    until = newest(history) + 0.001
    expected = expected_spend(history, until - TWO_DAYS_S, until)
    # Days 2025-12-31 (from 12:00), 2026-01-01, 2026-01-02 (to 11:59); one ISO week (Monday 2025-12-29);
    # months 2025-12 and 2026-01: (3 + 1 + 2) periods x (1 total + 4 models + 3 tiers + 2 teams) = 60 rows.
    assert len(expected) == 60
    rows = report(history, "cost", fmt)["spend"]
    got = {(r["period"], r["start"], r["by"], r["name"]): r["usd"] for r in rows}
    assert set(got) == set(expected)
    for key, usd in expected.items():
        assert_value(fmt, got[key], usd, "usd")


def test_cost_total_is_the_sum_of_models_and_of_tiers(history):
    rows = report(history, "cost", "json")["spend"]
    for period_start in {(r["period"], r["start"]) for r in rows}:
        mine = [r for r in rows if (r["period"], r["start"]) == period_start]
        total = next(r["usd"] for r in mine if r["by"] == "total")
        for by in ("model", "tier", "team"):
            assert sum(r["usd"] for r in mine if r["by"] == by) == pytest.approx(total, rel=1e-12)


@pytest.mark.parametrize("fmt", FORMATS)
def test_cost_months_match_the_cost_pane_and_the_samples(history, generated, fmt):
    until = newest(history) + 0.001
    views = Cockpit(history, monthly_budget_usd=20_000.0, clock=lambda: until).views(until)
    months = {r["month"]: r for r in report(history, "cost", fmt, budget_usd=20_000.0)["months"]}
    assert set(months) == {"2025-12", "2026-01"}
    jan, dec = months["2026-01"], months["2025-12"]
    jan_sql = sum(usd for day, *_, usd in spend_by_day(history, 1_767_225_600.0, until))  # from 2026-01-01T00:00Z
    dec_sql = sum(usd for day, *_, usd in spend_by_day(history, 1_764_547_200.0, 1_767_225_600.0))  # 2025-12-01 .. 2026-01-01
    assert views.cost.mtd_usd == pytest.approx(jan_sql, rel=1e-9)
    assert_value(fmt, jan["spent_usd"], jan_sql, "usd")
    assert_value(fmt, jan["projected_24h_usd"], views.cost.projected_24h_usd, "usd")
    assert_value(fmt, jan["projected_7d_usd"], views.cost.projected_7d_usd, "usd")
    assert_value(fmt, jan["projected_at"], newest(history) + 0.001, "time")
    assert_value(fmt, jan["budget_usd"], 20_000.0, "usd")
    assert_value(fmt, dec["spent_usd"], dec_sql, "usd")
    # December is over; its mid-month (Dec 16 12:00) precedes the history, so no projection exists.
    assert_value(fmt, dec["complete"], True, "bool")
    assert_value(fmt, dec["covers_from"], generated.start_ts, "time")
    assert_value(fmt, dec["projected_24h_usd"], None, "usd")
    # The pane's daily bars this month are the report's January days.
    days = {r["start"]: r["usd"] for r in report(history, "cost", fmt)["spend"] if r["period"] == "day" and r["by"] == "total"}
    for day_start, usd in views.cost.daily_usd:
        assert_value(fmt, days[rnd.iso_utc(day_start)[:10]], usd, "usd")


def test_cost_budget_comes_from_the_config_else_from_the_gateway(history):
    facts = json.loads(render_report(history, "cost", since_s=TWO_DAYS_S, fmt="json"))["facts"]
    assert (facts["budget_monthly_usd"], facts["budget_from"]) == (15_000.0, "history")  # the generator's default
    facts = json.loads(render_report(history, "cost", since_s=TWO_DAYS_S, fmt="json", budget_usd=9_000.0))["facts"]
    assert (facts["budget_monthly_usd"], facts["budget_from"]) == (9_000.0, "config")


# -- golden --------------------------------------------------------------------------------------------

def golden_sql(history: History, since_floor: float, until: float, step_s: float):
    """(signal, bucket start) -> (min, avg, max) of the total series, NaN (no traffic) skipped."""
    rows = q(history, """
        SELECT substr(s.name, 8), floor(epoch(v.ts) / $step) * $step, min(v.value), avg(v.value), max(v.value)
        FROM samples v JOIN series s USING (series_id)
        WHERE s.labels = '{}' AND s.name IN ('signal:requests_per_s', 'signal:error_ratio', 'signal:latency_p95_s')
          AND isfinite(v.value) AND epoch(v.ts) >= $lo AND epoch(v.ts) < $hi
        GROUP BY ALL""", {"step": step_s, "lo": since_floor, "hi": until})
    return {(signal, bucket): stats for signal, bucket, *stats in rows}


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("since_s, step_s", [(TWO_DAYS_S, 3600.0), (6 * 3600.0, 300.0)])
def test_golden_buckets_equal_sql_over_the_samples(history, fmt, since_s, step_s):
    until = newest(history) + 0.001
    since_floor = (until - since_s) // step_s * step_s
    expected = golden_sql(history, since_floor, until, step_s)
    rows = report(history, "golden", fmt, since_s=since_s)["buckets"]
    # Two days hourly: the file starts 2025-12-31T12:00Z and ends 2026-01-02T11:59Z: 48 buckets.
    # Six hours from 05:59:00.001 (newest 11:59 minus 6 h), floored to 05:55, to 11:55: 73 buckets.
    assert len(rows) == len({b for _, b in expected}) == (48 if step_s == 3600 else 73)
    short = {"requests_per_s": ("rps", "rate", ""), "error_ratio": ("err", "ratio", ""), "latency_p95_s": ("p95", "seconds", "_s")}
    for row in rows:
        start = datetime.strptime(row["start"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc).timestamp()
        for signal, (prefix, kind, unit) in short.items():
            for stat, value in zip(("min", "avg", "max"), expected[(signal, start)]):
                assert_value(fmt, row[f"{prefix}_{stat}{unit}"], value, kind)


@pytest.mark.parametrize("fmt", FORMATS)
def test_golden_summary_per_model_equals_sql(history, fmt):
    until = newest(history) + 0.001
    lo = (until - TWO_DAYS_S) // 3600 * 3600
    expected = q(history, """
        SELECT coalesce(s.labels ->> 'model', 'all'), substr(s.name, 8), min(v.value), avg(v.value), max(v.value), count(*)
        FROM samples v JOIN series s USING (series_id)
        WHERE s.name IN ('signal:requests_per_s', 'signal:error_ratio', 'signal:latency_p95_s')
          AND isfinite(v.value) AND epoch(v.ts) >= $lo AND epoch(v.ts) < $hi GROUP BY ALL""", {"lo": lo, "hi": until})
    rows = {(r["model"], r["signal"]): r for r in report(history, "golden", fmt)["summary"]}
    assert len(rows) == len(expected) == 15  # (total + 4 models) x 3 signals
    for model, signal, mn, avg, mx, count in expected:
        row = rows[(model, signal)]
        for stat, value in (("min", mn), ("avg", avg), ("max", mx)):
            assert_value(fmt, row[stat], value, "number")
        assert_value(fmt, row["samples"], count, "int")


# -- breakers ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", FORMATS)
def test_breakers_flaps_and_time_open_equal_sql(history, fmt):
    until = newest(history) + 0.001
    since = until - 3 * 86400  # before the file starts: every breaker starts closed
    flaps = dict(q(history, "SELECT subject, count(*) FILTER (WHERE to_state = 'open') FROM events WHERE kind = 'breaker' GROUP BY 1"))
    transitions = dict(q(history, "SELECT subject, count(*) FROM events WHERE kind = 'breaker' GROUP BY 1"))
    # Each breaker_state sample stands for the step after it: 60 s per sample in a state.
    seconds = {(u, state): n * STEP_S for u, state, n in q(history, """
        SELECT s.labels ->> 'upstream', v.value, count(*) FROM samples v JOIN series s USING (series_id)
        WHERE s.name = 'signal:breaker_state' GROUP BY ALL""")}
    rows = {r["upstream"]: r for r in report(history, "breakers", fmt, since_s=until - since)["summary"]}
    assert set(rows) == {"openai/gpt-4o", "anthropic/claude-3-5-haiku", "openai/gpt-4o-mini", "local/llama-3-8b-local"}
    assert sum(flaps.values()) >= 3  # the incident opened the breaker three times
    for upstream, row in rows.items():
        assert_value(fmt, row["flaps"], flaps.get(upstream, 0), "int")
        assert_value(fmt, row["transitions"], transitions.get(upstream, 0), "int")
        assert_value(fmt, row["open_s"], seconds.get((upstream, 2.0), 0.0), "seconds")
        assert_value(fmt, row["half_open_s"], seconds.get((upstream, 1.0), 0.0), "seconds")
        assert_value(fmt, row["state_at_end"], "closed", "text")
    listed = report(history, "breakers", fmt, since_s=until - since)["transitions"]
    events = q(history, "SELECT epoch(ts), subject, from_state, to_state FROM events WHERE kind = 'breaker' ORDER BY ts, rowid")
    assert len(listed) == len(events)
    for row, (ts, upstream, from_state, to_state) in zip(listed, events):
        assert_value(fmt, row["time"], ts, "time")
        assert (row["upstream"], row["from_state"], row["to_state"]) == (upstream, from_state, to_state)


def test_breakers_carry_the_state_from_before_the_period(history, generated):
    # Start the period inside the incident's first open stretch: the breaker was already open.
    opened, _ = generated.incident_span
    until = newest(history) + 0.001
    rows = {r["upstream"]: r for r in report(history, "breakers", "json", since_s=until - (opened + 90))["summary"]}
    victim = rows[generated.incident_upstream]
    assert victim["state_at_start"] == "open"
    # Open 14:02..14:07 (from 14:03:30 in the period), 14:08..14:13 and 14:14..14:24: 210 + 300 + 600 s.
    assert victim["open_s"] == pytest.approx(1110.0)
    assert victim["flaps"] == 2


# -- incident ------------------------------------------------------------------------------------------

def incident_sql(history: History, incident_id: str):
    opened, closed = q(history, """SELECT min(epoch(ts)) FILTER (WHERE to_state = 'open'), max(epoch(ts)) FILTER (WHERE to_state = 'closed')
                                   FROM events WHERE kind = 'incident' AND subject = $id""", {"id": incident_id})[0]
    return q(history, """
        SELECT epoch(ts), kind, subject FROM events
        WHERE (kind = 'incident' AND subject = $id)
           OR (kind = 'note' AND detail ->> 'incident' = $id)
           OR (kind = 'runbook_step' AND (detail ->> 'incident' = $id
                 OR (detail ->> 'incident' IS NULL AND epoch(ts) BETWEEN $lo AND $hi)))
           OR (kind IN ('alert', 'breaker', 'source') AND epoch(ts) BETWEEN $lo AND $hi)
        ORDER BY ts, rowid""", {"id": incident_id, "lo": opened, "hi": closed})


def lead_up_sql(history: History, incident_id: str):
    """What stood at the opening: each alert and breaker whose last event before it leaves it firing or not closed."""
    opened = q(history, "SELECT min(epoch(ts)) FROM events WHERE kind = 'incident' AND subject = $id", {"id": incident_id})[0][0]
    return q(history, """
        SELECT max(epoch(ts)), kind, subject FROM events
        WHERE kind IN ('alert', 'breaker') AND epoch(ts) < $opened
        GROUP BY kind, subject, CAST(detail -> 'labels' AS VARCHAR), detail ->> 'source'
        HAVING arg_max(to_state, ts) NOT IN ('closed', 'resolved')
        ORDER BY 1""", {"opened": opened})


@pytest.mark.parametrize("fmt", FORMATS)
def test_incident_timeline_equals_sql_over_the_events(history, generated, fmt):
    lead = lead_up_sql(history, generated.incident_id)
    expected = lead + incident_sql(history, generated.incident_id)
    # Before the opening, the cost burn alert still firing then; then the breaker opening and its alert (at
    # the incident's opening), the incident opened, 2 notes, 3 steps, 6 more breaker transitions, the
    # alert resolved, the incident closed: 1 + 1 + 1 + 1 + 2 + 3 + 6 + 1 + 1 = 17 rows.
    assert [(kind, subject) for _, kind, subject in lead] == [("alert", "LLMCostBurnRateHigh")] and len(expected) == 17
    rows = report(history, "incident", fmt, incident_id=generated.incident_id)["timeline"]
    assert rows[0]["offset"].startswith("-") and not any(row["offset"].startswith("-") for row in rows[1:])
    assert len(rows) == len(expected)
    for row, (ts, kind, subject) in zip(rows, expected):
        assert_value(fmt, row["time"], ts, "time")
        assert (row["kind"], row["subject"]) == (kind, subject)
    assert rows[-1]["change"] == "open → closed"


def test_incident_markdown_is_a_post_mortem(history, generated):
    text = render_report(history, "incident", since_s=TWO_DAYS_S, fmt="markdown", incident_id=generated.incident_id)
    assert text.startswith(f"# Incident {generated.incident_id}: anthropic/claude-3-5-haiku circuit breaker open\n")
    assert "- **opened\\_utc:** 2026-01-01T14:02:00Z" in text
    assert "| +00:00:00 | incident |" in text


def test_incident_without_id_lists_the_incidents(history, generated):
    rows = report(history, "incident", "json")["incidents"]
    assert rows == [{"incident": generated.incident_id, "opened": rnd.iso_utc(generated.incident_span[0]),
                     "closed": rnd.iso_utc(generated.incident_span[1]), "severity": "critical",
                     "title": "anthropic/claude-3-5-haiku circuit breaker open"}]


def test_incident_rules_on_a_hand_built_history(tmp_path: Path):
    """Reopened incident, another incident's note and step, an unattached tick, context outside the span, and
    what stood at the opening."""
    t = 1_767_225_600.0  # 2026-01-01T00:00Z
    gw = SeriesKey("gw", "signal:requests_per_s", make_labels())

    def ev(offset, kind, subject, frm=None, to=None, **detail):
        return Event(t + offset, kind, subject, frm, to, detail)

    events = [
        ev(-60, "alert", "Early", "inactive", "firing"),                    # before, still firing: in
        ev(-55, "alert", "Gone", "inactive", "firing"),                     # before, resolved before: out
        ev(-45, "alert", "Gone", "firing", "resolved"),                     # out
        ev(-40, "breaker", "up/b", "closed", "open", source="gw"),         # closed again before: out
        ev(-35, "breaker", "up/b", "open", "closed", source="gw"),         # out
        ev(-30, "breaker", "up/c", "closed", "half_open", source="gw"),    # not closed at the opening: in
        ev(0, "incident", "INC-A", None, "open", title="Checkout slow"),
        ev(10, "note", "INC-A", incident="INC-A", text="looking"),
        ev(20, "note", "INC-B", incident="INC-B", text="other incident"),   # out
        ev(30, "runbook_step", "rb.md#0", None, "done", incident=None, runbook="rb.md", step=0, text="check"),
        ev(40, "runbook_step", "rb.md#1", None, "done", incident="INC-B", runbook="rb.md", step=1, text="x"),  # out
        ev(50, "incident", "INC-A", "open", "closed", title="Checkout slow"),
        ev(70, "breaker", "up/a", "closed", "open", source="gw"),           # between close and reopen: out
        ev(100, "incident", "INC-A", "closed", "open", title="Checkout slow"),
        ev(110, "source", "gw", "up", "down", error="refused"),
        ev(120, "incident", "INC-A", "open", "closed", title="Checkout slow"),
        ev(130, "note", "INC-A", incident="INC-A", text="post-mortem note"),  # its own note, after: in
    ]
    with History.open(tmp_path / "h.duckdb") as h:
        h.write_cycle([Batch("gw", t, [Sample(gw, t + 200, 1.0)], events)])
        text = render_report(h, "incident", since_s=3600, fmt="json", incident_id="INC-A")
    doc = json.loads(text)
    got = [(r["offset"], r["kind"], r["detail"]) for r in doc["sections"]["timeline"]]
    # What stood at the opening first; then the span: first opening (t) to the last closing (t + 120);
    # the breaker at t + 70 falls inside it.
    assert got == [
        ("-00:01:00", "alert", ""), ("-00:00:30", "breaker", "source gw"),
        ("+00:00:00", "incident", "Checkout slow"), ("+00:00:10", "note", "looking"),
        ("+00:00:30", "runbook_step", "check"), ("+00:00:50", "incident", "Checkout slow"),
        ("+00:01:10", "breaker", "source gw"), ("+00:01:40", "incident", "Checkout slow"),
        ("+00:01:50", "source", "refused"), ("+00:02:00", "incident", "Checkout slow"),
        ("+00:02:10", "note", "post-mortem note"),
    ]
    assert doc["facts"]["duration_s"] == 120.0


def test_an_untitled_incident_is_named_once_in_its_heading(tmp_path: Path):
    from aiops_tui.signals import incidents

    t = 1_767_225_600.0
    with History.open(tmp_path / "h.duckdb") as h:
        incident_id = incidents.start_incident(h, "", t)  # no title given: its title is its id
        h.write_cycle([Batch("gw", t + 60, [Sample(SeriesKey("gw", "signal:requests_per_s", make_labels()), t + 60, 1.0)])])
        text = render_report(h, "incident", since_s=3600, fmt="markdown", incident_id=incident_id)
    assert text.startswith(f"# Incident {incident_id}\n")


# -- maturity and the command line ---------------------------------------------------------------------

def test_maturity_delegates_to_the_maturity_export(tmp_path: Path):
    from aiops_tui.reports.maturity import render_latest
    from aiops_tui.signals.maturity import Assessment, assessment_to_event

    t = 1_767_225_600.0
    with History.open(tmp_path / "m.duckdb") as h:
        with pytest.raises(UserError, match="no maturity assessment"):
            render_report(h, "maturity", since_s=86400, fmt="json")
        h.write_events([assessment_to_event(Assessment(ts=t, answers={}))])
        assert render_report(h, "maturity", since_s=86400, fmt="json") == render_latest(h.cursor(), "json")
        assert render_report(h, "maturity", since_s=86400, fmt="table") == render_latest(h.cursor(), "markdown")
        with pytest.raises(UserError, match="csv"):
            render_report(h, "maturity", since_s=86400, fmt="csv")


def test_run_report_writes_only_the_report_to_stdout(generated, history, capsys, tmp_path: Path):
    args = Namespace(kind="breakers", id=None, file=str(generated.path), since="2d", format="csv",
                     config=str(tmp_path / "none.yaml"))
    (tmp_path / "none.yaml").write_text("budget:\n  monthly_usd: 1000\n")
    assert run_report(args) == 0
    captured = capsys.readouterr()
    assert captured.out == render_report(history, "breakers", since_s=TWO_DAYS_S, fmt="csv")
    assert captured.err == ""


@pytest.mark.parametrize("change, message", [
    ({"format": "yaml"}, "--format"),
    ({"kind": "cost", "id": "INC-1"}, "takes no ID"),
    ({"kind": "cost", "id": "h.duckdb", "file": "/nonexistent/h.duckdb"}, "a history file goes after --file: `aiops-tui report cost --file h.duckdb`"),
    ({"kind": "incident", "id": "INC-none"}, "no incident 'INC-none'"),
    ({"since": "soon"}, "--since"),
    ({"file": "/nonexistent/h.duckdb"}, "no such history file"),
])
def test_run_report_errors_are_one_user_error_line(generated, tmp_path: Path, change, message):
    config = tmp_path / "c.yaml"
    config.write_text("environment: test\n")
    args = Namespace(kind="golden", id=None, file=str(generated.path), since="1d", format="table", config=str(config))
    for key, value in change.items():
        setattr(args, key, value)
    with pytest.raises(UserError, match=re.escape(message)) as caught:
        run_report(args)
    assert "\n" not in str(caught.value)


def test_cost_tiers_for_counters_without_a_tier_label_come_from_pricing(tmp_path: Path):
    t = 1_767_225_600.0  # 2026-01-01T00:00Z
    samples = []
    for model, usd_per_min in (("gpt-4o", 1.0), ("mystery", 0.5)):
        key = SeriesKey("gw", "litellm_spend_metric_total", make_labels(model=model, team="search"))
        samples += [Sample(key, t + 60.0 * m, usd_per_min * m) for m in range(61)]
    with History.open(tmp_path / "h.duckdb") as h:
        h.write_cycle([Batch("gw", t, samples)])
        h.rollup(t + 3600)
        doc = json.loads(render_report(h, "cost", since_s=7200, fmt="json", tiers={"gpt-4o": "tier_1"}))
    tiers = {r["name"]: r["usd"] for r in doc["sections"]["spend"] if r["period"] == "day" and r["by"] == "tier"}
    # 60 one-minute steps: gpt-4o 60 x $1.00, the unpriced model 60 x $0.50.
    assert tiers == {"tier_1": pytest.approx(60.0), "unknown": pytest.approx(30.0)}


# -- savings levers and the AI-quality row at the report's end -----------------------------------------

LEVER_PRICES = {  # USD per 1M input / output tokens and tier, as pricing.yaml gives them
    "gpt-4o": ModelPrice("gpt-4o", "openai", 2.50, 10.00, "tier_1"),
    "gpt-4o-mini": ModelPrice("gpt-4o-mini", "openai", 0.15, 0.60, "tier_2"),
    "llama-3-8b-local": ModelPrice("llama-3-8b-local", "local", 0.0, 0.0, "tier_3"),
}
PRICING_YAML = """models:
  gpt-4o: {provider: openai, tier: tier_1, input_usd_per_1m: 2.50, output_usd_per_1m: 10.00}
  gpt-4o-mini: {provider: openai, tier: tier_2, input_usd_per_1m: 0.15, output_usd_per_1m: 0.60}
  llama-3-8b-local: {provider: local, tier: tier_3, input_usd_per_1m: 0, output_usd_per_1m: 0}
"""
END_S = 600.0
"""The last samples, at T0 + 10 min: 2026-01-01, in a month of 31 x 24 = 744 hours."""
SIGNALS_AT_END = {  # (signal, model; "" the total) -> value. No input/output token split, as from LiteLLM.
    ("spend_usd_per_h", ""): 7.632, ("spend_usd_per_h", "gpt-4o"): 7.2, ("spend_usd_per_h", "gpt-4o-mini"): 0.432,
    ("spend_usd_per_h", "llama-3-8b-local"): 0.0,
    ("requests_per_s", "gpt-4o"): 2.0, ("requests_per_s", "gpt-4o-mini"): 2.0, ("requests_per_s", "llama-3-8b-local"): 1.0,
    ("cache_hit_ratio", "gpt-4o"): 0.45, ("cache_hit_ratio", "gpt-4o-mini"): 0.72,
    ("cache_hit_ratio", "llama-3-8b-local"): 0.72, ("batch_size_avg", ""): 2.0,
    ("validation_pass_ratio", ""): 0.953, ("validation_pass_ratio", "gpt-4o"): 0.871,
    ("validation_pass_ratio", "gpt-4o-mini"): 0.99, ("review_queue_depth", ""): 42.0,
    ("review_oldest_age_s", ""): 4320.0, ("reviewed_per_h", ""): 48.0, ("review_capacity_per_h", ""): 60.0,
    ("audit_coverage_ratio", ""): 0.995,
}
RUN_RATE_USD = 7.632 * 744  # = 5,678.208 a month
# lever -> (after, saved per month, why it cannot be priced), by hand from SIGNALS_AT_END and LEVER_PRICES:
EXPECTED_LEVERS = {
    # gpt-4o alone is under the 60 % target: 7.2 $/h x (0.60 - 0.45) / (1 - 0.45) x 744 h = 16,070.4 / 11.
    "Cache hit rate to target": (RUN_RATE_USD - 16_070.4 / 11, 16_070.4 / 11, None),
    "Move tier_1 traffic to tier_2": (None, None, "needs input and output tokens by model; this source gives no split"),
    # Calls (requests less hits): gpt-4o 2 x 0.55 = 1.1, mini 2 x 0.28 = 0.56 (local: price 0). Batches of
    # 2 -> 10 send the 200 shared tokens 1/2 - 1/10 = 0.4 times less per call:
    # 0.4 x 200 / 1e6 x (1.1 x 2.50 + 0.56 x 0.15) x 3600 x 744 = 607.246848.
    "Fill batches": (RUN_RATE_USD - 607.246848, 607.246848, None),
    # 10 % of tier_2 spend (gpt-4o-mini, 0.432 $/h) x 744 h = 32.1408.
    "Local model for tier_2 traffic": (RUN_RATE_USD - 32.1408, 32.1408, None),
}
# The quality row with the default targets (98 %, 100 %, an hour): 95.3 % is past 96 % (bad), 4,320 s past
# the hour (bad), 99.5 % under 100 % but not under 99 % (warn); the models' pass rates worst first.
EXPECTED_QUALITY = [
    ("validation_pass_ratio", "all", 0.953, 0.98, "bad"),
    ("review_queue_depth", "all", 42.0, None, "no target"),
    ("review_oldest_age_s", "all", 4320.0, 3600.0, "bad"),
    ("reviewed_per_h", "all", 48.0, None, "no target"),
    ("review_capacity_per_h", "all", 60.0, None, "no target"),
    ("audit_coverage_ratio", "all", 0.995, 1.0, "warn"),
    ("validation_pass_ratio", "gpt-4o", 0.871, 0.98, "bad"),
    ("validation_pass_ratio", "gpt-4o-mini", 0.99, 0.98, "ok"),
]


@pytest.fixture
def fixed_path(tmp_path: Path) -> Path:
    """SIGNALS_AT_END at T0 + 600 s; five minutes earlier every value was half as high (outside the panes'
    two-minute look-back, so a report reading any instant but its end shows other numbers)."""
    samples = []
    for (signal, model), value in SIGNALS_AT_END.items():
        series = key(f"signal:{signal}", **({"model": model} if model else {}))
        samples += samples_of(series, [(END_S - 300.0, value / 2), (END_S, value)])
    path = tmp_path / "fixed.duckdb"
    with History.open(path) as h:
        h.write_cycle([batch(samples)])
    return path


@pytest.fixture
def fixed(fixed_path: Path):
    with History.open(fixed_path, read_only=True) as opened:
        yield opened


@pytest.mark.parametrize("fmt", FORMATS)
def test_cost_levers_equal_hand_computed_values_at_the_reports_end(fixed, fmt):
    sections = report(fixed, "cost", fmt, since_s=3600, prices=LEVER_PRICES)
    rows = {r["lever"]: r for r in sections["levers"]}
    assert list(rows) == list(EXPECTED_LEVERS)
    for lever, (after, saved, reason) in EXPECTED_LEVERS.items():
        assert_value(fmt, rows[lever]["run_rate_monthly_usd"], RUN_RATE_USD, "usd")
        assert_value(fmt, rows[lever]["after_monthly_usd"], after, "usd")
        assert_value(fmt, rows[lever]["saved_monthly_usd"], saved, "usd")
        assert_value(fmt, rows[lever]["cannot_price"], reason, "text")
    assumptions = [(r["lever"], r["assumption"]) for r in sections["lever_assumptions"]]
    # 2 x 0.15 = 0.30 more hits/s; a miss costs 0.002 $/s / 1.1 misses/s; 1.96 $/h saved.
    assert ("Cache hit rate to target", "gpt-4o: hits 45.0 % -> 60.0 %: 0.30 more hits/s at $0.001818 a miss = $1.96/h") in assumptions
    assert ("Fill batches", "batches of 2.0 -> 10 calls: the shared prompt goes out 50 -> 10 times per 100 calls") in assumptions
    assert ("Local model for tier_2 traffic", "gpt-4o-mini: $0.43/h x 10.0 % = $0.04/h") in assumptions
    assert {lever for lever, _ in assumptions} == set(EXPECTED_LEVERS) - {"Move tier_1 traffic to tier_2"}
    assert ("Cache hit rate to target", "744 h in the month") in assumptions


def test_cost_report_facts_give_the_levers_instant_and_run_rate(fixed):
    facts = json.loads(render_report(fixed, "cost", since_s=3600, fmt="json", prices=LEVER_PRICES))["facts"]
    assert facts["levers_at_utc"] == "2026-01-01T00:10:00Z"
    assert facts["run_rate_monthly_usd"] == pytest.approx(RUN_RATE_USD)
    assert "do not add up" in facts["levers_overlap"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_levers_without_prices_say_why_instead_of_zero(fixed, fmt):
    rows = {r["lever"]: r for r in report(fixed, "cost", fmt, since_s=3600)["levers"]}
    # The cache lever needs no price; batching has no price to put on the tokens it saves.
    assert_value(fmt, rows["Cache hit rate to target"]["saved_monthly_usd"], 16_070.4 / 11, "usd")
    expected = {
        "Fill batches": "no price for gpt-4o, gpt-4o-mini, llama-3-8b-local in pricing.yaml",
        "Move tier_1 traffic to tier_2": "no model tiers (add `tier:` to pricing.yaml)",
        "Local model for tier_2 traffic": "no model tiers (add `tier:` to pricing.yaml)",
    }
    for lever, reason in expected.items():
        assert_value(fmt, rows[lever]["cannot_price"], reason, "text")
        assert_value(fmt, rows[lever]["saved_monthly_usd"], None, "usd")
        assert_value(fmt, rows[lever]["after_monthly_usd"], None, "usd")
        assert_value(fmt, rows[lever]["run_rate_monthly_usd"], RUN_RATE_USD, "usd")


@pytest.mark.parametrize("fmt", FORMATS)
def test_golden_quality_row_equals_hand_computed_readings(fixed, fmt):
    rows = report(fixed, "golden", fmt, since_s=3600)["quality"]
    assert [(r["reading"], r["model"]) for r in rows] == [(reading, model) for reading, model, *_ in EXPECTED_QUALITY]
    for row, (_, _, value, target, status) in zip(rows, EXPECTED_QUALITY):
        assert_value(fmt, row["value"], value, "number")
        assert_value(fmt, row["target"], target, "number")
        assert_value(fmt, row["status"], status, "text")


def test_golden_quality_is_judged_by_the_targets_given(fixed):
    targets = QualityTargets(validation_pass_ratio=0.95, audit_coverage_ratio=0.99, review_oldest_age_s=5000.0)
    rows = report(fixed, "golden", "json", since_s=3600, quality_targets=targets)["quality"]
    judged = {(r["reading"], r["model"]): (r["target"], r["status"]) for r in rows}
    assert judged[("validation_pass_ratio", "all")] == (0.95, "ok")  # 95.3 % >= 95 %
    assert judged[("review_oldest_age_s", "all")] == (5000.0, "warn")  # 4,320 s: past 80 % of 5,000 s, not past it
    assert judged[("audit_coverage_ratio", "all")] == (0.99, "ok")
    assert judged[("validation_pass_ratio", "gpt-4o")] == (0.95, "bad")  # 87.1 %: past 90 %


def test_levers_and_quality_agree_with_the_panes_at_the_same_instant(fixed):
    until = newest(fixed) + 0.001
    views = Cockpit(fixed, prices=LEVER_PRICES, clock=lambda: until).views(until)
    doc = json.loads(render_report(fixed, "cost", since_s=3600, fmt="json", prices=LEVER_PRICES))["sections"]
    assert [(r["lever"], r["run_rate_monthly_usd"], r["after_monthly_usd"], r["saved_monthly_usd"], r["cannot_price"])
            for r in doc["levers"]] == [
        (lever.name, lever.monthly_run_rate_usd, lever.after_usd, lever.saved_usd, lever.unavailable_reason)
        for lever in views.cost.levers]
    assert [(r["lever"], r["assumption"]) for r in doc["lever_assumptions"]] == [
        (lever.name, line) for lever in views.cost.levers for line in lever.assumptions]
    quality = views.golden.quality
    rows = report(fixed, "golden", "json", since_s=3600)["quality"]
    assert rows[0]["value"] == quality.validation_pass_ratio.value and rows[0]["status"] == quality.validation_pass_ratio.status
    assert [r["model"] for r in rows[6:]] == list(quality.pass_ratio_by_model)


def test_run_report_prices_levers_and_judges_quality_from_the_config(fixed_path, tmp_path: Path, capsys):
    (tmp_path / "pricing.yaml").write_text(PRICING_YAML)
    config = tmp_path / "aiops.yaml"
    config.write_text(f"pricing: {tmp_path / 'pricing.yaml'}\n"
                      "targets:\n  cache_hit_ratio: 0.5\n  validation_pass_ratio: 0.95\n")
    args = Namespace(kind="cost", id=None, file=str(fixed_path), since="1h", format="json", config=str(config))
    assert run_report(args) == 0
    levers = {r["lever"]: r for r in json.loads(capsys.readouterr().out)["sections"]["levers"]}
    # gpt-4o to a 50 % target: 7.2 x (0.50 - 0.45) / 0.55 x 744 = 5,356.8 / 11.
    assert levers["Cache hit rate to target"]["saved_monthly_usd"] == pytest.approx(5_356.8 / 11)
    assert levers["Fill batches"]["saved_monthly_usd"] == pytest.approx(607.246848)
    args.kind = "golden"
    assert run_report(args) == 0
    quality = json.loads(capsys.readouterr().out)["sections"]["quality"]
    assert (quality[0]["reading"], quality[0]["target"], quality[0]["status"]) == ("validation_pass_ratio", 0.95, "ok")


def test_golden_quality_without_quality_signals_says_no_data(history):
    rows = report(history, "golden", "table")["quality"]
    assert [(r["reading"], r["value"], r["status"]) for r in rows] == [
        (name, "—", "no data") for name in ("validation_pass_ratio", "review_queue_depth", "review_oldest_age_s",
                                           "reviewed_per_h", "review_capacity_per_h", "audit_coverage_ratio")]


def test_cost_levers_on_generated_history_match_the_cost_pane(history):
    until = newest(history) + 0.001
    prices = load_pricing()
    views = Cockpit(history, prices=prices, clock=lambda: until).views(until)
    rows = report(history, "cost", "json", prices=prices)["levers"]
    assert [(r["lever"], r["saved_monthly_usd"], r["cannot_price"]) for r in rows] == [
        (lever.name, lever.saved_usd, lever.unavailable_reason) for lever in views.cost.levers]
    # The generator's LiteLLM-like gateway gives no input/output split: the tier move says so.
    assert rows[1]["cannot_price"] == "needs input and output tokens by model; this source gives no split"


def test_a_report_reads_the_source_the_panes_show_at_its_end_not_one_that_went_quiet(tmp_path):
    # Prometheus answered for the first 50 minutes of the hour, the gateway all along: at the end the panes
    # read the gateway (Prometheus has nothing in their 2-minute lookback), and so must the report.
    prom = key("signal:requests_per_s", "prometheus")
    direct = key("signal:requests_per_s", "gw")
    with History.open(tmp_path / "h.duckdb") as history:
        history.write_cycle([
            batch(samples_of(prom, [(t, 10.0) for t in range(0, 3000, 60)]), source="prometheus"),
            batch(samples_of(direct, [(t, 12.0) for t in range(0, 3600, 60)])),
        ])
        text = render_report(history, "golden", since_s=3600.0, fmt="json")
    report = json.loads(text)
    assert report["facts"]["source"] == "gw"
    assert report["sections"]["buckets"][-1]["rps_avg"] == 12.0  # the gateway's numbers, Prometheus's gap filled

"""A cockpit started beside a Prometheus that has scraped the gateway for a while: the history's gap before the
start is filled from Prometheus's range queries, each step as a poll at that instant would have read it.

Skipped with a one-line reason where Debian's prometheus is missing; CI requires it.
"""

from __future__ import annotations

import asyncio
import json
import math
import re
import subprocess
import time

import httpx
import pytest

from aiops_tui.cockpit import Cockpit
from aiops_tui.model import Batch, Sample, SeriesKey
from aiops_tui.recorder import GAP_FILL_S, Recorder
from aiops_tui.resources import shipped_dir
from aiops_tui.sim.exposition import Family, write_openmetrics
from aiops_tui.sim.model import GatewayModel
from aiops_tui.sim.server import SimServer
from aiops_tui.sources.poller import fill_spans, fill_step
from aiops_tui.store.history import History
from aiops_tui.ui.series import cells_of
from prom_harness import PromServer
from prom_required import require_binary
from test_prometheus_sim import breaker_states, prom_source
from ui.pilot_helpers import cockpit_app, screen_lines, settle, wait_for

pytestmark = pytest.mark.prometheus
RULES = shipped_dir("rules") / "aiops-alerts.yml"


def instant(prom: PromServer, promql: str, at: float) -> dict[tuple, float]:
    """The query evaluated by Prometheus at `at`: labels -> value."""
    answer = httpx.get(f"{prom.url}/api/v1/query", params={"query": promql, "time": f"{at:.3f}"}, timeout=10).json()
    return {tuple(sorted((k, v) for k, v in item["metric"].items() if k != "__name__")): float(item["value"][1])
            for item in answer["data"]["result"]}


def stored(history: History, name: str) -> dict[float, dict[tuple, float]]:
    """ts -> labels -> value of the Prometheus series `name`, as the history holds them."""
    out: dict[float, dict[tuple, float]] = {}
    for key, ts, value in history.cursor().execute(
        """SELECT s.labels, epoch_us(v.ts) / 1e6, v.value FROM samples v JOIN series s USING (series_id)
           WHERE s.source = 'prometheus' AND s.name = $name""", {"name": name},
    ).fetchall():
        labels = tuple(sorted(json.loads(key).items()))
        out.setdefault(ts, {})[labels] = value
    return out


@pytest.fixture
def scraped_through_an_outage(tmp_path):
    """Prometheus scraping the sim every second; the history's last sample is from before gpt-4o went down."""
    with SimServer(seed=7) as sim, History.open(tmp_path / "h.duckdb") as history, \
            PromServer(tmp_path / "prom", [f"127.0.0.1:{sim.port}"], rule_files=[RULES]) as prom:
        prom.wait_for("count(count_over_time(litellm_proxy_total_requests_metric_total[1m]) >= 8)", lambda r: bool(r))
        left_at = math.floor(time.time())  # the cockpit closed: its last sample
        history.write_cycle([Batch("gw", left_at, [Sample(SeriesKey("gw", "up", ()), left_at, 1.0)])])
        httpx.post(f"{sim.url}/faults", json={"fault": "upstream_outage", "target": "openai/gpt-4o", "duration_s": 300},
                   timeout=5)
        source = prom_source(prom.url)
        deadline = time.monotonic() + 30
        while not any(v == 2.0 for k, v in breaker_states(asyncio.run(source.poll())).items() if k.endswith("gpt-4o")):
            assert time.monotonic() < deadline, "Prometheus never showed gpt-4o's breaker open"
            time.sleep(0.2)
        time.sleep(2.0)
        yield prom, history, left_at


def test_the_gap_since_the_history_ends_is_read_from_prometheus_as_each_poll_would_have(scraped_through_an_outage):
    prom, history, left_at = scraped_through_an_outage
    source = prom_source(prom.url)  # polled every second: the gap of some seconds is read at 1 s steps
    recorder = Recorder(history, [source])
    recorder.resume_from_history()
    assert recorder.poller.fill_from == left_at  # not an hour back: the history holds what came before
    asyncio.run(recorder.poller.fill_gaps())
    status = recorder.poller.status["prometheus"]
    assert status.fill_error is None and status.filled.endswith("steps of 1 s)")

    requests = stored(history, "signal:requests_per_s")
    steps = sorted(requests)
    assert steps[0] == left_at + 1 and steps == [float(ts) for ts in range(int(steps[0]), int(steps[-1]) + 1)]
    assert time.time() - steps[-1] < 5
    # Every signal at three of the steps: what Prometheus answers for its query at that instant (a range query sums
    # in another order: the last bits may differ). Not the last steps: a scrape stamped then may have landed since.
    queries = source.queries()
    for at in (steps[0], steps[len(steps) // 2], steps[-3]):
        for signal in ("requests_per_s", "error_ratio", "spend_usd_per_h", "cache_hit_ratio", "breaker_state"):
            expected = instant(prom, queries[signal], at)
            assert stored(history, f"signal:{signal}")[at] == pytest.approx(expected, rel=1e-9), (signal, at)
    # gpt-4o's breaker went down inside the gap: its opening is in the history (read once a second, an open that
    # lasted less may be missed between two steps, not the whole outage; a deployment whose last call failed at
    # the first step reads half-open there, as LiteLLM's gauge says "partial outage").
    opened = [event for event in history.events(left_at, time.time())
              if event.kind == "breaker" and event.subject.endswith("gpt-4o") and event.to_state == "open"]
    assert opened and left_at < opened[0].ts <= steps[-1]
    # And the alert Prometheus fired for it (its rule waits 0 s), with the labels that find its runbook.
    fired = [event for event in history.events(left_at, time.time()) if event.kind == "alert"
             and event.subject == "LLMCircuitBreakerOpen" and event.to_state == "firing"]
    assert fired and left_at < fired[0].ts <= steps[-1]
    assert fired[0].detail["labels"]["upstream"] == "openai/gpt-4o" and "alertstate" not in fired[0].detail["labels"]
    # The first poll follows on, written after the gap, not refused as older than it.
    before = recorder.rows_written
    asyncio.run(recorder.poller.run_cycle())
    assert recorder.rows_written > before and recorder.last_error is None
    assert max(stored(history, "signal:requests_per_s")) > steps[-1]
    # The first poll reads the alerts from /api/v1/alerts, the gap read them from the ALERTS series: the alert
    # still firing is the same one to both, not resolved by the poll and fired again.
    told = [(event.to_state, event.detail["labels"]) for event in history.events(left_at, time.time())
            if event.kind == "alert" and event.subject == "LLMCircuitBreakerOpen"]
    assert told == [("firing", fired[0].detail["labels"])]


def test_a_history_that_ends_long_ago_is_filled_for_the_last_day_only(tmp_path):
    with History.open(tmp_path / "h.duckdb") as history:
        history.write_cycle([Batch("gw", 1_000_000.0, [Sample(SeriesKey("gw", "up", ()), 1_000_000.0, 1.0)])])
        recorder = Recorder(history, [], clock=lambda: 2_000_000.0)
        recorder.resume_from_history()
        assert recorder.poller.fill_from == 2_000_000.0 - GAP_FILL_S
        # Rolled up past its newest sample (cycles of events alone roll on): filled from the rollups' end.
        history.rollup(1_999_000.0)
        recorder.resume_from_history()
        assert recorder.poller.fill_from == 1_998_960.0  # the last whole minute


@pytest.mark.parametrize(("span_s", "interval_s", "step_s"), [
    (3600.0, 5.0, 15.0), (3600.5, 5.0, 15.0), (3600.0, 30.0, 30.0), (300.0, 5.0, 5.0),
    (20.0, 1.0, 1.0), (86_400.0, 5.0, 600.0), (700.0, 7.0, 10.0),
])
def test_a_gap_is_read_at_a_round_step_no_finer_than_the_polls(span_s, interval_s, step_s):
    assert fill_step(span_s, interval_s) == step_s


NOW = 1_796_000_407.0  # 7 s past the hour


@pytest.mark.parametrize(("gap_s", "expected"), [
    (30.0, [(-20.0, 5.0, 5.0)]),  # shorter than an hour: one range, at its own step, as ever
    (3600.0, [(-3585.0, -0.0, 15.0)]),
    (3 * 3600.0, [(-10740.0, -3600.0, 60.0), (-3585.0, -0.0, 15.0)]),
    (GAP_FILL_S, [(-85800.0, -21600.0, 600.0), (-21480.0, -3600.0, 120.0), (-3585.0, -0.0, 15.0)]),
])
def test_a_long_gap_is_read_in_tiers_coarser_with_age_each_on_its_own_grid(gap_s, expected):
    on_the_hour = NOW - 7
    spans = fill_spans(NOW - gap_s, NOW, 5.0)
    assert [(start - on_the_hour, end - on_the_hour, step) for start, end, step in spans] == expected
    for start, end, step in spans:
        assert start % step == 0 and end % step == 0 and NOW - gap_s < start <= end <= NOW
    assert all(older[1] < newer[0] for older, newer in zip(spans, spans[1:]))  # none overlaps the next


def test_a_gap_of_a_step_or_less_is_left_to_the_first_poll():
    assert fill_spans(NOW - 7, NOW, 5.0) == []  # a single step, at NOW - 2
    assert fill_spans(NOW - 12, NOW, 5.0) == [(NOW - 7, NOW - 2, 5.0)]


def test_hours_of_prometheus_history_open_the_6h_chart_full_and_the_24h_chart_as_far_as_they_go(tmp_path):
    """A Prometheus that holds 8 h of an OTel gateway scraped every 60 s (backfilled by promtool from the sim's
    scrapes) and a new history: the start fills what Prometheus has of the last day, in its tiers."""
    end = math.floor(time.time() / 60) * 60 - 60
    # An alert that fired for two minutes six and a half hours ago, between two of the day's 600 s steps (and
    # more than the 5 min an instant query looks back before the next).
    brief = math.ceil((end - 6.5 * 3600) / 600) * 600
    alert = Family("ALERTS", "gauge", "", [("ALERTS", {"alertname": "LLMErrorRatioHigh", "alertstate": "firing",
                                                      "severity": "critical"}, 1.0)])

    # And gpt-4o's breaker, open for two minutes between two of those steps, twenty minutes before.
    flapped = brief - 1200

    def opened(family: Family) -> Family:
        if family.name != "resilience4j_circuitbreaker_state":
            return family
        return Family(family.name, family.type, family.help, [
            (name, labels, float(labels["state"] == "open") if labels["name"] == "openai/gpt-4o" else value)
            for name, labels, value in family.samples])

    # And 6,000 more gpt-4o calls in two minutes, twenty minutes before that: 10/s more over a 600 s step.
    burst = flapped - 1200

    def more_calls(family: Family, ts: float) -> Family:
        if family.name != "gen_ai_client_operation_duration_seconds":
            return family
        extra = min(ts - burst, 120) / 120 * 6000
        return Family(family.name, family.type, family.help, [
            (name, labels, value + extra if name.endswith("_count") and labels["gen_ai_request_model"] == "gpt-4o"
             and not labels.get("error_type") else value) for name, labels, value in family.samples])

    def scrapes():
        for ts, families in GatewayModel(11, end - 8 * 3600, convention="otel").scrapes(end, 60.0):
            if flapped < ts <= flapped + 120:
                families = [opened(family) for family in families]
            if ts > burst:
                families = [more_calls(family, ts) for family in families]
            yield ts, [*families, alert] if brief < ts <= brief + 120 else families

    write_openmetrics(tmp_path / "scrapes.om", scrapes(), {"job": "gateway", "instance": "gateway-a:9000"})
    promtool = require_binary("promtool")
    subprocess.run([promtool, "tsdb", "create-blocks-from", "openmetrics", str(tmp_path / "scrapes.om"),
                    str(tmp_path / "prom" / "data")], check=True, stdout=subprocess.DEVNULL)
    with PromServer(tmp_path / "prom", []) as prom, History.open(tmp_path / "h.duckdb") as history:
        recorder = Recorder(history, [prom_source(prom.url, interval_s=5.0)])
        recorder.resume_from_history()
        asyncio.run(recorder.poller.fill_gaps())
        status = recorder.poller.status["prometheus"]
        assert status.fill_error is None
        assert re.fullmatch(r"the [78](\.\d)? h before the start \(\d+ steps of 600 s, 150 of 120 s, 240 of 15 s\)",
                            status.filled), status.filled
        cockpit = Cockpit(history, poller=recorder.poller)
        six, day = cockpit.views(None, "6h"), cockpit.views(None, "24h")
        alerts = [(event.ts, event.to_state) for event in history.events(end - 8 * 3600, time.time())
                  if event.kind == "alert" and event.subject == "LLMErrorRatioHigh"]
        flaps = [(event.ts, event.from_state, event.to_state) for event in history.events(flapped - 1800, brief)
                 if event.kind == "breaker" and event.subject.endswith("openai/gpt-4o")]
        requests = stored(history, "signal:requests_per_s")
    # Drawn as the charts draw them: no cell of the 6 h without a point, nor of the 24 h's last 6 h; nothing
    # before the 8 h Prometheus holds.
    assert all(value is not None and value > 0
               for value in cells_of(six.golden.charts["requests_per_s"], six.at - 6 * 3600, six.at, 56))
    cells = cells_of(day.golden.charts["requests_per_s"], day.at - 24 * 3600, day.at, 48)
    assert all(value is not None for value in cells[-12:]) and all(value is None for value in cells[:30])  # 15 h
    # The brief alert is on the timeline, at the step after it fired, resolved at the next.
    assert alerts == [(brief + 600, "firing"), (brief + 1200, "resolved")]
    # So is the breaker's opening: read as its worst state within each step.
    assert flaps == [(flapped + 600, "closed", "open"), (flapped + 1200, "open", "closed")]
    # The burst is in the rate of the step after it, read over the whole 600 s step, not a 5 min window that
    # began after the burst had ended.
    # (gpt-4o's own traffic moves by well under 1/s in ten minutes; read over 5 min windows, the two differ by that.)
    model = (("model", "gpt-4o"),)
    before, after = requests[burst][model], requests[burst + 600][model]
    assert after - before == pytest.approx(10.0, abs=2.0), (before, after)


async def test_the_live_cockpit_opens_on_the_gap_filled_and_says_so(tmp_path):
    with SimServer(seed=7) as sim, History.open(tmp_path / "h.duckdb") as history, \
            PromServer(tmp_path / "prom", [f"127.0.0.1:{sim.port}"]) as prom:
        prom.wait_for("count(count_over_time(litellm_proxy_total_requests_metric_total[1m]) >= 12)", bool, 30)
        left_at = math.floor(time.time()) - 10  # the cockpit closed ten seconds ago
        history.write_cycle([Batch("gw", left_at, [Sample(SeriesKey("gw", "up", ()), left_at, 1.0)])])
        recorder = Recorder(history, [prom_source(prom.url, interval_s=1.0)])
        recorder.resume_from_history()
        app = cockpit_app(Cockpit(history, poller=recorder.poller))
        async with app.run_test(size=(120, 40), notifications=True) as pilot:
            await wait_for(lambda: any("history filled from prometheus" in line for line in screen_lines(app)), pilot)
            [told] = [n.message for n in app._notifications if n.title == "history filled from prometheus"]
            assert re.fullmatch(r"the \d+ s before the start \(\d+ steps of 1 s\): the charts start before "
                                r"the cockpit did", told), told
            assert str(app.query_one("#golden-source").render()).startswith("from prometheus")
            # The requests chart has the gap's points, from before the first poll.
            first_poll = max(stored(history, "signal:requests_per_s"))
            charted = app.cockpit.views().golden.charts["requests_per_s"]
            assert any(ts < first_poll - 5 and value > 0 for ts, value in charted)

"""Property tests for the parsers of what sources send: whatever the bytes, the exposition parser
gives samples or an ExpositionError, and the JSON readers give records or a SourceError."""

from __future__ import annotations

import json
import math
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from aiops_tui.model import Alert, Sample
from aiops_tui.sources.base import SourceError
from aiops_tui.sources.exposition import ExpositionError, parse_exposition
from aiops_tui.sources.gateway import parse_health_json
from aiops_tui.sources.prometheus import parse_alerts, vector_samples

FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FIXTURE_LINES = (Path(__file__).parent.parent / "fixtures" / "litellm-1.108.7-metrics.txt").read_text().splitlines()
TS = 1_767_225_600.0

text = st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=300)
json_scalars = st.none() | st.booleans() | st.integers() | st.integers(min_value=10**300, max_value=10**400) | st.floats() | text
json_values = st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=4), max_leaves=20)


def assert_valid_samples(samples: list[Sample]) -> None:
    for s in samples:
        assert isinstance(s, Sample) and isinstance(s.value, float)
        assert all(isinstance(k, str) and isinstance(v, str) for k, v in s.key.labels)
        hash(s.key)  # keys index dicts downstream: they must be hashable


# --- exposition -------------------------------------------------------------------------------------


def parse_or_refuse(body: str) -> None:
    try:
        samples = parse_exposition(body, source="gw", ts=TS)
    except ExpositionError as exc:
        message = str(exc)
        assert message.startswith("not Prometheus text exposition: ") and "\n" not in message and len(message) < 400
        return
    assert_valid_samples(samples)
    assert all(not s.key.name.endswith("_created") and not math.isnan(s.value) for s in samples)


@FUZZ
@given(text)
@example("m{v=\"\x1b[2J\"} 1\n")
@example("# TYPE x counter\nx 1\nx_total 2\n")
def test_random_text(body: str):
    parse_or_refuse(body)


mutation = st.tuples(
    st.sampled_from(["delete", "insert", "replace", "truncate", "duplicate"]),
    st.integers(min_value=0, max_value=400),
    st.text(alphabet='{}",=\\#\n \t\x00\x1bxe+-.0123456789', min_size=1, max_size=3),
)


def mutate(line: str, kind: str, at: int, piece: str) -> str:
    at = at % (len(line) + 1)
    return {
        "delete": line[:at] + line[at + 1 :],
        "insert": line[:at] + piece + line[at:],
        "replace": line[:at] + piece + line[at + len(piece) :],
        "truncate": line[:at],
        "duplicate": line + "\n" + line,
    }[kind]


@FUZZ
@given(st.lists(st.tuples(st.sampled_from(FIXTURE_LINES), mutation), min_size=1, max_size=12))
def test_mutated_lines_of_a_real_scrape(picks):
    parse_or_refuse("\n".join(mutate(line, *m) for line, m in picks) + "\n")


# --- JSON from gateways and Prometheus ----------------------------------------------------------

breaker = st.fixed_dictionaries({}, optional={
    "state": st.sampled_from(["closed", "open", "half_open", "broken"]) | json_values,
    "since": st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat()) | json_values,
    "failure_rate": json_values, "not_permitted_calls": json_values, "fallback": json_values,
})
check = st.fixed_dictionaries({}, optional={
    "breaker": breaker | json_values, "tier": json_values, "fallback": json_values,
    "observedValue": json_values, "observedUnit": json_values, "status": json_values,
})
health_doc = st.fixed_dictionaries(
    {"status": st.sampled_from(["pass", "warn", "fail"]) | json_values},
    optional={"checks": st.dictionaries(st.sampled_from(["upstream:a/b", "cache:c", "budget:x"]) | text, st.lists(check | json_values, max_size=3), max_size=4) | json_values},
)


@FUZZ
@given(health_doc | json_values)
@example({"status": "pass", "checks": {"budget:x": [{"observedValue": 10**400}]}})
@example({"status": "pass", "checks": {"upstream:a": [{"breaker": {"state": "open", "failure_rate": 10**400}}]}})
def test_health_json(doc):
    for candidate in (doc, json.loads(json.dumps(doc))):
        try:
            samples = parse_health_json(candidate, source="gw", ts=TS)
        except SourceError as exc:
            assert "\n" not in str(exc) and len(str(exc)) < 300
            continue
        assert_valid_samples(samples)


alert = st.fixed_dictionaries({}, optional={
    "labels": st.dictionaries(text, json_values, max_size=4) | json_values,
    "annotations": st.dictionaries(text, json_values, max_size=4) | json_values,
    "state": json_values, "activeAt": st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat()) | json_values,
})
alerts_doc = st.fixed_dictionaries(
    {"status": st.sampled_from(["success", "error"]) | json_values},
    optional={"data": st.fixed_dictionaries({}, optional={"alerts": st.lists(alert | json_values, max_size=4) | json_values}) | json_values,
              "error": json_values},
)


@FUZZ
@given(alerts_doc | json_values)
def test_alerts(doc):
    try:
        alerts = parse_alerts(doc)
    except SourceError as exc:
        assert "\n" not in str(exc) or str(exc).startswith("alerts: status error: ")
        return
    for a in alerts:
        assert isinstance(a, Alert) and isinstance(a.name, str) and isinstance(a.state, str)
        assert all(isinstance(k, str) and isinstance(v, str) for k, v in (*a.labels.items(), *a.annotations.items()))
        hash(a.identity)


vector_item = st.fixed_dictionaries({}, optional={
    "metric": st.dictionaries(text, json_values, max_size=3) | json_values,
    "value": st.tuples(json_values, json_values).map(list) | json_values,
})


@FUZZ
@given(st.lists(vector_item | json_values, max_size=5) | json_values)
@example([{"metric": {"model": "a"}, "value": [0, 10**400]}])
@example([{"metric": {"model": ["not", "a", "string"]}, "value": [0, "1"]}])
def test_vector_samples(result):
    try:
        samples = vector_samples("requests_per_s", result, ts=TS)
    except SourceError as exc:
        assert "\n" not in str(exc)
        return
    assert_valid_samples(samples)

"""Parsing real scrapes (LiteLLM 1.108.7, an OTel GenAI exporter) and refusing garbage in one line."""

from __future__ import annotations

import math
from collections import defaultdict
from pathlib import Path

import pytest

from aiops_tui.model import Sample
from aiops_tui.signals.prommath import histogram_quantile
from aiops_tui.sources.exposition import MAX_EXPOSITION_BYTES, ExpositionError, parse_exposition

FIXTURES = Path(__file__).parent.parent / "fixtures"
LITELLM_TEXT = (FIXTURES / "litellm-1.108.7-metrics.txt").read_text()
OTEL_TEXT = (FIXTURES / "otel-genai-metrics.txt").read_text()
TS = 1_795_573_800.0


@pytest.fixture(scope="module")
def litellm() -> list[Sample]:
    return parse_exposition(LITELLM_TEXT, source="litellm", ts=TS)


@pytest.fixture(scope="module")
def otel() -> list[Sample]:
    return parse_exposition(OTEL_TEXT, source="otel", ts=TS)


def total_by(samples: list[Sample], name: str, label: str, **where: str) -> dict[str, float]:
    out: dict[str, float] = defaultdict(float)
    for s in samples:
        if s.key.name == name and all(s.key.label(k) == v for k, v in where.items()):
            out[s.key.label(label)] += s.value
    return dict(out)


# --- the LiteLLM scrape -------------------------------------------------------------------------

def test_litellm_created_samples_are_dropped_and_everything_else_kept(litellm):
    # 273 sample lines in the file (497 lines less 112 HELP and 112 TYPE), 37 of them `*_created`.
    assert len(litellm) == 273 - 37
    assert not [s for s in litellm if s.key.name.endswith("_created")]
    assert {s.ts for s in litellm} == {TS} and {s.key.source for s in litellm} == {"litellm"}
    assert all(isinstance(s.value, float) for s in litellm)


def test_a_counter_named_created_is_not_a_created_sample():
    text = (
        "# TYPE litellm_managed_batch_created_total counter\nlitellm_managed_batch_created_total 2\n"
        "litellm_managed_batch_created_created 1.79e+09\n"
    )
    samples = parse_exposition(text, source="s", ts=1.0)
    assert [(s.key.name, s.value) for s in samples] == [("litellm_managed_batch_created_total", 2.0)]


def test_litellm_requests_and_failures_per_requested_model(litellm):
    # gpt-4: 7 (gpt4-primary, 200) + 2 (gpt4-secondary-429, 429) + 2 (no deployment, status "None") = 11
    assert total_by(litellm, "litellm_proxy_total_requests_metric_total", "requested_model") == {"gpt-4": 11.0, "local-llm": 1.0}
    # 2 RateLimitError + 2 ValueError, all asked for gpt-4
    assert total_by(litellm, "litellm_proxy_failed_requests_metric_total", "requested_model") == {"gpt-4": 4.0}
    # LiteLLM writes a missing label as the string "None"; the parser keeps it verbatim.
    statuses = total_by(litellm, "litellm_proxy_total_requests_metric_total", "status_code")
    assert statuses == {"200": 8.0, "429": 2.0, "None": 2.0}


def test_litellm_spend_tokens_and_cache(litellm):
    assert total_by(litellm, "litellm_spend_metric_total", "model") == {"gpt-4": 0.010499999999999999, "llama3": 0.0}
    # 210 (gpt-4) + 14 (llama3) = 224 total tokens; 70 + 9 = 79 in, 140 + 5 = 145 out
    assert sum(total_by(litellm, "litellm_total_tokens_metric_total", "model").values()) == 224.0
    assert total_by(litellm, "litellm_input_tokens_metric_total", "model") == {"gpt-4": 70.0, "llama3": 9.0}
    assert total_by(litellm, "litellm_output_tokens_metric_total", "model") == {"gpt-4": 140.0, "llama3": 5.0}
    # The hits counter is declared but has no sample yet; one miss; 7 + 1 = 8 requests counted.
    assert total_by(litellm, "litellm_cache_hits_metric_total", "model") == {}
    assert total_by(litellm, "litellm_cache_misses_metric_total", "model") == {"llama3": 1.0}
    assert total_by(litellm, "litellm_requests_metric_total", "model") == {"gpt-4": 7.0, "llama3": 1.0}


def test_litellm_deployment_state_is_worst_per_model_id(litellm):
    worst: dict[str, float] = {}
    for s in litellm:
        if s.key.name == "litellm_deployment_state":
            model_id = s.key.label("model_id")
            worst[model_id] = max(worst.get(model_id, 0.0), s.value)
    # gpt4-secondary-429 repeats per api_base: 1 ("") and 2 ("http://127.0.0.1:9/v1") -> 2, cooled down
    assert worst == {"gpt4-primary": 0.0, "gpt4-secondary-429": 2.0, "local-llama": 0.0}


def test_litellm_p95_latency_from_the_buckets(litellm):
    buckets = [
        (float(s.key.label("le")), s.value)
        for s in litellm
        if s.key.name == "litellm_request_total_latency_metric_bucket" and s.key.label("requested_model") == "gpt-4"
    ]
    assert len(buckets) == 18
    # Cumulative counts: le 0.01 -> 1, 0.025 -> 6, 0.05 -> 6, 0.1 -> 6, 0.25 -> 7, ... +Inf -> 7.
    # rank = 0.95 * 7 = 6.65: first bucket with count >= 6.65 is le=0.25 (7), the one below is 0.1 (6)
    # p95 = 0.1 + (0.25 - 0.1) * (6.65 - 6) / (7 - 6) = 0.1 + 0.15 * 0.65 = 0.1975
    assert histogram_quantile(0.95, buckets) == pytest.approx(0.1975, rel=1e-12)


def test_litellm_infinite_gauges_are_kept(litellm):
    budgets = [s.value for s in litellm if s.key.name == "litellm_remaining_api_key_budget_metric"]
    assert budgets == [math.inf]


# --- the OTel GenAI scrape ----------------------------------------------------------------------

def test_otel_operations_errors_tokens_and_cost(otel):
    count = "gen_ai_client_operation_duration_seconds_count"
    # one call with error_type="" and one with error_type="429", both gpt-4
    assert total_by(otel, count, "gen_ai_request_model") == {"gpt-4": 2.0}
    errors = sum(s.value for s in otel if s.key.name == count and s.key.label("error_type") != "")
    assert errors == 1.0
    assert total_by(otel, "gen_ai_client_token_usage_sum", "gen_ai_token_type") == {"input": 120.0, "output": 300.0}
    assert total_by(otel, "gen_ai_usage_cost_USD_sum", "gen_ai_request_model") == {"gpt-4": 0.0123}
    # Bucket bounds stay as the exporter wrote them.
    les = [s.key.label("le") for s in otel if s.key.name == "gen_ai_usage_cost_USD_bucket"]
    assert les[:2] == ["0.0", "5.0"] and les[-1] == "+Inf"


def test_otel_sample_count(otel):
    # 106 sample lines, none of them `_created`
    assert len(otel) == 106


# --- tidying ------------------------------------------------------------------------------------

def test_nan_is_dropped_for_every_type_and_infinities_are_kept():
    text = (
        "# TYPE g gauge\ng{a=\"1\"} NaN\ng{a=\"2\"} +Inf\ng{a=\"3\"} -Inf\n"
        "# TYPE c_total counter\nc_total NaN\n"
        "# TYPE h histogram\nh_bucket{le=\"1\"} NaN\nh_bucket{le=\"+Inf\"} 2\nh_count 2\nh_sum 1.5\n"
    )
    samples = parse_exposition(text, source="s", ts=1.0)
    assert [(s.key.name, dict(s.key.labels), s.value) for s in samples] == [
        ("g", {"a": "2"}, math.inf),
        ("g", {"a": "3"}, -math.inf),
        ("h_bucket", {"le": "+Inf"}, 2.0),
        ("h_count", {}, 2.0),
        ("h_sum", {}, 1.5),
    ]


def test_a_10_kb_label_value_is_truncated_with_a_marker_and_stays_distinct():
    long_a = "x" * 10_240 + "a"
    long_b = "x" * 10_240 + "b"
    text = f'm{{path="{long_a}"}} 1\nm{{path="{long_b}"}} 2\nm{{path="short"}} 3\n'
    samples = parse_exposition(text, source="s", ts=1.0, max_label_value_len=1024)
    paths = [s.key.label("path") for s in samples]
    assert len(samples) == 3 and paths[2] == "short"
    for path in paths[:2]:
        assert path.startswith("x" * 1024 + "...[truncated 9217 chars, sha1 ")  # 10,241 - 1,024 = 9,217
        assert len(path) < 1100
    assert paths[0] != paths[1]


def test_duplicate_series_in_one_scrape_keep_the_last_value():
    text = '# TYPE up gauge\nup{job="a"} 1\nup{job="b"} 5\nup{job="a"} 0\n'
    samples = parse_exposition(text, source="s", ts=1.0)
    assert [(s.key.label("job"), s.value) for s in samples] == [("a", 0.0), ("b", 5.0)]


def test_counters_without_total_keep_the_name_prometheus_stores():
    # Envoy writes counters without `_total`; prometheus_client would rename them.
    text = "# TYPE envoy_cluster_upstream_rq_xx counter\nenvoy_cluster_upstream_rq_xx{envoy_response_code_class=\"5\"} 3\n"
    [sample] = parse_exposition(text, source="s", ts=1.0)
    assert sample.key.name == "envoy_cluster_upstream_rq_xx" and sample.value == 3.0


def test_comments_only_is_an_empty_scrape_not_an_error():
    assert parse_exposition("# HELP up Up.\n# TYPE up gauge\n", source="s", ts=1.0) == []


def test_size_limit_is_published_for_callers():
    assert MAX_EXPOSITION_BYTES == 8 * 1024 * 1024


# --- garbage ------------------------------------------------------------------------------------

GARBAGE = {
    "html": ("<!DOCTYPE html>\n<html><body><h1>502 Bad Gateway</h1></body></html>\n", "looks like HTML (line 1)"),
    "html_after_blank_lines": ("\n\n  <html>oops</html>", "looks like HTML (line 3)"),
    "json": ('{"metrics": [1, 2, 3]}', "looks like JSON (line 1)"),
    "json_array": ("[1, 2]\n", "looks like JSON (line 1)"),
    "empty": ("", "the body is empty"),
    "blank": ("  \n\n", "the body is empty"),
    "binary": ("\x1f\x8b\x08\x00gzip", "looks like binary data (line 1)"),
    "truncated_mid_label": ('# TYPE up gauge\nup{job="a"} 1\nup{job="b', "unterminated label value (line 3"),
    "unclosed_labels": ('up{job="a" 1\n', "unterminated label set (line 1"),
    "word_value": ("up yes\n", "value is not a number (line 1"),
    "plain_text_error": ("Internal Server Error\n", "value is not a number (line 1"),
}


@pytest.mark.parametrize("case", sorted(GARBAGE))
def test_garbage_raises_one_line_saying_what_and_where(case):
    text, expected = GARBAGE[case]
    with pytest.raises(ExpositionError) as info:
        parse_exposition(text, source="s", ts=1.0)
    message = str(info.value)
    assert message.startswith("not Prometheus text exposition: ")
    assert expected in message
    assert "\n" not in message and len(message) < 300
    assert isinstance(info.value, ValueError)


def test_a_bad_line_deep_in_a_real_scrape_is_named_by_number():
    lines = LITELLM_TEXT.split("\n")
    lines[99] = 'litellm_bogus{model="gpt-4" 1'  # line 100
    with pytest.raises(ExpositionError, match=r"unterminated label set \(line 100: 'litellm_bogus"):
        parse_exposition("\n".join(lines), source="s", ts=1.0)


def test_a_scrape_cut_in_half_says_it_looks_truncated():
    body = LITELLM_TEXT[: len(LITELLM_TEXT) // 2 + 17]
    with pytest.raises(ExpositionError) as info:
        parse_exposition(body, source="s", ts=1.0)
    assert str(info.value).endswith("the body ends mid-line (truncated?)")


@pytest.mark.parametrize("fast_path", [True, False])
@pytest.mark.parametrize("body", [
    "x 1" + "0" * 400 + "\n",
    'x{a="b"} 1' + "0" * 400 + "\n",
    "# TYPE x gauge\nx 1" + "0" * 400 + "\n",
    "x 1 1" + "0" * 400 + "\n",
])
def test_an_integer_too_long_for_a_float_is_one_line_not_an_overflow(body, fast_path):
    with pytest.raises(ExpositionError) as raised:
        parse_exposition(body, source="gw", ts=1.0, fast_path=fast_path)
    message = str(raised.value)
    assert "\n" not in message and "too large" in message and "(line " in message


@pytest.mark.parametrize("fast_path", [True, False])
def test_a_scrape_reuses_the_key_objects_of_the_one_before(fast_path):
    """The poller keeps a minute of scrapes: equal series share one key object instead of one each."""
    first = parse_exposition(LITELLM_TEXT, source="gw", ts=100.0, fast_path=fast_path)
    known = {s.key: s.key for s in first}
    changed = LITELLM_TEXT.replace('requested_model="local-llm"', 'requested_model="local-llm-2"')
    second = parse_exposition(changed, source="gw", ts=105.0, fast_path=fast_path, known_keys=known)
    assert second == parse_exposition(changed, source="gw", ts=105.0, fast_path=fast_path)
    renamed = [s.key for s in second if s.key.label("requested_model") == "local-llm-2"]
    assert renamed and not any(key in known for key in renamed)
    kept = [s.key for s in second if s.key in known]
    assert len(kept) == len(second) - len(renamed) and all(key is known[key] for key in kept)
    # One copy of each label name and value however many series repeat it.
    strings: dict[str, str] = {}
    assert all(strings.setdefault(text, text) is text for s in second for pair in s.key.labels for text in pair)

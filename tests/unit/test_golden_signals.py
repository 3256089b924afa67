"""The golden pane's per-model judgement: which model its p95 and errors tiles point to."""

from __future__ import annotations

import math

from aiops_tui.signals.golden import Targets, build_view, worst_model

TARGETS = Targets(latency_p95_s=4.0, error_ratio=0.01)


def view(latest: dict[tuple[str, str], float]):
    return build_view(1_700_000_000.0, "gw", latest, TARGETS)


def test_the_tile_points_to_the_model_past_its_target_while_the_total_is_only_near_it() -> None:
    golden = view({
        ("requests_per_s", ""): 10.0, ("latency_p95_s", ""): 3.6,
        ("requests_per_s", "gpt-4o"): 3.0, ("latency_p95_s", "gpt-4o"): 4.8,
        ("requests_per_s", "haiku"): 5.0, ("latency_p95_s", "haiku"): 3.9,  # near, and the busiest
        ("requests_per_s", "mini"): 2.0, ("latency_p95_s", "mini"): 1.2,
    })
    assert golden.tiles["latency_p95_s"].status == "warn"
    model, reading = worst_model(golden.models, "latency_p95_s")
    assert (model, reading.value, reading.status) == ("gpt-4o", 4.8, "bad")


def test_past_the_target_comes_before_near_it_and_the_higher_value_before_the_lower() -> None:
    golden = view({
        ("requests_per_s", "a"): 1.0, ("error_ratio", "a"): 0.009,  # near 1 %, the highest near
        ("requests_per_s", "b"): 1.0, ("error_ratio", "b"): 0.012,
        ("requests_per_s", "c"): 1.0, ("error_ratio", "c"): 0.030,  # the furthest past
        ("requests_per_s", "d"): 1.0, ("error_ratio", "d"): 0.0085,
    })
    assert worst_model(golden.models, "error_ratio")[0] == "c"
    near_only = view({("requests_per_s", m): 1.0 for m in "ad"} | {("error_ratio", "a"): 0.0085, ("error_ratio", "d"): 0.009})
    model, reading = worst_model(near_only.models, "error_ratio")
    assert (model, reading.status) == ("d", "warn")


def test_no_pointer_when_every_model_is_on_target_or_there_is_one_model_or_no_reading() -> None:
    on_target = view({("requests_per_s", m): 1.0 for m in "ab"} | {("latency_p95_s", "a"): 1.0, ("latency_p95_s", "b"): 2.0})
    assert worst_model(on_target.models, "latency_p95_s") is None
    one_model = view({("requests_per_s", "a"): 1.0, ("latency_p95_s", "a"): 9.0})
    assert worst_model(one_model.models, "latency_p95_s") is None  # the tile already says it
    # A model without traffic has no p95 to judge ("no traffic"): it neither counts nor points.
    idle = view({("requests_per_s", "a"): 1.0, ("latency_p95_s", "a"): 9.0,
                 ("requests_per_s", "b"): 0.0, ("latency_p95_s", "b"): math.nan})
    assert worst_model(idle.models, "latency_p95_s") is None
    assert worst_model(view({}).models, "latency_p95_s") is None

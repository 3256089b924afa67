"""PromQL's counter and histogram math, done locally for direct mode (Prometheus down or absent).

`increase`, `rate` and `histogram_quantile` follow Prometheus's semantics (reset-aware counters,
linearly interpolated buckets) without its extrapolation to the window edges: over a window of
scrapes the rate here is the exact increase between the first and last scrape divided by the
time between them. Unlike Prometheus, a counter reset to below zero adds 0, so no rate is ever
negative. `signals_from_scrapes` applies a convention's recipes to two scrapes.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence

from aiops_tui.model import Sample, SeriesKey
from aiops_tui.sources import conventions
from aiops_tui.sources.conventions import Profile, Recipe, Selector

TOTAL = "*"
"""The group key of the total across all series (including those without a group label)."""

Points = Sequence[tuple[float, float]]
"""(ts, value) pairs of one series, oldest first."""

_NO_GROUP = frozenset({""})


# --- one series ---------------------------------------------------------------------------------

def increase(points: Points) -> float:
    """How much a counter grew over `points`: a drop is a reset, after which the new value counts
    from 0 (as Prometheus does); a reset to below zero (a broken exporter) adds 0, where Prometheus
    would subtract, so no increase or rate is ever negative. No extrapolation; NaN values are
    skipped; fewer than 2 points -> 0."""
    total = 0.0
    previous = None
    for _, value in points:
        if math.isnan(value):
            continue
        if previous is not None:
            total += value - previous if value >= previous else max(value, 0.0)
        previous = value
    return total


def rate(points: Points, window_s: float, *, end_ts: float | None = None) -> float:
    """Per-second rate over the points in (end - window_s, end] (`end` defaults to the last point).

    Divides by the time the points span, not by `window_s`: Prometheus would extrapolate the
    increase to the window; without extrapolation this is the unbiased figure. NaN with fewer
    than two points or no time between them.
    """
    if not points:
        return math.nan
    end = points[-1][0] if end_ts is None else end_ts
    inside = [(ts, v) for ts, v in points if end - window_s < ts <= end]
    if len(inside) < 2 or inside[-1][0] <= inside[0][0]:
        return math.nan
    return increase(inside) / (inside[-1][0] - inside[0][0])


def histogram_quantile(q: float, buckets: Iterable[tuple[float, float]]) -> float:
    """The q-quantile of cumulative buckets (upper bound `le`, count), exactly as Prometheus's
    classic-histogram `histogram_quantile`: sorted by `le`, equal bounds merged, counts forced
    monotonic, linear interpolation inside the bucket (from 0 below the lowest bucket when its
    bound is positive), the second-highest bound when the rank falls in +Inf. NaN with no
    observations, no +Inf bucket, fewer than two buckets or q NaN; q < 0 -> -Inf, q > 1 -> +Inf.
    """
    if math.isnan(q):
        return math.nan
    if q < 0:
        return -math.inf
    if q > 1:
        return math.inf
    ordered = sorted(buckets, key=lambda b: b[0])
    if not ordered or not math.isinf(ordered[-1][0]) or ordered[-1][0] < 0:
        return math.nan
    bounds: list[float] = []
    counts: list[float] = []
    for le, count in ordered:  # coalesce buckets with the same bound
        if bounds and bounds[-1] == le:
            counts[-1] += count
        else:
            bounds.append(le)
            counts.append(count)
    _correct_precision_errors(counts, 1e-12)
    for i in range(1, len(counts)):  # ensure monotonic: the envelope of the counts
        counts[i] = max(counts[i], counts[i - 1])
    if len(counts) < 2:
        return math.nan
    observations = counts[-1]
    if observations == 0:
        return math.nan
    rank = q * observations
    b = bisect_left(counts, rank, 0, len(counts) - 1)
    if b == len(counts) - 1:
        return bounds[-2]
    if b == 0 and bounds[0] <= 0:
        return bounds[0]
    start, end, count = 0.0, bounds[b], counts[b]
    if b > 0:
        start = bounds[b - 1]
        count -= counts[b - 1]
        rank -= counts[b - 1]
    if count == 0:
        return math.nan  # only when q == 0 and the lowest bucket is empty: Go's 0/0
    return start + (end - start) * (rank / count)


def _correct_precision_errors(counts: list[float], tolerance: float) -> None:
    # Prometheus treats relative differences below 1e-12 between neighbours as float noise.
    previous = counts[0]
    for i in range(1, len(counts)):
        current = counts[i]
        delta = abs(current - previous)
        if delta == 0:
            continue
        if current != 0 and delta / current <= tolerance:
            counts[i] = previous
        else:
            previous = current


# --- many series --------------------------------------------------------------------------------

def points_by_series(
    scrapes: Sequence[Iterable[Sample]], *, scrape_ts: Sequence[float | None] | None = None,
    new_series_from_zero: bool = True,
) -> dict[SeriesKey, list[tuple[float, float]]]:
    """Consecutive scrapes (oldest first) -> each series' points.

    A series that first appears after the first scrape was created between two scrapes (client
    libraries create labelled counters on first use), so it gets a 0 at the previous scrape's time:
    its first requests count. Prometheus would ignore them until the series' second sample; pass
    `new_series_from_zero=False` for that. `scrape_ts` gives each scrape's time when a scrape may
    hold none of the series (by default, the latest sample time in it).
    """
    out: dict[SeriesKey, list[tuple[float, float]]] = {}
    previous_ts: float | None = None
    for index, scrape in enumerate(scrapes):
        latest_ts = scrape_ts[index] if scrape_ts is not None else None
        for sample in scrape:
            series = out.get(sample.key)
            if series is None:
                series = out[sample.key] = []
                if new_series_from_zero and index > 0 and previous_ts is not None:
                    series.append((previous_ts, 0.0))
            series.append((sample.ts, sample.value))
            if scrape_ts is None:
                latest_ts = sample.ts if latest_ts is None else max(latest_ts, sample.ts)
        previous_ts = latest_ts
    return out


def increases(points: Mapping[SeriesKey, Points]) -> dict[SeriesKey, float]:
    """Each series' increase over its points (series with fewer than two points left out)."""
    return {key: increase(p) for key, p in points.items() if len(p) >= 2}


def rates(points: Mapping[SeriesKey, Points]) -> dict[SeriesKey, float]:
    """Each series' per-second rate between its first and last point (no time -> left out)."""
    return {key: increase(p) / (p[-1][0] - p[0][0]) for key, p in points.items() if len(p) >= 2 and p[-1][0] > p[0][0]}


def group_of(key: SeriesKey, labels: str | Sequence[str], missing: frozenset[str] = _NO_GROUP) -> str | None:
    """The first of `labels` the series carries with a real value, or None."""
    for name in (labels,) if isinstance(labels, str) else labels:
        value = key.label(name)
        if value not in missing:
            return value
    return None


def sum_by(
    values: Mapping[SeriesKey, float], label: str | Sequence[str] = "model", *, missing: frozenset[str] = _NO_GROUP,
) -> dict[str, float]:
    """`sum by (label)` plus the total under "*"; a series without the label counts in the total only."""
    out: dict[str, float] = defaultdict(float)
    for key, value in values.items():
        if math.isnan(value):
            continue
        out[TOTAL] += value
        group = group_of(key, label, missing)
        if group is not None:
            out[group] += value
    return dict(out)


def rates_by(
    samples_by_series: Mapping[SeriesKey, Points], label: str | Sequence[str] = "model",
    *, missing: frozenset[str] = _NO_GROUP,
) -> dict[str, float]:
    """`sum by (label) (rate(...))` over the series' points, plus the total under "*"."""
    return sum_by(rates(samples_by_series), label, missing=missing)


def quantile_by(
    q: float, bucket_increases: Mapping[SeriesKey, float], label: str | Sequence[str] = "model",
    *, missing: frozenset[str] = _NO_GROUP, scale: float = 1.0,
) -> dict[str, float]:
    """`histogram_quantile(q, sum by (le, label) (...))` from each `_bucket` series' increase,
    plus "*" from all buckets summed; NaN for a group with no observations."""
    by_group: dict[str, dict[float, float]] = defaultdict(lambda: defaultdict(float))
    for key, value in bucket_increases.items():
        le_text = key.label("le")
        if not le_text or math.isnan(value):
            continue
        le = float(le_text)
        by_group[TOTAL][le] += value
        group = group_of(key, label, missing)
        if group is not None:
            by_group[group][le] += value
    return {group: histogram_quantile(q, buckets.items()) * scale for group, buckets in by_group.items()}


# --- a convention's signals from two scrapes ----------------------------------------------------

def signals_from_scrapes(prev: Sequence[Sample], cur: Sequence[Sample], profile: str) -> dict[str, dict[str, float]]:
    """Every signal the profile provides, per group and "*" (total), from two consecutive scrapes.

    `profile` "*" (or "auto", "") detects the profiles from `cur`'s metric names and takes each
    signal from the first that provides it. Groups are models, or upstreams for breaker signals
    (those have no "*"). Rates are per second over the time between the scrapes; a ratio or
    quantile with no traffic is NaN ("no traffic"); a signal whose series are absent is left out.
    The scrapes may be of several sources (every gateway's, for the fleet): each series is rated over
    its own source's two scrapes and the groups are summed across sources, as `sum by` over targets.
    """
    profiles = conventions.detect_profiles({s.key.name for s in cur}) if profile in ("*", "auto", "") else [profile]
    wanted = {m for name in profiles if name in conventions.PROFILES for r in conventions.PROFILES[name].recipes.values() for m in r.metrics()}
    prev_by_name = _by_name(prev, wanted)
    cur_by_name = _by_name(cur, wanted)
    # Per source: the scrapes of several gateways (the fleet's signals) were taken at different times.
    prev_ts: dict[str, float] = {}
    for s in prev:
        prev_ts[s.key.source] = max(prev_ts.get(s.key.source, s.ts), s.ts)
    out: dict[str, dict[str, float]] = {}
    for signal in conventions.signals_of(profiles):
        prof, recipe = conventions.recipe_for(signal, profiles)  # type: ignore[misc]
        if recipe.kind == "counter":  # a scrape stores the counter itself: the store reads its increase
            continue
        result = _evaluate(recipe, prof, prev_by_name, cur_by_name, prev_ts)
        if result is not None:
            out[signal] = result
    return out


def _by_name(samples: Iterable[Sample], wanted: set[str]) -> dict[str, list[Sample]]:
    out: dict[str, list[Sample]] = defaultdict(list)
    for s in samples:
        if s.key.name in wanted:
            out[s.key.name].append(s)
    return out


def _by_source(samples: Iterable[Sample]) -> dict[str, list[Sample]]:
    out: dict[str, list[Sample]] = defaultdict(list)
    for s in samples:
        out[s.key.source].append(s)
    return out


def _select(samples: Mapping[str, list[Sample]], selector: Selector) -> list[Sample]:
    """`samples` by name (`_by_name`): a selector without label matchers takes the metric's list as it is."""
    candidates = samples.get(selector.metric, [])
    if not selector.matchers:
        return candidates
    return [s for s in candidates if selector.matches(s.key.name, dict(s.key.labels))]


def _evaluate(
    recipe: Recipe, profile: Profile, prev: Mapping[str, list[Sample]], cur: Mapping[str, list[Sample]],
    prev_ts: Mapping[str, float],
) -> dict[str, float] | None:
    missing = profile.missing_values

    def points(selector: Selector) -> dict[SeriesKey, list[tuple[float, float]]] | None:
        now = _select(cur, selector)
        if len(prev_ts) == 1:  # one gateway's two scrapes: no need to split them by source
            (source, ts), = prev_ts.items()
            return points_by_series([_select(prev, selector), now], scrape_ts=[ts, None]) if now else None
        out: dict[SeriesKey, list[tuple[float, float]]] = {}
        before = _by_source(_select(prev, selector))
        for source, part in _by_source(now).items():
            if source in prev_ts:
                out.update(points_by_series([before.get(source, []), part], scrape_ts=[prev_ts[source], None]))
        return out or None

    if recipe.kind in ("rate", "ratio"):
        num = points(recipe.series)
        num_by = rates_by(num, recipe.labels_for(recipe.series), missing=missing) if num is not None else None
        if recipe.kind == "rate":
            return None if num_by is None else _finish(num_by, recipe)
        assert recipe.denominator is not None
        den = points(recipe.denominator)
        if den is None or (num_by is None and not recipe.fill_zero):
            return None
        den_by = rates_by(den, recipe.labels_for(recipe.denominator), missing=missing)
        den_by.setdefault(TOTAL, 0.0)
        num_by = num_by or {}
        ratios = {
            group: (num_by.get(group, 0.0) / d if d > 0 else math.nan)
            for group, d in den_by.items()
            if recipe.fill_zero or group in num_by
        }
        return _finish(ratios, recipe)
    if recipe.kind == "quantile":
        buckets = points(recipe.series)
        if buckets is None:
            return None
        found = quantile_by(recipe.quantile, increases(buckets), recipe.group_labels, missing=missing, scale=recipe.scale)
        return _drop_total(found, recipe)
    # gauges and one-hot states: the current scrape only
    current = _select(cur, recipe.series)
    if not current:
        return None
    values: dict[SeriesKey, float] = {}
    for s in current:
        value = _state_level(s, recipe) if recipe.kind == "state" else s.value
        if value is None or math.isnan(value) or (recipe.min_value is not None and value < recipe.min_value):
            continue
        values[s.key] = value
    grouped = sum_by(values, recipe.group_labels, missing=missing) if recipe.agg == "sum" else _max_by(values, recipe.group_labels, missing)
    if not grouped:
        return None
    return _finish(grouped, recipe)


def _state_level(sample: Sample, recipe: Recipe) -> float | None:
    if sample.value != 1:
        return None
    state = sample.key.label(recipe.state_label)
    return next((level for name, level in recipe.states if name == state), None)


def _max_by(values: Mapping[SeriesKey, float], labels: Sequence[str], missing: frozenset[str]) -> dict[str, float]:
    out: dict[str, float] = {}
    for key, value in values.items():
        for group in (TOTAL, group_of(key, labels, missing)):
            if group is not None:
                out[group] = max(out.get(group, -math.inf), value)
    return out


def _finish(values: dict[str, float], recipe: Recipe) -> dict[str, float] | None:
    if recipe.clamp_max is not None:
        values = {g: min(v, recipe.clamp_max) for g, v in values.items()}
    if recipe.scale != 1.0 and recipe.kind != "quantile":
        values = {g: v * recipe.scale for g, v in values.items()}
    return _drop_total(values, recipe)


def _drop_total(values: dict[str, float], recipe: Recipe) -> dict[str, float] | None:
    # A breaker is per upstream; "all upstreams" is not a breaker.
    if recipe.key == "upstream":
        values = {g: v for g, v in values.items() if g != TOTAL}
    return values or None

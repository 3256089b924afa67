"""PromQL's counter and histogram math, done locally for direct mode (Prometheus down or absent).

`increase`, `rate` and `histogram_quantile` follow Prometheus's semantics (reset-aware counters,
linearly interpolated buckets) without its extrapolation to the window edges: over a window of
scrapes the rate here is the exact increase between the first and last scrape divided by the
time between them. Unlike Prometheus, a counter reset to below zero adds 0, so no rate is ever
negative. `signals_from_scrapes` applies a convention's recipes to two scrapes.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
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
    new_series_from_zero: bool = True, zero_at: Mapping[str, float] | None = None,
) -> dict[SeriesKey, list[tuple[float, float]]]:
    """Consecutive scrapes (oldest first) -> each series' points.

    A series that first appears after the first scrape was created between two scrapes (client
    libraries create labelled counters on first use), so it gets a 0 at the previous scrape's time:
    its first requests count. Prometheus would ignore them until the series' second sample; pass
    `new_series_from_zero=False` for that. `scrape_ts` gives each scrape's time when a scrape may
    hold none of the series (by default, the latest sample time in it). `zero_at`: for scrapes of
    several sources taken at different times (two scrapes each), each source's previous scrape time,
    where its new series get their 0; a series of a source not in it has no previous scrape.
    """
    out: dict[SeriesKey, list[tuple[float, float]]] = {}
    previous_ts: float | None = None
    for index, scrape in enumerate(scrapes):
        latest_ts = scrape_ts[index] if scrape_ts is not None else None
        for sample in scrape:
            series = out.get(sample.key)
            if series is None:
                series = out[sample.key] = []
                if new_series_from_zero and index > 0:
                    zero_ts = previous_ts if zero_at is None else zero_at.get(sample.key.source)
                    if zero_ts is not None:
                        series.append((zero_ts, 0.0))
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
    by_group = buckets_by(bucket_increases, label, missing=missing)
    return {group: histogram_quantile(q, buckets.items()) * scale for group, buckets in by_group.items()}


def buckets_by(
    bucket_increases: Mapping[SeriesKey, float], label: str | Sequence[str] = "model",
    *, missing: frozenset[str] = _NO_GROUP, scale: float = 1.0,
) -> dict[str, dict[float, float]]:
    """`sum by (le, label) (...)` of each `_bucket` series' increase, plus "*" from all buckets summed;
    each bound times `scale`."""
    by_group: dict[str, dict[float, float]] = defaultdict(lambda: defaultdict(float))
    for key, value in bucket_increases.items():
        le_text = key.label("le")
        if not le_text or math.isnan(value):
            continue
        le = float(le_text) * scale
        by_group[TOTAL][le] += value
        group = group_of(key, label, missing)
        if group is not None:
            by_group[group][le] += value
    return by_group


# --- a convention's signals from two scrapes ----------------------------------------------------

def signals_from_scrapes(prev: Sequence[Sample], cur: Sequence[Sample], profile: str) -> dict[str, dict[str, float]]:
    """Every signal the profile provides, per group and "*" (total), from two consecutive scrapes.

    `profile` "*" (or "auto", "") detects the profiles from `cur`'s metric names and takes each
    signal from the first that provides it. Groups are models, or upstreams for breaker signals
    (those have no "*"). Rates are per second over the time between the scrapes; a ratio or
    quantile with no traffic is NaN ("no traffic"); a signal whose series are absent is left out.
    The scrapes may be of several sources (every gateway's, for the fleet): each series is rated over
    its own source's two scrapes and the groups are summed across sources, as `sum by` over targets.
    Sources of different conventions are each read in their own, and their sums added up before the
    last division (a LiteLLM gateway's requests and an OTel GenAI one's count alike).
    """
    if profile in ("*", "auto", ""):
        by_names: dict[frozenset[str], set[str]] = defaultdict(set)
        for source, names in _names_by_source(cur).items():
            by_names[frozenset(names)].add(source)
        by_profiles: dict[tuple[str, ...], set[str]] = defaultdict(set)
        for names, sources in by_names.items():  # gateways alike expose the same names: detected once
            by_profiles[tuple(conventions.detect_profiles(names))] |= sources
    else:
        by_profiles = {(profile,): set()}
    if len(by_profiles) <= 1:
        parts = [_Part(list(next(iter(by_profiles), ())), prev, cur)]
    else:
        parts = [_Part(list(profiles), [s for s in prev if s.key.source in sources],
                       [s for s in cur if s.key.source in sources]) for profiles, sources in by_profiles.items()]
    out: dict[str, dict[str, float]] = {}
    for signal in conventions.signals_of([name for part in parts for name in part.profiles]):
        found = [(part, conventions.recipe_for(signal, part.profiles)) for part in parts]
        found = [(part, pair) for part, pair in found if pair is not None]
        recipe = found[0][1][1]
        if recipe.kind == "counter":  # a scrape stores the counter itself: the store reads its increase
            continue
        partials = [_partial(rec, prof, part.prev, part.cur, part.prev_ts)
                    for part, (prof, rec) in found if rec.kind == recipe.kind]
        result = _complete(recipe, _combine(recipe, [p for p in partials if p is not None]))
        if result is not None:
            out[signal] = result
    return out


class _Part:
    """The scrapes of the sources of one set of conventions, by metric name, and each source's previous time."""

    def __init__(self, profiles: list[str], prev: Sequence[Sample], cur: Sequence[Sample]) -> None:
        self.profiles = profiles
        wanted = {m for name in profiles if name in conventions.PROFILES
                  for r in conventions.PROFILES[name].recipes.values() for m in r.metrics()}
        self.prev, self.cur = _by_name(prev, wanted), _by_name(cur, wanted)
        # Per source: the scrapes of several gateways (the fleet's signals) were taken at different times.
        self.prev_ts: dict[str, float] = {}
        for source, ts in {(s.key.source, s.ts) for s in prev}:  # a few pairs: each scrape has one time
            self.prev_ts[source] = max(ts, self.prev_ts.get(source, ts))


def _names_by_source(samples: Iterable[Sample]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = defaultdict(set)
    for source, name in {(s.key.source, s.key.name) for s in samples}:
        out[source].add(name)
    return out


def _by_name(samples: Iterable[Sample], wanted: set[str]) -> dict[str, list[Sample]]:
    out: dict[str, list[Sample]] = defaultdict(list)
    for s in samples:
        if s.key.name in wanted:
            out[s.key.name].append(s)
    return out


def _select(samples: Mapping[str, list[Sample]], selector: Selector) -> list[Sample]:
    """`samples` by name (`_by_name`): a selector without label matchers takes the metric's list as it is."""
    candidates = samples.get(selector.metric, [])
    if not selector.matchers:
        return candidates
    return [s for s in candidates if selector.matches(s.key.name, dict(s.key.labels))]


def _partial(
    recipe: Recipe, profile: Profile, prev: Mapping[str, list[Sample]], cur: Mapping[str, list[Sample]],
    prev_ts: Mapping[str, float],
):
    """What `recipe`'s result is made of before its last division, as sums that add up across sources:
    rates by group; a ratio's numerator and denominator rates; a quantile's buckets; gauges grouped.
    None when its series are absent."""
    missing = profile.missing_values

    def points(selector: Selector) -> dict[SeriesKey, list[tuple[float, float]]] | None:
        now = _select(cur, selector)
        if not now or not prev_ts:
            return None
        return points_by_series([_select(prev, selector), now], zero_at=prev_ts) or None

    if recipe.kind in ("rate", "ratio"):
        num = points(recipe.series)
        num_by = rates_by(num, recipe.labels_for(recipe.series), missing=missing) if num is not None else None
        if recipe.kind == "rate":
            return num_by
        assert recipe.denominator is not None
        den = points(recipe.denominator)
        if den is None or (num_by is None and not recipe.fill_zero):
            return None
        den_by = rates_by(den, recipe.labels_for(recipe.denominator), missing=missing)
        den_by.setdefault(TOTAL, 0.0)
        return num_by or {}, den_by
    if recipe.kind == "quantile":
        buckets = points(recipe.series)
        if buckets is None:
            return None
        return buckets_by(increases(buckets), recipe.group_labels, missing=missing, scale=recipe.scale)
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
    return grouped or None


def _combine(recipe: Recipe, partials: list):
    """Partials of one signal from sources of different conventions, as one: sums added, maxima taken."""
    if len(partials) <= 1:
        return partials[0] if partials else None
    if recipe.kind == "ratio":
        return _added([num for num, _ in partials]), _added([den for _, den in partials])
    if recipe.kind == "quantile":
        groups = {group for by_group in partials for group in by_group}
        return {group: merged_histogram([p[group] for p in partials if group in p]) for group in groups}
    if recipe.kind in ("gauge", "state") and recipe.agg != "sum":
        return {group: max(p[group] for p in partials if group in p) for group in set().union(*partials)}
    return _added(partials)


def merged_histogram(histograms: list[Mapping[float, float]]) -> dict[float, float]:
    """Cumulative histograms summed. Of different bucket bounds (two conventions), each is first read at
    every bound of the others, linearly within its buckets as `histogram_quantile` reads it: summed bound
    by bound as they are, a count would be missing wherever one histogram has no bucket."""
    bounds = sorted({le for histogram in histograms for le in histogram})
    if all(len(histogram) == len(bounds) for histogram in histograms):
        return {le: sum(histogram[le] for histogram in histograms) for le in bounds}
    merged = dict.fromkeys(bounds, 0.0)
    for histogram in histograms:
        own = sorted(histogram)
        for le in bounds:
            merged[le] += _cumulative_at(histogram, le, own)
    return merged


def _cumulative_at(histogram: Mapping[float, float], x: float, bounds: Sequence[float]) -> float:
    """A cumulative histogram's count at `x` (`bounds`: its own, sorted): interpolated within the bucket
    holding it (from 0 below the first positive bound); past the last finite bound, the count there (what
    lies beyond is not known)."""
    if x in histogram:
        return histogram[x]
    above = bisect_right(bounds, x)  # the first bound past x
    lower, below = (max(bounds[above - 1], 0.0), histogram[bounds[above - 1]]) if above else (0.0, 0.0)
    if above == len(bounds) or math.isinf(bounds[above]):
        return below
    le = bounds[above]
    return below + (histogram[le] - below) * (x - lower) / (le - lower) if le > lower else below


def _added(parts: list[Mapping[str, float]]) -> dict[str, float]:
    out: dict[str, float] = defaultdict(float)
    for part in parts:
        for group, value in part.items():
            out[group] += value
    return dict(out)


def _complete(recipe: Recipe, partial) -> dict[str, float] | None:
    """The signal from its partial: the ratio divided, the quantile read from the buckets."""
    if partial is None:
        return None
    if recipe.kind == "ratio":
        num_by, den_by = partial
        ratios = {
            group: (num_by.get(group, 0.0) / d if d > 0 else math.nan)
            for group, d in den_by.items()
            if recipe.fill_zero or group in num_by
        }
        return _finish(ratios, recipe)
    if recipe.kind == "quantile":
        found = {group: histogram_quantile(recipe.quantile, buckets.items()) for group, buckets in partial.items()}
        return _drop_total(found, recipe)
    return _finish(partial, recipe)


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

"""Runs every source on its own interval, keeps their health, derives direct-mode signals, writes cycles.

One cycle = the sources that were due, polled together, then one store transaction. A failing
source backs off exponentially (with jitter) and never delays the others.
"""

from __future__ import annotations

import asyncio
import math
import random
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from aiops_tui.errors import first_line
from aiops_tui.model import (
    BREAKER_SINCE_SIGNAL, BREAKER_STATES, FLEET_SOURCE, Alert, Batch, Event, Labels, Sample, SeriesKey, make_labels,
)
from aiops_tui.sources.base import Source
from aiops_tui.sources.conventions import group_label

DIRECT_WINDOW_S = 60.0
"""Direct-mode rates and quantiles are taken over this much scrape history (like `rate(x[1m])`)."""
MAX_BACKOFF_FACTOR = 12
FILL_POINTS = 240
"""A gap in the history is read from Prometheus in about this many steps, never finer than the source is
polled: an hour at 15 s, four points to each minute a chart draws."""
FILL_STEPS_S = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600)
"""The steps a gap is read at: round ones, so that steps fall on the minute as a chart's buckets do."""
FILL_TIERS_S = (3600.0, 6 * 3600.0, 24 * 3600.0)
"""A long gap is read in tiers, each at the step of the chart window (`w`) that draws it: the last hour at an
hour's step (15 s), the rest of the last 6 h at 6 h's (120 s), what is older at a day's (600 s). At an hour's
step a day would be 5,760 steps; at a day's, the last hour would be six points."""
COUNTER_SUFFIXES = ("_total", "_count", "_sum", "_bucket")
"""Sample names that are counters (or histogram parts) in the Prometheus and OpenMetrics formats."""


@dataclass(slots=True)
class SourceStatus:
    """What the status bar shows for one source."""

    name: str
    kind: str  # "prometheus" | "gateway"
    interval_s: float
    stale_after: int
    last_ok_ts: float | None = None
    last_poll_ts: float | None = None
    last_error: str | None = None
    """Why the last poll failed, in one line, without the source's name: every line that shows it names
    the source already (the status line, `aiops-tui record`, the incident timeline)."""
    failures: int = 0
    next_due: float = 0.0
    profiles: list[str] = field(default_factory=list)
    reported: str | None = None  # "up" | "down": what the last source event said
    filling: bool = False
    """Reading the gap before the first poll (`Poller.fill_from`)."""
    filled: str | None = None
    """What filling the gap wrote, e.g. "the 60 min before the start (240 steps of 15 s)"."""
    fill_error: str | None = None
    """Why the gap was not filled, in one line."""
    reads_low: str | None = None
    """Why its rates read low at its last poll (`PrometheusSource.reads_low`), in one line, else None."""

    def state(self, now: float) -> str:
        """ok | stale | down | filling (reading the gap before its first poll) | waiting (never polled yet)."""
        if self.last_ok_ts is None:
            return "down" if self.failures else "filling" if self.filling else "waiting"
        if self.failures >= self.stale_after:
            return "down"
        if self.failures == 0 and now - self.last_ok_ts <= self.stale_after * self.interval_s:
            return "ok"
        return "stale"

    def age_s(self, now: float) -> float | None:
        return None if self.last_ok_ts is None else max(0.0, now - self.last_ok_ts)


def _without_breakers(signals: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
    return {signal: by_group for signal, by_group in signals.items() if not signal.startswith("breaker_")}


def _signal_samples(source: str, ts: float, signals: Mapping[str, Mapping[str, float]]) -> list[Sample]:
    """Derived signals as `signal:*` samples: the total unlabelled, each group under its label."""
    out = []
    for signal, by_group in signals.items():
        label = group_label(signal)
        for group, value in by_group.items():
            labels = make_labels({label: group}) if group != "*" else ()
            out.append(Sample(SeriesKey(source, f"signal:{signal}", labels), ts, value))
    return out


def _state_key(labels: Labels) -> str:
    return dict(labels).get("upstream", "")


def _state_name(value: float) -> str:
    """A `signal:breaker_state` value as its state; anything out of range reads as closed."""
    return BREAKER_STATES[int(value)] if 0 <= value < len(BREAKER_STATES) else BREAKER_STATES[0]


class Poller:
    """Owns the sources, their status, the current alerts, and the write of each cycle."""

    def __init__(
        self,
        sources: Sequence[Source],
        write: Callable[[list[Batch]], Awaitable[None] | None],
        *,
        stale_after: int = 3,
        clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
        derive: Callable[[list[Sample], list[Sample], str], dict[str, dict[str, float]]] | None = None,
    ) -> None:
        self._write = write
        self.clock = clock
        self.rng = rng or random.Random()
        self.paused = False
        self.cycles = 0
        self.alerts: list[Alert] = []
        self._alerts_from_series = False
        """The alerts held were read from Prometheus's ALERTS series (by the fill), which may carry labels its
        /api/v1/alerts leaves out: the next alerts reported are matched to them by `_same_alerts`."""
        self.write_error: str | None = None
        """Why the last cycle was not written whole (disk full, a clock stepped back), as its writer
        said it in one line; None when it was. The writer sets it: the poller only carries it."""
        self._stale_after = stale_after
        self._derive = derive
        self._wake = asyncio.Event()
        self._scrapes: dict[str, deque[tuple[float, list[Sample]]]] = {}
        self._last_counter_keys: dict[str, tuple[float, set[SeriesKey]]] = {}
        self._breakers: dict[tuple[str, str], tuple[str, float]] = {}
        """(source, upstream) -> its state as last read, and when (by a poller before this one, for those
        `start_breakers_from` seeded)."""
        self.fill_from: float | None = None
        """Where the history's gap starts: before the first cycle, each source that can read the past
        (Prometheus's range queries) fills it up to now (`fill_gaps`)."""
        self.sources: list[Source] = []
        self.status: dict[str, SourceStatus] = {}
        for source in sources:
            self.add_source(source)

    def add_source(self, source: Source) -> None:
        """Start polling one more source (the demo adds its gateway once the sim is serving)."""
        self.sources.append(source)
        kind = getattr(source, "kind", None) or ("prometheus" if source.name == "prometheus" else "gateway")
        self.status[source.name] = SourceStatus(source.name, kind, source.interval_s, self._stale_after)
        self._wake.set()

    def start_window_from(self, source: str, ts: float, samples: list[Sample]) -> None:
        """Open `source`'s rate window with a scrape taken before this poller started: its raw samples,
        no `signal:*` (as `History.last_scrape` reads them). Its first scrape here then has rates, as the
        second would otherwise be the first."""
        self._scrapes[source] = deque([(ts, samples)], maxlen=64)

    def start_breakers_from(self, states: Mapping[tuple[str, str], tuple[float, float]]) -> None:
        """Each breaker's state as last read before this poller started, and when, by (source, upstream): its
        first reading here is a transition only if the state differs, timed as if this poller had made that
        reading. Without it, a cockpit restarted while a breaker was open recorded it opening again, from
        nowhere, at the restart."""
        for key, (value, read_at) in states.items():
            self._breakers.setdefault(key, (_state_name(value), read_at))

    # -- control -------------------------------------------------------------------------------
    def pause(self) -> None:
        self.paused = True

    def resume(self) -> None:
        self.paused = False
        self._wake.set()

    def refresh_now(self) -> None:
        for status in self.status.values():
            status.next_due = 0.0
        self._wake.set()

    def set_interval(self, interval_s: float, name: str | None = None) -> None:
        for source in self.sources:
            if name is None or source.name == name:
                source.interval_s = interval_s
                self.status[source.name].interval_s = interval_s
                self.status[source.name].next_due = min(self.status[source.name].next_due, self.clock() + interval_s)
        self._wake.set()

    @property
    def direct(self) -> bool:
        """True when Prometheus is configured but down, so the panes run on direct gateway scrapes."""
        prom = self.status.get("prometheus")
        return prom is not None and prom.state(self.clock()) in ("down", "stale")

    @property
    def prometheus_reads_low(self) -> bool:
        """True when Prometheus answers but holds its traffic counters for less than its rate window: the
        panes read the gateways' own scrapes meanwhile, where there are any."""
        prom = self.status.get("prometheus")
        return prom is not None and prom.reads_low is not None and prom.state(self.clock()) == "ok"

    # -- the loop ------------------------------------------------------------------------------
    async def run(self, stop: asyncio.Event | None = None) -> None:
        stop = stop or asyncio.Event()
        await self.fill_gaps()
        while not stop.is_set():
            if not self.paused:
                await self.run_cycle()
            self._wake.clear()
            delay = self.seconds_to_next_due()
            try:
                # Wake at least every second, so a clock stepped back never strands a source.
                await asyncio.wait_for(self._wake.wait(), timeout=min(1.0, max(0.05, delay)))
            except asyncio.TimeoutError:
                pass

    def seconds_to_next_due(self) -> float:
        if not self.status:
            return 1.0
        return max(0.0, min(s.next_due for s in self.status.values()) - self.clock())

    async def run_cycle(self) -> list[Batch]:
        """Poll the sources that are due, derive, and write one transaction. Returns the batches."""
        now = self.clock()
        due = [s for s in self.sources if self._is_due(self.status[s.name], now)]
        if not due:
            return []
        batches = list(await asyncio.gather(*(source.poll() for source in due)))
        events: list[Event] = []
        for source, batch in zip(due, batches):
            events.extend(self._account(source, batch))
            self._mark_new_counters(batch)
        # In a thread: with fifty gateways this is ~0.1 s of Python that would otherwise hold the event loop.
        derived = await asyncio.to_thread(self._derive_direct, batches)
        events.extend(self._breaker_events(batches, derived))
        events.extend(self._alert_events(batches))
        if derived.samples or events:
            derived.events.extend(events)
            batches.append(derived)
        result = self._write(batches)
        if asyncio.iscoroutine(result):
            await result
        self.cycles += 1
        return batches

    async def fill_gaps(self) -> None:
        """Once, before the first cycle: the sources that can read the past fill the history from `fill_from`
        to now, step by step, written as one cycle (breakers' transitions and alerts firing and resolved
        included), so the charts, the burn rates and the timeline have the hour before the cockpit started.
        A source that cannot is polled as usual."""
        since, self.fill_from = self.fill_from, None
        if since is None:
            return
        for source in self.sources:
            past = getattr(source, "past", None)
            if past is None:
                continue
            spans = fill_spans(since, self.clock(), source.interval_s)
            if not spans:
                continue  # a step or less: the first poll is as good
            status = self.status[source.name]
            status.filling = True
            try:
                batches, older_unread = await past(spans)
            except Exception as exc:  # noqa: BLE001 — sources raise SourceError; anything else is said the same way
                status.fill_error = first_line(exc) or type(exc).__name__
                continue
            finally:
                status.filling = False
            if not batches:
                continue
            events = []
            for batch in batches:  # in time order, as polls then would have seen them change
                events += self._breaker_events([batch], Batch("derived", batch.ts)) + self._alert_events([batch])
            batches.append(Batch("derived", batches[-1].ts, [], events))
            self._alerts_from_series = True
            result = self._write(batches)
            if asyncio.iscoroutine(result):
                await result
            self.cycles += 1
            if self.write_error:  # read, but not written (a full disk): the writer said why
                status.fill_error = self.write_error
                continue
            status.filled = _filled(since, spans, [batch.ts for batch in batches[:-1]], older_unread)

    @staticmethod
    def _is_due(status: SourceStatus, now: float) -> bool:
        # A clock stepped back (NTP) would otherwise leave next_due far in the future.
        stepped_back = status.last_poll_ts is not None and now < status.last_poll_ts
        return status.next_due <= now or stepped_back

    # -- bookkeeping ---------------------------------------------------------------------------
    def _account(self, source: Source, batch: Batch) -> list[Event]:
        status = self.status[source.name]
        status.last_poll_ts = batch.ts
        if batch.ok:
            status.failures = 0
            status.last_error = None
            status.last_ok_ts = batch.ts
            status.next_due = batch.ts + source.interval_s
            status.profiles = list(getattr(source, "profiles", []) or [])
            status.reads_low = getattr(source, "reads_low", None)
        else:
            status.failures += 1
            status.last_error = batch.error
            factor = min(2 ** (status.failures - 1), MAX_BACKOFF_FACTOR)
            status.next_due = batch.ts + source.interval_s * factor * self.rng.uniform(0.8, 1.2)
        reported = "down" if status.state(batch.ts) == "down" else "up" if batch.ok else status.reported
        if reported == status.reported:
            return []
        event = Event(batch.ts, "source", source.name, status.reported, reported, {"error": batch.error} if batch.error else {})
        status.reported = reported
        return [event]

    def _mark_new_counters(self, batch: Batch) -> None:
        """A counter first seen after a previous scrape of its source was 0 then: store that zero.

        Without it, everything a new series (a new model, team or status code) counted before its
        first scrape would be lost from increases and cost, which step from sample to sample.
        """
        if not batch.ok or batch.source == "prometheus":
            return
        keys = {s.key for s in batch.samples if s.key.name.endswith(COUNTER_SUFFIXES)}
        previous = self._last_counter_keys.get(batch.source)
        self._last_counter_keys[batch.source] = (batch.ts, keys)
        if previous is None or previous[0] >= batch.ts:
            return
        prev_ts, prev_keys = previous
        batch.samples.extend(Sample(key, prev_ts, 0.0) for key in keys - prev_keys)

    def _derive_direct(self, batches: Iterable[Batch]) -> Batch:
        """Golden and cost signals computed from each gateway's own scrapes (`signal:*` series), and with
        more than one gateway, from all of them together (`FLEET_SOURCE`)."""
        out = Batch("derived", self.clock())
        if self._derive is None:
            return out
        scraped = False
        for batch in batches:
            if not batch.ok or batch.source == "prometheus" or not batch.samples:
                continue
            window = self._scrapes.setdefault(batch.source, deque(maxlen=64))
            if window and batch.ts <= window[-1][0]:
                window.clear()  # the clock stepped back: start the window afresh rather than divide by <= 0
            # Only this scrape's own samples: not the status signals, not the zeros of new counters.
            window.append((batch.ts, [s for s in batch.samples if s.ts == batch.ts and not s.key.name.startswith("signal:")]))
            while len(window) > 2 and batch.ts - window[1][0] >= DIRECT_WINDOW_S:
                window.popleft()
            scraped = True
            if len(window) < 2:
                continue
            signals = self._derive(window[0][1], window[-1][1], "*")
            if any(s.key.name == "signal:breaker_state" for s in batch.samples):
                # The gateway's status JSON names its breakers exactly; metric-derived guesses would repeat them.
                signals = _without_breakers(signals)
            out.samples.extend(_signal_samples(batch.source, batch.ts, signals))
        gateways = [name for name, status in self.status.items() if status.kind == "gateway"]
        if scraped and len(gateways) > 1:
            out.samples.extend(self._fleet_signals(gateways))
        return out

    def _fleet_signals(self, gateways: Sequence[str]) -> list[Sample]:
        """Every gateway polled fine together, each over its own last minute of scrapes: a gateway down or
        stale is left out (its last rates are not current), as a target that stopped answering drops out of
        Prometheus's sums. Breakers stay per gateway: each keeps its own."""
        now = self.clock()
        windows = [self._scrapes[name] for name in gateways
                   if len(self._scrapes.get(name, ())) >= 2 and self.status[name].state(now) == "ok"]
        if not windows:
            return []
        prev = [sample for window in windows for sample in window[0][1]]
        cur = [sample for window in windows for sample in window[-1][1]]
        ts = max(window[-1][0] for window in windows)
        return _signal_samples(FLEET_SOURCE, ts, _without_breakers(self._derive(prev, cur, "*")))

    def _breaker_events(self, batches: Iterable[Batch], derived: Batch) -> list[Event]:
        """A transition for each breaker whose state differs from the one read before. It is timed by the
        source's own `since` where that falls between the two readings (the breaker's table row and its
        transitions then agree), else by this reading: a source clock off by more than a poll is not believed."""
        samples = [sample for batch in [*batches, derived] for sample in batch.samples]
        since = {(s.key.source, _state_key(s.key.labels)): s.value
                 for s in samples if s.key.name == BREAKER_SINCE_SIGNAL}
        events = []
        for sample in samples:
            if sample.key.name != "signal:breaker_state":
                continue
            state = _state_name(sample.value)
            upstream = _state_key(sample.key.labels)
            key = (sample.key.source, upstream)
            previous, read_at = self._breakers.get(key, (None, None))
            self._breakers[key] = (state, sample.ts)
            if previous != state and not (previous is None and state == "closed"):
                changed_at = since.get(key)
                believed = previous is not None and changed_at is not None and read_at < changed_at <= sample.ts
                ts = changed_at if believed else sample.ts
                events.append(Event(ts, "breaker", upstream, previous, state, {"source": sample.key.source}))
        return events

    def _alert_events(self, batches: Iterable[Batch]) -> list[Event]:
        events = []
        for batch in batches:
            if batch.alerts is None:
                continue
            before = {a.identity: a for a in self.alerts if a.state == "firing"}
            now = {a.identity: a for a in batch.alerts if a.state == "firing"}
            if self._alerts_from_series:
                before, self._alerts_from_series = _same_alerts(before, now), False
            # In the order the source reported them (a set difference would order them by hash, anew each run).
            for a in (a for identity, a in now.items() if identity not in before):
                events.append(Event(batch.ts, "alert", a.name, "inactive", "firing", _alert_detail(a, batch.source)))
            for a in (a for identity, a in before.items() if identity not in now):
                events.append(Event(batch.ts, "alert", a.name, "firing", "resolved", _alert_detail(a, batch.source)))
            self.alerts = list(batch.alerts)
        return events


def _same_alerts(series: dict[Labels, Alert], reported: dict[Labels, Alert]) -> dict[Labels, Alert]:
    """`series` (alerts read from the ALERTS series) keyed as `reported` (from /api/v1/alerts) keys the same
    alerts. Thanos Query adds its stores' external labels (`cluster`) to the series but not to the alerts
    (thanos-io/thanos#7327): an alert whose reported labels (its name among them) are all among a series' is
    that one, still firing, not one resolved and another fired."""
    out: dict[Labels, Alert] = {}
    for identity, alert in series.items():
        if identity not in reported:
            labels = set(identity)
            identity = next((key for key in reported if key not in series and key not in out and labels >= set(key)),
                            identity)
        out[identity] = alert
    return out


def fill_step(span_s: float, interval_s: float) -> float:
    """The step to read `span_s` at: the first round one that gives FILL_POINTS or fewer (a thousandth more
    is allowed: the clock moved on between "the last hour" and its reading) and none finer than `interval_s`."""
    least = max(interval_s, span_s / FILL_POINTS / 1.001)
    return float(next((step for step in FILL_STEPS_S if step >= least), math.ceil(least)))


def fill_spans(since: float, now: float, interval_s: float) -> list[tuple[float, float, float]]:
    """The ranges to read the gap (since, now] in, as (start, end, step), oldest first: one for each tier of
    FILL_TIERS_S the gap reaches into (the oldest tier takes whatever is older still), each on the grid of its
    own step (`fill_step` of the tier, or of the gap when shorter), and each ending before the next begins."""
    spans: list[tuple[float, float, float]] = []
    before = math.inf  # the newer tier's first step: this one ends before it
    for n, tier_s in enumerate(FILL_TIERS_S):
        oldest = since if n == len(FILL_TIERS_S) - 1 else max(since, now - tier_s)
        step_s = fill_step(min(now - since, tier_s), interval_s)
        start = (math.floor(oldest / step_s) + 1) * step_s
        end = math.floor(now / step_s) * step_s if n == 0 else (math.ceil(before / step_s) - 1) * step_s
        if end >= start:
            spans.insert(0, (start, end, step_s))
            before = start
        if oldest <= since:
            break
    return spans if spans and spans[-1][1] > spans[0][0] else []  # a single step: the first poll is as good


def _filled(
    since: float, spans: Sequence[tuple[float, float, float]], stamps: Sequence[float], older_unread: str | None,
) -> str:
    """What a fill of the gap after `since` wrote, in a line: the span from its first step's start (or the
    gap's, if later) to its last step, its steps by size ("the 24 h before the start (108 steps of 600 s,
    150 of 120 s, 240 of 15 s)"), and why what is older was not read if it was not."""
    counts = [(sum(1 for ts in stamps if start <= ts <= end), step_s) for start, end, step_s in spans]
    read = [(n, step_s) for n, step_s in counts if n]
    filled_s = stamps[-1] - max(since, stamps[0] - read[0][1])
    span = (f"{filled_s / 3600:.1f}".removesuffix(".0") + " h" if filled_s >= 7200
            else f"{filled_s / 60:.0f} min" if filled_s >= 60 else f"{filled_s:.0f} s")
    steps = ", ".join(f"{n} steps of {step_s:g} s" if i == 0 else f"{n} of {step_s:g} s"
                      for i, (n, step_s) in enumerate(read))
    unread = f"; older not read: {older_unread}" if older_unread else ""
    return f"the {span} before the start ({steps}{unread})"


def _alert_detail(alert: Alert, source: str) -> dict:
    return {"labels": dict(alert.labels), "annotations": dict(alert.annotations), "source": source}

"""Polls Prometheus (or Thanos, Mimir, VictoriaMetrics) for the named signals and the firing alerts.

prometheus-api-client is synchronous (requests), so every call runs in a worker thread, with at
most `max_concurrency` queries in flight: Prometheus tops out near a dozen heavy queries a second.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any

from aiops_tui.errors import first_line
from aiops_tui.model import Alert, Batch, Labels, Sample, SeriesKey, make_labels
from aiops_tui.sources import conventions
from aiops_tui.sources.base import SourceError

if TYPE_CHECKING:
    from aiops_tui.config import PrometheusConfig

SOURCE_NAME = "prometheus"
FIRING_SELECTOR = 'ALERTS{alertstate="firing"}'
"""The alerts firing: Prometheus keeps them as a series (no annotations)."""
PROFILE_REFRESH_S = 300.0
"""How often the conventions in use are looked for again once some are found (a new exporter appears)."""
HELD_STEPS = 20
"""How many steps the subquery reads the rate window in. Prometheus holds the window when its oldest traffic
sample in it lies within two steps of the window's start (0.9 of a window from 20 s up), else its rates read
low: `rate()` divides what it saw by the whole window (started 40 s ago, a fifth of 5 minutes' traffic)."""


def connect(cfg: "PrometheusConfig", timeout_s: float, env: Mapping[str, str] | None = None, *,
            redirects: int | None = None):
    """A client for the configured Prometheus: its URL, its headers and login (read from the environment now),
    the CAs it trusts (`ca_file`, else the system's, unless `verify_tls` is off). No retries inside the
    client: the poller owns backoff, and a retry storm hides an outage."""
    import requests
    from prometheus_api_client import PrometheusConnect
    from urllib3.util.retry import Retry

    session = requests.Session()
    session.verify = str(cfg.ca_file) if cfg.ca_file is not None else cfg.verify_tls
    return PrometheusConnect(url=cfg.url, headers=cfg.request_headers(env), session=session,
                             retry=Retry(total=0, redirect=redirects), timeout=timeout_s)


def firing_promql(step_s: float) -> str:
    """The alerts firing at each step of a gap read at `step_s`, or at any time since the step before: at a
    coarse step (the day's 600 s) an alert that fired and resolved between two steps is not lost. (`or`
    matches the two sides' series by their labels, the metric's name aside: one alert is one series.)"""
    return f"{FIRING_SELECTOR} or max_over_time({FIRING_SELECTOR}[{step_s:g}s])"


WORST_OVER_STEP = ("breaker_state",)
"""Signals whose level is worse the higher (a breaker: 0 closed, 1 half-open, 2 open). A gap read at a step
coarser than its finest reads them as the worst within each step (at the finest step's resolution), so that
a breaker that opened and closed again between two steps still flaps in the history."""


def _over_step(queries: Mapping[str, str], step_s: float, finest_s: float) -> dict[str, str]:
    """`queries` for a range read at `step_s`: those of WORST_OVER_STEP as their worst since the step before."""
    if step_s <= finest_s:
        return dict(queries)
    return {signal: f"max_over_time(({promql})[{step_s:g}s:{finest_s:g}s])" if signal in WORST_OVER_STEP else promql
            for signal, promql in queries.items()}


def _texts(queries: Mapping[str, str], merged: Mapping[str, conventions.BucketQueries]) -> list[str]:
    """Every PromQL text of the signals' queries and the merged quantiles' parts, once each."""
    return list(dict.fromkeys([*queries.values(), *(text for spec in merged.values() for text, _ in spec.parts)]))


def _parse_timestamp(text: Any) -> float | None:
    from datetime import datetime

    if not isinstance(text, str):
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def vector_samples(signal: str, result: Any, *, ts: float) -> list[Sample]:
    """An instant-query result -> samples named `signal:<signal>`; raises SourceError on a wrong shape."""
    name = f"signal:{signal}"
    out = []
    for metric, value in _vector_items(signal, result):
        # Label values are strings in every real answer; anything else is made one, never kept as a list.
        labels = make_labels({k: str(v) for k, v in metric.items() if k != "__name__"})
        out.append(Sample(SeriesKey(SOURCE_NAME, name, labels), ts, value))
    return out


def _vector_items(signal: str, result: Any) -> Iterator[tuple[Mapping[str, Any], float]]:
    """An instant-query result -> each series' labels and value; raises SourceError on a wrong shape."""
    if not isinstance(result, list):
        raise SourceError(f"query for {signal}: expected a vector, got {type(result).__name__}")
    for item in result:
        if not isinstance(item, Mapping) or not isinstance(item.get("value"), list) or len(item["value"]) != 2:
            raise SourceError(f"query for {signal}: result is not an instant vector")
        metric = item.get("metric") or {}
        if not isinstance(metric, Mapping):
            raise SourceError(f"query for {signal}: labels are not an object")
        try:
            value = float(item["value"][1])
        except (TypeError, ValueError, OverflowError):
            raise SourceError(f"query for {signal}: value {str(item['value'][1])[:30]!r} is not a number") from None
        yield metric, value


def matrix_by_step(signal: str, result: Any) -> dict[float, list[Any]]:
    """A range-query result -> the instant vector it holds at each step (`vector_samples` reads each), so
    a step reads as a poll at that instant would have; raises SourceError on a wrong shape."""
    if not isinstance(result, list):
        raise SourceError(f"range query for {signal}: expected a matrix, got {type(result).__name__}")
    steps: dict[float, list[Any]] = {}
    for item in result:
        values = item.get("values") if isinstance(item, Mapping) else None
        if not isinstance(values, list):
            raise SourceError(f"range query for {signal}: result is not a range vector")
        metric = item.get("metric") or {}
        if not isinstance(metric, Mapping):
            raise SourceError(f"range query for {signal}: labels are not an object")
        for point in values:
            if not isinstance(point, list) or len(point) != 2 or not isinstance(point[0], (int, float)):
                raise SourceError(f"range query for {signal}: a point is not [time, value]")
            steps.setdefault(float(point[0]), []).append({"metric": metric, "value": point})
    return steps


def merged_quantile_samples(
    specs: Mapping[str, conventions.BucketQueries], answers: Mapping[str, Any], *, ts: float,
) -> list[Sample]:
    """Quantiles of several conventions' histograms (`conventions.bucket_queries`; `answers`: each part's PromQL
    -> its instant result): each part's buckets per group (and in total, no label), their bounds scaled to
    the signal's unit, read at every bound of the others and summed (`prommath.merged_histogram`), then
    `histogram_quantile` as Prometheus reads it. The quantiles of the same parts (p50, p95, p99) share one
    reading and one merge."""
    from aiops_tui.signals.prommath import histogram_quantile, merged_histogram

    read: dict[tuple[str, float], dict[Labels, dict[float, float]]] = {}
    merges: dict[tuple[tuple[str, float], ...], dict[Labels, dict[float, float]]] = {}
    out = []
    for signal, spec in specs.items():
        if spec.parts not in merges:
            per_group: dict[Labels, list[dict[float, float]]] = {}
            for part in spec.parts:
                if part not in read:
                    read[part] = _buckets(signal, answers[part[0]], part[1])
                for group, histogram in read[part].items():
                    per_group.setdefault(group, []).append(histogram)
            merges[spec.parts] = {group: merged_histogram(parts) for group, parts in per_group.items()}
        out.extend(Sample(SeriesKey(SOURCE_NAME, f"signal:{signal}", group), ts,
                          histogram_quantile(spec.quantile, merged.items()))
                   for group, merged in merges[spec.parts].items())
    return out


def _buckets(signal: str, result: Any, scale: float) -> dict[Labels, dict[float, float]]:
    """One convention's buckets (an instant result of `sum by (le, ...)`) -> group -> bound, in the signal's
    unit -> count; raises SourceError on a wrong shape, as `vector_samples` does."""
    out: dict[Labels, dict[float, float]] = {}
    for metric, value in _vector_items(signal, result):
        try:
            le = float(metric["le"])
        except (KeyError, TypeError, ValueError, OverflowError):
            raise SourceError(f"query for {signal}: a bucket without a numeric `le` label") from None
        group = make_labels({k: str(v) for k, v in metric.items() if k not in ("__name__", "le")})
        out.setdefault(group, {})[le * scale] = value
    return out


def parse_alerts(doc: Any) -> list[Alert]:
    """The body of `/api/v1/alerts` -> Alert records; raises SourceError on a wrong shape."""
    if not isinstance(doc, Mapping) or doc.get("status") != "success":
        error = doc.get("error") if isinstance(doc, Mapping) else None
        raise SourceError(f"alerts: {'status error: ' + str(error)[:120] if error else 'not a Prometheus API answer'}")
    alerts = (doc.get("data") or {}).get("alerts") if isinstance(doc.get("data"), Mapping) else None
    if not isinstance(alerts, list):
        raise SourceError("alerts: `data.alerts` is not a list")
    out = []
    for item in alerts:
        if not isinstance(item, Mapping) or not isinstance(item.get("labels"), Mapping):
            raise SourceError("alerts: an alert without labels")
        labels = {str(k): str(v) for k, v in item["labels"].items()}
        annotations = item.get("annotations") or {}
        out.append(
            Alert(
                name=labels.pop("alertname", "unnamed"),
                state=str(item.get("state", "firing")),
                labels=labels,
                annotations={str(k): str(v) for k, v in annotations.items()} if isinstance(annotations, Mapping) else {},
                active_since=_parse_timestamp(item.get("activeAt")),
            )
        )
    return out


class PrometheusSource:
    """One Prometheus endpoint; `poll()` runs every signal query and fetches the alerts."""

    name = SOURCE_NAME

    def __init__(
        self, cfg: "PrometheusConfig", *, clock: Callable[[], float] = time.time,
        env: Mapping[str, str] | None = None, max_concurrency: int = 3, window: str = "5m",
    ) -> None:
        from aiops_tui.config import parse_duration

        self.cfg = cfg
        self.interval_s = cfg.interval_s
        self.timeout_s = cfg.timeout_s
        self.clock = clock
        self._env = env
        self.window = window
        self._window_s = parse_duration(window, flag="window")
        self._max_concurrency = max_concurrency
        self._limits: dict[int, asyncio.Semaphore] = {}
        self._executor = None
        self._conn = None
        self.profiles: list[str] = [] if cfg.profile == "auto" else [cfg.profile]
        self._profiles_checked_at = -math.inf
        self.reads_low: str | None = None
        """Why its rates read low at the last poll (it holds its traffic counters for less than the rate
        window), else None: the panes read the gateways' own scrapes meanwhile, where there are any."""

    def _connect(self):
        if self._conn is None:
            self._conn = connect(self.cfg, self.timeout_s, self._env, redirects=3)
        return self._conn

    def _login_hint(self) -> str:
        return self.cfg.login_hint(self._env)

    async def _call(self, func, *args, **kwargs):
        # One semaphore per event loop: a semaphore is bound to the loop it first waited in.
        loop_id = id(asyncio.get_running_loop())
        limit = self._limits.get(loop_id)
        if limit is None:
            self._limits = {loop_id: asyncio.Semaphore(self._max_concurrency)}
            limit = self._limits[loop_id]
        async with limit:
            if self._executor is None:
                from concurrent.futures import ThreadPoolExecutor

                # Threads of its own: a Prometheus that trickles its answer (each byte within the
                # read timeout) holds these, never the shared pool the history writes run in.
                self._executor = ThreadPoolExecutor(self._max_concurrency, thread_name_prefix="prometheus")
            return await asyncio.get_running_loop().run_in_executor(self._executor, partial(func, *args, **kwargs))

    def queries(self, window: str | None = None) -> dict[str, str]:
        """signal -> PromQL for the profiles in use (config overrides win), rates over `window` (default: the
        source's)."""
        return conventions.signal_queries(self.profiles, overrides=self.cfg.queries, window=window or self.window)

    def _plan(
        self, step_s: float = 0.0, finest_s: float = 0.0,
    ) -> tuple[dict[str, str], dict[str, conventions.BucketQueries]]:
        """What to ask, for the conventions in use: each signal's PromQL and the quantiles whose buckets are merged
        here (`conventions.bucket_queries`). For a range read at `step_s` (0: an instant), rates are taken over
        the source's window, or over the step where that is longer (each step then stands for all of its time,
        as Grafana's `$__rate_interval` does: a burst between two of the day's 600 s steps is in the next one's
        rate, not lost between two 5 min windows), and breakers' states worst-of-step (`_over_step`)."""
        window = self.window if step_s <= self._window_s else f"{step_s:g}s"
        merged = conventions.bucket_queries(self.profiles, self.cfg.queries, window=window)
        return _over_step(self.queries(window), step_s, finest_s), merged

    @property
    def bound_s(self) -> float:
        """How long a poll may take, and the whole of a fill: twice the per-request timeout (the queries run a
        few at a time)."""
        return self.timeout_s * 2

    async def poll(self) -> Batch:
        ts = self.clock()
        batch = Batch(self.name, ts)
        try:
            await asyncio.wait_for(self._poll_into(batch), timeout=self.bound_s)
        except asyncio.TimeoutError:
            batch.error = f"no answer within {self.bound_s:g} s"
        except SourceError as exc:
            batch.error = str(exc)
        except Exception as exc:  # noqa: BLE001 — connection errors, HTML bodies, bad JSON: one line each
            batch.error = _describe(exc, self._login_hint())
        if batch.error:
            batch.samples.clear()
            batch.alerts = None
        return batch

    async def _find_profiles(self, conn, now: float) -> None:
        """The conventions in use, looked for when due (`profile: auto`)."""
        # Until a convention is found, look at every poll: a Prometheus started with the cockpit, or one
        # that has not scraped the gateways yet, has none of their names, and 5 minutes blind is an outage.
        due = not self.profiles or now - self._profiles_checked_at >= PROFILE_REFRESH_S
        if self.cfg.profile == "auto" and due:
            names = await self._call(conn.all_metrics)
            self.profiles = conventions.detect_profiles(names or [])
            self._profiles_checked_at = now

    async def _poll_into(self, batch: Batch) -> None:
        conn = self._connect()
        await self._find_profiles(conn, batch.ts)
        queries, merged = self._plan()
        texts = _texts(queries, merged)
        *results, alerts, held_s = await asyncio.gather(
            *(self._call(conn.custom_query, promql) for promql in texts),
            self._call(self._fetch_alerts, conn),
            self._held_s(conn),
        )
        answers = dict(zip(texts, results))
        for signal, promql in queries.items():
            batch.samples.extend(vector_samples(signal, answers[promql], ts=batch.ts))
        batch.samples.extend(merged_quantile_samples(merged, answers, ts=batch.ts))
        batch.alerts = alerts
        self.reads_low = None
        if held_s is not None and held_s < self._window_s - 2 * self._held_step_s:
            whole_s = max(0, round(held_s))
            held = f"{whole_s // 60}m{whole_s % 60:02d}s" if whole_s >= 60 else f"{whole_s}s"
            self.reads_low = f"rates read low: holds {held} of {self.window}"

    def _held_promql(self) -> str | None:
        """How many seconds back, up to the rate window, Prometheus holds the traffic counters: the age of
        their oldest sample in it (a subquery: a range function sees no timestamps)."""
        recipes = [profile.recipes.get("requests_per_s") for name in self.profiles
                   if (profile := conventions.PROFILES.get(name)) is not None]  # `profile: none` names none
        metrics = sorted({recipe.series.metric for recipe in recipes if recipe is not None and recipe.kind == "rate"})
        if not metrics:
            return None
        selector = '{__name__=~"%s"}' % "|".join(metrics)  # metric names need no escaping
        return f"time() - min(min_over_time(timestamp({selector})[{self.window}:{self._held_step_s:g}s]))"

    @property
    def _held_step_s(self) -> float:
        return max(1.0, self._window_s / HELD_STEPS)

    async def _held_s(self, conn) -> float | None:
        """`_held_promql`'s answer; None where there is none, or no answer (no subqueries): the window is held."""
        promql = self._held_promql()
        if promql is None:
            return None
        try:
            held_s = next((value for _, value in _vector_items("held", await self._call(conn.custom_query, promql))), None)
        except Exception:  # noqa: BLE001 — the poll's own answers stand without it
            return None
        return None if held_s is None or math.isnan(held_s) else held_s

    async def past(self, spans: Sequence[tuple[float, float, float]]) -> tuple[list[Batch], str | None]:
        """The signals as a poll would have read them at every step of each (start, end, step) in `spans` (each
        query as a range query: the same PromQL evaluated at each step), and the alerts firing then (by name and
        labels), oldest first; and, when only the newer ranges could be read, why not the older ones (None when
        all were). What the poller fills a gap in the history with (`poller.fill_spans`). Raises SourceError, in
        one line, when not even the newest range could be read."""
        # Bounded as a poll is: every source's first poll waits for it, and a Prometheus that does not answer
        # must not hold the gateways' first scrapes for longer than a poll of it would take.
        try:
            return await self._past(spans, asyncio.get_running_loop().time() + self.bound_s)
        except asyncio.TimeoutError:
            raise SourceError(f"no answer within {self.bound_s:g} s") from None
        except SourceError:
            raise
        except Exception as exc:  # noqa: BLE001 — as in poll(): one line each
            raise SourceError(_describe(exc, self._login_hint())) from None

    async def _past(
        self, spans: Sequence[tuple[float, float, float]], deadline: float,
    ) -> tuple[list[Batch], str | None]:
        from datetime import datetime, timezone

        def when(ts: float) -> datetime:
            return datetime.fromtimestamp(ts, tz=timezone.utc)

        loop = asyncio.get_running_loop()
        conn = self._connect()
        await asyncio.wait_for(self._find_profiles(conn, self.clock()), deadline - loop.time())
        finest_s = min(step_s for *_, step_s in spans)
        plans = [self._plan(step_s, finest_s) for *_, step_s in spans]
        asked = [[*_texts(queries, merged), firing_promql(step_s)]
                 for (queries, merged), (*_, step_s) in zip(plans, spans)]
        # Newest first: their queries pass the concurrency limit first, and a Prometheus too slow to answer for
        # the whole day (on Thanos or Mimir the older hours come from object storage) still fills the hours it
        # answers for, back from now without a hole.
        reads = [asyncio.ensure_future(asyncio.gather(
            *(self._call(conn.custom_query_range, promql, when(start), when(end), f"{step_s:g}s") for promql in texts)))
            for (start, end, step_s), texts in reversed(list(zip(spans, asked)))]
        read: list[list[Any]] = []
        missed: str | None = None
        try:
            await asyncio.wait(reads, timeout=max(0.0, deadline - loop.time()))
            for answers in reads:
                failed = not answers.done() or answers.exception() is not None  # exception(): retrieved, not logged
                if missed is None and not failed:
                    read.insert(0, answers.result())
                elif missed is None:
                    missed = _why_unread(answers, self.bound_s, self._login_hint())
        finally:
            for answers in reads:  # those still waiting (or all, if this was cancelled): their threads' answers dropped
                answers.cancel()
        if not read:
            raise SourceError(missed or "nothing read")
        kept = len(read)

        # In a thread, as the poller derives: an hour of steps is a second of Python the UI would otherwise wait on.
        def steps() -> list[Batch]:
            return [batch for (queries, merged), texts, results in zip(plans[-kept:], asked[-kept:], read)
                    for batch in self._steps(queries, merged, dict(zip(texts, results)), results[-1])]

        return await asyncio.to_thread(steps), missed

    def _steps(
        self, queries: Mapping[str, str], merged: Mapping[str, conventions.BucketQueries], answers: Mapping[str, Any],
        firing: Any,
    ) -> list[Batch]:
        """The range queries' answers -> a batch per step, as `_poll_into` reads an instant's."""
        batches: dict[float, Batch] = {}

        def at(ts: float) -> Batch:
            return batches.setdefault(ts, Batch(self.name, ts))

        for signal, promql in queries.items():
            for ts, vector in matrix_by_step(signal, answers[promql]).items():
                at(ts).samples.extend(vector_samples(signal, vector, ts=ts))
        buckets = {text: matrix_by_step(signal, answers[text])
                   for signal, spec in merged.items() for text, _ in spec.parts}
        for ts in sorted({ts for by_step in buckets.values() for ts in by_step}):
            vectors = {text: by_step.get(ts, []) for text, by_step in buckets.items()}
            at(ts).samples.extend(merged_quantile_samples(merged, vectors, ts=ts))
        for ts, vector in matrix_by_step("alerts", firing).items():
            at(ts).alerts = [_firing_alert(item) for item in vector]
        for batch in batches.values():
            batch.alerts = batch.alerts or []  # every step says what fired then: none without the series
        return [batches[ts] for ts in sorted(batches)]

    def _fetch_alerts(self, conn) -> list[Alert]:
        resp = conn._session.get(
            f"{conn.url}/api/v1/alerts", headers=conn.headers, timeout=self.timeout_s, verify=conn._session.verify,
        )
        if resp.status_code != 200:
            raise SourceError(f"alerts: HTTP {resp.status_code}")
        try:
            doc = resp.json()
        except ValueError:
            raise SourceError("alerts: answer is not JSON") from None
        return parse_alerts(doc)


def _firing_alert(item: Mapping[str, Any]) -> Alert:
    """One series of `ALERTS` at one step -> the alert it stands for (labels as /api/v1/alerts gives them)."""
    labels = {str(k): str(v) for k, v in item["metric"].items() if k not in ("__name__", "alertstate")}
    return Alert(name=labels.pop("alertname", "unnamed"), state="firing", labels=labels, annotations={},
                 active_since=None)


def _why_unread(answers: asyncio.Future, bound_s: float, login_hint: str) -> str:
    """Why a range of the gap was not read, in one line: no answer within the bound, or its failure."""
    if not answers.done():
        return f"no answer within {bound_s:g} s"
    exc = answers.exception()
    return str(exc) if isinstance(exc, SourceError) else _describe(exc, login_hint)


def _describe(exc: Exception, login_hint: str) -> str:
    """`exc` in one line; a login refused ends with `login_hint` (`PrometheusConfig.login_hint`)."""
    from aiops_tui.sources.gateway import describe_tls_failure

    name = type(exc).__name__
    text = first_line(exc)
    tls = describe_tls_failure(str(exc))
    if tls is not None:
        return tls
    if name in ("ReadTimeout", "ConnectTimeout", "Timeout") or "timed out" in str(exc):
        return "timed out"
    if name in ("ConnectionError", "MaxRetryError", "NewConnectionError"):
        return "cannot connect (connection refused or host unreachable)"
    if name == "PrometheusApiClientException":
        # Its message carries the whole response body; keep the status only.
        status = text.split("(", 1)[0].strip() or "bad answer"
        if status.endswith((" 401", " 403")):
            return f"HTTP {status[-3:]}: login refused; {login_hint}"
        return status
    if name == "JSONDecodeError":
        return "answer is not JSON (an HTML error page or a proxy in the way?)"
    if isinstance(exc, (KeyError, TypeError)):
        return "answer is JSON of the wrong shape"
    return f"{name}: {text}"

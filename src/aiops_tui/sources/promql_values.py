"""Current values of a runbook's ```promql blocks, shown beside its steps: read-only instant queries
to the configured Prometheus only (never a URL from the runbook), each answer cut to one short line."""

from __future__ import annotations

import asyncio
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiops_tui.errors import first_line
from aiops_tui.signals.runbook_match import fill_variables, promql_string_escape

if TYPE_CHECKING:
    from aiops_tui.config import PrometheusConfig
    from aiops_tui.signals.runbook_doc import Runbook
    from aiops_tui.store.history import History

MAX_QUERY_CHARS = 4000
MAX_SHOWN_VALUES = 3
MAX_TEXT_CHARS = 120
MAX_NAMING_LABELS = 2
MAX_LABEL_VALUE_CHARS = 32
_NAMING_LAST = ("source", "instance", "job")
"""Named only when no other label tells the series apart: where a series was scraped, not what it is of."""
NEEDS_PROMETHEUS = "needs Prometheus"
_UNFILLED = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?")
_SERIES_NAME = re.compile(r"aiops_[A-Za-z0-9_:]*")
_AGGREGATE = re.compile(r"(sum|min|max|avg|count)\s*\(\s*(aiops_[A-Za-z0-9_:]*)\s*\)")


@dataclass(frozen=True, slots=True)
class Result:
    """One block's value line: `text` is what the pane shows ("3 series: 0.42, 0.17, …")."""

    query: str
    text: str
    ok: bool
    values: tuple[float, ...] = ()
    """The series' values, largest first (empty for no data or an error)."""


def filled_queries(blocks: Sequence[Any], runbook: "Runbook", alert_labels: Mapping[str, str]) -> list[str]:
    """The blocks' PromQL with `$VARIABLES` filled from the alert's labels, PromQL-string escaped."""
    return [
        fill_variables(block.code.strip(), runbook, alert_labels, escape=promql_string_escape) for block in blocks
    ]


def unfilled_variable(query: str) -> str | None:
    """The first `$NAME` left in a query (no alert gave it a value), or None."""
    found = _UNFILLED.search(query)
    return found[1] if found else None


async def instant_values(
    prometheus_cfg: "PrometheusConfig", queries: Sequence[str], timeout_s: float,
    *, env: Mapping[str, str] | None = None, max_concurrency: int = 3,
) -> list[Result]:
    """Each query's current value from the configured Prometheus (`/api/v1/query`, GET), in order.

    Never raises: a query that fails or times out reads as a one-line error in its own Result.
    """
    session = _Session(prometheus_cfg, timeout_s, env)
    limit = asyncio.Semaphore(max_concurrency)

    async def one(query: str) -> Result:
        refusal = _refusal(query)
        if refusal is not None:
            return refusal
        async with limit:
            try:
                doc = await asyncio.wait_for(asyncio.to_thread(session.query, query), timeout=timeout_s * 2)
            except asyncio.TimeoutError:
                return Result(query, f"error: no answer within {timeout_s * 2:g} s", False)
            except Exception as exc:  # noqa: BLE001 — connection refused, TLS, bad JSON: one line each
                return Result(query, f"error: {_describe(exc)}", False)
        return describe_answer(query, doc)

    try:
        return list(await asyncio.gather(*(one(q) for q in queries)))
    finally:
        session.close()


def _refusal(query: str) -> Result | None:
    if not query.strip():
        return Result(query, "empty query", False)
    if len(query) > MAX_QUERY_CHARS:
        return Result(query, f"not sent: longer than {MAX_QUERY_CHARS} characters", False)
    name = unfilled_variable(query)
    if name is not None:
        return Result(query, f"needs ${name} (open the runbook from an alert)", False)
    return None


class _Session:
    """A client for the configured Prometheus (`prometheus.connect`: its URL, login and CAs, no retries)."""

    def __init__(self, cfg: "PrometheusConfig", timeout_s: float, env: Mapping[str, str] | None) -> None:
        from aiops_tui.sources.prometheus import connect

        self.timeout_s = timeout_s
        self.conn = connect(cfg, timeout_s, env)
        self.login_hint = cfg.login_hint(env)

    def query(self, promql: str) -> Any:
        conn = self.conn
        # The client's own custom_query folds the whole error body into its exception; read it here.
        resp = conn._session.get(
            f"{conn.url.rstrip('/')}/api/v1/query", params={"query": promql}, headers=conn.headers,
            timeout=self.timeout_s, verify=conn._session.verify, allow_redirects=False,
        )
        if resp.status_code in (401, 403):
            raise _AnswerError(f"HTTP {resp.status_code}: login refused; {self.login_hint}")
        try:
            doc = resp.json()
        except ValueError:
            raise _AnswerError(f"HTTP {resp.status_code}, not a Prometheus API answer") from None
        if resp.status_code != 200 and not (isinstance(doc, Mapping) and doc.get("status") == "error"):
            raise _AnswerError(f"HTTP {resp.status_code}")
        return doc

    def close(self) -> None:
        self.conn.close()


class _AnswerError(Exception):
    pass


def describe_answer(query: str, doc: Any) -> Result:
    """A `/api/v1/query` answer as one short line."""
    if not isinstance(doc, Mapping):
        return Result(query, "error: not a Prometheus API answer", False)
    if doc.get("status") != "success":
        kind = str(doc.get("errorType", "error"))
        return Result(query, _cut(f"{kind}: {doc.get('error', '')}"), False)
    data = doc.get("data")
    if not isinstance(data, Mapping):
        return Result(query, "error: answer has no data", False)
    result_type, result = data.get("resultType"), data.get("result")
    if result_type in ("scalar", "string") and isinstance(result, list) and len(result) == 2:
        value = _number(result[1])
        if value is None:
            return Result(query, _cut(f"{result_type}: {result[1]}"), True)
        return Result(query, f"scalar: {format_value(value)}", True, (value,))
    if not isinstance(result, list):
        return Result(query, "error: answer has no result list", False)
    if not result:
        return Result(query, "no data", True)
    if result_type == "matrix":
        return Result(query, f"{len(result)} series (a range vector: query it without [range] for a value)", True)
    series = []
    for item in result:
        point = item.get("value") if isinstance(item, Mapping) else None
        value = _number(point[1]) if isinstance(point, list) and len(point) == 2 else None
        if value is None:
            return Result(query, "error: a series without a numeric value", False)
        metric = item.get("metric")
        labels = {str(k): str(v) for k, v in metric.items() if k != "__name__"} if isinstance(metric, Mapping) else {}
        series.append((value, labels))
    series.sort(key=lambda pair: _largest_first(pair[0]))
    values = tuple(value for value, _ in series)
    return Result(query, summarize(values, [labels for _, labels in series]), True, values)


def _largest_first(value: float) -> tuple[bool, float]:
    return math.isnan(value), -value if not math.isnan(value) else 0.0


def summarize(values: Sequence[float], labels: Sequence[Mapping[str, str]] | None = None) -> str:
    """`1 series: 0.42` / `3 series: 0.42, 0.17, 0.05` / `12 series: 9, 8, 7, …`. Given each value's
    labels, the values of several series are named by the labels that tell them apart (at most two):
    `2 series by state, instance: 1 (open, 10.0.0.1:9100), 1 (closed, 10.0.0.2:9100)`; one series by its
    own: `1 series by from, to: 0.81 (openai/gpt-4o, local/llama-3-8b-local)`."""
    names = _naming_labels(labels) if labels is not None and values else []
    shown = []
    for i, value in enumerate(values[:MAX_SHOWN_VALUES]):
        text = format_value(value)
        if names:
            text += f" ({', '.join(_short(labels[i].get(name, '')) for name in names)})"
        shown.append(text)
    more = ", …" if len(values) > MAX_SHOWN_VALUES else ""
    by = f" by {', '.join(names)}" if names else ""
    return _cut(f"{len(values)} series{by}: {', '.join(shown)}{more}")


def _naming_labels(labels: Sequence[Mapping[str, str]]) -> list[str]:
    """The labels whose values differ between the series, where they were scraped last; at most two. One
    series has its own labels but its metric's name: a query asking which (`up == 0`, `sum by (from, to)`)
    is answered by them, where "1 series: 0.81" said nothing of it."""
    every = sorted({name for one in labels for name in one})
    if len(labels) == 1:
        naming = [name for name in every if name != "__name__"]
    else:
        naming = [name for name in every if len({one.get(name, "") for one in labels}) > 1]
    naming.sort(key=lambda name: _NAMING_LAST.index(name) + 1 if name in _NAMING_LAST else 0)
    return naming[:MAX_NAMING_LABELS]


def _short(value: str) -> str:
    return _cut(value, MAX_LABEL_VALUE_CHARS) or "-"


def format_value(value: float) -> str:
    """Four significant digits; from 10,000 up, whole and grouped (a budget reads 15,000, not 1.5e+04)."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if 1e4 <= abs(value) < 1e15:
        return f"{value:,.0f}"
    return f"{value:.4g}"


def _number(text: Any) -> float | None:
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


def _cut(text: str, limit: int = MAX_TEXT_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _describe(exc: Exception) -> str:
    from aiops_tui.sources.gateway import describe_tls_failure

    name = type(exc).__name__
    tls = describe_tls_failure(str(exc))
    if tls is not None:
        return _cut(tls)
    if name in ("ReadTimeout", "ConnectTimeout", "Timeout") or "timed out" in str(exc):
        return "timed out"
    if name in ("ConnectionError", "MaxRetryError", "NewConnectionError"):
        return "cannot connect to Prometheus"
    if isinstance(exc, _AnswerError):
        return str(exc)
    return _cut(f"{name}: {first_line(exc)}")


# --- without Prometheus -------------------------------------------------------------------------


def local_values(history: "History", queries: Sequence[str], *, at: float, lookback_s: float = 120.0) -> list[Result]:
    """The demo without Prometheus: a query that is exactly an `aiops_*` metric name reads the latest
    stored sample of each of its series, and `sum`, `min`, `max`, `avg` or `count` of one (no `by`)
    aggregates those into one series, as PromQL does an instant vector; any other query says it needs
    Prometheus."""
    out = []
    for query in queries:
        name = query.strip()
        aggregate = _AGGREGATE.fullmatch(name)
        if aggregate:
            name = aggregate.group(2)
        elif not _SERIES_NAME.fullmatch(name):
            out.append(Result(query, NEEDS_PROMETHEUS, False))
            continue
        rows = sorted(history.latest(name, lookback_s=lookback_s, at=at), key=lambda row: _largest_first(row[2]))
        values = [value for _, _, value in rows]
        labels = [{"source": key.source, **dict(key.labels)} for key, _, _ in rows]  # the gateway, as `instance`
        if aggregate and values:
            values, labels = [_aggregated(aggregate.group(1), values)], [{}]
        out.append(Result(query, summarize(values, labels) if values else "no data", True, tuple(values)))
    return out


def _aggregated(op: str, values: Sequence[float]) -> float:
    """PromQL's aggregation of one instant vector: min and max pass over NaN unless every value is NaN;
    sum and avg take it in."""
    if op == "count":
        return float(len(values))
    if op in ("min", "max"):
        numbers = [v for v in values if not math.isnan(v)]
        return (min if op == "min" else max)(numbers) if numbers else math.nan
    total = math.fsum(values)
    return total if op == "sum" else total / len(values)

"""The Prometheus alert rules file read as data, and each of its alerts evaluated locally over the
stored `signal:*` series, so a demo without Prometheus lists the same alerts with the same text.

No PromQL engine: a small table maps each alert name to a condition over the signals; thresholds,
`for:` durations, labels and annotations come from the rules file itself, so the two cannot drift.
"""

from __future__ import annotations

import bisect
import math
import operator
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiops_tui.errors import UserError
from aiops_tui.model import BREAKER_STATES, Alert, Labels, make_labels
from aiops_tui.signals.cost import burn_multiple

RULES_FILE = "aiops-alerts.yml"
STALE_S = 120.0
"""A signal sample older than this (or a gap this long between two) ends a condition's run."""
ACTIVE_LOOKBACK_S = 3600.0
"""How far before `for:` the evaluation looks for the start of a run (an older start reads as this)."""

Point = tuple[float, float]
"""(Unix seconds, value) of one stored sample."""
Trace = list[tuple[float, float, bool]]
"""(ts, value, condition holds) at each evaluation instant, oldest first."""


class AlertRulesError(UserError):
    """A rules file that cannot be read, said in one line."""


@dataclass(frozen=True, slots=True)
class AlertRule:
    """One `alert:` rule as written in the rules file (templates in labels/annotations unexpanded)."""

    name: str
    expr: str
    for_s: float
    labels: Mapping[str, str] = field(default_factory=dict)
    annotations: Mapping[str, str] = field(default_factory=dict)
    group: str = ""


# --- the rules file -----------------------------------------------------------------------------

_DURATION_PART = re.compile(r"(\d+)(ms|s|m|h|d|w|y)")
_UNIT_S = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0, "y": 31536000.0}


def promql_duration_s(text: str) -> float:
    """A PromQL duration (`0s`, `5m`, `1h30m`) in seconds; ValueError when it is not one."""
    text = str(text).strip()
    parts = _DURATION_PART.findall(text)
    if not text or "".join(n + u for n, u in parts) != text:
        raise ValueError(f"not a PromQL duration: {text[:40]!r}")
    return sum(int(n) * _UNIT_S[u] for n, u in parts)


def default_rules_path() -> Path:
    from aiops_tui.resources import shipped_dir

    return shipped_dir("rules") / RULES_FILE


def load_alert_rules(path: str | Path | None = None) -> list[AlertRule]:
    """The `alert:` rules of a Prometheus rules file (default: the shipped one), in file order."""
    rules_path = Path(path) if path is not None else default_rules_path()
    try:
        text = rules_path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise AlertRulesError(f"{rules_path}: cannot read the alert rules: {exc}") from None
    return parse_alert_rules(text, str(rules_path))


def parse_alert_rules(text: str, name_for_errors: str = "<rules>") -> list[AlertRule]:
    import yaml

    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise AlertRulesError(f"{name_for_errors}: not YAML: {exc}") from None
    groups = doc.get("groups") if isinstance(doc, Mapping) else None
    if not isinstance(groups, list):
        raise AlertRulesError(f"{name_for_errors}: no `groups:` list (not a Prometheus rules file)")
    rules = []
    for group in groups:
        if not isinstance(group, Mapping) or not isinstance(group.get("rules", []), list):
            raise AlertRulesError(f"{name_for_errors}: a group without a `rules:` list")
        for item in group.get("rules", []):
            if not isinstance(item, Mapping) or "alert" not in item:
                continue  # recording rules
            name = str(item["alert"])
            try:
                for_s = promql_duration_s(item.get("for", "0s"))
            except ValueError as exc:
                raise AlertRulesError(f"{name_for_errors}: alert {name}: `for:` {exc}") from None
            rules.append(
                AlertRule(
                    name=name,
                    expr=str(item.get("expr", "")),
                    for_s=for_s,
                    labels=_str_map(item.get("labels")),
                    annotations=_str_map(item.get("annotations")),
                    group=str(group.get("name", "")),
                )
            )
    return rules


def _str_map(value: Any) -> dict[str, str]:
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, Mapping) else {}


# --- annotation templates (the subset of Go templates alert rules use) ---------------------------

_ACTION = re.compile(r"\{\{-?\s*(.*?)\s*-?\}\}", re.DOTALL)
NO_VALUE = "<no value>"


def render_template(text: str, labels: Mapping[str, str], value: float) -> str:
    """Expand `{{ $labels.x }}`, `{{ $value }}` and the pipes humanize, humanizePercentage,
    humanizeDuration and printf as Prometheus does; an action it does not know stays as written."""

    def expand(found: re.Match[str]) -> str:
        pipeline = [part.strip() for part in _split_pipeline(found[1])]
        if not pipeline or not pipeline[0]:
            return found[0]
        current: Any = _operand(pipeline[0], labels, value)
        if current is None:
            return found[0]
        for command in pipeline[1:]:
            current = _apply(command, current)
            if current is None:
                return found[0]
        return current if isinstance(current, str) else go_float(current)

    return _ACTION.sub(expand, text)


def _split_pipeline(action: str) -> list[str]:
    """Split an action at the pipes outside double-quoted strings."""
    parts, current, quoted, escaped = [], "", False, False
    for char in action:
        if quoted:
            escaped, quoted = (not escaped and char == "\\"), quoted and (escaped or char != '"')
        elif char == '"':
            quoted = True
        elif char == "|":
            parts.append(current)
            current = ""
            continue
        current += char
    parts.append(current)
    return parts


def _operand(text: str, labels: Mapping[str, str], value: float) -> Any:
    if text in ("$value", ".Value"):
        return value
    for prefix in ("$labels.", ".Labels."):
        if text.startswith(prefix):
            return labels.get(text[len(prefix):], NO_VALUE)
    return None


def _apply(command: str, current: Any) -> Any:
    name, _, argument = command.partition(" ")
    if isinstance(current, str):
        try:
            current = float(current)
        except ValueError:
            return current if name == "printf" and argument.strip() == '"%s"' else None
    if name == "humanizePercentage":
        return _go_g(current * 100, 4) + "%"
    if name == "humanizeDuration":
        return humanize_duration(current)
    if name == "humanize":
        return humanize(current)
    if name == "printf":
        return _printf(argument.strip(), current)
    return None


def _printf(quoted_format: str, value: float) -> str | None:
    if len(quoted_format) < 2 or quoted_format[0] != '"' or quoted_format[-1] != '"':
        return None
    fmt = quoted_format[1:-1].replace('\\"', '"')
    try:
        if re.search(r"%[-+ #0]*\d*(?:\.\d+)?d", fmt):
            return fmt % int(value)
        return fmt % value
    except (TypeError, ValueError, OverflowError):
        return None


def _go_g(value: float, precision: int) -> str:
    """Go's `%.<precision>g` (the same as C's, but NaN and infinities spelled the Go way)."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return f"%.{precision}g" % value


def go_float(value: float) -> str:
    """A float as Go's fmt prints one (`{{ $value }}`): shortest digits, an exponent from 1e+06."""
    if math.isnan(value) or math.isinf(value):
        return _go_g(value, 4)
    if value == 0:
        return "0"
    from decimal import Decimal

    sign, digit_tuple, exponent = Decimal(repr(value)).normalize().as_tuple()
    digits = "".join(map(str, digit_tuple))
    exp10 = len(digits) + int(exponent) - 1
    prefix = "-" if sign else ""
    if exp10 < -4 or exp10 >= 6:  # where Go's shortest %v switches to the exponent form
        head = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        return f"{prefix}{head}e{'+' if exp10 >= 0 else '-'}{abs(exp10):02d}"
    if exp10 >= len(digits) - 1:
        return prefix + digits + "0" * (exp10 - len(digits) + 1)
    if exp10 >= 0:
        return f"{prefix}{digits[: exp10 + 1]}.{digits[exp10 + 1:]}"
    return f"{prefix}0.{'0' * (-exp10 - 1)}{digits}"


def humanize_duration(seconds: float) -> str:
    """Prometheus's humanizeDuration: `4.5s`, `2m 5s`, `1d 2h 0m 3s`, `250ms`."""
    if math.isnan(seconds) or math.isinf(seconds):
        return _go_g(seconds, 4)
    if seconds == 0:
        return "0s"
    if abs(seconds) >= 1:
        sign = "-" if seconds < 0 else ""
        whole = int(abs(seconds))
        days, hours, minutes, secs = whole // 86400, whole // 3600 % 24, whole // 60 % 60, whole % 60
        if days:
            return f"{sign}{days}d {hours}h {minutes}m {secs}s"
        if hours:
            return f"{sign}{hours}h {minutes}m {secs}s"
        if minutes:
            return f"{sign}{minutes}m {secs}s"
        return f"{sign}{_go_g(abs(seconds), 4)}s"
    prefix = ""
    for unit in ("m", "u", "n", "p", "f", "a", "z", "y"):
        if abs(seconds) >= 1:
            break
        prefix, seconds = unit, seconds * 1000
    return f"{_go_g(seconds, 4)}{prefix}s"


def humanize(value: float) -> str:
    """Prometheus's humanize: SI prefixes, four significant digits (`1.235k`, `12m`)."""
    if value == 0 or math.isnan(value) or math.isinf(value):
        return _go_g(value, 4)
    prefix = ""
    if abs(value) >= 1:
        for unit in ("k", "M", "G", "T", "P", "E", "Z", "Y"):
            if abs(value) < 1000:
                break
            prefix, value = unit, value / 1000
    else:
        for unit in ("m", "u", "n", "p", "f", "a", "z", "y"):
            if abs(value) >= 1:
                break
            prefix, value = unit, value * 1000
    return f"{_go_g(value, 4)}{prefix}"


# --- what the local evaluation reads ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Need:
    """A stored signal a condition reads, over (at - span_s, at]; `total_only`: its label-free series."""

    signal: str
    span_s: float
    total_only: bool = False


GATEWAY_LABEL = "__gateway__"
"""On a series the rules read from one gateway of several (each keeps its own breakers): which one."""


@dataclass(frozen=True, slots=True)
class Inputs:
    """What the history holds for one evaluation: the signals of one source, and which gateways are down."""

    source: str
    signals: Mapping[str, Mapping[Labels, Sequence[Point]]]
    """Signal name (without `signal:`) -> label set -> time-ordered points."""
    down_since: Mapping[str, float] = field(default_factory=dict)
    """Gateway source -> when it was reported down, for the sources down now."""
    monthly_budget_usd: float | None = None
    """Used when the source reports no `signal:budget_monthly_usd`."""
    instances: Mapping[str, str] = field(default_factory=dict)
    """Source name -> its `instance` label (host:port); the source name when absent."""

    def target_labels(self, source: str | None = None) -> dict[str, str]:
        source = self.source if source is None else source
        return {"instance": self.instances.get(source, source), "job": source}


_OPS: Mapping[str, Callable[[float, float], bool]] = {
    ">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le, "==": operator.eq, "!=": operator.ne,
}
_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_TRAILING_COMPARISON = re.compile(rf"(>=|<=|==|!=|>|<)\s*({_NUMBER})\s*$")
_BURN_TERM = re.compile(rf"aiops:cost_burn_multiple:rate(\w+)\s*(>=|<=|==|!=|>|<)\s*({_NUMBER})")
_STATE_MATCHER = re.compile(r'state\s*=~?\s*"([^"]*)"')


class Unsupported(Exception):
    """Why an alert rule has no local condition."""


def _holds(op: str, value: float, threshold: float) -> bool:
    return not math.isnan(value) and _OPS[op](value, threshold)


def _trailing_comparison(rule: AlertRule) -> tuple[str, float]:
    found = _TRAILING_COMPARISON.search(rule.expr.strip())
    if not found:
        raise Unsupported("its expression does not end in a comparison with a number")
    return found[1], float(found[2])


# --- the conditions -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Threshold:
    """A signal compared with a number: per `group_label` (one alert per model), or its total."""

    signal: str
    group_label: str | None
    op: str
    threshold: float
    sampled = True

    def needs(self, for_s: float) -> list[Need]:
        return [Need(self.signal, for_s + ACTIVE_LOOKBACK_S, total_only=self.group_label is None)]

    def traces(self, inputs: Inputs, at: float) -> dict[Labels, Trace]:
        out = {}
        for labels, points in inputs.signals.get(self.signal, {}).items():
            names = [name for name, _ in labels]
            if self.group_label is None and names:
                continue
            if self.group_label is not None and names != [self.group_label]:
                continue
            out[labels] = [(ts, v, _holds(self.op, v, self.threshold)) for ts, v in points]
        return out


@dataclass(frozen=True, slots=True)
class BreakerOpen:
    """`signal:breaker_state` (0 closed, 1 half-open, 2 open) at or above `min_state`, per upstream."""

    min_state: float
    sampled = True

    def needs(self, for_s: float) -> list[Need]:
        return [Need("breaker_state", for_s + ACTIVE_LOOKBACK_S)]

    def traces(self, inputs: Inputs, at: float) -> dict[Labels, Trace]:
        out: dict[Labels, Trace] = {}
        for labels, points in inputs.signals.get("breaker_state", {}).items():
            found = dict(labels)
            if "upstream" not in found:
                continue
            kept = {k: found[k] for k in ("upstream", "tier") if k in found}
            key = make_labels({**kept, **inputs.target_labels(found.get(GATEWAY_LABEL))})
            out[key] = [(ts, v, v >= self.min_state) for ts, v in points]
        return out


@dataclass(frozen=True, slots=True)
class FallbackShare:
    """Requests that fell back from one model, as a share of all requests (the rule's `by (from, to)`
    over the total): fallback_ratio{model} x requests_per_s{model} / requests_per_s."""

    op: str
    threshold: float
    sampled = True

    def needs(self, for_s: float) -> list[Need]:
        span = for_s + ACTIVE_LOOKBACK_S
        return [Need("fallback_ratio", span), Need("requests_per_s", span), Need("breaker_state", STALE_S)]

    def traces(self, inputs: Inputs, at: float) -> dict[Labels, Trace]:
        requests = inputs.signals.get("requests_per_s", {})
        total = dict(requests.get((), ()))
        routes = _fallback_routes(inputs.signals.get("breaker_state", {}))
        out: dict[Labels, Trace] = {}
        for labels, points in inputs.signals.get("fallback_ratio", {}).items():
            if [name for name, _ in labels] != ["model"]:
                continue
            model = labels[0][1]
            own = dict(requests.get(labels, ()))
            trace: Trace = []
            for ts, ratio in points:
                if ts in own and total.get(ts, 0.0) > 0:
                    share = ratio * own[ts] / total[ts]
                    trace.append((ts, share, _holds(self.op, share, self.threshold)))
            upstream, fallback = routes.get(model, (model, ""))
            out[make_labels({"from": upstream, **({"to": fallback} if fallback else {})})] = trace
        return out


def _fallback_routes(breakers: Mapping[Labels, Sequence[Point]]) -> dict[str, tuple[str, str]]:
    """model -> (upstream, its fallback), from the breaker series' labels (`openai/gpt-4o` is `gpt-4o`)."""
    routes = {}
    for labels in breakers:
        found = dict(labels)
        upstream = found.get("upstream", "")
        if upstream:
            routes[upstream.rsplit("/", 1)[-1]] = (upstream, found.get("fallback", ""))
            routes.setdefault(upstream, (upstream, found.get("fallback", "")))
    return routes


@dataclass(frozen=True, slots=True)
class BurnRate:
    """Spend over each window against the monthly budget's pace (SRE burn-rate multiples), all at once.

    The rate over a window is the mean of `signal:spend_usd_per_h` in it, as the cost pane takes it.
    """

    windows: tuple[tuple[float, str, float], ...]
    """(window seconds, comparison, threshold); the first window's multiple is the alert's value."""
    sampled = True

    def needs(self, for_s: float) -> list[Need]:
        longest = max(window_s for window_s, _, _ in self.windows)
        return [
            Need("spend_usd_per_h", for_s + ACTIVE_LOOKBACK_S + longest, total_only=True),
            Need("budget_monthly_usd", STALE_S, total_only=True),
        ]

    def traces(self, inputs: Inputs, at: float) -> dict[Labels, Trace]:
        budget_points = inputs.signals.get("budget_monthly_usd", {}).get((), ())
        budget = budget_points[-1][1] if budget_points else inputs.monthly_budget_usd
        spend = [(ts, v) for ts, v in inputs.signals.get("spend_usd_per_h", {}).get((), ()) if math.isfinite(v)]
        if not budget or budget <= 0 or not spend:
            return {}
        times = [ts for ts, _ in spend]
        prefix = [0.0]
        for _, value in spend:
            prefix.append(prefix[-1] + value)
        longest = max(window_s for window_s, _, _ in self.windows)
        trace: Trace = []
        first = bisect.bisect_left(times, at - longest - ACTIVE_LOOKBACK_S)
        for end in range(first, len(spend)):
            ts = times[end]
            multiples = []
            for window_s, _, _ in self.windows:
                start = bisect.bisect_right(times, ts - window_s)
                mean = (prefix[end + 1] - prefix[start]) / (end + 1 - start)
                multiples.append(burn_multiple(mean, budget, ts))
            holds = all(
                m is not None and _holds(op, m, threshold) for m, (_, op, threshold) in zip(multiples, self.windows)
            )
            trace.append((ts, multiples[0] if multiples[0] is not None else math.nan, holds))
        return {(): trace}


@dataclass(frozen=True, slots=True)
class SourceDown:
    """A gateway the poller reports down (its `source` events): Prometheus's `up == 0`."""

    sampled = False

    def needs(self, for_s: float) -> list[Need]:
        return []

    def traces(self, inputs: Inputs, at: float) -> dict[Labels, Trace]:
        return {
            make_labels(inputs.target_labels(source)): [(since, 0.0, True), (at, 0.0, True)]
            for source, since in inputs.down_since.items()
            if since <= at
        }


Condition = Threshold | BreakerOpen | FallbackShare | BurnRate | SourceDown


def _breaker(rule: AlertRule) -> Condition:
    matcher = _STATE_MATCHER.search(rule.expr)
    if not matcher or "resilience4j_circuitbreaker_state" not in rule.expr:
        raise Unsupported("its expression does not select resilience4j_circuitbreaker_state{state=...}")
    levels = [BREAKER_STATES.index(s) for s in matcher[1].split("|") if s in BREAKER_STATES and s != "closed"]
    if not levels:
        raise Unsupported(f"its state matcher {matcher[1]!r} names no open state")
    return BreakerOpen(float(min(levels)))


def _burn(rule: AlertRule) -> Condition:
    terms = _BURN_TERM.findall(rule.expr)
    if not terms:
        raise Unsupported("its expression compares no aiops:cost_burn_multiple:rate<window>")
    try:
        return BurnRate(tuple((promql_duration_s(window), op, float(threshold)) for window, op, threshold in terms))
    except ValueError as exc:
        raise Unsupported(str(exc)) from None


def _source_down(rule: AlertRule) -> Condition:
    if not re.search(r"\bup\b.*==\s*0\s*$", rule.expr.strip(), re.DOTALL):
        raise Unsupported("its expression is not `up{...} == 0`")
    return SourceDown()


CONDITIONS: Mapping[str, Callable[[AlertRule], Condition]] = {
    "LLMCircuitBreakerOpen": _breaker,
    "LLMErrorRatioHigh": lambda rule: Threshold("error_ratio", "model", *_trailing_comparison(rule)),
    "LLMLatencyP95High": lambda rule: Threshold("latency_p95_s", "model", *_trailing_comparison(rule)),
    "LLMCacheHitRateLow": lambda rule: Threshold("cache_hit_ratio", None, *_trailing_comparison(rule)),
    "LLMFallbackRateSpike": lambda rule: FallbackShare(*_trailing_comparison(rule)),
    "LLMCostBurnRateHigh": _burn,
    "LLMBudgetAtRisk": _burn,
    "LLMGatewayDown": _source_down,
}
"""Alert name -> how to build its local condition from the rule (thresholds parsed from `expr`)."""


@dataclass(frozen=True, slots=True)
class LocalRule:
    rule: AlertRule
    condition: Condition


def local_rules(rules: Iterable[AlertRule]) -> tuple[list[LocalRule], dict[str, str]]:
    """The rules that have a local condition, and {alert name: why not} for the others."""
    supported, unsupported = [], {}
    for rule in rules:
        build = CONDITIONS.get(rule.name)
        if build is None:
            unsupported[rule.name] = "no local condition: only Prometheus evaluates it"
            continue
        try:
            supported.append(LocalRule(rule, build(rule)))
        except Unsupported as exc:
            unsupported[rule.name] = f"its rule changed shape: {exc}"
    return supported, unsupported


def unsupported_rules(rules: Iterable[AlertRule] | None = None) -> dict[str, str]:
    """{alert name: reason} for the alerts (default: the shipped rules') the demo cannot evaluate."""
    return local_rules(load_alert_rules() if rules is None else rules)[1]


def needs_of(rules: Iterable[LocalRule]) -> list[Need]:
    """What to read for these rules: each signal once, over the longest span any of them needs."""
    merged: dict[str, Need] = {}
    for local in rules:
        for need in local.condition.needs(local.rule.for_s):
            seen = merged.get(need.signal)
            if seen is not None:
                need = Need(need.signal, max(need.span_s, seen.span_s), need.total_only and seen.total_only)
            merged[need.signal] = need
    return list(merged.values())


# --- evaluation ---------------------------------------------------------------------------------


def active_run(trace: Trace, at: float, *, sampled: bool = True) -> tuple[float, float] | None:
    """(start, latest value) of the run of holding points that reaches `at`, or None.

    A sampled condition's run needs a point within STALE_S of `at` and no gap longer than that.
    """
    points = [p for p in trace if p[0] <= at]
    if not points or not points[-1][2]:
        return None
    if sampled and at - points[-1][0] > STALE_S:
        return None
    start = points[-1][0]
    for index in range(len(points) - 2, -1, -1):
        ts, _, holds = points[index]
        if not holds or (sampled and start - ts > STALE_S):
            break
        start = ts
    return start, points[-1][1]


def evaluate(rules: Sequence[LocalRule], inputs: Inputs, at: float) -> list[Alert]:
    """The alerts active at `at`: "firing" once their condition has held for the rule's `for:`,
    "pending" before; labels and annotations rendered as Prometheus renders them."""
    alerts = []
    for local in rules:
        rule, condition = local.rule, local.condition
        for labels, trace in sorted(condition.traces(inputs, at).items()):
            run = active_run(trace, at, sampled=condition.sampled)
            if run is None:
                continue
            since, value = run
            series_labels = dict(labels)
            rule_labels = {k: render_template(v, series_labels, value) for k, v in rule.labels.items()}
            alerts.append(
                Alert(
                    name=rule.name,
                    state="firing" if at - since >= rule.for_s else "pending",
                    labels={**series_labels, **rule_labels},
                    annotations={k: render_template(v, series_labels, value) for k, v in rule.annotations.items()},
                    active_since=since,
                )
            )
    return alerts

"""The plain records that flow from sources to the store and from the store to signals."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

BREAKER_STATES = ("closed", "half_open", "open")
"""A breaker's state is stored as its index here (`signal:breaker_state` 0, 1, 2): higher is worse."""
BREAKER_SINCE_SIGNAL = "signal:breaker_since_ts"
"""Since when a breaker is in its state, as its source says: a Unix time."""
FLEET_SOURCE = "gateways"
"""The source of the signals of every directly scraped gateway together (summed, their quantiles from
their histograms summed), derived when more than one gateway is configured."""
NOT_GATEWAYS = ("prometheus", FLEET_SOURCE)
"""Sources in the history that are not one gateway's own."""
MEMBER_SEP = " · "
"""Joins a gateway's name and what it names in the fleet's views ("gw-a · openai/gpt-4o"): each gateway
keeps its own breakers."""
RULES_SOURCE = "alerts"
"""The source that evaluates the alert rules locally when there is no Prometheus."""

Labels = tuple[tuple[str, str], ...]
"""Label pairs sorted by name: hashable, so a (source, name, labels) triple keys a series."""


def make_labels(labels: Mapping[str, str] | None = None, **more: str) -> Labels:
    """Label names and values must be strings already (every parser and source gives strings)."""
    if more:
        labels = {**(labels or {}), **more}
    return tuple(sorted(labels.items())) if labels else ()


@dataclass(frozen=True, slots=True)
class SeriesKey:
    source: str
    name: str
    labels: Labels = ()
    _hash: int = field(init=False, repr=False, compare=False, default=0)
    """Computed once: a key is hashed at every dict lookup, many times per sample on the way to the store."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "_hash", hash((self.source, self.name, self.labels)))

    def __hash__(self) -> int:
        return self._hash

    def __reduce__(self) -> tuple:
        return SeriesKey, (self.source, self.name, self.labels)  # str hashes differ between processes

    def label(self, name: str, default: str = "") -> str:
        for key, value in self.labels:
            if key == name:
                return value
        return default


@dataclass(frozen=True, slots=True)
class Sample:
    """One value of one series at one time (`ts` in Unix seconds)."""

    key: SeriesKey
    ts: float
    value: float


@dataclass(frozen=True, slots=True)
class Event:
    """Something that happened: a breaker transition, an alert, a source going down, a step ticked."""

    ts: float
    kind: str
    subject: str
    from_state: str | None = None
    to_state: str | None = None
    detail: Mapping[str, Any] = field(default_factory=dict)


SEVERITY_RANK = {"critical": 0, "page": 0, "error": 1, "warning": 2, "info": 3}
"""Alert `severity` labels by urgency, most urgent 0; a missing or unknown one ranks after them all."""


@dataclass(frozen=True, slots=True)
class Alert:
    """A Prometheus alert as `/api/v1/alerts` reports it (or as the local rule evaluator decides)."""

    name: str
    state: str  # "firing" | "pending"
    labels: Mapping[str, str]
    annotations: Mapping[str, str]
    active_since: float | None = None

    @property
    def identity(self) -> Labels:
        return make_labels(self.labels, alertname=self.name)

    @property
    def severity_rank(self) -> int:
        return SEVERITY_RANK.get(self.labels.get("severity", ""), len(SEVERITY_RANK))


@dataclass(slots=True)
class Batch:
    """What one poll of one source produced; written to the store in one transaction per cycle."""

    source: str
    ts: float
    samples: list[Sample] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    error: str | None = None
    """Why the poll failed, in one line, without the source's name (`source` says it)."""
    alerts: list[Alert] | None = None
    """The alerts this source reports now; None when it reports none (not "zero alerts")."""

    @property
    def ok(self) -> bool:
        return self.error is None

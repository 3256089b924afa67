"""Metric families as plain data, and their rendering in Prometheus text format 0.0.4.

A `Family` holds exactly what `prometheus_client.parser.text_string_to_metric_families` yields
for the rendered text: a counter's name has no `_total` (its samples do), histogram samples end in
`_bucket`/`_count`/`_sum` with `le` labels. So families can be stored directly, without a text
round trip, and give the same series as a scrape.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Iterable, Mapping

from aiops_tui.model import Sample, SeriesKey, make_labels

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

SampleTuple = tuple[str, Mapping[str, str], float]
"""(sample name, labels, value). Label dicts may be shared between calls: treat them as read-only."""


@dataclass(slots=True)
class Family:
    name: str
    type: str  # "counter" | "gauge" | "histogram"
    help: str
    samples: list[SampleTuple] = field(default_factory=list)

    @property
    def exposed_name(self) -> str:
        """The name on the `# TYPE` line: counters carry `_total` there, as LiteLLM's do."""
        return self.name + "_total" if self.type == "counter" else self.name


def format_value(value: float) -> str:
    """Shortest text that parses back to the same float (Go's formatting of infinities and NaN)."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return repr(float(value))


def _escape_label_value(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _escape_help(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def render(families: Iterable[Family]) -> str:
    lines: list[str] = []
    for family in families:
        exposed = family.exposed_name
        lines.append(f"# HELP {exposed} {_escape_help(family.help)}")
        lines.append(f"# TYPE {exposed} {family.type}")
        for sample_name, labels, value in family.samples:
            if labels:
                pairs = ",".join(
                    f'{key}="{_escape_label_value(labels[key])}"' for key in sorted(labels)
                )
                lines.append(f"{sample_name}{{{pairs}}} {format_value(value)}")
            else:
                lines.append(f"{sample_name} {format_value(value)}")
    lines.append("")
    return "\n".join(lines)


def to_samples(families: Iterable[Family], *, source: str, ts: float) -> list[Sample]:
    """The stored samples a scrape of the rendered text would give (one per sample line)."""
    return [
        Sample(SeriesKey(source, sample_name, make_labels(labels)), ts, float(value))
        for family in families
        for sample_name, labels, value in family.samples
    ]

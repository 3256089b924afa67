"""Metric families as plain data, and their rendering in Prometheus text format 0.0.4 (and, for a
Prometheus to backfill with `promtool`, many scrapes of them as one OpenMetrics file).

A `Family` holds exactly what `prometheus_client.parser.text_string_to_metric_families` yields
for the rendered text: a counter's name has no `_total` (its samples do), histogram samples end in
`_bucket`/`_count`/`_sum` with `le` labels. So families can be stored directly, without a text
round trip, and give the same series as a scrape.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
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


def _sample_line(sample_name: str, labels: Mapping[str, str], value: float, stamp: str = "") -> str:
    pairs = ",".join(f'{key}="{_escape_label_value(labels[key])}"' for key in sorted(labels))
    series = f"{sample_name}{{{pairs}}}" if pairs else sample_name
    return f"{series} {format_value(value)}{stamp}"


def render(families: Iterable[Family]) -> str:
    lines: list[str] = []
    for family in families:
        exposed = family.exposed_name
        lines.append(f"# HELP {exposed} {_escape_help(family.help)}")
        lines.append(f"# TYPE {exposed} {family.type}")
        lines.extend(_sample_line(sample_name, labels, value) for sample_name, labels, value in family.samples)
    lines.append("")
    return "\n".join(lines)


def write_openmetrics(path: Path, scrapes: Iterable[tuple[float, list[Family]]], target: Mapping[str, str]) -> int:
    """Timestamped scrapes, (ts, families) in time order, as one OpenMetrics file for `promtool tsdb
    create-blocks-from openmetrics`: what a Prometheus would hold had it scraped them. Every sample gets the
    `target` labels (`job`, `instance`) a scrape adds; each family's samples stand together, as the format
    wants. Returns the number of scrapes."""
    lines: dict[str, list[str]] = {}
    types: dict[str, str] = {}
    count = 0
    for ts, families in scrapes:
        stamp = f" {ts:.3f}"
        for family in families:
            types[family.name] = family.type
            lines.setdefault(family.name, []).extend(_sample_line(sample_name, {**labels, **target}, value, stamp)
                                                     for sample_name, labels, value in family.samples)
        count += 1
    with path.open("w") as f:
        for name, family_lines in lines.items():
            f.write(f"# TYPE {name} {types[name]}\n")
            f.write("\n".join(family_lines) + "\n")
        f.write("# EOF\n")
    return count


def to_samples(families: Iterable[Family], *, source: str, ts: float) -> list[Sample]:
    """The stored samples a scrape of the rendered text would give (one per sample line)."""
    return [
        Sample(SeriesKey(source, sample_name, make_labels(labels)), ts, float(value))
        for family in families
        for sample_name, labels, value in family.samples
    ]

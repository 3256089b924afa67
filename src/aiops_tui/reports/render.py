"""A report as data (facts and sections of typed columns) and its four renderings: an aligned text
table, GitHub Markdown, CSV and JSON with stable keys."""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from aiops_tui.errors import UserError

FORMATS = ("table", "markdown", "csv", "json")
JSON_SCHEMA = "aiops-tui.report/1"
MISSING = "—"
"""How table and Markdown show a value that does not exist (no traffic, no budget)."""

# Decimals shown in table and Markdown per column kind; CSV and JSON carry the full value.
_DECIMALS = {"usd": 2, "ratio": 4, "seconds": 3, "rate": 3}
_NUMERIC = {"usd", "ratio", "seconds", "rate", "number", "int"}
_MD_SPECIAL = set("\\`*_[]<>|")


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    kind: str = "text"
    """text | int | usd | ratio | seconds | rate | number | time (Unix seconds, shown as UTC ISO 8601)"""


@dataclass(frozen=True, slots=True)
class Section:
    name: str
    columns: Sequence[Column]
    rows: Sequence[Sequence[Any]]


@dataclass(frozen=True, slots=True)
class Report:
    kind: str
    title: str
    facts: Sequence[tuple[str, Any]] = ()
    """(name, value) shown above the sections; the name's unit says its kind (`opened_utc`, `budget_usd`)."""
    sections: Sequence[Section] = field(default_factory=list)


def iso_utc(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _plain(value: Any, kind: str) -> Any:
    """The value as CSV and JSON carry it: full precision, times as ISO strings, gaps as None."""
    if _missing(value):
        return None
    if kind == "time":
        return iso_utc(value)
    if kind == "int":
        return int(value)
    if kind in _NUMERIC:
        return float(value)
    return value


def shown(value: Any, kind: str) -> str:
    """The value as table and Markdown show it."""
    if _missing(value):
        return MISSING
    if kind == "time":
        return iso_utc(value)
    if kind == "int":
        return str(int(value))
    if kind in _DECIMALS:
        return f"{float(value):.{_DECIMALS[kind]}f}"
    if kind == "number":
        return f"{float(value):.6g}"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return " ".join(str(value).split())


def _fact_kind(name: str) -> str:
    """A fact's kind from its name's unit: `_utc` a time, `_usd` dollars, `_s` seconds."""
    for suffix, kind in (("_utc", "time"), ("_usd", "usd"), ("_s", "seconds")):
        if name.endswith(suffix):
            return kind
    return "text"


def render(report: Report, fmt: str) -> str:
    if fmt == "table":
        return _table(report)
    if fmt == "markdown":
        return _markdown(report)
    if fmt == "csv":
        return _csv(report)
    if fmt == "json":
        return _json(report)
    raise UserError(f"--format: {fmt!r} is not one of {', '.join(FORMATS)}")


def _table(report: Report) -> str:
    lines = [report.title]
    lines += [f"{name}: {shown(value, _fact_kind(name))}" for name, value in report.facts]
    for section in report.sections:
        lines += ["", f"{section.name}:"]
        cells = [[c.name for c in section.columns]]
        cells += [[shown(v, c.kind) for v, c in zip(row, section.columns)] for row in section.rows]
        widths = [max(len(r[i]) for r in cells) for i in range(len(section.columns))]
        for n, row in enumerate(cells):
            parts = [
                cell.rjust(w) if c.kind in _NUMERIC and n else cell.ljust(w)
                for cell, w, c in zip(row, widths, section.columns)
            ]
            lines.append("  ".join(parts).rstrip())
            if n == 0:
                lines.append("  ".join("-" * w for w in widths))
        if not section.rows:
            lines.append("(none)")
    return "\n".join(lines) + "\n"


def md_escape(text: str) -> str:
    """One line of inline Markdown, every character Markdown or a table could act on escaped."""
    return "".join("\\" + ch if ch in _MD_SPECIAL else ch for ch in " ".join(str(text).split()))


def _markdown(report: Report) -> str:
    lines = [f"# {md_escape(report.title)}", ""]
    lines += [f"- **{md_escape(name)}:** {md_escape(shown(value, _fact_kind(name)))}" for name, value in report.facts]
    for section in report.sections:
        lines += ["", f"## {md_escape(section.name)}", ""]
        if not section.rows:
            lines.append("None.")
            continue
        lines.append("| " + " | ".join(md_escape(c.name) for c in section.columns) + " |")
        lines.append("|" + "|".join("---:" if c.kind in _NUMERIC else "---" for c in section.columns) + "|")
        for row in section.rows:
            lines.append("| " + " | ".join(md_escape(shown(v, c.kind)) for v, c in zip(row, section.columns)) + " |")
    return "\n".join(lines) + "\n"


def _csv(report: Report) -> str:
    """One table for every section: a leading `section` column, the union of the sections' columns."""
    names: list[str] = []
    for section in report.sections:
        names += [c.name for c in section.columns if c.name not in names]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["section", *names])
    for section in report.sections:
        for row in section.rows:
            values = {c.name: _plain(v, c.kind) for v, c in zip(row, section.columns)}
            writer.writerow([section.name, *("" if values.get(n) is None else values[n] for n in names)])
    return out.getvalue()


def _json(report: Report) -> str:
    doc = {
        "schema": JSON_SCHEMA,
        "report": report.kind,
        "title": report.title,
        "facts": {name: _plain(value, _fact_kind(name)) for name, value in report.facts},
        "sections": {
            section.name: [{c.name: _plain(v, c.kind) for v, c in zip(row, section.columns)} for row in section.rows]
            for section in report.sections
        },
    }
    return json.dumps(doc, sort_keys=True, ensure_ascii=False, indent=2, allow_nan=False) + "\n"

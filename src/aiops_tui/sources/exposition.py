"""Prometheus text exposition -> Samples: one scrape of a gateway's `/metrics`, checked and tidied.

Parsing is `prometheus_client.parser` (`text_string_to_metric_families`); this module adds what a cockpit needs around it: garbage
refused in one line that says where, `*_created` and NaN dropped, label values capped, duplicate
series tolerated, and sample names kept exactly as Prometheus would store them.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Iterator

from aiops_tui.model import Sample, SeriesKey, make_labels

MAX_EXPOSITION_BYTES = 8 * 1024 * 1024
"""Bodies above this are refused by the caller before parsing (a scrape is normally ~100 KB)."""

DEFAULT_MAX_LABEL_VALUE_LEN = 1024

_COUNTER_TYPE_RE = re.compile(r"^[ \t]*#[ \t]+TYPE[ \t]+(\S+)[ \t]+counter[ \t]*$", re.MULTILINE)
_JSON_START_RE = re.compile(r'\[|\{\s*(\}|"(?:[^"\\]|\\.)*"\s*:)')
_CONTROL_RE = re.compile(r"[\x00-\x08\x0e-\x1f\x7f\ufffd]")
_QUOTED_OR_COMMENT_RE = re.compile(r'"(?:[^"\\\n]|\\.)*(?:"|$)|^[ \t]*#.*$', re.MULTILINE)
_SNIPPET_LEN = 60


class ExpositionError(ValueError):
    """The body is not Prometheus text exposition; the message is one line naming what and where."""


def parse_exposition(
    text: str, *, source: str, ts: float, max_label_value_len: int = DEFAULT_MAX_LABEL_VALUE_LEN,
) -> list[Sample]:
    """Every sample of one scrape, stamped `ts` (timestamps inside the exposition are ignored).

    Dropped: `*_created` samples (creation times, not measurements) and NaN values of every type
    (a NaN counter or histogram is meaningless; a NaN gauge means "no value", and storing it would
    poison every average and max drawn over it). +Inf and -Inf are kept. When one scrape repeats
    a series, the last value wins.
    """
    # text_string_to_metric_families(text) is this same parser over io.StringIO(text); feeding it
    # counted lines lets an error name its line.
    from prometheus_client.parser import text_fd_to_metric_families

    text = text.removeprefix("\ufeff")
    _refuse_obvious_garbage(text)
    # prometheus_client renames the samples of a counter declared without `_total` (Envoy's style)
    # to `..._total`; Prometheus stores them as written, and the PromQL we run says so.
    bare_counters = {name for name in _COUNTER_TYPE_RE.findall(text) if not name.endswith("_total")}
    lines = _CountedLines(text)
    by_key: dict[SeriesKey, Sample] = {}
    try:
        for family in text_fd_to_metric_families(lines):  # type: ignore[arg-type]
            restore = family.type == "counter" and family.name in bare_counters
            for s in family.samples:
                name = s.name[: -len("_total")] if restore and s.name.endswith("_total") else s.name
                if name.endswith("_created"):
                    continue
                value = float(s.value)
                if math.isnan(value):
                    continue
                labels = s.labels
                if any(len(v) > max_label_value_len for v in labels.values()):
                    labels = {k: _cap(v, max_label_value_len) for k, v in labels.items()}
                key = SeriesKey(source, name, make_labels(labels))
                by_key[key] = Sample(key, ts, value)
    except ValueError as exc:
        raise ExpositionError(_describe_bad_line(text, lines.number, exc)) from None
    return list(by_key.values())


class _CountedLines:
    """The body's lines, remembering which one the parser is on so an error can name it."""

    def __init__(self, text: str) -> None:
        self._text = text
        self.number = 0

    def __iter__(self) -> Iterator[str]:
        for self.number, line in enumerate(self._text.split("\n"), 1):  # noqa: B007
            yield line


def _refuse_obvious_garbage(text: str) -> None:
    stripped = text.lstrip()
    if not stripped:
        raise ExpositionError("not Prometheus text exposition: the body is empty")
    line = text.count("\n", 0, len(text) - len(stripped)) + 1
    head = stripped[:1024]
    # Label values and HELP text may hold any UTF-8, escape sequences included: that is data.
    if _CONTROL_RE.search(_QUOTED_OR_COMMENT_RE.sub("", head)):
        raise ExpositionError(f"not Prometheus text exposition: looks like binary data (line {line})")
    if head.startswith("<"):
        raise ExpositionError(f"not Prometheus text exposition: looks like HTML (line {line})")
    if _JSON_START_RE.match(head):
        raise ExpositionError(f"not Prometheus text exposition: looks like JSON (line {line})")


def _cap(value: str, limit: int) -> str:
    if len(value) <= limit:
        return value
    # The digest keeps two long values that share a prefix apart as two series.
    digest = hashlib.sha1(value.encode("utf-8", "replace")).hexdigest()[:8]
    return f"{value[:limit]}...[truncated {len(value) - limit} chars, sha1 {digest}]"


def _describe_bad_line(text: str, number: int, exc: ValueError) -> str:
    lines = text.split("\n")
    line = lines[number - 1].strip() if 0 < number <= len(lines) else ""
    if _unquoted_quotes(line) % 2:
        what = "unterminated label value"
    elif "{" in line and "}" not in line:
        what = "unterminated label set"
    else:
        detail = str(exc).splitlines()[0] if str(exc).strip() else ""
        what = _classify(detail, line)
    snippet = line if len(line) <= _SNIPPET_LEN else line[:_SNIPPET_LEN] + "..."
    truncated = number == len(lines) and not text.endswith("\n")
    hint = "; the body ends mid-line (truncated?)" if truncated else ""
    return f"not Prometheus text exposition: {what} (line {number}: {snippet!r}){hint}"


def _classify(detail: str, line: str) -> str:
    if line.startswith("#"):
        return "malformed # TYPE or # HELP line"
    if "Invalid labels" in detail or "label" in detail:
        return "malformed labels"
    if "metric name" in detail:
        return "invalid metric name"
    if "convert string to float" in detail or "Invalid value" in detail:
        return "value is not a number"
    return detail[:80] or "unparseable line"


def _unquoted_quotes(line: str) -> int:
    count, escaped = 0, False
    for ch in line:
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == '"':
            count += 1
    return count

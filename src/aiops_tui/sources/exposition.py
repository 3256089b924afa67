"""Prometheus text exposition -> Samples: one scrape of a gateway's `/metrics`, checked and tidied.

Lines of the common shape (`name{label="value",...} value [timestamp]`, `# HELP`, `# TYPE`) are read
by regular expressions here; `prometheus_client.parser` reads every other sample line, and the whole
scrape when a `# HELP`/`# TYPE` line is unusual, so the result is what that parser alone would give.
Around the parsing, what a cockpit needs: garbage refused in one line that says where, `*_created`
and NaN dropped, label values capped, duplicate series tolerated, and sample names kept exactly as
Prometheus would store them.
"""

from __future__ import annotations

import hashlib
import math
import re
import sys
from collections.abc import Iterator, Mapping

from aiops_tui.model import Sample, SeriesKey, make_labels

MAX_EXPOSITION_BYTES = 8 * 1024 * 1024
"""Bodies above this are refused by the caller before parsing (a scrape is normally ~100 KB)."""

DEFAULT_MAX_LABEL_VALUE_LEN = 1024

# Anchored by hand (see _bare_counters): a leading `^[ \t]*` makes re try every position, 6x slower.
_COUNTER_TYPE_RE = re.compile(r"#[ \t]+TYPE[ \t]+(\S+)[ \t]+counter[ \t]*$", re.MULTILINE)
_JSON_START_RE = re.compile(r'\[|\{\s*(\}|"(?:[^"\\]|\\.)*"\s*:)')
_CONTROL_RE = re.compile(r"[\x00-\x08\x0e-\x1f\x7f\ufffd]")
_QUOTED_OR_COMMENT_RE = re.compile(r'"(?:[^"\\\n]|\\.)*(?:"|$)|^[ \t]*#.*$', re.MULTILINE)
_SNIPPET_LEN = 60

# The fast path's grammar: only what prometheus_client reads the same way. A legal name glued to its
# label set, plain `name="value"` pairs, one space before the value and before an integer timestamp.
# Integers are told apart because prometheus_client reads them with int() (so "-0" is 0.0, not -0.0)
# and past 308 digits int() -> float may raise; those lines go to prometheus_client.
_COMMENT_WS = "[ \t\n\r\x0b\x0c]"  # string.whitespace: what prometheus_client splits comment lines on
_META_RE = re.compile(
    rf"#{_COMMENT_WS}+(HELP|TYPE){_COMMENT_WS}+([a-zA-Z_:][a-zA-Z0-9_:]*)(?:{_COMMENT_WS}+(.*))?"
)
_META_WORD_RE = re.compile(rf"[^ \t\n\r\x0b\x0c]*{_COMMENT_WS}+(?:HELP|TYPE)(?:{_COMMENT_WS}|$)")
_LABEL_VALUE = r'"([^"\\]*(?:\\.[^"\\]*)*)"'
_LABEL_RE = re.compile(rf"([a-zA-Z_][a-zA-Z0-9_]*)={_LABEL_VALUE}")
_LABEL_PAIR = rf"[a-zA-Z_][a-zA-Z0-9_]*={_LABEL_VALUE.replace('(', '(?:', 1)}"
_SAMPLE_RE = re.compile(
    r"([a-zA-Z_:][a-zA-Z0-9_:]*)"
    rf"(?:\{{((?:{_LABEL_PAIR}(?:,{_LABEL_PAIR})*,?)?)\}})?"
    r" (?:([-+]?[0-9]{1,308})"
    r"|([-+]?(?:[0-9]+\.[0-9]*(?:[eE][-+]?[0-9]+)?|\.[0-9]+(?:[eE][-+]?[0-9]+)?|[0-9]+[eE][-+]?[0-9]+|NaN|Inf)))"
    r"(?: -?[0-9]{1,18})?"
)
_ESCAPE_RE = re.compile(r'\\[\\n"]')
_UNESCAPED = {"\\\\": "\\", "\\n": "\n", '\\"': '"'}
_SUFFIXES_BY_TYPE = {"summary": ("_count", "_sum", ""), "histogram": ("_count", "_sum", "_bucket")}

_RawSample = tuple[str, dict[str, str], float]
"""(name, labels, value) of one sample line as prometheus_client reads it (the value may be an int)."""


class ExpositionError(ValueError):
    """The body is not Prometheus text exposition; the message is one line naming what and where."""


def parse_exposition(
    text: str, *, source: str, ts: float, max_label_value_len: int = DEFAULT_MAX_LABEL_VALUE_LEN,
    fast_path: bool = True, known_keys: Mapping[SeriesKey, SeriesKey] | None = None,
) -> list[Sample]:
    """Every sample of one scrape, stamped `ts` (timestamps inside the exposition are ignored).

    Dropped: `*_created` samples (creation times, not measurements) and NaN values of every type
    (a NaN counter or histogram is meaningless; a NaN gauge means "no value", and storing it would
    poison every average and max drawn over it). +Inf and -Inf are kept. When one scrape repeats
    a series, the last value wins. `fast_path=False` gives every line to prometheus_client (the
    tests hold the two to the same result).

    `known_keys` (an earlier scrape's keys, each mapped to itself) gives each sample the equal key
    object from there instead of its own: the poller keeps a minute of scrapes for its rates, and
    a LiteLLM series' key is some 40 objects (its labels' tuples and strings). A new key's strings
    are interned.
    """
    text = text.removeprefix("\ufeff")
    _refuse_obvious_garbage(text)
    # prometheus_client renames the samples of a counter declared without `_total` (Envoy's style)
    # to `..._total`; Prometheus stores them as written, and the PromQL we run says so.
    bare_counters = _bare_counters(text)
    if fast_path:
        scrape = _Scrape(source, ts, max_label_value_len, bare_counters, known_keys)
        try:
            _read_fast(text, scrape)
            return list(scrape.by_key.values())
        except _NotSure:
            pass
    scrape = _Scrape(source, ts, max_label_value_len, bare_counters, known_keys)
    _read_with_prometheus_client(text, scrape)
    return list(scrape.by_key.values())


def _bare_counters(text: str) -> set[str]:
    """Names on `# TYPE name counter` lines (only blanks before the `#`) that do not end in `_total`."""
    names = set()
    for match in _COUNTER_TYPE_RE.finditer(text):
        line_start = text.rfind("\n", 0, match.start()) + 1
        name = match.group(1)
        if not text[line_start : match.start()].strip(" \t") and not name.endswith("_total"):
            names.add(name)
    return names


class _Scrape:
    """The samples kept so far, by series: what both readers hand their families to."""

    def __init__(self, source: str, ts: float, max_label_value_len: int, bare_counters: set[str],
                 known_keys: Mapping[SeriesKey, SeriesKey] | None = None) -> None:
        self.source, self.ts, self.max_label_value_len = source, ts, max_label_value_len
        self.bare_counters = bare_counters
        self.known_keys = known_keys or {}
        self.by_key: dict[SeriesKey, Sample] = {}

    def keep(self, name: str, labels: dict[str, str], raw_value: float) -> None:
        """One sample as named after its family's rules: dropped, capped, or the series' last value."""
        if name.endswith("_created"):
            return
        value = float(raw_value)
        if math.isnan(value):
            return
        limit = self.max_label_value_len
        if labels and max(map(len, labels.values())) > limit:
            labels = {k: _cap(v, limit) for k, v in labels.items()}
        key = SeriesKey(self.source, name, make_labels(labels))
        key = self.known_keys.get(key) or _interned(key)
        self.by_key[key] = Sample(key, self.ts, value)


def _interned(key: SeriesKey) -> SeriesKey:
    """The key with one copy of each name and value string for the process: a LiteLLM series carries
    a dozen labels whose names, and most values, every other series repeats."""
    return SeriesKey(sys.intern(key.source), sys.intern(key.name),
                     tuple((sys.intern(name), sys.intern(value)) for name, value in key.labels))


def _read_with_prometheus_client(text: str, scrape: _Scrape) -> None:
    # text_string_to_metric_families(text) is this same parser over io.StringIO(text); feeding it
    # counted lines lets an error name its line.
    from prometheus_client.parser import text_fd_to_metric_families

    lines = _CountedLines(text)
    try:
        for family in text_fd_to_metric_families(lines):  # type: ignore[arg-type]
            restore = family.type == "counter" and family.name in scrape.bare_counters
            for s in family.samples:
                name = s.name[: -len("_total")] if restore and s.name.endswith("_total") else s.name
                scrape.keep(name, s.labels, s.value)
    except (ValueError, OverflowError) as exc:  # a 309-digit integer overflows a float
        raise ExpositionError(_describe_bad_line(text, lines.number, exc)) from None


class _CountedLines:
    """The body's lines, remembering which one the parser is on so an error can name it."""

    def __init__(self, text: str) -> None:
        self._text = text
        self.number = 0

    def __iter__(self) -> Iterator[str]:
        for self.number, line in enumerate(self._text.split("\n"), 1):  # noqa: B007
            yield line


class _NotSure(Exception):
    """A `# HELP`/`# TYPE` line the fast path cannot read as prometheus_client would."""


def _read_fast(text: str, scrape: _Scrape) -> None:
    """prometheus_client's reading, line for line: the same families, flushed at the same lines.

    A family's samples wait until it ends, as in prometheus_client, because a later `# TYPE` of the
    same name changes how they are named.
    """
    from prometheus_client.metrics_core import Metric
    from prometheus_client.parser import _parse_sample  # one sample line; the version is pinned in pyproject

    family, family_type, allowed, pending = "", "untyped", (), []
    number = 0  # the line being read: flush() names it when a family is refused

    def flush(name: str, name_type: str, samples: list[_RawSample]) -> None:
        # build_metric: a counter family's name loses `_total`, or its samples' names gain it; then
        # Metric refuses an empty name or an unknown type, at the line that ends the family.
        add_total = name_type == "counter" and not name.endswith("_total")
        family_name = name[: -len("_total")] if name_type == "counter" and not add_total else name
        try:
            Metric(family_name, "", name_type)
        except (ValueError, OverflowError) as exc:  # a 309-digit integer overflows a float
            raise ExpositionError(_describe_bad_line(text, number, exc)) from None
        restore = name_type == "counter" and family_name in scrape.bare_counters
        for sample_name, labels, value in samples:
            if add_total:
                sample_name += "_total"
            if restore and sample_name.endswith("_total"):
                sample_name = sample_name[: -len("_total")]
            try:
                scrape.keep(sample_name, labels, value)
            except OverflowError as exc:  # as prometheus_client's Metric does when the family ends
                raise ExpositionError(_describe_bad_line(text, number, exc)) from None

    for number, line in enumerate(text.split("\n"), 1):
        line = line.strip()
        if not line:
            continue
        if line[0] == "#":
            meta = _META_RE.fullmatch(line)
            if meta is None:
                # A plain comment is skipped; one that prometheus_client might take for HELP or TYPE is not ours.
                if ('"' in line and ("HELP" in line or "TYPE" in line)) or _META_WORD_RE.match(line):
                    raise _NotSure
                continue
            keyword, name, rest = meta.groups()
            if keyword == "HELP":
                if name != family:
                    if family:
                        flush(family, family_type, pending)
                    family, family_type, allowed, pending = name, "untyped", (name,), []
            elif rest is None:
                raise _NotSure  # `# TYPE name` alone: prometheus_client refuses it, and says so
            else:
                if name != family:
                    if family:
                        flush(family, family_type, pending)
                    family, pending = name, []
                family_type = rest
                allowed = tuple(name + suffix for suffix in _SUFFIXES_BY_TYPE.get(rest, ("",)))
            continue
        match = _SAMPLE_RE.fullmatch(line)
        sample = _fast_sample(match) if match else None
        if sample is None:
            try:
                parsed = _parse_sample(line)
            except (ValueError, OverflowError) as exc:  # a 309-digit integer overflows a float
                raise ExpositionError(_describe_bad_line(text, number, exc)) from None
            sample = parsed.name, parsed.labels, parsed.value
        if sample[0] in allowed:
            pending.append(sample)
        else:
            # Not this family's: it ends, and the sample is a family of its own.
            if family:
                flush(family, family_type, pending)
            family, family_type, allowed, pending = "", "untyped", (), []
            flush(sample[0], "untyped", [sample])
    if family:
        flush(family, family_type, pending)


def _fast_sample(match: re.Match[str]) -> _RawSample | None:
    name, label_text, integer, number = match.groups()
    labels: dict[str, str] = {}
    if label_text:
        if "\\" in label_text:
            pairs = [(k, _ESCAPE_RE.sub(_unescape, v)) for k, v in _LABEL_RE.findall(label_text)]
        else:
            # Without escapes every quote delimits a value: `a="x",b="y"` splits to a=, x, ,b=, y, ''.
            parts = label_text.split('"')
            pairs = [(parts[0][:-1], parts[1])]
            pairs += [(parts[i][1:-1], parts[i + 1]) for i in range(2, len(parts) - 1, 2)]
        labels = dict(pairs)
        if len(labels) != len(pairs):
            return None  # a repeated label name: prometheus_client refuses the line
        if "__" in label_text and any(k.startswith("__") for k in labels):
            return None  # `__name__` and reserved names: prometheus_client's rules
    return name, labels, int(integer) if integer is not None else float(number)


def _unescape(match: re.Match[str]) -> str:
    return _UNESCAPED[match.group(0)]


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


def _describe_bad_line(text: str, number: int, exc: Exception) -> str:
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

"""The exposition fast path gives exactly what prometheus_client's parser gives: the same samples in
the same order (values compared by repr, so -0.0 and 0.0 differ), or the same error."""

from __future__ import annotations

import math
from contextlib import contextmanager
from pathlib import Path
from unittest import mock

import prometheus_client.parser
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from aiops_tui.sim import exposition as sim_exposition
from aiops_tui.sim.model import GatewayModel
from aiops_tui.sources.exposition import parse_exposition

FIXTURES = Path(__file__).parent.parent / "fixtures"
TS = 1_795_573_800.0
PROPERTY = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def outcome(text: str, *, fast_path: bool, max_label_value_len: int = 1024):
    """The samples exactly (key, ts, repr of value), or the exception's type and message."""
    try:
        samples = parse_exposition(text, source="gw", ts=TS, max_label_value_len=max_label_value_len,
                                   fast_path=fast_path)
    except Exception as exc:  # noqa: BLE001 — any exception must match too
        return ("raised", type(exc).__name__, str(exc))
    return ("samples", [(s.key, s.ts, repr(s.value)) for s in samples])


@contextmanager
def prometheus_client_unavailable():
    """Any line handed to prometheus_client fails the test: what passes was read by the fast path alone."""
    def refuse(*_args):
        raise AssertionError("the fast path handed a line to prometheus_client")

    with mock.patch.object(prometheus_client.parser, "text_fd_to_metric_families", refuse), \
            mock.patch.object(prometheus_client.parser, "_parse_sample", refuse):
        yield


def sim_text(convention: str) -> str:
    model = GatewayModel(5, TS - 600.0, convention=convention)
    model.advance(TS)
    return sim_exposition.render(model.families())


SCRAPES = {
    "litellm-1.108.7": lambda: (FIXTURES / "litellm-1.108.7-metrics.txt").read_text(),
    "otel-genai": lambda: (FIXTURES / "otel-genai-metrics.txt").read_text(),
    "sim-litellm": lambda: sim_text("litellm"),
    "sim-otel": lambda: sim_text("otel"),
}


@pytest.mark.parametrize("name", sorted(SCRAPES))
def test_real_scrapes_are_read_by_the_fast_path_alone_with_the_same_samples(name):
    text = SCRAPES[name]()
    expected = outcome(text, fast_path=False)
    assert expected[0] == "samples" and len(expected[1]) > 100
    with prometheus_client_unavailable():
        assert outcome(text, fast_path=True) == expected


def test_a_short_label_cap_gives_the_same_truncated_values():
    text = SCRAPES["litellm-1.108.7"]()
    expected = outcome(text, fast_path=False, max_label_value_len=8)
    assert [value for key, _, _ in expected[1] for _, value in key.labels if "...[truncated" in value]
    assert outcome(text, fast_path=True, max_label_value_len=8) == expected


# --- generated expositions -------------------------------------------------------------------------

name_start = "abcxyzABC_:"
plain_names = st.builds(lambda a, b: a + b, st.sampled_from(name_start), st.text(name_start + "0123456789", max_size=6))
# A small pool of bases, so TYPE lines and sample lines often name the same family.
bases = st.sampled_from(["up", "req", "lat", "c", "lat_total", "_total"]) | plain_names
suffixes = st.sampled_from(["", "", "_total", "_bucket", "_count", "_sum", "_created", "_total_created"])
metric_names = st.builds(lambda base, suffix: base + suffix, bases, suffixes)
raw_values = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\n"), max_size=12)
label_values = raw_values | st.sampled_from(["+Inf", "0.5", "", "a,b", "}", "{", "\\", '"', "\n", "ü", "x\\ty", "\\n"])
label_names = st.sampled_from(["model", "le", "quantile", "a", "_x", "status_code"]) | st.text(
    "abz_09", min_size=1, max_size=4).filter(lambda n: not n[0].isdigit() and not n.startswith("__"))
label_pairs = st.lists(st.tuples(label_names, label_values), max_size=4, unique_by=lambda pair: pair[0])
numbers = (
    st.sampled_from(["NaN", "+Inf", "-Inf", "Inf", "-NaN", "1e308", "1e309", "-1e309", "-0", "0", "-0.0", "+0", "1.5",
                     ".5", "1.", "5e-324", "1e-400", "007", "12345678901234567890", "1" + "0" * 300, "2E+3"])
    | st.floats(allow_nan=True).map(lambda f: repr(f).replace("nan", "NaN").replace("inf", "Inf"))
    | st.integers(min_value=-(10**20), max_value=10**20).map(str)
)
timestamps = st.sampled_from(["", "", " 1700000000000", " -5", " 0", " " + "9" * 18])
types = st.sampled_from(["counter", "gauge", "histogram", "summary", "untyped", "unknown", "info", "stateset",
                         "gaugehistogram"])
docs = raw_values | st.just('say "hi" \\n\\\\ HELP TYPE')


def escaped(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def sample_line(name: str, pairs: list[tuple[str, str]], value: str, timestamp: str = "", *, braces: bool = True,
                trailing_comma: bool = False) -> str:
    labels = ",".join(f'{k}="{escaped(v)}"' for k, v in pairs) + ("," if trailing_comma and pairs else "")
    return name + ("{" + labels + "}" if pairs or braces else "") + " " + value + timestamp


samples = st.builds(sample_line, metric_names, label_pairs, numbers, timestamps, braces=st.booleans(),
                    trailing_comma=st.booleans())
meta = (st.builds(lambda name, kind: f"# TYPE {name} {kind}", metric_names, types)
        | st.builds(lambda name, doc: f"# HELP {name} {doc}".rstrip(), metric_names, docs))


def family_block(base: str, kind: str, doc: str | None, typed: bool, members: list) -> list[str]:
    """A family as exporters write it: HELP and TYPE (either may be missing), then its samples."""
    lines = [f"# HELP {base} {doc}".rstrip()] if doc is not None else []
    lines += [f"# TYPE {base} {kind}"] if typed else []
    stem = base.removesuffix("_total") or base
    return lines + [sample_line(stem + suffix, pairs, value, ts) for suffix, pairs, value, ts in members]


families = st.builds(family_block, metric_names, types, st.none() | docs, st.booleans(),
                     st.lists(st.tuples(suffixes, label_pairs, numbers, timestamps), max_size=4))
blank_lines = st.sampled_from(["", "   ", "\r", "\x0c"])
decorated = st.builds(lambda lead, line, trail: lead + line + trail, st.sampled_from([" ", "\t", "\x0b"]),
                      samples | meta, st.sampled_from(["", "\r", " ", "\x85"]))
good_bodies = st.lists(families | st.one_of(samples, meta, blank_lines, decorated).map(lambda line: [line]),
                       min_size=1, max_size=10).map(lambda chunks: [line for chunk in chunks for line in chunk])

# Near misses of the common shape: prometheus_client reads them (or refuses them) in its own way.
odd_names = st.sampled_from(["", "1up", "up-x", "up.x", '"up"', "ünï", "up ", " up", "up\t", "up#"])
odd_label_names = st.sampled_from(["__name__", "__reserved", "a:b", "1a", "é", "", '"q"', "a b"])
odd_numbers = st.sampled_from(["1" + "0" * 308, "1" + "0" * 400, "9" * 4400, "nan", "inf", "+inf", "Infinity", "0x10", "1_000", "1e",
                               "", "abc", "1,5", "٣", " 1", "1 ", "1\t"])
odd_timestamps = st.sampled_from([" 1.5e3", " x", " " + "9" * 400, " 1 2", "\t17", ' # {a="b"} 1', "  5", " +5"])
one_flaw = st.one_of(
    st.builds(lambda name, pairs, extra, value: sample_line(name, pairs + [extra], value),  # reserved or bad name
              metric_names, label_pairs, st.tuples(odd_label_names, label_values), numbers),
    st.builds(lambda name, pairs, value: sample_line(name, pairs + pairs[:1], value),  # a label twice
              metric_names, label_pairs, numbers),
    st.builds(sample_line, metric_names, label_pairs, odd_numbers),
    st.builds(sample_line, metric_names, label_pairs, numbers, odd_timestamps),
    st.builds(sample_line, odd_names, label_pairs, numbers),
    st.builds(lambda line, old, new: line.replace(old, new, 1), samples,
              st.sampled_from([" ", "=", ",", '"', "{", "}", "\\"]), st.sampled_from(["\t", "  ", " = ", ", ", "", '\\"'])),
)
raw_label_sets = st.sampled_from(['{a="\\\\"}', '{a="\\\\\\""}', '{a="\\"}', '{a="a\\tb"}', '{a="open}', '{a=unquoted}',
                                  '{,a="b"}', '{,}', '{', '}', '{a="b"} {', '{__name__="up"}', '{__name__=""}'])
odd_samples = one_flaw | st.builds(lambda name, labels, value: name + labels + " " + value,
                                   st.just("") | metric_names, raw_label_sets, numbers)
odd_meta = (
    st.builds(lambda name, kind: f"# TYPE {name} {kind}", metric_names | odd_names,
              st.sampled_from(["counter x", "Counter", "", "bogus", "untyped "]))
    | st.builds(lambda ws, word, name, kind: f"#{ws}{word}{ws}{name} {kind}",
                st.sampled_from(["\t", "  ", "\x0b", "", " \x0c"]), st.sampled_from(["HELP", "TYPE"]),
                metric_names | odd_names, types)
    | st.sampled_from(["#", "# plain comment", "#HELP up x", "# HELP", "# TYPE", "# TYPE up", '#"a b" HELP up x',
                       '# "quoted" TYPE x', "# a HELP b", "#x TYPE up counter", "# EOF", '# say "HELP"'])
)


def interleave(body: list[str], odd: list[tuple[int, str]]) -> list[str]:
    body = list(body)
    for position, line in odd:
        body.insert(position % (len(body) + 1), line)
    return body


# Mostly the common shape, so a scrape goes on long enough for families to interact; at most two odd lines.
bodies = st.builds(interleave, good_bodies,
                   st.lists(st.tuples(st.integers(min_value=0, max_value=40), odd_samples | odd_meta), max_size=2))


@PROPERTY
@given(bodies, st.booleans())
@example(["# TYPE foo counter", "# TYPE foo_total counter", "foo_total 1"], True)
@example(["# TYPE x counter", "x 1", "# TYPE x gauge", "x 2"], True)
@example(["# TYPE x counter", "# HELP y y", "y 1"], True)
@example(["# TYPE up gauge", "up 1", "req 2", "up 3"], True)
@example(['m{a="1"} -0', 'm{a="2"} -0.0', 'm{a="3"} 1' + "0" * 307, 'm{a="4"} 1' + "0" * 400], True)
@example(['m{a="1"} 1 ' + "9" * 400], True)
@example(['m{a="x\\\\n\\"y\\t"} 1', 'm{a="x",a="y"} 1'], False)
@example(['m{__name__="n"} 1'], True)
@example(['m{__reserved="n"} 1'], True)
@example(["#x HELP up", "up 1"], True)
@example(["# TYPE up bogus", '{__name__=""} 1'], True)
def test_generated_expositions_read_the_same_either_way(body_lines, final_newline):
    text = "\n".join(body_lines) + ("\n" if final_newline else "")
    assert outcome(text, fast_path=True) == outcome(text, fast_path=False)


@PROPERTY
@given(good_bodies)
def test_common_shapes_are_read_by_the_fast_path_alone(body_lines):
    text = "\n".join(body_lines) + "\n"
    expected = outcome(text, fast_path=False)
    with prometheus_client_unavailable():
        assert outcome(text, fast_path=True) == expected


# Mutations of a real scrape: mostly near misses of the common shape, where errors must also agree.
REAL_LINES = (FIXTURES / "litellm-1.108.7-metrics.txt").read_text().splitlines()


def mutate(line: str, kind: str, at: int, piece: str) -> str:
    at = at % (len(line) + 1)
    return {"delete": line[:at] + line[at + 1:], "insert": line[:at] + piece + line[at:],
            "replace": line[:at] + piece + line[at + len(piece):], "truncate": line[:at], "keep": line}[kind]


mutations = st.tuples(st.sampled_from(["delete", "insert", "replace", "truncate", "keep"]),
                      st.integers(min_value=0, max_value=500),
                      st.text('{}",=\\#\n \t_e+-.0123456789aIN', min_size=1, max_size=3))


@PROPERTY
@given(st.lists(st.tuples(st.sampled_from(REAL_LINES), mutations), min_size=1, max_size=15))
def test_mutated_real_lines_read_the_same_either_way(picks):
    text = "\n".join(mutate(line, *m) for line, m in picks) + "\n"
    assert outcome(text, fast_path=True) == outcome(text, fast_path=False)


def test_nan_is_still_dropped_and_minus_zero_kept_as_prometheus_client_reads_it():
    text = 'g{a="1"} NaN\ng{a="2"} -0\ng{a="3"} -0.0\n'
    samples = parse_exposition(text, source="s", ts=1.0)
    assert [math.copysign(1.0, s.value) for s in samples] == [1.0, -1.0]  # int("-0") is 0

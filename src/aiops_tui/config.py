"""Load aiops-tui's YAML config into frozen dataclasses, driven by one schema table.

Every error is a one-line `ConfigError` naming `file:line:column`; every value remembers its origin.
"""

from __future__ import annotations

import base64
import difflib
import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Callable, Mapping, NamedTuple
from urllib.parse import urlsplit

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from aiops_tui.errors import UserError
from aiops_tui.yaml_keys import DuplicateKeyError, unique_entries
from aiops_tui.yaml_keys import quote as _quote

CONFIG_ENV_VAR = "AIOPS_TUI_CONFIG"
DEFAULTS = "defaults"
_EMPTY: Mapping[str, Any] = MappingProxyType({})


class ConfigError(UserError):
    """A config problem, printed as `file:line:column: message` (line/column 1-based)."""

    def __init__(self, file: str, message: str, line: int | None = None, column: int | None = None):
        self.file, self.reason, self.line, self.column = file, message, line, column
        where = file if line is None else f"{file}:{line}:{column}"
        super().__init__(f"{where}: {message}")


def _token(name: str | None, env: Mapping[str, str] | None) -> str | None:
    # Read at the moment of use so the secret never sits in a config object or its repr.
    return ((os.environ if env is None else env).get(name) or None) if name else None


@dataclass(frozen=True, slots=True)
class BasicAuthConfig:
    """A user and the NAME of the environment variable holding the password (Grafana Cloud: the instance's
    id and an access token), never the password."""

    username: str
    password_env: str


@dataclass(frozen=True, slots=True)
class PrometheusConfig:
    url: str
    headers: Mapping[str, str]
    bearer_token_env: str | None
    verify_tls: bool
    interval_s: float
    timeout_s: float
    profile: str
    queries: Mapping[str, str]
    basic_auth: BasicAuthConfig | None = None
    ca_file: Path | None = None
    """PEM certificates of the CAs to trust instead of the system's (a Prometheus behind an internal CA)."""

    def bearer_token(self, env: Mapping[str, str] | None = None) -> str | None:
        return _token(self.bearer_token_env, env)

    def request_headers(self, env: Mapping[str, str] | None = None) -> dict[str, str]:
        """The configured headers and, when the token's or the password's variable is set, the Authorization
        they make: read now, never kept."""
        headers = dict(self.headers)
        token = self.bearer_token(env)
        if token:
            headers["Authorization"] = f"Bearer {token}"
        elif self.basic_auth is not None:
            password = _token(self.basic_auth.password_env, env)
            if password:
                pair = f"{self.basic_auth.username}:{password}".encode()
                headers["Authorization"] = f"Basic {base64.b64encode(pair).decode('ascii')}"
        return headers

    def login_hint(self, env: Mapping[str, str] | None = None) -> str:
        """What to check when Prometheus refuses the login (401, 403), in a few words for the status line: the
        variable that is not set, or that holds a wrong secret, or that no login is configured."""
        name = self.bearer_token_env or (self.basic_auth.password_env if self.basic_auth is not None else None)
        if name is None:
            return "set bearer_token_env or basic_auth"
        return f"{name} is not set" if _token(name, env) is None else f"is {name} right?"


@dataclass(frozen=True, slots=True)
class GatewayConfig:
    name: str
    metrics_url: str
    status_url: str | None
    kind: str
    bearer_token_env: str | None
    interval_s: float
    timeout_s: float
    ca_file: Path | None = None
    """PEM certificates of the CAs to trust instead of the system's (a gateway behind an internal CA)."""

    def bearer_token(self, env: Mapping[str, str] | None = None) -> str | None:
        return _token(self.bearer_token_env, env)


@dataclass(frozen=True, slots=True)
class TargetsConfig:
    latency_p95_ms: float
    error_ratio: float
    cache_hit_ratio: float
    fallback_ratio: float
    validation_pass_ratio: float
    audit_coverage_ratio: float


@dataclass(frozen=True, slots=True)
class BudgetConfig:
    monthly_usd: float  # 0 = no budget set
    per_model_usd: Mapping[str, float]
    per_team_usd: Mapping[str, float]
    exclude_teams: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class RetentionConfig:
    raw_s: float
    rollup_1m_s: float
    rollup_1h_s: float


@dataclass(frozen=True, slots=True)
class RunbooksConfig:
    dirs: tuple[Path, ...]


@dataclass(frozen=True, slots=True)
class Config:
    environment: str
    history_path: Path
    interval_s: float
    timeout_s: float
    stale_after: int  # missed intervals before a source counts as stale
    prometheus: PrometheusConfig | None
    gateways: tuple[GatewayConfig, ...]
    targets: TargetsConfig
    budget: BudgetConfig
    pricing_path: Path | None  # None = the packaged demo_data/pricing.yaml
    retention: RetentionConfig
    runbooks: RunbooksConfig
    theme: str
    lang: str
    source_path: Path | None = None
    origins: Mapping[str, str] = field(default_factory=dict, repr=False, compare=False)

    @property
    def source(self) -> str:
        return str(self.source_path) if self.source_path else DEFAULTS


# -- paths ------------------------------------------------------------------------------------


def _home(env: Mapping[str, str]) -> Path:
    return Path(env["HOME"]) if env.get("HOME") else Path.home()


def _xdg(env: Mapping[str, str], var: str, fallback: str) -> Path:
    value = env.get(var, "")
    # The XDG spec says relative values are invalid and must be ignored.
    return Path(value) if os.path.isabs(value) else _home(env) / fallback


def default_history_path(env: Mapping[str, str] | None = None) -> Path:
    return _xdg(os.environ if env is None else env, "XDG_DATA_HOME", ".local/share") / "aiops-tui" / "history.duckdb"


def user_config_path(env: Mapping[str, str] | None = None) -> Path:
    return _xdg(os.environ if env is None else env, "XDG_CONFIG_HOME", ".config") / "aiops-tui" / "config.yaml"


def user_themes_dir(env: Mapping[str, str] | None = None) -> Path:
    return user_config_path(env).parent / "themes"


def _expand(text: str, env: Mapping[str, str], base_dir: Path) -> Path:
    """Expand `$VAR`, `${VAR}` and a leading `~`, then resolve a relative path against base_dir."""
    text = re.sub(r"\$(\w+)|\$\{(\w+)\}", lambda m: env.get(m[1] or m[2], m[0]), text)
    if text == "~" or text.startswith("~/"):
        text = str(_home(env)) + text[1:]
    return base_dir / text


# -- scalar kinds: each parses a YAML node (raising at its mark) and shows a value back -------


class _Ctx:
    def __init__(self, file: str, text: str, env: Mapping[str, str], base_dir: Path):
        self.file, self.env, self.base_dir = file, env, base_dir
        self.loader = yaml.SafeLoader(text)
        self.origins: dict[str, str] = {}
        self.top: dict[str, Any] = {}  # top-level values, for keys that inherit them

    def fail(self, node: Node, message: str) -> None:
        mark = node.start_mark
        raise ConfigError(self.file, message, mark.line + 1, mark.column + 1)

    def origin(self, node: Node) -> str:
        return f"{self.file}:{node.start_mark.line + 1}"


class _Kind(NamedTuple):
    parse: Callable[[Node, _Ctx], Any]
    show: Callable[[Any], str] = lambda value: _inline(value)


_TAG = "tag:yaml.org,2002:"


def _is_null(node: Node | None) -> bool:
    return node is None or (isinstance(node, ScalarNode) and node.tag == _TAG + "null")


def _describe(node: Node) -> str:
    if isinstance(node, MappingNode):
        return "mapping"
    if isinstance(node, SequenceNode):
        return "list"
    kind = {"str": "string", "int": "number", "float": "number", "bool": "boolean", "null": "null"}
    name = kind.get(node.tag.removeprefix(_TAG), node.tag)
    if name == "null":
        return "null"
    return f"{name} {_quote(node.value)}" if name != "number" else f"number {node.value}"


def _inline(value: Any) -> str:
    if isinstance(value, Mapping):
        value = {k: int(v) if isinstance(v, float) and v.is_integer() else v for k, v in value.items()}
    elif isinstance(value, (tuple, Path)):
        value = [str(v) for v in value] if isinstance(value, tuple) else str(value)
    elif isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return yaml.safe_dump(value, default_flow_style=True, width=10**6).removesuffix("...\n").strip()


def _text(node: Node, ctx: _Ctx) -> str:
    # The raw scalar text keeps `no` and `0.10` as written instead of YAML 1.1's False and 0.1.
    if not (isinstance(node, ScalarNode) and node.tag.removeprefix(_TAG) in ("str", "int", "float", "bool")):
        ctx.fail(node, f"expected a string, got {_describe(node)}")
    if not node.value.strip():
        ctx.fail(node, "expected a non-empty string")
    return node.value


def _number(node: Node, ctx: _Ctx) -> float:
    if not (isinstance(node, ScalarNode) and node.tag in (_TAG + "int", _TAG + "float")):
        ctx.fail(node, f"expected a number, got {_describe(node)}")
    try:
        value = float(ctx.loader.construct_object(node))
    except OverflowError:  # an integer too long for a float
        value = math.inf
    if not math.isfinite(value):
        shown = node.value if len(node.value) <= 40 else node.value[:37] + "..."
        ctx.fail(node, f"expected a finite number, got {shown}")
    return value


def _bounded(low: float, high: float, what: str) -> _Kind:
    def parse(node: Node, ctx: _Ctx) -> float:
        value = _number(node, ctx)
        if not low <= value <= high:
            ctx.fail(node, f"expected {what}, got {node.value}")
        return value

    return _Kind(parse)


def _whole_at_least_1(node: Node, ctx: _Ctx) -> int:
    if not (isinstance(node, ScalarNode) and node.tag == _TAG + "int") or ctx.loader.construct_object(node) < 1:
        ctx.fail(node, f"expected a whole number of at least 1, got {_describe(node)}")
    return int(ctx.loader.construct_object(node))


def _bool(node: Node, ctx: _Ctx) -> bool:
    if not (isinstance(node, ScalarNode) and node.tag == _TAG + "bool"):
        ctx.fail(node, f"expected true or false, got {_describe(node)}")
    return bool(ctx.loader.construct_object(node))


_UNIT_S = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400, "y": 365 * 86400}
_DURATION_PART = re.compile(r"\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w|y)")
_DURATION = re.compile(rf"\s*-?(?:{_DURATION_PART.pattern})+\s*")


def _unit_seconds(text: str) -> float:
    """The seconds of a duration written with units (`1h30m`, `-5m`): a text `_DURATION` matches."""
    sign = -1 if text.strip().startswith("-") else 1
    return sign * sum(float(n) * _UNIT_S[u] for n, u in _DURATION_PART.findall(text))


def _duration(node: Node, ctx: _Ctx) -> float:
    if isinstance(node, ScalarNode) and node.tag in (_TAG + "int", _TAG + "float"):
        seconds = _number(node, ctx)  # a bare number means seconds
    elif isinstance(node, ScalarNode) and node.tag == _TAG + "str" and _DURATION.fullmatch(node.value):
        seconds = _unit_seconds(node.value)
    elif isinstance(node, ScalarNode) and node.tag == _TAG + "str":
        ctx.fail(node, f"bad duration {_quote(node.value)}: use a number with s, m, h, d, w or y, like 15s or 5m")
    else:
        ctx.fail(node, f"expected a duration like 15s or 5m, got {_describe(node)}")
    if seconds <= 0:
        ctx.fail(node, f"expected a duration above zero, got {node.value}")
    if not math.isfinite(seconds):
        ctx.fail(node, f"expected a finite duration, got {_quote(node.value)}")
    return seconds


def parse_duration(text: str, *, flag: str = "duration") -> float:
    """A duration given on the command line (`--since 30d`), in seconds; UserError when malformed or not
    over 0."""
    if _DURATION.fullmatch(text):
        seconds = _unit_seconds(text)
    else:
        try:
            seconds = float(text)
        except ValueError:
            seconds = math.nan
    if seconds > 0 and math.isfinite(seconds):
        return seconds
    if seconds <= 0:
        raise UserError(f"{flag}: {text!r} is not a duration over 0")
    raise UserError(f"{flag}: bad duration {text!r}: use a number with s, m, h, d, w or y, like 15s or 30d")


def _show_duration(seconds: float) -> str:
    for unit in ("y", "d", "h", "m", "s", "ms"):  # no "w": 14d reads better than 2w
        count = seconds / _UNIT_S[unit]
        if count >= 1 and abs(count - round(count)) < 1e-9:
            return f"{round(count)}{unit}"
    return f"{seconds:g}s"


def _choice(*options: str) -> _Kind:
    def parse(node: Node, ctx: _Ctx) -> str:
        value = _text(node, ctx)
        if value not in options:
            close = difflib.get_close_matches(value, options, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            ctx.fail(node, f"expected one of {', '.join(options)}, got {_quote(value)}{hint}")
        return value

    return _Kind(parse)


def _url(node: Node, ctx: _Ctx) -> str:
    value = _text(node, ctx)
    try:
        parts = urlsplit(value)
        ok = parts.scheme in ("http", "https") and bool(parts.hostname) and (parts.port or 0) >= 0
    except ValueError:  # e.g. a port that is not a number
        ok = False
    if not ok:
        ctx.fail(node, f"bad URL {_quote(value)}: use http:// or https:// and a host, like http://127.0.0.1:9090")
    return value


def _env_name(node: Node, ctx: _Ctx) -> str:
    value = _text(node, ctx)
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", value):
        # Never echo the value: a user who pasted the token itself must not see it in logs.
        ctx.fail(node, "expected the name of an environment variable (like PROM_TOKEN), not the token itself")
    return value


def _path(node: Node, ctx: _Ctx) -> Path:
    return _expand(_text(node, ctx), ctx.env, ctx.base_dir)


def _ca_file(node: Node, ctx: _Ctx) -> Path:
    """A PEM bundle of CA certificates, loaded now: a wrong path or file is said with its line, not at the
    first poll."""
    import ssl

    path = _path(node, ctx)
    try:
        ssl.create_default_context(cafile=str(path))
    except ssl.SSLError as exc:  # before OSError, which it is too
        ctx.fail(node, f"ca_file {path}: no PEM certificate in it ({exc.reason or exc})")
    except OSError as exc:
        ctx.fail(node, f"ca_file {path}: {exc.strerror or exc}")
    return path


def _nullable(kind: _Kind) -> _Kind:
    def parse(node: Node, ctx: _Ctx) -> Any:
        return None if _is_null(node) else kind.parse(node, ctx)

    return _Kind(parse, kind.show)


def _entries(node: Node, ctx: _Ctx, what: str) -> dict[str, tuple[Node, Node]]:
    """A mapping node's entries by key text, refusing non-string and duplicate keys."""
    if _is_null(node):
        return {}
    if not isinstance(node, MappingNode):
        ctx.fail(node, f"expected a mapping of {what}, got {_describe(node)}")
    try:
        return unique_entries(node, lambda key_node: _text(key_node, ctx))
    except DuplicateKeyError as exc:
        mark = exc.node.start_mark
        raise ConfigError(ctx.file, exc.message(), mark.line + 1, mark.column + 1) from None


def _mapping_of(value: Callable[[Node, _Ctx], Any], what: str) -> _Kind:
    def parse(node: Node, ctx: _Ctx) -> Mapping[str, Any]:
        return MappingProxyType({k: value(v, ctx) for k, (_, v) in _entries(node, ctx, what).items()})

    return _Kind(parse)


def _headers(node: Node, ctx: _Ctx) -> Mapping[str, str]:
    for key, (key_node, _) in _entries(node, ctx, "header names to values").items():
        if key.lower() in ("authorization", "proxy-authorization", "cookie"):
            ctx.fail(key_node, f"header {_quote(key)} would keep a secret in the file: name an environment "
                               "variable with bearer_token_env (or basic_auth's password_env) instead")
    return _mapping_of(_text, "header names to values").parse(node, ctx)


def _list_of_text(node: Node, ctx: _Ctx) -> tuple[str, ...]:
    if _is_null(node):
        return ()
    if isinstance(node, ScalarNode) and node.tag == _TAG + "str":
        return (_text(node, ctx),)  # a single entry written without brackets
    if not isinstance(node, SequenceNode):
        ctx.fail(node, f"expected a list of strings, got {_describe(node)}")
    return tuple(_text(item, ctx) for item in node.value)


def _dirs(node: Node, ctx: _Ctx) -> tuple[Path, ...]:
    return tuple(_expand(text, ctx.env, ctx.base_dir) for text in _list_of_text(node, ctx))


TEXT, NUMBER_USD = _Kind(_text), _bounded(0, math.inf, "an amount in USD of 0 or more")
RATIO, DURATION = _bounded(0, 1, "a ratio between 0 and 1"), _Kind(_duration, _show_duration)
ENV_NAME = _Kind(_env_name)

# -- the schema table -------------------------------------------------------------------------


class _Key(NamedTuple):
    name: str  # as written in YAML
    attr: str  # dataclass field
    kind: Any  # _Kind, _Section or _ListOf
    default: Any = None  # a value, a callable(ctx), or _Inherit
    required: bool = False


class _Inherit(NamedTuple):
    """A section key that defaults to a top-level key's value (and origin)."""

    name: str
    attr: str


class _Section(NamedTuple):
    cls: type
    keys: tuple[_Key, ...]
    optional: bool = False  # absent or `null` -> None instead of all defaults
    check: Callable[[dict[str, Any], dict[str, tuple[Node, Node]], "_Ctx"], None] | None = None
    """Given the values read and the keys given (name -> key and value nodes): fails on keys that conflict."""


class _ListOf(NamedTuple):
    section: _Section
    item: str  # what one item is called in messages
    unique: str  # key (named as its field) that must differ between items


def _prometheus_checks(values: dict[str, Any], given: dict[str, tuple[Node, Node]], ctx: _Ctx) -> None:
    if values.get("bearer_token_env") and values.get("basic_auth") is not None:
        ctx.fail(given["basic_auth"][0], "bearer_token_env and basic_auth both say how to log in: keep one")
    if values.get("ca_file") is not None and not values.get("verify_tls", True):
        ctx.fail(given["ca_file"][0], "verify_tls: false checks no certificate, so ca_file would go unused: keep one")


_BASIC_AUTH = _Section(BasicAuthConfig, (
    _Key("username", "username", _Kind(_text), required=True),
    _Key("password_env", "password_env", ENV_NAME, required=True),
), optional=True)

_PROMETHEUS = _Section(PrometheusConfig, (
    _Key("url", "url", _Kind(_url), required=True),
    _Key("headers", "headers", _Kind(_headers), _EMPTY),
    _Key("bearer_token_env", "bearer_token_env", _nullable(ENV_NAME)),
    _Key("basic_auth", "basic_auth", _BASIC_AUTH),
    _Key("verify_tls", "verify_tls", _Kind(_bool), True),
    _Key("ca_file", "ca_file", _nullable(_Kind(_ca_file))),
    _Key("interval", "interval_s", DURATION, _Inherit("interval", "interval_s")),
    _Key("timeout", "timeout_s", DURATION, _Inherit("timeout", "timeout_s")),
    _Key("profile", "profile", _choice("auto", "litellm", "otel_genai", "aiops_sim"), "auto"),
    _Key("queries", "queries", _mapping_of(_text, "signal names to PromQL"), _EMPTY),
), optional=True, check=_prometheus_checks)


def _gateway_name(node: Node, ctx: _Ctx) -> str:
    """Not the name of another source: the history and the status line tell sources apart by name."""
    from aiops_tui.model import NOT_GATEWAYS, RULES_SOURCE

    name = _text(node, ctx)
    if name in (*NOT_GATEWAYS, RULES_SOURCE):
        ctx.fail(node, f"{_quote(name)} names another source; give the gateway another name")
    return name


_GATEWAY = _Section(GatewayConfig, (
    _Key("name", "name", _Kind(_gateway_name), required=True),
    _Key("metrics_url", "metrics_url", _Kind(_url), required=True),
    _Key("status_url", "status_url", _nullable(_Kind(_url))),
    _Key("kind", "kind", _choice("litellm", "health_json"), "litellm"),
    _Key("bearer_token_env", "bearer_token_env", _nullable(ENV_NAME)),
    _Key("interval", "interval_s", DURATION, _Inherit("interval", "interval_s")),
    _Key("timeout", "timeout_s", DURATION, _Inherit("timeout", "timeout_s")),
    _Key("ca_file", "ca_file", _nullable(_Kind(_ca_file))),
))

_TARGETS = _Section(TargetsConfig, (
    _Key("latency_p95_ms", "latency_p95_ms", _bounded(1e-9, math.inf, "a latency above 0 ms"), 5000.0),  # LLMLatencyP95High's
    _Key("error_ratio", "error_ratio", RATIO, 0.01),
    _Key("cache_hit_ratio", "cache_hit_ratio", RATIO, 0.60),
    _Key("fallback_ratio", "fallback_ratio", RATIO, 0.05),
    _Key("validation_pass_ratio", "validation_pass_ratio", RATIO, 0.98),
    _Key("audit_coverage_ratio", "audit_coverage_ratio", RATIO, 1.0),
))

_BUDGET = _Section(BudgetConfig, (
    _Key("monthly_usd", "monthly_usd", NUMBER_USD, 0.0),
    _Key("per_model", "per_model_usd", _mapping_of(NUMBER_USD.parse, "model names to USD"), _EMPTY),
    _Key("per_team", "per_team_usd", _mapping_of(NUMBER_USD.parse, "team names to USD"), _EMPTY),
    _Key("exclude_teams", "exclude_teams", _Kind(_list_of_text), ("litellm-internal-health-check",)),
))

_RETENTION = _Section(RetentionConfig, (
    _Key("raw", "raw_s", DURATION, 14 * 86400.0),
    _Key("1m", "rollup_1m_s", DURATION, 90 * 86400.0),
    _Key("1h", "rollup_1h_s", DURATION, 2 * 365 * 86400.0),
))

_RUNBOOKS = _Section(RunbooksConfig, (
    _Key("dirs", "dirs", _Kind(_dirs), lambda ctx: (ctx.base_dir / "runbooks",)),
))

_ROOT = _Section(Config, (
    _Key("environment", "environment", TEXT, "local"),
    _Key("history", "history_path", _Kind(_path), lambda ctx: default_history_path(ctx.env)),
    _Key("interval", "interval_s", DURATION, 5.0),
    _Key("timeout", "timeout_s", DURATION, 3.0),
    _Key("stale_after", "stale_after", _Kind(_whole_at_least_1), 3),
    _Key("prometheus", "prometheus", _PROMETHEUS),
    _Key("gateways", "gateways", _ListOf(_GATEWAY, "gateway", unique="name"), ()),
    _Key("targets", "targets", _TARGETS),
    _Key("budget", "budget", _BUDGET),
    _Key("pricing", "pricing_path", _nullable(_Kind(_path))),
    _Key("retention", "retention", _RETENTION),
    _Key("runbooks", "runbooks", _RUNBOOKS),
    _Key("theme", "theme", TEXT, "dark"),
    _Key("lang", "lang", _choice("en", "pt"), "en"),
))


def _read_section(section: _Section, node: Node | None, ctx: _Ctx, prefix: str, at: Node | None) -> dict[str, Any]:
    """Read a mapping node (None = absent) against a section's keys; `at` is blamed for a missing key."""
    if not _is_null(node) and not isinstance(node, MappingNode):
        ctx.fail(node, f"mapping expected, got {_describe(node)}")
    given, known = _entries(node, ctx, ""), [key.name for key in section.keys]
    for name, (key_node, _) in given.items():
        if name not in known:
            close = difflib.get_close_matches(name, known, n=1)
            hint = f"(did you mean {close[0]!r}?)" if close else f"(known keys: {', '.join(known)})"
            ctx.fail(key_node, f"unknown key {_quote(name)} {hint}")
    values = ctx.top if not prefix else {}  # the root's values double as what section keys inherit
    for key in section.keys:
        dotted = prefix + key.name
        if key.name in given:
            key_node, value_node = given[key.name]
            ctx.origins[dotted] = ctx.origin(key_node)
            values[key.attr] = _read_value(key.kind, value_node, ctx, dotted, key_node)
        elif key.required:
            where = f"{prefix.rstrip('.')}: " if prefix else ""
            ctx.fail(node if isinstance(node, MappingNode) else at, f"{where}missing required key {key.name!r}")
        elif isinstance(key.default, _Inherit):
            ctx.origins[dotted] = ctx.origins[key.default.name]
            values[key.attr] = ctx.top[key.default.attr]
        elif isinstance(key.kind, _Section):
            ctx.origins[dotted] = DEFAULTS
            values[key.attr] = None if key.kind.optional else _read_value(key.kind, None, ctx, dotted, None)
        else:
            ctx.origins[dotted] = DEFAULTS
            values[key.attr] = key.default(ctx) if callable(key.default) else key.default
    if section.check is not None:
        section.check(values, given, ctx)
    return values


def _read_value(kind: Any, node: Node | None, ctx: _Ctx, dotted: str, key_node: Node | None) -> Any:
    if isinstance(kind, _Section):
        if kind.optional and _is_null(node) and node is not None and node.value:
            return None  # `null` (as check-config writes it): left out. Empty, it is more likely a slip, said below.
        return kind.cls(**_read_section(kind, node, ctx, dotted + ".", key_node))
    if isinstance(kind, _ListOf):
        if _is_null(node):
            return ()
        if not isinstance(node, SequenceNode):
            ctx.fail(node, f"expected a list of {kind.item}s, got {_describe(node)}")
        items, first_line = [], {}
        for index, item_node in enumerate(node.value):
            item = _read_value(kind.section, item_node, ctx, f"{dotted}[{index}]", item_node)
            unique, at = getattr(item, kind.unique), _entries(item_node, ctx, "")[kind.unique][1]
            if unique in first_line:
                where = f"(first at line {first_line[unique]})"
                ctx.fail(at, f"duplicate {kind.item} {kind.unique} {_quote(unique)} {where}")
            first_line[unique] = at.start_mark.line + 1
            items.append(item)
        return tuple(items)
    return kind.parse(node, ctx)


# -- finding, loading, describing -------------------------------------------------------------


def _find(path: str | Path | None, env: Mapping[str, str], cwd: Path) -> tuple[Path, str] | None:
    """Return (file, name to show in messages) by the lookup order, or None for defaults."""
    given, why = (path, "") if path is not None else (env.get(CONFIG_ENV_VAR), f" (named by ${CONFIG_ENV_VAR})")
    if given:
        file = _expand(str(given), env, cwd)
        if not file.exists():
            raise ConfigError(str(given), f"no such config file{why}")
        if not file.is_file():
            raise ConfigError(str(given), f"not a file{why}")
        return file, str(given)
    for candidate in (cwd / "aiops.yaml", user_config_path(env)):
        if candidate.is_file():
            return candidate, str(candidate)
    return None


def _position(text: str, index: int) -> tuple[int, int]:
    """1-based line and column of a character index."""
    return text.count("\n", 0, index) + 1, index - (text.rfind("\n", 0, index) + 1) + 1


def _newlines(text: str) -> str:
    """Line ends as reading the file in text mode gives them: CR LF and a lone CR become LF."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _compose(ctx: _Ctx) -> Node | None:
    try:
        return ctx.loader.get_single_node()
    except RecursionError:  # PyYAML composes nested collections recursively
        mark = ctx.loader.get_mark()
        raise ConfigError(ctx.file, "YAML syntax error: nested too deeply", mark.line + 1, mark.column + 1) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        detail = exc.problem or exc.context or "unreadable"
        if exc.context and exc.context_mark and exc.problem:
            detail += f" ({exc.context} at line {exc.context_mark.line + 1})"
        if mark is None:
            raise ConfigError(ctx.file, f"YAML syntax error: {detail}") from None
        raise ConfigError(ctx.file, f"YAML syntax error: {detail}", mark.line + 1, mark.column + 1) from None
    except yaml.YAMLError as exc:
        raise ConfigError(ctx.file, f"YAML error: {exc}") from None


def load_config(
    path: str | Path | None = None, *, env: Mapping[str, str] | None = None, cwd: Path | None = None
) -> Config:
    """Find and load the config (explicit path, $AIOPS_TUI_CONFIG, ./aiops.yaml, XDG); defaults if none."""
    env = os.environ if env is None else env
    cwd = Path.cwd() if cwd is None else cwd
    found = _find(path, env, cwd)
    if found is None:
        ctx, root = _Ctx(DEFAULTS, "", env, cwd), None
    else:
        file, shown = found
        try:
            raw = file.read_bytes()
            text = _newlines(raw.decode("utf-8"))
        except UnicodeDecodeError as exc:
            # The bytes before the bad one decode: its line and column count characters, as YAML's do.
            before = _newlines(raw[: exc.start].decode("utf-8"))
            line, column = _position(before, len(before))
            raise ConfigError(shown, f"not UTF-8 text (bad byte 0x{raw[exc.start]:02X})", line, column) from None
        except OSError as exc:
            raise ConfigError(shown, f"cannot read: {exc.strerror}") from None
        try:
            ctx = _Ctx(shown, text, env, file.parent)
        except yaml.reader.ReaderError as exc:  # a control character anywhere in the file
            line, column = _position(text, exc.position)
            raise ConfigError(shown, f"YAML syntax error: control character U+{exc.character:04X} is not allowed", line, column) from None
        root = _compose(ctx)
    try:
        values = _read_section(_ROOT, root, ctx, "", root)
    finally:
        ctx.loader.dispose()
    return Config(**values, source_path=found[0] if found else None, origins=MappingProxyType(ctx.origins))


def _describe_section(section: _Section, obj: Any, prefix: str, pad: str, cfg: Config, env: Mapping[str, str],
                      lines: list[str], first_pad: str | None = None) -> None:
    for index, key in enumerate(section.keys):
        value, dotted = getattr(obj, key.attr), prefix + key.name
        lead = first_pad if index == 0 and first_pad is not None else pad  # "- " opens a list item
        origin = cfg.origins.get(dotted, DEFAULTS)
        note = "# default" if origin == DEFAULTS else f"# from {origin}"
        if isinstance(key.kind, _Section) and value is not None:
            lines.append(f"{lead}{key.name}:")
            _describe_section(key.kind, value, dotted + ".", pad + "  ", cfg, env, lines)
        elif isinstance(key.kind, _ListOf) and value:
            lines.append(f"{lead}{key.name}:  {note}")
            for i, item in enumerate(value):
                _describe_section(key.kind.section, item, f"{dotted}[{i}].", pad + "    ", cfg, env, lines, pad + "  - ")
        else:
            shown = "null" if value is None else key.kind.show(value) if isinstance(key.kind, _Kind) else "[]"
            if key.name.endswith("_env") and value:
                note += " (set in the environment)" if env.get(value) else " (not set in the environment)"
            lines.append(f"{lead}{key.name}: {shown}  {note}")


def describe_config(cfg: Config, env: Mapping[str, str] | None = None) -> str:
    """The effective config as YAML, each leaf commented with `# default` or `# from file:line`."""
    lines = [f"# config: {cfg.source}"]
    _describe_section(_ROOT, cfg, "", "", cfg, os.environ if env is None else env, lines)
    return "\n".join(lines) + "\n"


def locate_paths(cfg: Config, env: Mapping[str, str] | None = None) -> dict[str, Path]:
    """Where the config, history data, user themes and first runbooks directory live."""
    env = os.environ if env is None else env
    return {
        "config": cfg.source_path or user_config_path(env),
        "data": cfg.history_path,
        "themes": user_themes_dir(env),
        "runbooks": cfg.runbooks.dirs[0] if cfg.runbooks.dirs else Path.cwd() / "runbooks",
    }


def main_check_config(path: str | None) -> int:
    """`aiops-tui check-config`: print the effective config with origins (ConfigError propagates)."""
    print(describe_config(load_config(path)), end="")
    return 0


def main_locate(path: str | None) -> int:
    """`aiops-tui locate`: print where config, data, themes and runbooks are."""
    cfg = load_config(path)
    for name, where in locate_paths(cfg).items():
        missing = "" if where.exists() else "  (does not exist yet)"
        print(f"{name}: {where}{missing}")
    return 0

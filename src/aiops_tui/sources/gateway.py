"""Direct polling of an LLM gateway: its `/metrics` exposition and its JSON health/breaker status."""

from __future__ import annotations

import asyncio
import functools
import json
import math
import re
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from aiops_tui.errors import first_line
from aiops_tui.model import BREAKER_SINCE_SIGNAL, BREAKER_STATES, Batch, Sample, SeriesKey, make_labels
from aiops_tui.sources.base import SourceError
from aiops_tui.sources.conventions import detect_profiles
from aiops_tui.sources.exposition import MAX_EXPOSITION_BYTES, ExpositionError, parse_exposition

if TYPE_CHECKING:
    import concurrent.futures

    import httpx

    from aiops_tui.config import GatewayConfig

MAX_STATUS_BYTES = 1024 * 1024
TIME_VALUED_SIGNALS = (BREAKER_SINCE_SIGNAL,)
"""The series whose values are Unix times: they move with their timestamps when a history is shifted."""

_PARSER: "concurrent.futures.ThreadPoolExecutor | None" = None


def _parser() -> "concurrent.futures.ThreadPoolExecutor":
    """One thread parses every scrape, off the event loop (the UI's, in the live app).

    A 100 KB LiteLLM scrape is ~15 ms of pure-Python parsing: fifty finishing together held the
    loop for a second. One thread, not a pool: more threads parsing starve the loop of the GIL
    (worst stall 30 ms with one, 180 ms with six; bench/polling.py).
    """
    global _PARSER
    if _PARSER is None:
        import concurrent.futures

        _PARSER = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="aiops-parse")
    return _PARSER


def breaker_samples(
    source: str, ts: float, upstream: str, state: str, *, failure_ratio: float | None = None,
    not_permitted: float | None = None, since_ts: float | None = None, tier: str = "", fallback: str = "",
) -> list[Sample]:
    """A breaker's state as `signal:breaker_*` samples; tier and fallback ride along as labels."""
    labels = make_labels({"upstream": upstream, **({"tier": tier} if tier else {}), **({"fallback": fallback} if fallback else {})})
    out = [Sample(SeriesKey(source, "signal:breaker_state", labels), ts, float(BREAKER_STATES.index(state)))]
    if failure_ratio is not None and failure_ratio >= 0:  # resilience4j says -1 until enough calls
        out.append(Sample(SeriesKey(source, "signal:breaker_failure_rate", labels), ts, failure_ratio))
    if not_permitted is not None:
        out.append(Sample(SeriesKey(source, "signal:breaker_not_permitted_total", labels), ts, not_permitted))
    if since_ts is not None:
        out.append(Sample(SeriesKey(source, TIME_VALUED_SIGNALS[0], labels), ts, since_ts))
    return out


def parse_health_json(doc: Any, *, source: str, ts: float) -> list[Sample]:
    """`application/health+json` -> breaker and check samples; raises SourceError on a wrong shape."""
    if not isinstance(doc, Mapping) or "status" not in doc:
        raise SourceError("status JSON has no top-level `status`: not application/health+json")
    status = doc["status"]
    if status not in ("pass", "warn", "fail"):
        raise SourceError(f"status JSON: unknown status {str(status)[:40]!r}")
    samples = [Sample(SeriesKey(source, "signal:health_status", ()), ts, float(("pass", "warn", "fail").index(status)))]
    checks = doc.get("checks", {})
    if not isinstance(checks, Mapping):
        raise SourceError("status JSON: `checks` is not an object")
    for check_name, entries in checks.items():
        if not isinstance(check_name, str) or not isinstance(entries, list):
            raise SourceError(f"status JSON: check {str(check_name)[:60]!r} is not a list")
        for entry in entries:
            if not isinstance(entry, Mapping):
                raise SourceError(f"status JSON: check {check_name[:60]!r} holds a non-object")
            samples.extend(_check_samples(check_name, entry, source, ts))
    return samples


def _check_samples(check_name: str, entry: Mapping[str, Any], source: str, ts: float) -> list[Sample]:
    kind, _, subject = check_name.partition(":")
    breaker = entry.get("breaker")
    if kind == "upstream" and isinstance(breaker, Mapping):
        state = breaker.get("state")
        if state not in BREAKER_STATES:
            raise SourceError(f"status JSON: breaker of {subject[:60]!r} has unknown state {str(state)[:20]!r}")
        return breaker_samples(
            source, ts, subject, state,
            failure_ratio=_number(breaker.get("failure_rate")),
            not_permitted=_number(breaker.get("not_permitted_calls")),
            since_ts=_timestamp(breaker.get("since")),
            tier=str(entry.get("tier") or ""),
            fallback=str(entry.get("fallback") or breaker.get("fallback") or ""),
        )
    value = _number(entry.get("observedValue"))
    if value is None:
        return []
    labels = make_labels(check=check_name, unit=str(entry.get("observedUnit") or ""))
    return [Sample(SeriesKey(source, "signal:health_observed", labels), ts, value)]


def _timestamp(value: Any) -> float | None:
    from datetime import datetime

    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        return float(value)
    except OverflowError:  # a JSON integer too long for a float
        return math.inf if value > 0 else -math.inf


def parse_readiness_json(doc: Any, *, source: str, ts: float) -> list[Sample]:
    """LiteLLM's `/health/readiness`: {"status": "healthy" | ...}; 0 healthy, 2 anything else."""
    if not isinstance(doc, Mapping) or "status" not in doc:
        raise SourceError("readiness JSON has no `status`")
    healthy = str(doc["status"]).lower() in ("healthy", "ok", "pass")
    return [Sample(SeriesKey(source, "signal:health_status", ()), ts, 0.0 if healthy else 2.0)]


async def _get_limited(
    client: "httpx.AsyncClient", url: str, headers: dict[str, str], limit: int, *, error_body_ok: bool = False,
) -> bytes:
    """The body, read up to `limit` bytes; an HTTP error is a SourceError unless `error_body_ok`
    (a health endpoint answers 503 with its JSON when something is failing: that is the news)."""
    async with client.stream("GET", url, headers=headers) as resp:
        if resp.status_code >= 400 and not (error_body_ok and resp.status_code == 503):
            raise SourceError(f"HTTP {resp.status_code} from {url}")
        declared = resp.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > limit:
            raise SourceError(f"body of {int(declared):,} bytes from {url} is over the {limit:,}-byte limit")
        chunks, size = [], 0
        async for chunk in resp.aiter_bytes():
            size += len(chunk)
            if size > limit:
                raise SourceError(f"body from {url} is over the {limit:,}-byte limit")
            chunks.append(chunk)
        return b"".join(chunks)


def client_for(cfg: "GatewayConfig") -> "httpx.AsyncClient":
    """The gateway's own HTTP client (one per gateway: httpx's shared async pool costs CPU as concurrency
    rises), following redirects, trusting the CAs of `ca_file` instead of the system's when it names one."""
    import httpx

    verify: Any = True
    if cfg.ca_file is not None:
        import ssl

        verify = ssl.create_default_context(cafile=str(cfg.ca_file))
    return httpx.AsyncClient(follow_redirects=True, timeout=cfg.timeout_s, limits=httpx.Limits(max_connections=2),
                             verify=verify)


class GatewaySource:
    """Scrapes one gateway; `poll()` returns a Batch with raw metric samples plus status signals."""

    def __init__(
        self, cfg: "GatewayConfig", client: "httpx.AsyncClient", *, clock: Callable[[], float] = time.time,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.cfg = cfg
        self.name = cfg.name
        self.interval_s = cfg.interval_s
        self.timeout_s = cfg.timeout_s
        self.client = client
        self.clock = clock
        token = cfg.bearer_token(env)
        self._headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.metric_names: frozenset[str] = frozenset()
        self.profiles: list[str] = []
        self._keys: dict[SeriesKey, SeriesKey] = {}
        """The last scrape's series keys, reused by the next (`parse_exposition`'s `known_keys`)."""

    async def poll(self) -> Batch:
        ts = self.clock()
        batch = Batch(self.name, ts)
        try:
            # The whole poll is bounded: a slow-loris body never holds the cycle past the timeout.
            await asyncio.wait_for(self._poll_into(batch), timeout=self.timeout_s)
        except asyncio.TimeoutError:
            batch.error = f"no complete answer within {self.timeout_s:g} s"
        except (SourceError, ExpositionError) as exc:
            batch.error = str(exc)
        except Exception as exc:  # noqa: BLE001 — any transport failure is one line, never a crash
            batch.error = _describe_transport_error(exc)
        if batch.error:
            batch.samples.clear()
        return batch

    async def _poll_into(self, batch: Batch) -> None:
        body = await _get_limited(self.client, self.cfg.metrics_url, self._headers, MAX_EXPOSITION_BYTES)
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise SourceError(f"/metrics body is not UTF-8 text (byte {exc.start})") from None
        samples = await asyncio.get_running_loop().run_in_executor(
            _parser(), functools.partial(parse_exposition, text, source=self.name, ts=batch.ts, known_keys=self._keys),
        )
        self._keys = {s.key: s.key for s in samples}
        names = frozenset(s.key.name for s in samples)
        if names != self.metric_names:
            self.metric_names = names
            self.profiles = detect_profiles(names)
        batch.samples.extend(samples)
        if self.cfg.status_url:
            raw = await _get_limited(self.client, self.cfg.status_url, self._headers, MAX_STATUS_BYTES, error_body_ok=True)
            try:
                doc = json.loads(raw)
            except ValueError:
                raise SourceError(f"status from {self.cfg.status_url} is not JSON") from None
            parse = parse_health_json if self.cfg.kind == "health_json" else parse_readiness_json
            batch.samples.extend(parse(doc, source=self.name, ts=batch.ts))


_TLS_REASON_RE = re.compile(r"\[SSL: (\w+)\]\s*([^('\"]*)")
_PLAIN_HTTP_REASONS = ("WRONG_VERSION_NUMBER", "RECORD_LAYER_FAILURE", "PACKET_LENGTH_TOO_LONG", "HTTP_REQUEST")


def describe_tls_failure(text: str) -> str | None:
    """`TLS handshake failed (REASON)` when an error's text is OpenSSL's, with a hint for plain HTTP."""
    found = _TLS_REASON_RE.search(text)
    if found is None:
        return None
    reason, detail = found[1], found[2].strip()
    if reason in _PLAIN_HTTP_REASONS:
        return f"TLS handshake failed ({reason}): is it plain HTTP? use an http:// URL"
    hint = ""
    if reason == "CERTIFICATE_VERIFY_FAILED":  # an internal CA, most often: short enough for a runbook step's line
        detail, hint = detail.removeprefix("certificate verify failed: "), ": name its CA in ca_file"
    return f"TLS handshake failed ({reason}{': ' + detail if detail else ''}){hint}"


def _describe_transport_error(exc: Exception) -> str:
    import httpx

    tls = describe_tls_failure(str(exc))
    if tls is not None:
        return tls
    if isinstance(exc, httpx.ConnectError):
        return f"cannot connect ({first_line(exc) or 'connection refused'})"
    if isinstance(exc, httpx.TimeoutException):
        return "timed out"
    if isinstance(exc, httpx.RemoteProtocolError):
        return f"broken HTTP answer ({first_line(exc)})"
    return f"{type(exc).__name__}: {first_line(exc)}"


"""The demo: the simulated gateway in-process, an hour of backfilled history, then live polling of it.

Backfill drives the same poller (derived signals, breaker events) with a fast-forwarded clock and
writes the whole hour in one transaction; live polling then scrapes the sim over real HTTP.
"""

from __future__ import annotations

import asyncio
import os
import pickle
import signal
from collections.abc import Callable, Mapping
from pathlib import Path

from aiops_tui.errors import UserError, first_line
from aiops_tui.model import Batch, Sample, SeriesKey, make_labels
from aiops_tui.resources import shipped_dir
from aiops_tui.sources.conventions import detect_profiles
from aiops_tui.sources.gateway import parse_health_json

DEMO_SOURCE = "demo-gateway"
BACKFILL_STEP_S = 30.0
DEMO_BACKFILL_STEP_S = 60.0
"""`aiops-tui demo`'s hour: a point a minute on the 1 h charts, in half the time of 30 s steps, before the first frame with data."""


class ModelSource:
    """Polls a GatewayModel directly, without HTTP: what a scrape of it would give at `clock()`."""

    def __init__(self, model, clock: Callable[[], float], *, name: str = DEMO_SOURCE, interval_s: float = BACKFILL_STEP_S):
        self.model = model
        self.clock = clock
        self.name = name
        self.interval_s = interval_s
        self.timeout_s = 1.0
        self.profiles: list[str] = []
        # One SeriesKey per series for the whole run: no label sort per sample, and the store's
        # id lookups hit on identity.
        self._keys: dict[tuple[str, tuple[tuple[str, str], ...]], SeriesKey] = {}
        # The previous scrape's keys by (sample name, id of its label dict); each entry holds its
        # dict, so no other dict can take that id while the entry lives.
        self._keys_by_labels_id: dict[tuple[str, int], tuple[Mapping[str, str], SeriesKey]] = {}

    async def poll(self) -> Batch:
        ts = self.clock()
        self.model.advance(ts)
        samples = self._samples(ts)
        samples.extend(parse_health_json(self.model.status(), source=self.name, ts=ts))
        if not self.profiles:
            self.profiles = detect_profiles({s.key.name for s in samples})
        return Batch(self.name, ts, samples)

    def _samples(self, ts: float) -> list[Sample]:
        """What `sim.exposition.to_samples` gives for the model's families, with the keys reused.

        The families hand out the same label dict for most series at every scrape, so a key is
        found first by that dict's identity, and by the labels' content only when it is new."""
        previous, current = self._keys_by_labels_id, {}
        out = []
        for family in self.model.families():
            for sample_name, labels, value in family.samples:
                ident = (sample_name, id(labels))
                known = previous.get(ident)
                if known is None or known[0] is not labels:
                    known = (labels, self._key(sample_name, labels))
                current[ident] = known
                out.append(Sample(known[1], ts, float(value)))
        self._keys_by_labels_id = current
        return out

    def _key(self, sample_name: str, labels: Mapping[str, str]) -> SeriesKey:
        ident = (sample_name, tuple(labels.items()))
        key = self._keys.get(ident)
        if key is None:
            key = self._keys[ident] = SeriesKey(self.name, sample_name, make_labels(labels))
        return key


class _FastClock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def backfill(history, model, start_ts: float, end_ts: float, *, step_s: float = BACKFILL_STEP_S, rollup: bool = True) -> int:
    """Simulate [start_ts, end_ts) into the history in one transaction, then roll it up (unless the file
    is to be absorbed into another, which rolls up itself); returns the cycles run."""
    from aiops_tui.sources.poller import Poller
    from aiops_tui.recorder import ROLLUP_LAG_S, derive_signals

    clock = _FastClock(start_ts)
    collected: list[Batch] = []
    poller = Poller([ModelSource(model, clock, interval_s=step_s)], collected.extend, clock=clock, derive=derive_signals)

    async def run() -> None:
        while clock.now < end_ts:
            await poller.run_cycle()
            clock.now += step_s

    asyncio.run(run())
    history.write_cycle(collected)
    if rollup:
        history.rollup(end_ts - ROLLUP_LAG_S)
    return poller.cycles


class BackfillChild:
    """The demo's hour simulated and written by a forked child process into a file of its own, on the
    other core, while this process starts the UI (a thread would share the GIL with it).

    `absorb_into` waits for the child, copies the hour into the history and returns the model as the
    child left it at the hour's end, for this process to serve from there on.
    """

    def __init__(self, path: Path, model, start_ts: float, end_ts: float, *, step_s: float = DEMO_BACKFILL_STEP_S) -> None:
        self.path, self.end_ts = path, end_ts
        read_fd, write_fd = os.pipe()
        pid = os.fork()  # before this process opens DuckDB or starts a thread
        if pid == 0:
            os.close(read_fd)
            _backfill_and_exit(write_fd, path, model, start_ts, end_ts, step_s)
        os.close(write_fd)
        self._pid: int | None = pid
        self._read_fd = read_fd

    def absorb_into(self, history):
        from aiops_tui.recorder import ROLLUP_LAG_S

        with os.fdopen(self._read_fd, "rb") as pipe:
            payload = pipe.read()
        self._reap()
        status, _, body = payload.partition(b" ")
        try:
            if status != b"ok":
                reason = body.decode("utf-8", errors="replace") or "the process died"
                raise UserError(f"the demo's backfill failed: {reason}")
            history.absorb(self.path)
            history.rollup(self.end_ts - ROLLUP_LAG_S)
            return pickle.loads(body)  # our own child's model
        finally:
            self._remove_file()

    def close(self) -> None:
        """The cockpit quit before the hour was absorbed: stop the child and leave no file behind."""
        pid = self._pid
        if pid is not None:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self._reap()
            self._remove_file()

    def _reap(self) -> None:
        pid, self._pid = self._pid, None
        if pid is not None:
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:  # reaped already, by the other of absorb_into and close
                pass

    def _remove_file(self) -> None:
        for leftover in (self.path, Path(f"{self.path}.wal")):
            if leftover.is_file():
                leftover.unlink()


def _backfill_and_exit(write_fd: int, path: Path, model, start_ts: float, end_ts: float, step_s: float) -> None:
    """The child's whole life: write the hour, send the model (or one line) down the pipe, exit."""
    code = 0
    try:
        from aiops_tui.store.history import History

        with History.open(path) as history:
            backfill(history, model, start_ts, end_ts, step_s=step_s, rollup=False)
        payload = b"ok " + pickle.dumps(model)
    except BaseException as exc:  # said in one line by the parent
        payload, code = b"error " + (first_line(exc) or type(exc).__name__).encode(), 2
    try:
        with os.fdopen(write_fd, "wb") as pipe:
            pipe.write(payload)
    finally:
        os._exit(code)  # never the parent's atexit handlers or buffered output


def demo_config_path() -> Path:
    """The settings the demo runs with (targets and budget that fit the simulated gateway)."""
    return shipped_dir("demo_data") / "demo.yaml"

"""The long-running commands: `live`, `demo`, `review` (the cockpit) and `record` (headless)."""

from __future__ import annotations

import argparse
import functools
import gc
import signal
import sys
import time
from contextlib import ExitStack
from pathlib import Path

from aiops_tui.errors import UserError


def _collector_paused(run):
    """The cockpit's commands start with Python's cyclic garbage collector off; the app turns it back on
    once the first views are drawn (`_collector_resumed`), and the command's end leaves it as it found it.

    Nearly everything the start allocates lives on (modules, classes, styles, widgets), and the collector
    walked it again and again as it came: 160-190 collections, 55-80 ms before the first frame with data
    (30 ms of it one full collection), where 9,400 objects (1.2 MB) were garbage by the first views
    (bench/HISTORY.md, startup). The child forked for the first views inherits it off: it lives only
    through the start."""

    @functools.wraps(run)
    def paused(args: argparse.Namespace) -> int:
        was_on = gc.isenabled()
        gc.disable()
        try:
            return run(args)
        finally:
            gc.unfreeze()
            if was_on:
                gc.enable()

    return paused


def _collector_resumed() -> None:
    """Once the first views are drawn: what the start allocated is frozen (left out of every collection
    from now on), then the collector is back on. Turned on alone, its first two collections walked all of
    it again right after the first frame, when the charts' frame is due: 56-75 ms, then 70 ms. The start's
    garbage stays: 1.2 MB at the first views, and 2.1-2.3 MB with what the start made that falls out of use
    later (widget caches replaced), the same after 30 s and after 95 s of switching panes and resizing."""
    gc.freeze()
    gc.enable()


def _cockpit_for(cfg, history, recorder=None, clock=time.time, **start):
    from aiops_tui.cockpit import Cockpit
    from aiops_tui.signals.golden import Targets
    from aiops_tui.signals.quality import QualityTargets
    from aiops_tui.sim.pricing import load_pricing

    return Cockpit(
        history,
        environment=cfg.environment,
        targets=Targets.from_config(cfg.targets),
        monthly_budget_usd=cfg.budget.monthly_usd,
        poller=recorder.poller if recorder else None,
        clock=clock,
        **start,
        runbook_dirs=cfg.runbooks.dirs,
        quality_targets=QualityTargets.from_config(cfg.targets),
        prices=load_pricing(cfg.pricing_path),
        prometheus=cfg.prometheus,
    )


def _no_sources(cfg, hint: str = "") -> UserError:
    """Nothing to poll: in the config file found, or, with none found, where one is looked for."""
    if cfg.source_path is None:
        from aiops_tui.config import CONFIG_ENV_VAR, user_config_path

        return UserError(f"no config file (--config FILE, ${CONFIG_ENV_VAR}, ./aiops.yaml or {user_config_path()}) and so "
                         f"no sources: write one with `prometheus:` or `gateways:`{hint}")
    return UserError(f"{cfg.source}: no sources configured (add `prometheus:` or `gateways:`{hint})")


def _run_app(cockpit, args: argparse.Namespace, cfg, *, before_app=None) -> int:
    """Run the cockpit's UI. The first views start at once, beside the UI's imports; `before_app` is
    waited for once the UI is imported (the history opened by the child that reads the first views: a
    failure there is one line on the terminal, not a cockpit that cannot show anything)."""
    if before_app is None:
        cockpit.start()
    from aiops_tui.ui.app import app_for

    if before_app is not None:
        before_app()
        cockpit.start()

    app = app_for(cockpit, theme=getattr(args, "theme", None) or cfg.theme, lang=getattr(args, "lang", None) or cfg.lang,
                  after_first_views=_collector_resumed)  # see `_collector_paused`
    app.run()
    return int(app.return_code or 0)


def _retention(cfg) -> tuple[float, float, float]:
    return (cfg.retention.raw_s, cfg.retention.rollup_1m_s, cfg.retention.rollup_1h_s)


@_collector_paused
def run_live(args: argparse.Namespace) -> int:
    import os

    from aiops_tui.config import load_config
    from aiops_tui.recorder import Recorder, sources_from_config
    from aiops_tui.store.history import History

    cfg = load_config(args.config)
    sources = sources_from_config(cfg)
    if not sources:
        raise _no_sources(cfg, "; try `aiops-tui demo`")
    recorder = Recorder(None, sources, retention=_retention(cfg), stale_after=cfg.stale_after)
    if not hasattr(os, "fork"):
        with History.open(cfg.history_path) as history:
            _attach_history(cfg, history, recorder)
            return _run_app(_cockpit_for(cfg, history, recorder), args, cfg)

    from aiops_tui.forked import start_in_child

    # As the demo: a child opens the file and reads the first views while the UI starts, then closes it.
    child = start_in_child(cfg.history_path, lambda history: _cockpit_for(cfg, history, recorder).views(cost=False),
                           what="reading the history")
    with ExitStack() as stack:
        stack.callback(child.close)

        def open_history():
            child.next()  # the child has closed the file
            _attach_history(cfg, stack.enter_context(History.open(cfg.history_path)), recorder)
            return recorder.history

        cockpit = _cockpit_for(cfg, None, recorder, first_views=child.next, open_history=open_history)
        return _run_app(cockpit, args, cfg, before_app=child.next)


def _attach_history(cfg, history, recorder) -> None:
    """The recorder writes into `history`, and its gateways' rates and breakers' states go on from there.

    Without Prometheus, the shipped alert rules are evaluated locally over the gateways' signals; never
    beside a Prometheus source: one alert list fed by two sources would flap.
    """
    recorder.history = history
    if cfg.prometheus is None:
        from aiops_tui.sources.local_alerts import LocalAlertSource

        instances = {gateway.name: _host_port(gateway.metrics_url) for gateway in cfg.gateways}
        recorder.poller.add_source(LocalAlertSource(history, monthly_budget_usd=cfg.budget.monthly_usd,
                                                    instances=instances, interval_s=cfg.interval_s))
    recorder.resume_from_history()


def _host_port(url: str) -> str:
    """A gateway's `instance` label as Prometheus would give it: host and port, never the URL's user or password."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    host = f"[{parts.hostname}]" if parts.hostname and ":" in parts.hostname else parts.hostname or ""
    port = parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    return f"{host}:{port}" if port else host


@_collector_paused
def run_review(args: argparse.Namespace) -> int:
    import os

    path = Path(args.file)
    if not hasattr(os, "fork"):
        from aiops_tui.config import load_config
        from aiops_tui.store.history import History

        cfg = load_config(args.config)
        with History.open(path, read_only=True) as history:
            end = _review_end(history, args.file)
            return _run_app(_cockpit_for(cfg, history, clock=lambda: end, reviewing=path.name), args, cfg)

    from aiops_tui.forked import ForkedSteps

    # A child opens the file and reads the first views on the other core while this process imports and
    # mounts the UI; this one opens the file (read-only twice is allowed) once they are drawn. The fork
    # comes first: each process reads the config itself, and the child imports only what the views need.
    held: list = []

    def open_file() -> float:
        from aiops_tui.store.history import History

        history = History.open(path, read_only=True)
        held.extend([history, _review_end(history, args.file)])
        return held[1]

    def first_views():
        from aiops_tui.config import load_config

        history, newest = held
        return _cockpit_for(load_config(args.config), history, clock=lambda: newest).views(cost=False)

    child = ForkedSteps([open_file, first_views], what="reading the history")
    end = 0.0

    def opened() -> None:
        nonlocal end
        end = child.next()

    def open_here():
        from aiops_tui.store.history import History

        return stack.enter_context(History.open(path, read_only=True))

    with ExitStack() as stack:
        stack.callback(child.close)
        from aiops_tui.config import load_config

        cfg = load_config(args.config)
        cockpit = _cockpit_for(cfg, None, clock=lambda: end, first_views=child.next, open_history=open_here,
                               reviewing=path.name)
        return _run_app(cockpit, args, cfg, before_app=opened)


def _review_end(history, label: str) -> float:
    """The newest sample's time: where the review starts."""
    span = history.time_range()
    if span is None:
        raise UserError(f"{label}: the history holds no samples yet")
    return span[1]


def run_record(args: argparse.Namespace) -> int:
    """Poll headless until Ctrl-C (or `--duration`), one line per source state change on stderr."""
    import asyncio

    from aiops_tui.config import load_config, parse_duration
    from aiops_tui.recorder import Recorder, sources_from_config
    from aiops_tui.store.history import History

    cfg = load_config(args.config)
    sources = sources_from_config(cfg)
    if not sources:
        raise _no_sources(cfg)
    duration_s = parse_duration(args.duration) if args.duration else None
    with History.open(cfg.history_path) as history:
        recorder = Recorder(history, sources, retention=_retention(cfg), stale_after=cfg.stale_after)
        _attach_history(cfg, history, recorder)
        print(f"aiops-tui: recording {len(sources)} source(s) into {cfg.history_path}", file=sys.stderr)
        asyncio.run(_record(recorder, duration_s))
        print(f"aiops-tui: {recorder.poller.cycles} cycles, {recorder.rows_written} rows written", file=sys.stderr)
    return 0


async def _record(recorder, duration_s: float | None) -> None:
    import asyncio

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    if duration_s is not None:
        loop.call_later(duration_s, stop.set)
    exports: list[asyncio.Task] = []
    if hasattr(signal, "SIGUSR1"):  # what the app's palette does: the last week beside the history, for a review
        loop.add_signal_handler(signal.SIGUSR1, lambda: exports.append(loop.create_task(export_now())))
    reported: dict[str, str] = {}
    fills_told: set[str] = set()

    async def export_now() -> None:
        from aiops_tui.errors import first_line
        from aiops_tui.store.export import BESIDE_SPAN, export_beside

        try:
            result = await asyncio.to_thread(export_beside, recorder.history, time.time())
        except Exception as exc:  # a full disk, a read-only directory: one line, and recording goes on
            print(f"aiops-tui: export failed: {first_line(exc) or exc.__class__.__name__}", file=sys.stderr)
            return
        print(f"aiops-tui: exported {BESIDE_SPAN} to {result.path} ({result.rows.get('samples', 0)} samples)",
              file=sys.stderr)

    async def report_changes() -> None:
        while not stop.is_set():
            now = recorder.clock()
            for status in recorder.poller.status.values():
                if status.name not in fills_told and (status.filled or status.fill_error):
                    how = f"filled {status.filled}" if status.filled else f"gap not filled: {status.fill_error}"
                    print(f"aiops-tui: {status.name} {how}", file=sys.stderr)
                    fills_told.add(status.name)
                state = status.state(now)
                if reported.get(status.name) != state and state not in ("waiting", "filling"):
                    reason = f": {status.last_error}" if status.last_error and state != "ok" else ""
                    print(f"aiops-tui: {status.name} {state}{reason}", file=sys.stderr)
                    reported[status.name] = state
            if recorder.last_error:
                print(f"aiops-tui: {recorder.last_error}", file=sys.stderr)
            await asyncio.sleep(1.0)

    await asyncio.gather(recorder.poller.run(stop), report_changes())
    await asyncio.gather(*exports)  # one asked for just before the stop is finished, not cut off


@_collector_paused
def run_demo(args: argparse.Namespace) -> int:
    """The built-in gateway in-process: its hour before now, then scrape it over loopback HTTP like a real one."""
    import functools
    import os
    import tempfile

    from aiops_tui.config import GatewayConfig, load_config, parse_duration
    from aiops_tui.demo import (
        DEMO_BACKFILL_STEP_S, DEMO_SOURCE, MAX_BACKFILL_S, DemoRecording, advance_through, backfill, backfill_progress,
        demo_config_path, roll_up_hour,
    )
    from aiops_tui.forked import SharedFigure
    from aiops_tui.recorder import Recorder
    from aiops_tui.store.history import History

    cfg = load_config(demo_config_path())
    backfill_s = parse_duration(args.backfill, flag="--backfill")
    if backfill_s > MAX_BACKFILL_S:
        raise UserError(f"--backfill {args.backfill}: the demo simulates at most {MAX_BACKFILL_S / 86400:g}d before it opens "
                        f"(a day takes about half a minute); for a longer history, generate one with "
                        f"`python -m aiops_tui.sim.history_gen FILE --days 90` and open it with `aiops-tui review FILE`")
    workdir = None
    if args.history:
        path = Path(args.history)
    else:
        workdir = tempfile.mkdtemp(prefix="aiops-tui-demo-")
        path = Path(workdir) / "demo.duckdb"
    now = time.time()
    settings = {"seed": args.seed, "budget_monthly_usd": cfg.budget.monthly_usd}
    # The default hour is shipped recorded: copied in at once while the model is simulated through it.
    recording = DemoRecording.matching(duration_s=backfill_s, **settings)
    if recording is not None:
        start_ts = recording.start_for(now)
        end_ts = start_ts + recording.duration_s
        starting = ""
    else:
        start_ts, end_ts = now - backfill_s, now
        simulated = SharedFigure()  # how far the simulation has got, written by the child that runs it

        def starting() -> str:
            return backfill_progress(args.backfill, start_ts, end_ts, simulated.get())

    @functools.cache
    def model():
        """The sim at the hour's start, built where the hour is put in (the forked child): the cockpit's
        own process imports the sim only once polling starts, off the path to the first frame."""
        if recording is not None:
            return recording.model_for(start_ts, **settings)
        from aiops_tui.sim.model import GatewayModel

        return GatewayModel(start_ts=start_ts, **settings)

    def put_hour(history) -> None:
        """The hour's samples and events; its rollups wait for `roll_up`, after the first views (which read
        the raw samples meanwhile, to the same answers)."""
        if recording is not None:
            recording.absorb_into(history, start_ts, rollup=False)
        else:
            backfill(history, model(), start_ts, end_ts, step_s=DEMO_BACKFILL_STEP_S, rollup=False,
                     written=simulated.set)

    def roll_up(history) -> None:
        roll_up_hour(history, end_ts)

    def new_only(history) -> None:
        """The hour goes in before now: into a file that holds a history already, the two runs' counters
        would interleave and every rate across them would be wrong."""
        if args.history and history.time_range() is not None:
            raise UserError(f"{path}: holds a history already; the demo starts a new one: pass another "
                            f"--history file, or look at this one with `aiops-tui review {path}`")

    def model_at_end():
        """The model as the hour leaves it: `backfill` moved it along, a copied recording did not."""
        return advance_through(model(), start_ts, end_ts) if recording is not None else model()

    recorder = Recorder(None, [], stale_after=cfg.stale_after)  # its history is attached once open here
    served: list = []  # the model at the hour's end, once known here
    stack = ExitStack()

    def serve() -> None:
        """After the first views are drawn: the model at the hour's end served over HTTP, and the sources
        that poll it."""
        from aiops_tui.sim.server import SimServer
        from aiops_tui.sources.gateway import GatewaySource, client_for
        from aiops_tui.sources.local_alerts import LocalAlertSource

        server = SimServer(model=served[0], clock=time.time)
        stack.callback(server.stop)
        server.start()
        gateway = GatewayConfig(DEMO_SOURCE, f"{server.url}/metrics", f"{server.url}/status", "health_json", None, 5.0, 3.0)
        recorder.poller.add_source(GatewaySource(gateway, client_for(gateway)))  # as a configured gateway's
        # No Prometheus in the demo: the shipped alert rules are evaluated against the history instead.
        recorder.poller.add_source(LocalAlertSource(
            recorder.history, source=DEMO_SOURCE, monthly_budget_usd=cfg.budget.monthly_usd,
            instances={DEMO_SOURCE: f"127.0.0.1:{server.port}"}, interval_s=5.0,
        ))
        recorder.resume_from_history()  # the recorded hour's last scrape: its first live scrape has rates

    with stack:
        if hasattr(os, "fork"):
            # The file is created, the hour put in and the first views built by a child on the other core,
            # while this process imports and mounts the UI; the child then rolls the hour up and closes the
            # file for this one.
            from aiops_tui.forked import start_in_child

            child = start_in_child(path, lambda history: _cockpit_for(cfg, history, recorder).views(cost=False),
                                   put=put_hour, after=roll_up, then=model_at_end, check=new_only, what="the demo's start")
            stack.callback(child.close)

            def open_history():
                served.append(child.next())  # sent once the child has closed the file
                recorder.history = stack.enter_context(History.open(path))
                return recorder.history

            cockpit = _cockpit_for(cfg, None, recorder, first_views=child.next, open_history=open_history, before_polling=serve,
                                   starting=starting)
            code = _run_app(cockpit, args, cfg, before_app=child.next)
        else:
            recorder.history = history = stack.enter_context(History.open(path))
            new_only(history)

            def prepare() -> None:
                put_hour(history)
                roll_up(history)
                served.append(model_at_end())

            code = _run_app(_cockpit_for(cfg, history, recorder, prepare=prepare, before_polling=serve, starting=starting),
                            args, cfg)
    print(f"aiops-tui: the demo history is in {path} (review it with `aiops-tui review {path}`)", file=sys.stderr)
    return code

"""`aiops-tui report` and `aiops-tui export`: open the history read-only, write the report to stdout
(and nothing else there) or the snapshot to a new file; every problem is one UserError line."""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from aiops_tui.errors import HistoryError, UserError

if TYPE_CHECKING:
    from aiops_tui.signals.quality import QualityTargets
    from aiops_tui.signals.savings import Price

REPORT_KINDS = ("cost", "golden", "breakers", "incident", "maturity")
DEFAULT_SINCE = "30d"
DEFAULT_EXPORT_SINCE = "7d"
HISTORY_HELP = "history file (default: the config's history path); --history, as `demo` spells it, is the same"
_HELD_BY = re.compile(r"another aiops-tui process \(PID (\w+)\)")


def add_report_arguments(p: argparse.ArgumentParser) -> None:
    """The `report` subcommand's arguments (the CLI may call this or spell them out)."""
    p.add_argument("kind", choices=REPORT_KINDS, help="which report")
    p.add_argument("id", nargs="?", help="incident id (report incident; without it, the list of incidents)")
    p.add_argument("--since", default=DEFAULT_SINCE, metavar="DURATION", help="period before the newest sample (default 30d)")
    p.add_argument("--format", "-f", default="table", choices=("table", "markdown", "csv", "json"))
    p.add_argument("--file", "--history", metavar="HISTORY", help=HISTORY_HELP)
    p.add_argument("--config", "-c", metavar="FILE", help="config file (default: see `aiops-tui locate`)")


def add_export_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("out", metavar="OUT", help="new DuckDB file (or directory with --parquet) to write")
    p.add_argument("--since", default=DEFAULT_EXPORT_SINCE, metavar="DURATION", help="period before the newest sample (default 7d)")
    p.add_argument("--parquet", action="store_true", help="write one Parquet file per table into the directory OUT")
    p.add_argument("--file", "--history", metavar="HISTORY", help=HISTORY_HELP)
    p.add_argument("--config", "-c", metavar="FILE", help="config file (default: see `aiops-tui locate`)")


def _history_path(args: argparse.Namespace, cfg) -> Path:
    return Path(args.file).expanduser() if getattr(args, "file", None) else cfg.history_path


def render_report(history, kind: str, *, since_s: float, fmt: str, incident_id: str | None = None,
                  budget_usd: float = 0.0, tiers: Mapping[str, str] | None = None,
                  prices: Mapping[str, "Price"] | None = None, cache_hit_target_ratio: float | None = None,
                  quality_targets: "QualityTargets | None" = None, lang: str = "en", label: str = "") -> str:
    """The text of one report over an open history (the CLI and the tests call this).

    `tiers`: model -> tier for counters without a tier label (pricing.yaml, as the Cost pane uses);
    by default the tiers of `prices`, which price the cost report's savings levers. The targets come
    from the config (None: its defaults), as the panes judge by them."""
    from aiops_tui.reports import render as rnd
    from aiops_tui.reports.span import report_span

    if fmt not in rnd.FORMATS:
        raise UserError(f"--format: {fmt!r} is not one of {', '.join(rnd.FORMATS)}")
    if incident_id and kind != "incident":
        raise UserError(f"report {kind} takes no ID (only `report incident ID` does)")
    if kind == "maturity":
        from aiops_tui.reports.maturity import render_latest

        # The assessment is a document, not a table: plain text shows its Markdown.
        return render_latest(history.cursor(), "markdown" if fmt == "table" else fmt, lang)
    span = report_span(history, since_s, label=label)
    con = history.cursor()
    if kind == "cost":
        from aiops_tui.reports import cost

        if tiers is None and prices:
            tiers = {model: price.tier for model, price in prices.items() if getattr(price, "tier", "")}
        target = cost.DEFAULT_CACHE_HIT_TARGET_RATIO if cache_hit_target_ratio is None else cache_hit_target_ratio
        report = cost.build(con, span, budget_usd=budget_usd, tiers=tiers, prices=prices, cache_hit_target_ratio=target)
    elif kind == "golden":
        from aiops_tui.reports import golden

        report = golden.build(con, span, quality_targets=quality_targets)
    elif kind == "breakers":
        from aiops_tui.reports import breakers

        report = breakers.build(history, span)
    elif kind == "incident":
        from aiops_tui.reports import incident

        report = incident.build(history, incident_id, newest=span.newest)
    else:
        raise UserError(f"unknown report {kind!r}: choose one of {', '.join(REPORT_KINDS)}")
    return rnd.render(report, fmt)


def run_report(args: argparse.Namespace) -> int:
    """`aiops-tui report KIND [ID] --since 30d --format table [--file HISTORY] [--config FILE]`."""
    from aiops_tui.config import load_config, parse_duration
    from aiops_tui.signals.quality import QualityTargets
    from aiops_tui.sim.pricing import load_pricing
    from aiops_tui.store.history import History

    extra = getattr(args, "id", None)
    if extra is not None and args.kind != "incident":  # said before the history is looked for
        if extra.endswith(".duckdb"):
            raise UserError(f"report {args.kind} takes no ID; a history file goes after --file: "
                            f"`aiops-tui report {args.kind} --file {extra}`")
        raise UserError(f"report {args.kind} takes no ID (only `report incident ID` does)")
    cfg = load_config(getattr(args, "config", None))
    since_s = parse_duration(getattr(args, "since", None) or DEFAULT_SINCE, flag="--since")
    path = _history_path(args, cfg)
    try:
        history = History.open(path, read_only=True)
    except HistoryError as exc:
        raise held_elsewhere(path, exc, f", then `aiops-tui report {args.kind} --file SNAPSHOT`") or exc from None
    with history:
        text = render_report(
            history, args.kind, since_s=since_s, fmt=getattr(args, "format", None) or "table",
            incident_id=getattr(args, "id", None), budget_usd=cfg.budget.monthly_usd,
            prices=load_pricing(cfg.pricing_path) if args.kind == "cost" else None,
            cache_hit_target_ratio=cfg.targets.cache_hit_ratio, quality_targets=QualityTargets.from_config(cfg.targets),
            lang=cfg.lang, label=str(path),
        )
    sys.stdout.write(text)
    sys.stdout.flush()
    return 0


def held_elsewhere(path: Path, exc: HistoryError, then: str = "") -> UserError | None:
    """One line for a file another process is writing (who, and the palette's "Export snapshot"),
    or None for any other open error."""
    match = _HELD_BY.search(str(exc))
    if not match:
        return None
    from aiops_tui.store.opening import command_line, snapshot_hint

    pid = match.group(1)
    command = command_line(pid)
    shown = f": {command[:60]}{'…' if len(command) > 60 else ''}" if command else ""
    return UserError(
        f"{path}: held by another process (PID {pid}{shown}), which alone can read it now; "
        f"export from that process: {snapshot_hint(pid)}{then} — or stop it and run this again"
    )


def run_export(args: argparse.Namespace) -> int:
    """`aiops-tui export OUT [--since 7d] [--parquet] [--file HISTORY] [--config FILE]`; a summary on stderr."""
    from aiops_tui.config import load_config, parse_duration
    from aiops_tui.store.export import export_snapshot
    from aiops_tui.store.history import History

    cfg = load_config(getattr(args, "config", None))
    since_s = parse_duration(getattr(args, "since", None) or DEFAULT_EXPORT_SINCE, flag="--since")
    path = _history_path(args, cfg)
    try:
        history = History.open(path, read_only=True)
    except HistoryError as exc:
        raise held_elsewhere(path, exc) or exc from None
    with history:
        result = export_snapshot(history, args.out, since_s, parquet=bool(getattr(args, "parquet", False)))
    total = sum(result.rows.values())
    print(f"aiops-tui: wrote {result.path} ({total} rows, {result.rows.get('samples', 0)} samples)", file=sys.stderr)
    return 0

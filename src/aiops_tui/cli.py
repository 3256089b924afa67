"""The `aiops-tui` command: parses arguments and hands off to the module that does the work.

Every subcommand imports its module lazily, so `aiops-tui report` never pays for Textual and the
cockpit paints its first frame before the heavy imports are done.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from aiops_tui import __version__
from aiops_tui.errors import UserError

# subcommand -> one-line help; `_cmd_<name>` below runs it.
COMMANDS: dict[str, str] = {
    "demo": "open the cockpit on the built-in demo gateway",
    "live": "open the cockpit on the sources in the config",
    "review": "open a history file read-only, no polling",
    "record": "poll the configured sources headless into the history",
    "report": "print a report from the history file (stdout carries only the report)",
    "export": "write a consistent snapshot of the history (DuckDB, or Parquet)",
    "sim": "run the demo LLM gateway on loopback",
    "runbooks": "check runbooks against the alert rules",
    "check-config": "print the effective config and where each value came from",
    "locate": "print the config, data and themes paths",
}


def _add_config(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", "-c", metavar="FILE", help="config file (default: see `aiops-tui locate`)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="aiops-tui",
        description="A terminal operations cockpit for teams that run LLM-backed systems.",
    )
    parser.add_argument("--version", action="version", version=f"aiops-tui {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    # `sim` leaves -h to the sim's own parser, which lists its options.
    parsers = {name: sub.add_parser(name, help=help_, add_help=name != "sim") for name, help_ in COMMANDS.items()}

    p = parsers["demo"]
    p.add_argument("--seed", type=int, default=42, help="seed of the demo traffic (default 42)")
    p.add_argument("--history", metavar="FILE", help="keep the demo history in FILE, a new one (default: a temporary file)")
    p.add_argument("--backfill", default="1h", metavar="DURATION", help="history to simulate before opening (default 1h)")
    p.add_argument("--theme", help="theme name")
    p.add_argument("--lang", choices=["en", "pt"], help="language of the maturity checklist")

    p = parsers["live"]
    _add_config(p)
    p.add_argument("--theme", help="theme name")
    p.add_argument("--lang", choices=["en", "pt"], help="language of the maturity checklist")

    p = parsers["review"]
    _add_config(p)
    p.add_argument("file", help="history file (DuckDB)")
    p.add_argument("--theme", help="theme name")

    p = parsers["record"]
    _add_config(p)
    p.add_argument("--duration", metavar="DURATION", help="stop after this long (default: until Ctrl-C)")

    from aiops_tui.reports.cli import add_export_arguments, add_report_arguments

    add_report_arguments(parsers["report"])
    add_export_arguments(parsers["export"])

    p = parsers["sim"]
    p.add_argument("sim_args", nargs=argparse.REMAINDER, help="--host, --port, --seed, --convention, --fault, --token-env")

    p = parsers["runbooks"]
    p.add_argument("action", nargs="?", choices=["lint"], help="lint: every alert has a runbook, every runbook loads, "
                   "its PromQL parses and its relative links land (`aiops-tui runbooks lint --help`)")
    p.add_argument("lint_args", nargs=argparse.REMAINDER, help="[--runbooks DIR]... [--rules FILE]... [--no-promtool]")

    for name in ("check-config", "locate"):
        _add_config(parsers[name])
    return parser


def _cmd_demo(args: argparse.Namespace) -> int:
    from aiops_tui.launch import run_demo

    return run_demo(args)


def _cmd_live(args: argparse.Namespace) -> int:
    from aiops_tui.launch import run_live

    return run_live(args)


def _cmd_review(args: argparse.Namespace) -> int:
    from aiops_tui.launch import run_review

    return run_review(args)


def _cmd_record(args: argparse.Namespace) -> int:
    from aiops_tui.launch import run_record

    return run_record(args)


def _cmd_check_config(args: argparse.Namespace) -> int:
    from aiops_tui.config import main_check_config

    return main_check_config(args.config)


def _cmd_locate(args: argparse.Namespace) -> int:
    from aiops_tui.config import main_locate

    return main_locate(args.config)


def _cmd_report(args: argparse.Namespace) -> int:
    from aiops_tui.reports.cli import run_report

    return run_report(args)


def _cmd_export(args: argparse.Namespace) -> int:
    from aiops_tui.reports.cli import run_export

    return run_export(args)


def _cmd_runbooks(args: argparse.Namespace) -> int:
    if args.action is None:
        raise UserError("runbooks: say what to do: `aiops-tui runbooks lint` checks them against the alert rules")
    from aiops_tui.reports.runbooks_lint import main_lint

    return main_lint(args.lint_args)


def _cmd_sim(args: argparse.Namespace) -> int:
    from aiops_tui.sim.server import main_sim

    return main_sim([a for a in args.sim_args if a != "--"])


def _resolve(name: str) -> Callable[[argparse.Namespace], int]:
    return globals()["_cmd_" + name.replace("-", "_")]


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    # `sim` hands its options to the sim's own parser; every other command takes only its own.
    args, extra = parser.parse_known_args(argv)
    if args.command == "sim":
        args.sim_args = [*extra, *args.sim_args]
    elif args.command == "report" and args.id is None and len(extra) == 1 and not extra[0].startswith("-"):
        # `report incident --file h.duckdb INC-1`: argparse takes the optional id with the kind or never.
        args.id = extra[0]
    elif extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    if not args.command:
        parser.print_help()
        return 0
    try:
        return int(_resolve(args.command)(args) or 0)
    except UserError as exc:
        print(f"aiops-tui: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

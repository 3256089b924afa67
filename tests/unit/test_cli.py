"""The command line: every command listed in the help, options routed to the right parser."""

import subprocess
import sys

import pytest

from aiops_tui import cli


def test_help_lists_every_command(capsys):
    with pytest.raises(SystemExit) as done:
        cli.main(["--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    for command in cli.COMMANDS:
        assert command in out


def test_unknown_option_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as done:
        cli.main(["locate", "--bogus"])
    assert done.value.code == 2
    assert "unrecognized arguments: --bogus" in capsys.readouterr().err


def test_sim_options_reach_the_sims_own_parser():
    # A bad convention is refused by the sim's parser, which proves the options got there.
    result = subprocess.run(
        [sys.executable, "-m", "aiops_tui.cli", "sim", "--port", "0", "--convention", "klingon"],
        capture_output=True, text=True, timeout=30,
    )
    assert result.returncode == 2
    assert "klingon" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("ask", ["--help", "-h"])
def test_sim_help_lists_the_sims_own_options(ask, capsys):
    # The sim's options live in its own parser: `aiops-tui sim --help` used to list only "sim_args".
    with pytest.raises(SystemExit) as done:
        cli.main(["sim", ask])
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: aiops-tui sim") and "sim_args" not in out
    for option in ("--port", "--seed", "--convention", "--fault", "--token-env", "--speed"):
        assert option in out


@pytest.mark.parametrize("command", [["report", "cost"], ["export", "out.duckdb"]])
def test_the_history_file_is_named_by_file_or_by_history_as_demo_names_it(command):
    parser = cli.build_parser()
    assert parser.parse_args([*command, "--file", "h.duckdb"]).file == "h.duckdb"
    assert parser.parse_args([*command, "--history", "h.duckdb"]).file == "h.duckdb"


def test_runbooks_without_an_action_says_which_there_is(capsys):
    # It said "the following arguments are required: action, lint_args".
    assert cli.main(["runbooks"]) == 2
    captured = capsys.readouterr()
    assert (captured.out, captured.err) == (
        "", "aiops-tui: runbooks: say what to do: `aiops-tui runbooks lint` checks them against the alert rules\n")


def test_a_report_id_after_the_options_is_the_id(monkeypatch):
    # `report incident --file h.duckdb INC-1` said "unrecognized arguments: INC-1".
    got = []
    monkeypatch.setattr(cli, "_cmd_report", lambda args: got.append((args.kind, args.id, args.file)) or 0)
    assert cli.main(["report", "incident", "--file", "h.duckdb", "INC-1"]) == 0
    assert cli.main(["report", "incident", "INC-2", "--file", "h.duckdb"]) == 0
    assert got == [("incident", "INC-1", "h.duckdb"), ("incident", "INC-2", "h.duckdb")]
    with pytest.raises(SystemExit):  # two are one too many
        cli.main(["report", "incident", "--file", "h.duckdb", "INC-1", "INC-2"])


@pytest.mark.parametrize("port", ["99999", "-1", "x"])
def test_a_sim_port_out_of_range_is_a_usage_error(port):
    # 99999 reached the socket and ended in an OverflowError traceback.
    result = subprocess.run([sys.executable, "-m", "aiops_tui.cli", "sim", "--port", port],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.splitlines()[-1] == (
        f"aiops-tui sim: error: argument --port: {port!r} is not a port (0 to 65535; 0 picks a free one)")

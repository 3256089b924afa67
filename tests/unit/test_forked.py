"""`ForkedSteps`: steps run in a forked child, their results read back in order; a failure there is one
line here (a UserError as it was raised), said again by every later call; closing early stops the child."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from aiops_tui.errors import HistoryError, UserError
from aiops_tui.forked import ForkedSteps, SharedFigure

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="forking needs an OS that can")


def test_results_come_back_in_order_from_another_process(tmp_path: Path) -> None:
    state: dict[str, int] = {}

    def first() -> int:
        state["pid"] = os.getpid()
        (tmp_path / "first").write_text("done")
        return state["pid"]

    def second() -> dict:
        return {"pid": state["pid"], "sum": sum(range(1000))}  # sees what the first step left behind

    child = ForkedSteps([first, second], what="the test's steps")
    child_pid = child.next()
    assert child_pid != os.getpid() and (tmp_path / "first").read_text() == "done"
    assert child.next() == {"pid": child_pid, "sum": 499_500}
    assert "pid" not in state  # the steps ran over there, on the child's copy
    with pytest.raises(RuntimeError):
        child.next()
    with pytest.raises(ChildProcessError):
        os.waitpid(child_pid, os.WNOHANG)  # reaped with the last result


def test_a_figure_the_child_sets_is_read_here_while_it_works() -> None:
    simulated = SharedFigure()
    assert simulated.get() is None  # nothing said yet
    child = ForkedSteps([lambda: simulated.set(1_796_000_400.25), lambda: simulated.get()], what="the test's steps")
    assert child.next() is None and simulated.get() == 1_796_000_400.25
    assert child.next() == 1_796_000_400.25
    simulated.set(7.0)
    assert simulated.get() == 7.0


def test_a_failing_step_is_one_line_and_every_later_call_says_it_again() -> None:
    def fails() -> None:
        raise OSError("demo_data/demo-hour/samples.parquet: No such file or directory\n  (a second line)")

    child = ForkedSteps([lambda: None, fails, lambda: "never run"], what="the demo's start")
    assert child.next() is None
    for _ in range(2):
        with pytest.raises(UserError) as raised:
            child.next()
        assert str(raised.value) == "the demo's start failed: demo_data/demo-hour/samples.parquet: No such file or directory"


def test_a_user_error_over_there_is_raised_here_as_it_was() -> None:
    def refuses() -> None:
        raise HistoryError("/srv/h.duckdb: another aiops-tui (PID 4242) is writing it; stop it or pass --history")

    child = ForkedSteps([refuses], what="the demo's start")
    with pytest.raises(HistoryError, match=r"^/srv/h.duckdb: another aiops-tui \(PID 4242\) is writing it"):
        child.next()


def test_a_child_that_dies_is_said_so() -> None:
    child = ForkedSteps([lambda: os._exit(9)], what="the demo's start")
    with pytest.raises(UserError, match="^the demo's start failed: the process died$"):
        child.next()


def test_closing_before_the_steps_are_done_stops_the_child_and_reaps_it() -> None:
    child = ForkedSteps([lambda: time.sleep(60)], what="a long step")
    pid = child._pid
    started = time.monotonic()
    child.close()
    assert time.monotonic() - started < 5
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)
    child.close()  # twice is harmless: the cockpit closes it on every way out


KILLED_PARENT = """
import sys, time
from aiops_tui.forked import ForkedSteps
child = ForkedSteps([lambda: time.sleep(120)], what="a week's backfill")
print(child._pid, flush=True)
time.sleep(120)
"""


def gone(pid: int) -> bool:
    """The process has ended: no such pid, or a zombie nobody has reaped yet (in a container without an init)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except (FileNotFoundError, ProcessLookupError):
        return True


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads the child's state from /proc (Linux)")
def test_a_child_does_not_outlive_a_cockpit_that_is_killed() -> None:
    import signal
    import subprocess
    import sys

    parent = subprocess.Popen([sys.executable, "-c", KILLED_PARENT], stdout=subprocess.PIPE, text=True)
    try:
        child_pid = int(parent.stdout.readline())
        assert not gone(child_pid)
        parent.send_signal(signal.SIGKILL)  # as an SSH session's end or the OOM killer leaves it: no cleanup ran
        parent.wait(10)
        deadline = time.monotonic() + 10
        while not gone(child_pid):
            assert time.monotonic() < deadline, "the child went on working for a cockpit that is gone"
            time.sleep(0.05)
    finally:
        parent.kill()
        parent.stdout.close()

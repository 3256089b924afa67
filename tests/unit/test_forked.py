"""`ForkedSteps`: steps run in a forked child, their results read back in order; a failure there is one
line here (a UserError as it was raised), said again by every later call; closing early stops the child."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from aiops_tui.errors import HistoryError, UserError
from aiops_tui.forked import ForkedSteps

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

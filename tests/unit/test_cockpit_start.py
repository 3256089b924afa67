"""`Cockpit.start`: the first views begun before the UI exists, waited for by `wait_started`, handed
over once by `views`, and a failing `prepare` said by the first `views` call, not by the wait."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from aiops_tui.cockpit import Cockpit
from aiops_tui.store.history import History


def test_the_first_views_are_waited_for_then_handed_over_once(tmp_path: Path) -> None:
    release = threading.Event()
    prepared: list[str] = []
    with History.open(tmp_path / "h.duckdb") as history:
        cockpit = Cockpit(history, prepare=lambda: (release.wait(5), prepared.append("done")),
                          clock=lambda: 1_796_000_000.0)
        cockpit.start()
        waiter = threading.Thread(target=cockpit.wait_started)
        waiter.start()
        waiter.join(0.3)
        assert waiter.is_alive() and not prepared  # still waiting on prepare
        release.set()
        waiter.join(5)
        assert not waiter.is_alive() and prepared == ["done"]
        first = cockpit.views()
        assert first.at == 1_796_000_000.0
        assert cockpit.views() is not first  # handed over once; read afresh from then on


def test_a_failing_prepare_is_raised_by_the_first_views_call_not_by_the_wait(tmp_path: Path) -> None:
    def prepare() -> None:
        raise OSError("demo_data/demo-hour/samples.parquet: No such file or directory")

    with History.open(tmp_path / "h.duckdb") as history:
        cockpit = Cockpit(history, prepare=prepare)
        cockpit.start()
        cockpit.wait_started()
        with pytest.raises(OSError, match="samples.parquet"):
            cockpit.views()

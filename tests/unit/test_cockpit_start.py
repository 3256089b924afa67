"""`Cockpit.start`: the first views begun before the UI exists, waited for and handed over once by
`views`, and a failing `prepare` said by that first `views` call. With
`first_views` and `open_history` (the demo), they come from elsewhere and the history is opened here
when polling starts."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest

from aiops_tui.cockpit import Cockpit
from aiops_tui.errors import HistoryError
from aiops_tui.store.history import History


def test_the_first_views_are_waited_for_then_handed_over_once(tmp_path: Path) -> None:
    release = threading.Event()
    prepared: list[str] = []
    with History.open(tmp_path / "h.duckdb") as history:
        cockpit = Cockpit(history, prepare=lambda: (release.wait(5), prepared.append("done")),
                          clock=lambda: 1_796_000_000.0)
        cockpit.start()
        handed: list = []
        waiter = threading.Thread(target=lambda: handed.append(cockpit.views()))
        waiter.start()
        waiter.join(0.3)
        assert waiter.is_alive() and not prepared  # still waiting on prepare
        release.set()
        waiter.join(5)
        assert not waiter.is_alive() and prepared == ["done"]
        first = handed[0]
        assert first.at == 1_796_000_000.0
        assert cockpit.views() is not first  # handed over once; read afresh from then on


def test_a_failing_prepare_is_raised_by_the_first_views_call_not_by_the_wait(tmp_path: Path) -> None:
    def prepare() -> None:
        raise OSError("demo_data/demo-hour/samples.parquet: No such file or directory")

    with History.open(tmp_path / "h.duckdb") as history:
        cockpit = Cockpit(history, prepare=prepare)
        cockpit.start()
        with pytest.raises(OSError, match="samples.parquet"):
            cockpit.views()


def test_first_views_from_elsewhere_and_the_history_opened_here_when_polling_starts(tmp_path: Path) -> None:
    """The demo's way: a child process builds the first views and holds the file until polling starts."""
    path = tmp_path / "h.duckdb"
    with History.open(path) as other:
        elsewhere = Cockpit(other, clock=lambda: 1_796_000_000.0).views()
    opened: list[History] = []

    def open_history() -> History:
        opened.append(History.open(path))
        return opened[-1]

    cockpit = Cockpit(None, first_views=lambda: elsewhere, open_history=open_history, clock=lambda: 1_796_000_060.0,
                      starting=lambda: "rolling up the demo's 6h; polling starts after")
    cockpit.start()
    assert cockpit.views() is elsewhere
    assert cockpit.history is None  # never waits: the UI's thread reads it
    later: list = []
    reader = threading.Thread(target=lambda: later.append(cockpit.views()))
    reader.start()
    reader.join(0.3)
    assert reader.is_alive() and not opened  # the next views wait for the history
    assert cockpit.starting == "rolling up the demo's 6h; polling starts after"  # the status line says why
    try:
        asyncio.run(cockpit.run_polling(asyncio.Event()))  # no poller: opens the history and returns
        reader.join(5)
        assert cockpit.history is opened[0]
        assert cockpit.starting == ""  # the start is over
        assert later[0].at == 1_796_000_060.0
    finally:
        for history in opened:
            history.close()


def test_a_history_that_cannot_be_opened_stops_polling_and_is_said_by_the_views(tmp_path: Path) -> None:
    def open_history() -> History:
        raise HistoryError(f"{tmp_path}/h.duckdb: another aiops-tui (PID 4242) is writing it")

    cockpit = Cockpit(None, first_views=lambda: None, open_history=open_history)
    cockpit.start()
    assert cockpit.views() is None  # the first views, from elsewhere
    with pytest.raises(HistoryError, match="PID 4242"):
        asyncio.run(cockpit.run_polling(asyncio.Event()))
    with pytest.raises(HistoryError, match="PID 4242"):
        cockpit.views(at=1_796_000_000.0)
    assert cockpit.history is None

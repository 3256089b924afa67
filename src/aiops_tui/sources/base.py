"""What every source is to the poller: a name, an interval, a timeout and `poll() -> Batch`."""

from __future__ import annotations

from typing import Protocol

from aiops_tui.model import Batch


class SourceError(Exception):
    """A one-line reason a poll produced nothing usable."""


class Source(Protocol):
    name: str
    interval_s: float
    timeout_s: float

    async def poll(self) -> Batch:
        """Never raises: a failed poll is a Batch with `error` set and no samples."""
        ...

"""Errors the user can act on: printed as one line, exit status 2, never a traceback."""

from __future__ import annotations


class UserError(Exception):
    """A problem with input the user controls (a config file, a history file, a flag)."""

    exit_code = 2

    def __str__(self) -> str:
        # One line, always: a multi-line message would scroll the real cause off an SSH screen.
        return " ".join(super().__str__().split())


class HistoryError(UserError):
    """A history file that cannot be opened or written, said in one line."""


def first_line(exc: BaseException, limit: int = 200) -> str:
    """The first line of an exception's text, cut to `limit` characters (bodies and dumps dropped)."""
    lines = str(exc).strip().splitlines()
    return lines[0][:limit] if lines else ""

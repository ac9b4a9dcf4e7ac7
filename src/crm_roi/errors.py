"""Errors as values: what went wrong, where, and why.

Library code raises :class:`CrmRoiError` subclasses for whole-file problems and returns
:class:`RowIssue` values for problems with single rows. Only the CLI decides exit codes and
how they look on a terminal.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any


class Severity(StrEnum):
    ERROR = "error"  # the row is rejected: left out of every figure
    WARNING = "warning"  # the row is used, but something about it deserves a look


@dataclass(frozen=True)
class RowIssue:
    """One problem with one row of one input file.

    ``row`` is the row number a spreadsheet user sees (the header is row 1 when nothing is
    above it); ``column`` is the file's own header text.
    """

    file: str
    row: int
    column: str
    value: str
    reason: str
    severity: Severity = Severity.ERROR
    code: str = "invalid"

    def __str__(self) -> str:
        where = f"{self.file}:{self.row}"
        return (
            f"{where}: {self.column}: {self.reason}" if self.column else f"{where}: {self.reason}"
        )

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class CrmRoiError(Exception):
    """Base of every error crm-roi raises on purpose. ``str()`` is one line for the user."""

    exit_code = 1


class InputError(CrmRoiError):
    """A whole input can't be used: missing, empty, unreadable, or a required column is absent."""

    def __init__(self, path: Path | str, reason: str) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


class UsageError(CrmRoiError):
    """The command was asked for something that doesn't fit (bad option value, bad mapping file)."""

    exit_code = 2


class OutputError(CrmRoiError):
    """A report couldn't be written (disk full, read-only folder, stdout closed, …); the
    previous report, if any, is left as it was."""


class NoDates(CrmRoiError):
    """The inputs hold no date to make a window of, and none was given."""

    def __init__(self) -> None:
        super().__init__("no dates in the inputs: give the window's first and last day")


class EmptyWindow(UsageError):
    """The window's first day is after its last."""

    def __init__(self, start: object, end: object) -> None:
        self.start, self.end = start, end
        super().__init__(f"the window is empty: it starts on {start}, after its last day {end}")


class TooManyGroups(UsageError):
    """A breakdown with more groups (or combinations of values) than can be told apart."""

    def __init__(self, dims: tuple[str, ...], count: int, limit: int | None = None) -> None:
        self.dims, self.count = dims, count
        name = ",".join(dims)
        if limit is None:
            message = (
                f"the breakdown by {name} has {count:,} combinations of values, too many to tell "
                "apart; break down by fewer or coarser dimensions"
            )
        else:
            message = (
                f"the breakdown by {name} has {count:,} groups, more than the {limit:,} a "
                "breakdown may have; break down by a coarser dimension"
            )
        super().__init__(message)

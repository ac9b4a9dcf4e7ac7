"""Tables that fit the terminal: how wide a column must be to show every cell whole, and which
columns fit, by priority, beside those that always show.

Every terminal table follows one rule: a number or a label is never cut. A table too wide for
the screen shows fewer columns (and says which are left out), or is stacked; a group's label
wraps only when it alone is wider than half the screen.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TypeVar

from rich.cells import cell_len
from rich.console import Console
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

Key = TypeVar("Key")
WIDEST = 100_000  # room to measure a table in, so Rich never narrows it while measuring


def needed(cells: Iterable[str | Text]) -> int:
    """The width a column needs to show each of its cells whole: its longest line.

    >>> needed(["€361,318", Text("1,009.1%\\n(+48%)"), "–"])
    8
    """
    lines = (line for cell in cells for line in str(cell).split("\n"))
    return max((cell_len(line) for line in lines), default=0)


def label_width(natural: int, screen: int, keys: int = 1) -> int:
    """The width of a group's label column: all it needs, unless a label alone is wider than
    half the screen (or, when a breakdown crosses three or more ``keys``, than its share);
    then the labels wrap at that width.

    >>> label_width(14, 80), label_width(60, 80), label_width(60, 80, keys=2)
    (14, 37, 36)
    >>> label_width(60, 80, keys=3)
    23
    """
    return max(8, min(natural, screen // 2 - 3, (screen - 1) // keys - 3))


def table_width(console: Console, style: Callable[[], Table], widths: Sequence[int]) -> int:
    """How wide a table made by ``style`` is when its columns are ``widths`` wide: its borders
    and padding as Rich draws them, measured on an empty table."""
    skeleton = style()
    for width in widths:
        skeleton.add_column(min_width=width, max_width=width)
    room = console.options.update_width(WIDEST)
    return Measurement.get(console, room, skeleton).maximum


def fits(console: Console, style: Callable[[], Table], widths: Sequence[int]) -> bool:
    """Whether a table of columns ``widths`` wide fits the console's width."""
    return table_width(console, style, widths) <= console.width


def fitting(
    console: Console,
    style: Callable[[], Table],
    fixed: Sequence[int],
    optional: Sequence[tuple[Key, int]],
    contiguous: bool = False,
) -> list[Key]:
    """Of the ``optional`` columns, given as (key, width) in priority order, those that fit
    beside the ``fixed`` ones: each in turn if there is room for it (a narrow column may fit
    where a wider one didn't), or, when ``contiguous``, up to the first that doesn't fit."""
    chosen: list[tuple[Key, int]] = []
    for key, width in optional:
        if fits(console, style, [*fixed, *(w for _, w in chosen), width]):
            chosen.append((key, width))
        elif contiguous:
            break
    return [key for key, _ in chosen]


def left_out(names: Sequence[str], remedy: str) -> Text:
    """The line under a table that couldn't show every figure.

    >>> print(left_out(["net_return", "clv"], "--columns or --format json"))
    … 2 more figures (net_return, clv): --columns or --format json
    """
    many = "figures" if len(names) > 1 else "figure"
    return Text(f"… {len(names)} more {many} ({', '.join(names)}): {remedy}", style="dim")

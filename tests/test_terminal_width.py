"""Terminal tables fit the terminal (issue 14, part 1): at any width from 60 columns, no line is
longer than the screen, and no number or label is cut.

Each run is the real command in a pseudo-terminal, with ``COLUMNS`` set and ``TERM`` a colour
terminal or ``dumb``; what it printed is checked against the same command's JSON.
"""

from __future__ import annotations

import csv
import doctest
import fcntl
import json
import os
import re
import select
import struct
import subprocess
import sys
import tempfile
import termios
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from decimal import ROUND_HALF_EVEN, Decimal
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from rich.cells import cell_len
from typer.testing import CliRunner

from conftest import EXAMPLE_INPUTS, EXAMPLES
from crm_roi.cli import app
from crm_roi.engine.figures import FIELDS, figure
from crm_roi.render import fit, table

WIDTHS = (60, 80, 120)
TERMS = ("xterm-256color", "dumb")
TIMEOUT = 60  # seconds a run may take
COMPUTE = ("compute", *EXAMPLE_INPUTS, "--by", "channel")
COHORTS = ("cohorts", *EXAMPLE_INPUTS, "--period", "month")
COMPARE = ("compare", *EXAMPLE_INPUTS, "--go-live", "2024-01-01", "--by", "channel")
VALIDATE = ("validate", *EXAMPLE_INPUTS)
INSPECT = ("inspect", str(EXAMPLES / "deals.csv"))
ESCAPES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07]*\x07")
# What the environment must not decide for these runs: the width, colour, the locale.
UNSET = ("COLUMNS", "LINES", "NO_COLOR", "FORCE_COLOR", "LANG", "LC_ALL", "LC_NUMERIC")


# --- running the command line in a pseudo-terminal ------------------------------------------


@cache
def terminal(
    args: tuple[str, ...], columns: int | None, term: str, no_color: bool = False, window: int = 0
) -> str:
    """What ``crm-roi ARGS`` shows on a terminal ``window`` columns wide (0: the size is left
    unset), with ``COLUMNS`` (unless None) and ``TERM`` set: its lines, escapes removed."""
    env = {k: v for k, v in os.environ.items() if k not in UNSET}
    env.update(TERM=term, PYTHONIOENCODING="utf-8")
    if columns is not None:
        env["COLUMNS"] = str(columns)
    if no_color:
        env["NO_COLOR"] = "1"
    main, child = os.openpty()
    fcntl.ioctl(child, termios.TIOCSWINSZ, struct.pack("HHHH", 40, window, 0, 0))
    with tempfile.TemporaryFile() as stderr:
        proc = subprocess.Popen(
            [sys.executable, "-m", "crm_roi", *args],
            stdin=subprocess.DEVNULL,
            stdout=child,
            stderr=stderr,
            env=env,
            cwd=EXAMPLES.parent,
        )
        os.close(child)
        try:
            out = b"".join(_read_all(main, proc))
        finally:
            os.close(main)
        code = proc.wait(timeout=TIMEOUT)
        stderr.seek(0)
        assert code in (0, 1), stderr.read().decode("utf-8", "replace")
    return ESCAPES.sub("", out.decode("utf-8")).replace("\r\n", "\n")


def _read_all(fd: int, proc: subprocess.Popen[bytes]) -> Iterator[bytes]:
    """Everything written to the pseudo-terminal until the command ends, within TIMEOUT."""
    deadline = time.monotonic() + TIMEOUT
    while True:
        left = deadline - time.monotonic()
        ready, _, _ = select.select([fd], [], [], max(left, 0))
        if not ready:
            proc.kill()
            raise TimeoutError(f"no end after {TIMEOUT} s")
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # Linux: EIO once the command has closed its end
            return
        if not chunk:
            return
        yield chunk


@pytest.fixture(scope="module", autouse=True)
def runs_side_by_side() -> None:
    """The matrix of runs below, started a few at a time before the tests read them."""
    runs = [
        (args, width, term, args[0] == "compare")
        for args in (COMPUTE, INSPECT, VALIDATE, COHORTS, COMPARE)
        for width in WIDTHS
        for term in TERMS
    ]
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        list(pool.map(lambda run: terminal(*run), runs))


@cache
def as_json(args: tuple[str, ...]) -> dict[str, Any]:
    result = CliRunner().invoke(app, [*args, "--format", "json"])
    assert result.exit_code == 0, result.output
    return dict(json.loads(result.stdout))


def too_long(text: str, width: int) -> list[str]:
    return [line for line in text.splitlines() if cell_len(line) > width]


def flat(text: str) -> str:
    """The text with its lines joined: a note wrapped onto two lines reads as one."""
    return " ".join(text.split())


def cells(line: str) -> list[str]:
    """A table row's cells: ``│ Events │ €361,318 │`` → ``["Events", "€361,318"]``."""
    return [c.strip() for c in re.split(r"[│┃]", line)[1:-1]]


def table_rows(text: str, title: str) -> tuple[list[str], list[list[str]]]:
    """The headings and the one-line rows of the boxed table under ``title``."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip().startswith(title))
    heads: list[str] = []
    rows: list[list[str]] = []
    for line in lines[start + 1 :]:
        if line.startswith("┃"):
            heads = (
                [" ".join(h) for h in zip(heads, cells(line), strict=True)]
                if heads
                else cells(line)
            )
        elif line.startswith("│"):
            rows.append(cells(line))
        elif line.startswith("└"):
            break
    return [" ".join(h.split()) for h in heads], rows


# --- how the tables write numbers (the plain locale: no LANG in these runs) --------------------


def euros(value: float) -> str:
    """Money in whole units, as the breakdown table shows it: ``-€82,109``."""
    whole = Decimal(str(value)).quantize(Decimal(1), rounding=ROUND_HALF_EVEN)
    return f"{'-' if whole < 0 else ''}€{abs(whole):,}"


def shown(name: str, value: Any) -> str:
    """A figure as compute's breakdown table shows it."""
    if value is None:
        return "–"
    declared = figure(name)
    if declared.kind == "money":
        return euros(value)
    if declared.shown == "percent":
        return f"{Decimal(str(value)) * 100:,.1f}%"
    if declared.shown == "times":
        return f"{Decimal(str(value)):.1f}×"
    return f"{value:,}"


def compact(value: float) -> str:
    """A cohort's amount: ``8.2k`` (rounded half to even, as babel does)."""
    amount = Decimal(str(value))
    if abs(amount) >= 1000:
        return f"{(amount / 1000).quantize(Decimal('0.1'), rounding=ROUND_HALF_EVEN):,}k"
    return f"{amount.quantize(Decimal(1), rounding=ROUND_HALF_EVEN):,}"


def test_the_fitting_examples_hold() -> None:
    result = doctest.testmod(fit)
    assert result.attempted and not result.failed


def test_the_priority_orders_every_column_of_the_table() -> None:
    assert sorted(table.PRIORITY) == sorted(table.COLUMNS)
    assert table.PRIORITY[:6] == ("revenue", "cost", "roi", "cac", "clv", "ltv_cac")


# --- compute ------------------------------------------------------------------------------------


@pytest.mark.parametrize("term", TERMS)
@pytest.mark.parametrize("width", WIDTHS)
def test_compute_fits_and_cuts_no_channel_and_no_number(width: int, term: str) -> None:
    text = terminal(COMPUTE, width, term)
    assert too_long(text, width) == []
    heads, rows = table_rows(text, "By channel")
    assert heads[0] == "channel" and heads[1] == "Revenue"
    report = as_json(COMPUTE)
    by_channel = {row["channel"]: row for row in report["breakdowns"]["channel"]}
    assert sorted(row[0] for row in rows) == sorted(by_channel)  # every channel, whole
    names = {figure(f).short: f for f in table.COLUMNS}
    for row in rows:
        for head, cell in zip(heads[1:], row[1:], strict=True):
            assert cell == shown(names[head], by_channel[row[0]][names[head]]), (head, row)
    missing = [f for f in table.PRIORITY if figure(f).short not in heads]
    if missing:
        assert f"… {len(missing)} more figure" in flat(text)
        assert f"({', '.join(missing)}): --columns or --format json" in flat(text)
    else:
        assert "more figure" not in text
    # The headline's figures, whole.
    assert "€1,967,717.69" in text and "215.8%" in text


def test_compute_at_80_columns_shows_the_first_figures_of_the_priority() -> None:
    heads, _ = table_rows(terminal(COMPUTE, 80, "xterm-256color"), "By channel")
    assert heads[:5] == ["channel", "Revenue", "Cost", "ROI", "CAC"]


@pytest.mark.parametrize("width", WIDTHS)
def test_compute_columns_shows_exactly_those_figures(width: int) -> None:
    text = terminal((*COMPUTE, "--columns", "roi,cac"), width, "xterm-256color")
    heads, rows = table_rows(text, "By channel")
    assert heads == ["channel", "ROI", "CAC"]
    assert len(rows) == len(as_json(COMPUTE)["breakdowns"]["channel"])
    assert "more figure" not in text


def test_compute_columns_keeps_the_order_given_and_takes_any_figure() -> None:
    text = terminal((*COMPUTE, "--columns", "payback_months,hours,roi"), 120, "xterm-256color")
    heads, _ = table_rows(text, "By channel")
    assert heads == ["channel", "Payback", "Hours", "ROI"]


def test_an_unknown_figure_for_columns_is_a_usage_error_listing_the_figures() -> None:
    result = CliRunner().invoke(app, [*COMPUTE, "--columns", "roi,profit"])
    assert result.exit_code == 2
    message = " ".join(result.stderr.split())
    assert "--columns 'roi,profit': no figure 'profit'; choose from " + ", ".join(FIELDS) in message


def test_dumb_terminal_takes_columns_from_the_environment() -> None:
    """TERM=dumb used to mean 80 columns whatever COLUMNS said."""
    text = terminal(COMPUTE, 160, "dumb", window=0)
    heads, _ = table_rows(text, "By channel")
    assert len(heads) == 1 + len(table.COLUMNS)
    assert "more figure" not in text
    assert max(cell_len(line) for line in text.splitlines()) > 80


def test_without_columns_the_terminals_own_width_is_used() -> None:
    text = terminal(COMPUTE, None, "xterm-256color", window=70)
    assert too_long(text, 70) == []
    assert "more figures" in flat(text)


def test_a_pipe_gets_the_wide_table_unless_columns_is_set() -> None:
    env = {k: v for k, v in os.environ.items() if k not in UNSET}
    args = [sys.executable, "-m", "crm_roi", *COMPUTE, "--format", "table"]
    wide = subprocess.run(
        args, capture_output=True, env=env, cwd=EXAMPLES.parent, timeout=TIMEOUT, check=True
    )
    assert "more figure" not in wide.stdout.decode()
    narrow = subprocess.run(
        args,
        capture_output=True,
        env={**env, "COLUMNS": "80"},
        cwd=EXAMPLES.parent,
        timeout=TIMEOUT,
        check=True,
    )
    assert too_long(narrow.stdout.decode(), 80) == []
    assert "more figures" in narrow.stdout.decode()


def test_a_label_wider_than_half_the_screen_wraps_and_says_so(tmp_path: Path) -> None:
    long_name = "Partner referrals from the Benelux reseller network"  # 51 characters
    deals = tmp_path / "deals.csv"
    with (EXAMPLES / "deals.csv").open(encoding="utf-8") as source:
        rows = list(csv.reader(source))
    channel = rows[0].index("Lead Source")
    for row in rows[1:]:
        if row[channel] == "Referral":
            row[channel] = long_name
    with deals.open("w", encoding="utf-8", newline="") as out:
        csv.writer(out).writerows(rows)
    text = terminal(("compute", str(deals), "--by", "channel"), 80, "xterm-256color")
    assert too_long(text, 80) == []
    assert "Labels longer than 37 characters are wrapped." in text
    heads, _ = table_rows(text, "By channel")
    assert heads[:3] == ["channel", "Revenue", "Cost"]
    assert "Partner referrals from the Benelux" in text and "reseller network" in text


# --- inspect and validate -------------------------------------------------------------------


def first_deals(count: int) -> list[dict[str, str]]:
    with (EXAMPLES / "deals.csv").open(encoding="utf-8") as source:
        return list(csv.DictReader(source))[:count]


@pytest.mark.parametrize("term", TERMS)
@pytest.mark.parametrize("width", WIDTHS)
def test_inspect_fits_and_cuts_no_header_and_no_value(width: int, term: str) -> None:
    text = terminal(INSPECT, width, term)
    assert too_long(text, width) == []
    lines = text.splitlines()
    with (EXAMPLES / "deals.csv").open(encoding="utf-8") as source:
        headers = next(csv.reader(source))
    for header in headers:  # each on the mapping's line, whole
        assert any(line.strip().startswith(f"{header} ") for line in lines), header
    for deal in first_deals(5):  # each record as parsed, its values whole
        amount = f"{Decimal(deal['Amount']):,.2f}"
        for value in (deal["Deal ID"], amount, deal["Close Date"], deal["Lead Source"]):
            assert re.search(rf"(^|[│ ]){re.escape(value)}( |│|$)", text, re.M), value


@pytest.mark.parametrize("term", TERMS)
@pytest.mark.parametrize("width", WIDTHS)
def test_validate_fits_and_cuts_no_header(width: int, term: str) -> None:
    text = terminal(VALIDATE, width, term)
    assert too_long(text, width) == []
    lines = [line.strip() for line in text.splitlines()]
    for path in EXAMPLE_INPUTS:
        if path.endswith(".csv"):
            assert any(line.startswith(f"{path} as ") for line in lines), path
            with open(path, encoding="utf-8") as source:
                for header in next(csv.reader(source)):
                    assert any(line.startswith(f"{header} ") for line in lines), header
    assert "negative amount (-250.00)" in flat(text)


# --- cohorts ------------------------------------------------------------------------------------


@pytest.mark.parametrize("term", TERMS)
@pytest.mark.parametrize("width", WIDTHS)
def test_cohorts_show_each_cohort_whole_and_say_how_many_ages_are_left_out(
    width: int, term: str
) -> None:
    text = terminal(COHORTS, width, term)
    assert too_long(text, width) == []
    document = as_json(COHORTS)
    ages = max(len(c["revenue_by_age"]) for c in document["cohorts"])
    lines = text.splitlines()
    head = next(line.split() for line in lines if line.split()[:1] == ["cohort"])
    shown = len(head) - 4  # cohort, customers, CAC, payback, then the ages
    assert head[4:] == [str(age) for age in range(shown)]
    assert shown >= 2
    for cohort in document["cohorts"]:
        row = next(line.split() for line in lines if line.split()[:1] == [cohort["cohort"]])
        values = cohort["cumulative_revenue_per_customer"][:shown]
        marked = [
            compact(v) + ("*" if cohort["payback_period"] == age else "")
            for age, v in enumerate(values)
        ]
        assert row[4:] == marked, cohort["cohort"]
    if shown < ages:
        left = ages - shown
        assert f"… {left} more ages ({shown} to {ages - 1}) left out" in flat(text)
    else:
        assert "more age" not in text


# --- compare ------------------------------------------------------------------------------------


@pytest.mark.parametrize("term", TERMS)
@pytest.mark.parametrize("width", WIDTHS)
def test_compare_fits_and_cuts_no_channel_and_no_number(width: int, term: str) -> None:
    text = terminal(COMPARE, width, term, no_color=True)
    assert too_long(text, width) == []
    document = as_json(COMPARE)
    words = flat(text)
    for name in ("revenue", "cost", "cac"):
        for side in ("baseline", "current"):
            assert f"{document[side]['totals'][name]:,.2f}" in words, (side, name)
    changes = document["change"]["breakdowns"]["channel"]
    lines = text.splitlines()
    for row in changes:
        line = next(line for line in lines if cells(line)[:1] == [row["channel"]])
        arrow = "▲" if row["revenue"]["abs"] > 0 else "▼" if row["revenue"]["abs"] < 0 else "="
        assert f"{arrow} {abs(row['revenue']['abs']):,.2f}" in cells(line)[1], row["channel"]


@pytest.mark.parametrize("width", WIDTHS)
def test_compare_without_colour_says_better_or_worse_in_words(width: int) -> None:
    lines = terminal(COMPARE, width, "xterm-256color", no_color=True).splitlines()

    def change_of(figure_name: str) -> str:
        """The change column of the figure's row, on one line or two."""
        start = next(i for i, line in enumerate(lines) if cells(line)[:1] == [figure_name])
        parts = cells(lines[start])[-1:]
        if cells(lines[start + 1])[:1] == [""]:
            parts += cells(lines[start + 1])[-1:]
        return " ".join(parts)

    assert change_of("cac").startswith("▲") and change_of("cac").endswith("worse")
    assert change_of("revenue").startswith("▲") and change_of("revenue").endswith("better")
    assert change_of("clv").startswith("▼") and change_of("clv").endswith("worse")


def test_compare_in_colour_shows_better_and_worse_by_colour() -> None:
    text = terminal(COMPARE, 120, "xterm-256color")
    assert "worse" not in text and "better" not in text


def test_the_help_of_columns_names_the_priority() -> None:
    from crm_roi.cli.options import ColumnsOpt

    assert ", ".join(table.PRIORITY) in ColumnsOpt.__metadata__[0].help

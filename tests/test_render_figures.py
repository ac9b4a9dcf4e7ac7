"""Every output names, formats and judges a figure as engine/figures.py declares it.

The renderers hold which figures they show and in which order; a figure's label, short label,
kind (money, count, number), how it is shown (percent, times) and which way is better come from
the one figure table, and a figure becomes a plain number in one function.
"""

from __future__ import annotations

import doctest
import io
import json
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from typing import Any

import openpyxl
import pytest
from rich.console import Console

from conftest import load
from crm_roi.engine import figures
from crm_roi.engine.figures import (
    COUNT,
    FIELDS,
    FIGURES,
    HIGHER,
    LOWER,
    MONEY,
    NEUTRAL,
    NUMBER,
    PERCENT,
    PLAIN,
    TIMES,
    Better,
)
from crm_roi.render import excel, report, table, timeaware, workbook
from crm_roi.render.json import dumps
from crm_roi.render.report import plain_figure, plain_number

SAMPLE = {MONEY: 1234.5, COUNT: 3, NUMBER: 0.25}


def sample_report() -> dict[str, Any]:
    """A report as the JSON has it, written by hand: a renderer needs nothing else."""
    values = {f.name: SAMPLE[f.kind] for f in FIGURES}
    return {
        "schema": "crm-roi/report@1",
        "currency": "EUR",
        "window": {"from": "2024-01-01", "to": "2024-12-31"},
        "settings": {"gross_margin": 1.0},
        "inputs": [],
        "totals": values,
        "breakdowns": {"channel": [{"channel": "Email", **values}]},
        "warnings": [],
    }


def terminal_text(report_: dict[str, Any]) -> str:
    console = Console(file=io.StringIO(), width=250, color_system=None)
    table.print_report(console, report_, "en_US", rejected=0)
    return console.file.getvalue()  # type: ignore[attr-defined]


def workbook_texts(report_: dict[str, Any]) -> dict[str, set[Any]]:
    data = excel.workbook_bytes(report_, [], datetime(2024, 1, 1))
    book = openpyxl.load_workbook(io.BytesIO(data))
    return {s.title: {c.value for row in s.iter_rows() for c in row} for s in book.worksheets}


@pytest.fixture
def renamed_cac(monkeypatch: pytest.MonkeyPatch) -> None:
    cac = figures.figure("cac")
    renamed = replace(cac, label="Cost per new customer", short="CPNC")
    monkeypatch.setitem(figures.BY_NAME, "cac", renamed)


def test_a_label_changed_in_the_figure_table_shows_in_the_workbook(renamed_cac: None) -> None:
    sheets = workbook_texts(sample_report())
    for sheet in ("Summary", "By channel", "Definitions"):
        assert "Cost per new customer" in sheets[sheet]
        assert "CAC" not in sheets[sheet]


def test_a_label_changed_in_the_figure_table_shows_in_the_terminal_table(renamed_cac: None) -> None:
    text = terminal_text(sample_report())
    assert "Cost per new customer" in text  # the headline
    assert "CPNC" in text  # the breakdown's column heading
    assert " CAC " not in text  # (LTV:CAC is another figure)


def test_the_terminal_table_heads_columns_with_short_labels_and_the_headline_with_labels() -> None:
    text = terminal_text(sample_report())
    for name in table.COLUMNS:
        assert f" {figures.figure(name).short} " in text
    assert "Cost (fully loaded)" in text
    # A value that names its unit ("0.2 months") is headed by the short label.
    assert "Payback " in text and "Payback (months)" not in text
    assert "0.2 months" in text and "0.2 days" in text


def test_every_figure_has_a_workbook_format_from_its_kind_and_how_it_is_shown() -> None:
    for f in FIGURES:
        fmt = workbook.number_format(f.name, "EUR")
        if f.kind is MONEY:
            assert fmt == workbook.money_format("EUR")
        elif f.shown is PERCENT:
            assert fmt == "0.0%"
        elif f.shown is TIMES:
            assert fmt == '0.00"×"'
        elif f.kind is COUNT:
            assert fmt == "#,##0"
        else:
            assert (f.kind, f.shown) == (NUMBER, PLAIN)
            assert fmt == workbook.PLAIN_FORMATS[f.name]


@pytest.mark.parametrize("f", FIGURES, ids=lambda f: f.name)
def test_a_change_is_good_news_the_way_the_figure_table_says(f: figures.Figure) -> None:
    up = {HIGHER: True, LOWER: False, NEUTRAL: None}[f.better]
    assert timeaware.better(f.name, 1.0) is up
    assert timeaware.better(f.name, -1.0) is (None if up is None else not up)
    assert timeaware.better(f.name, 0) is None
    assert timeaware.better(f.name, None) is None


def test_a_direction_changed_in_the_figure_table_changes_the_comparison(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    hours = figures.figure("hours")
    assert timeaware.better("hours", 5.0) is None
    monkeypatch.setitem(figures.BY_NAME, "hours", replace(hours, better=Better.LOWER))
    assert timeaware.better("hours", 5.0) is False


def test_a_percentage_changes_by_points_coloured_by_its_direction() -> None:
    """Churn from 10 % to 15 %: 5 points up, and bad news."""
    arrow = timeaware._arrow("churn_rate", 0.05, 0.5)
    assert (arrow.plain, arrow.style) == ("▲ 5.0 pt (+50%)", "red")
    arrow = timeaware._arrow("win_rate", 0.05, 0.1)
    assert (arrow.plain, arrow.style) == ("▲ 5.0 pt (+10%)", "green")


def test_money_is_rounded_half_up_to_the_cent_counts_whole_other_numbers_unrounded() -> None:
    assert plain_number(Decimal("2.675"), MONEY) == 2.68  # float(2.675) would round to 2.67
    assert plain_number(Decimal("-0.005"), MONEY) == -0.01
    assert plain_number(Decimal("7"), COUNT) == 7
    assert isinstance(plain_number(Decimal("7"), COUNT), int)
    assert plain_number(Decimal("0.1234567")) == 0.1234567
    assert plain_number(None, MONEY) is None


def test_a_figure_becomes_a_plain_number_by_its_kind() -> None:
    assert plain_figure("cac", Decimal("1.005")) == 1.01
    assert plain_figure("won_deals", Decimal("4")) == 4
    assert plain_figure("roi", Decimal("1.23456")) == 1.23456
    assert set(report.figures(dict.fromkeys(FIELDS, None))) == set(FIELDS)


def test_json_writes_a_stray_decimal_through_the_same_conversion() -> None:
    assert json.loads(dumps({"x": Decimal("0.125")})) == {"x": 0.125}


def test_the_plain_number_examples_hold() -> None:
    result = doctest.testmod(report, optionflags=doctest.ELLIPSIS)
    assert result.attempted and not result.failed


def test_inspect_shows_a_missing_value_blank_and_a_date_as_its_day() -> None:
    """deals_rejections.csv row 13: an open deal with no amount and no close date."""
    console = Console(file=io.StringIO(), width=250, color_system=None)
    from crm_roi.render.validation import print_rows

    print_rows(console, load("deals_rejections.csv"), 40)
    text = console.file.getvalue()  # type: ignore[attr-defined]
    row = next(line for line in text.splitlines() if "D-012" in line)
    cells = [c.strip() for c in row.strip("│ ").split("│")]
    assert cells[:6] == ["13", "D-012", "", "open", "", "2024-03-04"]
    assert "NaT" not in text and "<NA>" not in text and "nan" not in text

"""The sheets of the cohort and comparison workbooks (the workbooks themselves are made in
:mod:`crm_roi.render.excel`).

Cohorts: the triangle of cumulative revenue per customer shaded from light to dark, each
cohort's CAC and payback, what payback 0 means, and the latest cohorts as lines on a page of
their own. Comparisons: every figure for both windows with the change, the change coloured
green or red *and* said in words (``better``, ``worse``) so that it reads in black and white; a
chart of the money; and a sheet per breakdown with its groups' changes.
"""

from __future__ import annotations

from typing import Any

from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.chart.series import SeriesLabel
from openpyxl.formatting.rule import ColorScaleRule
from openpyxl.styles import Alignment
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from crm_roi.engine.figures import COUNT, MONEY, PERCENT, PLAIN, TIMES, figure
from crm_roi.render.locale import PLAIN as PLAIN_LOCALE
from crm_roi.render.report import breakdown_dims, people_fields
from crm_roi.render.safe import xml_text
from crm_roi.render.timeaware import CHANGE_COLUMNS, better
from crm_roi.render.workbook import (
    BOLD,
    COLUMN_ORDER,
    HEADER_FILL,
    MONTH_KEYS,
    NOTE,
    PLAIN_FORMATS,
    SYMBOLS,
    TITLE,
    Pages,
    day,
    day_format,
    fit_row_height,
    fit_widths,
    label,
    mark,
    money_format,
    month_format,
    month_start,
    number_format,
    print_setup,
    put_date,
    style_header,
    unsmoothed,
)

COHORT_HEAD = 4  # the cohort table's header row: a title, the window, and "Age" above it
DRAWN = 6  # cohorts drawn as lines, spread over the window


def cohorts_sheet(sheet: Worksheet, document: dict[str, Any], locale: str = PLAIN_LOCALE) -> None:
    """A cohort triangle with a colour scale, what its columns mean, and a line chart of the
    latest cohorts on a page of its own."""
    sheet.title = "Cohorts"
    period, currency, rows = document["period"], document["currency"], document["cohorts"]
    ages = max((len(c["revenue_by_age"]) for c in rows), default=0)
    _cohort_header(sheet, document, ages)
    money = money_format(currency, locale)
    for r, c in enumerate(rows, start=COHORT_HEAD + 1):
        month = month_start(c["cohort"]) if period == "month" else None
        if month:
            put_date(sheet.cell(r, 1), month, month_format(locale))
        else:
            sheet.cell(r, 1, xml_text(c["cohort"]))
        values = (c["customers"], c["acquisition_cost"], c["cac"], c["payback_period"])
        for col, (value, fmt) in enumerate(zip(values, ("#,##0", money, money, "0"), strict=True)):
            sheet.cell(r, col + 2, value).number_format = fmt
        sheet.cell(r, 5).alignment = Alignment(horizontal="center")
        for age, value in enumerate(c["cumulative_revenue_per_customer"]):
            sheet.cell(r, 6 + age, value).number_format = "#,##0"  # whole amounts: a heat map
    last = COHORT_HEAD + len(rows)
    _cohort_notes(sheet, last + 2, period)
    sheet.column_dimensions["A"].width = 10
    fit_widths(sheet, range(2, 6), header=COHORT_HEAD, least=10)
    longest = max(
        (len(f"{v:,.0f}") for c in rows for v in c["cumulative_revenue_per_customer"]), default=4
    )
    for age in range(ages):  # narrow, and the same for every age: the triangle is a heat map
        sheet.column_dimensions[get_column_letter(6 + age)].width = max(longest + 2, 5)
    fit_row_height(sheet, COHORT_HEAD, least=30)
    sheet.freeze_panes = sheet.cell(COHORT_HEAD + 1, 2)
    print_setup(sheet, f"{COHORT_HEAD - 1}:{COHORT_HEAD}", "A:A")
    if rows and ages:
        _cohort_chart(sheet, rows, ages, period, last + 4)


def _cohort_header(sheet: Worksheet, document: dict[str, Any], ages: int) -> None:
    """The title, the window and currency, and the table's heading: the ages are numbers under
    a line that says what they count."""
    period, currency, window = document["period"], document["currency"], document["window"]
    sheet["A1"] = f"Cumulative revenue per customer, by {period} of acquisition"
    sheet["A1"].font = TITLE
    sheet["A2"] = xml_text(
        f"{window['from']} to {window['to']}; amounts in {currency or 'the inputs’ currency'}; "
        f"gross margin {document['gross_margin']:g}"
    )
    header = [
        "Cohort",
        "Customers",
        label("acquisition_cost"),
        label("cac"),
        f"Payback ({period}s)",
        *range(ages),
    ]
    for col, text in enumerate(header, start=1):
        sheet.cell(COHORT_HEAD, col, text)
    style_header(sheet[COHORT_HEAD], numbers_from=2)
    if ages:
        above = sheet.cell(COHORT_HEAD - 1, 6, f"Age: {period}s since acquisition")
        above.font = BOLD
        above.fill = HEADER_FILL
        sheet.merge_cells(
            start_row=COHORT_HEAD - 1, start_column=6, end_row=COHORT_HEAD - 1, end_column=5 + ages
        )


def _cohort_notes(sheet: Worksheet, row: int, period: str) -> None:
    notes = (
        f"Age: {period}s since the {period} of acquisition (age 0 is that {period} itself). Each "
        f"cell: the revenue the cohort's customers brought up to that age, per customer.",
        f"Payback: the first age at which that revenue times the gross margin reached the "
        f"cohort's CAC. 0: the {period} of acquisition paid it back already (the first deals "
        f"brought more gross profit per customer than the CAC). Empty: not paid back by the "
        f"window's end, or no CAC.",
    )
    for offset, text in enumerate(notes):
        sheet.cell(row + offset, 1, text).font = NOTE


def _cohort_chart(
    sheet: Worksheet, rows: list[dict[str, Any]], ages: int, period: str, at: int
) -> None:
    """The triangle shaded from light to dark; below it, as lines, six cohorts spread over the
    window, from the oldest (the longest history) to the latest."""
    first, last = COHORT_HEAD + 1, COHORT_HEAD + len(rows)
    sheet.conditional_formatting.add(
        f"F{first}:{get_column_letter(5 + ages)}{last}",
        ColorScaleRule(start_type="min", start_color="F8FBFF", end_type="max", end_color="2E75B6"),
    )
    chart = LineChart()
    chart.title = "Cumulative revenue per customer by age, cohorts across the window"
    chart.x_axis.title = f"Age: {period}s since acquisition"
    chart.y_axis.numFmt = "#,##0"
    count = len(rows)
    drawn = sorted(
        {round(i * (count - 1) / (DRAWN - 1)) for i in range(DRAWN)} if count > 1 else {0}
    )
    for index in drawn:
        r, cohort = first + index, rows[index]
        length = len(cohort["revenue_by_age"])
        series = Reference(sheet, min_col=6, max_col=5 + length, min_row=r, max_row=r)
        chart.add_data(series, from_rows=True, titles_from_data=False)
        chart.series[-1].title = SeriesLabel(v=str(xml_text(_cohort_name(cohort, period))))
        chart.series[-1].marker.symbol = "circle"  # a cohort of one age is a point, not a line
        chart.series[-1].marker.size = 5
    chart.set_categories(
        Reference(sheet, min_col=6, max_col=5 + ages, min_row=COHORT_HEAD, max_row=COHORT_HEAD)
    )
    chart.x_axis.delete = chart.y_axis.delete = False
    Pages(sheet, 5 + ages).place(at, [[unsmoothed(chart)]], [12.0])


def _cohort_name(cohort: dict[str, Any], period: str) -> str:
    month = month_start(cohort["cohort"]) if period == "month" else None
    return month.strftime("%b %Y") if month else str(cohort["cohort"])


# ---------------------------------------------------------------------------------------------
# Comparisons

HEAD = 5  # the comparison table's header row, under the title and the two windows


def comparison_sheet(
    sheet: Worksheet, document: dict[str, Any], locale: str = PLAIN_LOCALE
) -> None:
    """Every figure for both windows, the change, and whether it is for the better; a chart of
    revenue, cost and net return for both windows below."""
    sheet.title = "Comparison"
    base, cur = document["baseline"], document["current"]
    currency = cur["currency"]
    sheet["A1"] = "Baseline against current"
    sheet["A1"].font = TITLE
    for row, (name, report) in enumerate((("Baseline", base), ("Current", cur)), start=2):
        sheet.cell(row, 1, name).font = BOLD
        put_date(sheet.cell(row, 2), day(report["window"]["from"]), day_format(locale))
        sheet.cell(row, 3, "to").alignment = Alignment(horizontal="center")
        put_date(sheet.cell(row, 4), day(report["window"]["to"]), day_format(locale))
    heads = ["Figure", "Baseline", "Current", "Change", "Change %", "Better or worse"]
    for col, text in enumerate(heads, start=1):
        sheet.cell(HEAD, col, text)
    style_header(sheet[HEAD], numbers_from=2)
    order = people_fields(base, COLUMN_ORDER)
    for r, name in enumerate(order, start=HEAD + 1):
        delta = document["change"]["totals"][name]
        sheet.cell(r, 1, label(name))
        values = (base["totals"][name], cur["totals"][name])
        for col, value in enumerate(values, start=2):
            sheet.cell(r, col, value).number_format = number_format(name, currency, locale)
        _change(sheet, r, 4, name, delta, currency, locale)
    sheet.column_dimensions["A"].width = 24
    fit_widths(sheet, range(2, 6), header=HEAD, least=12)
    sheet.column_dimensions["F"].width = 14
    sheet.freeze_panes = sheet.cell(HEAD + 1, 2)
    print_setup(sheet, f"{HEAD}:{HEAD}", "A:A")
    _money_chart(sheet, currency, HEAD + len(order) + 2)


def _change(
    sheet: Worksheet,
    row: int,
    col: int,
    name: str,
    delta: dict[str, Any],
    currency: str | None,
    locale: str,
) -> None:
    """The change (an arrow for its direction), the relative change, and better or worse in
    words, the three green or red."""
    good = better(name, delta["abs"])
    points = figure(name).shown is PERCENT  # a percentage changes by percentage points
    amount = delta["abs"] * 100 if points and delta["abs"] is not None else delta["abs"]
    change = sheet.cell(row, col, amount)
    change.number_format = arrow_format(name, currency, locale)
    rel = sheet.cell(row, col + 1, delta["rel"])
    rel.number_format = "+0.0%;-0.0%;0.0%"
    words = "" if good is None else ("better" if good else "worse")
    verdict = sheet.cell(row, col + 2, words)
    verdict.alignment = Alignment(horizontal="center")
    for cell in (change, rel, verdict):
        mark(cell, good)
    if amount is None:
        change.value = "–"
        change.alignment = Alignment(horizontal="right")


def arrow_format(name: str, currency: str | None, locale: str = PLAIN_LOCALE) -> str:
    """A change's cell format: ``▲`` up, ``▼`` down (shown without a minus), ``=`` none;
    percentages change by points (``▲ 12.5 pt``); money's symbol where ``locale`` puts it.

    >>> arrow_format("revenue", "EUR")
    '"▲ "€ #,##0.00;"▼ "€ #,##0.00;"= "€ #,##0.00'
    >>> arrow_format("roi", None)
    '"▲ "0.0" pt";"▼ "0.0" pt";"= "0.0" pt"'
    """
    declared = figure(name)
    if declared.kind is MONEY and locale != PLAIN_LOCALE:
        body = money_format(currency, locale).split(";")[0]
    elif declared.kind is MONEY:
        if currency == "EUR":
            body = "€ #,##0.00"
        elif currency in SYMBOLS:
            body = f"{SYMBOLS[currency]}#,##0.00"
        else:
            body = f'#,##0.00 "{currency}"' if currency else "#,##0.00"
    elif declared.shown is PERCENT:
        body = '0.0" pt"'
    elif declared.shown is TIMES:
        body = '0.00"×"'
    elif declared.kind is COUNT:
        body = "#,##0"
    else:
        assert declared.shown is PLAIN
        body = PLAIN_FORMATS[name]
    return f'"▲ "{body};"▼ "{body};"= "{body}'


def _money_chart(sheet: Worksheet, currency: str | None, at: int) -> None:
    """Revenue, cost and net return (the table's first three rows) for both windows."""
    chart = BarChart()
    chart.type = "col"
    chart.grouping = "clustered"
    chart.title = "Revenue, cost and net return: baseline against current"
    chart.y_axis.numFmt = "#,##0"
    chart.y_axis.title = currency or "Amount"
    top = HEAD + 1 + COLUMN_ORDER.index("revenue")
    assert COLUMN_ORDER[:3] == ("revenue", "cost", "net_return")
    for col in (2, 3):
        chart.add_data(
            Reference(sheet, min_col=col, min_row=HEAD, max_row=top + 2), titles_from_data=True
        )
    chart.set_categories(Reference(sheet, min_col=1, min_row=top, max_row=top + 2))
    chart.x_axis.delete = chart.y_axis.delete = False
    Pages(sheet, 6).place(at, [[chart]], [11.0])


def change_sheet(
    sheet: Worksheet, document: dict[str, Any], name: str, locale: str = PLAIN_LOCALE
) -> None:
    """One breakdown: per group, the key figures for both windows and how each changed."""
    dims = breakdown_dims(name)
    currency = document["current"]["currency"]
    base = _by_key(dims, document["baseline"]["breakdowns"].get(name, []))
    cur = _by_key(dims, document["current"]["breakdowns"].get(name, []))
    heads = [*dims, "Figure", "Baseline", "Current", "Change", "Change %", "Better or worse"]
    for col, text in enumerate(heads, start=1):
        sheet.cell(1, col, xml_text(text))
    width = len(dims)
    style_header(sheet[1], numbers_from=width + 2)
    row = 1
    for group in document["change"]["breakdowns"][name]:
        key = tuple(str(group[d]) for d in dims)
        for n, field in enumerate(CHANGE_COLUMNS):
            row += 1
            _group_key(sheet, row, dims, group, locale, first=n == 0)
            sheet.cell(row, width + 1, label(field))
            for col, source in ((width + 2, base), (width + 3, cur)):
                value = source.get(key, {}).get(field)
                sheet.cell(row, col, value).number_format = number_format(field, currency, locale)
            _change(sheet, row, width + 4, field, group[field], currency, locale)
    for col in range(1, width + 2):  # the keys and the figure's label
        letter = get_column_letter(col)
        longest = max((len(str(c.value or "")) for c in sheet[letter][1:]), default=8)
        sheet.column_dimensions[letter].width = min(max(12, longest + 2), 40)
    fit_widths(sheet, range(width + 2, width + 6), header=1, least=12)
    sheet.column_dimensions[get_column_letter(width + 6)].width = 14
    sheet.freeze_panes = sheet.cell(2, width + 2)
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(heads))}{row}"
    fit_row_height(sheet, 1)
    print_setup(sheet, "1:1", f"A:{get_column_letter(width + 1)}")


def _group_key(
    sheet: Worksheet,
    row: int,
    dims: tuple[str, ...],
    group: dict[str, Any],
    locale: str,
    first: bool,
) -> None:
    """The group's keys on each of its rows (so a filter keeps them), bold on its first."""
    for col, dim in enumerate(dims, start=1):
        month = month_start(group[dim]) if dim in MONTH_KEYS else None
        cell = sheet.cell(row, col)
        if month:
            put_date(cell, month, month_format(locale))
        else:
            cell.value = xml_text(str(group[dim]))
        cell.font = BOLD if first else NOTE


def _by_key(dims: tuple[str, ...], rows: list[dict[str, Any]]) -> dict[tuple[str, ...], Any]:
    return {tuple(str(r[d]) for d in dims): r for r in rows}

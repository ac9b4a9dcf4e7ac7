"""The report as an Excel workbook for management.

Sheets: Summary (headline figures, window, settings, inputs), one sheet per breakdown (a
formatted table with a totals row and native charts), Definitions (every figure in the words
of ``docs/metrics.md``) and Rejected rows (every input row that was not used).

Cells stay numbers with number formats, so a manager can sum them. Text that came from the
inputs and would start a formula (``=``, ``+``, ``-``, ``@``, tab, CR) is written as text, and
loses the control characters XML can't hold (one ``\x0b`` would make the workbook unwritable):
every such value goes through :func:`~crm_roi.render.safe.xml_text`.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.chart.series import SeriesLabel
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from crm_roi.engine.figures import (
    COUNT,
    DEFINITIONS,
    FIELDS,
    MONEY,
    NONE,
    PERCENT,
    PERIODS,
    TIMES,
    UNATTRIBUTED,
    figure,
)
from crm_roi.render.report import breakdown_dims
from crm_roi.render.safe import xml_text

SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥"}
# The decimals of the figures that are neither money, counts, percentages nor multiples.
PLAIN_FORMATS = {
    "sales_cycle_days": "0.0",
    "hours": "#,##0.00",
    "payback_months": "0.0",
    "purchase_frequency": "0.00",
    "lifespan_years": "0.0",
}
# A breakdown sheet leads with what a manager reads first; every other figure follows.
LEADING = (
    "revenue", "cost", "net_return", "roi", "new_customers", "cac", "clv", "ltv_cac",
    "payback_months", "win_rate", "won_deals", "avg_deal_size",
)  # fmt: skip
COLUMN_ORDER = (*LEADING, *(f for f in FIELDS if f not in LEADING))
HEADLINE = (
    "revenue", "cost", "net_return", "roi", "cac", "clv", "ltv_cac", "payback_months",
    "win_rate", "avg_deal_size", "sales_cycle_days",
)  # fmt: skip
BOLD = Font(bold=True)
TITLE = Font(bold=True, size=14)
HEADER_FILL = PatternFill("solid", fgColor="DDE4EE")


def money_format(currency: str | None) -> str:
    """``€ #,##0.00`` for EUR, ``$#,##0.00`` for USD, ``#,##0.00 "CHF"`` for the rest."""
    if currency in ("USD", "GBP", "JPY"):
        return f"{SYMBOLS[currency]}#,##0.00;-{SYMBOLS[currency]}#,##0.00"
    if currency == "EUR":
        return "€ #,##0.00;€ -#,##0.00"
    if currency:
        return f'#,##0.00 "{currency}"'
    return "#,##0.00"


def number_format(field: str, currency: str | None) -> str:
    """A figure's cell format, by its kind and how it is shown: ``0.0%`` for ROI."""
    declared = figure(field)
    if declared.kind is MONEY:
        return money_format(currency)
    if declared.shown is PERCENT:
        return "0.0%"
    if declared.shown is TIMES:
        return '0.00"×"'
    if declared.kind is COUNT:
        return "#,##0"
    return PLAIN_FORMATS[field]


def label(name: str) -> str:
    return figure(name).label


def workbook_bytes(
    report: dict[str, Any], rejected: list[dict[str, Any]], generated: datetime
) -> bytes:
    """The workbook as bytes, for an atomic write."""
    book = Workbook()
    summary = book.active
    assert summary is not None
    summary.title = "Summary"
    _summary(summary, report, generated)
    used: set[str] = {"Summary", "Definitions", "Rejected rows"}
    for name, rows in report["breakdowns"].items():
        title = _sheet_title(f"By {name}", used)
        _breakdown(book.create_sheet(title), name, rows, report)
    _definitions(book.create_sheet("Definitions"))
    _rejected(book.create_sheet("Rejected rows"), rejected)
    for sheet in book.worksheets:
        _fit_to_page_width(
            sheet,
            landscape=sheet.title != "Summary",
            fit=sheet.title in ("Summary", "Definitions", "Rejected rows"),
        )
    return _saved(book)


def _saved(book: Workbook) -> bytes:
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _style_header(cells: tuple[Cell, ...], wrap: bool = False) -> None:
    for cell in cells:
        cell.font = BOLD
        cell.fill = HEADER_FILL
        if wrap:
            cell.alignment = Alignment(wrap_text=True, vertical="top")


def _fit_to_page_width(sheet: Worksheet, landscape: bool, fit: bool) -> None:
    """Printed or exported to PDF: A4, and the narrow sheets one page wide."""
    sheet.page_setup.orientation = "landscape" if landscape else "portrait"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    if fit:
        sheet.sheet_properties.pageSetUpPr.fitToPage = True
        sheet.page_setup.fitToWidth = 1
        sheet.page_setup.fitToHeight = 0


def _sheet_title(wanted: str, used: set[str]) -> str:
    """A valid, unique sheet name: no ``[]:*?/\\`` or control characters, at most 31 characters."""
    base = re.sub(r"[\[\]:*?/\\\x00-\x1f\x7f]", " ", wanted)[:31]
    title, n = base, 2
    while title in used:
        suffix = f" ({n})"
        title, n = base[: 31 - len(suffix)] + suffix, n + 1
    used.add(title)
    return title


def _summary(sheet: Worksheet, report: dict[str, Any], generated: datetime) -> None:
    currency = report["currency"]
    window = report["window"]
    sheet["A1"] = "Sales & marketing ROI"
    sheet["A1"].font = TITLE
    sheet["A2"] = xml_text(
        f"{window['from']} to {window['to']}" + (f", in {currency}" if currency else "")
    )
    row = 4
    for field in HEADLINE:
        sheet.cell(row, 1, label(field)).font = BOLD
        cell = sheet.cell(row, 2, report["totals"][field])
        cell.number_format = number_format(field, currency)
        if report["totals"][field] is None:
            cell.value = "–"
            cell.alignment = Alignment(horizontal="right")
        row += 1
    row += 1
    sheet.cell(row, 1, "Settings").font = BOLD
    row += 1
    for key, value in report["settings"].items():
        shown = (
            ", ".join(f"{k} {v}" for k, v in value.items())
            if isinstance(value, dict)
            else (", ".join(value) if isinstance(value, list) else value)
        )
        sheet.cell(row, 1, key.replace("_", " "))
        sheet.cell(row, 2, xml_text("–" if shown in (None, "") else str(shown)))
        row += 1
    row += 1
    sheet.cell(row, 1, "Inputs").font = BOLD
    row += 1
    for col, head in enumerate(("input", "file", "rows", "used", "rejected"), start=1):
        sheet.cell(row, col, head).font = BOLD
    for entry in report["inputs"]:
        row += 1
        values = (entry["kind"], entry["path"], entry["rows"], entry["used"], entry["rejected"])
        for col, value in enumerate(values, start=1):
            sheet.cell(row, col, xml_text(value))
    row += 2
    sheet.cell(row, 1, "Generated").font = BOLD
    sheet.cell(row, 2, generated.strftime("%Y-%m-%d %H:%M"))
    sheet.column_dimensions["A"].width = 24
    sheet.column_dimensions["B"].width = 22
    for letter in "CDE":
        sheet.column_dimensions[letter].width = 12


def _breakdown(
    sheet: Worksheet, name: str, rows: list[dict[str, Any]], report: dict[str, Any]
) -> None:
    currency = report["currency"]
    dims = breakdown_dims(name)
    header = [*map(xml_text, dims), *map(label, COLUMN_ORDER)]
    sheet.append(header)
    _style_header(sheet[1], wrap=True)
    for group in rows:
        keys = [xml_text(str(group[d])) for d in dims]
        sheet.append([*keys, *(group[f] for f in COLUMN_ORDER)])
    last = len(rows) + 1
    total_row = last + 1
    sheet.cell(total_row, 1, "Total").font = BOLD
    for offset, field in enumerate(COLUMN_ORDER):
        col = len(dims) + 1 + offset
        value = report["totals"][field]
        cell = sheet.cell(total_row, col, value)
        cell.font = BOLD
        for r in range(2, total_row + 1):
            sheet.cell(r, col).number_format = number_format(field, currency)
    sheet.freeze_panes = sheet.cell(2, len(dims) + 1)
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(header))}{last}"
    for col in range(1, len(header) + 1):
        letter = get_column_letter(col)
        if col <= len(dims):
            longest = max(
                [len(str(sheet.cell(r, col).value or "")) for r in range(1, total_row + 1)]
            )
            sheet.column_dimensions[letter].width = min(max(12, longest + 2), 40)
        else:
            sheet.column_dimensions[letter].width = 15
    sheet.row_dimensions[1].height = 30
    _charts(sheet, dims, rows, last)


def _charts(sheet: Worksheet, dims: Sequence[str], rows: list[dict[str, Any]], last: int) -> None:
    """ROI by group, revenue against cost; for a period, both over time with ROI beside."""
    if not rows:
        return
    groups = [i for i, r in enumerate(rows, start=2) if str(r[dims[0]]) not in (NONE, UNATTRIBUTED)]
    end = max(groups) if groups else last

    def plot(chart: BarChart | LineChart, *fields: str) -> None:
        """Each figure's column, headed by its label, as a series of the chart."""
        for field in fields:
            column = len(dims) + 1 + COLUMN_ORDER.index(field)
            chart.add_data(
                Reference(sheet, min_col=column, min_row=1, max_row=end), titles_from_data=True
            )

    labels = Reference(sheet, min_col=1, min_row=2, max_row=end)
    below = last + 3  # under the table and its totals row, side by side
    width = 18 if len(rows) > 6 else 14

    roi = BarChart()
    roi.type = "bar"
    roi.title = str(xml_text(f"{label('roi')} by " + ", ".join(dims)))
    roi.y_axis.numFmt = "0%"
    roi.y_axis.title = label("roi")
    plot(roi, "roi")
    roi.set_categories(labels)
    roi.legend = None
    roi.width, roi.height = width, 9
    sheet.add_chart(roi, f"A{below}")

    money = BarChart()
    money.type = "col"
    money.grouping = "clustered"
    money.title = "Revenue and cost"
    money.y_axis.numFmt = "#,##0"
    plot(money, "revenue", "cost")
    money.set_categories(labels)
    money.width, money.height = width, 9
    sheet.add_chart(money, f"{get_column_letter(len(dims) + 6)}{below}")

    if dims[0] in PERIODS and len(dims) == 1:
        sheet.add_chart(_trend_chart(plot, labels, width + 6), f"A{below + 20}")


def _trend_chart(plot: Callable[..., None], labels: Reference, width: int) -> LineChart:
    """Revenue and cost over the periods, ROI on an axis of its own at the right."""
    trend = LineChart()
    trend.title = "Revenue and cost over time, ROI"
    trend.y_axis.title = "Amount"
    trend.y_axis.numFmt = "#,##0"
    plot(trend, "revenue", "cost")
    trend.set_categories(labels)
    ratio = LineChart()
    plot(ratio, "roi")
    ratio.y_axis.axId = 200
    ratio.y_axis.title = label("roi")
    ratio.y_axis.numFmt = "0%"
    ratio.y_axis.crosses = "max"
    trend += ratio
    trend.width, trend.height = width, 10
    return trend


def _definitions(sheet: Worksheet) -> None:
    sheet.append(["Figure", "Unit", "What it is", "Not defined (empty) when"])
    _style_header(sheet[1])
    for d in DEFINITIONS:
        names = ", ".join(map(label, d.fields))
        sheet.append([names, d.unit, d.meaning.replace("`", ""), d.null_when.replace("`", "")])
    for letter, width in zip("ABCD", (24, 12, 90, 30), strict=True):
        sheet.column_dimensions[letter].width = width
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = "A2"


def _rejected(sheet: Worksheet, rejected: list[dict[str, Any]]) -> None:
    sheet.append(["File", "Row", "Column", "Value", "Reason"])
    _style_header(sheet[1])
    for issue in rejected:
        sheet.append(
            [
                xml_text(issue["file"]),
                issue["row"],
                xml_text(issue["column"]),
                xml_text(issue["value"]),
                xml_text(issue["reason"]),
            ]
        )
    if not rejected:
        sheet.append(["Every input row was used."])
    for letter, width in zip("ABCDE", (28, 8, 20, 24, 70), strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "A2"
    if rejected:
        sheet.auto_filter.ref = f"A1:E{len(rejected) + 1}"


# ---------------------------------------------------------------------------------------------
# Cohorts and comparisons


def cohorts_workbook_bytes(document: dict[str, Any]) -> bytes:
    """A cohort triangle with a colour scale, and a line chart of the latest cohorts."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Cohorts"
    currency = document["currency"]
    rows = document["cohorts"]
    width = max((len(c["revenue_by_age"]) for c in rows), default=0)
    sheet.append([f"Cumulative revenue per customer, by {document['period']} of acquisition"])
    sheet["A1"].font = TITLE
    header = [
        "Cohort",
        "Customers",
        label("acquisition_cost"),
        label("cac"),
        "Payback (periods)",
        *(f"Age {a}" for a in range(width)),
    ]
    sheet.append(header)
    _style_header(sheet[2])
    for c in rows:
        sheet.append(
            [
                xml_text(c["cohort"]),
                c["customers"],
                c["acquisition_cost"],
                c["cac"],
                c["payback_period"],
                *c["cumulative_revenue_per_customer"],
            ]
        )
    last = len(rows) + 2
    money = money_format(currency)
    for r in range(3, last + 1):
        for col in (3, 4, *range(6, 6 + width)):
            sheet.cell(r, col).number_format = money
    if rows and width:
        _cohort_chart(sheet, rows, width, document["period"])
    sheet.freeze_panes = "B3"
    sheet.column_dimensions["A"].width = 12
    for col in range(2, 6 + width):
        sheet.column_dimensions[get_column_letter(col)].width = 14
    return _saved(book)


def _cohort_chart(sheet: Worksheet, rows: list[dict[str, Any]], width: int, period: str) -> None:
    """The triangle shaded from light to dark, and the latest six cohorts as lines below it."""
    from openpyxl.formatting.rule import ColorScaleRule

    last = len(rows) + 2
    sheet.conditional_formatting.add(
        f"F3:{get_column_letter(5 + width)}{last}",
        ColorScaleRule(start_type="min", start_color="F8FBFF", end_type="max", end_color="2E75B6"),
    )
    chart = LineChart()
    chart.title = "Cumulative revenue per customer, latest cohorts"
    chart.x_axis.title = f"{period.capitalize()}s since acquisition"
    chart.y_axis.numFmt = "#,##0"
    for r in range(max(3, last - 5), last + 1):
        length = len(rows[r - 3]["revenue_by_age"])
        series = Reference(sheet, min_col=6, max_col=5 + length, min_row=r, max_row=r)
        chart.add_data(series, from_rows=True, titles_from_data=False)
        chart.series[-1].title = SeriesLabel(v=str(xml_text(str(rows[r - 3]["cohort"]))))
    chart.set_categories(Reference(sheet, min_col=6, max_col=5 + width, min_row=2, max_row=2))
    chart.width, chart.height = 22, 10
    sheet.add_chart(chart, f"A{last + 3}")


def compare_workbook_bytes(document: dict[str, Any]) -> bytes:
    """Every figure for both windows with the change, and a chart of the money figures."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Comparison"
    base, cur = document["baseline"], document["current"]
    currency = cur["currency"]
    sheet.append(
        [
            "Figure",
            f"Baseline {base['window']['from']} to {base['window']['to']}",
            f"Current {cur['window']['from']} to {cur['window']['to']}",
            "Change",
            "Change %",
        ]
    )
    _style_header(sheet[1], wrap=True)
    for r, name in enumerate(FIELDS, start=2):
        delta = document["change"]["totals"][name]
        sheet.append(
            [label(name), base["totals"][name], cur["totals"][name], delta["abs"], delta["rel"]]
        )
        for col in (2, 3, 4):
            sheet.cell(r, col).number_format = number_format(name, currency)
        sheet.cell(r, 5).number_format = "+0.0%;-0.0%;0.0%"
    chart = BarChart()
    chart.type = "col"
    chart.title = "Baseline against current"
    chart.y_axis.numFmt = "#,##0"
    # The chart's data: the money figures side by side, below the chart.
    top = 22
    sheet.cell(top, 7, "Chart data").font = BOLD
    for i, name in enumerate(("revenue", "cost", "net_return", "gross_profit"), start=1):
        sheet.cell(top + i, 7, label(name))
        for col, report in ((8, base), (9, cur)):
            sheet.cell(top + i, col, report["totals"][name]).number_format = money_format(currency)
    for col in (8, 9):
        chart.add_data(
            Reference(sheet, min_col=col, min_row=top + 1, max_row=top + 4), titles_from_data=False
        )
    chart.series[0].title = SeriesLabel(v="Baseline")
    chart.series[1].title = SeriesLabel(v="Current")
    chart.set_categories(Reference(sheet, min_col=7, min_row=top + 1, max_row=top + 4))
    sheet.add_chart(chart, "G2")
    for letter, width in zip("ABCDE", (24, 22, 22, 16, 12), strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.row_dimensions[1].height = 30
    sheet.freeze_panes = "B2"
    return _saved(book)

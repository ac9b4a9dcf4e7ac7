"""The Excel workbooks for management: the report's, and the cohorts' and comparison's (their
sheets are built in :mod:`crm_roi.render.timebooks`).

The report's sheets: a **Summary** (title, window, when it was made and in which time zone, the
headline figures, the best and worst groups of each breakdown by ROI, what no group carries and
why, the rejected rows with a link to them, the settings and inputs); per breakdown a sheet of the
figures a manager reads first, with a totals row and charts below it (none cut across two
pages), and a *details* sheet of the other figures; the **Definitions** of every figure; the
**Rejected rows**. The charts draw on a hidden *Chart data* sheet, where ROI is ranked.

Cells stay numbers with number formats (months and dates are dates), so a manager can sum and
sort them. Text that came from the inputs and would start a formula (``=``, ``+``, ``-``, ``@``,
tab, CR) is written as text, and loses the control characters XML can't hold (one ``\x0b`` would
make the workbook unwritable): every such value goes through :func:`~crm_roi.render.safe.xml_text`.
Every sheet prints one landscape page wide (:mod:`crm_roi.render.workbook`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from functools import partial
from typing import Any

from openpyxl import Workbook
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.styles import Alignment
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.worksheet.worksheet import Worksheet

from crm_roi.engine.figures import (
    DEFINITIONS,
    NONE,
    PERIODS,
    UNATTRIBUTED,
)
from crm_roi.render import timebooks
from crm_roi.render.locale import PLAIN, money_text
from crm_roi.render.report import breakdown_dims, headline_with_leads, people_fields
from crm_roi.render.safe import xml_text
from crm_roi.render.workbook import (
    BOLD,
    DETAILS,
    LEADING,
    LINK,
    LINK_BOLD,
    MONTH_KEYS,
    NOTE,
    PAGE_HEIGHT,
    PROSE,
    SYMBOLS,
    TITLE,
    WRAP,
    Pages,
    day,
    day_format,
    definitions_sheet,
    fit_row_height,
    fit_widths,
    inputs_block,
    label,
    month_format,
    month_start,
    number_format,
    print_setup,
    put_date,
    rejected_sheet,
    saved,
    set_properties,
    sheet_title,
    style_header,
    unsmoothed,
    wrapped_lines,
)

HEADLINE = (
    "revenue", "cost", "net_return", "roi", "cac", "clv", "ltv_cac", "payback_months",
    "win_rate", "avg_deal_size", "sales_cycle_days",
)  # fmt: skip
SUMMARY_WIDTHS = (30, 16, 16, 20, 16, 16)
RANKED = 3  # best and worst groups on the Summary
CHART_DATA = "Chart data"
BAR_CM = 0.5  # a bar and its label, printed


def workbook_bytes(
    report: dict[str, Any],
    rejected: list[dict[str, Any]],
    generated: datetime,
    locale: str = PLAIN,
) -> bytes:
    """The workbook as bytes, for an atomic write. ``generated`` without a time zone is taken
    as local time; ``locale`` places the currency symbol and orders the dates."""
    book = Workbook()
    summary = book.active
    assert summary is not None
    summary.title = "Summary"
    used: set[str] = {"Summary", "Definitions", "Rejected rows", CHART_DATA}
    data = book.create_sheet(CHART_DATA)
    data.sheet_state = "hidden"
    titles = {}
    for name, rows in report["breakdowns"].items():
        titles[name] = sheet_title(f"By {name}", used)
        sheet = book.create_sheet(titles[name])
        _breakdown(sheet, breakdown_dims(name), rows, report, LEADING, locale)
        _charts(sheet, data, breakdown_dims(name), rows, locale)
    for name, rows in report["breakdowns"].items():
        sheet = book.create_sheet(sheet_title(f"{titles[name]} (details)", used))
        details = people_fields(report, DETAILS)
        _breakdown(sheet, breakdown_dims(name), rows, report, details, locale)
    _definitions(book.create_sheet("Definitions"), people_fields(report))
    rejected_sheet(book.create_sheet("Rejected rows"), rejected)
    book.move_sheet(data, offset=len(book.sheetnames))
    _summary(summary, report, generated, titles, len(rejected), locale)
    window = report["window"]
    set_properties(book, f"crm-roi report {window['from']} to {window['to']}")
    return saved(book)


def cohorts_workbook_bytes(document: dict[str, Any], locale: str = PLAIN) -> bytes:
    """The cohort triangle (see :func:`crm_roi.render.timebooks.cohorts_sheet`)."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    timebooks.cohorts_sheet(sheet, document, locale)
    window = document["window"]
    set_properties(book, f"crm-roi cohorts {window['from']} to {window['to']}")
    return saved(book)


def compare_workbook_bytes(document: dict[str, Any], locale: str = PLAIN) -> bytes:
    """Baseline against current: the totals, then a sheet per breakdown."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    timebooks.comparison_sheet(sheet, document, locale)
    used = {sheet.title}
    for name in document["change"]["breakdowns"]:
        title = sheet_title(f"By {name}", used)
        timebooks.change_sheet(book.create_sheet(title), document, name, locale)
    base, cur = document["baseline"]["window"], document["current"]["window"]
    set_properties(
        book,
        f"crm-roi comparison {base['from']} to {base['to']} against {cur['from']} to {cur['to']}",
    )
    return saved(book)


# ---------------------------------------------------------------------------------------------
# The Summary


def _summary(
    sheet: Worksheet,
    report: dict[str, Any],
    generated: datetime,
    titles: dict[str, str],
    rejected: int,
    locale: str,
) -> None:
    """The Summary's sections one under the other, none split across two pages."""
    for letter, width in zip("ABCDEF", SUMMARY_WIDTHS, strict=True):
        sheet.column_dimensions[letter].width = width
    sheet["A1"] = "Sales & marketing ROI"
    sheet["A1"].font = TITLE
    row = _about(sheet, 2, report, generated, locale)
    sections: list[Callable[[int], int]] = [partial(_headline, sheet, report=report, locale=locale)]
    for n, (name, rows) in enumerate(report["breakdowns"].items()):
        sections.append(
            partial(_ranked, sheet, name, rows, report, titles[name], first=n == 0, locale=locale)
        )
    sections += [
        partial(_unattributed, sheet, report=report, locale=locale),
        partial(_rejected_link, sheet, rejected=rejected),
        partial(_settings, sheet, settings=report["settings"]),
        partial(_inputs, sheet, inputs=report["inputs"]),
    ]
    blocks = []
    for section in sections:
        start = row + 1
        row = section(start)
        blocks.append((start, row - 1))
    print_setup(sheet, None, None)
    Pages(sheet, len(SUMMARY_WIDTHS)).keep_together(blocks)


def _about(
    sheet: Worksheet, row: int, report: dict[str, Any], generated: datetime, locale: str
) -> int:
    """The window as dates and its currency; when the report was made, with its time zone."""
    window = report["window"]
    sheet.cell(row, 1, "Window").font = BOLD
    put_date(sheet.cell(row, 2), day(window["from"]), day_format(locale))
    sheet.cell(row, 3, "to").alignment = Alignment(horizontal="center")
    put_date(sheet.cell(row, 4), day(window["to"]), day_format(locale))
    currency = report["currency"]
    sheet.cell(row, 5, xml_text(f"in {currency}" if currency else "(no currency)"))
    sheet.cell(row + 1, 1, "Generated").font = BOLD
    local = generated.astimezone()
    offset = local.strftime("%z")
    zone = f"UTC{offset[:3]}:{offset[3:]}"
    name = (local.tzname() or "").replace('"', "")
    shown = f"{name} ({zone})" if name and not name.startswith(("+", "-", "UTC")) else zone
    when = f'{day_format(locale)} hh:mm "{shown}"'
    put_date(sheet.cell(row + 1, 2), local.replace(tzinfo=None), when)
    sheet.merge_cells(start_row=row + 1, start_column=2, end_row=row + 1, end_column=4)
    return row + 2


def _headline(sheet: Worksheet, row: int, report: dict[str, Any], locale: str) -> int:
    """The headline figures in two columns of label and value."""
    sheet.cell(row, 1, "Headline figures").font = TITLE
    fields = headline_with_leads(report, HEADLINE)
    half = (len(fields) + 1) // 2
    for n, field in enumerate(fields):
        r, col = (row + 1 + n, 1) if n < half else (row + 1 + n - half, 4)
        sheet.cell(r, col, label(field)).font = BOLD
        value = report["totals"][field]
        cell = sheet.cell(r, col + 1, "–" if value is None else value)
        cell.number_format = number_format(field, report["currency"], locale)
        cell.alignment = Alignment(horizontal="right")
    return row + 1 + half


def _ranked(
    sheet: Worksheet,
    name: str,
    rows: list[dict[str, Any]],
    report: dict[str, Any],
    title: str,
    row: int,
    first: bool,
    locale: str,
) -> int:
    """A breakdown's groups with the highest and the lowest ROI (all of them when few), under
    the section's title when it is the first."""
    if first:
        sheet.cell(row, 1, "Best and worst ROI").font = TITLE
        row += 1
    dims = breakdown_dims(name)
    fields = ("roi", "revenue", "cost", "net_return")
    head = [f"By {name}", *map(label, fields)]
    for col, text in enumerate(head, start=1):
        sheet.cell(row, col, xml_text(text))
    style_header(sheet[row][: len(head)], numbers_from=2)
    _link(sheet.cell(row, 1), title)
    ranked = _by_roi(dims, rows)
    if not ranked:
        sheet.cell(row + 1, 1, "No group has an ROI (no cost in any).").font = NOTE
        return row + 2
    shown = ranked if len(ranked) <= 2 * RANKED else [*ranked[:RANKED], None, *ranked[-RANKED:]]
    for group in shown:
        row += 1
        if group is None:
            sheet.cell(row, 1, f"… {len(ranked) - 2 * RANKED} more").font = NOTE
            continue
        if len(dims) == 1:
            _key_cell(sheet, row, 1, dims, group, locale)
        else:
            sheet.cell(row, 1, xml_text(_chart_label(dims, group)))
        for col, field in enumerate(fields, start=2):
            cell = sheet.cell(row, col, group[field])
            cell.number_format = number_format(field, report["currency"], locale)
    return row + 1


def _by_roi(dims: Sequence[str], rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The groups that have an ROI, highest first; ``(none)`` and ``(unattributed)`` left out."""
    named = [r for r in rows if r["roi"] is not None and not _catch_all(dims, r)]
    return sorted(named, key=lambda r: r["roi"], reverse=True)


def _catch_all(dims: Sequence[str], row: dict[str, Any]) -> bool:
    return any(str(row[d]) in (NONE, UNATTRIBUTED) for d in dims)


def _unattributed(sheet: Worksheet, row: int, report: dict[str, Any], locale: str) -> int:
    """Per breakdown, the cost no group carries and the revenue of no group: how much, and why."""
    if not report["breakdowns"]:
        return row
    sheet.cell(row, 1, "Not in any group").font = TITLE
    said = False
    for name, rows in report["breakdowns"].items():
        for text in _left_out(name, rows, report, locale):
            row += 1
            _note(sheet, row, text)
            said = True
    if not said:
        row += 1
        _note(sheet, row, "Every cost and every won deal is in a group of every breakdown.")
    return row + 1


def _left_out(
    name: str, rows: list[dict[str, Any]], report: dict[str, Any], locale: str
) -> list[str]:
    """The sentences on one breakdown's ``(unattributed)`` cost and ``(none)`` revenue."""
    dims = breakdown_dims(name)
    currency, total = report["currency"], report["totals"]["cost"] or 0
    out = []
    money = partial(_money, currency=currency, locale=locale)
    unattributed = [r for r in rows if _lacking(dims, r, UNATTRIBUTED) and r["cost"]]
    if unattributed:
        cost = sum(r["cost"] for r in unattributed)
        what = _lacking(dims, unattributed, UNATTRIBUTED)
        share = f" ({cost / total:.1%} of all cost)" if total else ""
        spread = report["settings"]["allocate"] == "none"
        out.append(
            f"By {name}: {money(cost)} of cost{share} is {UNATTRIBUTED}: cost rows "
            f"and time logs with no {what} of their own and no link (a deal, a customer, a "
            f"campaign) that gives one. It counts in the totals but in no {what}'s ROI"
            + ("; --allocate spreads it over the groups." if spread else ".")
        )
    none = [r for r in rows if _lacking(dims, r, NONE) and r["revenue"]]
    if none:
        revenue, won = sum(r["revenue"] for r in none), sum(r["won_deals"] for r in none)
        what = _lacking(dims, none, NONE)
        out.append(
            f"By {name}: {money(revenue)} of revenue ({won:,} won deals) is {NONE}: "
            f"deals with no {what}, neither their own nor their customer's."
        )
    return out


def _lacking(dims: Sequence[str], rows: dict[str, Any] | list[dict[str, Any]], key: str) -> str:
    """The dimensions the rows have no value of (``key``): ``channel``, ``channel or month``."""
    rows = [rows] if isinstance(rows, dict) else rows
    return " or ".join(d for d in dims if any(str(r[d]) == key for r in rows))


def _money(value: float, currency: str | None, locale: str = PLAIN) -> str:
    """An amount in a sentence, as the cells show it: ``€ 1,234.50``, ``$1,234.50``; in a
    locale as it writes money (``1.234,50 €``)."""
    if locale != PLAIN:
        return money_text(value, currency, locale)
    sign = "-" if value < 0 else ""
    amount = f"{abs(value):,.2f}"
    if currency == "EUR":
        return f"€ {sign}{amount}"
    if currency in SYMBOLS:
        return f"{sign}{SYMBOLS[currency]}{amount}"
    return f"{sign}{amount} {currency}" if currency else f"{sign}{amount}"


def _note(sheet: Worksheet, row: int, text: str) -> None:
    """A sentence across the Summary's width, wrapped, its row tall enough."""
    cell = sheet.cell(row, 1, xml_text(text))
    cell.alignment = WRAP
    sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=len(SUMMARY_WIDTHS))
    lines = wrapped_lines(text, sum(SUMMARY_WIDTHS) * PROSE)
    sheet.row_dimensions[row].height = 15 * lines + 2


def _link(cell: Any, sheet: str) -> None:
    """The cell opens ``sheet`` when clicked."""
    cell.hyperlink = Hyperlink(ref=cell.coordinate, location=f"'{sheet}'!A1", display=sheet)
    cell.font = LINK_BOLD


def _rejected_link(sheet: Worksheet, row: int, rejected: int) -> int:
    sheet.cell(row, 1, "Rejected rows").font = TITLE
    sheet.cell(row + 1, 1, "Input rows not used").font = BOLD
    sheet.cell(row + 1, 2, rejected).number_format = "#,##0"
    link = sheet.cell(row + 1, 3, "See the sheet Rejected rows")
    _link(link, "Rejected rows")
    link.font = LINK
    link.alignment = Alignment(indent=1)
    return row + 2


def _settings(sheet: Worksheet, row: int, settings: dict[str, Any]) -> int:
    sheet.cell(row, 1, "Settings").font = TITLE
    for key, value in settings.items():
        row += 1
        shown = (
            ", ".join(f"{k} {v}" for k, v in value.items())
            if isinstance(value, dict)
            else (", ".join(value) if isinstance(value, list) else value)
        )
        sheet.cell(row, 1, key.replace("_", " ")).font = BOLD
        cell = sheet.cell(row, 2, xml_text("–" if shown in (None, "") else str(shown)))
        cell.alignment = Alignment(horizontal="left")
    return row + 1


def _inputs(sheet: Worksheet, row: int, inputs: list[dict[str, Any]]) -> int:
    """One row per input; its path whole, wrapped across the last columns."""
    return inputs_block(sheet, row, inputs, sum(SUMMARY_WIDTHS[4:]))


# ---------------------------------------------------------------------------------------------
# Breakdowns


def _key_cell(
    sheet: Worksheet,
    row: int,
    col: int,
    dims: Sequence[str],
    group: dict[str, Any],
    locale: str,
) -> None:
    """A group's keys from column ``col`` on: months as dates, the rest as text."""
    for offset, dim in enumerate(dims):
        value = group[dim]
        month = month_start(value) if dim in MONTH_KEYS else None
        cell = sheet.cell(row, col + offset)
        if month:
            put_date(cell, month, month_format(locale))
        else:
            cell.value = xml_text(str(value))


def _breakdown(
    sheet: Worksheet,
    dims: Sequence[str],
    rows: list[dict[str, Any]],
    report: dict[str, Any],
    fields: Sequence[str],
    locale: str,
) -> None:
    """The groups' figures, headed by their labels, a totals row under them."""
    currency = report["currency"]
    header = [*map(xml_text, dims), *map(label, fields)]
    sheet.append(header)
    style_header(sheet[1], numbers_from=len(dims) + 1)
    for r, group in enumerate(rows, start=2):
        _key_cell(sheet, r, 1, dims, group, locale)
        for c, field in enumerate(fields, start=len(dims) + 1):
            sheet.cell(r, c, group[field]).number_format = number_format(field, currency, locale)
    total = len(rows) + 2
    sheet.cell(total, 1, "Total").font = BOLD
    for c, field in enumerate(fields, start=len(dims) + 1):
        cell = sheet.cell(total, c, report["totals"][field])
        cell.font = BOLD
        cell.number_format = number_format(field, currency, locale)
    sheet.freeze_panes = sheet.cell(2, len(dims) + 1)
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(header))}{total - 1}"
    _widths(sheet, dims, rows)
    fit_row_height(sheet, 1, least=30)
    last_key = get_column_letter(len(dims))
    print_setup(sheet, "1:1", f"A:{last_key}")


def _widths(sheet: Worksheet, dims: Sequence[str], rows: list[dict[str, Any]]) -> None:
    """Key columns wide enough for their keys; figures for their values as shown and for the
    longest word of each heading."""
    for col, dim in enumerate(dims, start=1):
        keys = [str(r[dim]) for r in rows]
        shown = [9 if dim in MONTH_KEYS and month_start(k) else len(k) for k in keys]  # Sept 2024
        width = min(max(10, len(dim), *shown) + 2, 40)
        sheet.column_dimensions[get_column_letter(col)].width = width
    fit_widths(sheet, range(len(dims) + 1, sheet.max_column + 1), header=1)


def _charts(
    sheet: Worksheet,
    data: Worksheet,
    dims: Sequence[str],
    rows: list[dict[str, Any]],
    locale: str,
) -> None:
    """Below the table: ROI by group, ranked, with revenue and cost in the same order beside
    it; for a period, ROI ranked, then revenue and cost over time with ROI (in time order)."""
    ranked = _by_roi(dims, rows)
    if not ranked:
        return
    what = ", ".join(dims)
    title = f"{label('roi')} by {what}, highest first"
    most = int((PAGE_HEIGHT - 4.5) / BAR_CM)  # the bars a page holds, every label readable
    if len(ranked) > most:
        ranked = [*ranked[: most // 2], *ranked[-(most // 2) :]]
        title = f"{label('roi')} by {what}: the {most // 2} highest and the {most // 2} lowest"
    block = _chart_data(data, dims, ranked, what)
    roi = _ranked_bars(block, ["roi"], title)
    roi.y_axis.numFmt = "0%"
    roi.legend = None
    height = max(3.5 + BAR_CM * len(ranked), 8.0)
    if len(dims) == 1 and dims[0] in PERIODS:
        bands, heights = [[roi], [_trend_chart(sheet, len(rows), locale)]], [height, 12.0]
    else:
        money = _ranked_bars(block, ["revenue", "cost"], "Revenue and cost, in the same order")
        money.y_axis.numFmt = "#,##0"
        bands, heights = [[roi, money]], [height]
    Pages(sheet, sheet.max_column).place(len(rows) + 3, bands, heights)


def _chart_data(
    data: Worksheet, dims: Sequence[str], ranked: list[dict[str, Any]], what: str
) -> tuple[Worksheet, int, int]:
    """The ranked groups, their ROI, revenue and cost in four columns of the hidden sheet, beside
    the blocks before; the block's first column and last row."""
    first = (data.max_column + 2) if data.max_column > 1 else 1
    heads = [what, label("roi"), label("revenue"), label("cost")]
    for col, head in enumerate(heads, start=first):
        data.cell(1, col, xml_text(head))
    for r, group in enumerate(ranked, start=2):
        # Text, not dates: Excel would draw date labels on a time axis, in time order.
        data.cell(r, first, xml_text(_chart_label(dims, group)))
        for col, field in enumerate(("roi", "revenue", "cost"), start=first + 1):
            data.cell(r, col, group[field])
    return data, first, len(ranked) + 1


def _chart_label(dims: Sequence[str], group: dict[str, Any]) -> str:
    """A group's keys as a chart shows them: ``Events / Mar 2024``."""
    parts = []
    for dim in dims:
        month = month_start(group[dim]) if dim in MONTH_KEYS else None
        parts.append(month.strftime("%b %Y") if month else str(group[dim]))
    return " / ".join(parts)


def _ranked_bars(block: tuple[Worksheet, int, int], fields: Sequence[str], title: str) -> BarChart:
    """Horizontal bars of the ranked block, the first group at the top, every label shown."""
    data, first, last = block
    chart = BarChart()
    chart.type = "bar"
    chart.title = str(xml_text(title))
    for field in fields:
        col = first + 1 + ("roi", "revenue", "cost").index(field)
        chart.add_data(Reference(data, min_col=col, min_row=1, max_row=last), titles_from_data=True)
    chart.set_categories(Reference(data, min_col=first, min_row=2, max_row=last))
    chart.x_axis.scaling.orientation = "maxMin"  # the first group at the top
    chart.x_axis.tickLblSkip = 1
    chart.x_axis.tickLblPos = "low"  # labels at the left edge, also beside negative bars
    chart.y_axis.crosses = "max"  # the value axis at the bottom
    chart.x_axis.delete = chart.y_axis.delete = False
    chart.visible_cells_only = False  # the data is on a hidden sheet
    chart.gapWidth = 60
    return chart


def _trend_chart(sheet: Worksheet, groups: int, locale: str) -> LineChart:
    """Revenue and cost over the periods, ROI on an axis of its own at the right; straight
    lines, in the table's (chronological) order."""
    rows = groups + 1

    def plot(chart: LineChart, field: str) -> None:
        col = 2 + LEADING.index(field)
        chart.add_data(
            Reference(sheet, min_col=col, min_row=1, max_row=rows), titles_from_data=True
        )

    trend = LineChart()
    trend.title = "Revenue and cost over time, ROI"
    trend.y_axis.title = "Amount"
    trend.y_axis.numFmt = "#,##0"
    plot(trend, "revenue")
    plot(trend, "cost")
    labels = Reference(sheet, min_col=1, min_row=2, max_row=rows)
    trend.set_categories(labels)
    trend.x_axis.number_format = month_format(locale)
    trend.x_axis.tickLblSkip = 1
    ratio = LineChart()
    plot(ratio, "roi")
    ratio.y_axis.axId = 200
    ratio.y_axis.title = label("roi")
    ratio.y_axis.numFmt = "0%"
    ratio.y_axis.crosses = "max"
    trend += ratio
    for axis in (trend.x_axis, trend.y_axis, ratio.y_axis):
        axis.delete = False
    return unsmoothed(trend)


# ---------------------------------------------------------------------------------------------
# Definitions and rejected rows


def _definitions(sheet: Worksheet, shown: Sequence[str]) -> None:
    rows = [
        (", ".join(map(label, d.fields)), d.unit, d.meaning, d.null_when)
        for d in DEFINITIONS
        if set(d.fields) & set(shown)
    ]
    definitions_sheet(sheet, "Figure", rows)

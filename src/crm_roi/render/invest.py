"""The ROI of the CRM itself as a document (``crm-roi/invest@1``, docs/invest.md), and for
people. Every output shows the values of the document, and the assumptions behind them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from crm_roi.engine.figures import MONEY, NUMBER
from crm_roi.render.report import input_entry, plain_number, report_warnings

if TYPE_CHECKING:
    from crm_roi.engine.invest import InvestReport, Year
    from crm_roi.inputs.load import Loaded

INVEST_SCHEMA = "crm-roi/invest@1"
# A year's money, in the order the cash-flow table shows it.
YEAR_MONEY = (
    "costs", "revenue_uplift", "time_saved", "other", "benefits", "net", "cumulative_net",
)  # fmt: skip
TOTAL_MONEY = ("costs", "benefits", "pv_costs", "pv_benefits", "npv")


def year_dict(year: Year) -> dict[str, Any]:
    return {
        "year": year.year,
        "from": year.start.isoformat() if year.start else None,
        "to": year.end.isoformat(),
        **{name: plain_number(getattr(year, name), MONEY) for name in YEAR_MONEY},
        "costs_by_category": {
            name: plain_number(value, MONEY) for name, value in year.costs_by_category.items()
        },
        "projected": year.projected,
    }


def assumptions(report: InvestReport) -> list[str]:
    """What the result rests on, in words: printed with it, in every output."""
    how = report.invest
    base = report.baseline
    measured = [y.year for y in report.years if y.year and not y.projected]
    projected = [y.year for y in report.years if y.projected]
    lines = [
        f"Baseline: the 12 months before go-live, {base[0]} to {base[1]}, measured from the "
        "exports.",
        "Measured: "
        + (
            ", ".join(f"year {k}" for k in measured) + f" (the exports end on {report.data_end})"
            if measured
            else "no year"
        )
        + ".",
    ]
    if projected:
        source = measured[-1] if measured else None
        lines.append(
            "Projected: "
            + ", ".join(f"year {k}" for k in projected)
            + f", with year {source}'s benefits (the exports don't cover them in full); their "
            "costs are the investment file's."
        )
    lines += [
        "Revenue uplift is the gross profit of a year less the baseline's: a before/after "
        "difference, not proof that the CRM caused it.",
        "Time saved: (baseline hours per won deal − the year's) × the year's won deals × the "
        "baseline's cost of an hour, from the time logs.",
        f"Benefits are taken at {_percent(1 - how.risk)} (risk {_percent(how.risk)}); "
        f"discounted at {_percent(how.discount_rate)} a year, year 0 undiscounted; gross "
        f"margin {_percent(report.settings.gross_margin)}.",
    ]
    return lines


def _percent(share: Any) -> str:
    """0.1 → ``10 %``, 0.125 → ``12.5 %``."""
    return f"{float(share) * 100:.10g} %"


def invest_dict(report: InvestReport, inputs: list[Loaded]) -> dict[str, Any]:
    """The ``crm-roi/invest@1`` document."""
    totals = report.totals
    return {
        "schema": INVEST_SCHEMA,
        "currency": report.currency,
        "go_live": report.go_live.isoformat(),
        "baseline": {"from": report.baseline[0].isoformat(), "to": report.baseline[1].isoformat()},
        "data_end": report.data_end.isoformat(),
        "settings": {
            "years": report.invest.years,
            "discount_rate": plain_number(report.invest.discount_rate),
            "risk": plain_number(report.invest.risk),
            "gross_margin": plain_number(report.settings.gross_margin),
            "projection": report.invest.projection,
            "rates": {k: plain_number(v) for k, v in sorted(report.settings.rates.items())},
        },
        "inputs": [input_entry(i) for i in inputs],
        "years": [year_dict(y) for y in report.years],
        "totals": {
            **{name: plain_number(totals[name], MONEY) for name in TOTAL_MONEY},
            "roi": plain_number(totals["roi"], NUMBER),
            "roi_undiscounted": plain_number(totals["roi_undiscounted"], NUMBER),
            "payback_months": plain_number(totals["payback_months"], NUMBER),
        },
        "assumptions": assumptions(report),
        "warnings": report_warnings(report, inputs),  # type: ignore[arg-type]
    }


# --- for people (the renderers follow) ---------------------------------------------------------
#
# Every output people read shows the same cash-flow table, from the document: a column per year
# (the initial costs, year 1 … N, projected years marked) and the total; a row per cost
# category, the costs, the benefits by kind, the benefits, the net and the cumulative net. Under
# it NPV, ROI, undiscounted ROI, payback and the present values; with it, always, the
# assumptions. Rich, openpyxl, babel and the HTML page's modules are imported by the function
# that needs them: reading the inputs imports this module, and a JSON run needs none of them.

INITIAL = "Initial"
TOTAL = "Total"
BENEFIT_KINDS = ("revenue_uplift", "time_saved", "other")
LABELS = {
    "costs": "Costs",
    "revenue_uplift": "Revenue uplift",
    "time_saved": "Time saved",
    "other": "Other benefits",
    "benefits": "Benefits",
    "net": "Net",
    "cumulative_net": "Cumulative net",
}
# The figures under the table: what each is, in a few words.
RESULTS = (
    ("npv", "NPV"),
    ("roi", "ROI (discounted)"),
    ("roi_undiscounted", "ROI (undiscounted)"),
    ("payback_months", "Payback"),
    ("pv_costs", "PV of costs"),
    ("pv_benefits", "PV of benefits"),
)
NO_PAYBACK = "not within the horizon"
CAVEAT = (
    "Revenue uplift is a before/after difference, not proof that the CRM caused it: markets, "
    "prices and people changed too."
)


class Line:
    """A row of the cash-flow table: a cost ``category``, or one of a year's own amounts
    (:data:`YEAR_MONEY`). ``part``: a part of the sum below it (indented); ``sum``: a sum
    (bold); ``totalled``: whether the total column has a value for it."""

    def __init__(self, name: str, label: str, category: str | None = None) -> None:
        self.name = name
        self.label = label
        self.category = category
        self.part = category is not None or name in BENEFIT_KINDS
        self.sum = name in ("costs", "benefits", "net")
        self.totalled = name != "cumulative_net"

    def value(self, year: dict[str, Any]) -> float | None:
        """The year's amount; a category the year has no cost of is None, as is an amount
        not measured (use :meth:`has` to tell them apart)."""
        if self.category is not None:
            return year["costs_by_category"].get(self.category)  # type: ignore[no-any-return]
        return year[self.name]  # type: ignore[no-any-return]

    def has(self, year: dict[str, Any]) -> bool:
        """Whether the year has this row at all: a cost category the year had no cost of is
        left blank, where an amount not measured is shown as missing."""
        return self.category is None or self.category in year["costs_by_category"]


def cash_lines(document: dict[str, Any]) -> list[Line]:
    """The table's rows: each cost category, in the order the years first name them (the
    initial costs first), then the costs, the benefits by kind, the benefits, net and
    cumulative net."""
    categories = dict.fromkeys(c for y in document["years"] for c in y["costs_by_category"])
    return [
        *(Line(f"costs:{c}", c, c) for c in categories),
        *(Line(name, LABELS[name]) for name in YEAR_MONEY),
    ]


def line_total(line: Line, document: dict[str, Any]) -> float | None:
    """A row's total over the horizon: the document's totals for the costs and the benefits,
    their difference for the net, else the sum of the years' amounts (None: none measured,
    or the cumulative net, which has no total)."""
    from decimal import Decimal

    totals = document["totals"]
    if not line.totalled:
        return None
    if line.name in ("costs", "benefits"):
        return totals[line.name]  # type: ignore[no-any-return]
    if line.name == "net":
        parts = [totals["benefits"], -totals["costs"]]
    else:
        parts = [v for y in document["years"] if (v := line.value(y)) is not None]
        if not parts:
            return None
    return float(sum((Decimal(str(v)) for v in parts), Decimal(0)))


def year_head(year: dict[str, Any], mark: str = "*") -> str:
    """A year's heading: ``Initial``, ``Year 1``, ``Year 2*`` (projected, with ``mark``).

    >>> year_head({"year": 0, "projected": False}), year_head({"year": 2, "projected": True})
    ('Initial', 'Year 2*')
    """
    if year["year"] == 0:
        return INITIAL
    return f"Year {year['year']}" + (mark if year["projected"] else "")


def projected_note(document: dict[str, Any], mark: str = "* ") -> str:
    """What a projected year is, under the table ("" when no year is).

    >>> doc = {"years": [{"year": 1, "projected": False}, {"year": 2, "projected": True}]}
    >>> projected_note(doc)
    "* projected from year 1: year 1's benefits repeated; its costs are the investment file's"
    """
    years = document["years"]
    if not any(y["projected"] for y in years):
        return ""
    measured = [y["year"] for y in years if y["year"] and not y["projected"]]
    if not measured:
        return f"{mark}projected; its costs are the investment file's"
    source = measured[-1]
    return (
        f"{mark}projected from year {source}: year {source}'s benefits repeated; its costs are "
        "the investment file's"
    )


def missing_note(document: dict[str, Any]) -> str:
    """What ``–`` in the table means ("" when the table has none): not measured, as the
    benefits before go-live; without time logs, time saved.

    >>> missing_note({"years": [{"year": 0, "time_saved": None}, {"year": 1, "time_saved": 5}]})
    '– not measured: no benefit is measured before go-live'
    """
    years = document["years"]
    if not years or not any(y["time_saved"] is None for y in years):
        return ""
    note = "– not measured: no benefit is measured before go-live"
    if all(y["time_saved"] is None for y in years if y["year"]):
        note += "; time saved needs time logs (--time-logs)"
    return note


def result_text(name: str, document: dict[str, Any], locale: str) -> str:
    """A figure under the table as people read it: money with its currency and cents, ROI as
    a percentage, payback in months (or :data:`NO_PAYBACK`)."""
    from crm_roi.render.locale import MISSING, figure_text, money_text, percent_text

    value = document["totals"][name]
    if name == "payback_months":
        return NO_PAYBACK if value is None else figure_text(name, value, None, locale)
    if value is None:
        return MISSING
    if name in ("roi", "roi_undiscounted"):
        return percent_text(value, locale)
    return money_text(value, document["currency"], locale)


def result_meaning(name: str, document: dict[str, Any]) -> str:
    """What a figure under the table is, in a few words."""
    rate = _percent(document["settings"]["discount_rate"]).replace(" ", "\xa0")  # 10 %, whole
    return {
        "npv": f"PV of benefits − PV of costs, at {rate} a year",
        "roi": "NPV ÷ PV of costs",
        "roi_undiscounted": "(benefits − costs) ÷ costs, not discounted",
        "payback_months": "from go-live until the cumulative net reaches\xa00",
        "pv_costs": "year 0 undiscounted",
        "pv_benefits": "year 0 undiscounted",
    }[name]


def _projected(document: dict[str, Any]) -> bool:
    return any(y["projected"] for y in document["years"])


# --- the terminal ------------------------------------------------------------------------------
def print_invest(out: Any, document: dict[str, Any], locale: str = "plain") -> None:
    """The cash flows (a column per year, the total; when they don't fit the screen, the years
    in bands one under the other: a number is never cut), the figures under them, and the
    assumptions."""
    from rich.text import Text

    from crm_roi.render.locale import day_text, span_text
    from crm_roi.render.safe import printable

    currency = printable(document["currency"] or "")
    base = document["baseline"]
    out.print(
        Text(
            f"The CRM's cash flows from go-live {day_text(document['go_live'], locale)}, "
            + (f"in whole {currency}" if currency else "in whole units of the inputs' currency"),
            style="bold",
        )
    )
    out.print(
        Text(
            f"Baseline {span_text(base['from'], base['to'], locale)}; the exports end "
            f"{day_text(document['data_end'], locale)}.",
            style="dim",
        )
    )
    for table in _cash_tables(out, document, locale):
        out.print(table)
    for note in (projected_note(document), missing_note(document)):
        if note:
            out.print(Text(note, style="dim"))
    out.print()
    out.print(_results_grid(document, locale))
    out.print()
    out.print(Text("What this rests on", style="bold"))
    for line in document["assumptions"]:
        out.print(Text(printable(line), style="dim"))


def _amount(value: float | None, has: bool, locale: str) -> Any:
    """An amount of the table, whole: red below zero, ``–`` (dim) when not measured, blank
    when the year has no such cost."""
    from rich.text import Text

    from crm_roi.render.locale import MISSING, money_text

    if not has:
        return Text("")
    if value is None:
        return Text(MISSING, style="dim")
    return Text(money_text(value, None, locale, cents=False), style="red" if value < 0 else "")


def _cash_tables(console: Any, document: dict[str, Any], locale: str) -> list[Any]:
    """The cash-flow table, in as few bands of columns as fit the console (the years shared
    out evenly), each with the rows' labels."""
    from rich.text import Text

    from crm_roi.render.fit import label_width, needed
    from crm_roi.render.safe import printable

    years, lines = document["years"], cash_lines(document)
    heads = [*(year_head(y) for y in years), TOTAL]
    columns = [[_amount(line.value(y), line.has(y), locale) for line in lines] for y in years]
    columns.append([_amount(line_total(line, document), line.totalled, locale) for line in lines])
    labels = [
        Text(("  " if line.part else "") + printable(line.label), style="bold" if line.sum else "")
        for line in lines
    ]
    label_w = label_width(needed(labels), console.width)
    widths = [needed([h, *cells]) for h, cells in zip(heads, columns, strict=True)]
    tables = []
    for band in _bands(console, label_w, widths):
        table = _frame()
        table.add_column("", overflow="fold", min_width=label_w, max_width=label_w)
        for i in band:
            table.add_column(heads[i], justify="right", no_wrap=True, min_width=widths[i])
        for r, line in enumerate(lines):
            table.add_row(
                labels[r],
                *(columns[i][r] for i in band),
                end_section=line.name in ("costs", "benefits"),
            )
        tables.append(table)
    return tables


def _bands(console: Any, label_w: int, widths: list[int]) -> list[list[int]]:
    """The columns in the fewest bands that each fit beside the labels, shared out evenly
    (five columns in two bands: three and two); a column a band when not even one fits."""
    from crm_roi.render.fit import fits

    n = len(widths)
    for most in range(n, 0, -1):
        per = -(-n // -(-n // most))  # n in ceil(n / most) bands, as even as can be
        bands = [list(range(start, min(start + per, n))) for start in range(0, n, per)]
        if all(fits(console, _frame, [label_w, *(widths[i] for i in b)]) for b in bands):
            return bands
    return [[i] for i in range(n)]


def _frame(title: Any = None) -> Any:
    """The style of the cash-flow table (as compute's breakdowns)."""
    from rich.table import Table

    return Table(title=title, title_justify="left", header_style="bold")


def _results_grid(document: dict[str, Any], locale: str) -> Any:
    """NPV, the ROIs, payback and the present values: a line each, with what it is."""
    from rich.table import Table
    from rich.text import Text

    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(justify="right", no_wrap=True)
    grid.add_column(style="dim")
    for name, label in RESULTS:
        value = document["totals"][name]
        red = value is not None and name in ("npv", "roi", "roi_undiscounted") and value < 0
        shown = Text(result_text(name, document, locale), style="red" if red else "")
        grid.add_row(label, shown, result_meaning(name, document))
    return grid


# --- CSV ---------------------------------------------------------------------------------------
CSV_HEAD = ("year", "from", "to", "projected", "item", "amount")
# The totals' rows after the table's own: the document's totals that no year has.
CSV_TOTALS = ("pv_costs", "pv_benefits", "npv", "roi", "roi_undiscounted", "payback_months")


def invest_csv(document: dict[str, Any]) -> str:
    """One row per year and line item: ``costs:<category>`` for each category the year has,
    then the year's ``costs``, ``revenue_uplift``, ``time_saved``, ``other``, ``benefits``,
    ``net`` and ``cumulative_net``; then the totals (year ``total``, over the horizon): each
    line item's, and ``pv_costs``, ``pv_benefits``, ``npv``, ``roi`` and ``roi_undiscounted``
    (ratios: 1.5 is 150 %) and ``payback_months``. Amounts are plain numbers whatever the
    locale; one not measured (or not reached, for payback) is empty; ``projected`` is
    ``true`` or ``false`` (for the totals: whether any year is projected)."""
    from crm_roi.render.safe import csv_text

    years = document["years"]
    out: list[list[Any]] = [list(CSV_HEAD)]
    for y in years:
        where = [y["year"], y["from"], y["to"], _flag(y["projected"])]
        for name, value in y["costs_by_category"].items():
            out.append([*where, f"costs:{name}", value])
        out += [[*where, name, y[name]] for name in YEAR_MONEY]
    starts = [y["from"] for y in years if y["from"]]
    where = ["total", starts[0] if starts else None, years[-1]["to"] if years else None]
    where.append(_flag(_projected(document)))
    for line in cash_lines(document):
        if line.totalled:
            out.append([*where, line.name, line_total(line, document)])
    out += [[*where, name, document["totals"][name]] for name in CSV_TOTALS]
    return csv_text(out)


def _flag(value: bool) -> str:
    return "true" if value else "false"


# --- the workbook ------------------------------------------------------------------------------
HEAD = 5  # the Cash flows sheet's header row, under the title, go-live and the baseline
LABEL_WIDTH = (22, 40)  # the labels' column: at least, at most
PROJECTED_FILL = "FFF2CC"  # Excel's pale gold: projected, not measured
LINE_COLOUR = "2E75B6"
CHART_CM = 9.0
CHART_NOTE = (
    "The chart: the cumulative net at go-live (after the initial costs) and at each year's end. "
    "Each year's flows are spread evenly over its months"
)
NOTES_LISTED = 20  # notes on the Assumptions sheet; the JSON and the page list them all
ASSUMPTION_WIDTHS = (28, 16, 16, 16, 16, 16)


def invest_workbook_bytes(
    document: dict[str, Any], rejected_rows: list[dict[str, Any]], locale: str = "plain"
) -> bytes:
    """The workbook for management: **Cash flows** (the table as numbers with number formats,
    projected years marked and shaded, NPV, ROI and payback under it, and a chart of the
    cumulative net by year that crosses zero at payback), **Assumptions** (what the result
    rests on, the settings, the inputs and the notes) and **Rejected rows** when there are
    some."""
    from openpyxl import Workbook

    from crm_roi.render.workbook import rejected_sheet, saved, set_properties

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Cash flows"
    _cash_sheet(sheet, document, locale)
    _assumptions_sheet(book.create_sheet("Assumptions"), document, rejected_rows, locale)
    if rejected_rows:
        rejected_sheet(book.create_sheet("Rejected rows"), rejected_rows)
    set_properties(book, f"crm-roi invest: the CRM's ROI, go-live {document['go_live']}")
    book.properties.subject = "Did the CRM pay for itself? Cash flows, NPV, ROI and payback"
    book.properties.keywords = "crm-roi, invest, ROI, NPV, payback"
    book.properties.description = str(_sheet_text(" ".join(document["assumptions"])))
    return saved(book)


def _sheet_text(value: Any) -> Any:
    from crm_roi.render.safe import xml_text

    return xml_text(value)


def _cash_sheet(sheet: Any, document: dict[str, Any], locale: str) -> None:
    """The title, go-live and the baseline; the table; the figures under it; the caveat, linked
    to the assumptions; the chart below, on a page of its own if it must."""
    from openpyxl.styles import Alignment

    from crm_roi.render.workbook import (
        BOLD,
        NOTE,
        TITLE,
        day,
        day_format,
        fit_widths,
        print_setup,
        put_date,
    )

    years = document["years"]
    last = len(years) + 2  # the Total column
    sheet["A1"] = "Did the CRM pay for itself? Cash flows by year"
    sheet["A1"].font = TITLE
    dates = day_format(locale)
    sheet.cell(2, 1, "Go-live").font = BOLD
    put_date(sheet.cell(2, 2), day(document["go_live"]), dates)
    currency = document["currency"]
    sheet.cell(2, 3, _sheet_text(f"amounts in {currency}" if currency else "(no currency)"))
    sheet.cell(2, 3).font = NOTE
    sheet.cell(3, 1, "Baseline").font = BOLD
    put_date(sheet.cell(3, 2), day(document["baseline"]["from"]), dates)
    put_date(sheet.cell(3, 3), day(document["baseline"]["to"]), dates)
    sheet.cell(3, 4, "the 12 months before go-live").font = NOTE
    row = _cash_table(sheet, document, locale)
    for note in (projected_note(document, "Shaded: "), missing_note(document)):
        if note:
            sheet.cell(row, 1, note).font = NOTE
            row += 1
    row = _results_block(sheet, row + 1, document, locale)
    labels = [sheet.cell(r, 1).value for r in range(HEAD + 3, row - 1)]
    widest = max((len(str(v)) for v in labels if v and len(str(v)) < 60), default=0) + 3
    sheet.column_dimensions["A"].width = min(max(LABEL_WIDTH[0], widest), LABEL_WIDTH[1])
    fit_widths(sheet, range(2, last + 1), header=HEAD, least=13)
    for r in (2, 3):
        for c in (2, 3):
            sheet.cell(r, c).alignment = Alignment(horizontal="left")
    row = _caveat(sheet, row, last)
    for r in range(1, row + 1):  # every row as tall as Pages reckons: the chart's page is right
        if sheet.row_dimensions[r].height is None:
            sheet.row_dimensions[r].height = 15
    sheet.freeze_panes = sheet.cell(HEAD + 1, 2)
    print_setup(sheet, f"{HEAD}:{HEAD}", "A:A")
    chart = _cumulative_chart(sheet, document, locale)
    under = _place_chart(sheet, chart, row, last)
    crosses = document["totals"]["payback_months"] is not None
    sheet.cell(
        under, 1, CHART_NOTE + (", so the line crosses zero at payback." if crosses else ".")
    )
    sheet.cell(under, 1).font = NOTE


def _place_chart(sheet: Any, chart: Any, row: int, last: int) -> int:
    """The chart across the printed page below ``row``: on the first page if all of it fits
    there, else at the top of the next (a manual break: where a spreadsheet breaks a page by
    itself differs from one program to the next). The row under it."""
    import math

    from openpyxl.worksheet.pagebreak import Break

    from crm_roi.render.workbook import GAP_CM, ROW_CM, Pages

    pages = Pages(sheet, last)
    height = CHART_CM / pages.scale
    above = sum(pages.row_cm(r) for r in range(1, row + 1))
    if above + ROW_CM + height + GAP_CM > pages.height_cm:
        sheet.row_breaks.append(Break(id=row))
    chart.width, chart.height = pages.width_cm - GAP_CM, height
    sheet.add_chart(chart, f"A{row + 2}")
    under = row + 2 + math.ceil((height + GAP_CM) / ROW_CM)
    for r in range(row + 1, under + 1):  # as tall as reckoned: the note stays under the chart
        sheet.row_dimensions[r].height = 15
    return under


def _caveat(sheet: Any, row: int, last: int) -> int:
    """What the uplift is not, across the table's width, and a link to the assumptions; the
    row after them."""
    from openpyxl.styles import Font

    from crm_roi.render.workbook import FONT, LINK, WRAP, column_cm, wrapped_lines

    cell = sheet.cell(row, 1, CAVEAT)
    cell.font = Font(name=FONT, bold=True, color="9C0006")
    cell.alignment = WRAP
    sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=last)
    width = sum(column_cm(sheet, c) for c in range(1, last + 1)) / 2.54 * 96 / 7
    sheet.row_dimensions[row].height = 15 * wrapped_lines(CAVEAT, width) + 3
    link = sheet.cell(row + 1, 1, "See the sheet Assumptions: what these figures rest on")
    _link(link, "Assumptions")
    link.font = LINK
    return row + 2


def _cash_table(sheet: Any, document: dict[str, Any], locale: str) -> int:
    """The header (each year's name, first and last day), a row per line, projected columns
    shaded; the row after the table."""
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

    from crm_roi.render.locale import MISSING
    from crm_roi.render.workbook import (
        BOLD,
        FONT,
        NOTE,
        day,
        day_format,
        fit_row_height,
        money_format,
        put_date,
        style_header,
    )

    years = document["years"]
    money = money_format(document["currency"], locale)
    heads = [
        "Cash flow",
        *(year_head(y, "\n(projected)") for y in years),
        TOTAL,
    ]
    for col, text in enumerate(heads, start=1):
        sheet.cell(HEAD, col, text)
    style_header(sheet[HEAD], numbers_from=2)
    fit_row_height(sheet, HEAD, least=30)
    for offset, (word, key) in enumerate((("From", "from"), ("To", "to")), start=1):
        sheet.cell(HEAD + offset, 1, word).font = NOTE
        for col, y in enumerate(years, start=2):
            cell = sheet.cell(HEAD + offset, col)
            if y[key]:
                put_date(cell, day(y[key]), day_format(locale))
            else:
                cell.value = MISSING
            cell.font = NOTE
            cell.alignment = Alignment(horizontal="right")
    shade = PatternFill("solid", fgColor=PROJECTED_FILL)
    above = Border(top=Side(style="thin", color="808080"))
    row = HEAD + 3
    for line in cash_lines(document):
        label = sheet.cell(row, 1, _sheet_text(line.label))
        label.alignment = Alignment(indent=2 if line.part else 0)
        values = [(line.value(y), line.has(y)) for y in years]
        values.append((line_total(line, document), line.totalled))
        for col, (value, has) in enumerate(values, start=2):
            cell = sheet.cell(row, col)
            if has:
                cell.value = MISSING if value is None else value
                cell.number_format = money
                cell.alignment = Alignment(horizontal="right")
        if line.sum:
            for cell in sheet[row][: len(heads)]:
                cell.font = Font(name=FONT, bold=True)
                cell.border = above
        elif line.name == "cumulative_net":
            label.font = BOLD
        row += 1
    for col, y in enumerate(years, start=2):
        if y["projected"]:
            for r in range(HEAD, row):
                sheet.cell(r, col).fill = shade
    return row


def _results_block(sheet: Any, row: int, document: dict[str, Any], locale: str) -> int:
    """NPV, the ROIs, payback and the present values: label, value (a number with its format)
    and what it is; the row after the block."""
    from openpyxl.styles import Alignment

    from crm_roi.render.locale import figure_number_format
    from crm_roi.render.workbook import BOLD, NOTE, money_format, number_format

    currency = document["currency"]
    formats = {
        "roi": number_format("roi", currency, locale),
        "roi_undiscounted": number_format("roi", currency, locale),
        "payback_months": figure_number_format("payback_months", locale),
    }
    for name, label in RESULTS:
        sheet.cell(row, 1, label).font = BOLD
        value = document["totals"][name]
        cell = sheet.cell(row, 2, "–" if value is None else value)
        cell.number_format = formats.get(name, money_format(currency, locale))
        cell.alignment = Alignment(horizontal="right")
        said = result_meaning(name, document)
        if value is None and name == "payback_months":
            said = f"{_paid_back(document, locale)}: the cumulative net stays below 0"
        meaning = sheet.cell(row, 3, said)
        meaning.font = NOTE
        meaning.alignment = Alignment(indent=1)
        row += 1
    return row + 1


def _link(cell: Any, sheet: str) -> None:
    """The cell opens ``sheet`` when clicked."""
    from openpyxl.worksheet.hyperlink import Hyperlink

    from crm_roi.render.workbook import LINK_BOLD

    cell.hyperlink = Hyperlink(ref=cell.coordinate, location=f"'{sheet}'!A1", display=sheet)
    cell.font = LINK_BOLD


def value_ticks(values: list[float]) -> list[float]:
    """The page's chart's ticks for ``values``: round steps, zero among them, and some room
    beyond the highest and the lowest value for their labels.

    >>> value_ticks([-250000, -225000])
    [-300000.0, -250000.0, -200000.0, -150000.0, -100000.0, -50000.0, 0.0]
    >>> value_ticks([-37700, 1071272.4])
    [-250000.0, 0.0, 250000.0, 500000.0, 750000.0, 1000000.0, 1250000.0]
    """
    from crm_roi.render.svg import nice_ticks

    low, high = min(0.0, *values), max(0.0, *values)
    room = (high - low) * 0.08
    return nice_ticks(low - room if low < 0 else low, high + room if high > 0 else high, 6)


def _paid_back(document: dict[str, Any], locale: str) -> str:
    """``paid back after 1.2 months``, or not within the horizon."""
    if document["totals"]["payback_months"] is None:
        return f"not paid back within {_horizon(document)}"
    return f"paid back after {result_text('payback_months', document, locale)}"


def _horizon(document: dict[str, Any]) -> str:
    """``3 years of go-live``."""
    count = sum(1 for y in document["years"] if y["year"])
    return f"{count} year{'s' * (count != 1)} of go-live"


def _cumulative_chart(sheet: Any, document: dict[str, Any], locale: str) -> Any:
    """The cumulative net at go-live (the initial costs) and at each year's end, as a line: each
    year's flows spread evenly over it, the line crosses zero at payback. The horizontal axis
    sits at zero, its labels at the bottom; projected years dashed."""
    from openpyxl.chart import LineChart, Reference
    from openpyxl.chart.label import DataLabelList
    from openpyxl.chart.marker import DataPoint
    from openpyxl.chart.series import SeriesLabel
    from openpyxl.chart.shapes import GraphicalProperties
    from openpyxl.drawing.line import LineProperties

    from crm_roi.render.workbook import unsmoothed

    years = document["years"]
    row = HEAD + 3 + len(cash_lines(document)) - 1  # cumulative net: the table's last row
    chart = LineChart()
    chart.title = "Cumulative net, undiscounted: " + _paid_back(document, locale)
    values = Reference(sheet, min_col=2, max_col=len(years) + 1, min_row=row)
    chart.add_data(values, from_rows=True, titles_from_data=False)
    chart.set_categories(Reference(sheet, min_col=2, max_col=len(years) + 1, min_row=HEAD))
    line = chart.series[0]
    line.tx = SeriesLabel(v="Cumulative net")
    line.graphicalProperties.line.solidFill = LINE_COLOUR
    line.graphicalProperties.line.width = 28575  # 2.25 points
    line.marker.symbol = "circle"
    line.marker.size = 7
    line.marker.graphicalProperties = GraphicalProperties(solidFill=LINE_COLOUR)
    for index, y in enumerate(years):
        if y["projected"]:  # the segment that leads to a projected year is dashed
            point = DataPoint(idx=index)
            point.graphicalProperties.line.solidFill = LINE_COLOUR
            point.graphicalProperties.line.prstDash = "dash"
            point.graphicalProperties.line.width = 28575
            line.dPt.append(point)
    line.dLbls = DataLabelList(showVal=True, showSerName=False, showCatName=False)
    line.dLbls.showLegendKey = False
    line.dLbls.position = "t"
    values = [y["cumulative_net"] for y in years]
    if min(values) > 0:  # zero in sight: the axis is where the line would cross it
        chart.y_axis.scaling.min = 0
    elif max(values) < 0:
        chart.y_axis.scaling.max = 0
    chart.y_axis.numFmt = "#,##0"
    chart.y_axis.title = document["currency"] or "Amount"
    chart.x_axis.tickLblPos = "low"  # the labels at the bottom, the axis line at zero
    chart.x_axis.spPr = GraphicalProperties(ln=LineProperties(solidFill="404040", w=19050))
    chart.x_axis.delete = chart.y_axis.delete = False
    chart.legend = None
    return unsmoothed(chart)


def _assumptions_sheet(
    sheet: Any, document: dict[str, Any], rejected_rows: list[dict[str, Any]], locale: str
) -> None:
    """What the result rests on, in sentences; the settings; the inputs; the notes."""
    from openpyxl.utils import get_column_letter

    from crm_roi.render.workbook import TITLE, Pages, notes_block, print_setup

    for col, width in enumerate(ASSUMPTION_WIDTHS, start=1):
        sheet.column_dimensions[get_column_letter(col)].width = width
    sheet["A1"] = "What the result rests on"
    sheet["A1"].font = TITLE
    row = 2
    for text in document["assumptions"]:
        _sentence(sheet, row, text)
        row += 1
    blocks = [(1, row - 1)]
    start = row + 1
    row = _settings_block(sheet, start, document, locale)
    blocks.append((start, row - 1))
    start = row + 1
    row = _inputs_block(sheet, start, document["inputs"])
    blocks.append((start, row - 1))
    notes = _notes(document["warnings"], rejected_rows)
    if notes:
        start = row + 1
        row = notes_block(sheet, start, notes, ASSUMPTION_WIDTHS, NOTES_LISTED, "")
        blocks.append((start, row - 1))
    print_setup(sheet, None, None)
    Pages(sheet, len(ASSUMPTION_WIDTHS)).keep_together(blocks)


def _sentence(sheet: Any, row: int, text: str, note: bool = False) -> None:
    """A sentence across the sheet's width, wrapped, its row tall enough."""
    from crm_roi.render.workbook import NOTE, sentence

    sentence(sheet, row, text, ASSUMPTION_WIDTHS, NOTE if note else None)


def _settings_block(sheet: Any, row: int, document: dict[str, Any], locale: str) -> int:
    """The settings as values people read (dates as dates, shares as percentages)."""
    from openpyxl.styles import Alignment

    from crm_roi.render.workbook import BOLD, TITLE, day, day_format, number_format, put_date

    settings = document["settings"]
    percent = number_format("roi", document["currency"], locale)
    sheet.cell(row, 1, "Settings").font = TITLE
    dates = day_format(locale)
    rows: list[tuple[str, Any, str | None]] = [
        ("Go-live", day(document["go_live"]), dates),
        ("Baseline from", day(document["baseline"]["from"]), dates),
        ("Baseline to", day(document["baseline"]["to"]), dates),
        ("Exports end", day(document["data_end"]), dates),
        ("Years after go-live", settings["years"], "0"),
        ("Discount rate (a year)", settings["discount_rate"], percent),
        ("Risk (taken off the benefits)", settings["risk"], percent),
        ("Gross margin", settings["gross_margin"], percent),
        (
            "Projection",
            "years the exports don't cover in full repeat the last measured year's benefits"
            if settings["projection"]
            else "none (--no-projection): only measured years",
            None,
        ),
        ("Currency", document["currency"] or "(none)", None),
        (
            "Exchange rates",
            ", ".join(f"{k} {v:g}" for k, v in settings["rates"].items()) or "none",
            None,
        ),
    ]
    for label, value, fmt in rows:
        row += 1
        sheet.cell(row, 1, label).font = BOLD
        cell = sheet.cell(row, 2)
        if fmt == dates:
            put_date(cell, value, dates)
        else:
            cell.value = _sheet_text(value)
            if fmt:
                cell.number_format = fmt
            cell.alignment = Alignment(horizontal="left")
    return row + 1


def _inputs_block(sheet: Any, row: int, inputs: list[dict[str, Any]]) -> int:
    """One row per input: what it is, its rows, and its file (whole, wrapped)."""
    from crm_roi.render.workbook import inputs_block

    return inputs_block(sheet, row, inputs, sum(ASSUMPTION_WIDTHS[4:]))


def _notes(warnings: list[str], rejected_rows: list[dict[str, Any]]) -> list[str]:
    """The document's warnings but the rejected rows (listed on their own sheet and section)."""
    from crm_roi.errors import RowIssue

    rejected = {str(RowIssue(**row)) for row in rejected_rows}
    return [w for w in dict.fromkeys(warnings) if w not in rejected]


# --- the HTML page -----------------------------------------------------------------------------
SVG_WIDTH = 1100  # px: about as wide as the page shows it, so that its text is the page's size
SVG_HEIGHT = 340
SVG_TOP = 34  # px above the highest tick: the payback's label
SVG_BOTTOM = 282  # the lowest tick; the years' names under it
CARDS = ("npv", "roi", "roi_undiscounted", "payback_months", "pv_costs", "pv_benefits")
SECTIONS = (
    ("assumptions", "Assumptions"),
    ("cash-flows", "Cash flows"),
    ("rejected", "Rejected rows"),
    ("notes", "Notes"),
    ("inputs", "Inputs"),
    ("settings", "Settings"),
)
# Inline styles (the page's own classes come from render/html.py; a style attribute is allowed
# by its Content-Security-Policy, as the cohort table's shading is).
SHADE = "background: #fbf3dc"
PART = "padding-left: 22px"
SUM = "font-weight: 600"
BOX = (
    "border-left: 4px solid var(--cost); background: #fff7ef; padding: 8px 16px; margin: 18px 0 4px"
)


def invest_html(
    document: dict[str, Any], rejected_rows: list[dict[str, Any]], locale: str = "plain"
) -> bytes:
    """The self-contained page: NPV, ROI, undiscounted ROI and payback as cards, what they rest
    on right under them, the cumulative net drawn, the cash-flow table, the settings, the
    rejected rows, the notes and the inputs. No script, no URL; every text from the inputs
    escaped."""
    from crm_roi.render import html
    from crm_roi.render.locale import day_text, span_text

    numbers = html.Numbers(document["currency"], locale)
    base = document["baseline"]
    facts = [
        f"go-live {day_text(document['go_live'], locale)}",
        f"baseline {span_text(base['from'], base['to'], locale)}",
        f"exports end {day_text(document['data_end'], locale)}",
        document["currency"] or "no currency",
    ]
    title = "Did the CRM pay for itself?"
    parts = [
        html.masthead(title, facts, numbers, html.now()),
        html.contents(SECTIONS),
        _cards(document, numbers),
        _assumptions_box(document),
        html.section("cash-flows", "Cash flows", *_cash_part(document, numbers)),
        html.section("rejected", "Rejected rows", html.rejected_table(rejected_rows, numbers)),
        html.section(
            "notes", "Notes", html.notes_list(_notes(document["warnings"], rejected_rows), numbers)
        ),
        html.section("inputs", "Inputs", html.inputs_table(document["inputs"], numbers)),
        html.section("settings", "Settings", _settings_html(document, numbers)),
    ]
    return html.page(f"{title} The CRM's ROI", locale, parts)


def _cards(document: dict[str, Any], numbers: Any) -> str:
    """NPV, the two ROIs and payback, each with what it is."""
    from crm_roi.render.safe import html_text as esc

    labels = dict(RESULTS)
    cards = []
    for name in CARDS:
        value = document["totals"][name]
        tone = " neg" if name != "payback_months" and value is not None and value < 0 else ""
        cards.append(
            f'<div class="card{tone}"><div class="label">{esc(labels[name])}</div>'
            f'<div class="figure">{esc(result_text(name, document, numbers.locale))}</div>'
            f'<div class="label">{esc(result_meaning(name, document))}</div></div>'
        )
    return f'<section id="headline" class="cards">{"".join(cards)}</section>'


def _assumptions_box(document: dict[str, Any]) -> str:
    """What the result rests on, as a list set apart right under the figures: it is part of
    the result."""
    from crm_roi.render.safe import html_text as esc

    items = "".join(f"<li>{esc(line)}</li>" for line in document["assumptions"])
    return (
        f'<section id="assumptions" style="{BOX}"><h3>What these figures rest on</h3>'
        f"<p><strong>{esc(CAVEAT)}</strong></p><ul>{items}</ul></section>"
    )


def _cash_part(document: dict[str, Any], numbers: Any) -> list[str]:
    """The cumulative net drawn, then the table and what a projected year is."""
    from crm_roi.render import html
    from crm_roi.render.safe import html_text as esc

    payback = document["totals"]["payback_months"]
    caption = "Cumulative net, undiscounted, at go-live and at each year's end" + (
        f": paid back after {result_text('payback_months', document, numbers.locale)}"
        if payback is not None
        else ": not paid back within the horizon"
    )
    note = "Initial: the costs before go-live. Each year's costs and benefits are spread evenly "
    note += (
        "over its months, so the line crosses zero at payback."
        if payback is not None
        else "over its months."
    )
    if _projected(document):
        note += " Paler columns and dashed lines are projected."
    drawing = html.chart(caption, cumulative_svg(document, numbers), note, wide=True)
    notes = (projected_note(document), missing_note(document))
    after = "".join(f'<p class="note">{esc(note)}</p>' for note in notes if note)
    return [f'<div class="charts">{drawing}</div>', _cash_table_html(document, numbers), after]


def _cash_table_html(document: dict[str, Any], numbers: Any) -> str:
    """The cash-flow table: a column per year (its days under its name, projected ones
    shaded and starred) and the total, whole amounts in the currency."""
    from crm_roi.render import html
    from crm_roi.render.locale import MISSING, span_text
    from crm_roi.render.safe import html_text as esc

    years, locale = document["years"], numbers.locale
    head = [html.cell("", tag="th")]
    for y in years:
        days = span_text(y["from"], y["to"], locale) if y["from"] else "before go-live"
        shade = f' style="{SHADE}"' if y["projected"] else ""
        tip = f' title="{esc(projected_note(document, ""))}"' if y["projected"] else ""
        head.append(
            f'<th class="num"{shade}{tip}>{esc(year_head(y))}<br>'
            f'<span class="meta">{esc(days)}</span></th>'
        )
    head.append(html.cell(TOTAL, "num", "th"))
    body = []
    for line in cash_lines(document):
        style = "; ".join(s for s, on in ((PART, line.part), (SUM, line.sum)) if on)
        row = [html.cell(line.label, "key", extra=f' style="{style}"' if style else "")]
        values = [(line.value(y), line.has(y), y["projected"]) for y in years]
        values.append((line_total(line, document), line.totalled, False))
        for value, has, projected in values:
            styles = [s for s, on in ((SHADE, projected), (SUM, line.sum)) if on]
            extra = f' style="{"; ".join(styles)}"' if styles else ""
            text = "" if not has else MISSING if value is None else numbers.whole_money(value)
            css = "num neg" if has and value is not None and value < 0 else "num"
            row.append(html.cell(text, css, extra=extra))
        body.append(row)
    return html.table(head, body)


def cumulative_svg(document: dict[str, Any], numbers: Any) -> str:
    """The cumulative net at go-live (the initial costs) and at each year's end as columns,
    red below zero and green above, joined by a line that crosses the zero line at payback
    (each year's flows spread evenly over it), where a dot says when. Projected years paler,
    their line dashed."""
    from crm_roi.render.locale import day_text
    from crm_roi.render.safe import html_text as esc
    from crm_roi.render.svg import Scale, text_width

    years = document["years"]
    values = [y["cumulative_net"] for y in years]
    ticks = value_ticks(values)
    left = max(text_width(numbers.money(t)) for t in ticks) + 16
    slot = (SVG_WIDTH - left - 12) / max(1, len(years))
    scale = Scale(ticks[0], ticks[-1], SVG_BOTTOM, SVG_TOP)
    body: list[str] = []
    for t in ticks:
        y = scale(t)
        body.append(
            f'<line x1="{left:.1f}" y1="{y:.1f}" x2="{SVG_WIDTH - 12:.1f}" y2="{y:.1f}" '
            f'class="{"zero" if t == 0 else "grid"}"/>'
        )
        body.append(_svg_text(left - 6, y + 4, numbers.money(t), "tick", "end"))
    zero = scale(0.0)
    centres = [left + slot * (i + 0.5) for i in range(len(years))]
    width = min(slot * 0.42, 110)
    for i, (year, value) in enumerate(zip(years, values, strict=True)):
        top, sign = scale(value), "pos" if value >= 0 else "neg"
        paler = ' fill-opacity="0.45"' if year["projected"] else ""
        shown = numbers.money(value)
        tip = f"{year_head(year, ' (projected)')}: cumulative net {numbers.whole_money(value)}"
        body.append(
            f'<rect x="{centres[i] - width / 2:.1f}" y="{min(top, zero):.1f}" '
            f'width="{width:.1f}" height="{max(abs(zero - top), 1):.1f}" '
            f'class="bar {sign}"{paler}><title>{esc(tip)}</title></rect>'
        )
        at = top - 8 if value >= 0 else top + 16
        body.append(_svg_text(centres[i] + width / 2 + 4, at, shown, "value"))
        when = document["go_live"] if year["year"] == 0 else year["to"]
        body.append(_svg_text(centres[i], SVG_BOTTOM + 22, year_head(year), "legend", "middle"))
        body.append(_svg_text(centres[i], SVG_BOTTOM + 38, day_text(when, numbers.locale), "tick",
                              "middle"))  # fmt: skip
    for i in range(1, len(years)):
        dash = ' stroke-dasharray="6 4"' if years[i]["projected"] else ""
        body.append(
            f'<line x1="{centres[i - 1]:.1f}" y1="{scale(values[i - 1]):.1f}" '
            f'x2="{centres[i]:.1f}" y2="{scale(values[i]):.1f}" class="line roi"{dash}/>'
        )
    body += _payback_mark(document, numbers, centres, slot, zero)
    label = "Cumulative net by year: " + ", ".join(
        f"{year_head(y)} {numbers.whole_money(v)}" for y, v in zip(years, values, strict=True)
    )
    return (
        f'<svg class="chart" role="img" width="{SVG_WIDTH}" height="{SVG_HEIGHT}" '
        f'viewBox="0 0 {SVG_WIDTH} {SVG_HEIGHT}" aria-label="{esc(label)}">'
        + "".join(body)
        + "</svg>"
    )


def _payback_mark(
    document: dict[str, Any], numbers: Any, centres: list[float], slot: float, zero: float
) -> list[str]:
    """A dot on the zero line where the cumulative net reaches it, and when: year 0 is at
    go-live (the first column), a year's end a column further on (12 months a column)."""
    from crm_roi.render.safe import html_text as esc
    from crm_roi.render.svg import text_width

    payback = document["totals"]["payback_months"]
    if payback is None or not centres:
        return []
    x = centres[0] + payback / 12 * slot
    text = f"payback: {result_text('payback_months', document, numbers.locale)}"
    # Above the zero line, left of the dot, where the line is still below zero (before it
    # crosses, nothing is above zero); right of it only when the axis' labels are in the way.
    left = x - 8 - text_width(text) > centres[0] - slot / 2
    label = (
        _svg_text(x - 8, zero - 8, text, "legend", "end")
        if left
        else (_svg_text(x + 8, zero - 8, text, "legend"))
    )
    return [
        f'<circle cx="{x:.1f}" cy="{zero:.1f}" r="5" class="dot pos">'
        f"<title>{esc(text)}</title></circle>",
        label,
    ]


def _svg_text(x: float, y: float, text: str, css: str, anchor: str = "start") -> str:
    from crm_roi.render.safe import html_text as esc

    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" class="{css}">{esc(text)}</text>'


def _settings_html(document: dict[str, Any], numbers: Any) -> str:
    from crm_roi.render.locale import day_text, span_text
    from crm_roi.render.safe import html_text as esc

    settings, locale = document["settings"], numbers.locale
    base = document["baseline"]
    rates = ", ".join(f"{k} {numbers.number(v)}" for k, v in settings["rates"].items())
    items = [
        ("Go-live", day_text(document["go_live"], locale)),
        ("Baseline", span_text(base["from"], base["to"], locale) + " (12 months before go-live)"),
        ("Exports end", day_text(document["data_end"], locale)),
        ("Years after go-live", numbers.whole(settings["years"])),
        ("Discount rate", numbers.percent(settings["discount_rate"]) + " a year"),
        ("Risk", numbers.percent(settings["risk"]) + " taken off every benefit"),
        ("Gross margin", numbers.percent(settings["gross_margin"])),
        (
            "Projection",
            "years the exports don't cover in full repeat the last measured year's benefits"
            if settings["projection"]
            else "none (--no-projection): only measured years",
        ),
        ("Exchange rates", rates or "none"),
    ]
    return "<dl>" + "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in items) + "</dl>"

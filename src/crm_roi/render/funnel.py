"""The funnel (leads → converted → opportunities → won) as a document, and for people.

The document is the contract's ``crm-roi/funnel@1`` (docs/metrics.md, leads); every other
output of the funnel shows the same values, taken from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from crm_roi.engine.figures import COUNT, NUMBER, figure
from crm_roi.render.report import (
    breakdown_name,
    input_entry,
    plain_figure,
    plain_number,
    report_warnings,
)

if TYPE_CHECKING:
    from openpyxl.chart import BarChart
    from openpyxl.worksheet.worksheet import Worksheet
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from crm_roi.engine.funnel import FunnelReport
    from crm_roi.inputs.load import Loaded
    from crm_roi.render.html import Numbers

FUNNEL_SCHEMA = "crm-roi/funnel@1"
STAGES = ("leads", "converted", "opportunities", "won")
# What each group carries besides its stages, by the figure it is (engine/figures.py).
FIGURES = ("lead_revenue", "acquisition_cost", "cost_per_lead", "days_to_convert")


def stage_values(values: dict[str, Any]) -> dict[str, Any]:
    """One group's stages as plain values: counts, rates and figures."""
    return {
        **{stage: plain_number(values[stage], COUNT) for stage in STAGES},
        "rates": {
            stage: {how: plain_number(rate, NUMBER) for how, rate in rates.items()}
            for stage, rates in values["rates"].items()
        },
        **{name: plain_figure(name, values[name]) for name in FIGURES},
    }


def funnel_dict(report: FunnelReport, inputs: list[Loaded]) -> dict[str, Any]:
    """The ``crm-roi/funnel@1`` document."""
    breakdowns = {
        breakdown_name(dims): [{**{d: row[d] for d in dims}, **stage_values(row)} for row in rows]
        for dims, rows in report.breakdowns.items()
    }
    return {
        "schema": FUNNEL_SCHEMA,
        "currency": report.currency,
        "window": {"from": report.start.isoformat(), "to": report.end.isoformat()},
        "stages": list(STAGES),
        "by": [breakdown_name(d) for d in report.settings.by],
        "inputs": [input_entry(i) for i in inputs],
        "totals": stage_values(report.totals),
        "breakdowns": breakdowns,
        "warnings": report_warnings(report, inputs),  # type: ignore[arg-type]
    }


# --- for people (render/funnel.py's own renderers follow) -------------------------------------
#
# Every output people read shows the same things, from the document: the funnel of the totals
# (each stage's count, its rate from the stage before and from leads), what the leads brought
# and cost, and per breakdown a row per group. The stages are named and explained here; the
# figures (lead revenue, cost per lead, …) by engine/figures.py. Rich, openpyxl and the HTML
# page's modules are imported by the function that needs them: reading the inputs imports this
# module, and a JSON run needs none of them.

STAGE_LABELS = {
    "leads": "Leads",
    "converted": "Converted",
    "opportunities": "Opportunities",
    "won": "Won",
}
STAGE_MEANINGS = {
    "leads": "Leads created in the window (by their created date), grouped by their own value "
    "of the dimension, else their deal's.",
    "converted": "Of those leads, the converted ones (as of the export): the status says so, "
    "or a converted date is given, or a deal links to it.",
    "opportunities": "Of those leads, the ones a deal in the deals file links to (the lead "
    "names the deal, or the deal the lead), whatever became of the deal.",
    "won": "Of those leads, the ones a won deal links to, whenever it closed.",
}
STAGE_NULL = {
    "leads": "never (0)",
    "converted": "never (0)",
    "opportunities": "no deals file is given",
    "won": "no deals file is given",
}
RATE_LABELS = {"from_previous": "From the stage before", "from_leads": "From leads"}
MISSING = "–"  # as render/locale.py's MISSING: a value the document has as null


@dataclass(frozen=True)
class Column:
    """A column of a breakdown's table: a stage's count (``stage``), one of its rates
    (``stage`` and ``rate``), or else the figure ``name`` of engine/figures.py."""

    name: str
    label: str  # the workbook's and the page's heading
    short: str  # the terminal's heading
    stage: str = ""
    rate: str = ""  # "from_previous" or "from_leads"

    def value(self, group: dict[str, Any]) -> Any:
        if not self.stage:
            return group[self.name]
        if self.rate:
            return group["rates"][self.stage][self.rate]
        return group[self.stage]

    @property
    def is_count(self) -> bool:
        return bool(self.stage) and not self.rate


def _figure_column(name: str) -> Column:
    declared = figure(name)
    return Column(name, declared.label, declared.short)


# A breakdown's columns, in the order every output shows them.
COLUMNS = (
    Column("leads", "Leads", "Leads", "leads"),
    Column("converted", "Converted", "Converted", "converted"),
    Column("opportunities", "Opportunities", "Opps", "opportunities"),
    Column("won", "Won", "Won", "won"),
    Column(
        "lead_conversion_rate",
        figure("lead_conversion_rate").label,
        figure("lead_conversion_rate").short,
        "converted",
        "from_leads",
    ),
    Column(
        "opportunity_rate",
        "Converted → opportunity",
        "Conv.→opp.",
        "opportunities",
        "from_previous",
    ),
    Column("close_rate", "Opportunity → won", "Opp.→won", "won", "from_previous"),
    Column(
        "lead_to_win_rate",
        figure("lead_to_win_rate").label,
        figure("lead_to_win_rate").short,
        "won",
        "from_leads",
    ),
    *(_figure_column(name) for name in FIGURES),
)
BY_COLUMN = {c.name: c for c in COLUMNS}
# The rates in the funnel's own words, for the Definitions (figures.py names its stages otherwise).
RATE_MEANINGS = {
    "lead_conversion_rate": ("converted ÷ leads. 0.25 is 25 %.", "no leads"),
    "opportunity_rate": (
        "opportunities ÷ converted: the share of the converted leads that a deal links to.",
        "none converted",
    ),
    "close_rate": (
        "won ÷ opportunities: the share of the leads with a deal whose deal was won.",
        "no opportunities",
    ),
    "lead_to_win_rate": ("won ÷ leads.", "no leads"),
}
# The terminal: when a breakdown's columns don't all fit, the group's keys and as many of these
# as fit, in this order; the acquisition cost is left to the other formats.
SCREEN_PRIORITY = (
    "leads", "won", "lead_conversion_rate", "lead_to_win_rate", "converted", "lead_revenue",
    "cost_per_lead", "opportunities", "opportunity_rate", "close_rate", "days_to_convert",
)  # fmt: skip
BAR_MOST = 48  # characters: the widest bar of the terminal's funnel
BAR_LEAST = 8  # a narrower bar is left out
REMEDY = "a wider terminal, or --format csv or json"


def known_columns(totals: dict[str, Any], rows: list[dict[str, Any]]) -> list[Column]:
    """The columns with a value somewhere: without deals, opportunities, won and their rates
    are unknown for every group, without costs the cost per lead (:func:`unknown_notes`)."""
    return [
        c
        for c in COLUMNS
        if c.value(totals) is not None or any(c.value(r) is not None for r in rows)
    ]


def unknown_notes(totals: dict[str, Any]) -> list[str]:
    """Why whole stages or figures have no value: an input wasn't given."""
    notes = []
    if totals["opportunities"] is None:
        notes.append(
            "No deals file: opportunities, won and lead revenue are unknown (–); give the "
            "deals to see them."
        )
    elif totals["lead_revenue"] is None:
        notes.append("The deals have no amounts: lead revenue is unknown (–).")
    if totals["acquisition_cost"] is None:
        notes.append("No costs or time logs: acquisition cost and cost per lead are unknown (–).")
    return notes


def unattributed_note(
    name: str, rows: list[dict[str, Any]], currency: str | None, locale: str
) -> str:
    """What acquisition cost a breakdown's groups don't carry, in a sentence ("" if none):
    the cost of no group is in the totals' cost per lead but in no group's."""
    from crm_roi.engine.figures import UNATTRIBUTED
    from crm_roi.render.locale import money_text
    from crm_roi.render.report import breakdown_dims

    dims = breakdown_dims(name)
    stray = [r for r in rows if UNATTRIBUTED in [str(r[d]) for d in dims]]
    cost = sum(r["acquisition_cost"] or 0 for r in stray)
    if not cost:
        return ""
    what = " or ".join(dims)
    return (
        f"By {name}: {money_text(cost, currency, locale)} of acquisition cost is "
        f"{UNATTRIBUTED}: cost rows and time logs with no {what} of their own. It counts in the "
        "total cost per lead, in no group's."
    )


def stage_rows(group: dict[str, Any]) -> list[tuple[str, Any, Any, Any]]:
    """Each stage of a group (or the totals): its name, count, rate from the stage before and
    from leads (leads have neither rate: None)."""
    rates = group["rates"]
    return [
        (
            stage,
            group[stage],
            *(
                rates[stage][how] if stage in rates else None
                for how in ("from_previous", "from_leads")
            ),
        )
        for stage in STAGES
    ]


def definitions() -> list[tuple[str, str, str, str]]:
    """The Definitions of every output: each stage, the two rates, each column of the
    breakdowns that is a rate or a figure; as (name, unit, meaning, empty when)."""
    out = [(STAGE_LABELS[s], "count", STAGE_MEANINGS[s], STAGE_NULL[s]) for s in STAGES]
    out += [
        (
            RATE_LABELS["from_previous"],
            "ratio 0–1",
            "A stage's count ÷ the count of the stage before it: converted ÷ leads, "
            "opportunities ÷ converted, won ÷ opportunities. 0.5 is 50 %.",
            "the stage before is 0 or unknown",
        ),
        (RATE_LABELS["from_leads"], "ratio 0–1", "A stage's count ÷ leads.", "no leads"),
    ]
    for c in COLUMNS:
        if c.is_count:
            continue
        if c.name in RATE_MEANINGS:
            meaning, null_when = RATE_MEANINGS[c.name]
            out.append((c.label, "ratio 0–1", meaning, null_when))
        else:
            declared = figure(c.name)
            out.append((declared.label, declared.unit, declared.meaning, declared.null_when))
    return out


def _group_label(group: dict[str, Any], dims: tuple[str, ...]) -> str:
    """A group's keys as one label: ``Events``, ``Events / 2024-01``."""
    return " / ".join(str(group[d]) for d in dims)


# --- the terminal ------------------------------------------------------------------------------
def print_funnel(out: Console, document: dict[str, Any], locale: str = "plain") -> None:
    """The totals as a funnel (each stage's count, its rates and a bar as long as its count),
    what the leads brought and cost, then a table per breakdown, each fitted to the screen: a
    number or a label is never cut, and what is left out is named under its table."""
    from rich.text import Text

    from crm_roi.render.fit import left_out
    from crm_roi.render.safe import printable

    table, hidden = _funnel_table(out, document, locale)
    out.print(table)
    if hidden:
        out.print(Text(f"… the {' and '.join(hidden)} left out: {REMEDY}", style="dim"))
    out.print(_figures_grid(document, locale))
    for note in unknown_notes(document["totals"]):
        out.print(Text(note, style="dim"))
    for name, rows in document["breakdowns"].items():
        sub, wrapped, left = _group_table(out, name, rows, document, locale)
        out.print(sub)
        if wrapped:
            out.print(Text(f"Labels longer than {wrapped} characters are wrapped.", style="dim"))
        if left:
            out.print(left_out(left, REMEDY))
        stray = unattributed_note(name, rows, document["currency"], locale)
        if stray:
            out.print(Text(printable(stray), style="dim"))


def _count_text(value: Any, locale: str) -> str:
    from crm_roi.render.locale import number_text

    return MISSING if value is None else number_text(value, locale, "#,##0")


def _rate_text(value: Any, locale: str) -> str:
    from crm_roi.render.locale import percent_text

    return MISSING if value is None else percent_text(value, locale)


def _cell_text(column: Column, value: Any, currency: str | None, locale: str) -> str:
    """A breakdown's cell as people read it; money whole but for the cost per lead."""
    from crm_roi.render.locale import figure_text

    if column.is_count:
        return _count_text(value, locale)
    if column.rate:
        return _rate_text(value, locale)
    return figure_text(column.name, value, currency, locale, cents=column.name == "cost_per_lead")


def _funnel_table(
    console: Console, document: dict[str, Any], locale: str
) -> tuple[Table, list[str]]:
    """The stages, their counts, the rates that fit and a bar in the room left: centred, so
    that the stages stack up as a funnel. Also: what was left out."""
    from rich.text import Text

    from crm_roi.render.fit import fitting, needed, table_width
    from crm_roi.render.locale import span_text

    rows = stage_rows(document["totals"])
    heads = ["stage", "count", "from\nprevious", "from\nleads"]
    columns: list[list[str]] = [
        [STAGE_LABELS[stage] for stage, *_ in rows],
        [_count_text(count, locale) for _, count, _, _ in rows],
        ["" if stage == "leads" else _rate_text(p, locale) for stage, _, p, _ in rows],
        ["" if stage == "leads" else _rate_text(f, locale) for stage, _, _, f in rows],
    ]
    widths = [needed([h, *cells]) for h, cells in zip(heads, columns, strict=True)]
    shown = [0, 1, *fitting(console, _funnel_style, widths[:2], [(2, widths[2]), (3, widths[3])])]
    used = [widths[i] for i in shown]
    room = min(BAR_MOST, console.width - (table_width(console, _funnel_style, [*used, 1]) - 1))
    window = document["window"]
    table = _funnel_style(Text(f"Lead funnel, {span_text(window['from'], window['to'], locale)}"))
    for i in shown:
        table.add_column(
            heads[i], justify="left" if i == 0 else "right", no_wrap=True, min_width=widths[i]
        )
    if room >= BAR_LEAST:
        table.add_column("", no_wrap=True, min_width=room, max_width=room)
    top = max((count or 0 for _, count, _, _ in rows), default=0)
    for n, (stage, count, _, _) in enumerate(rows):
        cells: list[str | Text] = [columns[i][n] for i in shown]
        if room >= BAR_LEAST:
            cells.append(_bar(count, top, room, "green" if stage == "won" else "blue"))
        table.add_row(*cells)
    hidden = [h.replace("\n", " ") + " rate" for i, h in enumerate(heads) if i not in shown]
    return table, hidden + ([] if room >= BAR_LEAST else ["bar"])


def _bar(count: int | None, top: int, room: int, colour: str) -> Text:
    """``count`` as a bar of whole blocks centred in ``room`` characters, as long as its share
    of ``top`` (a count above 0 gets at least a block); the same blank on either side, so
    that the bars of a funnel line up on their centre.

    >>> _bar(60, 100, 10, "blue").plain, _bar(1, 100, 9, "blue").plain
    ('  ██████  ', '    █    ')
    """
    from rich.text import Text

    if not count or not top:
        return Text("")
    exact = count / top * room
    length = room - 2 * round((room - exact) / 2)
    if length <= 0:
        length = 2 - room % 2
    side = (room - length) // 2
    return Text(" " * side + "█" * length + " " * side, style=colour)


def _funnel_style(title: Text | None = None) -> Table:
    """The funnel's table: a line under the headings, no boxes across the bars."""
    from rich import box
    from rich.table import Table

    return Table(
        title=title,
        title_justify="left",
        header_style="bold",
        box=box.SIMPLE_HEAD,
        padding=(0, 1),
        collapse_padding=True,
    )


def _figures_grid(document: dict[str, Any], locale: str) -> Table:
    """What the leads brought and cost, a line each."""
    from rich.table import Table

    from crm_roi.render.locale import figure_text
    from crm_roi.render.table import heading

    grid = Table.grid(padding=(0, 3))
    grid.add_column(style="bold")
    grid.add_column(justify="right")
    currency = document["currency"]
    for name in FIGURES:
        value = document["totals"][name]
        grid.add_row(heading(name), figure_text(name, value, currency, locale))
    return grid


def _group_table(
    console: Console, name: str, rows: list[dict[str, Any]], document: dict[str, Any], locale: str
) -> tuple[Table, int, list[str]]:
    """A row per group: its keys, then the columns that fit whole, by
    :data:`SCREEN_PRIORITY`, shown in the order of :data:`COLUMNS`. Also: the width labels
    wrap at (0: none wraps) and the labels of the columns left out."""
    from rich.text import Text

    from crm_roi.render.fit import fitting, label_width, needed
    from crm_roi.render.report import breakdown_dims
    from crm_roi.render.safe import printable

    dims = breakdown_dims(name)
    keys = {
        d: [
            Text(printable(str(r[d])), style="dim" if str(r[d]).startswith("(") else "")
            for r in rows
        ]
        for d in dims
    }
    natural = [needed([printable(d), *keys[d]]) for d in dims]
    key_widths = [label_width(n, console.width, len(dims)) for n in natural]
    known = {c.name: c for c in known_columns(document["totals"], rows)}
    wanted = [known[n] for n in SCREEN_PRIORITY if n in known]
    cells = {
        c.name: [_cell_text(c, c.value(r), document["currency"], locale) for r in rows]
        for c in wanted
    }
    widths = [(c.name, needed([c.short, *cells[c.name]])) for c in wanted]
    shown = fitting(console, _frame, key_widths, widths)
    table = _frame(Text(f"By {printable(name)}"))
    for d, width in zip(dims, key_widths, strict=True):
        table.add_column(Text(printable(d)), overflow="fold", min_width=width, max_width=width)
    in_order = [c for c in COLUMNS if c.name in shown]
    for c in in_order:
        table.add_column(c.short, justify="right", no_wrap=True)
    for i in range(len(rows)):
        table.add_row(
            *(keys[d][i] for d in dims),
            *(
                Text(cells[c.name][i], style="dim" if cells[c.name][i] == MISSING else "")
                for c in in_order
            ),
        )
    wrapped = min((w for w, n in zip(key_widths, natural, strict=True) if n > w), default=0)
    return table, wrapped, [c.label for c in wanted if c.name not in shown]


def _frame(title: Text | None = None) -> Table:
    """The style of a breakdown's table (as compute's)."""
    from rich.table import Table

    return Table(title=title, title_justify="left", header_style="bold")


# --- CSV ---------------------------------------------------------------------------------------
CSV_HEAD = (
    "dimension", "key", "stage", "count", "rate_from_previous", "rate_from_leads", *FIGURES,
)  # fmt: skip


def funnel_csv(document: dict[str, Any]) -> str:
    """One row per group and stage, the totals first (dimension ``total``): the stage's count
    and its rates (none for leads), then the group's own figures, the same on each of its
    rows; so a filter on ``stage`` gives one row per group. A key of several dimensions is
    ``Events / 2024-01``; an unknown value is empty. Plain numbers whatever the locale."""
    from crm_roi.render.report import breakdown_dims
    from crm_roi.render.safe import csv_text

    out: list[list[Any]] = [list(CSV_HEAD)]
    groups = [("total", "", document["totals"])]
    for name, rows in document["breakdowns"].items():
        dims = breakdown_dims(name)
        groups += [(name, _group_label(row, dims), row) for row in rows]
    for dimension, key, group in groups:
        figures = [group[name] for name in FIGURES]
        for stage, count, previous, leads in stage_rows(group):
            out.append([dimension, key, stage, count, previous, leads, *figures])
    return csv_text(out)


# --- the workbook ------------------------------------------------------------------------------
CHART_DATA = "Chart data"
HEAD = 4  # the Funnel sheet's table header, under the title and the window
SHEET_WIDTHS = (26, 13, 14, 14, 13, 2, 30)  # the Funnel sheet's columns; F keeps apart G's files
BAR_CM = 0.2  # a bar of a chart by group, printed
FUNNEL_CM = 7.0  # the funnel chart's height, printed
PERIOD_CM = 7.5  # a chart by period's: under a year of months on the same page
# The stages' colours in the charts by group, and the rates' (as the funnel's bars).
FILLS = {
    "leads": "2E75B6",
    "converted": "5B9BD5",
    "opportunities": "9DC3E6",
    "won": "70AD47",
    "lead_conversion_rate": "5B9BD5",
    "lead_to_win_rate": "70AD47",
}
CHART_GROUPS = 12  # groups a chart by group shows (those with the most leads)
PERIOD_GROUPS = 24  # periods a chart by period shows (the latest)
FUNNEL_FILL = "5B9BD5"
WON_FILL = "70AD47"
NOTES_LISTED = 20  # notes on the Funnel sheet; the JSON and the page list them all


def funnel_workbook_bytes(
    document: dict[str, Any], rejected_rows: list[dict[str, Any]], locale: str = "plain"
) -> bytes:
    """The workbook for management: the **Funnel** (the totals' stages, counts and rates, a
    funnel chart, what the leads brought and cost, the inputs and notes), a sheet per
    breakdown (a row per group, a chart of the stages and one of the conversion rates by
    group), the **Definitions**, and the **Rejected rows** when there are some. The charts
    draw on a hidden sheet; every number is a number with a format."""
    from openpyxl import Workbook

    from crm_roi.render.workbook import rejected_sheet, saved, set_properties, sheet_title

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Funnel"
    data = book.create_sheet(CHART_DATA)
    data.sheet_state = "hidden"
    used = {"Funnel", "Definitions", "Rejected rows", CHART_DATA}
    _funnel_sheet(sheet, data, document, rejected_rows, locale)
    for name, rows in document["breakdowns"].items():
        title = sheet_title(f"By {name}", used)
        _group_sheet(book.create_sheet(title), data, name, rows, document, locale)
    _definitions_sheet(book.create_sheet("Definitions"))
    if rejected_rows:
        rejected_sheet(book.create_sheet("Rejected rows"), rejected_rows)
    book.move_sheet(data, offset=len(book.sheetnames))
    window = document["window"]
    set_properties(book, f"crm-roi funnel {window['from']} to {window['to']}")
    return saved(book)


def _column_format(column: Column, currency: str | None, locale: str) -> str:
    from crm_roi.render.workbook import number_format

    if column.is_count:
        return "#,##0"
    if column.rate:
        return number_format("lead_conversion_rate", currency, locale)  # a percentage
    return number_format(column.name, currency, locale)


def _funnel_sheet(
    sheet: Worksheet,
    data: Worksheet,
    document: dict[str, Any],
    rejected_rows: list[dict[str, Any]],
    locale: str,
) -> None:
    """The totals: title and window, the stages, the figures, why some are unknown, the funnel
    chart (on a page of its own if it must), then the inputs and the notes."""
    from openpyxl.styles import Alignment
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.pagebreak import Break

    from crm_roi.render.safe import xml_text
    from crm_roi.render.workbook import (
        BOLD,
        NOTE,
        TITLE,
        Pages,
        day,
        day_format,
        fit_row_height,
        label,
        print_setup,
        put_date,
        style_header,
    )

    currency, totals, window = document["currency"], document["totals"], document["window"]
    for col, width in enumerate(SHEET_WIDTHS, start=1):
        sheet.column_dimensions[get_column_letter(col)].width = width
    sheet["A1"] = "Lead funnel"
    sheet["A1"].font = TITLE
    sheet.cell(2, 1, "Window").font = BOLD
    put_date(sheet.cell(2, 2), day(window["from"]), day_format(locale))
    sheet.cell(2, 3, "to").alignment = Alignment(horizontal="center")
    put_date(sheet.cell(2, 4), day(window["to"]), day_format(locale))
    sheet.cell(2, 5, xml_text(f"in {currency}" if currency else "(no currency)"))
    heads = ("Stage", "Count", RATE_LABELS["from_previous"], RATE_LABELS["from_leads"])
    for col, text in enumerate(heads, start=1):
        sheet.cell(HEAD, col, text)
    style_header(sheet[HEAD][: len(heads)], numbers_from=2)
    fit_row_height(sheet, HEAD, least=30)
    rate_format = _column_format(BY_COLUMN["lead_to_win_rate"], currency, locale)
    for r, (stage, count, previous, leads) in enumerate(stage_rows(totals), start=HEAD + 1):
        sheet.cell(r, 1, STAGE_LABELS[stage]).font = BOLD
        values = (count, previous, leads) if stage != "leads" else (count,)
        for col, value in enumerate(values, start=2):
            cell = sheet.cell(r, col, MISSING if value is None else value)
            cell.number_format = "#,##0" if col == 2 else rate_format
            cell.alignment = Alignment(horizontal="right")
    row = HEAD + len(STAGES) + 2
    sheet.cell(row, 1, "What the leads brought and cost").font = BOLD
    for name in FIGURES:
        row += 1
        sheet.cell(row, 1, label(name))
        value = totals[name]
        cell = sheet.cell(row, 2, MISSING if value is None else value)
        cell.number_format = _column_format(BY_COLUMN[name], currency, locale)
        cell.alignment = Alignment(horizontal="right")
    for text in unknown_notes(totals):
        row += 1
        _sentence(sheet, row, text, NOTE)
    print_setup(sheet, None, None)
    chart = _funnel_chart(data, totals, locale)
    row = Pages(sheet, len(SHEET_WIDTHS)).place(row + 1, [[chart]], [FUNNEL_CM])
    sheet.row_breaks.append(
        Break(id=row)
    )  # the funnel is the first page; what it is from, the next
    row = _inputs_block(sheet, row + 1, document["inputs"])
    _notes_block(sheet, row + 1, document["warnings"], rejected_rows)


def _sentence(sheet: Worksheet, row: int, text: str, font: Any) -> None:
    """A sentence across the sheet's width, wrapped, its row tall enough."""
    from crm_roi.render.workbook import sentence

    sentence(sheet, row, text, SHEET_WIDTHS, font)


def _funnel_chart(data: Worksheet, totals: dict[str, Any], locale: str) -> BarChart:
    """The known stages as a funnel, the way it is drawn in Excel: horizontal bars, leads at
    the top, each bar centred on an invisible one of half what it lacks of the leads; each
    stage named with its rate from the stage before, its count on the bar."""
    from openpyxl.chart import BarChart, Reference
    from openpyxl.chart.label import DataLabelList
    from openpyxl.chart.marker import DataPoint

    from crm_roi.render.safe import xml_text

    known = [row for row in stage_rows(totals) if row[1] is not None]
    top = max((count for _, count, _, _ in known), default=0)
    first = _data_block(data, ["Stage", "Padding", "Count"])
    for r, (stage, count, previous, _) in enumerate(known, start=2):
        named = STAGE_LABELS[stage]
        if previous is not None:
            named += f" ({_rate_text(previous, locale)})"
        data.cell(r, first, xml_text(named))
        data.cell(r, first + 1, (top - count) / 2)
        data.cell(r, first + 2, count).number_format = "#,##0"  # the bars' labels
    last = len(known) + 1
    chart = BarChart()
    chart.type = "bar"
    chart.grouping = "stacked"
    chart.overlap = 100
    chart.gapWidth = 25
    chart.title = "Lead funnel: leads at each stage (in brackets, the share of the stage before)"
    for col in (first + 1, first + 2):
        chart.add_data(Reference(data, min_col=col, min_row=1, max_row=last), titles_from_data=True)
    chart.set_categories(Reference(data, min_col=first, min_row=2, max_row=last))
    padding, counts = chart.series
    padding.graphicalProperties.noFill = True
    padding.graphicalProperties.line.noFill = True
    counts.graphicalProperties.solidFill = FUNNEL_FILL
    counts.graphicalProperties.line.noFill = True
    if any(stage == "won" for stage, *_ in known):
        won = DataPoint(idx=len(known) - 1)
        won.graphicalProperties.solidFill = WON_FILL
        won.graphicalProperties.line.noFill = True
        counts.dPt.append(won)
    counts.dLbls = DataLabelList(
        showVal=True,
        showSerName=False,
        showCatName=False,
        showLegendKey=False,
        showPercent=False,
        dLblPos="ctr",
    )
    counts.dLbls.txPr = _text_props(11, bold=True)
    chart.x_axis.scaling.orientation = "maxMin"  # leads at the top
    chart.x_axis.tickLblSkip = 1
    chart.x_axis.txPr = _text_props(11)
    chart.x_axis.delete = False
    chart.x_axis.graphicalProperties = _no_line()
    chart.y_axis.delete = True  # the bars' offsets are no amount worth an axis
    chart.y_axis.majorGridlines = None
    chart.y_axis.scaling.min = 0
    chart.y_axis.scaling.max = max(top, 1)
    chart.legend = None
    chart.visible_cells_only = False  # the data is on a hidden sheet
    return chart


def _no_line() -> Any:
    """An axis drawn without its line: the stages' names alone."""
    from openpyxl.chart.shapes import GraphicalProperties

    shape = GraphicalProperties()
    shape.line.noFill = True
    return shape


def _text_props(points: int, bold: bool = False) -> Any:
    from openpyxl.chart.text import RichText
    from openpyxl.drawing.text import CharacterProperties, Paragraph, ParagraphProperties

    size = CharacterProperties(sz=points * 100, b=bold)
    return RichText(p=[Paragraph(pPr=ParagraphProperties(defRPr=size), endParaRPr=size)])


def _data_block(data: Worksheet, heads: list[str]) -> int:
    """A block of the hidden chart data, beside the blocks before: its first column."""
    from crm_roi.render.safe import xml_text

    first = (data.max_column + 2) if data.max_column > 1 or data["A1"].value else 1
    for col, head in enumerate(heads, start=first):
        data.cell(1, col, xml_text(head))
    return first


def _inputs_block(sheet: Worksheet, row: int, inputs: list[dict[str, Any]]) -> int:
    """A row per input: what it is, its rows, used and rejected, and its file."""
    from openpyxl.styles import Alignment

    from crm_roi.render.safe import xml_text
    from crm_roi.render.workbook import PROSE, TITLE, style_header

    sheet.cell(row, 1, "Inputs").font = TITLE
    row += 1
    heads = ("Input", "Rows", "Used", "Rejected", "Skipped", "", "File")
    for col, head in enumerate(heads, start=1):
        sheet.cell(row, col, head)
    style_header(sheet[row][: len(heads)], numbers_from=2)
    sheet.cell(row, 7).alignment = Alignment(horizontal="left", vertical="bottom")
    for entry in inputs:
        row += 1
        sheet.cell(row, 1, xml_text(str(entry["kind"]).replace("_", " ")))
        for col, key in enumerate(("rows", "used", "rejected", "skipped"), start=2):
            sheet.cell(row, col, entry[key]).number_format = "#,##0"
        path = sheet.cell(row, 7, xml_text(str(entry["path"])))
        path.alignment = Alignment(wrap_text=True, vertical="bottom")
        lines = -(-len(str(entry["path"])) // int(SHEET_WIDTHS[-1] * PROSE))
        sheet.row_dimensions[row].height = 15 * lines + 2
    return row + 1


def _notes_block(
    sheet: Worksheet, row: int, warnings: list[str], rejected_rows: list[dict[str, Any]]
) -> None:
    """The notes: the document's warnings but the rejected rows (they have a sheet)."""
    from crm_roi.render.workbook import NOTE, TITLE

    notes = _notes(warnings, rejected_rows)
    if not notes:
        return
    sheet.cell(row, 1, "Notes").font = TITLE
    for text in notes[:NOTES_LISTED]:
        row += 1
        _sentence(sheet, row, text, None)
    if len(notes) > NOTES_LISTED:
        more = f"… and {len(notes) - NOTES_LISTED:,} more (the JSON and HTML reports list them all)"
        sheet.cell(row + 1, 1, more).font = NOTE


def _notes(warnings: list[str], rejected_rows: list[dict[str, Any]]) -> list[str]:
    """The warnings that aren't a rejected row, each once."""
    from crm_roi.errors import RowIssue

    rejected = {str(RowIssue(**row)) for row in rejected_rows}
    return [w for w in dict.fromkeys(warnings) if w not in rejected]


def _group_sheet(
    sheet: Worksheet,
    data: Worksheet,
    name: str,
    rows: list[dict[str, Any]],
    document: dict[str, Any],
    locale: str,
) -> None:
    """A row per group (its keys, the stages, the rates, the figures), the totals under them,
    and below, side by side: the stages by group and the conversion rates by group."""
    from openpyxl.utils import get_column_letter

    from crm_roi.render.report import breakdown_dims
    from crm_roi.render.safe import xml_text
    from crm_roi.render.workbook import (
        BOLD,
        NOTE,
        Pages,
        fit_row_height,
        fit_widths,
        print_setup,
        style_header,
    )

    dims, currency = breakdown_dims(name), document["currency"]
    columns = known_columns(document["totals"], rows)
    sheet.append([*map(xml_text, dims), *(c.label for c in columns)])
    style_header(sheet[1], numbers_from=len(dims) + 1)
    groups = [*rows, document["totals"]]
    for r, group in enumerate(groups, start=2):
        if group is document["totals"]:
            sheet.cell(r, 1, "Total").font = BOLD
        else:
            _key_cells(sheet, r, dims, group, locale)
        for c, column in enumerate(columns, start=len(dims) + 1):
            cell = sheet.cell(r, c, column.value(group))
            cell.number_format = _column_format(column, currency, locale)
            if group is document["totals"]:
                cell.font = BOLD
    sheet.freeze_panes = sheet.cell(2, len(dims) + 1)
    sheet.auto_filter.ref = f"A1:{get_column_letter(sheet.max_column)}{len(rows) + 1}"
    for col, dim in enumerate(dims, start=1):
        keys = [len(str(r[dim])) for r in rows]
        width = min(max(10, len(dim), *keys) + 2, 40)
        sheet.column_dimensions[get_column_letter(col)].width = width
    fit_widths(sheet, range(len(dims) + 1, sheet.max_column + 1), header=1)
    fit_row_height(sheet, 1, least=30)
    print_setup(sheet, "1:1", f"A:{get_column_letter(len(dims))}")
    below = len(groups) + 3
    stray = unattributed_note(name, rows, currency, locale)
    if stray:
        sheet.cell(below, 1, xml_text(stray)).font = NOTE
        below += 1
    drawn = [r for r in rows if r["leads"]]  # a group of cost alone has no stage to draw
    if drawn:
        charts, height = _group_charts(data, dims, drawn, columns)
        Pages(sheet, sheet.max_column).place(below, [charts], [height])


def _key_cells(
    sheet: Worksheet, row: int, dims: tuple[str, ...], group: dict[str, Any], locale: str
) -> None:
    """A group's keys: months as dates, the rest as text (never a formula)."""
    from crm_roi.render.safe import xml_text
    from crm_roi.render.workbook import MONTH_KEYS, month_format, month_start, put_date

    for col, dim in enumerate(dims, start=1):
        month = month_start(group[dim]) if dim in MONTH_KEYS else None
        if month:
            put_date(sheet.cell(row, col), month, month_format(locale))
        else:
            sheet.cell(row, col, xml_text(str(group[dim])))


def _group_charts(
    data: Worksheet,
    dims: tuple[str, ...],
    rows: list[dict[str, Any]],
    columns: list[Column],
) -> tuple[list[BarChart], float]:
    """Side by side: the known stages by group, clustered, and the lead conversion and
    lead-to-win rate by group. A period's groups are columns in time order (the latest
    :data:`PERIOD_GROUPS`), any other's are bars, the most leads first (at most
    :data:`CHART_GROUPS`). Also: the band's height in centimetres as printed."""
    from crm_roi.engine.figures import PERIODS
    from crm_roi.render.workbook import PAGE_HEIGHT

    what = ", ".join(dims)
    over_time = len(dims) == 1 and dims[0] in PERIODS
    if over_time:
        chosen = rows[-PERIOD_GROUPS:]
        about = f"by {what}" + (f": the last {PERIOD_GROUPS}" if len(rows) > PERIOD_GROUPS else "")
    else:
        chosen = sorted(rows, key=lambda r: -(r["leads"] or 0))[:CHART_GROUPS]
        about = f"by {what}, " + (
            f"the {CHART_GROUPS} with the most leads"
            if len(rows) > CHART_GROUPS
            else "most leads first"
        )
    stages = [c for c in columns if c.is_count]
    rates = [c for c in columns if c.name in ("lead_conversion_rate", "lead_to_win_rate")]
    block = _chart_block(data, dims, chosen, [*stages, *rates])
    charts = [_clustered(block, stages, f"Stages {about}", "#,##0", over_time)]
    if rates:
        chart = _clustered(block, rates, f"Conversion {about}", "0%", over_time)
        highest = max((r.value(g) or 0 for r in rates for g in chosen), default=0)
        if highest > 0.8:  # a share is at most 100 %: no axis to 120 %
            chart.y_axis.scaling.max = 1
        charts.append(chart)
    if over_time:
        return charts, PERIOD_CM
    per_group = BAR_CM * max(len(stages), 2) + 0.25
    return charts, min(max(4.0 + per_group * len(chosen), 7.0), PAGE_HEIGHT)


Block = tuple["Worksheet", int, int, list[Column]]  # the sheet, first column, last row, columns


def _chart_block(
    data: Worksheet, dims: tuple[str, ...], groups: list[dict[str, Any]], columns: list[Column]
) -> Block:
    """The groups' labels (text, so that no chart draws a time axis: ``Mar 2024``) and their
    ``columns`` in a block of the hidden sheet."""
    from crm_roi.render.safe import xml_text
    from crm_roi.render.workbook import MONTH_KEYS, month_start

    first = _data_block(data, [", ".join(dims), *(c.label for c in columns)])
    for r, group in enumerate(groups, start=2):
        months = [month_start(group[d]) if d in MONTH_KEYS else None for d in dims]
        parts = [
            m.strftime("%b %Y") if m else str(group[d]) for m, d in zip(months, dims, strict=True)
        ]
        data.cell(r, first, xml_text(" / ".join(parts)))
        for col, column in enumerate(columns, start=first + 1):
            data.cell(r, col, column.value(group))
    return data, first, len(groups) + 1, columns


def _clustered(
    block: Block, shown: list[Column], title: str, number_format: str, over_time: bool
) -> BarChart:
    """The ``shown`` columns of the block by group, clustered, in the stages' colours: columns
    left to right over time, else bars from the first group at the top."""
    from openpyxl.chart import BarChart, Reference

    from crm_roi.render.safe import xml_text

    data, first, last, columns = block
    chart = BarChart()
    chart.type = "col" if over_time else "bar"
    chart.grouping = "clustered"
    chart.title = str(xml_text(title))
    for column in shown:
        col = first + 1 + columns.index(column)
        chart.add_data(Reference(data, min_col=col, min_row=1, max_row=last), titles_from_data=True)
        series = chart.series[-1]
        series.graphicalProperties.solidFill = FILLS[column.name]
        series.graphicalProperties.line.noFill = True
    chart.set_categories(Reference(data, min_col=first, min_row=2, max_row=last))
    if not over_time:
        chart.x_axis.scaling.orientation = "maxMin"  # the first group at the top
        chart.x_axis.tickLblPos = "low"
        chart.y_axis.crosses = "max"  # the value axis at the bottom
    chart.x_axis.tickLblSkip = 1
    chart.y_axis.numFmt = number_format
    chart.y_axis.scaling.min = 0
    chart.x_axis.delete = chart.y_axis.delete = False
    chart.visible_cells_only = False  # the data is on a hidden sheet
    chart.gapWidth = 50
    chart.legend.position = "b"
    return chart


def _definitions_sheet(sheet: Worksheet) -> None:
    """Each stage, rate and figure: its unit, what it is and when it is empty."""
    from crm_roi.render.workbook import definitions_sheet

    definitions_sheet(sheet, "Stage, rate or figure", definitions(), wide=80)


# --- the HTML page -----------------------------------------------------------------------------
SVG_WIDTH = 1100  # px: about as wide as the page shows it, so that its text is the page's size
SVG_LABEL = 120  # px: the stages' names, right-aligned before the bars
SVG_BARS = 560  # px: the leads' bar; the others centred on it
SVG_ROW = 46
CARDS = ("lead_conversion_rate", "lead_to_win_rate", *FIGURES)
# The page's classes (render/html.py's styles) for the stages drawn by group: leads grey, the
# stages after them blue, won green (as in the funnel).
CSS = {"leads": "baseline", "converted": "current", "opportunities": "current", "won": "pos"}


def funnel_html(
    document: dict[str, Any], rejected_rows: list[dict[str, Any]], locale: str = "plain"
) -> bytes:
    """The self-contained page: the funnel drawn and in a table, what the leads brought and
    cost, a section per breakdown (conversion and stages by group, a table), the definitions,
    the rejected rows, the notes and the inputs. No script, no URL; every text from the inputs
    escaped."""
    from crm_roi.render import html

    numbers = html.Numbers(document["currency"], locale)
    breakdowns = list(document["breakdowns"].items())
    anchors = [(f"breakdown-{i}", f"By {name}") for i, (name, _) in enumerate(breakdowns, 1)]
    facts = [numbers.window(document["window"]), document["currency"] or "no currency"]
    parts = [
        html.masthead("Lead funnel", facts, numbers, html.now()),
        html.contents([("funnel", "Funnel"), *anchors, *html.TAIL]),
        _cards(document["totals"], numbers),
        html.section("funnel", "Funnel", *_funnel_part(document, numbers)),
    ]
    for (anchor, title), (name, rows) in zip(anchors, breakdowns, strict=True):
        parts.append(html.section(anchor, title, *_group_part(name, rows, document, numbers)))
    notes = _notes(document["warnings"], rejected_rows)
    parts += [
        html.section("definitions", "Definitions", _definitions_table()),
        html.section("rejected", "Rejected rows", html.rejected_table(rejected_rows, numbers)),
        html.section("notes", "Notes", html.notes_list(notes, numbers)),
        html.section("inputs", "Inputs", html.inputs_table(document["inputs"], numbers)),
    ]
    return html.page("Lead funnel", locale, parts)


def _cards(totals: dict[str, Any], numbers: Numbers) -> str:
    """The conversion rates and the figures that are known, as cards at the top."""
    from crm_roi.render.safe import html_text as esc
    from crm_roi.render.table import heading

    cards = "".join(
        f'<div class="card"><div class="label">{esc(heading(n))}</div>'
        f'<div class="figure">{esc(numbers.figure(n, _value(totals, n)))}</div></div>'
        for n in CARDS
        if _value(totals, n) is not None  # unknown without an input: the notes say why
    )
    return f'<section id="headline" class="cards">{cards}</section>'


def _value(group: dict[str, Any], name: str) -> Any:
    """A group's value of the column ``name`` (of :data:`COLUMNS`)."""
    return BY_COLUMN[name].value(group)


def _funnel_part(document: dict[str, Any], numbers: Numbers) -> list[str]:
    """The funnel drawn, then as a table, then why stages are unknown."""
    from crm_roi.render import html
    from crm_roi.render.safe import html_text as esc

    rows = stage_rows(document["totals"])
    caption = "Leads at each stage, with the share of the stage before and of leads"
    drawing = html.chart(caption, funnel_svg(rows, numbers), wide=True)
    head = [html.cell("Stage", tag="th")]
    head += [html.cell(h, "num", "th") for h in ("Count", *RATE_LABELS.values())]
    body = [
        [
            html.cell(STAGE_LABELS[stage], "key"),
            html.cell(MISSING if count is None else numbers.whole(count), "num"),
            *(
                html.cell("" if stage == "leads" else _percent(rate, numbers), "num")
                for rate in (previous, leads)
            ),
        ]
        for stage, count, previous, leads in rows
    ]
    notes = "".join(f'<p class="note">{esc(n)}</p>' for n in unknown_notes(document["totals"]))
    return [f'<div class="charts">{drawing}</div>', html.table(head, body), notes]


def _percent(value: Any, numbers: Numbers) -> str:
    return MISSING if value is None else numbers.percent(value)


def funnel_svg(rows: list[tuple[str, Any, Any, Any]], numbers: Numbers) -> str:
    """The stages as a funnel: a bar each, as wide as its count, centred under the leads' and
    joined to the next by a pale band; its name before it, its count and rates after it. An
    unknown stage (no deals) is an outline marked ``–``."""
    from crm_roi.render.safe import html_text as esc
    from crm_roi.render.svg import fit

    top = max((count or 0 for _, count, _, _ in rows), default=0) or 1
    centre = SVG_LABEL + 10 + SVG_BARS / 2
    after = SVG_LABEL + 10 + SVG_BARS + 14
    height = SVG_ROW * len(rows) + 10
    body: list[str] = []
    previous: tuple[float, float] | None = None
    for i, (stage, count, from_previous, from_leads) in enumerate(rows):
        y = 8 + i * SVG_ROW
        bar = 30.0
        half = max(SVG_BARS * (count or 0) / top / 2, 1.5)
        name = STAGE_LABELS[stage]
        body.append(_svg_text(SVG_LABEL, y + bar / 2 + 5, name, "legend", "end"))
        if previous is not None and count is not None:
            upper, lower = previous, (centre - half, centre + half)
            points = (
                f"{upper[0]:.1f},{y - SVG_ROW + bar:.1f} {upper[1]:.1f},{y - SVG_ROW + bar:.1f} "
                f"{lower[1]:.1f},{y:.1f} {lower[0]:.1f},{y:.1f}"
            )
            body.append(f'<polyline points="{points}" fill="#e3e7ec" stroke="none"/>')
        if count is None:
            body.append(
                f'<rect x="{centre - SVG_BARS / 2:.1f}" y="{y:.1f}" width="{SVG_BARS:.1f}" '
                f'height="{bar:.1f}" fill="none" stroke="#c3cad4" stroke-dasharray="4 3"/>'
            )
            body.append(_svg_text(centre, y + bar / 2 + 5, "– (no deals file)", "tick", "middle"))
            previous = None
            continue
        css = "pos" if stage == "won" else "revenue"
        shown = numbers.whole(count)
        tip = f"{name}: {shown}"
        body.append(
            f'<rect x="{centre - half:.1f}" y="{y:.1f}" width="{2 * half:.1f}" '
            f'height="{bar:.1f}" class="bar {css}"><title>{esc(tip)}</title></rect>'
        )
        body.append(_svg_text(after, y + bar / 2 + 5, shown, "legend"))
        rates = []
        if from_previous is not None and stage != "converted":
            before = STAGE_LABELS[STAGES[i - 1]].lower()
            rates.append(f"{numbers.percent(from_previous)} of {before}")
        if from_leads is not None:
            rates.append(f"{numbers.percent(from_leads)} of leads")
        text = fit(" · ".join(rates), SVG_WIDTH - after - 70)
        body.append(_svg_text(after + 62, y + bar / 2 + 5, text, "tick"))
        previous = (centre - half, centre + half)
    label = "Lead funnel: " + ", ".join(
        f"{STAGE_LABELS[s]} {MISSING if c is None else numbers.whole(c)}" for s, c, _, _ in rows
    )
    return (
        f'<svg class="chart" role="img" width="{SVG_WIDTH}" height="{height}" '
        f'viewBox="0 0 {SVG_WIDTH} {height}" aria-label="{esc(label)}">' + "".join(body) + "</svg>"
    )


def _svg_text(x: float, y: float, text: str, css: str, anchor: str = "start") -> str:
    from crm_roi.render.safe import html_text as esc

    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" class="{css}">{esc(text)}</text>'


def _group_part(
    name: str, rows: list[dict[str, Any]], document: dict[str, Any], numbers: Numbers
) -> list[str]:
    """The charts by group, then the table of every known column with the totals at its foot.
    A period: leads and the last known stage as columns over time, its rate from leads as a
    line under them. Any other breakdown, side by side: the conversion rates by group, the
    best first, and leads and the last known stage by group, the most leads first."""
    from crm_roi.engine.figures import PERIODS
    from crm_roi.render.report import breakdown_dims
    from crm_roi.render.safe import html_text as esc

    dims = breakdown_dims(name)
    columns = known_columns(document["totals"], rows)
    table = _group_table_html(dims, rows, columns, document, numbers)
    stray = unattributed_note(name, rows, document["currency"], numbers.locale)
    if stray:
        table += f'<p class="note">{esc(stray)}</p>'
    last = [c for c in columns if c.is_count][-1]  # won, or without deals converted
    if last.name == "leads":  # no group has a lead that converted: nothing to draw
        return [table]
    rate = BY_COLUMN["lead_to_win_rate" if last.name == "won" else "lead_conversion_rate"]
    counted = [BY_COLUMN["leads"], last]
    if len(dims) == 1 and dims[0] in PERIODS:
        charts = [_period_chart(name, rows, counted, rate, numbers)]
    else:
        drawn = [r for r in rows if r["leads"]]  # a group of cost alone has no stage to draw
        rates = [c for c in columns if c.name in ("lead_conversion_rate", "lead_to_win_rate")]
        charts = [_rate_bars(name, dims, drawn, rates, rate, numbers)]
        charts.append(_count_bars(name, dims, drawn, counted, numbers))
    return [f'<div class="charts">{"".join(charts)}</div>', table]


def _rate_bars(
    name: str,
    dims: tuple[str, ...],
    rows: list[dict[str, Any]],
    rates: list[Column],
    best: Column,
    numbers: Numbers,
) -> str:
    """The conversion rates by group, the highest ``best`` first."""
    from crm_roi.render import html, svg

    ranked, note = html.ends(sorted(rows, key=lambda r: -(best.value(r) or 0)))
    series = [
        svg.Series(c.label, [c.value(r) for r in ranked], css)
        for c, css in zip(rates, ("current", "pos"), strict=False)
    ]
    caption = f"Conversion by {name}"
    labels = [_group_label(r, dims) for r in ranked]
    drawing = svg.bar_chart(caption, labels, series, numbers.percent, numbers.percent_tick)
    return html.chart(f"{caption}, by {best.label.lower()}", drawing, note)


def _count_bars(
    name: str,
    dims: tuple[str, ...],
    rows: list[dict[str, Any]],
    counted: list[Column],
    numbers: Numbers,
) -> str:
    """Leads and the last known stage by group, the most leads first."""
    from crm_roi.render import html, svg

    ranked, note = html.ends(sorted(rows, key=lambda r: -(r["leads"] or 0)))
    series = [svg.Series(c.label, [c.value(r) for r in ranked], CSS[c.name]) for c in counted]
    caption = f"{counted[0].label} and {counted[1].label.lower()} by {name}"
    labels = [_group_label(r, dims) for r in ranked]
    drawing = svg.bar_chart(caption, labels, series, numbers.whole, partial(_whole_tick, numbers))
    return html.chart(f"{caption}, the most leads first", drawing, note)


def _period_chart(
    period: str,
    rows: list[dict[str, Any]],
    counted: list[Column],
    rate: Column,
    numbers: Numbers,
) -> str:
    """Leads and the last known stage by period, as columns, and ``rate`` under them."""
    from crm_roi.render import html, svg

    periods = [r for r in rows if not str(r[period]).startswith("(")]
    axis = html.period_axis(period, [str(r[period]) for r in periods], numbers.locale)
    bars = [svg.Series(c.label, [c.value(r) for r in periods], CSS[c.name]) for c in counted]
    line = svg.Series(rate.label, [rate.value(r) for r in periods], "roi")
    counts = f"{counted[0].label} and {counted[1].label.lower()}"
    caption = f"{counts} by {period}, and the {rate.label.lower()}"
    tick = partial(_whole_tick, numbers)
    drawing = svg.trend_chart(caption, axis, bars, line, tick, numbers.percent_tick)
    return html.chart(caption, drawing, wide=True)


def _whole_tick(numbers: Numbers, value: float) -> str:
    """A count's tick: none between two whole numbers (no "0.5 leads")."""
    return numbers.whole(value) if value == int(value) else ""


def _group_table_html(
    dims: tuple[str, ...],
    rows: list[dict[str, Any]],
    columns: list[Column],
    document: dict[str, Any],
    numbers: Numbers,
) -> str:
    """A row per group under the columns' short headings (the long one as a tooltip)."""
    from crm_roi.render import html
    from crm_roi.render.safe import html_text as esc

    head = [html.cell(d, tag="th") for d in dims]
    head += [html.cell(c.short, "num", "th", f' title="{esc(c.label)}"') for c in columns]
    body = [
        [*(html.key_cell(str(r[d])) for d in dims), *(_html_cell(c, r, numbers) for c in columns)]
        for r in rows
    ]
    foot = [html.cell("Total"), *(html.cell("") for _ in dims[1:])]
    foot += [_html_cell(c, document["totals"], numbers) for c in columns]
    return html.table(head, body, foot)


def _html_cell(column: Column, group: dict[str, Any], numbers: Numbers) -> str:
    from crm_roi.render import html

    value = column.value(group)
    if column.is_count:
        return html.cell(MISSING if value is None else numbers.whole(value), "num")
    if column.rate:
        return html.cell(_percent(value, numbers), "num")
    return html.figure_cell(column.name, value, numbers, whole=column.name != "cost_per_lead")


def _definitions_table() -> str:
    from crm_roi.render import html

    head = [
        html.cell(h, tag="th")
        for h in ("Stage, rate or figure", "Unit", "Meaning", "Not computed when")
    ]
    rows = [
        [
            html.cell(term, "key"),
            html.cell(unit, "key"),
            f"<td>{html.prose(meaning)}</td>",
            f"<td>{html.prose(null_when)}</td>",
        ]
        for term, unit, meaning, null_when in definitions()
    ]
    return html.table(head, rows)

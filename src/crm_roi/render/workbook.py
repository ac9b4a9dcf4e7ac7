"""What every workbook shares: number and date formats, header and better/worse styles, the
printed page (landscape A4, one page wide, header row and key column repeated, a footer), charts
laid out below the data and never cut across two pages, and the document's properties.

Printing: every sheet is scaled to the width of a landscape page (``fitToWidth=1``, any number
of pages tall), so a page never holds numbers without their row's key. :class:`Pages` works out
the scale as a spreadsheet does (from the column widths, in Calibri's measures) and so where the
pages fall: a band of charts, or a block of the Summary, that would straddle two pages starts
the next one with a manual page break, and no chart is taller than a page.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.chart import BarChart, LineChart
from openpyxl.chart.text import RichText
from openpyxl.drawing.text import CharacterProperties, Paragraph, ParagraphProperties
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.worksheet import Worksheet

import crm_roi
from crm_roi.engine.figures import COUNT, FIELDS, MONEY, PERCENT, TIMES, figure
from crm_roi.render.locale import PLAIN, locale_number_format
from crm_roi.render.safe import xml_text

SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥"}
# The decimals of the figures that are neither money, counts, percentages nor multiples.
PLAIN_FORMATS = {
    "sales_cycle_days": "0.0",
    "hours": "#,##0.00",
    "payback_months": "0.0",
    "purchase_frequency": "0.00",
    "lifespan_years": "0.0",
    "days_to_convert": "0.0",
}
# What a manager reads first (a breakdown's sheet, the top of a comparison); then the rest.
LEADING = (
    "revenue", "cost", "net_return", "roi", "new_customers", "cac", "clv", "ltv_cac",
    "payback_months", "win_rate", "won_deals", "avg_deal_size",
)  # fmt: skip
DETAILS = tuple(f for f in FIELDS if f not in LEADING)
COLUMN_ORDER = (*LEADING, *DETAILS)
DAY_FORMAT = "yyyy-mm-dd"
MONTH_FORMAT = "mmm yyyy"
# Dimensions whose keys are months (``2024-03``): written as the first day of the month.
MONTH_KEYS = ("month", "cohort")

FONT = "Calibri"  # the workbook's own; every font names it, or LibreOffice picks a serif
BOLD = Font(name=FONT, bold=True)
TITLE = Font(name=FONT, bold=True, size=14)
LINK = Font(name=FONT, color="0563C1", underline="single")
LINK_BOLD = Font(name=FONT, color="0563C1", underline="single", bold=True)
NOTE = Font(name=FONT, italic=True, color="595959")
HEADER_FILL = PatternFill("solid", fgColor="DDE4EE")
# Excel's own "Good" and "Bad" cell styles: dark text on a light fill, readable in print.
GOOD = (Font(name=FONT, color="006100"), PatternFill("solid", fgColor="C6EFCE"))
BAD = (Font(name=FONT, color="9C0006"), PatternFill("solid", fgColor="FFC7CE"))
WRAP = Alignment(wrap_text=True, vertical="top")

# A landscape A4 page, in centimetres: what is left inside the margins set by print_setup()
# for the body, less room for the footer.
PAGE_WIDTH = 27.6
PAGE_HEIGHT = 17.2
ROW_CM = 15 / 72 * 2.54  # a row of the default height, 15 points
GAP_CM = 0.6  # between charts side by side, and under a band of charts
# Characters of text a column holds per unit of its width (Calibri, whose digits are a unit).
PROSE = 1.2


def money_format(currency: str | None, locale: str = PLAIN) -> str:
    """``€ #,##0.00`` for EUR, ``$#,##0.00`` for USD, ``#,##0.00 "CHF"`` for the rest; in a
    locale other than ``plain``, the symbol where the locale puts it (``#,##0.00" €"``).

    >>> money_format("EUR"), money_format("EUR", "nl_NL")
    ('€ #,##0.00;€ -#,##0.00', '"€ "#,##0.00;"€ "-#,##0.00')
    """
    if locale != PLAIN:
        return locale_number_format(locale, "money", currency)
    if currency in ("USD", "GBP", "JPY"):
        return f"{SYMBOLS[currency]}#,##0.00;-{SYMBOLS[currency]}#,##0.00"
    if currency == "EUR":
        return "€ #,##0.00;€ -#,##0.00"
    if currency:
        return f'#,##0.00 "{currency}"'
    return "#,##0.00"


def number_format(field: str, currency: str | None, locale: str = PLAIN) -> str:
    """A figure's cell format, by its kind and how it is shown: ``0.0%`` for ROI. A locale
    places the currency symbol and the percent sign (``0.0" "%`` in German)."""
    declared = figure(field)
    if declared.kind is MONEY:
        return money_format(currency, locale)
    if declared.shown is PERCENT:
        return "0.0%" if locale == PLAIN else locale_number_format(locale, "percent")
    if declared.shown is TIMES:
        return '0.00"×"'
    if declared.kind is COUNT:
        return "#,##0"
    return PLAIN_FORMATS[field]


def day_format(locale: str = PLAIN) -> str:
    """A day's cell format: :data:`DAY_FORMAT`, or the locale's order (``dd-mm-yyyy``)."""
    return DAY_FORMAT if locale == PLAIN else locale_number_format(locale, "date")


def month_format(locale: str = PLAIN) -> str:
    """A month's cell format: :data:`MONTH_FORMAT`, or the locale's (``MMM yyyy``)."""
    return MONTH_FORMAT if locale == PLAIN else locale_number_format(locale, "month")


def label(name: str) -> str:
    return figure(name).label


def month_start(text: object) -> date | None:
    """A month key as the first day of its month, for a real date cell; None for anything else.

    >>> month_start("2024-03"), month_start("2024-Q1"), month_start("(none)")
    (datetime.date(2024, 3, 1), None, None)
    """
    found = re.fullmatch(r"(\d{4})-(\d{2})", str(text))
    if not found or not 1 <= int(found[2]) <= 12:
        return None
    return date(int(found[1]), int(found[2]), 1)


def day(text: str) -> date:
    """An ISO date of the documents (``2024-01-31``) as a date, for a real date cell."""
    return date.fromisoformat(text)


def put_date(cell: Cell, value: date | datetime, fmt: str = DAY_FORMAT) -> Cell:
    cell.value = value
    cell.number_format = fmt
    cell.alignment = Alignment(horizontal="left")
    return cell


def style_header(cells: Sequence[Cell], numbers_from: int | None = None) -> None:
    """Bold on a pale fill, wrapped; from column ``numbers_from`` on (1-based) right-aligned,
    over the numbers below."""
    for cell in cells:
        right = numbers_from is not None and cell.column >= numbers_from
        cell.font = BOLD
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(
            wrap_text=True, vertical="bottom", horizontal="right" if right else "left"
        )


def mark(cell: Cell, good: bool | None) -> None:
    """Green for a change for the better, red for the worse (the words say it too)."""
    if good is None:
        return
    cell.font, cell.fill = GOOD if good else BAD


def shown_width(value: float, fmt: str) -> int:
    """About how many characters a number takes as its format shows it: its digits, grouping
    and decimals, a sign, and the format's own text (``€ ``, ``▲ ``, `` pt``).

    >>> shown_width(-1234.5, "€ #,##0.00;€ -#,##0.00"), shown_width(0.25, "0.0%")
    (11, 5)
    """
    section = fmt.split(";")[0]
    literal = "".join(re.findall(r'"([^"]*)"', section))
    codes = re.sub(r'"[^"]*"', "", section)
    decimals = len(codes.split(".")[1].rstrip('%"')) if "." in codes else 0
    number = value * 100 if "%" in codes else value
    grouped = f"{abs(number):,.{decimals}f}" if "," in codes else f"{abs(number):.{decimals}f}"
    others = sum(1 for c in codes if c not in "#0,.")
    return len(grouped) + len(literal) + others + (1 if value < 0 else 0)


def fit_widths(sheet: Worksheet, columns: Sequence[int], header: int, least: float = 9) -> None:
    """Each column wide enough for its numbers as shown and the longest word of its heading
    (the heading wraps), so that no cell shows ``###``."""
    for col in columns:
        heading = str(sheet.cell(header, col).value or "")
        words = max((len(w) for w in heading.split()), default=0)
        numbers = [
            shown_width(c.value, c.number_format)
            for (c,) in sheet.iter_rows(min_row=header + 1, min_col=col, max_col=col)
            if isinstance(c.value, int | float) and not isinstance(c.value, bool)
        ]
        width = max(least, words + 2, max(numbers, default=0) + 3)
        sheet.column_dimensions[get_column_letter(col)].width = width


def wrapped_lines(text: object, width: float) -> int:
    """How many lines a cell ``width`` characters wide takes for ``text``, wrapped at spaces
    (a word longer than a line broken where it reaches the edge).

    >>> wrapped_lines("one two three", 8), wrapped_lines("a" * 20, 8), wrapped_lines("a\\nb", 8)
    (2, 3, 2)
    """
    width = max(int(width), 1)
    lines = 0
    for paragraph in str(text).split("\n"):
        count, used = 1, 0
        for word in paragraph.split():
            if used and used + 1 + len(word) > width:
                count, used = count + 1, 0
            used += len(word) + (1 if used else 0)
            while used > width:  # a word longer than the line
                count, used = count + 1, used - width
        lines += count
    return lines


def fit_row_height(sheet: Worksheet, row: int, least: float = 15) -> None:
    """Tall enough for the row's wrapped cells: LibreOffice doesn't grow a row on opening."""
    lines = 1
    for cell in sheet[row]:
        if cell.value is None or not (cell.alignment and cell.alignment.wrap_text):
            continue
        width = sheet.column_dimensions[cell.column_letter].width or 8.43
        lines = max(lines, wrapped_lines(cell.value, width * PROSE))
    sheet.row_dimensions[row].height = max(least, 14.5 * lines + 3)


def column_cm(sheet: Worksheet, column: int) -> float:
    """A column's width in centimetres (a character of the default font is 7 pixels)."""
    width = sheet.column_dimensions[get_column_letter(column)].width or 8.43
    return (int(width * 7 + 5)) / 96 * 2.54


def print_setup(sheet: Worksheet, title_rows: str | None, title_cols: str | None) -> None:
    """Landscape A4, one page wide and as many tall as it takes, the header row and the key
    column on every page, and the sheet's name and page number in the footer."""
    setup = sheet.page_setup
    setup.orientation = "landscape"
    setup.paperSize = sheet.PAPERSIZE_A4
    setup.fitToWidth = 1
    setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    margins = sheet.page_margins
    margins.left = margins.right = 0.4
    margins.top, margins.bottom, margins.header, margins.footer = 0.5, 0.6, 0.2, 0.25
    if title_rows:
        sheet.print_title_rows = title_rows
    if title_cols:
        sheet.print_title_cols = title_cols
    sheet.oddFooter.left.text = "&A"
    sheet.oddFooter.right.text = "Page &P of &N"


class Pages:
    """Where a sheet's pages fall, printed one page wide: its width in centimetres, the scale
    a spreadsheet will print it at, and how much of the sheet a page holds."""

    def __init__(self, sheet: Worksheet, columns: int) -> None:
        self.sheet = sheet
        self.table_cm = sum(column_cm(sheet, c) for c in range(1, columns + 1))
        self.scale = min(1.0, PAGE_WIDTH / self.table_cm)
        # The sheet's width and height that a page shows, in the sheet's own centimetres.
        self.width_cm = PAGE_WIDTH / self.scale
        self.height_cm = PAGE_HEIGHT / self.scale

    def column_at(self, cm: float) -> int:
        """The first column that starts at or after ``cm`` from the sheet's left edge."""
        edge, column = 0.0, 1
        while edge < cm:
            edge += column_cm(self.sheet, column)
            column += 1
        return column

    def left_of(self, column: int) -> float:
        return sum(column_cm(self.sheet, c) for c in range(1, column))

    def row_cm(self, row: int) -> float:
        height = self.sheet.row_dimensions[row].height
        return (height / 72 * 2.54) if height else ROW_CM

    def top_of_page(self, row: int) -> tuple[float, float]:
        """How far down its page ``row`` starts, and how much a page after the first gives the
        repeated title rows, both in the sheet's centimetres."""
        titles = re.findall(r"\d+", str(self.sheet.print_title_rows or ""))
        first, last = (int(titles[0]), int(titles[-1])) if titles else (1, 0)
        repeated = sum(self.row_cm(r) for r in range(first, last + 1))
        down = 0.0
        for r in range(1, row):
            if down + self.row_cm(r) > self.height_cm:
                down = repeated
            down += self.row_cm(r)
        return down, repeated

    def keep_together(self, blocks: Sequence[tuple[int, int]]) -> None:
        """A page break before each block of rows (first, last) that would otherwise be split
        across two pages; a block taller than a page breaks where it must."""
        starts = dict(blocks)
        down, repeated = self.top_of_page(1)
        for row in range(1, max(starts.values(), default=0) + 1):
            if row in starts:
                size = sum(self.row_cm(r) for r in range(row, starts[row] + 1))
                if down + size > self.height_cm and repeated < down and size < self.height_cm:
                    self.sheet.row_breaks.append(Break(id=row - 1))
                    down = repeated
            if down + self.row_cm(row) > self.height_cm:
                down = repeated
            down += self.row_cm(row)

    def place(
        self,
        first_row: int,
        bands: Sequence[Sequence[BarChart | LineChart]],
        heights: Sequence[float],
    ) -> int:
        """Bands of charts from ``first_row`` on, the charts of a band side by side across the
        page, ``heights[i]`` centimetres tall as printed (at most a page): a band that doesn't
        fit on what is left of its page starts the next one. The row after the last band."""
        row = first_row
        down, repeated = self.top_of_page(row)
        for charts, wanted in zip(bands, heights, strict=True):
            height = min(wanted / self.scale, self.height_cm - repeated - 2 * ROW_CM - GAP_CM)
            if down + ROW_CM + height > self.height_cm:
                self.sheet.row_breaks.append(Break(id=row - 1))
                down = repeated
            row, down = row + 1, down + ROW_CM  # a row's gap above the band
            self._band(row, charts, height)
            rows = math.ceil((height + GAP_CM) / ROW_CM)
            row, down = row + rows, down + rows * ROW_CM
        return row

    def _band(self, row: int, charts: Sequence[BarChart | LineChart], height: float) -> None:
        share = self.width_cm / len(charts)
        column = 1
        for i, chart in enumerate(charts):
            start = self.left_of(column)
            end = self.column_at((i + 1) * share) if i + 1 < len(charts) else None
            right = self.left_of(end) if end else self.width_cm
            chart.width = max(right - start - GAP_CM, 8.0)
            chart.height = height
            if self.scale < 0.85:  # printed small: larger letters, to print at about 9 points
                _text_size(chart, round(9 / self.scale))
            self.sheet.add_chart(chart, f"{get_column_letter(column)}{row}")
            column = end or column


def _text_size(chart: BarChart | LineChart, points: int) -> None:
    """The labels of a chart's axes and legend at ``points`` points."""
    size = CharacterProperties(sz=points * 100)
    text = RichText(p=[Paragraph(pPr=ParagraphProperties(defRPr=size), endParaRPr=size)])
    for part in (chart, *getattr(chart, "_charts", [])[1:]):
        part.x_axis.txPr = part.y_axis.txPr = text
    if chart.legend is not None:
        chart.legend.txPr = text


def unsmoothed(chart: LineChart) -> LineChart:
    """Straight lines between the points: a smoothed line overshoots the data."""
    for part in (chart, *getattr(chart, "_charts", [])[1:]):
        for series in part.series:
            series.smooth = False
    return chart


def set_properties(book: Workbook, title: str) -> None:
    book.properties.title = title
    book.properties.creator = f"crm-roi {crm_roi.__version__}"
    book.properties.lastModifiedBy = f"crm-roi {crm_roi.__version__}"


def saved(book: Workbook) -> bytes:
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def sheet_title(wanted: str, used: set[str]) -> str:
    """A valid, unique sheet name: no ``[]:*?/\\`` or control characters, at most 31 characters."""
    base = re.sub(r"[\[\]:*?/\\\x00-\x1f\x7f]", " ", wanted)[:31]
    title, n = base, 2
    while title in used:
        suffix = f" ({n})"
        title, n = base[: 31 - len(suffix)] + suffix, n + 1
    used.add(title)
    return title


def rejected_sheet(sheet: Worksheet, rejected: list[dict[str, Any]]) -> None:
    """The rows left out, with their file, row, column, value and reason: every workbook's
    Rejected rows sheet."""
    sheet.append(["File", "Row", "Column", "Value", "Reason"])
    style_header(sheet[1])
    sheet["B1"].alignment = Alignment(horizontal="right", vertical="bottom")
    for letter, width in zip("ABCDE", (30, 8, 20, 24, 60), strict=True):
        sheet.column_dimensions[letter].width = width
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
        for cell in sheet[sheet.max_row]:
            cell.alignment = WRAP
        fit_row_height(sheet, sheet.max_row)
    if not rejected:
        sheet.append(["Every input row was used."])
    sheet.freeze_panes = "A2"
    if rejected:
        sheet.auto_filter.ref = f"A1:E{len(rejected) + 1}"
    print_setup(sheet, "1:1", "A:A")


def definitions_sheet(
    sheet: Worksheet, first: str, rows: Sequence[tuple[str, str, str, str]], wide: int = 90
) -> None:
    """A Definitions sheet: a row per term (headed ``first``) with its unit, what it is and
    when it is empty; Markdown's backticks dropped, the meaning ``wide`` characters wide."""
    sheet.append([first, "Unit", "What it is", "Not defined (empty) when"])
    style_header(sheet[1])
    for term, unit, meaning, null_when in rows:
        sheet.append([term, unit, meaning.replace("`", ""), null_when.replace("`", "")])
    for letter, width in zip("ABCD", (24, 12, wide, 30), strict=True):
        sheet.column_dimensions[letter].width = width
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = WRAP
        fit_row_height(sheet, row[0].row)
    sheet.freeze_panes = "B2"
    print_setup(sheet, "1:1", "A:A")


def inputs_block(
    sheet: Worksheet, row: int, inputs: list[dict[str, Any]], path_width: float
) -> int:
    """From ``row``: one row per input (what it is, its rows, used and rejected) with its file
    whole, wrapped across the fifth and sixth columns (``path_width`` characters wide)."""
    sheet.cell(row, 1, "Inputs").font = TITLE
    row += 1
    for col, head in enumerate(("Input", "Rows", "Used", "Rejected", "File"), start=1):
        sheet.cell(row, col, head)
    style_header(sheet[row][:6], numbers_from=2)
    sheet.cell(row, 5).alignment = Alignment(horizontal="left", vertical="bottom", indent=1)
    sheet.merge_cells(start_row=row, start_column=5, end_row=row, end_column=6)
    for entry in inputs:
        row += 1
        sheet.cell(row, 1, xml_text(str(entry["kind"]).replace("_", " ")))
        for col, key in ((2, "rows"), (3, "used"), (4, "rejected")):
            sheet.cell(row, col, entry[key]).number_format = "#,##0"
        path = sheet.cell(row, 5, xml_text(entry["path"]))
        path.alignment = Alignment(wrap_text=True, vertical="bottom", indent=1)
        sheet.merge_cells(start_row=row, start_column=5, end_row=row, end_column=6)
        lines = -(-len(str(entry["path"])) // max(int(path_width * PROSE), 1))
        sheet.row_dimensions[row].height = 15 * max(lines, 1) + 2
    return row + 1


def sentence(
    sheet: Worksheet, row: int, text: str, widths: Sequence[float], font: Font | None = None
) -> None:
    """A sentence across the sheet's columns (``widths``, in characters), wrapped, its row
    tall enough for it."""
    cell = sheet.cell(row, 1, xml_text(text))
    cell.alignment = WRAP
    if font is not None:
        cell.font = font
    sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=len(widths))
    sheet.row_dimensions[row].height = 15 * wrapped_lines(text, sum(widths) * PROSE) + 3


def notes_block(
    sheet: Worksheet, row: int, notes: Sequence[str], widths: Sequence[float], most: int, more: str
) -> int:
    """From ``row``: the heading Notes and the first ``most`` notes, a sentence each (``more``
    says where the rest are); the row after them."""
    sheet.cell(row, 1, "Notes").font = TITLE
    row += 1
    shown = list(notes[:most])
    if len(notes) > most:
        shown.append(f"… and {len(notes) - most:,} more{more}.")
    for text in shown:
        sentence(sheet, row, text, widths, NOTE)
        row += 1
    return row

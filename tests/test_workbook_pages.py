"""The workbooks as a manager prints them: each rendered by LibreOffice to PDF and PNG and its
pages read back, and the print settings, charts, dates and properties that make those pages
read back with openpyxl.

The three workbooks are the README's: ``compute --by channel --by month``, ``cohorts`` and
``compare --go-live 2024-01-01 --months 6 --by channel``, on the examples.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import zipfile
from datetime import datetime
from pathlib import Path
from xml.etree import ElementTree

import openpyxl
import pytest
from openpyxl.worksheet.worksheet import Worksheet
from typer.testing import CliRunner

import crm_roi
from conftest import EXAMPLE_INPUTS, pdf_pages, print_to_pdf
from crm_roi.cli import app

runner = CliRunner()
COMPARE = ["--go-live", "2024-01-01", "--months", "6", "--by", "channel"]
COMMANDS = {
    "compute": ["compute", *EXAMPLE_INPUTS, "--by", "channel", "--by", "month"],
    "cohorts": ["cohorts", *EXAMPLE_INPUTS],
    "compare": ["compare", *EXAMPLE_INPUTS, *COMPARE],
}
# Pages at most: compute printed 16 before its sheets were fitted to the page's width.
MOST_PAGES = {"compute": 12, "cohorts": 3, "compare": 5}
needs_libreoffice = pytest.mark.skipif(
    shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed"
)


@pytest.fixture(scope="module")
def books(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("books")
    for name, args in COMMANDS.items():
        result = runner.invoke(app, [*args, "--quiet", "--output", str(folder / f"{name}.xlsx")])
        assert result.exit_code == 0, result.output
    return {name: folder / f"{name}.xlsx" for name in COMMANDS}


@pytest.fixture(scope="module")
def documents() -> dict[str, dict]:
    return {
        name: json.loads(runner.invoke(app, [*args, "--quiet", "--format", "json"]).stdout)
        for name, args in COMMANDS.items()
    }


@pytest.fixture(scope="module")
def pdfs(books: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Each workbook converted to PDF by LibreOffice (with a profile of its own, so that another
    LibreOffice running meanwhile doesn't hold it)."""
    if shutil.which("soffice") is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    return print_to_pdf(list(books.values()), tmp_path_factory.mktemp("pdf"))


@pytest.fixture(scope="module")
def pages(pdfs: dict[str, Path]) -> dict[str, list[str]]:
    """Each workbook's pages as text."""
    texts = {}
    for name, pdf in pdfs.items():
        texts[name] = pdf_pages(pdf)
        print(f"{name}: {len(texts[name])} pages")  # shown with pytest -s
    return texts


def on_page(pages: list[str], *words: str) -> list[str]:
    """The pages that show every one of the words."""
    return [page for page in pages if all(w in page for w in words)]


# --- the pages, as LibreOffice prints them ------------------------------------------------------


@needs_libreoffice
@pytest.mark.parametrize("name", COMMANDS)
def test_a_workbook_prints_on_few_pages_and_never_shows_hashes(pages, name: str) -> None:
    assert 1 < len(pages[name]) <= MOST_PAGES[name]
    assert not any("###" in page for page in pages[name])


@needs_libreoffice
def test_every_sheet_and_every_channel_is_printed(pages, documents) -> None:
    compute = "\n".join(pages["compute"])
    for title in ("Summary", "By channel", "By month", "By channel (details)", "Definitions"):
        assert re.search(rf"^{re.escape(title)} +Page \d+ of \d+$", compute, re.M), title
    assert "Chart data" not in compute  # hidden: what the charts draw
    channels = [g["channel"] for g in documents["compute"]["breakdowns"]["channel"]]
    for title in ("By channel", "By channel (details)"):
        for page in [
            p for p in pages["compute"] if re.search(rf"^{re.escape(title)} +Page", p, re.M)
        ]:
            assert all(channel in page for channel in channels), (title, page[:200])
    comparison = "\n".join(pages["compare"])
    for title in ("Comparison", "By channel"):
        assert re.search(rf"^{title} +Page \d+ of \d+$", comparison, re.M)
    assert all(c in comparison for c in channels)
    assert "better" in comparison and "worse" in comparison
    assert "Payback" in "\n".join(pages["cohorts"])


@needs_libreoffice
def test_the_summary_page_has_the_title_window_generated_time_and_headline(pages) -> None:
    first = pages["compute"][0]
    assert "Sales & marketing ROI" in first and "Headline figures" in first
    assert re.search(r"2023-01-01 +to +2024-12-31 +in EUR", first)
    assert re.search(r"Generated +\d{4}-\d\d-\d\d \d\d:\d\d .*UTC[+-]\d\d:\d\d", first)
    assert "€ 1,967,717.69" in first and "Best and worst ROI" in first


@needs_libreoffice
def test_a_chart_is_printed_whole_on_one_page(pages) -> None:
    """A chart's title, its category labels and its axis share a page: it isn't cut in two."""
    (roi,) = on_page(pages["compute"], "ROI by month, highest first")
    assert all(month in roi for month in ("Jan 2023", "Dec 2024", "Jun 2024")) and "700%" in roi
    (trend,) = on_page(pages["compute"], "Revenue and cost over time, ROI")
    assert "Amount" in trend and "Dec" in trend
    (channel,) = on_page(pages["compute"], "ROI by channel, highest first")
    assert "Revenue and cost" in channel and "Paid Search" in channel
    (cohort,) = on_page(pages["cohorts"], "cohorts across the window")
    assert "Age: months since acquisition" in cohort


@needs_libreoffice
def test_every_page_renders_to_a_picture(pdfs, pages, tmp_path: Path) -> None:
    for name, pdf in pdfs.items():
        subprocess.run(["pdftoppm", "-png", "-r", "30", str(pdf), str(tmp_path / name)], check=True)
        pictures = sorted(tmp_path.glob(f"{name}-*.png"))
        assert len(pictures) == len(pages[name])
        assert all(p.stat().st_size > 2_000 for p in pictures)  # not blank


# --- what makes those pages, read back with openpyxl -------------------------------------------


@pytest.mark.parametrize("name", COMMANDS)
def test_the_workbook_says_what_it_is_and_who_made_it(books, name: str) -> None:
    properties = openpyxl.load_workbook(books[name]).properties
    assert properties.creator == f"crm-roi {crm_roi.__version__}"
    assert properties.title.startswith(f"crm-roi {'report' if name == 'compute' else ''}")
    assert re.search(r"\d{4}-\d\d-\d\d to \d{4}-\d\d-\d\d", properties.title)


@pytest.mark.parametrize("name", COMMANDS)
def test_every_sheet_prints_landscape_one_page_wide(books, name: str) -> None:
    book = openpyxl.load_workbook(books[name])
    for sheet in visible(book):
        setup = sheet.page_setup
        assert (setup.orientation, setup.fitToWidth, setup.fitToHeight) == ("landscape", 1, 0)
        assert sheet.sheet_properties.pageSetUpPr.fitToPage
        if sheet.title != "Summary":  # a table: its header row and key column on every page
            assert sheet.print_title_rows and sheet.print_title_cols, sheet.title


@pytest.mark.parametrize("name", COMMANDS)
def test_no_line_is_smoothed(books, name: str) -> None:
    """Every series of every line chart says ``smooth 0``: a smoothed line overshoots."""
    chart = "{http://schemas.openxmlformats.org/drawingml/2006/chart}"
    with zipfile.ZipFile(books[name]) as z:
        trees = [ElementTree.fromstring(z.read(n)) for n in z.namelist() if "/charts/chart" in n]
    series = [
        s for t in trees for line in t.iter(f"{chart}lineChart") for s in line.iter(f"{chart}ser")
    ]
    assert series or name == "compare"
    for one in series:
        smooth = one.find(f"{chart}smooth")
        assert smooth is not None and smooth.get("val") == "0"


def test_roi_bars_are_ranked_and_every_label_shown(books) -> None:
    book = openpyxl.load_workbook(books["compute"])
    data = book["Chart data"]
    for title in ("By channel", "By month"):
        roi = book[title]._charts[0]
        assert roi.tagname == "barChart" and roi.type == "bar"
        assert roi.x_axis.tickLblSkip == 1 and roi.x_axis.scaling.orientation == "maxMin"
        values = cells(data, roi.series[0].val.numRef.f)
        assert values == sorted(values, reverse=True) and len(values) >= 5
    months = cells(data, book["By month"]._charts[0].series[0].cat.numRef.f)
    assert len(months) == 24 and months != sorted(
        months, key=lambda m: datetime.strptime(m, "%b %Y")
    )


def test_charts_are_below_the_table(books) -> None:
    book = openpyxl.load_workbook(books["compute"])
    for title in ("By channel", "By month"):
        sheet = book[title]
        last = max(r for r in range(1, sheet.max_row + 1) if sheet.cell(r, 1).value is not None)
        assert all(chart.anchor._from.row >= last for chart in sheet._charts)


def test_months_and_dates_are_real_dates(books) -> None:
    compute = openpyxl.load_workbook(books["compute"])
    month = compute["By month"]
    assert month["A2"].value == datetime(2023, 1, 1) and month["A2"].number_format == "mmm yyyy"
    summary = compute["Summary"]
    assert summary["B2"].value == datetime(2023, 1, 1) and summary["D2"].value == datetime(
        2024, 12, 31
    )
    generated = summary["B3"]
    assert isinstance(generated.value, datetime) and "UTC" in generated.number_format
    cohorts = openpyxl.load_workbook(books["cohorts"])["Cohorts"]
    assert cohorts["A5"].value == datetime(2023, 1, 1) and cohorts["A5"].number_format == "mmm yyyy"
    compare = openpyxl.load_workbook(books["compare"])["Comparison"]
    assert compare["B2"].value == datetime(2023, 7, 1) and compare["D3"].value == datetime(
        2024, 6, 30
    )


def test_the_summary_links_to_the_rejected_rows_and_each_breakdown(books) -> None:
    summary = openpyxl.load_workbook(books["compute"])["Summary"]
    links = {c.hyperlink.location for row in summary.iter_rows() for c in row if c.hyperlink}
    assert links == {"'Rejected rows'!A1", "'By channel'!A1", "'By month'!A1"}
    texts = " ".join(str(c.value) for row in summary.iter_rows() for c in row if c.value)
    assert "(unattributed)" in texts and "of cost" in texts and "no link" in texts


def test_headers_are_right_aligned_over_numbers(books) -> None:
    sheet = openpyxl.load_workbook(books["compute"])["By channel"]
    assert sheet["A1"].alignment.horizontal == "left"
    assert all(c.alignment.horizontal == "right" for c in sheet[1][1:])
    assert all(c.alignment.wrap_text for c in sheet[1])


def test_the_comparison_has_a_sheet_per_breakdown_with_better_and_worse_in_colour_and_words(
    books, documents
) -> None:
    book = openpyxl.load_workbook(books["compare"])
    assert book.sheetnames == ["Comparison", "By channel"]
    for sheet in book.worksheets:
        header = next(r for r in sheet.iter_rows() if r[0].value in ("Figure", "channel"))
        verdict = [c.value for c in header].index("Better or worse") + 1
        words = [r[verdict - 1] for r in sheet.iter_rows(min_row=header[0].row + 1)]
        marked = [c for c in words if c.value in ("better", "worse")]
        assert {c.value for c in marked} == {"better", "worse"}
        for cell in marked:
            fill = cell.fill.fgColor.rgb
            assert fill.endswith("C6EFCE" if cell.value == "better" else "FFC7CE"), sheet.title
    channels = {g["channel"] for g in documents["compare"]["change"]["breakdowns"]["channel"]}
    assert channels <= {c.value for c in book["By channel"]["A"]}


def test_no_value_is_too_wide_for_its_column(books) -> None:
    """The ``###`` a number too wide shows: every number's shown width within its column."""
    compare = openpyxl.load_workbook(books["compare"])
    for sheet in compare.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, float) and "€" in cell.number_format:
                    width = sheet.column_dimensions[cell.column_letter].width
                    assert len(f"▲ € {abs(cell.value):,.2f}") <= width, cell.coordinate


def test_the_definitions_wrap_and_refer_to_nothing_missing(books) -> None:
    sheet = openpyxl.load_workbook(books["compute"])["Definitions"]
    text = " ".join(str(c.value) for row in sheet.iter_rows() for c in row if c.value)
    assert "below" not in text
    for row in sheet.iter_rows(min_row=2):
        meaning = row[2]
        assert meaning.alignment.wrap_text
        lines = len(str(meaning.value)) / (sheet.column_dimensions["C"].width * 1.3)
        assert sheet.row_dimensions[meaning.row].height >= 14 * lines


def test_cohort_headings_fit_and_payback_is_explained(books) -> None:
    sheet = openpyxl.load_workbook(books["cohorts"])["Cohorts"]
    header = [c for c in sheet[4] if c.value is not None]
    assert [c.value for c in header[:5]] == [
        "Cohort", "Customers", "Acquisition cost", "CAC", "Payback (months)"
    ]  # fmt: skip
    for cell in header[:5]:
        width = sheet.column_dimensions[cell.column_letter].width
        longest = max(len(word) for word in str(cell.value).split())
        assert cell.alignment.wrap_text and longest <= width
    assert sheet.row_dimensions[4].height >= 30  # two lines
    notes = " ".join(str(c.value) for c in sheet["A"] if isinstance(c.value, str))
    assert "0: the month of acquisition paid it back already" in notes


def visible(book: openpyxl.Workbook) -> list[Worksheet]:
    return [s for s in book.worksheets if s.sheet_state == "visible"]


def cells(sheet: Worksheet, reference: str) -> list:
    """The values a chart's reference (``'Chart data'!$B$2:$B$6``) points at."""
    area = reference.split("!")[1].replace("$", "")
    return [c.value for row in sheet[area] for c in row]

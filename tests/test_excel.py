"""The Excel report: read back with openpyxl, and rendered once with LibreOffice."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from conftest import EXAMPLE_INPUTS
from crm_roi.cli import app
from crm_roi.engine.figures import FIELDS, LEAD_FIELDS, figure

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
INPUTS = EXAMPLE_INPUTS
runner = CliRunner()


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    folder = tmp_path_factory.mktemp("excel")
    target = folder / "report.xlsx"
    args = ["compute", *INPUTS, "--by", "channel", "--by", "month", "--quiet"]
    assert runner.invoke(app, [*args, "--output", str(target)]).exit_code == 0
    document = json.loads(runner.invoke(app, [*args, "--format", "json"]).stdout)
    return target, document


def test_workbook_has_summary_breakdowns_details_definitions_and_rejected_rows(report) -> None:
    book = openpyxl.load_workbook(report[0])
    assert book.sheetnames == [
        "Summary", "By channel", "By month", "By channel (details)", "By month (details)",
        "Definitions", "Rejected rows", "Chart data",
    ]  # fmt: skip
    assert book["Chart data"].sheet_state == "hidden"  # what the charts draw, ranked


def headline(sheet) -> dict[str, object]:
    """The Summary's headline figures: labels and values in columns A/B and D/E."""
    return {
        sheet.cell(r, c).value: sheet.cell(r, c + 1).value
        for r in range(4, 12)
        for c in (1, 4)
        if sheet.cell(r, c).value
    }


def test_headline_values_equal_the_json_report(report) -> None:
    path, document = report
    values = headline(openpyxl.load_workbook(path)["Summary"])
    assert values["Revenue"] == document["totals"]["revenue"]
    assert values["Cost (fully loaded)"] == document["totals"]["cost"]
    assert values["ROI"] == pytest.approx(document["totals"]["roi"])
    assert values["CAC"] == document["totals"]["cac"]
    assert values["CLV"] == document["totals"]["clv"]
    assert values["Sales cycle (days)"] == document["totals"]["sales_cycle_days"]


def test_breakdown_cells_are_numbers_with_formats_and_match_json(report) -> None:
    path, document = report
    book = openpyxl.load_workbook(path)
    sheet, details = book["By channel"], book["By channel (details)"]
    header = [c.value for c in sheet[1]]
    assert header[0] == "channel"
    col = {name: header.index(name) + 1 for name in header}
    rows = document["breakdowns"]["channel"]
    for r, group in enumerate(rows, start=2):
        assert sheet.cell(r, 1).value == group["channel"]
        assert sheet.cell(r, col["Revenue"]).value == group["revenue"]
        assert isinstance(sheet.cell(r, col["Revenue"]).value, int | float)
    assert sheet.cell(2, col["Revenue"]).number_format == "€ #,##0.00;€ -#,##0.00"
    assert sheet.cell(2, col["ROI"]).number_format == "0.0%"
    assert sheet.cell(2, col["Won deals"]).number_format == "#,##0"
    more = [c.value for c in details[1]]
    assert details.cell(2, more.index("Sales cycle (days)") + 1).number_format == "0.0"
    total = len(rows) + 2
    assert sheet.cell(total, 1).value == "Total"
    assert sheet.cell(total, col["Cost (fully loaded)"]).value == document["totals"]["cost"]
    assert [sheet.cell(r, 1).value for r in (total - 2, total - 1)] == ["(none)", "(unattributed)"]
    assert sheet.freeze_panes == "B2"
    assert sheet.auto_filter.ref == f"A1:{openpyxl.utils.get_column_letter(len(header))}{total - 1}"
    # The figures a manager reads first, then every other one on the details sheet (the lead
    # figures only with --leads).
    shown = [f for f in FIELDS if f not in LEAD_FIELDS]
    assert sorted([*header[1:], *more[1:]]) == sorted(figure(f).label for f in shown)
    assert more[0] == "channel"
    assert [c.value for c in details["A"]][:total] == [c.value for c in sheet["A"]][:total]


def test_charts_roi_ranked_revenue_against_cost_and_a_trend_for_periods(report) -> None:
    book = openpyxl.load_workbook(report[0])
    data = book["Chart data"]
    channel = book["By channel"]._charts
    assert [c.tagname for c in channel] == ["barChart", "barChart"]
    # The five named channels, ranked by ROI in the hidden sheet's first block (A to D);
    # (none) and (unattributed) are left out.
    refs = [
        [(s.val.numRef.f, s.cat.strRef.f if s.cat.strRef else s.cat.numRef.f) for s in chart.series]
        for chart in channel
    ]
    labels = "'Chart data'!$A$2:$A$6"
    assert refs == [
        [("'Chart data'!$B$2:$B$6", labels)],
        [("'Chart data'!$C$2:$C$6", labels), ("'Chart data'!$D$2:$D$6", labels)],
    ]
    document = report[1]
    ranked = sorted(
        (g for g in document["breakdowns"]["channel"] if not g["channel"].startswith("(")),
        key=lambda g: -g["roi"],
    )
    assert [data.cell(r, 1).value for r in range(2, 7)] == [g["channel"] for g in ranked]
    assert [data.cell(r, 2).value for r in range(2, 7)] == pytest.approx([g["roi"] for g in ranked])
    month = book["By month"]._charts
    assert [c.tagname for c in month] == ["barChart", "lineChart"]
    trend = month[1]
    assert [s.val.numRef.f for s in trend.series] == [
        "'By month'!$B$2:$B$25",
        "'By month'!$C$2:$C$25",
    ]
    (roi_axis,) = trend._charts[1:]  # ROI on the secondary axis
    assert roi_axis.series[0].val.numRef.f == "'By month'!$E$2:$E$25"
    assert roi_axis.y_axis.axId == 200


def test_definitions_sheet_explains_every_figure(report) -> None:
    sheet = openpyxl.load_workbook(report[0])["Definitions"]
    text = " ".join(str(c.value) for row in sheet.iter_rows() for c in row if c.value)
    assert "net_return ÷ cost" in text
    assert sheet.max_row - 1 >= 20


def test_rejected_rows_and_injected_text_is_never_a_formula(tmp_path: Path) -> None:
    deals = tmp_path / "deals.csv"
    deals.write_text(
        "Deal ID,Amount,Stage,Close Date,Lead Source\n"
        '1,100,Won,2024-01-05,"=HYPERLINK(""http://evil"",""x"")"\n'
        "2,abc,Won,2024-01-06,+cmd\n"
        "3,70,Won,2024-01-07,@SUM(A1)\n",
        encoding="utf-8",
    )
    target = tmp_path / "r.xlsx"
    result = runner.invoke(app, ["compute", str(deals), "--by", "channel", "-o", str(target), "-q"])
    assert result.exit_code == 0, result.output
    book = openpyxl.load_workbook(target)
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
    keys = [c.value for c in book["By channel"]["A"][1:3]]
    assert '\'=HYPERLINK("http://evil","x")' in keys
    rejected = book["Rejected rows"]
    assert [c.value for c in rejected[2]] == [
        str(deals),
        3,
        "Amount",
        "abc",
        "'abc' is not an amount",
    ]


def test_xlsx_needs_an_output_file() -> None:
    result = runner.invoke(app, ["compute", *INPUTS, "--format", "xlsx"])
    assert result.exit_code == 2
    assert "--output report.xlsx" in result.output


@pytest.mark.skipif(
    shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed"
)
def test_libreoffice_opens_and_renders_the_workbook(report, tmp_path: Path) -> None:
    """The workbook opens cleanly in LibreOffice: it converts to PDF, and page 1 is the summary."""
    done = subprocess.run(
        ["soffice", "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path), str(report[0])],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    pdf = tmp_path / "report.pdf"
    assert done.returncode == 0 and pdf.exists(), done.stderr
    text = subprocess.run(
        ["pdftotext", "-f", "1", "-l", "1", str(pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "Sales & marketing ROI" in text
    assert "€ 1,967,717.69" in text
    subprocess.run(
        ["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "page")],
        check=True,
    )
    (picture,) = tmp_path.glob("page-*.png")  # numbered page-1 or page-01 by page count
    assert picture.stat().st_size > 5_000

"""The ROI of the CRM for people (contract v2 §6, docs/invest.md): the terminal table, CSV, the
workbook and the HTML page show the cash flows of the ``crm-roi/invest@1`` document, whole and
the same in each, with NPV, ROI, payback and the assumptions; text from the inputs is shown,
never run.

The small export below is worked by hand. The baseline (2023) won 40,000 + 60,000 = 100,000;
year 1 (2024) 70,000 + 90,000 = 160,000: a revenue uplift of 60,000 at a gross margin of 1.
Costs: 30,000 implementation and 20,000 training before go-live (year 0: 50,000); licences of
12,000 a year and 1,000 of support in 2024 (year 1: 13,000; years 2 and 3: 12,000). The exports
end in 2024, so years 2 and 3 are projected from year 1. Nets: -50,000, 47,000, 48,000, 48,000;
cumulative -50,000, -3,000, 45,000, 93,000. Payback: 3,000 left after year 1, 4,000 a month in
year 2: 12 + 0.75 = 12.75 months.
"""

from __future__ import annotations

import csv
import doctest
import io
import json
import os
import re
import zipfile
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from rich.cells import cell_len
from rich.console import Console
from typer.testing import CliRunner

from conftest import EXAMPLE_INPUTS, EXAMPLES, browse, needs_libreoffice, pdf_pages, print_to_pdf
from crm_roi.cli import app
from crm_roi.render import invest as render
from crm_roi.render.locale import money_text
from crm_roi.render.safe import FORMULA_STARTS

runner = CliRunner()
FORMULA = '=HYPERLINK("http://x")'
SCRIPT = "<script>alert(1)</script>"
MARKUP = "[bold]Markup[/bold]"

DEALS = """\
Deal ID,Customer,Amount,Stage,Close Date
1,Acme,40000,Won,2023-03-10
2,Beta,60000,Won,2023-09-20
3,Acme,70000,Won,2024-02-05
4,Gamma,90000,Won,2024-11-14
5,Delta,1000,Lost,2024-12-31
"""
INVESTMENT = """\
Date,Category,Amount,Kind
2023-Q4,Implementation,30000,cost
2023-12-01,Training,20000,cost
2024,Licences,12000,cost
2025,Licences,12000,cost
2026,Licences,12000,cost
2024-06-01,Support,1000,cost
"""
# The same amounts under hostile names, and a row that is rejected.
HOSTILE = f"""\
Date,Category,Amount,Kind
2023-Q4,Implementation,30000,cost
2023-12-01,"{FORMULA.replace('"', '""')}",15000,cost
2023-12-02,{SCRIPT},5000,cost
2024,Licences,12000,cost
2025,Licences,12000,cost
2026,Licences,12000,cost
2024-06-01,{MARKUP},1000,cost
2024-07-01,Escapes,not an amount,cost
"""
NEVER = """\
Date,Category,Amount,Kind
2023-11-01,Implementation,250000,cost
2024,Licences,40000,cost
2024,Retired tools,5000,benefit
"""
GO_LIVE = ("--go-live", "2024-01-01")


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("invest")
    texts = {"deals": DEALS, "investment": INVESTMENT, "hostile": HOSTILE, "never": NEVER}
    for name, text in texts.items():
        (folder / f"{name}.csv").write_text(text, encoding="utf-8")
    return {name: folder / f"{name}.csv" for name in texts}


@pytest.fixture(scope="module")
def worked(files: dict[str, Path]) -> tuple[str | Path, ...]:
    return (files["deals"], "--investment", files["investment"], *GO_LIVE)


@pytest.fixture(scope="module")
def hostile(files: dict[str, Path]) -> tuple[str | Path, ...]:
    return (files["deals"], "--investment", files["hostile"], *GO_LIVE)


@pytest.fixture(scope="module")
def never(files: dict[str, Path]) -> tuple[str | Path, ...]:
    return (files["deals"], "--investment", files["never"], *GO_LIVE, "--no-projection")


@pytest.fixture(scope="module")
def examples() -> tuple[str | Path, ...]:
    """The example company: seven-digit totals, six categories, time logs."""
    return (*EXAMPLE_INPUTS, "--investment", str(EXAMPLES / "investment.csv"), *GO_LIVE)


def run(*args: str | Path, env: dict[str, str] | None = None) -> str:
    result = runner.invoke(app, ["invest", *map(str, args), "--quiet"], env=env)
    assert result.exit_code == 0, result.output
    return result.stdout


def document(*args: str | Path) -> dict[str, Any]:
    return json.loads(run(*args, "--format", "json"))


def whole(value: float | None) -> str:
    """An amount as the terminal's table shows it: to the whole unit, no currency."""
    return "–" if value is None else money_text(value, None, "plain", cents=False)


def test_the_worked_example_is_what_the_renderers_are_given(worked) -> None:
    doc = document(*worked)
    years = doc["years"]
    assert [y["costs"] for y in years] == [50000.0, 13000.0, 12000.0, 12000.0]
    assert [y["net"] for y in years] == [-50000.0, 47000.0, 48000.0, 48000.0]
    assert [y["cumulative_net"] for y in years] == [-50000.0, -3000.0, 45000.0, 93000.0]
    assert [y["projected"] for y in years] == [False, False, True, True]
    assert doc["totals"]["payback_months"] == 12.75


# --- the terminal ------------------------------------------------------------------------------


def table(args: tuple[str | Path, ...], columns: int, *extra: str) -> list[str]:
    text = run(*args, "--format", "table", *extra, env={"COLUMNS": str(columns)})
    return text.rstrip("\n").split("\n")


def grid(lines: list[str]) -> tuple[list[str], dict[str, list[str]]]:
    """The cash-flow table's headings and each row's cells, by its label, across its bands."""
    heads: list[str] = []
    rows: dict[str, list[str]] = {}
    for line in lines:
        if line.startswith("┃"):
            heads += [c.strip() for c in line.strip("┃").split("┃")][1:]
        elif line.startswith("│"):
            cells = [c.strip() for c in line.strip("│").split("│")]
            rows.setdefault(cells[0], []).extend(cells[1:])
    return heads, rows


def expected_rows(doc: dict[str, Any]) -> dict[str, list[str]]:
    """Each row of the table as it must show: the years' amounts whole, then the total; blank
    for a category a year has no cost of, ``–`` for an amount not measured."""
    rows = {}
    for line in render.cash_lines(doc):
        cells = [whole(line.value(y)) if line.has(y) else "" for y in doc["years"]]
        total = render.line_total(line, doc)
        rows[line.label] = [*cells, whole(total) if line.totalled else ""]
    return rows


@pytest.mark.parametrize("columns", [60, 80, 120])
@pytest.mark.parametrize("name", ["worked", "examples"])
def test_the_table_fits_the_screen_and_shows_every_amount_whole(
    request, name: str, columns: int
) -> None:
    args = request.getfixturevalue(name)
    doc = document(*args)
    lines = table(args, columns)
    assert all(cell_len(line) <= columns for line in lines), max(map(cell_len, lines))
    heads, rows = grid(lines)
    assert heads == ["Initial", "Year 1", "Year 2*", "Year 3*", "Total"]
    assert rows == expected_rows(doc)
    text = "\n".join(lines)
    payback = f"{doc['totals']['payback_months']:.1f} months"
    assert re.search(rf"^Payback +{payback}", text, re.M), text
    assert re.search(r"^NPV +€?[\d,]+\.\d\d", text, re.M)
    assert "* projected from year 1" in text


def test_the_worked_example_on_the_terminal(worked) -> None:
    _, rows = grid(table(worked, 120))
    assert rows["Costs"] == ["50,000", "13,000", "12,000", "12,000", "87,000"]
    assert rows["Revenue uplift"] == ["–", "60,000", "60,000", "60,000", "180,000"]
    assert rows["Time saved"] == ["–", "–", "–", "–", "–"]  # no time logs
    assert rows["Support"] == ["", "1,000", "", "", "1,000"]
    assert rows["Cumulative net"] == ["-50,000", "-3,000", "45,000", "93,000", ""]


def test_a_narrow_screen_stacks_the_years_in_bands_a_wide_one_does_not(examples) -> None:
    def tables(columns: int) -> int:
        return sum(1 for line in table(examples, columns) if line.startswith("┏"))

    assert tables(60) == 2 and tables(120) == 1


def test_the_table_shows_what_the_result_rests_on(worked) -> None:
    doc = document(*worked)
    text = " ".join(line.strip() for line in table(worked, 250))
    for sentence in doc["assumptions"]:
        assert sentence in text
    assert "time saved needs time logs (--time-logs)" in text


def test_a_payback_not_within_the_horizon_says_so(never) -> None:
    text = "\n".join(table(never, 80))
    assert re.search(r"^Payback +not within the horizon", text, re.M)
    heads, _ = grid(text.split("\n"))
    assert heads == ["Initial", "Year 1", "Total"]  # --no-projection: no year projected
    assert "projected" not in text.split("What this rests on")[0]


def test_the_table_follows_the_locale(worked) -> None:
    text = "\n".join(table(worked, 120, "--locale", "de_DE"))
    assert "-50.000" in text and "12,8 months" in text and "84,8\xa0%" in text
    assert "go-live 01.01.2024" in text


def test_hostile_names_are_shown_as_text_on_the_terminal(files, hostile) -> None:
    escapes = files["deals"].parent / "escapes.csv"
    escapes.write_text(
        INVESTMENT + "2023-12-01,\x1b[31mred\x1b]0;title\x07,100\n", encoding="utf-8"
    )
    text = run(files["deals"], "--investment", escapes, *GO_LIVE, "--format", "table")
    assert "\x1b" not in text and "\x07" not in text and "red" in text
    shown = "\n".join(table(hostile, 120))
    assert MARKUP in shown and SCRIPT in shown and FORMULA in shown  # Rich markup not read


def test_print_invest_from_the_library(worked) -> None:
    doc = document(*worked)
    with open(os.devnull, "w") as nowhere:
        console = Console(record=True, width=60, file=nowhere, color_system=None)
        render.print_invest(console, doc, "plain")
    text = console.export_text()
    assert all(cell_len(line) <= 60 for line in text.splitlines())
    assert "Baseline 2023-01-01 → 2023-12-31" in text
    assert re.search(r"Payback +12\.8 months", text)
    assert re.search(r"ROI \(undiscounted\) +106\.9%", text)  # (180,000 − 87,000) ÷ 87,000


# --- CSV ---------------------------------------------------------------------------------------


def number(text: str) -> float | None:
    return None if text == "" else float(text)


def test_the_csv_has_a_row_per_year_and_item_with_the_json_numbers(examples) -> None:
    doc = document(*examples)
    rows = list(csv.DictReader(io.StringIO(run(*examples, "--format", "csv"))))
    assert list(rows[0]) == list(render.CSV_HEAD)
    for y in doc["years"]:
        got = {r["item"]: r for r in rows if r["year"] == str(y["year"])}
        items = [f"costs:{c}" for c in y["costs_by_category"]] + list(render.YEAR_MONEY)
        assert list(got) == items
        for name in render.YEAR_MONEY:
            assert number(got[name]["amount"]) == y[name], name
        for category, amount in y["costs_by_category"].items():
            assert number(got[f"costs:{category}"]["amount"]) == amount
        first = got["costs"]
        assert (first["from"], first["to"]) == (y["from"] or "", y["to"])
        assert first["projected"] == ("true" if y["projected"] else "false")
    totals = {r["item"]: r for r in rows if r["year"] == "total"}
    for name, value in doc["totals"].items():
        assert number(totals[name]["amount"]) == value, name
    assert number(totals["costs:Licences"]["amount"]) == sum(
        y["costs_by_category"].get("Licences", 0) for y in doc["years"]
    )
    assert totals["costs"]["projected"] == "true"


def test_the_csv_leaves_what_was_not_measured_empty(worked) -> None:
    rows = list(csv.DictReader(io.StringIO(run(*worked, "--format", "csv"))))
    initial = {r["item"]: r["amount"] for r in rows if r["year"] == "0"}
    assert initial["revenue_uplift"] == "" and initial["time_saved"] == ""
    assert initial["costs"] == "50000.0"


def test_no_csv_field_is_a_formula_and_hostile_names_stay_text(hostile) -> None:
    text = run(*hostile, "--format", "csv")
    fields = [f for row in csv.reader(io.StringIO(text)) for f in row]
    for field in fields:
        if field.startswith(FORMULA_STARTS):
            float(field)  # only a negative number may start with a sign
    assert f"costs:{FORMULA}" in fields and f"costs:{SCRIPT}" in fields


# --- the workbook ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def books(
    worked, hostile, never, examples, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("books")
    cases = {"worked": worked, "hostile": hostile, "never": never, "examples": examples}
    for name, args in cases.items():
        run(*args, "--output", folder / f"{name}.xlsx")
    return {name: folder / f"{name}.xlsx" for name in cases}


def sheet_rows(sheet: Any) -> dict[str, tuple[Any, ...]]:
    """The Cash flows table's rows by their label."""
    return {
        str(r[0]): r[1:]
        for r in sheet.iter_rows(min_row=render.HEAD + 1, max_col=6, values_only=True)
        if r[0]
    }


def test_the_workbook_has_cash_flows_and_assumptions(books) -> None:
    book = openpyxl.load_workbook(books["worked"])
    assert book.sheetnames == ["Cash flows", "Assumptions"]  # no row rejected
    assert book.properties.title == "crm-roi invest: the CRM's ROI, go-live 2024-01-01"
    assert book.properties.creator.startswith("crm-roi")


def test_the_cash_flows_are_numbers_with_formats_projected_years_marked(books, worked) -> None:
    doc = document(*worked)
    sheet = openpyxl.load_workbook(books["worked"])["Cash flows"]
    head = [c.value for c in sheet[render.HEAD]][:6]
    assert head == ["Cash flow", "Initial", "Year 1", "Year 2\n(projected)",
                    "Year 3\n(projected)", "Total"]  # fmt: skip
    rows = sheet_rows(sheet)
    assert rows["Costs"] == (50000, 13000, 12000, 12000, 87000)
    assert rows["Cumulative net"][:4] == tuple(y["cumulative_net"] for y in doc["years"])
    assert rows["Support"][:5] == (None, 1000, None, None, 1000)
    assert rows["Revenue uplift"][0] == "–"  # not measured before go-live
    for label in ("Costs", "Benefits", "Net"):
        assert all(isinstance(v, int | float) for v in rows[label][:5]), label
    costs_row = next(r for r in range(1, 40) if sheet.cell(r, 1).value == "Costs")
    assert "#,##0.00" in sheet.cell(costs_row, 2).number_format
    fills = [sheet.cell(costs_row, col).fill.fgColor.rgb for col in range(2, 7)]
    assert [f.endswith(render.PROJECTED_FILL) for f in fills] == [False, False, True, True, False]
    assert rows["Payback"][0] == 12.75 and "months" in number_format(sheet, "Payback")
    assert rows["ROI (discounted)"][0] == pytest.approx(doc["totals"]["roi"])
    assert rows["NPV"][0] == doc["totals"]["npv"]
    assert "%" in number_format(sheet, "ROI (undiscounted)")
    assert isinstance(sheet.cell(6, 3).value, datetime)  # year 1's first day, a date


def number_format(sheet: Any, label: str) -> str:
    row = next(r for r in range(1, 60) if sheet.cell(r, 1).value == label)
    return str(sheet.cell(row, 2).number_format)


def chart_xml(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as z:
        return [z.read(n).decode() for n in sorted(z.namelist()) if n.startswith("xl/charts/")]


def test_the_chart_draws_the_cumulative_net_with_zero_in_sight(books) -> None:
    sheet = openpyxl.load_workbook(books["worked"])["Cash flows"]
    assert len(sheet._charts) == 1
    (chart,) = chart_xml(books["worked"])
    assert "<lineChart>" in chart
    assert "paid back after 12.8 months" in chart
    assert "<min " not in chart and "<max " not in chart  # crossing zero: in sight as it is
    (never,) = chart_xml(books["never"])  # every value below zero: the axis goes up to it
    assert float(re.search(r'<max val="([^"]+)"', never).group(1)) == 0
    assert 'tickLblPos val="low"' in never  # the labels at the bottom, the axis line at zero
    assert "not paid back within 1 year of go-live" in never


def test_the_assumptions_sheet_says_what_the_result_rests_on(books, worked) -> None:
    doc = document(*worked)
    sheet = openpyxl.load_workbook(books["worked"])["Assumptions"]
    text = [c.value for c in sheet["A"] if c.value]
    for sentence in doc["assumptions"]:
        assert sentence in text
    settings = {r[0]: r[1] for r in sheet.iter_rows(values_only=True) if r[0]}
    assert settings["Go-live"] == datetime(2024, 1, 1)
    assert settings["Discount rate (a year)"] == 0.1 and settings["Years after go-live"] == 3
    first = openpyxl.load_workbook(books["worked"])["Cash flows"]
    caveat = [c.value for c in first["A"] if c.value and "not proof" in str(c.value)]
    assert caveat == [render.CAVEAT]


def test_no_cell_is_a_formula_and_hostile_names_stay_text(books) -> None:
    book = openpyxl.load_workbook(books["hostile"])
    values = [
        c.value for sheet in book.worksheets for row in sheet.iter_rows() for c in row if c.value
    ]
    assert not any(isinstance(v, str) and v.startswith("=") for v in values)
    assert "'" + FORMULA in values and SCRIPT in values and MARKUP in values
    assert book.sheetnames == ["Cash flows", "Assumptions", "Rejected rows"]
    rejected = list(book["Rejected rows"].iter_rows(min_row=2, values_only=True))
    assert rejected[0][1:4] == (9, "Amount", "not an amount")


def test_the_workbook_from_the_library_follows_the_locale(worked) -> None:
    data = render.invest_workbook_bytes(document(*worked), [], "de_DE")
    sheet = openpyxl.load_workbook(io.BytesIO(data))["Cash flows"]
    assert sheet["B2"].number_format == "dd.mm.yyyy"


@pytest.fixture(scope="module")
def printed(books, tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[str]]:
    """Each workbook as LibreOffice prints it, a text per page."""
    pdfs = print_to_pdf(list(books.values()), tmp_path_factory.mktemp("printed"))
    return {name: pdf_pages(pdfs[books[name].stem]) for name in books}


@needs_libreoffice
def test_printed_the_table_comes_first_whole_and_the_chart_on_a_page(printed) -> None:
    for name, pages in printed.items():
        assert not any("###" in page for page in pages), name
        first = pages[0]
        assert "Cash flow" in first and "Cumulative net" in first and "Payback" in first, name
        charted = [p for p in pages if "Cumulative net, undiscounted:" in p]
        assert len(charted) == 1, name  # the chart's title, on one page: not cut across two
    examples = printed["examples"][0]
    assert "€ 1,071,272.40" in examples and "1.2 months" in examples
    never = " ".join(printed["never"][0].split())
    assert "Payback – not paid back within 1 year of go-live" in never


# --- the HTML page -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pages(
    worked, hostile, never, examples, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("pages")
    cases = {"worked": worked, "hostile": hostile, "never": never, "examples": examples}
    for name, args in cases.items():
        run(*args, "--output", folder / f"{name}.html")
    return {name: folder / f"{name}.html" for name in cases}


class Tags(HTMLParser):
    """Every element of a page and its attributes, as a browser's tokenizer sees them."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))


def test_the_page_has_no_script_and_no_url(pages) -> None:
    for name, path in pages.items():
        text = path.read_text(encoding="utf-8")
        elements = Tags(text).elements
        assert "script" not in {tag for tag, _ in elements} and "<script" not in text
        for tag, attrs in elements:
            assert "src" not in attrs and not any(a.startswith("on") for a in attrs), tag
            assert (attrs.get("href") or "#").startswith("#"), attrs
        if name != "hostile":  # whose category names a URL, as text
            assert not re.search(r"https?:|//[\w.-]+\.\w|url\(|@import", text), name


def test_the_page_shows_npv_roi_payback_and_what_they_rest_on(pages, worked) -> None:
    doc = document(*worked)
    text = pages["worked"].read_text(encoding="utf-8")
    cards = re.findall(r'<div class="label">([^<]*)</div><div class="figure">([^<]*)</div>', text)
    assert dict(cards) == {
        "NPV": "68,459.80",
        "ROI (discounted)": "84.8%",
        "ROI (undiscounted)": "106.9%",
        "Payback": "12.8 months",
        "PV of costs": "80,751.31",
        "PV of benefits": "149,211.12",
    }
    box = text[text.index('id="assumptions"') : text.index('id="cash-flows"')]
    for sentence in doc["assumptions"]:
        assert f"<li>{sentence.replace(chr(39), '&#x27;')}</li>" in box
    assert "not proof that the CRM caused it" in box


def test_the_page_has_the_cash_flow_table_and_the_chart(pages, examples) -> None:
    doc = document(*examples)
    text = pages["examples"].read_text(encoding="utf-8")
    for line in render.cash_lines(doc):
        row = re.search(rf">{re.escape(line.label)}</td>(.*?)</tr>", text)
        assert row is not None, line.label
        cells = re.findall(r">([^<]*)</td>", row.group(1))
        assert len(cells) == len(doc["years"]) + 1
        if line.name == "costs":
            assert cells == [
                money_text(y["costs"], "EUR", "plain", False) for y in doc["years"]
            ] + ["€77,200"]
    assert "Year 2*" in text and "projected from year 1" in text
    label = re.search(r'aria-label="(Cumulative net by year: [^"]*)"', text)
    assert label is not None and "Year 3* €1,071,272" in label.group(1)
    assert 'class="zero"' in text  # the zero line
    assert "payback: 1.2 months" in text  # marked where the line crosses it


def test_a_payback_not_within_the_horizon_on_the_page(pages) -> None:
    text = pages["never"].read_text(encoding="utf-8")
    assert "not within the horizon" in text and "payback:" not in text
    assert '<div class="card neg"><div class="label">NPV</div>' in text


def test_injected_markup_stays_text_on_the_page(pages) -> None:
    text = pages["hostile"].read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text and "<script" not in text
    assert "=HYPERLINK(&quot;http://x&quot;)" in text  # shown as it is: a page runs no formula
    assert "not an amount" in text  # the rejected row, listed


def test_the_page_from_the_library_follows_the_locale(worked) -> None:
    page = render.invest_html(document(*worked), [], "de_DE").decode("utf-8")
    assert '<html lang="de-DE">' in page and "84,8" in page and "01.01.2024" in page


def test_in_a_browser_the_page_builds_and_the_script_stays_text(chromium, pages, tmp_path) -> None:
    dom = browse(chromium, tmp_path, "--dump-dom", pages["hostile"].as_uri()).stdout.decode("utf-8")
    assert "<script" not in dom and "&lt;script&gt;alert(1)&lt;/script&gt;" in dom
    assert dom.count("<svg") == 1 and dom.count("<table") >= 2


# --- the module's own examples -----------------------------------------------------------------


def test_the_docstring_examples_hold() -> None:
    result = doctest.testmod(render)
    assert result.failed == 0 and result.attempted > 0

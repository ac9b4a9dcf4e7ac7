"""The funnel for people (docs/metrics.md, leads): the terminal table, CSV, the workbook and the
HTML page show the counts and rates of the ``crm-roi/funnel@1`` document, whole and the same in
each; text from the inputs is shown, never run.

The small export below is worked by hand; a larger one (1,234 leads) gives counts with
thousands separators for the terminal's widths; a hostile one has a channel that is a formula
and one that is a script, and a rejected row.
"""

from __future__ import annotations

import csv
import doctest
import io
import json
import os
import re
import zipfile
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from rich.cells import cell_len
from rich.console import Console
from typer.testing import CliRunner

from conftest import browse, needs_libreoffice, pdf_pages, print_to_pdf
from crm_roi.cli import app
from crm_roi.render import funnel as render

runner = CliRunner()
FORMULA = '=HYPERLINK("http://x")'
SCRIPT = "<script>alert(1)</script>"
STAGES = ("leads", "converted", "opportunities", "won")

# Six leads, three deals. Converted: L1 and L2 (the status), L4 (a deal links to it; its status
# says not converted), L6 (a converted date) = 4 of 6. With a deal: L1, L2, L4 = 3 of 4
# converted. Won: L1 (D1) and L4 (D4) = 2 of 3. Web: 3 leads, 2 converted, 2 deals, 1 won
# (1,000); Events: 3, 2, 1, 1 (4,000). Costs: Web 600, Events 900.
LEADS = """\
Lead ID,Created Date,Lead Status,Lead Source,Converted Opportunity ID,Converted Date
L1,2024-01-01,Closed - Converted,Web,D1,2024-01-10
L2,2024-01-05,Closed - Converted,Web,D2,
L3,2024-01-20,Open - Not Contacted,Web,,
L4,2024-02-01,Closed - Not Converted,Events,D4,
L5,2024-02-10,Working - Contacted,Events,,
L6,2024-03-01,Closed - Converted,Events,,2024-03-05
"""
DEALS = """\
Deal ID,Stage,Amount,Created Date,Close Date,Channel,Customer
D1,Closed Won,1000,2024-01-10,2024-02-10,Web,Acme
D2,Closed Lost,2000,2024-02-01,2024-03-15,Web,Beta
D4,Closed Won,4000,2024-03-01,2024-04-20,Events,Delta
"""
COSTS = """\
Date,Channel,Amount
2024-01-15,Web,600
2024-02-15,Events,900
"""
HOSTILE = f"""\
Lead ID,Created Date,Lead Status,Lead Source,Converted Date
H1,2024-01-01,Closed - Converted,"{FORMULA.replace('"', '""')}",2024-01-10
H2,2024-01-05,Open,"{FORMULA.replace('"', '""')}",
H3,2024-01-20,Closed - Converted,{SCRIPT},2024-02-01
H4,2024-02-01,Open,{SCRIPT},
H5,not a date,Open,Web,
H6,2024-03-01,Closed - Converted,Web,2024-03-05
"""
CHANNELS = ("Paid Search", "Organic", "LinkedIn Ads", "Events", "Referral")


def many_leads() -> tuple[str, str]:
    """1,234 leads over five channels and a year (103 a month): every 3rd converted, every 6th
    with a deal, every 12th won."""
    leads = ["Lead ID,Created Date,Lead Status,Lead Source,Converted Opportunity ID"]
    deals = ["Deal ID,Stage,Amount,Created Date,Close Date"]
    for i in range(1234):
        created = f"2024-{i // 103 + 1:02d}-{i % 28 + 1:02d}"
        status = "Closed - Converted" if i % 3 == 0 else "Open"
        deal = f"D{i}" if i % 6 == 0 else ""
        leads.append(f"L{i},{created},{status},{CHANNELS[i % 5]},{deal}")
        if deal:
            stage = "Closed Won" if i % 12 == 0 else "Closed Lost"
            deals.append(f"{deal},{stage},{1000 + i},{created},{created}")
    return "\n".join(leads) + "\n", "\n".join(deals) + "\n"


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("funnel")
    many, many_deals = many_leads()
    texts = {
        "leads": LEADS,
        "deals": DEALS,
        "costs": COSTS,
        "hostile": HOSTILE,
        "many": many,
        "many_deals": many_deals,
    }
    for name, text in texts.items():
        (folder / f"{name}.csv").write_text(text, encoding="utf-8")
    return {name: folder / f"{name}.csv" for name in texts}


def run(*args: str | Path, env: dict[str, str] | None = None) -> str:
    result = runner.invoke(app, ["funnel", *map(str, args), "--quiet"], env=env)
    assert result.exit_code == 0, result.output
    return result.stdout


def document(*args: str | Path) -> dict[str, Any]:
    return json.loads(run(*args, "--format", "json"))


@pytest.fixture(scope="module")
def small(files: dict[str, Path]) -> tuple[str | Path, ...]:
    return (files["leads"], files["deals"], files["costs"], "--by", "channel")


@pytest.fixture(scope="module")
def many(files: dict[str, Path]) -> tuple[str | Path, ...]:
    return (files["many"], files["many_deals"], "--by", "channel", "--by", "month")


@pytest.fixture(scope="module")
def hostile(files: dict[str, Path]) -> tuple[str | Path, ...]:
    return (files["hostile"], "--by", "channel")


def test_the_small_funnel_worked_by_hand(small) -> None:
    doc = document(*small)
    totals = doc["totals"]
    assert [totals[s] for s in STAGES] == [6, 4, 3, 2]
    assert totals["rates"]["opportunities"] == {"from_previous": 0.75, "from_leads": 0.5}
    by = {g["channel"]: [g[s] for s in STAGES] for g in doc["breakdowns"]["channel"]}
    assert by == {"Web": [3, 2, 2, 1], "Events": [3, 2, 1, 1]}
    assert (totals["lead_revenue"], totals["cost_per_lead"]) == (5000.0, 250.0)


# --- the terminal ------------------------------------------------------------------------------


def table(args: tuple[str | Path, ...], columns: int, *extra: str) -> list[str]:
    text = run(*args, "--format", "table", *extra, env={"COLUMNS": str(columns)})
    return text.rstrip("\n").split("\n")


def tokens(line: str) -> list[str]:
    """The numbers on a line, as written: ``1,234``, ``33.3%``."""
    return re.findall(r"\d[\d,.]*%?", line)


@pytest.mark.parametrize("columns", [60, 80, 120])
def test_the_table_fits_the_screen_and_shows_every_count_whole(many, columns: int) -> None:
    doc = document(*many)
    lines = table(many, columns)
    assert all(cell_len(line) <= columns for line in lines), max(map(cell_len, lines))
    funnel = lines[: next(i for i, ln in enumerate(lines) if ln.startswith("By channel"))]
    for stage in STAGES:
        (line,) = [ln for ln in funnel if ln.strip().startswith(render.STAGE_LABELS[stage] + " ")]
        assert f"{doc['totals'][stage]:,}" in tokens(line), line
    for group in doc["breakdowns"]["channel"]:
        (line,) = [ln for ln in lines if ln.startswith(f"│ {group['channel']} ")]
        shown = tokens(line)
        assert f"{group['leads']:,}" in shown and f"{group['won']:,}" in shown, line
    assert "1,234" in "\n".join(lines)


def test_the_funnel_bars_shrink_with_the_stages_and_line_up_on_their_centre(many) -> None:
    lines = table(many, 80)
    bars = [ln for ln in lines if "█" in ln]
    assert len(bars) == 4
    lengths = [ln.count("█") for ln in bars]
    assert lengths == sorted(lengths, reverse=True) and lengths[-1] >= 1
    centres = {ln.index("█") * 2 + ln.count("█") for ln in bars}
    assert len(centres) == 1


def test_columns_that_do_not_fit_are_named_under_the_table(many) -> None:
    narrow = "\n".join(table(many, 60))
    assert re.search(r"… \d+ more figures \(.*Opportunities", narrow.replace("\n", " "))
    assert "a wider terminal, or --format csv or json" in narrow.replace("\n", " ")
    wide = "\n".join(table(many, 250))
    assert "more figure" not in wide and "Days to convert" not in wide


def test_without_deals_the_later_stages_are_unknown_and_say_why(files) -> None:
    lines = table((files["leads"], "--by", "channel"), 80)
    (opps,) = [ln for ln in lines if ln.strip().startswith("Opportunities")]
    assert "–" in opps and "█" not in opps
    text = " ".join(lines)
    assert "No deals file: opportunities, won and lead revenue are unknown" in text
    header = next(ln for ln in lines if ln.startswith("┃ channel"))
    assert "Leads" in header and "Opps" not in header and "Won" not in header


def test_the_table_follows_the_locale(many) -> None:
    text = "\n".join(table(many, 120, "--locale", "nl_NL"))
    # 412 of 1,234 leads converted: 33.4 %; the last lead came on 28 December.
    assert "1.234" in text and "33,4%" in text and "01-01-2024 → 28-12-2024" in text


def test_hostile_names_are_shown_as_text_on_the_terminal(files) -> None:
    leads = files["hostile"].parent / "escapes.csv"
    leads.write_text(
        "Lead ID,Created Date,Status,Lead Source\nE1,2024-01-01,Open,\x1b[31mred\x1b]0;title\x07\n",
        encoding="utf-8",
    )
    text = run(leads, "--by", "channel", "--format", "table")
    assert "\x1b" not in text and "\x07" not in text and "red" in text


def test_print_funnel_from_the_library(small) -> None:
    doc = document(*small)
    with open(os.devnull, "w") as nowhere:
        console = Console(record=True, width=60, file=nowhere, color_system=None)
        render.print_funnel(console, doc, "plain")
    text = console.export_text()
    assert "Lead funnel, 2024-01-01 → 2024-03-01" in text
    assert re.search(r"Opportunities +3 +75\.0% +50\.0%", text)
    assert "Cost per lead" in text and "$250.00" not in text and "250.00" in text


# --- CSV ---------------------------------------------------------------------------------------


def test_the_csv_has_a_row_per_group_and_stage_with_the_json_counts(many) -> None:
    doc = document(*many)
    rows = list(csv.DictReader(io.StringIO(run(*many, "--format", "csv"))))
    assert list(rows[0]) == list(render.CSV_HEAD)
    groups = 1 + sum(len(g) for g in doc["breakdowns"].values())
    assert len(rows) == groups * len(STAGES)
    total = {r["stage"]: r for r in rows if r["dimension"] == "total"}
    for stage in STAGES:
        assert int(total[stage]["count"]) == doc["totals"][stage]
    assert total["leads"]["rate_from_previous"] == "" and total["leads"]["rate_from_leads"] == ""
    assert float(total["won"]["rate_from_leads"]) == doc["totals"]["rates"]["won"]["from_leads"]
    for name, groups_ in doc["breakdowns"].items():
        for group in groups_:
            key = str(group[name])
            got = {r["stage"]: r for r in rows if r["dimension"] == name and r["key"] == key}
            assert [int(got[s]["count"]) for s in STAGES] == [group[s] for s in STAGES]


def test_the_csv_leaves_unknown_values_empty(files) -> None:
    rows = list(csv.DictReader(io.StringIO(run(files["leads"], "--format", "csv"))))
    (won,) = [r for r in rows if r["stage"] == "won"]
    assert won["count"] == "" and won["lead_revenue"] == "" and won["cost_per_lead"] == ""


def test_a_formula_in_a_group_name_is_neutralised_in_the_csv(hostile) -> None:
    rows = list(csv.DictReader(io.StringIO(run(*hostile, "--format", "csv"))))
    keys = {r["key"] for r in rows}
    assert "'" + FORMULA in keys and FORMULA not in keys and SCRIPT in keys


# --- the workbook ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def books(small, many, hostile, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("books")
    for name, args in (("small", small), ("many", many), ("hostile", hostile)):
        run(*args, "--output", folder / f"{name}.xlsx")
    return {name: folder / f"{name}.xlsx" for name in ("small", "many", "hostile")}


def test_the_workbook_has_the_funnel_a_sheet_per_breakdown_and_the_definitions(books) -> None:
    book = openpyxl.load_workbook(books["many"])
    assert book.sheetnames[:4] == ["Funnel", "By channel", "By month", "Definitions"]
    assert "Rejected rows" not in book.sheetnames  # every row was used
    assert book["Chart data"].sheet_state == "hidden"
    terms = [row[0] for row in book["Definitions"].iter_rows(min_row=2, values_only=True)]
    assert terms[:4] == ["Leads", "Converted", "Opportunities", "Won"]
    assert {"Lead revenue", "Cost per lead", "Days to convert"} <= set(terms)


def test_the_funnel_sheet_holds_the_counts_and_rates_as_numbers(books, small) -> None:
    doc = document(*small)
    sheet = openpyxl.load_workbook(books["small"])["Funnel"]
    rows = {
        r[0]: r[1:4] for r in sheet.iter_rows(min_row=5, max_row=8, max_col=4, values_only=True)
    }
    assert [rows[render.STAGE_LABELS[s]][0] for s in STAGES] == [doc["totals"][s] for s in STAGES]
    assert rows["Opportunities"][1:] == (0.75, 0.5)
    assert all(isinstance(rows[label][0], int) for label in rows)
    assert sheet["B5"].number_format == "#,##0" and "%" in sheet["C7"].number_format


def test_the_funnel_chart_is_horizontal_bars_leads_at_the_top(books) -> None:
    sheet = openpyxl.load_workbook(books["small"])["Funnel"]
    with zipfile.ZipFile(books["small"]) as z:
        names = [n for n in z.namelist() if n.startswith("xl/charts/")]
        charts = [z.read(n).decode() for n in sorted(names)]
    funnel = next(c for c in charts if "Lead funnel" in c)
    assert '<c:barDir val="bar"/>' in funnel or 'barDir val="bar"' in funnel
    assert 'grouping val="stacked"' in funnel and 'orientation val="maxMin"' in funnel
    assert "showVal" in funnel  # each bar says its count
    assert len(sheet._charts) == 1


def test_a_breakdown_sheet_has_its_groups_totals_and_two_charts(books, small) -> None:
    doc = document(*small)
    sheet = openpyxl.load_workbook(books["small"])["By channel"]
    head = [c.value for c in sheet[1]]
    assert head[:5] == ["channel", "Leads", "Converted", "Opportunities", "Won"]
    assert "Lead-to-win rate" in head and "Cost per lead" in head
    rows = {r[0]: r for r in sheet.iter_rows(min_row=2, values_only=True)}
    for group in doc["breakdowns"]["channel"]:
        assert list(rows[group["channel"]][1:5]) == [group[s] for s in STAGES]
    assert list(rows["Total"][1:5]) == [doc["totals"][s] for s in STAGES]
    assert len(sheet._charts) == 2


def test_without_deals_the_workbook_leaves_the_unknown_columns_out(files, tmp_path) -> None:
    target = tmp_path / "leads.xlsx"
    run(files["leads"], "--by", "channel", "--output", target)
    book = openpyxl.load_workbook(target)
    head = [c.value for c in book["By channel"][1]]
    assert "Opportunities" not in head and "Won" not in head and "Leads" in head
    notes = [c.value for c in book["Funnel"]["A"] if isinstance(c.value, str)]
    assert any(str(n).startswith("No deals file") for n in notes)


def test_no_cell_of_the_workbook_is_a_formula_and_hostile_names_stay_text(books) -> None:
    book = openpyxl.load_workbook(books["hostile"])
    values = [
        c.value for sheet in book.worksheets for row in sheet.iter_rows() for c in row if c.value
    ]
    assert not any(isinstance(v, str) and v.startswith("=") for v in values)
    assert "'" + FORMULA in values and SCRIPT in values
    assert "Rejected rows" in book.sheetnames
    rejected = list(book["Rejected rows"].iter_rows(min_row=2, values_only=True))
    assert rejected[0][1:4] == (6, "Created Date", "not a date")


def test_the_workbook_from_the_library(small) -> None:
    doc = document(*small)
    data = render.funnel_workbook_bytes(doc, [], "de_DE")
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert book["Funnel"]["B2"].number_format == "dd.mm.yyyy"
    assert "€" not in book["Funnel"]["B11"].number_format  # no currency in these inputs


@pytest.fixture(scope="module")
def printed(books, tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[str]]:
    """Each workbook as LibreOffice prints it, a text per page (and the PDFs beside them)."""
    pdfs = print_to_pdf(list(books.values()), tmp_path_factory.mktemp("printed"))
    return {name: pdf_pages(pdfs[books[name].stem]) for name in books}


@needs_libreoffice
def test_the_first_printed_page_is_the_funnel_with_its_chart(printed) -> None:
    first = printed["many"][0]
    assert "Lead funnel" in first and "1,234" in first
    assert "Converted (33.4%)" in first  # the chart's stage names, on the same page
    for name, pages in printed.items():
        assert not any("###" in page for page in pages), name
        assert len(pages) <= 6, name


@needs_libreoffice
def test_a_breakdown_prints_its_table_and_charts_on_one_page(printed) -> None:
    (page,) = [p for p in printed["many"] if re.search(r"^By channel +Page", p, re.M)]
    assert "Stages by channel, most leads first" in page and "Conversion by channel" in page
    assert all(channel in page for channel in CHANNELS)
    (months,) = [p for p in printed["many"] if re.search(r"^By month +Page", p, re.M)]
    assert "Stages by month" in months and "Dec 2024" in months  # a year: one page


# --- the HTML page -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pages(small, many, hostile, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("pages")
    for name, args in (("small", small), ("many", many), ("hostile", hostile)):
        run(*args, "--output", folder / f"{name}.html")
    return {name: folder / f"{name}.html" for name in ("small", "many", "hostile")}


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
        if name != "hostile":  # whose channel names a URL, as text
            assert not re.search(r"https?:|//[\w.-]+\.\w|url\(|@import", text), name


def test_the_page_shows_the_funnel_and_every_count(pages, many) -> None:
    doc = document(*many)
    text = pages["many"].read_text(encoding="utf-8")
    label = re.search(r'aria-label="(Lead funnel: [^"]*)"', text)
    assert label is not None
    assert label.group(1) == "Lead funnel: " + ", ".join(
        f"{render.STAGE_LABELS[s]} {doc['totals'][s]:,}" for s in STAGES
    )
    for group in doc["breakdowns"]["channel"]:
        row = re.search(rf"<tr><td class=\"key\">{group['channel']}</td>(.*?)</tr>", text)
        assert row is not None
        cells = re.findall(r">([^<]*)</td>", row.group(1))
        assert [cells[i] for i in range(4)] == [f"{group[s]:,}" for s in STAGES]
    assert "Leads and won by month, and the lead-to-win rate" in text  # a period: a trend
    for section in ("Funnel", "By channel", "By month", "Definitions", "Inputs"):
        assert f"<h2>{section}</h2>" in text


def test_injected_markup_stays_text_on_the_page(pages) -> None:
    text = pages["hostile"].read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text and "<script" not in text
    assert "=HYPERLINK(&quot;http://x&quot;)" in text  # shown as it is: a page runs no formula
    assert "not a date" in text  # the rejected row, listed


def test_without_deals_the_page_says_why_stages_are_unknown(pages) -> None:
    text = pages["hostile"].read_text(encoding="utf-8")
    assert "– (no deals file)" in text and "No deals file: opportunities" in text


def test_the_page_from_the_library_follows_the_locale(small) -> None:
    page = render.funnel_html(document(*small), [], "de_DE").decode("utf-8")
    assert '<html lang="de-DE">' in page and "75,0" in page and "01.01.2024" in page


def test_in_a_browser_the_page_builds_and_the_script_stays_text(chromium, pages, tmp_path) -> None:
    dom = browse(chromium, tmp_path, "--dump-dom", pages["hostile"].as_uri()).stdout.decode("utf-8")
    assert "<script" not in dom and "&lt;script&gt;alert(1)&lt;/script&gt;" in dom
    assert dom.count("<svg") >= 3 and dom.count("<table") >= 3


def test_in_a_browser_the_page_renders_to_a_png(chromium, pages, tmp_path) -> None:
    png = tmp_path / "funnel.png"
    browse(chromium, tmp_path, f"--screenshot={png}", "--window-size=1280,1800",
           pages["many"].as_uri())  # fmt: skip
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(data) > 60_000  # bars, charts and tables, not a blank page


# --- cost no group carries --------------------------------------------------------------------


def test_cost_of_no_channel_is_said_once_in_each_output_and_drawn_in_no_chart(
    files, tmp_path
) -> None:
    # 600 of cost with no channel: the (unattributed) group, with no lead; Web and Events
    # cost nothing per lead, the total 600 / 6 = 100.
    costs = tmp_path / "costs.csv"
    costs.write_text("Date,Amount\n2024-01-15,600\n", encoding="utf-8")
    args = (files["leads"], files["deals"], costs, "--by", "channel")
    said = "By channel: 600.00 of acquisition cost is (unattributed)"
    text = " ".join(table(args, 80))
    assert said in text and re.search(r"Cost per lead +100\.00", text)
    run(*args, "--output", tmp_path / "f.xlsx")
    book = openpyxl.load_workbook(tmp_path / "f.xlsx")
    assert any(str(c.value).startswith(said) for c in book["By channel"]["A"])
    data = book["Chart data"]  # what the charts draw
    labels = {c.value for row in data.iter_rows() for c in row if isinstance(c.value, str)}
    assert "Web" in labels and "(unattributed)" not in labels
    run(*args, "--output", tmp_path / "f.html")
    page = (tmp_path / "f.html").read_text(encoding="utf-8")
    assert said in page
    charts = re.findall(r"<svg.*?</svg>", page, re.S)
    assert not any("(unattributed)" in chart for chart in charts)
    assert '<td class="aside key">(unattributed)</td>' in page  # the table keeps it


# --- the module's own examples -----------------------------------------------------------------


def test_the_docstring_examples_hold() -> None:
    result = doctest.testmod(render)
    assert result.failed == 0 and result.attempted > 0

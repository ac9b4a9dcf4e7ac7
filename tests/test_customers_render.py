"""Customer lifetime value by model for people (contract v2 §7): the terminal, CSV, the workbook
and the HTML page show the ``crm-roi/customers@1`` document — the fitted parameters, the
accounts at risk, the most valuable customers, the groups and the holdout — whole and the same
in each; a customer's name is shown, never run.

The library tests render a small document made by hand (:func:`hand_made`): seven customers,
four of them at risk (P(alive) below 0.5), by revenue to date: Beta GmbH 48,250, the formula
12,000, the script 9,000, Epsilon SA 1,500. The command-line tests run ``crm-roi customers`` on
a deals file simulated as the BG/NBD model assumes (:func:`simulated_exports`): the example
company's exports can't be fitted (85 of its 110 customers bought once, the rest twice, and the
command says so).
"""

from __future__ import annotations

import csv
import datetime as dt
import doctest
import io
import json
import os
import random
import re
import shutil
import subprocess
import time
import zipfile
from copy import deepcopy
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from rich.cells import cell_len
from rich.console import Console
from typer.testing import CliRunner

from conftest import EXAMPLES, needs_libreoffice, pdf_pages, print_to_pdf
from crm_roi.cli import app
from crm_roi.render import customers as render
from crm_roi.render.locale import money_text
from crm_roi.render.safe import FORMULA_STARTS, html_text

runner = CliRunner()
FORMULA = '=HYPERLINK("x")'
SCRIPT = "<script>alert(1)</script>"
MARGIN = 0.6


# --- the documents ------------------------------------------------------------------------------


def customer(
    name: str,
    purchases: int,
    t_x: float,
    T: float,
    revenue: float,
    p_alive: float,
    expected: float,
    value: float | None,
    monetary: float | None = None,
) -> dict[str, Any]:
    """A customer row as the document has it; CLV = expected × value × margin, to the cent."""
    return {
        "customer_id": name,
        "purchases": purchases,
        "x": purchases - 1,
        "t_x": t_x,
        "T": T,
        "monetary": monetary if purchases > 1 else None,
        "revenue_to_date": revenue,
        "p_alive": p_alive,
        "expected_purchases": expected,
        "expected_value": value,
        "clv": None if value is None else round(expected * value * MARGIN, 2),
    }


def hand_made(holdout: bool = True) -> dict[str, Any]:
    customers = [
        customer("Acme BV", 6, 40.0, 50.0, 7203.0, 0.82, 3.1, 1180.25, 1200.5),
        customer("Beta GmbH", 4, 10.0, 60.0, 48250.0, 0.12, 0.4, 11800.0, 12000.0),
        customer(FORMULA, 3, 12.0, 45.0, 12000.0, 0.3, 0.7, 3900.0, 4000.0),
        customer(SCRIPT, 2, 5.0, 30.0, 9000.0, 0.05, 0.1, 4400.0, 4500.0),
        customer("Delta Ltd", 1, 0.0, 20.0, 800.0, 1.0, 0.6, 1050.0),
        customer("Epsilon SA", 5, 20.0, 52.0, 1500.0, 0.45, 1.2, 310.0, 300.0),
        customer("Zeta & Co", 9, 48.0, 49.0, 27000.0, 0.95, 6.5, None, 3000.0),
    ]
    weeks = list(range(1, 81))
    return {
        "schema": "crm-roi/customers@1",
        "currency": "EUR",
        "calibration_end": "2024-06-30",
        "unit": "weeks",
        "horizon_months": 12,
        "settings": {"gross_margin": MARGIN, "risk_threshold": 0.5, "by": ["segment"]},
        "inputs": [
            {
                "kind": "deals",
                "path": "deals.csv",
                "rows": 31,
                "used": 30,
                "rejected": 1,
                "skipped": 0,
                "sha256": "ab" * 32,
            },
        ],
        "model": {
            "bgnbd": {
                "r": 0.243,
                "alpha": 4.414,
                "a": 0.793,
                "b": 2.426,
                "log_likelihood": -9582.4,
            },
            "gamma_gamma": {"p": 6.25, "q": 3.74, "v": 15.44},
        },
        "customers": customers,
        "at_risk": ["Beta GmbH", FORMULA, SCRIPT, "Epsilon SA"],
        "holdout": {
            "from": "2024-07-01",
            "first_purchase": "2023-06-19",
            "to": "2024-12-29",
            "predicted": 9.4,
            "actual": 11,
            "mae": 0.8,
            "weeks": weeks,
            "predicted_cumulative": [w * 0.5 for w in weeks],
            "actual_cumulative": [w // 2 + (1 if w > 60 else 0) for w in weeks],
        }
        if holdout
        else None,
        "groups": {
            "segment": [  # Acme, the formula, the script, Epsilon; Beta, Delta, Zeta
                {"segment": "SMB", "customers": 4, "mean_p_alive": 0.405, "clv": 4320.46},
                {"segment": "Enterprise", "customers": 3, "mean_p_alive": 0.69, "clv": 3210.0},
            ]
        },
        "warnings": ["deals.csv:7: Amount: not an amount ('n/a'): the row is left out"],
    }


REJECTED = [
    {"file": "deals.csv", "row": 7, "column": "Amount", "value": "n/a",
     "reason": "not an amount"},
]  # fmt: skip


@pytest.fixture
def doc() -> dict[str, Any]:
    return hand_made()


def shown(document: dict[str, Any], width: int, top: int = 20, locale: str = "plain") -> str:
    with open(os.devnull, "w") as nowhere:
        console = Console(record=True, width=width, file=nowhere, color_system=None)
        render.print_customers(console, document, locale, top=top)
    return console.export_text()


def whole(value: float) -> str:
    return money_text(value, "EUR", "plain", cents=False)


# --- the terminal ------------------------------------------------------------------------------


@pytest.mark.parametrize("columns", [60, 80, 120])
def test_the_table_fits_the_screen_and_shows_every_customer_at_risk_whole(doc, columns) -> None:
    text = shown(doc, columns)
    lines = text.splitlines()
    assert all(cell_len(line) <= columns for line in lines), max(map(cell_len, lines))
    at_risk = text.split("At risk: P(alive) below 50%")[1].split("most valuable")[0]
    rows = [line for line in at_risk.splitlines() if line.startswith("│")]
    assert len(rows) == 4
    for row, name in zip(rows, doc["at_risk"], strict=True):
        cells = [c.strip() for c in row.strip("│").split("│")]
        revenue = next(c["revenue_to_date"] for c in doc["customers"] if c["customer_id"] == name)
        assert cells[0] == name  # whole, on one line: the formula and the script as text
        assert cells[1] == whole(revenue)  # the most revenue first: 48,250, 12,000, …
        assert cells[2] in ("12.0%", "30.0%", "5.0%", "45.0%")


def test_the_table_shows_the_models_the_headline_groups_and_holdout(doc) -> None:
    text = shown(doc, 120)
    assert re.search(r"BG/NBD +r 0\.243 +α 4\.414 +a 0\.793 +b 2\.426", text)
    assert re.search(r"Gamma-Gamma +p 6\.25 +q 3\.74 +v 15\.44", text)
    assert re.search(r"^Customers +7$", text, re.M) and re.search(r"^At risk +4$", text, re.M)
    clv = sum(c["clv"] for c in doc["customers"] if c["clv"] is not None)
    assert re.search(rf"^CLV, next 12 months +{re.escape(whole(clv))}$", text, re.M)
    assert "purchases to 2024-06-30 · CLV over the next 12 months · in EUR" in text
    assert re.search(r"│ SMB +│ +4 │ +40\.5% │ +€4,320 │", text)
    assert re.search(r"│ Total +│ +7 │ +52\.7% │ +€7,530 │", text)  # (4 × 0.405 + 3 × 0.69) ÷ 7
    assert "Holdout 2024-07-01 → 2024-12-29: 9.4 repeat purchases predicted (-15%), 11 made" in (
        " ".join(text.split())
    )


def test_the_most_valuable_customers_come_by_clv_and_none_last(doc) -> None:
    text = shown(doc, 120)
    top = text.split("most valuable customers by CLV")[1].split("By segment")[0]
    names = [line.split("│")[1].strip() for line in top.splitlines() if line.startswith("│")]
    # CLV 2,832, 2,195.26, 1,638, 378, 264, 223.20 and none
    assert names == ["Beta GmbH", "Acme BV", FORMULA, "Delta Ltd", SCRIPT, "Epsilon SA",
                     "Zeta & Co"]  # fmt: skip
    assert re.search(r"Zeta & Co +│ +– │", top)  # no CLV: the model gave no value


def test_top_limits_the_tables_and_says_how_many_more(doc) -> None:
    text = shown(doc, 120, top=2)
    assert "… and 2 more: --top 4, or --format csv or xlsx" in text
    assert "… and 5 more: --top 7, or --format csv or xlsx" in text
    assert SCRIPT not in text.split("most valuable")[0]  # the third at risk: left out


def test_a_narrow_screen_leaves_columns_out_and_names_them(doc) -> None:
    narrow = shown(doc, 60)
    assert "more figure" in narrow and "a wider terminal" in narrow
    assert "more figure" not in shown(doc, 120)


def test_nobody_at_risk_is_said_in_words(doc) -> None:
    doc["at_risk"] = []
    text = " ".join(shown(doc, 80).split())
    assert "At risk: P(alive) below 50%, most revenue first: No customer's P(alive) is " in text


def test_the_table_follows_the_locale(doc) -> None:
    text = shown(doc, 120, locale="de_DE")
    assert "48.250\xa0€" in text and "12,0\xa0%" in text and "30.06.2024" in text
    assert "α 4,414" in text


def test_escapes_and_markup_in_a_name_are_shown_as_text(doc) -> None:
    doc["customers"][1]["customer_id"] = "\x1b[31mRed\x1b]0;title\x07 [bold]Beta[/bold]"
    doc["at_risk"][0] = doc["customers"][1]["customer_id"]
    text = shown(doc, 120)
    assert "\x1b" not in text and "\x07" not in text
    assert "Red [bold]Beta[/bold]" in text


# --- CSV ---------------------------------------------------------------------------------------


def test_the_csv_has_a_row_per_customer_with_the_documents_numbers(doc) -> None:
    rows = list(csv.DictReader(io.StringIO(render.customers_csv(doc))))
    assert list(rows[0]) == [*doc["customers"][0], "at_risk"]
    assert len(rows) == len(doc["customers"])
    for row, c in zip(rows, doc["customers"], strict=True):
        for name, value in c.items():
            if name == "customer_id":
                continue
            assert (None if row[name] == "" else float(row[name])) == value, name
        assert row["at_risk"] == ("true" if c["customer_id"] in doc["at_risk"] else "false")


def test_no_csv_field_is_a_formula_and_hostile_names_stay_text(doc) -> None:
    fields = [f for row in csv.reader(io.StringIO(render.customers_csv(doc))) for f in row]
    for field in fields:
        if field.startswith(FORMULA_STARTS):
            float(field)  # only a negative number may start with a sign
    assert "'" + FORMULA in fields and SCRIPT in fields


# --- the workbook ------------------------------------------------------------------------------


def book(document: dict[str, Any], rejected: list[dict[str, Any]] = REJECTED, locale="plain"):
    data = render.customers_workbook_bytes(document, rejected, locale)
    return openpyxl.load_workbook(io.BytesIO(data))


def table(sheet: Any, head: int = render.HEAD) -> list[dict[str, Any]]:
    """A sheet's table as rows by heading."""
    heads = [c.value for c in sheet[head]]
    return [
        dict(zip(heads, row, strict=True))
        for row in sheet.iter_rows(min_row=head + 1, values_only=True)
        if row[0] is not None
    ]


def test_the_workbook_has_its_sheets_and_properties(doc) -> None:
    wb = book(doc)
    assert wb.sheetnames == ["Customers", "At risk", "By segment", "Holdout", "Model",
                             "Definitions", "Rejected rows", "Chart data"]  # fmt: skip
    assert wb["Chart data"].sheet_state == "hidden"
    assert wb.properties.title == "crm-roi customers: CLV by model, calibration end 2024-06-30"
    assert wb.properties.creator.startswith("crm-roi")
    bare = book(hand_made(holdout=False) | {"groups": {}}, [])
    assert bare.sheetnames == ["Customers", "At risk", "Model", "Definitions"]


def test_every_customer_is_a_row_of_numbers_the_most_clv_first(doc) -> None:
    rows = table(book(doc)["Customers"])
    assert [r["Customer"] for r in rows] == ["Beta GmbH", "Acme BV", "'" + FORMULA, "Delta Ltd",
                                            SCRIPT, "Epsilon SA", "Zeta & Co"]  # fmt: skip
    by_name = {c["customer_id"]: c for c in doc["customers"]}
    for row in rows:
        c = by_name[str(row["Customer"]).removeprefix("'")]
        assert row["Revenue to date"] == c["revenue_to_date"]
        assert row["P(alive)"] == c["p_alive"]
        assert row["Expected purchases, next 12 months"] == c["expected_purchases"]
        assert row["Weeks since last purchase"] == c["T"] - c["t_x"]
        assert isinstance(row["Last purchase"], datetime)
        assert row["At risk"] == ("yes" if c["customer_id"] in doc["at_risk"] else "no")
        for name in ("Revenue to date", "P(alive)", "Purchases", "Weeks since first purchase"):
            assert isinstance(row[name], int | float), name
    delta = next(r for r in rows if r["Customer"] == "Delta Ltd")
    assert delta["Mean repeat purchase"] == "–"  # bought once: no repeat purchase
    assert delta["Last purchase"] == datetime(2024, 2, 11)  # 20 weeks before the end


def test_p_alive_is_red_below_the_threshold(doc) -> None:
    sheet = book(doc)["Customers"]
    p_alive = [c.value for c in sheet[render.HEAD]].index("P(alive)") + 1
    letter = openpyxl.utils.get_column_letter(p_alive)
    rules = [(str(cf.sqref), rule) for cf in sheet.conditional_formatting for rule in cf.rules]
    assert rules, "no conditional formatting"
    (where, rule), *_ = rules
    first, last = render.HEAD + 1, render.HEAD + len(doc["customers"])
    assert where == f"{letter}{first}:{letter}{last}"
    assert (rule.type, rule.operator, rule.formula) == ("cellIs", "lessThan", ["0.5"])
    assert rule.dxf.fill is not None and rule.dxf.font.color.rgb.endswith("9C0006")


def test_the_at_risk_sheet_lists_them_the_most_revenue_first(doc) -> None:
    rows = table(book(doc)["At risk"])
    assert [r["Customer"] for r in rows] == ["Beta GmbH", "'" + FORMULA, SCRIPT, "Epsilon SA"]
    assert [r["Revenue to date"] for r in rows] == [48250, 12000, 9000, 1500]
    doc["at_risk"] = []
    sheet = book(doc)["At risk"]
    assert sheet.cell(render.HEAD + 1, 1).value == "No customer's P(alive) is below 50%."


def test_a_group_sheet_has_its_groups_totals_and_a_chart(doc) -> None:
    sheet = book(doc)["By segment"]
    rows = list(sheet.iter_rows(min_row=1, max_row=4, values_only=True))
    assert rows[0] == ("segment", "Customers", "Mean P(alive)", "CLV, next 12 months")
    assert rows[1] == ("SMB", 4, 0.405, 4320.46)
    assert rows[3][:2] == ("Total", 7) and rows[3][2:] == pytest.approx((3.69 / 7, 7530.46))
    assert len(sheet._charts) == 1 and sheet.conditional_formatting


def chart_xml(data: bytes) -> list[str]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return [z.read(n).decode() for n in sorted(z.namelist()) if n.startswith("xl/charts/")]


def test_the_holdout_sheet_has_the_totals_and_the_tracking_chart(doc) -> None:
    data = render.customers_workbook_bytes(doc, [], "plain")
    sheet = openpyxl.load_workbook(io.BytesIO(data))["Holdout"]
    values = {r[0]: r[1] for r in sheet.iter_rows(max_row=8, values_only=True) if r[0]}
    assert values["From"] == datetime(2024, 7, 1) and values["To"] == datetime(2024, 12, 29)
    assert values["Repeat purchases predicted"] == 9.4 and values["Repeat purchases made"] == 11
    assert values["Mean absolute error a customer"] == 0.8
    assert len(sheet._charts) == 1
    (tracking,) = [x for x in chart_xml(data) if "<c:lineChart>" in x or "<lineChart>" in x]
    assert tracking.count("<c:ser>") + tracking.count("<ser>") == 2
    assert "holdout after week 54" in tracking  # 80 weeks, the last 26 of them the holdout
    weekly = [r for r in sheet.iter_rows(values_only=True) if isinstance(r[0], int)]
    assert [r[0] for r in weekly] == doc["holdout"]["weeks"]
    assert [r[1] for r in weekly] == doc["holdout"]["predicted_cumulative"]


def test_the_model_sheet_says_what_the_model_is_and_holds_the_parameters(doc) -> None:
    sheet = book(doc)["Model"]
    text = " ".join(str(c.value) for row in sheet.iter_rows() for c in row if c.value)
    assert "repeat buying without a contract" in text
    assert "P(alive) is the chance that a customer still buys" in text
    assert "For subscriptions and contracts" in text and "churn rate" in text
    values = {(r[0], r[1]): r[2] for r in sheet.iter_rows(values_only=True) if r[0] and r[1]}
    assert values[("BG/NBD", "r")] == 0.243 and values[("Gamma-Gamma", "v")] == 15.44
    settings = {r[0]: r[1] for r in sheet.iter_rows(values_only=True) if r[0]}
    assert settings["Calibration end"] == datetime(2024, 6, 30)
    assert settings["Risk threshold (P(alive) below)"] == 0.5 and settings["At risk"] == 4


def test_no_cell_is_a_formula_and_hostile_names_stay_text(doc) -> None:
    wb = book(doc)
    values = [c.value for s in wb.worksheets for row in s.iter_rows() for c in row if c.value]
    assert not any(isinstance(v, str) and v.startswith("=") for v in values)
    assert "'" + FORMULA in values and SCRIPT in values
    rejected = list(wb["Rejected rows"].iter_rows(min_row=2, values_only=True))
    assert rejected == [("deals.csv", 7, "Amount", "n/a", "not an amount")]


def test_the_workbook_follows_the_locale(doc) -> None:
    sheet = book(doc, locale="de_DE")["Customers"]
    row = render.HEAD + 1
    formats = {sheet.cell(render.HEAD, c).value: sheet.cell(row, c).number_format
               for c in range(1, sheet.max_column + 1)}  # fmt: skip
    assert formats["Last purchase"] == "dd.mm.yyyy"
    assert "€" in formats["Revenue to date"] and '" "%' in formats["P(alive)"]


# --- the HTML page -----------------------------------------------------------------------------


class Tags(HTMLParser):
    """Every element of a page and its attributes, as a browser's tokenizer sees them."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))


def page(document: dict[str, Any], top: int = 20, locale: str = "plain") -> str:
    return render.customers_html(document, REJECTED, locale, top).decode("utf-8")


def test_the_page_has_no_script_and_no_url(doc) -> None:
    text = page(doc)
    elements = Tags(text).elements
    assert "script" not in {tag for tag, _ in elements} and "<script" not in text
    for tag, attrs in elements:
        assert "src" not in attrs and not any(a.startswith("on") for a in attrs), tag
        assert (attrs.get("href") or "#").startswith("#"), attrs
    assert not re.search(r"https?:|//[\w.-]+\.\w|url\(|@import", text)


def test_the_page_shows_the_cards_and_every_customer_at_risk(doc) -> None:
    text = page(doc)
    cards = re.findall(r'<div class="label">([^<]*)</div><div class="figure">([^<]*)</div>', text)
    assert dict(cards) == {
        "Customers": "7",
        "At risk": "4",
        "CLV, next 12 months": "€7,530",
        "Mean P(alive)": "52.7%",  # (0.82 + 0.12 + 0.3 + 0.05 + 1 + 0.45 + 0.95) ÷ 7
    }
    section = text[text.index('id="at-risk"') : text.index('id="top"')]
    names = re.findall(r'<td class="(?:key|text)">([^<]*)</td>', section)
    assert names == ["Beta GmbH", "=HYPERLINK(&quot;x&quot;)",
                     "&lt;script&gt;alert(1)&lt;/script&gt;", "Epsilon SA"]  # fmt: skip
    assert '<td class="num neg">12.0%</td>' in section  # P(alive) below the threshold: red
    assert "€48,250" in section and "2023-07-16" in section  # Beta's: 50 weeks before the end


def test_the_page_explains_the_model_and_when_it_fits(doc) -> None:
    text = page(doc)
    box = text[text.index('id="model"') : text.index('id="at-risk"')]
    assert "repeat buying without a contract" in box
    assert "use the churn rate (crm-roi compute) instead" in box


def test_the_page_draws_the_holdout_as_two_lines(doc) -> None:
    text = page(doc)
    section = text[text.index('<section id="holdout"') :]
    svg = section[section.index("<svg") : section.index("</svg>")]
    assert svg.count("<polyline") == 2 and 'stroke-dasharray="7 4"' in svg
    assert "calibration end at week 54" in svg
    assert '<td class="num">-15%</td>' in section.replace("−", "-")
    assert 'id="holdout"' not in page(hand_made(holdout=False))


def test_the_page_has_the_groups_and_top_limits_its_tables(doc) -> None:
    text = page(doc, top=2)
    group = text[text.index('id="group-1"') :]
    assert "<tfoot><tr><td>Total</td>" in group and "€7,530" in group
    assert "The first 2 of 4 customers at risk" in text
    assert "The first 2 of 7 customers" in text


def test_the_page_follows_the_locale(doc) -> None:
    text = page(doc, locale="de_DE")
    assert '<html lang="de-DE">' in text and "48.250\xa0€" in text and "30.06.2024" in text


# --- a breakdown across two dimensions ---------------------------------------------------------


def test_a_breakdown_of_two_dimensions_and_unknown_values_in_each_output(doc) -> None:
    doc["settings"]["by"] = ["segment,country"]
    doc["groups"] = {
        "segment,country": [
            {"segment": "SMB", "country": "NL", "customers": 2, "mean_p_alive": None, "clv": None},
            {"segment": "SMB", "country": "=1+1", "customers": 2, "mean_p_alive": 0.3,
             "clv": 100.0},
            {"segment": "Enterprise", "country": "<b>DE</b>", "customers": 3,
             "mean_p_alive": 0.69, "clv": 3210.0},
        ]
    }  # fmt: skip
    text = shown(doc, 80)
    assert re.search(r"│ SMB +│ NL +│ +2 │ +– │ +– │", text)
    assert re.search(r"│ Total +│ +│ +7 │ +53\.4% │ +€3,310 │", text)  # (0.6 + 2.07) ÷ 5 known
    sheet = book(doc)["By segment,country"]
    rows = list(sheet.iter_rows(min_row=1, max_row=5, values_only=True))
    assert rows[0][:2] == ("segment", "country") and rows[2][:2] == ("SMB", "'=1+1")
    assert rows[1][2:] == (2, "–", "–") and rows[4][:3] == ("Total", None, 7)
    html = page(doc)
    assert "&lt;b&gt;DE&lt;/b&gt;" in html and "<b>DE" not in html


def test_a_holdout_without_weeks_is_drawn_empty_not_an_error(doc) -> None:
    for key in ("weeks", "predicted_cumulative", "actual_cumulative"):
        doc["holdout"][key] = []
    assert len(book(doc)["Holdout"]._charts) == 1
    assert page(doc).count("<polyline") == 2


# --- through the command line ------------------------------------------------------------------


def simulated_exports(folder: Path, n: int = 300, seed: int = 7) -> tuple[Path, Path]:
    """Deals and customers as the BG/NBD model assumes them: each customer buys at a rate of
    its own (gamma) until, after a purchase, it stops (beta); spend by Gamma-Gamma. Seeded.
    Two customers named to do harm bought every week of early 2023 and never since: at risk,
    with more revenue than most, so every output lists them."""
    rnd = random.Random(seed)
    start, end = dt.date(2023, 1, 1), dt.date(2024, 12, 31)
    deals, customers = ["Deal ID,Customer,Amount,Stage,Close Date"], ["Customer ID,Segment"]
    k = 0
    for i in range(n):
        name = FORMULA if i == 5 else SCRIPT if i == 6 else f"Customer {i:03d}"
        quoted = '"' + name.replace('"', '""') + '"'
        segment = rnd.choice(["SMB", "SMB", "Mid-Market", "Enterprise"])
        customers.append(f"{quoted},{segment}")
        rate, drop = rnd.gammavariate(0.9, 1 / 6), rnd.betavariate(1.0, 3.0)
        mean = rnd.gammavariate(6.0, 150.0)
        day = start + dt.timedelta(days=rnd.randrange(0, 300))
        if name in (FORMULA, SCRIPT):
            rate, drop, mean, day = 1.0, 0.0, 20000.0, start
            end_of_buying = dt.date(2023, 5, 1)
        else:
            end_of_buying = end
        while day <= end_of_buying:
            k += 1
            amount = round(rnd.gammavariate(4.0, mean / 4), 2)
            deals.append(f"D{k:05d},{quoted},{amount},Won,{day.isoformat()}")
            if k > 1 and rnd.random() < drop:
                break
            day += dt.timedelta(days=max(1, round(rnd.expovariate(rate) * 7)))
    (folder / "deals.csv").write_text("\n".join(deals) + "\n", encoding="utf-8")
    (folder / "customers.csv").write_text("\n".join(customers) + "\n", encoding="utf-8")
    return folder / "deals.csv", folder / "customers.csv"


@pytest.fixture(scope="module")
def exports(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, ...]:
    deals, customers = simulated_exports(tmp_path_factory.mktemp("customers"))
    return (str(deals), "--customers", str(customers), "--by", "segment",
            "--calibration-end", "2024-06-30", "--holdout-to", "2024-12-31")  # fmt: skip


def run(*args: str, env: dict[str, str] | None = None) -> str:
    result = runner.invoke(app, ["customers", *args, "--quiet"], env=env)
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.fixture(scope="module")
def fitted(exports) -> dict[str, Any]:
    return json.loads(run(*exports, "--format", "json"))


def test_the_example_company_cannot_be_fitted_and_the_command_says_why() -> None:
    result = runner.invoke(
        app,
        ["customers", str(EXAMPLES / "deals.csv"), "--customers", str(EXAMPLES / "customers.csv"),
         "--quiet", "--format", "json"],
    )  # fmt: skip
    assert result.exit_code == 1
    assert "more of them buying again" in result.output


@pytest.mark.parametrize("columns", [60, 80, 120])
def test_the_commands_table_fits_and_shows_those_at_risk_whole(exports, fitted, columns) -> None:
    text = run(*exports, "--format", "table", env={"COLUMNS": str(columns)})
    lines = text.splitlines()
    assert all(cell_len(line) <= columns for line in lines), max(map(cell_len, lines))
    by_name = {c["customer_id"]: c for c in fitted["customers"]}
    rows = {
        cells[0]: cells
        for line in text.split("most valuable")[0].splitlines()
        if line.startswith("│")
        for cells in [[c.strip() for c in line.strip("│").split("│")]]
    }
    for name in fitted["at_risk"][:20]:
        assert rows[name][1] == money_text(by_name[name]["revenue_to_date"], None, "plain", False)
    assert f"… and {len(fitted['at_risk']) - 20} more" in text


def test_the_commands_csv_has_the_jsons_numbers(exports, fitted) -> None:
    rows = list(csv.DictReader(io.StringIO(run(*exports, "--format", "csv"))))
    assert len(rows) == len(fitted["customers"]) == 300
    risky = set(fitted["at_risk"])
    for row, c in zip(rows, fitted["customers"], strict=True):
        assert row["customer_id"] == ("'" + FORMULA if c["customer_id"] == FORMULA
                                      else c["customer_id"])  # fmt: skip
        for name in ("purchases", "t_x", "T", "revenue_to_date", "p_alive", "clv"):
            assert float(row[name]) == c[name], name
        assert row["at_risk"] == ("true" if c["customer_id"] in risky else "false")


@pytest.fixture(scope="module")
def files(exports, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("outputs")
    for suffix in ("xlsx", "html"):
        run(*exports, "--output", str(folder / f"customers.{suffix}"))
    return {suffix: folder / f"customers.{suffix}" for suffix in ("xlsx", "html")}


def test_the_commands_workbook_and_page(files, fitted) -> None:
    wb = openpyxl.load_workbook(files["xlsx"])
    assert wb.sheetnames[:4] == ["Customers", "At risk", "By segment", "Holdout"]
    rows = table(wb["Customers"])
    assert len(rows) == 300 and all(isinstance(r["P(alive)"], int | float) for r in rows)
    assert "'" + FORMULA in [r["Customer"] for r in rows]
    assert len(wb["Holdout"]._charts) == 1
    text = files["html"].read_text(encoding="utf-8")
    assert "<script" not in text and "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    for name in fitted["at_risk"][:20]:
        assert f">{html_text(name)}<" in text  # the formula and the script among them


# --- printed and in a browser ------------------------------------------------------------------


@needs_libreoffice
def test_printed_no_number_is_hashes_and_the_tracking_chart_is_on_one_page(files, tmp_path):
    pdf = print_to_pdf([files["xlsx"]], tmp_path)[files["xlsx"].stem]
    pages = pdf_pages(pdf)
    assert not any("###" in p for p in pages)
    assert "every customer, the most CLV first" in pages[0]
    holdout = [p for p in pages if "Holdout: the model against what happened" in p]
    assert len(holdout) == 1 and "Cumulative repeat purchases, made and predicted" in holdout[0]


HEADLESS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
]  # fmt: skip


def test_in_a_browser_the_page_builds_and_the_script_stays_text(files, tmp_path) -> None:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("Chromium is not installed")
    profile = tmp_path / f"profile-{time.monotonic_ns()}"
    dom = subprocess.run(
        [chromium, *HEADLESS, f"--user-data-dir={profile}", "--dump-dom", files["html"].as_uri()],
        capture_output=True, timeout=60, check=True,
    ).stdout.decode("utf-8")  # fmt: skip
    assert "<script" not in dom and "&lt;script&gt;alert(1)&lt;/script&gt;" in dom
    assert dom.count("<svg") == 2  # the CLV by segment, and the tracking chart


# --- the module's own examples -----------------------------------------------------------------


def test_the_docstring_examples_hold() -> None:
    result = doctest.testmod(render, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0 and result.attempted > 0


def test_the_renderers_leave_the_document_as_it_was(doc) -> None:
    before = deepcopy(doc)
    shown(doc, 80)
    render.customers_csv(doc)
    render.customers_workbook_bytes(doc, REJECTED, "plain")
    page(doc)
    assert doc == before

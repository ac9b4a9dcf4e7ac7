"""Reports people read follow their locale (issue 14, part 3): numbers, money and dates as
``--locale`` says, else as the environment's locale says (LC_ALL, LC_NUMERIC, LANG), else
plain. JSON and CSV stay machine-plain whatever the locale.

The example data's totals: revenue €1,967,717.69, ROI 215.8 %, LTV:CAC 10.3×, the window
2023-01-01 to 2024-12-31.
"""

from __future__ import annotations

import io
import subprocess
import sys

import openpyxl
import pytest
from typer.testing import CliRunner

from conftest import EXAMPLE_INPUTS
from crm_roi.cli import app
from crm_roi.render.locale import NUMBER_KINDS, day_text, locale_number_format

runner = CliRunner()
NBSP = "\xa0"
COMMANDS = ("validate", "inspect", "compute", "cohorts", "compare")


def compute(*args: str, env: dict[str, str] | None = None) -> str:
    result = runner.invoke(app, ["compute", *EXAMPLE_INPUTS, "-q", *args], env=env)
    assert result.exit_code == 0, result.output
    return result.stdout


def table(*args: str, env: dict[str, str] | None = None) -> str:
    return compute("--format", "table", *args, env=env)


# --- the terminal table, in four locales ------------------------------------------------------


@pytest.mark.parametrize(
    ("locale", "revenue", "roi", "times", "window"),
    [
        ("nl_NL", f"€{NBSP}1.967.717,69", "215,8%", "10,3×", "01-01-2023 → 31-12-2024"),
        ("de_DE", f"1.967.717,69{NBSP}€", f"215,8{NBSP}%", "10,3×", "01.01.2023 → 31.12.2024"),
        ("en_GB", "€1,967,717.69", "215.8%", "10.3×", "01/01/2023 → 31/12/2024"),
        ("en_US", "€1,967,717.69", "215.8%", "10.3×", "01/01/2023 → 12/31/2024"),
    ],
)
def test_the_table_writes_money_numbers_and_the_window_as_the_locale_does(
    locale: str, revenue: str, roi: str, times: str, window: str
) -> None:
    shown = table("--locale", locale)
    assert f"ROI {window}" in shown
    assert revenue in shown and roi in shown and times in shown


def test_dutch_money_below_zero_and_without_cents_in_a_breakdown() -> None:
    shown = table("--locale", "nl_NL", "--by", "channel")
    # The cost no channel carries: negative net return, whole euros in the breakdown table.
    assert f"€{NBSP}-82.109" in shown
    assert f"€{NBSP}82.109,46 of cost can't be attributed" in shown


def test_plain_is_iso_dates_and_the_decimal_point() -> None:
    shown = table("--locale", "plain")
    assert "ROI 2023-01-01 → 2024-12-31" in shown
    assert "€1,967,717.69" in shown and "215.8%" in shown


# --- the default: the environment's locale, else plain ------------------------------------------


def test_the_default_locale_is_the_environments_lang() -> None:
    shown = table(env={"LANG": "nl_NL.UTF-8"})
    assert "ROI 01-01-2023 → 31-12-2024" in shown
    assert f"€{NBSP}1.967.717,69" in shown


def test_lc_all_then_lc_numeric_then_lang() -> None:
    german = table(env={"LC_ALL": "de_DE.UTF-8", "LC_NUMERIC": "en_GB.UTF-8", "LANG": "nl_NL"})
    assert f"1.967.717,69{NBSP}€" in german
    british = table(env={"LC_NUMERIC": "en_GB.UTF-8", "LANG": "nl_NL.UTF-8"})
    assert "ROI 01/01/2023 → 31/12/2024" in british


@pytest.mark.parametrize("lang", ["C.UTF-8", "POSIX", "C", "", "xx_YY.UTF-8"])
def test_no_locale_or_one_babel_doesnt_know_in_the_environment_is_plain(lang: str) -> None:
    shown = table(env={"LANG": lang})
    assert "ROI 2023-01-01 → 2024-12-31" in shown


def test_the_locale_option_wins_over_the_environment() -> None:
    shown = table("--locale", "en_US", env={"LC_ALL": "de_DE.UTF-8"})
    assert "ROI 01/01/2023 → 12/31/2024" in shown


def test_the_environment_locale_in_a_real_run() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "crm_roi", "compute", *EXAMPLE_INPUTS, "--format", "table", "-q"],
        capture_output=True, text=True, check=False,
        env={"LANG": "de_DE.UTF-8", "PYTHONIOENCODING": "utf-8", "PATH": ""},
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert "ROI 01.01.2023 → 31.12.2024" in run.stdout


# --- Markdown ----------------------------------------------------------------------------------


def test_markdown_in_dutch() -> None:
    shown = compute("--format", "markdown", "--locale", "nl_NL", "--by", "channel")
    assert shown.startswith("# crm-roi report (01-01-2023 to 31-12-2024, EUR)")
    totals = shown.split("## Totals", 1)[1].split("\n")[4]
    assert totals.startswith(f"|  | €{NBSP}1.967.717,69 | 135 | 90 | 75 | 60,0% |")
    assert "| 215,8% |" in totals and "| 10,3× | 7,2 months |" in totals
    assert "|---|---:|" in shown  # figures right-aligned


def test_markdown_in_american() -> None:
    shown = compute("--format", "markdown", "--locale", "en_US")
    assert shown.startswith("# crm-roi report (01/01/2023 to 12/31/2024, EUR)")
    assert "| €1,967,717.69 |" in shown and "| 215.8% |" in shown


# --- machine formats stay plain ----------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_json_and_csv_are_the_same_whatever_the_locale(fmt: str) -> None:
    plain = compute("--format", fmt, "--by", "channel")
    for locale in ("nl_NL", "de_DE", "en_GB", "en_US"):
        assert compute("--format", fmt, "--by", "channel", "--locale", locale) == plain
    assert compute("--format", fmt, "--by", "channel", env={"LC_ALL": "de_DE.UTF-8"}) == plain
    assert "1967717.69" in plain


@pytest.mark.parametrize("command", ["cohorts", "compare"])
def test_cohort_and_comparison_json_and_csv_ignore_the_locale(command: str) -> None:
    extra = ["--go-live", "2024-01-01"] if command == "compare" else []
    for fmt in ("json", "csv"):
        args = [command, *EXAMPLE_INPUTS, *extra, "--format", fmt, "-q"]
        plain = runner.invoke(app, args)
        dutch = runner.invoke(app, [*args, "--locale", "nl_NL"])
        assert plain.exit_code == dutch.exit_code == 0, plain.output
        assert dutch.stdout == plain.stdout


# --- every command has it ----------------------------------------------------------------------


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_takes_a_locale_and_refuses_an_unknown_one(command: str) -> None:
    help_text = runner.invoke(app, [command, "--help"]).stdout
    assert "--locale LOCALE" in help_text
    extra = ["--go-live", "2024-01-01"] if command == "compare" else []
    args = [command, EXAMPLE_INPUTS[0], *extra, "--locale", "xx_YY"]
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: --locale xx_YY: unknown locale")


def test_comparison_headings_and_changes_in_dutch() -> None:
    result = runner.invoke(
        app,
        ["compare", *EXAMPLE_INPUTS, "--go-live", "2024-01-01", "--months", "6",
         "--format", "table", "--locale", "nl_NL", "-q"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "01-07-2023 → 31-12-2023" in result.stdout
    assert "01-01-2024 → 30-06-2024" in result.stdout
    assert "590.351,75" in result.stdout and "6,6 pt" in result.stdout


def test_cohort_heading_and_amounts_in_german() -> None:
    result = runner.invoke(
        app, ["cohorts", *EXAMPLE_INPUTS, "--format", "table", "--locale", "de_DE", "-q"]
    )
    assert result.exit_code == 0, result.output
    assert "01.01.2023 → 31.12.2024" in result.stdout
    assert "8,2k" in result.stdout  # the first cohort's 8,245.90 per customer


def test_inspect_shows_parsed_dates_and_amounts_in_the_locale() -> None:
    result = runner.invoke(app, ["inspect", EXAMPLE_INPUTS[0], "--locale", "de_DE", "--rows", "1"])
    assert result.exit_code == 0, result.output
    assert "8.245,90" in result.stdout and "17.01.2023" in result.stdout
    plain = runner.invoke(app, ["inspect", EXAMPLE_INPUTS[0], "--rows", "1"]).stdout
    assert "8,245.90" in plain and "2023-01-17" in plain


def test_validate_counts_rows_in_the_locale(tmp_path) -> None:
    rows = ["id,amount,stage,close date"] + [f"D{i},10,won,2024-01-01" for i in range(1200)]
    deals = tmp_path / "deals.csv"
    deals.write_text("\n".join(rows) + "\n", encoding="utf-8")
    result = runner.invoke(app, ["validate", str(deals), "--locale", "nl_NL"])
    assert result.exit_code == 0, result.output
    assert "1.200 rows, 1.200 used" in result.stdout


# --- the workbook's number formats (render/locale.py, for render/excel.py) ----------------------


@pytest.mark.parametrize(
    ("locale", "money", "date"),
    [
        ("nl_NL", '"€ "#,##0.00;"€ "-#,##0.00', "dd-mm-yyyy"),
        ("de_DE", '#,##0.00" €"', "dd.mm.yyyy"),
        ("en_GB", '"€"#,##0.00', "dd/mm/yyyy"),
        ("en_US", '"€"#,##0.00', "mm/dd/yyyy"),
        ("plain", '"€"#,##0.00', "yyyy-mm-dd"),
    ],
)
def test_workbook_formats_put_the_symbol_and_the_date_parts_where_the_locale_does(
    locale: str, money: str, date: str
) -> None:
    assert locale_number_format(locale, "money", "EUR") == money
    assert locale_number_format(locale, "date") == date


@pytest.mark.parametrize("locale", ["nl_NL", "de_DE", "en_GB", "en_US", "plain", "ja_JP"])
def test_every_workbook_format_survives_a_workbook(locale: str) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row, kind in enumerate(NUMBER_KINDS, start=1):
        cell = sheet.cell(row=row, column=1, value=1234.5)
        cell.number_format = locale_number_format(locale, kind, "EUR")
    buffer = io.BytesIO()
    book.save(buffer)
    read = openpyxl.load_workbook(io.BytesIO(buffer.getvalue())).active
    assert read is not None
    formats = [read.cell(row=r, column=1).number_format for r in range(1, len(NUMBER_KINDS) + 1)]
    assert formats == [locale_number_format(locale, k, "EUR") for k in NUMBER_KINDS]


def test_dates_keep_four_digit_years_and_two_digit_days_and_months() -> None:
    assert day_text("2024-03-09", "de_DE") == "09.03.2024"  # CLDR's short date says 09.03.24
    assert day_text("2024-03-09", "en_US") == "03/09/2024"  # and 3/9/24


# --- the workbooks themselves follow --locale -----------------------------------------------------


def workbook(tmp_path, locale: str) -> openpyxl.Workbook:
    path = tmp_path / f"report-{locale}.xlsx"
    compute("--by", "channel", "--by", "month", "--locale", locale, "--output", str(path))
    return openpyxl.load_workbook(path)


def formats(book: openpyxl.Workbook, sheet: str) -> set[str]:
    return {c.number_format for row in book[sheet].iter_rows() for c in row if c.value is not None}


@pytest.mark.parametrize(
    ("locale", "money", "date"),
    [
        ("nl_NL", '"€ "#,##0.00;"€ "-#,##0.00', "dd-mm-yyyy"),
        ("de_DE", '#,##0.00" €"', "dd.mm.yyyy"),
        ("plain", "€ #,##0.00;€ -#,##0.00", "yyyy-mm-dd"),
    ],
)
def test_the_compute_workbook_places_the_symbol_and_orders_dates_as_the_locale_does(
    tmp_path, locale: str, money: str, date: str
) -> None:
    book = workbook(tmp_path, locale)
    summary = book["Summary"]
    assert summary["B2"].number_format == summary["D2"].number_format == date  # the window
    assert summary["B3"].number_format.startswith(f"{date} hh:mm")  # generated
    for sheet in ("Summary", "By channel", "By month (details)"):
        assert money in formats(book, sheet), sheet
        others = {f for f in formats(book, sheet) if "€" in f}
        assert others == {money}, sheet
    assert book["By month"]["A2"].number_format == "mmm yyyy"  # a real date, as before


def test_the_plain_workbook_is_the_one_without_a_locale(tmp_path) -> None:
    """``--locale plain`` writes what crm-roi wrote before the workbook had locales."""
    plain = workbook(tmp_path, "plain")
    result = runner.invoke(
        app,
        ["compute", *EXAMPLE_INPUTS, "-q", "--by", "channel", "--by", "month",
         "--output", str(tmp_path / "default.xlsx")],
        env={"LC_ALL": "C", "LC_NUMERIC": "", "LANG": "C"},
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    default = openpyxl.load_workbook(tmp_path / "default.xlsx")
    for sheet in plain.sheetnames:
        if sheet == "Summary":
            continue  # the time it was generated differs
        cells = [(c.value, c.number_format) for r in plain[sheet].iter_rows() for c in r]
        assert cells == [(c.value, c.number_format) for r in default[sheet].iter_rows() for c in r]
    assert "€ #,##0.00;€ -#,##0.00" in formats(plain, "Summary")
    assert plain["Summary"]["B2"].number_format == "yyyy-mm-dd"

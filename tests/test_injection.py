"""Text from the inputs is shown, never acted on (issue 12).

A channel, header, value or file name may hold HTML, a formula, a Markdown table separator, a
line break, a terminal escape sequence, Rich markup or a control character XML can't hold.
Each test writes a small hostile export in code and runs the command line as a user does; it
checks the exact neutralised text in the output.
"""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from crm_roi.cli import app
from crm_roi.engine.figures import FIELDS, LEAD_FIELDS

runner = CliRunner()

# Channel names an attacker (or an unlucky import) can put in a CRM's lead-source field.
SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
FORMULA = '=HYPERLINK("http://x","y")'
PIPE = "a|b"
NEWLINE = "line1\nline2"
CARRIAGE = "cr\rforged"
ANSI = "\x1b[31mred"
MARKUP = "[bold]x[/bold]"
VTAB = "v\x0bt"
HOSTILE = (SCRIPT, IMG, FORMULA, PIPE, NEWLINE, CARRIAGE, ANSI, MARKUP, VTAB)
HEADER = ["Deal ID", "Company", "Amount", "Currency", "Stage", "Create Date", "Close Date",
          "Lead Source"]  # fmt: skip


def deals_file(
    tmp_path: Path, channels: tuple[str, ...] = HOSTILE, name: str = "deals.csv"
) -> Path:
    """One won deal of 1,000 EUR per channel, closed in January 2024 (csv quotes the breaks)."""
    path = tmp_path / name
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for i, channel in enumerate(channels, start=1):
            writer.writerow([f"D{i}", f"Customer {i}", "1000", "EUR", "Closed Won", "2024-01-02",
                             "2024-01-20", channel])  # fmt: skip
    return path


def compute(*args: str) -> str:
    result = runner.invoke(app, ["compute", *args, "--by", "channel", "--quiet"])
    assert result.exit_code == 0, result.output
    return result.stdout


# --- Markdown -------------------------------------------------------------------------------


def test_markdown_escapes_html_in_group_keys(tmp_path: Path) -> None:
    out = compute(str(deals_file(tmp_path)), "--format", "markdown")
    assert "| &lt;script&gt;alert(1)&lt;/script&gt; |" in out
    assert "| &lt;img src=x onerror=alert(1)&gt; |" in out
    assert "<script>" not in out and "<img" not in out


def test_markdown_neutralises_formulas_like_csv(tmp_path: Path) -> None:
    out = compute(str(deals_file(tmp_path)), "--format", "markdown")
    assert '| \'=HYPERLINK("http://x","y") |' in out


def test_markdown_keeps_every_group_on_one_row_of_its_table(tmp_path: Path) -> None:
    out = compute(str(deals_file(tmp_path)), "--format", "markdown")
    assert "| a\\|b |" in out
    assert "| line1 line2 |" in out
    assert "| cr forged |" in out
    assert "\r" not in out
    table = [line for line in out.split("\n") if line.startswith("|")]
    # Every row of a table has as many unescaped | as its header: key and every figure.
    bars = {len(re.findall(r"(?<!\\)\|", line)) for line in table}
    assert bars == {1 + len(FIELDS) - len(LEAD_FIELDS) + 1}  # lead figures only with --leads
    # Totals (1 row) and By channel (9 groups), each under a header and a --- line.
    assert len(table) == 2 + 1 + 2 + len(HOSTILE)


def test_markdown_shows_markdown_syntax_and_controls_as_text(tmp_path: Path) -> None:
    out = compute(str(deals_file(tmp_path)), "--format", "markdown")
    assert "| \\[bold\\]x\\[/bold\\] |" in out  # no link, no emphasis
    assert "| red |" in out  # the colour sequence is gone
    assert "| v t |" in out  # the vertical tab is a space
    assert "\x1b" not in out and "\x0b" not in out


def test_markdown_in_a_real_run_writes_the_escaped_file(tmp_path: Path) -> None:
    deals = deals_file(tmp_path, (SCRIPT, PIPE))
    report = tmp_path / "report.md"
    run = subprocess.run(
        [sys.executable, "-m", "crm_roi", "compute", str(deals), "--by", "channel", "-q",
         "--output", str(report)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    text = report.read_text(encoding="utf-8")
    assert "| &lt;script&gt;alert(1)&lt;/script&gt; |" in text and "<script>" not in text
    assert "| a\\|b |" in text


# --- CSV ------------------------------------------------------------------------------------


def test_csv_quotes_values_with_cr_or_lf_so_every_group_reads_back_as_one_row(
    tmp_path: Path,
) -> None:
    out = compute(str(deals_file(tmp_path)), "--format", "csv")
    assert '"line1\nline2"' in out
    assert '"cr\rforged"' in out  # a lone CR is quoted too (csv only quotes its terminator)
    rows = list(csv.reader(io.StringIO(out, newline="")))
    keys = [row[1] for row in rows if row[0] == "channel"]
    assert sorted(keys) == sorted(["'" + FORMULA if k == FORMULA else k for k in HOSTILE])
    assert all(len(row) == len(rows[0]) for row in rows)


def test_compare_csv_quotes_values_with_cr_or_lf(tmp_path: Path) -> None:
    deals = deals_file(tmp_path, (CARRIAGE, FORMULA))
    result = runner.invoke(
        app,
        ["compare", str(deals), "--baseline", "2023-01-01:2023-12-31",
         "--current", "2024-01-01:2024-12-31", "--by", "channel", "--format", "csv", "-q"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(result.stdout, newline="")))
    assert {row[1] for row in rows if row[0] == "channel"} == {CARRIAGE, "'" + FORMULA}
    assert all(len(row) == 7 for row in rows)


# --- the terminal ---------------------------------------------------------------------------


def test_terminal_table_strips_escape_sequences_and_control_characters(tmp_path: Path) -> None:
    out = compute(str(deals_file(tmp_path)), "--format", "table")
    for control in ("\x1b", "\x07", "\x0b", "\r"):
        assert control not in out, repr(control)
    assert "│ red " in out
    assert "│ line1 line2 " in out
    assert "│ v t " in out


def test_terminal_table_prints_rich_markup_from_the_data_literally(tmp_path: Path) -> None:
    out = compute(str(deals_file(tmp_path)), "--format", "table")
    assert "│ [bold]x[/bold] " in out
    assert f"│ {SCRIPT} " in out


def test_compare_table_prints_keys_literally_without_controls(tmp_path: Path) -> None:
    deals = deals_file(tmp_path, (MARKUP, ANSI))
    result = runner.invoke(
        app,
        ["compare", str(deals), "--go-live", "2024-01-01", "--months", "1", "--by", "channel",
         "--format", "table", "-q"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "│ [bold]x[/bold] " in result.stdout
    assert "│ red " in result.stdout
    assert "\x1b" not in result.stdout


def test_validate_and_inspect_show_hostile_headers_and_values_literally(tmp_path: Path) -> None:
    path = tmp_path / "deals.csv"
    path.write_text(
        "Deal ID,Amount,Stage,Close Date,[bold]Region[/bold]\x1b[2J\n"
        'D1,1000,Won,2024-01-05,"[red]North[/red]\x07"\n'
        "D2,\x1b]0;pwned\x07,Won,2024-01-06,South\n",
        encoding="utf-8",
    )
    checked = runner.invoke(app, ["validate", str(path)])
    assert checked.exit_code == 1, checked.output  # D2's amount is not an amount
    assert "[bold]Region[/bold]" in checked.stdout
    assert "Amount: '\\x1b]0;pwned\\x07' is not an amount" in checked.stdout
    shown = runner.invoke(app, ["inspect", str(path), "--kind", "deals"])
    assert shown.exit_code == 0, shown.output
    assert "[red]North[/red]" in shown.stdout
    for out in (checked.stdout, shown.stdout):
        assert "\x1b" not in out and "\x07" not in out


# --- stderr ---------------------------------------------------------------------------------


def test_a_file_name_with_a_line_break_cannot_forge_an_error_line(tmp_path: Path) -> None:
    missing = tmp_path / "deals\nError: forged.csv"
    result = runner.invoke(app, ["compute", str(missing), "--format", "json"])
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ")
    assert "deals\\nError: forged.csv" in lines[0]


def test_strict_lists_rejected_rows_one_line_each(tmp_path: Path) -> None:
    path = tmp_path / "deals\nError: forged.csv"
    path.write_text(
        "Deal ID,Amount,Stage,Close Date\nD1,1000,Won,2024-01-05\nD2,lots,Won,2024-01-06\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["compute", str(path), "--strict", "--format", "json"])
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert [line for line in lines if line.startswith("Error:")] == [
        "Error: 1 rows rejected and --strict given: nothing computed"
    ]
    assert lines[0] == f"{tmp_path}/deals\\nError: forged.csv:3: Amount: 'lots' is not an amount"


# --- Excel ----------------------------------------------------------------------------------


def test_xlsx_is_written_when_a_value_holds_a_control_character(tmp_path: Path) -> None:
    deals = deals_file(tmp_path)
    with deals.open("a", encoding="utf-8", newline="") as handle:
        handle.write("D99,Customer 99,12\x0b34,EUR,Closed Won,2024-01-02,2024-01-20,Web\n")
    report = tmp_path / "report.xlsx"
    result = runner.invoke(
        app, ["compute", str(deals), "--by", "channel", "--output", str(report), "-q"]
    )
    assert result.exit_code == 0, result.output
    book = openpyxl.load_workbook(report)
    keys = {book["By channel"].cell(r, 1).value for r in range(2, len(HOSTILE) + 2)}
    assert {"vt", "red", "'" + FORMULA, SCRIPT, NEWLINE, MARKUP} <= keys
    rejected = [[c.value for c in row] for row in book["Rejected rows"].iter_rows(min_row=2)]
    assert [r[1:4] for r in rejected] == [[len(HOSTILE) + 2, "Amount", "1234"]]
    assert rejected[0][4] == "'12\\x0b34' is not an amount"


def test_cohorts_and_compare_workbooks_are_written_from_hostile_keys(tmp_path: Path) -> None:
    deals = deals_file(tmp_path)
    for command in (
        ["cohorts", str(deals)],
        ["compare", str(deals), "--go-live", "2024-01-10", "--months", "1", "--by", "channel"],
    ):
        report = tmp_path / f"{command[0]}.xlsx"
        result = runner.invoke(app, [*command, "--output", str(report), "-q"])
        assert result.exit_code == 0, result.output
        assert openpyxl.load_workbook(report).sheetnames


# --- currency -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "code", ["<script>", "=cmd|' /C calc'!A0", "X" * 40, "EU\nR", "E1R", "EURO2"]
)
def test_a_currency_that_is_not_three_letters_rejects_its_row(tmp_path: Path, code: str) -> None:
    path = tmp_path / "deals.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Deal ID", "Amount", "Currency", "Stage", "Close Date"])
        writer.writerow(["D1", "1000", "eur", "Won", "2024-01-05"])
        writer.writerow(["D2", "500", code, "Won", "2024-01-06"])
    result = runner.invoke(app, ["compute", str(path), "--format", "json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["currency"] == "EUR"
    assert report["totals"]["revenue"] == 1000.0  # D2 is left out
    reason = f"{code!r} is not a currency code (three letters, e.g. EUR)"
    assert f"deals.csv:3: Currency: {reason}" in report["warnings"][0]
    checked = runner.invoke(app, ["validate", str(path), "--format", "json"])
    assert checked.exit_code == 1
    rejected = json.loads(checked.stdout)["inputs"][0]["rejected_rows"]
    assert [(r["row"], r["reason"]) for r in rejected] == [(3, reason)]


def test_currency_names_and_symbols_still_read_as_codes(tmp_path: Path) -> None:
    path = tmp_path / "deals.csv"
    path.write_text(
        "Deal ID,Amount,Currency,Stage,Close Date\n"
        "D1,1000,€,Won,2024-01-05\nD2,500,Euro,Won,2024-01-06\nD3,250,eur,Won,2024-01-07\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["compute", str(path), "--format", "json", "-q"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert (report["currency"], report["totals"]["revenue"]) == ("EUR", 1750.0)

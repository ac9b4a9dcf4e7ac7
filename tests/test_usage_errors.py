"""A bad option value is a usage error: exit 2 and one `Error:` line naming the option, never
"unexpected … (a bug)" and never a run that silently ignores it (issue 12).

Typer reads ``nan`` and ``inf`` as floats, and Python's Decimal reads ``NaN``, ``Infinity``
and ``1e308``: each must be refused before anything is read.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import EXAMPLE_INPUTS
from crm_roi.cli import app

runner = CliRunner()


def refused(args: list[str], option: str) -> str:
    """Run ``args``; assert a usage error naming ``option``; return its Error: line."""
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, result.stderr
    assert option in errors[0]
    assert "a bug" not in result.stderr
    return errors[0]


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--hourly-rate", "NaN"),
        ("--hourly-rate", "inf"),
        ("--hourly-rate", "1e308"),
        ("--lifespan", "inf"),
        ("--lifespan", "nan"),
        ("--lifespan", "-1"),
        ("--lifespan", "1e308"),
        ("--max-lifespan", "inf"),
        ("--max-lifespan", "nan"),
        ("--max-lifespan", "-1"),
        ("--gross-margin", "nan"),
        ("--gross-margin", "inf"),
        ("--fail-under-roi", "nan"),
        ("--fail-under-roi", "inf"),
        ("--fail-under-roi", "-inf"),
        ("--churn-after", "-5"),
        ("--churn-after", "36501"),
        ("--locale", "xx_YY"),
        ("--currency", "<script>"),
        ("--currency", "=cmd|' /C calc'!A0"),
        ("--currency", "E" * 40),
        ("--currency", "EU\nR"),
    ],
)
def test_a_bad_number_or_code_for_compute_is_a_usage_error(option: str, value: str) -> None:
    refused(["compute", *EXAMPLE_INPUTS, option, value, "--format", "json"], option)


def test_fail_under_roi_nan_is_refused_rather_than_never_firing() -> None:
    line = refused(["compute", *EXAMPLE_INPUTS, "--fail-under-roi", "nan", "-q"], "")
    assert line == "Error: --fail-under-roi nan: not a finite number; give a percentage, e.g. 120"


def test_an_unknown_locale_is_named() -> None:
    line = refused(["compute", *EXAMPLE_INPUTS, "--locale", "xx_YY", "--format", "json"], "")
    assert line == (
        "Error: --locale xx_YY: unknown locale (give language_COUNTRY, e.g. en_US, nl_NL, de_DE, "
        "or plain)"
    )


def test_currency_option_must_be_three_letters_and_is_upper_cased(tmp_path: Path) -> None:
    line = refused(["compute", *EXAMPLE_INPUTS, "--currency", "<b>", "--format", "json"], "")
    assert line == "Error: --currency '<b>': give a three-letter currency code, e.g. EUR"
    lower = runner.invoke(
        app, ["compute", *EXAMPLE_INPUTS, "--currency", "eur", "--format", "json", "-q"]
    )
    assert lower.exit_code == 0, lower.output
    assert '"currency": "EUR"' in lower.stdout


@pytest.mark.parametrize("command", ["cohorts", "compare"])
def test_cohorts_and_compare_refuse_a_hostile_currency_too(command: str) -> None:
    windows = ["--go-live", "2024-01-01"] if command == "compare" else []
    refused([command, *EXAMPLE_INPUTS, *windows, "--currency", "<script>"], "--currency")


@pytest.mark.parametrize("rate", ["NaN", "Infinity", "sNaN", "1e308", "0", "-1.5"])
def test_a_rate_that_is_not_a_positive_finite_number_is_a_usage_error(
    tmp_path: Path, rate: str
) -> None:
    rates = tmp_path / "rates.csv"
    rates.write_text(f"currency,rate\nUSD,{rate}\n", encoding="utf-8")
    line = refused(
        ["compute", *EXAMPLE_INPUTS, "--currency", "EUR", "--rates", str(rates), "-q"], "--rates"
    )
    assert line == (
        f"Error: --rates {rates}:2: {rate!r}: a rate must be a positive number up to "
        "1,000,000,000 (units of the report currency per unit)"
    )


def test_a_rates_file_currency_must_be_a_code(tmp_path: Path) -> None:
    rates = tmp_path / "rates.csv"
    rates.write_text("currency,rate\n<script>,1.1\n", encoding="utf-8")
    line = refused(
        ["compute", *EXAMPLE_INPUTS, "--currency", "EUR", "--rates", str(rates), "-q"], "--rates"
    )
    assert line.endswith(":2: '<script>' is not a currency code (three letters, e.g. USD)")


@pytest.mark.parametrize("months", ["0", "601", "100000"])
def test_compare_months_is_bounded(months: str) -> None:
    refused(["compare", *EXAMPLE_INPUTS, "--go-live", "2024-01-01", "--months", months], "--months")


@pytest.mark.parametrize("command", ["validate", "inspect"])
def test_validate_and_inspect_refuse_a_non_finite_hourly_rate(command: str) -> None:
    line = refused([command, EXAMPLE_INPUTS[0], "--hourly-rate", "NaN"], "--hourly-rate")
    assert line == "Error: --hourly-rate 'NaN' is not a number (e.g. 75.00)"


def test_a_usage_error_in_a_real_run_is_one_line_and_exit_2() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "crm_roi", "compute", *EXAMPLE_INPUTS, "--lifespan", "inf"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert run.returncode == 2
    assert run.stdout == ""
    errors = [line for line in run.stderr.splitlines() if line.startswith("Error:")]
    assert errors == ["Error: Invalid value for '--lifespan': Input should be less than or equal "
                      "to 1000"]  # fmt: skip


# --- the CLI framework's own usage errors: one line too (issue 14, part 5) ---------------------
DEALS = EXAMPLE_INPUTS[0]
FRAMEWORK_ERRORS = {
    "unknown option": (
        ["compute", DEALS, "--formt", "json"],
        "Error: No such option: --formt (Possible options: --format, --from)",
    ),
    "missing argument": (
        ["compute"],
        "Error: Missing argument 'DEALS'. Usage: crm-roi compute [OPTIONS] {DEALS} [COSTS]",
    ),
    "bad choice": (
        ["compute", DEALS, "--allocate", "spread"],
        "Error: Invalid value for '--allocate': 'spread' is not one of 'none', 'revenue', "
        "'deals', 'even'.",
    ),
    "bad number": (
        ["cohorts", DEALS, "--gross-margin", "most"],
        "Error: Invalid value for '--gross-margin': Input should be a valid number, unable to "
        "parse string as a number",
    ),
    "unknown command": (["comptue", DEALS], "Error: No such command 'comptue'. Did you mean "
                        "'compute', 'compare'?"),
    "--by with a typo": (
        ["compute", *EXAMPLE_INPUTS, "--by", "chanel"],
        "Error: --by chanel: no input has such a field or column; did you mean channel? "
        "(dimensions: deal_id, customer_id, channel, campaign, owner, product, currency, "
        "Deal Name, segment, country, industry, category, type, Description, person, role, "
        "activity, month, quarter, year, cohort)",
    ),
}  # fmt: skip


def one_error_line(stdout: str, stderr: str, code: int) -> str:
    """A usage error: exit 2, nothing on stdout, one line on stderr: returned."""
    assert code == 2, stderr
    assert stdout == ""
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("Error: ")
    return lines[0]


@pytest.mark.parametrize("case", FRAMEWORK_ERRORS)
def test_every_usage_error_is_one_line_that_says_what_to_do(case: str) -> None:
    args, line = FRAMEWORK_ERRORS[case]
    result = runner.invoke(app, [*args, "-q"] if "--by" in args else args)
    assert one_error_line(result.stdout, result.stderr, result.exit_code) == line


@pytest.mark.parametrize("case", FRAMEWORK_ERRORS)
def test_every_usage_error_is_one_line_in_a_real_run_too(case: str) -> None:
    args, line = FRAMEWORK_ERRORS[case]
    run = subprocess.run(
        [sys.executable, "-m", "crm_roi", *args, "-q"], capture_output=True, text=True,
        check=False, env={"TERM": "xterm", "COLUMNS": "80", "PATH": "", "LANG": "C.UTF-8"},
    )  # fmt: skip
    said = one_error_line(run.stdout, run.stderr, run.returncode)
    assert said.replace("python -m crm_roi", "crm-roi") == line  # the program as it was run


def test_an_unknown_option_with_nothing_like_it_says_where_help_is() -> None:
    result = runner.invoke(app, ["validate", DEALS, "--zzz"])
    line = one_error_line(result.stdout, result.stderr, result.exit_code)
    assert line == "Error: No such option: --zzz; try 'crm-roi validate --help'"


def test_a_by_naming_nothing_close_lists_the_dimensions() -> None:
    result = runner.invoke(app, ["compute", DEALS, "--by", "zzz", "-q"])
    line = one_error_line(result.stdout, result.stderr, result.exit_code)
    assert line.startswith("Error: --by zzz: no input has such a field or column (dimensions: ")
    assert line.endswith(", month, quarter, year, cohort)")
    assert "did you mean" not in line


def test_a_by_typo_of_a_files_own_header_suggests_its_field(tmp_path: Path) -> None:
    deals = tmp_path / "deals.csv"
    deals.write_text("id,amount,stage,close date,Lead Source\nD1,10,won,2024-01-01,Web\n")
    result = runner.invoke(app, ["compute", str(deals), "--by", "Lead Sorce", "-q"])
    line = one_error_line(result.stdout, result.stderr, result.exit_code)
    assert "did you mean channel?" in line


# --- help: -h, examples, plain value names ------------------------------------------------------
COMMANDS = ("validate", "inspect", "compute", "cohorts", "compare")


@pytest.mark.parametrize("command", COMMANDS)
def test_dash_h_is_help_with_examples_and_plain_value_names(command: str) -> None:
    short, long = runner.invoke(app, [command, "-h"]), runner.invoke(app, [command, "--help"])
    assert short.exit_code == long.exit_code == 0
    assert short.stdout == long.stdout
    assert "-h, --help" in short.stdout
    examples = short.stdout.split("Examples:", 1)[1]
    assert f"crm-roi {command} deals.csv" in examples or f"crm-roi {command} " in examples
    assert "<str>" not in short.stdout and "<list[str]>" not in short.stdout
    assert "<float range>" not in short.stdout and "<int range>" not in short.stdout


def test_compute_help_names_the_values() -> None:
    shown = runner.invoke(app, ["compute", "-h"]).stdout
    named = ["--by DIM", "--from DATE", "--currency CODE", "--locale LOCALE", "--output FILE",
             "--gross-margin SHARE", "--fail-under-roi PERCENT"]  # fmt: skip
    for option in named:
        assert option in shown, option


def test_dash_h_in_a_real_run() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "crm_roi", "compute", "-h"], capture_output=True, text=True,
        check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("Usage: python -m crm_roi compute [OPTIONS] {DEALS} [COSTS]")
    assert "Examples:" in run.stdout and run.stderr == ""


def test_the_app_alone_still_shows_its_help() -> None:
    result = runner.invoke(app, [])
    assert result.exit_code == 2
    assert "Usage: crm-roi [OPTIONS] COMMAND [ARGS]..." in result.output
    assert "compute" in result.output

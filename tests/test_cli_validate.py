"""`crm-roi validate` and `crm-roi inspect` through typer's CliRunner, and one real subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner, Result

from conftest import EXAMPLES, FIXTURES, fixture_path
from crm_roi import __version__
from crm_roi.cli import app

pytestmark = pytest.mark.usefixtures("wide_terminal")

EXAMPLE_ARGS = [
    str(EXAMPLES / "deals.csv"),
    str(EXAMPLES / "costs.csv"),
    "--customers",
    str(EXAMPLES / "customers.csv"),
    "--time-logs",
    str(EXAMPLES / "time_logs.csv"),
]


def one_error_line(result: Result) -> str:
    """The error a failed command printed: exactly one line, on stderr, no traceback."""
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: ")
    return lines[0]


def test_validate_exits_0_on_the_clean_examples(runner: CliRunner) -> None:
    result = runner.invoke(app, ["validate", *EXAMPLE_ARGS])
    assert result.exit_code == 0, result.output
    for name in ("deals", "costs", "customers", "time_logs"):
        assert f"as {name}:" in result.stdout
    assert "all rows used" in result.stdout
    assert "Rejected rows" not in result.stdout


def test_validate_exits_1_and_lists_rejected_rows_as_file_row_column_reason(
    runner: CliRunner,
) -> None:
    path = fixture_path("deals_rejections.csv")
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 1
    assert f"{path} as deals: 12 rows, 3 used, 9 rejected" in result.stdout
    assert f"{path}:3: Amount: 'abc' is not an amount" in result.stdout
    assert f"{path}:9: Deal ID: duplicate deal_id 'D-001' (first on row 2, which is used)" in (
        result.stdout
    )
    assert f"{path}:12: Close Date: closes (2024-02-01) before it was created" in result.stdout


def test_validate_limit_lists_the_first_rejections_then_a_count(runner: CliRunner) -> None:
    result = runner.invoke(
        app, ["validate", str(fixture_path("deals_rejections.csv")), "--limit", "2"]
    )
    assert result.exit_code == 1
    assert "Rejected rows (9):" in result.stdout
    assert "… and 7 more (--format json lists them all)" in result.stdout
    assert ":4: Amount:" in result.stdout
    assert ":5: Amount:" not in result.stdout


def test_validate_strict_fails_on_warnings(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "costs.csv"
    path.write_text("Date,Amount\n2024-01-01,100\n2024-01-02,-5\n", encoding="utf-8")
    deals = str(fixture_path("deals_same_utf8.csv"))
    assert runner.invoke(app, ["validate", deals, str(path)]).exit_code == 0
    assert runner.invoke(app, ["validate", deals, str(path), "--strict"]).exit_code == 1


def test_validate_json_parses_and_accounts_for_every_row(runner: CliRunner) -> None:
    result = runner.invoke(
        app,
        [
            "validate",
            str(fixture_path("deals_rejections.csv")),
            str(fixture_path("costs_rejections.csv")),
            "--time-logs",
            str(fixture_path("time_logs_rejections.csv")),
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["schema"] == "crm-roi/validation@1"
    assert report["ok"] is False
    kinds = [i["kind"] for i in report["inputs"]]
    assert kinds == ["deals", "costs", "time_logs"]
    for one in report["inputs"]:
        assert one["rows"] == one["used"] + one["rejected"]
        assert one["rejected"] == len({r["row"] for r in one["rejected_rows"]})
    deals = report["inputs"][0]
    assert (deals["rows"], deals["used"], deals["rejected"]) == (12, 3, 9)
    first = deals["rejected_rows"][0]
    assert (first["row"], first["column"], first["value"], first["reason"]) == (
        3,
        "Amount",
        "abc",
        "'abc' is not an amount",
    )
    assert len(deals["sha256"]) == 64


def test_validate_json_names_detections_and_skipped_footers(runner: CliRunner) -> None:
    result = runner.invoke(
        app, ["validate", str(fixture_path("deals_salesforce_report.csv")), "--format", "json"]
    )
    assert result.exit_code == 0
    [one] = json.loads(result.stdout)["inputs"]
    assert (one["format"], one["encoding"], one["delimiter"], one["header_row"]) == (
        "csv",
        "utf-8",
        ",",
        5,
    )
    assert [s["row"] for s in one["skipped"] if s["code"] == "footer"] == [11, 13, 14]
    assert (one["rows"], one["used"], one["rejected"]) == (5, 5, 0)
    close = next(c for c in one["columns"] if c["field"] == "close_date")
    assert close["date_order"] == "MM/DD/YYYY"


def test_dayfirst_and_monthfirst_decide_ambiguous_dates(runner: CliRunner) -> None:
    path = str(fixture_path("deals_ambiguous_dates.csv"))
    for flag, order in (("--dayfirst", "DD-MM-YYYY"), ("--monthfirst", "MM/DD/YYYY")):
        result = runner.invoke(app, ["validate", path, flag, "--format", "json"])
        assert result.exit_code == 0
        [one] = json.loads(result.stdout)["inputs"]
        close = next(c for c in one["columns"] if c["field"] == "close_date")
        assert close["date_order"] == order
        assert close["notes"] == []


def test_inspect_names_the_detections_and_the_mapping(runner: CliRunner) -> None:
    result = runner.invoke(app, ["inspect", str(fixture_path("deals_same_nl_cp1252.csv"))])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "as deals" in out
    assert "CP1252, semicolon-separated, header on row 1" in out
    assert "Bedrag" in out and "amount" in out and "synonym 'bedrag'" in out
    assert "1.234,56 (decimal comma)" in out
    assert "Müller GmbH" in out  # a record as parsed


def test_inspect_names_the_mapping_file(runner: CliRunner) -> None:
    mapping = fixture_path("mapping_odd_headers.toml")
    result = runner.invoke(
        app, ["inspect", str(fixture_path("deals_odd_headers.csv")), "--mapping", str(mapping)]
    )
    assert result.exit_code == 0, result.output
    assert f"mapping file {mapping}" in result.stdout
    assert "Net Value" in result.stdout and "mapping file" in result.stdout


def test_inspect_with_kind_reads_the_file_as_that_kind(runner: CliRunner) -> None:
    result = runner.invoke(
        app,
        ["inspect", str(fixture_path("time_logs_tab.tsv")), "--kind", "time_logs", "--rows", "0"],
    )
    assert result.exit_code == 0
    assert "as time_logs: 3 rows, 3 used" in result.stdout
    assert "records as parsed" not in result.stdout


def test_crm_roi_toml_in_the_working_directory_is_used_by_validate(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "crm-roi.toml").write_bytes(fixture_path("mapping_odd_headers.toml").read_bytes())
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(
        app, ["validate", str(FIXTURES / "deals_odd_headers.csv"), "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    [one] = json.loads(result.stdout)["inputs"]
    assert one["mapping_file"] == "crm-roi.toml"


def test_version(runner: CliRunner) -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout.strip() == f"crm-roi {__version__}"


def test_every_command_has_help_text(runner: CliRunner) -> None:
    commands = typer.main.get_command(app).commands  # type: ignore[attr-defined]
    assert {"validate", "inspect"} <= set(commands)
    top = runner.invoke(app, ["--help"])
    assert top.exit_code == 0
    for name, command in commands.items():
        assert (command.help or "").strip(), f"{name} has no help text"
        result = runner.invoke(app, [name, "--help"])
        assert result.exit_code == 0
        assert f"Usage: crm-roi {name}" in result.stdout
        assert command.help.split()[0] in result.stdout  # its first words are shown
        assert name in top.stdout  # and it is listed on the top-level help


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda d: d / "missing.csv", "missing.csv: no such file"),
        (lambda d: d, "is a folder, not a file"),
        (lambda d: _write(d / "empty.csv", b""), "empty.csv: the file is empty"),
        (
            lambda d: _write(d / "garbage.csv", bytes(range(256)) * 16),
            "garbage.csv: is not a text export (binary data)",
        ),
        (
            lambda d: _write(d / "deals.xlsx", b"Deal ID,Stage\nD-1,Won\n"),
            "deals.xlsx: is not a valid workbook (not a zip archive",
        ),
        (
            lambda d: _write(d / "deals.csv", b"Opportunity,Stage,Amount\nX,Won,5\n"),
            "deals.csv: no column for close_date (its 1 won deal needs it",
        ),
    ],
    ids=["missing", "folder", "empty", "binary", "xlsx not a zip", "missing column"],
)
def test_unusable_input_is_one_error_line_and_exit_1(
    runner: CliRunner,
    tmp_path: Path,
    make: Callable[[Path], Path],
    expected: str,
) -> None:
    result = runner.invoke(app, ["validate", str(make(tmp_path))])
    assert result.exit_code == 1
    assert expected in one_error_line(result)
    assert result.stdout == ""


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    "args",
    [
        ["validate"],  # the deals file is required
        ["validate", "deals.csv", "--no-such-option"],
        ["validate", "deals.csv", "--format", "xml"],
        ["inspect", "deals.csv", "--kind", "prospects"],
        ["frobnicate"],
    ],
    ids=["missing argument", "unknown option", "bad choice", "bad kind", "unknown command"],
)
def test_usage_error_exits_2(runner: CliRunner, args: list[str]) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert "Traceback" not in result.output


def test_bad_option_value_and_bad_mapping_file_are_usage_errors(
    runner: CliRunner, tmp_path: Path
) -> None:
    deals = str(fixture_path("deals_same_utf8.csv"))
    result = runner.invoke(app, ["validate", deals, "--hourly-rate", "lots"])
    assert result.exit_code == 2
    assert one_error_line(result) == "Error: --hourly-rate 'lots' is not a number (e.g. 75.00)"
    mapping = tmp_path / "map.toml"
    mapping.write_text('[deals.stages]\n"Dead" = "gone"\n', encoding="utf-8")
    result = runner.invoke(app, ["validate", deals, "--mapping", str(mapping)])
    assert result.exit_code == 2
    assert "a stage maps to won, lost or open" in one_error_line(result)
    result = runner.invoke(app, ["validate", deals, "--mapping", str(tmp_path)])
    assert result.exit_code == 2
    assert "can't be read" in one_error_line(result)


def test_python_m_crm_roi_validate_runs_as_a_real_process() -> None:
    env = {**os.environ, "COLUMNS": "250"}
    path = fixture_path("deals_rejections.csv")
    done = subprocess.run(
        [sys.executable, "-m", "crm_roi", "validate", str(path)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    assert f"{path}:3: Amount: 'abc' is not an amount" in done.stdout
    assert "Traceback" not in done.stderr

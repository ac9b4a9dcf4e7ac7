"""`crm-roi compute` as a user runs it: formats, files, exit codes."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import EXAMPLE_INPUTS
from crm_roi.cli import app
from crm_roi.engine.compute import Inputs, compute
from crm_roi.engine.figures import FIELDS
from crm_roi.engine.settings import Settings
from crm_roi.inputs.load import load_input
from crm_roi.inputs.schema import InputKind
from crm_roi.render.report import report_dict

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
ALL_INPUTS = EXAMPLE_INPUTS
runner = CliRunner()


def run(*args: str) -> object:
    return runner.invoke(app, ["compute", *args])


def test_json_report_has_the_contract_shape() -> None:
    result = run(*ALL_INPUTS, "--by", "channel", "--by", "channel,year", "--format", "json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["schema"] == "crm-roi/report@1"
    assert report["currency"] == "EUR"
    assert report["window"] == {"from": "2023-01-01", "to": "2024-12-31"}
    assert set(report["totals"]) == set(FIELDS)
    assert set(report["breakdowns"]) == {"channel", "channel,year"}
    for row in report["breakdowns"]["channel,year"]:
        assert {"channel", "year"} <= set(row)
        assert set(FIELDS) <= set(row)
    for entry in report["inputs"]:
        assert entry["rows"] == entry["used"] + entry["rejected"]
        assert len(entry["sha256"]) == 64
    assert [i["kind"] for i in report["inputs"]] == ["deals", "costs", "customers", "time_logs"]


def test_cli_json_equals_the_library_result() -> None:
    """The CLI is thin: its JSON is the library's report, value for value."""
    loaded = [
        load_input(EXAMPLES / f"{name}.csv", kind)
        for name, kind in [
            ("deals", InputKind.DEALS),
            ("costs", InputKind.COSTS),
            ("customers", InputKind.CUSTOMERS),
            ("time_logs", InputKind.TIME_LOGS),
        ]
    ]
    frames = {i.kind: i.frame for i in loaded}
    report = compute(
        Inputs(
            frames[InputKind.DEALS],
            frames[InputKind.COSTS],
            frames[InputKind.CUSTOMERS],
            frames[InputKind.TIME_LOGS],
        ),
        Settings(by=(("channel",),)),
    )
    expected = json.loads(json.dumps(report_dict(report, loaded)))
    result = run(*ALL_INPUTS, "--by", "channel", "--format", "json")
    got = json.loads(result.stdout)
    assert got["totals"] == expected["totals"]
    assert got["breakdowns"] == expected["breakdowns"]


def test_json_is_strict_no_nan_or_infinity() -> None:
    result = run(str(EXAMPLES / "deals.csv"), "--format", "json", "--by", "month")
    assert result.exit_code == 0
    json.loads(result.stdout, parse_constant=lambda c: pytest.fail(f"non-strict JSON {c}"))
    report = json.loads(result.stdout)
    # No costs and no time logs: the cost figures are null, revenue figures are not.
    assert report["totals"]["cost"] is None
    assert report["totals"]["roi"] is None
    assert report["totals"]["revenue"] > 0


def test_money_is_exact_to_the_cent_against_the_example_file() -> None:
    with (EXAMPLES / "deals.csv").open(encoding="utf-8") as handle:
        cents = sum(
            int(row["Amount"].replace(".", ""))
            for row in csv.DictReader(handle)
            if row["Stage"] == "Closed Won"
        )
    result = run(str(EXAMPLES / "deals.csv"), "--format", "json")
    assert json.loads(result.stdout)["totals"]["revenue"] == cents / 100


def test_csv_output_one_row_per_group_and_totals_first() -> None:
    result = run(*ALL_INPUTS, "--by", "channel", "--format", "csv", "--quiet")
    assert result.exit_code == 0
    table = list(csv.reader(io.StringIO(result.stdout)))
    assert table[0][:3] == ["dimension", "key", "revenue"]
    assert table[1][:2] == ["total", ""]
    channels = [r[1] for r in table[2:]]
    assert channels[-2:] == ["(none)", "(unattributed)"]
    assert all(len(r) == len(table[0]) for r in table)


def test_markdown_output_has_a_table_per_breakdown() -> None:
    result = run(*ALL_INPUTS, "--by", "channel", "--format", "markdown", "--quiet")
    assert result.exit_code == 0
    assert "## Totals" in result.stdout and "## By channel" in result.stdout
    assert "| Events |" in result.stdout


def test_table_shows_headline_and_locale_money() -> None:
    result = run(*ALL_INPUTS, "--format", "table", "--locale", "nl_NL", "--quiet")
    assert result.exit_code == 0
    assert "ROI" in result.stdout
    assert "€\xa01.967.717,69" in result.stdout  # revenue in Dutch notation (a no-break space)


def test_output_file_format_from_extension_and_written_atomically(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    target.write_text("old report")
    result = run(*ALL_INPUTS, "--output", str(target), "--quiet")
    assert result.exit_code == 0, result.output
    assert json.loads(target.read_text())["schema"] == "crm-roi/report@1"
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]  # no temp file left


def test_output_onto_an_input_is_a_usage_error(tmp_path: Path) -> None:
    deals = tmp_path / "deals.csv"
    deals.write_bytes((EXAMPLES / "deals.csv").read_bytes())
    result = run(str(deals), "--output", str(deals), "--format", "json")
    assert result.exit_code == 2
    assert "is one of the inputs" in result.output
    assert deals.read_bytes() == (EXAMPLES / "deals.csv").read_bytes()


def test_output_in_a_missing_folder_is_a_usage_error(tmp_path: Path) -> None:
    result = run(str(EXAMPLES / "deals.csv"), "--output", str(tmp_path / "nope" / "r.json"))
    assert result.exit_code == 2
    assert "does not exist" in result.output


def test_csv_cells_that_look_like_formulas_are_neutralised(tmp_path: Path) -> None:
    deals = tmp_path / "deals.csv"
    deals.write_text(
        "Deal ID,Amount,Stage,Close Date,Lead Source\n"
        '1,100,Won,2024-01-05,"=HYPERLINK(""http://evil"")"\n'
        "2,50,Won,2024-01-06,@SUM(A1)\n"
        "3,70,Won,2024-01-07,-Paid\n",
        encoding="utf-8",
    )
    result = run(str(deals), "--by", "channel", "--format", "csv", "--quiet")
    assert result.exit_code == 0
    keys = [row[1] for row in csv.reader(io.StringIO(result.stdout))][2:]
    assert sorted(keys) == sorted(['\'=HYPERLINK("http://evil")', "'@SUM(A1)", "'-Paid"])
    assert not any(k.startswith(("=", "@", "-", "+")) for k in keys)


def test_fail_under_roi_exits_3_below_the_threshold() -> None:
    # The example's ROI is about 216 %.
    assert run(*ALL_INPUTS, "--quiet", "--format", "json", "--fail-under-roi", "300").exit_code == 3
    assert run(*ALL_INPUTS, "--quiet", "--format", "json", "--fail-under-roi", "100").exit_code == 0


def test_strict_makes_a_rejected_row_an_error(tmp_path: Path) -> None:
    deals = tmp_path / "deals.csv"
    deals.write_text(
        "Deal ID,Amount,Stage,Close Date\n1,100,Won,2024-01-05\n2,abc,Won,2024-01-06\n"
    )
    loose = run(str(deals), "--format", "json")
    assert loose.exit_code == 0
    report = json.loads(loose.stdout)
    assert report["inputs"][0] == {**report["inputs"][0], "rows": 2, "used": 1, "rejected": 1}
    assert any(
        w.endswith("deals.csv:3: Amount: 'abc' is not an amount") for w in report["warnings"]
    )
    strict = run(str(deals), "--format", "json", "--strict")
    assert strict.exit_code == 1
    assert strict.stdout == ""
    assert "rejected and --strict given" in strict.output


def test_mixed_currencies_without_rates_are_an_error(tmp_path: Path) -> None:
    deals = tmp_path / "deals.csv"
    deals.write_text(
        "Deal ID,Amount,Stage,Close Date\n1,€100,Won,2024-01-05\n2,$50,Won,2024-01-06\n"
    )
    result = run(str(deals), "--format", "json")
    assert result.exit_code == 1
    assert "several currencies: EUR (deals), USD (deals)" in result.output
    rates = tmp_path / "rates.csv"
    rates.write_text("currency,rate\nUSD,0.9\n")
    converted = run(str(deals), "--format", "json", "--currency", "EUR", "--rates", str(rates))
    assert converted.exit_code == 0, converted.output
    assert json.loads(converted.stdout)["totals"]["revenue"] == 145.0  # 100 + 50 × 0.9


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--by", "favourite_colour"], "--by favourite_colour: no input has such a field"),
        (["--from", "yesterday"], "--from 'yesterday' is not a date"),
        (["--output", "r.xyz"], "can't tell the format"),
        (["--from", "2024-12-31", "--to", "2024-01-01"], "the window is empty"),
    ],
)
def test_usage_errors_exit_2_with_one_line(args: list[str], message: str) -> None:
    result = run(str(EXAMPLES / "deals.csv"), *args)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output


def test_missing_deals_file_is_a_data_error() -> None:
    result = run("no-such-deals.csv")
    assert result.exit_code == 1
    assert result.output.strip() == "Error: no-such-deals.csv: no such file"


def test_real_subprocess_run_prints_json_to_a_pipe() -> None:
    """Not a terminal: JSON by default, warnings on stderr."""
    done = subprocess.run(
        [sys.executable, "-m", "crm_roi", "compute", *ALL_INPUTS, "--by", "month"],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["breakdowns"]["month"][0]["month"] == "2023-01"
    assert "warning: " in done.stderr and "a credit" in done.stderr


def test_progress_spinner_only_for_big_inputs_at_a_terminal(monkeypatch, tmp_path: Path) -> None:
    from rich.console import Console

    from crm_roi.cli import emit

    big = tmp_path / "big.csv"
    big.write_bytes(b"x" * 64)
    screen = io.StringIO()
    monkeypatch.setattr(
        emit, "console", lambda stderr=False: Console(file=screen, force_terminal=True)
    )
    # Not a terminal (as under CliRunner, cron or a pipe): nothing is shown.
    with emit.progress([big], quiet=False) as step:
        step("Reading…")
    assert screen.getvalue() == ""
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    with emit.progress([big], quiet=False) as step:  # a terminal, but a small input
        step("Reading…")
    assert screen.getvalue() == ""
    monkeypatch.setattr(emit, "PROGRESS_BYTES", 10)
    with emit.progress([big], quiet=True) as step:  # --quiet wins
        step("Reading…")
    assert screen.getvalue() == ""
    with emit.progress([big], quiet=False) as step:
        step("Computing…")
    assert "Computing…" in screen.getvalue()


def test_nothing_to_compute_names_the_file(tmp_path: Path) -> None:
    empty = tmp_path / "deals.csv"
    empty.write_text("Deal ID,Amount,Stage,Close Date\n")
    result = run(str(empty), "--format", "json")
    assert result.exit_code == 1
    assert result.output.strip() == (
        f"Error: {empty}: has no data rows: nothing to compute (give --from and --to to report "
        "an empty window)"
    )
    empty.write_text("Deal ID,Amount,Stage,Close Date\n1,abc,Won,2024-01-01\n")
    result = run(str(empty), "--format", "json", "--quiet")
    assert result.exit_code == 1
    assert "none of its 1 rows can be used" in result.output

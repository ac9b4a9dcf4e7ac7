"""Never a confident wrong figure: what an export that can't be read right does instead.

Each test runs the command line as a user does, on a small file written the way the export
comes, and checks the exit code, the one `Error:` line, and that no report reached stdout.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from crm_roi.cli import app

runner = CliRunner()

# A deals file whose amount column has a name no synonym knows: what issue 11 found.
UNKNOWN_AMOUNT = (
    "opportunity_id,sales_agent,deal_stage,close_date,net_booking\n"
    "A1,Ann,Won,2024-01-05,1200\n"
    "A2,Bob,Won,2024-01-09,800\n"
    "A3,Ann,Lost,2024-01-12,0\n"
    "A4,Bob,Engaging,,\n"
)


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def error_line(result) -> str:  # type: ignore[no-untyped-def]
    lines = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(lines) == 1, result.stderr
    return lines[0]


@pytest.mark.parametrize("quiet", [[], ["--quiet"]])
def test_a_missing_amount_column_is_an_error_never_a_report_of_zeros(
    tmp_path: Path, quiet: list[str]
) -> None:
    deals = write(tmp_path, "deals.csv", UNKNOWN_AMOUNT)
    log = tmp_path / "runs.jsonl"
    result = runner.invoke(
        app, ["compute", str(deals), "--format", "json", "--log-json", str(log), *quiet]
    )
    assert result.exit_code == 1
    assert result.stdout == ""
    line = error_line(result)
    assert line.startswith(f"Error: {deals}: no column for amount (its 2 won deals need it;")
    assert "headers are 'opportunity_id', 'sales_agent', 'deal_stage'" in line
    assert "likeliest by content: 'net_booking' (an amount in every won row)" in line
    assert '[deals.columns] amount = "net_booking" (--mapping)' in line
    run = json.loads(log.read_text().splitlines()[-1])
    assert run["ok"] is False and run["exit_code"] == 1
    assert "no column for amount" in run["error"]


def test_validate_says_the_same_and_the_mapping_it_suggests_works(tmp_path: Path) -> None:
    deals = write(tmp_path, "deals.csv", UNKNOWN_AMOUNT)
    result = runner.invoke(app, ["validate", str(deals)])
    assert result.exit_code == 1
    assert "no column for amount" in error_line(result)
    mapping = write(tmp_path, "map.toml", '[deals.columns]\namount = "net_booking"\n')
    fixed = runner.invoke(app, ["compute", str(deals), "--mapping", str(mapping), "-q"])
    assert fixed.exit_code == 0, fixed.output
    totals = json.loads(fixed.stdout)["totals"]
    # Won: A1 1,200 + A2 800 = 2,000; closed: 2 won + 1 lost.
    assert (totals["revenue"], totals["won_deals"], totals["lost_deals"]) == (2000.0, 2, 1)
    assert totals["open_deals"] == 1
    assert totals["win_rate"] == pytest.approx(2 / 3)


def test_a_missing_close_date_column_is_an_error_when_deals_are_closed(tmp_path: Path) -> None:
    deals = write(
        tmp_path,
        "deals.csv",
        "Deal ID,Amount,Stage,Signed\nD-1,100,Won,2024-02-01\nD-2,50,Lost,2024-02-03\n",
    )
    result = runner.invoke(app, ["compute", str(deals), "-q"])
    assert result.exit_code == 1 and result.stdout == ""
    line = error_line(result)
    assert "no column for close_date (its 2 closed deals need it;" in line
    assert "'Signed' (a date in every closed row)" in line


def test_plain_numbers_are_never_suggested_as_dates(tmp_path: Path) -> None:
    deals = write(
        tmp_path,
        "deals.csv",
        "Deal ID,Amount,Stage,Expected\nD-1,100,Won,6000\nD-2,50,Lost,12000\n",
    )
    result = runner.invoke(app, ["compute", str(deals), "-q"])
    assert result.exit_code == 1
    assert "likeliest by content" not in error_line(result)


@pytest.mark.parametrize(
    ("kind", "text", "field"),
    [
        ("costs", "Amount,Channel\n500,Email\n", "date"),
        ("time_logs", "Date,Person,Hourly Rate\n2024-01-02,Ann,80\n", "hours"),
    ],
)
def test_costs_without_a_date_and_time_logs_without_hours_are_one_error(
    tmp_path: Path, kind: str, text: str, field: str
) -> None:
    deals = write(tmp_path, "deals.csv", "Deal ID,Amount,Stage,Close Date\nD-1,5,Won,2024-01-02\n")
    other = write(tmp_path, f"{kind}.csv", text)
    option = [str(other)] if kind == "costs" else ["--time-logs", str(other)]
    result = runner.invoke(app, ["compute", str(deals), *option, "-q"])
    assert result.exit_code == 1 and result.stdout == ""
    assert error_line(result).startswith(f"Error: {other}: no column for {field} (")


def test_an_input_whose_every_row_is_rejected_is_an_error_with_the_commonest_reason(
    tmp_path: Path,
) -> None:
    deals = write(tmp_path, "deals.csv", "Deal ID,Amount,Stage,Close Date\nD-1,5,Won,2024-01-02\n")
    rows = "".join(f"2024-{m:02d}-45,{m}00\n" for m in range(1, 13)) + "n/a,5\n" * 8
    costs = write(tmp_path, "costs.csv", "Date,Amount\n" + rows)
    result = runner.invoke(app, ["compute", str(deals), str(costs), "--quiet"])
    assert result.exit_code == 1 and result.stdout == ""
    assert error_line(result) == (
        f"Error: {costs}: none of its 20 rows can be used; the commonest reason: Date: "
        "'2024-01-45' is not a date (20 rows); crm-roi validate lists them all"
    )
    listed = runner.invoke(app, ["validate", str(deals), str(costs)])
    assert listed.exit_code == 1
    assert "2024-12-45" in listed.stdout  # validate still lists every row


def test_rejected_rows_never_flood_stderr_and_the_json_keeps_them_all(tmp_path: Path) -> None:
    good = "".join(f"D-{i},100,Won,2024-01-{1 + i % 28:02d}\n" for i in range(100))
    bad = "".join(f"X-{i},abc,Won,2024-01-05\n" for i in range(35))
    deals = write(tmp_path, "deals.csv", "Deal ID,Amount,Stage,Close Date\n" + good + bad)
    result = runner.invoke(app, ["compute", str(deals), "--format", "json"])
    assert result.exit_code == 0
    lines = result.stderr.splitlines()
    assert sum("is not an amount" in line for line in lines) == 20
    assert "warning: … and 15 more (crm-roi validate lists them all)" in lines
    assert f"warning: {deals}: 135 rows, 100 used, 35 rejected (35 × Amount: invalid)" in lines
    assert len(lines) == 22
    report = json.loads(result.stdout)
    assert sum("is not an amount" in w for w in report["warnings"]) == 35
    assert report["totals"]["revenue"] == 10000.0  # 100 good deals of 100


@pytest.mark.parametrize(
    ("limit", "code"), [("5%", 1), ("34.9%", 1), ("35%", 0), ("10", 1), ("40", 0), ("35", 0)]
)
def test_max_rejected_fails_the_run_above_a_share_or_a_count(
    tmp_path: Path, limit: str, code: int
) -> None:
    good = "".join(f"D-{i},100,Won,2024-01-05\n" for i in range(65))
    bad = "".join(f"X-{i},abc,Won,2024-01-05\n" for i in range(35))  # 35 of 100 rows: 35 %
    deals = write(tmp_path, "deals.csv", "Deal ID,Amount,Stage,Close Date\n" + good + bad)
    result = runner.invoke(app, ["compute", str(deals), "-q", "--max-rejected", limit])
    assert result.exit_code == code
    if code:
        assert error_line(result) == (
            f"Error: {deals}: 35 of 100 rows rejected, more than --max-rejected {limit}: "
            "nothing computed (crm-roi validate lists them)"
        )
        assert result.stdout == ""


@pytest.mark.parametrize("limit", ["abc", "-1", "150%", "nan", "inf"])
def test_max_rejected_that_is_no_limit_is_a_usage_error(tmp_path: Path, limit: str) -> None:
    deals = write(tmp_path, "deals.csv", "Deal ID,Amount,Stage,Close Date\nD-1,5,Won,2024-01-02\n")
    result = runner.invoke(app, ["compute", str(deals), "-q", "--max-rejected", limit])
    assert result.exit_code == 2
    assert error_line(result).startswith(f"Error: --max-rejected {limit!r}")


def test_an_unrecognised_column_holding_stages_is_never_read_as_all_sales(tmp_path: Path) -> None:
    deals = write(
        tmp_path,
        "deals.csv",
        "Deal ID,Amount,Close Date,Pipeline Step\nD-1,100,2024-01-01,Closed Won\n"
        "D-2,900,2024-01-02,Closed Lost\n",
    )
    result = runner.invoke(app, ["compute", str(deals), "-q"])
    assert result.exit_code == 1 and result.stdout == ""
    assert "'Pipeline Step' holds stages ('Closed Won', 'Closed Lost')" in error_line(result)


def test_time_logs_naming_deals_need_the_deals_ids(tmp_path: Path) -> None:
    deals = write(tmp_path, "deals.csv", "Close Date,Amount,Stage\n2024-01-02,100,Won\n")
    logs = write(tmp_path, "time.csv", "Date,Hours,Hourly Rate,Deal ID\n2024-01-02,2,50,D-1\n")
    result = runner.invoke(app, ["compute", str(deals), "--time-logs", str(logs), "-q"])
    assert result.exit_code == 1
    line = error_line(result)
    assert f"{deals}: has no id column (its rows were numbered), but {logs}" in line


def test_an_empty_stage_follows_the_mapping_file(tmp_path: Path) -> None:
    deals = write(
        tmp_path,
        "deals.csv",
        "Deal ID,Amount,Stage,Close Date,Created\nD-1,100,Won,2024-01-05,2024-01-01\n"
        "D-2,50,,,2024-01-03\n",
    )
    plain = runner.invoke(app, ["compute", str(deals), "--format", "json"])
    assert plain.exit_code == 0
    assert "Stage: the stage is empty (say what an empty stage means" in plain.stderr
    assert json.loads(plain.stdout)["inputs"][0]["rejected"] == 1
    mapping = write(tmp_path, "map.toml", '[deals.stages]\n"" = "open"\n')
    mapped = runner.invoke(app, ["compute", str(deals), "--mapping", str(mapping), "-q"])
    totals = json.loads(mapped.stdout)["totals"]
    assert (totals["won_deals"], totals["open_deals"]) == (1, 1)


def test_a_mapping_file_may_name_one_header_for_two_fields(tmp_path: Path) -> None:
    # A closed-won report whose one date is both when the deal was made and when it closed.
    deals = write(
        tmp_path, "deals.csv", "Ref,Booked,Net\nR1,2024-01-05,100\nR2,2024-02-07,250.50\n"
    )
    mapping = write(
        tmp_path,
        "map.toml",
        '[deals.columns]\ndeal_id = "Ref"\nclose_date = "Booked"\ncreated_date = "Booked"\n'
        'amount = "Net"\n',
    )
    result = runner.invoke(app, ["compute", str(deals), "--mapping", str(mapping), "-q"])
    assert result.exit_code == 0, result.output
    totals = json.loads(result.stdout)["totals"]
    assert (totals["revenue"], totals["won_deals"]) == (350.5, 2)
    assert totals["sales_cycle_days"] == 0.0  # created and closed the same day


def test_by_any_column_of_any_type_and_numbers_sort_as_numbers(tmp_path: Path) -> None:
    deals = write(
        tmp_path,
        "deals.csv",
        "Deal ID,Amount,Stage,Close Date,sales_agent,Регион,Seats\n"
        "D-1,100,Won,2024-01-05,Ann,Север,10\n"
        "D-2,250.50,Won,2024-01-06,Bob,Юг,9\n"
        "D-3,100,Lost,2024-01-07,Ann,Север,100\n",
    )
    by = ["--by", "amount", "--by", "sales_agent", "--by", "Регион", "--by", "Seats"]
    result = runner.invoke(app, ["compute", str(deals), *by, "--by", "close_date", "-q"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)["breakdowns"]

    def rows(name: str) -> list[tuple[str, float]]:
        return [(r[name], r["revenue"]) for r in report[name]]

    assert rows("amount") == [("100.00", 100.0), ("250.50", 250.5)]
    assert rows("sales_agent") == [("Ann", 100.0), ("Bob", 250.5)]  # owner, by its own header
    assert rows("Регион") == [("Север", 100.0), ("Юг", 250.5)]
    assert rows("Seats") == [("9", 250.5), ("10", 100.0), ("100", 0.0)]
    assert [r["close_date"] for r in report["close_date"]] == [
        "2024-01-05",
        "2024-01-06",
        "2024-01-07",
    ]
    unknown = runner.invoke(app, ["compute", str(deals), "--by", "+++", "-q"])
    assert unknown.exit_code == 2
    assert error_line(unknown) == (
        "Error: --by +++: no input has such a field or column (dimensions: deal_id, owner, "
        "currency, Регион, Seats, month, quarter, year, cohort)"
    )


def test_a_file_that_could_be_two_kinds_is_no_guess(tmp_path: Path) -> None:
    path = write(tmp_path, "mixed.csv", "Date,Hours,Amount,Channel\n2024-01-02,3,100,Email\n")
    result = runner.invoke(app, ["inspect", str(path)])
    assert result.exit_code == 1
    assert "it could be costs or time_logs; pass --kind costs|time_logs" in error_line(result)
    assert runner.invoke(app, ["inspect", str(path), "--kind", "costs"]).exit_code == 0
    none = write(tmp_path, "none.csv", "Amount,Channel,Campaign\n100,Email,Spring\n")
    result = runner.invoke(app, ["inspect", str(none)])
    assert "fits no input (deals, costs, customers, time logs)" in error_line(result)

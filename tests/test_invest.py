"""``crm-roi invest`` (contract v2 §6): cash flows worked out by hand.

Each case writes its files here, row by row, and works its figures out in the test — the
arithmetic in comments and in plain Python over Decimals, never with crm-roi's code.
"""

from __future__ import annotations

import json
from decimal import Decimal as D
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from crm_roi.cli import app

runner = CliRunner()


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def run(*args: str) -> Result:
    return runner.invoke(app, ["invest", *args, "--format", "json"])


def document(*args: str) -> dict[str, Any]:
    result = run(*args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def close(a: float | None, b: D) -> bool:
    return a is not None and abs(D(str(a)) - b) < D("0.000001")


# --- the seed example: 100,000 of benefit against 25,000 of cost → 300 % ----------------------

SEED_DEALS = """\
Deal ID,Stage,Amount,Close Date
D1,Won,10000,2023-06-01
D2,Won,10000,2024-06-01
D3,Lost,0,2024-12-31
"""
SEED_INVESTMENT = """\
Date,Category,Amount,Kind
2023-12-01,Implementation,25000,cost
2024-07-01,Measured savings,100000,benefit
"""


def test_the_seed_example_is_300_percent(tmp_path: Path) -> None:
    doc = document(
        write(tmp_path, "deals.csv", SEED_DEALS),
        "--investment",
        write(tmp_path, "investment.csv", SEED_INVESTMENT),
        *("--go-live", "2024-01-01", "--years", "1", "--discount-rate", "0"),
    )
    # Gross profit 10,000 in the baseline (2023) and in year 1 (2024): no uplift.
    y0, y1 = doc["years"]
    assert (y0["year"], y0["costs"], y0["benefits"], y0["net"]) == (0, 25000.0, 0.0, -25000.0)
    assert y0["costs_by_category"] == {"Implementation": 25000.0}
    assert (y1["revenue_uplift"], y1["other"], y1["benefits"]) == (0.0, 100000.0, 100000.0)
    assert y1["time_saved"] is None  # no time logs
    assert y1["projected"] is False
    totals = doc["totals"]
    # (100,000 − 25,000) / 25,000 = 3.0; undiscounted the same.
    assert totals["roi_undiscounted"] == 3.0 and totals["roi"] == 3.0
    assert totals["npv"] == 75000.0
    # −25,000 at month 0, +100,000 / 12 a month: 25,000 / 8,333.33 = 3 months.
    assert close(totals["payback_months"], D(3))
    assert doc["baseline"] == {"from": "2023-01-01", "to": "2023-12-31"}


# --- three years: initial cost, licences, 10 % risk, 10 % discounting, a projected year ------

THREE_DEALS = """\
Deal ID,Stage,Amount,Close Date
D1,Won,100000,2023-01-15
D2,Won,160000,2024-03-01
D3,Won,180000,2025-03-01
D4,Lost,0,2025-12-31
"""
THREE_INVESTMENT = """\
Period,Category,Amount
2023-Q4,Implementation,50000
2024,Licences,12000
2025,Licences,12000
2026,Licences,12000
"""


def test_three_years_with_risk_discounting_and_a_projected_year(tmp_path: Path) -> None:
    doc = document(
        write(tmp_path, "deals.csv", THREE_DEALS),
        "--investment",
        write(tmp_path, "investment.csv", THREE_INVESTMENT),
        *("--go-live", "2024-01-01", "--risk", "0.1"),  # 3 years at 10 % by default
    )
    years = doc["years"]
    # Uplift: year 1 160,000 − 100,000 = 60,000; year 2 180,000 − 100,000 = 80,000; year 3
    # (2026, past the exports' end 2025-12-31) projected from year 2: 80,000. Risk 10 %: 54,000,
    # 72,000, 72,000.
    assert [y["revenue_uplift"] for y in years] == [None, 54000.0, 72000.0, 72000.0]
    assert [y["costs"] for y in years] == [50000.0, 12000.0, 12000.0, 12000.0]
    assert [y["projected"] for y in years] == [False, False, False, True]
    assert [y["net"] for y in years] == [-50000.0, 42000.0, 60000.0, 60000.0]
    assert [y["cumulative_net"] for y in years] == [-50000.0, -8000.0, 52000.0, 112000.0]
    r = D("1.1")
    pv_costs = D(50000) + D(12000) / r + D(12000) / r**2 + D(12000) / r**3
    pv_benefits = D(54000) / r + D(72000) / r**2 + D(72000) / r**3
    totals = doc["totals"]
    assert close(totals["pv_costs"], pv_costs.quantize(D("0.01")))
    assert close(totals["pv_benefits"], pv_benefits.quantize(D("0.01")))
    assert close(totals["npv"], (pv_benefits - pv_costs).quantize(D("0.01")))
    assert close(totals["roi"], (pv_benefits - pv_costs) / pv_costs)
    # Undiscounted: (198,000 − 86,000) / 86,000.
    assert close(totals["roi_undiscounted"], D(112000) / D(86000))
    # −50,000; year 1 +3,500 a month → −8,000 after 12; year 2 +5,000 a month: 8,000 / 5,000 =
    # 1.6 months into it: 13.6.
    assert close(totals["payback_months"], D("13.6"))
    assert any("projected" in line.lower() and "year 3" in line for line in doc["assumptions"])


def test_no_projection_leaves_the_uncovered_year_out(tmp_path: Path) -> None:
    result = run(
        write(tmp_path, "deals.csv", THREE_DEALS),
        "--investment",
        write(tmp_path, "investment.csv", THREE_INVESTMENT),
        *("--go-live", "2024-01-01", "--no-projection", "--discount-rate", "0"),
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert [y["year"] for y in doc["years"]] == [0, 1, 2]
    # The 2026 licence is past the horizon: left out, and said.
    assert doc["totals"]["costs"] == 74000.0
    assert "12,000.00 of investment cost is dated after the horizon" in result.stderr
    # (60,000 + 80,000 − 74,000) / 74,000
    assert close(doc["totals"]["roi_undiscounted"], D(66000) / D(74000))


# --- time saved, from the time logs -----------------------------------------------------------

TIME_DEALS = """\
Deal ID,Stage,Amount,Close Date
D1,Won,5000,2023-03-01
D2,Won,5000,2023-09-01
D3,Won,5000,2024-02-01
D4,Won,5000,2024-04-01
D5,Won,5000,2024-06-01
D6,Won,5000,2024-08-01
D7,Lost,0,2024-12-31
"""
TIME_LOGS = (
    """\
Date,Person,Hours,Hourly Rate
2023-02-01,Ann,8,50
"""
    + "".join(f"2023-{m:02d}-10,Ann,8,50\n" for m in range(1, 12))
    + "".join(f"2024-{m:02d}-10,Ann,10,60\n" for m in range(1, 13))
)


def test_time_saved_from_the_time_logs(tmp_path: Path) -> None:
    doc = document(
        write(tmp_path, "deals.csv", TIME_DEALS),
        "--time-logs",
        write(tmp_path, "time.csv", TIME_LOGS),
        "--investment",
        write(tmp_path, "investment.csv", "Date,Amount\n2023-12-01,1000\n"),
        *("--go-live", "2024-01-01", "--years", "1", "--discount-rate", "0"),
    )
    y1 = doc["years"][1]
    # Baseline 2023: 12 logs × 8 h = 96 h at 50 = 4,800; 2 won deals: 48 h a deal; 50 an hour.
    # Year 1: 12 × 10 h = 120 h; 4 won deals: 30 h a deal. Saved: (48 − 30) × 4 × 50 = 3,600.
    assert y1["time_saved"] == 3600.0
    # Gross profit 20,000 against 10,000: an uplift of 10,000.
    assert y1["revenue_uplift"] == 10000.0 and y1["benefits"] == 13600.0


# --- honest errors ------------------------------------------------------------------------------


def test_go_live_outside_the_data_is_an_error(tmp_path: Path) -> None:
    result = run(
        write(tmp_path, "deals.csv", SEED_DEALS),
        "--investment",
        write(tmp_path, "investment.csv", SEED_INVESTMENT),
        *("--go-live", "2026-01-01"),
    )
    assert result.exit_code == 1 and result.stdout == ""
    assert "go-live 2026-01-01 is not inside the data (2023-06-01 … 2024-12-31)" in result.stderr


def test_a_baseline_without_data_is_an_error_naming_it(tmp_path: Path) -> None:
    deals = "Deal ID,Stage,Amount,Close Date\nD1,Won,100,2022-01-10\nD2,Won,100,2024-03-01\n"
    result = run(
        write(tmp_path, "deals.csv", deals),
        "--investment",
        write(tmp_path, "investment.csv", SEED_INVESTMENT),
        *("--go-live", "2024-01-01"),
    )
    assert result.exit_code == 1
    assert "the baseline 2023-01-01 … 2023-12-31" in result.stderr


def test_nothing_to_project_from_is_an_error(tmp_path: Path) -> None:
    deals = "Deal ID,Stage,Amount,Close Date\nD1,Won,100,2023-03-10\nD2,Won,100,2024-03-01\n"
    result = run(
        write(tmp_path, "deals.csv", deals),
        "--investment",
        write(tmp_path, "investment.csv", SEED_INVESTMENT),
        *("--go-live", "2024-01-01"),
    )
    assert result.exit_code == 1
    assert "no year after go-live is covered in full" in result.stderr


def test_a_kind_that_is_neither_cost_nor_benefit_is_rejected(tmp_path: Path) -> None:
    investment = SEED_INVESTMENT + "2024-08-01,Guess,500,maybe\n"
    result = run(
        write(tmp_path, "deals.csv", SEED_DEALS),
        "--investment",
        write(tmp_path, "investment.csv", investment),
        *("--go-live", "2024-01-01", "--years", "1"),
    )
    assert result.exit_code == 0, result.output
    assert "kind 'maybe' is neither cost nor benefit" in result.stderr
    doc = json.loads(result.stdout)
    investment_input = next(i for i in doc["inputs"] if i["kind"] == "investment")
    assert (investment_input["rows"], investment_input["rejected"]) == (3, 1)


@pytest.mark.parametrize(
    ("option", "value"), [("--risk", "1.5"), ("--discount-rate", "nan"), ("--years", "0")]
)
def test_bad_options_are_usage_errors(tmp_path: Path, option: str, value: str) -> None:
    result = run(
        write(tmp_path, "deals.csv", SEED_DEALS),
        "--investment",
        write(tmp_path, "investment.csv", SEED_INVESTMENT),
        *("--go-live", "2024-01-01", option, value),
    )
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("Error:")


def test_a_dutch_investment_file_reads_as_an_english_one(tmp_path: Path) -> None:
    dutch = (
        "Datum;Omschrijving;Bedrag;Soort\n"
        "01-12-2023;Implementatie;€ 25.000,00;kosten\n"
        "01-07-2024;Gemeten besparing;€ 100.000,00;baten\n"
    )
    path = tmp_path / "investering.csv"
    path.write_bytes(dutch.encode("cp1252"))
    doc = document(
        write(tmp_path, "deals.csv", SEED_DEALS),
        *("--investment", str(path), "--go-live", "2024-01-01", "--years", "1"),
        *("--discount-rate", "0"),
    )
    # The seed again: 25,000 of cost (year 0), 100,000 of benefit (year 1): 300 %.
    assert [y["costs"] for y in doc["years"]] == [25000.0, 0.0]
    assert doc["years"][1]["other"] == 100000.0
    assert doc["years"][0]["costs_by_category"] == {"Implementatie": 25000.0}
    assert doc["totals"]["roi_undiscounted"] == 3.0


def test_validate_reads_the_investment_file_with_row_reasons(tmp_path: Path) -> None:
    investment = SEED_INVESTMENT + "2024-08-01,Guess,500,maybe\n,Undated,100,cost\n"
    result = runner.invoke(
        app,
        [
            "validate",
            write(tmp_path, "deals.csv", SEED_DEALS),
            "--investment",
            write(tmp_path, "investment.csv", investment),
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 1, result.output  # rows rejected
    report = json.loads(result.stdout)
    text = json.dumps(report)
    assert "kind 'maybe' is neither cost nor benefit" in text
    assert "needs a date, or a start date and an end date" in text


def test_invest_needs_the_investment_file(tmp_path: Path) -> None:
    result = run(write(tmp_path, "deals.csv", SEED_DEALS), "--go-live", "2024-01-01")
    assert result.exit_code == 2
    assert "--investment FILE is needed" in result.stderr

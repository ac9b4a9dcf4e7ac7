"""Cohorts and before/after comparisons agree with compute, and with figures worked by hand."""

from __future__ import annotations

import json
import textwrap
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from conftest import EXAMPLE_INPUTS
from crm_roi.cli import app
from crm_roi.engine.cohorts import cohorts
from crm_roi.engine.compare import changes, go_live_windows
from crm_roi.engine.compute import Inputs
from crm_roi.engine.figures import FIELDS
from crm_roi.engine.settings import Settings
from crm_roi.inputs.load import load_input
from crm_roi.inputs.schema import InputKind

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
ALL = EXAMPLE_INPUTS
runner = CliRunner()


def run_json(*args: str) -> dict:
    result = runner.invoke(app, [*args, "--format", "json", "--quiet"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def small(tmp_path: Path, deals: str, costs: str | None = None) -> Inputs:
    (tmp_path / "deals.csv").write_text(textwrap.dedent(deals).strip() + "\n")
    frames = {"deals": load_input(tmp_path / "deals.csv", InputKind.DEALS).frame}
    if costs:
        (tmp_path / "costs.csv").write_text(textwrap.dedent(costs).strip() + "\n")
        frames["costs"] = load_input(tmp_path / "costs.csv", InputKind.COSTS).frame
    return Inputs(frames["deals"], frames.get("costs"))


DEALS = """
    Deal ID,Customer,Amount,Stage,Close Date
    1,Acme,100.00,Won,2024-01-10
    2,Beta,200.00,Won,2024-01-20
    3,Acme,300.00,Won,2024-03-05
    4,Gamma,50.00,Won,2024-02-14
"""
COSTS = """
    Date,Amount,Type
    2024-01-31,600.00,acquisition
    2024-01-31,999.00,retention
    2024-02-29,80.00,acquisition
"""


def test_payback_worked_by_hand(tmp_path: Path) -> None:
    # January cohort: Acme and Beta, acquisition cost 600 (the retention 999 doesn't count),
    # CAC 600 / 2 = 300. Revenue by age: Jan 100 + 200 = 300, Feb 0, Mar 300 (Acme again).
    # Cumulative per customer: 150, 150, 300 → reaches the CAC of 300 at age 2.
    # February cohort: Gamma, CAC 80; 50 at age 0, nothing after → never paid back.
    inputs = small(tmp_path, DEALS, COSTS)
    report = cohorts(inputs, Settings(end=date(2024, 3, 31)), "month")
    jan, feb = report.cohorts
    assert (jan.cohort, jan.customers, jan.acquisition_cost, jan.cac) == (
        "2024-01", 2, Decimal("600.00"), Decimal("300"))  # fmt: skip
    assert jan.revenue_by_age == [Decimal("300.00"), Decimal("0.00"), Decimal("300.00")]
    assert jan.cumulative_revenue_per_customer == [Decimal(150), Decimal(150), Decimal(300)]
    assert jan.payback_period == 2
    assert (feb.cohort, feb.customers, feb.cac, feb.payback_period) == (
        "2024-02",
        1,
        Decimal(80),
        None,
    )
    assert feb.revenue_by_age == [Decimal("50.00"), Decimal("0.00")]
    # At a gross margin of 0.5 the January cohort earns 75, 75, 150 per customer: not yet.
    halved = cohorts(inputs, Settings(end=date(2024, 3, 31), gross_margin=Decimal("0.5")))
    assert halved.cohorts[0].payback_period is None


def test_payback_0_when_the_month_of_acquisition_pays_the_cac_back(tmp_path: Path) -> None:
    # January: Acme buys for 900 and Beta for 100, acquisition cost 600, CAC 300. Cumulative
    # revenue per customer at age 0 is (900 + 100) / 2 = 500 ≥ 300: paid back at age 0.
    deals = """
        Deal ID,Customer,Amount,Stage,Close Date
        1,Acme,900.00,Won,2024-01-10
        2,Beta,100.00,Won,2024-01-20
    """
    costs = """
        Date,Amount,Type
        2024-01-31,600.00,acquisition
    """
    (jan,) = cohorts(small(tmp_path, deals, costs), Settings(), "month").cohorts
    assert (jan.cac, jan.cumulative_revenue_per_customer, jan.payback_period) == (
        Decimal(300), [Decimal(500)], 0)  # fmt: skip


def test_the_examples_paybacks_are_the_first_age_whose_profit_reaches_the_cac() -> None:
    # The examples' deals (about 14,600 on average) are larger than their cohorts' CAC (about
    # 5,400): most cohorts pay back in their month of acquisition, and "payback 0" is right.
    # Not all: a cohort whose first deals are small pays back later, or not at all.
    report = run_json("cohorts", *ALL)
    paybacks = [c["payback_period"] for c in report["cohorts"]]
    assert paybacks.count(0) > len(paybacks) / 2 and set(paybacks) != {0}
    for c in report["cohorts"]:
        reached = [v >= c["cac"] for v in c["cumulative_revenue_per_customer"]]
        assert c["payback_period"] == (reached.index(True) if True in reached else None)


def test_without_costs_cac_and_payback_are_null(tmp_path: Path) -> None:
    report = cohorts(small(tmp_path, DEALS), Settings(), "quarter")
    (q1,) = report.cohorts
    assert (q1.cohort, q1.customers, q1.acquisition_cost, q1.cac, q1.payback_period) == (
        "2024-Q1", 3, None, None, None)  # fmt: skip
    assert q1.revenue_by_age == [Decimal("650.00")]


def test_cohort_revenue_adds_up_to_the_revenue_of_those_customers() -> None:
    # Every customer of the example is acquired in the window and every won deal has one, so
    # the cohorts' revenue over all ages is the window's revenue.
    total = run_json("compute", *ALL)["totals"]["revenue"]
    for period in ("month", "quarter"):
        report = run_json("cohorts", *ALL, "--period", period)
        assert report["schema"] == "crm-roi/cohorts@1"
        assert sum(sum(c["revenue_by_age"]) for c in report["cohorts"]) == pytest.approx(total)
        assert sum(c["customers"] for c in report["cohorts"]) == run_json("compute", *ALL)[
            "totals"]["new_customers"]  # fmt: skip
        # The triangle: the last cohort has one age, each earlier one more.
        ages = [len(c["revenue_by_age"]) for c in report["cohorts"]]
        assert ages == sorted(ages, reverse=True) and ages[-1] >= 1


def test_compare_is_two_compute_runs_and_their_differences() -> None:
    result = run_json(
        "compare",
        *ALL,
        "--baseline",
        "2023-01-01:2023-12-31",
        "--current",
        "2024-01-01:2024-12-31",
        "--by",
        "channel",
    )
    assert result["schema"] == "crm-roi/compare@1"
    before = run_json(
        "compute", *ALL, "--from", "2023-01-01", "--to", "2023-12-31", "--by", "channel"
    )
    after = run_json(
        "compute", *ALL, "--from", "2024-01-01", "--to", "2024-12-31", "--by", "channel"
    )
    assert result["baseline"] == before
    assert result["current"] == after
    for name in FIELDS:
        a, b = before["totals"][name], after["totals"][name]
        change = result["change"]["totals"][name]
        if a is None or b is None:
            assert change == {"abs": None, "rel": None}
        else:
            # abs is the exact change rounded once; b − a differs by the two roundings at most.
            assert change["abs"] == pytest.approx(b - a, abs=0.0101)
            # rel comes from the exact figures, the JSON's money from rounded ones.
            expected = None if a == 0 else pytest.approx((b - a) / abs(a), rel=1e-4)
            assert change["rel"] == expected
    keys = {r["channel"] for r in result["change"]["breakdowns"]["channel"]}
    assert keys == {r["channel"] for r in before["breakdowns"]["channel"]} | {
        r["channel"] for r in after["breakdowns"]["channel"]}  # fmt: skip


def test_go_live_gives_the_months_before_and_after() -> None:
    assert go_live_windows(date(2024, 1, 1), 12) == (
        (date(2023, 1, 1), date(2023, 12, 31)), (date(2024, 1, 1), date(2024, 12, 31)))  # fmt: skip
    by_date = run_json("compare", *ALL, "--go-live", "2024-01-01")
    by_span = run_json(
        "compare", *ALL, "--baseline", "2023-01-01:2023-12-31", "--current", "2024-01-01:2024-12-31"
    )
    assert by_date == by_span


def test_relative_change_is_null_where_the_baseline_is_zero_or_null() -> None:
    out = changes(
        {"revenue": Decimal(0), "roi": None, "cost": Decimal(10)},
        {"revenue": Decimal(5), "roi": Decimal(1), "cost": Decimal(15)},
    )
    assert out["revenue"] == {"abs": Decimal(5), "rel": None}
    assert out["roi"] == {"abs": None, "rel": None}
    assert out["cost"] == {"abs": Decimal(5), "rel": Decimal("0.5")}


def test_tables_csv_and_workbooks(tmp_path: Path) -> None:
    table = runner.invoke(
        app, ["compare", *ALL, "--go-live", "2024-01-01", "--format", "table", "-q"]
    )
    assert (
        table.exit_code == 0 and "▲" in table.stdout and "Baseline against current" in table.stdout
    )
    triangle = runner.invoke(app, ["cohorts", *ALL, "--format", "table", "-q"])
    assert triangle.exit_code == 0 and "2023-01" in triangle.stdout
    csv_text = runner.invoke(app, ["cohorts", *ALL, "--format", "csv", "-q"]).stdout
    assert csv_text.splitlines()[0].startswith("cohort,customers,acquisition_cost,cac")
    book_path = tmp_path / "cohorts.xlsx"
    assert runner.invoke(app, ["cohorts", *ALL, "-o", str(book_path), "-q"]).exit_code == 0
    sheet = openpyxl.load_workbook(book_path)["Cohorts"]
    assert sheet["A5"].value == datetime(2023, 1, 1)  # month cohorts are dates: Jan 2023
    assert len(sheet.conditional_formatting) == 1
    assert [c.tagname for c in sheet._charts] == ["lineChart"]
    compare_path = tmp_path / "compare.xlsx"
    args = ["compare", *ALL, "--go-live", "2024-01-01", "-o", str(compare_path), "-q"]
    assert runner.invoke(app, args).exit_code == 0
    sheet = openpyxl.load_workbook(compare_path)["Comparison"]
    assert sheet["A6"].value == "Revenue" and sheet["B6"].value == 794650.82
    assert [c.tagname for c in sheet._charts] == ["barChart"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "give --baseline FROM:TO and --current FROM:TO, or --go-live DATE"),
        (["--go-live", "2024-01-01", "--baseline", "2023-01-01:2023-12-31"], "not both"),
        (["--baseline", "2023", "--current", "2024-01-01:2024-12-31"], "expected FROM:TO"),
        (
            ["--baseline", "2024-01-01:2023-01-01", "--current", "2024-01-01:2024-12-31"],
            "FROM is after TO",
        ),
    ],
)
def test_compare_usage_errors(args: list[str], message: str) -> None:
    result = runner.invoke(app, ["compare", str(EXAMPLES / "deals.csv"), *args])
    assert result.exit_code == 2
    assert message in result.output


def test_compute_table_shows_a_trend_for_a_period_breakdown() -> None:
    result = runner.invoke(app, ["compute", *ALL, "--by", "quarter", "--format", "table", "-q"])
    trend = next(line for line in result.stdout.splitlines() if line.startswith("Trend"))
    assert "revenue" in trend and "cost" in trend and "ROI" in trend
    assert set(trend) & set("▁▂▃▄▅▆▇█")


@pytest.mark.parametrize("fmt", ["table", "json", "csv", "xlsx"])
def test_cohorts_and_compare_on_a_generated_year(tmp_path: Path, fmt: str) -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("generate", ROOT / "benchmarks" / "generate.py")
    assert spec is not None and spec.loader is not None
    generate = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generate)
    data = tmp_path / "data"
    generate.generate(3000, data)
    files = [
        str(data / "deals.csv"),
        str(data / "costs.csv"),
        "--customers",
        str(data / "customers.csv"),
        "--time-logs",
        str(data / "time_logs.csv"),
    ]
    year = ["--from", "2023-01-01", "--to", "2023-12-31"]
    out = ["-o", str(tmp_path / f"out.{fmt}")] if fmt == "xlsx" else ["--format", fmt]
    for command in (
        ["cohorts", *files, *year],
        ["compare", *files, "--go-live", "2023-07-01", "--months", "6", "--by", "channel"],
    ):
        result = runner.invoke(app, [*command, *out, "--quiet"])
        assert result.exit_code == 0, result.output
        if fmt == "json":
            document = json.loads(result.stdout)
            if command[0] == "cohorts":
                assert [c["cohort"] for c in document["cohorts"]][:2] == ["2023-01", "2023-02"]
                assert sum(c["customers"] for c in document["cohorts"]) > 0
            else:
                assert document["baseline"]["window"] == {"from": "2023-01-01", "to": "2023-06-30"}
                assert document["current"]["window"] == {"from": "2023-07-01", "to": "2023-12-31"}
        elif fmt == "xlsx":
            assert openpyxl.load_workbook(tmp_path / "out.xlsx").sheetnames[0] in (
                "Cohorts", "Comparison")  # fmt: skip
        else:
            assert result.stdout.strip()

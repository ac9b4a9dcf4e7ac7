"""Files shaped the way real public data sets and ledgers come, read unedited (contract v2 §1).

The fixtures are in ``tests/fixtures/shapes/`` (written by ``make.py`` there). Every expected
figure below is worked out by hand from the rows of the fixture, the arithmetic in a comment, or
computed here with plain Python from rows defined in the test: never by crm-roi's own code. Each
run passes ``--from``/``--to``, so the window is known.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from crm_roi.cli import app

SHAPES = Path(__file__).parent / "fixtures" / "shapes"
EXAMPLE_DEALS = str(Path(__file__).parent.parent / "examples" / "deals.csv")
runner = CliRunner()


def shape(name: str) -> str:
    path = SHAPES / name
    assert path.is_file(), f"missing fixture {name} (run tests/fixtures/shapes/make.py)"
    return str(path)


def run(*args: str) -> Result:
    return runner.invoke(app, ["compute", *args, "--format", "json"])


def report(*args: str) -> dict:
    result = run(*args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def rows_by(rep: dict, dimension: str) -> dict:
    return {row[dimension]: row for row in rep["breakdowns"][dimension]}


def stderr_lines(result: Result) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.strip()]


def inspect(*args: str) -> str:
    result = runner.invoke(app, ["inspect", *args, "--rows", "0"])
    assert result.exit_code == 0, result.output
    return result.output


def mapping_line(output: str, header: str) -> str:
    """What follows ``header`` on its line of inspect's column table: field, read as, matched by."""
    for line in output.splitlines():
        text = line.strip()
        if text.startswith(header + " "):
            return text[len(header) :].strip()
    raise AssertionError(f"no line for column {header!r} in:\n{output}")


def field_of(output: str, header: str) -> str:
    return mapping_line(output, header).split()[0]


# --- 1. the "CRM sales opportunities" data set ------------------------------------------------

OPPORTUNITIES_WINDOW = ["--from", "2017-03-01", "--to", "2017-06-30"]


def test_opportunities_data_set_figures() -> None:
    rep = report(shape("opportunities.csv"), *OPPORTUNITIES_WINDOW)
    assert rep["window"] == {"from": "2017-03-01", "to": "2017-06-30"}
    assert rep["inputs"][0]["rows"] == 24 and rep["inputs"][0]["used"] == 24
    totals = rep["totals"]
    # Won closed in the window: 1C1I7A6R 1054 (03-01), Z063OYW0 4514 (03-11), EC4QE1BX 50,
    # MV1LWRNH 588, PE84CX4O 517, ZNBS69V1 49, 9ME3374G 57, 7GLZ4J4A 4878, KWDDG5T1 5169 (06-30);
    # not HAXMC4IX (07-03) nor LBDGU2Q9 (02-27).
    # 1054 + 4514 + 50 + 588 + 517 + 49 + 57 + 4878 + 5169 = 16876
    assert totals["revenue"] == 16876.0
    assert totals["won_deals"] == 9
    # Lost in the window: 03-20, 04-10, 05-05, 06-15 (not 07-10 nor 02-14); close value 0
    assert totals["lost_deals"] == 4
    assert totals["win_rate"] == pytest.approx(9 / 13)
    assert totals["avg_deal_size"] == 1875.11  # 16876 / 9 = 1875.111…
    # close_date − engage_date of the nine: 9 (02-20→03-01), 14, 6, 30, 42, 31, 35, 58, 28;
    # sorted 6 9 14 28 [30] 31 35 42 58
    assert totals["sales_cycle_days"] == 30
    # Engaging with engage_date in the window: 03-20, 05-25, 06-29 (not 02-15) = 3;
    # Prospecting, no created date at all, always open: 3.  3 + 3 = 6
    assert totals["open_deals"] == 6
    # Accounts with a won deal closed in the window: Cancity (twice), Isdom, Codehow, Hatfan,
    # Ron-tech, J-Texon, Cheers, Rangreen = 8; Isdom's first won deal ever is LBDGU2Q9 on
    # 2017-02-27, before the window, so 7 of them are new.
    assert totals["active_customers"] == 8
    assert totals["new_customers"] == 7


def test_opportunities_sales_agent_is_the_owner() -> None:
    rep = report(shape("opportunities.csv"), *OPPORTUNITIES_WINDOW, "--by", "owner")
    owners = rows_by(rep, "owner")
    assert owners["Moses Frase"]["revenue"] == 1642.0  # 1054 + 588
    assert owners["Darcel Schlecht"]["revenue"] == 4564.0  # 4514 + 50
    assert owners["Zane Levy"]["revenue"] == 5686.0  # 517 + 5169
    assert owners["Anna Snelling"]["revenue"] == 49.0
    assert owners["Vicki Laflamme"]["revenue"] == 4935.0  # 57 + 4878
    assert owners["Anna Snelling"]["win_rate"] == 0.5  # ZNBS69V1 won, OLVI2X7A lost
    # Engaging in W: Zane, Moses, Vicki; Prospecting: Darcel, Moses, Zane
    assert owners["Moses Frase"]["open_deals"] == 2
    assert owners["Zane Levy"]["open_deals"] == 2
    assert owners["Darcel Schlecht"]["open_deals"] == 1
    assert owners["Anna Snelling"]["open_deals"] == 0  # Plexzap engaged 02-15, before W


def test_accounts_file_as_customers_gives_the_sector_breakdown() -> None:
    rep = report(
        shape("opportunities.csv"),
        "--customers", shape("accounts.csv"),
        *OPPORTUNITIES_WINDOW, "--by", "industry",
    )  # fmt: skip
    assert rep["inputs"][1]["rows"] == 21 and rep["inputs"][1]["used"] == 21
    sectors = rows_by(rep, "industry")
    assert sectors["retail"]["revenue"] == 1161.0  # Cancity 1054 + 50, J-Texon 57
    assert sectors["medical"]["revenue"] == 4563.0  # Isdom 4514, Ron-tech 49
    assert sectors["software"]["revenue"] == 588.0  # Codehow
    assert sectors["services"]["revenue"] == 517.0  # Hatfan
    assert sectors["entertainment"]["revenue"] == 4878.0  # Cheers
    assert sectors["technology"]["revenue"] == 5169.0  # Rangreen
    assert rep["totals"]["revenue"] == 16876.0


def test_inspect_opportunities_names_the_field_of_each_header(wide_terminal: None) -> None:
    output = inspect(shape("opportunities.csv"), "--kind", "deals")
    assert "24 rows, 24 used" in output
    assert field_of(output, "opportunity_id") == "deal_id"
    assert field_of(output, "sales_agent") == "owner"
    assert field_of(output, "product") == "product"
    assert field_of(output, "account") == "customer_id"
    assert field_of(output, "deal_stage") == "status"
    assert field_of(output, "engage_date") == "created_date"
    assert field_of(output, "close_date") == "close_date"
    assert field_of(output, "close_value") == "amount"


# --- 2. an orders export and a monthly spend ledger -------------------------------------------


def test_orders_without_a_stage_column_are_won_sales_with_one_notice(wide_terminal: None) -> None:
    result = run(shape("orders.csv"), "--from", "2024-02-01", "--to", "2024-03-31")
    assert result.exit_code == 0, result.output
    notices = stderr_lines(result)
    assert len(notices) == 1, result.stderr  # one notice, nothing else
    assert "won" in notices[0].lower()
    rep = json.loads(result.stdout)
    assert rep["inputs"][0]["rows"] == 28 and rep["inputs"][0]["used"] == 28
    totals = rep["totals"]
    # February: 99.90 + 210.00 + 75.25 + 30.00 + 180.00 + 64.10 + 55.55 = 714.80 (7 orders)
    # March: 120.00 + 340.00 + 80.00 + 95.00 + 150.00 + 49.99 + 180.00 + 99.90 = 1114.89 (8)
    assert totals["revenue"] == 1829.69  # 714.80 + 1114.89
    assert totals["won_deals"] == 15
    assert totals["lost_deals"] == 0
    assert totals["open_deals"] == 0
    assert totals["win_rate"] == 1.0
    assert totals["avg_deal_size"] == 121.98  # 1829.69 / 15 = 121.979…
    # Customers with an order in W: C002 C005 C006 C003 C007 C008 C001 C009 C010 C004 C011 = 11;
    # first order ever in W: C005 C006 C007 C008 (Feb), C009 C010 C011 (Mar) = 7
    assert totals["active_customers"] == 11
    assert totals["new_customers"] == 7


def test_orders_and_monthly_spend_roi_and_cac() -> None:
    rep = report(
        shape("orders.csv"), shape("monthly_spend.csv"),
        "--from", "2024-02-01", "--to", "2024-03-31",
    )  # fmt: skip
    assert rep["inputs"][1]["rows"] == 15 and rep["inputs"][1]["used"] == 15
    totals = rep["totals"]
    # Spend of 2024-02 and 2024-03, whole months: 290 + 435 + 116 + 310 + 465 + 100 = 1716.00
    assert totals["direct_cost"] == 1716.0
    assert totals["cost"] == 1716.0
    assert totals["acquisition_cost"] == 1716.0  # no type column: all acquisition
    assert totals["revenue"] == 1829.69
    assert totals["roi"] == pytest.approx((1829.69 - 1716.00) / 1716.00)  # 0.06625…
    assert totals["cac"] == 245.14  # 1716.00 / 7 new customers = 245.142…


def test_orders_and_monthly_spend_by_channel() -> None:
    rep = report(
        shape("orders.csv"), shape("monthly_spend.csv"),
        "--from", "2024-02-01", "--to", "2024-03-31", "--by", "channel",
    )  # fmt: skip
    channels = rows_by(rep, "channel")
    email, search, social = channels["Email"], channels["Paid Search"], channels["Paid Social"]
    assert email["revenue"] == 325.24  # 75.25 + 120.00 + 80.00 + 49.99
    assert email["cost"] == 600.0  # 290 + 310
    assert email["new_customers"] == 2  # C006, C011
    assert email["cac"] == 300.0  # 600 / 2
    assert email["roi"] == pytest.approx((325.24 - 600) / 600)
    assert search["revenue"] == 813.9  # 99.90 + 210.00 + 64.10 + 340.00 + 99.90
    assert search["cost"] == 900.0  # 435 + 465
    assert search["new_customers"] == 2  # C005, C009
    assert search["cac"] == 450.0
    assert social["revenue"] == 605.0  # 180 + 95 + 150 + 180
    assert social["cost"] == 216.0  # 116 + 100
    assert social["new_customers"] == 2  # C007, C010
    assert social["cac"] == 108.0
    assert social["roi"] == pytest.approx((605 - 216) / 216)
    assert channels["Organic"]["revenue"] == 85.55  # 30.00 + 55.55
    assert channels["Organic"]["roi"] is None  # no spend on Organic


def test_orders_and_monthly_spend_give_cohorts() -> None:
    result = runner.invoke(
        app, ["cohorts", shape("orders.csv"), shape("monthly_spend.csv"), "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    january = json.loads(result.stdout)["cohorts"][0]
    # January's first orders: C001, C002, C003, C004.
    assert (january["cohort"], january["customers"]) == ("2024-01", 4)
    # Their January orders: 120.00 + 89.50 + 45.00 + 60.00 + 150.00; February: C002 99.90,
    # C003 30.00.
    assert january["revenue_by_age"][:2] == [464.5, 129.9]
    # January's spend: Email 250 + Paid Search 400 + Paid Social 150, all acquisition.
    assert (january["acquisition_cost"], january["cac"]) == (800.0, 200.0)


def test_monthly_spend_cut_mid_month_counts_the_floor_of_the_first_days() -> None:
    rep = report(
        shape("orders.csv"), shape("monthly_spend.csv"),
        "--from", "2024-02-01", "--to", "2024-03-15", "--by", "channel",
    )  # fmt: skip
    totals = rep["totals"]
    # February whole: 290 + 435 + 116 = 841.00. March, the first 15 of 31 days:
    # Email floor(31000·15/31) = 15000, Paid Search floor(46500·15/31) = 22500,
    # Paid Social floor(10000·15/31) = floor(4838.7) = 4838 cents.
    # 841.00 + 150.00 + 225.00 + 48.38 = 1264.38
    assert totals["direct_cost"] == 1264.38
    assert rows_by(rep, "channel")["Paid Social"]["direct_cost"] == 164.38  # 116.00 + 48.38
    # Orders to 03-15: 714.80 + 120.00 + 340.00 + 80.00 + 95.00 = 1349.80 (11 orders)
    assert totals["revenue"] == 1349.8
    assert totals["won_deals"] == 11
    assert totals["new_customers"] == 6  # C005 C006 C007 C008 C009 C010
    assert totals["cac"] == 210.73  # 1264.38 / 6 = 210.73
    assert totals["roi"] == pytest.approx((1349.80 - 1264.38) / 1264.38)


def test_inspect_orders_names_the_field_of_each_header(wide_terminal: None) -> None:
    output = inspect(shape("orders.csv"), "--kind", "deals")
    assert "28 rows, 28 used" in output
    assert field_of(output, "order_id") == "deal_id"
    assert field_of(output, "order_date") == "close_date"
    assert field_of(output, "customer_id") == "customer_id"
    assert field_of(output, "channel") == "channel"
    assert field_of(output, "revenue") == "amount"


def test_inspect_takes_a_month_channel_spend_ledger_for_costs(wide_terminal: None) -> None:
    output = inspect(shape("monthly_spend.csv"))
    assert "monthly_spend.csv as costs: 15 rows, 15 used" in output
    assert field_of(output, "Month") == "date"
    assert field_of(output, "Spend") == "amount"


# --- 3. ledgers dated by a period --------------------------------------------------------------


def costs_report(ledger: str, start: str, end: str, *more: str) -> dict:
    rep = report(EXAMPLE_DEALS, shape(ledger), "--from", start, "--to", end, *more)
    costs = rep["inputs"][1]
    assert costs["rows"] == costs["used"], costs  # every period read, none rejected
    return rep


def test_text_months_whole_months() -> None:
    rep = costs_report("ledger_months_text.csv", "2024-03-01", "2024-04-30")
    # Mar 2024: 3100 + 1550 + 2000; Apr 2024: 3000 + 1500 + 950.  6650 + 5450 = 12100.00
    assert rep["totals"]["direct_cost"] == 12100.0


def test_text_months_first_ten_days() -> None:
    rep = costs_report("ledger_months_text.csv", "2024-03-01", "2024-03-10")
    # Mar 2024, first 10 of 31 days: floor(310000·10/31) = 100000, floor(155000·10/31) = 50000,
    # floor(200000·10/31) = floor(64516.1) = 64516 cents.  1000.00 + 500.00 + 645.16
    assert rep["totals"]["direct_cost"] == 2145.16


def test_text_months_window_inside_two_periods() -> None:
    rep = costs_report("ledger_months_text.csv", "2024-03-11", "2024-04-05", "--by", "channel")
    channels = rows_by(rep, "channel")
    # March days 11–31 = floor(c·31/31) − floor(c·10/31); April days 1–5 = floor(c·5/30).
    # Google Ads: (310000 − 100000) + 300000·5/30 = 210000 + 50000
    assert channels["Google Ads"]["direct_cost"] == 2600.0
    # LinkedIn Ads: (155000 − 50000) + 150000·5/30 = 105000 + 25000
    assert channels["LinkedIn Ads"]["direct_cost"] == 1300.0
    # Events: (200000 − 64516) + floor(95000·5/30) = 135484 + floor(15833.3) = 135484 + 15833
    assert channels["Events"]["direct_cost"] == 1513.17
    assert rep["totals"]["direct_cost"] == 5413.17  # 2600.00 + 1300.00 + 1513.17


def test_inspect_says_the_period_column_holds_periods(wide_terminal: None) -> None:
    output = inspect(shape("ledger_months_text.csv"), "--kind", "costs")
    assert "15 rows, 15 used" in output
    assert field_of(output, "Period") == "date"
    how = mapping_line(output, "Period").replace("'period'", "")  # not the synonym's name
    assert "period" in how.lower()


def test_quarters_whole_and_cut() -> None:
    rep = costs_report("ledger_quarters.csv", "2024-01-01", "2024-06-30")
    # 2024-Q1: 9100 + 5000; 2024-Q2: 9100 + 3640.  14100 + 12740 = 26840.00
    assert rep["totals"]["direct_cost"] == 26840.0
    rep = costs_report("ledger_quarters.csv", "2024-02-01", "2024-03-31")
    # 2024-Q1 is 91 days (leap year); 1 Feb … 31 Mar are its days 32–91:
    # Google Ads 910000 − floor(910000·31/91) = 910000 − 310000 = 600000
    # Trade Fairs 500000 − floor(500000·31/91) = 500000 − floor(170329.67) = 329671
    assert rep["totals"]["direct_cost"] == 9296.71  # 6000.00 + 3296.71


def test_years_whole_and_one_month() -> None:
    rep = costs_report("ledger_years.csv", "2024-01-01", "2024-12-31")
    # 36600 + 18300 + 15000 + 9999.99 + 5124 = 85023.99
    assert rep["totals"]["direct_cost"] == 85023.99
    rep = costs_report("ledger_years.csv", "2024-01-01", "2024-01-31", "--by", "channel")
    channels = rows_by(rep, "channel")
    # 2024 has 366 days; January is its first 31: floor(c·31/366)
    assert channels["Google Ads"]["direct_cost"] == 3100.0  # 3660000·31/366 = 310000
    assert channels["LinkedIn Ads"]["direct_cost"] == 1550.0  # 1830000·31/366 = 155000
    assert channels["Events"]["direct_cost"] == 1270.49  # floor(1500000·31/366) = 127049
    assert channels["Content"]["direct_cost"] == 846.99  # floor(999999·31/366) = 84699
    assert channels["Tools"]["direct_cost"] == 434.0  # 512400·31/366 = 43400
    # 3100.00 + 1550.00 + 1270.49 + 846.99 + 434.00
    assert rep["totals"]["direct_cost"] == 7201.48


def test_dutch_month_ledger() -> None:
    rep = costs_report("kosten_maanden.csv", "2024-03-01", "2024-03-31")
    # maart 2024: € 3.100,00 + € 1.234,56 + € 2.480,00 = 6814.56
    assert rep["totals"]["direct_cost"] == 6814.56
    rep = costs_report("kosten_maanden.csv", "2024-03-01", "2024-03-15", "--by", "channel")
    channels = rows_by(rep, "channel")
    assert channels["Google Ads"]["direct_cost"] == 1500.0  # 310000·15/31 = 150000
    assert channels["LinkedIn"]["direct_cost"] == 597.36  # floor(123456·15/31) = 59736
    assert channels["Beurzen"]["direct_cost"] == 1200.0  # 248000·15/31 = 120000
    assert rep["totals"]["direct_cost"] == 3297.36


def floor_share(cents: int, k_lo: int, k_hi: int, days: int) -> int:
    """Cents of a cost spread over ``days`` falling on its days k_lo+1 … k_hi."""
    return cents * k_hi // days - cents * k_lo // days


@pytest.mark.parametrize(
    ("header", "period", "first", "last"),
    [
        ("Month", "2024-03", dt.date(2024, 3, 1), dt.date(2024, 3, 31)),
        ("Month", "March 2024", dt.date(2024, 3, 1), dt.date(2024, 3, 31)),
        ("Period", "Mar 2024", dt.date(2024, 3, 1), dt.date(2024, 3, 31)),
        ("Maand", "maart 2024", dt.date(2024, 3, 1), dt.date(2024, 3, 31)),
        ("Period", "2024-Q1", dt.date(2024, 1, 1), dt.date(2024, 3, 31)),
        ("Period", "Q1 2024", dt.date(2024, 1, 1), dt.date(2024, 3, 31)),
        ("Period", "Q4 2023", dt.date(2023, 10, 1), dt.date(2023, 12, 31)),
        ("Period", "2024", dt.date(2024, 1, 1), dt.date(2024, 12, 31)),
    ],
)
def test_each_way_of_writing_a_period_is_a_span(
    tmp_path: Path, header: str, period: str, first: dt.date, last: dt.date
) -> None:
    amounts = {"Email": 100000, "Events": 25001}  # cents: 1000.00 and 250.01
    ledger = tmp_path / "ledger.csv"
    ledger.write_text(
        f"{header},Channel,Amount\n"
        + "".join(f"{period},{ch},{c // 100}.{c % 100:02d}\n" for ch, c in amounts.items()),
        encoding="utf-8",
    )
    days = (last - first).days + 1

    def cost(start: dt.date, end: dt.date) -> float:
        window = ["--from", start.isoformat(), "--to", end.isoformat()]
        rep = report(EXAMPLE_DEALS, str(ledger), *window)
        assert rep["inputs"][1]["used"] == 2, rep["inputs"][1]
        return rep["totals"]["direct_cost"]

    # The whole period: every cent.
    assert cost(first, last) == 1250.01
    # The first 10 days of the period: floor(c·10/N).
    first_ten = sum(floor_share(c, 0, 10, days) for c in amounts.values())
    assert cost(first, first + dt.timedelta(days=9)) == first_ten / 100
    # From 5 days before the period to its 7th day: the days before count nothing.
    first_seven = sum(floor_share(c, 0, 7, days) for c in amounts.values())
    assert cost(first - dt.timedelta(days=5), first + dt.timedelta(days=6)) == first_seven / 100
    # Its last 3 days: floor(c·N/N) − floor(c·(N−3)/N).
    last_three = sum(floor_share(c, days - 3, days, days) for c in amounts.values())
    assert cost(last - dt.timedelta(days=2), last) == last_three / 100


# --- 4. an Excel report with a title and a blank row above the header --------------------------

XLSX_WINDOW = ["--from", "2024-01-01", "--to", "2024-06-30"]


def test_excel_opportunity_report_figures() -> None:
    rep = report(shape("opportunities.xlsx"), *XLSX_WINDOW, "--by", "owner", "--by", "channel")
    assert rep["inputs"][0]["rows"] == 18 and rep["inputs"][0]["used"] == 18
    totals = rep["totals"]
    # Won closed in H1 2024: OPP-01001 12500.00, -02 3499.99, -04 22000.00, -06 1800.50,
    # -07 9750.00, -09 640.25, -10 31000.00 (not -11, 07-09; not -12, 2023-12-15)
    assert totals["revenue"] == 81190.74
    assert totals["won_deals"] == 7
    assert totals["lost_deals"] == 3  # -03, -05, -08 (not -13, 07-15)
    assert totals["win_rate"] == pytest.approx(0.7)
    assert totals["avg_deal_size"] == 11598.68  # 81190.74 / 7 = 11598.677…
    # Cycles: 59 (2023-11-20→01-18), 23, 74, 22, 70, 32, 144; sorted 22 23 32 [59] 70 74 144
    assert totals["sales_cycle_days"] == 59
    # Open (Propose / Develop / Qualify) created in W: -14, -15, -16; not -17 (created 07-03)
    # nor -18 (created 2023-12-20), whose estimated close dates do not make them closed
    assert totals["open_deals"] == 3
    # Accounts won in W: Acme Corp (twice), Globex, Umbrella, Stark, Soylent, Cyberdyne; none
    # won before (Massive Dynamic, won 2023-12-15, has no deal in W)
    assert totals["new_customers"] == 6
    owners = rows_by(rep, "owner")
    assert owners["Jan de Wit"]["revenue"] == 45300.5  # 12500.00 + 1800.50 + 31000.00
    assert owners["Sara Kok"]["revenue"] == 4140.24  # 3499.99 + 640.25
    assert owners["Ravi Patel"]["revenue"] == 31750.0  # 22000.00 + 9750.00
    channels = rows_by(rep, "channel")
    assert channels["Web"]["revenue"] == 22250.0  # 12500.00 + 9750.00
    assert channels["Email"]["revenue"] == 4140.24  # 3499.99 + 640.25
    assert channels["Partner"]["revenue"] == 53000.0  # 22000.00 + 31000.00
    assert channels["Phone"]["revenue"] == 1800.5


def test_inspect_excel_report_finds_the_header_under_the_title(wide_terminal: None) -> None:
    output = inspect(shape("opportunities.xlsx"), "--kind", "deals")
    assert "18 rows, 18 used" in output
    assert "header on row 3" in output
    assert field_of(output, "Opportunity Number") == "deal_id"
    assert field_of(output, "Deal Value, $") == "amount"
    assert field_of(output, "Created") == "created_date"
    assert field_of(output, "Sales Rep") == "owner"
    assert field_of(output, "Origin") == "channel"


# --- 5. a leads-and-pipeline sheet: won and lost rows, but no close date -----------------------


def test_pipeline_sheet_without_a_close_date_is_an_error_not_zeros() -> None:
    result = run(shape("pipeline_leads.csv"), "--from", "2024-01-01", "--to", "2024-06-30")
    assert result.exit_code == 1, result.output
    assert result.stdout.strip() == ""  # no report of zeros
    assert "close_date" in result.output  # the field that can't be found is named
    assert "First Contact Date" in result.output or "Lead Acquisition Date" in result.output


# --- 6. a closed-won report with no id column --------------------------------------------------


def test_report_without_ids_numbers_the_rows_with_a_notice(wide_terminal: None) -> None:
    result = run(
        shape("deals_no_ids.csv"), "--from", "2024-01-01", "--to", "2024-06-30", "--by", "channel"
    )
    assert result.exit_code == 0, result.output
    assert any("row" in line.lower() for line in stderr_lines(result)), result.stderr
    rep = json.loads(result.stdout)
    assert rep["inputs"][0]["rows"] == 18 and rep["inputs"][0]["used"] == 18
    totals = rep["totals"]
    # Closed Won in H1 2024 (not 12/18/2023, 7/2, 7/15): 4200 + 12500 + 899 + 7300 + 1500 +
    # 2640 + 18000 + 5000 + 999.99 + 6400 + 11250.50 + 1799 + 3333.33 = 75821.82
    assert totals["revenue"] == 75821.82
    assert totals["won_deals"] == 13
    assert totals["lost_deals"] == 2  # Litware 3/19, Fourth Coffee 5/22
    assert totals["win_rate"] == pytest.approx(13 / 15)
    assert totals["avg_deal_size"] == 5832.45  # 75821.82 / 13 = 5832.447…
    assert totals["sales_cycle_days"] is None  # no created date
    # 10 accounts won in W; Northwind Traders first won on 12/18/2023, so 9 are new
    assert totals["active_customers"] == 10
    assert totals["new_customers"] == 9
    channels = rows_by(rep, "channel")
    assert channels["Web"]["revenue"] == 9397.99  # 4200 + 899 + 1500 + 999.99 + 1799
    assert channels["Partner Referral"]["revenue"] == 20140.0  # 12500 + 2640 + 5000
    assert channels["Trade Show"]["revenue"] == 36550.5  # 7300 + 18000 + 11250.50
    assert channels["Advertisement"]["revenue"] == 9733.33  # 6400 + 3333.33


def test_inspect_shows_the_row_numbers_as_ids(wide_terminal: None) -> None:
    output = runner.invoke(app, ["inspect", shape("deals_no_ids.csv"), "--kind", "deals"]).output
    assert "18 rows, 18 used" in output
    # The first records as parsed carry the row the spreadsheet shows: the header is row 1.
    assert "row 2" in output and "row 3" in output


# --- 7. API-style headers: CamelCase and UPPER_SNAKE --------------------------------------------

API_WINDOW = ["--from", "2024-04-01", "--to", "2024-09-30"]


@pytest.mark.parametrize("name", ["deals_camelcase.csv", "deals_upper.csv"])
def test_api_style_headers_figures(name: str) -> None:
    rep = report(shape(name), *API_WINDOW, "--by", "channel")
    assert rep["inputs"][0]["rows"] == 20 and rep["inputs"][0]["used"] == 20
    totals = rep["totals"]
    # Closed Won in Apr–Sep 2024: 8200 + 3400.50 + 27500 + 990 + 4750 + 11800 + 18250.25 +
    # 5600 + 1250 = 81740.75 (not 03-28 nor 10-08)
    assert totals["revenue"] == 81740.75
    assert totals["won_deals"] == 9
    assert totals["lost_deals"] == 4  # 04-17, 06-26, 08-19, 09-12
    assert totals["win_rate"] == pytest.approx(9 / 13)
    assert totals["avg_deal_size"] == 9082.31  # 81740.75 / 9 = 9082.305…
    # Cycles: 33, 22, 66, 41, 36, 66, 83, 59, 24; sorted 22 24 33 36 [41] 59 66 66 83
    assert totals["sales_cycle_days"] == 41
    # Open created in W: Proposal (07-15), Negotiation (08-28), Prospecting (09-12);
    # not Qualification (created 10-02) nor Value Proposition (created 03-18)
    assert totals["open_deals"] == 3
    # Won in W: Globex ×2, Hooli ×2, Umbrella, Acme, Wayne, Cyberdyne, Tyrell = 7 accounts;
    # Acme first won 2024-03-28, before W: 6 new
    assert totals["active_customers"] == 7
    assert totals["new_customers"] == 6
    channels = rows_by(rep, "channel")
    assert channels["Web"]["revenue"] == 18390.0  # 990 + 11800 + 5600
    assert channels["Partner"]["revenue"] == 53950.25  # 8200 + 27500 + 18250.25
    assert channels["Advertisement"]["revenue"] == 4650.5  # 3400.50 + 1250
    assert channels["Trade Show"]["revenue"] == 4750.0


def test_camelcase_and_upper_snake_read_alike() -> None:
    camel = report(shape("deals_camelcase.csv"), *API_WINDOW, "--by", "channel", "--by", "month")
    upper = report(shape("deals_upper.csv"), *API_WINDOW, "--by", "channel", "--by", "month")
    assert camel["totals"] == upper["totals"]
    assert camel["breakdowns"] == upper["breakdowns"]


# --- what each file holds, guessed from its headers -------------------------------------------


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("opportunities.csv", "deals"),
        ("accounts.csv", "customers"),
        ("orders.csv", "deals"),  # order_id, order_date, revenue: sales, not a customer list
        ("monthly_spend.csv", "costs"),
        ("ledger_months_text.csv", "costs"),
        ("ledger_quarters.csv", "costs"),
        ("ledger_years.csv", "costs"),
        ("kosten_maanden.csv", "costs"),
        ("opportunities.xlsx", "deals"),
        ("deals_no_ids.csv", "deals"),  # Close Date, Amount, Stage: a closed-won report
        ("deals_camelcase.csv", "deals"),
        ("deals_upper.csv", "deals"),
    ],
)
def test_inspect_guesses_what_each_file_holds(wide_terminal: None, name: str, kind: str) -> None:
    first = inspect(shape(name)).splitlines()[0]
    assert f"{name} as {kind}:" in first
    assert "rejected" not in first, first

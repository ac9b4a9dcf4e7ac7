"""The figures of the metric contract (/work/shared/spec/metrics.md, §2–§4), checked by hand.

Every input goes through the real pipeline: CSV text written to a temporary directory and read
with :func:`crm_roi.inputs.load.load_input`, so the frames are exactly what the commands give the
engine.

Conventions of the expected values below:

- money is compared exactly as :class:`~decimal.Decimal` (in currency units) where it is a sum
  or a plain quotient of sums (revenue, costs, avg_deal_size, cac, clv_to_date, ...);
- ratios, days, hours and products of ratios (clv, ltv_cac, payback_months) are compared with
  ``pytest.approx``;
- the arithmetic is written out as expressions so that a reader can check every figure.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crm_roi.engine.compute import CurrencyError, Inputs, Report, Settings, compute
from crm_roi.engine.figures import FIELDS
from crm_roi.engine.money import split_cents
from crm_roi.inputs.load import load_input
from crm_roi.inputs.schema import InputKind

D = Decimal
YEAR = D("365.25")  # days per year, §3 purchase_frequency / churn_rate
NONE = "(none)"
UNATTRIBUTED = "(unattributed)"

# Money compared exactly; everything else that is not a count is compared approximately.
EXACT_MONEY = frozenset({
    "revenue", "avg_deal_size", "direct_cost", "time_cost", "cost", "gross_profit",
    "net_return", "acquisition_cost", "cac", "clv_to_date", "lead_revenue",
})  # fmt: skip
COUNTS = frozenset({
    "won_deals", "lost_deals", "open_deals", "new_customers", "active_customers", "leads",
    "converted_leads", "won_leads",
})  # fmt: skip


# ---------------------------------------------------------------------------------------------
# Helpers


def _load(path: Path, kind: InputKind) -> Any:
    loaded = load_input(path, kind)
    assert loaded.rejected_total == 0, [str(i) for i in loaded.all_rejections]
    return loaded.frame


def make_inputs(
    folder: Path,
    deals: str,
    costs: str | None = None,
    customers: str | None = None,
    time_logs: str | None = None,
) -> Inputs:
    """Write the CSV texts into ``folder`` and load them as the commands do."""
    frames: dict[str, Any] = {}
    for name, text, kind in (
        ("deals", deals, InputKind.DEALS),
        ("costs", costs, InputKind.COSTS),
        ("customers", customers, InputKind.CUSTOMERS),
        ("time_logs", time_logs, InputKind.TIME_LOGS),
    ):
        if text is None:
            frames[name] = None
            continue
        path = folder / f"{name}.csv"
        path.write_text(_dedent(text), encoding="utf-8")
        frames[name] = _load(path, kind)
    return Inputs(**frames)


def _dedent(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines()]
    return "\n".join(lines) + "\n"


# Without --leads every lead figure is 0 or null (docs/metrics.md, leads).
NO_LEADS: dict[str, Any] = {
    "leads": 0,
    "converted_leads": 0,
    "lead_conversion_rate": None,
    "won_leads": 0,
    "lead_to_win_rate": None,
    "lead_revenue": "0.00",
    "days_to_convert": None,
    "cost_per_lead": None,
}


def check_figures(actual: Mapping[str, Any], expected: Mapping[str, Any], where: str) -> None:
    """Every field of §3 (and §5), compared; all differences reported at once. Fixtures
    without leads state §3's fields; the lead figures must then be those of no leads."""
    if not set(expected) & set(NO_LEADS):
        expected = {**NO_LEADS, **expected}
    assert set(expected) == set(FIELDS), f"{where}: the test must state every field"
    problems = []
    for name in FIELDS:
        want, got = expected[name], actual.get(name, "<missing>")
        if want is None or got is None:
            ok = want is None and got is None
        elif name in COUNTS:
            ok = isinstance(got, int) and got == want
        elif name in EXACT_MONEY:
            ok = isinstance(got, Decimal) and got == D(want)
        else:
            ok = float(got) == pytest.approx(float(want), rel=1e-12, abs=1e-12)
        if not ok:
            problems.append(f"{name}: expected {want!r}, got {got!r}")
    assert not problems, f"{where}:\n  " + "\n  ".join(problems)


def rows_by_key(report: Report, breakdown: str) -> dict[str, dict[str, Any]]:
    dims = tuple(breakdown.split(","))  # "channel,month": the dimensions of the breakdown
    return {",".join(row[d] for d in dims): row for row in report.breakdowns[dims]}


def days(a: date, b: date) -> int:
    """Days from a to b (b − a)."""
    return (b - a).days


# ---------------------------------------------------------------------------------------------
# 1. The spec's worked examples (§3, end)


def test_worked_example_roi_1_5_and_cac_500(tmp_path: Path) -> None:
    # 20 new customers, each with one won deal of 1,250.00 → revenue 20 × 1,250 = 25,000.
    deal_rows = "\n".join(
        f"W{i:02d},N{i:02d},1250.00,Closed Won,2024-01-{i:02d},2024-02-{i:02d}"
        for i in range(1, 21)
    )
    inputs = make_inputs(
        tmp_path,
        deals="Deal ID,Customer,Amount,Stage,Created Date,Close Date\n" + deal_rows,
        costs="""
            Date,Amount
            2024-01-15,10000.00
        """,
    )
    totals = compute(inputs, Settings(start=date(2024, 1, 1), end=date(2024, 12, 31))).totals
    assert totals["revenue"] == D(25000)
    assert totals["cost"] == D(10000)
    assert totals["new_customers"] == 20
    assert totals["net_return"] == D(25000) - D(10000)
    assert float(totals["roi"]) == pytest.approx(1.5)  # (25,000 − 10,000) / 10,000 = 150 %
    assert totals["cac"] == D(500)  # 10,000 / 20


def test_worked_example_roi_3(tmp_path: Path) -> None:
    # "Net profit 100,000 against cost 25,000 → roi 3.0 (300 %)": the 100,000 is the profit the
    # effort brought in *before* its cost (gross_profit in §3), so roi = (100,000 − 25,000) /
    # 25,000 = 3.0. Modelled as revenue 100,000 at the default gross margin 1.0.
    inputs = make_inputs(
        tmp_path,
        deals="""
            Deal ID,Customer,Amount,Stage,Close Date
            X1,K1,100000.00,Won,2024-03-01
        """,
        costs="""
            Date,Amount
            2024-03-01,25000.00
        """,
    )
    totals = compute(inputs, Settings()).totals
    assert totals["gross_profit"] == D(100000)
    assert totals["net_return"] == D(100000) - D(25000)
    assert float(totals["roi"]) == pytest.approx(3.0)  # 75,000 / 25,000 = 300 %


def test_worked_example_roi_3_as_revenue_125000(tmp_path: Path) -> None:
    # The other reading, revenue 125,000 and cost 25,000 (net_return 100,000): by §3's own
    # definition, roi = net_return / cost = 100,000 / 25,000 = 4.0, not 3.0 — so the worked
    # example can only mean the reading of the test above.
    inputs = make_inputs(
        tmp_path,
        deals="""
            Deal ID,Customer,Amount,Stage,Close Date
            X1,K1,125000.00,Won,2024-03-01
        """,
        costs="""
            Date,Amount
            2024-03-01,25000.00
        """,
    )
    totals = compute(inputs, Settings()).totals
    assert totals["net_return"] == D(100000)
    assert float(totals["roi"]) == pytest.approx(4.0)


# ---------------------------------------------------------------------------------------------
# 2. A small fixture, every field by hand
#
# Window W = 2024-01-01 … 2024-03-31 (explicit): 31 + 29 + 31 = 91 days (2024 is a leap year).
#
# Channels: Email (campaign Newsletter), Paid Search (campaign Spring Promo); D04's campaign is
# blank so Spring Promo ties to Paid Search only, and Newsletter to Email only.

FIXTURE_DEALS = """
    Deal ID,Customer,Amount,Stage,Created Date,Close Date,Lead Source,Campaign
    D01,C1,1200.00,Closed Won,2023-12-10,2024-01-15,Email,Newsletter
    D02,C1,800.00,Closed Won,2024-02-01,2024-03-10,Email,Newsletter
    D03,C2,3000.00,Closed Won,2024-01-05,2024-02-20,Paid Search,Spring Promo
    D04,C3,500.00,Closed Won,2023-10-01,2023-11-15,Paid Search,
    D05,C3,1500.00,Closed Won,2024-02-10,2024-03-05,,
    D06,C2,2000.00,Closed Lost,2024-01-10,2024-03-20,Paid Search,Spring Promo
    D07,,700.00,Closed Lost,2024-01-20,2024-02-05,Email,
    D08,,900.00,Proposal,2024-02-15,,Paid Search,
    D09,,400.00,Qualification,,,,
    D10,C4,2500.00,Closed Won,2024-03-01,2024-04-10,Email,
    D11,,600.00,Closed Won,2024-01-02,2024-01-25,,
    D12,,300.00,Negotiation,2023-06-01,,Email,
"""
# Customers: C3 has its own acquired_date (before W) and churns in W; C4's acquired_date is in W
# though its first won deal (D10) closes after W; C5 has no deals at all and churns in W.
FIXTURE_CUSTOMERS = """
    Customer ID,Segment,Acquired Date,Churned Date
    C1,SMB,,
    C2,Enterprise,,
    C3,SMB,2023-09-01,2024-03-16
    C4,Mid-Market,2024-02-01,
    C5,SMB,2023-05-01,2024-01-31
"""
# K2 is spread over 2023-12-02 … 2024-01-31 = 30 + 31 = 61 days → 6,100 / 61 = 100.00 a day; it
#   crosses the window's start: only Jan 1–31 is in W → 31 × 100 = 3,100.00.
# K3 has a campaign and no channel → Paid Search (the deals tie Spring Promo to Paid Search).
# K4 has neither → (unattributed).  K5 is a credit.  K6 is retention.  K7 is after W.
# K8 is spread over 2024-02-15 … 2024-03-14 = 15 + 14 = 29 days → 10.00 a day: Feb 150, Mar 140.
FIXTURE_COSTS = """
    Date,Start Date,End Date,Amount,Channel,Campaign,Category,Type
    2024-01-10,,,1000.00,Email,,Ads,
    ,2023-12-02,2024-01-31,6100.00,Paid Search,,Ads,
    2024-02-05,,,400.00,,Spring Promo,Ads,
    2024-03-01,,,250.00,,,Tools,
    2024-02-20,,,-150.00,Email,,Ads,
    2024-03-15,,,300.00,Email,,Customer success,retention
    2024-04-05,,,999.00,Email,,Ads,
    ,2024-02-15,2024-03-14,290.00,Email,,Tools,
"""
# T1 → deal D01 (Email), 2 h × 50 = 100.00
# T2 → customer C2 (channel of its acquisition deal D03: Paid Search), 1.5 h × 80 = 120.00,
#      account management = retention
# T3 → campaign Newsletter (→ Email), 3 h × 40 = 120.00
# T4 → no link → (unattributed), 1 h × 60 = 60.00
# T5 → after W, not counted
FIXTURE_TIME_LOGS = """
    Date,Person,Activity,Hours,Hourly Rate,Deal ID,Customer ID,Campaign
    2024-01-12,Ann,Demo,2,50.00,D01,,
    2024-02-10,Bob,Account management,1.5,80.00,,C2,
    2024-03-02,Cas,Webinar,3,40.00,,,Newsletter
    2024-01-20,Ann,Admin,1,60.00,,,
    2024-04-02,Ann,Demo,2,50.00,D10,,
"""

W_START, W_END = date(2024, 1, 1), date(2024, 3, 31)
W_DAYS = 31 + 29 + 31
assert days(W_START, W_END) + 1 == W_DAYS
YEARS_W = D(W_DAYS) / YEAR
AFTER_W = date(2024, 4, 1)  # the exclusive end of W for time at risk, [from, to + 1 day)

# Sales cycles (close − created) of the won deals closed in W:
CYCLE = {
    "D01": days(date(2023, 12, 10), date(2024, 1, 15)),  # 21 + 15 = 36
    "D02": days(date(2024, 2, 1), date(2024, 3, 10)),  # 29 + 9 = 38
    "D03": days(date(2024, 1, 5), date(2024, 2, 20)),  # 27 + 19 = 46
    "D05": days(date(2024, 2, 10), date(2024, 3, 5)),  # 20 + 4 = 24
    "D11": days(date(2024, 1, 2), date(2024, 1, 25)),  # 23
}
assert CYCLE == {"D01": 36, "D02": 38, "D03": 46, "D05": 24, "D11": 23}

# Acquisition dates (§3 new_customers): customers.acquired_date, else first won deal's close:
#   C1 2024-01-15 (D01), C2 2024-02-20 (D03), C3 2023-09-01 (own), C4 2024-02-01 (own),
#   C5 2023-05-01 (own).   New in W: C1, C2, C4 → 3.
# Groups of the customers (their first won deal's channel): C1 Email (D01), C2 Paid Search (D03),
#   C3 Paid Search (D04), C4 Email (D10), C5 (none) (no deals, no own channel).
# Days at risk in W, overlap of [acquired, churned) with [2024-01-01, 2024-04-01):
RISK = {
    "C1": days(date(2024, 1, 15), AFTER_W),  # 17 + 29 + 31 = 77
    "C2": days(date(2024, 2, 20), AFTER_W),  # 10 + 31 = 41
    "C3": days(W_START, date(2024, 3, 16)),  # churned 2024-03-16: 31 + 29 + 15 = 75
    "C4": days(date(2024, 2, 1), AFTER_W),  # 29 + 31 = 60
    "C5": days(W_START, date(2024, 1, 31)),  # churned 2024-01-31: 30
}
assert RISK == {"C1": 77, "C2": 41, "C3": 75, "C4": 60, "C5": 30}
# Won revenue up to W's end (2024-03-31), over all input (for clv_to_date):
#   C1 1,200 + 800 = 2,000; C2 3,000; C3 500 + 1,500 = 2,000; C4 0 (D10 closes after W); C5 0.


@pytest.fixture(scope="module")
def fixture_inputs(tmp_path_factory: pytest.TempPathFactory) -> Inputs:
    return make_inputs(
        tmp_path_factory.mktemp("fixture"),
        deals=FIXTURE_DEALS,
        costs=FIXTURE_COSTS,
        customers=FIXTURE_CUSTOMERS,
        time_logs=FIXTURE_TIME_LOGS,
    )


@pytest.fixture(scope="module")
def fixture_report(fixture_inputs: Inputs) -> Report:
    return compute(
        fixture_inputs,
        Settings(start=W_START, end=W_END, by=(("channel",), ("month",))),
    )


ONE = D(1)


def expected_totals(gross_margin: Decimal = ONE) -> dict[str, Any]:
    # won in W: D01, D02, D03, D05, D11
    revenue = D("1200.00") + D("800.00") + D("3000.00") + D("1500.00") + D("600.00")
    won, lost, open_ = 5, 2, 2  # lost: D06, D07; open: D08 (created in W), D09 (no created date)
    avg = revenue / won  # 7,100 / 5 = 1,420
    # K1 1,000 + K2 3,100 (its January) + K3 400 + K4 250 + K5 −150 + K6 300 + K8 290
    direct = D(1000) + D(3100) + D(400) + D(250) - D(150) + D(300) + D(290)  # 5,190
    time = D(100) + D(120) + D(120) + D(60)  # T1..T4 = 400
    cost = direct + time  # 5,590
    gross = revenue * gross_margin
    net = gross - cost
    acquisition = (direct - D(300)) + (time - D(120))  # less K6 and T2 (retention): 5,170
    new = 3  # C1, C2, C4
    cac = acquisition / new
    active = 3  # C1, C2, C3 (D11 has no customer)
    frequency = D(won) / active / YEARS_W
    churn = D(2) / (D(sum(RISK.values())) / YEAR)  # C3 and C5 churn in W; 283 days at risk
    lifespan = 1 / churn  # 283 / 730.5 ≈ 0.387, under the cap of 10
    clv = avg * frequency * gross_margin * lifespan
    return {
        "revenue": revenue,
        "won_deals": won,
        "lost_deals": lost,
        "open_deals": open_,
        "win_rate": D(5) / (5 + 2),
        "avg_deal_size": avg,
        "sales_cycle_days": 36,  # median of 23, 24, 36, 38, 46
        "direct_cost": direct,
        "time_cost": time,
        "hours": 2 + 1.5 + 3 + 1,
        "cost": cost,
        "gross_profit": gross,
        "net_return": net,
        "roi": net / cost,
        "new_customers": new,
        "acquisition_cost": acquisition,
        "cac": cac,
        "active_customers": active,
        "purchase_frequency": frequency,
        "churn_rate": churn,
        "lifespan_years": lifespan,
        "clv": clv,
        "clv_to_date": (D(2000) + D(3000) + D(2000) + 0 + 0) / 5,  # C1..C5 acquired by W's end
        "ltv_cac": clv / cac,
        "payback_months": cac / (avg * frequency * gross_margin / 12),
    }


def test_fixture_totals(fixture_report: Report) -> None:
    assert fixture_report.start == W_START and fixture_report.end == W_END
    check_figures(fixture_report.totals, expected_totals(), "totals")
    assert fixture_report.totals["revenue"] == D("7100.00")
    assert fixture_report.totals["cost"] == D("5590.00")


def test_fixture_totals_with_gross_margin(fixture_inputs: Inputs) -> None:
    margin = D("0.6")
    report = compute(fixture_inputs, Settings(start=W_START, end=W_END, gross_margin=margin))
    expected = expected_totals(margin)
    assert expected["gross_profit"] == D("4260.00")  # 7,100 × 0.6
    assert expected["net_return"] == D("-1330.00")  # 4,260 − 5,590
    check_figures(report.totals, expected, "totals, gross margin 0.6")


def expected_by_channel() -> dict[str, dict[str, Any]]:
    freq_1 = D(1) / 1 / YEARS_W  # won_deals / active_customers / years(W), per group below
    email_avg, email_cac = D(2000) / 2, D(1360) / 2
    email_freq = D(2) / 1 / YEARS_W
    email_clv = email_avg * email_freq * 1 * D(10)
    ps_churn = D(1) / (D(RISK["C2"] + RISK["C3"]) / YEAR)  # C3 churns; 41 + 75 = 116 days
    ps_clv = D(3000) * freq_1 * 1 * (1 / ps_churn)
    none_freq = D(2) / 1 / YEARS_W
    none_churn = D(1) / (D(RISK["C5"]) / YEAR)  # C5 churns; 30 days
    none_clv = D(1050) * none_freq * 1 * (1 / none_churn)
    return {
        "Email": {
            "revenue": D(1200) + D(800),  # D01, D02 (D10 closes after W)
            "won_deals": 2,
            "lost_deals": 1,  # D07
            "open_deals": 0,  # D12 was created before W
            "win_rate": D(2) / 3,
            "avg_deal_size": email_avg,  # 2,000 / 2
            "sales_cycle_days": (36 + 38) / 2,
            "direct_cost": D(1000) - D(150) + D(300) + D(290),  # K1, K5, K6, K8 = 1,440
            "time_cost": D(100) + D(120),  # T1 (deal D01), T3 (campaign Newsletter) = 220
            "hours": 2 + 3,
            "cost": D(1440) + D(220),
            "gross_profit": D(2000),
            "net_return": D(2000) - D(1660),
            "roi": D(340) / D(1660),
            "new_customers": 2,  # C1 (D01), C4 (own acquired date in W; first won deal D10 Email)
            "acquisition_cost": D(1440) - D(300) + D(220),  # less K6 (retention) = 1,360
            "cac": email_cac,  # 1,360 / 2 = 680
            "active_customers": 1,  # C1
            "purchase_frequency": email_freq,
            "churn_rate": D(0),  # C1 and C4 at risk 77 + 60 days, none churned
            "lifespan_years": D(10),  # churn_rate 0 → the cap, --max-lifespan 10
            "clv": email_clv,
            "clv_to_date": (D(2000) + D(0)) / 2,  # C1, C4
            "ltv_cac": email_clv / email_cac,
            "payback_months": email_cac / (email_avg * email_freq * 1 / 12),
        },
        "Paid Search": {
            "revenue": D(3000),  # D03 (D04 closes before W)
            "won_deals": 1,
            "lost_deals": 1,  # D06
            "open_deals": 1,  # D08
            "win_rate": D(1) / 2,
            "avg_deal_size": D(3000),
            "sales_cycle_days": 46,
            "direct_cost": D(3100) + D(400),  # K2 in W, K3 (channel from its campaign) = 3,500
            "time_cost": D(120),  # T2 via customer C2
            "hours": 1.5,
            "cost": D(3500) + D(120),
            "gross_profit": D(3000),
            "net_return": D(3000) - D(3620),
            "roi": D(-620) / D(3620),
            "new_customers": 1,  # C2 (C3 was acquired before W)
            "acquisition_cost": D(3500) + D(0),  # T2 is account management: retention
            "cac": D(3500) / 1,
            "active_customers": 1,  # C2
            "purchase_frequency": freq_1,
            "churn_rate": ps_churn,
            "lifespan_years": 1 / ps_churn,  # 116 / 365.25 ≈ 0.318
            "clv": ps_clv,
            "clv_to_date": (D(3000) + D(2000)) / 2,  # C2, C3
            "ltv_cac": ps_clv / D(3500),
            "payback_months": D(3500) / (D(3000) * freq_1 * 1 / 12),
        },
        NONE: {
            "revenue": D(1500) + D(600),  # D05, D11
            "won_deals": 2,
            "lost_deals": 0,
            "open_deals": 1,  # D09
            "win_rate": D(2) / 2,
            "avg_deal_size": D(2100) / 2,
            "sales_cycle_days": (24 + 23) / 2,
            "direct_cost": D(0),
            "time_cost": D(0),
            "hours": 0,
            "cost": D(0),
            "gross_profit": D(2100),
            "net_return": D(2100),
            "roi": None,  # cost is 0
            "new_customers": 0,
            "acquisition_cost": D(0),
            "cac": None,  # no new customers
            "active_customers": 1,  # C3 (D05); D11 has no customer
            "purchase_frequency": none_freq,  # 2 won deals / 1 active customer / years(W)
            "churn_rate": none_churn,
            "lifespan_years": 1 / none_churn,  # 30 / 365.25
            "clv": none_clv,
            "clv_to_date": D(0) / 1,  # C5, no won deals
            "ltv_cac": None,
            "payback_months": None,
        },
        UNATTRIBUTED: {
            "revenue": D(0),
            "won_deals": 0,
            "lost_deals": 0,
            "open_deals": 0,
            "win_rate": None,
            "avg_deal_size": None,
            "sales_cycle_days": None,
            "direct_cost": D(250),  # K4
            "time_cost": D(60),  # T4
            "hours": 1,
            "cost": D(250) + D(60),
            "gross_profit": D(0),
            "net_return": -D(310),
            "roi": D(-310) / D(310),
            "new_customers": 0,
            "acquisition_cost": D(310),
            "cac": None,
            "active_customers": 0,
            "purchase_frequency": None,
            "churn_rate": None,
            "lifespan_years": None,
            "clv": None,
            "clv_to_date": None,
            "ltv_cac": None,
            "payback_months": None,
        },
    }


def test_fixture_channel_groups_and_order(fixture_report: Report) -> None:
    keys = [row["channel"] for row in fixture_report.breakdowns[("channel",)]]
    assert keys == ["Email", "Paid Search", NONE, UNATTRIBUTED]


@pytest.mark.parametrize("group", ["Email", "Paid Search", NONE, UNATTRIBUTED])
def test_fixture_by_channel(fixture_report: Report, group: str) -> None:
    row = rows_by_key(fixture_report, "channel")[group]
    check_figures(row, expected_by_channel()[group], f"channel={group}")


def expected_by_month() -> dict[str, dict[str, Any]]:
    # Flows of a period group — revenue, deals, costs, new and active customers, win rate, deal
    # size, cycle, cac — are measured over its own period within W (docs/metrics.md, period
    # rows). Deals are keyed by the month of close_date, open deals by their created date; an
    # open deal without a created date → (none).
    # Its customer rates — purchase frequency, churn, lifespan, clv, ltv_cac, payback — are
    # measured over the trailing twelve months T ending on the month's last day, not cut by
    # W (spec §2, v2); years(T) = 1, and the deal size inside clv and payback is T's:
    #   T(Jan) = 2023-02-01 … 2024-01-31, T(Feb) = 2023-03-01 … 2024-02-29,
    #   T(Mar) = 2023-04-01 … 2024-03-31.
    # Won deals in T (any customer): Jan D04 500, D01 1,200, D11 600 → 3 won, 2,300;
    #   Feb + D03 3,000 → 4 won, 5,300; Mar + D02 800, D05 1,500 → 6 won, 7,600.
    # Distinct customers with a won deal in T: Jan C3, C1; Feb and Mar C3, C1, C2.
    jan_freq, feb_freq, mar_freq = D(3) / 2, D(4) / 3, D(6) / 3
    jan_avg, feb_avg, mar_avg = D(2300) / 3, D(5300) / 4, D(7600) / 6
    # Customer-days at risk in T, [acquired, churned) ∩ [T start, T end + 1 day):
    #   C1 from 2024-01-15, C2 from 02-20, C3 2023-09-01 to 2024-03-16, C4 from 2024-02-01,
    #   C5 2023-05-01 to 2024-01-31 (275 days, all of them in each T).
    jan_risk = 17 + 0 + 153 + 0 + 275  # C3: Sep 30 + Oct 31 + Nov 30 + Dec 31 + Jan 31
    feb_risk = 46 + 10 + 182 + 29 + 275
    mar_risk = 77 + 41 + 197 + 60 + 275
    # Churned in T: Jan and Feb C5 (2024-01-31); Mar C5 and C3 (2024-03-16).
    jan_churn = D(1) / (D(jan_risk) / YEAR)
    feb_churn = D(1) / (D(feb_risk) / YEAR)
    mar_churn = D(2) / (D(mar_risk) / YEAR)
    jan_clv = jan_avg * jan_freq * 1 * (1 / jan_churn)
    feb_clv = feb_avg * feb_freq * 1 * (1 / feb_churn)
    mar_clv = mar_avg * mar_freq * 1 * (1 / mar_churn)
    return {
        "2024-01": {
            "revenue": D(1200) + D(600),  # D01, D11
            "won_deals": 2,
            "lost_deals": 0,
            "open_deals": 0,
            "win_rate": D(1),
            "avg_deal_size": D(1800) / 2,
            "sales_cycle_days": (36 + 23) / 2,
            "direct_cost": D(1000) + D(3100),  # K1, K2's January
            "time_cost": D(100) + D(60),  # T1, T4
            "hours": 2 + 1,
            "cost": D(4100) + D(160),
            "gross_profit": D(1800),
            "net_return": D(1800) - D(4260),
            "roi": D(-2460) / D(4260),
            "new_customers": 1,  # C1 (01-15)
            "acquisition_cost": D(4260),
            "cac": D(4260) / 1,
            "active_customers": 1,  # C1
            "purchase_frequency": jan_freq,
            "churn_rate": jan_churn,
            "lifespan_years": 1 / jan_churn,  # 445 / 365.25
            "clv": jan_clv,
            # acquired by 01-31: C1 (1,200 by then), C3 (500), C5 (0)
            "clv_to_date": (D(1200) + D(500) + D(0)) / 3,
            "ltv_cac": jan_clv / D(4260),
            "payback_months": D(4260) / (jan_avg * jan_freq * 1 / 12),
        },
        "2024-02": {
            "revenue": D(3000),  # D03
            "won_deals": 1,
            "lost_deals": 1,  # D07
            "open_deals": 1,  # D08, created 02-15
            "win_rate": D(1) / 2,
            "avg_deal_size": D(3000),
            "sales_cycle_days": 46,
            "direct_cost": D(400) - D(150) + D(150),  # K3, K5, K8's 15 February days
            "time_cost": D(120),  # T2
            "hours": 1.5,
            "cost": D(400) + D(120),
            "gross_profit": D(3000),
            "net_return": D(3000) - D(520),
            "roi": D(2480) / D(520),
            "new_customers": 2,  # C4 (02-01), C2 (02-20)
            "acquisition_cost": D(400),  # T2 is retention
            "cac": D(400) / 2,
            "active_customers": 1,  # C2
            "purchase_frequency": feb_freq,
            "churn_rate": feb_churn,
            "lifespan_years": 1 / feb_churn,  # 542 / 365.25
            "clv": feb_clv,
            # acquired by 02-29: C1 (1,200), C2 (3,000), C3 (500), C4 (0), C5 (0)
            "clv_to_date": (D(1200) + D(3000) + D(500)) / 5,
            "ltv_cac": feb_clv / D(200),
            "payback_months": D(200) / (feb_avg * feb_freq * 1 / 12),
        },
        "2024-03": {
            "revenue": D(800) + D(1500),  # D02, D05
            "won_deals": 2,
            "lost_deals": 1,  # D06
            "open_deals": 0,
            "win_rate": D(2) / 3,
            "avg_deal_size": D(2300) / 2,
            "sales_cycle_days": (38 + 24) / 2,
            "direct_cost": D(250) + D(300) + D(140),  # K4, K6, K8's 14 March days
            "time_cost": D(120),  # T3
            "hours": 3,
            "cost": D(690) + D(120),
            "gross_profit": D(2300),
            "net_return": D(2300) - D(810),
            "roi": D(1490) / D(810),
            "new_customers": 0,
            "acquisition_cost": D(690) - D(300) + D(120),  # less K6 (retention) = 510
            "cac": None,
            "active_customers": 2,  # C1, C3
            "purchase_frequency": mar_freq,
            "churn_rate": mar_churn,
            "lifespan_years": 1 / mar_churn,  # 650 / 2 / 365.25
            "clv": mar_clv,
            "clv_to_date": (D(2000) + D(3000) + D(2000) + 0 + 0) / 5,
            "ltv_cac": None,
            "payback_months": None,
        },
        NONE: {
            "revenue": D(0),
            "won_deals": 0,
            "lost_deals": 0,
            "open_deals": 1,  # D09: no created date
            "win_rate": None,
            "avg_deal_size": None,
            "sales_cycle_days": None,
            "direct_cost": D(0),
            "time_cost": D(0),
            "hours": 0,
            "cost": D(0),
            "gross_profit": D(0),
            "net_return": D(0),
            "roi": None,
            "new_customers": 0,
            "acquisition_cost": D(0),
            "cac": None,
            "active_customers": 0,
            "purchase_frequency": None,
            "churn_rate": None,  # no customer has an undated acquisition
            "lifespan_years": None,
            "clv": None,
            "clv_to_date": None,
            "ltv_cac": None,
            "payback_months": None,
        },
    }


def test_fixture_month_groups_and_order(fixture_report: Report) -> None:
    keys = [row["month"] for row in fixture_report.breakdowns[("month",)]]
    assert keys == ["2024-01", "2024-02", "2024-03", NONE]


@pytest.mark.parametrize("group", ["2024-01", "2024-02", "2024-03", NONE])
def test_fixture_by_month(fixture_report: Report, group: str) -> None:
    row = rows_by_key(fixture_report, "month")[group]
    check_figures(row, expected_by_month()[group], f"month={group}")


def test_fixture_groups_add_up(fixture_report: Report) -> None:
    totals = fixture_report.totals
    for breakdown in ("channel", "month"):
        rows = fixture_report.breakdowns[(breakdown,)]
        for name in (
            "revenue",
            "direct_cost",
            "time_cost",
            "cost",
            "acquisition_cost",
            "won_deals",
            "lost_deals",
            "open_deals",
            "new_customers",
        ):
            assert sum(r[name] for r in rows) == totals[name], (breakdown, name)
        assert sum(r["hours"] for r in rows) == pytest.approx(totals["hours"])


def test_time_on_a_deal_without_the_dimension_is_in_that_deals_group(tmp_path: Path) -> None:
    # §2: "Time is attributed through its link: a deal_id gives every dimension of that deal".
    # Deal N1 has no channel, so it is in the group (none) (§2: "Deals with no value for D form
    # the group (none)"), and so is the time logged on it: it *is* attributed, to N1's group.
    # (The module docstring says the same: "a deal gives that deal's keys".)
    # Only the log with no link at all is (unattributed).
    inputs = make_inputs(
        tmp_path,
        deals="""
            Deal ID,Amount,Stage,Close Date,Channel
            N1,1000.00,Won,2024-01-10,
            E1,500.00,Won,2024-01-11,Email
        """,
        time_logs="""
            Date,Hours,Hourly Rate,Deal ID
            2024-01-05,2,50.00,N1
            2024-01-06,1,30.00,E1
            2024-01-07,1,20.00,
        """,
    )
    report = compute(inputs, Settings(by=(("channel",),)))
    rows = rows_by_key(report, "channel")
    assert rows[NONE]["time_cost"] == D(2) * D(50)  # 100.00, the time on N1
    assert rows[NONE]["cost"] == D(100)
    assert rows["Email"]["time_cost"] == D(30)
    assert rows[UNATTRIBUTED]["time_cost"] == D(20)
    assert report.totals["time_cost"] == D(100) + D(30) + D(20)


@pytest.mark.parametrize("ids", [("D-7", "D-8", "D-9"), ("Acme-x", "Beta-y", "Gamma-z")])
def test_time_links_to_deals_by_id_numbered_or_not(tmp_path: Path, ids: tuple[str, ...]) -> None:
    """Numbered ids are matched as numbers, others as text: the same links either way, and
    an id that is no deal's ("D-07" is not "D-7") stays unattributed."""
    a, b, c = ids
    inputs = make_inputs(
        tmp_path,
        deals=f"""
            Deal ID,Amount,Stage,Close Date,Channel
            {a},1000.00,Won,2024-01-10,Email
            {b},500.00,Won,2024-01-11,Paid
            {c},500.00,Lost,2024-01-12,Paid
        """,
        time_logs=f"""
            Date,Hours,Hourly Rate,Deal ID
            2024-01-05,2,50.00,{a}
            2024-01-06,1,30.00,{c}
            2024-01-07,1,20.00,{a.replace("-", "-0")}
        """,
    )
    rows = rows_by_key(compute(inputs, Settings(by=(("channel",),))), "channel")
    assert rows["Email"]["time_cost"] == D(100)
    assert rows["Paid"]["time_cost"] == D(30)
    assert rows[UNATTRIBUTED]["time_cost"] == D(20)


def test_a_repeated_deal_id_links_time_to_its_first_row() -> None:
    """Records that skipped validation may repeat a deal id: time goes to the first row."""
    import pandas as pd

    deals = pd.DataFrame(
        {
            "deal_id": pd.array(["D-1", "D-1", "D-2"], dtype="string[pyarrow]"),
            "amount": pd.array([100_00, 200_00, 300_00], dtype="Int64"),
            "status": pd.array(["won", "won", "won"], dtype="string[pyarrow]"),
            "close_date": pd.to_datetime(["2024-01-10", "2024-01-11", "2024-01-12"]),
            "channel": pd.array(["First", "Second", "Other"], dtype="string[pyarrow]"),
        }
    )
    logs = pd.DataFrame(
        {
            "deal_id": pd.array(["D-1"], dtype="string[pyarrow]"),
            "date": pd.to_datetime(["2024-01-10"]),
            "hours": [1.0],
            "hourly_rate": pd.array([40_00], dtype="Int64"),
        }
    )
    rows = rows_by_key(
        compute(Inputs(deals, time_logs=logs), Settings(by=(("channel",),))), "channel"
    )
    assert rows["First"]["time_cost"] == D(40)
    assert rows["Second"]["time_cost"] == D(0)


def test_fixture_cross_breakdown_rows_carry_both_keys(fixture_inputs: Inputs) -> None:
    report = compute(fixture_inputs, Settings(start=W_START, end=W_END, by=(("channel", "month"),)))
    rows = rows_by_key(report, "channel,month")
    # Email in February: K5 −150 + K8's February 150 = 0 direct cost; no deal won, D07 lost.
    email_feb = rows["Email,2024-02"]
    assert email_feb["channel"] == "Email" and email_feb["month"] == "2024-02"
    assert email_feb["direct_cost"] == D(-150) + D(150)
    assert email_feb["lost_deals"] == 1
    # Paid Search in January: K2's January 3,100; no time (T2 is in February).
    assert rows["Paid Search,2024-01"]["direct_cost"] == D(3100)
    assert rows["Paid Search,2024-01"]["time_cost"] == D(0)
    assert sum(r["cost"] for r in rows.values()) == report.totals["cost"] == D(5590)
    assert sum(r["revenue"] for r in rows.values()) == report.totals["revenue"] == D(7100)


def test_time_cost_rounds_each_log_half_up_exactly(tmp_path: Path) -> None:
    # docs/metrics.md (time_cost): "each log is rounded half up to the cent"; §1: money is exact.
    # 0.35 h × 25.70 = 8.995 → 9.00 (in binary floating point 0.35 × 2570 is 899.4999…, which
    # would round to 8.99); 2 h × 10.00 = 20.00.
    inputs = make_inputs(
        tmp_path,
        deals="""
            Deal ID,Amount,Stage,Close Date
            A1,100.00,Won,2024-01-10
        """,
        time_logs="""
            Date,Hours,Hourly Rate
            2024-01-05,0.35,25.70
            2024-01-06,2,10.00
        """,
    )
    totals = compute(inputs, Settings()).totals
    assert totals["time_cost"] == D("9.00") + D("20.00")
    assert totals["hours"] == pytest.approx(0.35 + 2)


@settings(max_examples=50, deadline=None)
@given(
    logs=st.lists(
        st.one_of(
            st.tuples(st.integers(1, 2400), st.integers(0, 50000)),
            # odd hundredths of an hour × 50 × odd cents: always a half-cent tie
            st.tuples(
                st.integers(0, 1199).map(lambda n: 2 * n + 1),
                st.integers(0, 499).map(lambda k: 50 * (2 * k + 1)),
            ),
        ),
        min_size=1,
        max_size=6,
    )
)
def test_property_time_cost_is_exact(logs: list[tuple[int, int]]) -> None:
    # hours with two decimals (0.01 … 24.00), hourly rate in cents
    lines = ["Date,Hours,Hourly Rate"]
    lines += [f"2024-01-05,{D(h) / 100},{_money(rate)}" for h, rate in logs]
    with tempfile.TemporaryDirectory() as folder:
        inputs = make_inputs(
            Path(folder),
            deals="Deal ID,Amount,Stage,Close Date\nA1,1.00,Won,2024-01-10",
            time_logs="\n".join(lines),
        )
    totals = compute(inputs, Settings()).totals
    expected = sum(
        (D(h) / 100 * D(rate)).quantize(D(1), rounding=ROUND_HALF_UP) for h, rate in logs
    )
    assert totals["time_cost"] == D(expected) / 100


# ---------------------------------------------------------------------------------------------
# 3. Null rules

SIMPLE_DEALS = """
    Deal ID,Customer,Amount,Stage,Created Date,Close Date,Channel
    S1,A,1000.00,Won,2024-01-01,2024-01-11,Email
    S2,B,3000.00,Won,2024-01-05,2024-02-04,Email
    S3,,500.00,Lost,2024-01-10,2024-02-10,Email
    S4,,700.00,Open,2024-02-01,,Email
"""


def test_no_costs_and_no_time_logs_cost_fields_are_null(tmp_path: Path) -> None:
    # Without any cost input the cost is unknown, not 0: the cost fields are null and the
    # revenue fields are computed. (§3's "null when" column reads "—" for the cost fields; the
    # project's docs/metrics.md states this rule: "no costs input" / "no time logs input" /
    # "no costs and no time logs" → null.)
    report = compute(make_inputs(tmp_path, deals=SIMPLE_DEALS), Settings(by=(("channel",),)))
    for figures in (report.totals, report.breakdowns[("channel",)][0]):
        for name in (
            "direct_cost",
            "time_cost",
            "hours",
            "cost",
            "net_return",
            "roi",
            "acquisition_cost",
            "cac",
            "ltv_cac",
            "payback_months",
        ):
            assert figures[name] is None, name
        assert figures["revenue"] == D(1000) + D(3000)
        assert figures["gross_profit"] == D(4000)
        assert figures["won_deals"] == 2 and figures["lost_deals"] == 1
        assert figures["open_deals"] == 1
        assert float(figures["win_rate"]) == pytest.approx(2 / 3)
        assert figures["avg_deal_size"] == D(4000) / 2
        assert figures["sales_cycle_days"] == pytest.approx((10 + 30) / 2)
        assert figures["new_customers"] == 2
        assert figures["active_customers"] == 2
        assert figures["clv_to_date"] == D(4000) / 2


def test_no_won_deals_avg_deal_size_and_clv_are_null(tmp_path: Path) -> None:
    inputs = make_inputs(
        tmp_path,
        deals="""
            Deal ID,Customer,Amount,Stage,Created Date,Close Date
            L1,A,1000.00,Lost,2024-01-01,2024-01-11
            L2,B,3000.00,Open,2024-01-05,
        """,
        costs="""
            Date,Amount
            2024-01-03,200.00
        """,
    )
    totals = compute(inputs, Settings()).totals
    assert totals["revenue"] == D(0)
    assert totals["won_deals"] == 0
    assert totals["win_rate"] == 0  # 0 / (0 + 1)
    assert totals["avg_deal_size"] is None
    assert totals["sales_cycle_days"] is None
    assert totals["purchase_frequency"] is None
    assert totals["clv"] is None
    assert totals["payback_months"] is None
    assert totals["ltv_cac"] is None
    assert totals["new_customers"] == 0 and totals["cac"] is None
    assert totals["cost"] == D(200)
    assert totals["net_return"] == D(-200)
    assert float(totals["roi"]) == pytest.approx(-1)


def test_cost_zero_roi_is_null(tmp_path: Path) -> None:
    # A cost and a credit of the same amount: cost 100 − 100 = 0 → roi null, never Infinity.
    inputs = make_inputs(
        tmp_path,
        deals=SIMPLE_DEALS,
        costs="""
            Date,Amount
            2024-01-03,100.00
            2024-01-04,-100.00
        """,
    )
    totals = compute(inputs, Settings()).totals
    assert totals["cost"] == D(0)
    assert totals["net_return"] == D(4000)
    assert totals["roi"] is None
    assert totals["acquisition_cost"] == D(0)
    assert totals["cac"] == D(0)  # 0 / 2 new customers: defined, zero
    assert totals["ltv_cac"] is None  # clv / 0: null, never Infinity (§4)
    # §3 payback_months: null when "any part null or 0" — cac is 0 here.
    assert totals["payback_months"] is None


def test_lifespan_override(fixture_inputs: Inputs) -> None:
    report = compute(fixture_inputs, Settings(start=W_START, end=W_END, lifespan=D(3)))
    expected = expected_totals()
    totals = report.totals
    # the churn rate is still shown; only the lifespan is set
    assert float(totals["churn_rate"]) == pytest.approx(float(expected["churn_rate"]))
    assert totals["lifespan_years"] == D(3)
    clv = D(1420) * (D(5) / 3 / YEARS_W) * 1 * D(3)
    assert float(totals["clv"]) == pytest.approx(float(clv), rel=1e-12)
    assert float(totals["ltv_cac"]) == pytest.approx(float(clv / (D(5170) / 3)), rel=1e-12)


def test_lifespan_override_when_churn_rate_is_null(tmp_path: Path) -> None:
    # No customer ids: no customer-years, churn_rate null; --lifespan still gives a lifespan.
    inputs = make_inputs(
        tmp_path,
        deals="""
            Deal ID,Amount,Stage,Close Date
            Q1,100.00,Won,2024-01-10
        """,
    )
    assert compute(inputs, Settings()).totals["lifespan_years"] is None
    totals = compute(inputs, Settings(lifespan=D(4))).totals
    assert totals["churn_rate"] is None
    assert totals["lifespan_years"] == D(4)
    assert totals["clv"] is None  # purchase_frequency is null: no active customers


def test_lifespan_is_capped(fixture_inputs: Inputs) -> None:
    # 1 / churn_rate = 283 / 730.5 ≈ 0.387 > 0.25
    report = compute(fixture_inputs, Settings(start=W_START, end=W_END, max_lifespan=D("0.25")))
    assert report.totals["lifespan_years"] == D("0.25")


def test_churn_rate_zero_gives_max_lifespan(tmp_path: Path) -> None:
    inputs = make_inputs(
        tmp_path,
        deals=SIMPLE_DEALS,
        customers="""
            Customer ID,Churned Date
            A,
            B,
        """,
    )
    totals = compute(inputs, Settings()).totals
    assert totals["churn_rate"] == 0
    assert totals["lifespan_years"] == D(10)
    totals = compute(inputs, Settings(max_lifespan=D(4))).totals
    assert totals["lifespan_years"] == D(4)
    # clv = avg × frequency × margin × lifespan; W = 2024-01-01 … 2024-02-10 (41 days)
    years = D(days(date(2024, 1, 1), date(2024, 2, 10)) + 1) / YEAR
    clv = D(2000) * (D(2) / 2 / years) * 1 * D(4)
    assert float(totals["clv"]) == pytest.approx(float(clv), rel=1e-12)


# Derived churn: no churn column → last won close over all input + --churn-after days, only when
# that date is not after the data's end (the latest created or close date in the *deals*).
CHURN_DEALS = """
    Deal ID,Customer,Amount,Stage,Created Date,Close Date
    A1,C1,100.00,Won,2022-12-01,2023-01-10
    A2,C2,100.00,Won,2023-05-01,2023-06-01
    A3,C2,100.00,Won,2024-02-01,2024-03-01
    A4,,100.00,Open,2024-06-30,
"""
# A cost long after the deals' end: the data's end for the churn rule is still 2024-06-30.
CHURN_COSTS = """
    Date,Amount
    2025-12-31,10.00
"""
CHURN_W = (date(2024, 1, 1), date(2024, 6, 30))
CHURN_AFTER_W = date(2024, 7, 1)


def test_derived_churn_date(tmp_path: Path) -> None:
    inputs = make_inputs(tmp_path, deals=CHURN_DEALS, costs=CHURN_COSTS)
    totals = compute(inputs, Settings(start=CHURN_W[0], end=CHURN_W[1])).totals
    # C1: 2023-01-10 + 365 = 2024-01-10, not after 2024-06-30 → churns in W.
    assert date(2023, 1, 10) + timedelta(days=365) == date(2024, 1, 10)
    # C2: 2024-03-01 + 365 = 2025-03-01, after the deals' end → no churn date.
    risk = days(date(2024, 1, 1), date(2024, 1, 10)) + days(date(2024, 1, 1), CHURN_AFTER_W)
    assert risk == 9 + 182
    assert float(totals["churn_rate"]) == pytest.approx(float(D(1) / (D(risk) / YEAR)), rel=1e-12)


def test_derived_churn_date_churn_after_days(tmp_path: Path) -> None:
    inputs = make_inputs(tmp_path, deals=CHURN_DEALS, costs=CHURN_COSTS)
    # --churn-after 100: C1 churns 2023-04-20 (before W: neither churned in W nor at risk);
    # C2 churns 2024-03-01 + 100 = 2024-06-09 ≤ 2024-06-30 → churned in W.
    totals = compute(
        inputs, Settings(start=CHURN_W[0], end=CHURN_W[1], churn_after_days=100)
    ).totals
    assert date(2024, 3, 1) + timedelta(days=100) == date(2024, 6, 9)
    risk = days(date(2024, 1, 1), date(2024, 6, 9))  # 31 + 29 + 31 + 30 + 8 = 160
    assert risk == 160
    assert float(totals["churn_rate"]) == pytest.approx(float(D(1) / (D(risk) / YEAR)), rel=1e-12)
    # --churn-after 500: C1 churns 2023-01-10 + 500 = 2024-05-24 (in W); C2's 2025-07-14 is
    # after the deals' end → no churn date.
    totals = compute(
        inputs, Settings(start=CHURN_W[0], end=CHURN_W[1], churn_after_days=500)
    ).totals
    assert date(2023, 1, 10) + timedelta(days=500) == date(2024, 5, 24)
    risk = days(date(2024, 1, 1), date(2024, 5, 24)) + 182  # 144 + 182
    assert float(totals["churn_rate"]) == pytest.approx(float(D(1) / (D(risk) / YEAR)), rel=1e-12)


def test_derived_churn_date_with_customers_file_without_churn_column(tmp_path: Path) -> None:
    inputs = make_inputs(
        tmp_path,
        deals=CHURN_DEALS,
        costs=CHURN_COSTS,
        customers="""
            Customer ID,Segment
            C1,SMB
            C2,SMB
        """,
    )
    totals = compute(inputs, Settings(start=CHURN_W[0], end=CHURN_W[1])).totals
    assert float(totals["churn_rate"]) == pytest.approx(float(D(1) / (D(9 + 182) / YEAR)))


def test_no_derived_churn_date_when_customers_have_a_churn_column(tmp_path: Path) -> None:
    # The customers input has a churn column: a customer without a churned_date never churned.
    inputs = make_inputs(
        tmp_path,
        deals=CHURN_DEALS,
        costs=CHURN_COSTS,
        customers="""
            Customer ID,Churned Date
            C1,
            C2,
        """,
    )
    totals = compute(inputs, Settings(start=CHURN_W[0], end=CHURN_W[1])).totals
    assert totals["churn_rate"] == 0  # 0 churned over 182 + 182 days
    assert totals["lifespan_years"] == D(10)


def test_payback_months_null_when_a_part_is_zero(fixture_inputs: Inputs) -> None:
    # §3 payback_months: null when "any part null or 0" — with gross_margin 0 the monthly
    # margin is 0: null, never Infinity.
    totals = compute(fixture_inputs, Settings(start=W_START, end=W_END, gross_margin=D(0))).totals
    assert totals["gross_profit"] == D(0)
    assert totals["payback_months"] is None
    assert totals["clv"] == 0  # 1,420 × frequency × 0 × lifespan
    assert totals["ltv_cac"] == 0


# ---------------------------------------------------------------------------------------------
# 4. Properties

CHANNELS = ["Alpha", "Beta", None]
COST_CHANNELS = ["Alpha", "Beta", "Gamma", None]  # Gamma: a channel no deal has
CUSTOMER_IDS = ["K1", "K2", "K3", None]
BASE = date(2024, 1, 1)
PROP_W = (date(2024, 1, 1), date(2024, 3, 31))


def _money(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100}.{abs(cents) % 100:02d}"


def _cell(value: object) -> str:
    return "" if value is None else str(value)


deal_rows = st.lists(
    st.tuples(
        st.sampled_from(["Won", "Lost", "Open"]),
        st.integers(0, 500_000),  # cents
        st.integers(-20, 110),  # close (or, for open deals, created) day from 2024-01-01
        st.sampled_from(CHANNELS),
        st.sampled_from(CUSTOMER_IDS),
        st.sampled_from(["Promo", "Brand", None]),
    ),
    min_size=1,
    max_size=8,
)
cost_rows = st.lists(
    st.tuples(
        st.integers(-50_000, 500_000),  # cents; negative = credit
        st.integers(-40, 110),  # day
        st.integers(0, 70),  # span in days; 0 = a single date
        st.sampled_from(COST_CHANNELS),
        st.sampled_from(["Promo", None]),
        st.sampled_from(["", "retention"]),
    ),
    max_size=6,
)
time_rows = st.lists(
    st.tuples(
        st.integers(1, 32).map(lambda q: q / 4),  # hours in quarters, 0.25 … 8
        st.integers(0, 20_000),  # hourly rate, cents
        st.integers(-10, 100),  # day
        st.sampled_from(["deal", "customer", "campaign", "channel", None]),
    ),
    max_size=5,
)


def _property_inputs(folder: Path, deals: list[Any], costs: list[Any], logs: list[Any]) -> Inputs:
    deal_lines = ["Deal ID,Customer,Amount,Stage,Created Date,Close Date,Channel,Campaign"]
    for i, (stage, cents, day, channel, customer, campaign) in enumerate(deals):
        when = BASE + timedelta(days=day)
        created = when - timedelta(days=10) if stage != "Open" else when
        close = "" if stage == "Open" else when.isoformat()
        deal_lines.append(
            f"P{i},{_cell(customer)},{_money(cents)},{stage},{created.isoformat()},{close},"
            f"{_cell(channel)},{_cell(campaign)}"
        )
    cost_lines = ["Date,Start Date,End Date,Amount,Channel,Campaign,Type"]
    for cents, day, span, channel, campaign, kind in costs:
        first = BASE + timedelta(days=day)
        if span:
            dates = f",{first.isoformat()},{(first + timedelta(days=span)).isoformat()}"
        else:
            dates = f"{first.isoformat()},,"
        cost_lines.append(f"{dates},{_money(cents)},{_cell(channel)},{_cell(campaign)},{kind}")
    log_lines = ["Date,Hours,Hourly Rate,Deal ID,Customer ID,Campaign,Channel"]
    for hours, rate, day, link in logs:
        links = {
            "deal": "P0,,,",
            "customer": ",K1,,",
            "campaign": ",,Promo,",
            "channel": ",,,Beta",
        }.get(link or "", ",,,")
        log_lines.append(
            f"{(BASE + timedelta(days=day)).isoformat()},{hours},{_money(rate)},{links}"
        )
    return make_inputs(
        folder,
        deals="\n".join(deal_lines),
        costs="\n".join(cost_lines) if costs else None,
        time_logs="\n".join(log_lines) if logs else None,
    )


PROPERTY_SETTINGS = settings(
    max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
BREAKDOWNS = (("channel",), ("month",), ("channel", "month"), ("campaign",))


def _assert_groups_add_up(report: Report, names: Iterable[str]) -> None:
    for key, rows in report.breakdowns.items():
        for name in names:
            total = report.totals[name]
            if total is None:
                assert all(r[name] is None for r in rows), (key, name)
            else:
                assert sum(r[name] for r in rows) == total, (key, name)


@PROPERTY_SETTINGS
@given(deals=deal_rows, costs=cost_rows, logs=time_rows)
def test_property_groups_add_up_to_totals(
    deals: list[Any], costs: list[Any], logs: list[Any]
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        inputs = _property_inputs(Path(folder), deals, costs, logs)
        report = compute(inputs, Settings(start=PROP_W[0], end=PROP_W[1], by=BREAKDOWNS))
    _assert_groups_add_up(
        report,
        (
            "revenue",
            "won_deals",
            "lost_deals",
            "open_deals",
            "direct_cost",
            "time_cost",
            "cost",
            "acquisition_cost",
            "new_customers",
        ),
    )


@PROPERTY_SETTINGS
@given(
    deals=deal_rows,
    costs=cost_rows,
    logs=time_rows,
    mode=st.sampled_from(["revenue", "deals", "even"]),
)
def test_property_allocated_costs_add_up_to_the_cent(
    deals: list[Any], costs: list[Any], logs: list[Any], mode: str
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        inputs = _property_inputs(Path(folder), deals, costs, logs)
        plain = compute(inputs, Settings(start=PROP_W[0], end=PROP_W[1], by=BREAKDOWNS))
        spread = compute(
            inputs, Settings(start=PROP_W[0], end=PROP_W[1], by=BREAKDOWNS, allocate=mode)
        )
    assert spread.totals == plain.totals  # §2: totals always include every cost
    _assert_groups_add_up(spread, ("revenue", "cost", "acquisition_cost"))


def _has_weight(rows: list[dict[str, Any]], dim: str, mode: str) -> bool:
    targets = [r for r in rows if r[dim] != UNATTRIBUTED]
    if mode == "revenue":
        return any(r["revenue"] > 0 for r in targets)
    if mode == "deals":
        return any(r["won_deals"] > 0 for r in targets)
    return bool(targets)


@PROPERTY_SETTINGS
@given(
    deals=deal_rows,
    costs=cost_rows,
    logs=time_rows,
    mode=st.sampled_from(["revenue", "deals", "even"]),
)
def test_property_allocation_removes_unattributed(
    deals: list[Any], costs: list[Any], logs: list[Any], mode: str
) -> None:
    # §2: what can't be attributed is in (unattributed) "unless --allocate ... spreads it over
    # the groups": when there is a group to spread over, (unattributed) is gone.
    with tempfile.TemporaryDirectory() as folder:
        inputs = _property_inputs(Path(folder), deals, costs, logs)
        plain = compute(inputs, Settings(start=PROP_W[0], end=PROP_W[1], by=(("channel",),)))
        spread = compute(
            inputs, Settings(start=PROP_W[0], end=PROP_W[1], by=(("channel",),), allocate=mode)
        )
    rows, keys = (
        plain.breakdowns[("channel",)],
        [r["channel"] for r in spread.breakdowns[("channel",)]],
    )
    if UNATTRIBUTED in [r["channel"] for r in rows] and _has_weight(rows, "channel", mode):
        assert UNATTRIBUTED not in keys
    for row in spread.breakdowns[("channel",)]:
        if row["channel"] != UNATTRIBUTED:
            assert row["revenue"] == rows_by_key(plain, "channel")[row["channel"]]["revenue"]


def test_allocation_by_hand(tmp_path: Path) -> None:
    # Alpha revenue 300, won 1; Beta revenue 100, won 2 (one deal of 0); (none) revenue 0.
    # Unattributed: cost 10.00 + time 1 h × 0.01 = 10.01 (1,001 cents).
    inputs = make_inputs(
        tmp_path,
        deals="""
            Deal ID,Amount,Stage,Close Date,Channel
            A1,300.00,Won,2024-01-10,Alpha
            B1,100.00,Won,2024-01-11,Beta
            B2,0.00,Won,2024-01-12,Beta
            N1,50.00,Lost,2024-01-13,
        """,
        costs="""
            Date,Amount,Channel
            2024-01-05,10.00,
            2024-01-06,1.00,Alpha
        """,
        time_logs="""
            Date,Hours,Hourly Rate
            2024-01-07,1,0.01
        """,
    )

    def costs(mode: str) -> dict[str, Decimal]:
        report = compute(inputs, Settings(by=(("channel",),), allocate=mode))
        assert report.totals["cost"] == D("11.01")
        return {r["channel"]: r["cost"] for r in report.breakdowns[("channel",)]}

    # revenue 300 : 100 : 0 → 1,001 × 3/4 = 750.75, × 1/4 = 250.25 → 751 (largest rest) + 250
    by_revenue = costs("revenue")
    assert by_revenue["Alpha"] == D("1.00") + D("7.51")
    assert by_revenue["Beta"] == D("2.50")
    assert by_revenue[NONE] == D(0)
    # won deals 1 : 2 : 0 → 333.67, 667.33 → 334 (largest rest) + 667
    by_deals = costs("deals")
    assert by_deals["Alpha"] == D("1.00") + D("3.34")
    assert by_deals["Beta"] == D("6.67")
    assert by_deals[NONE] == D(0)
    # equally over the 3 groups: 1,001 = 3 × 333 + 2 → two groups get 3.34, one 3.33 (which
    # ones is the engine's tie-break, not the contract's)
    by_even = costs("even")
    shares = sorted([by_even["Alpha"] - D("1.00"), by_even["Beta"], by_even[NONE]])
    assert shares == [D("3.33"), D("3.34"), D("3.34")]


def test_allocation_leaves_no_unattributed_group(tmp_path: Path) -> None:
    # §2: what can't be attributed is in (unattributed) "unless --allocate revenue|deals|even
    # spreads it over the groups". Here all of it (a cost and an unlinked time log) is spread
    # over Alpha, so no (unattributed) row is left — not even one holding only the hours.
    inputs = make_inputs(
        tmp_path,
        deals="""
            Deal ID,Amount,Stage,Close Date,Channel
            A1,300.00,Won,2024-01-10,Alpha
        """,
        costs="""
            Date,Amount,Channel
            2024-01-05,10.00,
        """,
        time_logs="""
            Date,Hours,Hourly Rate
            2024-01-07,2,5.00
        """,
    )
    for mode in ("revenue", "deals", "even"):
        report = compute(inputs, Settings(by=(("channel",),), allocate=mode))
        rows = rows_by_key(report, "channel")
        assert list(rows) == ["Alpha"], mode
        assert rows["Alpha"]["cost"] == D(10) + D(2) * D(5)


@settings(max_examples=50, deadline=None)
@given(
    total=st.integers(-(10**12), 10**12),
    weights=st.lists(st.integers(0, 10**6), min_size=1, max_size=10).filter(lambda w: sum(w) > 0),
)
def test_property_split_cents_adds_up(total: int, weights: list[int]) -> None:
    shares = split_cents(total, weights)
    assert len(shares) == len(weights)
    assert sum(shares) == total
    whole = sum(weights)
    for share, weight in zip(shares, weights, strict=True):
        assert abs(D(share) - D(total) * weight / whole) < 1  # within a cent of its quota
        if weight == 0:
            assert share == 0


def test_split_cents_examples() -> None:
    assert split_cents(100, [1, 1, 1]) == [34, 33, 33]
    assert split_cents(-100, [1, 1, 1]) == [-34, -33, -33]
    assert split_cents(0, [5, 1]) == [0, 0]
    assert split_cents(7, [0, 1]) == [0, 7]


# ---------------------------------------------------------------------------------------------
# 5. Currencies

CURRENCY_DEALS = """
    Deal ID,Amount,Currency,Stage,Close Date
    E1,500.00,EUR,Won,2024-01-10
    U1,1000.00,USD,Won,2024-01-11
"""


def test_mixed_currencies_without_rates_are_an_error(tmp_path: Path) -> None:
    inputs = make_inputs(tmp_path, deals=CURRENCY_DEALS)
    with pytest.raises(CurrencyError):
        compute(inputs, Settings())
    with pytest.raises(CurrencyError):  # a report currency, but no rate for USD
        compute(inputs, Settings(currency="EUR"))


def test_mixed_currencies_across_inputs_are_an_error(tmp_path: Path) -> None:
    inputs = make_inputs(
        tmp_path,
        deals="""
            Deal ID,Amount,Currency,Stage,Close Date
            E1,500.00,EUR,Won,2024-01-10
        """,
        costs="""
            Date,Amount,Currency
            2024-01-05,100.00,USD
        """,
    )
    with pytest.raises(CurrencyError):
        compute(inputs, Settings())


def test_mixed_currencies_convert_with_rates(tmp_path: Path) -> None:
    inputs = make_inputs(
        tmp_path,
        deals=CURRENCY_DEALS,
        costs="""
            Date,Amount,Currency
            2024-01-05,100.00,USD
            2024-01-06,50.00,EUR
        """,
    )
    report = compute(inputs, Settings(currency="EUR", rates={"USD": D("0.9")}))
    assert report.currency == "EUR"
    assert report.totals["revenue"] == D("500.00") + D("1000.00") * D("0.9")  # 1,400.00
    assert report.totals["cost"] == D("100.00") * D("0.9") + D("50.00")  # 140.00
    assert float(report.totals["roi"]) == pytest.approx(float((D(1400) - D(140)) / D(140)))


def test_currency_conversion_rounds_half_up_exactly(tmp_path: Path) -> None:
    # docs/metrics.md (Currencies): "Converted amounts are rounded half up to the cent, per row";
    # §1: money is exact. 1.10 GBP × 1.15 = 1.265 EUR exactly → 1.27 (in binary floating point
    # 110 × 1.15 is 126.49999…, which would round to 1.26).
    inputs = make_inputs(
        tmp_path,
        deals="""
            Deal ID,Amount,Currency,Stage,Close Date
            E1,1.00,EUR,Won,2024-01-10
            G1,1.10,GBP,Won,2024-01-11
        """,
    )
    report = compute(inputs, Settings(currency="EUR", rates={"GBP": D("1.15")}))
    assert report.totals["revenue"] == D("1.00") + D("1.27")


@settings(max_examples=50, deadline=None)
@given(
    # Half-cent ties are where rounding goes wrong: 50 × odd cents at a rate of odd hundredths
    # always gives one (50·k·r ≡ 50 mod 100); plain random amounts and rates as well.
    amounts=st.lists(
        st.one_of(st.integers(0, 10**9), st.integers(0, 10**6).map(lambda k: 50 * (2 * k + 1))),
        min_size=1,
        max_size=5,
    ),
    rate=st.one_of(
        st.integers(1, 30000).map(lambda n: D(n) / 10000),  # 0.0001 … 3.0000
        st.integers(0, 149).map(lambda n: D(2 * n + 1) / 100),  # 0.01 … 2.99, odd hundredths
    ),
)
def test_property_currency_conversion_is_exact(amounts: list[int], rate: Decimal) -> None:
    lines = ["Deal ID,Amount,Currency,Stage,Close Date", "E0,1.00,EUR,Won,2024-01-01"]
    lines += [f"U{i},{_money(c)},USD,Won,2024-01-02" for i, c in enumerate(amounts)]
    with tempfile.TemporaryDirectory() as folder:
        inputs = make_inputs(Path(folder), deals="\n".join(lines))
    report = compute(inputs, Settings(currency="EUR", rates={"USD": rate}))
    # each row: cents × rate, rounded half up (away from zero) to the cent
    expected = D(100) + sum((D(c) * rate).quantize(D(1), rounding=ROUND_HALF_UP) for c in amounts)
    assert report.totals["revenue"] == expected / 100


def test_one_currency_needs_no_rates(tmp_path: Path) -> None:
    inputs = make_inputs(
        tmp_path,
        deals="""
            Deal ID,Amount,Currency,Stage,Close Date
            U1,10.00,USD,Won,2024-01-11
            U2,5.00,usd,Won,2024-01-12
        """,
    )
    report = compute(inputs, Settings())
    assert report.currency == "USD"
    assert report.totals["revenue"] == D("15.00")


# ---------------------------------------------------------------------------------------------
# 6. Order of the rows


def test_rows_sorted_by_key_none_and_unattributed_last(tmp_path: Path) -> None:
    inputs = make_inputs(
        tmp_path,
        deals="""
            Deal ID,Amount,Stage,Created Date,Close Date,Channel
            G1,10.00,Won,2023-10-01,2023-11-20,Gamma
            B1,10.00,Won,2023-11-01,2024-02-03,
            A1,10.00,Won,2023-11-01,2023-12-05,Alpha
            B2,10.00,Lost,2023-11-01,2024-01-09,Beta
            O1,10.00,Open,,,Alpha
        """,
        costs="""
            Date,Amount,Channel
            2024-01-15,5.00,
            2023-11-02,5.00,Delta
        """,
    )
    report = compute(
        inputs,
        Settings(by=(("channel",), ("month",), ("quarter",), ("year",), ("channel", "quarter"))),
    )
    channel = [r["channel"] for r in report.breakdowns[("channel",)]]
    assert channel == ["Alpha", "Beta", "Delta", "Gamma", NONE, UNATTRIBUTED]
    month = [r["month"] for r in report.breakdowns[("month",)]]
    assert month == ["2023-11", "2023-12", "2024-01", "2024-02", NONE]
    quarter = [r["quarter"] for r in report.breakdowns[("quarter",)]]
    assert quarter == ["2023-Q4", "2024-Q1", NONE]
    assert [r["year"] for r in report.breakdowns[("year",)]] == ["2023", "2024", NONE]
    cross = [(r["channel"], r["quarter"]) for r in report.breakdowns[("channel", "quarter")]]
    assert cross == [
        ("Alpha", "2023-Q4"),
        ("Alpha", NONE),
        ("Beta", "2024-Q1"),
        ("Delta", "2023-Q4"),
        ("Gamma", "2023-Q4"),
        (NONE, "2024-Q1"),
        (UNATTRIBUTED, "2024-Q1"),
    ]


def test_month_keys_sort_chronologically_across_years(tmp_path: Path) -> None:
    inputs = make_inputs(
        tmp_path,
        deals="""
            Deal ID,Amount,Stage,Close Date
            M1,1.00,Won,2024-10-05
            M2,1.00,Won,2023-12-05
            M3,1.00,Won,2024-02-05
            M4,1.00,Won,2023-09-05
        """,
    )
    report = compute(inputs, Settings(by=(("month",),)))
    months = [r["month"] for r in report.breakdowns[("month",)]]
    # The rows with nothing in them between are not required; the order of those present is.
    present = [m for m in months if m in {"2023-09", "2023-12", "2024-02", "2024-10"}]
    assert present == ["2023-09", "2023-12", "2024-02", "2024-10"]
    assert months == sorted(months)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.one_of(st.none(), st.integers(-20, 60)),
            st.one_of(st.none(), st.integers(-20, 80)),
            st.integers(0, 2),
        ),
        min_size=1,
        max_size=12,
    ),
    st.lists(st.integers(1, 15), min_size=1, max_size=4),
    st.booleans(),
)
def test_days_at_risk_are_counted_as_day_by_day(
    customers: list[tuple[int | None, int | None, int]], lengths: list[int], by_window: bool
) -> None:
    """Customer-days at risk per group and window, the table way and the window-by-window way,
    against counting every day: a customer is at risk from acquisition until churn."""
    import numpy as np

    import crm_roi.engine.sums as metrics

    acquired = np.array([np.nan if a is None else a for a, _, _ in customers], dtype=float)
    churn = np.array([np.nan if c is None else c for _, c, _ in customers], dtype=float)
    group = np.array([g for _, _, g in customers], dtype=np.int64)
    ends = np.cumsum(lengths).astype(float) - 1  # windows 0..l1-1, l1..l1+l2-1, ...
    starts = np.concatenate([[0.0], ends[:-1] + 1])
    limit = 0 if by_window else metrics.RISK_GRID_CELLS
    original, metrics.RISK_GRID_CELLS = metrics.RISK_GRID_CELLS, limit
    try:
        risk = metrics.days_at_risk(acquired, churn, group, 3, starts, ends)
    finally:
        metrics.RISK_GRID_CELLS = original
    for g in range(3):
        for i, (lo, hi) in enumerate(zip(starts, ends, strict=True)):
            expected = sum(
                1
                for (a, c, k) in customers
                if k == g and a is not None
                for day in range(int(lo), int(hi) + 1)
                if a <= day and (c is None or day < c)
            )
            assert risk[g, i] == expected


@given(
    st.lists(st.tuples(st.integers(0, 9), st.integers(0, 30)), max_size=60),
    st.sampled_from([32 * 1024**2, 64, 31, 1]),
)
def test_distinct_members_per_group_as_a_set_counts_them(
    pairs: list[tuple[int, int]], map_bytes: int
) -> None:
    """Active customers per group: the distinct customers of each group's rows, whether the
    pairs seen are mapped in one pass, in a slice of the groups per pass (a small map), or
    hashed (a map too small for even one group)."""
    import numpy as np

    from crm_roi.engine import sums
    from crm_roi.engine.sums import distinct_per_group, group_sum

    expected = [len({m for g, m in pairs if g == group}) for group in range(10)]
    groups = np.array([g for g, _ in pairs], dtype=np.int64)
    members = np.array([m for _, m in pairs], dtype=np.int64)
    old = sums.SEEN_MAP_BYTES
    sums.SEEN_MAP_BYTES = map_bytes
    try:
        found, weights = distinct_per_group(groups, members, 10, 31)
    finally:
        sums.SEEN_MAP_BYTES = old
    assert group_sum(found, weights, 10).tolist() == expected

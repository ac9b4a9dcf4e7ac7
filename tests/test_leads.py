"""Leads and the funnel (contract v2 §5), on a small funnel worked out by hand.

The files are written here, row by row; every expected figure is worked out from those rows in a
comment, never by crm-roi. The funnel has: leads in and out of the window, a lead with two deals,
a deal linked from both sides, a deal naming its lead from the deal side only, a lead whose deal
is missing, a disqualified lead with a won deal, and a conversion dated before its lead.
"""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner, Result

from crm_roi.cli import app
from crm_roi.engine.compute import Inputs, compute
from crm_roi.engine.funnel import funnel
from crm_roi.engine.settings import Settings

runner = CliRunner()

DEALS = """\
Deal ID,Stage,Amount,Created Date,Close Date,Channel,Customer,Originating Lead
D1,Closed Won,1000,2024-01-10,2024-02-10,Web,Acme,L1
D2,Closed Won,2000,2024-02-01,2024-03-15,Web,Beta,
D3,Closed Lost,500,2024-02-05,2024-03-01,Events,Gamma,L5
D4,Closed Won,4000,2024-03-01,2024-04-20,Events,Delta,
D5,Negotiation,3000,2024-04-01,,Web,Eps,
"""
# L1 names D1 and D1 names L1: one link. L2 names two deals. L4 is "Closed - Not Converted" but
# D4 (won) links to it. L5 is named by D3 (lost) only; D3 was created before L5 (a conversion
# before the lead: left out of days to convert). L6 names D9, which the deals don't have. L7 was
# created long before the rest.
LEADS = """\
Lead ID,Created Date,Lead Status,Lead Source,Converted Opportunity ID,Converted Date
L1,2024-01-01,Closed - Converted,Web,D1,2024-01-10
L2,2024-01-05,Closed - Converted,Web,D2;D5,
L3,2024-01-20,Open - Not Contacted,Web,,
L4,2024-02-01,Closed - Not Converted,Events,D4,
L5,2024-02-10,Working - Contacted,Events,,
L6,2024-03-01,Closed - Converted,,D9,2024-03-05
L7,2023-06-01,Open,Web,,
"""
COSTS = """\
Date,Channel,Amount
2024-01-15,Web,600
2024-02-15,Events,900
"""


@pytest.fixture
def files(tmp_path: Path) -> dict[str, str]:
    out = {}
    for name, text in (("deals", DEALS), ("leads", LEADS), ("costs", COSTS)):
        path = tmp_path / f"{name}.csv"
        path.write_text(text, encoding="utf-8")
        out[name] = str(path)
    return out


def run(*args: str) -> Result:
    return runner.invoke(app, [*args, "--format", "json"])


def document(*args: str) -> dict[str, Any]:
    result = run(*args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


LEAD_KEYS = (
    "leads", "converted_leads", "lead_conversion_rate", "won_leads", "lead_to_win_rate",
    "lead_revenue", "days_to_convert", "cost_per_lead",
)  # fmt: skip


def lead_figures(row: dict[str, Any]) -> dict[str, Any]:
    return {k: row[k] for k in LEAD_KEYS}


WINDOW = ("--from", "2023-06-01", "--to", "2024-04-20")  # every lead created in it


def test_compute_totals_by_hand(files: dict[str, str]) -> None:
    rep = document("compute", files["deals"], files["costs"], "--leads", files["leads"], *WINDOW)
    # Converted: L1, L2 (status), L4 (D4 links to it, whatever its status says), L5 (D3 names
    # it), L6 (status; its deal D9 is missing) = 5 of 7. Won: L1 (D1), L2 (D2), L4 (D4) = 3.
    # Lead revenue: D1 1,000 + D2 2,000 + D4 4,000 = 7,000 (D5 is open, D3 lost).
    # Days to convert: L1 01-01 → converted 01-10 = 9; L2 01-05 → D2 created 02-01 = 27 (its
    # earliest deal); L4 02-01 → D4 created 03-01 = 29; L6 03-01 → 03-05 = 4; L5 02-10 → D3
    # created 02-05 = -5: left out. Median of 4, 9, 27, 29 = (9 + 27) / 2 = 18.
    # Cost per lead: (600 + 900) / 7 = 214.2857… → 214.29.
    assert lead_figures(rep["totals"]) == {
        "leads": 7,
        "converted_leads": 5,
        "lead_conversion_rate": pytest.approx(5 / 7),
        "won_leads": 3,
        "lead_to_win_rate": pytest.approx(3 / 7),
        "lead_revenue": 7000.0,
        "days_to_convert": 18.0,
        "cost_per_lead": 214.29,
    }
    # The deals' own figures don't change with leads: revenue 1,000 + 2,000 + 4,000.
    assert rep["totals"]["revenue"] == 7000.0 and rep["totals"]["won_deals"] == 3
    assert any("row 7: 'D9'" in w for w in rep["warnings"]), rep["warnings"]


def test_compute_by_channel_by_hand(files: dict[str, str]) -> None:
    rep = document(
        "compute",
        files["deals"],
        files["costs"],
        "--leads",
        files["leads"],
        "--by",
        "channel",
        *WINDOW,
    )
    rows = {r["channel"]: lead_figures(r) for r in rep["breakdowns"]["channel"]}
    # Web: L1, L2, L3, L7. Converted L1, L2; won L1, L2; revenue 1,000 + 2,000; days median of
    # 9 and 27 = 18; cost 600 / 4 leads = 150.
    assert rows["Web"] == {
        "leads": 4,
        "converted_leads": 2,
        "lead_conversion_rate": 0.5,
        "won_leads": 2,
        "lead_to_win_rate": 0.5,
        "lead_revenue": 3000.0,
        "days_to_convert": 18.0,
        "cost_per_lead": 150.0,
    }
    # Events: L4, L5, both converted (by their deals); won L4 (D4 4,000); days: L4's 29 only.
    assert rows["Events"] == {
        "leads": 2,
        "converted_leads": 2,
        "lead_conversion_rate": 1.0,
        "won_leads": 1,
        "lead_to_win_rate": 0.5,
        "lead_revenue": 4000.0,
        "days_to_convert": 29.0,
        "cost_per_lead": 450.0,
    }
    # L6 has no source and no deal in the file: (none), which carries no cost.
    assert rows["(none)"] == {
        "leads": 1,
        "converted_leads": 1,
        "lead_conversion_rate": 1.0,
        "won_leads": 0,
        "lead_to_win_rate": 0.0,
        "lead_revenue": 0.0,
        "days_to_convert": 4.0,
        "cost_per_lead": 0.0,
    }


def test_leads_dont_widen_the_window_or_change_another_figure(files: dict[str, str]) -> None:
    without = document("compute", files["deals"], files["costs"], "--by", "channel")
    result = run(
        "compute", files["deals"], files["costs"], "--leads", files["leads"], "--by", "channel"
    )
    assert result.exit_code == 0, result.output
    rep = json.loads(result.stdout)
    # The deals' and costs' window, 2024-01-10 … 2024-04-20: L1, L2 and L7 came before it.
    assert rep["window"] == without["window"] == {"from": "2024-01-10", "to": "2024-04-20"}
    assert rep["totals"]["leads"] == 4  # L3, L4, L5, L6
    assert "3 leads were created outside the window (the earliest on 2023-06-01)" in result.stderr
    for name, value in without["totals"].items():
        if name not in LEAD_KEYS:
            assert rep["totals"][name] == value, name
    rows = {r["channel"]: r for r in rep["breakdowns"]["channel"]}
    for row in without["breakdowns"]["channel"]:
        same = {k: v for k, v in rows[row["channel"]].items() if k not in LEAD_KEYS}
        assert same == {k: v for k, v in row.items() if k not in LEAD_KEYS}
    # Only a group of leads alone is new: L6, with no source, in (none), with nothing else.
    assert set(rows) - {r["channel"] for r in without["breakdowns"]["channel"]} == {"(none)"}
    assert (rows["(none)"]["revenue"], rows["(none)"]["cost"]) == (0.0, 0.0)


def test_a_window_leaves_out_the_leads_outside_it_and_says_so(files: dict[str, str]) -> None:
    result = run(
        "compute",
        files["deals"],
        files["costs"],
        "--leads",
        files["leads"],
        "--from",
        "2024-01-01",
        "--to",
        "2024-12-31",
    )
    assert result.exit_code == 0, result.output
    rep = json.loads(result.stdout)
    # L7 (2023-06-01) is out: 6 leads; the costs are all in: 1,500 / 6 = 250.
    assert rep["totals"]["leads"] == 6 and rep["totals"]["cost_per_lead"] == 250.0
    assert "1 lead was created outside the window (on 2023-06-01)" in result.stderr


def test_the_funnel_by_hand(files: dict[str, str]) -> None:
    doc = document("funnel", files["leads"], files["deals"], files["costs"], "--by", "channel")
    assert doc["schema"] == "crm-roi/funnel@1"
    assert doc["stages"] == ["leads", "converted", "opportunities", "won"]
    # The funnel's window is the leads' own: 2023-06-01 (L7) to 2024-03-01 (L6).
    assert doc["window"] == {"from": "2023-06-01", "to": "2024-03-01"}
    totals = doc["totals"]
    # Opportunities: leads with a deal of the file: L1, L2, L4, L5 = 4 (L6's D9 is missing).
    assert [totals[s] for s in doc["stages"]] == [7, 5, 4, 3]
    assert totals["rates"]["converted"] == {
        "from_previous": pytest.approx(5 / 7),
        "from_leads": pytest.approx(5 / 7),
    }
    assert totals["rates"]["opportunities"] == {
        "from_previous": pytest.approx(4 / 5),
        "from_leads": pytest.approx(4 / 7),
    }
    assert totals["rates"]["won"] == {
        "from_previous": pytest.approx(3 / 4),
        "from_leads": pytest.approx(3 / 7),
    }
    assert totals["lead_revenue"] == 7000.0 and totals["acquisition_cost"] == 1500.0
    events = next(r for r in doc["breakdowns"]["channel"] if r["channel"] == "Events")
    # L4 and L5: both converted, both with a deal, one won.
    assert [events[s] for s in doc["stages"]] == [2, 2, 2, 1]
    assert events["rates"]["won"] == {"from_previous": 0.5, "from_leads": 0.5}


def test_the_funnel_needs_no_amounts_and_no_deals(files: dict[str, str], tmp_path: Path) -> None:
    lines = [line.split(",") for line in DEALS.splitlines()]
    without = tmp_path / "closed.csv"  # the amount column dropped
    without.write_text("\n".join(",".join(r[:2] + r[3:]) for r in lines) + "\n")
    doc = document("funnel", files["leads"], str(without))
    assert [doc["totals"][s] for s in doc["stages"]] == [7, 5, 4, 3]
    assert doc["totals"]["lead_revenue"] is None  # no amounts: not 0
    alone = document("funnel", files["leads"])
    # Without deals: converted by status or date only (L1, L2, L6); the deal stages unknown.
    assert [alone["totals"][s] for s in alone["stages"]] == [7, 3, None, None]
    assert alone["totals"]["rates"]["won"] == {"from_previous": None, "from_leads": None}


def test_the_funnel_by_month_of_the_leads_created_date(files: dict[str, str]) -> None:
    doc = document("funnel", files["leads"], files["deals"], "--by", "month")
    months = {r["month"]: [r[s] for s in doc["stages"]] for r in doc["breakdowns"]["month"]}
    # 2024-01: L1, L2, L3 (L1 and L2 converted, with deals, won); 2024-02: L4 (won), L5 (lost
    # deal); 2024-03: L6 (converted, deal missing); 2023-06: L7.
    assert months == {
        "2023-06": [1, 0, 0, 0],
        "2024-01": [3, 2, 2, 2],
        "2024-02": [2, 2, 2, 1],
        "2024-03": [1, 1, 0, 0],
    }


def test_links_that_find_no_deal_at_all_are_an_error(files: dict[str, str], tmp_path: Path) -> None:
    leads = tmp_path / "renamed.csv"
    leads.write_text(re.sub(r"\bD(\d)", r"OPP-\1", LEADS), encoding="utf-8")
    deals = tmp_path / "deals_no_lead.csv"
    deals.write_text(DEALS.replace(",Originating Lead", ",Other").replace(",L", ",X"))
    result = run("compute", str(deals), "--leads", str(leads))
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    assert "not one lead is linked to a deal" in result.stderr
    assert "'Converted Opportunity ID'" in result.stderr


def test_a_name_links_where_the_id_doesnt(tmp_path: Path) -> None:
    # Dynamics names a lookup by the record's name: the opportunity's Topic.
    deals = tmp_path / "opps.csv"
    deals.write_text(
        "Deal ID,Topic,Stage,Amount,Close Date\n"
        '9f1c,"Contoso, 50 seats",Won,5000,2024-02-01\n'
        "77ab,Fabrikam renewal,Lost,0,2024-02-03\n"
    )
    leads = tmp_path / "leads.csv"
    leads.write_text(
        "Lead ID,Created Date,Status,Qualifying Opportunity\n"
        'a1,2024-01-02,Qualified,"Contoso, 50 seats"\n'
        "a2,2024-01-03,Open,\n"
    )
    result = run("compute", str(deals), "--leads", str(leads), "--from", "2024-01-01")
    assert result.exit_code == 0, result.output
    totals = json.loads(result.stdout)["totals"]
    assert (totals["won_leads"], totals["lead_revenue"]) == (1, 5000.0)
    assert "found by the deal's or lead's record id or name" in result.stderr


def test_leads_link_to_numbered_deals_is_an_error(tmp_path: Path) -> None:
    deals = tmp_path / "orders.csv"
    deals.write_text("Amount,Order Date\n100,2024-01-02\n")
    leads = tmp_path / "leads.csv"
    leads.write_text("Lead ID,Created Date,Deal ID\nL1,2024-01-01,row 2\n")
    result = run("compute", str(deals), "--leads", str(leads))
    assert result.exit_code == 1
    assert "links leads to deals by deal id" in result.stderr


def test_mapping_file_says_what_lead_statuses_mean(files: dict[str, str], tmp_path: Path) -> None:
    mapping = tmp_path / "map.toml"
    mapping.write_text('[leads.stages]\n"Working - Contacted" = "converted"\n')
    rep = document("funnel", files["leads"], "--mapping", str(mapping))
    assert rep["totals"]["converted"] == 4  # L1, L2, L6 and now L5
    bad = tmp_path / "bad.toml"
    bad.write_text('[leads.stages]\n"Working" = "won"\n')
    result = run("funnel", files["leads"], "--mapping", str(bad))
    assert result.exit_code == 2
    assert "open, converted or disqualified" in result.stderr


def test_validate_and_inspect_know_leads(files: dict[str, str]) -> None:
    result = runner.invoke(app, ["validate", files["deals"], "--leads", files["leads"]])
    assert result.exit_code == 0, result.output
    assert "lead_id" in result.output and "Converted Opportunity ID" in result.output
    result = runner.invoke(app, ["inspect", files["leads"], "--kind", "leads"])
    assert result.exit_code == 0, result.output
    assert "deal_id" in result.output and "Salesforce leads report" in result.output


# --- the library, and a property: per-group leads add up to the total --------------------------


def _frames(rows: list[tuple[str, int, str | None, int | None]]) -> Inputs:
    """Leads (channel, created day, status, the deal they name) and one won deal each."""
    n = len(rows)
    day0 = pd.Timestamp("2024-01-01")
    leads = pd.DataFrame(
        {
            "lead_id": [f"L{i}" for i in range(n)],
            "created_date": [day0 + pd.Timedelta(days=d) for _, d, _, _ in rows],
            "status": [s for _, _, s, _ in rows],
            "channel": pd.Series([c for c, _, _, _ in rows], dtype=object),
            "deal_id": pd.Series([None if k is None else f"D{k}" for *_, k in rows], dtype=object),
        }
    )
    deals = pd.DataFrame(
        {
            "deal_id": [f"D{k}" for k in range(5)],
            "status": ["won", "lost", "won", "open", "won"],
            "amount": pd.array([100, 200, 300, 400, 500], dtype="Int64"),
            "close_date": [day0 + pd.Timedelta(days=30 + k) for k in range(5)],
        }
    )
    return Inputs(deals, leads=leads)


lead_rows = st.lists(
    st.tuples(
        st.sampled_from(["Web", "Events", None]),
        st.integers(0, 60),
        st.sampled_from(["open", "converted", "disqualified", None]),
        st.one_of(st.none(), st.integers(0, 6)),  # D5 and D6 aren't deals: missing
    ),
    min_size=1,
    max_size=40,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lead_rows)
def test_per_group_leads_add_up_to_the_total(rows: list[Any]) -> None:
    inputs = _frames(rows)
    window = {"start": date(2024, 1, 1), "end": date(2024, 3, 31)}  # every lead and deal
    s = Settings(by=(("channel",), ("month",)), **window)  # type: ignore[arg-type]
    report = compute(inputs, s)
    for dims, groups in report.breakdowns.items():
        for name in ("leads", "converted_leads", "won_leads"):
            assert sum(g[name] for g in groups) == report.totals[name], (dims, name)
    assert report.totals["leads"] == len(rows)  # the window takes in every lead
    # Converted: status converted, or a deal of the file (D0–D4) named.
    converted = sum(1 for _, _, st_, k in rows if st_ == "converted" or (k is not None and k < 5))
    assert report.totals["converted_leads"] == converted
    won = sum(1 for *_, k in rows if k in (0, 2, 4))
    assert report.totals["won_leads"] == won
    stages = funnel(inputs, Settings(by=(("channel",),)))  # the leads' own window
    assert stages.totals["leads"] == len(rows) and stages.totals["won"] == won
    per_group = sum(g["opportunities"] for g in stages.breakdowns[("channel",)])
    assert (
        per_group
        == stages.totals["opportunities"]
        == sum(1 for *_, k in rows if k is not None and k < 5)
    )


@pytest.mark.parametrize("width", [60, 80, 120])
def test_the_table_shows_the_lead_figures_after_roi(files: dict[str, str], width: int) -> None:
    result = runner.invoke(
        app,
        [
            "compute",
            *(files["deals"], files["costs"], "--leads", files["leads"]),
            *("--by", "channel", "--format", "table", *WINDOW),
        ],
        env={"COLUMNS": str(width)},
    )
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= width
    assert "│ Leads " in result.stdout and "│ Lead conversion " in result.stdout  # headline
    web = next(line for line in lines if line.startswith("│ Web"))
    # By channel, Web: revenue 3,000, leads 4, lead conversion 50.0 %: whole, never cut.
    assert "3,000" in web and "│     4 │" in web and "50.0%" in web


def test_compare_counts_the_leads_of_each_window(files: dict[str, str]) -> None:
    doc = document(
        "compare",
        files["deals"],
        files["costs"],
        "--leads",
        files["leads"],
        "--baseline",
        "2024-01-01:2024-01-31",
        "--current",
        "2024-02-01:2024-02-29",
    )
    # January: L1, L2, L3 (L1 and L2 converted); February: L4, L5 (both converted by deals).
    assert doc["baseline"]["totals"]["leads"] == 3
    assert doc["baseline"]["totals"]["converted_leads"] == 2
    assert doc["current"]["totals"]["leads"] == 2
    assert doc["current"]["totals"]["converted_leads"] == 2
    assert doc["change"]["totals"]["leads"]["abs"] == -1


def test_a_deal_two_leads_share_counts_once_per_group(tmp_path: Path) -> None:
    deals = tmp_path / "deals.csv"
    deals.write_text("Deal ID,Stage,Amount,Close Date\nD1,Won,1000,2024-02-01\n")
    leads = tmp_path / "leads.csv"
    leads.write_text(
        "Lead ID,Created Date,Lead Source,Deal ID\n"
        "A,2024-01-02,Web,D1\nB,2024-01-03,Web,D1\nC,2024-01-04,Events,D1\n"
    )
    rep = document(
        "compute", str(deals), "--leads", str(leads), "--by", "channel", "--from", "2024-01-01"
    )
    # D1 (1,000) came from A and B (Web) and from C (Events): once in the total, once in Web,
    # once in Events; three won leads.
    assert (rep["totals"]["won_leads"], rep["totals"]["lead_revenue"]) == (3, 1000.0)
    rows = {r["channel"]: (r["won_leads"], r["lead_revenue"]) for r in rep["breakdowns"]["channel"]}
    # The deal itself has no source: its revenue is in (none), with no lead.
    assert rows == {"Events": (1, 1000.0), "Web": (2, 1000.0), "(none)": (0, 0.0)}


def test_leads_with_nothing_to_say_who_converted_are_an_error(tmp_path: Path) -> None:
    mqls = tmp_path / "mqls.csv"
    mqls.write_text("mql id,first contact date,origin\nM1,2024-01-02,Webinar\nM2,2024-01-05,Ads\n")
    result = run("funnel", str(mqls))
    # Not a confident 0 % conversion: nothing in the files says who converted.
    assert result.exit_code == 1 and result.stdout == ""
    assert "nothing in it says which leads converted" in result.stderr
    closed = tmp_path / "closed.csv"
    closed.write_text("Order ID,MQL ID,Stage,Close Date\nO1,M1,Won,2024-02-01\n")
    doc = document("funnel", str(mqls), str(closed))  # the deals name their MQL: it says
    assert [doc["totals"][s] for s in doc["stages"]] == [2, 1, 1, 1]


def test_salesforce_converted_flag_decides_over_the_status_word(tmp_path: Path) -> None:
    leads = tmp_path / "sf.csv"
    leads.write_text(
        "Lead ID,Lead Status,Converted,Created Date,Lead Source\n"
        "L1,Qualified,0,1/5/2024,Web\n"  # Salesforce's Qualified: not yet converted
        "L2,Qualified,1,1/6/2024,Web\n"
        "L3,Unqualified,0,1/7/2024,Web\n"
        "L4,Closed - Converted,0,1/8/2024,Web\n"  # the flag says no: not converted
    )
    doc = document("funnel", str(leads))
    assert [doc["totals"][s] for s in doc["stages"]] == [4, 1, None, None]

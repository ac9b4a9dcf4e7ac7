"""One lead funnel, exported the way each CRM exports it, gives the same figures (metrics §5).

The fixtures are in ``tests/fixtures/leads/`` (written by ``make.py`` there): the same 12 leads
and 6 deals as a Salesforce report and through its API, a HubSpot export and through its API,
a Dynamics 365 Excel export, a Zoho export, a marketing-automation MQL export with its closed
deals and a Dutch export; Pipedrive's leads list, which holds only the unconverted leads, is
tested on its own. Every expected figure is worked out by hand below, never by crm-roi's code.

The funnel (dates 2024; "conv." is the day the lead converted = the day its deal was created):

    lead  channel   created  outcome        conv.  deal  deal status, amount, created → closed
    L01   paid      01-08    converted      01-11  O1    won   12,000.00   01-11 → 02-20
    L02   organic   01-15    open (worked)
    L03   referral  01-22    converted      02-01  O2    won    4,500.50   02-01 → 03-15
    L04   paid      02-05    disqualified
    L05   paid      02-12    converted      02-17  O3    lost   8,000.00   02-17 → 04-02
    L06   organic   02-19    converted      02-29  O4    won   30,000.00   02-29 → 05-10
    L07   organic   03-04    open (new)
    L08   referral  03-11    converted      03-21  —     (converted without an opportunity)
    L09   paid      03-18    converted      04-07  O5    open  15,000.00   04-07
    L10   referral  03-25    disqualified
    L11   paid      04-01    converted      05-01  O6    open   9,750.00   05-01
    L12   organic   04-08    open (new)

The funnel's default window is the leads' created dates: 2024-01-08 … 2024-04-08, all 12 in it.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from crm_roi.cli import app

ROOT = Path(__file__).resolve().parents[1]
LEADS = ROOT / "tests" / "fixtures" / "leads"
EXAMPLES = ROOT / "examples"
CRM = EXAMPLES / "crm"
COSTS = LEADS / "costs.csv"
runner = CliRunner()

# leads 12; converted: L01 L03 L05 L06 L08 L09 L11 = 7; with a deal: the same less L08 = 6;
# won: L01 (O1), L03 (O2), L06 (O4) = 3.
# lead revenue: 12,000.00 + 4,500.50 + 30,000.00 = 46,500.50
# days to convert: L01 3 (01-08 → 01-11), L03 10 (01-22 → 02-01), L05 5 (02-12 → 02-17),
#   L06 10 (02-19 → 02-29, a leap year), L08 10 (03-11 → 03-21), L09 20 (03-18 → 04-07),
#   L11 30 (04-01 → 05-01); sorted 3 5 10 [10] 10 20 30: median 10.
#   Where a lead's converted date isn't exported (Dynamics), its deal's created date is the
#   same day, and L08 (no deal) has none: 3 5 10 10 20 30, median (10 + 10) / 2 = 10 all the same.
# costs.csv: 3 × 600.00 = 1,800.00 of acquisition cost, all in the window;
#   per lead 1,800 / 12 = 150.
TOTALS = {
    "leads": 12,
    "converted": 7,
    "opportunities": 6,
    "won": 3,
    "lead_revenue": 46500.5,
    "days_to_convert": 10.0,
    "acquisition_cost": 1800.0,
    "cost_per_lead": 150.0,
}
RATES = {
    "converted": {"from_previous": 7 / 12, "from_leads": 7 / 12},
    "opportunities": {"from_previous": 6 / 7, "from_leads": 6 / 12},
    "won": {"from_previous": 3 / 6, "from_leads": 3 / 12},
}
# By channel (the lead's own lead source):
# paid     L01 L04 L05 L09 L11: 5 leads; converted L01 L05 L09 L11 = 4, all with a deal; won L01
#          = 1, 12,000.00; days 3 5 20 30: median (5 + 20) / 2 = 12.5
# organic  L02 L06 L07 L12: 4 leads; converted L06 = 1 with a deal, won (O4) 30,000.00; days 10
# referral L03 L08 L10: 3 leads; converted L03 L08 = 2, with a deal L03 = 1, won (O2) 4,500.50;
#          days 10 and 10 (Dynamics: L03's 10 only): 10
BY_CHANNEL = {
    "paid": {"leads": 5, "converted": 4, "opportunities": 4, "won": 1, "lead_revenue": 12000.0,
             "days_to_convert": 12.5},
    "organic": {"leads": 4, "converted": 1, "opportunities": 1, "won": 1, "lead_revenue": 30000.0,
                "days_to_convert": 10.0},
    "referral": {"leads": 3, "converted": 2, "opportunities": 1, "won": 1, "lead_revenue": 4500.5,
                 "days_to_convert": 10.0},
}  # fmt: skip


@dataclass(frozen=True)
class Export:
    name: str
    leads: str
    deals: str
    leads_preset: str | None  # what inspect says it recognised (None: read by the synonyms)
    deals_preset: str | None
    channels: dict[str, str]  # paid / organic / referral → the CRM's lead source label


EXPORTS = [
    Export(
        "salesforce report", "salesforce_leads_report.csv", "salesforce_opportunities_report.csv",
        "Salesforce leads report", "Salesforce opportunity report",
        {"paid": "Advertisement", "organic": "Web", "referral": "Partner Referral"},
    ),
    Export(
        "salesforce api", "salesforce_api_leads.csv", "salesforce_api_opportunities.csv",
        "Salesforce leads (API names)", "Salesforce opportunities (API names)",
        {"paid": "Advertisement", "organic": "Web", "referral": "Partner Referral"},
    ),
    Export(
        "hubspot export", "hubspot_contacts.csv", "hubspot_deals.csv",
        "HubSpot contacts export", "HubSpot deals export",
        {"paid": "Paid Search", "organic": "Organic Search", "referral": "Referrals"},
    ),
    Export(
        "hubspot api", "hubspot_api_contacts.csv", "hubspot_api_deals.csv",
        "HubSpot contacts (API names)", "HubSpot deals (API names)",
        {"paid": "PAID_SEARCH", "organic": "ORGANIC_SEARCH", "referral": "REFERRALS"},
    ),
    Export(
        "dynamics", "dynamics_leads.xlsx", "dynamics_opportunities.xlsx",
        "Dynamics 365 leads export", "Dynamics 365 opportunities export",
        {"paid": "Advertisement", "organic": "Web", "referral": "External Referral"},
    ),
    Export(
        "zoho", "zoho_leads.csv", "zoho_deals.csv", "Zoho CRM leads export",
        "Zoho CRM deals export",
        {"paid": "Advertisement", "organic": "Web Research", "referral": "External Referral"},
    ),
    Export(
        "dutch", "dutch_leads.csv", "dutch_deals.csv", None, None,
        {"paid": "Google Ads", "organic": "Website", "referral": "Doorverwijzing"},
    ),
]  # fmt: skip
MQL = Export(
    "mql", "mqls.csv", "mql_closed_deals.csv", None, None,
    {"paid": "paid_search", "organic": "organic_search", "referral": "referral"},
)  # fmt: skip


def fixture(name: str) -> str:
    path = LEADS / name
    assert path.is_file(), f"missing fixture {name} (run tests/fixtures/leads/make.py)"
    return str(path)


def ids(export: Export) -> str:
    return export.name


def invoke(*args: str) -> Result:
    return runner.invoke(app, [*args, "--format", "json"])


def document(*args: str) -> dict:
    result = invoke(*args)
    assert result.exit_code == 0, result.output
    assert "doesn't have" not in result.stderr  # every link the leads give finds its deal
    return json.loads(result.stdout)


def funnel(export: Export, *more: str) -> dict:
    return document("funnel", fixture(export.leads), fixture(export.deals), *more)


def stages(group: dict) -> dict:
    return {k: group[k] for k in ("leads", "converted", "opportunities", "won")}


def inspected(path: str, *more: str) -> str:
    result = runner.invoke(app, ["inspect", path, "--rows", "0", *more])
    assert result.exit_code == 0, result.output
    return result.output


# --- the same figures from every export --------------------------------------------------------


@pytest.mark.parametrize("export", EXPORTS, ids=ids)
def test_funnel_totals_are_the_same_from_every_export(export: Export) -> None:
    doc = funnel(export, str(COSTS))
    assert doc["schema"] == "crm-roi/funnel@1"
    assert doc["window"] == {"from": "2024-01-08", "to": "2024-04-08"}
    assert doc["stages"] == ["leads", "converted", "opportunities", "won"]
    totals = doc["totals"]
    assert {k: totals[k] for k in TOTALS} == TOTALS
    for stage, rates in RATES.items():
        assert totals["rates"][stage] == pytest.approx(rates)


@pytest.mark.parametrize("export", EXPORTS, ids=ids)
def test_funnel_by_channel_is_the_same_from_every_export(export: Export) -> None:
    rows = {r["channel"]: r for r in funnel(export, "--by", "channel")["breakdowns"]["channel"]}
    for channel, expected in BY_CHANNEL.items():
        row = rows.pop(export.channels[channel])
        assert {k: row[k] for k in expected} == expected, channel
    assert all(r["leads"] == 0 for r in rows.values())  # nothing else has a lead


@pytest.mark.parametrize("export", EXPORTS, ids=ids)
def test_compute_adds_the_lead_figures(export: Export) -> None:
    # compute's window is the deals' and the costs' dates (leads don't widen it): from
    # 2024-01-08 (L01, the first lead) it takes every lead in, to 2024-05-10 (O4 closed).
    totals = document(
        "compute", fixture(export.deals), str(COSTS), "--leads", fixture(export.leads),
        "--from", "2024-01-08",
    )["totals"]  # fmt: skip
    assert totals["leads"] == 12
    assert totals["converted_leads"] == 7
    assert totals["lead_conversion_rate"] == pytest.approx(7 / 12)
    assert totals["won_leads"] == 3
    assert totals["lead_to_win_rate"] == pytest.approx(3 / 12)
    assert totals["lead_revenue"] == 46500.5
    assert totals["days_to_convert"] == 10.0
    assert totals["cost_per_lead"] == 150.0  # 1,800.00 / 12
    # the deals' own revenue: the same three won deals, all closed in the window
    assert totals["revenue"] == 46500.5


@pytest.mark.parametrize("export", EXPORTS, ids=ids)
def test_a_narrower_window_counts_the_leads_created_in_it(export: Export) -> None:
    # 2024-02-01 … 2024-03-31: L04 L05 L06 L07 L08 L09 L10 = 7 leads; converted L05 L06 L08 L09
    # = 4; with a deal L05 L06 L09 = 3; won L06 (O4, closed 05-10, after the window: a lead's
    # won deal counts whenever it closed) = 1, 30,000.00. Days L05 5, L06 10, L08 10, L09 20:
    # median (10 + 10) / 2 = 10 (Dynamics, without L08: 5 10 20, median 10).
    doc = funnel(export, "--from", "2024-02-01", "--to", "2024-03-31")
    totals = doc["totals"]
    assert stages(totals) == {"leads": 7, "converted": 4, "opportunities": 3, "won": 1}
    assert totals["lead_revenue"] == 30000.0
    assert totals["days_to_convert"] == 10.0


# --- how each file is read ---------------------------------------------------------------------


@pytest.mark.parametrize("export", EXPORTS, ids=ids)
def test_inspect_guesses_leads_and_names_the_preset(export: Export) -> None:
    output = inspected(fixture(export.leads))  # no --kind: guessed
    assert f"{export.leads} as leads: 12 rows, 12 used" in output
    if export.leads_preset:
        assert f"{export.leads_preset} recognised" in output
    else:
        assert " recognised" not in output
    output = inspected(fixture(export.deals))
    assert f"{export.deals} as deals: 6 rows, 6 used" in output
    if export.deals_preset:
        assert f"{export.deals_preset} recognised" in output


def test_the_contacts_export_is_guessed_to_be_leads_not_customers() -> None:
    """A contacts export names companies (Associated Company) as a customers file does: the
    leads preset is looked for first."""
    output = inspected(fixture("hubspot_contacts.csv"))
    assert "hubspot_contacts.csv as leads" in output
    assert "HubSpot contacts export recognised" in output
    assert "HubSpot contacts export recognised" in inspected(
        fixture("hubspot_contacts.csv"), "--kind", "leads"
    )


@pytest.mark.parametrize("export", EXPORTS, ids=ids)
def test_validate_reads_the_leads_with_their_deals(export: Export) -> None:
    result = invoke("validate", fixture(export.deals), "--leads", fixture(export.leads))
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["ok"] is True
    deals, leads = doc["inputs"]
    assert (deals["kind"], deals["rows"], deals["used"]) == ("deals", 6, 6)
    assert (leads["kind"], leads["rows"], leads["used"]) == ("leads", 12, 12)
    assert leads["preset"] == export.leads_preset
    assert deals["preset"] == export.deals_preset
    fields = {c["field"] for c in leads["columns"]}
    assert {"lead_id", "created_date", "status", "channel"} <= fields


def test_dynamics_lookups_name_the_records_and_link_by_name() -> None:
    """A Dynamics export names a lookup by the record's name: a lead's Qualifying Opportunity
    is the opportunity's Topic, an opportunity's Originating Lead the lead's Name. Both link
    (6 each way, the same 6 pairs), and the notice says they were found by name."""
    doc = funnel(EXPORTS[4])
    assert doc["totals"]["opportunities"] == 6
    assert any(
        "12 links found by the deal's or lead's record id or name" in w for w in doc["warnings"]
    )


def test_zoho_converted_leads_keep_their_lead_status() -> None:
    """Zoho doesn't change a lead's status when it converts (L01 stays Pre-Qualified, L08
    Contacted): its Converted Date Time and its Converted Deal say it converted. Only Junk
    Lead (L04) and Not Qualified (L10) are disqualified: 12 − 7 converted − 2 = 3 open."""
    with (LEADS / "zoho_leads.csv").open(encoding="utf-8", newline="") as handle:
        statuses = {r["Lead Status"] for r in csv.DictReader(handle)}
    assert "Converted" not in statuses
    assert funnel(EXPORTS[5])["totals"]["converted"] == 7


# --- the exports that aren't the whole funnel ----------------------------------------------------


def test_pipedrive_leads_list_holds_only_the_open_leads() -> None:
    """Pipedrive's leads list drops a lead once it becomes a deal (or is archived): L02, L07
    and L12 (created 01-15, 03-04, 04-08), all organic (Web forms). Without deals,
    opportunities and won are unknown; Lead - Value is a lead's potential, not revenue."""
    output = inspected(fixture("pipedrive_leads.csv"))
    assert "pipedrive_leads.csv as leads: 3 rows, 3 used" in output
    assert "Pipedrive leads export recognised" in output
    doc = document("funnel", fixture("pipedrive_leads.csv"), "--by", "channel")
    assert doc["window"] == {"from": "2024-01-15", "to": "2024-04-08"}
    totals = doc["totals"]
    assert stages(totals) == {"leads": 3, "converted": 0, "opportunities": None, "won": None}
    assert totals["lead_revenue"] is None
    assert totals["days_to_convert"] is None
    (row,) = doc["breakdowns"]["channel"]
    assert (row["channel"], row["leads"]) == ("Web forms", 3)


def test_mql_export_with_closed_deals_without_amounts() -> None:
    """The MQLs name no deal and have no status; the closed-deals file (every row a won deal,
    no amount, no id, no created date) names each deal's mql_id. Converted = with a deal = won
    = the 3 MQLs of O1, O2, O4. Lead revenue is unknown: no amounts. Days to convert use the
    won date (no created date): L01 01-08 → 02-20 = 43; L03 01-22 → 03-15 = 9 + 29 + 15 = 53;
    L06 02-19 → 05-10 = 10 + 31 + 30 + 10 = 81; median 53."""
    doc = funnel(MQL, "--by", "channel")
    totals = doc["totals"]
    assert stages(totals) == {"leads": 12, "converted": 3, "opportunities": 3, "won": 3}
    assert totals["lead_revenue"] is None
    assert totals["days_to_convert"] == 53.0
    assert any("every row is read as a won sale" in w for w in doc["warnings"])
    rows = {r["channel"]: r for r in doc["breakdowns"]["channel"]}
    # paid_search: 5 MQLs, L01 won (43); organic_search: 4, L06 won (81); referral: 3, L03 (53)
    assert {c: (rows[c]["leads"], rows[c]["won"], rows[c]["days_to_convert"]) for c in (
        "paid_search", "organic_search", "referral")} == {
        "paid_search": (5, 1, 43.0), "organic_search": (4, 1, 81.0), "referral": (3, 1, 53.0),
    }  # fmt: skip
    assert "mqls.csv as leads: 12 rows, 12 used" in inspected(fixture("mqls.csv"))


# --- the example data set ----------------------------------------------------------------------


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


EXAMPLE_LEADS = read_csv(EXAMPLES / "leads.csv")
EXAMPLE_DEALS = {r["Deal ID"]: r for r in read_csv(EXAMPLES / "deals.csv")}


def linked(row: dict[str, str]) -> list[str]:
    return [d for d in row["Deal ID"].split(";") if d]


def won_amount(deal_ids: list[str]) -> Decimal:
    return sum(
        (
            Decimal(EXAMPLE_DEALS[d]["Amount"])
            for d in deal_ids
            if EXAMPLE_DEALS[d]["Stage"] == "Closed Won"
        ),
        Decimal(0),
    )


def test_example_leads_are_counted_and_every_deal_is_linked() -> None:
    result = invoke(
        "compute", str(EXAMPLES / "deals.csv"), str(EXAMPLES / "costs.csv"),
        "--leads", str(EXAMPLES / "leads.csv"), "--by", "channel",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "doesn't have" not in result.stderr
    doc = json.loads(result.stdout)
    assert not [w for w in doc["warnings"] if "doesn't have" in w or "outside" in w]
    start, end = (dt.date.fromisoformat(doc["window"][k]) for k in ("from", "to"))
    created = [dt.date.fromisoformat(r["Created Date"]) for r in EXAMPLE_LEADS]
    totals = doc["totals"]
    assert totals["leads"] == sum(start <= day <= end for day in created) == len(EXAMPLE_LEADS)
    assert totals["converted_leads"] == sum(r["Lead Status"] == "Converted" for r in EXAMPLE_LEADS)
    # every deal comes from a lead, so every won deal's amount is some lead's revenue
    assert {d for r in EXAMPLE_LEADS for d in linked(r)} == set(EXAMPLE_DEALS)
    assert totals["won_leads"] == sum(won_amount(linked(r)) > 0 for r in EXAMPLE_LEADS)
    assert Decimal(str(totals["lead_revenue"])) == won_amount(list(EXAMPLE_DEALS))
    assert totals["lead_revenue"] == totals["revenue"]  # every won deal closed in the window
    rows = doc["breakdowns"]["channel"]
    assert sum(r["leads"] for r in rows) == totals["leads"]
    assert {r["channel"] for r in rows if r["leads"]} == {
        "Paid Search", "LinkedIn Ads", "Events", "Referral", "Organic",
    }  # fmt: skip


def test_example_leads_file_is_read_by_its_synonyms() -> None:
    output = inspected(str(EXAMPLES / "leads.csv"))
    assert f"leads.csv as leads: {len(EXAMPLE_LEADS):,} rows" in output
    assert " recognised" not in output  # a plain export, no CRM's


def canonical_funnel() -> dict:
    return document(
        "funnel", str(EXAMPLES / "leads.csv"), str(EXAMPLES / "deals.csv"), "--by", "channel"
    )


@pytest.mark.parametrize(
    ("leads", "deals", "title", "one_deal_each"),
    [
        ("hubspot_contacts.csv", "hubspot_deals.csv", "HubSpot contacts export", False),
        ("salesforce_leads.csv", "salesforce_opportunities.csv", "Salesforce leads report", True),
    ],
)
def test_example_crm_lead_exports_give_the_canonical_funnel(
    leads: str, deals: str, title: str, one_deal_each: bool
) -> None:
    """The example's leads as a HubSpot contacts export and a Salesforce leads report. A
    Salesforce lead converts into one opportunity: a customer's later deal that came through
    the same lead (the leads naming two deals in leads.csv) isn't linked there, so its revenue
    isn't that lead's."""
    assert f"{title} recognised" in inspected(str(CRM / leads))
    canonical = canonical_funnel()
    doc = document("funnel", str(CRM / leads), str(CRM / deals), "--by", "channel")
    assert doc["window"] == canonical["window"]
    first_only = [linked(r)[:1] if one_deal_each else linked(r) for r in EXAMPLE_LEADS]
    expected_revenue = sum((won_amount(ds) for ds in first_only), Decimal(0))
    assert Decimal(str(doc["totals"]["lead_revenue"])) == expected_revenue
    assert doc["totals"]["won"] == sum(won_amount(ds) > 0 for ds in first_only)
    assert {k: doc["totals"][k] for k in ("leads", "converted", "opportunities")} == {
        k: canonical["totals"][k] for k in ("leads", "converted", "opportunities")
    }
    assert doc["totals"]["days_to_convert"] == canonical["totals"]["days_to_convert"]
    if not one_deal_each:
        assert doc["totals"] == canonical["totals"]
        assert doc["breakdowns"] == canonical["breakdowns"]


@pytest.mark.parametrize(
    ("leads", "deals", "lead_refs", "deal_ids"),
    [
        ("hubspot_contacts.csv", "hubspot_deals.csv", "Associated Deal IDs", "Record ID"),
        (
            "salesforce_leads.csv", "salesforce_opportunities.csv", "Converted Opportunity ID",
            "Opportunity ID",
        ),
    ],
)  # fmt: skip
def test_example_crm_lead_exports_link_by_the_crm_own_ids(
    tmp_path: Path, leads: str, deals: str, lead_refs: str, deal_ids: str
) -> None:
    """The CRMs name a lead's deals by their own record ids (HubSpot's a ``;`` list): read by
    those instead of the custom Deal ID, the funnel is the same."""
    mapping = tmp_path / "ids.toml"
    mapping.write_text(
        f'[leads.columns]\ndeal_id = "{lead_refs}"\n\n[deals.columns]\ndeal_id = "{deal_ids}"\n'
    )
    by_custom_id = document("funnel", str(CRM / leads), str(CRM / deals))
    by_crm_id = document("funnel", str(CRM / leads), str(CRM / deals), "--mapping", str(mapping))
    assert by_crm_id["totals"] == by_custom_id["totals"]

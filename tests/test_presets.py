"""Every major CRM's export, as the CRM writes it, gives the figures of the canonical example."""

from __future__ import annotations

import csv
import json
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from crm_roi.cli import app
from crm_roi.inputs.load import LoadOptions, load_input
from crm_roi.inputs.schema import InputKind

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
CRM = EXAMPLES / "crm"
runner = CliRunner()
REST = [
    str(EXAMPLES / "costs.csv"),
    "--customers", str(EXAMPLES / "customers.csv"),
    "--time-logs", str(EXAMPLES / "time_logs.csv"),
]  # fmt: skip
BY = ["--by", "channel", "--by", "month", "--by", "owner"]


def figures(*args: str) -> dict:
    result = runner.invoke(app, ["compute", *args, *BY, "--format", "json", "--quiet"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    return {
        "totals": report["totals"],
        "breakdowns": report["breakdowns"],
        "window": report["window"],
        "currency": report["currency"],
    }


@pytest.fixture(scope="module")
def canonical() -> dict:
    return figures(str(EXAMPLES / "deals.csv"), *REST)


@pytest.mark.parametrize(
    ("export", "title"),
    [
        ("hubspot_deals.csv", "HubSpot deals export"),
        ("salesforce_opportunities.csv", "Salesforce opportunity report"),
        ("pipedrive_deals.csv", "Pipedrive deals export"),
        ("dynamics_opportunities.xlsx", "Dynamics 365 opportunities export"),
        ("zoho_deals.csv", "Zoho CRM deals export"),
    ],
)
def test_each_crm_deals_export_gives_the_canonical_figures(canonical, export, title) -> None:
    assert figures(str(CRM / export), *REST) == canonical
    loaded = load_input(CRM / export, InputKind.DEALS)
    assert loaded.preset == title
    assert loaded.rows == 300 and loaded.used == 300


def test_the_generic_dutch_set_gives_the_canonical_figures(canonical) -> None:
    dutch = figures(
        str(CRM / "dutch_deals.csv"), str(CRM / "dutch_costs.csv"),
        "--customers", str(EXAMPLES / "customers.csv"),
        "--time-logs", str(CRM / "dutch_time_logs.csv"),
    )  # fmt: skip
    assert dutch == canonical
    loaded = load_input(CRM / "dutch_deals.csv", InputKind.DEALS)
    assert (loaded.raw.encoding, loaded.raw.delimiter) == ("cp1252", ";")
    assert loaded.preset is None  # the built-in Dutch synonyms, no preset


def test_hubspot_companies_as_the_customers_input(canonical) -> None:
    args = [
        str(EXAMPLES / "deals.csv"),
        str(EXAMPLES / "costs.csv"),
        "--time-logs",
        str(EXAMPLES / "time_logs.csv"),
        "--by",
        "segment",
    ]
    ours = figures(*args, "--customers", str(CRM / "hubspot_companies.csv"))
    theirs = figures(*args, "--customers", str(EXAMPLES / "customers.csv"))
    assert ours == theirs
    loaded = load_input(CRM / "hubspot_companies.csv", InputKind.CUSTOMERS)
    assert loaded.mapping.fields["customer_id"] == "Company name"
    assert (
        "acquired_date" not in loaded.mapping.fields
    )  # Create Date is the record's, not the customer's


def test_a_mapping_file_reads_a_crm_we_dont_know(canonical) -> None:
    mapped = figures(
        str(CRM / "other_crm_deals.csv"), *REST, "--mapping", str(EXAMPLES / "mapping-example.toml")
    )
    assert mapped == canonical


@pytest.mark.parametrize("export", ["salesforce_campaigns.csv", "dynamics_campaigns.xlsx"])
def test_campaign_exports_work_as_the_costs_input(export) -> None:
    with (EXAMPLES / "costs.csv").open(encoding="utf-8") as handle:
        campaign_cost = sum(Decimal(r["Amount"]) for r in csv.DictReader(handle) if r["Campaign"])
    report = figures(str(EXAMPLES / "deals.csv"), str(CRM / export))
    assert Decimal(str(report["totals"]["direct_cost"])) == campaign_cost
    channels = {r["channel"]: r for r in report["breakdowns"]["channel"]}
    # Campaign rows carry no channel: the deals tie each campaign to one.
    assert channels["Paid Search"]["direct_cost"] > 0
    assert "(unattributed)" not in channels


def test_pipedrive_closes_at_won_or_lost_time_never_the_expected_date(tmp_path: Path) -> None:
    deals = tmp_path / "pipedrive.csv"
    deals.write_text(
        "Deal - ID,Deal - Title,Deal - Value,Deal - Currency,Deal - Status,Deal - Organization,"
        "Deal - Deal created,Deal - Won time,Deal - Lost time,Deal - Expected close date\n"
        "1,A,100,EUR,won,Acme,2024-01-01 09:00:00,2024-02-03 10:00:00,,2024-06-30\n"
        "2,B,50,EUR,lost,Beta,2024-01-02 09:00:00,,2024-02-10 11:00:00,2024-06-30\n"
        "3,C,70,EUR,open,Gamma,2024-01-03 09:00:00,,,2024-06-30\n",
        encoding="utf-8",
    )
    frame = load_input(deals, InputKind.DEALS).frame
    assert [str(d.date()) if d == d else None for d in frame["close_date"]] == [
        "2024-02-03", "2024-02-10", None]  # fmt: skip
    assert list(frame["status"]) == ["won", "lost", "open"]


def test_salesforce_won_and_closed_flags_decide_custom_stages(tmp_path: Path) -> None:
    deals = tmp_path / "sf.csv"
    deals.write_text(
        '"Opportunity ID","Opportunity Name","Account Name","Amount","Close Date","Stage",'
        '"Won","Closed"\n'
        '"0061","A","Acme","1,000.00","2/1/2024","Signed","1","1"\n'
        '"0062","B","Beta","500.00","2/10/2024","Dead","0","1"\n'
        '"0063","C","Gamma","700.00","3/1/2024","Pitching","0","0"\n'
        '\n"Grand Totals (3 records)","","","2,200.00"\n\n'
        '"Confidential Information - Do Not Distribute"\n'
        '"Copyright (c) 2000-2024 salesforce.com, inc. All rights reserved."\n',
        encoding="utf-8",
    )
    loaded = load_input(deals, InputKind.DEALS)
    assert list(loaded.frame["status"]) == ["won", "lost", "open"]
    assert loaded.rows == 3 and loaded.rejected_total == 0
    assert [s.code for s in loaded.raw.skipped] == ["blank", "footer", "blank", "footer", "footer"]


def test_dynamics_revenue_is_actual_revenue_not_the_estimate() -> None:
    loaded = load_input(CRM / "dynamics_opportunities.xlsx", InputKind.DEALS)
    assert loaded.mapping.fields["amount"] == "Actual Revenue (Base)"
    assert loaded.mapping.fields["close_date"] == "Actual Close Date"
    assert (
        "currency" not in loaded.mapping.fields
    )  # base amounts: the deal's currency no longer applies
    assert any("converted by the CRM" in n for n in loaded.notes)


def test_hubspot_converted_amount_and_internal_stage_ids() -> None:
    loaded = load_input(CRM / "hubspot_deals.csv", InputKind.DEALS)
    assert loaded.mapping.fields["amount"] == "Amount in company currency"
    assert loaded.mapping.fields["status"] == "Deal Stage"
    assert "Amount" in loaded.mapping.attributes  # the deal-currency amount is kept, not added
    with (CRM / "hubspot_deals.csv").open(encoding="utf-8-sig") as handle:
        raw = [r["Deal Stage"] for r in csv.DictReader(handle)]
    assert "closedwon" in raw and "Closed Won" in raw
    assert (loaded.frame["status"] == "won").sum() == 135


def test_inspect_and_validate_name_the_preset_and_the_mapping() -> None:
    result = runner.invoke(app, ["inspect", str(CRM / "pipedrive_deals.csv"), "--rows", "0"])
    assert result.exit_code == 0
    assert "Pipedrive deals export recognised" in result.stdout
    assert "Close date (won or lost time)" in result.stdout
    result = runner.invoke(app, ["validate", str(CRM / "zoho_deals.csv"), "--format", "json"])
    entry = json.loads(result.stdout)["inputs"][0]
    assert entry["preset"] == "Zoho CRM deals export"
    assert {c["field"]: c["header"] for c in entry["columns"]}["close_date"] == "Closing Date"


def test_preset_can_be_forced_or_switched_off() -> None:
    forced = load_input(CRM / "zoho_deals.csv", InputKind.DEALS, LoadOptions(preset="zoho"))
    assert forced.preset == "Zoho CRM deals export"
    off = load_input(CRM / "zoho_deals.csv", InputKind.DEALS, LoadOptions(preset="none"))
    assert off.preset is None
    result = runner.invoke(app, ["validate", str(CRM / "zoho_deals.csv"), "--preset", "sugarcrm"])
    assert result.exit_code == 2
    assert "--preset 'sugarcrm': choose one of hubspot, salesforce, pipedrive, dynamics, zoho" in (
        result.output
    )

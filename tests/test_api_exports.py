"""The CRMs' API-name exports (Data Loader, HubSpot's API, Pipedrive's API, Dataverse, Zoho's API)
give the figures of the canonical example, as their display-label exports do (test_presets.py).

An API names related records by their ids. Where an export has only the id, the companion inputs
(``examples/customers.csv``, ``costs.csv``, ``time_logs.csv``), which name companies and campaigns,
cannot link to it; each test says which figures that leaves out, and
``test_exports_naming_records_by_id_with_inputs_keyed_alike`` gives those inputs keyed by the
export's ids, so that everything is compared there.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from crm_roi.cli import app
from crm_roi.inputs.load import load_input
from crm_roi.inputs.schema import InputKind

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
CRM = EXAMPLES / "crm"
runner = CliRunner()
BY = ["--by", "channel", "--by", "month", "--by", "owner"]
DIMENSIONS = ("channel", "month", "owner")

# Figures of the channel breakdown that need the deals' campaigns: costs and time logged on a
# campaign with no channel of its own (Partner Program, LI ABM Q1-2024) reach a channel only
# through the deals of that campaign.
CAMPAIGN_COST = frozenset({
    "direct_cost", "time_cost", "hours", "cost", "net_return", "roi", "acquisition_cost", "cac",
    "ltv_cac", "payback_months",
})  # fmt: skip


@dataclass(frozen=True)
class Export:
    file: str
    title: str  # the preset's title
    deal_id: str  # the column with the canonical deal id (Pipedrive: its own id)
    time_logs: Path = EXAMPLES / "time_logs.csv"
    # The columns naming a related record by its id only (None: the export has its name).
    customer_id: str | None = None
    owner_id: str | None = None
    campaign_id: str | None = None
    # What the brief's command is compared on: per breakdown (and "totals"), the figures left
    # out; a dimension missing from ``compared`` is not compared at all.
    compared: tuple[str, ...] = ("totals", *DIMENSIONS)
    left_out: tuple[tuple[str, frozenset[str]], ...] = ()


SALESFORCE = Export(
    "salesforce_api_opportunities.csv", "Salesforce opportunities (API names)", "DEAL_ID__C",
    customer_id="ACCOUNTID", owner_id="OWNERID", campaign_id="CAMPAIGNID",
    # ACCOUNTID, OWNERID, CAMPAIGNID are Salesforce ids: customers.csv (by company name) does
    # not link — an error — so its figures are compared with inputs keyed by those ids.
)  # fmt: skip
HUBSPOT = Export(
    "hubspot_api_deals.csv", "HubSpot deals (API names)", "deal_id",
    customer_id="associatedcompanyid", owner_id="hubspot_owner_id",
    # associatedcompanyid and hubspot_owner_id are numeric ids (as for Salesforce), and there
    # is no campaign column.
)  # fmt: skip
PIPEDRIVE = Export(
    "pipedrive_api_deals.csv", "Pipedrive deals (API names)", "id",
    time_logs=CRM / "time_logs_pipedrive_api.csv",
    # org_name and owner_name give the names; there is no campaign column.
    left_out=(("channel", CAMPAIGN_COST),),
)  # fmt: skip
DYNAMICS = Export(
    "dynamics_api_opportunities.csv", "Dynamics 365 opportunities (API names)", "new_dealid",
    campaign_id="campaignid",
    # parentaccountidname and owneridname give the names, leadsourcecode_label the channel;
    # campaignid is a GUID only.
    left_out=(("channel", CAMPAIGN_COST),),
)  # fmt: skip
ZOHO = Export("zoho_api_deals.csv", "Zoho CRM deals (API names)", "Deal_ID")
EXPORTS = [SALESFORCE, HUBSPOT, PIPEDRIVE, DYNAMICS, ZOHO]


def ids(export: Export) -> str:
    return export.file


def figures(deals: Path, costs: Path, customers: Path, time_logs: Path) -> dict:
    result = runner.invoke(
        app,
        [
            "compute", str(deals), str(costs), "--customers", str(customers),
            "--time-logs", str(time_logs), *BY, "--format", "json", "--quiet",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    return {
        "totals": report["totals"],
        "breakdowns": report["breakdowns"],
        "window": report["window"],
        "currency": report["currency"],
    }


def comparable(
    report: dict,
    compared: Iterable[str] = ("totals", *DIMENSIONS),
    left_out: Iterable[tuple[str, frozenset[str]]] = (),
    labels: dict[str, dict[str, str]] | None = None,
) -> dict:
    """The figures compared: breakdown rows keyed by their label (relabelled through
    ``labels[dimension]``, from a record id to its name), less the figures left out."""
    skip = dict(left_out)
    out: dict = {"window": report["window"], "currency": report["currency"]}
    for part in compared:
        if part == "totals":
            out["totals"] = {
                k: v for k, v in report["totals"].items() if k not in skip.get(part, ())
            }
            continue
        names = (labels or {}).get(part, {})
        rows = {}
        for row in report["breakdowns"][part]:
            label = names.get(str(row[part]), str(row[part]))
            rows[label] = {
                k: v for k, v in row.items() if k != part and k not in skip.get(part, ())
            }
        out[part] = rows
    return out


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def write_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return path


CANONICAL_DEALS = {r["Deal ID"]: r for r in read_csv(EXAMPLES / "deals.csv")}


def canonical_deal(export: Export, row: dict[str, str]) -> dict[str, str]:
    if export is PIPEDRIVE:  # no canonical id: Pipedrive's ids are 1 … 300 in the same order
        return list(CANONICAL_DEALS.values())[int(row["id"]) - 1]
    return CANONICAL_DEALS[row[export.deal_id]]


def names_of(export: Export, column: str | None, field: str) -> dict[str, str]:
    """The export's record id → the canonical name (company, owner, campaign), via the deals."""
    if column is None:
        return {}
    pairs = {}
    for row in read_csv(CRM / export.file):
        if row[column]:
            pairs.setdefault(row[column], set()).add(canonical_deal(export, row)[field])
    assert all(len(names) == 1 for names in pairs.values()), f"{column} is not one per {field}"
    return {record: names.pop() for record, names in pairs.items()}


@pytest.fixture(scope="module")
def canonical() -> dict:
    return figures(
        EXAMPLES / "deals.csv", EXAMPLES / "costs.csv", EXAMPLES / "customers.csv",
        EXAMPLES / "time_logs.csv",
    )  # fmt: skip


@pytest.mark.parametrize("export", [PIPEDRIVE, DYNAMICS, ZOHO], ids=ids)
def test_api_export_gives_the_canonical_figures(canonical: dict, export: Export) -> None:
    report = figures(
        CRM / export.file, EXAMPLES / "costs.csv", EXAMPLES / "customers.csv", export.time_logs
    )
    assert comparable(report, export.compared, export.left_out) == comparable(
        canonical, export.compared, export.left_out
    )


@pytest.mark.parametrize("export", [SALESFORCE, HUBSPOT], ids=ids)
def test_customers_named_by_name_against_deals_naming_account_ids_is_an_error(
    export: Export,
) -> None:
    """examples/customers.csv names companies, these exports name accounts by their ids: not
    one customer links, and churn, lifespan and CLV would silently be wrong (churn 0, CLV at
    the ten-year cap). One error instead; the keyed-alike test below gives the figures."""
    result = runner.invoke(
        app,
        [
            "compute", str(CRM / export.file), str(EXAMPLES / "costs.csv"),
            "--customers", str(EXAMPLES / "customers.csv"), "--format", "json",
        ],
    )  # fmt: skip
    assert result.exit_code == 1 and result.stdout == ""
    line = result.stderr.strip()
    assert line.startswith(
        f"Error: {EXAMPLES / 'customers.csv'}: not one of its customers is named by the deals: "
    )
    assert f"names them by {export.customer_id!r}" in line
    assert "this file by 'Customer ID' ('Amberdata GmbH'" in line


@pytest.mark.parametrize("export", [SALESFORCE, HUBSPOT, DYNAMICS], ids=ids)
def test_exports_naming_records_by_id_with_inputs_keyed_alike(
    canonical: dict, export: Export, tmp_path: Path
) -> None:
    """Customers, costs and time logs naming companies and campaigns by the export's ids (as a
    user exporting accounts and campaigns from the same API has them), and the owner breakdown
    read through the owner ids: every figure is canonical. Only HubSpot's channel breakdown
    leaves the campaign costs out, as it has no campaign column."""
    company = {
        name: record for record, name in names_of(export, export.customer_id, "Company").items()
    }
    campaign = {
        name: record for record, name in names_of(export, export.campaign_id, "Campaign").items()
    }
    customers = [
        {**r, "Customer ID": company.get(r["Customer ID"], r["Customer ID"])}
        for r in read_csv(EXAMPLES / "customers.csv")
    ]
    costs = [
        {**r, "Campaign": campaign.get(r["Campaign"], r["Campaign"])}
        for r in read_csv(EXAMPLES / "costs.csv")
    ]
    logs = [
        {
            **r,
            "Customer ID": company.get(r["Customer ID"], r["Customer ID"]),
            "Campaign": campaign.get(r["Campaign"], r["Campaign"]),
        }
        for r in read_csv(export.time_logs)
    ]
    report = figures(
        CRM / export.file,
        write_csv(tmp_path / "costs.csv", costs),
        write_csv(tmp_path / "customers.csv", customers),
        write_csv(tmp_path / "time_logs.csv", logs),
    )
    left_out = (("channel", CAMPAIGN_COST),) if export.campaign_id is None else ()
    owners = {"owner": names_of(export, export.owner_id, "Deal Owner")}
    assert comparable(report, left_out=left_out, labels=owners) == comparable(
        canonical, left_out=left_out
    )


@pytest.mark.parametrize("export", EXPORTS, ids=ids)
def test_api_export_is_recognised(export: Export) -> None:
    loaded = load_input(CRM / export.file, InputKind.DEALS)
    assert loaded.preset == export.title
    assert loaded.rows == 300 and loaded.used == 300
    result = runner.invoke(app, ["inspect", str(CRM / export.file), "--rows", "0"])
    assert result.exit_code == 0, result.output
    assert export.title in result.stdout


def fixture_status(export: Export, row: dict[str, str]) -> str:
    """won, lost or open, read from the export as its CRM defines it."""
    if export is SALESFORCE:
        if row["ISWON"] == "true":
            return "won"
        return "lost" if row["ISCLOSED"] == "true" else "open"
    if export is HUBSPOT:
        return {"closedwon": "won", "closedlost": "lost"}.get(row["dealstage"], "open")
    if export is PIPEDRIVE:
        return row["status"]
    if export is DYNAMICS:
        return {"1": "won", "2": "lost", "0": "open"}[row["statecode"]]
    return {"Closed Won": "won", "Closed Lost": "lost"}.get(row["Stage"], "open")


FIXTURE_AMOUNT = {
    SALESFORCE: "AMOUNT", HUBSPOT: "amount_in_home_currency", PIPEDRIVE: "value",
    DYNAMICS: "actualvalue_base", ZOHO: "Amount",
}  # fmt: skip
FIXTURE_CLOSE = {
    SALESFORCE: "CLOSEDATE", HUBSPOT: "closedate", PIPEDRIVE: "close_time",
    DYNAMICS: "actualclosedate", ZOHO: "Closing_Date",
}  # fmt: skip


@pytest.mark.parametrize("export", EXPORTS, ids=ids)
def test_api_fixture_holds_the_canonical_deals(export: Export) -> None:
    """The fixture itself, read with the csv module (no crm-roi): each deal's status, and a
    closed deal's close date, are the canonical ones, and the won amounts sum to the canonical
    revenue."""
    raw = (CRM / export.file).read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")  # UTF-8 without a BOM
    rows = read_csv(CRM / export.file)
    assert len(rows) == 300
    revenue = Decimal(0)
    for row in rows:
        deal = canonical_deal(export, row)
        status = fixture_status(export, row)
        assert status == {"Closed Won": "won", "Closed Lost": "lost"}.get(deal["Stage"], "open")
        if status != "open":
            assert row[FIXTURE_CLOSE[export]][:10] == deal["Close Date"], row
        else:  # only Dynamics and Pipedrive leave an open deal's close date empty
            assert bool(row[FIXTURE_CLOSE[export]]) == (export not in (DYNAMICS, PIPEDRIVE)), row
        if status == "won":
            revenue += Decimal(row[FIXTURE_AMOUNT[export]])
    won = (d for d in CANONICAL_DEALS.values() if d["Stage"] == "Closed Won")
    assert revenue == sum((Decimal(d["Amount"]) for d in won), Decimal(0)) == Decimal("1967717.69")


def test_salesforce_api_fixture_is_quoted_throughout() -> None:
    lines = (CRM / SALESFORCE.file).read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith('"ID","ACCOUNTID","NAME","STAGENAME",')
    assert all(line.startswith('"') and line.endswith('"') for line in lines)
    assert all(line.count('"') == 2 * 14 for line in lines)  # no quotes inside values here


def test_pipedrive_time_logs_are_the_canonical_ones_by_pipedrive_id() -> None:
    number = {deal: str(n) for n, deal in enumerate(CANONICAL_DEALS, start=1)}
    logs = read_csv(EXAMPLES / "time_logs.csv")
    assert read_csv(PIPEDRIVE.time_logs) == [
        {**r, "Deal ID": number.get(r["Deal ID"], r["Deal ID"])} for r in logs
    ]


def test_salesforce_api_flags_decide_the_status_by_hand(tmp_path: Path) -> None:
    """Data Loader's capitals and quotes; ISWON and ISCLOSED, not the stage's name, decide."""
    deals = tmp_path / "extract.csv"
    deals.write_text(
        '"ID","ACCOUNTID","NAME","STAGENAME","AMOUNT","CLOSEDATE","CREATEDDATE","LEADSOURCE",'
        '"OWNERID","CAMPAIGNID","ISWON","ISCLOSED","CURRENCYISOCODE"\n'
        '"0065g000000AAAAAAA","0015g000000AAAAAAA","A","Signed","1000.5","2024-02-01",'
        '"2024-01-02T09:00:00.000Z","Web","0055g000000AAAAAAA","","true","true","EUR"\n'
        '"0065g000000AAABAAA","0015g000000AAABAAA","B","Closed Won","2500","2024-02-15",'
        '"2024-01-05T10:30:00.000Z","Web","0055g000000AAAAAAA","","true","true","EUR"\n'
        '"0065g000000AAACAAA","0015g000000AAACAAA","C","Closed Lost","400","2024-02-20",'
        '"2024-01-10T14:00:00.000Z","Partner","0055g000000AAAAAAA","","false","true","EUR"\n'
        '"0065g000000AAADAAA","0015g000000AAADAAA","D","Negotiation/Review","700","2024-06-30",'
        '"2024-01-20T16:45:00.000Z","Partner","0055g000000AAAAAAA","","false","false","EUR"\n',
        encoding="utf-8",
    )
    costs = tmp_path / "costs.csv"
    costs.write_text("Date,Amount,Currency,Channel\n2024-01-15,500.00,EUR,Web\n", encoding="utf-8")
    loaded = load_input(deals, InputKind.DEALS)
    assert loaded.preset == SALESFORCE.title
    assert list(loaded.frame["status"]) == ["won", "won", "lost", "open"]
    result = runner.invoke(app, ["compute", str(deals), str(costs), "--format", "json", "--quiet"])
    assert result.exit_code == 0, result.output
    totals = json.loads(result.stdout)["totals"]
    # Won: A (1,000.50, stage "Signed") and B (2,500); lost: C; open: D, whose CLOSEDATE is a
    # forecast. Win rate = won / (won + lost) = 2 / 3.
    assert totals["revenue"] == pytest.approx(1000.50 + 2500)
    assert (totals["won_deals"], totals["lost_deals"], totals["open_deals"]) == (2, 1, 1)
    assert totals["win_rate"] == pytest.approx(2 / 3)
    assert totals["avg_deal_size"] == pytest.approx(3500.50 / 2)
    # Cycle: A 2024-01-02 → 02-01 = 30 days, B 2024-01-05 → 02-15 = 41 days; median 35.5.
    assert totals["sales_cycle_days"] == pytest.approx(35.5)

#!/usr/bin/env python3
"""Write the canonical example data set as each CRM really exports it.

Reads ``examples/deals.csv`` (and ``costs.csv``, ``customers.csv``, ``time_logs.csv``) and writes,
next to this script, the same 300 deals as the deal export of HubSpot, Salesforce, Pipedrive,
Dynamics 365 Sales and Zoho CRM, the campaign exports of Salesforce and Dynamics, a HubSpot
companies export, a generic Dutch set (deals, costs, time logs), an export of an unknown CRM
that ``examples/mapping-example.toml`` maps, and the deals once more as each CRM's API names them
(Salesforce Data Loader, HubSpot, Pipedrive, Dataverse and Zoho APIs; with Pipedrive's, time logs
that name deals by Pipedrive's id). From ``examples/leads.csv`` it writes the leads as a Salesforce
leads report and a HubSpot contacts export. See README.md here for what each file mimics.

Every file carries the same deal ids (``D-0001`` …, as the time logs name them), amounts, stages,
dates, owners, sources, campaigns, companies and products; only the way each CRM writes them
differs. The output is deterministic (no clock, no randomness: times of day and ids are derived
from the deal id), so running ``python examples/crm/make.py`` twice gives byte-identical files.
Standard library and openpyxl only.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import re
import unicodedata
import uuid
import zipfile
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from openpyxl import Workbook

HERE = Path(__file__).resolve().parent
EXAMPLES = HERE.parent

EXPORTED_AT = datetime(2025, 1, 6, 9, 12, 0)  # when the exports were "taken"; only in metadata
NAMESPACE = uuid.UUID("6f1c2d8e-4b7a-5c3e-9a10-2f4e8b6c0d11")  # for the Dynamics GUIDs


# ---------------------------------------------------------------------------------------------
# The canonical data


def read_csv(name: str) -> list[dict[str, str]]:
    with open(EXAMPLES / name, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def to_date(text: str) -> date | None:
    return date.fromisoformat(text) if text else None


def load_deals() -> list[dict]:
    deals = []
    for n, r in enumerate(read_csv("deals.csv"), start=1):
        stage = r["Stage"]
        status = {"Closed Won": "won", "Closed Lost": "lost"}.get(stage, "open")
        deals.append(
            {
                "n": n,
                "id": r["Deal ID"],
                "name": r["Deal Name"],
                "company": r["Company"],
                "amount": Decimal(r["Amount"]) if r["Amount"] else None,
                "currency": r["Currency"],
                "stage": stage,
                "status": status,
                "create": to_date(r["Create Date"]),
                "close": to_date(r["Close Date"]),
                "owner": r["Deal Owner"],
                "channel": r["Lead Source"],
                "campaign": r["Campaign"],
                "product": r["Product"],
                # The deal name says what kind of deal it is: "X - Starter renewal 2024".
                "existing": " renewal " in r["Deal Name"] or r["Deal Name"].endswith(" upsell"),
            }
        )
    assert len(deals) == 300, len(deals)
    return deals


def load_costs() -> list[dict]:
    costs = []
    for r in read_csv("costs.csv"):
        costs.append(
            {
                "date": to_date(r["Date"]),
                "start": to_date(r["Start Date"]),
                "end": to_date(r["End Date"]),
                "amount": Decimal(r["Amount"]),
                "currency": r["Currency"],
                "channel": r["Channel"],
                "campaign": r["Campaign"],
                "category": r["Category"],
                "type": r["Type"],
                "description": r["Description"],
            }
        )
    return costs


def load_leads() -> list[dict]:
    leads = []
    for n, r in enumerate(read_csv("leads.csv"), start=1):
        leads.append(
            {
                "n": n,
                "id": r["Lead ID"],
                "created": to_date(r["Created Date"]),
                "status": r["Lead Status"],
                "channel": r["Lead Source"],
                "campaign": r["Campaign"],
                "owner": r["Lead Owner"],
                "converted": to_date(r["Converted Date"]),
                "deals": [d for d in r["Deal ID"].split(";") if d],
                "company": r["Company"],
            }
        )
    return leads


# ---------------------------------------------------------------------------------------------
# Deterministic "random-looking" values


def digest(*parts: object) -> bytes:
    return hashlib.sha256("|".join(map(str, parts)).encode("utf-8")).digest()


def pick(key: str, n: int, *salt: object) -> int:
    """A number in 0..n-1 derived from the key: stable across runs and Python versions."""
    return int.from_bytes(digest(key, *salt)[:8], "big") % n


def clock(key: str, *salt: object) -> time:
    """A working-hours time of day for one event of one record."""
    minutes = pick(key, 10 * 60, *salt)  # 08:00 .. 17:59
    return time(8 + minutes // 60, minutes % 60, pick(key, 60, "s", *salt))


def at(day: date, key: str, *salt: object) -> datetime:
    return datetime.combine(day, clock(key, *salt))


def expected_close(d: dict) -> date:
    """The close date a rep had forecast: never the real one."""
    if d["close"] is not None:
        return d["close"] + timedelta(days=14)
    return d["create"] + timedelta(days=45 + 7 * pick(d["id"], 8, "expected"))


# ---------------------------------------------------------------------------------------------
# Formats


def plain_number(amount: Decimal | None) -> str:
    """8245.90 → 8245.9, 2200.00 → 2200 (how HubSpot and Pipedrive write numbers)."""
    if amount is None:
        return ""
    text = f"{amount:.2f}".rstrip("0").rstrip(".")
    return text or "0"


def two_decimals(amount: Decimal | None) -> str:
    return "" if amount is None else f"{amount:.2f}"


def us_money(amount: Decimal | None) -> str:
    """8245.90 → 8,245.90; -250 → -250.00."""
    return "" if amount is None else f"{amount:,.2f}"


def nl_money(amount: Decimal | None) -> str:
    """8245.90 → € 8.245,90; -250 → € -250,00."""
    if amount is None:
        return ""
    us = f"{amount:,.2f}"
    return "€ " + us.replace(",", "_").replace(".", ",").replace("_", ".")


def nl_number(text: str) -> str:
    return text.replace(".", ",")


def us_date(d: date | None) -> str:
    return "" if d is None else f"{d.month}/{d.day}/{d.year}"


def nl_date(d: date | None) -> str:
    return "" if d is None else d.strftime("%d-%m-%Y")


def dotted_date(d: date | None) -> str:
    return "" if d is None else d.strftime("%d.%m.%Y")


def iso(d: date | None) -> str:
    return "" if d is None else d.isoformat()


def cents(amount: Decimal) -> Decimal:
    return amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def write_text_csv(
    name: str,
    header: list[str],
    rows: list[list[str]],
    *,
    encoding: str = "utf-8",
    delimiter: str = ",",
    newline: str = "\n",
    quote_all: bool = False,
    footer: str = "",
) -> None:
    buf = io.StringIO()
    writer = csv.writer(
        buf,
        delimiter=delimiter,
        lineterminator=newline,
        quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL,
    )
    writer.writerow(header)
    writer.writerows(rows)
    with open(HERE / name, "w", encoding=encoding, newline="") as fh:
        fh.write(buf.getvalue() + footer)
    print(f"{name}: {len(rows)} rows")


# ---------------------------------------------------------------------------------------------
# HubSpot


HUBSPOT_OPEN_STAGES = {
    "Qualified": ("Appointment Scheduled", "Qualified To Buy"),
    "Proposal": ("Presentation Scheduled",),
    "Negotiation": ("Contract Sent",),
}


def hubspot_stage(d: dict, closed_index: int) -> str:
    if d["status"] == "open":
        labels = HUBSPOT_OPEN_STAGES[d["stage"]]
        return labels[d["n"] % len(labels)]
    # About 30% of closed deals carry the internal stage id instead of its label, as exports
    # do for deals last moved by a workflow or an integration.
    if closed_index % 10 in (1, 4, 7):
        return {"won": "closedwon", "lost": "closedlost"}[d["status"]]
    return d["stage"]


def hubspot_time(day: date | None, key: str, salt: str) -> str:
    return "" if day is None else at(day, key, salt).strftime("%Y-%m-%d %H:%M")


def hubspot_deals(deals: list[dict]) -> None:
    header = [
        "Record ID", "Deal Name", "Deal Stage", "Close Date", "Create Date", "Deal owner",
        "Amount", "Amount in company currency", "Currency", "Pipeline", "Associated Company",
        "Original Source", "Campaign", "Product", "Deal ID",
    ]  # fmt: skip
    rows = []
    closed = 0
    for d in deals:
        if d["status"] != "open":
            closed += 1
        rows.append([
            str(9876543210 + d["n"]), d["name"], hubspot_stage(d, closed),
            hubspot_time(d["close"], d["id"], "close"),
            hubspot_time(d["create"], d["id"], "create"), d["owner"],
            plain_number(d["amount"]), plain_number(d["amount"]), d["currency"],
            "Sales Pipeline", d["company"], d["channel"], d["campaign"], d["product"], d["id"],
        ])  # fmt: skip
    write_text_csv("hubspot_deals.csv", header, rows, encoding="utf-8-sig")


def hubspot_companies(deals: list[dict]) -> None:
    first_deal: dict[str, dict] = {}
    for d in deals:  # deals are in order of creation
        first_deal.setdefault(d["company"], d)
    header = [
        "Record ID", "Company name", "Industry", "Country/Region", "Lifecycle Stage",
        "Original Source", "Create Date", "Segment", "Churned Date",
    ]  # fmt: skip
    rows = []
    for i, c in enumerate(read_csv("customers.csv"), start=1):
        first = first_deal[c["Customer ID"]]
        created = first["create"] - timedelta(days=3 + pick(c["Customer ID"], 60, "company"))
        rows.append([
            str(5123456789 + 37 * i), c["Customer ID"], c["Industry"], c["Country"], "Customer",
            first["channel"], hubspot_time(created, c["Customer ID"], "company"), c["Segment"],
            c["Churned Date"],
        ])  # fmt: skip
    write_text_csv("hubspot_companies.csv", header, rows, encoding="utf-8-sig")


# ---------------------------------------------------------------------------------------------
# Salesforce

BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def salesforce_id(prefix: str, n: int) -> str:
    """An 18-character record id: 15 case-sensitive characters and the real checksum suffix."""
    value = 3_000_000 + 7919 * n
    tail = ""
    for _ in range(15 - len(prefix)):
        value, r = divmod(value, 62)
        tail = BASE62[r] + tail
    id15 = prefix + tail
    suffix = ""
    for i in range(3):
        chunk = id15[5 * i : 5 * i + 5]
        bits = sum(1 << j for j, ch in enumerate(chunk) if "A" <= ch <= "Z")
        suffix += "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"[bits]
    return id15 + suffix


SALESFORCE_OPEN_STAGES = {
    "Qualified": ("Prospecting", "Needs Analysis"),
    "Proposal": ("Proposal/Price Quote",),
    "Negotiation": ("Negotiation/Review",),
}


def salesforce_footer(records: int, amount_column: int, columns: int, total: Decimal) -> str:
    """What "Export Details" appends after the data: totals, and the legal lines."""
    totals = [f"Grand Totals ({records} records)"] + [""] * (columns - 1)
    totals[amount_column] = us_money(total)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n", quoting=csv.QUOTE_ALL)
    buf.write("\n")
    writer.writerow(totals)
    buf.write("\n")
    writer.writerow(["Confidential Information - Do Not Distribute"])
    writer.writerow(["Copyright (c) 2000-2024 salesforce.com, inc. All rights reserved."])
    return buf.getvalue()


def salesforce_opportunities(deals: list[dict]) -> None:
    header = [
        "Opportunity ID", "Opportunity Name", "Account Name", "Amount", "Amount Currency",
        "Close Date", "Created Date", "Stage", "Won", "Closed", "Lead Source",
        "Primary Campaign Source", "Opportunity Owner", "Type", "Product Name", "Deal ID",
    ]  # fmt: skip
    rows = []
    for d in deals:
        if d["status"] == "open":
            stages = SALESFORCE_OPEN_STAGES[d["stage"]]
            stage = stages[d["n"] % len(stages)]
        else:
            stage = d["stage"]
        rows.append([
            salesforce_id("0065g00000", d["n"]), d["name"], d["company"], us_money(d["amount"]),
            d["currency"],
            # Close Date is required on every opportunity: an open one carries the forecast.
            us_date(d["close"] or expected_close(d)),
            us_date(d["create"]), stage, "1" if d["status"] == "won" else "0",
            "0" if d["status"] == "open" else "1", d["channel"], d["campaign"], d["owner"],
            "Existing Business" if d["existing"] else "New Business", d["product"], d["id"],
        ])  # fmt: skip
    total = sum((d["amount"] for d in deals if d["amount"] is not None), Decimal(0))
    footer = salesforce_footer(len(rows), header.index("Amount"), len(header), total)
    write_text_csv("salesforce_opportunities.csv", header, rows, quote_all=True, footer=footer)


SALESFORCE_CAMPAIGN_TYPES = {
    "Dutch SaaS Summit 2023": "Conference",
    "Dutch SaaS Summit 2024": "Conference",
    "Webinar Series": "Webinar",
    "Partner Program": "Partners",
}


def budget(amount: Decimal) -> Decimal:
    """A round budget above the actual cost (0 for a credit note)."""
    if amount <= 0:
        return Decimal(0)
    return Decimal(-(-int(amount) // 500) * 500)


def salesforce_campaigns(costs: list[dict]) -> None:
    header = [
        "Campaign Name", "Type", "Status", "Start Date", "End Date",
        "Budgeted Cost in Campaign", "Actual Cost in Campaign", "Parent Campaign",
    ]  # fmt: skip
    rows = []
    for c in costs:
        if not c["campaign"]:
            continue
        rows.append([
            c["campaign"], SALESFORCE_CAMPAIGN_TYPES.get(c["campaign"], "Advertisement"),
            "Completed", us_date(c["date"]), us_date(c["date"]), us_money(budget(c["amount"])),
            us_money(c["amount"]), c["channel"],
        ])  # fmt: skip
    total = sum((c["amount"] for c in costs if c["campaign"]), Decimal(0))
    footer = salesforce_footer(
        len(rows), header.index("Actual Cost in Campaign"), len(header), total
    )
    write_text_csv("salesforce_campaigns.csv", header, rows, quote_all=True, footer=footer)


# ---------------------------------------------------------------------------------------------
# Pipedrive


def pipedrive_deals(deals: list[dict]) -> None:
    header = [
        "Deal - ID", "Deal - Title", "Deal - Value", "Deal - Currency", "Deal - Status",
        "Deal - Owner", "Deal - Organization", "Deal - Deal created", "Deal - Won time",
        "Deal - Lost time", "Deal - Expected close date", "Deal - Source channel",
        "Deal - Campaign", "Deal - Product", "Deal - Deal ID",
    ]  # fmt: skip
    fmt = "%Y-%m-%d %H:%M:%S"
    rows = []
    for d in deals:
        closed = at(d["close"], d["id"], "close").strftime(fmt) if d["close"] else ""
        rows.append([
            str(d["n"]), d["name"], plain_number(d["amount"]), d["currency"], d["status"],
            d["owner"], d["company"], at(d["create"], d["id"], "create").strftime(fmt),
            closed if d["status"] == "won" else "", closed if d["status"] == "lost" else "",
            iso(expected_close(d)), d["channel"], d["campaign"], d["product"], d["id"],
        ])  # fmt: skip
    write_text_csv("pipedrive_deals.csv", header, rows)


# ---------------------------------------------------------------------------------------------
# Dynamics 365 Sales

DATE_FORMAT = "m/d/yyyy"
DATETIME_FORMAT = "m/d/yyyy h:mm AM/PM"
MONEY_FORMAT = '"€"#,##0.00'
HIDDEN = ["(Do Not Modify) {entity}", "(Do Not Modify) Row Checksum", "(Do Not Modify) Modified On"]


def row_checksum(guid: uuid.UUID) -> str:
    return base64.b64encode(digest("checksum", guid) + digest("version", guid)[:20]).decode()


def dynamics_workbook(
    name: str, sheet: str, entity: str, header: list[str], rows: list[list], formats: dict
) -> None:
    """A Dynamics "Export to Excel" workbook: three hidden key columns, a hidden metadata sheet."""
    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    ws.append([h.format(entity=entity) for h in HIDDEN] + header)
    for row in rows:
        ws.append(row)
    for letter in "ABC":
        ws.column_dimensions[letter].hidden = True
    ws.column_dimensions["C"].width = 18
    for idx, h in enumerate(header, start=4):
        letter = ws.cell(row=1, column=idx).column_letter
        ws.column_dimensions[letter].width = max(12, len(h) + 4)
    for row in ws.iter_rows(min_row=2):
        row[2].number_format = DATETIME_FORMAT
        for idx, h in enumerate(header, start=3):
            if h in formats:
                row[idx].number_format = formats[h]
    ws.freeze_panes = "D2"
    ws.auto_filter.ref = ws.dimensions
    meta = wb.create_sheet("hiddenSheet")
    meta["A1"] = f"{entity.lower()}:{sheet}:{EXPORTED_AT:%Y-%m-%dT%H:%M:%S}Z"
    meta.sheet_state = "veryHidden"
    wb.properties.creator = "Dynamics 365 Sales"
    wb.properties.created = EXPORTED_AT
    wb.properties.modified = EXPORTED_AT
    wb.properties.lastModifiedBy = "Dynamics 365 Sales"
    save_deterministic(wb, HERE / name)
    print(f"{name}: {len(rows)} rows")


def save_deterministic(wb: Workbook, path: Path) -> None:
    """Save with fixed zip timestamps, so the bytes do not depend on the clock."""
    raw = io.BytesIO()
    wb.save(raw)
    raw.seek(0)
    out = io.BytesIO()
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(2025, 1, 6, 9, 12, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = info.external_attr
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":  # openpyxl stamps the save time here
                data = re.sub(
                    rb"(<dcterms:modified[^>]*>)[^<]*",
                    rb"\g<1>" + f"{EXPORTED_AT:%Y-%m-%dT%H:%M:%S}Z".encode(),
                    data,
                )
            dst.writestr(fixed, data)
    path.write_bytes(out.getvalue())


def as_float(amount: Decimal | None) -> float | None:
    return None if amount is None else float(amount)


def dynamics_opportunities(deals: list[dict]) -> None:
    header = [
        "Topic", "Potential Customer", "Est. Revenue", "Est. Revenue (Base)", "Actual Revenue",
        "Actual Revenue (Base)", "Est. Close Date", "Actual Close Date", "Status",
        "Status Reason", "Source Campaign", "Owner", "Created On", "Currency", "Lead Source",
        "Product", "Deal ID",
    ]  # fmt: skip
    rows = []
    for d in deals:
        guid = uuid.uuid5(NAMESPACE, f"opportunity:{d['id']}")
        won = d["status"] == "won"
        # The estimate of a won deal was off: using it instead of the actual revenue shows.
        est = cents(d["amount"] * Decimal("1.1")) if won else d["amount"]
        actual = d["amount"] if won else None
        est_close = expected_close(d) if d["close"] is None else d["close"] - timedelta(days=10)
        status, reason = {
            "won": ("Won", "Won"),
            "lost": ("Lost", ("Canceled", "Out-Sold")[d["n"] % 2]),
            "open": ("Open", "In Progress"),
        }[d["status"]]
        last_touch = d["close"] or min(
            d["create"] + timedelta(days=pick(d["id"], 20, "touch")), EXPORTED_AT.date()
        )
        rows.append([
            str(guid), row_checksum(guid), at(last_touch, d["id"], "modified"),
            d["name"], d["company"], as_float(est), as_float(est), as_float(actual),
            as_float(actual), est_close, d["close"], status, reason, d["campaign"] or None,
            d["owner"], at(d["create"], d["id"], "create"), "Euro", d["channel"] or None,
            d["product"], d["id"],
        ])  # fmt: skip
    formats = {
        "Est. Revenue": MONEY_FORMAT, "Est. Revenue (Base)": MONEY_FORMAT,
        "Actual Revenue": MONEY_FORMAT, "Actual Revenue (Base)": MONEY_FORMAT,
        "Est. Close Date": DATE_FORMAT, "Actual Close Date": DATE_FORMAT,
        "Created On": DATETIME_FORMAT,
    }  # fmt: skip
    dynamics_workbook(
        "dynamics_opportunities.xlsx", "All Opportunities", "Opportunity", header, rows, formats
    )


DYNAMICS_CAMPAIGN_TYPES = {
    "Dutch SaaS Summit 2023": "Event",
    "Dutch SaaS Summit 2024": "Event",
    "Webinar Series": "Event",
    "Partner Program": "Co-branding",
}


def dynamics_campaigns(costs: list[dict]) -> None:
    header = [
        "Name", "Campaign Type", "Status Reason", "Actual Start", "Actual End",
        "Total Cost of Campaign", "Miscellaneous Costs", "Budget Allocated", "Currency",
    ]  # fmt: skip
    rows = []
    for i, c in enumerate((c for c in costs if c["campaign"]), start=1):
        guid = uuid.uuid5(NAMESPACE, f"campaign:{i}:{c['campaign']}:{c['date']}")
        rows.append([
            str(guid), row_checksum(guid), at(c["date"] + timedelta(days=3), str(guid), "mod"),
            c["campaign"], DYNAMICS_CAMPAIGN_TYPES.get(c["campaign"], "Advertisement"),
            "Completed", c["date"], c["date"], float(c["amount"]), 0.0,
            float(budget(c["amount"])), "Euro",
        ])  # fmt: skip
    formats = {
        "Actual Start": DATE_FORMAT, "Actual End": DATE_FORMAT,
        "Total Cost of Campaign": MONEY_FORMAT, "Miscellaneous Costs": MONEY_FORMAT,
        "Budget Allocated": MONEY_FORMAT,
    }  # fmt: skip
    dynamics_workbook("dynamics_campaigns.xlsx", "All Campaigns", "Campaign", header, rows, formats)


# ---------------------------------------------------------------------------------------------
# Zoho CRM

ZOHO_OPEN_STAGES = {
    "Qualified": ("Qualification", "Needs Analysis"),
    "Proposal": ("Proposal/Price Quote",),
    "Negotiation": ("Proposal/Price Quote",),
}


def zoho_deals(deals: list[dict]) -> None:
    header = [
        "Record Id", "Deal Owner", "Deal Name", "Account Name", "Amount", "Closing Date",
        "Stage", "Lead Source", "Campaign Source", "Type", "Created Time", "Product", "Deal ID",
    ]  # fmt: skip
    rows = []
    for d in deals:
        if d["status"] == "open":
            stages = ZOHO_OPEN_STAGES[d["stage"]]
            stage = stages[d["n"] % len(stages)]
        else:
            stage = d["stage"]
        rows.append([
            f"zcrm_{5725767000000123456 + 1019 * d['n']}", d["owner"], d["name"], d["company"],
            two_decimals(d["amount"]),
            # Closing Date is mandatory in Zoho: an open deal carries the expected date.
            iso(d["close"] or expected_close(d)),
            stage, d["channel"], d["campaign"],
            "Existing Business" if d["existing"] else "New Business",
            at(d["create"], d["id"], "create").strftime("%Y-%m-%d %H:%M:%S"), d["product"], d["id"],
        ])  # fmt: skip
    write_text_csv("zoho_deals.csv", header, rows)


# ---------------------------------------------------------------------------------------------
# Generic Dutch export

NL_STATUS = {"won": "Gewonnen", "lost": "Verloren", "open": "Open"}
NL_TYPE = {"acquisition": "acquisitie", "retention": "retentie"}
NL_ACTIVITY = {
    "Account management": "Accountbeheer",
    "Campaign setup": "Campagne opzetten",
    "Demo": "Demo",
    "Discovery call": "Kennismakingsgesprek",
    "Onboarding": "Onboarding",
    "Proposal": "Offerte",
    "Sales meeting": "Salesoverleg",
}


def write_dutch(name: str, header: list[str], rows: list[list[str]]) -> None:
    write_text_csv(name, header, rows, encoding="cp1252", delimiter=";", newline="\r\n")


def dutch_deals(deals: list[dict]) -> None:
    header = [
        "Dealnummer", "Omschrijving", "Klant", "Bedrag", "Valuta", "Status", "Aanmaakdatum",
        "Sluitingsdatum", "Eigenaar", "Kanaal", "Campagne", "Product",
    ]  # fmt: skip
    rows = [
        [
            d["id"], d["name"], d["company"], nl_money(d["amount"]), d["currency"],
            NL_STATUS[d["status"]], nl_date(d["create"]), nl_date(d["close"]), d["owner"],
            d["channel"], d["campaign"], d["product"],
        ]
        for d in deals
    ]  # fmt: skip
    write_dutch("dutch_deals.csv", header, rows)


def dutch_costs(costs: list[dict]) -> None:
    header = [
        "Datum", "Startdatum", "Einddatum", "Bedrag", "Valuta", "Kanaal", "Campagne",
        "Categorie", "Type", "Omschrijving",
    ]  # fmt: skip
    rows = [
        [
            nl_date(c["date"]), nl_date(c["start"]), nl_date(c["end"]), nl_money(c["amount"]),
            c["currency"], c["channel"], c["campaign"], c["category"], NL_TYPE[c["type"]],
            c["description"],
        ]
        for c in costs
    ]  # fmt: skip
    write_dutch("dutch_costs.csv", header, rows)


def dutch_time_logs() -> None:
    header = [
        "Datum", "Medewerker", "Rol", "Activiteit", "Uren", "Uurtarief", "Dealnummer", "Klant",
        "Campagne",
    ]  # fmt: skip
    rows = [
        [
            nl_date(to_date(r["Date"])), r["Person"], r["Role"], NL_ACTIVITY[r["Activity"]],
            nl_number(r["Hours"]), nl_money(Decimal(r["Hourly Rate"])), r["Deal ID"],
            r["Customer ID"], r["Campaign"],
        ]
        for r in read_csv("time_logs.csv")
    ]  # fmt: skip
    write_dutch("dutch_time_logs.csv", header, rows)


# ---------------------------------------------------------------------------------------------
# A CRM crm-roi doesn't know (see examples/mapping-example.toml)

OTHER_STAGES = {
    "Closed Won": "Signed",
    "Closed Lost": "Dead",
    "Qualified": "Pitching",
    "Proposal": "Quoted",
    "Negotiation": "Final Round",
}


def other_crm_deals(deals: list[dict]) -> None:
    header = [
        "Opp No.", "Client", "Net Value", "Curr.", "Phase", "Decided On", "Opened On", "Rep",
        "Origin", "Initiative", "Offering",
    ]  # fmt: skip
    rows = [
        [
            d["id"], d["company"], two_decimals(d["amount"]), d["currency"],
            OTHER_STAGES[d["stage"]], dotted_date(d["close"]), dotted_date(d["create"]),
            d["owner"], d["channel"], d["campaign"], d["product"],
        ]
        for d in deals
    ]  # fmt: skip
    write_text_csv("other_crm_deals.csv", header, rows)


# ---------------------------------------------------------------------------------------------
# API-name exports: the same deals as the CRMs' APIs and bulk tools name the fields
# (Salesforce Data Loader, HubSpot's API, Pipedrive's API, Dataverse, Zoho's API)


def numbered(values: list[str], start: int = 1) -> dict[str, int]:
    """A stable number per distinct non-empty value, in sorted order."""
    return {v: i for i, v in enumerate(sorted({v for v in values if v}), start=start)}


def utc_stamp(day: date | None, key: str, salt: str, *, millis: bool = True) -> str:
    """2024-03-01T09:30:00.000Z (or without the milliseconds)."""
    if day is None:
        return ""
    text = at(day, key, salt).strftime("%Y-%m-%dT%H:%M:%S")
    return text + (".000Z" if millis else "Z")


def amsterdam_offset(day: date) -> str:
    """+02:00 in summer time (last Sunday of March to last Sunday of October), else +01:00."""

    def last_sunday(month: int) -> date:
        end = date(day.year, month, 31)
        return end - timedelta(days=(end.weekday() + 1) % 7)

    return "+02:00" if last_sunday(3) <= day < last_sunday(10) else "+01:00"


def salesforce_api_opportunities(deals: list[dict]) -> None:
    header = [
        "ID", "ACCOUNTID", "NAME", "STAGENAME", "AMOUNT", "CLOSEDATE", "CREATEDDATE",
        "LEADSOURCE", "OWNERID", "CAMPAIGNID", "ISWON", "ISCLOSED", "CURRENCYISOCODE",
        "DEAL_ID__C",
    ]  # fmt: skip
    accounts = numbered([d["company"] for d in deals])
    owners = numbered([d["owner"] for d in deals])
    campaigns = numbered([d["campaign"] for d in deals])
    rows = []
    for d in deals:
        if d["status"] == "open":
            stages = SALESFORCE_OPEN_STAGES[d["stage"]]
            stage = stages[d["n"] % len(stages)]
        else:
            stage = d["stage"]
        account = salesforce_id("0015g00000", accounts[d["company"]])
        campaign = salesforce_id("7015g00000", campaigns[d["campaign"]]) if d["campaign"] else ""
        rows.append([
            salesforce_id("0065g00000", d["n"]), account, d["name"], stage,
            plain_number(d["amount"]),
            # CloseDate is required: an open opportunity carries the forecast.
            iso(d["close"] or expected_close(d)), utc_stamp(d["create"], d["id"], "create"),
            d["channel"], salesforce_id("0055g00000", owners[d["owner"]]), campaign,
            "true" if d["status"] == "won" else "false",
            "false" if d["status"] == "open" else "true", d["currency"], d["id"],
        ])  # fmt: skip
    write_text_csv("salesforce_api_opportunities.csv", header, rows, quote_all=True)


HUBSPOT_STAGE_IDS = {
    "Appointment Scheduled": "appointmentscheduled",
    "Qualified To Buy": "qualifiedtobuy",
    "Presentation Scheduled": "presentationscheduled",
    "Contract Sent": "contractsent",
}


def hubspot_api_deals(deals: list[dict]) -> None:
    header = [
        "hs_object_id", "dealname", "dealstage", "pipeline", "amount", "amount_in_home_currency",
        "deal_currency_code", "closedate", "createdate", "hubspot_owner_id",
        "hs_analytics_source", "associatedcompanyid", "deal_id",
    ]  # fmt: skip
    owners = numbered([d["owner"] for d in deals])
    # The same company ids as hubspot_companies.csv's Record ID; companies that never bought
    # (not in customers.csv) get the ids after them.
    customers = [c["Customer ID"] for c in read_csv("customers.csv")]
    others = sorted({d["company"] for d in deals} - set(customers))
    companies = {c: 5123456789 + 37 * i for i, c in enumerate(customers + others, start=1)}
    rows = []
    for d in deals:
        if d["status"] == "open":
            labels = HUBSPOT_OPEN_STAGES[d["stage"]]
            stage = HUBSPOT_STAGE_IDS[labels[d["n"] % len(labels)]]
        else:
            stage = {"won": "closedwon", "lost": "closedlost"}[d["status"]]
        rows.append([
            str(9876543210 + d["n"]), d["name"], stage, "default", plain_number(d["amount"]),
            plain_number(d["amount"]), d["currency"],
            # An open deal's closedate is the forecast the rep keeps up to date.
            utc_stamp(d["close"] or expected_close(d), d["id"], "close"),
            utc_stamp(d["create"], d["id"], "create"), str(31415900 + 17 * owners[d["owner"]]),
            d["channel"], str(companies[d["company"]]), d["id"],
        ])  # fmt: skip
    write_text_csv("hubspot_api_deals.csv", header, rows)


PIPEDRIVE_OPEN_STAGES = {"Qualified": ("1", "2"), "Proposal": ("4",), "Negotiation": ("5",)}


def pipedrive_stage_id(d: dict) -> str:
    """The default pipeline's stages 1..5; a won deal sits in the last, a lost one anywhere."""
    if d["status"] == "won":
        return "5"
    if d["status"] == "lost":
        return str(1 + pick(d["id"], 5, "stage"))
    stages = PIPEDRIVE_OPEN_STAGES[d["stage"]]
    return stages[d["n"] % len(stages)]


def pipedrive_api_deals(deals: list[dict]) -> None:
    header = [
        "id", "title", "value", "currency", "status", "won_time", "lost_time", "add_time",
        "close_time", "expected_close_date", "org_id", "org_name", "user_id", "owner_name",
        "origin", "channel", "stage_id",
    ]  # fmt: skip
    orgs = numbered([d["company"] for d in deals])
    users = numbered([d["owner"] for d in deals])
    fmt = "%Y-%m-%d %H:%M:%S"
    rows = []
    for d in deals:
        closed = at(d["close"], d["id"], "close").strftime(fmt) if d["close"] else ""
        rows.append([
            str(d["n"]), d["name"],
            # The API has no empty value: a deal without one is worth 0.
            plain_number(d["amount"] if d["amount"] is not None else Decimal(0)), d["currency"],
            d["status"], closed if d["status"] == "won" else "",
            closed if d["status"] == "lost" else "",
            at(d["create"], d["id"], "create").strftime(fmt), closed, iso(expected_close(d)),
            str(orgs[d["company"]]), d["company"], str(12000000 + 1001 * users[d["owner"]]),
            d["owner"], "ManuallyCreated", d["channel"], pipedrive_stage_id(d),
        ])  # fmt: skip
    write_text_csv("pipedrive_api_deals.csv", header, rows)


def pipedrive_api_time_logs(deals: list[dict]) -> None:
    """examples/time_logs.csv with each deal named by its Pipedrive id, as the API links them."""
    number = {d["id"]: str(d["n"]) for d in deals}
    records = read_csv("time_logs.csv")
    header = list(records[0])
    rows = [[number.get(v, v) if k == "Deal ID" else v for k, v in r.items()] for r in records]
    write_text_csv("time_logs_pipedrive_api.csv", header, rows)


def dynamics_api_opportunities(deals: list[dict]) -> None:
    header = [
        "opportunityid", "name", "estimatedvalue", "actualvalue", "actualvalue_base",
        "actualclosedate", "estimatedclosedate", "statecode", "statuscode", "parentaccountid",
        "parentaccountidname", "campaignid", "ownerid", "owneridname", "createdon", "new_dealid",
        "leadsourcecode_label",
    ]  # fmt: skip
    rows = []
    for d in deals:
        won = d["status"] == "won"
        # As in the Excel export: a won deal's estimate was off, its actual value is the revenue.
        est = cents(d["amount"] * Decimal("1.1")) if won else d["amount"]
        actual = d["amount"] if won else None
        est_close = expected_close(d) if d["close"] is None else d["close"] - timedelta(days=10)
        state, reason = {
            "won": ("1", "3"),
            "lost": ("2", ("4", "5")[d["n"] % 2]),  # Canceled, Out-Sold
            "open": ("0", "1"),  # In Progress
        }[d["status"]]
        campaign = str(uuid.uuid5(NAMESPACE, f"campaign:{d['campaign']}")) if d["campaign"] else ""
        rows.append([
            str(uuid.uuid5(NAMESPACE, f"opportunity:{d['id']}")), d["name"], plain_number(est),
            plain_number(actual), plain_number(actual), iso(d["close"]), iso(est_close), state,
            reason, str(uuid.uuid5(NAMESPACE, f"account:{d['company']}")), d["company"],
            campaign, str(uuid.uuid5(NAMESPACE, f"systemuser:{d['owner']}")), d["owner"],
            utc_stamp(d["create"], d["id"], "create", millis=False), d["id"], d["channel"],
        ])  # fmt: skip
    write_text_csv("dynamics_api_opportunities.csv", header, rows)


def zoho_api_deals(deals: list[dict]) -> None:
    header = [
        "id", "Deal_Name", "Amount", "Stage", "Closing_Date", "Account_Name", "Lead_Source",
        "Campaign_Source", "Owner", "Created_Time", "Deal_ID",
    ]  # fmt: skip
    rows = []
    for d in deals:
        if d["status"] == "open":
            stages = ZOHO_OPEN_STAGES[d["stage"]]
            stage = stages[d["n"] % len(stages)]
        else:
            stage = d["stage"]
        created = at(d["create"], d["id"], "create").strftime("%Y-%m-%dT%H:%M:%S")
        rows.append([
            str(5725767000000123456 + 1019 * d["n"]), d["name"], plain_number(d["amount"]), stage,
            # Closing_Date is mandatory: an open deal carries the expected date.
            iso(d["close"] or expected_close(d)), d["company"], d["channel"], d["campaign"],
            d["owner"], created + amsterdam_offset(d["create"]), d["id"],
        ])  # fmt: skip
    write_text_csv("zoho_api_deals.csv", header, rows)


# ---------------------------------------------------------------------------------------------
# Leads: a Salesforce leads report and a HubSpot contacts export of examples/leads.csv

FIRST_NAMES = (
    "Anna", "Bas", "Charlotte", "David", "Eva", "Femke", "Gijs", "Hannah", "Ilse", "Jan", "Julia",
    "Karim", "Lotte", "Maarten", "Nina", "Oliver", "Pieter", "Rosa", "Sophie", "Thomas", "Jonas",
    "Laura", "Lena", "Lukas", "Marie", "Noah", "Sarah", "Tim", "Wouter", "Yara",
)  # fmt: skip
LAST_NAMES = (
    "de Jong", "Jansen", "de Vries", "van den Berg", "van Dijk", "Bakker", "Visser", "Smit",
    "Meijer", "de Boer", "Mulder", "Peeters", "Maes", "Janssens", "Müller", "Schmidt",
    "Schneider", "Fischer", "Weber", "Wagner", "Smith", "Jones", "Taylor", "Brown", "Williams",
    "Hendriks", "Dekker", "Willems", "Claes", "Becker",
)  # fmt: skip
DOMAIN_ENDINGS = {"BV": "nl", "NV": "be", "GmbH": "de", "Ltd": "co.uk"}
SALESFORCE_LEAD_STATUS = {
    "Open": "Open - Not Contacted",
    "Working": "Working - Contacted",
    "Converted": "Closed - Converted",
    "Disqualified": "Closed - Not Converted",
}


def person(lead: dict) -> tuple[str, str]:
    return (
        FIRST_NAMES[pick(lead["id"], len(FIRST_NAMES), "first")],
        LAST_NAMES[pick(lead["id"], len(LAST_NAMES), "last")],
    )


def email(lead: dict) -> str:
    """anna.devries@deltacore.nl: ASCII, from the person's and the company's names."""
    first, last = person(lead)
    *words, suffix = lead["company"].split()

    def ascii_word(text: str) -> str:
        text = text.replace("ß", "ss").replace("ü", "ue").replace("ö", "oe").replace("ä", "ae")
        plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
        return re.sub(r"[^a-z0-9]", "", plain.lower())

    domain = ascii_word(" ".join(words)) or "example"
    return f"{ascii_word(first)}.{ascii_word(last)}@{domain}.{DOMAIN_ENDINGS.get(suffix, 'com')}"


def salesforce_leads_footer(records: int, columns: int) -> str:
    """What "Export Details" appends after a report without a money column."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n", quoting=csv.QUOTE_ALL)
    buf.write("\n")
    writer.writerow([f"Grand Totals ({records} records)"] + [""] * (columns - 1))
    buf.write("\n")
    writer.writerow(["Confidential Information - Do Not Distribute"])
    writer.writerow(["Copyright (c) 2000-2024 salesforce.com, inc. All rights reserved."])
    return buf.getvalue()


def salesforce_leads(leads: list[dict], deals: list[dict]) -> None:
    header = [
        "Lead ID", "First Name", "Last Name", "Company / Account", "Lead Source", "Lead Status",
        "Converted", "Converted Date", "Converted Account", "Converted Opportunity ID",
        "Created Date", "Lead Owner", "Campaign", "Deal ID",
    ]  # fmt: skip
    number = {d["id"]: d["n"] for d in deals}
    rows = []
    for lead in leads:
        first, last = person(lead)
        converted = lead["status"] == "Converted"
        # A lead converts into one opportunity: a customer's later deal isn't linked to it.
        deal = lead["deals"][0] if lead["deals"] else ""
        rows.append([
            salesforce_id("00Q5g00000", lead["n"]), first, last, lead["company"],
            lead["channel"], SALESFORCE_LEAD_STATUS[lead["status"]], "1" if converted else "0",
            us_date(lead["converted"]), lead["company"] if converted else "",
            salesforce_id("0065g00000", number[deal]) if deal else "", us_date(lead["created"]),
            lead["owner"], lead["campaign"], deal,
        ])  # fmt: skip
    footer = salesforce_leads_footer(len(rows), len(header))
    write_text_csv("salesforce_leads.csv", header, rows, quote_all=True, footer=footer)


def hubspot_lifecycle(lead: dict, won: bool, customers: set[str]) -> tuple[str, str]:
    """The lifecycle stage and lead status a contact of this lead would have in HubSpot."""
    key = lead["id"]
    if lead["status"] == "Converted":
        if won or (not lead["deals"] and lead["company"] in customers):
            return "Customer", ""
        return "Opportunity", ("Open Deal", "")[pick(key, 2, "status")] if lead["deals"] else ""
    if lead["status"] == "Disqualified":
        stage = ("Lead", "Marketing Qualified Lead")[pick(key, 2, "stage")]
        return stage, ("Unqualified", "Unqualified", "Bad timing")[pick(key, 3, "status")]
    if lead["status"] == "Working":
        return "Sales Qualified Lead", ("In progress", "Attempted to contact", "Connected")[
            pick(key, 3, "status")
        ]
    stage = ("Subscriber", "Lead", "Marketing Qualified Lead")[pick(key, 3, "stage")]
    return stage, "" if stage == "Subscriber" else ("New", "Open")[pick(key, 2, "status")]


def hubspot_contacts(leads: list[dict], deals: list[dict]) -> None:
    header = [
        "Record ID", "First Name", "Last Name", "Email", "Lifecycle Stage", "Lead Status",
        "Original Source", "Campaign", "Create Date", "Became an Opportunity Date",
        "Became a Customer Date", "Contact owner", "Associated Company", "Associated Deal IDs",
        "Deal ID",
    ]  # fmt: skip
    by_id = {d["id"]: d for d in deals}
    customers = {c["Customer ID"] for c in read_csv("customers.csv")}
    rows = []
    for lead in leads:
        first, last = person(lead)
        won = [by_id[i]["close"] for i in lead["deals"] if by_id[i]["status"] == "won"]
        stage, status = hubspot_lifecycle(lead, bool(won), customers)
        became_opportunity = lead["converted"] if stage == "Opportunity" or lead["deals"] else None
        became_customer = (min(won) if won else lead["converted"]) if stage == "Customer" else None
        rows.append([
            str(1 + 50 * lead["n"]), first, last, email(lead), stage, status, lead["channel"],
            lead["campaign"], hubspot_time(lead["created"], lead["id"], "create"),
            hubspot_time(became_opportunity, lead["id"], "opportunity"),
            hubspot_time(became_customer, lead["id"], "customer"), lead["owner"],
            lead["company"], ";".join(str(9876543210 + by_id[i]["n"]) for i in lead["deals"]),
            ";".join(lead["deals"]),
        ])  # fmt: skip
    write_text_csv("hubspot_contacts.csv", header, rows, encoding="utf-8-sig")


def main() -> None:
    deals = load_deals()
    costs = load_costs()
    leads = load_leads()
    hubspot_deals(deals)
    hubspot_companies(deals)
    salesforce_opportunities(deals)
    salesforce_campaigns(costs)
    pipedrive_deals(deals)
    dynamics_opportunities(deals)
    dynamics_campaigns(costs)
    zoho_deals(deals)
    dutch_deals(deals)
    dutch_costs(costs)
    dutch_time_logs()
    other_crm_deals(deals)
    salesforce_api_opportunities(deals)
    hubspot_api_deals(deals)
    pipedrive_api_deals(deals)
    pipedrive_api_time_logs(deals)
    dynamics_api_opportunities(deals)
    zoho_api_deals(deals)
    salesforce_leads(leads, deals)
    hubspot_contacts(leads, deals)


if __name__ == "__main__":
    main()

"""The four inputs and their canonical fields, declared once.

Every other part of crm-roi derives from the pydantic models below: column matching uses
their synonyms, validation their types and constraints, error wording their validators, and
the field tables in ``docs/`` their descriptions. Nothing here reads a file.

A model is never run over a whole file row by row (that is far too slow for a million rows):
validation is vectorised over columns in :mod:`crm_roi.inputs.validate`, and pydantic is asked only
to word the error of a value that failed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from functools import cache
from typing import Annotated, Any, Literal

import annotated_types
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError


class Kind(StrEnum):
    """How a column's text is read."""

    TEXT = "text"
    MONEY = "money"
    DATE = "date"
    NUMBER = "number"
    STATUS = "status"


Text = Annotated[str, Kind.TEXT]
Money = Annotated[Decimal, Kind.MONEY]
Day = Annotated[date, Kind.DATE]
Number = Annotated[float, Kind.NUMBER]
Status = Annotated[Literal["won", "lost", "open"], Kind.STATUS]
LeadStatus = Annotated[Literal["open", "converted", "disqualified"], Kind.STATUS]


def canonical(
    description: str,
    *synonyms: str,
    required: bool = False,
    required_when_status: tuple[str, ...] = (),
    **constraints: Any,
) -> Any:
    """A canonical field: its meaning, the header names it is known by, and its rules.

    ``synonyms`` are in order of preference: when two headers of one file match the same
    field, the one matching the earlier synonym is used and the other is kept as an attribute.
    """
    return Field(
        default=None,
        description=description,
        json_schema_extra={
            "synonyms": list(synonyms),
            "required": required,
            "required_when_status": list(required_when_status),
        },
        **constraints,
    )


class Record(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True, defer_build=True)


class Deal(Record):
    """One deal (opportunity) from the CRM."""

    deal_id: Text = canonical(
        "The deal's identifier, unique within the file.",
        "deal id", "id", "record id", "opportunity id", "deal number", "dealnummer", "deal nr",
        "deal", "opportunity number", "order id", "order number", "order no", "invoice number",
        "invoice no", "invoice id", "transaction id", "ordernummer", "factuurnummer",
        required=True,
    )  # fmt: skip
    amount: Money = canonical(
        "The deal's value. Revenue is the sum of the amounts of won deals.",
        "amount", "deal amount", "value", "deal value", "opportunity amount", "bedrag",
        "waarde", "dealwaarde", "revenue", "omzet", "close value", "won amount",
        "opportunity value", "contract value", "total contract value", "acv", "tcv",
        "total value", "total amount", "order value", "order total", "order amount",
        "sales amount", "sale amount", "invoice amount", "net amount", "orderwaarde",
        required_when_status=("won",),
        ge=0,
    )  # fmt: skip
    status: Status = canonical(
        "won, lost or open, mapped from the stage text: Closed Won, closedwon, Won, gewonnen "
        "→ won; Closed Lost, closedlost, Lost, verloren → lost; any other stage → open.",
        "status", "stage", "deal stage", "opportunity stage", "stage name", "fase",
        "dealfase", "deal status", "sales stage", "pipeline stage", "opportunity status",
        "phase", "deal phase",
        required=True,
    )  # fmt: skip
    close_date: Day = canonical(
        "The day the deal was won or lost.",
        "close date", "closed on", "closing date", "closed date", "date closed",
        "sluitingsdatum", "afsluitdatum", "datum gesloten", "won date", "order date",
        "invoice date", "sale date", "sales date", "purchase date", "transaction date",
        "orderdatum", "factuurdatum",
        required_when_status=("won", "lost"),
    )  # fmt: skip
    created_date: Day = canonical(
        "The day the deal was created; needed for the sales cycle.",
        "created date", "create date", "created", "created on", "creation date",
        "date created", "deal created", "aanmaakdatum", "aangemaakt", "aangemaakt op",
        "created at", "created time", "engage date", "first contact date",
        "lead acquisition date", "opened date",
    )  # fmt: skip
    customer_id: Text = canonical(
        "The customer (account, company, organisation) the deal is with.",
        "customer id", "customer", "account id", "account", "account name", "company id",
        "company", "company name", "associated company", "organization", "organisation",
        "organization name", "organisation name", "klant id", "klantnummer", "klant",
        "klantnaam", "bedrijf", "organisatie", "customer name", "customer number", "client",
        "client id", "client name", "account number",
    )  # fmt: skip
    channel: Text = canonical(
        "The lead source the deal came from.",
        "channel", "lead source", "source", "original source", "source channel",
        "marketing channel", "kanaal", "bron", "leadbron", "origin", "first source",
        "acquisition channel", "utm source", "herkomst",
    )  # fmt: skip
    campaign: Text = canonical(
        "The marketing campaign the deal is attributed to.",
        "campaign", "campaign name", "primary campaign source", "campaign source",
        "source campaign", "campagne", "campagnenaam", "utm campaign",
    )  # fmt: skip
    owner: Text = canonical(
        "The sales rep who owns the deal.",
        "owner", "deal owner", "opportunity owner", "sales rep", "rep", "salesperson",
        "eigenaar", "verkoper", "accountmanager", "sales agent", "sales person",
        "account executive", "assigned to", "sales owner",
    )  # fmt: skip
    product: Text = canonical(
        "The product or plan sold.",
        "product", "product name", "plan", "productnaam",
    )  # fmt: skip
    currency: Text = canonical(
        "ISO currency code of the amount; else the symbol or code in the amount cell.",
        "currency", "currency code", "deal currency", "valuta", "munteenheid",
    )  # fmt: skip
    lead_id: Text = canonical(
        "The lead the deal came from (a leads file's lead id): the other way to link them.",
        "lead id", "originating lead", "originating lead id", "converted lead id",
        "converted from lead", "mql id", "source lead", "lead nummer", "leadnummer",
    )  # fmt: skip


class Cost(Record):
    """One cost line from the ledger: ad spend, tools, salaries, events, …"""

    date: Day = canonical(
        "The day the cost was incurred, or a period (2024-03, Mar 2024, 2024-Q1, 2024) whose "
        "days share the amount. A row may give start_date and end_date instead.",
        "date", "cost date", "posting date", "transaction date", "invoice date",
        "datum", "boekdatum", "factuurdatum", "month", "period", "quarter", "year", "maand",
        "periode", "kwartaal", "jaar",
    )  # fmt: skip
    start_date: Day = canonical(
        "First day of a cost spread over a period (spread evenly per day up to end_date).",
        "start date", "period start", "from", "startdatum", "begindatum", "van",
    )  # fmt: skip
    end_date: Day = canonical(
        "Last day (inclusive) of a cost spread over a period.",
        "end date", "period end", "to", "until", "einddatum", "tot",
    )  # fmt: skip
    amount: Money = canonical(
        "What it cost. A negative amount is a credit: allowed, and listed as a warning.",
        "amount", "cost", "costs", "spend", "actual cost", "value", "total", "bedrag",
        "kosten", "uitgaven", "ad spend", "marketing spend", "spent", "expense", "expenses",
        required=True,
    )  # fmt: skip
    channel: Text = canonical(
        "The channel the cost belongs to.",
        "channel", "lead source", "source", "kanaal", "bron", "origin",
    )  # fmt: skip
    campaign: Text = canonical(
        "The campaign the cost belongs to.",
        "campaign", "campaign name", "campagne", "campagnenaam",
    )  # fmt: skip
    category: Text = canonical(
        "What kind of cost it is (ad spend, tools, salaries, …): a breakdown dimension.",
        "category", "cost category", "categorie", "kostensoort", "kostenpost",
    )  # fmt: skip
    type: Text = canonical(
        "acquisition (the default) or retention; only acquisition cost counts towards CAC.",
        "type", "cost type", "soort", "kostentype",
    )  # fmt: skip
    currency: Text = canonical(
        "ISO currency code of the amount; else the symbol or code in the amount cell.",
        "currency", "currency code", "valuta", "munteenheid",
    )  # fmt: skip


class Customer(Record):
    """One customer (account, company) from the CRM."""

    customer_id: Text = canonical(
        "The customer's identifier as the deals name it, unique within the file.",
        "customer id", "customer", "account id", "account", "account name", "company id",
        "company", "company name", "organization", "organisation", "organization name",
        "organisation name", "record id", "id", "klant id", "klantnummer", "klant",
        "klantnaam", "bedrijf", "organisatie", "customer name", "customer number", "client",
        "client id", "client name", "account number", "name", "naam",
        required=True,
    )  # fmt: skip
    acquired_date: Day = canonical(
        "The day it became a customer; else the close date of its first won deal.",
        "acquired date", "acquisition date", "acquired on", "customer since",
        "became a customer date", "first purchase date", "klant sinds", "startdatum klant",
    )  # fmt: skip
    churned_date: Day = canonical(
        "The day it stopped being a customer.",
        "churned date", "churn date", "churned on", "cancellation date", "cancelled on",
        "lost date", "opzegdatum", "einddatum klant",
    )  # fmt: skip
    segment: Text = canonical(
        "The customer segment (SMB, Mid-Market, Enterprise, …).",
        "segment", "customer segment", "tier", "klantsegment",
    )  # fmt: skip
    country: Text = canonical(
        "The customer's country.",
        "country", "country/region", "country region", "land",
    )  # fmt: skip
    industry: Text = canonical(
        "The customer's industry.",
        "industry", "sector", "branche",
    )  # fmt: skip


class TimeLog(Record):
    """Hours someone logged on sales or marketing work."""

    date: Day = canonical(
        "The day the hours were worked.",
        "date", "work date", "log date", "day", "datum", "werkdatum",
        required=True,
    )  # fmt: skip
    hours: Number = canonical(
        "Hours worked: more than 0, at most 24.",
        "hours", "hours logged", "hours worked", "duration", "duration hours",
        "time spent", "uren", "aantal uren", "tijd",
        required=True,
        gt=0,
        le=24,
    )  # fmt: skip
    hourly_rate: Money = canonical(
        "What an hour of this person costs, fully loaded.",
        "hourly rate", "rate", "cost rate", "rate per hour", "hour rate", "uurtarief",
        "tarief", "kostprijs per uur",
        ge=0,
    )  # fmt: skip
    person: Text = canonical(
        "Who logged the hours.",
        "person", "employee", "user", "name", "consultant", "medewerker", "werknemer",
        "naam", "gebruiker",
    )  # fmt: skip
    role: Text = canonical(
        "The person's role.",
        "role", "job title", "function", "rol", "functie",
    )  # fmt: skip
    activity: Text = canonical(
        "What the time was spent on; account management, support, onboarding and renewal "
        "count as retention, anything else as acquisition.",
        "activity", "activity type", "task", "type", "activiteit", "taak", "werkzaamheden",
    )  # fmt: skip
    deal_id: Text = canonical(
        "The deal the time was spent on: the time counts for that deal's groups.",
        "deal id", "deal", "opportunity id", "opportunity", "dealnummer",
    )  # fmt: skip
    customer_id: Text = canonical(
        "The customer the time was spent on.",
        "customer id", "customer", "account", "account name", "company", "klant",
        "klant id", "klantnummer",
    )  # fmt: skip
    campaign: Text = canonical(
        "The campaign the time was spent on.",
        "campaign", "campaign name", "campagne",
    )  # fmt: skip
    channel: Text = canonical(
        "The channel the time was spent on.",
        "channel", "kanaal",
    )  # fmt: skip
    currency: Text = canonical(
        "ISO currency code of the hourly rate.",
        "currency", "valuta",
    )  # fmt: skip


class Lead(Record):
    """One lead, contact or MQL: someone who might buy, and what became of them."""

    lead_id: Text = canonical(
        "The lead's identifier, unique within the file.",
        "lead id", "id", "record id", "lead", "mql id", "contact id", "lead number",
        "do not modify lead", "leadnummer", "lead nummer", "prospect id",
        required=True,
    )  # fmt: skip
    created_date: Day = canonical(
        "The day the lead came in: leads count in the window of this date.",
        "created date", "create date", "created", "created on", "created time",
        "lead created", "lead created date", "creation date", "date created", "created at",
        "first contact date", "mql date", "became a lead date", "aangemaakt op",
        "aangemaakt", "aanmaakdatum",
        required=True,
    )  # fmt: skip
    status: LeadStatus = canonical(
        "open, converted or disqualified, mapped from the status text: Converted, Closed - "
        "Converted, Qualified, omgezet, gekwalificeerd and HubSpot's opportunity, customer and "
        "evangelist → converted; Disqualified, Closed - Not Converted, Unqualified, Junk Lead, "
        "gediskwalificeerd → disqualified; any other → open.",
        "status", "lead status", "lifecycle stage", "stage", "lead stage", "state",
        "leadstatus", "fase",
    )  # fmt: skip
    converted_date: Day = canonical(
        "The day the lead was converted (qualified into a deal or customer).",
        "converted date", "conversion date", "converted on", "date converted",
        "qualified date", "qualified on", "became an opportunity date",
        "became a customer date", "omgezet op", "datum omgezet",
    )  # fmt: skip
    channel: Text = canonical(
        "The lead source.",
        "channel", "lead source", "source", "original source", "origin", "first source",
        "source channel", "marketing channel", "kanaal", "bron", "leadbron", "herkomst",
        "utm source",
    )  # fmt: skip
    campaign: Text = canonical(
        "The campaign that brought the lead in.",
        "campaign", "campaign name", "source campaign", "primary campaign source",
        "campaign source", "campagne", "campagnenaam", "utm campaign",
    )  # fmt: skip
    owner: Text = canonical(
        "The rep who owns the lead.",
        "owner", "lead owner", "contact owner", "sales rep", "rep", "assigned to",
        "eigenaar", "verkoper",
    )  # fmt: skip
    deal_id: Text = canonical(
        "The deal (opportunity) the lead became: a deals file's deal id; several may be "
        "given, separated by ; or ,.",
        "converted opportunity id", "converted opportunity", "converted deal id",
        "converted deal", "associated deal ids", "associated deal id", "associated deals",
        "qualifying opportunity", "opportunity id", "deal id", "opportunity", "deal",
        "deal ids", "dealnummer",
    )  # fmt: skip
    customer_id: Text = canonical(
        "The customer (account, company) the lead became or belongs to.",
        "converted account", "converted account id", "converted account name",
        "associated company", "customer id", "customer", "account", "account id",
        "account name", "company", "company name", "klant", "bedrijf",
    )  # fmt: skip


class Investment(Record):
    """What the CRM itself cost, or a benefit measured outside the exports (``crm-roi invest``)."""

    date: Day = canonical(
        "The day of the cost or benefit, or a period (2024-03, Mar 2024, 2024-Q1, 2024) whose "
        "days share the amount. A row may give start_date and end_date instead.",
        "date", "invoice date", "posting date", "transaction date", "datum", "factuurdatum",
        "boekdatum", "month", "period", "quarter", "year", "maand", "periode", "kwartaal",
        "jaar",
    )  # fmt: skip
    start_date: Day = canonical(
        "First day of an amount spread over a period (evenly per day up to end_date).",
        "start date", "period start", "from", "startdatum", "begindatum", "van",
    )  # fmt: skip
    end_date: Day = canonical(
        "Last day (inclusive) of an amount spread over a period.",
        "end date", "period end", "to", "until", "einddatum", "tot",
    )  # fmt: skip
    amount: Money = canonical(
        "What it cost, or what the benefit was worth. A negative cost is a refund: allowed, "
        "and listed as a warning.",
        "amount", "cost", "costs", "value", "total", "bedrag", "kosten", "waarde", "spend",
        "expense", "benefit", "baten",
        required=True,
    )  # fmt: skip
    category: Text = canonical(
        "What it is (licence, implementation, training, integration, maintenance, internal "
        "time, …), kept as written.",
        "category", "cost category", "item", "description", "categorie", "kostensoort",
        "omschrijving", "post",
    )  # fmt: skip
    kind: Text = canonical(
        "cost (the default) or benefit.",
        "kind", "type", "cost or benefit", "flow", "soort", "kosten of baten",
    )  # fmt: skip
    currency: Text = canonical(
        "ISO currency code of the amount; else the symbol or code in the amount cell.",
        "currency", "currency code", "valuta", "munteenheid",
    )  # fmt: skip


# What an investment row's kind says: a cost (the default) or a benefit. Case and spaces aside;
# anything else is rejected (a benefit read as a cost would turn the result round).
COST_WORDS = frozenset({"cost", "costs", "kosten", "kost", "expense", "uitgave", "investment"})
BENEFIT_WORDS = frozenset({
    "benefit", "benefits", "baat", "baten", "saving", "savings", "besparing", "opbrengst",
    "gain", "return",
})  # fmt: skip


# What a cost's type or a time log's activity says when it keeps customers rather than wins
# them: retention, not acquisition (only acquisition counts towards CAC). Case and spaces
# aside; anything else is acquisition.
RETENTION_WORDS = frozenset({
    "retention", "retentie", "account management", "accountmanagement", "accountbeheer",
    "support", "onboarding", "renewal", "renewals", "customer success", "verlenging",
    "klantbehoud",
})  # fmt: skip
ACQUISITION_WORDS = frozenset({
    "acquisition", "acquisitie", "new business", "nieuwe klanten", "marketing", "sales", "new",
    "nieuw",
})  # fmt: skip


class InputKind(StrEnum):
    """The inputs crm-roi reads."""

    DEALS = "deals"
    COSTS = "costs"
    CUSTOMERS = "customers"
    TIME_LOGS = "time_logs"
    LEADS = "leads"
    INVESTMENT = "investment"


MODELS: dict[InputKind, type[Record]] = {
    InputKind.DEALS: Deal,
    InputKind.COSTS: Cost,
    InputKind.CUSTOMERS: Customer,
    InputKind.TIME_LOGS: TimeLog,
    InputKind.LEADS: Lead,
    InputKind.INVESTMENT: Investment,
}


@dataclass(frozen=True)
class FieldSpec:
    """What the rest of crm-roi needs to know about one canonical field."""

    name: str
    kind: Kind
    description: str
    synonyms: tuple[str, ...]
    required: bool
    required_when_status: tuple[str, ...]
    minimum: Decimal | None = None
    minimum_exclusive: bool = False
    maximum: Decimal | None = None


@cache
def field_specs(kind: InputKind) -> tuple[FieldSpec, ...]:
    """The canonical fields of one input, in declaration order."""
    specs = []
    for name, info in MODELS[kind].model_fields.items():
        extra = info.json_schema_extra
        assert isinstance(extra, dict)
        field_kind = next(m for m in info.metadata if isinstance(m, Kind))
        minimum = maximum = None
        exclusive = False
        for m in info.metadata:
            if isinstance(m, annotated_types.Ge):
                minimum = Decimal(str(m.ge))
            elif isinstance(m, annotated_types.Gt):
                minimum, exclusive = Decimal(str(m.gt)), True
            elif isinstance(m, annotated_types.Le):
                maximum = Decimal(str(m.le))
        specs.append(
            FieldSpec(
                name=name,
                kind=field_kind,
                description=info.description or "",
                synonyms=tuple(extra["synonyms"]),  # type: ignore[arg-type]
                required=bool(extra["required"]),
                required_when_status=tuple(extra["required_when_status"]),  # type: ignore[arg-type]
                minimum=minimum,
                minimum_exclusive=exclusive,
                maximum=maximum,
            )
        )
    return tuple(specs)


def field_spec(kind: InputKind, name: str) -> FieldSpec:
    return next(f for f in field_specs(kind) if f.name == name)


@cache
def _adapter(kind: InputKind, name: str) -> TypeAdapter[Any]:
    info = MODELS[kind].model_fields[name]
    return TypeAdapter(Annotated[(info.annotation, *info.metadata)])


def constraint_message(kind: InputKind, name: str, value: Any) -> str | None:
    """pydantic's wording of why ``value`` breaks the field's constraints, or None if it doesn't.

    >>> constraint_message(InputKind.TIME_LOGS, "hours", 30.0)
    'Input should be less than or equal to 24'
    """
    try:
        _adapter(kind, name).validate_python(value)
    except ValidationError as exc:
        return str(exc.errors()[0]["msg"])
    return None

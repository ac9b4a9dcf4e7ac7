"""The standard exports of the big CRMs, recognised by their headers.

A preset says which of a CRM's columns holds each canonical field — where the built-in
synonyms would guess wrong or not at all — and derives the few fields a CRM spreads over
several columns: Salesforce's ``Won`` / ``Closed`` flags give the status, Pipedrive's
``Won time`` / ``Lost time`` the close date. A user's mapping file still has the last word.

Where an export carries a converted or base-currency amount (HubSpot's ``Amount in company
currency``, Salesforce's ``Amount (converted)``, Dynamics' ``(Base)`` columns), that amount is
used, and the note says so.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.compute as pc

from crm_roi.errors import UsageError
from crm_roi.inputs.mapping import CONVERTED_LEADS, normalise_header, normalise_stage
from crm_roi.inputs.read import RawTable
from crm_roi.inputs.schema import InputKind

Columns = Mapping[str, tuple[str, ...]]  # field → normalised headers, the first present wins
TRUE_TEXT = ("1", "true", "yes", "ja", "waar", "x")


@dataclass(frozen=True)
class Derived:
    """A field computed from several columns: a new column named ``header``."""

    field: str
    header: str
    needs: tuple[str, ...]  # headers that must all be there
    build: Callable[[dict[str, pa.Array]], pa.Array]
    optional: tuple[str, ...] = ()  # headers the build uses when they are there


@dataclass(frozen=True)
class Preset:
    name: str  # what --preset takes: hubspot, salesforce, …
    title: str  # what inspect and validate say
    kind: InputKind
    signature: tuple[tuple[str, ...], ...]  # each group: one of these normalised headers
    columns: Columns
    derived: tuple[Derived, ...] = ()
    drop: tuple[str, ...] = ()  # fields left unmapped when a converted amount is used
    converted: tuple[str, ...] = ()  # amount headers that are in the company currency
    prefix: str | None = None  # every header starts with it (Pipedrive's "Deal - ")
    notes: tuple[str, ...] = field(default_factory=tuple)
    api: bool = False  # field names (StageName, dealstage): no header has a space


def _truthy(values: pa.Array) -> pa.Array:
    return pc.fill_null(
        pc.is_in(pc.utf8_lower(pc.utf8_trim_whitespace(values)), value_set=pa.array(TRUE_TEXT)),
        False,
    )


def _flag_status(won: str, closed: str, *stages: str) -> Callable[[dict[str, pa.Array]], pa.Array]:
    """Won flag → won; the closed flag without the won flag → lost; else the stage text (open
    unless it says won or lost). Salesforce's ``Won``/``IsWon``, HubSpot's ``hs_is_closed_won``."""

    def status(cols: dict[str, pa.Array]) -> pa.Array:
        flag = cols[won]
        text = next((cols[s] for s in stages if s in cols), None)
        if text is None:
            text = pa.array([""] * len(flag), pa.string())
        if closed in cols:
            text = pc.if_else(_truthy(cols[closed]), "Lost", text)
        return pc.if_else(_truthy(flag), "Won", text)

    return status


def _state_code(cols: dict[str, pa.Array]) -> pa.Array:
    """Dynamics' statecode: 0 open, 1 won, 2 lost (as numbers or as their labels)."""
    code = pc.utf8_trim_whitespace(cols["state code"])
    return pc.if_else(pc.equal(code, "1"), "Won", pc.if_else(pc.equal(code, "2"), "Lost", code))


def _pipedrive_close(cols: dict[str, pa.Array]) -> pa.Array:
    """A won deal closed at its won time, a lost one at its lost time — never the expected date."""
    status = pc.utf8_lower(pc.utf8_trim_whitespace(cols["status"]))
    return pc.if_else(
        pc.equal(status, "won"),
        cols["won time"],
        pc.if_else(pc.equal(status, "lost"), cols["lost time"], ""),
    )


_SALESFORCE_STATUS = Derived(
    "status",
    "Status (from Won and Closed)",
    ("won",),
    _flag_status("won", "closed", "stage"),
    optional=("closed", "stage"),
)
_PIPEDRIVE_CLOSE = Derived(
    "close_date",
    "Close date (won or lost time)",
    ("status", "won time", "lost time"),
    _pipedrive_close,
)


def _converted_flag(flag: str, status: str) -> Callable[[dict[str, pa.Array]], pa.Array]:
    """Salesforce's ``Converted``/``IsConverted`` decides: true → converted; false → the lead
    status, but never converted (Salesforce's *Qualified* is a lead not yet converted)."""

    def build(cols: dict[str, pa.Array]) -> pa.Array:
        text = cols.get(status)
        if text is None:
            text = pa.array([""] * len(cols[flag]), pa.string())
        encoded = pc.dictionary_encode(text)  # a status per distinct text, not per row
        words = [
            bool(v) and normalise_stage(v) in CONVERTED_LEADS
            for v in encoded.dictionary.to_pylist()
        ]
        converted = pc.fill_null(pa.array(words, pa.bool_()).take(encoded.indices), False)
        not_yet = pc.if_else(converted, "Open", text)
        return pc.if_else(_truthy(cols[flag]), "Converted", not_yet)

    return build


HUBSPOT_CONVERTED = ("opportunity", "customer", "evangelist")
HUBSPOT_UNQUALIFIED = ("unqualified", "bad timing", "bad_timing")


def _lifecycle(stage: str, lead_status: str) -> Callable[[dict[str, pa.Array]], pa.Array]:
    """HubSpot: the lifecycle stage decides; a lead not past conversion whose lead status
    says Unqualified or Bad timing is disqualified."""

    def build(cols: dict[str, pa.Array]) -> pa.Array:
        lifecycle = cols[stage]
        said = cols.get(lead_status)
        if said is None:
            return lifecycle
        tidy = pc.utf8_lower(pc.utf8_trim_whitespace(lifecycle))
        past = pc.fill_null(pc.is_in(tidy, value_set=pa.array(HUBSPOT_CONVERTED)), False)
        dropped = pc.fill_null(
            pc.is_in(
                pc.utf8_lower(pc.utf8_trim_whitespace(said)),
                value_set=pa.array(HUBSPOT_UNQUALIFIED),
            ),
            False,
        )
        return pc.if_else(pc.and_(dropped, pc.invert(past)), "Disqualified", lifecycle)

    return build


def _first_given(*headers: str) -> Callable[[dict[str, pa.Array]], pa.Array]:
    """The first of ``headers`` with a value in each row (HubSpot: the day a contact became
    an opportunity, else a customer)."""

    def build(cols: dict[str, pa.Array]) -> pa.Array:
        present = [cols[h] for h in headers if h in cols]
        out = present[0]
        for more in present[1:]:
            out = pc.if_else(pc.equal(pc.utf8_trim_whitespace(out), ""), more, out)
        return out

    return build


def _all_open(cols: dict[str, pa.Array]) -> pa.Array:
    """Every lead open: a list of unconverted leads (Pipedrive's) says so by being one."""
    return pa.array(["Open"] * len(cols["id"]), pa.string())


def _campaign_day(cols: dict[str, pa.Array]) -> pa.Array:
    """A campaign with a start but no end date is a cost on its start date."""
    end = cols.get("end date")
    if end is None:
        return cols["start date"]
    return pc.if_else(pc.equal(pc.utf8_trim_whitespace(end), ""), cols["start date"], "")


PRESETS: tuple[Preset, ...] = (
    # API (field) names first: a file of API names is never mistaken for display labels.
    Preset(
        "hubspot", "HubSpot deals (API names)", InputKind.DEALS,
        signature=(("deal stage",), ("hs object id", "hubspot owner id", "hs analytics source", "amount in home currency")),
        columns={
            "deal_id": ("deal id", "hs object id"),
            "amount": ("amount in home currency", "amount"),
            "status": ("deal stage",),
            "close_date": ("close date",),
            "created_date": ("create date", "created date"),
            "customer_id": ("associated company", "associated company id"),
            "channel": ("hs analytics source",),
            "campaign": ("hs campaign", "campaign", "hs analytics source data 1"),
            "owner": ("hubspot owner id",),
            "product": ("product",),
            "currency": ("deal currency code",),
        },
        derived=(Derived("status", "Status (from hs_is_closed_won)", ("hs is closed won",), _flag_status("hs is closed won", "hs is closed", "deal stage"), optional=("hs is closed", "deal stage")),),
        converted=("amount in home currency",), drop=("currency",),
        api=True,
    ),
    Preset(
        "salesforce", "Salesforce opportunities (API names)", InputKind.DEALS,
        signature=(("stage name",), ("close date",), ("is won", "is closed", "account id", "currency iso code")),
        columns={
            "deal_id": ("deal id", "id"),
            "amount": ("amount",),
            "currency": ("currency iso code",),
            "status": ("stage name",),
            "close_date": ("close date",),
            "created_date": ("created date",),
            "customer_id": ("account name", "account id"),
            "channel": ("lead source",),
            "campaign": ("campaign name", "campaign id"),
            "owner": ("owner name", "owner id"),
            "product": ("product name", "product"),
        },
        derived=(Derived("status", "Status (from IsWon and IsClosed)", ("is won",), _flag_status("is won", "is closed", "stage name"), optional=("is closed", "stage name")),),
        notes=("IsWon and IsClosed decide the status; an open deal's close date is a forecast: not used",),
        api=True,
    ),
    Preset(
        "pipedrive", "Pipedrive deals (API names)", InputKind.DEALS,
        signature=(("status",), ("value",), ("add time", "won time", "lost time")),
        columns={
            "deal_id": ("deal id", "id"),
            "amount": ("value",),
            "currency": ("currency",),
            "status": ("status",),
            "created_date": ("add time",),
            "customer_id": ("org name", "org id"),
            "channel": ("channel",),
            "campaign": ("campaign",),
            "owner": ("owner name", "user id"),
            "product": ("product", "products"),
        },
        derived=(_PIPEDRIVE_CLOSE,),
        notes=("the close date is the won or lost time; close_time and the expected close date are not used",),
        api=True,
    ),
    Preset(
        "dynamics", "Dynamics 365 opportunities (API names)", InputKind.DEALS,
        signature=(("opportunity id",), ("state code", "actual value", "actual close date")),
        columns={
            "deal_id": ("deal id", "new deal id", "opportunity id"),
            "amount": ("actual value base", "actual value"),
            "status": ("state code",),
            "close_date": ("actual close date",),
            "created_date": ("created on",),
            "customer_id": ("parent account id name", "customer id name", "parent account id", "customer id"),
            "campaign": ("campaign id name", "campaign id"),
            "owner": ("owner id name", "owner id"),
            "channel": ("lead source code label", "lead source code", "lead source"),
            "currency": ("transaction currency id name",),
        },
        derived=(Derived("status", "Status (from statecode)", ("state code",), _state_code),),
        converted=("actual value base",), drop=("currency",),
        notes=("statecode 1 is won and 2 lost; revenue is the actual value and the close date the "
               "actual close date: the estimates are not used",),
        api=True,
    ),
    Preset(
        "zoho", "Zoho CRM deals (API names)", InputKind.DEALS,
        signature=(("deal name",), ("closing date",), ("stage",)),
        columns={
            "deal_id": ("deal id", "id"),
            "amount": ("amount",),
            "status": ("stage",),
            "close_date": ("closing date",),
            "created_date": ("created time",),
            "customer_id": ("account name",),
            "channel": ("lead source",),
            "campaign": ("campaign source",),
            "owner": ("owner", "deal owner"),
            "product": ("product", "product name"),
        },
        notes=("the closing date of an open deal is a forecast: only won and lost deals use it",),
        api=True,
    ),
    Preset(
        "hubspot", "HubSpot deals export", InputKind.DEALS,
        signature=(("deal stage",), ("record id",), ("deal name", "pipeline", "associated company")),
        columns={
            "deal_id": ("deal id", "record id"),
            "amount": ("amount in company currency", "amount"),
            "status": ("deal stage",),
            "close_date": ("close date",),
            "created_date": ("create date",),
            "customer_id": ("associated company", "associated company name", "company name"),
            "channel": ("original source", "lead source"),
            "campaign": ("campaign", "original source drill down 1"),
            "owner": ("deal owner",),
            "product": ("product", "product name"),
            "currency": ("currency",),
        },
        converted=("amount in company currency",), drop=("currency",),
    ),
    Preset(
        "hubspot", "HubSpot companies export", InputKind.CUSTOMERS,
        signature=(("record id",), ("company name",), ("lifecycle stage", "industry", "country region")),
        columns={
            "customer_id": ("company name", "name", "record id"),
            "country": ("country region", "country"),
            "industry": ("industry",),
            "segment": ("segment", "company size", "type"),
            "acquired_date": ("became a customer date",),
            "churned_date": ("churned date", "churn date"),
        },
        notes=("Create Date is when the record was made, not when it became a customer: not used",),
    ),
    Preset(
        "salesforce", "Salesforce opportunity report", InputKind.DEALS,
        signature=(("opportunity name",), ("opportunity id", "account name"), ("stage", "opportunity stage", "won")),
        columns={
            "deal_id": ("deal id", "opportunity id"),
            "amount": ("amount converted", "amount"),
            "currency": ("amount converted currency", "amount currency", "opportunity currency", "currency"),
            "status": ("stage", "opportunity stage"),
            "close_date": ("close date",),
            "created_date": ("created date",),
            "customer_id": ("account name", "account id"),
            "channel": ("lead source",),
            "campaign": ("primary campaign source", "campaign name"),
            "owner": ("opportunity owner",),
            "product": ("product name", "product"),
        },
        derived=(_SALESFORCE_STATUS,),
        converted=("amount converted",),
    ),
    Preset(
        "salesforce", "Salesforce campaign export", InputKind.COSTS,
        signature=(("campaign name",), ("actual cost in campaign", "actual cost")),
        columns={
            "campaign": ("campaign name",),
            "amount": ("actual cost in campaign", "actual cost"),
            "start_date": ("start date",),
            "end_date": ("end date",),
            "category": ("type",),
            "channel": ("channel", "lead source"),
            "currency": ("actual cost in campaign currency", "currency"),
        },
        derived=(Derived("date", "Date (start of a campaign with no end)", ("start date",), _campaign_day, optional=("end date",)),),
        notes=("a campaign's actual cost is spread over its start and end dates",),
    ),
    Preset(
        "pipedrive", "Pipedrive deals export", InputKind.DEALS,
        signature=(("status",), ("value",), ("deal created", "won time", "title")),
        columns={
            "deal_id": ("deal id", "id"),
            "amount": ("value",),
            "currency": ("currency",),
            "status": ("status",),
            "created_date": ("deal created",),
            "customer_id": ("organization", "organisation", "organization name"),
            "channel": ("source channel", "source", "lead source"),
            "campaign": ("campaign",),
            "owner": ("owner",),
            "product": ("product", "products"),
        },
        derived=(_PIPEDRIVE_CLOSE,),
        prefix="deal - ",
        notes=("the expected close date is a forecast: not used",),
    ),
    Preset(
        "dynamics", "Dynamics 365 opportunities export", InputKind.DEALS,
        signature=(("do not modify opportunity", "est revenue"), ("potential customer", "actual revenue")),
        columns={
            "deal_id": ("deal id", "do not modify opportunity"),
            "amount": ("actual revenue base", "actual revenue"),
            "status": ("status",),
            "close_date": ("actual close date",),
            "created_date": ("created on",),
            "customer_id": ("potential customer", "account"),
            "campaign": ("source campaign",),
            "owner": ("owner",),
            "channel": ("lead source", "source"),
            "product": ("product",),
        },
        converted=("actual revenue base",), drop=("currency",),
        notes=("revenue is the actual revenue and the close date the actual close date; the "
               "estimates are not used",),
    ),
    Preset(
        "dynamics", "Dynamics 365 campaigns export", InputKind.COSTS,
        signature=(("total cost of campaign",), ("name",)),
        columns={
            "campaign": ("name",),
            "amount": ("total cost of campaign base", "total cost of campaign"),
            "date": ("actual start", "proposed start"),
            "category": ("campaign type",),
        },
        converted=("total cost of campaign base",), drop=("currency",),
        notes=("Total Cost of Campaign already includes the miscellaneous costs",),
    ),
    Preset(
        "zoho", "Zoho CRM deals export", InputKind.DEALS,
        signature=(("deal name",), ("closing date",), ("stage",)),
        columns={
            "deal_id": ("deal id", "record id"),
            "amount": ("amount",),
            "status": ("stage",),
            "close_date": ("closing date",),
            "created_date": ("created time",),
            "customer_id": ("account name",),
            "channel": ("lead source",),
            "campaign": ("campaign source",),
            "owner": ("deal owner",),
            "product": ("product", "product name"),
        },
        notes=("the closing date of an open deal is a forecast: only won and lost deals use it",),
    ),

    # Leads: API names first, as for deals.
    Preset(
        "salesforce", "Salesforce leads (API names)", InputKind.LEADS,
        signature=(("is converted",), ("converted opportunity id", "converted date", "lead source")),
        columns={
            "lead_id": ("id",),
            "created_date": ("created date",),
            "converted_date": ("converted date",),
            "channel": ("lead source",),
            "campaign": ("campaign id", "campaign name"),
            "owner": ("owner name", "owner id"),
            "deal_id": ("converted opportunity id",),
            "customer_id": ("converted account id",),
        },
        derived=(Derived("status", "Status (from IsConverted)", ("is converted",), _converted_flag("is converted", "status"), optional=("status",)),),
        notes=("IsConverted decides which leads are converted",),
        api=True,
    ),
    Preset(
        "hubspot", "HubSpot contacts (API names)", InputKind.LEADS,
        signature=(("lifecyclestage",), ("hs object id", "createdate", "vid")),
        columns={
            "lead_id": ("hs object id", "vid", "id"),
            "created_date": ("createdate",),
            "channel": ("hs analytics source",),
            "campaign": ("hs analytics first touch converting campaign", "hs analytics source data 1"),
            "owner": ("hubspot owner id",),
            "deal_id": ("associated deal ids", "associateddealids"),
            "customer_id": ("associatedcompanyid", "associated company id"),
        },
        derived=(
            Derived("status", "Status (from lifecyclestage)", ("lifecyclestage",), _lifecycle("lifecyclestage", "hs lead status"), optional=("hs lead status",)),
            Derived("converted_date", "Converted (became an opportunity, else a customer)", ("hs lifecyclestage opportunity date",), _first_given("hs lifecyclestage opportunity date", "hs lifecyclestage customer date"), optional=("hs lifecyclestage customer date",)),
        ),
        notes=("lifecycle stages opportunity, customer and evangelist are converted",),
        api=True,
    ),
    Preset(
        "salesforce", "Salesforce leads report", InputKind.LEADS,
        signature=(("lead status", "lead id"), ("converted", "converted opportunity id", "converted opportunity")),
        columns={
            "lead_id": ("lead id", "id"),
            "created_date": ("created date", "create date"),
            "converted_date": ("converted date",),
            "channel": ("lead source",),
            "campaign": ("campaign", "campaign name", "primary campaign source"),
            "owner": ("lead owner", "owner"),
            "deal_id": ("deal id", "converted opportunity id", "opportunity id", "converted opportunity"),
            "customer_id": ("converted account", "converted account id", "converted account name"),
        },
        derived=(Derived("status", "Status (from Converted)", ("converted",), _converted_flag("converted", "lead status"), optional=("lead status",)),),
        notes=("the Converted flag decides which leads are converted; Lead Status the rest",),
    ),
    Preset(
        "hubspot", "HubSpot contacts export", InputKind.LEADS,
        signature=(("record id",), ("lifecycle stage",), ("email", "first name", "associated deal ids", "became an opportunity date", "original source", "lead status")),
        columns={
            "lead_id": ("record id", "contact id"),
            "created_date": ("create date",),
            "channel": ("original source", "lead source"),
            "campaign": ("original source drill down 2", "campaign", "first conversion"),
            "owner": ("contact owner", "hubspot owner"),
            "deal_id": ("deal id", "associated deal ids", "associated deal", "associated deals"),
            "customer_id": ("associated company", "associated company name", "company name"),
        },
        derived=(
            Derived("status", "Status (from Lifecycle Stage)", ("lifecycle stage",), _lifecycle("lifecycle stage", "lead status"), optional=("lead status",)),
            Derived("converted_date", "Converted (became an opportunity, else a customer)", ("became an opportunity date",), _first_given("became an opportunity date", "became a customer date"), optional=("became a customer date",)),
        ),
        notes=("lifecycle stages opportunity, customer and evangelist are converted; a lead "
               "status of Unqualified or Bad timing before that is disqualified",),
    ),
    Preset(
        "dynamics", "Dynamics 365 leads export", InputKind.LEADS,
        signature=(("do not modify lead",), ("status reason", "qualifying opportunity", "source campaign", "created on")),
        columns={
            "lead_id": ("do not modify lead", "lead"),
            "created_date": ("created on",),
            "status": ("status",),
            "channel": ("lead source",),
            "campaign": ("source campaign",),
            "owner": ("owner",),
            "deal_id": ("qualifying opportunity",),
            "customer_id": ("parent account for lead", "existing account", "company name"),
        },
        notes=("Status decides: Qualified is converted, Disqualified disqualified",),
    ),
    Preset(
        "pipedrive", "Pipedrive leads export", InputKind.LEADS,
        signature=(("id",), ("lead created",)),
        columns={
            "lead_id": ("id",),
            "created_date": ("lead created",),
            "channel": ("source", "source channel"),
            "owner": ("owner",),
            "customer_id": ("organization", "organisation"),
        },
        derived=(Derived("status", "Status (open: Pipedrive lists unconverted leads)", ("id",), _all_open),),
        prefix="lead - ",
        notes=("Pipedrive's leads list holds the leads not yet converted: every one is open; a "
               "lead's Value is its potential, not revenue: not used",),
    ),
    Preset(
        "zoho", "Zoho CRM leads export", InputKind.LEADS,
        signature=(("lead status",), ("created time",), ("lead owner", "lead source")),
        columns={
            "lead_id": ("record id", "lead id", "id"),
            "created_date": ("created time",),
            "status": ("lead status",),
            "converted_date": ("converted date time", "converted date"),
            "channel": ("lead source",),
            "campaign": ("campaign source",),
            "owner": ("lead owner",),
            "deal_id": ("converted deal", "deal id"),
            "customer_id": ("converted account", "company"),
        },
    ),
)  # fmt: skip

NAMES = tuple(dict.fromkeys(p.name for p in PRESETS))


@dataclass(frozen=True)
class Applied:
    """A preset applied to one file: the column for each field, and what to tell the user."""

    preset: Preset
    columns: dict[str, str]  # field → the file's header
    notes: list[str]
    blocked: frozenset[str] = frozenset()  # fields not to match by synonym


def detect(raw: RawTable, kind: InputKind, forced: str | None = None) -> Preset | None:
    """The preset whose signature the file's headers carry (or the one forced with --preset)."""
    if forced is not None:
        if forced == "none":
            return None
        if forced not in NAMES:
            raise UsageError(f"--preset {forced!r}: choose one of {', '.join(NAMES)} or none")
        named = [p for p in PRESETS if p.name == forced and p.kind is kind]
        return _matching(raw, named) or next((p for p in named if not p.api), None)
    return _matching(raw, [p for p in PRESETS if p.kind is kind])


def _matching(raw: RawTable, presets: list[Preset]) -> Preset | None:
    """The first of ``presets`` whose signature the headers carry."""
    keys = {normalise_header(h) for h in raw.headers}
    api = not any(" " in h.strip() for h in raw.headers)
    for preset in presets:
        if preset.api and not api:
            continue
        if preset.prefix and not _prefixed(raw.headers, preset.prefix):
            continue
        if all(any(normalise_header(alt) in keys for alt in group) for group in preset.signature):
            return preset
    return None


def _prefixed(headers: list[str], prefix: str) -> bool:
    return sum(h.lower().startswith(prefix) for h in headers) * 2 > len(headers)


def apply(raw: RawTable, preset: Preset) -> Applied:
    """Add the preset's derived columns to ``raw`` and choose a header per field."""
    by_key: dict[str, str] = {}
    for h in raw.headers:
        by_key.setdefault(normalise_header(h), h)

    def header(name: str) -> str | None:
        return by_key.get(normalise_header(name))

    columns: dict[str, str] = {}
    notes = [f"read as a {preset.title}", *preset.notes]
    for d in preset.derived:
        if d.field not in columns and all(header(n) is not None for n in d.needs):
            present = [n for n in (*d.needs, *d.optional) if header(n) is not None]
            raw.add_column(d.header, d.build({n: _column(raw, header(n)) for n in present}))  # type: ignore[arg-type]
            columns[d.field] = d.header
    for name, candidates in preset.columns.items():
        if name in columns:
            continue
        found = next((h for h in map(header, candidates) if h is not None), None)
        if found is not None:
            columns[name] = found
    blocked: set[str] = set()
    amount = columns.get("amount")
    if amount is not None and normalise_header(amount) in map(normalise_header, preset.converted):
        notes.append(f"amounts from {amount!r}: in the company's currency, converted by the CRM")
        for dropped in preset.drop:  # the deal's own currency no longer applies
            columns.pop(dropped, None)
            blocked.add(dropped)
    return Applied(preset, columns, notes, frozenset(blocked))


def _column(raw: RawTable, header: str) -> pa.Array:
    return raw.column(header)

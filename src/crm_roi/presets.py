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
from crm_roi.mapping import normalise_header
from crm_roi.read import RawTable
from crm_roi.schema import InputKind

Columns = Mapping[str, tuple[str, ...]]  # field → normalised headers, the first present wins
TRUE_TEXT = ("1", "true", "yes", "ja", "waar", "x")


@dataclass(frozen=True)
class Derived:
    """A field computed from several columns: a new column named ``header``."""

    field: str
    header: str
    needs: tuple[str, ...]  # normalised headers that must all be there
    build: Callable[[dict[str, pa.Array]], pa.Array]


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


def _truthy(values: pa.Array) -> pa.Array:
    return pc.fill_null(
        pc.is_in(pc.utf8_lower(pc.utf8_trim_whitespace(values)), value_set=pa.array(TRUE_TEXT)),
        False,
    )


def _salesforce_status(cols: dict[str, pa.Array]) -> pa.Array:
    """Won → won; Closed but not won → lost; else the stage text (open unless it says won)."""
    stage = cols.get("stage", cols.get("opportunity stage"))
    if stage is None:
        stage = pa.array([""] * len(cols["won"]), pa.string())
    return pc.if_else(
        _truthy(cols["won"]), "Won", pc.if_else(_truthy(cols["closed"]), "Lost", stage)
    )


def _pipedrive_close(cols: dict[str, pa.Array]) -> pa.Array:
    """A won deal closed at its won time, a lost one at its lost time — never the expected date."""
    status = pc.utf8_lower(pc.utf8_trim_whitespace(cols["status"]))
    return pc.if_else(
        pc.equal(status, "won"),
        cols["won time"],
        pc.if_else(pc.equal(status, "lost"), cols["lost time"], ""),
    )


def _campaign_day(cols: dict[str, pa.Array]) -> pa.Array:
    """A campaign with a start but no end date is a cost on its start date."""
    end = cols.get("end date")
    if end is None:
        return cols["start date"]
    return pc.if_else(pc.equal(pc.utf8_trim_whitespace(end), ""), cols["start date"], "")


PRESETS: tuple[Preset, ...] = (
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
        derived=(Derived("status", "Status (from Won and Closed)", ("won", "closed"), _salesforce_status),),
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
        derived=(Derived("date", "Date (start of a campaign with no end)", ("start date",), _campaign_day),),
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
        derived=(Derived("close_date", "Close date (won or lost time)", ("status", "won time", "lost time"), _pipedrive_close),),
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
        return next((p for p in PRESETS if p.name == forced and p.kind is kind), None)
    norms = {normalise_header(h) for h in raw.headers}
    for preset in PRESETS:
        if preset.kind is not kind:
            continue
        if preset.prefix and not _prefixed(raw.headers, preset.prefix):
            continue
        if all(any(alt in norms for alt in group) for group in preset.signature):
            return preset
    return None


def _prefixed(headers: list[str], prefix: str) -> bool:
    return sum(h.lower().startswith(prefix) for h in headers) * 2 > len(headers)


def apply(raw: RawTable, preset: Preset) -> Applied:
    """Add the preset's derived columns to ``raw`` and choose a header per field."""
    by_norm: dict[str, str] = {}
    for h in raw.headers:
        by_norm.setdefault(normalise_header(h), h)
    columns: dict[str, str] = {}
    notes = [f"read as a {preset.title}", *preset.notes]
    for d in preset.derived:
        if all(n in by_norm for n in d.needs):
            source = {n: _column(raw, by_norm[n]) for n in by_norm if n in _wanted(d)}
            raw.add_column(d.header, d.build(source))
            columns[d.field] = d.header
    for name, candidates in preset.columns.items():
        if name in columns:
            continue
        found = next((by_norm[c] for c in candidates if c in by_norm), None)
        if found is not None:
            columns[name] = found
    blocked: set[str] = set()
    amount = columns.get("amount")
    if amount is not None and normalise_header(amount) in preset.converted:
        notes.append(f"amounts from {amount!r}: in the company's currency, converted by the CRM")
        for dropped in preset.drop:  # the deal's own currency no longer applies
            columns.pop(dropped, None)
            blocked.add(dropped)
    return Applied(preset, columns, notes, frozenset(blocked))


def _wanted(derived: Derived) -> set[str]:
    extra = {"stage", "opportunity stage", "end date"}
    return set(derived.needs) | extra


def _column(raw: RawTable, header: str) -> pa.Array:
    return raw.data.column(raw.headers.index(header)).combine_chunks()

"""The inputs prepared once for a window, as arrays: what counts, and where it belongs.

:func:`prepare` turns the validated records (:class:`Inputs`) into immutable arrays per input
— deals, customers, costs, time logs — that every breakdown, cohort and comparison then reads:
dates as day numbers, money as integer cents, links between inputs as row indices (-1: none).
Nothing here groups or sums; that is :mod:`~crm_roi.engine.groups` and
:mod:`~crm_roi.engine.sums`.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import date
from functools import cached_property

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from crm_roi.engine.calendar import day_numbers, epoch_day
from crm_roi.engine.groups import arrow_text, take, text_codes
from crm_roi.engine.money import time_cents
from crm_roi.engine.settings import Settings
from crm_roi.inputs.ids import IdIndex
from crm_roi.inputs.links import LeadLinks, link_leads
from crm_roi.inputs.parse import per_distinct
from crm_roi.inputs.schema import RETENTION_WORDS, InputKind


@dataclass
class Inputs:
    """Validated records (see :mod:`crm_roi.inputs.validate`): money in integer cents."""

    deals: pd.DataFrame
    costs: pd.DataFrame | None = None
    customers: pd.DataFrame | None = None
    time_logs: pd.DataFrame | None = None
    # The file's own header of a mapped field, per kind: normalised header → field, so that
    # --by names a mapped column by its header too (--by sales_agent for owner).
    aliases: dict[InputKind, dict[str, str]] = field(default_factory=dict)
    leads: pd.DataFrame | None = None
    lead_links: LeadLinks | None = None  # found while loading; else found by prepare
    # Ids as validation hashed them, by (kind, field): the distinct ids and each row's
    # position among them (see validate.ENCODED_ASIDE); what is missing is hashed here.
    ids: dict[tuple[InputKind, str], tuple[IdIndex, np.ndarray]] = field(default_factory=dict)

    def hashed(self, kind: InputKind, name: str, rows: int) -> tuple[IdIndex, np.ndarray] | None:
        """The ids of a field as validation hashed them, if they are those of these ``rows``."""
        found = self.ids.get((kind, name))
        return found if found is not None and len(found[1]) == rows else None


@dataclass(frozen=True)
class Deals:
    """Every deal; the masks say which count in the window."""

    frame: pd.DataFrame  # the records: fields and kept attributes, for grouping
    close: np.ndarray  # day numbers, NaN where none
    created: np.ndarray
    cents: np.ndarray  # amount, 0 where none
    ever_won: np.ndarray  # status won, whenever it closed
    ever_open: np.ndarray
    won: np.ndarray  # won and closed in the window
    lost: np.ndarray  # lost and closed in the window
    open: np.ndarray  # open and created in the window (or with no created date)
    ids: pa.Array
    customer: np.ndarray  # the customer of each deal: an index into Customers, -1 for none

    @cached_property
    def rows(self) -> DealRows:
        """The rows each deal figure sums, picked once for every breakdown."""
        return DealRows.of(self)


@dataclass(frozen=True)
class DealRows:
    """Which deals each deal figure counts (row numbers), and what it adds up of them: the
    same for every breakdown, so worked out once per window rather than once per breakdown."""

    won: np.ndarray
    won_cents: np.ndarray
    lost: np.ndarray
    open: np.ndarray
    counted: np.ndarray  # won, lost or open
    cycle: np.ndarray  # won, with a created date
    cycle_days: np.ndarray  # close - created
    active: np.ndarray  # won, with a customer
    active_customer: np.ndarray
    bought: np.ndarray  # won whenever it closed (ever won, with a close date and a customer)
    bought_customer: np.ndarray

    @classmethod
    def of(cls, deals: Deals) -> DealRows:
        won = np.flatnonzero(deals.won)
        cycle = won[~np.isnan(deals.created[won])]
        active = won[deals.customer[won] >= 0]
        bought = np.flatnonzero(deals.ever_won & (deals.customer >= 0) & ~np.isnan(deals.close))
        return cls(
            won=won,
            won_cents=deals.cents[won],
            lost=np.flatnonzero(deals.lost),
            open=np.flatnonzero(deals.open),
            counted=np.flatnonzero(deals.won | deals.lost | deals.open),
            cycle=cycle,
            cycle_days=deals.close[cycle] - deals.created[cycle],
            active=active,
            active_customer=deals.customer[active],
            bought=bought,
            bought_customer=deals.customer[bought],
        )


@dataclass(frozen=True)
class Customers:
    """Every customer the deals or the customers file name, by index."""

    ids: IdIndex
    fields: pd.DataFrame  # the customers file's own columns, by index (empty without one)
    acquisition_deal: np.ndarray  # the first won deal ever (ties: the smallest id); -1: none
    acquired: np.ndarray  # day numbers: the file's acquired date, else the first won deal's
    churned: np.ndarray  # the file's churn date, else the last won deal + churn_after_days


@dataclass(frozen=True)
class Costs:
    """Cost rows that touch the window; a cost spread over days keeps its whole span."""

    frame: pd.DataFrame
    first: np.ndarray  # first and last day of each cost
    last: np.ndarray
    cents: np.ndarray
    retention: np.ndarray  # type retention: not acquisition cost


@dataclass(frozen=True)
class TimeLogs:
    """Time logged in the window, with its cost and its links."""

    frame: pd.DataFrame
    day: np.ndarray
    hours: np.ndarray
    cents: np.ndarray  # hours × rate, each log rounded half up to the cent
    retention: np.ndarray  # activity is retention work: not acquisition cost
    deal: np.ndarray  # the deal row each log names; -1 for none
    customer: np.ndarray  # the customer index each log names; -1 for none


@dataclass(frozen=True)
class Leads:
    """Every lead; ``counted``: created in the window. Links to deals as row pairs."""

    frame: pd.DataFrame
    created: np.ndarray  # day numbers
    counted: np.ndarray  # created in the window
    converted: np.ndarray  # its status says so, or it has a converted date, or a deal
    opportunity: np.ndarray  # a deal of the deals file is linked to it
    won: np.ndarray  # a won deal is linked to it (whenever it closed)
    converted_day: np.ndarray  # converted date, else its first deal's created (else close) day
    deal: np.ndarray  # its first linked deal (for grouping); -1: none
    customer: np.ndarray  # its customer index (its own, else its deal's); -1: none
    pair_lead: np.ndarray  # the (lead, deal) links, distinct
    pair_deal: np.ndarray
    deal_once: bool  # no deal is linked to two leads (the usual case)
    outside: int  # leads created outside the window (not counted)
    first_outside: float  # the earliest created day of those (NaN: none)


@dataclass(frozen=True)
class Prepared:
    """The inputs of one window, prepared: what every figure is computed from."""

    settings: Settings
    start: float  # the window, as day numbers
    end: float
    deals: Deals
    customers: Customers
    costs: Costs
    time: TimeLogs
    has_costs: bool  # a costs input was given (figures of cost are null without)
    has_time: bool
    aliases: dict[InputKind, dict[str, str]]
    leads: Leads | None = None  # None: no leads input


def prepare(inputs: Inputs, settings: Settings, start: date, end: date) -> Prepared:
    """The inputs prepared for the window [start, end]."""
    first, last = epoch_day(start), epoch_day(end)
    deals = _deals(inputs.deals, first, last)
    logs = inputs.time_logs
    with ThreadPoolExecutor(max_workers=2) as pool:
        # Beside the customers: the time logs' deal links (the biggest lookup), and the
        # campaigns' channels (from the deals alone), then the costs they give a channel to.
        links = pool.submit(_deal_links, deals.ids, logs, inputs)
        channels = pool.submit(_campaign_channels, deals.frame)
        costs_of = pool.submit(lambda: _costs(inputs.costs, first, last, channels.result()))
        customers, deal_customer = _customers(deals, inputs, settings)
        deals = _with_customers(deals, deal_customer)
        time = _time(logs, first, last, links.result(), customers.ids, channels.result())
        costs = costs_of.result()
    leads = None
    if inputs.leads is not None:
        leads = _leads(inputs.leads, inputs.lead_links, deals, customers.ids, first, last)
    return Prepared(
        settings=settings,
        start=first,
        end=last,
        deals=deals,
        customers=customers,
        costs=costs,
        time=time,
        has_costs=inputs.costs is not None,
        has_time=inputs.time_logs is not None,
        aliases=inputs.aliases,
        leads=leads,
    )


def _statuses(frame: pd.DataFrame, status: str) -> np.ndarray:
    return np.asarray((frame["status"] == status).to_numpy(dtype=bool, na_value=False))


def _deals(frame: pd.DataFrame, start: float, end: float) -> Deals:
    close = day_numbers(frame.get("close_date"), len(frame))
    created = day_numbers(frame.get("created_date"), len(frame))
    amount = frame["amount"] if "amount" in frame else pd.Series(0, index=frame.index)
    closed_in = (close >= start) & (close <= end)
    created_in = (created >= start) & (created <= end)
    won, is_open = _statuses(frame, "won"), _statuses(frame, "open")
    return Deals(
        frame=frame,
        close=close,
        created=created,
        cents=amount.fillna(0).to_numpy(dtype=np.int64),
        ever_won=won,
        ever_open=is_open,
        won=won & closed_in,
        lost=_statuses(frame, "lost") & closed_in,
        open=is_open & (created_in | np.isnan(created)),
        ids=arrow_text(frame["deal_id"]),  # unique: validation saw to it
        customer=np.zeros(0, dtype=np.int64),  # set by _with_customers
    )


def _with_customers(deals: Deals, customer: np.ndarray) -> Deals:
    return replace(deals, customer=customer)


def _customers(deals: Deals, inputs: Inputs, settings: Settings) -> tuple[Customers, np.ndarray]:
    """Every customer: the deals' and the customers file's, and each deal's customer index.
    Acquisition: the file's date, else its first won deal ever (ties: the smallest deal id)."""
    frame, records = deals.frame, inputs.customers
    ids, deal_customer, file_codes = _customer_ids(frame, inputs)
    n = len(ids)
    won = np.flatnonzero(deals.ever_won & ~np.isnan(deals.close) & (deal_customer >= 0))
    acquisition_deal = _first_won(deal_customer[won], deals.close[won], won, frame["deal_id"], n)
    has = acquisition_deal >= 0
    acquired = np.full(n, np.nan)
    acquired[has] = deals.close[acquisition_deal[has]]
    last_won = np.full(n, -np.inf)
    np.maximum.at(last_won, deal_customer[won], deals.close[won])
    last_won[np.isinf(last_won)] = np.nan
    fields = pd.DataFrame(index=range(n))
    churned = None
    if records is not None:
        first = ~pd.Series(file_codes).duplicated().to_numpy() & (file_codes >= 0)
        own = records[first].set_axis(file_codes[first]).reindex(range(n))
        if "acquired_date" in own:
            given = day_numbers(own["acquired_date"], n)
            acquired = np.where(np.isnan(given), acquired, given)
        if "churned_date" in records:
            churned = day_numbers(own["churned_date"], n)
        dropped = ("customer_id", "acquired_date", "churned_date", "_row")
        fields = own.drop(columns=[c for c in dropped if c in own])
    if churned is None:
        churned = _churn_by_silence(deals, last_won, settings.churn_after_days)
    customers = Customers(ids, fields, acquisition_deal, acquired, churned)
    return customers, deal_customer


def _customer_ids(frame: pd.DataFrame, inputs: Inputs) -> tuple[IdIndex, np.ndarray, np.ndarray]:
    """Every customer id, the deals' and the customers file's, as one hash of the two
    columns one after the other gives them (the dictionary is every customer, the indices the
    links), and each deal's and each record's position among them. From the ids validation
    hashed, when it hashed both (a big file) and their kind allows (IdIndex.union)."""
    records = inputs.customers
    has_ids = "customer_id" in frame
    on_deals = inputs.hashed(InputKind.DEALS, "customer_id", len(frame)) if has_ids else None
    if records is None and on_deals is not None:
        return on_deals[0], on_deals[1], np.zeros(0, dtype=np.int64)
    on_file = (
        inputs.hashed(InputKind.CUSTOMERS, "customer_id", len(records))
        if records is not None
        else None
    )
    if on_deals is not None and on_file is not None:
        union = IdIndex.union(on_deals[0], on_file[0])
        if union is not None:
            index, at_deals, at_file = union
            return index, take(at_deals, on_deals[1]), take(at_file, on_file[1])
    from_deals = arrow_text(frame["customer_id"]) if has_ids else pa.nulls(len(frame), pa.string())
    from_file = (
        arrow_text(records["customer_id"]) if records is not None else pa.array([], pa.string())
    )
    index, codes = IdIndex.encode(pa.concat_arrays([from_deals, from_file]))
    return index, codes[: len(frame)], codes[len(frame) :]


def _churn_by_silence(deals: Deals, last_won: np.ndarray, after_days: int) -> np.ndarray:
    """With no churn dates: the last won deal + ``after_days``, when the data reach that day
    (the latest created or close date of a closed deal)."""
    closed = np.where(deals.ever_open, np.nan, deals.close)
    data_end = np.nanmax(np.concatenate([closed, deals.created, [-np.inf]]))
    guess = last_won + after_days
    return np.where(guess <= data_end, guess, np.nan)


def _first_won(
    cust: np.ndarray, close: np.ndarray, rows: np.ndarray, deal_ids: pd.Series, n: int
) -> np.ndarray:
    """Each customer's acquisition deal: its earliest won deal, the smallest deal id on a tie."""
    first = np.full(n, -1, dtype=np.int64)
    if not len(rows):
        return first
    earliest = np.full(n, np.inf)
    np.minimum.at(earliest, cust, close)
    tied = close == earliest[cust]
    cust, rows = cust[tied], rows[tied]
    count = np.bincount(cust, minlength=n)
    alone = count[cust] == 1
    first[cust[alone]] = rows[alone]
    if (~alone).any():
        ties = (
            pd.DataFrame(
                {
                    "c": cust[~alone],
                    "id": arrow_text(deal_ids).take(rows[~alone]).to_numpy(zero_copy_only=False),
                    "row": rows[~alone],
                }
            )
            .sort_values(["c", "id"])
            .drop_duplicates("c")
        )
        first[ties["c"].to_numpy()] = ties["row"].to_numpy()
    return first


def _campaign_channels(deals: pd.DataFrame) -> dict[str, str]:
    """Campaigns the deals tie to exactly one channel."""
    if "campaign" not in deals or "channel" not in deals:
        return {}
    campaigns, campaign_codes = text_codes(deals["campaign"])
    channels, channel_codes = text_codes(deals["channel"])
    both = (campaign_codes >= 0) & (channel_codes >= 0)
    pairs = pd.unique(campaign_codes[both] * len(channels) + channel_codes[both])
    campaign, channel = np.divmod(pairs, max(len(channels), 1))
    alone = np.bincount(campaign, minlength=len(campaigns))[campaign] == 1
    names, kinds = campaigns.to_pylist(), channels.to_pylist()
    return {names[c]: kinds[h] for c, h in zip(campaign[alone], channel[alone], strict=True)}


def _with_channel(frame: pd.DataFrame, channel_of: dict[str, str]) -> pd.DataFrame:
    """A row with a campaign but no channel takes the campaign's channel from the deals."""
    if "campaign" not in frame or not channel_of:
        return frame
    campaigns, codes = text_codes(frame["campaign"])
    their = np.array([channel_of.get(c) for c in campaigns.to_pylist()] + [None], dtype=object)
    inferred = pd.Series(pd.array(their[codes], dtype="str"), index=frame.index)
    frame = frame.copy()
    if "channel" not in frame:
        frame["channel"] = inferred
        return frame
    channel = frame["channel"]
    if isinstance(channel.dtype, pd.CategoricalDtype):
        known = set(channel.cat.categories)
        channel = channel.cat.add_categories(sorted(set(channel_of.values()) - known))
    frame["channel"] = channel.where(channel.notna(), inferred)
    return frame


def _rows(frame: pd.DataFrame, keep: np.ndarray) -> pd.DataFrame:
    """The rows kept, numbered from 0: the frame itself when all are (no copy of a million
    time logs; nothing here changes a frame in place)."""
    if keep.all() and isinstance(frame.index, pd.RangeIndex) and frame.index.start == 0:
        return frame
    return frame[keep].reset_index(drop=True)


def _costs(
    records: pd.DataFrame | None, start: float, end: float, channel_of: dict[str, str]
) -> Costs:
    if records is None or records.empty:
        empty = np.zeros(0)
        return Costs(pd.DataFrame(), empty, empty, np.zeros(0, np.int64), np.zeros(0, bool))
    single = day_numbers(records.get("date"), len(records))
    span_start = day_numbers(records.get("start_date"), len(records))
    span_end = day_numbers(records.get("end_date"), len(records))
    first = np.where(np.isnan(single), span_start, single)
    last = np.where(np.isnan(single), span_end, single)
    touch = (first <= end) & (last >= start)
    frame = _with_channel(_rows(records, touch), channel_of)
    retention = (
        (frame["type"] == "retention").to_numpy(dtype=bool, na_value=False)
        if "type" in frame
        else np.zeros(len(frame), bool)
    )
    cents = frame["amount"].to_numpy(dtype=np.int64)
    return Costs(frame, first[touch], last[touch], cents, retention)


def _deal_links(deal_ids: pa.Array, logs: pd.DataFrame | None, inputs: Inputs) -> np.ndarray:
    """The deal row each time log names; -1 for none. The deals' ids as validation hashed
    them, unique among the rows kept, when it did; the time logs' too: then each distinct
    id is looked up once."""
    if logs is None or "deal_id" not in logs:
        return np.full(0 if logs is None else len(logs), -1, dtype=np.int64)
    known = inputs.hashed(InputKind.DEALS, "deal_id", len(deal_ids))
    validated = known is not None
    index, codes = known if known is not None else IdIndex.encode(deal_ids)
    row = np.full(len(index), -1, dtype=np.int64)
    named = np.flatnonzero(codes >= 0)
    if validated or len(index) == len(named):
        row[codes[named]] = named
    else:  # a repeated id (records not from validation): the first row counts
        row[:] = len(codes)
        np.minimum.at(row, codes[named], named)
    on_logs = inputs.hashed(InputKind.TIME_LOGS, "deal_id", len(logs))
    if on_logs is not None:
        return take(take(row, index.positions_of(on_logs[0])), on_logs[1])
    return take(row, index.find(arrow_text(logs["deal_id"])))


def _time(
    logs: pd.DataFrame | None,
    start: float,
    end: float,
    deal_links: np.ndarray,
    customer_ids: IdIndex,
    channel_of: dict[str, str],
) -> TimeLogs:
    if logs is None or logs.empty:
        none = np.zeros(0, np.int64)
        return TimeLogs(
            pd.DataFrame(), np.zeros(0), np.zeros(0), none, np.zeros(0, bool), none, none
        )
    day = day_numbers(logs["date"], len(logs))
    keep = (day >= start) & (day <= end)
    frame = _with_channel(_rows(logs, keep), channel_of)
    hours = frame["hours"].to_numpy(dtype=float)
    rate = frame["hourly_rate"].to_numpy(dtype=np.int64)
    retention = _retention(frame["activity"]) if "activity" in frame else np.zeros(len(frame), bool)
    customer = (
        customer_ids.find(arrow_text(frame["customer_id"]))
        if "customer_id" in frame
        else np.full(len(frame), -1)
    )
    return TimeLogs(
        frame, day[keep], hours, time_cents(hours, rate), retention, deal_links[keep], customer
    )


def _retention(activities: pd.Series) -> np.ndarray:
    """Which time logs are retention work: each distinct activity looked at once."""
    distinct, codes = text_codes(activities)
    flags = np.append(is_retention(distinct), False)
    return np.asarray(flags[codes], dtype=bool)  # a code of -1 takes the last: no activity


def is_retention(activities: pa.Array) -> np.ndarray:
    """Which time logs are retention work, by their activity (case and spaces aside)."""

    def retention(names: pa.Array) -> pa.Array:
        tidy = pc.utf8_trim_whitespace(pc.utf8_lower(names)).to_pylist()
        return pa.array([name in RETENTION_WORDS for name in tidy], pa.bool_())

    flags = pc.fill_null(per_distinct(activities, retention), False)
    return np.asarray(flags.to_numpy(zero_copy_only=False), dtype=bool)


def _leads(
    frame: pd.DataFrame,
    links: LeadLinks | None,
    deals: Deals,
    customer_ids: IdIndex,
    start: float,
    end: float,
) -> Leads:
    """The leads and what became of them (docs/metrics.md, leads): converted when the status
    says so, a converted date is given or a deal links to it; won when a won deal does."""
    n = len(frame)
    links = links if links is not None else link_leads(frame, deals.frame)
    created = day_numbers(frame.get("created_date"), n)
    counted = (created >= start) & (created <= end)
    said = (
        np.asarray((frame["status"] == "converted").to_numpy(dtype=bool, na_value=False))
        if "status" in frame
        else np.zeros(n, dtype=bool)
    )
    converted_date = day_numbers(frame.get("converted_date"), n)
    lead, deal = links.lead, links.deal
    opportunity = np.bincount(lead, minlength=n).astype(bool)
    won = np.bincount(lead[deals.ever_won[deal]], minlength=n).astype(bool)
    first_deal = np.full(n, -1, dtype=np.int64)
    leading, at = np.unique(lead, return_index=True)  # pairs come by lead, then deal
    first_deal[leading] = deal[at]
    # The day a deal shows the lead converted: the deal's created day, else its close day (an
    # open deal's close date is a forecast).
    closed = np.where(deals.ever_open, np.nan, deals.close)
    deal_day = np.where(np.isnan(deals.created), closed, deals.created)
    earliest = np.full(n, np.inf)
    if len(lead):
        np.fmin.at(earliest, lead, deal_day[deal])
    earliest[np.isinf(earliest)] = np.nan
    own = (
        customer_ids.find(arrow_text(frame["customer_id"]))
        if "customer_id" in frame and len(customer_ids)
        else np.full(n, -1, dtype=np.int64)
    )
    via_deal = take(deals.customer, first_deal) if len(deals.customer) else np.full(n, -1)
    outside = ~counted & ~np.isnan(created)
    return Leads(
        frame=frame,
        created=created,
        counted=counted,
        converted=said | ~np.isnan(converted_date) | opportunity,
        opportunity=opportunity,
        won=won,
        converted_day=np.where(np.isnan(converted_date), earliest, converted_date),
        deal=first_deal,
        customer=np.where(own >= 0, own, via_deal),
        pair_lead=lead,
        pair_deal=deal,
        deal_once=not len(deal) or int(np.bincount(deal).max()) <= 1,
        outside=int(outside.sum()),
        first_outside=float(created[outside].min()) if outside.any() else float("nan"),
    )

"""The figures of the metric contract: validated records in, a :class:`Report` out.

This module is pure: DataFrames in, results out; no I/O and no printing. Every figure is
defined here and documented, in the user's words, in ``docs/metrics.md``.

Money is integer cents from the readers onwards; group sums stay integers, so revenue and cost
are exact to the cent. Derived figures (averages, ratios) are computed from those exact sums
with :class:`~decimal.Decimal`.

How a breakdown is made: every row that carries a figure gets a key per dimension —

- deals: their own field or kept attribute, their customer's field, the period of their close
  date (open deals: of their created date), or the cohort (acquisition month) of their customer;
  no value → ``(none)``;
- costs: their own column of that name (a campaign without a channel gets the channel the deals
  tie that campaign to), the period of the cost's date; no value → ``(unattributed)``;
- time logs: their own column, else through their link — a deal gives that deal's keys, a
  customer that customer's (and its acquisition deal's), a campaign or channel those —, the
  period of their own date; no link → ``(unattributed)``;
- customers (new customers, churn, CLV to date): their own field, else the value of their
  acquisition deal; periods by acquisition date.

A group with a period key has that period (within the window) as its own window: its purchase
frequency, churn and CLV to date are measured over it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from typing import Any, cast

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from crm_roi.errors import CrmRoiError, UsageError
from crm_roi.ids import IdIndex, encode_text
from crm_roi.mapping import normalise_header
from crm_roi.parse import per_distinct
from crm_roi.schema import InputKind, Kind, field_specs
from crm_roi.settings import Settings
from crm_roi.validate import ROW

FIELDS = (
    "revenue", "won_deals", "lost_deals", "open_deals", "win_rate", "avg_deal_size",
    "sales_cycle_days", "direct_cost", "time_cost", "hours", "cost", "gross_profit",
    "net_return", "roi", "new_customers", "acquisition_cost", "cac", "active_customers",
    "purchase_frequency", "churn_rate", "lifespan_years", "clv", "clv_to_date", "ltv_cac",
    "payback_months",
)  # fmt: skip
MONEY = frozenset({
    "revenue", "avg_deal_size", "direct_cost", "time_cost", "cost", "gross_profit", "net_return",
    "acquisition_cost", "cac", "clv", "clv_to_date",
})  # fmt: skip
COUNTS = frozenset({"won_deals", "lost_deals", "open_deals", "new_customers", "active_customers"})
PERIODS = ("month", "quarter", "year")
COHORT = "cohort"
NONE = "(none)"
UNATTRIBUTED = "(unattributed)"
ALLOCATIONS = ("none", "revenue", "deals", "even")
DAYS_PER_YEAR = Decimal("365.25")
RETENTION_ACTIVITIES = frozenset({
    "account management", "accountmanagement", "support", "onboarding", "renewal", "renewals",
    "customer success", "retention", "verlenging", "klantbehoud", "accountbeheer",
})  # fmt: skip


class CurrencyError(CrmRoiError):
    """Amounts in several currencies and no rate to add them up."""


@dataclass
class Inputs:
    """Validated records (see :mod:`crm_roi.validate`): money in integer cents."""

    deals: pd.DataFrame
    costs: pd.DataFrame | None = None
    customers: pd.DataFrame | None = None
    time_logs: pd.DataFrame | None = None
    # The file's own header of a mapped field, per kind: normalised header → field, so that
    # --by names a mapped column by its header too (--by sales_agent for owner).
    aliases: dict[InputKind, dict[str, str]] = field(default_factory=dict)


@dataclass
class Report:
    currency: str | None
    start: date
    end: date
    settings: Settings
    totals: dict[str, Any]
    breakdowns: dict[str, list[dict[str, Any]]]
    warnings: list[str]


# ---------------------------------------------------------------------------------------------
# Entry point


def compute(inputs: Inputs, settings: Settings) -> Report:
    """Totals and every requested breakdown for the window, as the contract defines them."""
    if settings.allocate not in ALLOCATIONS:
        raise UsageError(f"--allocate must be one of {', '.join(ALLOCATIONS)}")
    warnings: list[str] = []
    currency, inputs = convert_currencies(inputs, settings, warnings)
    start, end = settings.start, settings.end
    data_start, data_end = data_window(inputs)
    start = start or data_start
    end = end or data_end
    if start is None or end is None:
        raise CrmRoiError("no dates in the inputs: pass --from and --to")
    if start > end:
        raise UsageError(f"the window is empty: --from {start} is after --to {end}")
    model = Model(inputs, settings, start, end, warnings)
    groupings: list[tuple[str, ...]] = [(), *settings.by]
    notes: list[list[str]] = [[] for _ in groupings]
    # NumPy and Arrow release the GIL in their loops: breakdowns share the two cores.
    with ThreadPoolExecutor(max_workers=min(2, len(groupings))) as pool:
        results = list(pool.map(model.figures, groupings, notes))
    for found in notes:
        warnings.extend(found)
    totals = results[0][()]
    breakdowns = {}
    for dims, rows in zip(settings.by, results[1:], strict=True):
        numeric = [_all_numbers(key[i] for key in rows) for i in range(len(dims))]
        breakdowns[",".join(dims)] = [
            {**dict(zip(dims, key, strict=True)), **figures}
            for key, figures in sorted(rows.items(), key=lambda kv: _sort_key(kv[0], numeric))
        ]
    return Report(
        currency, start, end, replace(settings, start=start, end=end), totals, breakdowns, warnings
    )


def _sort_key(key: tuple[str, ...], numeric: Sequence[bool]) -> tuple[tuple[int, Any], ...]:
    """Keys in order, numbers as numbers where every key of the dimension is one; ``(none)``
    and ``(unattributed)`` last."""
    return tuple(
        (
            2 if k == UNATTRIBUTED else 1 if k == NONE else 0,
            _number(k) if n and k not in (NONE, UNATTRIBUTED) else k,
        )
        for k, n in zip(key, numeric, strict=True)
    )


def _number(text: str) -> Decimal:
    try:
        return Decimal(text)
    except ArithmeticError:
        return Decimal(0)


def _all_numbers(keys: Any) -> bool:
    """Whether every key (``(none)`` and ``(unattributed)`` aside) reads as a number."""
    seen = False
    for k in keys:
        if k in (NONE, UNATTRIBUTED):
            continue
        try:
            if not Decimal(k).is_finite():
                return False
        except ArithmeticError:
            return False
        seen = True
    return seen


def data_window(inputs: Inputs) -> tuple[date | None, date | None]:
    """Earliest and latest date in the deals, costs and time logs.

    An open deal's close date is a forecast (Salesforce and Zoho fill it in), not a date
    anything happened on: it doesn't widen the window.
    """
    deals = inputs.deals
    close = deals.get("close_date")
    if close is not None:
        close = close.where(deals["status"] != "open")
    columns = [deals.get("created_date"), close]
    if inputs.costs is not None:
        columns += [inputs.costs.get(c) for c in ("date", "start_date", "end_date")]
    if inputs.time_logs is not None:
        columns.append(inputs.time_logs.get("date"))
    lows = [c.min() for c in columns if c is not None and c.notna().any()]
    highs = [c.max() for c in columns if c is not None and c.notna().any()]
    if not lows:
        return None, None
    return min(lows).date(), max(highs).date()


# ---------------------------------------------------------------------------------------------
# Currencies


def convert_currencies(
    inputs: Inputs, settings: Settings, warnings: list[str]
) -> tuple[str | None, Inputs]:
    """One report currency: amounts in others are converted with ``settings.rates`` (units of
    the report currency per unit), rounded half up to the cent; without a rate, an error."""
    money = [(inputs.deals, "amount", "deals")]
    if inputs.costs is not None:
        money.append((inputs.costs, "amount", "costs"))
    if inputs.time_logs is not None:
        money.append((inputs.time_logs, "hourly_rate", "time logs"))
    seen: dict[str, set[str]] = {}
    for frame, column, label in money:
        if "currency" in frame and column in frame:
            present = frame.loc[frame[column].notna(), "currency"].dropna().str.upper().unique()
            for code in present:
                seen.setdefault(str(code), set()).add(label)
    currency = settings.currency.upper() if settings.currency else None
    if currency is None:
        if len(seen) > 1:
            listing = ", ".join(f"{c} ({' and '.join(sorted(w))})" for c, w in sorted(seen.items()))
            raise CurrencyError(
                f"amounts are in several currencies: {listing}; pass --currency and --rates "
                "to convert them, they are never added up as they are"
            )
        currency = next(iter(seen), None)
    rates = {k.upper(): v for k, v in settings.rates.items()}
    missing = sorted(c for c in seen if c != currency and c not in rates)
    if missing:
        raise CurrencyError(
            f"no exchange rate for {', '.join(missing)} into {currency}: add them to --rates"
        )
    if not (set(seen) - {currency}):
        return currency, inputs

    def convert(frame: pd.DataFrame | None, column: str) -> pd.DataFrame | None:
        if frame is None or "currency" not in frame:
            return frame
        frame = frame.copy()
        codes = frame["currency"].str.upper()
        for code in set(seen) - {currency}:
            mask = (codes == code).fillna(False).to_numpy()
            if mask.any():
                frame.loc[mask, column] = scale_cents(frame.loc[mask, column], rates[code])
        frame["currency"] = currency
        return frame

    converted = Inputs(
        deals=convert(inputs.deals, "amount"),
        costs=convert(inputs.costs, "amount"),
        customers=inputs.customers,
        time_logs=convert(inputs.time_logs, "hourly_rate"),
        aliases=inputs.aliases,
    )
    warnings.append(
        "converted into "
        + str(currency)
        + " at "
        + ", ".join(f"{c} {rates[c]}" for c in sorted(set(seen) - {currency}))
    )
    return currency, converted


def scale_cents(cents: pd.Series, factor: Decimal | float) -> pd.Series:
    """Cents × factor, rounded half away from zero to whole cents, in exact integer arithmetic.

    >>> scale_cents(pd.Series([110, -110], dtype="Int64"), Decimal("1.15")).tolist()
    [127, -127]
    """
    num, den = Decimal(str(factor)).as_integer_ratio()
    missing = cents.isna().to_numpy()
    values = cents.fillna(0).to_numpy(dtype=np.int64).astype(object)
    magnitude = (np.abs(values) * num * 2 + den) // (2 * den)
    scaled = np.where(values < 0, -magnitude, magnitude)
    out = pd.Series(scaled.astype(np.int64), index=cents.index, dtype="Int64")
    return out.mask(missing)


# ---------------------------------------------------------------------------------------------
# The model: prepared arrays, and the group of every row per dimension


@dataclass
class Keys:
    """One dimension's groups: ``labels`` and, per kind of row, the index of its label."""

    labels: list[str]
    deals: np.ndarray
    customers: np.ndarray
    costs: np.ndarray
    time: np.ndarray


class Vocabulary:
    """Labels of one dimension, shared by deals, customers, costs and time logs."""

    def __init__(self) -> None:
        self.labels: list[str] = []
        self.index: dict[str, int] = {}

    def code(self, label: str) -> int:
        if label not in self.index:
            self.index[label] = len(self.labels)
            self.labels.append(label)
        return self.index[label]

    def codes(self, values: pd.Series | np.ndarray) -> np.ndarray:
        """The label index of every value; -1 where there is none."""
        text = (
            _arrow(values)
            if isinstance(values, pd.Series)
            else pa.array(values, pa.string(), from_pandas=True)
        )
        distinct, found = encode_text(text)
        lookup = np.array([self.code(str(u)) for u in distinct.to_pylist()] + [-1], dtype=np.int64)
        return lookup.take(found)

    def fill(self, codes: np.ndarray, missing: str) -> np.ndarray:
        """``codes`` with -1 replaced by the label ``missing``."""
        if (codes < 0).any():
            return np.where(codes < 0, self.code(missing), codes)
        return codes


class Model:
    """The inputs prepared for one window, as arrays: what counts, and where it belongs."""

    def __init__(
        self, inputs: Inputs, settings: Settings, start: date, end: date, warnings: list[str]
    ) -> None:
        self.settings = settings
        self.warnings = warnings
        self.start, self.end = _epoch_day(start), _epoch_day(end)
        self.aliases = inputs.aliases
        self.has_costs = inputs.costs is not None
        self.has_time = inputs.time_logs is not None
        self._prepare_deals(inputs.deals)
        logs = inputs.time_logs
        with ThreadPoolExecutor(max_workers=1) as pool:
            # The time logs' deal links are the biggest lookup: it runs beside the rest.
            links = pool.submit(self._deal_links, logs)
            self._prepare_customers(inputs.customers)
            self.campaign_channel = self._campaign_channels()
            self._prepare_costs(inputs.costs)
            self._prepare_time(logs, links.result())

    # --- preparation ---------------------------------------------------------------------------

    def _prepare_deals(self, deals: pd.DataFrame) -> None:
        self.deals = deals
        self.d_close = _days(deals.get("close_date"), len(deals))
        self.d_created = _days(deals.get("created_date"), len(deals))
        amount = deals["amount"] if "amount" in deals else pd.Series(0, index=deals.index)
        self.d_cents = amount.fillna(0).to_numpy(dtype=np.int64)
        in_window = (self.d_close >= self.start) & (self.d_close <= self.end)
        self.d_won_any = (deals["status"] == "won").to_numpy(dtype=bool, na_value=False)
        self.won = self.d_won_any & in_window
        self.lost = (deals["status"] == "lost").to_numpy(dtype=bool, na_value=False) & in_window
        created_in = (self.d_created >= self.start) & (self.d_created <= self.end)
        is_open = (deals["status"] == "open").to_numpy(dtype=bool, na_value=False)
        self.open = is_open & (created_in | np.isnan(self.d_created))
        self.d_open_any = is_open
        self.deal_ids = _arrow(deals["deal_id"])  # unique: validation saw to it

    def _prepare_customers(self, customers: pd.DataFrame | None) -> None:
        """Every customer: the deals' and the customers file's. Acquisition: the file's date,
        else its first won deal ever (ties: the smallest deal id)."""
        from_deals = (
            _arrow(self.deals["customer_id"])
            if "customer_id" in self.deals
            else pa.nulls(len(self.deals), pa.string())
        )
        from_file = (
            _arrow(customers["customer_id"]) if customers is not None else pa.array([], pa.string())
        )
        # One hash pass over both: the dictionary is every customer, the indices the links.
        ids, codes = IdIndex.encode(pa.concat_arrays([from_deals, from_file]))
        self.customer_ids = ids
        n = len(ids)
        self.d_cust = codes[: len(self.deals)]
        file_codes = codes[len(self.deals) :]
        won = np.flatnonzero(self.d_won_any & ~np.isnan(self.d_close) & (self.d_cust >= 0))
        self.c_acq_deal = _first_won(
            self.d_cust[won], self.d_close[won], won, self.deals["deal_id"], n
        )
        has = self.c_acq_deal >= 0
        self.c_acquired = np.full(n, np.nan)
        self.c_acquired[has] = self.d_close[self.c_acq_deal[has]]
        last_won = np.full(n, -np.inf)
        np.maximum.at(last_won, self.d_cust[won], self.d_close[won])
        last_won[np.isinf(last_won)] = np.nan
        self.customers = pd.DataFrame(index=range(n))
        if customers is not None:
            first = ~pd.Series(file_codes).duplicated().to_numpy() & (file_codes >= 0)
            own = customers[first].set_axis(file_codes[first]).reindex(range(n))
            if "acquired_date" in own:
                given = _days(own["acquired_date"], n)
                self.c_acquired = np.where(np.isnan(given), self.c_acquired, given)
            dropped = ("customer_id", "acquired_date", "churned_date", "_row")
            self.customers = own.drop(columns=[c for c in dropped if c in own])
        if customers is not None and "churned_date" in customers:
            self.c_churn = _days(own["churned_date"], n)
        else:
            closed = np.where(self.d_open_any, np.nan, self.d_close)
            data_end = np.nanmax(np.concatenate([closed, self.d_created, [-np.inf]]))
            guess = last_won + self.settings.churn_after_days
            self.c_churn = np.where(guess <= data_end, guess, np.nan)

    def _campaign_channels(self) -> dict[str, str]:
        """Campaigns the deals tie to exactly one channel."""
        d = self.deals
        if "campaign" not in d or "channel" not in d:
            return {}
        campaigns, campaign_codes = encode_text(_arrow(d["campaign"]))
        channels, channel_codes = encode_text(_arrow(d["channel"]))
        both = (campaign_codes >= 0) & (channel_codes >= 0)
        pairs = pd.unique(campaign_codes[both] * len(channels) + channel_codes[both])
        campaign, channel = np.divmod(pairs, max(len(channels), 1))
        alone = np.bincount(campaign, minlength=len(campaigns))[campaign] == 1
        names, kinds = campaigns.to_pylist(), channels.to_pylist()
        return {names[c]: kinds[h] for c, h in zip(campaign[alone], channel[alone], strict=True)}

    def _with_channel(self, frame: pd.DataFrame) -> pd.DataFrame:
        """A row with a campaign but no channel takes the campaign's channel from the deals."""
        if "campaign" not in frame or not self.campaign_channel:
            return frame
        inferred = frame["campaign"].map(self.campaign_channel)
        frame = frame.copy()
        frame["channel"] = (
            frame["channel"].where(frame["channel"].notna(), inferred)
            if "channel" in frame
            else inferred
        )
        return frame

    def _prepare_costs(self, costs: pd.DataFrame | None) -> None:
        """Cost rows that touch the window; a cost spread over days keeps its whole span."""
        if costs is None or costs.empty:
            self.costs = pd.DataFrame({"cents": np.zeros(0, np.int64)})
            self.k_first = self.k_last = np.zeros(0)
            self.k_retention = np.zeros(0, bool)
            return
        single = _days(costs.get("date"), len(costs))
        first = np.where(np.isnan(single), _days(costs.get("start_date"), len(costs)), single)
        last = np.where(np.isnan(single), _days(costs.get("end_date"), len(costs)), single)
        touch = (first <= self.end) & (last >= self.start)
        self.costs = self._with_channel(costs[touch].reset_index(drop=True))
        self.k_first, self.k_last = first[touch], last[touch]
        self.costs["cents"] = self.costs["amount"].to_numpy(dtype=np.int64)
        self.k_retention = (
            (self.costs["type"] == "retention").to_numpy(dtype=bool, na_value=False)
            if "type" in self.costs
            else np.zeros(len(self.costs), bool)
        )

    def cost_segments(self, period: str | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Each cost cut to the window (and to periods): (row of the cost, first day, cents).

        A cost spread over N days gives floor(A·k/N) cents to its first k days, so any cut of
        its days adds up to exactly A.
        """
        lo = np.maximum(self.k_first, self.start)
        hi = np.minimum(self.k_last, self.end)
        rows = np.arange(len(lo))
        if period is not None:
            rows, lo, hi = _split_by_period(rows, lo, hi, period)
        first, last = self.k_first[rows], self.k_last[rows]
        cents = self.costs["cents"].to_numpy()[rows]
        span = (last - first + 1).astype(np.int64)
        k_lo = (lo - first).astype(np.int64)
        k_hi = (hi - first + 1).astype(np.int64)
        if len(cents) and float(np.abs(cents).max()) * float(span.max()) > 9e18:
            cents = cents.astype(object)
        part = (cents * k_hi) // span - (cents * k_lo) // span
        return rows, lo, np.asarray(part, dtype=np.int64)

    def _deal_links(self, logs: pd.DataFrame | None) -> np.ndarray:
        """The deal row each time log names; -1 for none."""
        if logs is None or "deal_id" not in logs:
            return np.full(0 if logs is None else len(logs), -1, dtype=np.int64)
        index, codes = IdIndex.encode(self.deal_ids)
        row = np.full(len(index), -1, dtype=np.int64)
        named = np.flatnonzero(codes >= 0)
        if len(index) == len(named):
            row[codes[named]] = named
        else:  # a repeated id (records not from validation): the first row counts
            row[:] = len(codes)
            np.minimum.at(row, codes[named], named)
        return _take(row, index.find(_arrow(logs["deal_id"])))

    def _prepare_time(self, logs: pd.DataFrame | None, deal_links: np.ndarray) -> None:
        if logs is None or logs.empty:
            self.time = pd.DataFrame({"cents": np.zeros(0, np.int64)})
            self.t_day = np.zeros(0)
            self.t_deal = self.t_cust = np.zeros(0, np.int64)
            self.t_hours = np.zeros(0)
            self.t_retention = np.zeros(0, bool)
            return
        day = _days(logs["date"], len(logs))
        keep = (day >= self.start) & (day <= self.end)
        t = self._with_channel(logs[keep].reset_index(drop=True))
        self.time, self.t_day = t, day[keep]
        self.t_hours = t["hours"].to_numpy(dtype=float)
        rate = t["hourly_rate"].to_numpy(dtype=np.int64)
        self.time["cents"] = time_cents(self.t_hours, rate)
        self.t_retention = (
            _is_retention(_arrow(t["activity"])) if "activity" in t else np.zeros(len(t), bool)
        )
        self.t_deal = deal_links[keep]
        self.t_cust = (
            self.customer_ids.find(_arrow(t["customer_id"]))
            if "customer_id" in t
            else np.full(len(t), -1)
        )

    # --- keys -----------------------------------------------------------------------------

    def _column(self, frame: pd.DataFrame, dim: str, kind: InputKind) -> str | None:
        return _find_column(frame, dim, kind, self.aliases.get(kind, {}))

    def keys(self, dim: str, cost_rows: np.ndarray, cost_days: np.ndarray) -> Keys:
        """The group of every deal, customer, cost segment and time log for ``dim``."""
        vocab = Vocabulary()
        if dim in PERIODS:
            for label in _period_labels(self.start, self.end, dim):
                vocab.code(label)  # every period of the window has a code, in order
            deal_day = np.where(self.open, self.d_created, self.d_close)
            deals = _period_codes(vocab, deal_day, dim)
            return Keys(
                vocab.labels,
                vocab.fill(deals, NONE),
                vocab.fill(_period_codes(vocab, self.c_acquired, dim), NONE),
                vocab.fill(_period_codes(vocab, cost_days, dim), UNATTRIBUTED),
                vocab.fill(_period_codes(vocab, self.t_day, dim), UNATTRIBUTED),
            )
        if dim == COHORT:
            customers = _period_codes(vocab, self.c_acquired, "month")
            deals = _take(customers, self.d_cust)
        else:
            own = self._column(self.customers, dim, InputKind.CUSTOMERS)
            column = self._column(self.deals, dim, InputKind.DEALS)
            deals = (
                vocab.codes(_labels(self.deals[column], column, InputKind.DEALS))
                if column is not None
                else np.full(len(self.deals), -1)
            )
            if own is not None:
                customers = vocab.codes(_labels(self.customers[own], own, InputKind.CUSTOMERS))
                if column is None:
                    deals = _take(customers, self.d_cust)
            else:
                customers = _take(deals, self.c_acq_deal)
        costs = np.full(len(cost_rows), -1)
        column = self._column(self.costs, dim, InputKind.COSTS)
        if column is not None and len(cost_rows):
            costs = vocab.codes(_labels(self.costs[column], column, InputKind.COSTS))[cost_rows]
        time = np.full(len(self.time), -1)
        column = self._column(self.time, dim, InputKind.TIME_LOGS)
        if column is not None and column not in ("deal_id", "customer_id") and len(self.time):
            time = vocab.codes(_labels(self.time[column], column, InputKind.TIME_LOGS))
        # A log linked to a deal (or customer) is in that deal's group, (none) included.
        deals, customers = vocab.fill(deals, NONE), vocab.fill(customers, NONE)
        time = np.where(time >= 0, time, _take(deals, self.t_deal))
        time = np.where(time >= 0, time, _take(customers, self.t_cust))
        return Keys(
            vocab.labels,
            deals,
            customers,
            vocab.fill(costs, UNATTRIBUTED),
            vocab.fill(time, UNATTRIBUTED),
        )

    # --- figures --------------------------------------------------------------------------

    def figures(
        self, dims: Sequence[str], notes: list[str] | None = None
    ) -> dict[tuple[str, ...], dict[str, Any]]:
        """Every figure for every group of ``dims`` (``()`` gives the totals)."""
        dims = tuple(dims)
        period = next((d for d in dims if d in PERIODS), None)
        cost_rows, cost_days, cost_cents = self.cost_segments(period)
        all_keys = [self.keys(d, cost_rows, cost_days) for d in dims]
        sizes = [len(k.labels) for k in all_keys]
        n_groups = math.prod(sizes)  # every combination: only those with rows are kept
        if n_groups >= 2**62:
            raise UsageError(
                f"--by {','.join(dims)}: {n_groups:,} combinations of values, too many to "
                "tell apart; break down by fewer or coarser dimensions"
            )

        def gid(kind: str) -> np.ndarray:
            n = {
                "deals": len(self.deals),
                "customers": len(self.customer_ids),
                "costs": len(cost_rows),
                "time": len(self.time),
            }[kind]
            out = np.zeros(n, dtype=np.int64)
            for keys, size in zip(all_keys, sizes, strict=True):
                out = out * size + getattr(keys, kind)
            return out

        g_deal, g_cost, g_time = gid("deals"), gid("costs"), gid("time")
        # Sums are gathered as (groups, weights) and added up at the end over the groups that
        # occur: memory grows with rows, never with the product of the dimensions' values.
        gathered: dict[str, list[tuple[np.ndarray, np.ndarray | None]]] = {}
        marked: list[np.ndarray] = []

        def add(
            name: str, groups: np.ndarray, weights: np.ndarray | None = None, mark: bool = True
        ) -> None:
            """Sum ``weights`` (or count rows) per group; ``mark``: the groups now have rows
            (False where another call marks the same rows already)."""
            gathered.setdefault(name, []).append((groups, weights))
            if mark:
                marked.append(groups)

        counted = self.won | self.lost | self.open
        add("revenue", g_deal[self.won], self.d_cents[self.won], mark=False)
        add("won", g_deal[self.won], mark=False)
        add("lost", g_deal[self.lost], mark=False)
        add("open", g_deal[self.open], mark=False)
        add("counted", g_deal[counted])  # won, lost and open: marks their groups
        cycle_rows = self.won & ~np.isnan(self.d_created)
        cycles = (
            pd.Series(self.d_close[cycle_rows] - self.d_created[cycle_rows])
            .groupby(g_deal[cycle_rows])
            .median()
        )
        active = self.won & (self.d_cust >= 0)
        n_cust = max(len(self.customer_ids), 1)
        if n_groups * n_cust < 2**62:
            pairs = pd.unique(g_deal[active] * n_cust + self.d_cust[active])
            add("active", pairs // n_cust, mark=False)  # won deals: marked
        else:  # too many combinations for one number: distinct (group, customer) rows
            both = pd.DataFrame({"g": g_deal[active], "c": self.d_cust[active]})
            add("active", both.drop_duplicates()["g"].to_numpy(), mark=False)
        if len(cost_rows):
            retention = self.k_retention[cost_rows]
            add("direct", g_cost, cost_cents)
            add("acq", g_cost[~retention], cost_cents[~retention], mark=False)
        if len(self.time):
            cents = self.time["cents"].to_numpy()
            add("time", g_time, cents)
            add("hours", g_time, self.t_hours, mark=False)
            add("acq", g_time[~self.t_retention], cents[~self.t_retention], mark=False)
        windows = self._windows(all_keys, dims, period)
        self._customer_sums(all_keys, dims, period, add)
        groups, sums, present = _sparse_sums(gathered, marked, bool(dims))
        if len(present) > MAX_GROUPS:
            raise UsageError(
                f"--by {','.join(dims)}: {len(present):,} groups, more than the "
                f"{MAX_GROUPS:,} a breakdown may have; break down by a coarser dimension"
            )

        parts: dict[tuple[str, ...], dict[str, Any]] = {}
        labels = [k.labels for k in all_keys]
        medians = cycles.to_dict()
        for i in present:
            g = int(groups[i])
            key = _unravel(g, labels, sizes)
            part: dict[str, Any] = {name: values[i] for name, values in sums.items()}
            if g in medians:
                part["cycle"] = float(medians[g])
            part["years"] = windows(key)
            parts[key] = part
        if self.settings.allocate != "none" and dims:
            allocate(parts, self.settings.allocate, self.warnings if notes is None else notes)
        return {key: self._derive(p) for key, p in parts.items()}

    def _windows(self, all_keys: list[Keys], dims: tuple[str, ...], period: str | None) -> Any:
        """Years of each group's window: the window, or for a period group its period in it."""
        whole = Decimal(int(self.end - self.start) + 1) / DAYS_PER_YEAR

        def years(key: tuple[str, ...]) -> Decimal:
            if period is None:
                return whole
            label = key[dims.index(period)]
            if label in (NONE, UNATTRIBUTED):
                return whole
            lo, hi = _period_days(label, period)
            lo, hi = max(lo, self.start), min(hi, self.end)
            return Decimal(int(hi - lo) + 1) / DAYS_PER_YEAR if hi >= lo else Decimal(0)

        return years

    def _customer_sums(
        self,
        all_keys: list[Keys],
        dims: tuple[str, ...],
        period: str | None,
        add: Any,
    ) -> None:
        """New customers, churn, time at risk and revenue to date, per group.

        For a period dimension each period (within the window) is the group's own window; the
        other dimensions group a customer by its own field or its acquisition deal's value.
        """
        n = len(self.customer_ids)
        if not n:
            return
        sizes = [len(k.labels) for k in all_keys]
        plain = np.zeros(n, dtype=np.int64)
        period_at = None
        for i, (keys, size) in enumerate(zip(all_keys, sizes, strict=True)):
            if dims[i] in PERIODS:
                period_at = i
                plain = plain * size
            else:
                plain = plain * size + keys.customers
        stride = int(np.prod(sizes[period_at + 1 :])) if period_at is not None else 0
        acquired, churn = self.c_acquired, self.c_churn
        if period is None:
            codes = np.zeros(1, dtype=np.int64)
            starts, ends = np.array([self.start]), np.array([self.end])
        else:
            labels = _period_labels(self.start, self.end, period)
            vocab = all_keys[period_at].labels  # type: ignore[index]
            codes = np.array([vocab.index(label) for label in labels], dtype=np.int64)
            bounds = np.array([_period_days(label, period) for label in labels])
            starts = np.maximum(bounds[:, 0], self.start)
            ends = np.minimum(bounds[:, 1], self.end)

        def window_of(days: np.ndarray) -> np.ndarray:
            """The window each day falls in; -1 outside them all."""
            inside = (days >= self.start) & (days <= self.end)
            return np.where(inside, np.searchsorted(ends, np.nan_to_num(days), side="left"), -1)

        def group(plain_ids: np.ndarray, window: np.ndarray) -> np.ndarray:
            return np.asarray(plain_ids + codes[window] * stride, dtype=np.int64)

        has_acq = ~np.isnan(acquired)
        w = window_of(acquired)
        add("new", group(plain[w >= 0], w[w >= 0]))
        w = np.where(has_acq, window_of(churn), -1)
        add("churned", group(plain[w >= 0], w[w >= 0]))
        compact, where = np.unique(plain, return_inverse=True)
        # Days at risk: each customer from acquisition until churn (exclusive), in each window.
        risk = _days_at_risk(acquired, churn, where, len(compact), starts, ends)
        has = np.nonzero(risk)
        add("risk_days", compact[has[0]] + codes[has[1]] * stride, risk[has])
        # To date: a customer counts in every window ending on or after its acquisition, a won
        # deal's revenue in every window ending on or after both its close and that acquisition.
        first = np.where(
            has_acq, np.searchsorted(ends, np.nan_to_num(acquired), side="left"), len(ends)
        )
        won = self.d_won_any & (self.d_cust >= 0) & ~np.isnan(self.d_close)
        cust = self.d_cust[won]
        from_deal = np.searchsorted(ends, self.d_close[won], side="left")
        deal_first = np.maximum(from_deal, first[cust])
        for name, rows, starts_at, weights in (
            ("ltd_n", where, first, None),
            ("ltd_sum", where[cust], deal_first, self.d_cents[won]),
        ):
            keep = starts_at < len(ends)
            flat = rows[keep] * len(ends) + starts_at[keep]
            grid = np.bincount(
                flat,
                weights=None if weights is None else weights[keep],
                minlength=len(compact) * len(ends),
            ).reshape(len(compact), len(ends))
            totals = np.cumsum(grid, axis=1)
            filled = np.nonzero(totals)
            gids = compact[filled[0]] + codes[filled[1]] * stride
            add(name, gids, np.rint(totals[filled]).astype(np.int64))

    def _derive(self, p: dict[str, Any]) -> dict[str, Any]:
        """The contract's figures from one group's exact sums."""
        s = self.settings
        years: Decimal = p.get("years", Decimal(0))
        revenue = _int(p.get("revenue"))
        won, lost = _int(p.get("won")), _int(p.get("lost"))
        has_cost = self.has_costs or self.has_time
        direct = _int(p.get("direct")) if self.has_costs else None
        time = _int(p.get("time")) if self.has_time else None
        allocated = _int(p.get("allocated"))
        cost = (direct or 0) + (time or 0) + allocated if has_cost else None
        acq = _int(p.get("acq")) + _int(p.get("allocated_acq")) if has_cost else None
        gross = _cents(revenue) * s.gross_margin
        net = gross - _cents(cost) if cost is not None else None
        new = _int(p.get("new"))
        active = _int(p.get("active"))
        avg = _cents(revenue) / won if won else None
        cac = _cents(acq) / new if acq is not None and new else None
        frequency = Decimal(won) / active / years if active and years else None
        risk_years = Decimal(_int(p.get("risk_days"))) / DAYS_PER_YEAR
        churn_rate = Decimal(_int(p.get("churned"))) / risk_years if risk_years else None
        if s.lifespan is not None:
            lifespan: Decimal | None = s.lifespan
        elif churn_rate is None:
            lifespan = None
        elif churn_rate == 0:
            lifespan = s.max_lifespan
        else:
            lifespan = min(1 / churn_rate, s.max_lifespan)
        clv = (
            avg * frequency * s.gross_margin * lifespan
            if avg is not None and frequency is not None and lifespan is not None
            else None
        )
        ltd_n = _int(p.get("ltd_n"))
        monthly = (
            avg * frequency * s.gross_margin / 12
            if avg is not None and frequency is not None
            else None
        )
        return {
            "revenue": _cents(revenue),
            "won_deals": won,
            "lost_deals": lost,
            "open_deals": _int(p.get("open")),
            "win_rate": Decimal(won) / (won + lost) if won + lost else None,
            "avg_deal_size": avg,
            "sales_cycle_days": p.get("cycle"),
            "direct_cost": _cents(direct) if direct is not None else None,
            "time_cost": _cents(time) if time is not None else None,
            "hours": float(p.get("hours", 0.0)) if self.has_time else None,
            "cost": _cents(cost) if cost is not None else None,
            "gross_profit": gross,
            "net_return": net,
            "roi": net / _cents(cost) if net is not None and cost else None,
            "new_customers": new,
            "acquisition_cost": _cents(acq) if acq is not None else None,
            "cac": cac,
            "active_customers": active,
            "purchase_frequency": frequency,
            "churn_rate": churn_rate,
            "lifespan_years": lifespan,
            "clv": clv,
            "clv_to_date": _cents(_int(p.get("ltd_sum"))) / ltd_n if ltd_n else None,
            "ltv_cac": clv / cac if clv is not None and cac else None,
            "payback_months": cac / monthly if cac and monthly else None,
        }


def time_cents(hours: np.ndarray, rate_cents: np.ndarray) -> np.ndarray:
    """Hours × hourly rate per log, rounded half up to the cent, in exact integer arithmetic.

    Hours are taken to the micro-hour (six decimals), so 0.35 h × 25.70 is exactly 8.995 and
    comes to 9.00 (binary floating point would make it 8.99).

    >>> time_cents(np.array([0.35, 2.0]), np.array([2570, 1000])).tolist()
    [900, 2000]
    """
    micro = np.rint(hours * 1_000_000).astype(np.int64)
    rate = rate_cents.astype(np.int64)
    if len(rate) and float(micro.max()) * float(np.abs(rate).max()) > 9e18:
        micro, rate = micro.astype(object), rate.astype(object)
    return np.asarray((micro * rate + 500_000) // 1_000_000, dtype=np.int64)


def _int(value: Any) -> int:
    return round(float(value)) if value is not None else 0


def _unravel(g: int, labels: list[list[str]], sizes: list[int]) -> tuple[str, ...]:
    parts = []
    for names, size in zip(reversed(labels), reversed(sizes), strict=True):
        g, i = divmod(g, size)
        parts.append(names[i])
    return tuple(reversed(parts))


RISK_GRID_CELLS = 20_000_000  # groups × days counted in one table; beyond, window by window


def _days_at_risk(
    acquired: np.ndarray,
    churn: np.ndarray,
    group: np.ndarray,
    groups: int,
    starts: np.ndarray,
    ends: np.ndarray,
) -> np.ndarray:
    """Customer-days at risk — from acquisition to churn (exclusive; NaN: never) — for each
    group and each window ``[starts[i], ends[i]]`` (days, within one span, in order).

    Counted with one pass over the customers: +1 on the day each becomes at risk and -1 on
    the day it stops, summed up day by day, then per window from the running totals.

    >>> _days_at_risk(np.array([0.0, 5.0]), np.array([3.0, np.nan]), np.array([0, 0]), 1,
    ...               np.array([0.0, 4.0]), np.array([3.0, 9.0]))
    array([[3, 5]])
    """
    first, last = float(starts[0]), float(ends[-1]) + 1
    span = int(last - first) + 1
    if groups * span > RISK_GRID_CELLS:  # many groups (customer-level): window by window
        out = np.zeros((groups, len(starts)), dtype=np.int64)
        for i, (lo, hi) in enumerate(zip(starts, ends, strict=True)):
            stop = np.where(np.isnan(churn), hi + 1, np.minimum(churn, hi + 1))
            days = np.clip(stop - np.maximum(acquired, lo), 0, None)
            days = np.where(acquired <= hi, days, 0).astype(np.int64)  # NaN acquired: none
            out[:, i] = np.bincount(group, weights=days, minlength=groups).astype(np.int64)
        return out
    has = ~np.isnan(acquired)
    begin = np.clip(acquired[has], first, last)
    stop = np.clip(np.where(np.isnan(churn[has]), last, churn[has]), first, last)
    on = stop > begin
    rows = group[has][on] * span
    change = np.bincount(rows + (begin[on] - first).astype(np.int64), minlength=groups * span)
    change -= np.bincount(rows + (stop[on] - first).astype(np.int64), minlength=groups * span)
    at_risk = np.cumsum(change.reshape(groups, span), axis=1)  # customers at risk each day
    running = np.zeros((groups, span + 1), dtype=np.int64)
    np.cumsum(at_risk, axis=1, out=running[:, 1:])
    lo = (starts - first).astype(np.int64)
    hi = (ends - first).astype(np.int64) + 1
    return running[:, hi] - running[:, lo]


MAX_GROUPS = 200_000  # groups of one breakdown: beyond, a table no one reads, and minutes


def _sparse_sums(
    gathered: dict[str, list[tuple[np.ndarray, np.ndarray | None]]],
    marked: list[np.ndarray],
    grouped: bool,
) -> tuple[np.ndarray, dict[str, np.ndarray], np.ndarray]:
    """The groups that occur (sorted dense ids), each sum per such group, and the positions
    of the groups that have rows (all of them for the totals)."""
    pieces = [g for chunks in gathered.values() for g, _ in chunks] + marked
    groups = np.unique(np.concatenate(pieces)) if pieces else np.zeros(0, dtype=np.int64)
    if not grouped:
        groups = np.zeros(1, dtype=np.int64)
    n = len(groups)
    sums: dict[str, np.ndarray] = {}
    for name, chunks in gathered.items():
        for g, weights in chunks:
            total = _group_sum(np.searchsorted(groups, g), weights, n)
            sums[name] = sums[name] + total if name in sums else total
    if not grouped:
        return groups, sums, np.zeros(1, dtype=np.int64)
    has = np.zeros(n, dtype=bool)
    for g in marked:
        has[np.searchsorted(groups, g)] = True
    return groups, sums, np.flatnonzero(has)


def _group_sum(groups: np.ndarray, weights: np.ndarray | None, n: int) -> np.ndarray:
    """Per-group sums; integer weights stay exact (bincount adds in float64, exact below 2^53)."""
    if weights is None:
        return np.bincount(groups, minlength=n).astype(np.int64)
    if weights.dtype.kind in "iu":
        if len(weights) and float(np.abs(weights).sum()) >= 2.0**53:
            return cast(
                np.ndarray,
                pd.Series(weights).groupby(groups).sum().reindex(range(n), fill_value=0).to_numpy(),
            )
        return np.rint(np.bincount(groups, weights=weights, minlength=n)).astype(np.int64)
    return np.bincount(groups, weights=weights, minlength=n)


def _arrow(values: pd.Series) -> pa.Array:
    """A text column as one Arrow string array (zero-copy for pandas' Arrow-backed text)."""
    arr = pa.array(values, type=pa.string(), from_pandas=True)
    return arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr


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
                    "id": _arrow(deal_ids).take(rows[~alone]).to_numpy(zero_copy_only=False),
                    "row": rows[~alone],
                }
            )
            .sort_values(["c", "id"])
            .drop_duplicates("c")
        )
        first[ties["c"].to_numpy()] = ties["row"].to_numpy()
    return first


def _is_retention(activities: pa.Array) -> np.ndarray:
    """Which time logs are retention work, by their activity (case and spaces aside)."""

    def retention(names: pa.Array) -> pa.Array:
        tidy = pc.utf8_trim_whitespace(pc.utf8_lower(names)).to_pylist()
        return pa.array([name in RETENTION_ACTIVITIES for name in tidy], pa.bool_())

    flags = pc.fill_null(per_distinct(activities, retention), False)
    return np.asarray(flags.to_numpy(zero_copy_only=False), dtype=bool)


def _take(codes: np.ndarray, index: np.ndarray) -> np.ndarray:
    """``codes[index]``, -1 where the index is -1 (no link)."""
    if not len(codes):
        return np.full(len(index), -1, dtype=np.int64)
    return np.where(index >= 0, codes[np.clip(index, 0, None)], -1)


# ---------------------------------------------------------------------------------------------
# Allocation


def allocate(parts: dict[tuple[str, ...], dict[str, Any]], mode: str, warnings: list[str]) -> None:
    """Spread each group with (unattributed) keys over the groups that agree with it on its other
    keys, in proportion to revenue, won deals, or equally; cents add up exactly (largest
    remainder)."""

    def by_revenue(p: dict[str, Any]) -> int:
        return int(p.get("revenue", 0))

    def by_deals(p: dict[str, Any]) -> int:
        return int(p.get("won", 0))

    def evenly(p: dict[str, Any]) -> int:
        return 1

    weight_of = {"revenue": by_revenue, "deals": by_deals, "even": evenly}[mode]
    for key in [k for k in parts if UNATTRIBUTED in k]:
        source = parts[key]
        amount = (
            int(source.get("direct", 0))
            + int(source.get("time", 0))
            + int(source.get("allocated", 0))
        )
        acq = int(source.get("acq", 0)) + int(source.get("allocated_acq", 0))
        targets = [
            k
            for k in parts
            if UNATTRIBUTED not in k
            and all(a == b for a, b in zip(k, key, strict=True) if b != UNATTRIBUTED)
        ]
        weights = [weight_of(parts[k]) for k in targets]
        if not targets or sum(weights) <= 0:
            warnings.append(
                f"nothing to allocate {' / '.join(key)} cost over by {mode}: it stays unattributed"
            )
            continue
        for name, total in (("allocated", amount), ("allocated_acq", acq)):
            for k, share in zip(targets, split_cents(total, weights), strict=True):
                parts[k][name] = parts[k].get(name, 0) + share
        hours = float(source.get("hours", 0))
        for k, w in zip(targets, weights, strict=True):
            parts[k]["hours"] = float(parts[k].get("hours", 0)) + hours * w / sum(weights)
        del parts[key]


def split_cents(total: int, weights: Sequence[int]) -> list[int]:
    """``total`` cents in proportion to ``weights``, adding up exactly (largest remainder).

    >>> split_cents(100, [1, 1, 1])
    [34, 33, 33]
    """
    whole = sum(weights)
    sign = -1 if total < 0 else 1
    quotas = [abs(total) * w for w in weights]
    shares = [q // whole for q in quotas]
    left = abs(total) - sum(shares)
    order = sorted(range(len(weights)), key=lambda i: (-(quotas[i] % whole), i))
    for i in order[:left]:
        shares[i] += 1
    return [sign * s for s in shares]


# ---------------------------------------------------------------------------------------------
# Dates, periods, columns

_EPOCH = np.datetime64("1970-01-01", "D")


def _epoch_day(value: date) -> float:
    return float((np.datetime64(value, "D") - _EPOCH).astype(np.int64))


def _days(column: pd.Series | None, n: int) -> np.ndarray:
    """Days since 1970 as floats (NaN where there is no date): cheap to compare and subtract."""
    if column is None:
        return np.full(n, np.nan)
    values: np.ndarray = pd.to_datetime(column).to_numpy(dtype="datetime64[D]")
    days = values.astype(np.int64).astype(float)
    days[np.isnat(values)] = np.nan
    return days


def _period_index(days: np.ndarray, period: str) -> np.ndarray:
    """Months, quarters or years since 1970 for days since 1970 (NaN days → -1)."""
    valid = ~np.isnan(days)
    months = np.full(len(days), -1, dtype=np.int64)
    if valid.any():
        whole = days[valid].astype(np.int64)
        low, high = int(whole.min()), int(whole.max())
        # Dates span few distinct days: convert the range once, then look each day up.
        span = np.arange(low, high + 1).astype("datetime64[D]").astype("datetime64[M]")
        months[valid] = span.astype(np.int64)[whole - low]
    if period == "quarter":
        return np.where(valid, months // 3, -1)
    if period == "year":
        return np.where(valid, months // 12, -1)
    return months


def _period_name(index: int, period: str) -> str:
    if period == "year":
        return f"{1970 + index:04d}"
    if period == "quarter":
        return f"{1970 + index // 4:04d}-Q{index % 4 + 1}"
    return f"{1970 + index // 12:04d}-{index % 12 + 1:02d}"


def _period_codes(vocab: Vocabulary, days: np.ndarray, period: str) -> np.ndarray:
    """Label codes of the periods of ``days``; -1 where there is no day."""
    index = _period_index(days, period)
    out = np.full(len(days), -1, dtype=np.int64)
    valid = index >= 0
    if valid.any():
        low = int(index[valid].min())
        seen = np.flatnonzero(np.bincount(index[valid] - low))
        table = np.full(int(seen.max()) + 1, -1, dtype=np.int64)
        table[seen] = [vocab.code(_period_name(low + int(i), period)) for i in seen]
        out[valid] = table[index[valid] - low]
    return out


def period_label(dates: pd.Series, period: str) -> pd.Series:
    """``2024-01`` (month), ``2024-Q1`` (quarter), ``2024`` (year); null where no date."""
    index = _period_index(_days(dates, len(dates)), period)
    return pd.Series(
        [_period_name(int(i), period) if i >= 0 else None for i in index],
        index=dates.index,
        dtype="str",
    )


def _period_days(label: str, period: str) -> tuple[float, float]:
    """First and last day (since 1970) of a period label."""
    if period == "year":
        first = np.datetime64(f"{label}-01", "M")
        months = 12
    elif period == "quarter":
        first = np.datetime64(f"{label[:4]}-{3 * int(label[-1]) - 2:02d}", "M")
        months = 3
    else:
        first = np.datetime64(label, "M")
        months = 1
    lo = (first.astype("datetime64[D]") - _EPOCH).astype(np.int64)
    hi = ((first + months).astype("datetime64[D]") - _EPOCH).astype(np.int64) - 1
    return float(lo), float(hi)


def _period_labels(start: float, end: float, period: str) -> list[str]:
    first, last = _period_index(np.array([start, end]), period)
    return [_period_name(i, period) for i in range(int(first), int(last) + 1)]


def _split_by_period(
    rows: np.ndarray, lo: np.ndarray, hi: np.ndarray, period: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cut each [lo, hi] day span at period boundaries: one piece per (row, period)."""
    first = _period_index(lo, period)
    last = _period_index(hi, period)
    pieces = (last - first + 1).astype(np.int64)
    if not len(rows) or pieces.max() <= 1:
        return rows, lo, hi
    out_rows = np.repeat(rows, pieces)
    step = np.arange(len(out_rows)) - np.repeat(np.cumsum(pieces) - pieces, pieces)
    index = np.repeat(first, pieces) + step
    starts = np.array(
        [_period_days(_period_name(int(i), period), period)[0] for i in np.unique(index)]
    )
    ends = np.array(
        [_period_days(_period_name(int(i), period), period)[1] for i in np.unique(index)]
    )
    pos = np.searchsorted(np.unique(index), index)
    new_lo = np.maximum(np.repeat(lo, pieces), starts[pos])
    new_hi = np.minimum(np.repeat(hi, pieces), ends[pos])
    return out_rows, new_lo, new_hi


def _cents(value: int | None) -> Decimal:
    return Decimal(int(value or 0)).scaleb(-2)


def _find_column(
    frame: pd.DataFrame, dim: str, kind: InputKind, aliases: dict[str, str] | None = None
) -> str | None:
    """The column of ``frame`` that ``dim`` names: a kept attribute or a mapped field by the
    file's own header, else a canonical field by name or synonym; compared normalised."""
    want = normalise_header(dim)
    if not want or want == normalise_header(ROW):
        return None
    for column in frame.columns:
        if normalise_header(column) == want and column != ROW:
            return str(column)
    field = (aliases or {}).get(want)
    if field is not None and field in frame.columns:
        return field
    for spec in field_specs(kind):
        names = {normalise_header(spec.name), *(normalise_header(s) for s in spec.synonyms)}
        if want in names and spec.name in frame.columns:
            return spec.name
    return None


def _labels(values: pd.Series, column: str, kind: InputKind) -> pd.Series:
    """A column of any type as group labels: money in units (``1234.50``), dates as
    ``YYYY-MM-DD``, numbers and flags as written; text as it is."""
    if values.dtype == object or pd.api.types.is_string_dtype(values):
        return values
    spec = next((s for s in field_specs(kind) if s.name == column), None)
    if spec is not None and spec.kind is Kind.MONEY:
        cents = values.astype("Int64")
        text = (cents.abs() // 100).astype(str) + "." + (cents.abs() % 100).astype(str).str.zfill(2)
        return text.where(cents >= 0, "-" + text).where(cents.notna(), None)
    if pd.api.types.is_datetime64_any_dtype(values):
        return values.dt.strftime("%Y-%m-%d").where(values.notna(), None)
    return (
        values.astype(object)
        .where(values.notna(), None)
        .map(lambda v: v if v is None else (f"{v:g}" if isinstance(v, float) else str(v)))
    )


def dimension_exists(dim: str, inputs: Inputs) -> bool:
    """Whether any input can give ``dim`` a value."""
    if dim in PERIODS or dim == COHORT:
        return True
    frames = [
        (inputs.deals, InputKind.DEALS),
        (inputs.customers, InputKind.CUSTOMERS),
        (inputs.costs, InputKind.COSTS),
        (inputs.time_logs, InputKind.TIME_LOGS),
    ]
    return any(
        f is not None and _find_column(f, dim, k, inputs.aliases.get(k, {})) is not None
        for f, k in frames
    )

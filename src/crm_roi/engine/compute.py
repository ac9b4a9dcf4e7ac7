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
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from crm_roi.engine.calendar import (
    DAYS_PER_YEAR,
    PERIODS,
    day_numbers,
    epoch_day,
    period_days,
    period_labels,
    split_by_period,
)
from crm_roi.engine.groups import (
    COHORT,
    MAX_GROUPS,
    NONE,
    UNATTRIBUTED,
    Keys,
    Vocabulary,
    all_numbers,
    arrow_text,
    group_labels,
    period_codes,
    sort_key,
    take,
    unravel,
)
from crm_roi.engine.money import from_cents, scale_cents, time_cents
from crm_roi.engine.settings import Settings
from crm_roi.engine.sums import ALLOCATIONS, allocate, days_at_risk, sparse_sums
from crm_roi.errors import CrmRoiError, UsageError
from crm_roi.inputs.dimensions import find_column
from crm_roi.inputs.ids import IdIndex, encode_text
from crm_roi.inputs.parse import per_distinct
from crm_roi.inputs.schema import InputKind

RETENTION_ACTIVITIES = frozenset({
    "account management", "accountmanagement", "support", "onboarding", "renewal", "renewals",
    "customer success", "retention", "verlenging", "klantbehoud", "accountbeheer",
})  # fmt: skip


class CurrencyError(CrmRoiError):
    """Amounts in several currencies and no rate to add them up."""


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
        numeric = [all_numbers(key[i] for key in rows) for i in range(len(dims))]
        breakdowns[",".join(dims)] = [
            {**dict(zip(dims, key, strict=True)), **figures}
            for key, figures in sorted(rows.items(), key=lambda kv: sort_key(kv[0], numeric))
        ]
    return Report(
        currency, start, end, replace(settings, start=start, end=end), totals, breakdowns, warnings
    )


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


# ---------------------------------------------------------------------------------------------
# The model: prepared arrays, and the group of every row per dimension


class Model:
    """The inputs prepared for one window, as arrays: what counts, and where it belongs."""

    def __init__(
        self, inputs: Inputs, settings: Settings, start: date, end: date, warnings: list[str]
    ) -> None:
        self.settings = settings
        self.warnings = warnings
        self.start, self.end = epoch_day(start), epoch_day(end)
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
        self.d_close = day_numbers(deals.get("close_date"), len(deals))
        self.d_created = day_numbers(deals.get("created_date"), len(deals))
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
        self.deal_ids = arrow_text(deals["deal_id"])  # unique: validation saw to it

    def _prepare_customers(self, customers: pd.DataFrame | None) -> None:
        """Every customer: the deals' and the customers file's. Acquisition: the file's date,
        else its first won deal ever (ties: the smallest deal id)."""
        from_deals = (
            arrow_text(self.deals["customer_id"])
            if "customer_id" in self.deals
            else pa.nulls(len(self.deals), pa.string())
        )
        from_file = (
            arrow_text(customers["customer_id"])
            if customers is not None
            else pa.array([], pa.string())
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
                given = day_numbers(own["acquired_date"], n)
                self.c_acquired = np.where(np.isnan(given), self.c_acquired, given)
            dropped = ("customer_id", "acquired_date", "churned_date", "_row")
            self.customers = own.drop(columns=[c for c in dropped if c in own])
        if customers is not None and "churned_date" in customers:
            self.c_churn = day_numbers(own["churned_date"], n)
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
        campaigns, campaign_codes = encode_text(arrow_text(d["campaign"]))
        channels, channel_codes = encode_text(arrow_text(d["channel"]))
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
        single = day_numbers(costs.get("date"), len(costs))
        first = np.where(np.isnan(single), day_numbers(costs.get("start_date"), len(costs)), single)
        last = np.where(np.isnan(single), day_numbers(costs.get("end_date"), len(costs)), single)
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
            rows, lo, hi = split_by_period(rows, lo, hi, period)
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
        return take(row, index.find(arrow_text(logs["deal_id"])))

    def _prepare_time(self, logs: pd.DataFrame | None, deal_links: np.ndarray) -> None:
        if logs is None or logs.empty:
            self.time = pd.DataFrame({"cents": np.zeros(0, np.int64)})
            self.t_day = np.zeros(0)
            self.t_deal = self.t_cust = np.zeros(0, np.int64)
            self.t_hours = np.zeros(0)
            self.t_retention = np.zeros(0, bool)
            return
        day = day_numbers(logs["date"], len(logs))
        keep = (day >= self.start) & (day <= self.end)
        t = self._with_channel(logs[keep].reset_index(drop=True))
        self.time, self.t_day = t, day[keep]
        self.t_hours = t["hours"].to_numpy(dtype=float)
        rate = t["hourly_rate"].to_numpy(dtype=np.int64)
        self.time["cents"] = time_cents(self.t_hours, rate)
        self.t_retention = (
            _is_retention(arrow_text(t["activity"])) if "activity" in t else np.zeros(len(t), bool)
        )
        self.t_deal = deal_links[keep]
        self.t_cust = (
            self.customer_ids.find(arrow_text(t["customer_id"]))
            if "customer_id" in t
            else np.full(len(t), -1)
        )

    # --- keys -----------------------------------------------------------------------------

    def _column(self, frame: pd.DataFrame, dim: str, kind: InputKind) -> str | None:
        return find_column(frame, dim, kind, self.aliases.get(kind, {}))

    def keys(self, dim: str, cost_rows: np.ndarray, cost_days: np.ndarray) -> Keys:
        """The group of every deal, customer, cost segment and time log for ``dim``."""
        vocab = Vocabulary()
        if dim in PERIODS:
            for label in period_labels(self.start, self.end, dim):
                vocab.code(label)  # every period of the window has a code, in order
            deal_day = np.where(self.open, self.d_created, self.d_close)
            deals = period_codes(vocab, deal_day, dim)
            return Keys(
                vocab.labels,
                vocab.fill(deals, NONE),
                vocab.fill(period_codes(vocab, self.c_acquired, dim), NONE),
                vocab.fill(period_codes(vocab, cost_days, dim), UNATTRIBUTED),
                vocab.fill(period_codes(vocab, self.t_day, dim), UNATTRIBUTED),
            )
        if dim == COHORT:
            customers = period_codes(vocab, self.c_acquired, "month")
            deals = take(customers, self.d_cust)
        else:
            own = self._column(self.customers, dim, InputKind.CUSTOMERS)
            column = self._column(self.deals, dim, InputKind.DEALS)
            deals = (
                vocab.codes(group_labels(self.deals[column], column, InputKind.DEALS))
                if column is not None
                else np.full(len(self.deals), -1)
            )
            if own is not None:
                customers = vocab.codes(group_labels(self.customers[own], own, InputKind.CUSTOMERS))
                if column is None:
                    deals = take(customers, self.d_cust)
            else:
                customers = take(deals, self.c_acq_deal)
        costs = np.full(len(cost_rows), -1)
        column = self._column(self.costs, dim, InputKind.COSTS)
        if column is not None and len(cost_rows):
            costs = vocab.codes(group_labels(self.costs[column], column, InputKind.COSTS))[
                cost_rows
            ]
        time = np.full(len(self.time), -1)
        column = self._column(self.time, dim, InputKind.TIME_LOGS)
        if column is not None and column not in ("deal_id", "customer_id") and len(self.time):
            time = vocab.codes(group_labels(self.time[column], column, InputKind.TIME_LOGS))
        # A log linked to a deal (or customer) is in that deal's group, (none) included.
        deals, customers = vocab.fill(deals, NONE), vocab.fill(customers, NONE)
        time = np.where(time >= 0, time, take(deals, self.t_deal))
        time = np.where(time >= 0, time, take(customers, self.t_cust))
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
        groups, sums, present = sparse_sums(gathered, marked, bool(dims), n_groups)
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
            key = unravel(g, labels, sizes)
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
            lo, hi = period_days(label, period)
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
            labels = period_labels(self.start, self.end, period)
            vocab = all_keys[period_at].labels  # type: ignore[index]
            codes = np.array([vocab.index(label) for label in labels], dtype=np.int64)
            bounds = np.array([period_days(label, period) for label in labels])
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
        risk = days_at_risk(acquired, churn, where, len(compact), starts, ends)
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
        gross = from_cents(revenue) * s.gross_margin
        net = gross - from_cents(cost) if cost is not None else None
        new = _int(p.get("new"))
        active = _int(p.get("active"))
        avg = from_cents(revenue) / won if won else None
        cac = from_cents(acq) / new if acq is not None and new else None
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
            "revenue": from_cents(revenue),
            "won_deals": won,
            "lost_deals": lost,
            "open_deals": _int(p.get("open")),
            "win_rate": Decimal(won) / (won + lost) if won + lost else None,
            "avg_deal_size": avg,
            "sales_cycle_days": p.get("cycle"),
            "direct_cost": from_cents(direct) if direct is not None else None,
            "time_cost": from_cents(time) if time is not None else None,
            "hours": float(p.get("hours", 0.0)) if self.has_time else None,
            "cost": from_cents(cost) if cost is not None else None,
            "gross_profit": gross,
            "net_return": net,
            "roi": net / from_cents(cost) if net is not None and cost else None,
            "new_customers": new,
            "acquisition_cost": from_cents(acq) if acq is not None else None,
            "cac": cac,
            "active_customers": active,
            "purchase_frequency": frequency,
            "churn_rate": churn_rate,
            "lifespan_years": lifespan,
            "clv": clv,
            "clv_to_date": from_cents(_int(p.get("ltd_sum"))) / ltd_n if ltd_n else None,
            "ltv_cac": clv / cac if clv is not None and cac else None,
            "payback_months": cac / monthly if cac and monthly else None,
        }


def _int(value: Any) -> int:
    return round(float(value)) if value is not None else 0


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


def _is_retention(activities: pa.Array) -> np.ndarray:
    """Which time logs are retention work, by their activity (case and spaces aside)."""

    def retention(names: pa.Array) -> pa.Array:
        tidy = pc.utf8_trim_whitespace(pc.utf8_lower(names)).to_pylist()
        return pa.array([name in RETENTION_ACTIVITIES for name in tidy], pa.bool_())

    flags = pc.fill_null(per_distinct(activities, retention), False)
    return np.asarray(flags.to_numpy(zero_copy_only=False), dtype=bool)


# ---------------------------------------------------------------------------------------------
# Allocation


# ---------------------------------------------------------------------------------------------
# Dates, periods, columns

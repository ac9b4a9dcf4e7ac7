"""Sums per group, exact: counts and cents added up over the groups that occur, customer-days
at risk, and the allocation of unattributed cost.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pandas as pd

from crm_roi.engine.calendar import (
    PERIODS,
    period_days,
    period_index,
    period_labels,
    period_name,
    split_by_period,
)
from crm_roi.engine.figures import UNATTRIBUTED
from crm_roi.engine.groups import DENSE_GROUPS, Keys
from crm_roi.engine.money import split_cents

if TYPE_CHECKING:
    from crm_roi.engine.prepare import Prepared

ALLOCATIONS = ("none", "revenue", "deals", "even")

RISK_GRID_CELLS = 20_000_000  # groups × days counted in one table; beyond, window by window


def days_at_risk(
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

    >>> days_at_risk(np.array([0.0, 5.0]), np.array([3.0, np.nan]), np.array([0, 0]), 1,
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


class GroupSums:
    """Exact sums per group, added up as they come.

    Where the combinations of labels are few (the totals; up to ``DENSE_GROUPS``), each is its
    own index and every ``add`` is summed at once, so no row-sized array outlives its call.
    Otherwise the groups that occur are known only at the end: the pieces are kept until then.
    Memory grows with rows, never with a product of many values."""

    def __init__(self, grouped: bool, n_groups: int) -> None:
        self.grouped = grouped
        self.dense = not grouped or n_groups <= DENSE_GROUPS
        self.n = n_groups if grouped else 1
        self.sums: dict[str, np.ndarray] = {}
        self.has = np.zeros(self.n if self.dense else 0, dtype=bool)
        self.gathered: dict[str, list[tuple[np.ndarray, np.ndarray | None]]] = {}
        self.marked: list[np.ndarray] = []

    def add(
        self, name: str, groups: np.ndarray, weights: np.ndarray | None = None, mark: bool = True
    ) -> None:
        """Sum ``weights`` (or count rows) per group; ``mark``: the groups now have rows
        (False where another call marks the same rows already)."""
        if not self.dense:
            self.gathered.setdefault(name, []).append((groups, weights))
            if mark:
                self.marked.append(groups)
            return
        total = group_sum(groups, weights, self.n)
        self.sums[name] = self.sums[name] + total if name in self.sums else total
        if mark and self.grouped:
            self.has[groups] = True

    def result(self) -> tuple[np.ndarray, dict[str, np.ndarray], np.ndarray]:
        """The groups (sorted ids), each sum per group, and the positions of the groups that
        have rows (all of them for the totals)."""
        if not self.grouped:
            return np.zeros(1, dtype=np.int64), self.sums, np.zeros(1, dtype=np.int64)
        if self.dense:
            return np.arange(self.n, dtype=np.int64), self.sums, np.flatnonzero(self.has)
        pieces = [g for chunks in self.gathered.values() for g, _ in chunks] + self.marked
        groups = np.unique(np.concatenate(pieces)) if pieces else np.zeros(0, dtype=np.int64)
        sums: dict[str, np.ndarray] = {}
        for name, chunks in self.gathered.items():
            for g, weights in chunks:
                total = group_sum(np.searchsorted(groups, g), weights, len(groups))
                sums[name] = sums[name] + total if name in sums else total
        has = np.zeros(len(groups), dtype=bool)
        for g in self.marked:
            has[np.searchsorted(groups, g)] = True
        return groups, sums, np.flatnonzero(has)


SEEN_MAP_BYTES = 32 * 1024**2  # a map of which (group, member) pairs were seen, at most
SEEN_MAP_PASSES = 8  # passes over the rows, a slice of the groups each, at most


def distinct_per_group(
    groups: np.ndarray, members: np.ndarray, n_groups: int, n_members: int
) -> tuple[np.ndarray, np.ndarray | None]:
    """What to ``add`` to count the distinct members (customers) of each group, from one row
    per (group, member) occurrence: groups and their counts, or one group per distinct pair.
    With few groups, a map of the pairs seen (a byte per group and member) over a slice of
    the groups at a time; else the pairs hashed.

    >>> distinct_per_group(np.array([0, 0, 1, 0]), np.array([5, 5, 5, 7]), 2, 8)
    (array([0, 1]), array([2, 1]))
    """
    per_pass = SEEN_MAP_BYTES // max(n_members, 1)
    if per_pass and -(-n_groups // per_pass) <= SEEN_MAP_PASSES:
        counts = np.zeros(n_groups, dtype=np.int64)
        seen = np.zeros(min(per_pass, n_groups) * n_members, dtype=bool)
        for lo in range(0, n_groups, per_pass):
            hi = min(lo + per_pass, n_groups)
            g, m = groups, members
            if lo or hi < n_groups:
                inside = (groups >= lo) & (groups < hi)
                g, m = groups[inside] - lo, members[inside]
            used = seen[: (hi - lo) * n_members]
            used[:] = False
            used[g * n_members + m] = True
            counts[lo:hi] = np.count_nonzero(used.reshape(hi - lo, n_members), axis=1)
        present = np.flatnonzero(counts)
        return present, counts[present]
    if n_groups * n_members < 2**62:
        return pd.unique(groups * n_members + members) // n_members, None
    # Too many combinations for one number: the distinct (group, member) rows.
    both = pd.DataFrame({"g": groups, "m": members})
    return both.drop_duplicates()["g"].to_numpy(), None


def group_sum(groups: np.ndarray, weights: np.ndarray | None, n: int) -> np.ndarray:
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
            int(source.get("direct_cost", 0))
            + int(source.get("time_cost", 0))
            + int(source.get("allocated", 0))
        )
        acquisition_cost = int(source.get("acquisition_cost", 0)) + int(
            source.get("allocated_acquisition", 0)
        )
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
        for name, total in (("allocated", amount), ("allocated_acquisition", acquisition_cost)):
            for k, share in zip(targets, split_cents(total, weights), strict=True):
                parts[k][name] = parts[k].get(name, 0) + share
        hours = float(source.get("hours", 0))
        for k, w in zip(targets, weights, strict=True):
            parts[k]["hours"] = float(parts[k].get("hours", 0)) + hours * w / sum(weights)
        del parts[key]


def cost_segments(
    prepared: Prepared, period: str | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each cost cut to the window (and to periods): (row of the cost, first day, cents).

    A cost spread over N days gives floor(A·k/N) cents to its first k days, so any cut of its
    days adds up to exactly A.
    """
    costs = prepared.costs
    lo = np.maximum(costs.first, prepared.start)
    hi = np.minimum(costs.last, prepared.end)
    rows = np.arange(len(lo))
    if period is not None:
        rows, lo, hi = split_by_period(rows, lo, hi, period)
    first, last = costs.first[rows], costs.last[rows]
    cents = costs.cents[rows]
    span = (last - first + 1).astype(np.int64)
    k_lo = (lo - first).astype(np.int64)
    k_hi = (hi - first + 1).astype(np.int64)
    if len(cents) and float(np.abs(cents).max()) * float(span.max()) > 9e18:
        cents = cents.astype(object)
    part = (cents * k_hi) // span - (cents * k_lo) // span
    return rows, lo, np.asarray(part, dtype=np.int64)


def acquisition(prepared: Prepared, cost_rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The one acquisition-cost rule: which cost segments (of ``cost_rows``) and which time logs
    are spent on winning customers — a cost whose type is not retention, time whose activity
    is not retention work."""
    return ~prepared.costs.retention[cost_rows], ~prepared.time.retention


def customer_sums(
    prepared: Prepared, all_keys: list[Keys], dims: tuple[str, ...], period: str | None, add: Any
) -> None:
    """New customers, churn, time at risk and customers and revenue to date, per group.

    For a period dimension each period (within the window) is the group's own window; the
    other dimensions group a customer by its own field or its acquisition deal's value.
    """
    customers = prepared.customers
    n = len(customers.ids)
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
    codes, starts, ends = _windows(prepared, all_keys, period, period_at)
    acquired, churn = customers.acquired, customers.churned

    def window_of(days: np.ndarray) -> np.ndarray:
        """The window each day falls in; -1 outside them all."""
        inside = (days >= prepared.start) & (days <= prepared.end)
        return np.where(inside, np.searchsorted(ends, np.nan_to_num(days), side="left"), -1)

    def group(plain_ids: np.ndarray, window: np.ndarray) -> np.ndarray:
        return np.asarray(plain_ids + codes[window] * stride, dtype=np.int64)

    has_acquired = ~np.isnan(acquired)
    w = window_of(acquired)
    add("new_customers", group(plain[w >= 0], w[w >= 0]))
    w = np.where(has_acquired, window_of(churn), -1)
    add("churned", group(plain[w >= 0], w[w >= 0]))
    compact, where = np.unique(plain, return_inverse=True)
    # Days at risk: each customer from acquisition until churn (exclusive), in each window.
    risk = days_at_risk(acquired, churn, where, len(compact), starts, ends)
    has = np.nonzero(risk)
    add("risk_days", compact[has[0]] + codes[has[1]] * stride, risk[has])
    _to_date(prepared, has_acquired, where, compact, codes * stride, ends, add)
    if period is not None and period_at is not None:
        _trailing_customers(prepared, period, plain, stride, has_acquired, where, compact, add)


# A period row's customer rates are measured over the twelve months up to its last day: so
# many periods make up those twelve months.
TRAILING_PERIODS = {"month": 12, "quarter": 4, "year": 1}


def _trailing_customers(
    prepared: Prepared,
    period: str,
    plain: np.ndarray,
    stride: int,
    has_acquired: np.ndarray,
    where: np.ndarray,
    compact: np.ndarray,
    add: Any,
) -> None:
    """Per period row: customers churned in, and customer-days at risk over, the trailing
    twelve months T ending on the period's last day (not cut by the window)."""
    customers = prepared.customers
    first, count, span = _period_frame(prepared, period)
    churned = has_acquired & ~np.isnan(customers.churned)
    q = period_index(customers.churned[churned], period) - first
    keep = (q > -span) & (q < count)
    row, c, total = _rolling(where[churned][keep], q[keep], None, len(compact), count, span)
    add("churned_trailing", compact[row] + c * stride, total, mark=False)
    labels = period_labels(prepared.start, prepared.end, period)
    ends = np.array([period_days(label, period)[1] for label in labels])
    starts = np.array(
        [period_days(period_name(first + i - span + 1, period), period)[0] for i in range(count)]
    )
    risk = days_at_risk(customers.acquired, customers.churned, where, len(compact), starts, ends)
    has = np.nonzero(risk)
    add("risk_days_trailing", compact[has[0]] + has[1] * stride, risk[has], mark=False)


def trailing_deal_sums(
    prepared: Prepared, all_keys: list[Keys], dims: tuple[str, ...], period: str, add: Any
) -> None:
    """Per period row: won deals, their revenue and the distinct customers who bought, over
    the trailing twelve months T ending on the period's last day (not cut by the window)."""
    at = dims.index(period)
    sizes = [len(k.labels) for k in all_keys]
    stride = int(np.prod(sizes[at + 1 :]))
    plain = np.zeros(len(prepared.deals.frame), dtype=np.int64)
    for i, (keys, size) in enumerate(zip(all_keys, sizes, strict=True)):
        plain = plain * size + (0 if i == at else keys.deals)
    deals = prepared.deals
    first, count, span = _period_frame(prepared, period)
    won = deals.ever_won & ~np.isnan(deals.close)
    q = period_index(deals.close[won], period) - first
    keep = (q > -span) & (q < count)  # in some row's twelve months
    values, where = np.unique(plain[won][keep], return_inverse=True)
    q = q[keep]
    for name, weights in (("won_trailing", None), ("revenue_trailing", deals.cents[won][keep])):
        row, c, total = _rolling(where, q, weights, len(values), count, span)
        add(name, values[row] + c * stride, total, mark=False)
    # A customer counts once per row: each purchase covers the rows of the next ``span``
    # periods, from where the customer's previous purchase (in this group) stops covering.
    customer = deals.customer[won][keep]
    bought = customer >= 0
    group, cust, at_q = _distinct(where[bought], customer[bought], q[bought] + span)
    same = np.r_[False, (group[1:] == group[:-1]) & (cust[1:] == cust[:-1])]
    start = np.where(same, np.maximum(at_q, np.r_[0, at_q[:-1]] + span), at_q) - span
    row, c, total = _covered(group, start, at_q - 1, len(values), count)
    add("active_trailing", values[row] + c * stride, total, mark=False)


def _distinct(
    group: np.ndarray, customer: np.ndarray, period: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The distinct (group, customer, period) triples, sorted: periods are ≥ 0."""
    n_cust, n_period = int(customer.max(initial=0)) + 1, int(period.max(initial=0)) + 1
    keys = np.sort((group * n_cust + customer) * n_period + period)  # a sort: faster than
    keys = keys[np.r_[True, keys[1:] != keys[:-1]]] if len(keys) else keys  # hashing here
    pair, at = np.divmod(keys, n_period)
    g, c = np.divmod(pair, n_cust)
    return g, c, at


def _rolling(
    row: np.ndarray, q: np.ndarray, weights: np.ndarray | None, rows: int, count: int, span: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each row and each period ``c`` of the window (0 … count − 1), the sum of ``weights``
    (or the count) of the entries whose period ``q`` is one of the ``span`` periods up to
    ``c``: the (row, c) pairs with a sum, and the sums."""
    width = count + span - 1
    cells = np.bincount(
        row * width + (q + span - 1), weights=weights, minlength=rows * width
    ).reshape(rows, width)
    running = np.zeros((rows, width + 1), dtype=cells.dtype)
    np.cumsum(cells, axis=1, out=running[:, 1:])
    totals = running[:, span : span + count] - running[:, :count]
    found = np.nonzero(totals)
    return found[0], found[1], np.rint(totals[found]).astype(np.int64)


def _covered(
    row: np.ndarray, lo: np.ndarray, hi: np.ndarray, rows: int, count: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each row and period ``c`` (0 … count − 1), how many of the row's intervals
    ``[lo, hi]`` cover ``c``: the (row, c) pairs covered, and how often."""
    lo, hi = np.clip(lo, 0, None), np.clip(hi, None, count - 1)
    on = lo <= hi
    edges = np.zeros(rows * (count + 1), dtype=np.int64)
    np.add.at(edges, row[on] * (count + 1) + lo[on], 1)
    np.add.at(edges, row[on] * (count + 1) + hi[on] + 1, -1)
    totals = np.cumsum(edges.reshape(rows, count + 1), axis=1)[:, :count]
    found = np.nonzero(totals)
    return found[0], found[1], totals[found]


def _period_frame(prepared: Prepared, period: str) -> tuple[int, int, int]:
    """The window's first period (as an index), how many periods it has, and how many make
    up twelve months."""
    first, last = period_index(np.array([prepared.start, prepared.end]), period)
    return int(first), int(last - first + 1), TRAILING_PERIODS[period]


def _to_date(
    prepared: Prepared,
    has_acquired: np.ndarray,
    where: np.ndarray,
    compact: np.ndarray,
    offsets: np.ndarray,
    ends: np.ndarray,
    add: Any,
) -> None:
    """Customers and their revenue to date: a customer counts in every window ending on or
    after its acquisition, a won deal's revenue in every window ending on or after both its
    close and that acquisition. ``where``: each customer's group among ``compact``;
    ``offsets``: each window's step in the group numbers."""
    deals, acquired = prepared.deals, prepared.customers.acquired
    first = np.where(
        has_acquired, np.searchsorted(ends, np.nan_to_num(acquired), side="left"), len(ends)
    )
    won, cust = deals.rows.bought, deals.rows.bought_customer
    deal_first = np.maximum(np.searchsorted(ends, deals.close[won], side="left"), first[cust])
    for name, rows, starts_at, weights in (
        ("customers_to_date", where, first, None),
        ("revenue_to_date", where[cust], deal_first, deals.cents[won]),
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
        gids = compact[filled[0]] + offsets[filled[1]]
        add(name, gids, np.rint(totals[filled]).astype(np.int64))


def _windows(
    prepared: Prepared, all_keys: list[Keys], period: str | None, period_at: int | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The windows customers are counted in: the window, or each period of it (its code in the
    period dimension, its first and last day within the window)."""
    if period is None or period_at is None:
        return np.zeros(1, dtype=np.int64), np.array([prepared.start]), np.array([prepared.end])
    labels = period_labels(prepared.start, prepared.end, period)
    vocab = all_keys[period_at].labels
    codes = np.array([vocab.index(label) for label in labels], dtype=np.int64)
    bounds = np.array([period_days(label, period) for label in labels])
    starts = np.maximum(bounds[:, 0], prepared.start)
    ends = np.minimum(bounds[:, 1], prepared.end)
    return codes, starts, ends


def lead_sums(prepared: Prepared, groups: np.ndarray, add: Any) -> dict[int, float]:
    """Leads created in the window per group (``groups``: each lead's), and of them the
    converted, those with a deal and those with a won deal; the revenue of their won deals
    (each deal once per group); the median days to convert of each group is returned."""
    leads = prepared.leads
    if leads is None or not len(leads.frame):
        return {}
    counted = leads.counted
    add("leads", groups[counted])  # marks the groups of leads
    add("converted_leads", groups[counted & leads.converted], mark=False)
    add("opportunities", groups[counted & leads.opportunity], mark=False)
    add("won_leads", groups[counted & leads.won], mark=False)
    deals = prepared.deals
    chain = counted[leads.pair_lead] & deals.ever_won[leads.pair_deal]
    g, deal = groups[leads.pair_lead[chain]], leads.pair_deal[chain]
    if not leads.deal_once:  # a deal two leads of a group share counts once for it
        n_deals = max(len(deals.cents), 1)
        once = np.unique(g * n_deals + deal)
        g, deal = once // n_deals, once % n_deals
    add("lead_revenue", g, deals.cents[deal], mark=False)
    span = leads.converted_day - leads.created
    timed = counted & leads.converted & ~np.isnan(span) & (span >= 0)
    medians = pd.Series(span[timed]).groupby(groups[timed]).median()
    return {int(k): float(v) for k, v in medians.items()}

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

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import numpy as np
import pandas as pd

from crm_roi.errors import CrmRoiError, UsageError
from crm_roi.mapping import normalise_header
from crm_roi.schema import InputKind, field_specs

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


@dataclass(frozen=True)
class Settings:
    """Everything the figures depend on besides the data; echoed in the report."""

    start: date | None = None
    end: date | None = None
    by: tuple[tuple[str, ...], ...] = ()
    gross_margin: Decimal = Decimal(1)
    allocate: str = "none"
    churn_after_days: int = 365
    lifespan: Decimal | None = None
    max_lifespan: Decimal = Decimal(10)
    currency: str | None = None
    rates: Mapping[str, Decimal] = field(default_factory=dict)


@dataclass
class Inputs:
    """Validated records (see :mod:`crm_roi.validate`): money in integer cents."""

    deals: pd.DataFrame
    costs: pd.DataFrame | None = None
    customers: pd.DataFrame | None = None
    time_logs: pd.DataFrame | None = None


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
    totals = model.figures(())[()]
    breakdowns = {}
    for dims in settings.by:
        rows = model.figures(dims)
        breakdowns[",".join(dims)] = [
            {**dict(zip(dims, key, strict=True)), **figures}
            for key, figures in sorted(rows.items(), key=lambda kv: _sort_key(kv[0]))
        ]
    return Report(
        currency, start, end, replace(settings, start=start, end=end), totals, breakdowns, warnings
    )


def _sort_key(key: tuple[str, ...]) -> tuple[tuple[int, str], ...]:
    return tuple((2 if k == UNATTRIBUTED else 1 if k == NONE else 0, k) for k in key)


def data_window(inputs: Inputs) -> tuple[date | None, date | None]:
    """Earliest and latest date in the deals, costs and time logs."""
    columns = [inputs.deals.get(c) for c in ("created_date", "close_date")]
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
        deals=convert(inputs.deals, "amount"),  # type: ignore[arg-type]
        costs=convert(inputs.costs, "amount"),
        customers=inputs.customers,
        time_logs=convert(inputs.time_logs, "hourly_rate"),
    )
    warnings.append(
        "converted into "
        + str(currency)
        + " at "
        + ", ".join(f"{c} {rates[c]}" for c in sorted(set(seen) - {currency}))
    )
    return currency, converted


def scale_cents(cents: pd.Series, factor: Decimal | float) -> pd.Series:
    """Cents × factor, rounded half away from zero to whole cents."""
    values = cents.astype("float64") * float(factor)
    rounded = np.sign(values) * np.floor(np.abs(values) + 0.5)
    return pd.Series(rounded, index=cents.index).astype("Int64")


# ---------------------------------------------------------------------------------------------
# The model: prepared frames and how each kind of row is keyed


class Model:
    """The inputs prepared for one window: which rows count, and their keys per dimension."""

    def __init__(
        self, inputs: Inputs, settings: Settings, start: date, end: date, warnings: list[str]
    ) -> None:
        self.settings = settings
        self.start, self.end = pd.Timestamp(start), pd.Timestamp(end)
        self.warnings = warnings
        self.has_costs = inputs.costs is not None
        self.has_time = inputs.time_logs is not None
        self.deals = self._prepare_deals(inputs.deals)
        self.customers = self._prepare_customers(inputs.customers)
        self.campaign_channel = self._campaign_channels()
        self.costs = self._prepare_costs(inputs.costs)
        self.time = self._prepare_time(inputs.time_logs)
        self.data_end = max(
            (c.max() for c in (self.deals["created"], self.deals["close"]) if c.notna().any()),
            default=self.end,
        )

    # --- preparation ---------------------------------------------------------------------------

    def _prepare_deals(self, deals: pd.DataFrame) -> pd.DataFrame:
        d = deals.copy()
        d["close"] = _day(d.get("close_date"), len(d))
        d["created"] = _day(d.get("created_date"), len(d))
        d["cents"] = d["amount"].fillna(0).astype("int64") if "amount" in d else 0
        in_w = (d["close"] >= self.start) & (d["close"] <= self.end)
        d["won_w"] = (d["status"] == "won") & in_w
        d["lost_w"] = (d["status"] == "lost") & in_w
        created_in = (d["created"] >= self.start) & (d["created"] <= self.end)
        d["open_w"] = (d["status"] == "open") & (created_in | d["created"].isna())
        if "customer_id" not in d:
            d["customer_id"] = pd.Series(pd.NA, index=d.index, dtype="str")
        return d

    def _prepare_customers(self, customers: pd.DataFrame | None) -> pd.DataFrame:
        """One row per customer: acquisition date and deal, churn date, own fields."""
        won = self.deals[
            (self.deals["status"] == "won")
            & self.deals["close"].notna()
            & self.deals["customer_id"].notna()
        ]
        first = won.sort_values(["close", "deal_id"]).drop_duplicates("customer_id")
        first = first.set_index("customer_id")
        last_won = won.groupby("customer_id")["close"].max()
        ids = pd.Index(self.deals["customer_id"].dropna().unique(), name="customer_id")
        if customers is not None:
            ids = ids.union(pd.Index(customers["customer_id"].dropna().unique()))
            own = customers.drop_duplicates("customer_id").set_index("customer_id")
        else:
            own = pd.DataFrame(index=pd.Index([], name="customer_id"))
        c = pd.DataFrame(index=ids)
        c.index.name = "customer_id"
        given = _day(own.get("acquired_date"), len(own)).reindex(ids) if len(own) else None
        c["acq_deal"] = first["deal_id"].reindex(ids)
        c["acquired"] = first["close"].reindex(ids)
        if given is not None:
            c["acquired"] = given.where(given.notna(), c["acquired"])
        if customers is not None and "churned_date" in customers:
            c["churn"] = _day(own["churned_date"], len(own)).reindex(ids)
        else:
            guess = last_won.reindex(ids) + pd.Timedelta(days=self.settings.churn_after_days)
            data_end = max(
                (x.max() for x in (self.deals["created"], self.deals["close"]) if x.notna().any()),
                default=self.end,
            )
            c["churn"] = guess.where(guess <= data_end)
        for column in own.columns:
            if column not in ("acquired_date", "churned_date", "_row"):
                c[column] = own[column].reindex(ids)
        c["revenue_dates"] = None  # placeholder so the frame has an object column; unused
        return c.drop(columns="revenue_dates")

    def _campaign_channels(self) -> dict[str, str]:
        """Campaigns the deals tie to exactly one channel."""
        d = self.deals
        if "campaign" not in d or "channel" not in d:
            return {}
        pairs = d[["campaign", "channel"]].dropna().drop_duplicates()
        counts = pairs.groupby("campaign")["channel"].nunique()
        unique = pairs[pairs["campaign"].isin(counts[counts == 1].index)]
        return dict(zip(unique["campaign"], unique["channel"], strict=True))

    def _prepare_costs(self, costs: pd.DataFrame | None) -> pd.DataFrame:
        """Cost rows within the window; a cost spread over days is cut to the window's days."""
        if costs is None or costs.empty:
            return pd.DataFrame(
                {
                    "cents": pd.Series([], dtype="int64"),
                    "date": pd.Series([], dtype="datetime64[ms]"),
                    "type": pd.Series([], dtype="str"),
                }
            )
        c = costs.copy()
        c["cents"] = c["amount"].astype("int64")
        single = _day(c.get("date"), len(c))
        start = _day(c.get("start_date"), len(c))
        end = _day(c.get("end_date"), len(c))
        spread = single.isna()
        c["first"] = single.where(~spread, start)
        c["last"] = single.where(~spread, end)
        if "channel" in c and "campaign" in c and self.campaign_channel:
            inferred = c["campaign"].map(self.campaign_channel)
            c["channel"] = c["channel"].where(c["channel"].notna(), inferred)
        c["date"] = c["first"]
        return c

    def cost_segments(self, period: str | None) -> pd.DataFrame:
        """Cost rows cut to the window (and to periods): exact cents per segment.

        A cost spread over N days gives floor(A·k/N) cents to its first k days, so any cut of
        its days adds up to exactly A.
        """
        c = self.costs
        if c.empty:
            return c
        lo = np.maximum(c["first"].to_numpy(), self.start.to_datetime64())
        hi = np.minimum(c["last"].to_numpy(), self.end.to_datetime64())
        keep = lo <= hi
        c = c[keep].copy()
        c["lo"], c["hi"] = lo[keep], hi[keep]
        if period is not None:
            c = _split_by_period(c, period)
        span = _days_between(c["first"], c["last"]) + 1
        k_lo = _days_between(c["first"], c["lo"])
        k_hi = _days_between(c["first"], c["hi"]) + 1
        cents = (
            c["cents"].to_numpy().astype(object)
            if _overflow_risk(c["cents"], span)
            else c["cents"].to_numpy()
        )
        part = (cents * k_hi) // span - (cents * k_lo) // span
        c["cents"] = np.asarray(part, dtype=np.int64)
        c["date"] = c["lo"]
        return c

    def _prepare_time(self, logs: pd.DataFrame | None) -> pd.DataFrame:
        if logs is None or logs.empty:
            return pd.DataFrame(
                {
                    "cents": pd.Series([], dtype="int64"),
                    "hours": pd.Series([], dtype="float64"),
                    "date": pd.Series([], dtype="datetime64[ms]"),
                    "type": pd.Series([], dtype="str"),
                }
            )
        t = logs.copy()
        t["date"] = _day(t["date"], len(t))
        t = t[(t["date"] >= self.start) & (t["date"] <= self.end)].copy()
        rate = t["hourly_rate"].astype("float64").to_numpy()
        t["cents"] = np.floor(t["hours"].to_numpy() * rate + 0.5).astype(np.int64)
        activity = t["activity"].str.lower().str.strip() if "activity" in t else None
        retention = (
            activity.isin(RETENTION_ACTIVITIES).to_numpy() if activity is not None else False
        )
        t["type"] = np.where(retention, "retention", "acquisition")
        if "campaign" in t and "channel" in t and self.campaign_channel:
            t["channel"] = t["channel"].where(
                t["channel"].notna(), t["campaign"].map(self.campaign_channel)
            )
        elif "campaign" in t and self.campaign_channel:
            t["channel"] = t["campaign"].map(self.campaign_channel)
        return t

    # --- keys -----------------------------------------------------------------------------

    def deal_key(self, dim: str, frame: pd.DataFrame | None = None) -> pd.Series:
        """Each deal's value for ``dim``; (none) where it has none."""
        d = self.deals if frame is None else frame
        if dim in PERIODS:
            when = d["close"].where(d["status"] != "open", d["created"])
            return period_label(when, dim).fillna(NONE)
        if dim == COHORT:
            return period_label(d["customer_id"].map(self.customers["acquired"]), "month").fillna(
                NONE
            )
        column = _find_column(d, dim, InputKind.DEALS)
        if column is not None:
            return d[column].astype("str").where(d[column].notna(), NONE)
        column = _find_column(self.customers, dim, InputKind.CUSTOMERS)
        if column is not None:
            return (
                d["customer_id"]
                .map(self.customers[column])
                .astype("str")
                .fillna(NONE)
                .replace("nan", NONE)
            )
        return pd.Series(NONE, index=d.index, dtype="str")

    def customer_key(self, dim: str) -> pd.Series:
        """Each customer's value: its own field, else its acquisition deal's."""
        c = self.customers
        if dim == COHORT:
            return period_label(c["acquired"], "month").fillna(NONE)
        column = _find_column(c, dim, InputKind.CUSTOMERS)
        if column is not None and dim not in PERIODS:
            return c[column].astype("str").where(c[column].notna(), NONE)
        deal_keys = (
            self.deal_key(dim).set_axis(self.deals["deal_id"])
            if len(self.deals)
            else pd.Series(dtype="str")
        )
        deal_keys = deal_keys[~deal_keys.index.duplicated()]
        return c["acq_deal"].map(deal_keys).fillna(NONE)

    def cost_key(self, dim: str, segs: pd.DataFrame) -> pd.Series:
        if dim in PERIODS:
            return period_label(segs["date"], dim)
        column = _find_column(segs, dim, InputKind.COSTS)
        if column is None:
            return pd.Series(UNATTRIBUTED, index=segs.index, dtype="str")
        return segs[column].astype("str").where(segs[column].notna(), UNATTRIBUTED)

    def time_key(self, dim: str) -> pd.Series:
        t = self.time
        if dim in PERIODS:
            return period_label(t["date"], dim)
        key = pd.Series(np.nan, index=t.index, dtype="object")
        own = (
            _find_column(t, dim, InputKind.TIME_LOGS)
            if dim not in ("deal_id", "customer_id")
            else None
        )
        if own is not None and own not in ("campaign", "channel"):
            key = t[own].astype("object")
        if "deal_id" in t and len(self.deals):
            by_deal = self.deal_key(dim).set_axis(self.deals["deal_id"])
            by_deal = by_deal[~by_deal.index.duplicated()].replace(NONE, np.nan)
            key = key.where(key.notna(), t["deal_id"].map(by_deal))
        if "customer_id" in t:
            by_customer = self.customer_key(dim).replace(NONE, np.nan)
            key = key.where(key.notna(), t["customer_id"].map(by_customer))
        for link in ("campaign", "channel"):
            if link in t and _find_column(t, dim, InputKind.TIME_LOGS) == link:
                key = key.where(key.notna(), t[link])
        return key.fillna(UNATTRIBUTED).astype("str")

    # --- figures --------------------------------------------------------------------------

    def figures(self, dims: Sequence[str]) -> dict[tuple[str, ...], dict[str, Any]]:
        """Every figure for every group of ``dims`` (``()`` gives the totals)."""
        dims = tuple(dims)
        period = next((d for d in dims if d in PERIODS), None)
        parts: dict[tuple[str, ...], dict[str, Any]] = {}

        def add(key_frame: pd.DataFrame, values: pd.DataFrame, how: dict[str, str]) -> None:
            if values.empty:
                return
            if dims:
                grouped = values.groupby([key_frame[d] for d in dims], sort=False, observed=True)
                agg = grouped.agg(how)
                for key, row in agg.iterrows():
                    k = key if isinstance(key, tuple) else (key,)
                    slot = parts.setdefault(tuple(map(str, k)), {})
                    for name, value in row.items():
                        slot[name] = slot.get(name, 0) + value
            else:
                slot = parts.setdefault((), {})
                agg = values.agg(how)
                for name, value in agg.items():
                    slot[name] = slot.get(name, 0) + value

        d = self.deals
        deal_keys = pd.DataFrame({dim: self.deal_key(dim) for dim in dims}, index=d.index)
        won = d["won_w"]
        values = pd.DataFrame(
            {
                "revenue": np.where(won, d["cents"], 0).astype(np.int64),
                "won": won.astype(np.int64),
                "lost": d["lost_w"].astype(np.int64),
                "open": d["open_w"].astype(np.int64),
            },
            index=d.index,
        )
        counted = won | d["lost_w"] | d["open_w"]
        add(deal_keys[counted], values[counted], dict.fromkeys(values.columns, "sum"))
        cycle = (d["close"] - d["created"]).dt.days.where(won & d["created"].notna())
        has_cycle = cycle.notna()
        if has_cycle.any():
            add(
                deal_keys[has_cycle], pd.DataFrame({"cycle": cycle[has_cycle]}), {"cycle": "median"}
            )
        active = won & d["customer_id"].notna()
        if active.any():
            add(
                deal_keys[active],
                pd.DataFrame({"active": d.loc[active, "customer_id"]}),
                {"active": "nunique"},
            )

        segs = self.cost_segments(period)
        if len(segs):
            keys = pd.DataFrame({dim: self.cost_key(dim, segs) for dim in dims}, index=segs.index)
            acq = segs["type"].fillna("acquisition") != "retention"
            add(
                keys,
                pd.DataFrame(
                    {
                        "direct": segs["cents"],
                        "acq": np.where(acq, segs["cents"], 0).astype(np.int64),
                    },
                    index=segs.index,
                ),
                {"direct": "sum", "acq": "sum"},
            )
        t = self.time
        if len(t):
            keys = pd.DataFrame({dim: self.time_key(dim) for dim in dims}, index=t.index)
            acq = t["type"] != "retention"
            add(
                keys,
                pd.DataFrame(
                    {
                        "time": t["cents"],
                        "hours": t["hours"],
                        "acq": np.where(acq, t["cents"], 0).astype(np.int64),
                    },
                    index=t.index,
                ),
                {"time": "sum", "hours": "sum", "acq": "sum"},
            )

        self._customer_parts(dims, period, parts)
        if self.settings.allocate != "none" and dims:
            allocate(parts, self.settings.allocate, self.warnings)
        return {
            key: self._derive(p, self._window_years(key, dims, period)) for key, p in parts.items()
        }

    def _window_years(
        self, key: tuple[str, ...], dims: tuple[str, ...], period: str | None
    ) -> Decimal:
        lo, hi = self._group_window(key, dims, period)
        return Decimal((hi - lo).days + 1) / DAYS_PER_YEAR if hi >= lo else Decimal(0)

    def _group_window(
        self, key: tuple[str, ...], dims: tuple[str, ...], period: str | None
    ) -> tuple[pd.Timestamp, pd.Timestamp]:
        if period is None:
            return self.start, self.end
        label = key[dims.index(period)]
        if label in (NONE, UNATTRIBUTED):
            return self.start, self.end
        lo, hi = period_bounds(label, period)
        return max(lo, self.start), min(hi, self.end)

    def _customer_parts(
        self,
        dims: tuple[str, ...],
        period: str | None,
        parts: dict[tuple[str, ...], dict[str, Any]],
    ) -> None:
        """new customers, churn and CLV to date, per group (per period window for periods)."""
        c = self.customers
        if c.empty:
            return
        plain = tuple(d for d in dims if d not in PERIODS)
        keys = pd.DataFrame({dim: self.customer_key(dim) for dim in plain}, index=c.index)
        windows: list[tuple[str | None, pd.Timestamp, pd.Timestamp]] = []
        if period is None:
            windows.append((None, self.start, self.end))
        else:
            for label in period_labels(self.start, self.end, period):
                lo, hi = period_bounds(label, period)
                windows.append((label, max(lo, self.start), min(hi, self.end)))
        acquired, churn = c["acquired"], c["churn"]
        won = self.deals[(self.deals["status"] == "won") & self.deals["customer_id"].notna()]
        for label, lo, hi in windows:
            new = (acquired >= lo) & (acquired <= hi)
            churned = (churn >= lo) & (churn <= hi) & acquired.notna()
            risk_from = acquired.where(acquired > lo, lo)
            risk_to = churn.where(
                churn.notna() & (churn <= hi + pd.Timedelta(days=1)), hi + pd.Timedelta(days=1)
            )
            risk_days = (
                (risk_to - risk_from)
                .dt.days.where(acquired.notna() & (acquired <= hi), 0)
                .clip(lower=0)
            )
            to_date = won[won["close"] <= hi].groupby("customer_id")["cents"].sum()
            ltd_customers = acquired.notna() & (acquired <= hi)
            ltd = to_date.reindex(c.index).fillna(0).where(ltd_customers, 0)
            frame = pd.DataFrame(
                {
                    "new": new.astype(np.int64),
                    "churned": churned.astype(np.int64),
                    "risk_days": risk_days.fillna(0).astype(np.int64),
                    "ltd_sum": ltd.astype(np.int64),
                    "ltd_n": ltd_customers.astype(np.int64),
                },
                index=c.index,
            )
            if plain:
                agg = frame.groupby([keys[d] for d in plain], sort=False).sum()
                for k, row in agg.iterrows():
                    k = k if isinstance(k, tuple) else (k,)
                    full = _full_key(dims, plain, k, period, label)
                    slot = parts.setdefault(full, {})
                    for name, value in row.items():
                        slot[name] = slot.get(name, 0) + int(value)
            else:
                full = _full_key(dims, plain, (), period, label)
                slot = (
                    parts.setdefault(full, {})
                    if (
                        full in parts
                        or frame["new"].sum()
                        or frame["churned"].sum()
                        or frame["ltd_n"].sum()
                    )
                    else None
                )
                if slot is not None:
                    for name, value in frame.sum().items():
                        slot[name] = slot.get(name, 0) + int(value)

    def _derive(self, p: dict[str, Any], years: Decimal) -> dict[str, Any]:
        """The contract's figures from one group's exact sums."""
        s = self.settings
        revenue = int(p.get("revenue", 0))
        won, lost = int(p.get("won", 0)), int(p.get("lost", 0))
        has_cost = self.has_costs or self.has_time
        direct = int(p.get("direct", 0)) if self.has_costs else None
        time = int(p.get("time", 0)) if self.has_time else None
        allocated = int(p.get("allocated", 0))
        cost = (direct or 0) + (time or 0) + allocated if has_cost else None
        acq = int(p.get("acq", 0)) + int(p.get("allocated_acq", 0)) if has_cost else None
        gross = _cents(revenue) * s.gross_margin
        net = gross - _cents(cost) if cost is not None else None
        new = int(p.get("new", 0))
        active = int(p.get("active", 0))
        avg = _cents(revenue) / won if won else None
        cac = _cents(acq) / new if acq is not None and new else None
        frequency = Decimal(won) / active / years if active and years else None
        risk_years = Decimal(int(p.get("risk_days", 0))) / DAYS_PER_YEAR
        churn_rate = Decimal(int(p.get("churned", 0))) / risk_years if risk_years else None
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
        ltd_n = int(p.get("ltd_n", 0))
        monthly = (
            avg * frequency * s.gross_margin / 12
            if avg is not None and frequency is not None
            else None
        )
        cycle = p.get("cycle")
        return {
            "revenue": _cents(revenue),
            "won_deals": won,
            "lost_deals": lost,
            "open_deals": int(p.get("open", 0)),
            "win_rate": Decimal(won) / (won + lost) if won + lost else None,
            "avg_deal_size": avg,
            "sales_cycle_days": None if cycle is None or pd.isna(cycle) else float(cycle),
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
            "clv_to_date": _cents(int(p.get("ltd_sum", 0))) / ltd_n if ltd_n else None,
            "ltv_cac": clv / cac if clv is not None and cac else None,
            "payback_months": cac / monthly if cac is not None and monthly else None,
        }


def _full_key(
    dims: tuple[str, ...],
    plain: tuple[str, ...],
    values: tuple[Any, ...],
    period: str | None,
    label: str | None,
) -> tuple[str, ...]:
    by_dim = dict(zip(plain, map(str, values), strict=True))
    if period is not None:
        by_dim[period] = str(label)
    return tuple(by_dim[d] for d in dims)


# ---------------------------------------------------------------------------------------------
# Allocation


def allocate(parts: dict[tuple[str, ...], dict[str, Any]], mode: str, warnings: list[str]) -> None:
    """Spread each group with (unattributed) keys over the groups that agree with it on its other
    keys, in proportion to revenue, won deals, or equally; cents add up exactly (largest
    remainder)."""
    weight_of = {
        "revenue": lambda p: int(p.get("revenue", 0)),
        "deals": lambda p: int(p.get("won", 0)),
        "even": lambda p: 1,
    }[mode]
    for key in [k for k in parts if UNATTRIBUTED in k]:
        source = parts[key]
        amount = (
            int(source.get("direct", 0))
            + int(source.get("time", 0))
            + int(source.get("allocated", 0))
        )
        acq = int(source.get("acq", 0)) + int(source.get("allocated_acq", 0))
        if not amount and not acq:
            continue
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
        hours = source.get("hours", 0)
        parts[key] = {"hours": hours} if hours else {}
        if not parts[key]:
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


def period_label(dates: pd.Series, period: str) -> pd.Series:
    """``2024-01`` (month), ``2024-Q1`` (quarter), ``2024`` (year); null where no date."""
    valid = dates.notna()
    out = pd.Series(pd.NA, index=dates.index, dtype="str")
    if not valid.any():
        return out
    year = dates[valid].dt.year.astype("int64")
    if period == "year":
        code = year
    elif period == "quarter":
        code = year * 10 + (dates[valid].dt.month.astype("int64") - 1) // 3 + 1
    else:
        code = year * 100 + dates[valid].dt.month.astype("int64")
    labels = {v: _label(int(v), period) for v in code.unique()}
    out[valid] = code.map(labels)
    return out


def _label(code: int, period: str) -> str:
    if period == "year":
        return f"{code:04d}"
    if period == "quarter":
        return f"{code // 10:04d}-Q{code % 10}"
    return f"{code // 100:04d}-{code % 100:02d}"


def period_bounds(label: str, period: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    if period == "year":
        lo = pd.Timestamp(int(label), 1, 1)
        return lo, pd.Timestamp(int(label), 12, 31)
    if period == "quarter":
        year, q = int(label[:4]), int(label[-1])
        lo = pd.Timestamp(year, 3 * q - 2, 1)
    else:
        lo = pd.Timestamp(int(label[:4]), int(label[5:7]), 1)
    months = 3 if period == "quarter" else 1
    return lo, lo + pd.DateOffset(months=months) - pd.Timedelta(days=1)


def period_labels(start: pd.Timestamp, end: pd.Timestamp, period: str) -> list[str]:
    labels = period_label(pd.Series(pd.date_range(start, end, freq="D")), period)
    return list(dict.fromkeys(labels))


def _split_by_period(c: pd.DataFrame, period: str) -> pd.DataFrame:
    """Cut each [lo, hi] span at period boundaries: one row per (cost, period) piece."""
    spans = c["lo"] != c["hi"]
    if not spans.any():
        return c
    pieces = [c[~spans]]
    multi = c[spans]
    freq = {"month": "MS", "quarter": "QS", "year": "YS"}[period]
    rows = []
    for idx, lo, hi in zip(multi.index, multi["lo"], multi["hi"], strict=True):
        cuts = [lo, *[b for b in pd.date_range(lo, hi, freq=freq) if b > lo]]
        for i, a in enumerate(cuts):
            b = cuts[i + 1] - pd.Timedelta(days=1) if i + 1 < len(cuts) else hi
            rows.append((idx, a, b))
    index, los, his = zip(*rows, strict=True)
    exploded = multi.loc[list(index)].copy()
    exploded["lo"], exploded["hi"] = list(los), list(his)
    pieces.append(exploded)
    return pd.concat(pieces, ignore_index=True)


def _days_between(a: pd.Series, b: pd.Series) -> np.ndarray:
    return ((pd.to_datetime(b) - pd.to_datetime(a)).dt.days).to_numpy(dtype=np.int64)


def _overflow_risk(cents: pd.Series, span: np.ndarray) -> bool:
    return (
        bool(len(cents))
        and float(np.abs(cents.to_numpy(dtype=float)).max()) * float(span.max() + 1) > 9e18
    )


def _day(column: pd.Series | None, n: int) -> pd.Series:
    if column is None:
        return pd.Series(pd.NaT, index=range(n), dtype="datetime64[ms]")
    return pd.to_datetime(column)


def _cents(value: int | None) -> Decimal:
    return Decimal(int(value or 0)).scaleb(-2)


def _find_column(frame: pd.DataFrame, dim: str, kind: InputKind) -> str | None:
    """The column of ``frame`` that ``dim`` names: a canonical field (by name or synonym) or a
    kept attribute (by its header), compared normalised."""
    want = normalise_header(dim)
    for spec in field_specs(kind):
        names = {spec.name.replace("_", " "), *(normalise_header(s) for s in spec.synonyms)}
        if want in names and spec.name in frame.columns:
            return spec.name
    for column in frame.columns:
        if normalise_header(column) == want:
            return str(column)
    return None


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
    return any(f is not None and _find_column(f, dim, k) is not None for f, k in frames)


def quantize_money(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


_ = timedelta

"""The figures of the contract: validated records in, a :class:`Report` out. Pure: no I/O,
no printing, no command-line wording.

How it goes: the inputs are converted into one currency, the window settled, and the inputs
:func:`~crm_roi.engine.prepare.prepare`-d once; then for the totals and every breakdown,
each row gets its group (:mod:`~crm_roi.engine.groups`), the exact sums are added up per group
(:mod:`~crm_roi.engine.sums`), and :func:`derive` turns one group's sums into the figures of
:mod:`~crm_roi.engine.figures`. Every figure is documented, in the user's words, in
``docs/metrics.md``.

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
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

from crm_roi.engine.calendar import DAYS_PER_YEAR, PERIODS, day_date, period_days
from crm_roi.engine.figures import NONE, UNATTRIBUTED
from crm_roi.engine.groups import (
    MAX_GROUPS,
    Keys,
    dimension_keys,
    keyed_rows,
    unravel,
)
from crm_roi.engine.money import from_cents, scale_cents
from crm_roi.engine.prepare import Inputs, Prepared, prepare
from crm_roi.engine.settings import Settings
from crm_roi.engine.sums import (
    ALLOCATIONS,
    GroupSums,
    acquisition,
    allocate,
    cost_segments,
    customer_sums,
    distinct_per_group,
    lead_sums,
    trailing_deal_sums,
)
from crm_roi.errors import CrmRoiError, EmptyWindow, NoDates, TooManyGroups

__all__ = ["CurrencyError", "Inputs", "Report", "compute", "convert_currencies", "data_window"]

Sums = dict[str, Any]  # one group's exact sums, by name: revenue, won, direct_cost, …


class CurrencyError(CrmRoiError):
    """Amounts in several currencies and no rate to add them up. ``missing``: the currencies
    without a rate into ``target`` (all but one when no target was chosen)."""

    def __init__(self, message: str, missing: list[str], target: str | None) -> None:
        self.missing, self.target = missing, target
        super().__init__(message)


@dataclass
class Report:
    currency: str | None
    start: date
    end: date
    settings: Settings
    totals: dict[str, Any]
    # Per breakdown (its dimensions, in order), one row per group: the group's label for each
    # dimension and its figures, sorted by key.
    breakdowns: dict[tuple[str, ...], list[dict[str, Any]]]
    warnings: list[str]


def compute(inputs: Inputs, settings: Settings) -> Report:
    """Totals and every requested breakdown for the window, as the contract defines them."""
    if settings.allocate not in ALLOCATIONS:
        raise ValueError(f"allocate must be one of {', '.join(ALLOCATIONS)}")
    warnings: list[str] = []
    currency, inputs = convert_currencies(inputs, settings, warnings)
    start, end = window(inputs, settings)
    prepared = prepare(inputs, settings, start, end)
    # The inputs are in the prepared arrays now: what only preparing needed (the ids hashed
    # by validation, 0.65 GB on ten million deals) goes, unless the caller holds them too.
    del inputs
    warnings += lead_notes(prepared)
    groupings: list[tuple[str, ...]] = [(), *settings.by]
    notes: list[list[str]] = [[] for _ in groupings]
    # NumPy and Arrow release the GIL in their loops: breakdowns share the two cores, the
    # heaviest started first (a period's trailing twelve months; more dimensions) so that no
    # core is left alone with it at the end. Results and notes keep the order asked for.
    heaviest = sorted(range(len(groupings)), key=lambda i: -_weight(groupings[i]))
    with ThreadPoolExecutor(max_workers=min(2, len(groupings))) as pool:
        started = {i: pool.submit(figures, prepared, groupings[i], notes[i]) for i in heaviest}
        results = [started[i].result() for i in range(len(groupings))]
    for found in notes:
        warnings.extend(found)
    breakdowns = {}
    for dims, rows in zip(settings.by, results[1:], strict=True):
        breakdowns[dims] = keyed_rows(dims, rows)
    settled = replace(settings, start=start, end=end)
    return Report(currency, start, end, settled, results[0][()], breakdowns, warnings)


def _weight(dims: tuple[str, ...]) -> int:
    """How much work a breakdown is, roughly: a period costs the trailing sums too."""
    return len(dims) + sum(d in PERIODS for d in dims)


def lead_notes(prepared: Prepared) -> list[str]:
    """Leads created outside the window: not counted, and said so."""
    leads = prepared.leads
    if leads is None or not leads.outside:
        return []
    first = day_date(leads.first_outside)
    if leads.outside == 1:
        return [f"1 lead was created outside the window (on {first}): it is not counted"]
    return [
        f"{leads.outside:,} leads were created outside the window (the earliest on {first}): "
        "they are not counted (a wider window takes them in)"
    ]


def window(
    inputs: Inputs, settings: Settings, dates: tuple[date | None, date | None] | None = None
) -> tuple[date, date]:
    """The window: the settings' days, else the earliest and latest date of the inputs (or of
    ``dates``, the first and last of what a command is about)."""
    first, last = dates if dates is not None else data_window(inputs)
    start, end = settings.start or first, settings.end or last
    if start is None or end is None:
        raise NoDates()
    if start > end:
        raise EmptyWindow(start, end)
    return start, end


def data_window(inputs: Inputs) -> tuple[date | None, date | None]:
    """Earliest and latest date in the deals, costs and time logs. Leads don't widen it: they
    come before the deals (often years of them), and adding them must change no other figure.

    An open deal's close date is a forecast (Salesforce and Zoho fill it in), not a date
    anything happened on: it doesn't widen the window.
    """
    deals = inputs.deals
    closed = None
    if "close_date" in deals:
        closed = (deals["status"] != "open").to_numpy(dtype=bool, na_value=True)
    columns = [(deals.get("created_date"), None), (deals.get("close_date"), closed)]
    if inputs.costs is not None:
        columns += [(inputs.costs.get(c), None) for c in ("date", "start_date", "end_date")]
    if inputs.time_logs is not None:
        columns.append((inputs.time_logs.get("date"), None))
    days = [_first_and_last(column, keep) for column, keep in columns if column is not None]
    found = [d for d in days if d is not None]
    if not found:
        return None, None
    return min(lo for lo, _ in found), max(hi for _, hi in found)


def _first_and_last(column: pd.Series, keep: np.ndarray | None) -> tuple[date, date] | None:
    """The earliest and latest day of a date column (of the rows ``keep``); None without."""
    values = np.asarray(column.to_numpy(), dtype="datetime64[ms]")
    has = ~np.isnat(values)
    if keep is not None:
        has &= keep
    if not has.any():
        return None
    days = values[has].astype("datetime64[D]")
    return days.min().item(), days.max().item()


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
                f"amounts are in several currencies: {listing}; they are never added up as "
                "they are: choose the report's currency and give exchange rates to convert them",
                sorted(seen),
                None,
            )
        currency = next(iter(seen), None)
    rates = {k.upper(): v for k, v in settings.rates.items()}
    missing = sorted(c for c in seen if c != currency and c not in rates)
    if missing:
        raise CurrencyError(
            f"no exchange rate for {', '.join(missing)} into {currency}: give one for each",
            missing,
            currency,
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
        leads=inputs.leads,
        lead_links=inputs.lead_links,
        ids=inputs.ids,  # converting keeps every row where it was
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


def figures(
    prepared: Prepared, dims: tuple[str, ...], notes: list[str]
) -> dict[tuple[str, ...], dict[str, Any]]:
    """Every figure for every group of ``dims`` (``()`` gives the totals)."""
    period = next((d for d in dims if d in PERIODS), None)

    def collect(at: Grouping, add: Add) -> dict[str, dict[int, float]]:
        deal_groups = at.rows("deals", len(prepared.deals.frame))
        medians = {"sales_cycle_days": _deal_sums(prepared, deal_groups, at.n_groups, add)}
        cost_sums(prepared, at, add)
        customer_sums(prepared, at.keys, dims, period, add)
        if period is not None:
            trailing_deal_sums(prepared, at.keys, dims, period, add)
        if prepared.leads is not None:
            lead_groups = at.rows("leads", len(prepared.leads.frame))
            medians["days_to_convert"] = lead_sums(prepared, lead_groups, add)
        return medians

    parts = group_sums(prepared, dims, collect)
    for key, part in parts.items():
        part["years"] = _years(prepared, key, dims, period)
        # A period row's customer rates: over the twelve months up to the period's end.
        part["trailing"] = period is not None and key[dims.index(period)] not in (
            NONE,
            UNATTRIBUTED,
        )
    if prepared.settings.allocate != "none" and dims:
        allocate(parts, prepared.settings.allocate, notes)
    return {key: derive(prepared, p) for key, p in parts.items()}


Add = Callable[..., None]  # add(name, groups, weights=None, mark=True)


@dataclass(frozen=True)
class Grouping:
    """The groups of one breakdown: each dimension's keys, and the cost segments they cut."""

    keys: list[Keys]
    sizes: list[int]
    n_groups: int  # every combination of labels
    cost_rows: np.ndarray  # cost segments: the cost row, and the cents of each
    cost_cents: np.ndarray

    def rows(self, kind: str, n: int) -> np.ndarray:
        """Each row's group (of ``kind``: deals, costs, time, leads) among all combinations."""
        return _combined(self.keys, self.sizes, kind, n)


def group_sums(
    prepared: Prepared,
    dims: tuple[str, ...],
    collect: Callable[[Grouping, Add], dict[str, dict[int, float]]],
) -> dict[tuple[str, ...], Sums]:
    """The exact sums of every group of ``dims`` that has rows: ``collect`` adds them (and
    returns per-group medians by name, which are no sums)."""
    period = next((d for d in dims if d in PERIODS), None)
    cost_rows, cost_days, cost_cents = cost_segments(prepared, period)
    all_keys = [dimension_keys(prepared, d, cost_rows, cost_days) for d in dims]
    sizes = [len(k.labels) for k in all_keys]
    n_groups = math.prod(sizes)  # every combination: only those with rows are kept
    if n_groups >= 2**62:
        raise TooManyGroups(dims, n_groups)
    sums = GroupSums(bool(dims), n_groups)
    medians = collect(Grouping(all_keys, sizes, n_groups, cost_rows, cost_cents), sums.add)
    groups, totals, present = sums.result()
    if len(present) > MAX_GROUPS:
        raise TooManyGroups(dims, len(present), MAX_GROUPS)
    parts: dict[tuple[str, ...], Sums] = {}
    labels = [k.labels for k in all_keys]
    for i in present:
        g = int(groups[i])
        part: Sums = {name: values[i] for name, values in totals.items()}
        for name, by_group in medians.items():
            if g in by_group:
                part[name] = by_group[g]
        parts[unravel(g, labels, sizes)] = part
    return parts


def _combined(all_keys: list[Keys], sizes: list[int], kind: str, n: int) -> np.ndarray:
    """Each row's group among all combinations of the dimensions' labels (read-only: with one
    dimension, its own keys)."""
    if len(all_keys) == 1:
        return np.asarray(getattr(all_keys[0], kind), dtype=np.int64)
    out = np.zeros(n, dtype=np.int64)
    for keys, size in zip(all_keys, sizes, strict=True):
        out = out * size + getattr(keys, kind)
    return out


def _deal_sums(prepared: Prepared, g_deal: np.ndarray, n_groups: int, add: Any) -> dict[int, float]:
    """Revenue, won, lost, open and active customers per group; the median sales cycle of each
    group is returned (a median is no sum)."""
    rows = prepared.deals.rows
    won = g_deal[rows.won]
    add("revenue", won, rows.won_cents, mark=False)
    add("won", won, mark=False)
    add("lost", g_deal[rows.lost], mark=False)
    add("open", g_deal[rows.open], mark=False)
    add("counted", g_deal[rows.counted])  # won, lost and open: marks their groups
    cycles = pd.Series(rows.cycle_days).groupby(g_deal[rows.cycle]).median()
    n_cust = max(len(prepared.customers.ids), 1)
    active = g_deal[rows.active]
    groups, weights = distinct_per_group(active, rows.active_customer, n_groups, n_cust)
    add("active", groups, weights, mark=False)  # won deals: marked
    return {int(k): float(v) for k, v in cycles.items()}


def cost_sums(prepared: Prepared, at: Grouping, add: Add) -> None:
    """Direct cost, time cost, hours and acquisition cost per group."""
    time = prepared.time
    cost_rows, cost_cents = at.cost_rows, at.cost_cents
    for_costs, for_time = acquisition(prepared, cost_rows)
    if len(cost_rows):
        g_cost = at.rows("costs", len(cost_rows))
        add("direct_cost", g_cost, cost_cents)
        add("acquisition_cost", g_cost[for_costs], cost_cents[for_costs], mark=False)
    if len(time.frame):
        g_time = at.rows("time", len(time.frame))
        add("time_cost", g_time, time.cents)
        add("hours", g_time, time.hours, mark=False)
        add("acquisition_cost", g_time[for_time], time.cents[for_time], mark=False)


def _years(
    prepared: Prepared, key: tuple[str, ...], dims: tuple[str, ...], period: str | None
) -> Decimal:
    """Years of a group's window: the window, or for a period group its period in it."""
    whole = Decimal(int(prepared.end - prepared.start) + 1) / DAYS_PER_YEAR
    if period is None:
        return whole
    label = key[dims.index(period)]
    if label in (NONE, UNATTRIBUTED):
        return whole
    lo, hi = period_days(label, period)
    lo, hi = max(lo, prepared.start), min(hi, prepared.end)
    return Decimal(int(hi - lo) + 1) / DAYS_PER_YEAR if hi >= lo else Decimal(0)


def derive(prepared: Prepared, p: Sums) -> dict[str, Any]:
    """The contract's figures from one group's exact sums."""
    s = prepared.settings
    has_cost = prepared.has_costs or prepared.has_time
    revenue, won, lost = int(p.get("revenue", 0)), int(p.get("won", 0)), int(p.get("lost", 0))
    direct = int(p.get("direct_cost", 0)) if prepared.has_costs else None
    time = int(p.get("time_cost", 0)) if prepared.has_time else None
    allocated = int(p.get("allocated", 0))
    cost = (direct or 0) + (time or 0) + allocated if has_cost else None
    acquisition_cost = (
        int(p.get("acquisition_cost", 0)) + int(p.get("allocated_acquisition", 0))
        if has_cost
        else None
    )
    gross = from_cents(revenue) * s.gross_margin
    net = gross - from_cents(cost) if cost is not None else None
    new, active = int(p.get("new_customers", 0)), int(p.get("active", 0))
    avg = from_cents(revenue) / won if won else None
    cac = from_cents(acquisition_cost) / new if acquisition_cost is not None and new else None
    years: Decimal = p.get("years", Decimal(0))
    frequency = Decimal(won) / active / years if active and years else None
    churn_rate, lifespan = _churn_and_lifespan(s, p)
    customer_avg = avg  # the deal size inside CLV and payback
    if p.get("trailing"):  # a period row: customer rates over the trailing twelve months
        customer_avg, frequency, churn_rate, lifespan = _trailing_rates(s, p)
    yearly = (
        customer_avg * frequency * s.gross_margin
        if customer_avg is not None and frequency is not None
        else None
    )
    clv = yearly * lifespan if yearly is not None and lifespan is not None else None
    monthly = yearly / 12 if yearly is not None else None
    to_date = int(p.get("customers_to_date", 0))
    return {
        "revenue": from_cents(revenue),
        "won_deals": won,
        "lost_deals": lost,
        "open_deals": int(p.get("open", 0)),
        "win_rate": Decimal(won) / (won + lost) if won + lost else None,
        "avg_deal_size": avg,
        "sales_cycle_days": p.get("sales_cycle_days"),
        "direct_cost": from_cents(direct) if direct is not None else None,
        "time_cost": from_cents(time) if time is not None else None,
        "hours": float(p.get("hours", 0.0)) if prepared.has_time else None,
        "cost": from_cents(cost) if cost is not None else None,
        "gross_profit": gross,
        "net_return": net,
        "roi": net / from_cents(cost) if net is not None and cost else None,
        "new_customers": new,
        "acquisition_cost": from_cents(acquisition_cost) if acquisition_cost is not None else None,
        "cac": cac,
        "active_customers": active,
        "purchase_frequency": frequency,
        "churn_rate": churn_rate,
        "lifespan_years": lifespan,
        "clv": clv,
        "clv_to_date": from_cents(int(p.get("revenue_to_date", 0))) / to_date if to_date else None,
        "ltv_cac": clv / cac if clv is not None and cac else None,
        "payback_months": cac / monthly if cac and monthly else None,
        **_lead_figures(p, acquisition_cost),
    }


def _lead_figures(p: Sums, acquisition_cost: int | None) -> dict[str, Any]:
    """The leads' figures of one group (docs/metrics.md, leads): counts 0 and rates null
    without leads."""
    leads = int(p.get("leads", 0))
    converted, won = int(p.get("converted_leads", 0)), int(p.get("won_leads", 0))
    return {
        "leads": leads,
        "converted_leads": converted,
        "lead_conversion_rate": Decimal(converted) / leads if leads else None,
        "won_leads": won,
        "lead_to_win_rate": Decimal(won) / leads if leads else None,
        "lead_revenue": from_cents(int(p.get("lead_revenue", 0))),
        "days_to_convert": p.get("days_to_convert"),
        "cost_per_lead": (
            from_cents(acquisition_cost) / leads if leads and acquisition_cost is not None else None
        ),
    }


def _trailing_rates(
    s: Settings, p: Sums
) -> tuple[Decimal | None, Decimal | None, Decimal | None, Decimal | None]:
    """A period row's deal size, purchase frequency, churn and lifespan over the trailing
    twelve months T ending on its last day: years(T) = 1 (docs/metrics.md, period rows)."""
    won, active = int(p.get("won_trailing", 0)), int(p.get("active_trailing", 0))
    avg = from_cents(int(p.get("revenue_trailing", 0))) / won if won else None
    frequency = Decimal(won) / active if active else None
    churn_rate, lifespan = _churn_and_lifespan(s, p, "_trailing")
    return avg, frequency, churn_rate, lifespan


def _churn_and_lifespan(
    s: Settings, p: Sums, over: str = ""
) -> tuple[Decimal | None, Decimal | None]:
    """Churn per customer-year at risk, and the lifespan it gives (capped; or as set);
    ``over="_trailing"``: the sums of the trailing twelve months."""
    risk_years = Decimal(int(p.get("risk_days" + over, 0))) / DAYS_PER_YEAR
    churn_rate = Decimal(int(p.get("churned" + over, 0))) / risk_years if risk_years else None
    if s.lifespan is not None:
        return churn_rate, s.lifespan
    if churn_rate is None:
        return None, None
    if churn_rate == 0:
        return churn_rate, s.max_lifespan
    return churn_rate, min(1 / churn_rate, s.max_lifespan)

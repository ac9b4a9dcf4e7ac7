"""Acquisition cohorts and before/after comparisons: time-aware ROI on the same engine.

Pure, like :mod:`crm_roi.engine.compute`: records in, results out. The rules are the engine's —
acquisition, cost attribution, currencies, the window — so the figures agree with ``compute``.

Cohorts
    Customers are grouped by the period (month or quarter) of their acquisition. For each
    cohort: its customers, the acquisition cost dated in its period (cost rows of type
    acquisition and time not spent on retention), CAC, the revenue its customers brought at
    each age (periods since the acquisition period, 0 first), the cumulative revenue per
    customer at each age, and the payback period: the first age at which cumulative gross
    profit per customer reaches the CAC. A won deal closed before its customer's recorded
    acquisition date counts at age 0; revenue after the window's end is not counted.

Comparisons
    Every figure for a baseline and a current window, and per figure the absolute change and the
    relative change (null where the baseline is 0 or null), for the totals and for every group of
    every breakdown present in either window.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

from crm_roi.engine.calendar import period_index, period_name
from crm_roi.engine.compute import (
    Inputs,
    Model,
    Report,
    compute,
    convert_currencies,
    data_window,
)
from crm_roi.engine.figures import FIELDS
from crm_roi.engine.settings import Settings
from crm_roi.errors import CrmRoiError, UsageError

COHORT_PERIODS = ("month", "quarter")


@dataclass
class Cohort:
    cohort: str
    customers: int
    acquisition_cost: Decimal | None
    cac: Decimal | None
    revenue_by_age: list[Decimal]
    cumulative_revenue_per_customer: list[Decimal]
    payback_period: int | None


@dataclass
class CohortReport:
    period: str
    currency: str | None
    start: date
    end: date
    gross_margin: Decimal
    cohorts: list[Cohort]
    warnings: list[str]


def cohorts(inputs: Inputs, settings: Settings, period: str = "month") -> CohortReport:
    """The cohort table for the window (see the module docstring)."""
    if period not in COHORT_PERIODS:
        raise UsageError(f"--period must be one of {', '.join(COHORT_PERIODS)}")
    warnings: list[str] = []
    currency, inputs = convert_currencies(inputs, settings, warnings)
    first, last = data_window(inputs)
    start, end = settings.start or first, settings.end or last
    if start is None or end is None:
        raise CrmRoiError("no dates in the inputs: pass --from and --to")
    if start > end:
        raise UsageError(f"the window is empty: --from {start} is after --to {end}")
    model = Model(inputs, settings, start, end, warnings)
    lo, hi = period_index(np.array([model.start, model.end]), period)

    acquired = model.c_acquired
    in_window = (acquired >= model.start) & (acquired <= model.end)
    cohort_of = np.where(in_window, period_index(acquired, period), -1)
    n = int(hi - lo + 1)
    customers = np.bincount(cohort_of[in_window] - lo, minlength=n)

    won = (
        model.d_won_any
        & (model.d_cust >= 0)
        & (model.d_close >= model.start)
        & (model.d_close <= model.end)
    )
    cust = model.d_cust[won]
    cohort = cohort_of[cust]
    counted = cohort >= 0
    age = np.maximum(period_index(model.d_close[won], period) - cohort, 0)
    revenue = np.zeros((n, n), dtype=np.int64)  # [cohort, age] in cents
    np.add.at(revenue, (cohort[counted] - lo, age[counted]), model.d_cents[won][counted])

    has_cost = model.has_costs or model.has_time
    acq_cost = np.zeros(n, dtype=np.int64)
    rows, days, cents = model.cost_segments(period)
    if len(rows):
        types = model.costs["type"].to_numpy(dtype=object)[rows] if "type" in model.costs else None
        keep = np.ones(len(rows), dtype=bool) if types is None else types != "retention"
        np.add.at(acq_cost, period_index(days[keep], period) - lo, cents[keep])
    if len(model.time):
        keep = ~model.t_retention
        np.add.at(
            acq_cost,
            period_index(model.t_day[keep], period) - lo,
            model.time["cents"].to_numpy()[keep],
        )

    out = []
    for i in range(n):
        if not customers[i]:
            continue
        ages = n - i
        by_age = [_money(v) for v in revenue[i, :ages]]
        count = int(customers[i])
        cumulative = [c / count for c in _cumsum(by_age)]
        cost = _money(acq_cost[i]) if has_cost else None
        cac = cost / count if cost is not None else None
        out.append(
            Cohort(
                cohort=period_name(int(lo + i), period),
                customers=count,
                acquisition_cost=cost,
                cac=cac,
                revenue_by_age=by_age,
                cumulative_revenue_per_customer=cumulative,
                payback_period=_payback(cumulative, cac, settings.gross_margin),
            )
        )
    return CohortReport(period, currency, start, end, settings.gross_margin, out, warnings)


def _money(cents: Any) -> Decimal:
    return Decimal(int(cents)).scaleb(-2)


def _cumsum(values: list[Decimal]) -> list[Decimal]:
    total, out = Decimal(0), []
    for v in values:
        total += v
        out.append(total)
    return out


def _payback(cumulative: list[Decimal], cac: Decimal | None, margin: Decimal) -> int | None:
    """The first age at which cumulative gross profit per customer reaches the CAC."""
    if cac is None:
        return None
    return next((age for age, value in enumerate(cumulative) if value * margin >= cac), None)


# ---------------------------------------------------------------------------------------------
# Comparisons


@dataclass
class Comparison:
    baseline: Report
    current: Report
    change: dict[str, Any]


def compare(
    inputs: Inputs, settings: Settings, baseline: tuple[date, date], current: tuple[date, date]
) -> Comparison:
    """The same report for two windows, and how each figure changed from one to the other."""
    before = compute(inputs, replace(settings, start=baseline[0], end=baseline[1]))
    after = compute(inputs, replace(settings, start=current[0], end=current[1]))
    change: dict[str, Any] = {"totals": changes(before.totals, after.totals), "breakdowns": {}}
    for name in after.breakdowns:
        dims = name.split(",")
        old = {tuple(str(r[d]) for d in dims): r for r in before.breakdowns[name]}
        new = {tuple(str(r[d]) for d in dims): r for r in after.breakdowns[name]}
        keys = list(new) + [k for k in old if k not in new]
        change["breakdowns"][name] = [
            {**dict(zip(dims, key, strict=True)), **changes(old.get(key, {}), new.get(key, {}))}
            for key in keys
        ]
    return Comparison(before, after, change)


def changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Per figure: ``abs`` = current − baseline; ``rel`` = abs ÷ |baseline|, null where the
    baseline is 0 or null (a group missing from a window counts as null)."""
    out: dict[str, dict[str, Any]] = {}
    for name in FIELDS:
        a, b = before.get(name), after.get(name)
        if a is None or b is None:
            out[name] = {"abs": None, "rel": None}
            continue
        diff = Decimal(str(b)) - Decimal(str(a))
        base = Decimal(str(a))
        out[name] = {"abs": diff, "rel": diff / abs(base) if base else None}
    return out


def go_live_windows(go_live: date, months: int) -> tuple[tuple[date, date], tuple[date, date]]:
    """N months before the go-live date (up to the day before it) and N months from it.

    >>> before, after = go_live_windows(date(2024, 1, 15), 3)
    >>> [d.isoformat() for d in (*before, *after)]
    ['2023-10-15', '2024-01-14', '2024-01-15', '2024-04-14']
    """
    if months < 1:
        raise UsageError("--months must be at least 1")
    day = pd.Timestamp(go_live)
    before = (day - pd.DateOffset(months=months)).date()
    after = (day + pd.DateOffset(months=months) - pd.Timedelta(days=1)).date()
    return (before, go_live - timedelta(days=1)), (go_live, after)

"""Acquisition cohorts: time-aware ROI on the same engine.

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
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import numpy as np

from crm_roi.engine.calendar import period_index, period_name
from crm_roi.engine.compute import (
    Inputs,
    Model,
    convert_currencies,
    data_window,
)
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

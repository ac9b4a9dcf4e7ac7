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
from crm_roi.engine.compute import convert_currencies, window
from crm_roi.engine.prepare import Inputs, Prepared, prepare
from crm_roi.engine.settings import Settings
from crm_roi.engine.sums import acquisition, cost_segments

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
        raise ValueError(f"period must be one of {', '.join(COHORT_PERIODS)}")
    warnings: list[str] = []
    currency, inputs = convert_currencies(inputs, settings, warnings)
    start, end = window(inputs, settings)
    p = prepare(inputs, settings, start, end)
    lo, hi = period_index(np.array([p.start, p.end]), period)
    n = int(hi - lo + 1)
    acquired = p.customers.acquired
    in_window = (acquired >= p.start) & (acquired <= p.end)
    cohort_of = np.where(in_window, period_index(acquired, period), -1)
    customers = np.bincount(cohort_of[in_window] - lo, minlength=n)
    revenue = _revenue_by_age(p, cohort_of, lo, n, period)
    cost = _acquisition_cost(p, lo, n, period)
    out = []
    for i in range(n):
        if not customers[i]:
            continue
        by_age = [_money(v) for v in revenue[i, : n - i]]
        count = int(customers[i])
        cumulative = [c / count for c in _cumsum(by_age)]
        spent = _money(cost[i]) if cost is not None else None
        cac = spent / count if spent is not None else None
        out.append(
            Cohort(
                cohort=period_name(int(lo + i), period),
                customers=count,
                acquisition_cost=spent,
                cac=cac,
                revenue_by_age=by_age,
                cumulative_revenue_per_customer=cumulative,
                payback_period=_payback(cumulative, cac, settings.gross_margin),
            )
        )
    return CohortReport(period, currency, start, end, settings.gross_margin, out, warnings)


def _revenue_by_age(p: Prepared, cohort_of: np.ndarray, lo: int, n: int, period: str) -> np.ndarray:
    """Cents won from each cohort's customers at each age [cohort, age] within the window; a
    deal closed before its customer's recorded acquisition counts at age 0."""
    deals = p.deals
    won = deals.ever_won & (deals.customer >= 0) & (deals.close >= p.start) & (deals.close <= p.end)
    cohort = cohort_of[deals.customer[won]]
    counted = cohort >= 0
    age = np.maximum(period_index(deals.close[won], period) - cohort, 0)
    revenue = np.zeros((n, n), dtype=np.int64)
    np.add.at(revenue, (cohort[counted] - lo, age[counted]), deals.cents[won][counted])
    return revenue


def _acquisition_cost(p: Prepared, lo: int, n: int, period: str) -> np.ndarray | None:
    """Acquisition cost dated in each cohort's period, by the engine's one rule; None without
    costs or time logs."""
    if not (p.has_costs or p.has_time):
        return None
    cost = np.zeros(n, dtype=np.int64)
    rows, days, cents = cost_segments(p, period)
    for_costs, for_time = acquisition(p, rows)
    np.add.at(cost, period_index(days[for_costs], period) - lo, cents[for_costs])
    np.add.at(cost, period_index(p.time.day[for_time], period) - lo, p.time.cents[for_time])
    return cost


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

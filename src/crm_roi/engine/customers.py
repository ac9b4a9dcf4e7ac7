"""Customer lifetime value by model (docs/customers.md; contract v2 §7): each customer's
chance of still buying, its expected purchases and value, and the accounts at risk.

The models are :mod:`crm_roi.engine.buying`'s (BG/NBD and Gamma-Gamma); the customers, their
won deals and their groups are :func:`~crm_roi.engine.prepare.prepare`'s and
:mod:`~crm_roi.engine.groups`'s, as for every other figure.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import numpy as np

from crm_roi.engine import buying
from crm_roi.engine.calendar import day_date, epoch_day
from crm_roi.engine.compute import Inputs, convert_currencies, data_window
from crm_roi.engine.groups import dimension_keys, keyed_rows, unravel
from crm_roi.engine.prepare import Prepared, prepare
from crm_roi.engine.settings import Settings
from crm_roi.errors import CrmRoiError

ONE = Decimal(1)


@dataclass(frozen=True)
class ModelSettings:
    calibration_end: date | None = None  # default: the data's end
    horizon_months: int = 12
    risk_threshold: float = 0.5
    holdout_to: date | None = None


@dataclass
class Holdout:
    start: date  # the day after the calibration end
    end: date
    predicted: float  # repeat purchases, all customers
    actual: int
    mae: float  # per customer
    first_purchase: date  # the first purchase of all: week 1 starts on it
    weeks: list[int]  # week numbers since the first purchase of all
    predicted_cumulative: list[float]  # cumulative repeat purchases per week, the model's
    actual_cumulative: list[int]


@dataclass
class CustomerReport:
    currency: str | None
    calibration_end: date
    horizon_months: int
    settings: Settings
    model: ModelSettings
    bgnbd: buying.BGNBD
    gamma_gamma: buying.GammaGamma
    customers: list[dict[str, Any]]  # every customer with a purchase by the calibration end
    at_risk: list[str]  # p_alive below the threshold, by revenue to date, most first
    holdout: Holdout | None
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def customer_models(inputs: Inputs, settings: Settings, how: ModelSettings) -> CustomerReport:
    """Fit the models on the won deals up to the calibration end; score every customer."""
    warnings: list[str] = []
    currency, inputs = convert_currencies(inputs, settings, warnings)
    first, last = data_window(inputs)
    if first is None or last is None:
        raise CrmRoiError("no dates in the deals: nothing to fit")
    end = how.calibration_end or last
    if end < first:
        raise CrmRoiError(f"the calibration end {end} is before the data's first day {first}")
    prepared = prepare(inputs, settings, first, max(last, how.holdout_to or last))
    deals = prepared.deals
    bought = deals.ever_won & ~np.isnan(deals.close) & (deals.customer >= 0)
    if not bought.any():
        raise CrmRoiError(
            "no won deal names a customer: the models follow customers' purchases (map the "
            "deals' customer column)"
        )
    day, who, cents = deals.close[bought], deals.customer[bought], deals.cents[bought]
    calibrating = day <= epoch_day(end)
    rfm = buying.summary(who[calibrating], day[calibrating], cents[calibrating], epoch_day(end))
    bgnbd = buying.fit_bgnbd(rfm.x, rfm.t_x, rfm.T)
    repeat = rfm.x > 0
    gamma = buying.fit_gamma_gamma(rfm.x[repeat], rfm.monetary[repeat])
    weeks = buying.weeks_in_months(how.horizon_months)
    alive = buying.p_alive(bgnbd, rfm.x, rfm.t_x, rfm.T)
    expected = buying.expected_purchases(bgnbd, weeks, rfm.x, rfm.t_x, rfm.T)
    value = buying.expected_value(gamma, rfm.x, np.where(repeat, rfm.monetary, 0.0))
    clv = expected * value * float(settings.gross_margin)
    rows = _rows(prepared, rfm, alive, expected, value, clv)
    at_risk = [
        r["customer_id"]
        for r in sorted(rows, key=lambda r: -r["revenue_to_date"])
        if r["p_alive"] < how.risk_threshold
    ]
    report = CustomerReport(
        currency, end, how.horizon_months, settings, how, bgnbd, gamma, rows, at_risk, None
    )
    if how.holdout_to is not None:
        report.holdout = _holdout(bgnbd, rfm, who, day, end, how.holdout_to)
    for dims in settings.by:
        report.groups[dims] = _groups(prepared, rfm.customer, alive, clv, dims)
    report.warnings = warnings
    return report


def _rows(
    prepared: Prepared,
    rfm: buying.Summary,
    alive: np.ndarray,
    expected: np.ndarray,
    value: np.ndarray,
    clv: np.ndarray,
) -> list[dict[str, Any]]:
    """Each customer's figures: money as Decimal cents, rates as floats, never NaN."""
    names = prepared.customers.ids.values(rfm.customer)
    out = []
    for i, name in enumerate(names):
        monetary = rfm.monetary[i] if rfm.x[i] > 0 else None
        out.append(
            {
                "customer_id": name,
                "purchases": int(rfm.purchases[i]),
                "x": int(rfm.x[i]),
                "t_x": float(rfm.t_x[i]),
                "T": float(rfm.T[i]),
                "monetary": _money(monetary),
                "revenue_to_date": Decimal(int(rfm.revenue[i])).scaleb(-2),
                "p_alive": float(alive[i]),
                "expected_purchases": float(expected[i]),
                "expected_value": _money(value[i]),
                "clv": _money(clv[i]),
            }
        )
    return out


def _money(cents: float | None) -> Decimal | None:
    """An estimate in cents as money (Decimal, to the cent); None for none."""
    if cents is None or not np.isfinite(cents):
        return None
    return Decimal(float(cents)).quantize(ONE, ROUND_HALF_UP).scaleb(-2)


def _holdout(
    model: buying.BGNBD,
    rfm: buying.Summary,
    who: np.ndarray,
    day: np.ndarray,
    end: date,
    to: date,
) -> Holdout:
    """Predicted against actual repeat purchases in (calibration end, holdout end]: in total,
    per customer (mean absolute error), and cumulative per week."""
    cal, stop = epoch_day(end), epoch_day(to)
    if stop <= cal:
        raise CrmRoiError(f"the holdout's end {to} is not after the calibration end {end}")
    span = (stop - cal) / 7
    predicted = buying.expected_purchases(model, span, rfm.x, rfm.t_x, rfm.T)
    actual = buying.purchases_between(who, day, cal, stop, rfm.customer)
    position = np.full(int(who.max()) + 1, -1, dtype=np.int64)
    position[rfm.customer] = np.arange(len(rfm.customer))
    first = rfm.first_day
    weeks, predicted_cum, actual_cum = _tracking(model, rfm, first, who, day, position, stop)
    return Holdout(
        start=day_date(cal + 1),
        end=to,
        predicted=float(predicted.sum()),
        actual=int(actual.sum()),
        mae=float(np.abs(predicted - actual).mean()),
        first_purchase=day_date(float(first.min())),
        weeks=weeks,
        predicted_cumulative=predicted_cum,
        actual_cumulative=actual_cum,
    )


def _tracking(
    model: buying.BGNBD,
    rfm: buying.Summary,
    first: np.ndarray,
    who: np.ndarray,
    day: np.ndarray,
    position: np.ndarray,
    stop: float,
) -> tuple[list[int], list[float], list[int]]:
    """Cumulative repeat purchases per week from the first purchase of all to the holdout's
    end: the actual count, and the model's (each customer's unconditional expectation from
    its own first purchase)."""
    start = float(first.min())
    n_weeks = int((stop - start) // 7) + 1
    ends = start + 7 * np.arange(1, n_weeks + 1)  # each week's end (exclusive)
    mine = position[who] >= 0
    pairs = np.unique(np.stack([position[who[mine]], day[mine]]), axis=1)
    repeat = pairs[1] > first[pairs[0].astype(np.int64)]
    repeat_days = np.sort(pairs[1][repeat])
    actual = np.searchsorted(repeat_days, ends, side="left").tolist()
    births, counts = np.unique(first, return_counts=True)
    predicted = []
    for end in ends:
        age = np.clip((end - births) / 7, 0, None)
        predicted.append(float((buying.expected_population(model, age) * counts).sum()))
    return list(range(1, n_weeks + 1)), predicted, [int(a) for a in actual]


def _groups(
    prepared: Prepared,
    customers: np.ndarray,
    alive: np.ndarray,
    clv: np.ndarray,
    dims: tuple[str, ...],
) -> list[dict[str, Any]]:
    """Per group of ``dims`` (a customer's own field, else its acquisition deal's): customers,
    mean p_alive and the CLV summed."""
    no_costs = np.zeros(0, dtype=np.int64)
    keys = [dimension_keys(prepared, d, no_costs, np.zeros(0)) for d in dims]
    combined = np.zeros(len(customers), dtype=np.int64)
    sizes = [len(k.labels) for k in keys]
    for k, size in zip(keys, sizes, strict=True):
        combined = combined * size + k.customers[customers]
    codes, where = np.unique(combined, return_inverse=True)
    n = np.bincount(where)
    mean_alive = np.bincount(where, weights=alive) / n
    total = np.bincount(where, weights=clv)
    labels = [k.labels for k in keys]
    rows = {
        unravel(int(code), labels, sizes): {
            "customers": int(n[i]),
            "mean_p_alive": float(mean_alive[i]),
            "clv": _money(total[i]),
        }
        for i, code in enumerate(codes.tolist())
    }
    return keyed_rows(dims, rows)

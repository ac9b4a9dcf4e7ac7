"""The ROI of the CRM itself (docs/invest.md; contract v2 §6): year-by-year costs and benefits
from go-live, discounted, with their payback.

Every measured figure is :func:`~crm_roi.engine.compute.compute`'s, over the baseline (the
twelve months before go-live) and each year after it: no figure is worked out twice. What the
investment file says is spread over its days exactly as costs are (floor(A·k/N) cents).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

from crm_roi.engine.calendar import day_numbers, epoch_day
from crm_roi.engine.compute import Inputs, compute, convert_currencies, data_window
from crm_roi.engine.money import from_cents, scale_cents
from crm_roi.engine.settings import Settings
from crm_roi.errors import CrmRoiError

ZERO = Decimal(0)


@dataclass(frozen=True)
class InvestSettings:
    go_live: date
    years: int = 3
    discount_rate: Decimal = Decimal("0.10")
    risk: Decimal = ZERO
    projection: bool = True


class InvestError(CrmRoiError):
    """Go-live outside the data, a baseline without data, nothing to project from."""


@dataclass
class Year:
    """One year of the horizon (year 0: the costs before go-live)."""

    year: int
    start: date | None  # year 0: the first day an investment cost is dated (None: none)
    end: date
    costs: Decimal
    costs_by_category: dict[str, Decimal]
    revenue_uplift: Decimal | None  # None: not measured (year 0)
    time_saved: Decimal | None  # None: no time logs, or year 0
    other: Decimal
    projected: bool = False
    measured: dict[str, Any] = field(default_factory=dict)  # the year's own figures
    benefits: Decimal = ZERO
    net: Decimal = ZERO
    cumulative_net: Decimal = ZERO


@dataclass
class InvestReport:
    currency: str | None
    go_live: date
    baseline: tuple[date, date]
    settings: Settings
    invest: InvestSettings
    data_end: date
    years: list[Year]
    totals: dict[str, Any]
    baseline_figures: dict[str, Any]
    warnings: list[str]


def add_years(day: date, n: int) -> date:
    """``day`` n years on (29 February becomes the 28th in a year without one).

    >>> add_years(date(2024, 2, 29), 1), add_years(date(2024, 1, 1), -1)
    (datetime.date(2025, 2, 28), datetime.date(2023, 1, 1))
    """
    year = day.year + n
    return day.replace(year=year, day=min(day.day, calendar.monthrange(year, day.month)[1]))


def invest(
    inputs: Inputs, investment: pd.DataFrame, settings: Settings, how: InvestSettings
) -> InvestReport:
    """Costs and benefits per year from go-live, their present values, NPV, ROI and payback."""
    warnings: list[str] = []
    currency, inputs = convert_currencies(inputs, settings, warnings)
    investment = _in_currency(investment, currency, settings)
    first, last = data_window(inputs)
    go = how.go_live
    if first is None or last is None or not first < go <= last:
        shown = f"{first} … {last}" if first and last else "no dates"
        raise InvestError(
            f"go-live {go} is not inside the data ({shown}): the exports must cover time before "
            "and after it"
        )
    base = (add_years(go, -1), go - timedelta(days=1))
    measured = _measure(inputs, settings, base)
    if not measured["won_deals"] and not measured["lost_deals"] and not measured["hours"]:
        raise InvestError(
            f"the baseline {base[0]} … {base[1]} (the 12 months before go-live) has no closed "
            "deals and no time logged: nothing to measure the change against"
        )
    if base[0] < first:
        warnings.append(
            f"the exports start on {first}, inside the baseline {base[0]} … {base[1]}: the "
            "baseline is measured over fewer than 12 months of data"
        )
    years = _years(inputs, settings, how, measured, last, warnings)
    _costs(years, investment, how, warnings)
    _flows(years, how.risk)
    report = InvestReport(
        currency,
        go,
        base,
        settings,
        how,
        last,
        years,
        _totals(years, how.discount_rate),
        measured,
        warnings,
    )
    return report


def _measure(inputs: Inputs, settings: Settings, window: tuple[date, date]) -> dict[str, Any]:
    """compute's totals over one window: what the baseline and a year are measured by."""
    over = replace(settings, start=window[0], end=window[1], by=())
    return compute(inputs, over).totals


def _years(
    inputs: Inputs,
    settings: Settings,
    how: InvestSettings,
    base: dict[str, Any],
    data_end: date,
    warnings: list[str],
) -> list[Year]:
    """Year 0, then each year of the horizon: measured where the exports cover it in full,
    else projected from the last full year (or, with no projection, left out)."""
    years = [Year(0, None, how.go_live - timedelta(days=1), ZERO, {}, None, None, ZERO)]
    last_full: Year | None = None
    for k in range(1, how.years + 1):
        start, end = add_years(how.go_live, k - 1), add_years(how.go_live, k) - timedelta(days=1)
        if end <= data_end:
            figures = _measure(inputs, settings, (start, end))
            uplift = figures["gross_profit"] - base["gross_profit"]
            year = Year(k, start, end, ZERO, {}, uplift, _time_saved(base, figures), ZERO)
            year.measured = figures
            last_full = year
        elif not how.projection:
            warnings.append(
                f"year {k} ({start} … {end}) goes past the exports' last day {data_end}: left "
                "out of the horizon (--no-projection)"
            )
            break
        elif last_full is None:
            raise InvestError(
                f"no year after go-live is covered in full by the exports (they end on "
                f"{data_end}; year 1 ends on {end}): nothing to project from; give exports "
                "that reach a year past go-live"
            )
        else:
            year = Year(
                k,
                start,
                end,
                ZERO,
                {},
                last_full.revenue_uplift,
                last_full.time_saved,
                ZERO,
                projected=True,
            )
            year.measured = {"projected_from": last_full.year}
        years.append(year)
    return years


def _time_saved(base: dict[str, Any], year: dict[str, Any]) -> Decimal | None:
    """(baseline hours per won deal − the year's) × the year's won deals × the baseline's
    hourly rate (its time cost ÷ its hours); None without time logs or hours to compare."""
    if base["hours"] is None or year["hours"] is None:
        return None
    won_base, won = int(base["won_deals"]), int(year["won_deals"])
    hours_base = Decimal(str(base["hours"]))
    if not won_base or not won or not hours_base:
        return None
    rate: Decimal = base["time_cost"] / hours_base
    per_deal = hours_base / won_base - Decimal(str(year["hours"])) / won
    return per_deal * won * rate


def _costs(
    years: list[Year], investment: pd.DataFrame, how: InvestSettings, warnings: list[str]
) -> None:
    """Each investment row's cents by year (year 0: before go-live), cut as costs are; rows
    of kind benefit go to ``other``. What falls past the horizon is left out, and said."""
    if investment.empty:
        return
    n = len(investment)
    single = day_numbers(investment.get("date"), n)
    first = np.where(np.isnan(single), day_numbers(investment.get("start_date"), n), single)
    last = np.where(np.isnan(single), day_numbers(investment.get("end_date"), n), single)
    cents = investment["amount"].to_numpy(dtype=np.int64).astype(object)
    span = (last - first + 1).astype(np.int64)
    benefit = (investment["kind"] == "benefit").to_numpy(dtype=bool, na_value=False)
    category = (
        investment["category"].fillna("(none)").astype(str).to_numpy()
        if "category" in investment
        else np.full(n, "(none)", dtype=object)
    )
    before = first[first < epoch_day(how.go_live)]
    if len(before):
        years[0].start = date(1970, 1, 1) + timedelta(days=int(before.min()))
    bounds = [(-np.inf, epoch_day(years[0].end))]
    bounds += [(epoch_day(y.start), epoch_day(y.end)) for y in years[1:] if y.start]
    bounds.append((epoch_day(years[-1].end) + 1, np.inf))
    for i, (lo, hi) in enumerate(bounds):
        k_lo = np.clip(np.maximum(lo, first) - first, 0, span).astype(np.int64)
        k_hi = np.clip(np.minimum(hi, last) - first + 1, 0, span).astype(np.int64)
        part = (cents * k_hi) // span - (cents * k_lo) // span
        if i == len(bounds) - 1:
            past = sum(part[~benefit], 0)
            if past:
                warnings.append(
                    f"{from_cents(past):,.2f} of investment cost is dated after the horizon's "
                    f"last day {years[-1].end}: left out"
                )
            continue
        year = years[i]
        year.costs = from_cents(sum(part[~benefit], 0))
        year.other = from_cents(sum(part[benefit], 0))
        for name in sorted(set(category[~benefit])):
            amount = sum(part[~benefit & (category == name)], 0)
            if amount:
                year.costs_by_category[name] = from_cents(amount)


def _flows(years: list[Year], risk: Decimal) -> None:
    """Benefits after the risk adjustment, net and cumulative net per year. A projected year
    takes all three parts of the last full year, its ``other`` too."""
    keep = 1 - risk
    cumulative = ZERO
    last_other = ZERO
    for year in years:
        if year.projected:
            year.other = last_other
        elif year.year:
            last_other = year.other
        for name in ("revenue_uplift", "time_saved", "other"):
            value = getattr(year, name)
            if value is not None:
                setattr(year, name, value * keep)
        parts = (year.revenue_uplift, year.time_saved, year.other)
        year.benefits = sum((p for p in parts if p is not None), ZERO)
        year.net = year.benefits - year.costs
        cumulative += year.net
        year.cumulative_net = cumulative


def _totals(years: list[Year], rate: Decimal) -> dict[str, Any]:
    costs = sum((y.costs for y in years), ZERO)
    benefits = sum((y.benefits for y in years), ZERO)
    pv_costs = sum((y.costs / (1 + rate) ** y.year for y in years), ZERO)
    pv_benefits = sum((y.benefits / (1 + rate) ** y.year for y in years), ZERO)
    npv = pv_benefits - pv_costs
    return {
        "costs": costs,
        "benefits": benefits,
        "pv_costs": pv_costs,
        "pv_benefits": pv_benefits,
        "npv": npv,
        "roi": npv / pv_costs if pv_costs else None,
        "roi_undiscounted": (benefits - costs) / costs if costs else None,
        "payback_months": payback_months(years),
    }


def payback_months(years: list[Year]) -> Decimal | None:
    """Months after go-live until the cumulative undiscounted net first reaches 0: year 0's net
    at month 0, each year's spread evenly over its 12 months, linear within the month; None
    when not within the horizon.

    >>> y0 = Year(0, None, date(2023, 12, 31), Decimal(1200), {}, None, None, ZERO)
    >>> y0.net = Decimal(-1200)
    >>> y1 = Year(1, date(2024, 1, 1), date(2024, 12, 31), ZERO, {}, None, None, ZERO)
    >>> y1.net = Decimal(2400)
    >>> payback_months([y0, y1])
    Decimal('6')
    """
    cumulative = years[0].net
    if cumulative >= 0:
        return ZERO
    for year in years[1:]:
        monthly = year.net / 12
        for month in range(12):
            after = cumulative + monthly
            if after >= 0 and monthly > 0:
                return Decimal(12 * (year.year - 1) + month) + (-cumulative / monthly)
            cumulative = after
    return None


def _in_currency(
    investment: pd.DataFrame, currency: str | None, settings: Settings
) -> pd.DataFrame:
    """Investment amounts in the report's currency: converted at the given rates, else an
    error (never two currencies added up)."""
    if "currency" not in investment or currency is None:
        return investment
    codes = investment["currency"].str.upper()
    other = sorted(set(codes.dropna()) - {currency})
    rates = {k.upper(): v for k, v in settings.rates.items()}
    missing = [c for c in other if c not in rates]
    if missing:
        raise InvestError(
            f"the investment file has amounts in {', '.join(missing)}, the report is in "
            f"{currency}: give an exchange rate for each (--rates)"
        )
    if not other:
        return investment
    frame = investment.copy()
    for code in other:
        mask = (codes == code).fillna(False).to_numpy()
        frame.loc[mask, "amount"] = scale_cents(frame.loc[mask, "amount"], rates[code])
    return frame

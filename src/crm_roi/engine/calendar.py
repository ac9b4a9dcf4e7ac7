"""Days and periods: dates as day numbers, months, quarters and years, and their windows.

Days are counted since 1970-01-01 as floats (NaN where there is no date): cheap to compare
and to subtract. A period is named ``2024-03`` (month), ``2024-Q1`` (quarter), ``2024`` (year).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import numpy as np
import pandas as pd

from crm_roi.engine.figures import PERIODS as PERIODS  # the period dimensions, named once

DAYS_PER_YEAR = Decimal("365.25")

_EPOCH = np.datetime64("1970-01-01", "D")


def epoch_day(value: date) -> float:
    return float((np.datetime64(value, "D") - _EPOCH).astype(np.int64))


def day_date(day: float) -> date:
    """A day number back to its date.

    >>> day_date(19723.0)
    datetime.date(2024, 1, 1)
    """
    return (_EPOCH + np.timedelta64(int(day), "D")).astype(object)  # type: ignore[no-any-return]


def day_numbers(column: pd.Series | None, n: int) -> np.ndarray:
    """Days since 1970 as floats (NaN where there is no date): cheap to compare and subtract."""
    if column is None:
        return np.full(n, np.nan)
    values: np.ndarray = pd.to_datetime(column).to_numpy(dtype="datetime64[D]")
    days = values.astype(np.int64).astype(float)
    days[np.isnat(values)] = np.nan
    return days


def period_index(days: np.ndarray, period: str) -> np.ndarray:
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


def period_name(index: int, period: str) -> str:
    if period == "year":
        return f"{1970 + index:04d}"
    if period == "quarter":
        return f"{1970 + index // 4:04d}-Q{index % 4 + 1}"
    return f"{1970 + index // 12:04d}-{index % 12 + 1:02d}"


def period_label(dates: pd.Series, period: str) -> pd.Series:
    """``2024-01`` (month), ``2024-Q1`` (quarter), ``2024`` (year); null where no date."""
    index = period_index(day_numbers(dates, len(dates)), period)
    return pd.Series(
        [period_name(int(i), period) if i >= 0 else None for i in index],
        index=dates.index,
        dtype="str",
    )


def period_days(label: str, period: str) -> tuple[float, float]:
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


def period_labels(start: float, end: float, period: str) -> list[str]:
    first, last = period_index(np.array([start, end]), period)
    return [period_name(i, period) for i in range(int(first), int(last) + 1)]


def split_by_period(
    rows: np.ndarray, lo: np.ndarray, hi: np.ndarray, period: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cut each [lo, hi] day span at period boundaries: one piece per (row, period)."""
    first = period_index(lo, period)
    last = period_index(hi, period)
    pieces = (last - first + 1).astype(np.int64)
    if not len(rows) or pieces.max() <= 1:
        return rows, lo, hi
    out_rows = np.repeat(rows, pieces)
    step = np.arange(len(out_rows)) - np.repeat(np.cumsum(pieces) - pieces, pieces)
    index = np.repeat(first, pieces) + step
    starts = np.array(
        [period_days(period_name(int(i), period), period)[0] for i in np.unique(index)]
    )
    ends = np.array([period_days(period_name(int(i), period), period)[1] for i in np.unique(index)])
    pos = np.searchsorted(np.unique(index), index)
    new_lo = np.maximum(np.repeat(lo, pieces), starts[pos])
    new_hi = np.minimum(np.repeat(hi, pieces), ends[pos])
    return out_rows, new_lo, new_hi

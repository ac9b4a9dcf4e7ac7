"""Money, exact: integer cents in, integer cents out; the only place money is rounded.

Sums stay integers, so revenue and cost are exact to the cent over any number of rows;
derived figures (averages, ratios) are :class:`~decimal.Decimal` from those sums.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

import numpy as np
import pandas as pd


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


def scale_cents(cents: pd.Series, factor: Decimal | float) -> pd.Series:
    """Cents × factor, rounded half away from zero to whole cents, in exact integer arithmetic.

    >>> scale_cents(pd.Series([110, -110], dtype="Int64"), Decimal("1.15")).tolist()
    [127, -127]
    """
    num, den = Decimal(str(factor)).as_integer_ratio()
    missing = cents.isna().to_numpy()
    values = cents.fillna(0).to_numpy(dtype=np.int64).astype(object)
    magnitude = (np.abs(values) * num * 2 + den) // (2 * den)
    scaled = np.where(values < 0, -magnitude, magnitude)
    out = pd.Series(scaled.astype(np.int64), index=cents.index, dtype="Int64")
    return out.mask(missing)


def time_cents(hours: np.ndarray, rate_cents: np.ndarray) -> np.ndarray:
    """Hours × hourly rate per log, rounded half up to the cent, in exact integer arithmetic.

    Hours are taken to the micro-hour (six decimals), so 0.35 h × 25.70 is exactly 8.995 and
    comes to 9.00 (binary floating point would make it 8.99).

    >>> time_cents(np.array([0.35, 2.0]), np.array([2570, 1000])).tolist()
    [900, 2000]
    """
    micro = np.rint(hours * 1_000_000).astype(np.int64)
    rate = rate_cents.astype(np.int64)
    if len(rate) and float(micro.max()) * float(np.abs(rate).max()) > 9e18:
        micro, rate = micro.astype(object), rate.astype(object)
    return np.asarray((micro * rate + 500_000) // 1_000_000, dtype=np.int64)


def from_cents(value: int | None) -> Decimal:
    return Decimal(int(value or 0)).scaleb(-2)

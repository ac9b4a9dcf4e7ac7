"""Before/after comparisons: the same report for two windows, and how each figure changed.

Every figure for a baseline and a current window, and per figure the absolute change and the
relative change (null where the baseline is 0 or null), for the totals and for every group of
every breakdown present in either window. Both windows are :func:`~crm_roi.engine.compute.
compute` over that window: no second implementation of any figure.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pandas as pd

from crm_roi.engine.compute import Inputs, Report, compute
from crm_roi.engine.figures import FIELDS
from crm_roi.engine.settings import Settings


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
    for dims in after.breakdowns:
        old = {tuple(str(r[d]) for d in dims): r for r in before.breakdowns[dims]}
        new = {tuple(str(r[d]) for d in dims): r for r in after.breakdowns[dims]}
        keys = list(new) + [k for k in old if k not in new]
        change["breakdowns"][dims] = [
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
        raise ValueError("months must be at least 1")
    day = pd.Timestamp(go_live)
    before = (day - pd.DateOffset(months=months)).date()
    after = (day + pd.DateOffset(months=months) - pd.Timedelta(days=1)).date()
    return (before, go_live - timedelta(days=1)), (go_live, after)

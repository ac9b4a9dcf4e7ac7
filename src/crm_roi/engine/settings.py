"""What the figures depend on besides the data: the window, the breakdowns and the knobs.

Kept apart from :mod:`crm_roi.engine.compute` so that the command line can check its options before
pandas is imported (the import then overlaps with reading the inputs).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal


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

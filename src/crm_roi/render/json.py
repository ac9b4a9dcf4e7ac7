"""Strict JSON: null, never NaN or Infinity; dates as YYYY-MM-DD."""

from __future__ import annotations

import datetime as dt
import json
import math
from decimal import Decimal
from typing import Any

from crm_roi.render.report import plain_number


def _default(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return plain_number(value)
    raise TypeError(f"not JSON: {type(value).__name__}")


def clean(value: Any) -> Any:
    """Replace NaN and infinities (anywhere in a structure) with None."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean(v) for v in value]
    return value


def dumps(report: Any) -> str:
    """The document as strict JSON, two spaces indented. Written as it is when it holds no
    NaN or infinity (the usual case: one pass), else cleaned first."""
    try:
        return _dumps(report)
    except ValueError:  # a NaN or an infinity somewhere: null instead
        return _dumps(clean(report))


def _dumps(value: Any) -> str:
    return json.dumps(value, default=_default, allow_nan=False, ensure_ascii=False, indent=2)

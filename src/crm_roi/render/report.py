"""The JSON report of the metric contract (docs/metrics.md §4), as plain Python values.

Every other renderer (table, CSV, Markdown) shows the same values, taken from here.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from crm_roi.engine.compute import Report
from crm_roi.engine.figures import COUNT_FIELDS as COUNTS
from crm_roi.engine.figures import FIELDS
from crm_roi.engine.figures import MONEY_FIELDS as MONEY
from crm_roi.inputs.load import Loaded

SCHEMA = "crm-roi/report@1"
CENT = Decimal("0.01")


def figure(name: str, value: Any) -> Any:
    """A figure as JSON wants it: money rounded to the cent, counts whole, ratios unrounded."""
    if value is None:
        return None
    if name in MONEY:
        return float(Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP))
    if name in COUNTS:
        return int(value)
    return float(value)


def figures(values: dict[str, Any]) -> dict[str, Any]:
    return {name: figure(name, values[name]) for name in FIELDS}


def input_entry(loaded: Loaded) -> dict[str, Any]:
    return {**loaded.account(), "sha256": loaded.sha256}


def report_warnings(report: Report, inputs: list[Loaded]) -> list[str]:
    """Rejected rows (file:row: column: reason), row warnings, then the notes."""
    lines = [str(issue) for loaded in inputs for issue in loaded.all_rejections]
    lines += [str(issue) for loaded in inputs for issue in loaded.warnings]
    return lines + note_lines(report, inputs)


def note_lines(report: Report, inputs: list[Loaded]) -> list[str]:
    """What was decided about whole files and columns, then the engine's notes."""
    lines = [f"{loaded.path}: {notice}" for loaded in inputs for notice in loaded.notices]
    lines += [
        f"{loaded.path}: {col.header}: {note}"
        for loaded in inputs
        for col in loaded.columns
        for note in col.notes
    ]
    return lines + list(report.warnings)


def report_dict(report: Report, inputs: list[Loaded]) -> dict[str, Any]:
    s = report.settings
    breakdowns = {}
    for name, rows in report.breakdowns.items():
        dims = name.split(",")
        breakdowns[name] = [{**{d: row[d] for d in dims}, **figures(row)} for row in rows]
    return {
        "schema": SCHEMA,
        "currency": report.currency,
        "window": {"from": report.start.isoformat(), "to": report.end.isoformat()},
        "settings": {
            "gross_margin": float(s.gross_margin),
            "allocate": s.allocate,
            "churn_after_days": s.churn_after_days,
            "lifespan": float(s.lifespan) if s.lifespan is not None else None,
            "max_lifespan": float(s.max_lifespan),
            "by": [",".join(d) for d in s.by],
            "rates": {k: float(v) for k, v in sorted(s.rates.items())},
        },
        "inputs": [input_entry(i) for i in inputs],
        "totals": figures(report.totals),
        "breakdowns": breakdowns,
        "warnings": report_warnings(report, inputs),
    }

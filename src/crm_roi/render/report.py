"""The JSON report of the metric contract (docs/metrics.md §4), as plain Python values.

Every other renderer (table, CSV, Markdown) shows the same values, taken from here.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from crm_roi.engine.figures import BY_NAME, COUNT, FIELDS, LEAD_FIELDS, MONEY, NUMBER, Kind

if TYPE_CHECKING:
    from crm_roi.engine.compute import Report
    from crm_roi.inputs.load import Loaded

SCHEMA = "crm-roi/report@1"
CENT = Decimal("0.01")


def plain_number(value: Any, kind: Kind = NUMBER) -> float | int | None:
    """The one place a figure becomes a plain number (a Decimal a float) for every output:
    money rounded half up to the cent, a count whole, any other number unrounded.

    >>> plain_number(Decimal("2.345"), MONEY), plain_number(Decimal("3"), COUNT)
    (2.35, 3)
    >>> plain_number(Decimal("0.125")), plain_number(None, MONEY)
    (0.125, None)
    """
    if value is None:
        return None
    if kind is MONEY:
        return float(Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP))
    if kind is COUNT:
        return int(value)
    return float(value)


def plain_figure(name: str, value: Any) -> float | int | None:
    """A figure as JSON wants it, by its kind in :mod:`crm_roi.engine.figures`."""
    return plain_number(value, BY_NAME[name].kind)


def figures(values: dict[str, Any]) -> dict[str, Any]:
    return {name: plain_figure(name, values[name]) for name in FIELDS}


def with_leads(document: dict[str, Any]) -> bool:
    """Whether the report was made with leads (``--leads``): its inputs name them."""
    return any(i.get("kind") == "leads" for i in document.get("inputs", ()))


def people_fields(document: dict[str, Any], names: tuple[str, ...] = FIELDS) -> tuple[str, ...]:
    """``names`` as the outputs for people show them: the lead figures only where leads were
    given (JSON and CSV, for scripts, always carry every field)."""
    leads = with_leads(document)
    return tuple(n for n in names if leads or n not in LEAD_FIELDS)


# The lead figures a headline adds with --leads, in this order.
LEAD_HEADLINE = (
    "leads", "lead_conversion_rate", "lead_to_win_rate", "lead_revenue", "cost_per_lead",
    "days_to_convert",
)  # fmt: skip


def headline_with_leads(document: dict[str, Any], names: tuple[str, ...]) -> tuple[str, ...]:
    """A headline's figures (``names``), and the leads' when the report has them."""
    return (*names, *LEAD_HEADLINE) if with_leads(document) else names


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


def breakdown_name(dims: tuple[str, ...]) -> str:
    """A breakdown's key in the documents: its dimensions joined, ``channel,month``."""
    return ",".join(dims)


def breakdown_dims(name: str) -> tuple[str, ...]:
    """The dimensions of a document's breakdown key: the one place such a key is taken apart."""
    return tuple(name.split(","))


def report_dict(report: Report, inputs: list[Loaded]) -> dict[str, Any]:
    s = report.settings
    breakdowns = {}
    for dims, rows in report.breakdowns.items():
        rows_out = [{**{d: row[d] for d in dims}, **figures(row)} for row in rows]
        breakdowns[breakdown_name(dims)] = rows_out
    return {
        "schema": SCHEMA,
        "currency": report.currency,
        "window": {"from": report.start.isoformat(), "to": report.end.isoformat()},
        "settings": {
            "gross_margin": plain_number(s.gross_margin),
            "allocate": s.allocate,
            "churn_after_days": s.churn_after_days,
            "lifespan": plain_number(s.lifespan),
            "max_lifespan": plain_number(s.max_lifespan),
            "by": [breakdown_name(d) for d in s.by],
            "rates": {k: plain_number(v) for k, v in sorted(s.rates.items())},
        },
        "inputs": [input_entry(i) for i in inputs],
        "totals": figures(report.totals),
        "breakdowns": breakdowns,
        "warnings": report_warnings(report, inputs),
    }

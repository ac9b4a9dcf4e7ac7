"""The funnel: leads → converted → with a deal → won, per group (docs/metrics.md, leads).

Built on the same groups and sums as :func:`~crm_roi.engine.compute.compute`: the leads'
counts are :func:`~crm_roi.engine.sums.lead_sums`, the acquisition cost is compute's. The
window is the leads' (their created dates), unless one is given.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Any

import pandas as pd

from crm_roi.engine.compute import (
    Add,
    Grouping,
    Sums,
    convert_currencies,
    cost_sums,
    group_sums,
    lead_notes,
    window,
)
from crm_roi.engine.groups import keyed_rows
from crm_roi.engine.money import from_cents
from crm_roi.engine.prepare import Inputs, Prepared, prepare
from crm_roi.engine.settings import Settings
from crm_roi.engine.sums import lead_sums

STAGES = ("leads", "converted", "opportunities", "won")
# The sums behind each stage's count.
STAGE_SUMS = {
    "leads": "leads",
    "converted": "converted_leads",
    "opportunities": "opportunities",
    "won": "won_leads",
}


@dataclass
class FunnelReport:
    currency: str | None
    start: date
    end: date
    settings: Settings
    has_deals: bool  # without deals, opportunities and won are unknown (None)
    has_amounts: bool  # without amounts, lead revenue is unknown
    has_costs: bool
    totals: dict[str, Any]
    breakdowns: dict[tuple[str, ...], list[dict[str, Any]]]
    warnings: list[str]


def no_deals() -> pd.DataFrame:
    """The deals of a funnel of leads alone: none."""
    return pd.DataFrame(
        {"deal_id": pd.Series([], dtype=object), "status": pd.Series([], dtype=object)}
    )


def funnel(inputs: Inputs, settings: Settings, has_deals: bool = True) -> FunnelReport:
    """Each stage's count and rates, in total and per group of every breakdown."""
    assert inputs.leads is not None, "a funnel needs leads"
    warnings: list[str] = []
    currency, inputs = convert_currencies(inputs, settings, warnings)
    start, end = window(inputs, settings, _lead_dates(inputs.leads))
    prepared = prepare(inputs, settings, start, end)
    warnings += lead_notes(prepared)
    has_amounts = has_deals and "amount" in inputs.deals
    report = FunnelReport(
        currency,
        start,
        end,
        replace(settings, start=start, end=end),
        has_deals,
        has_amounts,
        prepared.has_costs or prepared.has_time,
        {},
        {},
        warnings,
    )
    report.totals = stages(report, _sums(prepared, ())[()])
    for dims in settings.by:
        rows = {key: stages(report, sums) for key, sums in _sums(prepared, dims).items()}
        report.breakdowns[dims] = keyed_rows(dims, rows)
    return report


def _lead_dates(leads: pd.DataFrame) -> tuple[date | None, date | None]:
    """The first and last day a lead was created: the funnel's window by default."""
    created = leads.get("created_date")
    if created is None or not created.notna().any():
        return None, None
    return created.min().date(), created.max().date()


def _sums(prepared: Prepared, dims: tuple[str, ...]) -> dict[tuple[str, ...], Sums]:
    leads = prepared.leads
    assert leads is not None

    def collect(at: Grouping, add: Add) -> dict[str, dict[int, float]]:
        cost_sums(prepared, at, add)
        lead_groups = at.rows("leads", len(leads.frame))
        return {"days_to_convert": lead_sums(prepared, lead_groups, add)}

    return group_sums(prepared, dims, collect)


def stages(report: FunnelReport, p: Sums) -> dict[str, Any]:
    """One group's stages: each count, its rate from the stage before and from leads, and
    what the leads brought and cost."""
    counts: dict[str, int | None] = {stage: int(p.get(STAGE_SUMS[stage], 0)) for stage in STAGES}
    if not report.has_deals:
        counts["opportunities"] = counts["won"] = None
    leads = counts["leads"] or 0
    rates: dict[str, dict[str, Decimal | None]] = {}
    for before, stage in itertools.pairwise(STAGES):
        n, previous = counts[stage], counts[before]
        rates[stage] = {
            "from_previous": Decimal(n) / previous if n is not None and previous else None,
            "from_leads": Decimal(n) / leads if n is not None and leads else None,
        }
    acquisition = int(p.get("acquisition_cost", 0)) if report.has_costs else None
    revenue = from_cents(int(p.get("lead_revenue", 0))) if report.has_amounts else None
    return {
        **counts,
        "rates": rates,
        "lead_revenue": revenue,
        "acquisition_cost": from_cents(acquisition) if acquisition is not None else None,
        "cost_per_lead": (
            from_cents(acquisition) / leads if acquisition is not None and leads else None
        ),
        "days_to_convert": p.get("days_to_convert"),
    }

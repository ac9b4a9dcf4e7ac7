"""The funnel (leads → converted → opportunities → won) as a document, and for people.

The document is the contract's ``crm-roi/funnel@1`` (docs/metrics.md, leads); every other
output of the funnel shows the same values, taken from it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from crm_roi.engine.figures import COUNT, NUMBER
from crm_roi.render.report import breakdown_name, input_entry, plain_figure, plain_number

if TYPE_CHECKING:
    from crm_roi.engine.funnel import FunnelReport
    from crm_roi.inputs.load import Loaded

FUNNEL_SCHEMA = "crm-roi/funnel@1"
STAGES = ("leads", "converted", "opportunities", "won")
# What each group carries besides its stages, by the figure it is (engine/figures.py).
FIGURES = ("lead_revenue", "acquisition_cost", "cost_per_lead", "days_to_convert")


def stage_values(values: dict[str, Any]) -> dict[str, Any]:
    """One group's stages as plain values: counts, rates and figures."""
    return {
        **{stage: plain_number(values[stage], COUNT) for stage in STAGES},
        "rates": {
            stage: {how: plain_number(rate, NUMBER) for how, rate in rates.items()}
            for stage, rates in values["rates"].items()
        },
        **{name: plain_figure(name, values[name]) for name in FIGURES},
    }


def funnel_dict(report: FunnelReport, inputs: list[Loaded]) -> dict[str, Any]:
    """The ``crm-roi/funnel@1`` document."""
    from crm_roi.render.report import note_lines

    breakdowns = {
        breakdown_name(dims): [{**{d: row[d] for d in dims}, **stage_values(row)} for row in rows]
        for dims, rows in report.breakdowns.items()
    }
    rejected = [str(issue) for loaded in inputs for issue in loaded.all_rejections]
    rejected += [str(issue) for loaded in inputs for issue in loaded.warnings]
    return {
        "schema": FUNNEL_SCHEMA,
        "currency": report.currency,
        "window": {"from": report.start.isoformat(), "to": report.end.isoformat()},
        "stages": list(STAGES),
        "by": [breakdown_name(d) for d in report.settings.by],
        "inputs": [input_entry(i) for i in inputs],
        "totals": stage_values(report.totals),
        "breakdowns": breakdowns,
        "warnings": rejected + note_lines(report, inputs),  # type: ignore[arg-type]
    }


# --- for people (render/funnel.py's own renderers follow) -------------------------------------
def print_funnel(out: Any, document: dict[str, Any], locale: str = "plain") -> None:
    raise NotImplementedError


def funnel_csv(document: dict[str, Any]) -> str:
    raise NotImplementedError


def funnel_workbook_bytes(
    document: dict[str, Any], rejected_rows: list[dict[str, Any]], locale: str = "plain"
) -> bytes:
    raise NotImplementedError


def funnel_html(
    document: dict[str, Any], rejected_rows: list[dict[str, Any]], locale: str = "plain"
) -> bytes:
    raise NotImplementedError

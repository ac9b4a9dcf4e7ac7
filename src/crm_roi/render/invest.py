"""The ROI of the CRM itself as a document (``crm-roi/invest@1``, docs/invest.md), and for
people. Every output shows the values of the document, and the assumptions behind them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from crm_roi.engine.figures import MONEY, NUMBER
from crm_roi.render.report import input_entry, plain_number, report_warnings

if TYPE_CHECKING:
    from crm_roi.engine.invest import InvestReport, Year
    from crm_roi.inputs.load import Loaded

INVEST_SCHEMA = "crm-roi/invest@1"
# A year's money, in the order the cash-flow table shows it.
YEAR_MONEY = (
    "costs", "revenue_uplift", "time_saved", "other", "benefits", "net", "cumulative_net",
)  # fmt: skip
TOTAL_MONEY = ("costs", "benefits", "pv_costs", "pv_benefits", "npv")


def year_dict(year: Year) -> dict[str, Any]:
    return {
        "year": year.year,
        "from": year.start.isoformat() if year.start else None,
        "to": year.end.isoformat(),
        **{name: plain_number(getattr(year, name), MONEY) for name in YEAR_MONEY},
        "costs_by_category": {
            name: plain_number(value, MONEY) for name, value in year.costs_by_category.items()
        },
        "projected": year.projected,
    }


def assumptions(report: InvestReport) -> list[str]:
    """What the result rests on, in words: printed with it, in every output."""
    how = report.invest
    base = report.baseline
    measured = [y.year for y in report.years if y.year and not y.projected]
    projected = [y.year for y in report.years if y.projected]
    lines = [
        f"Baseline: the 12 months before go-live, {base[0]} to {base[1]}, measured from the "
        "exports.",
        "Measured: "
        + (
            ", ".join(f"year {k}" for k in measured) + f" (the exports end on {report.data_end})"
            if measured
            else "no year"
        )
        + ".",
    ]
    if projected:
        source = measured[-1] if measured else None
        lines.append(
            "Projected: "
            + ", ".join(f"year {k}" for k in projected)
            + f", with year {source}'s benefits (the exports don't cover them in full); their "
            "costs are the investment file's."
        )
    lines += [
        "Revenue uplift is the gross profit of a year less the baseline's: a before/after "
        "difference, not proof that the CRM caused it.",
        "Time saved: (baseline hours per won deal − the year's) × the year's won deals × the "
        "baseline's cost of an hour, from the time logs.",
        f"Benefits are taken at {_percent(1 - how.risk)} (risk {_percent(how.risk)}); "
        f"discounted at {_percent(how.discount_rate)} a year, year 0 undiscounted; gross "
        f"margin {_percent(report.settings.gross_margin)}.",
    ]
    return lines


def _percent(share: Any) -> str:
    """0.1 → ``10 %``, 0.125 → ``12.5 %``."""
    return f"{float(share) * 100:.10g} %"


def invest_dict(report: InvestReport, inputs: list[Loaded]) -> dict[str, Any]:
    """The ``crm-roi/invest@1`` document."""
    totals = report.totals
    return {
        "schema": INVEST_SCHEMA,
        "currency": report.currency,
        "go_live": report.go_live.isoformat(),
        "baseline": {"from": report.baseline[0].isoformat(), "to": report.baseline[1].isoformat()},
        "data_end": report.data_end.isoformat(),
        "settings": {
            "years": report.invest.years,
            "discount_rate": plain_number(report.invest.discount_rate),
            "risk": plain_number(report.invest.risk),
            "gross_margin": plain_number(report.settings.gross_margin),
            "projection": report.invest.projection,
            "rates": {k: plain_number(v) for k, v in sorted(report.settings.rates.items())},
        },
        "inputs": [input_entry(i) for i in inputs],
        "years": [year_dict(y) for y in report.years],
        "totals": {
            **{name: plain_number(totals[name], MONEY) for name in TOTAL_MONEY},
            "roi": plain_number(totals["roi"], NUMBER),
            "roi_undiscounted": plain_number(totals["roi_undiscounted"], NUMBER),
            "payback_months": plain_number(totals["payback_months"], NUMBER),
        },
        "assumptions": assumptions(report),
        "warnings": report_warnings(report, inputs),  # type: ignore[arg-type]
    }


# --- for people (the renderers follow) ---------------------------------------------------------
def print_invest(out: Any, document: dict[str, Any], locale: str = "plain") -> None:
    raise NotImplementedError


def invest_csv(document: dict[str, Any]) -> str:
    raise NotImplementedError


def invest_workbook_bytes(
    document: dict[str, Any], rejected_rows: list[dict[str, Any]], locale: str = "plain"
) -> bytes:
    raise NotImplementedError


def invest_html(
    document: dict[str, Any], rejected_rows: list[dict[str, Any]], locale: str = "plain"
) -> bytes:
    raise NotImplementedError

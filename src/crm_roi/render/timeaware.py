"""Cohort and comparison reports: their JSON shapes, terminal tables, CSV and Excel sheets."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from crm_roi.engine.figures import FIELDS, HIGHER, MONEY, NEUTRAL, PERCENT, figure
from crm_roi.render.report import breakdown_dims, breakdown_name, plain_figure, plain_number
from crm_roi.render.safe import csv_text, printable

if TYPE_CHECKING:
    from crm_roi.engine.cohorts import CohortReport

COHORTS_SCHEMA = "crm-roi/cohorts@1"
COMPARE_SCHEMA = "crm-roi/compare@1"
# The figures a breakdown's change table shows, in this order.
CHANGE_COLUMNS = ("revenue", "cost", "roi", "cac", "win_rate", "clv")


def cohorts_dict(report: CohortReport) -> dict[str, Any]:
    return {
        "schema": COHORTS_SCHEMA,
        "period": report.period,
        "currency": report.currency,
        "window": {"from": report.start.isoformat(), "to": report.end.isoformat()},
        "gross_margin": plain_number(report.gross_margin),
        "cohorts": [
            {
                "cohort": c.cohort,
                "customers": c.customers,
                "acquisition_cost": plain_figure("acquisition_cost", c.acquisition_cost),
                "cac": plain_figure("cac", c.cac),
                "revenue_by_age": [plain_number(v, MONEY) for v in c.revenue_by_age],
                "cumulative_revenue_per_customer": [
                    plain_number(v, MONEY) for v in c.cumulative_revenue_per_customer
                ],
                "payback_period": c.payback_period,
            }
            for c in report.cohorts
        ],
        "warnings": report.warnings,
    }


def cohorts_csv(document: dict[str, Any]) -> str:
    """One row per cohort and age."""
    out: list[list[Any]] = [
        [
            "cohort",
            "customers",
            "acquisition_cost",
            "cac",
            "payback_period",
            "age",
            "revenue",
            "cumulative_revenue_per_customer",
        ]
    ]
    for c in document["cohorts"]:
        for age, (revenue, cumulative) in enumerate(
            zip(c["revenue_by_age"], c["cumulative_revenue_per_customer"], strict=True)
        ):
            out.append(
                [
                    c["cohort"],
                    c["customers"],
                    _blank(c["acquisition_cost"]),
                    _blank(c["cac"]),
                    _blank(c["payback_period"]),
                    age,
                    revenue,
                    cumulative,
                ]
            )
    return csv_text(out)


def _blank(value: Any) -> Any:
    return "" if value is None else value


def print_cohorts(console: Console, document: dict[str, Any]) -> None:
    """The triangle of cumulative revenue per customer, shaded by value; payback marked."""
    rows = document["cohorts"]
    width = max((len(c["revenue_by_age"]) for c in rows), default=0)
    table = Table(
        title=Text(
            f"Cumulative revenue per customer by {document['period']} of acquisition"
            f" ({printable(document['currency'] or 'no currency')}; k = thousands)"
        ),
        title_justify="left",
        header_style="bold",
        box=box.SIMPLE_HEAD,
        padding=(0, 1),
        collapse_padding=True,
    )
    for name, least in (("cohort", 7), ("customers", 9), (figure("cac").short, 6), ("payback", 7)):
        table.add_column(
            name, justify="right" if name != "cohort" else "left", no_wrap=True, min_width=least
        )
    longest = max(
        (len(_compact(v)) + 1 for c in rows for v in c["cumulative_revenue_per_customer"]),
        default=3,
    )
    for age in range(width):
        table.add_column(str(age), justify="right", no_wrap=True, min_width=longest)
    top = max((v for c in rows for v in c["cumulative_revenue_per_customer"]), default=0) or 1
    for c in rows:
        cells = []
        for age, value in enumerate(c["cumulative_revenue_per_customer"]):
            shade = int(40 + 180 * value / top)
            style = f"on rgb(0,{shade // 2},{shade})"
            mark = "*" if c["payback_period"] == age else ""
            cells.append(Text(f"{_compact(value)}{mark}", style=style))
        table.add_row(
            Text(printable(str(c["cohort"]))),
            str(c["customers"]),
            "–" if c["cac"] is None else _compact(c["cac"]),
            "–" if c["payback_period"] is None else str(c["payback_period"]),
            *cells,
        )
    console.print(table)
    console.print("* the age at which gross profit per customer reached the CAC", style="dim")


def _compact(value: float) -> str:
    """``8245.9`` → ``8.2k``; below a thousand as it is, rounded."""
    return f"{value / 1000:,.1f}k" if abs(value) >= 1000 else f"{value:,.0f}"


def compare_dict(
    baseline: dict[str, Any], current: dict[str, Any], change: dict[str, Any]
) -> dict[str, Any]:
    def plain(values: dict[str, Any]) -> dict[str, Any]:
        return {
            name: {
                "abs": plain_figure(name, v["abs"]),
                "rel": plain_number(v["rel"]),
            }
            for name, v in values.items()
            if name in FIELDS
        } | {k: v for k, v in values.items() if k not in FIELDS}

    return {
        "schema": COMPARE_SCHEMA,
        "baseline": baseline,
        "current": current,
        "change": {
            "totals": plain(change["totals"]),
            "breakdowns": {
                breakdown_name(dims): [plain(row) for row in rows]
                for dims, rows in change["breakdowns"].items()
            },
        },
    }


def better(name: str, delta: float | None) -> bool | None:
    """Whether a change is for the better (None: no direction, or no change)."""
    direction = figure(name).better
    if delta is None or delta == 0 or direction is NEUTRAL:
        return None
    return (delta > 0) if direction is HIGHER else (delta < 0)


def print_compare(console: Console, document: dict[str, Any]) -> None:
    base, cur = document["baseline"], document["current"]
    table = Table(title="Baseline against current", title_justify="left", header_style="bold")
    table.add_column("figure")
    table.add_column(f"{base['window']['from']} → {base['window']['to']}", justify="right")
    table.add_column(f"{cur['window']['from']} → {cur['window']['to']}", justify="right")
    table.add_column("change", justify="right")
    for name in FIELDS:
        delta = document["change"]["totals"][name]
        table.add_row(
            name,
            _shown(name, base["totals"][name]),
            _shown(name, cur["totals"][name]),
            _arrow(name, delta["abs"], delta["rel"]),
        )
    console.print(table)
    for bname, rows in document["change"]["breakdowns"].items():
        dims = breakdown_dims(bname)
        sub = Table(
            title=Text(f"By {printable(bname)}: change"), title_justify="left", header_style="bold"
        )
        for d in dims:
            sub.add_column(Text(printable(d)))
        for name in CHANGE_COLUMNS:
            sub.add_column(name, justify="right")
        for row in rows:
            sub.add_row(
                *(Text(printable(str(row[d]))) for d in dims),
                *(_arrow(n, row[n]["abs"], row[n]["rel"]) for n in CHANGE_COLUMNS),
            )
        console.print(sub)


def _shown(name: str, value: Any) -> str:
    if value is None:
        return "–"
    declared = figure(name)
    if declared.kind is MONEY:
        return f"{value:,.2f}"
    if declared.shown is PERCENT:
        return f"{value:.1%}"
    return f"{value:,.2f}".rstrip("0").rstrip(".") if isinstance(value, float) else f"{value:,}"


def _arrow(name: str, delta: Any, rel: Any) -> Text:
    if delta is None:
        return Text("–", style="dim")
    good = better(name, delta)
    arrow = "▲" if delta > 0 else "▼" if delta < 0 else "="
    points = figure(name).shown is PERCENT  # a percentage changes by percentage points
    size = f"{abs(delta) * 100:.1f} pt" if points else _shown(name, abs(delta))
    shown = f"{arrow} {size}"
    if rel is not None:
        shown += f" ({rel:+.0%})"
    return Text(shown, style="green" if good else "red" if good is False else "")


def comparison_rows(document: dict[str, Any]) -> list[list[Any]]:
    """``figure, baseline, current, abs, rel`` for the totals (CSV and Excel)."""
    out = []
    for name in FIELDS:
        delta = document["change"]["totals"][name]
        out.append(
            [
                name,
                document["baseline"]["totals"][name],
                document["current"]["totals"][name],
                delta["abs"],
                delta["rel"],
            ]
        )
    return out


def compare_csv(document: dict[str, Any]) -> str:
    out: list[list[Any]] = [["dimension", "key", "figure", "baseline", "current", "abs", "rel"]]
    for row in comparison_rows(document):
        out.append(["total", "", *[_blank(v) for v in row]])
    for name, rows in document["change"]["breakdowns"].items():
        dims = breakdown_dims(name)
        base = {tuple(str(r[d]) for d in dims): r for r in document["baseline"]["breakdowns"][name]}
        cur = {tuple(str(r[d]) for d in dims): r for r in document["current"]["breakdowns"][name]}
        for row in rows:
            key = tuple(str(row[d]) for d in dims)
            for field in FIELDS:
                out.append(
                    [
                        name,
                        " / ".join(key),
                        field,
                        _blank(base.get(key, {}).get(field)),
                        _blank(cur.get(key, {}).get(field)),
                        _blank(row[field]["abs"]),
                        _blank(row[field]["rel"]),
                    ]
                )
    return csv_text(out)

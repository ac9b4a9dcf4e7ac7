"""The report for people: a headline panel and one Rich table per breakdown."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from babel import Locale
from babel.numbers import format_currency, format_decimal, format_percent
from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from crm_roi.engine.calendar import PERIODS
from crm_roi.engine.groups import UNATTRIBUTED
from crm_roi.render.safe import printable

COLUMNS = (
    ("revenue", "Revenue"), ("cost", "Cost"), ("net_return", "Net return"), ("roi", "ROI"),
    ("won_deals", "Won"), ("win_rate", "Win rate"), ("avg_deal_size", "Avg deal"),
    ("new_customers", "New cust."), ("cac", "CAC"), ("clv", "CLV"), ("ltv_cac", "LTV:CAC"),
)  # fmt: skip
HEADLINE = (
    ("revenue", "Revenue"), ("cost", "Cost (fully loaded)"), ("net_return", "Net return"),
    ("roi", "ROI"), ("cac", "CAC"), ("clv", "CLV"), ("ltv_cac", "LTV:CAC"),
    ("payback_months", "Payback"), ("win_rate", "Win rate"), ("avg_deal_size", "Avg deal size"),
    ("sales_cycle_days", "Sales cycle"),
)  # fmt: skip


class Formatter:
    """Figures in the user's locale: ``--locale nl_NL`` gives ``€ 25.000,00``."""

    def __init__(self, currency: str | None, locale: str, cents: bool = True) -> None:
        self.currency = currency
        self.locale = locale
        standard = Locale.parse(locale).currency_formats["standard"].pattern
        self.pattern = standard if cents else standard.replace(".00", "")

    def __call__(self, name: str, value: Any) -> Text:
        if value is None:
            return Text("–", style="dim")
        if name in (
            "revenue",
            "cost",
            "net_return",
            "avg_deal_size",
            "cac",
            "clv",
            "direct_cost",
            "time_cost",
            "acquisition_cost",
            "gross_profit",
            "clv_to_date",
        ):
            amount = Decimal(str(value))
            text = (
                format_currency(
                    amount,
                    self.currency,
                    format=self.pattern,
                    locale=self.locale,
                    currency_digits=False,
                )
                if self.currency
                else format_decimal(amount, format="#,##0.00", locale=self.locale)
            )
            return Text(text, style="red" if amount < 0 else "")
        if name in ("roi", "win_rate"):
            return Text(
                format_percent(value, format="#,##0.0%", locale=self.locale),
                style="bold red"
                if name == "roi" and value < 0
                else "bold green"
                if name == "roi"
                else "",
            )
        if name == "ltv_cac":
            return Text(format_decimal(value, format="0.0", locale=self.locale) + "×")
        if name == "payback_months":
            return Text(format_decimal(value, format="0.0", locale=self.locale) + " months")
        if name == "sales_cycle_days":
            return Text(format_decimal(value, format="0.#", locale=self.locale) + " days")
        return Text(format_decimal(value, locale=self.locale))


def print_report(console: Console, report: dict[str, Any], locale: str, rejected: int) -> None:
    fmt = Formatter(report["currency"], locale)
    totals = report["totals"]
    grid = Table.grid(padding=(0, 3))
    grid.add_column(style="bold")
    grid.add_column(justify="right")
    for name, label in HEADLINE:
        grid.add_row(label, fmt(name, totals[name]))
    window = report["window"]
    console.print(
        Panel(
            grid,
            title=f"ROI {window['from']} → {window['to']}",
            expand=False,
            subtitle=Text(printable(report["currency"] or "")),
        )
    )
    whole = Formatter(report["currency"], locale, cents=False)
    for name, rows in report["breakdowns"].items():
        dims = name.split(",")
        # Group keys and dimension names come from the files: Text, never markup, and printable.
        table = Table(
            title=Text(f"By {printable(name)}"), title_justify="left", header_style="bold"
        )
        for d in dims:
            table.add_column(
                Text(printable(d)),
                overflow="fold",
                min_width=min(14, max(len(str(r[d])) for r in rows) if rows else 8),
            )
        for _, label in COLUMNS:
            table.add_column(label, justify="right", no_wrap=True, overflow="fold")
        for row in rows:
            table.add_row(
                *(
                    Text(printable(str(row[d])), style="dim" if str(row[d]).startswith("(") else "")
                    for d in dims
                ),
                *(whole(f, row[f]) for f, _ in COLUMNS),
            )
        console.print(table)
        if len(dims) == 1 and dims[0] in PERIODS:
            console.print(trend_line(rows))
    notes = []
    for name, rows in report["breakdowns"].items():
        stray = [r for r in rows if UNATTRIBUTED in [str(r[d]) for d in name.split(",")]]
        if stray:
            cost = sum(Decimal(str(r["cost"] or 0)) for r in stray)
            notes.append(
                Text.assemble(
                    "By ",
                    printable(name),
                    ": ",
                    fmt("cost", cost),
                    " of cost can't be attributed to a group (--allocate spreads it).",
                )
            )
    if rejected:
        notes.append(
            Text(
                f"{rejected:,} input rows were rejected and left out "
                "(see the warnings, or run crm-roi validate).",
                style="yellow",
            )
        )
    if notes:
        console.print(Group(*notes), style="dim")


BARS = "▁▂▃▄▅▆▇█"


def sparkline(values: list[float | None]) -> str:
    """``▁▃█`` for [1, 2, 3]; a gap for a missing value.

    >>> sparkline([1, 2, 3, None, 3])
    '▁▅█ █'
    """
    present = [v for v in values if v is not None]
    if not present:
        return ""
    low, high = min(present), max(present)
    span = (high - low) or 1
    return "".join(
        " " if v is None else BARS[round((v - low) / span * (len(BARS) - 1))] for v in values
    )


def trend_line(rows: list[dict[str, Any]]) -> Text:
    """Revenue, cost and ROI over the periods of a breakdown, as sparklines."""
    periods = [r for r in rows if not str(next(iter(r.values()))).startswith("(")]
    parts = ["Trend  "]
    for name, label in (("revenue", "revenue"), ("cost", "cost"), ("roi", "ROI")):
        values = [r[name] for r in periods]
        if any(v is not None for v in values):
            parts.append(f"{label} {sparkline(values)}   ")
    return Text("".join(parts).rstrip(), style="cyan")

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

from crm_roi.engine.figures import MONEY, PERCENT, PERIODS, TIMES, UNATTRIBUTED, figure
from crm_roi.render.report import breakdown_dims
from crm_roi.render.safe import printable

# Which figures, in which order; their headings come from engine/figures.py.
COLUMNS = (
    "revenue", "cost", "net_return", "roi", "won_deals", "win_rate", "avg_deal_size",
    "new_customers", "cac", "clv", "ltv_cac",
)  # fmt: skip
HEADLINE = (
    "revenue", "cost", "net_return", "roi", "cac", "clv", "ltv_cac", "payback_months",
    "win_rate", "avg_deal_size", "sales_cycle_days",
)  # fmt: skip
# Shown with their unit ("7.2 months"), so headed by their short label ("Payback").
WITH_UNIT = {"payback_months": "0.0", "sales_cycle_days": "0.#"}


def heading(name: str) -> str:
    """A headline row's heading: the figure's label, or its short label where the value
    names the unit.

    >>> heading("cost"), heading("payback_months")
    ('Cost (fully loaded)', 'Payback')
    """
    declared = figure(name)
    return declared.short if name in WITH_UNIT else declared.label


def in_sentence(name: str) -> str:
    """The figure's short label inside a sentence: lower case but for an abbreviation.

    >>> in_sentence("revenue"), in_sentence("roi")
    ('revenue', 'ROI')
    """
    short = figure(name).short
    return short if short.isupper() else short.lower()


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
        declared = figure(name)
        if declared.kind is MONEY:
            return self.money(value)
        if declared.shown is PERCENT:
            style = "" if name != "roi" else "bold red" if value < 0 else "bold green"
            return Text(format_percent(value, format="#,##0.0%", locale=self.locale), style=style)
        if declared.shown is TIMES:
            return Text(format_decimal(value, format="0.0", locale=self.locale) + "×")
        if name in WITH_UNIT:
            shown = format_decimal(value, format=WITH_UNIT[name], locale=self.locale)
            return Text(f"{shown} {declared.unit}")
        return Text(format_decimal(value, locale=self.locale))

    def money(self, value: Any) -> Text:
        """An amount in the currency (red below zero), or as a plain number with no currency."""
        amount = Decimal(str(value))
        if self.currency:
            text = format_currency(
                amount, self.currency, self.pattern, locale=self.locale, currency_digits=False
            )
        else:
            text = format_decimal(amount, format="#,##0.00", locale=self.locale)
        return Text(text, style="red" if amount < 0 else "")


def print_report(console: Console, report: dict[str, Any], locale: str, rejected: int) -> None:
    """The headline panel, a table per breakdown (with a trend line for a period) and notes."""
    fmt = Formatter(report["currency"], locale)
    console.print(headline(report, fmt))
    whole = Formatter(report["currency"], locale, cents=False)
    for name, rows in report["breakdowns"].items():
        console.print(breakdown_table(name, rows, whole))
        if name in PERIODS:
            console.print(trend_line(rows))
    notes = unattributed_notes(report, fmt)
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


def headline(report: dict[str, Any], fmt: Formatter) -> Panel:
    grid = Table.grid(padding=(0, 3))
    grid.add_column(style="bold")
    grid.add_column(justify="right")
    for name in HEADLINE:
        grid.add_row(heading(name), fmt(name, report["totals"][name]))
    window = report["window"]
    return Panel(
        grid,
        title=f"ROI {window['from']} → {window['to']}",
        expand=False,
        subtitle=Text(printable(report["currency"] or "")),
    )


def breakdown_table(name: str, rows: list[dict[str, Any]], fmt: Formatter) -> Table:
    """One row per group: its keys, then the :data:`COLUMNS` under their short labels."""
    dims = breakdown_dims(name)
    # Group keys and dimension names come from the files: Text, never markup, and printable.
    table = Table(title=Text(f"By {printable(name)}"), title_justify="left", header_style="bold")
    for d in dims:
        table.add_column(
            Text(printable(d)),
            overflow="fold",
            min_width=min(14, max(len(str(r[d])) for r in rows) if rows else 8),
        )
    for f in COLUMNS:
        table.add_column(figure(f).short, justify="right", no_wrap=True, overflow="fold")
    for row in rows:
        table.add_row(
            *(
                Text(printable(str(row[d])), style="dim" if str(row[d]).startswith("(") else "")
                for d in dims
            ),
            *(fmt(f, row[f]) for f in COLUMNS),
        )
    return table


def unattributed_notes(report: dict[str, Any], fmt: Formatter) -> list[Text]:
    """Per breakdown, the cost no group carries."""
    notes = []
    for name, rows in report["breakdowns"].items():
        stray = [r for r in rows if UNATTRIBUTED in [str(r[d]) for d in breakdown_dims(name)]]
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
    return notes


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
    for name in ("revenue", "cost", "roi"):
        values = [r[name] for r in periods]
        if any(v is not None for v in values):
            parts.append(f"{in_sentence(name)} {sparkline(values)}   ")
    return Text("".join(parts).rstrip(), style="cyan")

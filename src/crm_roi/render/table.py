"""The report for people: a headline panel and one Rich table per breakdown."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from crm_roi.engine.figures import MONEY, PERIODS, UNATTRIBUTED, figure
from crm_roi.render.fit import fitting, label_width, left_out, needed
from crm_roi.render.locale import MISSING, WITH_UNIT, figure_text, money_text, span_text
from crm_roi.render.report import breakdown_dims, headline_with_leads, with_leads
from crm_roi.render.safe import printable

# Which figures, in which order; their headings come from engine/figures.py.
COLUMNS = (
    "revenue", "cost", "net_return", "roi", "won_deals", "win_rate", "avg_deal_size",
    "new_customers", "cac", "clv", "ltv_cac",
)  # fmt: skip
# When the terminal is too narrow for all of COLUMNS, the group's label and as many of these as
# fit, in this order (a narrower one may take the room a wider one couldn't use); the rest are
# named under the table. --columns picks others.
PRIORITY = (
    "revenue", "cost", "roi", "cac", "clv", "ltv_cac", "won_deals", "win_rate", "net_return",
    "avg_deal_size", "new_customers",
)  # fmt: skip
HEADLINE = (
    "revenue", "cost", "net_return", "roi", "cac", "clv", "ltv_cac", "payback_months",
    "win_rate", "avg_deal_size", "sales_cycle_days",
)  # fmt: skip
# With leads (--leads), these too: after the others, in this order.
LEAD_COLUMNS = ("leads", "lead_conversion_rate", "cost_per_lead")


def shown_columns(report: dict[str, Any]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The columns of a breakdown's table and their priority: with leads, theirs too."""
    if not with_leads(report):
        return COLUMNS, PRIORITY
    # Who gives leads asks about them: right after revenue, cost and ROI.
    return (*COLUMNS, *LEAD_COLUMNS), (*PRIORITY[:3], *LEAD_COLUMNS, *PRIORITY[3:])


def headline_fields(report: dict[str, Any]) -> tuple[str, ...]:
    """The headline's figures: with leads, theirs too."""
    return headline_with_leads(report, HEADLINE)


# Figures in WITH_UNIT are shown with their unit ("7.2 months"), so headed by their short label.


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
    """Figures in the user's locale: ``--locale nl_NL`` gives ``€ 25.000,00`` (the text is
    :func:`crm_roi.render.locale.figure_text`'s; the colours are the table's)."""

    def __init__(self, currency: str | None, locale: str, cents: bool = True) -> None:
        self.currency = currency
        self.locale = locale
        self.cents = cents

    def __call__(self, name: str, value: Any) -> Text:
        if value is None:
            return Text(MISSING, style="dim")
        if figure(name).kind is MONEY:
            return self.money(value)
        style = "" if name != "roi" else "bold red" if value < 0 else "bold green"
        return Text(figure_text(name, value, self.currency, self.locale), style=style)

    def money(self, value: Any) -> Text:
        """An amount in the currency (red below zero), or as a plain number with no currency."""
        amount = Decimal(str(value))
        text = money_text(amount, self.currency, self.locale, self.cents)
        return Text(text, style="red" if amount < 0 else "")


def print_report(
    console: Console,
    report: dict[str, Any],
    locale: str,
    rejected: int,
    columns: Sequence[str] | None = None,
) -> None:
    """The headline panel, a table per breakdown (with a trend line for a period) and notes.
    Each table shows ``columns`` (--columns), else as many of :data:`PRIORITY` as fit."""
    fmt = Formatter(report["currency"], locale)
    console.print(headline(report, fmt))
    whole = Formatter(report["currency"], locale, cents=False)
    for name, rows in report["breakdowns"].items():
        table, wrapped, hidden = breakdown_table(
            name, rows, whole, console, columns, shown_columns(report)
        )
        console.print(table)
        if wrapped:
            console.print(f"Labels longer than {wrapped} characters are wrapped.", style="dim")
        if hidden:
            console.print(left_out(hidden, "--columns or --format json"))
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
    for name in headline_fields(report):
        grid.add_row(heading(name), fmt(name, report["totals"][name]))
    window = report["window"]
    return Panel(
        grid,
        title=f"ROI {span_text(window['from'], window['to'], fmt.locale)}",
        expand=False,
        subtitle=Text(printable(report["currency"] or "")),
    )


def breakdown_table(
    name: str,
    rows: list[dict[str, Any]],
    fmt: Formatter,
    console: Console,
    columns: Sequence[str] | None = None,
    default: tuple[Sequence[str], Sequence[str]] = (COLUMNS, PRIORITY),
) -> tuple[Table, int, list[str]]:
    """One row per group: its keys, then the figures that fit the console's width whole, under
    their short labels: ``columns`` in that order, else the :data:`COLUMNS` that fit by
    :data:`PRIORITY` (``default``: other columns and priority). Also: the width labels wrap
    at (0: none wraps; see :func:`crm_roi.render.fit.label_width`) and the figures left out."""
    dims = breakdown_dims(name)
    # Group keys and dimension names come from the files: Text, never markup, and printable.
    keys = {
        d: [
            Text(printable(str(r[d])), style="dim" if str(r[d]).startswith("(") else "")
            for r in rows
        ]
        for d in dims
    }
    natural = [needed([printable(d), *keys[d]]) for d in dims]
    key_widths = [label_width(n, console.width, len(dims)) for n in natural]
    every, priority = default
    wanted = list(columns or priority)
    cells = {f: [fmt(f, r[f]) for r in rows] for f in wanted}
    widths = [(f, needed([figure(f).short, *cells[f]])) for f in wanted]
    shown = fitting(console, _frame, key_widths, widths)
    if columns is None:
        shown = [f for f in every if f in shown]
    table = _frame(Text(f"By {printable(name)}"))
    for d, width in zip(dims, key_widths, strict=True):
        table.add_column(Text(printable(d)), overflow="fold", min_width=width, max_width=width)
    for f in shown:
        table.add_column(figure(f).short, justify="right", no_wrap=True)
    for i in range(len(rows)):
        table.add_row(*(keys[d][i] for d in dims), *(cells[f][i] for f in shown))
    wrapped = min((w for w, n in zip(key_widths, natural, strict=True) if n > w), default=0)
    return table, wrapped, [f for f in wanted if f not in shown]


def _frame(title: Text | None = None) -> Table:
    """The style of a breakdown's table."""
    return Table(title=title, title_justify="left", header_style="bold")


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

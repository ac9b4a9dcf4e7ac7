"""Cohort and comparison reports: their JSON shapes, terminal tables, CSV and Excel sheets."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from crm_roi.engine.figures import FIELDS, HIGHER, MONEY, NEUTRAL, PERCENT, figure
from crm_roi.render.fit import fits, fitting, label_width, left_out, needed
from crm_roi.render.locale import PLAIN, figure_text, number_text, percent_text, span_text
from crm_roi.render.report import (
    breakdown_dims,
    breakdown_name,
    people_fields,
    plain_figure,
    plain_number,
)
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


def print_cohorts(console: Console, document: dict[str, Any], locale: str = PLAIN) -> None:
    """The triangle of cumulative revenue per customer, shaded by value; payback marked;
    numbers and the window in ``locale``."""
    rows = document["cohorts"]
    width = max((len(c["revenue_by_age"]) for c in rows), default=0)
    table = _triangle(
        Text(
            f"Cumulative revenue per customer by {document['period']} of acquisition,"
            f" {span_text(document['window']['from'], document['window']['to'], locale)}"
            f" ({printable(document['currency'] or 'no currency')}; k = thousands)"
        )
    )
    fixed = _cohort_columns(rows, locale)
    for name, cells in fixed.items():
        table.add_column(
            name,
            justify="right" if name != "cohort" else "left",
            no_wrap=True,
            min_width=needed([name, *cells]),
        )
    longest = max(
        (len(_compact(v, locale)) + 1 for c in rows for v in c["cumulative_revenue_per_customer"]),
        default=3,
    )
    # The cohort and its figures always show; then as many ages, from 0, as the screen holds.
    fixed_widths = [needed([name, *cells]) for name, cells in fixed.items()]
    every_age = [(age, max(longest, len(str(age)))) for age in range(width)]
    ages = len(fitting(console, _triangle, fixed_widths, every_age, contiguous=True))
    for age in range(ages):
        table.add_column(str(age), justify="right", no_wrap=True, min_width=longest)
    top = max((v for c in rows for v in c["cumulative_revenue_per_customer"]), default=0) or 1
    for i, c in enumerate(rows):
        cells = []
        for age, value in enumerate(c["cumulative_revenue_per_customer"][:ages]):
            shade = int(40 + 180 * value / top)
            style = f"on rgb(0,{shade // 2},{shade})"
            mark = "*" if c["payback_period"] == age else ""
            cells.append(Text(f"{_compact(value, locale)}{mark}", style=style))
        table.add_row(*(column[i] for column in fixed.values()), *cells)
    console.print(table)
    console.print("* the age at which gross profit per customer reached the CAC", style="dim")
    if ages < width:
        console.print(
            f"… {width - ages} more age{'s' * (width - ages > 1)} ({ages} to {width - 1}) left "
            "out: a wider terminal, or --format csv or json",
            style="dim",
        )


def _triangle(title: Text | None = None) -> Table:
    """The style of the cohorts' table."""
    return Table(
        title=title,
        title_justify="left",
        header_style="bold",
        box=box.SIMPLE_HEAD,
        padding=(0, 1),
        collapse_padding=True,
    )


def _cohort_columns(rows: list[dict[str, Any]], locale: str) -> dict[str, list[Any]]:
    """The columns every cohort shows whole, by their headings: the cohort, its customers,
    CAC and payback age."""
    return {
        "cohort": [Text(printable(str(c["cohort"]))) for c in rows],
        "customers": [str(c["customers"]) for c in rows],
        figure("cac").short: [
            "–" if c["cac"] is None else _compact(c["cac"], locale) for c in rows
        ],
        "payback": ["–" if c["payback_period"] is None else str(c["payback_period"]) for c in rows],
    }


def _compact(value: float, locale: str = PLAIN) -> str:
    """``8245.9`` → ``8.2k`` (``8,2k`` in Dutch); below a thousand as it is, rounded."""
    if abs(value) >= 1000:
        return number_text(value / 1000, locale, "#,##0.0") + "k"
    return number_text(value, locale, "#,##0")


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


def print_compare(console: Console, document: dict[str, Any], locale: str = PLAIN) -> None:
    """Each figure before and after, and how it changed; numbers and windows in ``locale``.
    Where colour doesn't show (NO_COLOR, a pipe, a dumb terminal) a change says ``better`` or
    ``worse`` in words: a cost going up is not good news."""
    words = console.no_color or console.color_system is None
    table, hidden = _totals_change(console, document, locale, words)
    console.print(table)
    if hidden:
        console.print(
            f"… the {' and '.join(hidden)} column{'s' * (len(hidden) > 1)} left out: "
            "a wider terminal, or --format json",
            style="dim",
        )
    for bname, rows in document["change"]["breakdowns"].items():
        sub, left = _breakdown_change(console, bname, rows, locale, words)
        console.print(sub)
        if left:
            console.print(left_out(left, "a wider terminal, or --format json or csv"))


def _totals_change(
    console: Console, document: dict[str, Any], locale: str, words: bool
) -> tuple[Table, list[str]]:
    """Every figure, baseline, current and change, in the first layout that fits the screen:
    a line each; else the change and the windows' headings on two lines; else baseline and
    current stacked in one column; else without the columns that don't fit. Also: the
    columns left out."""
    base, cur, change = document["baseline"], document["current"], document["change"]["totals"]
    spans = [span_text(d["window"]["from"], d["window"]["to"], locale) for d in (base, cur)]
    fields = people_fields(base)
    before = [_shown(n, base["totals"][n], locale) for n in fields]
    after = [_shown(n, cur["totals"][n], locale) for n in fields]
    arrows = [
        [_arrow(n, change[n]["abs"], change[n]["rel"], locale, words, split) for n in fields]
        for split in (False, True)
    ]
    two_lines = [s.replace(" → ", " →\n") for s in spans]
    stacked = [f"{b}\n{a}" for b, a in zip(before, after, strict=True)]
    layouts: list[tuple[list[str], list[str], list[list[Any]]]] = [
        (["baseline", "current"], spans, [before, after, arrows[0]]),
        (["baseline", "current"], two_lines, [before, after, arrows[1]]),
        (["baseline and current"], ["baseline\ncurrent"], [stacked, arrows[1]]),
    ]
    for layout in layouts:
        names, heads, columns = layout[0], ["figure", *layout[1], "change"], layout[2]
        columns = [list(fields), *columns]
        widths = [needed([head, *cells]) for head, cells in zip(heads, columns, strict=True)]
        if fits(console, _boxed, widths):
            break
    optional = [(i, widths[i]) for i in reversed(range(1, len(widths)))]  # the change first
    shown = [0, *sorted(fitting(console, _boxed, widths[:1], optional))]
    title = (
        "Baseline against current"
        if len(heads) == 4
        else (f"Baseline {spans[0]} against current {spans[1]}")
    )
    table = _boxed(Text(title))
    for i in shown:
        table.add_column(
            heads[i], justify="left" if i == 0 else "right", no_wrap=True, min_width=widths[i]
        )
    for row in range(len(fields)):
        table.add_row(*(columns[i][row] for i in shown))
    return table, [name for i, name in enumerate(names, start=1) if i not in shown]


def _breakdown_change(
    console: Console, name: str, rows: list[dict[str, Any]], locale: str, words: bool
) -> tuple[Table, list[str]]:
    """A breakdown's change in the :data:`CHANGE_COLUMNS` that fit beside its groups' labels
    (each change on one line, else on two); also the figures left out."""
    dims = breakdown_dims(name)
    keys = {d: [Text(printable(str(r[d]))) for r in rows] for d in dims}
    natural = [needed([printable(d), *keys[d]]) for d in dims]
    key_widths = [label_width(n, console.width, len(dims)) for n in natural]
    for split in (False, True):
        cells = {
            n: [_arrow(n, r[n]["abs"], r[n]["rel"], locale, words, split) for r in rows]
            for n in CHANGE_COLUMNS
        }
        widths = [(n, needed([n, *cells[n]])) for n in CHANGE_COLUMNS]
        if fits(console, _boxed, [*key_widths, *(w for _, w in widths)]):
            break
    shown = fitting(console, _boxed, key_widths, widths)
    sub = _boxed(Text(f"By {printable(name)}: change"))
    for d, width in zip(dims, key_widths, strict=True):
        sub.add_column(Text(printable(d)), overflow="fold", min_width=width, max_width=width)
    for n in shown:
        sub.add_column(n, justify="right", no_wrap=True)
    for i in range(len(rows)):
        sub.add_row(*(keys[d][i] for d in dims), *(cells[n][i] for n in shown))
    return sub, [n for n in CHANGE_COLUMNS if n not in shown]


def _boxed(title: Text | None = None) -> Table:
    """The style of the comparison's tables."""
    return Table(title=title, title_justify="left", header_style="bold")


def _shown(name: str, value: Any, locale: str = PLAIN) -> str:
    """A figure in ``locale``, money without its currency (the table's title names it)."""
    return figure_text(name, value, None, locale)


def _arrow(
    name: str, delta: Any, rel: Any, locale: str = PLAIN, words: bool = False, split: bool = False
) -> Text:
    """``▲ 1,278.51 (+27%)``, green when better and red when worse; with ``words``,
    ``▲ 1,278.51 (+27%) worse``; with ``split``, the part after the amount on a second line."""
    if delta is None:
        return Text("–", style="dim")
    good = better(name, delta)
    arrow = "▲" if delta > 0 else "▼" if delta < 0 else "="
    points = figure(name).shown is PERCENT  # a percentage changes by percentage points
    size = number_text(abs(delta) * 100, locale, "0.0") + " pt" if points else None
    shown = f"{arrow} {size or _shown(name, abs(delta), locale)}"
    tail = [] if rel is None else [f"({percent_text(rel, locale, 0, sign=True)})"]
    if words and good is not None:
        tail.append("better" if good else "worse")
    if tail:
        shown += ("\n" if split else " ") + " ".join(tail)
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

"""The reports as one HTML page: self-contained, to open in any browser, mail or archive.

One file that fetches nothing: the styles are in it, the charts are inline SVG
(:mod:`crm_roi.render.svg`), there is no script and no URL, and a Content-Security-Policy
forbids any request should one ever creep in. Figures are named and shown as
``engine/figures.py`` declares them, in the page's locale (:mod:`crm_roi.render.locale`).
Every text that came from the inputs (group keys, file names, rejected values, warnings) goes
through :func:`~crm_roi.render.safe.html_text`, in text or in a quoted attribute alike.

- ``compute``: the headline figures, a section per breakdown (charts, the table, every figure),
  the definitions, the rejected rows, the notes, the inputs and settings.
- ``cohorts``: cumulative revenue per customer by cohort, as lines and as a shaded table.
- ``compare``: every figure in the baseline and the current window and its change, better or
  worse in colour and in words.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any, TypeVar

from babel import Locale
from babel.dates import format_date
from babel.numbers import format_compact_currency, format_compact_decimal

from crm_roi import __version__
from crm_roi.engine.figures import (
    DEFINITIONS,
    FIELDS,
    MONEY,
    PERCENT,
    PERIODS,
    UNATTRIBUTED,
    figure,
)
from crm_roi.errors import RowIssue
from crm_roi.render import svg
from crm_roi.render.locale import (
    MISSING,
    PLAIN,
    day_text,
    figure_text,
    money_text,
    number_locale,
    number_text,
    percent_text,
    span_text,
)
from crm_roi.render.report import breakdown_dims, people_fields
from crm_roi.render.safe import html_text as esc
from crm_roi.render.table import (
    COLUMNS,
    HEADLINE,
    heading,
    headline_fields,
    in_sentence,
    shown_columns,
)
from crm_roi.render.timeaware import CHANGE_COLUMNS, better

Item = TypeVar("Item")
LISTED = 1000  # rejected rows, and notes, listed on the page; the rest counted
KEY_WHOLE = 24  # characters of a group key kept on one line
CHART_ENDS = 15  # a chart of more groups shows the top and the bottom this many
# What a browser may load for the page: nothing but its own inline styles.
POLICY = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"
COHORT_TERMS = (
    ("cohort", "The customers acquired in one {period}."),
    ("age", "Counted in {period}s from the cohort's {period} of acquisition, which is age 0."),
    (
        "cumulative revenue per customer",
        "Revenue of the cohort's customers up to and including an age, ÷ its customers.",
    ),
    (
        "payback",
        "The first age at which gross profit per customer reached the CAC (marked *).",
    ),
)


# --- numbers -----------------------------------------------------------------------------------
class Numbers:
    """Figures, changes, chart ticks and dates as the page shows them, in its locale
    (:mod:`crm_roi.render.locale`)."""

    def __init__(self, currency: str | None, locale: str) -> None:
        self.currency = currency
        self.locale = locale
        self.babel = number_locale(locale)

    def figure(self, name: str, value: Any) -> str:
        """``€1,967,717.69``, ``215.8%``, ``10.3×``, ``7.2 months``; ``–`` for none."""
        return figure_text(name, value, self.currency, self.locale)

    def whole_money(self, value: Any) -> str:
        """An amount to the whole unit, for a dense table: ``€14,984``."""
        return MISSING if value is None else money_text(value, self.currency, self.locale, False)

    def money(self, value: float) -> str:
        """An amount in short, for a chart: ``€361.3K``; whole where the locale has no short
        form of its size (German thousands: ``560.552 €``)."""
        if re.fullmatch(r"[\d.,\s]+", format_compact_decimal(abs(value), locale=self.babel)):
            return self.whole_money(value)
        if self.currency:
            return format_compact_currency(
                value, self.currency, locale=self.babel, fraction_digits=1
            )
        return format_compact_decimal(value, locale=self.babel, fraction_digits=1)

    def percent(self, value: float) -> str:
        return percent_text(value, self.locale)

    def percent_tick(self, value: float) -> str:
        return percent_text(value, self.locale, 0)

    def change(self, name: str, delta: Any) -> str:
        """A change in the figure's own terms: ``+€1,010.66``, ``-5.2 pt`` for a percentage."""
        if delta is None:
            return MISSING
        if delta == 0:
            return "0 pt" if figure(name).shown is PERCENT else self.figure(name, 0)
        if figure(name).shown is PERCENT:
            return number_text(delta * 100, self.locale, "+#,##0.0;-#,##0.0") + " pt"
        sign = "+" if delta > 0 else "-" if delta < 0 else ""
        return sign + self.figure(name, abs(delta))

    def relative(self, rel: Any) -> str:
        return "" if rel is None else percent_text(rel, self.locale, 0, sign=True)

    def window(self, window: dict[str, str]) -> str:
        return span_text(window["from"], window["to"], self.locale)

    def moment(self, when: dt.datetime) -> str:
        """The time a report was made, with its time zone: ``01-12-2025 04:50 CET``."""
        return f"{day_text(when.date(), self.locale)} {when:%H:%M} {when.tzname() or ''}".strip()

    def whole(self, value: Any) -> str:
        return number_text(value, self.locale)

    def number(self, value: Any) -> str:
        return number_text(value, self.locale)


# --- the page ----------------------------------------------------------------------------------
CSS = """
:root { color-scheme: light; --ink: #1a202c; --muted: #5a6473; --line: #d9dee5;
  --revenue: #2b6cb0; --cost: #dd6b20; --pos: #2f855a; --neg: #c53030;
  --better: #1c6b3a; --worse: #b42318; }
* { box-sizing: border-box; }
body { margin: 0; background: #eef0f3; color: var(--ink);
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial,
  "Liberation Sans", "DejaVu Sans", sans-serif; }
main { max-width: 1240px; margin: 0 auto; padding: 24px 28px 48px; background: #fff; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 19px; margin: 36px 0 12px; padding-top: 10px; border-top: 2px solid var(--line); }
h3 { font-size: 15px; margin: 18px 0 6px; }
p { margin: 6px 0; }
.meta, .note { color: var(--muted); }
nav { margin: 14px 0 4px; }
nav a { margin-right: 16px; color: var(--revenue); }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(180px, 1fr));
  gap: 10px; margin-top: 16px; }
.card { border: 1px solid var(--line); border-radius: 6px; padding: 10px 12px; }
.card .label { color: var(--muted); font-size: 12.5px; }
.card .figure { font-size: 21px; font-weight: 600; font-variant-numeric: tabular-nums; }
.card .change { font-size: 12.5px; white-space: nowrap; }
.cards.changes { grid-template-columns: repeat(auto-fill, minmax(215px, 1fr)); }
.card.neg .figure { color: var(--neg); }
.charts { display: grid; grid-template-columns: 1fr 1fr; gap: 18px 32px; align-items: start;
  margin: 8px 0 12px; }
.charts .wide { grid-column: 1 / -1; }
figure { margin: 0; }
figcaption { font-weight: 600; margin-bottom: 4px; }
figure .note { font-size: 12.5px; }
svg.chart { display: block; width: 100%; height: auto; font-size: 12px;
  font-family: system-ui, "Liberation Sans", "DejaVu Sans", sans-serif; }
svg text { fill: var(--ink); }
svg .tick, svg .value { fill: var(--muted); }
svg .value { font-size: 11px; }
svg .year, svg .legend { font-weight: 600; }
svg .grid { stroke: #e3e7ec; }
svg .zero { stroke: #7a8494; }
svg .bar.revenue, svg .bar.current { fill: var(--revenue); }
svg .bar.cost { fill: var(--cost); }
svg .bar.baseline { fill: #a7b3c2; }
svg .bar.pos, svg .dot.pos { fill: var(--pos); }
svg .bar.neg, svg .dot.neg { fill: var(--neg); }
svg .line { fill: none; stroke-width: 2; }
svg .line.roi { stroke: #4a5568; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; margin: 8px 0 4px; font-size: 13px;
  font-variant-numeric: tabular-nums; }
th, td { padding: 4px 8px; border-bottom: 1px solid var(--line); text-align: left;
  vertical-align: top; }
td.key { white-space: nowrap; }
thead th { background: #f1f3f6; font-weight: 600; }
th.num, td.num { text-align: right; white-space: nowrap; }
th.group { text-align: left; border-left: 2px solid #fff; }
td.neg { color: var(--neg); }
td.aside { color: var(--muted); font-style: italic; }
td.payback { font-weight: 700; outline: 2px solid var(--ink); outline-offset: -2px; }
td.text { max-width: 420px; overflow-wrap: break-word; }
tfoot td { font-weight: 600; border-top: 2px solid #b8c0cc; }
.better { color: var(--better); }
.worse { color: var(--worse); }
.verdict { font-size: 11px; font-weight: 700; text-transform: uppercase; margin-left: 4px; }
.rel { color: var(--muted); margin-left: 4px; }
code { font: 12px ui-monospace, "DejaVu Sans Mono", monospace; background: #f1f3f6;
  padding: 0 3px; border-radius: 3px; white-space: nowrap; }
.hash { font: 11px ui-monospace, "DejaVu Sans Mono", monospace; overflow-wrap: anywhere; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; }
dt { color: var(--muted); }
dd { margin: 0; }
details summary { cursor: pointer; color: var(--revenue); margin: 8px 0; }
@media (max-width: 860px) { .charts { grid-template-columns: 1fr; } }
@media print { body { background: #fff; } main { max-width: none; padding: 0; }
  figure, tr { break-inside: avoid; } .scroll { overflow: visible; } nav { display: none; } }
"""


def page(title: str, locale: str, parts: Iterable[str]) -> bytes:
    """The whole document, in UTF-8."""
    parsed = Locale.parse(number_locale(locale))
    lang = "-".join(p for p in (parsed.language, parsed.territory) if p and locale != PLAIN)
    lang = lang or parsed.language
    head = (
        f'<meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="{POLICY}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta name="generator" content="crm-roi {esc(__version__)}">'
        f"<title>{esc(title)}</title><style>{CSS}</style>"
    )
    body = "\n".join(parts)
    document = (
        f'<!DOCTYPE html>\n<html lang="{lang}"><head>{head}</head>\n'
        f"<body><main>\n{body}\n</main></body></html>\n"
    )
    return document.encode("utf-8")


def masthead(title: str, facts: Sequence[str], numbers: Numbers, generated: dt.datetime) -> str:
    """The title, then one line of what the report covers and when it was made."""
    made = f"generated {numbers.moment(generated)} by crm-roi {__version__}"
    line = " · ".join([*facts, made])
    return f'<header><h1>{esc(title)}</h1><p class="meta">{esc(line)}</p></header>'


def contents(entries: Sequence[tuple[str, str]]) -> str:
    links = "".join(f'<a href="#{anchor}">{esc(title)}</a>' for anchor, title in entries)
    return f"<nav>{links}</nav>"


def section(anchor: str, title: str, *parts: str) -> str:
    return f'<section id="{anchor}"><h2>{esc(title)}</h2>{"".join(parts)}</section>'


def cell(text: str, css: str = "", tag: str = "td", extra: str = "") -> str:
    """One table cell of escaped text."""
    cls = f' class="{css}"' if css else ""
    return f"<{tag}{cls}{extra}>{esc(text)}</{tag}>"


def table(
    head: Sequence[str], rows: Iterable[Sequence[str]], foot: Sequence[str] = (), above: str = ""
) -> str:
    """A table of cells made by :func:`cell`, in a box that scrolls when it is too wide;
    ``above`` is a header row over the headings (a figure over its columns)."""
    body = "".join(f"<tr>{''.join(r)}</tr>" for r in rows)
    tfoot = f"<tfoot><tr>{''.join(foot)}</tr></tfoot>" if foot else ""
    return (
        f'<div class="scroll"><table><thead>{above}<tr>{"".join(head)}</tr></thead>'
        f"<tbody>{body}</tbody>{tfoot}</table></div>"
    )


def chart(caption: str, drawing: str, note: str = "", wide: bool = False) -> str:
    aside = f'<p class="note">{esc(note)}</p>' if note else ""
    cls = ' class="wide"' if wide else ""
    return f"<figure{cls}><figcaption>{esc(caption)}</figcaption>{drawing}{aside}</figure>"


def prose(text: str) -> str:
    """Our own explanatory text (figures.py's meanings): escaped, `code` and *emphasis* kept.

    >>> prose("revenue × `--gross-margin` (see *Customers*) < 1")
    'revenue × <code>--gross-margin</code> (see <em>Customers</em>) &lt; 1'
    """
    marked = re.sub(r"`([^`]+)`", r"<code>\1</code>", esc(text))
    return re.sub(r"\*([^*]+)\*", r"<em>\1</em>", marked)


# --- compute's report --------------------------------------------------------------------------
def report_html(
    document: dict[str, Any],
    rejected_rows: Sequence[dict[str, Any]] = (),
    locale: str = PLAIN,
    generated: dt.datetime | None = None,
) -> bytes:
    """compute's JSON document (``render.report.report_dict``) as the page."""
    numbers = Numbers(document["currency"], locale)
    breakdowns = list(document["breakdowns"].items())
    anchors = [(f"breakdown-{i}", f"By {name}") for i, (name, _) in enumerate(breakdowns, 1)]
    facts = [numbers.window(document["window"]), document["currency"] or "no currency"]
    parts = [
        masthead("ROI report", facts, numbers, generated or now()),
        contents([*anchors, *TAIL, SETTINGS]),
        headline(document["totals"], numbers, headline_fields(document)),
    ]
    fields, columns = people_fields(document), shown_columns(document)[0]
    for (anchor, title), (name, rows) in zip(anchors, breakdowns, strict=True):
        shown = breakdown(name, rows, document["totals"], numbers, fields, columns)
        parts.append(section(anchor, title, *shown))
    parts += tail(document["warnings"], rejected_rows, document["inputs"], numbers, fields)
    parts.append(section("settings", "Settings", settings_list(document["settings"], numbers)))
    return page("ROI report", locale, parts)


TAIL = (
    ("definitions", "Definitions"),
    ("rejected", "Rejected rows"),
    ("notes", "Notes"),
    ("inputs", "Inputs"),
)
SETTINGS = ("settings", "Settings")


def now() -> dt.datetime:
    return dt.datetime.now().astimezone()


def headline(totals: dict[str, Any], numbers: Numbers, names: Sequence[str] = HEADLINE) -> str:
    cards = []
    for name in names:
        value = totals[name]
        tone = " neg" if name in ("roi", "net_return") and value is not None and value < 0 else ""
        cards.append(
            f'<div class="card{tone}"><div class="label">{esc(heading(name))}</div>'
            f'<div class="figure">{esc(numbers.figure(name, value))}</div></div>'
        )
    return f'<section id="headline" class="cards">{"".join(cards)}</section>'


def group_name(row: dict[str, Any], dims: Sequence[str]) -> str:
    """A group's keys as one label: ``Events``, ``Events / 2024-01``."""
    return " / ".join(str(row[d]) for d in dims)


def breakdown(
    name: str,
    rows: list[dict[str, Any]],
    totals: dict[str, Any],
    numbers: Numbers,
    fields: Sequence[str] = FIELDS,
    columns: Sequence[str] = COLUMNS,
) -> list[str]:
    """A breakdown's charts, what cost no group carries, its table and every figure."""
    dims = breakdown_dims(name)
    if len(dims) == 1 and dims[0] in PERIODS:
        charts = [period_trend(dims[0], rows, numbers), roi_bars(name, dims, rows, numbers)]
    else:
        charts = [roi_bars(name, dims, rows, numbers), money_bars(name, dims, rows, numbers)]
    stray = unattributed(name, dims, rows, numbers)
    every = figures_table(dims, rows, totals, fields, numbers, short=False)
    return [
        f'<div class="charts">{"".join(charts)}</div>',
        f'<p class="note">{esc(stray)}</p>' if stray else "",
        figures_table(dims, rows, totals, columns, numbers, short=True),
        f"<details><summary>Every figure by {esc(name)}</summary>{every}</details>",
    ]


def unattributed(
    name: str, dims: Sequence[str], rows: Sequence[dict[str, Any]], numbers: Numbers
) -> str:
    """What cost no group of the breakdown carries, in a sentence ("" when there is none)."""
    stray = [r for r in rows if UNATTRIBUTED in [str(r[d]) for d in dims]]
    if not stray:
        return ""
    cost = sum(Decimal(str(r["cost"] or 0)) for r in stray)
    return (
        f"By {name}: {numbers.figure('cost', cost)} of cost can't be attributed to a group and "
        f"is shown as {UNATTRIBUTED}; --allocate spreads it over the groups."
    )


def figures_table(
    dims: Sequence[str],
    rows: Sequence[dict[str, Any]],
    totals: dict[str, Any] | None,
    names: Sequence[str],
    numbers: Numbers,
    short: bool,
) -> str:
    """One row per group (its keys, then the figures), the totals at the foot. The ``short``
    table (short headings, money to the whole unit) is the one to read; the other has every
    figure, to the cent."""
    head = [cell(d, tag="th") for d in dims]
    for n in names:
        declared = figure(n)
        shown = declared.short if short else declared.label
        head.append(cell(shown, "num", "th", f' title="{esc(declared.label)}"'))
    body = []
    for row in rows:
        keys = [key_cell(str(row[d])) for d in dims]
        body.append(keys + [figure_cell(n, row[n], numbers, short) for n in names])
    foot: list[str] = []
    if totals is not None:
        foot = [cell("Total"), *(cell("") for _ in dims[1:])]
        foot += [figure_cell(n, totals[n], numbers, short) for n in names]
    return table(head, body, foot)


def key_cell(key: str) -> str:
    """A group's key: ``(none)`` and ``(unattributed)`` set apart; a short key never wrapped
    (``2023-01`` stays whole), a long one wrapped."""
    if key.startswith("("):
        return cell(key, "aside key")
    return cell(key, "key" if len(key) <= KEY_WHOLE else "text")


def figure_cell(name: str, value: Any, numbers: Numbers, whole: bool = False) -> str:
    """A figure in a table cell, red below zero if money or ROI; ``whole``: money without
    cents."""
    money = figure(name).kind is MONEY
    negative = value is not None and value < 0 and (money or name == "roi")
    shown = numbers.whole_money(value) if whole and money else numbers.figure(name, value)
    return cell(shown, "num neg" if negative else "num")


def ends(rows: list[Item]) -> tuple[list[Item], str]:
    """Rows for a chart: all of them, or the first and last :data:`CHART_ENDS` and a note."""
    if len(rows) <= 2 * CHART_ENDS:
        return rows, ""
    left_out = len(rows) - 2 * CHART_ENDS
    return rows[:CHART_ENDS] + rows[-CHART_ENDS:], f"{left_out} groups in between: see the table."


def roi_bars(name: str, dims: Sequence[str], rows: list[dict[str, Any]], numbers: Numbers) -> str:
    """ROI by group, highest first; the unattributed cost is no group."""
    groups = [r for r in rows if UNATTRIBUTED not in [str(r[d]) for d in dims]]
    ranked = sorted((r for r in groups if r["roi"] is not None), key=lambda r: -r["roi"])
    shown, note = ends(ranked)
    no_roi = [group_name(r, dims) for r in groups if r["roi"] is None]
    if no_roi:
        more = f" and {len(no_roi) - 10} more" if len(no_roi) > 10 else ""
        note += f" No ROI (no cost): {', '.join(no_roi[:10])}{more}."
    roi = figure("roi")
    drawing = svg.bar_chart(
        f"{roi.label} by {name}",
        [group_name(r, dims) for r in shown],
        [svg.Series(roi.label, [r["roi"] for r in shown], "roi", signed=True)],
        numbers.percent,
        numbers.percent_tick,
    )
    return chart(f"{roi.label} by {name}, highest first", drawing, note.strip())


def money_bars(name: str, dims: Sequence[str], rows: list[dict[str, Any]], numbers: Numbers) -> str:
    """Revenue and cost by group, by revenue."""
    ranked, note = ends(sorted(rows, key=lambda r: -(r["revenue"] or 0)))
    series = [svg.Series(figure(f).short, [r[f] for r in ranked], f) for f in ("revenue", "cost")]
    labels = [group_name(r, dims) for r in ranked]
    caption = f"{figure('revenue').short} and {figure('cost').short.lower()} by {name}"
    drawing = svg.bar_chart(caption, labels, series, numbers.money, numbers.money)
    return chart(caption + ", by revenue", drawing, note)


def period_axis(period: str, keys: Sequence[str], locale: str) -> svg.Axis:
    """``2023-01`` as ``Jan`` over ``2023``, ``2023-Q1`` as ``Q1``; a year as itself."""
    labels, years = [], []
    for key in keys:
        month = re.fullmatch(r"(\d{4})-(\d{2})", key) if period == "month" else None
        quarter = re.fullmatch(r"(\d{4})-(Q[1-4])", key) if period == "quarter" else None
        if month:
            day = dt.date(int(month[1]), int(month[2]), 1)
            labels.append(format_date(day, "MMM", locale=number_locale(locale)))
            years.append(month[1])
        elif quarter:
            labels.append(quarter[2])
            years.append(quarter[1])
        else:
            labels.append(key)
            years.append("")
    return svg.Axis(labels, years)


def period_trend(period: str, rows: list[dict[str, Any]], numbers: Numbers) -> str:
    """Revenue and cost by period, and the ROI under them."""
    periods = [r for r in rows if not str(r[period]).startswith("(")]
    axis = period_axis(period, [str(r[period]) for r in periods], numbers.locale)
    bars = [svg.Series(figure(f).short, [r[f] for r in periods], f) for f in ("revenue", "cost")]
    roi = svg.Series(figure("roi").label, [r["roi"] for r in periods], "roi")
    caption = f"Revenue and cost by {period}, and ROI"
    drawing = svg.trend_chart(caption, axis, bars, roi, numbers.money, numbers.percent_tick)
    return chart(caption, drawing, wide=True)


# --- what every report ends with ---------------------------------------------------------------
def tail(
    warnings: Sequence[str],
    rejected_rows: Sequence[dict[str, Any]],
    inputs: Sequence[dict[str, Any]],
    numbers: Numbers,
    definitions: Sequence[str] = FIELDS,
) -> list[str]:
    """Definitions, rejected rows, notes and inputs: the sections every page ends with."""
    rejected = {str(RowIssue(**row)) for row in rejected_rows}
    notes = [w for w in dict.fromkeys(warnings) if w not in rejected]
    return [
        section("definitions", "Definitions", definitions_table(definitions)),
        section("rejected", "Rejected rows", rejected_table(rejected_rows, numbers)),
        section("notes", "Notes", notes_list(notes, numbers)),
        section("inputs", "Inputs", inputs_table(inputs, numbers)),
    ]


def definitions_table(names: Sequence[str]) -> str:
    head = [cell(h, tag="th") for h in ("Figure", "Unit", "Meaning", "Not computed when")]
    rows = []
    for d in DEFINITIONS:
        if not set(d.fields) & set(names):
            continue
        named = "<br>".join(f"{esc(figure(f).label)} <code>{esc(f)}</code>" for f in d.fields)
        rows.append(
            [
                f"<td>{named}</td>",
                cell(d.unit, "key"),
                f"<td>{prose(d.meaning)}</td>",
                f"<td>{prose(d.null_when)}</td>",
            ]
        )
    return table(head, rows)


def rejected_table(rows: Sequence[dict[str, Any]], numbers: Numbers) -> str:
    if not rows:
        return '<p class="note">Every input row was used.</p>'
    head = [
        cell(h, "num" if h == "Row" else "", "th")
        for h in ("File", "Row", "Column", "Value", "Reason")
    ]
    body = [
        [
            cell(str(r["file"]), "text"),
            cell(str(r["row"]), "num"),
            cell(str(r["column"]), "text"),
            cell(str(r["value"]), "text"),
            cell(str(r["reason"]), "text"),
        ]
        for r in rows[:LISTED]
    ]
    count = f"{numbers.whole(len(rows))} input rows were left out of every figure."
    more = len(rows) - LISTED
    after = (
        f" The first {numbers.whole(LISTED)} are listed; crm-roi validate lists them all."
        if more > 0
        else ""
    )
    return f'<p class="note">{esc(count + after)}</p>' + table(head, body)


def notes_list(notes: Sequence[str], numbers: Numbers) -> str:
    if not notes:
        return '<p class="note">Nothing to note.</p>'
    items = "".join(f"<li>{esc(n)}</li>" for n in notes[:LISTED])
    more = len(notes) - LISTED
    after = f'<p class="note">… and {numbers.whole(more)} more.</p>' if more > 0 else ""
    return f"<ul>{items}</ul>{after}"


def inputs_table(inputs: Sequence[dict[str, Any]], numbers: Numbers) -> str:
    heads = ("Input", "File", "Rows", "Used", "Rejected", "Skipped", "SHA-256")
    head = [cell(h, "num" if h in heads[2:6] else "", "th") for h in heads]
    body = [
        [
            cell(str(i["kind"]).replace("_", " ")),
            cell(str(i["path"]), "text"),
            *(cell(numbers.whole(i[k]), "num") for k in ("rows", "used", "rejected", "skipped")),
            cell(str(i.get("sha256") or ""), "hash"),
        ]
        for i in inputs
    ]
    note = (
        '<p class="note">Rows = used + rejected; skipped lines (titles, blank lines, footers) '
        "are not data rows.</p>"
    )
    return table(head, body) + note


def settings_list(settings: dict[str, Any], numbers: Numbers) -> str:
    lifespan = settings["lifespan"]
    rates = ", ".join(f"{k} {numbers.number(v)}" for k, v in settings["rates"].items())
    items = [
        ("Gross margin", numbers.percent(settings["gross_margin"])),
        (
            "Unattributed cost",
            "kept apart" if settings["allocate"] == "none" else f"spread by {settings['allocate']}",
        ),
        ("Churned after", f"{numbers.whole(settings['churn_after_days'])} days without a won deal"),
        (
            "Lifespan",
            "1 ÷ churn rate" if lifespan is None else f"{numbers.number(lifespan)} years",
        ),
        (
            "Longest lifespan",
            f"{numbers.number(settings['max_lifespan'])} years",
        ),
        ("Breakdowns", ", ".join(settings["by"]) or "none"),
        ("Exchange rates", rates or "none"),
    ]
    return "<dl>" + "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in items) + "</dl>"


# --- cohorts -----------------------------------------------------------------------------------
def cohorts_html(
    document: dict[str, Any],
    rejected_rows: Sequence[dict[str, Any]] = (),
    inputs: Sequence[dict[str, Any]] = (),
    locale: str = PLAIN,
    generated: dt.datetime | None = None,
) -> bytes:
    """cohorts' JSON document (``render.timeaware.cohorts_dict``) as the page; ``inputs`` are
    the inputs' accounts (``render.report.input_entry``), which that document doesn't hold."""
    numbers = Numbers(document["currency"], locale)
    period = document["period"]
    title = f"Acquisition cohorts by {period}"
    facts = [
        numbers.window(document["window"]),
        document["currency"] or "no currency",
        f"gross margin {numbers.percent(document['gross_margin'])}",
    ]
    cohorts = document["cohorts"]
    terms = "".join(
        f"<dt>{esc(term)}</dt><dd>{esc(meaning.format(period=period))}</dd>"
        for term, meaning in COHORT_TERMS
    )
    parts = [
        masthead(title, facts, numbers, generated or now()),
        contents([("cohorts", "Cohorts"), *TAIL]),
        section(
            "cohorts",
            "Cohorts",
            f'<div class="charts">{cohort_lines(cohorts, period, numbers)}</div>',
            cohort_table(cohorts, period, numbers),
            f"<dl>{terms}</dl>",
        ),
    ]
    parts += tail(document["warnings"], rejected_rows, inputs, numbers, ("acquisition_cost", "cac"))
    return page(title, locale, parts)


def cohort_lines(cohorts: Sequence[dict[str, Any]], period: str, numbers: Numbers) -> str:
    ages = max((len(c["cumulative_revenue_per_customer"]) for c in cohorts), default=0)
    series = [
        svg.Series(str(c["cohort"]), c["cumulative_revenue_per_customer"], "cohort")
        for c in cohorts
    ]
    caption = f"Cumulative revenue per customer, by {period}s since acquisition"
    drawing = svg.line_chart(
        caption,
        [str(a) for a in range(ages)],
        series,
        numbers.money,
        f"{period}s since acquisition",
    )
    return chart(caption, drawing, wide=True)


def cohort_table(cohorts: Sequence[dict[str, Any]], period: str, numbers: Numbers) -> str:
    """A row per cohort: customers, acquisition cost, CAC, payback, then the cumulative revenue
    per customer at each age, shaded by its size; the payback age outlined and starred."""
    ages = max((len(c["cumulative_revenue_per_customer"]) for c in cohorts), default=0)
    top = max((v for c in cohorts for v in c["cumulative_revenue_per_customer"]), default=0) or 1
    fixed = ("Cohort", "Customers", figure("acquisition_cost").label, "CAC", f"Payback ({period}s)")
    above = (
        f'<tr><th colspan="{len(fixed)}"></th><th colspan="{ages}" class="group">'
        f"{esc(f'Cumulative revenue per customer at age ({period}s since acquisition)')}</th></tr>"
    )
    head = [cell(h, "" if h == "Cohort" else "num", "th") for h in fixed]
    head += [cell(str(a), "num", "th") for a in range(ages)]
    body = []
    for c in cohorts:
        payback = c["payback_period"]
        row = [
            cell(str(c["cohort"]), "key"),
            cell(numbers.whole(c["customers"]), "num"),
            cell(numbers.whole_money(c["acquisition_cost"]), "num"),
            cell(numbers.whole_money(c["cac"]), "num"),
            cell("–" if payback is None else numbers.whole(payback), "num"),
        ]
        for age, value in enumerate(c["cumulative_revenue_per_customer"]):
            shade = (
                f' style="background: rgba(43, 108, 176, {0.06 + 0.44 * max(value, 0) / top:.2f})"'
            )
            mark = " *" if age == payback else ""
            css = "num payback" if age == payback else "num"
            row.append(cell(numbers.whole_money(value) + mark, css, extra=shade))
        body.append(row)
    return table(head, body, above=above)


# --- compare -----------------------------------------------------------------------------------
def compare_html(
    document: dict[str, Any],
    rejected_rows: Sequence[dict[str, Any]] = (),
    locale: str = PLAIN,
    generated: dt.datetime | None = None,
) -> bytes:
    """compare's JSON document (``render.timeaware.compare_dict``) as the page."""
    base, cur, change = document["baseline"], document["current"], document["change"]
    numbers = Numbers(cur["currency"], locale)
    facts = [
        f"baseline {numbers.window(base['window'])}",
        f"current {numbers.window(cur['window'])}",
        cur["currency"] or "no currency",
    ]
    breakdowns = list(change["breakdowns"].items())
    anchors = [(f"breakdown-{i}", f"By {name}") for i, (name, _) in enumerate(breakdowns, 1)]
    parts = [
        masthead("Before and after", facts, numbers, generated or now()),
        contents([("totals", "Every figure"), *anchors, *TAIL, SETTINGS]),
        change_cards(document, numbers),
        section("totals", "Every figure", change_totals(document, numbers)),
    ]
    for (anchor, title), (name, rows) in zip(anchors, breakdowns, strict=True):
        parts.append(section(anchor, title, *change_breakdown(document, name, rows, numbers)))
    warnings = [*base["warnings"], *cur["warnings"]]
    parts += tail(warnings, rejected_rows, base["inputs"], numbers)
    parts.append(section("settings", "Settings", settings_list(cur["settings"], numbers)))
    return page("Before and after", locale, parts)


def change_text(name: str, delta: dict[str, Any], numbers: Numbers) -> tuple[str, str]:
    """A change as HTML (arrow, size, relative size, and ``better`` or ``worse`` in words) and
    its class (``better``, ``worse`` or none)."""
    size = delta["abs"]
    if size is None:
        return "–", ""
    good = better(name, size)
    verdict = "" if good is None else "better" if good else "worse"
    arrow = "▲" if size > 0 else "▼" if size < 0 else "="
    shown = esc(f"{arrow} {numbers.change(name, size)}")
    if delta["rel"] is not None:
        shown += f'<span class="rel">{esc(numbers.relative(delta["rel"]))}</span>'
    if verdict:
        shown += f'<span class="verdict">{verdict}</span>'
    return shown, verdict


def change_cell(name: str, delta: dict[str, Any], numbers: Numbers) -> str:
    shown, verdict = change_text(name, delta, numbers)
    return f'<td class="num {verdict}">{shown}</td>' if verdict else f'<td class="num">{shown}</td>'


def change_cards(document: dict[str, Any], numbers: Numbers) -> str:
    """The headline figures now, and how each changed since the baseline."""
    cards = []
    for name in HEADLINE:
        shown, verdict = change_text(name, document["change"]["totals"][name], numbers)
        now_ = numbers.figure(name, document["current"]["totals"][name])
        was = numbers.figure(name, document["baseline"]["totals"][name])
        cards.append(
            f'<div class="card"><div class="label">{esc(heading(name))}</div>'
            f'<div class="figure">{esc(now_)}</div>'
            f'<div class="change {verdict}">{shown}</div>'
            f'<div class="label">was {esc(was)}</div></div>'
        )
    return f'<section id="headline" class="cards changes">{"".join(cards)}</section>'


def change_totals(document: dict[str, Any], numbers: Numbers) -> str:
    base, cur = document["baseline"]["totals"], document["current"]["totals"]
    head = [cell("Figure", tag="th")]
    head += [cell(h, "num", "th") for h in ("Baseline", "Current", "Change")]
    body = [
        [
            cell(figure(n).label),
            figure_cell(n, base[n], numbers),
            figure_cell(n, cur[n], numbers),
            change_cell(n, document["change"]["totals"][n], numbers),
        ]
        for n in people_fields(document["baseline"])
    ]
    note = (
        '<p class="note">Better and worse follow each figure\'s direction: lower cost and CAC '
        "are better, higher revenue, ROI, win rate and CLV are better; a percentage changes by "
        "percentage points (pt).</p>"
    )
    return table(head, body) + note


def change_breakdown(
    document: dict[str, Any], name: str, rows: list[dict[str, Any]], numbers: Numbers
) -> list[str]:
    """ROI and revenue in both windows by group, then a small table per main figure: each
    group's baseline, current and change."""
    dims = breakdown_dims(name)
    windows = {
        w: _by_key(document[w]["breakdowns"].get(name, []), dims) for w in ("baseline", "current")
    }
    keyed = [(tuple(str(r[d]) for d in dims), r) for r in rows]
    charts = [two_window_bars(f, name, dims, keyed, windows, numbers) for f in ("roi", "revenue")]
    tables = []
    for n in CHANGE_COLUMNS:
        head = [cell(d, tag="th") for d in dims]
        head += [cell(h, "num", "th") for h in ("Baseline", "Current", "Change")]
        body = [
            [
                *(key_cell(k) for k in key),
                figure_cell(n, windows["baseline"].get(key, {}).get(n), numbers),
                figure_cell(n, windows["current"].get(key, {}).get(n), numbers),
                change_cell(n, row[n], numbers),
            ]
            for key, row in keyed
        ]
        tables.append(f"<div><h3>{esc(figure(n).label)}</h3>{table(head, body)}</div>")
    return [
        f'<div class="charts">{"".join(charts)}</div>',
        f'<div class="charts">{"".join(tables)}</div>',
    ]


def _by_key(
    rows: Sequence[dict[str, Any]], dims: Sequence[str]
) -> dict[tuple[str, ...], dict[str, Any]]:
    return {tuple(str(r[d]) for d in dims): r for r in rows}


def two_window_bars(
    name: str,
    breakdown_name: str,
    dims: Sequence[str],
    keyed: Sequence[tuple[tuple[str, ...], dict[str, Any]]],
    windows: dict[str, dict[tuple[str, ...], dict[str, Any]]],
    numbers: Numbers,
) -> str:
    """A figure in the baseline and the current window by group, by its current value."""
    keys = [k for k, _ in keyed if UNATTRIBUTED not in k or name != "roi"]
    value = {w: {k: windows[w].get(k, {}).get(name) for k in keys} for w in windows}
    now = value["current"]
    keys.sort(key=lambda k: (now[k] is None, -(now[k] or 0)))
    keys, note = ends(keys)
    series = [
        svg.Series(w.capitalize(), [value[w][k] for k in keys], w) for w in ("baseline", "current")
    ]
    declared = figure(name)
    shown = numbers.percent if declared.shown is PERCENT else numbers.money
    tick = numbers.percent_tick if declared.shown is PERCENT else numbers.money
    caption = f"{declared.label} by {breakdown_name}, baseline and current"
    drawing = svg.bar_chart(caption, [" / ".join(k) for k in keys], series, shown, tick)
    return chart(caption + f", by current {in_sentence(name)}", drawing, note)

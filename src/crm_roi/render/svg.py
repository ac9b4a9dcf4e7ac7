"""Charts as inline SVG, written by hand: bars by group, a trend over periods, lines by age.

A chart takes plain numbers, and functions that show a number as people read it (the page's
locale); every piece of text is escaped here, since group names come from the inputs. A chart
refers to nothing outside itself (no fonts, images or scripts): it lives inside the page, which
styles it through the class names below (``bar revenue``, ``line roi``, ``grid``, …).

Text is measured by an estimate (:func:`text_width`): labels get the room they need, and a
label longer than its column is shortened with ``…`` and shown whole as the bar's tooltip.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from crm_roi.render.safe import html_text

FONT = 12  # px, the charts' text
CHAR = 0.62  # a glyph's average width as a share of the font size (DejaVu or Liberation Sans)
LABEL_MAX = 220  # px: the widest the group labels of a bar chart get
# Line colours for many series (cohorts): distinct hues, then the same hues dashed.
# Tableau's ten, made to be told apart.
PALETTE = (
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
    "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac",
)  # fmt: skip

Shown = Callable[[float], str]  # a number as people read it: "€1.2M", "215.8%"


@dataclass(frozen=True)
class Series:
    """One row of values of a chart, its name (for the legend) and its class (for colours);
    ``signed`` bars are coloured by their sign (``pos`` or ``neg``) rather than by ``css``."""

    name: str
    values: Sequence[float | None]
    css: str
    signed: bool = False


def text_width(text: str, size: float = FONT) -> float:
    """The width a text takes, estimated.

    >>> text_width("Revenue")
    52.08
    """
    return round(len(text) * size * CHAR, 2)


def fit(text: str, room: float, size: float = FONT) -> str:
    """The text, shortened with ``…`` to fit in ``room`` pixels.

    >>> fit("Paid Search", 200), fit("A very long campaign name", 100)
    ('Paid Search', 'A very long…')
    """
    most = max(1, int(room / (size * CHAR)))
    return text if len(text) <= most else text[: most - 1].rstrip() + "…"


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round values from at or below ``low`` to at or above ``high``, about ``count`` steps.

    >>> nice_ticks(-0.5, 2.3)
    [-1.0, 0.0, 1.0, 2.0, 3.0]
    >>> nice_ticks(0, 1967717.69)
    [0.0, 500000.0, 1000000.0, 1500000.0, 2000000.0]
    """
    if high <= low:
        high = low + (abs(low) or 1.0)
    rough = (high - low) / count
    power = 10.0 ** math.floor(math.log10(rough))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= rough)
    first, last = math.floor(low / step), math.ceil(high / step)
    return [round(i * step, 10) + 0.0 for i in range(first, last + 1)]


@dataclass(frozen=True)
class Scale:
    """Values from ``low`` to ``high`` onto pixels from ``start`` to ``end``."""

    low: float
    high: float
    start: float
    end: float

    def __call__(self, value: float) -> float:
        share = (value - self.low) / ((self.high - self.low) or 1.0)
        return self.start + share * (self.end - self.start)


def _n(value: float) -> str:
    return f"{value:.1f}"


def _text(
    x: float, y: float, text: str, css: str = "", anchor: str = "start", extra: str = ""
) -> str:
    cls = f' class="{css}"' if css else ""
    return (
        f'<text x="{_n(x)}" y="{_n(y)}" text-anchor="{anchor}"{cls}{extra}>{html_text(text)}</text>'
    )


def _svg(width: float, height: float, label: str, body: list[str]) -> str:
    return (
        f'<svg class="chart" role="img" '
        f'width="{_n(width)}" height="{_n(height)}" viewBox="0 0 {_n(width)} {_n(height)}" '
        f'aria-label="{html_text(label)}">' + "".join(body) + "</svg>"
    )


def _legend(series: Sequence[Series], x: float, y: float) -> list[str]:
    out = []
    for s in series:
        css = "pos" if s.signed else s.css
        out.append(f'<rect x="{_n(x)}" y="{_n(y - 9)}" width="10" height="10" class="bar {css}"/>')
        out.append(_text(x + 14, y, s.name, "legend"))
        x += 14 + text_width(s.name) + 18
    return out


def _present(series: Sequence[Series]) -> list[float]:
    return [v for s in series for v in s.values if v is not None]


# --- bars by group ---------------------------------------------------------------------------
def bar_chart(
    title: str, labels: Sequence[str], series: Sequence[Series], shown: Shown, tick: Shown,
    width: float = 600,
) -> str:  # fmt: skip
    """Horizontal bars, one group a row in the order given (sort before), one bar per series,
    the value written at the bar's end; negative values run left of the zero line."""
    values = _present(series) or [0.0]
    low, high = min(0.0, *values), max(0.0, *values)
    high = high if high > low else low + 1.0
    # The bars span the values (the longest bar the whole width); the ticks are those inside.
    ticks = [t for t in nice_ticks(low, high, 4) if low <= t <= high]
    label_w = min(LABEL_MAX, max(text_width(label) for label in labels) + 10) if labels else 0
    value_w = max(text_width(shown(v)) for v in values) + 8
    left = label_w + (value_w if low < 0 else 6)
    scale = Scale(low, high, left, width - value_w)
    bar_h = 16 if len(series) == 1 else 14
    row_h = bar_h * len(series) + 8
    top = 22 + (18 if len(series) > 1 else 0)
    height = top + row_h * len(labels) + 6
    body = _legend(series, left, 14) if len(series) > 1 else []
    body += _grid_x(ticks, scale, top, height - 4, tick)
    for i, label in enumerate(labels):
        y = top + i * row_h + 4
        body.append(_text(label_w - 6, y + row_h / 2, fit(label, label_w - 10), "label", "end"))
        for k, s in enumerate(series):
            body.append(_bar(scale, s, i, y + k * bar_h, bar_h - 2, f"{label} · {s.name}", shown))
    return _svg(width, height, title, body)


def _grid_x(
    ticks: Sequence[float], scale: Scale, top: float, bottom: float, tick: Shown
) -> list[str]:
    out = []
    for t in ticks:
        x = scale(t)
        css = "zero" if t == 0 else "grid"
        out.append(
            f'<line x1="{_n(x)}" y1="{_n(top)}" x2="{_n(x)}" y2="{_n(bottom)}" class="{css}"/>'
        )
        out.append(_text(x, top - 6, tick(t), "tick", "middle"))
    return out


def _bar(scale: Scale, s: Series, i: int, y: float, h: float, name: str, shown: Shown) -> str:
    value = s.values[i]
    zero = scale(0.0)
    if value is None:
        return _text(zero + 4, y + h - 2, "–", "value")
    x = scale(value)
    css = ("pos" if value >= 0 else "neg") if s.signed else s.css
    text = shown(value)
    at, anchor = (x + 4, "start") if value >= 0 else (x - 4, "end")
    return (
        f'<rect x="{_n(min(x, zero))}" y="{_n(y)}" width="{_n(max(abs(x - zero), 1))}" '
        f'height="{_n(h)}" class="bar {css}"><title>{html_text(f"{name}: {text}")}</title></rect>'
        + _text(at, y + h - 2, text, "value", anchor)
    )


# --- a trend over periods ----------------------------------------------------------------------
@dataclass(frozen=True)
class Axis:
    """The periods along the bottom: each one's label (``Jan``) and its year, shown where the
    year changes (``2023``)."""

    labels: Sequence[str]
    years: Sequence[str]


def trend_chart(
    title: str, axis: Axis, bars: Sequence[Series], line: Series, money: Shown, percent: Shown,
    width: float = 1200,
) -> str:  # fmt: skip
    """Columns (revenue and cost) over the periods, and below them, on the same periods, the
    line of a ratio (ROI) with its zero line: two panels, one axis of periods."""
    money_ticks = nice_ticks(
        min(0.0, *(_present(bars) or [0.0])), max(0.0, *_present(bars) or [0.0])
    )
    line_values = [v for v in line.values if v is not None] or [0.0]
    line_ticks = nice_ticks(min(0.0, *line_values), max(0.0, *line_values), 4)
    left = max(text_width(t) for t in [*map(money, money_ticks), *map(percent, line_ticks)]) + 14
    slot = (width - left - 10) / max(1, len(axis.labels))
    upper = Scale(money_ticks[0], money_ticks[-1], 232, 32)
    lower = Scale(line_ticks[0], line_ticks[-1], 392, 272)
    body = _legend(bars, left, 16)
    body.append(_text(left, 262, line.name, "legend"))
    body += _grid_y(money_ticks, upper, left, width - 10, money)
    body += _grid_y(line_ticks, lower, left, width - 10, percent)
    for i, label in enumerate(axis.labels):
        centre = left + slot * (i + 0.5)
        w = min(slot * 0.38, 24)
        for k, s in enumerate(bars):
            value = s.values[i]
            if value is not None:
                x = centre - w - 1 + k * (w + 2)
                tip = f"{label} {axis.years[i]} · {s.name}: {money(value)}".strip()
                body.append(_column(x, w, upper(value), upper(0.0), s.css, tip))
    body += _line(line, lower, left, slot, axis, percent)
    body += _period_labels(axis, left, slot, 410)
    return _svg(width, 452, title, body)


def _grid_y(
    ticks: Sequence[float], scale: Scale, left: float, right: float, tick: Shown
) -> list[str]:
    out = []
    for t in ticks:
        y = scale(t)
        css = "zero" if t == 0 else "grid"
        out.append(
            f'<line x1="{_n(left)}" y1="{_n(y)}" x2="{_n(right)}" y2="{_n(y)}" class="{css}"/>'
        )
        out.append(_text(left - 6, y + 4, tick(t), "tick", "end"))
    return out


def _column(x: float, w: float, y: float, zero: float, css: str, tip: str) -> str:
    return (
        f'<rect x="{_n(x)}" y="{_n(min(y, zero))}" width="{_n(w)}" '
        f'height="{_n(max(abs(zero - y), 1))}" class="bar {css}">'
        f"<title>{html_text(tip)}</title></rect>"
    )


def _line(
    line: Series, scale: Scale, left: float, slot: float, axis: Axis, shown: Shown
) -> list[str]:
    """The ratio as a polyline, broken where a period has no value, a dot on each value."""
    out: list[str] = []
    run: list[str] = []
    for i, value in enumerate([*line.values, None]):
        if value is None:
            if len(run) > 1:
                out.append(f'<polyline points="{" ".join(run)}" class="line {line.css}"/>')
            run = []
            continue
        x, y = left + slot * (i + 0.5), scale(value)
        run.append(f"{_n(x)},{_n(y)}")
        tip = f"{axis.labels[i]} {axis.years[i]} · {line.name}: {shown(value)}"
        css = "pos" if value >= 0 else "neg"
        out.append(
            f'<circle cx="{_n(x)}" cy="{_n(y)}" r="3.5" class="dot {css}">'
            f"<title>{html_text(tip)}</title></circle>"
        )
    return out


def _period_labels(axis: Axis, left: float, slot: float, y: float) -> list[str]:
    """Every period's label: level when it fits its slot, else turned upright; the year under
    the first period of each year."""
    widest = max((text_width(label) for label in axis.labels), default=0)
    upright = widest > slot - 4
    out = []
    for i, label in enumerate(axis.labels):
        centre = left + slot * (i + 0.5)
        if upright:
            turn = f' transform="rotate(-90 {_n(centre + 4)} {_n(y - 6)})"'
            out.append(_text(centre + 4, y - 6, fit(label, 40), "tick", "end", turn))
        else:
            out.append(_text(centre, y + 2, label, "tick", "middle"))
        if axis.years[i] and (i == 0 or axis.years[i] != axis.years[i - 1]):
            x = left + slot * i
            out.append(
                f'<line x1="{_n(x)}" y1="{_n(y + 8)}" x2="{_n(x)}" y2="{_n(y + 26)}" class="grid"/>'
            )
            out.append(_text(x + 4, y + 24, axis.years[i], "year"))
    return out


# --- lines by age ------------------------------------------------------------------------------
def line_chart(
    title: str, ages: Sequence[str], series: Sequence[Series], money: Shown, x_title: str,
    width: float = 1200,
) -> str:  # fmt: skip
    """A line per series (a cohort) over the ages, in the palette's colours (dashed after the
    tenth), with a legend of the series below."""
    values = _present(series) or [0.0]
    ticks = nice_ticks(min(0.0, *values), max(values))
    left = max(text_width(money(t)) for t in ticks) + 14
    slot = (width - left - 10) / max(1, len(ages))
    scale = Scale(ticks[0], ticks[-1], 282, 20)
    body = _grid_y(ticks, scale, left, width - 10, money)
    for i, age in enumerate(ages):
        body.append(_text(left + slot * (i + 0.5), 300, age, "tick", "middle"))
    body.append(_text(left + (width - left) / 2, 320, x_title, "legend", "middle"))
    for n, s in enumerate(series):
        colour = PALETTE[n % len(PALETTE)]
        dash = ' stroke-dasharray="6 3"' if n >= len(PALETTE) else ""
        points = [
            f"{_n(left + slot * (i + 0.5))},{_n(scale(v))}"
            for i, v in enumerate(s.values)
            if v is not None
        ]
        tip = f"<title>{html_text(s.name)}</title>"
        if len(points) > 1:
            body.append(
                f'<polyline points="{" ".join(points)}" class="line" stroke="{colour}"{dash}>'
                f"{tip}</polyline>"
            )
        for point in points:
            x, y = point.split(",")
            body.append(f'<circle cx="{x}" cy="{y}" r="2.5" fill="{colour}">{tip}</circle>')
    legend, height = _key(series, left, width, 340)
    return _svg(width, height, title, body + legend)


def _key(
    series: Sequence[Series], left: float, width: float, top: float
) -> tuple[list[str], float]:
    """A legend of line swatches in as many columns as fit; the chart's height below it."""
    item = max((text_width(s.name) for s in series), default=0) + 40
    per_row = max(1, int((width - left) // item))
    out = []
    for n, s in enumerate(series):
        x = left + (n % per_row) * item
        y = top + (n // per_row) * 18 + 10
        colour = PALETTE[n % len(PALETTE)]
        dash = ' stroke-dasharray="6 3"' if n >= len(PALETTE) else ""
        out.append(
            f'<line x1="{_n(x)}" y1="{_n(y - 4)}" x2="{_n(x + 22)}" y2="{_n(y - 4)}" '
            f'stroke="{colour}" stroke-width="2.5"{dash}/>'
        )
        out.append(_text(x + 28, y, s.name, "legend"))
    rows = math.ceil(len(series) / per_row)
    return out, top + rows * 18 + 12

"""Numbers, money and dates as a reader's locale writes them, for every format people read:
the terminal table, Markdown, the workbook's number formats, HTML. JSON and CSV never use it.

A locale is a name babel knows (``nl_NL``, ``de_DE``, ``en_GB``, ``en_US``, ``de``) or
:data:`PLAIN`, the default when the environment names none (``LANG=C``): dates as ISO 8601
(``2024-03-09``), the decimal point, commas between thousands and the currency symbol
before the amount (``€1,234.56``, ``-€82,109``) — what crm-roi showed before it had locales.

Dates are the locale's short date with the day and month in two digits and the year in four,
so that a column of them lines up and no year is cut to ``24``::

    nl_NL 09-03-2024   de_DE 09.03.2024   en_GB 09/03/2024   en_US 03/09/2024   plain 2024-03-09

The command line checks the name (``cli/values.py``); here it is taken as given.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from functools import cache
from typing import Any, Literal

from babel import Locale
from babel.dates import format_date
from babel.numbers import format_currency, format_decimal, format_percent, get_currency_symbol

from crm_roi.engine.figures import COUNT, MONEY, PERCENT, TIMES, figure

PLAIN = "plain"
PLAIN_NUMBERS = "en_US"  # PLAIN's digits: the decimal point, commas between thousands
MISSING = "–"  # a figure with no value (null in the JSON)
# Figures shown with their unit ("7.2 months"), and the digits they get.
WITH_UNIT = {"payback_months": "0.0", "sales_cycle_days": "0.#", "days_to_convert": "0.#"}


def number_locale(locale: str) -> str:
    """The babel locale that writes ``locale``'s numbers.

    >>> number_locale("plain"), number_locale("nl_NL")
    ('en_US', 'nl_NL')
    """
    return PLAIN_NUMBERS if locale == PLAIN else locale


# --- text ---------------------------------------------------------------------------------------


def money_text(value: Any, currency: str | None, locale: str, cents: bool = True) -> str:
    """An amount in the locale, with its currency where there is one.

    >>> money_text(1234.5, "EUR", "nl_NL"), money_text(-1234.5, "EUR", "de_DE")
    ('€\\xa01.234,50', '-1.234,50\\xa0€')
    >>> money_text(82109.46, "EUR", "plain", cents=False), money_text(2.5, None, "en_GB")
    ('€82,109', '2.50')
    """
    amount, babel = Decimal(str(value)), number_locale(locale)
    if not currency:
        return format_decimal(amount, format="#,##0.00" if cents else "#,##0", locale=babel)
    return format_currency(
        amount, currency, _money_pattern(babel, cents), locale=babel, currency_digits=False
    )


def figure_text(
    name: str, value: Any, currency: str | None, locale: str, cents: bool = True
) -> str:
    """A figure of ``engine/figures.py`` as people read it in ``locale``: money with its
    currency, a percentage with one decimal, a multiple with ``×``, days and months with their
    unit; :data:`MISSING` for no value.

    >>> figure_text("roi", 2.158, "EUR", "de_DE"), figure_text("ltv_cac", 10.31, None, "nl_NL")
    ('215,8\\xa0%', '10,3×')
    >>> figure_text("payback_months", 7.21, None, "en_US"), figure_text("cac", None, "EUR", "plain")
    ('7.2 months', '–')
    """
    if value is None:
        return MISSING
    declared, babel = figure(name), number_locale(locale)
    if declared.kind is MONEY:
        return money_text(value, currency, locale, cents)
    if declared.shown is PERCENT:
        return format_percent(value, format=_percent_pattern(babel), locale=babel)
    if declared.shown is TIMES:
        return format_decimal(value, format="0.0", locale=babel) + "×"
    if name in WITH_UNIT:
        return f"{format_decimal(value, format=WITH_UNIT[name], locale=babel)} {declared.unit}"
    return format_decimal(value, locale=babel)


def number_text(value: Any, locale: str, pattern: str | None = None) -> str:
    """A plain number (a count, a share) in the locale, by a CLDR ``pattern`` if given.

    >>> number_text(1234567, "nl_NL"), number_text(8.25, "de_DE", "#,##0.0")
    ('1.234.567', '8,2')
    """
    return format_decimal(value, format=pattern, locale=number_locale(locale))


def percent_text(value: Any, locale: str, decimals: int = 1, sign: bool = False) -> str:
    """A ratio as a percentage in the locale (0.27 → 27 %), with ``+`` before a rise if ``sign``.

    >>> percent_text(0.2734, "de_DE", 0, sign=True), percent_text(-0.05, "plain", 0, sign=True)
    ('+27\xa0%', '-5%')
    """
    babel = number_locale(locale)
    return format_percent(value, format=_percent_pattern(babel, decimals, sign), locale=babel)


def day_text(day: dt.date | str, locale: str) -> str:
    """A day (a date or ISO text) as the locale writes it.

    >>> [day_text("2024-03-09", name) for name in ("nl_NL", "en_US", "de_DE", "plain")]
    ['09-03-2024', '03/09/2024', '09.03.2024', '2024-03-09']
    """
    if isinstance(day, str):
        day = dt.date.fromisoformat(day)
    if locale == PLAIN:
        return day.isoformat()
    return format_date(day, format=date_pattern(locale), locale=locale)


def span_text(start: dt.date | str, end: dt.date | str, locale: str) -> str:
    """A window, first and last day: ``01-01-2023 → 31-12-2024``."""
    return f"{day_text(start, locale)} → {day_text(end, locale)}"


# --- patterns -----------------------------------------------------------------------------------


@cache
def date_pattern(locale: str) -> str:
    """The locale's short date (CLDR) with two-digit day and month and the full year.

    >>> date_pattern("en_US"), date_pattern("de_DE"), date_pattern("plain")
    ('MM/dd/y', 'dd.MM.y', 'y-MM-dd')
    """
    if locale == PLAIN:
        return "y-MM-dd"
    short = Locale.parse(locale).date_formats["short"].pattern
    return _runs(short, {"y": "y", "M": "MM", "d": "dd"})


def _runs(pattern: str, wanted: dict[str, str]) -> str:
    """``pattern`` with each run of a letter in ``wanted`` replaced, quoted text left alone."""
    parts = re.split(r"('[^']*')", pattern)
    return "".join(
        part
        if part.startswith("'")
        else re.sub(r"([yMd])\1*", lambda m: wanted.get(m.group(1), m.group()), part)
        for part in parts
    )


@cache
def _money_pattern(babel: str, cents: bool) -> str:
    standard = str(Locale.parse(babel).currency_formats["standard"].pattern)
    return standard if cents else standard.replace(".00", "")


@cache
def _percent_pattern(babel: str, decimals: int = 1, sign: bool = False) -> str:
    """The locale's percent pattern with ``decimals``, and a ``+`` before a rise if ``sign``:
    ``#,##0.0 %`` in German."""
    percent = Locale.parse(babel).percent_formats[None].pattern.split(";")[0]
    places = "0." + "0" * decimals if decimals else "0"
    shown = re.sub(r"0(?=[^0-9]*$)", places, percent)
    return f"+{shown};-{shown}" if sign else shown


# --- the workbook -------------------------------------------------------------------------------
NumberKind = Literal[
    "money", "whole_money", "integer", "decimal", "percent", "times", "date", "month"
]
NUMBER_KINDS: tuple[NumberKind, ...] = (
    "money", "whole_money", "integer", "decimal", "percent", "times", "date", "month",
)  # fmt: skip


def locale_number_format(locale: str, kind: NumberKind, currency: str | None = None) -> str:
    """An Excel number format for a cell of ``kind``, in ``locale``.

    A workbook stores format codes with ``,`` for thousands and ``.`` for decimals whatever
    the locale, and Excel and LibreOffice show those marks as the reader's own settings say:
    so the locale decides what a code can carry — where the currency symbol goes and what it
    is, the order of day, month and year — and the reader's program the marks.

    >>> locale_number_format("nl_NL", "money", "EUR")
    '"€ "#,##0.00;"€ "-#,##0.00'
    >>> locale_number_format("de_DE", "whole_money", "EUR"), locale_number_format("de_DE", "date")
    ('#,##0" €"', 'dd.mm.yyyy')
    >>> locale_number_format("en_US", "money"), locale_number_format("plain", "date")
    ('#,##0.00', 'yyyy-mm-dd')
    >>> locale_number_format("nl_NL", "month"), locale_number_format("de_DE", "percent")
    ('mmm yyyy', '0.0" "%')
    """
    babel = number_locale(locale)
    if kind in ("money", "whole_money"):
        cents = kind == "money"
        if not currency:
            return "#,##0.00" if cents else "#,##0"
        symbol = get_currency_symbol(currency, babel)
        return _excel_number(_money_pattern(babel, cents), symbol)
    if kind == "percent":
        return _excel_number(_percent_pattern(babel).replace("#,##", ""), "")
    if kind == "date":
        return _excel_date(date_pattern(locale))
    if kind == "month":
        if locale == PLAIN:
            return "yyyy-mm"
        return _excel_date(Locale.parse(locale).datetime_skeletons["yMMM"].pattern)
    return {"integer": "#,##0", "decimal": "#,##0.00", "times": '0.0"×"'}[kind]


def figure_number_format(
    name: str, locale: str, currency: str | None = None, cents: bool = True
) -> str:
    """The Excel number format of a figure of ``engine/figures.py``.

    >>> figure_number_format("cac", "nl_NL", "EUR", cents=False)
    '"€ "#,##0;"€ "-#,##0'
    >>> figure_number_format("roi", "en_US"), figure_number_format("payback_months", "de_DE")
    ('0.0%', '0.0" months"')
    """
    declared = figure(name)
    if declared.kind is MONEY:
        return locale_number_format(locale, "money" if cents else "whole_money", currency)
    if declared.shown is PERCENT:
        return locale_number_format(locale, "percent")
    if declared.shown is TIMES:
        return locale_number_format(locale, "times")
    if name in WITH_UNIT:
        return f'{WITH_UNIT[name].replace("#", "0")}" {declared.unit}"'
    return locale_number_format(locale, "integer" if declared.kind is COUNT else "decimal")


NUMBER_SIGNS = set("#0,.%-")


def _excel_number(pattern: str, symbol: str) -> str:
    """A CLDR number pattern as an Excel code: ``¤`` becomes ``symbol``; every character Excel
    would read as a code (letters, spaces, the currency sign) is quoted."""
    out, literal = [], ""
    for char in pattern:
        if char in NUMBER_SIGNS or char == ";":
            if literal:
                out.append(f'"{literal}"')
                literal = ""
            out.append(char)
        else:
            literal += symbol if char == "¤" else " " if char == "\xa0" else char
    if literal:
        out.append(f'"{literal}"')
    return "".join(out)


EXCEL_DATE = {"y": "yyyy", "M": "mm", "MMM": "mmm", "MMMM": "mmmm", "L": "mm", "LLL": "mmm"}


def _excel_date(pattern: str) -> str:
    """A CLDR date pattern as an Excel code: ``dd-MM-y`` → ``dd-mm-yyyy``; other text quoted."""
    out = []
    for match in re.finditer(r"'([^']*)'|(([yMLd])\3*)|([-/. ,])|(.)", pattern):
        quoted, run, _, sep, other = match.groups()
        if run:
            out.append(EXCEL_DATE.get(run, EXCEL_DATE.get(run[0], run)) if run[0] != "d" else run)
        elif sep:
            out.append(sep)
        else:
            text = quoted if quoted is not None else other
            out.append(f'"{text}"' if text.strip() else " ")
    return "".join(out)

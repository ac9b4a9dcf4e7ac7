"""Money, numbers and dates: every documented form, the column decisions, and round trips."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from crm_roi.inputs.parse import (
    _BLANKS,
    _PLAIN_RE,
    _all_plain,
    clean_text,
    decide_order,
    parse_dates,
    parse_money,
    parse_number,
)


def money(*values: str, hint: str | None = None) -> list[int | None]:
    return parse_money(pa.array(list(values), pa.string()), hint).values.to_pylist()


def dates(*values: str, preferred: str | None = None, hint: str | None = None) -> list:
    return parse_dates(pa.array(list(values), pa.string()), preferred, hint).values.to_pylist()


# --- money ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "cents", "currency"),
    [
        ("1234.56", 123456, None),
        ("1,234.56", 123456, None),
        ("1.234,56", 123456, None),
        ("€ 1.234,56", 123456, "EUR"),
        ("$1,234", 123400, "USD"),
        ("1234.56 EUR", 123456, "EUR"),
        ("(1,234.00)", -123400, None),
        ("-5", -500, None),
        ("£12.5", 1250, "GBP"),
        ("EUR1.234.567,89", 123456789, "EUR"),
        ("1 234,56", 123456, None),
        ("1'234.56", 123456, None),  # Swiss
        ("−7,25", -725, None),  # a real minus sign, as Numbers writes it
        ("-€ 1.234,56", -123456, "EUR"),
        ("€ -1.234,56", -123456, "EUR"),
        ("(€ 1.234,56)", -123456, "EUR"),
    ],
)
def test_money_in_every_documented_form_is_read_to_the_cent(
    text: str, cents: int, currency: str | None
) -> None:
    parsed = parse_money(pa.array([text]))
    assert parsed.values.to_pylist() == [cents]
    assert parsed.currency is not None
    assert parsed.currency.to_pylist() == [currency]
    assert not parsed.invalid.any()


@pytest.mark.parametrize(
    "text",
    ["€\u00a01.234,56", "1.234,56\u00a0€", "1\u202f234,56\u202fEUR", "\u00a0€ 1.234,56\u00a0"],
    ids=["nbsp after symbol", "nbsp before symbol", "narrow nbsp", "nbsp around"],
)
def test_money_with_non_breaking_spaces_around_the_symbol_is_read(text: str) -> None:
    # What Intl.NumberFormat and Excel's nl/de/fr currency formats write.
    parsed = parse_money(pa.array([text]))
    assert parsed.values.to_pylist() == [123456]
    assert parsed.currency is not None and parsed.currency.to_pylist() == ["EUR"]


@pytest.mark.parametrize(
    "text",
    ["abc", "1.2.3,4,5", "12,34,56", "$€5", "€5 USD", "((5))", "(5", "--5", "- (5)", "5-", "1e3"],
)
def test_text_that_is_no_amount_is_invalid_and_null(text: str) -> None:
    parsed = parse_money(pa.array(["10.00", text]))
    assert parsed.values.to_pylist() == [1000, None]
    assert parsed.invalid.tolist() == [False, True]
    assert parsed.reason == "is not an amount"


def test_empty_cells_are_null_not_invalid() -> None:
    parsed = parse_money(pa.array(["", "   ", "5"]))
    assert parsed.values.to_pylist() == [None, None, 500]
    assert parsed.invalid.tolist() == [False, False, False]


def test_decimal_style_is_decided_by_the_values_that_read_one_way() -> None:
    # "12,5" can only be a decimal comma; so "1.234" in that column is one thousand and more.
    parsed = parse_money(pa.array(["12,5", "1.234", "7"]))
    assert parsed.decimal == ","
    assert parsed.values.to_pylist() == [1250, 123400, 700]
    assert parsed.notes == []
    parsed = parse_money(pa.array(["12.5", "1,234", "7"]))
    assert parsed.decimal == "."
    assert parsed.values.to_pylist() == [1250, 123400, 700]


def test_column_of_only_ambiguous_values_follows_the_file_locale_and_says_so() -> None:
    comma = parse_money(pa.array(["1.234", "12.500"]), hint=",")
    assert comma.decimal == ","
    assert comma.values.to_pylist() == [123400, 1250000]
    assert (
        comma.notes
        and "read as 1.234 = 1234 (decimal comma) by the file's locale" in (comma.notes[0])
    )
    point = parse_money(pa.array(["1.234", "12.500"]))
    assert point.decimal == "."
    assert point.values.to_pylist() == [123, 1250]  # 1.234 rounds to 1.23
    assert "the default" in point.notes[0]


def test_more_than_two_decimals_round_half_up_and_are_flagged() -> None:
    parsed = parse_money(pa.array(["1.005", "2.0049", "3.10", "0.125"]), hint=".")
    assert parsed.values.to_pylist() == [101, 200, 310, 13]
    assert parsed.rounded is not None
    assert parsed.rounded.tolist() == [True, True, False, True]


def test_amount_beyond_thirteen_integer_digits_is_invalid_not_overflowed() -> None:
    parsed = parse_money(pa.array(["9999999999999.99", "10000000000000.00"]))
    assert parsed.values.to_pylist() == [999999999999999, None]
    assert parsed.invalid.tolist() == [False, True]


def test_symbol_and_code_that_disagree_are_invalid() -> None:
    parsed = parse_money(pa.array(["€ 5 EUR", "$ 5 EUR"]))
    assert parsed.values.to_pylist() == [500, None]


def _write(cents: int, style: str, thousands: bool, symbol: str, negative: str) -> str:
    """Amount text as a CRM or spreadsheet in that locale writes it."""
    units, frac = divmod(abs(cents), 100)
    whole = f"{units:,}" if thousands else str(units)
    if style == ",":
        whole = whole.replace(",", ".")
    number = f"{whole}{style}{frac:02d}"
    if symbol == "€ prefix":
        number = f"€ {number}"
    elif symbol == "$ prefix":
        number = f"${number}"
    elif symbol == "code suffix":
        number = f"{number} EUR"
    if cents < 0:
        number = f"({number})" if negative == "parentheses" else f"-{number}"
    return number


money_styles = st.tuples(
    st.integers(min_value=-(10**15) + 1, max_value=10**15 - 1),
    st.sampled_from([".", ","]),
    st.booleans(),
    st.sampled_from(["none", "€ prefix", "$ prefix", "code suffix"]),
    st.sampled_from(["minus", "parentheses"]),
)


@given(money_styles)
@example((123456, ",", True, "€ prefix", "minus"))  # € 1.234,56
@example((-123400, ".", True, "none", "parentheses"))  # (1,234.00)
@example((100000, ".", True, "$ prefix", "minus"))  # $1,000.00
def test_money_text_in_either_style_parses_back_to_the_same_cents(
    case: tuple[int, str, bool, str, str],
) -> None:
    cents, style, thousands, symbol, negative = case
    text = _write(cents, style, thousands, symbol, negative)
    parsed = parse_money(pa.array([text]))
    assert parsed.values.to_pylist() == [cents], text
    expected = {"none": None, "€ prefix": "EUR", "$ prefix": "USD", "code suffix": "EUR"}[symbol]
    assert parsed.currency is not None and parsed.currency.to_pylist() == [expected]


@given(
    st.lists(st.integers(min_value=0, max_value=10**11), min_size=1, max_size=30),
    st.sampled_from([".", ","]),
)
def test_whole_amounts_without_decimals_follow_the_file_locale(
    units: list[int], style: str
) -> None:
    # "1.234" and "1,234" read both ways: a column of whole amounts written with thousands
    # separators is read by the locale the file is written in.
    texts = [f"{u:,}".replace(",", "." if style == "," else ",") for u in units]
    assert money(*texts, hint=style) == [u * 100 for u in units]


@given(
    st.lists(st.integers(min_value=-(10**13), max_value=10**13), min_size=1, max_size=40),
    st.sampled_from([".", ","]),
)
def test_a_column_written_in_one_style_parses_back_to_the_same_cents(
    cents: list[int], style: str
) -> None:
    texts = [_write(c, style, True, "none", "minus") for c in cents]
    parsed = parse_money(pa.array(texts))
    assert parsed.values.to_pylist() == cents
    assert not parsed.invalid.any()


# --- the fast paths on Arrow's buffers agree with the plain definitions ------------------------

_CELLS = st.one_of(
    st.none(),
    st.text(alphabet="0123456789.-/ ,e+", max_size=7),
    st.sampled_from(["1", "-2", "12.5", "-0.25", "123.45", "9999999999999.99", "10000000000000"]),
    st.text(max_size=4),  # any character: spaces, no-break spaces, BOMs, accents
)


@given(st.lists(_CELLS, min_size=1, max_size=6), st.integers(0, 2))
@example(["1.5", None, "-3"], 0)
@example([".5"], 0)
@example(["5."], 0)
@example(["-.5"], 0)
@example(["1-2"], 0)
@example(["1.2.3"], 0)
def test_plain_number_check_is_the_regex(cells: list[str | None], cut: int) -> None:
    """_all_plain reads Arrow's buffers; it must say what the documented regex says, on
    sliced arrays and nulls too."""
    text = pa.array(cells, pa.string()).slice(min(cut, len(cells) - 1))
    matches = pc.match_substring_regex(text, _PLAIN_RE)
    expected = pc.all(matches, skip_nulls=True).as_py() is not False and text.null_count < len(text)
    assert _all_plain(text) == expected


@given(
    st.lists(st.one_of(st.none(), st.text(max_size=5)), min_size=1, max_size=6), st.integers(0, 2)
)
@example(["D-1", "D-2"], 0)
@example(["a", "\u00a0b"], 0)
@example(["a", "b\ufeff"], 1)
def test_clean_text_is_trim_then_null_for_empty(cells: list[str | None], cut: int) -> None:
    """clean_text skips the trim when no value can need it; the result is the same."""
    text = pa.array(cells, pa.string()).slice(min(cut, len(cells) - 1))
    expected = [
        None if v is None or not v.strip(_BLANKS) else v.strip(_BLANKS) for v in text.to_pylist()
    ]
    assert clean_text(text).to_pylist() == expected


# --- numbers ----------------------------------------------------------------------------------


def test_numbers_read_decimal_point_or_comma() -> None:
    assert parse_number(pa.array(["1,5", "2", "x", ""]), hint=",").values.to_pylist() == [
        1.5,
        2.0,
        None,
        None,
    ]
    parsed = parse_number(pa.array(["1.25", "0.5", "-3", "4,5 h"]))
    assert parsed.values.to_pylist() == [1.25, 0.5, -3.0, None]
    assert parsed.invalid.tolist() == [False, False, False, True]
    assert parsed.reason == "is not a number"


# --- dates ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-03-01", dt.date(2024, 3, 1)),
        ("2024-03-01T09:30:00Z", dt.date(2024, 3, 1)),
        ("2024-03-01 23:59:59.123", dt.date(2024, 3, 1)),
        ("2024-03-31T23:59:00+01:00", dt.date(2024, 3, 31)),
        ("2024/3/1", dt.date(2024, 3, 1)),
        ("20240301", dt.date(2024, 3, 1)),
        ("15-03-2024", dt.date(2024, 3, 15)),
        ("15/03/2024", dt.date(2024, 3, 15)),
        ("15.03.2024", dt.date(2024, 3, 15)),
        ("03/15/2024", dt.date(2024, 3, 15)),
        ("3/15/2024 4:05 PM", dt.date(2024, 3, 15)),
        ("15-3-24", dt.date(2024, 3, 15)),
        ("15-3-99", dt.date(1999, 3, 15)),
        ("45352", dt.date(2024, 3, 1)),  # Excel serial
        ("45352.75", dt.date(2024, 3, 1)),  # serial with a time of day
    ],
)
def test_dates_in_every_documented_form(text: str, expected: dt.date) -> None:
    assert dates(text) == [expected]


@pytest.mark.parametrize("text", ["2024-02-30", "2023-02-29", "31-04-2024", "2024-13-01", "soon"])
def test_impossible_dates_are_invalid(text: str) -> None:
    parsed = parse_dates(pa.array(["2024-02-29", text]))
    assert parsed.values.to_pylist() == [dt.date(2024, 2, 29), None]
    assert parsed.invalid.tolist() == [False, True]
    assert parsed.reason == "is not a date"


def test_first_part_over_twelve_settles_day_first_for_the_whole_column() -> None:
    parsed = parse_dates(pa.array(["03-04-2024", "13-04-2024"]))
    assert parsed.order == "DMY"
    assert parsed.values.to_pylist() == [dt.date(2024, 4, 3), dt.date(2024, 4, 13)]
    assert parsed.notes == []


def test_second_part_over_twelve_settles_month_first_for_the_whole_column() -> None:
    parsed = parse_dates(pa.array(["03/04/2024", "04/13/2024"]))
    assert parsed.order == "MDY"
    assert parsed.values.to_pylist() == [dt.date(2024, 3, 4), dt.date(2024, 4, 13)]


def test_ambiguous_column_follows_the_user_then_the_locale_then_the_separator() -> None:
    column = pa.array(["03/04/2024", "05/06/2024"])
    assert parse_dates(column, "DMY").values.to_pylist()[0] == dt.date(2024, 4, 3)
    assert parse_dates(column, "MDY").values.to_pylist()[0] == dt.date(2024, 3, 4)
    by_locale = parse_dates(column, None, "dayfirst")
    assert by_locale.values.to_pylist()[0] == dt.date(2024, 4, 3)
    assert "by the file's locale" in by_locale.notes[0]
    by_slash = parse_dates(column)
    assert by_slash.values.to_pylist()[0] == dt.date(2024, 3, 4)
    assert "by the separator '/'" in by_slash.notes[0]
    by_dash = parse_dates(pa.array(["03-04-2024"]))
    assert by_dash.values.to_pylist() == [dt.date(2024, 4, 3)]
    assert "by the separator '-'" in by_dash.notes[0]


def test_user_choice_does_not_override_a_column_that_settles_itself() -> None:
    # 13/04 can only be day-first, whatever --monthfirst says.
    assert parse_dates(pa.array(["13/04/2024"]), "MDY").values.to_pylist() == [dt.date(2024, 4, 13)]


def test_a_column_written_both_ways_is_read_by_the_majority_with_a_note() -> None:
    order, note = decide_order(
        first=np.array([13, 14, 1]),
        second=np.array([1, 2, 13]),
        preferred=None,
        hint=None,
        separator="/",
    )
    assert order == "DMY"
    assert note is not None and "both day-first and month-first" in note


def test_excel_serials_are_named_in_a_note() -> None:
    parsed = parse_dates(pa.array(["45292", "45351"]))
    assert parsed.values.to_pylist() == [dt.date(2024, 1, 1), dt.date(2024, 2, 29)]
    assert parsed.order == "serial"
    assert parsed.notes == ["numbers read as Excel date serials"]


EPOCH = dt.date(1899, 12, 30)
any_day = st.dates(min_value=dt.date(1900, 3, 1), max_value=dt.date(2199, 12, 31))


@given(any_day, st.sampled_from(["iso", "iso time", "dmy", "mdy", "compact", "serial"]))
def test_dates_round_trip_through_every_written_form(day: dt.date, form: str) -> None:
    text, preferred = {
        "iso": (day.isoformat(), None),
        "iso time": (f"{day.isoformat()}T12:34:56Z", None),
        "dmy": (day.strftime("%d-%m-%Y"), "DMY"),
        "mdy": (f"{day.month}/{day.day}/{day.year}", "MDY"),
        "compact": (day.strftime("%Y%m%d"), None),
        "serial": (str((day - EPOCH).days), None),
    }[form]
    assert dates(text, preferred=preferred) == [day], text


@given(st.lists(any_day, min_size=1, max_size=30), st.sampled_from(["DMY", "MDY"]))
def test_a_date_column_round_trips_in_the_order_it_was_written(
    days: list[dt.date], order: str
) -> None:
    fmt = "%d/%m/%Y" if order == "DMY" else "%m/%d/%Y"
    texts = [d.strftime(fmt) for d in days]
    # The user's order only decides a column whose values read both ways.
    assert dates(*texts, preferred=order) == days

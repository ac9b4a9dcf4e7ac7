"""Turn a column of text into money, numbers and dates: vectorised, exact, and explained.

Every function takes a whole column (a pyarrow string array) and returns the parsed column, a
mask of the values that could not be read, and what it decided about the column (decimal
style, date order). The work is done by Arrow's compute kernels, never a Python loop per
value, so a million-row column takes a fraction of a second.

Money comes back as integer cents: sums are then exact, with no binary-float drift.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

# ---------------------------------------------------------------------------------------------
# Numbers and money

_SYMBOLS = {"€": "EUR", "$": "USD", "£": "GBP", "¥": "JPY"}
# Spaces around a symbol may be non-breaking: "€\u00a01.234,56", "1.234,56\u00a0€".
_SP = r"[\s\x{00A0}\x{202F}]*"
_MONEY_RE = (
    rf"^(?P<open>\()?{_SP}(?P<sign>[-−])?{_SP}(?P<pre>[€$£¥]|[A-Z]{{3}})?{_SP}(?P<sign2>[-−])?"
    rf"{_SP}(?P<num>[0-9](?:[0-9.,' \x{{00A0}}\x{{202F}}]*[0-9])?){_SP}"
    rf"(?P<post>[€$£¥]|[A-Z]{{3}})?{_SP}(?P<close>\))?$"
)
# One separator followed by exactly three digits ("1.234", "12,500") reads both ways.
# A group separator never follows a lone leading zero: "0.500" and "0,500" are decimals.
_AMBIGUOUS_RE = r"^[1-9][0-9]{0,2}[.,][0-9]{3}$"
_DOT_STYLE_RE = r"^([0-9]+|[1-9][0-9]{0,2}(,[0-9]{3})+)(\.[0-9]+)?$"
_COMMA_STYLE_RE = r"^([0-9]+|[1-9][0-9]{0,2}(\.[0-9]{3})+)(,[0-9]+)?$"
_MAX_INTEGER_DIGITS = 13  # up to 9,999,999,999,999.99: sums of millions of rows stay in int64


@dataclass
class Parsed:
    """A parsed column: values (null where empty or invalid), and which values were invalid."""

    values: pa.Array
    invalid: np.ndarray  # bool per row: text was present but could not be read
    reason: str = ""  # the rule an invalid value broke, worded for the user
    notes: list[str] = field(default_factory=list)  # what was decided about the column
    decimal: str | None = None  # "." or "," when the column had a decimal style to decide
    rounded: np.ndarray | None = None  # bool per row: more than two decimals, rounded
    currency: pa.Array | None = None  # money only: currency found in the cell, or null
    order: str | None = None  # dates only: "DMY", "MDY" or "YMD"


# White space (as str.isspace has it), and the invisible zero-width space and byte-order
# mark: a BOM in the middle of a file (two exports glued together) must not stick to an id.
_BLANKS = "".join(chr(c) for c in range(0x3001) if chr(c).isspace()) + "\u200b\ufeff"


def clean_text(values: pa.Array) -> pa.Array:
    """Text with surrounding white space removed, and null where nothing is left.

    >>> clean_text(pa.array(["\\ufeffD-5 ", "\\u00a0", "a b"])).to_pylist()
    ['D-5', None, 'a b']
    """
    quick = _without_trimming(values)
    if quick is not None:
        return quick  # the usual case: nothing to trim, no copy
    trimmed = pc.utf8_trim(values, _BLANKS)
    empty = pc.equal(trimmed, "")
    if not pc.any(empty).as_py():
        return trimmed  # the usual case: no if_else pass, no copy
    return pc.if_else(empty, pa.scalar(None, pa.string()), trimmed)


def one_array(values: pa.ChunkedArray) -> pa.Array:
    """A column as one array: its one piece as it is (Arrow's ``combine_chunks`` copies even
    one piece), else its pieces joined."""
    return values.chunk(0) if values.num_chunks == 1 else values.combine_chunks()


def string_buffers(values: pa.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Where each value starts and ends in the bytes of a string array, and the bytes (no
    copy); None for an empty array or another type."""
    if values.type != pa.string() or not len(values):
        return None
    _, offset_buffer, data_buffer = values.buffers()
    if data_buffer is None:
        return None
    offsets = np.frombuffer(offset_buffer, np.int32, len(values) + 1, values.offset * 4)
    return offsets[:-1], offsets[1:], np.frombuffer(data_buffer, np.uint8)


def _without_trimming(values: pa.Array) -> pa.Array | None:
    """``values`` with empty strings made null, when no value starts or ends with a byte that
    may begin white space (a control character, a space, any non-ASCII byte: no-break spaces,
    BOMs); None when some value may need trimming.

    Read off the first and last byte of every value in Arrow's buffers, and the nulls set in a
    new validity bitmap: a few milliseconds for a million values, where trimming copies them.
    """
    buffers = None if values.offset else string_buffers(values)
    if buffers is None:
        return None  # the trimming path deals with it
    starts, ends, data = buffers
    filled = ends > starts
    every = bool(filled.all())
    if every or filled.any():
        for edge in (starts, ends - 1):
            byte = data.take(edge if every else edge[filled])
            if ((byte - np.uint8(33)) >= 95).any():  # below "!" or above "~"
                return None
    if values.null_count:
        filled &= np.asarray(pc.is_valid(values).to_numpy(zero_copy_only=False), dtype=bool)
    elif every:
        return values
    validity = pa.py_buffer(np.packbits(filled, bitorder="little"))
    return pa.Array.from_buffers(
        pa.string(),
        len(values),
        [validity, *values.buffers()[1:]],
        null_count=len(values) - int(np.count_nonzero(filled)),
    )


def _mask(arr: pa.Array) -> np.ndarray:
    return np.asarray(pc.fill_null(arr, False).to_numpy(zero_copy_only=False), dtype=bool)


def decide_decimal(numbers: pa.Array, hint: str | None) -> tuple[str, str | None]:
    """The decimal separator of a column, from the values that can only be read one way.

    A value such as ``1.234,56``, ``12,5`` or ``1,234.56`` settles the column; a column of only
    ambiguous values (``1.234``) follows ``hint`` (the file's locale), else ``.``. Returns the
    separator and a note when it was not settled by the values.
    """
    ambiguous = pc.match_substring_regex(numbers, _AMBIGUOUS_RE)
    dot = pc.and_(pc.match_substring_regex(numbers, _DOT_STYLE_RE), pc.invert(ambiguous))
    comma = pc.and_(pc.match_substring_regex(numbers, _COMMA_STYLE_RE), pc.invert(ambiguous))
    has_sep = pc.match_substring_regex(numbers, r"[.,]")
    dot_votes = pc.sum(pc.and_(dot, has_sep)).as_py() or 0
    comma_votes = pc.sum(pc.and_(comma, has_sep)).as_py() or 0
    if dot_votes > comma_votes:
        return ".", None
    if comma_votes > dot_votes:
        return ",", None
    if not pc.any(ambiguous).as_py():
        return hint or ".", None
    chosen = hint or "."
    why = "by the file's locale" if hint else "(the default; the file has no locale hint)"
    style = "1.234 = 1234 (decimal comma)" if chosen == "," else "1.234 = 1.234 (decimal point)"
    return chosen, f"values such as 1.234 read both ways; read as {style} {why}"


def _normalise_numbers(
    numbers: pa.Array, hint: str | None
) -> tuple[pa.Array, pa.Array, str, str | None]:
    """Digits with ``.`` as the only separator, a validity mask, and the column's decimal style."""
    numbers = pc.replace_substring_regex(numbers, r"[' \x{00A0}\x{202F}]", "")
    decimal, note = decide_decimal(numbers, hint)
    own, other = (
        (_DOT_STYLE_RE, _COMMA_STYLE_RE) if decimal == "." else (_COMMA_STYLE_RE, _DOT_STYLE_RE)
    )
    fits_own = pc.match_substring_regex(numbers, own)
    fits_other = pc.match_substring_regex(numbers, other)
    use_comma = pc.and_(pc.invert(fits_own), fits_other) if decimal == "." else fits_own
    as_comma = pc.replace_substring(pc.replace_substring(numbers, ".", ""), ",", ".")
    as_dot = pc.replace_substring(numbers, ",", "")
    normal = pc.if_else(use_comma, as_comma, as_dot)
    valid = pc.or_(fits_own, fits_other)
    return normal, valid, decimal, note


def _scaled_integers(normal: pa.Array, scale: int) -> tuple[pa.Array, pa.Array, pa.Array]:
    """``"1234.567"`` at scale 2 → 123457 (half up), whether it was rounded, and whether it fits."""
    parts = pc.extract_regex(normal, r"^(?P<whole>[0-9]+)(?:\.(?P<frac>[0-9]*))?$")
    whole = pc.fill_null(pc.struct_field(parts, "whole"), "0")
    frac = pc.fill_null(pc.struct_field(parts, "frac"), "")
    kept = pc.utf8_rpad(pc.utf8_slice_codeunits(frac, 0, scale), scale, "0")
    rest = pc.utf8_slice_codeunits(frac, scale)
    round_up = pc.greater_equal(pc.utf8_slice_codeunits(rest, 0, 1), "5")
    rounded = pc.match_substring_regex(rest, "[1-9]")
    fits = pc.less_equal(pc.utf8_length(pc.utf8_ltrim(whole, "0")), _MAX_INTEGER_DIGITS)
    safe_whole = pc.if_else(fits, whole, "0")
    units = pc.multiply(pc.cast(safe_whole, pa.int64()), 10**scale)
    if scale:
        units = pc.add(units, pc.cast(kept, pa.int64()))
    units = pc.add(units, pc.cast(round_up, pa.int64()))
    return units, rounded, fits


_PLAIN_RE = r"^-?[0-9]{1,13}(\.[0-9]{1,2})?$"


def _all_plain(text: pa.Array) -> bool:
    """Every value is a plain number with at most two decimals (``1234.5``, ``-12``): such a
    column reads only one way, and the float in between is exact to the cent.

    A float64 holds every such value to within 2⁻⁵² of itself, so value × 100 rounds back to
    exactly the cents written. The check is ``_PLAIN_RE`` on every value, done with NumPy on
    Arrow's buffers: the regex takes several times as long on a million values.
    """
    buffers = None if text.null_count == len(text) else string_buffers(text)
    if buffers is None:
        return False
    starts, ends, data = buffers
    point = np.asarray(pc.find_substring(text, ".").to_numpy(zero_copy_only=False))
    chars = data[starts[0] : ends[-1]]
    if text.null_count:
        present = np.asarray(pc.is_valid(text).to_numpy(zero_copy_only=False), dtype=bool)
        if (ends[~present] > starts[~present]).any():
            return False  # a null over bytes (not what Arrow writes): the regex decides
        starts, ends, point = starts[present], ends[present], point[present].astype(np.int64)
    length = ends - starts
    if not (length > 0).all():
        return False  # an empty string
    # Only 0-9 . - (45 to 57 but for 47, "/"; bytes below 45 wrap round to above 12).
    if ((chars - np.uint8(45) > 12) | (chars == ord("/"))).any():
        return False
    minus = data[starts] == ord("-")
    if np.count_nonzero(chars == ord("-")) != np.count_nonzero(minus):
        return False  # a minus sign not in front, or two
    has_point = point >= 0
    if np.count_nonzero(chars == ord(".")) != np.count_nonzero(has_point):
        return False  # two points in one value
    whole = np.where(has_point, point, length) - minus
    decimals = np.where(has_point, length - point - 1, 1)
    return bool(
        ((whole >= 1) & (whole <= _MAX_INTEGER_DIGITS) & (decimals >= 1) & (decimals <= 2)).all()
    )


def parse_money(values: pa.Array, hint: str | None = None, *, cleaned: bool = False) -> Parsed:
    """Amounts as integer cents, with the currency written in the cell.

    Reads ``1234.56``, ``1,234.56``, ``1.234,56``, ``€ 1.234,56``, ``$1,234``, ``1234.56 EUR``,
    ``-5``, ``(1,234.00)`` (negative). More than two decimals are rounded half up to the cent.

    >>> parse_money(pa.array(["€ 1.234,56", "(12.50)", "", "abc"])).values.to_pylist()
    [123456, -1250, None, None]
    """
    text = values if cleaned else clean_text(values)
    if _all_plain(text):
        cents = pc.cast(pc.round(pc.multiply(pc.cast(text, pa.float64()), 100)), pa.int64())
        return Parsed(
            values=cents,
            invalid=np.zeros(len(text), dtype=bool),
            reason="is not an amount",
            decimal=".",
            rounded=np.zeros(len(text), dtype=bool),
            currency=pa.nulls(len(text), pa.string()),
        )
    m = pc.extract_regex(text, _MONEY_RE)
    matched = pc.is_valid(m)
    part = {
        name: pc.struct_field(m, name)
        for name in ("open", "sign", "pre", "sign2", "num", "post", "close")
    }
    normal, valid_number, decimal, note = _normalise_numbers(part["num"], hint)
    parens_ok = pc.equal(pc.utf8_length(part["open"]), pc.utf8_length(part["close"]))
    one_sign = pc.less_equal(
        pc.add(
            pc.add(pc.utf8_length(part["sign"]), pc.utf8_length(part["sign2"])),
            pc.utf8_length(part["open"]),
        ),
        1,
    )
    pre, post = (currency_codes(part[k]) for k in ("pre", "post"))
    currency = pc.coalesce(pre, post)
    currencies_agree = pc.or_(pc.or_(pc.is_null(pre), pc.is_null(post)), pc.equal(pre, post))
    units, rounded, fits = _scaled_integers(normal, 2)
    ok = pc.and_(
        pc.and_(pc.and_(matched, valid_number), pc.and_(parens_ok, one_sign)),
        pc.and_(pc.fill_null(currencies_agree, True), fits),
    )
    ok = pc.fill_null(ok, False)
    negative = pc.greater(
        pc.add(
            pc.add(pc.utf8_length(part["sign"]), pc.utf8_length(part["sign2"])),
            pc.utf8_length(part["open"]),
        ),
        0,
    )
    signed = pc.if_else(pc.fill_null(negative, False), pc.negate(units), units)
    result = pc.if_else(ok, signed, pa.scalar(None, pa.int64()))
    present = pc.is_valid(text)
    return Parsed(
        values=result,
        invalid=_mask(pc.and_(present, pc.invert(ok))),
        reason="is not an amount",
        notes=[note] if note else [],
        decimal=decimal,
        rounded=_mask(pc.and_(ok, rounded)),
        currency=pc.if_else(ok, currency, pa.scalar(None, pa.string())),
    )


# Currency names some CRMs export instead of codes (Dynamics 365 writes "Euro").
_NAMES = {
    "EURO": "EUR",
    "EUROS": "EUR",
    "US DOLLAR": "USD",
    "DOLLAR": "USD",
    "POUND STERLING": "GBP",
    "BRITISH POUND": "GBP",
    "YEN": "JPY",
    "JAPANESE YEN": "JPY",
}


def per_distinct(values: pa.Array, kernel: Callable[[pa.Array], pa.Array]) -> pa.Array:
    """``kernel(values)``, worked out once per distinct value: for columns with few values
    (currencies, stages) one hash pass replaces a pass per step of ``kernel``."""
    encoded = pc.dictionary_encode(values)
    return kernel(encoded.dictionary).take(encoded.indices)


def currency_codes(symbols: pa.Array) -> pa.Array:
    """``€`` → ``EUR``, ``Euro`` → ``EUR`` (and so on); a three-letter code stays; empty → null.

    >>> currency_codes(pa.array(["€", "Euro", "usd", "", None])).to_pylist()
    ['EUR', 'EUR', 'usd', None, None]
    """
    return per_distinct(symbols, _currency_codes)


def _currency_codes(symbols: pa.Array) -> pa.Array:
    out = pc.if_else(pc.equal(symbols, ""), pa.scalar(None, pa.string()), symbols)
    for symbol, code in _SYMBOLS.items():
        out = pc.if_else(pc.equal(out, symbol), code, out)
    upper = pc.utf8_upper(out)
    for name, code in _NAMES.items():
        out = pc.if_else(pc.equal(upper, name), code, out)
    return out


def parse_number(values: pa.Array, hint: str | None = None, *, cleaned: bool = False) -> Parsed:
    """Plain numbers (hours): ``1.5``, ``1,5``, ``2``; a float64 column.

    >>> parse_number(pa.array(["1,5", "2", "x"]), hint=",").values.to_pylist()
    [1.5, 2.0, None]
    """
    text = values if cleaned else clean_text(values)
    if _all_plain(text):
        return Parsed(
            values=pc.cast(text, pa.float64()),
            invalid=np.zeros(len(text), dtype=bool),
            reason="is not a number",
            decimal=".",
        )
    m = pc.extract_regex(text, r"^(?P<sign>-)?(?P<num>[0-9](?:[0-9.,' ]*[0-9])?)$")
    normal, valid, decimal, note = _normalise_numbers(pc.struct_field(m, "num"), hint)
    ok = pc.fill_null(pc.and_(pc.is_valid(m), valid), False)
    number = pc.cast(pc.if_else(ok, normal, "0"), pa.float64())
    negative = pc.fill_null(pc.equal(pc.struct_field(m, "sign"), "-"), False)
    number = pc.if_else(negative, pc.negate(number), number)
    return Parsed(
        values=pc.if_else(ok, number, pa.scalar(None, pa.float64())),
        invalid=_mask(pc.and_(pc.is_valid(text), pc.invert(ok))),
        reason="is not a number",
        notes=[note] if note else [],
        decimal=decimal,
    )


# ---------------------------------------------------------------------------------------------
# Dates

_DATE_RE = (
    r"^(?P<a>[0-9]{1,4})(?P<sep>[-/.])(?P<b>[0-9]{1,2})[-/.](?P<c>[0-9]{1,2}|[0-9]{4})"
    r"(?:(?:[T ]|, ?)[0-9]{1,2}:[0-9]{2}(?::[0-9]{2}(?:[.,][0-9]+)?)?\s*"
    r"(?:Z|[AaPp]\.?[Mm]\.?|[+-][0-9]{2}:?[0-9]{2}|UTC|GMT)?)?$"
)
_COMPACT_RE = r"^(?P<y>(?:19|20|21)[0-9]{2})(?P<m>[0-9]{2})(?P<d>[0-9]{2})$"
_SERIAL_RE = r"^[0-9]{1,7}(?:\.[0-9]+)?$"
_EXCEL_EPOCH = np.datetime64("1899-12-30", "D")
# The serial of 2199-12-31, the last day crm-roi reads as a date.
_LAST_SERIAL = int((np.datetime64("2199-12-31", "D") - _EXCEL_EPOCH).astype(np.int64))
MIN_YEAR, MAX_YEAR = 1900, 2199
ORDERS = {"DMY": "DD-MM-YYYY", "MDY": "MM/DD/YYYY", "YMD": "YYYY-MM-DD"}


def _ints(arr: pa.Array) -> np.ndarray:
    filled = pc.if_else(pc.equal(pc.fill_null(arr, ""), ""), "0", pc.fill_null(arr, "0"))
    return np.asarray(pc.cast(filled, pa.int64()).to_numpy(zero_copy_only=False), dtype=np.int64)


def decide_order(
    first: np.ndarray,
    second: np.ndarray,
    preferred: str | None,
    hint: str | None,
    separator: str | None,
) -> tuple[str, str | None]:
    """Day-first or month-first for a column's ``a-b-yyyy`` values.

    A first part over 12 settles day-first, a second part over 12 month-first. When every
    value reads both ways the user's ``--dayfirst/--monthfirst`` decides, else the file's
    locale hint, else the separator (``-`` and ``.`` are European, ``/`` American); the note
    then says so.
    """
    day_first = bool((first > 12).any())
    month_first = bool((second > 12).any())
    if day_first and not month_first:
        return "DMY", None
    if month_first and not day_first:
        return "MDY", None
    if preferred:
        return preferred, None
    if day_first and month_first:
        by = int((first > 12).sum()) >= int((second > 12).sum())
        order = "DMY" if by else "MDY"
        return order, f"dates are written both day-first and month-first; read as {ORDERS[order]}"
    if hint == "dayfirst":
        order, why = "DMY", "the file's locale (';' and decimal comma)"
    elif separator in ("-", "."):
        order, why = "DMY", f"the separator {separator!r}"
    else:
        order, why = "MDY", "the separator '/'"
    return order, (
        f"every date reads both day-first and month-first; read as {ORDERS[order]} by {why} "
        f"(pass --dayfirst or --monthfirst if that is wrong)"
    )


def _iso_dates(text: pa.Array) -> Parsed | None:
    """A column of plain ``YYYY-MM-DD`` dates, all valid and in range, cast in one step."""
    try:
        # Arrow's cast takes exactly YYYY-MM-DD and fails on anything else.
        dates = pc.cast(text, pa.date32())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None  # a day that doesn't exist: the careful path says which
    low, high = pc.min_max(dates).values()
    if low.is_valid and (low.as_py().year < MIN_YEAR or high.as_py().year > MAX_YEAR):
        return None
    return Parsed(
        values=dates, invalid=np.zeros(len(text), dtype=bool), reason="is not a date", order="YMD"
    )


def parse_dates(
    values: pa.Array,
    preferred: str | None = None,
    hint: str | None = None,
    *,
    cleaned: bool = False,
) -> Parsed:
    """Dates in a column: ISO (with or without time), DD-MM-YYYY, DD/MM/YYYY, MM/DD/YYYY,
    D-M-YY, YYYYMMDD, and Excel serial numbers. Returns a ``date32`` array.

    >>> parse_dates(pa.array(["2024-03-01", "13/02/2024", ""])).values.to_pylist()
    [datetime.date(2024, 3, 1), datetime.date(2024, 2, 13), None]
    """
    text = values if cleaned else clean_text(values)
    fast = _iso_dates(text)
    if fast is not None:
        return fast
    year, month, day, found, order, note = _year_month_day(text, preferred, hint)
    isom, ym = found.iso, found.yearless
    matched = isom | ym

    compact = pc.extract_regex(text, _COMPACT_RE)
    cm = _mask(pc.is_valid(compact))
    if cm.any():
        year = np.where(cm, _ints(pc.struct_field(compact, "y")), year)
        month = np.where(cm, _ints(pc.struct_field(compact, "m")), month)
        day = np.where(cm, _ints(pc.struct_field(compact, "d")), day)
        matched = matched | cm

    days = _days_from_ymd(year, month, day, matched)

    is_serial = pc.and_(pc.match_substring_regex(text, _SERIAL_RE), pc.invert(pc.is_valid(compact)))
    serial = _mask(is_serial)
    if serial.any():
        ok_serial, serial_days = _excel_serials(text, is_serial)
        days = np.where(ok_serial, serial_days, days)
        matched = matched | ok_serial
        if ok_serial.any():
            note = (note + "; " if note else "") + "numbers read as Excel date serials"

    valid_days = matched & (days != _NO_DAY)
    present = _mask(pc.is_valid(text))
    result = pa.array(
        np.where(valid_days, days, 0).astype(np.int32), type=pa.int32(), mask=~valid_days
    ).cast(pa.date32())
    if not isom.any() and not ym.any() and not cm.any() and serial.any():
        order = "serial"
    return Parsed(
        values=result,
        invalid=present & ~valid_days,
        reason="is not a date",
        notes=[note] if note else [],
        order=order,
    )


_NO_DAY = np.iinfo(np.int64).min


@dataclass
class _Matched:
    iso: np.ndarray  # year first: 2024-03-01, 2024/3/1
    yearless: np.ndarray  # year last: 01-03-2024, 3/1/24


def _year_month_day(
    text: pa.Array, preferred: str | None, hint: str | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, _Matched, str, str | None]:
    """Year, month and day of every ``a-b-c`` date, the day/month order decided for the whole
    column (see :func:`decide_order`), which values matched, the order and a note on it."""
    m = pc.extract_regex(text, _DATE_RE)
    a, b, c = (pc.struct_field(m, k) for k in "abc")
    sep = pc.struct_field(m, "sep")
    iso = pc.fill_null(pc.equal(pc.utf8_length(a), 4), False)
    # Year first may leave out leading zeros (2024/3/1); a year last has two or four digits.
    year_last_ok = pc.not_equal(pc.utf8_length(c), 1)
    yearless = pc.fill_null(pc.and_(pc.and_(pc.is_valid(m), pc.invert(iso)), year_last_ok), False)
    ai, bi, ci = _ints(a), _ints(b), _ints(c)
    ym = _mask(yearless)
    order, note = "YMD", None
    # A value with both parts over 12 (31/31/2024) is no date either way: it has no say.
    votes = ym & ((ai <= 12) | (bi <= 12))
    if votes.any():
        seps = pc.unique(pc.filter(sep, pa.array(votes))).to_pylist()
        order, note = decide_order(
            ai[votes], bi[votes], preferred, hint, seps[0] if len(seps) == 1 else None
        )
    isom = _mask(iso)
    year = np.where(isom, ai, np.where(ci < 100, np.where(ci < 69, 2000 + ci, 1900 + ci), ci))
    if order == "DMY":
        month, day = np.where(isom, bi, bi), np.where(isom, ci, ai)
    else:
        month, day = np.where(isom, bi, ai), np.where(isom, ci, bi)
    return year, month, day, _Matched(isom, ym), order, note


def _excel_serials(text: pa.Array, is_serial: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Which values are Excel date serials of a day of 1900–2199, and those days.

    Excel's serials: 1 is 1900-01-01; 60 is its 29 February 1900, a day that never was (Lotus
    1-2-3's leap-year bug), so 1–59 count from 1899-12-31 and 61 on from 1899-12-30. 2958465
    (9999-12-31) or 2024031 (year 7441) in a date column is a mistake, never a date.
    """
    number = pc.cast(pc.if_else(pc.fill_null(is_serial, False), text, "0"), pa.float64())
    whole = np.floor(
        np.nan_to_num(np.asarray(number.to_numpy(zero_copy_only=False)), nan=0.0)
    ).astype(np.int64)
    in_range = (whole >= 1) & (whole <= _LAST_SERIAL) & (whole != 60)
    epoch = np.where(whole < 60, _EXCEL_EPOCH + 1, _EXCEL_EPOCH)
    days = (epoch - np.datetime64("1970-01-01", "D")).astype(np.int64) + whole
    return _mask(is_serial) & in_range, days


def _days_from_ymd(
    year: np.ndarray, month: np.ndarray, day: np.ndarray, matched: np.ndarray
) -> np.ndarray:
    """Days since 1970-01-01 for a valid (year, month, day); ``_NO_DAY`` where there is none."""
    ok = (
        matched
        & (year >= MIN_YEAR)
        & (year <= MAX_YEAR)
        & (month >= 1)
        & (month <= 12)
        & (day >= 1)
    )
    y = np.where(ok, year, 1970)
    mth = np.where(ok, month, 1)
    first = (np.array(y - 1970, dtype="datetime64[Y]").astype("datetime64[M]") + (mth - 1)).astype(
        "datetime64[D]"
    )
    next_month = (np.array(y - 1970, dtype="datetime64[Y]").astype("datetime64[M]") + mth).astype(
        "datetime64[D]"
    )
    length = (next_month - first).astype(np.int64)
    ok &= day <= length
    days = first.astype(np.int64) + np.where(ok, day, 1) - 1
    return np.where(ok, days, _NO_DAY)


# ---------------------------------------------------------------------------------------------
# Periods: a cost booked on a month, a quarter or a year

# What a period can look like; each distinct match is then read in full by ``_period``.
_PERIOD_RE = (
    r"(?i)^(?:\d{4}|\d{4} ?[-/.]? ?[qk][1-4]|[qk][1-4] ?[-/.]? ?\d{4}|\d{4}[-/.]\d{1,2}"
    r"|\d{1,2}[-/.]\d{4}|\p{L}{3,}\.?[-/ ,]*\d{4}|\d{4}[-/ ]+\p{L}{3,}\.?)$"
)
PERIOD_LOCALES = ("en", "nl", "de", "fr", "es", "it", "pt", "sv", "da", "nb")


@dataclass
class Periods:
    """Which values of a column are periods, and the first and last day of each."""

    first: pa.Array  # date32, null where the value is no period
    last: pa.Array
    matched: np.ndarray  # bool per row
    formats: list[str]  # how they were written: "YYYY-MM", "Mon YYYY", "YYYY-Qn", …


def parse_periods(values: pa.Array) -> Periods | None:
    """Months (``2024-03``, ``03/2024``, ``Mar 2024``, ``maart 2024``), quarters (``2024-Q1``,
    ``Q1 2024``) and years (``2024``) in a column of cleaned text; None when there are none.

    >>> p = parse_periods(pa.array(["2024-02", "Q2 2024", "", "2024-02-03"]))
    >>> p.first.to_pylist()[:2], p.last.to_pylist()[:2], p.matched.tolist(), p.formats
    ([datetime.date(2024, 2, 1), datetime.date(2024, 4, 1)], [datetime.date(2024, 2, 29), \
datetime.date(2024, 6, 30)], [True, True, False, False], ['YYYY-MM', 'Qn YYYY'])
    """
    looks = _mask(pc.match_substring_regex(values, _PERIOD_RE))
    if not looks.any():
        return None
    distinct = pc.unique(values.filter(pa.array(looks))).to_pylist()
    read = [_period(v) for v in distinct]
    if not any(read):
        return None
    first = np.array([r[0] if r else 0 for r in read] + [0], dtype=np.int32)
    last = np.array([r[1] if r else 0 for r in read] + [0], dtype=np.int32)
    found = np.array([r is not None for r in read] + [False])
    where = pc.index_in(values, value_set=pa.array(distinct, pa.string()))
    index = np.asarray(pc.fill_null(where, len(distinct)).to_numpy(zero_copy_only=False))
    matched = found[index]
    formats = list(dict.fromkeys(r[2] for r, v in zip(read, distinct, strict=True) if r))

    def days(numbers: np.ndarray) -> pa.Array:
        return pa.array(numbers[index], pa.int32(), mask=~matched).cast(pa.date32())

    return Periods(days(first), days(last), matched, formats)


def _period(text: str) -> tuple[int, int, str] | None:
    """(first day, last day, format) of one period, days since 1970; None if it is none."""
    import re

    t = " ".join(text.split())
    if m := re.fullmatch(r"(\d{4})", t):
        return _span(int(m[1]), 1, 12, "YYYY")
    if m := re.fullmatch(r"(\d{4}) ?[-/.]? ?[qQkK]([1-4])", t):
        q = int(m[2])
        return _span(int(m[1]), 3 * q - 2, 3 * q, "YYYY-Qn")
    if m := re.fullmatch(r"[qQkK]([1-4]) ?[-/.]? ?(\d{4})", t):
        q = int(m[1])
        return _span(int(m[2]), 3 * q - 2, 3 * q, "Qn YYYY")
    if m := re.fullmatch(r"(\d{4})[-/.](\d{1,2})", t):
        return _span(int(m[1]), int(m[2]), int(m[2]), "YYYY-MM")
    if m := re.fullmatch(r"(\d{1,2})[-/.](\d{4})", t):
        return _span(int(m[2]), int(m[1]), int(m[1]), "MM/YYYY")
    if m := re.fullmatch(r"([^\W\d_]{3,})\.?[-/ ,]*(\d{4})", t):
        month = month_names().get(m[1].casefold())
        return _span(int(m[2]), month, month, "Mon YYYY") if month else None
    if m := re.fullmatch(r"(\d{4})[-/ ]+([^\W\d_]{3,})\.?", t):
        month = month_names().get(m[2].casefold())
        return _span(int(m[1]), month, month, "YYYY Mon") if month else None
    return None


def _span(year: int, first_month: int, last_month: int, form: str) -> tuple[int, int, str] | None:
    import datetime as dt

    if not (MIN_YEAR <= year <= MAX_YEAR and 1 <= first_month <= last_month <= 12):
        return None
    start = dt.date(year, first_month, 1)
    after = dt.date(year + 1, 1, 1) if last_month == 12 else dt.date(year, last_month + 1, 1)
    epoch = dt.date(1970, 1, 1)
    return (start - epoch).days, (after - epoch).days - 1, form


_MONTHS: dict[str, int] = {}


def month_names() -> dict[str, int]:
    """Month names and abbreviations (``march``, ``mar``, ``maart``, ``mrt``, ``mär``, …),
    case-folded and without a trailing dot, of the languages crm-roi's users write in."""
    if not _MONTHS:
        from babel.dates import get_month_names

        for locale in PERIOD_LOCALES:
            for width in ("wide", "abbreviated"):
                for context in ("format", "stand-alone"):
                    names = get_month_names(width, context, locale=locale)
                    for number, name in names.items():
                        _MONTHS.setdefault(name.casefold().rstrip("."), int(number))
        for number, name in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug",
                                       "sep", "oct", "nov", "dec"), start=1):  # fmt: skip
            _MONTHS.setdefault(name, number)
        _MONTHS.setdefault("sept", 9)
    return _MONTHS

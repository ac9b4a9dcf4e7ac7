"""Option values as the library wants them: dates, FROM:TO spans, currency codes, finite numbers,
locales, --hourly-rate, --preset and --max-rejected. Anything else is a :class:`UsageError` that
names the option and shows a value that works.
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal, InvalidOperation

from crm_roi.errors import UsageError


def day(name: str, value: str) -> dt.date:
    """``--go-live 2024-01-31`` → ``date(2024, 1, 31)``."""
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"{name} {value!r} is not a date (YYYY-MM-DD)") from None


def date_option(name: str, value: str | None) -> dt.date | None:
    """A date option that may be left out: ``--from``, ``--to``."""
    return None if value is None else day(name, value)


def span(name: str, value: str) -> tuple[dt.date, dt.date]:
    """``--baseline 2024-01-01:2024-06-30`` → its first and last day."""
    parts = value.split(":")
    if len(parts) != 2:
        raise UsageError(f"{name} {value!r}: expected FROM:TO, e.g. 2024-01-01:2024-06-30")
    start, end = (day(name, part.strip()) for part in parts)
    if start > end:
        raise UsageError(f"{name} {value!r}: FROM is after TO")
    return start, end


def currency_code(value: str | None) -> str | None:
    """``--currency eur`` → ``EUR``; anything but three letters is a usage error (it would be
    shown in every title and label of the report)."""
    from crm_roi.inputs.rates import CURRENCY_CODE

    if value is None:
        return None
    code = value.strip().upper()
    if not CURRENCY_CODE.fullmatch(code):
        raise UsageError(f"--currency {value!r}: give a three-letter currency code, e.g. EUR")
    return code


def finite(name: str, value: float | None, hint: str) -> None:
    """Typer reads ``nan`` and ``inf`` as floats; a number option must be a finite number (a
    NaN threshold never fires, an infinite lifespan makes every CLV infinite)."""
    if value is not None and not math.isfinite(value):
        raise UsageError(f"{name} {value}: not a finite number; {hint}")


def check_locale(value: str) -> None:
    """--locale must be one babel knows: checked before anything is read."""
    from babel import Locale, UnknownLocaleError

    try:
        Locale.parse(value)
    except (UnknownLocaleError, ValueError, TypeError):
        raise UsageError(
            f"--locale {value}: unknown locale (give language_COUNTRY, e.g. en_US, nl_NL, de_DE)"
        ) from None


def hourly_rate(value: str | None) -> Decimal | None:
    """``--hourly-rate 75,00`` → ``Decimal("75.00")``: a number from 0 up to the largest rate."""
    from crm_roi.inputs.rates import MAX_RATE

    if value is None:
        return None
    try:
        rate = Decimal(value.replace(",", "."))
    except InvalidOperation:
        raise UsageError(f"--hourly-rate {value!r} is not a number (e.g. 75.00)") from None
    if not rate.is_finite():
        raise UsageError(f"--hourly-rate {value!r} is not a number (e.g. 75.00)")
    if rate > MAX_RATE:
        raise UsageError(f"--hourly-rate {value!r}: more than {MAX_RATE:,} an hour")
    if rate < 0:
        raise UsageError("--hourly-rate can't be negative")
    return rate


def preset_name(value: str | None) -> str | None:
    """``--preset HubSpot`` → ``hubspot``: one of the known CRMs, or ``none``."""
    if not value:
        return None
    from crm_roi.inputs.presets import NAMES

    chosen = value.strip().lower()
    if chosen not in (*NAMES, "none"):
        raise UsageError(f"--preset {value!r}: choose one of {', '.join(NAMES)} or none")
    return chosen


def max_rejected(value: str | None) -> tuple[float, bool] | None:
    """``5%`` → (5.0, True), ``100`` → (100.0, False)."""
    if value is None:
        return None
    text = value.strip()
    share = text.endswith("%")
    try:
        number = float(text.rstrip("%").strip())
    except ValueError:
        number = float("nan")
    if not number >= 0 or number == float("inf") or (share and number > 100):
        raise UsageError(
            f"--max-rejected {value!r}: give a count (100) or a share of each input's rows (5%)"
        )
    return number, share

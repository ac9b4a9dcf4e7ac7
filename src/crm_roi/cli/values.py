"""Option values as the library wants them: dates, FROM:TO spans, currency codes, finite numbers,
locales, --hourly-rate, --preset and --max-rejected. Anything else is a :class:`UsageError` that
names the option and shows a value that works.
"""

from __future__ import annotations

import datetime as dt
import math
import os
from collections.abc import Mapping
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


LOCALE_VARIABLES = ("LC_ALL", "LC_NUMERIC", "LANG")  # the first one set names the locale
PLAIN_NAMES = {"plain", "c", "posix"}  # C.UTF-8, POSIX: no locale, so the plain report


def locale(value: str | None, environ: Mapping[str, str] | None = None) -> str:
    """--locale as babel names it (``nl-nl`` → ``nl_NL``), or ``plain``; when it is left out,
    the environment's (LC_ALL, else LC_NUMERIC, else LANG: ``nl_NL.UTF-8`` → ``nl_NL``), else
    ``plain``. An unknown --locale is a usage error, checked before anything is read; an
    environment naming one babel doesn't know gets the plain report.

    >>> locale("de-de"), locale(None, {"LANG": "nl_NL.UTF-8"}), locale(None, {"LANG": "C.UTF-8"})
    ('de_DE', 'nl_NL', 'plain')
    """
    from crm_roi.render.locale import PLAIN

    if value is not None:
        known = _known_locale(value)
        if known is None:
            raise UsageError(
                f"--locale {value}: unknown locale (give language_COUNTRY, e.g. en_US, nl_NL, "
                "de_DE, or plain)"
            )
        return known
    env = os.environ if environ is None else environ
    named = next((env[v] for v in LOCALE_VARIABLES if env.get(v)), "")
    return _known_locale(named) or PLAIN


def _known_locale(name: str) -> str | None:
    """``nl_NL.UTF-8@euro`` → ``nl_NL``; ``C`` and ``POSIX`` → ``plain``; None if unknown."""
    from babel import Locale, UnknownLocaleError

    from crm_roi.render.locale import PLAIN

    bare = name.strip().split(".")[0].split("@")[0].replace("-", "_")
    if bare.lower() in PLAIN_NAMES:
        return PLAIN
    try:
        return str(Locale.parse(bare))
    except (UnknownLocaleError, ValueError, TypeError):
        return None


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


def figure_names(name: str, value: str | None) -> tuple[str, ...] | None:
    """``--columns roi,CAC`` → ``("roi", "cac")``: figures by their names in the JSON report."""
    if value is None:
        return None
    from crm_roi.engine.figures import FIELDS

    names = tuple(dict.fromkeys(part.strip().lower() for part in value.split(",") if part.strip()))
    unknown = [n for n in names if n not in FIELDS]
    if unknown or not names:
        what = f"no figure {', '.join(map(repr, unknown))}" if unknown else "no figure named"
        raise UsageError(f"{name} {value!r}: {what}; choose from {', '.join(FIELDS)}")
    return names

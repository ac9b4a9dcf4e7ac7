"""The ``--rates`` file: ``currency,rate`` lines, each rate in units of the report currency per
unit of that currency (``USD,0.92`` when the report is in EUR).

A header line (``currency,rate``) and blank lines are skipped; a decimal comma is read as a point.
"""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal, InvalidOperation
from pathlib import Path

from crm_roi.errors import UsageError
from crm_roi.inputs.source import read_settings

CURRENCY_CODE = re.compile(r"[A-Z]{3}")  # ISO 4217's shape; the data's codes are held to it too
MAX_RATE = Decimal(10) ** 9  # units of the report currency per unit: no real rate comes near


def read_rates(path: Path) -> dict[str, Decimal]:
    """Rate by currency code: ``USD,0.92`` → ``{"USD": Decimal("0.92")}``.

    A file that can't be read, a line without a rate, a rate that is not a positive number up to
    :data:`MAX_RATE`, or a code that is not three letters is a :class:`UsageError` naming the line.
    """
    try:  # a regular file of at most 1 MB: never a pipe or device that blocks or never ends
        text = read_settings(path, f"--rates {path}").decode("utf-8-sig")
    except FileNotFoundError:
        raise UsageError(f"--rates {path}: no such file") from None
    except OSError as exc:  # a folder, no permission, …
        raise UsageError(f"--rates {path} can't be read ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise UsageError(f"--rates {path} is not UTF-8 text") from None
    rates: dict[str, Decimal] = {}
    with io.StringIO(text, newline="") as handle:
        for number, row in enumerate(csv.reader(handle), start=1):
            if not row or not row[0].strip() or row[0].strip().lower() == "currency":
                continue
            code, rate = _line(path, number, row)
            rates[code] = rate
    return rates


def _line(path: Path, number: int, row: list[str]) -> tuple[str, Decimal]:
    """One ``currency,rate`` line, checked."""
    try:
        rate = Decimal(row[1].strip().replace(",", "."))
    except (IndexError, InvalidOperation):
        raise UsageError(f"--rates {path}:{number}: expected currency,rate") from None
    if not rate.is_finite() or rate <= 0 or rate > MAX_RATE:
        raise UsageError(
            f"--rates {path}:{number}: {row[1].strip()!r}: a rate must be a positive "
            f"number up to {MAX_RATE:,} (units of the report currency per unit)"
        )
    code = row[0].strip().upper()
    if not CURRENCY_CODE.fullmatch(code):
        raise UsageError(
            f"--rates {path}:{number}: {row[0].strip()!r} is not a currency code "
            "(three letters, e.g. USD)"
        )
    return code, rate

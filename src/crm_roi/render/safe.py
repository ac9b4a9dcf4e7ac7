"""Cells that a spreadsheet would run as a formula are written as text."""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> object:
    """Text starting with = + - @ tab or CR gets a leading apostrophe (OWASP's advice for CSV
    injection); numbers and other values pass unchanged.

    >>> neutralise("=HYPERLINK(\\"http://x\\")")
    '\\'=HYPERLINK("http://x")'
    >>> neutralise(-5)
    -5
    """
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value

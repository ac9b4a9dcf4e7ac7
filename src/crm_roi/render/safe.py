"""Text from the inputs, made harmless for each output.

Channel names, file names, headers and values come from files anyone may have edited. Each
output gets them so that they are shown, never acted on:

- a spreadsheet (CSV, xlsx, Markdown pasted into one) never runs them as a formula
  (:func:`neutralise`);
- a CSV row never breaks on a CR or LF in a value (:func:`csv_text` quotes it);
- Markdown never renders them as HTML, a link or a table cell boundary (:func:`markdown_text`);
- a terminal never receives an escape sequence or control character (:func:`printable`);
- a workbook never receives a character XML forbids (:func:`xml_text`);
- an HTML page never reads them as markup (:func:`html_text`).
"""

from __future__ import annotations

import csv
import html
import io
import re
from collections.abc import Iterable, Sequence

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Control characters in front don't stop a spreadsheet from reading the rest as a formula.
_LEADING_CONTROLS = "".join(map(chr, range(0x20)))
# Terminal escape sequences: CSI (colours, cursor moves), OSC (window title, hyperlinks, ended by
# BEL or ESC \\), other ESC sequences, and CSI in its one-byte C1 form.
_SEQUENCES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]?"
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"
    r"|\x1b[ -/]*[0-~]?"
    r"|\x9b[0-?]*[ -/]*[@-~]?"
)
# Characters that end or split a line somewhere: shown as one space.
_BREAKS = re.compile(r"[\t\n\v\f\r\x1c-\x1e\x85\u2028\u2029]+")
# Every other C0 and C1 control, DEL, and the bidirectional overrides that reorder what is shown.
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
# What XML 1.0 (so an xlsx) can't hold: C0 controls but tab, LF and CR (openpyxl's list).
_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
# Markdown: HTML is escaped as entities; these are backslash-escaped so that a value never
# becomes a link, an image, emphasis, code or a cell boundary.
_MARKDOWN = re.compile(r"([\\`*_\[\]~|])")


def neutralise(value: object) -> object:
    """Text starting with = + - @ tab or CR gets a leading apostrophe (OWASP's advice for CSV
    injection); numbers and other values pass unchanged.

    >>> neutralise("=HYPERLINK(\\"http://x\\")")
    '\\'=HYPERLINK("http://x")'
    >>> neutralise(-5)
    -5
    """
    if isinstance(value, str) and (
        value.startswith(FORMULA_STARTS)
        or value.lstrip(_LEADING_CONTROLS).startswith(FORMULA_STARTS)
    ):
        return "'" + value
    return value


def printable(text: str) -> str:
    """Text safe to show on a terminal: escape sequences removed, line breaks and tabs as one
    space, every other control character removed.

    >>> printable("\\x1b[31mred\\x1b[0m alert\\x07")
    'red alert'
    >>> printable("line1\\r\\nline2")
    'line1 line2'
    """
    return _CONTROLS.sub("", _BREAKS.sub(" ", _SEQUENCES.sub("", text)))


def markdown_text(value: object) -> str:
    """A value as one Markdown table cell: on one line, HTML escaped, Markdown syntax and ``|``
    escaped, and never a formula.

    >>> markdown_text("<script>alert(1)</script>")
    '&lt;script&gt;alert(1)&lt;/script&gt;'
    >>> print(markdown_text("a|b\\nc [x](y)"))
    a\\|b c \\[x\\](y)
    >>> print(markdown_text('=HYPERLINK("http://x")'), markdown_text(-5.0))
    '=HYPERLINK("http://x") -5.0
    """
    if not isinstance(value, str):
        return "" if value is None else str(value)  # a figure: -5.0 stays a number
    text = str(neutralise(printable(value)))
    return _MARKDOWN.sub(r"\\\1", html.escape(text, quote=False))


def html_text(value: object) -> str:
    """Text as an HTML page shows it, in an element or a quoted attribute: printable (no
    controls, no bidirectional overrides) and escaped, ``&<>"'`` as entities.

    >>> html_text("<script>alert('x')</script>")
    '&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;'
    """
    return html.escape(printable(str(value)), quote=True)


def xml_text(value: object) -> object:
    """A value as a workbook cell takes it: text without escape sequences or the control
    characters XML forbids (a workbook holding one doesn't open), and never a formula.

    >>> xml_text("v\\x0bt")
    'vt'
    >>> xml_text("\\x0b=1+1")
    "'=1+1"
    """
    if isinstance(value, str):
        value = _XML_ILLEGAL.sub("", _SEQUENCES.sub("", value))
    return neutralise(value)


def csv_text(rows: Iterable[Sequence[object]]) -> str:
    """Rows as CSV with ``\\n`` line ends; text that would start a formula is neutralised, and
    a value holding a CR or LF is quoted, so that no reader takes it for the end of a row.

    (The csv module only quotes the characters of its line terminator: with ``\\n`` a lone CR
    would be written bare. Each row is written with ``\\r\\n``, which quotes both, and its line
    end then made ``\\n``.)

    >>> csv_text([["a\\rb", "=1+1", None, 2.5]]).split(",")
    ['"a\\rb"', "'=1+1", '', '2.5\\n']
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    lines = []
    for row in rows:
        writer.writerow(["" if v is None else neutralise(v) for v in row])
        lines.append(buffer.getvalue()[:-2] + "\n")
        buffer.seek(0)
        buffer.truncate()
    return "".join(lines)

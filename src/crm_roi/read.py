"""Read an export file into a table of text, however the CRM wrote it.

The result is every cell as text (IDs keep their leading zeros), the header row, the row
number a spreadsheet user sees for every data row, and the rows that were skipped (report
titles, blank lines, footers such as Salesforce's ``Grand Totals``) or could not be split into
the header's columns. Nothing is parsed as a number or date here: that is :mod:`crm_roi.parse`.

CSV-like text goes through Arrow's multi-threaded CSV reader; a file whose rows don't all fit
the header (footers, blank lines, ragged rows) is read again with Python's ``csv`` module so
every row keeps its exact row number. Spreadsheets (xlsx, xlsm, xls, ods) are read by calamine.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from crm_roi import sniff
from crm_roi.errors import InputError, RowIssue, Severity
from crm_roi.mapping import known_headers

SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods")
# A real export compresses maybe 5-20 times; a crafted "zip bomb" thousands of times.
MAX_UNCOMPRESSED_BYTES = 4 * 1024**3
MAX_COMPRESSION_RATIO = 200
HEAD_BYTES = 256 * 1024


@dataclass
class RawTable:
    """An input file as text cells, before any column is mapped or parsed."""

    path: str
    format: str  # csv | xlsx | xls | ods …
    headers: list[str]
    data: pa.Table  # one string column per header (renamed to be unique), no nulls
    row_numbers: np.ndarray  # spreadsheet row number of each data row
    header_row: int  # spreadsheet row number of the header
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    skipped: list[RowIssue] = field(default_factory=list)  # titles, blank rows, footers
    rejected: list[RowIssue] = field(default_factory=list)  # rows that don't fit the header
    locale_hint: str | None = None  # "," when the file is written the continental way

    def add_column(self, header: str, values: pa.Array) -> None:
        """A column derived from others (a CRM preset's), as if the file had it."""
        self.data = self.data.append_column(f"c{len(self.headers)}", values)
        self.headers.append(header)

    @property
    def rows(self) -> int:
        """Data rows: those read plus those rejected for not fitting the header."""
        return int(self.data.num_rows) + len(self.rejected)


def read_table(path: Path, sheet: str | None = None) -> RawTable:
    """Read one input file; raises :class:`InputError` when it can't be read at all."""
    display = str(path)
    if not path.exists():
        raise InputError(display, "no such file")
    if path.is_dir():
        raise InputError(display, "is a folder, not a file")
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise InputError(display, f"can't be read ({exc.strerror})") from None
    if size == 0:
        raise InputError(display, "the file is empty")
    if path.suffix.lower() in SPREADSHEET_SUFFIXES:
        return _read_spreadsheet(path, display, sheet)
    if sheet is not None:
        raise InputError(display, "--sheet applies to spreadsheets (.xlsx, .xls, .ods) only")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(display, f"can't be read ({exc.strerror})") from None
    if raw[:4] == b"PK\x03\x04" or raw[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise InputError(display, "is a spreadsheet, not text: give it an .xlsx/.xls/.ods name")
    return _read_text(raw, display)


# ---------------------------------------------------------------------------------------------
# CSV, TSV, TXT


def _read_text(raw: bytes, display: str) -> RawTable:
    encoding = sniff.detect_encoding(raw[:HEAD_BYTES])
    if sniff.looks_binary(raw[:HEAD_BYTES], encoding):
        raise InputError(display, "is not a text export (binary data); expected CSV, TSV or Excel")
    if encoding.startswith("utf-16"):
        # Excel's "Unicode text": re-encode once, then read like any UTF-8 file.
        try:
            raw = raw.decode(encoding).encode("utf-8")
        except UnicodeDecodeError as exc:
            raise InputError(
                display, f"is not valid {encoding.upper()} text ({exc.reason})"
            ) from None
        text_encoding, encoding = "utf-8", "utf-16"
    else:
        text_encoding = encoding
    body_encoding = text_encoding
    head = raw[:HEAD_BYTES].decode(body_encoding, errors="replace")
    if head.startswith("\ufeff"):
        head = head[1:]
    if not head.strip():
        raise InputError(display, "the file is empty (only blank lines)")
    delimiter = sniff.detect_delimiter(head)
    first_rows = sniff.parse_lines(head, delimiter, limit=60)
    header_index = sniff.find_header_row(first_rows, known_headers())
    raw_headers = first_rows[header_index]
    if not any(h.strip() for h in raw_headers):
        raise InputError(display, "the header row is blank")
    headers = sniff.dedupe_headers(raw_headers)
    try:
        # Arrow checks the UTF-8 as it reads: no separate pass over the whole file.
        table = _fast_read(raw, body_encoding, delimiter, header_index, headers)
    except _NotUtf8:
        table = None
    if table is None:
        settled, raw = _settle_encoding(raw, body_encoding, display)
        if settled != body_encoding:
            body_encoding = settled
            encoding = settled if encoding != "utf-16" else encoding
            table = _fast_read(raw, body_encoding, delimiter, header_index, headers)
    if table is None:
        table, row_numbers, skipped, rejected = _careful_read(
            raw.decode(body_encoding, errors="replace"), display, delimiter, header_index, headers
        )
    else:
        row_numbers = np.arange(header_index + 2, header_index + 2 + table.num_rows, dtype=np.int64)
        table, row_numbers, skipped = _drop_blank(table, row_numbers, display)
        rejected = []
    skipped = [
        RowIssue(
            display,
            i + 1,
            "",
            _preview(r),
            "title above the header, skipped",
            Severity.WARNING,
            "title",
        )
        for i, r in enumerate(first_rows[:header_index])
        if any(c.strip() for c in r)
    ] + skipped
    table, row_numbers, tail = _drop_footer(table, row_numbers, display)
    # csv-sniffing: a ";"-separated file is written the continental way (decimal comma,
    # day-first dates); the columns' own values still decide first.
    hint = "," if delimiter == ";" else None
    return RawTable(
        path=display,
        format="tsv" if delimiter == "\t" else "csv",
        headers=headers,
        data=table,
        row_numbers=row_numbers,
        header_row=header_index + 1,
        encoding=encoding,
        delimiter=delimiter,
        skipped=sorted(skipped + tail, key=lambda i: i.row),
        rejected=rejected,
        locale_hint=hint,
    )


def _settle_encoding(raw: bytes, encoding: str, display: str) -> tuple[str, bytes]:
    """The encoding the whole file decodes with: UTF-8 that fails later on means cp1252."""
    if encoding not in ("utf-8", "utf-8-sig"):
        return encoding, raw
    try:
        raw.decode(encoding)
    except UnicodeDecodeError:
        # A byte-order mark read as cp1252 would become "ï»¿" in the first header.
        return "cp1252", raw.removeprefix(codecs.BOM_UTF8)
    return encoding, raw


def _fast_read(
    raw: bytes, encoding: str, delimiter: str, header_index: int, headers: list[str]
) -> pa.Table | None:
    """Arrow's CSV reader, or None when a row doesn't fit the header (the careful path then)."""
    misfits: list[object] = []

    def on_invalid(row: object) -> str:
        misfits.append(row)
        return "skip"

    names = [f"c{i}" for i in range(len(headers))]
    try:
        table = pacsv.read_csv(
            io.BytesIO(raw),
            read_options=pacsv.ReadOptions(
                skip_rows=header_index + 1,
                column_names=names,
                encoding="utf8" if encoding.startswith("utf-8") else encoding,
                block_size=8 << 20,
            ),
            parse_options=pacsv.ParseOptions(
                delimiter=delimiter,
                newlines_in_values=True,
                ignore_empty_lines=False,
                invalid_row_handler=on_invalid,
            ),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowException) as exc:
        if encoding.startswith("utf-8") and "UTF8" in str(exc):
            raise _NotUtf8 from None
        return None
    return None if misfits else table


class _NotUtf8(Exception):
    """The file's head was UTF-8 but a later part is not."""


def _careful_read(
    text: str, display: str, delimiter: str, header_index: int, headers: list[str]
) -> tuple[pa.Table, np.ndarray, list[RowIssue], list[RowIssue]]:
    """Python's csv module: every row kept with its number; misfits reported, not lost."""
    if text.startswith("\ufeff"):
        text = text[1:]
    width = len(headers)
    columns: list[list[str]] = [[] for _ in range(width)]
    numbers: list[int] = []
    skipped: list[RowIssue] = []
    rejected: list[RowIssue] = []
    # newline="": rows may end in \r\n, \n or a lone \r (Excel for Mac's "CSV (Macintosh)").
    reader = csv.reader(io.StringIO(text.replace("\x00", ""), newline=""), delimiter=delimiter)
    try:
        for index, row in enumerate(reader):
            if index <= header_index:
                continue
            number = index + 1
            if not any(c.strip() for c in row):
                skipped.append(
                    RowIssue(
                        display, number, "", "", "blank row, skipped", Severity.WARNING, "blank"
                    )
                )
                continue
            if len(row) > width and not any(c.strip() for c in row[width:]):
                row = row[:width]
            if len(row) > width:
                if sniff.is_footer(row):
                    skipped.append(_footer_issue(display, number, row))
                    continue
                rejected.append(
                    RowIssue(
                        display,
                        number,
                        "",
                        _preview(row),
                        f"the row has {len(row)} fields but the header has {width} "
                        f"(a delimiter inside an unquoted value?)",
                        code="ragged",
                    )
                )
                continue
            if len(row) < width:
                if sniff.is_footer(row) and sum(1 for c in row if c.strip()) <= 2:
                    skipped.append(_footer_issue(display, number, row))
                    continue
                row = row + [""] * (width - len(row))
            for col, cell in zip(columns, row, strict=True):
                col.append(cell)
            numbers.append(number)
    except csv.Error as exc:
        raise InputError(
            display, f"row {reader.line_num}: the CSV can't be split into fields ({exc})"
        ) from None
    table = pa.table({f"c{i}": pa.array(col, pa.string()) for i, col in enumerate(columns)})
    return table, np.asarray(numbers, dtype=np.int64), skipped, rejected


def _drop_blank(
    table: pa.Table, row_numbers: np.ndarray, display: str
) -> tuple[pa.Table, np.ndarray, list[RowIssue]]:
    """Remove rows whose every cell is blank (an empty line, or ``,,,,``), as the careful
    path does: they are skipped and mentioned, not data."""
    if not table.num_rows or not table.num_columns:
        return table, row_numbers, []
    blank = np.ones(table.num_rows, dtype=bool)
    for column in table.columns:
        blank &= pc.equal(pc.utf8_trim_whitespace(column), "").to_numpy()
        if not blank.any():  # usually settled by the first column
            return table, row_numbers, []
    keep = np.logical_not(blank)
    found = [
        RowIssue(display, int(n), "", "", "blank row, skipped", Severity.WARNING, "blank")
        for n in row_numbers[blank]
    ]
    return table.filter(pa.array(keep)), row_numbers[keep], found


def _drop_footer(
    table: pa.Table, row_numbers: np.ndarray, display: str
) -> tuple[pa.Table, np.ndarray, list[RowIssue]]:
    """Remove footer rows (totals, confidentiality, copyright) and blank rows at the end."""
    n = table.num_rows
    cut = n
    found: list[RowIssue] = []
    look = min(n, 20)
    tail = table.slice(n - look, look).to_pylist() if look else []
    for offset in range(look - 1, -1, -1):
        cells = [str(v) for v in tail[offset].values()]
        number = int(row_numbers[n - look + offset])
        if not any(c.strip() for c in cells):
            found.append(
                RowIssue(display, number, "", "", "blank row, skipped", Severity.WARNING, "blank")
            )
        elif sniff.is_footer(cells) and _filled(cells) <= max(2, len(cells) // 2):
            # A totals row fills its label and a few sums; a full row ("Total Care BV", its
            # id, stage, amount, …) is data.
            found.append(_footer_issue(display, number, cells))
        else:
            break
        cut = n - look + offset
    if cut == n:
        return table, row_numbers, []
    return table.slice(0, cut), row_numbers[:cut], sorted(found, key=lambda i: i.row)


def _filled(cells: Sequence[str]) -> int:
    return sum(1 for c in cells if c.strip())


def _footer_issue(display: str, number: int, cells: Sequence[str]) -> RowIssue:
    return RowIssue(
        display, number, "", _preview(cells), "footer line, skipped", Severity.WARNING, "footer"
    )


def _preview(cells: Sequence[object], limit: int = 80) -> str:
    text = " | ".join(str(c) for c in cells if str(c).strip())
    return text if len(text) <= limit else text[: limit - 1] + "…"


# ---------------------------------------------------------------------------------------------
# Spreadsheets


def _read_spreadsheet(path: Path, display: str, sheet: str | None) -> RawTable:
    suffix = path.suffix.lower().lstrip(".")
    if suffix in ("xlsx", "xlsm", "xlsb", "ods"):
        _check_zip(path, display)
    from python_calamine import CalamineWorkbook  # lazily: only spreadsheets need it

    try:
        workbook = CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises its own error types per format
        raise InputError(
            display, f"can't be opened as a spreadsheet ({_first_line(exc)})"
        ) from None
    names = list(workbook.sheet_names)
    if not names:
        raise InputError(display, "the workbook has no sheets")
    if sheet is not None and sheet not in names:
        raise InputError(
            display, f"has no sheet {sheet!r}; sheets are {', '.join(map(repr, names))}"
        )
    rows: Sequence[Sequence[object]] = []
    chosen = sheet
    for name in [sheet] if sheet is not None else names:
        try:
            rows = workbook.get_sheet_by_name(name).to_python(skip_empty_area=False)
        except Exception as exc:
            raise InputError(
                display, f"sheet {name!r} can't be read ({_first_line(exc)})"
            ) from None
        if any(any(_cell_text(c).strip() for c in r) for r in rows[:1000]):
            chosen = name
            break
    else:
        raise InputError(
            display, "every sheet is empty" if sheet is None else f"sheet {sheet!r} is empty"
        )
    text_rows = [[_cell_text(c) for c in r] for r in rows]
    header_index = sniff.find_header_row(text_rows[:60], known_headers())
    headers = sniff.dedupe_headers(text_rows[header_index])
    width = len(headers)
    body = text_rows[header_index + 1 :]
    skipped = [
        RowIssue(
            display,
            i + 1,
            "",
            _preview(r),
            "title above the header, skipped",
            Severity.WARNING,
            "title",
        )
        for i, r in enumerate(text_rows[:header_index])
        if any(c.strip() for c in r)
    ]
    keep: list[int] = []
    for i, r in enumerate(body):
        if any(c.strip() for c in r):
            keep.append(i)
        else:
            skipped.append(
                RowIssue(
                    display,
                    header_index + 2 + i,
                    "",
                    "",
                    "blank row, skipped",
                    Severity.WARNING,
                    "blank",
                )
            )
    columns = {
        f"c{j}": pa.array([body[i][j] if j < len(body[i]) else "" for i in keep], pa.string())
        for j in range(width)
    }
    table = pa.table(columns)
    row_numbers = np.asarray([header_index + 2 + i for i in keep], dtype=np.int64)
    table, row_numbers, tail = _drop_footer(table, row_numbers, display)
    blank_tail = {i.row for i in tail}
    skipped = [s for s in skipped if s.row not in blank_tail] + tail
    return RawTable(
        path=display,
        format=suffix,
        headers=headers,
        data=table,
        row_numbers=row_numbers,
        header_row=header_index + 1,
        sheet=chosen,
        skipped=sorted(skipped, key=lambda i: i.row),
    )


def _check_zip(path: Path, display: str) -> None:
    """Refuse a workbook that is no zip, or whose declared contents would blow up in memory."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except zipfile.BadZipFile:
        raise InputError(
            display,
            "is not a valid workbook (not a zip archive; damaged, "
            "truncated, or password-protected?)",
        ) from None
    total = sum(m.file_size for m in members)
    packed = sum(m.compress_size for m in members) or 1
    if total > MAX_UNCOMPRESSED_BYTES or (
        total > 50 * 1024**2 and total / packed > MAX_COMPRESSION_RATIO
    ):
        raise InputError(
            display,
            f"refused: it would unpack to {total / 1024**2:,.0f} MB "
            f"from {packed / 1024**2:,.1f} MB (a zip bomb?)",
        )


def _cell_text(value: object) -> str:
    """A spreadsheet cell as the text an export would carry.

    Numbers are written so that no reader can take them for another style: an integer as
    ``1234``, a fraction with a point (``1234.5``), and never exactly three decimals (``1.234``
    could be read as one thousand two hundred thirty-four), which get a fourth zero.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return ""
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        text = repr(value)
        if "e" in text or "E" in text:
            text = f"{value:.10f}".rstrip("0").rstrip(".")
        frac = text.partition(".")[2]
        return text + "0" if len(frac) == 3 else text
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time | dt.timedelta):
        return str(value)
    return str(value)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:200]

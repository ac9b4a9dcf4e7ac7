"""Read an export file into a table of text, however the CRM wrote it.

The result is every cell as text (IDs keep their leading zeros), the header row, the row
number a spreadsheet user sees for every data row, and the rows that were skipped (report
titles, blank lines, footers such as Salesforce's ``Grand Totals``) or could not be split into
the header's columns. Nothing is parsed as a number or date here: that is
:mod:`crm_roi.inputs.parse`.

CSV-like text goes through Arrow's multi-threaded CSV reader; a file whose rows don't all fit
the header (footers, blank lines, ragged rows) is read again with Python's ``csv`` module so
every row keeps its exact row number. Spreadsheets (xlsx, xlsm, xls, ods) are read by calamine.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import io
import mmap
import re
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from crm_roi.errors import InputError, RowIssue, Severity
from crm_roi.inputs import sniff
from crm_roi.inputs.mapping import known_headers
from crm_roi.inputs.parse import one_array
from crm_roi.inputs.source import stream_bytes

SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods")
# A real export compresses maybe 5-20 times; a crafted "zip bomb" thousands of times.
MAX_UNCOMPRESSED_BYTES = 4 * 1024**3
MAX_COMPRESSION_RATIO = 200
HEAD_BYTES = 256 * 1024
MAX_COLUMNS = 16_384  # as many as a spreadsheet holds
MAX_HEADER_BYTES = 4 * 1024**2
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Office's older container, and encrypted workbooks
# A UTF-8 file with a few bytes from a Windows program, those bytes read as cp1252.
UTF8_WITH_CP1252 = "utf-8+cp1252"


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
    sheet_note: str | None = None  # why this sheet: the active one, --sheet, …
    sha256: str = ""  # of the bytes read, hashed as they were read
    skipped: list[RowIssue] = field(default_factory=list)  # titles, blank rows, footers
    rejected: list[RowIssue] = field(default_factory=list)  # rows that don't fit the header
    locale_hint: str | None = None  # "," when the file is written the continental way

    def column(self, header: str) -> pa.Array:
        """One column's text as one array (without copying what is already one piece)."""
        assert header not in self.released, f"{header}: its text was let go"
        return one_array(self.data.column(self.headers.index(header)))

    released: set[str] = field(default_factory=set)  # columns whose text was let go

    def release_columns(self, headers: Iterable[str]) -> None:
        """Let go of some columns' text (parsed into values, and needed no more) while the
        others are still at work."""
        for header in headers:
            at = self.headers.index(header)
            self.data = self.data.set_column(at, self.data.field(at).name, pa.nulls(len(self.data)))
            self.released.add(header)

    def add_column(self, header: str, values: pa.Array) -> None:
        """A column derived from others (a CRM preset's), as if the file had it."""
        self.data = self.data.append_column(f"c{len(self.headers)}", values)
        self.headers.append(header)
        self.derived += 1

    derived: int = 0  # columns added by add_column, after the file's own

    @property
    def own_headers(self) -> list[str]:
        """The file's own headers, without the columns crm-roi derived."""
        return self.headers[: len(self.headers) - self.derived]

    read_rows: int = -1  # data rows read; kept when the text itself is let go

    @property
    def rows(self) -> int:
        """Data rows: those read plus those rejected for not fitting the header."""
        read = self.data.num_rows if self.read_rows < 0 else self.read_rows
        return int(read) + len(self.rejected)

    def release_text(self) -> None:
        """Let go of the text cells once they are parsed: on big inputs they are the bulk of
        memory. The counts, headers and detections stay."""
        self.read_rows = self.data.num_rows
        self.data = self.data.schema.empty_table()  # a slice would hold on to the buffers
        self.row_numbers = self.row_numbers[:0]


def read_table(path: Path, sheet: str | None = None) -> RawTable:
    """Read one input file; raises :class:`InputError` when it can't be read at all.

    Standard input (``-``) and pipes (``<(cmd)``) are read to the end; a device or socket is
    refused (see :mod:`crm_roi.inputs.source`)."""
    display = str(path)
    streamed = stream_bytes(path)
    if streamed is not None:
        return _read_stream(streamed, display, sheet)
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
    if size >= FROM_THE_FILE:
        table = _read_from_the_file(path, display)
        if table is not None:
            return table
    try:
        with path.open("rb") as handle:
            head = handle.read(HEAD_BYTES)
            _check_head(head, display)  # a 2 GB blob is refused from its first bytes
            handle.seek(0)
            raw = _read_all(handle, size)
    except OSError as exc:
        raise InputError(display, f"can't be read ({exc.strerror})") from None
    return _read_hashed(raw, display)


FROM_THE_FILE = 32 * 1024**2
SCAN_BYTES = 16 * 1024**2


def _read_from_the_file(path: Path, display: str) -> RawTable | None:
    """A big UTF-8 export parsed by Arrow from the file itself, never held whole in memory
    (a gigabyte less at the peak of a 10M-deal run) and hashed in a thread meanwhile. None
    for anything else, which is then read whole as any file is: another encoding, a NUL byte,
    a row that doesn't fit the header, a file that changed while it was read."""
    try:
        before = _identity(path)
        with path.open("rb") as handle:
            start = handle.read(MAX_HEADER_BYTES)
    except OSError:
        return None  # read whole, which says what is wrong
    _check_head(start[:HEAD_BYTES], display)
    encoding = sniff.detect_encoding(start[:HEAD_BYTES])
    if encoding not in ("utf-8", "utf-8-sig"):
        return None
    found = _scan(path)
    if found is None or found[1]:
        return None  # NULs are dropped from the text: read whole
    quotes, _, tail = found
    delimiter, first_rows, header_index, headers = _layout(start, encoding, display)
    with ThreadPoolExecutor(max_workers=1) as pool:
        digest = pool.submit(_file_sha256, path)
        try:
            table = _fast_read(
                pa.OSFile(str(path)), encoding, delimiter, header_index, headers, quotes, tail
            )
        except (_NotUtf8, OSError):
            table = None
        sha256 = digest.result()
    if table is None or sha256 is None or _identity(path) != before:
        return None
    table, row_numbers, skipped = _numbered(table, header_index, display)
    found_table = _finished(
        table, row_numbers, skipped, [], display, first_rows, header_index, headers, delimiter
    )
    found_table.encoding, found_table.sha256 = encoding, sha256
    return found_table


def _identity(path: Path) -> tuple[int, int, int, int]:
    st = path.stat()
    return st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns


def _scan(path: Path) -> tuple[bool, bool, bytes] | None:
    """Whether a file holds a quote, whether a NUL, and its last 4 kB: read in pieces into
    one buffer (no memory taken per piece)."""
    buffer = bytearray(SCAN_BYTES)
    quotes = nul = False
    try:
        with path.open("rb") as handle:
            while n := handle.readinto(buffer):
                quotes = quotes or buffer.find(b'"', 0, n) >= 0
                nul = nul or buffer.find(b"\x00", 0, n) >= 0
            handle.seek(max(0, handle.tell() - 4096))
            tail = handle.read()
    except OSError:
        return None
    return quotes, nul, tail


def _file_sha256(path: Path) -> str | None:
    try:
        with path.open("rb") as handle:
            return hashlib.file_digest(handle, "sha256").hexdigest()
    except OSError:
        return None


# The bytes of a file as read: a big file's in memory of its own (see _read_all).
Raw = bytes | mmap.mmap
HUGE_PAGES_FROM = 32 * 1024**2


def _read_all(handle: io.BufferedReader, size: int) -> Raw:
    """The whole file in one buffer (no copy of head and rest joined). From 32 MB on, in
    memory the kernel may back with 2 MB pages: a hundred thousand page faults fewer per
    gigabyte, a tenth of a second per 100 MB where faults are dear (virtual machines)."""
    if size < HUGE_PAGES_FROM or not hasattr(mmap, "MADV_HUGEPAGE"):
        return handle.read()
    buffer = mmap.mmap(-1, size)
    buffer.madvise(mmap.MADV_HUGEPAGE)
    got = handle.readinto(buffer)
    more = handle.read()
    if got == size and not more:
        return buffer
    return buffer[:got] + more  # the file changed size as it was read: what it holds now


def _hashed(table: RawTable, raw: Raw) -> RawTable:
    """The table, with the sha256 of exactly the bytes it was read from."""
    table.sha256 = hashlib.sha256(raw).hexdigest()
    return table


HASH_BESIDE_FROM = 4 * 1024**2


def _read_hashed(raw: Raw, display: str) -> RawTable:
    """The file's table and the sha256 of its bytes. A bigger file is hashed in a thread of its
    own while Arrow's threads parse it (hashing lets go of the GIL; the reading thread would
    only wait): 50 ms off a 100 MB file's read."""
    if len(raw) < HASH_BESIDE_FROM:
        return _hashed(_read_text(raw, display), raw)
    with ThreadPoolExecutor(max_workers=1) as pool:
        digest = pool.submit(lambda: hashlib.sha256(raw).hexdigest())
        table = _read_text(raw, display)
        table.sha256 = digest.result()
    return table


# Bytes cp1252 leaves undefined: a file holding them is some other single-byte code page
# (DOS's cp850 writes ü as 0x81).
_NOT_CP1252 = re.compile(b"[\x81\x8d\x8f\x90\x9d]")


def _windows(raw: Raw) -> str:
    """cp1252, the Windows code page; ISO 8859-1 when the bytes hold one cp1252 leaves
    undefined, so that every byte still reads as a character (and the user is told)."""
    return "latin-1" if _NOT_CP1252.search(raw) else "cp1252"


def _check_head(head: bytes, display: str) -> None:
    """Refuse, from a file's first bytes, what is no text export: a workbook under a text
    name, or binary data."""
    if head[:4] == b"PK\x03\x04" or head[:8] == OLE_MAGIC:
        raise InputError(display, "is a spreadsheet, not text: give it an .xlsx/.xls/.ods name")
    if sniff.looks_binary(head, sniff.detect_encoding(head)):
        raise InputError(display, "is not a text export (binary data); expected CSV, TSV or Excel")


def _read_stream(raw: bytes, display: str, sheet: str | None) -> RawTable:
    """Standard input or a pipe: text only (a workbook needs a file to be checked and read)."""
    if not raw:
        raise InputError(display, "is empty: nothing came through the pipe")
    if sheet is not None or raw[:4] == b"PK\x03\x04" or raw[:8] == OLE_MAGIC:
        raise InputError(display, "a workbook can't be read from a pipe: give its file name")
    return _hashed(_read_text(raw, display), raw)


# ---------------------------------------------------------------------------------------------
# CSV, TSV, TXT


def _read_text(raw: Raw, display: str) -> RawTable:
    raw, encoding, body_encoding = _decode_plan(raw, display)
    delimiter, first_rows, header_index, headers = _layout(raw, body_encoding, display)
    try:
        # Arrow checks the UTF-8 as it reads: no separate pass over the whole file.
        table = _fast_read(raw, body_encoding, delimiter, header_index, headers)
    except _NotUtf8:
        table = None
    if table is None:
        settled, raw = _settle_encoding(raw, body_encoding)
        if settled != body_encoding:  # the head was UTF-8, a later part is not
            body_encoding = _windows(raw) if settled == "cp1252" else "utf-8"
            encoding = body_encoding if settled == "cp1252" else settled
            table = _fast_read(raw, body_encoding, delimiter, header_index, headers)
    if table is None:
        table, row_numbers, skipped, rejected = _careful_read(
            bytes(raw).decode(body_encoding, errors="replace"),
            display,
            delimiter,
            header_index,
            headers,
        )
    else:
        table, row_numbers, skipped = _numbered(table, header_index, display)
        rejected = []
    raw_table = _finished(
        table, row_numbers, skipped, rejected, display, first_rows, header_index, headers, delimiter
    )
    raw_table.encoding = encoding
    return raw_table


def _layout(raw: Raw, encoding: str, display: str) -> tuple[str, list[list[str]], int, list[str]]:
    """From a file's first bytes: its delimiter, its first rows, which is the header, and the
    header's names (made unique)."""
    head = raw[:HEAD_BYTES].decode(encoding, errors="replace").removeprefix("\ufeff")
    if not head.strip():
        raise InputError(display, "the file is empty (only blank lines)")
    delimiter = sniff.detect_delimiter(head)
    first_rows, header_index = _header_rows(raw, head, delimiter, encoding, display)
    return delimiter, first_rows, header_index, sniff.dedupe_headers(first_rows[header_index])


def _numbered(
    table: pa.Table, header_index: int, display: str
) -> tuple[pa.Table, np.ndarray, list[RowIssue]]:
    """Arrow's rows, each with its row number in the file, blank rows skipped."""
    row_numbers = np.arange(header_index + 2, header_index + 2 + table.num_rows, dtype=np.int64)
    return _drop_blank(table, row_numbers, display)


def _finished(
    table: pa.Table,
    row_numbers: np.ndarray,
    skipped: list[RowIssue],
    rejected: list[RowIssue],
    display: str,
    first_rows: list[list[str]],
    header_index: int,
    headers: list[str],
    delimiter: str,
) -> RawTable:
    """The table read, with the title rows above the header and the footer rows below it
    counted as skipped."""
    skipped = _titles(display, first_rows[:header_index]) + skipped
    table, row_numbers, tail = _drop_footer(table, row_numbers, display)
    return RawTable(
        path=display,
        format="tsv" if delimiter == "\t" else "csv",
        headers=headers,
        data=table,
        row_numbers=row_numbers,
        header_row=header_index + 1,
        delimiter=delimiter,
        skipped=sorted(skipped + tail, key=lambda i: i.row),
        rejected=rejected,
        # csv-sniffing: a ";"-separated file is written the continental way (decimal comma,
        # day-first dates); the columns' own values still decide first.
        locale_hint="," if delimiter == ";" else None,
    )


def _decode_plan(raw: Raw, display: str) -> tuple[Raw, str, str]:
    """The bytes to read (UTF-16 and stray Windows bytes re-encoded as UTF-8, NULs dropped),
    the encoding to name, and the one to decode the bytes with."""
    encoding = sniff.detect_encoding(raw[:HEAD_BYTES])
    if sniff.looks_binary(raw[:HEAD_BYTES], encoding):
        raise InputError(display, "is not a text export (binary data); expected CSV, TSV or Excel")
    if encoding.startswith("utf-16"):
        # Excel's "Unicode text": re-encode once, then read like any UTF-8 file.
        try:
            raw = bytes(raw).decode(encoding).encode("utf-8")
        except UnicodeDecodeError as exc:
            raise InputError(
                display, f"is not valid {encoding.upper()} text ({exc.reason})"
            ) from None
        text_encoding, encoding = "utf-8", "utf-16"
    elif encoding == "cp1252" and sniff.mostly_utf8(raw[:HEAD_BYTES]):
        raw = sniff.decode_utf8_with_strays(bytes(raw)).encode("utf-8")
        text_encoding, encoding = "utf-8", UTF8_WITH_CP1252
    else:
        text_encoding = encoding = _windows(raw) if encoding == "cp1252" else encoding
    if raw.find(b"\x00") >= 0:  # (find: an mmap's "in" goes byte by byte)
        # NULs are never data: a legacy system padding its values. (The careful path and the
        # Arrow path must see the same text.)
        raw = bytes(raw).replace(b"\x00", b"")
    return raw, encoding, text_encoding


def _header_rows(
    raw: Raw, head: str, delimiter: str, encoding: str, display: str
) -> tuple[list[list[str]], int]:
    """The first rows and which of them is the header; a header must be a row that ends."""
    first_rows = sniff.parse_lines(head, delimiter, limit=60)
    header_index = sniff.find_header_row(first_rows, known_headers())
    if len(raw) > HEAD_BYTES and header_index == len(first_rows) - 1:
        # The header may be cut off where the head ends: a very wide export. Read on until
        # it ends, up to a limit; a "header" longer than that is no export.
        head = raw[:MAX_HEADER_BYTES].decode(encoding, errors="replace").removeprefix("\ufeff")
        first_rows = sniff.parse_lines(head, delimiter, limit=header_index + 2)
        if len(first_rows) < header_index + 2:
            raise InputError(
                display,
                f"row {header_index + 1} runs on past the first {MAX_HEADER_BYTES // 1024**2} MB "
                "without a line break: not a CSV export",
            )
    raw_headers = first_rows[header_index]
    if not any(h.strip() for h in raw_headers):
        raise InputError(display, "the header row is blank")
    if len(raw_headers) > MAX_COLUMNS:
        raise InputError(
            display,
            f"the header has {len(raw_headers):,} columns, more than a spreadsheet can hold "
            f"({MAX_COLUMNS:,}): not a CRM export",
        )
    return first_rows, header_index


def _settle_encoding(raw: Raw, encoding: str) -> tuple[str, Raw]:
    """The encoding the whole file decodes with, and the bytes to read.

    UTF-8 that fails later on is cp1252 (a Windows export whose first part is plain ASCII),
    unless the file is mostly UTF-8 characters: then it is UTF-8 with a few bytes pasted from
    a Windows program, and those bytes are read as cp1252 (``Müller`` stays ``Müller``).
    """
    if encoding not in ("utf-8", "utf-8-sig"):
        return encoding, raw
    raw = bytes(raw)
    try:
        raw.decode(encoding)
    except UnicodeDecodeError:
        if sniff.mostly_utf8(raw):
            return UTF8_WITH_CP1252, sniff.decode_utf8_with_strays(raw).encode("utf-8")
        # A byte-order mark read as cp1252 would become "ï»¿" in the first header.
        return "cp1252", raw.removeprefix(codecs.BOM_UTF8)
    return encoding, raw


def _fast_read(
    raw: Raw | pa.NativeFile,
    encoding: str,
    delimiter: str,
    header_index: int,
    headers: list[str],
    quotes: bool | None = None,
    tail: bytes | None = None,
) -> pa.Table | None:
    """Arrow's CSV reader, or None when a row doesn't fit the header (the careful path then).
    ``raw``: the bytes, or the file itself; then ``quotes`` (does it hold one) and ``tail``
    (its last 4 kB) are known from a scan of it."""
    misfits: list[object] = []

    def on_invalid(row: object) -> str:
        misfits.append(row)
        return "skip"

    names = [f"c{i}" for i in range(len(headers))]
    try:
        table = pacsv.read_csv(
            raw if isinstance(raw, pa.NativeFile) else pa.BufferReader(raw),
            read_options=pacsv.ReadOptions(
                skip_rows=header_index + 1,
                column_names=names,
                encoding="utf8" if encoding.startswith("utf-8") else encoding,
                block_size=_block_size(raw),
            ),
            parse_options=pacsv.ParseOptions(
                delimiter=delimiter,
                # A line break can only be inside a value between quotes: a file without a
                # quote is split at every line break, which Arrow does a third faster.
                newlines_in_values=quotes if quotes is not None else raw.find(b'"') >= 0,
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
    if misfits or _ends_in_an_open_quote(table, tail if tail is not None else raw):
        return None
    names, columns = table.column_names, table.columns
    del table  # the columns' pieces are held by ``columns`` alone: joined, they can go
    return _in_one_piece(names, columns)


def _block_size(raw: Raw | pa.NativeFile) -> int:
    """Arrow parses a block per thread. Fewer blocks, fewer pieces of each column to join:
    16 MB for most files (a million deals read in 0.85 GB, not 1 GB with 64 MB blocks); 64 MB
    from 512 MB, where the pieces' holes in the heap are then big enough to serve later
    arrays (ten million deals: a peak of 4.2 GB, not 4.6 GB)."""
    size = raw.size() if isinstance(raw, pa.NativeFile) else len(raw)
    return (64 if size >= 512 << 20 else 16) << 20


def _in_one_piece(names: list[str], columns: list[pa.ChunkedArray]) -> pa.Table:
    """Each column as one array (Arrow reads a file in blocks, a piece per block per column):
    every later step works on whole columns. A column's pieces are let go as soon as they
    are joined (``columns`` must be their only holder): the text is never held twice (10M
    deals: 1.35 GB of Arrow's memory at most, not 2.7 GB)."""
    for i, column in enumerate(columns):
        if column.num_chunks != 1:
            columns[i] = pa.chunked_array([column.combine_chunks()], column.type)
        del column
    return pa.table(columns, names=names)


def _ends_in_an_open_quote(table: pa.Table, raw: Raw) -> bool:
    """Arrow reads a quote that is never closed into the last value, to the end of the file,
    without a word: the last value then holds a line break, and the file doesn't end in the
    quote that would close it. The careful path tells which row it was."""
    if not table.num_rows or not table.num_columns:
        return False
    last = table.column(table.num_columns - 1)[table.num_rows - 1].as_py()
    return ("\n" in last or "\r" in last) and not raw[-4096:].rstrip().endswith(b'"')


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
    for index, row, broken in _records(text.replace("\x00", ""), display, delimiter):
        if index <= header_index:
            continue
        number = index + 1
        if broken:
            rejected.append(
                RowIssue(
                    display,
                    number,
                    "",
                    _preview(row),
                    "a quote opened in this row is never closed, which would make the rest "
                    "of the file one value: the row is left out, the next line read on",
                    code="quote",
                )
            )
            continue
        if not any(c.strip() for c in row):
            skipped.append(
                RowIssue(display, number, "", "", "blank row, skipped", Severity.WARNING, "blank")
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
    table = pa.table({f"c{i}": pa.array(col, pa.string()) for i, col in enumerate(columns)})
    return table, np.asarray(numbers, dtype=np.int64), skipped, rejected


# Put after the text to see whether a quoted value runs to the end of the file: NULs are taken
# out of the text, so this is never data.
_END = "\x00end\x00"


def _records(text: str, display: str, delimiter: str) -> Iterator[tuple[int, list[str], bool]]:
    """The text's records, numbered from 0, and whether each is a broken one.

    A quote that is opened and never closed would make the rest of the file one value, and
    every row after it would be lost without a word. Such a record comes back broken (its
    first line as its one cell), and reading goes on at the line after that one.
    """
    source = text + (_END if text.endswith(("\n", "\r")) else "\n" + _END)
    index, skip, broken = 0, 0, False  # record number; physical lines to pass over
    while True:
        # newline="": rows may end in \r\n, \n or a lone \r (Excel for Mac's "CSV (Macintosh)").
        lines = io.StringIO(source, newline="")
        first = ""
        for _ in range(skip):
            first = next(lines)
        if broken:
            yield index, [first.rstrip("\r\n")], True
            index += 1
        reader = csv.reader(lines, delimiter=delimiter)
        start = skip  # physical lines before the record being read
        try:
            for row in reader:
                if row and row[-1].endswith(_END):
                    break
                yield index, row, False
                index += 1
                start = skip + reader.line_num
            else:
                return
        except csv.Error as exc:
            raise InputError(
                display, f"row {index + 1}: the CSV can't be split into fields ({exc})"
            ) from None
        if row == [_END]:
            return
        skip, broken = start + 1, True  # the record on line start + 1 runs to the end


def _drop_blank(
    table: pa.Table, row_numbers: np.ndarray, display: str
) -> tuple[pa.Table, np.ndarray, list[RowIssue]]:
    """Remove rows whose every cell is blank (an empty line, or ``,,,,``), as the careful
    path does: they are skipped and mentioned, not data."""
    if not table.num_rows or not table.num_columns:
        return table, row_numbers, []
    rows: np.ndarray | None = None  # the rows blank in every column so far
    for column in table.columns:
        values = column if rows is None else column.take(pa.array(rows))
        empty = pc.equal(pc.utf8_trim_whitespace(values), "").to_numpy()
        rows = np.flatnonzero(empty) if rows is None else rows[empty]
        if not len(rows):  # usually settled by the first column
            return table, row_numbers, []
    blank = np.zeros(table.num_rows, dtype=bool)
    blank[rows] = True
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
        elif sniff.is_footer(cells):
            found.append(_footer_issue(display, number, cells))
        elif (
            _filled(cells) == 1
            and cells[0].strip()  # a note starts the line; a lone value further on is data
            and offset
            and (
                not any(str(v).strip() for v in tail[offset - 1].values())
                or row_numbers[n - look + offset - 1] < number - 1  # a blank line left out
            )
        ):
            # A lone label after a blank line at the end ("Report run by Jan"): a note.
            found.append(_footer_issue(display, number, cells, "a lone line after a blank line"))
        else:
            break
        cut = n - look + offset
    if cut == n:
        return table, row_numbers, []
    return table.slice(0, cut), row_numbers[:cut], sorted(found, key=lambda i: i.row)


def _filled(cells: Sequence[str]) -> int:
    return sum(1 for c in cells if c.strip())


def _titles(display: str, rows: Sequence[Sequence[str]]) -> list[RowIssue]:
    """The report titles above the header (blank lines among them say nothing)."""
    return [
        RowIssue(
            display,
            i + 1,
            "",
            _preview(r),
            "title above the header, skipped",
            Severity.WARNING,
            "title",
        )
        for i, r in enumerate(rows)
        if any(c.strip() for c in r)
    ]


def _footer_issue(
    display: str, number: int, cells: Sequence[str], what: str = "footer line"
) -> RowIssue:
    return RowIssue(
        display, number, "", _preview(cells), f"{what}, skipped", Severity.WARNING, "footer"
    )


def _preview(cells: Sequence[object], limit: int = 80) -> str:
    text = " | ".join(str(c) for c in cells if str(c).strip())
    return text if len(text) <= limit else text[: limit - 1] + "…"


# ---------------------------------------------------------------------------------------------
# Spreadsheets


def _read_spreadsheet(path: Path, display: str, sheet: str | None) -> RawTable:
    suffix = path.suffix.lower().lstrip(".")
    try:
        before = _signature(path)
        data = path.read_bytes()  # checked and hashed from these bytes; calamine reads the file
    except OSError as exc:
        raise InputError(display, f"can't be read ({exc.strerror})") from None
    if suffix in ("xlsx", "xlsm", "xlsb", "ods"):
        _check_zip(data, display, suffix)
        _check_cells(data, display, suffix)
    workbook = _open_workbook(path, display)
    if _signature(path) != before:
        raise InputError(display, "changed while it was read: read it again when it is written")
    chosen, rows, how = _sheet_rows(workbook, display, sheet, _active_sheet(data, suffix))
    text_rows = [[_cell_text(c) for c in r] for r in rows]
    header_index = sniff.find_header_row(text_rows[:60], known_headers())
    headers = sniff.dedupe_headers(text_rows[header_index])
    table, row_numbers, skipped = _sheet_table(text_rows, header_index, len(headers), display)
    return RawTable(
        path=display,
        format=suffix,
        headers=headers,
        data=table,
        row_numbers=row_numbers,
        header_row=header_index + 1,
        sheet=chosen,
        sheet_note=how,
        skipped=skipped,
        sha256=hashlib.sha256(data).hexdigest(),
    )


def _open_workbook(path: Path, display: str) -> Any:
    # lazily: only spreadsheets need calamine
    from python_calamine import CalamineWorkbook, PasswordError

    try:
        return CalamineWorkbook.from_path(str(path))
    except PasswordError:  # an .xls saved with a password
        raise InputError(display, PASSWORD_PROTECTED) from None
    except Exception as exc:  # calamine raises its own error types per format
        raise InputError(
            display, f"can't be opened as a spreadsheet ({_first_line(exc)})"
        ) from None


def _sheet_rows(
    workbook: Any, display: str, sheet: str | None, active_index: int | str | None
) -> tuple[str, Sequence[Sequence[object]], str]:
    """The sheet to read — ``--sheet``, else the active sheet, else the first visible one with
    data; hidden sheets only when named —, its rows, and why it was chosen."""
    from python_calamine import SheetVisibleEnum

    names = list(workbook.sheet_names)
    if not names:
        raise InputError(display, "the workbook has no sheets")
    if sheet is not None and sheet not in names:
        raise InputError(
            display, f"has no sheet {sheet!r}; sheets are {', '.join(map(repr, names))}"
        )
    hidden = [m.name for m in workbook.sheets_metadata if m.visible != SheetVisibleEnum.Visible]
    active = active_index
    if isinstance(active_index, int):
        active = names[active_index] if active_index < len(names) else None
    order = [n for n in names if n not in hidden]
    if active in order:  # the sheet the workbook opens on comes first
        order.remove(active)
        order.insert(0, active)
    for name in [sheet] if sheet is not None else order:
        try:
            rows = workbook.get_sheet_by_name(name).to_python(skip_empty_area=False)
        except Exception as exc:
            raise InputError(
                display, f"sheet {name!r} can't be read ({_first_line(exc)})"
            ) from None
        if any(any(_cell_text(c).strip() for c in r) for r in rows[:1000]):
            return name, rows, _why_sheet(name, sheet, active, hidden)
    if sheet is None and hidden:
        raise InputError(
            display,
            f"every visible sheet is empty; hidden sheets ({', '.join(map(repr, hidden))}) "
            "are read only when named: pass --sheet NAME",
        )
    raise InputError(
        display, "every sheet is empty" if sheet is None else f"sheet {sheet!r} is empty"
    )


def _why_sheet(chosen: str, named: str | None, active: object, hidden: list[str]) -> str:
    how = (
        "named by --sheet"
        if named is not None
        else "the active sheet"
        if chosen == active
        else "the first visible sheet with data"
    )
    if named is not None and named in hidden:
        return how + ", a hidden sheet"
    if hidden:
        return how + f"; hidden sheets not read: {', '.join(map(repr, hidden))}"
    return how


def _sheet_table(
    text_rows: list[list[str]], header_index: int, width: int, display: str
) -> tuple[pa.Table, np.ndarray, list[RowIssue]]:
    """The rows below the header as a table of text: blank rows and footers skipped (listed)."""
    body = text_rows[header_index + 1 :]
    skipped = _titles(display, text_rows[:header_index])
    keep: list[int] = []
    for i, r in enumerate(body):
        if any(c.strip() for c in r):
            keep.append(i)
        else:
            number = header_index + 2 + i
            skipped.append(
                RowIssue(display, number, "", "", "blank row, skipped", Severity.WARNING, "blank")
            )
    columns = {
        f"c{j}": pa.array([body[i][j] if j < len(body[i]) else "" for i in keep], pa.string())
        for j in range(width)
    }
    row_numbers = np.asarray([header_index + 2 + i for i in keep], dtype=np.int64)
    table, row_numbers, tail = _drop_footer(pa.table(columns), row_numbers, display)
    blank_tail = {i.row for i in tail}
    skipped = [s for s in skipped if s.row not in blank_tail] + tail
    return table, row_numbers, sorted(skipped, key=lambda i: i.row)


def _signature(path: Path) -> tuple[int, int, int]:
    """Size, modification time and inode: what changes when a file is written again."""
    info = path.stat()
    return info.st_size, info.st_mtime_ns, info.st_ino


def _active_sheet(data: bytes, suffix: str) -> int | str | None:
    """The sheet a workbook opens on: xlsx's ``activeTab`` (an index), ODS's ``ActiveTable``
    (a name)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if suffix in ("xlsx", "xlsm"):
                text = archive.read("xl/workbook.xml")[:1_000_000]
                found = re.search(rb'<workbookView\b[^>]*?\bactiveTab="([0-9]+)"', text)
                return int(found.group(1)) if found else 0  # an index into the sheets
            if suffix == "ods" and "settings.xml" in archive.namelist():
                text = archive.read("settings.xml")[:1_000_000]
                found = re.search(rb'config:name="ActiveTable"[^>]*>([^<]*)<', text)
                return found.group(1).decode("utf-8", "replace") if found else None
    except (zipfile.BadZipFile, KeyError, OSError):
        return None
    return None


MAX_CELLS = 20_000_000  # rows × columns of one sheet's data: about 1M rows × 20 columns


def _check_cells(data: bytes, display: str, suffix: str) -> None:
    """Refuse a sheet whose data would span more than ``MAX_CELLS`` cells, before the reader
    makes room for them all: one stray cell at XFD1048576 asks for 17 billion."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if suffix in ("xlsx", "xlsm"):
                members = [
                    m for m in archive.namelist() if re.fullmatch(r"xl/worksheets/[^/]+\.xml", m)
                ]
                spans = [_xlsx_span(archive, m) for m in members]
            elif suffix == "ods" and "content.xml" in archive.namelist():
                spans = _ods_spans(archive)
            else:
                return
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        # A member larger than it says, or corrupt: zipfile stops at the declared size.
        raise InputError(
            display,
            "is a damaged workbook: a part of it is larger than its declared uncompressed size, "
            f"or corrupt ({_first_line(exc)})",
        ) from None
    for rows, columns in spans:
        if rows * columns > MAX_CELLS:
            raise InputError(
                display,
                f"a sheet's data would span {rows:,} rows × {columns:,} columns, more than the "
                f"{MAX_CELLS:,} cells crm-roi reads (a stray value far below or right of the "
                "data?): clear what lies outside the data, or save the sheet as CSV",
            )


_VALUED = rb'\br="([A-Z]{%d})([0-9]+)"[^>]*?(?<!/)>'  # a cell with a value: not <c …/>
_XLSX_ROW = re.compile(rb'<row\b[^>]*?\br="([0-9]+)"')


def _xlsx_span(archive: zipfile.ZipFile, member: str) -> tuple[int, int]:
    """The rows and columns an xlsx sheet's valued cells reach, read as a stream. A row counts
    when it holds a value (``</v>``, ``</is>``): a styled, empty row far below does not."""
    rows = columns = current = 0  # current: the row the stream is in
    tail = b""
    wide = [re.compile(_VALUED % n) for n in (3, 2)]
    with archive.open(member) as stream:
        while chunk := stream.read(1 << 22):
            data = tail + chunk
            cut = data.rfind(b"<")
            data, tail = data[:cut], data[cut:]
            starts = [(m.start(), int(m.group(1))) for m in _XLSX_ROW.finditer(data)]
            last = max(data.rfind(b"</v>"), data.rfind(b"</is>"))
            if last >= 0:
                inside = [n for at, n in starts if at < last]
                rows = max(rows, inside[-1] if inside else current)
            if starts:
                current = starts[-1][1]
            for pattern in wide:  # sane sheets have no values past column Z: no matches
                for letters, row in pattern.findall(data):
                    columns = max(columns, _column_number(letters))
                    rows = max(rows, int(row))
    return rows, max(columns, 26 if rows else 0)


def _column_number(letters: bytes) -> int:
    number = 0
    for c in letters:
        number = number * 26 + c - 64
    return number


_ODS_TAG = re.compile(rb"<(/?)table:(table-row|table-cell|covered-table-cell|table)\b([^>]*?)(/?)>")
_REPEAT = re.compile(rb'number-(?:rows|columns)-repeated="([0-9]+)"')


def _ods_spans(archive: zipfile.ZipFile) -> list[tuple[int, int]]:
    """Per table of an ODS, the rows and columns its valued cells reach, counting repeats."""
    spans: list[tuple[int, int]] = []
    row = col = reach_r = reach_c = 0
    row_rep, row_valued = 1, False
    tail = b""
    with archive.open("content.xml") as stream:
        while chunk := stream.read(1 << 22):
            data = tail + chunk
            cut = data.rfind(b"<")
            data, tail = data[:cut], data[cut:]
            for closing, name, attrs, empty in _ODS_TAG.findall(data):
                repeat = _REPEAT.search(attrs)
                n = int(repeat.group(1)) if repeat else 1
                if name == b"table":
                    if closing:
                        spans.append((reach_r, reach_c))
                    row = col = reach_r = reach_c = 0
                elif name == b"table-row":
                    if closing:
                        if row_valued:
                            reach_r = max(reach_r, row + row_rep)
                        row += row_rep
                    elif empty:
                        row += n
                    else:
                        col, row_rep, row_valued = 0, n, False
                elif not closing:
                    if not empty or b"value-type" in attrs:
                        reach_c, row_valued = max(reach_c, col + n), True
                    col += n
    return spans


def _check_zip(data: bytes, display: str, suffix: str) -> None:
    """Refuse a workbook that is no zip, or whose declared contents would blow up in memory."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except zipfile.BadZipFile:
        raise InputError(display, _not_a_zip(data, suffix)) from None
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


def _not_a_zip(data: bytes, suffix: str) -> str:
    """Why a workbook that should be a zip archive is none, as far as its bytes tell."""
    if data[:8] != OLE_MAGIC:
        return "is not a valid workbook (not a zip archive; damaged or truncated?)"
    # Excel keeps a password-protected workbook, encrypted, in an OLE container's
    # "EncryptedPackage" stream; the stream names are in UTF-16.
    if data.find("EncryptedPackage".encode("utf-16-le")) != -1:
        return PASSWORD_PROTECTED
    return (
        f"is not a valid .{suffix} workbook but an older Office file (an Excel "
        "97-2003 .xls?): give it its own extension, or save it again as .xlsx"
    )


PASSWORD_PROTECTED = (
    "is password-protected (encrypted), so it can't be read: save a copy without the password "
    "and read that"
)


def _cell_text(value: object) -> str:
    """A spreadsheet cell as the text an export would carry.

    Numbers are written so that no reader can take them for another style: an integer as
    ``1234``, a fraction with a point (``1234.5``), and never exactly three decimals (``1.234``
    could be read as one thousand two hundred thirty-four), which get a fourth zero.
    """
    if type(value) is str:
        return value  # most cells: first, before the type checks
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

"""Write the hostile-input corpus: one small file per broken or malicious case.

Run ``python tests/corpus/make_corpus.py`` to (re)write every file beside this script; the
output is byte-for-byte the same on every run (no timestamps, a fixed random seed), so the
committed files only change when a case does. What each file should do is asserted in
``tests/test_corpus.py``; the cases too big to commit (a 10 MB line, thousands of columns,
a zip bomb that lies about its size) are written there, at test time, by the functions below.

Spreadsheets are written as the minimal zip of XML that Excel and calamine read, not with
openpyxl, so that they are small, deterministic and can be broken on purpose.
"""

from __future__ import annotations

import random
import struct
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path
from xml.sax.saxutils import escape

HERE = Path(__file__).resolve().parent

HEADER = "Deal ID,Company,Amount,Currency,Stage,Created Date,Close Date,Lead Source,Owner"


def deal(
    deal_id: str = "D-1",
    company: str = "Acme BV",
    amount: str = "100.00",
    stage: str = "Closed Won",
    created: str = "2024-01-02",
    closed: str = "2024-02-01",
    source: str = "Referral",
    owner: str = "Sanne de Vries",
    currency: str = "EUR",
) -> str:
    """One deals row in HEADER's order (values are written as given: quote them yourself)."""
    return ",".join((deal_id, company, amount, currency, stage, created, closed, source, owner))


def good_rows(n: int, start: int = 1) -> list[str]:
    return [deal(f"D-{i}", f"Company {i}", f"{i * 100}.00") for i in range(start, start + n)]


def crlf(lines: Sequence[str]) -> bytes:
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


# --- text files -----------------------------------------------------------------------------


def binary_garbage() -> bytes:
    rng = random.Random(7)
    return bytes(rng.randrange(256) for _ in range(4096))


def nul_bytes() -> bytes:
    # A legacy system padding a value with NULs; the rest of the file is plain text.
    rows = good_rows(3)
    rows[1] = deal("D-2", "Null\x00\x00 Padded BV", "200.00")
    return crlf([HEADER, *rows])


def mixed_line_endings() -> bytes:
    rows = good_rows(4)
    return (HEADER + "\r\n" + rows[0] + "\n" + rows[1] + "\r" + rows[2] + "\r\n" + rows[3]).encode()


def quoted_newlines() -> bytes:
    rows = [
        deal("D-1"),
        deal("D-2", '"Multi\r\nLine\nCompany BV"', "200.00"),
        deal("D-3", '"Quote ""inside"", and a comma"', "300.00"),
        deal("D-4", amount="400.00"),
    ]
    return crlf([HEADER, *rows])


def unbalanced_quotes() -> bytes:
    # Row 3 opens a quote that never closes: everything after it is one value.
    rows = [deal("D-1"), deal("D-2", '"Open Quote BV', "200.00"), deal("D-3"), deal("D-4")]
    return crlf([HEADER, *rows])


def duplicated_headers() -> bytes:
    header = "Deal ID,Amount,Stage,Close Date,Amount,Stage,Deal ID"
    rows = [
        "D-1,100.00,Closed Won,2024-02-01,999.99,Closed Lost,X-1",
        "D-2,200.00,Closed Won,2024-02-02,888.88,Closed Lost,X-2",
    ]
    return crlf([header, *rows])


def blank_header() -> bytes:
    return crlf([" , ,\t, ,   ,", "D-1,100.00,Closed Won,2024-02-01,x,y", "D-2,200.00,Open,,x,y"])


def invalid_utf8() -> bytes:
    # UTF-8 throughout ("Müller", "Zoë"), except one byte from a cp1252 paste ("Café" as \xe9)
    # and one byte that is nothing at all (\xff).
    rows = good_rows(3)
    text = crlf([HEADER, deal("D-1", "Müller GmbH"), *rows[1:], deal("D-9", "Zoë Ltd")])
    cafe = crlf([deal("D-10", "Café Noir")]).replace("é".encode(), b"\xe9")
    return text + cafe + crlf([deal("D-11", "Bad # Byte")]).replace(b"#", b"\xff")


def bom_in_middle() -> bytes:
    # Two exports glued together: the second brings its own byte-order mark and header.
    first = crlf([HEADER, *good_rows(2)])
    second = crlf([HEADER, *good_rows(2, start=3)])
    return b"\xef\xbb\xbf" + first + b"\xef\xbb\xbf" + second + crlf([deal("\ufeffD-5")])


def amounts_hostile() -> bytes:
    bad = ["1e309", "NaN", "inf", "-inf", "--5", "5-", "1.2.3", "€€5", "Infinity", "0x10"]
    rows = [deal("D-1", amount="100.00")]
    rows += [deal(f"D-{i}", amount=value) for i, value in enumerate(bad, start=2)]
    rows.append(deal("D-99", amount='"1,234.50"'))
    return crlf([HEADER, *rows])


def dates_hostile() -> bytes:
    bad = ["2024-02-30", "0000-00-00", "31/31/2024", "-1", "9999-12-31", "2024-13-01", "0"]
    rows = [deal("D-1", closed="2024-02-01")]
    rows += [deal(f"D-{i}", closed=value) for i, value in enumerate(bad, start=2)]
    return crlf([HEADER, *rows])


IDS = ["00123", "0001", "1e5", "2024-01-02", "1.50", "12345678901234567890", "0x1F", "007"]


def ids_leading_zeros() -> bytes:
    rows = [deal(i, amount=f"{n}.00") for n, i in enumerate(IDS, start=1)]
    return crlf([HEADER, *rows])


FORMULAS = ["=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1:A2)", '=HYPERLINK("http://x")']


def quoted(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


def formula_cells() -> bytes:
    # Formula-looking text in a breakdown dimension (Lead Source), a text field (Company) and
    # an amount that is rejected (so it lands in the rejected-rows listing).
    rows = [
        deal(f"D-{n}", quoted(v), f"{n}00.00", source=quoted(v))
        for n, v in enumerate(FORMULAS, start=1)
    ]
    rows.append(deal("D-9", amount="=1+1"))
    return crlf([HEADER, *rows])


# --- spreadsheets ---------------------------------------------------------------------------

Cell = str | int | float | tuple[str, float] | None  # ("date", serial) is a date-formatted cell
FIXED_TIME = (2024, 1, 1, 0, 0, 0)

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    "{sheets}"
    '<Override PartName="/xl/styles.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    '<Override PartName="/xl/sharedStrings.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
    "</Types>"
)
SHEET_TYPE = (
    '<Override PartName="/xl/worksheets/sheet{n}.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
)
ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
RNS = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
STYLES = (
    f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><styleSheet {NS}>'
    '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="1"><fill><patternFill patternType="none"/></fill></fills>'
    '<borders count="1"><border/></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    "</cellXfs></styleSheet>"
)


def _column(index: int) -> str:
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(65 + rest) + name
    return name


def _cell(ref: str, value: Cell, strings: list[str]) -> str:
    if value is None:
        return ""
    if isinstance(value, tuple):
        return f'<c r="{ref}" s="1"><v>{value[1]!r}</v></c>'
    if isinstance(value, int | float):
        return f'<c r="{ref}"><v>{value!r}</v></c>'
    strings.append(value)
    return f'<c r="{ref}" t="s"><v>{len(strings) - 1}</v></c>'


def sheet_xml(rows: Sequence[Sequence[Cell]], strings: list[str]) -> str:
    body = "".join(
        f'<row r="{r}">'
        + "".join(_cell(f"{_column(c)}{r}", v, strings) for c, v in enumerate(row))
        + "</row>"
        for r, row in enumerate(rows, start=1)
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet {NS}>'
        f"<sheetData>{body}</sheetData></worksheet>"
    )


def shared_strings_xml(strings: Sequence[str]) -> str:
    items = "".join(f'<si><t xml:space="preserve">{escape(s)}</t></si>' for s in strings)
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><sst {NS} '
        f'count="{len(strings)}" uniqueCount="{len(strings)}">{items}</sst>'
    )


def xlsx_members(sheets: dict[str, Sequence[Sequence[Cell]]]) -> dict[str, str | bytes]:
    """The parts of a minimal workbook, one worksheet per entry (none for an empty dict)."""
    strings: list[str] = []
    names = list(sheets)
    entries = "".join(
        f'<sheet name="{escape(name)}" sheetId="{n}" r:id="rId{n}"/>'
        for n, name in enumerate(names, start=1)
    )
    rels = "".join(
        f'<Relationship Id="rId{n}" Type="{REL}worksheet" Target="worksheets/sheet{n}.xml"/>'
        for n in range(1, len(names) + 1)
    )
    k = len(names)
    rels += f'<Relationship Id="rId{k + 1}" Type="{REL}styles" Target="styles.xml"/>'
    rels += f'<Relationship Id="rId{k + 2}" Type="{REL}sharedStrings" Target="sharedStrings.xml"/>'
    members: dict[str, str | bytes] = {
        "[Content_Types].xml": CONTENT_TYPES.format(
            sheets="".join(SHEET_TYPE.format(n=n) for n in range(1, k + 1))
        ),
        "_rels/.rels": ROOT_RELS,
        "xl/workbook.xml": (
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><workbook {NS} {RNS}>'
            f"<sheets>{entries}</sheets></workbook>"
        ),
        "xl/_rels/workbook.xml.rels": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships '
            f'xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{rels}'
            "</Relationships>"
        ),
        "xl/styles.xml": STYLES,
    }
    for n, name in enumerate(names, start=1):
        members[f"xl/worksheets/sheet{n}.xml"] = sheet_xml(sheets[name], strings)
    members["xl/sharedStrings.xml"] = shared_strings_xml(strings)
    return members


def zip_bytes(members: dict[str, str | bytes], path: Path) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            info = zipfile.ZipInfo(name, FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)


def write_xlsx(path: Path, sheets: dict[str, Sequence[Sequence[Cell]]]) -> None:
    zip_bytes(xlsx_members(sheets), path)


DEALS_HEADER: list[Cell] = ["Deal ID", "Company", "Amount", "Stage", "Close Date"]


def small_deals() -> list[list[Cell]]:
    return [
        DEALS_HEADER,
        ["D-1", "Acme BV", 100.0, "Closed Won", ("date", 45323.0)],
        ["D-2", "Beta NV", 200.5, "Closed Lost", ("date", 45324.0)],
    ]


def truncated(path: Path) -> None:
    write_xlsx(path, {"Deals": small_deals()})
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def dates_hostile_xlsx(path: Path) -> None:
    rows: list[list[Cell]] = [
        DEALS_HEADER,
        ["D-1", "Acme BV", 100.0, "Closed Won", ("date", 45323.0)],  # 2024-02-01
        ["D-2", "Acme BV", 100.0, "Closed Won", ("date", -1.0)],  # serial -1
        ["D-3", "Acme BV", 100.0, "Closed Won", ("date", 2958466.0)],  # past 9999-12-31
        ["D-4", "Acme BV", 100.0, "Closed Won", ("date", 2958465.0)],  # 9999-12-31
        ["D-5", "Acme BV", 100.0, "Closed Won", "2024-02-30"],
        ["D-6", "Acme BV", 100.0, "Closed Won", -1],
    ]
    write_xlsx(path, {"Deals": rows})


def ids_xlsx(path: Path) -> None:
    rows: list[list[Cell]] = [DEALS_HEADER]
    rows += [[i, "Acme BV", 100.0, "Closed Won", ("date", 45323.0)] for i in IDS]
    rows += [[123.0, "Acme BV", 100.0, "Closed Won", ("date", 45323.0)]]  # a number cell
    write_xlsx(path, {"Deals": rows})


def formula_xlsx(path: Path) -> None:
    rows: list[list[Cell]] = [["Deal ID", "Amount", "Stage", "Close Date", "Lead Source"]]
    rows += [
        [f"D-{n}", 100.0 * n, "Closed Won", "2024-02-01", v]
        for n, v in enumerate(FORMULAS, start=1)
    ]
    write_xlsx(path, {"Deals": rows})


def billion_laughs(path: Path) -> None:
    members = xlsx_members({"Deals": small_deals()})
    entities = '<!ENTITY lol0 "lol">' + "".join(
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)
    )
    members["xl/sharedStrings.xml"] = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        f'<!DOCTYPE sst [{entities}]><sst {NS} count="1" uniqueCount="1">'
        "<si><t>&lol9;</t></si></sst>"
    )
    zip_bytes(members, path)


def zip_bomb(path: Path, megabytes: int = 64) -> None:
    """A workbook whose sheet inflates ~1000-fold: ``megabytes`` MB of blanks from ~1/1000 of
    that on disk (beyond read.py's 50 MB / 200:1 limit)."""
    members = xlsx_members({"Deals": small_deals()})
    sheet = str(members["xl/worksheets/sheet1.xml"]).encode()
    pad = b" " * (megabytes * 1024 * 1024)
    members["xl/worksheets/sheet1.xml"] = sheet.replace(b"<sheetData>", pad + b"<sheetData>")
    zip_bytes(members, path)


def zip_bomb_declared(path: Path) -> None:
    """A tiny workbook whose central directory declares a 4 GB sheet: refused from the
    declaration alone, nothing inflated."""
    write_xlsx(path, {"Deals": small_deals()})
    # Two members claiming 4 GB each: the total is past read.py's 4 GiB limit.
    _declare(path, b"xl/worksheets/sheet1.xml", 0xFFFF_FFF0)
    _declare(path, b"xl/styles.xml", 0xFFFF_FFF0)


def _declare(path: Path, member: bytes, size: int) -> None:
    """Rewrite the uncompressed size the central directory gives for ``member``."""
    data = bytearray(path.read_bytes())
    start = data.find(b"PK\x01\x02")
    while start != -1:
        name_len = struct.unpack_from("<H", data, start + 28)[0]
        if bytes(data[start + 46 : start + 46 + name_len]) == member:
            struct.pack_into("<I", data, start + 24, size)
        start = data.find(b"PK\x01\x02", start + 4)
    path.write_bytes(bytes(data))


def zip_bomb_lying(path: Path, megabytes: int = 200) -> None:
    """A workbook whose sheet says it is small but inflates to ``megabytes`` MB: the declared
    sizes pass every check, so only a bounded inflate can tell. Written at test time."""
    zip_bomb(path, megabytes)
    _declare(path, b"xl/worksheets/sheet1.xml", 4096)


# --- OLE compound files (the container of a password-protected workbook) ---------------------

FREE, END, FAT_SECTOR = 0xFFFF_FFFF, 0xFFFF_FFFE, 0xFFFF_FFFD


def _dir_entry(name: str, kind: int, child: int = FREE, right: int = FREE) -> bytes:
    encoded = (name + "\0").encode("utf-16-le") if name else b""
    return struct.pack(
        "<64sHBBIII16sIQQIII",
        encoded,
        len(encoded),
        kind,  # 1 storage, 2 stream, 5 root
        1,  # black
        FREE,  # left sibling
        right,
        child,
        b"\0" * 16,
        0,
        0,
        0,
        END,  # start sector: an empty stream has none
        0,  # size
        0,
    )


def compound_file(streams: Sequence[str]) -> bytes:
    """A minimal, valid OLE/CFB container (version 3, 512-byte sectors) holding empty streams:
    what Office wraps an encrypted workbook in (EncryptionInfo and EncryptedPackage)."""
    header = struct.pack(
        "<8s16sHHHHH6sIIIIIIIII",
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
        b"\0" * 16,
        0x003E,  # minor version
        0x0003,  # major version 3
        0xFFFE,  # little-endian
        9,  # sector size 2^9
        6,  # mini sector size 2^6
        b"\0" * 6,
        0,  # directory sectors (0 for version 3)
        1,  # FAT sectors
        1,  # first directory sector
        0,  # transaction
        0x1000,  # mini stream cutoff
        END,  # first mini FAT sector
        0,  # mini FAT sectors
        END,  # first DIFAT sector
        0,  # DIFAT sectors
    )
    difat = struct.pack("<109I", 0, *([FREE] * 108))
    fat = struct.pack("<128I", FAT_SECTOR, END, *([FREE] * 126))
    entries = [_dir_entry("Root Entry", 5, child=1 if streams else FREE)]
    for i, name in enumerate(streams, start=1):
        entries.append(_dir_entry(name, 2, right=i + 1 if i < len(streams) else FREE))
    while len(entries) % 4:
        entries.append(_dir_entry("", 0))
    directory = b"".join(entries)
    assert len(header + difat) == 512 and len(fat) == 512 and len(directory) == 512
    return header + difat + fat + directory


ENCRYPTED = ["EncryptionInfo", "EncryptedPackage", "\x06DataSpaces"]


# --- the corpus -----------------------------------------------------------------------------

Writer = Callable[[Path], None]


def _bytes(data: bytes | Callable[[], bytes]) -> Writer:
    return lambda path: path.write_bytes(data() if callable(data) else data)


CORPUS: dict[str, Writer] = {
    "empty.csv": _bytes(b""),
    "header_only.csv": _bytes(crlf([HEADER])),
    "binary_garbage.csv": _bytes(binary_garbage),
    "not_a_zip.xlsx": _bytes(crlf([HEADER, *good_rows(2)])),
    "truncated.xlsx": truncated,
    "no_sheets.xlsx": lambda path: write_xlsx(path, {}),
    "empty_sheets.xlsx": lambda path: write_xlsx(path, {"Sheet1": [], "Sheet2": [[None, "  "]]}),
    "password_protected.xlsx": _bytes(compound_file(ENCRYPTED)),
    "xls_named_xlsx.xlsx": _bytes(compound_file(["Workbook"])),
    "nul_bytes.csv": _bytes(nul_bytes),
    "mixed_line_endings.csv": _bytes(mixed_line_endings),
    "quoted_newlines.csv": _bytes(quoted_newlines),
    "unbalanced_quotes.csv": _bytes(unbalanced_quotes),
    "duplicated_headers.csv": _bytes(duplicated_headers),
    "blank_header.csv": _bytes(blank_header),
    "invalid_utf8.csv": _bytes(invalid_utf8),
    "bom_in_middle.csv": _bytes(bom_in_middle),
    "amounts_hostile.csv": _bytes(amounts_hostile),
    "dates_hostile.csv": _bytes(dates_hostile),
    "dates_hostile.xlsx": dates_hostile_xlsx,
    "ids_leading_zeros.csv": _bytes(ids_leading_zeros),
    "ids_leading_zeros.xlsx": ids_xlsx,
    "formula_cells.csv": _bytes(formula_cells),
    "formula_cells.xlsx": formula_xlsx,
    "billion_laughs.xlsx": billion_laughs,
    "zip_bomb.xlsx": zip_bomb,
    "zip_bomb_declared.xlsx": zip_bomb_declared,
}


# --- written at test time: too big to commit -------------------------------------------------


def one_line_10mb(path: Path) -> None:
    """10 MB with no line break at all: a header that never ends."""
    unit = b"Deal ID,Amount,Stage,"
    path.write_bytes(unit * (10 * 1024 * 1024 // len(unit) + 1))


def one_line_10mb_no_delimiter(path: Path) -> None:
    """10 MB of one character: no line break, no delimiter, one endless field."""
    path.write_bytes(b"x" * (10 * 1024 * 1024))


def long_value_10mb(path: Path) -> None:
    """A normal header, then one row whose company is a 10 MB value, then a normal row."""
    big = "x" * (10 * 1024 * 1024)
    path.write_bytes(crlf([HEADER, deal("D-1", big), deal("D-2")]))


def long_value_10mb_ragged(path: Path) -> None:
    """The same, and a row with too many fields: read by the csv module, not Arrow."""
    big = "x" * (10 * 1024 * 1024)
    ragged = deal("D-3") + ",extra,more"
    path.write_bytes(crlf([HEADER, deal("D-1", big), deal("D-2"), ragged]))


def thousands_of_columns(
    path: Path, columns: int = 5000, rows: int = 50, label: str = "Custom Field"
) -> None:
    """The deal fields among thousands of junk columns, some of them repeated names."""
    junk = [f"{label} {i % (columns // 2)}" for i in range(columns)]
    header = ",".join([*HEADER.split(","), *junk])
    body = [
        deal(f"D-{r}", f"Company {r}", f"{r}.00")
        + ","
        + ",".join(str(r * c) for c in range(columns))
        for r in range(1, rows + 1)
    ]
    path.write_bytes(crlf([header, *body]))


GENERATED: dict[str, Writer] = {
    "one_line_10mb.csv": one_line_10mb,
    "one_line_10mb_no_delimiter.csv": one_line_10mb_no_delimiter,
    "long_value_10mb.csv": long_value_10mb,
    "long_value_10mb_ragged.csv": long_value_10mb_ragged,
    "thousands_of_columns.csv": thousands_of_columns,
    "zip_bomb_lying.xlsx": zip_bomb_lying,
}


def main() -> None:
    for name, write in CORPUS.items():
        write(HERE / name)
    for stale in HERE.iterdir():
        keep = stale.name in CORPUS or stale.suffix == ".py" or stale.name.startswith(".")
        if not keep and stale.is_file():
            stale.unlink()
    total = sum((HERE / name).stat().st_size for name in CORPUS)
    print(f"wrote {len(CORPUS)} files, {total:,} bytes, into {HERE}")


if __name__ == "__main__":
    main()

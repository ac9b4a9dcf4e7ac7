"""Shared fixtures: the committed export corpus, spreadsheets written at test time, helpers.

Text exports live in ``tests/fixtures/`` as a CRM would write them. Spreadsheets are binary,
so they are written into ``tmp_path`` here: XLSX with openpyxl, ODS as the minimal zip of XML
that LibreOffice reads (nothing installed here writes ODS or XLS).
"""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import time
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

import openpyxl
import pytest
from hypothesis import settings
from typer.testing import CliRunner

from crm_roi.inputs.load import Loaded, LoadOptions, load_input
from crm_roi.inputs.schema import InputKind

FIXTURES = Path(__file__).parent / "fixtures"
EXAMPLES = Path(__file__).parent.parent / "examples"
# The four example inputs as the command line takes them.
EXAMPLE_INPUTS = [
    str(EXAMPLES / "deals.csv"),
    str(EXAMPLES / "costs.csv"),
    "--customers",
    str(EXAMPLES / "customers.csv"),
    "--time-logs",
    str(EXAMPLES / "time_logs.csv"),
]

# Hypothesis writes files and loads them: no per-example deadline, and no flakiness from it.
settings.register_profile("crm-roi", deadline=None, print_blob=True)
settings.load_profile("crm-roi")


@pytest.fixture(autouse=True)
def plain_locale(monkeypatch: pytest.MonkeyPatch) -> None:
    """Reports in the plain locale whatever the machine's (it is the environment's by
    default): a test that wants another passes --locale or sets LANG itself."""
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_NUMERIC", raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")


def pytest_configure(config: pytest.Config) -> None:
    # When a property test fails, hypothesis imports libcst to suggest a patch; libcst's import
    # warns through mypy_extensions, and with filterwarnings = error that warning would turn
    # the failure report into an INTERNALERROR. Only that one warning is let through.
    config.addinivalue_line(
        "filterwarnings", "ignore:mypy_extensions.TypedDict is deprecated:DeprecationWarning"
    )


@dataclass(frozen=True)
class SameDeal:
    """One deal of the data set that ``deals_same_*`` write five ways."""

    deal_id: str
    customer: str
    cents: int
    status: str
    created: dt.date
    closed: dt.date | None
    channel: str
    campaign: str | None
    owner: str


# The eight deals behind deals_same_utf8.csv, deals_same_utf8_bom.csv, deals_same_utf16.txt,
# deals_same_nl_cp1252.csv and the XLSX written by ``same_xlsx``.
SAME_DEALS = (
    SameDeal("00101", "Müller GmbH", 123456, "won", dt.date(2024, 1, 15), dt.date(2024, 2, 20),
             "Paid Search", "Google Brand 2024", "Sanne de Vries"),
    SameDeal("00102", "Deltacore NV", 1250000, "won", dt.date(2024, 1, 22), dt.date(2024, 3, 14),
             "Referral", "Partner Program", "Tom Bakker"),
    SameDeal("00103", "Suncore BV", 98000, "lost", dt.date(2024, 2, 3), dt.date(2024, 2, 28),
             "Events", "Webinar Series", "Priya Raman"),
    SameDeal("00104", "Limeview NV", 475025, "open", dt.date(2024, 3, 18), None,
             "Paid Search", "Google Generic", "Tom Bakker"),
    SameDeal("00105", "Tulipline BV", 2300000, "won", dt.date(2024, 4, 2), dt.date(2024, 6, 17),
             "Outbound", None, "Lucas Jansen"),
    SameDeal("00106", "Amberdata GmbH", 199999, "lost", dt.date(2024, 4, 11), dt.date(2024, 5, 30),
             "Referral", "Partner Program", "Emma Visser"),
    SameDeal("00107", "Brightfield Ltd", 730010, "won", dt.date(2024, 5, 6), dt.date(2024, 7, 1),
             "Events", "Trade Fair Utrecht", "Sanne de Vries"),
    SameDeal("00108", "Kaasjager & Zn", 35000, "open", dt.date(2024, 6, 25), None,
             "Paid Search", "Google Brand 2024", "Priya Raman"),
)  # fmt: skip

STAGE_TEXT = {"won": "Closed Won", "lost": "Closed Lost", "open": "Open"}


def fixture_path(name: str) -> Path:
    path = FIXTURES / name
    assert path.is_file(), f"missing fixture {name}"
    return path


def load(name_or_path: str | Path, kind: InputKind = InputKind.DEALS, **options: object) -> Loaded:
    """Load a committed fixture (by name) or any path, with ``LoadOptions(**options)``; a file
    none of whose rows can be used is returned (as ``validate`` sees it), not an error."""
    path = name_or_path if isinstance(name_or_path, Path) else fixture_path(name_or_path)
    options.setdefault("unusable_ok", True)
    return load_input(path, kind, LoadOptions(**options))  # type: ignore[arg-type]


def write_xlsx(path: Path, sheets: dict[str, Sequence[Sequence[object]]]) -> Path:
    """An XLSX with one sheet per entry; ``str`` cells are text cells, numbers and dates typed."""
    workbook = openpyxl.Workbook()
    first = True
    for name, rows in sheets.items():
        sheet = workbook.active if first else workbook.create_sheet()
        assert sheet is not None
        sheet.title = name
        first = False
        for row in rows:
            sheet.append(list(row))
    workbook.save(path)
    return path


def _ods_cell(value: object) -> str:
    if value is None:
        return "<table:table-cell/>"
    if isinstance(value, int | float):
        return (
            f'<table:table-cell office:value-type="float" office:value="{value}">'
            f"<text:p>{value}</text:p></table:table-cell>"
        )
    if isinstance(value, dt.date):
        return (
            f'<table:table-cell office:value-type="date" office:date-value="{value.isoformat()}">'
            f"<text:p>{value.isoformat()}</text:p></table:table-cell>"
        )
    return (
        f'<table:table-cell office:value-type="string"><text:p>{escape(str(value))}</text:p>'
        f"</table:table-cell>"
    )


def write_ods(path: Path, sheets: dict[str, Sequence[Sequence[object]]]) -> Path:
    """A minimal OpenDocument spreadsheet: mimetype, manifest and content.xml, as LibreOffice
    writes them (minus styles)."""
    body = "".join(
        f'<table:table table:name="{escape(name)}">'
        + "".join(
            "<table:table-row>" + "".join(_ods_cell(v) for v in row) + "</table:table-row>"
            for row in rows
        )
        + "</table:table>"
        for name, rows in sheets.items()
    )
    content = (
        '<?xml version="1.0" encoding="UTF-8"?><office:document-content '
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        f"<office:body><office:spreadsheet>{body}</office:spreadsheet></office:body>"
        "</office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
        'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" '
        'manifest:version="1.2"><manifest:file-entry manifest:full-path="/" '
        'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>"
    )
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(
            zipfile.ZipInfo("mimetype"),
            "application/vnd.oasis.opendocument.spreadsheet",
            compress_type=zipfile.ZIP_STORED,
        )
        archive.writestr("META-INF/manifest.xml", manifest, compress_type=zipfile.ZIP_DEFLATED)
        archive.writestr("content.xml", content, compress_type=zipfile.ZIP_DEFLATED)
    return path


SAME_HEADERS = [
    "Deal ID", "Company", "Amount", "Currency", "Stage", "Created Date", "Close Date",
    "Lead Source", "Campaign", "Deal Owner",
]  # fmt: skip


def same_rows() -> list[list[object]]:
    """The eight deals as spreadsheet cells: IDs as text, amounts as numbers, dates as dates."""
    return [
        [d.deal_id, d.customer, d.cents / 100, "EUR", STAGE_TEXT[d.status], d.created, d.closed,
         d.channel, d.campaign, d.owner]
        for d in SAME_DEALS
    ]  # fmt: skip


@pytest.fixture
def same_xlsx(tmp_path: Path) -> Path:
    """The eight deals as Excel saves them: numeric amount cells and date cells."""
    return write_xlsx(tmp_path / "deals_same.xlsx", {"Deals": [SAME_HEADERS, *same_rows()]})


@pytest.fixture
def xlsx(tmp_path: Path) -> Callable[..., Path]:
    """Write an XLSX into tmp_path: ``xlsx("name.xlsx", {"Sheet": rows})``."""

    def make(name: str, sheets: dict[str, Sequence[Sequence[object]]]) -> Path:
        return write_xlsx(tmp_path / name, sheets)

    return make


@pytest.fixture
def ods(tmp_path: Path) -> Callable[..., Path]:
    """Write an ODS into tmp_path: ``ods("name.ods", {"Sheet": rows})``."""

    def make(name: str, sheets: dict[str, Sequence[Sequence[object]]]) -> Path:
        return write_ods(tmp_path / name, sheets)

    return make


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def wide_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """Rich wraps at 80 columns without a terminal: give it room so each issue is one line."""
    monkeypatch.setenv("COLUMNS", "250")


# --- a real browser: the HTML pages are opened in headless Chromium ---------------------------
HEADLESS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
]  # fmt: skip
BROWSER_TIMEOUT = 60


@pytest.fixture(scope="session")
def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        pytest.skip(
            "Chromium is not installed (.ci/run installs Debian's chromium with apt-get when it "
            "runs as root): the browser tests of the HTML pages are skipped"
        )
    return found


def browse(chromium: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    """Headless Chromium with a profile of its own, run to the end."""
    profile = tmp_path / f"profile-{time.monotonic_ns()}"
    return subprocess.run(
        [chromium, *HEADLESS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        timeout=BROWSER_TIMEOUT,
        check=True,
    )


# --- a real spreadsheet program: the workbooks are printed by LibreOffice ----------------------
needs_libreoffice = pytest.mark.skipif(
    shutil.which("soffice") is None or shutil.which("pdftotext") is None,
    reason="LibreOffice (soffice) and poppler are needed to print the workbook",
)


def print_to_pdf(books: Sequence[Path], out: Path) -> dict[str, Path]:
    """Each workbook printed to a PDF in ``out`` by LibreOffice (with a profile of its own, so
    that another LibreOffice running meanwhile doesn't hold it), by the workbook's name."""
    profile = (out / "profile").as_uri()
    done = subprocess.run(
        ["soffice", f"-env:UserInstallation={profile}", "--headless", "--convert-to", "pdf",
         "--outdir", str(out), *map(str, books)],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    pdfs = {book.stem: out / f"{book.stem}.pdf" for book in books}
    for pdf in pdfs.values():
        assert pdf.exists(), done.stderr
    return pdfs


def pdf_pages(pdf: Path) -> list[str]:
    """A PDF's pages as text, laid out as printed (a form feed ends every page)."""
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    return text.split("\f")[:-1]

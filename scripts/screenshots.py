"""Make the README's pictures again, from the examples.

    python3 scripts/screenshots.py            # every picture
    python3 scripts/screenshots.py workbook   # only the workbook's pages

``workbook``: ``docs/report-summary.png`` and ``docs/report-by-channel.png``, the first page
of the Summary and of the "By channel" sheet of the README's workbook (``compute --by channel
--by month`` on the examples), as LibreOffice prints them. Needs LibreOffice (``soffice``) and
poppler (``pdftotext``, ``pdftoppm``); with the Carlito font installed (Debian:
``fonts-crosextra-carlito``) the pages are set as Excel sets them in Calibri.

Each picture is a function in :data:`PICTURES`, by name.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
INPUTS = [
    "examples/deals.csv",
    "examples/costs.csv",
    "--customers",
    "examples/customers.csv",
    "--time-logs",
    "examples/time_logs.csv",
]
WIDTH = 900  # pixels across a landscape page


def workbook(folder: Path) -> list[Path]:
    """The workbook's Summary and "By channel" pages, each its first page as a PNG."""
    book = folder / "report.xlsx"
    crm_roi("compute", *INPUTS, "--by", "channel", "--by", "month", "--output", str(book))
    pdf = printed(book, folder)
    pictures = []
    for sheet, name in (("Summary", "report-summary"), ("By channel", "report-by-channel")):
        page = first_page(pdf, sheet)
        target = DOCS / f"{name}.png"
        pages = ["-f", str(page), "-l", str(page), "-singlefile", "-scale-to", str(WIDTH)]
        subprocess.run(
            ["pdftoppm", "-png", *pages, str(pdf), str(target.with_suffix(""))], check=True
        )
        pictures.append(target)
    return pictures


def crm_roi(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "crm_roi", *args, "--quiet"], cwd=ROOT, check=True)


def printed(book: Path, folder: Path) -> Path:
    """The workbook as LibreOffice prints it to PDF (with a profile of its own)."""
    profile = (folder / "profile").as_uri()
    convert = ["--headless", "--convert-to", "pdf", "--outdir", str(folder), str(book)]
    subprocess.run(
        ["soffice", f"-env:UserInstallation={profile}", *convert],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return book.with_suffix(".pdf")


def first_page(pdf: Path, sheet: str) -> int:
    """The number of the first page whose footer names ``sheet`` (``By channel  Page 3 of 10``)."""
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    for number, page in enumerate(text.split("\f"), start=1):
        if re.search(rf"^{re.escape(sheet)} +Page \d+ of \d+\s*$", page, re.M):
            return number
    raise SystemExit(f"no page of the sheet {sheet!r} in {pdf}")


PICTURES: dict[str, Callable[[Path], list[Path]]] = {"workbook": workbook}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help=f"any of: {', '.join(PICTURES)} (all)")
    names = parser.parse_args().names or list(PICTURES)
    if unknown := [n for n in names if n not in PICTURES]:
        parser.error(f"no picture called {', '.join(unknown)}; there are {', '.join(PICTURES)}")
    with tempfile.TemporaryDirectory() as folder:
        for name in names:
            for picture in PICTURES[name](Path(folder)):
                print(picture.relative_to(ROOT))


if __name__ == "__main__":
    main()

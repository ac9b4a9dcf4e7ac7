"""Make the README's pictures again, from the examples.

    python3 scripts/screenshots.py            # every picture
    python3 scripts/screenshots.py workbook   # only the workbook's pages
    python3 scripts/screenshots.py terminal html

``workbook``: ``docs/report-summary.png`` and ``docs/report-by-channel.png``, the first page
of the Summary and of the "By channel" sheet of the README's workbook (``compute --by channel
--by month`` on the examples), as LibreOffice prints them. Needs LibreOffice (``soffice``) and
poppler (``pdftotext``, ``pdftoppm``); with the Carlito font installed (Debian:
``fonts-crosextra-carlito``) the pages are set as Excel sets them in Calibri.

``terminal``: ``docs/report-terminal.png``, the README's ``compute --by channel`` table as an
80-column terminal shows it: the command runs in a pseudo-terminal with ``COLUMNS=80`` and the
text it prints is set in a monospace font (DejaVu Sans Mono) on a page Chromium photographs.

``html``: ``docs/report-html.png``, the top of the README's HTML report (``compute --by channel
--by month --output report.html``) as headless Chromium renders it.

Each picture is a function in :data:`PICTURES`, by name.
"""

from __future__ import annotations

import argparse
import fcntl
import html as markup
import os
import re
import select
import shutil
import struct
import subprocess
import sys
import tempfile
import termios
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
COLUMNS = 80  # the terminal's width, in characters
# The terminal's picture: characters of DejaVu Sans Mono at 14 px are 8.43 px wide.
CHAR_PX, LINE_PX, PAD_PX = 8.43, 17, 12
ESCAPES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07]*\x07")
HEADLESS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
]  # fmt: skip


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


def terminal(folder: Path) -> list[Path]:
    """The README's ``compute --by channel`` table on an 80-column terminal."""
    text = in_a_terminal("compute", *INPUTS, "--by", "channel")
    lines = text.rstrip("\n").split("\n")
    page = folder / "terminal.html"
    page.write_text(
        "<!DOCTYPE html><meta charset='utf-8'><style>"
        "html,body{margin:0;background:#1e1e1e}"
        f"pre{{margin:0;padding:{PAD_PX}px;color:#e6e6e6;font:14px/{LINE_PX}px "
        "'DejaVu Sans Mono',monospace}</style>"
        f"<pre>{markup.escape(chr(10).join(lines))}</pre>",
        encoding="utf-8",
    )
    size = (round(COLUMNS * CHAR_PX) + 2 * PAD_PX + 1, len(lines) * LINE_PX + 2 * PAD_PX)
    target = DOCS / "report-terminal.png"
    photographed(page, target, size, folder)
    return [target]


def html(folder: Path) -> list[Path]:
    """The top of the README's HTML report, as a browser shows it."""
    page = folder / "report.html"
    crm_roi("compute", *INPUTS, "--by", "channel", "--by", "month", "--output", str(page))
    target = DOCS / "report-html.png"
    photographed(page, target, (1280, 2000), folder)
    return [target]


def in_a_terminal(*args: str) -> str:
    """What ``crm-roi ARGS`` prints on a terminal of :data:`COLUMNS` columns (a pseudo-terminal
    of that size, ``COLUMNS`` set, no colour, the plain locale), escapes removed."""
    unset = ("LINES", "NO_COLOR", "FORCE_COLOR", "LANG", "LC_ALL", "LC_NUMERIC", "LC_MONETARY")
    env = {k: v for k, v in os.environ.items() if k not in unset}
    env.update(COLUMNS=str(COLUMNS), TERM="xterm-256color", NO_COLOR="1", PYTHONIOENCODING="utf-8")
    main, child = os.openpty()
    fcntl.ioctl(child, termios.TIOCSWINSZ, struct.pack("HHHH", 50, COLUMNS, 0, 0))
    proc = subprocess.Popen(
        [sys.executable, "-m", "crm_roi", *args],
        stdin=subprocess.DEVNULL,
        stdout=child,
        stderr=subprocess.DEVNULL,  # the warnings on the examples' credits: not the table
        env=env,
        cwd=ROOT,
    )
    os.close(child)
    out = []
    try:
        while select.select([main], [], [], 120)[0]:
            try:
                chunk = os.read(main, 65536)
            except OSError:  # Linux: EIO once the command has closed its end
                break
            if not chunk:
                break
            out.append(chunk)
    finally:
        os.close(main)
    if proc.wait(timeout=120) != 0:
        raise SystemExit(f"crm-roi {' '.join(args)} failed")
    return ESCAPES.sub("", b"".join(out).decode("utf-8")).replace("\r\n", "\n")


def photographed(page: Path, target: Path, size: tuple[int, int], folder: Path) -> None:
    """``page`` as headless Chromium shows it in a window of ``size`` pixels, as a PNG."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        raise SystemExit("Chromium is needed (Debian: apt-get install chromium)")
    profile = folder / f"chromium-{target.stem}"
    subprocess.run(
        [browser, *HEADLESS, f"--user-data-dir={profile}", f"--screenshot={target}",
         f"--window-size={size[0]},{size[1]}", page.as_uri()],
        check=True,
        capture_output=True,
        timeout=120,
    )  # fmt: skip


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


PICTURES: dict[str, Callable[[Path], list[Path]]] = {
    "terminal": terminal,
    "workbook": workbook,
    "html": html,
}


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

"""What a command shows: the report's format, the report itself (a Rich table on a terminal,
else bytes to stdout or --output through :mod:`crm_roi.cli.output`), and lines on stderr
(warnings, a spinner), each one line however odd the text from the inputs.

Rich and the renderers are imported when used: a JSON run never loads openpyxl.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import typer

from crm_roi.errors import UsageError

if TYPE_CHECKING:
    from rich.console import Console

    from crm_roi.inputs.load import Loaded

Document = Literal["report", "cohorts", "compare", "funnel", "invest", "customers"]

# --- the format --------------------------------------------------------------------------------
SUFFIX_FORMATS = {
    ".json": "json",
    ".csv": "csv",
    ".md": "markdown",
    ".markdown": "markdown",
    ".txt": "table",
    ".xlsx": "xlsx",
    ".html": "html",
    ".htm": "html",
}


def resolve_format(chosen: StrEnum | None, output: Path | None, formats: type[StrEnum]) -> str:
    """--format, else --output's extension, else table on a terminal and json otherwise;
    ``formats`` are the ones the command has."""
    if chosen == "xlsx" and output is None:
        raise UsageError(
            "--format xlsx writes a workbook: give it a file with --output report.xlsx"
        )
    if chosen is not None:
        return chosen.value
    if output is not None and not _stream_target(output):
        suffix = output.suffix.lower()
        if suffix not in SUFFIX_FORMATS:
            raise UsageError(
                f"--output {output}: can't tell the format from {suffix or 'no extension'!r}; "
                f"use {', '.join(SUFFIX_FORMATS)} or pass --format"
            )
        fmt = SUFFIX_FORMATS[suffix]
    else:
        fmt = "table" if sys.stdout.isatty() else "json"
    allowed = [f.value for f in formats]
    if fmt not in allowed:  # markdown from a .md name, for cohorts or compare
        listed = f"{', '.join(allowed[:-1])} or {allowed[-1]}"
        raise UsageError(f"{fmt} is for compute; use {listed} here")
    return fmt


def _stream_target(output: Path) -> bool:
    """``-o -``, a device or a FIFO: written like standard output (json unless a terminal)."""
    import stat

    if str(output) == "-":
        return True
    try:
        mode = output.stat().st_mode
    except OSError:
        return False
    return not (stat.S_ISREG(mode) or stat.S_ISDIR(mode))


# --- the report --------------------------------------------------------------------------------
# A table written to a file: this wide.
TABLE_WIDTH = {
    "report": 160, "cohorts": 250, "compare": 250, "funnel": 160, "invest": 160, "customers": 160,
}  # fmt: skip


def emit(
    document: dict[str, Any],
    fmt: str,
    output: Path | None,
    kind: Document,
    locale: str = "plain",
    rejected_rows: list[dict[str, Any]] | None = None,
    columns: Sequence[str] | None = None,
    inputs: list[dict[str, Any]] | None = None,
    top: int = 20,
) -> None:
    """The report in ``fmt``: a table on the terminal, else its bytes to stdout or --output.
    ``locale`` is for the formats people read; ``rejected_rows`` fill the workbook's Rejected
    sheet; ``columns`` (--columns) are the figures the table shows by group; ``inputs`` are the
    inputs' accounts for an HTML page of cohorts (the other documents hold theirs); ``top``:
    the customers a table or page of customers lists."""
    if fmt == "table" and output is None:
        _print_table(console(), document, kind, locale, columns, top)
        return
    data: bytes
    if fmt == "json":
        from crm_roi.render.json import dumps

        data = (dumps(document) + "\n").encode("utf-8")
    elif fmt == "table":
        from rich.console import Console

        with open(os.devnull, "w") as nowhere:
            recorder = Console(record=True, width=TABLE_WIDTH[kind], file=nowhere)
            _print_table(recorder, document, kind, locale, columns, top)
        data = recorder.export_text().encode("utf-8")
    elif fmt == "xlsx":
        data = _workbook(document, kind, locale, rejected_rows or [])
    elif fmt == "html":
        data = _page(document, kind, locale, rejected_rows or [], inputs or [], top)
    else:
        data = _text(document, fmt, kind, locale).encode("utf-8")
    write(data, output)


# Documents whose module in render/ names its renderers after it: print_funnel, funnel_csv,
# funnel_workbook_bytes and funnel_html in render/funnel.py.
NAMED = ("funnel", "invest", "customers")


def _named(kind: str, pattern: str) -> Callable[..., Any]:
    """The renderer of ``kind`` named by ``pattern`` (``"{}_csv"``), imported when needed."""
    import importlib

    module = importlib.import_module(f"crm_roi.render.{kind}")
    return getattr(module, pattern.format(kind))  # type: ignore[no-any-return]


def _extra(kind: str, top: int) -> dict[str, Any]:
    """What one kind's table and page take besides the document: the customers, --top."""
    return {"top": top} if kind == "customers" else {}


def _print_table(
    out: Console,
    document: dict[str, Any],
    kind: Document,
    locale: str,
    columns: Sequence[str] | None = None,
    top: int = 20,
) -> None:
    if kind == "report":
        from crm_roi.render.table import print_report

        rejected = sum(int(i["rejected"]) for i in document["inputs"])
        print_report(out, document, locale, rejected, columns)
    elif kind == "cohorts":
        from crm_roi.render.timeaware import print_cohorts

        print_cohorts(out, document, locale=locale)
    elif kind in NAMED:
        _named(kind, "print_{}")(out, document, locale, **_extra(kind, top))
    else:
        from crm_roi.render.timeaware import print_compare

        print_compare(out, document, locale=locale)


def _workbook(
    document: dict[str, Any], kind: Document, locale: str, rejected_rows: list[dict[str, Any]]
) -> bytes:
    import datetime as dt

    from crm_roi.render import excel

    if kind == "report":
        return excel.workbook_bytes(document, rejected_rows, dt.datetime.now(), locale)
    if kind == "cohorts":
        return excel.cohorts_workbook_bytes(document, locale)
    if kind in NAMED:
        return bytes(_named(kind, "{}_workbook_bytes")(document, rejected_rows, locale))
    return excel.compare_workbook_bytes(document, locale)


def _page(
    document: dict[str, Any],
    kind: Document,
    locale: str,
    rejected_rows: list[dict[str, Any]],
    inputs: list[dict[str, Any]],
    top: int = 20,
) -> bytes:
    """The self-contained HTML page."""
    from crm_roi.render import html

    if kind == "report":
        return html.report_html(document, rejected_rows, locale)
    if kind == "cohorts":
        return html.cohorts_html(document, rejected_rows, inputs, locale)
    if kind in NAMED:
        page = _named(kind, "{}_html")(document, rejected_rows, locale, **_extra(kind, top))
        return bytes(page)
    return html.compare_html(document, rejected_rows, locale)


def _text(document: dict[str, Any], fmt: str, kind: Document, locale: str) -> str:
    """CSV (plain whatever the locale), or Markdown in ``locale`` (compute's report only)."""
    if kind == "report":
        from crm_roi.render.tabular import to_csv, to_markdown

        return to_markdown(document, locale) if fmt == "markdown" else to_csv(document)
    if kind in NAMED:
        return str(_named(kind, "{}_csv")(document))
    from crm_roi.render import timeaware

    return timeaware.cohorts_csv(document) if kind == "cohorts" else timeaware.compare_csv(document)


def write(data: bytes, output: Path | None) -> None:
    """Bytes to --output (atomically when it is a file), else to stdout: the one way out."""
    from crm_roi.cli.output import write_report

    write_report(output, data)


def console(stderr: bool = False) -> Console:
    """Rich's console on stdout (or stderr), as wide as :func:`screen` says."""
    from rich.console import Console

    width, height = screen(sys.stderr if stderr else sys.stdout)
    return Console(stderr=stderr, highlight=False, soft_wrap=False, width=width, height=height)


PIPE_WIDTH = 250  # a pipe or a file gets the whole table, never one cut to 80 columns


def screen(stream: Any) -> tuple[int, int]:
    """Columns and lines to draw in: ``COLUMNS`` (and ``LINES``) when set, whatever the
    terminal, ``TERM=dumb`` too; else the terminal's own size; else, on a pipe, 250 wide."""
    columns, lines = PIPE_WIDTH, 25
    if stream.isatty():
        try:
            columns, lines = os.get_terminal_size(stream.fileno())
        except (OSError, ValueError):
            columns = 80
    width = _positive(os.environ.get("COLUMNS")) or columns or 80  # a pty may say 0 × 0
    return width, _positive(os.environ.get("LINES")) or lines or 25


def _positive(text: str | None) -> int:
    """``COLUMNS=120`` → 120; unset, empty or not a number → 0."""
    return int(text) if text and text.strip().isdigit() else 0


# --- lines on stderr ---------------------------------------------------------------------------
ROW_LINES = 20  # row issues shown on stderr; validate (and the JSON report) lists them all


def say(text: str, prefix: str = "") -> None:
    """One line on stderr."""
    typer.echo(f"{prefix}{one_line(text)}", err=True)


def one_line(text: str) -> str:
    """Text from a file, made safe to print as one line: breaks and controls escaped."""
    return "".join(
        c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text
    )


def rejected_rows(loaded: list[Loaded]) -> list[dict[str, Any]]:
    """Every rejected row of every input, as the workbook and the HTML page list them."""
    return [issue.as_dict() for i in loaded for issue in i.all_rejections]


def row_issues(loaded: list[Loaded]) -> int:
    """How many row issues (rejected rows, row warnings) the inputs have: a document's
    warnings start with them, and :func:`warn` shows them itself."""
    return sum(len(i.all_rejections) + len(i.warnings) for i in loaded)


def warn(loaded: list[Loaded], notes: list[str], quiet: bool) -> None:
    """What a person should read about the inputs, without a flood: the first row issues,
    how many more there are, one summary line per input, then ``notes``."""
    if quiet:
        return
    issues = [issue for i in loaded for issue in (*i.all_rejections, *i.warnings)]
    for issue in issues[:ROW_LINES]:
        say(str(issue), "warning: ")
    if len(issues) > ROW_LINES:
        more = len(issues) - ROW_LINES
        say(f"… and {more:,} more (crm-roi validate lists them all)", "warning: ")
    for i in loaded:
        line = i.summary()
        if line is not None:
            say(line, "warning: ")
    for note in notes:
        say(note, "warning: ")


PROGRESS_BYTES = 20 * 1024**2  # inputs smaller than this are done before a spinner would show


@contextmanager
def progress(paths: list[Path], quiet: bool) -> Iterator[Callable[[str], object]]:
    """A spinner on stderr naming the step, for a person at a terminal waiting on big inputs."""
    size = sum(p.stat().st_size for p in paths if p.is_file())
    if quiet or size < PROGRESS_BYTES or not sys.stderr.isatty():
        yield lambda text: None
        return
    with console(stderr=True).status("Starting…") as status:
        yield status.update

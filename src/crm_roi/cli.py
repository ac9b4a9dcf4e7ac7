"""The command line: parse options, call the library, render. Nothing else lives here.

Heavy libraries (pandas, pyarrow, pydantic) are imported inside the commands, so that
``crm-roi --help`` stays fast.
"""

from __future__ import annotations

import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

from crm_roi import __version__
from crm_roi.errors import CrmRoiError, UsageError

if TYPE_CHECKING:
    from rich.console import Console

    from crm_roi.load import Loaded, LoadOptions
    from crm_roi.schema import InputKind

app = typer.Typer(
    name="crm-roi",
    help="What did our sales and marketing effort return? ROI, CAC, CLV and more from CRM "
    "and ledger exports, with the fully loaded cost.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    # A cron log wants plain lines; a person at a terminal gets Rich's panels.
    rich_markup_mode="rich" if sys.stderr.isatty() else None,
)

EXIT_OK, EXIT_DATA, EXIT_USAGE = 0, 1, 2


class OutputFormat(StrEnum):
    table = "table"
    json = "json"


class KindChoice(StrEnum):
    deals = "deals"
    costs = "costs"
    customers = "customers"
    time_logs = "time_logs"


# --- options shared by the commands (defined once) -------------------------------------------
INPUTS = "Inputs"
READING = "Reading"
CustomersOpt = Annotated[
    Path | None, typer.Option("--customers", help="Customers export.", rich_help_panel=INPUTS)
]
TimeLogsOpt = Annotated[
    Path | None,
    typer.Option("--time-logs", help="Time logs: hours people spent.", rich_help_panel=INPUTS),
]
MappingOpt = Annotated[
    Path | None,
    typer.Option(
        "--mapping",
        help="TOML file mapping your headers and stage names to crm-roi's fields "
        "(default: ./crm-roi.toml when it exists).",
        rich_help_panel=READING,
    ),
]
SheetOpt = Annotated[
    str | None,
    typer.Option(
        "--sheet",
        help="Sheet to read in spreadsheets (default: the first with data).",
        rich_help_panel=READING,
    ),
]
DayFirstOpt = Annotated[
    bool | None,
    typer.Option(
        "--dayfirst/--monthfirst",
        help="How to read dates such as 03/04/2024 when a column doesn't settle it "
        "(default: the file's locale, else the separator).",
        show_default=False,
        rich_help_panel=READING,
    ),
]
HourlyRateOpt = Annotated[
    str | None,
    typer.Option(
        "--hourly-rate",
        help="Hourly rate for time logs that have none, e.g. 75.00.",
        rich_help_panel=READING,
    ),
]
DebugOpt = Annotated[
    bool, typer.Option("--debug", help="Show the traceback of an unexpected error.", hidden=True)
]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"crm-roi {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Show the version and exit."
        ),
    ] = False,
) -> None:
    """crm-roi reads CRM exports as they come and accounts for every row."""


# --- commands --------------------------------------------------------------------------------


@app.command()
def validate(
    deals: Annotated[
        Path, typer.Argument(help="Deals (opportunities) export.", show_default=False)
    ],
    costs: Annotated[
        Path | None, typer.Argument(help="Costs from the ledger.", show_default=False)
    ] = None,
    customers: CustomersOpt = None,
    time_logs: TimeLogsOpt = None,
    mapping: MappingOpt = None,
    sheet: SheetOpt = None,
    dayfirst: DayFirstOpt = None,
    hourly_rate: HourlyRateOpt = None,
    strict: Annotated[
        bool, typer.Option("--strict", help="Fail on warnings too, not only on rejected rows.")
    ] = False,
    output_format: Annotated[
        OutputFormat, typer.Option("--format", help="table for people, json for scripts.")
    ] = OutputFormat.table,
    limit: Annotated[
        int, typer.Option("--limit", min=1, help="Rejected rows to list per file in the table.")
    ] = 20,
    debug: DebugOpt = False,
) -> None:
    """Check the inputs: what was detected, how columns map, and every row that can't be used.

    Exit code 0 when every row is usable, 1 when any row is rejected (or, with --strict,
    has a warning), 2 for a usage error.
    """
    with _errors(debug):
        options = _load_options(mapping, sheet, dayfirst, hourly_rate)
        loaded = _load_all(deals, costs, customers, time_logs, options)
        if output_format is OutputFormat.json:
            from crm_roi.render.json import dumps
            from crm_roi.render.validation import validation_report

            typer.echo(dumps(validation_report(loaded)))
        else:
            from crm_roi.render.validation import print_validation

            print_validation(_console(), loaded, limit=limit)
        failed = any(i.rejected_total for i in loaded) or (
            strict and any(i.warnings for i in loaded)
        )
        raise typer.Exit(EXIT_DATA if failed else EXIT_OK)


@app.command()
def inspect(
    file: Annotated[Path, typer.Argument(help="Any one export.", show_default=False)],
    kind: Annotated[
        KindChoice | None,
        typer.Option("--kind", help="What the file holds (default: guessed from its headers)."),
    ] = None,
    mapping: MappingOpt = None,
    sheet: SheetOpt = None,
    dayfirst: DayFirstOpt = None,
    hourly_rate: HourlyRateOpt = None,
    rows: Annotated[int, typer.Option("--rows", min=0, help="Records to show as parsed.")] = 5,
    debug: DebugOpt = False,
) -> None:
    """Show how one file is read: format, encoding, delimiter, header, column mapping, and a
    few records as parsed."""
    with _errors(debug):
        from crm_roi.load import guess_kind, load_input
        from crm_roi.render.validation import print_file, print_issues, print_rows
        from crm_roi.schema import InputKind

        options = _load_options(mapping, sheet, dayfirst, hourly_rate)
        chosen = InputKind(kind.value) if kind else guess_kind(file, options)
        loaded = load_input(file, chosen, options)
        console = _console()
        print_file(console, loaded)
        print_issues(console, "Rejected rows", loaded.all_rejections, 10, "red")
        print_issues(console, "Warnings", loaded.warnings, 10, "yellow")
        print_issues(console, "Skipped lines", loaded.raw.skipped, 10, "dim")
        if rows:
            print_rows(console, loaded, rows)


# --- plumbing --------------------------------------------------------------------------------


def _console(stderr: bool = False) -> Console:
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=False)


def _load_options(
    mapping: Path | None, sheet: str | None, dayfirst: bool | None, hourly_rate: str | None
) -> LoadOptions:
    from crm_roi.load import LoadOptions

    rate = None
    if hourly_rate is not None:
        try:
            rate = Decimal(hourly_rate.replace(",", "."))
        except InvalidOperation:
            raise UsageError(
                f"--hourly-rate {hourly_rate!r} is not a number (e.g. 75.00)"
            ) from None
        if rate < 0:
            raise UsageError("--hourly-rate can't be negative")
    order = None if dayfirst is None else ("DMY" if dayfirst else "MDY")
    return LoadOptions(
        mapping_file=mapping, sheet=sheet, date_order=order, default_hourly_rate=rate
    )


def _load_all(
    deals: Path,
    costs: Path | None,
    customers: Path | None,
    time_logs: Path | None,
    options: LoadOptions,
) -> list[Loaded]:
    from crm_roi.load import load_input
    from crm_roi.schema import InputKind

    wanted: list[tuple[Path | None, InputKind]] = [
        (deals, InputKind.DEALS),
        (costs, InputKind.COSTS),
        (customers, InputKind.CUSTOMERS),
        (time_logs, InputKind.TIME_LOGS),
    ]
    return [load_input(path, kind, options) for path, kind in wanted if path is not None]


@contextmanager
def _errors(debug: bool) -> Iterator[None]:
    """Our errors become one line on stderr and an exit code; a bug says how to see more."""
    try:
        yield
    except (typer.Exit, typer.Abort):
        raise
    except CrmRoiError as exc:
        if debug:
            raise
        _fail(str(exc), exc.exit_code)
    except MemoryError:
        _fail("out of memory while reading the inputs", EXIT_DATA)
    except Exception as exc:
        if debug:
            raise
        _fail(
            f"unexpected {type(exc).__name__}: {exc} (a bug: rerun with --debug and report it)",
            EXIT_DATA,
        )


def _fail(message: str, code: int) -> NoReturn:
    typer.echo(f"Error: {message}", err=True)
    raise typer.Exit(code)


def main(argv: Any = None) -> None:
    """The console script: like ``app()``, but ``… | head`` ends quietly."""
    if hasattr(signal, "SIGPIPE"):
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    app(args=argv)

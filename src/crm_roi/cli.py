"""The command line: parse options, call the library, render. Nothing else lives here.

Heavy libraries (pandas, pyarrow, pydantic) are imported inside the commands, so that
``crm-roi --help`` stays fast.
"""

from __future__ import annotations

import io
import math
import os
import re
import signal
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import replace
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

from crm_roi import __version__
from crm_roi.errors import CrmRoiError, OutputError, UsageError

if TYPE_CHECKING:
    from rich.console import Console

    from crm_roi.inputs.load import Loaded, LoadOptions
    from crm_roi.inputs.schema import InputKind

app = typer.Typer(
    name="crm-roi",
    help="What did our sales and marketing effort return? ROI, CAC, CLV and more from CRM "
    "and ledger exports, with the fully loaded cost.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    # A cron log wants plain lines; a person at a terminal gets Rich's panels.
    rich_markup_mode="rich" if sys.stderr is not None and sys.stderr.isatty() else None,
)

EXIT_OK, EXIT_DATA, EXIT_USAGE = 0, 1, 2


class OutputFormat(StrEnum):
    table = "table"
    json = "json"


class ReportFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"
    markdown = "markdown"
    xlsx = "xlsx"


class Allocation(StrEnum):
    none = "none"
    revenue = "revenue"
    deals = "deals"
    even = "even"


SUFFIX_FORMATS = {
    ".json": "json",
    ".csv": "csv",
    ".md": "markdown",
    ".markdown": "markdown",
    ".txt": "table",
    ".xlsx": "xlsx",
}
EXIT_ROI = 3


class KindChoice(StrEnum):
    deals = "deals"
    costs = "costs"
    customers = "customers"
    time_logs = "time_logs"


# --- options shared by the commands (defined once) -------------------------------------------
INPUTS = "Inputs"
READING = "Reading"
DealsArg = Annotated[Path, typer.Argument(help="Deals (opportunities) export.", show_default=False)]
CostsArg = Annotated[Path | None, typer.Argument(help="Costs from the ledger.", show_default=False)]
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
LogJsonOpt = Annotated[
    Path | None,
    typer.Option(
        "--log-json",
        help="Append one JSON line about the run (inputs, rows, rejected, ROI, duration, "
        "error) to this file: for monitoring cron jobs.",
        rich_help_panel="Output",
    ),
]
PresetOpt = Annotated[
    str | None,
    typer.Option(
        "--preset",
        help="Read the files as this CRM exports them: hubspot, salesforce, pipedrive, "
        "dynamics, zoho, or none (default: recognised from the headers).",
        rich_help_panel=READING,
    ),
]
FIGURES = "Figures"
OUTPUT = "Output"
ByOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--by",
        help="Break down by a dimension: channel, campaign, owner, product, segment, any "
        "column, month, quarter, year, cohort; 'a,b' crosses two. Repeatable.",
        rich_help_panel="Figures",
    ),
]
FromOpt = Annotated[
    str | None,
    typer.Option(
        "--from",
        help="First day of the window (YYYY-MM-DD; default: earliest date in the inputs).",
        rich_help_panel="Figures",
    ),
]
ToOpt = Annotated[
    str | None,
    typer.Option(
        "--to",
        help="Last day of the window, inclusive (default: latest date in the inputs).",
        rich_help_panel="Figures",
    ),
]
GrossMarginOpt = Annotated[
    float,
    typer.Option(
        "--gross-margin",
        min=0.0,
        max=1.0,
        help="Share of revenue that is gross profit.",
        rich_help_panel="Figures",
    ),
]
AllocateOpt = Annotated[
    Allocation,
    typer.Option(
        "--allocate",
        help="Spread cost that can't be attributed over the groups by revenue, won deals, "
        "or evenly.",
        rich_help_panel="Figures",
    ),
]
ChurnAfterOpt = Annotated[
    int,
    typer.Option(
        "--churn-after",
        min=1,
        max=36500,
        help="Days after its last won deal a customer counts as churned (when the "
        "customers have no churn date).",
        rich_help_panel="Figures",
    ),
]
LifespanOpt = Annotated[
    float | None,
    typer.Option(
        "--lifespan",
        min=0.0,
        max=1000.0,
        help="Customer lifespan in years for CLV (default: 1 / churn rate).",
        rich_help_panel="Figures",
    ),
]
MaxLifespanOpt = Annotated[
    float,
    typer.Option(
        "--max-lifespan",
        min=0.0,
        max=1000.0,
        help="Cap on the lifespan in years.",
        rich_help_panel="Figures",
    ),
]
CurrencyOpt = Annotated[
    str | None,
    typer.Option(
        "--currency",
        help="Report currency, a three-letter code such as EUR (default: the one currency in "
        "the data).",
        rich_help_panel="Figures",
    ),
]
RatesOpt = Annotated[
    Path | None,
    typer.Option(
        "--rates",
        help="CSV of currency,rate: units of the report currency per unit.",
        rich_help_panel="Figures",
    ),
]
OutputOpt = Annotated[
    Path | None,
    typer.Option(
        "--output",
        "-o",
        help="Write the report to this file (atomically) instead of stdout.",
        rich_help_panel="Output",
    ),
]
LocaleOpt = Annotated[
    str,
    typer.Option(
        "--locale",
        help="Locale for money and numbers in the table, e.g. nl_NL.",
        rich_help_panel="Output",
    ),
]
MaxRejectedOpt = Annotated[
    str | None,
    typer.Option(
        "--max-rejected",
        metavar="N|P%",
        help="Fail (exit 1) when an input has more rejected rows than this: a count (100) or a "
        "share of its rows (5%).",
        rich_help_panel="Output",
    ),
]
QuietOpt = Annotated[
    bool, typer.Option("--quiet", "-q", help="No warnings on stderr.", rich_help_panel="Output")
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
    deals: DealsArg,
    costs: CostsArg = None,
    customers: CustomersOpt = None,
    time_logs: TimeLogsOpt = None,
    mapping: MappingOpt = None,
    sheet: SheetOpt = None,
    dayfirst: DayFirstOpt = None,
    hourly_rate: HourlyRateOpt = None,
    preset: PresetOpt = None,
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
        options = replace(
            _load_options(mapping, sheet, dayfirst, hourly_rate, preset), unusable_ok=True
        )
        engine = ("crm_roi.inputs.validate",)
        loaded = _load_all(deals, costs, customers, time_logs, options, engine)
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
    preset: PresetOpt = None,
    rows: Annotated[int, typer.Option("--rows", min=0, help="Records to show as parsed.")] = 5,
    debug: DebugOpt = False,
) -> None:
    """Show how one file is read: format, encoding, delimiter, header, column mapping, and a
    few records as parsed."""
    with _errors(debug):
        from crm_roi.inputs.load import guess_kind, load_input
        from crm_roi.inputs.schema import InputKind
        from crm_roi.render.validation import print_file, print_issues, print_rows

        options = replace(
            _load_options(mapping, sheet, dayfirst, hourly_rate, preset), unusable_ok=True
        )
        chosen = InputKind(kind.value) if kind else guess_kind(file, options)
        loaded = load_input(file, chosen, options)
        console = _console()
        print_file(console, loaded)
        print_issues(console, "Rejected rows", loaded.all_rejections, 10, "red")
        print_issues(console, "Warnings", loaded.warnings, 10, "yellow")
        print_issues(console, "Skipped lines", loaded.raw.skipped, 10, "dim")
        if rows:
            print_rows(console, loaded, rows)


@app.command()
def compute(
    deals: DealsArg,
    costs: CostsArg = None,
    customers: CustomersOpt = None,
    time_logs: TimeLogsOpt = None,
    by: ByOpt = None,
    date_from: FromOpt = None,
    date_to: ToOpt = None,
    gross_margin: GrossMarginOpt = 1.0,
    allocate: AllocateOpt = Allocation.none,
    churn_after: ChurnAfterOpt = 365,
    lifespan: LifespanOpt = None,
    max_lifespan: MaxLifespanOpt = 10.0,
    currency: CurrencyOpt = None,
    rates: RatesOpt = None,
    mapping: MappingOpt = None,
    sheet: SheetOpt = None,
    dayfirst: DayFirstOpt = None,
    hourly_rate: HourlyRateOpt = None,
    preset: PresetOpt = None,
    output_format: Annotated[
        ReportFormat | None,
        typer.Option(
            "--format",
            help="table, json, csv, markdown or xlsx (default: from --output's extension, else "
            "table on a terminal and json otherwise).",
            rich_help_panel="Output",
        ),
    ] = None,
    output: OutputOpt = None,
    locale: LocaleOpt = "en_US",
    strict: Annotated[
        bool,
        typer.Option(
            "--strict",
            help="Any rejected row is an error: exit 1, nothing computed.",
            rich_help_panel="Output",
        ),
    ] = False,
    quiet: QuietOpt = False,
    fail_under_roi: Annotated[
        float | None,
        typer.Option(
            "--fail-under-roi",
            help="Exit 3 when the total ROI is below this percentage (for cron alerts).",
            rich_help_panel="Output",
        ),
    ] = None,
    log_json: LogJsonOpt = None,
    max_rejected: MaxRejectedOpt = None,
    debug: DebugOpt = False,
) -> None:
    """Compute ROI, CAC, CLV, LTV:CAC, payback, win rate, deal size and sales cycle, in total
    and by any dimension.

    Exit codes: 0 ok, 1 data error (or --strict and a rejected row), 2 usage error,
    3 ROI below --fail-under-roi.
    """
    with _errors(debug, log_json, "compute") as record:
        _finite("--fail-under-roi", fail_under_roi, "give a percentage, e.g. 120")
        _locale(locale)
        fmt = _report_format(output_format, output)
        limit = _max_rejected(max_rejected)
        inputs_paths = _checked_paths(
            output, deals, costs, customers, time_logs, mapping=mapping, rates=rates, log=log_json
        )
        settings = _settings(
            by,
            date_from,
            date_to,
            gross_margin,
            allocate,
            churn_after,
            lifespan,
            max_lifespan,
            currency,
            rates,
        )
        options = _load_options(mapping, sheet, dayfirst, hourly_rate, preset)
        with _progress(inputs_paths, quiet) as step:
            step(f"Reading {len(inputs_paths)} input{'s' * (len(inputs_paths) > 1)}…")
            loaded = _load_all(deals, costs, customers, time_logs, options)
            step("Computing…")
            record["inputs"] = [i.account() for i in loaded]
            _check_rejected(loaded, limit)
            report, document = _compute(loaded, settings, strict, quiet)
        record["roi"] = document["totals"]["roi"]
        from crm_roi.render.report import note_lines

        notes = note_lines(report, loaded)
        _finish(document, fmt, output, locale, quiet, fail_under_roi, loaded, notes)


class CohortPeriod(StrEnum):
    month = "month"
    quarter = "quarter"


class TimeFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"
    xlsx = "xlsx"


TimeFormatOpt = Annotated[
    TimeFormat | None,
    typer.Option(
        "--format",
        help="table, json, csv or xlsx (default: from --output's extension, else table on a "
        "terminal and json otherwise).",
        rich_help_panel=OUTPUT,
    ),
]


@app.command()
def cohorts(
    deals: DealsArg,
    costs: CostsArg = None,
    customers: CustomersOpt = None,
    time_logs: TimeLogsOpt = None,
    period: Annotated[
        CohortPeriod,
        typer.Option(
            "--period", help="Cohorts by month or quarter of acquisition.", rich_help_panel=FIGURES
        ),
    ] = CohortPeriod.month,
    date_from: FromOpt = None,
    date_to: ToOpt = None,
    gross_margin: GrossMarginOpt = 1.0,
    currency: CurrencyOpt = None,
    rates: RatesOpt = None,
    mapping: MappingOpt = None,
    sheet: SheetOpt = None,
    dayfirst: DayFirstOpt = None,
    hourly_rate: HourlyRateOpt = None,
    preset: PresetOpt = None,
    output_format: TimeFormatOpt = None,
    output: OutputOpt = None,
    quiet: QuietOpt = False,
    max_rejected: MaxRejectedOpt = None,
    debug: DebugOpt = False,
) -> None:
    """Acquisition cohorts: customers, CAC, revenue at each age since acquisition, cumulative
    revenue per customer, and when each cohort paid back its CAC."""
    with _errors(debug):
        fmt = _time_format(output_format, output)
        _checked_paths(output, deals, costs, customers, time_logs, mapping=mapping, rates=rates)
        settings = _settings(
            None,
            date_from,
            date_to,
            gross_margin,
            Allocation.none,
            365,
            None,
            10.0,
            currency,
            rates,
        )
        options = _load_options(mapping, sheet, dayfirst, hourly_rate, preset)
        loaded = _load_all(deals, costs, customers, time_logs, options, TIME_AWARE)
        _check_rejected(loaded, _max_rejected(max_rejected))
        from crm_roi.engine.cohorts import cohorts as cohort_report
        from crm_roi.render import timeaware

        data = _frames(loaded, window=bool(date_from and date_to))
        document = timeaware.cohorts_dict(cohort_report(data, settings, period.value))
        _warn(loaded, document["warnings"], quiet)
        if fmt == "table" and output is None:
            timeaware.print_cohorts(_console(), document)
            return
        data = _time_bytes(fmt, document, timeaware.cohorts_csv, "cohorts")
        _write(data, output)


@app.command()
def compare(
    deals: DealsArg,
    costs: CostsArg = None,
    customers: CustomersOpt = None,
    time_logs: TimeLogsOpt = None,
    baseline: Annotated[
        str | None,
        typer.Option(
            "--baseline",
            help="The window before: FROM:TO (YYYY-MM-DD:YYYY-MM-DD).",
            rich_help_panel=FIGURES,
        ),
    ] = None,
    current: Annotated[
        str | None,
        typer.Option("--current", help="The window after: FROM:TO.", rich_help_panel=FIGURES),
    ] = None,
    go_live: Annotated[
        str | None,
        typer.Option(
            "--go-live",
            help="Instead of the windows: the N months before this date against the N months "
            "from it.",
            rich_help_panel=FIGURES,
        ),
    ] = None,
    months: Annotated[
        int,
        typer.Option(
            "--months",
            min=1,
            max=600,
            help="N for --go-live (at most 50 years).",
            rich_help_panel=FIGURES,
        ),
    ] = 12,
    by: ByOpt = None,
    gross_margin: GrossMarginOpt = 1.0,
    allocate: AllocateOpt = Allocation.none,
    churn_after: ChurnAfterOpt = 365,
    lifespan: LifespanOpt = None,
    max_lifespan: MaxLifespanOpt = 10.0,
    currency: CurrencyOpt = None,
    rates: RatesOpt = None,
    mapping: MappingOpt = None,
    sheet: SheetOpt = None,
    dayfirst: DayFirstOpt = None,
    hourly_rate: HourlyRateOpt = None,
    preset: PresetOpt = None,
    output_format: TimeFormatOpt = None,
    output: OutputOpt = None,
    quiet: QuietOpt = False,
    max_rejected: MaxRejectedOpt = None,
    debug: DebugOpt = False,
) -> None:
    """Before and after: every figure for a baseline and a current window, and how it changed
    (lower cost and CAC are better; higher ROI, win rate and CLV are better)."""
    with _errors(debug):
        fmt = _time_format(output_format, output)
        windows = _windows(baseline, current, go_live, months)
        _checked_paths(output, deals, costs, customers, time_logs, mapping=mapping, rates=rates)
        settings = _settings(
            by,
            None,
            None,
            gross_margin,
            allocate,
            churn_after,
            lifespan,
            max_lifespan,
            currency,
            rates,
        )
        options = _load_options(mapping, sheet, dayfirst, hourly_rate, preset)
        loaded = _load_all(deals, costs, customers, time_logs, options, TIME_AWARE)
        _check_rejected(loaded, _max_rejected(max_rejected))
        from crm_roi.engine.compare import compare as compare_reports
        from crm_roi.render import timeaware
        from crm_roi.render.report import report_dict

        data = _frames(loaded, window=True)
        _check_dimensions(settings, data)
        result = compare_reports(data, settings, *windows)
        document = timeaware.compare_dict(
            report_dict(result.baseline, loaded), report_dict(result.current, loaded), result.change
        )
        _warn(loaded, [*result.baseline.warnings, *result.current.warnings], quiet)
        if fmt == "table" and output is None:
            timeaware.print_compare(_console(), document)
            return
        _write(_time_bytes(fmt, document, timeaware.compare_csv, "compare"), output)


def _checked_paths(
    output: Path | None,
    *inputs: Path | None,
    mapping: Path | None = None,
    rates: Path | None = None,
    log: Path | None = None,
) -> list[Path]:
    """The data inputs given. Refused before anything is read: two inputs from standard
    input, an --output that can't be written, and an --output or --log-json that would land on
    any input — the data files, the mapping file (or ./crm-roi.toml), the --rates file."""
    from crm_roi.inputs.mapping import DEFAULT_MAPPING_FILE
    from crm_roi.inputs.source import check_one_stdin
    from crm_roi.output import check_target

    paths = [p for p in inputs if p is not None]
    check_one_stdin(paths)
    if mapping is None and Path(DEFAULT_MAPPING_FILE).is_file():
        mapping = Path(DEFAULT_MAPPING_FILE)
    settings = [p for p in (mapping, rates) if p is not None]
    check_target(output, [*paths, *settings], log)
    return paths


def _time_format(chosen: TimeFormat | None, output: Path | None) -> str:
    if chosen is TimeFormat.xlsx and output is None:
        raise UsageError(
            "--format xlsx writes a workbook: give it a file with --output report.xlsx"
        )
    if chosen is not None:
        return chosen.value
    fmt = _report_format(None, output)
    if fmt == "markdown":
        raise UsageError("markdown is for compute; use table, json, csv or xlsx here")
    return fmt


def _windows(baseline: str | None, current: str | None, go_live: str | None, months: int) -> Any:
    if go_live is not None:
        if baseline or current:
            raise UsageError("give --go-live, or --baseline and --current, not both")
        from crm_roi.engine.compare import go_live_windows

        return go_live_windows(_date_option("--go-live", go_live), months)
    if not (baseline and current):
        raise UsageError("give --baseline FROM:TO and --current FROM:TO, or --go-live DATE")
    return _span("--baseline", baseline), _span("--current", current)


def _span(name: str, value: str) -> Any:
    parts = value.split(":")
    if len(parts) != 2:
        raise UsageError(f"{name} {value!r}: expected FROM:TO, e.g. 2024-01-01:2024-06-30")
    start, end = (_date_option(name, p.strip()) for p in parts)
    if start > end:
        raise UsageError(f"{name} {value!r}: FROM is after TO")
    return start, end


def _time_bytes(fmt: str, document: dict[str, Any], to_csv: Any, kind: str) -> bytes:
    if fmt == "json":
        from crm_roi.render.json import dumps

        return (dumps(document) + "\n").encode("utf-8")
    if fmt == "csv":
        return str(to_csv(document)).encode("utf-8")
    if fmt == "xlsx":
        from crm_roi.render import excel

        build = excel.cohorts_workbook_bytes if kind == "cohorts" else excel.compare_workbook_bytes
        return build(document)
    from rich.console import Console

    from crm_roi.render import timeaware

    console = Console(record=True, width=250, file=open(os.devnull, "w"))  # noqa: SIM115
    (timeaware.print_cohorts if kind == "cohorts" else timeaware.print_compare)(console, document)
    return console.export_text().encode("utf-8")


def _write(data: bytes, output: Path | None) -> None:
    """The report to --output (atomically when it is a file), else to stdout."""
    from crm_roi.output import write_report

    write_report(output, data)


ROW_LINES = 20  # row issues shown on stderr; validate (and the JSON report) lists them all


def _warn(loaded: list[Loaded], notes: list[str], quiet: bool) -> None:
    """What a person should read about the inputs, without a flood: the first row issues,
    how many more there are, one summary line per input, then ``notes``."""
    if quiet:
        return
    issues = [issue for i in loaded for issue in (*i.all_rejections, *i.warnings)]
    for issue in issues[:ROW_LINES]:
        typer.echo(f"warning: {_one_line(str(issue))}", err=True)
    if len(issues) > ROW_LINES:
        more = len(issues) - ROW_LINES
        typer.echo(f"warning: … and {more:,} more (crm-roi validate lists them all)", err=True)
    for i in loaded:
        line = i.summary()
        if line is not None:
            typer.echo(f"warning: {_one_line(line)}", err=True)
    for note in notes:
        typer.echo(f"warning: {_one_line(note)}", err=True)


def _one_line(text: str) -> str:
    """Text from a file, made safe to print as one line: breaks and controls escaped."""
    return "".join(
        c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text
    )


def _max_rejected(value: str | None) -> tuple[float, bool] | None:
    """``5%`` → (5.0, True), ``100`` → (100.0, False)."""
    if value is None:
        return None
    text = value.strip()
    share = text.endswith("%")
    try:
        number = float(text.rstrip("%").strip())
    except ValueError:
        number = float("nan")
    if not number >= 0 or number == float("inf") or (share and number > 100):
        raise UsageError(
            f"--max-rejected {value!r}: give a count (100) or a share of each input's rows (5%)"
        )
    return number, share


def _check_rejected(loaded: list[Loaded], limit: tuple[float, bool] | None) -> None:
    """--max-rejected: an input with more rejected rows than allowed fails the run."""
    if limit is None:
        return
    number, share = limit
    for i in loaded:
        allowed = i.rows * number / 100 if share else number
        if i.rejected_total > allowed:
            said = f"{number:g}%" if share else f"{int(number):,}"
            _fail(
                f"{i.path}: {i.rejected_total:,} of {i.rows:,} rows rejected, more than "
                f"--max-rejected {said}: nothing computed (crm-roi validate lists them)",
                EXIT_DATA,
            )


def _frames(loaded: list[Loaded], window: bool = False) -> Any:
    """The records to compute from. A deals file with no rows is fine for an explicit window
    (nothing happened: the figures are zeros); one whose every row was rejected is not."""
    from crm_roi.engine.compute import Inputs
    from crm_roi.errors import InputError

    deals = loaded[0]
    if deals.rows and not deals.used:
        raise InputError(
            deals.path,
            f"none of its {deals.rows:,} rows can be used (crm-roi validate lists why): "
            "nothing to compute",
        )
    if not deals.rows and not window:
        raise InputError(
            deals.path,
            "has no data rows: nothing to compute (give --from and --to to report an empty window)",
        )
    by_kind = {i.kind.value: i.frame for i in loaded}
    return Inputs(
        by_kind["deals"],
        by_kind.get("costs"),
        by_kind.get("customers"),
        by_kind.get("time_logs"),
        aliases={i.kind: i.header_fields() for i in loaded},
    )


def _check_dimensions(settings: Any, data: Any) -> None:
    from crm_roi.engine.groups import dimension_exists

    for dims in settings.by:
        for dim in dims:
            if not dimension_exists(dim, data):
                raise UsageError(f"--by {dim}: no input has such a field or column")


def _compute(loaded: list[Loaded], settings: Any, strict: bool, quiet: bool) -> Any:
    """The figures, after the --strict check; the report and its JSON form."""
    from crm_roi.engine.compute import compute as compute_report
    from crm_roi.render.report import report_dict

    rejected = sum(i.rejected_total for i in loaded)
    if strict and rejected:
        if not quiet:
            for line in [str(r) for i in loaded for r in i.all_rejections][:20]:
                typer.echo(_one_line(line), err=True)
        _fail(f"{rejected:,} rows rejected and --strict given: nothing computed", EXIT_DATA)
    data = _frames(loaded, window=settings.start is not None and settings.end is not None)
    _check_dimensions(settings, data)
    report = compute_report(data, settings)
    return report, report_dict(report, loaded)


def _finish(
    document: dict[str, Any],
    fmt: str,
    output: Path | None,
    locale: str,
    quiet: bool,
    fail_under_roi: float | None,
    loaded: list[Loaded],
    notes: list[str],
) -> None:
    """Warnings to stderr, the report to stdout or --output, and the --fail-under-roi verdict."""
    _warn(loaded, notes, quiet)
    rejected_rows = [issue.as_dict() for i in loaded for issue in i.all_rejections]
    _emit(document, fmt, output, locale, rejected_rows)
    if fail_under_roi is not None:
        roi = document["totals"]["roi"]
        if roi is None or roi * 100 < fail_under_roi:
            shown = "undefined (no cost)" if roi is None else f"{roi * 100:.1f}%"
            typer.echo(f"ROI {shown} is below --fail-under-roi {fail_under_roi:g}%", err=True)
            raise typer.Exit(EXIT_ROI)


PROGRESS_BYTES = 20 * 1024**2  # inputs smaller than this are done before a spinner would show


@contextmanager
def _progress(paths: list[Path], quiet: bool) -> Iterator[Any]:
    """A spinner on stderr naming the step, for a person at a terminal waiting on big inputs."""
    size = sum(p.stat().st_size for p in paths if p.is_file())
    if quiet or size < PROGRESS_BYTES or not sys.stderr.isatty():
        yield lambda text: None
        return
    with _console(stderr=True).status("Starting…") as status:
        yield status.update


def _report_format(chosen: ReportFormat | None, output: Path | None) -> str:
    if chosen is ReportFormat.xlsx and output is None:
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
        return SUFFIX_FORMATS[suffix]
    return "table" if sys.stdout.isatty() else "json"


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


def _settings(
    by: list[str] | None,
    date_from: str | None,
    date_to: str | None,
    gross_margin: float,
    allocate: Allocation,
    churn_after: int,
    lifespan: float | None,
    max_lifespan: float,
    currency: str | None,
    rates: Path | None,
) -> Any:
    from crm_roi.engine.settings import Settings

    dims = tuple(tuple(p.strip() for p in b.split(",") if p.strip()) for b in by or [])
    if any(not d for d in dims):
        raise UsageError("--by needs a dimension name")
    _finite("--gross-margin", gross_margin, "give a share from 0 to 1, e.g. 0.8")
    _finite("--lifespan", lifespan, "give a number of years, e.g. 5")
    _finite("--max-lifespan", max_lifespan, "give a number of years, e.g. 10")
    return Settings(
        start=_date_option("--from", date_from),
        end=_date_option("--to", date_to),
        by=dims,
        gross_margin=Decimal(str(gross_margin)),
        allocate=allocate.value,
        churn_after_days=churn_after,
        lifespan=Decimal(str(lifespan)) if lifespan is not None else None,
        max_lifespan=Decimal(str(max_lifespan)),
        currency=_currency(currency),
        rates=_read_rates(rates) if rates is not None else {},
    )


CURRENCY_CODE = re.compile(r"[A-Z]{3}")  # ISO 4217's shape; the data's codes are held to it too
MAX_RATE = Decimal(10) ** 9  # units of the report currency per unit: no real rate comes near


def _currency(value: str | None) -> str | None:
    """``--currency eur`` → ``EUR``; anything but three letters is a usage error (it would be
    shown in every title and label of the report)."""
    if value is None:
        return None
    code = value.strip().upper()
    if not CURRENCY_CODE.fullmatch(code):
        raise UsageError(f"--currency {value!r}: give a three-letter currency code, e.g. EUR")
    return code


def _finite(name: str, value: float | None, hint: str) -> None:
    """Typer reads ``nan`` and ``inf`` as floats; a number option must be a finite number (a
    NaN threshold never fires, an infinite lifespan makes every CLV infinite)."""
    if value is not None and not math.isfinite(value):
        raise UsageError(f"{name} {value}: not a finite number; {hint}")


def _locale(value: str) -> None:
    """--locale must be one babel knows: checked before anything is read."""
    from babel import Locale, UnknownLocaleError

    try:
        Locale.parse(value)
    except (UnknownLocaleError, ValueError, TypeError):
        raise UsageError(
            f"--locale {value}: unknown locale (give language_COUNTRY, e.g. en_US, nl_NL, de_DE)"
        ) from None


def _date_option(name: str, value: str | None) -> Any:
    if value is None:
        return None
    import datetime as dt

    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"{name} {value!r} is not a date (YYYY-MM-DD)") from None


def _read_rates(path: Path) -> dict[str, Decimal]:
    import csv
    import io

    from crm_roi.inputs.source import read_settings

    try:  # a regular file of at most 1 MB: never a pipe or device that blocks or never ends
        text = read_settings(path, f"--rates {path}").decode("utf-8-sig")
    except FileNotFoundError:
        raise UsageError(f"--rates {path}: no such file") from None
    except OSError as exc:  # a folder, no permission, …
        raise UsageError(f"--rates {path} can't be read ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise UsageError(f"--rates {path} is not UTF-8 text") from None
    rates: dict[str, Decimal] = {}
    with io.StringIO(text, newline="") as handle:
        for number, row in enumerate(csv.reader(handle), start=1):
            if not row or not row[0].strip() or row[0].strip().lower() == "currency":
                continue
            try:
                rate = Decimal(row[1].strip().replace(",", "."))
            except (IndexError, InvalidOperation):
                raise UsageError(f"--rates {path}:{number}: expected currency,rate") from None
            if not rate.is_finite() or rate <= 0 or rate > MAX_RATE:
                raise UsageError(
                    f"--rates {path}:{number}: {row[1].strip()!r}: a rate must be a positive "
                    f"number up to {MAX_RATE:,} (units of the report currency per unit)"
                )
            code = row[0].strip().upper()
            if not CURRENCY_CODE.fullmatch(code):
                raise UsageError(
                    f"--rates {path}:{number}: {row[0].strip()!r} is not a currency code "
                    "(three letters, e.g. USD)"
                )
            rates[code] = rate
    return rates


def _rejected_count(document: dict[str, Any]) -> int:
    return sum(int(i["rejected"]) for i in document["inputs"])


def _emit(
    document: dict[str, Any],
    fmt: str,
    output: Path | None,
    locale: str,
    rejected_rows: list[dict[str, Any]],
) -> None:
    data: bytes
    if fmt == "xlsx":
        import datetime as dt

        from crm_roi.render.excel import workbook_bytes

        data = workbook_bytes(document, rejected_rows, dt.datetime.now())
    elif fmt == "table":
        from rich.console import Console

        from crm_roi.render.table import print_report

        if output is None:
            print_report(_console(), document, locale, _rejected_count(document))
            return
        console = Console(record=True, width=160, file=open(os.devnull, "w"))  # noqa: SIM115
        print_report(console, document, locale, _rejected_count(document))
        data = console.export_text().encode("utf-8")
    elif fmt == "json":
        from crm_roi.render.json import dumps

        data = (dumps(document) + "\n").encode("utf-8")
    elif fmt == "csv":
        from crm_roi.render.tabular import to_csv

        data = to_csv(document).encode("utf-8")
    else:
        from crm_roi.render.tabular import to_markdown

        data = to_markdown(document).encode("utf-8")
    _write(data, output)


# --- plumbing --------------------------------------------------------------------------------


def _console(stderr: bool = False) -> Console:
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    # A pipe or a file gets the whole table, never one cut to 80 columns.
    width = None if stream.isatty() else 250
    return Console(stderr=stderr, highlight=False, soft_wrap=False, width=width)


def _load_options(
    mapping: Path | None,
    sheet: str | None,
    dayfirst: bool | None,
    hourly_rate: str | None,
    preset: str | None = None,
) -> LoadOptions:
    from crm_roi.inputs.load import LoadOptions

    rate = None
    if hourly_rate is not None:
        try:
            rate = Decimal(hourly_rate.replace(",", "."))
        except InvalidOperation:
            raise UsageError(
                f"--hourly-rate {hourly_rate!r} is not a number (e.g. 75.00)"
            ) from None
        if not rate.is_finite():
            raise UsageError(f"--hourly-rate {hourly_rate!r} is not a number (e.g. 75.00)")
        if rate > MAX_RATE:
            raise UsageError(f"--hourly-rate {hourly_rate!r}: more than {MAX_RATE:,} an hour")
        if rate < 0:
            raise UsageError("--hourly-rate can't be negative")
    order = None if dayfirst is None else ("DMY" if dayfirst else "MDY")
    chosen = preset.strip().lower() if preset else None
    if chosen is not None:
        from crm_roi.inputs.presets import NAMES

        if chosen not in (*NAMES, "none"):
            raise UsageError(f"--preset {preset!r}: choose one of {', '.join(NAMES)} or none")
    return LoadOptions(
        mapping_file=mapping,
        sheet=sheet,
        date_order=order,
        default_hourly_rate=rate,
        preset=chosen,
    )


TIME_AWARE = (
    "crm_roi.engine.cohorts",
    "crm_roi.engine.compare",
    "crm_roi.render.timeaware",
)  # what cohorts and compare use


def _load_all(
    deals: Path,
    costs: Path | None,
    customers: Path | None,
    time_logs: Path | None,
    options: LoadOptions,
    engine: tuple[str, ...] = ("crm_roi.engine.compute", "crm_roi.render.report"),
) -> list[Loaded]:
    """Every input, validated. The modules in ``engine`` (pandas and what the command computes
    with) are imported meanwhile, while Arrow reads the files."""
    import importlib

    from crm_roi.inputs.load import load_inputs
    from crm_roi.inputs.schema import InputKind
    from crm_roi.inputs.source import check_one_stdin

    wanted: list[tuple[Path | None, InputKind]] = [
        (deals, InputKind.DEALS),
        (costs, InputKind.COSTS),
        (customers, InputKind.CUSTOMERS),
        (time_logs, InputKind.TIME_LOGS),
    ]
    check_one_stdin([path for path, _ in wanted if path is not None])
    return load_inputs(
        [(path, kind) for path, kind in wanted if path is not None],
        options,
        meanwhile=lambda: [importlib.import_module(name) for name in engine],
    )


@contextmanager
def _errors(debug: bool, log: Path | None = None, command: str = "") -> Iterator[dict[str, Any]]:
    """Our errors become one line on stderr and an exit code; a bug says how to see more.

    With ``log`` (``--log-json``), one JSON line about the run is appended to it at the end,
    whatever the outcome: for monitoring cron jobs. SIGTERM (see :func:`main`) is exit 143.
    """
    from crm_roi.inputs.source import forget_streams

    forget_streams()  # a pipe read by an earlier run in this process is not this run's input
    record: dict[str, Any] = {"command": command}
    started = time.monotonic()
    outcome = {"code": EXIT_OK}
    try:
        try:
            yield record
        except typer.Exit as exc:
            outcome["code"] = exc.exit_code
            raise
        except typer.Abort:
            outcome["code"] = EXIT_DATA
            raise
        except Terminated:
            record["error"], outcome["code"] = "stopped by SIGTERM", EXIT_TERM
            _fail("stopped by SIGTERM; the previous report, if any, is left as it was", EXIT_TERM)
        except BrokenPipeError:  # `… | head` stopped reading: nothing to say (as with SIGPIPE)
            outcome["code"] = EXIT_DATA
            _silence_stdout()
            raise typer.Exit(EXIT_DATA) from None
        except CrmRoiError as exc:
            from crm_roi.output import OutputClash

            if isinstance(exc, OutputClash) and exc.log:
                log = None  # the --log-json file is an input or the report: leave it alone
            if debug:
                raise
            record["error"], outcome["code"] = str(exc), exc.exit_code
            _fail(str(exc), exc.exit_code)
        except MemoryError:
            record["error"], outcome["code"] = "out of memory", EXIT_DATA
            _fail("out of memory while reading the inputs", EXIT_DATA)
        except Exception as exc:
            if debug:
                raise
            message = (
                f"unexpected {type(exc).__name__}: {exc} (a bug: rerun with --debug and report it)"
            )
            record["error"], outcome["code"] = message, EXIT_DATA
            _fail(message, EXIT_DATA)
    finally:
        if log is not None:
            _append_log(log, record, outcome["code"], time.monotonic() - started)


def _append_log(path: Path, record: dict[str, Any], code: int, seconds: float) -> None:
    """One line of JSON, appended in a single write (whole lines even with runs side by side)."""
    import datetime as dt
    import json

    line = {
        "time": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "command": record.get("command"),
        "exit_code": code,
        "ok": code == EXIT_OK,
        "duration_s": round(seconds, 3),
        "inputs": record.get("inputs", []),
        "rows": sum(i["rows"] for i in record.get("inputs", [])),
        "rejected": sum(i["rejected"] for i in record.get("inputs", [])),
        "roi": record.get("roi"),
        "error": record.get("error"),
    }
    data = (json.dumps(line, ensure_ascii=False) + "\n").encode("utf-8")
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
        try:
            os.write(fd, data)
        finally:
            os.close(fd)
    except OSError as exc:
        typer.echo(f"warning: --log-json {path}: {exc.strerror}", err=True)


def _fail(message: str, code: int) -> NoReturn:
    # A file name or value with a line break must not forge a second line on stderr.
    typer.echo(f"Error: {_one_line(message)}", err=True)
    raise typer.Exit(code)


EXIT_TERM = 128 + signal.SIGTERM  # 143, as a shell reports a run ended by SIGTERM
SIGTERM_GRACE_S = 10.0  # then exit even if a reader thread still waits on a pipe


class Terminated(BaseException):
    """SIGTERM arrived (cron, systemd or ``kill`` ending the run). A BaseException, like
    KeyboardInterrupt: it unwinds everything, so a report being written is removed."""


def _on_sigterm(signum: int, frame: object) -> NoReturn:
    """SIGTERM: stop here, unwinding like an error: the temporary report file is removed,
    one line says why, the --log-json line is written, and the exit code is 143."""
    raise Terminated


def _on_sigterm_in_main(signum: int, frame: object) -> NoReturn:
    # Unwinding waits for reader threads; one blocked on a pipe that never ends mustn't keep
    # a stopped run alive.
    timer = threading.Timer(SIGTERM_GRACE_S, _stop_now)
    timer.daemon = True
    timer.start()
    _on_sigterm(signum, frame)


def _stop_now() -> None:
    with suppress(OSError):
        os.write(2, b"Error: stopped by SIGTERM\n")
    os._exit(EXIT_TERM)


class _ClosedStdout(io.TextIOBase):
    """``sys.stdout`` when the caller closed it (``>&-``): a report written there is an error
    that says so, instead of a crash or output silently lost."""

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return False

    def write(self, text: str) -> int:
        if not text:
            return 0
        raise OutputError(
            "standard output is closed: nothing to write the report to; give --output FILE"
        )


def _hold_closed_descriptors() -> None:
    """A caller may close stdin, stdout or stderr (``<&-``, ``>&-``, ``2>&-``). /dev/null is
    put on those descriptors, so that no file crm-roi opens lands on them (a library's message
    to descriptor 2 would end up inside the report); stdout then reports itself closed, and
    messages for a closed stderr go nowhere. (Python may have made a stream for a closed
    descriptor, or None: either way it is replaced.)"""
    closed = set()
    for fd in (0, 1, 2):
        if not _usable(fd, writing=fd > 0):
            closed.add(fd)
            null = os.open(os.devnull, os.O_RDWR)
            if null != fd:
                os.dup2(null, fd)
                os.close(null)
    if 0 in closed:
        sys.stdin = None  # "-" then says standard input is closed
    if 1 in closed or sys.stdout is None:
        sys.stdout = _ClosedStdout()
    if 2 in closed or sys.stderr is None:
        sys.stderr = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 (for the run)


def _usable(fd: int, writing: bool) -> bool:
    """Whether a standard descriptor is open the right way round (a closed one may have been
    taken by some file opened read-only before Python started)."""
    try:
        import fcntl

        access = fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_ACCMODE
    except ImportError:  # no fcntl (Windows): open is enough
        try:
            os.fstat(fd)
        except OSError:
            return False
        return True
    except OSError:
        return False
    return access != (os.O_RDONLY if writing else os.O_WRONLY)


def _silence_stdout() -> None:
    """After a broken pipe, point stdout at /dev/null so Python's last flush stays quiet."""
    with suppress(OSError, ValueError, AttributeError):
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.stdout.fileno())


def _exit_now(code: int) -> NoReturn:
    """Exit without waiting for reader threads (one may wait on a pipe that never ends)."""
    for stream in (sys.stdout, sys.stderr):
        with suppress(OSError, ValueError, AttributeError, CrmRoiError):
            stream.flush()
    os._exit(code)


def main(argv: Any = None) -> None:
    """The console script: like ``app()``, but ``… | head`` ends quietly, a closed stdout or
    stderr is no crash, and SIGTERM stops the run cleanly (exit 143, no temporary file left)."""
    if hasattr(signal, "SIGPIPE"):
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, _on_sigterm_in_main)
    _hold_closed_descriptors()
    try:
        app(args=argv)
    except Terminated:  # before or after a command: starting up, parsing the options
        _exit_now(EXIT_TERM)
    except SystemExit as exc:
        if exc.code == EXIT_TERM:
            _exit_now(EXIT_TERM)
        raise

"""``crm-roi compute``: every figure of the contract, in total and by any dimension, and the
cron verdict of --fail-under-roi."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

import typer

from crm_roi.cli import values
from crm_roi.cli.emit import emit, progress, rejected_rows, resolve_format, say, warn
from crm_roi.cli.load import check_paths, check_rejected, check_strict, engine_inputs, load
from crm_roi.cli.options import (
    ALLOCATE,
    CHURN_AFTER,
    GROSS_MARGIN,
    LOCALE,
    MAX_LIFESPAN,
    AllocateOpt,
    ByOpt,
    ChurnAfterOpt,
    ColumnsOpt,
    ComputeStrictOpt,
    CostsArg,
    CurrencyOpt,
    CustomersOpt,
    DayFirstOpt,
    DealsArg,
    DebugOpt,
    FailUnderRoiOpt,
    FigureOptions,
    FromOpt,
    GrossMarginOpt,
    HourlyRateOpt,
    InputOptions,
    LeadsOpt,
    LifespanOpt,
    LocaleOpt,
    LogJsonOpt,
    MappingOpt,
    MaxLifespanOpt,
    MaxRejectedOpt,
    OutputOpt,
    PresetOpt,
    QuietOpt,
    RatesOpt,
    ReportFormat,
    ReportFormatOpt,
    SheetOpt,
    TimeLogsOpt,
    ToOpt,
    gather,
)
from crm_roi.cli.root import EXIT_ROI, exit_codes

if TYPE_CHECKING:
    from crm_roi.engine.compute import Report
    from crm_roi.engine.settings import Settings
    from crm_roi.inputs.load import Loaded

MEANWHILE = ("crm_roi.engine.compute", "crm_roi.render.report")  # imported while reading
# The end of the command's --help.
EXAMPLES = """Examples:

    crm-roi compute deals.csv costs.csv --by channel
    crm-roi compute deals.csv costs.csv --by channel,month --locale nl_NL
    crm-roi compute deals.csv costs.csv --from 2024-01-01 -o report.xlsx
    crm-roi compute deals.csv costs.csv --format markdown > roi.md
    crm-roi compute deals.csv costs.csv -q --fail-under-roi 120"""


def compute(
    deals: DealsArg,
    costs: CostsArg = None,
    customers: CustomersOpt = None,
    time_logs: TimeLogsOpt = None,
    leads: LeadsOpt = None,
    by: ByOpt = None,
    date_from: FromOpt = None,
    date_to: ToOpt = None,
    gross_margin: GrossMarginOpt = GROSS_MARGIN,
    allocate: AllocateOpt = ALLOCATE,
    churn_after: ChurnAfterOpt = CHURN_AFTER,
    lifespan: LifespanOpt = None,
    max_lifespan: MaxLifespanOpt = MAX_LIFESPAN,
    currency: CurrencyOpt = None,
    rates: RatesOpt = None,
    mapping: MappingOpt = None,
    sheet: SheetOpt = None,
    dayfirst: DayFirstOpt = None,
    hourly_rate: HourlyRateOpt = None,
    preset: PresetOpt = None,
    output_format: ReportFormatOpt = None,
    output: OutputOpt = None,
    locale: LocaleOpt = LOCALE,
    columns: ColumnsOpt = None,
    strict: ComputeStrictOpt = False,
    quiet: QuietOpt = False,
    fail_under_roi: FailUnderRoiOpt = None,
    log_json: LogJsonOpt = None,
    max_rejected: MaxRejectedOpt = None,
    debug: DebugOpt = False,
) -> None:
    """Compute ROI, CAC, CLV, LTV:CAC, payback, win rate, deal size and sales cycle, in total
    and by any dimension.

    Exit codes: 0 ok, 1 data error (or --strict and a rejected row), 2 usage error,
    3 ROI below --fail-under-roi.
    """
    params = locals()
    with exit_codes(debug, log_json, "compute") as run:
        values.finite("--fail-under-roi", fail_under_roi, "give a percentage, e.g. 120")
        locale = values.locale(locale)
        fmt = resolve_format(output_format, output, ReportFormat)
        picked = values.figure_names("--columns", columns)
        limit = values.max_rejected(max_rejected)
        inputs, figures = gather(InputOptions, params), gather(FigureOptions, params)
        paths = check_paths(inputs, output, rates, log_json)
        settings = figures.settings()
        with progress(paths, quiet) as step:
            step(f"Reading {len(paths)} input{'s' * (len(paths) > 1)}…")
            loaded = load(inputs, MEANWHILE)
            step("Computing…")
            run.inputs = [i.account() for i in loaded]
            check_rejected(loaded, limit)
            check_strict(loaded, strict, quiet)
            report, document, notes = _report(loaded, settings)
        run.roi = document["totals"]["roi"]
        warn(loaded, notes, quiet)
        emit(document, fmt, output, "report", locale, rejected_rows(loaded), columns=picked)
        check_roi(report.totals["roi"], fail_under_roi)


def _report(loaded: list[Loaded], settings: Settings) -> tuple[Report, dict[str, Any], list[str]]:
    """The engine's report, its JSON document, and the notes to warn about."""
    from crm_roi.engine.compute import compute as compute_report
    from crm_roi.render.report import note_lines, report_dict

    report = compute_report(engine_inputs(loaded, settings), settings)
    return report, report_dict(report, loaded), note_lines(report, loaded)


def check_roi(roi: Decimal | None, threshold: float | None) -> None:
    """--fail-under-roi: exit 3 when the total ROI (the engine's, a ratio) is below the
    threshold (a percentage), or undefined for want of cost."""
    if threshold is None:
        return
    if roi is None or roi * 100 < Decimal(str(threshold)):
        shown = "undefined (no cost)" if roi is None else f"{roi * 100:.1f}%"
        say(f"ROI {shown} is below --fail-under-roi {threshold:g}%")
        raise typer.Exit(EXIT_ROI)

"""``crm-roi compare``: every figure for a baseline and a current window, and how it changed."""

from __future__ import annotations

import datetime as dt

from crm_roi.cli import values
from crm_roi.cli.emit import emit, rejected_rows, resolve_format, warn
from crm_roi.cli.load import check_paths, check_rejected, engine_inputs, load
from crm_roi.cli.options import (
    ALLOCATE,
    CHURN_AFTER,
    GROSS_MARGIN,
    LOCALE,
    MAX_LIFESPAN,
    MONTHS,
    AllocateOpt,
    BaselineOpt,
    ByOpt,
    ChurnAfterOpt,
    CostsArg,
    CurrencyOpt,
    CurrentOpt,
    CustomersOpt,
    DayFirstOpt,
    DealsArg,
    DebugOpt,
    FigureOptions,
    GoLiveOpt,
    GrossMarginOpt,
    HourlyRateOpt,
    InputOptions,
    LeadsOpt,
    LifespanOpt,
    LocaleOpt,
    MappingOpt,
    MaxLifespanOpt,
    MaxRejectedOpt,
    MonthsOpt,
    OutputOpt,
    PresetOpt,
    QuietOpt,
    RatesOpt,
    SheetOpt,
    TimeFormat,
    TimeFormatOpt,
    TimeLogsOpt,
    gather,
)
from crm_roi.cli.root import exit_codes
from crm_roi.errors import UsageError

Span = tuple[dt.date, dt.date]
MEANWHILE = ("crm_roi.engine.compare", "crm_roi.render.timeaware", "crm_roi.render.report")
# The end of the command's --help.
EXAMPLES = """Examples:

    crm-roi compare deals.csv costs.csv --go-live 2024-01-01 --months 6
    crm-roi compare deals.csv costs.csv --by channel \\
        --baseline 2023-01-01:2023-12-31 --current 2024-01-01:2024-12-31"""


def compare(
    deals: DealsArg,
    costs: CostsArg = None,
    customers: CustomersOpt = None,
    time_logs: TimeLogsOpt = None,
    leads: LeadsOpt = None,
    baseline: BaselineOpt = None,
    current: CurrentOpt = None,
    go_live: GoLiveOpt = None,
    months: MonthsOpt = MONTHS,
    by: ByOpt = None,
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
    output_format: TimeFormatOpt = None,
    output: OutputOpt = None,
    locale: LocaleOpt = LOCALE,
    quiet: QuietOpt = False,
    max_rejected: MaxRejectedOpt = None,
    debug: DebugOpt = False,
) -> None:
    """Before and after: every figure for a baseline and a current window, and how it changed
    (lower cost and CAC are better; higher ROI, win rate and CLV are better)."""
    params = locals()
    with exit_codes(debug):
        locale = values.locale(locale)
        fmt = resolve_format(output_format, output, TimeFormat)
        before, after = windows(baseline, current, go_live, months)
        limit = values.max_rejected(max_rejected)
        inputs, figures = gather(InputOptions, params), gather(FigureOptions, params)
        check_paths(inputs, output, rates)
        settings = figures.settings()
        loaded = load(inputs, MEANWHILE)
        check_rejected(loaded, limit)
        from crm_roi.engine.compare import compare as compare_reports
        from crm_roi.render.report import report_dict
        from crm_roi.render.timeaware import compare_dict

        data = engine_inputs(loaded, settings, window=True)
        result = compare_reports(data, settings, before, after)
        baseline_doc = report_dict(result.baseline, loaded)
        document = compare_dict(baseline_doc, report_dict(result.current, loaded), result.change)
        warn(loaded, [*result.baseline.warnings, *result.current.warnings], quiet)
        emit(document, fmt, output, "compare", locale, rejected_rows(loaded))


def windows(
    baseline: str | None, current: str | None, go_live: str | None, months: int
) -> tuple[Span, Span]:
    """The two windows: --baseline and --current, or the --months before and from --go-live."""
    if go_live is not None:
        if baseline or current:
            raise UsageError("give --go-live, or --baseline and --current, not both")
        from crm_roi.engine.compare import go_live_windows

        return go_live_windows(values.day("--go-live", go_live), months)
    if not (baseline and current):
        raise UsageError("give --baseline FROM:TO and --current FROM:TO, or --go-live DATE")
    return values.span("--baseline", baseline), values.span("--current", current)

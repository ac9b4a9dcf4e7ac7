"""``crm-roi cohorts``: customers by month or quarter of acquisition, their CAC, revenue at
each age, and when each cohort paid back."""

from __future__ import annotations

from crm_roi.cli import values
from crm_roi.cli.emit import emit, rejected_rows, resolve_format, warn
from crm_roi.cli.load import check_paths, check_rejected, engine_inputs, load
from crm_roi.cli.options import (
    GROSS_MARGIN,
    LOCALE,
    PERIOD,
    CostsArg,
    CurrencyOpt,
    CustomersOpt,
    DayFirstOpt,
    DealsArg,
    DebugOpt,
    FigureOptions,
    FromOpt,
    GrossMarginOpt,
    HourlyRateOpt,
    InputOptions,
    LocaleOpt,
    MappingOpt,
    MaxRejectedOpt,
    OutputOpt,
    PeriodOpt,
    PresetOpt,
    QuietOpt,
    RatesOpt,
    SheetOpt,
    TimeFormat,
    TimeFormatOpt,
    TimeLogsOpt,
    ToOpt,
    gather,
)
from crm_roi.cli.root import exit_codes

MEANWHILE = ("crm_roi.engine.cohorts", "crm_roi.render.timeaware")  # imported while reading
# The end of the command's --help.
EXAMPLES = """Examples:

    crm-roi cohorts deals.csv costs.csv --customers customers.csv
    crm-roi cohorts deals.csv costs.csv --period quarter -o cohorts.xlsx"""


def cohorts(
    deals: DealsArg,
    costs: CostsArg = None,
    customers: CustomersOpt = None,
    time_logs: TimeLogsOpt = None,
    period: PeriodOpt = PERIOD,
    date_from: FromOpt = None,
    date_to: ToOpt = None,
    gross_margin: GrossMarginOpt = GROSS_MARGIN,
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
    """Acquisition cohorts: customers, CAC, revenue at each age since acquisition, cumulative
    revenue per customer, and when each cohort paid back its CAC."""
    params = locals()
    with exit_codes(debug):
        locale = values.locale(locale)
        fmt = resolve_format(output_format, output, TimeFormat)
        limit = values.max_rejected(max_rejected)
        inputs, figures = gather(InputOptions, params), gather(FigureOptions, params)
        check_paths(inputs, output, rates)
        settings = figures.settings()
        loaded = load(inputs, MEANWHILE)
        check_rejected(loaded, limit)
        from crm_roi.engine.cohorts import cohorts as cohort_report
        from crm_roi.render.report import input_entry
        from crm_roi.render.timeaware import cohorts_dict

        report = cohort_report(engine_inputs(loaded, settings), settings, period.value)
        document = cohorts_dict(report)
        warn(loaded, document["warnings"], quiet)
        accounts = [input_entry(i) for i in loaded]  # the HTML page shows them
        emit(document, fmt, output, "cohorts", locale, rejected_rows(loaded), inputs=accounts)

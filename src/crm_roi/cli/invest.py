"""``crm-roi invest``: did the CRM pay for itself? Costs and benefits year by year from
go-live, NPV, ROI and payback, with the assumptions they rest on."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from crm_roi.cli import values
from crm_roi.cli.emit import emit, rejected_rows, row_issues, say, warn
from crm_roi.cli.load import begin
from crm_roi.cli.options import (
    DISCOUNT_RATE,
    GROSS_MARGIN,
    LOCALE,
    RISK,
    YEARS,
    CostsArg,
    CurrencyOpt,
    CustomersOpt,
    DayFirstOpt,
    DealsArg,
    DebugOpt,
    DiscountRateOpt,
    GrossMarginOpt,
    HourlyRateOpt,
    InvestGoLiveOpt,
    InvestmentOpt,
    LocaleOpt,
    LogJsonOpt,
    MappingOpt,
    MaxRejectedOpt,
    NoProjectionOpt,
    OutputOpt,
    PresetOpt,
    QuietOpt,
    RatesOpt,
    RiskOpt,
    SheetOpt,
    TimeFormat,
    TimeFormatOpt,
    TimeLogsOpt,
    YearsOpt,
)
from crm_roi.cli.root import exit_codes
from crm_roi.errors import UsageError

if TYPE_CHECKING:
    from crm_roi.engine.invest import InvestSettings
    from crm_roi.engine.settings import Settings
    from crm_roi.inputs.load import Loaded

MEANWHILE = ("crm_roi.engine.invest", "crm_roi.render.invest")  # imported while reading
# The end of the command's --help.
EXAMPLES = """Examples:

    crm-roi invest deals.csv costs.csv --investment crm_costs.csv --go-live 2024-01-01
    crm-roi invest deals.csv --time-logs hours.csv --investment crm.xlsx --go-live 2024-01-01 \\
        --years 5 --discount-rate 0.08 --risk 0.1 -o business_case.xlsx"""


def invest(
    deals: DealsArg,
    costs: CostsArg = None,
    investment: InvestmentOpt = None,
    go_live: InvestGoLiveOpt = ...,  # type: ignore[assignment]
    customers: CustomersOpt = None,
    time_logs: TimeLogsOpt = None,
    years: YearsOpt = YEARS,
    discount_rate: DiscountRateOpt = DISCOUNT_RATE,
    risk: RiskOpt = RISK,
    no_projection: NoProjectionOpt = False,
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
    log_json: LogJsonOpt = None,
    max_rejected: MaxRejectedOpt = None,
    debug: DebugOpt = False,
) -> None:
    """The ROI of the CRM itself: its costs (the investment file) against the benefits measured
    from the exports — revenue uplift over the 12 months before go-live, time saved — and any
    benefit the investment file names, year by year; NPV, ROI and payback."""
    params = locals()
    with exit_codes(debug, log_json, "invest") as run:
        how = _how(go_live, years, discount_rate, risk, no_projection)
        if investment is None:
            raise UsageError(
                "--investment FILE is needed: what the CRM cost (date, amount, category, kind)"
            )
        begun = begin(run, params, TimeFormat, MEANWHILE)
        document = _document(begun.loaded, begun.settings, how)
        warn(begun.loaded, document["warnings"][row_issues(begun.loaded) :], quiet)
        if not quiet and begun.fmt != "table":
            for line in document["assumptions"]:
                say(line, "note: ")
        emit(document, begun.fmt, output, "invest", begun.locale, rejected_rows(begun.loaded))


def _how(
    go_live: str, years: int, discount_rate: float, risk: float, no_projection: bool
) -> InvestSettings:
    from decimal import Decimal

    from crm_roi.engine.invest import InvestSettings

    values.finite("--discount-rate", discount_rate, "give a yearly rate, e.g. 0.10")
    values.finite("--risk", risk, "give a share from 0 to 1, e.g. 0.1")
    if not 0 <= risk <= 1:
        raise UsageError(f"--risk {risk:g}: give a share from 0 to 1 (0.1 takes off 10 %)")
    if not -1 < discount_rate <= 1:
        raise UsageError(f"--discount-rate {discount_rate:g}: give a yearly rate, e.g. 0.10")
    return InvestSettings(
        go_live=values.day("--go-live", go_live),
        years=years,
        discount_rate=Decimal(str(discount_rate)),
        risk=Decimal(str(risk)),
        projection=not no_projection,
    )


def _document(loaded: list[Loaded], settings: Settings, how: InvestSettings) -> dict[str, Any]:
    from crm_roi.cli.load import engine_inputs
    from crm_roi.engine.invest import invest as invest_report
    from crm_roi.inputs.schema import InputKind
    from crm_roi.render.invest import invest_dict

    data = engine_inputs([i for i in loaded if i.kind is not InputKind.INVESTMENT], settings)
    investment = next(i for i in loaded if i.kind is InputKind.INVESTMENT)
    return invest_dict(invest_report(data, investment.frame, settings, how), loaded)

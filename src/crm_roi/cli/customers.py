"""``crm-roi customers``: each customer's chance of still buying, expected purchases and CLV
by model (BG/NBD and Gamma-Gamma), the accounts at risk, and a holdout check."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from crm_roi.cli import values
from crm_roi.cli.emit import emit, rejected_rows, row_issues, warn
from crm_roi.cli.load import begin
from crm_roi.cli.options import (
    GROSS_MARGIN,
    HORIZON,
    LOCALE,
    RISK_THRESHOLD,
    TOP,
    ByOpt,
    CalibrationEndOpt,
    CurrencyOpt,
    CustomersOpt,
    DayFirstOpt,
    DealsArg,
    DebugOpt,
    GrossMarginOpt,
    HoldoutToOpt,
    HorizonOpt,
    LocaleOpt,
    LogJsonOpt,
    MappingOpt,
    MaxRejectedOpt,
    OutputOpt,
    PresetOpt,
    QuietOpt,
    RatesOpt,
    RiskThresholdOpt,
    SheetOpt,
    TimeFormat,
    TimeFormatOpt,
    TopOpt,
)
from crm_roi.cli.root import exit_codes
from crm_roi.errors import UsageError

if TYPE_CHECKING:
    from crm_roi.engine.customers import ModelSettings
    from crm_roi.engine.settings import Settings
    from crm_roi.inputs.load import Loaded

MEANWHILE = ("crm_roi.engine.customers", "crm_roi.render.customers")  # imported while reading
# The end of the command's --help.
EXAMPLES = """Examples:

    crm-roi customers deals.csv --customers customers.csv
    crm-roi customers deals.csv --calibration-end 2024-06-30 --holdout-to 2024-12-31
    crm-roi customers deals.csv --by segment --horizon 24 -o customers.xlsx"""


def customers(
    deals: DealsArg,
    customers: CustomersOpt = None,
    calibration_end: CalibrationEndOpt = None,
    horizon: HorizonOpt = HORIZON,
    gross_margin: GrossMarginOpt = GROSS_MARGIN,
    risk_threshold: RiskThresholdOpt = RISK_THRESHOLD,
    holdout_to: HoldoutToOpt = None,
    by: ByOpt = None,
    top: TopOpt = TOP,
    currency: CurrencyOpt = None,
    rates: RatesOpt = None,
    mapping: MappingOpt = None,
    sheet: SheetOpt = None,
    dayfirst: DayFirstOpt = None,
    preset: PresetOpt = None,
    output_format: TimeFormatOpt = None,
    output: OutputOpt = None,
    locale: LocaleOpt = LOCALE,
    quiet: QuietOpt = False,
    log_json: LogJsonOpt = None,
    max_rejected: MaxRejectedOpt = None,
    debug: DebugOpt = False,
) -> None:
    """Customer lifetime value by model: each customer's chance of still buying (P(alive)),
    expected purchases and value over --horizon months, the accounts at risk, and per group
    the mean P(alive) and the CLV; --holdout-to checks the model against what happened.

    For repeat buying without contracts; for subscriptions, compute's churn rate fits better.
    """
    params = locals()
    with exit_codes(debug, log_json, "customers") as run:
        how = _how(calibration_end, horizon, risk_threshold, holdout_to)
        begun = begin(run, params, TimeFormat, MEANWHILE)
        document = _document(begun.loaded, begun.settings, how)
        warn(begun.loaded, document["warnings"][row_issues(begun.loaded) :], quiet)
        rejected = rejected_rows(begun.loaded)
        emit(document, begun.fmt, output, "customers", begun.locale, rejected, top=top)


def _how(
    calibration_end: str | None, horizon: int, threshold: float, holdout_to: str | None
) -> ModelSettings:
    from crm_roi.engine.customers import ModelSettings

    values.finite("--risk-threshold", threshold, "give a probability, e.g. 0.5")
    if not 0 < threshold <= 1:
        raise UsageError(f"--risk-threshold {threshold:g}: give a probability from 0 to 1")
    end = values.day("--calibration-end", calibration_end) if calibration_end else None
    holdout = values.day("--holdout-to", holdout_to) if holdout_to else None
    if end is not None and holdout is not None and holdout <= end:
        raise UsageError(f"--holdout-to {holdout} must come after --calibration-end {end}")
    return ModelSettings(end, horizon, threshold, holdout)


def _document(loaded: list[Loaded], settings: Settings, how: ModelSettings) -> dict[str, Any]:
    from crm_roi.cli.load import engine_inputs
    from crm_roi.engine.customers import customer_models
    from crm_roi.render.customers import customers_dict

    report = customer_models(engine_inputs(loaded, settings, window=True), settings, how)
    return customers_dict(report, loaded)

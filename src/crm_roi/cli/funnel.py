"""``crm-roi funnel``: leads → converted → opportunities → won, per group, each stage's count
and its rates; what the leads brought and cost."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from crm_roi.cli.emit import emit, rejected_rows, row_issues, warn
from crm_roi.cli.load import begin
from crm_roi.cli.options import (
    LOCALE,
    ByOpt,
    CostsArg,
    CurrencyOpt,
    CustomersOpt,
    DayFirstOpt,
    DebugOpt,
    FromOpt,
    FunnelDealsArg,
    HourlyRateOpt,
    LeadsArg,
    LocaleOpt,
    LogJsonOpt,
    MappingOpt,
    MaxRejectedOpt,
    OutputOpt,
    PresetOpt,
    QuietOpt,
    RatesOpt,
    SheetOpt,
    TimeFormat,
    TimeFormatOpt,
    TimeLogsOpt,
    ToOpt,
)
from crm_roi.cli.root import exit_codes

if TYPE_CHECKING:
    from crm_roi.engine.settings import Settings
    from crm_roi.inputs.load import Loaded

MEANWHILE = ("crm_roi.engine.funnel", "crm_roi.render.funnel")  # imported while reading
# The end of the command's --help.
EXAMPLES = """Examples:

    crm-roi funnel leads.csv deals.csv --by channel
    crm-roi funnel leads.csv deals.csv costs.csv --by campaign -o funnel.xlsx
    crm-roi funnel mqls.csv closed_deals.csv --by month --format json"""


def funnel(
    leads: LeadsArg,
    deals: FunnelDealsArg = None,
    costs: CostsArg = None,
    customers: CustomersOpt = None,
    time_logs: TimeLogsOpt = None,
    by: ByOpt = None,
    date_from: FromOpt = None,
    date_to: ToOpt = None,
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
    """The lead funnel: leads, converted, with a deal (opportunities) and won, per group, each
    with its rate from the stage before and from leads; lead revenue and cost per lead.

    Leads are counted in the window of their created date (default: the leads' first to last).
    """
    params = locals()
    with exit_codes(debug, log_json, "funnel") as run:
        begun = begin(run, params, TimeFormat, MEANWHILE, unneeded=frozenset({"amount"}))
        document = _document(begun.loaded, begun.settings, deals is not None)
        warn(begun.loaded, document["warnings"][row_issues(begun.loaded) :], quiet)
        emit(document, begun.fmt, output, "funnel", begun.locale, rejected_rows(begun.loaded))


def _document(loaded: list[Loaded], settings: Settings, has_deals: bool) -> dict[str, Any]:
    from crm_roi.cli.load import engine_inputs
    from crm_roi.engine.funnel import funnel as funnel_report
    from crm_roi.engine.funnel import no_deals
    from crm_roi.inputs.schema import InputKind
    from crm_roi.render.funnel import funnel_dict

    data = engine_inputs(loaded, settings, window=True, deals=no_deals() if not has_deals else None)
    leads = next(i for i in loaded if i.kind is InputKind.LEADS)
    if not leads.used:
        from crm_roi.errors import InputError

        raise InputError(leads.path, "has no leads to count: nothing to show")
    return funnel_dict(funnel_report(data, settings, has_deals), loaded)

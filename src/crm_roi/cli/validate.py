"""``crm-roi validate``: what was detected in each input, how its columns map, and every row
that can't be used."""

from __future__ import annotations

import typer

from crm_roi.cli import values
from crm_roi.cli.emit import console, write
from crm_roi.cli.load import load
from crm_roi.cli.options import (
    LIMIT,
    LOCALE,
    CostsArg,
    CustomersOpt,
    DayFirstOpt,
    DealsArg,
    DebugOpt,
    HourlyRateOpt,
    InputOptions,
    InvestmentOpt,
    LeadsOpt,
    LimitOpt,
    LocaleOpt,
    MappingOpt,
    OutputFormat,
    PresetOpt,
    SheetOpt,
    TimeLogsOpt,
    ValidateFormatOpt,
    ValidateStrictOpt,
    gather,
)
from crm_roi.cli.root import EXIT_DATA, EXIT_OK, exit_codes

MEANWHILE = ("crm_roi.inputs.validate",)  # imported while the files are read
# The end of the command's --help.
EXAMPLES = """Examples:

    crm-roi validate deals.csv costs.csv --customers customers.csv
    crm-roi validate deals.csv --leads leads.csv
    crm-roi validate deals.csv --format json > validation.json
    crm-roi validate deals.csv --strict --limit 100"""


def validate(
    deals: DealsArg,
    costs: CostsArg = None,
    customers: CustomersOpt = None,
    time_logs: TimeLogsOpt = None,
    leads: LeadsOpt = None,
    investment: InvestmentOpt = None,
    mapping: MappingOpt = None,
    sheet: SheetOpt = None,
    dayfirst: DayFirstOpt = None,
    hourly_rate: HourlyRateOpt = None,
    preset: PresetOpt = None,
    strict: ValidateStrictOpt = False,
    output_format: ValidateFormatOpt = OutputFormat.table,
    limit: LimitOpt = LIMIT,
    locale: LocaleOpt = LOCALE,
    debug: DebugOpt = False,
) -> None:
    """Check the inputs: what was detected, how columns map, and every row that can't be used.

    Exit code 0 when every row is usable, 1 when any row is rejected (or, with --strict,
    has a warning), 2 for a usage error.
    """
    params = locals()
    with exit_codes(debug):
        locale = values.locale(locale)
        loaded = load(gather(InputOptions, params), MEANWHILE, unusable_ok=True)
        if output_format is OutputFormat.json:
            from crm_roi.render.json import dumps
            from crm_roi.render.validation import validation_report

            write((dumps(validation_report(loaded)) + "\n").encode("utf-8"), None)
        else:
            from crm_roi.render.validation import print_validation

            print_validation(console(), loaded, limit=limit, locale=locale)
        failed = any(i.rejected_total for i in loaded) or (
            strict and any(i.warnings for i in loaded)
        )
        raise typer.Exit(EXIT_DATA if failed else EXIT_OK)

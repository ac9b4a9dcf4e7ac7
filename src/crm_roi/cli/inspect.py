"""``crm-roi inspect``: how one file is read — format, encoding, delimiter, header, column
mapping — and a few of its records as parsed."""

from __future__ import annotations

from crm_roi.cli import values
from crm_roi.cli.emit import console
from crm_roi.cli.options import (
    LOCALE,
    ROWS,
    DayFirstOpt,
    DebugOpt,
    FileArg,
    HourlyRateOpt,
    KindOpt,
    LocaleOpt,
    MappingOpt,
    PresetOpt,
    ReadOptions,
    RowsOpt,
    SheetOpt,
    gather,
)
from crm_roi.cli.root import exit_codes

SHOWN = 10  # issues of each sort listed
# The end of the command's --help.
EXAMPLES = """Examples:

    crm-roi inspect deals.csv
    crm-roi inspect export.xlsx --sheet Deals --rows 10
    crm-roi inspect ledger.csv --kind costs --locale nl_NL"""


def inspect(
    file: FileArg,
    kind: KindOpt = None,
    mapping: MappingOpt = None,
    sheet: SheetOpt = None,
    dayfirst: DayFirstOpt = None,
    hourly_rate: HourlyRateOpt = None,
    preset: PresetOpt = None,
    rows: RowsOpt = ROWS,
    locale: LocaleOpt = LOCALE,
    debug: DebugOpt = False,
) -> None:
    """Show how one file is read: format, encoding, delimiter, header, column mapping, and a
    few records as parsed."""
    params = locals()
    with exit_codes(debug):
        from crm_roi.inputs.load import guess_kind, load_input
        from crm_roi.inputs.schema import InputKind
        from crm_roi.render.validation import print_file, print_issues, print_rows

        locale = values.locale(locale)
        options = gather(ReadOptions, params).load_options(unusable_ok=True)
        chosen = InputKind(kind.value) if kind else guess_kind(file, options)
        loaded = load_input(file, chosen, options)
        out = console()
        print_file(out, loaded, locale)
        print_issues(out, "Rejected rows", loaded.all_rejections, SHOWN, "red")
        print_issues(out, "Warnings", loaded.warnings, SHOWN, "yellow")
        print_issues(out, "Skipped lines", loaded.raw.skipped, SHOWN, "dim")
        if rows:
            print_rows(out, loaded, rows, locale)

"""Every option of the commands, declared once, and the groups the library takes them in.

Typer needs each parameter in each command's signature, so a command lists its parameters with
the ``…Opt`` and ``…Arg`` aliases below (flag, help, panel, bounds) and the defaults declared here.
Its body then gathers them into groups with :func:`gather`: :class:`InputOptions` (the files and
how to read them) and :class:`FigureOptions` (what the figures depend on), which become the
library's ``LoadOptions`` and ``Settings`` in one method each.

Nothing heavy is imported here: ``crm-roi --help`` loads this module and must stay fast.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from crm_roi.cli import values
from crm_roi.errors import UsageError

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

    from crm_roi.engine.settings import Settings
    from crm_roi.inputs.load import LoadOptions

# --- choices -----------------------------------------------------------------------------------


class OutputFormat(StrEnum):  # validate
    table = "table"
    json = "json"


class ReportFormat(StrEnum):  # compute
    table = "table"
    json = "json"
    csv = "csv"
    markdown = "markdown"
    xlsx = "xlsx"
    html = "html"


class TimeFormat(StrEnum):  # cohorts and compare
    table = "table"
    json = "json"
    csv = "csv"
    xlsx = "xlsx"
    html = "html"


class Allocation(StrEnum):
    none = "none"
    revenue = "revenue"
    deals = "deals"
    even = "even"


class KindChoice(StrEnum):
    deals = "deals"
    costs = "costs"
    customers = "customers"
    time_logs = "time_logs"
    leads = "leads"
    investment = "investment"


class CohortPeriod(StrEnum):
    month = "month"
    quarter = "quarter"


# --- defaults (each declared here only; tests hold them to the engine's Settings) ---------------
GROSS_MARGIN = 1.0
ALLOCATE = Allocation.none
CHURN_AFTER = 365
MAX_LIFESPAN = 10.0
LOCALE: str | None = None  # from the environment: see values.locale
PERIOD = CohortPeriod.month
MONTHS = 12  # for --go-live
YEARS = 3  # invest's horizon
DISCOUNT_RATE = 0.10
RISK = 0.0
HORIZON = 12  # customers: months ahead
RISK_THRESHOLD = 0.5
TOP = 20
LIMIT = 20  # rejected rows validate lists per file
ROWS = 5  # records inspect shows

# --- the options -------------------------------------------------------------------------------
INPUTS, READING, FIGURES, OUTPUT = "Inputs", "Reading", "Figures", "Output"  # help panels

DealsArg = Annotated[
    Path, typer.Argument(help="Deals (opportunities) export.", show_default=False, metavar="DEALS")
]
CostsArg = Annotated[
    Path | None,
    typer.Argument(help="Costs from the ledger.", show_default=False, metavar="COSTS"),
]
LeadsArg = Annotated[
    Path,
    typer.Argument(help="Leads, contacts or MQLs export.", show_default=False, metavar="LEADS"),
]
FunnelDealsArg = Annotated[
    Path | None,
    typer.Argument(
        help="Deals (opportunities) export: gives the opportunities and won stages; no amount "
        "needed.",
        show_default=False,
        metavar="DEALS",
    ),
]
FileArg = Annotated[
    Path, typer.Argument(help="Any one export.", show_default=False, metavar="FILE")
]
CustomersOpt = Annotated[
    Path | None,
    typer.Option("--customers", metavar="FILE", help="Customers export.", rich_help_panel=INPUTS),
]
TimeLogsOpt = Annotated[
    Path | None,
    typer.Option(
        "--time-logs", metavar="FILE", help="Time logs: hours people spent.", rich_help_panel=INPUTS
    ),
]
LeadsOpt = Annotated[
    Path | None,
    typer.Option(
        "--leads",
        metavar="FILE",
        help="Leads, contacts or MQLs: adds lead conversion, won leads, lead revenue and "
        "cost per lead.",
        rich_help_panel=INPUTS,
    ),
]
MappingOpt = Annotated[
    Path | None,
    typer.Option(
        "--mapping",
        metavar="FILE",
        help="TOML file mapping your headers and stage names to crm-roi's fields "
        "(default: ./crm-roi.toml when it exists).",
        rich_help_panel=READING,
    ),
]
SheetOpt = Annotated[
    str | None,
    typer.Option(
        "--sheet",
        metavar="NAME",
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
        metavar="RATE",
        help="Hourly rate for time logs that have none, e.g. 75.00.",
        rich_help_panel=READING,
    ),
]
PresetOpt = Annotated[
    str | None,
    typer.Option(
        "--preset",
        metavar="CRM",
        help="Read the files as this CRM exports them: hubspot, salesforce, pipedrive, "
        "dynamics, zoho, or none (default: recognised from the headers).",
        rich_help_panel=READING,
    ),
]
KindOpt = Annotated[
    KindChoice | None,
    typer.Option("--kind", help="What the file holds (default: guessed from its headers)."),
]
RowsOpt = Annotated[
    int, typer.Option("--rows", min=0, metavar="N", help="Records to show as parsed.")
]
ByOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--by",
        metavar="DIM",
        help="Break down by a dimension: channel, campaign, owner, product, segment, any "
        "column, month, quarter, year, cohort; 'a,b' crosses two. Repeatable.",
        rich_help_panel=FIGURES,
    ),
]
FromOpt = Annotated[
    str | None,
    typer.Option(
        "--from",
        metavar="DATE",
        help="First day of the window (YYYY-MM-DD; default: earliest date in the inputs).",
        rich_help_panel=FIGURES,
    ),
]
ToOpt = Annotated[
    str | None,
    typer.Option(
        "--to",
        metavar="DATE",
        help="Last day of the window, inclusive (default: latest date in the inputs).",
        rich_help_panel=FIGURES,
    ),
]
GrossMarginOpt = Annotated[
    float,
    typer.Option(
        "--gross-margin",
        metavar="SHARE",
        min=0.0,
        max=1.0,
        help="Share of revenue that is gross profit.",
        rich_help_panel=FIGURES,
    ),
]
AllocateOpt = Annotated[
    Allocation,
    typer.Option(
        "--allocate",
        help="Spread cost that can't be attributed over the groups by revenue, won deals, "
        "or evenly.",
        rich_help_panel=FIGURES,
    ),
]
ChurnAfterOpt = Annotated[
    int,
    typer.Option(
        "--churn-after",
        metavar="DAYS",
        min=1,
        max=36500,
        help="Days after its last won deal a customer counts as churned (when the "
        "customers have no churn date).",
        rich_help_panel=FIGURES,
    ),
]
LifespanOpt = Annotated[
    float | None,
    typer.Option(
        "--lifespan",
        metavar="YEARS",
        min=0.0,
        max=1000.0,
        help="Customer lifespan in years for CLV (default: 1 / churn rate).",
        rich_help_panel=FIGURES,
    ),
]
MaxLifespanOpt = Annotated[
    float,
    typer.Option(
        "--max-lifespan",
        metavar="YEARS",
        min=0.0,
        max=1000.0,
        help="Cap on the lifespan in years.",
        rich_help_panel=FIGURES,
    ),
]
CurrencyOpt = Annotated[
    str | None,
    typer.Option(
        "--currency",
        metavar="CODE",
        help="Report currency, a three-letter code such as EUR (default: the one currency in "
        "the data).",
        rich_help_panel=FIGURES,
    ),
]
RatesOpt = Annotated[
    Path | None,
    typer.Option(
        "--rates",
        metavar="FILE",
        help="CSV of currency,rate: units of the report currency per unit.",
        rich_help_panel=FIGURES,
    ),
]
PeriodOpt = Annotated[
    CohortPeriod,
    typer.Option(
        "--period", help="Cohorts by month or quarter of acquisition.", rich_help_panel=FIGURES
    ),
]
BaselineOpt = Annotated[
    str | None,
    typer.Option(
        "--baseline",
        metavar="FROM:TO",
        help="The window before: FROM:TO (YYYY-MM-DD:YYYY-MM-DD).",
        rich_help_panel=FIGURES,
    ),
]
CurrentOpt = Annotated[
    str | None,
    typer.Option(
        "--current", metavar="FROM:TO", help="The window after: FROM:TO.", rich_help_panel=FIGURES
    ),
]
GoLiveOpt = Annotated[
    str | None,
    typer.Option(
        "--go-live",
        metavar="DATE",
        help="Instead of the windows: the N months before this date against the N months from it.",
        rich_help_panel=FIGURES,
    ),
]
InvestmentOpt = Annotated[
    Path | None,
    typer.Option(
        "--investment",
        metavar="FILE",
        help="What the CRM cost (licences, implementation, training, …) and any benefit "
        "measured outside the exports: date or period, amount, category, kind cost|benefit "
        "(invest needs it).",
        rich_help_panel=INPUTS,
        show_default=False,
    ),
]
InvestGoLiveOpt = Annotated[
    str,
    typer.Option(
        "--go-live",
        metavar="DATE",
        help="The day the CRM went live: year 1 starts on it, the baseline is the 12 months "
        "before.",
        rich_help_panel=FIGURES,
        show_default=False,
    ),
]
YearsOpt = Annotated[
    int,
    typer.Option(
        "--years", metavar="N", min=1, max=30, help="Years of the horizon.", rich_help_panel=FIGURES
    ),
]
DiscountRateOpt = Annotated[
    float,
    typer.Option(
        "--discount-rate",
        metavar="R",
        help="Yearly discount rate for present values (0.10 is 10 %).",
        rich_help_panel=FIGURES,
    ),
]
RiskOpt = Annotated[
    float,
    typer.Option(
        "--risk",
        metavar="R",
        help="Risk adjustment: benefits are taken × (1 − R) (0.10 takes off 10 %).",
        rich_help_panel=FIGURES,
    ),
]
NoProjectionOpt = Annotated[
    bool,
    typer.Option(
        "--no-projection",
        help="Leave years the exports don't cover in full out of the horizon, instead of "
        "projecting the last full year's benefits.",
        rich_help_panel=FIGURES,
    ),
]
CalibrationEndOpt = Annotated[
    str | None,
    typer.Option(
        "--calibration-end",
        metavar="DATE",
        help="Fit the models on purchases up to this day (default: the data's last day).",
        rich_help_panel=FIGURES,
    ),
]
HorizonOpt = Annotated[
    int,
    typer.Option(
        "--horizon",
        metavar="MONTHS",
        min=1,
        max=600,
        help="Months ahead for expected purchases and CLV.",
        rich_help_panel=FIGURES,
    ),
]
RiskThresholdOpt = Annotated[
    float,
    typer.Option(
        "--risk-threshold",
        metavar="P",
        help="Customers whose chance of still buying is below P are at risk.",
        rich_help_panel=FIGURES,
    ),
]
HoldoutToOpt = Annotated[
    str | None,
    typer.Option(
        "--holdout-to",
        metavar="DATE",
        help="Check the model: predicted against actual purchases from the calibration end "
        "to this day.",
        rich_help_panel=FIGURES,
    ),
]
TopOpt = Annotated[
    int,
    typer.Option(
        "--top",
        metavar="N",
        min=1,
        help="Customers the table lists (the JSON and CSV list every one).",
        rich_help_panel=OUTPUT,
    ),
]
MonthsOpt = Annotated[
    int,
    typer.Option(
        "--months",
        metavar="N",
        min=1,
        max=600,
        help="N for --go-live (at most 50 years).",
        rich_help_panel=FIGURES,
    ),
]
ValidateFormatOpt = Annotated[
    OutputFormat, typer.Option("--format", help="table for people, json for scripts.")
]
ReportFormatOpt = Annotated[
    ReportFormat | None,
    typer.Option(
        "--format",
        help="table, json, csv, markdown, xlsx or html (default: from --output's extension, "
        "else table on a terminal and json otherwise).",
        rich_help_panel=OUTPUT,
    ),
]
TimeFormatOpt = Annotated[
    TimeFormat | None,
    typer.Option(
        "--format",
        help="table, json, csv, xlsx or html (default: from --output's extension, else table "
        "on a terminal and json otherwise).",
        rich_help_panel=OUTPUT,
    ),
]
OutputOpt = Annotated[
    Path | None,
    typer.Option(
        "--output",
        "-o",
        metavar="FILE",
        help="Write the report to this file (atomically) instead of stdout.",
        rich_help_panel=OUTPUT,
    ),
]
LocaleOpt = Annotated[
    str | None,
    typer.Option(
        "--locale",
        metavar="LOCALE",
        help="How people's reports write numbers, money and dates: nl_NL (€ 1.234,56, "
        "31-12-2024), de_DE, en_GB, en_US, … or plain (€1,234.56, 2024-12-31); JSON and CSV "
        "stay plain (default: the environment's LC_ALL, LC_NUMERIC or LANG, else plain).",
        show_default=False,
        rich_help_panel=OUTPUT,
    ),
]
ColumnsOpt = Annotated[
    str | None,
    typer.Option(
        "--columns",
        metavar="FIGURES",
        help="The figures the table shows for each group, by name, e.g. roi,cac,clv (default: "
        "as many as fit the terminal, in this order: revenue, cost, roi, cac, clv, ltv_cac, "
        "won_deals, win_rate, net_return, avg_deal_size, new_customers).",
        rich_help_panel=OUTPUT,
    ),
]
LimitOpt = Annotated[
    int,
    typer.Option(
        "--limit", min=1, metavar="N", help="Rejected rows to list per file in the table."
    ),
]
ValidateStrictOpt = Annotated[
    bool, typer.Option("--strict", help="Fail on warnings too, not only on rejected rows.")
]
ComputeStrictOpt = Annotated[
    bool,
    typer.Option(
        "--strict",
        help="Any rejected row is an error: exit 1, nothing computed.",
        rich_help_panel=OUTPUT,
    ),
]
FailUnderRoiOpt = Annotated[
    float | None,
    typer.Option(
        "--fail-under-roi",
        metavar="PERCENT",
        help="Exit 3 when the total ROI is below this percentage (for cron alerts).",
        rich_help_panel=OUTPUT,
    ),
]
MaxRejectedOpt = Annotated[
    str | None,
    typer.Option(
        "--max-rejected",
        metavar="N|P%",
        help="Fail (exit 1) when an input has more rejected rows than this: a count (100) or a "
        "share of its rows (5%).",
        rich_help_panel=OUTPUT,
    ),
]
LogJsonOpt = Annotated[
    Path | None,
    typer.Option(
        "--log-json",
        metavar="FILE",
        help="Append one JSON line about the run (inputs, rows, rejected, ROI, duration, "
        "error) to this file: for monitoring cron jobs.",
        rich_help_panel=OUTPUT,
    ),
]
QuietOpt = Annotated[
    bool, typer.Option("--quiet", "-q", help="No warnings on stderr.", rich_help_panel=OUTPUT)
]
DebugOpt = Annotated[
    bool, typer.Option("--debug", help="Show the traceback of an unexpected error.", hidden=True)
]

# --- the groups --------------------------------------------------------------------------------
Group = TypeVar("Group", bound="DataclassInstance")


def gather(group: type[Group], params: Mapping[str, Any]) -> Group:
    """One group of options from a command's parameters (``locals()`` as its body starts):
    each field of the group the command has, by name; those it hasn't keep their defaults."""
    names = {f.name for f in fields(group)}
    return group(**{name: value for name, value in params.items() if name in names})


@dataclass(frozen=True)
class ReadOptions:
    """How to read the inputs (the Reading panel)."""

    mapping: Path | None = None
    sheet: str | None = None
    dayfirst: bool | None = None
    hourly_rate: str | None = None
    preset: str | None = None

    def load_options(
        self, unusable_ok: bool = False, unneeded: frozenset[str] = frozenset()
    ) -> LoadOptions:
        """The inputs' ``LoadOptions``; a bad --hourly-rate or --preset is a usage error."""
        from crm_roi.inputs.load import LoadOptions

        rate = values.hourly_rate(self.hourly_rate)
        return LoadOptions(
            mapping_file=self.mapping,
            sheet=self.sheet,
            date_order=None if self.dayfirst is None else ("DMY" if self.dayfirst else "MDY"),
            default_hourly_rate=rate,
            preset=values.preset_name(self.preset),
            unusable_ok=unusable_ok,
            unneeded=unneeded,
        )


@dataclass(frozen=True, kw_only=True)
class InputOptions(ReadOptions):
    """The files a command reads, and how to read them."""

    deals: Path | None = None
    costs: Path | None = None
    customers: Path | None = None
    time_logs: Path | None = None
    leads: Path | None = None
    investment: Path | None = None

    @property
    def paths(self) -> list[Path]:
        """The data files given, deals first."""
        given = (
            self.deals,
            self.costs,
            self.customers,
            self.time_logs,
            self.leads,
            self.investment,
        )
        return [path for path in given if path is not None]


@dataclass(frozen=True)
class FigureOptions:
    """What the figures depend on besides the data (the Figures panel)."""

    by: list[str] | None = None
    date_from: str | None = None
    date_to: str | None = None
    gross_margin: float = GROSS_MARGIN
    allocate: Allocation = ALLOCATE
    churn_after: int = CHURN_AFTER
    lifespan: float | None = None
    max_lifespan: float = MAX_LIFESPAN
    currency: str | None = None
    rates: Path | None = None

    def settings(self) -> Settings:
        """The engine's ``Settings``; a value that can't be one is a usage error."""
        from crm_roi.engine.settings import Settings
        from crm_roi.inputs.rates import read_rates

        by = tuple(tuple(p.strip() for p in b.split(",") if p.strip()) for b in self.by or [])
        if any(not dims for dims in by):
            raise UsageError("--by needs a dimension name")
        values.finite("--gross-margin", self.gross_margin, "give a share from 0 to 1, e.g. 0.8")
        values.finite("--lifespan", self.lifespan, "give a number of years, e.g. 5")
        values.finite("--max-lifespan", self.max_lifespan, "give a number of years, e.g. 10")
        return Settings(
            start=values.date_option("--from", self.date_from),
            end=values.date_option("--to", self.date_to),
            by=by,
            gross_margin=Decimal(str(self.gross_margin)),
            allocate=self.allocate.value,
            churn_after_days=self.churn_after,
            lifespan=None if self.lifespan is None else Decimal(str(self.lifespan)),
            max_lifespan=Decimal(str(self.max_lifespan)),
            currency=values.currency_code(self.currency),
            rates=read_rates(self.rates) if self.rates is not None else {},
        )

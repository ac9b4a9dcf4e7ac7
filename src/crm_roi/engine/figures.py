"""Every figure of the contract, declared once: its name, what kind of number it is, its unit,
labels, which way is better, how it is shown, what it means and when it is null.

Everything that names or explains a figure takes it from here: the JSON report (names, and
money rounded to the cent), the terminal table and the workbook (labels, formats), the
comparison's better/worse colours, the Definitions sheet and the table in ``docs/metrics.md``
(a test keeps that table equal to :data:`DEFINITIONS`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    """What kind of number a figure is: how it is summed, rounded and written."""

    MONEY = "money"  # exact cents, rounded to the cent on output
    COUNT = "count"  # a whole number
    NUMBER = "number"  # a ratio, a rate, days, hours: unrounded


class Better(StrEnum):
    """Which way a change is good news, for comparisons."""

    HIGHER = "higher"
    LOWER = "lower"
    NEUTRAL = "neutral"


class Shown(StrEnum):
    """How people read it: 1.5 as 150 % (PERCENT), 3.2 as 3.2× (TIMES), or as it is."""

    PLAIN = "plain"
    PERCENT = "percent"
    TIMES = "times"


MONEY, COUNT, NUMBER = Kind.MONEY, Kind.COUNT, Kind.NUMBER
HIGHER, LOWER, NEUTRAL = Better.HIGHER, Better.LOWER, Better.NEUTRAL
PLAIN, PERCENT, TIMES = Shown.PLAIN, Shown.PERCENT, Shown.TIMES


@dataclass(frozen=True)
class Figure:
    name: str  # the field in the JSON report and every other output
    kind: Kind
    unit: str  # as docs/metrics.md says it: "money", "ratio 0–1", "per year", …
    label: str  # a column or row heading: "Cost (fully loaded)"
    short: str  # a narrow column heading: "Cost"
    better: Better
    shown: Shown
    meaning: str  # in the user's words (docs, Definitions sheet)
    null_when: str


FIGURES: tuple[Figure, ...] = (
    Figure(
        "revenue",
        MONEY,
        "money",
        "Revenue",
        "Revenue",
        HIGHER,
        PLAIN,
        "The amounts of the won deals closed in the window, added up.",
        "never (0)",
    ),
    Figure(
        "won_deals",
        COUNT,
        "count",
        "Won deals",
        "Won",
        HIGHER,
        PLAIN,
        "Deals won / lost that closed in the window.",
        "never",
    ),
    Figure(
        "lost_deals",
        COUNT,
        "count",
        "Lost deals",
        "Lost",
        LOWER,
        PLAIN,
        "Deals won / lost that closed in the window.",
        "never",
    ),
    Figure(
        "open_deals",
        COUNT,
        "count",
        "Open deals",
        "Open",
        NEUTRAL,
        PLAIN,
        "Open deals created in the window (or with no created date).",
        "never",
    ),
    Figure(
        "win_rate",
        NUMBER,
        "ratio 0–1",
        "Win rate",
        "Win rate",
        HIGHER,
        PERCENT,
        "won ÷ (won + lost). 0.6 is 60 %.",
        "no deal closed",
    ),
    Figure(
        "avg_deal_size",
        MONEY,
        "money",
        "Avg deal size",
        "Avg deal",
        HIGHER,
        PLAIN,
        "revenue ÷ won deals.",
        "no deal won",
    ),
    Figure(
        "sales_cycle_days",
        NUMBER,
        "days",
        "Sales cycle (days)",
        "Sales cycle",
        LOWER,
        PLAIN,
        "The median number of days from created to closed, over the won deals closed in the window that have both dates.",
        "no such deal",
    ),
    Figure(
        "direct_cost",
        MONEY,
        "money",
        "Direct cost",
        "Direct cost",
        LOWER,
        PLAIN,
        "The cost rows in the window.",
        "no costs input",
    ),
    Figure(
        "time_cost",
        MONEY,
        "money",
        "Time cost",
        "Time cost",
        LOWER,
        PLAIN,
        "Σ hours × hourly rate of the time logged in the window; each log is rounded half up to the cent.",
        "no time logs input",
    ),
    Figure(
        "hours",
        NUMBER,
        "hours",
        "Hours",
        "Hours",
        NEUTRAL,
        PLAIN,
        "The hours logged in the window.",
        "no time logs input",
    ),
    Figure(
        "cost",
        MONEY,
        "money",
        "Cost (fully loaded)",
        "Cost",
        LOWER,
        PLAIN,
        "direct_cost + time_cost (+ the share spread onto the group with `--allocate`): the fully loaded cost.",
        "no costs and no time logs",
    ),
    Figure(
        "gross_profit",
        MONEY,
        "money",
        "Gross profit",
        "Gross profit",
        HIGHER,
        PLAIN,
        "revenue × `--gross-margin` (default 1.0).",
        "never",
    ),
    Figure(
        "net_return",
        MONEY,
        "money",
        "Net return",
        "Net return",
        HIGHER,
        PLAIN,
        "gross_profit − cost.",
        "cost is null",
    ),
    Figure(
        "roi",
        NUMBER,
        "ratio",
        "ROI",
        "ROI",
        HIGHER,
        PERCENT,
        "net_return ÷ cost. 1.5 means 150 %: every euro spent came back with 1.50 on top.",
        "cost is 0 or null",
    ),
    Figure(
        "new_customers",
        COUNT,
        "count",
        "New customers",
        "New cust.",
        HIGHER,
        PLAIN,
        "Customers acquired in the window: those whose acquired date (in the customers file), else the close date of their first won deal ever, falls in it.",
        "never (0)",
    ),
    Figure(
        "acquisition_cost",
        MONEY,
        "money",
        "Acquisition cost",
        "Acq. cost",
        LOWER,
        PLAIN,
        "The part of cost that is spent on winning customers: cost rows whose type is acquisition (the default) and time whose activity is not retention work.",
        "no costs and no time logs",
    ),
    Figure(
        "cac",
        MONEY,
        "money",
        "CAC",
        "CAC",
        LOWER,
        PLAIN,
        "acquisition_cost ÷ new_customers: what one new customer cost.",
        "no new customers",
    ),
    Figure(
        "active_customers",
        COUNT,
        "count",
        "Active customers",
        "Active cust.",
        HIGHER,
        PLAIN,
        "Distinct customers with a won deal closed in the window.",
        "never",
    ),
    Figure(
        "purchase_frequency",
        NUMBER,
        "per year",
        "Purchases / year",
        "Purch./yr",
        HIGHER,
        PLAIN,
        "won_deals ÷ active_customers ÷ years of the window (days ÷ 365.25).",
        "no active customers",
    ),
    Figure(
        "churn_rate",
        NUMBER,
        "per year",
        "Churn / year",
        "Churn/yr",
        LOWER,
        PERCENT,
        "Customers whose churn date falls in the window ÷ the customer-years at risk in the window.",
        "no customer-years",
    ),
    Figure(
        "lifespan_years",
        NUMBER,
        "years",
        "Lifespan (years)",
        "Lifespan",
        HIGHER,
        PLAIN,
        "1 ÷ churn_rate, capped at `--max-lifespan` (default 10; a churn rate of 0 gives the cap). `--lifespan` sets it.",
        "churn_rate null and no `--lifespan`",
    ),
    Figure(
        "clv",
        MONEY,
        "money",
        "CLV",
        "CLV",
        HIGHER,
        PLAIN,
        "avg_deal_size × purchase_frequency × gross margin × lifespan_years: what a customer is worth over its life.",
        "any part null",
    ),
    Figure(
        "clv_to_date",
        MONEY,
        "money",
        "CLV to date",
        "CLV to date",
        HIGHER,
        PLAIN,
        "The average, over the customers acquired by the window's end, of all they bought up to the window's end.",
        "no such customer",
    ),
    Figure(
        "ltv_cac",
        NUMBER,
        "ratio",
        "LTV:CAC",
        "LTV:CAC",
        HIGHER,
        TIMES,
        "clv ÷ cac. 3 means a customer brings three times what it cost to win.",
        "either null or cac 0",
    ),
    Figure(
        "payback_months",
        NUMBER,
        "months",
        "Payback (months)",
        "Payback",
        LOWER,
        PLAIN,
        "cac ÷ (avg_deal_size × purchase_frequency × gross margin ÷ 12): months of gross profit it takes to earn the CAC back.",
        "any part null or 0",
    ),
    Figure(
        "leads",
        COUNT,
        "count",
        "Leads",
        "Leads",
        HIGHER,
        PLAIN,
        "Leads created in the window (`--leads`), grouped by their own value, else their deal's.",
        "never (0)",
    ),
    Figure(
        "converted_leads",
        COUNT,
        "count",
        "Converted leads",
        "Converted",
        HIGHER,
        PLAIN,
        "Of those leads, the converted (as of the export): the status says so, or a converted date is given, or a deal links to it.",
        "never (0)",
    ),
    Figure(
        "lead_conversion_rate",
        NUMBER,
        "ratio 0–1",
        "Lead conversion",
        "Lead conv.",
        HIGHER,
        PERCENT,
        "converted_leads ÷ leads. 0.25 is 25 %.",
        "no leads",
    ),
    Figure(
        "won_leads",
        COUNT,
        "count",
        "Won leads",
        "Won leads",
        HIGHER,
        PLAIN,
        "Of those leads, the ones with a won deal linked, whenever it closed.",
        "never (0)",
    ),
    Figure(
        "lead_to_win_rate",
        NUMBER,
        "ratio 0–1",
        "Lead-to-win rate",
        "Lead→win",
        HIGHER,
        PERCENT,
        "won_leads ÷ leads.",
        "no leads",
    ),
    Figure(
        "lead_revenue",
        MONEY,
        "money",
        "Lead revenue",
        "Lead rev.",
        HIGHER,
        PLAIN,
        "The amounts of the won deals linked to those leads, whenever they closed: the campaign → lead → order chain. A deal linked to two leads of a group counts once.",
        "never (0)",
    ),
    Figure(
        "days_to_convert",
        NUMBER,
        "days",
        "Days to convert",
        "To convert",
        LOWER,
        PLAIN,
        "The median number of days from a lead's creation to its conversion (its converted date, else its first deal's created date, else that deal's close date), over the converted leads that have both; a conversion dated before the creation is left out.",
        "no such lead",
    ),
    Figure(
        "cost_per_lead",
        MONEY,
        "money",
        "Cost per lead",
        "Per lead",
        LOWER,
        PLAIN,
        "acquisition_cost ÷ leads.",
        "no leads, or no costs and no time logs",
    ),
)
BY_NAME = {f.name: f for f in FIGURES}
FIELDS = tuple(f.name for f in FIGURES)
MONEY_FIELDS = frozenset(f.name for f in FIGURES if f.kind is MONEY)
COUNT_FIELDS = frozenset(f.name for f in FIGURES if f.kind is COUNT)
# The figures of leads (`--leads`): shown where leads were given.
LEAD_FIELDS = (
    "leads", "converted_leads", "lead_conversion_rate", "won_leads", "lead_to_win_rate",
    "lead_revenue", "days_to_convert", "cost_per_lead",
)  # fmt: skip


def figure(name: str) -> Figure:
    return BY_NAME[name]


# The report's other words, which every output shows as they are: the period dimensions, the
# group of rows with no value for a dimension, and the group of cost no group can carry.
PERIODS = ("month", "quarter", "year")
NONE = "(none)"
UNATTRIBUTED = "(unattributed)"


@dataclass(frozen=True)
class Definition:
    """One row of the definitions table: figures that share one meaning (won and lost deals)."""

    fields: tuple[str, ...]
    unit: str
    meaning: str
    null_when: str

    def markdown_row(self) -> str:
        names = ", ".join(f"`{f}`" for f in self.fields)
        return f"| {names} | {self.unit} | {self.meaning} | {self.null_when} |"


def _definitions() -> tuple[Definition, ...]:
    rows: list[Definition] = []
    for f in FIGURES:
        last = rows[-1] if rows else None
        if last and (last.unit, last.meaning, last.null_when) == (f.unit, f.meaning, f.null_when):
            rows[-1] = Definition((*last.fields, f.name), f.unit, f.meaning, f.null_when)
        else:
            rows.append(Definition((f.name,), f.unit, f.meaning, f.null_when))
    return tuple(rows)


DEFINITIONS = _definitions()

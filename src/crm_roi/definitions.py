"""What every figure means, in the user's words: the one text behind ``docs/metrics.md``'s
table, the Excel report's Definitions sheet, and anything else that explains a figure.

A test checks that ``docs/metrics.md`` shows exactly these rows.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Definition:
    fields: tuple[str, ...]
    unit: str
    meaning: str
    null_when: str

    def markdown_row(self) -> str:
        names = ", ".join(f"`{f}`" for f in self.fields)
        return f"| {names} | {self.unit} | {self.meaning} | {self.null_when} |"


DEFINITIONS: tuple[Definition, ...] = (
    Definition(
        ("revenue",),
        "money",
        "The amounts of the won deals closed in the window, added up.",
        "never (0)",
    ),
    Definition(
        ("won_deals", "lost_deals"),
        "count",
        "Deals won / lost that closed in the window.",
        "never",
    ),
    Definition(
        ("open_deals",),
        "count",
        "Open deals created in the window (or with no created date).",
        "never",
    ),
    Definition(
        ("win_rate",),
        "ratio 0–1",
        "won ÷ (won + lost). 0.6 is 60 %.",
        "no deal closed",
    ),
    Definition(
        ("avg_deal_size",),
        "money",
        "revenue ÷ won deals.",
        "no deal won",
    ),
    Definition(
        ("sales_cycle_days",),
        "days",
        "The median number of days from created to closed, over the won deals closed in the window that have both dates.",
        "no such deal",
    ),
    Definition(
        ("direct_cost",),
        "money",
        "The cost rows in the window.",
        "no costs input",
    ),
    Definition(
        ("time_cost",),
        "money",
        "Σ hours × hourly rate of the time logged in the window; each log is rounded half up to the cent.",
        "no time logs input",
    ),
    Definition(
        ("hours",),
        "hours",
        "The hours logged in the window.",
        "no time logs input",
    ),
    Definition(
        ("cost",),
        "money",
        "direct_cost + time_cost (+ the share spread onto the group with `--allocate`): the fully loaded cost.",
        "no costs and no time logs",
    ),
    Definition(
        ("gross_profit",),
        "money",
        "revenue × `--gross-margin` (default 1.0).",
        "never",
    ),
    Definition(
        ("net_return",),
        "money",
        "gross_profit − cost.",
        "cost is null",
    ),
    Definition(
        ("roi",),
        "ratio",
        "net_return ÷ cost. 1.5 means 150 %: every euro spent came back with 1.50 on top.",
        "cost is 0 or null",
    ),
    Definition(
        ("new_customers",),
        "count",
        "Customers acquired in the window (see *Customers* below).",
        "never (0)",
    ),
    Definition(
        ("acquisition_cost",),
        "money",
        "The part of cost that is spent on winning customers: cost rows whose type is acquisition (the default) and time whose activity is not retention work.",
        "no costs and no time logs",
    ),
    Definition(
        ("cac",),
        "money",
        "acquisition_cost ÷ new_customers: what one new customer cost.",
        "no new customers",
    ),
    Definition(
        ("active_customers",),
        "count",
        "Distinct customers with a won deal closed in the window.",
        "never",
    ),
    Definition(
        ("purchase_frequency",),
        "per year",
        "won_deals ÷ active_customers ÷ years of the window (days ÷ 365.25).",
        "no active customers",
    ),
    Definition(
        ("churn_rate",),
        "per year",
        "Customers whose churn date falls in the window ÷ the customer-years at risk in the window.",
        "no customer-years",
    ),
    Definition(
        ("lifespan_years",),
        "years",
        "1 ÷ churn_rate, capped at `--max-lifespan` (default 10; a churn rate of 0 gives the cap). `--lifespan` sets it.",
        "churn_rate null and no `--lifespan`",
    ),
    Definition(
        ("clv",),
        "money",
        "avg_deal_size × purchase_frequency × gross margin × lifespan_years: what a customer is worth over its life.",
        "any part null",
    ),
    Definition(
        ("clv_to_date",),
        "money",
        "The average, over the customers acquired by the window's end, of all they bought up to the window's end.",
        "no such customer",
    ),
    Definition(
        ("ltv_cac",),
        "ratio",
        "clv ÷ cac. 3 means a customer brings three times what it cost to win.",
        "either null or cac 0",
    ),
    Definition(
        ("payback_months",),
        "months",
        "cac ÷ (avg_deal_size × purchase_frequency × gross margin ÷ 12): months of gross profit it takes to earn the CAC back.",
        "any part null or 0",
    ),
)


def definition(field: str) -> Definition:
    """The definition that covers ``field``."""
    return next(d for d in DEFINITIONS if field in d.fields)

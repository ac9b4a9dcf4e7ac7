"""Customer lifetime value by model as a document (``crm-roi/customers@1``,
docs/customers.md), and for people."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from crm_roi.engine.figures import MONEY, NUMBER
from crm_roi.render.report import breakdown_name, input_entry, plain_number, report_warnings

if TYPE_CHECKING:
    from crm_roi.engine.customers import CustomerReport
    from crm_roi.inputs.load import Loaded

CUSTOMERS_SCHEMA = "crm-roi/customers@1"
# A customer's money, and its other numbers, as the document lists them.
CUSTOMER_MONEY = ("monetary", "revenue_to_date", "expected_value", "clv")
CUSTOMER_NUMBERS = ("t_x", "T", "p_alive", "expected_purchases")


def customer_dict(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "customer_id": row["customer_id"],
        "purchases": row["purchases"],
        "x": row["x"],
        **{name: plain_number(row[name], NUMBER) for name in ("t_x", "T")},
        **{name: plain_number(row[name], MONEY) for name in ("monetary", "revenue_to_date")},
        **{name: plain_number(row[name], NUMBER) for name in ("p_alive", "expected_purchases")},
        **{name: plain_number(row[name], MONEY) for name in ("expected_value", "clv")},
    }


def customers_dict(report: CustomerReport, inputs: list[Loaded]) -> dict[str, Any]:
    """The ``crm-roi/customers@1`` document."""
    m, g = report.bgnbd, report.gamma_gamma
    holdout = report.holdout
    return {
        "schema": CUSTOMERS_SCHEMA,
        "currency": report.currency,
        "calibration_end": report.calibration_end.isoformat(),
        "unit": "weeks",
        "horizon_months": report.horizon_months,
        "settings": {
            "gross_margin": plain_number(report.settings.gross_margin),
            "risk_threshold": report.model.risk_threshold,
            "by": [breakdown_name(d) for d in report.settings.by],
        },
        "inputs": [input_entry(i) for i in inputs],
        "model": {
            "bgnbd": {
                "r": m.r,
                "alpha": m.alpha,
                "a": m.a,
                "b": m.b,
                "log_likelihood": m.log_likelihood,
            },
            # v in money units (the fit is in cents), as CDNOW's 15.44 is in dollars.
            "gamma_gamma": {"p": g.p, "q": g.q, "v": g.v / 100},
        },
        "customers": [customer_dict(r) for r in report.customers],
        "at_risk": report.at_risk,
        "holdout": None
        if holdout is None
        else {
            "from": holdout.start.isoformat(),
            "first_purchase": holdout.first_purchase.isoformat(),
            "to": holdout.end.isoformat(),
            "predicted": holdout.predicted,
            "actual": holdout.actual,
            "mae": holdout.mae,
            "weeks": holdout.weeks,
            "predicted_cumulative": holdout.predicted_cumulative,
            "actual_cumulative": holdout.actual_cumulative,
        },
        "groups": {
            breakdown_name(dims): [
                {
                    **{d: row[d] for d in dims},
                    "customers": row["customers"],
                    "mean_p_alive": row["mean_p_alive"],
                    "clv": plain_number(row["clv"], MONEY),
                }
                for row in rows
            ]
            for dims, rows in report.groups.items()
        },
        "warnings": report_warnings(report, inputs),  # type: ignore[arg-type]
    }


# --- for people (the renderers follow) ---------------------------------------------------------
#
# Every output people read shows the same things, from the document: the fitted models in one
# glance, the accounts at risk (P(alive) below the threshold, the most revenue to date first),
# the customers worth the most by model, per group the customers, their mean P(alive) and
# their CLV, and the holdout when there is one. The fields are named and explained once, in
# FIELDS; Rich, openpyxl and the page's modules are imported by the function that needs them:
# reading the inputs imports this module, and a JSON run needs none of them.


if TYPE_CHECKING:
    from openpyxl.chart import BarChart, LineChart
    from openpyxl.worksheet.worksheet import Worksheet
    from rich.console import Console
    from rich.table import Table

    from crm_roi.render.html import Numbers

MISSING = "–"  # as render/locale.py's MISSING: a value the document has as null
REMEDY = "a wider terminal, or --format csv, xlsx or json"
MODEL_NAME = "BG/NBD and Gamma-Gamma (Fader, Hardie & Lee 2005)"


@dataclass(frozen=True)
class Field:
    """A customer's value as every output names it: the document's fields, and three derived
    from them (``weeks_since``, ``last_purchase``, ``at_risk``)."""

    name: str
    label: str  # the workbook's and the page's heading
    short: str  # the terminal's heading
    kind: str  # text, count, weeks, money, percent, decimal, date or flag
    meaning: str
    null_when: str = "never"
    ahead: bool = False  # over the horizon: its heading names it

    def heading(self, horizon: int) -> str:
        """``CLV, next 12 months``: the label, and the horizon where the value looks ahead."""
        return f"{self.label}, next {horizon} months" if self.ahead else self.label


FIELDS = (
    Field("customer_id", "Customer", "customer", "text",
          "The customer, as the deals name it (its id, else its name)."),
    Field("purchases", "Purchases", "buys", "count",
          "Days with a won deal up to the calibration end: deals won on the same day are one "
          "purchase, their amounts added. A won deal of 0 is a purchase."),
    Field("x", "Repeat purchases", "repeat", "count", "Purchases after the first (x)."),
    Field("t_x", "Weeks first to last purchase", "t_x", "weeks",
          "From the first purchase to the last, in weeks (days ÷ 7; t_x)."),
    Field("T", "Weeks since first purchase", "T", "weeks",
          "From the first purchase to the calibration end, in weeks (T)."),
    Field("weeks_since", "Weeks since last purchase", "last buy", "weeks",
          "From the last purchase to the calibration end, in weeks: T − t_x."),
    Field("last_purchase", "Last purchase", "last buy", "date",
          "The day of the last purchase up to the calibration end."),
    Field("monetary", "Mean repeat purchase", "mean repeat", "money",
          "The mean amount of the repeat purchases, the first purchase left out.",
          "no repeat purchase (x = 0)"),
    Field("revenue_to_date", "Revenue to date", "revenue", "money",
          "The won amounts up to the calibration end, the first purchase included."),
    Field("p_alive", "P(alive)", "P(alive)", "percent",
          "The chance that the customer still buys (BG/NBD): high for one who bought lately or "
          "seldom, low for a frequent buyer silent for long. 0.4 is 40 %."),
    Field("expected_purchases", "Expected purchases", "exp. buys", "decimal",
          "The purchases the model expects of the customer over the horizon (BG/NBD).",
          ahead=True),
    Field("expected_value", "Expected value a purchase", "exp. value", "money",
          "The amount the customer is expected to spend a purchase (Gamma-Gamma): its own mean, "
          "drawn towards everyone's; everyone's mean for a customer with no repeat purchase.",
          "the model gives no finite value"),
    Field("clv", "CLV", "CLV", "money",
          "Expected purchases × expected value × gross margin: the gross profit the customer is "
          "expected to bring over the horizon.",
          "the model gives no finite value", ahead=True),
    Field("at_risk", "At risk", "at risk", "flag",
          "P(alive) is below the risk threshold (--risk-threshold)."),
)  # fmt: skip
BY_FIELD = {f.name: f for f in FIELDS}
# The tables of customers each output shows, by their fields in this order.
AT_RISK_FIELDS = (
    "customer_id", "revenue_to_date", "p_alive", "weeks_since", "last_purchase",
    "expected_purchases", "clv",
)  # fmt: skip
TOP_FIELDS = (
    "customer_id", "clv", "p_alive", "expected_purchases", "expected_value", "revenue_to_date",
)  # fmt: skip
# The terminal: when a table's columns don't all fit, the customer and as many of these as fit,
# in this order; the rest are named under the table.
AT_RISK_PRIORITY = ("revenue_to_date", "p_alive", "clv", "weeks_since", "expected_purchases")
TOP_PRIORITY = ("clv", "p_alive", "revenue_to_date", "expected_purchases", "expected_value")
# The models' parameters: (model, document key, symbol, what it is).
PARAMETERS = (
    ("bgnbd", "r", "r", "Shape of the spread of purchase rates (gamma): with alpha, customers "
     "buy on average r ÷ alpha times a week while they are customers."),
    ("bgnbd", "alpha", "α", "Scale of the spread of purchase rates (gamma), in weeks."),
    ("bgnbd", "a", "a", "With b, the spread of the chance of dropping out after a purchase "
     "(beta): on average a ÷ (a + b)."),
    ("bgnbd", "b", "b", "With a, the spread of the chance of dropping out after a purchase."),
    ("bgnbd", "log_likelihood", "log-likelihood", "How well the fit explains the purchases: "
     "higher is better; comparable only between fits on the same customers."),
    ("gamma_gamma", "p", "p", "Shape of the spread of one customer's purchase amounts (gamma)."),
    ("gamma_gamma", "q", "q", "With v, the spread of the customers' mean amounts: everyone's "
     "mean is p × v ÷ (q − 1)."),
    ("gamma_gamma", "v", "v", "Scale of the spread of the customers' mean amounts."),
)  # fmt: skip
MODEL_LABELS = {"bgnbd": "BG/NBD", "gamma_gamma": "Gamma-Gamma"}
SUBSCRIPTIONS = (
    "For subscriptions and contracts, where a customer's leaving is known, use the churn rate "
    "(crm-roi compute) instead."
)


def model_sentences(document: dict[str, Any], locale: str = "plain") -> list[str]:
    """What the model is and when it fits, in a few plain sentences: every output's.

    >>> doc = {"horizon_months": 12, "calibration_end": "2024-06-30",
    ...        "settings": {"gross_margin": 0.6, "risk_threshold": 0.5}}
    >>> print(model_sentences(doc)[1][:85])
    P(alive) is the chance that a customer still buys. Below 50% the customer is at risk.
    >>> print(model_sentences(doc)[2].split(". ")[-1])
    CLV = expected purchases × expected value × the gross margin (60%).
    """
    from crm_roi.render.locale import day_text, percent_text

    settings = document["settings"]
    months = document["horizon_months"]
    margin = percent_text(settings["gross_margin"], locale, 0)
    return [
        "The model is for repeat buying without a contract: while customers are customers, "
        "each buys at a steady rate of its own, and after any purchase may quietly stop for "
        "good. Nobody says when they stop; the model reads it from how long each has been "
        "silent, given how often it used to buy.",
        "P(alive) is the chance that a customer still buys. Below "
        f"{percent_text(settings['risk_threshold'], locale, 0)} the customer is at risk. A "
        f"customer who bought once counts as alive ({percent_text(1, locale, 0)}): in this "
        "model customers drop out only after a repeat purchase; the model expects little of "
        "them all the same.",
        f"Expected purchases are those the model expects in the next {months} months; the "
        "expected value a purchase is a customer's own mean amount drawn towards everyone's. "
        f"CLV = expected purchases × expected value × the gross margin ({margin}).",
        f"Fitted on the won deals up to {day_text(document['calibration_end'], locale)} "
        "(the calibration end); a holdout (--holdout-to) checks it against what came after.",
        SUBSCRIPTIONS,
    ]


def customer_value(
    row: dict[str, Any], name: str, document: dict[str, Any], risky: set[str] | None = None
) -> Any:
    """A customer's value of the field ``name``: the document's, or one derived from it — the
    weeks since the last purchase (T − t_x), its day, whether the customer is at risk.

    >>> doc = {"calibration_end": "2024-06-30", "at_risk": ["A"]}
    >>> row = {"customer_id": "A", "t_x": 10.0, "T": 14.0}
    >>> [customer_value(row, n, doc) for n in ("weeks_since", "last_purchase", "at_risk")]
    [4.0, '2024-06-02', True]
    """
    import datetime as dt

    if name == "weeks_since":
        return row["T"] - row["t_x"]
    if name == "last_purchase":
        days = round((row["T"] - row["t_x"]) * 7)
        return (dt.date.fromisoformat(document["calibration_end"]) - dt.timedelta(days)).isoformat()
    if name == "at_risk":
        return row["customer_id"] in (risky if risky is not None else set(document["at_risk"]))
    return row[name]


def at_risk_rows(document: dict[str, Any]) -> list[dict[str, Any]]:
    """The customers at risk, in the document's order (the most revenue to date first)."""
    by_id = {c["customer_id"]: c for c in document["customers"]}
    return [by_id[i] for i in document["at_risk"] if i in by_id]


def top_rows(document: dict[str, Any], top: int | None = None) -> list[dict[str, Any]]:
    """The customers by CLV, the most first (those without one last); ``top`` of them."""
    ranked = sorted(document["customers"], key=lambda c: (c["clv"] is None, -(c["clv"] or 0)))
    return ranked if top is None else ranked[: max(top, 0)]


def headline_values(document: dict[str, Any]) -> dict[str, Any]:
    """Customers, at risk, the CLV of all and the mean P(alive)."""
    from decimal import Decimal

    customers = document["customers"]
    clv = sum((Decimal(str(c["clv"])) for c in customers if c["clv"] is not None), Decimal(0))
    alive = [c["p_alive"] for c in customers if c["p_alive"] is not None]
    return {
        "customers": len(customers),
        "at_risk": len(document["at_risk"]),
        "clv": float(clv),
        "mean_p_alive": sum(alive) / len(alive) if alive else None,
    }


def group_totals(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """A breakdown's foot: its customers, their mean P(alive) (of the groups that have one,
    weighted by their customers), the CLV of all its groups.

    >>> group_totals([{"customers": 1, "mean_p_alive": 0.25, "clv": 10.5},
    ...               {"customers": 3, "mean_p_alive": 0.75, "clv": 1.25},
    ...               {"customers": 2, "mean_p_alive": None, "clv": None}])
    {'customers': 6, 'mean_p_alive': 0.625, 'clv': 11.75}
    """
    from decimal import Decimal

    known = [r for r in rows if r["mean_p_alive"] is not None]
    counted = sum(r["customers"] for r in known)
    weighted = sum(r["customers"] * r["mean_p_alive"] for r in known)
    clv = sum((Decimal(str(r["clv"])) for r in rows if r["clv"] is not None), Decimal(0))
    return {
        "customers": sum(r["customers"] for r in rows),
        "mean_p_alive": weighted / counted if counted else None,
        "clv": float(clv),
    }


def parameter_text(value: Any, locale: str = "plain") -> str:
    """A fitted parameter to four significant digits (a large one whole); a tiny one in
    scientific notation.

    >>> parameter_text(0.24313), parameter_text(0.243), parameter_text(-9582.417, "de_DE")
    ('0.2431', '0.243', '-9.582')
    >>> parameter_text(0.0000123), parameter_text(0), parameter_text(None)
    ('1.23E-5', '0', '–')
    """
    import math

    from crm_roi.render.locale import number_text

    if value is None:
        return MISSING
    if value == 0:
        return "0"
    if abs(value) < 0.001:
        return number_text(value, locale, "0.##E0")
    decimals = max(0, 3 - math.floor(math.log10(abs(value))))
    return number_text(value, locale, "#,##0" + ("." + "#" * decimals if decimals else ""))


def value_text(field: Field, value: Any, currency: str | None, locale: str) -> str:
    """A customer's value as people read it: money to the whole unit, P(alive) as a
    percentage, weeks whole, a day in the locale, ``–`` for none."""
    from crm_roi.render.locale import day_text, money_text, number_text, percent_text

    if value is None:
        return MISSING
    kind = field.kind
    if kind == "money":
        return money_text(value, currency, locale, cents=False)
    if kind == "percent":
        return percent_text(value, locale)
    if kind == "weeks":
        return number_text(value, locale, "#,##0") + (
            " wk ago" if field.name == "weeks_since" else " wk"
        )
    if kind == "decimal":
        return number_text(value, locale, "#,##0.00")
    if kind == "count":
        return number_text(value, locale, "#,##0")
    if kind == "date":
        return day_text(value, locale)
    if kind == "flag":
        return "yes" if value else "no"
    return str(value)


def holdout_sentence(document: dict[str, Any], locale: str = "plain") -> str:
    """The holdout in a sentence: predicted and actual repeat purchases, and the error."""
    from crm_roi.render.locale import number_text, percent_text, span_text

    h = document["holdout"]
    span = span_text(h["from"], h["to"], locale)
    off = ""
    if h["actual"]:
        off = f" ({percent_text(h['predicted'] / h['actual'] - 1, locale, 0, sign=True)})"
    return (
        f"Holdout {span}: {number_text(h['predicted'], locale, '#,##0.0')} repeat purchases "
        f"predicted{off}, {number_text(h['actual'], locale, '#,##0')} made; mean absolute "
        f"error {number_text(h['mae'], locale, '#,##0.00')} purchases a customer."
    )


def _notes(warnings: list[str], rejected_rows: list[dict[str, Any]]) -> list[str]:
    """The document's warnings but the rejected rows (they have a sheet and a section)."""
    from crm_roi.errors import RowIssue

    rejected = {str(RowIssue(**row)) for row in rejected_rows}
    return [w for w in dict.fromkeys(warnings) if w not in rejected]


def _group_label(group: dict[str, Any], dims: tuple[str, ...]) -> str:
    return " / ".join(str(group[d]) for d in dims)


# --- the terminal ------------------------------------------------------------------------------
def print_customers(
    out: Console, document: dict[str, Any], locale: str = "plain", top: int = 20
) -> None:
    """The models' parameters, the headline (customers, at risk, CLV, mean P(alive)), the
    accounts at risk and the customers worth the most (``top`` of each), a table per group
    and the holdout; each table fitted to the screen: a number or a name is never cut, and
    what is left out is named under its table."""
    from rich.text import Text

    from crm_roi.render.fit import left_out
    from crm_roi.render.locale import day_text, percent_text
    from crm_roi.render.safe import printable

    currency = document["currency"]
    end = day_text(document["calibration_end"], locale)
    months = document["horizon_months"]
    out.print(Text("Customer lifetime value by model", style="bold"))
    facts = [f"purchases to {end}", f"CLV over the next {months} months"]
    if currency:
        facts.append(f"in {printable(currency)}")
    out.print(Text(" · ".join(facts), style="dim"))
    out.print(_model_grid(document, locale))
    out.print(_headline_grid(document, locale))
    out.print()
    threshold = percent_text(document["settings"]["risk_threshold"], locale, 0)
    risky = at_risk_rows(document)
    tables = [
        (
            f"At risk: P(alive) below {threshold}, most revenue first",
            risky,
            AT_RISK_FIELDS,
            AT_RISK_PRIORITY,
            f"No customer's P(alive) is below {threshold}.",
        ),
        (
            "The most valuable customers by CLV",
            top_rows(document),
            TOP_FIELDS,
            TOP_PRIORITY,
            "No customer.",
        ),
    ]
    for heading, rows, fields, priority, none in tables:
        if not rows:
            out.print(Text(f"{heading}: {none}", style="bold"))
            continue
        table, wrapped, hidden = _customer_table(
            out, heading, rows[: max(top, 0)], fields, priority, document, locale
        )
        out.print(table)
        if len(rows) > top:
            more = f"… and {len(rows) - top:,} more: --top {len(rows)}, or --format csv or xlsx"
            out.print(Text(more, style="dim"))
        if wrapped:
            out.print(Text(f"Names longer than {wrapped} characters are wrapped.", style="dim"))
        if hidden:
            out.print(left_out([BY_FIELD[n].label for n in hidden], REMEDY))
    for name, rows in document["groups"].items():
        table, wrapped = _group_table(out, name, rows, document, locale)
        out.print(table)
        if wrapped:
            out.print(Text(f"Labels longer than {wrapped} characters are wrapped.", style="dim"))
    out.print()
    if document["holdout"] is not None:
        out.print(Text(holdout_sentence(document, locale)))
    out.print(
        Text(
            "P(alive): the chance that a customer still buys. The model is for repeat buying "
            "without a contract; " + SUBSCRIPTIONS[0].lower() + SUBSCRIPTIONS[1:],
            style="dim",
        )
    )


def _model_grid(document: dict[str, Any], locale: str) -> Table:
    """Each model on a line: its name, then each parameter as ``r 0.243``."""
    from rich.table import Table

    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    for _ in range(4):
        grid.add_column(no_wrap=True)
    for model in ("bgnbd", "gamma_gamma"):
        values = document["model"][model]
        cells = [
            f"{symbol} {parameter_text(values[key], locale)}"
            for m, key, symbol, _ in PARAMETERS
            if m == model and key != "log_likelihood"
        ]
        grid.add_row(MODEL_LABELS[model], *cells, *[""] * (4 - len(cells)))
    return grid


def _headline_grid(document: dict[str, Any], locale: str) -> Table:
    """Customers, at risk, the CLV of all and the mean P(alive), a line each."""
    from rich.table import Table

    from crm_roi.render.locale import money_text, number_text, percent_text

    values = headline_values(document)
    grid = Table.grid(padding=(0, 3))
    grid.add_column(no_wrap=True)
    grid.add_column(justify="right", no_wrap=True)
    mean = values["mean_p_alive"]
    grid.add_row("Customers", number_text(values["customers"], locale, "#,##0"))
    grid.add_row("At risk", number_text(values["at_risk"], locale, "#,##0"))
    grid.add_row(
        f"CLV, next {document['horizon_months']} months",
        money_text(values["clv"], document["currency"], locale, cents=False),
    )
    grid.add_row("Mean P(alive)", MISSING if mean is None else percent_text(mean, locale))
    return grid


def _frame(title: Any = None) -> Table:
    """The style of the tables of customers and groups (as compute's breakdowns)."""
    from rich.table import Table

    return Table(title=title, title_justify="left", header_style="bold")


def _customer_table(
    console: Console,
    title: str,
    rows: list[dict[str, Any]],
    fields: tuple[str, ...],
    priority: tuple[str, ...],
    document: dict[str, Any],
    locale: str,
) -> tuple[Table, int, list[str]]:
    """A row per customer: its name, then the ``fields`` that fit whole by ``priority``, in
    the order of ``fields``. Also: the width names wrap at (0: none) and the fields left out."""
    from rich.text import Text

    from crm_roi.render.fit import fitting, label_width, needed
    from crm_roi.render.safe import printable

    risky = set(document["at_risk"])
    threshold = document["settings"]["risk_threshold"]
    names = [Text(printable(str(r["customer_id"]))) for r in rows]
    natural = needed(["customer", *names])
    key_width = label_width(natural, console.width)
    wanted = [n for n in priority if n in fields]
    cells = {
        n: [
            value_text(BY_FIELD[n], customer_value(r, n, document, risky), document["currency"],
                       locale)
            for r in rows
        ]
        for n in wanted
    }  # fmt: skip
    widths = [(n, needed([BY_FIELD[n].short, *cells[n]])) for n in wanted]
    shown = fitting(console, _frame, [key_width], widths)
    table = _frame(Text(title))
    table.add_column("customer", overflow="fold", min_width=key_width, max_width=key_width)
    in_order = [n for n in fields if n in shown]
    for n in in_order:
        table.add_column(BY_FIELD[n].short, justify="right", no_wrap=True)
    for i, row in enumerate(rows):
        shown_cells = []
        for n in in_order:
            text = cells[n][i]
            red = n == "p_alive" and row["p_alive"] is not None and row["p_alive"] < threshold
            shown_cells.append(Text(text, style="dim" if text == MISSING else "red" if red else ""))
        table.add_row(names[i], *shown_cells)
    wrapped = key_width if natural > key_width else 0
    return table, wrapped, [n for n in wanted if n not in shown]


def _group_table(
    console: Console, name: str, rows: list[dict[str, Any]], document: dict[str, Any], locale: str
) -> tuple[Table, int]:
    """A row per group: its keys, customers, mean P(alive) and CLV; the totals at the foot.
    Also: the width labels wrap at (0: none)."""
    from rich.text import Text

    from crm_roi.render.fit import label_width, needed
    from crm_roi.render.locale import money_text, number_text, percent_text
    from crm_roi.render.report import breakdown_dims
    from crm_roi.render.safe import printable

    dims = breakdown_dims(name)
    currency = document["currency"]
    keys = {
        d: [
            Text(printable(str(r[d])), style="dim" if str(r[d]).startswith("(") else "")
            for r in rows
        ]
        for d in dims
    }
    natural = [needed([printable(d), *keys[d]]) for d in dims]
    widths = [label_width(n, console.width, len(dims)) for n in natural]
    table = _frame(Text(f"By {printable(name)}"))
    table.show_footer = True
    totals = group_totals(rows)
    for i, (d, width) in enumerate(zip(dims, widths, strict=True)):
        table.add_column(
            Text(printable(d)), "Total" if i == 0 else "", overflow="fold", min_width=width,
            max_width=width,
        )  # fmt: skip

    def shown(group: dict[str, Any]) -> list[str]:
        mean = group["mean_p_alive"]
        return [
            number_text(group["customers"], locale, "#,##0"),
            MISSING if mean is None else percent_text(mean, locale),
            MISSING if group["clv"] is None else money_text(group["clv"], currency, locale, False),
        ]

    heads = ("customers", "mean P(alive)", f"CLV, {document['horizon_months']} mo")
    for head, foot in zip(heads, shown(totals), strict=True):
        table.add_column(head, foot, justify="right", no_wrap=True)
    for i, group in enumerate(rows):
        table.add_row(*(keys[d][i] for d in dims), *shown(group))
    wrapped = min((w for w, n in zip(widths, natural, strict=True) if n > w), default=0)
    return table, wrapped


# --- CSV ---------------------------------------------------------------------------------------
CSV_HEAD = (
    "customer_id", "purchases", "x", "t_x", "T", "monetary", "revenue_to_date", "p_alive",
    "expected_purchases", "expected_value", "clv", "at_risk",
)  # fmt: skip


def customers_csv(document: dict[str, Any]) -> str:
    """One row per customer, in the document's order: every field of the document's customer
    rows, then ``at_risk`` (``true`` or ``false``). Plain numbers whatever the locale (money
    to the cent, P(alive) a ratio: 0.4 is 40 %); an unknown value (``monetary`` of a customer
    without a repeat purchase) is empty; a name that would start a formula is neutralised."""
    from crm_roi.render.safe import csv_text

    risky = set(document["at_risk"])
    out: list[list[Any]] = [list(CSV_HEAD)]
    for c in document["customers"]:
        flag = "true" if c["customer_id"] in risky else "false"
        out.append([*(c[name] for name in CSV_HEAD[:-1]), flag])
    return csv_text(out)


# --- the workbook ------------------------------------------------------------------------------
HEAD = 4  # the header row of the Customers and At risk sheets, under the title and a note
CUSTOMER_SHEET = (
    "customer_id", "purchases", "x", "t_x", "T", "weeks_since", "last_purchase", "monetary",
    "revenue_to_date", "p_alive", "expected_purchases", "expected_value", "clv", "at_risk",
)  # fmt: skip
AT_RISK_SHEET = (
    "customer_id", "revenue_to_date", "p_alive", "weeks_since", "last_purchase", "purchases",
    "expected_purchases", "clv",
)  # fmt: skip
MODEL_WIDTHS = (30, 16, 16, 72)  # the Model sheet's columns
HOLDOUT_WIDTHS = (36, 16, 16, 16, 16, 16, 16)
HOLDOUT_CM = 10.0  # the tracking chart's height, printed
GROUP_BAR_CM = 0.6  # a bar of the CLV by group, printed
CHART_GROUPS = 12  # groups the CLV chart shows (those with the most CLV)
CHART_DATA = "Chart data"
ACTUAL_COLOUR = "2E75B6"
PREDICTED_COLOUR = "C55A11"
CLV_FILL = "70AD47"
NOTES_LISTED = 20  # notes on the Model sheet; the JSON and the page list them all
SHEETS = ("Customers", "At risk", "Holdout", "Model", "Definitions", "Rejected rows", CHART_DATA)


def customers_workbook_bytes(
    document: dict[str, Any], rejected_rows: list[dict[str, Any]], locale: str = "plain"
) -> bytes:
    """The workbook for management: **Customers** (every customer, the most CLV first, numbers
    as numbers, P(alive) red below the threshold), **At risk** (those below it, the most
    revenue to date first), a sheet per breakdown (customers, mean P(alive) and CLV by group,
    and a chart of the CLV), **Holdout** when there is one (the totals and the tracking chart:
    cumulative repeat purchases a week, predicted and actual), **Model** (what it is in plain
    words, the parameters, the settings, the inputs and notes), **Definitions**, and
    **Rejected rows** when there are some."""
    from openpyxl import Workbook

    from crm_roi.render.workbook import rejected_sheet, saved, set_properties, sheet_title

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Customers"
    used = set(SHEETS)
    _customers_sheet(sheet, document, locale)
    _at_risk_sheet(book.create_sheet("At risk"), document, locale)
    data = None
    for name, rows in document["groups"].items():
        if data is None:
            data = book.create_sheet(CHART_DATA)
            data.sheet_state = "hidden"
        title = sheet_title(f"By {name}", used)
        _group_sheet(book.create_sheet(title), data, name, rows, document, locale)
    if document["holdout"] is not None:
        _holdout_sheet(book.create_sheet("Holdout"), document, locale)
    _model_sheet(book.create_sheet("Model"), document, rejected_rows, locale)
    _definitions_sheet(book.create_sheet("Definitions"), document)
    if rejected_rows:
        rejected_sheet(book.create_sheet("Rejected rows"), rejected_rows)
    if data is not None:
        book.move_sheet(data, offset=len(book.sheetnames))
    set_properties(
        book, f"crm-roi customers: CLV by model, calibration end {document['calibration_end']}"
    )
    book.properties.subject = (
        "Customer lifetime value by model: P(alive), expected purchases, CLV and the accounts "
        "at risk"
    )
    book.properties.keywords = "crm-roi, customers, CLV, BG/NBD, Gamma-Gamma, P(alive), churn risk"
    book.properties.description = " ".join(model_sentences(document, locale))
    return saved(book)


def _formats(document: dict[str, Any], locale: str) -> dict[str, str]:
    """Each kind of field's number format, in the locale."""
    from crm_roi.render.workbook import day_format, money_format, number_format

    return {
        "count": "#,##0",
        "weeks": "#,##0.0",
        "money": money_format(document["currency"], locale),
        "percent": number_format("roi", document["currency"], locale),
        "decimal": "#,##0.00",
        "date": day_format(locale),
    }


def _customer_cells(
    sheet: Worksheet,
    head: int,
    rows: list[dict[str, Any]],
    fields: tuple[str, ...],
    document: dict[str, Any],
    locale: str,
    marked: bool = True,
) -> None:
    """The customers under a header row at ``head``: names as text (never a formula), numbers
    as numbers with their format, days as dates, P(alive) red below the threshold (when
    ``marked``: on a sheet of those at risk it would be every one); the
    header frozen and filtered, the widths fitted, printed with the header and names on
    every page."""
    from openpyxl.formatting.rule import CellIsRule
    from openpyxl.styles import Alignment, PatternFill
    from openpyxl.utils import get_column_letter

    from crm_roi.render.safe import xml_text
    from crm_roi.render.workbook import (
        BAD,
        day,
        fit_row_height,
        fit_widths,
        print_setup,
        put_date,
        style_header,
    )

    horizon = document["horizon_months"]
    formats = _formats(document, locale)
    risky = set(document["at_risk"])
    right = Alignment(horizontal="right", indent=1)
    for col, name in enumerate(fields, start=1):
        sheet.cell(head, col, BY_FIELD[name].heading(horizon))
    style_header(sheet[head][: len(fields)], numbers_from=2)
    for r, row in enumerate(rows, start=head + 1):
        for col, name in enumerate(fields, start=1):
            field, value = BY_FIELD[name], customer_value(row, name, document, risky)
            cell = sheet.cell(r, col)
            if field.kind == "text":
                cell.value = xml_text(str(value))
            elif field.kind == "date":
                put_date(cell, day(value), formats["date"]).alignment = right
            elif field.kind == "flag":
                cell.value = "yes" if value else "no"
                cell.alignment = Alignment(horizontal="right")
            elif value is None:
                cell.value = MISSING
                cell.alignment = Alignment(horizontal="right")
            else:
                cell.value = value
                cell.number_format = formats[field.kind]
    last = head + max(len(rows), 1)
    widest = max((len(str(r["customer_id"])) for r in rows), default=0)
    sheet.column_dimensions["A"].width = min(max(14, widest + 2), 40)
    fit_widths(sheet, range(2, len(fields) + 1), header=head, least=11)
    for col, name in enumerate(fields, start=1):
        if BY_FIELD[name].kind == "date":  # fit_widths measures numbers only: a day is 10 wide
            sheet.column_dimensions[get_column_letter(col)].width = 14
    fit_row_height(sheet, head, least=30)
    if "p_alive" in fields and rows and marked:
        letter = get_column_letter(fields.index("p_alive") + 1)
        font, fill = BAD
        sheet.conditional_formatting.add(
            f"{letter}{head + 1}:{letter}{last}",
            CellIsRule(
                operator="lessThan",
                formula=[_formula_number(document["settings"]["risk_threshold"])],
                font=font,
                fill=PatternFill(bgColor=fill.fgColor.rgb, fill_type="solid"),
            ),
        )
    sheet.freeze_panes = sheet.cell(head + 1, 2)
    if rows:
        sheet.auto_filter.ref = f"A{head}:{get_column_letter(len(fields))}{last}"
    print_setup(sheet, f"{head}:{head}", "A:A")


def _formula_number(value: float) -> str:
    """A number of ours as a conditional format's formula: ``0.5``, never text from a file.

    >>> _formula_number(0.5), _formula_number(1)
    ('0.5', '1')
    """
    return format(float(value), "g")


def _title(sheet: Worksheet, title: str, note: str) -> None:
    from crm_roi.render.workbook import NOTE, TITLE

    sheet["A1"] = title
    sheet["A1"].font = TITLE
    sheet["A2"] = note
    sheet["A2"].font = NOTE


def _customers_sheet(sheet: Worksheet, document: dict[str, Any], locale: str) -> None:
    """Every customer, the most CLV first."""
    from crm_roi.render.locale import day_text, percent_text

    threshold = percent_text(document["settings"]["risk_threshold"], locale, 0)
    _title(
        sheet,
        "Customer lifetime value by model: every customer, the most CLV first",
        f"Purchases to the calibration end {day_text(document['calibration_end'], locale)}; "
        f"P(alive) below {threshold} in red: at risk. The sheet Definitions says what each "
        "column is.",
    )
    _customer_cells(sheet, HEAD, top_rows(document), CUSTOMER_SHEET, document, locale)


def _at_risk_sheet(sheet: Worksheet, document: dict[str, Any], locale: str) -> None:
    """The customers at risk, the most revenue to date first; a sentence when there is none."""
    from crm_roi.render.locale import percent_text

    threshold = percent_text(document["settings"]["risk_threshold"], locale, 0)
    rows = at_risk_rows(document)
    _title(
        sheet,
        f"At risk: P(alive) below {threshold}, the most revenue to date first",
        "Customers who bought before and whom the model thinks likely to have stopped: worth a "
        "call before they are gone.",
    )
    _customer_cells(sheet, HEAD, rows, AT_RISK_SHEET, document, locale, marked=False)
    if not rows:
        sheet.cell(HEAD + 1, 1, f"No customer's P(alive) is below {threshold}.")


def _group_sheet(
    sheet: Worksheet,
    data: Worksheet,
    name: str,
    rows: list[dict[str, Any]],
    document: dict[str, Any],
    locale: str,
) -> None:
    """A row per group (its keys, customers, mean P(alive), CLV), the totals under them, and a
    chart of the CLV by group below."""
    from openpyxl.formatting.rule import CellIsRule
    from openpyxl.styles import PatternFill
    from openpyxl.utils import get_column_letter

    from crm_roi.render.report import breakdown_dims
    from crm_roi.render.safe import xml_text
    from crm_roi.render.workbook import (
        BAD,
        BOLD,
        PAGE_HEIGHT,
        Pages,
        fit_row_height,
        fit_widths,
        print_setup,
        style_header,
    )

    dims = breakdown_dims(name)
    formats = _formats(document, locale)
    heads = ["Customers", "Mean P(alive)", f"CLV, next {document['horizon_months']} months"]
    sheet.append([*(str(xml_text(d)) for d in dims), *heads])
    style_header(sheet[1], numbers_from=len(dims) + 1)
    totals = group_totals(rows)
    for r, group in enumerate([*rows, totals], start=2):
        is_total = group is totals
        if is_total:
            sheet.cell(r, 1, "Total").font = BOLD
        else:
            for col, d in enumerate(dims, start=1):
                sheet.cell(r, col, xml_text(str(group[d])))
        values = (group["customers"], group["mean_p_alive"], group["clv"])
        for col, (value, kind) in enumerate(
            zip(values, ("count", "percent", "money"), strict=True), start=len(dims) + 1
        ):
            cell = sheet.cell(r, col, MISSING if value is None else value)
            cell.number_format = formats[kind]
            if is_total:
                cell.font = BOLD
    for col, d in enumerate(dims, start=1):
        keys = [len(str(r[d])) for r in rows]
        sheet.column_dimensions[get_column_letter(col)].width = min(max(12, len(d), *keys) + 2, 40)
    fit_widths(sheet, range(len(dims) + 1, sheet.max_column + 1), header=1, least=14)
    fit_row_height(sheet, 1, least=30)
    if rows:
        letter = get_column_letter(len(dims) + 2)
        font, fill = BAD
        sheet.conditional_formatting.add(
            f"{letter}2:{letter}{len(rows) + 1}",
            CellIsRule(
                operator="lessThan",
                formula=[_formula_number(document["settings"]["risk_threshold"])],
                font=font,
                fill=PatternFill(bgColor=fill.fgColor.rgb, fill_type="solid"),
            ),
        )
        sheet.auto_filter.ref = f"A1:{get_column_letter(sheet.max_column)}{len(rows) + 1}"
    sheet.freeze_panes = sheet.cell(2, len(dims) + 1)
    print_setup(sheet, "1:1", f"A:{get_column_letter(len(dims))}")
    drawn = sorted((r for r in rows if r["clv"] is not None), key=lambda r: -r["clv"])
    if drawn:
        chosen = drawn[:CHART_GROUPS]
        chart = _clv_chart(data, dims, chosen, document, len(drawn) > CHART_GROUPS)
        height = min(max(4.0 + GROUP_BAR_CM * len(chosen), 7.0), PAGE_HEIGHT)
        Pages(sheet, max(sheet.max_column, 4)).place(len(rows) + 4, [[chart]], [height])


def _clv_chart(
    data: Worksheet,
    dims: tuple[str, ...],
    groups: list[dict[str, Any]],
    document: dict[str, Any],
    more: bool,
) -> BarChart:
    """The CLV by group as bars, the most first (at the top)."""
    from openpyxl.chart import BarChart, Reference

    from crm_roi.render.safe import xml_text

    first = (data.max_column + 2) if data.max_column > 1 or data["A1"].value else 1
    data.cell(1, first, xml_text(", ".join(dims)))
    data.cell(1, first + 1, "CLV")
    for r, group in enumerate(groups, start=2):
        data.cell(r, first, xml_text(_group_label(group, dims)))
        data.cell(r, first + 1, group["clv"])
    last = len(groups) + 1
    chart = BarChart()
    chart.type = "bar"
    which = f"the {CHART_GROUPS} with the most" if more else "the most first"
    months = document["horizon_months"]
    chart.title = str(xml_text(f"CLV over the next {months} months by {', '.join(dims)}, {which}"))
    chart.add_data(
        Reference(data, min_col=first + 1, min_row=1, max_row=last), titles_from_data=True
    )
    chart.set_categories(Reference(data, min_col=first, min_row=2, max_row=last))
    series = chart.series[0]
    series.graphicalProperties.solidFill = CLV_FILL
    series.graphicalProperties.line.noFill = True
    chart.x_axis.scaling.orientation = "maxMin"  # the first group at the top
    chart.x_axis.tickLblPos = "low"
    chart.y_axis.crosses = "max"  # the value axis at the bottom
    chart.x_axis.tickLblSkip = 1
    chart.y_axis.numFmt = "#,##0"
    chart.y_axis.scaling.min = 0
    chart.x_axis.delete = chart.y_axis.delete = False
    chart.visible_cells_only = False  # the data is on a hidden sheet
    chart.gapWidth = 50
    chart.legend = None
    return chart


def _holdout_sheet(sheet: Worksheet, document: dict[str, Any], locale: str) -> None:
    """The holdout's totals, then the tracking chart (cumulative repeat purchases a week,
    actual and predicted), then its numbers week by week."""
    from openpyxl.styles import Alignment
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.pagebreak import Break

    from crm_roi.render.locale import day_text
    from crm_roi.render.workbook import (
        BOLD,
        NOTE,
        TITLE,
        Pages,
        day,
        day_format,
        print_setup,
        put_date,
        style_header,
    )

    h = document["holdout"]
    for col, width in enumerate(HOLDOUT_WIDTHS, start=1):
        sheet.column_dimensions[get_column_letter(col)].width = width
    sheet["A1"] = "Holdout: the model against what happened"
    sheet["A1"].font = TITLE
    dates = day_format(locale)
    rows: list[tuple[str, Any, str]] = [
        ("From", day(h["from"]), dates),
        ("To", day(h["to"]), dates),
        ("Repeat purchases predicted", h["predicted"], "#,##0.0"),
        ("Repeat purchases made", h["actual"], "#,##0"),
        ("Mean absolute error a customer", h["mae"], "#,##0.00"),
        ("Predicted against made", h["predicted"] / h["actual"] - 1 if h["actual"] else None,
         '+0%;-0%;0%'),
    ]  # fmt: skip
    for r, (label, value, fmt) in enumerate(rows, start=3):
        sheet.cell(r, 1, label).font = BOLD
        if fmt == dates:
            put_date(sheet.cell(r, 2), value, fmt).alignment = Alignment(horizontal="right")
        else:
            sheet.cell(r, 2, MISSING if value is None else value).number_format = fmt
            sheet.cell(r, 2).alignment = Alignment(horizontal="right")
    sheet.cell(9, 1).value = (
        f"The model was fitted on the purchases up to "
        f"{day_text(document['calibration_end'], locale)}; predicted: the repeat purchases it "
        "expected of those customers after that, made: those they made. The error is each "
        "customer's |predicted − made|, averaged."
    )
    sheet.cell(9, 1).font = NOTE
    sheet.cell(9, 1).alignment = Alignment(wrap_text=True, vertical="top")
    sheet.merge_cells(start_row=9, start_column=1, end_row=9, end_column=len(HOLDOUT_WIDTHS))
    sheet.row_dimensions[9].height = 34
    print_setup(sheet, None, None)
    for r in range(1, 11):
        sheet.row_dimensions[r].height = sheet.row_dimensions[r].height or 15
    chart = _tracking_chart(document)
    table = Pages(sheet, len(HOLDOUT_WIDTHS)).place(10, [[chart]], [HOLDOUT_CM])
    # The chart's numbers, week by week, from the next page on, their header on every page.
    sheet.row_breaks.append(Break(id=table - 1))
    sheet.print_title_rows = f"{table}:{table}"
    heads = ("Week since the first purchase", "Predicted, cumulative", "Made, cumulative")
    for col, head in enumerate(heads, start=1):
        sheet.cell(table, col, head)
    style_header(sheet[table][: len(heads)], numbers_from=2)
    sheet.row_dimensions[table].height = 30
    series = zip(h["weeks"], h["predicted_cumulative"], h["actual_cumulative"], strict=True)
    for r, (week, predicted, actual) in enumerate(series, start=table + 1):
        sheet.cell(r, 1, week).number_format = "0"
        sheet.cell(r, 1).alignment = Alignment(horizontal="left")
        sheet.cell(r, 2, predicted).number_format = "#,##0.0"
        sheet.cell(r, 3, actual).number_format = "#,##0"
    _tracking_series(chart, sheet, table, len(h["weeks"]))


def calibration_week(holdout: dict[str, Any], calibration_end: str) -> float:
    """Where the calibration end falls on the holdout's weeks (week n ends n weeks after the
    first purchase of all): for the charts' marker.

    >>> h = {"first_purchase": "2023-01-01", "weeks": list(range(1, 105))}
    >>> round(calibration_week(h, "2024-06-30"), 2)
    78.14
    """
    import datetime as dt

    if not holdout["weeks"]:
        return 0.0
    span = dt.date.fromisoformat(calibration_end) - dt.date.fromisoformat(holdout["first_purchase"])
    return max(0.0, (span.days + 1) / 7)


def _tracking_chart(document: dict[str, Any]) -> LineChart:
    """The standard tracking plot, its series added by :func:`_tracking_series`: cumulative
    repeat purchases a week, made (solid) and predicted (dashed), through the calibration
    period and the holdout."""
    from openpyxl.chart import LineChart

    h = document["holdout"]
    week = calibration_week(h, document["calibration_end"])
    chart = LineChart()
    chart.title = f"Cumulative repeat purchases, made and predicted: holdout after week {week:.0f}"
    chart.y_axis.title = "Repeat purchases, cumulative"
    chart.x_axis.title = "Weeks since the first purchase"
    chart.y_axis.numFmt = "#,##0"
    chart.y_axis.scaling.min = 0
    chart.x_axis.delete = chart.y_axis.delete = False
    steps = [s for s in (1, 2, 4, 13, 26, 52, 104, 208) if len(h["weeks"]) / s <= 16]
    chart.x_axis.tickLblSkip = chart.x_axis.tickMarkSkip = steps[0] if steps else 416
    chart.legend.position = "b"
    return chart


def _tracking_series(chart: LineChart, sheet: Worksheet, head: int, weeks: int) -> None:
    """The chart's two lines, from the table under it (``head`` its header row)."""
    from openpyxl.chart import Reference

    from crm_roi.render.workbook import unsmoothed

    last = head + weeks
    for col, colour, dash in ((3, ACTUAL_COLOUR, None), (2, PREDICTED_COLOUR, "dash")):
        chart.add_data(Reference(sheet, min_col=col, min_row=head, max_row=last),
                       titles_from_data=True)  # fmt: skip
        line = chart.series[-1]
        line.graphicalProperties.line.solidFill = colour
        line.graphicalProperties.line.width = 28575  # 2.25 points
        if dash:
            line.graphicalProperties.line.prstDash = dash
        line.marker.symbol = "none"
    chart.set_categories(Reference(sheet, min_col=1, min_row=head + 1, max_row=last))
    unsmoothed(chart)


def _model_sheet(
    sheet: Worksheet, document: dict[str, Any], rejected_rows: list[dict[str, Any]], locale: str
) -> None:
    """What the model is, in sentences; the headline; the parameters and what each is; the
    settings; the inputs; the notes. Each block kept on one printed page."""
    from openpyxl.utils import get_column_letter

    from crm_roi.render.workbook import TITLE, Pages, notes_block, print_setup

    for col, width in enumerate(MODEL_WIDTHS, start=1):
        sheet.column_dimensions[get_column_letter(col)].width = width
    sheet["A1"] = f"The model: {MODEL_NAME}"
    sheet["A1"].font = TITLE
    row = 2
    for text in model_sentences(document, locale):
        _sentence(sheet, row, text)
        row += 1
    blocks = [(1, row - 1)]
    for block in (_summary_block, _parameters_block, _settings_block):
        start = row + 1
        row = block(sheet, start, document, locale)
        blocks.append((start, row - 1))
    start = row + 1
    row = _inputs_block(sheet, start, document["inputs"])
    blocks.append((start, row - 1))
    notes = _notes(document["warnings"], rejected_rows)
    if notes:
        start = row + 1
        more = " (the JSON and HTML list all)"
        row = notes_block(sheet, start, notes, MODEL_WIDTHS, NOTES_LISTED, more)
        blocks.append((start, row - 1))
    print_setup(sheet, None, None)
    Pages(sheet, len(MODEL_WIDTHS)).keep_together(blocks)


def _sentence(sheet: Worksheet, row: int, text: str, note: bool = False) -> None:
    """A sentence across the sheet's width, wrapped, its row tall enough."""
    from crm_roi.render.workbook import NOTE, sentence

    sentence(sheet, row, text, MODEL_WIDTHS, NOTE if note else None)


def _summary_block(sheet: Worksheet, row: int, document: dict[str, Any], locale: str) -> int:
    """Customers, at risk, the CLV of all and the mean P(alive), as numbers."""
    from crm_roi.render.workbook import BOLD, TITLE

    formats = _formats(document, locale)
    values = headline_values(document)
    sheet.cell(row, 1, "In short").font = TITLE
    lines = (
        ("Customers", values["customers"], formats["count"]),
        ("At risk", values["at_risk"], formats["count"]),
        (f"CLV, next {document['horizon_months']} months", values["clv"], formats["money"]),
        ("Mean P(alive)", values["mean_p_alive"], formats["percent"]),
    )
    for label, value, fmt in lines:
        row += 1
        sheet.cell(row, 1, label).font = BOLD
        sheet.cell(row, 2, MISSING if value is None else value).number_format = fmt
    return row + 1


def _parameters_block(sheet: Worksheet, row: int, document: dict[str, Any], locale: str) -> int:
    """A row per parameter: its model, name, value and what it is."""
    from openpyxl.styles import Alignment

    from crm_roi.render.workbook import NOTE, TITLE, fit_row_height, style_header

    sheet.cell(row, 1, "The fitted parameters").font = TITLE
    row += 1
    for col, head in enumerate(("Model", "Parameter", "Value", "What it is"), start=1):
        sheet.cell(row, col, head)
    style_header(sheet[row][:4])
    sheet.cell(row, 3).alignment = Alignment(horizontal="right", vertical="bottom")
    sheet.cell(row, 4).alignment = Alignment(vertical="bottom", indent=1)
    for model, key, symbol, meaning in PARAMETERS:
        row += 1
        sheet.cell(row, 1, MODEL_LABELS[model])
        sheet.cell(row, 2, symbol)
        value = document["model"][model][key]
        cell = sheet.cell(row, 3, MISSING if value is None else value)
        cell.number_format = parameter_format(value)
        cell.alignment = Alignment(horizontal="right", vertical="top")
        said = sheet.cell(row, 4, meaning)
        said.font = NOTE
        said.alignment = Alignment(wrap_text=True, vertical="top", indent=1)
        for col in (1, 2):
            sheet.cell(row, col).alignment = Alignment(vertical="top")
        fit_row_height(sheet, row)
    return row + 1


def parameter_format(value: Any) -> str:
    """A parameter's cell format: four significant digits, as :func:`parameter_text`.

    >>> parameter_format(0.3597), parameter_format(86552.3), parameter_format(0.00001)
    ('#,##0.0000', '#,##0', '0.00E+00')
    """
    import math

    if not value:
        return "0"
    if abs(value) < 0.001:
        return "0.00E+00"
    decimals = max(0, 3 - math.floor(math.log10(abs(value))))
    return "#,##0" + ("." + "0" * decimals if decimals else "")


def _settings_block(sheet: Worksheet, row: int, document: dict[str, Any], locale: str) -> int:
    """The settings as values people read: a day as a date, shares as percentages."""
    from openpyxl.styles import Alignment

    from crm_roi.render.safe import xml_text
    from crm_roi.render.workbook import BOLD, TITLE, day, put_date

    formats = _formats(document, locale)
    settings = document["settings"]
    sheet.cell(row, 1, "Settings").font = TITLE
    lines: list[tuple[str, Any, str | None]] = [
        ("Calibration end", day(document["calibration_end"]), formats["date"]),
        ("Horizon (months)", document["horizon_months"], "0"),
        ("Gross margin", settings["gross_margin"], formats["percent"]),
        ("Risk threshold (P(alive) below)", settings["risk_threshold"], formats["percent"]),
        ("Breakdowns", ", ".join(settings["by"]) or "none", None),
        ("Currency", document["currency"] or "(none)", None),
        ("Time unit", document["unit"], None),
    ]
    for label, value, fmt in lines:
        row += 1
        sheet.cell(row, 1, label).font = BOLD
        cell = sheet.cell(row, 2)
        if fmt == formats["date"]:
            put_date(cell, value, fmt)
            continue
        cell.value = xml_text(value)
        if fmt:
            cell.number_format = fmt
        cell.alignment = Alignment(horizontal="left")
    return row + 1


def _inputs_block(sheet: Worksheet, row: int, inputs: list[dict[str, Any]]) -> int:
    """A row per input: what it is, its rows (used and rejected), and its file."""
    from openpyxl.styles import Alignment

    from crm_roi.render.safe import xml_text
    from crm_roi.render.workbook import PROSE, TITLE, style_header

    sheet.cell(row, 1, "Inputs").font = TITLE
    row += 1
    for col, head in enumerate(("Input", "Rows used", "Rejected", "File"), start=1):
        sheet.cell(row, col, head)
    style_header(sheet[row][:4], numbers_from=2)
    sheet.cell(row, 4).alignment = Alignment(horizontal="left", vertical="bottom", indent=1)
    for entry in inputs:
        row += 1
        sheet.cell(row, 1, xml_text(str(entry["kind"]).replace("_", " ")))
        for col, key in ((2, "used"), (3, "rejected")):
            sheet.cell(row, col, entry[key]).number_format = "#,##0"
        path = sheet.cell(row, 4, xml_text(str(entry["path"])))
        path.alignment = Alignment(wrap_text=True, vertical="bottom", indent=1)
        lines = -(-len(str(entry["path"])) // int(MODEL_WIDTHS[-1] * PROSE))
        sheet.row_dimensions[row].height = 15 * max(lines, 1) + 2
    return row + 1


def definitions(document: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """Each column of the customers: (heading, unit, what it is, empty when)."""
    from crm_roi.render.safe import xml_text

    units = {
        "text": "text", "count": "count", "weeks": "weeks",
        "money": str(xml_text(document["currency"] or "money")), "percent": "ratio 0–1",
        "decimal": "purchases", "date": "day", "flag": "yes/no",
    }  # fmt: skip
    months = document["horizon_months"]
    return [
        (f.heading(months), units[f.kind], f.meaning.replace("the horizon", f"{months} months"),
         f.null_when)
        for f in FIELDS
    ]  # fmt: skip


def _definitions_sheet(sheet: Worksheet, document: dict[str, Any]) -> None:
    from crm_roi.render.workbook import definitions_sheet

    definitions_sheet(sheet, "Column", definitions(document), wide=80)


# --- the HTML page -----------------------------------------------------------------------------
SVG_WIDTH = 1100  # px: about as wide as the page shows it, so that its text is the page's size
SVG_HEIGHT = 360
SVG_TOP = 40  # px: the legend above the plot
SVG_BOTTOM = 300  # the x axis; its ticks and title under it
ACTUAL = "#2b6cb0"  # the page's revenue blue: what happened
PREDICTED = "#dd6b20"  # the page's cost orange, dashed: the model
SECTIONS = (
    ("model", "The model"),
    ("at-risk", "At risk"),
    ("top", "Most valuable"),
)
TAIL = (
    ("definitions", "Definitions"),
    ("rejected", "Rejected rows"),
    ("notes", "Notes"),
    ("inputs", "Inputs"),
    ("settings", "Parameters and settings"),
)
BOX = (
    "border-left: 4px solid var(--revenue); background: #f2f6fb; padding: 8px 16px; "
    "margin: 18px 0 4px"
)


def customers_html(
    document: dict[str, Any],
    rejected_rows: list[dict[str, Any]],
    locale: str = "plain",
    top: int = 20,
) -> bytes:
    """The self-contained page: customers, at risk, CLV and mean P(alive) as cards, what the
    model is and when it fits right under them, the accounts at risk and the most valuable
    customers (``top`` of each), a section per breakdown (CLV by group drawn, a table), the
    holdout's tracking chart, the parameters, the definitions, the rejected rows, the notes,
    the inputs and the settings. No script, no URL; every text from the inputs escaped."""
    from crm_roi.render import html
    from crm_roi.render.locale import day_text

    numbers = html.Numbers(document["currency"], locale)
    groups = list(document["groups"].items())
    anchors = [(f"group-{i}", f"By {name}") for i, (name, _) in enumerate(groups, 1)]
    holdout = [("holdout", "Holdout")] if document["holdout"] is not None else []
    facts = [
        f"calibration end {day_text(document['calibration_end'], locale)}",
        f"CLV over the next {document['horizon_months']} months",
        document["currency"] or "no currency",
    ]
    title = "Customer lifetime value by model"
    parts = [
        html.masthead(title, facts, numbers, html.now()),
        html.contents([*SECTIONS, *anchors, *holdout, *TAIL]),
        _cards(document, numbers),
        _model_box(document, locale),
        html.section("at-risk", "At risk", *_at_risk_part(document, numbers, top)),
        html.section("top", "Most valuable customers", *_top_part(document, numbers, top)),
    ]
    for (anchor, heading), (name, rows) in zip(anchors, groups, strict=True):
        parts.append(html.section(anchor, heading, *_group_part(name, rows, document, numbers)))
    if document["holdout"] is not None:
        parts.append(html.section("holdout", "Holdout", *_holdout_part(document, numbers)))
    notes = _notes(document["warnings"], rejected_rows)
    parts += [
        html.section("definitions", "Definitions", _definitions_table(document)),
        html.section("rejected", "Rejected rows", html.rejected_table(rejected_rows, numbers)),
        html.section("notes", "Notes", html.notes_list(notes, numbers)),
        html.section("inputs", "Inputs", html.inputs_table(document["inputs"], numbers)),
        html.section("settings", "Parameters and settings", _settings_html(document, numbers)),
    ]
    return html.page(title, locale, parts)


def _cards(document: dict[str, Any], numbers: Numbers) -> str:
    """Customers, at risk, the CLV of all and the mean P(alive), each with what it is."""
    from crm_roi.render.safe import html_text as esc

    values = headline_values(document)
    threshold = numbers.percent_tick(document["settings"]["risk_threshold"])
    mean = values["mean_p_alive"]
    cards = [
        ("Customers", numbers.whole(values["customers"]), "with a purchase by the calibration end"),
        ("At risk", numbers.whole(values["at_risk"]), f"P(alive) below {threshold}"),
        (
            f"CLV, next {document['horizon_months']} months",
            numbers.whole_money(values["clv"]),
            "gross profit the model expects of them all",
        ),
        (
            "Mean P(alive)",
            MISSING if mean is None else numbers.percent(mean),
            "the chance a customer still buys, on average",
        ),
    ]
    return (
        '<section id="headline" class="cards">'
        + "".join(
            f'<div class="card"><div class="label">{esc(label)}</div>'
            f'<div class="figure">{esc(figure)}</div><div class="label">{esc(said)}</div></div>'
            for label, figure, said in cards
        )
        + "</section>"
    )


def _model_box(document: dict[str, Any], locale: str) -> str:
    """What the model is and when it fits, in plain words, set apart under the cards."""
    from crm_roi.render.safe import html_text as esc

    sentences = model_sentences(document, locale)
    items = "".join(f"<li>{esc(s)}</li>" for s in sentences[1:-1])
    return (
        f'<section id="model" style="{BOX}"><h3>What the model is, and when it fits</h3>'
        f"<p>{esc(sentences[0])}</p><ul>{items}</ul>"
        f"<p><strong>{esc(sentences[-1])}</strong></p></section>"
    )


def _customer_table_html(
    rows: list[dict[str, Any]], fields: tuple[str, ...], document: dict[str, Any], numbers: Numbers
) -> str:
    """A row per customer under the fields' headings; P(alive) red below the threshold."""
    from crm_roi.render import html

    risky = set(document["at_risk"])
    threshold = document["settings"]["risk_threshold"]
    months = document["horizon_months"]
    head = [_heading_html(BY_FIELD[n], months) for n in fields]
    body = []
    for row in rows:
        cells = []
        for n in fields:
            field, value = BY_FIELD[n], customer_value(row, n, document, risky)
            if field.kind == "text":
                cells.append(html.key_cell(str(value)))
                continue
            text = value_text(field, value, numbers.currency, numbers.locale)
            red = n == "p_alive" and value is not None and value < threshold
            cells.append(html.cell(text, "num neg" if red else "num"))
        body.append(cells)
    return html.table(head, body)


def _heading_html(field: Field, months: int) -> str:
    """A column's heading; one that looks ahead names the horizon on a line of its own, so
    that its column is no wider than its numbers need."""
    from crm_roi.render.safe import html_text as esc

    css = "" if field.kind == "text" else ' class="num"'
    ahead = f'<br><span class="meta">next {months} months</span>' if field.ahead else ""
    return f"<th{css}>{esc(field.label)}{ahead}</th>"


def _more(count: int, top: int, what: str) -> str:
    from crm_roi.render.safe import html_text as esc

    if count <= top:
        return ""
    return (
        f'<p class="note">{esc(f"The first {top:,} of {count:,} {what}")}: '
        "the CSV and the workbook list every customer (or <code>--top</code>).</p>"
    )


def _at_risk_part(document: dict[str, Any], numbers: Numbers, top: int) -> list[str]:
    from crm_roi.render.safe import html_text as esc

    rows = at_risk_rows(document)
    threshold = numbers.percent_tick(document["settings"]["risk_threshold"])
    intro = (
        f"Customers whose P(alive) is below {threshold}, the most revenue to date first: they "
        "bought before, and the model thinks them likely to have stopped. Last purchase: its "
        "day, and the weeks from it to the calibration end."
    )
    if not rows:
        return [f'<p class="note">No customer\'s P(alive) is below {esc(threshold)}.</p>']
    return [
        f'<p class="note">{esc(intro)}</p>',
        _customer_table_html(rows[: max(top, 0)], AT_RISK_FIELDS, document, numbers),
        _more(len(rows), top, "customers at risk"),
    ]


def _top_part(document: dict[str, Any], numbers: Numbers, top: int) -> list[str]:
    from crm_roi.render.safe import html_text as esc

    rows = top_rows(document)
    intro = (
        f"The customers the model expects the most gross profit of over the next "
        f"{document['horizon_months']} months."
    )
    if not rows:
        return ['<p class="note">No customer.</p>']
    return [
        f'<p class="note">{esc(intro)}</p>',
        _customer_table_html(rows[: max(top, 0)], TOP_FIELDS, document, numbers),
        _more(len(rows), top, "customers"),
    ]


def _group_part(
    name: str, rows: list[dict[str, Any]], document: dict[str, Any], numbers: Numbers
) -> list[str]:
    """The CLV by group drawn (the most first), and the table with the totals at its foot."""
    from crm_roi.render import html, svg
    from crm_roi.render.report import breakdown_dims

    dims = breakdown_dims(name)
    months = document["horizon_months"]
    threshold = document["settings"]["risk_threshold"]
    ranked, note = html.ends(
        sorted((r for r in rows if r["clv"] is not None), key=lambda r: -r["clv"])
    )
    caption = f"CLV over the next {months} months by {name}"
    series = [svg.Series("CLV", [r["clv"] for r in ranked], "pos")]
    labels = [_group_label(r, dims) for r in ranked]
    drawing = svg.bar_chart(caption, labels, series, numbers.money, numbers.money)
    charts = html.chart(caption + ", the most first", drawing, note) if ranked else ""
    head = [html.cell(d, tag="th") for d in dims]
    head += [
        html.cell(h, "num", "th") for h in ("Customers", "Mean P(alive)", f"CLV, {months} months")
    ]

    def cells(group: dict[str, Any]) -> list[str]:
        mean = group["mean_p_alive"]
        red = mean is not None and mean < threshold
        return [
            html.cell(numbers.whole(group["customers"]), "num"),
            html.cell(
                MISSING if mean is None else numbers.percent(mean), "num neg" if red else "num"
            ),
            html.cell(numbers.whole_money(group["clv"]), "num"),
        ]

    body = [[*(html.key_cell(str(r[d])) for d in dims), *cells(r)] for r in rows]
    foot = [html.cell("Total"), *(html.cell("") for _ in dims[1:]), *cells(group_totals(rows))]
    return [f'<div class="charts">{charts}</div>', html.table(head, body, foot)]


def _holdout_part(document: dict[str, Any], numbers: Numbers) -> list[str]:
    """The tracking chart, and the holdout in numbers."""
    from crm_roi.render import html

    caption = "Cumulative repeat purchases a week, made and predicted"
    note = (
        "The model was fitted on the weeks left of the dashed line (the calibration end) and "
        "predicts the weeks after it without seeing them: the closer the lines there, the "
        "better it does."
    )
    drawing = html.chart(caption, tracking_svg(document, numbers), note, wide=True)
    h = document["holdout"]
    heads = ("Holdout", "Repeat purchases predicted", "Made", "Predicted against made",
             "Mean absolute error a customer")  # fmt: skip
    head = [html.cell(t, "num" if i else "", "th") for i, t in enumerate(heads)]
    off = MISSING if not h["actual"] else numbers.relative(h["predicted"] / h["actual"] - 1)
    body = [
        [
            html.cell(numbers.window({"from": h["from"], "to": h["to"]}), "key"),
            html.cell(_number(h["predicted"], numbers, "#,##0.0"), "num"),
            html.cell(numbers.whole(h["actual"]), "num"),
            html.cell(off, "num"),
            html.cell(_number(h["mae"], numbers, "#,##0.00"), "num"),
        ]
    ]
    return [f'<div class="charts">{drawing}</div>', html.table(head, body)]


def _number(value: Any, numbers: Numbers, pattern: str) -> str:
    from crm_roi.render.locale import number_text

    return MISSING if value is None else number_text(value, numbers.locale, pattern)


def tracking_svg(document: dict[str, Any], numbers: Numbers) -> str:
    """The standard tracking plot: cumulative repeat purchases at each week's end since the
    first purchase of all, made (solid blue) and predicted (dashed orange), the holdout shaded
    after a dashed line at the calibration end."""
    from crm_roi.render.safe import html_text as esc
    from crm_roi.render.svg import Scale, nice_ticks, text_width

    h = document["holdout"]
    weeks = h["weeks"]
    made, predicted = h["actual_cumulative"], h["predicted_cumulative"]
    values = [v for v in (*made, *predicted) if v is not None] or [0.0]
    ticks = nice_ticks(0.0, max(max(values), 1.0))
    left = max(text_width(numbers.whole(t)) for t in ticks) + 16
    right = SVG_WIDTH - 16
    last = int(weeks[-1]) if weeks else 1
    x = Scale(0.0, float(max(last, 1)), left, right)
    y = Scale(ticks[0], ticks[-1], SVG_BOTTOM, SVG_TOP)
    body: list[str] = []
    cal = calibration_week(h, document["calibration_end"]) if weeks else 0.0
    body.append(
        f'<rect x="{x(cal):.1f}" y="{SVG_TOP:.1f}" width="{max(right - x(cal), 0):.1f}" '
        f'height="{SVG_BOTTOM - SVG_TOP:.1f}" fill="#f1f3f6"/>'
    )
    for t in ticks:
        body.append(
            f'<line x1="{left:.1f}" y1="{y(t):.1f}" x2="{right:.1f}" y2="{y(t):.1f}" '
            f'class="{"zero" if t == 0 else "grid"}"/>'
        )
        body.append(_svg_text(left - 6, y(t) + 4, numbers.whole(t), "tick", "end"))
    step = next((s for s in (1, 2, 4, 13, 26, 52, 104, 208) if last / s <= 14), 416)
    for week in range(0, last + 1, step):
        body.append(
            f'<line x1="{x(week):.1f}" y1="{SVG_BOTTOM:.1f}" x2="{x(week):.1f}" '
            f'y2="{SVG_BOTTOM + 5:.1f}" class="zero"/>'
        )
        body.append(_svg_text(x(week), SVG_BOTTOM + 20, numbers.whole(week), "tick", "middle"))
    body.append(
        _svg_text((left + right) / 2, SVG_BOTTOM + 44, "weeks since the first purchase",
                  "legend", "middle")
    )  # fmt: skip
    body.append(
        f'<line x1="{x(cal):.1f}" y1="{SVG_TOP - 4:.1f}" x2="{x(cal):.1f}" y2="{SVG_BOTTOM:.1f}" '
        'stroke="#4a5568" stroke-width="1.5" stroke-dasharray="5 4"/>'
    )
    end = numbers.window({"from": h["from"], "to": h["to"]})
    body.append(_svg_text(x(cal) + 6, SVG_TOP + 14, f"holdout {end}", "tick"))
    body.append(_svg_text(x(cal) - 6, SVG_TOP + 14, "calibration", "tick", "end"))
    for values_, colour, dash, name in (
        (made, ACTUAL, "", "Made"),
        (predicted, PREDICTED, ' stroke-dasharray="7 4"', "Predicted by the model"),
    ):
        points = " ".join(
            f"{x(w):.1f},{y(v):.1f}" for w, v in zip(weeks, values_, strict=True) if v is not None
        )
        shown = numbers.whole(values_[-1]) if values_ else MISSING
        body.append(
            f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2.5"'
            f"{dash}><title>{esc(f'{name}: {shown} by week {last}')}</title></polyline>"
        )
    body += _svg_legend(left, 16)
    label = (
        f"Cumulative repeat purchases by week {last}: made {numbers.whole(made[-1]) if made else 0}"
        f", predicted {_number(predicted[-1] if predicted else 0, numbers, '#,##0.0')}; "
        f"calibration end at week {cal:.0f}"
    )
    return (
        f'<svg class="chart" role="img" width="{SVG_WIDTH}" height="{SVG_HEIGHT}" '
        f'viewBox="0 0 {SVG_WIDTH} {SVG_HEIGHT}" aria-label="{esc(label)}">'
        + "".join(body)
        + "</svg>"
    )


def _svg_legend(x: float, y: float) -> list[str]:
    out = []
    for name, colour, dash in (
        ("Made", ACTUAL, ""),
        ("Predicted by the model", PREDICTED, ' stroke-dasharray="7 4"'),
    ):
        out.append(
            f'<line x1="{x:.1f}" y1="{y - 4:.1f}" x2="{x + 26:.1f}" y2="{y - 4:.1f}" '
            f'stroke="{colour}" stroke-width="2.5"{dash}/>'
        )
        out.append(_svg_text(x + 32, y, name, "legend"))
        x += 32 + len(name) * 7.5 + 24
    return out


def _svg_text(x: float, y: float, text: str, css: str, anchor: str = "start") -> str:
    from crm_roi.render.safe import html_text as esc

    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" class="{css}">{esc(text)}</text>'


def _definitions_table(document: dict[str, Any]) -> str:
    from crm_roi.render import html

    head = [html.cell(h, tag="th") for h in ("Column", "Unit", "What it is", "Empty when")]
    rows = [
        [
            html.cell(term, "key"),
            html.cell(unit, "key"),
            f"<td>{html.prose(meaning)}</td>",
            f"<td>{html.prose(null_when)}</td>",
        ]
        for term, unit, meaning, null_when in definitions(document)
    ]
    return html.table(head, rows)


def _settings_html(document: dict[str, Any], numbers: Numbers) -> str:
    """The parameters of the fit, then the settings it was made with."""
    from crm_roi.render import html
    from crm_roi.render.locale import day_text
    from crm_roi.render.safe import html_text as esc

    settings = document["settings"]
    head = [html.cell(h, "num" if h == "Value" else "", "th")
            for h in ("Model", "Parameter", "Value", "What it is")]  # fmt: skip
    body = [
        [
            html.cell(MODEL_LABELS[model], "key"),
            html.cell(symbol, "key"),
            html.cell(parameter_text(document["model"][model][key], numbers.locale), "num"),
            f"<td>{html.prose(meaning)}</td>",
        ]
        for model, key, symbol, meaning in PARAMETERS
    ]
    items = [
        ("Model", MODEL_NAME),
        ("Calibration end", day_text(document["calibration_end"], numbers.locale)),
        ("Horizon", f"{numbers.whole(document['horizon_months'])} months"),
        ("Gross margin", numbers.percent(settings["gross_margin"])),
        ("At risk", f"P(alive) below {numbers.percent(settings['risk_threshold'])}"),
        ("Breakdowns", ", ".join(settings["by"]) or "none"),
        ("Time unit", str(document["unit"])),
    ]
    listed = "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in items)
    return html.table(head, body) + f"<dl>{listed}</dl>"

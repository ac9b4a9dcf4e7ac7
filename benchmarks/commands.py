"""Time the other commands on the generated data set, each against a baseline that computes the
same figures from the same files: DuckDB for `compute --leads`, `funnel`, `cohorts` and
`compare`; numpy, scipy and pyarrow for `customers`.

    python benchmarks/generate.py --deals 1000000   # once
    python benchmarks/commands.py --repeat 3

Like run.py, each command and its baseline run as whole subprocesses (start-up, imports,
reading and writing included), taking turns, so that a busy spell on a shared machine slows
both; the best of each and the ratio of each crm-roi run to the baseline run after it are
printed, with crm-roi's peak memory. Then each baseline's figures are set against crm-roi's
JSON (totals and every group), and any difference is printed. Needs `pip install '.[bench]'`.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import statistics
import subprocess
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from run import BREAKDOWN_SQL, DATA, DUCKDB_SQL, crm_roi, timed

GO_LIVE, MONTHS = date(2024, 1, 1), 12
WINDOWS = {"baseline": ("2023-01-01", "2023-12-31"), "current": ("2024-01-01", "2024-12-31")}
# crm-roi's words (src/crm_roi/inputs/schema.py), lower-cased: a time log's activity or a
# cost's type that is retention work, not acquisition; a lead status that means converted.
RETENTION = (
    "'retention', 'retentie', 'account management', 'accountmanagement', 'accountbeheer', "
    "'support', 'onboarding', 'renewal', 'renewals', 'customer success', 'verlenging', "
    "'klantbehoud'"
)
CONVERTED = (
    "'converted', 'closed - converted', 'qualified', 'omgezet', 'gekwalificeerd', "
    "'opportunity', 'customer', 'evangelist'"
)
LEADS_SQL = """
create table leads as select "Lead ID" as lead_id, try_cast("Created Date" as date) as created,
    "Status" as status, "Lead Source" as channel, "Campaign" as campaign, "Deal ID" as deal_id
  from read_csv('{d}/leads.csv', all_varchar=true)
"""
# One row per lead created in the window, with its deal (the generator gives a lead one deal
# id at most, so the join keeps one row per lead): its group is its own channel, else its
# deal's; converted by its status or by a deal linking to it; days to convert from its
# creation to its deal's created date (else a closed deal's close date), never negative.
LEAD_ROWS_SQL = f"""
create table lead_rows as select coalesce(l.channel, d.channel) as channel,
    d.deal_id is not null as opportunity,
    d.deal_id is not null or coalesce(lower(trim(l.status)) in ({CONVERTED}), false) as converted,
    coalesce(d.stage = 'Closed Won', false) as won, d.deal_id as deal, d.amount,
    coalesce(d.created, case when d.stage in ('Closed Won', 'Closed Lost') then d.closed end)
      - l.created as days
  from leads l left join deals d on d.deal_id = l.deal_id
  where l.created between date '{{lo}}' and date '{{hi}}'
"""
LEAD_FIGURES_SQL = """
with counts as (select {key} as k, count(*) as leads,
    count(*) filter (where converted) as converted,
    count(*) filter (where opportunity) as opportunities, count(*) filter (where won) as won,
    median(days) filter (where converted and days >= 0) as days_to_convert
  from lead_rows group by 1),
revenue as (select k, sum(amount) as lead_revenue
  from (select distinct {key} as k, deal, amount from lead_rows where won) group by 1),
acquisition as (select k, sum(amount) as acquisition_cost from ({acquisition}) group by 1)
select k, leads, converted, opportunities, won, coalesce(lead_revenue, 0) as lead_revenue,
    acquisition_cost, days_to_convert
  from counts left join revenue using (k) left join acquisition using (k)
"""
# Acquisition cost dated in the window: cost rows whose type is not retention, and time logs
# (hours × rate, each rounded to the cent) whose activity is not retention work.
COST_ACQUISITION = f"""select {{cost_key}} as k, amount from costs
  where day between date '{{lo}}' and date '{{hi}}'
    and coalesce(lower(trim(type)), '') not in ({RETENTION})"""
TIME_ACQUISITION = f"""select {{time_key}} as k, round(l.hours * l.rate, 2) as amount
  from logs l left join deals d using (deal_id)
  where l.day between date '{{lo}}' and date '{{hi}}'
    and coalesce(lower(trim(l.activity)), '') not in ({RETENTION})"""
CUSTOMERS_SQL = """
create table customers as select "Customer ID" as customer,
    try_cast("Acquired Date" as date) as acquired
  from read_csv('{d}/customers.csv', all_varchar=true)
"""
# Each customer's acquisition: its acquired date where the customers file gives one, else the
# close date of its first won deal ever.
ACQUIRED_SQL = """
create table acquired as select coalesce(c.customer, f.customer) as customer,
    coalesce(c.acquired, f.first_won) as acquired
  from (select customer, min(closed) as first_won from deals
        where stage = 'Closed Won' and customer is not null group by 1) f
  full join customers c on c.customer = f.customer
"""
COHORT_SQL = f"""
with cohort as (select customer, date_trunc('month', acquired) as month from acquired
  where acquired between date '{{lo}}' and date '{{hi}}'),
sizes as (select month, count(*) as customers from cohort group by 1),
spent as (select date_trunc('month', day) as month, sum(amount) as cost from costs
  where day between date '{{lo}}' and date '{{hi}}'
    and coalesce(lower(trim(type)), '') not in ({RETENTION}) group by 1),
revenue as (select c.month, greatest(date_diff('month', c.month, date_trunc('month', d.closed)),
    0) as age, sum(d.amount) as revenue
  from deals d join cohort c using (customer)
  where d.stage = 'Closed Won' and d.closed between date '{{lo}}' and date '{{hi}}'
  group by 1, 2)
select strftime(s.month, '%Y-%m'), s.customers, coalesce(p.cost, 0),
    list(r.revenue order by r.age), list(r.age order by r.age)
  from sizes s left join spent p using (month) left join revenue r using (month)
  group by all order by 1
"""


def statements(sql: str, tables: tuple[str, ...] | None = None) -> list[str]:
    """The statements of ``sql``; only those creating ``tables`` when given."""
    out = [s for s in sql.split(";") if s.strip()]
    if tables is not None:
        out = [s for s in out if s.split(" as ")[0].split()[-1] in tables]
    return out


def connect(data: Path, tables: tuple[str, ...], *more: str) -> Any:
    """A DuckDB connection with run.py's ``tables`` read from ``data``, then ``more`` run."""
    import duckdb

    con = duckdb.connect()
    for statement in statements(DUCKDB_SQL.format(d=data), tables):
        con.execute(statement)
    for sql in more:
        for statement in statements(sql.format(d=data)):
            con.execute(statement)
    return con


def rows(con: Any, sql: str) -> dict[str, dict[str, Any]]:
    """``sql``'s rows by their first column, each a dict of the others by name."""
    cursor = con.execute(sql)
    names = [c[0] for c in cursor.description]
    return {str(r[0]): dict(zip(names[1:], r[1:], strict=True)) for r in cursor.fetchall()}


def data_window(con: Any, with_logs: bool = True) -> tuple[str, str]:
    """compute's window: the earliest and latest date of the deals, costs and time logs."""
    logs = "union all select min(day), max(day) from logs" if with_logs else ""
    lo, hi = con.execute(
        f"""select min(lo), max(hi) from (
          select least(min(created), min(closed)) as lo, greatest(max(created), max(closed)) as hi
            from deals union all select min(day), max(day) from costs {logs})"""
    ).fetchone()
    return str(lo), str(hi)


def windowed_breakdown(key: str, cost_key: str, time_key: str, lo: str, hi: str) -> str:
    """run.py's SQL for one breakdown, every figure cut to the window [lo, hi] as crm-roi cuts
    it: won and lost deals by their close date, open ones by their created date, costs and
    time by their date, new customers by their acquisition and churn by its date."""
    sql = BREAKDOWN_SQL.format(key=key, cost_key=cost_key, time_key=time_key)
    between = f"between date '{lo}' and date '{hi}'"
    cuts = {
        "from keyed group by 1": f"""from keyed where case when stage in ('Closed Won',
            'Closed Lost') then closed else created end {between} group by 1""",
        "from costs group by 1": f"from costs where day {between} group by 1",
        "from logs l left join keyed d using (deal_id) group by 1": f"""from logs l
            left join keyed d using (deal_id) where l.day {between} group by 1""",
        "f.churn <= date '2024-12-31'": f"f.churn {between}",
        "on d.deal_id = f.first_deal group by 1": f"""on d.deal_id = f.first_deal
            where f.acquired {between} group by 1""",
    }
    for old, new in cuts.items():
        pattern = r"\s+".join(re.escape(word) for word in old.split())
        sql, found = re.subn(pattern, lambda _, new=new: new, sql)
        if found != 1:
            raise SystemExit(f"run.py's BREAKDOWN_SQL changed: {old!r} not found once")
    return sql


DEAL_NAMES = [
    "revenue",
    "won_deals",
    "lost_deals",
    "open_deals",
    "sales_cycle_days",
    "active_customers",
    "direct_cost",
    "acquisition_direct",
    "time_cost",
    "hours",
    "new_customers",
    "churned",
]


def deal_figures(con: Any, sql: str) -> dict[str, dict[str, Any]]:
    out = {}
    for row in con.execute(sql).fetchall():
        out[str(row[0])] = dict(zip(DEAL_NAMES, row[1:], strict=True))
    return out


def cent(value: float) -> float:
    """Money as crm-roi writes it: to the cent, a half cent up."""
    return float(math.floor(value * 100 + 0.5 + 1e-9) / 100)


# --- the baselines: each prints its figures as JSON, as crm-roi does ---------------------------


def leads_baseline(data: Path) -> dict[str, Any]:
    """`compute --leads --by channel`: run.py's figures per channel and in total, and the lead
    figures — leads created in the window, converted, won, lead revenue (each won deal once
    per group), days to convert, acquisition cost and cost per lead."""
    con = connect(data, ("deals", "costs", "logs", "customers", "firsts", "keyed"), LEADS_SQL)
    lo, hi = data_window(con)
    con.execute(LEAD_ROWS_SQL.format(lo=lo, hi=hi))
    out: dict[str, Any] = {"window": [lo, hi]}
    for name, key, cost_key, time_key in [
        ("channel", "channel", "channel", "d.channel"),
        ("total", "'all'", "'all'", "'all'"),
    ]:
        figures = deal_figures(con, windowed_breakdown(key, cost_key, time_key, lo, hi))
        acquisition = " union all ".join(
            [
                COST_ACQUISITION.format(cost_key=cost_key, lo=lo, hi=hi),
                TIME_ACQUISITION.format(time_key=time_key, lo=lo, hi=hi),
            ]
        )
        leads = rows(con, LEAD_FIGURES_SQL.format(key=key, acquisition=acquisition))
        for k, lead in leads.items():
            lead["cost_per_lead"] = (
                lead["acquisition_cost"] / lead["leads"] if lead["acquisition_cost"] else None
            )
            figures.setdefault(k, {}).update(lead)
        out[name] = figures
    return out


def funnel_baseline(data: Path) -> dict[str, Any]:
    """`funnel leads deals costs --by channel`: in the leads' window, per channel and in total,
    leads, converted, with a deal, won, lead revenue, days to convert, acquisition cost, cost
    per lead."""
    con = connect(data, ("deals", "costs"), LEADS_SQL)
    lo, hi = (
        str(v) for v in con.execute("select min(created), max(created) from leads").fetchone()
    )
    con.execute(LEAD_ROWS_SQL.format(lo=lo, hi=hi))
    out: dict[str, Any] = {"window": [lo, hi]}
    for name, key in [("channel", "channel"), ("total", "'all'")]:
        acquisition = COST_ACQUISITION.format(cost_key=key, lo=lo, hi=hi)
        figures = rows(con, LEAD_FIGURES_SQL.format(key=key, acquisition=acquisition))
        for row in figures.values():
            row["cost_per_lead"] = row["acquisition_cost"] / row["leads"]
        out[name] = figures
    return out


def cohorts_baseline(data: Path) -> dict[str, Any]:
    """`cohorts deals costs --customers`: per month of acquisition in the window, customers,
    acquisition cost, CAC, revenue at each age in months (a deal closed before the customer's
    acquisition at age 0), cumulative revenue per customer, payback period."""
    import duckdb

    con = duckdb.connect()
    for statement in statements(DUCKDB_SQL.format(d=data), ("deals", "costs")):
        con.execute(statement)
    con.execute(CUSTOMERS_SQL.format(d=data))
    con.execute(ACQUIRED_SQL)
    lo, hi = data_window(con, with_logs=False)
    last = date.fromisoformat(hi)
    cohorts = []
    for month, customers, cost, revenues, ages in con.execute(
        COHORT_SQL.format(lo=lo, hi=hi)
    ).fetchall():
        year, mon = (int(v) for v in month.split("-"))
        by_age = [0.0] * ((last.year - year) * 12 + last.month - mon + 1)
        for revenue, age in zip(revenues, ages, strict=True):
            if age is not None:
                by_age[age] = float(revenue)
        cac = float(cost) / customers
        cumulative, running = [], 0.0
        for value in by_age:
            running += value
            cumulative.append(running / customers)
        payback = next((age for age, v in enumerate(cumulative) if v >= cac), None)
        cohorts.append(
            {
                "cohort": month,
                "customers": customers,
                "acquisition_cost": float(cost),
                "cac": cac,
                "revenue_by_age": by_age,
                "cumulative_revenue_per_customer": cumulative,
                "payback_period": payback,
            }
        )
    return {"window": [lo, hi], "cohorts": cohorts}


def compare_baseline(data: Path) -> dict[str, Any]:
    """`compare … --go-live 2024-01-01 --by channel`: run.py's figures per channel and in total,
    for the twelve months before the go-live and the twelve from it."""
    con = connect(data, ("deals", "costs", "logs", "customers", "firsts", "keyed"))
    out: dict[str, Any] = {}
    for which, (lo, hi) in WINDOWS.items():
        out[which] = {
            "channel": deal_figures(
                con, windowed_breakdown("channel", "channel", "d.channel", lo, hi)
            ),
            "total": deal_figures(con, windowed_breakdown("'all'", "'all'", "'all'", lo, hi)),
        }
    return out


def customers_baseline(orders: Path) -> dict[str, Any]:
    """`customers orders.csv`: each customer's purchases (orders on one day are one), x, t_x
    and T in weeks to the last day of the data, mean repeat spend; BG/NBD and Gamma-Gamma fitted
    by maximum likelihood (scipy.optimize.minimize, L-BFGS-B in log-parameters); P(alive),
    expected purchases over 12 months (FHL 2005 eq. 10, scipy.special.hyp2f1), expected value
    and CLV per customer; the customers at risk (P(alive) < 0.5) by revenue."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.csv as pv
    from scipy.optimize import minimize
    from scipy.special import gammaln, hyp2f1

    table = pv.read_csv(
        orders,
        convert_options=pv.ConvertOptions(
            include_columns=["Customer", "Order Date", "Amount"],
            column_types={"Customer": pa.string(), "Order Date": pa.date32()},
        ),
    )
    frame = table.to_pandas(date_as_object=False)
    frame["day"] = frame["Order Date"].to_numpy().astype("datetime64[D]").astype(np.int64)
    frame["cents"] = np.round(frame["Amount"].to_numpy() * 100).astype(np.int64)
    end = int(frame["day"].max())
    daily = frame.groupby(["Customer", "day"], sort=True)["cents"].sum().reset_index()
    per = daily.groupby("Customer", sort=True).agg(
        purchases=("day", "size"),
        first=("day", "first"),
        last=("day", "last"),
        revenue=("cents", "sum"),
        first_cents=("cents", "first"),
    )
    x = (per["purchases"].to_numpy() - 1).astype(float)
    t_x = (per["last"].to_numpy() - per["first"].to_numpy()) / 7.0
    T = (end - per["first"].to_numpy()) / 7.0
    revenue = per["revenue"].to_numpy() / 100.0
    repeat = x > 0
    monetary = np.full(len(x), np.nan)  # the mean of the repeat purchases, in cents
    monetary[repeat] = (per["revenue"].to_numpy() - per["first_cents"].to_numpy())[repeat] / x[
        repeat
    ]
    monetary /= 100.0

    def bgnbd_nll(theta: Any) -> float:
        r, alpha, a, b = np.exp(theta)
        a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
        a2 = gammaln(a + b) + gammaln(b + x) - gammaln(b) - gammaln(a + b + x)
        a3 = -(r + x) * np.log(alpha + T)
        a4 = np.where(
            repeat,
            np.log(a) - np.log(b + np.maximum(x, 1.0) - 1.0) - (r + x) * np.log(alpha + t_x),
            -np.inf,
        )
        return -float(np.sum(a1 + a2 + np.logaddexp(a3, a4))) / len(x)

    fit = minimize(bgnbd_nll, np.zeros(4), method="L-BFGS-B", options={"ftol": 1e-12})
    r, alpha, a, b = np.exp(fit.x)

    xs, m = x[repeat & (monetary > 0)], monetary[repeat & (monetary > 0)]

    def gamma_gamma_nll(theta: Any) -> float:
        p, q, v = np.exp(theta)
        ll = (
            gammaln(p * xs + q)
            - gammaln(p * xs)
            - gammaln(q)
            + q * np.log(v)
            + (p * xs - 1) * np.log(m)
            + p * xs * np.log(xs)
            - (p * xs + q) * np.log(v + xs * m)
        )
        return -float(np.sum(ll)) / len(xs)

    start = np.array([0.0, 0.0, np.log(m.mean())])
    gg = minimize(gamma_gamma_nll, start, method="L-BFGS-B", options={"ftol": 1e-12})
    p, q, v = np.exp(gg.x)

    weeks = 12 * 365.25 / 12 / 7
    odds_dead = np.where(
        repeat, a / (b + np.maximum(x, 1.0) - 1.0) * ((alpha + T) / (alpha + t_x)) ** (r + x), 0.0
    )
    p_alive = 1.0 / (1.0 + odds_dead)
    z = weeks / (alpha + T + weeks)
    bracket = 1.0 - ((alpha + T) / (alpha + T + weeks)) ** (r + x) * hyp2f1(
        r + x, b + x, a + b + x - 1.0, z
    )
    expected = (a + b + x - 1.0) / (a - 1.0) * bracket * p_alive
    value = p * (v + x * np.where(repeat, monetary, 0.0)) / (p * x + q - 1.0)
    clv = expected * value

    customers = [
        {
            "customer_id": name,
            "purchases": int(n),
            "x": int(xi),
            "t_x": float(tx),
            "T": float(age),
            "monetary": None if np.isnan(mon) else cent(mon),
            "revenue_to_date": round(float(rev), 2),
            "p_alive": float(alive),
            "expected_purchases": float(e),
            "expected_value": cent(val),
            "clv": cent(c),
        }
        for name, n, xi, tx, age, mon, rev, alive, e, val, c in zip(
            per.index,
            per["purchases"],
            x,
            t_x,
            T,
            monetary,
            revenue,
            p_alive,
            expected,
            value,
            clv,
            strict=True,
        )
    ]
    risky = np.flatnonzero(p_alive < 0.5)
    at_risk = per.index.to_numpy()[risky[np.argsort(-revenue[risky], kind="stable")]].tolist()
    return {
        "calibration_end": str(np.datetime64(end, "D")),
        "model": {
            "bgnbd": {"r": r, "alpha": alpha, "a": a, "b": b, "log_likelihood": -fit.fun * len(x)},
            "gamma_gamma": {"p": p, "q": q, "v": v},
        },
        "customers": customers,
        "at_risk": at_risk,
    }


BASELINES: dict[str, Callable[[Path], dict[str, Any]]] = {
    "leads": leads_baseline,
    "funnel": funnel_baseline,
    "cohorts": cohorts_baseline,
    "compare": compare_baseline,
    "customers": customers_baseline,
}


# --- the commands ----------------------------------------------------------------------------


def commands(data: Path, orders: Path) -> dict[str, list[str]]:
    """Each case's crm-roi command, JSON to stdout."""
    crm = [sys.executable, "-m", "crm_roi"]
    json_out = ["--format", "json", "--quiet"]
    d = {name: str(data / f"{name}.csv") for name in ("deals", "costs", "customers", "leads")}
    return {
        "leads": crm_roi(data, "channel", leads=True),
        "funnel": [
            *crm,
            "funnel",
            d["leads"],
            d["deals"],
            d["costs"],
            "--by",
            "channel",
            *json_out,
        ],
        "cohorts": [
            *crm,
            "cohorts",
            d["deals"],
            d["costs"],
            "--customers",
            d["customers"],
            *json_out,
        ],
        "compare": [
            *crm,
            "compare",
            d["deals"],
            d["costs"],
            "--customers",
            d["customers"],
            "--time-logs",
            str(data / "time_logs.csv"),
            "--go-live",
            GO_LIVE.isoformat(),
            "--months",
            str(MONTHS),
            "--by",
            "channel",
            *json_out,
        ],
        "customers": [*crm, "customers", str(orders), *json_out],
    }


LABELS = {
    "leads": "`compute --leads leads.csv --by channel` (1M deals, 1M leads)",
    "funnel": "`funnel leads.csv deals.csv costs.csv --by channel`",
    "cohorts": "`cohorts deals.csv costs.csv --customers customers.csv`",
    "compare": "`compare … --time-logs … --go-live 2024-01-01 --by channel`",
    "customers": "`customers orders.csv` (100k customers)",
}


# --- the cross-checks --------------------------------------------------------------------------


def differs(ours: Any, theirs: Any, tolerance: float = 0.0051) -> bool:
    """Whether two figures differ: money in crm-roi's JSON is rounded to the cent."""
    if ours is None or theirs is None:
        return (ours is None) != (theirs is None)
    return abs(float(ours) - float(theirs)) > tolerance + 1e-12 * abs(float(theirs))


def check_rows(
    where: str,
    ours: dict[str, Any],
    theirs: dict[str, Any],
    names: dict[str, str],
) -> list[str]:
    """``names`` maps crm-roi's field to the baseline's."""
    problems = []
    for mine, other in names.items():
        if other not in theirs:
            problems.append(f"{where} {mine}: crm-roi {ours.get(mine)}, baseline has none")
        elif differs(ours.get(mine), theirs[other]):
            problems.append(f"{where} {mine}: crm-roi {ours.get(mine)}, baseline {theirs[other]}")
    return problems


def check_groups(
    where: str, ours: dict[str, Any], theirs: dict[str, Any], names: dict[str, str]
) -> list[str]:
    """The totals and every channel of one report against the baseline's."""
    problems = check_rows(f"{where}total", ours["totals"], theirs["total"]["all"], names)
    channels = {row["channel"]: row for row in ours["breakdowns"]["channel"]}
    if set(channels) != set(theirs["channel"]):
        problems.append(
            f"{where}channels: crm-roi {sorted(channels)}, baseline {sorted(theirs['channel'])}"
        )
    for channel, row in channels.items():
        if channel in theirs["channel"]:
            problems += check_rows(f"{where}{channel}", row, theirs["channel"][channel], names)
    return problems


def check_window(ours: dict[str, Any], theirs: list[str], where: str = "") -> list[str]:
    window = [ours["window"]["from"], ours["window"]["to"]]
    return [] if window == theirs else [f"{where}window: crm-roi {window}, baseline {theirs}"]


DEAL_FIELDS = {
    name: name
    for name in DEAL_NAMES
    if name not in ("acquisition_direct", "churned")  # crm-roi has no such field
}
LEAD_FIELDS = {
    "leads": "leads",
    "converted_leads": "converted",
    "won_leads": "won",
    "lead_revenue": "lead_revenue",
    "days_to_convert": "days_to_convert",
    "acquisition_cost": "acquisition_cost",
    "cost_per_lead": "cost_per_lead",
}
FUNNEL_FIELDS = {
    "leads": "leads",
    "converted": "converted",
    "opportunities": "opportunities",
    "won": "won",
    "lead_revenue": "lead_revenue",
    "days_to_convert": "days_to_convert",
    "acquisition_cost": "acquisition_cost",
    "cost_per_lead": "cost_per_lead",
}


def check_leads(ours: dict[str, Any], theirs: dict[str, Any]) -> list[str]:
    return check_window(ours, theirs["window"]) + check_groups(
        "", ours, theirs, DEAL_FIELDS | LEAD_FIELDS
    )


def check_funnel(ours: dict[str, Any], theirs: dict[str, Any]) -> list[str]:
    return check_window(ours, theirs["window"]) + check_groups("", ours, theirs, FUNNEL_FIELDS)


def check_compare(ours: dict[str, Any], theirs: dict[str, Any]) -> list[str]:
    problems = []
    for which, (lo, hi) in WINDOWS.items():
        problems += check_window(ours[which], [lo, hi], f"{which} ")
        problems += check_groups(f"{which} ", ours[which], theirs[which], DEAL_FIELDS)
    return problems


def check_cohorts(ours: dict[str, Any], theirs: dict[str, Any]) -> list[str]:
    problems = check_window(ours, theirs["window"])
    mine = {c["cohort"]: c for c in ours["cohorts"]}
    other = {c["cohort"]: c for c in theirs["cohorts"]}
    if set(mine) != set(other):
        problems.append(f"cohorts: crm-roi {sorted(mine)}, baseline {sorted(other)}")
    for month in sorted(set(mine) & set(other)):
        a, b = mine[month], other[month]
        for name in ("customers", "acquisition_cost", "cac", "payback_period"):
            if differs(a[name], b[name]):
                problems.append(f"{month} {name}: crm-roi {a[name]}, baseline {b[name]}")
        for name in ("revenue_by_age", "cumulative_revenue_per_customer"):
            if len(a[name]) != len(b[name]):
                problems.append(f"{month} {name}: {len(a[name])} ages, baseline {len(b[name])}")
            for age, (x, y) in enumerate(zip(a[name], b[name], strict=False)):
                if differs(x, y):
                    problems.append(f"{month} {name}[{age}]: crm-roi {x}, baseline {y}")
    return problems


def check_customers(ours: dict[str, Any], theirs: dict[str, Any]) -> list[str]:
    """The fitted parameters to 1e-3 (relative), each customer's history exactly and its
    scores to 1e-3: two searches for the same maximum stop a little apart."""
    problems = []
    if ours["calibration_end"] != theirs["calibration_end"]:
        problems.append(f"calibration end: {ours['calibration_end']}, {theirs['calibration_end']}")
    for model, params in ours["model"].items():
        for name, value in params.items():
            other = theirs["model"][model].get(name)
            if other is not None and abs(value - other) > 1e-3 * abs(other):
                problems.append(f"{model} {name}: crm-roi {value}, baseline {other}")
    other = {c["customer_id"]: c for c in theirs["customers"]}
    if len(other) != len(ours["customers"]):
        problems.append(f"customers: crm-roi {len(ours['customers'])}, baseline {len(other)}")
    worst: dict[str, tuple[float, str]] = {}
    for row in ours["customers"]:
        b = other.get(row["customer_id"])
        if b is None:
            problems.append(f"{row['customer_id']}: not in the baseline")
            continue
        for name in ("purchases", "x", "t_x", "T", "monetary", "revenue_to_date"):
            if differs(row[name], b[name], 1e-9 if name in ("t_x", "T") else 0.0051):
                problems.append(f"{row['customer_id']} {name}: {row[name]}, baseline {b[name]}")
        for name in ("p_alive", "expected_purchases", "expected_value", "clv"):
            # beyond 1e-3 (relative, absolute below 1) and, for money, the cent it is rounded to
            cents = 0.01 if name in ("expected_value", "clv") else 0.0
            off = max(abs(row[name] - b[name]) - cents, 0.0) / max(abs(b[name]), 1.0)
            if off > worst.get(name, (-1.0, ""))[0]:
                worst[name] = (
                    off,
                    f"{row['customer_id']}: crm-roi {row[name]}, baseline {b[name]}",
                )
    for name, (off, example) in worst.items():
        if off > 1e-3:
            problems.append(f"{name} differs by up to {off:.2g} (relative): {example}")
    flipped = set(ours["at_risk"]) ^ set(theirs["at_risk"])
    if len(flipped) > 0.001 * len(other):
        problems.append(f"at risk: {len(flipped)} customers on one list only")
    return problems


CHECKS: dict[str, Callable[[dict[str, Any], dict[str, Any]], list[str]]] = {
    "leads": check_leads,
    "funnel": check_funnel,
    "cohorts": check_cohorts,
    "compare": check_compare,
    "customers": check_customers,
}


def summary(theirs: dict[str, Any], name: str) -> str:
    """A few of the baseline's figures, to show what was compared."""
    if name in ("leads", "funnel"):
        total = theirs["total"]["all"]
        return (
            f"total leads {total['leads']}, won {total['won']}, "
            f"lead revenue {total['lead_revenue']}"
        )
    if name == "cohorts":
        first = theirs["cohorts"][0]
        return (
            f"{len(theirs['cohorts'])} cohorts; {first['cohort']}: {first['customers']} customers"
        )
    if name == "compare":
        return ", ".join(
            f"{which} revenue {theirs[which]['total']['all']['revenue']}" for which in WINDOWS
        )
    model = theirs["model"]["bgnbd"]
    count = len(theirs["customers"])
    return f"{count} customers; BG/NBD r {model['r']:.4f}, alpha {model['alpha']:.3f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument(
        "--orders", type=Path, help="the orders for `customers` (default: DATA/orders.csv)"
    )
    parser.add_argument("--repeat", type=int, default=3, help="turns of each; the best counts")
    parser.add_argument(
        "--only", action="append", choices=list(BASELINES), help="these cases only (repeatable)"
    )
    parser.add_argument("--baseline", choices=list(BASELINES), help=argparse.SUPPRESS)
    args = parser.parse_args()
    orders = args.orders or args.data / "orders.csv"
    if args.baseline:
        source = orders if args.baseline == "customers" else args.data
        sys.stdout.write(json.dumps(BASELINES[args.baseline](source), default=float))
        return
    cases = args.only or list(BASELINES)
    for needed in ["deals.csv", "leads.csv"]:
        if not (args.data / needed).exists():
            sys.exit(f"no {needed} in {args.data}: run benchmarks/generate.py first")
    if "customers" in cases and not orders.exists():
        sys.exit(f"no {orders}: run benchmarks/generate.py, or give --orders")
    ours = commands(args.data, orders)
    table = []
    for name in cases:
        baseline = [sys.executable, __file__, "--baseline", name, "--data", str(args.data)]
        baseline += ["--orders", str(orders)]
        runs, others = [], []
        for _ in range(args.repeat):  # in turns: crm-roi, baseline, crm-roi, baseline, …
            runs.append(timed(ours[name]))
            others.append(timed(baseline))
        best, other = min(r[0] for r in runs), min(o[0] for o in others)
        peak = max(r[1] for r in runs)
        pairs = sorted(r[0] / o[0] for r, o in zip(runs, others, strict=True))
        print(f"{name}: crm-roi {best:.2f} s best (runs {', '.join(f'{r[0]:.2f}' for r in runs)}),")
        print(f"  peak RSS {peak:,.0f} MB; baseline {other:.2f} s best (runs ", end="")
        their_peak = max(o[1] for o in others)
        print(f"{', '.join(f'{o[0]:.2f}' for o in others)}), peak RSS {their_peak:,.0f} MB")
        print(f"  crm-roi / baseline: {best / other:.2f}x best to best; run by run median ", end="")
        print(f"{statistics.median(pairs):.2f}x ({pairs[0]:.2f}x to {pairs[-1]:.2f}x)")
        mine = json.loads(subprocess.run(ours[name], check=True, capture_output=True).stdout)
        theirs = json.loads(subprocess.run(baseline, check=True, capture_output=True).stdout)
        problems = CHECKS[name](mine, theirs)
        print(f"  baseline: {summary(theirs, name)}")
        if problems:
            print(f"  {len(problems)} figures differ from the baseline's:")
            for problem in problems[:40]:
                print(f"    {problem}")
        else:
            print("  figures agree with the baseline's")
        table.append(
            f"| {LABELS[name]} | {best:.2f} s | {other:.2f} s | {best / other:.2f}× | median "
            f"{statistics.median(pairs):.2f}× ({pairs[0]:.2f}–{pairs[-1]:.2f}×) | {peak:,.0f} MB "
            f"| {'agree' if not problems else f'{len(problems)} differ'} |"
        )
    print(
        "\n| command | crm-roi best | baseline best | best to best | run by run | peak memory "
        "| figures |\n|---|---|---|---|---|---|---|"
    )
    print("\n".join(table))


if __name__ == "__main__":
    main()

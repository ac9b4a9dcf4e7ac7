"""Time `crm-roi compute` (best of --repeat runs) on the generated data set, against DuckDB
computing the same figures.

    python benchmarks/generate.py --deals 1000000   # once
    python benchmarks/run.py

Prints wall time and peak memory of the whole command, DuckDB's time for the same figures from
the same CSVs (see ``duckdb_seconds``), and how long `crm-roi --help` takes. Needs
`pip install '.[bench]'`.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

DATA = Path(__file__).parent / "data"


def timed(command: list[str]) -> tuple[float, float]:
    """Seconds and peak RSS (MB) of one child process (its own, not the largest child's yet)."""
    t0 = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - t0
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode:
        raise subprocess.CalledProcessError(child.returncode, command)
    return seconds, usage.ru_maxrss / 1024


def crm_roi(data: Path, *by: str, leads: bool = False) -> list[str]:
    dims = [arg for dim in by or ("channel", "campaign", "month") for arg in ("--by", dim)]
    more = ["--leads", str(data / "leads.csv")] if leads else []
    return [
        sys.executable,
        "-m",
        "crm_roi",
        "compute",
        str(data / "deals.csv"),
        str(data / "costs.csv"),
        "--customers",
        str(data / "customers.csv"),
        "--time-logs",
        str(data / "time_logs.csv"),
        *more,
        *dims,
        "--format",
        "json",
        "--quiet",
    ]


DUCKDB_SQL = """
create table deals as select "Deal ID" as deal_id, "Company" as customer,
    try_cast("Amount" as decimal(18,2)) as amount, "Stage" as stage,
    try_cast("Create Date" as date) as created, try_cast("Close Date" as date) as closed,
    "Lead Source" as channel, "Campaign" as campaign
  from read_csv('{d}/deals.csv', all_varchar=true);
create table costs as select try_cast("Date" as date) as day,
    try_cast("Amount" as decimal(18,2)) as amount, "Channel" as channel, "Campaign" as campaign,
    "Type" as type
  from read_csv('{d}/costs.csv', all_varchar=true);
create table logs as select try_cast("Date" as date) as day, try_cast("Hours" as double) as hours,
    try_cast("Hourly Rate" as decimal(18,2)) as rate, "Deal ID" as deal_id, "Activity" as activity
  from read_csv('{d}/time_logs.csv', all_varchar=true);
create table customers as select "Customer ID" as customer, "Segment" as segment
  from read_csv('{d}/customers.csv', all_varchar=true);
create table firsts as select customer, arg_min(deal_id, (closed, deal_id)) as first_deal,
    min(closed) as acquired, max(closed) + 365 as churn
  from deals where stage = 'Closed Won' group by customer;
create table keyed as select d.*, strftime(coalesce(case when stage in ('Closed Won',
    'Closed Lost') then closed end, created), '%Y-%m') as month from deals d;
"""
BREAKDOWN_SQL = """
with deal_figures as (
  select {key} as k,
    sum(amount) filter (where stage = 'Closed Won') as revenue,
    count(*) filter (where stage = 'Closed Won') as won,
    count(*) filter (where stage = 'Closed Lost') as lost,
    count(*) filter (where stage not in ('Closed Won', 'Closed Lost')) as open,
    median(closed - created) filter (where stage = 'Closed Won') as cycle,
    count(distinct customer) filter (where stage = 'Closed Won') as active
  from keyed group by 1),
cost_figures as (select {cost_key} as k, sum(amount) as direct,
    sum(amount) filter (where type <> 'retention') as acq from costs group by 1),
time_figures as (select {time_key} as k, sum(round(l.hours * l.rate, 2)) as time_cost,
    sum(l.hours) as hours from logs l left join keyed d using (deal_id) group by 1),
new_customers as (select {key} as k, count(*) as new, count(*) filter (where f.churn <= date
    '2024-12-31') as churned from firsts f join keyed d on d.deal_id = f.first_deal group by 1)
select * from deal_figures full join cost_figures using (k) full join time_figures using (k)
  full join new_customers using (k)
"""
KEYS = {
    "channel": ("d.channel", "channel", "d.channel"),
    "campaign": ("d.campaign", "campaign", "d.campaign"),
    "month": ("d.month", "strftime(day, '%Y-%m')", "strftime(l.day, '%Y-%m')"),
}


def duckdb_seconds(data: Path) -> float:
    """Load the four CSVs and compute the figures crm-roi computes for the same breakdowns:
    revenue, won / lost / open deals, median cycle, active and new customers, churn, direct,
    acquisition and time cost, hours — per channel, campaign and month, and in total."""
    import duckdb

    t0 = time.perf_counter()
    con = duckdb.connect()
    for statement in DUCKDB_SQL.format(d=data).split(";"):
        if statement.strip():
            con.execute(statement)
    for deal_key, cost_key, time_key in [*KEYS.values(), ("'all'", "'all'", "'all'")]:
        con.execute(
            BREAKDOWN_SQL.format(
                key=deal_key.replace("d.", ""), cost_key=cost_key, time_key=time_key
            )
        ).fetchall()
    return time.perf_counter() - t0


def cross_check(data: Path) -> list[str]:
    """Per channel, the figures both compute: crm-roi's JSON against DuckDB's SQL."""
    import json

    import duckdb

    con = duckdb.connect()
    for statement in DUCKDB_SQL.format(d=data).split(";"):
        if statement.strip():
            con.execute(statement)
    sql = BREAKDOWN_SQL.format(key="channel", cost_key="channel", time_key="d.channel")
    names = [
        "revenue",
        "won_deals",
        "lost_deals",
        "open_deals",
        "sales_cycle_days",
        "active_customers",
        "direct_cost",
        None,
        "time_cost",
        "hours",
        "new_customers",
    ]
    theirs = {
        row[0]: dict(zip(names, row[1:12], strict=True)) for row in con.execute(sql).fetchall()
    }
    command = crm_roi(data, "channel")
    ours = json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout)
    problems = []
    for row in ours["breakdowns"]["channel"]:
        other = theirs.get(row["channel"])
        if other is None:
            continue
        for name, value in other.items():
            if name and value is not None and abs(float(value) - float(row[name] or 0)) > 0.005:
                problems.append(f"{row['channel']} {name}: crm-roi {row[name]}, duckdb {value}")
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each; the best counts")
    parser.add_argument("--duckdb-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.duckdb_only:
        duckdb_seconds(args.data)
        return
    if not (args.data / "deals.csv").exists():
        sys.exit(f"no data in {args.data}: run benchmarks/generate.py first")
    size = sum(f.stat().st_size for f in args.data.glob("*.csv")) / 1024**2
    help_seconds = min(
        timed([sys.executable, "-m", "crm_roi", "--help"])[0] for _ in range(args.repeat)
    )
    # DuckDB as a whole command too (start-up and import included), like crm-roi. The two
    # take turns, so that a busy spell on a shared machine slows both, not one.
    duck_command = [sys.executable, __file__, "--duckdb-only", "--data", str(args.data)]
    runs, ducks = [], []
    for _ in range(args.repeat):
        runs.append(timed(crm_roi(args.data)))
        ducks.append(timed(duck_command)[0])
    seconds, peak = min(r[0] for r in runs), max(r[1] for r in runs)
    duck = min(ducks)
    pairs = sorted(r[0] / d for r, d in zip(runs, ducks, strict=True))
    print(f"inputs: {size:,.0f} MB in {args.data}")
    print(f"crm-roi compute: {seconds:.2f} s best, peak RSS {peak:,.0f} MB")
    print(f"duckdb, same figures, as a command: {duck:.2f} s best")
    print(f"crm-roi / duckdb: {seconds / duck:.2f}x best to best; run by run (each crm-roi run")
    print(f"  over the DuckDB run after it): median {statistics.median(pairs):.2f}x, ", end="")
    print(f"from {pairs[0]:.2f}x to {pairs[-1]:.2f}x")
    print(f"crm-roi --help: {help_seconds:.2f} s")
    if (args.data / "leads.csv").exists():
        # The leads' cost: the same run with --leads, taking turns with one without.
        without, with_leads = [], []
        for _ in range(args.repeat):
            without.append(timed(crm_roi(args.data))[0])
            with_leads.append(timed(crm_roi(args.data, leads=True)))
        best = min(w[0] for w in with_leads)
        print(
            f"crm-roi compute --leads: {best:.2f} s best (+{best - min(without):.2f} s over "
            f"{min(without):.2f} s without), peak RSS {max(w[1] for w in with_leads):,.0f} MB"
        )
    print(f"cores: {os.cpu_count()}")
    problems = cross_check(args.data)
    print("figures by channel agree with DuckDB" if not problems else "\n".join(problems))


if __name__ == "__main__":
    main()

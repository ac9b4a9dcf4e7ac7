"""Time `crm-roi compute` (best of --repeat runs) on the generated data set, against DuckDB doing the same aggregates.

    python benchmarks/generate.py --deals 1000000   # once
    python benchmarks/run.py

Prints wall time and peak memory of the whole command, DuckDB's time for the same sums from
the same CSVs (revenue, won/lost deals by channel, campaign and month; costs and time cost by
the same keys), and how long `crm-roi --help` takes. Needs `pip install '.[bench]'`.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

DATA = Path(__file__).parent / "data"


def timed(command: list[str]) -> tuple[float, float]:
    """Seconds and peak RSS (MB) of one child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t0 = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    seconds = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return seconds, max(peak, before) / 1024


def crm_roi(data: Path) -> list[str]:
    return [sys.executable, "-m", "crm_roi", "compute", str(data / "deals.csv"),
            str(data / "costs.csv"), "--customers", str(data / "customers.csv"),
            "--time-logs", str(data / "time_logs.csv"), "--by", "channel", "--by", "campaign",
            "--by", "month", "--format", "json", "--quiet"]


DUCKDB_SQL = """
create table deals as select * from read_csv('{d}/deals.csv', all_varchar=true);
create table costs as select * from read_csv('{d}/costs.csv', all_varchar=true);
create table logs as select * from read_csv('{d}/time_logs.csv', all_varchar=true);
create table customers as select * from read_csv('{d}/customers.csv', all_varchar=true);
select "Lead Source", sum(case when "Stage"='Closed Won' then cast("Amount" as decimal(18,2)) end),
       count(*) filter (where "Stage"='Closed Won'), count(*) filter (where "Stage"='Closed Lost'),
       median(cast("Close Date" as date) - cast("Create Date" as date))
  from deals group by 1;
select "Campaign", sum(case when "Stage"='Closed Won' then cast("Amount" as decimal(18,2)) end)
  from deals group by 1;
select strftime(cast("Close Date" as date), '%Y-%m'), sum(cast("Amount" as decimal(18,2)))
  from deals where "Stage"='Closed Won' group by 1;
select "Channel", "Campaign", strftime(cast("Date" as date), '%Y-%m'), sum(cast("Amount" as decimal(18,2)))
  from costs group by all;
select d."Lead Source", d."Campaign", sum(cast(l."Hours" as double) * cast(l."Hourly Rate" as decimal(18,2)))
  from logs l left join deals d on l."Deal ID" = d."Deal ID" group by all;
select "Company", min(cast("Close Date" as date)) from deals where "Stage"='Closed Won' group by 1;
"""


def duckdb_seconds(data: Path) -> float:
    import duckdb

    t0 = time.perf_counter()
    con = duckdb.connect()
    for statement in DUCKDB_SQL.format(d=data).split(";"):
        if statement.strip():
            con.execute(statement).fetchall()
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each; the best counts")
    args = parser.parse_args()
    if not (args.data / "deals.csv").exists():
        sys.exit(f"no data in {args.data}: run benchmarks/generate.py first")
    size = sum(f.stat().st_size for f in args.data.glob("*.csv")) / 1024**2
    help_seconds = min(timed([sys.executable, "-m", "crm_roi", "--help"])[0] for _ in range(args.repeat))
    runs = [timed(crm_roi(args.data)) for _ in range(args.repeat)]
    seconds, peak = min(r[0] for r in runs), max(r[1] for r in runs)
    duck = min(duckdb_seconds(args.data) for _ in range(args.repeat))
    print(f"inputs: {size:,.0f} MB in {args.data}")
    print(f"crm-roi compute: {seconds:.2f} s, peak RSS {peak:,.0f} MB")
    print(f"duckdb, same aggregates: {duck:.2f} s  (crm-roi / duckdb = {seconds / duck:.2f}x)")
    print(f"crm-roi --help: {help_seconds:.2f} s")
    print(f"cores: {os.cpu_count()}")


if __name__ == "__main__":
    main()

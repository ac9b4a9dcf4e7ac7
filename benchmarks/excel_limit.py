"""An Excel input at the format's limit: 1,048,575 deals under a header, read by calamine.

    python benchmarks/excel_limit.py   # writes benchmarks/data/limit.xlsx once, then times it

Prints how long `crm-roi validate` takes on it and its peak memory.
"""

from __future__ import annotations

import datetime as dt
import resource
import subprocess
import sys
import time
from pathlib import Path

ROWS = 1_048_575  # Excel's 1,048,576 rows, less the header
TARGET = Path(__file__).parent / "data" / "limit.xlsx"


def write(path: Path, rows: int) -> None:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("Deals")
    sheet.append(
        [
            "Deal ID",
            "Company",
            "Amount",
            "Stage",
            "Create Date",
            "Close Date",
            "Lead Source",
            "Deal Owner",
        ]
    )
    start = dt.date(2023, 1, 1)
    stages = ("Closed Won", "Closed Lost", "Proposal")
    channels = ("Paid Search", "Events", "Referral", "Organic")
    for i in range(rows):
        created = start + dt.timedelta(days=i % 600)
        stage = stages[i % 3]
        sheet.append(
            [
                f"D-{i:07d}",
                f"C-{i % 333_333}",
                1000 + (i % 50_000) / 4,
                stage,
                created,
                created + dt.timedelta(days=30) if stage != "Proposal" else None,
                channels[i % 4],
                f"Rep {i % 7}",
            ]
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)


def main() -> None:
    if not TARGET.exists():
        t0 = time.perf_counter()
        write(TARGET, ROWS)
        print(
            f"wrote {TARGET} ({TARGET.stat().st_size / 1024**2:,.0f} MB) "
            f"in {time.perf_counter() - t0:.0f} s"
        )
    t0 = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "crm_roi", "validate", str(TARGET), "--format", "json"],
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"crm-roi validate: exit {done.returncode}, {seconds:.1f} s, peak RSS {peak:,.0f} MB")
    if done.returncode not in (0, 1):
        print(done.stderr)


if __name__ == "__main__":
    main()

"""Hostile and unlucky inputs that used to give wrong figures with exit 0 (issue 12).

Each test builds its input in code, runs the command line as a user does, and checks that the
figures are right or that the run says, in one line, why it can't be.
"""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from crm_roi.cli import app

runner = CliRunner()
HEADER = "Deal Name,Deal ID,Amount,Currency,Stage,Close Date,Owner,Channel,Campaign,Product\n"


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding=encoding)
    return path


def compute(*args: str) -> dict:
    result = runner.invoke(app, ["compute", *args, "--format", "json", "--quiet"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def error_line(result) -> str:  # type: ignore[no-untyped-def]
    lines = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(lines) == 1, result.stderr
    return lines[0]


# --- footers -----------------------------------------------------------------------------------


def test_a_last_deal_named_total_is_a_deal_not_a_footer(tmp_path: Path) -> None:
    deals = write(
        tmp_path,
        "deals.csv",
        HEADER
        + "Acme renewal,D-1,5000,,Closed Won,2024-12-01,,,,\n"
        + "Total Energies renewal,D-2,12000,,Closed Won,2024-12-20,,,,\n",
    )
    report = compute(str(deals))
    assert report["inputs"][0] | {"sha256": ""} == {
        "kind": "deals", "path": str(deals), "rows": 2, "used": 2, "rejected": 0, "skipped": 0,
        "sha256": "",
    }  # fmt: skip
    assert report["totals"]["revenue"] == 17000.0  # 5,000 + 12,000
    listed = runner.invoke(app, ["validate", str(deals), "--format", "json"])
    assert json.loads(listed.stdout)["inputs"][0]["skipped"] == []


def test_footers_by_their_shapes_are_skipped_counted_and_listed(tmp_path: Path) -> None:
    deals = write(
        tmp_path,
        "deals.csv",
        HEADER
        + "Acme renewal,D-1,5000,,Closed Won,2024-12-01,,,,\n"
        + "Total,,5000,,,,,,,\n"
        + '"Grand Totals (1 records)",,"5,000.00",,,,,,,\n'
        + "\n"
        + "Confidential Information - Do Not Distribute\n"
        + "Copyright (c) 2000-2024 salesforce.com, inc. All rights reserved.\n"
        + "\n"
        + "Report run by Jan de Vries\n",
    )
    report = compute(str(deals))
    entry = report["inputs"][0]
    assert (entry["rows"], entry["used"], entry["rejected"], entry["skipped"]) == (1, 1, 0, 7)
    listed = runner.invoke(app, ["validate", str(deals), "--format", "json"])
    skipped = json.loads(listed.stdout)["inputs"][0]["skipped"]
    assert [(s["row"], s["code"]) for s in skipped] == [
        (3, "footer"), (4, "footer"), (5, "blank"), (6, "footer"), (7, "footer"), (8, "blank"),
        (9, "footer"),
    ]  # fmt: skip
    assert skipped[-1]["reason"] == "a lone line after a blank line, skipped"


def test_a_total_label_with_an_id_or_a_stage_is_data(tmp_path: Path) -> None:
    deals = write(
        tmp_path,
        "deals.csv",
        "Company,Deal ID,Stage,Amount,Close Date\n"
        "Acme BV,D-1,Closed Won,100,2024-01-05\n"
        "Total,D-9,Closed Won,50,2024-01-06\n",
    )
    assert compute(str(deals))["totals"]["revenue"] == 150.0

"""``crm-roi customers`` (contract v2 §7) through the command line, as a user runs it.

The models themselves are tested in tests/test_buying.py. Here: the CDNOW transactions, written
as an orders export (customer, date, amount — a file crm-roi reads as won sales), give the
published parameters through the command; every customer is scored, never NaN; the accounts at
risk are the ones below the threshold, most valuable first; the holdout; clear errors.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import math
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from crm_roi.cli import app

runner = CliRunner()
CDNOW = Path(__file__).parent / "fixtures" / "cdnow" / "cdnow_sample.csv.gz"
ORDERS = str(Path(__file__).parent.parent / "examples" / "orders.csv")


def run(*args: str) -> Result:
    return runner.invoke(app, ["customers", *args, "--format", "json"])


def document(*args: str) -> dict[str, Any]:
    result = run(*args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def cdnow_orders(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The CDNOW sample as an orders export: one row per purchase, every row a sale."""
    path = tmp_path_factory.mktemp("cdnow") / "cdnow_orders.csv"
    with gzip.open(CDNOW, "rt", encoding="utf-8") as source, path.open("w") as out:
        writer = csv.writer(out)
        writer.writerow(["Order ID", "Customer", "Order Date", "Amount", "Currency"])
        for i, row in enumerate(csv.DictReader(source), start=1):
            writer.writerow([f"O{i}", f"C{row['customer_id']}", row["date"], row["amount"], "USD"])
    return str(path)


def test_the_cdnow_transactions_give_the_published_parameters(cdnow_orders: str) -> None:
    doc = document(cdnow_orders, "--calibration-end", "1997-09-30")
    model = doc["model"]
    bgnbd, gg = model["bgnbd"], model["gamma_gamma"]
    published = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    for name, value in published.items():
        assert bgnbd[name] == pytest.approx(value, abs=0.001), name
    for name, value in {"p": 6.25, "q": 3.74, "v": 15.44}.items():
        assert gg[name] == pytest.approx(value, abs=0.01), name  # v in dollars
    assert len(doc["customers"]) == 2357  # every one of them, in the JSON
    assert doc["unit"] == "weeks" and doc["calibration_end"] == "1997-09-30"


def test_a_customer_scored_by_hand(cdnow_orders: str) -> None:
    doc = document(cdnow_orders, "--calibration-end", "1997-09-30", "--horizon", "12")
    m = doc["model"]["bgnbd"]
    r, alpha, a, b = m["r"], m["alpha"], m["a"], m["b"]
    # Customer 1: purchases on 1997-01-01, 01-18 and 08-02 before the end (12-12 is after):
    # x = 2, t_x = (08-02 − 01-01) = 213 days = 30.43 weeks, T = 272 days = 38.86 weeks.
    one = next(c for c in doc["customers"] if c["customer_id"] == "C1")
    assert (one["x"], one["purchases"]) == (2, 3)
    assert one["t_x"] == pytest.approx(213 / 7) and one["T"] == pytest.approx(272 / 7)
    x, t_x, big_t = 2, 213 / 7, 272 / 7
    alive = 1 / (1 + a / (b + x - 1) * ((alpha + big_t) / (alpha + t_x)) ** (r + x))
    assert one["p_alive"] == pytest.approx(alive, rel=1e-9)
    # Its mean repeat spend: (29.73 + 14.96) / 2; revenue to date with the first: 74.02.
    assert one["monetary"] == 22.35 and one["revenue_to_date"] == 74.02
    # CLV = expected purchases × expected value × gross margin (1.0), from unrounded figures:
    # the expected value shown is rounded to the cent, so within a cent or two.
    assert one["clv"] == pytest.approx(one["expected_purchases"] * one["expected_value"], abs=0.02)


def test_every_customer_is_scored_and_the_accounts_at_risk_are_listed_by_value() -> None:
    doc = document(ORDERS, "--by", "segment", "--risk-threshold", "0.6")
    customers = {c["customer_id"]: c for c in doc["customers"]}
    assert len(customers) == 600
    for c in customers.values():
        for name in ("t_x", "T", "p_alive", "expected_purchases", "expected_value", "clv"):
            assert c[name] is not None and math.isfinite(c[name]), (c["customer_id"], name)
        assert (c["monetary"] is None) is (c["x"] == 0)
        assert 0 <= c["p_alive"] <= 1
    below = [c for c in customers.values() if c["p_alive"] < 0.6]
    assert doc["at_risk"] == [
        c["customer_id"] for c in sorted(below, key=lambda c: -c["revenue_to_date"])
    ]
    groups = doc["groups"]["segment"]
    assert sum(g["customers"] for g in groups) == 600
    assert sum(g["clv"] for g in groups) == pytest.approx(
        sum(c["clv"] for c in customers.values()), abs=0.01 * len(groups) + 0.01 * 600
    )


def test_gross_margin_scales_the_clv_only() -> None:
    full = document(ORDERS)
    half = document(ORDERS, "--gross-margin", "0.5")
    for a, b in zip(full["customers"], half["customers"], strict=True):
        assert b["expected_purchases"] == a["expected_purchases"]
        assert b["clv"] == pytest.approx(a["clv"] / 2, abs=0.01)


def test_the_holdout_sets_predictions_against_what_happened() -> None:
    doc = document(ORDERS, "--calibration-end", "2024-06-30", "--holdout-to", "2024-12-31")
    holdout = doc["holdout"]
    assert (holdout["from"], holdout["to"]) == ("2024-07-01", "2024-12-31")
    # The actual repeat purchases of the holdout, counted from the file by hand: orders of
    # customers who had bought by the calibration end, one a customer and day.
    with open(ORDERS, encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    known = {r["Customer"] for r in rows if r["Order Date"] <= "2024-06-30"}
    later = {
        (r["Customer"], r["Order Date"])
        for r in rows
        if "2024-07-01" <= r["Order Date"] <= "2024-12-31" and r["Customer"] in known
    }
    assert holdout["actual"] == len(later)
    assert holdout["predicted"] == pytest.approx(holdout["actual"], rel=0.15)  # a fair model
    assert len(holdout["weeks"]) == len(holdout["actual_cumulative"])
    assert holdout["actual_cumulative"] == sorted(holdout["actual_cumulative"])


def test_the_csv_has_a_row_per_customer() -> None:
    result = runner.invoke(app, ["customers", ORDERS, "--format", "csv"])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == 600


def test_too_few_repeat_buyers_is_a_clear_error(tmp_path: Path) -> None:
    orders = tmp_path / "orders.csv"
    lines = ["Customer,Order Date,Amount"] + [f"C{i},2024-01-{i + 1:02d},100" for i in range(20)]
    orders.write_text("\n".join(lines) + "\n")
    result = run(str(orders))
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.startswith("Error:") and "bought twice" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_deals_without_customers_are_a_clear_error(tmp_path: Path) -> None:
    orders = tmp_path / "orders.csv"
    orders.write_text("Order Date,Amount\n2024-01-02,100\n2024-02-03,100\n")
    result = run(str(orders))
    assert result.exit_code == 1
    assert "customer" in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["--risk-threshold", "1.5"],
        ["--calibration-end", "2024-06-30", "--holdout-to", "2024-01-01"],
        ["--horizon", "0"],
    ],
)
def test_bad_options_are_usage_errors(args: list[str]) -> None:
    result = run(ORDERS, *args)
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("Error:")

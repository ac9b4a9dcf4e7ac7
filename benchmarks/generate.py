"""Generate a large synthetic data set for the benchmark (not committed: benchmarks/data/).

    python benchmarks/generate.py --deals 1000000

writes deals.csv (N deals), customers.csv (N/3), costs.csv (N/4), time_logs.csv (N) and
leads.csv (N, or --leads) with the same headers as examples/, and orders.csv (the orders of
N/10 webshop customers, for crm-roi customers).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

CHANNELS = np.array(["Paid Search", "LinkedIn Ads", "Events", "Referral", "Organic"])
STAGES = np.array(["Closed Won", "Closed Lost", "Qualified", "Proposal"])
OWNERS = np.array(["Sanne de Vries", "Tom Bakker", "Priya Raman", "Lucas Jansen", "Emma Visser"])
PRODUCTS = np.array(["Starter", "Professional", "Enterprise"])


def generate(n: int, out: Path, seed: int = 7, leads: int | None = None) -> None:
    rng = np.random.default_rng(seed)
    out.mkdir(parents=True, exist_ok=True)
    start = np.datetime64("2023-01-01")
    n_customers = max(1, n // 3)
    campaigns = np.array([f"Campaign {i:03d}" for i in range(60)])
    campaign_channel = CHANNELS[np.arange(60) % len(CHANNELS)]
    created = start + rng.integers(0, 700, n).astype("timedelta64[D]")
    close = created + rng.integers(5, 120, n).astype("timedelta64[D]")
    stage = STAGES[rng.choice(4, n, p=[0.45, 0.3, 0.15, 0.1])]
    is_open = np.isin(stage, ["Qualified", "Proposal"])
    campaign_index = rng.integers(0, 60, n)
    deals = pd.DataFrame(
        {
            "Deal ID": np.char.add("D-", np.arange(n).astype(str)),
            "Company": np.char.add("C-", rng.integers(0, n_customers, n).astype(str)),
            "Amount": np.round(rng.uniform(1500, 60000, n), 2),
            "Currency": "EUR",
            "Stage": stage,
            "Create Date": created.astype(str),
            "Close Date": np.where(is_open, "", close.astype(str)),
            "Deal Owner": OWNERS[rng.integers(0, 5, n)],
            "Lead Source": campaign_channel[campaign_index],
            "Campaign": campaigns[campaign_index],
            "Product": PRODUCTS[rng.integers(0, 3, n)],
        }
    )
    deals.to_csv(out / "deals.csv", index=False, float_format="%.2f")
    customers = pd.DataFrame(
        {
            "Customer ID": np.char.add("C-", np.arange(n_customers).astype(str)),
            "Segment": np.array(["SMB", "Mid-Market", "Enterprise"])[
                rng.integers(0, 3, n_customers)
            ],
            "Country": np.array(["NL", "BE", "DE", "GB"])[rng.integers(0, 4, n_customers)],
            "Acquired Date": "",
            "Churned Date": "",
        }
    )
    customers.to_csv(out / "customers.csv", index=False)
    m = max(1, n // 4)
    cost_campaign = rng.integers(0, 60, m)
    costs = pd.DataFrame(
        {
            "Date": (start + rng.integers(0, 730, m).astype("timedelta64[D]")).astype(str),
            "Amount": np.round(rng.uniform(10, 5000, m), 2),
            "Currency": "EUR",
            "Channel": campaign_channel[cost_campaign],
            "Campaign": campaigns[cost_campaign],
            "Category": "Ad spend",
            "Type": "acquisition",
        }
    )
    costs.to_csv(out / "costs.csv", index=False, float_format="%.2f")
    logs = pd.DataFrame(
        {
            "Date": (start + rng.integers(0, 730, n).astype("timedelta64[D]")).astype(str),
            "Person": OWNERS[rng.integers(0, 5, n)],
            "Activity": np.array(["Demo", "Discovery call", "Proposal", "Onboarding"])[
                rng.integers(0, 4, n)
            ],
            "Hours": rng.integers(1, 32, n) / 4,
            "Hourly Rate": "85.00",
            "Deal ID": np.char.add("D-", rng.integers(0, n, n).astype(str)),
        }
    )
    logs.to_csv(out / "time_logs.csv", index=False)
    generate_leads(n, n if leads is None else leads, out, campaigns, campaign_channel, seed)
    generate_orders(max(1, n // 10), out, seed)


def generate_orders(n: int, out: Path, seed: int) -> None:
    """orders.csv, for crm-roi customers: n customers who first buy in 2023 and then buy as the
    BG/NBD model describes (each at its own rate, each liable to stop after any purchase),
    through 2024. Its own generator: the other files don't change."""
    rng = np.random.default_rng(seed + 2)
    rate = rng.gamma(0.5, 1 / 6.0, n)  # purchases a week while alive
    stop = rng.beta(0.7, 3.0, n)
    spend = rng.gamma(6.0, 15.0, n)
    day = rng.integers(0, 365, n).astype(float)  # days since 2023-01-01
    alive = np.ones(n, dtype=bool)
    customers, days = [], []
    while alive.any():
        who = np.flatnonzero(alive)
        customers.append(who)
        days.append(day[who])
        alive[who] = rng.random(len(who)) >= stop[who]
        day[who] += np.maximum(1, np.round(rng.exponential(1 / np.maximum(rate[who], 1e-9)) * 7))
        alive &= day < 731
    who, when = np.concatenate(customers), np.concatenate(days)
    start = np.datetime64("2023-01-01")
    order = np.argsort(when, kind="stable")
    orders = pd.DataFrame(
        {
            "Order ID": np.char.add("O-", np.arange(len(who)).astype(str)),
            "Customer": np.char.add("C-", who[order].astype(str)),
            "Order Date": (start + when[order].astype("timedelta64[D]")).astype(str),
            "Amount": np.round(rng.gamma(6.0, spend[who[order]] / 6.0), 2),
        }
    )
    orders.to_csv(out / "orders.csv", index=False, float_format="%.2f")


def generate_leads(
    n_deals: int,
    n: int,
    out: Path,
    campaigns: np.ndarray,
    campaign_channel: np.ndarray,
    seed: int,
) -> None:
    """Leads: about a third become a deal (lead i → a deal of its own, some from the deal
    side); the rest open or disqualified. Its own generator: the other files don't change."""
    rng = np.random.default_rng(seed + 1)
    start = np.datetime64("2023-01-01")
    campaign = rng.integers(0, len(campaigns), n)
    linked = rng.random(n) < 0.35
    deal = np.where(linked, rng.permutation(max(n, n_deals))[:n] % n_deals, -1)
    status = np.where(
        linked,
        "Converted",
        np.array(["Open", "Working", "Disqualified"])[rng.integers(0, 3, n)],
    )
    leads = pd.DataFrame(
        {
            "Lead ID": np.char.add("L-", np.arange(n).astype(str)),
            "Created Date": (start + rng.integers(0, 700, n).astype("timedelta64[D]")).astype(str),
            "Status": status,
            "Lead Source": campaign_channel[campaign],
            "Campaign": campaigns[campaign],
            "Lead Owner": OWNERS[rng.integers(0, 5, n)],
            "Deal ID": np.where(linked, np.char.add("D-", deal.astype(str)), ""),
        }
    )
    leads.to_csv(out / "leads.csv", index=False)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--deals", type=int, default=1_000_000)
    parser.add_argument("--leads", type=int, default=None, help="leads (default: as many as deals)")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "data")
    args = parser.parse_args()
    generate(args.deals, args.out, leads=args.leads)

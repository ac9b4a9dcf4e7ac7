#!/usr/bin/env python3
"""Generate the Acme Analytics example data set for crm-roi.

Writes five CSV exports next to this script:

    deals.csv       CRM deal export (~300 deals, 2023-2024)
    customers.csv   customer master data (companies with a won deal)
    costs.csv       sales & marketing cost ledger
    time_logs.csv   hours logged by sales, marketing and customer success
    leads.csv       CRM lead export (~2,200 leads, each deal's among them)

The output is fully deterministic (seeded ``random.Random(2024)``, and the
leads ``random.Random(20230101)``; standard library only), so running
``python examples/generate.py`` twice produces byte-identical files.
"""

from __future__ import annotations

import calendar
import csv
import random
from datetime import date, timedelta
from pathlib import Path

OUT_DIR = Path(__file__).resolve().parent

WINDOW_START = date(2023, 1, 1)
WINDOW_END = date(2024, 12, 31)

rng = random.Random(2024)

# --------------------------------------------------------------------------
# Reference data
# --------------------------------------------------------------------------

REPS = ["Sanne de Vries", "Tom Bakker", "Priya Raman", "Lucas Jansen", "Emma Visser"]
REP_WEIGHTS = [24, 22, 20, 18, 16]
MARKETER = "Noor El Amrani"
CSM = "Daan Smit"
ROLES = {rep: ("Account Executive", "85.00") for rep in REPS}
ROLES[MARKETER] = ("Marketing Manager", "75.00")
ROLES[CSM] = ("Customer Success", "65.00")

CHANNELS = ["Paid Search", "LinkedIn Ads", "Events", "Referral", "Organic"]
NEW_BUSINESS_CHANNEL_WEIGHTS = [30, 22, 15, 13, 20]
EXPANSION_CHANNEL_WEIGHTS = [15, 12, 13, 25, 35]
RENEWAL_CHANNEL_WEIGHTS = [4, 3, 3, 15, 75]

# campaign -> (channel, first day a deal can be attributed, last day, weight)
CAMPAIGNS = {
    "Google Brand 2023": ("Paid Search", date(2023, 1, 1), date(2023, 12, 31), 2),
    "Google Brand 2024": ("Paid Search", date(2024, 1, 1), date(2024, 12, 31), 2),
    "Google Generic": ("Paid Search", date(2023, 1, 1), date(2024, 12, 31), 3),
    "LI Lead Gen": ("LinkedIn Ads", date(2023, 1, 1), date(2024, 12, 31), 3),
    "LI ABM Q1-2024": ("LinkedIn Ads", date(2024, 1, 8), date(2024, 5, 15), 6),
    "LI Retargeting": ("LinkedIn Ads", date(2023, 7, 1), date(2024, 12, 31), 2),
    "Dutch SaaS Summit 2023": ("Events", date(2023, 10, 12), date(2023, 12, 15), 6),
    "Dutch SaaS Summit 2024": ("Events", date(2024, 10, 10), date(2024, 12, 15), 6),
    "Webinar Series": ("Events", date(2023, 1, 1), date(2024, 12, 31), 3),
    "Partner Program": ("Referral", date(2023, 1, 1), date(2024, 12, 31), 1),
}

BURST_CAMPAIGNS = {
    "Dutch SaaS Summit 2023": 0.3,
    "Dutch SaaS Summit 2024": 0.3,
    "LI ABM Q1-2024": 0.2,
}

PRODUCTS = ["Starter", "Professional", "Enterprise"]
PRODUCT_RANGE_EUR = {
    "Starter": (1500, 6000),
    "Professional": (6000, 22000),
    "Enterprise": (22000, 60000),
}
SEGMENT_PRODUCT_WEIGHTS = {
    "SMB": [70, 27, 3],
    "Mid-Market": [20, 65, 15],
    "Enterprise": [3, 30, 67],
}

COUNTRY_SUFFIX = {"NL": ["BV"], "BE": ["NV", "BV"], "DE": ["GmbH"], "GB": ["Ltd"]}
INDUSTRIES = [
    "Software",
    "Retail",
    "Logistics",
    "Financial Services",
    "Manufacturing",
    "Healthcare",
    "Professional Services",
]

NAME_PREFIXES = [
    "Bright",
    "North",
    "Blue",
    "Polder",
    "Delta",
    "Tulip",
    "Canal",
    "Orange",
    "Dune",
    "Harbour",
    "Mill",
    "Silver",
    "Green",
    "Storm",
    "Clear",
    "Tide",
    "Beacon",
    "Amber",
    "Iron",
    "Sky",
    "Lime",
    "Copper",
    "Oak",
    "River",
    "Stone",
    "Sun",
    "Frost",
    "Maple",
    "Swift",
    "Zeeland",
]
NAME_ROOTS = [
    "line",
    "wave",
    "works",
    "data",
    "logic",
    "soft",
    "point",
    "field",
    "gate",
    "bridge",
    "stack",
    "path",
    "core",
    "hub",
    "view",
]
# A few hand-picked names that exercise CSV quoting and non-ASCII text.
SPECIAL_COMPANIES = [
    ("De Boer, Kok & Partners BV", "NL", "Professional Services"),
    ("Müller & Söhne GmbH", "DE", "Manufacturing"),
    ("Zoë Health BV", "NL", "Healthcare"),
    ("Brasserie L'Écluse NV", "BE", "Retail"),
]

N_COMPANIES = 120
N_NEVER_WON = 10
N_EXTRA_WON = 25
N_LOST = 90
N_OPEN = 75
N_LOST_NEVER_WON = 12
N_OPEN_NEVER_WON = 6
EMPTY_LEAD_SOURCE_SHARE = 0.03
EMPTY_OPEN_AMOUNT_SHARE = 0.10
CHURN_SHARE = 0.15


# --------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------


def rand_date(start: date, end: date) -> date:
    return start + timedelta(days=rng.randint(0, (end - start).days))


def month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def months(start: date, end: date):
    """Yield (year, month) for every month from start to end inclusive."""
    y, m = start.year, start.month
    while (y, m) <= (end.year, end.month):
        yield y, m
        m += 1
        if m == 13:
            y, m = y + 1, 1


def fmt_cents(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    cents = abs(cents)
    return f"{sign}{cents // 100}.{cents % 100:02d}"


def rand_amount_cents(lo_eur: float, hi_eur: float, round_share: float = 0.55) -> int:
    """A random amount in cents; some amounts are rounded to 50 EUR."""
    cents = rng.randint(int(lo_eur * 100), int(hi_eur * 100))
    if rng.random() < round_share:
        cents = max(int(lo_eur * 100), cents // 5000 * 5000)
    return cents


def fmt_hours(quarters: int) -> str:
    whole, rest = divmod(quarters, 4)
    if rest == 0:
        return str(whole)
    return f"{whole}." + {1: "25", 2: "5", 3: "75"}[rest]


def rand_hours(lo: float, hi: float) -> str:
    return fmt_hours(rng.randint(int(lo * 4), int(hi * 4)))


def close_after(create: date, min_days: int = 5, max_days: int = 120) -> date | None:
    room = (WINDOW_END - create).days
    if room < min_days:
        return None
    return create + timedelta(days=rng.randint(min_days, min(max_days, room)))


def write_csv(name: str, header: list[str], rows: list[list[str]]) -> None:
    with open(OUT_DIR / name, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


# --------------------------------------------------------------------------
# Companies
# --------------------------------------------------------------------------


def build_companies() -> list[dict]:
    combos = [p + r for p in NAME_PREFIXES for r in NAME_ROOTS]
    bases = rng.sample(combos, N_COMPANIES - len(SPECIAL_COMPANIES))
    companies = []
    for base in bases:
        country = rng.choices(["NL", "BE", "DE", "GB"], weights=[50, 20, 20, 10])[0]
        companies.append(
            {
                "name": f"{base} {rng.choice(COUNTRY_SUFFIX[country])}",
                "country": country,
                "industry": rng.choice(INDUSTRIES),
            }
        )
    for name, country, industry in SPECIAL_COMPANIES:
        companies.append({"name": name, "country": country, "industry": industry})
    companies.sort(key=lambda c: c["name"])
    for c in companies:
        c["segment"] = rng.choices(["SMB", "Mid-Market", "Enterprise"], weights=[45, 38, 17])[0]
        c["owner"] = rng.choices(REPS, weights=REP_WEIGHTS)[0]
    names = [c["name"] for c in companies]
    assert len(set(names)) == len(names), "company names must be unique"
    return companies


# --------------------------------------------------------------------------
# Deals
# --------------------------------------------------------------------------


def pick_source(create: date, weights: list[int], new_business: bool) -> tuple[str, str]:
    # Short "burst" campaigns (summits, the ABM push) source a good share of
    # the new-business deals created while they run.
    if new_business:
        for name, share in BURST_CAMPAIGNS.items():
            channel, start, end, _ = CAMPAIGNS[name]
            if start <= create <= end and rng.random() < share:
                return channel, name
    channel = rng.choices(CHANNELS, weights=weights)[0]
    if channel == "Organic":
        return channel, ""
    active = [
        (name, w)
        for name, (ch, start, end, w) in CAMPAIGNS.items()
        if ch == channel and start <= create <= end
    ]
    names = [n for n, _ in active]
    return channel, rng.choices(names, weights=[w for _, w in active])[0]


def pick_product(segment: str) -> str:
    return rng.choices(PRODUCTS, weights=SEGMENT_PRODUCT_WEIGHTS[segment])[0]


def product_amount(product: str) -> int:
    lo, hi = PRODUCT_RANGE_EUR[product]
    return rand_amount_cents(lo, hi)


def build_deals(companies: list[dict]) -> list[dict]:
    deals: list[dict] = []
    shuffled = companies[:]
    rng.shuffle(shuffled)
    never_won = shuffled[:N_NEVER_WON]
    winners = sorted(shuffled[N_NEVER_WON:], key=lambda c: c["name"])

    def add(company, kind, stage, create, close, product, amount, owner, weights):
        channel, campaign = pick_source(create, weights, kind == "new")
        label = {
            "new": product,
            "renewal": f"{product} renewal {create.year}",
            "upsell": f"{product} upsell",
        }[kind]
        deals.append(
            {
                "company": company["name"],
                "name": f"{company['name']} - {label}",
                "amount": amount,
                "stage": stage,
                "create": create,
                "close": close,
                "owner": owner,
                "channel": channel,
                "campaign": campaign,
                "product": product,
                "kind": kind,
            }
        )
        return deals[-1]

    # 1. First (new-business) win for every winning company.
    first_won = {}
    for c in winners:
        create = rand_date(WINDOW_START, date(2024, 10, 31))
        close = close_after(create)
        product = pick_product(c["segment"])
        first_won[c["name"]] = add(
            c,
            "new",
            "Closed Won",
            create,
            close,
            product,
            product_amount(product),
            c["owner"],
            NEW_BUSINESS_CHANNEL_WEIGHTS,
        )

    # 2. Renewals and upsells for customers that have been around long enough.
    eligible = [c for c in winners if first_won[c["name"]]["close"] <= date(2024, 6, 30)]
    for c in rng.sample(eligible, N_EXTRA_WON):
        first = first_won[c["name"]]
        if rng.random() < 0.5:
            kind, product = "renewal", first["product"]
            create = first["close"] + timedelta(days=rng.randint(290, 340))
            lo, hi = PRODUCT_RANGE_EUR[product]
            amount = int(first["amount"] * rng.uniform(0.95, 1.15))
            amount = min(max(amount, lo * 100), hi * 100) // 100 * 100
        else:
            kind = "upsell"
            idx = min(PRODUCTS.index(first["product"]) + rng.randint(0, 1), 2)
            product = PRODUCTS[idx]
            lo, hi = PRODUCT_RANGE_EUR[product]
            amount = rand_amount_cents(max(1500, lo * 0.3), max(3000, hi * 0.5))
            create = first["close"] + timedelta(days=rng.randint(60, 300))
        create = min(create, date(2024, 11, 30))
        close = close_after(create)
        add(
            c,
            kind,
            "Closed Won",
            create,
            close,
            product,
            amount,
            c["owner"],
            RENEWAL_CHANNEL_WEIGHTS if kind == "renewal" else EXPANSION_CHANNEL_WEIGHTS,
        )

    # 3. Lost deals: some on companies that never bought, the rest anywhere.
    lost_targets = never_won + [
        rng.choice(never_won) for _ in range(N_LOST_NEVER_WON - N_NEVER_WON)
    ]
    lost_targets += [rng.choice(companies) for _ in range(N_LOST - N_LOST_NEVER_WON)]
    for c in lost_targets:
        create = rand_date(WINDOW_START, date(2024, 11, 15))
        close = close_after(create)
        product = pick_product(c["segment"])
        first = first_won.get(c["name"])
        expansion = first is not None and create > first["close"]
        add(
            c,
            "upsell" if expansion else "new",
            "Closed Lost",
            create,
            close,
            product,
            product_amount(product),
            rng.choices(REPS, weights=REP_WEIGHTS)[0],
            EXPANSION_CHANNEL_WEIGHTS if expansion else NEW_BUSINESS_CHANNEL_WEIGHTS,
        )

    # 4. Open pipeline, mostly created in the second half of 2024.
    open_targets = [rng.choice(never_won) for _ in range(N_OPEN_NEVER_WON)]
    open_targets += [rng.choice(companies) for _ in range(N_OPEN - N_OPEN_NEVER_WON)]
    for c in open_targets:
        if rng.random() < 0.85:
            create = rand_date(date(2024, 7, 1), date(2024, 12, 20))
        else:
            create = rand_date(date(2024, 1, 1), date(2024, 6, 30))
        stage = rng.choices(["Qualified", "Proposal", "Negotiation"], weights=[40, 35, 25])[0]
        product = pick_product(c["segment"])
        first = first_won.get(c["name"])
        expansion = first is not None and create > first["close"]
        add(
            c,
            "upsell" if expansion else "new",
            stage,
            create,
            None,
            product,
            product_amount(product),
            rng.choices(REPS, weights=REP_WEIGHTS)[0],
            EXPANSION_CHANNEL_WEIGHTS if expansion else NEW_BUSINESS_CHANNEL_WEIGHTS,
        )

    # Blank out ~10% of open amounts and ~3% of lead sources.
    open_deals = [d for d in deals if d["close"] is None]
    for d in rng.sample(open_deals, round(len(open_deals) * EMPTY_OPEN_AMOUNT_SHARE)):
        d["amount"] = None
    for d in rng.sample(deals, round(len(deals) * EMPTY_LEAD_SOURCE_SHARE)):
        d["channel"], d["campaign"] = "", ""

    deals.sort(key=lambda d: (d["create"], d["company"], d["product"], d["stage"]))
    for i, d in enumerate(deals, start=1):
        d["id"] = f"D-{i:04d}"
    return deals


# --------------------------------------------------------------------------
# Customers
# --------------------------------------------------------------------------


def build_customers(companies: list[dict], deals: list[dict]) -> list[dict]:
    by_company: dict[str, list[dict]] = {}
    for d in deals:
        by_company.setdefault(d["company"], []).append(d)

    customers = []
    for c in companies:
        company_deals = by_company.get(c["name"], [])
        won = [d for d in company_deals if d["stage"] == "Closed Won"]
        if not won:
            continue
        customers.append(
            {
                **c,
                "first_won": min(d["close"] for d in won),
                "last_won": max(d["close"] for d in won),
                "has_open": any(d["close"] is None for d in company_deals),
                "last_create": max(d["create"] for d in company_deals),
                # Open deals have no close date; they exclude churn anyway.
                "last_close": max(d["close"] or WINDOW_END for d in company_deals),
                "churned": None,
            }
        )

    # Churn: customers whose last activity was a win, with room left in the window.
    candidates = [
        cu
        for cu in customers
        if not cu["has_open"]
        and cu["last_create"] <= cu["last_won"]
        and cu["last_close"] <= date(2024, 10, 15)
    ]
    n_churn = min(len(candidates), round(len(customers) * CHURN_SHARE))
    for cu in rng.sample(candidates, n_churn):
        last = cu["last_close"]  # after the last won deal and any lost deal
        room = (WINDOW_END - last).days
        cu["churned"] = last + timedelta(days=rng.randint(min(45, room), min(420, room)))
    return customers


# --------------------------------------------------------------------------
# Costs
# --------------------------------------------------------------------------

# campaign -> (first month, last month, monthly budget low, high, invoice label)
AD_SPEND = {
    "Google Brand 2023": (date(2023, 1, 1), date(2023, 12, 31), 1500, 2500, "Google Ads"),
    "Google Brand 2024": (date(2024, 1, 1), date(2024, 12, 31), 1800, 2800, "Google Ads"),
    "Google Generic": (date(2023, 1, 1), date(2024, 12, 31), 3800, 6200, "Google Ads"),
    "LI Lead Gen": (date(2023, 1, 1), date(2024, 12, 31), 2800, 4800, "LinkedIn Campaign Manager"),
    "LI ABM Q1-2024": (
        date(2024, 1, 1),
        date(2024, 3, 31),
        8000,
        12000,
        "LinkedIn Campaign Manager",
    ),
    "LI Retargeting": (
        date(2023, 7, 1),
        date(2024, 12, 31),
        900,
        1900,
        "LinkedIn Campaign Manager",
    ),
}


def build_costs() -> list[dict]:
    costs: list[dict] = []

    def add(
        amount,
        category,
        type_="acquisition",
        *,
        day=None,
        start=None,
        end=None,
        channel="",
        campaign="",
        description="",
    ):
        costs.append(
            {
                "date": day,
                "start": start,
                "end": end,
                "amount": amount,
                "channel": channel,
                "campaign": campaign,
                "category": category,
                "type": type_,
                "description": description,
            }
        )

    # Monthly ad spend per campaign.
    for campaign, (start, end, lo, hi, label) in AD_SPEND.items():
        channel = CAMPAIGNS[campaign][0]
        for y, m in months(start, end):
            add(
                rand_amount_cents(lo, hi, round_share=0.0),
                "Ad spend",
                day=month_end(y, m),
                channel=channel,
                campaign=campaign,
                description=f"{label} invoice {y}-{m:02d}",
            )

    # Credit notes from the ad platforms.
    add(
        -25000,
        "Ad spend",
        day=date(2023, 6, 30),
        channel="Paid Search",
        campaign="Google Generic",
        description="Credit note",
    )
    add(
        -31240,
        "Ad spend",
        day=date(2024, 3, 31),
        channel="LinkedIn Ads",
        campaign="LI Lead Gen",
        description="Credit note",
    )

    # Events.
    for year, event_day in ((2023, date(2023, 10, 12)), (2024, date(2024, 10, 10))):
        campaign = f"Dutch SaaS Summit {year}"
        add(
            rand_amount_cents(12000, 16000, 1.0),
            "Events",
            day=event_day - timedelta(days=27),
            channel="Events",
            campaign=campaign,
            description="Sponsorship package",
        )
        add(
            rand_amount_cents(4500, 7000),
            "Events",
            day=event_day,
            channel="Events",
            campaign=campaign,
            description="Booth and materials",
        )
        add(
            rand_amount_cents(1800, 3200, 0.0),
            "Events",
            day=month_end(year, 10),
            channel="Events",
            campaign=campaign,
            description="Travel and accommodation",
        )
    for y, m in months(WINDOW_START, WINDOW_END):
        add(
            rand_amount_cents(700, 1500),
            "Events",
            day=month_end(y, m),
            channel="Events",
            campaign="Webinar Series",
            description=f"Webinar platform and promotion {y}-{m:02d}",
        )

    # Campaign costs booked without a channel (the tool infers it from deals).
    for y in (2023, 2024):
        for q in range(1, 5):
            add(
                rand_amount_cents(2000, 6000, 0.0),
                "Partner commission",
                day=month_end(y, q * 3),
                campaign="Partner Program",
                description=f"Partner referral commissions Q{q}-{y}",
            )
    add(
        450000,
        "Agency fee",
        day=date(2024, 1, 31),
        campaign="LI ABM Q1-2024",
        description="ABM agency set-up fee",
    )
    add(
        275000,
        "Agency fee",
        day=date(2024, 3, 31),
        campaign="LI ABM Q1-2024",
        description="ABM agency retainer Q1",
    )

    # Organic: content/SEO agency, channel only.
    for y in (2023, 2024):
        for q in range(1, 5):
            add(
                rand_amount_cents(3000, 4500),
                "Content",
                day=month_end(y, q * 3),
                channel="Organic",
                description=f"SEO and content agency Q{q}-{y}",
            )

    # Tools: yearly subscriptions, unattributed overhead.
    for y in (2023, 2024):
        start, end = date(y, 1, 1), date(y, 12, 31)
        add(
            1440000 if y == 2023 else 1584000,
            "Tools",
            start=start,
            end=end,
            description=f"CRM licence {y}",
        )
        add(
            960000 if y == 2023 else 1020000,
            "Tools",
            start=start,
            end=end,
            description=f"Marketing automation {y}",
        )
        add(480000, "Tools", start=start, end=end, description=f"LinkedIn Sales Navigator {y}")

    # Retention costs.
    for y in (2023, 2024):
        add(
            600000 if y == 2023 else 660000,
            "Customer success",
            "retention",
            start=date(y, 1, 1),
            end=date(y, 12, 31),
            description=f"Customer success platform {y}",
        )
    for day, text in (
        (date(2023, 6, 15), "Customer onboarding workshop"),
        (date(2024, 3, 20), "Customer onboarding workshop"),
        (date(2024, 5, 23), "Customer day 2024"),
        (date(2024, 9, 18), "Customer onboarding workshop"),
    ):
        add(
            rand_amount_cents(900, 4500), "Customer success", "retention", day=day, description=text
        )

    costs.sort(
        key=lambda c: (
            c["date"] or c["start"],
            c["category"],
            c["channel"],
            c["campaign"],
            c["description"],
        )
    )
    return costs


# --------------------------------------------------------------------------
# Time logs
# --------------------------------------------------------------------------

# campaign -> (first setup day, last setup day, number of setup logs)
CAMPAIGN_SETUP = {
    "Google Brand 2023": (date(2023, 1, 2), date(2023, 11, 30), 3),
    "Google Brand 2024": (date(2024, 1, 2), date(2024, 11, 30), 3),
    "Google Generic": (date(2023, 1, 2), date(2024, 11, 30), 4),
    "LI Lead Gen": (date(2023, 1, 2), date(2024, 11, 30), 4),
    "LI ABM Q1-2024": (date(2023, 12, 1), date(2024, 3, 15), 4),
    "LI Retargeting": (date(2023, 6, 15), date(2024, 11, 30), 3),
    "Dutch SaaS Summit 2023": (date(2023, 8, 15), date(2023, 10, 11), 4),
    "Dutch SaaS Summit 2024": (date(2024, 8, 15), date(2024, 10, 9), 4),
    "Webinar Series": (date(2023, 1, 2), date(2024, 12, 15), 6),
    "Partner Program": (date(2023, 1, 2), date(2024, 11, 30), 3),
}

DEAL_ACTIVITIES = {
    "Discovery call": (0.5, 1.5),
    "Demo": (1.0, 2.5),
    "Proposal": (2.0, 6.0),
}


def deal_activities(stage: str) -> list[str]:
    """The activities an AE logged on a deal, in chronological order."""
    if stage == "Closed Won":
        # A won deal always had a proposal.
        return rng.choice(
            [
                ["Proposal"],
                ["Proposal"],
                ["Proposal"],
                ["Demo", "Proposal"],
                ["Discovery call", "Proposal"],
                ["Discovery call", "Demo", "Proposal"],
            ]
        )
    if stage == "Closed Lost":
        return rng.choice([[], [], [], [], ["Discovery call"], ["Demo"], ["Proposal"]])
    latest = {"Qualified": "Discovery call", "Proposal": "Demo", "Negotiation": "Proposal"}
    return rng.choice([[], [latest[stage]]])


def build_time_logs(deals: list[dict], customers: list[dict]) -> list[dict]:
    logs: list[dict] = []

    def add(day, person, activity, hours, deal="", customer="", campaign=""):
        logs.append(
            {
                "date": day,
                "person": person,
                "activity": activity,
                "hours": hours,
                "deal": deal,
                "customer": customer,
                "campaign": campaign,
            }
        )

    # Account executives on their own deals.
    for d in deals:
        activities = deal_activities(d["stage"])
        end = d["close"] or WINDOW_END
        days = sorted(rand_date(d["create"], end) for _ in activities)
        for day, activity in zip(days, activities, strict=True):
            lo, hi = DEAL_ACTIVITIES[activity]
            add(day, d["owner"], activity, rand_hours(lo, hi), deal=d["id"])

    # Marketing manager setting up campaigns.
    for campaign, (start, end, n) in CAMPAIGN_SETUP.items():
        for _ in range(n):
            add(
                rand_date(start, end),
                MARKETER,
                "Campaign setup",
                rand_hours(1, 6),
                campaign=campaign,
            )

    # Customer success: onboarding and account management after the first win.
    onboarding_p = {"SMB": 0.1, "Mid-Market": 0.4, "Enterprise": 0.9}
    for cu in customers:
        last = min(cu["churned"] or WINDOW_END, WINDOW_END)
        first = cu["first_won"] + timedelta(days=1)
        if first > last:
            continue
        if rng.random() < onboarding_p[cu["segment"]]:
            add(
                rand_date(first, min(first + timedelta(days=45), last)),
                CSM,
                "Onboarding",
                rand_hours(1, 4),
                customer=cu["name"],
            )
        n_am = {"SMB": 0, "Mid-Market": rng.choice([0, 0, 1]), "Enterprise": rng.randint(0, 2)}[
            cu["segment"]
        ]
        for _ in range(n_am):
            add(
                rand_date(first, last),
                CSM,
                "Account management",
                rand_hours(0.5, 3),
                customer=cu["name"],
            )

    # Internal meetings without any link.
    for _ in range(10):
        person = rng.choice([*REPS, MARKETER])
        add(rand_date(WINDOW_START, WINDOW_END), person, "Sales meeting", rand_hours(0.5, 1.5))

    logs.sort(
        key=lambda r: (
            r["date"],
            r["person"],
            r["activity"],
            r["deal"],
            r["customer"],
            r["campaign"],
        )
    )
    return logs


# --------------------------------------------------------------------------
# Leads
# --------------------------------------------------------------------------

# The leads draw from their own generator: adding them changed none of the files above.
lead_rng = random.Random(20230101)

LEAD_GAP_DAYS = (5, 60)  # a lead comes in 5-60 days before the deal it becomes
N_TWO_DEAL_LEADS = 8  # leads whose customer came back with a later deal from the same source
N_CONVERTED_WITHOUT_DEAL = 70  # converted into a contact of an account, no opportunity
# Leads that never became anything, per channel: most leads don't convert.
UNCONVERTED_LEADS = {
    "Paid Search": 640,
    "LinkedIn Ads": 470,
    "Events": 110,
    "Referral": 50,
    "Organic": 330,
}
# Badge scans: the summits bring a burst of leads on the event day and the day after.
SUMMIT_DAYS = {
    "Dutch SaaS Summit 2023": date(2023, 10, 12),
    "Dutch SaaS Summit 2024": date(2024, 10, 10),
}
SUMMIT_SCANS = 120
CONVERTED_WITHOUT_DEAL_CHANNEL_WEIGHTS = [15, 10, 20, 25, 30]


def lead_campaign(channel: str, day: date) -> str:
    """A campaign of the channel running on the day (none for Organic); summits are not picked:
    their leads are the badge scans."""
    active = [
        (name, weight)
        for name, (ch, start, end, weight) in CAMPAIGNS.items()
        if ch == channel and start <= day <= end and name not in SUMMIT_DAYS
    ]
    if not active:
        return ""
    return lead_rng.choices([n for n, _ in active], weights=[w for _, w in active])[0]


def lead_day_before(deal: dict) -> date:
    """5-60 days before the deal was created; no earlier than its campaign started (or the
    data set's first day) where that leaves 5 days. A summit's leads were scanned there."""
    create = deal["create"]
    lo, hi = LEAD_GAP_DAYS
    summit = SUMMIT_DAYS.get(deal["campaign"])
    if summit is not None and lo <= (create - summit).days <= hi:
        return summit + timedelta(days=lead_rng.choice([0, 0, 0, 1]))
    start = CAMPAIGNS[deal["campaign"]][1] if deal["campaign"] else WINDOW_START
    start = max(start, WINDOW_START)
    room = (create - start).days
    if room < lo:  # a deal in the data set's first days: its lead came in on the first day
        return start
    return create - timedelta(days=lead_rng.randint(lo, min(hi, room)))


def prospect_company() -> str:
    """A company that is not (yet) a customer: a name like the customers' ones."""
    country = lead_rng.choices(["NL", "BE", "DE", "GB"], weights=[50, 20, 20, 10])[0]
    name = lead_rng.choice(NAME_PREFIXES) + lead_rng.choice(NAME_ROOTS)
    return f"{name} {lead_rng.choice(COUNTRY_SUFFIX[country])}"


def unconverted_status(created: date) -> str:
    """What became of a lead that never converted: old ones were mostly disqualified, a few
    are still open (never followed up); recent ones are mostly still being worked."""
    if (WINDOW_END - created).days > 60:
        return lead_rng.choices(["Disqualified", "Open", "Working"], weights=[70, 18, 12])[0]
    return lead_rng.choices(["Open", "Working", "Disqualified"], weights=[55, 35, 10])[0]


def second_deals(deals: list[dict]) -> dict[str, str]:
    """A few renewals and upsells that came through the lead of the customer's earlier deal
    (same lead source and campaign): later deal id → earlier deal id."""
    candidates = []
    for d in deals:
        if d["kind"] == "new" or not d["channel"]:
            continue
        earlier = next(
            (
                e
                for e in deals
                if e["company"] == d["company"]
                and e["create"] < d["create"]
                and (e["channel"], e["campaign"]) == (d["channel"], d["campaign"])
            ),
            None,
        )
        if earlier is not None:
            candidates.append((d["id"], earlier["id"]))
    chosen: dict[str, str] = {}
    for later, earlier in lead_rng.sample(candidates, len(candidates)):
        if len(chosen) == N_TWO_DEAL_LEADS:
            break
        if (
            earlier not in chosen.values()
            and earlier not in chosen
            and later not in chosen.values()
        ):
            chosen[later] = earlier
    return chosen


def build_leads(companies: list[dict], deals: list[dict]) -> list[dict]:
    leads: list[dict] = []

    def add(created, status, channel, campaign, owner, company, converted=None, deal_ids=()):
        leads.append(
            {
                "created": created,
                "status": status,
                "channel": channel,
                "campaign": campaign,
                "owner": owner,
                "converted": converted,
                "deals": list(deal_ids),
                "company": company,
                "n": len(leads),  # keeps the order of leads created on the same day stable
            }
        )
        return leads[-1]

    # 1. Every deal came from a lead, converted the day the deal was created; a few later
    #    deals came through the lead of the customer's earlier deal.
    later = second_deals(deals)
    by_deal: dict[str, dict] = {}
    for d in deals:
        if d["id"] in later:
            lead = by_deal[later[d["id"]]]
            lead["deals"].append(d["id"])
            continue
        created = lead_day_before(d)
        channel, campaign = d["channel"], d["campaign"]
        if not channel:  # the deal lost its lead source; the lead kept it
            channel = lead_rng.choices(CHANNELS, weights=NEW_BUSINESS_CHANNEL_WEIGHTS)[0]
            campaign = lead_campaign(channel, created)
        owner = d["owner"] if lead_rng.random() < 0.8 else lead_rng.choices(REPS, REP_WEIGHTS)[0]
        by_deal[d["id"]] = add(
            created, "Converted", channel, campaign, owner, d["company"], d["create"], [d["id"]]
        )

    # 2. Converted into a contact without an opportunity: often someone at a customer.
    names = [c["name"] for c in companies]
    for _ in range(N_CONVERTED_WITHOUT_DEAL):
        created = rand_lead_day(WINDOW_START, date(2024, 11, 30))
        channel = lead_rng.choices(CHANNELS, weights=CONVERTED_WITHOUT_DEAL_CHANNEL_WEIGHTS)[0]
        converted = min(created + timedelta(days=lead_rng.randint(*LEAD_GAP_DAYS)), WINDOW_END)
        company = lead_rng.choice(names) if lead_rng.random() < 0.6 else prospect_company()
        add(
            created,
            "Converted",
            channel,
            lead_campaign(channel, created),
            lead_rng.choices(REPS, REP_WEIGHTS)[0],
            company,
            converted,
        )

    # 3. The rest never converted: disqualified, or still open.
    def unconverted(created: date, channel: str, campaign: str) -> None:
        company = lead_rng.choice(names) if lead_rng.random() < 0.15 else prospect_company()
        owner = lead_rng.choices(REPS, REP_WEIGHTS)[0]
        add(created, unconverted_status(created), channel, campaign, owner, company)

    for channel, n in UNCONVERTED_LEADS.items():
        for _ in range(n):
            created = rand_lead_day(WINDOW_START, WINDOW_END)
            unconverted(created, channel, lead_campaign(channel, created))
    for campaign, day in SUMMIT_DAYS.items():
        for _ in range(SUMMIT_SCANS):
            unconverted(day + timedelta(days=lead_rng.choice([0, 0, 0, 1])), "Events", campaign)

    leads.sort(key=lambda lead: (lead["created"], lead["n"]))
    for i, lead in enumerate(leads, start=1):
        lead["id"] = f"L-{i:04d}"
    return leads


def rand_lead_day(start: date, end: date) -> date:
    return start + timedelta(days=lead_rng.randint(0, (end - start).days))


# --------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------


def iso(d: date | None) -> str:
    return d.isoformat() if d else ""


def main() -> None:
    companies = build_companies()
    deals = build_deals(companies)
    customers = build_customers(companies, deals)
    costs = build_costs()
    logs = build_time_logs(deals, customers)
    leads = build_leads(companies, deals)

    write_csv(
        "deals.csv",
        [
            "Deal ID",
            "Deal Name",
            "Company",
            "Amount",
            "Currency",
            "Stage",
            "Create Date",
            "Close Date",
            "Deal Owner",
            "Lead Source",
            "Campaign",
            "Product",
        ],
        [
            [
                d["id"],
                d["name"],
                d["company"],
                "" if d["amount"] is None else fmt_cents(d["amount"]),
                "EUR",
                d["stage"],
                iso(d["create"]),
                iso(d["close"]),
                d["owner"],
                d["channel"],
                d["campaign"],
                d["product"],
            ]
            for d in deals
        ],
    )
    write_csv(
        "customers.csv",
        [
            "Customer ID",
            "Company Name",
            "Segment",
            "Country",
            "Industry",
            "Acquired Date",
            "Churned Date",
        ],
        [
            [
                cu["name"],
                cu["name"],
                cu["segment"],
                cu["country"],
                cu["industry"],
                "",
                iso(cu["churned"]),
            ]
            for cu in customers
        ],
    )
    write_csv(
        "costs.csv",
        [
            "Date",
            "Start Date",
            "End Date",
            "Amount",
            "Currency",
            "Channel",
            "Campaign",
            "Category",
            "Type",
            "Description",
        ],
        [
            [
                iso(c["date"]),
                iso(c["start"]),
                iso(c["end"]),
                fmt_cents(c["amount"]),
                "EUR",
                c["channel"],
                c["campaign"],
                c["category"],
                c["type"],
                c["description"],
            ]
            for c in costs
        ],
    )
    write_csv(
        "time_logs.csv",
        [
            "Date",
            "Person",
            "Role",
            "Activity",
            "Hours",
            "Hourly Rate",
            "Deal ID",
            "Customer ID",
            "Campaign",
        ],
        [
            [
                iso(r["date"]),
                r["person"],
                ROLES[r["person"]][0],
                r["activity"],
                r["hours"],
                ROLES[r["person"]][1],
                r["deal"],
                r["customer"],
                r["campaign"],
            ]
            for r in logs
        ],
    )
    write_csv(
        "leads.csv",
        [
            "Lead ID",
            "Created Date",
            "Lead Status",
            "Lead Source",
            "Campaign",
            "Lead Owner",
            "Converted Date",
            "Deal ID",
            "Company",
        ],
        [
            [
                lead["id"],
                iso(lead["created"]),
                lead["status"],
                lead["channel"],
                lead["campaign"],
                lead["owner"],
                iso(lead["converted"]),
                ";".join(lead["deals"]),
                lead["company"],
            ]
            for lead in leads
        ],
    )

    won = [d for d in deals if d["stage"] == "Closed Won"]
    print(
        f"deals.csv:      {len(deals)} rows "
        f"({len(won)} won, {sum(d['stage'] == 'Closed Lost' for d in deals)} lost, "
        f"{sum(d['close'] is None for d in deals)} open)"
    )
    print(
        f"customers.csv:  {len(customers)} rows "
        f"({sum(cu['churned'] is not None for cu in customers)} churned)"
    )
    print(f"costs.csv:      {len(costs)} rows")
    print(f"time_logs.csv:  {len(logs)} rows")
    converted = sum(lead["status"] == "Converted" for lead in leads)
    print(
        f"leads.csv:      {len(leads)} rows ({converted} converted, "
        f"{sum(bool(lead['deals']) for lead in leads)} with a deal, "
        f"{sum(lead['status'] == 'Disqualified' for lead in leads)} disqualified)"
    )
    for year in (2023, 2024):
        total = sum(d["amount"] for d in won if d["close"].year == year)
        print(f"won amount {year}: EUR {fmt_cents(total)}")
    orders = build_orders()
    write_csv(
        "orders.csv",
        ["Order ID", "Customer", "Order Date", "Amount", "Currency", "Segment"],
        [[o["id"], o["customer"], iso(o["day"]), fmt_cents(o["cents"]), "EUR", o["segment"]]
         for o in orders],
    )
    print(f"orders.csv:     {len(orders)} rows ({len({o['customer'] for o in orders})} customers)")


# --------------------------------------------------------------------------
# orders.csv: the webshop of the same company's consumables, repeat buying without contracts
# (crm-roi customers). Simulated as the BG/NBD model describes it, with its own generator so
# that the other files never change: each customer buys at its own rate (weeks between orders
# drawn from its rate) and may stop for good after any order.
# --------------------------------------------------------------------------

order_rng = random.Random(19970101)
ORDER_SEGMENTS = [("Retail", 0.5), ("Workshop", 0.35), ("Reseller", 0.15)]


def build_orders() -> list[dict]:
    orders: list[dict] = []
    for n in range(1, 601):
        segment = order_rng.choices(
            [s for s, _ in ORDER_SEGMENTS], weights=[w for _, w in ORDER_SEGMENTS]
        )[0]
        rate = order_rng.gammavariate(0.9, 1 / 8.0)  # orders a week while it buys
        if segment == "Reseller":
            rate *= 2.5
        stop = order_rng.betavariate(0.8, 3.0)  # the chance it stops after an order
        spend = order_rng.gammavariate(6.0, 1.0) * (15.0 if segment != "Reseller" else 40.0)
        day = WINDOW_START + timedelta(days=order_rng.randint(0, 364))  # first order in 2023
        name = f"Webshop customer {n:04d}"
        while day <= WINDOW_END:
            cents = round(order_rng.gammavariate(6.0, spend / 6.0) * 100)
            orders.append({"customer": name, "day": day, "cents": max(cents, 500),
                           "segment": segment})
            if order_rng.random() < stop:
                break
            day += timedelta(days=max(1, round(order_rng.expovariate(rate) * 7)))
    orders.sort(key=lambda o: (o["day"], o["customer"]))
    for i, order in enumerate(orders, start=1):
        order["id"] = f"WS-{i:05d}"
    return orders


if __name__ == "__main__":
    main()

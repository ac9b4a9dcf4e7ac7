"""Customer lifetime value by model (contract v2 §7): the BG/NBD and Gamma-Gamma models of
``crm_roi.engine.buying``, fitted from the CDNOW sample's transactions to the published figures
(Fader, Hardie & Lee 2005), with the rules of the summary and the numbers worked by hand."""

from __future__ import annotations

import csv
import doctest
import gzip
import math
import re
import time
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from crm_roi.engine import buying
from crm_roi.engine.buying import (
    BGNBD,
    GammaGamma,
    ModelError,
    expected_population,
    expected_purchases,
    expected_value,
    fit_bgnbd,
    fit_gamma_gamma,
    p_alive,
    purchases_between,
    summary,
    weeks_in_months,
)
from crm_roi.errors import CrmRoiError

CDNOW = Path(__file__).parent / "fixtures" / "cdnow" / "cdnow_sample.csv.gz"
EPOCH = date(1997, 1, 1)
CALIBRATION_END = (date(1997, 9, 30) - EPOCH).days  # 272: the 39-week calibration period
HOLDOUT_END = (date(1998, 6, 30) - EPOCH).days

# The published figures: Fader, Hardie & Lee (2005), "Counting your customers the easy way"
# (BG/NBD, log-likelihood −9582.4) and "RFM and CLV: using iso-value curves" / the note "The
# Gamma-Gamma model of monetary value" (spend, in dollars).
PUBLISHED = BGNBD(r=0.243, alpha=4.414, a=0.793, b=2.426, log_likelihood=-9582.4)
PUBLISHED_SPEND = GammaGamma(p=6.25, q=3.74, v=15.44, log_likelihood=float("nan"))


@dataclass(frozen=True)
class Transactions:
    customer: np.ndarray
    day: np.ndarray
    cents: np.ndarray


def read_cdnow() -> Transactions:
    with gzip.open(CDNOW, "rt", encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    return Transactions(
        customer=np.array([int(r["customer_id"]) for r in rows], dtype=np.int64),
        day=np.array([(date.fromisoformat(r["date"]) - EPOCH).days for r in rows]),
        cents=np.array([int(Decimal(r["amount"]) * 100) for r in rows], dtype=np.int64),
    )


@pytest.fixture(scope="module")
def cdnow() -> Transactions:
    return read_cdnow()


@pytest.fixture(scope="module")
def calibration(cdnow: Transactions) -> buying.Summary:
    return summary(cdnow.customer, cdnow.day, cdnow.cents, CALIBRATION_END)


@pytest.fixture(scope="module")
def bgnbd(calibration: buying.Summary) -> BGNBD:
    return fit_bgnbd(calibration.x, calibration.t_x, calibration.T)


def close(value: float, published: float, digits: int = 3) -> bool:
    """Equal to the published figure to ``digits`` significant figures (half a unit in the
    last one)."""
    unit = 10 ** (math.floor(math.log10(abs(published))) - digits + 1)
    return abs(value - published) <= unit / 2


# --- the fixture -------------------------------------------------------------------------


def test_the_fixture_is_the_whole_cdnow_sample(cdnow: Transactions) -> None:
    assert len(cdnow.day) == 6919
    assert len(np.unique(cdnow.customer)) == 2357
    assert (cdnow.day.min(), cdnow.day.max()) == (0, HOLDOUT_END)  # 1997-01-01 … 1998-06-30


# --- the summary -------------------------------------------------------------------------


def test_the_calibration_summary_is_the_published_one(calibration: buying.Summary) -> None:
    """2,357 customers (all first bought in 1997's first quarter), 946 of them bought again,
    2,457 repeat purchases in the 39 weeks."""
    assert len(calibration) == 2357
    assert int((calibration.x > 0).sum()) == 946
    assert int(calibration.x.sum()) == 2457
    # Customer 1: bought on 1997-01-01, 01-18 and 08-02 (and 12-12, after the end).
    one = int(np.searchsorted(calibration.customer, 1))
    assert calibration.x[one] == 2
    assert calibration.t_x[one] == pytest.approx(213 / 7)  # 30.43 weeks
    assert calibration.T[one] == pytest.approx(272 / 7)  # 38.86 weeks
    assert calibration.monetary[one] == (2973 + 1496) / 2  # the first purchase left out
    assert calibration.revenue[one] == 2933 + 2973 + 1496  # up to the calibration end
    assert calibration.purchases[one] == 3


def test_a_first_purchase_on_the_first_day_is_38_857_weeks_before_the_end() -> None:
    s = summary([1], [0], [100], CALIBRATION_END)
    assert s.T[0] == pytest.approx(38.857, abs=5e-4)


def test_purchases_on_the_same_day_are_one_with_their_amounts_added() -> None:
    s = summary([5, 5, 5, 5], [3, 10, 10, 10], [100, 200, 300, 400], 20)
    assert (s.purchases[0], s.x[0]) == (2, 1)
    assert s.monetary[0] == 900
    assert s.revenue[0] == 1000


def test_a_day_number_with_a_fraction_counts_as_the_day_it_falls_in() -> None:
    s = summary([5, 5, 5], [3.0, 10.2, 10.9], [100, 200, 300], 20)
    assert s.x[0] == 1
    assert s.t_x[0] == 1.0  # (10 − 3) / 7
    assert s.last_day[0] == 10.0


def test_a_won_deal_of_zero_is_a_purchase() -> None:
    s = summary([5, 5, 5], [0, 7, 14], [0, 0, 600], 20)
    assert s.x[0] == 2
    assert s.monetary[0] == 300


def test_purchases_after_the_calibration_end_are_left_out() -> None:
    s = summary([1, 1, 1, 2], [0, 14, 30, 29], [100, 200, 400, 800], 28)
    assert s.customer.tolist() == [1]  # customer 2's first purchase is after the end
    assert (s.x[0], s.revenue[0], s.T[0]) == (1, 300, 4.0)


def test_a_customer_who_bought_once_has_no_mean_repeat_value() -> None:
    s = summary([1], [5], [100], 28)
    assert (s.x[0], s.t_x[0]) == (0, 0.0)
    assert math.isnan(s.monetary[0])


def test_the_order_of_the_transactions_does_not_matter(cdnow: Transactions) -> None:
    shuffle = np.random.default_rng(1).permutation(len(cdnow.day))
    a = summary(cdnow.customer, cdnow.day, cdnow.cents, CALIBRATION_END)
    b = summary(cdnow.customer[shuffle], cdnow.day[shuffle], cdnow.cents[shuffle], CALIBRATION_END)
    for name in ("customer", "x", "t_x", "T", "purchases", "revenue"):
        assert np.array_equal(getattr(a, name), getattr(b, name)), name
    assert np.array_equal(a.monetary, b.monetary, equal_nan=True)


def test_no_transactions_make_an_empty_summary() -> None:
    s = summary(np.array([], dtype=np.int64), np.array([]), np.array([], dtype=np.int64), 10)
    assert len(s) == 0


def test_the_summary_cannot_be_changed() -> None:
    s = summary([1, 1], [0, 5], [100, 200], 10)
    with pytest.raises(ValueError, match="read-only"):
        s.x[0] = 7


def test_money_must_come_in_whole_cents() -> None:
    with pytest.raises(ModelError, match="integer cents"):
        summary([1], [0], [1.5], 10)


def test_holdout_purchases_are_counted_as_the_summary_counts_them(cdnow: Transactions) -> None:
    """(calibration end, holdout end], one purchase per customer and day: a plain count."""
    s = summary(cdnow.customer, cdnow.day, cdnow.cents, CALIBRATION_END)
    counted = purchases_between(cdnow.customer, cdnow.day, CALIBRATION_END, HOLDOUT_END, s.customer)
    by_hand: dict[int, set[int]] = {}
    for who, day in zip(cdnow.customer.tolist(), cdnow.day.tolist(), strict=True):
        if CALIBRATION_END < day <= HOLDOUT_END:
            by_hand.setdefault(who, set()).add(day)
    assert counted.tolist() == [len(by_hand.get(c, ())) for c in s.customer.tolist()]


# --- the fits: the published CDNOW figures ----------------------------------------------


def test_the_bgnbd_fit_gives_the_published_parameters(bgnbd: BGNBD) -> None:
    print(f"\nBG/NBD: {bgnbd}")
    assert close(bgnbd.r, PUBLISHED.r)
    assert close(bgnbd.alpha, PUBLISHED.alpha, 4)
    assert close(bgnbd.a, PUBLISHED.a)
    assert close(bgnbd.b, PUBLISHED.b, 4)
    assert close(bgnbd.log_likelihood, PUBLISHED.log_likelihood, 5)


def test_the_gamma_gamma_fit_gives_the_published_parameters(
    calibration: buying.Summary,
) -> None:
    """The published fit is on the 946 repeat buyers of the calibration period, m̄ the mean of
    their repeat purchases — the first purchase left out, and purchases on the same day added
    into one first. Both matter at three figures: with the first purchase in the mean the fit
    gives p = 14.3, q = 3.95, v = 7.29; with same-day purchases counted apart, p = 6.20,
    q = 3.82, v = 15.59. Money in cents, so v comes in cents: the published v is in dollars."""
    g = fit_gamma_gamma(calibration.x, calibration.monetary)
    print(f"\nGamma-Gamma: {g}")
    assert close(g.p, PUBLISHED_SPEND.p)
    assert close(g.q, PUBLISHED_SPEND.q)
    assert close(g.v / 100, PUBLISHED_SPEND.v, 4)


def test_a_mean_that_takes_the_first_purchase_in_misses_the_published_fit(
    calibration: buying.Summary,
) -> None:
    g = fit_gamma_gamma(calibration.x, calibration.revenue / calibration.purchases)
    assert not close(g.p, PUBLISHED_SPEND.p)


def test_every_cdnow_customer_gets_finite_predictions(
    bgnbd: BGNBD, calibration: buying.Summary
) -> None:
    s = calibration
    g = fit_gamma_gamma(s.x, s.monetary)
    alive = p_alive(bgnbd, s.x, s.t_x, s.T)
    purchases = expected_purchases(bgnbd, weeks_in_months(12), s.x, s.t_x, s.T)
    value = expected_value(g, s.x, s.monetary)
    for figure in (alive, purchases, value):
        assert np.isfinite(figure).all()
    assert ((alive > 0) & (alive <= 1)).all()
    assert (purchases >= 0).all()
    assert (value > 0).all()


# --- the numbers worked by hand ------------------------------------------------------------


def hyp2f1_series(a: float, b: float, c: float, z: float) -> float:
    """Gauss's hypergeometric series, term by term in plain floats (|z| well below 1)."""
    term = total = 1.0
    k = 0
    while abs(term) > 1e-17 * abs(total):
        term *= (a + k) * (b + k) / ((c + k) * (k + 1)) * z
        total += term
        k += 1
    return total


def test_the_hand_checked_customer_expects_1_226_purchases_in_39_weeks() -> None:
    """x = 2, t_x = 30.43, T = 38.86 with the published parameters: E[Y(39)] = 1.226
    (FHL 2005 eq. 10), here as P(alive) × the purchases of one alive, each by hand."""
    r, alpha, a, b = PUBLISHED.r, PUBLISHED.alpha, PUBLISHED.a, PUBLISHED.b
    x, t_x, T, t = 2, 30.43, 38.86, 39.0

    alive = 1 / (1 + a / (b + x - 1) * ((alpha + T) / (alpha + t_x)) ** (r + x))
    z = t / (alpha + T + t)
    series = hyp2f1_series(r + x, b + x, a + b + x - 1, z)
    if_alive = (a + b + x - 1) / (a - 1) * (1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * series)
    assert alive == pytest.approx(0.7266, abs=5e-5)
    assert alive * if_alive == pytest.approx(1.226, abs=5e-4)

    assert float(p_alive(PUBLISHED, x, t_x, T)) == pytest.approx(alive, rel=1e-12)
    assert float(expected_purchases(PUBLISHED, t, x, t_x, T)) == pytest.approx(
        alive * if_alive, rel=1e-10
    )


def test_a_customer_who_never_bought_again_is_alive() -> None:
    assert p_alive(PUBLISHED, [0, 0], [0.0, 0.0], [1.0, 38.86]).tolist() == [1.0, 1.0]


def test_the_expected_purchases_of_a_new_customer_are_eq_9() -> None:
    """E[X(t)] = (a+b−1)/(a−1) · [1 − (α/(α+t))^r · ₂F₁(r, b; a+b−1; t/(α+t))]."""
    r, alpha, a, b = PUBLISHED.r, PUBLISHED.alpha, PUBLISHED.a, PUBLISHED.b
    for t in (1.0, 39.0, 78.0):
        by_hand = (
            (a + b - 1)
            / (a - 1)
            * (1 - (alpha / (alpha + t)) ** r * hyp2f1_series(r, b, a + b - 1, t / (alpha + t)))
        )
        assert expected_population(PUBLISHED, t) == pytest.approx(by_hand, rel=1e-10)
    assert expected_population(PUBLISHED, 0.0) == 0.0


def test_a_customer_seen_for_no_time_expects_what_a_new_customer_does() -> None:
    weeks = np.array([1.0, 39.0, 78.0])
    assert expected_purchases(PUBLISHED, weeks, 0, 0.0, 0.0) == pytest.approx(
        expected_population(PUBLISHED, weeks), rel=1e-12
    )


def test_frequent_buyers_are_predicted_as_precisely_as_occasional_ones() -> None:
    """For x in the hundreds the first form of eq. 10 overflows; the module's transformed
    form must still agree with a 40-digit evaluation of the first one."""
    import mpmath

    mpmath.mp.dps = 40
    r, alpha, a, b = PUBLISHED.r, PUBLISHED.alpha, PUBLISHED.a, PUBLISHED.b
    for x, t_x, T, t in [
        (2, 30.43, 38.86, 39.0),
        (150, 77.0, 78.0, 52.0),
        (800, 400.0, 400.0, 520.0),
    ]:
        z = mpmath.mpf(t) / (alpha + T + t)
        ratio = mpmath.mpf(alpha + T) / (alpha + T + t)
        if_alive = (
            (a + b + x - 1)
            / (a - 1)
            * (1 - ratio ** (r + x) * mpmath.hyp2f1(r + x, b + x, a + b + x - 1, z))
        )
        alive = 1 / (1 + a / (b + x - 1) * (mpmath.mpf(alpha + T) / (alpha + t_x)) ** (r + x))
        assert float(expected_purchases(PUBLISHED, t, x, t_x, T)) == pytest.approx(
            float(alive * if_alive), rel=1e-9
        )


def test_a_new_customer_of_a_rarely_leaving_base_is_predicted_where_scipy_gives_up() -> None:
    """b in the hundreds and z near 1 (a tiny alpha, a customer of a day): scipy's ₂F₁ is NaN
    in both forms, so the expectation is integrated; mpmath gives the reference."""
    import mpmath

    mpmath.mp.dps = 40
    m = BGNBD(r=0.5459, alpha=0.6673, a=0.2843, b=271.1539, log_likelihood=0.0)
    t = 339.69
    z = mpmath.mpf(t) / (m.alpha + t)
    reference = (
        (m.a + m.b - 1)
        / (m.a - 1)
        * (1 - (1 - z) ** m.r * mpmath.hyp2f1(m.r, m.b, m.a + m.b - 1, z))
    )
    assert expected_population(m, t) == pytest.approx(float(reference), rel=1e-9)


def test_the_expected_value_is_the_weighted_mean_of_own_and_population_spend() -> None:
    """p(v + x·m̄)/(px + q − 1) for a repeat buyer; p·v/(q − 1) for one who bought once."""
    p, q, v = PUBLISHED_SPEND.p, PUBLISHED_SPEND.q, PUBLISHED_SPEND.v
    got = expected_value(PUBLISHED_SPEND, [0, 2, 10], [float("nan"), 22.35, 50.0])
    assert got.tolist() == pytest.approx(
        [
            p * v / (q - 1),
            p * (v + 2 * 22.35) / (2 * p + q - 1),
            p * (v + 10 * 50) / (10 * p + q - 1),
        ]
    )


def test_a_horizon_of_twelve_months_is_52_18_weeks() -> None:
    assert weeks_in_months(12) == pytest.approx(365.25 / 7)


# --- properties -----------------------------------------------------------------------------

models = st.builds(
    BGNBD,
    r=st.floats(0.01, 20),
    alpha=st.floats(0.05, 1000),
    a=st.floats(0.01, 100),
    b=st.floats(0.01, 1000),
    log_likelihood=st.just(0.0),
)


@given(
    m=models,
    x=st.integers(1, 2000),
    T=st.floats(0.0, 1000),
    earlier=st.floats(0.0, 1.0),
    later=st.floats(0.0, 1.0),
)
def test_a_more_recent_last_purchase_never_lowers_p_alive(
    m: BGNBD, x: int, T: float, earlier: float, later: float
) -> None:
    earlier, later = sorted((earlier, later))
    before, after = p_alive(m, [x, x], [earlier * T, later * T], [T, T])
    assert after >= before


@given(
    m=models,
    customers=st.lists(
        st.tuples(st.integers(0, 3000), st.floats(0.0, 1.0), st.floats(0.0, 1000)),
        min_size=1,
        max_size=20,
    ),
    t=st.floats(0.0, 520),
)
def test_every_customer_gets_finite_predictions(
    m: BGNBD, customers: list[tuple[int, float, float]], t: float
) -> None:
    x = np.array([c[0] for c in customers])
    T = np.array([c[2] for c in customers])
    t_x = np.where(x > 0, np.array([c[1] for c in customers]) * T, 0.0)
    alive = p_alive(m, x, t_x, T)
    purchases = expected_purchases(m, t, x, t_x, T)
    assert np.isfinite(alive).all() and ((alive >= 0) & (alive <= 1)).all()
    assert np.isfinite(purchases).all() and (purchases >= 0).all()
    population = expected_population(m, t)
    assert isinstance(population, float) and math.isfinite(population) and population >= 0


@given(m=models, x=st.integers(0, 500), T=st.floats(0.0, 500), t=st.floats(0.0, 260))
def test_a_longer_horizon_never_expects_fewer_purchases(
    m: BGNBD, x: int, T: float, t: float
) -> None:
    t_x = T / 2 if x else 0.0
    shorter, longer = expected_purchases(m, [t, t + 1.0], x, t_x, T)
    assert longer >= shorter * (1 - 1e-9)


# --- what the models can't do ---------------------------------------------------------------


def test_a_model_error_is_a_crm_roi_error_with_one_line() -> None:
    with pytest.raises(CrmRoiError) as caught:
        fit_bgnbd([1] * 9, [1.0] * 9, [2.0] * 9)
    assert isinstance(caught.value, ModelError)
    assert "\n" not in str(caught.value)


def test_the_bgnbd_model_needs_ten_customers() -> None:
    with pytest.raises(ModelError, match="at least 10 customers; there are 9"):
        fit_bgnbd([1] * 9, [1.0] * 9, [2.0] * 9)


def test_the_bgnbd_model_needs_a_repeat_buyer() -> None:
    with pytest.raises(ModelError, match="no customer bought twice"):
        fit_bgnbd([0] * 50, [0.0] * 50, [30.0] * 50)


def test_customers_who_all_look_alike_have_no_best_fit() -> None:
    """Fifty customers with the same history: no spread to estimate a spread from."""
    message = (
        "the BG/NBD model can't be fitted: every customer seems to buy at the same pace "
        "(r has no finite best value); it needs more customers, and more of them buying again"
    )
    with pytest.raises(ModelError, match=re.escape(message)):
        fit_bgnbd([5] * 50, [30.0] * 50, [30.0] * 50)


def test_a_base_where_nobody_leaves_says_so() -> None:
    """Every customer buying steadily to the end: the dropout has no finite estimate."""
    x = np.arange(1, 61)
    message = (
        "the BG/NBD model can't be fitted: hardly any customer seems to stop buying "
        "(a has no finite best value); it needs more customers, and more of them buying again"
    )
    with pytest.raises(ModelError, match=re.escape(message)):
        fit_bgnbd(x, np.full(60, 30.0), np.full(60, 30.0))


def test_a_big_base_that_cannot_be_fitted_is_not_told_to_grow() -> None:
    x = np.tile(np.arange(1, 61), 20)
    with pytest.raises(ModelError) as caught:
        fit_bgnbd(x, np.full(1200, 30.0), np.full(1200, 30.0))
    assert str(caught.value).endswith("(a has no finite best value)")


def test_repeat_buyers_who_all_spend_alike_have_no_best_spend_fit() -> None:
    with pytest.raises(ModelError, match="the Gamma-Gamma model can't be fitted: "):
        fit_gamma_gamma([1, 2] * 10, [10.0, 12.0] * 10)


def test_a_history_must_end_within_the_period() -> None:
    with pytest.raises(ModelError, match="t_x must be between 0 and T"):
        p_alive(PUBLISHED, [1], [40.0], [30.0])
    with pytest.raises(ModelError, match="whole number"):
        p_alive(PUBLISHED, [1.5], [1.0], [30.0])


def test_the_gamma_gamma_model_needs_ten_repeat_buyers() -> None:
    message = (
        "the Gamma-Gamma model needs at least 10 repeat buyers with a positive mean spend; "
        "there are 9"
    )
    with pytest.raises(ModelError, match=re.escape(message)):
        fit_gamma_gamma([0] * 20 + [1] * 9, [float("nan")] * 20 + [10.0] * 9)


def test_a_negative_mean_spend_is_refused() -> None:
    with pytest.raises(ModelError, match="negative"):
        fit_gamma_gamma([1] * 20, [-5.0] + [10.0] * 19)


def test_repeat_buyers_whose_purchases_were_all_worth_zero_are_left_out_of_the_spend_fit(
    calibration: buying.Summary,
) -> None:
    s = calibration
    with_zeros = fit_gamma_gamma(np.append(s.x, [1, 3]), np.append(s.monetary, [0.0, 0.0]))
    assert with_zeros == fit_gamma_gamma(s.x, s.monetary)
    value = expected_value(with_zeros, [1], [0.0])[0]
    assert value == pytest.approx(with_zeros.p * with_zeros.v / (with_zeros.p + with_zeros.q - 1))


def test_spend_with_no_mean_has_no_expected_value() -> None:
    message = (
        "the Gamma-Gamma fit has q = 0.9 ≤ 1: spend is too heavy-tailed to have an expected value"
    )
    with pytest.raises(ModelError, match=re.escape(message)):
        expected_value(GammaGamma(p=2.0, q=0.9, v=10.0, log_likelihood=0.0), [1], [10.0])


def test_a_repeat_buyer_needs_a_mean_spend() -> None:
    with pytest.raises(ModelError, match="mean spend"):
        expected_value(PUBLISHED_SPEND, [2], [float("nan")])


# --- speed and a simulated base -------------------------------------------------------------

SIMULATED = BGNBD(r=0.5, alpha=6.0, a=0.7, b=2.8, log_likelihood=0.0)
SIMULATED_SPEND = GammaGamma(p=6.0, q=4.0, v=1500.0, log_likelihood=0.0)


def simulate(n: int, seed: int, days: int = 364) -> Transactions:
    """n customers buying as the two models say, for a year: each first buys on a random day
    of the first nine months, then at rate λ ~ Gamma(r, α) per week, stopping after each
    repeat purchase with probability p ~ Beta(a, b); purchases worth Gamma(p, ν) cents,
    ν ~ Gamma(q, v). One vectorised step per purchase, not per customer."""
    m, g = SIMULATED, SIMULATED_SPEND
    rng = np.random.default_rng(seed)
    per_day = np.maximum(rng.gamma(m.r, 1 / m.alpha, n), 1e-12) / 7
    drop = rng.beta(m.a, m.b, n)
    nu = rng.gamma(g.q, 1 / g.v, n)
    ids = np.arange(n)
    clock = rng.integers(0, days * 3 // 4, n).astype(float)
    customers, days_, cents = [ids], [clock.copy()], [rng.gamma(g.p, 1 / nu)]
    alive = np.ones(n, dtype=bool)
    while alive.any():
        clock = clock + rng.exponential(1.0, n) / per_day
        buys = alive & (clock <= days)
        customers.append(ids[buys])
        days_.append(np.floor(clock[buys]))
        cents.append(rng.gamma(g.p, 1 / nu[buys]))
        alive = buys & (rng.random(n) >= drop)
    return Transactions(
        customer=np.concatenate(customers),
        day=np.concatenate(days_),
        cents=np.rint(np.concatenate(cents)).astype(np.int64),
    )


@pytest.fixture(scope="module")
def simulated() -> Transactions:
    return simulate(100_000, seed=20050101)


def test_100k_customers_are_summarised_fitted_and_scored_in_well_under_3_seconds(
    simulated: Transactions,
) -> None:
    tx = simulated
    start = time.perf_counter()
    s = summary(tx.customer, tx.day, tx.cents, 364)
    m = fit_bgnbd(s.x, s.t_x, s.T)
    g = fit_gamma_gamma(s.x, s.monetary)
    alive = p_alive(m, s.x, s.t_x, s.T)
    purchases = expected_purchases(m, weeks_in_months(12), s.x, s.t_x, s.T)
    value = expected_value(g, s.x, s.monetary)
    elapsed = time.perf_counter() - start
    print(f"\n{len(tx.day):,} purchases of {len(s):,} customers: {elapsed:.3f} s")
    assert len(s) == 100_000
    assert np.isfinite(alive).all() and np.isfinite(purchases).all() and np.isfinite(value).all()
    assert elapsed < 3.0


def test_the_fits_find_the_parameters_the_customers_were_simulated_with(
    simulated: Transactions,
) -> None:
    """Within 10%: the simulation's whole days merge a few purchases, and 100,000 customers
    still leave some sampling error."""
    s = summary(simulated.customer, simulated.day, simulated.cents, 364)
    m = fit_bgnbd(s.x, s.t_x, s.T)
    g = fit_gamma_gamma(s.x, s.monetary)
    for name in ("r", "alpha", "a", "b"):
        assert getattr(m, name) == pytest.approx(getattr(SIMULATED, name), rel=0.1), name
    for name in ("p", "q", "v"):
        assert getattr(g, name) == pytest.approx(getattr(SIMULATED_SPEND, name), rel=0.1), name


# --- the docstrings ---------------------------------------------------------------------------


def test_the_docstring_examples_are_true() -> None:
    result = doctest.testmod(buying, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0

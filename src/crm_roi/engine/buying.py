"""Customer lifetime value by model (contract v2 §7): who is still buying, how often, how much.

Two models of Fader, Hardie & Lee (2005), fitted by maximum likelihood:

- **BG/NBD** ("Counting your customers the easy way"): while alive, a customer buys at a rate
  λ ~ Gamma(r, α); after each repeat purchase they drop out with probability p ~ Beta(a, b).
  From a customer's history — x repeat purchases, the last t_x weeks after the first, T weeks
  observed — it gives P(alive) and the expected purchases in the next t weeks.
- **Gamma-Gamma** ("RFM and CLV: using iso-value curves"; the note "The Gamma-Gamma model of
  monetary value"): a customer's purchases are worth ν on average, ν ~ Gamma(q, v); each
  purchase ~ Gamma(p, ν). From the mean value m̄ of a customer's x repeat purchases it gives
  their expected value per purchase.

Time is in **weeks** (day numbers / 7); money is whatever unit ``cents``/``monetary`` come in
(integer cents from :func:`summary`, so the Gamma-Gamma scale ``v`` and every expected value
are in cents too). Pure numpy and scipy: no printing, no files, no command-line wording.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeAlias

import numpy as np
import numpy.typing as npt
from scipy.integrate import quad
from scipy.optimize import minimize
from scipy.special import betainc, betaln, digamma, expit, gammaln, hyp2f1

from crm_roi.errors import CrmRoiError

FloatArray: TypeAlias = npt.NDArray[np.float64]
IntArray: TypeAlias = npt.NDArray[np.int64]

DAYS_PER_WEEK = 7.0
MIN_CUSTOMERS = 10  # below this a fit says more about the starting point than about the data
MIN_REPEAT_BUYERS = 10
# Fits run in log-parameters, on data scaled so that the parameters are about 1 (times by a
# tenth of the longest T, spends by their mean), searched within e^±LOG_BOUND. A parameter
# beyond e^±MAX_LOG_PARAM there has no finite best value — the likelihood keeps rising as it
# runs off (a and b together when every customer seems equally likely to stop, r and alpha
# when all buy at one rate) — and its figures would mean nothing. Real fits stay within e^±4.
LOG_BOUND = float(np.log(1e8))
MAX_LOG_PARAM = float(np.log(1e4))
# a = 1 and (for x = 0) a + b = 1 are removable singularities of the expectation formula:
# within NEAR_ONE of a = 1 it is interpolated between a = 1 ± NEAR_ONE; within SINGULAR of
# a + b = 1 it is evaluated just beside.
NEAR_ONE = 1e-4
SINGULAR = 1e-6
# A log-parameter with a standard error over this (a factor e^10 ≈ 22,000 either way) is not
# estimated at all: the likelihood is flat along it. Real fits on a few dozen customers have
# standard errors of 0.3 to 4.
MAX_LOG_SE = 10.0
# Below this many customers (BG/NBD) or repeat buyers (Gamma-Gamma) the error of a fit that
# fails adds what more data would bring; above it, more of the same is unlikely to help.
FEW_FOR_A_FIT = 1000


class ModelError(CrmRoiError):
    """The data can't support a model (too few customers, nobody bought twice, no finite
    maximum), or a model was asked for something it can't give. ``str()`` is one line."""


@dataclass(frozen=True, eq=False)
class Summary:
    """One row per customer whose first purchase is on or before the calibration end.

    Every array is read-only and lines up with ``customer`` (the customer code each row
    belongs to, ascending). Purchases are counted up to the calibration end only:

    - ``purchases``: distinct purchase days; ``x = purchases − 1`` (repeat purchases);
    - ``t_x``: weeks from the first to the last purchase; ``T``: weeks from the first purchase
      to the calibration end;
    - ``monetary``: mean value of the repeat purchases in cents, the first left out (NaN where
      x = 0: the Gamma-Gamma model doesn't use them, and callers report no mean);
    - ``revenue``: every purchase's value in cents, the first included;
    - ``first_day``, ``last_day``: the day numbers of the first and last purchase.
    """

    customer: IntArray
    x: IntArray
    t_x: FloatArray
    T: FloatArray
    monetary: FloatArray
    purchases: IntArray
    revenue: IntArray
    first_day: FloatArray
    last_day: FloatArray
    calibration_end: float

    def __len__(self) -> int:
        return len(self.customer)


@dataclass(frozen=True)
class BGNBD:
    """A fitted BG/NBD model: purchase rate λ ~ Gamma(r, alpha) (alpha in weeks), dropout
    probability p ~ Beta(a, b); ``log_likelihood`` of the data it was fitted on."""

    r: float
    alpha: float
    a: float
    b: float
    log_likelihood: float


@dataclass(frozen=True)
class GammaGamma:
    """A fitted Gamma-Gamma spend model: purchase value ~ Gamma(p, ν), ν ~ Gamma(q, v)
    (v in the money unit of the fit); ``log_likelihood`` of the repeat buyers it was fitted on."""

    p: float
    q: float
    v: float
    log_likelihood: float


def summary(
    customer: npt.ArrayLike, day: npt.ArrayLike, cents: npt.ArrayLike, calibration_end: float
) -> Summary:
    """Each customer's buying history up to ``calibration_end``, from their purchases.

    ``customer`` holds integer codes (any, in any order), ``day`` day numbers (any epoch, the
    same as ``calibration_end``'s), ``cents`` whole cents. One purchase per customer and day:
    purchases on the same day are one, their amounts added (a day number with a fraction counts
    as the day it falls in). A won deal of 0 is a purchase. Purchases after
    ``calibration_end`` are left out, and so are the customers whose first purchase is after it.

    >>> s = summary([7, 7, 7, 7, 3], [0, 14, 14, 30, 5], [1000, 200, 300, 700, 50], 28)
    >>> s.customer.tolist(), s.x.tolist(), s.t_x.tolist(), s.T.tolist()
    ([3, 7], [0, 1], [0.0, 2.0], [3.2857142857142856, 4.0])
    >>> s.monetary.tolist(), s.revenue.tolist()
    ([nan, 500.0], [50, 1500])
    """
    codes = np.asarray(customer)
    days = np.asarray(day)
    values = np.asarray(cents)
    if not (codes.ndim == days.ndim == values.ndim == 1) or not (
        len(codes) == len(days) == len(values)
    ):
        raise ModelError("customer, day and cents must be 1-D arrays of the same length")
    if len(codes) and not np.issubdtype(codes.dtype, np.integer):
        raise ModelError("customer must be integer codes")
    if len(values) and not np.issubdtype(values.dtype, np.integer):
        raise ModelError("cents must be whole numbers (integer cents)")
    if not np.isfinite(calibration_end):
        raise ModelError(f"the calibration end must be a day number, not {calibration_end}")
    whole_days = np.floor(days.astype(np.float64))
    if not np.isfinite(whole_days).all():
        raise ModelError("every purchase needs a day number")

    keep = whole_days <= calibration_end
    codes, whole_days = codes[keep].astype(np.int64), whole_days[keep]
    values = values[keep].astype(np.int64)
    order = np.lexsort((whole_days, codes))
    codes, whole_days, values = codes[order], whole_days[order], values[order]

    # One purchase per (customer, day) run; then one customer per run of purchases.
    new_purchase = _run_starts(codes, whole_days)
    bought_by = codes[new_purchase]
    bought_on = whole_days[new_purchase]
    worth = np.add.reduceat(values, np.flatnonzero(new_purchase)) if len(values) else values
    firsts = np.flatnonzero(_run_starts(bought_by))
    lasts = np.append(firsts[1:], len(bought_by))[: len(firsts)] - 1

    purchases = (lasts - firsts + 1).astype(np.int64)
    x = purchases - 1
    first_day, last_day = bought_on[firsts], bought_on[lasts]
    revenue = np.add.reduceat(worth, firsts) if len(worth) else worth
    monetary = np.full(len(firsts), np.nan)
    repeat = x > 0
    monetary[repeat] = (revenue[repeat] - worth[firsts][repeat]) / x[repeat]
    return Summary(
        customer=_frozen(bought_by[firsts]),
        x=_frozen(x),
        t_x=_frozen((last_day - first_day) / DAYS_PER_WEEK),
        T=_frozen((calibration_end - first_day) / DAYS_PER_WEEK),
        monetary=_frozen(monetary),
        purchases=_frozen(purchases),
        revenue=_frozen(revenue.astype(np.int64)),
        first_day=_frozen(first_day),
        last_day=_frozen(last_day),
        calibration_end=float(calibration_end),
    )


def purchases_between(
    customer: npt.ArrayLike, day: npt.ArrayLike, start: float, end: float, customers: npt.ArrayLike
) -> IntArray:
    """How many purchases (distinct days) each of ``customers`` made in (start, end], counted
    as :func:`summary` counts them: for comparing a holdout period with the predictions.

    >>> purchases_between([1, 1, 1, 2], [5, 12, 12, 20], 10, 30, [1, 2, 9]).tolist()
    [1, 1, 0]
    """
    codes = np.asarray(customer).astype(np.int64)
    whole_days = np.floor(np.asarray(day, dtype=np.float64))
    wanted = np.asarray(customers).astype(np.int64)
    inside = (whole_days > start) & (whole_days <= end)
    codes, whole_days = codes[inside], whole_days[inside]
    order = np.lexsort((whole_days, codes))
    codes = codes[order][_run_starts(codes[order], whole_days[order])]
    known, counts = np.unique(codes, return_counts=True)
    if not len(known):
        return np.zeros(wanted.shape, dtype=np.int64)
    at = np.minimum(np.searchsorted(known, wanted), len(known) - 1)
    return np.where(known[at] == wanted, counts[at], 0).astype(np.int64)


def weeks_in_months(months: float) -> float:
    """A horizon of ``months`` in the models' weeks: months × 365.25 / 12 / 7.

    >>> round(weeks_in_months(12), 4)
    52.1786
    """
    return months * 365.25 / 12.0 / DAYS_PER_WEEK


def fit_bgnbd(x: npt.ArrayLike, t_x: npt.ArrayLike, T: npt.ArrayLike) -> BGNBD:
    """The BG/NBD parameters of greatest likelihood for these histories (weeks).

    Customers with the same (x, t_x, T) are counted once with a weight. Needs at least 10
    customers, some of them repeat buyers. Raises :class:`ModelError` when the likelihood has
    no finite maximum — a parameter runs off, as when every customer seems as likely as the next
    to stop (a and b → ∞), or nobody seems to stop (a → 0) — when a parameter is not estimated
    at all (standard error over e^10), or when the search doesn't settle. Small data sets (a
    hundred customers or so) often end so: the model needs a spread of behaviour to learn from.

    >>> fit_bgnbd([0] * 20, [0.0] * 20, [30.0] * 20)
    Traceback (most recent call last):
    ...
    crm_roi.engine.buying.ModelError: no customer bought twice: ...
    """
    xs, recency, age = _history(x, t_x, T)
    if xs.ndim != 1:
        raise ModelError("x, t_x and T must be 1-D arrays of the same length")
    if len(xs) < MIN_CUSTOMERS:
        raise ModelError(
            f"the BG/NBD model needs at least {MIN_CUSTOMERS} customers; there are {len(xs)}"
        )
    if not (xs > 0).any():
        raise ModelError(
            "no customer bought twice: the BG/NBD model needs repeat buyers to learn from"
        )
    rows, weight = np.unique(np.column_stack([xs, recency, age]), axis=0, return_counts=True)
    # In units of a tenth of the longest T (alpha scales with time, the rest doesn't); the
    # likelihood of x purchases in weeks is that in scaled units over scale^x.
    scale = float(age.max()) / 10.0 or 1.0
    data = _BGNBDData.of(
        rows[:, 0], rows[:, 1] / scale, rows[:, 2] / scale, weight.astype(np.float64)
    )
    theta = _maximise(BGNBD_LIKELIHOOD, data)
    r, alpha, a, b = (float(v) for v in np.exp(theta))
    scaled = -_bgnbd_nll(theta, data)[0] * data.total
    log_likelihood = scaled - _dot(data.w, data.x) * np.log(scale)
    return BGNBD(r=r, alpha=alpha * scale, a=a, b=b, log_likelihood=float(log_likelihood))


def p_alive(m: BGNBD, x: npt.ArrayLike, t_x: npt.ArrayLike, T: npt.ArrayLike) -> FloatArray:
    """The probability that a customer with this history is still a customer.

    1 for x = 0 (nobody drops out before a repeat purchase), else
    1 / (1 + a/(b + x − 1) · ((alpha + T)/(alpha + t_x))^(r + x)).

    >>> m = BGNBD(r=0.243, alpha=4.414, a=0.793, b=2.426, log_likelihood=0.0)
    >>> [round(float(v), 4) for v in p_alive(m, [0, 2, 2], [0.0, 30.43, 10.0], [38.86] * 3)]
    [1.0, 0.7266, 0.2684]
    """
    xs, recency, age = _history(x, t_x, T)
    repeat = np.maximum(xs, 1.0)
    log_odds_dead = (
        np.log(m.a)
        - np.log(m.b + repeat - 1.0)
        + (m.r + xs) * (np.log(m.alpha + age) - np.log(m.alpha + recency))
    )
    return np.asarray(np.where(xs > 0, expit(-log_odds_dead), 1.0), dtype=np.float64)


def expected_purchases(
    m: BGNBD, t: npt.ArrayLike, x: npt.ArrayLike, t_x: npt.ArrayLike, T: npt.ArrayLike
) -> FloatArray:
    """The expected number of purchases in the next ``t`` weeks of a customer with this
    history (Fader, Hardie & Lee 2005, eq. 10): P(alive) × the purchases of one alive.

    >>> m = BGNBD(r=0.243, alpha=4.414, a=0.793, b=2.426, log_likelihood=0.0)
    >>> round(float(expected_purchases(m, 39, 2, 30.43, 38.86)), 3)
    1.226
    """
    xs, recency, age = _history(x, t_x, T)
    weeks = _weeks(t)
    out = p_alive(m, xs, recency, age) * _purchases_if_alive(m, weeks, xs, age)
    return _finite(out, "expected purchases")


def expected_population(m: BGNBD, t: npt.ArrayLike) -> float | FloatArray:
    """E[X(t)]: the expected repeat purchases in the first ``t`` weeks of a new customer
    (Fader, Hardie & Lee 2005, eq. 9) — a float for one t, an array for several.

    >>> m = BGNBD(r=0.243, alpha=4.414, a=0.793, b=2.426, log_likelihood=0.0)
    >>> round(expected_population(m, 39.0), 4)
    1.1967
    >>> expected_population(m, [0.0, 78.0]).round(4).tolist()
    [0.0, 1.8605]
    """
    weeks = _weeks(t)
    out = _finite(_purchases_if_alive(m, weeks, np.zeros(()), np.zeros(())), "expected purchases")
    return float(out) if out.ndim == 0 else out


def fit_gamma_gamma(x: npt.ArrayLike, monetary: npt.ArrayLike) -> GammaGamma:
    """The Gamma-Gamma parameters of greatest likelihood for the repeat buyers' mean spend.

    Only customers with x > 0 count (``monetary`` is the mean of their x repeat purchases);
    of those, a mean of exactly 0 (every repeat purchase a won deal of 0) is left out of the
    fit: the model's values are positive, and one such customer would make the likelihood 0.
    Their expected value still comes from :func:`expected_value`. Needs at least 10 repeat
    buyers with a positive mean; a negative mean raises :class:`ModelError`.

    >>> fit_gamma_gamma([0, 1, 2], [float("nan"), 10.0, 12.0])
    Traceback (most recent call last):
    ...
    crm_roi.engine.buying.ModelError: the Gamma-Gamma model needs at least 10 ...; there are 2
    """
    xs, spend = _spend(x, monetary)
    if xs.ndim != 1:
        raise ModelError("x and monetary must be 1-D arrays of the same length")
    repeat = xs > 0
    if (spend[repeat] < 0).any():
        raise ModelError("a repeat buyer's mean spend is negative: the Gamma-Gamma model needs ≥ 0")
    use = repeat & (spend > 0)
    if use.sum() < MIN_REPEAT_BUYERS:
        raise ModelError(
            f"the Gamma-Gamma model needs at least {MIN_REPEAT_BUYERS} repeat buyers with a "
            f"positive mean spend; there are {int(use.sum())}"
        )
    rows, weight = np.unique(np.column_stack([xs[use], spend[use]]), axis=0, return_counts=True)
    # In units of the mean spend (v scales with money, p and q don't); the density of a spend
    # in cents is that in scaled units over the scale.
    scale = float(np.average(rows[:, 1], weights=weight))
    data = _GammaGammaData.of(rows[:, 0], rows[:, 1] / scale, weight.astype(np.float64))
    theta = _maximise(GAMMA_GAMMA_LIKELIHOOD, data)
    p, q, v = (float(val) for val in np.exp(theta))
    log_likelihood = -_gamma_gamma_nll(theta, data)[0] * data.total - data.total * np.log(scale)
    return GammaGamma(p=p, q=q, v=v * scale, log_likelihood=float(log_likelihood))


def expected_value(g: GammaGamma, x: npt.ArrayLike, monetary: npt.ArrayLike) -> FloatArray:
    """The expected value of a customer's future purchases: p·(v + x·m̄) / (p·x + q − 1) for a
    repeat buyer with mean spend m̄, the population mean p·v / (q − 1) for x = 0 (whatever
    ``monetary`` holds there, NaN included). Raises :class:`ModelError` if q ≤ 1 (no mean).

    >>> g = GammaGamma(p=6.25, q=3.74, v=15.44, log_likelihood=0.0)
    >>> [round(float(v), 2) for v in expected_value(g, [0, 2], [float("nan"), 22.35])]
    [35.22, 24.66]
    """
    if g.q <= 1.0:
        raise ModelError(
            f"the Gamma-Gamma fit has q = {g.q:.3g} ≤ 1: spend is too heavy-tailed to have an "
            "expected value"
        )
    xs, spend = _spend(x, monetary)
    if ((xs > 0) & ~(spend >= 0)).any():
        raise ModelError("a repeat buyer's mean spend must be a number ≥ 0")
    mean_spend = np.where(xs > 0, spend, 0.0)
    out = g.p * (g.v + xs * mean_spend) / (g.p * xs + g.q - 1.0)
    return _finite(np.asarray(out, dtype=np.float64), "expected value")


# --- the likelihoods ------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class _BGNBDData:
    """Distinct histories (x, t_x, T) with how many customers have each (w); and the distinct
    x with their customer counts, for the terms that depend on x alone (the Γ functions: a
    few hundred values instead of one per customer)."""

    x: FloatArray
    t_x: FloatArray
    T: FloatArray
    w: FloatArray
    ux: FloatArray
    uw: FloatArray
    total: float

    @classmethod
    def of(cls, x: FloatArray, t_x: FloatArray, T: FloatArray, w: FloatArray) -> _BGNBDData:
        ux, at = np.unique(x, return_inverse=True)
        uw = np.bincount(at.ravel(), weights=w, minlength=len(ux)).astype(np.float64)
        return cls(x, t_x, T, w, ux, uw, float(w.sum()))


@dataclass(frozen=True, eq=False)
class _GammaGammaData:
    """Distinct (x, m̄) with their counts; the distinct x with theirs; and the sums of the
    terms that don't depend on the parameters."""

    x: FloatArray
    m: FloatArray
    w: FloatArray
    ux: FloatArray
    uw: FloatArray
    total: float
    sum_log_m: float  # Σ w ln m̄
    sum_x_log_xm: float  # Σ w x (ln x + ln m̄)

    @classmethod
    def of(cls, x: FloatArray, m: FloatArray, w: FloatArray) -> _GammaGammaData:
        ux, at = np.unique(x, return_inverse=True)
        uw = np.bincount(at.ravel(), weights=w, minlength=len(ux)).astype(np.float64)
        log_m = np.log(m)
        return cls(
            x, m, w, ux, uw, float(w.sum()), _dot(w, log_m), _dot(w, x * (np.log(x) + log_m))
        )


def _bgnbd_nll(theta: FloatArray, d: _BGNBDData) -> tuple[float, FloatArray]:
    """Minus the mean log-likelihood (FHL 2005 eq. 6 in logs) and its gradient in log-params.

    ℓ = ln Γ(r+x) − ln Γ(r) + r ln α + ln B(a, b+x) − ln B(a, b) + ln(e^A₃ + δ(x>0) e^A₄) with
    A₃ = −(r+x) ln(α+T) and A₄ = ln a − ln(b+x−1) − (r+x) ln(α+t_x), summed as logsumexp.
    """
    r, alpha, a, b = np.exp(theta)
    x, rec, age, w, ux, uw, total = d.x, d.t_x, d.T, d.w, d.ux, d.uw, d.total
    repeat = x > 0
    log_age, log_rec = np.log(alpha + age), np.log(alpha + rec)
    a3 = -(r + x) * log_age
    a4 = np.where(repeat, np.log(a) - np.log(b + np.maximum(x, 1.0) - 1.0) - (r + x) * log_rec, a3)
    top = np.maximum(a3, a4)
    e3, e4 = np.exp(a3 - top), np.where(repeat, np.exp(a4 - top), 0.0)
    lse = top + np.log(e3 + e4)
    w3, w4 = e3 / (e3 + e4), e4 / (e3 + e4)  # the two terms' shares of the likelihood

    by_x = gammaln(r + ux) - gammaln(r) + gammaln(a + b) + gammaln(b + ux) - gammaln(b)
    ll = _dot(uw, by_x - gammaln(a + b + ux)) + total * r * np.log(alpha) + _dot(w, lse)
    psi_ab = digamma(a + b) - digamma(a + b + ux)
    d_r = (
        _dot(uw, digamma(r + ux) - digamma(r))
        + total * np.log(alpha)
        - _dot(w, w3 * log_age + w4 * log_rec)
    )
    d_alpha = total * r / alpha - _dot(w, (r + x) * (w3 / (alpha + age) + w4 / (alpha + rec)))
    d_a = _dot(uw, psi_ab) + _dot(w, w4) / a
    d_b = _dot(uw, psi_ab + digamma(b + ux) - digamma(b)) - _dot(
        w, w4 / (b + np.maximum(x, 1.0) - 1.0)
    )
    grad = -np.array([d_r, d_alpha, d_a, d_b]) * np.exp(theta) / total
    return -float(ll) / total, grad


def _gamma_gamma_nll(theta: FloatArray, d: _GammaGammaData) -> tuple[float, FloatArray]:
    """Minus the mean log-likelihood of the mean spends m̄ of x purchases, and its gradient:
    ℓ = ln Γ(px+q) − ln Γ(px) − ln Γ(q) + q ln v + (px−1) ln m̄ + px ln x − (px+q) ln(v + x m̄).
    """
    p, q, v = np.exp(theta)
    x, m, w, ux, uw, total = d.x, d.m, d.w, d.ux, d.uw, d.total
    pu = p * ux
    log_vxm = np.log(v + x * m)
    ll = (
        _dot(uw, gammaln(pu + q) - gammaln(pu) - gammaln(q))
        + total * q * np.log(v)
        + p * d.sum_x_log_xm
        - d.sum_log_m
        - _dot(w, (p * x + q) * log_vxm)
    )
    d_p = _dot(uw, ux * (digamma(pu + q) - digamma(pu))) + d.sum_x_log_xm - _dot(w, x * log_vxm)
    d_q = _dot(uw, digamma(pu + q) - digamma(q)) + total * np.log(v) - _dot(w, log_vxm)
    d_v = total * q / v - _dot(w, (p * x + q) / (v + x * m))
    grad = -np.array([d_p, d_q, d_v]) * np.exp(theta) / total
    return -float(ll) / total, grad


@dataclass(frozen=True)
class _Likelihood:
    """A model to fit: its minus mean log-likelihood with gradient in log-parameters, the
    parameters' names, and what a parameter running off (to ∞: "a+", to 0: "a-") says about
    the data, for the error."""

    model: str
    nll: Callable[[FloatArray, Any], tuple[float, FloatArray]]
    names: tuple[str, ...]
    running_off: dict[str, str]
    hint: str


SAME_DROPOUT = "every customer seems as likely as the next to stop buying"
SAME_PACE = "every customer seems to buy at the same pace"
SAME_SPEND = "every repeat buyer seems to spend the same on average"
BGNBD_LIKELIHOOD = _Likelihood(
    model="BG/NBD",
    nll=_bgnbd_nll,
    names=("r", "alpha", "a", "b"),
    running_off={
        "a+": SAME_DROPOUT,
        "b+": SAME_DROPOUT,
        "a-": "hardly any customer seems to stop buying",
        "b-": "customers seem to stop after their first repeat purchase",
        "r+": SAME_PACE,
        "alpha+": SAME_PACE,
    },
    hint="it needs more customers, and more of them buying again",
)
GAMMA_GAMMA_LIKELIHOOD = _Likelihood(
    model="Gamma-Gamma",
    nll=_gamma_gamma_nll,
    names=("p", "q", "v"),
    running_off={
        "p+": "each customer's purchases seem to be worth the same every time",
        "q+": SAME_SPEND,
        "v+": SAME_SPEND,
    },
    hint="it needs more repeat buyers, with mean spends that differ",
)


def _maximise(likelihood: _Likelihood, data: Any) -> FloatArray:
    """The log-parameters of greatest likelihood: L-BFGS-B with the exact gradient from all
    parameters 1 (on data scaled to make that sensible), then a bounded Nelder-Mead from where
    it stopped if it didn't settle there.

    Raises :class:`ModelError` when the data can't pin a parameter down — it runs off beyond
    e^±:data:`MAX_LOG_PARAM`, or its standard error (from the Hessian) is over
    :data:`MAX_LOG_SE` in logs: the likelihood is flat that way — and when the search doesn't
    settle.
    """
    nll, k = likelihood.nll, len(likelihood.names)
    bounds = [(-LOG_BOUND, LOG_BOUND)] * k
    with np.errstate(all="ignore"):
        first = minimize(
            nll,
            np.zeros(k),
            args=(data,),
            jac=True,
            method="L-BFGS-B",
            bounds=bounds,
            options={"maxiter": 2000, "ftol": 1e-13, "gtol": 1e-9},
        )
        theta = np.asarray(first.x, dtype=np.float64)
        settled = bool(first.success) and _settled(nll, theta, data, 1e-5)
        if not settled and (np.abs(theta) <= MAX_LOG_PARAM).all():
            second = minimize(
                lambda th: nll(th, data)[0],
                theta,
                method="Nelder-Mead",
                bounds=bounds,
                options={"maxfev": 500 * k, "xatol": 1e-10, "fatol": 1e-14},
            )
            theta = np.asarray(second.x, dtype=np.float64)
            settled = bool(second.success) and _settled(nll, theta, data, 1e-4)
        spread = _log_standard_errors(nll, theta, data)
    edge = np.abs(theta) > MAX_LOG_PARAM
    # More data is the likely cure only for a small data set; a big one is just so.
    hint = f"; {likelihood.hint}" if data.total < FEW_FOR_A_FIT else ""
    if edge.any() or (spread > MAX_LOG_SE).any():
        at = int(np.flatnonzero(edge)[0] if edge.any() else np.argmax(spread))
        name = likelihood.names[at]
        why = likelihood.running_off.get(name + ("+" if theta[at] > 0 else "-"))
        said = (
            f"{why} ({name} has no finite best value)"
            if why
            else f"{name} has no finite best value"
        )
        raise ModelError(f"the {likelihood.model} model can't be fitted: {said}{hint}")
    if not settled:
        raise ModelError(f"the {likelihood.model} fit did not converge{hint}")
    return theta


def _settled(nll: Any, theta: FloatArray, data: Any, tolerance: float) -> bool:
    value, grad = nll(theta, data)
    return bool(np.isfinite(value) and np.abs(grad).max() < tolerance)


def _log_standard_errors(nll: Any, theta: FloatArray, data: Any) -> FloatArray:
    """The standard errors of the log-parameters: √diag of the inverse Hessian of minus the
    total log-likelihood (central differences of the exact gradient); ∞ where it isn't
    positive definite."""
    step = 1e-4
    k = len(theta)
    hessian = np.empty((k, k))
    for i in range(k):
        shift = np.zeros(k)
        shift[i] = step
        hessian[:, i] = (nll(theta + shift, data)[1] - nll(theta - shift, data)[1]) / (2 * step)
    hessian = (hessian + hessian.T) / 2 * data.total
    if not np.isfinite(hessian).all() or np.linalg.eigvalsh(hessian).min() <= 0:
        return np.full(k, np.inf)
    return np.asarray(np.sqrt(np.diag(np.linalg.inv(hessian))), dtype=np.float64)


# --- helpers --------------------------------------------------------------------------------


def _purchases_if_alive(m: BGNBD, t: FloatArray, x: FloatArray, T: FloatArray) -> FloatArray:
    """The expected purchases in (T, T + t] of a customer alive at T with x repeat purchases:
    (a+b+x−1)/(a−1) · [1 − ((α+T)/(α+T+t))^(r+x) · ₂F₁(r+x, b+x; a+b+x−1; z)], z = t/(α+T+t).

    By :func:`_closed_form`; near a = 1, where the formula is 0/0, as the straight line
    between a = 1 ± NEAR_ONE (the function is smooth in a: the error is of order NEAR_ONE²,
    where evaluating closer would magnify ₂F₁'s rounding by 1/(a − 1)). A value that comes
    out negative is rounding if within the bracket's rounding (→ 0), else — like a value
    that isn't finite, where scipy's ₂F₁ gives up (z near 1 with b + x in the hundreds) — it is
    integrated instead (:func:`_by_quadrature`).
    """
    try:
        t, x, T = np.broadcast_arrays(t, x, T)
    except ValueError as exc:
        raise ModelError("t, x and T must have the same length") from exc
    with np.errstate(all="ignore"):
        if abs(m.a - 1.0) < NEAR_ONE:
            low, noise = _closed_form(m.r, m.alpha, 1.0 - NEAR_ONE, m.b, t, x, T)
            high, _ = _closed_form(m.r, m.alpha, 1.0 + NEAR_ONE, m.b, t, x, T)
            out = low + (high - low) * (m.a - 1.0 + NEAR_ONE) / (2.0 * NEAR_ONE)
        else:
            out, noise = _closed_form(m.r, m.alpha, m.a, m.b, t, x, T)
        out = np.where((out < 0.0) & (out > -noise), 0.0, out)
    stuck = ~(out >= 0.0) | ~np.isfinite(out)
    if stuck.any():
        cases, where = np.unique(
            np.column_stack([t[stuck], x[stuck], T[stuck]]), axis=0, return_inverse=True
        )
        worked = np.array([_by_quadrature(m, *case) for case in cases])
        out = out.copy()
        out[stuck] = worked[where.ravel()]
    return np.asarray(out, dtype=np.float64)


def _closed_form(
    r: float, alpha: float, a: float, b: float, t: FloatArray, x: FloatArray, T: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """FHL eq. 10's purchases of one alive, and the size of its rounding error.

    0 ≤ z < 1. Euler's transformation ₂F₁(A, B; C; z) = (1−z)^(C−A−B) ₂F₁(C−A, C−B; C; z)
    turns the bracket into 1 − (1−z)^(a−1) · ₂F₁(a+b−1−r, a−1; a+b+x−1; z), whose parameters
    don't grow with x: the series stays small for frequent buyers, where the first form
    overflows as z nears 1 (and is used only where the second isn't finite). The bracket is
    −expm1(log of the product), exact when small.
    """
    if abs(a + b - 1.0) < SINGULAR:  # only x = 0 meets it: ₂F₁'s pole at C = 0
        b = 1.0 + SINGULAR - a if a + b >= 1.0 else 1.0 - SINGULAR - a
    c = a + b + x - 1.0
    log_1mz = np.log(alpha + T) - np.log(alpha + T + t)
    z = t / (alpha + T + t)
    bracket = _one_minus(a - 1.0, log_1mz, hyp2f1(a + b - 1.0 - r, a - 1.0, c, z))
    first = ~np.isfinite(bracket)
    if first.any():
        direct = _one_minus(r + x, log_1mz, hyp2f1(r + x, b + x, c, z))
        bracket = np.where(first, direct, bracket)
    factor = c / (a - 1.0)
    return np.asarray(factor * bracket), np.asarray(1e-13 * np.abs(factor))


def _by_quadrature(m: BGNBD, t: float, x: float, T: float) -> float:
    """:func:`_purchases_if_alive` for one customer as the integral it stands for: the
    expectation of (1 − (1 + pK)^−(r+x)) / p, K = t/(α+T), over p ~ Beta(a, b+x), taken in
    y = logit p (where the Beta's long tails decay exponentially) by adaptive quadrature.
    Where (s+1)·p·K < 1e-10 (s = r + x) the integrand is s·K to ten digits, so that stretch
    is s·K × the Beta's CDF; a horizon so short that all of p is there is s·K·(1 − (s+1)·K·E[p]/2).
    NaN if the quadrature can't vouch for 8 digits.
    """
    s, tail, scale = m.r + x, m.b + x, t / (m.alpha + T)
    if (s + 1.0) * scale <= 1e-9:
        return float(s * scale * (1.0 - (s + 1.0) * scale * m.a / (m.a + tail) / 2.0))
    norm = float(betaln(m.a, tail))
    flat = 1e-10 / ((s + 1.0) * scale)  # below this p, the integrand is flat
    head = s * scale * float(betainc(m.a, tail, flat))

    def integrand(y: float) -> float:
        log_p, log_1mp = -np.logaddexp(0.0, -y), -np.logaddexp(0.0, y)
        p = np.exp(log_p)
        worth = -np.expm1(-s * np.log1p(p * scale)) / p
        return float(np.exp(m.a * log_p + tail * log_1mp - norm) * worth)

    low = float(np.log(flat) - np.log1p(-flat))
    peak, kink = float(np.log(m.a / tail)), float(-np.log(s * scale))
    high = max(peak, kink, 0.0) + 60.0 / tail + 40.0
    marks = sorted({v for v in (peak, kink) if low < v < high})
    value, error, *_ = quad(
        integrand, low, high, points=marks, limit=500, epsabs=0.0, epsrel=1e-10, full_output=1
    )
    total = head + float(value)
    return total if abs(float(error)) <= 1e-8 * total else float("nan")


def _one_minus(power: Any, log_base: FloatArray, h: Any) -> FloatArray:
    """1 − base^power · h, in logs where h > 0 (as it is but for x = 0 with a + b < 1)."""
    logs = power * log_base + np.log(np.where(h > 0, h, 1.0))
    return np.asarray(np.where(h > 0, -np.expm1(logs), 1.0 - np.exp(power * log_base) * h))


def _history(
    x: npt.ArrayLike, t_x: npt.ArrayLike, T: npt.ArrayLike
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """x, t_x and T as float arrays of one shape, checked: x whole and ≥ 0, 0 ≤ t_x ≤ T."""
    try:
        xs, recency, age = np.broadcast_arrays(
            np.asarray(x, dtype=np.float64),
            np.asarray(t_x, dtype=np.float64),
            np.asarray(T, dtype=np.float64),
        )
    except ValueError as exc:
        raise ModelError("x, t_x and T must have the same length") from exc
    if not (np.isfinite(xs).all() and np.isfinite(recency).all() and np.isfinite(age).all()):
        raise ModelError("x, t_x and T must be numbers (no NaN or infinity)")
    if (xs < 0).any() or (xs != np.floor(xs)).any():
        raise ModelError("x, the number of repeat purchases, must be a whole number ≥ 0")
    if (recency < 0).any() or (recency > age * (1 + 1e-12) + 1e-12).any():
        raise ModelError("t_x must be between 0 and T (the last purchase within the period)")
    return xs, recency, age


def _spend(x: npt.ArrayLike, monetary: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    try:
        xs, spend = np.broadcast_arrays(
            np.asarray(x, dtype=np.float64), np.asarray(monetary, dtype=np.float64)
        )
    except ValueError as exc:
        raise ModelError("x and monetary must have the same length") from exc
    if not np.isfinite(xs).all() or (xs < 0).any() or (xs != np.floor(xs)).any():
        raise ModelError("x, the number of repeat purchases, must be a whole number ≥ 0")
    return xs, spend


def _weeks(t: npt.ArrayLike) -> FloatArray:
    weeks = np.asarray(t, dtype=np.float64)
    if not np.isfinite(weeks).all() or (weeks < 0).any():
        raise ModelError("the horizon t must be a number of weeks ≥ 0")
    return weeks


def _finite(values: FloatArray, what: str) -> FloatArray:
    if not np.isfinite(values).all():
        raise ModelError(f"the {what} can't be computed for these parameters (not finite)")
    return values


def _run_starts(*keys: npt.NDArray[Any]) -> npt.NDArray[np.bool_]:
    """True where a run of equal keys (in sorted arrays) begins."""
    n = len(keys[0])
    starts = np.zeros(n, dtype=bool)
    if n:
        starts[0] = True
        for key in keys:
            starts[1:] |= key[1:] != key[:-1]
    return starts


def _dot(weights: FloatArray, values: FloatArray) -> float:
    """Σ weights·values, without BLAS: a threaded BLAS dot product on arrays this small spends
    more on waking its threads than on the sum (ten times more on a busy machine)."""
    return float(np.add.reduce(weights * values))


def _frozen(values: npt.NDArray[Any]) -> Any:
    values = np.ascontiguousarray(values)
    values.flags.writeable = False
    return values

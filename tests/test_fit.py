"""The rate fitter on synthetic first-hitting data with known truth: model choice, exponents,
and the coverage of the interval (a fit is a claim: its interval must cover the truth)."""

from __future__ import annotations

import numpy as np
import pytest

from theory.fit import find_jumps, fit_rate, fit_two_regime, select_tail_window

EXPONENT_TOL = 0.02
"""Accuracy required of the point estimate on clean synthetic power laws."""

NOMINAL_COVERAGE = 0.95
REQUIRED_COVERAGE = 0.90
"""The nominal 95% interval must cover the true exponent in at least 90% of the draws."""

COVERAGE_DRAWS = 30
"""Draws per case (the calibration contract over whole families is tests/test_calibration.py's)."""

EPS = np.logspace(-2, -8, 25)  # armijo check's default grid: 4 thresholds per decade
EPS_FINE = np.logspace(0, -6, 61)


def first_hitting(curve_of_start, eps, starts, rng, *, jitter=0.01):
    """Integer, non-increasing-in-eps first-hitting iterations from per-start curves."""
    hits = np.ceil(curve_of_start * rng.lognormal(0.0, jitter, size=(starts, eps.size)))
    return np.maximum.accumulate(hits, axis=1).astype(int)


def power_hits(p, starts, rng, *, c=0.0, q=1.0, eps=EPS, spread=0.3, C=5.0):
    """``N = C_b eps^-p (1 + c_b eps^q)``: per-start constants, rounding, jitter."""
    constant = C * rng.lognormal(0.0, spread, size=(starts, 1))
    correction = c * rng.lognormal(0.0, 0.2, size=(starts, 1))
    return first_hitting(constant * eps**-p * (1.0 + correction * eps**q), eps, starts, rng)


def log_hits(a, b, starts, rng, *, eps=EPS):
    """``N = a_b + b_b log10(1/eps)``: linear convergence with per-start constants."""
    slope = b * rng.lognormal(0.0, 0.1, size=(starts, 1))
    offset = a + rng.normal(0.0, 0.1 * max(abs(a), 1.0), size=(starts, 1))
    return first_hitting(np.maximum(offset + slope * -np.log10(eps), 1.0), eps, starts, rng, jitter=0.0)


# ----------------------------------------------------------------------------- power laws


@pytest.mark.parametrize("p", [0.5, 0.8, 1.0, 1.5, 2.0])
@pytest.mark.parametrize("starts", [1, 25])
def test_recovers_a_known_exponent(p, starts):
    fit = fit_rate(EPS_FINE, power_hits(p, starts, np.random.default_rng(int(10 * p) + starts), eps=EPS_FINE))
    assert fit.model == "power"
    assert abs(fit.exponent - p) <= EXPONENT_TOL
    assert fit.ci_low <= fit.exponent <= fit.ci_high and fit.contains(p)
    assert fit.ci_high - fit.ci_low < 0.1
    assert np.isnan(fit.iterations_per_decade)


@pytest.mark.parametrize("p, c, q, starts", [
    (2 / 3, 0.0, 1.0, 1),     # clean, one start
    (1.5, 0.0, 1.0, 8),       # clean, several starts
    (0.5, 1.0, 0.5, 1),       # pre-asymptotic: the local slope still drifts by 5% at eps = 1e-2
    (0.8, 3.0, 0.25, 8),      # slow correction: still 3% of N at the smallest eps
    (1.0, -0.8, 0.25, 1),     # a correction from below
])
def test_interval_covers_the_truth(p, c, q, starts):
    """Coverage of the nominal 95% interval over repeated synthetic draws (issue 12)."""
    rng = np.random.default_rng(abs(hash((p, c, q, starts))) % 2**32)
    covered = 0
    for draw in range(COVERAGE_DRAWS):
        fit = fit_rate(EPS, power_hits(p, starts, rng, c=c, q=q), seed=draw)
        assert fit.model == "power"
        covered += fit.contains(p)
    assert covered / COVERAGE_DRAWS >= REQUIRED_COVERAGE, covered / COVERAGE_DRAWS


def test_pre_asymptotic_data_are_flagged_and_the_interval_reaches_the_limit():
    # x^4 - x^3 from the left of its degenerate saddle: N = A + B eps^-1/2 + a slowly decaying term
    rng = np.random.default_rng(4)
    hits = power_hits(0.5, 1, rng, c=2.0, q=0.5, spread=0.0)
    fit = fit_rate(EPS, hits)
    assert fit.model == "power" and fit.contains(0.5)
    naive = -np.polyfit(np.log(EPS), np.log(hits[0]), 1)[0]
    assert not fit.ci_low <= naive <= fit.ci_high or abs(naive - 0.5) < 0.01


def test_transient_of_another_regime_is_cut_off():
    knee = 1e-2
    curve = np.where(EPS_FINE > knee, 1000 * (EPS_FINE / knee) ** -0.3, 1000 * (EPS_FINE / knee) ** -1.0)
    hits = first_hitting(curve * np.ones((25, 1)), EPS_FINE, 25, np.random.default_rng(0))
    fit = fit_rate(EPS_FINE, hits)
    assert fit.model == "power" and abs(fit.exponent - 1.0) <= EXPONENT_TOL and fit.contains(1.0)
    assert fit.window_eps[1] <= knee * 1.01  # the window starts at or after the knee


def test_window_rule_on_exact_curve():
    log_eps = np.log(EPS_FINE)
    log_n = np.where(EPS_FINE > 1e-3, -0.2 * log_eps, -1.5 * log_eps + 1.3 * np.log(1e-3))
    first = select_tail_window(log_eps, log_n)
    assert EPS_FINE[first] <= 1e-3 * 1.01 and EPS_FINE[first] >= 1e-3 / 10**0.55


# ----------------------------------------------------------------------------- logarithmic


@pytest.mark.parametrize("b", [1.2, 2.0, 5.0, 20.0, 200.0, 2000.0])
@pytest.mark.parametrize("a_share", [0.0, 1.0, -1.5])
@pytest.mark.parametrize("starts", [1, 8])
def test_linear_convergence_is_never_called_a_power_law(b, a_share, starts):
    """Clean N = a + b log10(1/eps): logarithmic, b recovered, never a small exponent."""
    rng = np.random.default_rng(int(b * 10) + starts)
    for draw in range(5):
        hits = log_hits(a_share * b + 5.0, b, starts, rng)
        fit = fit_rate(EPS, hits, seed=draw)
        assert fit.model != "power", (b, a_share, starts, fit.exponent, fit.evidence)
        if fit.model == "logarithmic":
            assert fit.exponent == 0.0 and fit.ci_low == 0.0
            assert fit.iterations_per_decade == pytest.approx(b, rel=0.25)


def test_exp_like_counts_give_iterations_per_decade():
    # armijo on exp(x) - x from 1: 39, 61, 83, ... (22 iterations per decade)
    counts = np.round(39 + 22 * np.arange(EPS.size) / 4).astype(int)
    fit = fit_rate(EPS, counts)
    assert fit.model == "logarithmic"
    assert fit.iterations_per_decade == pytest.approx(22, rel=0.02)
    low, high = fit.iterations_per_decade_ci
    assert low <= 22 <= high


def test_a_small_genuine_exponent_is_a_power_law():
    """p = 0.2 (theta = 5/9) is not linear convergence: the held-out points tell them apart."""
    rng = np.random.default_rng(9)
    fit = fit_rate(EPS, power_hits(0.2, 8, rng, C=20.0))
    assert fit.model == "power" and fit.contains(0.2)


# ----------------------------------------------------------------------------- jumps


def test_lucky_jump_is_flagged_and_excluded():
    rng = np.random.default_rng(0)
    hits = power_hits(0.8, 25, rng, eps=EPS_FINE, C=20.0)
    # three starts jump to ||g|| < 1e-5 in their first step (x^6 from 0.9137, eta0 = 1)
    lucky = np.where(EPS_FINE > 1e-5, 1, 1 + np.round(3 * (EPS_FINE / 1e-5) ** -0.8)).astype(int)
    hits[:3] = lucky
    hits[:3, :2] = 0
    fit = fit_rate(EPS_FINE, hits)
    assert fit.jump_detected
    assert {j.start for j in fit.jumps} == {0, 1, 2}
    assert fit.n_starts_used == 25 - 3
    assert fit.model == "power" and abs(fit.exponent - 0.8) <= EXPONENT_TOL


def test_all_starts_jumping_is_flagged_not_fitted_as_slope():
    lucky = np.where(EPS_FINE > 1e-5, 1, 1 + np.round(3 * (EPS_FINE / 1e-5) ** -0.8)).astype(int)
    fit = fit_rate(EPS_FINE, np.tile(lucky, (4, 1)))
    assert fit.jump_detected
    assert fit.model == "undetermined" or fit.eps_hi < 1e-5  # the plateau is never part of the window


def test_a_jump_is_out_of_pace_with_its_start():
    eps = np.logspace(0, -3, 7)  # half a decade per point
    # a decade in one step after slow progress: a jump
    assert len(find_jumps(eps, np.array([[10, 40, 90, 160, 250, 250, 250]]))) == 1
    # a decade per step all along (fast linear convergence): its plateaus are its pace
    assert find_jumps(eps, np.array([[1, 2, 2, 3, 4, 4, 4]])) == ()


def test_never_hit_and_short_windows():
    rng = np.random.default_rng(1)
    hits = power_hits(1.0, 8, rng, eps=EPS_FINE)
    hits[:, -10:] = -1  # the budget ran out
    fit = fit_rate(EPS_FINE, hits)
    assert fit.eps_lo == EPS_FINE[-11] and abs(fit.exponent - 1.0) <= EXPONENT_TOL
    short = fit_rate(EPS_FINE[:4], hits[:, :4] + 20)
    assert short.window_too_short and short.model == "undetermined"
    nothing = fit_rate(EPS_FINE, -np.ones((3, EPS_FINE.size), dtype=int))
    assert np.isnan(nothing.exponent) and "insufficient_data" in nothing.flags


def test_bootstrap_is_seeded():
    hits = power_hits(1.2, 8, np.random.default_rng(2))
    assert fit_rate(EPS, hits, seed=3) == fit_rate(EPS, hits, seed=3)


def test_rejects_bad_grid():
    with pytest.raises(ValueError):
        fit_rate(EPS[::-1], power_hits(1.0, 2, np.random.default_rng(0)))


# ----------------------------------------------------------------------------- two regimes


@pytest.mark.parametrize("a, b", [(2.0, 50.0), (1e-3, 10.0), (5.0, 0.0)])
def test_two_regime_recovers_coefficients(a, b):
    curve = a * EPS_FINE**-2 + b * EPS_FINE**-1
    # per-start factors with median exactly 1 (odd count, symmetric in log)
    factors = np.exp(np.linspace(-0.3, 0.3, 7))[:, None]
    fit = fit_two_regime(EPS_FINE, np.round(factors * curve))
    assert fit.a == pytest.approx(a, rel=0.02, abs=1e-6)
    # b * eps^-1 may absorb rounding of N at the largest eps (= 1): 2% of a there
    assert fit.b == pytest.approx(b, rel=0.02, abs=0.02 * a)
    if b > 0:
        assert fit.crossover_eps == pytest.approx(a / b, rel=0.05)
    else:  # pure eps^-2: the crossover lies far above the fitted range
        assert fit.crossover_eps > 10 * EPS_FINE.max()
    assert fit.relative_rms < 0.01


# ----------------------------------------------------------------------------- verdicts


def test_verdicts():
    from theory.verdict import check_bound, decide

    hits = power_hits(1.0, 8, np.random.default_rng(3), eps=EPS_FINE)
    fit = fit_rate(EPS_FINE, hits)
    ok = check_bound(hits, 10.0 * EPS_FINE**-1.0 * 10, theorem="T3")
    assert ok.holds and 0 < ok.max_ratio < 1 and ok.n_checked == hits.size
    assert decide([ok], fit, predicted_exponent=1.0).verdict == "consistent"
    bad = check_bound(hits, 1.0 * EPS_FINE**-1.0, theorem="T3")
    assert not bad.holds and bad.max_ratio > 1
    assert decide([bad], fit, predicted_exponent=1.0).verdict == "violated"
    assert decide([ok], fit, predicted_exponent=0.5).verdict == "violated"
    assert decide([ok], fit, 1.0, statuses=["precision_floor"]).verdict == "inconclusive"
    stopped = decide([ok], fit, 1.0, statuses=["precision_floor", "converged", "precision_floor", "non_finite"])
    assert stopped.verdict == "inconclusive"
    assert stopped.reasons == ("start(s) stopped before the deepest threshold (2 at precision_floor, 1 at "
                               "non_finite): their counts there are not measurements",)
    short = fit_rate(EPS_FINE[:4], hits[:, :4] + 20)
    assert decide([ok], short, 2.0).verdict == "inconclusive"
    linear = fit_rate(EPS, log_hits(5.0, 20.0, 4, np.random.default_rng(0)))
    assert decide([ok], linear, predicted_exponent=0.5).verdict == "consistent"  # exponent 0 <= anything
    never = check_bound(-np.ones(3), np.ones(3))
    assert never.n_checked == 0

"""Tests of the exponent fitter on synthetic first-hitting data with known exponents."""

from __future__ import annotations

import numpy as np
import pytest

from theory.fit import fit_exponent, fit_two_regime, find_jumps, select_tail_window

EXPONENT_TOL = 0.02
"""Required accuracy of the fitted exponent on synthetic data (issue 4)."""

EPS = np.logspace(0, -6, 61)
N_STARTS = 25


def synthetic_hits(curve, *, seed=0, start_spread=0.3, jitter=0.03):
    """First-hitting iterations of ``N_STARTS`` starts: ``curve`` times a per-start
    lognormal factor and a small per-threshold jitter, rounded and made non-increasing
    in eps (as real first-hitting times are)."""
    rng = np.random.default_rng(seed)
    factor = rng.lognormal(0.0, start_spread, size=(N_STARTS, 1))
    noise = rng.lognormal(0.0, jitter, size=(N_STARTS, curve.size))
    hits = np.round(factor * curve * noise)
    return np.maximum.accumulate(hits, axis=1).astype(int)


@pytest.mark.parametrize("p", [0.5, 0.8, 1.0, 1.5, 2.0])
@pytest.mark.parametrize("seed", [0, 1])
def test_recovers_known_exponent(p, seed):
    fit = fit_exponent(EPS, synthetic_hits(5.0 * EPS**-p, seed=seed))
    assert abs(fit.exponent - p) <= EXPONENT_TOL
    assert fit.ci_low <= fit.exponent <= fit.ci_high
    assert fit.ci_high - fit.ci_low < 0.05
    assert not fit.flags and fit.n_points >= 20
    assert fit.eps_lo == EPS[-1]


def test_pre_asymptotic_transient_is_excluded():
    knee = 1e-2
    curve = np.where(EPS > knee, 1000 * (EPS / knee) ** -0.3, 1000 * (EPS / knee) ** -1.0)
    fit = fit_exponent(EPS, synthetic_hits(curve))
    assert abs(fit.exponent - 1.0) <= EXPONENT_TOL
    assert fit.eps_hi <= knee * 1.01  # the window starts at or after the knee
    naive = np.polyfit(np.log(EPS), np.log(np.median(synthetic_hits(curve), axis=0)), 1)
    assert abs(-naive[0] - 1.0) > 0.1  # a global slope would have been wrong


def test_window_rule_on_exact_curve():
    log_eps = np.log(EPS)
    log_n = np.where(EPS > 1e-3, -0.2 * log_eps, -1.5 * log_eps + 1.3 * np.log(1e-3))
    first = select_tail_window(log_eps, log_n)
    assert EPS[first] <= 1e-3 * 1.01 and EPS[first] >= 1e-3 / 10**0.55


def test_lucky_jump_is_flagged_and_excluded():
    hits = synthetic_hits(20.0 * EPS**-0.8)
    # three starts jump to ||g|| < 1e-5 in their first step (x^6 from 0.9137, eta0 = 1)
    lucky = np.where(EPS > 1e-5, 1, 1 + np.round(3 * (EPS / 1e-5) ** -0.8)).astype(int)
    hits[:3] = lucky
    hits[:3, :2] = 0
    fit = fit_exponent(EPS, hits)
    assert fit.jump_detected
    assert {j.start for j in fit.jumps} == {0, 1, 2}
    assert fit.n_starts_used == N_STARTS - 3
    assert abs(fit.exponent - 0.8) <= EXPONENT_TOL


def test_all_starts_jumping_is_flagged_not_fitted_as_slope():
    lucky = np.where(EPS > 1e-5, 1, 1 + np.round(3 * (EPS / 1e-5) ** -0.8)).astype(int)
    fit = fit_exponent(EPS, np.tile(lucky, (4, 1)))
    assert fit.jump_detected and "jumps_in_most_starts" in fit.flags
    assert fit.eps_hi < 1e-5  # the plateau is not part of the window


def test_never_hit_and_short_windows():
    hits = synthetic_hits(5.0 * EPS**-1.0)
    hits[:, -10:] = -1  # the budget ran out
    fit = fit_exponent(EPS, hits)
    assert fit.eps_lo == EPS[-11] and abs(fit.exponent - 1.0) <= EXPONENT_TOL
    short = fit_exponent(EPS[:4], hits[:, :4] + 20)
    assert short.window_too_short
    nothing = fit_exponent(EPS, -np.ones((3, EPS.size), dtype=int))
    assert np.isnan(nothing.exponent) and "insufficient_data" in nothing.flags


def test_find_jumps_needs_a_decade():
    eps = np.logspace(0, -3, 7)  # half a decade per point
    hits = np.array([[1, 2, 2, 3, 4, 4, 4]])
    jumps = find_jumps(eps, hits)
    assert len(jumps) == 1 and jumps[0].iteration == 4 and jumps[0].ratio == pytest.approx(10)


def test_bootstrap_is_seeded():
    hits = synthetic_hits(5.0 * EPS**-1.2)
    assert fit_exponent(EPS, hits, seed=3) == fit_exponent(EPS, hits, seed=3)


def test_rejects_bad_grid():
    with pytest.raises(ValueError):
        fit_exponent(EPS[::-1], synthetic_hits(EPS**-1.0))


@pytest.mark.parametrize("a, b", [(2.0, 50.0), (1e-3, 10.0), (5.0, 0.0)])
def test_two_regime_recovers_coefficients(a, b):
    curve = a * EPS**-2 + b * EPS**-1
    # per-start factors with median exactly 1 (odd count, symmetric in log)
    factors = np.exp(np.linspace(-0.3, 0.3, 7))[:, None]
    fit = fit_two_regime(EPS, np.round(factors * curve))
    assert fit.a == pytest.approx(a, rel=0.02, abs=1e-6)
    # b * eps^-1 may absorb rounding of N at the largest eps (= 1): 2% of a there
    assert fit.b == pytest.approx(b, rel=0.02, abs=0.02 * a)
    if b > 0:
        assert fit.crossover_eps == pytest.approx(a / b, rel=0.05)
    else:  # pure eps^-2: the crossover lies far above the fitted range
        assert fit.crossover_eps > 10 * EPS.max()
    assert fit.relative_rms < 0.01


# ----------------------------------------------------------------------------- verdicts


def test_verdicts():
    from theory.verdict import check_bound, decide

    hits = synthetic_hits(5.0 * EPS**-1.0)
    fit = fit_exponent(EPS, hits)
    ok = check_bound(hits, 10.0 * EPS**-1.0 * 10, theorem="T3")
    assert ok.holds and 0 < ok.max_ratio < 1 and ok.n_checked == hits.size
    assert decide([ok], fit, predicted_exponent=1.0).verdict == "consistent"
    bad = check_bound(hits, 1.0 * EPS**-1.0, theorem="T3")
    assert not bad.holds and bad.max_ratio > 1
    assert decide([bad], fit, predicted_exponent=1.0).verdict == "violated"
    assert decide([ok], fit, predicted_exponent=0.5).verdict == "violated"
    assert decide([ok], fit, 1.0, statuses=["precision_floor"]).verdict == "inconclusive"
    short = fit_exponent(EPS[:4], hits[:, :4] + 20)
    assert decide([ok], short, 2.0).verdict == "inconclusive"
    never = check_bound(-np.ones(3), np.ones(3))
    assert never.n_checked == 0

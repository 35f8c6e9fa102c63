"""Tests of the estimators of the hypotheses (L, (L0, L1), Lojasiewicz, critical points,
boundedness)."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from scipy.optimize import linprog

from theory import estimators

CONSTANT_RTOL = 0.05
"""(L0, L1) on cosh must be recovered within 5% (issue 4)."""

THETA_TOL = 0.02
"""Lojasiewicz exponents within 0.02 (issue 4)."""


def gradient_descent(grad, x0, eta, n_iterations):
    """Fixed-step gradient descent on a scalar function (NumPy loop, not the engine)."""
    xs = np.empty(n_iterations + 1)
    xs[0] = x0
    for k in range(n_iterations):
        xs[k + 1] = xs[k] - eta * grad(xs[k])
    return xs


# ----------------------------------------------------------------------------- L


def test_estimate_L_is_a_labelled_lower_estimate():
    x = np.linspace(-2, 2, 101)
    estimate = estimators.estimate_L(12 * x**2, "[-2, 2], 101 points")
    assert estimate.value == pytest.approx(48.0)
    assert estimate.lower_estimate and estimate.sampled_on == "[-2, 2], 101 points"
    assert estimate.n_samples == 101
    with pytest.raises(ValueError):
        estimators.estimate_L([np.nan], "nothing")


# ----------------------------------------------------------------------------- (L0, L1)


@pytest.mark.parametrize("n_samples", [2001, 2000])  # with and without x = 0
def test_l0l1_recovers_cosh(n_samples):
    x = np.linspace(-5, 5, n_samples)
    front = estimators.l0l1_pareto_front(np.abs(np.sinh(x)), np.cosh(x),
                                         sampled_on="[-5, 5]")
    assert front.L0 == pytest.approx(1.0, rel=CONSTANT_RTOL)
    assert front.L1 == pytest.approx(1.0, rel=CONSTANT_RTOL)
    assert front.lower_estimate and front.sampled_on == "[-5, 5]"
    # ends of the front: L1 = 0 needs L0 = max hess
    assert front.vertices[0, 1] == 0 and front.vertices[0, 0] == pytest.approx(np.cosh(5))
    assert np.all(np.diff(front.vertices[:, 1]) > 0)
    assert np.all(np.diff(front.vertices[:, 0]) <= 0)


def _feasible(front_pairs, s, h):
    return np.all(h[None, :] <= (front_pairs[:, :1] + front_pairs[:, 1:] * s[None, :])
                  * (1 + 1e-9) + 1e-12, axis=1)


@pytest.mark.parametrize("seed", range(5))
def test_l0l1_front_is_exact_against_linprog(seed):
    rng = np.random.default_rng(seed)
    s = rng.exponential(2.0, 40)
    h = rng.uniform(0, 5, 40) + rng.uniform(0, 2) * s
    front = estimators.l0l1_pareto_front(s, h)
    assert np.all(_feasible(front.vertices, s, h))
    for L1 in np.linspace(0, front.vertices[-1, 1] * 1.2, 15):
        # least L0 at this L1 by linear programming: min L0 s.t. L0 >= h_i - L1 s_i, L0 >= 0
        result = linprog([1.0], A_ub=-np.ones((s.size, 1)), b_ub=-(h - L1 * s),
                         bounds=[(0, None)])
        assert front.min_L0(L1) == pytest.approx(result.x[0], abs=1e-8)
    for eps in [1e-3, 1.0, 10.0]:
        chosen = estimators.l0l1_pareto_front(s, h, eps=eps)
        result = linprog([1.0, eps], A_ub=-np.vstack([np.ones_like(s), s]).T, b_ub=-h,
                         bounds=[(0, None), (0, None)])
        assert chosen.L0 + eps * chosen.L1 == pytest.approx(result.fun, rel=1e-9, abs=1e-9)


def test_l0l1_front_reaches_zero_L0_when_no_sample_at_zero_gradient():
    s = np.array([1.0, 2.0, 4.0])
    h = np.array([3.0, 4.0, 5.0])
    front = estimators.l0l1_pareto_front(s, h)
    assert front.vertices[-1, 0] == 0 and front.vertices[-1, 1] == pytest.approx(3.0)


def test_l0l1_of_quartic_is_feasible_and_near_the_analytic_pair():
    x = np.linspace(-3, 3, 3001)
    s, h = np.abs(4 * x**3), 12 * x**2
    front = estimators.l0l1_pareto_front(s, h, eps=1e-3)
    # analytic: with L1 = 3 the least L0 is 16/9
    assert front.min_L0(3.0) == pytest.approx(16 / 9, rel=1e-3)
    assert np.all(h <= front.L0 + front.L1 * s + 1e-9)


# ----------------------------------------------------------------------------- Lojasiewicz


@pytest.mark.parametrize("power, expected", [(2, 1 / 2), (4, 3 / 4), (6, 5 / 6)])
def test_lojasiewicz_theta_on_monomials(power, expected):
    xs = gradient_descent(lambda x: power * x ** (power - 1), 0.9, 0.05, 20000)
    estimate = estimators.lojasiewicz_theta(xs**power, np.abs(power * xs ** (power - 1)),
                                            f_limit=0.0, sampled_on="GD tail")
    assert abs(estimate.theta - expected) <= THETA_TOL
    assert estimate.ci_low - 1e-9 <= expected <= estimate.ci_high + 1e-9
    assert estimate.C == pytest.approx(1 / power, rel=1e-6)  # |x|^(p-1) = ||g|| / p
    assert estimate.lower_estimate and not estimate.f_limit_estimated


@pytest.mark.parametrize("f, grad, f_star, expected", [
    (lambda x: x**4 + x**5, lambda x: 4 * x**3 + 5 * x**4, 0.0, 3 / 4),
    (lambda x: np.cosh(x) - 1, np.sinh, 0.0, 1 / 2),
    (lambda x: x**2 + x**4 + 3, lambda x: 2 * x + 4 * x**3, 3.0, 1 / 2),
])
def test_lojasiewicz_theta_with_pre_asymptotic_terms(f, grad, f_star, expected):
    xs = gradient_descent(grad, 0.5, 0.05, 40000)
    estimate = estimators.lojasiewicz_theta(f(xs), np.abs(grad(xs)), f_limit=f_star)
    assert abs(estimate.theta - expected) <= THETA_TOL


def test_lojasiewicz_f_limit_estimated_under_linear_convergence():
    xs = gradient_descent(lambda x: 2 * x + 4 * x**3, 1.5, 0.05, 2000)
    estimate = estimators.lojasiewicz_theta(xs**2 + xs**4 + 3, np.abs(2 * xs + 4 * xs**3))
    assert estimate.f_limit_estimated
    assert estimate.f_limit == pytest.approx(3.0, abs=1e-9)
    assert abs(estimate.theta - 0.5) <= THETA_TOL


# ----------------------------------------------------------------------------- critical points


def test_critical_points_univariate():
    x = sp.Symbol("x")
    points = estimators.critical_points(x**4 - 2 * x**2, [x])
    assert [(p.point, p.value, p.kind) for p in points] == [
        ((-1.0,), -1.0, "minimum"), ((1.0,), -1.0, "minimum"), ((0.0,), 0.0, "maximum")]
    degenerate = estimators.critical_points(x**4, [x])
    assert len(degenerate) == 1 and degenerate[0].kind == "degenerate"
    assert estimators.critical_points(x**2 + 1, [x])[0].value == 1.0
    assert estimators.critical_points(x**3 + x, [x]) == ()  # no real critical point


def test_critical_points_of_single_neuron_poly_two():
    """R(w, b) = 1/2 [a(b)^2 + a(w + b)^2], a(z) = z^2 - 1: in (u, v) = (b, w + b) the
    critical points are the pairs of zeros of a a' = 2 z (z^2 - 1): 3 x 3 = 9 points."""
    w, b = sp.symbols("w b")
    activation = lambda z: z**2 - 1  # noqa: E731
    risk = sp.Rational(1, 2) * (activation(b) ** 2 + activation(w + b) ** 2)
    points = estimators.critical_points(risk, [w, b])
    assert len(points) == 9
    kinds = [p.kind for p in points]
    assert kinds.count("minimum") == 4 and kinds.count("maximum") == 1
    assert kinds.count("saddle") == 4
    assert sorted({round(p.value, 12) for p in points}) == [0.0, 0.5, 1.0]


def test_critical_points_rejects_non_isolated_and_non_polynomial():
    x, y = sp.symbols("x y")
    with pytest.raises(ValueError):
        estimators.critical_points((x + y) ** 2, [x, y])
    with pytest.raises(ValueError):
        estimators.critical_points(sp.cos(x), [x])


# ----------------------------------------------------------------------------- boundedness


def test_boundedness_rule():
    k = np.arange(5000)
    escaping = (k + 1.0) ** (1 / 3)  # (1 + x^2)^(-1/2): x_k ~ k^(1/3)
    converging = 1 + 1 / (k + 1.0)
    circling = 2 + 0.1 * np.sin(k)  # Mexican hat: bounded, never converging
    estimate = estimators.iterates_bounded(np.vstack([escaping, converging, circling]).T)
    assert estimate.bounded.tolist() == [False, True, True]
    assert estimate.growth_rate[0] == pytest.approx(1 / 3, abs=0.01)
    assert estimate.radius[0] == pytest.approx(escaping.max())
    assert "last half" in estimate.rule
    diverged = estimators.iterates_bounded(np.array([1.0, 2.0, np.inf]))
    assert not diverged.bounded[0]

"""The tuning-free rivals of Armijo (SCIENCE.md section 9) against closed forms and against an
independent scalar re-implementation of each paper's rule: ``polyak``, ``polyak-level``,
``adgd``, ``l0l1-gd``, ``normalized-gd-decay``."""

import math

import numpy as np
import pytest

from armijo import minimize
from numerics import assert_ulps_close
from test_engine import quartic_f, quartic_grad

#: The re-implementations below sum squares left to right from 0, which for rows shorter than 8 is
#: NumPy's order too, and evaluate f and grad with the same NumPy expressions: they should agree
#: bit for bit; 64 ulps leave room for a SIMD kernel that rounds an array of one row differently,
#: an ulp that the level rule's difference f(x_k) - (record - delta) can amplify by cancellation.
REIMPLEMENTED_ULPS = 64

L = 3.0  # curvature of the quadratic


def quadratic_f(X):
    return 0.5 * L * np.sum(X**2, axis=1)


def quadratic_grad(X):
    return L * X


def _point_f(x):
    return float(quartic_f(np.array([x]))[0])


def _point_grad(x):
    return quartic_grad(np.array([x]))[0]


def _squared_norm(v):
    return sum(float(c) * float(c) for c in v)


def _norm(v):
    return math.sqrt(_squared_norm(v))


def every_iteration(algorithm, x0, *, f=quartic_f, grad=quartic_grad, max_iter=300, eps=(1e-12,), **params):
    return minimize(f, grad, np.atleast_2d(x0), algorithm, eps=list(eps), max_iter=max_iter, trace=True,
                    trace_per_decade=max_iter + 1, **params)


# -- polyak ------------------------------------------------------------------------------------


def test_polyak_halves_a_quadratic_exactly():
    """On (L/2)||x||^2 with f* = 0 the Polyak step is (L/2 ||x||^2) / (L^2 ||x||^2) = 1/(2L): x_{k+1} = x_k / 2."""
    x0 = np.array([[2.0, -1.0], [0.75, 0.5]])
    result = every_iteration("polyak", x0, f=quadratic_f, grad=quadratic_grad, eps=(1e-1, 1e-6), f_star=0.0)
    assert (result.status == "converged").all()
    trace = result.trace
    for b in range(2):
        k = result.iterations[b]
        assert np.allclose(trace.step[1:k + 1, b], 1 / (2 * L), rtol=1e-15, atol=0)
        assert np.allclose(result.x[b], x0[b] / 2.0**k, rtol=1e-14, atol=0)
        # one f and one grad per iterate: f(x0), then f(x_k) after every step
        assert result.f_evals[b] == result.grad_evals[b] == 1 + k


def test_polyak_matches_the_rule_on_a_quartic():
    x0 = [1.3, -0.7]
    result = every_iteration("polyak", x0, f_star=0.0, eps=(1e-2, 1e-6))
    x = np.array(x0)
    for k in range(result.iterations[0]):
        g = _point_grad(x)
        step = (_point_f(x) - 0.0) / _squared_norm(g)
        assert_ulps_close(result.trace.step[k + 1, 0], step, REIMPLEMENTED_ULPS, "the Polyak step rebuilt in Python")
        x = x - step * g
    assert_ulps_close(result.x[0], x, REIMPLEMENTED_ULPS, "iterate rebuilt from the Polyak rule")
    assert result.iterations[0] > 5


def test_polyak_names_a_wrong_or_exhausted_f_star():
    # f_star above f(x0): the step would climb
    result = minimize(quadratic_f, quadratic_grad, np.array([[1.0]]), "polyak", f_star=10.0)
    assert result.status.tolist() == ["step_underflow"] and result.iterations.tolist() == [0]
    # f_star = f(x0) exactly: no gap to step by
    result = minimize(quadratic_f, quadratic_grad, np.array([[1.0]]), "polyak", f_star=1.5)
    assert result.status.tolist() == ["precision_floor"]
    # f* = 1 far from 0: the gap f - f* reaches the ulps of f ~ 1 before ||g|| reaches 1e-12
    shifted = minimize(lambda X: 1.0 + np.sum(X**4, axis=1), lambda X: 4 * X**3, np.array([[0.7]]), "polyak",
                       f_star=1.0, eps=[1e-2, 1e-12], max_iter=10**5)
    assert shifted.status.tolist() == ["precision_floor"]
    assert shifted.eps_hits[0, 0] > 0 and shifted.eps_hits[0, 1] == -1
    assert shifted.f[0] - 1.0 <= 4 * np.spacing(1.0)


# -- polyak-level ------------------------------------------------------------------------------


def test_polyak_level_follows_its_estimate_of_f_star():
    """Rebuild the level rule: level = record - delta, delta_0 = eta0 ||g_0||^2, delta *= rho on half-target success."""
    eta0, rho, beta = 0.05, 1.5, 0.5
    x0 = [1.3, -0.7]
    result = every_iteration("polyak-level", x0, eta0=eta0, rho=rho, beta=beta, eps=(1e-2, 1e-6))
    x = np.array(x0)
    fx = _point_f(x)
    record, delta = fx, eta0 * _squared_norm(_point_grad(x))
    successes = failures = 0
    for k in range(result.iterations[0]):
        g = _point_grad(x)
        step = (fx - (record - delta)) / _squared_norm(g)
        if k == 0:
            assert step == pytest.approx(eta0, rel=1e-14)  # delta_0 makes the first step eta0
        assert_ulps_close(result.trace.step[k + 1, 0], step, REIMPLEMENTED_ULPS, "the level step rebuilt in Python")
        x = x - step * g
        fx = _point_f(x)
        if fx <= record - 0.5 * delta:
            delta, successes = rho * delta, successes + 1
        else:
            delta, failures = beta * delta, failures + 1
        record = min(record, fx)
    assert_ulps_close(result.x[0], x, REIMPLEMENTED_ULPS, "iterate rebuilt from the level rule")
    assert result.status[0] == "converged" and successes > 3 and failures > 3
    assert result.f_evals[0] == result.grad_evals[0] == 1 + result.iterations[0]


# -- adgd --------------------------------------------------------------------------------------


def test_adgd_reads_the_curvature_of_a_quadratic():
    """On (L/2)||x||^2, g_k - g_{k-1} = L (x_k - x_{k-1}): every step after the first is 1/(2L)."""
    result = every_iteration("adgd", np.array([[2.0, -1.0]]), f=quadratic_f, grad=quadratic_grad, eta0=1e-3,
                             eps=(1e-1, 1e-8))
    steps = result.trace.step[1:result.iterations[0] + 1, 0]
    assert steps[0] == 1e-3
    assert np.allclose(steps[1:], 1 / (2 * L), rtol=1e-12, atol=0)
    assert result.status[0] == "converged"
    # no f along the way (AdGD uses gradients only): f(x0), the trace points, and the last iterate
    assert result.grad_evals[0] == 1 + result.iterations[0]


def test_adgd_matches_malitsky_mishchenko_algorithm_1():
    """lam_k = min(sqrt(1 + th_{k-1}) lam_{k-1}, ||x_k - x_{k-1}|| / (2 ||g_k - g_{k-1}||)), th_k = lam_k/lam_{k-1}."""
    x0, eta0 = [3.0, -2.0], 1.0  # a first step far too long: the growth term binds afterwards
    result = every_iteration("adgd", x0, eta0=eta0, eps=(1e-2, 1e-8), max_iter=400)
    x_previous = np.array(x0)
    g_previous = _point_grad(x_previous)
    lam_previous, theta = eta0, math.inf
    x = x_previous - lam_previous * g_previous
    grew = curved = 0
    for k in range(1, result.iterations[0]):
        g = _point_grad(x)
        growth = math.sqrt(1 + theta) * lam_previous
        curvature = _norm(x - x_previous) / (2 * _norm(g - g_previous))
        lam = min(growth, curvature)
        grew, curved = grew + (growth < curvature), curved + (curvature <= growth)
        assert_ulps_close(result.trace.step[k + 1, 0], lam, REIMPLEMENTED_ULPS, "AdGD's step rebuilt in Python")
        theta, lam_previous = lam / lam_previous, lam
        x_previous, g_previous = x, g
        x = x - lam * g
    assert_ulps_close(result.x[0], x, REIMPLEMENTED_ULPS, "iterate rebuilt from Algorithm 1")
    assert grew > 0 and curved > 0  # both terms of the min were active


# -- l0l1-gd and normalized-gd-decay -----------------------------------------------------------


def test_l0l1_step_is_eta_over_l0_plus_l1_gradient_norm():
    eta, L0, L1 = 0.5, 4.0, 3.0
    result = every_iteration("l0l1-gd", [[10.0], [-0.3]], f=lambda X: np.sum(X**4, axis=1),
                             grad=lambda X: 4 * X**3, eta=eta, L0=L0, L1=L1, max_iter=200)
    trace = result.trace
    for b in range(2):
        k = result.iterations[b]
        expected = eta / (L0 + L1 * trace.grad_norm[:k, b])
        assert np.array_equal(trace.step[1:k + 1, b], expected)  # the same operations: exact
    # from x0 = 10 (||g|| = 4000) the first step moves x by about eta / L1 = 1/6 (clipping-like)
    assert abs(trace.x[1, 0, 0] - 10.0) == pytest.approx(eta * 4000 / (L0 + L1 * 4000), rel=1e-12)


def test_l0l1_step_and_clipping_agree_within_a_factor_two():
    """clipped-gd with eta = 1/L0, gamma = L0/L1 takes min(1/L0, 1/(L1 ||g||)) in [1, 2] x 1/(L0 + L1 ||g||)."""
    L0, L1 = 4.0, 3.0
    x0 = [[10.0], [1.0], [0.05]]
    common = dict(f=lambda X: np.sum(X**4, axis=1), grad=lambda X: 4 * X**3, max_iter=1)
    smooth = every_iteration("l0l1-gd", x0, L0=L0, L1=L1, **common)
    clipped = every_iteration("clipped-gd", x0, eta=1 / L0, gamma=L0 / L1, **common)
    ratio = clipped.trace.step[1] / smooth.trace.step[1]
    assert ((ratio >= 1.0) & (ratio <= 2.0)).all()


def test_normalized_gd_decay_moves_by_r_over_sqrt_k_plus_one():
    R = 0.7
    result = every_iteration("normalized-gd-decay", [[5.0, -2.0]], R=R, max_iter=50)
    x = result.trace.x[:, 0]
    moved = np.linalg.norm(np.diff(x, axis=0), axis=1)
    k = np.arange(moved.size)
    assert np.allclose(moved, R / np.sqrt(k + 1), rtol=1e-12, atol=0)
    assert np.array_equal(result.trace.step[1:, 0], R / np.sqrt(k + 1))


def test_normalized_gd_decay_reaches_the_minimiser_in_one_step_when_r_is_the_distance():
    """Vankov et al.: on (1/p)||x||^p with R = ||x0 - x*|| the first step lands on x* = 0 (their special case)."""
    x0 = np.array([[3.0, 4.0]])
    result = minimize(lambda X: np.sum(X**2, axis=1) ** 2 / 4, lambda X: np.sum(X**2, axis=1)[:, None] * X, x0,
                      "normalized-gd-decay", R=5.0, eps=[1e-9])
    assert result.status.tolist() == ["converged"] and result.iterations.tolist() == [1]
    assert np.abs(result.x).max() < 1e-15

"""Local smoothness along a run and its (L0, L1) envelope (theory/smoothness.py), on cases with known truth:
a quadratic (the secant and the Hessian-vector product are ||A d|| / ||d||), and synthetic clouds whose
conditional quantile is a known line, with growth (L1 > 0) and without (L1 = 0: no false alarm)."""

import numpy as np
import pytest

from theory.smoothness import TINY_STEP, l0l1_envelope, local_smoothness, quantile_line

#: Relative tolerance of the fitted envelope against the known quantile line (4000 points).
ENVELOPE_RTOL = 0.1


def _quadratic():
    A = np.diag([1.0, 4.0, 9.0])
    return A, (lambda X: np.atleast_2d(X) @ A)


def test_secant_and_hessian_vector_product_on_a_quadratic():
    A, grad = _quadratic()
    X = np.array([[1.0, 1.0, 1.0], [0.5, -2.0, 0.1], [1.0, 0.0, 0.0]])
    steps = np.array([[0.1, 0.0, 0.0], [0.0, 0.0, 0.3], [0.0, 0.0, 0.0]])
    X_next = X + steps
    X_next[2] = np.nan  # no next iterate: measured along -grad f
    measured = local_smoothness(grad, X, X_next)
    expected_secant = np.linalg.norm(steps[:2] @ A, axis=1) / np.linalg.norm(steps[:2], axis=1)
    np.testing.assert_allclose(measured.smoothness[:2], expected_secant, rtol=1e-12)
    g = X[2] @ A
    assert measured.smoothness[2] == pytest.approx(np.linalg.norm(g @ A) / np.linalg.norm(g), rel=1e-8)
    assert measured.by_hvp.tolist() == [False, False, True]
    np.testing.assert_allclose(measured.grad_norm, np.linalg.norm(X @ A, axis=1))
    # a step below the rounding threshold is measured by the product along the step itself
    tiny = local_smoothness(grad, X[:1], X[:1] + [[0.0, TINY_STEP * 1e-3, 0.0]])
    assert tiny.by_hvp.tolist() == [True] and tiny.smoothness[0] == pytest.approx(4.0, rel=1e-8)


def _cloud(L0, L1, points=4000, runs=20, seed=0):
    """``y = (L0 + L1 x) U`` with ``U ~ Uniform(0, 1)``: its conditional q-quantile is ``q (L0 + L1 x)``."""
    rng = np.random.default_rng(seed)
    x = 10.0 ** rng.uniform(-3, 1, size=points)
    y = (L0 + L1 * x) * rng.uniform(size=points)
    return x, y, rng.integers(0, runs, size=points)


def test_the_envelope_recovers_a_known_quantile_line_and_sees_the_growth():
    x, y, runs = _cloud(2.0, 5.0)
    envelope = l0l1_envelope(x, y, runs, quantile=0.9, resamples=100)
    assert envelope.L0 == pytest.approx(0.9 * 2.0, rel=ENVELOPE_RTOL)
    assert envelope.L1 == pytest.approx(0.9 * 5.0, rel=ENVELOPE_RTOL)
    assert envelope.L1_interval[0] <= 0.9 * 5.0 <= envelope.L1_interval[1]
    assert envelope.L1_interval[0] > 0  # the growth with ||g|| is seen
    assert envelope.covered == pytest.approx(0.9, abs=0.02)
    assert envelope.largest == y.max() and envelope.runs == 20 and envelope.points == 4000


def test_no_growth_is_not_reported_as_growth():
    x, y, runs = _cloud(3.0, 0.0, seed=1)
    envelope = l0l1_envelope(x, y, runs, quantile=0.9, resamples=100)
    assert envelope.L0 == pytest.approx(0.9 * 3.0, rel=ENVELOPE_RTOL)
    assert envelope.L1_interval[0] == 0.0  # the interval holds L1 = 0
    assert envelope.L1 * x.max() < 0.1 * envelope.L0  # the slope adds little over the whole range


def test_quantile_line_is_the_least_pinball_loss():
    x, y, _ = _cloud(1.0, 2.0, points=300, seed=2)
    L0, L1 = quantile_line(x, y, 0.95)

    def loss(a, b):
        r = y - a - b * x
        return np.sum(np.maximum(0.95 * r, -0.05 * r))

    best = loss(L0, L1)
    rng = np.random.default_rng(3)
    for a, b in np.abs(np.column_stack([L0, L1]) * (1 + 0.2 * rng.standard_normal((200, 2)))):
        assert best <= loss(a, b) + 1e-9


def test_envelope_refuses_bad_input():
    with pytest.raises(ValueError, match="same shape"):
        l0l1_envelope([1.0, 2.0], [1.0], [0, 0])
    with pytest.raises(ValueError, match="at least two finite points"):
        l0l1_envelope([1.0, np.nan], [1.0, 2.0], [0, 0])
    with pytest.raises(ValueError, match="quantile and level"):
        l0l1_envelope([1.0, 2.0], [1.0, 2.0], [0, 0], quantile=1.5)

"""A start run alone (B = 1) against its row in a batched run: batching changes nothing.

The engine has one loop; a batch keeps the running starts in compact arrays and drops the
ones that stop, so this checks that bookkeeping. ``tests/test_engine.py`` compares with traces
on; here without traces
proper), in five dimensions, and for every status a start can end with.
"""

import numpy as np
import pytest

from armijo import minimize
from numerics import assert_same_run

#: See tests/test_engine.py: a row alone and in a batch goes through the same IEEE operations
#: (no BLAS), bit for bit on every machine tried; 2 ulps allow a SIMD kernel that rounds an
#: array of one row differently from a longer array.
BATCHED_VS_SINGLE_ULPS = 2

ALGORITHMS = ["armijo", "armijo-memory", "armijo-increase", "armijo-dichotomy", "armijo-normalized",
              "gd", "clipped-gd", "normalized-gd", "adam"]


def coupled_f(X):
    return np.sum(X**4, axis=1) + 0.3 * np.sum(X[:, :-1] * X[:, 1:], axis=1) ** 2


def coupled_grad(X):
    inner = np.sum(X[:, :-1] * X[:, 1:], axis=1)[:, None]
    G = 4 * X**3
    G[:, :-1] += 0.6 * inner * X[:, 1:]
    G[:, 1:] += 0.6 * inner * X[:, :-1]
    return G


def assert_rows_equal(batched, f, grad, x0, algorithm, **kwargs):
    for b in range(x0.shape[0]):
        single = minimize(f, grad, x0[b], algorithm, **kwargs)
        assert_same_run(batched, single, index_first=b, index_second=0, max_ulps=BATCHED_VS_SINGLE_ULPS,
                        why="a start in a batch against the same start alone", label=f"{algorithm} start {b}")


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_single_start_equals_batched_row(algorithm):
    rng = np.random.default_rng(5)
    x0 = rng.uniform(-1.5, 1.5, size=(5, 5))
    x0[1] = 0.0
    kwargs = dict(eps=np.logspace(-1, -6, 11), max_iter=300)
    batched = minimize(coupled_f, coupled_grad, x0, algorithm, **kwargs)
    assert_rows_equal(batched, coupled_f, coupled_grad, x0, algorithm, **kwargs)


@pytest.mark.parametrize("case", ["diverged", "precision_floor", "step_underflow", "non_finite", "min_f"])
def test_single_start_statuses_equal_batched(case):
    if case == "diverged":
        f, grad, x0, kwargs = (lambda X: -np.sum(X**2, axis=1)), (lambda X: -2 * X), np.array([[0.3, 0.1], [-1.0, 2.0]]), {}
    elif case == "min_f":
        f, grad, x0, kwargs = (lambda X: -np.sum(X**2, axis=1)), (lambda X: -2 * X), np.array([[0.3, 0.1]]), dict(min_f=-1e6)
    elif case == "precision_floor":
        f, grad, x0, kwargs = (lambda X: 1.0 + np.sum(X**4, axis=1)), (lambda X: 4 * X**3), \
            np.array([[0.7, 0.2], [-1.1, 0.5]]), dict(eta0=4.0, eps=np.logspace(-2, -10, 9), max_iter=10**6)
    elif case == "step_underflow":
        f, grad, x0, kwargs = (lambda X: X[:, 0] - 1e6), (lambda X: -np.ones_like(X)), np.array([[1e6, 1.0], [3.0, 2.0]]), {}
    else:
        f, grad, x0, kwargs = (lambda X: np.sum(X**2, axis=1)), (lambda X: np.where(X > 2, np.nan, 2 * X)), \
            np.array([[-1.5, 0.3], [0.5, 0.1]]), {}
    algorithm = "gd" if case == "non_finite" else "armijo"
    if case == "non_finite":
        kwargs = dict(eta=1.8)
    batched = minimize(f, grad, x0, algorithm, **kwargs)
    expected = "diverged" if case == "min_f" else case
    assert expected in batched.status.tolist()
    assert_rows_equal(batched, f, grad, x0, algorithm, **kwargs)

"""The engine layer's entry points that every caller shares: the eps grid (armijo/thresholds.py) and
the backend choice (armijo/backend.py), on objectives whose answer is known."""

import numpy as np
import pytest

from armijo.backend import BACKENDS, backend_choice, run_minimize
from armijo.thresholds import eps_grid


def test_eps_grid_is_decreasing_and_log_spaced():
    grid = eps_grid(1e-2, 1e-8, 4)
    assert len(grid) == 25 and grid[0] == pytest.approx(1e-2) and grid[-1] == pytest.approx(1e-8)
    assert all(a > b for a, b in zip(grid, grid[1:]))
    assert np.allclose(np.diff(np.log10(grid)), -0.25)
    assert eps_grid(1e-3, 1e-3, 4) == (1e-3,)


@pytest.mark.parametrize("arguments", [(1e-8, 1e-2, 4), (1e-2, 0.0, 4), (1e-2, -1e-8, 4), (float("nan"), 1e-8, 4),
                                       (1e-2, 1e-8, 0), (1e-2, 1e-8, 2.5), (1e-2, 1e-8, True)])
def test_eps_grid_refuses_what_is_not_a_grid(arguments):
    with pytest.raises(ValueError):
        eps_grid(*arguments)


class _Quadratic:
    """x^2 / 2 with kernels that either exist (a sentinel object) or say why they do not."""

    name = "x^2/2"

    def __init__(self, kernels=None, reason="no kernel here"):
        self._kernels, self._reason = kernels, reason
        self.calls = 0

    @staticmethod
    def f(X):
        return 0.5 * np.sum(np.asarray(X) ** 2, axis=1)

    @staticmethod
    def grad(X):
        return np.asarray(X, dtype=float)

    def kernels(self):
        self.calls += 1
        if self._kernels is None:
            raise ValueError(self._reason)
        return self._kernels


def test_backend_choice_reads_the_objective_and_says_why():
    without = _Quadratic(reason="numeric entry, no kernel")
    choice = backend_choice(without)
    assert (choice.backend, choice.reason, choice.kernels) == ("numpy", "numeric entry, no kernel", None)
    with pytest.raises(ValueError, match="cannot run x\\^2/2: numeric entry, no kernel"):
        backend_choice(without, "compiled")
    sentinel = object()
    chosen = backend_choice(_Quadratic(kernels=sentinel))
    assert chosen.backend == "compiled" and chosen.kernels is sentinel
    assert backend_choice(_Quadratic(kernels=sentinel), "compiled").reason == "requested"


def test_numpy_backend_never_asks_for_kernels_and_unknown_names_are_refused():
    objective = _Quadratic(kernels=object())
    assert backend_choice(objective, "numpy").backend == "numpy" and objective.calls == 0
    with pytest.raises(ValueError, match="backend must be one of"):
        backend_choice(objective, "fortran")
    assert BACKENDS == ("auto", "compiled", "numpy")


def test_run_minimize_runs_the_reference_engine_without_kernels():
    result = run_minimize(_Quadratic(), [[1.0], [-2.0]], "armijo", eps=[1e-6], max_iter=1000)
    assert result.backend == "numpy" and result.status.tolist() == ["converged", "converged"]

"""Result records of a run: named statuses, per-start arrays, an optional trace."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Why a start stopped.  Every start ends with exactly one of these.
STATUSES = (
    "converged",        # ||g_k|| <= the smallest eps of the grid
    "max_iter",         # the iteration budget ran out
    "step_underflow",   # backtracking reached a trial point equal to x_k (or below eta_min)
    "precision_floor",  # the Armijo test fell below the floating-point resolution of f
    "non_finite",       # f or grad is not finite at the current iterate
    "diverged",         # ||x_k|| above max_norm, or f_k below min_f
    "noise_floor",      # an Armijo decision within the evaluation noise of f (armijo.linesearch)
)

#: The statuses of a start stopped at a floor: past it the Armijo test is decided by rounding, so the
#: thresholds it did not reach are censored (no count), never measured.
FLOOR_STATUSES = ("precision_floor", "noise_floor")


@dataclass(frozen=True)
class Trace:
    """Thinned per-iteration history of a run, for plots.

    Attributes
    ----------
    iteration : ndarray, shape (T,)
        Iteration indices ``k`` that were recorded (log-spaced, always including 0).
    step : ndarray, shape (T, B)
        Accepted step ``eta_{k-1}`` that led to ``x_k`` (nan at ``k = 0`` and for
        baselines where no step is accepted by a test, the step actually used).
    f : ndarray, shape (T, B)
        ``f(x_k)``.
    grad_norm : ndarray, shape (T, B)
        ``||grad f(x_k)||``.
    x_norm : ndarray, shape (T, B)
        ``||x_k||``.
    f_evals : ndarray, shape (T, B)
        Function evaluations spent up to and including iterate ``k``.
    x : ndarray, shape (T, B, n)
        The iterates ``x_k`` themselves (the region a run visited).

    Entries after a start has stopped are nan (``f_evals``: -1).
    """

    iteration: np.ndarray
    step: np.ndarray
    f: np.ndarray
    grad_norm: np.ndarray
    x_norm: np.ndarray
    f_evals: np.ndarray
    x: np.ndarray


@dataclass(frozen=True)
class RunResult:
    """Outcome of one batched run: one entry per start in every per-start array.

    Attributes
    ----------
    algorithm : str
        Algorithm name.
    params : dict
        Every algorithm parameter the run used (defaults filled).
    first_trial : str
        First-trial policy of the variant (empty for baselines).
    eps : ndarray, shape (m,)
        Decreasing thresholds ``eps_1 > ... > eps_m``.
    max_iter : int
        Iteration budget.
    status : ndarray of str, shape (B,)
        One of :data:`STATUSES` per start.
    iterations : ndarray of int, shape (B,)
        Accepted steps taken before stopping.
    f_evals, grad_evals : ndarray of int, shape (B,)
        Oracle calls per start (``f(x_0)`` included; one ``f`` evaluation per
        Armijo trial).
    backtracks : ndarray of int, shape (B,)
        Rejected Armijo trials per start.
    eps_hits : ndarray of int, shape (B, m)
        First iteration ``k`` with ``||grad f(x_k)|| <= eps_j``; -1 if never.
    eps_hit_f_evals, eps_hit_grad_evals : ndarray of int, shape (B, m)
        Oracle counts at that iteration; -1 if never.
    x : ndarray, shape (B, n)
        Last iterate.
    f, grad_norm : ndarray, shape (B,)
        ``f`` and ``||grad f||`` at the last iterate (nan where never evaluated).
    f_initial, grad_norm_initial : ndarray, shape (B,)
        The same at the start.
    step : ndarray, shape (B,)
        Last accepted step (nan if none).
    trace : Trace or None
        Thinned history when requested.
    backend : str
        ``"numpy"`` (the reference engine, :func:`armijo.minimize`) or ``"compiled"``
        (the Numba loop of :mod:`armijo.compiled`): which code ran.
    """

    algorithm: str
    params: dict
    first_trial: str
    eps: np.ndarray
    max_iter: int
    status: np.ndarray
    iterations: np.ndarray
    f_evals: np.ndarray
    grad_evals: np.ndarray
    backtracks: np.ndarray
    eps_hits: np.ndarray
    eps_hit_f_evals: np.ndarray
    eps_hit_grad_evals: np.ndarray
    x: np.ndarray
    f: np.ndarray
    grad_norm: np.ndarray
    f_initial: np.ndarray
    grad_norm_initial: np.ndarray
    step: np.ndarray
    trace: Trace | None = None
    backend: str = "numpy"

    @property
    def starts(self):
        """Number of starts ``B``."""
        return int(self.status.shape[0])

    def status_counts(self):
        """Count of starts per status, every status of :data:`STATUSES` listed."""
        return {name: int(np.count_nonzero(self.status == name)) for name in STATUSES}

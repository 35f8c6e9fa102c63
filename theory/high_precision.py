"""Reference runs in extended precision: the counts a run makes when rounding decides nothing.

Setting
-------
A float64 run stops at the noise floor (status ``noise_floor``, :mod:`armijo.linesearch`) as
soon as an Armijo decision falls within the evaluation noise of ``f``; its counts before that
point are claimed to be measurements of the function, not of its rounding.  This module
checks the claim: it runs the same Armijo variant on the exact expression in ``dps``
significant digits with mpmath (noise about ``10**-dps`` instead of ``10**-16``), from the same
start, and returns the first hitting iterations and the evaluation counts there.  Where the
float64 run's counts before its stop equal the reference's, no decision before the stop was
decided by rounding.

Algorithm
---------
The Armijo variants of SCIENCE.md section 2 exactly as :mod:`armijo.engine` defines them
(first trial policy, ``MAX_FIRST_TRIAL``, backtracking by ``f1``, the dichotomy's geometric
midpoints, the normalized direction), with the same counting: ``f(x_0)`` plus one
evaluation per Armijo trial.  The oracles are the SymPy expression as written (not its
rewritten form) and its gradient, evaluated by mpmath.  Slow (tens of microseconds per
evaluation): for runs of up to some 10^4 iterations.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from armijo.engine import MAX_FIRST_TRIAL, validate_run
from armijo.linesearch import dichotomy_rounds

_MAX_NORM = 1e15
_MIN_F = -1e100


@dataclass(frozen=True)
class ReferenceRun:
    """One start run in extended precision.

    Attributes
    ----------
    status : str
        ``converged`` (smallest eps reached), ``max_iter``, ``non_finite`` or ``diverged``
        (``||x_k|| > 1e15`` or ``f(x_k) < -1e100``, the engine's defaults).
    iterations : int
        Accepted steps taken.
    eps_hits, eps_hit_f_evals : ndarray of int, shape (m,)
        First iteration with ``||g|| <= eps_j`` and the function evaluations spent up to it
        (-1 if never), as in :class:`armijo.result.RunResult`.
    dps : int
        Decimal digits of the arithmetic.
    """

    status: str
    iterations: int
    eps_hits: np.ndarray
    eps_hit_f_evals: np.ndarray
    dps: int


def reference_run(expression, symbols, x0, algorithm="armijo", *, eps, max_iter, dps=40, **params):
    """Run an Armijo variant on ``expression`` from ``x0`` in ``dps``-digit arithmetic.

    Parameters
    ----------
    expression : sympy.Expr
        The objective, in ``symbols``.
    symbols : sequence of sympy.Symbol
        Its variables, in the order of ``x0``.
    x0 : array_like, shape (n,)
        The start (float64 values, taken exactly).
    algorithm : str
        An Armijo variant (``armijo``, ``armijo-memory``, ``armijo-increase``,
        ``armijo-dichotomy``, ``armijo-normalized``).
    eps : sequence of float
        Decreasing thresholds, as for :func:`armijo.minimize`.
    max_iter : int
        Iteration budget (typically the float64 run's iterations: the comparison needs no more).
    dps : int
        Decimal digits.
    **params
        The algorithm's parameters (defaults of :mod:`armijo.params` filled).

    Returns
    -------
    ReferenceRun

    Raises
    ------
    ValueError
        For an algorithm without a line search, or the arguments :func:`armijo.minimize` refuses.
    """
    import mpmath
    import sympy

    spec, resolved, X, thresholds, max_iter = validate_run(algorithm, params, x0, eps, max_iter, _MAX_NORM, 0.0, 4.0)
    if not spec.line_search:
        raise ValueError(f"reference_run runs the Armijo variants, not {algorithm}")
    symbols = tuple(symbols)
    gradient = [sympy.diff(expression, symbol) for symbol in symbols]
    m = thresholds.size
    hits = np.full(m, -1, dtype=np.int64)
    hit_evals = np.full(m, -1, dtype=np.int64)
    with mpmath.workdps(dps):
        f = sympy.lambdify(symbols, expression, modules="mpmath")
        grad = sympy.lambdify(symbols, gradient, modules="mpmath")
        lam, f1, eta0 = (mpmath.mpf(resolved[name]) for name in ("lam", "f1", "eta0"))
        f2 = mpmath.mpf(resolved.get("f2", 1.0))
        rounds = dichotomy_rounds(resolved["f1"], resolved["f2"]) if spec.name == "armijo-dichotomy" else 0
        x = [mpmath.mpf(float(c)) for c in X[0]]
        value = f(*x)
        f_evals = 1
        previous = eta0
        reached = 0
        status = "max_iter"
        k = 0
        while True:
            g = [mpmath.mpf(c) for c in grad(*x)]
            grad_norm = mpmath.sqrt(mpmath.fsum(c * c for c in g))
            if not (mpmath.isfinite(value) and mpmath.isfinite(grad_norm)):
                status = "non_finite"
                break
            while reached < m and grad_norm <= thresholds[reached]:
                hits[reached], hit_evals[reached] = k, f_evals
                reached += 1
            if reached == m:
                status = "converged"
                break
            if k == max_iter:
                break
            if spec.name == "armijo-normalized":
                direction, slope = [c / grad_norm for c in g], grad_norm
            else:
                direction, slope = g, grad_norm**2
            if spec.name == "armijo" or k == 0:
                eta = eta0
            elif spec.name == "armijo-memory":
                eta = previous
            else:
                eta = min(f2 * previous, mpmath.mpf(MAX_FIRST_TRIAL))

            def phi(step):
                # outside the real domain (a log of a negative number) the trial is rejected, as a nan in
                # float64; so is a trial point beyond the divergence radius (exp of 1e300 after a huge
                # first trial would take mpmath hours, and overflows in float64)
                point = [xi - step * di for xi, di in zip(x, direction)]
                if mpmath.fsum(c * c for c in point) > _MAX_NORM**2:
                    return mpmath.inf
                try:
                    value_at = f(*point)
                except (OverflowError, ValueError, ZeroDivisionError):
                    return mpmath.nan
                return value_at if isinstance(value_at, mpmath.mpf) else mpmath.nan

            rejected = 0
            while True:
                trial = phi(eta)
                f_evals += 1
                if trial <= value - lam * eta * slope:
                    break
                rejected += 1
                eta /= f1
            if rounds and rejected:
                low, high = eta, eta * f1
                for _ in range(rounds):
                    middle = mpmath.sqrt(low * high)
                    middle_value = phi(middle)
                    f_evals += 1
                    if middle_value <= value - lam * middle * slope and middle_value != value:
                        low, trial = middle, middle_value
                    else:
                        high = middle
                eta = low
            x = [xi - eta * di for xi, di in zip(x, direction)]
            value = trial
            previous = eta
            k += 1
            if value < _MIN_F:
                status = "diverged"
                break
    return ReferenceRun(status, k, hits, hit_evals, dps)

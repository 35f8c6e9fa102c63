r"""The Lojasiewicz exponent at a limit point, and the rate it predicts.

Setting
-------
``x*`` a critical point of ``f`` (a verified limit point, :mod:`theory.limits`) with value
``f_* = f(x*)``.  The Lojasiewicz inequality near ``x*``:

.. math:: |f(x) - f_*|^{\theta} \le C \|\nabla f(x)\|, \qquad \theta \in [1/2, 1).

Estimated here from the point itself, not from the run whose counts it then explains
(``theta`` = ``theta``, ``C`` = ``C``):

* **exact**, where the structure gives it: a nondegenerate Hessian gives ``theta = 1/2``
  (Morse lemma); a univariate function whose first nonzero Taylor coefficient at ``x*``
  beyond the constant has order ``k >= 2`` gives ``theta = 1 - 1/k`` (``|f - f_*| ~ a |x -
  x*|^k`` and ``|f'| ~ k a |x - x*|^{k-1}``); the order is read from the SymPy derivatives
  at ``x*`` (orders up to :data:`MAX_TAYLOR_ORDER`, a coefficient counts as zero below
  :data:`TAYLOR_RTOL` times the largest: ``x*`` is known to rounding, not exactly);
* **sampled** otherwise: ``f`` and ``grad f`` on spheres of radii ``r_j``
  (:data:`SHELL_RADII` times ``1 + ||x*||``) in the coordinate directions, the eigenvectors of
  the Hessian at ``x*`` and :data:`SHELL_DIRECTIONS` seeded random ones; ``theta`` is the smallest value of a grid in
  ``[1/2, 1)`` for which ``S_j = max_u (theta log|f - f_*| - log||grad f||)`` does not grow
  as the radius shrinks (a bounded ratio; interpolated between grid values, with an interval
  from a growth of +-:data:`GROWTH_TOLERANCE` per decade), ``C = max_j exp(S_j)``.
  Directions can miss the worst one, so the sampled ``theta`` and ``C`` are lower estimates
  (said so).

Prediction
----------
With a constant accepted step near the limit (``armijo`` near a degenerate minimum keeps
``eta0``; fixed-step baselines), gradient descent on ``|f - f_*| ~ r^k`` gives
(SCIENCE.md, "Rate models near a limit point"):

* ``theta = 1/2``: linear convergence, ``N(eps) = a + b log(1/eps)``: model ``logarithmic``;
* ``theta in (1/2, 1)``: ``N(eps) ~ eps^-(2 - 1/theta)``: model ``power`` with that exponent
  (``x^(2p)``: ``theta = 1 - 1/(2p)``, exponent ``(2p-2)/(2p-1)``).

Derivation (one variable, ``f - f_* = a s^k`` with ``s = |x - x*|``): a constant step
``eta`` gives ``s_{k+1} = s_k - eta k a s_k^{k-1}``, so ``s_k ~ (c n)^{-1/(k-2)}`` for
``k > 2`` and ``s_k ~ rho^n`` for ``k = 2``; ``||g|| = k a s^{k-1} <= eps`` after
``n ~ eps^{-(k-2)/(k-1)}`` iterations, and ``(k-2)/(k-1) = 2 - 1/theta`` with
``theta = (k-1)/k``.  Where the accepted steps are not constant (``armijo-increase``
multiplies them by ``f2``) the prediction does not apply and is not used.

T3 with these constants
-----------------------
``K`` is the entry into the sampled neighbourhood: the first recorded iteration from which
every recorded iterate lies in the outer ball and ``f(x_K) - f_* < m``, ``m`` the smallest gap
``f - f_*`` found on the outer sphere.  For a minimum the gap condition keeps a monotone method
converging to ``x*`` inside the ball (it cannot cross the sphere where ``f >= f_* + m``), as far
as the sampled ``m`` is the true minimum on the sphere; the recorded iterates check it.  ``C``
is sampled on the ball, so it is a lower estimate (a count above this bound says first that
``C`` was under-estimated).  For saddles and maxima (some gaps on the sphere are negative)
the neighbourhood is not a sublevel set and T3 is not evaluated with these constants.

References
----------
Lojasiewicz (1963); Attouch & Bolte, Math. Prog. 2009; Absil, Mahony, Andrews 2005;
B. Bensaid, arXiv:2412.14637 (2024).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MAX_TAYLOR_ORDER = 12
"""Largest Taylor order read for the exact univariate exponent."""

TAYLOR_RTOL = 1e-6
"""Taylor coefficients below this share of the largest one count as zero."""

SHELL_RADII = tuple(np.logspace(-1, -4, 7))
"""Radii of the sampled spheres, relative to ``1 + ||x*||``."""

SHELL_DIRECTIONS = 64
"""Random directions per sphere (besides the ``2 n`` coordinate directions)."""

THETA_GRID = np.linspace(0.5, 0.999, 500)
"""Candidate exponents of the sampled estimate."""

GROWTH_TOLERANCE = 0.02
"""The sampled theta is where ``S_j`` stops growing as the radius shrinks (growth 0 per decade);
its interval is where the growth is within this many log units per decade of 0 (finite radii
see higher-order terms)."""

STEP_SETTLED_RTOL = 1e-6
"""Accepted steps are constant when the recorded tail steps agree within this relative spread."""


@dataclass(frozen=True)
class LocalLojasiewicz:
    """Lojasiewicz exponent and constant at a critical point, with how they were obtained.

    Attributes
    ----------
    theta : float
        The exponent (nan when not estimable).
    C : float
        The constant on the sampled set (nan when not sampled).
    exact : bool
        ``theta`` from the structure (Morse, univariate Taylor order), not from samples.
    method : str
        How: ``"nondegenerate Hessian"``, ``"univariate Taylor order k"`` or the sampled set.
    neighbourhood_gap : float
        ``m``: the smallest ``f - f_*`` on the outer sphere (nan if not sampled; <= 0 for
        saddles and maxima).
    radius : float
        Radius of the outer sphere.
    theta_low, theta_high : float
        Interval of ``theta`` (equal to it where exact).
    """

    theta: float
    C: float
    exact: bool
    method: str
    neighbourhood_gap: float
    radius: float
    theta_low: float = float("nan")
    theta_high: float = float("nan")

    @property
    def lower_estimate(self) -> bool:
        return not self.exact


@dataclass(frozen=True)
class Prediction:
    """The rate model a Lojasiewicz exponent predicts (or why none applies).

    ``exponent_low``, ``exponent_high``: the predicted exponent over the interval of theta.
    """

    model: str | None
    exponent: float
    applies: bool
    reason: str
    exponent_low: float = float("nan")
    exponent_high: float = float("nan")


def _univariate_order(objective, point):
    """Order ``k`` of the first nonzero Taylor coefficient beyond the constant (None if not readable)."""
    import sympy as sp

    expression = getattr(objective, "expression", None)
    variables = getattr(objective, "variables", ())
    if expression is None or len(variables) != 1:
        return None
    symbol = sorted(expression.free_symbols, key=lambda s: s.name)
    if len(symbol) != 1:
        return None
    coefficients = []
    derivative = expression
    factorial = 1.0
    for order in range(1, MAX_TAYLOR_ORDER + 1):
        derivative = sp.diff(derivative, symbol[0])
        factorial *= order
        try:
            value = float(derivative.subs(symbol[0], float(point[0])).evalf())
        except (TypeError, ValueError):
            return None
        if not np.isfinite(value):
            return None
        coefficients.append(abs(value) / factorial)
    coefficients = np.array(coefficients)
    largest = coefficients.max()
    if largest == 0:
        return None
    significant = np.flatnonzero(coefficients[1:] > TAYLOR_RTOL * largest)  # orders >= 2
    return int(significant[0]) + 2 if significant.size else None


def _shell_samples(objective, point, value, seed):
    n = point.size
    rng = np.random.default_rng(seed)
    with np.errstate(all="ignore"):
        hessian = np.asarray(objective.hess(point[None, :]), dtype=float)[0]
    # the Hessian's eigenvectors are the extreme directions of a quadratic part (a narrow valley's
    # soft direction has the largest |f - f_*| / ||g||^2): never left to chance
    eigenvectors = (np.linalg.eigh(0.5 * (hessian + hessian.T))[1].T if np.isfinite(hessian).all()
                    else np.zeros((0, n)))
    directions = np.vstack([np.eye(n), -np.eye(n), eigenvectors, -eigenvectors,
                            rng.normal(size=(SHELL_DIRECTIONS, n))])
    directions /= np.linalg.norm(directions, axis=1, keepdims=True)
    scale = 1.0 + float(np.linalg.norm(point))
    radii = np.array(SHELL_RADII) * scale
    X = (point[None, None, :] + radii[:, None, None] * directions[None, :, :]).reshape(-1, n)
    with np.errstate(all="ignore"):
        gaps = np.asarray(objective.f(X), dtype=float) - value
        grads = np.linalg.norm(np.asarray(objective.grad(X), dtype=float), axis=1)
    return radii, gaps.reshape(radii.size, -1), grads.reshape(radii.size, -1)


def lojasiewicz_at(objective, limit, *, seed=0):
    """Lojasiewicz exponent and constant at the verified limit point ``limit`` (module docstring)."""
    point = np.asarray(limit.point, dtype=float)
    radii, gaps, grads = _shell_samples(objective, point, limit.value, seed)
    outer = gaps[0][np.isfinite(gaps[0])]
    neighbourhood_gap = float(outer.min()) if outer.size else np.nan
    usable = np.isfinite(gaps) & np.isfinite(grads) & (np.abs(gaps) > 0) & (grads > 0)
    with np.errstate(all="ignore"):
        log_gap, log_grad = np.log(np.abs(gaps)), np.log(grads)

    def constant(theta):
        with np.errstate(invalid="ignore"):
            return np.where(usable, theta * log_gap - log_grad, -np.inf).max(axis=1)

    if limit.kind == "flat":
        return LocalLojasiewicz(np.nan, np.nan, False, "flat to rounding around the limit: no Lojasiewicz "
                                "exponent can be read", np.nan, float(radii[0]))
    if not limit.kind.startswith("degenerate"):
        theta, exact, method = 0.5, True, "nondegenerate Hessian (Morse lemma): theta = 1/2"
        theta_low = theta_high = theta
    else:
        order = _univariate_order(objective, point)
        if order is not None:
            theta, exact, method = 1.0 - 1.0 / order, True, f"univariate Taylor order k = {order}: theta = 1 - 1/k"
            theta_low = theta_high = theta
        else:
            decades = np.log10(radii[0] / radii)
            growth = np.full(THETA_GRID.size, np.nan)
            for index, candidate in enumerate(THETA_GRID):
                scores = constant(candidate)
                finite = np.isfinite(scores)
                if finite.sum() >= 3:
                    growth[index] = np.polyfit(decades[finite], scores[finite], 1)[0] / np.log(10.0)
            theta, theta_low, theta_high = (_smallest_bounded(growth, level)
                                            for level in (0.0, GROWTH_TOLERANCE, -GROWTH_TOLERANCE))
            exact = False
            method = (f"sampled: spheres of radii {radii[-1]:.2g} to {radii[0]:.2g} around x*, "
                      f"{gaps.shape[1]} directions each (a lower estimate)")
    scores = constant(theta) if np.isfinite(theta) else np.array([np.nan])
    C = float(np.exp(np.nanmax(scores))) if np.isfinite(scores).any() else np.nan
    return LocalLojasiewicz(float(theta), C, exact, method, neighbourhood_gap, float(radii[0]),
                            float(theta_low), float(theta_high))


def _smallest_bounded(growth, level):
    """Smallest theta of :data:`THETA_GRID` with growth <= ``level`` (interpolated; nan if none)."""
    below = np.flatnonzero(np.isfinite(growth) & (growth <= level))
    if not below.size:
        return np.nan
    index = below[0]
    if index == 0 or not np.isfinite(growth[index - 1]):
        return float(THETA_GRID[index])
    g0, g1 = growth[index - 1], growth[index]
    t0, t1 = THETA_GRID[index - 1], THETA_GRID[index]
    return float(t0 + (level - g0) * (t1 - t0) / (g1 - g0)) if g1 != g0 else float(t1)


def steps_settled(steps):
    """Whether the recorded tail steps of a start are constant (the prediction applies)."""
    steps = np.asarray(steps, dtype=float)
    steps = steps[np.isfinite(steps)]
    if steps.size < 3:
        return False
    tail = steps[-max(3, steps.size // 4):]
    return bool(np.ptp(tail) <= STEP_SETTLED_RTOL * np.max(np.abs(tail)))


def predict(local, settled):
    """The model and exponent the Lojasiewicz exponent ``local`` predicts with constant steps near the limit."""
    theta = local.theta
    if not np.isfinite(theta):
        return Prediction(None, np.nan, False, "no Lojasiewicz exponent at the limit point")
    if not settled:
        return Prediction(None, np.nan, False, "the accepted steps do not settle to a constant near the limit")
    if theta <= 0.5 + 1e-12:
        return Prediction("logarithmic", 0.0, True, "theta = 1/2: linear convergence", 0.0, 0.0)
    low, high = (local.theta_low, local.theta_high) if np.isfinite(local.theta_low) else (theta, theta)
    return Prediction("power", 2.0 - 1.0 / theta, True, f"theta = {theta:.4g}: exponent 2 - 1/theta",
                      2.0 - 1.0 / max(low, 0.5), 2.0 - 1.0 / high if np.isfinite(high) else np.inf)


def agreement(prediction, fit):
    """Whether a rate fit agrees with the prediction from the limit point.

    Rule: they agree when the prediction's range meets the fit's interval, with no margin added:
    ``exponent_low <= fit.ci_high`` and ``fit.ci_low <= exponent_high``.  The prediction's range is
    the exponent ``2 - 1/theta`` over the interval of theta (exact theta: one value; linear
    convergence: 0); the fit's interval already carries the window's drift, the offset and the
    model uncertainty (:mod:`theory.fit`), and is ``[0, upper]`` for ``logarithmic`` and
    ``power-or-logarithmic``, so a predicted linear convergence agrees exactly when the fit cannot
    exclude it.  ``None`` where the prediction does not apply or the fit is undetermined.
    """
    if not prediction.applies or fit.model == "undetermined" or not np.isfinite(fit.ci_low):
        return None
    low = prediction.exponent_low if np.isfinite(prediction.exponent_low) else prediction.exponent
    high = prediction.exponent_high if np.isfinite(prediction.exponent_high) else prediction.exponent
    return bool(low <= fit.ci_high and fit.ci_low <= high)

"""Local smoothness along training and the (L0, L1) upper envelope it supports.

Setting
-------
Zhang, He, Sra and Jadbabaie (ICLR 2020, "Why gradient clipping accelerates training",
Figure 1) plot, along the training trajectory of a network, the local smoothness against
the gradient norm, and find the first growing with the second: the observation behind
(L0, L1)-smoothness, :math:`\\|\\nabla^2 f(x)\\| \\le L_0 + L_1 \\|\\nabla f(x)\\|`.

Measurement (:func:`local_smoothness`)
--------------------------------------
At an iterate ``x_k`` and the next one ``x_{k+1}`` of a run,

.. math::

    \\hat L_k = \\frac{\\|\\nabla f(x_{k+1}) - \\nabla f(x_k)\\|}{\\|x_{k+1} - x_k\\|}

(the secant of the gradient along the step, a lower estimate of
:math:`\\sup_{t \\in [0,1]} \\|\\nabla^2 f(x_k + t(x_{k+1}-x_k))\\|`), plotted against
:math:`\\|\\nabla f(x_k)\\|`.  Where the step is tiny (``||x_{k+1} - x_k|| <= TINY_STEP (1 +
||x_k||)``, or the run stopped there) the difference of gradients is rounding, and
:math:`\\|\\nabla^2 f(x_k) d\\| / \\|d\\|` along the step direction ``d`` (along ``-grad f`` if
there is no step) replaces it, from a central difference of the gradient with a controlled
step (:func:`functions.objective.hessian_vector_product`).

Envelope (:func:`l0l1_envelope`)
--------------------------------
A robust upper envelope :math:`L_0 + L_1 \\|g\\|` of the points: the linear quantile
regression of :math:`\\hat L_k` on :math:`\\|g_k\\|` at level ``quantile`` (0.95: the line
that 95% of the points lie under, least sensitive to a few outliers, where the maximum
envelope of :func:`theory.estimators.l0l1_pareto_front` follows the single worst point),
with :math:`L_0, L_1 \\ge 0`, minimising the pinball loss
:math:`\\sum_k \\rho_q(\\hat L_k - L_0 - L_1 \\|g_k\\|)`, :math:`\\rho_q(r) = \\max(q r, (q-1) r)`,
exactly: for a fixed :math:`L_1` the best :math:`L_0` is the ``quantile`` of the residuals
(clipped at 0), and the remaining loss is convex in :math:`L_1`, minimised by golden-section
search.  Interval: percentile bootstrap over **runs** (the points of one run are
dependent, so whole runs are resampled), ``level`` = 95%.  Every estimate is a *lower*
estimate of a supremum (SCIENCE.md section 6): it holds on the points sampled, along these
runs.  A global L would have to be at least the largest :math:`\\hat L_k` seen.

References: Zhang, He, Sra, Jadbabaie, ICLR 2020, Section 3 and Figure 1; Koenker and
Bassett, Econometrica 46(1) 1978 (regression quantiles).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from functions.objective import hessian_vector_product

#: A step shorter than this share of ``1 + ||x_k||`` is measured by a Hessian-vector product.
TINY_STEP = 1e-7
#: Relative step of that product's central difference.
HVP_STEP = 1e-5
#: Golden-section iterations of the envelope fit (each shrinks the bracket by 0.618).
GOLDEN_ITERATIONS = 80


@dataclass(frozen=True, kw_only=True)
class LocalSmoothness:
    """Local smoothness at pairs of consecutive iterates.

    Attributes
    ----------
    grad_norm : ndarray, shape (P,)
        ``||grad f(x_k)||``.
    smoothness : ndarray, shape (P,)
        :math:`\\hat L_k` (secant, or Hessian-vector product where the step is tiny).
    step_length : ndarray, shape (P,)
        ``||x_{k+1} - x_k||`` (nan where there was no next iterate).
    by_hvp : ndarray of bool, shape (P,)
        Where the Hessian-vector product was used.
    """

    grad_norm: np.ndarray
    smoothness: np.ndarray
    step_length: np.ndarray
    by_hvp: np.ndarray


def local_smoothness(grad, X, X_next):
    """:math:`\\hat L_k` at the pairs ``(X[p], X_next[p])`` (see the module docstring).

    Parameters
    ----------
    grad : callable
        Batched gradient of the full objective, ``(P, n) -> (P, n)``.
    X, X_next : ndarray, shape (P, n)
        Iterates and their successors (a row of ``X_next`` may be nan: no next iterate).

    Returns
    -------
    LocalSmoothness
    """
    X = np.atleast_2d(np.asarray(X, dtype=float))
    X_next = np.atleast_2d(np.asarray(X_next, dtype=float))
    G = grad(X)
    grad_norm = np.sqrt((G * G).sum(axis=1))
    steps = X_next - X
    step_length = np.sqrt((steps * steps).sum(axis=1))
    has_next = np.isfinite(X_next).all(axis=1)
    tiny = ~has_next | (step_length <= TINY_STEP * (1.0 + np.sqrt((X * X).sum(axis=1))))
    smoothness = np.full(X.shape[0], np.nan)
    secant = ~tiny
    if secant.any():
        difference = grad(X_next[secant]) - G[secant]
        smoothness[secant] = np.sqrt((difference * difference).sum(axis=1)) / step_length[secant]
    if tiny.any():
        directions = np.where((has_next & (step_length > 0))[tiny, None], steps[tiny], -G[tiny])
        lengths = np.sqrt((directions * directions).sum(axis=1))
        product = hessian_vector_product(grad, X[tiny], directions, relative_step=HVP_STEP)
        with np.errstate(invalid="ignore", divide="ignore"):
            smoothness[tiny] = np.sqrt((product * product).sum(axis=1)) / lengths
    return LocalSmoothness(grad_norm=grad_norm, smoothness=smoothness,
                           step_length=np.where(has_next, step_length, np.nan), by_hvp=tiny)


def _pinball(residuals, quantile):
    return float(np.sum(np.maximum(quantile * residuals, (quantile - 1.0) * residuals)))


def _best_intercept(x, y, slope, quantile):
    """The least pinball loss over ``L0 >= 0`` for a fixed ``L1 = slope``: ``(loss, L0)``."""
    residuals = y - slope * x
    intercept = max(0.0, float(np.quantile(residuals, quantile, method="inverted_cdf")))
    return _pinball(residuals - intercept, quantile), intercept


def quantile_line(x, y, quantile):
    """``(L0, L1) >= 0`` minimising the pinball loss of ``y - L0 - L1 x`` at level ``quantile``.

    For a fixed ``L1`` the best ``L0`` is the ``quantile`` of ``y - L1 x`` (or 0); the loss
    left is convex in ``L1`` (partial minimisation of a jointly convex function), searched
    on ``[0, max y/x]`` by golden sections (beyond ``max y/x`` every residual of a point with
    ``x > 0`` is negative and grows in size with ``L1``).

    Examples
    --------
    >>> x = np.linspace(0.0, 1.0, 101)
    >>> L0, L1 = quantile_line(x, 2.0 + 3.0 * x, 0.95)
    >>> round(L0, 6), round(L1, 6)
    (2.0, 3.0)
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    if x.size == 0:
        raise ValueError("no point to fit")
    positive = x > 0
    high = float(np.max(y[positive] / x[positive])) if positive.any() else 0.0
    high = max(high, 0.0)
    low = 0.0
    ratio = (math.sqrt(5.0) - 1.0) / 2.0
    left, right = high - ratio * (high - low), low + ratio * (high - low)
    loss_left, loss_right = _best_intercept(x, y, left, quantile)[0], _best_intercept(x, y, right, quantile)[0]
    for _ in range(GOLDEN_ITERATIONS):
        if loss_left <= loss_right:
            high, right, loss_right = right, left, loss_left
            left = high - ratio * (high - low)
            loss_left = _best_intercept(x, y, left, quantile)[0]
        else:
            low, left, loss_left = left, right, loss_right
            right = low + ratio * (high - low)
            loss_right = _best_intercept(x, y, right, quantile)[0]
    candidates = [0.0, low, high, 0.5 * (low + high)]
    losses = [_best_intercept(x, y, slope, quantile) for slope in candidates]
    best = int(np.argmin([loss for loss, _ in losses]))
    return losses[best][1], candidates[best]


@dataclass(frozen=True, kw_only=True)
class SmoothnessEnvelope:
    """The fitted envelope ``L0 + L1 ||g||`` of local smoothness along a set of runs.

    Attributes
    ----------
    L0, L1 : float
        The quantile-regression line (lower estimates: see the module docstring).
    L0_interval, L1_interval : tuple of float
        Percentile bootstrap intervals over runs at ``level``.
    quantile, level : float
    points, runs : int
        Points fitted and runs they come from.
    covered : float
        Share of the points on or under the line.
    largest : float
        The largest local smoothness seen: a global L is at least this.
    grad_norm_range : tuple of float
        Smallest and largest ``||g||`` of the points.
    method : str
        One line saying how the envelope was fitted.
    """

    L0: float
    L1: float
    L0_interval: tuple
    L1_interval: tuple
    quantile: float
    level: float
    points: int
    runs: int
    covered: float
    largest: float
    grad_norm_range: tuple
    method: str

    def at(self, grad_norm):
        """The envelope ``L0 + L1 ||g||`` at ``grad_norm``."""
        return self.L0 + self.L1 * np.asarray(grad_norm, dtype=float)


def l0l1_envelope(grad_norms, smoothness, runs, *, quantile=0.95, level=0.95, resamples=200, seed=0):
    """Fit the envelope ``L0 + L1 ||g||`` with bootstrap intervals over runs (module docstring).

    Parameters
    ----------
    grad_norms, smoothness : array_like, shape (P,)
        ``||g_k||`` and :math:`\\hat L_k`; non-finite pairs are left out.
    runs : array_like, shape (P,)
        A run label per point (the unit the bootstrap resamples).
    quantile : float
        Level of the quantile regression, in (0, 1).
    level : float
        Coverage of the bootstrap intervals.
    resamples : int
        Bootstrap resamples.
    seed : int

    Returns
    -------
    SmoothnessEnvelope
    """
    x = np.asarray(grad_norms, dtype=float)
    y = np.asarray(smoothness, dtype=float)
    labels = np.asarray(runs)
    if not (x.shape == y.shape == labels.shape):
        raise ValueError("grad_norms, smoothness and runs must have the same shape")
    if not 0.0 < quantile < 1.0 or not 0.0 < level < 1.0:
        raise ValueError(f"quantile and level must lie in (0, 1), got {quantile}, {level}")
    kept = np.isfinite(x) & np.isfinite(y)
    x, y, labels = x[kept], y[kept], labels[kept]
    if x.size < 2:
        raise ValueError("the envelope needs at least two finite points")
    L0, L1 = quantile_line(x, y, quantile)
    names, index = np.unique(labels, return_inverse=True)
    members = [np.flatnonzero(index == run) for run in range(names.size)]
    rng = np.random.default_rng(seed)
    fits = []
    for _ in range(resamples):
        chosen = np.concatenate([members[run] for run in rng.integers(0, names.size, size=names.size)])
        fits.append(quantile_line(x[chosen], y[chosen], quantile))
    fits = np.array(fits)
    tails = [100 * (1 - level) / 2, 100 * (1 + level) / 2]
    L0_interval = tuple(float(v) for v in np.percentile(fits[:, 0], tails))
    L1_interval = tuple(float(v) for v in np.percentile(fits[:, 1], tails))
    return SmoothnessEnvelope(
        L0=float(L0), L1=float(L1), L0_interval=L0_interval, L1_interval=L1_interval, quantile=quantile,
        level=level, points=int(x.size), runs=int(names.size), covered=float(np.mean(y <= L0 + L1 * x)),
        largest=float(np.max(y)), grad_norm_range=(float(x.min()), float(x.max())),
        method=(f"{quantile:.0%} linear quantile regression of local smoothness on ||grad f|| with L0, L1 >= 0; "
                f"{level:.0%} percentile intervals from {resamples} bootstrap resamples of whole runs "
                f"({names.size} runs, {x.size} points)"))

"""Estimators of the hypotheses of the theorems, each returned as a small frozen record.

Every record says on which set it was sampled (``sampled_on``) and whether it is a lower
estimate of a supremum (``lower_estimate``): ``L``, ``(L0, L1)`` and the Lojasiewicz
constant ``C`` are suprema over a set, and a maximum over samples of that set can only
under-estimate them (SCIENCE.md section 6).  Check bounds with them knowing that.

Contents
--------
:func:`estimate_L`
    Largest sampled Hessian norm.
:func:`l0l1_pareto_front`
    Exact Pareto front of the pairs ``(L0, L1) >= 0`` with
    ``hess <= L0 + L1 grad`` on every sample, and the pair chosen for the bound.
:func:`lojasiewicz_theta`
    Lojasiewicz exponent and constant fitted along the tail of a trajectory.
:func:`critical_points`
    Real critical points and values of a polynomial SymPy expression.
:func:`iterates_bounded`
    Growth test on a trace of ``||x_k||``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import sympy as sp
from scipy import stats

# ----------------------------------------------------------------------------- L


@dataclass(frozen=True)
class SupremumEstimate:
    """Estimate of a supremum by the largest sampled value.

    Attributes
    ----------
    name : str
        What is estimated (``"L"``).
    value : float
        Largest sampled value.
    sampled_on : str
        The set the samples come from.
    n_samples : int
        Number of finite samples.
    lower_estimate : bool
        Always ``True``: a maximum over samples under-estimates the supremum.
    """

    name: str
    value: float
    sampled_on: str
    n_samples: int
    lower_estimate: bool = True


def estimate_L(hess_norms, where: str) -> SupremumEstimate:
    """Gradient-Lipschitz constant ``L`` as the largest sampled Hessian (operator) norm.

    Parameters
    ----------
    hess_norms : array_like
        ``||hess f(x_i)||`` at the samples (non-finite entries are ignored).
    where : str
        The sampled set, e.g. ``"sublevel set {f <= f(x0)}, 2000 uniform samples"`` or
        ``"points visited by armijo from 16 starts"``.

    Returns
    -------
    SupremumEstimate
    """
    values = np.asarray(hess_norms, dtype=float).ravel()
    values = values[np.isfinite(values)]
    if values.size == 0:
        raise ValueError("no finite Hessian norm")
    return SupremumEstimate("L", float(values.max()), where, int(values.size))


# ----------------------------------------------------------------------------- (L0, L1)

SAME_ABSCISSA_RTOL = 1e-12
"""Gradient norms closer than this (relative to the largest) are one abscissa."""

PAIR_RULE = (
    "the front vertex minimising L0 + L1*eps at eps = {eps:g} (the (L0, L1)-dependent "
    "factor of T2's eps^-2 term; a linear objective on the feasible set, so a vertex is "
    "optimal)"
)


@dataclass(frozen=True)
class L0L1Front:
    """Pareto front of the sampled (L0, L1)-feasible set and the pair used for the bound.

    Attributes
    ----------
    vertices : ndarray, shape (k, 2)
        Columns ``(L0, L1)``, ``L1`` increasing and ``L0`` decreasing.  The front is the
        polyline through them: the minimal ``L0`` for ``L1`` is the piecewise-linear
        interpolation, and stays at the last ``L0`` beyond the last vertex.
    L0, L1 : float
        The chosen pair.
    rule : str
        How the pair was chosen.
    sampled_on : str
        The sampled set.
    n_samples : int
        Number of samples.
    lower_estimate : bool
        ``True``: samples only under-estimate the constants needed on the whole set.
    """

    vertices: np.ndarray = field(compare=False)
    L0: float
    L1: float
    rule: str
    sampled_on: str
    n_samples: int
    lower_estimate: bool = True

    def min_L0(self, L1) -> np.ndarray:
        """Smallest feasible ``L0`` for the given ``L1`` (vectorised)."""
        l0, l1 = self.vertices[:, 0], self.vertices[:, 1]
        return np.interp(L1, l1, l0, right=l0[-1])


def _upper_hull(points: np.ndarray) -> np.ndarray:
    """Upper convex hull of points sorted by x (monotone chain), left to right."""
    hull: list[np.ndarray] = []
    for point in points:
        while len(hull) >= 2:
            (x0, y0), (x1, y1) = hull[-2], hull[-1]
            # drop hull[-1] unless it lies strictly above the chord hull[-2] -> point
            if (x1 - x0) * (point[1] - y0) - (y1 - y0) * (point[0] - x0) >= 0:
                hull.pop()
            else:
                break
        hull.append(point)
    return np.array(hull)


def l0l1_pareto_front(grad_norms, hess_norms, *, eps: float = 1.0,
                      sampled_on: str = "samples") -> L0L1Front:
    """Exact Pareto front of ``{(L0, L1) >= 0 : hess_i <= L0 + L1 grad_i for all i}``.

    For a given ``L1`` the least feasible ``L0`` is
    ``max(0, max_i (h_i - L1 s_i))``, the support function of the points
    ``(s_i, h_i) = (grad_i, hess_i)`` together with ``(0, 0)`` (which encodes ``L0 >= 0``).
    It is convex, piecewise linear and non-increasing in ``L1``; its breakpoints are the
    slopes of the upper hull of those points, walked from the point of largest ``h``
    (``L1 = 0``, ``L0 = max h``) leftwards to the point with ``s = 0`` (``L0 = max(0,
    max_{s_i = 0} h_i)``, beyond which a larger ``L1`` buys nothing).  Edge
    ``(s_a, h_a) -> (s_b, h_b)`` of slope ``sigma`` gives the vertex
    ``(L0, L1) = (h_b - sigma s_b, sigma)``.

    Parameters
    ----------
    grad_norms, hess_norms : array_like
        ``||grad f(x_i)||`` and ``||hess f(x_i)||`` at the same samples.
    eps : float
        Gradient level at which the pair is chosen (see :data:`PAIR_RULE`).
    sampled_on : str
        Description of the sampled set.

    Returns
    -------
    L0L1Front

    Examples
    --------
    >>> x = np.linspace(-5, 5, 2001)
    >>> front = l0l1_pareto_front(np.abs(np.sinh(x)), np.cosh(x), sampled_on="[-5, 5]")
    >>> round(front.L0, 3), round(front.L1, 3)
    (1.0, 0.987)
    """
    s = np.asarray(grad_norms, dtype=float).ravel()
    h = np.asarray(hess_norms, dtype=float).ravel()
    if s.shape != h.shape:
        raise ValueError("grad_norms and hess_norms must have the same size")
    finite = np.isfinite(s) & np.isfinite(h)
    s, h = np.abs(s[finite]), np.abs(h[finite])
    if s.size == 0:
        raise ValueError("no finite sample")
    points = np.vstack([np.append(s, 0.0), np.append(h, 0.0)]).T
    points = points[np.argsort(points[:, 0], kind="stable")]
    # one point per abscissa (s equal up to rounding, e.g. sinh(-x) vs sinh(x)): the
    # smallest s with the largest h of the group, which keeps the constraint conservative
    new_abscissa = np.diff(points[:, 0]) > SAME_ABSCISSA_RTOL * max(points[-1, 0], 1.0)
    starts = np.nonzero(np.concatenate([[True], new_abscissa]))[0]
    merged = np.vstack([points[starts, 0], np.maximum.reduceat(points[:, 1], starts)]).T
    hull = _upper_hull(merged)
    top = int(np.argmax(hull[:, 1]))  # first (smallest s) vertex of largest h
    vertices = [(hull[top, 1], 0.0)]
    for k in range(top, 0, -1):
        (sa, ha), (sb, hb) = hull[k - 1], hull[k]
        sigma = (hb - ha) / (sb - sa)
        vertices.append((max(0.0, hb - sigma * sb), sigma))
    vertices_array = np.array(vertices)
    objective = vertices_array[:, 0] + eps * vertices_array[:, 1]
    best = int(np.argmin(objective))
    return L0L1Front(vertices_array, float(vertices_array[best, 0]),
                     float(vertices_array[best, 1]), PAIR_RULE.format(eps=eps),
                     sampled_on, int(s.size))


# ----------------------------------------------------------------------------- Lojasiewicz

TAIL_FRACTION = 0.5
"""Fraction of the usable trajectory points (the last ones) used for the fit."""

N_LOG_BINS = 50
"""The tail is thinned to at most one point per bin of log(f - f_lim), so that the
slowly converging end of a trajectory does not dominate the regression."""

F_LIMIT_GRID = 400
"""Candidates for f_lim when it is estimated (profile least squares)."""

F_LIMIT_DECADES = 16
"""Candidates ``f_min - d`` span ``d`` from ``spread * 10^-16`` to ``spread``."""


GAP_ULPS = 64
"""Gaps ``f - f_lim`` below this many ulps of ``f_lim`` are rounding, not data."""


@dataclass(frozen=True)
class LojasiewiczEstimate:
    """Lojasiewicz exponent ``theta`` and constant ``C`` along a trajectory's tail.

    The model is ``|f - f_lim|^theta <= C ||g||``, i.e.
    ``log ||g|| ~ theta log(f - f_lim) - log C``.

    Attributes
    ----------
    theta : float
        Least-squares slope of ``log ||g||`` on ``log(f - f_lim)``.
    ci_low, ci_high : float
        Confidence interval of the slope (t distribution, thinned points).
    C : float
        ``max (f - f_lim)^theta / ||g||`` over the window: a lower estimate of the
        constant the inequality needs.
    f_limit : float
        Limit value used.
    f_limit_estimated : bool
        Whether ``f_limit`` was estimated (profile least squares) rather than given.
    window : tuple of int
        First and last trajectory index of the fit window.
    n_points : int
        Points used in the regression (after thinning).
    sampled_on : str
        Description of the sampled set.
    lower_estimate : bool
        ``True`` (``C`` is a supremum estimated from samples).
    """

    theta: float
    ci_low: float
    ci_high: float
    C: float
    f_limit: float
    f_limit_estimated: bool
    window: tuple[int, int]
    n_points: int
    sampled_on: str
    lower_estimate: bool = True


def _gap_floor(f_limit: float) -> float:
    """Smallest gap ``f - f_lim`` that is a measurement: a normal float and more than
    :data:`GAP_ULPS` units in the last place of ``f_lim``."""
    return max(np.finfo(float).tiny, GAP_ULPS * float(np.spacing(abs(f_limit))))


def _thin(log_gap: np.ndarray, n_bins: int) -> np.ndarray:
    """Indices keeping the first point of each of ``n_bins`` bins of ``log_gap``."""
    if log_gap.size <= n_bins:
        return np.arange(log_gap.size)
    edges = np.linspace(log_gap.min(), log_gap.max(), n_bins + 1)
    bins = np.clip(np.searchsorted(edges, log_gap, side="right") - 1, 0, n_bins - 1)
    _, first = np.unique(bins, return_index=True)
    return np.sort(first)


def _slope_fit(x: np.ndarray, y: np.ndarray) -> tuple[float, float, float]:
    """Slope, intercept and residual sum of squares of the least-squares line."""
    slope, intercept = np.polyfit(x, y, 1)
    residual = y - (slope * x + intercept)
    return float(slope), float(intercept), float(residual @ residual)


def lojasiewicz_theta(f_values, grad_norms, f_limit: float | None = None, *,
                      tail_fraction: float = TAIL_FRACTION, n_bins: int = N_LOG_BINS,
                      confidence: float = 0.95,
                      sampled_on: str = "tail of one trajectory") -> LojasiewiczEstimate:
    """Fit the Lojasiewicz exponent along the tail of a trajectory.

    Parameters
    ----------
    f_values, grad_norms : array_like, shape (T,)
        ``f(x_k)`` and ``||grad f(x_k)||`` along the trajectory.
    f_limit : float, optional
        ``f_*`` at the limit point.  When omitted it is estimated by profile least
        squares: the value ``f_min - d`` (``d`` on a log grid) that makes the tail most
        linear in log-log.  Give it whenever it is known: sublinear convergence leaves
        ``f_min`` far from ``f_*`` relative to the tail gaps.
    tail_fraction : float
        The window is the last ``tail_fraction`` of the usable points (``f > f_lim``,
        ``||g|| > 0``, finite).
    n_bins : int
        Thinning: at most one point per bin of ``log(f - f_lim)``.
    confidence : float
        Level of the interval.
    sampled_on : str
        Description of the trajectory.

    Returns
    -------
    LojasiewiczEstimate
    """
    f = np.asarray(f_values, dtype=float)
    g = np.asarray(grad_norms, dtype=float)
    if f.shape != g.shape or f.ndim != 1:
        raise ValueError("f_values and grad_norms must be 1-D of the same length")
    finite = np.isfinite(f) & np.isfinite(g) & (g >= np.finfo(float).tiny)
    estimated = f_limit is None
    if estimated:
        # points at the smallest value (or within rounding of it) say nothing about f_lim
        f_min = f[finite].min()
        finite &= f - f_min > _gap_floor(f_min)
        f_limit = _estimate_f_limit(f, g, finite, tail_fraction, n_bins)
    usable = np.nonzero(finite & (f - f_limit > _gap_floor(f_limit)))[0]
    if usable.size < 3:
        raise ValueError("fewer than 3 usable trajectory points")
    window = usable[int(np.floor((1.0 - tail_fraction) * usable.size)):]
    if window.size < 3:
        window = usable[-3:]
    log_gap, log_g = np.log(f[window] - f_limit), np.log(g[window])
    kept = _thin(log_gap, n_bins)
    if kept.size < 3:
        raise ValueError("the tail spans too small a range of f - f_lim to fit theta")
    theta, _, rss = _slope_fit(log_gap[kept], log_g[kept])
    if kept.size > 2:
        x = log_gap[kept]
        standard_error = np.sqrt(rss / (kept.size - 2) / np.sum((x - x.mean()) ** 2))
        half = stats.t.ppf(0.5 + confidence / 2.0, kept.size - 2) * standard_error
    else:
        half = np.nan
    with np.errstate(over="ignore"):  # an overflowing constant is inf: no bound from it
        constant = float(np.max(np.exp(theta * log_gap - log_g)))
    return LojasiewiczEstimate(theta, theta - half, theta + half, constant, float(f_limit),
                               estimated, (int(window[0]), int(window[-1])), int(kept.size),
                               sampled_on)


def _estimate_f_limit(f, g, usable_mask, tail_fraction, n_bins) -> float:
    """``f_min - d`` making the tail most linear in log-log (largest R^2, profile LS)."""
    usable = np.nonzero(usable_mask)[0]
    if usable.size < 3:
        raise ValueError("fewer than 3 usable trajectory points")
    window = usable[int(np.floor((1.0 - tail_fraction) * usable.size)):]
    f_min = f[window].min()
    spread = f[window].max() - f_min
    if spread <= 0:
        raise ValueError("f is constant on the tail; cannot estimate f_limit")
    log_g = np.log(g[window])
    best_d, best_unexplained = spread, np.inf
    candidates = spread * np.logspace(-F_LIMIT_DECADES, 0, F_LIMIT_GRID)
    for d in candidates[candidates > _gap_floor(f_min)]:
        log_gap = np.log(f[window] - (f_min - d))
        kept = _thin(log_gap, n_bins)
        if kept.size < 3:
            continue
        _, _, rss = _slope_fit(log_gap[kept], log_g[kept])
        spread_g = np.sum((log_g[kept] - log_g[kept].mean()) ** 2)
        if spread_g <= 0:  # ||g|| constant on the kept points: no slope to explain
            continue
        unexplained = rss / spread_g  # 1 - R^2
        if unexplained < best_unexplained:
            best_d, best_unexplained = d, unexplained
    return float(f_min - best_d)


# ----------------------------------------------------------------------------- critical points

IMAGINARY_TOL = 1e-10
"""A root is real when its imaginary parts are below this (absolute)."""

CURVATURE_TOL = 1e-9
"""Hessian eigenvalues below this in absolute value count as zero (degenerate point)."""


@dataclass(frozen=True)
class CriticalPoint:
    """A real critical point of a polynomial.

    ``kind`` is ``"minimum"``, ``"maximum"``, ``"saddle"`` (from the Hessian
    eigenvalues) or ``"degenerate"`` (a zero eigenvalue: the Hessian does not decide).
    """

    point: tuple[float, ...]
    value: float
    kind: str


def critical_points(expr: sp.Expr, variables) -> tuple[CriticalPoint, ...]:
    """Real isolated critical points and values of a polynomial expression.

    Parameters
    ----------
    expr : sympy.Expr
        Polynomial in ``variables``.
    variables : sequence of sympy.Symbol
        Variables in a fixed order (the order of ``point``).

    Returns
    -------
    tuple of CriticalPoint
        Sorted by value then point.

    Raises
    ------
    ValueError
        If ``expr`` is not a polynomial or the critical set is not finite.
    """
    variables = tuple(variables)
    expr = sp.sympify(expr)
    if not expr.is_polynomial(*variables):
        raise ValueError("expr must be a polynomial in the given variables")
    gradient = [sp.diff(expr, v) for v in variables]
    hessian = sp.hessian(expr, variables)
    solutions = sp.solve(gradient, variables, dict=True)
    found = []
    for solution in solutions:
        if set(solution) != set(variables):
            raise ValueError("critical set is not finite (free variables in a solution)")
        values = [complex(sp.N(solution[v], 30)) for v in variables]
        if any(abs(value.imag) > IMAGINARY_TOL for value in values):
            continue
        point = tuple(value.real for value in values)
        substitution = dict(zip(variables, point))
        f_value = float(expr.subs(substitution))
        eigenvalues = np.linalg.eigvalsh(np.array(hessian.subs(substitution), dtype=float))
        found.append(CriticalPoint(point, f_value, _kind(eigenvalues)))
    return tuple(sorted(found, key=lambda c: (c.value, c.point)))


def _kind(eigenvalues: np.ndarray) -> str:
    if np.any(np.abs(eigenvalues) <= CURVATURE_TOL):
        return "degenerate"
    if np.all(eigenvalues > 0):
        return "minimum"
    if np.all(eigenvalues < 0):
        return "maximum"
    return "saddle"


# ----------------------------------------------------------------------------- boundedness

GROWTH_TOLERANCE = 0.05
"""Largest log-log growth rate of ||x_k|| in k still called bounded."""

AT_MAX_RTOL = 0.01
"""An iterate is "at its maximum" when ||x_k|| >= (1 - AT_MAX_RTOL) max_j ||x_j||."""

BOUNDEDNESS_RULE = (
    "unbounded iff on the last half of the trace the least-squares slope of log||x_k|| "
    "on log(k+1) exceeds {tol} and the last ||x_k|| is within {rtol:.0%} of the largest "
    "one (still growing); a finite trace cannot prove boundedness"
)


@dataclass(frozen=True)
class BoundednessEstimate:
    """Per-start verdict on the boundedness of the iterates from a trace of ``||x_k||``."""

    bounded: np.ndarray = field(compare=False)
    radius: np.ndarray = field(compare=False)
    growth_rate: np.ndarray = field(compare=False)
    rule: str
    sampled_on: str
    lower_estimate: bool = True  # radius: max over the recorded iterations


def iterates_bounded(x_norm, iteration=None, *, growth_tolerance: float = GROWTH_TOLERANCE,
                     sampled_on: str = "trace of ||x_k||") -> BoundednessEstimate:
    """Decide per start whether the iterates stayed bounded (rule :data:`BOUNDEDNESS_RULE`).

    Parameters
    ----------
    x_norm : array_like, shape (T,) or (T, B)
        ``||x_k||`` at the recorded iterations.
    iteration : array_like, shape (T,), optional
        Recorded iteration numbers (default ``0..T-1``).
    growth_tolerance : float
        Threshold on the growth rate ``d log||x|| / d log k``.
    sampled_on : str
        Description of the trace.

    Returns
    -------
    BoundednessEstimate
        ``radius`` is the largest recorded ``||x_k||`` (a lower estimate of the sup).
    """
    norms = np.asarray(x_norm, dtype=float)
    if norms.ndim == 1:
        norms = norms[:, None]
    steps = np.arange(norms.shape[0]) if iteration is None else np.asarray(iteration, float)
    tail = steps >= steps[-1] / 2.0
    if tail.sum() < 2:
        raise ValueError("trace too short")
    x = np.log(steps[tail] + 1.0)
    y = np.log(np.maximum(norms[tail], np.finfo(float).tiny))
    with np.errstate(invalid="ignore"):  # non-finite norms: nan rate, decided below
        slope = ((x - x.mean()) @ (y - y.mean(axis=0))) / np.sum((x - x.mean()) ** 2)
    finite = np.all(np.isfinite(norms), axis=0)
    radius = np.where(finite, np.nanmax(np.where(np.isfinite(norms), norms, np.nan), axis=0),
                      np.inf)
    at_max = norms[-1] >= (1.0 - AT_MAX_RTOL) * radius
    bounded = finite & ~((slope > growth_tolerance) & at_max)
    return BoundednessEstimate(bounded, radius, slope,
                               BOUNDEDNESS_RULE.format(tol=growth_tolerance,
                                                       rtol=AT_MAX_RTOL), sampled_on)

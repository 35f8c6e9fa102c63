r"""Fits of the first-hitting curve ``N(eps)``: tail power law and two-regime model.

Input convention (the engine's ``eps_hits``): ``eps`` is a decreasing grid of thresholds
``(m,)`` and ``iterations_per_start`` is ``(B, m)``: entry ``[b, j]`` is the first iteration
``k`` with ``||g_k|| <= eps_j`` for start ``b``, ``-1`` if never reached.

Power law :func:`fit_exponent`
------------------------------
``N(eps) ~ C eps^-p`` as ``eps -> 0``.  The steps, each a stated rule:

1. **Jumps.**  A *plateau* of a start is a maximal run of thresholds ``eps_i .. eps_j``
   (``i < j``) hit at the same iteration ``n >= 1``: one iteration divided ``||g||`` by at
   least ``eps_i / eps_j``.  It is a *jump* when ``eps_i / eps_j >= jump_ratio`` (default
   10, a decade in one step: a lucky step, an exact hit of a minimiser, or faster than
   linear convergence).  Starts with a jump are flagged and left out of the curve, unless
   that would leave fewer than half of the starts (then all are kept and the flag
   ``jumps_in_most_starts`` says the data are no power law).
2. **Curve.**  The median over the kept starts at each threshold (``-1`` counts as
   ``+inf``); thresholds where the median is infinite or below ``min_iterations`` (integer
   rounding) are dropped.
3. **Window.**  Local slope at point ``i``: ``-Delta log N / Delta log eps`` between ``i``
   and the first later point at least ``slope_span_decades`` (default 0.5) decades
   smaller.  The fit window is the **longest tail window** (ending at the smallest valid
   eps) whose local slopes (those with both ends inside) all lie within
   ``slope_tolerance`` (default 0.1) of their median.  A pre-asymptotic transient has
   other slopes and is cut off; a plateau of the median curve has slope 0 and is cut off.
4. **Fit.**  Least squares of ``log N`` on ``log eps`` in the window: ``p`` = minus the
   slope, ``C = exp(intercept)``.
5. **Confidence interval.**  Bootstrap over the kept starts (resampled with replacement,
   seeded), median curve recomputed on the same window, percentile interval.

Flags: ``jump_detected``, ``jumps_in_most_starts``, ``window_too_short`` (fewer than
``min_points`` points in the window), ``plateau_in_window``, ``insufficient_data``.

Two regimes :func:`fit_two_regime`
----------------------------------
``N ~ a eps^-2 + b eps^-1`` (T2): non-negative least squares on relative residuals
``(a eps^-2 + b eps^-1 - N) / N``; the regimes cross at ``eps = a / b``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import nnls

SLOPE_TOLERANCE = 0.1
"""Local slopes of the fit window stay within this distance of their median."""

SLOPE_SPAN_DECADES = 0.5
"""A local slope is measured over at least this many decades of eps."""

MIN_WINDOW_POINTS = 5
"""Fewer points in the window raise ``window_too_short``."""

MIN_ITERATIONS = 10
"""Thresholds whose median first-hitting iteration is below this are not fitted."""

JUMP_RATIO = 10.0
"""A plateau over thresholds spanning this ratio (one decade) is a jump."""

N_BOOTSTRAP = 200
"""Bootstrap replicates over starts."""

CONFIDENCE = 0.95
"""Level of the bootstrap interval."""

WINDOW_RULE = (
    "longest tail window (ending at the smallest eps with finite median N >= "
    "{min_iterations}) whose local log-log slopes, each over >= {span} decades, all lie "
    "within {tol} of their median; starts with a plateau spanning >= {ratio}x in eps "
    "(one-step jump) excluded when at least half the starts remain"
)


@dataclass(frozen=True)
class Plateau:
    """A run of thresholds hit at the same iteration by one start."""

    start: int
    iteration: int
    eps_high: float
    eps_low: float

    @property
    def ratio(self) -> float:
        """``eps_high / eps_low``: lower bound on the drop of ``||g||`` in one iteration."""
        return self.eps_high / self.eps_low


@dataclass(frozen=True)
class ExponentFit:
    """Power-law fit ``N(eps) ~ constant * eps^-exponent`` on a tail window.

    Attributes
    ----------
    exponent : float
        ``p``; ``nan`` when no window could be fitted.
    ci_low, ci_high : float
        Bootstrap percentile interval of ``p`` across starts.
    constant : float
        ``C``.
    eps_lo, eps_hi : float
        Smallest and largest eps of the window.
    n_points : int
        Points in the window.
    n_starts, n_starts_used : int
        Starts given, starts kept in the median curve.
    jumps : tuple of Plateau
        Every jump found (all starts).
    rule : str
        The window-selection rule with its parameters.
    flags : tuple of str
        See the module docstring.
    local_slopes : ndarray
        Local slopes of the median curve (whole valid range), for plots.
    """

    exponent: float
    ci_low: float
    ci_high: float
    constant: float
    eps_lo: float
    eps_hi: float
    n_points: int
    n_starts: int
    n_starts_used: int
    jumps: tuple[Plateau, ...]
    rule: str
    flags: tuple[str, ...]
    local_slopes: np.ndarray = field(repr=False, compare=False)

    @property
    def jump_detected(self) -> bool:
        return "jump_detected" in self.flags

    @property
    def window_too_short(self) -> bool:
        return "window_too_short" in self.flags


@dataclass(frozen=True)
class TwoRegimeFit:
    """``N ~ a eps^-2 + b eps^-1`` fitted by non-negative least squares (relative errors)."""

    a: float
    b: float
    crossover_eps: float
    relative_rms: float
    n_points: int
    eps_lo: float
    eps_hi: float


def _as_grid(eps, iterations_per_start) -> tuple[np.ndarray, np.ndarray]:
    """Validated ``eps`` (decreasing) and ``(B, m)`` float hits with ``-1 -> inf``."""
    eps_array = np.asarray(eps, dtype=float)
    hits = np.atleast_2d(np.asarray(iterations_per_start, dtype=float))
    if eps_array.ndim != 1 or hits.shape[1] != eps_array.size:
        raise ValueError(f"eps {eps_array.shape} and hits {hits.shape} do not match")
    if np.any(eps_array <= 0) or np.any(np.diff(eps_array) >= 0):
        raise ValueError("eps must be positive and strictly decreasing")
    return eps_array, np.where(hits < 0, np.inf, hits)


def find_plateaus(eps, iterations_per_start) -> tuple[Plateau, ...]:
    """All plateaus (runs of >= 2 thresholds hit at the same iteration ``>= 1``)."""
    eps_array, hits = _as_grid(eps, iterations_per_start)
    plateaus = []
    for start, row in enumerate(hits):
        first = 0
        for j in range(1, row.size + 1):
            if j == row.size or row[j] != row[first]:
                if j - 1 > first and np.isfinite(row[first]) and row[first] >= 1:
                    plateaus.append(Plateau(start, int(row[first]), float(eps_array[first]),
                                            float(eps_array[j - 1])))
                first = j
    return tuple(plateaus)


def find_jumps(eps, iterations_per_start, *, jump_ratio: float = JUMP_RATIO) -> tuple[Plateau, ...]:
    """Plateaus spanning at least ``jump_ratio`` in eps (one-step drops of ``||g||``)."""
    return tuple(p for p in find_plateaus(eps, iterations_per_start) if p.ratio >= jump_ratio)


def median_curve(iterations_per_start) -> np.ndarray:
    """Median over starts per threshold, ``-1`` (never hit) counted as ``+inf``."""
    hits = np.atleast_2d(np.asarray(iterations_per_start, dtype=float))
    return np.median(np.where(hits < 0, np.inf, hits), axis=0)


def local_slopes(log_eps: np.ndarray, log_n: np.ndarray, *,
                 span_decades: float = SLOPE_SPAN_DECADES) -> tuple[np.ndarray, np.ndarray]:
    """Local slopes ``-dlog N/dlog eps`` over at least ``span_decades``.

    Parameters
    ----------
    log_eps, log_n : ndarray
        Natural logs, ``log_eps`` decreasing.
    span_decades : float
        Minimal span of each slope, in decades of eps.

    Returns
    -------
    slopes : ndarray
        One slope per left end ``i`` that has a partner.
    partner : ndarray of int
        Index of the right end of each slope.
    """
    span = span_decades * np.log(10.0)
    slopes, partner = [], []
    for i in range(log_eps.size):
        later = np.nonzero(log_eps[i] - log_eps[i + 1:] >= span - 1e-12)[0]
        if later.size == 0:
            break
        j = i + 1 + later[0]
        slopes.append(-(log_n[j] - log_n[i]) / (log_eps[j] - log_eps[i]))
        partner.append(j)
    return np.array(slopes), np.array(partner, dtype=int)


def select_tail_window(log_eps: np.ndarray, log_n: np.ndarray, *,
                       slope_tolerance: float = SLOPE_TOLERANCE,
                       span_decades: float = SLOPE_SPAN_DECADES) -> int:
    """First index of the longest tail window whose local slopes agree with their median.

    Returns ``a`` such that points ``a .. end`` form the window (see the module docstring).
    """
    slopes, _ = local_slopes(log_eps, log_n, span_decades=span_decades)
    for a in range(log_eps.size):
        inside = slopes[a:]  # every partner lies after its left end, so inside the window
        if inside.size == 0 or np.all(np.abs(inside - np.median(inside)) <= slope_tolerance):
            return a
    return log_eps.size - 1


def _power_fit(log_eps: np.ndarray, log_n: np.ndarray) -> tuple[float, float]:
    slope, intercept = np.polyfit(log_eps, log_n, 1)
    return -float(slope), float(np.exp(intercept))


def fit_exponent(eps, iterations_per_start, *, slope_tolerance: float = SLOPE_TOLERANCE,
                 span_decades: float = SLOPE_SPAN_DECADES,
                 min_points: int = MIN_WINDOW_POINTS,
                 min_iterations: float = MIN_ITERATIONS,
                 jump_ratio: float = JUMP_RATIO, n_bootstrap: int = N_BOOTSTRAP,
                 confidence: float = CONFIDENCE, seed: int = 0) -> ExponentFit:
    """Fit ``N(eps) ~ C eps^-p`` on the tail window of the median curve.

    Parameters
    ----------
    eps : array_like, shape (m,)
        Strictly decreasing thresholds.
    iterations_per_start : array_like, shape (B, m) or (m,)
        First-hitting iterations per start, ``-1`` for never.
    slope_tolerance, span_decades, min_points, min_iterations, jump_ratio : float
        Parameters of the rules in the module docstring.
    n_bootstrap : int
        Bootstrap replicates over starts.
    confidence : float
        Level of the interval.
    seed : int
        Seed of the bootstrap generator.

    Returns
    -------
    ExponentFit
    """
    eps_array, hits = _as_grid(eps, iterations_per_start)
    n_starts = hits.shape[0]
    rule = WINDOW_RULE.format(min_iterations=min_iterations, span=span_decades,
                              tol=slope_tolerance, ratio=jump_ratio)
    flags = []
    jumps = find_jumps(eps_array, hits, jump_ratio=jump_ratio)
    jump_starts = sorted({p.start for p in jumps})
    keep = np.ones(n_starts, dtype=bool)
    if jumps:
        flags.append("jump_detected")
        if 2 * (n_starts - len(jump_starts)) >= n_starts:
            keep[jump_starts] = False
        else:
            flags.append("jumps_in_most_starts")
    used = hits[keep]
    curve = median_curve(used)
    valid = np.nonzero(np.isfinite(curve) & (curve >= max(min_iterations, 1)))[0]
    if valid.size < 2:
        flags += ["insufficient_data", "window_too_short"]
        return ExponentFit(np.nan, np.nan, np.nan, np.nan, np.nan, np.nan, int(valid.size),
                           n_starts, int(keep.sum()), jumps, rule, tuple(flags),
                           np.array([]))
    log_eps, log_n = np.log(eps_array[valid]), np.log(curve[valid])
    slopes, _ = local_slopes(log_eps, log_n, span_decades=span_decades)
    first = select_tail_window(log_eps, log_n, slope_tolerance=slope_tolerance,
                               span_decades=span_decades)
    window = valid[first:]
    if window.size < min_points:
        flags.append("window_too_short")
    if find_jumps(eps_array[window], curve[window][None, :], jump_ratio=jump_ratio):
        flags.append("plateau_in_window")
    if window.size < 2:
        return ExponentFit(np.nan, np.nan, np.nan, np.nan, float(eps_array[window[-1]]),
                           float(eps_array[window[0]]), int(window.size), n_starts,
                           int(keep.sum()), jumps, rule, tuple(flags), slopes)
    exponent, constant = _power_fit(log_eps[first:], log_n[first:])
    ci_low, ci_high = _bootstrap_interval(np.log(eps_array[window]), used[:, window],
                                          n_bootstrap, confidence, seed, exponent)
    return ExponentFit(exponent, ci_low, ci_high, constant, float(eps_array[window[-1]]),
                       float(eps_array[window[0]]), int(window.size), n_starts,
                       int(keep.sum()), jumps, rule, tuple(flags), slopes)


def _bootstrap_interval(log_eps: np.ndarray, hits: np.ndarray, n_bootstrap: int,
                        confidence: float, seed: int, estimate: float) -> tuple[float, float]:
    """Percentile interval of the exponent, resampling starts with replacement.

    With a single start there is nothing to resample: the interval is then the
    t-interval of the least-squares slope on the window (residual scatter only).
    """
    n_starts = hits.shape[0]
    if n_starts < 2 or n_bootstrap < 1:
        return _regression_interval(log_eps, np.median(hits, axis=0), confidence, estimate)
    rng = np.random.default_rng(seed)
    samples = hits[rng.integers(0, n_starts, size=(n_bootstrap, n_starts))]
    curves = np.median(samples, axis=1)
    ok = np.all(np.isfinite(curves) & (curves > 0), axis=1)
    if not np.any(ok):
        return np.nan, np.nan
    design = np.vstack([log_eps, np.ones_like(log_eps)]).T
    coefficients, *_ = np.linalg.lstsq(design, np.log(curves[ok]).T, rcond=None)
    exponents = -coefficients[0]
    alpha = (1.0 - confidence) / 2.0
    return float(np.quantile(exponents, alpha)), float(np.quantile(exponents, 1.0 - alpha))


def _regression_interval(log_eps, curve, confidence, estimate):
    """t-interval of the slope of ``log N`` against ``log eps`` (needs 3 points or more)."""
    from scipy import stats

    usable = np.isfinite(curve) & (curve > 0)
    x, y = log_eps[usable], np.log(curve[usable])
    if x.size < 3:
        return np.nan, np.nan
    slope, intercept = np.polyfit(x, y, 1)
    residual = y - (slope * x + intercept)
    spread = np.sum((x - x.mean()) ** 2)
    standard_error = np.sqrt(np.sum(residual**2) / (x.size - 2) / spread)
    half = stats.t.ppf(0.5 + confidence / 2.0, x.size - 2) * standard_error
    return float(estimate - half), float(estimate + half)


def fit_two_regime(eps, iterations, *, eps_min: float | None = None,
                   eps_max: float | None = None) -> TwoRegimeFit:
    """Fit ``N ~ a eps^-2 + b eps^-1`` with ``a, b >= 0`` on relative residuals.

    Parameters
    ----------
    eps : array_like, shape (m,)
        Strictly decreasing thresholds.
    iterations : array_like, shape (m,) or (B, m)
        First-hitting iterations (median over starts taken if 2-D; ``-1`` never).
    eps_min, eps_max : float, optional
        Restrict the fit to ``eps_min <= eps <= eps_max``.

    Returns
    -------
    TwoRegimeFit
        ``crossover_eps = a / b`` (``inf`` if ``b = 0``): slope ~1 above, ~2 below.
    """
    eps_array, hits = _as_grid(eps, iterations)
    curve = np.median(hits, axis=0)
    mask = np.isfinite(curve) & (curve > 0)
    if eps_min is not None:
        mask &= eps_array >= eps_min
    if eps_max is not None:
        mask &= eps_array <= eps_max
    if mask.sum() < 2:
        raise ValueError("fewer than 2 usable points for the two-regime fit")
    e, n = eps_array[mask], curve[mask]
    design = np.vstack([e**-2.0 / n, e**-1.0 / n]).T
    (a, b), _ = nnls(design, np.ones_like(n))
    residual = design @ np.array([a, b]) - 1.0
    crossover = a / b if b > 0 else np.inf
    return TwoRegimeFit(float(a), float(b), float(crossover),
                        float(np.sqrt(np.mean(residual**2))), int(mask.sum()),
                        float(e.min()), float(e.max()))

r"""Rate models of the first-hitting curve ``N(eps)``: selection, asymptotic exponent, calibrated interval.

Input convention (the engine's ``eps_hits``): ``eps`` is a decreasing grid of thresholds
``(m,)`` and ``iterations_per_start`` is ``(B, m)``: entry ``[b, j]`` is the first iteration
``k`` with ``||g_k|| <= eps_j`` for start ``b``, ``-1`` if never reached.  All starts given
to :func:`fit_rate` should approach the same limit point (group them first: starts that
reach different limit points have different models, SCIENCE.md section 5).

What an answer promises
-----------------------
The interval is a claim about ``eps -> 0``, not about the window: it must contain the
asymptotic exponent although the data stop at a finite eps, where corrections of unknown size
still act (``N = C eps^-p (1 + c eps^q)``, logarithmic factors, an offset of transient
iterations, two regimes).  No finite window bounds what happens below it without an
assumption; the assumptions here are stated (:data:`SLOWEST_CORRECTION`,
:data:`LEADING_SHARE`) and the promise is measured: ``make calibration`` fits synthetic curves
with known truth drawn like real runs (:mod:`theory.calibration`) and writes, per family, the
coverage of the answers without a warning label, of the labelled ones, and the rate of
confident wrong models (README, "Calibration").  An answer without a label promises its
interval (measured: >= 93% coverage on every family); a label (:data:`WARNING_LABELS`) says
why the data cannot support that promise, and its interval is widened so that it still covers
in >= 80% of draws, or the model is ``undetermined``.

Models (SCIENCE.md, "Rate models near a limit point")
-----------------------------------------------------
``power``
    ``N ~ C eps^-p`` as ``eps -> 0``, ``p > 0``: the exponent is ``p``.
``logarithmic``
    ``N = a + b log10(1/eps)``: linear convergence (``theta = 1/2``, a constant accepted
    step), ``b`` iterations per decade of eps.  Exponent 0; said only when the data exclude
    a power law with exponent :data:`SMALL_EXPONENT` or more.
``power-or-logarithmic``
    The data fit linear convergence and cannot exclude a power law with exponent
    :data:`SMALL_EXPONENT` or more at this depth: both estimates are given (``exponent`` of
    the power law, ``iterations_per_decade`` of the logarithmic model), the interval is
    ``[0, upper]``.  A label, not a confident model.
``two-regime``
    ``N = a eps^-2 + b eps^-1`` (``a, b >= 0``, T2's shape), tried when asked for
    (``two_regime=True``, where T2 applies) and chosen when it fits best.  Exponent 2.
``undetermined``
    No model describes the data: too few points, jumps in most starts, or no model class
    fits the window within :data:`MAX_MISFIT`.

Procedure (each step a stated rule)
-----------------------------------
1. **Jumps.**  A plateau of a start is a maximal run of thresholds ``eps_i .. eps_j``
   (``i < j``) hit at the same iteration ``n >= 1``.  It is a *jump* when it spans at least
   ``jump_ratio`` (a decade) *and* more than ``JUMP_RATE_FACTOR`` times the decades per
   iteration the same start makes elsewhere: a lucky step or an exact hit of a minimiser,
   not the steady pace of fast linear convergence.  Starts with a jump are left out of the
   curve unless that leaves fewer than half (flag ``jumps_in_most_starts``).
2. **Curve and window.**  The median over the kept starts per threshold (never reached =
   ``+inf``); points with a finite median of at least ``min_iterations``.  Local exponents
   are least-squares slopes of ``log N`` against ``log eps`` over ``span_decades`` (a
   decade: periodic ripples of a staircase average out); the window is the longest tail
   whose local exponents lie within ``slope_tolerance`` of the linear trend of its deeper
   half: a drift stays in the window (step 3 measures it), a transient of another regime is
   cut off.  A decade-long slope blurs a sharp change of regime, so leading points of the
   window that a quadratic in log-log through the rest misses by more than
   :data:`HEAD_OUTLIER` robust standard deviations are cut too.
3. **Model classes.**  On the window, with ``u = log10(eps_deepest / eps) <= 0`` and counts
   weighted by the noise of a first-hitting count (:func:`count_weights`), every class is
   ``N = A + B x(p, .)`` with an offset ``A`` (the iterations of a transient) and
   ``B x >= LEADING_SHARE N`` at the deepest threshold (the leading term carries the
   deepest count):

   * *drifting power*: ``x = 10^(p u + beta u^2 / 2)``: the local exponent ``p + beta u``
     still drifts at the rate ``beta`` per decade.  A correction ``c eps^q`` decays by a
     factor ``10^-q`` per decade, so the drift still to come is at most ``beta`` times
     :data:`DRIFT_HORIZON` decades for every ``q >=`` :data:`SLOWEST_CORRECTION`: the class
     says the exponent lies in ``p + beta [0, DRIFT_HORIZON]``;
   * *logarithmic factor*: ``x = eps^-p (log(1/eps) / log(1/eps_deepest))^k``,
     ``|k| <=`` :data:`MAX_LOG_FACTOR`: exponent ``p`` (its drift ``k / log(1/eps)`` never
     dies geometrically);
   * *additive logarithm*: ``x = eps^-p`` plus a term ``c log(1/eps)`` of either sign:
     exponent ``p`` (gradient descent on ``x^4`` has ``1/x_k^2 = 8 eta k + 6 eta log k + ...``,
     so ``N = C eps^-2/3 + c log(1/eps) + K``);
   * *logarithmic*: ``N = a + b log10(1/eps) (+ c (eps / eps_top)^r``, ``r`` from 0.1 to 5: a
     transient that decays as eps decreases);
   * *two-regime* (``two_regime=True``): ``a eps^-2 + b eps^-1``, exponent 2.

   Each class is profiled over its nonlinear parameters on a grid refined by zooming;
   ``RSS_best`` is the smallest weighted residual sum of squares over every class.
4. **Interval.**  The confidence set of the union of the classes: every parameter value of
   every class with ``RSS <= RSS_best (1 + r F(1, n - 4) / (n - 4))`` (level ``confidence``,
   ``n`` points, ``r = (1 + rho) / (1 - rho)`` for the lag-one autocorrelation ``rho`` of the
   best fit's residuals, capped at :data:`MAX_AUTOCORRELATION`: a staircase's ripples and a
   systematic misfit are not independent noise) or ``RSS <= RSS_best + sum_j (w_j delta N_j)^2``
   with ``delta =`` :data:`MODEL_DISCREPANCY` (no class is the exact curve of a run: on precise
   counts a class within 0.1% of them is not rejected), projected on the asymptotic exponent by
   one-dimensional profiles (the drifting class twice: ``p`` and ``p + beta DRIFT_HORIZON``),
   and ``2`` where the two-regime model is within the threshold.  Where a drift is measured
   (``pre_asymptotic``, step 6), the hull with the profile intervals of the plain offset power
   law ``A + B eps^-p`` on the deepest half and third of the window
   (:data:`NESTED_FRACTIONS`: a fast correction that has died out there).  The point estimate
   ``exponent`` is the drifting class's ``p`` (the local exponent at the deepest thresholds,
   the offset removed), or the best logarithmic class's where the drifting class is outside
   the threshold.
5. **Model.**  Linear convergence is possible when the logarithmic class is within the
   threshold or the interval reaches the smallest profiled exponent
   (``PROFILE_EXPONENTS[0]``, 0.002: no grid tells it from 0).  Then the answer is
   ``logarithmic`` (interval ``[0, upper]``) if the interval stays below
   :data:`SMALL_EXPONENT`, else ``power-or-logarithmic``.  Otherwise ``two-regime`` if it is
   asked for, within the threshold and fits at least as well as the power classes, else
   ``power``.
6. **Labels** (:data:`WARNING_LABELS`): ``pre_asymptotic`` when neither the plain offset
   power law (the drifting class at ``beta = 0``, at its best ``p``) nor the plain
   logarithmic model is within the threshold: a drift is measured and the interval includes
   its extrapolation; ``log_factor_suspected`` when, moreover, a logarithmic correction (the
   factor or the additive term) fits better than a drifting power; ``too_few_thresholds`` below
   :data:`MIN_CALIBRATED_POINTS`
   points in the window; ``plateau_in_window``; the model ``power-or-logarithmic``; and every
   reason for ``undetermined`` (``window_too_short``, ``insufficient_data``,
   ``jumps_in_most_starts``, ``no_model_fits``, ``no_progress_in_window``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import stats
from scipy.optimize import nnls

SLOPE_TOLERANCE = 0.1
"""Local exponents of the fit window stay within this distance of their linear trend."""

SLOPE_SPAN_DECADES = 1.0
"""A local exponent is a least-squares slope over at least this many decades of eps."""

HEAD_OUTLIER = 5.0
"""A leading point of the window this many robust standard deviations off the rest's curve is cut."""

MIN_WINDOW_POINTS = 6
"""Fewer points in the window raise ``window_too_short`` (the classes have 4 parameters)."""

MIN_CALIBRATED_POINTS = 10
"""Fewer points in the window raise the label ``too_few_thresholds``."""

MIN_ITERATIONS = 3
"""Thresholds whose median first-hitting iteration is below this are not fitted."""

JUMP_RATIO = 10.0
"""A plateau must span at least this ratio of eps (one decade) to be a jump."""

JUMP_RATE_FACTOR = 3.0
"""...and more than this many times the decades per iteration of the start elsewhere."""

N_BOOTSTRAP = 200
"""Bootstrap replicates over starts (interval of the iterations per decade)."""

CONFIDENCE = 0.95
"""Level of the intervals."""

ROUNDING_SD = 0.5
"""Absolute noise of one first-hitting count (an integer), in iterations."""

RELATIVE_SD = 0.005
"""Relative noise of a median first-hitting count (spread over starts and thresholds)."""

SLOWEST_CORRECTION = 0.05
"""The slowest power correction ``eps^q`` the interval allows for (``x^12 + x^13`` has ``q = 1/11``)."""

DRIFT_HORIZON = 1.0 / (SLOWEST_CORRECTION * np.log(10.0))
"""Decades over which a measured drift of the local exponent is extrapolated (8.7): a drift that
decays like ``eps^q`` has ``1 / (q ln 10)`` decades' worth of its present rate still to come."""

LEADING_SHARE = 0.5
"""The leading term carries at least this share of the count at the deepest threshold."""

MAX_LOG_FACTOR = 3.0
"""Largest power ``|k|`` of a logarithmic factor ``log(1/eps)^k`` profiled."""

SMALL_EXPONENT = 0.05
"""``logarithmic`` only when the interval excludes power laws with this exponent or more."""

MAX_MISFIT = 0.25
"""The best model class must describe the window within this RMS of ``log(fitted / measured)``."""

MODEL_DISCREPANCY = 1e-3
"""Relative accuracy of the model classes: below it, a worse fit is no evidence against a class."""

MAX_AUTOCORRELATION = 0.9
"""Cap of the residual autocorrelation in the threshold's inflation ``(1 + rho) / (1 - rho)``."""

NESTED_FRACTIONS = (0.5, 1.0 / 3.0)
"""Deepest shares of the window on which the plain offset power law is also fitted."""

MIN_NESTED_POINTS = 5
"""A nested window needs at least this many points."""

EXPONENT_GRID = np.concatenate([np.linspace(0.002, 0.1, 50), np.linspace(0.1, 4.0, 391)[1:]])
"""Exponents profiled by :func:`fit_power` (then refined by a parabola through the minimum)."""

PROFILE_EXPONENTS = np.concatenate([np.geomspace(2e-3, 0.1, 20)[:-1], np.linspace(0.1, 4.0, 79)])
"""Coarse grid of exponents of the model classes (refined by zooming)."""

DRIFT_EXTRAPOLATIONS = np.linspace(-10.0, 14.0, 97)
"""Grid of the extrapolated exponent ``p + beta DRIFT_HORIZON`` of a drift (refined at the interval's ends)."""

ZOOM_LEVELS = 6
"""Refinements of a profile's nuisance parameter (a quarter of the step each) and of its minimum."""

MODELS = ("power", "logarithmic", "power-or-logarithmic", "two-regime", "undetermined")

WARNING_LABELS = ("pre_asymptotic", "log_factor_suspected", "too_few_thresholds", "plateau_in_window",
                  "jumps_in_most_starts", "window_too_short", "insufficient_data", "no_model_fits",
                  "no_progress_in_window")
"""Flags that withdraw the promise of the interval (the model ``power-or-logarithmic`` is one too)."""

WINDOW_RULE = (
    "longest tail window (ending at the smallest eps with finite median N >= {min_iterations}) whose "
    "local exponents, least-squares slopes over >= {span:g} decades, lie within {tol:g} of the linear "
    "trend of the deeper half (and no leading outlier); interval: the {level:.0%} confidence set of the union "
    "of the model classes (offset power law whose exponent drifts, extrapolated over {horizon:.1f} decades = "
    "corrections down to eps^{q:g}; logarithmic factor; additive logarithm; logarithmic{two}), residuals' "
    "autocorrelation included, with the offset power law on the deepest half and third where a drift is "
    "measured; starts with a jump (a plateau over >= {ratio:g}x in eps and "
    "> {rate:g}x their pace elsewhere) excluded when at least half the starts remain"
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


@dataclass(frozen=True, kw_only=True)
class RateFit:
    """The rate model of ``N(eps)`` chosen for one group of starts, with its exponent.

    Attributes
    ----------
    model : str
        One of :data:`MODELS` (see the module).
    exponent : float
        The power law's exponent read at the deepest thresholds (the drifting class's ``p``);
        0 for ``logarithmic``, 2 for ``two-regime``; ``nan`` when undetermined.
    ci_low, ci_high : float
        Interval of the asymptotic exponent (level :data:`CONFIDENCE`), drift, offset and
        model uncertainty included.  ``[0, upper]`` for ``logarithmic`` and
        ``power-or-logarithmic``.
    iterations_per_decade : float
        ``b`` of the logarithmic model (``logarithmic`` and ``power-or-logarithmic``; ``nan``
        otherwise).
    iterations_per_decade_ci : tuple of float
        Its interval.
    pre_asymptotic : bool
        The label ``pre_asymptotic``: the local exponent still drifts in the window.
    extrapolated : float
        ``p + beta DRIFT_HORIZON`` of the drifting class where it drifts (``nan`` otherwise).
    parameters : dict
        Parameters of the chosen model: for a power law the class of the estimate and its
        ``p, A, B`` (and ``beta`` or ``k``); ``a, b`` (logarithmic); ``a, b, crossover_eps``
        (two-regime).
    eps_lo, eps_hi : float
        Smallest and largest eps of the fit window.
    n_points : int
        Points in the window.
    window_eps : tuple of float
        ``(eps_lo, eps_hi)``.
    nested : tuple of tuple
        ``(eps_lo, eps_hi, exponent)`` of the plain offset power law on the window and its
        nested tails, shallow to deep.
    evidence : dict
        Scalars: the threshold and its autocorrelation inflation, the best RSS of every class
        and the interval each contributes.
    drift_horizon : float
        Decades of extrapolation of a drift (:data:`DRIFT_HORIZON`).
    n_starts, n_starts_used : int
        Starts given, starts kept in the median curve.
    jumps : tuple of Plateau
        Every jump found.
    rule : str
        The rules with their parameters.
    flags : tuple of str
        Labels (:data:`WARNING_LABELS`) and ``jump_detected``.
    local_slopes : ndarray
        Local log-log slopes of the median curve over its valid range (for plots).
    """

    model: str
    exponent: float = float("nan")
    ci_low: float = float("nan")
    ci_high: float = float("nan")
    iterations_per_decade: float = float("nan")
    iterations_per_decade_ci: tuple = (float("nan"), float("nan"))
    pre_asymptotic: bool = False
    extrapolated: float = float("nan")
    parameters: dict = field(default_factory=dict)
    eps_lo: float = float("nan")
    eps_hi: float = float("nan")
    n_points: int = 0
    window_eps: tuple = (float("nan"), float("nan"))
    nested: tuple = ()
    evidence: dict = field(default_factory=dict)
    drift_horizon: float = float(DRIFT_HORIZON)
    n_starts: int = 0
    n_starts_used: int = 0
    jumps: tuple[Plateau, ...] = ()
    rule: str = ""
    flags: tuple[str, ...] = ()
    local_slopes: np.ndarray = field(default_factory=lambda: np.array([]), repr=False, compare=False)

    @property
    def jump_detected(self) -> bool:
        return "jump_detected" in self.flags

    @property
    def window_too_short(self) -> bool:
        return "window_too_short" in self.flags

    @property
    def labels(self) -> tuple[str, ...]:
        """The warning labels of the answer (the model ``power-or-logarithmic`` counts as one)."""
        model = ("power-or-logarithmic",) if self.model == "power-or-logarithmic" else ()
        return model + tuple(flag for flag in self.flags if flag in WARNING_LABELS)

    @property
    def labelled(self) -> bool:
        """Whether the answer carries a warning label (or is undetermined): its interval is not promised."""
        return self.model == "undetermined" or bool(self.labels)

    def contains(self, exponent: float) -> bool:
        """Whether ``exponent`` lies in the interval (False when undetermined)."""
        return bool(np.isfinite(self.ci_low) and self.ci_low <= exponent <= self.ci_high)


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


# ----------------------------------------------------------------------------- data


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


def find_jumps(eps, iterations_per_start, *, jump_ratio: float = JUMP_RATIO,
               rate_factor: float = JUMP_RATE_FACTOR) -> tuple[Plateau, ...]:
    """Plateaus that are jumps: over ``jump_ratio`` in eps and out of pace with their start.

    The pace of a start elsewhere is the decades of eps it covers outside the plateau per
    iteration it spends there; a plateau spanning more than ``rate_factor`` times that pace
    (or a start that covers nothing else) is a jump.
    """
    eps_array, hits = _as_grid(eps, iterations_per_start)
    jumps = []
    for plateau in find_plateaus(eps_array, hits):
        if plateau.ratio < jump_ratio:
            continue
        row = hits[plateau.start]
        reached = np.flatnonzero(np.isfinite(row))
        decades = np.log10(eps_array[reached[0]] / eps_array[reached[-1]])
        iterations = row[reached[-1]] - row[reached[0]]
        outside_decades = decades - np.log10(plateau.ratio)
        outside_iterations = max(iterations - 1.0, 1.0)
        pace = outside_decades / outside_iterations
        if outside_decades <= 0 or np.log10(plateau.ratio) > rate_factor * pace:
            jumps.append(plateau)
    return tuple(jumps)


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


def least_squares_slopes(log_eps: np.ndarray, log_n: np.ndarray, *,
                         span_decades: float = SLOPE_SPAN_DECADES) -> np.ndarray:
    """Local exponents ``-dlog N/dlog eps``: least-squares slopes over at least ``span_decades``.

    One slope per left end ``i`` whose span ends inside the data (``log_eps`` decreasing, natural
    logs); a staircase's ripples average out over the span, unlike a two-point slope's.
    """
    span = span_decades * np.log(10.0)
    slopes = []
    for i in range(log_eps.size):
        end = np.nonzero(log_eps[i] - log_eps[i:] >= span - 1e-12)[0]
        if end.size == 0:
            break
        x, y = log_eps[i:i + end[0] + 1], log_n[i:i + end[0] + 1]
        slopes.append(-np.polyfit(x, y, 1)[0])
    return np.array(slopes)


def select_tail_window(log_eps: np.ndarray, log_n: np.ndarray, *,
                       slope_tolerance: float = SLOPE_TOLERANCE,
                       span_decades: float = SLOPE_SPAN_DECADES) -> int:
    """First index of the longest tail window whose local exponents follow their linear trend.

    Returns ``a`` such that points ``a .. end`` form the window (step 2 of the module docstring).
    """
    slopes = least_squares_slopes(log_eps, log_n, span_decades=span_decades)
    for a in range(log_eps.size):
        inside = slopes[a:]  # every span starts at its left end, so inside the window
        if inside.size <= 3:
            return a
        position = log_eps[a:a + inside.size]
        deep = slice(inside.size // 2, None)  # the trend of the deeper half: a kink at the top stands out
        trend = np.polyval(np.polyfit(position[deep], inside[deep], 1), position)
        if np.all(np.abs(inside - trend) <= slope_tolerance):
            return _trim_head(log_eps, log_n, a)
    return log_eps.size - 1


def _trim_head(log_eps, log_n, first):
    """Drop leading points of the window ``first ..`` that no smooth curve through the rest describes.

    A local exponent over a decade blurs a sharp change of regime: up to a decade of the old regime
    can pass the slope rule.  A leading point whose residual from a quadratic in log-log through
    the window exceeds :data:`HEAD_OUTLIER` robust standard deviations of the other residuals
    belongs to that other regime (a staircase's ripples are alike everywhere and stay).
    """
    span = SLOPE_SPAN_DECADES * np.log(10.0)
    start = first
    while log_eps.size - start > MIN_WINDOW_POINTS and log_eps[first] - log_eps[start] < span:
        x, y = log_eps[start:], log_n[start:]
        residuals = y - np.polyval(np.polyfit(x, y, 2), x)
        rest = residuals[1:]
        sigma = 1.4826 * np.median(np.abs(rest - np.median(rest)))
        if not abs(residuals[0]) > HEAD_OUTLIER * max(sigma, 1e-12):
            break
        start += 1
    return start


# ----------------------------------------------------------------------------- model fits


def count_weights(counts):
    """Weights ``1/sd`` of first-hitting counts: rounding plus relative spread (module docstring)."""
    counts = np.asarray(counts, dtype=float)
    return 1.0 / np.sqrt(ROUNDING_SD**2 + (RELATIVE_SD * counts) ** 2)


def _weighted_line(x, counts, weights):
    """Weighted least squares of ``counts ~ A + B x`` column by column.

    ``x``, ``counts`` and ``weights`` broadcast to ``(n,)`` or ``(n, R)``; returns ``A``,
    ``B`` and the weighted residual sum of squares, each of shape ``()`` or ``(R,)``.
    """
    x, counts, weights = np.broadcast_arrays(x, counts, weights)
    # eps^-p overflows for large p and tiny eps: such columns come out non-finite and lose
    with np.errstate(all="ignore"):
        w2 = weights**2
        s0, s1, s2 = w2.sum(0), (w2 * x).sum(0), (w2 * x * x).sum(0)
        t0, t1 = (w2 * counts).sum(0), (w2 * x * counts).sum(0)
        determinant = s0 * s2 - s1 * s1
        intercept = (s2 * t0 - s1 * t1) / determinant
        slope = (s0 * t1 - s1 * t0) / determinant
        residual = (intercept + slope * x - counts) * weights
        rss = (residual**2).sum(0)
    return intercept, slope, np.where(np.isfinite(rss), rss, np.inf)


def _power_profile(log_eps, counts, weights, grid):
    """Residual sum of squares of ``A + B eps^-p`` for each ``p`` of ``grid`` (``B > 0``)."""
    rows = []
    for p in grid:
        with np.errstate(over="ignore"):
            x = np.exp(-p * log_eps)
        if counts.ndim == 2:
            x = x[:, None]
        _, slope, rss = _weighted_line(x, counts, weights)
        rows.append(np.where(slope > 0, rss, np.inf))
    return np.array(rows)


def _refine_minimum(grid, profile):
    """Minimiser of a profile on ``grid`` refined by the parabola through its neighbours."""
    index = np.argmin(profile, axis=0)
    inner = np.clip(index, 1, grid.size - 2)
    columns = () if profile.ndim == 1 else (np.arange(profile.shape[1]),)
    y0, y1, y2 = (profile[(inner + shift,) + columns] for shift in (-1, 0, 1))
    x0, x1, x2 = grid[inner - 1], grid[inner], grid[inner + 1]
    with np.errstate(invalid="ignore", divide="ignore"):
        denominator = (x1 - x0) * (y1 - y2) - (x1 - x2) * (y1 - y0)  # < 0 at a minimum
        numerator = (x1 - x0) ** 2 * (y1 - y2) - (x1 - x2) ** 2 * (y1 - y0)
        vertex = x1 - 0.5 * numerator / denominator
    refined = np.where(np.isfinite(vertex) & (denominator < 0), np.clip(vertex, x0, x2), x1)
    at_edge = (index == 0) | (index == grid.size - 1)
    return np.where(at_edge, grid[index], refined)


def fit_power(eps, counts, weights=None):
    """``counts ~ A + B eps^-p`` (``B > 0``): profile least squares over ``p``, weighted.

    ``counts`` may be ``(n,)`` or ``(n, R)`` (one fit per column).  Returns ``p, A, B, rss``.
    """
    log_eps = np.log(np.asarray(eps, dtype=float))
    counts = np.asarray(counts, dtype=float)
    weights = count_weights(counts) if weights is None else weights
    p = _refine_minimum(EXPONENT_GRID, _power_profile(log_eps, counts, weights, EXPONENT_GRID))
    with np.errstate(over="ignore"):
        x = np.exp(-np.multiply.outer(log_eps, p)) if counts.ndim == 2 else np.exp(-p * log_eps)
    intercept, slope, rss = _weighted_line(x, counts, weights)
    return p, intercept, slope, rss


def fit_logarithmic(eps, counts):
    """``counts ~ a + b log10(1/eps)``, weighted.  Returns ``a, b, rss``."""
    return _weighted_line(-np.log10(np.asarray(eps, dtype=float)), np.asarray(counts, dtype=float),
                          count_weights(counts))


# ----------------------------------------------------------------------------- model classes


def _offset_fit(x, counts, weights2, extra=None):
    """``counts ~ A + B x (+ C extra)`` by weighted least squares for every leading row of ``x`` ``(..., n)``.

    ``extra`` is one fixed column ``(n,)`` (the additive logarithm of a correction), projected out
    first (Frisch-Waugh), so every row costs one slope.  Returns ``rss, A, B, fitted`` (``A`` the
    offset); ``rss = inf`` where the leading term ``B x`` is not positive, carries less than
    :data:`LEADING_SHARE` of the deepest fitted count, or a fitted count is not positive.
    """
    design = np.ones((counts.size, 1)) if extra is None else np.column_stack([np.ones(counts.size), extra])
    projector = np.linalg.solve(design.T @ (weights2[:, None] * design), (weights2[:, None] * design).T)
    with np.errstate(all="ignore"):
        on_counts = projector @ counts
        on_x = x @ projector.T  # (..., k): the columns' coefficients of x
        counts_rest = counts - design @ on_counts
        x_rest = x - on_x @ design.T
        norm = (weights2 * x_rest * x_rest).sum(-1)
        slope = (weights2 * x_rest * counts_rest).sum(-1) / norm
        coefficients = on_counts - slope[..., None] * on_x
        fitted = coefficients @ design.T + slope[..., None] * x
        rss = (weights2 * (fitted - counts) ** 2).sum(-1)
        leading = slope * x[..., -1]
        ok = (np.isfinite(rss) & (norm > 1e-12 * (weights2 * x * x).sum(-1)) & (slope > 0)
              & (leading >= LEADING_SHARE * fitted[..., -1]) & (fitted.min(axis=-1) > 0))
    return np.where(ok, rss, np.inf), coefficients[..., 0], slope, fitted


class _ModelClass:
    """``N = A + B x(p, s)`` with one nuisance parameter ``s``: profiles of the exponent.

    ``basis(p, s)`` maps arrays of one shape to ``x`` of that shape plus ``(n,)``, for ``p > 0``.
    A *view* ``(grid, shift)`` is a quantity ``theta = p + shift s`` (the asymptotic exponent,
    or the extrapolated one of a drift) with the grid on which it is profiled: ``profile(theta)``
    is the smallest RSS over ``s`` with ``p = theta - shift s``, found on the nuisance grid
    ``second`` and refined by zooming.  One-dimensional profiles find the extremes of a thin,
    tilted confidence region that a two-dimensional grid misses.
    """

    def __init__(self, name, basis, second, views, counts, weights2, extra=None, second_name=None):
        self.name, self.basis, self.second, self.views, self.second_name = name, basis, second, views, second_name
        self.counts, self.weights2, self.extra = counts, weights2, extra
        self.best, self.argmin = np.inf, (np.nan, np.nan)
        self.profiles = [self._profile(grid, shift) for grid, shift in views]

    def evaluate(self, p, s):
        p, s = np.broadcast_arrays(np.asarray(p, dtype=float), np.asarray(s, dtype=float))
        rss = _offset_fit(self.basis(np.where(p > 0, p, 1.0), s), self.counts, self.weights2, self.extra)[0]
        return np.where(p > 0, rss, np.inf)

    def fitted(self, p, s):
        """The fitted counts, offset and slope at ``(p, s)``."""
        _, offset, slope, fitted = _offset_fit(self.basis(np.array(p), np.array(s)), self.counts, self.weights2,
                                               self.extra)
        return fitted, float(offset), float(slope)

    def _profile(self, theta, shift):
        """Smallest RSS over the nuisance at each ``theta`` (and the best point seen).

        The nuisance grid is refined around its best value :data:`ZOOM_LEVELS` times (to a quarter
        of the step each time), then by the vertex of the parabola through the best three values.
        """
        theta = np.asarray(theta, dtype=float)
        candidates = np.broadcast_to(self.second, theta.shape + self.second.shape)
        step = (self.second[-1] - self.second[0]) / max(self.second.size - 1, 1)
        best = np.full(theta.shape, np.inf)
        best_s = np.zeros(theta.shape)
        for level in range(ZOOM_LEVELS + 2 if self.second.size > 1 else 1):
            if level == ZOOM_LEVELS + 1:  # the parabola through the best value and its neighbours
                with np.errstate(all="ignore"):
                    left, middle, right = (np.take_along_axis(rss, np.clip(index + k, 0, rss.shape[-1] - 1)[..., None],
                                                              -1)[..., 0] for k in (-1, 0, 1))
                    curvature = left - 2.0 * middle + right
                    offset = np.where(curvature > 0, 0.5 * (left - right) / curvature, 0.0)
                spacing = candidates[..., 1] - candidates[..., 0]
                vertex = np.take_along_axis(candidates, index[..., None], -1)[..., 0] + np.clip(offset, -1, 1) * spacing
                candidates = np.clip(vertex, self.second[0], self.second[-1])[..., None]
            elif level > 0:
                candidates = np.clip(best_s[..., None] + np.linspace(-step, step, 9), self.second[0], self.second[-1])
                step /= 4.0
            rss = self.evaluate(theta[..., None] - shift * candidates, candidates)
            index = np.argmin(rss, axis=-1)
            value = np.take_along_axis(rss, index[..., None], -1)[..., 0]
            better = value < best
            best = np.where(better, value, best)
            best_s = np.where(better, np.take_along_axis(candidates, index[..., None], -1)[..., 0], best_s)
        if best.size and np.min(best) < self.best:
            k = int(np.argmin(best))
            self.best = float(best.flat[k])
            self.argmin = (float(theta.flat[k] - shift * best_s.flat[k]), float(best_s.flat[k]))
        return best

    def refine_minimum(self):
        """Zoom on the smallest value of the first view's profile."""
        grid, shift = self.views[0]
        values = self.profiles[0]
        k = int(np.argmin(values))
        low, high = grid[max(k - 1, 0)], grid[min(k + 1, grid.size - 1)]
        for _ in range(ZOOM_LEVELS + 2):
            if not np.isfinite(self.best):
                break
            sub = np.linspace(low, high, 9)
            values = self._profile(sub, shift)
            k = int(np.argmin(values))
            low, high = sub[max(k - 1, 0)], sub[min(k + 1, sub.size - 1)]
        return self.best

    def interval(self, threshold):
        """Hull over the views of ``{theta : profile(theta) <= threshold}`` (None if empty).

        The best point (:meth:`refine_minimum`) lies inside; each end is found by bisection
        between the outermost inside value and the next grid value outside.
        """
        if not self.best <= threshold:
            return None
        low, high = np.inf, -np.inf
        for (grid, shift), values in zip(self.views, self.profiles):
            inside = np.append(grid[values <= threshold], self.argmin[0] + shift * self.argmin[1])
            first, last = inside.min(), inside.max()
            below, above = grid[grid < first], grid[grid > last]
            low = min(low, self._edge(first, below.max(), shift, threshold) if below.size else first)
            high = max(high, self._edge(last, above.min(), shift, threshold) if above.size else last)
        return float(low), float(high)

    def _edge(self, inside, outside, shift, threshold):
        """End of the region between a ``theta`` inside it and one outside (multisection); the outer bound."""
        for _ in range(4):
            trial = np.linspace(inside, outside, 10)
            inner = self._profile(trial, shift) <= threshold
            crossing = int(np.argmin(inner)) if not inner.all() else trial.size - 1
            inside, outside = trial[max(crossing - 1, 0)], trial[crossing]
        return float(outside)


def _autocorrelation_inflation(residuals):
    """``(1 + rho) / (1 - rho)`` for the lag-one autocorrelation ``rho`` of the residuals (>= 1)."""
    if residuals.size < 4 or not np.any(residuals):
        return 1.0
    rho = float(np.sum(residuals[1:] * residuals[:-1]) / np.sum(residuals**2))
    rho = min(max(rho, 0.0), MAX_AUTOCORRELATION)
    return (1.0 + rho) / (1.0 - rho)


def _logarithmic_class(u, counts, weights2, transient=True):
    """Best RSS of ``a + b log10(1/eps) (+ c eps^r)`` with ``b > 0``, and its ``b``."""
    columns = [np.ones_like(u), u]
    best, slope = np.inf, np.nan
    for rate in [None] + (list(np.geomspace(0.1, 5.0, 25)) if transient else []):
        transient = [10.0 ** (-rate * (u - u[0]))] if rate is not None else []  # 1 at the top, decaying
        design = np.stack(columns + transient, axis=1)
        root = np.sqrt(weights2)
        coefficients = np.linalg.lstsq(design * root[:, None], counts * root, rcond=None)[0]
        fitted = design @ coefficients
        rss = float(np.sum(weights2 * (fitted - counts) ** 2))
        if coefficients[1] > 0 and np.all(fitted > 0) and rss < best:
            best, slope = rss, float(coefficients[1])
    return best, slope


def _two_regime_class(eps, counts, weights2):
    """RSS and coefficients of ``a eps^-2 + b eps^-1`` (``a, b >= 0``) on the window's weights."""
    design = np.stack([eps**-2.0, eps**-1.0], axis=1) * np.sqrt(weights2)[:, None]
    scale = design.max(axis=0)
    coefficients = nnls(design / scale, counts * np.sqrt(weights2))[0] / scale
    fitted = np.stack([eps**-2.0, eps**-1.0], axis=1) @ coefficients
    return float(np.sum(weights2 * (fitted - counts) ** 2)), float(coefficients[0]), float(coefficients[1])


def _offset_power_interval(eps, counts, confidence):
    """Estimate and profile interval of ``p`` in ``A + B eps^-p`` (residual autocorrelation included)."""
    u = np.log10(eps[-1] / eps)
    weights2 = count_weights(counts) ** 2
    plain = _ModelClass("offset power", lambda p, s: 10.0 ** ((p + 0.0 * s)[..., None] * u), np.zeros(1),
                        [(PROFILE_EXPONENTS, 0.0)], counts, weights2)
    if not np.isfinite(plain.refine_minimum()):
        return np.nan, np.nan, np.nan
    fitted, _, _ = plain.fitted(*plain.argmin)
    inflation = _autocorrelation_inflation((fitted - counts) * np.sqrt(weights2))
    dof = counts.size - 3
    threshold = plain.best * (1.0 + inflation * stats.f.ppf(confidence, 1, dof) / dof)
    interval = plain.interval(max(threshold, plain.best * (1.0 + 1e-12)))
    return (plain.argmin[0],) + (interval if interval is not None else (np.nan, np.nan))


# ----------------------------------------------------------------------------- the fit


def fit_rate(eps, iterations_per_start, *, two_regime: bool = False,
             slope_tolerance: float = SLOPE_TOLERANCE, span_decades: float = SLOPE_SPAN_DECADES,
             min_points: int = MIN_WINDOW_POINTS, min_iterations: float = MIN_ITERATIONS,
             jump_ratio: float = JUMP_RATIO, n_bootstrap: int = N_BOOTSTRAP,
             confidence: float = CONFIDENCE, seed: int = 0) -> RateFit:
    """Choose the rate model of ``N(eps)`` and bound its asymptotic exponent.

    Parameters
    ----------
    eps : array_like, shape (m,)
        Strictly decreasing thresholds.
    iterations_per_start : array_like, shape (B, m) or (m,)
        First-hitting iterations per start (one group: the same limit point), ``-1`` for never.
    two_regime : bool
        Also try ``N = a eps^-2 + b eps^-1`` (where T2 applies).
    slope_tolerance, span_decades, min_points, min_iterations, jump_ratio : float
        Parameters of the rules of the module docstring.
    n_bootstrap : int
        Bootstrap replicates over starts (interval of the iterations per decade).
    confidence : float
        Level of the intervals.
    seed : int
        Seed of the bootstrap.

    Returns
    -------
    RateFit

    Examples
    --------
    Counts of an exact power law ``N = ceil(5 eps^-1/2)`` over six decades: the model is a power,
    the exponent 1/2, inside the interval (and 0.6 outside), with no warning label.

    >>> eps = np.logspace(-2, -8, 25)
    >>> fit = fit_rate(eps, np.ceil(5.0 * eps**-0.5))
    >>> fit.model, round(fit.exponent, 3), fit.contains(0.5), fit.contains(0.6), fit.labels
    ('power', 0.5, True, False, ())
    """
    eps_array, hits = _as_grid(eps, iterations_per_start)
    n_starts = hits.shape[0]
    rule = WINDOW_RULE.format(min_iterations=min_iterations, span=span_decades, tol=slope_tolerance,
                              level=confidence, horizon=DRIFT_HORIZON, q=SLOWEST_CORRECTION,
                              two="; two-regime" if two_regime else "", ratio=jump_ratio, rate=JUMP_RATE_FACTOR)
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
    valid = np.flatnonzero(np.isfinite(curve) & (curve >= max(min_iterations, 1)))
    slopes = np.array([])
    if valid.size >= 2:
        slopes = least_squares_slopes(np.log(eps_array[valid]), np.log(curve[valid]), span_decades=span_decades)
    common = dict(n_starts=n_starts, n_starts_used=int(keep.sum()), jumps=jumps, rule=rule, local_slopes=slopes)

    def undetermined(reasons, window=None, evidence=None):
        span = (float(eps_array[window[-1]]), float(eps_array[window[0]])) if window is not None else (np.nan, np.nan)
        return RateFit(model="undetermined", eps_lo=span[0], eps_hi=span[1], window_eps=span,
                       n_points=0 if window is None else int(window.size), evidence=evidence or {},
                       flags=tuple(flags + reasons), **common)

    if valid.size < 2:
        return undetermined(["insufficient_data", "window_too_short"])
    first = select_tail_window(np.log(eps_array[valid]), np.log(curve[valid]),
                               slope_tolerance=slope_tolerance, span_decades=span_decades)
    window = valid[first:]
    # a plateau of the median curve inside the window voids a power fit; fast linear
    # convergence (a decade or more per iteration) has such plateaus by nature
    plateau = bool(find_jumps(eps_array[window], curve[window][None, :], jump_ratio=jump_ratio))
    if window.size < max(min_points, 5):
        return undetermined(["window_too_short"], window)
    if "jumps_in_most_starts" in flags:
        return undetermined([], window)
    e, n = eps_array[window], curve[window]
    answer = _union_of_classes(e, n, two_regime, confidence)
    evidence = answer["evidence"]
    if answer["model"] == "undetermined":
        return undetermined(["no_model_fits"], window, evidence)
    if plateau:
        flags.append("plateau_in_window")
    if answer["pre_asymptotic"]:
        flags.append("pre_asymptotic")
    if answer["log_factor"]:
        flags.append("log_factor_suspected")
    if window.size < MIN_CALIBRATED_POINTS:
        flags.append("too_few_thresholds")
    nested = tuple((float(e[-1]), float(e[-size]), p) for size, p in answer["nested"])
    fields = dict(model=answer["model"], exponent=answer["exponent"], ci_low=answer["ci_low"],
                  ci_high=answer["ci_high"], pre_asymptotic=answer["pre_asymptotic"],
                  extrapolated=answer["extrapolated"], parameters=answer["parameters"], eps_lo=float(e[-1]),
                  eps_hi=float(e[0]), n_points=int(e.size), window_eps=(float(e[-1]), float(e[0])), nested=nested,
                  evidence=evidence, flags=tuple(flags), **common)
    if answer["model"] in ("logarithmic", "power-or-logarithmic"):
        a, b, _ = fit_logarithmic(e, n)
        if not b > 0 or np.ptp(n) == 0:  # every threshold of the window at one iteration: no rate to read
            return undetermined(["no_progress_in_window"], window, evidence)
        fields.update(iterations_per_decade=float(b),
                      iterations_per_decade_ci=_bootstrap_log_slope(eps_array, used, window, n_bootstrap,
                                                                    confidence, seed, float(b)))
        if answer["model"] == "logarithmic":
            fields["parameters"] = {"a": float(a), "b": float(b)}
    return RateFit(**fields)


def _union_of_classes(eps, counts, two_regime, confidence):
    """Steps 3 to 5 of the module docstring on one window: model, exponent, interval, labels."""
    u = np.log10(eps[-1] / eps)  # decades above the deepest threshold, <= 0
    log_scale = np.log(np.maximum(1.0, np.e * eps[0]) / eps)  # log(1/eps), >= 1 on the window
    ln_scale = np.log(log_scale / log_scale[-1])
    weights2 = count_weights(counts) ** 2
    drift_width = min(1.0, 4.0 / max(-u[0], 1e-9))

    ln_u, ln_u2 = np.log(10.0) * u, 0.5 * np.log(10.0) * u * u
    drift = _ModelClass("drift", lambda p, beta: np.exp(p[..., None] * ln_u + beta[..., None] * ln_u2),
                        np.linspace(-drift_width, drift_width, 41),
                        [(PROFILE_EXPONENTS, 0.0), (DRIFT_EXTRAPOLATIONS, DRIFT_HORIZON)], counts, weights2,
                        second_name="beta")
    log_factor = _ModelClass("log factor",
                             lambda p, k: np.exp(p[..., None] * ln_u + k[..., None] * ln_scale),
                             np.linspace(-MAX_LOG_FACTOR, MAX_LOG_FACTOR, 31), [(PROFILE_EXPONENTS, 0.0)],
                             counts, weights2, second_name="k")
    additive_log = _ModelClass("additive log", lambda p, s: np.exp(p[..., None] * ln_u + 0.0 * s[..., None]),
                               np.zeros(1), [(PROFILE_EXPONENTS, 0.0)], counts, weights2, extra=u)
    classes = (drift, log_factor, additive_log)
    for model_class in classes:
        model_class.refine_minimum()
    rss_log, _ = _logarithmic_class(u, counts, weights2)
    rss_two, a_two, b_two = _two_regime_class(eps, counts, weights2) if two_regime else (np.inf, 0.0, 0.0)
    best_class = min(classes, key=lambda c: c.best)
    best = min(best_class.best, rss_log, rss_two)
    evidence = {"rss_drift": drift.best, "rss_log_factor": log_factor.best, "rss_additive_log": additive_log.best,
                "rss_logarithmic": rss_log}
    if two_regime:
        evidence["rss_two_regime"] = rss_two
    dof = counts.size - 4
    if not np.isfinite(best_class.best) or dof < 1:
        return {"model": "undetermined", "evidence": evidence}
    fitted, offset, slope = best_class.fitted(*best_class.argmin)
    if np.sqrt(np.mean(np.log(fitted / counts) ** 2)) > MAX_MISFIT:
        return {"model": "undetermined", "evidence": evidence}
    inflation = _autocorrelation_inflation((fitted - counts) * np.sqrt(weights2))
    # a class is no worse than the best where its counts differ by less than MODEL_DISCREPANCY: no class
    # is the exact curve of a run, precise counts must not reject every class but a misspecified one
    discrepancy = float(np.sum(weights2 * (MODEL_DISCREPANCY * counts) ** 2))
    threshold = max(best * (1.0 + inflation * stats.f.ppf(confidence, 1, dof) / dof), best + discrepancy,
                    best * (1.0 + 1e-12))
    evidence.update(threshold=threshold, autocorrelation_inflation=inflation)
    low, high = np.inf, -np.inf
    for model_class in classes:
        region = model_class.interval(threshold)
        if region is not None:
            key = model_class.name.replace(" ", "_")
            evidence[f"{key}_low"], evidence[f"{key}_high"] = region
            low, high = min(low, region[0]), max(high, region[1])
    two_fits = rss_two <= threshold and a_two > 0
    if two_fits:
        low, high = min(low, 2.0), max(high, 2.0)
    plain = _offset_power_interval(eps, counts, confidence)[0]
    rss_plain = min(drift.evaluate(np.array([plain]), np.zeros(1))[0],
                    _logarithmic_class(u, counts, weights2, transient=False)[0])
    pre_asymptotic = bool(rss_plain > threshold)
    nested_windows = []
    for share in NESTED_FRACTIONS:
        size = int(round(share * counts.size))
        if size >= MIN_NESTED_POINTS and (not nested_windows or size < nested_windows[-1]):
            nested_windows.append(size)
    nested = [_offset_power_interval(eps[-size:], counts[-size:], confidence) for size in nested_windows]
    if pre_asymptotic:  # a correction that has died out in the deepest thresholds misleads the whole window
        for _, nested_low, nested_high in nested:
            if np.isfinite(nested_low):
                low, high = min(low, nested_low), max(high, nested_high)
    if not np.isfinite(low) and not rss_log <= threshold:
        return {"model": "undetermined", "evidence": evidence}
    # the estimate: the drifting class's local exponent at the deepest threshold (the offset removed), or
    # the best logarithmic class's exponent where the drifting class is outside the threshold
    estimate = drift if drift.best <= threshold else best_class
    p_hat, second = estimate.argmin
    _, offset, slope = estimate.fitted(p_hat, second)
    parameters = {"class": estimate.name, "p": p_hat, "A": offset, "B": slope}
    if estimate.second_name:
        parameters[estimate.second_name] = second
    if np.isfinite(low):
        low, high = min(low, p_hat), max(high, p_hat)
    answer = {"evidence": evidence, "pre_asymptotic": pre_asymptotic,
              "log_factor": pre_asymptotic and min(log_factor.best, additive_log.best) < drift.best,
              "extrapolated": (float(drift.argmin[0] + drift.argmin[1] * DRIFT_HORIZON)
                               if pre_asymptotic and np.isfinite(drift.best) else np.nan),
              "parameters": parameters,
              "nested": [(counts.size, plain)] + [(size, float(p)) for size, (p, _, _) in zip(nested_windows, nested)]}
    # an exponent below the smallest profiled one cannot be told from linear convergence
    logarithmic_possible = rss_log <= threshold or low <= PROFILE_EXPONENTS[0]
    if logarithmic_possible and high < SMALL_EXPONENT:
        answer.update(model="logarithmic", exponent=0.0, ci_low=0.0, ci_high=float(max(high, 0.0)))
    elif logarithmic_possible:
        answer.update(model="power-or-logarithmic", exponent=float(p_hat), ci_low=0.0, ci_high=float(high))
    elif two_fits and rss_two <= best_class.best:
        answer.update(model="two-regime", exponent=2.0, ci_low=float(low), ci_high=float(high),
                      parameters={"a": a_two, "b": b_two, "crossover_eps": a_two / b_two if b_two > 0 else np.inf})
    else:
        answer.update(model="power", exponent=float(p_hat), ci_low=float(max(low, 0.0)), ci_high=float(high))
    return answer


def _bootstrap_curves(hits, n_bootstrap, seed):
    """Median curves of ``n_bootstrap`` resamples of the starts (rows), shape ``(n, R)``."""
    rng = np.random.default_rng(seed)
    samples = hits[rng.integers(0, hits.shape[0], size=(n_bootstrap, hits.shape[0]))]
    curves = np.median(samples, axis=1)
    return curves[np.all(np.isfinite(curves) & (curves > 0), axis=1)].T


def _percentile_interval(values, confidence, estimate):
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    if not values.size:
        return np.nan, np.nan
    alpha = (1.0 - confidence) / 2.0
    return (float(min(np.quantile(values, alpha), estimate)), float(max(np.quantile(values, 1.0 - alpha), estimate)))


def _bootstrap_log_slope(eps, used, window, n_bootstrap, confidence, seed, estimate):
    """Interval of the iterations per decade: bootstrap over starts, or the regression's t-interval."""
    if used.shape[0] >= 2 and n_bootstrap >= 1:
        curves = _bootstrap_curves(used[:, window], n_bootstrap, seed)
        if curves.size:
            _, slopes, _ = _weighted_line(-np.log10(eps[window])[:, None], curves, count_weights(curves))
            return _percentile_interval(slopes, confidence, estimate)
    x, counts = -np.log10(eps[window]), median_curve(used)[window]
    _, slope, rss = _weighted_line(x, counts, count_weights(counts))
    weights = count_weights(counts) ** 2
    spread = np.sum(weights * (x - np.average(x, weights=weights)) ** 2)
    if x.size < 3 or spread <= 0:
        return np.nan, np.nan
    half = stats.t.ppf(0.5 + confidence / 2.0, x.size - 2) * np.sqrt(rss / (x.size - 2) / spread)
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

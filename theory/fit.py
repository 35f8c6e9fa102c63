r"""Rate models of the first-hitting curve ``N(eps)``: selection, asymptotic exponent, honest interval.

Input convention (the engine's ``eps_hits``): ``eps`` is a decreasing grid of thresholds
``(m,)`` and ``iterations_per_start`` is ``(B, m)``: entry ``[b, j]`` is the first iteration
``k`` with ``||g_k|| <= eps_j`` for start ``b``, ``-1`` if never reached.  All starts given
to :func:`fit_rate` should approach the same limit point (group them first: starts that
reach different limit points have different models, SCIENCE.md section 5).

Models (SCIENCE.md, "Rate models near a limit point")
-----------------------------------------------------
``power``
    ``N = A + B eps^-p`` (``B > 0``, ``p > 0``): a power law whose constant offset ``A``
    absorbs the iterations spent before the asymptotic regime.  Its exponent is ``p``.
``logarithmic``
    ``N = a + b log10(1/eps)``: linear convergence (``theta = 1/2``, a constant accepted
    step), ``b`` iterations per decade of eps.  Exponent 0.  A power fit on such data reads
    ``b / (N ln 10)``, 0.05 to 0.15, drifting to 0 as the window deepens: not a small exponent.
``two-regime``
    ``N = a eps^-2 + b eps^-1`` (``a, b >= 0``, T2's shape), offered when asked for
    (``two_regime=True``, where T2 applies).  Asymptotic exponent 2 if ``a > 0``, else 1.
``undetermined``
    No model predicts the data: too few points, jumps in most starts, or every model
    misses the held-out tail by more than :data:`MAX_HELD_OUT_ERROR`.

Procedure (each step a stated rule)
-----------------------------------
1. **Jumps.**  A plateau of a start is a maximal run of thresholds ``eps_i .. eps_j``
   (``i < j``) hit at the same iteration ``n >= 1``.  It is a *jump* when it spans at least
   ``jump_ratio`` (a decade) *and* more than ``JUMP_RATE_FACTOR`` times the decades per
   iteration the same start makes elsewhere: a lucky step or an exact hit of a minimiser,
   not the steady pace of fast linear convergence.  Starts with a jump are left out of the
   curve unless that leaves fewer than half (flag ``jumps_in_most_starts``).
2. **Curve and window.**  The median over the kept starts per threshold (never reached =
   ``+inf``); points with a finite median of at least ``min_iterations``.  The window is the
   longest tail whose local log-log slopes (each over at least ``span_decades``) all lie
   within ``slope_tolerance`` of their median: a transient of another regime is cut off.
3. **Selection on held-out points.**  Each model is fitted on the window without its
   deepest quarter (at least :data:`MIN_HELD_OUT` points) and predicts that quarter; the
   score is the root mean square of ``log(predicted / measured)`` there.  The lowest score
   wins, except that ``logarithmic`` is chosen whenever its score is within the rounding
   noise of the held-out counts (:data:`TIE_NOISE_FACTOR` times their relative rounding)
   of the best, or when the power model cannot tell its exponent from 0 (the lower end of
   its interval below :data:`LOG_EXPONENT_FLOOR`).  The deepest points decide because the
   claims are about ``eps -> 0``.
4. **Asymptotic exponent.**  The power model is fitted on nested tail windows (the whole
   window, its deepest half, its deepest third, each with at least ``min_points``
   points).  The estimate is that of the deepest window; the estimates drift when the data
   are still pre-asymptotic (a correction ``N = C eps^-p (1 + c eps^q)``, or logarithmic
   factors), and the drift still to come is taken as large as the drift already seen from
   the whole window to the deepest one: ``extrapolated = 2 p_deepest - p_whole``.  Flag
   ``pre_asymptotic`` when the nested estimates differ by more than the statistical
   half-width (and by more than 1e-3).
5. **Interval.**  The hull of (a) the statistical interval of the deepest estimate:
   bootstrap over starts (resampled with replacement, median curve recomputed, refitted;
   seeded) when there are several starts, else the profile-likelihood interval of ``p``
   from the residuals (with one start it still measures how well the model fits), and
   (b) every nested-window estimate and the extrapolated one: the window and model
   uncertainty, not only the spread over starts.  Its coverage is tested on synthetic data
   with known exponents, clean and pre-asymptotic (``tests/test_fit.py``).

Every fit is weighted by the noise of a first-hitting count: an integer (rounding, about
:data:`ROUNDING_SD` iteration) whose relative spread over starts is about
:data:`RELATIVE_SD`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import stats
from scipy.optimize import nnls

SLOPE_TOLERANCE = 0.1
"""Local slopes of the fit window stay within this distance of their median."""

SLOPE_SPAN_DECADES = 0.5
"""A local slope is measured over at least this many decades of eps."""

MIN_WINDOW_POINTS = 6
"""Fewer points in the window raise ``window_too_short`` (the power model has 3 parameters)."""

MIN_ITERATIONS = 3
"""Thresholds whose median first-hitting iteration is below this are not fitted."""

JUMP_RATIO = 10.0
"""A plateau must span at least this ratio of eps (one decade) to be a jump."""

JUMP_RATE_FACTOR = 3.0
"""...and more than this many times the decades per iteration of the start elsewhere."""

N_BOOTSTRAP = 200
"""Bootstrap replicates over starts."""

CONFIDENCE = 0.95
"""Level of the intervals."""

ROUNDING_SD = 0.5
"""Absolute noise of one first-hitting count (an integer), in iterations."""

RELATIVE_SD = 0.005
"""Relative noise of a median first-hitting count (spread over starts and thresholds)."""

HELD_OUT_FRACTION = 0.25
"""Share of the window (its deepest points) held out to choose the model."""

MIN_HELD_OUT = 2
"""At least this many held-out points."""

TIE_NOISE_FACTOR = 3.0
"""Scores closer than this many relative rounding errors of the held-out counts are a tie."""

LOG_EXPONENT_FLOOR = 0.02
"""A power exponent whose interval reaches below this cannot be told from 0: logarithmic."""

MAX_HELD_OUT_ERROR = 0.25
"""A chosen model must predict the held-out counts within this RMS of log ratio."""

NESTED_FRACTIONS = (1.0, 0.5, 1.0 / 3.0)
"""Nested tail windows (shares of the window) of the asymptotic estimate."""

DRIFT_FACTOR = 2.0
"""The drift still to come is taken as this many times the drift seen over the nested windows."""

EXPONENT_GRID = np.concatenate([np.linspace(0.002, 0.1, 50), np.linspace(0.1, 4.0, 391)[1:]])
"""Exponents profiled by the power fit (then refined by a parabola through the minimum)."""

MODELS = ("power", "logarithmic", "two-regime", "undetermined")

WINDOW_RULE = (
    "longest tail window (ending at the smallest eps with finite median N >= "
    "{min_iterations}) whose local log-log slopes, each over >= {span} decades, all lie "
    "within {tol} of their median; model chosen by its prediction of the deepest "
    "{held:.0%} of the window; exponent from the deepest of nested tail windows, interval "
    "the hull of the statistical interval and the nested and extrapolated estimates; "
    "starts with a jump (a plateau over >= {ratio:g}x in eps and > {rate:g}x their pace "
    "elsewhere) excluded when at least half the starts remain"
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
class RateFit:
    """The rate model of ``N(eps)`` chosen for one group of starts, with its exponent.

    Attributes
    ----------
    model : str
        ``power``, ``logarithmic``, ``two-regime`` or ``undetermined`` (see the module).
    exponent : float
        Asymptotic exponent ``p`` of ``N ~ eps^-p``: the power model's, 0 for
        ``logarithmic``, 2 or 1 for ``two-regime``; ``nan`` when undetermined.
    ci_low, ci_high : float
        Interval of the exponent (level :data:`CONFIDENCE`), window and model uncertainty
        included.  For ``logarithmic``: ``[0, upper]`` with ``upper`` the largest power
        exponent the data do not exclude.
    iterations_per_decade : float
        ``b`` of the logarithmic model (``nan`` otherwise).
    iterations_per_decade_ci : tuple of float
        Its interval.
    pre_asymptotic : bool
        The nested-window estimates still drift (the interval includes the extrapolation).
    extrapolated : float
        The exponent extrapolated from the drift of the nested estimates (``nan`` if none).
    parameters : dict
        Parameters of the chosen model on its window (``A, B, p``; ``a, b``; ``a, b``).
    eps_lo, eps_hi : float
        Smallest and largest eps of the window of the estimate.
    n_points : int
        Points in that window.
    window_eps : tuple of float
        ``(eps_lo, eps_hi)`` of the whole selection window.
    nested : tuple of tuple
        ``(eps_lo, eps_hi, exponent)`` of every nested window, shallow to deep.
    evidence : dict
        Held-out score of every model tried (RMS of ``log(predicted/measured)``) and the
        tie threshold.
    n_starts, n_starts_used : int
        Starts given, starts kept in the median curve.
    jumps : tuple of Plateau
        Every jump found.
    rule : str
        The rules with their parameters.
    flags : tuple of str
        ``jump_detected``, ``jumps_in_most_starts``, ``window_too_short``,
        ``insufficient_data``, ``plateau_in_window``, ``pre_asymptotic``, ``no_model_fits``,
        ``no_progress_in_window``.
    local_slopes : ndarray
        Local log-log slopes of the median curve over its valid range (for plots).
    """

    model: str
    exponent: float
    ci_low: float
    ci_high: float
    iterations_per_decade: float
    iterations_per_decade_ci: tuple
    pre_asymptotic: bool
    extrapolated: float
    parameters: dict
    eps_lo: float
    eps_hi: float
    n_points: int
    window_eps: tuple
    nested: tuple
    evidence: dict
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


def _power_profile_interval(eps, counts, p_hat, confidence):
    """Profile-likelihood interval of ``p``: ``RSS(p) <= RSS_min (1 + F(1, n-3)/(n-3))``."""
    log_eps = np.log(eps)
    weights = count_weights(counts)
    n = eps.size
    if n <= 3:
        return np.nan, np.nan
    grid = np.unique(np.concatenate([EXPONENT_GRID, np.linspace(max(p_hat - 0.3, 1e-3), p_hat + 0.3, 601)]))
    profile = _power_profile(log_eps, counts, weights, grid)
    best = min(profile.min(), fit_power(eps, counts)[3])
    threshold = best * (1.0 + stats.f.ppf(confidence, 1, n - 3) / (n - 3))
    inside = grid[profile <= max(threshold, best + 1e-300)]
    if not inside.size:
        return p_hat, p_hat
    return float(min(inside.min(), p_hat)), float(max(inside.max(), p_hat))


def fit_logarithmic(eps, counts):
    """``counts ~ a + b log10(1/eps)``, weighted.  Returns ``a, b, rss``."""
    return _weighted_line(-np.log10(np.asarray(eps, dtype=float)), np.asarray(counts, dtype=float),
                          count_weights(counts))


def _predict(model, parameters, eps):
    if model == "power":
        return parameters["A"] + parameters["B"] * eps ** -parameters["p"]
    if model == "logarithmic":
        return parameters["a"] + parameters["b"] * -np.log10(eps)
    return parameters["a"] * eps**-2.0 + parameters["b"] * eps**-1.0


def _fit_model(model, eps, counts):
    if model == "power":
        p, intercept, slope, _ = fit_power(eps, counts)
        return {"p": float(p), "A": float(intercept), "B": float(slope)}
    if model == "logarithmic":
        intercept, slope, _ = fit_logarithmic(eps, counts)
        return {"a": float(intercept), "b": float(slope)}
    two = fit_two_regime(eps, counts)
    return {"a": two.a, "b": two.b}


def held_out_scores(eps, counts, models, *, fraction=HELD_OUT_FRACTION, minimum=MIN_HELD_OUT):
    """Score of each model: RMS of ``log(predicted/measured)`` on the deepest points held out.

    Returns ``(scores, held)``: a dict model -> score (``inf`` where the prediction is not
    positive) and the number of held-out points.
    """
    held = max(minimum, int(np.ceil(fraction * eps.size)))
    train, test = slice(0, eps.size - held), slice(eps.size - held, None)
    scores = {}
    for model in models:
        with np.errstate(all="ignore"):
            predicted = _predict(model, _fit_model(model, eps[train], counts[train]), eps[test])
            ratio = np.log(predicted / counts[test])
        scores[model] = float(np.sqrt(np.mean(ratio**2))) if np.all(np.isfinite(ratio)) else np.inf
    return scores, held


# ----------------------------------------------------------------------------- the fit


def fit_rate(eps, iterations_per_start, *, two_regime: bool = False,
             slope_tolerance: float = SLOPE_TOLERANCE, span_decades: float = SLOPE_SPAN_DECADES,
             min_points: int = MIN_WINDOW_POINTS, min_iterations: float = MIN_ITERATIONS,
             jump_ratio: float = JUMP_RATIO, n_bootstrap: int = N_BOOTSTRAP,
             confidence: float = CONFIDENCE, seed: int = 0) -> RateFit:
    """Choose the rate model of ``N(eps)`` and estimate its asymptotic exponent.

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
        Bootstrap replicates over starts.
    confidence : float
        Level of the intervals.
    seed : int
        Seed of the bootstrap.

    Returns
    -------
    RateFit
    """
    eps_array, hits = _as_grid(eps, iterations_per_start)
    n_starts = hits.shape[0]
    rule = WINDOW_RULE.format(min_iterations=min_iterations, span=span_decades, tol=slope_tolerance,
                              held=HELD_OUT_FRACTION, ratio=jump_ratio, rate=JUMP_RATE_FACTOR)
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
        slopes, _ = local_slopes(np.log(eps_array[valid]), np.log(curve[valid]), span_decades=span_decades)

    def undetermined(reason_flags, window=None, evidence=None):
        lo = float(eps_array[window[-1]]) if window is not None and window.size else np.nan
        hi = float(eps_array[window[0]]) if window is not None and window.size else np.nan
        return RateFit("undetermined", np.nan, np.nan, np.nan, np.nan, (np.nan, np.nan), False, np.nan, {},
                       lo, hi, 0 if window is None else int(window.size), (lo, hi), (), evidence or {},
                       n_starts, int(keep.sum()), jumps, rule, tuple(flags + reason_flags), slopes)

    if valid.size < 2:
        return undetermined(["insufficient_data", "window_too_short"])
    first = select_tail_window(np.log(eps_array[valid]), np.log(curve[valid]),
                               slope_tolerance=slope_tolerance, span_decades=span_decades)
    window = valid[first:]
    # a plateau of the median curve inside the window voids a power fit; fast linear
    # convergence (a decade or more per iteration) has such plateaus by nature
    plateau = bool(find_jumps(eps_array[window], curve[window][None, :], jump_ratio=jump_ratio))
    if window.size < min_points:
        return undetermined(["window_too_short"], window)
    e, n = eps_array[window], curve[window]
    models = ["power", "logarithmic"] + (["two-regime"] if two_regime else [])
    scores, held = held_out_scores(e, n, models)
    rounding = float(np.sqrt(np.mean((ROUNDING_SD / n[-held:]) ** 2)))
    tie = TIE_NOISE_FACTOR * rounding
    evidence = {**{f"held_out_{model}": score for model, score in scores.items()},
                "tie_threshold": tie, "held_out_points": held}
    best = min(scores, key=scores.get)
    if "jumps_in_most_starts" in flags or scores[best] > MAX_HELD_OUT_ERROR:
        return undetermined(["no_model_fits"] if scores[best] > MAX_HELD_OUT_ERROR else [], window, evidence)

    power = _asymptotic_power(eps_array, used, window, min_points, n_bootstrap, confidence, seed)
    choose_log = scores["logarithmic"] <= scores[best] + tie or power["ci_low"] < LOG_EXPONENT_FLOOR
    model = "logarithmic" if choose_log else best
    if model == "logarithmic":
        a, b, _ = fit_logarithmic(e, n)
        if not b > 0 or np.ptp(n) == 0:  # every threshold of the window at one iteration: no rate to read
            return undetermined(["no_progress_in_window"], window, evidence)
        b_low, b_high = _bootstrap_log_slope(eps_array, used, window, n_bootstrap, confidence, seed, float(b))
        return RateFit("logarithmic", 0.0, 0.0, float(max(power["ci_high"], 0.0)), float(b), (b_low, b_high),
                       False, np.nan, {"a": float(a), "b": float(b)}, float(e[-1]), float(e[0]), int(e.size),
                       (float(e[-1]), float(e[0])), power["nested"], evidence, n_starts, int(keep.sum()),
                       jumps, rule, tuple(flags), slopes)
    if model == "two-regime":
        if plateau:
            flags.append("plateau_in_window")
        two = fit_two_regime(e, n)
        exponent = 2.0 if two.a > 0 else 1.0
        return RateFit("two-regime", exponent, min(exponent, power["ci_low"]), max(exponent, power["ci_high"]),
                       np.nan, (np.nan, np.nan), False, np.nan,
                       {"a": two.a, "b": two.b, "crossover_eps": two.crossover_eps}, float(e[-1]), float(e[0]),
                       int(e.size), (float(e[-1]), float(e[0])), power["nested"], evidence, n_starts,
                       int(keep.sum()), jumps, rule, tuple(flags), slopes)
    if power["pre_asymptotic"]:
        flags.append("pre_asymptotic")
    if plateau:
        flags.append("plateau_in_window")
    return RateFit("power", power["exponent"], power["ci_low"], power["ci_high"], np.nan, (np.nan, np.nan),
                   power["pre_asymptotic"], power["extrapolated"], power["parameters"], power["eps_lo"],
                   power["eps_hi"], power["n_points"], (float(e[-1]), float(e[0])), power["nested"], evidence,
                   n_starts, int(keep.sum()), jumps, rule, tuple(flags), slopes)


def _nested_windows(window, min_points):
    """Index arrays of the nested tail windows, shallow to deep (each >= ``min_points``)."""
    nested = []
    for share in NESTED_FRACTIONS:
        size = max(min_points, int(round(share * window.size)))
        if size <= window.size and (not nested or size < nested[-1].size):
            nested.append(window[-size:])
    return nested


def _asymptotic_power(eps, used, window, min_points, n_bootstrap, confidence, seed):
    """Step 4 and 5 of the module docstring for the power model."""
    curve = median_curve(used)
    windows = _nested_windows(window, min_points)
    estimates = [fit_power(eps[w], curve[w]) for w in windows]
    exponents = [float(p) for p, *_ in estimates]
    deepest = windows[-1]
    p_hat, intercept, slope, _ = estimates[-1]
    p_hat = float(p_hat)
    if used.shape[0] >= 2 and n_bootstrap >= 1:
        stat_low, stat_high = _bootstrap_power(eps[deepest], used[:, deepest], n_bootstrap, confidence, seed, p_hat)
    else:
        stat_low, stat_high = _power_profile_interval(eps[deepest], curve[deepest], p_hat, confidence)
    extrapolated = np.nan
    candidates = list(exponents)
    if len(exponents) >= 2:
        # the drift still to come is taken as large as the drift seen from the whole window
        # to the deepest one (a geometric remainder of ratio <= 1 per such step)
        extrapolated = exponents[-1] + DRIFT_FACTOR * (exponents[-1] - exponents[0])
        candidates.append(extrapolated)
    half_width = 0.5 * (stat_high - stat_low) if np.isfinite(stat_high - stat_low) else 0.0
    drift = max(exponents) - min(exponents)
    low = float(np.nanmin([stat_low, *candidates]))
    high = float(np.nanmax([stat_high, *candidates]))
    return {
        "exponent": p_hat, "ci_low": max(low, 0.0), "ci_high": high, "extrapolated": float(extrapolated),
        "pre_asymptotic": bool(drift > max(half_width, 1e-3)),
        "parameters": {"p": p_hat, "A": float(intercept), "B": float(slope)},
        "eps_lo": float(eps[deepest[-1]]), "eps_hi": float(eps[deepest[0]]), "n_points": int(deepest.size),
        "nested": tuple((float(eps[w[-1]]), float(eps[w[0]]), p) for w, p in zip(windows, exponents)),
    }


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


def _bootstrap_power(eps, hits, n_bootstrap, confidence, seed, estimate):
    """Percentile interval of the power exponent over resamples of the starts."""
    curves = _bootstrap_curves(hits, n_bootstrap, seed)
    if not curves.size:
        return np.nan, np.nan
    exponents, *_ = fit_power(eps, curves)
    return _percentile_interval(exponents, confidence, estimate)


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
